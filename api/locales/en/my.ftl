# The customer panel's pages.

my-login-title = Sign in to your account
my-home-title = Your account
my-not-allowed-text = Your role in this account does not include this page. The account's owner can change it.
my-not-found-text = There is no such page in your account.
my-accounts = Personal accounts
my-balance-in = Balance, { $currency }
my-credit-line = Credit limit { $limit } · available { $available }
my-no-account = No personal account yet: it opens with your first payment or order.
my-due = Due next
my-no-renewals = No service renews automatically.
my-renews-on = Renews on
my-period = Period
my-answers = Answers waiting for you
my-ticket = Ticket
my-answered = Answered
