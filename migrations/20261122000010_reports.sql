-- Issue 6: the reports read models, written only by the `reports` projection. A report query is a
-- plain SELECT over these tables; nothing here is computed from the log at query time.
-- Days are UTC dates of the events' `occurred_at`; amounts are NUMERIC at the currency's scale.

-- The projection's own map of each service: who sells it, to whom, on which tariff and item type,
-- at which price, and its status. Revenue, active services and MRR read it.
CREATE TABLE report_services
(
    service_id       uuid PRIMARY KEY,
    provider_id      uuid    NOT NULL,
    client_id        uuid    NOT NULL,
    tariff_id        uuid    NOT NULL,
    item_type        text    NOT NULL,
    period           text    NOT NULL,
    currency         text    NOT NULL,
    price_per_period numeric NOT NULL,
    -- `price_per_period` per month: P1D × 30, P1M × 1, P3M / 3, P6M / 6, P12M / 12, rounded to
    -- the currency's minor unit half away from zero.
    mrr              numeric NOT NULL,
    status           text    NOT NULL,
    position         bigint  NOT NULL
);
CREATE INDEX report_services_tariff ON report_services (provider_id, tariff_id, status);

-- Each charge as revenue attributed it, so that a later correction (which names only the expense)
-- and a tariff change (which names the charge of the new price) find its tariff and item type.
CREATE TABLE report_expenses
(
    expense_id  uuid PRIMARY KEY,
    day         date    NOT NULL,
    provider_id uuid    NOT NULL,
    tariff_id   uuid    NOT NULL,
    item_type   text    NOT NULL,
    currency    text    NOT NULL,
    amount      numeric NOT NULL
);

-- Revenue per UTC day, provider, tariff, item type and currency. Revenue is
-- `charged - credited - corrected`.
CREATE TABLE report_revenue_daily
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
CREATE INDEX report_revenue_provider ON report_revenue_daily (provider_id, day);

-- The method of every payment credited to an account, for its refunds and reversals.
CREATE TABLE report_payment_methods
(
    payment_id uuid PRIMARY KEY,
    method     text NOT NULL
);

-- Money credited to accounts by payments, and taken back by refunds and reversals, per UTC day,
-- provider, payment method and account currency.
CREATE TABLE report_payments_daily
(
    day              date    NOT NULL,
    provider_id      uuid    NOT NULL,
    method           text    NOT NULL,
    currency         text    NOT NULL,
    payments_count   bigint  NOT NULL,
    payments_amount  numeric NOT NULL,
    refunds_count    bigint  NOT NULL,
    refunds_amount   numeric NOT NULL,
    reversals_count  bigint  NOT NULL,
    reversals_amount numeric NOT NULL,
    PRIMARY KEY (day, provider_id, method, currency)
);
CREATE INDEX report_payments_provider ON report_payments_daily (provider_id, day);

-- Every personal account's balance and the moment it last went below zero (NULL when it is not
-- below zero): the debtors report.
CREATE TABLE report_accounts
(
    account_id     uuid PRIMARY KEY,
    client_id      uuid        NOT NULL,
    provider_id    uuid        NOT NULL,
    currency       text        NOT NULL,
    balance        numeric     NOT NULL,
    negative_since timestamptz,
    position       bigint      NOT NULL
);
CREATE INDEX report_accounts_debtors ON report_accounts (provider_id, negative_since)
    WHERE negative_since IS NOT NULL;

-- Every client: the day it was registered, the day it was lost (deleted), how many of its
-- services are active now, and since when it has had one (NULL when it has none).
CREATE TABLE report_clients
(
    client_id       uuid PRIMARY KEY,
    provider_id     uuid   NOT NULL,
    registered_on   date   NOT NULL,
    lost_on         date,
    active_services int    NOT NULL,
    active_since    date,
    position        bigint NOT NULL
);
CREATE INDEX report_clients_provider ON report_clients (provider_id, registered_on);

-- The closed spans of days in which a client had at least one active service, both ends
-- included; the open span is `report_clients.active_since`.
CREATE TABLE report_client_activity
(
    client_id    uuid NOT NULL,
    provider_id  uuid NOT NULL,
    active_from  date NOT NULL,
    active_until date NOT NULL,
    PRIMARY KEY (client_id, active_from, active_until)
);
CREATE INDEX report_client_activity_provider ON report_client_activity (provider_id, active_from);
