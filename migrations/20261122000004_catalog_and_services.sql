-- Read models of the catalog, the services and their money (issue "Catalog, service lifecycle
-- and the billing day"). Written only by their projections.

CREATE TABLE tariffs
(
    id          uuid PRIMARY KEY,
    provider_id uuid        NOT NULL,
    name        text        NOT NULL,
    item_type   text        NOT NULL,
    status      text        NOT NULL,
    prices      jsonb       NOT NULL,
    setup_fees  jsonb       NOT NULL,
    addons      jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    position    bigint      NOT NULL
);
CREATE INDEX tariffs_page ON tariffs (created_at, id);

CREATE TABLE services
(
    id                  uuid PRIMARY KEY,
    client_id           uuid        NOT NULL,
    provider_id         uuid        NOT NULL,
    account_id          uuid        NOT NULL,
    tariff_id           uuid        NOT NULL,
    tariff_name         text        NOT NULL,
    item_type           text        NOT NULL,
    period              text        NOT NULL,
    currency            text        NOT NULL,
    price_per_period    numeric     NOT NULL,
    setup_fee           numeric     NOT NULL,
    terms               jsonb       NOT NULL,
    auto_prolong        boolean     NOT NULL,
    status              text        NOT NULL,
    ordered_on          date        NOT NULL,
    paid_until          date,
    suspend_reason      text,
    suspended_since     date,
    close_at_period_end boolean     NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    position            bigint      NOT NULL
);
CREATE INDEX services_client ON services (client_id, created_at, id);
CREATE INDEX services_account ON services (account_id, ordered_on, id);
-- What the billing day looks at: services that are not gone, by the end of their paid time.
CREATE INDEX services_due ON services (paid_until, id) WHERE status NOT IN ('deleted');
CREATE INDEX services_waiting ON services (status, account_id) WHERE status IN ('ordered', 'suspended');

CREATE TABLE operations
(
    id           uuid PRIMARY KEY,
    service_id   uuid        NOT NULL,
    client_id    uuid        NOT NULL,
    kind         text        NOT NULL,
    status       text        NOT NULL,
    attempt      int         NOT NULL,
    reason       text,
    requested_on date        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    position     bigint      NOT NULL
);
CREATE INDEX operations_status ON operations (status, created_at, id);
CREATE INDEX operations_service ON operations (service_id, created_at);

-- Every charge and credit of a personal account for a service. `amount` is positive for a
-- charge and negative for a credit, so sums are plain sums.
CREATE TABLE expenses
(
    expense_id   uuid PRIMARY KEY,
    account_id   uuid        NOT NULL,
    service_id   uuid        NOT NULL,
    kind         text        NOT NULL,
    period_start date        NOT NULL,
    period_end   date        NOT NULL,
    amount       numeric     NOT NULL,
    currency     text        NOT NULL,
    description  text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    position     bigint      NOT NULL
);
CREATE INDEX expenses_account ON expenses (account_id, position);
CREATE INDEX expenses_service ON expenses (service_id, period_start);
