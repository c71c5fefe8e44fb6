//! Promo codes end to end: created over HTTP, redeemed by orders (concurrently, within their
//! limits), shown on the discounted expense, and refused cleanly.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, Answer, TestServer, answer};
use uuid::Uuid;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// A provider selling one monthly tariff at 9.99 EUR (no set-up fee) to one client.
struct Shop {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    provider: String,
    client: String,
    tariff: String,
}

impl Shop {
    async fn open() -> Shop {
        let (server, clock) = TestServer::start_fixed().await;
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Ida Lund").await;
        let tariff = server
            .post(
                "/v1/tariffs",
                json!({
                    "provider_id": provider,
                    "name": "Hosting S",
                    "item_type": "shared_hosting",
                    "prices": [{"period": "P1M", "price": {"amount": "9.99", "currency": "EUR"}}],
                }),
            )
            .await;
        assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
        let tariff = tariff.body["id"].as_str().unwrap().to_owned();
        Shop {
            server,
            clock,
            provider,
            client,
            tariff,
        }
    }

    fn set_day(&self, date: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).unwrap()));
    }

    /// Creates a promo code of the shop's provider from `body` and returns its id.
    async fn promo(&self, body: Value) -> String {
        let mut body = body;
        body["provider_id"] = json!(self.provider);
        let created = self.server.post("/v1/promo-codes", body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        created.body["id"].as_str().unwrap().to_owned()
    }

    fn order_body(&self, promo_code: &str) -> Value {
        json!({"tariff_id": self.tariff, "period": "P1M", "promo_code": promo_code})
    }

    async fn order(&self, promo_code: &str) -> Answer {
        self.server
            .post(
                &format!("/v1/clients/{}/services", self.client),
                self.order_body(promo_code),
            )
            .await
    }

    async fn head(&self) -> i64 {
        eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap()
    }

    /// Posts a payment and waits until settlement has acted on it.
    async fn pay(&self, amount: &str) {
        let paid = self
            .server
            .post(
                &format!("/v1/clients/{}/payments", self.client),
                json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR",
                       "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        let position = paid.body["position"].as_i64().unwrap();
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

    async fn promo_view(&self, id: &str) -> Value {
        let head = self.head().await;
        let view = self
            .server
            .get(&format!("/v1/promo-codes/{id}?min_position={head}"))
            .await;
        assert_eq!(view.status, StatusCode::OK, "{view:?}");
        view.body
    }

    async fn expenses(&self) -> Vec<Value> {
        let head = self.head().await;
        let page = self
            .server
            .get(&format!(
                "/v1/clients/{}/expenses?limit=500&min_position={head}",
                self.client
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        page.body["items"].as_array().cloned().unwrap_or_default()
    }

    async fn ordered_services(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ServiceOrdered'")
            .fetch_one(&self.server.db.pool)
            .await
            .unwrap()
    }
}

fn assert_problem(answer: &Answer, status: StatusCode, code: &str, case: &str) {
    assert_eq!(answer.status, status, "{case}: {answer:?}");
    assert_eq!(
        answer.content_type, "application/problem+json",
        "{case}: {answer:?}"
    );
    assert_eq!(answer.body["code"], code, "{case}: {answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_limited_to_three_uses_is_used_by_exactly_three_of_ten_concurrent_orders() {
    // Arrange
    let shop = Shop::open().await;
    let promo = shop
        .promo(
            json!({"code": "LAUNCH3", "discount": {"kind": "percent", "percent": "10"},
                      "max_uses": 3}),
        )
        .await;

    // Act: ten orders at once, each for a service of its own.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let http = shop.server.http.clone();
        let url = format!("{}/v1/clients/{}/services", shop.server.url, shop.client);
        let body = shop.order_body("LAUNCH3");
        tasks.push(tokio::spawn(async move {
            answer(
                http.post(url)
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }

    // Assert: three orders, seven refusals, three uses and three services in the log.
    let ordered: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    assert_eq!(ordered.len(), 3, "{answers:?}");
    for refused in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_problem(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "promo_code_exhausted",
            "an order past the limit",
        );
    }
    let mut ids: Vec<&str> = ordered
        .iter()
        .map(|a| a.body["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three different services");
    let view = shop.promo_view(&promo).await;
    assert_eq!(view["uses"], 3, "{view}");
    assert_eq!(view["max_uses"], 3);
    assert_eq!(shop.ordered_services().await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_percent_code_takes_1_00_off_a_9_99_first_period_and_the_expense_shows_it() {
    // Arrange: money on the account, and a 10 % code for first charges.
    let shop = Shop::open().await;
    shop.set_day(day(2027, 1, 1));
    shop.pay("20.00").await;
    let promo = shop
        .promo(
            json!({"code": "TENOFF", "discount": {"kind": "percent", "percent": "10"},
                      "periods": ["P1M"], "item_types": ["shared_hosting"]}),
        )
        .await;

    // Act: order with the code as a client types it, then live to the next period.
    let ordered = shop.order("tenoff").await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap().to_owned();
    shop.set_day(day(2027, 2, 1));
    let run = shop
        .server
        .post("/v1/billing/runs", json!({"as_of": day(2027, 2, 1)}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{run:?}");

    // Assert: 10 % of 9.99 is 0.999, rounded half away from zero to 1.00, so 8.99 is charged
    // once; the second period is at the list price.
    let expenses = shop.expenses().await;
    assert_eq!(expenses.len(), 2, "{expenses:?}");
    let first = &expenses[0];
    assert_eq!(first["service_id"], service.as_str());
    assert_eq!(first["amount"], "8.99");
    assert_eq!(first["list_amount"], "9.99");
    assert_eq!(first["discount"], "1.00");
    assert_eq!(first["promo_code"], "TENOFF");
    let second = &expenses[1];
    assert_eq!(second["period_start"], "2027-02-01");
    assert_eq!(second["amount"], "9.99");
    assert_eq!(second["list_amount"], "9.99");
    assert_eq!(second["discount"], "0.00");
    assert_eq!(second["promo_code"], Value::Null);
    let balance = shop
        .server
        .get(&format!(
            "/v1/clients/{}/balance?min_position={}",
            shop.client,
            shop.head().await
        ))
        .await;
    assert_eq!(
        balance.body["accounts"][0]["balance"], "1.02",
        "20.00 - 8.99 - 9.99"
    );
    let view = shop.promo_view(&promo).await;
    assert_eq!(view["uses"], 1);
    assert_eq!(view["code"], "TENOFF");
    assert_eq!(
        view["discount"],
        json!({"kind": "percent", "percent": "10"})
    );
    assert_eq!(view["periods"], json!(["P1M"]));
    assert_eq!(view["item_types"], json!(["shared_hosting"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_order_with_the_same_idempotency_key_redeems_the_code_once() {
    // Arrange
    let shop = Shop::open().await;
    let promo = shop
        .promo(
            json!({"code": "ONCE", "discount": {"kind": "fixed", "amount": "5.00",
                      "currency": "EUR"}, "recurring": true}),
        )
        .await;
    let send = || {
        shop.server
            .http
            .post(format!(
                "{}/v1/clients/{}/services",
                shop.server.url, shop.client
            ))
            .bearer_auth(ADMIN_TOKEN)
            .header("idempotency-key", "order-once")
            .json(&shop.order_body("ONCE"))
            .send()
    };

    // Act
    let first = answer(send().await.unwrap()).await;
    let retry = answer(send().await.unwrap()).await;

    // Assert
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert_eq!(retry.status, StatusCode::CREATED, "{retry:?}");
    assert_eq!(retry.body["id"], first.body["id"]);
    assert_eq!(shop.promo_view(&promo).await["uses"], 1);
    assert_eq!(shop.ordered_services().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_code_refuses_orders_and_the_order_writes_nothing() {
    // Arrange
    let shop = Shop::open().await;
    let promo = shop
        .promo(json!({"code": "GONE", "discount": {"kind": "percent", "percent": "50"}}))
        .await;
    let disabled = shop
        .server
        .post(&format!("/v1/promo-codes/{promo}/disable"), json!({}))
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");
    let events = shop.server.event_count().await;

    // Act
    let refused = shop.order("GONE").await;

    // Assert
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "promo_code_disabled",
        "a disabled code",
    );
    assert_eq!(shop.server.event_count().await, events, "nothing written");
    assert_eq!(shop.promo_view(&promo).await["disabled"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_promo_input_is_a_problem_and_writes_nothing() {
    // Arrange: a code limited to another tariff, and a code that exists already.
    let shop = Shop::open().await;
    shop.set_day(day(2027, 1, 1));
    shop.promo(json!({"code": "TAKEN", "discount": {"kind": "percent", "percent": "5"}}))
        .await;
    shop.promo(
        json!({"code": "OTHER", "discount": {"kind": "percent", "percent": "5"},
                      "tariffs": [Uuid::now_v7()]}),
    )
    .await;
    shop.promo(
        json!({"code": "OLD", "discount": {"kind": "percent", "percent": "5"},
                      "valid_until": "2026-12-31"}),
    )
    .await;
    let events = shop.server.event_count().await;
    let provider = shop.provider.clone();
    let create = |body: Value| ("/v1/promo-codes".to_owned(), body);
    let order = |code: &str| {
        (
            format!("/v1/clients/{}/services", shop.client),
            shop.order_body(code),
        )
    };

    // Act and assert, case by case.
    let cases: Vec<(&str, (String, Value), StatusCode, &str)> = vec![
        (
            "a percent above 100",
            create(json!({"provider_id": provider, "code": "BIG",
                          "discount": {"kind": "percent", "percent": "150"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_discount",
        ),
        (
            "a percent that is no number",
            create(json!({"provider_id": provider, "code": "NAN",
                          "discount": {"kind": "percent", "percent": "ten"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_discount",
        ),
        (
            "a fixed amount with too many decimals",
            create(json!({"provider_id": provider, "code": "FINE",
                          "discount": {"kind": "fixed", "amount": "1.005", "currency": "EUR"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_precise",
        ),
        (
            "an unknown discount kind",
            create(json!({"provider_id": provider, "code": "FREE",
                          "discount": {"kind": "free"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "an unknown field in the discount",
            create(json!({"provider_id": provider, "code": "EXTRA",
                          "discount": {"kind": "percent", "percent": "5", "cap": "1"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "an unknown provider",
            create(json!({"provider_id": Uuid::now_v7(), "code": "NOBODY",
                          "discount": {"kind": "percent", "percent": "5"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "provider_not_found",
        ),
        (
            "a code with a space",
            create(json!({"provider_id": provider, "code": "NO WAY",
                          "discount": {"kind": "percent", "percent": "5"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_promo_code",
        ),
        (
            "an unknown item type",
            create(
                json!({"provider_id": provider, "code": "ITEMS", "item_types": ["boat"],
                          "discount": {"kind": "percent", "percent": "5"}}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "zero uses",
            create(
                json!({"provider_id": provider, "code": "ZERO", "max_uses": 0,
                          "discount": {"kind": "percent", "percent": "5"}}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_max_uses",
        ),
        (
            "a code the provider has already",
            create(json!({"provider_id": provider, "code": "TAKEN",
                          "discount": {"kind": "percent", "percent": "5"}})),
            StatusCode::CONFLICT,
            "promo_code_exists",
        ),
        (
            "ordering with an unknown code",
            order("NOSUCH"),
            StatusCode::NOT_FOUND,
            "promo_code_not_found",
        ),
        (
            "ordering with a code for other tariffs",
            order("OTHER"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "promo_code_not_applicable",
        ),
        (
            "ordering with an expired code",
            order("OLD"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "promo_code_expired",
        ),
    ];
    for (case, (path, body), status, code) in cases {
        let answer = shop.server.post(&path, body).await;
        assert_problem(&answer, status, code, case);
    }
    let malformed = answer(
        shop.server
            .http
            .post(format!("{}/v1/promo-codes", shop.server.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body("{\"provider_id\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(
        &malformed,
        StatusCode::BAD_REQUEST,
        "malformed_json",
        "malformed JSON",
    );
    let missing = shop
        .server
        .get(&format!("/v1/promo-codes/{}", Uuid::now_v7()))
        .await;
    assert_problem(
        &missing,
        StatusCode::NOT_FOUND,
        "promo_code_not_found",
        "reading an unknown code",
    );
    let disable_missing = shop
        .server
        .post(
            &format!("/v1/promo-codes/{}/disable", Uuid::now_v7()),
            json!({}),
        )
        .await;
    assert_problem(
        &disable_missing,
        StatusCode::NOT_FOUND,
        "promo_code_not_found",
        "disabling an unknown code",
    );
    assert_eq!(shop.server.event_count().await, events, "nothing written");
}

#[tokio::test]
async fn the_openapi_document_lists_the_promo_code_enums() {
    // Arrange
    let server = TestServer::start().await;

    // Act
    let spec = server.get("/openapi.json").await;

    // Assert
    let schemas = &spec.body["components"]["schemas"];
    // A period is any of P1D and P1M to P120M, so it is a string, not an enum.
    assert_eq!(
        schemas["CreatePromoCodeRequest"]["properties"]["periods"]["items"]["type"],
        json!("string")
    );
    assert!(
        schemas["ItemTypeName"]["enum"]
            .as_array()
            .is_some_and(|values| values.contains(&json!("shared_hosting"))),
        "{}",
        schemas["ItemTypeName"]
    );
    assert!(
        schemas["DiscountBody"]["oneOf"].is_array(),
        "{}",
        schemas["DiscountBody"]
    );
    assert!(spec.body["paths"]["/v1/promo-codes/{id}/disable"]["post"].is_object());
}
