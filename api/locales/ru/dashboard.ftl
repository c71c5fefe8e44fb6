# Страницы панели сотрудников.

dash-login-email = Электронная почта (или <code>admin</code>)
dash-login-password = Пароль (или токен администратора)
login-wrong = Неверный адрес электронной почты или пароль.
login-too-many = Слишком много попыток входа; подождите немного и попробуйте снова.

overview-title = Сводка
overview-empty = Ваши права не позволяют ничего показать на этой странице.
overview-income-today = доход за сегодня
overview-income-month = доход за этот месяц
overview-none = нет
overview-mrr = MRR (ежемесячная выручка)
overview-owed = задолженность
overview-debtor-accounts = счетов должников
overview-services = услуги: { $status }
overview-operations-pending = операций в ожидании
overview-operations-failed = операций с ошибкой
overview-revenue-30 = Выручка за последние 30 дней
overview-revenue-30-none = За последние 30 дней выручки нет.
overview-revenue-12 = Выручка за последние 12 месяцев
overview-revenue-12-none = За последние 12 месяцев выручки нет.
overview-tickets = Тикеты, ожидающие ответа
overview-department = Отдел
overview-tickets-count = Тикеты
overview-waiting-since = Ждут с
overview-nobody-waits = Никто не ждёт.
overview-debts = Крупнейшие долги
overview-nobody-owes = Долгов нет.
overview-operations = Ожидающие операции
overview-nothing-waits = Ничего не ожидает.

col-client = Клиент
col-balance = Баланс
col-operation = Операция
col-status = Статус
col-service = Услуга
col-since = С
col-name = Имя
col-email = Электронная почта
col-country = Страна
col-registered = Зарегистрирован
col-currency = Валюта
col-credit-limit = Кредитный лимит
col-tariff = Тариф
col-type = Тип
col-paid-until = Оплачено до
col-price = Цена
col-actions = Действия
col-when = Когда
col-kind = Вид
col-what = Что
col-amount = Сумма
col-number = Номер
col-issued = Выставлен
col-total = Итого
col-method = Способ
col-refund = Возврат
col-subject = Тема
col-messages = Сообщения
col-updated = Обновлён
col-answer = Ответ
col-login = Логин
col-roles = Роли
col-vat = ИНН / VAT

clients-title = Клиенты
clients-count = { $count ->
    [one] { $count } клиент
    [few] { $count } клиента
   *[many] { $count } клиентов
}
clients-search-hint = Имя или электронная почта
clients-sort = Сортировка
clients-by-name = по имени
clients-by-email = по электронной почте
clients-newest = сначала новые
clients-search = Найти
clients-shown = { $shown } из { $total }
clients-previous = Назад
clients-next = Далее
clients-register = Зарегистрировать клиента
clients-provider = Провайдер
clients-kind-individual = физическое лицо
clients-kind-company = юридическое лицо
clients-kind-sole = индивидуальный предприниматель
clients-country-code = Страна (код ISO)
clients-register-button = Зарегистрировать
clients-registered = Клиент зарегистрирован.
client-none = Такого клиента нет
invoice-none = Такого счёта нет

client-facts-registered = зарегистрирован { $when }
client-its-log = журнал действий клиента
client-balance = Баланс
client-no-account = Лицевого счёта пока нет.
client-post-payment = Провести платёж
client-post-payment-button = Провести платёж
client-order = Заказать услугу
client-period = Период
client-period-1m = 1 месяц
client-period-3m = 3 месяца
client-period-6m = 6 месяцев
client-period-12m = 12 месяцев
client-period-1d = 1 день
client-auto-prolong = продлевать автоматически
client-order-button = Заказать
client-issue-invoice = Выставить счёт
client-company = Компания
client-quantity = Количество
client-unit-price = Цена за единицу
client-issue-button = Выставить
client-services = Услуги
client-transfer = Передать…
client-no-service = Услуг пока нет.
client-statement = Выписка
client-invoices = Счета
client-send = Отправить клиенту
client-payments = Платежи
client-reason = Причина
client-refund-amount = Сумма возврата
client-refund-why = Почему
client-refund-button = Вернуть
client-tickets = Тикеты
client-answer-button = Ответить
client-users = Пользователи
client-no-users = У этого клиента нет пользователей.
client-payers = Плательщики
client-no-payers = Клиент платит сам.
client-suspend = Приостановить
client-resume = Возобновить
client-close = Закрыть

done-payment = Платёж проведён.
done-order = Услуга заказана.
done-suspend = Запрошена приостановка услуги.
done-resume = Запрошено возобновление услуги.
done-close = Услуга закрыта.
done-register = Клиент зарегистрирован.
done-refund = Возврат записан.
done-answer = Ответ отправлен.
done-invoice = Счёт выставлен.
done-edit = Данные клиента сохранены.
done-adjustment = Баланс скорректирован.
done-credit-limit = Кредитный лимит установлен.
done-credit-note = Кредит-нота выставлена.
done-send = Документ отправлен клиенту: письмо — ниже.
done-transfer = Услуга передана другому клиенту.
done-merge = Слияние начато: услуги, плательщики и балансы другого клиента переносятся сюда.
done-other = Готово.

chart-revenue-in = Выручка в { $currency }

# Заголовки страниц.
title-invoices = Счета
title-payments = Платежи
title-ticket-queue = Очередь тикетов
title-reports = Отчёты
title-action-log = Журнал действий
title-operations = Операции
title-services = Услуги
title-tariffs = Тарифы
title-promo-codes = Промокоды
title-currencies = Валюты и курсы
title-companies = Компании
title-staff = Сотрудники и отделы
title-notifications = Уведомления

list-documents = { $count ->
    [one] { $count } документ
    [few] { $count } документа
   *[many] { $count } документов
}
list-payments = { $count ->
    [one] { $count } платёж
    [few] { $count } платежа
   *[many] { $count } платежей
}

# A client's domain contacts on its page (helper "domains").
client-domain-contacts = Контакты доменов
client-no-domain-contacts = Контактов доменов нет.
client-phone = Телефон
