//! Domain contacts in the customer panel: the list, adding (a refusal names the field and
//! writes nothing), editing and deleting on `/my/domain-contacts`; ordering a domain on
//! `/my/order` with the client's contacts, and the domain service's page showing them.

use reqwest::StatusCode;
use serde_json::json;
use tests::TestServer;
use uuid::Uuid;

use super::{MyPanel, PASSWORD, user};

/// The fields of a person's contact form, with `phone`.
fn person(key: &str, phone: &str) -> Vec<(&'static str, String)> {
    vec![
        ("key", key.to_owned()),
        ("kind", "person".to_owned()),
        ("name", "Ivan Petrov".to_owned()),
        ("email", "ivan@example.ru".to_owned()),
        ("phone", phone.to_owned()),
        ("street", "Tverskaya 1".to_owned()),
        ("city", "Moscow".to_owned()),
        ("postal_code", "125009".to_owned()),
        ("country", "ru".to_owned()),
        ("birth_date", "1980-05-17".to_owned()),
        ("passport_number", "45 01 123456".to_owned()),
        ("passport_issued_by", "OVD Tverskoy".to_owned()),
        ("passport_issued_on", "2001-06-01".to_owned()),
    ]
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The path of a redirect's `Location`.
fn followed(location: Option<&String>) -> String {
    location.expect("a redirect").clone()
}

#[tokio::test]
async fn a_user_adds_edits_and_deletes_a_domain_contact() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let email = user(&server, &ada, &["owner"]).await;
    let my = MyPanel::sign_in(&server, &email, PASSWORD).await;
    let list = my.get("/my/domain-contacts").await;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    assert!(list.body.contains("id=\"add-contact\""), "{}", list.body);
    assert!(list.body.contains("href=\"/my/domain-contacts\""));

    // Act: a phone without its country code is refused, naming the field.
    let events = server.event_count().await;
    let bad = person(&Uuid::now_v7().to_string(), "8 495 123 45 67");
    let refused = my
        .post(
            "/my/domain-contacts",
            "/my/domain-contacts",
            &borrowed(&bad),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("phone: "), "{}", refused.body);
    assert_eq!(server.event_count().await, events, "nothing was written");

    // Act: added.
    let id = Uuid::now_v7().to_string();
    let good = person(&id, "+7 495 123-45-67");
    let added = my
        .post(
            "/my/domain-contacts",
            "/my/domain-contacts",
            &borrowed(&good),
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{added:?}");
    let list = my.get(&followed(added.location.as_ref())).await;
    assert!(list.body.contains("Ivan Petrov"), "{}", list.body);
    assert!(list.body.contains("+74951234567"), "{}", list.body);

    // Act: edited.
    let mut moved = person(&Uuid::now_v7().to_string(), "+74951234567");
    moved[6].1 = "Saint Petersburg".to_owned();
    let path = format!("/my/domain-contacts/{id}");
    let edited = my.post(&path, &path, &borrowed(&moved)).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{edited:?}");
    let shown = my.get(&followed(edited.location.as_ref())).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains("value=\"Saint Petersburg\""),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("value=\"RU\""), "{}", shown.body);

    // Act: deleted.
    let key = Uuid::now_v7().to_string();
    let deleted = my
        .post(&path, &format!("{path}/delete"), &[("key", key.as_str())])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{deleted:?}");
    let list = my.get(&followed(deleted.location.as_ref())).await;
    assert!(!list.body.contains("Ivan Petrov"), "{}", list.body);
    assert_eq!(my.get(&path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_domain_ordered_on_my_order_shows_its_name_and_contacts_on_its_page() {
    // Arrange: a domain tariff, Ada's money and two contacts.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({"provider_id": provider, "name": "Domain .ru", "item_type": "domain",
                   "prices": [{"period": "P12M",
                               "price": {"amount": "12.00", "currency": "EUR"}}]}),
        )
        .await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    let tariff = tariff.body["id"].as_str().unwrap().to_owned();
    let ada = server.client(&provider, "Ada Lovelace").await;
    let paid = server
        .post(
            &format!("/v1/clients/{ada}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": "50.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let mut contacts = Vec::new();
    for (name, organisation) in [("Ivan Petrov", None), ("Grace Hopper", Some("Acme GmbH"))] {
        let id = Uuid::now_v7().to_string();
        let created = server
            .post(
                &format!("/v1/clients/{ada}/domain-contacts"),
                json!({"contact_id": id, "name": name, "email": "c@example.com",
                       "kind": if organisation.is_some() { "organisation" } else { "person" },
                       "organisation": organisation, "phone": "+4930123456",
                       "address": {"street": "Ring 1", "city": "Berlin",
                                   "postal_code": "10115", "country": "DE"}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        contacts.push(id);
    }
    let email = user(&server, &ada, &["owner"]).await;
    let my = MyPanel::sign_in(&server, &email, PASSWORD).await;

    // The catalog offers the contacts for a domain's roles.
    let catalog = my.get("/my/order").await;
    assert_eq!(catalog.status, StatusCode::OK);
    assert!(
        catalog.body.contains("name=\"domain_name\""),
        "{}",
        catalog.body
    );
    assert!(catalog.body.contains("name=\"contact.registrant\""));
    assert!(catalog.body.contains("Acme GmbH"));

    // Act: quoted, then confirmed.
    let fields = [
        ("tariff_id", tariff.as_str()),
        ("period", "P12M"),
        ("domain_name", "Example.RU"),
        ("contact.registrant", contacts[0].as_str()),
        ("contact.admin", contacts[0].as_str()),
        ("contact.tech", contacts[1].as_str()),
    ];
    let query: String = fields.iter().map(|(k, v)| format!("{k}={v}&")).collect();
    let quote = my.get(&format!("/my/order/quote?{query}")).await;
    assert_eq!(quote.status, StatusCode::OK, "{}", quote.body);
    assert!(
        quote.body.contains("value=\"Example.RU\""),
        "{}",
        quote.body
    );
    let key = Uuid::now_v7().to_string();
    let mut confirm = fields.to_vec();
    confirm.push(("key", key.as_str()));
    let ordered = my.post("/my/order", "/my/order", &confirm).await;

    // Assert
    assert_eq!(ordered.status, StatusCode::SEE_OTHER, "{ordered:?}");
    let page = my.get(&followed(ordered.location.as_ref())).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("example.ru"), "{}", page.body);
    assert!(page.body.contains("Ivan Petrov"), "{}", page.body);
    assert!(page.body.contains("Acme GmbH"), "{}", page.body);
    assert!(
        page.body.contains("id=\"domain-contacts\""),
        "{}",
        page.body
    );
    // The contact serves the domain: its page offers no deletion.
    server.settled().await;
    let ivan = my
        .get(&format!("/my/domain-contacts/{}", contacts[0]))
        .await;
    assert!(
        !ivan.body.contains("id=\"delete-contact\""),
        "{}",
        ivan.body
    );

    // Act: the domain takes Acme in every role on its page; Ivan is free to go.
    let path = format!("/my/services/{key}");
    let next = Uuid::now_v7().to_string();
    let changed = my
        .post(
            &path,
            &format!("{path}/domain-contacts"),
            &[
                ("key", next.as_str()),
                ("contact.registrant", contacts[1].as_str()),
                ("contact.admin", contacts[1].as_str()),
                ("contact.tech", contacts[1].as_str()),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{changed:?}");
    server.settled().await;
    let ivan = my
        .get(&format!("/my/domain-contacts/{}", contacts[0]))
        .await;
    assert!(ivan.body.contains("id=\"delete-contact\""), "{}", ivan.body);
}
