//! Languages (issue 18, item 8), without a browser: the staff panel in English by default and
//! for a language it does not speak, in Russian once picked in the layout's language form (and
//! on the sign-in page for a browser asking for Russian), with amounts and dates written the
//! Russian way; a Russian-speaking client's e-mail in Russian when staff wrote no template; and
//! the catalogues: every key in every language, every key a template uses defined.

use std::sync::Arc;
use std::time::Duration;

use eventstore::clock::FixedClock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::smtp::SmtpSink;
use tests::{ADMIN_TOKEN, TestDb, TestServer, t0};
use uuid::Uuid;

/// The no-break space Russian groups thousands with and puts before a currency.
const NBSP: &str = "\u{a0}";

/// A panel session of reqwest: the session cookie, and the language cookie once one is chosen.
struct Panel {
    http: reqwest::Client,
    url: String,
    cookies: Vec<String>,
}

impl Panel {
    async fn sign_in(server: &TestServer) -> Panel {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let signed_in = http
            .post(format!("{}/dashboard/login", server.url))
            .form(&[("email", "admin"), ("password", ADMIN_TOKEN)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        Panel {
            http,
            url: server.url.clone(),
            cookies: vec![first_cookie(&signed_in)],
        }
    }

    /// `path` with the session's cookies and `accept_language` if any: the status and the page.
    async fn get_as(&self, path: &str, accept_language: Option<&str>) -> (StatusCode, String) {
        let mut request = self
            .http
            .get(format!("{}{path}", self.url))
            .header("cookie", self.cookies.join("; "));
        if let Some(accept) = accept_language {
            request = request.header("accept-language", accept);
        }
        let answer = request.send().await.unwrap();
        (answer.status(), answer.text().await.unwrap())
    }

    async fn page(&self, path: &str) -> String {
        let (status, page) = self.get_as(path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        page
    }

    /// Posts the layout's language form with `csrf`: its answer.
    async fn choose(&self, language: &str, csrf: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/dashboard/language", self.url))
            .header("cookie", self.cookies.join("; "))
            .form(&[("csrf", csrf), ("language", language)])
            .send()
            .await
            .unwrap()
    }
}

/// `name=value` of the answer's first `Set-Cookie`.
fn first_cookie(answer: &reqwest::Response) -> String {
    answer.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

/// The text of the page's `<title>`.
fn title_of(page: &str) -> &str {
    page.split("<title>")
        .nth(1)
        .and_then(|rest| rest.split("</title>").next())
        .unwrap()
}

async fn ok(server: &TestServer, method: Method, path: &str, body: Value) -> Value {
    let answer = server.call(method, path, Some(body)).await;
    assert!(answer.status.is_success(), "{path}: {answer:?}");
    answer.body
}

#[tokio::test]
async fn the_staff_panel_speaks_english_by_default_and_russian_once_picked() {
    // Arrange: at a fixed time, a client who paid 1,234.50 EUR.
    let clock = Arc::new(FixedClock::new(t0()));
    let server = TestServer::start_on(TestDb::new().await, clock).await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Борис Иванов").await;
    ok(
        &server,
        Method::POST,
        &format!("/v1/clients/{client}/payments"),
        json!({"payment_id": Uuid::now_v7(), "amount": "1234.50", "currency": "EUR",
               "method": "bank_transfer"}),
    )
    .await;
    server.settled().await;
    let panel = Panel::sign_in(&server).await;

    // Act: the overview as it is, for a German browser; a forged language form; the form;
    // then the overview and the client's page in Russian; the sign-in page for a Russian
    // browser.
    let english = panel.page("/dashboard").await;
    let (_, german) = panel.get_as("/dashboard", Some("de-DE, de;q=0.9")).await;
    let client_in_english = panel.page(&format!("/dashboard/clients/{client}")).await;
    let forged = panel.choose("ru", "not-the-token").await;
    let chosen = panel.choose("ru", &csrf_of(&english)).await;
    let chosen_status = chosen.status();
    let language_cookie = first_cookie(&chosen);
    let mut russian_panel = panel;
    russian_panel.cookies.push(language_cookie.clone());
    let russian = russian_panel.page("/dashboard").await;
    let client_in_russian = russian_panel
        .page(&format!("/dashboard/clients/{client}"))
        .await;
    let (login_status, login_in_russian) = russian_panel
        .get_as("/dashboard/login", Some("ru-RU,ru;q=0.9,en;q=0.5"))
        .await;
    let anonymous = reqwest::Client::new()
        .get(format!("{}/dashboard/login", server.url))
        .header("accept-language", "ru-RU,ru;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Assert: English by default and for German, with English amounts and dates.
    assert_eq!(title_of(&english), "Overview · Billing");
    assert!(english.contains("<html lang=\"en\">"), "{english}");
    assert!(english.contains(">Clients</a>"), "{english}");
    assert!(english.contains("1,234.50 EUR"), "{english}");
    assert_eq!(title_of(&german), "Overview · Billing");
    assert!(client_in_english.contains("<h2 id=\"balance\">Balance</h2>"));
    assert!(
        client_in_english.contains("1,234.50"),
        "{client_in_english}"
    );
    assert!(
        client_in_english.contains("2027-01-01 09:00 UTC"),
        "{client_in_english}"
    );
    // A form without the session's token changes nothing.
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers().get("set-cookie").is_none());
    // The form sets the language for the browser.
    assert_eq!(chosen_status, StatusCode::SEE_OTHER);
    assert_eq!(language_cookie, "billing_lang=ru");
    // Russian titles, navigation, amounts and dates.
    assert_eq!(title_of(&russian), "Сводка · Биллинг");
    assert!(russian.contains("<html lang=\"ru\">"), "{russian}");
    assert!(russian.contains(">Клиенты</a>"), "{russian}");
    assert!(russian.contains(">Выйти</button>"), "{russian}");
    assert!(
        russian.contains(&format!("1{NBSP}234,50{NBSP}EUR")),
        "{russian}"
    );
    assert!(russian.contains("доход за сегодня"), "{russian}");
    assert_eq!(title_of(&client_in_russian), "Борис Иванов · Биллинг");
    assert!(client_in_russian.contains("<h2 id=\"balance\">Баланс</h2>"));
    assert!(client_in_russian.contains("<h2 id=\"payments\">Платежи</h2>"));
    assert!(
        client_in_russian.contains(&format!("1{NBSP}234,50")),
        "{client_in_russian}"
    );
    assert!(
        client_in_russian.contains("01.01.2027 09:00 UTC"),
        "{client_in_russian}"
    );
    assert!(
        !client_in_russian.contains("2027-01-01"),
        "{client_in_russian}"
    );
    // The sign-in page of a browser asking for Russian.
    assert_eq!(login_status, StatusCode::OK);
    assert_eq!(title_of(&login_in_russian), "Вход · Биллинг");
    assert_eq!(title_of(&anonymous), "Вход · Биллинг");
    assert!(anonymous.contains(">Войти</button>"), "{anonymous}");
}

#[tokio::test]
async fn a_russian_speaking_client_is_mailed_in_russian_without_a_template() {
    // Arrange: a client reading Russian, another reading German; no template written.
    let sink = SmtpSink::start().await;
    let clock = Arc::new(FixedClock::new(t0()));
    let server = TestServer::start_mailing(TestDb::new().await, clock, Some(&sink.url())).await;
    let provider = server.provider("EUR").await;
    let russian = server.client(&provider, "Борис Иванов").await;
    let german = server.client(&provider, "Olga Berg").await;
    for (client, language) in [(&russian, "ru"), (&german, "de")] {
        ok(
            &server,
            Method::PUT,
            &format!("/v1/clients/{client}/notice-settings"),
            json!({"language": language, "subscriptions": ["payment_credited"]}),
        )
        .await;
    }

    // Act: a payment to each.
    for client in [&russian, &german] {
        ok(
            &server,
            Method::POST,
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": "25.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    }
    let mails = sink.wait_for(2, Duration::from_secs(30)).await;

    // Assert: Russian for the Russian reader, English (no German text) for the other.
    let subjects: Vec<String> = mails.iter().map(|m| m.subject()).collect();
    let in_russian = mails
        .iter()
        .find(|m| m.subject().starts_with("Получен платёж"))
        .unwrap_or_else(|| panic!("{subjects:?}"));
    // The amount written the Russian way, with a decimal comma.
    assert_eq!(in_russian.subject(), "Получен платёж на 25,00 EUR");
    assert!(
        in_russian.body().starts_with("Здравствуйте, Борис Иванов!"),
        "{}",
        in_russian.body()
    );
    assert!(
        subjects.contains(&"Payment of 25.00 EUR received".to_owned()),
        "{subjects:?}"
    );
}

/// Every `layout.t("key")` and `layout.t1("key", …)` of a template, and every catalogue key the
/// panels' Rust code names (`"nav-…"`, `lang.t("…")`), exists in every language; and every key
/// of one language is in the other.
#[test]
fn every_key_the_pages_use_is_in_every_catalogue() {
    let api = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api");
    let keys = |lang: &str| -> Vec<String> {
        std::fs::read_dir(api.join("locales").join(lang))
            .unwrap()
            .flat_map(|file| {
                std::fs::read_to_string(file.unwrap().path())
                    .unwrap()
                    .lines()
                    .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
                    .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let english = keys("en");
    let russian = keys("ru");
    let mut used = Vec::new();
    let mut files = vec![api.join("templates")];
    let mut sources = vec![api.join("src/http")];
    while let Some(dir) = files.pop().or_else(|| sources.pop()) {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in [".t(\"", ".t1(\"", ".t_with(\"", "\"nav-"] {
                for rest in text.split(call).skip(1) {
                    let key = rest.split('"').next().unwrap();
                    let key = if call.ends_with("nav-") {
                        format!("nav-{key}")
                    } else {
                        key.to_owned()
                    };
                    if key.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                        && key.contains('-')
                        && !key.is_empty()
                        && !key.starts_with("no-such")
                    {
                        used.push((path.display().to_string(), key));
                    }
                }
            }
        }
    }
    assert!(
        used.len() > 100,
        "the scan found the pages' keys: {}",
        used.len()
    );
    let missing: Vec<_> = used
        .iter()
        .filter(|(_, key)| !english.contains(key) || !russian.contains(key))
        .collect();
    assert!(missing.is_empty(), "keys without a text: {missing:?}");
    let only_english: Vec<_> = english.iter().filter(|k| !russian.contains(k)).collect();
    let only_russian: Vec<_> = russian.iter().filter(|k| !english.contains(k)).collect();
    assert!(only_english.is_empty(), "not in ru: {only_english:?}");
    assert!(only_russian.is_empty(), "not in en: {only_russian:?}");
}
