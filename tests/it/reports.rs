//! Reports over HTTP with a fixed clock: their totals equal sums over the expenses and payments
//! read models to the cent, CSV says what JSON says, a rebuild gives the same tables, and bad
//! parameters are problems.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, READ_MODELS, TestServer, table_digest};
use uuid::Uuid;

/// The reports projection's tables, as the harness compares read models.
fn report_tables() -> impl Iterator<Item = (&'static str, &'static str)> {
    READ_MODELS
        .into_iter()
        .filter(|(table, _)| table.starts_with("report_"))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

struct Scene {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
}

impl Scene {
    fn set_day(&self, date: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("a time")));
    }

    async fn quiet(&self) -> i64 {
        self.server.settled().await
    }

    async fn tariff(
        &self,
        provider: &str,
        name: &str,
        item_type: &str,
        period: &str,
        price: &str,
        currency: &str,
    ) -> String {
        let answer = self
            .server
            .post(
                "/v1/tariffs",
                json!({"provider_id": provider, "name": name, "item_type": item_type,
                       "prices": [{"period": period, "price": {"amount": price, "currency": currency}}]}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().unwrap().to_owned()
    }

    async fn pay(&self, client: &str, amount: &str, currency: &str, method: &str) -> String {
        let id = Uuid::now_v7().to_string();
        let answer = self
            .server
            .post(
                &format!("/v1/clients/{client}/payments"),
                json!({"payment_id": id, "amount": amount, "currency": currency, "method": method}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        self.quiet().await;
        id
    }

    async fn order(&self, client: &str, tariff: &str, period: &str) -> String {
        let answer = self
            .server
            .post(
                &format!("/v1/clients/{client}/services"),
                json!({"tariff_id": tariff, "period": period}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        self.quiet().await;
        answer.body["id"].as_str().unwrap().to_owned()
    }

    /// The provisioning robot: completes every pending operation.
    async fn robot(&self) {
        let head = self.quiet().await;
        let pending = self
            .server
            .get(&format!(
                "/v1/operations?status=pending&limit=500&min_position={head}"
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
        self.quiet().await;
    }

    async fn report(&self, path: &str) -> Vec<Value> {
        let answer = self.server.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
        answer.body["items"].as_array().cloned().unwrap()
    }

    async fn csv(&self, path: &str, by_header: bool) -> (String, String) {
        let mut request = self
            .server
            .http
            .get(format!("{}{path}", self.server.url))
            .bearer_auth(ADMIN_TOKEN);
        if by_header {
            request = request.header("accept", "text/csv");
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        (content_type, response.text().await.unwrap())
    }
}

/// A small RFC 4180 reader: fields split on commas, quoted fields with doubled quotes, CRLF lines.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CRLF line ends");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the last line ends with CRLF"
    );
    rows
}

/// Sums of `amount` fields of report rows, keyed by `key` fields.
fn sums(rows: &[Value], key: &[&str], amount: &str) -> BTreeMap<String, Decimal> {
    let mut out = BTreeMap::new();
    for row in rows {
        let k = key
            .iter()
            .map(|f| match &row[*f] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("|");
        *out.entry(k).or_insert(Decimal::ZERO) += dec(row[amount].as_str().unwrap());
    }
    out.retain(|_, v| !v.is_zero());
    out
}

/// Rows of `(key, amount)` from SQL, as a map with the amounts normalised.
async fn expected(pool: &sqlx::PgPool, sql: &str) -> BTreeMap<String, Decimal> {
    let rows: Vec<(String, Decimal)> = sqlx::query_as(sql).fetch_all(pool).await.unwrap();
    rows.into_iter()
        .filter(|(_, v)| !v.is_zero())
        .map(|(k, v)| (k, v.normalize()))
        .collect()
}

fn normalised(map: BTreeMap<String, Decimal>) -> BTreeMap<String, Decimal> {
    map.into_iter().map(|(k, v)| (k, v.normalize())).collect()
}

/// Two providers (EUR and USD), six tariffs of five item types, services ordered, a tariff
/// change, a correction, payments by four methods, a refund, a reversal, a debtor, a deleted
/// client and a billing day.
async fn scene() -> (Scene, String, String, String) {
    let (server, clock) = TestServer::start_fixed().await;
    let scene = Scene { server, clock };
    scene.set_day(day(2027, 1, 1));
    let a = scene.server.provider("EUR").await;
    let b = scene.server.provider("USD").await;
    let vds_m = scene
        .tariff(&a, "VDS M", "vds", "P1M", "20.00", "EUR")
        .await;
    let vds_l = scene
        .tariff(&a, "VDS L", "vds", "P1M", "49.99", "EUR")
        .await;
    let hosting = scene
        .tariff(&a, "Hosting", "shared_hosting", "P3M", "10.00", "EUR")
        .await;
    let domain = scene
        .tariff(&a, "Domain", "domain", "P12M", "12.00", "EUR")
        .await;
    let dns = scene
        .tariff(&b, "DNS", "dns_hosting", "P1M", "7.00", "USD")
        .await;
    let ssl = scene
        .tariff(&b, "SSL", "ssl_certificate", "P12M", "50.00", "USD")
        .await;

    let olga = scene.server.client(&a, "Olga Berg").await;
    let ivan = scene.server.client(&a, "Ivan Debt").await;
    let mia = scene.server.client(&b, "Mia Stone").await;
    let leo = scene.server.client(&b, "Leo Refund").await;
    let zoe = scene.server.client(&b, "Zoe Fraud").await;
    let gone = scene.server.client(&b, "Gone Soon").await;
    scene.pay(&olga, "200.00", "EUR", "bank_transfer").await;
    let limit = scene
        .server
        .call(
            Method::PUT,
            &format!("/v1/clients/{ivan}/credit-limit"),
            Some(json!({"amount": "20.00", "currency": "EUR"})),
        )
        .await;
    assert_eq!(limit.status, StatusCode::OK, "{limit:?}");
    scene.pay(&ivan, "10.00", "EUR", "card").await;
    scene.pay(&mia, "150.00", "USD", "card").await;
    let leo_paid = scene.pay(&leo, "40.00", "USD", "cash").await;
    let zoe_paid = scene.pay(&zoe, "25.00", "USD", "card").await;

    let olga_vds = scene.order(&olga, &vds_m, "P1M").await;
    scene.order(&olga, &hosting, "P3M").await;
    let olga_domain = scene.order(&olga, &domain, "P12M").await;
    scene.order(&ivan, &vds_m, "P1M").await;
    scene.order(&mia, &dns, "P1M").await;
    scene.order(&mia, &ssl, "P12M").await;
    scene.robot().await;

    // Jan 10: a correction of the domain's charge, a refund and a fraud mark.
    scene.set_day(day(2027, 1, 10));
    let domain_charge: Uuid =
        sqlx::query_scalar("SELECT expense_id FROM expenses WHERE service_id = $1::uuid")
            .bind(&olga_domain)
            .fetch_one(&scene.server.db.pool)
            .await
            .unwrap();
    let corrected = scene
        .server
        .post(
            &format!("/v1/expenses/{domain_charge}/corrections"),
            json!({"correction_id": Uuid::now_v7(), "amount": "2.00", "reason": "goodwill"}),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::CREATED, "{corrected:?}");
    let refunded = scene
        .server
        .post(
            &format!("/v1/payments/{leo_paid}/refunds"),
            json!({"refund_id": Uuid::now_v7(), "amount": "15.00", "reason": "asked back"}),
        )
        .await;
    assert!(refunded.status.is_success(), "{refunded:?}");
    let fraud = scene
        .server
        .post(
            &format!("/v1/payments/{zoe_paid}/fraud"),
            json!({"reason": "stolen card"}),
        )
        .await;
    assert!(fraud.status.is_success(), "{fraud:?}");
    scene.quiet().await;

    // Jan 20: Olga moves her VDS to the bigger tariff.
    scene.set_day(day(2027, 1, 20));
    let changed = scene
        .server
        .post(
            &format!("/v1/services/{olga_vds}/change-tariff"),
            json!({"tariff_id": vds_l}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    scene.quiet().await;

    // Feb 1: the billing day; Ivan cannot pay and stays a debtor. Feb 15: a client is deleted.
    scene.set_day(day(2027, 2, 1));
    let run = scene
        .server
        .post("/v1/billing/runs", json!({"as_of": day(2027, 2, 1)}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    scene.robot().await;
    scene.set_day(day(2027, 2, 15));
    let deleted = scene
        .server
        .call(
            Method::DELETE,
            &format!("/v1/clients/{gone}?reason=closed%20the%20account"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{deleted:?}");
    scene.quiet().await;
    (scene, a, b, vds_l)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_totals_equal_sums_over_the_expenses_and_payments_read_models() {
    // Arrange
    let (scene, a, b, vds_l) = scene().await;
    let pool = &scene.server.db.pool;
    let range = "from=2027-01-01&to=2027-03-01";

    // Act
    let monthly = scene
        .report(&format!("/v1/reports/revenue?group=month&{range}"))
        .await;
    let daily = scene
        .report(&format!("/v1/reports/revenue?group=day&{range}"))
        .await;
    let payments = scene
        .report(&format!("/v1/reports/payments?group=month&{range}"))
        .await;
    let payments_daily = scene
        .report(&format!("/v1/reports/payments?group=day&{range}"))
        .await;

    // Assert: revenue per month, provider and currency is what the expenses read model holds
    // (charges less credits, less what corrections returned: all in the month of the charge).
    let want = expected(
        pool,
        "SELECT to_char(date_trunc('month', e.occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')
                || '|' || b.provider_id || '|' || e.currency,
                sum(e.amount) - sum(e.returned)
           FROM expenses e JOIN balances b ON b.account_id = e.account_id
          GROUP BY 1",
    )
    .await;
    assert!(!want.is_empty());
    assert_eq!(
        normalised(sums(
            &monthly,
            &["period_start", "provider_id", "currency"],
            "revenue"
        )),
        want
    );
    // Per item type (the tariff change stays within `vds`).
    let want = expected(
        pool,
        "SELECT b.provider_id || '|' || s.item_type || '|' || e.currency,
                sum(e.amount) - sum(e.returned)
           FROM expenses e JOIN balances b ON b.account_id = e.account_id
           JOIN services s ON s.id = e.service_id
          GROUP BY 1",
    )
    .await;
    assert_eq!(
        normalised(sums(
            &monthly,
            &["provider_id", "item_type", "currency"],
            "revenue"
        )),
        want
    );
    // Charges and credits per day.
    for (field, kind) in [("charged", "charge"), ("credited", "credit")] {
        let want = expected(
            pool,
            &format!(
                "SELECT to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '|' || e.currency,
                        abs(sum(e.amount))
                   FROM expenses e WHERE e.kind = '{kind}' GROUP BY 1"
            ),
        )
        .await;
        assert_eq!(
            normalised(sums(&daily, &["period_start", "currency"], field)),
            want,
            "{field}"
        );
    }
    // Corrections, on their own day.
    let corrected = sums(&daily, &["period_start", "item_type"], "corrected");
    assert_eq!(
        normalised(corrected),
        BTreeMap::from([("2027-01-10|domain".to_owned(), dec("2"))])
    );
    // The tariff change: the credit under VDS M, the new charge under VDS L.
    let change_charge: Decimal = sqlx::query_scalar(
        "SELECT amount FROM expenses
          WHERE kind = 'charge' AND (occurred_at AT TIME ZONE 'UTC')::date = '2027-01-20'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let l_row = daily
        .iter()
        .find(|r| r["tariff_id"] == vds_l.as_str() && r["period_start"] == "2027-01-20")
        .expect("a VDS L row on the day of the change");
    assert_eq!(dec(l_row["charged"].as_str().unwrap()), change_charge);
    // Recognised revenue, once every period of the scene has ended (the yearly ones end in
    // January 2028), adds up to the cash revenue per provider, tariff, item type and currency,
    // the tariff change and the correction included; and nothing is left deferred.
    let recognised = scene
        .report("/v1/reports/revenue?basis=recognised&group=month&from=2027-01-01&to=2028-03-01")
        .await;
    let key = ["provider_id", "tariff_id", "item_type", "currency"];
    assert_eq!(
        sums(&recognised, &key, "revenue"),
        sums(&monthly, &key, "revenue")
    );
    assert!(
        scene
            .report("/v1/reports/deferred-revenue?as_of=2028-02-29")
            .await
            .is_empty()
    );
    // Money is at the currency's scale.
    assert!(monthly.iter().all(|r| {
        r["revenue"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap()
            .len()
            == 2
    }));

    // Payments per provider, method and account currency: what the payments read model credited
    // and refunded; reversals as the statement took them back.
    let want = expected(
        pool,
        "SELECT provider_id || '|' || method || '|' || account_currency, sum(credited)
           FROM payments WHERE credited IS NOT NULL GROUP BY 1",
    )
    .await;
    assert_eq!(
        normalised(sums(
            &payments,
            &["provider_id", "method", "currency"],
            "payments_amount"
        )),
        want
    );
    let want = expected(
        pool,
        "SELECT provider_id || '|' || method || '|' || account_currency, sum(refunded)
           FROM payments GROUP BY 1",
    )
    .await;
    assert_eq!(
        normalised(sums(
            &payments,
            &["provider_id", "method", "currency"],
            "refunds_amount"
        )),
        want
    );
    assert_eq!(want.len(), 1, "one refund: {want:?}");
    let want = expected(
        pool,
        "SELECT p.method || '|' || p.account_currency, -sum(m.amount)
           FROM account_movements m JOIN payments p ON p.payment_id = m.reference
          WHERE m.kind = 'reversal' GROUP BY 1",
    )
    .await;
    assert_eq!(
        normalised(sums(&payments, &["method", "currency"], "reversals_amount")),
        want
    );
    assert_eq!(want.len(), 1, "one reversal: {want:?}");
    let counted: i64 = payments
        .iter()
        .map(|r| r["payments_count"].as_i64().unwrap())
        .sum();
    let want: i64 = sqlx::query_scalar("SELECT count(*) FROM payments WHERE credited IS NOT NULL")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(counted, want);
    assert_eq!(
        sums(&payments_daily, &["currency"], "net_amount"),
        sums(&payments, &["currency"], "net_amount")
    );

    // Debtors: Ivan, 10.00 below zero since the order on Jan 1, 45 days before Feb 15.
    let debtors = scene.report("/v1/reports/debtors").await;
    assert_eq!(debtors.len(), 1, "{debtors:?}");
    assert_eq!(debtors[0]["provider_id"], a.as_str());
    let balance: Decimal = sqlx::query_scalar("SELECT balance FROM balances WHERE balance < 0")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(dec(debtors[0]["balance"].as_str().unwrap()), balance);
    assert_eq!(debtors[0]["owed"], "10.00");
    assert_eq!(debtors[0]["days_overdue"], 45);

    // Services by tariff and status, and MRR, as the services read model has them.
    let services = scene.report("/v1/reports/services").await;
    let mut counted = BTreeMap::new();
    for row in &services {
        counted.insert(
            format!(
                "{}|{}",
                row["tariff_id"].as_str().unwrap(),
                row["status"].as_str().unwrap()
            ),
            row["services"].as_i64().unwrap(),
        );
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT tariff_id || '|' || status, count(*) FROM services GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(counted, rows.into_iter().collect::<BTreeMap<_, _>>());
    let mrr = scene.report("/v1/reports/mrr").await;
    let want = expected(
        pool,
        "SELECT provider_id || '|' || currency,
                sum(round(CASE period WHEN 'P1D' THEN price_per_period * 30
                                      WHEN 'P1M' THEN price_per_period
                                      WHEN 'P3M' THEN price_per_period / 3
                                      WHEN 'P6M' THEN price_per_period / 6
                                      ELSE price_per_period / 12 END, 2))
           FROM services WHERE status = 'active' GROUP BY 1",
    )
    .await;
    assert_eq!(
        normalised(sums(&mrr, &["provider_id", "currency"], "mrr")),
        want
    );
    // Olga's VDS L 49.99 + hosting 10.00 / 3 = 3.33 + domain 12.00 / 12 = 1.00.
    let a_mrr = mrr.iter().find(|r| r["provider_id"] == a.as_str()).unwrap();
    assert_eq!(a_mrr["mrr"], "54.32");

    // Clients: registrations and deletions per month as the clients read model has them; in
    // January Olga and Ivan (A) and Mia (B) had active services.
    let clients = scene.report(&format!("/v1/reports/clients?{range}")).await;
    let want = expected(
        pool,
        "SELECT to_char(date_trunc('month', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')
                || '|' || provider_id, count(*)::numeric
           FROM clients GROUP BY 1",
    )
    .await;
    let mut new = BTreeMap::new();
    for row in &clients {
        let n = row["new_clients"].as_i64().unwrap();
        if n != 0 {
            new.insert(
                format!(
                    "{}|{}",
                    row["month"].as_str().unwrap(),
                    row["provider_id"].as_str().unwrap()
                ),
                Decimal::from(n),
            );
        }
    }
    assert_eq!(new, want);
    let row = |month: &str, provider: &str| {
        clients
            .iter()
            .find(|r| r["month"] == month && r["provider_id"] == provider)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("2027-01-01", &a)["active_clients"], 2);
    assert_eq!(row("2027-02-01", &b)["lost_clients"], 1);
    assert_eq!(row("2027-01-01", &b)["active_clients"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_says_what_json_says_and_a_rebuild_gives_identical_report_tables() {
    // Arrange
    let (mut scene, _a, _b, _) = scene().await;
    let range = "from=2027-01-01&to=2027-03-01";
    let paths = [
        format!("/v1/reports/revenue?group=day&{range}"),
        format!("/v1/reports/revenue?group=month&{range}"),
        format!("/v1/reports/revenue?basis=recognised&group=day&{range}"),
        "/v1/reports/deferred-revenue?as_of=2027-02-15".to_owned(),
        format!("/v1/reports/payments?group=day&{range}"),
        format!("/v1/reports/payments?{range}"),
        "/v1/reports/debtors".to_owned(),
        format!("/v1/reports/clients?{range}"),
        "/v1/reports/services".to_owned(),
        "/v1/reports/mrr".to_owned(),
    ];

    // Act and assert: each report as CSV (by `format` and by `Accept`) has the JSON's rows.
    for path in &paths {
        let json_rows = scene.report(path).await;
        assert!(!json_rows.is_empty(), "{path}");
        let joiner = if path.contains('?') { '&' } else { '?' };
        let (content_type, by_format) =
            scene.csv(&format!("{path}{joiner}format=csv"), false).await;
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let (_, by_accept) = scene.csv(path, true).await;
        assert_eq!(by_format, by_accept, "{path}");
        let csv_rows = parse_csv(&by_format);
        let header = &csv_rows[0];
        assert_eq!(csv_rows.len() - 1, json_rows.len(), "{path}");
        for (cells, json_row) in csv_rows[1..].iter().zip(&json_rows) {
            let object = json_row.as_object().unwrap();
            let mut fields: Vec<&String> = header.iter().collect();
            fields.sort();
            assert_eq!(
                fields,
                object.keys().collect::<Vec<_>>(),
                "{path}: the same fields"
            );
            for (name, cell) in header.iter().zip(cells) {
                let want = match &object[name] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                assert_eq!(cell, &want, "{path}: {name}");
            }
        }
    }

    // Arrange: the tables as the running worker built them, batch by batch.
    scene.server.stop().await;
    let pool = &scene.server.db.pool;
    let mut before = Vec::new();
    for (table, order) in report_tables() {
        before.push(table_digest(pool, table, order).await);
    }

    // Act: empty the reports and rebuild them from the log in one-event and in large batches.
    let reports = projections::by_name("reports").unwrap();
    for batch in [1, 1000] {
        projections::engine::reset(pool, reports.as_ref())
            .await
            .unwrap();
        projections::engine::catch_up(pool, reports.as_ref(), batch)
            .await
            .unwrap();
        let mut after = Vec::new();
        for (table, order) in report_tables() {
            after.push(table_digest(pool, table, order).await);
        }

        // Assert
        assert_eq!(after, before, "rebuilt in batches of {batch}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_report_parameters_are_problems() {
    // Arrange
    let (server, _clock) = TestServer::start_fixed().await;
    let cases = [
        "/v1/reports/revenue?group=week",
        "/v1/reports/revenue?group=month&from=2027-01-15",
        "/v1/reports/revenue?group=day&from=2027-02-01&to=2027-01-01",
        "/v1/reports/revenue?from=2027-02-30",
        "/v1/reports/revenue?group=day&from=1990-01-01&to=2027-01-01",
        "/v1/reports/revenue?currency=EURO",
        "/v1/reports/revenue?provider_id=not-a-uuid",
        "/v1/reports/revenue?format=xml",
        "/v1/reports/payments?group=year",
        "/v1/reports/payments?currency=eur",
        "/v1/reports/debtors?currency=XXXX",
        "/v1/reports/debtors?min_position=-1",
        "/v1/reports/clients?from=2027-01-02",
        "/v1/reports/services?status=sleeping",
        "/v1/reports/mrr?provider_id=42",
        "/v1/reports/mrr?format=pdf",
        "/v1/reports/revenue?basis=accrual",
        "/v1/reports/deferred-revenue?as_of=2026-02-30",
        "/v1/reports/deferred-revenue?currency=eur",
    ];

    for path in cases {
        // Act
        let answer = server.get(path).await;

        // Assert
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {answer:?}");
        assert_eq!(answer.content_type, "application/problem+json", "{path}");
        assert_eq!(answer.body["status"], 400, "{path}");
        assert!(answer.body["code"].is_string(), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_offers_every_report_as_json_and_csv() {
    // Arrange
    let server = TestServer::start().await;

    // Act
    let spec = server.get("/openapi.json").await;

    // Assert
    for report in [
        "revenue",
        "deferred-revenue",
        "payments",
        "debtors",
        "clients",
        "services",
        "mrr",
    ] {
        let get = &spec.body["paths"][format!("/v1/reports/{report}")]["get"];
        let content = &get["responses"]["200"]["content"];
        assert!(content["application/json"].is_object(), "{report}: {get}");
        assert!(content["text/csv"].is_object(), "{report}: {get}");
        assert!(
            get["responses"]["400"]["content"]["application/problem+json"].is_object(),
            "{report}"
        );
    }
}

/// The sum of `field` over `rows`, as the decimal it is.
fn total(rows: &[Value], field: &str) -> Decimal {
    rows.iter().map(|r| dec(r[field].as_str().unwrap())).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yearly_charge_is_recognised_day_by_day_and_the_rest_is_deferred() {
    // Arrange: a yearly domain of 120.00 charged on 2026-01-01 for [2026-01-01, 2027-01-01),
    // 365 days.
    let (server, clock) = TestServer::start_fixed().await;
    let scene = Scene { server, clock };
    scene.set_day(day(2026, 1, 1));
    let provider = scene.server.provider("EUR").await;
    let domain = scene
        .tariff(&provider, "Domain", "domain", "P12M", "120.00", "EUR")
        .await;
    let client = scene.server.client(&provider, "Year Payer").await;
    scene.pay(&client, "120.00", "EUR", "bank_transfer").await;
    scene.order(&client, &domain, "P12M").await;
    let year = "from=2026-01-01&to=2027-01-01";

    // Act
    let head = scene.quiet().await;
    let cash = scene
        .report(&format!(
            "/v1/reports/revenue?group=month&{year}&min_position={head}"
        ))
        .await;
    let months = scene
        .report(&format!(
            "/v1/reports/revenue?basis=recognised&group=month&{year}"
        ))
        .await;
    let days = scene
        .report(&format!(
            "/v1/reports/revenue?basis=recognised&group=day&{year}"
        ))
        .await;
    let deferred_jan = scene
        .report("/v1/reports/deferred-revenue?as_of=2026-01-31")
        .await;
    let deferred_dec = scene
        .report("/v1/reports/deferred-revenue?as_of=2026-12-31")
        .await;
    let (_, deferred_csv) = scene
        .csv(
            "/v1/reports/deferred-revenue?as_of=2026-01-31&format=csv",
            false,
        )
        .await;

    // Assert: the cash view counts all 120.00 on the day of the charge.
    assert_eq!(cash.len(), 1, "{cash:?}");
    assert_eq!(cash[0]["period_start"], "2026-01-01");
    assert_eq!(cash[0]["revenue"], "120.00");
    // Recognised: by the end of day k, 120.00 × k ÷ 365 rounded down to the cent.
    // January: 120.00 × 31 ÷ 365 = 10.1917… → 10.19.
    assert_eq!(months.len(), 12, "{months:?}");
    assert_eq!(months[0]["period_start"], "2026-01-01");
    assert_eq!(months[0]["item_type"], "domain");
    assert_eq!(months[0]["charged"], "10.19");
    assert_eq!(months[0]["revenue"], "10.19");
    // February: 120.00 × 59 ÷ 365 = 19.397… → 19.39, less January's 10.19 = 9.20.
    assert_eq!(months[1]["revenue"], "9.20");
    // December: 120.00 × 365 ÷ 365 = 120.00, less 120.00 × 334 ÷ 365 = 109.808… → 109.80,
    // = 10.20.
    assert_eq!(months[11]["revenue"], "10.20");
    // The year recognises the charge to the cent, by month and by day (365 days of 0.32 or 0.33).
    assert_eq!(total(&months, "revenue"), dec("120.00"));
    assert_eq!(days.len(), 365);
    assert_eq!(total(&days, "revenue"), dec("120.00"));
    assert!(
        days.iter()
            .all(|d| d["revenue"] == "0.32" || d["revenue"] == "0.33")
    );
    // Deferred at the end of January: 120.00 charged − 10.19 recognised = 109.81.
    assert_eq!(deferred_jan.len(), 1, "{deferred_jan:?}");
    assert_eq!(deferred_jan[0]["as_of"], "2026-01-31");
    assert_eq!(deferred_jan[0]["charged"], "120.00");
    assert_eq!(deferred_jan[0]["recognised"], "10.19");
    assert_eq!(deferred_jan[0]["deferred"], "109.81");
    assert_eq!(deferred_jan[0]["tariff_id"], domain.as_str());
    // At the end of the year nothing is deferred any more.
    assert!(deferred_dec.is_empty(), "{deferred_dec:?}");
    let lines = parse_csv(&deferred_csv);
    assert_eq!(
        lines[0],
        [
            "as_of",
            "provider_id",
            "tariff_id",
            "item_type",
            "currency",
            "charged",
            "recognised",
            "deferred"
        ]
    );
    assert_eq!(lines[1][7], "109.81");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_is_recognised_negatively_over_its_charges_period_from_its_own_day() {
    // Arrange: the yearly domain of 120.00 for [2026-01-01, 2027-01-01), then 60.00 of it given
    // back on 2026-07-02, the 183rd day of the period.
    let (server, clock) = TestServer::start_fixed().await;
    let scene = Scene { server, clock };
    scene.set_day(day(2026, 1, 1));
    let provider = scene.server.provider("EUR").await;
    let domain = scene
        .tariff(&provider, "Domain", "domain", "P12M", "120.00", "EUR")
        .await;
    let client = scene.server.client(&provider, "Half Back").await;
    scene.pay(&client, "120.00", "EUR", "bank_transfer").await;
    let service = scene.order(&client, &domain, "P12M").await;
    let charge: Uuid =
        sqlx::query_scalar("SELECT expense_id FROM expenses WHERE service_id = $1::uuid")
            .bind(&service)
            .fetch_one(&scene.server.db.pool)
            .await
            .unwrap();
    scene.set_day(day(2026, 7, 2));

    // Act
    let corrected = scene
        .server
        .post(
            &format!("/v1/expenses/{charge}/corrections"),
            json!({"correction_id": Uuid::now_v7(), "amount": "60.00", "reason": "goodwill"}),
        )
        .await;
    let head = scene.quiet().await;
    let months = scene
        .report(&format!(
            "/v1/reports/revenue?basis=recognised&group=month&from=2026-01-01&to=2027-01-01&min_position={head}"
        ))
        .await;
    let deferred = scene
        .report("/v1/reports/deferred-revenue?as_of=2026-07-31")
        .await;

    // Assert
    assert_eq!(corrected.status, StatusCode::CREATED, "{corrected:?}");
    let month = |first: &str| {
        months
            .iter()
            .find(|r| r["period_start"] == first)
            .cloned()
            .unwrap()
    };
    // June is past when the correction comes, so it is not restated: 120.00 × 181 ÷ 365 =
    // 59.506… → 59.50, less 120.00 × 151 ÷ 365 = 49.643… → 49.64, = 9.86.
    assert_eq!(month("2026-06-01")["revenue"], "9.86");
    assert_eq!(month("2026-06-01")["corrected"], "0.00");
    // July: the charge's 120.00 × 212 ÷ 365 = 69.698… → 69.69, less 59.50, = 10.19; the
    // correction's 60.00 × 212 ÷ 365 = 34.849… → 34.84, all of it from July 2 on (the 182 days
    // before fall on July 2); 10.19 − 34.84 = −24.65.
    assert_eq!(month("2026-07-01")["charged"], "10.19");
    assert_eq!(month("2026-07-01")["corrected"], "34.84");
    assert_eq!(month("2026-07-01")["revenue"], "-24.65");
    // The year recognises what was kept: 120.00 − 60.00 = 60.00.
    assert_eq!(total(&months, "revenue"), dec("60.00"));
    // Deferred at the end of July: 120.00 − 60.00 = 60.00 charged, 69.69 − 34.84 = 34.85
    // recognised, 60.00 − 34.85 = 25.15 deferred.
    assert_eq!(deferred.len(), 1, "{deferred:?}");
    assert_eq!(deferred[0]["charged"], "60.00");
    assert_eq!(deferred[0]["recognised"], "34.85");
    assert_eq!(deferred[0]["deferred"], "25.15");
}

#[tokio::test]
async fn a_service_moved_to_another_client_or_tariff_type_is_counted_where_it_now_is() {
    // Arrange: Olga's active VDS; Ivan has no service.
    let (server, clock) = TestServer::start_fixed().await;
    let scene = Scene { server, clock };
    scene.set_day(day(2027, 1, 5));
    let provider = scene.server.provider("EUR").await;
    let vds = scene
        .tariff(&provider, "VDS S", "vds", "P1M", "10.00", "EUR")
        .await;
    let hosting = scene
        .tariff(
            &provider,
            "Hosting Pro",
            "shared_hosting",
            "P1M",
            "20.00",
            "EUR",
        )
        .await;
    let olga = scene.server.client(&provider, "Olga Berg").await;
    let ivan = scene.server.client(&provider, "Ivan Petrov").await;
    scene.pay(&olga, "100.00", "EUR", "bank_transfer").await;
    scene.pay(&ivan, "100.00", "EUR", "bank_transfer").await;
    let service = scene.order(&olga, &vds, "P1M").await;
    scene.robot().await;

    // Act: the service moves to a tariff of another item type, then to Ivan.
    let changed = scene
        .server
        .post(
            &format!("/v1/services/{service}/change-tariff"),
            json!({ "tariff_id": hosting }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    scene.robot().await;
    let moved = scene
        .server
        .post(
            &format!("/v1/services/{service}/transfer"),
            json!({ "client_id": ivan }),
        )
        .await;
    assert!(moved.status.is_success(), "{moved:?}");
    let head = scene.quiet().await;

    // Assert: January's active clients count Ivan, who has the service now (and Olga, who had
    // it); the services list finds it under its new item type, as the reports do.
    let clients = scene
        .report("/v1/reports/clients?from=2027-01-01&to=2027-02-01")
        .await;
    let january = clients
        .iter()
        .find(|r| r["month"] == "2027-01-01" && r["provider_id"] == provider.as_str())
        .unwrap_or_else(|| panic!("{clients:?}"));
    assert_eq!(january["active_clients"], 2, "{january}");
    let listed = scene
        .server
        .get(&format!(
            "/v1/services?item_type=shared_hosting&min_position={head}"
        ))
        .await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed:?}");
    assert_eq!(items[0]["id"], service.as_str());
    let by_type = scene
        .report(&format!(
            "/v1/reports/services?provider_id={provider}&min_position={head}"
        ))
        .await;
    assert!(
        by_type
            .iter()
            .any(|r| r["item_type"] == "shared_hosting" && r["status"] == "active"),
        "{by_type:?}"
    );
}
