//! Paid time of services over HTTP (issues 13 and 14): no period before the order, tariff
//! changes that never give back more than was paid, and automatic renewal that can be off.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
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

    /// A monthly VDS tariff at `price`, without a set-up fee.
    async fn vds(&self, name: &str, price: &str) -> String {
        let answer = self
            .server
            .post(
                "/v1/tariffs",
                json!({"provider_id": self.provider, "name": name, "item_type": "vds",
                       "prices": [{"period": "P1M", "price": money(price)}]}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().unwrap().to_owned()
    }

    async fn promo(&self, code: &str, recurring: bool) {
        let answer = self
            .server
            .post(
                "/v1/promo-codes",
                json!({"provider_id": self.provider, "code": code, "recurring": recurring,
                       "discount": {"kind": "percent", "percent": "50"}}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    }

    async fn order(&self, body: Value) -> String {
        let answer = self
            .server
            .post(&format!("/v1/clients/{}/services", self.client), body)
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().unwrap().to_owned()
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

    async fn billing_day(&self, date: NaiveDate) {
        let answer = self
            .server
            .post("/v1/billing/runs", json!({"as_of": date}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    }

    /// Completes every pending provisioning operation.
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

    async fn change_tariff(&self, service: &str, tariff: &str) {
        let changed = self
            .server
            .post(
                &format!("/v1/services/{service}/change-tariff"),
                json!({"tariff_id": tariff}),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
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

    /// Every expense of the client, oldest first.
    async fn expenses(&self) -> Vec<Value> {
        let head = self.head().await;
        let page = self
            .server
            .get(&format!(
                "/v1/clients/{}/expenses?limit=500&min_position={head}",
                self.client
            ))
            .await;
        page.body["items"].as_array().cloned().unwrap_or_default()
    }

    /// (period start, amount) of every expense of `service`, oldest first.
    async fn charges_of(&self, service: &str) -> Vec<(String, String)> {
        self.expenses()
            .await
            .iter()
            .filter(|e| e["service_id"] == service)
            .map(|e| {
                (
                    e["period_start"].as_str().unwrap().to_owned(),
                    e["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(d, a)| ((*d).to_owned(), (*a).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_billing_day_charges_no_time_before_the_order() {
    // Arrange: a dedicated server at 100.00 ordered on Dec 1 and a VDS at 20.00 ordered on
    // Dec 5, both unpaid; a payment of 50.00 cannot pay the older order, so settlement stops
    // there and the VDS still waits.
    let shop = Shop::open(day(2026, 12, 1)).await;
    let big = shop.vds("Big", "100.00").await;
    let small = shop.vds("Small", "20.00").await;
    shop.order(json!({"tariff_id": big, "period": "P1M"})).await;
    shop.set_day(day(2026, 12, 5));
    let vds = shop
        .order(json!({"tariff_id": small, "period": "P1M"}))
        .await;
    shop.pay("50.00").await;
    assert_eq!(shop.charges_of(&vds).await, pairs(&[]));

    // Act: the billing day is run late for Nov 20, before the VDS existed.
    shop.billing_day(day(2026, 11, 20)).await;

    // Assert: nothing of Nov 20 – Dec 4 is charged; the day of the order charges from then on.
    assert_eq!(shop.charges_of(&vds).await, pairs(&[]));
    assert_eq!(shop.balance().await, "50.00");
    assert_eq!(shop.service(&vds).await["status"], "ordered");
    shop.billing_day(day(2026, 12, 5)).await;
    assert_eq!(
        shop.charges_of(&vds).await,
        pairs(&[("2026-12-05", "20.00")])
    );
    assert_eq!(shop.service(&vds).await["paid_until"], "2027-01-05");
    assert_eq!(shop.balance().await, "30.00", "50.00 − 20.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tariff_changes_back_and_forth_give_back_only_what_the_discounted_charge_paid() {
    // Arrange: 100.00 ordered with a one-time 50 % code: charged 100.00 − 50 % = 50.00.
    let shop = Shop::open(day(2027, 3, 1)).await;
    let a = shop.vds("VDS A", "100.00").await;
    let b = shop.vds("VDS B", "10.00").await;
    shop.promo("HALF", false).await;
    shop.pay("200.00").await;
    let vds = shop
        .order(json!({"tariff_id": a, "period": "P1M", "promo_code": "HALF"}))
        .await;
    shop.robot().await;

    // Act: A → B → A → B on the day of the order.
    shop.change_tariff(&vds, &b).await;
    shop.change_tariff(&vds, &a).await;
    shop.change_tariff(&vds, &b).await;

    // Assert: each change gives back exactly what was paid for the period before it; within
    // the first period the one-time code also halves the new price (B: 10.00 − 50 % = 5.00).
    assert_eq!(
        shop.charges_of(&vds).await,
        pairs(&[
            ("2027-03-01", "50.00"),
            ("2027-03-01", "-50.00"), // what A's discounted charge paid, not its 100.00 list price
            ("2027-03-01", "5.00"),   // B: 10.00 − 50 %
            ("2027-03-01", "-5.00"),
            ("2027-03-01", "50.00"), // A: 100.00 − 50 %
            ("2027-03-01", "-50.00"),
            ("2027-03-01", "5.00"),
        ])
    );
    // The client paid B's net price for the period: 200.00 − 5.00 = 195.00.
    assert_eq!(shop.balance().await, "195.00");
    assert_eq!(shop.service(&vds).await["tariff_name"], "VDS B");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tariff_change_keeps_a_recurring_discount_on_both_sides() {
    // Arrange: 8.00 with a recurring 50 % code, charged 8.00 − 50 % = 4.00.
    let shop = Shop::open(day(2027, 3, 1)).await;
    let small = shop.vds("VDS 8", "8.00").await;
    let big = shop.vds("VDS 12", "12.00").await;
    shop.promo("ALWAYSHALF", true).await;
    shop.pay("20.00").await;
    let vds = shop
        .order(json!({"tariff_id": small, "period": "P1M", "promo_code": "ALWAYSHALF"}))
        .await;
    shop.robot().await;

    // Act: to 12.00 on the same day.
    shop.change_tariff(&vds, &big).await;

    // Assert: 4.00 back (what was paid), 12.00 − 50 % = 6.00 charged, with its discount shown;
    // the next period keeps the code too.
    assert_eq!(
        shop.charges_of(&vds).await,
        pairs(&[
            ("2027-03-01", "4.00"),
            ("2027-03-01", "-4.00"),
            ("2027-03-01", "6.00"),
        ])
    );
    let charge = shop.expenses().await.last().cloned().unwrap();
    assert_eq!(
        (charge["list_amount"].as_str(), charge["discount"].as_str()),
        (Some("12.00"), Some("6.00"))
    );
    assert_eq!(shop.balance().await, "14.00", "20.00 − 4.00 + 4.00 − 6.00");
    shop.set_day(day(2027, 4, 1));
    shop.billing_day(day(2027, 4, 1)).await;
    assert_eq!(
        shop.charges_of(&vds).await.last().cloned(),
        Some(("2027-04-01".to_owned(), "6.00".to_owned()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voided_charge_is_not_given_back_again_by_a_tariff_change() {
    // Arrange: 30.00 charged for March, then voided by staff (30.00 back).
    let shop = Shop::open(day(2027, 3, 1)).await;
    let a = shop.vds("VDS 30", "30.00").await;
    let b = shop.vds("VDS 10", "10.00").await;
    shop.pay("30.00").await;
    let vds = shop.order(json!({"tariff_id": a, "period": "P1M"})).await;
    shop.robot().await;
    let charge = shop.expenses().await[0]["id"].as_str().unwrap().to_owned();
    let voided = shop
        .server
        .post(
            &format!("/v1/expenses/{charge}/corrections"),
            json!({"correction_id": Uuid::now_v7(), "reason": "outage"}),
        )
        .await;
    assert_eq!(voided.status, StatusCode::CREATED, "{voided:?}");
    assert_eq!(shop.balance().await, "30.00");

    // Act: a change to 10.00 on the same day.
    shop.change_tariff(&vds, &b).await;

    // Assert: nothing is left of the charge to give back; 10.00 is charged.
    assert_eq!(
        shop.charges_of(&vds).await,
        pairs(&[("2027-03-01", "30.00"), ("2027-03-01", "10.00")])
    );
    assert_eq!(
        shop.balance().await,
        "20.00",
        "30.00 − 30.00 + 30.00 − 10.00"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_without_auto_renewal_ends_with_its_paid_time_and_is_deleted_later() {
    // Arrange: a VDS ordered without auto-renewal and paid for January; money stays on the
    // account.
    let shop = Shop::open(day(2027, 1, 1)).await;
    let tariff = shop.vds("VDS", "20.00").await;
    shop.pay("100.00").await;
    let vds = shop
        .order(json!({"tariff_id": tariff, "period": "P1M", "auto_prolong": false}))
        .await;
    shop.robot().await;
    assert_eq!(shop.service(&vds).await["auto_prolong"], false);

    // Act: the billing day at the end of the paid time, a payment, and the days after.
    shop.set_day(day(2027, 2, 1));
    shop.billing_day(day(2027, 2, 1)).await;
    shop.robot().await;
    shop.pay("10.00").await;
    shop.billing_day(day(2027, 2, 2)).await;

    // Assert: closed on Feb 1, never charged again; deleted once the VDS delay (7 days) passed.
    let service = shop.service(&vds).await;
    assert_eq!(service["status"], "closed");
    assert_eq!(service["paid_until"], "2027-02-01");
    assert_eq!(
        shop.charges_of(&vds).await,
        pairs(&[("2027-01-01", "20.00")])
    );
    assert_eq!(shop.balance().await, "90.00", "110.00 − 20.00");
    shop.billing_day(day(2027, 2, 7)).await;
    shop.robot().await;
    assert_eq!(shop.service(&vds).await["status"], "closed");
    shop.billing_day(day(2027, 2, 8)).await;
    shop.robot().await;
    assert_eq!(shop.service(&vds).await["status"], "deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_renewal_is_switched_off_and_on_after_ordering() {
    // Arrange: a VDS with auto-renewal (the default), paid for January.
    let shop = Shop::open(day(2027, 1, 1)).await;
    let tariff = shop.vds("VDS", "20.00").await;
    shop.pay("100.00").await;
    let vds = shop
        .order(json!({"tariff_id": tariff, "period": "P1M"}))
        .await;
    shop.robot().await;
    let set = |on: bool| {
        let path = format!("/v1/services/{vds}/auto-prolong");
        let server = &shop.server;
        async move {
            server
                .call(Method::PUT, &path, Some(json!({"auto_prolong": on})))
                .await
        }
    };

    // Act and assert: off, shown; off again changes nothing; on again, renewed on Feb 1.
    let off = set(false).await;
    assert_eq!(off.status, StatusCode::OK, "{off:?}");
    assert_eq!(shop.service(&vds).await["auto_prolong"], false);
    assert_eq!(set(false).await.status, StatusCode::OK);
    let on = set(true).await;
    assert_eq!(on.status, StatusCode::OK, "{on:?}");
    assert_eq!(shop.service(&vds).await["auto_prolong"], true);
    shop.set_day(day(2027, 2, 1));
    shop.billing_day(day(2027, 2, 1)).await;
    assert_eq!(shop.service(&vds).await["paid_until"], "2027-03-01");

    // A bad body is a problem and changes nothing; a closed service refuses.
    let bad = shop
        .server
        .call(
            Method::PUT,
            &format!("/v1/services/{vds}/auto-prolong"),
            Some(json!({"auto_prolong": "no"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    let closed = shop
        .server
        .post(&format!("/v1/services/{vds}/close"), json!({}))
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{closed:?}");
    let refused = set(false).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert_eq!(refused.body["code"], "service_closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_renews_a_suspended_service_only_while_auto_renewal_is_on() {
    // Arrange: a VDS paid for January (20.00 of 20.00) and suspended for lack of money on Feb 1;
    // then its auto-renewal is switched off.
    let shop = Shop::open(day(2027, 1, 1)).await;
    let tariff = shop.vds("VDS", "20.00").await;
    shop.pay("20.00").await;
    let vds = shop
        .order(json!({"tariff_id": tariff, "period": "P1M"}))
        .await;
    shop.robot().await;
    shop.set_day(day(2027, 2, 1));
    shop.billing_day(day(2027, 2, 1)).await;
    shop.robot().await;
    assert_eq!(shop.service(&vds).await["status"], "suspended");
    let path = format!("/v1/services/{vds}/auto-prolong");
    let off = shop
        .server
        .call(Method::PUT, &path, Some(json!({"auto_prolong": false})))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{off:?}");

    // Act: money arrives on Feb 3, and the billing day runs.
    shop.set_day(day(2027, 2, 3));
    shop.pay("50.00").await;
    shop.billing_day(day(2027, 2, 3)).await;

    // Assert: nothing is charged and the service stays suspended.
    assert_eq!(
        shop.charges_of(&vds).await,
        pairs(&[("2027-01-01", "20.00")])
    );
    assert_eq!(shop.service(&vds).await["status"], "suspended");

    // Switched on again, it is charged at once from that day and its resumption requested.
    let on = shop
        .server
        .call(Method::PUT, &path, Some(json!({"auto_prolong": true})))
        .await;
    assert_eq!(on.status, StatusCode::OK, "{on:?}");
    assert_eq!(
        shop.charges_of(&vds).await,
        pairs(&[("2027-01-01", "20.00"), ("2027-02-03", "20.00")])
    );
    shop.robot().await;
    let service = shop.service(&vds).await;
    assert_eq!(service["status"], "active");
    assert_eq!(service["paid_until"], "2027-03-03");
    assert_eq!(shop.balance().await, "30.00", "70.00 − 40.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tariff_change_cut_off_after_its_money_moved_is_finished_once_when_asked_again_later() {
    // Arrange: VDS A at 30.00 from Mar 1 to Apr 1 (31 days). On Mar 5 a change to B (60.00)
    // moves its money (27 of 31 days: 26.13 back, 52.26 charged) and stops there: the service
    // never recorded it.
    let shop = Shop::open(day(2027, 3, 1)).await;
    let a = shop.vds("VDS A", "30.00").await;
    let b = shop.vds("VDS B", "60.00").await;
    let c = shop.vds("VDS C", "90.00").await;
    shop.pay("200.00").await;
    let vds = shop.order(json!({"tariff_id": a, "period": "P1M"})).await;
    shop.robot().await;
    shop.set_day(day(2027, 3, 5));
    let state = &shop.server.running.as_ref().unwrap().state;
    let context = eventstore::metadata::CommandContext::new(eventstore::metadata::Actor::System(
        "test".to_owned(),
    ));
    api::usecases::tariff_changes::move_tariff_change_money(
        state,
        &context,
        Uuid::parse_str(&vds).unwrap(),
        Uuid::parse_str(&b).unwrap(),
        Vec::new(),
    )
    .await
    .expect("the money moves");

    // Act: the next day, a change to another tariff, then the change to B asked again.
    shop.set_day(day(2027, 3, 6));
    let other = shop
        .server
        .post(
            &format!("/v1/services/{vds}/change-tariff"),
            json!({"tariff_id": c}),
        )
        .await;
    let again = shop
        .server
        .post(
            &format!("/v1/services/{vds}/change-tariff"),
            json!({"tariff_id": b}),
        )
        .await;

    // Assert: the other tariff is refused naming the interrupted change; B is recorded as of
    // Mar 5 with the money moved then, once: 200.00 − 30.00 + 26.13 − 52.26.
    assert_eq!(other.status, StatusCode::CONFLICT, "{other:?}");
    assert_eq!(other.body["code"], "tariff_change_interrupted", "{other:?}");
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(
        shop.charges_of(&vds).await,
        pairs(&[
            ("2027-03-01", "30.00"),
            ("2027-03-05", "-26.13"),
            ("2027-03-05", "52.26"),
        ])
    );
    assert_eq!(shop.balance().await, "143.87");
    let seen = shop.service(&vds).await;
    assert_eq!(seen["tariff_name"], "VDS B", "{seen}");
    assert_eq!(seen["paid_until"], "2027-04-01", "{seen}");
}
