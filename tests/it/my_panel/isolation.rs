//! One client's user reaches nothing of another client through the customer panel: every `/my`
//! address that names a thing, tried with the other client's ids, answers the same 404 as an id
//! that does not exist, shows none of it, and every action on it writes nothing. The list of
//! addresses is checked against the panel's own route table, so a new route with an id must be
//! added here.

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::TestServer;
use uuid::Uuid;

use super::{MyPanel, PASSWORD, user};

/// A tiny PNG: the signature and an empty IHDR is enough for the type check.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR";

/// Every route of `api/src/http/my/mod.rs` whose path names a thing by id.
fn routes_with_ids() -> Vec<String> {
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src/http/my/mod.rs"),
    )
    .unwrap();
    let mut routes: Vec<String> = source
        .split('"')
        .filter(|s| s.starts_with("/my/") && s.contains('{'))
        .map(str::to_owned)
        .collect();
    routes.sort();
    routes.dedup();
    routes
}

#[tokio::test]
async fn a_user_of_one_client_finds_nothing_of_another_client_under_any_my_address() {
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let configured = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/payment-methods/bank_transfer"),
            Some(
                json!({"kind": "bank_transfer", "display_name": "Bank transfer", "enabled": true}),
            ),
        )
        .await;
    assert_eq!(configured.status, StatusCode::OK, "{configured:?}");
    let vds = crate::panel::tariff(&server, &provider).await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let bob = server.client(&provider, "Bob Secretive").await;
    // Bob's things: a paid service, a proforma for a transfer, a ticket with a file.
    let paid = server
        .post(
            &format!("/v1/clients/{bob}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": "50.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let ordered = server
        .post(
            &format!("/v1/clients/{bob}/services"),
            json!({"tariff_id": vds, "period": "P1M"}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap().to_owned();
    crate::panel::robot(&server).await;
    let payment = Uuid::now_v7().to_string();
    let transfer = server
        .post(
            "/v1/payments",
            json!({"payment_id": payment, "client_id": bob, "company_id": company,
                   "method": "bank_transfer", "amount": "30.00", "currency": "EUR",
                   "proforma": true}),
        )
        .await;
    assert_eq!(transfer.status, StatusCode::CREATED, "{transfer:?}");
    let invoice = transfer.body["invoice_id"].as_str().unwrap().to_owned();
    let opened = server
        .post(
            &format!("/v1/clients/{bob}/tickets"),
            json!({"subject": "Bob's private matter", "body": "Confidential.",
                   "attachments": [{"file_name": "scan.png", "content_type": "image/png",
                   "content_base64": base64::engine::general_purpose::STANDARD.encode(PNG)}]}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{opened:?}");
    let ticket = opened.body["id"].as_str().unwrap().to_owned();
    // Bob's domain contact.
    let contact = Uuid::now_v7().to_string();
    let created = server
        .post(
            &format!("/v1/clients/{bob}/domain-contacts"),
            json!({"contact_id": contact, "kind": "person", "name": "Bob Secretive",
                   "email": "bob@example.com", "phone": "+4930123456",
                   "address": {"street": "Hidden 1", "city": "Berlin", "postal_code": "10115",
                               "country": "DE"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let sha = crate::panel::read(&server, &format!("/v1/tickets/{ticket}")).await["messages"][0]
        ["attachments"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    // A reset request of Bob's user: its id is an address of its own (public, and answered by
    // its MAC, not by who asks).
    let ada_owner = user(&server, &ada, &["owner"]).await;
    let bob_owner = user(&server, &bob, &["owner"]).await;
    // Bob's user and payer: the account page's forms name them by id.
    let bob_payer = Uuid::now_v7().to_string();
    let payer = server
        .post(
            &format!("/v1/clients/{bob}/payers"),
            json!({"payer_id": bob_payer, "kind": "company", "name": "Bob's Company",
                   "country": "DE"}),
        )
        .await;
    assert_eq!(payer.status, StatusCode::CREATED, "{payer:?}");
    // Bob's contract: its PDF is an address of its own.
    let published = server
        .post(
            "/v1/contract-templates",
            json!({"company_id": company, "name": "Hosting contract", "prefix": "HC",
                   "texts": [{"language": "en", "title": "Contract {{contract_number}}",
                              "body": "Between {{company_name}} and {{client_name}}."}]}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    let drafted = server
        .post(
            &format!("/v1/clients/{bob}/contracts"),
            json!({"template_id": published.body["id"]}),
        )
        .await;
    assert_eq!(drafted.status, StatusCode::CREATED, "{drafted:?}");
    let contract_of_bob = drafted.body["id"].as_str().unwrap().to_owned();
    server.settled().await;
    let bob_user = server.get(&format!("/v1/clients/{bob}/users")).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Bob's own user reaches each of them: the ids are real.
    let bobs = MyPanel::sign_in(&server, &bob_owner, PASSWORD).await;
    for path in [
        format!("/my/services/{service}"),
        format!("/my/payments/{payment}"),
        format!("/my/invoices/{invoice}"),
        format!("/my/invoices/{invoice}/pdf"),
        format!("/my/tickets/{ticket}"),
        format!("/my/tickets/{ticket}/attachments/{sha}"),
        format!("/my/account/payers/{bob_payer}"),
        format!("/my/domain-contacts/{contact}"),
        format!("/my/contracts/{contract_of_bob}/pdf"),
    ] {
        let seen = bobs.get(&path).await;
        assert_eq!(seen.status, StatusCode::OK, "{path}: {seen:?}");
    }

    // Ada's user: every address with Bob's ids is the 404 of an id that does not exist.
    let my = MyPanel::sign_in(&server, &ada_owner, PASSWORD).await;
    let fill = |template: &str| {
        template
            .replace("/my/services/{id}", &format!("/my/services/{service}"))
            .replace("/my/payments/{id}", &format!("/my/payments/{payment}"))
            .replace("/my/invoices/{id}", &format!("/my/invoices/{invoice}"))
            .replace("/my/tickets/{id}", &format!("/my/tickets/{ticket}"))
            .replace("{sha256}", &sha)
            .replace(
                "/my/account/users/{id}",
                &format!("/my/account/users/{bob_user}"),
            )
            .replace(
                "/my/account/payers/{id}",
                &format!("/my/account/payers/{bob_payer}"),
            )
            .replace(
                "/my/domain-contacts/{id}",
                &format!("/my/domain-contacts/{contact}"),
            )
            .replace(
                "/my/contracts/{id}",
                &format!("/my/contracts/{contract_of_bob}"),
            )
    };
    let mut tried = Vec::new();
    let events = server.event_count().await;
    for template in routes_with_ids() {
        if template.starts_with("/my/password-reset/") {
            // The reset link's page is public: it names a request, not a client's thing, and
            // answers by the link's MAC (tests/it/my_panel/password.rs).
            continue;
        }
        let actions: Vec<&str> = if template.ends_with("/{action}") {
            if template.starts_with("/my/services/") {
                vec!["prolong", "close", "auto-prolong", "change-tariff"]
            } else if template.starts_with("/my/account/users/") {
                vec!["roles", "disable", "enable"]
            } else {
                vec!["close", "reopen"]
            }
        } else {
            vec![""]
        };
        for action in actions {
            let path = fill(&template).replace("{action}", action);
            assert!(
                !path.contains('{'),
                "{template} has an id this test does not fill"
            );
            let seen = my.get(&path).await;
            let posted = my
                .post(
                    "/my",
                    &path,
                    &[
                        ("key", &Uuid::now_v7().to_string()),
                        ("body", "mine now"),
                        ("period", "P1M"),
                        ("tariff_id", &vds),
                        ("role", "billing"),
                        ("kind", "company"),
                        ("name", "Mine now"),
                        ("country", "DE"),
                    ],
                )
                .await;
            for (how, answer) in [("GET", &seen), ("POST", &posted)] {
                // A route without that method answers 405 before anything is looked up.
                if answer.status == StatusCode::METHOD_NOT_ALLOWED {
                    continue;
                }
                assert_eq!(
                    answer.status,
                    StatusCode::NOT_FOUND,
                    "{how} {path}: {answer:?}"
                );
                assert!(
                    !answer.body.contains("Bob"),
                    "{how} {path}: {}",
                    answer.body
                );
                assert!(!answer.body.contains("Confidential"), "{how} {path}");
                tried.push(format!("{how} {path}"));
            }
        }
    }
    assert_eq!(server.event_count().await, events, "nothing was written");
    assert!(tried.len() >= 12, "{tried:#?}");
    // And an id that does not exist answers the very same page.
    let made_up = my.get(&format!("/my/services/{}", Uuid::now_v7())).await;
    let bobs_service = my.get(&format!("/my/services/{service}")).await;
    assert_eq!(made_up.status, StatusCode::NOT_FOUND);
    assert_eq!(made_up.body, bobs_service.body);
    // Ada's lists hold none of Bob's things.
    for list in [
        "/my/services",
        "/my/payments",
        "/my/invoices",
        "/my/tickets",
        "/my/expenses",
        "/my/domain-contacts",
    ] {
        let page = my.get(list).await;
        assert_eq!(page.status, StatusCode::OK, "{list}: {page:?}");
        for id in [&service, &payment, &invoice, &ticket, &contact] {
            assert!(!page.body.contains(id.as_str()), "{list} shows {id}");
        }
    }
}
