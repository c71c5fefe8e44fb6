//! The ledger an accountant signs (issue 14): a charge carries its VAT, so the balance, the
//! statement, the expenses and the monthly invoice agree to the cent; the monthly invoice has
//! every movement of the month; a month is invoiced only once it has ended.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use crate::invoicing::company;

/// Waits until every read model has the log's head and returns it.
async fn caught_up(server: &TestServer) -> i64 {
    let head = eventstore::log::head_position(&server.db.pool)
        .await
        .unwrap();
    let state = &server.running.as_ref().unwrap().state;
    for name in [
        "services",
        "settlement",
        "expenses",
        "balances",
        "statement",
    ] {
        let reached = projections::engine::wait_for_position(
            &server.db.pool,
            &state.progress,
            name,
            head,
            std::time::Duration::from_secs(20),
        )
        .await
        .unwrap();
        assert!(reached, "{name} reached {head}");
    }
    head
}

/// The balance, the statement's closing balance and its movements, and the expenses of `client`.
async fn ledger(server: &TestServer, client: &str) -> (String, String, Value, Value) {
    let head = caught_up(server).await;
    let balance = server
        .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
        .await;
    let statement = server
        .get(&format!(
            "/v1/clients/{client}/statement?min_position={head}"
        ))
        .await;
    let expenses = server
        .get(&format!(
            "/v1/clients/{client}/expenses?min_position={head}"
        ))
        .await;
    (
        balance.body["accounts"][0]["balance"]
            .as_str()
            .unwrap()
            .to_owned(),
        statement.body["closing_balance"]
            .as_str()
            .unwrap()
            .to_owned(),
        statement.body["items"].clone(),
        expenses.body["items"].clone(),
    )
}

#[tokio::test]
async fn vat_added_reaches_the_account_and_the_monthly_invoice_agrees_with_it_to_the_cent() {
    // Arrange: a company that adds 19 % VAT, a post-paid client, a service at 8.00 net.
    let (server, clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    let rules = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/tax-rules"),
            Some(json!({ "rules": [
                { "rate": "19", "mode": "added", "reverse_charge": false },
            ]})),
        )
        .await;
    assert_eq!(rules.status, StatusCode::OK, "{rules:?}");
    let client = server.client(&provider, "Post Paid").await;
    let limit = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{client}/credit-limit"),
            Some(json!({ "amount": "100.00", "currency": "EUR" })),
        )
        .await;
    assert_eq!(limit.status, StatusCode::OK, "{limit:?}");
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({
                "provider_id": provider,
                "name": "VDS S",
                "item_type": "vds",
                "prices": [{ "period": "P1M", "price": { "amount": "8.00", "currency": "EUR" } }],
            }),
        )
        .await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    caught_up(&server).await;

    // Act 1: the order is charged.
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({ "tariff_id": tariff.body["id"], "period": "P1M", "addons": [] }),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");

    // Assert 1: 8.00 + 19 % = 8.00 + 1.52 = 9.52 is what the client owes, everywhere.
    let (balance, closing, movements, expenses) = ledger(&server, &client).await;
    assert_eq!(balance, "-9.52");
    assert_eq!(closing, "-9.52");
    assert_eq!(movements[0]["kind"], "charge");
    assert_eq!(movements[0]["amount"], "-9.52");
    assert_eq!(movements[0]["details"]["net"], "8.00");
    assert_eq!(movements[0]["details"]["tax"], "1.52");
    assert_eq!(expenses[0]["amount"], "9.52");
    let expense = expenses[0]["id"].as_str().unwrap().to_owned();

    // Act 2: staff give back 2.38 of it, which holds 2.38 / 1.19 = 2.00 net and 0.38 VAT.
    let corrected = server
        .post(
            &format!("/v1/expenses/{expense}/corrections"),
            json!({ "correction_id": Uuid::now_v7(), "amount": "2.38", "reason": "outage" }),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::CREATED, "{corrected:?}");

    // Assert 2: −9.52 + 2.38 = −7.14.
    let (balance, closing, movements, _) = ledger(&server, &client).await;
    assert_eq!(balance, "-7.14");
    assert_eq!(closing, "-7.14");
    assert_eq!(movements[1]["kind"], "correction");
    assert_eq!(movements[1]["details"]["tax"], "0.38");

    // Act 3: January is run on its first day, then after it ended.
    let before_early = server.event_count().await;
    let early = server
        .post("/v1/invoices/monthly", json!({ "month": "2027-01" }))
        .await;
    let after_early = server.event_count().await;
    clock.set(tests::t0() + chrono::Duration::days(40));
    let run = server
        .post("/v1/invoices/monthly", json!({ "month": "2027-01" }))
        .await;

    // Assert 3: the unfinished month is refused and writes nothing; the ended month's invoice
    // has the charge and the correction as a negative line, and agrees with the balance:
    // net 8.00 − 2.00 = 6.00, VAT 1.52 − 0.38 = 1.14, gross 9.52 − 2.38 = 7.14.
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY, "{early:?}");
    assert_eq!(early.body["code"], "period_not_ended");
    assert_eq!(early.content_type, "application/problem+json");
    assert_eq!(after_early, before_early, "a refused run writes nothing");
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    let issued = run.body["issued"].as_array().unwrap();
    assert_eq!(issued.len(), 1);
    let id = issued[0]["id"].as_str().unwrap();
    let position = run.body["position"].as_i64().unwrap();
    let invoice = server
        .get(&format!("/v1/invoices/{id}?min_position={position}"))
        .await;
    assert_eq!(invoice.body["net"], "6.00", "{invoice:?}");
    assert_eq!(invoice.body["tax"], "1.14");
    assert_eq!(invoice.body["gross"], "7.14");
    let lines = invoice.body["document"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["gross"]["amount"], "9.52");
    assert_eq!(lines[1]["gross"]["amount"], "-2.38");
    let (balance, closing, _, _) = ledger(&server, &client).await;
    assert_eq!(
        balance, "-7.14",
        "the invoice total is what the account owes"
    );
    assert_eq!(closing, "-7.14");
    // The VAT is owed to the state, not earned: January's revenue is the net 8.00 charged less
    // the net 2.00 given back = 6.00, on both bases.
    for basis in ["cash", "recognised"] {
        let report = server
            .get(&format!(
                "/v1/reports/revenue?basis={basis}&group=month&from=2027-01-01&to=2027-02-01&min_position={position}"
            ))
            .await;
        assert_eq!(report.status, StatusCode::OK, "{report:?}");
        let rows = report.body["items"].as_array().unwrap();
        let revenue: rust_decimal::Decimal = rows
            .iter()
            .map(|row| {
                row["revenue"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            })
            .sum();
        let charged: rust_decimal::Decimal = rows
            .iter()
            .map(|row| {
                row["charged"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            })
            .sum();
        assert_eq!(charged.to_string(), "8.00", "{basis}: {rows:?}");
        assert_eq!(revenue.to_string(), "6.00", "{basis}: {rows:?}");
    }
}
