//! Agreements (offers) an order accepts (issue 20.2), over HTTP: an order an agreement covers is
//! refused without its current version or with an older one and writes nothing; an accepted
//! order records the version, shown on the service and in the action log.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

struct Scene {
    server: TestServer,
    provider: String,
    client: String,
    tariff: String,
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Olga Berg").await;
        let tariff = server
            .post(
                "/v1/tariffs",
                json!({"provider_id": provider, "name": "VDS S", "item_type": "vds",
                       "prices": [{"period": "P1M",
                                   "price": {"amount": "10.00", "currency": "EUR"}}]}),
            )
            .await;
        assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
        let tariff = tariff.body["id"].as_str().unwrap().to_owned();
        Scene {
            server,
            provider,
            client,
            tariff,
        }
    }

    async fn publish(&self, body: &str) -> tests::Answer {
        self.server
            .post(
                "/v1/agreements",
                json!({"provider_id": self.provider, "tariff_id": self.tariff,
                       "texts": [{"language": "en", "title": "Public offer", "body": body},
                                 {"language": "ru", "title": "Публичная оферта", "body": body}]}),
            )
            .await
    }

    async fn order(&self, agreement: Option<Value>) -> tests::Answer {
        let mut body = json!({"tariff_id": self.tariff, "period": "P1M"});
        if let Some(agreement) = agreement {
            body["agreement"] = agreement;
        }
        self.server
            .post(&format!("/v1/clients/{}/services", self.client), body)
            .await
    }

    async fn head(&self) -> i64 {
        eventstore::log::head_position(&self.server.db.pool)
            .await
            .unwrap()
    }
}

fn problem(answer: &tests::Answer, code: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{answer:?}"
    );
    assert_eq!(answer.content_type, "application/problem+json");
    assert_eq!(answer.body["code"], code, "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_must_accept_the_current_agreement_version() {
    // Arrange: a tariff without an agreement is ordered as before.
    let scene = Scene::new().await;
    let free = scene.order(None).await;
    assert_eq!(free.status, StatusCode::CREATED, "{free:?}");

    // Staff publish version 1 of the tariff's agreement.
    let published = scene.publish("1. The client pays in advance.").await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    let agreement = published.body["id"].as_str().unwrap().to_owned();
    let current = scene
        .server
        .get(&format!("/v1/tariffs/{}/agreement", scene.tariff))
        .await;
    assert_eq!(current.status, StatusCode::OK, "{current:?}");
    assert_eq!(current.body["id"], agreement.as_str());
    assert_eq!(current.body["version"], 1);
    assert_eq!(current.body["texts"][1]["language"], "ru");
    assert_eq!(current.body["texts"][1]["title"], "Публичная оферта");

    // Act and assert: without acceptance, or accepting a version that does not exist, refused,
    // and nothing written.
    let events = scene.server.event_count().await;
    problem(&scene.order(None).await, "agreement_not_accepted");
    problem(
        &scene
            .order(Some(json!({"agreement_id": Uuid::now_v7(), "version": 1})))
            .await,
        "agreement_not_accepted",
    );
    problem(
        &scene
            .order(Some(json!({"agreement_id": agreement, "version": 2})))
            .await,
        "agreement_not_accepted",
    );
    assert_eq!(scene.server.event_count().await, events);

    // Accepting version 1 orders, and the service says which version.
    let ordered = scene
        .order(Some(json!({"agreement_id": agreement, "version": 1})))
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap().to_owned();
    let head = scene.head().await;
    let view = scene
        .server
        .get(&format!("/v1/services/{service}?min_position={head}"))
        .await;
    assert_eq!(view.status, StatusCode::OK, "{view:?}");
    assert_eq!(
        view.body["agreement"],
        json!({"agreement_id": agreement, "version": 1})
    );
    // The order of the free tariff accepted nothing.
    let free_view = scene
        .server
        .get(&format!(
            "/v1/services/{}?min_position={head}",
            free.body["id"].as_str().unwrap()
        ))
        .await;
    assert!(free_view.body.get("agreement").is_none(), "{free_view:?}");

    // The action log shows the accepted version on ServiceOrdered.
    let log = scene
        .server
        .get(&format!(
            "/v1/action-log?client_id={}&limit=500&min_position={head}",
            scene.client
        ))
        .await;
    let recorded = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "ServiceOrdered" && e["aggregate_id"] == service.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("no ServiceOrdered for {service}: {log:?}"));
    let payload = &recorded["payload"];
    let payload = payload.get("ServiceOrdered").unwrap_or(payload);
    assert_eq!(
        payload["agreement"],
        json!({"agreement_id": agreement, "version": 1}),
        "{recorded}"
    );

    // A new version is published: the old acceptance is refused as outdated.
    let second = scene
        .publish("1. The client pays in advance.\n2. Refunds in 14 days.")
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{second:?}");
    let events = scene.server.event_count().await;
    problem(
        &scene
            .order(Some(json!({"agreement_id": agreement, "version": 1})))
            .await,
        "agreement_outdated",
    );
    assert_eq!(scene.server.event_count().await, events);
    let again = scene
        .order(Some(json!({"agreement_id": agreement, "version": 2})))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");

    // The read model lists the agreement at version 2.
    let head = scene.head().await;
    let listed = scene
        .server
        .get(&format!(
            "/v1/agreements?provider_id={}&min_position={head}",
            scene.provider
        ))
        .await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        1,
        "{listed:?}"
    );
    assert_eq!(listed.body["items"][0]["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_type_agreement_covers_its_tariffs_and_bad_texts_are_refused() {
    let scene = Scene::new().await;
    let events = scene.server.event_count().await;
    for (body, code) in [
        (
            json!({"provider_id": scene.provider, "item_type": "vds", "texts": []}),
            "invalid_agreement_texts",
        ),
        (
            json!({"provider_id": scene.provider, "item_type": "vds",
                "texts": [{"language": "en", "title": "T", "body": "A"},
                          {"language": "en", "title": "T", "body": "B"}]}),
            "duplicate_agreement_language",
        ),
        (
            json!({"provider_id": scene.provider, "item_type": "vds",
                "texts": [{"language": "english", "title": "T", "body": "A"}]}),
            "invalid_language",
        ),
        (
            json!({"provider_id": scene.provider, "item_type": "spaceship",
                "texts": [{"language": "en", "title": "T", "body": "A"}]}),
            "unknown_item_type",
        ),
        (
            json!({"provider_id": scene.provider,
                "texts": [{"language": "en", "title": "T", "body": "A"}]}),
            "invalid_agreement_scope",
        ),
    ] {
        let answer = scene.server.post("/v1/agreements", body).await;
        assert!(answer.status.is_client_error(), "{answer:?}");
        assert_eq!(answer.body["code"], code, "{answer:?}");
    }
    assert_eq!(scene.server.event_count().await, events);

    let published = scene
        .server
        .post(
            "/v1/agreements",
            json!({"provider_id": scene.provider, "item_type": "vds",
                   "texts": [{"language": "en", "title": "VDS terms", "body": "Root access is yours."}]}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    let agreement = published.body["id"].as_str().unwrap().to_owned();
    problem(&scene.order(None).await, "agreement_not_accepted");
    let ordered = scene
        .order(Some(json!({"agreement_id": agreement, "version": 1})))
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
}
