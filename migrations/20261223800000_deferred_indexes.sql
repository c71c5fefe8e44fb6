-- A read model emptied to start again from the log's start (a rebuild, a new version of its code,
-- a node catching up from nothing) goes without its secondary indexes until it has caught up:
-- PostgreSQL writes its rows several times faster without them and builds each index once at the
-- end (BENCHMARKS.md, "What bounds the rebuild"). Each index dropped is written here in the
-- transaction that drops it, and deleted in the one that builds it again, so a crash in between
-- loses no index: whoever next finds the read model caught up builds what is listed.
CREATE TABLE deferred_indexes (
    name text PRIMARY KEY,
    projection text NOT NULL,
    definition text NOT NULL,
    deferred_at timestamptz NOT NULL DEFAULT now()
);
