// Over 800 lines: the command path (load, decide, append, retry) and its cache are one invariant.
//! The command path: load an aggregate (snapshot plus the events after it), let it decide,
//! append its events with optimistic concurrency, and answer with their global position.
//!
//! This replaces cqrs-es's `CqrsFramework` and postgres-es's snapshot store, which in 0.5.0
//! apply every new event twice, never retry a conflict, and cannot report where the events landed
//! (DESIGN.md, defects 1, 2 and 5). See docs/adr/0002-own-append-path.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistedEventRepository;
use cqrs_es::{Aggregate, DomainEvent};
use postgres_es::PostgresEventRepository;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::{CommandError, StoreError};
use crate::group::{Append, Appended, EventRow, GroupCommit, SnapshotRow};
use crate::metadata::{CommandContext, EventMetadata};

mod batch;
mod fresh;

pub use batch::{BatchCommand, Batched};
pub use fresh::Created;

/// An aggregate the store can keep: no services (the domain decides synchronously from the
/// command alone) and a versioned state shape for snapshots.
pub trait StoredAggregate: Aggregate<Services = ()> + Clone + 'static {
    /// The version of the serialized state. Raise it when the state's shape changes: snapshots of
    /// another version are then ignored and the stream is replayed.
    const STATE_VERSION: i32;
}

/// A command that can name itself for the log's `command` metadata and the metrics.
pub trait NamedCommand {
    /// The command's name in the imperative, such as `PostPayment`.
    fn name(&self) -> &'static str;

    /// The secret the command sets for its aggregate (a password's hash, a token's digest), if
    /// any. The store writes it to `credentials`, in the same statement as the command's events
    /// and only if it wrote some, never into an event (ADR 11).
    fn credential(&self) -> Option<Credential> {
        None
    }
}

/// A secret of an aggregate, kept beside the log in `credentials` (one row per aggregate, the
/// latest one set) and read only to check what a caller presents (ADR 11).
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// What the secret is: [`Credential::PASSWORD`] or [`Credential::TOKEN_SHA256`].
    pub kind: &'static str,
    /// The secret: a PHC string, or the hex SHA-256 of a token's secret.
    pub secret: String,
}

impl Credential {
    /// An argon2 password hash, as a PHC string.
    pub const PASSWORD: &'static str = "password";
    /// The SHA-256 of a token's secret, hex-encoded.
    pub const TOKEN_SHA256: &'static str = "token_sha256";
    /// A module's HMAC-SHA-256 key, hex-encoded (ADR 25): read to sign requests to the module
    /// and to check its callbacks.
    pub const MODULE_HMAC: &'static str = "module_hmac";
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({}, ..)", self.kind)
    }
}

/// A caller-chosen id that makes a command idempotent: sent twice with the same request, the
/// command takes effect once and the second call gets the first answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandKey {
    /// What the key is unique within, such as `payment` or `idempotency:<actor>`.
    pub scope: String,
    /// The key itself.
    pub key: String,
    /// A digest of the request, so that the same key with another request is refused.
    pub fingerprint: Vec<u8>,
    /// What the caller answers when the command succeeds (such as the id it created), stored with
    /// the key so that a repeated request gets the same answer.
    pub answer: serde_json::Value,
}

impl CommandKey {
    /// A key whose fingerprint is the SHA-256 of `request` serialized as JSON.
    pub fn new(
        scope: impl Into<String>,
        key: impl Into<String>,
        request: &impl Serialize,
        answer: serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        let bytes = serde_json::to_vec(request)?;
        Ok(Self {
            scope: scope.into(),
            key: key.into(),
            fingerprint: Sha256::digest(&bytes).to_vec(),
            answer,
        })
    }
}

/// The state of one aggregate as loaded.
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    /// The aggregate with every stored event applied once.
    pub aggregate: A,
    /// The sequence of its last event (0 if it has none).
    pub sequence: i64,
    /// The global position of its last event (0 if it has none).
    pub position: i64,
}

/// What a successful command did.
#[derive(Debug, Clone)]
pub struct Committed<A: Aggregate> {
    /// The global position of the last event written, or, when the command changed nothing or
    /// was a replay, of the aggregate's last event. Queries take it as `min_position`.
    pub position: i64,
    /// The events written (empty for a replay or a command that changed nothing).
    pub events: Vec<A::Event>,
    /// True when the command's key was seen before and this is the first call's answer.
    pub replayed: bool,
    /// The answer stored with the command's key: the caller's own on a first call, the first
    /// call's on a replay. `Null` without a key.
    pub answer: serde_json::Value,
}

/// Tuning of the store.
#[derive(Debug, Clone, Copy)]
pub struct StoreConfig {
    /// Write a snapshot each time a stream crosses a multiple of this many events.
    pub snapshot_every: i64,
    /// How many times a command runs before a run of conflicts is reported.
    pub max_attempts: u32,
    /// How many aggregates' latest state this process keeps in memory (0 turns the cache off).
    pub cached_aggregates: usize,
    /// How many transactions write queued appends at once (group commit, ADR 8).
    pub group_writers: usize,
    /// At most this many commands' appends go into one transaction.
    pub group_max_commands: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            snapshot_every: 50,
            max_attempts: 12,
            cached_aggregates: 20_000,
            group_writers: 4,
            group_max_commands: 64,
        }
    }
}

/// The PostgreSQL event store.
pub struct EventStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
    locks: KeyedLocks,
    waiting: Waiting,
    cache: StateCache,
    config: StoreConfig,
    /// The group commit's queue and writers, started by the first append (inside the runtime,
    /// with the final configuration).
    group: OnceLock<GroupCommit>,
}

impl EventStore {
    /// A store over `pool`, stamping events with `clock`.
    pub fn new(pool: PgPool, clock: Arc<dyn Clock>) -> Self {
        Self {
            pool,
            clock,
            locks: KeyedLocks::default(),
            waiting: Waiting::default(),
            cache: StateCache::default(),
            config: StoreConfig::default(),
            group: OnceLock::new(),
        }
    }

    /// The same store with other tuning.
    #[must_use]
    pub fn with_config(mut self, config: StoreConfig) -> Self {
        self.config = config;
        self
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The clock events are stamped with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Loads an aggregate from its latest snapshot and the events after it, in one round trip.
    /// Each event is applied exactly once.
    pub async fn load<A: StoredAggregate>(&self, id: &str) -> Result<Loaded<A>, StoreError> {
        let rows: Vec<(i32, i64, i64, String)> = sqlx::query_as(
            "WITH snapshot AS (
                 SELECT last_sequence, last_position, payload
                   FROM aggregate_snapshots
                  WHERE aggregate_type = $1 AND aggregate_id = $2 AND state_version = $3)
             SELECT 0, last_sequence, last_position, payload::text FROM snapshot
             UNION ALL
             SELECT 1, sequence, global_position, payload::text
               FROM events
              WHERE aggregate_type = $1 AND aggregate_id = $2
                AND sequence > coalesce((SELECT last_sequence FROM snapshot), 0)
             ORDER BY 1, 2",
        )
        .bind(A::TYPE)
        .bind(id)
        .bind(A::STATE_VERSION)
        .fetch_all(&self.pool)
        .await?;
        let mut loaded = Loaded {
            aggregate: A::default(),
            sequence: 0,
            position: 0,
        };
        for (kind, sequence, position, payload) in rows {
            if kind == 0 {
                loaded.aggregate = serde_json::from_str(&payload)?;
            } else {
                loaded.aggregate.apply(serde_json::from_str(&payload)?);
            }
            loaded.sequence = sequence;
            loaded.position = position;
        }
        Ok(loaded)
    }

    /// Loads an aggregate by replaying its whole stream through postgres-es, ignoring snapshots.
    /// Slow for long streams; it is the reference that snapshot-backed loads are checked against.
    pub async fn load_by_full_replay<A: StoredAggregate>(
        &self,
        id: &str,
    ) -> Result<(A, i64), StoreError> {
        let repository = PostgresEventRepository::new(self.pool.clone());
        let events = repository
            .get_events::<A>(id)
            .await
            .map_err(|e| StoreError::Repository(e.to_string()))?;
        let mut aggregate = A::default();
        let mut sequence = 0;
        for event in events {
            aggregate.apply(serde_json::from_value(event.payload)?);
            sequence = i64::try_from(event.sequence).unwrap_or(i64::MAX);
        }
        Ok((aggregate, sequence))
    }

    /// The aggregate as it was at `as_of`: its events that occurred at or before that moment
    /// (`occurred_at` in their metadata, from the clock that ran the command), each applied once
    /// in sequence order. Snapshots are of the latest state and so are not used; the cost is one
    /// read of the aggregate's stream up to `as_of`.
    pub async fn load_as_of<A: StoredAggregate>(
        &self,
        id: &str,
        as_of: chrono::DateTime<chrono::Utc>,
    ) -> Result<Loaded<A>, StoreError> {
        // `occurred_at` only grows along one aggregate's stream (its commands run one after the
        // other, each reading the clock), so the events up to `as_of` are a prefix of it.
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT sequence, global_position, payload::text
               FROM events
              WHERE aggregate_type = $1 AND aggregate_id = $2
                AND (metadata->>'occurred_at')::timestamptz <= $3
              ORDER BY sequence",
        )
        .bind(A::TYPE)
        .bind(id)
        .bind(as_of)
        .fetch_all(&self.pool)
        .await?;
        let mut loaded = Loaded {
            aggregate: A::default(),
            sequence: 0,
            position: 0,
        };
        for (sequence, position, payload) in rows {
            loaded.aggregate.apply(serde_json::from_str(&payload)?);
            loaded.sequence = sequence;
            loaded.position = position;
        }
        Ok(loaded)
    }

    /// The events of aggregate `id` in sequence order, each with the business time it occurred
    /// at (`occurred_at` in its metadata: the clock that ran its command, a sandbox provider's
    /// for its events). For a rule that needs when things happened, such as the hours a service
    /// was active (ADR 37); one read of the whole stream.
    pub async fn load_dated<A: StoredAggregate>(
        &self,
        id: &str,
    ) -> Result<Vec<(A::Event, chrono::DateTime<chrono::Utc>)>, StoreError> {
        let rows: Vec<(String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT payload::text, (metadata->>'occurred_at')::timestamptz
               FROM events
              WHERE aggregate_type = $1 AND aggregate_id = $2
              ORDER BY sequence",
        )
        .bind(A::TYPE)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(payload, at)| Ok((serde_json::from_str(&payload)?, at)))
            .collect()
    }

    /// Runs `command` against the aggregate `id` and appends what it decides.
    ///
    /// Commands on one aggregate queue behind each other in this process; a conflict with another
    /// process reloads the aggregate and runs the command again, a bounded number of times. With
    /// `keys` (a payment id, an Idempotency-Key, or both), a request repeated under any of them
    /// is answered from the first one and writes nothing; one whose key was used for another
    /// request is refused.
    pub async fn execute<A>(
        &self,
        id: &str,
        command: A::Command,
        context: &CommandContext,
        keys: &[CommandKey],
    ) -> Result<Committed<A>, CommandError<A::Error>>
    where
        A: StoredAggregate,
        A::Command: NamedCommand + Clone + Send + 'static,
        A::Error: Send + 'static,
    {
        let started = Instant::now();
        let name = command.name();
        let result = self.execute_inner(id, command, context, keys).await;
        let outcome = match &result {
            Ok(committed) if committed.replayed => "replayed",
            Ok(_) => "ok",
            Err(CommandError::Rejected(_)) => "rejected",
            Err(CommandError::KeyReused { .. }) => "key_reused",
            Err(CommandError::Store(StoreError::Contention { .. })) => "contention",
            Err(CommandError::Store(_)) => "error",
        };
        metrics::counter!("billing_commands_total", "command" => name, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("billing_command_seconds", "command" => name)
            .record(started.elapsed().as_secs_f64());
        result
    }

    async fn execute_inner<A>(
        &self,
        id: &str,
        command: A::Command,
        context: &CommandContext,
        keys: &[CommandKey],
    ) -> Result<Committed<A>, CommandError<A::Error>>
    where
        A: StoredAggregate,
        A::Command: NamedCommand + Clone + Send + 'static,
        A::Error: Send + 'static,
    {
        let name = command.name();
        let mut held = match self.together::<A>(id, &command, context, keys).await {
            Together::Answered(answered) => return answered,
            Together::Alone(held) => held,
        };
        // The key is looked up only when there is reason to think it was used: the common first
        // call costs no extra round trip, and the append itself refuses a key taken meanwhile.
        let mut look_up_key = false;
        for attempt in 1..=self.config.max_attempts {
            let _queued = match held.take() {
                Some(held) => held,
                None => self.locks.lock(A::TYPE, id).await,
            };
            if look_up_key && let Some(replay) = self.replay(keys).await? {
                return Ok(replay);
            }
            // The cached state is as fresh as this process's last write; another node's write
            // makes the append conflict, and the command reruns on state read from the log.
            // A refusal or a "nothing to do" is only trusted on state read from the log.
            let cached = self.cached::<A>(id);
            let from_cache = cached.is_some();
            let Loaded {
                mut aggregate,
                sequence,
                position,
            } = match cached {
                Some(loaded) => loaded,
                None => self.load::<A>(id).await?,
            };
            let sink = EventSink::default();
            if let Err(rejected) = aggregate.handle(command.clone(), &(), &sink).await {
                if from_cache {
                    self.cache.forget(A::TYPE, id);
                    continue;
                }
                // A repeated request may be refused now (say, the client was deleted since);
                // it still gets the first answer.
                if let Some(replay) = self.replay(keys).await? {
                    return Ok(replay);
                }
                return Err(CommandError::Rejected(rejected));
            }
            let events = sink.collect().await;
            if events.is_empty() && from_cache {
                self.cache.forget(A::TYPE, id);
                continue;
            }
            let part = Part {
                events: &events,
                context,
                command: name,
                keys,
                credential: command.credential(),
            };
            let appended = self
                .append(id, sequence, position, &[part], &aggregate)
                .await?;
            match appended {
                Appended::Written { position, .. } => {
                    if !events.is_empty() {
                        self.remember(id, &aggregate, sequence, events.len(), position);
                    }
                    return Ok(Committed {
                        position,
                        events,
                        replayed: false,
                        answer: keys
                            .first()
                            .map_or(serde_json::Value::Null, |k| k.answer.clone()),
                    });
                }
                Appended::KeyTaken => look_up_key = true,
                Appended::Conflict => {
                    self.cache.forget(A::TYPE, id);
                    metrics::counter!("billing_command_conflicts_total", "command" => name)
                        .increment(1);
                    look_up_key = !keys.is_empty();
                    let jitter_us = fastrand::u64(0..500 * u64::from(attempt));
                    tokio::time::sleep(Duration::from_micros(jitter_us)).await;
                }
            }
        }
        Err(StoreError::Contention {
            aggregate_type: A::TYPE,
            aggregate_id: id.to_owned(),
            attempts: self.config.max_attempts,
        }
        .into())
    }

    /// Runs the command together with the others waiting for the aggregate, if there are any.
    ///
    /// Commands on one aggregate queue behind its in-process lock, and each costs a commit of its
    /// own: on one busy account that bounds the commands to the disk's flushes, one after the
    /// other. So a command first leaves itself in the aggregate's waiting list, then takes the
    /// lock; whoever gets the lock takes every command waiting (its own among them), decides them
    /// one after the other on the state, and appends all their events and keys in one append,
    /// each key at its own command's last event (ADR 8). Anything unusual (a refusal, a command
    /// that changes nothing, a conflict, a key used before, an error) hands every command of the
    /// group back to run alone, on the ordinary path, which knows how to deal with it.
    ///
    /// Only commands with a key run together: should the holder's caller go away in the middle
    /// of the append, the others run alone again without knowing whether it committed, and a
    /// key makes that second run a replay.
    ///
    /// Runs alone when it has no key, when nobody was waiting with it, or when the group handed
    /// it back; then with the aggregate's lock, if it took it.
    async fn together<A>(
        &self,
        id: &str,
        command: &A::Command,
        context: &CommandContext,
        keys: &[CommandKey],
    ) -> Together<'_, A>
    where
        A: StoredAggregate,
        A::Command: NamedCommand + Clone + Send + 'static,
        A::Error: Send + 'static,
    {
        if keys.is_empty() {
            return Together::Alone(None);
        }
        let (reply, mut answer) = oneshot::channel();
        let key = (A::TYPE, id.to_owned());
        let ticket = self.waiting.push(
            &key,
            Box::new(Pending::<A> {
                command: command.clone(),
                context: context.clone(),
                keys: keys.to_vec(),
                reply,
            }),
        );
        let queued = self.locks.lock(A::TYPE, id).await;
        match answer.try_recv() {
            // The holder before took this command with its own and answered it.
            Ok(answered) => return Together::Answered(answered),
            // It handed it back.
            Err(oneshot::error::TryRecvError::Closed) => return Together::Alone(Some(queued)),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        let group: Vec<Pending<A>> = self
            .waiting
            .take(&key, self.config.group_max_commands.max(1))
            .into_iter()
            .filter_map(|waiting| waiting.downcast::<Pending<A>>().ok().map(|boxed| *boxed))
            .collect();
        drop(ticket);
        if group.len() < 2 {
            // Alone: its reply is dropped with it, and it runs on the ordinary path.
            return Together::Alone(Some(queued));
        }
        // Every command of the group is answered, or handed back, before this returns.
        self.decide_together(id, group).await;
        match answer.try_recv() {
            Ok(answered) => Together::Answered(answered),
            Err(_) => Together::Alone(Some(queued)),
        }
    }

    /// Decides `group` in order on the aggregate's state and appends what they decided at once,
    /// answering each command; or drops every reply, which hands each command back to run alone.
    async fn decide_together<A>(&self, id: &str, group: Vec<Pending<A>>)
    where
        A: StoredAggregate,
        A::Command: NamedCommand + Clone + Send + 'static,
        A::Error: Send + 'static,
    {
        let Ok(Loaded {
            mut aggregate,
            sequence,
            position,
        }) = self.load_recent::<A>(id).await
        else {
            return;
        };
        let mut decided = Vec::with_capacity(group.len());
        for pending in &group {
            let sink = EventSink::default();
            if aggregate
                .handle(pending.command.clone(), &(), &sink)
                .await
                .is_err()
            {
                return;
            }
            let events = sink.collect().await;
            if events.is_empty() {
                return;
            }
            decided.push(events);
        }
        let names: Vec<&'static str> = group.iter().map(|p| p.command.name()).collect();
        let parts: Vec<Part<'_, A::Event>> = group
            .iter()
            .zip(&decided)
            .zip(&names)
            .map(|((pending, events), name)| Part {
                events,
                context: &pending.context,
                command: name,
                keys: &pending.keys,
                credential: pending.command.credential(),
            })
            .collect();
        let appended = self
            .append(id, sequence, position, &parts, &aggregate)
            .await;
        let Ok(Appended::Written { positions, .. }) = appended else {
            // A conflict with another node, a key used before, an error: each alone.
            self.cache.forget(A::TYPE, id);
            return;
        };
        let written: usize = decided.iter().map(Vec::len).sum();
        let Some(&last) = positions.last() else {
            return;
        };
        if positions.len() != written {
            return;
        }
        self.remember(id, &aggregate, sequence, written, last);
        metrics::counter!("billing_commands_together_total")
            .increment(u64::try_from(group.len()).unwrap_or(u64::MAX));
        let mut through = 0;
        for (pending, events) in group.into_iter().zip(decided) {
            through += events.len();
            let Some(&position) = through.checked_sub(1).and_then(|i| positions.get(i)) else {
                return;
            };
            let answer = pending
                .keys
                .first()
                .map_or(serde_json::Value::Null, |k| k.answer.clone());
            let _ = pending.reply.send(Ok(Committed {
                position,
                events,
                replayed: false,
                answer,
            }));
        }
    }

    /// The state this process last wrote for the aggregate, if it still has it.
    fn cached<A: StoredAggregate>(&self, id: &str) -> Option<Loaded<A>> {
        if self.config.cached_aggregates == 0 {
            return None;
        }
        self.cache.get(A::TYPE, id)
    }

    fn remember<A: StoredAggregate>(
        &self,
        id: &str,
        state: &A,
        sequence: i64,
        written: usize,
        position: i64,
    ) {
        if self.config.cached_aggregates == 0 {
            return;
        }
        let sequence = sequence + i64::try_from(written).unwrap_or(i64::MAX);
        self.cache.put(
            A::TYPE,
            id,
            Loaded {
                aggregate: state.clone(),
                sequence,
                position,
            },
            self.config.cached_aggregates,
        );
    }

    /// Like [`EventStore::load`], but may answer from this process's cache of recent writes, so
    /// it can miss another node's latest events. Only for callers whose next step is a command
    /// that checks the state again (such as computing which period to charge).
    pub async fn load_recent<A: StoredAggregate>(&self, id: &str) -> Result<Loaded<A>, StoreError> {
        match self.cached::<A>(id) {
            Some(loaded) => Ok(loaded),
            None => self.load(id).await,
        }
    }

    /// The secret kept for the aggregate `id` (its latest password hash or token digest), if it
    /// has one. Only authentication and the module protocol (signing and checking, ADR 25) call
    /// this; nothing else reads `credentials`.
    pub async fn credential<A: StoredAggregate>(
        &self,
        id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT secret FROM credentials WHERE aggregate_type = $1 AND aggregate_id = $2",
        )
        .bind(A::TYPE)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The first answer to a repeated request, if one of `keys` was used before.
    async fn replay<A: Aggregate>(
        &self,
        keys: &[CommandKey],
    ) -> Result<Option<Committed<A>>, CommandError<A::Error>> {
        for key in keys {
            if let Some((position, answer)) = self.find_key(key).await? {
                return Ok(Some(Committed {
                    position,
                    events: Vec::new(),
                    replayed: true,
                    answer,
                }));
            }
        }
        Ok(None)
    }

    /// Whether a command recorded the key `key` in `scope`, for whatever request: an id that
    /// another kind of command claimed under its own key (a payment's id, say) is taken.
    pub async fn key_used(&self, scope: &str, key: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM command_keys WHERE scope = $1 AND key = $2)",
        )
        .bind(scope)
        .bind(key)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The answer recorded for `key`, or `KeyReused` if it was recorded for another request.
    async fn find_key<E>(
        &self,
        key: &CommandKey,
    ) -> Result<Option<(i64, serde_json::Value)>, CommandError<E>> {
        let found: Option<(Vec<u8>, i64, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
            "SELECT fingerprint, position, answer FROM command_keys WHERE scope = $1 AND key = $2",
        )
        .bind(&key.scope)
        .bind(&key.key)
        .fetch_optional(&self.pool)
        .await?;
        match found {
            None => Ok(None),
            Some((fingerprint, position, answer)) if fingerprint == key.fingerprint => {
                Ok(Some((position, answer.0)))
            }
            Some(_) => Err(CommandError::KeyReused {
                key: key.key.clone(),
            }),
        }
    }

    /// Appends `events` after `sequence` with the command keys and, when the stream crosses a
    /// snapshot boundary, a snapshot of `state` (which already has the events applied, once).
    ///
    /// The events, the keys, the snapshot and the secret a command sets (ADR 11) are written
    /// together or not at all, in one
    /// statement that may carry other commands' appends too (group commit, ADR 8): the answer
    /// comes after the commit. A taken sequence (another writer got there first) or a taken key
    /// writes nothing of this command. One append may carry several commands on the aggregate
    /// (`parts`, in the order they were decided), each key at its own command's last event.
    async fn append<A: StoredAggregate>(
        &self,
        id: &str,
        sequence: i64,
        position: i64,
        parts: &[Part<'_, A::Event>],
        state: &A,
    ) -> Result<Appended, StoreError> {
        let Some(append) = self.prepare_append(id, sequence, position, parts, state)? else {
            return Ok(Appended::Written {
                position,
                positions: Vec::new(),
            });
        };
        self.group().append(append).await
    }

    /// The group commit, started on first use inside the runtime.
    fn group(&self) -> &GroupCommit {
        self.group.get_or_init(|| {
            GroupCommit::start(
                self.pool.clone(),
                self.config.group_writers,
                self.config.group_max_commands,
            )
        })
    }

    /// The rows [`EventStore::append`] writes, or `None` when the parts write nothing at all.
    fn prepare_append<A: StoredAggregate>(
        &self,
        id: &str,
        sequence: i64,
        position: i64,
        parts: &[Part<'_, A::Event>],
        state: &A,
    ) -> Result<Option<Append>, StoreError> {
        if parts
            .iter()
            .all(|part| part.events.is_empty() && part.keys.is_empty())
        {
            return Ok(None);
        }
        let now = self.clock.now();
        let mut rows = Vec::new();
        let mut keys = Vec::new();
        // The latest secret set by a command that wrote events; the row keeps only the latest.
        let mut credential = None;
        let mut next = sequence;
        for part in parts {
            for event in part.events {
                next += 1;
                rows.push(EventRow {
                    sequence: next,
                    event_type: event.event_type(),
                    event_version: event.event_version(),
                    payload: serde_json::to_string(event)?,
                    metadata: serde_json::to_string(&EventMetadata {
                        event_id: Uuid::now_v7(),
                        occurred_at: part.context.business_time.unwrap_or(now),
                        recorded_at: part.context.business_time.map(|_| now),
                        actor: part.context.actor.to_string(),
                        on_behalf_of: part.context.on_behalf_of.clone(),
                        request_id: part.context.request_id.clone(),
                        idempotency_key: part.context.idempotency_key.clone(),
                        command: part.command.to_owned(),
                    })?,
                });
            }
            keys.extend(part.keys.iter().map(|key| (key.clone(), next)));
            if !part.events.is_empty()
                && let Some(set) = &part.credential
            {
                credential = Some((set.clone(), next));
            }
        }
        let every = self.config.snapshot_every.max(1);
        let snapshot = (next > sequence && next / every > sequence / every)
            .then(|| serde_json::to_string(state))
            .transpose()?
            .map(|payload| SnapshotRow {
                state_version: A::STATE_VERSION,
                last_sequence: next,
                payload,
            });
        Ok(Some(Append {
            aggregate_type: A::TYPE,
            aggregate_id: id.to_owned(),
            position,
            events: rows,
            keys,
            snapshot,
            credential,
        }))
    }
}

/// One command's part of an append.
struct Part<'a, E> {
    events: &'a [E],
    context: &'a CommandContext,
    command: &'a str,
    keys: &'a [CommandKey],
    /// The secret the command sets, written only with its events.
    credential: Option<Credential>,
}

/// One async mutex per aggregate in use, so that commands on the same aggregate in this process
/// queue instead of conflicting. Entries are dropped when nobody holds or waits for them.
type AggregateKey = (&'static str, String);

/// The latest state this process wrote per aggregate, so that the next command on it needs no
/// read. Bounded: when full, an arbitrary entry makes room.
#[derive(Default)]
struct StateCache {
    entries: Mutex<HashMap<AggregateKey, Box<dyn std::any::Any + Send + Sync>>>,
}

impl StateCache {
    fn get<A: StoredAggregate>(&self, aggregate_type: &'static str, id: &str) -> Option<Loaded<A>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&(aggregate_type, id.to_owned()))
            .and_then(|entry| entry.downcast_ref::<Loaded<A>>())
            .cloned()
    }

    fn put<A: StoredAggregate>(
        &self,
        aggregate_type: &'static str,
        id: &str,
        loaded: Loaded<A>,
        capacity: usize,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (aggregate_type, id.to_owned());
        if entries.len() >= capacity
            && !entries.contains_key(&key)
            && let Some(evicted) = entries.keys().next().cloned()
        {
            entries.remove(&evicted);
        }
        entries.insert(key, Box::new(loaded));
    }

    fn forget(&self, aggregate_type: &'static str, id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(&(aggregate_type, id.to_owned()));
    }
}

/// What [`EventStore::together`] made of a command.
enum Together<'a, A: StoredAggregate> {
    /// It ran with others; its outcome.
    Answered(Result<Committed<A>, CommandError<A::Error>>),
    /// It runs alone, with the aggregate's lock if `together` took it.
    Alone(Option<KeyedGuard<'a>>),
}

/// A command waiting for its aggregate's lock, for the holder to run with its own.
struct Pending<A: StoredAggregate> {
    command: A::Command,
    context: CommandContext,
    keys: Vec<CommandKey>,
    reply: oneshot::Sender<Result<Committed<A>, CommandError<A::Error>>>,
}

/// A `Pending<A>` of some aggregate type `A`.
type AnyPending = Box<dyn std::any::Any + Send>;

/// The commands waiting per aggregate, in arrival order. Each entry is a `Pending<A>` of the
/// aggregate's type; an entry whose caller went away is removed by its [`Ticket`].
#[derive(Default)]
struct Waiting {
    next: std::sync::atomic::AtomicU64,
    queues: Mutex<HashMap<AggregateKey, Vec<(u64, AnyPending)>>>,
}

/// A place in an aggregate's waiting list, given up when dropped.
struct Ticket<'a> {
    waiting: &'a Waiting,
    key: AggregateKey,
    number: u64,
}

impl Waiting {
    fn push(&self, key: &AggregateKey, pending: AnyPending) -> Ticket<'_> {
        let number = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .push((number, pending));
        Ticket {
            waiting: self,
            key: key.clone(),
            number,
        }
    }

    /// Takes up to `max` of the commands waiting for `key`, oldest first.
    fn take(&self, key: &AggregateKey, max: usize) -> Vec<AnyPending> {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(queue) = queues.get_mut(key) else {
            return Vec::new();
        };
        let taken: Vec<_> = queue
            .drain(..queue.len().min(max))
            .map(|(_, pending)| pending)
            .collect();
        if queue.is_empty() {
            queues.remove(key);
        }
        taken
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut queues = self
            .waiting
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(queue) = queues.get_mut(&self.key) {
            queue.retain(|(number, _)| *number != self.number);
            if queue.is_empty() {
                queues.remove(&self.key);
            }
        }
    }
}

#[derive(Default)]
struct KeyedLocks {
    locks: Mutex<HashMap<AggregateKey, Arc<tokio::sync::Mutex<()>>>>,
}

struct KeyedGuard<'a> {
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
    key: AggregateKey,
    locks: &'a KeyedLocks,
}

impl KeyedLocks {
    async fn lock(&self, aggregate_type: &'static str, id: &str) -> KeyedGuard<'_> {
        let key = (aggregate_type, id.to_owned());
        let mutex = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(key.clone()).or_default())
        };
        let guard = mutex.lock_owned().await;
        KeyedGuard {
            guard: Some(guard),
            key,
            locks: self,
        }
    }
}

impl Drop for KeyedGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self
            .locks
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if locks
            .get(&self.key)
            .is_some_and(|mutex| Arc::strong_count(mutex) == 1)
        {
            locks.remove(&self.key);
        }
    }
}
