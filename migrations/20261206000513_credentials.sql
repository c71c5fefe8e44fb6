-- Issue 13.4, ADR 11: password hashes and token digests leave the events.
--
-- One row per aggregate with a secret (a staff member's or a client user's password hash, a
-- token's digest), the latest one set, with the sequence of the event that set it. Written
-- only by the append statement, in the same transaction as that event; read only by
-- authentication. No projection, export or audit stream reads this table.
CREATE TABLE credentials
(
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    kind           text   NOT NULL CHECK (kind IN ('password', 'token_sha256')),
    secret         text   NOT NULL,
    sequence       bigint NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Existing databases: the secrets of version 1.0 events, the latest per aggregate, so that
-- every login and token keeps working. The events themselves are never changed (the log
-- reader drops these fields on the way out).
INSERT INTO credentials (aggregate_type, aggregate_id, kind, secret, sequence)
SELECT DISTINCT ON (aggregate_type, aggregate_id) aggregate_type, aggregate_id, kind, secret, sequence
  FROM (SELECT aggregate_type, aggregate_id, sequence,
               CASE aggregate_type WHEN 'AccessToken' THEN 'token_sha256' ELSE 'password' END AS kind,
               CASE event_type
                   WHEN 'StaffMemberCreated' THEN payload -> 'StaffMemberCreated' ->> 'password_hash'
                   WHEN 'StaffPasswordSet' THEN payload -> 'StaffPasswordSet' ->> 'password_hash'
                   WHEN 'ClientUserCreated' THEN payload -> 'ClientUserCreated' ->> 'password_hash'
                   WHEN 'TokenIssued' THEN payload -> 'TokenIssued' ->> 'secret_sha256'
               END AS secret
          FROM events
         WHERE event_version = '1.0'
           AND (aggregate_type, event_type) IN (('StaffMember', 'StaffMemberCreated'),
                                                ('StaffMember', 'StaffPasswordSet'),
                                                ('ClientUser', 'ClientUserCreated'),
                                                ('AccessToken', 'TokenIssued'))) AS old
 WHERE secret IS NOT NULL
 ORDER BY aggregate_type, aggregate_id, sequence DESC;

-- Snapshots of these aggregates held the secret in their state; they are a cache, rebuilt
-- from the events on the next load (their state version is 2 now).
DELETE FROM aggregate_snapshots
 WHERE aggregate_type IN ('StaffMember', 'ClientUser', 'AccessToken');
