//! Import, the rest of issue 19.1: the provider's companies, the clients' payers and users (an
//! argon2 hash kept, any other format a forced reset), and the invoices left open there.
//! The bundles come from the generator of `import.rs`.

use std::sync::Arc;
use std::time::Duration;

use eventstore::clock::FixedClock;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;
use tests::smtp::SmtpSink;
use tests::{TestDb, TestServer, t0};

use super::import::{derived, generate};

const PASSWORD: &str = "moved from whmcs";
const NEW_PASSWORD: &str = "a brand new passphrase";

/// `POST /v1/auth/login` without a token: its status.
async fn login(server: &TestServer, email: &str, password: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("sign in")
        .status()
}

/// Every event's payload and metadata, as text.
async fn log_text(server: &TestServer) -> String {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT payload::text, metadata::text FROM events")
            .fetch_all(&server.db.pool)
            .await
            .expect("read the log");
    rows.into_iter()
        .map(|(payload, metadata)| format!("{payload}\n{metadata}\n"))
        .collect()
}

/// The reset link's `name` parameter.
fn param<'a>(link: &'a str, name: &str) -> &'a str {
    let marker = format!("{name}=");
    let start = link.find(&marker).expect("a parameter") + marker.len();
    link[start..].split('&').next().expect("a value")
}

#[tokio::test]
async fn an_imported_user_signs_in_with_its_argon2_password_and_one_without_only_after_a_reset() {
    // Arrange: a bundle whose first user has an argon2 hash of its password and whose second
    // has a WHMCS md5 hash, on a server that mails.
    let sink = SmtpSink::start().await;
    let clock = Arc::new(FixedClock::new(t0()));
    let server = TestServer::start_mailing(TestDb::new().await, clock, Some(&sink.url())).await;
    let mut bundle = generate(20).bundle;
    let hash = api::usecases::access::secret::hash_password(PASSWORD)
        .await
        .expect("hash");
    bundle["users"][0]["password_hash"] = json!(hash.as_phc());
    assert_eq!(bundle["users"][1]["email"], json!("user10@example.com"));

    // Act
    let answer = server.post("/v1/imports", bundle.clone()).await;

    // Assert: everything brought over, the md5 user counted as needing a reset.
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["companies"]["imported"], json!(1));
    assert_eq!(answer.body["payers"]["imported"], json!(2));
    assert_eq!(answer.body["users"]["imported"], json!(2));
    assert_eq!(answer.body["users_reset_required"], json!(1));
    server.settled().await;
    assert_eq!(
        login(&server, "user0@example.com", PASSWORD).await,
        StatusCode::OK
    );
    assert_eq!(
        login(&server, "user0@example.com", "a wrong password").await,
        StatusCode::UNAUTHORIZED
    );
    // The md5 user cannot sign in, not even with the password its old hash was of.
    assert_eq!(
        login(&server, "user10@example.com", "password").await,
        StatusCode::UNAUTHORIZED
    );
    // No hash reaches the log; the forced reset is a flag of the event.
    let log = log_text(&server).await;
    assert!(!log.contains("$argon2"), "an argon2 hash in the log");
    assert!(
        !log.contains("5f4dcc3b5aa765d61d8327deb882cf99"),
        "an md5 hash in the log"
    );
    let flags: Vec<(String, bool)> = sqlx::query_as(
        "SELECT payload->'ClientUserImported'->'source'->>'id',
                (payload->'ClientUserImported'->>'password_reset_required')::boolean
           FROM events WHERE event_type = 'ClientUserImported' ORDER BY 1",
    )
    .fetch_all(&server.db.pool)
    .await
    .expect("read the users' events");
    assert_eq!(
        flags,
        vec![("u0".to_owned(), false), ("u10".to_owned(), true)]
    );
    // The company and the payers are in their read models, naming their client.
    let company: String =
        sqlx::query_scalar("SELECT name FROM companies WHERE company_id = $1::uuid")
            .bind(derived("company", "co1"))
            .fetch_one(&server.db.pool)
            .await
            .expect("the company");
    assert_eq!(company, "Moved Hosting GmbH");
    let payer: (String, uuid::Uuid) =
        sqlx::query_as("SELECT name, client_id FROM payers WHERE payer_id = $1::uuid")
            .bind(derived("payer", "pr10"))
            .fetch_one(&server.db.pool)
            .await
            .expect("the payer");
    assert_eq!(payer.0, "Client 10 GmbH");
    assert_eq!(payer.1.to_string(), derived("client", "c10"));

    // Act: the md5 user asks for a reset link and sets a password through it.
    let asked = reqwest::Client::new()
        .post(format!("{}/v1/auth/password-resets", server.url))
        .json(&json!({"email": "user10@example.com"}))
        .send()
        .await
        .expect("ask for a link");
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let mails = sink.wait_for(1, Duration::from_secs(20)).await;
    let body = mails.last().expect("a mail").body();
    let start = body.find("/my/password-reset/").expect("a reset link");
    let link = body[start..].split_whitespace().next().expect("the link");
    let request_id = link["/my/password-reset/".len()..]
        .split('?')
        .next()
        .expect("the request id");
    let reset = server
        .post(
            &format!("/v1/auth/password-resets/{request_id}"),
            json!({"user_id": param(link, "user"), "mac": param(link, "mac"),
                   "password": NEW_PASSWORD}),
        )
        .await;

    // Assert: now it signs in with its new password.
    assert_eq!(reset.status, StatusCode::OK, "{:?}", reset.body);
    assert_eq!(
        login(&server, "user10@example.com", NEW_PASSWORD).await,
        StatusCode::OK
    );

    // A second import leaves the users alone (the new password stays).
    let again = server.post("/v1/imports", bundle).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["users"]["unchanged"], json!(2));
    assert_eq!(again.body["events"], json!(0));
    assert_eq!(
        login(&server, "user10@example.com", NEW_PASSWORD).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_login_taken_here_already_is_a_bad_row_and_nothing_is_written() {
    // Arrange: a user of a client created here signs in with the login of the bundle's user.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Ada Lovelace").await;
    let created = server
        .post(
            &format!("/v1/clients/{client}/users"),
            json!({"email": "user0@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let before = server.event_count().await;

    // Act
    let answer = server.post("/v1/imports", generate(3).bundle).await;

    // Assert
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        answer.body
    );
    assert_eq!(answer.body["errors"][0]["entity"], json!("users"));
    assert_eq!(answer.body["errors"][0]["field"], json!("email"));
    assert_eq!(server.event_count().await, before);
}

#[tokio::test]
async fn an_open_invoice_is_imported_issued_with_its_number_and_the_balance_is_not_touched_again() {
    // Arrange
    let server = TestServer::start().await;
    let generated = generate(20);
    let client = derived("client", "c10");

    // Act
    let answer = server.post("/v1/imports", generated.bundle.clone()).await;

    // Assert: the invoice is issued with the source's number and its priced totals.
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["invoices"]["imported"], json!(2));
    let head = server.settled().await;
    let invoice = server
        .get(&format!(
            "/v1/invoices/{}?min_position={head}",
            derived("invoice", "i10")
        ))
        .await;
    assert_eq!(invoice.status, StatusCode::OK, "{:?}", invoice.body);
    assert_eq!(invoice.body["number"], json!("WH-1010"));
    assert_eq!(invoice.body["status"], json!("issued"));
    assert_eq!(invoice.body["client_id"], json!(client));
    assert_eq!(invoice.body["net"], json!("13.00"));
    assert_eq!(invoice.body["tax"], json!("2.47"));
    assert_eq!(invoice.body["gross"], json!("15.47"));
    assert_eq!(invoice.body["due_on"], json!("2027-01-24"));
    let listed = server
        .get(&format!("/v1/invoices?client_id={client}"))
        .await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    // Nothing charged and nothing posted: the balance is the bundle's, which holds the invoice.
    let moved: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'Account'
            AND event_type NOT IN ('AccountOpened', 'BalanceImported', 'CreditLimitSet')",
    )
    .fetch_one(&server.db.pool)
    .await
    .expect("count account events");
    assert_eq!(moved, 0);
    let balance = server.get(&format!("/v1/clients/{client}/balance")).await;
    let imported = generated.balances[&client];
    let shown: Decimal = balance.body["accounts"][0]["balance"]
        .as_str()
        .map_or(Decimal::MIN, |b| b.parse().expect("a balance"));
    assert_eq!(shown, imported, "{:?}", balance.body);
    // A second import writes nothing.
    let again = server.post("/v1/imports", generated.bundle).await;
    assert_eq!(again.body["invoices"]["unchanged"], json!(2));
    assert_eq!(again.body["events"], json!(0));
}
