//! The panel's "Send to client" forms: in headless Chromium from the invoice's page (to another
//! address) and from the client's page (to the client's), each e-mail checked at the SMTP sink,
//! on the client's page and in the API's notifications; without a browser, the prefilled
//! address, a double-submitted form sending once, and a staff member who may only read invoices
//! getting no form and a 403.
//!
//! Screenshots of the invoice page and the client's page go to `target/screenshots/panel/`.

use std::sync::Arc;
use std::time::Duration;

use eventstore::clock::SystemClock;
use reqwest::StatusCode;
use serde_json::Value;
use tests::smtp::SmtpSink;
use tests::{ADMIN_TOKEN, TestDb, TestServer};

use super::{invoice, mails, reader_token};
use crate::browser::Browser;
use crate::panel::{Panel, hidden, read};

/// Where the screenshots go, under `target/`.
const SCREENSHOTS: &str = "screenshots/panel";

/// WebDriver's Control key and the key releasing every modifier: typed before a text, they
/// select what a field holds so that the text replaces it.
const REPLACE: &str = "\u{E009}a\u{E000}";

/// A mailing server with a client, `Katherine Johnson`, and an invoice of hers e-mailed at
/// issue: (server, sink, client, invoice).
async fn scene() -> (TestServer, SmtpSink, String, String) {
    let sink = SmtpSink::start().await;
    let server = TestServer::start_mailing(
        TestDb::new().await,
        Arc::new(SystemClock),
        Some(&sink.url()),
    )
    .await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Katherine Johnson").await;
    let invoice = invoice(&server, &client, &company).await;
    assert_eq!(mails(&sink, 1).await.len(), 1, "the e-mail at issue");
    server.settled().await;
    (server, sink, client, invoice)
}

/// The `invoice_issued` notices of `client` the API lists: (address, status), oldest first.
async fn notices(server: &TestServer, client: &str) -> Vec<(String, String)> {
    let listed: Value = server
        .get(&format!("/v1/notifications?client_id={client}"))
        .await
        .body;
    let mut found: Vec<(String, String)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "invoice_issued")
        .map(|n| {
            (
                n["to_address"].as_str().unwrap_or_default().to_owned(),
                n["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.reverse();
    found
}

#[tokio::test]
async fn staff_send_an_invoice_from_its_page_and_from_the_clients_page_in_the_browser() {
    // Arrange
    let (server, sink, client, invoice) = scene().await;
    let browser = Browser::start().await;
    browser.go(&format!("{}/dashboard/login", server.url)).await;
    browser.type_into("#email", "admin").await;
    browser.type_into("#password", ADMIN_TOKEN).await;
    browser.click("#sign-in").await;
    browser.title_once("Overview").await;

    // Act: on the invoice's page, a bad address first, then the accountant's.
    browser
        .go(&format!("{}/dashboard/invoices/{invoice}", server.url))
        .await;
    browser.title_once("Invoice").await;
    browser
        .type_into("#send-to", &format!("{REPLACE}nobody"))
        .await;
    browser.click("#send").await;
    browser.title_once("Invoice").await;
    let refused = browser.text("#form-error").await;
    let document_shown = browser.text("body").await;
    browser.screenshot_in(SCREENSHOTS, "invoice-send").await;
    browser
        .type_into("#send-to", &format!("{REPLACE}books@johnson.example.org"))
        .await;
    browser.click("#send").await;
    let landed = browser.address_with("done=send").await;
    browser.title_once("Katherine Johnson").await;
    let note = browser.text("#done").await;
    let to_accountant = mails(&sink, 2).await;
    // Then with the button of its row on the client's page.
    browser
        .click(&format!("button.send-invoice[data-invoice=\"{invoice}\"]"))
        .await;
    browser.address_with("done=send").await;
    browser.title_once("Katherine Johnson").await;
    let to_client = mails(&sink, 3).await;
    // The client's page again once the notifier has recorded both.
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser
        .go(&format!("{}/dashboard/clients/{client}", server.url))
        .await;
    browser.title_once("Katherine Johnson").await;
    let listed = browser.text("#invoice-mails + p + table").await;
    browser
        .screenshot_in(SCREENSHOTS, "client-invoice-mails")
        .await;
    browser.quit().await;

    // Assert: the refusal was the API's problem, on the page with the document.
    assert!(refused.contains("invalid_recipient"), "{refused}");
    assert!(refused.contains("nobody"), "{refused}");
    assert!(document_shown.contains("Consulting"), "{document_shown}");
    assert!(
        landed.contains(&format!("/dashboard/clients/{client}")),
        "{landed}"
    );
    assert!(note.contains("sent to the client"), "{note}");
    // The e-mails: one at issue, one to the accountant, one to the client; the same subject.
    assert_eq!(to_accountant.len(), 2, "{to_accountant:?}");
    assert_eq!(to_accountant[1].to, ["books@johnson.example.org"]);
    assert_eq!(to_client.len(), 3, "{to_client:?}");
    assert_eq!(to_client[2].to, ["katherine.johnson@example.com"]);
    for mail in &to_client {
        assert_eq!(mail.subject(), to_client[0].subject());
    }
    // The client's page lists the three e-mails with their addresses.
    assert_eq!(listed.matches("sent").count(), 3, "{listed}");
    assert!(listed.contains("books@johnson.example.org"), "{listed}");
    assert_eq!(
        listed.matches("katherine.johnson@example.com").count(),
        2,
        "{listed}"
    );
    // And so does the API.
    let number = read(&server, &format!("/v1/invoices/{invoice}")).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(listed.contains(&number), "{listed}");
    assert_eq!(
        notices(&server, &client).await,
        [
            (
                "katherine.johnson@example.com".to_owned(),
                "sent".to_owned()
            ),
            ("books@johnson.example.org".to_owned(), "sent".to_owned()),
            (
                "katherine.johnson@example.com".to_owned(),
                "sent".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn the_form_is_prefilled_a_double_submission_sends_once_and_a_reader_may_not_send() {
    // Arrange
    let (server, sink, client, invoice) = scene().await;
    let admin = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    reader_token(&server).await;
    let reader = Panel::sign_in(&server, "rita@example.com", "correct horse battery").await;

    // Act: the form twice with one key, as a double click would.
    let (status, page) = admin.get(&format!("/dashboard/invoices/{invoice}")).await;
    let csrf = hidden(&page, "id=\"send-invoice\"", "csrf");
    let key = hidden(&page, "id=\"send-invoice\"", "key");
    let form = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("to", "katherine.johnson@example.com"),
    ];
    let path = format!("/dashboard/invoices/{invoice}/send");
    let first = admin.post(&path, &form).await.status();
    let second = admin.post(&path, &form).await.status();
    let sent = mails(&sink, 2).await;
    // A reader's pages, and a post with the reader's own CSRF token.
    let (reader_status, reader_page) = reader.get(&format!("/dashboard/invoices/{invoice}")).await;
    let (_, reader_client) = reader.get(&format!("/dashboard/clients/{client}")).await;
    let (_, reader_overview) = reader.get("/dashboard").await;
    let reader_csrf = hidden(&reader_overview, "name=\"csrf\"", "csrf");
    let forged = reader
        .post(
            &path,
            &[
                ("csrf", reader_csrf.as_str()),
                ("key", "0195f0b2-7d1c-7000-8000-000000000001"),
            ],
        )
        .await
        .status();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(
            "id=\"send-to\" name=\"to\" type=\"text\" value=\"katherine.johnson@example.com\""
        ),
        "{page}"
    );
    assert_eq!(first, StatusCode::SEE_OTHER);
    assert_eq!(second, StatusCode::SEE_OTHER);
    assert_eq!(sent.len(), 2, "one at issue, one sent: {sent:?}");
    assert_eq!(reader_status, StatusCode::OK);
    assert!(!reader_page.contains("send-invoice"), "{reader_page}");
    assert!(!reader_client.contains("send-invoice"), "{reader_client}");
    assert_eq!(forged, StatusCode::FORBIDDEN);
    assert_eq!(sink.mails().len(), 2, "the reader sent nothing");
    assert_eq!(notices(&server, &client).await.len(), 2);
}
