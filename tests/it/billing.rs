//! Catalog, service lifecycle and the billing day, end to end over HTTP with a fixed clock.

use std::time::Duration;

use chrono::{Datelike, Duration as Days, NaiveDate, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn money(amount: &str) -> Value {
    json!({ "amount": amount, "currency": "EUR" })
}

struct Scene {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    provider: String,
    client: String,
}

impl Scene {
    async fn new() -> Scene {
        let (server, clock) = TestServer::start_fixed().await;
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Olga Berg").await;
        Scene {
            server,
            clock,
            provider,
            client,
        }
    }

    fn set_day(&self, date: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("a time")));
    }

    async fn tariff(&self, body: Value) -> String {
        let mut body = body;
        body["provider_id"] = json!(self.provider);
        let answer = self.server.post("/v1/tariffs", body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().unwrap().to_owned()
    }

    async fn vds(&self, name: &str, base: &str) -> String {
        self.tariff(json!({
            "name": name,
            "item_type": "vds",
            "prices": [{"period": "P1M", "price": money(base)}],
            "setup_fees": [money("5.00")],
            "addons": [{"code": "ram", "name": "RAM", "kind": "quantity", "unit": "GB",
                        "min": 1, "max": 16, "prices": [{"period": "P1M", "price": money("2.50")}]}],
        }))
        .await
    }

    async fn domain(&self) -> String {
        self.tariff(json!({
            "name": "Domain .com",
            "item_type": "domain",
            "prices": [{"period": "P12M", "price": money("12.00")}],
        }))
        .await
    }

    /// Posts a payment and waits until settlement has acted on it.
    async fn pay(&self, amount: &str) {
        let answer = self
            .server
            .post(
                &format!("/v1/clients/{}/payments", self.client),
                json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR", "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        self.settled(answer.body["position"].as_i64().unwrap())
            .await;
    }

    async fn settled(&self, position: i64) {
        let state = &self.server.running.as_ref().unwrap().state;
        for name in ["services", "settlement"] {
            let reached = projections::engine::wait_for_position(
                &self.server.db.pool,
                &state.progress,
                name,
                position,
                Duration::from_secs(20),
            )
            .await
            .unwrap();
            assert!(reached, "{name} reached {position}");
        }
    }

    async fn order(&self, tariff: &str, period: &str, addons: Value) -> tests::Answer {
        self.server
            .post(
                &format!("/v1/clients/{}/services", self.client),
                json!({"tariff_id": tariff, "period": period, "addons": addons}),
            )
            .await
    }

    async fn billing_day(&self, date: NaiveDate) -> Value {
        let answer = self
            .server
            .post("/v1/billing/runs", json!({"as_of": date}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body
    }

    /// The provisioning robot: completes every pending operation.
    async fn robot(&self) -> usize {
        let head = eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap();
        let pending = self
            .server
            .get(&format!(
                "/v1/operations?status=pending&min_position={head}"
            ))
            .await;
        let items = pending.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for op in &items {
            let done = self
                .server
                .post(
                    &format!("/v1/operations/{}/complete", op["id"].as_str().unwrap()),
                    json!({}),
                )
                .await;
            assert_eq!(done.status, StatusCode::OK, "{done:?}");
        }
        items.len()
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

    async fn balance(&self) -> String {
        let head = eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap();
        let answer = self
            .server
            .get(&format!(
                "/v1/clients/{}/balance?min_position={head}",
                self.client
            ))
            .await;
        answer.body["accounts"][0]["balance"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn expenses(&self) -> Vec<Value> {
        let head = eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap();
        let mut all = Vec::new();
        let mut path = format!(
            "/v1/clients/{}/expenses?limit=500&min_position={head}",
            self.client
        );
        loop {
            let page = self.server.get(&path).await;
            all.extend(page.body["items"].as_array().cloned().unwrap_or_default());
            match page.body.get("next").and_then(Value::as_str) {
                Some(next) => {
                    path = format!(
                        "/v1/clients/{}/expenses?limit=500&after={next}",
                        self.client
                    );
                }
                None => return all,
            }
        }
    }
}

fn cents(amount: &str) -> i64 {
    let (whole, frac) = amount.split_once('.').unwrap_or((amount, "00"));
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    let whole: i64 = whole.trim_start_matches('-').parse().unwrap();
    let frac: i64 = format!("{frac:0<2}")[..2].parse().unwrap();
    sign * (whole * 100 + frac)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_year_charges_exactly_what_the_prices_say() {
    // Arrange: a VDS tariff (20.00 a month, 5.00 set-up, RAM at 2.50 per GB), a bigger one
    // (49.99), a yearly domain (12.00), and a client with a credit limit of 10.00.
    let scene = Scene::new().await;
    scene.set_day(day(2027, 1, 1));
    let vds_m = scene.vds("VDS M", "20.00").await;
    let vds_l = scene.vds("VDS L", "49.99").await;
    let domain = scene.domain().await;
    let limit = scene
        .server
        .call(
            Method::PUT,
            &format!("/v1/clients/{}/credit-limit", scene.client),
            Some(json!({"amount": "10.00", "currency": "EUR"})),
        )
        .await;
    assert_eq!(limit.status, StatusCode::OK, "{limit:?}");
    scene.pay("100.00").await;

    // Act: order on the first day, then live through the year one billing day at a time.
    let vds = scene
        .order(&vds_m, "P1M", json!([{"code": "ram", "value": 4}]))
        .await;
    assert_eq!(vds.status, StatusCode::CREATED, "{vds:?}");
    let vds = vds.body["id"].as_str().unwrap().to_owned();
    let dom = scene.order(&domain, "P12M", json!([])).await;
    let dom = dom.body["id"].as_str().unwrap().to_owned();
    let mut suspended_on = None;
    let mut resumed_on = None;
    let mut date = day(2027, 1, 1);
    while date <= day(2028, 1, 1) {
        scene.set_day(date);
        match (date.month(), date.day(), date.year()) {
            (4, 5, 2027) => scene.pay("50.00").await,
            (4, 22, 2027) => {
                let changed = scene
                    .server
                    .post(
                        &format!("/v1/services/{vds}/change-tariff"),
                        json!({"tariff_id": vds_l, "addons": [{"code": "ram", "value": 4}]}),
                    )
                    .await;
                assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
            }
            (5, 1, 2027) => scene.pay("100.00").await,
            (6, 1, 2027) => scene.pay("500.00").await,
            _ => {}
        }
        scene.billing_day(date).await;
        scene.robot().await;
        let status = scene.service(&vds).await["status"]
            .as_str()
            .unwrap()
            .to_owned();
        if status == "suspended" && suspended_on.is_none() {
            suspended_on = Some(date);
        }
        if status == "active" && suspended_on.is_some() && resumed_on.is_none() {
            resumed_on = Some(date);
        }
        date += Days::days(1);
    }

    // Assert: the VDS went short of money on Apr 1 (Mar 1 was paid into the credit limit) and
    // came back with the Apr 5 payment; the charges are exactly the prices.
    assert_eq!(suspended_on, Some(day(2027, 4, 1)));
    assert_eq!(resumed_on, Some(day(2027, 4, 5)));
    let expenses = scene.expenses().await;
    let amounts: Vec<(String, String)> = expenses
        .iter()
        .map(|e| {
            (
                e["period_start"].as_str().unwrap().to_owned(),
                e["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str)> = vec![
        ("2027-01-01", "35.00"), // VDS M set-up 5.00 + 20.00 + 4 × 2.50
        ("2027-01-01", "12.00"), // the domain, a year
        ("2027-02-01", "30.00"),
        ("2027-03-01", "30.00"),  // into the credit limit: balance -7.00
        ("2027-04-05", "30.00"),  // after the payment paid the debt: resumed
        ("2027-04-22", "-13.00"), // unused 13 of 30 days of 30.00
        ("2027-04-22", "26.00"),  // 13 of 30 days of 59.99 = 25.9956 → 26.00
        ("2027-05-05", "59.99"),
        ("2027-06-05", "59.99"),
        ("2027-07-05", "59.99"),
        ("2027-08-05", "59.99"),
        ("2027-09-05", "59.99"),
        ("2027-10-05", "59.99"),
        ("2027-11-05", "59.99"),
        ("2027-12-05", "59.99"),
        ("2028-01-01", "12.00"), // the domain renews
    ];
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(d, a)| (d.to_owned(), a.to_owned()))
        .collect();
    assert_eq!(amounts, expected);
    let charged: i64 = amounts.iter().map(|(_, a)| cents(a)).sum();
    assert_eq!(charged, 64_192, "641.92 charged in all");
    let balance = scene.balance().await;
    assert_eq!(balance, "108.08", "payments 750.00 minus expenses 641.92");
    assert_eq!(cents(&balance), 75_000 - charged);
    let domain_service = scene.service(&dom).await;
    assert_eq!(domain_service["paid_until"], "2029-01-01");
    let vds_service = scene.service(&vds).await;
    assert_eq!(vds_service["status"], "active");
    assert_eq!(vds_service["tariff_name"], "VDS L");
    assert_eq!(vds_service["paid_until"], "2028-01-05");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_billing_day_run_twice_or_twice_at_once_charges_nothing_more() {
    // Arrange: ten monthly services due on Feb 1.
    let scene = Scene::new().await;
    scene.set_day(day(2027, 1, 1));
    let tariff = scene.vds("VDS M", "20.00").await;
    scene.pay("1000.00").await;
    for _ in 0..10 {
        let ordered = scene
            .order(&tariff, "P1M", json!([{"code": "ram", "value": 1}]))
            .await;
        assert_eq!(ordered.status, StatusCode::CREATED);
    }
    scene.robot().await;
    scene.set_day(day(2027, 2, 1));

    // Act: one run, a second run, then two at once.
    let first = scene.billing_day(day(2027, 2, 1)).await;
    let second = scene.billing_day(day(2027, 2, 1)).await;
    let (a, b) = tokio::join!(
        scene.billing_day(day(2027, 2, 1)),
        scene.billing_day(day(2027, 2, 1))
    );

    // Assert: ten prolongations in all, 10 × 22.50 + 10 × 27.50 (first periods with set-up).
    assert_eq!(first["charged"], 10, "{first}");
    for later in [&second, &a, &b] {
        assert_eq!(later["charged"], 0, "{later}");
    }
    let charges: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ExpenseCharged'")
            .fetch_one(&scene.server.db.pool)
            .await
            .unwrap();
    assert_eq!(charges, 20);
    assert_eq!(scene.balance().await, "500.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_tariff_is_ordered_and_renewed_from_an_empty_account() {
    // Arrange: a tariff priced 0.00 (a free DNS plan, say) and a client who never paid.
    let scene = Scene::new().await;
    scene.set_day(day(2027, 1, 1));
    let tariff = scene
        .tariff(json!({"name": "Free DNS", "item_type": "vds",
                       "prices": [{"period": "P1M", "price": money("0.00")}]}))
        .await;

    // Act: order it, then let a month pass.
    let ordered = scene.order(&tariff, "P1M", json!([])).await;
    scene.robot().await;
    scene.set_day(day(2027, 2, 1));
    let day_one = scene.billing_day(day(2027, 2, 1)).await;

    // Assert: ordered (not a 500), active, both periods paid with 0.00 lines, nothing owed.
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    assert_eq!(day_one["charged"], 1, "{day_one}");
    let service = ordered.body["id"].as_str().unwrap();
    let head = eventstore::log::head_position(&scene.server.db.pool)
        .await
        .unwrap();
    let shown = scene
        .server
        .get(&format!("/v1/services/{service}?min_position={head}"))
        .await;
    assert_eq!(shown.body["status"], "active", "{shown:?}");
    let expenses = scene.expenses().await;
    assert_eq!(expenses.len(), 2, "{expenses:?}");
    assert!(
        expenses.iter().all(|e| e["amount"] == "0.00"),
        "{expenses:?}"
    );
    assert_eq!(scene.balance().await, "0.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_activation_is_visible_and_its_retry_charges_nothing_twice() {
    // Arrange
    let scene = Scene::new().await;
    scene.set_day(day(2027, 1, 1));
    let tariff = scene.vds("VDS M", "20.00").await;
    scene.pay("50.00").await;
    let ordered = scene
        .order(&tariff, "P1M", json!([{"code": "ram", "value": 2}]))
        .await;
    let service = ordered.body["id"].as_str().unwrap().to_owned();
    let head = eventstore::log::head_position(&scene.server.db.pool)
        .await
        .unwrap();
    let pending = scene
        .server
        .get(&format!(
            "/v1/operations?status=pending&min_position={head}"
        ))
        .await;
    let operation = pending.body["items"][0]["id"].as_str().unwrap().to_owned();

    // Act: the robot fails, staff look and retry, the robot succeeds.
    let failed = scene
        .server
        .post(
            &format!("/v1/operations/{operation}/fail"),
            json!({"reason": "hypervisor node-7 is full"}),
        )
        .await;
    let seen = scene.service(&service).await;
    let retried = scene
        .server
        .post(&format!("/v1/operations/{operation}/retry"), json!({}))
        .await;
    let completed = scene.robot().await;
    scene.billing_day(day(2027, 1, 1)).await;

    // Assert
    assert_eq!(failed.status, StatusCode::OK, "{failed:?}");
    assert_eq!(seen["status"], "provisioning");
    assert_eq!(seen["operations"][0]["status"], "failed");
    assert_eq!(seen["operations"][0]["reason"], "hypervisor node-7 is full");
    assert_eq!(retried.status, StatusCode::OK, "{retried:?}");
    assert_ne!(retried.body["id"], operation.as_str());
    assert_eq!(completed, 1);
    let after = scene.service(&service).await;
    assert_eq!(after["status"], "active");
    assert_eq!(after["operations"][0]["attempt"], 2);
    assert_eq!(after["operations"][1]["status"], "retried");
    assert_eq!(
        scene.balance().await,
        "20.00",
        "50.00 - (5.00 + 20.00 + 2 × 2.50), once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_service_commands_get_a_problem_and_write_nothing() {
    // Arrange: an archived tariff, a live one, a closed service.
    let scene = Scene::new().await;
    scene.set_day(day(2027, 1, 1));
    let archived = scene.vds("Old VDS", "10.00").await;
    let archive = scene
        .server
        .post(&format!("/v1/tariffs/{archived}/archive"), json!({}))
        .await;
    assert_eq!(archive.status, StatusCode::OK);
    let tariff = scene.vds("VDS M", "20.00").await;
    scene.pay("100.00").await;
    let closed = scene
        .order(&tariff, "P1M", json!([{"code": "ram", "value": 1}]))
        .await;
    let closed = closed.body["id"].as_str().unwrap().to_owned();
    scene.robot().await;
    let close = scene
        .server
        .post(&format!("/v1/services/{closed}/close"), json!({}))
        .await;
    assert_eq!(close.status, StatusCode::OK, "{close:?}");
    scene.robot().await;
    let events = scene.server.event_count().await;
    let client = &scene.client;

    // Act and assert, case by case.
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "archived tariff",
            format!("/v1/clients/{client}/services"),
            json!({"tariff_id": archived, "period": "P1M", "addons": [{"code": "ram", "value": 1}]}),
            "tariff_archived",
        ),
        (
            "period not offered",
            format!("/v1/clients/{client}/services"),
            json!({"tariff_id": tariff, "period": "P12M", "addons": [{"code": "ram", "value": 1}]}),
            "period_not_offered",
        ),
        (
            "unknown period",
            format!("/v1/clients/{client}/services"),
            json!({"tariff_id": tariff, "period": "P2W"}),
            "invalid_field",
        ),
        (
            "add-on above its maximum",
            format!("/v1/clients/{client}/services"),
            json!({"tariff_id": tariff, "period": "P1M", "addons": [{"code": "ram", "value": 64}]}),
            "addon_out_of_range",
        ),
        (
            "unknown add-on",
            format!("/v1/clients/{client}/services"),
            json!({"tariff_id": tariff, "period": "P1M", "addons": [{"code": "gpu", "value": 1}]}),
            "unknown_addon",
        ),
        (
            "unknown tariff",
            format!("/v1/clients/{client}/services"),
            json!({"tariff_id": Uuid::now_v7(), "period": "P1M"}),
            "tariff_not_found",
        ),
        (
            "resuming a closed service",
            format!("/v1/services/{closed}/resume"),
            json!({}),
            "service_closed",
        ),
        (
            "suspending a closed service",
            format!("/v1/services/{closed}/suspend"),
            json!({"reason": "abuse"}),
            "service_closed",
        ),
        (
            "negative price",
            "/v1/tariffs".to_owned(),
            json!({"provider_id": scene.provider, "name": "X", "item_type": "vds", "prices": [{"period": "P1M", "price": money("-1.00")}]}),
            "negative_price",
        ),
        (
            "billing day that is no date",
            "/v1/billing/runs".to_owned(),
            json!({"as_of": "2027-02-30"}),
            "invalid_field",
        ),
    ];
    for (name, path, body, code) in cases {
        let answer = scene.server.post(&path, body).await;
        assert!(answer.status.is_client_error(), "{name}: {answer:?}");
        assert_eq!(answer.content_type, "application/problem+json", "{name}");
        assert_eq!(answer.body["code"], code, "{name}: {answer:?}");
    }
    assert_eq!(scene.server.event_count().await, events, "nothing written");
}
