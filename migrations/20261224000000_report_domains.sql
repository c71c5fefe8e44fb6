-- Reports attribute a domain's charges (issue 20.4, ADR 33): a domain is no service, so its
-- registrations and renewals are charged under the domain's id. The reports projection keeps
-- each domain's provider from `DomainOrdered`, so that its revenue counts at that provider under
-- the item type `domain` (with no tariff: a domain is priced by its TLD) rather than `unknown`.
CREATE TABLE report_domains (
    domain_id   uuid   PRIMARY KEY,
    provider_id uuid   NOT NULL,
    position    bigint NOT NULL
);
