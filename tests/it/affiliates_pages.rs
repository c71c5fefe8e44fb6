//! Affiliate programs on the panels and at the sign-up, over real HTTP: the staff page lists a
//! program's statistics and money per currency in English and Russian, creates and closes
//! programs; the staff client page's payout form credits the affiliate's balance once; the
//! client's `/my/affiliate` page joins, adds a link and refuses a payout over what is available
//! (nothing written); `POST /v1/clients` with a `referral_code` refers the new client, and a bad
//! code refuses the registration with nothing written.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer};
use uuid::Uuid;

use crate::my_panel::{MyPanel, PASSWORD, Page, client, csrf, page, user};

/// A provider with a 10 % program on payments, an affiliate with one link (clicked once) and a
/// client registered with the link's code that paid 100.00 EUR: 10.00 EUR accrued.
struct World {
    server: TestServer,
    provider: String,
    program: String,
    affiliate: String,
    referred: String,
    code: String,
}

async fn world() -> World {
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let program = Uuid::now_v7().to_string();
    let created = server
        .post(
            "/v1/affiliate-programs",
            json!({"program_id": program, "provider_id": provider, "name": "Partners",
                   "rule": {"basis": "payments", "percent": "10"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let affiliate = server.client(&provider, "Alma Affiliate").await;
    let joined = server
        .post(
            &format!("/v1/clients/{affiliate}/affiliate-programs/{program}/join"),
            json!({}),
        )
        .await;
    assert_eq!(joined.status, StatusCode::CREATED, "{joined:?}");
    let link = server
        .post(
            &format!("/v1/clients/{affiliate}/affiliate-programs/{program}/links"),
            json!({}),
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{link:?}");
    let code = link.body["code"].as_str().unwrap().to_owned();
    server.settled().await;
    let clicked = server.get(&format!("/v1/referral-links/{code}")).await;
    assert_eq!(clicked.status, StatusCode::OK, "{clicked:?}");
    let registered = server
        .post(
            "/v1/clients",
            json!({"provider_id": provider, "name": "Rita Referred", "email": "rita@example.com",
                   "kind": "individual", "country": "DE", "referral_code": code.to_lowercase()}),
        )
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
    let referred = registered.body["id"].as_str().unwrap().to_owned();
    let paid = server
        .post(
            &format!("/v1/clients/{referred}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": "100.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    server.settled().await;
    World {
        server,
        provider,
        program,
        affiliate,
        referred,
        code,
    }
}

impl World {
    async fn view(&self) -> Value {
        let head = self.server.settled().await;
        let view = self
            .server
            .get(&format!(
                "/v1/clients/{}/affiliate?min_position={head}",
                self.affiliate
            ))
            .await;
        assert_eq!(view.status, StatusCode::OK, "{view:?}");
        view.body
    }

    async fn balance(&self, client: &str) -> String {
        let head = self.server.settled().await;
        let answer = self
            .server
            .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
            .await;
        answer.body["accounts"][0]["balance"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A staff panel session of the bootstrap administrator in `language`.
struct Staff {
    url: String,
    cookie: String,
    language: &'static str,
}

impl Staff {
    async fn sign_in(server: &TestServer, language: &'static str) -> Staff {
        let signed_in = client()
            .post(format!("{}/dashboard/login", server.url))
            .form(&[("email", "admin"), ("password", ADMIN_TOKEN)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{signed_in:?}");
        let cookie = signed_in.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        Staff {
            url: server.url.clone(),
            cookie,
            language,
        }
    }

    async fn get(&self, path: &str) -> Page {
        let answer = client()
            .get(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .header("accept-language", self.language)
            .send()
            .await
            .unwrap();
        page(answer).await
    }

    /// Posts a form of the page `from` with its CSRF token and a fresh key.
    async fn post(&self, from: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = csrf(&self.get(from).await.body);
        let key = Uuid::now_v7().to_string();
        let mut form: Vec<(&str, &str)> = vec![("csrf", &token), ("key", &key)];
        form.extend_from_slice(fields);
        let answer = client()
            .post(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .header("accept-language", self.language)
            .form(&form)
            .send()
            .await
            .unwrap();
        page(answer).await
    }
}

#[tokio::test]
async fn the_staff_programs_page_shows_each_programs_statistics_in_english_and_russian() {
    // Arrange: 10.00 EUR accrued, 2.50 paid out to the account.
    let world = world().await;
    let paid = world
        .server
        .post(
            &format!(
                "/v1/clients/{}/affiliate-programs/{}/payouts",
                world.affiliate, world.program
            ),
            json!({"payout_id": Uuid::now_v7(), "amount": "2.50", "currency": "EUR",
                   "destination": "account"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    world.server.settled().await;

    // Act
    let en = Staff::sign_in(&world.server, "en").await;
    let english = en.get("/dashboard/affiliate-programs").await;
    let ru = Staff::sign_in(&world.server, "ru").await;
    let russian = ru.get("/dashboard/affiliate-programs").await;

    // Assert: one affiliate, one click, one sign-up, one earning client; accrued 10.00, paid
    // 2.50, available 7.50.
    assert_eq!(english.status, StatusCode::OK, "{english:?}");
    let body = &english.body;
    assert!(body.contains("<title>Affiliate programs"), "{body}");
    assert!(body.contains("href=\"/dashboard/affiliate-programs\""));
    let row = row_of(body, &format!("id=\"program-{}\"", world.program));
    for cell in [
        "Partners",
        "10 % of payments, forever",
        "<td class=\"n affiliates\">1</td>",
        "<td class=\"n clicks\">1</td>",
        "<td class=\"n sign-ups\">1</td>",
        "<td class=\"n earning\">1</td>",
        "<span class=\"accrued\">10.00 EUR</span>",
        "<span class=\"paid\">2.50 EUR</span>",
        "<span class=\"available\">7.50 EUR</span>",
        "class=\"close-program\"",
    ] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    assert_eq!(russian.status, StatusCode::OK, "{russian:?}");
    let body = &russian.body;
    assert!(body.contains("Партнёрские программы"), "{body}");
    let row = row_of(body, &format!("id=\"program-{}\"", world.program));
    assert!(row.contains("10 % от платежей, бессрочно"), "{row}");
    assert!(row.contains("7,50\u{a0}EUR"), "{row}");
    assert!(row.contains("Открыта"), "{row}");
}

/// The HTML of the table row that carries `marker`.
fn row_of<'a>(body: &'a str, marker: &str) -> &'a str {
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {body}"));
    let end = body[start..]
        .find("</tr>")
        .map_or(body.len(), |e| start + e);
    &body[start..end]
}

#[tokio::test]
async fn staff_create_and_close_a_program_from_the_page_and_a_bad_rule_writes_nothing() {
    // Arrange
    let world = world().await;
    let staff = Staff::sign_in(&world.server, "en").await;
    let from = "/dashboard/affiliate-programs";

    // Act: 150 % is refused; 5 % of charges for 12 months of VDS is created.
    let events = world.server.event_count().await;
    let refused = staff
        .post(
            from,
            from,
            &[
                ("provider_id", &world.provider),
                ("name", "Too much"),
                ("basis", "payments"),
                ("percent", "150"),
            ],
        )
        .await;
    let events_after_refusal = world.server.event_count().await;
    let created = staff
        .post(
            from,
            from,
            &[
                ("provider_id", &world.provider),
                ("name", "Resellers"),
                ("basis", "charges"),
                ("percent", "5"),
                ("months", "12"),
                ("item_types", "vds"),
            ],
        )
        .await;

    // Assert
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert!(refused.body.contains("id=\"error\""), "{}", refused.body);
    assert_eq!(events_after_refusal, events);
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");
    let shown = staff.get(created.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("id=\"done\""), "{}", shown.body);
    assert!(shown.body.contains("Resellers"), "{}", shown.body);
    assert!(
        shown.body.contains("5 % of charges, for 12 months (vds)"),
        "{}",
        shown.body
    );
    let listed = world
        .server
        .get(&format!(
            "/v1/affiliate-programs?provider_id={}",
            world.provider
        ))
        .await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        2,
        "{listed:?}"
    );

    // Act: the first program is closed from its row.
    let closed = staff
        .post(from, &format!("{from}/{}/close", world.program), &[])
        .await;

    // Assert: closed; a new client can no longer sign up with its code.
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{closed:?}");
    let shown = staff.get(closed.location.as_deref().unwrap()).await;
    let row = row_of(&shown.body, &format!("id=\"program-{}\"", world.program));
    assert!(row.contains("Closed"), "{row}");
    assert!(!row.contains("close-program"), "{row}");
    let late = register(
        &world.server,
        &world.provider,
        "Late Larry",
        Some(&world.code),
    )
    .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY, "{late:?}");
    assert_eq!(late.body["code"], "affiliate_program_closed");
}

#[tokio::test]
async fn a_payout_from_the_staff_client_page_credits_the_affiliates_balance_once() {
    // Arrange: 10.00 EUR accrued.
    let world = world().await;
    let staff = Staff::sign_in(&world.server, "en").await;
    let client_page = format!("/dashboard/clients/{}", world.affiliate);
    let shown = staff.get(&client_page).await;
    assert!(shown.body.contains("id=\"affiliate\""), "{}", shown.body);
    assert!(
        shown
            .body
            .contains(&format!("data-code=\"{}\"", world.code))
    );
    assert!(
        shown
            .body
            .contains("<td class=\"n available\">10.00 EUR</td>"),
        "{}",
        shown.body
    );

    // Act: 10.01 is refused; 6.25 is paid out to the account, and the same form posted again.
    let token = csrf(&shown.body);
    let post = |key: String, amount: &'static str| {
        let token = token.clone();
        let url = format!(
            "{}/dashboard/clients/{}/affiliate-payouts",
            world.server.url, world.affiliate
        );
        let cookie = staff.cookie.clone();
        let program = world.program.clone();
        async move {
            let answer = client()
                .post(url)
                .header("cookie", cookie)
                .form(&[
                    ("csrf", token.as_str()),
                    ("key", key.as_str()),
                    ("program_id", program.as_str()),
                    ("amount", amount),
                    ("currency", "EUR"),
                    ("destination", "account"),
                ])
                .send()
                .await
                .unwrap();
            page(answer).await
        }
    };
    let events = world.server.event_count().await;
    let too_much = post(Uuid::now_v7().to_string(), "10.01").await;
    assert_eq!(
        world.server.event_count().await,
        events,
        "a refusal writes nothing"
    );
    let key = Uuid::now_v7().to_string();
    let paid = post(key.clone(), "6.25").await;
    let again = post(key, "6.25").await;

    // Assert
    assert_eq!(
        too_much.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{too_much:?}"
    );
    assert!(
        too_much.body.contains("data-form=\"affiliate-payout\""),
        "{}",
        too_much.body
    );
    assert!(
        too_much.body.contains("payout_exceeds_accrued"),
        "{}",
        too_much.body
    );
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{paid:?}");
    assert!(again.status.is_redirection(), "{again:?}");
    assert_eq!(world.balance(&world.affiliate).await, "6.25");
    let view = world.view().await;
    let total = &view["programs"][0]["totals"][0];
    assert_eq!(total["paid"], "6.25");
    assert_eq!(total["available"], "3.75");
    assert_eq!(view["payouts"].as_array().unwrap().len(), 1);
    let head = world.server.settled().await;
    let statement = world
        .server
        .get(&format!(
            "/v1/clients/{}/statement?min_position={head}",
            world.affiliate
        ))
        .await;
    let items = statement.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{statement:?}");
    assert_eq!(items[0]["amount"], "6.25");
    let shown = staff.get(paid.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("id=\"done\""), "{}", shown.body);
    assert!(
        shown
            .body
            .contains("<td class=\"n available\">3.75 EUR</td>"),
        "{}",
        shown.body
    );
}

#[tokio::test]
async fn the_client_joins_links_and_moves_commission_to_its_balance_on_my_affiliate() {
    // Arrange: the affiliate's owner signs in.
    let world = world().await;
    let email = user(&world.server, &world.affiliate, &["owner"]).await;
    let my = MyPanel::sign_in(&world.server, &email, PASSWORD).await;

    // Act: the page, a second link, a payout over what is available, then one within it.
    let shown = my.get("/my/affiliate").await;
    let linked = my
        .post(
            "/my/affiliate",
            "/my/affiliate/links",
            &[("program_id", &world.program)],
        )
        .await;
    let events = world.server.event_count().await;
    let key = Uuid::now_v7().to_string();
    let too_much = my
        .post(
            "/my/affiliate",
            "/my/affiliate/payouts",
            &[
                ("key", &key),
                ("program_id", &world.program),
                ("amount", "10.01"),
                ("currency", "EUR"),
            ],
        )
        .await;
    let events_after_refusal = world.server.event_count().await;
    let moved = my
        .post(
            "/my/affiliate",
            "/my/affiliate/payouts",
            &[
                ("key", &Uuid::now_v7().to_string()),
                ("program_id", &world.program),
                ("amount", "4.00"),
                ("currency", "EUR"),
            ],
        )
        .await;

    // Assert
    assert_eq!(shown.status, StatusCode::OK, "{shown:?}");
    assert!(
        shown.body.contains("href=\"/my/affiliate\""),
        "{}",
        shown.body
    );
    assert!(
        shown
            .body
            .contains(&format!("data-code=\"{}\"", world.code))
    );
    assert!(
        shown
            .body
            .contains("<td class=\"n available\">10.00 EUR</td>"),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("<span class=\"referred\">1</span>"),
        "{}",
        shown.body
    );
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{linked:?}");
    assert_eq!(
        too_much.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{too_much:?}"
    );
    assert!(
        too_much.body.contains("more than the commission available"),
        "{}",
        too_much.body
    );
    assert_eq!(
        events_after_refusal, events,
        "a refused payout writes nothing"
    );
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{moved:?}");
    assert_eq!(world.balance(&world.affiliate).await, "4.00");
    let view = world.view().await;
    assert_eq!(view["programs"][0]["links"].as_array().unwrap().len(), 2);
    assert_eq!(view["programs"][0]["totals"][0]["available"], "6.00");
    let after = my.get(moved.location.as_deref().unwrap()).await;
    assert!(
        after
            .body
            .contains("<td class=\"n available\">6.00 EUR</td>"),
        "{}",
        after.body
    );
    assert!(after.body.contains("4.00 EUR"), "{}", after.body);
}

#[tokio::test]
async fn the_my_affiliate_page_speaks_russian_and_a_client_joins_an_open_program() {
    // Arrange: a client of the provider that joined nothing, with Russian as its language.
    let world = world().await;
    let newcomer = world.server.client(&world.provider, "Nina New").await;
    let email = user(&world.server, &newcomer, &["owner"]).await;
    let my = MyPanel::sign_in(&world.server, &email, PASSWORD).await;
    let chosen = my.post("/my", "/my/language", &[("language", "ru")]).await;
    assert!(chosen.status.is_redirection(), "{chosen:?}");

    // Act
    let shown = my.get("/my/affiliate").await;
    let joined = my
        .post(
            "/my/affiliate",
            "/my/affiliate/join",
            &[
                ("key", &Uuid::now_v7().to_string()),
                ("program_id", &world.program),
            ],
        )
        .await;

    // Assert
    assert_eq!(shown.status, StatusCode::OK, "{shown:?}");
    assert!(
        shown.body.contains("Партнёрская программа"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Присоединиться"), "{}", shown.body);
    assert!(
        shown
            .body
            .contains(&format!("data-program=\"{}\"", world.program))
    );
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{joined:?}");
    let after = my.get(joined.location.as_deref().unwrap()).await;
    assert!(after.body.contains("Готово."), "{}", after.body);
    assert!(
        after.body.contains("class=\"membership\""),
        "{}",
        after.body
    );
    assert!(
        after.body.contains("Новая реферальная ссылка"),
        "{}",
        after.body
    );
    let head = world.server.settled().await;
    let view = world
        .server
        .get(&format!(
            "/v1/clients/{newcomer}/affiliate?min_position={head}"
        ))
        .await;
    assert_eq!(
        view.body["programs"][0]["program_id"],
        world.program.as_str()
    );
}

/// `POST` with the administrator's token and an `Idempotency-Key`.
async fn post_with_key(server: &TestServer, path: &str, body: Value, key: &str) -> tests::Answer {
    let response = server
        .http
        .post(format!("{}{path}", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    tests::answer(response).await
}

async fn register(
    server: &TestServer,
    provider: &str,
    name: &str,
    code: Option<&str>,
) -> tests::Answer {
    let mut body = json!({"provider_id": provider, "name": name,
        "email": format!("{}@example.com", Uuid::now_v7().simple()),
        "kind": "individual", "country": "DE"});
    if let Some(code) = code {
        body["referral_code"] = json!(code);
    }
    server.post("/v1/clients", body).await
}

#[tokio::test]
async fn registration_with_a_referral_code_refers_the_client_and_a_bad_code_writes_nothing() {
    // Arrange: the world registered Rita with the code; another provider and its client.
    let world = world().await;
    let other = world.server.provider("EUR").await;

    // Act: unknown, malformed and another provider's code; then a good one, twice with one key.
    let events = world.server.event_count().await;
    let unknown = register(&world.server, &world.provider, "Ugo", Some("NOSUCHCODE12")).await;
    let malformed = register(&world.server, &world.provider, "Mal", Some("x'--")).await;
    let foreign = register(&world.server, &other, "Fred", Some(&world.code)).await;
    let events_after_refusals = world.server.event_count().await;
    let body = json!({"provider_id": world.provider, "name": "Bob Referred",
        "email": "bob@example.com", "kind": "individual", "country": "DE",
        "referral_code": world.code});
    let key = Uuid::now_v7().to_string();
    let first = post_with_key(&world.server, "/v1/clients", body.clone(), &key).await;
    let second = post_with_key(&world.server, "/v1/clients", body, &key).await;

    // Assert
    for (refused, code) in [
        (&unknown, "referral_code_not_found"),
        (&malformed, "invalid_referral_code"),
        (&foreign, "referral_code_not_found"),
    ] {
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
        assert_eq!(refused.body["code"], code, "{refused:?}");
        assert!(
            refused.content_type.starts_with("application/problem+json"),
            "{refused:?}"
        );
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .starts_with("referral_code")
        );
    }
    assert_eq!(
        events_after_refusals, events,
        "a refused registration writes nothing"
    );
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert!(second.status.is_success(), "{second:?}");
    assert_eq!(first.body["id"], second.body["id"]);
    let bob = first.body["id"].as_str().unwrap().to_owned();
    let view = world.view().await;
    assert_eq!(view["programs"][0]["referred_clients"], 2, "{view}");
    assert_eq!(view["programs"][0]["links"][0]["sign_ups"], 2, "{view}");
    // Bob's payment accrues to the affiliate: 10.00 + 3.33.
    let paid = world
        .server
        .post(
            &format!("/v1/clients/{bob}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": "33.33", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let view = world.view().await;
    assert_eq!(
        view["programs"][0]["totals"][0]["accrued"], "13.33",
        "{view}"
    );
    assert!(
        view["accruals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["referred_client_id"] == bob.as_str() && a["amount"] == "3.33"),
        "{view}"
    );
    assert_ne!(world.referred, bob);
}
