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

# Слова, общие для нескольких страниц.

show-button = Показать
word-yes = да
word-no = нет
every-status = любой статус
every-item-type = любой тип
nothing-matches = Ничего не найдено.
word-on = вкл.
word-off = выкл.
unit-h = ч
unit-min = мин
unit-s = с
filter-button = Отобрать

# Заголовки столбцов (таблицы `tables.html` называют их ключами).

col-item-type = Тип услуги
col-ordered = Заказана
col-price-per-period = Цена за период
col-period = Период
col-renews = Автопродление
col-prices = Цены
col-created = Создан
col-fee = Плата
col-code = Код
col-discount = Скидка
col-applies-to = Применяется к
col-uses = Использований
col-valid = Действует
col-base = Базовая
col-quote = Котируемая
col-rate = Курс
col-minor-units = Знаков после запятой
col-invoice-numbers = Нумерация счетов
col-payment-methods = Способы оплаты
col-document-template = Шаблон документа
col-clients-in = Клиенты из
col-tax-rate = Ставка
col-tax-is = Налог
col-reverse-charge = Обратное начисление
col-departments = Отделы
col-own-permissions = Собственные права
col-administrator = Администратор
col-permissions = Права
col-takes-tickets = Принимает тикеты
col-queued = В очереди с
col-to = Кому
col-attempts = Попыток
col-last-error = Последняя ошибка
col-language = Язык
col-changed = Изменён
col-title = Заголовок
col-from = С
col-until = До
col-withdrawn = Снято
col-charged = Списано
col-credited = Зачтено
col-corrected = Скорректировано
col-income = Доход
col-period-from = Начало периода
col-payments = Платежей
col-paid = Оплачено
col-refunded = Возвращено
col-reversed = Отменено
col-net = Итого
col-owed = Долг
col-below-zero-since = В минусе с
col-days = Дней
col-active-services = Активных услуг
col-recognised = Признано
col-deferred = Отложено
col-month = Месяц
col-new = Новых
col-lost = Ушло
col-active = Активных
col-answers = Ответов
col-mean-wait = Среднее ожидание
col-median-wait = Медианное ожидание
col-longest-wait = Самое долгое ожидание
col-waiting-now = Ждут сейчас
col-mrr = MRR
col-services = Услуг
col-due = Срок оплаты
col-requested = Запрошена
col-attempt = Попытка

# Страницы услуг, тарифов и промокодов.

services-not-paid-yet = ещё не оплачено
services-by-paid-until = по дате оплаты, ближайшие первыми
services-by-tariff = по тарифу
tariff-none = Тариф не найден
tariff-none-text = Такого тарифа нет.
tariff-prices = Цены по периодам и валютам
tariff-setup-fees = Плата за подключение
tariff-addons = Дополнения
tariff-hourly-prices = Почасовые цены
col-per-hour = За час
col-monthly-cap = Предел в месяц
tariff-no-cap = нет
hourly-title = Почасовые цены
hourly-lead = VDS, заказанный по этому тарифу, ежедневно оплачивает отработанные часы по цене своей валюты, не больше предела в месяц. Уже заказанные услуги сохраняют цену, по которой проданы. Оставьте цену пустой, чтобы в этой валюте не было почасовой оплаты.
hourly-save = Сохранить почасовые цены
hourly-saved = Почасовые цены сохранены.
staff-problem-invalid-hourly-price = Неверная почасовая цена ({ $detail }).
staff-problem-hourly-currency-not-priced = В этой валюте у тарифа нет цены за период ({ $detail }).
staff-problem-duplicate-hourly-price = Две почасовые цены в одной валюте ({ $detail }).
tariff-intro = { $type }, { $status }, провайдер { $provider }, создан { $created }
promo-uses-of = { $uses } из { $max }
promo-uses-unlimited = { $uses } (без ограничений)
promo-always = всегда
promo-from = с { $from }
promo-through = по { $until }
promo-from-through = с { $from } по { $until }
promo-every-charge = каждое списание
promo-first-charge = только первое списание
service-none = Услуга не найдена

# Списки счетов и платежей, очередь тикетов и тикет.

list-nothing-matches = ничего не найдено
list-first-page = Первая страница
queue-nobody-waits = Никто не ждёт ответа.
ticket-none = Тикет не найден
ticket-done-assign = Тикет назначен.
ticket-done-close = Тикет закрыт.
ticket-nobody = никому конкретно
ticket-a-staff-member = сотрудник
ticket-a-user = пользователь клиента
ticket-someone = кто-то
ticket-assigned-to = назначен:
ticket-opened = открыт
ticket-thread = Переписка
ticket-files = файлов: { $count }
ticket-no-message = Сообщений пока нет.
ticket-send-answer = Отправить ответ
ticket-assign = Назначить
ticket-staff-member = Сотрудник
ticket-close = Закрыть тикет
payment-none = Платёж не найден

# Страница операций и расчётный день.

operations-done-retry = Операция запрошена повторно.
billing-day = День
billing-services = Просмотрено услуг
billing-charged = Списано периодов
billing-refused = Отказано в списании
billing-suspensions = Запрошено приостановок
billing-deletions = Запрошено удалений
billing-closed = Закрыто услуг
billing-notices = Уведомлений об окончании
billing-took = Заняло (мс)
billing-report = Отчёт о расчётном дне
billing-run-title = Запустить расчётный день
billing-day-field = День (ГГГГ-ММ-ДД)
billing-run = Запустить
billing-hint = списывает то, что причитается, приостанавливает то, что не оплачено; повторный запуск дня ничего не меняет
operations-pending = в ожидании
operations-failed = с ошибкой
operations-for = на { $day }
operations-retry = Повторить
operations-none = Нет операций со статусом «{ $status }».
operations-next-page = Следующая страница

# Журнал действий.

log-client-not-id = клиент: это не идентификатор
log-actor-hint = Кто, например admin или staff:admin
log-actor = Кто
log-client-hint = Идентификатор клиента
log-event-hint = Событие, например PaymentPosted
log-event = Событие
log-on-behalf-of = От имени
log-of = Объект
log-older = Раньше

# Формы страницы клиента, действия от имени клиента, объединение и перенос, отправка документа.

client-not-rendered = (ещё не сформировано)
ca-details = Данные клиента
ca-save = Сохранить
ca-adjust = Корректировка баланса
ca-adjust-amount = Сумма (отрицательная — списание)
ca-adjust-button = Скорректировать
ca-limit-amount = Насколько можно уйти в минус
ca-set-limit = Установить лимит
ca-credit-note = Выставить корректировочный счёт
ca-invoice = Счёт
ca-no-invoice = Счета ещё не выставлялись
ca-credit-line = Строка, или оставьте цену пустой, чтобы скорректировать весь счёт:
ca-issue-credit-note = Выставить корректировку
ca-more = Ещё
ca-merge = Объединить с другим клиентом…
ca-act-as = Войти от имени клиента
ca-invoice-mails = Письма со счетами
ca-invoice-mails-note = Счёт отправляется письмом при выставлении и каждый раз, когда сотрудник отправляет его клиенту.
ca-no-mails = Писем со счетами ещё не было.
act-as-the-client = клиент
act-as-title = Действия от имени: { $name }
act-as-issued = Выпущен токен для действий от имени этого клиента. Он показан только сейчас и перестанет действовать
act-as-note = Он видит и может то же, что владелец клиента, но не больше, чем вы; всё сделанное с ним записывается на вас, от имени клиента. Этот браузер теперь открывает панель клиента от его имени; с API используйте его так:
act-as-token = Токен
act-as-open-panel = Открыть панель клиента от его имени
act-as-back = Назад к клиенту
merge-title = Объединение: { $name }
merge-intro = Выберите клиента, с которым объединяется { $name }: услуги, плательщики и балансы перейдут к нему, а { $name } будет помечен как объединённый.
merge-button = Объединить с этим клиентом
transfer-title = Перенос услуги клиента { $name }
transfer-intro = Выберите клиента, к которому переходит услуга; прошлые списания останутся в выписке клиента { $name }.
transfer-button = Перенести услугу сюда
choose-find-client = Найти клиента
choose-none = Подходящих клиентов нет.
send-client-page = Страница клиента

# Страницы настроек.

currencies-rates = Курсы валют на { $day }
currencies-kept-in = Валюты, в которых ведётся учёт
companies-numbering = { $prefix } (сброс: { $reset })
companies-edit = Изменить
companies-every-other-country = все остальные страны
companies-reverse-charge = обратное начисление для компаний с номером плательщика НДС
companies-tax-rules = Налоговые правила
staff-staff = Сотрудники
notifications-outbox = Уведомления клиентам
notifications-templates = Шаблоны сообщений
notifications-every-language = все языки
notifications-announcements = Объявления

# Страница отчётов.

rep-from = С
rep-to = по
rep-to-label = По (не включая)
rep-not-included = (не включая)
rep-rows-per = Строки
rep-per-month = по месяцам
rep-per-day = по дням
rep-basis = Метод учёта дохода
rep-basis-hint = Доход в день списания (кассовый метод) или распределённый по периоду услуги (метод начисления)
rep-cash = кассовый метод
rep-recognised = метод начисления
rep-every-provider = все провайдеры
rep-currency-hint = валюта (EUR)
rep-method-hint = способ оплаты
rep-as-of = доходы будущих периодов на
rep-services-status = Статус услуг
rep-every-status = услуги в любом статусе
report-none = Отчёт не найден
report-none-text = Такого отчёта нет.
report-unknown-tariff = неизвестный тариф
report-basis-recognised = каждая сумма распределена по дням периода услуги, за который она платит (метод начисления)
report-basis-cash = в день списания (кассовый метод)
report-intro = Доход — это списания за вычетом зачислений и корректировок, { $basis }. Пустые даты — последние двенадцать месяцев; фильтры сужают отчёты, которые их принимают.
report-income = Доход
report-income-per-period = Доход по периодам
report-income-by-type = Доход по типам услуг
report-income-by-tariff = Доход по тарифам
report-payments = Платежи по периодам и способам оплаты
report-net-payments = Платежи за вычетом возвратов
report-debtors = Должники
report-owed = Долг
report-mrr = Ежемесячная регулярная выручка (MRR)
report-deferred = Доходы будущих периодов на конец { $day }
report-deferred-total = Доходы будущих периодов
report-services = Услуги по тарифам и статусам
report-clients = Новые и ушедшие клиенты по месяцам
report-response-times = Первые ответы по отделам в рабочие часы (последние 30 дней, если даты не заданы)

# Коды статусов и видов, которые панель сотрудников показывает сверх кодов my.ftl:
# `Lang::named`; `{family}-…` — где код семейства называется иначе (`Lang::named_in`).

code-other = другое
code-fraud = мошенничество
code-card-gateway = платёжный шлюз
code-manual = вручную
code-archived = в архиве
code-disabled = отключено
code-merged = объединено
code-included = включён в цену
code-added = сверх цены
code-yearly = ежегодно
code-never = никогда
code-monthly = ежемесячно
code-quantity = количество
code-toggle = вкл./выкл.
code-choice = выбор
code-individual = физическое лицо
code-company = юридическое лицо
code-sole-proprietor = ИП
code-user = клиент
code-staff = сотрудник
code-invoice = счёт
code-invoice-issued = счёт выставлен
code-payment-credited = платёж зачислен
code-service-activated = услуга подключена
code-service-suspended = услуга приостановлена
code-service-deleted = услуга удалена
code-service-expiring = услуга заканчивается
code-domain-expiring = домен скоро истекает
code-domain-expired = домен истёк
code-low-balance = низкий баланс
code-ticket-answered = ответ в тикете
code-sent = отправлено
code-sending = отправляется
code-completed = завершено
code-activate = подключение
code-suspend = приостановка
code-resume = возобновление
code-delete = удаление
code-close = закрытие
code-charge = списание
code-payment = платёж
code-refund = возврат
code-adjustment = корректировка
code-credit = зачёт
code-reversal = отмена
code-transfer-in = перевод с другого счёта
code-transfer-out = перевод на другой счёт
invoice-status-credited = скорректирован
operation-status-pending = в очереди
operation-status-failed = ошибка
operation-status-retried = повторена
operation-status-done = выполнена
code-client = клиент
code-owner = владелец
code-billing = бухгалтерия
code-technical = технический специалист
code-not-configured = почта не настроена
code-retried = повторено
code-done = выполнено

# Чему принадлежит изменение в журнале действий, если не услуге (`aggregate-…`, `Lang::named_in`).

aggregate-access-token = Токен доступа
aggregate-account = Лицевой счёт
aggregate-announcement = Объявление
aggregate-answer-template = Шаблон ответа
aggregate-client = Клиент
aggregate-client-group = Группа клиентов
aggregate-client-user = Пользователь клиента
aggregate-company = Компания
aggregate-department = Отдел
aggregate-exchange-rates = Курсы валют
aggregate-invoice = Счёт
aggregate-invoice-book = Нумерация счетов
aggregate-merge = Объединение
aggregate-message-template = Шаблон сообщения
aggregate-notice-settings = Настройки уведомлений
aggregate-payer = Плательщик
aggregate-payment = Платёж
aggregate-promo-code = Промокод
aggregate-provider = Провайдер
aggregate-service = Услуга
aggregate-staff-member = Сотрудник
aggregate-tariff = Тариф
aggregate-ticket = Тикет
aggregate-ticket-category = Категория тикетов
# A client's domain contacts on its page (helper "domains").
client-domain-contacts = Контакты доменов
client-no-domain-contacts = Контактов доменов нет.
client-phone = Телефон

# Problems on the staff panel's forms (FormError::said): English quotes the API's own detail,
# which names ids and fields; other languages word the problem (the code is shown beside it).
staff-problem-amount-not-positive = Сумма должна быть больше нуля.
staff-problem-not-positive = Сумма должна быть больше нуля.
staff-problem-client-deleted = Клиент удалён.
staff-problem-client-inactive = Клиент неактивен: новые заказы и платежи не принимаются.
staff-problem-client-merged = Клиент объединён с другим клиентом.
staff-problem-credit-exceeds-charge = Возврат за услугу больше, чем было списано.
staff-problem-currency-mismatch = Валюта не совпадает с валютой лицевого счёта.
staff-problem-insufficient-funds = Баланса и кредитного лимита клиента не хватает.
staff-problem-invalid-amount = Укажите сумму числом, например 100.00.
staff-problem-invalid-email = Адрес электронной почты указан неверно.
staff-problem-invalid-form = Форма устарела: обновите страницу и отправьте её снова.
staff-problem-invalid-method = Такого способа оплаты нет.
staff-problem-invalid-name = Имя указано неверно.
staff-problem-invalid-reason = Укажите причину.
staff-problem-negative-credit-limit = Кредитный лимит не может быть отрицательным.
staff-problem-operation-in-progress = С услугой уже выполняется операция; повторите, когда она завершится.
staff-problem-period-not-offered = Тариф не продаётся на этот период.
staff-problem-refund-exceeds-payment = Возврат больше суммы платежа.
staff-problem-refund-exceeds-unallocated = Возврат больше, чем осталось от платежа на счёте.
staff-problem-service-closed = Услуга закрыта.
staff-problem-service-not-active = Услуга не активна.
staff-problem-source-of-another-provider = Клиент относится к другому провайдеру.
staff-problem-staff-login-needed = Действовать от имени клиента может только сотрудник, вошедший под своим логином.
staff-problem-target-in-sources = Нельзя объединить клиента с самим собой.
staff-problem-tariff-archived = Тариф больше не продаётся.
staff-problem-tariff-not-found = Такого тарифа нет.
staff-problem-ticket-closed = Тикет закрыт: откройте его снова, чтобы ответить.
staff-problem-too-precise = В сумме больше знаков после запятой, чем допускает валюта.
staff-problem-unknown-currency = Такая валюта неизвестна.
staff-problem-zero-adjustment = Корректировка на ноль ничего не меняет.
