# Printed documents (invoices, proforma invoices, credit notes) and the staff panel's form of a
# company's document template.

## The documents.

doc-invoice = Счёт
doc-proforma = Счёт на предоплату
doc-credit-note = Кредит-нота
doc-title = { $kind } № { $number }
doc-title-draft = { $kind } (черновик)
doc-issued-on = Дата выставления
doc-due-on = Оплатить до
doc-status = Статус
doc-status-draft = черновик
doc-status-issued = выставлен
doc-status-paid = оплачен
doc-status-credited = скорректирован
doc-status-partially_credited = частично скорректирован
doc-status-partially_paid = частично оплачен
doc-status-cancelled = отменён
doc-currency = Валюта
doc-period = Период
doc-period-range = с { $start } по { $end }
doc-payment = Платёж
doc-corrects-invoice = Корректирует счёт
doc-corrects = Эта кредит-нота корректирует счёт № { $number }.
doc-corrects-earlier = Эта кредит-нота корректирует ранее выставленный счёт.
doc-seller = Продавец
doc-bill-to = Покупатель
doc-vat-number = Номер плательщика НДС { $number }
doc-col-description = Наименование
doc-col-quantity = Кол-во
doc-col-unit-price = Цена
doc-col-discount = Скидка
doc-col-net = Без НДС
doc-col-vat-rate = НДС, %
doc-col-gross = Всего
doc-total-net = Итого без НДС
doc-total-vat = НДС { $rate }% с { $net }
doc-total = Итого, { $currency }
doc-credited = Скорректировано
doc-payment-details = Платёжные реквизиты
doc-bank = Банк
doc-account-holder = Получатель
doc-iban = IBAN
doc-bic = БИК/SWIFT

## The document template form (staff panel).

template-title = Шаблон документов
template-lead = Счета, созданные с этого момента, печатаются по этому шаблону; выставленные сохраняют шаблон, с которым были созданы.
template-saved = Сохранено.
template-header = Верхний колонтитул
template-footer = Нижний колонтитул
template-payment = Платёжные реквизиты
template-bank = Банк
template-iban = IBAN
template-bic = БИК/SWIFT
template-account-holder = Получатель
template-payment-text = Прочее
template-logo = Логотип: { $type }, { $size } байт.
template-logo-remove = Удалить
template-logo-none = Логотипа нет.
template-logo-file = Новый логотип (PNG или JPEG, до 256 КиБ)
template-logo-too-large = Логотип занимает { $size } байт; допускается не больше { $limit } байт (256 КиБ). Ничего не сохранено.
template-logo-not-image = Файл логотипа — не картинка PNG или JPEG. Ничего не сохранено.
template-save = Сохранить шаблон
# Договоры компании провайдера с клиентом (issue 20.2).
doc-contract-title = Договор { $number }
doc-contract-number = Номер договора
doc-contract-date = Дата договора
doc-contract-status = Статус
doc-contract-signed-on = Подписан
doc-contract-terminated-on = Расторгнут
doc-contract-draft = Черновик
doc-contract-signed = Подписан
doc-contract-terminated = Расторгнут
doc-contract-company = Исполнитель
doc-contract-client = Заказчик
