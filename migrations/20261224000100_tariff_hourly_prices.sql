-- A tariff's prices per hour (hourly billing of VDS, ADR 37), as `HourlyPricesSet` has them: the
-- catalog shows them beside the period prices, to staff and to callers of GET /v1/tariffs.
ALTER TABLE tariffs ADD COLUMN hourly_prices jsonb NOT NULL DEFAULT '[]'::jsonb;
