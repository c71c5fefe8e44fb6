//! Item types as a directory staff edit (issue 19.2): a type's grace days, suspension rule,
//! deletion delay and auto-renewal default, over HTTP with a fixed clock.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn money(amount: &str) -> Value {
    json!({ "amount": amount, "currency": "EUR" })
}

struct Scene {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    provider: String,
    client: String,
}

impl Scene {
    async fn new() -> Scene {
        let (server, clock) = TestServer::start_fixed().await;
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Olga Berg").await;
        let scene = Scene {
            server,
            clock,
            provider,
            client,
        };
        scene.set_day(day(2027, 1, 1));
        scene
    }

    fn set_day(&self, date: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("a time")));
    }

    async fn define(&self, code: &str, body: Value) -> tests::Answer {
        self.server
            .call(Method::PUT, &format!("/v1/item-types/{code}"), Some(body))
            .await
    }

    async fn tariff(&self, item_type: &str, price: &str) -> tests::Answer {
        self.server
            .post(
                "/v1/tariffs",
                json!({"provider_id": self.provider, "name": format!("{item_type} plan"),
                       "item_type": item_type,
                       "prices": [{"period": "P1M", "price": money(price)}]}),
            )
            .await
    }

    async fn pay(&self, amount: &str) {
        let answer = self
            .server
            .post(
                &format!("/v1/clients/{}/payments", self.client),
                json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR", "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        let position = answer.body["position"].as_i64().unwrap();
        let state = &self.server.running.as_ref().unwrap().state;
        for name in ["services", "settlement"] {
            let reached = projections::engine::wait_for_position(
                &self.server.db.pool,
                &state.progress,
                name,
                position,
                Duration::from_secs(20),
            )
            .await
            .unwrap();
            assert!(reached, "{name} reached {position}");
        }
    }

    async fn order(&self, tariff: &str) -> String {
        let answer = self
            .server
            .post(
                &format!("/v1/clients/{}/services", self.client),
                json!({"tariff_id": tariff, "period": "P1M"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().unwrap().to_owned()
    }

    async fn billing_day(&self, date: NaiveDate) -> Value {
        self.set_day(date);
        let answer = self
            .server
            .post("/v1/billing/runs", json!({"as_of": date}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        self.robot().await;
        answer.body
    }

    /// The provisioning robot: completes every pending operation.
    async fn robot(&self) {
        let head = self.head().await;
        let pending = self
            .server
            .get(&format!(
                "/v1/operations?status=pending&min_position={head}"
            ))
            .await;
        for op in pending.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let done = self
                .server
                .post(
                    &format!("/v1/operations/{}/complete", op["id"].as_str().unwrap()),
                    json!({}),
                )
                .await;
            assert_eq!(done.status, StatusCode::OK, "{done:?}");
        }
    }

    async fn head(&self) -> i64 {
        eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap()
    }

    async fn service(&self, id: &str) -> Value {
        let head = self.head().await;
        self.server
            .get(&format!("/v1/services/{id}?min_position={head}"))
            .await
            .body
    }

    async fn expenses(&self) -> Vec<Value> {
        let head = self.head().await;
        self.server
            .get(&format!(
                "/v1/clients/{}/expenses?limit=500&min_position={head}",
                self.client
            ))
            .await
            .body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    async fn balance(&self) -> String {
        let head = self.head().await;
        let answer = self
            .server
            .get(&format!(
                "/v1/clients/{}/balance?min_position={head}",
                self.client
            ))
            .await;
        answer.body["accounts"][0]["balance"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn vds_policy(grace_days: u32, deletion_delay_days: u32) -> Value {
    json!({"name": "Virtual server", "deletion_delay_days": deletion_delay_days,
           "suspension": "suspend", "grace_days": grace_days, "auto_prolong": true})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_grace_and_deletion_delay_drive_the_billing_days() {
    // Arrange: a VDS at 10.00 a month, paid for January only; then staff give VDS three grace
    // days and a deletion delay of two days (built in: none and seven), after the order.
    let scene = Scene::new().await;
    let tariff = scene.tariff("vds", "10.00").await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    let tariff = tariff.body["id"].as_str().unwrap().to_owned();
    scene.pay("10.00").await;
    let vds = scene.order(&tariff).await;
    scene.robot().await;
    assert_eq!(scene.service(&vds).await["paid_until"], "2027-02-01");
    let defined = scene.define("vds", vds_policy(3, 2)).await;
    assert_eq!(defined.status, StatusCode::OK, "{defined:?}");

    // Act: one billing day at a time through February.
    let mut statuses = Vec::new();
    let mut date = day(2027, 1, 30);
    while date <= day(2027, 2, 8) {
        scene.billing_day(date).await;
        let status = scene.service(&vds).await["status"]
            .as_str()
            .unwrap()
            .to_owned();
        statuses.push((date.to_string(), status));
        date = date.succ_opt().unwrap();
    }

    // Assert: running through the grace (Feb 1 to 3), suspended on Feb 4, deleted two days
    // later; nothing charged after January, and the client was told once in the grace.
    let expected = [
        ("2027-01-30", "active"),
        ("2027-01-31", "active"),
        ("2027-02-01", "active"),
        ("2027-02-02", "active"),
        ("2027-02-03", "active"),
        ("2027-02-04", "suspended"),
        ("2027-02-05", "suspended"),
        ("2027-02-06", "deleted"),
        ("2027-02-07", "deleted"),
        ("2027-02-08", "deleted"),
    ];
    let statuses: Vec<(&str, &str)> = statuses
        .iter()
        .map(|(d, s)| (d.as_str(), s.as_str()))
        .collect();
    assert_eq!(statuses, expected);
    let amounts: Vec<Value> = scene
        .expenses()
        .await
        .iter()
        .map(|e| e["amount"].clone())
        .collect();
    assert_eq!(amounts, vec![json!("10.00")]);
    assert_eq!(scene.balance().await, "0.00");
    let overdue: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'Service' AND aggregate_id = $1
            AND event_type = 'NoticeDue' AND payload::text LIKE '%overdue%'",
    )
    .bind(&vds)
    .fetch_one(&scene.server.db.pool)
    .await
    .unwrap();
    assert_eq!(overdue, 1, "one overdue notice in the grace");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_inside_the_grace_charges_from_the_due_date() {
    // Arrange: VDS with five grace days; January paid, February not on its first day.
    let scene = Scene::new().await;
    assert_eq!(
        scene.define("vds", vds_policy(5, 7)).await.status,
        StatusCode::OK
    );
    let tariff = scene.tariff("vds", "10.00").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    scene.pay("10.00").await;
    let vds = scene.order(&tariff).await;
    scene.robot().await;
    scene.billing_day(day(2027, 2, 1)).await;
    assert_eq!(scene.service(&vds).await["status"], "active");

    // Act: the client pays on Feb 3, inside the grace; the next billing day charges.
    scene.set_day(day(2027, 2, 3));
    scene.pay("10.00").await;
    scene.billing_day(day(2027, 2, 3)).await;

    // Assert: February is charged whole from Feb 1 (no free days), to the cent.
    let service = scene.service(&vds).await;
    assert_eq!(service["status"], "active");
    assert_eq!(service["paid_until"], "2027-03-01");
    let expenses = scene.expenses().await;
    let periods: Vec<(Value, Value)> = expenses
        .iter()
        .map(|e| (e["period_start"].clone(), e["amount"].clone()))
        .collect();
    assert!(
        periods.contains(&(json!("2027-02-01"), json!("10.00"))),
        "{expenses:?}"
    );
    assert_eq!(expenses.len(), 2, "{expenses:?}");
    assert_eq!(scene.balance().await, "0.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_type_is_listed_sold_and_renews_as_it_says() {
    // Arrange and act: staff define a game server type that does not renew by default.
    let scene = Scene::new().await;
    let defined = scene
        .define(
            "game_server",
            json!({"name": "Game server", "deletion_delay_days": 3, "suspension": "delete",
                   "grace_days": 1, "auto_prolong": false}),
        )
        .await;
    assert_eq!(defined.status, StatusCode::OK, "{defined:?}");
    let position = defined.body["position"].as_i64().unwrap();
    let tariff = scene.tariff("game_server", "4.00").await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    scene.pay("4.00").await;
    let game = scene.order(tariff.body["id"].as_str().unwrap()).await;

    // Assert: the directory lists it after the seven built in; the order took its default.
    let list = scene
        .server
        .get(&format!("/v1/item-types?min_position={position}"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 8, "{list:?}");
    assert_eq!(items[2]["code"], "vds");
    assert_eq!(items[2]["deletion_delay_days"], 7);
    assert_eq!(items[2]["built_in"], true);
    assert_eq!(
        items[7],
        json!({"code": "game_server", "name": "Game server", "built_in": false,
               "deletion_delay_days": 3, "suspension": "delete", "grace_days": 1,
               "auto_prolong": false})
    );
    assert_eq!(scene.service(&game).await["auto_prolong"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_item_types_get_a_problem_and_write_nothing() {
    let scene = Scene::new().await;
    let events = scene.server.event_count().await;
    let put = |code: &str, body: Value| {
        let path = format!("/v1/item-types/{code}");
        let server = &scene.server;
        async move { server.call(Method::PUT, &path, Some(body)).await }
    };
    let cases = vec![
        ("negative days", put("vds", vds_policy(0, 0)).await, None),
        (
            "negative grace",
            put(
                "vds",
                json!({"name": "V", "deletion_delay_days": 1, "suspension": "suspend",
                       "grace_days": -1, "auto_prolong": true}),
            )
            .await,
            None,
        ),
        (
            "too many days",
            put("vds", vds_policy(4000, 1)).await,
            Some("invalid_item_type_days"),
        ),
        (
            "unknown rule",
            put(
                "vds",
                json!({"name": "V", "deletion_delay_days": 1, "suspension": "later",
                       "grace_days": 0, "auto_prolong": true}),
            )
            .await,
            None,
        ),
        (
            "empty name",
            put(
                "vds",
                json!({"name": " ", "deletion_delay_days": 1, "suspension": "suspend",
                       "grace_days": 0, "auto_prolong": true}),
            )
            .await,
            Some("invalid_item_type_name"),
        ),
        (
            "bad code",
            put("Game-Server", vds_policy(0, 1)).await,
            Some("item_type_not_found"),
        ),
        (
            "tariff of an unknown type",
            scene.tariff("spaceship", "1.00").await,
            Some("unknown_item_type"),
        ),
        (
            "tariff of an invalid type",
            scene.tariff("Space Ship", "1.00").await,
            None,
        ),
    ];
    for (name, answer, code) in cases {
        if name == "negative days" {
            // Zero days are allowed: the only valid case, checked to be a write below.
            assert_eq!(answer.status, StatusCode::OK, "{name}: {answer:?}");
            continue;
        }
        assert!(answer.status.is_client_error(), "{name}: {answer:?}");
        assert_eq!(answer.content_type, "application/problem+json", "{name}");
        if let Some(code) = code {
            assert_eq!(answer.body["code"], code, "{name}: {answer:?}");
        }
    }
    // Only the valid definition was written.
    assert_eq!(scene.server.event_count().await, events + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_edit_an_item_type_on_the_panel_in_both_languages() {
    // Arrange: the admin signed in to the staff panel.
    let scene = Scene::new().await;
    let panel = crate::panel::Panel::sign_in(&scene.server, "admin", tests::ADMIN_TOKEN).await;
    let (status, page) = panel.get("/dashboard/item-types").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-code=\"vds\""), "{page}");
    let csrf = crate::panel::hidden(&page, "id=\"item-type\"", "csrf");
    let key = crate::panel::hidden(&page, "id=\"item-type\"", "key");
    let form = |grace: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("key", key.clone()),
            ("code", "vds".to_owned()),
            ("name", "Virtual server".to_owned()),
            ("grace_days", grace.to_owned()),
            ("suspension", "suspend".to_owned()),
            ("deletion_delay_days", "2".to_owned()),
            ("auto_prolong", "true".to_owned()),
        ]
    };
    let post = |form: Vec<(&'static str, String)>| {
        let panel = &panel;
        async move {
            let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            panel.post("/dashboard/item-types", &fields).await
        }
    };
    let events = scene.server.event_count().await;

    // Act: a refused form (negative grace), then a good one.
    let refused = post(form("-1")).await;
    let refused_status = refused.status();
    let refused_body = refused.text().await.unwrap();
    let written_after_refusal = scene.server.event_count().await;
    let saved = post(form("3")).await;

    // Assert: the refusal is on the page and wrote nothing; the save shows in the table, whose
    // words are Russian for a Russian staff member.
    assert_eq!(refused_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused_body.contains("grace_days"), "{refused_body}");
    assert_eq!(written_after_refusal, events);
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    scene.server.settled().await;
    let (_, page) = panel.get("/dashboard/item-types?done=saved").await;
    assert!(page.contains("Virtual server"), "{page}");
    assert!(page.contains("Grace days"), "{page}");
    let russian = reqwest::Client::new()
        .get(format!("{}/dashboard/item-types", scene.server.url))
        .header("cookie", format!("{}; billing_lang=ru", panel.cookie))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(russian.contains("Дней отсрочки"), "{russian}");
}
