-- Invoices paid in instalments (ADR 38): what payments naming an invoice paid of it before the
-- one that settled it, from `InvoicePartlyPaid` (its `paid_total`), shown beside `credited`.
ALTER TABLE invoices ADD COLUMN paid_in_part numeric NOT NULL DEFAULT 0;
