//! The money pages of the customer panel: top-ups by bank transfer (with the proforma to
//! download) and by card gateway (redirect and return), the payments, expenses, statement and
//! invoices, each agreeing to the cent with the API's read models, and only the session's own
//! client's, only for the roles that read money.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use super::{MyPanel, PASSWORD, Page, user};

/// The card gateway's address template the scene configures.
pub(super) const GATEWAY: &str =
    "https://pay.example.com/checkout/{payment_id}?return={return_url}";

/// A provider in EUR with a company that takes bank transfers, cards (through a gateway) and
/// cash (staff only), a 10.00 EUR VDS tariff, and two clients: Ada (no money yet) and Bob, who
/// asked for a bank transfer of 30.00 over the API (a payment and its proforma).
pub(super) struct Scene {
    pub(super) server: TestServer,
    pub(super) company: String,
    vds: String,
    pub(super) ada: String,
    pub(super) bob: String,
    bob_payment: String,
    bob_invoice: String,
}

impl Scene {
    pub(super) async fn new() -> Scene {
        Scene::on(TestServer::start().await).await
    }

    /// The scene on `server`.
    pub(super) async fn on(server: TestServer) -> Scene {
        let provider = server.provider("EUR").await;
        let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
        for (method, kind, redirect) in [
            ("bank_transfer", "bank_transfer", None),
            ("card", "card_gateway", Some(GATEWAY)),
            ("card_offline", "card_gateway", None),
            ("cash", "manual", None),
        ] {
            let mut body = json!({"kind": kind, "display_name": format!("Pay by {method}"),
                                  "enabled": true});
            if let Some(url) = redirect {
                body["redirect_url"] = json!(url);
            }
            let configured = server
                .call(
                    Method::PUT,
                    &format!("/v1/companies/{company}/payment-methods/{method}"),
                    Some(body),
                )
                .await;
            assert_eq!(configured.status, StatusCode::OK, "{configured:?}");
        }
        let vds = crate::panel::tariff(&server, &provider).await;
        let ada = server.client(&provider, "Ada Lovelace").await;
        let bob = server.client(&provider, "Bob Other").await;
        let bob_payment = Uuid::now_v7().to_string();
        let paid = server
            .post(
                "/v1/payments",
                json!({"payment_id": bob_payment, "client_id": bob, "company_id": company,
                       "method": "bank_transfer", "amount": "30.00", "currency": "EUR",
                       "proforma": true}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        let bob_invoice = paid.body["invoice_id"].as_str().unwrap().to_owned();
        server.settled().await;
        Scene {
            server,
            company,
            vds,
            ada,
            bob,
            bob_payment,
            bob_invoice,
        }
    }

    /// The API's read of `path` once the read models have applied everything.
    pub(super) async fn api(&self, path: &str) -> Value {
        crate::panel::read(&self.server, path).await
    }

    /// The scene's VDS tariff (10.00 EUR a month).
    pub(super) fn vds(&self) -> &str {
        &self.vds
    }

    /// How many payments Ada has, as the API lists them.
    pub(super) async fn ada_payments(&self) -> usize {
        self.api(&format!("/v1/payments?client_id={}", self.ada))
            .await["items"]
            .as_array()
            .unwrap()
            .len()
    }
}

/// The idempotency key rendered into the top-up form.
pub(super) fn form_key(html: &str) -> String {
    let marker = "name=\"key\" value=\"";
    let start = html.find(marker).expect("a form with a key") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The value of the attribute `attribute` of the element with `id`.
fn attribute(html: &str, id: &str, attribute: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let marker = format!("{attribute}=\"");
    let start = at + html[at..].find(&marker).unwrap() + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Submits the top-up form of `/my/payments` with `key`, `method` (a method of the scene's
/// company) and `amount`.
pub(super) async fn top_up(
    my: &MyPanel,
    scene: &Scene,
    key: &str,
    method: &str,
    amount: &str,
) -> Page {
    let method = format!("{}/{method}", scene.company);
    my.post(
        "/my/payments",
        "/my/payments",
        &[("key", key), ("method", &method), ("amount", amount)],
    )
    .await
}

#[tokio::test]
async fn a_bank_transfer_top_up_gives_a_proforma_to_download_and_once_staff_confirm_it_the_balance_and_statement_show_it()
 {
    let scene = Scene::new().await;
    let server = &scene.server;
    let email = user(server, &scene.ada, &["owner"]).await;
    let my = MyPanel::sign_in(server, &email, PASSWORD).await;

    let payments = my.get("/my/payments").await;
    assert_eq!(payments.status, StatusCode::OK, "{payments:?}");
    for link in [
        "/my/payments",
        "/my/expenses",
        "/my/statement",
        "/my/invoices",
    ] {
        assert!(
            payments.body.contains(&format!("href=\"{link}\"")),
            "{link}"
        );
    }
    assert!(payments.body.contains("Pay by bank_transfer"));
    assert!(payments.body.contains("Pay by card"));
    // Cash credits at once: only staff may say the money is there.
    assert!(!payments.body.contains("Pay by cash"), "{}", payments.body);
    assert!(payments.body.contains("No payments yet"));

    let key = form_key(&payments.body);
    let paid = top_up(&my, &scene, &key, "bank_transfer", "250.00").await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{paid:?}");
    let location = paid.location.unwrap();
    // The payment's id is the panel's, derived from the form's key, never the key as typed;
    // the same form sent again leads to the same payment.
    let payment = location
        .strip_prefix("/my/payments/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_default()
        .to_owned();
    assert!(Uuid::parse_str(&payment).is_ok(), "{location}");
    assert_ne!(payment, key, "{location}");
    let again = top_up(&my, &scene, &key, "bank_transfer", "250.00").await;
    assert_eq!(
        again
            .location
            .as_deref()
            .and_then(|l| l.strip_prefix("/my/payments/"))
            .and_then(|rest| rest.split('?').next()),
        Some(payment.as_str()),
        "{again:?}"
    );
    let page = my.get(&location).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(
        page.body.contains("<td id=\"status\">new</td>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("250.00 EUR"), "{}", page.body);
    let invoice = attribute(&page.body, "proforma-html", "href");
    let api_payment = scene.api(&format!("/v1/payments/{payment}")).await;
    assert_eq!(api_payment["status"], "new");
    assert_eq!(api_payment["amount"], "250.00");
    assert_eq!(
        invoice,
        format!(
            "/my/invoices/{}",
            api_payment["invoice_id"].as_str().unwrap()
        )
    );
    let html = my.get(&invoice).await;
    assert_eq!(html.status, StatusCode::OK, "{html:?}");
    assert!(html.content_type.starts_with("text/html"), "{html:?}");
    assert!(html.body.contains("Proforma invoice"), "{}", html.body);
    assert!(html.body.contains("250.00"), "{}", html.body);
    let pdf = my.get(&format!("{invoice}/pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.body.starts_with("%PDF"));
    let listed = my.get("/my/invoices").await;
    assert!(listed.body.contains(&invoice), "{}", listed.body);
    assert!(!listed.body.contains(&scene.bob_invoice), "{}", listed.body);

    // Nothing is on the balance until the money arrives and staff confirm it.
    assert!(!my.get("/my").await.body.contains("250.00 EUR"));
    let confirmed = server
        .post(&format!("/v1/payments/{payment}/confirm"), json!({}))
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:?}");
    let ordered = server
        .post(
            &format!("/v1/clients/{}/services", scene.ada),
            json!({"tariff_id": scene.vds, "period": "P1M"}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    crate::panel::robot(server).await;

    let balance = scene
        .api(&format!("/v1/clients/{}/balance", scene.ada))
        .await;
    assert_eq!(balance["accounts"][0]["balance"], "240.00");
    let home = my.get("/my").await;
    assert!(home.body.contains(">240.00 EUR</b>"), "{}", home.body);
    let page = my.get(&format!("/my/payments/{payment}")).await;
    assert!(
        page.body.contains("<td id=\"status\">credited</td>"),
        "{}",
        page.body
    );

    let api = scene
        .api(&format!("/v1/clients/{}/statement", scene.ada))
        .await;
    assert_eq!(api["closing_balance"], "240.00");
    let statement = my.get("/my/statement").await;
    assert_eq!(statement.status, StatusCode::OK, "{statement:?}");
    for movement in api["items"].as_array().unwrap() {
        let row = format!(
            "<td class=\"n{}\">{}</td><td class=\"n\">{}</td>",
            if movement["amount"].as_str().unwrap().starts_with('-') {
                " neg"
            } else {
                ""
            },
            movement["amount"].as_str().unwrap(),
            movement["balance_after"].as_str().unwrap()
        );
        assert!(statement.body.contains(&row), "{row} in {}", statement.body);
    }
    assert!(
        statement
            .body
            .contains("<td class=\"n\">250.00</td><td class=\"n\">250.00</td>")
    );
    assert!(
        statement.body.contains(">240.00 EUR</td>"),
        "{}",
        statement.body
    );
    // A range after today holds no movement: it opens and closes at the balance.
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    let later = my.get(&format!("/my/statement?from={tomorrow}")).await;
    assert_eq!(later.status, StatusCode::OK);
    assert!(
        !later.body.contains("<td class=\"n\">250.00</td>"),
        "{}",
        later.body
    );
    assert!(
        later
            .body
            .contains("Opening balance</td><td class=\"n\">240.00 EUR")
    );
    let bad = my.get("/my/statement?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");

    let api = scene
        .api(&format!("/v1/clients/{}/expenses", scene.ada))
        .await;
    let charged = &api["items"][0];
    assert_eq!(charged["amount"], "10.00");
    let expenses = my.get("/my/expenses").await;
    assert_eq!(expenses.status, StatusCode::OK, "{expenses:?}");
    assert!(expenses.body.contains("VDS Small"), "{}", expenses.body);
    assert!(
        expenses.body.contains(">10.00 EUR</td>"),
        "{}",
        expenses.body
    );
    assert!(
        expenses.body.contains(&format!(
            "{} – {}",
            charged["period_start"].as_str().unwrap(),
            charged["period_end"].as_str().unwrap()
        )),
        "{}",
        expenses.body
    );
}

#[tokio::test]
async fn a_double_submitted_top_up_makes_one_payment_and_bad_amounts_or_a_forged_form_write_nothing()
 {
    let scene = Scene::new().await;
    let server = &scene.server;
    let email = user(server, &scene.ada, &["billing"]).await;
    let my = MyPanel::sign_in(server, &email, PASSWORD).await;
    let key = form_key(&my.get("/my/payments").await.body);
    let first = top_up(&my, &scene, &key, "bank_transfer", "75.50").await;
    let second = top_up(&my, &scene, &key, "bank_transfer", "75.50").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{first:?}");
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{second:?}");
    assert_eq!(scene.ada_payments().await, 1);
    let invoices = scene
        .api(&format!("/v1/invoices?client_id={}", scene.ada))
        .await;
    assert_eq!(invoices["items"].as_array().unwrap().len(), 1, "{invoices}");

    for amount in ["-5.00", "0", "0.001", "ten euros", ""] {
        let key = Uuid::now_v7().to_string();
        let refused = top_up(&my, &scene, &key, "bank_transfer", amount).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{amount}: {refused:?}"
        );
        assert!(
            refused.body.contains("id=\"form-error\""),
            "{}",
            refused.body
        );
    }
    // A method of kind manual, another company's method or none at all: refused the same way.
    for method in ["cash", "nothing"] {
        let refused = top_up(&my, &scene, &Uuid::now_v7().to_string(), method, "5.00").await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
    }
    // A card method with no gateway address is refused before anything is written.
    let offline = top_up(
        &my,
        &scene,
        &Uuid::now_v7().to_string(),
        "card_offline",
        "5.00",
    )
    .await;
    assert_eq!(
        offline.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{offline:?}"
    );
    assert!(offline.body.contains("gateway_not_configured"));
    let method = format!("{}/bank_transfer", scene.company);
    let forged = my
        .post(
            "/my/payments",
            "/my/payments",
            &[
                ("csrf", "forged"),
                ("key", &Uuid::now_v7().to_string()),
                ("method", &method),
                ("amount", "5.00"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
    assert_eq!(scene.ada_payments().await, 1, "nothing more was written");
}

#[tokio::test]
async fn another_clients_payments_and_invoices_are_not_found_and_a_technical_user_has_no_money_pages()
 {
    let scene = Scene::new().await;
    let server = &scene.server;
    let owner = MyPanel::sign_in(
        server,
        &user(server, &scene.ada, &["owner"]).await,
        PASSWORD,
    )
    .await;
    let missing = my_not_found(&owner, &scene).await;
    assert!(
        missing.iter().all(|s| *s == StatusCode::NOT_FOUND),
        "{missing:?}"
    );
    let listed = owner.get("/my/payments").await;
    assert!(!listed.body.contains(&scene.bob_payment), "{}", listed.body);
    assert!(!listed.body.contains("30.00 EUR"), "{}", listed.body);

    let technical = MyPanel::sign_in(
        server,
        &user(server, &scene.ada, &["technical"]).await,
        PASSWORD,
    )
    .await;
    let home = technical.get("/my").await;
    assert_eq!(home.status, StatusCode::OK);
    for link in [
        "/my/payments",
        "/my/expenses",
        "/my/statement",
        "/my/invoices",
    ] {
        assert!(!home.body.contains(&format!("href=\"{link}\"")), "{link}");
        let page = technical.get(link).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{link}: {page:?}");
    }
    let method = format!("{}/bank_transfer", scene.company);
    let key = Uuid::now_v7().to_string();
    let refused = technical
        .post(
            "/my",
            "/my/payments",
            &[("key", &key), ("method", &method), ("amount", "5.00")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    assert_eq!(scene.ada_payments().await, 0);
}

/// What Ada's owner gets for each `/my` URL naming Bob's payment or invoice, or no such thing.
async fn my_not_found(my: &MyPanel, scene: &Scene) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for path in [
        format!("/my/payments/{}", scene.bob_payment),
        format!("/my/payments/{}/return", scene.bob_payment),
        format!("/my/invoices/{}", scene.bob_invoice),
        format!("/my/invoices/{}/pdf", scene.bob_invoice),
        format!("/my/invoices/{}", Uuid::now_v7()),
        "/my/payments/not-an-id".to_owned(),
        "/my/invoices/not-an-id/pdf".to_owned(),
    ] {
        statuses.push(my.get(&path).await.status);
    }
    statuses
}

#[tokio::test]
async fn a_card_top_up_goes_to_the_gateway_and_returns_pending_until_the_gateway_confirms_it() {
    let scene = Scene::new().await;
    let server = &scene.server;
    let my = MyPanel::sign_in(
        server,
        &user(server, &scene.ada, &["owner"]).await,
        PASSWORD,
    )
    .await;
    let key = form_key(&my.get("/my/payments").await.body);
    let sent = top_up(&my, &scene, &key, "card", "40.00").await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{sent:?}");
    let location = sent.location.unwrap();
    // The payment's id, derived from the form's key (never the key itself).
    let payment_id = location
        .strip_prefix("https://pay.example.com/checkout/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_default()
        .to_owned();
    assert!(Uuid::parse_str(&payment_id).is_ok(), "{location}");
    assert_ne!(payment_id, key);
    let host = server.url.trim_start_matches("http://");
    let back = format!(
        "http%3A%2F%2F{}%2Fmy%2Fpayments%2F{payment_id}%2Freturn",
        host.replace(':', "%3A")
    );
    assert_eq!(
        location,
        format!("https://pay.example.com/checkout/{payment_id}?return={back}")
    );
    // Sent again (a double click), the form makes no second payment and goes to the same place.
    let again = top_up(&my, &scene, &key, "card", "40.00").await;
    assert_eq!(again.location.as_deref(), Some(location.as_str()));
    assert_eq!(scene.ada_payments().await, 1);

    // Coming back from the gateway credits nothing.
    let returned = my.get(&format!("/my/payments/{payment_id}/return")).await;
    assert_eq!(returned.status, StatusCode::OK, "{returned:?}");
    assert!(
        returned.body.contains("<td id=\"status\">in_progress</td>"),
        "{}",
        returned.body
    );
    assert!(
        returned.body.contains("has not confirmed"),
        "{}",
        returned.body
    );
    let payment = scene.api(&format!("/v1/payments/{payment_id}")).await;
    assert_eq!(payment["status"], "in_progress");
    assert!(payment["credited"].is_null());
    assert!(!my.get("/my").await.body.contains("40.00 EUR"));

    let confirmed = server
        .post(
            &format!("/v1/payments/{payment_id}/confirm"),
            json!({"external_id": "ch_3PXk9"}),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:?}");
    server.settled().await;
    let returned = my.get(&format!("/my/payments/{payment_id}/return")).await;
    assert!(
        returned.body.contains("<td id=\"status\">credited</td>"),
        "{}",
        returned.body
    );
    assert!(
        returned.body.contains("is on your balance"),
        "{}",
        returned.body
    );
    let balance = scene
        .api(&format!("/v1/clients/{}/balance", scene.ada))
        .await;
    assert_eq!(balance["accounts"][0]["balance"], "40.00");
    assert!(my.get("/my").await.body.contains(">40.00 EUR</b>"));
}
