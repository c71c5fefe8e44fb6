//! Authorization end to end: the permission matrix of every route against every role, the
//! isolation of one client's users from another client, acting as a client, and logins.
//!
//! The matrix's expectations are written here, by hand, independently of the server's rule table
//! (`api::http::auth::rules`): the test walks every path and method of the OpenAPI document the server
//! serves, so a new route fails it until someone writes down who may call it (and gives it a
//! rule; without one the server refuses everyone but administrators).

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{Answer, TestServer, answer};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// A domain contact's details.
fn domain_contact() -> Value {
    json!({"kind": "person", "name": "Ivan Petrov", "email": "ivan@example.ru",
           "phone": "+74951234567",
           "address": {"street": "Tverskaya 1", "city": "Moscow", "postal_code": "125009",
                       "country": "RU"}})
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Admin,
    Sales,
    Support,
    Accountant,
    User,
    Gateway,
    Anonymous,
}

const ROLES: [Role; 7] = [
    Role::Admin,
    Role::Sales,
    Role::Support,
    Role::Accountant,
    Role::User,
    Role::Gateway,
    Role::Anonymous,
];

/// Who may call what, one letter per role in the order of [`ROLES`] (administrator, sales,
/// support, accountant, client user, gateway service token, no token): `2` a 2xx answer, `1`
/// 401, `3` 403, `4` 404.
const EXPECTED: &[(&str, &str)] = &[
    ("GET /v1/health", "2222222"),
    ("GET /v1/ready", "2222222"),
    ("POST /v1/auth/login", "2222222"),
    ("POST /v1/auth/logout", "2222221"),
    ("GET /v1/auth/me", "2222221"),
    // `?`: 422, a new password too short (checked before anything else, so nothing is written
    // and no sign-in failure is counted); the flows are in `my_panel::password`.
    ("POST /v1/auth/password", "??????1"),
    ("POST /v1/auth/password-resets", "2222222"),
    ("POST /v1/auth/password-resets/{id}", "???????"),
    ("POST /v1/auth/tokens/{id}/revoke", "2333331"),
    ("POST /v1/service-tokens", "2333331"),
    ("GET /v1/service-tokens", "2333331"),
    ("POST /v1/departments", "2333331"),
    ("GET /v1/departments", "2333331"),
    ("PUT /v1/departments/{id}/permissions", "2333331"),
    ("POST /v1/staff", "2333331"),
    ("GET /v1/staff", "2333331"),
    ("PUT /v1/staff/{id}/access", "2333331"),
    ("POST /v1/staff/{id}/disable", "2333331"),
    ("POST /v1/staff/{id}/enable", "2333331"),
    ("POST /v1/providers", "2333331"),
    ("GET /v1/providers", "2222331"),
    ("POST /v1/providers/{id}/clock", "2333331"),
    ("GET /v1/providers/{id}/clock", "2222331"),
    ("POST /v1/clients", "2233331"),
    ("GET /v1/clients", "2222231"),
    ("GET /v1/clients/{id}", "2222231"),
    ("PATCH /v1/clients/{id}", "2233231"),
    ("DELETE /v1/clients/{id}", "2233331"),
    ("PUT /v1/clients/{id}/billing-details", "2233231"),
    ("POST /v1/clients/{id}/users", "2233231"),
    ("GET /v1/clients/{id}/users", "2222231"),
    ("PUT /v1/clients/{id}/users/{user}/roles", "2233231"),
    ("POST /v1/clients/{id}/users/{user}/disable", "2233231"),
    ("POST /v1/clients/{id}/users/{user}/enable", "2233231"),
    ("POST /v1/clients/{id}/act-as", "2233331"),
    ("POST /v1/clients/{id}/payments", "2332331"),
    ("POST /v1/clients/{id}/adjustments", "2332331"),
    ("GET /v1/clients/{id}/balance", "2222231"),
    ("PUT /v1/clients/{id}/credit-limit", "2332331"),
    ("GET /v1/clients/{id}/expenses", "2232231"),
    ("GET /v1/clients/{id}/statement", "2232231"),
    ("POST /v1/expenses/{id}/corrections", "2332331"),
    ("POST /v1/payments", "2332331"),
    ("GET /v1/payments", "2232231"),
    ("GET /v1/payments/{id}", "2232231"),
    ("POST /v1/payments/{id}/start", "2332331"),
    ("POST /v1/payments/{id}/confirm", "2332321"),
    ("POST /v1/payments/{id}/cancel", "2332231"),
    ("POST /v1/payments/{id}/refunds", "2332331"),
    ("POST /v1/payments/{id}/fraud", "2332331"),
    ("POST /v1/clients/{id}/top-ups", "2332231"),
    ("POST /v1/invoices", "2332331"),
    ("GET /v1/invoices", "2232231"),
    ("GET /v1/invoices/{id}", "2232231"),
    ("POST /v1/invoices/{id}/credit-notes", "2332331"),
    ("POST /v1/invoices/{id}/send", "2332331"),
    ("POST /v1/invoices/monthly", "2332331"),
    ("GET /v1/action-log", "2232331"),
    ("POST /v1/tariffs", "2333331"),
    ("GET /v1/tariffs", "2223231"),
    ("GET /v1/tariffs/{id}", "2223231"),
    ("POST /v1/tariffs/{id}/prices", "2333331"),
    ("POST /v1/tariffs/{id}/archive", "2333331"),
    ("POST /v1/promo-codes", "2333331"),
    ("GET /v1/promo-codes", "2223331"),
    ("GET /v1/promo-codes/{id}", "2223331"),
    ("POST /v1/promo-codes/{id}/disable", "2333331"),
    ("POST /v1/affiliate-programs", "2333331"),
    ("GET /v1/affiliate-programs", "2223331"),
    ("POST /v1/affiliate-programs/{id}/close", "2333331"),
    (
        "POST /v1/clients/{id}/affiliate-programs/{program}/join",
        "2233231",
    ),
    (
        "POST /v1/clients/{id}/affiliate-programs/{program}/links",
        "2233231",
    ),
    (
        "POST /v1/clients/{id}/affiliate-programs/{program}/payouts",
        "2332231",
    ),
    ("GET /v1/clients/{id}/affiliate", "2222231"),
    ("POST /v1/clients/{id}/referral", "2233331"),
    ("GET /v1/referral-links/{code}", "2222222"),
    ("POST /v1/clients/{id}/services", "2223231"),
    ("GET /v1/clients/{id}/services", "2223231"),
    ("GET /v1/services", "2223331"),
    ("GET /v1/services/{id}", "2223231"),
    ("POST /v1/services/{id}/prolong", "2223231"),
    ("POST /v1/services/{id}/suspend", "2223331"),
    ("POST /v1/services/{id}/resume", "2223331"),
    ("POST /v1/services/{id}/close", "2223231"),
    ("POST /v1/services/{id}/change-tariff", "2223231"),
    ("PUT /v1/services/{id}/auto-prolong", "2223231"),
    ("GET /v1/operations", "2223331"),
    ("POST /v1/operations/{id}/complete", "2223331"),
    ("POST /v1/operations/{id}/fail", "2223331"),
    ("POST /v1/operations/{id}/retry", "2223331"),
    ("POST /v1/billing/runs", "2333331"),
    ("POST /v1/companies", "2333331"),
    ("GET /v1/companies", "2333331"),
    ("GET /v1/companies/{id}", "2333331"),
    ("PUT /v1/companies/{id}/tax-rules", "2333331"),
    ("PUT /v1/companies/{id}/payment-methods/{method}", "2333331"),
    ("PUT /v1/companies/{id}/document-template", "2333331"),
    ("GET /v1/companies/{id}/document-template", "2333331"),
    ("GET /v1/currencies", "2232331"),
    ("POST /v1/agreements", "2333331"),
    ("GET /v1/agreements", "2223331"),
    ("GET /v1/agreements/{id}", "2223331"),
    ("GET /v1/tariffs/{id}/agreement", "2223231"),
    ("POST /v1/contract-templates", "2333331"),
    ("GET /v1/contract-templates", "2333331"),
    ("POST /v1/clients/{id}/contracts", "2233331"),
    ("GET /v1/clients/{id}/contracts", "2222231"),
    ("GET /v1/clients/{id}/contracts/{contract}", "2222231"),
    ("GET /v1/clients/{id}/contracts/{contract}/pdf", "2222231"),
    ("POST /v1/clients/{id}/contracts/{contract}/sign", "2233331"),
    (
        "POST /v1/clients/{id}/contracts/{contract}/terminate",
        "2233331",
    ),
    ("POST /v1/imports", "2333331"),
    ("POST /v1/tariffs/{id}/price-changes", "2333331"),
    ("PUT /v1/client-groups/{id}/discounts", "2233331"),
    ("PUT /v1/clients/{id}/personal-discount", "2233331"),
    ("GET /v1/clients/{id}/personal-discount", "2222231"),
    ("GET /v1/item-types", "2223331"),
    ("PUT /v1/item-types/{code}", "2333331"),
    ("PUT /v1/currencies/{code}/rates", "2332331"),
    ("GET /v1/currencies/{code}/rates", "2232331"),
    ("POST /v1/clients/{id}/payers", "2233231"),
    ("GET /v1/clients/{id}/payers", "2222231"),
    ("PATCH /v1/payers/{id}", "2233231"),
    ("POST /v1/clients/{id}/domain-contacts", "2233231"),
    ("GET /v1/clients/{id}/domain-contacts", "2222231"),
    ("GET /v1/clients/{id}/domain-contacts/{contact}", "2222231"),
    ("PUT /v1/clients/{id}/domain-contacts/{contact}", "2233231"),
    (
        "DELETE /v1/clients/{id}/domain-contacts/{contact}",
        "2233231",
    ),
    ("PUT /v1/services/{id}/domain-contacts", "2223231"),
    ("POST /v1/client-groups", "2233331"),
    ("GET /v1/client-groups", "2222331"),
    ("PUT /v1/clients/{id}/groups", "2233331"),
    ("PUT /v1/clients/{id}/status", "2233331"),
    ("POST /v1/clients/{id}/merge", "2233331"),
    ("GET /v1/merges/{id}", "2222331"),
    ("POST /v1/services/{id}/transfer", "2223331"),
    ("GET /v1/reports/revenue", "2232331"),
    ("GET /v1/reports/deferred-revenue", "2232331"),
    ("GET /v1/reports/payments", "2232331"),
    ("GET /v1/reports/debtors", "2232331"),
    ("GET /v1/reports/clients", "2232331"),
    ("GET /v1/reports/services", "2232331"),
    ("GET /v1/reports/mrr", "2232331"),
    ("GET /v1/audit/head", "2232331"),
    ("GET /v1/audit/verify", "2232331"),
    ("GET /v1/audit/events", "2232331"),
    ("POST /v1/clients/{id}/tickets", "2223231"),
    ("GET /v1/clients/{id}/tickets", "2223231"),
    ("GET /v1/tickets/{id}", "2223231"),
    ("POST /v1/tickets/{id}/messages", "2223231"),
    ("POST /v1/tickets/{id}/assign", "2223331"),
    ("POST /v1/tickets/{id}/close", "2223231"),
    ("POST /v1/tickets/{id}/reopen", "2223231"),
    ("GET /v1/tickets/{id}/attachments/{sha256}", "2223231"),
    ("GET /v1/ticket-queue", "2223331"),
    ("PUT /v1/departments/{id}/business-hours", "2333331"),
    ("POST /v1/ticket-categories", "2223331"),
    ("GET /v1/ticket-categories", "2223231"),
    ("POST /v1/ticket-categories/{id}/archive", "2223331"),
    ("POST /v1/answer-templates", "2223331"),
    ("GET /v1/answer-templates", "2223331"),
    ("PUT /v1/answer-templates/{id}", "2223331"),
    ("DELETE /v1/answer-templates/{id}", "2223331"),
    ("GET /v1/reports/response-times", "2232331"),
    ("PUT /v1/message-templates/{kind}/{language}", "2223331"),
    ("GET /v1/message-templates", "2223331"),
    ("PUT /v1/clients/{id}/notice-settings", "2233231"),
    ("GET /v1/clients/{id}/notice-settings", "2222231"),
    ("GET /v1/notifications", "2223231"),
    ("POST /v1/client-messages", "2223331"),
    ("POST /v1/announcements", "2223331"),
    ("GET /v1/announcements", "2223231"),
    ("POST /v1/announcements/{id}/withdraw", "2223331"),
    ("PUT /v1/tariffs/{id}/trial", "2333331"),
    ("POST /v1/clients/{id}/promised-payments", "2332231"),
    ("PUT /v1/tlds/{tld}", "2333331"),
    ("GET /v1/tlds", "2223231"),
    ("POST /v1/clients/{id}/domains", "2223231"),
    ("GET /v1/clients/{id}/domains", "2223231"),
    ("GET /v1/domains/{id}", "2223331"),
    ("POST /v1/domains/{id}/renew", "2223331"),
    ("GET /v1/domain-operations", "2223331"),
    ("POST /v1/domains/{id}/registrar-answer", "2223331"),
    // Usage-based charging (issue 20.3).
    ("PUT /v1/tariffs/{id}/metered", "2333331"),
    ("PUT /v1/tariffs/{id}/hourly-prices", "2333331"),
    ("POST /v1/usage", "2223331"),
    // Modules (ADR 25): staff with settings register and read them; a callback is checked by
    // its HMAC signature alone, so without one every caller gets 401, whatever its token.
    ("POST /v1/modules", "2333331"),
    ("GET /v1/modules/{id}", "2333331"),
    ("POST /v1/modules/{id}/callbacks", "1111111"),
    ("POST /v1/modules/{id}/payments/notify", "1111111"),
];

/// A request: method, path and body.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn call(method: Method, path: impl Into<String>, body: Option<Value>) -> Call {
    Call {
        method,
        path: path.into(),
        body,
    }
}

/// A provider with a company, a tariff, an accountants' department, a staff member per
/// department and an administrator, client A with its owner, client B, and a gateway token.
struct Scene {
    server: TestServer,
    provider: String,
    company: String,
    tariff: String,
    other_tariff: String,
    client_a: String,
    accountants: String,
    tokens: BTreeMap<Role, String>,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", Uuid::now_v7().simple())
}

async fn send(server: &TestServer, token: Option<&str>, call: &Call) -> Answer {
    let mut request = server
        .http
        .request(call.method.clone(), format!("{}{}", server.url, call.path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = &call.body {
        request = request.json(body);
    }
    answer(request.send().await.expect("send")).await
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let company = crate::invoicing::company(&server, &provider, "NL", "never").await;
        let method = server
            .call(
                Method::PUT,
                &format!("/v1/companies/{company}/payment-methods/card"),
                Some(json!({"kind": "card_gateway", "display_name": "Card", "enabled": true})),
            )
            .await;
        assert_eq!(method.status, StatusCode::OK, "{method:?}");
        let transfer = server
            .call(
                Method::PUT,
                &format!("/v1/companies/{company}/payment-methods/bank_transfer"),
                Some(
                    json!({"kind": "bank_transfer", "display_name": "Bank transfer",
                            "enabled": true}),
                ),
            )
            .await;
        assert_eq!(transfer.status, StatusCode::OK, "{transfer:?}");
        let mut scene = Scene {
            server,
            provider,
            company,
            tariff: String::new(),
            other_tariff: String::new(),
            client_a: String::new(),
            accountants: String::new(),
            tokens: BTreeMap::new(),
        };
        scene.tariff = scene.new_tariff().await;
        scene.other_tariff = scene.new_tariff().await;
        let accountants = scene
            .server
            .post(
                "/v1/departments",
                json!({"name": "Accounting", "permissions": [
                    "payments:write", "invoices:write", "expenses:write", "clients:read",
                    "reports:read"]}),
            )
            .await;
        assert_eq!(accountants.status, StatusCode::CREATED, "{accountants:?}");
        scene.accountants = accountants.body["id"].as_str().unwrap().to_owned();
        let departments = scene.server.get("/v1/departments?min_position=0").await;
        assert_eq!(departments.status, StatusCode::OK);
        let client_a = scene
            .server
            .post(
                "/v1/clients",
                json!({"provider_id": scene.provider, "name": "Client A",
                       "email": "a@example.com", "kind": "individual", "country": "DE",
                       "user": {"email": "owner-a@example.com", "password": PASSWORD}}),
            )
            .await;
        assert_eq!(client_a.status, StatusCode::CREATED, "{client_a:?}");
        scene.client_a = client_a.body["id"].as_str().unwrap().to_owned();
        for role in ROLES {
            if let Some(token) = scene.token_for(role).await {
                scene.tokens.insert(role, token);
            }
        }
        scene
    }

    async fn new_tariff(&self) -> String {
        let created = self
            .server
            .post(
                "/v1/tariffs",
                json!({"provider_id": self.provider, "name": "VDS S", "item_type": "vds",
                       "prices": [{"period": "P1M",
                                   "price": {"amount": "10.00", "currency": "EUR"}}]}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        created.body["id"].as_str().unwrap().to_owned()
    }

    /// Creates a staff member in `departments` and returns its login.
    async fn staff(&self, departments: Vec<String>, administrator: bool) -> String {
        let email = unique("staff");
        let created = self
            .server
            .post(
                "/v1/staff",
                json!({"name": "Staff", "email": email, "password": PASSWORD,
                       "departments": departments, "administrator": administrator}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        email
    }

    async fn login(&self, email: &str, password: &str) -> Answer {
        send(
            &self.server,
            None,
            &call(
                Method::POST,
                "/v1/auth/login",
                Some(json!({"email": email, "password": password})),
            ),
        )
        .await
    }

    async fn logged_in(&self, email: &str) -> String {
        let login = self.login(email, PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{login:?}");
        login.body["token"].as_str().unwrap().to_owned()
    }

    async fn default_department(&self, name: &str) -> String {
        // The default departments were created by an earlier request, at positions of their
        // own: wait until every read model has applied the whole log.
        self.settle().await;
        let departments = self.server.get("/v1/departments").await;
        departments.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no department {name}: {departments:?}"))
    }

    /// A fresh token of `role` (none for the anonymous caller).
    async fn token_for(&self, role: Role) -> Option<String> {
        Some(match role {
            Role::Admin => self.logged_in(&self.staff(vec![], true).await).await,
            Role::Sales => {
                let sales = self.default_department("Sales").await;
                self.logged_in(&self.staff(vec![sales], false).await).await
            }
            Role::Support => {
                let support = self.default_department("Technical support").await;
                self.logged_in(&self.staff(vec![support], false).await)
                    .await
            }
            Role::Accountant => {
                let staff = self.staff(vec![self.accountants.clone()], false).await;
                self.logged_in(&staff).await
            }
            Role::User => self.logged_in("owner-a@example.com").await,
            Role::Gateway => {
                let created = self
                    .server
                    .post(
                        "/v1/service-tokens",
                        json!({"name": "payment gateway", "scopes": ["payments.confirm"]}),
                    )
                    .await;
                assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
                created.body["token"].as_str().unwrap().to_owned()
            }
            Role::Anonymous => return None,
        })
    }

    /// Waits until every read model has caught up with the log.
    /// Waits until every read model and every process manager has caught up with the log, and
    /// the processes have nothing more to write (a merge's steps run after its request).
    async fn settle(&self) {
        let state = &self.server.running.as_ref().unwrap().state;
        let names: Vec<&'static str> = projections::all()
            .iter()
            .chain(api::usecases::process::all(state.store.clone()).iter())
            .map(|p| p.name())
            .collect();
        loop {
            let head = eventstore::log::head_position(&self.server.db.pool)
                .await
                .unwrap();
            for name in &names {
                let reached = projections::engine::wait_for_position(
                    &self.server.db.pool,
                    &state.progress,
                    name,
                    head,
                    Duration::from_secs(20),
                )
                .await
                .unwrap();
                assert!(reached, "{name} reached {head}");
            }
            let now = eventstore::log::head_position(&self.server.db.pool)
                .await
                .unwrap();
            if now == head {
                return;
            }
        }
    }

    async fn ok(&self, method: Method, path: &str, body: Value) -> Value {
        let answer = self.server.call(method, path, Some(body)).await;
        assert!(answer.status.is_success(), "{path}: {answer:?}");
        answer.body
    }

    /// An agreement (offer) for `tariff`, as `POST /v1/agreements` takes it.
    fn agreement_of(&self, tariff: &str) -> Value {
        json!({"provider_id": self.provider, "tariff_id": tariff,
               "texts": [{"language": "en", "title": "Public offer", "body": "The terms."}]})
    }

    /// A contract template of the company, as `POST /v1/contract-templates` takes it.
    fn contract_template(&self) -> Value {
        json!({"company_id": self.company, "name": "Hosting contract", "prefix": "HC",
               "texts": [{"language": "en", "title": "Contract {{contract_number}}",
                          "body": "Between {{company_name}} and {{client_name}}."}]})
    }

    /// A new draft contract of `client`: its id.
    async fn contract_of(&self, client: &str) -> String {
        let template = self
            .ok(
                Method::POST,
                "/v1/contract-templates",
                self.contract_template(),
            )
            .await;
        let created = self
            .ok(
                Method::POST,
                &format!("/v1/clients/{client}/contracts"),
                json!({"template_id": template["id"]}),
            )
            .await;
        created["id"].as_str().unwrap_or_default().to_owned()
    }

    /// A domain contact of `client`: its id.
    async fn domain_contact(&self, client: &str) -> String {
        let id = Uuid::now_v7().to_string();
        let mut body = domain_contact();
        body["contact_id"] = json!(id);
        self.ok(
            Method::POST,
            &format!("/v1/clients/{client}/domain-contacts"),
            body,
        )
        .await;
        id
    }

    async fn new_client(&self) -> String {
        self.server
            .client(
                &self.provider,
                &format!("Client {}", Uuid::now_v7().simple()),
            )
            .await
    }

    async fn pay(&self, client: &str, amount: &str) -> String {
        let id = Uuid::now_v7().to_string();
        self.ok(
            Method::POST,
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": id, "amount": amount, "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
        id
    }

    /// A payment at the card gateway, new.
    async fn card_payment(&self, client: &str) -> String {
        let id = Uuid::now_v7().to_string();
        self.ok(
            Method::POST,
            "/v1/payments",
            json!({"payment_id": id, "client_id": client, "company_id": self.company,
                   "method": "card", "amount": "20.00", "currency": "EUR"}),
        )
        .await;
        id
    }

    async fn invoice(&self, client: &str) -> String {
        let id = Uuid::now_v7().to_string();
        self.ok(Method::POST, "/v1/invoices", self.invoice_body(client, &id))
            .await;
        id
    }

    fn invoice_body(&self, client: &str, id: &str) -> Value {
        json!({"invoice_id": id, "client_id": client, "company_id": self.company,
               "lines": [{"description": "Setup", "quantity": "1", "unit_price": "10.00"}]})
    }

    /// An ordered, paid service and its pending activation operation.
    async fn pending_service(&self, client: &str) -> (String, String) {
        self.pay(client, "100.00").await;
        self.settle().await;
        let ordered = self
            .ok(
                Method::POST,
                &format!("/v1/clients/{client}/services"),
                json!({"tariff_id": self.tariff, "period": "P1M"}),
            )
            .await;
        let service = ordered["id"].as_str().unwrap().to_owned();
        self.settle().await;
        let operation: Uuid = sqlx::query_scalar(
            "SELECT id FROM operations WHERE service_id = $1::uuid AND status = 'pending'",
        )
        .bind(&service)
        .fetch_one(&self.server.db.pool)
        .await
        .expect("a pending operation");
        (service, operation.to_string())
    }

    /// An active service with nothing pending.
    async fn active_service(&self, client: &str) -> String {
        let (service, operation) = self.pending_service(client).await;
        self.ok(
            Method::POST,
            &format!("/v1/operations/{operation}/complete"),
            json!({}),
        )
        .await;
        self.settle().await;
        service
    }

    /// The request of `route` for `role`, with what it needs created first, so that it would
    /// succeed for a caller allowed to make it.
    async fn prepare(&self, route: &str, role: Role) -> Call {
        // A client's user works on its own client; everyone else on a fresh client, so that a
        // deletion or a payment of one cell does not change another.
        let client = if role == Role::User {
            self.client_a.clone()
        } else {
            self.new_client().await
        };
        self.prepare_in(route, &client).await
    }

    /// The request of `route` on the things of `client`.
    async fn prepare_in(&self, route: &str, client: &str) -> Call {
        use Method as M;
        let today = chrono::Utc::now().date_naive();
        let (method, template) = route.split_once(' ').unwrap();
        let method: Method = method.parse().unwrap();
        let c = client;
        let call = match (method.clone(), template) {
            (M::GET, "/v1/health" | "/v1/ready" | "/v1/auth/me" | "/v1/service-tokens")
            | (M::GET, "/v1/departments" | "/v1/staff" | "/v1/providers" | "/v1/clients")
            | (M::GET, "/v1/payments" | "/v1/invoices" | "/v1/action-log" | "/v1/tariffs")
            | (M::GET, "/v1/promo-codes" | "/v1/operations" | "/v1/companies")
            | (M::GET, "/v1/currencies" | "/v1/services") => call(method, template, None),
            (M::POST, "/v1/auth/login") => {
                let email = self.staff(vec![], false).await;
                call(
                    method,
                    template,
                    Some(json!({"email": email, "password": PASSWORD})),
                )
            }
            (M::POST, "/v1/auth/logout") => call(method, template, None),
            (M::POST, "/v1/auth/password") => call(
                method,
                template,
                Some(json!({"current_password": PASSWORD, "new_password": "short"})),
            ),
            (M::POST, "/v1/auth/password-resets") => call(
                method,
                template,
                Some(json!({"email": format!("{}@example.com", unique("nobody"))})),
            ),
            (M::POST, "/v1/auth/password-resets/{id}") => call(
                method,
                format!("/v1/auth/password-resets/{}", uuid::Uuid::now_v7()),
                Some(json!({"user_id": uuid::Uuid::now_v7(), "mac": "00", "password": "short"})),
            ),
            (M::POST, "/v1/auth/tokens/{id}/revoke") => {
                let login = self.login(&self.staff(vec![], false).await, PASSWORD).await;
                let id = login.body["token_id"].as_str().unwrap().to_owned();
                call(method, format!("/v1/auth/tokens/{id}/revoke"), None)
            }
            (M::POST, "/v1/service-tokens") => call(
                method,
                template,
                Some(json!({"name": "robot", "scopes": ["operations.list", "operations.report"]})),
            ),
            (M::POST, "/v1/departments") => call(
                method,
                template,
                Some(json!({"name": "Marketing", "permissions": ["clients:read"]})),
            ),
            (M::PUT, "/v1/departments/{id}/permissions") => {
                let created = self
                    .ok(
                        M::POST,
                        "/v1/departments",
                        json!({"name": "Temporary", "permissions": []}),
                    )
                    .await;
                call(
                    method,
                    format!(
                        "/v1/departments/{}/permissions",
                        created["id"].as_str().unwrap()
                    ),
                    Some(json!({"permissions": ["tickets:write"]})),
                )
            }
            (M::POST, "/v1/staff") => call(
                method,
                template,
                Some(json!({"name": "New", "email": unique("new"), "password": PASSWORD})),
            ),
            (M::PUT | M::POST, "/v1/staff/{id}/access" | "/v1/staff/{id}/disable")
            | (M::POST, "/v1/staff/{id}/enable") => {
                let created = self
                    .ok(
                        M::POST,
                        "/v1/staff",
                        json!({"name": "Other", "email": unique("other"), "password": PASSWORD}),
                    )
                    .await;
                let path = template.replace("{id}", created["id"].as_str().unwrap());
                let body = (method == M::PUT)
                    .then(|| json!({"departments": [], "grants": [], "administrator": false}));
                call(method, path, body)
            }
            (M::POST, "/v1/providers/{id}/clock") => {
                let created = self
                    .ok(
                        M::POST,
                        "/v1/providers",
                        json!({"name": "Sandbox", "currency": "EUR", "sandbox": true}),
                    )
                    .await;
                let path = template.replace("{id}", created["id"].as_str().unwrap());
                let to = today + chrono::Days::new(2);
                call(method, path, Some(json!({"to": to})))
            }
            (M::GET, "/v1/providers/{id}/clock") => {
                call(method, template.replace("{id}", &self.provider), None)
            }
            (M::POST, "/v1/providers") => call(
                method,
                template,
                Some(json!({"name": "Another Hosting", "currency": "EUR"})),
            ),
            (M::POST, "/v1/clients") => call(
                method,
                template,
                Some(json!({"provider_id": self.provider, "name": "New Client",
                            "email": "new@example.com", "kind": "company", "country": "DE"})),
            ),
            (M::GET, "/v1/clients/{id}")
            | (M::GET, "/v1/clients/{id}/users" | "/v1/clients/{id}/balance")
            | (M::GET, "/v1/clients/{id}/expenses" | "/v1/clients/{id}/statement")
            | (M::GET, "/v1/clients/{id}/services") => {
                call(method, template.replace("{id}", c), None)
            }
            (M::PATCH, "/v1/clients/{id}") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"name": "Renamed"})),
            ),
            (M::DELETE, "/v1/clients/{id}") => {
                call(method, format!("/v1/clients/{c}?reason=test"), None)
            }
            (M::PUT, "/v1/clients/{id}/billing-details") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"vat_number": null, "address": "Street 1\n10115 Berlin"})),
            ),
            (M::POST, "/v1/clients/{id}/users") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"email": unique("user"), "password": PASSWORD,
                            "roles": ["billing"]})),
            ),
            (M::PUT, "/v1/clients/{id}/users/{user}/roles")
            | (M::POST, "/v1/clients/{id}/users/{user}/disable")
            | (M::POST, "/v1/clients/{id}/users/{user}/enable") => {
                let user = self
                    .ok(
                        M::POST,
                        &format!("/v1/clients/{c}/users"),
                        json!({"email": unique("user"), "password": PASSWORD,
                               "roles": ["billing"]}),
                    )
                    .await;
                let path = template
                    .replace("{id}", c)
                    .replace("{user}", user["id"].as_str().unwrap());
                let body = (method == M::PUT).then(|| json!({"roles": ["technical"]}));
                call(method, path, body)
            }
            (M::POST, "/v1/clients/{id}/act-as") => call(method, template.replace("{id}", c), None),
            (M::POST, "/v1/clients/{id}/payments") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"payment_id": Uuid::now_v7(), "amount": "10.00",
                            "currency": "EUR", "method": "bank_transfer"})),
            ),
            (M::POST, "/v1/clients/{id}/adjustments") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"adjustment_id": Uuid::now_v7(), "amount": "5.00",
                            "currency": "EUR", "reason": "goodwill"})),
            ),
            (M::PUT, "/v1/clients/{id}/credit-limit") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"amount": "50.00", "currency": "EUR"})),
            ),
            (M::POST, "/v1/expenses/{id}/corrections") => {
                let service = self.active_service(c).await;
                let expense: Uuid = sqlx::query_scalar(
                    "SELECT expense_id FROM expenses WHERE service_id = $1::uuid LIMIT 1",
                )
                .bind(&service)
                .fetch_one(&self.server.db.pool)
                .await
                .unwrap();
                call(
                    method,
                    format!("/v1/expenses/{expense}/corrections"),
                    Some(json!({"correction_id": Uuid::now_v7(), "reason": "charged twice"})),
                )
            }
            (M::POST, "/v1/clients/{id}/top-ups") => call(
                method,
                template.replace("{id}", c),
                Some(
                    json!({"company_id": self.company, "method": "bank_transfer",
                            "amount": "10.00", "currency": "EUR"}),
                ),
            ),
            (M::POST, "/v1/payments") => call(
                method,
                template,
                Some(json!({"payment_id": Uuid::now_v7(), "client_id": c,
                            "company_id": self.company, "method": "card",
                            "amount": "20.00", "currency": "EUR"})),
            ),
            (M::GET, "/v1/payments/{id}") => {
                let id = self.card_payment(c).await;
                call(method, format!("/v1/payments/{id}"), None)
            }
            (M::POST, "/v1/payments/{id}/start") => {
                let id = self.card_payment(c).await;
                call(
                    method,
                    format!("/v1/payments/{id}/start"),
                    Some(json!({"external_id": "gw-1"})),
                )
            }
            (M::POST, "/v1/payments/{id}/confirm") => {
                let id = self.card_payment(c).await;
                call(
                    method,
                    format!("/v1/payments/{id}/confirm"),
                    Some(json!({})),
                )
            }
            (M::POST, "/v1/payments/{id}/cancel") => {
                let id = self.card_payment(c).await;
                call(
                    method,
                    format!("/v1/payments/{id}/cancel"),
                    Some(json!({"reason": "changed my mind"})),
                )
            }
            (M::POST, "/v1/payments/{id}/refunds") => {
                let id = self.pay(c, "30.00").await;
                call(
                    method,
                    format!("/v1/payments/{id}/refunds"),
                    Some(json!({"refund_id": Uuid::now_v7(), "amount": "5.00",
                                "reason": "asked back"})),
                )
            }
            (M::POST, "/v1/payments/{id}/fraud") => {
                let id = self.pay(c, "30.00").await;
                call(
                    method,
                    format!("/v1/payments/{id}/fraud"),
                    Some(json!({"reason": "stolen card"})),
                )
            }
            (M::POST, "/v1/invoices") => call(
                method,
                template,
                Some(self.invoice_body(c, &Uuid::now_v7().to_string())),
            ),
            (M::GET, "/v1/invoices/{id}") => {
                let id = self.invoice(c).await;
                call(method, format!("/v1/invoices/{id}"), None)
            }
            (M::POST, "/v1/invoices/{id}/credit-notes") => {
                let id = self.invoice(c).await;
                call(
                    method,
                    format!("/v1/invoices/{id}/credit-notes"),
                    Some(json!({"credit_note_id": Uuid::now_v7(), "reason": "cancelled"})),
                )
            }
            (M::POST, "/v1/invoices/{id}/send") => {
                let id = self.invoice(c).await;
                call(method, format!("/v1/invoices/{id}/send"), Some(json!({})))
            }
            (M::POST, "/v1/invoices/monthly") => call(
                method,
                template,
                // Last month: a month is invoiced only once it has ended.
                Some(
                    json!({"month": (today - chrono::Months::new(1)).format("%Y-%m").to_string()}),
                ),
            ),
            (M::POST, "/v1/tariffs") => call(
                method,
                template,
                Some(
                    json!({"provider_id": self.provider, "name": "VDS M", "item_type": "vds",
                            "prices": [{"period": "P1M",
                                        "price": {"amount": "20.00", "currency": "EUR"}}]}),
                ),
            ),
            (M::GET, "/v1/tariffs/{id}") => {
                call(method, format!("/v1/tariffs/{}", self.tariff), None)
            }
            (M::POST, "/v1/tariffs/{id}/prices") => {
                let id = self.new_tariff().await;
                call(
                    method,
                    format!("/v1/tariffs/{id}/prices"),
                    Some(json!({"period": "P3M",
                                "price": {"amount": "27.00", "currency": "EUR"}})),
                )
            }
            (M::POST, "/v1/tariffs/{id}/archive") => {
                let id = self.new_tariff().await;
                call(method, format!("/v1/tariffs/{id}/archive"), None)
            }
            (M::POST, "/v1/promo-codes") => call(method, template, Some(self.promo_body())),
            (M::GET | M::POST, "/v1/promo-codes/{id}" | "/v1/promo-codes/{id}/disable") => {
                let created = self.ok(M::POST, "/v1/promo-codes", self.promo_body()).await;
                let path = template.replace("{id}", created["id"].as_str().unwrap());
                call(method, path, None)
            }
            (M::POST, "/v1/clients/{id}/services") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"tariff_id": self.tariff, "period": "P1M"})),
            ),
            (M::GET, "/v1/services/{id}") => {
                let service = self.active_service(c).await;
                call(method, format!("/v1/services/{service}"), None)
            }
            (M::POST, "/v1/services/{id}/prolong") => {
                let service = self.active_service(c).await;
                call(method, format!("/v1/services/{service}/prolong"), None)
            }
            (M::POST, "/v1/services/{id}/suspend") => {
                let service = self.active_service(c).await;
                call(
                    method,
                    format!("/v1/services/{service}/suspend"),
                    Some(json!({"reason": "abuse"})),
                )
            }
            (M::POST, "/v1/services/{id}/resume") => {
                let service = self.active_service(c).await;
                self.ok(
                    M::POST,
                    &format!("/v1/services/{service}/suspend"),
                    json!({"reason": "abuse"}),
                )
                .await;
                self.settle().await;
                let operation: Uuid = sqlx::query_scalar(
                    "SELECT id FROM operations WHERE service_id = $1::uuid AND status = 'pending'",
                )
                .bind(&service)
                .fetch_one(&self.server.db.pool)
                .await
                .unwrap();
                self.ok(
                    M::POST,
                    &format!("/v1/operations/{operation}/complete"),
                    json!({}),
                )
                .await;
                call(method, format!("/v1/services/{service}/resume"), None)
            }
            (M::POST, "/v1/services/{id}/close") => {
                let service = self.active_service(c).await;
                call(
                    method,
                    format!("/v1/services/{service}/close"),
                    Some(json!({"at_period_end": true})),
                )
            }
            (M::POST, "/v1/services/{id}/change-tariff") => {
                let service = self.active_service(c).await;
                call(
                    method,
                    format!("/v1/services/{service}/change-tariff"),
                    Some(json!({"tariff_id": self.other_tariff})),
                )
            }
            (M::PUT, "/v1/services/{id}/auto-prolong") => {
                let service = self.active_service(c).await;
                call(
                    method,
                    format!("/v1/services/{service}/auto-prolong"),
                    Some(json!({"auto_prolong": false})),
                )
            }
            (M::POST, "/v1/operations/{id}/complete") => {
                let (_, operation) = self.pending_service(c).await;
                call(method, format!("/v1/operations/{operation}/complete"), None)
            }
            (M::POST, "/v1/operations/{id}/fail") => {
                let (_, operation) = self.pending_service(c).await;
                call(
                    method,
                    format!("/v1/operations/{operation}/fail"),
                    Some(json!({"reason": "disk full"})),
                )
            }
            (M::POST, "/v1/operations/{id}/retry") => {
                let (_, operation) = self.pending_service(c).await;
                self.ok(
                    M::POST,
                    &format!("/v1/operations/{operation}/fail"),
                    json!({"reason": "disk full"}),
                )
                .await;
                call(method, format!("/v1/operations/{operation}/retry"), None)
            }
            (M::POST, "/v1/billing/runs") => call(method, template, Some(json!({"as_of": today}))),
            (M::POST, "/v1/companies") => call(
                method,
                template,
                Some(
                    json!({"company_id": Uuid::now_v7(), "provider_id": self.provider,
                            "name": "Hosting GmbH", "country": "DE",
                            "address": "Hauptstr. 1\n10115 Berlin",
                            "numbering": {"prefix": "RE", "reset": "never"}}),
                ),
            ),
            (M::GET, "/v1/companies/{id}") => {
                call(method, format!("/v1/companies/{}", self.company), None)
            }
            (M::PUT, "/v1/companies/{id}/tax-rules") => call(
                method,
                format!("/v1/companies/{}/tax-rules", self.company),
                Some(
                    json!({"rules": [{"country": null, "rate": "0", "mode": "added",
                                       "reverse_charge": false}]}),
                ),
            ),
            (M::PUT, "/v1/companies/{id}/document-template") => call(
                method,
                format!("/v1/companies/{}/document-template", self.company),
                Some(json!({"footer": "Hosting GmbH"})),
            ),
            (M::GET, "/v1/companies/{id}/document-template") => call(
                method,
                format!("/v1/companies/{}/document-template", self.company),
                None,
            ),
            (M::PUT, "/v1/companies/{id}/payment-methods/{method}") => call(
                method,
                format!("/v1/companies/{}/payment-methods/cash", self.company),
                Some(json!({"kind": "manual", "display_name": "Cash", "enabled": true})),
            ),
            (M::PUT, "/v1/currencies/{code}/rates") => call(
                method,
                "/v1/currencies/USD/rates",
                Some(json!({"effective_from": today, "rates": {"EUR": "0.9"}})),
            ),
            (M::POST, "/v1/agreements") => {
                let tariff = self.new_tariff().await;
                call(method, template, Some(self.agreement_of(&tariff)))
            }
            (M::GET, "/v1/agreements") => call(method, template, None),
            (M::GET, "/v1/agreements/{id}") => {
                let tariff = self.new_tariff().await;
                let published = self
                    .ok(M::POST, "/v1/agreements", self.agreement_of(&tariff))
                    .await;
                let id = published["id"].as_str().unwrap_or_default().to_owned();
                call(method, template.replace("{id}", &id), None)
            }
            (M::GET, "/v1/tariffs/{id}/agreement") => {
                let tariff = self.new_tariff().await;
                self.ok(M::POST, "/v1/agreements", self.agreement_of(&tariff))
                    .await;
                call(method, template.replace("{id}", &tariff), None)
            }
            (M::POST, "/v1/imports") => call(
                method,
                template,
                Some(json!({"source": "permissions", "providers": [
                    {"id": "1", "name": "Imported Hosting", "currency": "EUR"}]})),
            ),
            (M::POST, "/v1/tariffs/{id}/price-changes") => {
                let tariff = self.new_tariff().await;
                call(
                    method,
                    template.replace("{id}", &tariff),
                    Some(json!({"period": "P1M",
                                "price": {"amount": "12.00", "currency": "EUR"},
                                "effective_on": today + chrono::Days::new(40)})),
                )
            }
            (M::PUT, "/v1/client-groups/{id}/discounts") => {
                let group = Uuid::now_v7();
                self.ok(
                    M::POST,
                    "/v1/client-groups",
                    json!({"group_id": group, "provider_id": self.provider, "name": "Partners"}),
                )
                .await;
                call(
                    method,
                    template.replace("{id}", &group.to_string()),
                    Some(json!({"item_type": "vds", "percent": "10"})),
                )
            }
            (M::PUT, "/v1/clients/{id}/personal-discount") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"percent": "15"})),
            ),
            (M::GET, "/v1/clients/{id}/personal-discount") => {
                call(method, template.replace("{id}", c), None)
            }
            (M::GET, "/v1/item-types") => call(method, template, None),
            (M::PUT, "/v1/item-types/{code}") => call(
                method,
                "/v1/item-types/vds",
                Some(
                    json!({"name": "VDS", "deletion_delay_days": 7, "suspension": "suspend",
                            "grace_days": 0, "auto_prolong": true}),
                ),
            ),
            (M::GET, "/v1/currencies/{code}/rates") => {
                call(method, "/v1/currencies/USD/rates", None)
            }
            (M::GET, "/v1/client-groups" | "/v1/reports/revenue" | "/v1/reports/payments")
            | (M::GET, "/v1/reports/deferred-revenue")
            | (M::GET, "/v1/reports/debtors" | "/v1/reports/clients" | "/v1/reports/services")
            | (M::GET, "/v1/reports/mrr" | "/v1/audit/head" | "/v1/audit/verify")
            | (M::GET, "/v1/audit/events") => call(method, template, None),
            (M::POST, "/v1/clients/{id}/payers") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"payer_id": Uuid::now_v7(), "kind": "company",
                            "name": "Payer GmbH", "country": "DE"})),
            ),
            (M::GET, "/v1/clients/{id}/payers") => call(method, template.replace("{id}", c), None),
            (M::PATCH, "/v1/payers/{id}") => {
                let payer = Uuid::now_v7();
                self.ok(
                    M::POST,
                    &format!("/v1/clients/{c}/payers"),
                    json!({"payer_id": payer, "kind": "individual", "name": "Old Name",
                           "country": "DE"}),
                )
                .await;
                call(
                    method,
                    format!("/v1/payers/{payer}"),
                    Some(json!({"name": "New Name"})),
                )
            }
            (M::POST, "/v1/contract-templates") => {
                call(method, template, Some(self.contract_template()))
            }
            (M::GET, "/v1/contract-templates") => call(method, template, None),
            (M::POST, "/v1/clients/{id}/contracts") => {
                let published = self
                    .ok(M::POST, "/v1/contract-templates", self.contract_template())
                    .await;
                call(
                    method,
                    template.replace("{id}", c),
                    Some(json!({"template_id": published["id"]})),
                )
            }
            (M::GET, "/v1/clients/{id}/contracts") => {
                call(method, template.replace("{id}", c), None)
            }
            (M::GET, "/v1/clients/{id}/contracts/{contract}")
            | (M::GET, "/v1/clients/{id}/contracts/{contract}/pdf") => {
                let contract = self.contract_of(c).await;
                call(
                    method,
                    template.replace("{id}", c).replace("{contract}", &contract),
                    None,
                )
            }
            (M::POST, "/v1/clients/{id}/contracts/{contract}/sign") => {
                let contract = self.contract_of(c).await;
                call(
                    method,
                    template.replace("{id}", c).replace("{contract}", &contract),
                    Some(json!({})),
                )
            }
            (M::POST, "/v1/clients/{id}/contracts/{contract}/terminate") => {
                let contract = self.contract_of(c).await;
                self.ok(
                    M::POST,
                    &format!("/v1/clients/{c}/contracts/{contract}/sign"),
                    json!({}),
                )
                .await;
                call(
                    method,
                    template.replace("{id}", c).replace("{contract}", &contract),
                    Some(json!({"reason": "moved away"})),
                )
            }
            (M::POST, "/v1/clients/{id}/domain-contacts") => {
                let mut body = domain_contact();
                body["contact_id"] = json!(Uuid::now_v7());
                call(method, template.replace("{id}", c), Some(body))
            }
            (M::GET, "/v1/clients/{id}/domain-contacts") => {
                call(method, template.replace("{id}", c), None)
            }
            (M::GET | M::PUT | M::DELETE, "/v1/clients/{id}/domain-contacts/{contact}") => {
                let contact = self.domain_contact(c).await;
                let body = (method == M::PUT).then(domain_contact);
                call(
                    method,
                    format!("/v1/clients/{c}/domain-contacts/{contact}"),
                    body,
                )
            }
            (M::PUT, "/v1/services/{id}/domain-contacts") => {
                let contact = self.domain_contact(c).await;
                let tariff = self
                    .ok(
                        M::POST,
                        "/v1/tariffs",
                        json!({"provider_id": self.provider, "name": "Domain", "item_type": "domain",
                               "prices": [{"period": "P12M",
                                           "price": {"amount": "12.00", "currency": "EUR"}}]}),
                    )
                    .await;
                let contacts = json!({"registrant": contact, "admin": contact, "tech": contact});
                let ordered = self
                    .ok(
                        M::POST,
                        &format!("/v1/clients/{c}/services"),
                        json!({"tariff_id": tariff["id"], "period": "P12M",
                               "domain": {"domain_name": "example.com", "contacts": contacts}}),
                    )
                    .await;
                call(
                    method,
                    format!(
                        "/v1/services/{}/domain-contacts",
                        ordered["id"].as_str().unwrap()
                    ),
                    Some(contacts),
                )
            }
            (M::POST, "/v1/client-groups") => call(
                method,
                template,
                Some(
                    json!({"group_id": Uuid::now_v7(), "provider_id": self.provider,
                            "name": "Resellers"}),
                ),
            ),
            (M::PUT, "/v1/clients/{id}/groups") => {
                let group = Uuid::now_v7();
                self.ok(
                    M::POST,
                    "/v1/client-groups",
                    json!({"group_id": group, "provider_id": self.provider, "name": "VIP"}),
                )
                .await;
                call(
                    method,
                    template.replace("{id}", c),
                    Some(json!({"group_ids": [group]})),
                )
            }
            (M::PUT, "/v1/clients/{id}/status") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"status": "inactive"})),
            ),
            (M::POST, "/v1/clients/{id}/merge") => {
                let source = self.new_client().await;
                call(
                    method,
                    template.replace("{id}", c),
                    Some(json!({"merge_id": Uuid::now_v7(), "sources": [source]})),
                )
            }
            (M::GET, "/v1/merges/{id}") => {
                let source = self.new_client().await;
                let merge = Uuid::now_v7();
                self.ok(
                    M::POST,
                    &format!("/v1/clients/{c}/merge"),
                    json!({"merge_id": merge, "sources": [source]}),
                )
                .await;
                call(method, format!("/v1/merges/{merge}"), None)
            }
            (M::POST, "/v1/services/{id}/transfer") => {
                let service = self.active_service(c).await;
                let to = self.new_client().await;
                call(
                    method,
                    format!("/v1/services/{service}/transfer"),
                    Some(json!({"client_id": to})),
                )
            }
            (M::POST, "/v1/clients/{id}/tickets") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"subject": "Server down", "body": "It does not boot."})),
            ),
            (M::GET, "/v1/clients/{id}/tickets") => call(method, template.replace("{id}", c), None),
            (M::GET | M::POST, "/v1/tickets/{id}" | "/v1/tickets/{id}/close") => {
                let ticket = self.ticket(c, None).await;
                call(method, template.replace("{id}", &ticket), None)
            }
            (M::POST, "/v1/tickets/{id}/reopen") => {
                let ticket = self.ticket(c, None).await;
                self.ok(M::POST, &format!("/v1/tickets/{ticket}/close"), json!({}))
                    .await;
                call(method, template.replace("{id}", &ticket), None)
            }
            (M::POST, "/v1/tickets/{id}/messages") => {
                let ticket = self.ticket(c, None).await;
                call(
                    method,
                    template.replace("{id}", &ticket),
                    Some(json!({"body": "Any news?"})),
                )
            }
            (M::POST, "/v1/tickets/{id}/assign") => {
                let ticket = self.ticket(c, None).await;
                let sales = self.default_department("Sales").await;
                call(
                    method,
                    template.replace("{id}", &ticket),
                    Some(json!({"department_id": sales})),
                )
            }
            (M::GET, "/v1/tickets/{id}/attachments/{sha256}") => {
                let note = "boot log\n".as_bytes();
                let ticket = self.ticket(c, Some(note)).await;
                call(
                    method,
                    format!("/v1/tickets/{ticket}/attachments/{}", sha256_hex(note)),
                    None,
                )
            }
            (M::GET, "/v1/ticket-queue" | "/v1/ticket-categories" | "/v1/answer-templates")
            | (M::GET, "/v1/reports/response-times" | "/v1/message-templates")
            | (M::GET, "/v1/notifications" | "/v1/announcements") => call(method, template, None),
            (M::POST, "/v1/client-messages") => call(
                method,
                template,
                Some(
                    json!({"message_id": Uuid::now_v7(), "provider_id": self.provider,
                            "client_id": c, "subject": "Maintenance",
                            "body": "We move your server tonight."}),
                ),
            ),
            (M::POST, "/v1/announcements") => call(method, template, Some(self.announcement())),
            (M::POST, "/v1/announcements/{id}/withdraw") => {
                let body = self.announcement();
                self.ok(M::POST, "/v1/announcements", body.clone()).await;
                let id = body["announcement_id"].as_str().unwrap().to_owned();
                call(method, template.replace("{id}", &id), None)
            }
            (M::PUT, "/v1/message-templates/{kind}/{language}") => call(
                method,
                "/v1/message-templates/service_expiring/de",
                Some(json!({"subject": "{{service}} läuft in {{days}} Tagen ab",
                            "body": "Hallo {{client_name}}, bitte Guthaben aufladen."})),
            ),
            (M::PUT, "/v1/clients/{id}/notice-settings") => call(
                method,
                template.replace("{id}", c),
                Some(json!({"language": "de", "subscriptions": ["service_expiring"]})),
            ),
            (M::GET, "/v1/clients/{id}/notice-settings") => {
                call(method, template.replace("{id}", c), None)
            }
            (M::PUT, "/v1/departments/{id}/business-hours") => {
                let created = self
                    .ok(
                        M::POST,
                        "/v1/departments",
                        json!({"name": "Night shift", "accepts_tickets": true, "permissions": []}),
                    )
                    .await;
                call(
                    method,
                    template.replace("{id}", created["id"].as_str().unwrap()),
                    Some(json!({"time_zone": "Europe/Berlin",
                                "days": [{"day": "mon", "open": "09:00", "close": "17:00"}]})),
                )
            }
            (M::POST, "/v1/ticket-categories") => call(
                method,
                template,
                Some(json!({"category_id": Uuid::now_v7(), "name": "Billing"})),
            ),
            (M::POST, "/v1/ticket-categories/{id}/archive") => {
                let category = Uuid::now_v7();
                self.ok(
                    M::POST,
                    "/v1/ticket-categories",
                    json!({"category_id": category, "name": "Old"}),
                )
                .await;
                call(
                    method,
                    template.replace("{id}", &category.to_string()),
                    None,
                )
            }
            (M::POST, "/v1/answer-templates") => call(
                method,
                template,
                Some(json!({"name": "Greeting", "body": "Hello, thank you for writing."})),
            ),
            (M::PUT | M::DELETE, "/v1/answer-templates/{id}") => {
                let created = self
                    .ok(
                        M::POST,
                        "/v1/answer-templates",
                        json!({"name": "Reboot", "body": "Please reboot."}),
                    )
                    .await;
                let body = (method == M::PUT)
                    .then(|| json!({"name": "Reboot", "body": "Please reboot it."}));
                call(
                    method,
                    template.replace("{id}", created["id"].as_str().unwrap()),
                    body,
                )
            }
            (M::POST, "/v1/affiliate-programs") => {
                call(method, template, Some(self.affiliate_program_body()))
            }
            (M::GET, "/v1/affiliate-programs") => call(method, template, None),
            (M::POST, "/v1/affiliate-programs/{id}/close") => {
                let program = self.affiliate_program().await;
                call(method, template.replace("{id}", &program), None)
            }
            (M::POST, "/v1/clients/{id}/affiliate-programs/{program}/join") => {
                let program = self.affiliate_program().await;
                call(
                    method,
                    format!("/v1/clients/{c}/affiliate-programs/{program}/join"),
                    None,
                )
            }
            (M::POST, "/v1/clients/{id}/affiliate-programs/{program}/links") => {
                let program = self.affiliate_program().await;
                self.ok(
                    M::POST,
                    &format!("/v1/clients/{c}/affiliate-programs/{program}/join"),
                    json!({}),
                )
                .await;
                call(
                    method,
                    format!("/v1/clients/{c}/affiliate-programs/{program}/links"),
                    None,
                )
            }
            (M::POST, "/v1/clients/{id}/affiliate-programs/{program}/payouts") => {
                // A referred client's payment accrues `c` 10 % of 20.00; 1.00 is paid out.
                let (program, code) = self.referral_link(c).await;
                let referred = self.new_client().await;
                self.ok(
                    M::POST,
                    &format!("/v1/clients/{referred}/referral"),
                    json!({"code": code}),
                )
                .await;
                self.pay(&referred, "20.00").await;
                self.settle().await;
                call(
                    method,
                    format!("/v1/clients/{c}/affiliate-programs/{program}/payouts"),
                    Some(json!({"payout_id": Uuid::now_v7(), "amount": "1.00",
                                "currency": "EUR", "destination": "account"})),
                )
            }
            (M::GET, "/v1/clients/{id}/affiliate") => {
                call(method, template.replace("{id}", c), None)
            }
            (M::POST, "/v1/clients/{id}/referral") => {
                // `c` signs up through another client's link.
                let affiliate = self.new_client().await;
                let (_, code) = self.referral_link(&affiliate).await;
                call(
                    method,
                    format!("/v1/clients/{c}/referral"),
                    Some(json!({"code": code})),
                )
            }
            (M::GET, "/v1/referral-links/{code}") => {
                let (_, code) = self.referral_link(c).await;
                call(method, format!("/v1/referral-links/{code}"), None)
            }
            (M::PUT, "/v1/tariffs/{id}/metered") => {
                let tariff = self.new_tariff().await;
                call(
                    method,
                    template.replace("{id}", &tariff),
                    Some(
                        json!({"parameters": [{"code": "traffic_gb", "aggregation": "sum",
                        "included": "10", "unit_price": {"amount": "0.05", "currency": "EUR"}}]}),
                    ),
                )
            }
            (M::PUT, "/v1/tariffs/{id}/hourly-prices") => {
                let tariff = self.new_tariff().await;
                call(
                    method,
                    template.replace("{id}", &tariff),
                    Some(json!({"prices": [{"per_hour": "0.0137", "currency": "EUR"}]})),
                )
            }
            (M::POST, "/v1/usage") => {
                let (service, _) = self.pending_service(c).await;
                call(
                    method,
                    template,
                    Some(
                        json!({"records": [{"id": Uuid::now_v7(), "service_id": service,
                        "metric": "traffic_gb", "quantity": "1.5",
                        "at": "2027-01-15T10:00:00Z"}]}),
                    ),
                )
            }
            (M::POST, "/v1/modules") => call(
                method,
                template,
                Some(
                    json!({"module_id": Uuid::now_v7(), "provider_id": self.provider,
                            "kind": "provisioning", "base_url": "http://127.0.0.1:9/panel",
                            "serves": ["vds"]}),
                ),
            ),
            (M::GET, "/v1/modules/{id}") => {
                let module = Uuid::now_v7();
                self.ok(
                    M::POST,
                    "/v1/modules",
                    json!({"module_id": module, "provider_id": self.provider,
                           "kind": "provisioning", "base_url": "http://127.0.0.1:9/panel",
                           "serves": ["vds"]}),
                )
                .await;
                call(method, format!("/v1/modules/{module}"), None)
            }
            (M::POST, "/v1/modules/{id}/payments/notify") => {
                let module = Uuid::now_v7();
                self.ok(
                    M::POST,
                    "/v1/modules",
                    json!({"module_id": module, "provider_id": self.provider,
                           "kind": "payment", "base_url": "http://127.0.0.1:9/pay",
                           "serves": ["card"]}),
                )
                .await;
                call(
                    method,
                    format!("/v1/modules/{module}/payments/notify"),
                    Some(json!({"payment_id": Uuid::now_v7(), "status": "failed",
                                "reason": "declined"})),
                )
            }
            (M::POST, "/v1/modules/{id}/callbacks") => {
                let module = Uuid::now_v7();
                self.ok(
                    M::POST,
                    "/v1/modules",
                    json!({"module_id": module, "provider_id": self.provider,
                           "kind": "provisioning", "base_url": "http://127.0.0.1:9/panel",
                           "serves": ["vds"]}),
                )
                .await;
                call(
                    method,
                    format!("/v1/modules/{module}/callbacks"),
                    Some(json!({"operation_id": Uuid::now_v7(), "status": "done"})),
                )
            }
            (M::PUT, "/v1/tlds/{tld}") => call(method, "/v1/tlds/com", Some(self.tld_prices())),
            (M::GET, "/v1/tlds" | "/v1/domain-operations") => call(method, template, None),
            (M::POST, "/v1/clients/{id}/domains") => {
                let body = self.domain_order(c).await;
                call(method, template.replace("{id}", c), Some(body))
            }
            (M::GET, "/v1/clients/{id}/domains") => call(method, template.replace("{id}", c), None),
            (M::GET, "/v1/domains/{id}") => {
                let (domain, _) = self.pending_domain(c).await;
                call(method, format!("/v1/domains/{domain}"), None)
            }
            (M::POST, "/v1/domains/{id}/renew") => {
                let (domain, operation) = self.pending_domain(c).await;
                self.ok(
                    M::POST,
                    &format!("/v1/domains/{domain}/registrar-answer"),
                    json!({"operation_id": operation, "result": "ok",
                           "expires_at": chrono::Utc::now() + chrono::TimeDelta::days(365)}),
                )
                .await;
                call(
                    method,
                    format!("/v1/domains/{domain}/renew"),
                    Some(json!({"years": 1})),
                )
            }
            (M::POST, "/v1/domains/{id}/registrar-answer") => {
                let (domain, operation) = self.pending_domain(c).await;
                call(
                    method,
                    format!("/v1/domains/{domain}/registrar-answer"),
                    Some(json!({"operation_id": operation, "result": "ok",
                                "expires_at": chrono::Utc::now() + chrono::TimeDelta::days(365)})),
                )
            }
            (M::PUT, "/v1/tariffs/{id}/trial") => {
                let tariff = self.new_tariff().await;
                call(
                    method,
                    template.replace("{id}", &tariff),
                    Some(json!({"trial": {"days": 14}})),
                )
            }
            // Every allowed role promises on the same day: a repeat answers the first promise.
            (M::POST, "/v1/clients/{id}/promised-payments") => {
                call(method, template.replace("{id}", c), None)
            }
            _ => panic!("the matrix has no request for {route}: add one to Scene::prepare"),
        };
        self.settle().await;
        call
    }

    /// The `.com` prices of the scene's provider, as `PUT /v1/tlds/com` takes them.
    fn tld_prices(&self) -> Value {
        json!({"provider_id": self.provider, "currency": "EUR", "prices": [
            {"years": 1, "register": "10.00", "renew": "12.00", "transfer": "8.00"}]})
    }

    /// An order of a `.com` domain by `client`, with the prices set, money and a contact.
    async fn domain_order(&self, client: &str) -> Value {
        self.ok(Method::PUT, "/v1/tlds/com", self.tld_prices())
            .await;
        self.pay(client, "100.00").await;
        let contact = self.domain_contact(client).await;
        json!({"name": format!("d{}.com", Uuid::now_v7().simple()), "tld": "com", "years": 1,
               "operation": "register",
               "contacts": {"registrant": contact, "admin": contact, "tech": contact}})
    }

    /// A domain of `client` whose registration waits for the registrar, and that operation.
    async fn pending_domain(&self, client: &str) -> (String, String) {
        let body = self.domain_order(client).await;
        let ordered = self
            .ok(Method::POST, &format!("/v1/clients/{client}/domains"), body)
            .await;
        let domain = ordered["id"].as_str().unwrap().to_owned();
        self.settle().await;
        let operation: Uuid = sqlx::query_scalar(
            "SELECT operation_id FROM domain_operations
              WHERE domain_id = $1::uuid AND status = 'pending'",
        )
        .bind(&domain)
        .fetch_one(&self.server.db.pool)
        .await
        .expect("a pending domain operation");
        (domain, operation.to_string())
    }

    /// A ticket of `client`, opened by staff, with `note` attached as plain text if given.
    async fn ticket(&self, client: &str, note: Option<&[u8]>) -> String {
        use base64::Engine;
        let attachments: Vec<Value> = note
            .map(|note| {
                json!({"file_name": "boot.log", "content_type": "text/plain",
                       "content_base64": base64::engine::general_purpose::STANDARD.encode(note)})
            })
            .into_iter()
            .collect();
        let opened = self
            .ok(
                Method::POST,
                &format!("/v1/clients/{client}/tickets"),
                json!({"subject": "Server down", "body": "It does not boot.",
                       "attachments": attachments}),
            )
            .await;
        opened["id"].as_str().unwrap().to_owned()
    }

    fn announcement(&self) -> Value {
        let now = chrono::Utc::now();
        json!({"announcement_id": Uuid::now_v7().to_string(), "provider_id": self.provider,
               "title": "Maintenance", "body": "Saturday night.",
               "valid_from": now - chrono::Duration::hours(1),
               "valid_until": now + chrono::Duration::days(1)})
    }

    fn affiliate_program_body(&self) -> Value {
        json!({"program_id": Uuid::now_v7(), "provider_id": self.provider, "name": "Partners",
               "rule": {"basis": "payments", "percent": "10"}})
    }

    /// A new affiliate program of the scene's provider: its id.
    async fn affiliate_program(&self) -> String {
        let body = self.affiliate_program_body();
        self.ok(Method::POST, "/v1/affiliate-programs", body.clone())
            .await;
        body["program_id"].as_str().unwrap().to_owned()
    }

    /// A new program that `client` joined, and a referral link of it: the program and the code.
    async fn referral_link(&self, client: &str) -> (String, String) {
        let program = self.affiliate_program().await;
        self.ok(
            Method::POST,
            &format!("/v1/clients/{client}/affiliate-programs/{program}/join"),
            json!({}),
        )
        .await;
        let link = self
            .ok(
                Method::POST,
                &format!("/v1/clients/{client}/affiliate-programs/{program}/links"),
                json!({}),
            )
            .await;
        self.settle().await;
        (program, link["code"].as_str().unwrap().to_owned())
    }

    fn promo_body(&self) -> Value {
        json!({"provider_id": self.provider,
               "code": format!("P{}", &Uuid::now_v7().simple().to_string()[20..]).to_uppercase(),
               "discount": {"kind": "percent", "percent": "10"}})
    }
}

/// The SHA-256 of `bytes`, lowercase hex, as the API names attachments.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every route of the OpenAPI document, as `METHOD /template`.
async fn routes(server: &TestServer) -> Vec<String> {
    let spec = server.get("/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    let mut routes = Vec::new();
    for (path, item) in spec.body["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes.sort();
    routes
}

fn class(status: StatusCode) -> char {
    match status.as_u16() {
        200..=299 => '2',
        401 => '1',
        403 => '3',
        404 => '4',
        _ => '?',
    }
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_matrix_says() {
    // Arrange
    let scene = Scene::new().await;
    let expected: BTreeMap<&str, &str> = EXPECTED.iter().copied().collect();
    let routes = routes(&scene.server).await;
    let missing: Vec<&String> = routes
        .iter()
        .filter(|r| !expected.contains_key(r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an expectation (write one here and a rule in api::http::auth::rules): \
         {missing:?}"
    );
    let rules = api::http::routes::rules();
    let unruled: Vec<&String> = routes
        .iter()
        .filter(|r| {
            let (method, path) = r.split_once(' ').unwrap();
            rules.find(method, path).is_none()
        })
        .collect();
    assert!(
        unruled.is_empty(),
        "routes without a rule in api::http::auth::rules (only administrators may call them): \
         {unruled:?}"
    );

    // Act
    let mut wrong = Vec::new();
    for route in &routes {
        let row = expected[route.as_str()];
        for (role, want) in ROLES.iter().zip(row.chars()) {
            let request = scene.prepare(route, *role).await;
            let token = if route == "POST /v1/auth/logout" {
                scene.token_for(*role).await
            } else {
                scene.tokens.get(role).cloned()
            };
            let events = scene.server.event_count().await;
            let got = send(&scene.server, token.as_deref(), &request).await;
            let written = scene.server.event_count().await - events;
            let got_class = class(got.status);
            if got_class != want {
                wrong.push(format!(
                    "{route} as {role:?}: expected {want}xx, got {} {}",
                    got.status, got.body
                ));
            }
            if got_class != '2' {
                if written != 0 {
                    wrong.push(format!("{route} as {role:?}: refused but wrote {written}"));
                }
                if matches!(got_class, '1' | '3' | '4') {
                    assert_eq!(got.content_type, "application/problem+json", "{route}");
                }
            }
        }
    }

    // Assert
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Whether a route's `{id}` names a client or something a client owns.
fn client_scoped(route: &str) -> bool {
    let path = route.split_once(' ').unwrap().1;
    path.contains("{id}")
        && [
            "/v1/clients/",
            "/v1/services/",
            "/v1/payments/",
            "/v1/invoices/",
            "/v1/expenses/",
            "/v1/operations/",
            "/v1/tickets/",
            "/v1/payers/",
        ]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

#[tokio::test]
async fn a_client_user_finds_nothing_of_another_client_by_any_route() {
    // Arrange
    let scene = Scene::new().await;
    let user_a = scene.tokens[&Role::User].clone();
    let client_b = scene.new_client().await;
    let routes: Vec<String> = routes(&scene.server)
        .await
        .into_iter()
        .filter(|r| client_scoped(r))
        .collect();
    assert!(routes.len() > 25, "{routes:?}");

    // Act and assert: B's ids on every client-scoped route, as A's user.
    let mut leaks = Vec::new();
    for route in &routes {
        let request = scene.prepare_in(route, &client_b).await;
        let events = scene.server.event_count().await;
        let got = send(&scene.server, Some(&user_a), &request).await;
        let written = scene.server.event_count().await - events;
        if got.status != StatusCode::NOT_FOUND || got.body["code"] != "not_found" || written != 0 {
            leaks.push(format!(
                "{route}: {} {} ({written} events)",
                got.status, got.body
            ));
        }
    }
    for list in [
        "/v1/clients",
        "/v1/payments",
        "/v1/invoices",
        "/v1/notifications",
    ] {
        let got = send(
            &scene.server,
            Some(&user_a),
            &call(Method::GET, format!("{list}?client_id={client_b}"), None),
        )
        .await;
        if got.status != StatusCode::NOT_FOUND {
            leaks.push(format!("{list}?client_id=B: {} {}", got.status, got.body));
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));

    // And the lists without a filter show A's rows only.
    scene.pay(&scene.client_a, "1.00").await;
    scene.card_payment(&client_b).await;
    scene.invoice(&client_b).await;
    scene.settle().await;
    for (list, field) in [
        ("/v1/clients", "id"),
        ("/v1/payments", "client_id"),
        ("/v1/invoices", "client_id"),
    ] {
        let got = send(&scene.server, Some(&user_a), &call(Method::GET, list, None)).await;
        assert_eq!(got.status, StatusCode::OK, "{got:?}");
        let items = got.body["items"].as_array().unwrap();
        assert!(
            items
                .iter()
                .all(|item| item[field] == scene.client_a.as_str()),
            "{list}: {items:?}"
        );
        if list != "/v1/invoices" {
            assert!(!items.is_empty(), "{list} shows A's own rows");
        }
    }
}

#[tokio::test]
async fn a_staff_member_acting_as_a_client_is_logged_with_the_client() {
    // Arrange
    let scene = Scene::new().await;
    let sales = scene.default_department("Sales").await;
    let email = scene.staff(vec![sales], false).await;
    let staff_token = scene.logged_in(&email).await;
    let me = send(
        &scene.server,
        Some(&staff_token),
        &call(Method::GET, "/v1/auth/me", None),
    )
    .await;
    let staff_actor = me.body["actor"].as_str().unwrap().to_owned();
    let client_b = scene.new_client().await;

    // Act
    let acting = send(
        &scene.server,
        Some(&staff_token),
        &call(
            Method::POST,
            format!("/v1/clients/{}/act-as", scene.client_a),
            None,
        ),
    )
    .await;
    assert_eq!(acting.status, StatusCode::CREATED, "{acting:?}");
    let acting = acting.body["token"].as_str().unwrap().to_owned();
    let renamed = send(
        &scene.server,
        Some(&acting),
        &call(
            Method::PATCH,
            format!("/v1/clients/{}", scene.client_a),
            Some(json!({"name": "Renamed by support"})),
        ),
    )
    .await;
    let other = send(
        &scene.server,
        Some(&acting),
        &call(Method::GET, format!("/v1/clients/{client_b}/balance"), None),
    )
    .await;
    let me = send(
        &scene.server,
        Some(&acting),
        &call(Method::GET, "/v1/auth/me", None),
    )
    .await;

    // Assert
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{other:?}");
    assert_eq!(me.body["kind"], "acting_as");
    assert_eq!(me.body["actor"], staff_actor.as_str());
    let position = renamed.body["position"].as_i64().unwrap();
    let log = scene
        .server
        .get(&format!(
            "/v1/action-log?client_id={}&event_type=ClientUpdated&min_position={position}",
            scene.client_a
        ))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{log:?}");
    let entry = &log.body["items"][0];
    assert_eq!(entry["actor"], staff_actor.as_str(), "{log:?}");
    assert_eq!(entry["on_behalf_of"], format!("client:{}", scene.client_a));
}

#[tokio::test]
async fn logins_refuse_wrong_passwords_revoked_tokens_and_disabled_staff_alike() {
    // Arrange
    let scene = Scene::new().await;
    let email = scene.staff(vec![], false).await;
    let me = |token: String| {
        let server = &scene.server;
        async move {
            send(
                server,
                Some(&token),
                &call(Method::GET, "/v1/auth/me", None),
            )
            .await
        }
    };

    // Act
    let good = scene.login(&email, PASSWORD).await;
    let token = good.body["token"].as_str().unwrap().to_owned();
    let at_once = me(token.clone()).await;
    let wrong_password = scene.login(&email, "not the password").await;
    let unknown = scene.login("nobody@example.com", PASSWORD).await;
    let logout = send(
        &scene.server,
        Some(&token),
        &call(Method::POST, "/v1/auth/logout", None),
    )
    .await;
    let after_logout = me(token).await;
    let second = scene.logged_in(&email).await;
    let staff_id = me(second.clone()).await.body["actor"]
        .as_str()
        .unwrap()
        .trim_start_matches("staff:")
        .to_owned();
    let disabled = scene
        .server
        .post(&format!("/v1/staff/{staff_id}/disable"), json!({}))
        .await;
    let after_disable = me(second).await;
    let login_disabled = scene.login(&email, PASSWORD).await;
    let forged = me(format!("{}0", &good.body["token"].as_str().unwrap())).await;

    // Assert
    assert_eq!(good.status, StatusCode::OK, "{good:?}");
    assert_eq!(
        at_once.status,
        StatusCode::OK,
        "a token works the moment it is issued"
    );
    assert_eq!(logout.status, StatusCode::OK, "{logout:?}");
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");
    for refused in [&wrong_password, &unknown, &login_disabled] {
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
        assert_eq!(refused.body["detail"], wrong_password.body["detail"]);
    }
    for refused in [&after_logout, &after_disable, &forged] {
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
        assert_eq!(refused.content_type, "application/problem+json");
    }
    // The bootstrap token still works, and no password is stored or answered anywhere.
    assert_eq!(
        scene.server.get("/v1/auth/me").await.body["kind"],
        "administrator"
    );
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%'
            OR metadata::text LIKE '%' || $1 || '%'",
    )
    .bind(PASSWORD)
    .fetch_one(&scene.server.db.pool)
    .await
    .unwrap();
    assert_eq!(stored, 0);
    let log = scene
        .server
        .get("/v1/action-log?event_type=StaffMemberCreated&min_position=1")
        .await;
    // No event holds a hash any more (ADR 11): there is nothing even to redact.
    let text = log.body.to_string();
    assert!(
        text.contains("StaffMemberCreated")
            && !text.contains("password_hash")
            && !text.contains("$argon2"),
        "{text}"
    );
}
