//! Import (issue 19.1): a bundle of 10,000 clients and 20,000 services made by a generator is
//! imported over HTTP; the billing day after it charges exactly the services whose paid time
//! ended, and the balances and paid-until dates are the bundle's (moved by exactly those
//! charges). Importing the same bundle again writes nothing; a bundle with bad rows writes
//! nothing and lists every one.
//!
//! The full size takes about 40 seconds in a debug build; `BILLING_IMPORT_CLIENTS=N` runs
//! another size.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use domain::import::ImportSource;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::TestServer;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// The day the billing day runs for, after the import.
fn billing_day() -> NaiveDate {
    day(2027, 2, 1)
}

pub(crate) fn derived(entity: &str, id: &str) -> String {
    ImportSource::parse("whmcs", id)
        .expect("a source")
        .derived(entity)
        .to_string()
}

/// What the generator expects of one service.
struct Expected {
    client: String,
    paid_until: NaiveDate,
    /// The price of its next period when the billing day charges it.
    charge: Option<(Decimal, NaiveDate)>,
}

/// The bundle, and for each service what the billing day must do with it, and for each client
/// its balance as imported.
pub(crate) struct Generated {
    pub(crate) bundle: Value,
    services: HashMap<String, Expected>,
    pub(crate) balances: HashMap<String, Decimal>,
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// `clients` clients with two services each: paid-until dates spread over the 45 days around
/// the billing day (about an eighth of them due on it), a few suspended by staff, a few not
/// renewed automatically, some with an add-on, yearly and monthly; balances of every sign. Every
/// tenth client also has a payer, a user whose WHMCS (md5) hash is not kept, and an open
/// invoice of the provider's one company (its amount is in the client's balance already).
pub(crate) fn generate(clients: usize) -> Generated {
    let as_of = billing_day();
    let mut services = HashMap::new();
    let mut balances = HashMap::new();
    let mut client_rows = Vec::new();
    let mut service_rows = Vec::new();
    let (mut payer_rows, mut user_rows, mut invoice_rows) = (Vec::new(), Vec::new(), Vec::new());
    for c in 0..clients {
        let client = format!("c{c}");
        if c % 10 == 0 {
            payer_rows.push(json!({
                "id": format!("pr{c}"), "client": client, "kind": "company",
                "name": format!("Client {c} GmbH"), "country": "DE",
                "address": "Hauptstr. 1\n10115 Berlin",
            }));
            user_rows.push(json!({
                "id": format!("u{c}"), "client": client, "email": format!("user{c}@example.com"),
                "name": format!("User {c}"), "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99",
            }));
            invoice_rows.push(json!({
                "id": format!("i{c}"), "client": client, "company": "co1",
                "number": format!("WH-{}", 1000 + c), "issued_on": "2027-01-10",
                "due_on": "2027-01-24", "tax_rate": "19", "total": "15.47",
                "lines": [{"description": "VDS M", "unit_price": "10.00"},
                          {"description": "Extra IPv4", "quantity": "2", "unit_price": "1.50"}],
            }));
        }
        let mut due_here = false;
        for s in [2 * c, 2 * c + 1] {
            let id = format!("s{s}");
            let offset = i64::try_from(s % 45).unwrap_or(0) - 5;
            let paid_until = as_of + Duration::days(offset);
            let yearly = s % 7 == 0;
            let suspended = s % 31 == 0;
            let auto_prolong = s % 53 != 1;
            let addon = s % 10 == 3;
            let (period, base) = if yearly {
                ("P12M", "60.00")
            } else {
                ("P1M", "10.00")
            };
            let mut price = dec(base);
            let mut row = json!({
                "id": id, "client": client, "tariff": "t1", "period": period,
                "ordered_on": "2024-03-15", "paid_until": paid_until.to_string(),
            });
            if addon {
                row["addons"] =
                    json!([{"code": "ip", "name": "Extra IPv4", "quantity": 2, "price": "3.00"}]);
                price += dec("3.00");
            }
            if suspended {
                row["status"] = json!("suspended");
                row["suspend_reason"] = json!("staff");
            }
            if !auto_prolong {
                row["auto_prolong"] = json!(false);
            }
            let due = paid_until <= as_of && !suspended && auto_prolong;
            let charge = due.then(|| {
                let months = if yearly { 12 } else { 1 };
                let end = paid_until
                    .checked_add_months(chrono::Months::new(months))
                    .expect("a date");
                (price, end)
            });
            due_here |= due;
            services.insert(
                derived("service", &id),
                Expected {
                    client: derived("client", &client),
                    paid_until,
                    charge,
                },
            );
            service_rows.push(row);
        }
        // A client with something due can pay for it; the others hold every kind of balance.
        let (balance, limit) = match (due_here, c % 4) {
            (true, _) => ("150.00", None),
            (false, 0) => ("0.00", None),
            (false, 1) => ("-12.34", Some("20.00")),
            (false, 2) => ("7.77", None),
            _ => ("1234.56", Some("5.00")),
        };
        let mut row = json!({
            "id": client, "provider": "p1", "name": format!("Client {c}"),
            "email": format!("client{c}@example.com"), "country": "DE",
            "registered_on": "2021-06-01", "balance": balance,
        });
        if let Some(limit) = limit {
            row["credit_limit"] = json!(limit);
        }
        if c % 3 == 0 {
            row["kind"] = json!("company");
        }
        balances.insert(derived("client", &client), dec(balance));
        client_rows.push(row);
    }
    let bundle = json!({
        "source": "whmcs",
        "providers": [{"id": "p1", "name": "Moved Hosting", "currency": "EUR"}],
        "tariffs": [{"id": "t1", "provider": "p1", "name": "VDS M", "item_type": "vds",
                     "prices": [{"period": "P1M", "price": "10.00"}, {"period": "P12M", "price": "60.00"}]}],
        "clients": client_rows,
        "services": service_rows,
        "companies": [{"id": "co1", "provider": "p1", "name": "Moved Hosting GmbH", "country": "DE",
                       "address": "Main St 1\n10115 Berlin", "invoice_prefix": "MH"}],
        "payers": payer_rows,
        "users": user_rows,
        "invoices": invoice_rows,
    });
    Generated {
        bundle,
        services,
        balances,
    }
}

fn size() -> usize {
    std::env::var("BILLING_IMPORT_CLIENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_bundle_is_billed_from_its_paid_until_dates_and_a_second_import_writes_nothing()
{
    // Arrange: a bundle from the generator.
    let clients = size();
    let generated = generate(clients);
    let (server, _clock) = TestServer::start_fixed().await;

    // Act: import it over HTTP.
    let answer = server.post("/v1/imports", generated.bundle.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let report = &answer.body;
    assert_eq!(report["clients"]["imported"], json!(clients));
    assert_eq!(report["services"]["imported"], json!(2 * clients));
    assert_eq!(report["providers"]["imported"], json!(1));
    assert_eq!(report["tariffs"]["imported"], json!(1));
    println!(
        "imported {} services at {} services/s",
        2 * clients,
        report["services_per_second"]
    );
    server.settled().await;

    // Assert: nothing was charged, and the paid-until dates and balances are the bundle's.
    let charges: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ExpenseCharged'")
            .fetch_one(&server.db.pool)
            .await
            .expect("count charges");
    assert_eq!(charges, 0);
    let sample: Vec<(&String, &Expected)> = generated.services.iter().step_by(97).collect();
    for (id, expected) in &sample {
        let service = server.get(&format!("/v1/services/{id}")).await;
        assert_eq!(service.status, StatusCode::OK, "{:?}", service.body);
        assert_eq!(
            service.body["paid_until"],
            json!(expected.paid_until.to_string())
        );
    }
    let total_imported: Decimal = generated.balances.values().sum();
    let total_read: Decimal = sqlx::query_scalar("SELECT coalesce(sum(balance), 0) FROM balances")
        .fetch_one(&server.db.pool)
        .await
        .expect("sum balances");
    assert_eq!(total_read, total_imported);

    // Importing the same bundle again writes nothing.
    let before = server.event_count().await;
    let again = server.post("/v1/imports", generated.bundle.clone()).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["services"]["imported"], json!(0));
    assert_eq!(again.body["services"]["unchanged"], json!(2 * clients));
    assert_eq!(again.body["clients"]["unchanged"], json!(clients));
    assert_eq!(again.body["events"], json!(0));
    assert_eq!(server.event_count().await, before);

    // Act: the billing day.
    let run = server
        .post(
            "/v1/billing/runs",
            json!({ "as_of": billing_day().to_string() }),
        )
        .await;
    assert_eq!(run.status, StatusCode::OK, "{:?}", run.body);
    let due: Vec<(&String, &Expected)> = generated
        .services
        .iter()
        .filter(|(_, expected)| expected.charge.is_some())
        .collect();
    assert!(due.len() > clients / 10, "the generator makes services due");
    // Assert: exactly the due services were charged, each its next period at its own price.
    assert_eq!(run.body["charged"], json!(due.len()), "{:?}", run.body);
    assert_eq!(run.body["refused"], json!(0));
    let head = server.settled().await;
    let mut owed: HashMap<&String, Decimal> = HashMap::new();
    for (_, expected) in &due {
        if let Some((price, _)) = expected.charge {
            *owed.entry(&expected.client).or_default() += price;
        }
    }
    for (id, expected) in sample.iter().chain(due.iter().step_by(41)) {
        let service = server
            .get(&format!("/v1/services/{id}?min_position={head}"))
            .await;
        let paid_until = expected.charge.map_or(expected.paid_until, |(_, end)| end);
        assert_eq!(
            service.body["paid_until"],
            json!(paid_until.to_string()),
            "{id}"
        );
        let balance = server
            .get(&format!("/v1/clients/{}/balance", expected.client))
            .await;
        let owes = owed.get(&expected.client).copied().unwrap_or_default();
        let expected_balance = generated.balances[&expected.client] - owes;
        assert_eq!(
            balance.body["accounts"][0]["balance"],
            json!(format!("{expected_balance:.2}")),
            "{:?}",
            balance.body
        );
    }
    // The ledger agrees to the cent: what was imported less what the billing day charged.
    let charged: Decimal = owed.values().sum();
    let total_read: Decimal = sqlx::query_scalar("SELECT coalesce(sum(balance), 0) FROM balances")
        .fetch_one(&server.db.pool)
        .await
        .expect("sum balances");
    assert_eq!(total_read, total_imported - charged);
    // The statement opens with the imported balance.
    let (client, balance) = generated
        .balances
        .iter()
        .find(|(_, balance)| !balance.is_zero())
        .expect("a client with a balance");
    let statement = server.get(&format!("/v1/clients/{client}/statement")).await;
    assert_eq!(statement.status, StatusCode::OK, "{:?}", statement.body);
    let lines = statement.body["items"].as_array().expect("statement lines");
    let first = lines.first().expect("a line");
    assert_eq!(
        first["kind"],
        json!("opening_balance"),
        "{:?}",
        statement.body
    );
    assert_eq!(first["amount"], json!(format!("{balance:.2}")));
}

#[tokio::test]
async fn a_bundle_with_bad_rows_writes_nothing_and_lists_every_one() {
    // Arrange: a small bundle with six bad rows (an invoice of a company not in the bundle, a
    // second user with the first one's login).
    let server = TestServer::start().await;
    let mut bundle = generate(3).bundle;
    bundle["clients"][0]["email"] = json!("not an address");
    bundle["clients"][1]["balance"] = json!("1.234");
    bundle["services"][0]["paid_until"] = json!("2027-13-01");
    bundle["services"][2]["tariff"] = json!("nope");
    bundle["invoices"][0]["company"] = json!("nope");
    bundle["users"]
        .as_array_mut()
        .expect("users")
        .push(json!({"id": "u-twin", "client": "c1", "email": "USER0@example.com"}));
    let before = server.event_count().await;

    // Act.
    let answer = server.post("/v1/imports", bundle).await;

    // Assert: a 422 problem listing each bad row, and nothing written.
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        answer.body
    );
    assert_eq!(answer.content_type, "application/problem+json");
    assert_eq!(answer.body["code"], json!("invalid_bundle"));
    let errors = answer.body["errors"].as_array().expect("errors");
    let mut found: Vec<(String, String)> = errors
        .iter()
        .map(|e| {
            (
                format!("{}#{}", e["entity"].as_str().unwrap_or(""), e["row"]),
                e["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("clients#1".to_owned(), "email".to_owned()),
            ("clients#2".to_owned(), "balance".to_owned()),
            ("invoices#1".to_owned(), "company".to_owned()),
            ("services#1".to_owned(), "paid_until".to_owned()),
            ("services#3".to_owned(), "tariff".to_owned()),
            ("users#2".to_owned(), "email".to_owned()),
        ],
        "{errors:?}"
    );
    assert_eq!(server.event_count().await, before);
}

/// How many `ServiceImported` events the log holds.
async fn services_imported(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ServiceImported'")
        .fetch_one(pool)
        .await
        .expect("count imported services")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_mid_way_is_finished_by_a_rerun_writing_each_service_once() {
    // Arrange: a bundle of several batches in a file, and `billing import` on it as an operator
    // runs it.
    let clients = size();
    let services = i64::try_from(2 * clients).expect("a count");
    let generated = generate(clients);
    let (server, _clock) = TestServer::start_fixed().await;
    let file = std::env::temp_dir().join(format!("import-resume-{}.json", std::process::id()));
    std::fs::write(&file, generated.bundle.to_string()).expect("write the bundle");
    let mut import = std::process::Command::new(tests::billing_binary())
        .args(["import", file.to_str().expect("a path")])
        .env("DATABASE_URL", &server.db.url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start billing import");

    // Act: kill it as soon as its first batch of services is written.
    let started = std::time::Instant::now();
    loop {
        let written = services_imported(&server.db.pool).await;
        if written > 0 {
            break;
        }
        assert!(
            import.try_wait().expect("poll the import").is_none(),
            "the import ended before it wrote a service"
        );
        assert!(started.elapsed().as_secs() < 120, "no service written");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    import.kill().expect("kill the import");
    import.wait().expect("reap the import");
    let _ = std::fs::remove_file(&file);
    let cut = services_imported(&server.db.pool).await;

    // Assert: it was cut short with whole batches written, and a rerun writes the rest once.
    assert!(cut > 0 && cut < services, "{cut} of {services} written");
    assert_eq!(cut % 5_000, 0, "batches are written whole: {cut}");
    let rerun = server.post("/v1/imports", generated.bundle.clone()).await;
    assert_eq!(rerun.status, StatusCode::OK, "{:?}", rerun.body);
    assert_eq!(rerun.body["services"]["unchanged"], json!(cut));
    assert_eq!(rerun.body["services"]["imported"], json!(services - cut));
    assert_eq!(rerun.body["clients"]["unchanged"], json!(clients));
    assert_eq!(services_imported(&server.db.pool).await, services);
    // The read models catch up with every service, each once, with the bundle's paid time.
    server.settled().await;
    let read: i64 = sqlx::query_scalar("SELECT count(*) FROM services")
        .fetch_one(&server.db.pool)
        .await
        .expect("count services");
    assert_eq!(read, services);
    let total_read: Decimal = sqlx::query_scalar("SELECT coalesce(sum(balance), 0) FROM balances")
        .fetch_one(&server.db.pool)
        .await
        .expect("sum balances");
    assert_eq!(total_read, generated.balances.values().sum::<Decimal>());
    for (id, expected) in generated.services.iter().step_by(211) {
        let service = server.get(&format!("/v1/services/{id}")).await;
        assert_eq!(
            service.body["paid_until"],
            json!(expected.paid_until.to_string()),
            "{id}"
        );
    }
}

#[tokio::test]
async fn closed_services_are_left_out_and_providers_and_tariffs_name_their_source() {
    // Arrange: a small bundle with a closed (WHMCS "Terminated") service besides the others.
    let server = TestServer::start().await;
    let mut bundle = generate(3).bundle;
    bundle["services"]
        .as_array_mut()
        .expect("services")
        .push(json!({
            "id": "s-old", "client": "c0", "tariff": "t1", "period": "P1M",
            "paid_until": "2025-01-01", "status": "closed",
        }));

    // Act.
    let answer = server.post("/v1/imports", bundle).await;

    // Assert: six services imported, the closed one counted and not written.
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["services"]["imported"], json!(6));
    assert_eq!(answer.body["services"]["skipped"], json!(1));
    let closed = server
        .get(&format!("/v1/services/{}", derived("service", "s-old")))
        .await;
    assert_eq!(closed.status, StatusCode::NOT_FOUND, "{:?}", closed.body);
    // The provider's and the tariff's creation name where they came from, for an auditor.
    let sources: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_type, coalesce(payload->'ProviderCreated'->'source',
                                     payload->'TariffCreated'->'source')::text
           FROM events WHERE event_type IN ('ProviderCreated', 'TariffCreated')
          ORDER BY event_type",
    )
    .fetch_all(&server.db.pool)
    .await
    .expect("read the created events");
    assert_eq!(
        sources,
        vec![
            (
                "ProviderCreated".to_owned(),
                r#"{"system":"whmcs","id":"p1"}"#.to_owned()
            ),
            (
                "TariffCreated".to_owned(),
                r#"{"system":"whmcs","id":"t1"}"#.to_owned()
            ),
        ]
    );
}
