-- Every projection's place in the log. The worker moves it in the same transaction as its
-- read-model writes, so each event takes effect exactly once. `version` is the projection's code
-- version: when the code's is higher, the projection is rebuilt from the start of the log.
CREATE TABLE projection_checkpoints
(
    name       text        PRIMARY KEY,
    tx_id      xid8        NOT NULL DEFAULT '0',
    position   bigint      NOT NULL DEFAULT 0,
    version    int         NOT NULL,
    events     bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE providers
(
    id         uuid PRIMARY KEY,
    name       text        NOT NULL,
    currency   text        NOT NULL,
    created_at timestamptz NOT NULL,
    position   bigint      NOT NULL
);

CREATE TABLE clients
(
    id          uuid PRIMARY KEY,
    provider_id uuid        NOT NULL,
    currency    text        NOT NULL,
    name        text        NOT NULL,
    email       text        NOT NULL,
    kind        text        NOT NULL,
    country     text        NOT NULL,
    status      text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    position    bigint      NOT NULL
);
-- Staff search by name or e-mail substring; pagination is keyset on (created_at, id).
CREATE INDEX clients_page ON clients (created_at, id);

CREATE TABLE balances
(
    account_id   uuid PRIMARY KEY,
    client_id    uuid           NOT NULL,
    provider_id  uuid           NOT NULL,
    currency     text           NOT NULL,
    balance      numeric        NOT NULL,
    credit_limit numeric        NOT NULL,
    updated_at   timestamptz    NOT NULL,
    position     bigint         NOT NULL
);
CREATE INDEX balances_client ON balances (client_id);

-- `seq` numbers rows in the order the worker applied them, which is the log's safe order, so a
-- reader paging with `after=seq` never misses an event that committed late. A rebuild restarts
-- the identity and so gives every row the same number again.
CREATE TABLE action_log
(
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    position       bigint PRIMARY KEY,
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL,
    actor          text        NOT NULL,
    on_behalf_of   text,
    request_id     text,
    command        text,
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    sequence       bigint      NOT NULL,
    event_type     text        NOT NULL,
    client_id      uuid,
    payload        jsonb       NOT NULL
);
CREATE INDEX action_log_client ON action_log (client_id, position) WHERE client_id IS NOT NULL;
CREATE INDEX action_log_actor ON action_log (actor, position);

-- Which client an aggregate belongs to, so that the action log can be filtered by client for
-- events (such as an account's) whose payload does not name one.
CREATE TABLE action_log_subjects
(
    aggregate_id text PRIMARY KEY,
    client_id    uuid NOT NULL
);
