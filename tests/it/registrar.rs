//! A registrar wired through modules (issue 20 items 4 and 5, ADR 33), end to end over real
//! HTTP on a sandbox provider's clock: an example registrar (a small axum server here that
//! speaks `docs/modules.md`, checking every signature with its own HMAC code) is sent each
//! domain operation with its contacts and answers by a signed callback with the new expiry; the
//! clock's year brings a notice in the client's language, the automatic renewal sent to the
//! registrar and charged; when the money runs out the domain expires with its notices. A live
//! provider's domain beside it is untouched, and the balance, the statement and the expenses
//! agree to the cent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use chrono::{DateTime, Months, NaiveDate, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use crate::modules::{now, serve_on_loopback, signature, signed, unhex};

/// The example registrar: what it was sent, and how to answer.
#[derive(Default)]
struct Registrar {
    /// Its module id, secret and key id, once registered.
    registered: Mutex<Option<(Uuid, Vec<u8>, String)>>,
    /// The billing core's URL, for callbacks.
    billing: Mutex<String>,
    /// Each request it took (with a valid signature), once: the body and its Idempotency-Key.
    received: Mutex<Vec<(Value, String)>>,
    /// Its registry: by operation, the domain and the expiry it answered.
    registry: Mutex<HashMap<String, (String, DateTime<Utc>)>>,
    /// Requests whose signature or key id did not verify.
    bad: Mutex<u32>,
    /// The callbacks the billing core did not take.
    callback_errors: Mutex<Vec<String>>,
    /// Whether it takes requests without calling back (the test answers for it).
    silent: Mutex<bool>,
}

/// `POST /operations`: checks the signature, registers (or renews) in its registry and reports
/// the new expiry: the registry's expiry plus the years (from the day asked for a new domain).
async fn operations(
    State(registrar): State<Arc<Registrar>>,
    headers: HeaderMap,
    body: Bytes,
) -> AxumStatus {
    let Some((module, secret, key_id)) = registrar.registered.lock().unwrap().clone() else {
        return AxumStatus::SERVICE_UNAVAILABLE;
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
        *registrar.bad.lock().unwrap() += 1;
        return AxumStatus::UNAUTHORIZED;
    }
    let request: Value = serde_json::from_slice(&body).unwrap();
    let operation_id = request["operation_id"].as_str().unwrap().to_owned();
    let years = u32::try_from(request["years"].as_u64().unwrap()).unwrap();
    let expires_at = {
        let mut received = registrar.received.lock().unwrap();
        let mut registry = registrar.registry.lock().unwrap();
        let domain = request["domain_id"].as_str().unwrap().to_owned();
        if let Some(answered) = registry.get(&operation_id) {
            // The same request again (the same Idempotency-Key): the same answer.
            answered.1
        } else {
            received.push((request.clone(), header("idempotency-key")));
            // A renewal adds to the registry's expiry; a registration counts from the day asked.
            let from = registry
                .values()
                .filter(|(d, _)| *d == domain)
                .map(|(_, at)| *at)
                .max()
                .unwrap_or_else(|| {
                    let day: NaiveDate = request["requested_on"].as_str().unwrap().parse().unwrap();
                    day.and_hms_opt(0, 0, 0).unwrap().and_utc()
                });
            let at = from.checked_add_months(Months::new(12 * years)).unwrap();
            registry.insert(operation_id.clone(), (domain, at));
            at
        }
    };
    if *registrar.silent.lock().unwrap() {
        return AxumStatus::ACCEPTED;
    }
    let billing = registrar.billing.lock().unwrap().clone();
    let registrar = Arc::clone(&registrar);
    tokio::spawn(async move {
        let body = json!({"operation_id": operation_id, "status": "done",
                          "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)})
        .to_string();
        let answer = reqwest::Client::new()
            .post(format!("{billing}/v1/modules/{module}/callbacks"))
            .header("content-type", "application/json")
            .header(
                "x-billing-signature",
                signature(&secret, now(), body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        if !answer.status().is_success() {
            let text = format!(
                "{} {}",
                answer.status(),
                answer.text().await.unwrap_or_default()
            );
            registrar.callback_errors.lock().unwrap().push(text);
        }
    });
    AxumStatus::ACCEPTED
}

async fn start_registrar(registrar: Arc<Registrar>) -> String {
    serve_on_loopback(
        axum::Router::new()
            .route("/operations", axum::routing::post(operations))
            .with_state(registrar),
    )
    .await
}

struct Shop {
    server: TestServer,
}

impl Shop {
    async fn created(&self, path: &str, body: Value) -> Value {
        let answer = self.server.post(path, body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{path}: {answer:?}");
        answer.body
    }

    async fn provider(&self, name: &str, sandbox: bool) -> String {
        let body = self
            .created(
                "/v1/providers",
                json!({"name": name, "currency": "EUR", "sandbox": sandbox}),
            )
            .await;
        body["id"].as_str().unwrap().to_owned()
    }

    /// A client of `provider` who paid `amount`, with one contact for every role, and the
    /// provider's `.com` prices: register 10.00, renew 12.00 a year.
    async fn client(&self, provider: &str, name: &str, amount: &str) -> (String, String) {
        let set = self
            .server
            .call(
                Method::PUT,
                "/v1/tlds/com",
                Some(
                    json!({"provider_id": provider, "currency": "EUR", "prices": [
                    {"years": 1, "register": "10.00", "renew": "12.00", "transfer": "8.00"}]}),
                ),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{set:?}");
        let client = self.server.client(provider, name).await;
        self.created(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
        let contact = Uuid::now_v7().to_string();
        self.created(
            &format!("/v1/clients/{client}/domain-contacts"),
            json!({"contact_id": contact, "kind": "person", "name": "Ivan Petrov",
                   "email": "ivan@example.ru", "phone": "+74951234567",
                   "address": {"street": "Tverskaya 1", "city": "Moscow",
                               "postal_code": "125009", "country": "RU"}}),
        )
        .await;
        (client, contact)
    }

    async fn order(&self, client: &str, contact: &str, name: &str) -> String {
        let body = self
            .created(
                &format!("/v1/clients/{client}/domains"),
                json!({"name": name, "tld": "com", "years": 1, "operation": "register",
                       "auto_renew": true,
                       "contacts": {"registrant": contact, "admin": contact, "tech": contact}}),
            )
            .await;
        body["id"].as_str().unwrap().to_owned()
    }

    async fn domain(&self, domain: &str) -> Value {
        let head = self.server.settled().await;
        let answer = self
            .server
            .get(&format!("/v1/domains/{domain}?min_position={head}"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body
    }

    /// Waits until the domain's expiry is `expires_at` (the registrar's callback came).
    async fn expires(&self, domain: &str, expires_at: &str, registrar: &Registrar) -> Value {
        for _ in 0..200 {
            let seen = self.domain(domain).await;
            if seen["expires_at"] == expires_at {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{domain} never expired at {expires_at}: {:?}, callbacks refused: {:?}",
            self.domain(domain).await,
            registrar.callback_errors.lock().unwrap()
        );
    }

    async fn advance(&self, provider: &str, to: &str) -> Value {
        let answer = self
            .server
            .post(
                &format!("/v1/providers/{provider}/clock"),
                json!({"to": to}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{to}: {answer:?}");
        self.server.settled().await;
        answer.body
    }

    async fn balance(&self, client: &str) -> String {
        let head = self.server.settled().await;
        let body = self
            .server
            .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
            .await
            .body;
        body["accounts"][0]["balance"].as_str().unwrap().to_owned()
    }

    /// The client's expenses as (period start, amount), oldest first.
    async fn expenses(&self, client: &str) -> Vec<(String, String)> {
        let head = self.server.settled().await;
        let body = self
            .server
            .get(&format!(
                "/v1/clients/{client}/expenses?limit=500&min_position={head}"
            ))
            .await
            .body;
        let mut rows: Vec<(String, String)> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["period_start"].as_str().unwrap().to_owned(),
                    e["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        rows.sort();
        rows
    }

    /// The statement's movements as (day, kind, amount), and its closing balance.
    async fn statement(&self, client: &str) -> (Vec<(String, String, String)>, String) {
        let head = self.server.settled().await;
        let body = self
            .server
            .get(&format!(
                "/v1/clients/{client}/statement?limit=500&min_position={head}"
            ))
            .await
            .body;
        let items = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["occurred_at"].as_str().unwrap_or_default()[..10].to_owned(),
                    m["kind"].as_str().unwrap().to_owned(),
                    m["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        (items, body["closing_balance"].as_str().unwrap().to_owned())
    }

    /// The client's domain notices as (kind, subject), sorted, once `count` are rendered.
    async fn notices(&self, client: &str, count: usize) -> Vec<(String, String)> {
        for _ in 0..200 {
            let page = self
                .server
                .get(&format!("/v1/notifications?client_id={client}"))
                .await;
            let mut items: Vec<(String, String)> = page.body["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter(|n| n["subject"].is_string())
                .map(|n| {
                    (
                        n["kind"].as_str().unwrap().to_owned(),
                        n["subject"].as_str().unwrap().to_owned(),
                    )
                })
                .filter(|(kind, _)| kind.starts_with("domain_"))
                .collect();
            if items.len() >= count {
                items.sort();
                return items;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{client} never had {count} domain notices: {:?}",
            self.server
                .get(&format!("/v1/notifications?client_id={client}"))
                .await
        );
    }
}

fn sum(days: &Value, field: &str) -> u64 {
    days["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d[field].as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_domain_is_registered_renewed_and_expired_through_the_registrar_module() {
    // Arrange: the real clock at 2027-01-01 09:00. A live provider with a domain its registrar
    // answered by hand, expiring inside the sandbox's coming year; a sandbox provider with the
    // example registrar registered for `.com`, and a client reading Russian who paid 25.00.
    let (server, clock) = TestServer::start_fixed().await;
    let day = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    clock.set(Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap()));
    let shop = Shop { server };
    let live = shop.provider("Live Registry", false).await;
    let (live_client, live_contact) = shop.client(&live, "Lena Live", "50.00").await;
    let live_domain = shop.order(&live_client, &live_contact, "live.com").await;
    let head = shop.server.settled().await;
    let pending = shop
        .server
        .get(&format!(
            "/v1/domain-operations?status=pending&domain_id={live_domain}&min_position={head}"
        ))
        .await;
    let answered = shop
        .server
        .post(
            &format!("/v1/domains/{live_domain}/registrar-answer"),
            json!({"operation_id": pending.body["items"][0]["id"], "result": "ok",
                   "expires_at": "2027-06-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{answered:?}");
    let live_before = (
        shop.domain(&live_domain).await,
        shop.balance(&live_client).await,
        shop.expenses(&live_client).await,
        shop.statement(&live_client).await,
    );

    let sandbox = shop.provider("Sandbox Registry", true).await;
    let registrar = Arc::new(Registrar::default());
    *registrar.billing.lock().unwrap() = shop.server.url.clone();
    let base = start_registrar(Arc::clone(&registrar)).await;
    let module = Uuid::now_v7();
    let registered = shop
        .created(
            "/v1/modules",
            json!({"module_id": module, "provider_id": sandbox, "kind": "registrar",
                   "base_url": base, "serves": [".COM"]}),
        )
        .await;
    let secret = unhex(registered["secret"].as_str().unwrap());
    let key_id = registered["key_id"].as_str().unwrap().to_owned();
    *registrar.registered.lock().unwrap() = Some((module, secret, key_id));
    let seen = shop.server.get(&format!("/v1/modules/{module}")).await;
    assert_eq!(seen.body["kind"], "registrar", "{seen:?}");
    assert_eq!(seen.body["serves"], json!(["com"]));
    let (client, contact) = shop.client(&sandbox, "Sasha Sandbox", "25.00").await;
    let settings = shop
        .server
        .call(
            Method::PUT,
            &format!("/v1/clients/{client}/notice-settings"),
            Some(json!({"language": "ru",
                        "subscriptions": ["domain_expiring", "domain_expired"]})),
        )
        .await;
    assert!(settings.status.is_success(), "{settings:?}");

    // Act 1: the client registers example.com for a year (10.00): the registrar is sent it,
    // signed, with the contacts, and answers by callback with the expiry.
    let domain = shop.order(&client, &contact, "example.com").await;
    let registered = shop
        .expires(&domain, "2028-01-01T00:00:00Z", &registrar)
        .await;

    // Assert 1
    assert_eq!(registered["status"], "active");
    {
        let received = registrar.received.lock().unwrap();
        assert_eq!(received.len(), 1, "{received:?}");
        let (request, key) = &received[0];
        assert_eq!(request["kind"], "register");
        assert_eq!(request["name"], "example.com");
        assert_eq!(request["tld"], "com");
        assert_eq!(request["years"], 1);
        assert_eq!(request["client_id"], client.as_str());
        assert_eq!(
            request["contacts"]["registrant"]["details"]["email"],
            "ivan@example.ru"
        );
        assert_eq!(request["contacts"]["tech"]["contact_id"], contact.as_str());
        assert_eq!(request["operation_id"].as_str(), Some(key.as_str()));
    }
    assert_eq!(shop.balance(&client).await, "15.00");

    // Act 2: a year passes on the sandbox's clock. 30 days before the expiry the client is told
    // and the domain is renewed (12.00), sent to the registrar, which answers 2029-01-01.
    let year = shop.advance(&sandbox, "2028-01-01T09:00:00Z").await;
    let renewed = shop
        .expires(&domain, "2029-01-01T00:00:00Z", &registrar)
        .await;

    // Assert 2
    assert_eq!(renewed["status"], "active");
    assert_eq!(sum(&year, "domain_renewals"), 1, "{year}");
    assert_eq!(sum(&year, "domain_charges"), 1);
    assert_eq!(sum(&year, "domain_renewals_refused"), 0);
    assert_eq!(sum(&year, "domain_notices"), 1);
    assert_eq!(sum(&year, "domain_expiries"), 0);
    let renewal_day = year["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain_renewals"] == 1)
        .unwrap();
    assert_eq!(renewal_day["as_of"], "2027-12-02");
    {
        let received = registrar.received.lock().unwrap();
        let kinds: Vec<&str> = received
            .iter()
            .map(|(r, _)| r["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["register", "renew"]);
        assert_eq!(received[1].0["requested_on"], "2027-12-02");
        assert_eq!(
            received[1].0["contacts"]["admin"]["details"]["name"],
            "Ivan Petrov"
        );
    }
    assert_eq!(shop.balance(&client).await, "3.00");
    assert_eq!(
        shop.notices(&client, 1).await,
        [(
            "domain_expiring".to_owned(),
            "Срок регистрации домена example.com истекает через 30 дн.".to_owned()
        )]
    );
    assert_eq!(*registrar.bad.lock().unwrap(), 0);

    // Act 3: another year with 3.00 left: the renewal cannot be paid; told 30 and 7 days before,
    // the domain expires on 2029-01-01 and the client is told that too.
    let second = shop.advance(&sandbox, "2029-01-02T09:00:00Z").await;

    // Assert 3
    let expired = shop.domain(&domain).await;
    assert_eq!(expired["status"], "expired", "{expired}");
    assert_eq!(expired["expires_at"], "2029-01-01T00:00:00Z");
    assert_eq!(sum(&second, "domain_renewals"), 0, "{second}");
    assert_eq!(sum(&second, "domain_charges"), 0);
    // Every day from 30 days before the expiry to its eve the renewal was tried and refused.
    assert_eq!(sum(&second, "domain_renewals_refused"), 30);
    assert_eq!(sum(&second, "domain_notices"), 2);
    assert_eq!(sum(&second, "domain_expiries"), 1);
    assert_eq!(registrar.received.lock().unwrap().len(), 2);
    assert_eq!(*registrar.bad.lock().unwrap(), 0);
    let expiring = |days: u32| {
        (
            "domain_expiring".to_owned(),
            format!("Срок регистрации домена example.com истекает через {days} дн."),
        )
    };
    assert_eq!(
        shop.notices(&client, 4).await,
        [
            (
                "domain_expired".to_owned(),
                "Срок регистрации домена example.com истёк".to_owned()
            ),
            expiring(30),
            expiring(30),
            expiring(7),
        ]
    );

    // The ledger agrees to the cent: 25.00 paid, 10.00 and 12.00 charged by the sandbox's days.
    assert_eq!(shop.balance(&client).await, "3.00");
    let expenses = shop.expenses(&client).await;
    assert_eq!(
        expenses,
        [
            ("2027-01-01".into(), "10.00".into()),
            ("2027-12-02".into(), "12.00".into())
        ]
    );
    let (movements, closing) = shop.statement(&client).await;
    assert_eq!(closing, "3.00");
    let charged: Decimal = movements
        .iter()
        .filter(|(_, kind, _)| kind == "charge")
        .map(|(_, _, amount)| amount.parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(charged, Decimal::new(-2200, 2), "{movements:?}");
    assert!(
        movements.contains(&("2027-12-02".into(), "charge".into(), "-12.00".into())),
        "{movements:?}"
    );
    // The revenue report counts both at the sandbox provider under the item type `domain`.
    let head = shop.server.settled().await;
    let revenue = shop
        .server
        .get(&format!(
            "/v1/reports/revenue?group=month&from=2027-01-01&to=2028-01-01&sandbox=true\
             &provider_id={sandbox}&min_position={head}"
        ))
        .await;
    assert_eq!(revenue.status, StatusCode::OK, "{revenue:?}");
    let rows: Vec<(String, String, String)> = revenue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["period_start"].as_str().unwrap().to_owned(),
                row["item_type"].as_str().unwrap().to_owned(),
                row["revenue"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("2027-01-01".into(), "domain".into(), "10.00".into()),
            ("2027-12-01".into(), "domain".into(), "12.00".into()),
        ]
    );

    // The live provider's domain, expiring inside both sandbox years: untouched.
    let live_after = (
        shop.domain(&live_domain).await,
        shop.balance(&live_client).await,
        shop.expenses(&live_client).await,
        shop.statement(&live_client).await,
    );
    assert_eq!(live_after, live_before);
    assert_eq!(live_after.0["status"], "active");
    let _: DateTime<Utc> = live_after.0["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
}

/// Posts `body` as module `module`'s callback, signed with `secret`.
async fn callback(shop: &Shop, module: Uuid, secret: &[u8], body: &Value) -> tests::Answer {
    let body = body.to_string();
    let response = shop
        .server
        .http
        .post(format!("{}/v1/modules/{module}/callbacks", shop.server.url))
        .header("content-type", "application/json")
        .header(
            "x-billing-signature",
            signature(secret, now(), body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    tests::answer(response).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_refusing_a_registration_gives_the_charge_back_and_a_done_needs_its_expiry() {
    // Arrange: a live provider with a registrar module for `.com` that takes requests and
    // answers later; a client who paid 25.00.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let provider = shop.provider("Registry", false).await;
    let registrar = Arc::new(Registrar::default());
    *registrar.silent.lock().unwrap() = true;
    let base = start_registrar(Arc::clone(&registrar)).await;
    let module = Uuid::now_v7();
    let not_a_tld = shop
        .server
        .post(
            "/v1/modules",
            json!({"module_id": Uuid::now_v7(), "provider_id": provider, "kind": "registrar",
                   "base_url": base, "serves": ["not a tld!"]}),
        )
        .await;
    let registered = shop
        .created(
            "/v1/modules",
            json!({"module_id": module, "provider_id": provider, "kind": "registrar",
                   "base_url": base, "serves": ["com"]}),
        )
        .await;
    let secret = unhex(registered["secret"].as_str().unwrap());
    let key_id = registered["key_id"].as_str().unwrap().to_owned();
    *registrar.registered.lock().unwrap() = Some((module, secret.clone(), key_id));
    let (client, contact) = shop.client(&provider, "Rita Refused", "25.00").await;
    let domain = shop.order(&client, &contact, "taken.com").await;
    for _ in 0..200 {
        if !registrar.received.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let operation = registrar.received.lock().unwrap()[0].0["operation_id"].clone();
    assert_eq!(shop.balance(&client).await, "15.00");
    let events = shop.server.event_count().await;

    // Act: a `done` without the expiry, then the refusal, then the refusal again.
    let no_expiry = callback(
        &shop,
        module,
        &secret,
        &json!({"operation_id": operation, "status": "done"}),
    )
    .await;
    let written_by_no_expiry = shop.server.event_count().await - events;
    let refused = callback(
        &shop,
        module,
        &secret,
        &json!({"operation_id": operation, "status": "failed", "reason": "the name is taken"}),
    )
    .await;
    let again = callback(
        &shop,
        module,
        &secret,
        &json!({"operation_id": operation, "status": "failed", "reason": "the name is taken"}),
    )
    .await;

    // Assert
    assert_eq!(not_a_tld.status, StatusCode::BAD_REQUEST, "{not_a_tld:?}");
    assert_eq!(not_a_tld.body["code"], "invalid_module_serves");
    assert_eq!(no_expiry.status, StatusCode::BAD_REQUEST, "{no_expiry:?}");
    assert_eq!(no_expiry.content_type, "application/problem+json");
    assert_eq!(no_expiry.body["code"], "invalid_callback");
    assert_eq!(written_by_no_expiry, 0);
    assert_eq!(refused.status, StatusCode::OK, "{refused:?}");
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    let failed = shop.domain(&domain).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    // The 10.00 came back once, and the statement says so to the cent.
    assert_eq!(shop.balance(&client).await, "25.00");
    let (movements, closing) = shop.statement(&client).await;
    assert_eq!(closing, "25.00");
    let moved: Decimal = movements
        .iter()
        .map(|(_, _, amount)| amount.parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(moved, Decimal::new(2500, 2), "{movements:?}");
    assert_eq!(registrar.received.lock().unwrap().len(), 1);
}
