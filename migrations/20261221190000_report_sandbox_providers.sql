-- Reports keep sandbox providers apart (issue 19.3, ADR 20): the reports projection records
-- which providers were created in sandbox mode (`ProviderCreated { sandbox: true }`), so that
-- every `report_*` query leaves them out by default and shows only them when asked.
CREATE TABLE report_sandbox_providers (
    provider_id uuid   PRIMARY KEY,
    position    bigint NOT NULL
);
