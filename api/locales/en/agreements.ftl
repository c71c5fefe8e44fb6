# Agreements (offers) an order accepts, and their staff page (issue 20.2).
my-agreement-accept = I have read and accept the agreement (version { $version })
agreements-title = Agreements
agreements-scope = Covers
agreements-version = Version
agreements-published = Published
agreements-language = Language
agreements-text-title = Title
agreements-text-body = Text
agreements-publish = Publish a new version
agreements-tariff = Tariff
agreements-item-type = Item type
agreements-none = No agreement has been published.
