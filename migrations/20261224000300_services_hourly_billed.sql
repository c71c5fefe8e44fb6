-- Whether a service was ever on terms priced per hour (ADR 37, addendum): the billing day's
-- hourly step charges each such service, as one moved off its hourly tariff still owes the hours
-- up to the change. The services read model (version 2) fills it when it is rebuilt.
ALTER TABLE services ADD COLUMN hourly_billed boolean NOT NULL DEFAULT false;
