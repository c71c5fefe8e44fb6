//! Signing in under attack and the dashboard's sessions: login floods and the argon2 gate,
//! failed sign-ins limited per login and per address, the dashboard checking the API's rule
//! table, sessions revoked at sign-out, the bootstrap token kept out of cookies, disabled staff
//! whose old tokens stay dead, and acting as a client within one's own permissions.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use api::http::auth::throttle::SignInConfig;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use tests::{ADMIN_TOKEN, TestDb, TestServer, answer, billing_binary};
use tokio::process::{Child, Command};

const PASSWORD: &str = "correct horse battery";

/// A client that does not follow redirects, to see the dashboard's answers as they are.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Creates a department with `permissions` and a staff member in it; returns the staff id.
async fn staff_with(server: &TestServer, email: &str, permissions: &[&str]) -> String {
    let department = server
        .post(
            "/v1/departments",
            json!({"name": format!("Desk of {email}"), "permissions": permissions}),
        )
        .await;
    assert!(department.status.is_success(), "{department:?}");
    let staff = server
        .post(
            "/v1/staff",
            json!({"name": "Staff", "email": email, "password": PASSWORD,
                   "departments": [department.body["id"]], "administrator": false}),
        )
        .await;
    assert!(staff.status.is_success(), "{staff:?}");
    staff.body["id"].as_str().unwrap().to_owned()
}

async fn login(
    server: &TestServer,
    email: &str,
    password: &str,
    from: Option<&str>,
) -> tests::Answer {
    let mut request = server
        .http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": email, "password": password}));
    if let Some(address) = from {
        request = request.header("x-forwarded-for", address);
    }
    answer(request.send().await.unwrap()).await
}

/// Waits until the clients and balances read models show `client`, as the dashboard reads them.
async fn shown(server: &TestServer, client: &str) {
    for _ in 0..200 {
        let profile = server.get(&format!("/v1/clients/{client}")).await;
        let balance = server.get(&format!("/v1/clients/{client}/balance")).await;
        if profile.status == StatusCode::OK
            && balance.body["accounts"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the client never showed");
}

async fn token(server: &TestServer, email: &str) -> String {
    let answer = login(server, email, PASSWORD, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body["token"].as_str().unwrap().to_owned()
}

async fn bearer_get(server: &TestServer, token: &str, path: &str) -> tests::Answer {
    let response = server
        .http
        .get(format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// Signs in to the dashboard and returns the `name=value` of the session cookie and the whole
/// `Set-Cookie` header.
async fn dashboard_sign_in(
    server: &TestServer,
    email: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> (String, String) {
    let mut request = browser()
        .post(format!("{}/dashboard/login", server.url))
        .form(&[("email", email), ("password", password)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{response:?}");
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    (pair, set_cookie)
}

/// Signs out through the sign-out form of a dashboard page, with the session's CSRF token.
async fn dashboard_sign_out(server: &TestServer, cookie: &str) -> reqwest::Response {
    let (_, page) = dashboard_get(server, cookie, "/dashboard").await;
    let field = "name=\"csrf\" value=\"";
    let start = page.find(field).expect("a form with a CSRF token") + field.len();
    let csrf = page[start..].split('"').next().unwrap().to_owned();
    browser()
        .post(format!("{}/dashboard/logout", server.url))
        .header("cookie", cookie)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

async fn dashboard_get(server: &TestServer, cookie: &str, path: &str) -> (StatusCode, String) {
    let response = browser()
        .get(format!("{}{path}", server.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// The peak resident memory of process `pid`, in KiB (VmHWM of /proc/<pid>/status).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

async fn spawn_serving(db: &TestDb, port: u16) -> Child {
    let child = Command::new(billing_binary())
        .args(["serve", "--log-format", "text"])
        .env("DATABASE_URL", &db.url)
        .env("BILLING_LISTEN", format!("127.0.0.1:{port}"))
        .env("BILLING_ADMIN_TOKEN", ADMIN_TOKEN)
        // Every request of the flood names its own address: the flood stands for an attack from
        // many machines, which the per-address limit does not stop; the argon2 gate must.
        .env("BILLING_TRUST_PROXY", "true")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(response) = http
            .get(format!("http://127.0.0.1:{port}/v1/health"))
            .send()
            .await
            && response.status() == StatusCode::OK
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("billing serve did not become healthy");
}

#[tokio::test]
async fn a_login_flood_is_turned_away_beyond_the_argon2_gate_and_memory_stays_bounded() {
    // Arrange: the `billing` binary as a process of its own, so that its memory is its own.
    let db = TestDb::new().await;
    let port = free_port();
    let mut child = spawn_serving(&db, port).await;
    let pid = child.id().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let flooding = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (http, base, flooding) = (http.clone(), base.clone(), Arc::clone(&flooding));
        tokio::spawn(async move {
            let mut answers = Vec::new();
            while flooding.load(Ordering::Relaxed) {
                let response = http
                    .get(format!("{base}/v1/auth/me"))
                    .bearer_auth(ADMIN_TOKEN)
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await;
                answers.push(response.map(|r| r.status()).ok());
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            answers
        })
    };

    // Act: 400 wrong logins, 16 at a time, each for another login from another address.
    let answers: Vec<(StatusCode, Option<String>)> = futures::stream::iter(0..400_u32)
        .map(|n| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let response = http
                    .post(format!("{base}/v1/auth/login"))
                    .header("x-forwarded-for", format!("10.1.{}.{}", n / 256, n % 256))
                    .json(&json!({"email": format!("flood{n}@example.com"), "password": "guess"}))
                    .send()
                    .await
                    .unwrap();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                (response.status(), retry_after)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    flooding.store(false, Ordering::Relaxed);
    let other_requests = watcher.await.unwrap();
    let peak_kib = peak_rss_kib(pid);
    child.kill().await.unwrap();

    // Assert
    let checked = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
        .count();
    let turned_away: Vec<_> = answers
        .iter()
        .filter(|(status, _)| {
            *status == StatusCode::SERVICE_UNAVAILABLE || *status == StatusCode::TOO_MANY_REQUESTS
        })
        .collect();
    assert_eq!(
        checked + turned_away.len(),
        answers.len(),
        "only 401, 429 or 503: {answers:?}"
    );
    assert!(checked > 0, "some logins were checked");
    assert!(!turned_away.is_empty(), "the excess is turned away");
    assert!(
        turned_away.iter().all(|(_, retry_after)| retry_after
            .as_deref()
            .is_some_and(|s| s.parse::<u32>().is_ok())),
        "every turned-away login says when to retry: {turned_away:?}"
    );
    assert!(!other_requests.is_empty());
    assert!(
        other_requests
            .iter()
            .all(|status| *status == Some(StatusCode::OK)),
        "other requests keep answering during the flood: {other_requests:?}"
    );
    assert!(
        peak_kib < 300 * 1024,
        "peak resident memory {} MiB during the flood",
        peak_kib / 1024
    );
}

#[tokio::test]
async fn two_hundred_wrong_passwords_meet_429_with_retry_after_for_api_and_dashboard_alike() {
    // Arrange
    let server = TestServer::start().await;
    staff_with(&server, "victim@example.com", &["clients:read"]).await;

    // Act: 200 wrong passwords, 3 at a time (no more than the argon2 gate admits on one core,
    // so that every one is a guess the limits see), as fast as answered.
    let answers: Vec<tests::Answer> = futures::stream::iter(0..200)
        .map(|n| {
            let server = &server;
            async move { login(server, "victim@example.com", &format!("guess {n}"), None).await }
        })
        .buffer_unordered(3)
        .collect()
        .await;
    let dashboard = browser()
        .post(format!("{}/dashboard/login", server.url))
        .form(&[("email", "victim@example.com"), ("password", "guess")])
        .send()
        .await
        .unwrap();

    // Assert
    let limited: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert!(
        limited.len() >= 150,
        "{} of 200 limited: {statuses:?}",
        limited.len()
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    for answer in &limited {
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(answer.body["code"], "too_many_sign_ins");
        let retry_after: u32 = answer.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after >= 1);
    }
    assert_eq!(dashboard.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(dashboard.headers().get("retry-after").is_some());
    assert!(dashboard.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn another_addresss_failures_do_not_block_a_good_login_below_the_per_login_limit() {
    // Arrange: behind a trusted proxy, so that the addresses are the proxy's word.
    let server = TestServer::start_signing_in(SignInConfig {
        trust_proxy: true,
        ..SignInConfig::default()
    })
    .await;
    staff_with(&server, "desk@example.com", &["clients:read"]).await;

    // Act: an attacker's address guesses at many logins until it is stopped, and a few times
    // at the desk's own login; the desk signs in from its own address.
    let mut attacker = Vec::new();
    for n in 0..30 {
        let email = if n < 3 {
            "desk@example.com".to_owned()
        } else {
            format!("someone{n}@example.com")
        };
        attacker.push(
            login(&server, &email, "guess", Some("203.0.113.66"))
                .await
                .status,
        );
    }
    let desk = login(&server, "desk@example.com", PASSWORD, Some("198.51.100.10")).await;
    let attacker_with_the_password =
        login(&server, "desk@example.com", PASSWORD, Some("203.0.113.66")).await;

    // Assert
    assert!(
        attacker.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{attacker:?}"
    );
    assert_eq!(desk.status, StatusCode::OK, "{desk:?}");
    assert_eq!(
        attacker_with_the_password.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a stopped address is stopped even with the right password"
    );
}

#[tokio::test]
async fn the_dashboard_shows_only_what_the_api_lets_the_staff_member_read() {
    // Arrange: a staff member that may read clients and nothing else, and a client with money.
    let server = TestServer::start().await;
    staff_with(&server, "reader@example.com", &["clients:read"]).await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Greta Lindqvist").await;
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": uuid::Uuid::now_v7(), "amount": "10.00", "currency": "EUR",
                   "method": "card"}),
        )
        .await;
    assert!(paid.status.is_success(), "{paid:?}");
    shown(&server, &client).await;
    let api_token = token(&server, "reader@example.com").await;
    let (cookie, _) = dashboard_sign_in(&server, "reader@example.com", PASSWORD, &[]).await;

    // Act
    let api_action_log = bearer_get(&server, &api_token, "/v1/action-log").await;
    let api_statement = bearer_get(
        &server,
        &api_token,
        &format!("/v1/clients/{client}/statement"),
    )
    .await;
    let api_invoices = bearer_get(&server, &api_token, "/v1/invoices").await;
    let api_revenue = bearer_get(&server, &api_token, "/v1/reports/revenue").await;
    let (log_status, log_page) = dashboard_get(&server, &cookie, "/dashboard/action-log").await;
    let (overview_status, overview) = dashboard_get(&server, &cookie, "/dashboard").await;
    let (client_status, client_page) =
        dashboard_get(&server, &cookie, &format!("/dashboard/clients/{client}")).await;
    let (clients_status, _) = dashboard_get(&server, &cookie, "/dashboard/clients").await;

    // Assert: the API refuses these, and so does the dashboard.
    for refused in [&api_action_log, &api_statement, &api_invoices, &api_revenue] {
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    }
    assert_eq!(log_status, StatusCode::FORBIDDEN);
    assert!(!log_page.contains("PaymentPosted"), "{log_page}");
    assert_eq!(overview_status, StatusCode::OK);
    assert!(!overview.contains("revenue-chart"), "{overview}");
    assert!(!overview.contains("Debtors"), "{overview}");
    assert!(
        !overview.contains("Action log"),
        "no link to a page it may not open"
    );
    assert_eq!(clients_status, StatusCode::OK);
    assert_eq!(client_status, StatusCode::OK);
    assert!(client_page.contains("id=\"balance\""), "{client_page}");
    assert!(!client_page.contains("id=\"statement\""), "{client_page}");
    assert!(!client_page.contains("id=\"invoices\""), "{client_page}");
    assert!(!client_page.contains("id=\"services\""), "{client_page}");
}

#[tokio::test]
async fn signing_out_of_the_dashboard_revokes_the_session_token() {
    // Arrange
    let server = TestServer::start().await;
    staff_with(&server, "desk@example.com", &["clients:read"]).await;
    let (cookie, _) = dashboard_sign_in(&server, "desk@example.com", PASSWORD, &[]).await;
    let session_token = cookie.split_once('=').unwrap().1.to_owned();
    let before = bearer_get(&server, &session_token, "/v1/auth/me").await;

    // Act: a sign-out without the session's CSRF token (another site's form) does nothing;
    // the panel's own form signs out.
    let forged = browser()
        .post(format!("{}/dashboard/logout", server.url))
        .header("cookie", &cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    let still = bearer_get(&server, &session_token, "/v1/auth/me").await;
    let signed_out = dashboard_sign_out(&server, &cookie).await;
    let after = bearer_get(&server, &session_token, "/v1/auth/me").await;
    let (page_status, _) = dashboard_get(&server, &cookie, "/dashboard").await;

    // Assert: a copy of the cookie kept from before is worth nothing.
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(still.status, StatusCode::OK, "{still:?}");
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{after:?}");
    assert_eq!(page_status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_bootstrap_token_never_goes_into_a_cookie() {
    // Arrange
    let server = TestServer::start().await;

    // Act
    let (cookie, set_cookie) = dashboard_sign_in(&server, "admin", ADMIN_TOKEN, &[]).await;
    let (status, _) = dashboard_get(&server, &cookie, "/dashboard/action-log").await;
    let (raw_status, _) = dashboard_get(
        &server,
        &format!("billing_session={ADMIN_TOKEN}"),
        "/dashboard",
    )
    .await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Acted For").await;
    let session_token = cookie.split_once('=').unwrap().1.to_owned();
    let acting = server
        .http
        .post(format!("{}/v1/clients/{client}/act-as", server.url))
        .bearer_auth(&session_token)
        .send()
        .await
        .unwrap();
    let acting = answer(acting).await;
    let signed_out = dashboard_sign_out(&server, &cookie).await;
    let (after_status, _) = dashboard_get(&server, &cookie, "/dashboard").await;

    // Assert
    assert!(!set_cookie.contains(ADMIN_TOKEN), "{set_cookie}");
    assert_eq!(
        status,
        StatusCode::OK,
        "the session works as the administrator"
    );
    assert_eq!(
        raw_status,
        StatusCode::SEE_OTHER,
        "the raw token is no session"
    );
    assert_eq!(
        acting.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the administrator's session is no staff member to act as a client: {acting:?}"
    );
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(after_status, StatusCode::SEE_OTHER, "signed out for good");
    assert_eq!(server.get("/v1/auth/me").await.status, StatusCode::OK);
}

#[tokio::test]
async fn session_cookies_are_secure_behind_a_trusted_tls_proxy_only() {
    // Arrange
    let trusting = TestServer::start_signing_in(SignInConfig {
        trust_proxy: true,
        ..SignInConfig::default()
    })
    .await;
    let untrusting = TestServer::start().await;
    for server in [&trusting, &untrusting] {
        staff_with(server, "desk@example.com", &["clients:read"]).await;
    }
    let tls = [("x-forwarded-proto", "https")];

    // Act
    let (_, behind_tls) = dashboard_sign_in(&trusting, "desk@example.com", PASSWORD, &tls).await;
    let (_, plain) = dashboard_sign_in(&trusting, "desk@example.com", PASSWORD, &[]).await;
    let (_, untrusted) = dashboard_sign_in(&untrusting, "desk@example.com", PASSWORD, &tls).await;

    // Assert
    let secure = |cookie: &str| cookie.split(';').any(|part| part.trim() == "Secure");
    assert!(secure(&behind_tls), "{behind_tls}");
    assert!(!secure(&plain), "{plain}");
    assert!(!secure(&untrusted), "{untrusted}");
    for cookie in [&behind_tls, &plain, &untrusted] {
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    }
}

#[tokio::test]
async fn enabling_a_disabled_staff_member_does_not_bring_its_old_tokens_back() {
    // Arrange
    let server = TestServer::start().await;
    let staff_id = staff_with(&server, "desk@example.com", &["clients:read"]).await;
    let old = token(&server, "desk@example.com").await;
    let (old_cookie, _) = dashboard_sign_in(&server, "desk@example.com", PASSWORD, &[]).await;

    // Act
    let disabled = server
        .post(&format!("/v1/staff/{staff_id}/disable"), json!({}))
        .await;
    let enabled = server
        .post(&format!("/v1/staff/{staff_id}/enable"), json!({}))
        .await;
    let old_after = bearer_get(&server, &old, "/v1/auth/me").await;
    let (old_session, _) = dashboard_get(&server, &old_cookie, "/dashboard").await;
    let new = token(&server, "desk@example.com").await;
    let new_after = bearer_get(&server, &new, "/v1/auth/me").await;

    // Assert
    assert!(disabled.status.is_success(), "{disabled:?}");
    assert!(enabled.status.is_success(), "{enabled:?}");
    assert_eq!(old_after.status, StatusCode::UNAUTHORIZED, "{old_after:?}");
    assert_eq!(old_session, StatusCode::SEE_OTHER);
    assert_eq!(new_after.status, StatusCode::OK, "{new_after:?}");
}

#[tokio::test]
async fn acting_as_a_client_gives_no_more_than_the_staff_member_has() {
    // Arrange: a staff member that may change clients, and nothing about services or money.
    let server = TestServer::start().await;
    staff_with(&server, "clerk@example.com", &["clients:write"]).await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Acted For").await;
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": uuid::Uuid::now_v7(), "amount": "1.00", "currency": "EUR",
                   "method": "card"}),
        )
        .await;
    assert!(paid.status.is_success(), "{paid:?}");
    shown(&server, &client).await;
    let clerk = token(&server, "clerk@example.com").await;
    let acting = server
        .http
        .post(format!("{}/v1/clients/{client}/act-as", server.url))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap();
    let acting = answer(acting).await;
    assert_eq!(acting.status, StatusCode::CREATED, "{acting:?}");
    let acting = acting.body["token"].as_str().unwrap().to_owned();

    // Act
    let me = bearer_get(&server, &acting, "/v1/auth/me").await;
    let statement = bearer_get(&server, &acting, &format!("/v1/clients/{client}/statement")).await;
    let services = bearer_get(&server, &acting, &format!("/v1/clients/{client}/services")).await;
    let profile = bearer_get(&server, &acting, &format!("/v1/clients/{client}")).await;

    // Assert: what the owner may and the clerk may, and nothing the clerk may not.
    assert_eq!(me.body["kind"], "acting_as");
    assert_eq!(me.body["permissions"], json!(["clients:write"]), "{me:?}");
    assert_eq!(statement.status, StatusCode::FORBIDDEN, "{statement:?}");
    assert_eq!(services.status, StatusCode::FORBIDDEN, "{services:?}");
    assert_eq!(profile.status, StatusCode::OK, "{profile:?}");
}

#[tokio::test]
async fn adding_users_tells_no_one_which_addresses_are_logins_here_beyond_the_sign_in_limits() {
    // Arrange: a staff login, and the owner of a client.
    let server = TestServer::start().await;
    staff_with(&server, "ops@provider.example", &["clients:read"]).await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Curious Owner").await;
    let owner = crate::documents::client_token(&server, &client).await;
    let add = |email: &'static str, password: &'static str| {
        let server = &server;
        let owner = owner.clone();
        let client = client.clone();
        async move {
            let response = server
                .http
                .post(format!("{}/v1/clients/{client}/users", server.url))
                .bearer_auth(owner)
                .json(&serde_json::json!({ "email": email, "password": password }))
                .send()
                .await
                .unwrap();
            tests::answer(response).await
        }
    };

    // Act: a short password for the staff login; then the staff login with good passwords, as
    // often as it takes.
    let short = add("ops@provider.example", "short").await;
    let mut answers = Vec::new();
    for _ in 0..12 {
        answers.push(add("ops@provider.example", "a long enough passphrase").await);
    }

    // Assert: the short password is refused for itself, saying nothing of the login; the taken
    // login is told ten times, then the caller waits like a failed sign-in.
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{short:?}");
    assert_eq!(short.body["code"], "invalid_password");
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(statuses[..10], [409; 10], "{statuses:?}");
    let limited = answers.last().unwrap();
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{statuses:?}"
    );
    assert_eq!(limited.body["code"], "too_many_sign_ins");
    assert!(limited.headers.get("retry-after").is_some());
}
