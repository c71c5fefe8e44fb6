//! Affiliate programs end to end over HTTP: a referred client's payments accrue its affiliate
//! commission once each (also 20 at once), a payout moves it to the affiliate's balance and
//! statement, an over-payout and a self-referral are refused, and the process manager's rerun
//! from the start of the log accrues and credits nothing twice.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

/// A provider with a 10 % commission on payments, forever; an affiliate client that joined it
/// with one link, and a client referred through that link.
struct Program {
    server: TestServer,
    provider: String,
    program: String,
    affiliate: String,
    referred: String,
    code: String,
}

impl Program {
    async fn open() -> Program {
        Program::open_with(json!({"basis": "payments", "percent": "10"})).await
    }

    /// The same with the program's commission `rule`.
    async fn open_with(rule: Value) -> Program {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let program = Uuid::now_v7().to_string();
        let created = server
            .post(
                "/v1/affiliate-programs",
                json!({"program_id": program, "provider_id": provider, "name": "Partners",
                       "rule": rule}),
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
        assert_eq!(clicked.body["counted"], true);
        let referred = server.client(&provider, "Rita Referred").await;
        let signed_up = server
            .post(
                &format!("/v1/clients/{referred}/referral"),
                json!({"code": code.to_lowercase()}),
            )
            .await;
        assert_eq!(signed_up.status, StatusCode::CREATED, "{signed_up:?}");
        Program {
            server,
            provider,
            program,
            affiliate,
            referred,
            code,
        }
    }

    async fn pay(&self, client: &str, amount: &str) -> Value {
        let paid = self
            .server
            .post(
                &format!("/v1/clients/{client}/payments"),
                json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR",
                       "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        paid.body
    }

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

    async fn pay_out(&self, payout_id: &str, amount: &str) -> tests::Answer {
        self.server
            .post(
                &format!(
                    "/v1/clients/{}/affiliate-programs/{}/payouts",
                    self.affiliate, self.program
                ),
                json!({"payout_id": payout_id, "amount": amount, "currency": "EUR",
                       "destination": "account"}),
            )
            .await
    }
}

fn totals(view: &Value) -> (String, String, String) {
    let total = &view["programs"][0]["totals"][0];
    (
        total["accrued"].as_str().unwrap_or_default().to_owned(),
        total["paid"].as_str().unwrap_or_default().to_owned(),
        total["available"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_referred_clients_payments_accrue_commission_once_each_also_twenty_at_once() {
    // Arrange: a referred client and a client nobody referred.
    let program = Program::open().await;

    // Act: one payment, then 20 in parallel, 12.34 EUR each; the affiliate's own payment earns
    // nothing.
    program.pay(&program.referred, "12.34").await;
    let parallel = (0..20).map(|_| program.pay(&program.referred, "12.34"));
    futures::future::join_all(parallel).await;
    program.pay(&program.affiliate, "50.00").await;

    // Assert: 21 accruals of 1.23 (10 % of 12.34 rounded half away from zero), 25.83 in all.
    let view = program.view().await;
    let accruals = view["accruals"].as_array().unwrap();
    assert_eq!(accruals.len(), 21, "{view}");
    assert!(
        accruals
            .iter()
            .all(|a| a["amount"] == "1.23" && a["base"] == "12.34")
    );
    assert!(
        accruals
            .iter()
            .all(|a| a["referred_client_id"] == program.referred.as_str())
    );
    assert_eq!(
        totals(&view),
        ("25.83".to_owned(), "0.00".to_owned(), "25.83".to_owned())
    );
    // The affiliate's own user sees its commissions and what they were of, not the referred
    // client's id nor its payments' ids.
    let email = crate::my_panel::user(&program.server, &program.affiliate, &["owner"]).await;
    let login = program
        .server
        .post(
            "/v1/auth/login",
            json!({"email": email, "password": crate::my_panel::PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    let token = login.body["token"].as_str().unwrap();
    let own: Value = program
        .server
        .http
        .get(format!(
            "{}/v1/clients/{}/affiliate",
            program.server.url, program.affiliate
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seen = own["accruals"].as_array().unwrap();
    assert_eq!(seen.len(), 21, "{own}");
    assert!(
        seen.iter().all(|a| a["source"] == "payment"
            && a.get("referred_client_id").is_none()
            && a["base"] == "12.34"),
        "{own}"
    );
    let membership = &view["programs"][0];
    assert_eq!(membership["clicks"], 1);
    assert_eq!(membership["referred_clients"], 1);
    assert_eq!(membership["links"][0]["code"], program.code.as_str());
    assert_eq!(membership["links"][0]["sign_ups"], 1);
}

/// The affiliate's accruals as (base, amount), in order.
fn accruals(view: &Value) -> Vec<(String, String)> {
    view["accruals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["base"].as_str().unwrap().to_owned(),
                a["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_refund_and_a_chargeback_take_back_the_commission_on_the_money_given_back() {
    // Arrange: the referred client paid 100.00, which accrued 10.00.
    let program = Program::open().await;
    let payment = program.pay(&program.referred, "100.00").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act: 40.00 refunded, then the payment charged back.
    let refunded = program
        .server
        .post(
            &format!("/v1/payments/{payment}/refunds"),
            json!({"refund_id": Uuid::now_v7(), "amount": "40.00", "reason": "asked for"}),
        )
        .await;
    let reversed = program
        .server
        .post(
            &format!("/v1/payments/{payment}/fraud"),
            json!({"reason": "chargeback"}),
        )
        .await;

    // Assert: 10 % of what the client kept paying, which is nothing.
    assert!(refunded.status.is_success(), "{refunded:?}");
    assert!(reversed.status.is_success(), "{reversed:?}");
    let view = program.view().await;
    let mut rows = accruals(&view);
    rows.sort_unstable();
    assert_eq!(
        rows,
        [
            ("-40.00".to_owned(), "-4.00".to_owned()),
            ("-60.00".to_owned(), "-6.00".to_owned()),
            ("100.00".to_owned(), "10.00".to_owned()),
        ],
        "{view}"
    );
    assert_eq!(totals(&view).0, "0.00", "{view}");
}

#[tokio::test]
async fn changing_tariff_back_and_forth_earns_no_commission_on_the_money_going_round() {
    // Arrange: 10 % of the referred client's charges; it paid 100.00 and ordered a 30.00 VDS.
    let program = Program::open_with(json!({"basis": "charges", "percent": "10"})).await;
    let tariff = |name: &'static str, price: &'static str| {
        let server = &program.server;
        let provider = program.provider.clone();
        async move {
            let created = server
                .post(
                    "/v1/tariffs",
                    json!({"provider_id": provider, "name": name, "item_type": "vds",
                           "prices": [{"period": "P1M",
                                       "price": {"amount": price, "currency": "EUR"}}]}),
                )
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
            created.body["id"].as_str().unwrap().to_owned()
        }
    };
    let small = tariff("VDS S", "30.00").await;
    let large = tariff("VDS L", "60.00").await;
    program.pay(&program.referred, "100.00").await;
    let ordered = program
        .server
        .post(
            &format!("/v1/clients/{}/services", program.referred),
            json!({"tariff_id": small, "period": "P1M"}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap().to_owned();

    // Act: on the day of the order, to the large tariff and back, three times.
    for target in [&large, &small, &large, &small, &large, &small] {
        let changed = program
            .server
            .post(
                &format!("/v1/services/{service}/change-tariff"),
                json!({"tariff_id": target}),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    }

    // Assert: the client paid 30.00 for the month in the end, and the affiliate earned 3.00 on
    // it; each change's charge accrued and its credit took back what the credited charge had.
    let balance = program.balance(&program.referred).await;
    assert_eq!(balance, "70.00");
    let view = program.view().await;
    assert_eq!(totals(&view).0, "3.00", "{view}");
    assert_eq!(accruals(&view).len(), 13, "{view}");
}

#[tokio::test]
async fn a_payout_moves_commission_to_the_affiliates_balance_and_never_more_than_accrued() {
    // Arrange: 100.00 paid by the referred client: 10.00 accrued.
    let program = Program::open().await;
    program.pay(&program.referred, "100.00").await;
    assert_eq!(totals(&program.view().await).0, "10.00");

    // Act: 10.01 is refused; 7.50 is paid out to the account, twice under the same payout id.
    let too_much = program.pay_out(&Uuid::now_v7().to_string(), "10.01").await;
    assert_eq!(
        too_much.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{too_much:?}"
    );
    assert_eq!(too_much.body["code"], "payout_exceeds_accrued");
    let payout = Uuid::now_v7().to_string();
    let paid = program.pay_out(&payout, "7.50").await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let again = program.pay_out(&payout, "7.50").await;
    assert!(again.status.is_success(), "{again:?}");
    let rest = program.pay_out(&Uuid::now_v7().to_string(), "2.51").await;
    assert_eq!(rest.status, StatusCode::UNPROCESSABLE_ENTITY, "{rest:?}");

    // Assert: the balance and the statement show one credit of 7.50; 2.50 remains.
    assert_eq!(program.balance(&program.affiliate).await, "7.50");
    let head = program.server.settled().await;
    let statement = program
        .server
        .get(&format!(
            "/v1/clients/{}/statement?limit=500&min_position={head}",
            program.affiliate
        ))
        .await
        .body;
    let items = statement["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{statement}");
    assert_eq!(items[0]["amount"], "7.50");
    assert_eq!(items[0]["balance_after"], "7.50");
    let view = program.view().await;
    assert_eq!(
        totals(&view),
        ("10.00".to_owned(), "7.50".to_owned(), "2.50".to_owned())
    );
    assert_eq!(view["payouts"].as_array().unwrap().len(), 1);
    assert_eq!(view["payouts"][0]["destination"], "account");
}

#[tokio::test]
async fn a_client_cannot_be_referred_by_its_own_link_or_twice() {
    let program = Program::open().await;
    let own = program
        .server
        .post(
            &format!("/v1/clients/{}/referral", program.affiliate),
            json!({"code": program.code}),
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{own:?}");
    assert_eq!(own.body["code"], "self_referral");
    let unknown = program
        .server
        .post(
            &format!("/v1/clients/{}/referral", program.affiliate),
            json!({"code": "NOSUCHCODE1"}),
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{unknown:?}"
    );
    let bad = program.server.get("/v1/referral-links/x'--").await;
    assert!(bad.status.is_client_error(), "{bad:?}");
    // The affiliate pays: no commission to itself.
    program.pay(&program.affiliate, "40.00").await;
    let view = program.view().await;
    assert!(view["accruals"].as_array().unwrap().is_empty(), "{view}");
}

#[tokio::test]
async fn rerunning_the_commission_process_from_the_start_accrues_and_credits_nothing_twice() {
    // Arrange: three payments accrued and a payout to the account.
    let program = Program::open().await;
    for _ in 0..3 {
        program.pay(&program.referred, "20.00").await;
    }
    assert_eq!(totals(&program.view().await).0, "6.00");
    let paid = program.pay_out(&Uuid::now_v7().to_string(), "5.00").await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    program.server.settled().await;
    let events_before = program.server.event_count().await;

    // Act: the process manager loses its checkpoint and reads the whole log again.
    let state = &program.server.running.as_ref().unwrap().state;
    sqlx::query(
        "UPDATE projection_checkpoints SET tx_id = '0'::xid8, position = 0
          WHERE name = 'affiliate_commissions'",
    )
    .execute(&program.server.db.pool)
    .await
    .unwrap();
    let replay = api::usecases::process::affiliates::Commissions::new(state.store.clone());
    let replayed = projections::engine::catch_up(&program.server.db.pool, &replay, 1000)
        .await
        .unwrap();
    assert!(replayed > 0, "the replay read the log again");

    // Assert: no new event; the totals and the balance are unchanged.
    assert_eq!(program.server.event_count().await, events_before);
    let view = program.view().await;
    assert_eq!(
        totals(&view),
        ("6.00".to_owned(), "5.00".to_owned(), "1.00".to_owned())
    );
    assert_eq!(program.balance(&program.affiliate).await, "5.00");
}
