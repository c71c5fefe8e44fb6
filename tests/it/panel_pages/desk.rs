//! The reports page's support-desk report: response times per department, with the API's CSV.

use reqwest::StatusCode;
use serde_json::json;
use tests::ADMIN_TOKEN;

use super::{Panel, Scene, created, section};

#[tokio::test]
async fn the_reports_page_shows_the_support_desks_response_times_with_the_apis_csv() {
    // Arrange: a department that takes tickets, besides the scene's.
    let scene = Scene::new().await;
    let server = &scene.server;
    created(
        server,
        "/v1/departments",
        json!({"name": "Technical support", "accepts_tickets": true,
               "permissions": ["tickets:read", "tickets:write"]}),
    )
    .await;
    let admin = Panel::sign_in(server, "admin", ADMIN_TOKEN).await;
    let reader = Panel::sign_in(server, "reader@example.com", "correct horse battery").await;
    server.settled().await;

    // Act
    let (status, _, page) = admin.get("/dashboard/reports").await;
    let (csv_status, csv_type, csv) = admin.get("/dashboard/reports/response-times/csv").await;
    let api_csv = server
        .http
        .get(format!(
            "{}/v1/reports/response-times?format=csv",
            server.url
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (reader_csv, _, _) = reader.get("/dashboard/reports/response-times/csv").await;

    // Assert: the desk's department is a row, the download is the API's CSV, and a staff member
    // without the report's permission gets neither.
    assert_eq!(status, StatusCode::OK);
    let desk = section(&page, "response-times");
    assert!(desk.contains("Technical support"), "{desk}");
    assert!(desk.contains("id=\"response-times-csv\""), "{desk}");
    assert_eq!(csv_status, StatusCode::OK, "{csv}");
    assert!(csv_type.starts_with("text/csv"), "{csv_type}");
    assert_eq!(csv, api_csv);
    assert!(csv.contains("Technical support"), "{csv}");
    assert_eq!(reader_csv, StatusCode::FORBIDDEN);
}
