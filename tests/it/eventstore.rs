//! The event log: safe order, snapshots, conflicts, command keys, metadata.

use std::collections::HashSet;
use std::sync::Arc;

use domain::account::{Account, AccountCommand, PaymentMethod};
use domain::ids::{AccountId, AdjustmentId, ClientId, PaymentId, ProviderId};
use domain::money::{Currency, Money};
use eventstore::clock::FixedClock;
use eventstore::log::{self, LogPosition, StoredEvent};
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{CommandError, CommandKey, EventStore, StoreConfig};
use sqlx::PgExecutor;
use tests::{TestDb, t0};
use uuid::Uuid;

async fn insert_raw<'e>(executor: impl PgExecutor<'e>, aggregate_id: &str) {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         VALUES ('Probe', $1, 1, 'Probed', '1.0', '{}', '{}')",
    )
    .bind(aggregate_id)
    .execute(executor)
    .await
    .expect("insert an event");
}

/// Reads in small batches until the reader reports nothing more.
async fn read_everything(db: &TestDb, from: LogPosition) -> (Vec<i64>, LogPosition) {
    let mut at = from;
    let mut seen = Vec::new();
    loop {
        let batch = log::read_after(&db.pool, at, 2).await.expect("read");
        let Some(last) = batch.last() else {
            return (seen, at);
        };
        at = last.log_position();
        seen.extend(batch.iter().map(|e| e.position));
    }
}

/// Reads until `count` events have come. Transaction ids are cluster-wide, so a transaction of
/// another test (in another database) still running also holds the reader back for a moment.
async fn read_until(db: &TestDb, from: LogPosition, count: usize) -> Vec<StoredEvent> {
    let mut at = from;
    let mut seen = Vec::new();
    for _ in 0..1000 {
        let batch = log::read_after(&db.pool, at, 100).await.expect("read");
        if let Some(last) = batch.last() {
            at = last.log_position();
        }
        seen.extend(batch);
        if seen.len() >= count {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("only {} of {count} events became readable", seen.len());
}

#[tokio::test]
async fn the_safe_order_reader_neither_skips_nor_repeats_an_event_committed_late() {
    // Arrange: two events committed and read; then a transaction takes the next position and
    // stays open while three later ones commit.
    let db = TestDb::new().await;
    insert_raw(&db.pool, "early-1").await;
    insert_raw(&db.pool, "early-2").await;
    let early = read_until(&db, LogPosition::default(), 2).await;
    let at = early.last().unwrap().log_position();
    let mut slow = db.pool.begin().await.expect("begin");
    insert_raw(&mut *slow, "slow").await;
    for n in 0..3 {
        insert_raw(&db.pool, &format!("fast-{n}")).await;
    }

    // Act: read while the slow transaction is open, then let it commit and read on.
    let (while_open, at_open) = read_everything(&db, at).await;
    slow.commit().await.expect("commit");
    let after: Vec<i64> = read_until(&db, at_open, 4)
        .await
        .iter()
        .map(|e| e.position)
        .collect();

    // Assert: the reader waited at the open transaction instead of passing it (a reader going by
    // position alone would have read the three later events and never come back for the slow
    // one), then saw every event exactly once, the late one first.
    assert!(
        while_open.is_empty(),
        "read past an open transaction: {while_open:?}"
    );
    let position_of = |id: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT global_position FROM events WHERE aggregate_id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let slow_position = position_of("slow").await;
    assert_eq!(after.len(), 4);
    assert_eq!(
        after[0], slow_position,
        "the late event comes first: {after:?}"
    );
    let all: Vec<i64> = early.iter().map(|e| e.position).chain(after).collect();
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 6);
    assert_eq!(unique.len(), 6, "no event read twice: {all:?}");
    assert!(position_of("fast-0").await > slow_position);
}

#[tokio::test]
async fn the_head_is_the_last_event_in_the_safe_order_not_the_highest_position() {
    // Arrange: two transactions writing at once, their positions interleaved: the first takes
    // a position, the second the next, then the first one more.
    let db = TestDb::new().await;
    let mut first = db.pool.begin().await.expect("begin");
    insert_raw(&mut *first, "first-1").await;
    let mut second = db.pool.begin().await.expect("begin");
    insert_raw(&mut *second, "second").await;
    insert_raw(&mut *first, "first-2").await;
    first.commit().await.expect("commit");
    second.commit().await.expect("commit");

    // Act
    let head = log::head_position(&db.pool).await.expect("head");
    let highest = log::highest_position(&db.pool).await.expect("highest");
    let everything = read_until(&db, LogPosition::default(), 3).await;

    // Assert: a reader that has applied the highest position has not seen the second
    // transaction yet; the head is the last event a reader in the safe order meets.
    let order: Vec<&str> = everything.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(order, ["first-1", "first-2", "second"]);
    assert_eq!(head, everything[2].position);
    assert_eq!(highest, everything[1].position);
    assert!(
        highest > head,
        "the highest position sits in the earlier transaction"
    );
}

struct Fixture {
    client: ClientId,
    provider: ProviderId,
    account: String,
    eur: Currency,
}

fn fixture() -> Fixture {
    let client = ClientId::from_uuid(Uuid::now_v7());
    let provider = ProviderId::from_uuid(Uuid::now_v7());
    let eur = Currency::parse("EUR").unwrap();
    Fixture {
        client,
        provider,
        account: AccountId::of(client, provider, eur).to_string(),
        eur,
    }
}

fn payment(f: &Fixture, amount: &str) -> AccountCommand {
    AccountCommand::PostPayment {
        client_id: f.client,
        provider_id: f.provider,
        payment_id: PaymentId::from_uuid(Uuid::now_v7()),
        amount: Money::parse(amount, f.eur).unwrap(),
        method: PaymentMethod::parse("card").unwrap(),
        conversion: None,
    }
}

fn context() -> CommandContext {
    CommandContext::new(Actor::Service("test".to_owned()))
}

#[tokio::test]
async fn state_loaded_through_snapshots_equals_state_from_a_full_replay() {
    // Arrange: a store that snapshots every 10 events, and 137 money events on one account.
    let db = TestDb::new().await;
    let store = EventStore::new(db.pool.clone(), Arc::new(FixedClock::new(t0()))).with_config(
        StoreConfig {
            snapshot_every: 10,
            ..StoreConfig::default()
        },
    );
    let f = fixture();
    let mut expected_cents = 0i64;
    for n in 1..=137i64 {
        let command = if n % 7 == 0 {
            expected_cents -= 125;
            AccountCommand::AdjustBalance {
                client_id: f.client,
                provider_id: f.provider,
                adjustment_id: AdjustmentId::from_uuid(Uuid::now_v7()),
                amount: Money::parse("-1.25", f.eur).unwrap(),
                reason: "fee".to_owned(),
            }
        } else {
            expected_cents += 100 + n;
            payment(&f, &format!("{}.{:02}", (100 + n) / 100, (100 + n) % 100))
        };
        store
            .execute::<Account>(&f.account, command, &context(), &[])
            .await
            .unwrap();
    }

    // Act
    let loaded = store.load::<Account>(&f.account).await.unwrap();
    let (replayed, replayed_sequence) = store
        .load_by_full_replay::<Account>(&f.account)
        .await
        .unwrap();

    // Assert: the same state, each event applied once (a double apply would double the sum),
    // and a snapshot taken at the last multiple of 10.
    assert_eq!(loaded.aggregate, replayed);
    assert_eq!(loaded.sequence, 138, "AccountOpened plus 137 money events");
    assert_eq!(replayed_sequence, 138);
    let balance = loaded.aggregate.balance().unwrap();
    assert_eq!(
        balance.amount() * rust_decimal::Decimal::ONE_HUNDRED,
        expected_cents.into()
    );
    let snapshot: i64 =
        sqlx::query_scalar("SELECT last_sequence FROM aggregate_snapshots WHERE aggregate_id = $1")
            .bind(&f.account)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(snapshot, 130);
}

#[tokio::test]
async fn a_snapshot_of_another_state_version_is_ignored() {
    // Arrange
    let db = TestDb::new().await;
    let store = EventStore::new(db.pool.clone(), Arc::new(FixedClock::new(t0()))).with_config(
        StoreConfig {
            snapshot_every: 5,
            ..StoreConfig::default()
        },
    );
    let f = fixture();
    for _ in 0..12 {
        store
            .execute::<Account>(&f.account, payment(&f, "1.00"), &context(), &[])
            .await
            .unwrap();
    }
    // A snapshot claiming an old shape, with a wrong balance in it.
    sqlx::query(
        "UPDATE aggregate_snapshots SET state_version = 0,
                payload = '{\"open\":null}' WHERE aggregate_id = $1",
    )
    .bind(&f.account)
    .execute(&db.pool)
    .await
    .unwrap();

    // Act
    let loaded = store.load::<Account>(&f.account).await.unwrap();

    // Assert
    assert_eq!(
        loaded.aggregate.balance().unwrap().amount().to_string(),
        "12.00"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_in_different_processes_conflict_and_are_retried_until_every_command_lands() {
    // Arrange: two stores share nothing but the database, like two API nodes.
    let db = TestDb::new().await;
    let clock = Arc::new(FixedClock::new(t0()));
    let a = Arc::new(EventStore::new(db.pool.clone(), clock.clone()));
    let b = Arc::new(EventStore::new(db.pool.clone(), clock));
    let f = Arc::new(fixture());

    // Act: 40 payments of 1.00 at once, half through each store.
    let mut tasks = Vec::new();
    for n in 0..40 {
        let store = if n % 2 == 0 { a.clone() } else { b.clone() };
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            store
                .execute::<Account>(&f.account, payment(&f, "1.00"), &context(), &[])
                .await
                .map(|c| c.position)
        }));
    }
    let mut positions = HashSet::new();
    for task in tasks {
        positions.insert(task.await.unwrap().expect("every command lands"));
    }

    // Assert
    let loaded = a.load::<Account>(&f.account).await.unwrap();
    assert_eq!(
        loaded.aggregate.balance().unwrap().amount().to_string(),
        "40.00"
    );
    assert_eq!(loaded.sequence, 41);
    assert_eq!(positions.len(), 40, "each command reports its own position");
}

#[tokio::test]
async fn a_command_key_makes_a_repeated_request_take_effect_once_with_the_same_answer() {
    // Arrange
    let db = TestDb::new().await;
    let store = EventStore::new(db.pool.clone(), Arc::new(FixedClock::new(t0())));
    let f = fixture();
    let command = payment(&f, "10.00");
    let key = CommandKey::new(
        "payment",
        "p-1",
        &"10.00 card",
        serde_json::json!({"id": "p-1"}),
    )
    .unwrap();

    // Act
    let first = store
        .execute::<Account>(
            &f.account,
            command.clone(),
            &context(),
            std::slice::from_ref(&key),
        )
        .await
        .unwrap();
    let second = store
        .execute::<Account>(&f.account, command, &context(), std::slice::from_ref(&key))
        .await
        .unwrap();
    let other = CommandKey::new("payment", "p-1", &"99.00 card", serde_json::json!({})).unwrap();
    let reused = store
        .execute::<Account>(
            &f.account,
            payment(&f, "99.00"),
            &context(),
            std::slice::from_ref(&other),
        )
        .await;

    // Assert
    assert!(!first.replayed);
    assert!(second.replayed);
    assert_eq!(first.position, second.position);
    assert_eq!(second.answer, serde_json::json!({"id": "p-1"}));
    assert!(matches!(reused, Err(CommandError::KeyReused { .. })));
    let loaded = store.load::<Account>(&f.account).await.unwrap();
    assert_eq!(
        loaded.aggregate.balance().unwrap().amount().to_string(),
        "10.00"
    );
    assert_eq!(loaded.sequence, 2);
}

#[tokio::test]
async fn every_event_carries_its_metadata_and_the_command_reports_its_last_position() {
    // Arrange
    let db = TestDb::new().await;
    let store = EventStore::new(db.pool.clone(), Arc::new(FixedClock::new(t0())));
    let f = fixture();
    let mut context = CommandContext::new(Actor::Staff("42".to_owned()));
    context.request_id = Some("req-1".to_owned());
    context.idempotency_key = Some("key-1".to_owned());

    // Act
    let committed = store
        .execute::<Account>(&f.account, payment(&f, "5.00"), &context, &[])
        .await
        .unwrap();

    // Assert: AccountOpened and PaymentPosted, the second at the reported position.
    let events = read_until(&db, LogPosition::default(), 2).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].position, committed.position);
    assert_eq!(events[1].event_type, "PaymentPosted");
    for event in &events {
        let metadata = event.metadata().unwrap();
        assert_eq!(metadata.actor, "staff:42");
        assert_eq!(metadata.occurred_at, t0());
        assert_eq!(metadata.request_id.as_deref(), Some("req-1"));
        assert_eq!(metadata.idempotency_key.as_deref(), Some("key-1"));
        assert_eq!(metadata.command, "PostPayment");
        assert_eq!(metadata.event_id.get_version_num(), 7);
    }
}

#[tokio::test]
async fn the_log_refuses_updates_and_deletes() {
    // Arrange
    let db = TestDb::new().await;
    insert_raw(&db.pool, "x").await;

    // Act
    let update = sqlx::query("UPDATE events SET payload = '{\"forged\":1}'")
        .execute(&db.pool)
        .await;
    let delete = sqlx::query("DELETE FROM events").execute(&db.pool).await;

    // Assert
    assert!(update.is_err());
    assert!(delete.is_err());
    assert_eq!(log::count_events(&db.pool).await.unwrap(), 1);
}

#[tokio::test]
async fn a_refusal_on_cached_state_is_checked_again_against_the_log() {
    // Arrange: node A has cached the account at 10.00; node B then credits 50.00 more.
    let db = TestDb::new().await;
    let clock = Arc::new(FixedClock::new(t0()));
    let a = EventStore::new(db.pool.clone(), clock.clone());
    let b = EventStore::new(db.pool.clone(), clock);
    let f = fixture();
    a.execute::<Account>(&f.account, payment(&f, "10.00"), &context(), &[])
        .await
        .unwrap();
    b.execute::<Account>(&f.account, payment(&f, "50.00"), &context(), &[])
        .await
        .unwrap();
    let service = domain::ids::ServiceId::from_uuid(Uuid::now_v7());
    let start = t0().date_naive();
    let charge = AccountCommand::ChargeExpense {
        client_id: f.client,
        provider_id: f.provider,
        expense: domain::account::ExpenseLine {
            expense_id: domain::ids::ExpenseId::for_period(service, start),
            service_id: service,
            period_start: start,
            period_end: start + chrono::Duration::days(30),
            amount: Money::parse("30.00", f.eur).unwrap(),
            description: "VDS".to_owned(),
            discount: None,
            tax: None,
        },
        treatment: domain::tax::TaxTreatment::NotTaxed,
    };

    // Act: on its cached state node A would refuse for lack of money.
    let charged = a
        .execute::<Account>(&f.account, charge, &context(), &[])
        .await;

    // Assert
    assert!(charged.is_ok(), "{charged:?}");
    let loaded = b.load::<Account>(&f.account).await.unwrap();
    assert_eq!(
        loaded.aggregate.balance().unwrap().amount().to_string(),
        "30.00"
    );
}

/// A store that writes every batch with one writer, so that commands sent at once queue behind
/// the first batch's commit and share the next transactions.
fn grouped_store(db: &TestDb) -> EventStore {
    EventStore::new(db.pool.clone(), Arc::new(FixedClock::new(t0()))).with_config(StoreConfig {
        group_writers: 1,
        ..StoreConfig::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_on_many_accounts_share_commits_and_each_gets_its_own_position_and_key() {
    // Arrange: 200 payments on 200 accounts, each with its own key.
    let db = TestDb::new().await;
    let store = Arc::new(grouped_store(&db));
    let fixtures: Vec<Arc<Fixture>> = (0..200).map(|_| Arc::new(fixture())).collect();

    // Act
    let mut tasks = Vec::new();
    for (n, f) in fixtures.iter().enumerate() {
        let (store, f) = (store.clone(), f.clone());
        tasks.push(tokio::spawn(async move {
            let key = CommandKey::new(
                "payment",
                format!("p-{n}"),
                &n,
                serde_json::json!({ "n": n }),
            )
            .unwrap();
            store
                .execute::<Account>(&f.account, payment(&f, "2.50"), &context(), &[key])
                .await
                .expect("every command lands")
        }));
    }
    let mut committed = Vec::new();
    for task in tasks {
        committed.push(task.await.unwrap());
    }

    // Assert: each answer names its own last event, each key points at it, and the 200 commits were
    // fewer transactions than commands.
    for (n, (f, done)) in fixtures.iter().zip(&committed).enumerate() {
        let (position, account): (i64, String) = sqlx::query_as(
            "SELECT max(global_position), min(aggregate_id) FROM events WHERE aggregate_id = $1",
        )
        .bind(&f.account)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(
            (done.position, account.as_str()),
            (position, f.account.as_str())
        );
        assert_eq!(done.answer, serde_json::json!({ "n": n }));
        let keyed: (i64, String) = sqlx::query_as(
            "SELECT position, aggregate_id FROM command_keys WHERE scope = 'payment' AND key = $1",
        )
        .bind(format!("p-{n}"))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(keyed, (position, f.account.clone()));
    }
    let (events, transactions): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT tx_id) FROM events")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        events, 400,
        "each first payment opens its account: two events"
    );
    assert!(
        transactions < 100,
        "200 commands in {transactions} transactions"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_or_a_repeated_key_in_a_batch_holds_back_none_of_the_other_commands() {
    // Arrange: store `a` caches account X after one payment; store `b` (another node) then
    // appends to X, so `a`'s next command on X conflicts. Ten keys were used before.
    let db = TestDb::new().await;
    let a = Arc::new(grouped_store(&db));
    let b = EventStore::new(db.pool.clone(), Arc::new(FixedClock::new(t0())));
    let x = Arc::new(fixture());
    a.execute::<Account>(&x.account, payment(&x, "1.00"), &context(), &[])
        .await
        .unwrap();
    b.execute::<Account>(&x.account, payment(&x, "1.00"), &context(), &[])
        .await
        .unwrap();
    let key = |n: usize| {
        CommandKey::new(
            "payment",
            format!("k-{n}"),
            &n,
            serde_json::json!({ "n": n }),
        )
        .unwrap()
    };
    let others: Vec<Arc<Fixture>> = (0..60).map(|_| Arc::new(fixture())).collect();
    for (n, f) in others.iter().enumerate().take(10) {
        a.execute::<Account>(&f.account, payment(f, "5.00"), &context(), &[key(n)])
            .await
            .unwrap();
    }

    // Act: at once, the stale command on X, the ten repeats and fifty new payments.
    let mut tasks = Vec::new();
    {
        let (a, x) = (a.clone(), x.clone());
        tasks.push(tokio::spawn(async move {
            a.execute::<Account>(&x.account, payment(&x, "1.00"), &context(), &[])
                .await
                .map(|c| c.replayed)
        }));
    }
    for (n, f) in others.iter().enumerate() {
        let (a, f, key) = (a.clone(), f.clone(), key(n));
        tasks.push(tokio::spawn(async move {
            a.execute::<Account>(&f.account, payment(&f, "5.00"), &context(), &[key])
                .await
                .map(|c| c.replayed)
        }));
    }
    let mut replayed = Vec::new();
    for task in tasks {
        replayed.push(task.await.unwrap().expect("every command lands"));
    }

    // Assert: X took its third payment on fresh state (its first payment also opened it: four
    // events); the repeats were answered from their keys and wrote nothing; every other account
    // has its one payment.
    let x_state = b.load::<Account>(&x.account).await.unwrap();
    assert_eq!(x_state.sequence, 4);
    assert_eq!(
        x_state.aggregate.balance().unwrap().amount().to_string(),
        "3.00"
    );
    assert_eq!(replayed.iter().filter(|r| **r).count(), 10);
    for f in &others {
        let loaded = b.load::<Account>(&f.account).await.unwrap();
        assert_eq!(loaded.sequence, 2, "{}", f.account);
        assert_eq!(
            loaded.aggregate.balance().unwrap().amount().to_string(),
            "5.00"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_commands_on_one_account_share_commits_and_each_keeps_its_own_answer() {
    // Arrange: one account, 200 payments sent at once, each with its own key and amount.
    let db = TestDb::new().await;
    let store = Arc::new(grouped_store(&db));
    let f = Arc::new(fixture());
    let key = |n: usize| {
        CommandKey::new(
            "payment",
            format!("hot-{n}"),
            &n,
            serde_json::json!({ "n": n }),
        )
        .unwrap()
    };

    // Act
    let mut tasks = Vec::new();
    for n in 0..200_usize {
        let (store, f, key) = (store.clone(), f.clone(), key(n));
        tasks.push(tokio::spawn(async move {
            let amount = format!("{}.{:02}", n / 100 + 1, n % 100);
            store
                .execute::<Account>(&f.account, payment(&f, &amount), &context(), &[key])
                .await
                .expect("every command lands")
        }));
    }
    let mut committed = Vec::new();
    for task in tasks {
        committed.push(task.await.unwrap());
    }

    // Assert: one gapless stream whose balance is the sum of the payments, written in fewer
    // transactions than commands; each answer names its own payment's event, where its key points.
    let (events, last_sequence, transactions): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), max(sequence), count(DISTINCT tx_id) FROM events WHERE aggregate_id = $1",
    )
    .bind(&f.account)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (events, last_sequence),
        (201, 201),
        "opened, then 200 payments"
    );
    assert!(
        transactions < 100,
        "200 commands in {transactions} transactions"
    );
    let expected: rust_decimal::Decimal = (0..200_u32)
        .map(|n| rust_decimal::Decimal::new(i64::from(100 + n / 100 * 100 + n % 100), 2))
        .sum();
    let loaded = store.load::<Account>(&f.account).await.unwrap();
    assert_eq!(loaded.aggregate.balance().unwrap().amount(), expected);
    let mut positions = HashSet::new();
    for (n, done) in committed.iter().enumerate() {
        assert_eq!(done.answer, serde_json::json!({ "n": n }));
        let event = log::event_at(&db.pool, done.position)
            .await
            .unwrap()
            .expect("the answer's position is an event");
        let paid = format!("\"amount\":\"{}.{:02}\"", n / 100 + 1, n % 100);
        assert!(event.payload.contains(&paid), "{n}: {}", event.payload);
        let keyed: i64 = sqlx::query_scalar(
            "SELECT position FROM command_keys WHERE scope = 'payment' AND key = $1",
        )
        .bind(format!("hot-{n}"))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(keyed, done.position);
        assert!(positions.insert(done.position));
    }

    // Act: every request again.
    for (n, first) in committed.iter().enumerate() {
        let again = store
            .execute::<Account>(&f.account, payment(&f, "9.99"), &context(), &[key(n)])
            .await
            .unwrap();
        // Assert: the first answer, and nothing more written.
        assert!(again.replayed, "{n}");
        assert_eq!(
            (again.position, &again.answer),
            (first.position, &first.answer)
        );
    }
    assert_eq!(
        store
            .load::<Account>(&f.account)
            .await
            .unwrap()
            .aggregate
            .balance()
            .unwrap()
            .amount(),
        expected
    );
}
