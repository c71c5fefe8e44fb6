//! Money conservation over HTTP (issue 13): a seeded random run of concurrent clients and staff
//! on a real server (payments, refunds, fraud, adjustments, orders with promo codes, tariff
//! changes, prolongations, corrections, credit limits, billing days, a merge), then, once every
//! projection and process manager is quiet, the invariants of the domain simulator
//! (`domain/tests/money_simulator.rs`) checked against the read models, and the auditor's replay.
//!
//! The run is bounded (a fixed number of steps per task) and its choices come from a fixed
//! seed; the interleaving of the tasks is up to the scheduler, so the invariants are checked
//! over whatever history the run produced, never against expected amounts.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use domain::ids::{ExpenseId, ServiceId};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::{Answer, TestServer};
use uuid::Uuid;

/// A tariff change gives back at most what was charged for the days it gives back. Off until
/// the tariff-change proration fix is merged (see `domain/tests/money_simulator.rs`).
const CHECK_TARIFF_CREDIT_CAP: bool = true;

/// No charged period starts before the service's order. Off until the "no period before the
/// order" fix is merged.
const CHECK_NO_PERIOD_BEFORE_ORDER: bool = true;

/// A merged client's account stays empty: money given back to it after the merge (a
/// correction of one of its old expenses) or taken from it (a fraud reversal of one of its old
/// payments) was stranded on an account nobody uses. Found by this test; fixed by forwarding
/// it to the account merged into (ADR 6, addendum).
const CHECK_MERGED_ACCOUNT_STAYS_EMPTY: bool = true;

const SEED: u64 = 13;
const TASKS: u64 = 4;
const STEPS_PER_TASK: usize = 30;
const CLIENTS: usize = 4;

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|_| panic!("a decimal: {text:?}"))
}

fn cents(amount: i64) -> String {
    Decimal::new(amount, 2).to_string()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

struct Shop {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    clients: Vec<String>,
    tariffs: Vec<String>,
}

impl Shop {
    async fn new() -> Shop {
        let (server, clock) = TestServer::start_fixed().await;
        let provider = server.provider("EUR").await;
        let mut clients = Vec::new();
        // The actors' clients, and one more that only staff's script touches.
        for index in 0..=CLIENTS {
            clients.push(server.client(&provider, &format!("Client {index}")).await);
        }
        let mut tariffs = Vec::new();
        for (name, price, setup) in [("Start", "10.00", "5.00"), ("Pro", "25.50", "0.00")] {
            let created = server
                .post(
                    "/v1/tariffs",
                    json!({
                        "provider_id": provider,
                        "name": name,
                        "item_type": "vds",
                        "prices": [{"period": "P1M", "price": {"amount": price, "currency": "EUR"}}],
                        "setup_fees": [{"amount": setup, "currency": "EUR"}],
                    }),
                )
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
            tariffs.push(created.body["id"].as_str().unwrap().to_owned());
        }
        for (code, discount, recurring) in [
            ("HALF", json!({"kind": "percent", "percent": "50"}), true),
            ("FREE", json!({"kind": "percent", "percent": "100"}), false),
            (
                "FIVE",
                json!({"kind": "fixed", "amount": "5.00", "currency": "EUR"}),
                true,
            ),
        ] {
            let created = server
                .post(
                    "/v1/promo-codes",
                    json!({"provider_id": provider, "code": code, "discount": discount,
                           "recurring": recurring}),
                )
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        }
        let limit = server
            .call(
                reqwest::Method::PUT,
                &format!("/v1/clients/{}/credit-limit", clients[1]),
                Some(json!({"amount": "20.00", "currency": "EUR"})),
            )
            .await;
        assert_eq!(limit.status, StatusCode::OK, "{limit:?}");
        Shop {
            server,
            clock,
            clients,
            tariffs,
        }
    }

    fn set_day(&self, date: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("a time")));
    }

    /// Sends a request and refuses a server error: bad or refused input gets a 4xx.
    async fn send(&self, path: &str, body: Value) -> Answer {
        let answer = self.server.post(path, body).await;
        assert!(
            !answer.status.is_server_error(),
            "POST {path} answered {answer:?}"
        );
        answer
    }

    async fn quiet(&self) -> i64 {
        self.server.settled().await
    }
}

/// One client-side actor: `STEPS_PER_TASK` random steps on random clients, chosen by `seed`.
async fn actor(shop: &Shop, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut payments: Vec<String> = Vec::new();
    let mut services: Vec<String> = Vec::new();
    for _ in 0..STEPS_PER_TASK {
        let client = &shop.clients[rng.usize(0..CLIENTS)];
        match rng.u8(0..100) {
            0..=19 => {
                let payment_id = Uuid::now_v7();
                let paid = shop
                    .send(
                        &format!("/v1/clients/{client}/payments"),
                        json!({"payment_id": payment_id, "amount": cents(rng.i64(100..8_000)),
                               "currency": "EUR", "method": "bank_transfer"}),
                    )
                    .await;
                if paid.status.is_success() {
                    payments.push(payment_id.to_string());
                }
            }
            20..=29 if !payments.is_empty() => {
                let payment = &payments[rng.usize(0..payments.len())];
                shop.send(
                    &format!("/v1/payments/{payment}/refunds"),
                    json!({"refund_id": Uuid::now_v7(), "amount": cents(rng.i64(1..5_000)),
                           "reason": "asked for"}),
                )
                .await;
            }
            30..=32 if !payments.is_empty() => {
                let payment = &payments[rng.usize(0..payments.len())];
                shop.send(
                    &format!("/v1/payments/{payment}/fraud"),
                    json!({"reason": "chargeback"}),
                )
                .await;
            }
            33..=39 => {
                let amount = rng.i64(1..3_000) * if rng.bool() { 1 } else { -1 };
                shop.send(
                    &format!("/v1/clients/{client}/adjustments"),
                    json!({"adjustment_id": Uuid::now_v7(), "amount": cents(amount),
                           "currency": "EUR", "reason": "goodwill"}),
                )
                .await;
            }
            40..=64 => {
                let tariff = &shop.tariffs[rng.usize(0..shop.tariffs.len())];
                let mut body = json!({"tariff_id": tariff, "period": "P1M",
                                      "auto_prolong": rng.u8(0..4) != 0});
                match rng.u8(0..4) {
                    0 => body["promo_code"] = json!("HALF"),
                    1 => body["promo_code"] = json!("FREE"),
                    2 => body["promo_code"] = json!("FIVE"),
                    _ => {}
                }
                let ordered = shop
                    .send(&format!("/v1/clients/{client}/services"), body)
                    .await;
                if let Some(id) = ordered.body["id"].as_str() {
                    services.push(id.to_owned());
                }
            }
            65..=77 if !services.is_empty() => {
                let service = &services[rng.usize(0..services.len())];
                let tariff = &shop.tariffs[rng.usize(0..shop.tariffs.len())];
                shop.send(
                    &format!("/v1/services/{service}/change-tariff"),
                    json!({"tariff_id": tariff}),
                )
                .await;
            }
            78..=84 if !services.is_empty() => {
                let service = &services[rng.usize(0..services.len())];
                shop.send(&format!("/v1/services/{service}/prolong"), json!({}))
                    .await;
            }
            85..=94 => {
                let expenses = shop
                    .server
                    .get(&format!("/v1/clients/{client}/expenses?limit=500"))
                    .await;
                let charges: Vec<&Value> = expenses.body["items"]
                    .as_array()
                    .map(|items| items.iter().filter(|e| e["kind"] == "charge").collect())
                    .unwrap_or_default();
                if !charges.is_empty() {
                    let expense = charges[rng.usize(0..charges.len())]["id"].as_str().unwrap();
                    let mut body = json!({"correction_id": Uuid::now_v7(), "reason": "outage"});
                    if rng.bool() {
                        body["amount"] = json!(cents(rng.i64(1..1_500)));
                    }
                    shop.send(&format!("/v1/expenses/{expense}/corrections"), body)
                        .await;
                }
            }
            _ => {
                let limit = shop
                    .server
                    .call(
                        reqwest::Method::PUT,
                        &format!("/v1/clients/{client}/credit-limit"),
                        Some(json!({"amount": cents(rng.i64(0..4_000)), "currency": "EUR"})),
                    )
                    .await;
                assert!(!limit.status.is_server_error(), "{limit:?}");
            }
        }
    }
}

/// Staff at the same time: a billing day for today, the last actors' client merged into the
/// first, and a billing day run back-dated to before every order while an order waits for
/// money its account has (the client's older, dearer order refused the money first).
async fn staff(shop: &Shop) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    shop.send("/v1/billing/runs", json!({"as_of": day(2027, 1, 1)}))
        .await;
    let merged = shop
        .send(
            &format!("/v1/clients/{}/merge", shop.clients[0]),
            json!({"merge_id": Uuid::now_v7(), "sources": [shop.clients[CLIENTS - 1]]}),
        )
        .await;
    assert!(merged.status.is_success(), "{merged:?}");
    let waiting = &shop.clients[CLIENTS];
    for tariff in [&shop.tariffs[1], &shop.tariffs[0]] {
        let ordered = shop
            .send(
                &format!("/v1/clients/{waiting}/services"),
                json!({"tariff_id": tariff, "period": "P1M", "auto_prolong": true}),
            )
            .await;
        assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    }
    let paid = shop
        .send(
            &format!("/v1/clients/{waiting}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": "20.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    shop.send("/v1/billing/runs", json!({"as_of": day(2026, 12, 20)}))
        .await;
}

/// A row of the expenses read model: id, service, kind, period start and end, amount (negative
/// for a credit), what corrections gave back of it.
type ExpenseRow = (Uuid, Uuid, String, NaiveDate, NaiveDate, Decimal, Decimal);

/// The sum of a statement's movements by kind, with its opening and closing balance.
struct Statement {
    opening: Decimal,
    closing: Decimal,
    by_kind: BTreeMap<String, Decimal>,
    /// Every movement as (kind, amount, description), for the failure messages.
    items: Vec<(String, Decimal, String)>,
}

async fn statement(shop: &Shop, client: &str, head: i64) -> Statement {
    let mut by_kind = BTreeMap::new();
    let mut path = format!("/v1/clients/{client}/statement?limit=500&min_position={head}");
    let mut opening = None;
    let mut items = Vec::new();
    loop {
        let page = shop.server.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        opening.get_or_insert_with(|| decimal(page.body["opening_balance"].as_str().unwrap()));
        for item in page.body["items"].as_array().unwrap() {
            let kind = item["kind"].as_str().unwrap().to_owned();
            items.push((
                kind.clone(),
                decimal(item["amount"].as_str().unwrap()),
                item["description"].as_str().unwrap_or_default().to_owned(),
            ));
            *by_kind.entry(kind).or_insert(Decimal::ZERO) +=
                decimal(item["amount"].as_str().unwrap());
        }
        match page.body.get("next").and_then(Value::as_str) {
            Some(next) => {
                path = format!("/v1/clients/{client}/statement?limit=500&after={next}");
            }
            None => {
                return Statement {
                    opening: opening.unwrap_or_default(),
                    closing: decimal(page.body["closing_balance"].as_str().unwrap()),
                    by_kind,
                    items,
                };
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn money_is_conserved_after_a_random_concurrent_run() {
    // Arrange
    let shop = Shop::new().await;
    shop.set_day(day(2027, 1, 1));

    // Act: the clients and staff at once, then a month later the billing day twice.
    let actors = (0..TASKS).map(|task| actor(&shop, SEED + task));
    futures::join!(futures::future::join_all(actors), staff(&shop));
    shop.set_day(day(2027, 2, 1));
    for _ in 0..2 {
        shop.send("/v1/billing/runs", json!({"as_of": day(2027, 2, 1)}))
            .await;
    }
    let head = shop.quiet().await;

    // Assert: per client, balance = statement = payments less refunds and reversals, plus
    // adjustments, less net charges, plus what merges moved.
    let pool = &shop.server.db.pool;
    let mut moved_out = Decimal::ZERO;
    let mut moved_in = Decimal::ZERO;
    let mut movements = 0;
    for (index, client) in shop.clients.iter().enumerate() {
        let client_id = Uuid::parse_str(client).unwrap();
        let balance = shop
            .server
            .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
            .await;
        assert_eq!(balance.status, StatusCode::OK, "{balance:?}");
        let balance = balance.body["accounts"]
            .as_array()
            .and_then(|accounts| accounts.first())
            .map_or(Decimal::ZERO, |account| {
                decimal(account["balance"].as_str().unwrap())
            });
        let statement = statement(&shop, client, head).await;
        let sum_of = |kinds: &[&str]| -> Decimal {
            kinds
                .iter()
                .filter_map(|kind| statement.by_kind.get(*kind))
                .sum()
        };
        let all: Decimal = statement.by_kind.values().sum();
        movements += statement.by_kind.len();
        assert_eq!(statement.opening, Decimal::ZERO, "client {index}");
        assert_eq!(
            statement.closing,
            statement.opening + all,
            "client {index}: the statement's closing balance is its movements' sum"
        );
        assert_eq!(
            balance, statement.closing,
            "client {index}: the balance is the statement's"
        );
        // Payments: what the payments read model says is left of each, a fraud leaving none.
        let payments_net: Decimal = sqlx::query_scalar(
            "SELECT coalesce(sum(CASE WHEN status = 'fraud' THEN 0
                                      ELSE coalesce(credited, 0) - refunded END), 0)
               FROM payments WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(
            sum_of(&["payment", "refund", "reversal"]),
            payments_net,
            "client {index}: payments less refunds and reversals, statement against payments"
        );
        // Expenses: charges less credits less what corrections gave back.
        let expenses_net: Decimal = sqlx::query_scalar(
            "SELECT coalesce(sum(e.amount - e.returned), 0)
               FROM expenses e JOIN balances b ON b.account_id = e.account_id
              WHERE b.client_id = $1",
        )
        .bind(client_id)
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(
            -sum_of(&["charge", "credit", "correction", "void"]),
            expenses_net,
            "client {index}: net charges, statement against expenses"
        );
        moved_out -= sum_of(&["transfer_out"]);
        moved_in += sum_of(&["transfer_in"]);
        if CHECK_MERGED_ACCOUNT_STAYS_EMPTY && index == CLIENTS - 1 {
            assert_eq!(
                balance,
                Decimal::ZERO,
                "the merged client keeps nothing: {:#?}",
                statement.items
            );
        }
    }
    assert!(movements > 0, "the run moved money");
    assert_eq!(
        moved_in, moved_out,
        "a merge moves exactly the source balance"
    );

    // No refund above what a payment credited.
    let over_refunded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM payments WHERE refunded > coalesce(credited, 0)")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(over_refunded, 0, "no refund above the payment");

    // Per service: no period charged twice, none before the order, no credit above the charge
    // of its period.
    let rows: Vec<ExpenseRow> = sqlx::query_as(
        "SELECT expense_id, service_id, kind, period_start, period_end, amount, returned
           FROM expenses ORDER BY service_id, period_start",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let ordered_on: BTreeMap<Uuid, NaiveDate> =
        sqlx::query_as::<_, (Uuid, NaiveDate)>("SELECT id, ordered_on FROM services")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let regular = |row: &ExpenseRow| {
        row.2 == "charge"
            && ExpenseId::for_period(ServiceId::from_uuid(row.1), row.3).as_uuid() == row.0
    };
    for (service, ordered) in &ordered_on {
        let periods: Vec<_> = rows
            .iter()
            .filter(|row| row.1 == *service && regular(row))
            .collect();
        // While a back-dated billing day can charge an order from before the order (the bug
        // behind CHECK_NO_PERIOD_BEFORE_ORDER), such a charge can race the order's own charge
        // from the order's day, and both stay: the overlap is then that bug's, and those
        // periods are left out until its switch is on.
        let counted: Vec<_> = periods
            .iter()
            .filter(|period| CHECK_NO_PERIOD_BEFORE_ORDER || period.3 >= *ordered)
            .collect();
        for pair in counted.windows(2) {
            assert!(
                pair[1].3 >= pair[0].4,
                "service {service}: {pair:?} charge overlapping periods"
            );
        }
        if CHECK_NO_PERIOD_BEFORE_ORDER {
            for period in &periods {
                assert!(
                    period.3 >= *ordered,
                    "service {service} ordered on {ordered} was charged from {}",
                    period.3
                );
            }
        }
        if CHECK_TARIFF_CREDIT_CAP {
            for period in &periods {
                let within = |day: NaiveDate| period.3 <= day && day < period.4;
                let in_period = rows.iter().filter(|row| row.1 == *service && within(row.3));
                let charged: Decimal = in_period
                    .clone()
                    .filter(|row| row.2 == "charge")
                    .map(|row| row.5)
                    .sum();
                let given_back: Decimal = in_period
                    .map(|row| if row.2 == "credit" { -row.5 } else { row.6 })
                    .sum();
                assert!(
                    given_back <= charged,
                    "service {service}: {} to {} charged {charged}, given back {given_back}",
                    period.3,
                    period.4
                );
            }
        }
    }

    // The auditor's replay recomputes every balance and expense from the log: no difference.
    let report = projections::replay::replay(pool).await.unwrap();
    assert!(report.accounts > 0, "{report:?}");
    assert!(report.differences.is_empty(), "{:#?}", report.differences);
}
