//! The account page of the customer panel: the user's own preferences (which follow it to any
//! browser), the client's payers, its users and roles (the owner's), and its notice
//! subscriptions.

use reqwest::StatusCode;
use serde_json::json;
use tests::TestServer;

use super::{MyPanel, PASSWORD, user};

/// A client with an owner, a billing and a technical user, and one payer.
struct Scene {
    server: TestServer,
    client: String,
    owner: String,
    billing: String,
    technical: String,
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Ada Lovelace").await;
        let payer = server
            .post(
                &format!("/v1/clients/{client}/payers"),
                json!({ "payer_id": uuid::Uuid::now_v7(), "kind": "company",
                        "name": "Analytical Engines Ltd", "country": "GB",
                        "vat_number": "GB123456789" }),
            )
            .await;
        assert_eq!(payer.status, StatusCode::CREATED, "{payer:?}");
        let owner = user(&server, &client, &["owner"]).await;
        let billing = user(&server, &client, &["billing"]).await;
        let technical = user(&server, &client, &["technical"]).await;
        server.settled().await;
        Scene {
            server,
            client,
            owner,
            billing,
            technical,
        }
    }
}

#[tokio::test]
async fn the_owner_sees_payers_and_users_and_other_roles_see_no_users() {
    // Arrange
    let scene = Scene::new().await;

    // Act
    let owner = MyPanel::sign_in(&scene.server, &scene.owner, PASSWORD).await;
    let owners = owner.get("/my/account").await;
    let billing = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;
    let billings = billing.get("/my/account").await;
    let technical = MyPanel::sign_in(&scene.server, &scene.technical, PASSWORD).await;
    let technicals = technical.get("/my/account").await;

    // Assert
    assert_eq!(owners.status, StatusCode::OK, "{owners:?}");
    assert!(owners.body.contains("Analytical Engines Ltd"));
    assert!(owners.body.contains("GB123456789"));
    assert!(owners.body.contains("id=\"users\""));
    for email in [&scene.owner, &scene.billing, &scene.technical] {
        assert!(owners.body.contains(email.as_str()), "{email} listed");
    }
    assert!(
        owners.body.contains("href=\"/my/account\""),
        "in the navigation"
    );
    for page in [&billings, &technicals] {
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("id=\"users\""),
            "only the owner sees users"
        );
        assert!(
            !page.body.contains(&scene.owner),
            "nor other users' addresses"
        );
        assert!(!page.body.contains("id=\"save-subscriptions\""));
    }
}

#[tokio::test]
async fn preferences_follow_the_user_to_its_next_sign_in() {
    // Arrange
    let scene = Scene::new().await;
    let first = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;

    // Act
    let saved = first
        .post(
            "/my/account",
            "/my/account/preferences",
            &[("language", "ru"), ("zone", "Europe/Berlin")],
        )
        .await;
    let bad = first
        .post(
            "/my/account",
            "/my/account/preferences",
            &[("language", "ru"), ("zone", "Mars/Olympus")],
        )
        .await;
    let second = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;
    let shown = second.get("/my/account").await;
    let zoned = second
        .post("/my/account", "/my/time-zone", &[("zone", "Asia/Tokyo")])
        .await;
    let third = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;
    let later = third.get("/my").await;
    let others = MyPanel::sign_in(&scene.server, &scene.owner, PASSWORD).await;
    let owners = others.get("/my").await;

    // Assert
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{saved:?}");
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    assert!(
        shown.body.contains("<option value=\"ru\" selected>"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("value=\"Europe/Berlin\""));
    assert_eq!(zoned.status, StatusCode::SEE_OTHER, "{zoned:?}");
    assert!(
        later.body.contains("value=\"Asia/Tokyo\""),
        "{}",
        later.body
    );
    assert!(
        owners.body.contains("value=\"UTC\""),
        "another user keeps its own zone"
    );
}

#[tokio::test]
async fn the_owner_chooses_the_notices_and_a_forged_form_changes_nothing() {
    // Arrange
    let scene = Scene::new().await;
    let owner = MyPanel::sign_in(&scene.server, &scene.owner, PASSWORD).await;
    let billing = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;
    let events = scene.server.event_count().await;

    // Act
    let forged = owner
        .post(
            "/my/account",
            "/my/account/subscriptions",
            &[("csrf", "00"), ("kind", "invoice_issued")],
        )
        .await;
    let refused = billing
        .post(
            "/my/account",
            "/my/account/subscriptions",
            &[("kind", "invoice_issued")],
        )
        .await;
    let unwritten = scene.server.event_count().await;
    let saved = owner
        .post(
            "/my/account",
            "/my/account/subscriptions",
            &[("kind", "invoice_issued"), ("kind", "low_balance")],
        )
        .await;
    let settings = scene
        .server
        .get(&format!("/v1/clients/{}/notice-settings", scene.client))
        .await;
    let shown = owner.get("/my/account").await;

    // Assert
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(unwritten, events, "refused forms write nothing");
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{saved:?}");
    assert_eq!(
        settings.body["subscriptions"],
        json!(["invoice_issued", "low_balance"])
    );
    assert!(shown.body.contains("value=\"low_balance\" checked"));
    assert!(!shown.body.contains("value=\"ticket_answered\" checked"));
}

#[tokio::test]
async fn the_owner_adds_a_user_with_its_roles_once_and_a_billing_user_cannot() {
    // Arrange
    let scene = Scene::new().await;
    let owner = MyPanel::sign_in(&scene.server, &scene.owner, PASSWORD).await;
    let billing = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    let fields = [
        ("email", email.as_str()),
        ("name", "Charles Babbage"),
        ("password", PASSWORD),
        ("role", "technical"),
        ("role", "billing"),
    ];

    // Act
    let refused = billing
        .post("/my/account", "/my/account/users", &fields)
        .await;
    let added = owner
        .post("/my/account", "/my/account/users", &fields)
        .await;
    let again = owner
        .post("/my/account", "/my/account/users", &fields)
        .await;
    let shown = owner.get("/my/account").await;
    let users = scene
        .server
        .get(&format!("/v1/clients/{}/users", scene.client))
        .await;

    // Assert
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{added:?}");
    assert!(
        again.status.is_redirection() || again.status == StatusCode::CONFLICT,
        "{again:?}"
    );
    assert!(shown.body.contains(&email), "the new user is listed");
    let items = users.body["items"].as_array().unwrap();
    let listed: Vec<&serde_json::Value> = items
        .iter()
        .filter(|u| u["email"] == email.as_str())
        .collect();
    assert_eq!(listed.len(), 1, "added once: {items:?}");
    assert_eq!(listed[0]["roles"], json!(["billing", "technical"]));
    let new = MyPanel::sign_in(&scene.server, &email, PASSWORD).await;
    assert_eq!(new.get("/my/account").await.status, StatusCode::OK);
}
