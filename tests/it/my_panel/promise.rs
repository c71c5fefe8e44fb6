//! The promised payment on the client's first page (issue 19.2, helper "i19b"), in headless
//! Chromium: a client in debt is offered the button with its terms, promises, sees the promise
//! and its end; pressed again within 30 days the page shows the API's reason and nothing is
//! written.

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::json;
use tests::TestServer;
use uuid::Uuid;

use super::{PASSWORD, user};
use crate::browser::Browser;

/// Signs in at `/my/login` and waits for the first page.
async fn sign_in(browser: &Browser, server: &TestServer, email: &str) {
    browser.go(&format!("{}/my/login", server.url)).await;
    browser.type_into("#email", email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.find("#sign-out").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_in_debt_promises_to_pay_sees_the_end_date_and_a_second_promise_is_refused() {
    // Arrange: on 2027-01-15 a client owes 20.00 EUR (a fee the staff charged) and its owner
    // signs in to /my.
    let (server, clock) = TestServer::start_fixed().await;
    clock.set(Utc.with_ymd_and_hms(2027, 1, 15, 9, 0, 0).unwrap());
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Owes Money").await;
    let fee = server
        .post(
            &format!("/v1/clients/{client}/adjustments"),
            json!({ "adjustment_id": Uuid::now_v7(), "amount": "-20.00", "currency": "EUR",
                    "reason": "domain transfer fee" }),
        )
        .await;
    assert!(fee.status.is_success(), "{fee:?}");
    let email = user(&server, &client, &["owner"]).await;
    let browser = Browser::start().await;
    sign_in(&browser, &server, &email).await;
    let home = format!("{}/my", server.url);

    // Act: the button with its terms; press it.
    browser.go(&home).await;
    let balance = browser.text(".card.account .balance").await;
    let terms = browser.text("#promise-terms").await;
    browser.click("#promise-to-pay").await;
    let holding = browser.text("#promise-holding").await;
    let buttons_while_holding = browser.count("#promise-to-pay").await;
    // Ten days on the promise has ended and the client still owes: the button is back, and
    // pressing it is refused.
    clock.set(Utc.with_ymd_and_hms(2027, 1, 25, 9, 0, 0).unwrap());
    // (The session of ten days ago has expired.)
    sign_in(&browser, &server, &email).await;
    browser.go(&home).await;
    let events = server.event_count().await;
    browser.click("#promise-to-pay").await;
    let refused = browser.text("#promise-refused").await;
    let written_by_refusal = server.event_count().await - events;
    browser.screenshot("my-promise-refused").await;
    browser.quit().await;

    // Assert
    assert_eq!(balance, "-20.00 EUR");
    assert!(
        terms.contains("7 days") && terms.contains("once every 30 days"),
        "{terms}"
    );
    assert!(
        holding.contains("2027-01-15") && holding.contains("until 2027-01-22"),
        "{holding}"
    );
    assert_eq!(buttons_while_holding, 0);
    assert!(
        refused.contains("less than 30 days ago") && refused.contains("2027-02-14"),
        "{refused}"
    );
    assert_eq!(written_by_refusal, 0);
    // The API answers the same refusal: the page said the API's reason.
    let again = server
        .post(
            &format!("/v1/clients/{client}/promised-payments"),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{again:?}");
    assert_eq!(again.body["code"], "promise_too_soon");
    assert!(
        refused.contains(again.body["detail"].as_str().unwrap()),
        "{refused}"
    );
}
