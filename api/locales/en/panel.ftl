# What both panels share: the layout, the navigation's labels, the pages that only say
# something, signing in.

layout-suffix = Billing
layout-zone-label = Time zone
layout-zone-hint = Time zone (IANA name, such as Europe/Berlin)
layout-zone-set = Set zone
layout-language-label = Language
layout-language-set = Set language
layout-sign-out = Sign out

nav-overview = Overview
nav-clients = Clients
nav-invoices = Invoices
nav-payments = Payments
nav-tickets = Tickets
nav-operations = Operations
nav-action-log = Action log
nav-services = Services
nav-tariffs = Tariffs
nav-promo-codes = Promo codes
nav-reports = Reports
nav-currencies = Currencies
nav-companies = Companies
nav-staff = Staff
nav-notifications = Notifications
nav-home = Home
nav-order = Order
nav-expenses = Expenses
nav-statement = Statement
nav-support = Support
nav-account = Account

msg-not-allowed = Not allowed
msg-not-allowed-text = Your permissions do not include this page.
msg-not-sent = Not sent from this panel
msg-not-sent-text = The form did not carry this session's token, so nothing was done. Reload the page and try again.
msg-failed = Something went wrong
msg-not-found = Not found
msg-time-zone = Time zone
msg-time-zone-text = Not a time zone: give an IANA name such as Europe/Berlin, or UTC.

login-title = Sign in
login-email = E-mail
login-password = Password
login-sign-in = Sign in

nothing-yet = Nothing yet.

# A statement's movements in words (pages::format::movement), in both panels.
movement-payment = Payment ({ $method })
movement-payment-converted = Payment ({ $method }) of { $paid } at { $rate } ({ $day })
movement-refund = Refund: { $reason }
movement-reversal = Payment reversed: { $reason }
movement-transfer-out = Balance moved to account { $account } by a merge
movement-transfer-in = Balance moved from account { $account } by a merge

# A billing period in words (`Lang::period`): "1 year 6 months" joins a count of years and one of
# months.
period-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
period-months = { $count ->
    [one] { $count } month
   *[other] { $count } months
}
period-years = { $count ->
    [one] { $count } year
   *[other] { $count } years
}
# A price per hour (hourly billing of VDS, ADR 37): the amount as written, with the currency.
price-per-hour = { $amount } { $currency }/h
