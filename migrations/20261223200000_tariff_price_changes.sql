-- The price changes announced for each tariff (issue 19.2), listed on its staff page: one
-- `{"price": {"period", "price"}, "previous", "effective_on", "announced_on"}` per
-- `PriceChangeAnnounced`, in the order they were announced. The `tariffs` projection (version 2)
-- rebuilds the column from the log.
ALTER TABLE tariffs ADD COLUMN price_changes jsonb NOT NULL DEFAULT '[]'::jsonb;
