//! Group and personal discounts over HTTP (issue 20.6): a client group's discount on VDS and a
//! personal discount on hosting that ends, beside a one-time promo code; the best single
//! discount is charged, to the cent, on the balance, statement, expenses, the monthly invoice and
//! the revenue report; bad input is refused and writes nothing.

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::{Answer, TestServer};
use uuid::Uuid;

use crate::invoicing::{company, vat_added_in_germany};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// The sum of `field` (an amount string) over `rows`.
fn total(rows: &[Value], field: &str) -> Decimal {
    rows.iter()
        .map(|row| dec(row[field].as_str().unwrap_or("0")))
        .sum()
}

/// A German provider with a company that adds 19 % VAT and issues monthly consumption
/// invoices, one client in the group "VIP", a VDS tariff at 30.00 and a hosting tariff at
/// 10.00 a month.
struct Shop {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    provider: String,
    client: String,
    group: String,
    vds: String,
    hosting: String,
}

impl Shop {
    async fn open() -> Shop {
        let (server, clock) = TestServer::start_fixed().await;
        clock.set(Utc.from_utc_datetime(&day(2027, 1, 1).and_hms_opt(9, 0, 0).unwrap()));
        let provider = server.provider("EUR").await;
        let company = company(&server, &provider, "DE", "yearly").await;
        vat_added_in_germany(&server, &company).await;
        let client = server.client(&provider, "Vera Lind").await;
        let tariff = |name: &str, item_type: &str, price: &str| {
            json!({"provider_id": provider, "name": name, "item_type": item_type,
                   "prices": [{"period": "P1M", "price": {"amount": price, "currency": "EUR"}}]})
        };
        let vds = server
            .post("/v1/tariffs", tariff("VDS", "vds", "30.00"))
            .await;
        assert_eq!(vds.status, StatusCode::CREATED, "{vds:?}");
        let hosting = server
            .post("/v1/tariffs", tariff("Hosting", "shared_hosting", "10.00"))
            .await;
        assert_eq!(hosting.status, StatusCode::CREATED, "{hosting:?}");
        let group = Uuid::now_v7().to_string();
        let created = server
            .post(
                "/v1/client-groups",
                json!({"group_id": group, "provider_id": provider, "name": "VIP"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        let member = server
            .call(
                Method::PUT,
                &format!("/v1/clients/{client}/groups"),
                Some(json!({ "group_ids": [group] })),
            )
            .await;
        assert_eq!(member.status, StatusCode::OK, "{member:?}");
        Shop {
            provider,
            client,
            group,
            vds: vds.body["id"].as_str().unwrap().to_owned(),
            hosting: hosting.body["id"].as_str().unwrap().to_owned(),
            server,
            clock,
        }
    }

    fn set_day(&self, date: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).unwrap()));
    }

    async fn put(&self, path: &str, body: Value) -> Answer {
        self.server.call(Method::PUT, path, Some(body)).await
    }

    async fn group_discount(&self, body: Value) -> Answer {
        self.put(&format!("/v1/client-groups/{}/discounts", self.group), body)
            .await
    }

    async fn personal_discount(&self, body: Value) -> Answer {
        self.put(
            &format!("/v1/clients/{}/personal-discount", self.client),
            body,
        )
        .await
    }

    async fn order(&self, tariff: &str, promo_code: Option<&str>) -> String {
        let mut body = json!({"tariff_id": tariff, "period": "P1M"});
        if let Some(code) = promo_code {
            body["promo_code"] = json!(code);
        }
        let ordered = self
            .server
            .post(&format!("/v1/clients/{}/services", self.client), body)
            .await;
        assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
        self.server.settled().await;
        ordered.body["id"].as_str().unwrap().to_owned()
    }

    async fn billing_day(&self, on: NaiveDate) {
        self.set_day(on);
        let run = self
            .server
            .post("/v1/billing/runs", json!({ "as_of": on }))
            .await;
        assert_eq!(run.status, StatusCode::OK, "{run:?}");
        self.server.settled().await;
    }

    async fn items(&self, path: &str) -> Vec<Value> {
        let head = self.server.settled().await;
        let answer = self
            .server
            .get(&format!("{path}&min_position={head}"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
        answer.body["items"].as_array().cloned().unwrap_or_default()
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
async fn group_and_personal_discounts_beside_a_promo_code_are_charged_to_the_cent() {
    // Arrange, 2027-01-01: the group takes 10 % off VDS; the client's own 20 % off hosting ends
    // with February; a one-time promo code takes 12.5 % off the first VDS charge.
    let shop = Shop::open().await;
    let set = shop
        .group_discount(json!({"item_type": "vds", "percent": "10"}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    let set = shop
        .personal_discount(
            json!({"percent": "20", "item_types": ["shared_hosting"], "until": "2027-02-28"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    let promo = shop
        .server
        .post(
            "/v1/promo-codes",
            json!({"provider_id": shop.provider, "code": "WELCOME",
                   "discount": {"kind": "percent", "percent": "12.5"}}),
        )
        .await;
    assert_eq!(promo.status, StatusCode::CREATED, "{promo:?}");
    let paid = shop
        .server
        .post(
            &format!("/v1/clients/{}/payments", shop.client),
            json!({"payment_id": Uuid::now_v7(), "amount": "200.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    shop.server.settled().await;

    // Act: both services ordered on Jan 1, renewed on Feb 1 and Mar 1.
    let vds = shop.order(&shop.vds, Some("WELCOME")).await;
    let hosting = shop.order(&shop.hosting, None).await;
    shop.billing_day(day(2027, 2, 1)).await;
    shop.billing_day(day(2027, 3, 1)).await;

    // Assert: the expenses. VDS: the promo code's 3.75 beats the group's 3.00 on the first
    // charge (26.25 + 19 % = 31.24), then the group's 3.00 alone (27.00 + 5.13 = 32.13): never
    // both. Hosting: the personal 2.00 off (8.00 + 1.52 = 9.52) until the period starting
    // Feb 1; the one starting Mar 1 is after it ended (10.00 + 1.90 = 11.90).
    let expenses = shop
        .items(&format!("/v1/clients/{}/expenses?limit=500", shop.client))
        .await;
    let mut seen: Vec<(String, String, String, String, String, String)> = expenses
        .iter()
        .map(|e| {
            let service = if e["service_id"] == vds.as_str() {
                "vds"
            } else {
                assert_eq!(e["service_id"], hosting.as_str(), "{e}");
                "hosting"
            };
            (
                service.to_owned(),
                e["period_start"].as_str().unwrap().to_owned(),
                e["amount"].as_str().unwrap().to_owned(),
                e["list_amount"].as_str().unwrap().to_owned(),
                e["discount"].as_str().unwrap().to_owned(),
                e["promo_code"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    seen.sort();
    let row = |s: &str, start: &str, amount: &str, list: &str, off: &str, code: &str| {
        (
            s.to_owned(),
            start.to_owned(),
            amount.to_owned(),
            list.to_owned(),
            off.to_owned(),
            code.to_owned(),
        )
    };
    assert_eq!(
        seen,
        vec![
            row("hosting", "2027-01-01", "9.52", "10.00", "2.00", "personal"),
            row("hosting", "2027-02-01", "9.52", "10.00", "2.00", "personal"),
            // Without a discount the expenses read model shows the amount as its list amount.
            row("hosting", "2027-03-01", "11.90", "11.90", "0.00", "-"),
            row("vds", "2027-01-01", "31.24", "30.00", "3.75", "WELCOME"),
            row("vds", "2027-02-01", "32.13", "30.00", "3.00", "group:VIP"),
            row("vds", "2027-03-01", "32.13", "30.00", "3.00", "group:VIP"),
        ],
        "{expenses:?}"
    );

    // The balance and the statement: 200.00 less 126.44 charged.
    let head = shop.server.settled().await;
    let balance = shop
        .server
        .get(&format!(
            "/v1/clients/{}/balance?min_position={head}",
            shop.client
        ))
        .await;
    assert_eq!(
        balance.body["accounts"][0]["balance"], "73.56",
        "{balance:?}"
    );
    let statement = shop
        .server
        .get(&format!(
            "/v1/clients/{}/statement?limit=500&min_position={head}",
            shop.client
        ))
        .await;
    assert_eq!(statement.status, StatusCode::OK, "{statement:?}");
    assert_eq!(statement.body["closing_balance"], "73.56", "{statement:?}");
    let movements = statement.body["items"].as_array().unwrap();
    assert_eq!(total(movements, "amount"), dec("73.56"), "{movements:?}");

    // The January invoice: the two discounted charges, 34.25 net + 6.51 VAT.
    shop.set_day(day(2027, 3, 2));
    let run = shop
        .server
        .post("/v1/invoices/monthly", json!({ "month": "2027-01" }))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    let issued = run.body["issued"].as_array().unwrap();
    assert_eq!(issued.len(), 1, "{run:?}");
    let position = run.body["position"].as_i64().unwrap();
    let invoice = shop
        .server
        .get(&format!(
            "/v1/invoices/{}?min_position={position}",
            issued[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(invoice.status, StatusCode::OK, "{invoice:?}");
    assert_eq!(
        (
            &invoice.body["net"],
            &invoice.body["tax"],
            &invoice.body["gross"]
        ),
        (&json!("34.25"), &json!("6.51"), &json!("40.76")),
        "{invoice:?}"
    );
    let mut lines: Vec<&str> = invoice.body["document"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["gross"]["amount"].as_str().unwrap())
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, vec!["31.24", "9.52"], "{invoice:?}");

    // The revenue report, without VAT: 34.25 + 35.00 + 37.00.
    let rows = shop
        .items("/v1/reports/revenue?group=month&from=2027-01-01&to=2027-04-01")
        .await;
    assert_eq!(total(&rows, "revenue"), dec("106.25"), "{rows:?}");
    let mut by_month: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["period_start"].as_str().unwrap().to_owned(),
                r["item_type"].as_str().unwrap().to_owned(),
                r["revenue"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    by_month.sort();
    let month = |start: &str, item_type: &str, revenue: &str| {
        (start.to_owned(), item_type.to_owned(), revenue.to_owned())
    };
    assert_eq!(
        by_month,
        vec![
            month("2027-01-01", "shared_hosting", "8.00"),
            month("2027-01-01", "vds", "26.25"),
            month("2027-02-01", "shared_hosting", "8.00"),
            month("2027-02-01", "vds", "27.00"),
            month("2027-03-01", "shared_hosting", "10.00"),
            month("2027-03-01", "vds", "27.00"),
        ],
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_discounts_set_are_shown_and_can_be_removed() {
    // Arrange
    let shop = Shop::open().await;

    // Act
    for body in [
        json!({"item_type": "vds", "percent": "10"}),
        json!({"item_type": "shared_hosting", "percent": "7.5"}),
        json!({"item_type": "vds", "percent": null}),
    ] {
        let set = shop.group_discount(body).await;
        assert_eq!(set.status, StatusCode::OK, "{set:?}");
    }
    let set = shop
        .personal_discount(json!({"percent": "15", "until": "2027-06-30"}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");

    // Assert
    let groups = shop
        .items(&format!("/v1/client-groups?provider_id={}", shop.provider))
        .await;
    assert_eq!(groups[0]["discounts"], json!({"shared_hosting": "7.5"}));
    let head = shop.server.settled().await;
    let personal = shop
        .server
        .get(&format!(
            "/v1/clients/{}/personal-discount?min_position={head}",
            shop.client
        ))
        .await;
    assert_eq!(personal.status, StatusCode::OK, "{personal:?}");
    assert_eq!(
        personal.body["discount"],
        json!({"percent": "15", "until": "2027-06-30"})
    );
    let removed = shop.personal_discount(json!({"percent": null})).await;
    assert_eq!(removed.status, StatusCode::OK, "{removed:?}");
    let head = shop.server.settled().await;
    let personal = shop
        .server
        .get(&format!(
            "/v1/clients/{}/personal-discount?min_position={head}",
            shop.client
        ))
        .await;
    assert_eq!(personal.body["discount"], Value::Null, "{personal:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_discount_input_is_a_problem_and_writes_nothing() {
    // Arrange
    let shop = Shop::open().await;
    let events = shop.server.event_count().await;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;

    // Act and assert
    for (body, code) in [
        (
            json!({"item_type": "vds", "percent": "0"}),
            "invalid_discount_percent",
        ),
        (
            json!({"item_type": "vds", "percent": "100.01"}),
            "invalid_discount_percent",
        ),
        (
            json!({"item_type": "vds", "percent": "12.345"}),
            "invalid_discount_percent",
        ),
        (
            json!({"item_type": "vds", "percent": "ten"}),
            "invalid_discount_percent",
        ),
        (
            json!({"item_type": "vds", "percent": "-5"}),
            "invalid_discount_percent",
        ),
        (
            json!({"item_type": "no_such_type", "percent": "5"}),
            "unknown_item_type",
        ),
    ] {
        let refused = shop.group_discount(body.clone()).await;
        assert_problem(&refused, unprocessable, code, &body.to_string());
    }
    for (body, code) in [
        (json!({"percent": "150"}), "invalid_discount_percent"),
        (
            json!({"percent": "5", "item_types": ["vds", "vds"]}),
            "duplicate_item_type",
        ),
        (
            json!({"percent": "5", "item_types": ["no_such_type"]}),
            "unknown_item_type",
        ),
    ] {
        let refused = shop.personal_discount(body.clone()).await;
        assert_problem(&refused, unprocessable, code, &body.to_string());
    }
    let nobody = shop
        .put(
            &format!("/v1/client-groups/{}/discounts", Uuid::now_v7()),
            json!({"item_type": "vds", "percent": "5"}),
        )
        .await;
    assert_problem(
        &nobody,
        StatusCode::NOT_FOUND,
        "client_group_not_found",
        "a group never created",
    );
    assert_eq!(shop.server.event_count().await, events, "nothing written");
}
