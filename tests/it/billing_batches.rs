//! The billing day in batches: what a crash between a batch's charges and its records leaves is
//! finished by the rerun without charging twice, and a day over many services on a few accounts
//! charges each due period once, oldest order first when the money runs out.

use std::time::Duration;

use api::usecases::process::settlement;
use chrono::{NaiveDate, TimeZone, Utc};
use domain::account::{Account, AccountCommand};
use domain::ids::ServiceId;
use domain::service::Service;
use eventstore::metadata::{Actor, CommandContext};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn money(amount: &str) -> Value {
    json!({ "amount": amount, "currency": "EUR" })
}

struct Shop {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    provider: String,
    tariff: String,
}

impl Shop {
    async fn new() -> Shop {
        let (server, clock) = TestServer::start_fixed().await;
        let provider = server.provider("EUR").await;
        let shop = Shop {
            server,
            clock,
            provider,
            tariff: String::new(),
        };
        shop.set_day(day(2027, 1, 1));
        let mut body = json!({
            "name": "VDS S",
            "item_type": "vds",
            "prices": [{"period": "P1M", "price": money("10.00")}],
        });
        body["provider_id"] = json!(shop.provider);
        let answer = shop.server.post("/v1/tariffs", body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        Shop {
            tariff: answer.body["id"].as_str().unwrap().to_owned(),
            ..shop
        }
    }

    fn set_day(&self, date: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("a time")));
    }

    fn store(&self) -> &eventstore::EventStore {
        &self.server.running.as_ref().unwrap().state.store
    }

    async fn caught_up(&self) {
        let head = eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap();
        let state = &self.server.running.as_ref().unwrap().state;
        for name in ["services", "settlement"] {
            let reached = projections::engine::wait_for_position(
                &self.server.db.pool,
                &state.progress,
                name,
                head,
                Duration::from_secs(20),
            )
            .await
            .unwrap();
            assert!(reached, "{name} reached {head}");
        }
    }

    /// A client that pays `amount` and orders `services` services (charged at once, oldest
    /// first), all activated.
    async fn client(&self, name: &str, amount: &str, services: usize) -> (String, Vec<String>) {
        let client = self.server.client(&self.provider, name).await;
        let paid = self
            .server
            .post(
                &format!("/v1/clients/{client}/payments"),
                json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR",
                       "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        let mut ids = Vec::new();
        for _ in 0..services {
            let ordered = self
                .server
                .post(
                    &format!("/v1/clients/{client}/services"),
                    json!({"tariff_id": self.tariff, "period": "P1M", "addons": []}),
                )
                .await;
            assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
            ids.push(ordered.body["id"].as_str().unwrap().to_owned());
        }
        (client, ids)
    }

    /// Completes every pending operation.
    async fn robot(&self) {
        self.caught_up().await;
        let head = eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap();
        let pending = self
            .server
            .get(&format!(
                "/v1/operations?status=pending&min_position={head}&limit=500"
            ))
            .await;
        for op in pending.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let done = self
                .server
                .post(
                    &format!("/v1/operations/{}/complete", op["id"].as_str().unwrap()),
                    json!({}),
                )
                .await;
            assert_eq!(done.status, StatusCode::OK, "{done:?}");
        }
    }

    async fn billing_day(&self, date: NaiveDate) -> Value {
        let answer = self
            .server
            .post("/v1/billing/runs", json!({"as_of": date}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body
    }

    async fn service(&self, id: &str) -> Value {
        let head = eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap();
        self.server
            .get(&format!("/v1/services/{id}?min_position={head}"))
            .await
            .body
    }

    async fn charges(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ExpenseCharged'")
            .fetch_one(&self.server.db.pool)
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_whose_record_a_crash_lost_is_recorded_by_the_next_run_and_not_charged_again() {
    // Arrange: three services due on Feb 1; the first one's February is charged on its account,
    // as a billing day does first, but the run stopped before recording it on the service.
    let shop = Shop::new().await;
    let (_, services) = shop.client("Olga Berg", "100.00", 3).await;
    shop.robot().await;
    shop.set_day(day(2027, 2, 1));
    let first = ServiceId::from_uuid(Uuid::parse_str(&services[0]).unwrap());
    let service = shop
        .store()
        .load::<Service>(&first.to_string())
        .await
        .unwrap()
        .aggregate;
    let due = service
        .due_period(day(2027, 2, 1))
        .expect("February is due");
    let line = settlement::expense_line(first, service.terms().unwrap(), &due);
    let key = settlement::expense_key(&line).unwrap();
    let context = CommandContext::new(Actor::System("billing-day".to_owned()));
    shop.store()
        .execute::<Account>(
            &service.account_id().unwrap().to_string(),
            AccountCommand::ChargeExpense {
                client_id: service.client_id().unwrap(),
                provider_id: service.provider_id().unwrap(),
                expense: line,
                treatment: domain::tax::TaxTreatment::NotTaxed,
            },
            &context,
            &[key],
        )
        .await
        .unwrap();
    let before = shop.charges().await;

    // Act: the rerun, then the same day again.
    let rerun = shop.billing_day(day(2027, 2, 1)).await;
    let again = shop.billing_day(day(2027, 2, 1)).await;

    // Assert: three Januaries, the crashed February once, two more Februaries; every service
    // paid until March.
    assert_eq!(before, 4);
    assert_eq!(rerun["charged"], 3, "{rerun}");
    assert_eq!(again["charged"], 0, "{again}");
    assert_eq!(shop.charges().await, 6);
    for id in &services {
        let seen = shop.service(id).await;
        assert_eq!(seen["paid_until"], "2027-03-01", "{seen}");
        assert_eq!(seen["status"], "active", "{seen}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_over_many_services_charges_each_once_and_the_newest_wait_when_money_runs_out() {
    // Arrange: two clients with twelve services each; the first can pay for all of February,
    // the second for only five of its services.
    let shop = Shop::new().await;
    let (_, rich) = shop.client("Rich Client", "240.00", 12).await;
    let (_, poor) = shop.client("Poor Client", "170.00", 12).await;
    shop.robot().await;
    shop.set_day(day(2027, 2, 1));

    // Act: the day, and the same day again.
    let report = shop.billing_day(day(2027, 2, 1)).await;
    let again = shop.billing_day(day(2027, 2, 1)).await;

    // Assert: 12 + 5 charged, 7 refused and asked to be suspended; nothing the second time.
    assert_eq!(report["services"], 24, "{report}");
    assert_eq!(report["charged"], 17, "{report}");
    assert_eq!(report["refused"], 7, "{report}");
    assert_eq!(report["suspensions"], 7, "{report}");
    assert_eq!(again["charged"], 0, "{again}");
    assert_eq!(again["suspensions"], 0, "{again}");
    assert_eq!(shop.charges().await, 24 + 17);
    for id in &rich {
        assert_eq!(shop.service(id).await["paid_until"], "2027-03-01");
    }
    for (n, id) in poor.iter().enumerate() {
        let expected = if n < 5 { "2027-03-01" } else { "2027-02-01" };
        assert_eq!(
            shop.service(id).await["paid_until"],
            expected,
            "service {n}"
        );
    }
}

impl Shop {
    /// The charges recorded for `service`, as (period start, amount), in the order made.
    async fn charges_of(&self, service: &str) -> Vec<(String, String)> {
        sqlx::query_as(
            "SELECT payload -> 'ExpenseCharged' -> 'expense' ->> 'period_start',
                    payload -> 'ExpenseCharged' -> 'expense' -> 'amount' ->> 'amount'
               FROM events
              WHERE event_type = 'ExpenseCharged'
                AND payload -> 'ExpenseCharged' -> 'expense' ->> 'service_id' = $1
              ORDER BY global_position",
        )
        .bind(service)
        .fetch_all(&self.server.db.pool)
        .await
        .unwrap()
    }

    async fn balance(&self, client: &str) -> String {
        let head = eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap();
        let answer = self
            .server
            .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
            .await;
        answer.body["accounts"][0]["balance"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer:?}"))
            .to_owned()
    }

    /// Charges `service`'s period due on `on` (with the client's discounts) on its account, with
    /// the key a run uses, and
    /// stops there: what a crash between the charge and its record on the service leaves.
    async fn charge_without_record(&self, service: &str, on: NaiveDate) {
        let id = ServiceId::from_uuid(Uuid::parse_str(service).unwrap());
        let loaded = self
            .store()
            .load::<Service>(&id.to_string())
            .await
            .unwrap()
            .aggregate;
        let standing =
            api::usecases::discounts::in_effect(self.store(), loaded.client_id().unwrap())
                .await
                .unwrap();
        let due = loaded
            .due_period_with(on, &standing)
            .expect("a period is due");
        let line = settlement::expense_line(id, loaded.terms().unwrap(), &due);
        let key = settlement::expense_key(&line).unwrap();
        self.store()
            .execute::<Account>(
                &loaded.account_id().unwrap().to_string(),
                AccountCommand::ChargeExpense {
                    client_id: loaded.client_id().unwrap(),
                    provider_id: loaded.provider_id().unwrap(),
                    expense: line,
                    treatment: domain::tax::TaxTreatment::NotTaxed,
                },
                &CommandContext::new(Actor::System("billing-day".to_owned())),
                &[key],
            )
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumption_whose_record_a_crash_lost_is_recorded_the_next_day_not_charged_again() {
    // Arrange: Olga's service, unpaid on Feb 1, is suspended for non-payment; staff then give
    // her 100 % off (so that her resumption needs no money, which would set settlement to
    // charge it at once). On Feb 10 her resumption is charged, and the run stops before the
    // service records it.
    let shop = Shop::new().await;
    let (client, services) = shop.client("Olga Berg", "10.00", 1).await;
    let service = services[0].clone();
    shop.robot().await;
    shop.set_day(day(2027, 2, 1));
    let unpaid = shop.billing_day(day(2027, 2, 1)).await;
    assert_eq!(unpaid["refused"], 1, "{unpaid}");
    shop.robot().await;
    assert_eq!(shop.service(&service).await["status"], "suspended");
    let free = shop
        .server
        .call(
            reqwest::Method::PUT,
            &format!("/v1/clients/{client}/personal-discount"),
            Some(json!({"percent": "100"})),
        )
        .await;
    assert_eq!(free.status, StatusCode::OK, "{free:?}");
    shop.set_day(day(2027, 2, 10));
    shop.charge_without_record(&service, day(2027, 2, 10)).await;

    // Act: the next run comes the next day.
    shop.set_day(day(2027, 2, 11));
    let rerun = shop.billing_day(day(2027, 2, 11)).await;
    shop.robot().await;

    // Assert: the Feb 10 charge is recorded as it was made, and nothing is charged again: the
    // service runs from Feb 10 to Mar 10.
    assert_eq!(rerun["charged"], 1, "{rerun}");
    assert_eq!(
        shop.charges_of(&service).await,
        [
            ("2027-01-01".to_owned(), "10.00".to_owned()),
            ("2027-02-10".to_owned(), "0.00".to_owned())
        ]
    );
    let seen = shop.service(&service).await;
    assert_eq!(seen["status"], "active", "{seen}");
    assert_eq!(seen["paid_until"], "2027-03-10", "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_whose_record_a_crash_lost_is_recorded_as_made_after_the_discount_changed() {
    // Arrange: three services due on Feb 1; the first one's February is charged at 10.00 and
    // the run stops before recording it. Staff then give Olga 50 % off.
    let shop = Shop::new().await;
    let (client, services) = shop.client("Olga Berg", "100.00", 3).await;
    shop.robot().await;
    shop.set_day(day(2027, 2, 1));
    shop.charge_without_record(&services[0], day(2027, 2, 1))
        .await;
    let discounted = shop
        .server
        .call(
            reqwest::Method::PUT,
            &format!("/v1/clients/{client}/personal-discount"),
            Some(json!({"percent": "50"})),
        )
        .await;
    assert_eq!(discounted.status, StatusCode::OK, "{discounted:?}");

    // Act: the rerun, with the same period now priced otherwise.
    let rerun = shop.billing_day(day(2027, 2, 1)).await;

    // Assert: the day finishes; the first February stays as charged, the others take the
    // discount; every service is paid until March; 70.00 - 10.00 - 2 × 5.00 is left.
    assert_eq!(rerun["charged"], 3, "{rerun}");
    let mut februaries = Vec::new();
    for id in &services {
        let seen = shop.service(id).await;
        assert_eq!(seen["paid_until"], "2027-03-01", "{seen}");
        let charges = shop.charges_of(id).await;
        assert_eq!(charges.len(), 2, "{id}: {charges:?}");
        februaries.push(charges[1].1.clone());
    }
    assert_eq!(februaries, ["10.00", "5.00", "5.00"]);
    assert_eq!(shop.balance(&client).await, "50.00");
}
