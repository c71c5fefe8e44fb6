-- Issue 4: companies, exchange rates, payments, invoices, promo codes, the statement.
-- Every table here is a read model, written only by its projection.

ALTER TABLE clients ADD COLUMN vat_number text, ADD COLUMN address text;

ALTER TABLE expenses
    ADD COLUMN returned       numeric NOT NULL DEFAULT 0,
    ADD COLUMN voided         boolean NOT NULL DEFAULT false,
    ADD COLUMN list_amount    numeric,
    ADD COLUMN discount       numeric NOT NULL DEFAULT 0,
    ADD COLUMN promo_code     text,
    ADD COLUMN tariff_id      uuid,
    ADD COLUMN item_type      text,
    ADD COLUMN provider_id    uuid,
    ADD COLUMN client_id      uuid;
CREATE INDEX expenses_client ON expenses (client_id, period_start);

CREATE TABLE companies
(
    company_id       uuid PRIMARY KEY,
    provider_id      uuid        NOT NULL,
    name             text        NOT NULL,
    country          text        NOT NULL,
    vat_number       text,
    address          text        NOT NULL,
    numbering_prefix text        NOT NULL,
    numbering_reset  text        NOT NULL,
    tax_rules        jsonb       NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL,
    position         bigint      NOT NULL
);
CREATE INDEX companies_provider ON companies (provider_id, created_at);

CREATE TABLE payment_methods
(
    company_id   uuid    NOT NULL,
    method       text    NOT NULL,
    kind         text    NOT NULL,
    display_name text    NOT NULL,
    enabled      boolean NOT NULL,
    PRIMARY KEY (company_id, method)
);

CREATE TABLE exchange_rates
(
    base           text    NOT NULL,
    quote          text    NOT NULL,
    effective_from date    NOT NULL,
    rate           numeric NOT NULL,
    position       bigint  NOT NULL,
    PRIMARY KEY (base, quote, effective_from)
);

CREATE TABLE payments
(
    payment_id       uuid PRIMARY KEY,
    client_id        uuid        NOT NULL,
    provider_id      uuid        NOT NULL,
    company_id       uuid,
    method           text        NOT NULL,
    method_kind      text        NOT NULL,
    status           text        NOT NULL,
    amount           numeric     NOT NULL,
    currency         text        NOT NULL,
    account_currency text        NOT NULL,
    credited         numeric,
    rate             numeric,
    rate_date        date,
    refunded         numeric     NOT NULL DEFAULT 0,
    external_id      text,
    invoice_id       uuid,
    created_on       date        NOT NULL,
    created_at       timestamptz NOT NULL,
    credited_at      timestamptz,
    position         bigint      NOT NULL
);
-- The owner of each account, for payments credited directly to it.
CREATE TABLE payment_accounts
(
    account_id  uuid PRIMARY KEY,
    client_id   uuid NOT NULL,
    provider_id uuid NOT NULL
);
CREATE INDEX payments_client ON payments (client_id, created_at, payment_id);
CREATE INDEX payments_page ON payments (created_at, payment_id);
CREATE INDEX payments_status ON payments (status, created_at);
CREATE INDEX payments_method ON payments (method, created_at);

CREATE TABLE invoices
(
    invoice_id   uuid PRIMARY KEY,
    kind         text        NOT NULL,
    status       text        NOT NULL,
    provider_id  uuid        NOT NULL,
    company_id   uuid        NOT NULL,
    client_id    uuid        NOT NULL,
    number       text,
    sequence     bigint,
    issued_on    date        NOT NULL,
    due_on       date        NOT NULL,
    currency     text        NOT NULL,
    net          numeric     NOT NULL,
    tax          numeric     NOT NULL,
    gross        numeric     NOT NULL,
    credited     numeric     NOT NULL DEFAULT 0,
    payment_id   uuid,
    corrects     uuid,
    period_start date,
    period_end   date,
    document     jsonb       NOT NULL,
    created_at   timestamptz NOT NULL,
    position     bigint      NOT NULL
);
-- A number is given once per company: the read model refuses a repeat loudly.
CREATE UNIQUE INDEX invoices_number ON invoices (company_id, number)
    WHERE number IS NOT NULL;
CREATE INDEX invoices_client ON invoices (client_id, issued_on, invoice_id);
CREATE INDEX invoices_page ON invoices (issued_on, invoice_id);
CREATE INDEX invoices_company ON invoices (company_id, issued_on);

CREATE TABLE promo_codes
(
    promo_code_id uuid PRIMARY KEY,
    provider_id   uuid        NOT NULL,
    code          text        NOT NULL,
    discount      jsonb       NOT NULL,
    tariffs       jsonb       NOT NULL,
    item_types    jsonb       NOT NULL,
    periods       jsonb       NOT NULL,
    valid_from    date,
    valid_until   date,
    max_uses      integer,
    uses          integer     NOT NULL DEFAULT 0,
    recurring     boolean     NOT NULL,
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    position      bigint      NOT NULL
);
CREATE UNIQUE INDEX promo_codes_code ON promo_codes (provider_id, code);

-- The statement: every movement of a personal account, with the balance after it.
CREATE TABLE account_movements
(
    position      bigint PRIMARY KEY,
    account_id    uuid        NOT NULL,
    kind          text        NOT NULL,
    amount        numeric     NOT NULL,
    currency      text        NOT NULL,
    balance_after numeric     NOT NULL,
    reference     uuid        NOT NULL,
    description   text        NOT NULL,
    details       jsonb       NOT NULL DEFAULT '{}',
    occurred_at   timestamptz NOT NULL
);
CREATE INDEX account_movements_account ON account_movements (account_id, position);
