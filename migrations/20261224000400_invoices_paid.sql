-- Whether a payment settled the invoice (`InvoicePaid`): one of the facts the invoices read model
-- (version 3) gives to `InvoiceStatus::of`, the `Invoice`'s own status rule, so that the status
-- shown is the aggregate's (a partly credited invoice then paid stayed `paid` here while the
-- `Invoice` said `partially_credited`).
ALTER TABLE invoices ADD COLUMN paid boolean NOT NULL DEFAULT false;
