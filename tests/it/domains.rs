//! Domains (issue 20.4) over HTTP: a TLD priced by staff, a domain registered with its contacts,
//! renewed by hand and by the billing day, expired when not renewed; a failed registration gives
//! its charge back; the balance, the statement and the expenses agree at every step; bad input
//! is refused naming the problem and writes nothing.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use eventstore::clock::FixedClock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{Answer, TestServer};
use uuid::Uuid;

/// A client with money, contacts and the `.com` prices of its provider.
struct Scene {
    server: TestServer,
    clock: Arc<FixedClock>,
    provider: String,
    client: String,
    ivan: String,
    acme: String,
}

fn person() -> Value {
    json!({
        "kind": "person", "name": "Ivan Petrov", "email": "ivan@example.ru",
        "phone": "+74951234567",
        "address": {"street": "Tverskaya 1", "city": "Moscow", "postal_code": "125009",
                    "country": "RU"}
    })
}

fn organisation() -> Value {
    json!({
        "kind": "organisation", "name": "Grace Hopper", "organisation": "Acme GmbH",
        "email": "hostmaster@acme.example", "phone": "+4930123456",
        "address": {"street": "Ring 1", "city": "Berlin", "postal_code": "10115",
                    "country": "DE"}
    })
}

fn code(answer: &Answer) -> &str {
    answer.body["code"].as_str().unwrap_or_default()
}

impl Scene {
    async fn new() -> Scene {
        let (server, clock) = TestServer::start_fixed().await;
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Ada Lovelace").await;
        let set = server
            .call(
                Method::PUT,
                "/v1/tlds/com",
                Some(
                    json!({"provider_id": provider, "currency": "EUR", "prices": [
                        {"years": 1, "register": "10.00", "renew": "12.00", "transfer": "8.00"},
                        {"years": 2, "register": "19.00", "renew": "23.00", "transfer": "15.00"}
                    ]}),
                ),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{set:?}");
        let paid = server
            .post(
                &format!("/v1/clients/{client}/payments"),
                json!({"payment_id": Uuid::now_v7(), "amount": "100.00", "currency": "EUR",
                       "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        let mut scene = Scene {
            server,
            clock,
            provider,
            client,
            ivan: String::new(),
            acme: String::new(),
        };
        scene.ivan = scene.contact(&scene.client.clone(), person()).await;
        scene.acme = scene.contact(&scene.client.clone(), organisation()).await;
        scene
    }

    async fn contact(&self, client: &str, details: Value) -> String {
        let id = Uuid::now_v7().to_string();
        let mut body = details;
        body["contact_id"] = json!(id);
        let created = self
            .server
            .post(&format!("/v1/clients/{client}/domain-contacts"), body)
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        id
    }

    fn order_body(&self, name: &str, years: u32, auto_renew: bool) -> Value {
        json!({"name": name, "tld": "com", "years": years, "operation": "register",
               "auto_renew": auto_renew,
               "contacts": {"registrant": self.ivan, "admin": self.acme, "tech": self.acme}})
    }

    async fn order(&self, body: Value) -> Answer {
        self.server
            .post(&format!("/v1/clients/{}/domains", self.client), body)
            .await
    }

    async fn ordered(&self, name: &str, years: u32, auto_renew: bool) -> String {
        let answer = self.order(self.order_body(name, years, auto_renew)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().unwrap().to_owned()
    }

    async fn head(&self) -> i64 {
        eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap()
    }

    /// The pending operations of `domain`, as the registrar polls them.
    async fn pending(&self, domain: &str) -> Vec<Value> {
        let head = self.head().await;
        let page = self
            .server
            .get(&format!(
                "/v1/domain-operations?status=pending&domain_id={domain}&min_position={head}"
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        page.body["items"].as_array().cloned().unwrap_or_default()
    }

    async fn answer(&self, domain: &str, body: Value) -> Answer {
        self.server
            .post(&format!("/v1/domains/{domain}/registrar-answer"), body)
            .await
    }

    /// The registrar answers the one pending operation of `domain` with `ok` and `expires_at`.
    async fn registered(&self, domain: &str, expires_at: &str) {
        let pending = self.pending(domain).await;
        assert_eq!(pending.len(), 1, "{pending:?}");
        let answer = self
            .answer(
                domain,
                json!({"operation_id": pending[0]["id"], "result": "ok",
                       "expires_at": expires_at}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    }

    async fn domain(&self, domain: &str) -> Value {
        let head = self.head().await;
        let answer = self
            .server
            .get(&format!("/v1/domains/{domain}?min_position={head}"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body
    }

    async fn balance(&self) -> String {
        let head = self.head().await;
        let answer = self
            .server
            .get(&format!(
                "/v1/clients/{}/balance?min_position={head}",
                self.client
            ))
            .await;
        answer.body["accounts"][0]["balance"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn statement(&self) -> Value {
        let head = self.head().await;
        let answer = self
            .server
            .get(&format!(
                "/v1/clients/{}/statement?limit=500&min_position={head}",
                self.client
            ))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body
    }

    async fn expenses(&self) -> Vec<Value> {
        let head = self.head().await;
        let answer = self
            .server
            .get(&format!(
                "/v1/clients/{}/expenses?limit=500&min_position={head}",
                self.client
            ))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body["items"].as_array().cloned().unwrap_or_default()
    }

    async fn billing_day(&self, date: &str) {
        let day: chrono::NaiveDate = date.parse().unwrap();
        self.clock
            .set(Utc.from_utc_datetime(&day.and_hms_opt(3, 0, 0).unwrap()));
        let answer = self
            .server
            .post("/v1/billing/runs", json!({"as_of": date}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    }

    /// The balance, the statement's closing balance and the paid 100.00 plus the statement's
    /// domain movements (charges and the voids that give them back) all say `expected`, and
    /// the expenses list every charge the statement shows.
    async fn agree(&self, expected: &str) {
        use rust_decimal::Decimal;
        let amount = |v: &Value| v["amount"].as_str().unwrap().parse::<Decimal>().unwrap();
        assert_eq!(self.balance().await, expected);
        let statement = self.statement().await;
        assert_eq!(statement["closing_balance"], expected, "{statement}");
        let items = statement["items"].as_array().unwrap();
        let moved: Decimal = items
            .iter()
            .filter(|i| i["kind"] != "payment")
            .map(amount)
            .sum();
        let expected: Decimal = expected.parse().unwrap();
        assert_eq!(Decimal::from(100) + moved, expected, "{statement}");
        let charged: Decimal = items
            .iter()
            .filter(|i| i["kind"] == "charge")
            .map(amount)
            .sum();
        let expenses: Decimal = self.expenses().await.iter().map(amount).sum();
        assert_eq!(expenses, -charged);
    }
}

#[tokio::test]
async fn a_domain_is_registered_renewed_and_expired_with_its_contacts() {
    // Arrange
    let scene = Scene::new().await;
    let tlds = scene
        .server
        .get(&format!("/v1/tlds?min_position={}", scene.head().await))
        .await;
    assert_eq!(tlds.body["items"][0]["tld"], "com", "{tlds:?}");
    assert_eq!(tlds.body["items"][0]["prices"][1]["renew"], "23.00");

    // Act: registered for a year at 10.00; the registrar polls the operation with the contacts.
    let domain = scene.ordered("Example.com", 1, true).await;
    scene.agree("90.00").await;
    let pending = scene.pending(&domain).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["kind"], "register");
    assert_eq!(pending[0]["name"], "example.com");
    assert_eq!(
        pending[0]["contacts"]["registrant"]["details"]["name"],
        "Ivan Petrov"
    );
    assert_eq!(
        pending[0]["contacts"]["tech"]["details"]["organisation"],
        "Acme GmbH"
    );
    // The registrar's expiry is kept as it answers it (not a year from today).
    scene.registered(&domain, "2028-01-03T12:00:00Z").await;
    let registered = scene.domain(&domain).await;
    assert_eq!(registered["status"], "active");
    assert_eq!(registered["expires_at"], "2028-01-03T12:00:00Z");

    // Renewed by hand for two years at 23.00.
    let renewed = scene
        .server
        .post(&format!("/v1/domains/{domain}/renew"), json!({"years": 2}))
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{renewed:?}");
    scene.agree("67.00").await;
    // A second renewal while the first waits for the registrar is refused, charging nothing.
    let twice = scene
        .server
        .post(&format!("/v1/domains/{domain}/renew"), json!({"years": 1}))
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{twice:?}");
    scene.registered(&domain, "2030-01-03T12:00:00Z").await;

    // The billing day 30 days before the expiry renews it for a year at 12.00, once however
    // often it runs; the registrar refuses and the 12.00 comes back.
    scene.billing_day("2029-12-04").await;
    scene.billing_day("2029-12-04").await;
    let automatic = scene.pending(&domain).await;
    assert_eq!(automatic.len(), 1, "{automatic:?}");
    assert_eq!(automatic[0]["kind"], "renew");
    scene.agree("55.00").await;
    let refused = scene
        .answer(
            &domain,
            json!({"operation_id": automatic[0]["id"], "result": "failed",
                   "reason": "registry unavailable"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK, "{refused:?}");
    scene.agree("67.00").await;
    assert_eq!(scene.domain(&domain).await["status"], "active");

    // A domain not set to renew itself expires on the billing day of its expiry.
    let other = scene.ordered("other.com", 1, false).await;
    scene.registered(&other, "2030-02-01T12:00:00Z").await;
    scene.agree("57.00").await;
    scene.billing_day("2030-01-31").await;
    assert_eq!(scene.domain(&other).await["status"], "active");
    scene.billing_day("2030-02-01").await;
    let expired = scene.domain(&other).await;
    assert_eq!(expired["status"], "expired", "{expired}");
    assert_eq!(expired["operations"].as_array().unwrap().len(), 1);
    // The first, whose renewal the registrar refused, was not renewed again after its expiry:
    // it expired too.
    assert_eq!(scene.domain(&domain).await["status"], "expired");
    scene.agree("57.00").await;
}

#[tokio::test]
async fn a_failed_registration_gives_its_charge_back_once() {
    // Arrange
    let scene = Scene::new().await;
    let domain = scene.ordered("taken.com", 2, true).await;
    scene.agree("81.00").await;
    let operation = scene.pending(&domain).await[0]["id"].clone();

    // Act: the registrar says it failed, twice (a retry).
    let body = json!({"operation_id": operation, "result": "failed", "reason": "name taken"});
    let first = scene.answer(&domain, body.clone()).await;
    let again = scene.answer(&domain, body).await;
    let otherwise = scene
        .answer(
            &domain,
            json!({"operation_id": operation, "result": "ok",
                   "expires_at": "2029-01-01T00:00:00Z"}),
        )
        .await;

    // Assert
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(otherwise.status, StatusCode::CONFLICT, "{otherwise:?}");
    scene.agree("100.00").await;
    let failed = scene.domain(&domain).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["operations"][0]["reason"], "name taken");
    let renew = scene
        .server
        .post(&format!("/v1/domains/{domain}/renew"), json!({"years": 1}))
        .await;
    assert_eq!(code(&renew), "domain_not_active", "{renew:?}");
}

#[tokio::test]
async fn bad_orders_and_prices_are_refused_naming_the_problem_and_write_nothing() {
    // Arrange
    let scene = Scene::new().await;
    let stranger = scene.server.client(&scene.provider, "Bob Stranger").await;
    let strangers = scene.contact(&stranger, person()).await;
    let before = scene.server.event_count().await;
    let with = |field: &str, value: Value| {
        let mut body = scene.order_body("example.com", 1, true);
        body[field] = value;
        body
    };
    let mut foreign = scene.order_body("example.com", 1, true);
    foreign["contacts"]["admin"] = json!(strangers);

    // Act
    let cases = [
        (with("name", json!("exa mple.com")), "invalid_domain_name"),
        (with("name", json!("example.org")), "name_not_under_tld"),
        (with("name", json!("www.example.com")), "name_not_under_tld"),
        (with("years", json!(11)), "years_out_of_range"),
        (with("years", json!(3)), "tld_not_sold"),
        (with("tld", json!("net")), "tld_not_sold"),
        (with("tld", json!("-x-")), "invalid_tld"),
        (with("operation", json!("renew")), "invalid_operation"),
        (foreign, "domain_contact_not_found"),
        (with("name", json!("big.com")), ""),
    ];
    let mut answers = Vec::new();
    for (body, _) in &cases[..cases.len() - 1] {
        answers.push(scene.order(body.clone()).await);
    }
    let bad_price = scene
        .server
        .call(
            Method::PUT,
            "/v1/tlds/net",
            Some(
                json!({"provider_id": Uuid::now_v7(), "currency": "EUR", "prices": [
                {"years": 1, "register": "1.001", "renew": "1.00", "transfer": "1.00"}]}),
            ),
        )
        .await;

    // Assert
    for ((_, expected), answer) in cases.iter().zip(&answers) {
        assert!(answer.status.is_client_error(), "{expected}: {answer:?}");
        assert_eq!(code(answer), *expected, "{answer:?}");
        assert_eq!(answer.content_type, "application/problem+json");
    }
    assert_eq!(code(&bad_price), "invalid_amount", "{bad_price:?}");
    assert_eq!(scene.server.event_count().await, before);
    // Not enough money: 2 years at 19.00 five times is 95.00, the sixth is refused.
    for n in 0..5 {
        scene.ordered(&format!("n{n}.com"), 2, true).await;
    }
    let before = scene.server.event_count().await;
    let broke = scene.order(scene.order_body("broke.com", 2, true)).await;
    assert_eq!(code(&broke), "insufficient_funds", "{broke:?}");
    assert_eq!(scene.server.event_count().await, before);
    scene.agree("5.00").await;
}

#[tokio::test]
async fn a_merge_moves_the_clients_domains_and_contacts_and_their_renewals_charge_the_target() {
    // Arrange: Ada (paid 100.00) registered example.com at 10.00, set to renew itself, with her
    // contacts Ivan and Acme; Bernd paid 5.00. Ada is merged into Bernd.
    let scene = Scene::new().await;
    let domain = scene.ordered("example.com", 1, true).await;
    scene.registered(&domain, "2028-01-03T12:00:00Z").await;
    scene.agree("90.00").await;
    let bernd = scene.server.client(&scene.provider, "Bernd Neu").await;
    let paid = scene
        .server
        .post(
            &format!("/v1/clients/{bernd}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": "5.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");

    // Act
    let merge_id = crate::merge::merge_and_wait(&scene.server, &bernd, &scene.client).await;
    let merge = scene
        .server
        .get(&format!("/v1/merges/{merge_id}"))
        .await
        .body;

    // Assert: the merge says what moved; the domain and both contacts are Bernd's.
    let steps: Vec<&str> = merge["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps.iter().filter(|s| **s == "contact_moved").count(),
        2,
        "{merge}"
    );
    assert_eq!(
        steps.iter().filter(|s| **s == "domain_moved").count(),
        1,
        "{merge}"
    );
    let moved = scene.domain(&domain).await;
    assert_eq!(moved["client_id"], bernd.as_str(), "{moved}");
    assert_eq!(moved["status"], "active");
    let head = scene.head().await;
    let listed = scene
        .server
        .get(&format!("/v1/clients/{bernd}/domains?min_position={head}"))
        .await;
    assert_eq!(listed.body["items"][0]["id"], domain.as_str(), "{listed:?}");
    let contacts = scene
        .server
        .get(&format!(
            "/v1/clients/{bernd}/domain-contacts?min_position={head}"
        ))
        .await;
    assert_eq!(
        contacts.body["items"].as_array().map(Vec::len),
        Some(2),
        "{contacts:?}"
    );
    // Bernd may now correct the registrant he holds.
    let mut corrected = person();
    corrected["address"]["city"] = json!("Tver");
    let updated = scene
        .server
        .call(
            Method::PUT,
            &format!("/v1/clients/{bernd}/domain-contacts/{}", scene.ivan),
            Some(corrected),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");

    // The billing day 30 days before the expiry renews it from Bernd's account (95.00 - 12.00),
    // sending contacts that are Bernd's own; Ada's merged account stays empty.
    scene.billing_day("2027-12-04").await;
    let renewal = scene.pending(&domain).await;
    assert_eq!(renewal.len(), 1, "{renewal:?}");
    assert_eq!(renewal[0]["kind"], "renew");
    assert_eq!(
        renewal[0]["contacts"]["registrant"]["client_id"],
        bernd.as_str(),
        "{renewal:?}"
    );
    let head = scene.head().await;
    let balance = |client: String| {
        let server = &scene.server;
        async move {
            let answer = server
                .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
                .await;
            answer.body["accounts"][0]["balance"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(balance(bernd.clone()).await, "83.00");
    assert_eq!(balance(scene.client.clone()).await, "0.00");
    let expenses = scene
        .server
        .get(&format!(
            "/v1/clients/{bernd}/expenses?limit=50&min_position={head}"
        ))
        .await;
    assert!(
        expenses.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["amount"] == "12.00"),
        "{expenses:?}"
    );
    // Bernd's action log holds the domain's history, from its order on.
    let log = scene
        .server
        .get(&format!(
            "/v1/action-log?client_id={bernd}&limit=500&min_position={head}"
        ))
        .await;
    let types: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    for expected in [
        "DomainTransferred",
        "ContactTransferred",
        "DomainRenewalRequested",
        "ContactUpdated",
    ] {
        assert!(types.contains(&expected), "{expected}: {types:?}");
    }
}

#[tokio::test]
async fn the_billing_day_run_from_the_command_line_renews_domains_too() {
    // Arrange: a domain set to renew itself, expiring on 2028-01-03.
    let scene = Scene::new().await;
    let domain = scene.ordered("cron.com", 1, true).await;
    scene.registered(&domain, "2028-01-03T12:00:00Z").await;
    scene.agree("90.00").await;

    // Act: the operator's cron runs the billing day 30 days before the expiry.
    let ran = tokio::process::Command::new(tests::billing_binary())
        .args(["run-billing", "--as-of", "2027-12-04"])
        .env("DATABASE_URL", &scene.server.db.url)
        .env("BILLING_LOG_FORMAT", "text")
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("run billing run-billing");

    // Assert: the same day as the API's: the renewal is asked and charged (12.00).
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let report: Value = serde_json::from_slice(&ran.stdout).expect("a JSON report");
    assert_eq!(report["domain_renewals"], 1, "{report}");
    let pending = scene.pending(&domain).await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["kind"], "renew");
    scene.agree("78.00").await;
}

#[tokio::test]
async fn a_renewal_charged_but_not_recorded_before_a_crash_is_recorded_the_next_day_not_charged_again()
 {
    // Arrange: a domain set to renew itself, expiring on 2028-01-03. On 2027-12-04 its renewal
    // is charged (12.00) and the run stops before the domain records it.
    let scene = Scene::new().await;
    let domain = scene.ordered("crash.com", 1, true).await;
    scene.registered(&domain, "2028-01-03T12:00:00Z").await;
    let day = chrono::NaiveDate::from_ymd_opt(2027, 12, 4).unwrap();
    scene
        .clock
        .set(Utc.from_utc_datetime(&day.and_hms_opt(3, 0, 0).unwrap()));
    let state = &scene.server.running.as_ref().unwrap().state;
    let context = eventstore::metadata::CommandContext::new(eventstore::metadata::Actor::System(
        "billing-day".to_owned(),
    ));
    api::usecases::domains::charge_renewal(
        state,
        &context,
        Uuid::parse_str(&domain).unwrap(),
        1,
        true,
        None,
    )
    .await
    .expect("the renewal is charged");
    scene.agree("78.00").await;

    // Act: the next billing day.
    scene.billing_day("2027-12-05").await;

    // Assert: the renewal charged on Dec 4 is asked of the registrar, and charged once.
    let pending = scene.pending(&domain).await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["kind"], "renew");
    scene.agree("78.00").await;
    assert_eq!(scene.expenses().await.len(), 2);
}
