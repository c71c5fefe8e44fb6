# Типы услуг и их правила (задача 19.2).
code-service-overdue = услуга не оплачена
nav-item-types = Типы услуг
item-types-title = Типы услуг
item-types-lead = Что продают тарифы и что происходит с неоплаченной услугой каждого типа. Изменение действует на уже проданные услуги со следующего расчётного дня; автопродление по умолчанию — для новых заказов.
item-types-saved = Сохранено.
item-types-grace = Дней отсрочки
item-types-suspension = Если не оплачена после отсрочки
item-types-deletion = Удаляется через (дней)
item-types-auto-prolong = Автопродление по умолчанию
item-types-rule-suspend = приостановить
item-types-rule-delete = удалить без приостановки
item-types-rule-never = не приостанавливать
item-types-yes = да
item-types-no = нет
item-types-define = Создать или изменить тип
item-types-save = Сохранить
