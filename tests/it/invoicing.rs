//! Invoices over HTTP: gap-free numbering under concurrency and across years, VAT by the
//! company's rules, credit notes, monthly invoices and the printable documents.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

/// Creates a company of `provider` and returns its id.
pub(crate) async fn company(
    server: &TestServer,
    provider: &str,
    country: &str,
    reset: &str,
) -> String {
    let id = Uuid::now_v7().to_string();
    let created = server
        .post(
            "/v1/companies",
            json!({
                "company_id": id,
                "provider_id": provider,
                "name": "Hosting Europe B.V.",
                "country": country,
                "vat_number": format!("{country}123456789B01"),
                "address": "Keizersgracht 1\n1015 CJ Amsterdam",
                "numbering": { "prefix": "INV", "reset": reset },
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    id
}

/// Sets `company`'s tax rules to `rules` (the `PUT /v1/companies/{id}/tax-rules` body).
pub(crate) async fn tax_rules(server: &TestServer, company: &str, rules: Value) {
    let set = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/tax-rules"),
            Some(rules),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
}

/// `company` adds 19 % VAT for German clients and documents consumption monthly.
pub(crate) async fn vat_added_in_germany(server: &TestServer, company: &str) {
    tax_rules(
        server,
        company,
        json!({ "rules": [
            { "country": "DE", "rate": "19", "mode": "added", "reverse_charge": false },
        ], "tax_document": "monthly_consumption" }),
    )
    .await;
}

/// Registers a client of `kind` in `country` and returns its id.
async fn client_in(server: &TestServer, provider: &str, kind: &str, country: &str) -> String {
    let answer = server
        .post(
            "/v1/clients",
            json!({
                "provider_id": provider,
                "name": format!("Client {kind} {country}"),
                "email": format!("{}@example.com", Uuid::now_v7().simple()),
                "kind": kind,
                "country": country,
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn issue(
    server: &TestServer,
    client: &str,
    company: &str,
    lines: Value,
    on: &str,
) -> tests::Answer {
    server
        .post(
            "/v1/invoices",
            json!({
                "invoice_id": Uuid::now_v7(),
                "client_id": client,
                "company_id": company,
                "lines": lines,
                "issued_on": on,
            }),
        )
        .await
}

#[tokio::test]
async fn two_hundred_concurrent_invoices_are_numbered_1_to_200_and_the_next_year_starts_again() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Numbered Client").await;
    let line = json!([{ "description": "VDS S", "quantity": "1", "unit_price": "10.00" }]);

    // Act
    let answers = futures::future::join_all(
        (0..200).map(|_| issue(&server, &client, &company, line.clone(), "2027-03-01")),
    )
    .await;
    let next_year = issue(&server, &client, &company, line.clone(), "2028-01-05").await;

    // Assert
    let mut numbers = BTreeSet::new();
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        numbers.insert(answer.body["number"].as_str().unwrap().to_owned());
    }
    let expected: BTreeSet<String> = (1..=200).map(|n| format!("INV2027-{n:06}")).collect();
    assert_eq!(numbers, expected, "no gap and no repeat");
    assert_eq!(next_year.body["number"], "INV2028-000001");
    let position = next_year.body["position"].as_i64().unwrap();
    let listed = server
        .get(&format!(
            "/v1/invoices?company_id={company}&limit=500&min_position={position}"
        ))
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 201);
    assert_eq!(listed.body["totals"][0]["count"], 201);
    assert_eq!(listed.body["totals"][0]["gross"], "2010.00");
}

#[tokio::test]
async fn a_company_whose_numbering_never_resets_continues_into_the_next_year() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "never").await;
    let client = server.client(&provider, "Continuous Client").await;
    let line = json!([{ "description": "Domain", "quantity": "1", "unit_price": "12.00" }]);

    // Act
    let first = issue(&server, &client, &company, line.clone(), "2027-12-31").await;
    let second = issue(&server, &client, &company, line.clone(), "2028-01-01").await;

    // Assert
    assert_eq!(first.body["number"], "INV000001");
    assert_eq!(second.body["number"], "INV000002");
}

#[tokio::test]
async fn vat_follows_the_rules_for_a_german_business_a_french_individual_and_a_us_client() {
    // Arrange: a Dutch company; German businesses with a VAT number pay by reverse charge,
    // French individuals pay French VAT added to the price, the rest of the world pays none.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    tax_rules(
        &server,
        &company,
        json!({ "rules": [
            { "country": "DE", "rate": "19", "mode": "added", "reverse_charge": true },
            { "country": "FR", "rate": "20", "mode": "added", "reverse_charge": true },
            { "country": "NL", "rate": "21", "mode": "included", "reverse_charge": false },
        ]}),
    )
    .await;
    let german = client_in(&server, &provider, "company", "DE").await;
    let details = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{german}/billing-details"),
            Some(json!({ "vat_number": "DE123456789", "address": "Hauptstr. 1\n10115 Berlin" })),
        )
        .await;
    assert_eq!(details.status, StatusCode::OK, "{details:?}");
    let french = client_in(&server, &provider, "individual", "FR").await;
    let american = client_in(&server, &provider, "company", "US").await;
    let lines = json!([
        { "description": "VDS M, 3 months", "quantity": "3", "unit_price": "9.99" },
        { "description": "Backup", "quantity": "1", "unit_price": "4.95", "discount": "0.50" },
        { "description": "IP address", "quantity": "2", "unit_price": "1.25" },
    ]);

    // Act
    let mut documents = Vec::new();
    for client in [&german, &french, &american] {
        let issued = issue(&server, client, &company, lines.clone(), "2027-02-01").await;
        assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
        let id = issued.body["id"].as_str().unwrap().to_owned();
        let position = issued.body["position"].as_i64().unwrap();
        documents.push(
            server
                .get(&format!("/v1/invoices/{id}?min_position={position}"))
                .await
                .body,
        );
    }

    // Assert: nets are 29.97, 4.45 and 2.50 for everyone.
    let [german, french, american] = [&documents[0], &documents[1], &documents[2]];
    assert_eq!(german["document"]["treatment"]["type"], "reverse_charge");
    assert_eq!(
        (
            german["net"].as_str(),
            german["tax"].as_str(),
            german["gross"].as_str()
        ),
        (Some("36.92"), Some("0.00"), Some("36.92"))
    );
    assert!(
        german["document"]["tax_notice"]
            .as_str()
            .unwrap()
            .contains("Reverse charge")
    );
    // French VAT per line: 29.97 × 20% = 5.994 → 5.99; 4.45 → 0.89; 2.50 → 0.50.
    let taxes: Vec<&str> = french["document"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["tax"]["amount"].as_str().unwrap())
        .collect();
    assert_eq!(taxes, ["5.99", "0.89", "0.50"]);
    assert_eq!(
        (
            french["net"].as_str(),
            french["tax"].as_str(),
            french["gross"].as_str()
        ),
        (Some("36.92"), Some("7.38"), Some("44.30"))
    );
    assert_eq!(american["document"]["treatment"]["type"], "not_taxed");
    assert_eq!(american["tax"], "0.00");
    // Totals add up line by line, for each document.
    for document in &documents {
        let sum = |field: &str| -> rust_decimal::Decimal {
            document["document"]["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|line| {
                    line[field]["amount"]
                        .as_str()
                        .unwrap()
                        .parse::<rust_decimal::Decimal>()
                        .unwrap()
                })
                .sum()
        };
        assert_eq!(sum("net").to_string(), document["net"].as_str().unwrap());
        assert_eq!(sum("tax").to_string(), document["tax"].as_str().unwrap());
        assert_eq!(
            sum("gross").to_string(),
            document["gross"].as_str().unwrap()
        );
    }
}

#[tokio::test]
async fn a_credit_note_corrects_an_invoice_without_editing_it_and_never_beyond_it() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Credited Client").await;
    let invoice = issue(
        &server,
        &client,
        &company,
        json!([{ "description": "VDS L", "quantity": "1", "unit_price": "50.00" }]),
        "2027-04-01",
    )
    .await;
    let invoice_id = invoice.body["id"].as_str().unwrap().to_owned();
    let partial =
        json!([{ "description": "Outage, 6 days", "quantity": "1", "unit_price": "10.00" }]);

    // Act
    let note = server
        .post(
            &format!("/v1/invoices/{invoice_id}/credit-notes"),
            json!({ "credit_note_id": Uuid::now_v7(), "lines": partial, "reason": "outage" }),
        )
        .await;
    let too_much = server
        .post(
            &format!("/v1/invoices/{invoice_id}/credit-notes"),
            json!({
                "credit_note_id": Uuid::now_v7(),
                "lines": [{ "description": "All again", "quantity": "1", "unit_price": "40.01" }],
                "reason": "too much",
            }),
        )
        .await;

    // Assert
    assert_eq!(note.status, StatusCode::CREATED, "{note:?}");
    let number = note.body["number"].as_str().unwrap();
    assert!(
        number.starts_with("CN-INV") && number.ends_with("-000001"),
        "credit notes have their own series: {number}"
    );
    assert_eq!(
        too_much.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{too_much:?}"
    );
    assert_eq!(too_much.content_type, "application/problem+json");
    assert_eq!(too_much.body["code"], "credit_exceeds_invoice");
    let position = note.body["position"].as_i64().unwrap();
    let original = server
        .get(&format!(
            "/v1/invoices/{invoice_id}?min_position={position}"
        ))
        .await;
    assert_eq!(original.body["status"], "partially_credited");
    assert_eq!(
        original.body["gross"], "50.00",
        "the invoice itself is unchanged"
    );
    assert_eq!(original.body["credited"], "10.00");
}

#[tokio::test]
async fn an_invoice_prints_as_html_and_pdf() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Printed <Client>").await;
    let invoice = issue(
        &server,
        &client,
        &company,
        json!([{ "description": "Hosting & <b>mail</b>", "quantity": "1", "unit_price": "5.00" }]),
        "2027-05-01",
    )
    .await;
    let id = invoice.body["id"].as_str().unwrap();
    let position = invoice.body["position"].as_i64().unwrap();

    // Act
    let html = server
        .http
        .get(format!(
            "{}/v1/invoices/{id}?min_position={position}",
            server.url
        ))
        .bearer_auth(tests::ADMIN_TOKEN)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let html_type = html.headers()["content-type"].to_str().unwrap().to_owned();
    let html = html.text().await.unwrap();
    let pdf = server
        .http
        .get(format!("{}/v1/invoices/{id}?format=pdf", server.url))
        .bearer_auth(tests::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let pdf_type = pdf.headers()["content-type"].to_str().unwrap().to_owned();
    let pdf = pdf.bytes().await.unwrap();

    // Assert
    assert!(html_type.starts_with("text/html"));
    assert!(html.contains("Invoice INV2027-000001"));
    assert!(
        html.contains("Printed &#60;Client&#62;"),
        "the payer's name is escaped"
    );
    assert!(html.contains("Hosting &#38; &#60;b&#62;mail&#60;/b&#62;"));
    assert!(!html.contains("<b>mail</b>"));
    assert_eq!(pdf_type, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
    assert!(
        crate::documents::pdf_text(&pdf).contains("INV2027-000001"),
        "the number is printed"
    );
}

#[tokio::test]
async fn a_script_in_a_cyrillic_client_name_prints_escaped_and_intact_on_invoice_and_credit_note() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    let name = "<script>alert('x')</script> ООО «Ромашка» & Жук";
    let registered = server
        .post(
            "/v1/clients",
            json!({ "provider_id": provider, "name": name, "email": "romashka@example.com",
                    "kind": "individual", "country": "DE" }),
        )
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
    let client = registered.body["id"].as_str().unwrap().to_owned();
    let invoice = issue(
        &server,
        &client,
        &company,
        json!([{ "description": "Хостинг <i>VDS</i>", "quantity": "1", "unit_price": "20.00" }]),
        "2027-05-01",
    )
    .await;
    let invoice_id = invoice.body["id"].as_str().unwrap().to_owned();
    let note = server
        .post(
            &format!("/v1/invoices/{invoice_id}/credit-notes"),
            json!({
                "credit_note_id": Uuid::now_v7(),
                "lines": [{ "description": "Простой <b>2</b> дня", "quantity": "1", "unit_price": "5.00" }],
                "reason": "outage",
            }),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{note:?}");
    let note_id = note.body["id"].as_str().unwrap().to_owned();
    let note_number = note.body["number"].as_str().unwrap().to_owned();
    let position = note.body["position"].as_i64().unwrap();
    let html = |id: String| {
        let server = &server;
        async move {
            let answer = server
                .http
                .get(format!(
                    "{}/v1/invoices/{id}?format=html&min_position={position}",
                    server.url
                ))
                .bearer_auth(tests::ADMIN_TOKEN)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
            answer.text().await.unwrap()
        }
    };

    // Act
    let invoice_html = html(invoice_id.clone()).await;
    let note_html = html(note_id.clone()).await;
    let note_pdf = server
        .http
        .get(format!("{}/v1/invoices/{note_id}?format=pdf", server.url))
        .bearer_auth(tests::ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    // Assert
    let escaped = "&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; ООО «Ромашка» &#38; Жук";
    for html in [&invoice_html, &note_html] {
        assert!(
            html.contains(escaped),
            "the name is escaped and intact: {html}"
        );
        assert!(!html.contains("<script>"), "no script runs");
        assert!(html.contains("<meta charset=\"utf-8\">"));
    }
    assert!(invoice_html.contains("Хостинг &#60;i&#62;VDS&#60;/i&#62;"));
    assert!(note_html.contains(&format!("<title>Credit note {note_number}</title>")));
    assert!(note_html.contains("Простой &#60;b&#62;2&#60;/b&#62; дня"));
    let invoice_number = invoice.body["number"].as_str().unwrap();
    assert!(
        note_html.contains(&format!(
            "This credit note corrects invoice {invoice_number}."
        )),
        "the credit note names the invoice by its number: {note_html}"
    );
    assert!(!invoice_html.contains("corrects invoice"));
    assert!(note_pdf.starts_with(b"%PDF-"), "the PDF still prints");
    assert!(crate::documents::pdf_text(&note_pdf).contains(note_number.as_str()));
}

#[tokio::test]
async fn bad_invoice_input_is_a_problem_that_writes_nothing() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Careless Client").await;
    let before = server.event_count().await;
    let cases = [
        json!([]),
        json!([{ "description": "x", "quantity": "0", "unit_price": "1.00" }]),
        json!([{ "description": "x", "quantity": "1", "unit_price": "1.001" }]),
        json!([{ "description": "x", "quantity": "1", "unit_price": "-1.00" }]),
        json!([{ "description": "x", "quantity": "1", "unit_price": "1.00", "discount": "2.00" }]),
        json!([{ "description": " ", "quantity": "1", "unit_price": "1.00" }]),
    ];

    // Act and assert
    for lines in cases {
        let answer = issue(&server, &client, &company, lines.clone(), "2027-01-10").await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{lines}: {answer:?}"
        );
        assert_eq!(answer.content_type, "application/problem+json");
    }
    let unknown_company = issue(
        &server,
        &client,
        &Uuid::now_v7().to_string(),
        json!([{ "description": "x", "quantity": "1", "unit_price": "1.00" }]),
        "2027-01-10",
    )
    .await;
    assert_eq!(unknown_company.status, StatusCode::NOT_FOUND);
    assert_eq!(server.event_count().await, before, "nothing was written");
}

#[tokio::test]
async fn post_paid_clients_get_one_monthly_invoice_for_their_charges_and_a_rerun_adds_none() {
    // Arrange: a post-paid client (credit limit) with a monthly service.
    let (server, clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    company(&server, &provider, "NL", "yearly").await;
    let client = post_paid(&server, &provider, "Post Paid").await;
    let tariff = vds_at_9_99(&server, &provider).await;
    let ordered = order_monthly(&server, &client, &tariff).await;
    let position = ordered.body["position"].as_i64().unwrap();
    let state = &server.running.as_ref().unwrap().state;
    for name in ["services", "settlement", "expenses"] {
        let reached = projections::engine::wait_for_position(
            &server.db.pool,
            &state.progress,
            name,
            position,
            std::time::Duration::from_secs(20),
        )
        .await
        .unwrap();
        assert!(reached, "{name} reached {position}");
    }
    let head = eventstore::log::head_position(&server.db.pool)
        .await
        .unwrap();
    let charged = server
        .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
        .await;
    assert_eq!(
        charged.body["accounts"][0]["balance"], "-9.99",
        "{charged:?}"
    );
    clock.set(tests::t0() + chrono::Duration::days(40));

    // Act
    let run = server
        .post("/v1/invoices/monthly", json!({ "month": "2027-01" }))
        .await;
    let rerun = server
        .post("/v1/invoices/monthly", json!({ "month": "2027-01" }))
        .await;

    // Assert
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    let issued = run.body["issued"].as_array().unwrap();
    assert_eq!(issued.len(), 1);
    assert_eq!(rerun.body["issued"].as_array().unwrap().len(), 0);
    let id = issued[0]["id"].as_str().unwrap();
    let position = rerun.body["position"].as_i64().unwrap();
    let invoice = server
        .get(&format!("/v1/invoices/{id}?min_position={position}"))
        .await;
    assert_eq!(invoice.body["kind"], "monthly");
    assert_eq!(invoice.body["gross"], "9.99");
    assert_eq!(invoice.body["issued_on"], "2027-02-01");
}

#[tokio::test]
async fn a_credit_note_refused_by_its_own_rules_reserves_nothing_and_an_id_names_one_document() {
    // Arrange: two invoices of 50.00 (before tax); the second has a credit note.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Careful Client").await;
    let lines = json!([{ "description": "VDS L", "quantity": "1", "unit_price": "50.00" }]);
    let first = issue(&server, &client, &company, lines.clone(), "2027-04-01").await;
    let first = first.body["id"].as_str().unwrap().to_owned();
    let second = issue(&server, &client, &company, lines, "2027-04-02").await;
    let second = second.body["id"].as_str().unwrap().to_owned();
    let others = Uuid::now_v7();
    let noted = server
        .post(
            &format!("/v1/invoices/{second}/credit-notes"),
            json!({ "credit_note_id": others, "reason": "cancelled order" }),
        )
        .await;
    assert_eq!(noted.status, StatusCode::CREATED, "{noted:?}");
    let before = server.event_count().await;

    // Act: a whole note with a blank reason; one under the id of the second invoice's note;
    // then the whole note again, with a reason.
    let blank = server
        .post(
            &format!("/v1/invoices/{first}/credit-notes"),
            json!({ "credit_note_id": Uuid::now_v7(), "reason": "   " }),
        )
        .await;
    let borrowed = server
        .post(
            &format!("/v1/invoices/{first}/credit-notes"),
            json!({ "credit_note_id": others, "reason": "cancelled order" }),
        )
        .await;
    let written = server.event_count().await;
    let whole = server
        .post(
            &format!("/v1/invoices/{first}/credit-notes"),
            json!({ "credit_note_id": Uuid::now_v7(), "reason": "cancelled order" }),
        )
        .await;

    // Assert: both refused with nothing written; the whole note is still possible and credits
    // the invoice whole.
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY, "{blank:?}");
    assert_eq!(borrowed.status, StatusCode::CONFLICT, "{borrowed:?}");
    assert_eq!(borrowed.body["code"], "credit_note_exists", "{borrowed:?}");
    assert_eq!(written, before);
    assert_eq!(whole.status, StatusCode::CREATED, "{whole:?}");
    let position = whole.body["position"].as_i64().unwrap();
    let read = server
        .get(&format!("/v1/invoices/{first}?min_position={position}"))
        .await;
    assert_eq!(read.body["status"], "credited", "{read:?}");
    assert_eq!(read.body["credited"], read.body["gross"], "{read:?}");
}

#[tokio::test]
async fn a_correction_with_a_long_reason_stops_no_ones_monthly_invoice() {
    // Arrange: two post-paid clients with a 9.99 VDS each; the first one's charge is corrected
    // by 1.00 with a reason of 460 characters (within the 500 a reason may have; with the
    // charge's description the invoice line would be longer than a line may be).
    let (server, clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    company(&server, &provider, "NL", "yearly").await;
    let tariff = vds_at_9_99(&server, &provider).await;
    let mut clients = Vec::new();
    for name in ["Ada Long", "Zoe Short"] {
        let client = post_paid(&server, &provider, name).await;
        order_monthly(&server, &client, &tariff).await;
        clients.push(client);
    }
    let head = server.settled().await;
    let expenses = server
        .get(&format!(
            "/v1/clients/{}/expenses?min_position={head}",
            clients[0]
        ))
        .await;
    let expense = expenses.body["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{expenses:?}"))
        .to_owned();
    let corrected = server
        .post(
            &format!("/v1/expenses/{expense}/corrections"),
            json!({ "correction_id": Uuid::now_v7(), "amount": "1.00", "reason": "x".repeat(460) }),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::CREATED, "{corrected:?}");
    server.settled().await;
    clock.set(tests::t0() + chrono::Duration::days(40));

    // Act
    let run = server
        .post("/v1/invoices/monthly", json!({ "month": "2027-01" }))
        .await;

    // Assert: both invoices issued, none refused; the first is 9.99 less 1.00.
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    assert_eq!(run.body["issued"].as_array().unwrap().len(), 2, "{run:?}");
    assert_eq!(run.body["refused"], json!([]), "{run:?}");
    let position = run.body["position"].as_i64().unwrap();
    let mut grosses = Vec::new();
    for issued in run.body["issued"].as_array().unwrap() {
        let invoice = server
            .get(&format!(
                "/v1/invoices/{}?min_position={position}",
                issued["id"].as_str().unwrap()
            ))
            .await;
        grosses.push(invoice.body["gross"].as_str().unwrap().to_owned());
    }
    grosses.sort();
    assert_eq!(grosses, ["8.99", "9.99"]);
}

#[tokio::test]
async fn a_charge_voided_before_its_month_is_on_that_months_invoice_with_it() {
    // Arrange: a post-paid client orders a 9.99 VDS on Jan 15 (paid until Feb 15); on Jan 20
    // the service is prolonged (Feb 15 to Mar 15, February's charge); on Jan 25 that charge is
    // voided.
    let (server, clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    company(&server, &provider, "NL", "yearly").await;
    let client = post_paid(&server, &provider, "Early Voider").await;
    let tariff = vds_at_9_99(&server, &provider).await;
    clock.set(tests::t0() + chrono::Duration::days(14));
    let ordered = order_monthly(&server, &client, &tariff).await;
    let service = ordered.body["id"].as_str().unwrap().to_owned();
    server.settled().await;
    clock.set(tests::t0() + chrono::Duration::days(19));
    let prolonged = server
        .post(&format!("/v1/services/{service}/prolong"), json!({}))
        .await;
    assert!(prolonged.status.is_success(), "{prolonged:?}");
    let head = server.settled().await;
    let expenses = server
        .get(&format!(
            "/v1/clients/{client}/expenses?min_position={head}"
        ))
        .await;
    let february = expenses.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["period_start"] == "2027-02-15")
        .unwrap_or_else(|| panic!("{expenses:?}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    clock.set(tests::t0() + chrono::Duration::days(24));
    let voided = server
        .post(
            &format!("/v1/expenses/{february}/corrections"),
            json!({ "correction_id": Uuid::now_v7(), "reason": "prolonged by mistake" }),
        )
        .await;
    assert_eq!(voided.status, StatusCode::CREATED, "{voided:?}");
    server.settled().await;
    clock.set(tests::t0() + chrono::Duration::days(70));

    // Act
    let january = server
        .post("/v1/invoices/monthly", json!({ "month": "2027-01" }))
        .await;
    let february = server
        .post("/v1/invoices/monthly", json!({ "month": "2027-02" }))
        .await;

    // Assert: January's invoice has January's charge alone; February's has the prolongation
    // and its void, 0.00 in all.
    let gross = |run: &tests::Answer| {
        let run = run.clone();
        let server = &server;
        async move {
            assert_eq!(run.status, StatusCode::OK, "{run:?}");
            let position = run.body["position"].as_i64().unwrap();
            let id = run.body["issued"][0]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{run:?}"));
            let invoice = server
                .get(&format!("/v1/invoices/{id}?min_position={position}"))
                .await;
            (
                invoice.body["gross"].as_str().unwrap().to_owned(),
                invoice.body["document"]["lines"].as_array().unwrap().len(),
            )
        }
    };
    assert_eq!(gross(&january).await, ("9.99".to_owned(), 1));
    assert_eq!(gross(&february).await, ("0.00".to_owned(), 2));
}

/// A monthly "VDS S" tariff of `provider` at 9.99 EUR; answers its id.
async fn vds_at_9_99(server: &TestServer, provider: &str) -> String {
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({
                "provider_id": provider, "name": "VDS S", "item_type": "vds",
                "prices": [{ "period": "P1M", "price": { "amount": "9.99", "currency": "EUR" } }],
            }),
        )
        .await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    tariff.body["id"].as_str().unwrap().to_owned()
}

/// A post-paid client of `provider` (a 100.00 EUR credit limit) named `name`.
async fn post_paid(server: &TestServer, provider: &str, name: &str) -> String {
    let client = server.client(provider, name).await;
    let limit = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{client}/credit-limit"),
            Some(json!({ "amount": "100.00", "currency": "EUR" })),
        )
        .await;
    assert_eq!(limit.status, StatusCode::OK, "{limit:?}");
    client
}

/// Orders `tariff` monthly for `client`; answers the order's answer.
async fn order_monthly(server: &TestServer, client: &str, tariff: &str) -> tests::Answer {
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({ "tariff_id": tariff, "period": "P1M", "addons": [] }),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    ordered
}
