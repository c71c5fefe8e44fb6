//! Passwords in the customer panel: a signed-in user changes its own, and a user who forgot it
//! gets an e-mailed one-time link. Either way the old password and every old session stop
//! working, and nothing secret (the password, its hash, the link's MAC) reaches the log.

use std::sync::Arc;
use std::time::Duration;

use eventstore::clock::FixedClock;
use reqwest::StatusCode;
use tests::smtp::SmtpSink;
use tests::{TestDb, TestServer, t0};

use super::{MyPanel, PASSWORD, Page, client, page, user};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// A server whose notifier mails to `sink`, with a clock standing at `t0` until moved, and a
/// client with an owner: the owner's e-mail address.
async fn scene(sink: &SmtpSink) -> (TestServer, Arc<FixedClock>, String, String) {
    let clock = Arc::new(FixedClock::new(t0()));
    let server =
        TestServer::start_mailing(TestDb::new().await, clock.clone(), Some(&sink.url())).await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Ada Lovelace").await;
    let email = user(&server, &client, &["owner"]).await;
    (server, clock, client, email)
}

/// A POST of a form without a session (the sign-in and the forgotten-password forms).
async fn post_open(server: &TestServer, path: &str, form: &[(&str, &str)]) -> Page {
    let answer = client()
        .post(format!("{}{path}", server.url))
        .form(form)
        .send()
        .await
        .unwrap();
    page(answer).await
}

/// `GET` without a session.
async fn get_open(server: &TestServer, path: &str) -> Page {
    let answer = client()
        .get(format!("{}{path}", server.url))
        .send()
        .await
        .unwrap();
    page(answer).await
}

/// Whether `email` signs in with `password` (303 to the panel, else the form again).
async fn signs_in(server: &TestServer, email: &str, password: &str) -> bool {
    let answer = post_open(
        server,
        "/my/login",
        &[("email", email), ("password", password)],
    )
    .await;
    answer.status == StatusCode::SEE_OTHER
}

/// Every event's payload and metadata, as text.
async fn log_text(server: &TestServer) -> String {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT payload::text, metadata::text FROM events")
            .fetch_all(&server.db.pool)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(payload, metadata)| format!("{payload}\n{metadata}\n"))
        .collect()
}

/// The user's password hash as the credential table keeps it.
async fn stored_hash(server: &TestServer, email: &str) -> String {
    sqlx::query_scalar(
        "SELECT c.secret FROM credentials c JOIN client_users u ON c.aggregate_id = u.id::text
          WHERE c.aggregate_type = 'ClientUser' AND u.login = $1",
    )
    .bind(email)
    .fetch_one(&server.db.pool)
    .await
    .unwrap()
}

/// The reset link's path and query in a mail's text.
fn link_of(body: &str) -> String {
    let start = body
        .find("/my/password-reset/")
        .expect("a reset link in the mail");
    body[start..].split_whitespace().next().unwrap().to_owned()
}

/// The link's `name` parameter.
fn param<'a>(link: &'a str, name: &str) -> &'a str {
    let marker = format!("{name}=");
    let start = link.find(&marker).unwrap() + marker.len();
    link[start..].split('&').next().unwrap()
}

/// Asks for a reset link for `email` and waits for its mail: the link.
async fn ask_link(server: &TestServer, sink: &SmtpSink, email: &str, mails: usize) -> String {
    let asked = post_open(server, "/my/password-reset", &[("email", email)]).await;
    assert_eq!(asked.status, StatusCode::OK, "{asked:?}");
    assert!(asked.body.contains("id=\"sent\""), "{}", asked.body);
    let delivered = sink.wait_for(mails, Duration::from_secs(20)).await;
    assert_eq!(delivered.len(), mails, "one mail per ask");
    let mail = delivered.last().unwrap();
    assert_eq!(mail.header("To").unwrap_or_default(), email);
    link_of(&mail.body())
}

/// Sets `password` through `link`.
async fn use_link(server: &TestServer, link: &str, password: &str) -> Page {
    let path = link.split('?').next().unwrap();
    post_open(
        server,
        path,
        &[
            ("user", param(link, "user")),
            ("mac", param(link, "mac")),
            ("password", password),
            ("again", password),
        ],
    )
    .await
}

#[tokio::test]
async fn a_changed_password_replaces_the_old_one_and_signs_the_other_sessions_out() {
    // Arrange: the owner signed in twice (two browsers).
    let sink = SmtpSink::start().await;
    let (server, _clock, _client, email) = scene(&sink).await;
    let here = MyPanel::sign_in(&server, &email, PASSWORD).await;
    let elsewhere = MyPanel::sign_in(&server, &email, PASSWORD).await;
    let events = server.event_count().await;

    // Act: a wrong current password, a forged CSRF token, then the change.
    let wrong = here
        .post(
            "/my/account",
            "/my/account/password",
            &[
                ("current", "not my password"),
                ("new", NEW_PASSWORD),
                ("again", NEW_PASSWORD),
            ],
        )
        .await;
    let forged = here
        .post(
            "/my/account",
            "/my/account/password",
            &[
                ("csrf", "00"),
                ("current", PASSWORD),
                ("new", NEW_PASSWORD),
                ("again", NEW_PASSWORD),
            ],
        )
        .await;
    let unwritten = server.event_count().await;
    let changed = here
        .post(
            "/my/account",
            "/my/account/password",
            &[
                ("current", PASSWORD),
                ("new", NEW_PASSWORD),
                ("again", NEW_PASSWORD),
            ],
        )
        .await;

    // Assert
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong:?}");
    assert!(
        wrong.body.contains("not your current password"),
        "{}",
        wrong.body
    );
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(unwritten, events, "a refused change writes nothing");
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{changed:?}");
    assert_eq!(
        changed.location.as_deref(),
        Some("/my/account?done=password")
    );
    let gone = elsewhere.get("/my").await;
    assert_eq!(
        gone.status,
        StatusCode::SEE_OTHER,
        "the other session is signed out"
    );
    assert_eq!(gone.location.as_deref(), Some("/my/login"));
    let old_here = here.get("/my").await;
    assert_eq!(
        old_here.location.as_deref(),
        Some("/my/login"),
        "so is the old cookie"
    );
    assert!(
        !signs_in(&server, &email, PASSWORD).await,
        "the old password is refused"
    );
    let again = MyPanel::sign_in(&server, &email, NEW_PASSWORD).await;
    assert_eq!(again.get("/my/account").await.status, StatusCode::OK);
    let log = log_text(&server).await;
    let hash = stored_hash(&server, &email).await;
    for secret in [PASSWORD, NEW_PASSWORD, hash.as_str()] {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
}

#[tokio::test]
async fn an_emailed_link_sets_a_new_password_once_and_signs_the_old_sessions_out() {
    // Arrange
    let sink = SmtpSink::start().await;
    let (server, _clock, _client, email) = scene(&sink).await;
    let session = MyPanel::sign_in(&server, &email, PASSWORD).await;
    let login_page = get_open(&server, "/my/login").await;
    assert!(login_page.body.contains("href=\"/my/password-reset\""));

    // Act
    let link = ask_link(&server, &sink, &email, 1).await;
    let form = get_open(&server, &link).await;
    let reset = use_link(&server, &link, NEW_PASSWORD).await;
    let second = use_link(&server, &link, "yet another passphrase").await;

    // Assert
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("id=\"set-password\""), "{}", form.body);
    assert_eq!(reset.status, StatusCode::OK, "{reset:?}");
    assert!(reset.body.contains("id=\"reset-done\""), "{}", reset.body);
    assert_eq!(
        second.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a link works once"
    );
    assert!(second.body.contains("id=\"link-invalid\""));
    assert_eq!(
        session.get("/my").await.location.as_deref(),
        Some("/my/login")
    );
    assert!(!signs_in(&server, &email, PASSWORD).await);
    assert!(signs_in(&server, &email, NEW_PASSWORD).await);
    assert!(!signs_in(&server, &email, "yet another passphrase").await);
    let log = log_text(&server).await;
    let hash = stored_hash(&server, &email).await;
    let mac = param(&link, "mac");
    for secret in [PASSWORD, NEW_PASSWORD, hash.as_str(), mac] {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
    let outbox: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(mail_body, '') FROM notifications WHERE kind = 'password_reset'",
    )
    .fetch_all(&server.db.pool)
    .await
    .unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(!outbox[0].contains(mac), "the outbox keeps no link");
}

#[tokio::test]
async fn a_forged_replaced_or_expired_link_is_refused_and_changes_nothing() {
    // Arrange
    let sink = SmtpSink::start().await;
    let (server, clock, _client, email) = scene(&sink).await;
    let first = ask_link(&server, &sink, &email, 1).await;
    let second = ask_link(&server, &sink, &email, 2).await;

    // Act
    let forged_mac = format!(
        "{}?user={}&mac={}",
        second.split('?').next().unwrap(),
        param(&second, "user"),
        "ab".repeat(32)
    );
    let forged = use_link(&server, &forged_mac, NEW_PASSWORD).await;
    let replaced = use_link(&server, &first, NEW_PASSWORD).await;
    clock.advance(chrono::Duration::minutes(61));
    let expired = use_link(&server, &second, NEW_PASSWORD).await;

    // Assert
    for refused in [&forged, &replaced, &expired] {
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
        assert!(
            refused.body.contains("id=\"link-invalid\""),
            "{}",
            refused.body
        );
    }
    assert!(
        signs_in(&server, &email, PASSWORD).await,
        "the password is unchanged"
    );
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_mail() {
    // Arrange
    let sink = SmtpSink::start().await;
    let (server, _clock, _client, email) = scene(&sink).await;
    let events = server.event_count().await;

    // Act
    let unknown = post_open(
        &server,
        "/my/password-reset",
        &[("email", "nobody@example.com")],
    )
    .await;
    let api = server
        .post(
            "/v1/auth/password-resets",
            serde_json::json!({"email": "nobody@example.com"}),
        )
        .await;
    let known = post_open(&server, "/my/password-reset", &[("email", email.as_str())]).await;
    let delivered = sink.wait_for(1, Duration::from_secs(20)).await;
    server.settled().await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Assert
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body, "no account enumeration");
    assert_eq!(api.status, StatusCode::ACCEPTED);
    assert_eq!(
        server.event_count().await,
        events + 1,
        "only the known address's request"
    );
    assert_eq!(sink.mails().len(), 1, "{delivered:?}");
    assert_eq!(sink.mails()[0].header("To").unwrap_or_default(), email);
}
