-- Sandbox providers (issue 19.3, ADR 20): a provider created in sandbox mode lives on its own
-- clock. Every provider before this was live, so the defaults describe them.
ALTER TABLE providers
    ADD COLUMN sandbox boolean NOT NULL DEFAULT false,
    ADD COLUMN clock   timestamptz;
