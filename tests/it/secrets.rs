//! Issue 13.4 (ADR 11): no password hash and no token digest in the events, the sealed log, the
//! audit stream, the action log or any read model; the secrets live in `credentials`, written
//! with their events, and logins and bearer tokens are checked against it, also for a database
//! whose old events still hold them.

use std::sync::Arc;

use domain::access::{StaffCommand, StaffMember};
use domain::ids::{StaffId, UserId};
use eventstore::clock::SystemClock;
use eventstore::log::LogPosition;
use eventstore::metadata::{Actor, CommandContext};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tests::{Answer, TestDb, TestServer};
use uuid::Uuid;

use crate::projections::wait_caught_up;

const PASSWORD: &str = "correct horse battery";

async fn login(server: &TestServer, email: &str, password: &str) -> Answer {
    let response = server
        .http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    tests::answer(response).await
}

async fn logged_in(server: &TestServer, email: &str, password: &str) -> String {
    let answer = login(server, email, password).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body["token"].as_str().unwrap().to_owned()
}

async fn me(server: &TestServer, bearer: &str) -> Answer {
    let response = server
        .http
        .get(format!("{}/v1/auth/me", server.url))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    tests::answer(response).await
}

/// Waits until every projection (the seal and the action log among them) has the whole log.
async fn settle(server: &TestServer) {
    let head = eventstore::log::head_position(&server.db.pool)
        .await
        .unwrap();
    wait_caught_up(server, head).await;
}

/// What `billing audit stream` writes: the NDJSON of the whole log.
async fn audit_stream(server: &TestServer) -> String {
    let file = std::env::temp_dir().join(format!("audit-{}.ndjson", Uuid::now_v7().simple()));
    let report = api::cli::audit::stream(&server.url, tests::ADMIN_TOKEN, 0, Some(&file))
        .await
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert_eq!(report.unsealed, 0, "the whole log is sealed");
    text
}

/// Every secret kept in `credentials`, with its kind.
async fn credentials(pool: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as("SELECT kind, secret FROM credentials ORDER BY kind, secret")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The text of every row of every table but `credentials` (and those in `except`).
async fn every_other_table(pool: &PgPool, except: &[&str]) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
            AND table_name <> 'credentials'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut text = String::new();
    for table in tables.iter().filter(|t| !except.contains(&t.as_str())) {
        let rows: Option<String> = sqlx::query_scalar(&format!(
            "SELECT string_agg(t::text, E'\\n') FROM {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        text.push_str(table);
        text.push('\n');
        text.push_str(&rows.unwrap_or_default());
        text.push('\n');
    }
    text
}

/// Asserts that `text` holds no argon2 hash and none of `secrets`.
fn assert_no_secret(what: &str, text: &str, secrets: &[(String, String)]) {
    assert!(!text.contains("$argon2"), "{what} holds an argon2 hash");
    for (kind, secret) in secrets {
        assert!(!text.contains(secret.as_str()), "{what} holds a {kind}");
    }
}

async fn verify_clean(pool: &PgPool) -> u64 {
    let verification = projections::seal::verify(pool, None).await.unwrap();
    assert!(verification.clean, "{verification:?}");
    assert_eq!(verification.unsealed, 0, "{verification:?}");
    verification.events_checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_stream_and_every_read_model_carry_no_password_hash_and_no_token_digest() {
    // Arrange: a staff member, a client's user, their logins, a service token, a revocation.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server
        .post(
            "/v1/clients",
            json!({"provider_id": provider, "name": "Client A", "email": "a@example.com",
                   "kind": "individual", "country": "DE",
                   "user": {"email": "owner@example.com", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(client.status, StatusCode::CREATED, "{client:?}");
    let staff = server
        .post(
            "/v1/staff",
            json!({"name": "Bob", "email": "bob@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{staff:?}");
    // The read models are built first: a login's announcement query meanwhile can deadlock with
    // the first build's TRUNCATE of the support tables (seen here; not this issue's).
    settle(&server).await;
    let staff_token = logged_in(&server, "bob@example.com", PASSWORD).await;
    let user_token = logged_in(&server, "owner@example.com", PASSWORD).await;
    let service = server
        .post(
            "/v1/service-tokens",
            json!({"name": "gateway", "scopes": ["clients:read"]}),
        )
        .await;
    assert_eq!(service.status, StatusCode::CREATED, "{service:?}");
    let service_token = service.body["token"].as_str().unwrap().to_owned();
    let revoked = logged_in(&server, "bob@example.com", PASSWORD).await;
    let logout = server
        .http
        .post(format!("{}/v1/auth/logout", server.url))
        .bearer_auth(&revoked)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::OK);
    settle(&server).await;

    // Act
    let stream = audit_stream(&server).await;
    let http = server
        .http
        .get(format!("{}/v1/audit/events", server.url))
        .bearer_auth(tests::ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action_log = server.get("/v1/action-log?limit=500").await;
    let tables = every_other_table(&server.db.pool, &[]).await;

    // Assert: the secrets are in `credentials` (two passwords, four tokens) and nowhere else.
    let secrets = credentials(&server.db.pool).await;
    let kinds: Vec<&str> = secrets.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "password",
            "password",
            "token_sha256",
            "token_sha256",
            "token_sha256",
            "token_sha256"
        ]
    );
    assert!(secrets[0].1.starts_with("$argon2id$"));
    assert!(stream.contains("StaffMemberCreated") && stream.contains("TokenIssued"));
    assert_no_secret("billing audit stream", &stream, &secrets);
    assert_no_secret("GET /v1/audit/events", &http, &secrets);
    assert_no_secret("the action log", &action_log.body.to_string(), &secrets);
    assert_no_secret("the tables", &tables, &secrets);
    assert!(
        tables.contains("bob@example.com"),
        "the dump reads the tables"
    );
    for line in stream.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        if ["StaffMemberCreated", "ClientUserCreated", "TokenIssued"]
            .contains(&event["type"].as_str().unwrap())
        {
            assert_eq!(event["version"], "2.0", "{line}");
        }
    }
    // The chain verifies, and every token still works but the revoked one.
    assert!(verify_clean(&server.db.pool).await > 0);
    assert_eq!(me(&server, &staff_token).await.body["kind"], "staff");
    assert_eq!(me(&server, &user_token).await.body["kind"], "user");
    assert_eq!(me(&server, &service_token).await.body["kind"], "service");
    assert_eq!(me(&server, &revoked).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_replaces_the_credential_and_a_refused_command_writes_none() {
    // Arrange
    let server = TestServer::start().await;
    let staff = server
        .post(
            "/v1/staff",
            json!({"name": "Bob", "email": "bob@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{staff:?}");
    let before = credentials(&server.db.pool).await;

    // Act: the same login again with another password is refused, then the password changes.
    let again = server
        .post(
            "/v1/staff",
            json!({"name": "Bob", "email": "bob@example.com", "password": "another password"}),
        )
        .await;
    let after_refusal = credentials(&server.db.pool).await;
    let staff_id = StaffId::for_login(&domain::access::Login::parse("bob@example.com").unwrap());
    let store = &server.running.as_ref().unwrap().state.store;
    let changed = store
        .execute::<StaffMember>(
            &staff_id.to_string(),
            StaffCommand::SetPassword {
                password_hash: api::usecases::access::secret::hash_password("a new password")
                    .await
                    .unwrap(),
            },
            &CommandContext::new(Actor::Staff("admin".to_owned())),
            &[],
        )
        .await
        .unwrap();

    // Assert
    assert_eq!(again.status, StatusCode::CONFLICT, "{again:?}");
    assert_eq!(
        after_refusal, before,
        "a refused command writes no credential"
    );
    let after_change = credentials(&server.db.pool).await;
    assert_eq!(after_change.len(), 1, "one row per staff member");
    assert_ne!(after_change, before);
    let (version, payload): (String, String) = sqlx::query_as(
        "SELECT event_version, payload::text FROM events WHERE global_position = $1",
    )
    .bind(changed.position)
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (version.as_str(), payload.as_str()),
        ("2.0", r#"{"StaffPasswordSet":{}}"#)
    );
    let old = login(&server, "bob@example.com", PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{old:?}");
    let token = logged_in(&server, "bob@example.com", "a new password").await;
    assert_eq!(me(&server, &token).await.body["kind"], "staff");
}

// An existing database: events of version 1.0 with hashes and digests, sealed under the old
// encoding, then the upgrade.

/// The first migration of ADR 11; a database before the upgrade has every migration before it.
const CREDENTIALS_MIGRATION: i64 = 20261206000513;

async fn migrate_before_the_upgrade(pool: &PgPool) {
    let migrations: Vec<sqlx::migrate::Migration> = eventstore::MIGRATOR
        .migrations
        .iter()
        .filter(|m| m.version < CREDENTIALS_MIGRATION)
        .cloned()
        .collect();
    let old = sqlx::migrate::Migrator {
        migrations: migrations.into(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    old.run(pool).await.unwrap();
}

/// Appends an event as the code before ADR 11 wrote it, at version 1.0.
async fn append_v1(pool: &PgPool, aggregate: (&str, &str), sequence: i64, payload: Value) {
    let event_type = payload.as_object().unwrap().keys().next().unwrap().clone();
    let metadata = json!({"event_id": Uuid::now_v7(), "occurred_at": "2027-01-01T09:00:00Z",
                          "actor": "staff:admin", "command": "Legacy"});
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         VALUES ($1, $2, $3, $4, '1.0', $5::json, $6::json)",
    )
    .bind(aggregate.0)
    .bind(aggregate.1)
    .bind(sequence)
    .bind(event_type)
    .bind(payload.to_string())
    .bind(metadata.to_string())
    .execute(pool)
    .await
    .unwrap();
}

/// Seals the log as the code before ADR 11 did (encoding `billing-seal/1`, payloads as
/// stored), with the seal's checkpoint at version 1 after the last of the `count` events.
async fn seal_as_version_1(pool: &PgPool, count: usize) {
    // The seal reads in safe order: an event is sealed once no older transaction of the
    // cluster (another test's, say) is still running.
    let mut events = Vec::new();
    for _ in 0..1000 {
        events = eventstore::log::read_after_as_stored(pool, LogPosition::default(), 100)
            .await
            .unwrap();
        if events.len() == count {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        events.len(),
        count,
        "the events became readable in safe order"
    );
    let mut prev = [0_u8; 32];
    for event in &events {
        let mut bytes = b"billing-seal/1".to_vec();
        for number in [event.position, event.tx_id, event.sequence] {
            bytes.extend_from_slice(&number.to_be_bytes());
        }
        for text in [
            &event.aggregate_type,
            &event.aggregate_id,
            &event.event_type,
            &event.event_version,
            &event.payload,
            &event.metadata,
        ] {
            bytes.extend_from_slice(&u32::try_from(text.len()).unwrap().to_be_bytes());
            bytes.extend_from_slice(text.as_bytes());
        }
        let hash: [u8; 32] = Sha256::new()
            .chain_update(prev)
            .chain_update(&bytes)
            .finalize()
            .into();
        sqlx::query(
            "INSERT INTO audit_chain (position, tx_id, hash, prev_hash) VALUES ($1, $2, $3, $4)",
        )
        .bind(event.position)
        .bind(event.tx_id)
        .bind(hash.to_vec())
        .bind(prev.to_vec())
        .execute(pool)
        .await
        .unwrap();
        prev = hash;
    }
    let last = events.last().unwrap();
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, tx_id, position, version, events)
         VALUES ('seal', $1::bigint::text::xid8, $2, 1, $3)",
    )
    .bind(last.tx_id)
    .bind(last.position)
    .bind(i64::try_from(events.len()).unwrap())
    .execute(pool)
    .await
    .unwrap();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_version_1_secrets_upgrades_verifies_and_streams_clean_and_still_signs_in()
{
    // Arrange: the old schema and a history written by the old code, hashes in the events.
    let db = TestDb::empty().await;
    migrate_before_the_upgrade(&db.pool).await;
    let staff_login = domain::access::Login::parse("old-admin@example.com").unwrap();
    let staff_id = StaffId::for_login(&staff_login).to_string();
    let first = api::usecases::access::secret::hash_password("first password")
        .await
        .unwrap();
    let second = api::usecases::access::secret::hash_password("second password")
        .await
        .unwrap();
    append_v1(
        &db.pool,
        ("StaffMember", &staff_id),
        1,
        json!({"StaffMemberCreated": {"staff_id": staff_id, "name": "Old Admin",
               "login": staff_login.as_str(), "password_hash": first.as_phc(),
               "departments": [], "grants": [], "administrator": true}}),
    )
    .await;
    append_v1(
        &db.pool,
        ("StaffMember", &staff_id),
        2,
        json!({"StaffPasswordSet": {"password_hash": second.as_phc()}}),
    )
    .await;
    let user_login = domain::access::Login::parse("old-user@example.com").unwrap();
    let user_id = UserId::for_login(&user_login).to_string();
    let user_hash = api::usecases::access::secret::hash_password("user password")
        .await
        .unwrap();
    append_v1(
        &db.pool,
        ("ClientUser", &user_id),
        1,
        json!({"ClientUserCreated": {"user_id": user_id, "client_id": Uuid::from_u128(7),
               "name": "Old User", "login": user_login.as_str(),
               "password_hash": user_hash.as_phc(), "roles": ["owner"]}}),
    )
    .await;
    let token_id = Uuid::now_v7();
    let token_secret = [7_u8; 32];
    let digest = hex(&Sha256::digest(token_secret));
    let bearer = format!("bt_{}_{}", token_id.simple(), hex(&token_secret));
    append_v1(
        &db.pool,
        ("AccessToken", &token_id.to_string()),
        1,
        json!({"TokenIssued": {"token_id": token_id,
               "subject": {"kind": "service", "name": "gateway", "scopes": ["clients:read"]},
               "secret_sha256": digest, "issued_at": "2027-01-01T09:00:00Z",
               "expires_at": null}}),
    )
    .await;
    seal_as_version_1(&db.pool, 4).await;
    let before_the_migration = verify_clean(&db.pool).await;

    // Act: the upgrade (the migration, then the server, whose seal and action log rebuild).
    eventstore::MIGRATOR.run(&db.pool).await.unwrap();
    let before_the_reseal = verify_clean(&db.pool).await;
    let server = TestServer::start_on(db, Arc::new(SystemClock)).await;
    settle(&server).await;
    let checked = verify_clean(&server.db.pool).await;
    let stream = audit_stream(&server).await;
    let tables = every_other_table(&server.db.pool, &["events"]).await;

    // Assert: the old secrets moved to `credentials`, the latest password per staff member.
    let secrets = credentials(&server.db.pool).await;
    let mut expected = vec![
        ("password".to_owned(), second.as_phc().to_owned()),
        ("password".to_owned(), user_hash.as_phc().to_owned()),
        ("token_sha256".to_owned(), digest.clone()),
    ];
    expected.sort();
    assert_eq!(secrets, expected);
    // History was not edited: the events still hold what they held.
    let hashes_in_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE payload::text LIKE '%$argon2%'
            OR payload::text LIKE '%' || $1 || '%'",
    )
    .bind(&digest)
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    assert_eq!(hashes_in_events, 4);
    // `billing audit verify` is clean before the migration, after it (the old chain, under its
    // old encoding) and after the re-seal under the new one; nothing exported holds a secret.
    assert_eq!(
        (before_the_migration, before_the_reseal, checked),
        (4, 4, 4)
    );
    assert_eq!(stream.lines().count(), 4);
    assert_no_secret("billing audit stream", &stream, &secrets);
    assert_no_secret(
        "the old hash",
        &stream,
        &[("password".to_owned(), first.as_phc().to_owned())],
    );
    assert_no_secret("the read models", &tables, &secrets);
    // Every old credential still works.
    let refused = login(&server, "old-admin@example.com", "first password").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
    let staff_token = logged_in(&server, "old-admin@example.com", "second password").await;
    assert_eq!(
        me(&server, &staff_token).await.body["kind"],
        "administrator"
    );
    let user_token = logged_in(&server, "old-user@example.com", "user password").await;
    assert_eq!(me(&server, &user_token).await.body["kind"], "user");
    assert_eq!(me(&server, &bearer).await.body["kind"], "service");
    let revoke = server
        .call(
            Method::POST,
            &format!("/v1/auth/tokens/{token_id}/revoke"),
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::OK, "{revoke:?}");
    assert_eq!(me(&server, &bearer).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_refused_for_a_used_key_writes_no_credential() {
    // Arrange: a user created under a key, then another user's command under the same key.
    let server = TestServer::start().await;
    let store = &server.running.as_ref().unwrap().state.store;
    let context = CommandContext::new(Actor::Staff("admin".to_owned()));
    let create = |email: &str, hash: domain::access::PasswordHash| {
        let login = domain::access::Login::parse(email).unwrap();
        let user_id = UserId::for_login(&login);
        let command = domain::access::UserCommand::CreateClientUser {
            user_id,
            client_id: domain::ids::ClientId::from_uuid(Uuid::from_u128(7)),
            name: domain::access::DisplayName::parse("User").unwrap(),
            login,
            password_hash: hash,
            roles: std::collections::BTreeSet::from([domain::access::ClientRole::Owner]),
        };
        (user_id.to_string(), command)
    };
    let key = |email: &str| {
        eventstore::CommandKey::new("client-user", "one key", &email, json!({})).unwrap()
    };
    let first_hash = api::usecases::access::secret::hash_password("first password")
        .await
        .unwrap();
    let (first_id, first) = create("first@example.com", first_hash.clone());
    store
        .execute::<domain::access::ClientUser>(&first_id, first, &context, &[key("first")])
        .await
        .unwrap();

    // Act
    let second_hash = api::usecases::access::secret::hash_password("second password")
        .await
        .unwrap();
    let (second_id, second) = create("second@example.com", second_hash);
    let refused = store
        .execute::<domain::access::ClientUser>(&second_id, second, &context, &[key("second")])
        .await;

    // Assert: the second command wrote neither its event nor its credential.
    assert!(
        matches!(refused, Err(eventstore::CommandError::KeyReused { .. })),
        "{refused:?}"
    );
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT aggregate_id, secret FROM credentials ORDER BY aggregate_id")
            .fetch_all(&server.db.pool)
            .await
            .unwrap();
    assert_eq!(rows, [(first_id, first_hash.as_phc().to_owned())]);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_id = $1")
        .bind(&second_id)
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
    assert_eq!(events, 0);
}
