//! Hourly billing of VDS (issue 20.3, ADR 37) over HTTP, on a sandbox provider's clock: a tariff
//! priced 0.00 a month and 0.0137 EUR an hour; each ended day is charged the clock hours the
//! service ran; the hours are charged even into debt, the debt suspends the service, a payment
//! that clears it resumes it, and the balance, the expenses and the statement agree to the cent
//! after every step.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use crate::sandbox::Shop;

/// `PUT /v1/tariffs/{tariff}/hourly-prices` with `prices`.
async fn set_hourly(shop: &Shop, tariff: &str, prices: Value) -> tests::Answer {
    shop.server
        .call(
            Method::PUT,
            &format!("/v1/tariffs/{tariff}/hourly-prices"),
            Some(json!({ "prices": prices })),
        )
        .await
}

/// The id of what `path` created from `body`.
async fn created_id(shop: &Shop, path: &str, body: Value) -> String {
    shop.created(path, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A sandbox provider in EUR (its clock at 2027-01-01 09:00).
async fn sandbox_provider(shop: &Shop) -> String {
    created_id(
        shop,
        "/v1/providers",
        json!({"name": "Hourly Hosting", "currency": "EUR", "sandbox": true}),
    )
    .await
}

/// A VDS tariff of `provider` named `name`, at `monthly` EUR a month.
async fn vds_tariff(shop: &Shop, provider: &str, name: &str, monthly: &str) -> String {
    created_id(
        shop,
        "/v1/tariffs",
        json!({"provider_id": provider, "name": name, "item_type": "vds",
               "prices": [{"period": "P1M", "price": {"amount": monthly, "currency": "EUR"}}]}),
    )
    .await
}

/// "VDS by the hour": 0.00 a month and `prices` per hour.
async fn hourly_tariff(shop: &Shop, provider: &str, prices: Value) -> String {
    let tariff = vds_tariff(shop, provider, "VDS by the hour", "0.00").await;
    let set = set_hourly(shop, &tariff, prices).await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    tariff
}

/// `client` orders `tariff` for a month.
async fn order(shop: &Shop, client: &str, tariff: &str) -> String {
    created_id(
        shop,
        &format!("/v1/clients/{client}/services"),
        json!({"tariff_id": tariff, "period": "P1M", "addons": []}),
    )
    .await
}

/// The balance, the expenses (period start, amount, description) and the statement's
/// closing balance, checked to agree: the balance is what was paid less every expense, and
/// the statement closes at it.
async fn ledger(shop: &Shop, client: &str, paid: &str) -> (String, Vec<(String, String, String)>) {
    let head = shop.server.settled().await;
    let balance = shop
        .server
        .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
        .await
        .body["accounts"][0]["balance"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = shop
        .server
        .get(&format!(
            "/v1/clients/{client}/expenses?limit=500&min_position={head}"
        ))
        .await
        .body;
    let mut expenses: Vec<(String, String, String)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["period_start"].as_str().unwrap().to_owned(),
                e["amount"].as_str().unwrap().to_owned(),
                e["description"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    expenses.sort();
    let closing = shop
        .server
        .get(&format!(
            "/v1/clients/{client}/statement?limit=500&min_position={head}"
        ))
        .await
        .body["closing_balance"]
        .as_str()
        .unwrap()
        .to_owned();
    let cents = |text: &str| -> i64 { text.replace('.', "").parse().unwrap() };
    let spent: i64 = expenses.iter().map(|(_, amount, _)| cents(amount)).sum();
    assert_eq!(cents(&balance), cents(paid) - spent, "{expenses:?}");
    assert_eq!(closing, balance, "the statement closes at the balance");
    (balance, expenses)
}

fn hours(day: &str, amount: &str, hours: u32) -> (String, String, String) {
    (
        day.to_owned(),
        amount.to_owned(),
        format!("VDS by the hour: {hours} h on {day} at 0.0137 EUR/h"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vds_by_the_hour_is_charged_its_hours_suspended_by_its_debt_and_resumed_when_paid() {
    // Arrange: a sandbox provider (its clock at 2027-01-01 09:00), a tariff at 0.00 a month and
    // 0.0137 EUR an hour, a client who paid 1.00.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let provider = sandbox_provider(&shop).await;
    let tariff = hourly_tariff(
        &shop,
        &provider,
        json!([{"per_hour": "0.0137", "currency": "EUR"}]),
    )
    .await;
    let client = shop.server.client(&provider, "Hana Hourly").await;
    shop.pay(&client, "1.00").await;

    // Act: ordered at 10:30 and activated then; the clock moves to the next day.
    shop.advance(&provider, "2027-01-01T10:30:00Z").await;
    let service = order(&shop, &client, &tariff).await;
    assert_eq!(shop.robot().await, ["activate"]);
    let terms = shop
        .server
        .get(&format!("/v1/services/{service}"))
        .await
        .body;
    assert_eq!(terms["terms"]["hourly"]["per_hour"], "0.0137", "{terms}");
    shop.advance(&provider, "2027-01-02").await;

    // Assert: the month is free; Jan 1 ran from 10:30, 14 clock hours: 0.1918, 0.19.
    let (balance, expenses) = ledger(&shop, &client, "1.00").await;
    assert_eq!(balance, "0.81");
    assert_eq!(expenses.len(), 2, "{expenses:?}");
    assert_eq!(expenses[0].1, "0.00");
    assert_eq!(expenses[1], hours("2027-01-01", "0.19", 14));

    // Act: three whole days at 24 h (0.3288, 0.33 each) take the account to -0.18 on Jan 4's
    // charge, made on Jan 5's billing day: the debt suspends the service (no grace for a VDS).
    shop.advance(&provider, "2027-01-05").await;
    let (balance, expenses) = ledger(&shop, &client, "1.00").await;
    assert_eq!(balance, "-0.18");
    assert_eq!(
        expenses[2..],
        [
            hours("2027-01-02", "0.33", 24),
            hours("2027-01-03", "0.33", 24),
            hours("2027-01-04", "0.33", 24),
        ]
    );
    assert_eq!(shop.robot().await, ["suspend"]);
    assert_eq!(shop.service(&service).await.0, "suspended");

    // Suspended days cost nothing; running the same day again charges nothing twice.
    shop.advance(&provider, "2027-01-07").await;
    shop.advance(&provider, "2027-01-07").await;
    let (balance, after_suspension) = ledger(&shop, &client, "1.00").await;
    assert_eq!((balance.as_str(), after_suspension.len()), ("-0.18", 5));

    // Act: a payment clears the debt, and the service resumes at once (at Jan 7 00:00 by the
    // sandbox's clock); it then runs Jan 7 and Jan 8 whole.
    shop.pay(&client, "5.00").await;
    assert_eq!(shop.robot().await, ["resume"]);
    assert_eq!(shop.service(&service).await.0, "active");
    shop.advance(&provider, "2027-01-09").await;

    // Assert: 6.00 paid; 0.19 and 3 × 0.33 before the suspension, 2 × 0.33 after: 1.84.
    let (balance, expenses) = ledger(&shop, &client, "6.00").await;
    assert_eq!(balance, "4.16", "{expenses:?}");
    assert_eq!(expenses.len(), 7, "{expenses:?}");
    assert_eq!(
        expenses[5..],
        [
            hours("2027-01-07", "0.33", 24),
            hours("2027-01-08", "0.33", 24),
        ]
    );
    // The revenue report agrees: 1.84 of VDS from the tariff, in January.
    let head = shop.server.settled().await;
    let revenue = shop
        .server
        .get(&format!(
            "/v1/reports/revenue?group=month&from=2027-01-01&to=2027-02-01&sandbox=true\
             &provider_id={provider}&min_position={head}"
        ))
        .await;
    assert_eq!(revenue.status, StatusCode::OK, "{revenue:?}");
    let rows = revenue.body["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            &rows[0]["tariff_id"],
            &rows[0]["item_type"],
            &rows[0]["revenue"]
        ),
        (&json!(tariff), &json!("vds"), &json!("1.84"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_moved_onto_and_off_an_hourly_tariff_is_charged_the_hours_between_only() {
    // Arrange: a sandbox provider (its clock at 2027-01-01 09:00), a monthly VDS at 31.00 and a
    // VDS at 0.00 a month and 0.0137 EUR an hour; a client who paid 100.00 and ordered the
    // monthly one at 10:30 on Jan 1.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let provider = sandbox_provider(&shop).await;
    let monthly = vds_tariff(&shop, &provider, "VDS monthly", "31.00").await;
    let hourly = hourly_tariff(
        &shop,
        &provider,
        json!([{"per_hour": "0.0137", "currency": "EUR"}]),
    )
    .await;
    let client = shop.server.client(&provider, "Mira Mover").await;
    shop.pay(&client, "100.00").await;
    shop.advance(&provider, "2027-01-01T10:30:00Z").await;
    let service = order(&shop, &client, &monthly).await;
    assert_eq!(shop.robot().await, ["activate"]);
    let change = |to: String| {
        let shop = &shop;
        let service = service.clone();
        async move {
            let changed = shop
                .server
                .post(
                    &format!("/v1/services/{service}/change-tariff"),
                    json!({ "tariff_id": to }),
                )
                .await;
            assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
        }
    };

    // Act: nine days on the monthly tariff (paid in advance, so no hour of them is owed), then
    // onto the hourly one at 12:00 on Jan 10, and back at 06:20 on Jan 12.
    shop.advance(&provider, "2027-01-10T12:00:00Z").await;
    let (_, monthly_only) = ledger(&shop, &client, "100.00").await;
    assert_eq!(monthly_only.len(), 1, "{monthly_only:?}");
    change(hourly.clone()).await;
    shop.advance(&provider, "2027-01-12T06:20:00Z").await;
    change(monthly.clone()).await;
    shop.advance(&provider, "2027-01-15").await;

    // Assert: the hours on the hourly tariff alone are charged, each day under that tariff's
    // name: Jan 10 from 12:00 (12 h: 0.1644, 0.16), Jan 11 whole (24 h: 0.33), Jan 12 up to
    // 06:20 (7 h: 0.0959, 0.10); none of Jan 1 to 9 and none after the change back.
    let (_, expenses) = ledger(&shop, &client, "100.00").await;
    let by_the_hour: Vec<_> = expenses
        .iter()
        .filter(|(_, _, description)| description.contains(" h on "))
        .cloned()
        .collect();
    assert_eq!(
        by_the_hour,
        [
            hours("2027-01-10", "0.16", 12),
            hours("2027-01-11", "0.33", 24),
            hours("2027-01-12", "0.10", 7),
        ],
        "{expenses:?}"
    );
    // The rest is the monthly tariff's: its month, the 22 unused days credited on Jan 10, and
    // the 20 days left charged on Jan 12 (the hourly tariff's 0.00 a month moves nothing).
    let monthly_part: Vec<_> = expenses
        .iter()
        .filter(|(_, _, description)| !description.contains(" h on "))
        .map(|(day, amount, _)| (day.as_str(), amount.as_str()))
        .collect();
    assert_eq!(
        monthly_part,
        [
            ("2027-01-01", "31.00"),
            ("2027-01-10", "-22.00"),
            ("2027-01-12", "20.00"),
        ],
        "{expenses:?}"
    );
}

/// Anna and Bernd, each having paid 10.00, at a provider on a fixed clock (no billing day runs by
/// itself); Anna ordered a VDS at 0.00 a month and 0.0137 EUR an hour at 09:00 on Jan 1, 2027.
struct Handover {
    shop: Shop,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    anna: String,
    bernd: String,
    service: String,
}

impl Handover {
    async fn new() -> Handover {
        let (server, clock) = TestServer::start_fixed().await;
        clock.set("2027-01-01T09:00:00Z".parse().unwrap());
        let shop = Shop { server };
        let provider = shop.server.provider("EUR").await;
        let tariff = hourly_tariff(
            &shop,
            &provider,
            json!([{"per_hour": "0.0137", "currency": "EUR"}]),
        )
        .await;
        let anna = shop.server.client(&provider, "Anna Alt").await;
        let bernd = shop.server.client(&provider, "Bernd Neu").await;
        shop.pay(&anna, "10.00").await;
        shop.pay(&bernd, "10.00").await;
        let service = order(&shop, &anna, &tariff).await;
        assert_eq!(shop.robot().await, ["activate"]);
        Handover {
            shop,
            clock,
            anna,
            bernd,
            service,
        }
    }

    fn set_clock(&self, at: &str) {
        self.clock.set(at.parse().unwrap());
    }

    /// The billing day of Jan 5, at 09:00: it charges Jan 1 to 4.
    async fn bill_to_jan_5(&self) {
        self.set_clock("2027-01-05T09:00:00Z");
        let run = self
            .shop
            .server
            .post("/v1/billing/runs", json!({"as_of": "2027-01-05"}))
            .await;
        assert_eq!(run.status, StatusCode::OK, "{run:?}");
    }

    /// The charged days (day, amount) in the ledger of `client`, who paid `paid`, and its
    /// balance.
    async fn hours_charged(&self, client: &str, paid: &str) -> (Vec<(String, String)>, String) {
        let (balance, expenses) = ledger(&self.shop, client, paid).await;
        let days = expenses
            .into_iter()
            .filter(|(_, _, description)| description.contains(" h on "))
            .map(|(day, amount, _)| (day, amount))
            .collect();
        (days, balance)
    }
}

fn pair(day: &str, amount: &str) -> (String, String) {
    (day.to_owned(), amount.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hours_before_a_transfer_are_charged_to_the_old_owner_even_when_billed_after_it() {
    // Arrange
    let scene = Handover::new().await;

    // Act: moved to Bernd at 15:00 on Jan 3, before any billing day ran; the day of Jan 5 then
    // charges Jan 1 to 4.
    scene.set_clock("2027-01-03T15:00:00Z");
    let moved = scene
        .shop
        .server
        .post(
            &format!("/v1/services/{}/transfer", scene.service),
            json!({ "client_id": scene.bernd }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    scene.bill_to_jan_5().await;

    // Assert: Anna ran it on Jan 1 (15 h: 0.2055, 0.21) and Jan 2 (24 h: 0.33); the day of the
    // transfer is one charge, Bernd's, as is Jan 4. Each ledger balances.
    let (anna_days, anna_balance) = scene.hours_charged(&scene.anna, "10.00").await;
    assert_eq!(
        anna_days,
        [pair("2027-01-01", "0.21"), pair("2027-01-02", "0.33")]
    );
    assert_eq!(anna_balance, "9.46");
    let (bernd_days, bernd_balance) = scene.hours_charged(&scene.bernd, "10.00").await;
    assert_eq!(
        bernd_days,
        [pair("2027-01-03", "0.33"), pair("2027-01-04", "0.33")]
    );
    assert_eq!(bernd_balance, "9.34");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hours_before_a_merge_are_charged_to_the_client_merged_into() {
    // Arrange
    let scene = Handover::new().await;

    // Act: Anna is merged into Bernd at 15:00 on Jan 3, before any billing day ran; the day of
    // Jan 5 then charges Jan 1 to 4.
    scene.set_clock("2027-01-03T15:00:00Z");
    let merged = scene
        .shop
        .server
        .post(
            &format!("/v1/clients/{}/merge", scene.bernd),
            json!({"merge_id": Uuid::now_v7(), "sources": [scene.anna]}),
        )
        .await;
    assert_eq!(merged.status, StatusCode::ACCEPTED, "{merged:?}");
    let merge = merged.body["id"].as_str().unwrap().to_owned();
    for _ in 0..300 {
        let view = scene.shop.server.get(&format!("/v1/merges/{merge}")).await;
        if view.body["status"] == "completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    scene.bill_to_jan_5().await;

    // Assert: everything of Anna's moved to Bernd, her hours too: the four days are charged to
    // him (0.21, 0.33, 0.33, 0.33), his balance is the 20.00 both paid less them, and Anna's
    // account, emptied by the merge, owes nothing.
    let service = scene
        .shop
        .server
        .get(&format!("/v1/services/{}", scene.service))
        .await;
    assert_eq!(service.body["client_id"], json!(scene.bernd), "{service:?}");
    let (anna_days, anna_balance) = scene.hours_charged(&scene.anna, "0.00").await;
    assert_eq!(anna_days, []);
    assert_eq!(anna_balance, "0.00");
    let (bernd_days, bernd_balance) = scene.hours_charged(&scene.bernd, "20.00").await;
    assert_eq!(
        bernd_days,
        [
            pair("2027-01-01", "0.21"),
            pair("2027-01-02", "0.33"),
            pair("2027-01-03", "0.33"),
            pair("2027-01-04", "0.33")
        ]
    );
    assert_eq!(bernd_balance, "18.80");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_hourly_prices_are_problems_and_write_nothing() {
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let provider = shop.server.provider("EUR").await;
    let tariff = vds_tariff(&shop, &provider, "VDS", "5.00").await;
    let before = shop.server.event_count().await;
    let cases = [
        (
            json!([{"per_hour": "-0.01", "currency": "EUR"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_hourly_price",
        ),
        (
            json!([{"per_hour": "0.0000001", "currency": "EUR"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_hourly_price",
        ),
        (
            json!([{"per_hour": "0.01", "currency": "XXX"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_hourly_price",
        ),
        (
            json!([{"per_hour": "0.01", "currency": "EUR", "monthly_cap": "-1.00"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_hourly_price",
        ),
        (
            json!([{"per_hour": "0.01", "currency": "USD"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "hourly_currency_not_priced",
        ),
        (
            json!([{"per_hour": "0.01", "currency": "EUR"}, {"per_hour": "0.02", "currency": "EUR"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate_hourly_price",
        ),
        (
            json!([{"per_hour": 0.01, "currency": "EUR"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
    ];
    for (prices, status, code) in cases {
        let answer = set_hourly(&shop, &tariff, prices.clone()).await;
        assert_eq!(answer.status, status, "{prices}: {answer:?}");
        assert_eq!(answer.content_type, "application/problem+json", "{prices}");
        if !code.is_empty() {
            assert_eq!(answer.body["code"], code, "{prices}: {answer:?}");
        }
    }
    let unknown = set_hourly(
        &shop,
        &Uuid::now_v7().to_string(),
        json!([{"per_hour": "0.01", "currency": "EUR"}]),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");
    assert_eq!(shop.server.event_count().await, before, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_and_the_client_see_the_price_per_hour_on_their_pages() {
    use crate::browser::Browser;
    use crate::my_panel::{PASSWORD, user};

    // Arrange: an hourly tariff with a monthly cap, a client with an hourly VDS ordered, and a
    // user of that client.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let provider = shop.server.provider("EUR").await;
    let tariff = hourly_tariff(
        &shop,
        &provider,
        json!([{"per_hour": "0.0137", "currency": "EUR", "monthly_cap": "10.00"}]),
    )
    .await;
    let client = shop.server.client(&provider, "Hana Hourly").await;
    let service = order(&shop, &client, &tariff).await;
    let head = shop.server.settled().await;
    let api = shop
        .server
        .get(&format!("/v1/tariffs/{tariff}?min_position={head}"))
        .await;
    let email = user(&shop.server, &client, &["owner"]).await;

    // Act: the admin opens the tariff's page; the client's user its service's page.
    let browser = crate::panel::admin_browser(&shop.server).await;
    browser
        .go(&format!("{}/dashboard/tariffs/{tariff}", shop.server.url))
        .await;
    let staff_sees = browser.text("#hourly-prices-table").await;
    browser.screenshot("tariff-hourly-prices").await;
    browser.quit().await;
    let browser = Browser::start().await;
    browser.go(&format!("{}/my/login", shop.server.url)).await;
    browser.type_into("#email", &email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.find("#sign-out").await;
    browser
        .go(&format!("{}/my/services/{service}", shop.server.url))
        .await;
    let client_sees = browser.text("#service .per-hour").await;
    browser.screenshot("my-service-hourly").await;
    browser.quit().await;

    // Assert: the API, the staff page and the client's page say the same price.
    assert_eq!(api.status, StatusCode::OK, "{api:?}");
    assert_eq!(
        api.body["hourly_prices"],
        json!([{"per_hour": "0.0137", "currency": "EUR",
                "monthly_cap": {"amount": "10.00", "currency": "EUR"}}])
    );
    assert!(staff_sees.contains("0.0137 EUR/h"), "{staff_sees}");
    assert!(staff_sees.contains("10.00 EUR"), "{staff_sees}");
    assert_eq!(client_sees, "0.0137 EUR/h");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_set_the_prices_per_hour_on_the_tariff_page_and_see_a_refusal_in_the_form() {
    // Arrange: a VDS tariff priced per month only; the admin signed in.
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let provider = shop.server.provider("EUR").await;
    let tariff = vds_tariff(&shop, &provider, "VDS flexible", "2.00").await;
    shop.server.settled().await;
    let page = format!("{}/dashboard/tariffs/{tariff}", shop.server.url);
    let browser = crate::panel::admin_browser(&shop.server).await;
    let events = shop.server.event_count().await;

    // Act: a price with too many decimals, then a good one with a cap.
    browser.go(&page).await;
    browser.type_into("#per-hour-EUR", "0.0000001").await;
    browser.click("#set-hourly-prices").await;
    let refused = browser.text("#hourly-error").await;
    let written_by_refusal = shop.server.event_count().await - events;
    browser.go(&page).await;
    browser.type_into("#per-hour-EUR", "0.0137").await;
    browser.type_into("#monthly-cap-EUR", "10.00").await;
    browser.click("#set-hourly-prices").await;
    browser.address_with("done=hourly").await;
    let saved = browser.text("#saved").await;
    let listed = browser.text("#hourly-prices-table").await;
    browser.screenshot("tariff-hourly-form").await;
    browser.quit().await;

    // Assert: the refusal named the field and wrote nothing; the saved price is the API's.
    assert!(refused.contains("prices[0].per_hour"), "{refused}");
    assert_eq!(written_by_refusal, 0);
    assert_eq!(saved, "The prices per hour are saved.");
    assert!(listed.contains("0.0137 EUR/h"), "{listed}");
    assert!(listed.contains("10.00 EUR"), "{listed}");
    let head = shop.server.settled().await;
    let api = shop
        .server
        .get(&format!("/v1/tariffs/{tariff}?min_position={head}"))
        .await;
    assert_eq!(
        api.body["hourly_prices"],
        json!([{"per_hour": "0.0137", "currency": "EUR",
                "monthly_cap": {"amount": "10.00", "currency": "EUR"}}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tariff_sold_by_the_hour_takes_no_free_trial_and_one_with_a_trial_no_hourly_price() {
    // Arrange
    let (server, _clock) = TestServer::start_fixed().await;
    let shop = Shop { server };
    let provider = sandbox_provider(&shop).await;
    let hourly = hourly_tariff(
        &shop,
        &provider,
        json!([{"per_hour": "0.0137", "currency": "EUR"}]),
    )
    .await;
    let monthly = vds_tariff(&shop, &provider, "VDS M", "20.00").await;
    let trial = |tariff: String| {
        let shop = &shop;
        async move {
            shop.server
                .call(
                    Method::PUT,
                    &format!("/v1/tariffs/{tariff}/trial"),
                    Some(json!({"trial": {"days": 14}})),
                )
                .await
        }
    };
    let set = trial(monthly.clone()).await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    let events = shop.server.event_count().await;

    // Act
    let trial_of_hourly = trial(hourly).await;
    let hourly_of_trial = set_hourly(
        &shop,
        &monthly,
        json!([{"per_hour": "0.0274", "currency": "EUR"}]),
    )
    .await;

    // Assert: both refused, naming the problem; nothing written.
    for refused in [&trial_of_hourly, &hourly_of_trial] {
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
        assert_eq!(
            refused.body["code"], "trial_of_hourly_tariff",
            "{refused:?}"
        );
    }
    assert_eq!(shop.server.event_count().await, events);
}
