-- Domains (issue 20.4): the prices of each top-level domain per provider and currency, each
-- domain a client ordered, and the registrar operations on it with the contacts they carry
-- (what a registrar polls), as the Tld and Domain events say.
CREATE TABLE tld_prices (
    tld_id uuid PRIMARY KEY,
    provider_id uuid NOT NULL,
    tld text NOT NULL,
    currency text NOT NULL,
    prices jsonb NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX tld_prices_provider ON tld_prices (provider_id, tld, currency);

CREATE TABLE domains (
    domain_id uuid PRIMARY KEY,
    client_id uuid NOT NULL,
    provider_id uuid NOT NULL,
    account_id uuid NOT NULL,
    name text NOT NULL,
    tld text NOT NULL,
    status text NOT NULL,
    auto_renew boolean NOT NULL,
    expires_at timestamptz,
    ordered_at timestamptz NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX domains_client ON domains (client_id, domain_id);
CREATE INDEX domains_expiry ON domains (status, expires_at);

CREATE TABLE domain_operations (
    operation_id uuid PRIMARY KEY,
    domain_id uuid NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    years integer NOT NULL,
    status text NOT NULL,
    price numeric NOT NULL,
    currency text NOT NULL,
    contacts jsonb NOT NULL,
    requested_at timestamptz NOT NULL,
    answered_at timestamptz,
    expires_at timestamptz,
    reason text,
    position bigint NOT NULL
);
CREATE INDEX domain_operations_status ON domain_operations (status, operation_id);
CREATE INDEX domain_operations_domain ON domain_operations (domain_id, operation_id);
