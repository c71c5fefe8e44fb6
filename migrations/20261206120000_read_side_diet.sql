-- What a payment costs the read side is mostly index entries: PostgreSQL writes 1M action-log
-- rows into the bare table in a fifth of the time it takes with their indexes (BENCHMARKS.md,
-- "What bounds the rebuild"). Two cuts, neither losing a fact or a query:

-- 1. `payments` kept an index on `status` and one on `method` for the list's filters. Nearly
-- every payment is `credited` and stays so, and a method is shared by most payments, so both
-- indexes grew with every payment to serve filters that the page index (created_at, payment_id)
-- serves as well, except for the payments that are not credited (new, in progress, refunded,
-- cancelled, fraud): a staff member's "what is waiting" list. Those keep an index of their own
-- that a credited payment never enters.
DROP INDEX payments_status;
DROP INDEX payments_method;
CREATE INDEX payments_unsettled ON payments (status, created_at) WHERE status <> 'credited';

-- 2. The rows that are updated in place on every money event (a balance, a day's sums, an
-- account's debt, a service's paid-until date) were written into full pages, so almost no update
-- could stay on its page: 1,685 of 111,687 balance updates in a rebuild were HOT, the others
-- wrote a new entry in each of the table's indexes. Room on each page lets PostgreSQL update
-- such a row beside the old one without touching an index. The tables are small (one row per
-- account, service or day), so the room costs little. New pages get it; existing tables get it
-- as their pages are rewritten (a rebuild, VACUUM FULL).
ALTER TABLE balances SET (fillfactor = 50);
ALTER TABLE report_accounts SET (fillfactor = 50);
ALTER TABLE report_payments_daily SET (fillfactor = 50);
ALTER TABLE report_revenue_daily SET (fillfactor = 50);
ALTER TABLE report_recognised_daily SET (fillfactor = 50);
ALTER TABLE report_services SET (fillfactor = 70);
ALTER TABLE report_clients SET (fillfactor = 70);
ALTER TABLE services SET (fillfactor = 70);
