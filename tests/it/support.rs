//! The support center end to end over HTTP: a ticket's whole life with each side's permissions,
//! business-hour response times, attachments and their limits, and bad input.

use base64::Engine;
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{Answer, TestServer, answer};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// A provider with clients A and B (each with an owner user), a support staff member in
/// Technical support and a sales staff member in Sales, on a fixed clock at Friday 2027-01-01
/// 09:00 UTC.
pub(crate) struct Desk {
    pub(crate) server: TestServer,
    pub(crate) clock: std::sync::Arc<eventstore::clock::FixedClock>,
    pub(crate) provider: String,
    pub(crate) client_a: String,
    pub(crate) client_b: String,
    pub(crate) user_a: String,
    pub(crate) user_b: String,
    pub(crate) support: String,
    pub(crate) sales: String,
    pub(crate) support_department: String,
    pub(crate) sales_department: String,
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) async fn send(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = server
        .http
        .request(method, format!("{}{path}", server.url))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.expect("send")).await
}

async fn login(server: &TestServer, email: &str) -> String {
    let answer = server
        .post(
            "/v1/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body["token"].as_str().unwrap().to_owned()
}

impl Desk {
    /// Logs everyone in again: login tokens last 12 hours of the (moved) clock.
    pub(crate) async fn relogin(&mut self) {
        self.user_a = login(&self.server, "owner-a@example.com").await;
        self.user_b = login(&self.server, "owner-b@example.com").await;
        self.support = login(&self.server, "sam@provider.example").await;
        self.sales = login(&self.server, "sue@provider.example").await;
    }

    pub(crate) async fn new(
        server: TestServer,
        clock: std::sync::Arc<eventstore::clock::FixedClock>,
    ) -> Desk {
        let provider = server.provider("EUR").await;
        let mut client_ids = Vec::new();
        for (name, email) in [
            ("Client A", "owner-a@example.com"),
            ("Client B", "owner-b@example.com"),
        ] {
            let created = server
                .post(
                    "/v1/clients",
                    json!({"provider_id": provider, "name": name,
                           "email": format!("billing-{email}"), "kind": "individual",
                           "country": "DE", "user": {"email": email, "password": PASSWORD}}),
                )
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
            client_ids.push(created.body["id"].as_str().unwrap().to_owned());
        }
        // The first staff member creates the default departments.
        let first = server
            .post(
                "/v1/staff",
                json!({"name": "Sam Support", "email": "sam@provider.example",
                       "password": PASSWORD, "departments": []}),
            )
            .await;
        assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
        let position = first.body["position"].as_i64().unwrap();
        let departments = server
            .get(&format!("/v1/departments?min_position={position}"))
            .await;
        let id_of = |name: &str| {
            departments.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["name"] == name)
                .map(|d| d["id"].as_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("no {name}: {departments:?}"))
        };
        let support_department = id_of("Technical support");
        let sales_department = id_of("Sales");
        let staff_id = first.body["id"].as_str().unwrap().to_owned();
        let access = server
            .call(
                Method::PUT,
                &format!("/v1/staff/{staff_id}/access"),
                Some(json!({"departments": [support_department], "grants": [],
                            "administrator": false})),
            )
            .await;
        assert_eq!(access.status, StatusCode::OK, "{access:?}");
        let seller = server
            .post(
                "/v1/staff",
                json!({"name": "Sue Sales", "email": "sue@provider.example",
                       "password": PASSWORD, "departments": [sales_department]}),
            )
            .await;
        assert_eq!(seller.status, StatusCode::CREATED, "{seller:?}");
        let user_a = login(&server, "owner-a@example.com").await;
        let user_b = login(&server, "owner-b@example.com").await;
        let support = login(&server, "sam@provider.example").await;
        let sales = login(&server, "sue@provider.example").await;
        Desk {
            provider,
            client_a: client_ids[0].clone(),
            client_b: client_ids[1].clone(),
            user_a,
            user_b,
            support,
            sales,
            support_department,
            sales_department,
            server,
            clock,
        }
    }

    pub(crate) async fn as_(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        send(&self.server, token, method, path, body).await
    }

    /// The head of the log, for `min_position`.
    pub(crate) async fn head(&self) -> i64 {
        eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap()
    }

    async fn queue(&self, token: &str, department: Option<&str>) -> Answer {
        let head = self.head().await;
        let filter = department.map_or_else(String::new, |d| format!("&department_id={d}"));
        self.as_(
            token,
            Method::GET,
            &format!("/v1/ticket-queue?min_position={head}{filter}"),
            None,
        )
        .await
    }

    async fn ticket(&self, token: &str, id: &str) -> Answer {
        let head = self.head().await;
        self.as_(
            token,
            Method::GET,
            &format!("/v1/tickets/{id}?min_position={head}"),
            None,
        )
        .await
    }

    async fn attachment_rows(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM ticket_attachments")
            .fetch_one(&self.server.db.pool)
            .await
            .unwrap()
    }
}

fn ids(page: &Answer) -> Vec<String> {
    page.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page:?}"))
        .iter()
        .map(|t| t["ticket_id"].as_str().unwrap().to_owned())
        .collect()
}

/// A tiny PNG: the signature and an empty IHDR is enough for the type check.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR";

#[tokio::test]
async fn a_ticket_lives_from_question_to_archive_and_each_side_sees_only_its_own() {
    // Arrange: hours 09:00 to 17:00 UTC on weekdays; a category routed to Technical support.
    let (server, clock) = TestServer::start_fixed().await;
    let mut desk = Desk::new(server, clock).await;
    let weekdays: Vec<Value> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| json!({"day": d, "open": "09:00", "close": "17:00"}))
        .collect();
    let hours = desk
        .server
        .call(
            Method::PUT,
            &format!("/v1/departments/{}/business-hours", desk.support_department),
            Some(json!({"time_zone": "UTC", "days": weekdays})),
        )
        .await;
    assert_eq!(hours.status, StatusCode::OK, "{hours:?}");
    let category = Uuid::now_v7();
    let created = desk
        .as_(
            &desk.support,
            Method::POST,
            "/v1/ticket-categories",
            Some(json!({"category_id": category, "name": "Servers",
                        "department_id": desk.support_department})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");

    // Act 1: client A's user asks, with a screenshot, on Friday at 09:00.
    let opened = desk
        .as_(
            &desk.user_a,
            Method::POST,
            &format!("/v1/clients/{}/tickets", desk.client_a),
            Some(
                json!({"subject": "Server down", "body": "It does not boot since today.",
                        "category_id": category,
                        "attachments": [{"file_name": "screen.png", "content_type": "image/png",
                                         "content_base64": b64(PNG)}]}),
            ),
        )
        .await;

    // Assert 1: the ticket is in the support queue, not in sales'; only A sees it.
    assert_eq!(opened.status, StatusCode::CREATED, "{opened:?}");
    let ticket = opened.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&desk.queue(&desk.support, None).await),
        vec![ticket.clone()]
    );
    assert!(ids(&desk.queue(&desk.sales, None).await).is_empty());
    let other_queue = desk
        .queue(&desk.sales, Some(&desk.support_department))
        .await;
    assert_eq!(other_queue.status, StatusCode::NOT_FOUND, "{other_queue:?}");
    let seen = desk.ticket(&desk.user_a, &ticket).await;
    assert_eq!(seen.status, StatusCode::OK, "{seen:?}");
    assert_eq!(seen.body["status"], "open");
    assert_eq!(seen.body["department_id"], desk.support_department.as_str());
    let sha = seen.body["messages"][0]["attachments"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    for (token, path) in [
        (&desk.user_b, format!("/v1/tickets/{ticket}")),
        (
            &desk.user_b,
            format!("/v1/tickets/{ticket}/attachments/{sha}"),
        ),
        (
            &desk.user_b,
            format!("/v1/clients/{}/tickets", desk.client_a),
        ),
        (
            &desk.user_a,
            format!("/v1/clients/{}/tickets", desk.client_b),
        ),
    ] {
        let got = desk.as_(token, Method::GET, &path, None).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{path}: {got:?}");
        assert_eq!(got.content_type, "application/problem+json");
    }
    let file = desk
        .server
        .http
        .get(format!(
            "{}/v1/tickets/{ticket}/attachments/{sha}",
            desk.server.url
        ))
        .bearer_auth(&desk.user_a)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.bytes().await.unwrap().as_ref(), PNG);

    // Act 2: support answers on Monday at 09:30.
    desk.clock
        .set(Utc.with_ymd_and_hms(2027, 1, 4, 9, 30, 0).single().unwrap());
    desk.relogin().await;
    let answered = desk
        .as_(
            &desk.support,
            Method::POST,
            &format!("/v1/tickets/{ticket}/messages"),
            Some(json!({"body": "We rebooted it; please check."})),
        )
        .await;

    // Assert 2: eight hours on Friday and half an hour on Monday; the queue is empty.
    assert_eq!(answered.status, StatusCode::CREATED, "{answered:?}");
    let seen = desk.ticket(&desk.user_a, &ticket).await;
    assert_eq!(seen.body["status"], "answered");
    assert_eq!(seen.body["messages"][1]["author_side"], "staff");
    assert_eq!(
        seen.body["messages"][1]["response_seconds"],
        8 * 3600 + 1800
    );
    assert!(ids(&desk.queue(&desk.support, None).await).is_empty());

    // Act 3: the client replies; support hands the ticket to sales.
    let replied = desk
        .as_(
            &desk.user_a,
            Method::POST,
            &format!("/v1/tickets/{ticket}/messages"),
            Some(json!({"body": "It works, but I want a bigger plan."})),
        )
        .await;
    assert_eq!(replied.status, StatusCode::CREATED, "{replied:?}");
    assert_eq!(
        ids(&desk.queue(&desk.support, None).await),
        vec![ticket.clone()]
    );
    let assigned = desk
        .as_(
            &desk.support,
            Method::POST,
            &format!("/v1/tickets/{ticket}/assign"),
            Some(json!({"department_id": desk.sales_department})),
        )
        .await;
    let client_assigns = desk
        .as_(
            &desk.user_a,
            Method::POST,
            &format!("/v1/tickets/{ticket}/assign"),
            Some(json!({"department_id": desk.support_department})),
        )
        .await;

    // Assert 3: it moved to the sales queue; a client may not assign.
    assert_eq!(assigned.status, StatusCode::OK, "{assigned:?}");
    assert_eq!(
        client_assigns.status,
        StatusCode::FORBIDDEN,
        "{client_assigns:?}"
    );
    assert!(ids(&desk.queue(&desk.support, None).await).is_empty());
    assert_eq!(
        ids(&desk.queue(&desk.sales, None).await),
        vec![ticket.clone()]
    );

    // Act 4: sales closes it; the client writes to the closed ticket, then reopens it.
    let closed = desk
        .as_(
            &desk.sales,
            Method::POST,
            &format!("/v1/tickets/{ticket}/close"),
            None,
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{closed:?}");
    let head = desk.head().await;
    let open_list = desk
        .as_(
            &desk.user_a,
            Method::GET,
            &format!("/v1/clients/{}/tickets?min_position={head}", desk.client_a),
            None,
        )
        .await;
    let archive = desk
        .as_(
            &desk.user_a,
            Method::GET,
            &format!("/v1/clients/{}/tickets?status=archived", desk.client_a),
            None,
        )
        .await;
    let events = desk.server.event_count().await;
    let to_closed = desk
        .as_(
            &desk.user_a,
            Method::POST,
            &format!("/v1/tickets/{ticket}/messages"),
            Some(json!({"body": "Hello?"})),
        )
        .await;
    let written = desk.server.event_count().await - events;
    let reopened = desk
        .as_(
            &desk.user_a,
            Method::POST,
            &format!("/v1/tickets/{ticket}/reopen"),
            None,
        )
        .await;

    // Assert 4: archived, refused while closed, waiting for sales again once reopened.
    assert!(ids(&open_list).is_empty(), "{open_list:?}");
    assert_eq!(ids(&archive), vec![ticket.clone()]);
    assert_eq!(
        to_closed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{to_closed:?}"
    );
    assert_eq!(to_closed.body["code"], "ticket_closed");
    assert_eq!(written, 0);
    assert_eq!(reopened.status, StatusCode::OK, "{reopened:?}");
    assert_eq!(
        ids(&desk.queue(&desk.sales, None).await),
        vec![ticket.clone()]
    );
    let seen = desk.ticket(&desk.support, &ticket).await;
    assert_eq!(seen.body["status"], "open");
    assert_eq!(seen.body["messages"].as_array().unwrap().len(), 3);

    // The report counts the one first answer of Technical support, and the ticket waiting in
    // Sales; the log names who did what, and that support opened nothing on its own.
    let head = desk.head().await;
    let report = desk
        .server
        .get(&format!(
            "/v1/reports/response-times?from=2027-01-01&to=2027-01-08&min_position={head}"
        ))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{report:?}");
    let row = |id: &str| {
        report.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["department_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {report:?}"))
    };
    let support_row = row(&desk.support_department);
    assert_eq!(support_row["answers"], 1);
    assert_eq!(support_row["average_seconds"], 8 * 3600 + 1800);
    assert_eq!(row(&desk.sales_department)["waiting_now"], 1);
    let csv = desk
        .server
        .http
        .get(format!(
            "{}/v1/reports/response-times?from=2027-01-01&to=2027-01-08&format=csv",
            desk.server.url
        ))
        .bearer_auth(tests::ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("department_id,department,answers,average_seconds,"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(
            "{},Technical support,1,30600,30600,30600,0\r\n",
            desk.support_department
        )),
        "{csv}"
    );

    // Rebuilt from the log, the support read models hold the same rows.
    let pool = &desk.server.db.pool;
    let mut before = Vec::new();
    for table in projections::support::TABLES {
        before.push(tests::table_digest(pool, table, "position").await);
    }
    projections::engine::reset(pool, &projections::support::Support)
        .await
        .unwrap();
    projections::engine::catch_up(pool, &projections::support::Support, 1000)
        .await
        .unwrap();
    for (table, digest) in projections::support::TABLES.iter().zip(before) {
        assert_eq!(
            tests::table_digest(pool, table, "position").await,
            digest,
            "{table}"
        );
    }
}

#[tokio::test]
async fn staff_writing_to_a_client_opens_a_ticket_on_its_behalf() {
    // Arrange
    let (server, clock) = TestServer::start_fixed().await;
    let desk = Desk::new(server, clock).await;

    // Act
    let opened = desk
        .as_(
            &desk.support,
            Method::POST,
            &format!("/v1/clients/{}/tickets", desk.client_b),
            Some(json!({"subject": "Planned maintenance", "body": "We move your server tonight."})),
        )
        .await;

    // Assert: waiting for the client, not in any queue, logged as on the client's behalf.
    assert_eq!(opened.status, StatusCode::CREATED, "{opened:?}");
    let ticket = opened.body["id"].as_str().unwrap();
    let seen = desk.ticket(&desk.user_b, ticket).await;
    assert_eq!(seen.body["status"], "answered", "{seen:?}");
    assert!(ids(&desk.queue(&desk.support, None).await).is_empty());
    let metadata: Value = sqlx::query_scalar(
        "SELECT metadata::jsonb FROM events WHERE aggregate_type = 'Ticket' AND aggregate_id = $1",
    )
    .bind(ticket)
    .fetch_one(&desk.server.db.pool)
    .await
    .unwrap();
    assert_eq!(
        metadata["on_behalf_of"],
        format!("client:{}", desk.client_b)
    );
    assert!(metadata["actor"].as_str().unwrap().starts_with("staff:"));
    let head = desk.head().await;
    let log = desk
        .server
        .get(&format!(
            "/v1/action-log?client_id={}&event_type=TicketOpened&min_position={head}",
            desk.client_b
        ))
        .await;
    assert_eq!(log.body["items"][0]["aggregate_id"], ticket, "{log:?}");

    // The ticket goes to a colleague by name; someone unknown is refused.
    let me = desk
        .as_(&desk.support, Method::GET, "/v1/auth/me", None)
        .await;
    let sam = me.body["actor"]
        .as_str()
        .unwrap()
        .trim_start_matches("staff:")
        .to_owned();
    let assign = |staff: String| {
        let desk = &desk;
        async move {
            desk.as_(
                &desk.sales,
                Method::POST,
                &format!("/v1/tickets/{ticket}/assign"),
                Some(json!({"staff_id": staff})),
            )
            .await
        }
    };
    let to_sam = assign(sam.clone()).await;
    let to_nobody = assign(Uuid::now_v7().to_string()).await;
    assert_eq!(to_sam.status, StatusCode::OK, "{to_sam:?}");
    assert_eq!(
        to_nobody.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{to_nobody:?}"
    );
    assert_eq!(to_nobody.body["code"], "staff_not_found");
    let seen = desk.ticket(&desk.support, ticket).await;
    assert_eq!(seen.body["staff_id"], sam.as_str());
    assert_eq!(seen.body["department_id"], desk.support_department.as_str());

    // The client is told of the message (rendered; no SMTP server in this test), and sees that
    // notice as its own.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let notice = loop {
        let page = desk
            .as_(&desk.user_b, Method::GET, "/v1/notifications", None)
            .await;
        let found = page.body["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|n| n["kind"] == "ticket_answered")
                .cloned()
        });
        if let Some(found) = found {
            break found;
        }
        assert!(tokio::time::Instant::now() < deadline, "{page:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(notice["status"], "not_configured");
    assert_eq!(notice["subject"], "Re: Planned maintenance");
    assert_eq!(notice["client_id"], desk.client_b.as_str());
}

#[tokio::test]
async fn bad_input_is_refused_with_a_problem_and_writes_nothing() {
    // Arrange
    let (server, clock) = TestServer::start_fixed().await;
    let desk = Desk::new(server, clock).await;
    let opened = desk
        .as_(
            &desk.user_a,
            Method::POST,
            &format!("/v1/clients/{}/tickets", desk.client_a),
            Some(json!({"subject": "Question", "body": "Hello"})),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{opened:?}");
    let ticket = opened.body["id"].as_str().unwrap().to_owned();
    let tickets = format!("/v1/clients/{}/tickets", desk.client_a);
    let messages = format!("/v1/tickets/{ticket}/messages");
    let over_limit = vec![b'a'; 5 * 1024 * 1024 + 1];
    let file = |name: &str, kind: &str, bytes: &[u8]| json!([{"file_name": name, "content_type": kind, "content_base64": b64(bytes)}]);
    let cases: Vec<(Method, String, Value, StatusCode, &str)> = vec![
        (
            Method::POST,
            tickets.clone(),
            json!({"subject": "  ", "body": "Hello"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_subject",
        ),
        (
            Method::POST,
            tickets.clone(),
            json!({"subject": "Hi", "body": "\u{7}"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Method::POST,
            tickets.clone(),
            json!({"subject": "Hi", "body": "x", "department_id": Uuid::now_v7()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "department_not_found",
        ),
        (
            Method::POST,
            tickets.clone(),
            json!({"subject": "Hi", "body": "x", "category_id": Uuid::now_v7()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "category_not_found",
        ),
        (
            Method::POST,
            messages.clone(),
            json!({"body": "log", "attachments": file("big.txt", "text/plain", &over_limit)}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
        ),
        (
            Method::POST,
            tickets.clone(),
            json!({"subject": "Hi", "body": "x",
                "attachments": file("big.txt", "text/plain", &over_limit)}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
        ),
        (
            Method::POST,
            messages.clone(),
            json!({"body": "see", "attachments": file("setup.exe", "application/x-msdownload",
                                                      b"MZ\x90\x00")}),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_attachment",
        ),
        (
            Method::POST,
            messages.clone(),
            json!({"body": "see", "attachments": file("cat.png", "image/png", b"MZ\x90\x00")}),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_attachment",
        ),
        (
            Method::POST,
            messages.clone(),
            json!({"body": "see", "attachments": [{"file_name": "a.txt",
                "content_type": "text/plain", "content_base64": "%%%"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_attachment",
        ),
        (
            Method::POST,
            messages.clone(),
            json!({"body": "", "attachments": file("a.txt", "text/plain", b"fine")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Method::POST,
            format!("/v1/tickets/{}/messages", Uuid::now_v7()),
            json!({"body": "x"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::POST,
            "/v1/ticket-categories".to_owned(),
            json!({"category_id": Uuid::now_v7(), "name": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            Method::POST,
            "/v1/answer-templates".to_owned(),
            json!({"name": "A", "body": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Method::PUT,
            format!("/v1/departments/{}/business-hours", desk.support_department),
            json!({"time_zone": "Europe/Berlin",
                "days": [{"day": "mon", "open": "17:00", "close": "09:00"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_business_hours",
        ),
        (
            Method::PUT,
            format!("/v1/departments/{}/business-hours", desk.support_department),
            json!({"time_zone": "Mars/Olympus", "days": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_business_hours",
        ),
        (
            Method::POST,
            format!("/v1/tickets/{ticket}/assign"),
            json!({"department_id": Uuid::now_v7()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "department_not_found",
        ),
    ];

    for (method, path, body, status, code) in cases {
        // Act
        let events = desk.server.event_count().await;
        let files = desk.attachment_rows().await;
        let token = if path.starts_with("/v1/departments") {
            tests::ADMIN_TOKEN.to_owned()
        } else if path.starts_with("/v1/ticket-categories")
            || path.starts_with("/v1/answer-templates")
            || path.ends_with("/assign")
        {
            desk.support.clone()
        } else {
            desk.user_a.clone()
        };
        let got = desk.as_(&token, method, &path, Some(body)).await;

        // Assert
        assert_eq!(got.status, status, "{path}: {got:?}");
        assert_eq!(got.content_type, "application/problem+json", "{path}");
        assert_eq!(got.body["code"], code, "{path}: {got:?}");
        assert_eq!(
            desk.server.event_count().await,
            events,
            "{path} wrote events"
        );
        assert_eq!(desk.attachment_rows().await, files, "{path} stored a file");
    }
}

#[tokio::test]
async fn staff_message_clients_as_tickets_and_announcements_show_while_valid() {
    // Arrange: client B reads German, client A never chose (English).
    let (server, clock) = TestServer::start_fixed().await;
    let desk = Desk::new(server, clock).await;
    let settings = desk
        .as_(
            &desk.user_b,
            Method::PUT,
            &format!("/v1/clients/{}/notice-settings", desk.client_b),
            Some(json!({"language": "de", "subscriptions": ["ticket_answered"]})),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{settings:?}");
    let german = json!({"message_id": Uuid::now_v7(), "provider_id": desk.provider,
                        "language": "de", "subject": "Wartung", "body": "Heute Nacht."});

    // Act: a message to the German-speaking clients, sent twice; one to everyone.
    let sent = desk
        .as_(
            &desk.support,
            Method::POST,
            "/v1/client-messages",
            Some(german.clone()),
        )
        .await;
    let events = desk.server.event_count().await;
    let again = desk
        .as_(
            &desk.support,
            Method::POST,
            "/v1/client-messages",
            Some(german),
        )
        .await;
    let written_again = desk.server.event_count().await - events;
    let everyone = desk
        .as_(
            &desk.support,
            Method::POST,
            "/v1/client-messages",
            Some(
                json!({"message_id": Uuid::now_v7(), "provider_id": desk.provider,
                        "subject": "New prices", "body": "From March."}),
            ),
        )
        .await;
    let refused = desk
        .as_(
            &desk.support,
            Method::POST,
            "/v1/client-messages",
            Some(
                json!({"message_id": Uuid::now_v7(), "provider_id": desk.provider,
                        "language": "german", "subject": "x", "body": "y"}),
            ),
        )
        .await;

    // Assert: one ticket for B, none more on the retry, one each for everyone.
    assert_eq!(sent.status, StatusCode::CREATED, "{sent:?}");
    assert_eq!(sent.body["clients"], 1);
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
    assert_eq!(written_again, 0);
    assert_eq!(everyone.body["clients"], 2, "{everyone:?}");
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    let head = desk.head().await;
    let of = |client: &str| format!("/v1/clients/{client}/tickets?status=all&min_position={head}");
    let b = desk
        .as_(&desk.user_b, Method::GET, &of(&desk.client_b), None)
        .await;
    let a = desk
        .as_(&desk.user_a, Method::GET, &of(&desk.client_a), None)
        .await;
    let subjects = |page: &Answer| {
        let mut subjects: Vec<String> = page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["subject"].as_str().unwrap().to_owned())
            .collect();
        subjects.sort();
        subjects
    };
    assert_eq!(subjects(&b), vec!["New prices", "Wartung"]);
    assert_eq!(subjects(&a), vec!["New prices"]);

    // Act: announcements for everyone, for German readers, and one for next week.
    let now = Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0).single().unwrap();
    let mut ids = Vec::new();
    for (title, language, from_hours) in [
        ("Maintenance", Value::Null, -1),
        ("Wartung", json!("de"), -1),
        ("Next week", Value::Null, 24 * 7),
    ] {
        let id = Uuid::now_v7();
        let published = desk
            .as_(
                &desk.support,
                Method::POST,
                "/v1/announcements",
                Some(json!({"announcement_id": id, "provider_id": desk.provider,
                            "title": title, "body": "Details inside.", "language": language,
                            "valid_from": now + chrono::Duration::hours(from_hours),
                            "valid_until": now + chrono::Duration::days(10)})),
            )
            .await;
        assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
        ids.push(id);
    }
    let titles = |page: Answer| -> Vec<String> {
        page.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{page:?}"))
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let head = desk.head().await;
    let list = format!("/v1/announcements?min_position={head}");
    let for_a = titles(desk.as_(&desk.user_a, Method::GET, &list, None).await);
    let for_b = titles(desk.as_(&desk.user_b, Method::GET, &list, None).await);
    let for_staff = titles(desk.as_(&desk.support, Method::GET, &list, None).await);
    let withdrawn = desk
        .as_(
            &desk.support,
            Method::POST,
            &format!("/v1/announcements/{}/withdraw", ids[0]),
            None,
        )
        .await;
    let head = desk.head().await;
    let after = titles(
        desk.as_(
            &desk.user_a,
            Method::GET,
            &format!("/v1/announcements?min_position={head}"),
            None,
        )
        .await,
    );
    let backwards = desk
        .as_(
            &desk.support,
            Method::POST,
            "/v1/announcements",
            Some(
                json!({"announcement_id": Uuid::now_v7(), "provider_id": desk.provider,
                        "title": "Oops", "body": "x", "valid_from": now,
                        "valid_until": now - chrono::Duration::hours(1)}),
            ),
        )
        .await;

    let b_logs_in = desk
        .server
        .post(
            "/v1/auth/login",
            json!({"email": "owner-b@example.com", "password": PASSWORD}),
        )
        .await;
    let mut at_login: Vec<String> = b_logs_in.body["announcements"]
        .as_array()
        .unwrap_or_else(|| panic!("{b_logs_in:?}"))
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect();
    at_login.sort();

    // Assert: each client sees what shows now in its language, also when it logs in; staff see
    // all.
    assert_eq!(at_login, vec!["Wartung"]);
    assert_eq!(for_a, vec!["Maintenance"]);
    let mut for_b = for_b;
    for_b.sort();
    assert_eq!(for_b, vec!["Maintenance", "Wartung"]);
    assert_eq!(for_staff.len(), 3, "{for_staff:?}");
    assert_eq!(withdrawn.status, StatusCode::OK, "{withdrawn:?}");
    assert!(after.is_empty(), "{after:?}");
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(backwards.body["code"], "invalid_period");
}
