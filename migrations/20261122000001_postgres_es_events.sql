-- The event table exactly as postgres-es 0.5.0 ships it in db/init.sql, so that its repository
-- (which names these columns in every statement) reads our log unchanged.
-- Its `snapshots` table is left out on purpose: the 0.5.0 snapshot path applies events twice
-- (DESIGN.md, defect 1), and our own store keeps snapshots in `aggregate_snapshots`.
CREATE TABLE events
(
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);
