//! The staff panel's catalog, settings and reports pages: in headless Chromium an administrator
//! opens each over data created through the API and sees the names and amounts the API's read
//! models hold; a report's CSV link works with the session cookie and says what the API's CSV
//! says; a staff member who only reads clients gets 403 on each page and no link to it.
//!
//! Screenshots of every page (the services list, the tariffs, one tariff, the reports, ...) are
//! written to `target/screenshots/panel/` (not committed) for a reviewer to look at.

use chrono::Datelike;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};

use crate::browser::Browser;

mod desk;

/// Where the screenshots go, under `target/`.
const SCREENSHOTS: &str = "screenshots/panel";

/// The pages of this file, with the title each shows.
const PAGES: [(&str, &str); 8] = [
    ("/dashboard/services", "Services"),
    ("/dashboard/tariffs", "Tariffs"),
    ("/dashboard/promo-codes", "Promo codes"),
    ("/dashboard/reports", "Reports"),
    ("/dashboard/currencies", "Currencies"),
    ("/dashboard/companies", "Companies"),
    ("/dashboard/staff", "Staff"),
    ("/dashboard/notifications", "Notifications"),
];

/// A read of the API once every read model has applied the whole log.
async fn read(server: &TestServer, path: &str) -> Value {
    let head = server.settled().await;
    let separator = if path.contains('?') { '&' } else { '?' };
    let answer = server
        .get(&format!("{path}{separator}min_position={head}"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
    answer.body
}

fn dec(value: &Value) -> Decimal {
    value.as_str().unwrap().parse().unwrap()
}

/// `amount` as the panel shows it: at its scale, with thousands separators, and the currency.
fn shown(amount: Decimal, currency: &str) -> String {
    let plain = format!("{:.2}", amount.abs());
    let (whole, cents) = plain.split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if amount < Decimal::ZERO { "-" } else { "" };
    format!("{sign}{grouped}.{cents} {currency}")
}

async fn created(server: &TestServer, path: &str, body: Value) -> String {
    let answer = server.post(path, body).await;
    assert!(answer.status.is_success(), "{path}: {answer:?}");
    answer.body["id"].as_str().unwrap_or_default().to_owned()
}

async fn put(server: &TestServer, path: &str, body: Value) {
    let answer = server.call(Method::PUT, path, Some(body)).await;
    assert!(answer.status.is_success(), "{path}: {answer:?}");
}

/// The provisioning robot: completes every pending operation.
async fn robot(server: &TestServer) {
    let pending = read(server, "/v1/operations?status=pending&limit=500").await;
    for op in pending["items"].as_array().cloned().unwrap_or_default() {
        let done = server
            .post(
                &format!("/v1/operations/{}/complete", op["id"].as_str().unwrap()),
                json!({}),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{done:?}");
    }
    server.settled().await;
}

/// What the pages show: two tariffs (one priced in two periods), a client who paid and one
/// who owes on credit, each with a service, a promo code, an exchange rate, a company with tax
/// rules, and a department with a staff member who only reads clients.
struct Scene {
    server: TestServer,
    provider: String,
    vds: String,
    ada: String,
    bob: String,
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let vds = created(
            &server,
            "/v1/tariffs",
            json!({"provider_id": provider, "name": "VDS Large", "item_type": "vds",
                   "prices": [{"period": "P1M", "price": {"amount": "1250.00", "currency": "EUR"}},
                              {"period": "P12M", "price": {"amount": "13500.00", "currency": "EUR"}}]}),
        )
        .await;
        let mail = created(
            &server,
            "/v1/tariffs",
            json!({"provider_id": provider, "name": "Mail Basic", "item_type": "shared_hosting",
                   "prices": [{"period": "P1M", "price": {"amount": "30.00", "currency": "EUR"}}]}),
        )
        .await;
        let ada = server.client(&provider, "Ada Lovelace").await;
        let bob = server.client(&provider, "Bob Owing").await;
        created(
            &server,
            &format!("/v1/clients/{ada}/payments"),
            json!({"payment_id": uuid::Uuid::now_v7(), "amount": "1500.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
        put(
            &server,
            &format!("/v1/clients/{bob}/credit-limit"),
            json!({"amount": "100.00", "currency": "EUR"}),
        )
        .await;
        created(
            &server,
            &format!("/v1/clients/{ada}/services"),
            json!({"tariff_id": vds, "period": "P1M"}),
        )
        .await;
        created(
            &server,
            &format!("/v1/clients/{bob}/services"),
            json!({"tariff_id": mail, "period": "P1M"}),
        )
        .await;
        robot(&server).await;
        created(
            &server,
            "/v1/promo-codes",
            json!({"provider_id": provider, "code": "SPRING10",
                   "discount": {"kind": "percent", "percent": "10"}, "max_uses": 100,
                   "valid_from": "2026-01-01", "valid_until": "2030-12-31"}),
        )
        .await;
        put(
            &server,
            "/v1/currencies/EUR/rates",
            json!({"effective_from": "2026-01-01", "rates": {"USD": "1.0825"}}),
        )
        .await;
        let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
        put(
            &server,
            &format!("/v1/companies/{company}/tax-rules"),
            json!({"rules": [{"country": "NL", "rate": "21", "mode": "included", "reverse_charge": false}]}),
        )
        .await;
        let department = created(
            &server,
            "/v1/departments",
            json!({"name": "Front desk", "permissions": ["clients:read"]}),
        )
        .await;
        created(
            &server,
            "/v1/staff",
            json!({"name": "Reader", "email": "reader@example.com",
                   "password": "correct horse battery", "departments": [department],
                   "administrator": false}),
        )
        .await;
        server.settled().await;
        Scene {
            server,
            provider,
            vds,
            ada,
            bob,
        }
    }

    async fn browser(&self) -> Browser {
        let browser = Browser::start().await;
        browser
            .go(&format!("{}/dashboard/login", self.server.url))
            .await;
        browser.type_into("#email", "admin").await;
        browser.type_into("#password", ADMIN_TOKEN).await;
        browser.click("#sign-in").await;
        browser.title_once("Overview").await;
        browser
    }

    /// Opens `path`, saves a screenshot of it for the reviewer, and returns the text of the
    /// page's `main`.
    async fn page(&self, browser: &Browser, path: &str, title: &str) -> String {
        browser.go(&format!("{}{path}", self.server.url)).await;
        let seen = browser.title_once(title).await;
        assert!(seen.starts_with(title), "{path}: {seen}");
        let name = path.trim_start_matches("/dashboard/");
        browser.screenshot_in(SCREENSHOTS, name).await;
        browser.text("main").await
    }
}

/// A signed-in panel session of reqwest (no browser): the session cookie.
struct Panel {
    http: reqwest::Client,
    url: String,
    cookie: String,
}

impl Panel {
    async fn sign_in(server: &TestServer, email: &str, password: &str) -> Panel {
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

    async fn get(&self, path: &str) -> (StatusCode, String, String) {
        let answer = self
            .http
            .get(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let kind = answer
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (answer.status(), kind, answer.text().await.unwrap())
    }
}

#[tokio::test]
async fn an_admin_sees_services_tariffs_settings_and_reports_as_the_api_holds_them() {
    // Arrange
    let scene = Scene::new().await;
    let server = &scene.server;
    let browser = scene.browser().await;

    // Act: every page, the services list filtered, one tariff's page.
    let nav = browser.text("nav").await;
    let services = scene
        .page(&browser, "/dashboard/services", "Services")
        .await;
    browser
        .go(&format!(
            "{}/dashboard/services?item_type=vds&sort=paid_until",
            server.url
        ))
        .await;
    browser.title_once("Services").await;
    let vds_only = browser.text("#services").await;
    let vds_count = browser.text("#count").await;
    let tariffs = scene.page(&browser, "/dashboard/tariffs", "Tariffs").await;
    browser.click("#tariffs-table a").await;
    let tariff = browser.text("#prices-table").await;
    let tariff_title = browser.title_once("VDS Large").await;
    browser.screenshot_in(SCREENSHOTS, "tariff").await;
    let promos = scene
        .page(&browser, "/dashboard/promo-codes", "Promo codes")
        .await;
    let currencies = scene
        .page(&browser, "/dashboard/currencies", "Currencies")
        .await;
    let companies = scene
        .page(&browser, "/dashboard/companies", "Companies")
        .await;
    let staff = scene.page(&browser, "/dashboard/staff", "Staff").await;
    let notifications = scene
        .page(&browser, "/dashboard/notifications", "Notifications")
        .await;
    let reports = scene.page(&browser, "/dashboard/reports", "Reports").await;
    let income_totals = browser.text("#revenue-totals").await;
    let debtors = browser.text("#debtors-table").await;
    let csv_link = browser.text("#revenue-csv").await;
    browser.quit().await;

    // Assert: the names and amounts are the API's.
    for (_, label) in PAGES {
        assert!(nav.contains(label), "{label} in {nav}");
    }
    let ada_services = read(server, &format!("/v1/clients/{}/services", scene.ada)).await;
    let ada_service = &ada_services["items"][0];
    let bob_services = read(server, &format!("/v1/clients/{}/services", scene.bob)).await;
    let bob_service = &bob_services["items"][0];
    assert!(services.contains("2 of 2"), "{services}");
    for (client, service) in [("Ada Lovelace", ada_service), ("Bob Owing", bob_service)] {
        assert!(services.contains(client), "{client} in {services}");
        assert!(
            services.contains(service["tariff_name"].as_str().unwrap()),
            "{service} in {services}"
        );
        let price = shown(
            dec(&service["price_per_period"]),
            service["currency"].as_str().unwrap(),
        );
        assert!(services.contains(&price), "{price} in {services}");
        let paid_until = service["paid_until"].as_str().unwrap();
        assert!(services.contains(paid_until), "{paid_until} in {services}");
        assert!(
            services.contains(service["status"].as_str().unwrap()),
            "{services}"
        );
    }
    assert!(services.contains("1,250.00 EUR"), "{services}");
    assert!(!services.contains(&scene.vds), "no tariff id: {services}");
    assert_eq!(vds_count.trim(), "1 of 1", "{vds_only}");
    assert!(
        vds_only.contains("Ada Lovelace") && !vds_only.contains("Bob Owing"),
        "{vds_only}"
    );

    let catalog = read(server, "/v1/tariffs").await;
    for tariff in catalog["items"].as_array().unwrap() {
        assert!(
            tariffs.contains(tariff["name"].as_str().unwrap()),
            "{tariffs}"
        );
    }
    // Periods are in words.
    assert!(tariffs.contains("1,250.00 EUR / 1 month"), "{tariffs}");
    assert!(tariffs.contains("13,500.00 EUR / 1 year"), "{tariffs}");
    let vds = read(server, &format!("/v1/tariffs/{}", scene.vds)).await;
    assert!(tariff_title.starts_with("VDS Large"), "{tariff_title}");
    for price in vds["prices"].as_array().unwrap() {
        let amount = shown(
            dec(&price["price"]["amount"]),
            price["price"]["currency"].as_str().unwrap(),
        );
        assert!(tariff.contains(&amount), "{amount} in {tariff}");
        let period = api::http::i18n::Lang::En.period(price["period"].as_str().unwrap());
        assert!(tariff.contains(&period), "{period} in {tariff}");
    }

    let codes = read(server, "/v1/promo-codes").await;
    let code = &codes["items"][0];
    assert_eq!(code["code"], "SPRING10");
    assert!(promos.contains("SPRING10"), "{promos}");
    assert!(promos.contains("10%"), "{promos}");
    assert!(
        promos.contains(&format!("{} of 100", code["uses"])),
        "{promos}"
    );
    assert!(promos.contains("2026-01-01 through 2030-12-31"), "{promos}");

    let rates = read(server, "/v1/currencies/EUR/rates").await;
    assert_eq!(rates["rates"][0]["rate"], "1.0825", "{rates}");
    assert!(currencies.contains("1 EUR USD 1.0825"), "{currencies}");

    let company_list = read(server, "/v1/companies").await;
    let company = &company_list["items"][0];
    assert!(
        companies.contains(company["name"].as_str().unwrap()),
        "{companies}"
    );
    assert_eq!(company["tax_rules"][0]["rate"], "21", "{company}");
    assert!(companies.contains("21%"), "{companies}");
    assert!(
        companies.contains("Test Hosting"),
        "provider's name: {companies}"
    );

    let members = read(server, "/v1/staff").await;
    let reader = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "reader@example.com")
        .unwrap();
    assert!(staff.contains(reader["name"].as_str().unwrap()), "{staff}");
    assert!(staff.contains("Front desk"), "department's name: {staff}");
    assert!(staff.contains("clients:read"), "{staff}");

    let notices = read(server, "/v1/notifications").await;
    for notice in notices["items"].as_array().unwrap() {
        assert!(
            notifications.contains(notice["kind"].as_str().unwrap()),
            "{notice} in {notifications}"
        );
    }

    let revenue = read(server, "/v1/reports/revenue").await;
    let mut income = Decimal::ZERO;
    for row in revenue["items"].as_array().unwrap() {
        assert_eq!(row["currency"], "EUR");
        income += dec(&row["revenue"]);
    }
    assert!(income > Decimal::ZERO, "{revenue}");
    assert!(
        income_totals.contains(&shown(income, "EUR")),
        "{} in {income_totals}",
        shown(income, "EUR")
    );
    let owing = read(server, "/v1/reports/debtors").await;
    let debtor = &owing["items"][0];
    assert_eq!(debtor["client_id"], scene.bob.as_str(), "{owing}");
    assert!(debtors.contains("Bob Owing"), "{debtors}");
    assert!(
        debtors.contains(&shown(dec(&debtor["owed"]), "EUR")),
        "{debtors}"
    );
    assert!(reports.contains("Income by item type"), "{reports}");
    assert!(reports.contains("VDS Large"), "tariff names: {reports}");
    assert_eq!(csv_link, "CSV");
}

#[tokio::test]
async fn a_reports_csv_link_works_with_the_session_and_staff_without_permission_get_403_and_no_link()
 {
    // Arrange
    let scene = Scene::new().await;
    let server = &scene.server;
    let admin = Panel::sign_in(server, "admin", ADMIN_TOKEN).await;
    let reader = Panel::sign_in(server, "reader@example.com", "correct horse battery").await;
    server.settled().await;

    // Act
    // This month, which holds the scene's charges.
    let today = chrono::Utc::now().date_naive();
    let from = today.with_day(1).unwrap();
    let to = from.checked_add_months(chrono::Months::new(1)).unwrap();
    let range = format!("from={from}&to={to}&group=month");
    let (_, _, report_page) = admin.get(&format!("/dashboard/reports?{range}")).await;
    let link = report_page
        .split("id=\"revenue-csv\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let (csv_status, csv_type, csv) = admin.get(&link).await;
    let api_csv = server
        .http
        .get(format!(
            "{}/v1/reports/revenue?{range}&format=csv",
            server.url
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (debtors_status, _, debtors_csv) = admin.get("/dashboard/reports/debtors/csv").await;
    let mut refused = Vec::new();
    for (path, _) in PAGES {
        let (status, _, _) = reader.get(path).await;
        refused.push((path, status));
    }
    let (tariff_status, _, _) = reader
        .get(&format!("/dashboard/tariffs/{}", scene.vds))
        .await;
    let (reader_csv, _, _) = reader.get("/dashboard/reports/revenue/csv").await;
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/dashboard/reports/revenue/csv", server.url))
        .send()
        .await
        .unwrap()
        .status();
    let (overview_status, _, overview) = reader.get("/dashboard").await;

    // Assert: the download is the API's CSV, for the session's staff member only.
    assert_eq!(csv_status, StatusCode::OK, "{csv}");
    assert!(link.contains(&range), "{link}");
    assert!(csv_type.starts_with("text/csv"), "{csv_type}");
    assert_eq!(csv, api_csv);
    assert!(csv.lines().count() > 1, "{csv}");
    assert_eq!(debtors_status, StatusCode::OK);
    assert!(debtors_csv.contains(&scene.bob), "{debtors_csv}");
    for (path, status) in refused {
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(tariff_status, StatusCode::FORBIDDEN);
    assert_eq!(reader_csv, StatusCode::FORBIDDEN);
    assert_eq!(anonymous, StatusCode::SEE_OTHER);
    assert_eq!(overview_status, StatusCode::OK);
    for (path, _) in PAGES {
        assert!(!overview.contains(&format!("href=\"{path}\"")), "{path}");
    }
    assert!(
        overview.contains("href=\"/dashboard/clients\""),
        "{overview}"
    );
}

/// The ids of the services rows of a services page, in its order.
fn service_rows(html: &str) -> Vec<String> {
    html.split("<tr id=\"service-")
        .skip(1)
        .map(|row| row.split('"').next().unwrap().to_owned())
        .collect()
}

/// The query of the `id` link of a page (`next` or `previous`).
fn link(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\" href=\""))?;
    let href = html[start..].split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&#38;", "&").replace("&amp;", "&"))
}

#[tokio::test]
async fn the_services_and_tariffs_lists_page_by_keyset_with_a_count_filters_and_sorts_and_a_bad_report_range_is_a_400()
 {
    // Arrange: 101 services on two tariffs besides the scene's two, 102 of them VDS.
    let scene = Scene::new().await;
    let server = &scene.server;
    for _ in 0..101 {
        created(
            server,
            &format!("/v1/clients/{}/services", scene.ada),
            json!({"tariff_id": scene.vds, "period": "P1M"}),
        )
        .await;
    }
    let provider = &scene.provider;
    for n in 0..100 {
        created(
            server,
            "/v1/tariffs",
            json!({"provider_id": provider, "name": format!("Extra {n:03}"), "item_type": "other",
                   "prices": [{"period": "P1M", "price": {"amount": "1.00", "currency": "EUR"}}]}),
        )
        .await;
    }
    let admin = Panel::sign_in(server, "admin", ADMIN_TOKEN).await;
    server.settled().await;

    // Act: the first page, the next, back, a filter and a sort.
    let (_, _, first) = admin.get("/dashboard/services").await;
    let next = link(&first, "next").unwrap_or_else(|| panic!("{first}"));
    let (_, _, second) = admin.get(&next).await;
    let previous = link(&second, "previous").unwrap_or_else(|| panic!("{next} {second}"));
    let (_, _, back) = admin.get(&previous).await;
    let (_, _, ordered) = admin
        .get("/dashboard/services?status=ordered&item_type=vds")
        .await;
    let (_, _, by_tariff) = admin.get("/dashboard/services?sort=tariff").await;
    let (bad_status, _, bad) = admin.get("/dashboard/reports?from=2026-12-05").await;
    let (_, _, tariffs) = admin.get("/dashboard/tariffs").await;
    let tariffs_next = link(&tariffs, "tariffs-next").unwrap_or_else(|| panic!("{tariffs}"));
    let (_, _, more_tariffs) = admin.get(&tariffs_next).await;

    // Assert: every service once, in the API's count; the filter's count is the API's.
    let mut ids = service_rows(&first);
    assert_eq!(ids.len(), 100);
    assert!(first.contains("100 of 103"), "{first}");
    let rest = service_rows(&second);
    assert_eq!(rest.len(), 3, "{second}");
    assert!(second.contains("3 of 103"), "{second}");
    assert!(link(&second, "next").is_none());
    ids.extend(rest);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 103);
    assert_eq!(service_rows(&back), service_rows(&first));
    let ada = read(
        server,
        &format!(
            "/v1/clients/{}/services?status=ordered&limit=500",
            scene.ada
        ),
    )
    .await;
    let waiting = ada["items"].as_array().unwrap().len();
    assert_eq!(waiting, 101);
    assert!(ordered.contains(&format!("100 of {waiting}")), "{ordered}");
    assert!(!ordered.contains("Bob Owing"), "{ordered}");
    // By tariff: Mail Basic (Bob's) before every VDS Large.
    let rows = service_rows(&by_tariff);
    let bob = read(server, &format!("/v1/clients/{}/services", scene.bob)).await;
    assert_eq!(rows[0], bob["items"][0]["id"].as_str().unwrap());
    let names = |html: &str| {
        html.split("<a href=\"/dashboard/tariffs/")
            .skip(1)
            .map(|a| {
                a.split('>')
                    .nth(1)
                    .unwrap()
                    .split('<')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    let (mut shown, rest) = (names(&tariffs), names(&more_tariffs));
    assert_eq!((shown.len(), rest.len()), (100, 2), "{more_tariffs}");
    assert!(link(&more_tariffs, "tariffs-next").is_none());
    shown.extend(rest);
    shown.sort();
    shown.dedup();
    assert_eq!(shown.len(), 102, "every tariff once: {shown:?}");
    assert_eq!(bad_status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("not the first day of a month"), "{bad}");
    assert!(bad.contains("id=\"debtors\""), "the other reports: {bad}");
}

/// The HTML of the section `id` of a tables page.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap()]
}

#[tokio::test]
async fn the_reports_page_filters_by_provider_currency_method_basis_as_of_and_status_as_the_api() {
    // Arrange: a second provider whose client paid 70.00 EUR.
    let scene = Scene::new().await;
    let server = &scene.server;
    let other = created(
        server,
        "/v1/providers",
        json!({"name": "Other Hosting", "currency": "EUR"}),
    )
    .await;
    let carol = server.client(&other, "Carol Other").await;
    created(
        server,
        &format!("/v1/clients/{carol}/payments"),
        json!({"payment_id": uuid::Uuid::now_v7(), "amount": "70.00", "currency": "EUR",
               "method": "bank_transfer"}),
    )
    .await;
    let admin = Panel::sign_in(server, "admin", ADMIN_TOKEN).await;
    server.settled().await;

    // Act
    let (by_provider_status, _, by_provider) = admin
        .get(&format!("/dashboard/reports?provider_id={other}"))
        .await;
    let (_, _, by_method) = admin.get("/dashboard/reports?method=card").await;
    let (_, _, recognised) = admin.get("/dashboard/reports?basis=recognised").await;
    let (_, _, as_of) = admin.get("/dashboard/reports?as_of=2026-01-01").await;
    let (_, _, active) = admin.get("/dashboard/reports?status=active").await;
    let (_, _, suspended) = admin.get("/dashboard/reports?status=suspended").await;
    let (_, _, in_usd) = admin.get("/dashboard/reports?currency=USD").await;
    let (bad_status, _, bad) = admin.get("/dashboard/reports?currency=EURO").await;
    let (csv_status, _, csv) = admin
        .get(&format!(
            "/dashboard/reports/payments/csv?provider_id={other}"
        ))
        .await;

    // Assert: the provider's payments only, as the API reports them, and the form keeps it.
    assert_eq!(by_provider_status, StatusCode::OK, "{by_provider}");
    let api = read(server, &format!("/v1/reports/payments?provider_id={other}")).await;
    let rows = api["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 1, "{api}");
    let payments = section(&by_provider, "payments");
    assert!(
        payments.contains(&shown(dec(&rows[0]["net_amount"]), "EUR")),
        "{payments}"
    );
    assert!(!payments.contains("1,500.00 EUR"), "{payments}");
    assert!(
        by_provider.contains(&format!("<option value=\"{other}\" selected>Other Hosting")),
        "{by_provider}"
    );
    assert!(
        by_provider.contains(&format!("provider_id={other}")),
        "the CSV links keep it"
    );
    assert_eq!(csv_status, StatusCode::OK);
    assert_eq!(
        csv.lines().count(),
        2,
        "a header and Carol's payment: {csv}"
    );
    assert!(csv.contains(&other));
    // No card payments; the recognised basis; deferred revenue as of a day; services by status.
    assert!(section(&by_method, "payments").contains("Nothing yet."));
    assert!(by_method.contains("id=\"method\" name=\"method\" value=\"card\""));
    let revenue = read(server, "/v1/reports/revenue?basis=recognised").await;
    let income: Decimal = revenue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| dec(&r["revenue"]))
        .sum();
    assert!(recognised.contains("recognised basis"), "{recognised}");
    assert!(recognised.contains("<option value=\"recognised\" selected>"));
    if income > Decimal::ZERO {
        assert!(section(&recognised, "revenue").contains(&shown(income, "EUR")));
    }
    assert!(
        as_of.contains("Deferred revenue at the end of 2026-01-01"),
        "{as_of}"
    );
    assert!(as_of.contains("value=\"2026-01-01\""));
    assert!(section(&active, "services").contains("VDS Large"));
    assert!(section(&suspended, "services").contains("Nothing yet."));
    assert!(suspended.contains("<option value=\"suspended\" selected>"));
    assert!(section(&in_usd, "debtors").contains("Nothing yet."));
    assert!(section(&in_usd, "payments").contains("Nothing yet."));
    // A currency that is no ISO code is the API's 400, shown above what could be read.
    assert_eq!(bad_status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(bad.contains("id=\"page-error\""), "{bad}");
    assert!(bad.contains("ISO 4217"), "{bad}");
    assert!(section(&bad, "services").contains("VDS Large"));

    // In the browser: choose the provider and a method in the form, show, and see the same.
    let browser = scene.browser().await;
    scene.page(&browser, "/dashboard/reports", "Reports").await;
    browser
        .click(&format!("#provider option[value=\"{other}\"]"))
        .await;
    browser.type_into("#method", "bank_transfer").await;
    browser.click("#status option[value=\"active\"]").await;
    browser.click("#show").await;
    let address = browser.address_with("method=bank_transfer").await;
    assert!(
        address.contains(&format!("provider_id={other}")),
        "{address}"
    );
    browser.title_once("Reports").await;
    let payments = browser.text("#payments").await;
    assert!(payments.contains("70.00 EUR"), "{payments}");
    assert!(!payments.contains("1,500.00 EUR"), "{payments}");
    browser
        .screenshot_in(SCREENSHOTS, "reports-filtered-by-provider")
        .await;
    browser.quit().await;
}
