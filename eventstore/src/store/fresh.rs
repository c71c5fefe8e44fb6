//! New aggregates written in bulk: for a caller that brings many aggregates into existence at
//! once (an import), each with one command decided on its empty state, the events go to `events`
//! with one `COPY` per call (the shape of `billing demo`'s bulk loader) instead of one command
//! append each, in one transaction with the secrets they set (ADR 11).
//!
//! Only aggregates that have no event yet are written: one that exists is left alone and
//! counted, so a second call with the same commands writes nothing, and a call cut short (the
//! process killed, the database gone) wrote whole transactions or nothing of one, and a rerun
//! writes the rest. Two writers creating the same aggregate at once: the second's transaction
//! fails on the key of `events` and writes nothing; a rerun skips what the first wrote.

use cqrs_es::DomainEvent;
use cqrs_es::event_sink::EventSink;
use uuid::Uuid;

use super::{EventStore, NamedCommand, StoredAggregate};
use crate::error::StoreError;
use crate::group::wake_projections;
use crate::metadata::{CommandContext, EventMetadata};

/// What [`EventStore::create_many`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Created {
    /// Aggregates written.
    pub created: u64,
    /// Aggregates that had events already: nothing written for them.
    pub existing: u64,
    /// Events written.
    pub events: u64,
    /// The global position of the last event written (0 if none).
    pub position: i64,
}

/// COPY's text format: backslash escapes; JSON text never holds a raw tab or line break.
fn push_field(out: &mut Vec<u8>, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            other => out.push(other),
        }
    }
}

impl EventStore {
    /// Brings the aggregates of `commands` (one command per aggregate, each on its empty state)
    /// into existence with one transaction: the ones with events already are skipped, the
    /// others decide their command by their own rules and their events (sequence 1 on) are
    /// written with `COPY`, and the secret a command sets goes to `credentials` in the same
    /// transaction. A command its aggregate refuses fails the whole call, nothing written.
    ///
    /// No command keys and no snapshots are written (a snapshot is taken from the fiftieth
    /// event on), and the cache is not filled: the next command reads the aggregate from the log.
    pub async fn create_many<A>(
        &self,
        commands: Vec<(String, A::Command)>,
        context: &CommandContext,
    ) -> Result<Created, StoreError>
    where
        A: StoredAggregate,
        A::Command: NamedCommand,
    {
        let ids: Vec<&str> = commands.iter().map(|(id, _)| id.as_str()).collect();
        let existing: Vec<String> = sqlx::query_scalar(
            "SELECT aggregate_id FROM events
              WHERE aggregate_type = $1 AND aggregate_id = ANY($2::text[]) AND sequence = 1",
        )
        .bind(A::TYPE)
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let existing: std::collections::HashSet<String> = existing.into_iter().collect();
        let now = self.clock.now();
        let actor = context.actor.to_string();
        let mut created = Created::default();
        let mut copy_rows = Vec::new();
        let (mut secret_ids, mut secret_kinds, mut secrets) = (Vec::new(), Vec::new(), Vec::new());
        for (id, command) in commands {
            if existing.contains(&id) {
                created.existing += 1;
                continue;
            }
            let name = command.name();
            let credential = command.credential();
            let mut aggregate = A::default();
            let sink = EventSink::default();
            aggregate
                .handle(command, &(), &sink)
                .await
                .map_err(|error| StoreError::Repository(format!("{} {id}: {error}", A::TYPE)))?;
            let events = sink.collect().await;
            if events.is_empty() {
                continue;
            }
            let mut sequence = 0i64;
            for event in &events {
                sequence += 1;
                let metadata = EventMetadata {
                    event_id: Uuid::now_v7(),
                    occurred_at: context.business_time.unwrap_or(now),
                    recorded_at: context.business_time.map(|_| now),
                    actor: actor.clone(),
                    on_behalf_of: context.on_behalf_of.clone(),
                    request_id: context.request_id.clone(),
                    idempotency_key: context.idempotency_key.clone(),
                    command: name.to_owned(),
                };
                let out = &mut copy_rows;
                push_field(out, A::TYPE);
                out.push(b'\t');
                push_field(out, &id);
                out.push(b'\t');
                out.extend_from_slice(sequence.to_string().as_bytes());
                out.push(b'\t');
                push_field(out, &event.event_type());
                out.push(b'\t');
                push_field(out, &event.event_version());
                out.push(b'\t');
                push_field(out, &serde_json::to_string(event)?);
                out.push(b'\t');
                push_field(out, &serde_json::to_string(&metadata)?);
                out.push(b'\n');
            }
            if let Some(credential) = credential {
                secret_ids.push(id.clone());
                secret_kinds.push(credential.kind);
                secrets.push((credential.secret, sequence));
            }
            created.created += 1;
            created.events += u64::try_from(events.len()).unwrap_or(0);
        }
        if created.events == 0 {
            return Ok(created);
        }
        let mut tx = self.pool.begin().await?;
        let mut copy = tx
            .copy_in_raw(
                "COPY events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                              payload, metadata) FROM STDIN",
            )
            .await?;
        copy.send(copy_rows).await?;
        copy.finish().await?;
        if !secret_ids.is_empty() {
            let (secrets, sequences): (Vec<String>, Vec<i64>) = secrets.into_iter().unzip();
            sqlx::query(
                "INSERT INTO credentials (aggregate_type, aggregate_id, kind, secret, sequence)
                 SELECT $1, c.i, c.k, c.s, c.q
                   FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS c(i, k, s, q)",
            )
            .bind(A::TYPE)
            .bind(&secret_ids)
            .bind(&secret_kinds)
            .bind(&secrets)
            .bind(&sequences)
            .execute(&mut *tx)
            .await?;
        }
        created.position = sqlx::query_scalar(
            "SELECT currval(pg_get_serial_sequence('events', 'global_position'))",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        wake_projections(&self.pool).await;
        Ok(created)
    }
}
