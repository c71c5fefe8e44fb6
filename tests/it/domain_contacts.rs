//! Domain contacts (`/v1/clients/{id}/domain-contacts`) and the domain services that use them:
//! created and checked by the contact (a refusal names the field and writes nothing), ordered
//! with a domain and shown on the service, refused when they are another client's, and kept
//! from deletion while an open service uses them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, Answer, TestServer};
use uuid::Uuid;

/// A Russian person's details, as `.ru` registries ask for them.
fn ivan() -> Value {
    json!({
        "kind": "person",
        "name": "Ivan Petrov",
        "email": "ivan@example.ru",
        "phone": "+7 (495) 123-45-67",
        "address": {"street": "Tverskaya 1", "city": "Moscow", "postal_code": "125009",
                    "country": "RU"},
        "birth_date": "1980-05-17",
        "passport": {"number": "45 01 123456", "issued_by": "OVD Tverskoy",
                     "issued_on": "2001-06-01"}
    })
}

/// An organisation's details.
fn acme() -> Value {
    json!({
        "kind": "organisation",
        "name": "Grace Hopper",
        "organisation": "Acme GmbH",
        "email": "hostmaster@acme.example",
        "phone": "+4930123456",
        "address": {"street": "Ring 1", "city": "Berlin", "postal_code": "10115",
                    "country": "DE"}
    })
}

/// `details` with a `contact_id`, as `POST …/domain-contacts` takes them.
fn with_id(details: Value, id: &str) -> Value {
    let mut body = details;
    body["contact_id"] = json!(id);
    body
}

/// Creates a contact of `client`; answers its id.
async fn contact(server: &TestServer, client: &str, details: Value) -> String {
    let id = Uuid::now_v7().to_string();
    let created = server
        .post(
            &format!("/v1/clients/{client}/domain-contacts"),
            with_id(details, &id),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    id
}

/// A tariff of `provider` of `item_type` at 12.00 EUR a year.
async fn tariff(server: &TestServer, provider: &str, item_type: &str) -> String {
    let created = server
        .post(
            "/v1/tariffs",
            json!({"provider_id": provider, "name": format!("Tariff {item_type}"),
                   "item_type": item_type,
                   "prices": [{"period": "P12M", "price": {"amount": "12.00", "currency": "EUR"}}]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

/// Orders `tariff` for `client` with `domain` (or none).
async fn order(server: &TestServer, client: &str, tariff: &str, domain: Option<Value>) -> Answer {
    let mut body = json!({"tariff_id": tariff, "period": "P12M"});
    if let Some(domain) = domain {
        body["domain"] = domain;
    }
    server
        .post(&format!("/v1/clients/{client}/services"), body)
        .await
}

fn domain(name: &str, registrant: &str, admin: &str, tech: &str) -> Value {
    json!({"domain_name": name,
           "contacts": {"registrant": registrant, "admin": admin, "tech": tech}})
}

/// The answer's `problem+json` code.
fn code(answer: &Answer) -> &str {
    answer.body["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_domain_contact_is_created_read_and_changed_in_one_spelling() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let ada = server.client(&provider, "Ada Lovelace").await;

    // Act
    let id = contact(&server, &ada, ivan()).await;
    let mut changed = ivan();
    changed["address"]["city"] = json!("Saint Petersburg");
    let updated = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{ada}/domain-contacts/{id}"),
            Some(changed),
        )
        .await;

    // Assert
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");
    let position = updated.body["position"].as_i64().unwrap();
    let one = server
        .get(&format!(
            "/v1/clients/{ada}/domain-contacts/{id}?min_position={position}"
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{one:?}");
    assert_eq!(one.body["phone"], "+74951234567");
    assert_eq!(one.body["address"]["city"], "Saint Petersburg");
    assert_eq!(one.body["birth_date"], "1980-05-17");
    assert_eq!(one.body["passport"]["number"], "45 01 123456");
    assert_eq!(one.body["services"], 0);
    let list = server
        .get(&format!("/v1/clients/{ada}/domain-contacts"))
        .await;
    assert_eq!(list.body["items"][0]["contact_id"], id.as_str(), "{list:?}");
    // Staff see the client's contacts, read-only, on its page.
    let panel = crate::panel::Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    let (status, page) = panel.get(&format!("/dashboard/clients/{ada}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"domain-contacts\""), "{page}");
    assert!(page.contains("+74951234567"), "{page}");
}

#[tokio::test]
async fn a_bad_phone_or_country_is_a_problem_naming_the_field_and_writes_nothing() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let events = server.event_count().await;
    let mut bad_phone = ivan();
    bad_phone["phone"] = json!("8 495 123 45 67");
    let mut bad_country = ivan();
    bad_country["address"]["country"] = json!("XX");
    let mut organisation_with_passport = acme();
    organisation_with_passport["passport"] = ivan()["passport"].clone();
    organisation_with_passport["birth_date"] = json!("1980-05-17");

    for (details, field, expected) in [
        (bad_phone, "phone", "invalid_phone"),
        (bad_country, "address.country", "invalid_country"),
        (
            organisation_with_passport,
            "birth_date",
            "personal_data_of_organisation",
        ),
    ] {
        // Act
        let refused = server
            .post(
                &format!("/v1/clients/{ada}/domain-contacts"),
                with_id(details, &Uuid::now_v7().to_string()),
            )
            .await;

        // Assert
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
        assert_eq!(refused.content_type, "application/problem+json");
        assert_eq!(code(&refused), expected);
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.starts_with(&format!("{field}: ")), "{detail}");
    }
    assert_eq!(server.event_count().await, events, "nothing was written");
}

#[tokio::test]
async fn a_domain_ordered_with_its_contacts_shows_them_on_the_service() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let domains = tariff(&server, &provider, "domain").await;
    let vds = tariff(&server, &provider, "vds").await;
    let ivan_id = contact(&server, &ada, ivan()).await;
    let acme_id = contact(&server, &ada, acme()).await;

    // Act
    let ordered = order(
        &server,
        &ada,
        &domains,
        Some(domain("Example.RU", &ivan_id, &ivan_id, &acme_id)),
    )
    .await;

    // Assert
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap();
    let position = server.settled().await;
    let view = server
        .get(&format!("/v1/services/{service}?min_position={position}"))
        .await;
    assert_eq!(view.status, StatusCode::OK, "{view:?}");
    let shown = &view.body["domain"];
    assert_eq!(shown["domain_name"], "example.ru", "{view:?}");
    assert_eq!(shown["registrant"]["contact_id"], ivan_id.as_str());
    assert_eq!(shown["registrant"]["name"], "Ivan Petrov");
    assert_eq!(shown["admin"]["name"], "Ivan Petrov");
    assert_eq!(shown["tech"]["name"], "Acme GmbH");
    let ivan_now = server
        .get(&format!("/v1/clients/{ada}/domain-contacts/{ivan_id}"))
        .await;
    assert_eq!(ivan_now.body["services"], 1, "{ivan_now:?}");
    // A domain without contacts is still taken (as before contacts), and shows none.
    let bare = order(&server, &ada, &domains, None).await;
    assert_eq!(bare.status, StatusCode::CREATED, "{bare:?}");
    let bare_view = server
        .get(&format!(
            "/v1/services/{}",
            bare.body["id"].as_str().unwrap()
        ))
        .await;
    assert!(bare_view.body.get("domain").is_none(), "{bare_view:?}");
    // Another item type takes no domain, and nothing is written.
    let events = server.event_count().await;
    let not_a_domain = order(
        &server,
        &ada,
        &vds,
        Some(domain("example.org", &ivan_id, &ivan_id, &ivan_id)),
    )
    .await;
    assert_eq!(
        not_a_domain.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{not_a_domain:?}"
    );
    assert_eq!(code(&not_a_domain), "not_a_domain_item");
    assert_eq!(server.event_count().await, events, "nothing was written");
}

#[tokio::test]
async fn another_clients_contact_is_refused_as_an_unknown_one() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let bob = server.client(&provider, "Bob Builder").await;
    let domains = tariff(&server, &provider, "domain").await;
    let ada_contact = contact(&server, &ada, acme()).await;
    let bob_contact = contact(&server, &bob, ivan()).await;
    server.settled().await;
    let events = server.event_count().await;

    // Act
    let with_bobs = order(
        &server,
        &ada,
        &domains,
        Some(domain(
            "example.com",
            &ada_contact,
            &bob_contact,
            &ada_contact,
        )),
    )
    .await;
    let made_up = Uuid::now_v7().to_string();
    let with_unknown = order(
        &server,
        &ada,
        &domains,
        Some(domain("example.com", &ada_contact, &made_up, &ada_contact)),
    )
    .await;

    // Assert
    for refused in [&with_bobs, &with_unknown] {
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{refused:?}");
        assert_eq!(code(refused), "domain_contact_not_found");
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .starts_with("domain.contacts.admin: "),
            "{refused:?}"
        );
    }
    let path = format!("/v1/clients/{ada}/domain-contacts/{bob_contact}");
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(acme())),
        (Method::DELETE, None),
    ] {
        let answer = server.call(method.clone(), &path, body).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {answer:?}");
        assert_eq!(code(&answer), "domain_contact_not_found");
    }
    assert_eq!(server.event_count().await, events, "nothing was written");
}

#[tokio::test]
async fn a_contact_in_use_cannot_be_deleted_until_no_open_service_uses_it() {
    // Arrange: a domain whose three roles are Ivan's.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let domains = tariff(&server, &provider, "domain").await;
    let ivan_id = contact(&server, &ada, ivan()).await;
    let acme_id = contact(&server, &ada, acme()).await;
    let ordered = order(
        &server,
        &ada,
        &domains,
        Some(domain("example.ru", &ivan_id, &ivan_id, &ivan_id)),
    )
    .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap().to_owned();
    let ivan_path = format!("/v1/clients/{ada}/domain-contacts/{ivan_id}");
    let acme_path = format!("/v1/clients/{ada}/domain-contacts/{acme_id}");

    // Act and assert: Ivan serves the domain.
    let refused = server.call(Method::DELETE, &ivan_path, None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
    assert_eq!(code(&refused), "domain_contact_in_use");

    // The domain takes Acme as its tech contact: Ivan still serves it.
    let moved = server
        .call(
            Method::PUT,
            &format!("/v1/services/{service}/domain-contacts"),
            Some(json!({"registrant": ivan_id, "admin": ivan_id, "tech": acme_id})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    let still = server.call(Method::DELETE, &ivan_path, None).await;
    assert_eq!(still.status, StatusCode::CONFLICT, "{still:?}");

    // The domain takes Acme in every role: Ivan is free.
    let moved = server
        .call(
            Method::PUT,
            &format!("/v1/services/{service}/domain-contacts"),
            Some(json!({"registrant": acme_id, "admin": acme_id, "tech": acme_id})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    let deleted = server.call(Method::DELETE, &ivan_path, None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{deleted:?}");
    let position = server.settled().await;
    let gone = server
        .get(&format!("{ivan_path}?min_position={position}"))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{gone:?}");

    // Acme is freed when the service closes (the release process detaches it).
    assert_eq!(
        server.call(Method::DELETE, &acme_path, None).await.status,
        StatusCode::CONFLICT
    );
    let closed = server
        .post(&format!("/v1/services/{service}/close"), json!({}))
        .await;
    assert!(closed.status.is_success(), "{closed:?}");
    server.settled().await;
    let freed = server.call(Method::DELETE, &acme_path, None).await;
    assert_eq!(freed.status, StatusCode::OK, "{freed:?}");
}

#[tokio::test]
async fn a_contact_held_by_an_order_that_never_came_is_let_go_after_an_hour() {
    // Arrange: a contact agreed to a domain order (`AttachContact`, the order's first step) and
    // the process stopped before the order was recorded, as a crash there leaves it.
    let (server, clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Crashed Orderer").await;
    let ivan = contact(&server, &client, ivan()).await;
    let store = &server.running.as_ref().unwrap().state.store;
    let attached = store
        .execute::<domain::contact::DomainContact>(
            &ivan,
            domain::contact::ContactCommand::AttachContact {
                client_id: domain::ids::ClientId::from_uuid(Uuid::parse_str(&client).unwrap()),
                service_id: domain::ids::ServiceId::from_uuid(Uuid::now_v7()),
                at: tests::t0(),
            },
            &eventstore::metadata::CommandContext::new(eventstore::metadata::Actor::System(
                "an order that crashed".to_owned(),
            )),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(attached.events.len(), 1);
    let path = format!("/v1/clients/{client}/domain-contacts/{ivan}");

    // Act: deleted at once (an order might still be on its way), then after an hour.
    let at_once = server.call(Method::DELETE, &path, None).await;
    clock.advance(chrono::TimeDelta::seconds(3601));
    let later = server.call(Method::DELETE, &path, None).await;
    let position = server.settled().await;
    let read = server.get(&format!("{path}?min_position={position}")).await;

    // Assert
    assert_eq!(at_once.status, StatusCode::CONFLICT, "{at_once:?}");
    assert_eq!(code(&at_once), "domain_contact_in_use");
    assert_eq!(later.status, StatusCode::OK, "{later:?}");
    assert_eq!(read.status, StatusCode::NOT_FOUND, "{read:?}");
}
