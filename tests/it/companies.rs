//! Companies, their tax rules and payment methods, the currency directory and exchange rates,
//! over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, Answer, TestServer, answer};
use uuid::Uuid;

async fn put(server: &TestServer, path: &str, body: Value) -> Answer {
    server.call(Method::PUT, path, Some(body)).await
}

/// Sends `body` as it is, so that it can be malformed or hold a key twice.
async fn send_raw(server: &TestServer, method: Method, path: &str, body: &str) -> Answer {
    let response = server
        .http
        .request(method, format!("{}{path}", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    answer(response).await
}

fn company(provider: &str, company_id: Uuid) -> Value {
    json!({
        "company_id": company_id,
        "provider_id": provider,
        "name": "Acme Hosting GmbH",
        "country": "DE",
        "vat_number": "DE123456789",
        "address": "Hauptstr. 1\n10115 Berlin",
        "numbering": {"prefix": "INV", "reset": "yearly"},
    })
}

/// Creates a company of `provider` and returns its id.
async fn create_company(server: &TestServer, provider: &str) -> Uuid {
    let id = Uuid::now_v7();
    let created = server.post("/v1/companies", company(provider, id)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    id
}

fn position(answer: &Answer) -> i64 {
    answer.body["position"].as_i64().unwrap()
}

#[tokio::test]
async fn a_company_is_created_and_read_back_with_its_tax_rules_and_payment_methods() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let other = server.provider("USD").await;
    let id = Uuid::now_v7();

    // Act
    let created = server.post("/v1/companies", company(&provider, id)).await;
    let rules = put(
        &server,
        &format!("/v1/companies/{id}/tax-rules"),
        json!({"rules": [
            {"country": null, "rate": "0", "mode": "added", "reverse_charge": false},
            {"country": "FR", "rate": "20", "mode": "added", "reverse_charge": true},
            {"country": "DE", "rate": "19.0", "mode": "included", "reverse_charge": false},
        ]}),
    )
    .await;
    let bank = put(
        &server,
        &format!("/v1/companies/{id}/payment-methods/bank_transfer"),
        json!({"kind": "bank_transfer", "display_name": " Bank transfer (SEPA) ", "enabled": true}),
    )
    .await;
    let card = put(
        &server,
        &format!("/v1/companies/{id}/payment-methods/card"),
        json!({"kind": "card_gateway", "display_name": "Card", "enabled": false}),
    )
    .await;
    let last = position(&card);
    let one = server
        .get(&format!("/v1/companies/{id}?min_position={last}"))
        .await;
    let listed = server
        .get(&format!(
            "/v1/companies?provider_id={provider}&min_position={last}"
        ))
        .await;
    let none = server
        .get(&format!(
            "/v1/companies?provider_id={other}&min_position={last}"
        ))
        .await;

    // Assert
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["id"], json!(id));
    for answer in [&rules, &bank, &card] {
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        assert_eq!(answer.body["id"], json!(id));
    }
    assert!(position(&created) < position(&rules) && position(&rules) < last);
    assert_eq!(one.status, StatusCode::OK, "{one:?}");
    let mut expected = json!({
        "id": id,
        "provider_id": provider,
        "name": "Acme Hosting GmbH",
        "country": "DE",
        "vat_number": "DE123456789",
        "address": "Hauptstr. 1\n10115 Berlin",
        "numbering": {"prefix": "INV", "reset": "yearly"},
        "tax_rules": [
            {"country": "DE", "rate": "19", "mode": "included", "reverse_charge": false},
            {"country": "FR", "rate": "20", "mode": "added", "reverse_charge": true},
            {"country": null, "rate": "0", "mode": "added", "reverse_charge": false},
        ],
        "payment_methods": [
            {"method": "bank_transfer", "kind": "bank_transfer",
             "display_name": "Bank transfer (SEPA)", "enabled": true},
            {"method": "card", "kind": "card_gateway", "display_name": "Card", "enabled": false},
        ],
    });
    expected["created_at"] = one.body["created_at"].clone();
    assert_eq!(one.body, expected);
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    assert_eq!(listed.body["items"], json!([expected]));
    assert_eq!(none.body["items"], json!([]));
}

#[tokio::test]
async fn saving_the_same_rules_and_method_again_records_nothing() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let id = create_company(&server, &provider).await;
    let rules = json!({"rules": [{"country": "DE", "rate": "19", "mode": "added", "reverse_charge": false}]});
    let method = json!({"kind": "manual", "display_name": "Cash", "enabled": true});
    let rules_path = format!("/v1/companies/{id}/tax-rules");
    let method_path = format!("/v1/companies/{id}/payment-methods/cash");
    put(&server, &rules_path, rules.clone()).await;
    put(&server, &method_path, method.clone()).await;
    let before = server.event_count().await;

    // Act
    let rules_again = put(&server, &rules_path, rules).await;
    let method_again = put(&server, &method_path, method).await;

    // Assert
    assert_eq!(rules_again.status, StatusCode::OK, "{rules_again:?}");
    assert_eq!(method_again.status, StatusCode::OK, "{method_again:?}");
    assert_eq!(server.event_count().await, before);
}

#[tokio::test]
async fn the_directory_lists_iso_currencies_with_their_minor_units() {
    // Arrange
    let server = TestServer::start().await;

    // Act
    let directory = server.get("/v1/currencies").await;

    // Assert
    assert_eq!(directory.status, StatusCode::OK, "{directory:?}");
    let items = directory.body["items"].as_array().unwrap();
    let find = |code: &str| {
        items
            .iter()
            .find(|item| item["code"] == code)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        find("EUR"),
        json!({"code": "EUR", "name": "Euro", "numeric_code": "978", "minor_units": 2})
    );
    assert_eq!(find("JPY")["minor_units"], 0);
    assert_eq!(find("BHD")["minor_units"], 3);
    assert_eq!(find("ALL")["numeric_code"], "008");
    assert_eq!(find("XAU"), Value::Null, "no minor unit, no currency");
}

#[tokio::test]
async fn the_rate_in_effect_on_a_day_is_the_latest_set_on_or_before_it() {
    // Arrange
    let server = TestServer::start().await;
    let november = put(
        &server,
        "/v1/currencies/USD/rates",
        json!({"effective_from": "2026-11-01", "rates": {"JPY": "151.37", "EUR": "0.92340"}}),
    )
    .await;
    let december = put(
        &server,
        "/v1/currencies/USD/rates",
        json!({"effective_from": "2026-12-01", "rates": {"EUR": "0.95"}}),
    )
    .await;
    let last = position(&december);

    // Act
    let rates_on = |day: &str| format!("/v1/currencies/USD/rates?on={day}&min_position={last}");
    let before = server.get(&rates_on("2026-10-31")).await;
    let between = server.get(&rates_on("2026-11-15")).await;
    let first_day = server.get(&rates_on("2026-12-01")).await;
    let after = server.get(&rates_on("2027-03-01")).await;
    let history = server
        .get(&format!("/v1/currencies/USD/rates?min_position={last}"))
        .await;

    // Assert
    assert_eq!(november.status, StatusCode::OK, "{november:?}");
    assert_eq!(
        november.body,
        json!({"currency": "USD", "effective_from": "2026-11-01", "position": position(&november)})
    );
    assert_eq!(before.status, StatusCode::OK, "{before:?}");
    assert_eq!(
        before.body,
        json!({"base": "USD", "on": "2026-10-31", "rates": []})
    );
    assert_eq!(
        between.body["rates"],
        json!([
            {"quote": "EUR", "rate": "0.9234", "effective_from": "2026-11-01"},
            {"quote": "JPY", "rate": "151.37", "effective_from": "2026-11-01"},
        ])
    );
    let december_rates = json!([
        {"quote": "EUR", "rate": "0.95", "effective_from": "2026-12-01"},
        {"quote": "JPY", "rate": "151.37", "effective_from": "2026-11-01"},
    ]);
    assert_eq!(first_day.body["rates"], december_rates);
    assert_eq!(after.body["rates"], december_rates);
    assert_eq!(
        history.body,
        json!({"base": "USD", "on": null, "rates": [
            {"quote": "EUR", "rate": "0.9234", "effective_from": "2026-11-01"},
            {"quote": "JPY", "rate": "151.37", "effective_from": "2026-11-01"},
            {"quote": "EUR", "rate": "0.95", "effective_from": "2026-12-01"},
        ]})
    );
}

#[tokio::test]
async fn a_set_for_a_day_that_has_one_replaces_it_whole_and_a_repeat_records_nothing() {
    // Arrange
    let server = TestServer::start().await;
    let first = json!({"effective_from": "2026-11-01", "rates": {"EUR": "0.9234", "GBP": "0.79"}});
    put(&server, "/v1/currencies/USD/rates", first.clone()).await;
    let count = server.event_count().await;

    // Act
    let repeat = put(&server, "/v1/currencies/USD/rates", first).await;
    let after_repeat = server.event_count().await;
    let correction = put(
        &server,
        "/v1/currencies/USD/rates",
        json!({"effective_from": "2026-11-01", "rates": {"EUR": "0.93"}}),
    )
    .await;
    let history = server
        .get(&format!(
            "/v1/currencies/USD/rates?min_position={}",
            position(&correction)
        ))
        .await;

    // Assert
    assert_eq!(repeat.status, StatusCode::OK, "{repeat:?}");
    assert_eq!(after_repeat, count);
    assert_eq!(correction.status, StatusCode::OK, "{correction:?}");
    assert_eq!(
        history.body["rates"],
        json!([{"quote": "EUR", "rate": "0.93", "effective_from": "2026-11-01"}])
    );
}

#[tokio::test]
async fn bad_inputs_are_problems_that_write_nothing() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let id = create_company(&server, &provider).await;
    let rates = "/v1/currencies/USD/rates";
    let rules = format!("/v1/companies/{id}/tax-rules");
    let rule = |country: &str, rate: &str| json!({"country": country, "rate": rate, "mode": "added", "reverse_charge": false});
    let mut unknown_field = company(&provider, Uuid::now_v7());
    unknown_field["colour"] = json!("red");
    let mut bad_country = company(&provider, Uuid::now_v7());
    bad_country["country"] = json!("de");
    let mut bad_prefix = company(&provider, Uuid::now_v7());
    bad_prefix["numbering"] = json!({"prefix": "inv", "reset": "yearly"});
    let mut bad_reset = company(&provider, Uuid::now_v7());
    bad_reset["numbering"] = json!({"prefix": "INV", "reset": "monthly"});
    let cases: Vec<(Method, String, String, StatusCode, &str, &str)> = vec![
        (
            Method::PUT,
            "/v1/currencies/XYZ/rates".to_owned(),
            json!({"effective_from": "2026-11-01", "rates": {"EUR": "0.9"}}).to_string(),
            StatusCode::NOT_FOUND,
            "currency_not_found",
            "XYZ",
        ),
        (
            Method::GET,
            "/v1/currencies/usd/rates".to_owned(),
            String::new(),
            StatusCode::NOT_FOUND,
            "currency_not_found",
            "usd",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            json!({"effective_from": "2026-11-01", "rates": {"XYZ": "0.9"}}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_currency",
            "rates.XYZ",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            json!({"effective_from": "2026-11-01", "rates": {"EUR": "-1"}}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rate",
            "rates.EUR",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            json!({"effective_from": "2026-11-01", "rates": {"EUR": "0.12345678901"}}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rate",
            "rates.EUR",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            r#"{"effective_from": "2026-11-01", "rates": {"EUR": 0.92}}"#.to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "rates",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            r#"{"effective_from": "2026-11-01", "rates": {"EUR": "0.9", "EUR": "0.8"}}"#
                .to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate_quote",
            "EUR",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            json!({"effective_from": "2026-11-01", "rates": {"USD": "1"}}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quote_is_base",
            "USD",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            json!({"effective_from": "2026-11-01", "rates": {}}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_rates",
            "rates",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            json!({"effective_from": "2026-13-01", "rates": {"EUR": "0.9"}}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "effective_from",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            json!({"effective_from": "1969-12-31", "rates": {"EUR": "0.9"}}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "effective_from",
        ),
        (
            Method::GET,
            format!("{rates}?on=yesterday"),
            String::new(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "on",
        ),
        (
            Method::PUT,
            rules.clone(),
            json!({"rules": [rule("DE", "19"), rule("FR", "20"), rule("DE", "7")]}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate_tax_rule",
            "rules: more than one rule for DE",
        ),
        (
            Method::PUT,
            rules.clone(),
            json!({"rules": [rule("DE", "19"), rule("FR", "7.12345")]}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_tax_rate",
            "rules[1].rate",
        ),
        (
            Method::PUT,
            rules.clone(),
            json!({"rules": [rule("XX", "19")]}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_country",
            "rules[0].country",
        ),
        (
            Method::PUT,
            rules.clone(),
            json!({"rules": [{"country": "DE", "rate": "19", "mode": "sometimes", "reverse_charge": false}]})
                .to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "rules[0].mode",
        ),
        (
            Method::PUT,
            format!("/v1/companies/{}/tax-rules", Uuid::now_v7()),
            json!({"rules": []}).to_string(),
            StatusCode::NOT_FOUND,
            "company_not_found",
            "company",
        ),
        (
            Method::PUT,
            format!("/v1/companies/{id}/payment-methods/Bank%20Transfer"),
            json!({"kind": "bank_transfer", "display_name": "Bank", "enabled": true}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_method",
            "method",
        ),
        (
            Method::PUT,
            format!("/v1/companies/{id}/payment-methods/bank"),
            json!({"kind": "cheque", "display_name": "Bank", "enabled": true}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "kind",
        ),
        (
            Method::PUT,
            format!("/v1/companies/{id}/payment-methods/bank"),
            json!({"kind": "bank_transfer", "display_name": "  ", "enabled": true}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_display_name",
            "display_name",
        ),
        (
            Method::POST,
            "/v1/companies".to_owned(),
            company(&Uuid::now_v7().to_string(), Uuid::now_v7()).to_string(),
            StatusCode::NOT_FOUND,
            "provider_not_found",
            "provider_id",
        ),
        (
            Method::POST,
            "/v1/companies".to_owned(),
            company(&provider, id).to_string(),
            StatusCode::CONFLICT,
            "company_exists",
            "exists",
        ),
        (
            Method::POST,
            "/v1/companies".to_owned(),
            unknown_field.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "colour",
        ),
        (
            Method::POST,
            "/v1/companies".to_owned(),
            bad_country.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_country",
            "country",
        ),
        (
            Method::POST,
            "/v1/companies".to_owned(),
            bad_prefix.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_numbering_prefix",
            "numbering.prefix",
        ),
        (
            Method::POST,
            "/v1/companies".to_owned(),
            bad_reset.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "numbering.reset",
        ),
        (
            Method::POST,
            "/v1/companies".to_owned(),
            r#"{"company_id": "#.to_owned(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "",
        ),
        (
            Method::PUT,
            rates.to_owned(),
            r#"{"effective_from": "2026-11-01", "rates": {"EUR": "0.9"}"#.to_owned(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "",
        ),
        (
            Method::GET,
            "/v1/companies?limit=0".to_owned(),
            String::new(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit",
        ),
        (
            Method::GET,
            format!("/v1/companies/{}", Uuid::now_v7()),
            String::new(),
            StatusCode::NOT_FOUND,
            "company_not_found",
            "company",
        ),
    ];

    for (method, path, body, status, code, detail) in cases {
        let before = server.event_count().await;

        // Act
        let answer = if body.is_empty() {
            server.call(method.clone(), &path, None).await
        } else {
            send_raw(&server, method.clone(), &path, &body).await
        };

        // Assert
        let case = format!("{method} {path} {body}: {answer:?}");
        assert_eq!(answer.status, status, "{case}");
        assert_eq!(answer.content_type, "application/problem+json", "{case}");
        assert_eq!(answer.body["code"], code, "{case}");
        let text = answer.body["detail"].as_str().unwrap();
        assert!(text.contains(detail), "{case}");
        assert_eq!(server.event_count().await, before, "{case}");
    }
}

#[tokio::test]
async fn the_openapi_document_names_the_routes_and_the_allowed_values() {
    // Arrange
    let server = TestServer::start().await;

    // Act
    let spec = server.get("/openapi.json").await;

    // Assert
    assert_eq!(spec.status, StatusCode::OK);
    for (path, method) in [
        ("/v1/companies", "post"),
        ("/v1/companies", "get"),
        ("/v1/companies/{id}", "get"),
        ("/v1/companies/{id}/tax-rules", "put"),
        ("/v1/companies/{id}/payment-methods/{method}", "put"),
        ("/v1/currencies", "get"),
        ("/v1/currencies/{code}/rates", "put"),
        ("/v1/currencies/{code}/rates", "get"),
    ] {
        assert!(
            spec.body["paths"][path].get(method).is_some(),
            "{method} {path} documented"
        );
    }
    let schemas = &spec.body["components"]["schemas"];
    assert_eq!(schemas["TaxMode"]["enum"], json!(["included", "added"]));
    assert_eq!(
        schemas["NumberingReset"]["enum"],
        json!(["yearly", "never"])
    );
    assert_eq!(
        schemas["PaymentMethodKind"]["enum"],
        json!(["bank_transfer", "card_gateway", "manual"])
    );
    assert_eq!(
        schemas["SetRatesRequest"]["properties"]["rates"]["additionalProperties"]["type"],
        "string"
    );
}
