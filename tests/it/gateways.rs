//! Payment gateway modules (issue 20.5, ADR 32), end to end over real HTTP: an example gateway,
//! a small axum server in the test that speaks the protocol of `docs/modules.md` (it checks the
//! billing core's signature with its own HMAC code, answers a redirect address, shows a payment
//! page and, when the client pays there, notifies the billing core with a signed notification
//! and sends the client back). The money shows once in the balance, the statement, the payments
//! read model and the payments report, whatever is repeated or forged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::{Html, IntoResponse, Redirect, Response};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};
use uuid::Uuid;

use crate::modules::{now, serve_on_loopback, signature, signed, unhex};

/// A payment request the gateway took.
#[derive(Debug, Clone)]
struct Taken {
    body: Value,
    idempotency_key: String,
}

/// A notification the gateway sent, as sent, and the billing core's answer.
#[derive(Debug, Clone)]
struct Sent {
    body: String,
    signature: String,
    status: u16,
    answer: String,
}

/// The example gateway's state.
#[derive(Default)]
struct Gateway {
    /// Its module id, secret and key id, once registered.
    registered: Mutex<Option<(Uuid, Vec<u8>, String)>>,
    /// The billing core's URL, for notifications.
    billing: Mutex<String>,
    /// Its own URL, for redirect addresses.
    url: Mutex<String>,
    /// The payment requests it took, by payment id (a repeat replaces the same entry).
    taken: Mutex<HashMap<String, Taken>>,
    /// How many payment requests arrived, repeats included.
    requests: AtomicUsize,
    /// Requests still to refuse with 503 (an outage).
    down: AtomicUsize,
    /// Requests whose signature did not verify.
    bad_signatures: AtomicUsize,
    /// An amount to confirm instead of the one asked for (a gateway that took another sum).
    confirm_amount: Mutex<Option<String>>,
    /// The notifications sent, in order.
    sent: Mutex<Vec<Sent>>,
}

/// `POST /payments`: checks the signature, remembers the payment, answers its page's address.
async fn payments(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    gateway.requests.fetch_add(1, Ordering::SeqCst);
    let Some((_, secret, key_id)) = gateway.registered.lock().unwrap().clone() else {
        return AxumStatus::SERVICE_UNAVAILABLE.into_response();
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    if !signed(&secret, &header("x-billing-signature"), &body)
        || header("x-billing-key-id") != key_id
    {
        gateway.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return AxumStatus::UNAUTHORIZED.into_response();
    }
    if gateway
        .down
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return AxumStatus::SERVICE_UNAVAILABLE.into_response();
    }
    let request: Value = serde_json::from_slice(&body).unwrap();
    let id = request["payment_id"].as_str().unwrap().to_owned();
    gateway.taken.lock().unwrap().insert(
        id.clone(),
        Taken {
            body: request,
            idempotency_key: header("idempotency-key"),
        },
    );
    let url = gateway.url.lock().unwrap().clone();
    axum::Json(json!({ "redirect_url": format!("{url}/pay/{id}") })).into_response()
}

/// `GET /pay/{id}`: the gateway's payment page, with one button.
async fn page(State(gateway): State<Arc<Gateway>>, Path(id): Path<String>) -> Response {
    let Some(taken) = gateway.taken.lock().unwrap().get(&id).cloned() else {
        return AxumStatus::NOT_FOUND.into_response();
    };
    Html(format!(
        "<!doctype html><html><head><title>Example gateway</title></head><body>\
         <h1>Pay {} {}</h1><form method=\"post\" action=\"/pay/{id}\">\
         <button id=\"pay-now\" type=\"submit\">Pay now</button></form></body></html>",
        taken.body["amount"].as_str().unwrap(),
        taken.body["currency"].as_str().unwrap()
    ))
    .into_response()
}

/// `POST /pay/{id}`: the client paid; the gateway notifies the billing core, signed, and sends
/// the client back to the return address.
async fn pay(State(gateway): State<Arc<Gateway>>, Path(id): Path<String>) -> Response {
    let Some(taken) = gateway.taken.lock().unwrap().get(&id).cloned() else {
        return AxumStatus::NOT_FOUND.into_response();
    };
    let amount = gateway
        .confirm_amount
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| taken.body["amount"].as_str().unwrap().to_owned());
    let body = json!({
        "payment_id": id,
        "status": "confirmed",
        "transaction_id": format!("tx_{}", &id[id.len() - 12..]),
        "amount": amount,
        "currency": taken.body["currency"],
    });
    notify(&gateway, &body).await;
    Redirect::to(taken.body["return_url"].as_str().unwrap()).into_response()
}

/// Sends a signed notification to the billing core and records it with the answer.
async fn notify(gateway: &Gateway, body: &Value) -> Sent {
    let (module, secret, _) = gateway.registered.lock().unwrap().clone().unwrap();
    let billing = gateway.billing.lock().unwrap().clone();
    let body = body.to_string();
    let signature = signature(&secret, now(), body.as_bytes());
    let sent = post_notification(&billing, module, &body, &signature).await;
    gateway.sent.lock().unwrap().push(sent.clone());
    sent
}

/// Posts a notification body with a signature header as given.
async fn post_notification(billing: &str, module: Uuid, body: &str, signature: &str) -> Sent {
    let answer = reqwest::Client::new()
        .post(format!("{billing}/v1/modules/{module}/payments/notify"))
        .header("content-type", "application/json")
        .header("x-billing-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    Sent {
        body: body.to_owned(),
        signature: signature.to_owned(),
        status,
        answer: answer.text().await.unwrap_or_default(),
    }
}

/// Starts the example gateway on a loopback port; answers its base URL.
async fn start_gateway(gateway: Arc<Gateway>) -> String {
    let url = serve_on_loopback(
        axum::Router::new()
            .route("/payments", axum::routing::post(payments))
            .route("/pay/{id}", axum::routing::get(page).post(pay))
            .with_state(Arc::clone(&gateway)),
    )
    .await;
    *gateway.url.lock().unwrap() = url.clone();
    url
}

/// A provider in EUR whose company takes cards by the method `card`, served by the example
/// gateway registered as its payment module, and a client, Ada.
struct Scene {
    server: TestServer,
    gateway: Arc<Gateway>,
    module: Uuid,
    provider: String,
    ada: String,
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
        let configured = server
            .call(
                Method::PUT,
                &format!("/v1/companies/{company}/payment-methods/card"),
                Some(json!({"kind": "card_gateway", "display_name": "Card", "enabled": true})),
            )
            .await;
        assert_eq!(configured.status, StatusCode::OK, "{configured:?}");
        let gateway = Arc::new(Gateway::default());
        *gateway.billing.lock().unwrap() = server.url.clone();
        let base = start_gateway(Arc::clone(&gateway)).await;
        let module = Uuid::now_v7();
        let registered = server
            .post(
                "/v1/modules",
                json!({"module_id": module, "provider_id": provider, "kind": "payment",
                       "base_url": base, "serves": ["card"]}),
            )
            .await;
        assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
        let secret = unhex(registered.body["secret"].as_str().unwrap());
        let key_id = registered.body["key_id"].as_str().unwrap().to_owned();
        *gateway.registered.lock().unwrap() = Some((module, secret, key_id));
        let ada = server.client(&provider, "Ada Lovelace").await;
        server.settled().await;
        Scene {
            server,
            gateway,
            module,
            provider,
            ada,
        }
    }

    /// Ada tops up `amount` EUR by card over the API with `key`.
    async fn top_up(&self, key: &str, amount: &str) -> tests::Answer {
        self.top_up_in(key, amount, "EUR").await
    }

    /// Ada tops up `amount` in `currency` by card over the API with `key`.
    async fn top_up_in(&self, key: &str, amount: &str, currency: &str) -> tests::Answer {
        let response = self
            .server
            .http
            .post(format!(
                "{}/v1/clients/{}/top-ups",
                self.server.url, self.ada
            ))
            .bearer_auth(ADMIN_TOKEN)
            .header("idempotency-key", key)
            .json(&json!({"method": "card", "amount": amount, "currency": currency}))
            .send()
            .await
            .unwrap();
        tests::answer(response).await
    }

    /// The client pays on the gateway's page: the gateway notifies and answers a redirect.
    async fn pay_at_gateway(&self, redirect_url: &str) -> String {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(redirect_url)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        response.headers()["location"].to_str().unwrap().to_owned()
    }

    async fn read(&self, path: &str) -> Value {
        crate::panel::read(&self.server, path).await
    }

    async fn balance(&self) -> String {
        let balance = self
            .read(&format!("/v1/clients/{}/balance", self.ada))
            .await;
        balance["accounts"][0]["balance"]
            .as_str()
            .unwrap_or("0.00")
            .to_owned()
    }

    /// Ada's statement's movements that take `payment`.
    async fn movements_of(&self, payment: &str) -> Vec<Value> {
        let statement = self
            .read(&format!("/v1/clients/{}/statement?limit=500", self.ada))
            .await;
        statement["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["reference"] == payment)
            .cloned()
            .collect()
    }

    /// The payments report's card rows of the provider, summed: (count, amount).
    async fn card_report(&self) -> (i64, String) {
        let report = self
            .read(&format!(
                "/v1/reports/payments?group=month&provider_id={}&method=card",
                self.provider
            ))
            .await;
        let rows = report["items"].as_array().unwrap();
        assert!(rows.len() <= 1, "{rows:?}");
        rows.first().map_or((0, "0.00".to_owned()), |row| {
            (
                row["payments_count"].as_i64().unwrap(),
                row["payments_amount"].as_str().unwrap().to_owned(),
            )
        })
    }

    async fn head(&self) -> i64 {
        eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_payment_is_credited_once_by_its_signed_notification_and_shows_everywhere() {
    // Arrange
    let scene = Scene::new().await;

    // Act: Ada starts a payment of 40.00 by card.
    let key = Uuid::now_v7().to_string();
    let started = scene.top_up(&key, "40.00").await;

    // Assert: the gateway took a signed request and answered the address the client goes to.
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let payment = started.body["id"].as_str().unwrap().to_owned();
    assert_eq!(started.body["status"], "in_progress");
    let redirect_url = started.body["redirect_url"].as_str().unwrap().to_owned();
    let gateway_url = scene.gateway.url.lock().unwrap().clone();
    assert_eq!(redirect_url, format!("{gateway_url}/pay/{payment}"));
    let taken = scene.gateway.taken.lock().unwrap()[&payment].clone();
    assert_eq!(taken.idempotency_key, payment);
    assert_eq!(taken.body["amount"], "40.00");
    assert_eq!(taken.body["currency"], "EUR");
    assert_eq!(taken.body["client_id"], scene.ada.as_str());
    assert!(
        taken.body["return_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/my/payments/{payment}/return")),
        "{taken:?}"
    );
    assert_eq!(scene.gateway.bad_signatures.load(Ordering::SeqCst), 0);
    // Nothing is credited before the gateway confirms.
    assert_eq!(scene.balance().await, "0.00");
    let pending = scene.read(&format!("/v1/payments/{payment}")).await;
    assert_eq!(pending["status"], "in_progress");

    // The same request again (a retry with the key) sends the client to the same place.
    let again = scene.top_up(&key, "40.00").await;
    assert!(again.status.is_success(), "{again:?}");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["id"], payment.as_str());
    assert_eq!(again.body["redirect_url"], redirect_url.as_str());

    // Act: the client pays at the gateway, which notifies and sends the client back.
    let back = scene.pay_at_gateway(&redirect_url).await;
    assert!(
        back.ends_with(&format!("/my/payments/{payment}/return")),
        "{back}"
    );
    let first = scene.gateway.sent.lock().unwrap()[0].clone();
    assert_eq!(first.status, 200, "{first:?}");

    // Assert: the money is on the balance, the statement, the payments and the report once.
    let transaction = format!("tx_{}", &payment[payment.len() - 12..]);
    assert_eq!(scene.balance().await, "40.00");
    let credited = scene.read(&format!("/v1/payments/{payment}")).await;
    assert_eq!(credited["status"], "credited");
    assert_eq!(credited["credited"], "40.00");
    assert_eq!(credited["external_id"], transaction.as_str());
    let movements = scene.movements_of(&payment).await;
    assert_eq!(movements.len(), 1, "{movements:?}");
    assert_eq!(movements[0]["amount"], "40.00");
    assert_eq!(scene.card_report().await, (1, "40.00".to_owned()));

    // Act: the same notification again, as sent (a replay), and re-signed (a retry).
    let billing = scene.server.url.clone();
    let replay = post_notification(&billing, scene.module, &first.body, &first.signature).await;
    let body: Value = serde_json::from_str(&first.body).unwrap();
    let retry = notify(&scene.gateway, &body).await;

    // Assert: both answer 200 and credit nothing more.
    assert_eq!(replay.status, 200, "{replay:?}");
    assert_eq!(retry.status, 200, "{retry:?}");
    assert_eq!(scene.balance().await, "40.00");
    assert_eq!(scene.movements_of(&payment).await.len(), 1);
    assert_eq!(scene.card_report().await, (1, "40.00".to_owned()));

    // Act: a notification signed with another secret, and one for a payment never handed over.
    let head = scene.head().await;
    let forged_body = json!({"payment_id": payment, "status": "confirmed",
                             "transaction_id": "tx_forged", "amount": "40.00",
                             "currency": "EUR"})
    .to_string();
    let forged = post_notification(
        &billing,
        scene.module,
        &forged_body,
        &signature(&[7_u8; 32], now(), forged_body.as_bytes()),
    )
    .await;
    let secret = scene.gateway.registered.lock().unwrap().clone().unwrap().1;
    let stale = post_notification(
        &billing,
        scene.module,
        &forged_body,
        &signature(&secret, now() - 3_600, forged_body.as_bytes()),
    )
    .await;
    let unknown = notify(
        &scene.gateway,
        &json!({"payment_id": Uuid::now_v7(), "status": "confirmed",
                "transaction_id": "tx_x", "amount": "40.00", "currency": "EUR"}),
    )
    .await;

    let bad_status = notify(
        &scene.gateway,
        &json!({"payment_id": payment, "status": "paid"}),
    )
    .await;
    let no_transaction = notify(
        &scene.gateway,
        &json!({"payment_id": payment, "status": "confirmed", "amount": "40.00",
                "currency": "EUR"}),
    )
    .await;

    // Assert: 401, 401, 404 and 400, as problems, and nothing written.
    assert_eq!(bad_status.status, 400, "{bad_status:?}");
    assert_eq!(no_transaction.status, 400, "{no_transaction:?}");
    assert!(
        no_transaction.answer.contains("transaction_id"),
        "{no_transaction:?}"
    );
    assert_eq!(forged.status, 401, "{forged:?}");
    assert!(forged.answer.contains("signature"), "{forged:?}");
    assert_eq!(stale.status, 401, "{stale:?}");
    assert_eq!(unknown.status, 404, "{unknown:?}");
    assert!(unknown.answer.contains("payment_not_found"), "{unknown:?}");
    assert_eq!(scene.head().await, head);
    assert_eq!(scene.balance().await, "40.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_of_another_amount_is_refused_and_fails_the_payment() {
    // Arrange
    let scene = Scene::new().await;
    let started = scene.top_up(&Uuid::now_v7().to_string(), "25.00").await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let payment = started.body["id"].as_str().unwrap().to_owned();
    *scene.gateway.confirm_amount.lock().unwrap() = Some("20.00".to_owned());

    // Act: the gateway confirms 20.00 of the 25.00 asked for.
    scene
        .pay_at_gateway(started.body["redirect_url"].as_str().unwrap())
        .await;

    // Assert: refused, the payment failed, nothing credited.
    let sent = scene.gateway.sent.lock().unwrap()[0].clone();
    assert_eq!(sent.status, 422, "{sent:?}");
    assert!(sent.answer.contains("amount_mismatch"), "{sent:?}");
    let failed = scene.read(&format!("/v1/payments/{payment}")).await;
    assert_eq!(failed["status"], "cancelled");
    assert!(failed["credited"].is_null());
    assert_eq!(scene.balance().await, "0.00");
    assert!(scene.movements_of(&payment).await.is_empty());
    assert_eq!(scene.card_report().await, (0, "0.00".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_cancelled_while_the_client_pays_at_the_gateway_is_credited_all_the_same() {
    // Arrange: Ada starts a 25.00 top-up by card, and cancels it over the API while the
    // gateway's page is open.
    let scene = Scene::new().await;
    let started = scene.top_up(&Uuid::now_v7().to_string(), "25.00").await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let payment = started.body["id"].as_str().unwrap().to_owned();
    let cancelled = scene
        .server
        .post(
            &format!("/v1/payments/{payment}/cancel"),
            json!({"reason": "changed my mind"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:?}");
    assert_eq!(
        scene.read(&format!("/v1/payments/{payment}")).await["status"],
        "cancelled"
    );

    // Act: she pays on the page all the same; the gateway confirms the 25.00.
    scene
        .pay_at_gateway(started.body["redirect_url"].as_str().unwrap())
        .await;

    // Assert: the gateway's money is not lost: credited, on the balance and the statement.
    let sent = scene.gateway.sent.lock().unwrap()[0].clone();
    assert_eq!(sent.status, 200, "{sent:?}");
    let credited = scene.read(&format!("/v1/payments/{payment}")).await;
    assert_eq!(credited["status"], "credited", "{credited}");
    assert_eq!(scene.balance().await, "25.00");
    assert_eq!(scene.movements_of(&payment).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_payment_in_another_currency_than_the_account_is_refused_before_the_gateway() {
    // Arrange: Ada's account is in EUR; the card method is a payment module's.
    let scene = Scene::new().await;
    let before = scene.server.event_count().await;

    // Act: she asks to pay 40.00 USD by card.
    let refused = scene
        .top_up_in(&Uuid::now_v7().to_string(), "40.00", "USD")
        .await;

    // Assert: a problem naming the currency; no payment, and the gateway was never asked.
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert_eq!(refused.content_type, "application/problem+json");
    assert_eq!(refused.body["code"], "currency_mismatch", "{refused:?}");
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("EUR")),
        "{refused:?}"
    );
    assert_eq!(scene.server.event_count().await, before);
    assert_eq!(scene.gateway.requests.load(Ordering::SeqCst), 0);
    assert_eq!(scene.balance().await, "0.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_is_down_refuses_the_start_and_the_retry_with_the_same_key_pays_once() {
    // Arrange
    let scene = Scene::new().await;
    scene.gateway.down.store(1, Ordering::SeqCst);
    let key = Uuid::now_v7().to_string();

    // Act: the gateway refuses the first request.
    let refused = scene.top_up(&key, "15.00").await;

    // Assert: 503 naming the problem; the payment is kept for the retry.
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{refused:?}"
    );
    assert_eq!(refused.body["code"], "gateway_unavailable");
    assert!(refused.content_type.starts_with("application/problem+json"));

    // Act: the client tries again with the same key.
    let started = scene.top_up(&key, "15.00").await;

    // Assert: one payment, handed over, paid once.
    assert!(started.status.is_success(), "{started:?}");
    let payment = started.body["id"].as_str().unwrap().to_owned();
    scene
        .pay_at_gateway(started.body["redirect_url"].as_str().unwrap())
        .await;
    assert_eq!(scene.balance().await, "15.00");
    let listed = scene
        .read(&format!("/v1/payments?client_id={}", scene.ada))
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["items"][0]["id"], payment.as_str());
    assert_eq!(scene.gateway.taken.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_presses_pay_on_my_goes_to_the_gateway_pays_returns_and_sees_the_balance() {
    use crate::browser::Browser;
    use crate::my_panel::{PASSWORD, user};

    // Arrange
    let scene = Scene::new().await;
    let server = &scene.server;
    let email = user(server, &scene.ada, &["owner"]).await;
    let browser = Browser::start().await;
    browser.go(&format!("{}/my/login", server.url)).await;
    browser.type_into("#email", &email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    wait_for(&browser, "#sign-out").await;

    // Act: Ada tops up 40.00 by card and presses "pay".
    browser.go(&format!("{}/my/payments", server.url)).await;
    browser.click("#method option[value$=\"/card\"]").await;
    browser.type_into("#amount", "40.00").await;
    browser.click("#pay").await;

    // Assert: she is on the example gateway's page; she pays there.
    wait_for(&browser, "#pay-now").await;
    let gateway_url = scene.gateway.url.lock().unwrap().clone();
    let address = browser.address_with(&gateway_url).await;
    assert!(address.contains("/pay/"), "{address}");
    assert!(browser.text("h1").await.contains("40.00 EUR"));
    browser.click("#pay-now").await;

    // Assert: back on her payment's page, credited; her balance shows it.
    let back = browser.address_with("/return").await;
    assert!(back.starts_with(&server.url), "{back}");
    reload_until(&browser, &back, "td#status").await;
    for _ in 0..150 {
        if browser.text("td#status").await.contains("credited") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        browser.go(&back).await;
    }
    assert!(browser.text("td#status").await.contains("credited"));
    assert_eq!(scene.balance().await, "40.00");
    browser.go(&format!("{}/my", server.url)).await;
    let balance = browser.text(".card.account .balance").await;
    assert!(balance.contains("40.00"), "{balance}");
    assert_eq!(scene.gateway.sent.lock().unwrap().len(), 1);
}

/// Waits until an element `css` is on the page; panics after about 30 s.
async fn wait_for(browser: &crate::browser::Browser, css: &str) {
    for _ in 0..300 {
        if browser.count(css).await > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never showed: {}", browser.text("body").await);
}

/// Waits until an element `css` is on the page at `url`, reloading it meanwhile.
async fn reload_until(browser: &crate::browser::Browser, url: &str, css: &str) {
    for _ in 0..150 {
        browser.go(url).await;
        if browser.count(css).await > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!(
        "{css} never showed on {url}: {}",
        browser.text("body").await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_recorded_before_a_crash_is_credited_once_by_the_payments_process() {
    // Arrange: a payment handed to the gateway, and the log as a crash leaves it right after
    // the notification's settlement was recorded, before the account was credited.
    use domain::money::{Currency, Money};
    use domain::payment::{ExternalId, Payment, PaymentCommand};
    use eventstore::metadata::{Actor, CommandContext};

    let scene = Scene::new().await;
    let started = scene.top_up(&Uuid::now_v7().to_string(), "12.34").await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let payment = started.body["id"].as_str().unwrap().to_owned();
    let transaction = format!("tx_{}", &payment[payment.len() - 12..]);
    let store = eventstore::EventStore::new(
        scene.server.db.pool.clone(),
        Arc::new(eventstore::clock::SystemClock),
    );
    let context = CommandContext::new(Actor::Service(format!("module-{}", scene.module)));
    store
        .execute::<Payment>(
            &payment,
            PaymentCommand::SettleByGateway {
                transaction_id: ExternalId::parse(&transaction).unwrap(),
                amount: Money::parse("12.34", Currency::parse("EUR").unwrap()).unwrap(),
                confirmed_on: chrono::Utc::now().date_naive(),
            },
            &context,
            &[],
        )
        .await
        .unwrap();

    // Act: the processes run; the gateway, never answered, notifies again.
    let mut balance = String::new();
    for _ in 0..100 {
        balance = scene.balance().await;
        if balance == "12.34" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let again = scene
        .pay_at_gateway(started.body["redirect_url"].as_str().unwrap())
        .await;

    // Assert: credited once, and the repeat is a 200 that adds nothing.
    assert!(again.ends_with("/return"), "{again}");
    assert_eq!(balance, "12.34");
    let sent = scene.gateway.sent.lock().unwrap()[0].clone();
    assert_eq!(sent.status, 200, "{sent:?}");
    assert_eq!(scene.balance().await, "12.34");
    assert_eq!(scene.movements_of(&payment).await.len(), 1);
    let credited = scene.read(&format!("/v1/payments/{payment}")).await;
    assert_eq!(credited["external_id"], transaction.as_str());
}
