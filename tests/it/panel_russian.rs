//! The whole staff panel in Russian (issue item 8): every page the panel's route table answers a
//! `GET` with, opened by a member of staff who chose Russian, shows no text of the English
//! catalogue. The list of pages is read from the route table itself
//! (`api/src/http/dashboard/mod.rs`), so a new page is checked without being added here.
//!
//! How a page is checked: each English catalogue text of two words or more (each literal run
//! between its placeables and tags) must not appear in the Russian page, and each one-word
//! English text that Russian writes otherwise (a column heading, a status code's word) must not
//! be a whole element's text or a placeholder, label or title. The same page in English shows
//! its English texts, so the check is not vacuous.
//!
//! In a real browser, a member of staff picks Russian in the layout's form; screenshots of the
//! overview, the client page and the reports go to `target/screenshots/dashboard/ru-*.png` (not
//! committed) for a reviewer to check that the layout holds Russian's longer words.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};

use crate::browser::Browser;
use uuid::Uuid;

/// Pages the check leaves out, with why: another helper's page, and a download that is no page.
const LEFT_OUT: [(&str, &str); 2] = [
    (
        "/dashboard/companies/{id}/document-template",
        "the document template editor is helper docs' page",
    ),
    (
        "/dashboard/reports/{report}/csv",
        "CSV stays machine-readable: its column names are not translated",
    ),
];

/// Every path of the staff panel's route table whose route answers `GET`.
fn get_routes() -> Vec<String> {
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src/http/dashboard/mod.rs"),
    )
    .unwrap();
    let mut routes: Vec<String> = source
        .split(".route(")
        .skip(1)
        .filter_map(|route| {
            let path = route.split('"').nth(1)?;
            let handlers = route.split(')').take(2).collect::<Vec<_>>().join(")");
            (path.starts_with("/dashboard") && handlers.contains("get(")).then(|| path.to_owned())
        })
        .collect();
    routes.sort();
    routes.dedup();
    routes
}

/// The English catalogue's texts (panel.ftl and dashboard.ftl, and my.ftl's status and kind
/// codes, which the staff panel shows too), with the Russian text of the same key.
fn english_texts() -> Vec<(String, String, String)> {
    let api = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/locales");
    let read = |lang: &str, file: &str| -> Vec<(String, String)> {
        std::fs::read_to_string(api.join(lang).join(file))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect()
    };
    let mut texts = Vec::new();
    for file in ["panel.ftl", "dashboard.ftl", "my.ftl"] {
        let russian = read("ru", file);
        for (key, english) in read("en", file) {
            if file == "my.ftl" && !key.starts_with("code-") {
                continue;
            }
            let russian = russian
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            texts.push((key, english, russian));
        }
    }
    texts
}

/// The literal runs of a catalogue text: what is between its placeables and tags, trimmed of
/// the punctuation around them.
fn runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '{' | '<' => {
                depth += 1;
                runs.push(std::mem::take(&mut current));
            }
            '}' | '>' => depth -= 1,
            _ if depth == 0 => current.push(c),
            _ => {}
        }
    }
    runs.push(current);
    runs.into_iter()
        .map(|r| r.trim_matches(|c: char| !c.is_alphanumeric()).to_owned())
        .filter(|r| !r.is_empty())
        .collect()
}

/// The page with the HTML escapes askama writes undone.
fn unescaped(page: &str) -> String {
    page.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The English texts a page shows: each a problem line naming the key.
fn english_on(page: &str, texts: &[(String, String, String)]) -> Vec<String> {
    let page = unescaped(page);
    let mut found = Vec::new();
    for (key, english, russian) in texts {
        if english == russian {
            continue;
        }
        for run in runs(english) {
            // A run the Russian text has too (`admin`, `MRR`) is no English left behind.
            if russian.contains(&run) {
                continue;
            }
            let words = run.split_whitespace().count();
            let shown = if words >= 2 {
                page.contains(&run)
            } else {
                [">", "placeholder=\"", "aria-label=\"", "title=\""]
                    .iter()
                    .zip(["<", "\"", "\"", "\""])
                    .any(|(open, close)| page.contains(&format!("{open}{run}{close}")))
                    || page.contains(&format!("> {run}<"))
            };
            if shown {
                found.push(format!("{key}: {run:?}"));
            }
        }
    }
    found
}

/// Texts of a page that look like catalogue keys (`col-owed`): a key without a text in the
/// catalogue shows as itself.
fn keys_shown(page: &str) -> Vec<String> {
    page.split('>')
        .filter_map(|rest| rest.split('<').next())
        .map(str::trim)
        .filter(|text| {
            text.split('-').all(|part| part.len() >= 2)
                && text.contains('-')
                && text.starts_with(|c: char| c.is_ascii_lowercase())
                && text.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        })
        .map(str::to_owned)
        .collect()
}

async fn created(server: &TestServer, path: &str, body: Value) -> Value {
    let answer = server.post(path, body).await;
    assert!(answer.status.is_success(), "{path}: {answer:?}");
    answer.body
}

/// Ids of a client, a service, an invoice, a tariff, a ticket and a company, each with rows
/// enough on every page to show statuses, kinds, amounts and dates.
struct Scene {
    server: TestServer,
    client: String,
    service: String,
    invoice: String,
    tariff: String,
    ticket: String,
    company: String,
}

async fn scene() -> Scene {
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let tariff = crate::panel::tariff(&server, &provider).await;
    let registered = created(
        &server,
        "/v1/clients",
        json!({"provider_id": provider, "name": "Борис Иванов", "email": "boris@example.com",
               "kind": "individual", "country": "RU",
               "user": {"email": "boris@example.com", "password": "correct horse battery"}}),
    )
    .await;
    let client = registered["id"].as_str().unwrap().to_owned();
    server.client(&provider, "Анна Петрова").await;
    created(
        &server,
        &format!("/v1/clients/{client}/payments"),
        json!({"payment_id": Uuid::now_v7(), "amount": "1234.50", "currency": "EUR",
               "method": "bank_transfer"}),
    )
    .await;
    let ordered = created(
        &server,
        &format!("/v1/clients/{client}/services"),
        json!({"tariff_id": tariff, "period": "P1M"}),
    )
    .await;
    let service = ordered["id"].as_str().unwrap().to_owned();
    crate::panel::robot(&server).await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let tax = server
        .call(
            reqwest::Method::PUT,
            &format!("/v1/companies/{company}/tax-rules"),
            Some(
                json!({"rules": [{"country": "NL", "rate": "21", "mode": "included",
                                   "reverse_charge": true}]}),
            ),
        )
        .await;
    assert!(tax.status.is_success(), "{tax:?}");
    let invoice = Uuid::now_v7().to_string();
    created(
        &server,
        "/v1/invoices",
        json!({"invoice_id": invoice, "client_id": client, "company_id": company,
               "lines": [{"description": "Настройка", "quantity": "1", "unit_price": "2500.00"}]}),
    )
    .await;
    created(
        &server,
        "/v1/promo-codes",
        json!({"provider_id": provider, "code": "VESNA10",
               "discount": {"kind": "percent", "percent": "10"}, "max_uses": 100,
               "valid_from": "2026-01-01", "valid_until": "2030-12-31"}),
    )
    .await;
    let rates = server
        .call(
            reqwest::Method::PUT,
            "/v1/currencies/EUR/rates",
            Some(json!({"effective_from": "2026-01-01", "rates": {"USD": "1.0825"}})),
        )
        .await;
    assert!(rates.status.is_success(), "{rates:?}");
    let department = created(
        &server,
        "/v1/departments",
        json!({"name": "Поддержка", "permissions": ["tickets:read", "tickets:write"],
               "accepts_tickets": true}),
    )
    .await;
    let department = department["id"].as_str().unwrap_or_default().to_owned();
    created(
        &server,
        "/v1/staff",
        json!({"name": "Сергей", "email": "sergey@example.com",
               "password": "correct horse battery", "departments": [department],
               "administrator": false}),
    )
    .await;
    server.settled().await;
    let user_token = server
        .http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": "boris@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let opened = server
        .http
        .post(format!("{}/v1/clients/{client}/tickets", server.url))
        .bearer_auth(&user_token)
        .json(&json!({"subject": "Сервер не отвечает", "body": "Посмотрите, пожалуйста."}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::CREATED);
    let ticket = opened.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.settled().await;
    Scene {
        server,
        client,
        service,
        invoice,
        tariff,
        ticket,
        company,
    }
}

/// A route's path with the scene's ids in it.
fn address(route: &str, scene: &Scene) -> String {
    let id = if route.starts_with("/dashboard/clients/") {
        &scene.client
    } else if route.starts_with("/dashboard/services/") {
        &scene.service
    } else if route.starts_with("/dashboard/invoices/") {
        &scene.invoice
    } else if route.starts_with("/dashboard/tariffs/") {
        &scene.tariff
    } else if route.starts_with("/dashboard/tickets/") {
        &scene.ticket
    } else {
        &scene.company
    };
    route.replace("{id}", id)
}

/// The administrator's session cookie.
async fn session(server: &TestServer, http: &reqwest::Client) -> String {
    let signed_in = http
        .post(format!("{}/dashboard/login", server.url))
        .form(&[("email", "admin"), ("password", ADMIN_TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_staff_page_is_in_russian_for_a_russian_staff_member() {
    // Arrange: a client with a payment, a service, an invoice and a ticket; a tariff, a promo
    // code, a rate, a company with a tax rule, a department and a member of staff.
    let scene = scene().await;
    let server = &scene.server;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = session(server, &http).await;
    let texts = english_texts();
    let routes = get_routes();
    assert!(routes.len() >= 20, "the route table's pages: {routes:?}");
    for (left_out, _why) in LEFT_OUT {
        assert!(routes.iter().any(|r| r == left_out), "{left_out}");
    }

    // Act: every page in English and in Russian (the language cookie of the layout's form).
    let mut problems = Vec::new();
    for route in routes
        .iter()
        .filter(|r| !LEFT_OUT.iter().any(|(left_out, _)| left_out == r))
    {
        let path = address(route, &scene);
        let mut pages = Vec::new();
        for lang in ["en", "ru"] {
            let answer = http
                .get(format!("{}{path}", server.url))
                .header("cookie", format!("{cookie}; billing_lang={lang}"))
                .send()
                .await
                .unwrap();
            let status = answer.status();
            let page = answer.text().await.unwrap();
            assert_eq!(status, StatusCode::OK, "{path} in {lang}: {page}");
            // The invoice's page is its printable document (helper docs translates documents)
            // with the panel's form above it: the form is the panel's part.
            let page = if route == "/dashboard/invoices/{id}" {
                let form = page.split("<form id=\"send-invoice\"").nth(1).unwrap();
                form.split("</form>").next().unwrap().to_owned()
            } else {
                page
            };
            pages.push(page);
        }

        // Assert: the English page shows English texts, the Russian page none of them.
        let (english, russian) = (&pages[0], &pages[1]);
        assert!(
            !english_on(english, &texts).is_empty(),
            "{path}: the English page shows no English text, so the check would be vacuous"
        );
        if let Ok(dir) = std::env::var("PANEL_RUSSIAN_DUMP") {
            let name = path.trim_start_matches('/').replace('/', "_");
            std::fs::write(format!("{dir}/{name}.html"), russian).unwrap();
        }
        for page in [english, russian] {
            for key in keys_shown(page) {
                problems.push(format!("{path}: a key without a text: {key}"));
            }
        }
        for found in english_on(russian, &texts) {
            problems.push(format!("{path}: {found}"));
        }
        if route != "/dashboard/invoices/{id}" {
            assert!(russian.contains("<html lang=\"ru\">"), "{path}: {russian}");
        }
    }
    assert!(
        problems.is_empty(),
        "English on Russian pages:\n{}",
        problems.join("\n")
    );
}

/// Where the screenshots go, under `target/`.
const SCREENSHOTS: &str = "screenshots/dashboard";

#[tokio::test]
async fn in_the_browser_staff_pick_russian_and_the_key_pages_read_in_russian() {
    // Arrange: the scene; the administrator signed in in a browser.
    let scene = scene().await;
    let url = &scene.server.url;
    let browser = Browser::start().await;
    browser.go(&format!("{url}/dashboard/login")).await;
    browser.type_into("#email", "admin").await;
    browser.type_into("#password", ADMIN_TOKEN).await;
    browser.click("#sign-in").await;
    browser.title_once("Overview").await;

    // Act: Russian from the layout's form; the overview, the client's page, the reports.
    browser.click("#language option[value=\"ru\"]").await;
    browser.click("#set-language").await;
    let overview = browser.title_once("Сводка").await;
    browser.screenshot_in(SCREENSHOTS, "ru-overview").await;
    browser
        .go(&format!("{url}/dashboard/clients/{}", scene.client))
        .await;
    let client = browser.title_once("Борис Иванов").await;
    let balance = browser.text("#balance").await;
    let actions = browser.text("#client-actions").await;
    browser.screenshot_in(SCREENSHOTS, "ru-client").await;
    browser.go(&format!("{url}/dashboard/reports")).await;
    let reports = browser.title_once("Отчёты").await;
    let payments = browser.text("#payments").await;
    browser.screenshot_in(SCREENSHOTS, "ru-reports").await;
    browser.quit().await;

    // Assert: Russian titles, headings, forms and report names.
    assert_eq!(overview, "Сводка · Биллинг");
    assert_eq!(client, "Борис Иванов · Биллинг");
    assert_eq!(balance, "Баланс");
    assert!(actions.contains("Корректировка баланса"), "{actions}");
    assert!(actions.contains("Войти от имени клиента"), "{actions}");
    assert_eq!(reports, "Отчёты · Биллинг");
    assert!(
        payments.contains("Платежи по периодам и способам оплаты"),
        "{payments}"
    );
    // The browser's text gives the no-break spaces as spaces.
    assert!(payments.contains("1 234,50 EUR"), "{payments}");
    assert!(payments.contains("банковский перевод"), "{payments}");
}

#[test]
fn the_check_finds_english_runs_and_words() {
    let texts = vec![
        (
            "ticket-close".to_owned(),
            "Close the ticket".to_owned(),
            "Закрыть тикет".to_owned(),
        ),
        (
            "col-status".to_owned(),
            "Status".to_owned(),
            "Статус".to_owned(),
        ),
        (
            "operations-none".to_owned(),
            "No { $status } operation.".to_owned(),
            "Нет операций".to_owned(),
        ),
        ("col-mrr".to_owned(), "MRR".to_owned(), "MRR".to_owned()),
    ];
    assert_eq!(
        english_on("<button>Close the ticket</button><th>Status</th>", &texts),
        vec![
            "ticket-close: \"Close the ticket\"",
            "col-status: \"Status\""
        ]
    );
    assert!(english_on("<th>Статус</th><td>MRR</td><p>Status of X</p>", &texts).is_empty());
    assert_eq!(runs("No { $status } operation."), vec!["No", "operation"]);
    assert_eq!(
        keys_shown("<th>col-owed</th><td>e-mail</td><td>VDS-1</td>"),
        vec!["col-owed"]
    );
    assert_eq!(
        runs("E-mail (or <code>admin</code>)"),
        vec!["E-mail (or", "admin"]
    );
}

#[tokio::test]
async fn a_refused_staff_form_says_the_problem_in_russian_and_in_english_the_apis_words() {
    // Arrange: a client, and the administrator's session in each language.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Ada Lovelace").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = session(&server, &http).await;
    let path = format!("/dashboard/clients/{client}");
    server.settled().await;
    let head = eventstore::log::head_position(&server.db.pool)
        .await
        .unwrap();

    // Act: a payment of a negative amount posted from the client page, in English and Russian.
    let mut refusals = Vec::new();
    for lang in ["en", "ru"] {
        let cookies = format!("{cookie}; billing_lang={lang}");
        let page = http
            .get(format!("{}{path}", server.url))
            .header("cookie", &cookies)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let refused = http
            .post(format!("{}{path}/payments", server.url))
            .header("cookie", &cookies)
            .form(&[
                (
                    "csrf",
                    crate::panel::hidden(&page, "id=\"payment\"", "csrf"),
                ),
                ("key", crate::panel::hidden(&page, "id=\"payment\"", "key")),
                ("amount", "-5.00".to_owned()),
                ("currency", "EUR".to_owned()),
                ("method", "bank_transfer".to_owned()),
            ])
            .send()
            .await
            .unwrap();
        let status = refused.status();
        let body = refused.text().await.unwrap();
        let error = body
            .split("id=\"form-error\"")
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .unwrap_or_else(|| panic!("{lang}: no form error in {body}"))
            .to_owned();
        refusals.push((status, error));
    }
    let written = eventstore::log::head_position(&server.db.pool)
        .await
        .unwrap()
        - head;

    // Assert: refused in both, nothing written; Russian words it, English quotes the API.
    for (status, _) in &refusals {
        assert!(status.is_client_error(), "{refusals:?}");
    }
    let (english, russian) = (&refusals[0].1, &refusals[1].1);
    assert!(
        english.contains("amount must be greater than zero") && english.contains("(not_positive)"),
        "{english}"
    );
    assert!(!english.contains("больше нуля"), "{english}");
    assert!(
        russian.contains("Сумма должна быть больше нуля.") && russian.contains("(not_positive)"),
        "{russian}"
    );
    assert_eq!(written, 0, "nothing written");
}
