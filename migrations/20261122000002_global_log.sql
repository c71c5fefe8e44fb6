-- The global, ordered log. postgres-es never names these columns, so they fill themselves.
--
-- global_position orders events within a transaction and breaks ties; tx_id is the writing
-- transaction's id, which the safe-order reader compares against the oldest transaction still
-- running, so that an event committed late is never skipped (DESIGN.md, "The event log").
ALTER TABLE events
    ADD COLUMN global_position bigint GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();

CREATE UNIQUE INDEX events_global_position ON events (global_position);
CREATE INDEX events_safe_order ON events (tx_id, global_position);

-- The log is append-only: corrections are new events. Nobody, the application included, may
-- update or delete a row. (A superuser can still disable the trigger; the audit chain catches that.)
CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- Wake projection workers on every node when a transaction that appended events commits.
-- NOTIFY is delivered at commit and folded within a transaction, so this costs one message per
-- appending transaction, not per event.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('billing_events', '');
    RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

-- One snapshot per aggregate, replaced as the stream grows. `state_version` names the shape of
-- the serialized state: a snapshot of another version is ignored and the stream replayed.
CREATE TABLE aggregate_snapshots
(
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    state_version  int    NOT NULL,
    last_sequence  bigint NOT NULL CHECK (last_sequence > 0),
    last_position  bigint NOT NULL,
    payload        json   NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Caller-chosen ids of money-moving commands (payment_id, adjustment_id) and Idempotency-Key
-- headers, with the answer the first call gave (`answer`, completed by `position`). A key is written in the same transaction as the events its command caused, so a
-- crash can neither lose the answer nor apply the command twice.
CREATE TABLE command_keys
(
    scope          text        NOT NULL,
    key            text        NOT NULL,
    fingerprint    bytea       NOT NULL,
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    position       bigint      NOT NULL,
    answer         json        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
