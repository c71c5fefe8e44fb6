-- Issue 18: keys every node shares that are kept outside the log. One row per purpose, made
-- once by this migration from PostgreSQL's strong random source (gen_random_uuid, 2 x 122
-- random bits), the same across restarts and nodes. No event, projection or export reads it.
--
-- `password_reset`: the HMAC-SHA-256 key of password reset links. A reset request's event holds
-- the request's id and expiry; the link carries HMAC(key, request id | user id | expiry), which
-- the API checks before the ClientUser aggregate accepts the reset. Replacing the row makes every
-- open link worthless (nothing else).
CREATE TABLE node_keys
(
    purpose    text        PRIMARY KEY,
    key        bytea       NOT NULL CHECK (length(key) >= 16),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO node_keys (purpose, key)
VALUES ('password_reset',
        decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'));
