//! The ledger an accountant signs (issue 14): a charge carries its VAT, so the balance, the
//! statement, the expenses and the monthly invoice agree to the cent; the monthly invoice has
//! every movement of the month; a month is invoiced only once it has ended.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use crate::invoicing::{company, tax_rules};

/// The balance, the statement's closing balance and its movements, and the expenses of `client`.
async fn ledger(server: &TestServer, client: &str) -> (String, String, Value, Value) {
    let head = server.settled().await;
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
    server.settled().await;

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

// A prepaid client's payment gets a tax invoice (issue 14.7).

/// A provider with a company that adds 19 % VAT for clients in Germany and issues its prepaid
/// clients' tax documents as `tax_document` says; returns the provider's and the company's ids.
async fn provider_adding_vat(server: &TestServer, tax_document: &str) -> (String, String) {
    let provider = server.provider("EUR").await;
    let company = company(server, &provider, "DE", "yearly").await;
    german_vat_added(server, &company, tax_document).await;
    (provider, company)
}

/// `company` adds 19 % VAT for German clients and documents prepaid clients by `tax_document`.
async fn german_vat_added(server: &TestServer, company: &str, tax_document: &str) {
    tax_rules(
        server,
        company,
        json!({
            "rules": [{ "country": "DE", "rate": "19", "mode": "added", "reverse_charge": false }],
            "tax_document": tax_document,
        }),
    )
    .await;
}

/// The invoices of `client`, once every process has finished.
async fn invoices_of(server: &TestServer, client: &str) -> Vec<Value> {
    let head = server.settled().await;
    let list = server
        .get(&format!(
            "/v1/invoices?client_id={client}&min_position={head}"
        ))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    list.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_prepaid_payment_gets_one_paid_prepayment_invoice_with_the_vat_taken_out_of_it() {
    // Arrange: 19 % added for Germany, tax document on payment, a prepaid client in Germany.
    let (server, _clock) = TestServer::start_fixed().await;
    let (provider, _) = provider_adding_vat(&server, "on_payment").await;
    let client = server.client(&provider, "Pre Paid").await;
    let payment = json!({
        "payment_id": Uuid::now_v7(), "amount": "119.00", "currency": "EUR",
        "method": "bank_transfer",
    });

    // Act: the client pays 119.00.
    let paid = server
        .post(&format!("/v1/clients/{client}/payments"), payment.clone())
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");

    // Assert: one tax invoice of the payment: 119.00 holds 119.00 / 1.19 = 100.00 net and
    // 19.00 VAT; it is paid, because the money is already there.
    let invoices = invoices_of(&server, &client).await;
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    let invoice = &invoices[0];
    assert_eq!(invoice["kind"], "prepayment");
    assert_eq!(invoice["status"], "paid");
    assert_eq!(invoice["net"], "100.00");
    assert_eq!(invoice["tax"], "19.00");
    assert_eq!(invoice["gross"], "119.00");
    assert_eq!(invoice["currency"], "EUR");
    let number = invoice["number"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("INV"),
        "the tax-invoice series: {number}"
    );

    // Act: the same payment is posted again, then the process is replayed from the start of the
    // log (a restart that lost its checkpoint).
    let again = server
        .post(&format!("/v1/clients/{client}/payments"), payment)
        .await;
    assert!(again.status.is_success(), "{again:?}");
    server.settled().await;
    let state = &server.running.as_ref().unwrap().state;
    sqlx::query(
        "UPDATE projection_checkpoints SET tx_id = '0'::xid8, position = 0
          WHERE name = 'prepayment_invoices'",
    )
    .execute(&server.db.pool)
    .await
    .unwrap();
    let replay = api::usecases::process::prepayment::Prepayments::new(state.store.clone());
    let replayed = projections::engine::catch_up(&server.db.pool, &replay, 1000)
        .await
        .unwrap();
    assert!(replayed > 0, "the replay read the log again");

    // Assert: still one invoice, with its number.
    let invoices = invoices_of(&server, &client).await;
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    assert_eq!(invoices[0]["number"], number.as_str());
}

#[tokio::test]
async fn a_payment_made_before_the_provider_had_a_company_gets_no_invoice_later() {
    // Arrange: a prepaid client pays while its provider has no company.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Early Payer").await;
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({
                "payment_id": Uuid::now_v7(), "amount": "119.00", "currency": "EUR",
                "method": "bank_transfer",
            }),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    server.settled().await;

    // Act: the company comes, documenting payments; the process is replayed from the start.
    company(&server, &provider, "DE", "yearly").await;
    server.settled().await;
    sqlx::query(
        "UPDATE projection_checkpoints SET tx_id = '0'::xid8, position = 0
          WHERE name = 'prepayment_invoices'",
    )
    .execute(&server.db.pool)
    .await
    .unwrap();
    let state = &server.running.as_ref().unwrap().state;
    let replay = api::usecases::process::prepayment::Prepayments::new(state.store.clone());
    projections::engine::catch_up(&server.db.pool, &replay, 1000)
        .await
        .unwrap();

    // Assert: the payment is documented as things stood when it arrived.
    assert_eq!(invoices_of(&server, &client).await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_credit_limit_set_after_the_month_does_not_document_its_payments_twice() {
    // Arrange: tax documents on payment; a prepaid client in Germany pays 119.00 in January
    // (its prepayment invoice documents it) and is charged for a VDS; on Feb 3, after January
    // ended, staff give it a credit limit.
    let (server, _clock, client, _) = prepaid_january().await;
    let limit = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{client}/credit-limit"),
            Some(json!({ "amount": "100.00", "currency": "EUR" })),
        )
        .await;
    assert_eq!(limit.status, StatusCode::OK, "{limit:?}");

    // Act
    let run = server
        .post("/v1/invoices/monthly", json!({ "month": "2027-01" }))
        .await;

    // Assert: the client was prepaid all January, so its payment's invoice is January's only
    // tax document; a monthly invoice would have charged the same VAT on paper again.
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    assert_eq!(kinds(&server, &client).await, ["prepayment"]);
}

#[tokio::test]
async fn a_tax_document_chosen_after_the_month_does_not_document_its_payments_twice() {
    // Arrange: the same January; on Feb 3 the company switches to monthly consumption invoices.
    let (server, _clock, client, company) = prepaid_january().await;
    german_vat_added(&server, &company, "monthly_consumption").await;

    // Act
    let run = server
        .post("/v1/invoices/monthly", json!({ "month": "2027-01" }))
        .await;

    // Assert: January was documented on payment, as the company chose then.
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    assert_eq!(kinds(&server, &client).await, ["prepayment"]);
}

/// The kinds of `client`'s invoices.
async fn kinds(server: &TestServer, client: &str) -> Vec<String> {
    invoices_of(server, client)
        .await
        .iter()
        .map(|invoice| invoice["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// A prepaid client in Germany of a company documenting payments, who paid 119.00 on Jan 1,
/// 2027 and was charged for a VDS; the clock is then on Feb 3. Returns the server, its clock,
/// the client and the company.
async fn prepaid_january() -> (
    TestServer,
    std::sync::Arc<eventstore::clock::FixedClock>,
    String,
    String,
) {
    let (server, clock) = TestServer::start_fixed().await;
    let (provider, company) = provider_adding_vat(&server, "on_payment").await;
    let client = server.client(&provider, "Pre Paid").await;
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({ "payment_id": Uuid::now_v7(), "amount": "119.00", "currency": "EUR",
                    "method": "bank_transfer" }),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({ "provider_id": provider, "name": "VDS S", "item_type": "vds",
                    "prices": [{ "period": "P1M",
                                 "price": { "amount": "8.00", "currency": "EUR" } }] }),
        )
        .await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    server.settled().await;
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({ "tariff_id": tariff.body["id"], "period": "P1M" }),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    clock.set(tests::t0() + chrono::Duration::days(33));
    (server, clock, client, company)
}

#[tokio::test]
async fn no_prepayment_invoice_under_monthly_consumption_nor_for_a_post_paid_client() {
    // Arrange: a company that documents its prepaid clients' consumption monthly, and one that
    // documents payments, whose client is post-paid (it gets a monthly invoice).
    let server = TestServer::start().await;
    let (monthly, _) = provider_adding_vat(&server, "monthly_consumption").await;
    let prepaid = server.client(&monthly, "Monthly Consumer").await;
    let (on_payment, _) = provider_adding_vat(&server, "on_payment").await;
    let post_paid = server.client(&on_payment, "Post Paid").await;
    let limit = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{post_paid}/credit-limit"),
            Some(json!({ "amount": "100.00", "currency": "EUR" })),
        )
        .await;
    assert_eq!(limit.status, StatusCode::OK, "{limit:?}");

    // Act
    for client in [&prepaid, &post_paid] {
        let paid = server
            .post(
                &format!("/v1/clients/{client}/payments"),
                json!({
                    "payment_id": Uuid::now_v7(), "amount": "119.00", "currency": "EUR",
                    "method": "bank_transfer",
                }),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    }

    // Assert
    assert_eq!(invoices_of(&server, &prepaid).await, Vec::<Value>::new());
    assert_eq!(invoices_of(&server, &post_paid).await, Vec::<Value>::new());
}

#[tokio::test]
async fn the_workers_pool_has_a_connection_for_each_process_manager_and_the_group() {
    // The budget of api::http::server: the read models' group worker, one per worker that runs
    // alone (the process managers), LISTEN and the backlog counts.
    let server = TestServer::start().await;
    let state = &server.running.as_ref().unwrap().state;
    let alone = projections::all()
        .iter()
        .chain(api::usecases::process::all(state.store.clone()).iter())
        .filter(|worker| worker.runs_alone())
        .count();
    assert_eq!(
        alone, 9,
        "settlement, payments, invoicing, prepayments, merges, domain contacts, user directories, \
         affiliate commissions, price changes"
    );
    assert!(
        u32::try_from(alone + 3).unwrap() <= api::node::WORKER_CONNECTIONS,
        "{alone} workers alone + 3 > {}",
        api::node::WORKER_CONNECTIONS
    );
}

#[tokio::test]
async fn a_paid_proforma_is_no_tax_document_so_its_payment_gets_a_prepayment_invoice() {
    // Arrange: 19 % added, on payment; a manual method, so a payment is credited at once.
    let server = TestServer::start().await;
    let (provider, company) = provider_adding_vat(&server, "on_payment").await;
    let method = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/payment-methods/cash"),
            Some(json!({"kind": "manual", "display_name": "Cash", "enabled": true})),
        )
        .await;
    assert!(method.status.is_success(), "{method:?}");
    let client = server.client(&provider, "Proforma Payer").await;

    // Act: the client pays 119.00 against a proforma, through the payment's lifecycle.
    let paid = server
        .post(
            "/v1/payments",
            json!({"payment_id": Uuid::now_v7(), "client_id": client, "company_id": company,
                   "method": "cash", "amount": "119.00", "currency": "EUR", "proforma": true}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    assert_eq!(paid.body["status"], "credited");

    // Assert: the proforma is paid, and the tax document is the prepayment invoice.
    let invoices = invoices_of(&server, &client).await;
    let mut kinds: Vec<(&str, &str, &str)> = invoices
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap(),
                i["status"].as_str().unwrap(),
                i["tax"].as_str().unwrap(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds.iter().map(|k| (k.0, k.1)).collect::<Vec<_>>(),
        [("prepayment", "paid"), ("proforma", "paid")],
        "{invoices:?}"
    );
    assert_eq!(
        kinds[0].2, "19.00",
        "the prepayment invoice takes out the VAT"
    );
}

#[tokio::test]
async fn a_prepayment_invoice_is_made_out_to_the_payer_and_by_the_company_the_payment_names() {
    // Arrange: the provider's first company and a second one, both German, adding 19 % for
    // Germany and reverse-charging French businesses, documenting payments; a German client
    // pays through its French company (a payer with a VAT number), to the second company.
    let server = TestServer::start().await;
    let (provider, _first) = provider_adding_vat(&server, "on_payment").await;
    let second = company(&server, &provider, "DE", "yearly").await;
    tax_rules(
        &server,
        &second,
        json!({
            "rules": [
                { "country": "DE", "rate": "19", "mode": "added", "reverse_charge": false },
                { "country": "FR", "rate": "20", "mode": "added", "reverse_charge": true },
            ],
            "tax_document": "on_payment",
        }),
    )
    .await;
    let method = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{second}/payment-methods/cash"),
            Some(json!({"kind": "manual", "display_name": "Cash", "enabled": true})),
        )
        .await;
    assert!(method.status.is_success(), "{method:?}");
    let client = server.client(&provider, "Payer Client").await;
    let payer = Uuid::now_v7();
    let added = server
        .post(
            &format!("/v1/clients/{client}/payers"),
            json!({ "payer_id": payer, "kind": "company", "name": "Paris SARL",
                    "country": "FR", "vat_number": "FR12345678901" }),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{added:?}");

    // Act: 100.00 against a proforma, made out to the payer, to the second company.
    let paid = server
        .post(
            "/v1/payments",
            json!({"payment_id": Uuid::now_v7(), "client_id": client, "company_id": second,
                   "payer_id": payer, "method": "cash", "amount": "100.00", "currency": "EUR",
                   "proforma": true}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");

    // Assert: the tax document agrees with the proforma: the same seller, the same buyer, no
    // VAT (reverse charge).
    let invoices = invoices_of(&server, &client).await;
    let of = |kind: &str| {
        invoices
            .iter()
            .find(|i| i["kind"] == kind)
            .unwrap_or_else(|| panic!("a {kind} in {invoices:?}"))
            .clone()
    };
    let (proforma, prepayment) = (of("proforma"), of("prepayment"));
    for invoice in [&proforma, &prepayment] {
        assert_eq!(invoice["company_id"], second.as_str(), "{invoice}");
        assert_eq!(invoice["tax"], "0.00", "{invoice}");
        assert_eq!(invoice["gross"], "100.00", "{invoice}");
    }
    assert_eq!(
        prepayment["document"]["payer"]["name"], proforma["document"]["payer"]["name"],
        "{prepayment}"
    );
    assert_eq!(prepayment["document"]["payer"]["name"], "Paris SARL");
}
