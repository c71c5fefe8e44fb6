-- Issue 5: departments, staff, client users and tokens as read models (lists for staff).
-- Written only by the `access` projection. No password hash and no token digest is copied here:
-- those stay in the events, which only the authentication path reads.

CREATE TABLE departments
(
    id              uuid PRIMARY KEY,
    name            text        NOT NULL,
    accepts_tickets boolean     NOT NULL,
    permissions     jsonb       NOT NULL,
    created_at      timestamptz NOT NULL,
    position        bigint      NOT NULL
);

CREATE TABLE staff_members
(
    id            uuid PRIMARY KEY,
    name          text        NOT NULL,
    login         text        NOT NULL UNIQUE,
    departments   jsonb       NOT NULL,
    grants        jsonb       NOT NULL,
    administrator boolean     NOT NULL,
    status        text        NOT NULL,
    created_at    timestamptz NOT NULL,
    position      bigint      NOT NULL
);

CREATE TABLE client_users
(
    id         uuid PRIMARY KEY,
    client_id  uuid        NOT NULL,
    name       text        NOT NULL,
    login      text        NOT NULL UNIQUE,
    roles      jsonb       NOT NULL,
    status     text        NOT NULL,
    created_at timestamptz NOT NULL,
    position   bigint      NOT NULL
);
CREATE INDEX client_users_client ON client_users (client_id, created_at);

CREATE TABLE access_tokens
(
    id         uuid PRIMARY KEY,
    kind       text        NOT NULL,
    subject    jsonb       NOT NULL,
    client_id  uuid,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    position   bigint      NOT NULL
);
CREATE INDEX access_tokens_kind ON access_tokens (kind, issued_at);
