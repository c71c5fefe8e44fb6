//! An imported open invoice is paid by a payment that names it (ADR 29): the payment credits the
//! account once (the imported balance already holds the debt), the invoice becomes paid, and the
//! balance, the statement, the payments and the reports agree to the cent.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use super::import::derived;

/// A bundle of one client who owes 15.47, the open invoice WH-1001 that documents it.
fn bundle() -> Value {
    json!({
        "source": "whmcs",
        "providers": [{"id": "p1", "name": "Moved Hosting", "currency": "EUR"}],
        "tariffs": [],
        "clients": [{"id": "c1", "provider": "p1", "name": "Client 1",
                     "email": "client1@example.com", "country": "DE",
                     "registered_on": "2021-06-01", "balance": "-15.47",
                     "credit_limit": "20.00"}],
        "services": [],
        "companies": [{"id": "co1", "provider": "p1", "name": "Moved Hosting GmbH",
                       "country": "DE", "address": "Main St 1\n10115 Berlin",
                       "invoice_prefix": "MH"}],
        "payers": [],
        "users": [],
        "invoices": [{"id": "i1", "client": "c1", "company": "co1", "number": "WH-1001",
                      "issued_on": "2026-12-10", "due_on": "2026-12-24", "tax_rate": "19",
                      "total": "15.47",
                      "lines": [{"description": "VDS M", "unit_price": "10.00"},
                                {"description": "Extra IPv4", "quantity": "2",
                                 "unit_price": "1.50"}]}],
    })
}

fn pay(client: &str, company: &str, invoice: &str, amount: &str, payment_id: Uuid) -> Value {
    json!({"payment_id": payment_id, "client_id": client, "company_id": company,
           "method": "cash", "amount": amount, "currency": "EUR", "invoice_id": invoice})
}

/// A server with the bundle imported and its company taking cash (staff-confirmed money):
/// the server, the client, the company and the open invoice WH-1001.
async fn imported_with_cash() -> (TestServer, String, String, String) {
    let (server, _clock) = TestServer::start_fixed().await;
    let imported = server.post("/v1/imports", bundle()).await;
    assert_eq!(imported.status, StatusCode::OK, "{:?}", imported.body);
    let company = derived("company", "co1");
    let method = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/payment-methods/cash"),
            Some(json!({"kind": "manual", "display_name": "Cash", "enabled": true})),
        )
        .await;
    assert_eq!(method.status, StatusCode::OK, "{method:?}");
    (
        server,
        derived("client", "c1"),
        company,
        derived("invoice", "i1"),
    )
}

async fn read(server: &TestServer, path: &str) -> Value {
    let head = server.settled().await;
    let sep = if path.contains('?') { '&' } else { '?' };
    let answer = server.get(&format!("{path}{sep}min_position={head}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_open_invoice_is_paid_in_two_instalments_that_name_it_each_credited_once() {
    // Arrange: the bundle imported; the company takes cash (staff-confirmed money).
    let (server, client, company, invoice) = imported_with_cash().await;
    server.settled().await;
    let before = server.event_count().await;

    // Act and assert: a payment asking for a proforma too, or naming an invoice the client does
    // not have, is refused with the reason, and nothing is written.
    let mut both = pay(&client, &company, &invoice, "20.00", Uuid::now_v7());
    both["proforma"] = json!(true);
    let both = server.post("/v1/payments", both).await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY, "{both:?}");
    assert_eq!(both.body["code"], "invoice_with_proforma", "{both:?}");
    let elsewhere = server
        .post(
            "/v1/payments",
            pay(
                &client,
                &company,
                &Uuid::now_v7().to_string(),
                "20.00",
                Uuid::now_v7(),
            ),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{elsewhere:?}");
    assert_eq!(server.event_count().await, before);

    // Act: the client pays 10.00 of the 15.47 naming the invoice (ADR 38).
    let first = server
        .post(
            "/v1/payments",
            pay(&client, &company, &invoice, "10.00", Uuid::now_v7()),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let part = read(&server, &format!("/v1/invoices/{invoice}")).await;
    assert_eq!(
        (&part["status"], &part["paid_in_part"]),
        (&json!("partially_paid"), &json!("10.00")),
        "{part}"
    );

    // Act: then 20.00 for the rest; the request is sent twice.
    let payment_id = Uuid::now_v7();
    let paid = server
        .post(
            "/v1/payments",
            pay(&client, &company, &invoice, "20.00", payment_id),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    assert_eq!(paid.body["status"], "credited");
    assert_eq!(paid.body["invoice_id"], invoice.as_str());
    let again = server
        .post(
            "/v1/payments",
            pay(&client, &company, &invoice, "20.00", payment_id),
        )
        .await;
    assert!(again.status.is_success(), "{again:?}");

    // Assert: the invoice is paid; each payment was credited once: -15.47 + 10.00 + 20.00.
    let shown = read(&server, &format!("/v1/invoices/{invoice}")).await;
    assert_eq!(shown["status"], "paid", "{shown}");
    assert_eq!(shown["gross"], "15.47");
    assert_eq!(shown["paid_in_part"], "10.00");
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(balance["accounts"][0]["balance"], "14.53", "{balance}");
    let statement = read(
        &server,
        &format!("/v1/clients/{client}/statement?limit=500"),
    )
    .await;
    let movements: Vec<(String, String, String)> = statement["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["amount"].as_str().unwrap().to_owned(),
                m["balance_after"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        movements,
        [
            ("opening_balance".into(), "-15.47".into(), "-15.47".into()),
            ("payment".into(), "10.00".into(), "-5.47".into()),
            ("payment".into(), "20.00".into(), "14.53".into()),
        ],
        "{statement}"
    );
    assert_eq!(statement["closing_balance"], "14.53");
    let payments = read(&server, &format!("/v1/payments?client_id={client}")).await;
    let items = payments["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{payments}");
    for (item, credited) in items.iter().zip(["10.00", "20.00"]) {
        assert_eq!(item["status"], "credited");
        assert_eq!(item["credited"], credited);
        assert_eq!(item["invoice_id"], invoice.as_str());
    }
    let report = read(
        &server,
        "/v1/reports/payments?from=2027-01-01&to=2028-01-01&group=month",
    )
    .await;
    let rows: Vec<(i64, String)> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["payments_count"].as_i64().unwrap(),
                r["payments_amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(rows, [(2, "30.00".to_owned())], "{report}");

    // A second payment naming the paid invoice is refused; nothing more is written.
    let before = server.event_count().await;
    let twice = server
        .post(
            "/v1/payments",
            pay(&client, &company, &invoice, "20.00", Uuid::now_v7()),
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "{twice:?}");
    assert_eq!(twice.body["code"], "invoice_already_paid", "{twice:?}");
    assert_eq!(server.event_count().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_that_arrives_short_pays_part_of_a_manual_invoice_and_the_next_pays_it() {
    // Arrange: a company taking bank transfers, a client, a manual invoice of 10.00 net.
    let (server, _clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Pia Payer").await;
    let method = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/payment-methods/bank"),
            Some(json!({"kind": "bank_transfer", "display_name": "Bank", "enabled": true})),
        )
        .await;
    assert_eq!(method.status, StatusCode::OK, "{method:?}");
    let invoice = Uuid::now_v7().to_string();
    let issued = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": invoice, "client_id": client, "company_id": company,
                   "lines": [{"description": "Migration work", "quantity": "1",
                              "unit_price": "10.00"}]}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    let gross: rust_decimal::Decimal =
        read(&server, &format!("/v1/invoices/{invoice}")).await["gross"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    let transfer = |amount: rust_decimal::Decimal| {
        json!({"payment_id": Uuid::now_v7(), "client_id": client, "company_id": company,
               "method": "bank", "amount": amount.to_string(), "currency": "EUR",
               "invoice_id": invoice})
    };

    // Act: a transfer of the whole invoice arrives 1.00 short.
    let first = server.post("/v1/payments", transfer(gross)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert_eq!(first.body["status"], "new");
    let first_id = first.body["id"].as_str().unwrap().to_owned();
    let short = gross - rust_decimal::Decimal::ONE;
    let confirmed = server
        .post(
            &format!("/v1/payments/{first_id}/confirm"),
            json!({"credited": short.to_string()}),
        )
        .await;
    assert!(confirmed.status.is_success(), "{confirmed:?}");

    // Assert: the account has what arrived; the invoice is paid in part, by that much (ADR 38).
    let shown = read(&server, &format!("/v1/invoices/{invoice}")).await;
    assert_eq!(shown["status"], "partially_paid", "{shown}");
    assert_eq!(shown["paid_in_part"], short.to_string(), "{shown}");
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(
        balance["accounts"][0]["balance"],
        short.to_string(),
        "{balance}"
    );

    // Act: a second transfer of the whole invoice arrives whole.
    let second = server.post("/v1/payments", transfer(gross)).await;
    assert_eq!(second.status, StatusCode::CREATED, "{second:?}");
    let second_id = second.body["id"].as_str().unwrap().to_owned();
    let confirmed = server
        .post(&format!("/v1/payments/{second_id}/confirm"), json!({}))
        .await;
    assert!(confirmed.status.is_success(), "{confirmed:?}");

    // Assert: paid; both transfers on the balance and the statement, once each.
    let shown = read(&server, &format!("/v1/invoices/{invoice}")).await;
    assert_eq!(shown["status"], "paid", "{shown}");
    let total = short + gross;
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(
        balance["accounts"][0]["balance"],
        total.to_string(),
        "{balance}"
    );
    let statement = read(
        &server,
        &format!("/v1/clients/{client}/statement?limit=500"),
    )
    .await;
    let amounts: Vec<&str> = statement["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "payment")
        .map(|m| m["amount"].as_str().unwrap())
        .collect();
    assert_eq!(
        amounts,
        [short.to_string(), gross.to_string()],
        "{statement}"
    );
    assert_eq!(statement["closing_balance"], total.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_credited_in_part_and_then_paid_shows_the_invoices_own_status() {
    // Arrange: the bundle imported (WH-1001, 15.47 with 19 % VAT); the company takes cash.
    let (server, client, company, invoice) = imported_with_cash().await;

    // Act: a credit note gives back 1.00 + 19 % = 1.19; the client pays the 14.28 left,
    // naming the invoice.
    let note = server
        .post(
            &format!("/v1/invoices/{invoice}/credit-notes"),
            json!({"credit_note_id": Uuid::now_v7(), "reason": "outage",
                   "lines": [{"description": "Outage", "quantity": "1", "unit_price": "1.00"}]}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{note:?}");
    let credited = read(&server, &format!("/v1/invoices/{invoice}")).await;
    assert_eq!(
        (&credited["status"], &credited["credited"]),
        (&json!("partially_credited"), &json!("1.19")),
        "{credited}"
    );
    let paid = server
        .post(
            "/v1/payments",
            pay(&client, &company, &invoice, "14.28", Uuid::now_v7()),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");

    // Assert: nothing is left to pay (a further payment naming it is refused), and the read
    // model shows the status the `Invoice` decides: its credit note's, which stands over the
    // payment (it used to say `paid` here, a second copy of the rule that had drifted).
    let shown = read(&server, &format!("/v1/invoices/{invoice}")).await;
    assert_eq!(shown["status"], "partially_credited", "{shown}");
    let more = server
        .post(
            "/v1/payments",
            pay(&client, &company, &invoice, "1.00", Uuid::now_v7()),
        )
        .await;
    assert_eq!(more.status, StatusCode::UNPROCESSABLE_ENTITY, "{more:?}");
    assert_eq!(more.body["code"], "invoice_already_paid", "{more:?}");
}
