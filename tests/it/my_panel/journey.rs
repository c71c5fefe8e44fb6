//! A new client's whole first visit to the customer panel in real headless Chromium, in English
//! and again in Russian: sign in, top up by bank transfer (the proforma downloaded, staff confirm
//! it, the balance shows it), order a VDS with an add-on and a promo code at the price quoted,
//! change its tariff at the prorated price quoted, open a ticket with a file and read the staff
//! answer. Every figure shown is checked against the API's read models. Screenshots go to
//! `target/screenshots/my/journey-{en,ru}-*.png`.

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::TestServer;

use super::{PASSWORD, user};
use crate::browser::Browser;

const SCREENSHOTS: &str = "screenshots/my";

/// A tiny PNG: the signature and an empty IHDR is enough for the type check.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR";

/// A provider selling in EUR through a Dutch company that takes bank transfers: "VDS Small"
/// (10.00 a month, 5.00 set-up, a 2.00 backup add-on), "VDS Large" (20.00 a month), and the promo
/// code SPRING (10% off).
struct Shop {
    server: TestServer,
    provider: String,
    small: String,
    large: String,
}

fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

impl Shop {
    async fn new() -> Shop {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
        let method = server
            .call(
                Method::PUT,
                &format!("/v1/companies/{company}/payment-methods/bank_transfer"),
                Some(
                    json!({"kind": "bank_transfer", "display_name": "Bank transfer",
                            "enabled": true}),
                ),
            )
            .await;
        assert_eq!(method.status, StatusCode::OK, "{method:?}");
        let mut tariffs = Vec::new();
        for body in [
            json!({"provider_id": provider, "name": "VDS Small", "item_type": "vds",
                   "prices": [{"period": "P1M", "price": eur("10.00")}],
                   "setup_fees": [eur("5.00")],
                   "addons": [{"code": "backup", "name": "Daily backup", "kind": "toggle",
                               "prices": [{"period": "P1M", "price": eur("2.00")}]}]}),
            json!({"provider_id": provider, "name": "VDS Large", "item_type": "vds",
                   "prices": [{"period": "P1M", "price": eur("20.00")}]}),
        ] {
            let created = server.post("/v1/tariffs", body).await;
            assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
            tariffs.push(created.body["id"].as_str().unwrap().to_owned());
        }
        let promo = server
            .post(
                "/v1/promo-codes",
                json!({"provider_id": provider, "code": "SPRING",
                       "discount": {"kind": "percent", "percent": "10"}}),
            )
            .await;
        assert_eq!(promo.status, StatusCode::CREATED, "{promo:?}");
        server.settled().await;
        Shop {
            server,
            provider,
            small: tariffs[0].clone(),
            large: tariffs[1].clone(),
        }
    }
}

/// An amount as a page shows it in either language (`1,234.50 EUR`, `1 234,50 EUR`).
fn amount(shown: &str) -> Decimal {
    let digits: String = shown
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == ',' || *c == '.' || *c == '-')
        .collect();
    // A comma is the decimal separator in Russian, a thousands separator in English.
    let normal = if digits.contains('.') {
        digits.replace(',', "")
    } else {
        digits.replace(',', ".")
    };
    normal.parse().unwrap_or_else(|e| panic!("{shown:?}: {e}"))
}

fn api_amount(value: &Value) -> Decimal {
    value.as_str().unwrap().parse::<Decimal>().unwrap().abs()
}

/// Waits until an element `css` is on the page the browser is showing or loading (after a click
/// that submits a form), without navigating: a navigation of ours racing the form's could leave
/// the browser waiting for a load that never ends. Panics after about 30 s.
async fn wait_for(browser: &Browser, css: &str) {
    for _ in 0..300 {
        if browser.count(css).await > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never showed: {}", browser.text("body").await);
}

/// Waits until an element `css` is on the page, reloading it meanwhile (a read model or a
/// process manager may be a moment behind); panics after about 30 s.
async fn reload_until(browser: &Browser, url: &str, css: &str) {
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

/// The journey of one new client in `language` (`en` or `ru`).
async fn journey(shop: &Shop, language: &str, name: &str) {
    let server = &shop.server;
    let shot = |step: &str| format!("journey-{language}-{step}");
    let client = server.client(&shop.provider, name).await;
    let email = user(server, &client, &["owner"]).await;
    let browser = Browser::start().await;
    browser.go(&format!("{}/my/login", server.url)).await;
    browser.type_into("#email", &email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    wait_for(&browser, "#sign-out").await;
    if language == "ru" {
        browser
            .click(&format!("#language option[value=\"{language}\"]"))
            .await;
        browser.click("#set-language").await;
        wait_for(&browser, "html[lang=\"ru\"] #sign-out").await;
        let nav = browser.text("nav").await;
        assert!(nav.contains("Поддержка"), "{nav}");
    }
    assert_eq!(browser.attribute("html", "lang").await, language);

    // Top up 50.00 by bank transfer: the proforma is there to download.
    browser.go(&format!("{}/my/payments", server.url)).await;
    browser
        .click("#method option[value$=\"/bank_transfer\"]")
        .await;
    browser.type_into("#amount", "50.00").await;
    browser.screenshot_in(SCREENSHOTS, &shot("top-up")).await;
    browser.click("#pay").await;
    let address = browser.address_with("/my/payments/0").await;
    let payment = id_after(&address, "/my/payments/");
    reload_until(&browser, &address, "#proforma-pdf").await;
    browser.screenshot_in(SCREENSHOTS, &shot("proforma")).await;
    let pdf_link = browser.attribute("#proforma-pdf", "href").await;
    let session = browser.cookie(super::SESSION_COOKIE).await;
    let pdf_url = if pdf_link.starts_with("http") {
        pdf_link
    } else {
        format!("{}{pdf_link}", server.url)
    };
    let pdf = reqwest::Client::new()
        .get(pdf_url)
        .header("cookie", format!("{}={session}", super::SESSION_COOKIE))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    let pdf = pdf.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = crate::documents::pdf_text(&pdf);
    assert!(text.contains(name), "the proforma names {name}: {text}");

    // Staff see the money arrive and confirm it; the client's balance shows it.
    let confirmed = server
        .post(&format!("/v1/payments/{payment}/confirm"), json!({}))
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:?}");
    server.settled().await;
    browser.go(&format!("{}/my", server.url)).await;
    let balance = browser.text(".card.account .balance").await;
    assert_eq!(amount(&balance), Decimal::new(5000, 2), "{balance}");
    if language == "ru" {
        assert!(balance.contains("50,00"), "{balance}");
    }
    browser.screenshot_in(SCREENSHOTS, &shot("balance")).await;

    // Order VDS Small with the backup and SPRING: the charge is the price quoted.
    browser.go(&format!("{}/my/order", server.url)).await;
    let small = format!("form[data-tariff=\"{}\"]", shop.small);
    browser
        .click(&format!("{small} input[name=\"addon.backup\"]"))
        .await;
    browser
        .type_into(&format!("{small} input[name=\"promo_code\"]"), "spring")
        .await;
    browser.click(&format!("{small} button")).await;
    wait_for(&browser, "#confirm").await;
    let quoted = amount(&browser.text("#charge").await);
    browser
        .screenshot_in(SCREENSHOTS, &shot("order-quote"))
        .await;
    browser.click("#confirm button").await;
    let service_page = browser.address_with("/my/services/0").await;
    let service = id_after(&service_page, "/my/services/");
    browser.screenshot_in(SCREENSHOTS, &shot("service")).await;
    let expenses = crate::panel::read(server, &format!("/v1/clients/{client}/expenses")).await;
    let charged = api_amount(&expenses["items"][0]["amount"]);
    assert_eq!(charged, quoted, "{expenses}");
    // 12.00 a month less 10 %, and the 5.00 set-up fee.
    assert_eq!(quoted, Decimal::new(1580, 2));
    let balance = crate::panel::read(server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(
        api_amount(&balance["accounts"][0]["balance"]),
        Decimal::new(5000, 2) - quoted
    );

    // Change to VDS Large: the credit and the charge recorded are those the quote showed.
    browser.go(&service_page).await;
    browser
        .click(&format!(
            "#change select[name=\"tariff_id\"] option[value=\"{}\"]",
            shop.large
        ))
        .await;
    browser.click("#change button").await;
    wait_for(&browser, "#confirm").await;
    let charge_shown = browser.text("#charge").await;
    if language == "ru" {
        // The quote reads in Russian, its amounts with a decimal comma.
        assert_eq!(browser.text("h1").await, "Сменить тариф");
        assert!(charge_shown.contains(",00"), "{charge_shown}");
    }
    let credit = amount(&browser.text("#credit").await);
    let charge = amount(&charge_shown);
    browser
        .screenshot_in(SCREENSHOTS, &shot("change-quote"))
        .await;
    browser.click("#confirm button").await;
    browser
        .address_with(&format!("/my/services/{service}"))
        .await;
    let expenses = crate::panel::read(server, &format!("/v1/clients/{client}/expenses")).await;
    let items = expenses["items"].as_array().unwrap();
    // The change's two lines are the last of their kinds (the order's charge came first).
    let of_kind = |kind: &str| {
        items
            .iter()
            .rfind(|e| e["kind"] == kind)
            .map(|e| api_amount(&e["amount"]))
    };
    assert_eq!(of_kind("credit"), Some(credit), "{expenses}");
    assert_eq!(of_kind("charge"), Some(charge), "{expenses}");

    // A ticket with a screenshot; staff answer; the client reads the answer.
    let file =
        std::env::temp_dir().join(format!("journey-{language}-{}.png", uuid::Uuid::now_v7()));
    std::fs::write(&file, PNG).unwrap();
    browser.go(&format!("{}/my/tickets", server.url)).await;
    browser.type_into("#subject", "Server does not boot").await;
    browser.type_into("#body", "Since the kernel update.").await;
    browser.type_into("#files", file.to_str().unwrap()).await;
    browser.click("#send-ticket").await;
    let ticket_page = browser.address_with("/my/tickets/0").await;
    let ticket = id_after(&ticket_page, "/my/tickets/");
    let view = crate::panel::read(server, &format!("/v1/tickets/{ticket}")).await;
    assert_eq!(
        view["messages"][0]["attachments"][0]["size_bytes"],
        PNG.len()
    );
    let answered = server
        .post(
            &format!("/v1/tickets/{ticket}/messages"),
            json!({"body": "Boot the rescue image, please."}),
        )
        .await;
    assert_eq!(answered.status, StatusCode::CREATED, "{answered:?}");
    server.settled().await;
    browser.go(&format!("{}/my", server.url)).await;
    assert!(
        browser
            .text("#answered")
            .await
            .contains("Server does not boot")
    );
    browser
        .go(&format!("{}/my/tickets/{ticket}", server.url))
        .await;
    let thread = browser.text("#thread").await;
    assert!(
        thread.contains("Boot the rescue image, please."),
        "{thread}"
    );
    browser.screenshot_in(SCREENSHOTS, &shot("ticket")).await;
    let _ = std::fs::remove_file(&file);
    browser.quit().await;
}

/// The id after `prefix` in a panel address such as `…/my/services/{id}?at=9`.
fn id_after(address: &str, prefix: &str) -> String {
    address
        .split(prefix)
        .nth(1)
        .unwrap()
        .split(['?', '/'])
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_tops_up_orders_changes_tariff_and_asks_support_in_the_browser_in_english_and_in_russian()
 {
    let shop = Shop::new().await;
    journey(&shop, "en", "Ada Lovelace").await;
    journey(&shop, "ru", "Борис Иванов — Łódź").await;
}
