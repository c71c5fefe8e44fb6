# The staff panel's pages.

dash-login-email = E-mail (or <code>admin</code>)
dash-login-password = Password (or the administrator token)
login-wrong = The e-mail address or the password is not right.
login-too-many = Too many sign-ins; wait a little and try again.

overview-title = Overview
overview-empty = Your permissions show nothing on this page.
overview-income-today = income today
overview-income-month = income this month
overview-none = none
overview-mrr = MRR
overview-owed = owed
overview-debtor-accounts = debtor accounts
overview-services = services { $status }
overview-operations-pending = operations pending
overview-operations-failed = operations failed
overview-revenue-30 = Revenue, last 30 days
overview-revenue-30-none = No revenue in the last 30 days.
overview-revenue-12 = Revenue, last 12 months
overview-revenue-12-none = No revenue in the last 12 months.
overview-tickets = Tickets waiting for an answer
overview-department = Department
overview-tickets-count = Tickets
overview-waiting-since = Waiting since
overview-nobody-waits = Nobody waits.
overview-debts = Largest debts
overview-nobody-owes = Nobody owes anything.
overview-operations = Operations waiting
overview-nothing-waits = Nothing waits.

col-client = Client
col-balance = Balance
col-operation = Operation
col-status = Status
col-service = Service
col-since = Since
col-name = Name
col-email = E-mail
col-country = Country
col-registered = Registered
col-currency = Currency
col-credit-limit = Credit limit
col-tariff = Tariff
col-type = Type
col-paid-until = Paid until
col-price = Price
col-actions = Actions
col-when = When
col-kind = Kind
col-what = What
col-amount = Amount
col-number = Number
col-issued = Issued
col-total = Total
col-method = Method
col-refund = Refund
col-subject = Subject
col-messages = Messages
col-updated = Updated
col-answer = Answer
col-login = Login
col-roles = Roles
col-vat = VAT number

clients-title = Clients
clients-count = { $count ->
    [one] { $count } client
   *[other] { $count } clients
}
clients-search-hint = Name or e-mail
clients-sort = Sort by
clients-by-name = by name
clients-by-email = by e-mail
clients-newest = newest first
clients-search = Search
clients-shown = { $shown } of { $total }
clients-previous = Previous
clients-next = Next
clients-register = Register a client
clients-provider = Provider
clients-kind-individual = individual
clients-kind-company = company
clients-kind-sole = sole proprietor
clients-country-code = Country (ISO code)
clients-register-button = Register
clients-registered = The client is registered.
client-none = No such client
invoice-none = No such invoice

client-facts-registered = registered { $when }
client-its-log = its action log
client-balance = Balance
client-no-account = No account yet.
client-post-payment = Post a payment
client-post-payment-button = Post payment
client-order = Order a service
client-period = Period
client-period-1m = 1 month
client-period-3m = 3 months
client-period-6m = 6 months
client-period-12m = 12 months
client-period-1d = 1 day
client-auto-prolong = renew automatically
client-order-button = Order
client-issue-invoice = Issue an invoice
client-company = Company
client-quantity = Quantity
client-unit-price = Unit price
client-issue-button = Issue
client-services = Services
client-transfer = Transfer…
client-no-service = No service yet.
client-statement = Statement
client-invoices = Invoices
client-send = Send to client
client-payments = Payments
client-reason = Reason
client-refund-amount = Amount to refund
client-refund-why = Why
client-refund-button = Refund
client-tickets = Tickets
client-answer-button = Answer
client-users = Users
client-no-users = Nobody signs in for this client.
client-payers = Payers
client-no-payers = The client pays itself.
client-suspend = Suspend
client-resume = Resume
client-close = Close

done-payment = The payment is posted.
done-order = The service is ordered.
done-suspend = The service's suspension is requested.
done-resume = The service's resumption is requested.
done-close = The service is closed.
done-register = The client is registered.
done-refund = The refund is recorded.
done-answer = The answer is sent.
done-invoice = The invoice is issued.
done-edit = The client's details are saved.
done-adjustment = The balance is adjusted.
done-credit-limit = The credit limit is set.
done-credit-note = The credit note is issued.
done-send = The document is sent to the client: its e-mail is below.
done-transfer = The service is moved to the other client.
done-merge = The merge is started: the other client's services, payers and balances move here.
done-other = Done.

chart-revenue-in = Revenue in { $currency }

# Page titles.
title-invoices = Invoices
title-payments = Payments
title-ticket-queue = Ticket queue
title-reports = Reports
title-action-log = Action log
title-operations = Operations
title-services = Services
title-tariffs = Tariffs
title-promo-codes = Promo codes
title-currencies = Currencies and rates
title-companies = Companies
title-staff = Staff and departments
title-notifications = Notifications

list-documents = { $count ->
    [one] { $count } document
   *[other] { $count } documents
}
list-payments = { $count ->
    [one] { $count } payment
   *[other] { $count } payments
}

# A client's domain contacts on its page (helper "domains").
client-domain-contacts = Domain contacts
client-no-domain-contacts = No domain contacts.
client-phone = Phone
