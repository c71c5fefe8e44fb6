//! A client's users' roles and status, over the API and from the owner's form on `/my`: the
//! client always keeps an enabled owner, a disabled user's sessions end at once and it cannot
//! sign in, and only the owner reaches the form.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{Answer, TestServer, answer};

use super::{MyPanel, PASSWORD, client, user};

/// A client with one owner and one billing user, and their ids.
struct Scene {
    server: TestServer,
    provider: String,
    client: String,
    owner: String,
    owner_id: String,
    billing: String,
    billing_id: String,
}

async fn id_of(server: &TestServer, client: &str, email: &str) -> String {
    let users = server.get(&format!("/v1/clients/{client}/users")).await;
    users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .unwrap()
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Ada Lovelace").await;
        let owner = user(&server, &client, &["owner"]).await;
        let billing = user(&server, &client, &["billing"]).await;
        let owner_id = id_of(&server, &client, &owner).await;
        let billing_id = id_of(&server, &client, &billing).await;
        Scene {
            server,
            provider,
            client,
            owner,
            owner_id,
            billing,
            billing_id,
        }
    }

    /// A token of the user `email`, signed in over the API.
    async fn token(&self, email: &str) -> String {
        let login = self
            .server
            .post(
                "/v1/auth/login",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{login:?}");
        login.body["token"].as_str().unwrap().to_owned()
    }

    /// A call of the API with `token`.
    async fn with(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .server
            .http
            .request(method, format!("{}{path}", self.server.url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    async fn roles(&self, email: &str) -> Value {
        self.server.settled().await;
        let users = self
            .server
            .get(&format!("/v1/clients/{}/users", self.client))
            .await;
        users.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .map(|u| json!({"roles": u["roles"], "status": u["status"]}))
            .unwrap()
    }
}

#[tokio::test]
async fn over_the_api_the_last_enabled_owner_can_be_neither_demoted_nor_disabled() {
    // Arrange
    let scene = Scene::new().await;
    let owner_roles = format!(
        "/v1/clients/{}/users/{}/roles",
        scene.client, scene.owner_id
    );
    let owner_disable = format!(
        "/v1/clients/{}/users/{}/disable",
        scene.client, scene.owner_id
    );
    let owner = scene.token(&scene.owner).await;
    let billing = scene.token(&scene.billing).await;
    let events = scene.server.event_count().await;

    // Act
    let demoted = scene
        .with(
            &owner,
            Method::PUT,
            &owner_roles,
            Some(json!({"roles": ["billing"]})),
        )
        .await;
    let disabled = scene.server.post(&owner_disable, json!({})).await;
    let unknown = scene
        .server
        .call(
            Method::PUT,
            &format!(
                "/v1/clients/{}/users/{}/roles",
                scene.client,
                uuid::Uuid::now_v7()
            ),
            Some(json!({"roles": ["billing"]})),
        )
        .await;
    let no_roles = scene
        .server
        .call(
            Method::PUT,
            &format!(
                "/v1/clients/{}/users/{}/roles",
                scene.client, scene.billing_id
            ),
            Some(json!({"roles": []})),
        )
        .await;
    let by_billing = scene
        .with(&billing, Method::POST, &owner_disable, None)
        .await;
    let written = scene.server.event_count().await - events;
    // A second owner first: then the first may step down.
    let promoted = scene
        .with(
            &owner,
            Method::PUT,
            &format!(
                "/v1/clients/{}/users/{}/roles",
                scene.client, scene.billing_id
            ),
            Some(json!({"roles": ["owner", "billing"]})),
        )
        .await;
    let stepped_down = scene
        .with(
            &owner,
            Method::PUT,
            &owner_roles,
            Some(json!({"roles": ["technical"]})),
        )
        .await;

    // Assert
    for refused in [&demoted, &disabled] {
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
        assert_eq!(refused.content_type, "application/problem+json");
        assert_eq!(refused.body["code"], "last_owner", "{refused:?}");
    }
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");
    assert_eq!(unknown.body["code"], "user_not_found");
    assert_eq!(
        no_roles.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{no_roles:?}"
    );
    assert_eq!(no_roles.body["code"], "no_roles");
    assert_eq!(by_billing.status, StatusCode::FORBIDDEN, "{by_billing:?}");
    assert_eq!(written, 0, "refusals write nothing");
    assert_eq!(promoted.status, StatusCode::OK, "{promoted:?}");
    assert_eq!(stepped_down.status, StatusCode::OK, "{stepped_down:?}");
    assert_eq!(
        scene.roles(&scene.owner).await,
        json!({"roles": ["technical"], "status": "active"})
    );
    assert_eq!(
        scene.roles(&scene.billing).await,
        json!({"roles": ["owner", "billing"], "status": "active"})
    );
}

#[tokio::test]
async fn a_staff_member_with_clients_write_changes_a_users_roles_and_another_clients_user_is_not_found()
 {
    // Arrange
    let scene = Scene::new().await;
    let other = scene.server.client(&scene.provider, "Bob Secretive").await;
    let department = scene
        .server
        .post(
            "/v1/departments",
            json!({"name": "Accounts", "permissions": ["clients:write"]}),
        )
        .await;
    assert_eq!(department.status, StatusCode::CREATED, "{department:?}");
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    let staff = scene
        .server
        .post(
            "/v1/staff",
            json!({"name": "Staff", "email": email, "password": PASSWORD,
                   "departments": [department.body["id"]]}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{staff:?}");
    let token = scene.token(&email).await;

    // Act
    let set = scene
        .with(
            &token,
            Method::PUT,
            &format!(
                "/v1/clients/{}/users/{}/roles",
                scene.client, scene.billing_id
            ),
            Some(json!({"roles": ["technical"]})),
        )
        .await;
    let elsewhere = scene
        .with(
            &token,
            Method::POST,
            &format!("/v1/clients/{other}/users/{}/disable", scene.billing_id),
            None,
        )
        .await;

    // Assert
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    assert_eq!(
        scene.roles(&scene.billing).await,
        json!({"roles": ["technical"], "status": "active"})
    );
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{elsewhere:?}");
    assert_eq!(elsewhere.body["code"], "user_not_found");
}

#[tokio::test]
async fn in_the_panel_the_last_owner_is_refused_in_the_users_language_and_nothing_is_written() {
    // Arrange
    let scene = Scene::new().await;
    let owner = MyPanel::sign_in(&scene.server, &scene.owner, PASSWORD).await;
    let form = format!("/my/account/users/{}", scene.owner_id);
    owner
        .post(
            "/my/account",
            "/my/account/preferences",
            &[("language", "ru"), ("zone", "UTC")],
        )
        .await;
    let events = scene.server.event_count().await;

    // Act
    let shown = owner.get(&form).await;
    let demoted = owner
        .post(&form, &format!("{form}/roles"), &[("role", "billing")])
        .await;
    let disabled = owner.post(&form, &format!("{form}/disable"), &[]).await;

    // Assert
    assert_eq!(shown.status, StatusCode::OK, "{shown:?}");
    assert!(
        shown.body.contains("value=\"owner\" checked"),
        "{}",
        shown.body
    );
    for refused in [&demoted, &disabled] {
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
        assert!(
            refused.body.contains("хотя бы один включённый владелец"),
            "{}",
            refused.body
        );
    }
    assert_eq!(scene.server.event_count().await, events, "nothing written");
    assert_eq!(
        scene.roles(&scene.owner).await,
        json!({"roles": ["owner"], "status": "active"})
    );
}

#[tokio::test]
async fn a_user_disabled_from_the_panel_is_signed_out_at_once_and_cannot_sign_in_until_enabled() {
    // Arrange
    let scene = Scene::new().await;
    let owner = MyPanel::sign_in(&scene.server, &scene.owner, PASSWORD).await;
    let billing = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;
    assert_eq!(billing.get("/my").await.status, StatusCode::OK);
    let form = format!("/my/account/users/{}", scene.billing_id);

    // Act
    let disabled = owner.post(&form, &format!("{form}/disable"), &[]).await;
    let after = billing.get("/my").await;
    let sign_in = client()
        .post(format!("{}/my/login", scene.server.url))
        .form(&[("email", scene.billing.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let refused_status = sign_in.status();
    let shown = owner.get("/my/account").await;
    let enabled = owner.post(&form, &format!("{form}/enable"), &[]).await;
    let old_session = billing.get("/my").await;
    let again = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;

    // Assert
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{disabled:?}");
    assert_eq!(
        disabled.location.as_deref(),
        Some("/my/account?done=disable")
    );
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "the session ended at once"
    );
    assert_eq!(after.location.as_deref(), Some("/my/login"));
    assert_ne!(
        refused_status,
        StatusCode::SEE_OTHER,
        "a disabled user cannot sign in"
    );
    assert!(shown.body.contains(">disabled<"), "{}", shown.body);
    assert_eq!(enabled.status, StatusCode::SEE_OTHER, "{enabled:?}");
    assert_eq!(
        old_session.status,
        StatusCode::SEE_OTHER,
        "enabling brings no old session back"
    );
    assert_eq!(again.get("/my").await.status, StatusCode::OK);
    assert_eq!(
        scene.roles(&scene.billing).await,
        json!({"roles": ["billing"], "status": "active"})
    );
}

#[tokio::test]
async fn a_billing_user_cannot_reach_the_users_form_and_the_owner_changes_roles_there() {
    // Arrange
    let scene = Scene::new().await;
    let owner = MyPanel::sign_in(&scene.server, &scene.owner, PASSWORD).await;
    let billing = MyPanel::sign_in(&scene.server, &scene.billing, PASSWORD).await;
    let form = format!("/my/account/users/{}", scene.billing_id);
    let events = scene.server.event_count().await;

    // Act
    let opened = billing.get(&form).await;
    let own = billing
        .get(&format!("/my/account/users/{}", scene.owner_id))
        .await;
    let posted = billing
        .post(
            "/my/account",
            &format!("{form}/roles"),
            &[("role", "owner")],
        )
        .await;
    let unwritten = scene.server.event_count().await;
    let set = owner
        .post(
            &form,
            &format!("{form}/roles"),
            &[("role", "billing"), ("role", "technical")],
        )
        .await;
    let none = owner.post(&form, &format!("{form}/roles"), &[]).await;
    let list = owner.get("/my/account").await;

    // Assert
    for page in [&opened, &own, &posted] {
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{page:?}");
    }
    assert_eq!(unwritten, events, "nothing written");
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{set:?}");
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY, "{none:?}");
    assert!(
        none.body.contains("Tick at least one role"),
        "{}",
        none.body
    );
    assert!(
        list.body.contains(&format!("href=\"{form}\"")),
        "an edit link"
    );
    assert_eq!(
        scene.roles(&scene.billing).await,
        json!({"roles": ["billing", "technical"], "status": "active"})
    );
}

#[tokio::test]
async fn a_disable_the_directory_decided_before_a_crash_reaches_the_users_stream() {
    // Arrange: the directory's decision written and the process stopped before the user's own
    // stream followed, as a crash between the use case's two writes leaves it.
    use domain::access::{ClientRole, DirectoryCommand, Member, UserDirectory};
    use domain::ids::UserId;
    let scene = Scene::new().await;
    let token = scene.token(&scene.billing).await;
    let before = scene.with(&token, Method::GET, "/v1/auth/me", None).await;
    let member = |role: ClientRole| Member {
        roles: [role].into_iter().collect(),
        enabled: true,
    };
    let billing_id: UserId = scene.billing_id.parse().unwrap();
    let users = [
        (scene.owner_id.parse().unwrap(), member(ClientRole::Owner)),
        (billing_id, member(ClientRole::Billing)),
    ]
    .into_iter()
    .collect();
    let store = &scene.server.running.as_ref().unwrap().state.store;
    store
        .execute::<UserDirectory>(
            &scene.client,
            DirectoryCommand::DisableUser {
                user_id: billing_id,
                users,
            },
            &eventstore::metadata::CommandContext::new(eventstore::metadata::Actor::System(
                "a change that crashed".to_owned(),
            )),
            &[],
        )
        .await
        .unwrap();

    // Act: the node's process managers run on.
    let status = scene.roles(&scene.billing).await;
    let after = scene.with(&token, Method::GET, "/v1/auth/me", None).await;
    let login = scene
        .server
        .post(
            "/v1/auth/login",
            json!({"email": scene.billing, "password": PASSWORD}),
        )
        .await;

    // Assert
    assert_eq!(before.status, StatusCode::OK, "{before:?}");
    assert_eq!(status["status"], "disabled", "{status}");
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{after:?}");
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "{login:?}");
}
