-- A card gateway method's redirect address template, so that the companies read model shows it
-- (`GET /v1/companies`). The companies projection's version 2 fills it from the log.
ALTER TABLE payment_methods
    ADD COLUMN redirect_url text;
