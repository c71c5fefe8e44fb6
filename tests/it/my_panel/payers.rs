//! Payers added and edited from the account page: each of the three kinds, through the API's
//! own use cases, so what the panel saves is what `GET /v1/clients/{id}/payers` lists; the
//! `Payer`'s refusals show on the form in the user's language, and the roles that may not add
//! payers get the page the API would answer 403 for.

use reqwest::StatusCode;
use serde_json::Value;
use tests::TestServer;

use super::{MyPanel, PASSWORD, user};

struct Scene {
    server: TestServer,
    client: String,
    owner: String,
    billing: String,
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Ada Lovelace").await;
        let owner = user(&server, &client, &["owner"]).await;
        let billing = user(&server, &client, &["billing"]).await;
        Scene {
            server,
            client,
            owner,
            billing,
        }
    }

    async fn payers(&self) -> Vec<Value> {
        self.server.settled().await;
        let listed = self
            .server
            .get(&format!("/v1/clients/{}/payers", self.client))
            .await;
        assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
        listed.body["items"].as_array().unwrap().clone()
    }
}

/// The form's idempotency key on the account page.
fn key(html: &str) -> String {
    let marker = "name=\"key\" value=\"";
    let start = html.find(marker).expect("the payer form's key") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn payers_of_each_kind_added_and_edited_in_the_panel_are_listed_by_the_api() {
    // Arrange
    let scene = Scene::new().await;
    let owner = MyPanel::sign_in(&scene.server, &scene.owner, PASSWORD).await;
    let kinds = [
        ("individual", "Ada Lovelace", "GB", ""),
        ("company", "Analytical Engines Ltd", "GB", "01234567"),
        ("sole_proprietor", "Babbage e.U.", "AT", "FN 1a"),
    ];

    // Act: add one of each kind, the first twice with the same form (a double submit).
    let mut added = Vec::new();
    for (kind, name, country, registration) in kinds {
        let page = owner.get("/my/account").await;
        let key = key(&page.body);
        let fields = [
            ("key", key.as_str()),
            ("kind", kind),
            ("name", name),
            ("country", country),
            ("registration_number", registration),
            ("address", "1 Main Street\nLondon"),
            ("email", ""),
        ];
        let first = owner
            .post("/my/account", "/my/account/payers", &fields)
            .await;
        if kind == "individual" {
            let again = owner
                .post("/my/account", "/my/account/payers", &fields)
                .await;
            assert!(again.status.is_redirection(), "{again:?}");
        }
        added.push(first);
    }
    let listed = scene.payers().await;
    let company = listed.iter().find(|p| p["kind"] == "company").unwrap()["payer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = format!("/my/account/payers/{company}");
    let shown = owner.get(&form).await;
    let edited = owner
        .post(
            &form,
            &form,
            &[
                ("kind", "sole_proprietor"),
                ("name", "Analytical Engines (Ada)"),
                ("country", "ie"),
                ("registration_number", ""),
                ("address", "2 Side Street\nDublin"),
                ("email", "books@example.com"),
            ],
        )
        .await;
    let after = scene.payers().await;

    // Assert
    for answer in &added {
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{answer:?}");
        assert_eq!(answer.location.as_deref(), Some("/my/account?done=payer"));
    }
    assert_eq!(
        listed.len(),
        3,
        "one of each kind, the repeat added nothing: {listed:?}"
    );
    for (kind, name, country, registration) in kinds {
        let payer = listed.iter().find(|p| p["kind"] == kind).unwrap();
        assert_eq!(payer["name"], name);
        assert_eq!(payer["country"], country);
        assert_eq!(payer["address"], "1 Main Street\nLondon");
        if registration.is_empty() {
            assert!(payer["registration_number"].is_null());
        } else {
            assert_eq!(payer["registration_number"], registration);
        }
    }
    assert_eq!(shown.status, StatusCode::OK, "{shown:?}");
    assert!(shown.body.contains("value=\"Analytical Engines Ltd\""));
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{edited:?}");
    let payer = after
        .iter()
        .find(|p| p["payer_id"] == company.as_str())
        .unwrap();
    assert_eq!(payer["kind"], "sole_proprietor");
    assert_eq!(payer["name"], "Analytical Engines (Ada)");
    assert_eq!(payer["country"], "IE");
    assert!(payer["registration_number"].is_null());
    assert_eq!(payer["address"], "2 Side Street\nDublin");
    assert_eq!(payer["email"], "books@example.com");
    assert_eq!(after.len(), 3);
}

#[tokio::test]
async fn a_refused_payer_shows_the_reason_on_the_form_in_the_users_language_and_writes_nothing() {
    // Arrange
    let scene = Scene::new().await;
    let owner = MyPanel::sign_in(&scene.server, &scene.owner, PASSWORD).await;
    let billing = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;
    owner
        .post(
            "/my/account",
            "/my/account/preferences",
            &[("language", "ru"), ("zone", "UTC")],
        )
        .await;
    let events = scene.server.event_count().await;

    // Act
    let page = owner.get("/my/account").await;
    let bad_country = owner
        .post(
            "/my/account",
            "/my/account/payers",
            &[
                ("key", &key(&page.body)),
                ("kind", "company"),
                ("name", "Acme"),
                ("country", "Germany"),
            ],
        )
        .await;
    let bad_number = owner
        .post(
            "/my/account",
            "/my/account/payers",
            &[
                ("key", &key(&page.body)),
                ("kind", "company"),
                ("name", "Acme"),
                ("country", "DE"),
                ("registration_number", &"9".repeat(65)),
            ],
        )
        .await;
    let by_billing = billing
        .post(
            "/my/account",
            "/my/account/payers",
            &[
                ("key", &key(&page.body)),
                ("kind", "company"),
                ("name", "Acme"),
                ("country", "DE"),
            ],
        )
        .await;
    let billing_page = billing.get("/my/account").await;

    // Assert
    assert_eq!(
        bad_country.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{bad_country:?}"
    );
    assert!(
        bad_country
            .body
            .contains("id=\"payer-error\">Страна указывается двухбуквенным кодом"),
        "{}",
        bad_country.body
    );
    assert!(
        bad_country.body.contains("value=\"Acme\""),
        "the form keeps what was typed"
    );
    assert_eq!(
        bad_number.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{bad_number:?}"
    );
    assert!(
        bad_number
            .body
            .contains("Регистрационный номер должен быть длиной от 1 до 64"),
        "{}",
        bad_number.body
    );
    assert_eq!(by_billing.status, StatusCode::FORBIDDEN, "{by_billing:?}");
    assert!(!billing_page.body.contains("id=\"add-payer\""));
    assert_eq!(scene.server.event_count().await, events, "nothing written");
    assert!(scene.payers().await.is_empty());
}
