//! A tariff's price change on its staff page (issue 19.2, helper "i19b"), in headless Chromium:
//! the form announces a change through `POST /v1/tariffs/{id}/price-changes`' own code, the
//! page lists it, a refused change shows its reason in the form and writes nothing, and a staff
//! member who may only read tariffs sees no form and cannot post one.

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::json;
use tests::{ADMIN_TOKEN, TestServer};

use crate::browser::Browser;
use crate::panel::Panel;

/// A tariff of `provider` with a monthly price of 10.00 EUR and a yearly one of 100.00 EUR.
async fn tariff(server: &TestServer, provider: &str) -> String {
    let answer = server
        .post(
            "/v1/tariffs",
            json!({ "provider_id": provider, "name": "VDS Price", "item_type": "vds",
                    "prices": [
                        {"period": "P1M", "price": {"amount": "10.00", "currency": "EUR"}},
                        {"period": "P12M", "price": {"amount": "100.00", "currency": "EUR"}}] }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    answer.body["id"].as_str().unwrap().to_owned()
}

/// Fills the price-change form and sends it.
async fn announce(browser: &Browser, period: &str, amount: &str, effective_on: &str) {
    browser
        .click(&format!("#change-period option[value=\"{period}\"]"))
        .await;
    browser.type_into("#change-amount", amount).await;
    browser
        .type_into("#change-effective-on", effective_on)
        .await;
    browser.click("#announce-price-change").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_announce_a_price_change_on_the_tariff_page_and_see_refusals_in_the_form() {
    // Arrange: today is 2027-01-15 by the server's clock; the admin signed in.
    let (server, clock) = TestServer::start_fixed().await;
    clock.set(Utc.with_ymd_and_hms(2027, 1, 15, 9, 0, 0).unwrap());
    let provider = server.provider("EUR").await;
    let tariff = tariff(&server, &provider).await;
    server.settled().await;
    let page = format!("{}/dashboard/tariffs/{tariff}", server.url);
    let browser = Browser::start().await;
    browser.go(&format!("{}/dashboard/login", server.url)).await;
    browser.type_into("#email", "admin").await;
    browser.type_into("#password", ADMIN_TOKEN).await;
    browser.click("#sign-in").await;
    browser.title_once("Overview").await;
    let events = server.event_count().await;

    // Act: an amount with too many decimals, then a day less than 30 days ahead.
    browser.go(&page).await;
    let periods_offered = browser.text("#change-period").await;
    announce(&browser, "P12M", "120.005", "2027-03-01").await;
    let too_precise = browser.text("#price-change-error").await;
    browser.go(&page).await;
    announce(&browser, "P1M", "12.00", "2027-02-01").await;
    let too_soon = browser.text("#price-change-error").await;
    let written_by_refusals = server.event_count().await - events;
    // A good one: the yearly price becomes 120.00 EUR from 2027-03-01.
    browser.go(&page).await;
    announce(&browser, "P12M", "120.00", "2027-03-01").await;
    let address = browser.address_with("done=price-change").await;
    let saved = browser.text("#saved").await;
    let listed = browser.text("#price-changes-table").await;
    let prices = browser.text("#prices-table").await;
    let shot = browser.screenshot("tariff-price-change").await;
    browser.quit().await;

    // Assert: the periods are offered in words; each refusal names its reason and wrote nothing.
    assert!(periods_offered.contains("1 month"), "{periods_offered}");
    assert!(periods_offered.contains("1 year"), "{periods_offered}");
    assert!(too_precise.contains("120.005"), "{too_precise}");
    assert!(
        too_soon.contains("at least 30 days") && too_soon.contains("2027-02-14"),
        "{too_soon}"
    );
    assert_eq!(written_by_refusals, 0);
    // The announcement is listed with the old and new price and its days, and is the price of
    // new orders at once, as the API says too.
    assert!(address.contains("done=price-change"), "{address}");
    assert_eq!(saved, "The price change is announced.");
    assert!(
        listed.contains("1 year 100.00 EUR 120.00 EUR 2027-03-01 2027-01-15"),
        "{listed}"
    );
    assert!(prices.contains("1 year EUR 120.00 EUR"), "{prices}");
    assert!(prices.contains("1 month EUR 10.00 EUR"), "{prices}");
    let api = server.get(&format!("/v1/tariffs/{tariff}")).await;
    let yearly = api.body["prices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == "P12M")
        .cloned()
        .unwrap();
    assert_eq!(yearly["price"]["amount"], "120.00", "{api:?}");
    assert!(std::fs::metadata(shot).unwrap().len() > 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_who_may_only_read_tariffs_sees_no_price_change_form() {
    // Arrange: a department that may read tariffs, and one of its staff.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let tariff = tariff(&server, &provider).await;
    let department = server
        .post(
            "/v1/departments",
            json!({"name": "Catalog readers", "permissions": ["tariffs:read"]}),
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
    server.settled().await;
    let reader = Panel::sign_in(&server, "reader@example.com", "correct horse battery").await;
    let admin = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    let events = server.event_count().await;

    // Act
    let (status, page) = reader.get(&format!("/dashboard/tariffs/{tariff}")).await;
    let (_, admins_page) = admin.get(&format!("/dashboard/tariffs/{tariff}")).await;
    let forged = reader
        .post(
            &format!("/dashboard/tariffs/{tariff}/price-changes"),
            &[
                (
                    "csrf",
                    &crate::panel::hidden(&admins_page, "id=\"price-change\"", "csrf"),
                ),
                ("key", &uuid::Uuid::now_v7().to_string()),
                ("period", "P1M"),
                ("currency", "EUR"),
                ("amount", "12.00"),
                ("effective_on", "2099-01-01"),
            ],
        )
        .await;

    let russian = reqwest::Client::new()
        .get(format!("{}/dashboard/tariffs/{tariff}", server.url))
        .header("cookie", format!("{}; billing_lang=ru", reader.cookie))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Assert: the reader sees the prices, no form, and cannot post one.
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"price-changes\""), "{page}");
    assert!(!page.contains("id=\"price-change\""), "{page}");
    assert!(admins_page.contains("id=\"price-change\""), "{admins_page}");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // In Russian the periods are Russian words and the list has its Russian title.
    assert!(
        russian.contains("1 месяц") && russian.contains("1 год"),
        "{russian}"
    );
    assert!(russian.contains("Изменения цены"), "{russian}");
    assert_eq!(server.event_count().await, events);
}
