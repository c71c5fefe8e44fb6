//! `POST /v1/clients/{id}/top-ups`, the API route a client's own users pay through (and the
//! customer panel's top-up form with it): a bank transfer with its proforma, a card payment
//! handed to the gateway with the panel's return page under `BILLING_PUBLIC_URL`, once per
//! `Idempotency-Key`, never by a method of kind `manual`, only inside the user's own client and
//! only for the roles that pay; and the card method's `redirect_url` in `GET /v1/companies`.

use std::sync::Arc;

use eventstore::clock::SystemClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{Answer, TestDb, TestServer, answer};

use super::PASSWORD;
use super::money::{GATEWAY, Scene};

/// The bearer token of a new user of `client` with `roles`, signed in over the API.
async fn token(server: &TestServer, client: &str, roles: &[&str]) -> String {
    let email = super::user(server, client, roles).await;
    let login = server
        .post(
            "/v1/auth/login",
            json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    login.body["token"].as_str().unwrap().to_owned()
}

/// `POST /v1/clients/{client}/top-ups` with `body` as the holder of `token`, with `key` as its
/// `Idempotency-Key` and `headers` besides.
async fn top_up(
    server: &TestServer,
    token: &str,
    client: &str,
    key: &str,
    body: Value,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = server
        .http
        .post(format!("{}/v1/clients/{client}/top-ups", server.url))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_clients_user_tops_up_over_the_api_once_per_key_and_never_by_a_manual_method() {
    // Arrange: Ada's owner, billing and technical users.
    let scene = Scene::new().await;
    let server = &scene.server;
    let owner = token(server, &scene.ada, &["owner"]).await;
    let billing = token(server, &scene.ada, &["billing"]).await;
    let technical = token(server, &scene.ada, &["technical"]).await;
    let transfer = json!({"method": "bank_transfer", "amount": "40.00", "currency": "EUR"});

    // Act: a bank transfer (the one company taking it found without naming it), sent twice.
    let first = top_up(server, &owner, &scene.ada, "k-1", transfer.clone(), &[]).await;
    let again = top_up(server, &owner, &scene.ada, "k-1", transfer.clone(), &[]).await;
    let other_body = top_up(
        server,
        &owner,
        &scene.ada,
        "k-1",
        json!({"method": "bank_transfer", "amount": "41.00", "currency": "EUR"}),
        &[],
    )
    .await;

    // Assert: one pending payment with its proforma, answered the same the second time.
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert_eq!(first.body["status"], "new");
    assert_eq!(first.body["company_id"], scene.company.as_str());
    assert!(first.body["invoice_id"].is_string(), "{first:?}");
    assert!(first.body.get("redirect_url").is_none(), "{first:?}");
    assert_eq!(again.body["id"], first.body["id"], "{again:?}");
    assert_eq!(other_body.status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = first.body["id"].as_str().unwrap();
    let payment = scene.api(&format!("/v1/payments/{id}")).await;
    assert_eq!(payment["status"], "new");
    assert_eq!(payment["amount"], "40.00");
    assert_eq!(payment["invoice_id"], first.body["invoice_id"]);
    assert_eq!(scene.ada_payments().await, 1);

    // A method of kind manual credits at once: the Payment refuses it to a client's user, named
    // or not, and nothing is written.
    let events = server.event_count().await;
    for body in [
        json!({"method": "cash", "amount": "5.00", "currency": "EUR"}),
        json!({"company_id": scene.company, "method": "cash", "amount": "5.00", "currency": "EUR"}),
    ] {
        let refused = top_up(server, &owner, &scene.ada, &uuid(), body, &[]).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
        assert_eq!(refused.body["code"], "payment_method_not_available");
    }
    // A card method without a gateway address, and amounts that are no amounts.
    let offline = json!({"method": "card_offline", "amount": "5.00", "currency": "EUR"});
    let refused = top_up(server, &owner, &scene.ada, &uuid(), offline, &[]).await;
    assert_eq!(
        refused.body["code"], "gateway_not_configured",
        "{refused:?}"
    );
    for amount in ["0", "-1.00", "0.001", "ten"] {
        let body = json!({"method": "bank_transfer", "amount": amount, "currency": "EUR"});
        let refused = top_up(server, &owner, &scene.ada, &uuid(), body, &[]).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{amount}: {refused:?}"
        );
    }
    // The rule table: billing pays too, technical does not, nobody pays into another client.
    let technical_refused = top_up(
        server,
        &technical,
        &scene.ada,
        &uuid(),
        transfer.clone(),
        &[],
    )
    .await;
    assert_eq!(technical_refused.status, StatusCode::FORBIDDEN);
    let elsewhere = top_up(server, &owner, &scene.bob, &uuid(), transfer.clone(), &[]).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{elsewhere:?}");
    assert_eq!(server.event_count().await, events, "nothing was written");
    let by_billing = top_up(server, &billing, &scene.ada, &uuid(), transfer, &[]).await;
    assert_eq!(by_billing.status, StatusCode::CREATED, "{by_billing:?}");
    assert_eq!(scene.ada_payments().await, 2);
}

#[tokio::test]
async fn a_card_top_up_answers_the_gateway_address_returning_to_the_public_url_whatever_the_request_says()
 {
    // Arrange: a node configured with its public address.
    let server = TestServer::start_public(
        TestDb::new().await,
        Arc::new(SystemClock),
        None,
        api::http::auth::throttle::SignInConfig::default(),
        Some("https://billing.example.com/"),
    )
    .await;
    let scene = Scene::on(server).await;
    let server = &scene.server;
    let owner = token(server, &scene.ada, &["owner"]).await;

    // Act: a card payment whose request names another host, forwarded or not.
    let card = json!({"method": "card", "amount": "25.00", "currency": "EUR"});
    let topped = top_up(
        server,
        &owner,
        &scene.ada,
        "card-1",
        card,
        &[
            ("host", "evil.example"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "http"),
        ],
    )
    .await;

    // Assert: started at the gateway, back to the panel under the configured address.
    assert_eq!(topped.status, StatusCode::CREATED, "{topped:?}");
    assert_eq!(topped.body["status"], "in_progress");
    let id = topped.body["id"].as_str().unwrap();
    let back = format!("https%3A%2F%2Fbilling.example.com%2Fmy%2Fpayments%2F{id}%2Freturn");
    let expected = GATEWAY
        .replace("{payment_id}", id)
        .replace("{return_url}", &back);
    assert_eq!(topped.body["redirect_url"], expected.as_str());
    let payment = scene.api(&format!("/v1/payments/{id}")).await;
    assert_eq!(payment["status"], "in_progress");

    // The company's card method shows its gateway address; the others have none.
    let company = scene.api(&format!("/v1/companies/{}", scene.company)).await;
    let methods = company["payment_methods"].as_array().unwrap();
    let method = |name: &str| {
        methods
            .iter()
            .find(|m| m["method"] == name)
            .unwrap_or_else(|| panic!("no {name} in {company}"))
    };
    assert_eq!(method("card")["redirect_url"], GATEWAY);
    assert!(method("card_offline").get("redirect_url").is_none());
    assert!(method("bank_transfer").get("redirect_url").is_none());
    let listed = scene.api("/v1/companies").await;
    assert!(
        listed.to_string().contains("pay.example.com/checkout"),
        "{listed}"
    );
}

fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}
