-- Projection workers are woken by a NOTIFY that writers send after their transaction commits,
-- not by a trigger inside it. PostgreSQL serializes the commits of notifying transactions on one
-- global lock held through the commit's WAL flush, so with the trigger no two appends could
-- flush together and group commit gained nothing (ADR 8). A NOTIFY sent in a transaction of its
-- own writes no WAL to wait for. Workers also poll, so a writer that dies between its commit and
-- its NOTIFY delays them by at most the poll interval.
DROP TRIGGER events_notify ON events;
DROP FUNCTION events_notify();
