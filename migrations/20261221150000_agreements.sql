-- Agreements (offers, issue 20.2): each agreement's current version, every version published,
-- and the version each order accepted (from ServiceOrdered), as the events say.
CREATE TABLE agreements (
    agreement_id uuid PRIMARY KEY,
    provider_id uuid NOT NULL,
    scope_kind text NOT NULL,
    tariff_id uuid,
    item_type text,
    version integer NOT NULL,
    texts jsonb NOT NULL,
    published_on date NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX agreements_provider ON agreements (provider_id, agreement_id);

CREATE TABLE agreement_versions (
    agreement_id uuid NOT NULL,
    version integer NOT NULL,
    texts jsonb NOT NULL,
    published_on date NOT NULL,
    PRIMARY KEY (agreement_id, version)
);

CREATE TABLE agreement_acceptances (
    service_id uuid PRIMARY KEY,
    client_id uuid NOT NULL,
    agreement_id uuid NOT NULL,
    version integer NOT NULL,
    ordered_on date NOT NULL
);
CREATE INDEX agreement_acceptances_agreement ON agreement_acceptances (agreement_id, version);
