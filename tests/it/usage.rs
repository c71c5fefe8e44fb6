//! Usage-based charging over HTTP (issue 20.3): a month of usage records sent in batches to the
//! real `billing` binary, killed with SIGKILL in the middle and sent again (with duplicates),
//! billed on the billing day to the cent, with the measured quantities on the expenses and the
//! invoice; bad batches refused whole.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use crate::crash::{BillingProcess, http_client, send};

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn money(amount: &str) -> Value {
    json!({ "amount": amount, "currency": "EUR" })
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, day, hour, 0, 0)
        .single()
        .expect("a time")
}

/// One record as sent.
#[derive(Debug, Clone)]
struct Record {
    id: String,
    metric: &'static str,
    quantity: String,
    unique_key: Option<String>,
    at: DateTime<Utc>,
}

impl Record {
    fn json(&self, service: &str) -> Value {
        let mut body = json!({
            "id": self.id,
            "service_id": service,
            "metric": self.metric,
            "quantity": self.quantity,
            "at": self.at.to_rfc3339(),
        });
        if let Some(key) = &self.unique_key {
            body["unique_key"] = json!(key);
        }
        body
    }
}

/// A month of hourly records of three metrics in January 2027, and two just outside it.
fn a_month(tag: &str) -> Vec<Record> {
    let mut records = Vec::new();
    for day in 1..=31 {
        for hour in 0..24 {
            let h = (day - 1) * 24 + hour;
            let when = at(day, hour);
            records.push(Record {
                id: format!("{tag}-traffic-{h}"),
                metric: "traffic_gb",
                quantity: format!("{}.125", h % 7),
                unique_key: None,
                at: when,
            });
            records.push(Record {
                id: format!("{tag}-storage-{h}"),
                metric: "storage_gb",
                quantity: format!("{}.5", 20 + h % 50),
                unique_key: None,
                at: when,
            });
            records.push(Record {
                id: format!("{tag}-ips-{h}"),
                metric: "ips",
                quantity: "1".to_owned(),
                unique_key: Some(format!("10.0.0.{}", h % 5)),
                at: when,
            });
        }
    }
    for (n, when) in [
        Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap(),
        Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap(),
    ]
    .into_iter()
    .enumerate()
    {
        records.push(Record {
            id: format!("{tag}-outside-{n}"),
            metric: "traffic_gb",
            quantity: "1000".to_owned(),
            unique_key: None,
            at: when,
        });
    }
    records
}

fn batch(records: &[Record], service: &str) -> Value {
    json!({ "records": records.iter().map(|r| r.json(service)).collect::<Vec<_>>() })
}

/// Everything a usage test needs: a provider with a company, a client with money, a VDS tariff
/// with metered parameters, and a service of it ordered on 2027-01-01.
struct Shop {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    client: String,
    service: String,
}

impl Shop {
    async fn new() -> Shop {
        let (server, clock) = TestServer::start_fixed().await;
        let provider = server.provider("EUR").await;
        crate::invoicing::company(&server, &provider, "NL", "yearly").await;
        let client = server.client(&provider, "Metered Client").await;
        let tariff = server
            .post(
                "/v1/tariffs",
                json!({
                    "provider_id": provider,
                    "name": "VDS Metered",
                    "item_type": "vds",
                    "prices": [{"period": "P1M", "price": money("10.00")}],
                }),
            )
            .await;
        assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
        let tariff = tariff.body["id"].as_str().unwrap().to_owned();
        let metered = server
            .call(
                Method::PUT,
                &format!("/v1/tariffs/{tariff}/metered"),
                Some(json!({"parameters": [
                    {"code": "traffic_gb", "aggregation": "sum", "included": "100",
                     "unit_price": money("0.05")},
                    {"code": "storage_gb", "aggregation": "max", "included": "50",
                     "unit_price": money("0.20")},
                    {"code": "ips", "aggregation": "count_unique", "included": "2",
                     "unit_price": money("1.50")},
                    {"code": "cpu_hours", "aggregation": "last", "included": "0",
                     "unit_price": money("0.01")},
                ]})),
            )
            .await;
        assert_eq!(metered.status, StatusCode::OK, "{metered:?}");
        // Post-paid (a credit limit): its tax document is the monthly invoice.
        let limit = server
            .call(
                Method::PUT,
                &format!("/v1/clients/{client}/credit-limit"),
                Some(json!({ "amount": "100.00", "currency": "EUR" })),
            )
            .await;
        assert_eq!(limit.status, StatusCode::OK, "{limit:?}");
        let paid = server
            .post(
                &format!("/v1/clients/{client}/payments"),
                json!({"payment_id": Uuid::now_v7(), "amount": "500.00", "currency": "EUR",
                       "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        let ordered = server
            .post(
                &format!("/v1/clients/{client}/services"),
                json!({"tariff_id": tariff, "period": "P1M", "addons": []}),
            )
            .await;
        assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
        let service = ordered.body["id"].as_str().unwrap().to_owned();
        server.settled().await;
        Shop {
            server,
            clock,
            client,
            service,
        }
    }

    fn set_day(&self, y: i32, m: u32, d: u32) {
        self.clock
            .set(Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).single().unwrap());
    }
}

/// The sum of a field of JSON items, as decimals.
fn total(items: &[Value], field: &str) -> Decimal {
    items
        .iter()
        .map(|item| dec(item[field].as_str().unwrap_or("0")))
        .sum()
}

#[tokio::test]
async fn a_month_of_usage_sent_through_a_crash_is_billed_once_to_the_cent() {
    // Arrange: the shop on an in-process server with a fixed clock; the records go to the real
    // binary over the same database, which is killed in the middle of the month's batches.
    let shop = Shop::new().await;
    let records = a_month("m");
    let batches: Vec<Value> = records
        .chunks(200)
        .map(|chunk| batch(chunk, &shop.service))
        .collect();
    let mut binary = BillingProcess::new(&shop.server.db.url);
    binary.start().await;
    let http = http_client();

    // Act: four senders at once; SIGKILL as soon as the first batch is acknowledged.
    let (first_answer, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let tasks: Vec<_> = batches
        .iter()
        .cloned()
        .map(|body| {
            let (http, base, first_answer) = (http.clone(), binary.base(), first_answer.clone());
            tokio::spawn(async move {
                let reply = send(
                    &http,
                    Method::POST,
                    &format!("{base}/v1/usage"),
                    Some(&body),
                )
                .await;
                let _ = first_answer.send(reply.status());
                reply
            })
        })
        .collect();
    let _ = tokio::time::timeout(Duration::from_secs(10), answers.recv()).await;
    binary.kill().await;
    let mut acknowledged = 0_usize;
    for task in tasks {
        let reply = task.await.expect("a sender does not panic");
        if reply.status() == Some(StatusCode::OK) {
            acknowledged += usize::try_from(reply.body()["received"].as_u64().unwrap()).unwrap();
        }
    }
    let stored_before: i64 = sqlx::query_scalar("SELECT count(*) FROM usage_records")
        .fetch_one(&shop.server.db.pool)
        .await
        .unwrap();
    // Every batch sent again after the restart, and some twice (duplicates).
    binary.start().await;
    let mut stored_after = 0_u64;
    for body in batches.iter().chain(batches.iter().take(3)) {
        let reply = send(
            &http,
            Method::POST,
            &format!("{}/v1/usage", binary.base()),
            Some(body),
        )
        .await;
        assert_eq!(reply.status(), Some(StatusCode::OK), "{reply:?}");
        stored_after += reply.body()["stored"].as_u64().unwrap();
    }
    binary.kill().await;
    // The billing day after the month, twice (a rerun charges nothing more).
    shop.set_day(2027, 2, 1);
    let run = shop
        .server
        .post("/v1/billing/runs", json!({"as_of": "2027-02-01"}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    let rerun = shop
        .server
        .post("/v1/billing/runs", json!({"as_of": "2027-02-01"}))
        .await;
    assert_eq!(rerun.status, StatusCode::OK, "{rerun:?}");
    let head = shop.server.settled().await;

    // Assert: nothing acknowledged was lost, and each record is stored once.
    eprintln!("acknowledged before the kill: {acknowledged}; stored then: {stored_before}");
    assert!(
        i64::try_from(acknowledged).unwrap() <= stored_before,
        "every acknowledged record survived the kill"
    );
    let distinct = i64::try_from(records.len()).unwrap();
    // A batch in flight at the kill may commit after it (PostgreSQL finishes the statement):
    // the resend then finds it stored. So the answers never count a record twice, and the
    // table holds each exactly once.
    let stored_in_the_end: i64 = sqlx::query_scalar("SELECT count(*) FROM usage_records")
        .fetch_one(&shop.server.db.pool)
        .await
        .unwrap();
    assert_eq!(stored_in_the_end, distinct, "each record stored, once");
    assert!(
        stored_before + i64::try_from(stored_after).unwrap() <= distinct,
        "no record reported stored twice"
    );
    assert_eq!(run.body["usage_periods"], 1, "{run:?}");
    assert_eq!(run.body["usage_expenses"], 3, "{run:?}");
    assert_eq!(rerun.body["usage_periods"], 0, "{rerun:?}");
    assert_eq!(rerun.body["usage_expenses"], 0, "{rerun:?}");

    // The quantities, computed here from the records of January: traffic sum 2320 (100
    // included, 2220 × 0.05 = 111.00), storage max 69.5 (19.5 × 0.20 = 3.90), 5 IPs (3 × 1.50
    // = 4.50); no CPU hours, no line.
    let january: Vec<&Record> = records
        .iter()
        .filter(|r| r.at >= at(1, 0) && r.at < Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap())
        .collect();
    let traffic: Decimal = january
        .iter()
        .filter(|r| r.metric == "traffic_gb")
        .map(|r| dec(&r.quantity))
        .sum();
    assert_eq!(traffic, dec("2320"));
    let expenses = shop
        .server
        .get(&format!(
            "/v1/clients/{}/expenses?limit=500&min_position={head}",
            shop.client
        ))
        .await;
    assert_eq!(expenses.status, StatusCode::OK, "{expenses:?}");
    let items = expenses.body["items"].as_array().unwrap().clone();
    let usage: Vec<&Value> = items
        .iter()
        .filter(|e| {
            e["description"]
                .as_str()
                .unwrap_or("")
                .starts_with("Usage ")
        })
        .collect();
    let mut seen: Vec<(String, String)> = usage
        .iter()
        .map(|e| {
            let text = e["description"].as_str().unwrap();
            (text.split(' ').nth(1).unwrap().to_owned(), text.to_owned())
        })
        .collect();
    seen.sort();
    assert_eq!(seen.len(), 3, "{items:?}");
    assert!(
        seen[0]
            .1
            .contains(": 5 (count_unique of 744 records), 2 included, 3 over at 1.50 EUR"),
        "{seen:?}"
    );
    assert!(
        seen[1]
            .1
            .contains(": 69.5 (max of 744 records), 50 included, 19.5 over at 0.20 EUR"),
        "{seen:?}"
    );
    assert!(
        seen[2]
            .1
            .contains(": 2320 (sum of 744 records), 100 included, 2220 over at 0.05 EUR"),
        "{seen:?}"
    );

    // January's usage, charged on Feb 1 once January had ended, is on February's invoice (a
    // charge of a period that began before belongs to the month it was charged in): the three
    // usage lines, net to the cent, with their quantities.
    shop.set_day(2027, 3, 2);
    let monthly = shop
        .server
        .post("/v1/invoices/monthly", json!({ "month": "2027-02" }))
        .await;
    assert_eq!(monthly.status, StatusCode::OK, "{monthly:?}");
    let issued = monthly.body["issued"].as_array().unwrap();
    assert_eq!(issued.len(), 1, "{monthly:?}");
    let position = monthly.body["position"].as_i64().unwrap();
    let invoice = shop
        .server
        .get(&format!(
            "/v1/invoices/{}?min_position={position}",
            issued[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(invoice.status, StatusCode::OK, "{invoice:?}");
    let lines = invoice.body["document"]["lines"].as_array().unwrap();
    let mut usage_lines: Vec<(String, String)> = lines
        .iter()
        .filter(|l| {
            l["description"]
                .as_str()
                .unwrap_or("")
                .starts_with("Usage ")
        })
        .map(|l| {
            (
                l["description"].as_str().unwrap().to_owned(),
                l["net"]["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    usage_lines.sort();
    assert_eq!(usage_lines.len(), 3, "{invoice:?}");
    assert!(usage_lines[0].0.starts_with("Usage ips"), "{usage_lines:?}");
    assert_eq!(
        usage_lines
            .iter()
            .map(|(_, net)| net.as_str())
            .collect::<Vec<_>>(),
        vec!["4.50", "3.90", "111.00"],
        "{invoice:?}"
    );
    assert!(
        usage_lines[2].0.starts_with(&seen[2].1),
        "the expense's quantities are on the invoice: {usage_lines:?}"
    );

    // Balance, statement, expenses and the invoice agree: 500.00 paid less every charge.
    let charged = total(&items, "amount");
    let balance = shop
        .server
        .get(&format!(
            "/v1/clients/{}/balance?min_position={head}",
            shop.client
        ))
        .await;
    assert_eq!(
        dec(balance.body["accounts"][0]["balance"].as_str().unwrap()),
        dec("500.00") - charged,
        "{balance:?}"
    );
    let statement = shop
        .server
        .get(&format!(
            "/v1/clients/{}/statement?limit=500&min_position={head}",
            shop.client
        ))
        .await;
    assert_eq!(
        dec(statement.body["closing_balance"].as_str().unwrap()),
        dec("500.00") - charged,
        "{statement:?}"
    );
    let january_charges: Decimal = items
        .iter()
        .filter(|e| {
            e["period_start"]
                .as_str()
                .unwrap_or("")
                .starts_with("2027-01")
        })
        .map(|e| dec(e["amount"].as_str().unwrap()))
        .sum();
    assert_eq!(
        dec(invoice.body["gross"].as_str().unwrap()),
        january_charges,
        "the invoice is the charges of January's periods: {invoice:?}"
    );
}

#[tokio::test]
async fn usage_beyond_the_credit_limit_is_owed_and_charged_into_debt() {
    // Arrange: the shop's client paid 500.00 with a credit limit of 100.00; its service sends
    // 20,100 GB of traffic in January: 100 included, 20,000 × 0.05 = 1,000.00, more than the
    // account holds and may owe.
    let shop = Shop::new().await;
    let heavy = Record {
        id: "heavy-traffic".to_owned(),
        metric: "traffic_gb",
        quantity: "20100".to_owned(),
        unique_key: None,
        at: at(15, 12),
    };
    let sent = shop
        .server
        .post("/v1/usage", batch(&[heavy], &shop.service))
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{sent:?}");

    // Act: the billing day after the month.
    shop.set_day(2027, 2, 1);
    let run = shop
        .server
        .post("/v1/billing/runs", json!({"as_of": "2027-02-01"}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    let head = shop.server.settled().await;

    // Assert: the traffic was used, so it is charged whole even into debt (a refused charge
    // used to wait for money, and was dropped once a later period was charged); the balance
    // is what was paid less every expense, past the credit limit, and the statement agrees.
    assert_eq!(run.body["usage_expenses"], 1, "{run:?}");
    let expenses = shop
        .server
        .get(&format!(
            "/v1/clients/{}/expenses?limit=500&min_position={head}",
            shop.client
        ))
        .await;
    let items = expenses.body["items"].as_array().unwrap().clone();
    let traffic: Vec<&Value> = items
        .iter()
        .filter(|e| {
            e["description"]
                .as_str()
                .unwrap_or("")
                .contains("traffic_gb")
        })
        .collect();
    assert_eq!(traffic.len(), 1, "{items:?}");
    assert!(
        dec(traffic[0]["amount"].as_str().unwrap()) >= dec("1000.00"),
        "{traffic:?}"
    );
    let balance = shop
        .server
        .get(&format!(
            "/v1/clients/{}/balance?min_position={head}",
            shop.client
        ))
        .await
        .body["accounts"][0]["balance"]
        .as_str()
        .map(dec)
        .unwrap();
    assert_eq!(
        balance,
        dec("500.00") - total(&items, "amount"),
        "{items:?}"
    );
    assert!(
        balance < dec("-100.00"),
        "owed beyond the credit limit: {balance}"
    );
    let statement = shop
        .server
        .get(&format!(
            "/v1/clients/{}/statement?limit=500&min_position={head}",
            shop.client
        ))
        .await;
    assert_eq!(
        statement.body["closing_balance"].as_str().map(dec),
        Some(balance),
        "{statement:?}"
    );
}

#[tokio::test]
async fn a_batch_with_bad_records_is_refused_whole_naming_each() {
    // Arrange
    let shop = Shop::new().await;
    let good = batch(&a_month("g")[..3], &shop.service);
    let mut bad = good.clone();
    bad["records"][0]["quantity"] = json!("-1");
    bad["records"][2]["metric"] = json!("Traffic GB");
    bad["records"][2]["at"] = json!("yesterday");
    let mut unknown = good.clone();
    unknown["records"][1]["service_id"] = json!(Uuid::now_v7());
    let too_many = batch(
        &a_month("t").into_iter().take(1001).collect::<Vec<_>>(),
        &shop.service,
    );

    // Act
    let refused = shop.server.post("/v1/usage", bad).await;
    let unknown_service = shop.server.post("/v1/usage", unknown).await;
    let over = shop.server.post("/v1/usage", too_many).await;
    let empty = shop.server.post("/v1/usage", json!({"records": []})).await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM usage_records")
        .fetch_one(&shop.server.db.pool)
        .await
        .unwrap();
    let accepted = shop.server.post("/v1/usage", good).await;

    // Assert
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert!(
        refused.content_type.starts_with("application/problem+json"),
        "{refused:?}"
    );
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.starts_with("2 bad records"), "{detail}");
    assert!(
        detail.contains("records[0]") && detail.contains("quantity"),
        "{detail}"
    );
    assert!(
        detail.contains("records[2]") && detail.contains("metric") && detail.contains("at:"),
        "{detail}"
    );
    assert!(!detail.contains("records[1]"), "{detail}");
    assert_eq!(
        unknown_service.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{unknown_service:?}"
    );
    assert!(
        unknown_service.body["detail"]
            .as_str()
            .unwrap()
            .contains("records[1]"),
        "{unknown_service:?}"
    );
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE, "{over:?}");
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{empty:?}");
    assert_eq!(stored, 0, "nothing of a refused batch is stored");
    assert_eq!(accepted.status, StatusCode::OK, "{accepted:?}");
    assert_eq!(accepted.body["stored"], 3, "{accepted:?}");
}
