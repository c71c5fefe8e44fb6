# Contracts between the provider's company and a client (issue 20.2).
nav-contracts = Contracts
my-contracts-title = Contracts
my-no-contracts = You have no contracts.
my-contract-date = Date
my-contract-company = With
contracts-title = Contracts
contracts-client = Client
contracts-company = Company
contracts-date = Date
contracts-signed-on = Signed on
contracts-terminated-on = Terminated on
contracts-templates = Contract templates
contracts-template-name = Template
contracts-prefix = Prefix
contracts-version = Version
contracts-published = Published
