//! The staff panel's actions: whole flows through the pages in headless Chromium, each checked
//! afterwards against the API's read models; a double-submitted form; and what a staff member
//! with only `clients:read` may see and do, a forged POST included.
//!
//! Screenshots of the overview, a client page and the clients list are written to
//! `target/screenshots/panel/` (not committed) for a reviewer to look at.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};
use uuid::Uuid;

use crate::browser::Browser;

/// Where the screenshots go, under `target/`.
const SCREENSHOTS: &str = "screenshots/panel";

/// A tariff of `provider`: a VDS at 10.00 EUR a month.
pub(crate) async fn tariff(server: &TestServer, provider: &str) -> String {
    let answer = server
        .post(
            "/v1/tariffs",
            json!({ "provider_id": provider, "name": "VDS Small", "item_type": "vds",
                    "prices": [{"period": "P1M", "price": {"amount": "10.00", "currency": "EUR"}}] }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    answer.body["id"].as_str().unwrap().to_owned()
}

/// The provisioning robot: once everything written has been applied, completes every pending
/// operation; answers how many it completed.
pub(crate) async fn robot(server: &TestServer) -> usize {
    let head = server.settled().await;
    let pending = server
        .get(&format!(
            "/v1/operations?status=pending&min_position={head}"
        ))
        .await;
    let items = pending.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for op in &items {
        let done = server
            .post(
                &format!("/v1/operations/{}/complete", op["id"].as_str().unwrap()),
                json!({}),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{done:?}");
    }
    items.len()
}

/// A browser signed in to the staff panel as the bootstrap administrator.
pub(crate) async fn admin_browser(server: &TestServer) -> crate::browser::Browser {
    let browser = crate::browser::Browser::start().await;
    browser.go(&format!("{}/dashboard/login", server.url)).await;
    browser.type_into("#email", "admin").await;
    browser.type_into("#password", tests::ADMIN_TOKEN).await;
    browser.click("#sign-in").await;
    browser.title_once("Overview").await;
    browser
}

/// A read of the API once every read model has applied the whole log.
pub(crate) async fn read(server: &TestServer, path: &str) -> Value {
    let head = server.settled().await;
    let separator = if path.contains('?') { '&' } else { '?' };
    let answer = server
        .get(&format!("{path}{separator}min_position={head}"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
    answer.body
}

/// The id at the end of a panel address such as `…/dashboard/clients/{id}?done=register`.
fn id_in(address: &str) -> String {
    address
        .split("/dashboard/clients/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn staff_register_a_client_pay_order_suspend_resume_close_and_issue_an_invoice_in_the_browser()
 {
    // Arrange: a provider with a tariff and a company that issues invoices.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    tariff(&server, &provider).await;
    crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let browser = Browser::start().await;
    browser.go(&format!("{}/dashboard/login", server.url)).await;
    browser.type_into("#email", "admin").await;
    browser.type_into("#password", ADMIN_TOKEN).await;
    browser.click("#sign-in").await;
    browser.title_once("Overview").await;

    // Act: register a client through the form.
    browser
        .go(&format!("{}/dashboard/clients", server.url))
        .await;
    browser.type_into("#name", "Ada Lovelace").await;
    browser.type_into("#email-new", "ada@example.com").await;
    browser.type_into("#country", "GB").await;
    browser.click("#register-client").await;
    let registered = browser.address_with("done=register").await;
    let client = id_in(&registered);
    let heading = browser.title_once("Ada Lovelace").await;

    // Post a payment of 1,500.00 EUR.
    browser.type_into("#amount", "1500.00").await;
    browser.click("#post-payment").await;
    let paid = browser.address_with("done=payment").await;
    let balance_on_page = browser.text("td.balance").await;

    // Order the service; the provisioning robot activates it.
    browser.click("#order-service").await;
    let ordered = browser.address_with("done=order").await;
    let activated = robot(&server).await;
    let services = read(&server, &format!("/v1/clients/{client}/services")).await;
    let service = services["items"][0]["id"].as_str().unwrap().to_owned();
    let status_after_order = services["items"][0]["status"].clone();

    // Suspend it; the robot carries the suspension out.
    browser
        .go(&format!("{}/dashboard/clients/{client}", server.url))
        .await;
    browser
        .click(&format!("#service-{service} button.suspend"))
        .await;
    let suspended = browser.address_with("done=suspend").await;
    assert!(
        suspended.contains("done=suspend"),
        "{}",
        browser.text("body").await
    );
    robot(&server).await;
    let after_suspend = read(&server, &format!("/v1/services/{service}")).await;

    // Resume it; the robot carries the resumption out.
    browser
        .go(&format!("{}/dashboard/clients/{client}", server.url))
        .await;
    browser
        .click(&format!("#service-{service} button.resume"))
        .await;
    let resumed = browser.address_with("done=resume").await;
    robot(&server).await;
    let after_resume = read(&server, &format!("/v1/services/{service}")).await;

    // Issue an invoice through the form, and open it from the client's page.
    browser
        .go(&format!("{}/dashboard/clients/{client}", server.url))
        .await;
    browser.type_into("#description", "Set-up work").await;
    browser.type_into("#unit-price", "1250.00").await;
    browser.click("#issue").await;
    let invoiced = browser.address_with("done=invoice").await;
    browser.screenshot_in(SCREENSHOTS, "client").await;
    browser.click("a.invoice").await;
    let invoice_title = browser.title_once("Invoice").await;
    let invoice_text = browser.text("body").await;

    // Close the service.
    browser
        .go(&format!("{}/dashboard/clients/{client}", server.url))
        .await;
    browser
        .click(&format!("#service-{service} button.close"))
        .await;
    let closed = browser.address_with("done=close").await;
    robot(&server).await;
    let after_close = read(&server, &format!("/v1/services/{service}")).await;

    // The invoices and payments lists with their totals.
    browser
        .go(&format!("{}/dashboard/invoices", server.url))
        .await;
    browser.title_once("Invoices").await;
    let invoice_totals = browser.text("#totals").await;
    browser.screenshot_in(SCREENSHOTS, "invoices").await;
    browser
        .go(&format!("{}/dashboard/payments", server.url))
        .await;
    browser.title_once("Payments").await;
    let payment_totals = browser.text("#totals").await;

    // The overview and the clients list, for the reviewer.
    browser.go(&format!("{}/dashboard", server.url)).await;
    browser.title_once("Overview").await;
    let overview_shot = browser.screenshot_in(SCREENSHOTS, "overview").await;
    browser
        .go(&format!("{}/dashboard/clients", server.url))
        .await;
    browser.title_once("Clients").await;
    let count = browser.text("#count").await;
    browser.screenshot_in(SCREENSHOTS, "clients").await;
    browser.quit().await;

    // Assert: the pages went where they should, and the API's read models hold what was done.
    assert!(heading.starts_with("Ada Lovelace"), "{heading}");
    assert!(
        paid.contains(&client) && ordered.contains(&client),
        "{paid} {ordered}"
    );
    assert!(suspended.contains(&client) && resumed.contains(&client));
    assert_eq!(balance_on_page, "1,500.00");
    let profile = read(&server, &format!("/v1/clients/{client}")).await;
    assert_eq!(profile["name"], "Ada Lovelace");
    assert_eq!(profile["email"], "ada@example.com");
    assert_eq!(profile["country"], "GB");
    let payments = read(&server, &format!("/v1/payments?client_id={client}")).await;
    assert_eq!(payments["items"].as_array().unwrap().len(), 1, "{payments}");
    assert_eq!(payments["items"][0]["amount"], "1500.00", "{payments}");
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(balance["accounts"][0]["balance"], "1490.00", "{balance}");
    assert_eq!(activated, 1);
    assert_eq!(status_after_order, "active");
    assert_eq!(after_suspend["status"], "suspended", "{after_suspend}");
    assert_eq!(after_suspend["suspend_reason"], "staff", "{after_suspend}");
    assert_eq!(after_resume["status"], "active", "{after_resume}");
    assert!(invoiced.contains(&client), "{invoiced}");
    assert!(invoice_title.starts_with("Invoice"), "{invoice_title}");
    assert!(invoice_text.contains("Set-up work"), "{invoice_text}");
    assert!(invoice_text.contains("Ada Lovelace"), "{invoice_text}");
    assert_eq!(count, "1 of 1");
    assert!(closed.contains(&client), "{closed}");
    assert_eq!(after_close["status"], "deleted", "{after_close}");
    // The invoice issued, and the prepayment invoice the payment got from the company.
    assert!(invoice_totals.contains("2,750.00 EUR"), "{invoice_totals}");
    assert!(payment_totals.contains("1,500.00 EUR"), "{payment_totals}");
    let log = read(
        &server,
        &format!("/v1/action-log?client_id={client}&limit=100"),
    )
    .await;
    let by_admin: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "staff:admin")
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    for event in ["ClientRegistered", "PaymentPosted", "ServiceOrdered"] {
        assert!(by_admin.contains(&event), "{event} in {by_admin:?}");
    }
    assert!(std::fs::metadata(overview_shot).unwrap().len() > 1_000);
}

/// A signed-in panel session of reqwest (no browser): the session cookie and the HTTP client.
pub(crate) struct Panel {
    http: reqwest::Client,
    url: String,
    pub(crate) cookie: String,
}

impl Panel {
    /// Signs in through the panel's form.
    pub(crate) async fn sign_in(server: &TestServer, email: &str, password: &str) -> Panel {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let signed_in = http
            .post(format!("{}/dashboard/login", server.url))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        let cookie = signed_in.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        Panel {
            http,
            url: server.url.clone(),
            cookie,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, String) {
        let answer = self
            .http
            .get(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (answer.status(), answer.text().await.unwrap())
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

/// The `value` of the first hidden input named `name` after `marker` in `html`.
pub(crate) fn hidden(html: &str, marker: &str, name: &str) -> String {
    let after = &html[html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"))..];
    let field = format!("name=\"{name}\" value=\"");
    let start = after.find(&field).expect(name) + field.len();
    after[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_double_submitted_payment_form_posts_one_payment() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Double Clicker").await;
    let panel = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;
    let (_, page) = panel.get(&format!("/dashboard/clients/{client}")).await;
    let csrf = hidden(&page, "id=\"payment\"", "csrf");
    let key = hidden(&page, "id=\"payment\"", "key");
    let form = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("amount", "25.00"),
        ("currency", "EUR"),
        ("method", "bank_transfer"),
    ];
    let path = format!("/dashboard/clients/{client}/payments");

    // Act: the same form sent twice at once, and once more afterwards (a reload).
    let (first, second) = tokio::join!(panel.post(&path, &form), panel.post(&path, &form));
    let third = panel.post(&path, &form).await;

    // Assert
    for answer in [first, second, third] {
        let status = answer.status();
        let location = answer.headers().get("location").cloned();
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{}",
            answer.text().await.unwrap()
        );
        let answer = location.unwrap();
        assert!(answer.to_str().unwrap().contains("done=payment"));
    }
    let payments = read(&server, &format!("/v1/payments?client_id={client}")).await;
    assert_eq!(payments["items"].as_array().unwrap().len(), 1, "{payments}");
    assert_eq!(payments["items"][0]["id"], key.as_str());
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(balance["accounts"][0]["balance"], "25.00", "{balance}");
}

#[tokio::test]
async fn a_refused_form_shows_the_problem_and_writes_nothing() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Careful Typist").await;
    let panel = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;
    let (_, page) = panel.get(&format!("/dashboard/clients/{client}")).await;
    let csrf = hidden(&page, "id=\"payment\"", "csrf");
    let key = hidden(&page, "id=\"payment\"", "key");
    let before = server.event_count().await;

    // Act: three digits after the point, which EUR does not have.
    let refused = panel
        .post(
            &format!("/dashboard/clients/{client}/payments"),
            &[
                ("csrf", csrf.as_str()),
                ("key", key.as_str()),
                ("amount", "12.345"),
                ("currency", "EUR"),
                ("method", "bank_transfer"),
            ],
        )
        .await;
    let status = refused.status();
    let body = refused.text().await.unwrap();

    // Assert
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"form-error\""), "{body}");
    assert_eq!(server.event_count().await, before);
}

#[tokio::test]
async fn staff_who_only_read_clients_get_the_apis_refusals_and_a_forged_post_changes_nothing() {
    // Arrange: a staff member whose department only reads clients, and a client.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Watched Client").await;
    let department = server
        .post(
            "/v1/departments",
            json!({"name": "Front desk", "permissions": ["clients:read"]}),
        )
        .await;
    assert!(department.status.is_success(), "{department:?}");
    let staff = server
        .post(
            "/v1/staff",
            json!({"name": "Reader", "email": "reader@example.com",
                   "password": "correct horse battery",
                   "departments": [department.body["id"]], "administrator": false}),
        )
        .await;
    assert!(staff.status.is_success(), "{staff:?}");
    let token = server
        .http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": "reader@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = |path: String| {
        server
            .http
            .get(format!("{}{path}", server.url))
            .bearer_auth(&token)
            .send()
    };
    let reader = Panel::sign_in(&server, "reader@example.com", "correct horse battery").await;
    let admin = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;
    let before = server.event_count().await;

    // Act
    let revenue = api("/v1/reports/revenue".to_owned())
        .await
        .unwrap()
        .status();
    let log = api("/v1/action-log".to_owned()).await.unwrap().status();
    let statement = api(format!("/v1/clients/{client}/statement"))
        .await
        .unwrap()
        .status();
    let (overview_status, overview) = reader.get("/dashboard").await;
    let (log_status, _) = reader.get("/dashboard/action-log").await;
    let (invoices_status, _) = reader.get("/dashboard/invoices").await;
    let (client_status, client_page) = reader.get(&format!("/dashboard/clients/{client}")).await;
    let reader_post = reader
        .post(
            &format!("/dashboard/clients/{client}/payments"),
            &[("amount", "10.00"), ("currency", "EUR"), ("method", "cash")],
        )
        .await
        .status();
    let forged = admin
        .post(
            &format!("/dashboard/clients/{client}/payments"),
            &[
                ("key", &Uuid::now_v7().to_string()),
                ("amount", "10.00"),
                ("currency", "EUR"),
                ("method", "cash"),
            ],
        )
        .await
        .status();
    let wrong_token = admin
        .post(
            &format!("/dashboard/clients/{client}/payments"),
            &[
                ("csrf", "00ff"),
                ("key", &Uuid::now_v7().to_string()),
                ("amount", "10.00"),
                ("currency", "EUR"),
                ("method", "cash"),
            ],
        )
        .await
        .status();

    // Assert: the API's 403s, the same on the panel (a page refused, a block left out).
    assert_eq!(revenue, StatusCode::FORBIDDEN);
    assert_eq!(log, StatusCode::FORBIDDEN);
    assert_eq!(statement, StatusCode::FORBIDDEN);
    assert_eq!(overview_status, StatusCode::OK);
    assert!(!overview.contains("revenue-chart"), "{overview}");
    assert!(!overview.contains("action-log"), "{overview}");
    assert_eq!(log_status, StatusCode::FORBIDDEN);
    assert_eq!(invoices_status, StatusCode::FORBIDDEN);
    assert_eq!(client_status, StatusCode::OK);
    assert!(
        !client_page.contains("class=\"statement\""),
        "{client_page}"
    );
    assert!(!client_page.contains("id=\"payment\""), "{client_page}");
    assert_eq!(reader_post, StatusCode::FORBIDDEN);
    assert_eq!(forged, StatusCode::FORBIDDEN);
    assert_eq!(wrong_token, StatusCode::FORBIDDEN);
    assert_eq!(server.event_count().await, before);
    let payments = read(
        &server,
        &format!("/v1/action-log?client_id={client}&event_type=PaymentPosted"),
    )
    .await;
    assert!(
        payments["items"].as_array().unwrap().is_empty(),
        "{payments}"
    );
}

#[tokio::test]
async fn the_clients_list_pages_by_keyset_with_a_count_and_sorts() {
    // Arrange: 201 clients, named so that their order by name is known.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    for n in 0..201 {
        server.client(&provider, &format!("Client {n:03}")).await;
    }
    let panel = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;
    let link = |html: &str, id: &str| -> Option<String> {
        let marker = format!("id=\"{id}\" href=\"");
        let start = html.find(&marker)? + marker.len();
        Some(
            html[start..]
                .split('"')
                .next()?
                .replace("&#38;", "&")
                .replace("&amp;", "&"),
        )
    };
    let names = |html: &str| -> Vec<String> {
        html.split("class=\"client\" href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('>').nth(1)?.split('<').next().map(str::to_owned))
            .collect()
    };

    // Act: the first page, the next two, and back.
    let (_, first) = panel.get("/dashboard/clients").await;
    let (_, second) = panel.get(&link(&first, "next").unwrap()).await;
    let (_, third) = panel.get(&link(&second, "next").unwrap()).await;
    let (_, back) = panel.get(&link(&third, "previous").unwrap()).await;
    let (_, newest) = panel.get("/dashboard/clients?sort=newest").await;
    let (_, searched) = panel.get("/dashboard/clients?q=client+19").await;

    // Assert
    assert!(first.contains("100 of 201"), "{first}");
    assert!(link(&first, "previous").is_none());
    assert_eq!(names(&first).first().unwrap(), "Client 000");
    assert_eq!(names(&first).last().unwrap(), "Client 099");
    assert_eq!(names(&second).first().unwrap(), "Client 100");
    assert!(third.contains("1 of 201"), "{third}");
    assert_eq!(names(&third), vec!["Client 200"]);
    assert!(link(&third, "next").is_none());
    assert_eq!(names(&back), names(&second));
    assert_eq!(names(&newest).first().unwrap(), "Client 200");
    assert!(searched.contains("10 of 10"), "{searched}");
}

#[tokio::test]
async fn the_action_log_names_clients_shows_amounts_and_finds_admin_and_times_show_their_zone() {
    // Arrange: a payment posted through the panel.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Logged Client").await;
    let panel = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;
    let (_, page) = panel.get(&format!("/dashboard/clients/{client}")).await;
    let csrf = hidden(&page, "id=\"payment\"", "csrf");
    let key = hidden(&page, "id=\"payment\"", "key");
    let paid = panel
        .post(
            &format!("/dashboard/clients/{client}/payments"),
            &[
                ("csrf", csrf.as_str()),
                ("key", key.as_str()),
                ("amount", "1234.50"),
                ("currency", "EUR"),
                ("method", "bank_transfer"),
            ],
        )
        .await;
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    server.settled().await;

    // Act
    let (_, log) = panel.get("/dashboard/action-log?actor=admin").await;
    let (_, nobody) = panel.get("/dashboard/action-log?actor=someone").await;
    let zone = panel
        .post(
            "/dashboard/time-zone",
            &[("csrf", csrf.as_str()), ("zone", "Europe/Berlin")],
        )
        .await;
    let zone_cookie = zone.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let berlin = Panel {
        cookie: format!("{}; {zone_cookie}", panel.cookie),
        http: panel.http.clone(),
        url: panel.url.clone(),
    };
    let (_, in_berlin) = berlin.get(&format!("/dashboard/clients/{client}")).await;
    let not_a_zone = panel
        .post(
            "/dashboard/time-zone",
            &[("csrf", csrf.as_str()), ("zone", "Mars/Olympus")],
        )
        .await
        .status();
    let (root, favicon) = {
        let http = &panel.http;
        let root = http.get(format!("{}/", server.url)).send().await.unwrap();
        let favicon = http
            .get(format!("{}/favicon.ico", server.url))
            .send()
            .await
            .unwrap();
        (root, favicon)
    };

    // Assert
    assert!(log.contains("<td>PaymentPosted</td>"), "{log}");
    assert!(log.contains(">Logged Client</a>"), "{log}");
    assert!(log.contains("1,234.50 EUR"), "{log}");
    assert!(!nobody.contains("<td>PaymentPosted</td>"), "{nobody}");
    assert_eq!(zone.status(), StatusCode::SEE_OTHER);
    assert_eq!(zone_cookie, "billing_tz=Europe/Berlin");
    assert!(in_berlin.contains(" CET"), "{in_berlin}");
    assert!(in_berlin.contains("value=\"Europe/Berlin\""), "{in_berlin}");
    assert!(page.contains(" UTC"), "{page}");
    assert_eq!(not_a_zone, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(root.status(), StatusCode::SEE_OTHER);
    assert_eq!(root.headers()["location"], "/dashboard");
    assert_eq!(favicon.status(), StatusCode::OK);
    assert_eq!(favicon.headers()["content-type"], "image/svg+xml");
}

#[tokio::test]
async fn staff_refund_a_payment_and_answer_a_ticket_in_the_browser() {
    // Arrange: a client with a payment of 100.00 EUR and a ticket of its own.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let registered = server
        .post(
            "/v1/clients",
            json!({"provider_id": provider, "name": "Refund Seeker",
                   "email": "seeker@example.com", "kind": "individual", "country": "DE",
                   "user": {"email": "seeker@example.com", "password": "correct horse battery"}}),
        )
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
    let client = registered.body["id"].as_str().unwrap().to_owned();
    server.settled().await;
    let user_token = server
        .http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": "seeker@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let payment = Uuid::now_v7();
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({ "payment_id": payment, "amount": "100.00", "currency": "EUR",
                    "method": "bank_transfer" }),
        )
        .await;
    assert!(paid.status.is_success(), "{paid:?}");
    // The client's own user asks, so the ticket waits for staff.
    let opened = server
        .http
        .post(format!("{}/v1/clients/{client}/tickets", server.url))
        .bearer_auth(&user_token)
        .json(&json!({ "subject": "Money back", "body": "Please refund 30 EUR." }))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::CREATED);
    let ticket = opened.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.settled().await;
    let browser = Browser::start().await;
    browser.go(&format!("{}/dashboard/login", server.url)).await;
    browser.type_into("#email", "admin").await;
    browser.type_into("#password", ADMIN_TOKEN).await;
    browser.click("#sign-in").await;
    browser.title_once("Overview").await;

    browser
        .screenshot_in(SCREENSHOTS, "overview-with-a-ticket")
        .await;
    let waiting = browser.text("#tickets + table").await;
    browser
        .go(&format!("{}/dashboard/tickets", server.url))
        .await;
    browser.title_once("Ticket queue").await;
    let queue = browser.text("#queue").await;
    browser.screenshot_in(SCREENSHOTS, "ticket-queue").await;

    // Act: refund 30.00 of the payment, then answer the ticket.
    browser
        .go(&format!("{}/dashboard/clients/{client}", server.url))
        .await;
    let users = browser.text("#users + table").await;
    let row = format!("#payment-{payment}");
    browser
        .type_into(&format!("{row} input[name=amount]"), "30.00")
        .await;
    browser
        .type_into(
            &format!("{row} input[name=reason]"),
            "asked for in a ticket",
        )
        .await;
    browser.click(&format!("{row} button.refund")).await;
    let refunded = browser.address_with("done=refund").await;
    let balance_on_page = browser.text("td.balance").await;
    let row = format!("#ticket-{ticket}");
    browser
        .type_into(&format!("{row} textarea"), "Done: 30.00 EUR is on its way.")
        .await;
    browser.click(&format!("{row} button.answer")).await;
    let answered = browser.address_with("done=answer").await;
    browser.quit().await;

    // Assert: against the API's read models.
    assert!(refunded.contains("done=refund"), "{refunded}");
    assert!(answered.contains("done=answer"), "{answered}");
    assert_eq!(balance_on_page, "70.00");
    assert!(waiting.contains(" 1 "), "{waiting}");
    assert!(users.contains("seeker@example.com"), "{users}");
    assert!(
        queue.contains("Money back") && queue.contains("Refund Seeker"),
        "{queue}"
    );
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(balance["accounts"][0]["balance"], "70.00", "{balance}");
    let statement = read(&server, &format!("/v1/clients/{client}/statement")).await;
    assert!(statement.to_string().contains("refund"), "{statement}");
    let conversation = read(&server, &format!("/v1/tickets/{ticket}")).await;
    assert!(
        conversation
            .to_string()
            .contains("Done: 30.00 EUR is on its way."),
        "{conversation}"
    );
}

#[tokio::test]
async fn a_form_field_with_a_nul_character_is_refused_and_the_read_models_keep_going() {
    // Arrange: a client with a balance, so that its page offers the adjustment form.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Null Byte").await;
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            serde_json::json!({"payment_id": uuid::Uuid::now_v7(), "amount": "10.00",
                               "currency": "EUR", "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let panel = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;
    let (_, page) = panel.get(&format!("/dashboard/clients/{client}")).await;
    let csrf = hidden(&page, "id=\"adjustment\"", "csrf");
    let key = hidden(&page, "id=\"adjustment\"", "key");
    let before = server.event_count().await;
    let adjust = |reason: &'static str, key: String| {
        let panel = &panel;
        let csrf = csrf.clone();
        let path = format!("/dashboard/clients/{client}/adjustments");
        async move {
            panel
                .post(
                    &path,
                    &[
                        ("csrf", csrf.as_str()),
                        ("key", key.as_str()),
                        ("amount", "-1.00"),
                        ("currency", "EUR"),
                        ("reason", reason),
                    ],
                )
                .await
        }
    };

    // Act: a reason with a NUL character (sent as %00), then a plain one.
    let refused = adjust("goodwill\0", key).await;
    let refused_status = refused.status();
    let refused_body = refused.text().await.unwrap();
    let written = server.event_count().await;
    let accepted = adjust("goodwill", uuid::Uuid::now_v7().to_string()).await;

    // Assert: refused with nothing written; the plain one is read back through the balances.
    assert_eq!(
        refused_status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused_body}"
    );
    assert!(refused_body.contains("NUL"), "{refused_body}");
    assert_eq!(written, before);
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    server.settled().await;
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(balance["accounts"][0]["balance"], "9.00", "{balance}");
}

#[tokio::test]
async fn the_overview_owes_and_counts_only_live_providers_clients() {
    // Arrange: a live client and a sandbox provider's client, each 30.00 below zero (within a
    // credit limit).
    let server = TestServer::start().await;
    let live = server.provider("EUR").await;
    let sandbox = server
        .post(
            "/v1/providers",
            serde_json::json!({"name": "Playground", "currency": "EUR", "sandbox": true}),
        )
        .await;
    assert_eq!(sandbox.status, StatusCode::CREATED, "{sandbox:?}");
    let sandbox = sandbox.body["id"].as_str().unwrap().to_owned();
    for (provider, name) in [(&live, "Real Debtor"), (&sandbox, "Pretend Debtor")] {
        let client = server.client(provider, name).await;
        let limit = server
            .call(
                reqwest::Method::PUT,
                &format!("/v1/clients/{client}/credit-limit"),
                Some(serde_json::json!({ "amount": "50.00", "currency": "EUR" })),
            )
            .await;
        assert_eq!(limit.status, StatusCode::OK, "{limit:?}");
        let adjusted = server
            .post(
                &format!("/v1/clients/{client}/adjustments"),
                serde_json::json!({"adjustment_id": uuid::Uuid::now_v7(), "amount": "-30.00",
                                   "currency": "EUR", "reason": "work done"}),
            )
            .await;
        assert_eq!(adjusted.status, StatusCode::CREATED, "{adjusted:?}");
    }
    let panel = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;

    // Act
    let (status, page) = panel.get("/dashboard").await;

    // Assert: the live debtor is listed and the sandbox's is not.
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Real Debtor"), "{page}");
    assert!(!page.contains("Pretend Debtor"), "{page}");
}
