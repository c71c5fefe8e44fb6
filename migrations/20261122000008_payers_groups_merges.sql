-- Issue 5: payers, client groups and status, merges and service transfers.
-- Every table here is a read model, written only by its projection.

ALTER TABLE clients ADD COLUMN merged_into uuid;
CREATE INDEX clients_status ON clients (status, created_at, id);

CREATE TABLE client_groups
(
    group_id    uuid PRIMARY KEY,
    provider_id uuid        NOT NULL,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    position    bigint      NOT NULL
);
CREATE INDEX client_groups_provider ON client_groups (provider_id, name);

CREATE TABLE client_group_members
(
    client_id uuid NOT NULL,
    group_id  uuid NOT NULL,
    PRIMARY KEY (client_id, group_id)
);
CREATE INDEX client_group_members_group ON client_group_members (group_id, client_id);

CREATE TABLE payers
(
    payer_id            uuid PRIMARY KEY,
    client_id           uuid        NOT NULL,
    provider_id         uuid        NOT NULL,
    kind                text        NOT NULL,
    name                text        NOT NULL,
    country             text        NOT NULL,
    vat_number          text,
    registration_number text,
    address             text,
    email               text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    position            bigint      NOT NULL
);
CREATE INDEX payers_client ON payers (client_id, created_at, payer_id);

ALTER TABLE payments ADD COLUMN payer_id uuid;

CREATE TABLE merges
(
    merge_id     uuid PRIMARY KEY,
    provider_id  uuid        NOT NULL,
    target_id    uuid        NOT NULL,
    sources      jsonb       NOT NULL,
    status       text        NOT NULL,
    started_on   date        NOT NULL,
    started_at   timestamptz NOT NULL,
    completed_at timestamptz,
    position     bigint      NOT NULL
);
CREATE INDEX merges_target ON merges (target_id, started_at);

-- One row per step event of a merge, in log order.
CREATE TABLE merge_steps
(
    position    bigint PRIMARY KEY,
    merge_id    uuid        NOT NULL,
    step        text        NOT NULL,
    client_id   uuid,
    subject_id  uuid,
    amount      numeric,
    currency    text,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX merge_steps_merge ON merge_steps (merge_id, position);
