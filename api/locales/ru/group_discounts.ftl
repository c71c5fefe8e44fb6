# Скидки групп клиентов в панели сотрудника (issue 20.6).
nav-group-discounts = Скидки групп
group-discounts-title = Скидки групп клиентов
group-discounts-lead = Скидка каждой группы клиентов по типу услуги. Услуге клиента начисляется одна лучшая скидка: его групп, персональная или по промокоду.
group-discounts-group = Группа
group-discounts-clients = Клиентов
group-discounts-discounts = Скидки
group-discounts-none = нет
group-discounts-set = Задать скидку группы
group-discounts-hint = Пустой процент снимает скидку группы на этот тип услуги.
group-discounts-save = Сохранить скидку
group-discounts-saved = Скидка группы сохранена.
