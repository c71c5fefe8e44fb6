-- Contracts between a provider's company and a client (issue 20.2, ADR 31): each contract
-- template's current version, and each contract with its status and, once signed, its frozen
-- texts, as the events say.
CREATE TABLE contract_templates (
    template_id uuid PRIMARY KEY,
    company_id uuid NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    version integer NOT NULL,
    texts jsonb NOT NULL,
    published_on date NOT NULL
);
CREATE INDEX contract_templates_company ON contract_templates (company_id, template_id);

CREATE TABLE contracts (
    contract_id uuid PRIMARY KEY,
    provider_id uuid NOT NULL,
    company_id uuid NOT NULL,
    client_id uuid NOT NULL,
    template_id uuid NOT NULL,
    template_version integer NOT NULL,
    number text NOT NULL,
    sequence bigint NOT NULL,
    dated_on date NOT NULL,
    status text NOT NULL,
    signed_on date,
    terminated_on date,
    termination_reason text,
    texts jsonb,
    position bigint NOT NULL
);
CREATE INDEX contracts_client ON contracts (client_id, dated_on DESC, sequence DESC);
CREATE INDEX contracts_company ON contracts (company_id, dated_on DESC, sequence DESC);
