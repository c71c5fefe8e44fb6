-- Issue 20.5, ADR 25: provisioning and payment modules called over HTTP with HMAC signatures.

-- A module's HMAC key is a secret kept beside the log like passwords (ADR 11).
ALTER TABLE credentials DROP CONSTRAINT credentials_kind_check;
ALTER TABLE credentials
    ADD CONSTRAINT credentials_kind_check CHECK (kind IN ('password', 'token_sha256', 'module_hmac'));

-- The modules as registered (ModuleRegistered), written by the module outbox with its
-- checkpoint. No secret here.
CREATE TABLE module_registry
(
    module_id   uuid   PRIMARY KEY,
    provider_id uuid   NOT NULL,
    kind        text   NOT NULL CHECK (kind IN ('provisioning', 'payment')),
    base_url    text   NOT NULL,
    serves      text[] NOT NULL,
    key_id      text   NOT NULL,
    fingerprint text   NOT NULL,
    position    bigint NOT NULL
);

-- Which provisioning module serves each service (chosen when it was ordered, by its item type),
-- and what a request about it says of the service.
CREATE TABLE module_services
(
    service_id  uuid  PRIMARY KEY,
    module_id   uuid  NOT NULL,
    client_id   uuid  NOT NULL,
    item_type   text  NOT NULL,
    tariff_id   uuid  NOT NULL,
    tariff_name text  NOT NULL
);

-- The outbox of signed requests to modules: one row per operation (its id is the request's
-- Idempotency-Key), inserted with the outbox's checkpoint, so each is queued once. The sender
-- claims due rows with a lease, sends, and marks them; a failure is retried with exponential
-- backoff up to a bounded number of attempts. Never emptied.
CREATE TABLE module_deliveries
(
    id           uuid        PRIMARY KEY,
    module_id    uuid        NOT NULL,
    service_id   uuid,
    kind         text        NOT NULL,
    body         text        NOT NULL,
    position     bigint      NOT NULL,
    status       text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts     integer     NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL DEFAULT now(),
    last_error   text,
    delivered_at timestamptz,
    -- What the module's signed callback reported (`done` or `failed`), and when.
    outcome      text,
    outcome_at   timestamptz
);

CREATE INDEX module_deliveries_due ON module_deliveries (next_at) WHERE status IN ('pending', 'sending');
CREATE INDEX module_deliveries_service ON module_deliveries (service_id, position);
