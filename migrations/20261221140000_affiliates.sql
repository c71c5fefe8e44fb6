-- Affiliate programs (issue 20.1): the read model `affiliates` and the click counter of
-- referral links, which is no read model (clicks are counted, not recorded as events).

CREATE TABLE affiliate_programs (
    program_id  uuid PRIMARY KEY,
    provider_id uuid NOT NULL,
    name        text NOT NULL,
    rule        jsonb NOT NULL,
    closed      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    position    bigint NOT NULL
);
CREATE INDEX affiliate_programs_provider ON affiliate_programs (provider_id, created_at);

CREATE TABLE affiliates (
    affiliate_id uuid PRIMARY KEY,
    program_id   uuid NOT NULL,
    provider_id  uuid NOT NULL,
    client_id    uuid NOT NULL,
    joined_at    timestamptz NOT NULL
);
CREATE INDEX affiliates_client ON affiliates (client_id);
CREATE INDEX affiliates_program ON affiliates (program_id, joined_at);

CREATE TABLE affiliate_links (
    code         text PRIMARY KEY,
    affiliate_id uuid NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX affiliate_links_affiliate ON affiliate_links (affiliate_id);

CREATE TABLE affiliate_referrals (
    referred_client_id uuid PRIMARY KEY,
    affiliate_id       uuid NOT NULL,
    code               text NOT NULL,
    referred_on        date NOT NULL
);
CREATE INDEX affiliate_referrals_affiliate ON affiliate_referrals (affiliate_id);

CREATE TABLE affiliate_accruals (
    affiliate_id       uuid NOT NULL,
    source             text NOT NULL,
    referred_client_id uuid NOT NULL,
    base_amount        numeric NOT NULL,
    amount             numeric NOT NULL,
    currency           text NOT NULL,
    accrued_at         timestamptz NOT NULL,
    position           bigint NOT NULL,
    PRIMARY KEY (affiliate_id, source)
);
CREATE INDEX affiliate_accruals_order ON affiliate_accruals (affiliate_id, position);

CREATE TABLE affiliate_payouts (
    payout_id    uuid PRIMARY KEY,
    affiliate_id uuid NOT NULL,
    amount       numeric NOT NULL,
    currency     text NOT NULL,
    destination  text NOT NULL,
    reference    text,
    paid_at      timestamptz NOT NULL,
    position     bigint NOT NULL
);
CREATE INDEX affiliate_payouts_order ON affiliate_payouts (affiliate_id, position);

CREATE TABLE affiliate_totals (
    affiliate_id uuid NOT NULL,
    currency     text NOT NULL,
    accrued      numeric NOT NULL DEFAULT 0,
    paid         numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (affiliate_id, currency)
);

-- Clicks per link and UTC day, capped per day by the use case that counts them. Not part of
-- the read model: a rebuild keeps it.
CREATE TABLE affiliate_clicks (
    code   text NOT NULL,
    day    date NOT NULL,
    clicks bigint NOT NULL,
    PRIMARY KEY (code, day)
);
