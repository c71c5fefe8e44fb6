//! Smaller holes of issue 13, item 11: input the server must refuse with a 4xx naming the problem
//! rather than fail on (a NUL in a query, an exponent in a quantity), rules a client's user must
//! not get around (its own tax identity, unbounded attachments), and the database connections a
//! node takes.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};

/// Every GET route of the API (from its OpenAPI document) and of the dashboard, with each of its
/// query parameters set to a NUL character: a 4xx, never a 500.
#[tokio::test]
async fn a_nul_in_any_query_parameter_is_a_4xx_on_every_route() {
    // Arrange: a client, so that `{id}` in a path names something that exists.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Nul Tester").await;
    let spec = server.get("/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    let mut targets: Vec<String> = Vec::new();
    for (path, item) in spec.body["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        let path = path
            .replace("{id}", &client)
            .replace("{client_id}", &client)
            .replace("{code}", "EUR");
        let path = fill_ids(&path);
        let names: Vec<String> = get["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        for name in names {
            targets.push(format!("{path}?{name}=%00"));
        }
    }
    for dashboard in [
        "/dashboard/clients?q=%00",
        "/dashboard/action-log?actor=%00",
        "/dashboard/action-log?type=%00",
        "/dashboard/action-log?client=%00",
        "/dashboard/clients?sort=%00",
        "/dashboard/invoices?status=%00",
        "/dashboard/payments?status=%00",
    ] {
        targets.push(dashboard.to_owned());
    }
    assert!(
        targets.len() > 20,
        "the routes with query parameters: {targets:?}"
    );

    // Act
    let mut answers = Vec::new();
    for target in &targets {
        let response = server
            .http
            .get(format!("{}{target}", server.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("cookie", format!("billing_session={ADMIN_TOKEN}"))
            .send()
            .await
            .expect("an answer");
        answers.push((target.clone(), response.status()));
    }

    // Assert
    let failed: Vec<_> = answers
        .iter()
        .filter(|(_, status)| !status.is_client_error())
        .collect();
    assert!(failed.is_empty(), "not a 4xx: {failed:?}");
    let dashboard = server
        .http
        .get(format!("{}/dashboard/clients?q=%00", server.url))
        .header("cookie", format!("billing_session={ADMIN_TOKEN}"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(dashboard.status(), StatusCode::BAD_REQUEST);
    let problem: Value = dashboard.json().await.expect("a problem");
    assert_eq!(problem["code"], "invalid_query", "{problem}");
}

/// Fills the path parameters other than the client's with a fresh UUID (a route then answers
/// 404 for the thing or 400 for the query, both fine here).
fn fill_ids(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(&uuid::Uuid::now_v7().to_string());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn a_quantity_or_a_percent_with_an_exponent_or_too_many_digits_is_refused() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Exponent Fan").await;
    let before = server.event_count().await;
    let invoice = |quantity: &str| {
        json!({
            "invoice_id": uuid::Uuid::now_v7(),
            "client_id": client,
            "company_id": company,
            "lines": [{ "description": "Traffic", "quantity": quantity, "unit_price": "1.00" }],
            "issued_on": "2027-01-10",
        })
    };

    // Act
    let mut refused = Vec::new();
    for quantity in [
        "1e5",
        "1E2",
        "2.5e1",
        "1_000",
        "+1",
        " 1",
        "0x10",
        "1.",
        "99999999999999999999999999999",
        "1.00000000000000000000001",
    ] {
        refused.push((
            quantity,
            server.post("/v1/invoices", invoice(quantity)).await,
        ));
    }
    let percent = server
        .post(
            "/v1/promo-codes",
            json!({ "provider_id": provider, "code": "EXPO",
                    "discount": { "kind": "percent", "percent": "1e1" } }),
        )
        .await;
    let written_before_the_plain_one = server.event_count().await;
    let plain = server.post("/v1/invoices", invoice("1.5")).await;

    // Assert
    for (quantity, answer) in refused {
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{quantity:?}: {answer:?}"
        );
        assert_eq!(answer.content_type, "application/problem+json");
        let detail = answer.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("lines[0].quantity"),
            "{quantity:?}: {detail}"
        );
    }
    assert_eq!(
        percent.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{percent:?}"
    );
    assert_eq!(written_before_the_plain_one, before, "nothing was written");
    assert_eq!(plain.status, StatusCode::CREATED, "{plain:?}");
}

/// A user of the client's account, with the owner role, signed in: its bearer token.
async fn client_owner_token(server: &TestServer, client: &str) -> String {
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    let password = "a long enough passphrase";
    let created = server
        .post(
            &format!("/v1/clients/{client}/users"),
            json!({ "email": email, "password": password, "roles": ["owner"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    // The read models' first step at a fresh start empties their tables; a login reading them
    // meanwhile can deadlock with it (a 500 this test is not about): let them settle first.
    let position = created.body["position"].as_i64().expect("a position");
    let users = server
        .get(&format!(
            "/v1/clients/{client}/users?min_position={position}"
        ))
        .await;
    assert_eq!(users.status, StatusCode::OK, "{users:?}");
    let login = server
        .post(
            "/v1/auth/login",
            json!({ "email": email, "password": password }),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    login.body["token"].as_str().expect("a token").to_owned()
}

async fn send_as(
    server: &TestServer,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> tests::Answer {
    tests::answer(
        server
            .http
            .request(method, format!("{}{path}", server.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("an answer"),
    )
    .await
}

#[tokio::test]
async fn a_client_user_cannot_change_its_tax_identity_but_staff_can_and_it_is_logged() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Self Service GmbH").await;
    let user = client_owner_token(&server, &client).await;
    let before = server.event_count().await;

    // Act: the client's own user tries each part of its tax identity.
    let vat = send_as(
        &server,
        &user,
        reqwest::Method::PUT,
        &format!("/v1/clients/{client}/billing-details"),
        json!({ "vat_number": "ATU12345678", "address": "Ring 1\n1010 Wien" }),
    )
    .await;
    let country = send_as(
        &server,
        &user,
        reqwest::Method::PATCH,
        &format!("/v1/clients/{client}"),
        json!({ "country": "AT" }),
    )
    .await;
    let kind = send_as(
        &server,
        &user,
        reqwest::Method::PATCH,
        &format!("/v1/clients/{client}"),
        json!({ "kind": "company" }),
    )
    .await;
    let payer = send_as(
        &server,
        &user,
        reqwest::Method::POST,
        &format!("/v1/clients/{client}/payers"),
        json!({ "payer_id": uuid::Uuid::now_v7(), "kind": "company", "name": "Other AG",
                "country": "AT", "vat_number": "ATU12345678" }),
    )
    .await;
    let refused_wrote = server.event_count().await - before;
    // What stays the client's own: its address and its e-mail.
    let address = send_as(
        &server,
        &user,
        reqwest::Method::PUT,
        &format!("/v1/clients/{client}/billing-details"),
        json!({ "vat_number": null, "address": "Hauptstr. 1\n10115 Berlin" }),
    )
    .await;
    let email = send_as(
        &server,
        &user,
        reqwest::Method::PATCH,
        &format!("/v1/clients/{client}"),
        json!({ "email": "books@example.com", "country": "DE" }),
    )
    .await;
    // Staff change the tax identity.
    let by_staff = server
        .call(
            reqwest::Method::PUT,
            &format!("/v1/clients/{client}/billing-details"),
            Some(json!({ "vat_number": "DE123456789", "address": "Hauptstr. 1\n10115 Berlin" })),
        )
        .await;

    // Assert
    for (what, answer) in [("vat", &vat), ("country", &country), ("kind", &kind)] {
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{what}: {answer:?}");
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(answer.body["code"], "tax_identity_by_staff_only", "{what}");
    }
    assert_eq!(payer.status, StatusCode::FORBIDDEN, "{payer:?}");
    assert_eq!(payer.body["code"], "vat_number_by_staff_only");
    assert_eq!(refused_wrote, 0, "a refusal writes nothing");
    assert_eq!(address.status, StatusCode::OK, "{address:?}");
    assert_eq!(email.status, StatusCode::OK, "{email:?}");
    assert_eq!(by_staff.status, StatusCode::OK, "{by_staff:?}");
    let position = by_staff.body["position"].as_i64().expect("a position");
    let shown = server
        .get(&format!("/v1/clients/{client}?min_position={position}"))
        .await;
    assert_eq!(shown.body["vat_number"], "DE123456789", "{shown:?}");
    assert_eq!(shown.body["country"], "DE");
    let log = server
        .get(&format!(
            "/v1/action-log?client_id={client}&min_position={position}&limit=500"
        ))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{log:?}");
    let set_by_staff = log.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|item| item["event_type"] == "BillingDetailsSet" && item["actor"] == "staff:admin");
    assert!(
        set_by_staff,
        "the staff change is in the action log: {log:?}"
    );
}

/// `count` text files of `size_bytes` each, all with the same content (stored once, counted
/// every time: the quota is what the client attached, not what the disk holds).
fn text_files(count: usize, size_bytes: usize) -> Value {
    use base64::Engine;
    let content = base64::engine::general_purpose::STANDARD.encode("x".repeat(size_bytes));
    Value::Array(
        (0..count)
            .map(|n| {
                json!({ "file_name": format!("log-{n}.txt"), "content_type": "text/plain",
                        "content_base64": content })
            })
            .collect(),
    )
}

#[tokio::test]
async fn a_client_user_cannot_attach_beyond_its_quotas() {
    // Arrange: a client's user with a ticket holding 20 files of 5 MiB (its whole quota).
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Hoarding Ltd").await;
    let user = client_owner_token(&server, &client).await;
    let five_mib = 5 * 1024 * 1024;
    let opened = send_as(
        &server,
        &user,
        reqwest::Method::POST,
        &format!("/v1/clients/{client}/tickets"),
        json!({ "subject": "Logs", "body": "Five logs.", "attachments": text_files(5, five_mib) }),
    )
    .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{opened:?}");
    let ticket = opened.body["id"].as_str().expect("a ticket id").to_owned();
    let mut position = 0;
    for _ in 0..3 {
        let replied = send_as(
            &server,
            &user,
            reqwest::Method::POST,
            &format!("/v1/tickets/{ticket}/messages"),
            json!({ "body": "Five more.", "attachments": text_files(5, five_mib) }),
        )
        .await;
        assert_eq!(replied.status, StatusCode::CREATED, "{replied:?}");
        position = replied.body["position"].as_i64().expect("a position");
    }
    let shown = server
        .get(&format!("/v1/tickets/{ticket}?min_position={position}"))
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{shown:?}");
    let before = server.event_count().await;

    // Act: one more small file on the full ticket, one on a new ticket, and a staff answer with
    // a file (staff are not limited).
    let on_full_ticket = send_as(
        &server,
        &user,
        reqwest::Method::POST,
        &format!("/v1/tickets/{ticket}/messages"),
        json!({ "body": "One more.", "attachments": text_files(1, 10) }),
    )
    .await;
    let on_new_ticket = send_as(
        &server,
        &user,
        reqwest::Method::POST,
        &format!("/v1/clients/{client}/tickets"),
        json!({ "subject": "More logs", "body": "One more.", "attachments": text_files(1, 10) }),
    )
    .await;
    let refused_wrote = server.event_count().await - before;
    let without_files = send_as(
        &server,
        &user,
        reqwest::Method::POST,
        &format!("/v1/tickets/{ticket}/messages"),
        json!({ "body": "Any news?" }),
    )
    .await;
    let staff_answer = server
        .post(
            &format!("/v1/tickets/{ticket}/messages"),
            json!({ "body": "Here is the fix.", "attachments": text_files(1, 10) }),
        )
        .await;

    // Assert
    assert_eq!(
        on_full_ticket.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{on_full_ticket:?}"
    );
    assert_eq!(on_full_ticket.content_type, "application/problem+json");
    assert_eq!(on_full_ticket.body["code"], "ticket_attachments_full");
    assert_eq!(
        on_new_ticket.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{on_new_ticket:?}"
    );
    assert_eq!(on_new_ticket.content_type, "application/problem+json");
    assert_eq!(on_new_ticket.body["code"], "attachment_quota_exceeded");
    assert_eq!(refused_wrote, 0, "a refusal writes nothing");
    assert_eq!(
        without_files.status,
        StatusCode::CREATED,
        "{without_files:?}"
    );
    assert_eq!(staff_answer.status, StatusCode::CREATED, "{staff_answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_never_opens_more_connections_than_billing_db_connections() {
    // Arrange: the binary with a budget of 16 over a database of its own, and a separate
    // connection (to another database) that watches how many it opens.
    use crate::shutdown::{call, free_port, spawn_with, wait_healthy};
    use sqlx::Connection;
    let db = tests::TestDb::new().await;
    db.pool.close().await;
    let mut watcher = sqlx::PgConnection::connect(&tests::admin_url())
        .await
        .expect("connect to the admin database");
    // Whatever the harness still holds on the database is not the node's.
    let before: Vec<i32> =
        sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
            .bind(&db.name)
            .fetch_all(&mut watcher)
            .await
            .expect("list connections");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::env::temp_dir().join(format!("billing-budget-{}.log", uuid::Uuid::now_v7()));
    let http = reqwest::Client::new();
    let mut child = spawn_with(&db.url, port, &log, 16);
    wait_healthy(&http, &base, &mut child, &log).await;
    let (status, provider) = call(
        &http,
        &base,
        "/v1/providers",
        Some(json!({ "name": "Budget Hosting", "currency": "EUR" })),
    )
    .await;
    assert_eq!(status, 201, "{provider}");

    // Act: 40 clients registered and paid at once, keeping requests and workers busy, while
    // the watcher samples the node's connections.
    let load = tokio::spawn({
        let http = http.clone();
        let base = base.clone();
        let provider = provider["id"].as_str().expect("an id").to_owned();
        async move {
            let mut tasks = Vec::new();
            for n in 0..40 {
                let (http, base, provider) = (http.clone(), base.clone(), provider.clone());
                tasks.push(tokio::spawn(async move {
                    let (_, client) = call(
                        &http,
                        &base,
                        "/v1/clients",
                        Some(
                            json!({ "provider_id": provider, "name": format!("Client {n}"),
                                     "email": format!("c{n}@example.com"),
                                     "kind": "individual", "country": "DE" }),
                        ),
                    )
                    .await;
                    let client = client["id"].as_str().unwrap_or_default().to_owned();
                    for _ in 0..5 {
                        call(
                            &http,
                            &base,
                            &format!("/v1/clients/{client}/payments"),
                            Some(
                                json!({ "payment_id": uuid::Uuid::now_v7(), "amount": "1.00",
                                         "currency": "EUR", "method": "bank_transfer" }),
                            ),
                        )
                        .await;
                    }
                }));
            }
            for task in tasks {
                task.await.expect("a load task");
            }
        }
    });
    let mut most = 0i64;
    while !load.is_finished() {
        let open: i64 =
            // Client backends only: autovacuum works on the same database under this load.
            sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                  WHERE datname = $1 AND backend_type = 'client backend' AND pid <> ALL($2)",
            )
                .bind(&db.name)
                .bind(&before)
                .fetch_one(&mut watcher)
                .await
                .expect("count connections");
        most = most.max(open);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    load.await.expect("the load");
    println!("at most {most} connections open with BILLING_DB_CONNECTIONS=16");
    let started = without_colours(&std::fs::read_to_string(&log).unwrap_or_default());
    let _ = child.start_kill();
    let _ = child.wait().await;
    let _ = std::fs::remove_file(&log);

    // Assert: within the budget, and the split is in the start-up log.
    assert!(most <= 16, "{most} connections open");
    assert!(
        started.contains("total=16")
            && started.contains("requests=4")
            && started.contains("workers=12"),
        "the start-up log states the budget:\n{started}"
    );
}

/// The text without its ANSI colour sequences (`ESC [ … m`).
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
