-- Usage-based charging (issue 20.3, ADR 24): the raw usage records, high-volume facts kept in
-- their own append-only table (never updated or deleted), written before the ingestion answers.
-- The id is the sender's idempotency id: a record sent again is recognised and ignored.
CREATE TABLE usage_records (
    id          text        PRIMARY KEY,
    service_id  uuid        NOT NULL,
    metric      text        NOT NULL,
    quantity    numeric     NOT NULL CHECK (quantity >= 0),
    unique_key  text,
    at          timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- A period's records of a service, as the billing day reads them.
CREATE INDEX usage_records_service_at ON usage_records (service_id, at);

-- The services that ever sent usage: the billing day's list of whom to charge.
CREATE TABLE usage_services (
    service_id uuid        PRIMARY KEY,
    first_at   timestamptz NOT NULL
);
