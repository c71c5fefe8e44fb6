-- The sealed log (issue 6, ADR 7): one link per event, in the log's safe order.
--
-- hash = SHA-256(prev_hash || canonical bytes of the event), with 32 zero bytes before the
-- first event; the canonical encoding is documented in projections/src/seal.rs. The chain is a
-- read model like any other: written only by the `seal` projection, in the same transaction
-- as its checkpoint. `billing audit verify` recomputes it from `events`.
CREATE TABLE audit_chain
(
    position  bigint PRIMARY KEY,
    tx_id     bigint NOT NULL,
    hash      bytea  NOT NULL CHECK (length(hash) = 32),
    prev_hash bytea  NOT NULL CHECK (length(prev_hash) = 32)
);
-- The chain's order is the safe order, (tx_id, position), not the position alone.
CREATE UNIQUE INDEX audit_chain_order ON audit_chain (tx_id, position);
