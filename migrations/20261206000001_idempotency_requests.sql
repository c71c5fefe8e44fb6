-- The answers of write requests sent with an `Idempotency-Key` (api/src/idempotency.rs): one row
-- per caller and key. While the first request runs, `status` is NULL and `locked_until` is the
-- lease of the process running it; a retry after the lease (the process died, or the request was
-- dropped) takes the row over and runs the handler again. Once answered, the row holds the answer
-- to replay, until `expires_at` (24 hours after the first request).
CREATE TABLE idempotency_requests (
    -- Whose key: the caller's actor (`staff:<id>`, `user:<id>`, `service:<token>`), or
    -- `anonymous` on the public routes (signing in).
    principal    text        NOT NULL,
    key          text        NOT NULL,
    method       text        NOT NULL,
    path         text        NOT NULL,
    -- SHA-256 of the method, path and body: the body itself is never kept (a login's password).
    fingerprint  bytea       NOT NULL,
    -- Which attempt holds the lease; the answer is stored only by the holder.
    lease        uuid        NOT NULL,
    locked_until timestamptz,
    status       smallint,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (principal, key)
);

CREATE INDEX idempotency_requests_expires_at ON idempotency_requests (expires_at);
