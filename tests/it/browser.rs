//! The staff dashboard in a real browser: headless Chromium driven over WebDriver by
//! chromedriver (Debian's `chromium` and `chromium-driver`; `tests/run.sh` installs them). The
//! client speaks the W3C WebDriver protocol with the HTTP client the suite already uses.
//! Screenshots are kept in `target/browser-artifacts/`.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};
use uuid::Uuid;

/// The W3C name of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session in it; both end when dropped.
pub(crate) struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Drop for Browser {
    /// Kills chromedriver's whole process group, the browser it started included, so that a
    /// failed test leaves no browser behind.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    pub(crate) async fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver (install Debian's chromium-driver)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver answered");
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            http,
        };
        let created = browser
            .send(
                reqwest::Method::POST,
                "/session",
                Some(json!({ "capabilities": { "alwaysMatch": {
                    "browserName": "chrome",
                    "timeouts": { "implicit": 10_000 },
                    "goog:chromeOptions": {
                        "binary": chromium(),
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--disable-dev-shm-usage", "--window-size=1280,900"],
                    },
                }}})),
            )
            .await;
        browser.session = created["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(
            answer["value"].get("error").is_none(),
            "WebDriver {path}: {answer}"
        );
        answer["value"].clone()
    }

    /// Ends the session: the browser closes.
    pub(crate) async fn quit(&self) {
        self.send(
            reqwest::Method::DELETE,
            &format!("/session/{}", self.session),
            None,
        )
        .await;
    }

    pub(crate) async fn go(&self, url: &str) {
        self.send(
            reqwest::Method::POST,
            &format!("/session/{}/url", self.session),
            Some(json!({ "url": url })),
        )
        .await;
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let found = self
            .send(
                reqwest::Method::POST,
                &format!("/session/{}/element", self.session),
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    /// How many elements `css` finds on the page now (none is no error).
    pub(crate) async fn count(&self, css: &str) -> usize {
        let found = self
            .send(
                reqwest::Method::POST,
                &format!("/session/{}/elements", self.session),
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found.as_array().map_or(0, Vec::len)
    }

    /// The attribute `name` of the first element `css` finds.
    pub(crate) async fn attribute(&self, css: &str, name: &str) -> String {
        let element = self.find(css).await;
        self.send(
            reqwest::Method::GET,
            &format!(
                "/session/{}/element/{element}/attribute/{name}",
                self.session
            ),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The value of the browser's cookie `name` for the current page (`HttpOnly` ones too).
    pub(crate) async fn cookie(&self, name: &str) -> String {
        self.send(
            reqwest::Method::GET,
            &format!("/session/{}/cookie/{name}", self.session),
            None,
        )
        .await["value"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.send(
            reqwest::Method::POST,
            &format!("/session/{}/element/{element}/value", self.session),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub(crate) async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.send(
            reqwest::Method::POST,
            &format!("/session/{}/element/{element}/click", self.session),
            Some(json!({})),
        )
        .await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.send(
            reqwest::Method::GET,
            &format!("/session/{}/element/{element}/text", self.session),
            None,
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
    }

    /// Waits until the page's title starts with `prefix` (a click that submits a form or follows
    /// a link may answer before the next page has loaded) and returns it; after 30 s it returns
    /// whatever the title and the page's text are then, for the assertion to show.
    pub(crate) async fn title_once(&self, prefix: &str) -> String {
        for _ in 0..300 {
            let title = self.title().await;
            if title.starts_with(prefix) {
                return title;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        format!("{} | {}", self.title().await, self.text("body").await)
    }

    /// Waits until the page's address contains `part` (the search form's answer has loaded).
    pub(crate) async fn address_with(&self, part: &str) -> String {
        let mut address = String::new();
        for _ in 0..300 {
            address = self
                .send(
                    reqwest::Method::GET,
                    &format!("/session/{}/url", self.session),
                    None,
                )
                .await
                .as_str()
                .unwrap()
                .to_owned();
            if address.contains(part) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        address
    }

    pub(crate) async fn title(&self) -> String {
        self.send(
            reqwest::Method::GET,
            &format!("/session/{}/title", self.session),
            None,
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
    }

    /// Saves a screenshot as `target/browser-artifacts/{name}.png` and returns its path.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        self.screenshot_in("browser-artifacts", name).await
    }

    /// Saves a screenshot as `target/{folder}/{name}.png` and returns its path.
    pub(crate) async fn screenshot_in(&self, folder: &str, name: &str) -> PathBuf {
        let encoded = self
            .send(
                reqwest::Method::GET,
                &format!("/session/{}/screenshot", self.session),
                None,
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap())
            .unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target")
            .join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned())
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

#[tokio::test]
async fn staff_sign_in_see_the_overview_find_a_client_and_read_its_statement() {
    // Arrange: a client with a payment and a charge.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Greta Lindqvist").await;
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({ "payment_id": Uuid::now_v7(), "amount": "120.00", "currency": "EUR",
                    "method": "bank_transfer" }),
        )
        .await;
    assert!(paid.status.is_success(), "{paid:?}");
    let fee = server
        .post(
            &format!("/v1/clients/{client}/adjustments"),
            json!({ "adjustment_id": Uuid::now_v7(), "amount": "-19.50", "currency": "EUR",
                    "reason": "domain transfer fee" }),
        )
        .await;
    let position = fee.body["position"].as_i64().unwrap();
    let caught_up = server
        .get(&format!(
            "/v1/clients/{client}/statement?min_position={position}"
        ))
        .await;
    assert_eq!(caught_up.body["closing_balance"], "100.50");
    let browser = Browser::start().await;

    // Act: sign in, the overview, search the client, open it.
    browser.go(&format!("{}/dashboard", server.url)).await;
    let redirected_to_sign_in = browser.title().await;
    browser.type_into("#email", "admin").await;
    browser.type_into("#password", ADMIN_TOKEN).await;
    browser.click("#sign-in").await;
    let overview = browser.title_once("Overview").await;
    browser.screenshot("1-overview").await;
    assert!(overview.starts_with("Overview"), "{overview}");
    let chart = browser.find("#revenue-chart").await;
    browser
        .go(&format!("{}/dashboard/clients", server.url))
        .await;
    browser.type_into("#q", "lindqvist").await;
    browser.click("#search").await;
    let searched = browser.address_with("q=lindqvist").await;
    browser.screenshot("2-search").await;
    browser.click("a.client").await;
    let detail = browser.title_once("Greta Lindqvist").await;
    let balance = browser.text("td.balance").await;
    let statement = browser.text("table.statement").await;
    let shot = browser.screenshot("3-statement").await;
    browser.quit().await;

    // Assert
    assert!(
        redirected_to_sign_in.starts_with("Sign in"),
        "{redirected_to_sign_in}"
    );
    assert!(overview.starts_with("Overview"), "{overview}");
    assert!(!chart.is_empty());
    assert!(searched.contains("q=lindqvist"), "{searched}");
    assert!(detail.starts_with("Greta Lindqvist"), "{detail}");
    assert_eq!(balance, "100.50");
    assert!(statement.contains("120.00"), "{statement}");
    assert!(statement.contains("-19.50"), "{statement}");
    assert!(statement.contains("domain transfer fee"), "{statement}");
    assert!(
        std::fs::metadata(shot).unwrap().len() > 1_000,
        "a real screenshot"
    );
}

#[tokio::test]
async fn the_dashboard_refuses_a_wrong_password_and_pages_without_a_session() {
    // Arrange
    let server = TestServer::start().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Act
    let anonymous = http
        .get(format!("{}/dashboard/clients", server.url))
        .send()
        .await
        .unwrap();
    let wrong = http
        .post(format!("{}/dashboard/login", server.url))
        .form(&[("email", "admin"), ("password", "not-the-token")])
        .send()
        .await
        .unwrap();
    let forged = http
        .get(format!("{}/dashboard", server.url))
        .header("cookie", "billing_session=forged")
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(anonymous.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()["location"], "/dashboard/login");
    assert_eq!(wrong.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert_eq!(forged.status(), reqwest::StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn staff_sign_in_to_the_dashboard_with_their_own_login_and_clients_users_cannot() {
    // Arrange: a staff member of a department that reads clients, one without, and a client's
    // user.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let created = server
        .post(
            "/v1/departments",
            json!({"name": "Billing desk", "permissions": ["clients:read", "reports:read"]}),
        )
        .await;
    assert!(created.status.is_success(), "{created:?}");
    let department = created.body["id"].as_str().unwrap().to_owned();
    for (email, departments) in [
        ("desk@example.com", json!([department])),
        ("nobody@example.com", json!([])),
    ] {
        let staff = server
            .post(
                "/v1/staff",
                json!({"name": "Staff", "email": email, "password": "correct horse battery",
                       "departments": departments, "administrator": false}),
            )
            .await;
        assert!(staff.status.is_success(), "{staff:?}");
    }
    let client = server
        .post(
            "/v1/clients",
            json!({"provider_id": provider, "name": "Client With User",
                   "email": "owner@example.com", "kind": "individual", "country": "DE",
                   "user": {"email": "owner@example.com", "password": "correct horse battery"}}),
        )
        .await;
    assert!(client.status.is_success(), "{client:?}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = |email: &'static str| {
        http.post(format!("{}/dashboard/login", server.url))
            .form(&[("email", email), ("password", "correct horse battery")])
            .send()
    };

    // Act
    let desk = sign_in("desk@example.com").await.unwrap();
    let cookie = desk.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let overview = http
        .get(format!("{}/dashboard", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let nobody = sign_in("nobody@example.com").await.unwrap();
    let nobody_cookie = nobody.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let nobody_page = http
        .get(format!("{}/dashboard", server.url))
        .header("cookie", &nobody_cookie)
        .send()
        .await
        .unwrap();
    let owner = sign_in("owner@example.com").await.unwrap();

    // Assert: the desk gets in; staff without any right get an overview with nothing on it
    // (the dashboard shows what the API would let them read), and client users do not get in.
    assert_eq!(desk.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(overview.status(), reqwest::StatusCode::OK);
    assert!(overview.text().await.unwrap().contains("<h1>Overview</h1>"));
    assert_eq!(nobody_page.status(), reqwest::StatusCode::OK);
    let nobody_page = nobody_page.text().await.unwrap();
    assert!(
        nobody_page.contains("Your permissions show nothing on this page."),
        "{nobody_page}"
    );
    assert!(
        !nobody_page.contains("/dashboard/clients\""),
        "{nobody_page}"
    );
    assert_eq!(owner.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert!(owner.headers().get("set-cookie").is_none());
}
