//! Payments over HTTP: converted payments, the gateway lifecycle with its proforma, refunds,
//! fraud, expense corrections, and the statement against the balances read model.

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use crate::invoicing::company;

async fn head(server: &TestServer) -> i64 {
    eventstore::log::head_position(&server.db.pool)
        .await
        .unwrap()
}

async fn balance(server: &TestServer, client: &str) -> String {
    let head = head(server).await;
    let answer = server
        .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
        .await;
    answer.body["accounts"][0]["balance"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn statement(server: &TestServer, client: &str) -> Value {
    let head = head(server).await;
    server
        .get(&format!(
            "/v1/clients/{client}/statement?limit=500&min_position={head}"
        ))
        .await
        .body
}

async fn pay_directly(server: &TestServer, client: &str, amount: &str) -> String {
    let id = Uuid::now_v7().to_string();
    let answer = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({ "payment_id": id, "amount": amount, "currency": "EUR", "method": "bank_transfer" }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    id
}

pub(crate) async fn method(server: &TestServer, company: &str, method: &str, kind: &str) {
    let answer = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/payment-methods/{method}"),
            Some(json!({ "kind": kind, "display_name": method, "enabled": true })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
}

#[tokio::test]
async fn a_payment_of_100_usd_to_a_eur_account_credits_the_converted_amount_and_the_statement_shows_both()
 {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Converted Client").await;
    for (date, rate) in [("2027-01-01", "0.9234"), ("2027-02-01", "0.9500")] {
        let set = server
            .call(
                Method::PUT,
                "/v1/currencies/USD/rates",
                Some(json!({ "effective_from": date, "rates": { "EUR": rate } })),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{set:?}");
    }

    // Act
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({
                "payment_id": Uuid::now_v7(),
                "amount": "100.00",
                "currency": "USD",
                "method": "card",
                "received_on": "2027-01-15",
            }),
        )
        .await;

    // Assert
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    assert_eq!(balance(&server, &client).await, "92.34");
    let statement = statement(&server, &client).await;
    let movement = &statement["items"][0];
    assert_eq!(movement["amount"], "92.34");
    assert_eq!(movement["details"]["paid"], "100.00");
    assert_eq!(movement["details"]["paid_currency"], "USD");
    assert_eq!(movement["details"]["rate"], "0.9234");
    assert_eq!(movement["details"]["rate_date"], "2027-01-01");
    assert!(
        movement["description"]
            .as_str()
            .unwrap()
            .contains("100.00 USD")
    );
    let head = head(&server).await;
    let listed = server
        .get(&format!(
            "/v1/payments?client_id={client}&min_position={head}"
        ))
        .await;
    let payment = &listed.body["items"][0];
    assert_eq!(
        (payment["amount"].as_str(), payment["currency"].as_str()),
        (Some("100.00"), Some("USD"))
    );
    assert_eq!(payment["credited"], "92.34");
    assert_eq!(payment["rate"], "0.9234");
}

#[tokio::test]
async fn a_payment_without_a_rate_for_its_day_is_refused_and_writes_nothing() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Early Client").await;
    let set = server
        .call(
            Method::PUT,
            "/v1/currencies/USD/rates",
            Some(json!({ "effective_from": "2027-02-01", "rates": { "EUR": "0.95" } })),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    let before = server.event_count().await;

    // Act
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({ "payment_id": Uuid::now_v7(), "amount": "10.00", "currency": "USD",
                    "method": "card", "received_on": "2027-01-31" }),
        )
        .await;

    // Assert
    assert_eq!(paid.status, StatusCode::UNPROCESSABLE_ENTITY, "{paid:?}");
    assert_eq!(paid.content_type, "application/problem+json");
    assert_eq!(paid.body["code"], "no_exchange_rate");
    assert_eq!(server.event_count().await, before);
}

#[tokio::test]
async fn a_gateway_payment_goes_new_in_progress_credited_once_and_pays_its_proforma() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    method(&server, &company, "card", "card_gateway").await;
    let client = server.client(&provider, "Card Client").await;
    let payment_id = Uuid::now_v7().to_string();

    // Act
    let created = server
        .post(
            "/v1/payments",
            json!({ "payment_id": payment_id, "client_id": client, "company_id": company,
                    "method": "card", "amount": "25.00", "currency": "EUR", "proforma": true }),
        )
        .await;
    let started = server
        .post(
            &format!("/v1/payments/{payment_id}/start"),
            json!({ "external_id": "ch_3PXk9" }),
        )
        .await;
    let confirm_path = format!("/v1/payments/{payment_id}/confirm");
    let confirmations = futures::future::join_all(
        (0..5).map(|_| server.post(&confirm_path, json!({ "external_id": "ch_3PXk9" }))),
    )
    .await;
    let forged = server
        .post(
            &format!("/v1/payments/{payment_id}/confirm"),
            json!({ "external_id": "ch_other" }),
        )
        .await;

    // Assert
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["status"], "new");
    assert!(
        created.body["invoice_number"]
            .as_str()
            .unwrap()
            .starts_with("PF-INV2")
    );
    assert_eq!(started.status, StatusCode::OK, "{started:?}");
    for confirmed in &confirmations {
        assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:?}");
    }
    assert_eq!(
        forged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{forged:?}"
    );
    assert_eq!(
        balance(&server, &client).await,
        "25.00",
        "credited exactly once"
    );
    let head = head(&server).await;
    let payment = server
        .get(&format!("/v1/payments/{payment_id}?min_position={head}"))
        .await;
    assert_eq!(payment.body["status"], "credited");
    assert_eq!(payment.body["external_id"], "ch_3PXk9");
    let invoice_id = created.body["invoice_id"].as_str().unwrap();
    let invoice = server
        .get(&format!("/v1/invoices/{invoice_id}?min_position={head}"))
        .await;
    assert_eq!(invoice.body["status"], "paid");
    assert_eq!(invoice.body["kind"], "proforma");
    assert_eq!(invoice.body["gross"], "25.00");
    // A proforma is no tax document: the invoice refuses a credit note, and nothing is written.
    let before = server.event_count().await;
    let credited = server
        .post(
            &format!("/v1/invoices/{invoice_id}/credit-notes"),
            json!({"credit_note_id": Uuid::now_v7(), "reason": "cancelled order"}),
        )
        .await;
    assert_eq!(
        credited.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{credited:?}"
    );
    assert_eq!(credited.body["code"], "proforma_not_creditable");
    assert_eq!(server.event_count().await, before);
}

#[tokio::test]
async fn a_manual_payment_is_credited_at_once_and_a_disabled_method_is_refused() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    method(&server, &company, "cash", "manual").await;
    let disabled = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/payment-methods/wire"),
            Some(json!({ "kind": "bank_transfer", "display_name": "Wire", "enabled": false })),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");
    let client = server.client(&provider, "Cash Client").await;

    // Act
    let cash = server
        .post(
            "/v1/payments",
            json!({ "payment_id": Uuid::now_v7(), "client_id": client, "company_id": company,
                    "method": "cash", "amount": "40.00", "currency": "EUR" }),
        )
        .await;
    // The cash payment's tax invoice (issue 14.7) is written by a process; let it finish.
    server.settled().await;
    let before = server.event_count().await;
    let wire = server
        .post(
            "/v1/payments",
            json!({ "payment_id": Uuid::now_v7(), "client_id": client, "company_id": company,
                    "method": "wire", "amount": "40.00", "currency": "EUR" }),
        )
        .await;

    // Assert
    assert_eq!(cash.status, StatusCode::CREATED, "{cash:?}");
    assert_eq!(cash.body["status"], "credited");
    assert_eq!(balance(&server, &client).await, "40.00");
    assert_eq!(wire.status, StatusCode::UNPROCESSABLE_ENTITY, "{wire:?}");
    assert_eq!(wire.body["code"], "payment_method_not_available");
    assert_eq!(server.event_count().await, before);
}

#[tokio::test]
async fn a_refund_larger_than_the_unallocated_money_is_refused_and_a_smaller_one_is_paid_back() {
    // Arrange: 100 paid, 70 of it spent.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Refunded Client").await;
    let payment = pay_directly(&server, &client, "100.00").await;
    let spent = server
        .post(
            &format!("/v1/clients/{client}/adjustments"),
            json!({ "adjustment_id": Uuid::now_v7(), "amount": "-70.00", "currency": "EUR",
                    "reason": "services used" }),
        )
        .await;
    assert_eq!(spent.status, StatusCode::CREATED, "{spent:?}");
    let before = server.event_count().await;

    // Act
    let too_much = server
        .post(
            &format!("/v1/payments/{payment}/refunds"),
            json!({ "refund_id": Uuid::now_v7(), "amount": "30.01", "reason": "client asked" }),
        )
        .await;
    let written_by_refusal = server.event_count().await - before;
    let refund_id = Uuid::now_v7();
    let refund = json!({ "refund_id": refund_id, "amount": "30.00", "reason": "client asked" });
    let refunded = server
        .post(&format!("/v1/payments/{payment}/refunds"), refund.clone())
        .await;
    let again = server
        .post(&format!("/v1/payments/{payment}/refunds"), refund)
        .await;

    // Assert
    assert_eq!(
        too_much.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{too_much:?}"
    );
    assert_eq!(too_much.content_type, "application/problem+json");
    assert_eq!(too_much.body["code"], "refund_exceeds_unallocated");
    assert_eq!(written_by_refusal, 0);
    assert_eq!(refunded.status, StatusCode::CREATED, "{refunded:?}");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(balance(&server, &client).await, "0.00");
    let head = head(&server).await;
    let listed = server
        .get(&format!("/v1/payments/{payment}?min_position={head}"))
        .await;
    assert_eq!(listed.body["status"], "partially_refunded");
    assert_eq!(listed.body["refunded"], "30.00");
}

#[tokio::test]
async fn a_payment_marked_as_fraud_is_taken_back_even_into_debt() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    method(&server, &company, "card", "card_gateway").await;
    let client = server.client(&provider, "Fraud Client").await;
    let payment_id = Uuid::now_v7().to_string();
    let created = server
        .post(
            "/v1/payments",
            json!({ "payment_id": payment_id, "client_id": client, "company_id": company,
                    "method": "card", "amount": "50.00", "currency": "EUR" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let confirmed = server
        .post(&format!("/v1/payments/{payment_id}/confirm"), json!({}))
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:?}");
    let spent = server
        .post(
            &format!("/v1/clients/{client}/adjustments"),
            json!({ "adjustment_id": Uuid::now_v7(), "amount": "-20.00", "currency": "EUR",
                    "reason": "services used" }),
        )
        .await;
    assert_eq!(spent.status, StatusCode::CREATED);

    // Act
    let marked = server
        .post(
            &format!("/v1/payments/{payment_id}/fraud"),
            json!({ "reason": "chargeback from the card issuer" }),
        )
        .await;
    let twice = server
        .post(
            &format!("/v1/payments/{payment_id}/fraud"),
            json!({ "reason": "again" }),
        )
        .await;

    // Assert
    assert_eq!(marked.status, StatusCode::OK, "{marked:?}");
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "{twice:?}");
    assert_eq!(balance(&server, &client).await, "-20.00");
    let head = head(&server).await;
    let payment = server
        .get(&format!("/v1/payments/{payment_id}?min_position={head}"))
        .await;
    assert_eq!(payment.body["status"], "fraud");
}

#[tokio::test]
async fn the_statements_running_balance_always_equals_the_balances_read_model() {
    // Arrange: every kind of movement, interleaved.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Busy Client").await;
    let mut payments = Vec::new();
    for round in 0..6 {
        payments.push(pay_directly(&server, &client, &format!("{}.25", 10 + round)).await);
        let adjusted = server
            .post(
                &format!("/v1/clients/{client}/adjustments"),
                json!({ "adjustment_id": Uuid::now_v7(), "amount": format!("-{round}.10"),
                        "currency": "EUR", "reason": "usage" }),
            )
            .await;
        assert_eq!(adjusted.status, StatusCode::CREATED, "{adjusted:?}");
    }
    let refund = server
        .post(
            &format!("/v1/payments/{}/refunds", payments[2]),
            json!({ "refund_id": Uuid::now_v7(), "amount": "5.55", "reason": "goodwill" }),
        )
        .await;
    assert_eq!(refund.status, StatusCode::CREATED, "{refund:?}");

    // Act
    let statement = statement(&server, &client).await;
    let balance = balance(&server, &client).await;

    // Assert
    let items = statement["items"].as_array().unwrap();
    assert_eq!(items.len(), 13);
    let mut running = Decimal::ZERO;
    for item in items {
        running += item["amount"].as_str().unwrap().parse::<Decimal>().unwrap();
        assert_eq!(
            running,
            item["balance_after"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap(),
            "{item}"
        );
    }
    assert_eq!(statement["closing_balance"].as_str().unwrap(), balance);
    assert_eq!(running.to_string(), balance);
}

#[tokio::test]
async fn staff_void_part_and_then_the_rest_of_an_expense_and_the_money_returns() {
    // Arrange: a client charged for a service.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Corrected Client").await;
    pay_directly(&server, &client, "30.00").await;
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({ "provider_id": provider, "name": "Hosting", "item_type": "shared_hosting",
                    "prices": [{ "period": "P1M", "price": { "amount": "12.00", "currency": "EUR" } }] }),
        )
        .await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({ "tariff_id": tariff.body["id"], "period": "P1M", "addons": [] }),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let mut expense = None;
    for _ in 0..200 {
        let head = head(&server).await;
        let listed = server
            .get(&format!(
                "/v1/clients/{client}/expenses?min_position={head}"
            ))
            .await;
        if let Some(id) = listed.body["items"][0]["id"].as_str() {
            expense = Some(id.to_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let expense = expense.expect("the order was charged");

    // Act
    let part = server
        .post(
            &format!("/v1/expenses/{expense}/corrections"),
            json!({ "correction_id": Uuid::now_v7(), "amount": "2.00", "reason": "outage" }),
        )
        .await;
    let too_much = server
        .post(
            &format!("/v1/expenses/{expense}/corrections"),
            json!({ "correction_id": Uuid::now_v7(), "amount": "10.01", "reason": "outage" }),
        )
        .await;
    let void = server
        .post(
            &format!("/v1/expenses/{expense}/corrections"),
            json!({ "correction_id": Uuid::now_v7(), "reason": "never delivered" }),
        )
        .await;

    // Assert
    assert_eq!(part.status, StatusCode::CREATED, "{part:?}");
    assert_eq!(
        too_much.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{too_much:?}"
    );
    assert_eq!(too_much.body["code"], "correction_exceeds_expense");
    assert_eq!(void.status, StatusCode::CREATED, "{void:?}");
    assert_eq!(balance(&server, &client).await, "30.00");
    let statement = statement(&server, &client).await;
    let kinds: Vec<&str> = statement["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["payment", "charge", "correction", "void"]);
}

#[tokio::test]
async fn a_crash_between_the_steps_of_a_payment_and_an_invoice_is_finished_by_the_processes() {
    // Arrange: the log as a crash leaves it: a payment credited but its account not yet, and
    // an invoice drafted but not yet numbered.
    use domain::account::{PaymentMethod, PaymentMethodKind};
    use domain::client::{ClientCommand, ClientKind, ClientName, Country, Email};
    use domain::company::{CompanyCommand, InvoiceNumbering, NumberingReset};
    use domain::ids::{ClientId, CompanyId, InvoiceId, PaymentId, ProviderId};
    use domain::invoice::{InvoiceCommand, InvoiceKind};
    use domain::money::{Currency, Money};
    use domain::payment::PaymentCommand;
    use domain::provider::ProviderCommand;
    use eventstore::metadata::{Actor, CommandContext};
    use std::sync::Arc;

    let db = tests::TestDb::new().await;
    let clock = Arc::new(eventstore::clock::SystemClock);
    let store = eventstore::EventStore::new(db.pool.clone(), clock.clone());
    let context = CommandContext::new(Actor::System("before the crash".to_owned()));
    let eur = Currency::parse("EUR").unwrap();
    let provider = ProviderId::from_uuid(Uuid::now_v7());
    let client = ClientId::from_uuid(Uuid::now_v7());
    let company = CompanyId::from_uuid(Uuid::now_v7());
    let payment = PaymentId::from_uuid(Uuid::now_v7());
    let invoice = InvoiceId::from_uuid(Uuid::now_v7());
    let today = chrono::Utc::now().date_naive();
    store
        .execute::<domain::provider::Provider>(
            &provider.to_string(),
            ProviderCommand::CreateProvider {
                provider_id: provider,
                name: "P".to_owned(),
                currency: eur,
                sandbox: false,
                created_at: chrono::Utc::now(),
            },
            &context,
            &[],
        )
        .await
        .unwrap();
    store
        .execute::<domain::client::Client>(
            &client.to_string(),
            ClientCommand::RegisterClient {
                client_id: client,
                provider_id: provider,
                currency: eur,
                name: ClientName::parse("Crash Client").unwrap(),
                email: Email::parse("crash@example.com").unwrap(),
                kind: ClientKind::Individual,
                country: Country::parse("DE").unwrap(),
            },
            &context,
            &[],
        )
        .await
        .unwrap();
    store
        .execute::<domain::company::Company>(
            &company.to_string(),
            CompanyCommand::CreateCompany {
                company_id: company,
                provider_id: provider,
                name: "Seller".to_owned(),
                country: Country::parse("NL").unwrap(),
                vat_number: None,
                address: "Street 1".to_owned(),
                numbering: InvoiceNumbering::new("R", NumberingReset::Never).unwrap(),
            },
            &context,
            &[],
        )
        .await
        .unwrap();
    for command in [
        PaymentCommand::CreatePayment {
            payment_id: payment,
            client_id: client,
            provider_id: provider,
            company_id: company,
            method: PaymentMethod::parse("card").unwrap(),
            method_kind: PaymentMethodKind::CardGateway,
            amount: Money::parse("33.30", eur).unwrap(),
            account_currency: eur,
            invoice_id: None,
            created_on: today,
            payer_id: None,
            initiated_by: domain::payment::Initiator::Staff,
            to_gateway_module: false,
        },
        PaymentCommand::ConfirmPayment {
            external_id: None,
            credited: Money::parse("33.30", eur).unwrap(),
            conversion: None,
            confirmed_on: today,
        },
    ] {
        store
            .execute::<domain::payment::Payment>(&payment.to_string(), command, &context, &[])
            .await
            .unwrap();
    }
    let client_state = store
        .load::<domain::client::Client>(&client.to_string())
        .await
        .unwrap()
        .aggregate;
    let seller = store
        .load::<domain::company::Company>(&company.to_string())
        .await
        .unwrap()
        .aggregate
        .seller()
        .unwrap();
    store
        .execute::<domain::invoice::Invoice>(
            &invoice.to_string(),
            InvoiceCommand::DraftInvoice {
                invoice_id: invoice,
                kind: InvoiceKind::Manual,
                provider_id: provider,
                company_id: company,
                client_id: client,
                seller,
                payer: api::usecases::payers::payer_of(&client_state, client.as_uuid()).unwrap(),
                currency: eur,
                lines: vec![domain::tax::LineInput::new(
                    "Work",
                    Decimal::ONE,
                    Money::parse("10.00", eur).unwrap(),
                )],
                recorded: Vec::new(),
                drafted_on: today,
                treatment: domain::tax::TaxTreatment::NotTaxed,
                issued_on: today,
                due_on: today,
                payment_id: None,
                period: None,
                corrects: None,
                note: None,
            },
            &context,
            &[],
        )
        .await
        .unwrap();

    // Act: the server starts over that log and its processes run.
    let server = TestServer::start_on(db, clock).await;
    let client = client.to_string();
    let mut credited = String::new();
    let mut number = Value::Null;
    // The credited payment of a prepaid client also gets its tax invoice (issue 14.7).
    let prepayment = InvoiceId::prepayment(payment);
    let mut prepayment_number = Value::Null;
    for _ in 0..200 {
        credited = balance(&server, &client).await;
        let head = head(&server).await;
        number = server
            .get(&format!("/v1/invoices/{invoice}?min_position={head}"))
            .await
            .body["number"]
            .clone();
        let tax_invoice = server
            .get(&format!("/v1/invoices/{prepayment}?min_position={head}"))
            .await
            .body;
        prepayment_number = tax_invoice["number"].clone();
        if credited == "33.30" && number.is_string() && tax_invoice["status"] == "paid" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let events = server.event_count().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    // Assert
    assert_eq!(
        credited, "33.30",
        "the payment process credited the account"
    );
    // The two documents share the company's book; which is numbered first is up to the
    // processes.
    let mut numbers = [number, prepayment_number];
    numbers.sort_by_key(ToString::to_string);
    assert_eq!(
        numbers,
        [json!("R000001"), json!("R000002")],
        "the invoicing process numbered the draft, the prepayment process issued the payment's \
         tax invoice"
    );
    assert_eq!(
        server.event_count().await,
        events,
        "and nothing more happens"
    );
}

/// Sends `body` to `path` with `token` instead of the administrator's.
async fn post_as(server: &TestServer, token: &str, path: &str, body: Value) -> tests::Answer {
    let request = server
        .http
        .post(format!("{}{path}", server.url))
        .bearer_auth(token)
        .json(&body);
    tests::answer(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_gateway_cannot_credit_more_than_was_paid_and_refunds_stay_within_what_arrived() {
    // Arrange: a payment of 5.00 EUR at the company's card gateway, and the gateway's token.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    method(&server, &company, "card", "card_gateway").await;
    let client = server.client(&provider, "Small Payer").await;
    let gateway = server
        .post(
            "/v1/service-tokens",
            json!({ "name": "payment gateway", "scopes": ["payments.confirm"] }),
        )
        .await;
    assert_eq!(gateway.status, StatusCode::CREATED, "{gateway:?}");
    let gateway = gateway.body["token"].as_str().unwrap().to_owned();
    let payment_id = Uuid::now_v7().to_string();
    let created = server
        .post(
            "/v1/payments",
            json!({ "payment_id": payment_id, "client_id": client, "company_id": company,
                    "method": "card", "amount": "5.00", "currency": "EUR" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let confirm_path = format!("/v1/payments/{payment_id}/confirm");
    let before = server.event_count().await;

    // Act
    let inflated = post_as(
        &server,
        &gateway,
        &confirm_path,
        json!({ "credited": "500.00" }),
    )
    .await;
    let written_by_refusal = server.event_count().await - before;
    // 5.00 paid less a gateway fee of 0.20 = 4.80 arrived.
    let short = post_as(
        &server,
        &gateway,
        &confirm_path,
        json!({ "credited": "4.80" }),
    )
    .await;
    let refund_path = format!("/v1/payments/{payment_id}/refunds");
    let refund_all_paid = server
        .post(
            &refund_path,
            json!({ "refund_id": Uuid::now_v7(), "amount": "5.00", "reason": "client asked" }),
        )
        .await;
    let refund_all_arrived = server
        .post(
            &refund_path,
            json!({ "refund_id": Uuid::now_v7(), "amount": "4.80", "reason": "client asked" }),
        )
        .await;

    // Assert
    assert_eq!(
        inflated.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{inflated:?}"
    );
    assert_eq!(inflated.content_type, "application/problem+json");
    assert_eq!(inflated.body["code"], "credited_exceeds_payment");
    assert_eq!(
        inflated.body["detail"],
        "credited: exceeds the 5.00 EUR paid"
    );
    assert_eq!(written_by_refusal, 0);
    assert_eq!(short.status, StatusCode::OK, "{short:?}");
    assert_eq!(
        refund_all_paid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refund_all_paid:?}"
    );
    assert_eq!(refund_all_paid.body["code"], "refund_exceeds_payment");
    assert_eq!(
        refund_all_arrived.status,
        StatusCode::CREATED,
        "{refund_all_arrived:?}"
    );
    // 4.80 credited − 4.80 refunded = 0.00.
    assert_eq!(balance(&server, &client).await, "0.00");
    let head = head(&server).await;
    let payment = server
        .get(&format!("/v1/payments/{payment_id}?min_position={head}"))
        .await;
    assert_eq!(payment.body["credited"], "4.80");
    assert_eq!(payment.body["refunded"], "4.80");
    assert_eq!(payment.body["status"], "refunded");
}

#[tokio::test]
async fn a_payment_id_names_one_payment_whichever_way_it_was_made() {
    // Arrange: staff credited 30.00 straight to Ada's account under `posted`; a card payment of
    // 25.00 exists under `created`.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    method(&server, &company, "card", "card_gateway").await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let (posted, created) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
    let direct = server
        .post(
            &format!("/v1/clients/{ada}/payments"),
            json!({"payment_id": posted, "amount": "30.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(direct.status, StatusCode::CREATED, "{direct:?}");
    let card = |id: &str| {
        json!({"payment_id": id, "client_id": ada, "company_id": company, "method": "card",
               "amount": "25.00", "currency": "EUR"})
    };
    let made = server.post("/v1/payments", card(&created)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
    let events = server.event_count().await;

    // Act: a payment with a lifecycle under the posted one's id, and a posting under the card
    // payment's id.
    let over_posted = server.post("/v1/payments", card(&posted)).await;
    let over_created = server
        .post(
            &format!("/v1/clients/{ada}/payments"),
            json!({"payment_id": created, "amount": "25.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;

    // Assert: both refused as taken, nothing written; the posted payment is still refundable.
    for refused in [&over_posted, &over_created] {
        assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
        assert_eq!(refused.body["code"], "payment_exists", "{refused:?}");
    }
    assert_eq!(server.event_count().await, events);
    let refunded = server
        .post(
            &format!("/v1/payments/{posted}/refunds"),
            json!({"refund_id": Uuid::now_v7(), "amount": "5.00", "reason": "asked back"}),
        )
        .await;
    assert_eq!(refunded.status, StatusCode::CREATED, "{refunded:?}");
}

#[tokio::test]
async fn a_payment_in_the_invoices_currency_pays_it_also_when_converted_into_the_accounts() {
    // Arrange: a EUR account; staff issue an invoice in USD; a rate from USD to EUR.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    method(&server, &company, "cash", "manual").await;
    let client = server.client(&provider, "Dollar Payer").await;
    let rate = server
        .call(
            Method::PUT,
            "/v1/currencies/USD/rates",
            Some(json!({ "effective_from": "2020-01-01", "rates": { "EUR": "0.9000" } })),
        )
        .await;
    assert_eq!(rate.status, StatusCode::OK, "{rate:?}");
    let invoice = Uuid::now_v7().to_string();
    let issued = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": invoice, "client_id": client, "company_id": company,
                   "currency": "USD",
                   "lines": [{"description": "Migration", "quantity": "1", "unit_price": "100.00"}]}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    let position = issued.body["position"].as_i64().unwrap();
    let gross = server
        .get(&format!("/v1/invoices/{invoice}?min_position={position}"))
        .await
        .body["gross"]
        .as_str()
        .expect("the invoice's gross")
        .to_owned();

    // Act: the client pays the invoice's gross in USD, naming it.
    let paid = server
        .post(
            "/v1/payments",
            json!({ "payment_id": Uuid::now_v7(), "client_id": client, "company_id": company,
                    "method": "cash", "amount": gross, "currency": "USD",
                    "invoice_id": invoice }),
        )
        .await;
    server.settled().await;

    // Assert: credited in EUR at the rate, and the invoice is paid.
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let expected: Decimal = gross.parse::<Decimal>().unwrap() * Decimal::new(9, 1);
    assert_eq!(
        balance(&server, &client).await,
        expected.round_dp(2).to_string()
    );
    let read = server
        .get(&format!(
            "/v1/invoices/{invoice}?min_position={}",
            head(&server).await
        ))
        .await;
    assert_eq!(read.body["status"], "paid", "{read:?}");
}
