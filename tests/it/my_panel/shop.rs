//! Ordering and managing services in the customer panel: the catalog, the quote shown before an
//! order or a tariff change against what is then charged over the API, an order the money does
//! not cover, prolonging and closing, and the 404 / 403 / CSRF refusals.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestServer;

use super::{MyPanel, PASSWORD, Page, user};

/// A provider selling, in EUR, "VDS Small" (10.00 a month, a 5.00 set-up fee, a 2.00 backup
/// add-on), "VDS Large" (20.00 a month) and "VDS Dollar" (priced in USD only), with the promo
/// code SPRING (10% off); Ada has paid 100.00, Bob 7.00.
struct Scene {
    server: TestServer,
    ada: String,
    bob: String,
    small: String,
    large: String,
}

fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let tariff = |body: Value| {
            let server = &server;
            async move {
                let created = server.post("/v1/tariffs", body).await;
                assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
                created.body["id"].as_str().unwrap().to_owned()
            }
        };
        let small = tariff(json!({
            "provider_id": provider, "name": "VDS Small", "item_type": "vds",
            "prices": [{"period": "P1M", "price": eur("10.00")}],
            "setup_fees": [eur("5.00")],
            "addons": [{"code": "backup", "name": "Daily backup", "kind": "toggle",
                        "prices": [{"period": "P1M", "price": eur("2.00")}]}],
        }))
        .await;
        let large = tariff(json!({
            "provider_id": provider, "name": "VDS Large", "item_type": "vds",
            "prices": [{"period": "P1M", "price": eur("20.00")}],
        }))
        .await;
        tariff(json!({
            "provider_id": provider, "name": "VDS Dollar", "item_type": "vds",
            "prices": [{"period": "P1M", "price": {"amount": "9.00", "currency": "USD"}}],
        }))
        .await;
        let promo = server
            .post(
                "/v1/promo-codes",
                json!({"provider_id": provider, "code": "SPRING",
                       "discount": {"kind": "percent", "percent": "10"}}),
            )
            .await;
        assert_eq!(promo.status, StatusCode::CREATED, "{promo:?}");
        let ada = server.client(&provider, "Ada Lovelace").await;
        let bob = server.client(&provider, "Bob Owing").await;
        for (client, amount) in [(&ada, "100.00"), (&bob, "7.00")] {
            let paid = server
                .post(
                    &format!("/v1/clients/{client}/payments"),
                    json!({"payment_id": uuid::Uuid::now_v7(), "amount": amount,
                           "currency": "EUR", "method": "bank_transfer"}),
                )
                .await;
            assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        }
        server.settled().await;
        Scene {
            server,
            ada,
            bob,
            small,
            large,
        }
    }

    async fn owner_of(&self, client: &str) -> MyPanel {
        let email = user(&self.server, client, &["owner"]).await;
        MyPanel::sign_in(&self.server, &email, PASSWORD).await
    }

    /// Orders `tariff` for `client` over the API and lets the robot provision it: its id.
    async fn ordered(&self, client: &str, tariff: &str) -> String {
        let ordered = self
            .server
            .post(
                &format!("/v1/clients/{client}/services"),
                json!({"tariff_id": tariff, "period": "P1M"}),
            )
            .await;
        assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
        crate::panel::robot(&self.server).await;
        ordered.body["id"].as_str().unwrap().to_owned()
    }

    async fn balance(&self, client: &str) -> String {
        let view = crate::panel::read(&self.server, &format!("/v1/clients/{client}/balance")).await;
        view["accounts"][0]["balance"].as_str().unwrap().to_owned()
    }

    async fn expenses(&self, client: &str) -> Vec<Value> {
        let page = crate::panel::read(
            &self.server,
            &format!("/v1/clients/{client}/expenses?limit=500"),
        )
        .await;
        page["items"].as_array().cloned().unwrap_or_default()
    }

    async fn services(&self, client: &str) -> Vec<Value> {
        let page =
            crate::panel::read(&self.server, &format!("/v1/clients/{client}/services")).await;
        page["items"].as_array().cloned().unwrap_or_default()
    }
}

/// The text of the element with `id="{id}"` up to its closing tag.
pub(super) fn by_id<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {html}"))
        + marker.len();
    html[start..].split('<').next().unwrap()
}

/// The fields of the form `id="{id}"`: every `name`/`value` pair.
pub(super) fn form_fields(html: &str, id: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no form #{id} in {html}"));
    let form = &html[start..];
    let form = &form[..form.find("</form>").unwrap()];
    form.split("name=\"")
        .skip(1)
        .map(|rest| {
            let name = rest.split('"').next().unwrap().to_owned();
            let value = rest
                .split("value=\"")
                .nth(1)
                .map(|v| v.split('"').next().unwrap().to_owned())
                .unwrap_or_default();
            (name, value)
        })
        .collect()
}

pub(super) async fn post_form(my: &MyPanel, path: &str, fields: &[(String, String)]) -> Page {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    my.post("/my", path, &fields).await
}

/// An amount of the API without its sign.
pub(super) fn unsigned(amount: &Value) -> String {
    amount.as_str().unwrap().trim_start_matches('-').to_owned()
}

#[tokio::test]
async fn an_owner_orders_a_vds_with_an_addon_and_a_promo_code_at_the_price_quoted_once_however_often_sent()
 {
    let scene = Scene::new().await;
    let my = scene.owner_of(&scene.ada).await;

    let catalog = my.get("/my/order").await;
    assert_eq!(catalog.status, StatusCode::OK, "{catalog:?}");
    assert!(catalog.body.contains("VDS Small"), "{}", catalog.body);
    assert!(
        catalog.body.contains("Set-up fee 5.00 EUR"),
        "{}",
        catalog.body
    );
    assert!(catalog.body.contains("Daily backup"), "{}", catalog.body);
    // Priced only in USD: shown, not orderable in the EUR account.
    assert!(
        catalog.body.contains("Not offered in EUR (priced in USD)"),
        "{}",
        catalog.body
    );

    let quote = my
        .get(&format!(
            "/my/order/quote?tariff_id={}&period=P1M&addon.backup=true&promo_code=spring",
            scene.small
        ))
        .await;
    assert_eq!(quote.status, StatusCode::OK, "{quote:?}");
    // (10.00 + 2.00) less 10% is 10.80, and the 5.00 set-up fee on top.
    let quoted = by_id(&quote.body, "charge").to_owned();
    assert_eq!(quoted, "15.80 EUR", "{}", quote.body);

    let confirm = form_fields(&quote.body, "confirm");
    let first = post_form(&my, "/my/order", &confirm).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{first:?}");
    let again = post_form(&my, "/my/order", &confirm).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{again:?}");
    // Both answers lead to the one service (the first one also waits for the read model).
    let path = |page: &Page| {
        let location = page.location.clone().unwrap();
        location.split('?').next().unwrap().to_owned()
    };
    assert_eq!(path(&again), path(&first));

    let services = scene.services(&scene.ada).await;
    assert_eq!(services.len(), 1, "{services:?}");
    let id = services[0]["id"].as_str().unwrap();
    assert_eq!(path(&first), format!("/my/services/{id}"));
    let expenses = scene.expenses(&scene.ada).await;
    assert_eq!(expenses.len(), 1, "{expenses:?}");
    assert_eq!(format!("{} EUR", unsigned(&expenses[0]["amount"])), quoted);
    assert_eq!(expenses[0]["promo_code"], "SPRING");
    assert_eq!(scene.balance(&scene.ada).await, "84.20");

    let page = my.get(first.location.as_deref().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.body.contains("Daily backup"), "{}", page.body);
    assert!(page.body.contains("SPRING"), "{}", page.body);
}

#[tokio::test]
async fn an_order_the_balance_and_credit_do_not_cover_shows_what_is_missing_and_writes_nothing() {
    let scene = Scene::new().await;
    let my = scene.owner_of(&scene.bob).await;
    let quote = my
        .get(&format!(
            "/my/order/quote?tariff_id={}&period=P1M",
            scene.small
        ))
        .await;
    // 15.00 (the first month and the set-up fee) against 7.00 paid.
    assert_eq!(quote.status, StatusCode::UNPROCESSABLE_ENTITY, "{quote:?}");
    assert!(
        quote.body.contains("<b>8.00 EUR</b> is missing"),
        "{}",
        quote.body
    );
    assert!(
        quote.body.contains("href=\"/my/payments\""),
        "{}",
        quote.body
    );
    assert!(!quote.body.contains("id=\"confirm\""), "{}", quote.body);

    let events = scene.server.event_count().await;
    let fields = [
        ("tariff_id".to_owned(), scene.small.clone()),
        ("period".to_owned(), "P1M".to_owned()),
        ("key".to_owned(), uuid::Uuid::now_v7().to_string()),
    ];
    let refused = post_form(&my, "/my/order", &fields).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert!(refused.body.contains("8.00 EUR"), "{}", refused.body);
    assert!(
        refused.body.contains("href=\"/my/payments\""),
        "{}",
        refused.body
    );
    assert_eq!(scene.server.event_count().await, events);
    assert!(scene.services(&scene.bob).await.is_empty());
}

#[tokio::test]
async fn a_tariff_change_charges_and_credits_what_its_quote_showed() {
    let scene = Scene::new().await;
    let id = scene.ordered(&scene.ada, &scene.large).await;
    let my = scene.owner_of(&scene.ada).await;
    let page = my.get(&format!("/my/services/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.body.contains("id=\"change\""), "{}", page.body);

    let quote = my
        .get(&format!(
            "/my/services/{id}/change?tariff_id={}",
            scene.small
        ))
        .await;
    assert_eq!(quote.status, StatusCode::OK, "{quote:?}");
    let credit = by_id(&quote.body, "credit").to_owned();
    let charge = by_id(&quote.body, "charge").to_owned();
    let before: Vec<Value> = scene
        .expenses(&scene.ada)
        .await
        .iter()
        .map(|e| e["id"].clone())
        .collect();

    let changed = post_form(
        &my,
        &format!("/my/services/{id}/change-tariff"),
        &form_fields(&quote.body, "confirm"),
    )
    .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{changed:?}");
    let expenses = scene.expenses(&scene.ada).await;
    let new: Vec<&Value> = expenses
        .iter()
        .filter(|e| !before.contains(&e["id"]))
        .collect();
    let of_kind = |kind: &str| {
        new.iter()
            .find(|e| e["kind"] == kind)
            .map(|e| format!("{} EUR", unsigned(&e["amount"])))
    };
    assert_eq!(of_kind("credit"), Some(credit), "{expenses:?}");
    assert_eq!(of_kind("charge"), Some(charge), "{expenses:?}");
    let services = scene.services(&scene.ada).await;
    assert_eq!(services[0]["tariff_id"], scene.small.as_str());
}

#[tokio::test]
async fn prolonging_and_closing_at_period_end_show_over_the_api() {
    let scene = Scene::new().await;
    let id = scene.ordered(&scene.ada, &scene.large).await;
    let my = scene.owner_of(&scene.ada).await;
    let before = scene.services(&scene.ada).await[0]["paid_until"].clone();
    let page = my.get(&format!("/my/services/{id}")).await;
    assert!(page.body.contains("Prolong for 20.00 EUR"), "{}", page.body);

    let prolonged = post_form(
        &my,
        &format!("/my/services/{id}/prolong"),
        &form_fields(&page.body, "prolong"),
    )
    .await;
    assert_eq!(prolonged.status, StatusCode::SEE_OTHER, "{prolonged:?}");
    let after = scene.services(&scene.ada).await[0]["paid_until"].clone();
    let day =
        |v: &Value| chrono::NaiveDate::parse_from_str(v.as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert!(day(&after) > day(&before), "{before} → {after}");
    assert_eq!(scene.balance(&scene.ada).await, "60.00");

    let page = my.get(&format!("/my/services/{id}")).await;
    let closed = post_form(
        &my,
        &format!("/my/services/{id}/close"),
        &form_fields(&page.body, "close"),
    )
    .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{closed:?}");
    let service = &scene.services(&scene.ada).await[0];
    assert_eq!(service["close_at_period_end"], true, "{service}");
    assert_eq!(service["status"], "active", "{service}");
    let page = my.get(&format!("/my/services/{id}")).await;
    assert!(
        page.body.contains("at the end of the paid period"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"close\""), "{}", page.body);
}

#[tokio::test]
async fn another_clients_service_is_not_found_a_billing_user_cannot_order_and_a_forged_form_does_nothing()
 {
    let scene = Scene::new().await;
    let adas = scene.ordered(&scene.ada, &scene.large).await;
    let my = scene.owner_of(&scene.bob).await;
    for path in [
        format!("/my/services/{adas}"),
        format!("/my/services/{adas}/change?tariff_id={}", scene.small),
        "/my/services/not-an-id".to_owned(),
    ] {
        assert_eq!(my.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    for action in ["prolong", "close", "change-tariff", "auto-prolong"] {
        let fields = [("key".to_owned(), uuid::Uuid::now_v7().to_string())];
        let answer = post_form(&my, &format!("/my/services/{adas}/{action}"), &fields).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{action}: {answer:?}");
    }

    let email = user(&scene.server, &scene.ada, &["billing"]).await;
    let billing = MyPanel::sign_in(&scene.server, &email, PASSWORD).await;
    let home = billing.get("/my").await;
    assert!(!home.body.contains("href=\"/my/order\""), "{}", home.body);
    let catalog = billing.get("/my/order").await;
    assert_eq!(catalog.status, StatusCode::FORBIDDEN, "{catalog:?}");
    assert!(!catalog.body.contains("tariff_id"), "{}", catalog.body);
    let fields = [
        ("tariff_id".to_owned(), scene.small.clone()),
        ("period".to_owned(), "P1M".to_owned()),
        ("key".to_owned(), uuid::Uuid::now_v7().to_string()),
    ];
    let refused = post_form(&billing, "/my/order", &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");

    let owner = scene.owner_of(&scene.ada).await;
    let forged = owner
        .post(
            "/my",
            "/my/order",
            &[
                ("csrf", "forged"),
                ("tariff_id", &scene.small),
                ("period", "P1M"),
                ("key", &uuid::Uuid::now_v7().to_string()),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
    // Only the users created for the sessions were written: no order, no charge, no change.
    assert_eq!(scene.services(&scene.ada).await.len(), 1);
    assert_eq!(scene.services(&scene.bob).await.len(), 0);
    assert_eq!(scene.expenses(&scene.ada).await.len(), 1);
    let service = &scene.services(&scene.ada).await[0];
    assert_eq!(service["close_at_period_end"], false, "{service}");
    assert_eq!(service["tariff_id"], scene.large.as_str(), "{service}");
}

/// Where the browser flow's screenshots go.
const SCREENSHOTS: &str = "screenshots/my";

#[tokio::test]
async fn in_a_browser_an_owner_orders_a_vds_with_backup_and_a_promo_code_and_sees_the_charge() {
    let scene = Scene::new().await;
    let server = &scene.server;
    let email = user(server, &scene.ada, &["owner"]).await;
    let browser = crate::browser::Browser::start().await;
    browser.go(&format!("{}/my/login", server.url)).await;
    browser.type_into("#email", &email).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.title_once("Your account").await;

    browser.go(&format!("{}/my/order", server.url)).await;
    browser.title_once("Order").await;
    let small = format!("form[data-tariff=\"{}\"]", scene.small);
    browser
        .click(&format!("{small} input[name=\"addon.backup\"]"))
        .await;
    browser
        .type_into(&format!("{small} input[name=\"promo_code\"]"), "spring")
        .await;
    browser.screenshot_in(SCREENSHOTS, "order-catalog").await;
    browser.click(&format!("{small} button")).await;
    browser.title_once("Confirm the order").await;
    let quoted = browser.text("#charge").await;
    browser.screenshot_in(SCREENSHOTS, "order-quote").await;
    browser.click("#confirm button").await;
    browser.address_with("/my/services/").await;
    let price = browser.text("td.price").await;
    browser.screenshot_in(SCREENSHOTS, "ordered-service").await;
    browser.quit().await;

    assert_eq!(quoted, "15.80 EUR");
    // The price per period with the backup, before the one-time discount.
    assert_eq!(price, "12.00 EUR");
    let expenses = scene.expenses(&scene.ada).await;
    assert_eq!(expenses.len(), 1, "{expenses:?}");
    assert_eq!(format!("{} EUR", unsigned(&expenses[0]["amount"])), quoted);
}
