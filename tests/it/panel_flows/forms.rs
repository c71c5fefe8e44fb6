//! The flows' forms without a browser: a staff member with only `clients:read` can send none of
//! them (403, nothing written) while one who may acts as a client and refunds; a form sent twice
//! writes once.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};
use uuid::Uuid;

use super::{order, pay, staff_member};
use crate::panel::{Panel, hidden, read, tariff};

#[tokio::test]
async fn staff_who_only_read_clients_can_run_none_of_the_flows_and_a_staff_member_acts_as_a_client()
{
    // Arrange: a reader, a staff member with every permission, a client with a service whose
    // activation failed, another client, and a ticket.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let tariff = tariff(&server, &provider).await;
    let client = server.client(&provider, "Watched Client").await;
    let other = server.client(&provider, "Other Client").await;
    pay(&server, &client, "50.00").await;
    let service = order(&server, &client, &tariff).await;
    let pending = read(&server, "/v1/operations?status=pending").await;
    let operation = pending["items"][0]["id"].as_str().unwrap().to_owned();
    let failed = server
        .post(
            &format!("/v1/operations/{operation}/fail"),
            json!({"reason": "no capacity"}),
        )
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{failed:?}");
    let ticket = server
        .post(
            &format!("/v1/clients/{client}/tickets"),
            json!({ "subject": "Question", "body": "Hello?" }),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{ticket:?}");
    let ticket = ticket.body["id"].as_str().unwrap().to_owned();
    staff_member(
        &server,
        "Reader",
        "reader@example.com",
        json!(["clients:read"]),
    )
    .await;
    let everything = json!([
        "clients:read",
        "clients:write",
        "payments:read",
        "payments:write",
        "invoices:read",
        "invoices:write",
        "services:read",
        "services:write",
        "tickets:read",
        "tickets:write",
        "settings:read",
        "settings:write"
    ]);
    staff_member(&server, "Chief", "chief@example.com", everything).await;
    let reader = Panel::sign_in(&server, "reader@example.com", "correct horse battery").await;
    let chief = Panel::sign_in(&server, "chief@example.com", "correct horse battery").await;
    server.settled().await;
    let (client_status, client_page) = reader.get(&format!("/dashboard/clients/{client}")).await;
    let csrf = hidden(&client_page, "action=\"/dashboard/time-zone\"", "csrf");
    let before = server.event_count().await;

    // Act: every action of the flows, as the reader, with its own valid CSRF token.
    let key = Uuid::now_v7().to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/dashboard/clients/{client}/edit"),
            vec![("name", "Renamed")],
        ),
        (
            format!("/dashboard/clients/{client}/adjustments"),
            vec![("amount", "5.00"), ("currency", "EUR"), ("reason", "gift")],
        ),
        (
            format!("/dashboard/clients/{client}/credit-limit"),
            vec![("amount", "500.00"), ("currency", "EUR")],
        ),
        (
            format!("/dashboard/clients/{client}/credit-notes"),
            vec![("invoice_id", key.as_str()), ("reason", "x")],
        ),
        (format!("/dashboard/clients/{client}/act-as"), vec![]),
        (
            format!("/dashboard/clients/{client}/merge"),
            vec![("into", other.as_str())],
        ),
        (
            format!("/dashboard/services/{service}/transfer"),
            vec![("client_id", other.as_str())],
        ),
        (
            format!("/dashboard/tickets/{ticket}/answer"),
            vec![("body", "Hi")],
        ),
        (format!("/dashboard/tickets/{ticket}/assign"), vec![]),
        (format!("/dashboard/tickets/{ticket}/close"), vec![]),
        (format!("/dashboard/operations/{operation}/retry"), vec![]),
        (
            "/dashboard/billing-day".to_owned(),
            vec![("as_of", "2030-01-01")],
        ),
    ];
    let mut refused = Vec::new();
    for (path, fields) in &posts {
        let mut form = vec![("csrf", csrf.as_str()), ("key", key.as_str())];
        form.extend(fields.iter().copied());
        let answer = reader.post(path, &form).await;
        refused.push((path.clone(), answer.status()));
    }
    let mut pages = Vec::new();
    for path in [
        "/dashboard/operations".to_owned(),
        format!("/dashboard/tickets/{ticket}"),
        format!("/dashboard/clients/{client}/merge"),
        format!("/dashboard/services/{service}/transfer"),
    ] {
        let (status, _) = reader.get(&path).await;
        pages.push((path, status));
    }
    let written = server.event_count().await - before;

    // The chief acts as the client: a token that reads this client and no other.
    let (_, chief_page) = chief.get(&format!("/dashboard/clients/{client}")).await;
    // A member of staff who may refund (no administrator) gets the refund form, and it works.
    let payments = read(&server, &format!("/v1/payments?client_id={client}")).await;
    let payment = payments["items"][0]["id"].as_str().unwrap().to_owned();
    let refund_path = format!("/dashboard/payments/{payment}/refund");
    let refund_key = hidden(&chief_page, &refund_path, "key");
    let refunded = chief
        .post(
            &refund_path,
            &[
                ("csrf", hidden(&chief_page, &refund_path, "csrf").as_str()),
                ("key", refund_key.as_str()),
                ("amount", "10.00"),
                ("reason", "goodwill"),
            ],
        )
        .await
        .status();
    let chief_csrf = hidden(&chief_page, "id=\"act-as\"", "csrf");
    let chief_key = hidden(&chief_page, "id=\"act-as\"", "key");
    let acting = chief
        .post(
            &format!("/dashboard/clients/{client}/act-as"),
            &[("csrf", chief_csrf.as_str()), ("key", chief_key.as_str())],
        )
        .await;
    let acting_status = acting.status();
    let no_store = acting.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    let panel_cookie = acting
        .headers()
        .get("set-cookie")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let acting_page = acting.text().await.unwrap();
    let token = hidden(&acting_page, "id=\"acting-token\"", "token");
    let panel_home = server
        .http
        .get(format!("{}/my", server.url))
        .header("cookie", format!("billing_my_session={token}"))
        .send()
        .await
        .unwrap();
    let panel_status = panel_home.status();
    let panel_home = panel_home.text().await.unwrap();
    let as_client = |path: String| {
        server
            .http
            .get(format!("{}{path}", server.url))
            .bearer_auth(&token)
            .send()
    };
    let own = as_client(format!("/v1/clients/{client}"))
        .await
        .unwrap()
        .status();
    let others = as_client(format!("/v1/clients/{other}"))
        .await
        .unwrap()
        .status();

    // Assert
    assert_eq!(client_status, StatusCode::OK);
    for form in [
        "id=\"edit-client\"",
        "id=\"adjustment\"",
        "id=\"credit-limit\"",
        "id=\"act-as\"",
    ] {
        assert!(!client_page.contains(form), "{form} in {client_page}");
    }
    assert!(!client_page.contains("merge-client"), "{client_page}");
    for (path, status) in refused.iter().chain(pages.iter()) {
        assert_eq!(*status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(written, 0, "nothing written");
    assert_eq!(refunded, StatusCode::SEE_OTHER);
    let refunds = read(&server, &format!("/v1/clients/{client}/statement")).await;
    assert!(refunds.to_string().contains("goodwill"), "{refunds}");
    assert_eq!(acting_status, StatusCode::CREATED, "{acting_page}");
    assert_eq!(no_store, "no-store");
    assert!(
        acting_page.contains("Acting as Watched Client"),
        "{acting_page}"
    );
    assert_eq!(own, StatusCode::OK);
    assert_eq!(others, StatusCode::NOT_FOUND);
    // The same browser opens the customer panel as the client, which names who is acting.
    assert!(
        panel_cookie.starts_with(&format!("billing_my_session={token};"))
            && panel_cookie.contains("Path=/my")
            && panel_cookie.contains("HttpOnly"),
        "{panel_cookie}"
    );
    assert!(acting_page.contains("href=\"/my\""), "{acting_page}");
    assert_eq!(panel_status, StatusCode::OK);
    assert!(
        panel_home.contains("Watched Client (staff acting as the client)"),
        "{panel_home}"
    );
}

#[tokio::test]
async fn a_double_submitted_adjustment_or_credit_note_form_writes_once() {
    // Arrange: a client with 100.00 EUR and an invoice of 50.00.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Double Clicker").await;
    pay(&server, &client, "100.00").await;
    let invoice = Uuid::now_v7();
    let issued = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": invoice, "client_id": client, "company_id": company,
                   "lines": [{"description": "Consulting", "quantity": "1", "unit_price": "50.00"}]}),
        )
        .await;
    assert!(issued.status.is_success(), "{issued:?}");
    let panel = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;
    let (_, page) = panel.get(&format!("/dashboard/clients/{client}")).await;
    let csrf = hidden(&page, "id=\"adjustment\"", "csrf");
    let adjustment_key = hidden(&page, "id=\"adjustment\"", "key");
    let credit_key = hidden(&page, "id=\"credit-note\"", "key");
    let invoice_id = invoice.to_string();
    let adjustment = [
        ("csrf", csrf.as_str()),
        ("key", adjustment_key.as_str()),
        ("amount", "-5.00"),
        ("currency", "EUR"),
        ("reason", "late fee"),
    ];
    let credit = [
        ("csrf", csrf.as_str()),
        ("key", credit_key.as_str()),
        ("invoice_id", invoice_id.as_str()),
        ("reason", "goodwill"),
        ("description", "Goodwill"),
        ("quantity", "1"),
        ("unit_price", "10.00"),
    ];
    let adjust_path = format!("/dashboard/clients/{client}/adjustments");
    let credit_path = format!("/dashboard/clients/{client}/credit-notes");

    // Act: each form sent twice at once, and once more afterwards (a reload).
    let (first, second) = tokio::join!(
        panel.post(&adjust_path, &adjustment),
        panel.post(&adjust_path, &adjustment)
    );
    let third = panel.post(&adjust_path, &adjustment).await;
    let (fourth, fifth) = tokio::join!(
        panel.post(&credit_path, &credit),
        panel.post(&credit_path, &credit)
    );
    let sixth = panel.post(&credit_path, &credit).await;

    // Assert: every answer the redirect of the first; one adjustment, one credit note.
    for answer in [first, second, third, fourth, fifth, sixth] {
        let status = answer.status();
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{}",
            answer.text().await.unwrap()
        );
    }
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(balance["accounts"][0]["balance"], "95.00", "{balance}");
    let statement = read(&server, &format!("/v1/clients/{client}/statement")).await;
    let fees = statement["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["amount"] == "-5.00")
        .count();
    assert_eq!(fees, 1, "{statement}");
    let documents = read(&server, &format!("/v1/invoices?client_id={client}")).await;
    let credit_notes: Vec<&Value> = documents["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "credit_note")
        .collect();
    assert_eq!(credit_notes.len(), 1, "{documents}");
    assert_eq!(credit_notes[0]["id"], credit_key.as_str(), "{documents}");
}
