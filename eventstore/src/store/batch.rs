//! Commands in batches: many aggregates read with one query, and many commands on different
//! aggregates decided and appended with one statement, so that a process that runs the same
//! step over thousands of aggregates (the billing day) pays one commit per batch, not one per
//! command.
//!
//! Each aggregate still decides by its own rules, on its own state, one command after the
//! other; each command keeps its keys and is idempotent exactly as through
//! [`EventStore::execute`]. Only the ordinary case is handled here: a command refused on state
//! read from the log, or decided and appended. Anything else (a conflict with another writer, a
//! key used before, a database error, a refusal on cached state) hands the aggregate's commands
//! to [`EventStore::execute`], one at a time and in order, which knows how to deal with it.

use std::collections::HashMap;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;

use super::{EventStore, KeyedGuard, Loaded, NamedCommand, Part, StoredAggregate};
use crate::error::{CommandError, StoreError};
use crate::group::{Appended, write_now};
use crate::metadata::CommandContext;
use crate::store::{CommandKey, Committed};

/// At most this many aggregates' appends go into one statement of a batch.
const APPENDS_PER_STATEMENT: usize = 1_000;

/// One command of a batch.
#[derive(Debug, Clone)]
pub struct BatchCommand<A: Aggregate> {
    /// The aggregate it goes to.
    pub id: String,
    /// The command.
    pub command: A::Command,
    /// Its keys, as for [`EventStore::execute`].
    pub keys: Vec<CommandKey>,
}

/// What a batch did.
#[derive(Debug)]
pub struct Batched<A: StoredAggregate> {
    /// Each command's outcome, in the order the commands were given, as
    /// [`EventStore::execute`] would have answered it.
    pub outcomes: Vec<Outcome<A>>,
    /// The state of every aggregate the batch read or was given and wrote through its own
    /// statement (or left unchanged), with its own events applied once: what the log holds for
    /// it as of the batch. An aggregate whose commands ran alone is not here.
    pub states: HashMap<String, Loaded<A>>,
}

/// The commands of one aggregate in a batch and where its state came from.
struct Group<A: StoredAggregate> {
    id: String,
    /// Indexes into the batch, in order.
    commands: Vec<usize>,
    /// Read from the log (by the batch or the caller) rather than taken from the cache.
    from_log: bool,
    loaded: Option<Loaded<A>>,
}

/// One command's answer, as [`EventStore::execute`] gives it.
type Outcome<A> = Result<Committed<A>, CommandError<<A as Aggregate>::Error>>;

/// A group's state after its commands, and each command's decision.
type Decision<A> = Option<(A, Vec<Decided<A>>)>;

/// A command key as stored: scope, key, fingerprint, position, answer.
type StoredKey = (
    String,
    String,
    Vec<u8>,
    i64,
    sqlx::types::Json<serde_json::Value>,
);

/// One command's decision.
enum Decided<A: StoredAggregate> {
    Events(Vec<A::Event>),
    Refused(A::Error),
}

impl EventStore {
    /// Loads many aggregates of one type, each from its latest snapshot and the events after
    /// it, with one query. Each event is applied exactly once. An aggregate without events is
    /// its default state at sequence 0.
    pub async fn load_many<A: StoredAggregate>(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, Loaded<A>>, StoreError> {
        let rows: Vec<(String, i32, i64, i64, String)> = sqlx::query_as(
            "WITH wanted AS (SELECT DISTINCT unnest($2::text[]) AS id),
             snapshot AS (
                 SELECT s.aggregate_id, s.last_sequence, s.last_position, s.payload
                   FROM aggregate_snapshots s JOIN wanted ON s.aggregate_id = wanted.id
                  WHERE s.aggregate_type = $1 AND s.state_version = $3)
             SELECT aggregate_id, 0, last_sequence, last_position, payload::text FROM snapshot
             UNION ALL
             SELECT e.aggregate_id, 1, e.sequence, e.global_position, e.payload::text
               FROM wanted
               JOIN events e ON e.aggregate_type = $1 AND e.aggregate_id = wanted.id
               LEFT JOIN snapshot ON snapshot.aggregate_id = wanted.id
              WHERE e.sequence > coalesce(snapshot.last_sequence, 0)
             ORDER BY 1, 2, 3",
        )
        .bind(A::TYPE)
        .bind(ids)
        .bind(A::STATE_VERSION)
        .fetch_all(&self.pool)
        .await?;
        let mut loaded: HashMap<String, Loaded<A>> = ids
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    Loaded {
                        aggregate: A::default(),
                        sequence: 0,
                        position: 0,
                    },
                )
            })
            .collect();
        for (id, kind, sequence, position, payload) in rows {
            let Some(one) = loaded.get_mut(&id) else {
                continue;
            };
            if kind == 0 {
                one.aggregate = serde_json::from_str(&payload)?;
            } else {
                one.aggregate.apply(serde_json::from_str(&payload)?);
            }
            one.sequence = sequence;
            one.position = position;
        }
        Ok(loaded)
    }

    /// Runs `commands` (on aggregates of one type, any number per aggregate) and appends what
    /// they decide with one statement per thousand aggregates.
    ///
    /// Each aggregate decides its commands in the order given, each on the state the previous
    /// ones left; a refused command writes nothing and the next goes on, as if each had been
    /// run alone with [`EventStore::execute`], and the answers are the ones it would give. The
    /// aggregates' in-process locks are held from before their state is read until their append
    /// is answered, so no other command of this process runs on them in between.
    ///
    /// `read` holds states the caller has just read from the log ([`EventStore::load_many`], or
    /// a previous batch's [`Batched::states`]): they are trusted as the log's, as a state the
    /// store reads itself; should one be stale, the append conflicts and the commands run alone.
    /// The other aggregates come from this process's cache or, with one query for them all, from
    /// the log; a refusal or a command that changes nothing on cached state is decided again on
    /// state read from the log.
    pub async fn execute_batch<A>(
        &self,
        commands: Vec<BatchCommand<A>>,
        context: &CommandContext,
        mut read: HashMap<String, Loaded<A>>,
    ) -> Batched<A>
    where
        A: StoredAggregate,
        A::Command: NamedCommand + Clone + Send + 'static,
        A::Error: Send + 'static,
    {
        let mut outcomes: Vec<Option<Outcome<A>>> = commands.iter().map(|_| None).collect();
        let mut groups = group_by_aggregate::<A>(&commands);
        // Locks in one order (by id), so that two batches never wait for each other.
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        let mut guards: Vec<KeyedGuard<'_>> = Vec::with_capacity(groups.len());
        for group in &groups {
            guards.push(self.locks.lock(A::TYPE, &group.id).await);
        }
        for group in &mut groups {
            if let Some(loaded) = read.remove(&group.id) {
                group.loaded = Some(loaded);
                group.from_log = true;
            } else {
                group.loaded = self.cached::<A>(&group.id);
            }
        }
        self.read_missing(&mut groups).await;
        // Decide; what cached state cannot settle is read from the log and decided again.
        let mut decided: Vec<Decision<A>> = Vec::with_capacity(groups.len());
        for group in &groups {
            decided.push(decide(group, &commands).await);
        }
        let mut again = false;
        for (group, decision) in groups.iter_mut().zip(&decided) {
            if decision.is_none() && group.loaded.is_some() && !group.from_log {
                self.cache.forget(A::TYPE, &group.id);
                group.loaded = None;
                again = true;
            }
        }
        if again {
            self.read_missing(&mut groups).await;
            for (group, decision) in groups.iter().zip(decided.iter_mut()) {
                if decision.is_none() {
                    *decision = decide(group, &commands).await;
                }
            }
        }
        // A refused command whose key was used before gets the first answer, as alone. If that
        // cannot be looked up, the groups with such a command run alone.
        let refused_keyed: Vec<usize> = refused_with_keys(&groups, &commands, &decided);
        let (replays, skip) = match self.replays(&commands, &refused_keyed).await {
            Ok(replays) => (replays, Vec::new()),
            Err(error) => {
                tracing::debug!(%error, "a batch's key look-up failed; its commands run alone");
                let skip = groups
                    .iter()
                    .enumerate()
                    .filter(|(_, group)| group.commands.iter().any(|c| refused_keyed.contains(c)))
                    .map(|(index, _)| index)
                    .collect();
                (HashMap::new(), skip)
            }
        };
        // Append every group's events and keys, in statements of many groups.
        let mut appends = Vec::new();
        let mut appended_groups = Vec::new();
        let mut unchanged = Vec::new();
        for (index, (group, decision)) in groups.iter().zip(&decided).enumerate() {
            let (Some(loaded), Some((state, decisions))) = (&group.loaded, decision) else {
                continue;
            };
            if skip.contains(&index) {
                continue;
            }
            let names: Vec<&'static str> = group
                .commands
                .iter()
                .filter_map(|&c| commands.get(c))
                .map(|c| c.command.name())
                .collect();
            let parts: Vec<Part<'_, A::Event>> = group
                .commands
                .iter()
                .zip(decisions)
                .zip(&names)
                .filter_map(|((&c, decision), name)| match decision {
                    Decided::Events(events) => commands.get(c).map(|command| Part {
                        events,
                        context,
                        command: name,
                        keys: &command.keys,
                        credential: command.command.credential(),
                    }),
                    Decided::Refused(_) => None,
                })
                .collect();
            match self.prepare_append(&group.id, loaded.sequence, loaded.position, &parts, state) {
                Ok(Some(append)) => {
                    appends.push(append);
                    appended_groups.push(index);
                }
                Ok(None) => unchanged.push(index),
                // Unserializable: the command alone reports it.
                Err(_) => {}
            }
        }
        let written = write_now(&self.pool, appends, APPENDS_PER_STATEMENT).await;
        let mut positions_of: HashMap<usize, Vec<i64>> = HashMap::new();
        for (index, outcome) in appended_groups.into_iter().zip(written) {
            if let Ok(Appended::Written { positions, .. }) = outcome {
                positions_of.insert(index, positions);
            }
        }
        for index in unchanged {
            positions_of.insert(index, Vec::new());
        }
        // Answer what was written; hand the rest to `execute`.
        let mut states = read;
        let mut alone = Vec::new();
        let mut decided = decided.into_iter();
        let mut replays = replays;
        for (index, group) in groups.into_iter().enumerate() {
            let decision = decided.next().flatten();
            let (Some(positions), Some(loaded), Some((state, decisions))) =
                (positions_of.remove(&index), group.loaded, decision)
            else {
                alone.push(Group {
                    loaded: None,
                    ..group
                });
                continue;
            };
            let mut position = loaded.position;
            let mut through = 0;
            for (&c, decision) in group.commands.iter().zip(decisions) {
                let keys = commands.get(c).map_or(&[][..], |command| &command.keys[..]);
                let outcome = match decision {
                    Decided::Events(events) => {
                        through += events.len();
                        if !events.is_empty()
                            && let Some(&at) = through.checked_sub(1).and_then(|i| positions.get(i))
                        {
                            position = at;
                        }
                        Ok(Committed {
                            position,
                            events,
                            replayed: false,
                            answer: keys
                                .first()
                                .map_or(serde_json::Value::Null, |k| k.answer.clone()),
                        })
                    }
                    Decided::Refused(refusal) => match replays.remove(&c) {
                        Some(Ok((at, answer))) => Ok(Committed {
                            position: at,
                            events: Vec::new(),
                            replayed: true,
                            answer,
                        }),
                        Some(Err(key)) => Err(CommandError::KeyReused { key }),
                        None => Err(CommandError::Rejected(refusal)),
                    },
                };
                count::<A>(commands.get(c), &outcome);
                if let Some(slot) = outcomes.get_mut(c) {
                    *slot = Some(outcome);
                }
            }
            let sequence = loaded.sequence + i64::try_from(through).unwrap_or(i64::MAX);
            if through > 0 {
                self.remember(&group.id, &state, loaded.sequence, through, position);
            }
            states.insert(
                group.id,
                Loaded {
                    aggregate: state,
                    sequence,
                    position,
                },
            );
        }
        drop(guards);
        for group in alone {
            for c in group.commands {
                let Some(command) = commands.get(c) else {
                    continue;
                };
                let outcome = self
                    .execute::<A>(&group.id, command.command.clone(), context, &command.keys)
                    .await;
                if let Some(slot) = outcomes.get_mut(c) {
                    *slot = Some(outcome);
                }
            }
        }
        Batched {
            outcomes: outcomes
                .into_iter()
                .map(|outcome| {
                    outcome.unwrap_or_else(|| {
                        Err(CommandError::Store(StoreError::Repository(
                            "a batched command was not run".to_owned(),
                        )))
                    })
                })
                .collect(),
            states,
        }
    }

    /// Reads from the log, with one query, the groups that have no state yet. If the read
    /// fails they stay without, and run alone.
    async fn read_missing<A: StoredAggregate>(&self, groups: &mut [Group<A>]) {
        let missing: Vec<String> = groups
            .iter()
            .filter(|group| group.loaded.is_none())
            .map(|group| group.id.clone())
            .collect();
        if missing.is_empty() {
            return;
        }
        match self.load_many::<A>(&missing).await {
            Ok(mut loaded) => {
                for group in groups.iter_mut().filter(|group| group.loaded.is_none()) {
                    group.loaded = loaded.remove(&group.id);
                    group.from_log = true;
                }
            }
            Err(error) => {
                tracing::debug!(%error, "a batch's read failed; its commands run alone");
            }
        }
    }

    /// For each of `refused` (commands with keys), the first answer if one of its keys was
    /// used before (`Ok((position, answer))`), or the key if it was used for another request
    /// (`Err(key)`), looked up with one query, in the order [`EventStore::execute`] looks.
    async fn replays<A: StoredAggregate>(
        &self,
        commands: &[BatchCommand<A>],
        refused: &[usize],
    ) -> Result<HashMap<usize, Result<(i64, serde_json::Value), String>>, sqlx::Error> {
        let mut replays = HashMap::new();
        if refused.is_empty() {
            return Ok(replays);
        }
        let (scopes, keys): (Vec<&str>, Vec<&str>) = refused
            .iter()
            .filter_map(|&c| commands.get(c))
            .flat_map(|command| &command.keys)
            .map(|key| (key.scope.as_str(), key.key.as_str()))
            .unzip();
        let found: Vec<StoredKey> = sqlx::query_as(
            "SELECT k.scope, k.key, c.fingerprint, c.position, c.answer
                   FROM unnest($1::text[], $2::text[]) AS k(scope, key)
                   JOIN command_keys c ON c.scope = k.scope AND c.key = k.key",
        )
        .bind(&scopes)
        .bind(&keys)
        .fetch_all(&self.pool)
        .await?;
        let found: HashMap<(String, String), (Vec<u8>, i64, serde_json::Value)> = found
            .into_iter()
            .map(|(scope, key, fingerprint, position, answer)| {
                ((scope, key), (fingerprint, position, answer.0))
            })
            .collect();
        for &c in refused {
            let Some(command) = commands.get(c) else {
                continue;
            };
            for key in &command.keys {
                if let Some((fingerprint, position, answer)) =
                    found.get(&(key.scope.clone(), key.key.clone()))
                {
                    let replay = if *fingerprint == key.fingerprint {
                        Ok((*position, answer.clone()))
                    } else {
                        Err(key.key.clone())
                    };
                    replays.insert(c, replay);
                    break;
                }
            }
        }
        Ok(replays)
    }
}

/// The refused commands that carry keys.
fn refused_with_keys<A: StoredAggregate>(
    groups: &[Group<A>],
    commands: &[BatchCommand<A>],
    decided: &[Decision<A>],
) -> Vec<usize> {
    let mut refused = Vec::new();
    for (group, decision) in groups.iter().zip(decided) {
        let Some((_, decisions)) = decision else {
            continue;
        };
        for (&c, decision) in group.commands.iter().zip(decisions) {
            if matches!(decision, Decided::Refused(_))
                && commands
                    .get(c)
                    .is_some_and(|command| !command.keys.is_empty())
            {
                refused.push(c);
            }
        }
    }
    refused
}

/// Decides the group's commands in order on its state: the state after them and each one's
/// decision, or `None` when there is no state, or when cached state refused a command or
/// changed nothing (only the log's state is trusted for that).
async fn decide<A>(group: &Group<A>, commands: &[BatchCommand<A>]) -> Decision<A>
where
    A: StoredAggregate,
    A::Command: Clone,
{
    let mut aggregate = group.loaded.as_ref()?.aggregate.clone();
    let mut decisions = Vec::with_capacity(group.commands.len());
    for &c in &group.commands {
        let command = commands.get(c)?;
        let sink = EventSink::default();
        let handled = aggregate.handle(command.command.clone(), &(), &sink).await;
        match handled {
            Err(refusal) => {
                if !group.from_log {
                    return None;
                }
                decisions.push(Decided::Refused(refusal));
            }
            Ok(()) => {
                let events = sink.collect().await;
                if events.is_empty() && !group.from_log {
                    return None;
                }
                decisions.push(Decided::Events(events));
            }
        }
    }
    Some((aggregate, decisions))
}

/// Counts a batched command's outcome as [`EventStore::execute`] does.
fn count<A: StoredAggregate>(command: Option<&BatchCommand<A>>, outcome: &Outcome<A>)
where
    A::Command: NamedCommand,
{
    let Some(command) = command else {
        return;
    };
    let outcome = match outcome {
        Ok(committed) if committed.replayed => "replayed",
        Ok(_) => "ok",
        Err(CommandError::Rejected(_)) => "rejected",
        Err(CommandError::KeyReused { .. }) => "key_reused",
        Err(CommandError::Store(_)) => "error",
    };
    metrics::counter!(
        "billing_commands_total",
        "command" => command.command.name(),
        "outcome" => outcome
    )
    .increment(1);
    metrics::counter!("billing_commands_batched_total").increment(1);
}

fn group_by_aggregate<A: StoredAggregate>(commands: &[BatchCommand<A>]) -> Vec<Group<A>> {
    let mut groups: Vec<Group<A>> = Vec::new();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (index, command) in commands.iter().enumerate() {
        match by_id.get(command.id.as_str()) {
            Some(&at) => {
                if let Some(group) = groups.get_mut(at) {
                    group.commands.push(index);
                }
            }
            None => {
                by_id.insert(command.id.as_str(), groups.len());
                groups.push(Group {
                    id: command.id.clone(),
                    commands: vec![index],
                    from_log: false,
                    loaded: None,
                });
            }
        }
    }
    groups
}
