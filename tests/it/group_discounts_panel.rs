//! The client groups' discounts on the staff panel (issue 20.6): staff see each group's
//! discount per item type and set or remove one with a form, which goes through the same code
//! as `PUT /v1/client-groups/{id}/discounts`; a refused form writes nothing.

use reqwest::StatusCode;
use serde_json::json;
use tests::TestServer;
use uuid::Uuid;

use crate::panel::{Panel, hidden};

#[tokio::test]
async fn staff_set_and_remove_a_groups_discount_on_the_panel_in_both_languages() {
    // Arrange: a provider's group "VIP", and the admin on the page.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let group = Uuid::now_v7().to_string();
    let created = server
        .post(
            "/v1/client-groups",
            json!({"group_id": group, "provider_id": provider, "name": "VIP"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    server.settled().await;
    let panel = Panel::sign_in(&server, "admin", tests::ADMIN_TOKEN).await;
    let (status, page) = panel.get("/dashboard/client-groups").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&format!("data-group=\"{group}\"")), "{page}");
    assert!(page.contains("href=\"/dashboard/client-groups\""), "{page}");
    let csrf = hidden(&page, "id=\"group-discount\"", "csrf");
    let form = |percent: &str, key: String| {
        vec![
            ("csrf", csrf.clone()),
            ("key", key),
            ("group_id", group.clone()),
            ("item_type", "vds".to_owned()),
            ("percent", percent.to_owned()),
        ]
    };
    let post = |form: Vec<(&'static str, String)>| {
        let panel = &panel;
        async move {
            let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            panel.post("/dashboard/client-groups", &fields).await
        }
    };
    let events = server.event_count().await;

    // Act: a refused percent (above 100), then 12.5 %.
    let refused = post(form("150", Uuid::now_v7().to_string())).await;
    let refused_status = refused.status();
    let refused_body = refused.text().await.expect("a page");
    let after_refusal = server.event_count().await;
    let saved = post(form("12.5", Uuid::now_v7().to_string())).await;

    // Assert: the refusal is on the page and wrote nothing; the discount is the group's, in the
    // API and on the page, whose words are Russian for a Russian staff member.
    assert_eq!(refused_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused_body.contains("id=\"error\""), "{refused_body}");
    assert_eq!(after_refusal, events);
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let head = server.settled().await;
    let groups = server
        .get(&format!(
            "/v1/client-groups?provider_id={provider}&min_position={head}"
        ))
        .await;
    assert_eq!(groups.body["items"][0]["discounts"], json!({"vds": "12.5"}));
    let (_, page) = panel.get("/dashboard/client-groups?done=saved").await;
    assert!(page.contains("id=\"saved\""), "{page}");
    assert!(page.contains("12.5 %"), "{page}");
    let russian = reqwest::Client::new()
        .get(format!("{}/dashboard/client-groups", server.url))
        .header("cookie", format!("{}; billing_lang=ru", panel.cookie))
        .send()
        .await
        .expect("the page")
        .text()
        .await
        .expect("its text");
    assert!(russian.contains("Скидки групп клиентов"), "{russian}");

    // Act: an empty percent removes it.
    let removed = post(form("", Uuid::now_v7().to_string())).await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let head = server.settled().await;
    let groups = server
        .get(&format!(
            "/v1/client-groups?provider_id={provider}&min_position={head}"
        ))
        .await;
    assert_eq!(groups.body["items"][0]["discounts"], json!({}));
}
