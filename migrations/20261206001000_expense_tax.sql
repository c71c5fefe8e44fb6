-- The tax of every charge and credit as the account recorded it (net + tax = amount, signed like
-- amount), and every correction of an expense with its own tax, for the monthly invoice.
ALTER TABLE expenses
    ADD COLUMN net      numeric,
    ADD COLUMN tax      numeric NOT NULL DEFAULT 0,
    ADD COLUMN tax_rate numeric NOT NULL DEFAULT 0;

CREATE TABLE expense_corrections
(
    correction_id uuid PRIMARY KEY,
    expense_id    uuid        NOT NULL,
    account_id    uuid        NOT NULL,
    voided        boolean     NOT NULL,
    reason        text        NOT NULL,
    amount        numeric     NOT NULL,
    net           numeric     NOT NULL,
    tax           numeric     NOT NULL,
    tax_rate      numeric     NOT NULL,
    currency      text        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    position      bigint      NOT NULL
);
CREATE INDEX expense_corrections_account ON expense_corrections (account_id, occurred_at);
