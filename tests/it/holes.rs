//! Smaller holes of issue 13, item 11: input the server must refuse with a 4xx naming the problem
//! rather than fail on (a NUL in a query, an exponent in a quantity), rules a client's user must
//! not get around (its own tax identity, unbounded attachments), and the database connections a
//! node takes.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};

/// Every GET route of the API (from its OpenAPI document) and of the dashboard, with each of its
/// query parameters set to a NUL character: a 4xx, never a 500.
#[tokio::test]
async fn a_nul_in_any_query_parameter_is_a_4xx_on_every_route() {
    // Arrange: a client, so that `{id}` in a path names something that exists.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Nul Tester").await;
    let spec = server.get("/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    let mut targets: Vec<String> = Vec::new();
    for (path, item) in spec.body["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        let path = path
            .replace("{id}", &client)
            .replace("{client_id}", &client)
            .replace("{code}", "EUR");
        let path = fill_ids(&path);
        let names: Vec<String> = get["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        for name in names {
            targets.push(format!("{path}?{name}=%00"));
        }
    }
    for dashboard in [
        "/dashboard/clients?q=%00",
        "/dashboard/action-log?actor=%00",
        "/dashboard/action-log?type=%00",
        "/dashboard/action-log?client=%00",
    ] {
        targets.push(dashboard.to_owned());
    }
    assert!(
        targets.len() > 20,
        "the routes with query parameters: {targets:?}"
    );

    // Act
    let mut answers = Vec::new();
    for target in &targets {
        let response = server
            .http
            .get(format!("{}{target}", server.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("cookie", format!("billing_session={ADMIN_TOKEN}"))
            .send()
            .await
            .expect("an answer");
        answers.push((target.clone(), response.status()));
    }

    // Assert
    let failed: Vec<_> = answers
        .iter()
        .filter(|(_, status)| !status.is_client_error())
        .collect();
    assert!(failed.is_empty(), "not a 4xx: {failed:?}");
    let dashboard = server
        .http
        .get(format!("{}/dashboard/clients?q=%00", server.url))
        .header("cookie", format!("billing_session={ADMIN_TOKEN}"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(dashboard.status(), StatusCode::BAD_REQUEST);
    let problem: Value = dashboard.json().await.expect("a problem");
    assert_eq!(problem["code"], "invalid_query", "{problem}");
}

/// Fills the path parameters other than the client's with a fresh UUID (a route then answers
/// 404 for the thing or 400 for the query, both fine here).
fn fill_ids(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(&uuid::Uuid::now_v7().to_string());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn a_quantity_or_a_percent_with_an_exponent_or_too_many_digits_is_refused() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Exponent Fan").await;
    let before = server.event_count().await;
    let invoice = |quantity: &str| {
        json!({
            "invoice_id": uuid::Uuid::now_v7(),
            "client_id": client,
            "company_id": company,
            "lines": [{ "description": "Traffic", "quantity": quantity, "unit_price": "1.00" }],
            "issued_on": "2027-01-10",
        })
    };

    // Act
    let mut refused = Vec::new();
    for quantity in [
        "1e5",
        "1E2",
        "2.5e1",
        "1_000",
        "+1",
        " 1",
        "0x10",
        "1.",
        "99999999999999999999999999999",
        "1.00000000000000000000001",
    ] {
        refused.push((
            quantity,
            server.post("/v1/invoices", invoice(quantity)).await,
        ));
    }
    let percent = server
        .post(
            "/v1/promo-codes",
            json!({ "provider_id": provider, "code": "EXPO",
                    "discount": { "kind": "percent", "percent": "1e1" } }),
        )
        .await;
    let written_before_the_plain_one = server.event_count().await;
    let plain = server.post("/v1/invoices", invoice("1.5")).await;

    // Assert
    for (quantity, answer) in refused {
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{quantity:?}: {answer:?}"
        );
        assert_eq!(answer.content_type, "application/problem+json");
        let detail = answer.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("lines[0].quantity"),
            "{quantity:?}: {detail}"
        );
    }
    assert_eq!(
        percent.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{percent:?}"
    );
    assert_eq!(written_before_the_plain_one, before, "nothing was written");
    assert_eq!(plain.status, StatusCode::CREATED, "{plain:?}");
}
