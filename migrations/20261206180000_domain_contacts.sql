-- Domain contacts and the domains of domain services: read models, written only by the
-- `domain_contacts` projection.

CREATE TABLE domain_contacts
(
    contact_id         uuid PRIMARY KEY,
    client_id          uuid        NOT NULL,
    provider_id        uuid        NOT NULL,
    kind               text        NOT NULL,
    name               text        NOT NULL,
    organisation       text,
    email              text        NOT NULL,
    phone              text        NOT NULL,
    street             text        NOT NULL,
    city               text        NOT NULL,
    region             text,
    postal_code        text        NOT NULL,
    country            text        NOT NULL,
    birth_date         date,
    passport_number    text,
    passport_issued_by text,
    passport_issued_on date,
    services           integer     NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    position           bigint      NOT NULL
);
CREATE INDEX domain_contacts_client ON domain_contacts (client_id, created_at, contact_id);

CREATE TABLE service_domains
(
    service_id    uuid PRIMARY KEY,
    domain_name   text   NOT NULL,
    registrant_id uuid   NOT NULL,
    admin_id      uuid   NOT NULL,
    tech_id       uuid   NOT NULL,
    position      bigint NOT NULL
);
