//! `GET /v1/services`: every client's services for staff, by keyset pages, narrowed by status,
//! item type and client; refused to staff who may not read services, and a problem for a bad
//! cursor, status, item type or limit.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{Answer, TestServer, answer};

/// A tariff of `provider` of `item_type` at 10.00 EUR a month.
async fn tariff(server: &TestServer, provider: &str, item_type: &str) -> String {
    let created = server
        .post(
            "/v1/tariffs",
            json!({ "provider_id": provider, "name": format!("Tariff {item_type}"),
                    "item_type": item_type,
                    "prices": [{"period": "P1M", "price": {"amount": "10.00", "currency": "EUR"}}] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

/// Orders a service of `tariff` for `client`; answers its id.
async fn order(server: &TestServer, client: &str, tariff: &str) -> String {
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({ "tariff_id": tariff, "period": "P1M" }),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    ordered.body["id"].as_str().unwrap().to_owned()
}

/// The ids of a page's items.
fn ids(page: &Answer) -> Vec<String> {
    page.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page:?}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every page of `query`, `limit` at a time, following `next`.
async fn all_pages(server: &TestServer, query: &str, limit: usize) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut after = String::new();
    loop {
        let page = server
            .get(&format!("/v1/services?{query}&limit={limit}&after={after}"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        pages += 1;
        let items = ids(&page);
        assert!(items.len() <= limit);
        seen.extend(items);
        match page.body["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => return (seen, pages),
        }
    }
}

#[tokio::test]
async fn api_services_lists_every_client_by_keyset_pages_with_filters_for_staff_who_may_read_services()
 {
    // Arrange: two clients, seven VDS and three domains; one VDS closed.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let vds = tariff(&server, &provider, "vds").await;
    let domain = tariff(&server, &provider, "domain").await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let bob = server.client(&provider, "Bob Builder").await;
    let mut ada_services = Vec::new();
    for _ in 0..5 {
        ada_services.push(order(&server, &ada, &vds).await);
    }
    for _ in 0..2 {
        order(&server, &bob, &vds).await;
    }
    for _ in 0..3 {
        ada_services.push(order(&server, &ada, &domain).await);
    }
    let closed = server
        .post(
            &format!("/v1/services/{}/close", ada_services[0]),
            json!({}),
        )
        .await;
    assert!(closed.status.is_success(), "{closed:?}");
    let head = server.settled().await;
    let department = server
        .post(
            "/v1/departments",
            json!({"name": "Accounting", "permissions": ["payments:write", "clients:read"]}),
        )
        .await;
    assert_eq!(department.status, StatusCode::CREATED, "{department:?}");
    let email = "accountant@example.com";
    let staff = server
        .post(
            "/v1/staff",
            json!({"name": "Accountant", "email": email, "password": "correct horse battery",
                   "departments": [department.body["id"]], "administrator": false}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{staff:?}");
    let login = server
        .http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": email, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let login = answer(login).await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    let accountant = login.body["token"].as_str().unwrap().to_owned();

    // Act
    let first = server
        .get(&format!("/v1/services?limit=4&min_position={head}"))
        .await;
    let (every, pages) = all_pages(&server, "", 4).await;
    let (ada_vds, _) = all_pages(&server, &format!("client_id={ada}&item_type=vds"), 2).await;
    let (domains, _) = all_pages(&server, "item_type=domain", 50).await;
    // Closing a service never paid may delete it: filter by the status it has now.
    let one = server
        .get(&format!("/v1/services/{}", ada_services[0]))
        .await;
    let gone = one.body["status"].as_str().unwrap().to_owned();
    let (closed_ones, _) = all_pages(&server, &format!("status={gone}"), 50).await;
    let refused = answer(
        server
            .http
            .get(format!("{}/v1/services", server.url))
            .bearer_auth(&accountant)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let bad_cursor = server.get("/v1/services?after=not-a-cursor").await;
    let bad_status = server.get("/v1/services?status=sleeping").await;
    let bad_type = server.get("/v1/services?item_type=castle").await;
    let bad_limit = server.get("/v1/services?limit=0").await;
    let bad_client = server.get("/v1/services?client_id=nobody").await;

    // Assert: every service once, newest first, in pages of four.
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert_eq!(ids(&first).len(), 4);
    assert!(first.body["next"].is_string());
    assert_eq!(every.len(), 10);
    assert_eq!(pages, 3);
    let mut unique = every.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10, "no service twice");
    assert_eq!(every[0], ada_services[7], "the newest first");
    assert_eq!(every[9], ada_services[0], "the oldest last");
    // The filters narrow as the client's own list does.
    assert_eq!(ada_vds.len(), 5);
    let mut expected: Vec<String> = ada_services[..5].to_vec();
    expected.reverse();
    assert_eq!(ada_vds, expected);
    assert_eq!(domains.len(), 3);
    assert!(gone == "closed" || gone == "deleted", "{one:?}");
    assert_eq!(closed_ones, vec![ada_services[0].clone()]);
    let listed = server.get(&format!("/v1/services?status={gone}")).await;
    let item: &Value = &listed.body["items"][0];
    for field in [
        "client_id",
        "tariff_name",
        "item_type",
        "status",
        "price_per_period",
    ] {
        assert_eq!(
            item[field], one.body[field],
            "{field} as GET /v1/services/{{id}}"
        );
    }
    // Staff without `services:read` are refused; bad parameters are problems.
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    for bad in [&bad_cursor, &bad_status, &bad_type, &bad_limit, &bad_client] {
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(bad.content_type, "application/problem+json");
    }
    assert_eq!(bad_cursor.body["code"], "invalid_cursor");
    assert!(
        bad_status.body["detail"]
            .as_str()
            .unwrap()
            .contains("sleeping"),
        "{bad_status:?}"
    );
}
