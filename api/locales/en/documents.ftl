# Printed documents (invoices, proforma invoices, credit notes) and the staff panel's form of a
# company's document template.

## The documents.

doc-invoice = Invoice
doc-proforma = Proforma invoice
doc-credit-note = Credit note
doc-title = { $kind } { $number }
doc-title-draft = { $kind } (draft)
doc-issued-on = Date of issue
doc-due-on = Due
doc-status = Status
doc-status-draft = draft
doc-status-issued = issued
doc-status-paid = paid
doc-status-credited = credited
doc-status-partially_credited = partially credited
doc-status-partially_paid = partially paid
doc-status-cancelled = cancelled
doc-currency = Currency
doc-period = Period
doc-period-range = { $start } to { $end }
doc-payment = Payment
doc-corrects-invoice = Corrects invoice
doc-corrects = This credit note corrects invoice { $number }.
doc-corrects-earlier = This credit note corrects an earlier invoice.
doc-seller = Seller
doc-bill-to = Bill to
doc-vat-number = VAT number { $number }
doc-col-description = Description
doc-col-quantity = Qty
doc-col-unit-price = Unit price
doc-col-discount = Discount
doc-col-net = Net
doc-col-vat-rate = VAT %
doc-col-gross = Gross
doc-total-net = Net
doc-total-vat = VAT { $rate }% on { $net }
doc-total = Total { $currency }
doc-credited = Credited
doc-payment-details = Payment details
doc-bank = Bank
doc-account-holder = Account holder
doc-iban = IBAN
doc-bic = BIC/SWIFT

## The document template form (staff panel).

template-title = Document template
template-lead = Invoices drafted from now on print this template; issued ones keep the template they were drafted with.
template-saved = Saved.
template-header = Header
template-footer = Footer
template-payment = Payment details
template-bank = Bank
template-iban = IBAN
template-bic = BIC/SWIFT
template-account-holder = Account holder
template-payment-text = Other
template-logo = Logo: { $type }, { $size } bytes.
template-logo-remove = Remove it
template-logo-none = No logo.
template-logo-file = A new logo (PNG or JPEG, up to 256 KiB)
template-logo-too-large = The logo is { $size } bytes; a logo may have at most { $limit } bytes (256 KiB). Nothing was saved.
template-logo-not-image = The logo file is not a PNG or JPEG picture. Nothing was saved.
template-save = Save the template
# Contracts between the provider's company and a client (issue 20.2).
doc-contract-title = Contract { $number }
doc-contract-number = Contract number
doc-contract-date = Contract date
doc-contract-status = Status
doc-contract-signed-on = Signed on
doc-contract-terminated-on = Terminated on
doc-contract-draft = Draft
doc-contract-signed = Signed
doc-contract-terminated = Terminated
doc-contract-company = Provider
doc-contract-client = Client
