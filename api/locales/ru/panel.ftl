# Общее для обеих панелей: макет, пункты меню, страницы-сообщения, вход.

layout-suffix = Биллинг
layout-zone-label = Часовой пояс
layout-zone-hint = Часовой пояс (имя IANA, например Europe/Moscow)
layout-zone-set = Сменить пояс
layout-language-label = Язык
layout-language-set = Сменить язык
layout-sign-out = Выйти

nav-overview = Сводка
nav-clients = Клиенты
nav-invoices = Счета
nav-payments = Платежи
nav-tickets = Тикеты
nav-operations = Операции
nav-action-log = Журнал действий
nav-services = Услуги
nav-tariffs = Тарифы
nav-promo-codes = Промокоды
nav-reports = Отчёты
nav-currencies = Валюты
nav-companies = Компании
nav-staff = Сотрудники
nav-notifications = Уведомления
nav-home = Главная
nav-order = Заказать
nav-expenses = Расходы
nav-statement = Выписка
nav-support = Поддержка
nav-account = Учётная запись

msg-not-allowed = Доступ запрещён
msg-not-allowed-text = Ваши права не позволяют открыть эту страницу.
msg-not-sent = Форма отправлена не из этой панели
msg-not-sent-text = В форме нет токена этой сессии, поэтому ничего не сделано. Обновите страницу и попробуйте ещё раз.
msg-failed = Что-то пошло не так
msg-not-found = Не найдено
msg-time-zone = Часовой пояс
msg-time-zone-text = Это не часовой пояс: укажите имя IANA, например Europe/Moscow, или UTC.

login-title = Вход
login-email = Электронная почта
login-password = Пароль
login-sign-in = Войти

nothing-yet = Пока ничего нет.

# A statement's movements in words (pages::format::movement), in both panels.
movement-payment = Платёж ({ $method })
movement-payment-converted = Платёж ({ $method }): { $paid } по курсу { $rate } ({ $day })
movement-refund = Возврат: { $reason }
movement-reversal = Платёж отменён: { $reason }
movement-transfer-out = Остаток перенесён на счёт { $account } при объединении
movement-transfer-in = Остаток перенесён со счёта { $account } при объединении

# Период оплаты словами (`Lang::period`): «1 год 6 месяцев» — число лет и число месяцев.
period-days = { $count ->
    [one] { $count } день
    [few] { $count } дня
   *[many] { $count } дней
}
period-months = { $count ->
    [one] { $count } месяц
    [few] { $count } месяца
   *[many] { $count } месяцев
}
period-years = { $count ->
    [one] { $count } год
    [few] { $count } года
   *[many] { $count } лет
}
# A price per hour (hourly billing of VDS, ADR 37): the amount as written, with the currency.
price-per-hour = { $amount } { $currency }/ч
