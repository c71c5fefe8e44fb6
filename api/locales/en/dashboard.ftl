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

# Words several pages share.

show-button = Show
word-yes = yes
word-no = no
every-status = every status
every-item-type = every item type
nothing-matches = Nothing matches.
word-on = on
word-off = off
unit-h = h
unit-min = min
unit-s = s
filter-button = Filter

# Column headings (the tables of `tables.html` name them by key).

col-item-type = Item type
col-ordered = Ordered
col-price-per-period = Price per period
col-period = Period
col-renews = Renews
col-prices = Prices
col-created = Created
col-fee = Fee
col-code = Code
col-discount = Discount
col-applies-to = Applies to
col-uses = Uses
col-valid = Valid
col-base = Base
col-quote = Quote
col-rate = Rate
col-minor-units = Minor units
col-invoice-numbers = Invoice numbers
col-payment-methods = Payment methods
col-document-template = Document template
col-clients-in = Clients in
col-tax-rate = Rate
col-tax-is = Tax is
col-reverse-charge = Reverse charge
col-departments = Departments
col-own-permissions = Own permissions
col-administrator = Administrator
col-permissions = Permissions
col-takes-tickets = Takes tickets
col-queued = Queued
col-to = To
col-attempts = Attempts
col-last-error = Last error
col-language = Language
col-changed = Changed
col-title = Title
col-from = From
col-until = Until
col-withdrawn = Withdrawn
col-charged = Charged
col-credited = Credited
col-corrected = Corrected
col-income = Income
col-period-from = Period from
col-payments = Payments
col-paid = Paid
col-refunded = Refunded
col-reversed = Reversed
col-net = Net
col-owed = Owed
col-below-zero-since = Below zero since
col-days = Days
col-active-services = Active services
col-recognised = Recognised
col-deferred = Deferred
col-month = Month
col-new = New
col-lost = Lost
col-active = Active
col-answers = Answers
col-mean-wait = Mean wait
col-median-wait = Median wait
col-longest-wait = Longest wait
col-waiting-now = Waiting now
col-mrr = MRR
col-services = Services
col-due = Due
col-requested = Requested
col-attempt = Attempt

# The services, tariffs and promo codes pages.

services-not-paid-yet = not paid yet
services-by-paid-until = paid until, soonest first
services-by-tariff = by tariff
tariff-none = No such tariff
tariff-none-text = There is no such tariff.
tariff-prices = Prices per period and currency
tariff-setup-fees = Set-up fees
tariff-addons = Add-ons
tariff-hourly-prices = Prices per hour
col-per-hour = Per hour
col-monthly-cap = Monthly cap
tariff-no-cap = none
hourly-title = Prices per hour
hourly-lead = A VDS ordered from this tariff is charged, each day, the clock hours it ran at its currency's price, at most the monthly cap a month. Services already ordered keep the price they were sold at. Leave a price empty for no hourly billing in that currency.
hourly-save = Save the prices per hour
hourly-saved = The prices per hour are saved.
staff-problem-invalid-hourly-price = { $detail }
staff-problem-hourly-currency-not-priced = { $detail }
staff-problem-duplicate-hourly-price = { $detail }
tariff-intro = { $type }, { $status } of { $provider }, created { $created }
promo-uses-of = { $uses } of { $max }
promo-uses-unlimited = { $uses } (no limit)
promo-always = always
promo-from = from { $from }
promo-through = through { $until }
promo-from-through = { $from } through { $until }
promo-every-charge = every charge
promo-first-charge = first charge
service-none = No such service

# The invoices and payments lists, the ticket queue and one ticket.

list-nothing-matches = nothing matches
list-first-page = First page
queue-nobody-waits = Nobody waits for an answer.
ticket-none = No such ticket
ticket-done-assign = The ticket is assigned.
ticket-done-close = The ticket is closed.
ticket-nobody = nobody in particular
ticket-a-staff-member = a member of staff
ticket-a-user = a user of the client
ticket-someone = someone
ticket-assigned-to = assigned to
ticket-opened = opened
ticket-thread = Thread
ticket-files = { $count } file(s)
ticket-no-message = No message yet.
ticket-send-answer = Send answer
ticket-assign = Assign
ticket-staff-member = Staff member
ticket-close = Close the ticket
payment-none = No such payment

# The operations page and the billing day.

operations-done-retry = The operation is requested again.
billing-day = Day
billing-services = Services looked at
billing-charged = Periods charged
billing-refused = Charges refused
billing-suspensions = Suspensions requested
billing-deletions = Deletions requested
billing-closed = Services closed
billing-notices = Expiry notices
billing-took = Took (ms)
billing-report = The billing day's report
billing-run-title = Run the billing day
billing-day-field = Day (YYYY-MM-DD)
billing-run = Run
billing-hint = charges what is due, suspends what cannot be paid; running a day again changes nothing
operations-pending = pending
operations-failed = failed
operations-for = for { $day }
operations-retry = Retry
operations-none = No { $status } operation.
operations-next-page = Next page

# The action log.

log-client-not-id = client: not an id
log-actor-hint = Actor, e.g. admin or staff:admin
log-actor = Actor
log-client-hint = Client id
log-event-hint = Event, e.g. PaymentPosted
log-event = Event
log-on-behalf-of = On behalf of
log-of = Of
log-older = Older

# The client page's forms, acting as a client, merging and transferring, sending a document.

client-not-rendered = (not rendered yet)
ca-details = Client details
ca-save = Save
ca-adjust = Adjust the balance
ca-adjust-amount = Amount (negative debits)
ca-adjust-button = Adjust
ca-limit-amount = How far below zero
ca-set-limit = Set limit
ca-credit-note = Issue a credit note
ca-invoice = Invoice
ca-no-invoice = No invoice issued yet
ca-credit-line = A line, or leave the price empty to credit the whole invoice:
ca-issue-credit-note = Issue credit note
ca-more = More
ca-merge = Merge into another client…
ca-act-as = Act as this client
ca-invoice-mails = Invoice e-mails
ca-invoice-mails-note = The notifier e-mails an invoice when it is issued, and again each time staff send it to the client.
ca-no-mails = No invoice e-mailed yet.
act-as-the-client = the client
act-as-title = Acting as { $name }
act-as-issued = A token acting as this client is issued. It is shown only now and stops working at
act-as-note = It sees and may do what the client's owner may, never more than you may; everything done with it names you as the actor, on behalf of the client. This browser now opens the customer panel as the client; with the API, send it as
act-as-token = Token
act-as-open-panel = Open the customer panel as the client
act-as-back = Back to the client
merge-title = Merge { $name }
merge-intro = Choose the client { $name } is merged into: its services, payers and balances move there, and it is marked merged.
merge-button = Merge into this client
transfer-title = Transfer a service of { $name }
transfer-intro = Choose the client the service moves to; its past charges stay on { $name }'s statement.
transfer-button = Move the service here
choose-find-client = Find a client
choose-none = No client matches.
send-client-page = The client's page

# The settings pages.

currencies-rates = Exchange rates in effect on { $day }
currencies-kept-in = Currencies amounts are kept in
companies-numbering = { $prefix } (restarts { $reset })
companies-edit = Edit
companies-every-other-country = every other country
companies-reverse-charge = reverse charge for businesses with a VAT number
companies-tax-rules = Tax rules
staff-staff = Staff
notifications-outbox = Notices sent to clients
notifications-templates = Message templates
notifications-every-language = every language
notifications-announcements = Announcements

# The reports page.

rep-from = From
rep-to = to
rep-to-label = To (not included)
rep-not-included = (not included)
rep-rows-per = Rows per
rep-per-month = per month
rep-per-day = per day
rep-basis = Income basis
rep-basis-hint = Income on the day charged (cash) or spread over the service period (recognised)
rep-cash = cash basis
rep-recognised = recognised basis
rep-every-provider = every provider
rep-currency-hint = currency (EUR)
rep-method-hint = payment method
rep-as-of = deferred revenue as of
rep-services-status = Services status
rep-every-status = services in every status
report-none = No such report
report-none-text = There is no such report.
report-unknown-tariff = unknown tariff
report-basis-recognised = each amount spread per day over the service period it pays for (recognised basis)
report-basis-cash = on the day charged (cash basis)
report-intro = Income is charges less credits less corrections, { $basis }. Empty dates are the last twelve months; the filters narrow the reports that take them.
report-income = Income
report-income-per-period = Income per period
report-income-by-type = Income by item type
report-income-by-tariff = Income by tariff
report-payments = Payments per period and method
report-net-payments = Net payments
report-debtors = Debtors
report-owed = Owed
report-mrr = Monthly recurring revenue
report-deferred = Deferred revenue at the end of { $day }
report-deferred-total = Deferred
report-services = Services by tariff and status
report-clients = New and lost clients per month
report-response-times = First answers per department, within business hours (the last 30 days when no dates are given)

# Status and kind codes the staff panel shows beyond the customer panel's (`code-…` in my.ftl):
# `Lang::named`; `{family}-…` where a family's code reads otherwise (`Lang::named_in`).

code-other = other
code-fraud = fraud
code-card-gateway = card_gateway
code-manual = manual
code-archived = archived
code-disabled = disabled
code-merged = merged
code-included = included
code-added = added
code-yearly = yearly
code-never = never
code-monthly = monthly
code-quantity = quantity
code-toggle = toggle
code-choice = choice
code-individual = individual
code-company = company
code-sole-proprietor = sole_proprietor
code-user = user
code-staff = staff
code-invoice = invoice
code-invoice-issued = invoice_issued
code-payment-credited = payment_credited
code-service-activated = service_activated
code-service-suspended = service_suspended
code-service-deleted = service_deleted
code-service-expiring = service_expiring
code-domain-expiring = domain_expiring
code-domain-expired = domain_expired
code-low-balance = low_balance
code-ticket-answered = ticket_answered
code-sent = sent
code-sending = sending
code-completed = completed
code-activate = activate
code-suspend = suspend
code-resume = resume
code-delete = delete
code-close = close
code-charge = charge
code-payment = payment
code-refund = refund
code-adjustment = adjustment
code-credit = credit
code-reversal = reversal
code-transfer-in = transfer in
code-transfer-out = transfer out
invoice-status-credited = credited
operation-status-pending = pending
operation-status-failed = failed
operation-status-retried = retried
operation-status-done = done
code-client = client
code-owner = owner
code-billing = billing
code-technical = technical
code-not-configured = not_configured
code-retried = retried
code-done = done

# What the action log names a change that is of no service (`aggregate-…`, `Lang::named_in`).

aggregate-access-token = Access token
aggregate-account = Account
aggregate-announcement = Announcement
aggregate-answer-template = Answer template
aggregate-client = Client
aggregate-client-group = Client group
aggregate-client-user = Client user
aggregate-company = Company
aggregate-department = Department
aggregate-exchange-rates = Exchange rates
aggregate-invoice = Invoice
aggregate-invoice-book = Invoice numbering
aggregate-merge = Merge
aggregate-message-template = Message template
aggregate-notice-settings = Notice settings
aggregate-payer = Payer
aggregate-payment = Payment
aggregate-promo-code = Promo code
aggregate-provider = Provider
aggregate-service = Service
aggregate-staff-member = Staff member
aggregate-tariff = Tariff
aggregate-ticket = Ticket
aggregate-ticket-category = Ticket category
# A client's domain contacts on its page (helper "domains").
client-domain-contacts = Domain contacts
client-no-domain-contacts = No domain contacts.
client-phone = Phone

# Problems on the staff panel's forms (FormError::said): English quotes the API's own detail,
# which names ids and fields; other languages word the problem (the code is shown beside it).
staff-problem-amount-not-positive = { $detail }
staff-problem-not-positive = { $detail }
staff-problem-client-deleted = { $detail }
staff-problem-client-inactive = { $detail }
staff-problem-client-merged = { $detail }
staff-problem-credit-exceeds-charge = { $detail }
staff-problem-currency-mismatch = { $detail }
staff-problem-insufficient-funds = { $detail }
staff-problem-invalid-amount = { $detail }
staff-problem-invalid-email = { $detail }
staff-problem-invalid-form = { $detail }
staff-problem-invalid-method = { $detail }
staff-problem-invalid-name = { $detail }
staff-problem-invalid-reason = { $detail }
staff-problem-negative-credit-limit = { $detail }
staff-problem-operation-in-progress = { $detail }
staff-problem-period-not-offered = { $detail }
staff-problem-refund-exceeds-payment = { $detail }
staff-problem-refund-exceeds-unallocated = { $detail }
staff-problem-service-closed = { $detail }
staff-problem-service-not-active = { $detail }
staff-problem-source-of-another-provider = { $detail }
staff-problem-staff-login-needed = { $detail }
staff-problem-target-in-sources = { $detail }
staff-problem-tariff-archived = { $detail }
staff-problem-tariff-not-found = { $detail }
staff-problem-ticket-closed = { $detail }
staff-problem-too-precise = { $detail }
staff-problem-unknown-currency = { $detail }
staff-problem-zero-adjustment = { $detail }
