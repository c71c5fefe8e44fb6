//! Policies as configuration over HTTP (issue 19, item 2): billing periods of several years and
//! tariff price changes announced in advance.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
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

/// A provider and one client, on a fixed clock.
struct Shop {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    provider: String,
    client: String,
}

impl Shop {
    async fn open(on: NaiveDate) -> Shop {
        let (server, clock) = TestServer::start_fixed().await;
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Rita Holm").await;
        let shop = Shop {
            server,
            clock,
            provider,
            client,
        };
        shop.set_day(on);
        shop
    }

    fn set_day(&self, date: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("a time")));
    }

    async fn tariff(&self, item_type: &str, prices: Value) -> String {
        let answer = self
            .server
            .post(
                "/v1/tariffs",
                json!({"provider_id": self.provider, "name": "Plan", "item_type": item_type,
                       "prices": prices}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().unwrap().to_owned()
    }

    async fn order(&self, tariff: &str, period: &str) -> String {
        let answer = self
            .server
            .post(
                &format!("/v1/clients/{}/services", self.client),
                json!({"tariff_id": tariff, "period": period}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().unwrap().to_owned()
    }

    async fn head(&self) -> i64 {
        eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap()
    }

    /// Waits until `names` have reached the head of the log.
    async fn settle(&self, names: &[&str]) {
        let position = self.head().await;
        let state = &self.server.running.as_ref().unwrap().state;
        for name in names {
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
        self.settle(&["services", "settlement"]).await;
    }

    async fn billing_day(&self, date: NaiveDate) {
        let answer = self
            .server
            .post("/v1/billing/runs", json!({"as_of": date}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    }

    async fn robot(&self) {
        let head = self.head().await;
        let pending = self
            .server
            .get(&format!(
                "/v1/operations?status=pending&min_position={head}"
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

    async fn service(&self, id: &str) -> Value {
        let head = self.head().await;
        self.server
            .get(&format!("/v1/services/{id}?min_position={head}"))
            .await
            .body
    }

    async fn balance(&self) -> String {
        let head = self.head().await;
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

    /// (period start, period end, amount) of every expense of `service`, oldest first.
    async fn charges_of(&self, service: &str) -> Vec<(String, String, String)> {
        let head = self.head().await;
        let page = self
            .server
            .get(&format!(
                "/v1/clients/{}/expenses?limit=500&min_position={head}",
                self.client
            ))
            .await;
        page.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|e| e["service_id"] == service)
            .map(|e| {
                (
                    e["period_start"].as_str().unwrap().to_owned(),
                    e["period_end"].as_str().unwrap().to_owned(),
                    e["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

fn charges(expected: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    expected
        .iter()
        .map(|(s, e, a)| ((*s).to_owned(), (*e).to_owned(), (*a).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_year_domain_is_charged_for_three_years_and_renewed_for_three_more() {
    // Arrange: a domain sold for one year (10.00) or three (27.00), ordered on 2028-02-29.
    let shop = Shop::open(day(2028, 2, 29)).await;
    let tariff = shop
        .tariff(
            "domain",
            json!([{"period": "P12M", "price": money("10.00")},
                   {"period": "P36M", "price": money("27.00")}]),
        )
        .await;
    shop.pay("60.00").await;

    // Act: ordered for three years, then the billing day when they end.
    let domain = shop.order(&tariff, "P36M").await;
    shop.settle(&["services", "settlement"]).await;
    shop.robot().await;
    shop.set_day(day(2031, 2, 28));
    shop.billing_day(day(2031, 2, 28)).await;

    // Assert: two periods of three years, the second from the 28th (2031 is no leap year) to
    // 2034-02-28, and the balance 60.00 − 2 × 27.00.
    assert_eq!(
        shop.charges_of(&domain).await,
        charges(&[
            ("2028-02-29", "2031-02-28", "27.00"),
            ("2031-02-28", "2034-02-28", "27.00"),
        ])
    );
    let service = shop.service(&domain).await;
    assert_eq!(service["paid_until"], "2034-02-28");
    assert_eq!(service["period"], "P36M");
    assert_eq!(shop.balance().await, "6.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_change_is_announced_and_charged_from_the_next_period_on() {
    // Arrange: a monthly VDS at 10.00, ordered and paid on 2027-01-10.
    let shop = Shop::open(day(2027, 1, 10)).await;
    let tariff = shop
        .tariff("vds", json!([{"period": "P1M", "price": money("10.00")}]))
        .await;
    shop.pay("100.00").await;
    let vds = shop.order(&tariff, "P1M").await;
    shop.settle(&["services", "settlement"]).await;
    shop.robot().await;

    // Act: too soon a change is refused; one 30 days ahead (from 2027-02-15) is announced.
    shop.set_day(day(2027, 1, 15));
    let too_soon = shop
        .server
        .post(
            &format!("/v1/tariffs/{tariff}/price-changes"),
            json!({"period": "P1M", "price": money("12.00"), "effective_on": "2027-02-13"}),
        )
        .await;
    assert_eq!(
        too_soon.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{too_soon:?}"
    );
    assert_eq!(too_soon.body["code"], "price_change_too_soon");
    let announced = shop
        .server
        .post(
            &format!("/v1/tariffs/{tariff}/price-changes"),
            json!({"period": "P1M", "price": money("12.00"), "effective_on": "2027-02-14"}),
        )
        .await;
    assert_eq!(announced.status, StatusCode::OK, "{announced:?}");
    shop.settle(&["price_change_process", "notifier"]).await;
    shop.settle(&["notifier"]).await;

    // The period starting 2027-02-10 (before the change) keeps the old price; the one from
    // 2027-03-10 pays the new one.
    shop.set_day(day(2027, 2, 10));
    shop.billing_day(day(2027, 2, 10)).await;
    shop.set_day(day(2027, 3, 10));
    shop.billing_day(day(2027, 3, 10)).await;

    // Assert
    assert_eq!(
        shop.charges_of(&vds).await,
        charges(&[
            ("2027-01-10", "2027-02-10", "10.00"),
            ("2027-02-10", "2027-03-10", "10.00"),
            ("2027-03-10", "2027-04-10", "12.00"),
        ])
    );
    assert_eq!(
        shop.balance().await,
        "68.00",
        "100.00 − 10.00 − 10.00 − 12.00"
    );
    let service = shop.service(&vds).await;
    assert_eq!(service["price_per_period"], "12.00", "{service}");
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM notifications WHERE kind = 'price_change'")
            .fetch_all(&shop.server.db.pool)
            .await
            .unwrap();
    assert_eq!(kinds, ["price_change"]);
}
