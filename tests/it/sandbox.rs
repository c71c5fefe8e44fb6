//! Sandbox providers with a test clock (issue 19.3, ADR 20): a sandbox provider plays a year over
//! HTTP by moving its clock — an order, payments, a renewal each month, a suspension when the
//! money runs out, a resumption by a payment, a deletion after the item type's delay — while a
//! live provider beside it, on the real (fixed) clock, is untouched.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

/// A shop on the API that plays a sandbox provider's time; shared with the hourly billing tests.
pub(crate) struct Shop {
    pub(crate) server: TestServer,
}

impl Shop {
    pub(crate) async fn created(&self, path: &str, body: Value) -> Value {
        let answer = self.server.post(path, body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{path}: {answer:?}");
        answer.body
    }

    async fn provider(&self, name: &str, sandbox: bool) -> String {
        let body = self
            .created(
                "/v1/providers",
                json!({"name": name, "currency": "EUR", "sandbox": sandbox}),
            )
            .await;
        body["id"].as_str().unwrap().to_owned()
    }

    async fn vds(&self, provider: &str) -> String {
        let body = self
            .created(
                "/v1/tariffs",
                json!({"provider_id": provider, "name": "VDS S", "item_type": "vds",
                       "prices": [{"period": "P1M", "price": {"amount": "20.00", "currency": "EUR"}}],
                       "setup_fees": [{"amount": "5.00", "currency": "EUR"}]}),
            )
            .await;
        body["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn pay(&self, client: &str, amount: &str) {
        self.created(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
        self.server.settled().await;
    }

    async fn order(&self, client: &str, tariff: &str) -> String {
        let body = self
            .created(
                &format!("/v1/clients/{client}/services"),
                json!({"tariff_id": tariff, "period": "P1M", "addons": []}),
            )
            .await;
        self.server.settled().await;
        body["id"].as_str().unwrap().to_owned()
    }

    /// Moves the sandbox clock to `to` and answers what it did.
    pub(crate) async fn advance(&self, provider: &str, to: &str) -> Value {
        let answer = self
            .server
            .post(
                &format!("/v1/providers/{provider}/clock"),
                json!({"to": to}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{to}: {answer:?}");
        self.server.settled().await;
        answer.body
    }

    /// The provisioning robot: completes every pending operation; answers their kinds.
    pub(crate) async fn robot(&self) -> Vec<String> {
        let head = self.server.settled().await;
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
        self.server.settled().await;
        items
            .iter()
            .map(|op| op["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub(crate) async fn service(&self, id: &str) -> (String, String) {
        let head = self.server.settled().await;
        let body = self
            .server
            .get(&format!("/v1/services/{id}?min_position={head}"))
            .await
            .body;
        (
            body["status"].as_str().unwrap().to_owned(),
            body["paid_until"].as_str().unwrap_or_default().to_owned(),
        )
    }

    async fn balance(&self, client: &str) -> String {
        let head = self.server.settled().await;
        let body = self
            .server
            .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
            .await
            .body;
        body["accounts"][0]["balance"].as_str().unwrap().to_owned()
    }

    /// The client's expenses as (period start, amount), oldest first.
    async fn expenses(&self, client: &str) -> Vec<(String, String)> {
        let head = self.server.settled().await;
        let body = self
            .server
            .get(&format!(
                "/v1/clients/{client}/expenses?limit=500&min_position={head}"
            ))
            .await
            .body;
        let mut rows: Vec<(String, String)> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["period_start"].as_str().unwrap().to_owned(),
                    e["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        rows.sort();
        rows
    }

    /// The statement as (day of the movement, kind, amount, balance after), with its closing.
    async fn statement(&self, client: &str) -> (Vec<(String, String, String, String)>, String) {
        let head = self.server.settled().await;
        let body = self
            .server
            .get(&format!(
                "/v1/clients/{client}/statement?limit=500&min_position={head}"
            ))
            .await
            .body;
        let items = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["occurred_at"].as_str().unwrap_or_default()[..10].to_owned(),
                    m["kind"].as_str().unwrap().to_owned(),
                    m["amount"].as_str().unwrap().to_owned(),
                    m["balance_after"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        (items, body["closing_balance"].as_str().unwrap().to_owned())
    }
}

fn row(day: &str, kind: &str, amount: &str, after: &str) -> (String, String, String, String) {
    (day.into(), kind.into(), amount.into(), after.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_provider_plays_a_year_by_its_clock_and_the_live_one_is_untouched() {
    // Arrange: the real clock stands at 2027-01-01 09:00. A live provider with a client who paid
    // 100.00 and ordered a VDS; a sandbox provider, its clock at its creation, with a client.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let live = shop.provider("Live Hosting", false).await;
    let live_vds = shop.vds(&live).await;
    let live_client = shop.server.client(&live, "Lena Live").await;
    shop.pay(&live_client, "100.00").await;
    let live_service = shop.order(&live_client, &live_vds).await;
    shop.robot().await;
    let live_before = (
        shop.service(&live_service).await,
        shop.balance(&live_client).await,
        shop.expenses(&live_client).await,
        shop.statement(&live_client).await,
    );
    assert_eq!(
        live_before.0,
        ("active".to_owned(), "2027-02-01".to_owned())
    );
    assert_eq!(live_before.1, "75.00");

    let sandbox = shop.provider("Sandbox Hosting", true).await;
    let clock = shop
        .server
        .get(&format!("/v1/providers/{sandbox}/clock"))
        .await;
    assert_eq!(clock.status, StatusCode::OK, "{clock:?}");
    assert_eq!(clock.body["sandbox"], true);
    assert_eq!(clock.body["now"], "2027-01-01T09:00:00Z");
    let tariff = shop.vds(&sandbox).await;

    // Act and assert, month by month: the clock moves to March; the client pays 70.00 and
    // orders a VDS (5.00 set-up + 20.00) on the sandbox's March 1.
    let moved = shop.advance(&sandbox, "2027-03-01").await;
    assert_eq!(moved["from"], "2027-01-01T09:00:00Z");
    assert_eq!(moved["to"], "2027-03-01T00:00:00Z");
    assert_eq!(
        moved["days"].as_array().unwrap().len(),
        60,
        "Jan 1 to Mar 1, both run"
    );
    let client = shop.server.client(&sandbox, "Sam Sandbox").await;
    shop.pay(&client, "70.00").await;
    let service = shop.order(&client, &tariff).await;
    assert_eq!(shop.robot().await, ["activate"]);
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-04-01".into())
    );
    assert_eq!(shop.balance(&client).await, "45.00");

    // Two renewals: April 1 and May 1 (20.00 each).
    let moved = shop.advance(&sandbox, "2027-05-15").await;
    assert_eq!(
        moved["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["charged"].as_u64().unwrap())
            .sum::<u64>(),
        2
    );
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-06-01".into())
    );
    assert_eq!(shop.balance(&client).await, "5.00");

    // June 1: 5.00 cannot pay 20.00: the service is suspended at the end of its paid period.
    shop.advance(&sandbox, "2027-06-03").await;
    assert_eq!(shop.robot().await, ["suspend"]);
    assert_eq!(
        shop.service(&service).await,
        ("suspended".into(), "2027-06-01".into())
    );
    assert_eq!(shop.balance(&client).await, "5.00");

    // The live billing day of the real date never touches the sandbox's suspended service.
    let live_day = shop
        .server
        .post("/v1/billing/runs", json!({"as_of": "2027-01-02"}))
        .await;
    assert_eq!(live_day.status, StatusCode::OK, "{live_day:?}");
    assert_eq!(live_day.body["services"], 0, "{live_day:?}");
    assert!(shop.robot().await.is_empty());

    // A payment of 15.00 on June 5 pays a new period from that day: resumed.
    shop.advance(&sandbox, "2027-06-05").await;
    shop.pay(&client, "15.00").await;
    assert_eq!(shop.robot().await, ["resume"]);
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-07-05".into())
    );
    assert_eq!(shop.balance(&client).await, "0.00");

    // July 5: unpaid, suspended; deleted seven days later (a VDS's delay), not a day before.
    shop.advance(&sandbox, "2027-07-05").await;
    assert_eq!(shop.robot().await, ["suspend"]);
    shop.advance(&sandbox, "2027-07-11").await;
    assert!(shop.robot().await.is_empty());
    assert_eq!(shop.service(&service).await.0, "suspended");
    shop.advance(&sandbox, "2027-07-12").await;
    assert_eq!(shop.robot().await, ["delete"]);
    assert_eq!(shop.service(&service).await.0, "deleted");

    // The rest of the year: nothing more happens to the deleted service.
    let moved = shop.advance(&sandbox, "2027-12-31").await;
    let charged: u64 = moved["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["charged"].as_u64().unwrap())
        .sum();
    assert_eq!(charged, 0);
    assert!(shop.robot().await.is_empty());

    // Every figure: the expenses by period, the statement dated by the sandbox's clock.
    assert_eq!(
        shop.expenses(&client).await,
        [
            ("2027-03-01".into(), "25.00".into()),
            ("2027-04-01".into(), "20.00".into()),
            ("2027-05-01".into(), "20.00".into()),
            ("2027-06-05".into(), "20.00".into()),
        ]
    );
    let (movements, closing) = shop.statement(&client).await;
    assert_eq!(closing, "0.00");
    assert_eq!(
        movements,
        [
            row("2027-03-01", "payment", "70.00", "70.00"),
            row("2027-03-01", "charge", "-25.00", "45.00"),
            row("2027-04-01", "charge", "-20.00", "25.00"),
            row("2027-05-01", "charge", "-20.00", "5.00"),
            row("2027-06-05", "payment", "15.00", "20.00"),
            row("2027-06-05", "charge", "-20.00", "0.00"),
        ]
    );
    assert_eq!(shop.balance(&client).await, "0.00");
    let providers = shop.server.get("/v1/providers").await.body;
    let marked: Vec<(String, bool)> = providers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["sandbox"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        marked,
        [
            ("Live Hosting".into(), false),
            ("Sandbox Hosting".into(), true)
        ]
    );

    // The live provider beside it: not a cent, not a state changed.
    let live_after = (
        shop.service(&live_service).await,
        shop.balance(&live_client).await,
        shop.expenses(&live_client).await,
        shop.statement(&live_client).await,
    );
    assert_eq!(live_after, live_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_service_prolonged_by_hand_is_charged_on_the_sandboxs_day() {
    // Arrange: the real clock at 2027-01-01; a sandbox provider's at 2027-03-10, where its
    // client paid 70.00 and ordered a VDS (5.00 set-up + 20.00).
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let sandbox = shop.provider("Sandbox Hosting", true).await;
    let tariff = shop.vds(&sandbox).await;
    shop.advance(&sandbox, "2027-03-10").await;
    let client = shop.server.client(&sandbox, "Sam Sandbox").await;
    shop.pay(&client, "70.00").await;
    let service = shop.order(&client, &tariff).await;
    shop.robot().await;

    // Act
    let prolonged = shop
        .server
        .post(&format!("/v1/services/{service}/prolong"), json!({}))
        .await;

    // Assert: the next month is charged on the sandbox's March 10, not the real January 1.
    assert_eq!(prolonged.status, StatusCode::OK, "{prolonged:?}");
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-05-10".into())
    );
    let (movements, closing) = shop.statement(&client).await;
    assert_eq!(closing, "25.00");
    assert_eq!(
        movements.last(),
        Some(&row("2027-03-10", "charge", "-20.00", "25.00"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_never_goes_back_and_a_live_provider_has_none_to_move() {
    // Arrange: a sandbox provider moved to March, a live provider.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let sandbox = shop.provider("Sandbox Hosting", true).await;
    let live = shop.provider("Live Hosting", false).await;
    shop.advance(&sandbox, "2027-03-01").await;
    let head = shop.server.settled().await;

    // Act: move it back, move the live one, move an unknown one, send a bad time.
    let back = shop
        .server
        .post(
            &format!("/v1/providers/{sandbox}/clock"),
            json!({"to": "2027-02-01"}),
        )
        .await;
    let on_live = shop
        .server
        .post(
            &format!("/v1/providers/{live}/clock"),
            json!({"to": "2027-03-01"}),
        )
        .await;
    let unknown = shop
        .server
        .post(
            &format!("/v1/providers/{}/clock", Uuid::now_v7()),
            json!({"to": "2027-03-01"}),
        )
        .await;
    let bad = shop
        .server
        .post(
            &format!("/v1/providers/{sandbox}/clock"),
            json!({"to": "March"}),
        )
        .await;

    // Assert: each a problem+json 4xx naming the problem, nothing written.
    for (answer, status, code) in [
        (&back, StatusCode::UNPROCESSABLE_ENTITY, "clock_backwards"),
        (
            &on_live,
            StatusCode::UNPROCESSABLE_ENTITY,
            "provider_not_sandbox",
        ),
        (&unknown, StatusCode::NOT_FOUND, "provider_not_found"),
        (&bad, StatusCode::BAD_REQUEST, "invalid_clock"),
    ] {
        assert_eq!(answer.status, status, "{answer:?}");
        assert_eq!(answer.body["code"], code, "{answer:?}");
        assert_eq!(
            answer
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{answer:?}"
        );
    }
    assert_eq!(shop.server.settled().await, head, "nothing written");
    let clock = shop
        .server
        .get(&format!("/v1/providers/{sandbox}/clock"))
        .await;
    assert_eq!(clock.body["now"], "2027-03-01T00:00:00Z");
    let live_clock = shop
        .server
        .get(&format!("/v1/providers/{live}/clock"))
        .await;
    assert_eq!(live_clock.body["sandbox"], false);
    assert_eq!(live_clock.body["now"], "2027-01-01T09:00:00Z");
}

/// `GET path` answered 200, as JSON.
async fn report(shop: &Shop, path: &str) -> Value {
    let head = shop.server.settled().await;
    let answer = shop
        .server
        .get(&format!("{path}&min_position={head}"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
    answer.body
}

/// The revenue report's monthly rows as (month, provider, charged).
fn revenue_rows(body: &Value) -> Vec<(String, String, String)> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["period_start"].as_str().unwrap().to_owned(),
                r["provider_id"].as_str().unwrap().to_owned(),
                r["charged"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_year_keeps_its_grace_delay_reports_and_invoices_on_its_clock() {
    // Arrange: the real clock at 2027-01-01 09:00; a live provider whose client paid 100.00 and
    // ordered a VDS; the live reports as they stand. Staff give VDS three grace days and a
    // deletion delay of two days over HTTP. A sandbox provider with a company, a prepaid client
    // and a post-paid one (credit limit 100.00).
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let live = shop.provider("Live Hosting", false).await;
    let live_vds = shop.vds(&live).await;
    let live_client = shop.server.client(&live, "Lena Live").await;
    shop.pay(&live_client, "100.00").await;
    shop.order(&live_client, &live_vds).await;
    shop.robot().await;
    let year = "from=2027-01-01&to=2028-01-01&group=month";
    let live_revenue = report(&shop, &format!("/v1/reports/revenue?{year}")).await;
    let live_payments = report(&shop, &format!("/v1/reports/payments?{year}")).await;
    assert_eq!(
        revenue_rows(&live_revenue),
        [("2027-01-01".into(), live.clone(), "25.00".into())]
    );
    let policy = shop
        .server
        .call(
            reqwest::Method::PUT,
            "/v1/item-types/vds",
            Some(json!({"name": "Virtual server", "deletion_delay_days": 2,
                        "suspension": "suspend", "grace_days": 3, "auto_prolong": true})),
        )
        .await;
    assert_eq!(policy.status, StatusCode::OK, "{policy:?}");
    let sandbox = shop.provider("Sandbox Hosting", true).await;
    crate::invoicing::company(&shop.server, &sandbox, "NL", "yearly").await;
    let tariff = shop.vds(&sandbox).await;
    let client = shop.server.client(&sandbox, "Sam Sandbox").await;
    let post_paid = shop.server.client(&sandbox, "Pat Postpaid").await;
    let limit = shop
        .server
        .call(
            reqwest::Method::PUT,
            &format!("/v1/clients/{post_paid}/credit-limit"),
            Some(json!({"amount": "100.00", "currency": "EUR"})),
        )
        .await;
    assert_eq!(limit.status, StatusCode::OK, "{limit:?}");

    // Act and assert: March 1 on the sandbox's clock, the prepaid client pays 45.00 and both
    // order a VDS (5.00 set-up + 20.00).
    shop.advance(&sandbox, "2027-03-01").await;
    shop.pay(&client, "45.00").await;
    let service = shop.order(&client, &tariff).await;
    shop.order(&post_paid, &tariff).await;
    assert_eq!(shop.robot().await, ["activate", "activate"]);
    assert_eq!(shop.balance(&client).await, "20.00");
    assert_eq!(shop.balance(&post_paid).await, "-25.00");

    // April 2: both renewed on April 1. March has ended on the sandbox's clock (not on the real
    // one): its monthly run invoices the post-paid client's March, dated by the clock.
    shop.advance(&sandbox, "2027-04-02").await;
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-05-01".into())
    );
    assert_eq!(shop.balance(&client).await, "0.00");
    assert_eq!(shop.balance(&post_paid).await, "-45.00");
    let run = shop
        .server
        .post("/v1/invoices/monthly", json!({"month": "2027-03"}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    let issued = run.body["issued"].as_array().unwrap();
    assert_eq!(issued.len(), 1, "{run:?}");
    let invoice = shop
        .server
        .get(&format!(
            "/v1/invoices/{}?min_position={}",
            issued[0]["id"].as_str().unwrap(),
            run.body["position"]
        ))
        .await;
    assert_eq!(invoice.body["kind"], "monthly", "{invoice:?}");
    assert_eq!(invoice.body["client_id"], post_paid.as_str(), "{invoice:?}");
    assert_eq!(invoice.body["gross"], "25.00", "{invoice:?}");
    assert_eq!(invoice.body["issued_on"], "2027-04-01", "{invoice:?}");
    let not_ended = shop
        .server
        .post("/v1/invoices/monthly", json!({"month": "2027-04"}))
        .await;
    assert_eq!(
        not_ended.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{not_ended:?}"
    );
    assert_eq!(not_ended.body["code"], "period_not_ended", "{not_ended:?}");

    // May 1: 0.00 cannot pay May. The grace: still active on May 1 to 3, told once it is
    // overdue; suspended on May 4; deleted two days later, not a day before.
    shop.advance(&sandbox, "2027-05-03").await;
    assert!(shop.robot().await.is_empty());
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-05-01".into())
    );
    let overdue: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'Service' AND aggregate_id = $1
            AND event_type = 'NoticeDue' AND payload::text LIKE '%overdue%'",
    )
    .bind(&service)
    .fetch_one(&shop.server.db.pool)
    .await
    .unwrap();
    assert_eq!(overdue, 1, "one overdue notice in the grace");
    shop.advance(&sandbox, "2027-05-04").await;
    assert_eq!(shop.robot().await, ["suspend"]);
    assert_eq!(shop.service(&service).await.0, "suspended");
    shop.advance(&sandbox, "2027-05-05").await;
    assert!(shop.robot().await.is_empty());
    assert_eq!(shop.service(&service).await.0, "suspended");
    shop.advance(&sandbox, "2027-05-06").await;
    assert_eq!(shop.robot().await, ["delete"]);
    assert_eq!(shop.service(&service).await.0, "deleted");
    assert_eq!(
        shop.expenses(&client).await,
        [
            ("2027-03-01".into(), "25.00".into()),
            ("2027-04-01".into(), "20.00".into()),
        ]
    );

    // The reports: the sandbox's year with `sandbox=true`, on its clock's months, and only it;
    // the live reports exactly as before, in JSON and CSV.
    let revenue = report(&shop, &format!("/v1/reports/revenue?{year}&sandbox=true")).await;
    assert_eq!(
        revenue_rows(&revenue),
        [
            ("2027-03-01".into(), sandbox.clone(), "50.00".into()),
            ("2027-04-01".into(), sandbox.clone(), "40.00".into()),
            ("2027-05-01".into(), sandbox.clone(), "20.00".into()),
        ]
    );
    let payments = report(&shop, &format!("/v1/reports/payments?{year}&sandbox=true")).await;
    let payments: Vec<(String, String, i64, String)> = payments["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["period_start"].as_str().unwrap().to_owned(),
                r["provider_id"].as_str().unwrap().to_owned(),
                r["payments_count"].as_i64().unwrap(),
                r["payments_amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        payments,
        [("2027-03-01".into(), sandbox.clone(), 1, "45.00".into())]
    );
    assert_eq!(
        report(&shop, &format!("/v1/reports/revenue?{year}")).await,
        live_revenue
    );
    assert_eq!(
        report(&shop, &format!("/v1/reports/payments?{year}")).await,
        live_payments
    );
    let head = shop.server.settled().await;
    let csv = shop
        .server
        .http
        .get(format!(
            "{}/v1/reports/revenue?{year}&format=csv&sandbox=true&min_position={head}",
            shop.server.url
        ))
        .bearer_auth(tests::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 4, "a header and three months: {text}");
    assert!(text.contains(&sandbox), "{text}");
    assert!(!text.contains(&live), "{text}");
}

/// The value of the hidden field `name` in the form `form` of `html`.
fn form_value(html: &str, form: &str, name: &str) -> String {
    let form = &html[html.find(&format!("<form id=\"{form}\"")).expect(form)..];
    let field = &form[form.find(&format!("name=\"{name}\" value=\"")).expect(name)..];
    field.split('"').nth(3).unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_marks_a_sandbox_client_and_moves_its_providers_clock() {
    // Arrange: a sandbox provider's client and a live provider's, staff signed in to the panel.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let sandbox = shop.provider("Sandbox Hosting", true).await;
    let live = shop.provider("Live Hosting", false).await;
    let client = shop.server.client(&sandbox, "Sam Sandbox").await;
    let live_client = shop.server.client(&live, "Lena Live").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = http
        .post(format!("{}/dashboard/login", shop.server.url))
        .form(&[("email", "admin"), ("password", tests::ADMIN_TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = |path: String| {
        let (http, cookie) = (http.clone(), cookie.clone());
        let url = format!("{}{path}", shop.server.url);
        async move {
            let answer = http.get(url).header("cookie", cookie).send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
            answer.text().await.unwrap()
        }
    };
    let head = shop.server.settled().await;

    // Act: open both clients' pages; move the sandbox's clock to 2027-02-01 by the form.
    let sandbox_page = page(format!("/dashboard/clients/{client}?at={head}")).await;
    let live_page = page(format!("/dashboard/clients/{live_client}?at={head}")).await;
    let moved = http
        .post(format!(
            "{}/dashboard/clients/{client}/clock",
            shop.server.url
        ))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", form_value(&sandbox_page, "clock", "csrf")),
            ("key", form_value(&sandbox_page, "clock", "key")),
            ("to", "2027-02-01".to_owned()),
        ])
        .send()
        .await
        .unwrap();

    // Assert: the badge and the clock on the sandbox's client only; the form moved the clock
    // and came back to the client's page saying so.
    assert!(
        sandbox_page.contains("id=\"sandbox-badge\""),
        "{sandbox_page}"
    );
    assert!(sandbox_page.contains(">sandbox<"), "{sandbox_page}");
    assert!(!live_page.contains("sandbox-badge"), "{live_page}");
    assert!(!live_page.contains("id=\"clock\""), "{live_page}");
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let back = moved.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&format!("/dashboard/clients/{client}?done=clock")),
        "{back}"
    );
    let clock = shop
        .server
        .get(&format!("/v1/providers/{sandbox}/clock"))
        .await;
    assert_eq!(clock.body["now"], "2027-02-01T00:00:00Z");
    let after = page(back).await;
    assert!(after.contains("The clock moved"), "{after}");
}

/// Promises a payment for `client`: answers the status and the body.
async fn promise(shop: &Shop, client: &str) -> (StatusCode, Value) {
    let answer = shop
        .server
        .post(
            &format!("/v1/clients/{client}/promised-payments"),
            json!({}),
        )
        .await;
    shop.server.settled().await;
    (answer.status, answer.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promised_payment_keeps_a_sandbox_service_running_until_it_expires() {
    // Arrange: a live provider with a paid service; a sandbox provider whose client paid 25.00
    // and ordered a VDS (5.00 set-up + 20.00) on its March 1: paid until April 1, nothing left.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let live = shop.provider("Live Hosting", false).await;
    let live_vds = shop.vds(&live).await;
    let live_client = shop.server.client(&live, "Lena Live").await;
    shop.pay(&live_client, "100.00").await;
    let live_service = shop.order(&live_client, &live_vds).await;
    shop.robot().await;
    let live_before = (
        shop.service(&live_service).await,
        shop.balance(&live_client).await,
        shop.expenses(&live_client).await,
        shop.statement(&live_client).await,
    );
    let sandbox = shop.provider("Sandbox Hosting", true).await;
    let tariff = shop.vds(&sandbox).await;
    shop.advance(&sandbox, "2027-03-01").await;
    let client = shop.server.client(&sandbox, "Sam Sandbox").await;
    shop.pay(&client, "25.00").await;
    let service = shop.order(&client, &tariff).await;
    assert_eq!(shop.robot().await, ["activate"]);
    assert_eq!(shop.balance(&client).await, "0.00");

    // Act: on March 30 the client promises to pay; a second promise is refused.
    shop.advance(&sandbox, "2027-03-30").await;
    let (status, promised) = promise(&shop, &client).await;
    assert_eq!(status, StatusCode::CREATED, "{promised}");
    assert_eq!(promised["promised_on"], "2027-03-30");
    assert_eq!(promised["until"], "2027-04-06");
    shop.advance(&sandbox, "2027-03-31").await;
    let (status, refused) = promise(&shop, &client).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "promise_too_soon");

    // Assert: April 1 to 5 the balance pays nothing, and the service keeps running.
    let moved = shop.advance(&sandbox, "2027-04-05").await;
    let suspensions: u64 = moved["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["suspensions"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(suspensions, 0, "{moved}");
    assert!(shop.robot().await.is_empty());
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-04-01".into())
    );
    assert_eq!(shop.balance(&client).await, "0.00");

    // The promise ends on April 6, unpaid: the service is suspended that day.
    shop.advance(&sandbox, "2027-04-06").await;
    assert_eq!(shop.robot().await, ["suspend"]);
    assert_eq!(
        shop.service(&service).await,
        ("suspended".into(), "2027-04-01".into())
    );

    // A payment of 20.00 on April 8 pays a new period from that day: resumed.
    shop.advance(&sandbox, "2027-04-08").await;
    shop.pay(&client, "20.00").await;
    assert_eq!(shop.robot().await, ["resume"]);
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-05-08".into())
    );
    assert_eq!(shop.balance(&client).await, "0.00");

    // Every figure: the promise moved no money.
    assert_eq!(
        shop.expenses(&client).await,
        [
            ("2027-03-01".into(), "25.00".into()),
            ("2027-04-08".into(), "20.00".into()),
        ]
    );
    let (movements, closing) = shop.statement(&client).await;
    assert_eq!(closing, "0.00");
    assert_eq!(
        movements,
        [
            row("2027-03-01", "payment", "25.00", "25.00"),
            row("2027-03-01", "charge", "-25.00", "0.00"),
            row("2027-04-08", "payment", "20.00", "20.00"),
            row("2027-04-08", "charge", "-20.00", "0.00"),
        ]
    );

    // The live provider beside it: untouched.
    let live_after = (
        shop.service(&live_service).await,
        shop.balance(&live_client).await,
        shop.expenses(&live_client).await,
        shop.statement(&live_client).await,
    );
    assert_eq!(live_after, live_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_is_free_once_per_client_and_tariff_then_charged_on_its_billing_day() {
    // Arrange: a sandbox provider's VDS (5.00 set-up + 20.00 a month) with a 14-day trial.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let sandbox = shop.provider("Sandbox Hosting", true).await;
    let tariff = shop.vds(&sandbox).await;
    let bad = shop
        .server
        .call(
            reqwest::Method::PUT,
            &format!("/v1/tariffs/{tariff}/trial"),
            Some(json!({"trial": {"days": 0}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    assert_eq!(bad.body["code"], "invalid_trial");
    let set = shop
        .server
        .call(
            reqwest::Method::PUT,
            &format!("/v1/tariffs/{tariff}/trial"),
            Some(json!({"trial": {"days": 14}})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    shop.advance(&sandbox, "2027-03-01").await;
    let client = shop.server.client(&sandbox, "Tom Trial").await;
    shop.pay(&client, "45.00").await;

    // Act: the first order starts its trial; a second order of the same tariff is charged.
    let first = shop.order(&client, &tariff).await;
    let second = shop.order(&client, &tariff).await;
    assert_eq!(shop.robot().await, ["activate", "activate"]);

    // Assert: the trial is free to March 15; the second paid its set-up fee and month.
    assert_eq!(
        shop.service(&first).await,
        ("active".into(), "2027-03-15".into())
    );
    assert_eq!(
        shop.service(&second).await,
        ("active".into(), "2027-04-01".into())
    );
    assert_eq!(shop.balance(&client).await, "20.00");

    // A change to a dearer tariff within the trial is refused, writing nothing: prorated over
    // the trial's days it would have sold two weeks of 100.00 a month for about the price of one.
    let dearer = shop
        .created(
            "/v1/tariffs",
            json!({"provider_id": sandbox, "name": "VDS XL", "item_type": "vds",
                   "prices": [{"period": "P1M", "price": {"amount": "100.00", "currency": "EUR"}}]}),
        )
        .await;
    shop.advance(&sandbox, "2027-03-02").await;
    let events = shop.server.event_count().await;
    let changed = shop
        .server
        .post(
            &format!("/v1/services/{first}/change-tariff"),
            json!({"tariff_id": dearer["id"]}),
        )
        .await;
    assert_eq!(
        changed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{changed:?}"
    );
    assert_eq!(
        changed.body["code"], "tariff_change_not_allowed",
        "{changed:?}"
    );
    assert_eq!(shop.server.event_count().await, events);
    assert_eq!(shop.balance(&client).await, "20.00");

    // On March 15 the trial ends and the billing day charges its first month (no set-up fee).
    shop.advance(&sandbox, "2027-03-15").await;
    assert_eq!(
        shop.service(&first).await,
        ("active".into(), "2027-04-15".into())
    );
    assert_eq!(shop.balance(&client).await, "0.00");
    assert_eq!(
        shop.expenses(&client).await,
        [
            ("2027-03-01".into(), "0.00".into()),
            ("2027-03-01".into(), "25.00".into()),
            ("2027-03-15".into(), "20.00".into()),
        ]
    );
    let head = shop.server.settled().await;
    let expenses = shop
        .server
        .get(&format!(
            "/v1/clients/{client}/expenses?limit=500&min_position={head}"
        ))
        .await
        .body;
    let trial_lines: Vec<&Value> = expenses["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["description"]
                .as_str()
                .unwrap_or("")
                .starts_with("Trial: ")
        })
        .collect();
    assert_eq!(trial_lines.len(), 1, "{expenses}");
    assert_eq!(trial_lines[0]["amount"], "0.00");
    assert_eq!(trial_lines[0]["period_end"], "2027-03-15");
    let (_, closing) = shop.statement(&client).await;
    assert_eq!(closing, "0.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promise_resumes_a_service_suspended_for_non_payment_until_it_ends() {
    // Arrange: a sandbox provider whose client paid 25.00 and ordered a VDS (5.00 set-up +
    // 20.00) on its March 1: paid until April 1, nothing left. On April 1 nothing pays April:
    // suspended.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let sandbox = shop.provider("Sandbox Hosting", true).await;
    let tariff = shop.vds(&sandbox).await;
    shop.advance(&sandbox, "2027-03-01").await;
    let client = shop.server.client(&sandbox, "Sam Sandbox").await;
    shop.pay(&client, "25.00").await;
    let service = shop.order(&client, &tariff).await;
    assert_eq!(shop.robot().await, ["activate"]);
    shop.advance(&sandbox, "2027-04-01").await;
    assert_eq!(shop.robot().await, ["suspend"]);
    assert_eq!(
        shop.service(&service).await,
        ("suspended".into(), "2027-04-01".into())
    );

    // Act: on April 3 the client promises to pay (until April 10).
    shop.advance(&sandbox, "2027-04-03").await;
    let (status, promised) = promise(&shop, &client).await;
    assert_eq!(status, StatusCode::CREATED, "{promised}");
    assert_eq!(promised["until"], "2027-04-10");

    // Assert: the service is resumed, unpaid, and the promise moved no money.
    assert_eq!(shop.robot().await, ["resume"]);
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-04-01".into())
    );
    assert_eq!(shop.balance(&client).await, "0.00");
    assert_eq!(
        shop.expenses(&client).await,
        [("2027-03-01".into(), "25.00".into())]
    );
    let (movements, closing) = shop.statement(&client).await;
    assert_eq!(closing, "0.00");
    assert_eq!(
        movements,
        [
            row("2027-03-01", "payment", "25.00", "25.00"),
            row("2027-03-01", "charge", "-25.00", "0.00"),
        ]
    );

    // It keeps running to April 9; the promise ends on April 10 unpaid: suspended again.
    shop.advance(&sandbox, "2027-04-09").await;
    assert!(shop.robot().await.is_empty());
    assert_eq!(shop.service(&service).await.0, "active");
    shop.advance(&sandbox, "2027-04-10").await;
    assert_eq!(shop.robot().await, ["suspend"]);
    assert_eq!(
        shop.service(&service).await,
        ("suspended".into(), "2027-04-01".into())
    );

    // A payment of 20.00 on April 12 pays a month from that day: resumed.
    shop.advance(&sandbox, "2027-04-12").await;
    shop.pay(&client, "20.00").await;
    assert_eq!(shop.robot().await, ["resume"]);
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-05-12".into())
    );

    // Every figure agrees: balance, expenses, statement and the revenue report.
    assert_eq!(shop.balance(&client).await, "0.00");
    assert_eq!(
        shop.expenses(&client).await,
        [
            ("2027-03-01".into(), "25.00".into()),
            ("2027-04-12".into(), "20.00".into()),
        ]
    );
    let (movements, closing) = shop.statement(&client).await;
    assert_eq!(closing, "0.00");
    assert_eq!(
        movements,
        [
            row("2027-03-01", "payment", "25.00", "25.00"),
            row("2027-03-01", "charge", "-25.00", "0.00"),
            row("2027-04-12", "payment", "20.00", "20.00"),
            row("2027-04-12", "charge", "-20.00", "0.00"),
        ]
    );
    let year = "from=2027-01-01&to=2028-01-01&group=month";
    let revenue = report(&shop, &format!("/v1/reports/revenue?{year}&sandbox=true")).await;
    assert_eq!(
        revenue_rows(&revenue),
        [
            ("2027-03-01".into(), sandbox.clone(), "25.00".into()),
            ("2027-04-01".into(), sandbox.clone(), "20.00".into()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_time_promo_code_ordered_with_a_trial_discounts_the_first_paid_month_once() {
    // Arrange: a sandbox VDS (5.00 set-up + 20.00 a month) with a 14-day trial, and a one-time
    // code taking 25 % off; the client has 40.00.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let sandbox = shop.provider("Sandbox Hosting", true).await;
    let tariff = shop.vds(&sandbox).await;
    let set = shop
        .server
        .call(
            reqwest::Method::PUT,
            &format!("/v1/tariffs/{tariff}/trial"),
            Some(json!({"trial": {"days": 14}})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    let promo = shop
        .created(
            "/v1/promo-codes",
            json!({"provider_id": sandbox, "code": "QUARTER",
                   "discount": {"kind": "percent", "percent": "25"}}),
        )
        .await;
    let promo = promo["id"].as_str().unwrap().to_owned();
    shop.advance(&sandbox, "2027-03-01").await;
    let client = shop.server.client(&sandbox, "Tom Trial").await;
    shop.pay(&client, "40.00").await;

    // Act: order the trial with the code; live through the trial and two paid months.
    let service = shop
        .created(
            &format!("/v1/clients/{client}/services"),
            json!({"tariff_id": tariff, "period": "P1M", "addons": [], "promo_code": "QUARTER"}),
        )
        .await;
    shop.server.settled().await;
    let service = service["id"].as_str().unwrap().to_owned();
    assert_eq!(shop.robot().await, ["activate"]);
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-03-15".into())
    );
    assert_eq!(shop.balance(&client).await, "40.00");
    shop.advance(&sandbox, "2027-03-15").await;
    shop.advance(&sandbox, "2027-04-15").await;

    // Assert: the trial is free, the first paid month is 15.00 (25 % off), the next 20.00; the
    // code was used once.
    assert_eq!(
        shop.service(&service).await,
        ("active".into(), "2027-05-15".into())
    );
    assert_eq!(
        shop.expenses(&client).await,
        [
            ("2027-03-01".into(), "0.00".into()),
            ("2027-03-15".into(), "15.00".into()),
            ("2027-04-15".into(), "20.00".into()),
        ]
    );
    assert_eq!(shop.balance(&client).await, "5.00");
    let head = shop.server.settled().await;
    let expenses = shop
        .server
        .get(&format!(
            "/v1/clients/{client}/expenses?limit=500&min_position={head}"
        ))
        .await
        .body;
    let coded: Vec<&Value> = expenses["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["promo_code"] == "QUARTER")
        .collect();
    assert_eq!(coded.len(), 1, "{expenses}");
    assert_eq!(coded[0]["period_start"], "2027-03-15");
    assert_eq!(coded[0]["discount"], "5.00");
    let view = shop
        .server
        .get(&format!("/v1/promo-codes/{promo}?min_position={head}"))
        .await
        .body;
    assert_eq!(view["uses"], 1, "{view}");
    let (_, closing) = shop.statement(&client).await;
    assert_eq!(closing, "5.00");
    let year = "from=2027-01-01&to=2028-01-01&group=month";
    let revenue = report(&shop, &format!("/v1/reports/revenue?{year}&sandbox=true")).await;
    assert_eq!(
        revenue_rows(&revenue),
        [
            ("2027-03-01".into(), sandbox.clone(), "15.00".into()),
            ("2027-04-01".into(), sandbox.clone(), "20.00".into()),
        ]
    );
}
