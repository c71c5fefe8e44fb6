-- The action log was a second copy of the log: every event's payload (as jsonb) and metadata
-- fields beside the `events` row that already holds them, written again for every event (651 MB
-- with its indexes for a million events, against 691 MB for the log itself). It becomes an index
-- of the log: only what its readers filter and page by, each row naming its event by position;
-- a page reads the payload and metadata from `events` (joined on the unique
-- `events_global_position`). The projection's version rises with this, so it rebuilds the table
-- from the log; its rows were derived data, nothing is lost by dropping them. A new table rather
-- than dropped columns, so that no row carries the dropped columns' place.
DROP TABLE action_log;

-- `seq` numbers rows in the log's safe order, counted from the projection's checkpoint (see
-- 20261122000005), for a reader paging with `after=seq`; `position` names the event.
CREATE TABLE action_log
(
    seq        bigint NOT NULL UNIQUE,
    position   bigint PRIMARY KEY,
    actor      text   NOT NULL,
    event_type text   NOT NULL,
    client_id  uuid
);
CREATE INDEX action_log_client ON action_log (client_id, position) WHERE client_id IS NOT NULL;
CREATE INDEX action_log_actor ON action_log (actor, position);
