//! Notifications end to end: notice events rendered from the client's language's templates and
//! e-mailed to a local SMTP sink exactly once per subscribed notice, across a restart of the
//! notifier in the middle and a re-read of the whole log.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use eventstore::clock::FixedClock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::smtp::SmtpSink;
use tests::{TestDb, TestServer, t0};
use uuid::Uuid;

/// Waits until every read model and process manager has caught up with the log and the log
/// stops growing.
async fn settle(server: &TestServer) {
    let state = &server.running.as_ref().unwrap().state;
    let names: Vec<&'static str> = projections::all()
        .iter()
        .chain(api::usecases::process::all(state.store.clone()).iter())
        .map(|p| p.name())
        .collect();
    loop {
        let head = eventstore::log::head_position(&server.db.pool)
            .await
            .unwrap();
        for name in &names {
            let reached = projections::engine::wait_for_position(
                &server.db.pool,
                &state.progress,
                name,
                head,
                Duration::from_secs(20),
            )
            .await
            .unwrap();
            assert!(reached, "{name} reached {head}");
        }
        if eventstore::log::head_position(&server.db.pool)
            .await
            .unwrap()
            == head
        {
            return;
        }
    }
}

async fn ok(server: &TestServer, method: Method, path: &str, body: Value) -> Value {
    let answer = server.call(method, path, Some(body)).await;
    assert!(answer.status.is_success(), "{path}: {answer:?}");
    answer.body
}

/// Completes every pending provisioning operation, as the provisioning robot would.
async fn robot(server: &TestServer) {
    settle(server).await;
    let pending = server.get("/v1/operations?status=pending").await;
    for op in pending.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        ok(
            server,
            Method::POST,
            &format!("/v1/operations/{}/complete", op["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    }
    settle(server).await;
}

async fn billing_day(server: &TestServer, clock: &FixedClock, date: NaiveDate) {
    clock.set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).unwrap()));
    ok(
        server,
        Method::POST,
        "/v1/billing/runs",
        json!({"as_of": date}),
    )
    .await;
    robot(server).await;
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, m, d).unwrap()
}

async fn outbox(pool: &sqlx::PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT kind, status, message_id FROM notifications ORDER BY position")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_expiring_service_mails_each_subscribed_notice_once_in_the_clients_language() {
    // Arrange: a German-speaking client who subscribes to expiry and suspension notices only,
    // with German and English templates, and one paid month of a VDS.
    let sink = SmtpSink::start().await;
    let clock = Arc::new(FixedClock::new(t0()));
    let server =
        TestServer::start_mailing(TestDb::new().await, clock.clone(), Some(&sink.url())).await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Olga Berg").await;
    ok(
        &server,
        Method::PUT,
        &format!("/v1/clients/{client}/notice-settings"),
        json!({"language": "de", "subscriptions": ["service_expiring", "service_suspended"]}),
    )
    .await;
    for (kind, language, subject, body) in [
        (
            "service_expiring",
            "de",
            "Ihr Dienst {{service}} läuft in {{days}} Tagen ab",
            "Hallo {{client_name}},\n\nIhr Dienst {{service}} ist bis {{paid_until}} bezahlt.\n\nGrüße",
        ),
        (
            "service_expiring",
            "en",
            "Your service {{service}} expires in {{days}} days",
            "Dear {{client_name}}, please top up.",
        ),
        (
            "service_suspended",
            "de",
            "Ihr Dienst {{service}} ist gesperrt",
            "Hallo {{client_name}},\n\nIhr Dienst {{service}} wurde gesperrt.",
        ),
    ] {
        ok(
            &server,
            Method::PUT,
            &format!("/v1/message-templates/{kind}/{language}"),
            json!({"subject": subject, "body": body}),
        )
        .await;
    }
    let tariff = ok(
        &server,
        Method::POST,
        "/v1/tariffs",
        json!({"provider_id": provider, "name": "VDS S", "item_type": "vds",
               "prices": [{"period": "P1M", "price": {"amount": "10.00", "currency": "EUR"}}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &server,
        Method::POST,
        &format!("/v1/clients/{client}/payments"),
        json!({"payment_id": Uuid::now_v7(), "amount": "10.00", "currency": "EUR",
               "method": "bank_transfer"}),
    )
    .await;
    settle(&server).await;
    ok(
        &server,
        Method::POST,
        &format!("/v1/clients/{client}/services"),
        json!({"tariff_id": tariff, "period": "P1M"}),
    )
    .await;
    robot(&server).await;

    // Act: ten days before the paid month ends, mailed at once. Then the relay is down when the
    // five-day notice is due: the server is restarted pointing at a port where nothing listens,
    // the send fails and is recorded, and that server stops too, leaving the notice claimed by a
    // sender that (as far as the outbox knows) died before sending it.
    billing_day(&server, &clock, day(1, 22)).await;
    let first = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(first.len(), 1, "the ten-day notice: {first:?}");
    let mut server = server;
    server.stop().await;
    let TestServer { db, .. } = server;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("smtp://{}", listener.local_addr().unwrap())
    };
    let mut server = TestServer::start_mailing(db, clock.clone(), Some(&closed)).await;
    billing_day(&server, &clock, day(1, 27)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let failed: Option<String> = sqlx::query_scalar(
            "SELECT last_error FROM notifications
              WHERE kind = 'service_expiring' AND params->>'days' = '5' AND attempts >= 1",
        )
        .fetch_optional(&server.db.pool)
        .await
        .unwrap()
        .flatten();
        if failed.is_some() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the send to a closed port failed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
    let TestServer { db, .. } = server;
    sqlx::query(
        "UPDATE notifications
            SET status = 'sending', attempts = attempts + 1, next_attempt_at = now(),
                lease_until = now() - interval '1 second'
          WHERE kind = 'service_expiring' AND params->>'days' = '5'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let server = TestServer::start_mailing(db, clock.clone(), Some(&sink.url())).await;
    // One day before, and the day the paid time runs out: no money, the service is suspended.
    billing_day(&server, &clock, day(1, 31)).await;
    billing_day(&server, &clock, day(2, 1)).await;
    let mails = sink.wait_for(4, Duration::from_secs(30)).await;
    // Reading the whole log again queues nothing twice.
    let pool = &server.db.pool;
    projections::engine::reset(pool, &projections::notify::Outbox)
        .await
        .unwrap();
    projections::engine::catch_up(pool, &projections::notify::Outbox, 1000)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Assert: one German e-mail per subscribed notice, and nothing else.
    let mails_after = sink.mails();
    assert_eq!(mails_after.len(), 4, "{mails_after:#?}");
    assert_eq!(mails.len(), 4);
    let subjects: Vec<String> = mails_after.iter().map(|m| m.subject()).collect();
    assert_eq!(
        subjects,
        vec![
            "Ihr Dienst VDS S läuft in 10 Tagen ab",
            "Ihr Dienst VDS S läuft in 5 Tagen ab",
            "Ihr Dienst VDS S läuft in 1 Tagen ab",
            "Ihr Dienst VDS S ist gesperrt",
        ]
    );
    for mail in &mails_after {
        assert_eq!(mail.to, vec!["olga.berg@example.com".to_owned()]);
        assert_eq!(mail.from, "billing@example.com");
    }
    assert!(
        mails_after[0].body().contains("Hallo Olga Berg"),
        "{}",
        mails_after[0].body()
    );
    assert!(mails_after[0].body().contains("bis 2027-02-01 bezahlt"));
    assert!(mails_after[0].body().contains("Grüße"));
    let rows = outbox(pool).await;
    let (attempts, error): (i32, Option<String>) = sqlx::query_as(
        "SELECT attempts, last_error FROM notifications
          WHERE kind = 'service_expiring' AND params->>'days' = '5'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(attempts >= 3, "failed, claimed and lost, sent: {attempts}");
    assert_eq!(error, None, "the last attempt succeeded");
    let sent: Vec<&(String, String, String)> = rows.iter().filter(|r| r.1 == "sent").collect();
    assert_eq!(sent.len(), 4, "{rows:?}");
    let mut ids: Vec<String> = mails_after
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    let mut expected: Vec<String> = sent.iter().map(|r| r.2.clone()).collect();
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected, "each e-mail carries its notice's Message-ID");
    // The notices the client did not subscribe to were recorded as skipped.
    for kind in ["service_activated", "payment_credited"] {
        assert!(
            rows.iter().any(|r| r.0 == kind && r.1 == "skipped"),
            "{kind}: {rows:?}"
        );
    }
}

#[tokio::test]
async fn without_smtp_notices_are_rendered_and_recorded_as_not_configured() {
    // Arrange
    let (server, _clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Jan Kowalski").await;

    // Act: a payment; then a template with a placeholder its kind does not know.
    let paid = ok(
        &server,
        Method::POST,
        &format!("/v1/clients/{client}/payments"),
        json!({"payment_id": Uuid::now_v7(), "amount": "25.00", "currency": "EUR",
               "method": "bank_transfer"}),
    )
    .await;
    settle(&server).await;
    let events = server.event_count().await;
    let bad = server
        .call(
            Method::PUT,
            "/v1/message-templates/payment_credited/de",
            Some(json!({"subject": "Zahlung {{service}}", "body": "x"})),
        )
        .await;
    let unknown_kind = server
        .call(
            Method::PUT,
            "/v1/message-templates/birthday/de",
            Some(json!({"subject": "Hi", "body": "x"})),
        )
        .await;
    let bad_language = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{client}/notice-settings"),
            Some(json!({"language": "deutsch", "subscriptions": []})),
        )
        .await;

    // Assert
    assert!(paid["position"].as_i64().is_some());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let notice = loop {
        let page = server
            .get(&format!("/v1/notifications?client_id={client}"))
            .await;
        if let Some(first) = page.body["items"].as_array().and_then(|i| i.first()) {
            break first.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "{page:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(notice["kind"], "payment_credited");
    assert_eq!(notice["status"], "not_configured");
    assert_eq!(notice["to_address"], "jan.kowalski@example.com");
    assert_eq!(notice["subject"], "Payment of 25.00 EUR received");
    for refused in [&bad, &unknown_kind, &bad_language] {
        assert!(refused.status.is_client_error(), "{refused:?}");
        assert_eq!(refused.content_type, "application/problem+json");
    }
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["code"], "unknown_placeholder");
    assert_eq!(unknown_kind.status, StatusCode::NOT_FOUND);
    assert_eq!(bad_language.body["code"], "invalid_language");
    assert_eq!(server.event_count().await, events);

    // The client's technical user, who may not read payments, is not shown the notice of one;
    // its owner is.
    for (role, shown) in [("technical", 0), ("owner", 1)] {
        let email = crate::my_panel::user(&server, &client, &[role]).await;
        let login = server
            .post(
                "/v1/auth/login",
                json!({"email": email, "password": crate::my_panel::PASSWORD}),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{login:?}");
        let page: Value = server
            .http
            .get(format!("{}/v1/notifications", server.url))
            .bearer_auth(login.body["token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let kinds: Vec<&Value> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["kind"])
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "payment_credited").count(),
            shown,
            "{role}: {page}"
        );
    }
}
