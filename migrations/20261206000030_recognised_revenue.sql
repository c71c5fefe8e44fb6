-- Recognised revenue (accrual basis) beside the cash view of report_revenue_daily: each charge,
-- credit and correction spread per day over the service period it pays for or gives back
-- (domain::revenue has the rule). Same keys and columns as report_revenue_daily; `day` is the
-- day of the service period, not the day of the event.
CREATE TABLE report_recognised_daily
(
    day         date    NOT NULL,
    provider_id uuid    NOT NULL,
    tariff_id   uuid    NOT NULL,
    item_type   text    NOT NULL,
    currency    text    NOT NULL,
    charged     numeric NOT NULL,
    credited    numeric NOT NULL,
    corrected   numeric NOT NULL,
    PRIMARY KEY (day, provider_id, tariff_id, item_type, currency)
);
CREATE INDEX report_recognised_provider ON report_recognised_daily (provider_id, day);

-- The period a charge pays for, so that its correction and its move to a new tariff are spread
-- over the same days. Empty in rows written before this column (the reports projection's
-- version 2 rebuilds them).
ALTER TABLE report_expenses ADD COLUMN period_start date, ADD COLUMN period_end date;
