-- Issue 20.4 with 20.5, ADR 33: registrar modules. A module of kind `registrar` serves TLDs; the
-- module outbox sends it each domain's register, transfer and renew operations.
ALTER TABLE module_registry DROP CONSTRAINT module_registry_kind_check;
ALTER TABLE module_registry
    ADD CONSTRAINT module_registry_kind_check CHECK (kind IN ('provisioning', 'payment', 'registrar'));

-- Which registrar module serves each domain (chosen when it was ordered, by its TLD), and what
-- a request about it says of the domain. Written by the module outbox with its checkpoint from
-- the `DomainOrdered` event alone (no other read model); never emptied, like the outbox's
-- other tables.
CREATE TABLE module_domains
(
    domain_id uuid PRIMARY KEY,
    module_id uuid NOT NULL,
    client_id uuid NOT NULL,
    name      text NOT NULL,
    tld       text NOT NULL
);

-- A delivery's `service_id` is the subject whose requests go out in log order: the service,
-- or for a registrar the domain.
COMMENT ON COLUMN module_deliveries.service_id IS
    'the service (provisioning) or the domain (registrar) whose requests go out in log order';
