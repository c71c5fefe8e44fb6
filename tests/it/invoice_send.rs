//! Sending an invoice or a credit note to the client again, `POST /v1/invoices/{id}/send`: each
//! request e-mails the document once through the notifier (the same message as at issue, to the
//! client or to the address asked for), a repeated `Idempotency-Key` sends nothing more, a
//! cancelled proforma, a bad address and an unknown id are refused as problems, and staff
//! without `invoices:write` get 403. The panel's forms for it are in `panel`.

use std::sync::Arc;
use std::time::Duration;

use eventstore::clock::SystemClock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::smtp::{Mail, SmtpSink};
use tests::{ADMIN_TOKEN, Answer, TestDb, TestServer, answer};
use uuid::Uuid;

use crate::panel::read;

// The panel's "Send to client" forms in the browser.
mod panel;

/// `POST /v1/invoices/{id}/send` with `token`, an `Idempotency-Key` if given and `body`.
async fn send(
    server: &TestServer,
    token: &str,
    invoice: &str,
    key: Option<&str>,
    body: Value,
) -> Answer {
    let mut request = server
        .http
        .post(format!("{}/v1/invoices/{invoice}/send", server.url))
        .bearer_auth(token)
        .json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    answer(request.send().await.unwrap()).await
}

/// Issues an invoice of 50.00 to `client` over the API; answers its id.
async fn invoice(server: &TestServer, client: &str, company: &str) -> String {
    let id = Uuid::now_v7().to_string();
    let issued = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": id, "client_id": client, "company_id": company,
                   "lines": [{"description": "Consulting", "quantity": "1", "unit_price": "50.00"}]}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    id
}

/// The e-mails the sink received, once `count` arrived and nothing more came for a moment.
async fn mails(sink: &SmtpSink, count: usize) -> Vec<Mail> {
    let mails = sink.wait_for(count, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.mails().len(), mails.len(), "no more than {count}");
    mails
}

/// A token of a staff member whose only department may read clients and invoices.
pub(crate) async fn reader_token(server: &TestServer) -> String {
    let department = server
        .post(
            "/v1/departments",
            json!({"name": "Readers", "permissions": ["clients:read", "invoices:read"]}),
        )
        .await;
    assert!(department.status.is_success(), "{department:?}");
    let staff = server
        .post(
            "/v1/staff",
            json!({"name": "Rita Reader", "email": "rita@example.com",
                   "password": "correct horse battery",
                   "departments": [department.body["id"]], "administrator": false}),
        )
        .await;
    assert!(staff.status.is_success(), "{staff:?}");
    let login = server
        .post(
            "/v1/auth/login",
            json!({"email": "rita@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    login.body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_request_sends_the_document_once_and_the_same_key_sends_it_once() {
    // Arrange: a client with an invoice, e-mailed once at issue.
    let sink = SmtpSink::start().await;
    let server = TestServer::start_mailing(
        TestDb::new().await,
        Arc::new(SystemClock),
        Some(&sink.url()),
    )
    .await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Grace Hopper").await;
    let invoice = invoice(&server, &client, &company).await;
    let at_issue = mails(&sink, 1).await;

    // Act: sent twice to the client, then once to another address with a key, twice.
    let first = send(&server, ADMIN_TOKEN, &invoice, None, json!({})).await;
    let second = send(&server, ADMIN_TOKEN, &invoice, None, json!({})).await;
    let body = json!({"to": "Accounts@Navy.example.org"});
    let keyed = send(&server, ADMIN_TOKEN, &invoice, Some("send-1"), body.clone()).await;
    let again = send(&server, ADMIN_TOKEN, &invoice, Some("send-1"), body).await;
    let sent = mails(&sink, 4).await;

    // Assert: four e-mails in all, each with the subject of the e-mail at issue.
    assert_eq!(first.status, StatusCode::ACCEPTED, "{first:?}");
    assert_eq!(second.status, StatusCode::ACCEPTED, "{second:?}");
    assert_eq!(keyed.status, StatusCode::ACCEPTED, "{keyed:?}");
    assert_eq!(keyed.body["to"], "Accounts@Navy.example.org", "{keyed:?}");
    assert_eq!(again.status, StatusCode::ACCEPTED, "{again:?}");
    assert_eq!(again.body, keyed.body, "the first answer again");
    assert_eq!(sent.len(), 4, "{sent:?}");
    let number = read(&server, &format!("/v1/invoices/{invoice}")).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    for mail in &sent {
        assert_eq!(mail.subject(), format!("Invoice {number}"));
        assert_eq!(mail.subject(), at_issue[0].subject());
        assert!(mail.body().contains(&number), "{}", mail.body());
    }
    let to: Vec<Vec<String>> = sent.iter().map(|mail| mail.to.clone()).collect();
    let client_address = vec!["grace.hopper@example.com".to_owned()];
    assert_eq!(
        to[..3],
        [
            client_address.clone(),
            client_address.clone(),
            client_address
        ]
    );
    assert_eq!(to[3], ["Accounts@navy.example.org"]);
    // Each e-mail has its own Message-ID: they are four messages, not one sent four times.
    let mut ids: Vec<String> = sent.iter().filter_map(|m| m.header("Message-ID")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "{ids:?}");
    // The notifications list, as the API holds it.
    let notices = server
        .get(&format!("/v1/notifications?client_id={client}"))
        .await
        .body;
    let statuses: Vec<&str> = notices["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "invoice_issued")
        .map(|n| n["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["sent"; 4], "{notices}");
}

#[tokio::test]
async fn a_credit_note_is_sent_and_refusals_are_problems() {
    // Arrange: an invoice with a credit note, a cancelled proforma, and a staff member who may
    // only read invoices.
    let sink = SmtpSink::start().await;
    let server = TestServer::start_mailing(
        TestDb::new().await,
        Arc::new(SystemClock),
        Some(&sink.url()),
    )
    .await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Alan Turing").await;
    let invoice = invoice(&server, &client, &company).await;
    let credit_note = Uuid::now_v7().to_string();
    let credited = server
        .post(
            &format!("/v1/invoices/{invoice}/credit-notes"),
            json!({"credit_note_id": credit_note, "reason": "cancelled order"}),
        )
        .await;
    assert_eq!(credited.status, StatusCode::CREATED, "{credited:?}");
    let method = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/payment-methods/card"),
            Some(json!({"kind": "card_gateway", "display_name": "card", "enabled": true})),
        )
        .await;
    assert_eq!(method.status, StatusCode::OK, "{method:?}");
    let payment = Uuid::now_v7().to_string();
    let created = server
        .post(
            "/v1/payments",
            json!({"payment_id": payment, "client_id": client, "company_id": company,
                   "method": "card", "amount": "25.00", "currency": "EUR", "proforma": true}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let proforma = created.body["invoice_id"].as_str().unwrap().to_owned();
    let cancelled = server
        .post(
            &format!("/v1/payments/{payment}/cancel"),
            json!({"reason": "the client paid by bank transfer"}),
        )
        .await;
    assert!(cancelled.status.is_success(), "{cancelled:?}");
    let reader = reader_token(&server).await;
    let before = mails(&sink, 3).await.len();
    let events = server.event_count().await;

    // Act
    let to_cancelled = send(&server, ADMIN_TOKEN, &proforma, None, json!({})).await;
    let bad_address = send(
        &server,
        ADMIN_TOKEN,
        &invoice,
        None,
        json!({"to": "nobody"}),
    )
    .await;
    let unknown = send(
        &server,
        ADMIN_TOKEN,
        &Uuid::now_v7().to_string(),
        None,
        json!({}),
    )
    .await;
    let unknown_field = send(&server, ADMIN_TOKEN, &invoice, None, json!({"cc": "x"})).await;
    let forbidden = send(&server, &reader, &invoice, None, json!({})).await;
    let refused_events = server.event_count().await;
    let credit_note_sent = send(&server, ADMIN_TOKEN, &credit_note, None, json!({})).await;
    let after = mails(&sink, before + 1).await;

    // Assert: each refusal is a problem and writes nothing; the credit note goes out.
    for (refused, status, code) in [
        (
            &to_cancelled,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invoice_cancelled",
        ),
        (
            &bad_address,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_recipient",
        ),
        (&unknown, StatusCode::NOT_FOUND, "invoice_not_found"),
        (&forbidden, StatusCode::FORBIDDEN, "forbidden"),
    ] {
        assert_eq!(refused.status, status, "{refused:?}");
        assert_eq!(
            refused.content_type, "application/problem+json",
            "{refused:?}"
        );
        assert_eq!(refused.body["code"], code, "{refused:?}");
    }
    assert!(unknown_field.status.is_client_error(), "{unknown_field:?}");
    assert_eq!(refused_events, events, "a refusal writes nothing");
    assert_eq!(
        credit_note_sent.status,
        StatusCode::ACCEPTED,
        "{credit_note_sent:?}"
    );
    assert_eq!(after.len(), before + 1, "{after:?}");
    let number = read(&server, &format!("/v1/invoices/{credit_note}")).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(after[before].subject(), format!("Invoice {number}"));
    assert_eq!(after[before].to, ["alan.turing@example.com"]);
}
