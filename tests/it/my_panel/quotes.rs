//! The order quote (`/my/order/quote`) is what the order then charges, to the cent, where the
//! charge is more than the price: a client whose company adds VAT on top, and a client whose
//! credit limit lets the balance go below zero.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::TestServer;

use super::shop::{by_id, form_fields, post_form, unsigned};
use super::{MyPanel, PASSWORD, user};

/// A provider in EUR whose Dutch company adds 20% VAT for French individuals (and includes 21%
/// for the Netherlands), selling "VDS Odd" at 9.99 a month with a 0.55 set-up fee.
struct Scene {
    server: TestServer,
    provider: String,
    tariff: String,
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
        let rules = server
            .call(
                Method::PUT,
                &format!("/v1/companies/{company}/tax-rules"),
                Some(json!({ "rules": [
                    { "country": "FR", "rate": "20", "mode": "added", "reverse_charge": false },
                    { "country": "NL", "rate": "21", "mode": "included", "reverse_charge": false },
                ]})),
            )
            .await;
        assert_eq!(rules.status, StatusCode::OK, "{rules:?}");
        let tariff = server
            .post(
                "/v1/tariffs",
                json!({"provider_id": provider, "name": "VDS Odd", "item_type": "vds",
                       "prices": [{"period": "P1M", "price": {"amount": "9.99", "currency": "EUR"}}],
                       "setup_fees": [{"amount": "0.55", "currency": "EUR"}]}),
            )
            .await;
        assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
        Scene {
            tariff: tariff.body["id"].as_str().unwrap().to_owned(),
            server,
            provider,
        }
    }

    /// A client in `country` that has paid `paid`: its id.
    async fn client(&self, country: &str, paid: &str) -> String {
        let registered = self
            .server
            .post(
                "/v1/clients",
                json!({"provider_id": self.provider, "name": format!("Client in {country}"),
                       "email": format!("{}@example.com", uuid::Uuid::now_v7().simple()),
                       "kind": "individual", "country": country}),
            )
            .await;
        assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
        let client = registered.body["id"].as_str().unwrap().to_owned();
        let payment = self
            .server
            .post(
                &format!("/v1/clients/{client}/payments"),
                json!({"payment_id": uuid::Uuid::now_v7(), "amount": paid, "currency": "EUR",
                       "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(payment.status, StatusCode::CREATED, "{payment:?}");
        self.server.settled().await;
        client
    }

    /// Quotes the tariff for `client`'s owner, orders what the quote's form confirms, and
    /// answers the quoted charge with the expense and balance the API then shows.
    async fn quote_and_order(&self, client: &str) -> (String, String, String) {
        let email = user(&self.server, client, &["owner"]).await;
        let my = MyPanel::sign_in(&self.server, &email, PASSWORD).await;
        let quote = my
            .get(&format!(
                "/my/order/quote?tariff_id={}&period=P1M",
                self.tariff
            ))
            .await;
        assert_eq!(quote.status, StatusCode::OK, "{quote:?}");
        let quoted = by_id(&quote.body, "charge").to_owned();
        let ordered = post_form(&my, "/my/order", &form_fields(&quote.body, "confirm")).await;
        assert_eq!(ordered.status, StatusCode::SEE_OTHER, "{ordered:?}");
        let expenses =
            crate::panel::read(&self.server, &format!("/v1/clients/{client}/expenses")).await;
        let items = expenses["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{expenses}");
        let balance =
            crate::panel::read(&self.server, &format!("/v1/clients/{client}/balance")).await;
        (
            quoted,
            format!("{} EUR", unsigned(&items[0]["amount"])),
            balance["accounts"][0]["balance"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    }
}

#[tokio::test]
async fn an_order_under_vat_added_charges_the_gross_the_quote_showed() {
    let scene = Scene::new().await;
    let french = scene.client("FR", "50.00").await;

    let (quoted, charged, balance) = scene.quote_and_order(&french).await;

    // 9.99 and 0.55 with 20% on top of each: 11.99 and 0.66.
    assert_eq!(quoted, "12.65 EUR");
    assert_eq!(charged, quoted);
    assert_eq!(balance, "37.35");
}

#[tokio::test]
async fn an_order_under_vat_included_charges_the_price_the_quote_showed() {
    let scene = Scene::new().await;
    let dutch = scene.client("NL", "50.00").await;

    let (quoted, charged, balance) = scene.quote_and_order(&dutch).await;

    assert_eq!(quoted, "10.54 EUR");
    assert_eq!(charged, quoted);
    assert_eq!(balance, "39.46");
}

#[tokio::test]
async fn an_order_the_credit_limit_covers_charges_what_the_quote_showed_below_zero() {
    let scene = Scene::new().await;
    let french = scene.client("FR", "3.00").await;
    let limit = scene
        .server
        .call(
            Method::PUT,
            &format!("/v1/clients/{french}/credit-limit"),
            Some(json!({"amount": "20.00", "currency": "EUR"})),
        )
        .await;
    assert_eq!(limit.status, StatusCode::OK, "{limit:?}");
    scene.server.settled().await;

    let (quoted, charged, balance) = scene.quote_and_order(&french).await;

    assert_eq!(quoted, "12.65 EUR");
    assert_eq!(charged, quoted);
    assert_eq!(balance, "-9.65");
}
