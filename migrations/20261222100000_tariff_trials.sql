-- The trial of a tariff (issue 19.2): the free first period an order starts with, as the
-- tariff's `TrialSet` event has it ({"days": 14} or {"period": "P1M"}); NULL for none.
ALTER TABLE tariffs ADD COLUMN trial jsonb;
