-- `action_log.seq` was an identity column, but identity values are not rolled back: a batch that
-- failed after inserting its rows (a crash, a killed connection) used numbers up, so the numbers
-- of a live read model had gaps that a rebuild did not, and a reader's `after=seq` cursor meant
-- different rows before and after a rebuild. The projection now numbers rows itself from its
-- checkpoint's event count, which moves in the same transaction as the rows: the same log gives
-- the same numbers, whatever crashed on the way.
ALTER TABLE action_log ALTER COLUMN seq DROP IDENTITY IF EXISTS;
