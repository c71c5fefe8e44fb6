//! `billing demo --events N`: a large data set written quickly, for measuring the audit stream,
//! the replay and rebuilds over a million events and more.
//!
//! The events are genuine: every one is decided by its aggregate's own `decide` on state built
//! in memory by `apply` (a provider and its tariff, then per client: the registration, payments
//! into the personal account, a monthly service ordered, charged, activated and prolonged each
//! month). Only the writing differs from the command path: the events go to `events` with
//! `COPY`, tens of thousands per statement, each statement its own transaction (so its own
//! `tx_id`, and `global_position` in writing order, as the safe order wants), with each
//! aggregate's sequence numbered from 1 and the metadata the store writes (`system:demo-bulk`
//! as the actor). No command keys or snapshots are written: loads replay the streams, and a
//! repeat of a bulk payment id over HTTP would not be recognised as a repeat.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use domain::account::{Account, AccountCommand, PaymentMethod};
use domain::client::{Client, ClientCommand, ClientKind, ClientName, Country, Email};
use domain::ids::{AccountId, ClientId, OperationId, PaymentId, ProviderId, ServiceId, TariffId};
use domain::money::{Currency, Money};
use domain::period::BillingPeriod;
use domain::provider::{Provider, ProviderCommand};
use domain::service::{Service, ServiceCommand};
use domain::tariff::{ItemType, OrderSelection, PeriodPrice, Tariff, TariffCommand};
use eventstore::metadata::EventMetadata;
use eventstore::{CommandKey, NamedCommand, StoreConfig, StoredAggregate};
use sqlx::PgPool;
use uuid::Uuid;

use crate::usecases::process::settlement;

/// Why the bulk data set could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// The database refused.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An event did not serialize.
    #[error("serialization error: {0}")]
    Json(#[from] serde_json::Error),
    /// A domain command was refused: a bug in the generator.
    #[error("bulk command refused: {0}")]
    Refused(String),
}

fn refused(error: impl std::fmt::Display) -> BulkError {
    BulkError::Refused(error.to_string())
}

/// What was written, and how fast.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BulkReport {
    /// Events written.
    pub events: u64,
    /// Clients registered.
    pub clients: u64,
    /// `COPY` statements (transactions).
    pub statements: u64,
    /// Wall time, deciding and writing overlapped.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
    /// Events per second.
    pub events_per_second: f64,
}

fn seconds<S: serde::Serializer>(elapsed: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(elapsed.as_secs_f64())
}

/// Events per `COPY` statement.
const CHUNK_EVENTS: usize = 25_000;

/// Months each client's service runs.
const MONTHS: u32 = 12;

/// One aggregate's stream in memory: its state and its last sequence.
struct Stream<A> {
    id: String,
    aggregate: A,
    sequence: i64,
}

impl<A: Aggregate + Default> Stream<A> {
    fn new(id: String) -> Self {
        Self {
            id,
            aggregate: A::default(),
            sequence: 0,
        }
    }
}

/// Rows in COPY text format, handed to the writer chunk by chunk.
struct Rows {
    buffer: Vec<u8>,
    events: usize,
    total: u64,
    send: tokio::sync::mpsc::Sender<(Vec<u8>, usize)>,
    /// The actor in the events' metadata.
    actor: String,
    /// When set, what the command path writes besides the events: the snapshots the store would
    /// take and the command keys (see [`set_up_billing_day`]).
    beside: Option<Beside>,
}

/// The rows the command path writes beside the events, with the sequence of the event whose
/// global position they carry (known once the events are written).
#[derive(Default)]
struct Beside {
    /// The latest snapshot per aggregate: (type, id) to (state version, last sequence, state).
    snapshots: HashMap<(&'static str, String), (i32, i64, String)>,
    /// Command keys: the key and the aggregate's type, id and the sequence it points at.
    keys: Vec<(CommandKey, &'static str, String, i64)>,
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

impl Rows {
    /// Records `events` as decided by `stream`'s aggregate for `command`, applies them, and
    /// sends a chunk when one is full.
    fn record<A: Aggregate>(
        &mut self,
        stream: &mut Stream<A>,
        command: &str,
        events: Vec<A::Event>,
        at: DateTime<Utc>,
    ) -> Result<(), BulkError> {
        for event in events {
            stream.sequence += 1;
            let metadata = EventMetadata {
                event_id: Uuid::now_v7(),
                occurred_at: at,
                recorded_at: None,
                actor: self.actor.clone(),
                on_behalf_of: None,
                request_id: None,
                idempotency_key: None,
                command: command.to_owned(),
            };
            let out = &mut self.buffer;
            push_field(out, A::TYPE);
            out.push(b'\t');
            push_field(out, &stream.id);
            out.push(b'\t');
            out.extend_from_slice(stream.sequence.to_string().as_bytes());
            out.push(b'\t');
            push_field(out, &event.event_type());
            out.push(b'\t');
            push_field(out, &event.event_version());
            out.push(b'\t');
            push_field(out, &serde_json::to_string(&event)?);
            out.push(b'\t');
            push_field(out, &serde_json::to_string(&metadata)?);
            out.push(b'\n');
            self.events += 1;
            self.total += 1;
            stream.aggregate.apply(event);
        }
        if self.events >= CHUNK_EVENTS {
            self.flush()?;
        }
        Ok(())
    }

    /// Records the events `command` decided on `stream`'s state as
    /// [`eventstore::EventStore::execute`] would write them: the events, `key` at the command's
    /// last event and, when the stream crosses a multiple of the store's snapshot interval, the
    /// snapshot of the state after them.
    fn record_command<A: StoredAggregate>(
        &mut self,
        stream: &mut Stream<A>,
        command: &str,
        events: Vec<A::Event>,
        key: Option<CommandKey>,
        at: DateTime<Utc>,
    ) -> Result<(), BulkError> {
        let before = stream.sequence;
        self.record(stream, command, events, at)?;
        let Some(beside) = self.beside.as_mut() else {
            return Ok(());
        };
        if let Some(key) = key {
            beside
                .keys
                .push((key, A::TYPE, stream.id.clone(), stream.sequence));
        }
        let every = StoreConfig::default().snapshot_every.max(1);
        if stream.sequence > before && stream.sequence / every > before / every {
            beside.snapshots.insert(
                (A::TYPE, stream.id.clone()),
                (
                    A::STATE_VERSION,
                    stream.sequence,
                    serde_json::to_string(&stream.aggregate)?,
                ),
            );
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), BulkError> {
        if self.events == 0 {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.buffer);
        self.buffer.reserve(chunk.len());
        self.send
            .blocking_send((chunk, self.events))
            .map_err(|_| refused("the writer stopped"))?;
        self.events = 0;
        Ok(())
    }
}

fn money(amount: &str, currency: Currency) -> Result<Money, BulkError> {
    Money::parse(amount, currency).map_err(refused)
}

/// Decides the whole data set on this (blocking) thread, sending COPY chunks to the writer.
/// Returns the events and clients decided.
fn generate(rows: &mut Rows, target: u64, seed: u64) -> Result<u64, BulkError> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 8, 0, 0)
        .single()
        .ok_or_else(|| refused("start time"))?;
    let mut providers = Vec::new();
    for (name, code, price) in [
        ("Bulk Hosting EU", "EUR", "9.90"),
        ("Bulk Hosting US", "USD", "10.90"),
    ] {
        let currency = Currency::parse(code).map_err(refused)?;
        let provider_id = ProviderId::from_uuid(Uuid::now_v7());
        let mut provider = Stream::<Provider>::new(provider_id.to_string());
        let events = provider
            .aggregate
            .decide(ProviderCommand::CreateProvider {
                provider_id,
                name: name.to_owned(),
                currency,
                sandbox: false,
                created_at: Utc::now(),
            })
            .map_err(refused)?;
        rows.record(&mut provider, "CreateProvider", events, start)?;
        let tariff_id = TariffId::from_uuid(Uuid::now_v7());
        let mut tariff = Stream::<Tariff>::new(tariff_id.to_string());
        let events = tariff
            .aggregate
            .decide(TariffCommand::CreateTariff {
                tariff_id,
                provider_id,
                name: "VDS Bulk".to_owned(),
                item_type: ItemType::Vds,
                prices: vec![PeriodPrice {
                    period: BillingPeriod::Month,
                    price: money(price, currency)?,
                }],
                setup_fees: Vec::new(),
                addons: Vec::new(),
            })
            .map_err(refused)?;
        rows.record(&mut tariff, "CreateTariff", events, start)?;
        let terms = tariff
            .aggregate
            .quote(&OrderSelection {
                period: BillingPeriod::Month,
                currency,
                addons: Vec::new(),
            })
            .map_err(refused)?;
        providers.push((provider_id, currency, terms));
    }
    let mut clients = 0u64;
    while rows.total < target {
        let (provider_id, currency, terms) = &providers[usize::try_from(clients % 2).unwrap_or(0)];
        let (provider_id, currency) = (*provider_id, *currency);
        // Clients arrive a minute apart; each one's history then runs over a year.
        let joined = start + chrono::Duration::minutes(i64::try_from(clients).unwrap_or(0));
        let day = |months: u32| -> Result<(NaiveDate, DateTime<Utc>), BulkError> {
            let on = joined
                .date_naive()
                .checked_add_months(chrono::Months::new(months))
                .ok_or_else(|| refused("calendar overflow"))?;
            let at = on.and_time(joined.time()).and_utc();
            Ok((on, at))
        };
        let client_id = ClientId::from_uuid(Uuid::now_v7());
        let mut client = Stream::<Client>::new(client_id.to_string());
        let events = client
            .aggregate
            .decide(ClientCommand::RegisterClient {
                client_id,
                provider_id,
                currency,
                name: ClientName::parse(&format!("Bulk Client {}", clients + 1))
                    .map_err(refused)?,
                email: Email::parse(&format!("bulk.{}@example.com", clients + 1))
                    .map_err(refused)?,
                kind: ClientKind::Individual,
                country: Country::parse("DE").map_err(refused)?,
            })
            .map_err(refused)?;
        rows.record(&mut client, "RegisterClient", events, joined)?;
        let account_id = AccountId::of(client_id, provider_id, currency);
        let mut account = Stream::<Account>::new(account_id.to_string());
        let service_id = ServiceId::from_uuid(Uuid::now_v7());
        let mut service = Stream::<Service>::new(service_id.to_string());
        for month in 0..MONTHS {
            let (on, at) = day(month)?;
            // A first payment that covers the first month, then one most months.
            if month == 0 || rng.u8(0..3) > 0 {
                let cents = if month == 0 {
                    rng.u32(2_000..6_000)
                } else {
                    rng.u32(500..2_500)
                };
                let events = account
                    .aggregate
                    .decide(AccountCommand::PostPayment {
                        client_id,
                        provider_id,
                        payment_id: PaymentId::from_uuid(Uuid::now_v7()),
                        amount: money(&format!("{}.{:02}", cents / 100, cents % 100), currency)?,
                        method: PaymentMethod::parse(if rng.bool() {
                            "card"
                        } else {
                            "bank_transfer"
                        })
                        .map_err(refused)?,
                        conversion: None,
                    })
                    .map_err(refused)?;
                rows.record(&mut account, "PostPayment", events, at)?;
            }
            if month == 0 {
                let events = service
                    .aggregate
                    .decide(ServiceCommand::OrderService {
                        trial: None,
                        service_id,
                        client_id,
                        provider_id,
                        account_id,
                        terms: terms.clone(),
                        auto_prolong: true,
                        ordered_on: on,
                        discount: None,
                        domain: None,
                        required_agreement: None,
                        accepted_agreement: None,
                    })
                    .map_err(refused)?;
                rows.record(&mut service, "OrderService", events, at)?;
            }
            let Some(due) = service.aggregate.due_period(on) else {
                continue;
            };
            let charged = account.aggregate.decide(AccountCommand::ChargeExpense {
                client_id,
                provider_id,
                expense: settlement::expense_line(service_id, terms, &due),
                // The bulk data set's provider has no tax rules.
                treatment: domain::tax::TaxTreatment::NotTaxed,
            });
            // Not enough money this month: the service waits, as the billing day would leave it.
            let Ok(events) = charged else {
                continue;
            };
            rows.record(&mut account, "ChargeExpense", events, at)?;
            let events = service
                .aggregate
                .decide(ServiceCommand::RecordCharge {
                    expense_id: due.expense_id,
                    period_start: due.period_start,
                    period_end: due.period_end,
                    amount: due.amount,
                    operation_id: OperationId::from_uuid(Uuid::now_v7()),
                    on,
                })
                .map_err(refused)?;
            rows.record(&mut service, "RecordCharge", events, at)?;
            if let Some(operation) = service.aggregate.operation() {
                let events = service
                    .aggregate
                    .decide(ServiceCommand::CompleteOperation {
                        operation_id: operation.operation_id,
                    })
                    .map_err(refused)?;
                let done = at + chrono::Duration::minutes(2);
                rows.record(&mut service, "CompleteOperation", events, done)?;
            }
        }
        clients += 1;
    }
    rows.flush()?;
    Ok(clients)
}

/// Writes at least `target` genuine events (see the module documentation) with `COPY`, deciding
/// on a blocking thread while the database writes the previous chunk.
pub async fn load(pool: &PgPool, target: u64, seed: u64) -> Result<BulkReport, BulkError> {
    let started = Instant::now();
    let (send, mut receive) = tokio::sync::mpsc::channel::<(Vec<u8>, usize)>(2);
    let generator = tokio::task::spawn_blocking(move || {
        let mut rows = Rows {
            buffer: Vec::new(),
            events: 0,
            total: 0,
            send,
            actor: "system:demo-bulk".to_owned(),
            beside: None,
        };
        let clients = generate(&mut rows, target, seed)?;
        Ok::<(u64, u64), BulkError>((rows.total, clients))
    });
    let mut statements = 0u64;
    let mut conn = pool.acquire().await?;
    while let Some((chunk, _events)) = receive.recv().await {
        let mut copy = conn
            .copy_in_raw(
                "COPY events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                              payload, metadata) FROM STDIN",
            )
            .await?;
        copy.send(chunk).await?;
        copy.finish().await?;
        statements += 1;
    }
    eventstore::wake_projections(&mut *conn).await;
    let (events, clients) = generator.await.map_err(refused)??;
    let elapsed = started.elapsed();
    #[expect(clippy::as_conversions, reason = "a rate for people to read")]
    let events_per_second = events as f64 / elapsed.as_secs_f64().max(f64::EPSILON);
    Ok(BulkReport {
        events,
        clients,
        statements,
        elapsed,
        events_per_second,
    })
}

/// What [`set_up_billing_day`] wrote.
#[derive(Debug, Clone)]
pub struct BillingDaySetUp {
    /// Events written.
    pub events: u64,
    /// Command keys written.
    pub keys: u64,
    /// Snapshots written.
    pub snapshots: u64,
}

/// Writes, with `COPY`, what the command path writes when `billing bench --workload billing-day`
/// sets up `services` monthly services of 10.00 EUR ordered on `ordered_on`, 100 per client,
/// each client paying 2,000.00 first: a provider and its tariff, then per client its
/// registration and its payment, then per service its order, its first charge on the account
/// (keyed by its expense, as settlement keys it), the charge recorded on the service and its
/// activation completed. Every event is decided by its aggregate's own `decide` on state built
/// by `apply`, in the order the set-up's commands run; beside the events go the expense keys
/// (each at its charge's position) and the snapshots the store takes every
/// `StoreConfig::snapshot_every` events of a stream, so that the billing day reads what it
/// would read after the set-up through commands. The metadata names `actor`.
pub async fn set_up_billing_day(
    pool: &PgPool,
    services: usize,
    ordered_on: NaiveDate,
    actor: &str,
) -> Result<BillingDaySetUp, BulkError> {
    let (send, mut receive) = tokio::sync::mpsc::channel::<(Vec<u8>, usize)>(2);
    let actor = actor.to_owned();
    let generator = tokio::task::spawn_blocking(move || {
        let mut rows = Rows {
            buffer: Vec::new(),
            events: 0,
            total: 0,
            send,
            actor,
            beside: Some(Beside::default()),
        };
        generate_billing_day(&mut rows, services, ordered_on)?;
        rows.flush()?;
        Ok::<(u64, Beside), BulkError>((rows.total, rows.beside.take().unwrap_or_default()))
    });
    let mut conn = pool.acquire().await?;
    while let Some((chunk, _events)) = receive.recv().await {
        let mut copy = conn
            .copy_in_raw(
                "COPY events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                              payload, metadata) FROM STDIN",
            )
            .await?;
        copy.send(chunk).await?;
        copy.finish().await?;
    }
    let (events, beside) = generator.await.map_err(refused)??;
    let mut scopes = Vec::new();
    let mut keys = Vec::new();
    let mut fingerprints = Vec::new();
    let mut key_types = Vec::new();
    let mut key_ids = Vec::new();
    let mut key_sequences = Vec::new();
    for (key, aggregate_type, id, sequence) in &beside.keys {
        scopes.push(key.scope.as_str());
        keys.push(key.key.as_str());
        fingerprints.push(key.fingerprint.as_slice());
        key_types.push(*aggregate_type);
        key_ids.push(id.as_str());
        key_sequences.push(*sequence);
    }
    // Each key's position is that of its command's last event, as the store records it; the
    // answer is the one settlement gives (none).
    let written_keys = sqlx::query(
        "INSERT INTO command_keys
             (scope, key, fingerprint, aggregate_type, aggregate_id, position, answer)
         SELECT k.scope, k.key, k.fingerprint, k.t, k.i, e.global_position, 'null'::json
           FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::bigint[])
                AS k(scope, key, fingerprint, t, i, s)
           JOIN events e ON e.aggregate_type = k.t AND e.aggregate_id = k.i AND e.sequence = k.s",
    )
    .bind(&scopes)
    .bind(&keys)
    .bind(&fingerprints)
    .bind(&key_types)
    .bind(&key_ids)
    .bind(&key_sequences)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let mut types = Vec::new();
    let mut ids = Vec::new();
    let mut versions = Vec::new();
    let mut sequences = Vec::new();
    let mut states = Vec::new();
    for ((aggregate_type, id), (version, sequence, state)) in &beside.snapshots {
        types.push(*aggregate_type);
        ids.push(id.as_str());
        versions.push(*version);
        sequences.push(*sequence);
        states.push(state.as_str());
    }
    let written_snapshots = sqlx::query(
        "INSERT INTO aggregate_snapshots
             (aggregate_type, aggregate_id, state_version, last_sequence, last_position, payload)
         SELECT s.t, s.i, s.v, s.q, e.global_position, s.p::json
           FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[])
                AS s(t, i, v, q, p)
           JOIN events e ON e.aggregate_type = s.t AND e.aggregate_id = s.i AND e.sequence = s.q",
    )
    .bind(&types)
    .bind(&ids)
    .bind(&versions)
    .bind(&sequences)
    .bind(&states)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    eventstore::wake_projections(&mut *conn).await;
    Ok(BillingDaySetUp {
        events,
        keys: written_keys,
        snapshots: written_snapshots,
    })
}

/// Decides the billing-day bench's set-up (see [`set_up_billing_day`]) on this (blocking) thread.
fn generate_billing_day(
    rows: &mut Rows,
    services: usize,
    ordered_on: NaiveDate,
) -> Result<(), BulkError> {
    let at = Utc::now();
    let eur = Currency::parse("EUR").map_err(refused)?;
    let provider_id = ProviderId::from_uuid(Uuid::now_v7());
    let mut provider = Stream::<Provider>::new(provider_id.to_string());
    let command = ProviderCommand::CreateProvider {
        provider_id,
        name: "Bench Hosting".to_owned(),
        currency: eur,
        sandbox: false,
        created_at: Utc::now(),
    };
    let name = command.name();
    let events = provider.aggregate.decide(command).map_err(refused)?;
    rows.record_command(&mut provider, name, events, None, at)?;
    let tariff_id = TariffId::from_uuid(Uuid::now_v7());
    let mut tariff = Stream::<Tariff>::new(tariff_id.to_string());
    let command = TariffCommand::CreateTariff {
        tariff_id,
        provider_id,
        name: "Bench VDS".to_owned(),
        item_type: ItemType::Vds,
        prices: vec![PeriodPrice {
            period: BillingPeriod::Month,
            price: money("10.00", eur)?,
        }],
        setup_fees: Vec::new(),
        addons: Vec::new(),
    };
    let name = command.name();
    let events = tariff.aggregate.decide(command).map_err(refused)?;
    rows.record_command(&mut tariff, name, events, None, at)?;
    let terms = tariff
        .aggregate
        .quote(&OrderSelection {
            period: BillingPeriod::Month,
            currency: eur,
            addons: Vec::new(),
        })
        .map_err(refused)?;
    let per_client = 100;
    let clients = services.div_ceil(per_client);
    let mut accounts = Vec::with_capacity(clients);
    for n in 0..clients {
        let client_id = ClientId::from_uuid(Uuid::now_v7());
        let mut client = Stream::<Client>::new(client_id.to_string());
        let command = ClientCommand::RegisterClient {
            client_id,
            provider_id,
            currency: eur,
            name: ClientName::parse(&format!("Bench Client {n}")).map_err(refused)?,
            email: Email::parse(&format!("bench{n}@example.com")).map_err(refused)?,
            kind: ClientKind::Company,
            country: Country::parse("DE").map_err(refused)?,
        };
        let name = command.name();
        let events = client.aggregate.decide(command).map_err(refused)?;
        rows.record_command(&mut client, name, events, None, at)?;
        let account_id = AccountId::of(client_id, provider_id, eur);
        let mut account = Stream::<Account>::new(account_id.to_string());
        let command = AccountCommand::PostPayment {
            client_id,
            provider_id,
            payment_id: PaymentId::from_uuid(Uuid::now_v7()),
            amount: money("2000.00", eur)?,
            method: PaymentMethod::parse("bank_transfer").map_err(refused)?,
            conversion: None,
        };
        let name = command.name();
        let events = account.aggregate.decide(command).map_err(refused)?;
        rows.record_command(&mut account, name, events, None, at)?;
        accounts.push((client_id, account_id, account));
    }
    for n in 0..services {
        let Some((client_id, account_id, account)) = accounts.get_mut(n % clients) else {
            return Err(refused("no client"));
        };
        let (client_id, account_id) = (*client_id, *account_id);
        let service_id = ServiceId::from_uuid(Uuid::now_v7());
        let mut service = Stream::<Service>::new(service_id.to_string());
        let command = ServiceCommand::OrderService {
            trial: None,
            service_id,
            client_id,
            provider_id,
            account_id,
            terms: terms.clone(),
            auto_prolong: true,
            ordered_on,
            discount: None,
            domain: None,
            required_agreement: None,
            accepted_agreement: None,
        };
        let name = command.name();
        let events = service.aggregate.decide(command).map_err(refused)?;
        rows.record_command(&mut service, name, events, None, at)?;
        // The first charge, as settlement makes it (`settlement::charge_due`).
        let due = service
            .aggregate
            .due_period(ordered_on)
            .ok_or_else(|| refused("nothing due on the order"))?;
        let line = settlement::expense_line(service_id, &terms, &due);
        let key = settlement::expense_key(&line).map_err(refused)?;
        let command = AccountCommand::ChargeExpense {
            client_id,
            provider_id,
            expense: line,
            // The bench's provider has no company, so nothing is taxed.
            treatment: domain::tax::TaxTreatment::NotTaxed,
        };
        let name = command.name();
        let events = account.aggregate.decide(command).map_err(refused)?;
        rows.record_command(account, name, events, Some(key), at)?;
        let command = ServiceCommand::RecordCharge {
            expense_id: due.expense_id,
            period_start: due.period_start,
            period_end: due.period_end,
            amount: due.amount,
            operation_id: OperationId::from_uuid(Uuid::now_v7()),
            on: due.period_start,
        };
        let name = command.name();
        let events = service.aggregate.decide(command).map_err(refused)?;
        rows.record_command(&mut service, name, events, None, at)?;
        let operation = service
            .aggregate
            .operation()
            .map(|op| op.operation_id)
            .ok_or_else(|| refused("no activation requested"))?;
        let command = ServiceCommand::CompleteOperation {
            operation_id: operation,
        };
        let name = command.name();
        let events = service.aggregate.decide(command).map_err(refused)?;
        rows.record_command(&mut service, name, events, None, at)?;
    }
    Ok(())
}
