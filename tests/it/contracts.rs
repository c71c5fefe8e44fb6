//! Contracts between a provider's company and a client (issue 20.2, ADR 31), over HTTP: two
//! contracts created at once get consecutive numbers of the company's book; a signed contract's
//! PDF shows the company, the client, the number and the date in the client's language, and a
//! later version of the template does not change it; a signed contract is terminated once; a
//! client never sees another client's contract; bad input is answered with problem+json and
//! writes nothing; the /my list and the staff page show the contracts in Chromium.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};
use uuid::Uuid;

use crate::browser::Browser;
use crate::documents::{client_token, pdf_text};
use crate::my_panel::{PASSWORD, user};

/// A provider with a company, a contract template (English and Russian) and a client.
struct Scene {
    server: TestServer,
    provider: String,
    company: String,
    template: String,
    client: String,
}

/// The template's texts; `version` marks the body so that versions can be told apart.
fn texts(version: &str) -> Value {
    json!([
        {"language": "en", "title": "Hosting contract No. {{contract_number}}",
         "body": format!("This contract {version} is made on {{{{contract_date}}}} between {{{{company_name}}}} and {{{{client_name}}}} ({{{{client_email}}}}).\n\nThe provider hosts the client's services.")},
        {"language": "ru", "title": "Договор хостинга № {{contract_number}}",
         "body": format!("Настоящий договор {version} заключён {{{{contract_date}}}} между {{{{company_name}}}} и {{{{client_name}}}}.")}
    ])
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let company = crate::invoicing::company(&server, &provider, "NL", "never").await;
        let published = server
            .post(
                "/v1/contract-templates",
                json!({"company_id": company, "name": "Hosting contract", "prefix": "HC",
                       "texts": texts("v1")}),
            )
            .await;
        assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
        let template = published.body["id"].as_str().unwrap().to_owned();
        let client = server.client(&provider, "Olga Berg").await;
        Scene {
            server,
            provider,
            company,
            template,
            client,
        }
    }

    async fn create(&self, client: &str, date: &str) -> tests::Answer {
        self.server
            .post(
                &format!("/v1/clients/{client}/contracts"),
                json!({"template_id": self.template, "date": date}),
            )
            .await
    }

    async fn created(&self, client: &str, date: &str) -> (String, String) {
        let created = self.create(client, date).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        (
            created.body["id"].as_str().unwrap().to_owned(),
            created.body["number"].as_str().unwrap().to_owned(),
        )
    }

    async fn act(&self, client: &str, contract: &str, action: &str, body: Value) -> tests::Answer {
        self.server
            .post(
                &format!("/v1/clients/{client}/contracts/{contract}/{action}"),
                body,
            )
            .await
    }

    async fn pdf(&self, token: &str, client: &str, contract: &str) -> (StatusCode, Vec<u8>) {
        let response = self
            .server
            .http
            .get(format!(
                "{}/v1/clients/{client}/contracts/{contract}/pdf",
                self.server.url
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.bytes().await.unwrap().to_vec())
    }

    async fn list(&self, client: &str) -> Value {
        let head = self.server.settled().await;
        let listed = self
            .server
            .get(&format!(
                "/v1/clients/{client}/contracts?min_position={head}"
            ))
            .await;
        assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
        listed.body
    }
}

/// Waits until an element `css` is on the page; panics after about 30 s.
async fn wait_for(browser: &Browser, css: &str) {
    for _ in 0..300 {
        if browser.count(css).await > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never showed: {}", browser.text("body").await);
}

#[tokio::test]
async fn two_contracts_created_at_once_get_consecutive_numbers() {
    // Arrange
    let scene = Scene::new().await;
    let other = scene.server.client(&scene.provider, "Ivan Petrov").await;

    // Act: eight creations at once, for two clients.
    let creations = (0..8).map(|n| {
        let client = if n % 2 == 0 {
            scene.client.clone()
        } else {
            other.clone()
        };
        let scene = &scene;
        async move { scene.create(&client, "2026-12-07").await }
    });
    let answers = futures::future::join_all(creations).await;

    // Assert: numbers 1 to 8 of the company's book of 2026, each once.
    let mut numbers: Vec<String> = answers
        .iter()
        .map(|answer| {
            assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
            answer.body["number"].as_str().unwrap().to_owned()
        })
        .collect();
    numbers.sort_by_key(|number| number.rsplit('-').next().unwrap().parse::<u32>().unwrap());
    let expected: Vec<String> = (1..=8).map(|n| format!("HC-2026-{n}")).collect();
    assert_eq!(numbers, expected);
    let listed = scene.list(&scene.client).await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{listed}");
    assert!(items.iter().all(|item| item["status"] == "draft"));
    assert!(
        items
            .iter()
            .all(|item| item["client_id"] == scene.client.as_str())
    );

    // A contract dated in another year starts that year's book.
    let (_, number) = scene.created(&scene.client, "2027-01-02").await;
    assert_eq!(number, "HC-2027-1");
}

#[tokio::test]
async fn a_creation_sent_again_gets_the_same_contract_and_no_new_number() {
    // Arrange: a contract created with a caller-chosen id (a client that retries after a lost
    // answer sends the same id again).
    let scene = Scene::new().await;
    let other = scene.server.client(&scene.provider, "Ivan Petrov").await;
    let contract_id = Uuid::now_v7();
    let body = json!({"template_id": scene.template, "contract_id": contract_id,
                      "date": "2026-12-07"});
    let path = format!("/v1/clients/{}/contracts", scene.client);
    let first = scene.server.post(&path, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let events = scene.server.event_count().await;

    // Act: the same request again, then the same id for another client.
    let again = scene.server.post(&path, body.clone()).await;
    let elsewhere = scene
        .server
        .post(&format!("/v1/clients/{other}/contracts"), body)
        .await;

    // Assert: the same contract and number, nothing written; the id taken elsewhere is a 409.
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["number"], "HC-2026-1");
    assert_eq!(first.body["number"], "HC-2026-1");
    assert_eq!(elsewhere.status, StatusCode::CONFLICT, "{elsewhere:?}");
    assert_eq!(elsewhere.body["code"], "contract_exists");
    assert_eq!(scene.server.event_count().await, events);
    let (_, next) = scene.created(&scene.client, "2026-12-07").await;
    assert_eq!(next, "HC-2026-2");
}

#[tokio::test]
async fn a_signed_contracts_pdf_shows_the_parties_number_and_date_and_keeps_its_text() {
    // Arrange: a Russian-speaking client with a contract of 7 December 2026.
    let scene = Scene::new().await;
    let set = scene
        .server
        .call(
            Method::PUT,
            &format!("/v1/clients/{}/notice-settings", scene.client),
            Some(json!({"language": "ru", "subscriptions": ["invoice_issued"]})),
        )
        .await;
    assert!(set.status.is_success(), "{set:?}");
    let (contract, number) = scene.created(&scene.client, "2026-12-07").await;
    assert_eq!(number, "HC-2026-1");

    // Act: sign it, then publish a second version of the template.
    let signed = scene
        .act(
            &scene.client,
            &contract,
            "sign",
            json!({"signed_on": "2026-12-08"}),
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{signed:?}");
    let republished = scene
        .server
        .post(
            "/v1/contract-templates",
            json!({"template_id": scene.template, "company_id": scene.company,
                   "name": "Hosting contract", "prefix": "HC", "texts": texts("v2")}),
        )
        .await;
    assert_eq!(republished.status, StatusCode::CREATED, "{republished:?}");
    let token = client_token(&scene.server, &scene.client).await;
    let (status, pdf) = scene.pdf(&token, &scene.client, &contract).await;

    // Assert: the client's PDF, in Russian, names the company, the client, the number and the
    // date, and says the version signed, not the later one.
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    for expected in [
        "Договор хостинга № HC-2026-1",
        "Hosting Europe B.V.",
        "Olga Berg",
        "HC-2026-1",
        "07.12.2026",
        "Подписан",
        "договор v1",
        "2026-12-07",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(!text.contains("v2"), "{text}");
    let detail = scene
        .server
        .get(&format!(
            "/v1/clients/{}/contracts/{contract}",
            scene.client
        ))
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{detail:?}");
    assert_eq!(detail.body["status"], "signed");
    assert_eq!(detail.body["template_version"], 1);
    assert_eq!(detail.body["signed_on"], "2026-12-08");
    // A draft follows the template's current version until it is signed.
    let (draft, _) = scene.created(&scene.client, "2026-12-09").await;
    let (status, pdf) = scene.pdf(ADMIN_TOKEN, &scene.client, &draft).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf_text(&pdf).contains("договор v2"));
}

#[tokio::test]
async fn a_signed_contract_is_terminated_once_and_a_draft_not_at_all() {
    // Arrange
    let scene = Scene::new().await;
    let (contract, _) = scene.created(&scene.client, "2026-12-07").await;
    let reason = json!({"reason": "The client moved to another provider",
                        "terminated_on": "2026-12-20"});

    // Act and assert: a draft cannot be terminated.
    let refused = scene
        .act(&scene.client, &contract, "terminate", reason.clone())
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert_eq!(refused.body["code"], "contract_not_signed");
    let signed = scene.act(&scene.client, &contract, "sign", json!({})).await;
    assert_eq!(signed.status, StatusCode::OK, "{signed:?}");
    let again = scene.act(&scene.client, &contract, "sign", json!({})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{again:?}");
    assert_eq!(again.body["code"], "contract_signed");
    let terminated = scene
        .act(&scene.client, &contract, "terminate", reason.clone())
        .await;
    assert_eq!(terminated.status, StatusCode::OK, "{terminated:?}");
    let twice = scene
        .act(&scene.client, &contract, "terminate", reason)
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "{twice:?}");
    assert_eq!(twice.body["code"], "contract_terminated");
    let listed = scene.list(&scene.client).await;
    assert_eq!(listed["items"][0]["status"], "terminated");
    assert_eq!(listed["items"][0]["terminated_on"], "2026-12-20");
}

#[tokio::test]
async fn a_client_never_sees_another_clients_contract() {
    // Arrange: Olga's contract; Ivan's user.
    let scene = Scene::new().await;
    let (contract, _) = scene.created(&scene.client, "2026-12-07").await;
    let ivan = scene.server.client(&scene.provider, "Ivan Petrov").await;
    let token = client_token(&scene.server, &ivan).await;

    // Act
    let (status, _) = scene.pdf(&token, &ivan, &contract).await;
    let (own_path, _) = scene.pdf(&token, &scene.client, &contract).await;
    let detail = scene
        .server
        .http
        .get(format!(
            "{}/v1/clients/{ivan}/contracts/{contract}",
            scene.server.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let listed = scene
        .server
        .http
        .get(format!("{}/v1/clients/{ivan}/contracts", scene.server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    // Assert: unknown under Ivan's own id, refused under Olga's, and not in Ivan's list.
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        own_path == StatusCode::NOT_FOUND || own_path == StatusCode::FORBIDDEN,
        "{own_path}"
    );
    assert_eq!(detail.status(), StatusCode::NOT_FOUND);
    assert_eq!(detail.headers()["content-type"], "application/problem+json");
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["items"], json!([]), "{listed}");
}

#[tokio::test]
async fn bad_input_is_answered_with_a_problem_and_writes_nothing() {
    // Arrange
    let scene = Scene::new().await;
    scene.server.settled().await;
    let before = scene.server.event_count().await;

    // Act
    let cases = [
        (
            "/v1/contract-templates".to_owned(),
            json!({"company_id": scene.company, "name": "X", "prefix": "HC",
                   "texts": [{"language": "en", "title": "T", "body": "Dear {{client_nmae}}"}]}),
            "unknown_placeholder",
        ),
        (
            "/v1/contract-templates".to_owned(),
            json!({"company_id": scene.company, "name": "X", "prefix": "h/c",
                   "texts": [{"language": "en", "title": "T", "body": "B"}]}),
            "invalid_contract_prefix",
        ),
        (
            "/v1/contract-templates".to_owned(),
            json!({"company_id": scene.company, "name": "X", "prefix": "HC", "texts": []}),
            "invalid_contract_texts",
        ),
        (
            "/v1/contract-templates".to_owned(),
            json!({"company_id": Uuid::now_v7(), "name": "X", "prefix": "HC",
                   "texts": [{"language": "en", "title": "T", "body": "B"}]}),
            "company_not_found",
        ),
        (
            format!("/v1/clients/{}/contracts", scene.client),
            json!({"template_id": Uuid::now_v7()}),
            "contract_template_not_found",
        ),
        (
            format!("/v1/clients/{}/contracts", scene.client),
            json!({"template_id": scene.template, "date": "2026-13-01"}),
            "",
        ),
        (
            format!(
                "/v1/clients/{}/contracts/{}/sign",
                scene.client,
                Uuid::now_v7()
            ),
            json!({}),
            "contract_not_found",
        ),
    ];
    for (path, body, code) in cases {
        let answer = scene.server.post(&path, body.clone()).await;

        // Assert: a 4xx problem naming the problem.
        assert!(answer.status.is_client_error(), "{path} {body}: {answer:?}");
        assert_eq!(
            answer.content_type, "application/problem+json",
            "{path} {body}: {answer:?}"
        );
        if !code.is_empty() {
            assert_eq!(answer.body["code"], code, "{path} {body}: {answer:?}");
        }
    }
    let (contract, _) = scene.created(&scene.client, "2026-12-07").await;
    let after_one = scene.server.event_count().await;
    let too_early = scene
        .act(
            &scene.client,
            &contract,
            "sign",
            json!({"signed_on": "2026-12-06"}),
        )
        .await;
    assert_eq!(too_early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_early.body["code"], "before_contract_date");
    let signed = scene.act(&scene.client, &contract, "sign", json!({})).await;
    assert_eq!(signed.status, StatusCode::OK, "{signed:?}");
    let no_reason = scene
        .act(
            &scene.client,
            &contract,
            "terminate",
            json!({"reason": "  "}),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST, "{no_reason:?}");
    assert_eq!(no_reason.body["code"], "invalid_reason");
    // Nothing but the one contract's numbering, draft and signature was written.
    assert_eq!(after_one - before, 2);
    assert_eq!(scene.server.event_count().await, after_one + 1);
}

#[tokio::test]
async fn the_my_list_and_the_staff_page_show_the_contracts_in_chromium() {
    // Arrange: a signed and a draft contract of Olga's, another client's contract.
    let scene = Scene::new().await;
    let (signed, signed_number) = scene.created(&scene.client, "2026-12-07").await;
    let answer = scene.act(&scene.client, &signed, "sign", json!({})).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let (draft, draft_number) = scene.created(&scene.client, "2026-12-08").await;
    let ivan = scene.server.client(&scene.provider, "Ivan Petrov").await;
    let (_, ivan_number) = scene.created(&ivan, "2026-12-09").await;
    scene.server.settled().await;
    let email = user(&scene.server, &scene.client, &["owner"]).await;

    // Act: Olga's user opens /my/contracts.
    let browser = Browser::start().await;
    browser.go(&format!("{}/my/login", scene.server.url)).await;
    browser.type_into("#email", &email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    wait_for(&browser, "#sign-out").await;
    browser
        .go(&format!("{}/my/contracts", scene.server.url))
        .await;
    let table = browser.text("#contracts").await;
    let nav = browser.text("nav").await;
    let rows = browser.count("#contracts tr[data-contract]").await;
    let signed_status = browser
        .text(&format!("tr[data-contract=\"{signed}\"] .status"))
        .await;
    let draft_status = browser
        .text(&format!("tr[data-contract=\"{draft}\"] .status"))
        .await;
    let pdf_link = browser
        .attribute(&format!("tr[data-contract=\"{signed}\"] a.pdf"), "href")
        .await;
    let session = browser.cookie(crate::my_panel::SESSION_COOKIE).await;
    browser.quit().await;

    // Assert: her two contracts with their statuses, not Ivan's; the PDF link prints.
    assert!(nav.contains("Contracts"), "{nav}");
    assert_eq!(rows, 2, "{table}");
    assert!(table.contains(&signed_number), "{table}");
    assert!(table.contains(&draft_number), "{table}");
    assert!(!table.contains(&ivan_number), "{table}");
    assert_eq!(signed_status, "Signed");
    assert_eq!(draft_status, "Draft");
    let pdf_url = if pdf_link.starts_with("http") {
        pdf_link
    } else {
        format!("{}{pdf_link}", scene.server.url)
    };
    let pdf = reqwest::Client::new()
        .get(pdf_url)
        .header(
            "cookie",
            format!("{}={session}", crate::my_panel::SESSION_COOKIE),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    let text = pdf_text(&pdf.bytes().await.unwrap());
    assert!(text.contains(&signed_number), "{text}");
    assert!(text.contains("Olga Berg"), "{text}");

    // Act: the administrator opens the staff page.
    let browser = Browser::start().await;
    browser
        .go(&format!("{}/dashboard/login", scene.server.url))
        .await;
    browser.type_into("#email", "admin").await;
    browser.type_into("#password", ADMIN_TOKEN).await;
    browser.click("#sign-in").await;
    browser.title_once("Overview").await;
    browser
        .go(&format!("{}/dashboard/contracts", scene.server.url))
        .await;
    let page = browser.text("body").await;
    let nav = browser.text("nav").await;
    browser.quit().await;

    // Assert: every client's contracts, with the client and the company, and the template.
    assert!(nav.contains("Contracts"), "{nav}");
    for expected in [
        signed_number.as_str(),
        draft_number.as_str(),
        ivan_number.as_str(),
        "Olga Berg",
        "Ivan Petrov",
        "Hosting Europe B.V.",
        "Signed",
        "Draft",
        "Hosting contract",
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }
}

/// The `contracts` read model's tables, as digests.
async fn contract_digests(server: &TestServer) -> Vec<String> {
    let mut digests = Vec::new();
    for (table, order) in [
        ("contract_templates", "template_id"),
        ("contracts", "contract_id"),
    ] {
        digests.push(tests::table_digest(&server.db.pool, table, order).await);
    }
    digests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilding_the_contracts_read_model_from_the_log_gives_the_same_tables() {
    // Arrange: a draft, a signed and a terminated contract, built by the running workers.
    let mut scene = Scene::new().await;
    let (signed, _) = scene.created(&scene.client, "2026-12-07").await;
    let (terminated, _) = scene.created(&scene.client, "2026-12-07").await;
    scene.created(&scene.client, "2026-12-08").await;
    for contract in [&signed, &terminated] {
        let answer = scene.act(&scene.client, contract, "sign", json!({})).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    }
    let answer = scene
        .act(
            &scene.client,
            &terminated,
            "terminate",
            json!({"reason": "ended"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let last = scene.server.settled().await;
    crate::projections::wait_caught_up(&scene.server, last).await;
    scene.server.stop().await;
    let incremental = contract_digests(&scene.server).await;
    assert!(incremental.iter().all(|digest| digest != "empty"));

    // Act: empty the read model and rebuild it from the log.
    let contracts = projections::by_name("contracts").unwrap();
    api::cli::rebuild::rebuild(&scene.server.db.pool, &[contracts], 7, false)
        .await
        .unwrap();

    // Assert
    assert_eq!(contract_digests(&scene.server).await, incremental);
}

#[tokio::test]
async fn a_merged_clients_contract_is_refused_and_takes_no_number() {
    // Arrange: Olga is merged into Ivan; Ivan's first contract is numbered 1.
    let scene = Scene::new().await;
    let ivan = scene.server.client(&scene.provider, "Ivan Petrov").await;
    crate::merge::merge_and_wait(&scene.server, &ivan, &scene.client).await;

    // Act: a contract for the merged client, then one for Ivan.
    let refused = scene.create(&scene.client, "2027-03-01").await;
    let (_, number) = scene.created(&ivan, "2027-03-01").await;

    // Assert: refused naming the merge; Ivan's contract has the book's first number.
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert_eq!(refused.body["code"], "client_merged", "{refused:?}");
    assert!(
        number.ends_with("0001") || number.ends_with("-1"),
        "{number}"
    );
}
