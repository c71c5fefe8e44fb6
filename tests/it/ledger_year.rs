//! The ledger an accountant signs (issue 14), checked over a billing year: three clients under
//! three tax treatments (VAT added, VAT included, reverse charge), a yearly domain, monthly
//! VDSes with a recurring promo code and a tariff change, a service that is not renewed, the
//! monthly invoice run and the revenue reports. After every step the balance, the statement,
//! the expenses, the invoices and the reports agree with each other to the cent, and every
//! expected figure is computed by hand from README "Billing rules".

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use crate::invoicing::{company, tax_rules, vat_added_in_germany};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// The decimal in `value`, a JSON string.
fn amount(value: &Value) -> Decimal {
    dec(value
        .as_str()
        .unwrap_or_else(|| panic!("an amount: {value}")))
}

fn total(rows: &[Value], field: &str) -> Decimal {
    rows.iter().map(|r| amount(&r[field])).sum()
}

/// A provider with one issuing company, on a fixed clock.
struct Books {
    server: TestServer,
    clock: std::sync::Arc<eventstore::clock::FixedClock>,
    provider: String,
    /// The first day of the first month not invoiced yet.
    open_from: Cell<NaiveDate>,
    /// (client, day, amount) of every correction staff made.
    corrections: RefCell<Vec<(String, NaiveDate, Decimal)>>,
}

impl Books {
    /// A provider with a German issuing company, on a fixed clock at `from`, where the books
    /// open; returns the books and the company.
    async fn open(from: NaiveDate) -> (Books, String) {
        let (server, clock) = TestServer::start_fixed().await;
        let provider = server.provider("EUR").await;
        let books = Books {
            server,
            clock,
            provider,
            open_from: Cell::new(from),
            corrections: RefCell::new(Vec::new()),
        };
        books.set_day(from);
        let company = company(&books.server, &books.provider, "DE", "yearly").await;
        (books, company)
    }

    fn set_day(&self, date: NaiveDate) {
        self.clock
            .set(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("a time")));
    }

    async fn quiet(&self) -> i64 {
        self.server.settled().await
    }

    async fn created(&self, path: &str, body: Value) -> Value {
        let answer = self.server.post(path, body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{path}: {answer:?}");
        answer.body
    }

    async fn tariff(&self, name: &str, item_type: &str, period: &str, price: &str) -> String {
        let body = self
            .created(
                "/v1/tariffs",
                json!({"provider_id": self.provider, "name": name, "item_type": item_type,
                       "prices": [{"period": period,
                                   "price": {"amount": price, "currency": "EUR"}}]}),
            )
            .await;
        body["id"].as_str().unwrap().to_owned()
    }

    /// A VDS at 0.00 a month and 0.0137 EUR an hour.
    async fn hourly_tariff(&self) -> String {
        let hourly = self.tariff("VDS by the hour", "vds", "P1M", "0.00").await;
        let priced = self
            .server
            .call(
                Method::PUT,
                &format!("/v1/tariffs/{hourly}/hourly-prices"),
                Some(json!({"prices": [{"per_hour": "0.0137", "currency": "EUR"}]})),
            )
            .await;
        assert_eq!(priced.status, StatusCode::OK, "{priced:?}");
        hourly
    }

    /// Moves `service` to `tariff` today.
    async fn change_tariff(&self, service: &str, tariff: &str) {
        let changed = self
            .server
            .post(
                &format!("/v1/services/{service}/change-tariff"),
                json!({"tariff_id": tariff}),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    }

    async fn client(&self, name: &str, kind: &str, country: &str) -> String {
        let body = self
            .created(
                "/v1/clients",
                json!({"provider_id": self.provider, "name": name, "kind": kind,
                       "country": country,
                       "email": format!("{}@example.com", Uuid::now_v7().simple())}),
            )
            .await;
        body["id"].as_str().unwrap().to_owned()
    }

    async fn pay(&self, client: &str, amount: &str) {
        self.created(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
        self.quiet().await;
    }

    async fn order(&self, client: &str, body: Value) -> String {
        let body = self
            .created(&format!("/v1/clients/{client}/services"), body)
            .await;
        self.quiet().await;
        self.robot().await;
        body["id"].as_str().unwrap().to_owned()
    }

    /// Completes every pending provisioning operation.
    async fn robot(&self) {
        let head = self.quiet().await;
        let pending = self
            .server
            .get(&format!(
                "/v1/operations?status=pending&limit=500&min_position={head}"
            ))
            .await;
        for op in pending.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let done = self
                .server
                .post(
                    &format!("/v1/operations/{}/complete", op["id"].as_str().unwrap()),
                    json!({}),
                )
                .await;
            assert_eq!(done.status, StatusCode::OK, "{done:?}");
        }
        self.quiet().await;
    }

    async fn billing_day(&self, date: NaiveDate) {
        let answer = self
            .server
            .post("/v1/billing/runs", json!({"as_of": date}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        self.robot().await;
    }

    async fn service(&self, id: &str) -> Value {
        let head = self.quiet().await;
        self.server
            .get(&format!("/v1/services/{id}?min_position={head}"))
            .await
            .body
    }

    async fn expenses(&self, client: &str) -> Vec<Value> {
        let head = self.quiet().await;
        let page = self
            .server
            .get(&format!(
                "/v1/clients/{client}/expenses?limit=500&min_position={head}"
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        page.body["items"].as_array().cloned().unwrap()
    }

    /// (period start, amount) of every expense of `service`, oldest first.
    async fn charges_of(&self, client: &str, service: &str) -> Vec<(String, String)> {
        self.expenses(client)
            .await
            .iter()
            .filter(|e| e["service_id"] == service)
            .map(|e| {
                (
                    e["period_start"].as_str().unwrap().to_owned(),
                    e["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Staff give back `amount` of the expense `expense` of `client` today.
    async fn correct(&self, client: &str, expense: &str, amount: &str, today: NaiveDate) {
        self.created(
            &format!("/v1/expenses/{expense}/corrections"),
            json!({"correction_id": Uuid::now_v7(), "amount": amount, "reason": "outage"}),
        )
        .await;
        self.corrections
            .borrow_mut()
            .push((client.to_owned(), today, dec(amount)));
        self.quiet().await;
    }

    /// What staff gave back to `client` on or after `from`.
    fn corrected(&self, client: &str, from: NaiveDate) -> Decimal {
        self.corrections
            .borrow()
            .iter()
            .filter(|(who, on, _)| who == client && *on >= from)
            .map(|(.., amount)| *amount)
            .sum()
    }

    async fn invoices(&self, client: &str) -> Vec<Value> {
        let head = self.quiet().await;
        let page = self
            .server
            .get(&format!(
                "/v1/invoices?client_id={client}&limit=500&min_position={head}"
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        page.body["items"].as_array().cloned().unwrap()
    }

    /// The accountant's check of one client: the balance is `balance`; the statement closes on
    /// it and its movements add up to it; the expenses less the corrections are what was paid
    /// in less the balance;
    /// every taxed movement is its net plus its tax; and the invoices issued so far, plus what
    /// was charged for periods of months not invoiced yet, are the expenses too.
    async fn check(&self, client: &str, balance: &str, paid_in: &str, invoiced: &str) {
        let head = self.quiet().await;
        let shown = self
            .server
            .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
            .await;
        assert_eq!(shown.body["accounts"][0]["balance"], balance, "{shown:?}");
        let statement = self
            .server
            .get(&format!(
                "/v1/clients/{client}/statement?limit=500&min_position={head}"
            ))
            .await;
        assert_eq!(statement.status, StatusCode::OK, "{statement:?}");
        assert_eq!(statement.body["opening_balance"], "0.00");
        assert_eq!(statement.body["closing_balance"], balance);
        let movements = statement.body["items"].as_array().unwrap();
        assert_eq!(total(movements, "amount"), dec(balance), "{movements:?}");
        for movement in movements {
            let details = &movement["details"];
            if details["net"].is_string() && details["tax"].is_string() {
                assert_eq!(
                    (amount(&details["net"]) + amount(&details["tax"])).abs(),
                    amount(&movement["amount"]).abs(),
                    "net + tax = gross: {movement}"
                );
            }
        }
        let expenses = self.expenses(client).await;
        let spent = dec(paid_in) - dec(balance);
        let corrected = self.corrected(client, NaiveDate::MIN);
        assert_eq!(
            total(&expenses, "amount") - corrected,
            spent,
            "{expenses:?}"
        );
        let invoices = self.invoices(client).await;
        assert_eq!(total(&invoices, "gross"), dec(invoiced), "{invoices:?}");
        let open = self.open_from.get().to_string();
        let not_invoiced: Decimal = expenses
            .iter()
            .filter(|e| e["period_start"].as_str().unwrap() >= open.as_str())
            .map(|e| amount(&e["amount"]))
            .sum();
        assert_eq!(
            dec(invoiced) + not_invoiced - self.corrected(client, self.open_from.get()),
            spent,
            "the invoices and the months not invoiced yet are what was charged"
        );
    }

    /// The cash revenue of the whole time, by month, is `earned`: every charge of every client
    /// less credits and corrections, all without their VAT (owed to the state); each row's
    /// revenue is its charges less credits and corrections.
    async fn reports_agree(&self, earned: &str) {
        let head = self.quiet().await;
        let rows = self
            .report(&format!(
                "/v1/reports/revenue?group=month&from=2027-01-01&to=2028-03-01&min_position={head}"
            ))
            .await;
        assert_eq!(total(&rows, "revenue"), dec(earned), "{rows:?}");
        for row in &rows {
            assert_eq!(
                amount(&row["revenue"]),
                amount(&row["charged"]) - amount(&row["credited"]) - amount(&row["corrected"]),
                "{row}"
            );
        }
    }

    async fn report(&self, path: &str) -> Vec<Value> {
        let answer = self.server.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
        answer.body["items"].as_array().cloned().unwrap()
    }

    /// Runs the monthly invoices of `month` (ended) and returns them by client.
    async fn run_month(&self, month: &str, next: NaiveDate) -> HashMap<String, Value> {
        self.quiet().await;
        let run = self
            .server
            .post("/v1/invoices/monthly", json!({ "month": month }))
            .await;
        assert_eq!(run.status, StatusCode::OK, "{month}: {run:?}");
        let position = run.body["position"].as_i64().unwrap();
        let mut by_client = HashMap::new();
        for issued in run.body["issued"].as_array().unwrap() {
            let id = issued["id"].as_str().unwrap();
            let invoice = self
                .server
                .get(&format!("/v1/invoices/{id}?min_position={position}"))
                .await;
            assert_eq!(invoice.status, StatusCode::OK, "{invoice:?}");
            assert_eq!(invoice.body["kind"], "monthly");
            by_client.insert(
                invoice.body["client_id"].as_str().unwrap().to_owned(),
                invoice.body,
            );
        }
        self.open_from.set(next);
        by_client
    }
}

/// (net, tax, gross) of an invoice.
fn totals(invoice: &Value) -> (&str, &str, &str) {
    (
        invoice["net"].as_str().unwrap(),
        invoice["tax"].as_str().unwrap(),
        invoice["gross"].as_str().unwrap(),
    )
}

/// The gross amounts of an invoice's lines.
fn line_grosses(invoice: &Value) -> Vec<&str> {
    invoice["document"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["gross"]["amount"].as_str().unwrap())
        .collect()
}

/// The row of `tariff` starting on `first` in a report, if any.
fn row<'a>(rows: &'a [Value], tariff: &str, first: &str) -> Option<&'a Value> {
    rows.iter()
        .find(|r| r["tariff_id"] == tariff && r["period_start"] == first)
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(d, a)| ((*d).to_owned(), (*a).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_billing_year_of_three_tax_treatments_balances_to_the_cent_everywhere() {
    // Arrange, 2027-01-01: a German company that adds 19 % VAT for Germany, includes 20 % for
    // Austria, and reverse-charges French businesses; prepaid clients get the monthly invoice.
    let (books, company) = Books::open(day(2027, 1, 1)).await;
    tax_rules(
        &books.server,
        &company,
        json!({ "rules": [
            { "country": "DE", "rate": "19", "mode": "added", "reverse_charge": false },
            { "country": "AT", "rate": "20", "mode": "included", "reverse_charge": false },
            { "country": "FR", "rate": "20", "mode": "added", "reverse_charge": true },
        ], "tax_document": "monthly_consumption" }),
    )
    .await;
    let vds8 = books.tariff("VDS 8", "vds", "P1M", "8.00").await;
    let vds12 = books.tariff("VDS 12", "vds", "P1M", "12.00").await;
    let domain = books.tariff("Domain", "domain", "P12M", "120.00").await;
    books
        .created(
            "/v1/promo-codes",
            json!({"provider_id": books.provider, "code": "HALF", "recurring": true,
                   "discount": {"kind": "percent", "percent": "50"}}),
        )
        .await;
    let anna = books.client("Anna Berg", "individual", "DE").await; // VAT added
    let bruno = books.client("Bruno Gruber", "individual", "AT").await; // VAT included
    let chloe = books.client("Chloe SARL", "company", "FR").await; // reverse charge
    let details = books
        .server
        .call(
            Method::PUT,
            &format!("/v1/clients/{chloe}/billing-details"),
            Some(json!({"vat_number": "FR12345678901", "address": "1 rue de Rivoli\n75001 Paris"})),
        )
        .await;
    assert_eq!(details.status, StatusCode::OK, "{details:?}");

    // Step 1, Jan 1: Chloé pays 200.00 and orders the yearly domain (reverse charge: 120.00, no
    // tax); Bruno pays 20.00 and orders VDS 8 without auto-renewal (VAT included: 8.00 of which
    // 8.00 × 20 ÷ 120 = 1.333… → 1.33 tax and 8.00 − 1.33 = 6.67 net).
    books.pay(&chloe, "200.00").await;
    let chloe_domain = books
        .order(&chloe, json!({"tariff_id": domain, "period": "P12M"}))
        .await;
    books.pay(&bruno, "20.00").await;
    let bruno_vds = books
        .order(
            &bruno,
            json!({"tariff_id": vds8, "period": "P1M", "auto_prolong": false}),
        )
        .await;
    assert_eq!(
        books.charges_of(&chloe, &chloe_domain).await,
        pairs(&[("2027-01-01", "120.00")])
    );
    assert_eq!(
        books.service(&chloe_domain).await["paid_until"],
        "2028-01-01"
    );
    assert_eq!(
        books.charges_of(&bruno, &bruno_vds).await,
        pairs(&[("2027-01-01", "8.00")])
    );
    let head = books.quiet().await;
    let bruno_statement = books
        .server
        .get(&format!(
            "/v1/clients/{bruno}/statement?min_position={head}"
        ))
        .await;
    let charge = bruno_statement.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "charge")
        .cloned()
        .unwrap();
    assert_eq!(charge["amount"], "-8.00");
    assert_eq!(charge["details"]["net"], "6.67");
    assert_eq!(charge["details"]["tax"], "1.33");
    books.check(&chloe, "80.00", "200.00", "0.00").await; // 200.00 − 120.00
    books.check(&bruno, "12.00", "20.00", "0.00").await; // 20.00 − 8.00
    books.check(&anna, "0.00", "0.00", "0.00").await;
    books.reports_agree("126.67").await; // 120.00 + Bruno's net 6.67

    // Step 2, Jan 5 (item 1): Anna orders VDS 8 with an empty account; the billing day is run
    // late for Jan 2, before her order existed; then she pays 30.00 and Jan 5 is billed.
    books.set_day(day(2027, 1, 5));
    let anna_vds = books
        .order(&anna, json!({"tariff_id": vds8, "period": "P1M"}))
        .await;
    books.billing_day(day(2027, 1, 2)).await;
    assert_eq!(books.charges_of(&anna, &anna_vds).await, pairs(&[]));
    assert_eq!(books.service(&anna_vds).await["status"], "ordered");
    books.check(&anna, "0.00", "0.00", "0.00").await;
    books.pay(&anna, "30.00").await;
    books.billing_day(day(2027, 1, 5)).await;
    // Item 3: 8.00 + 19 % = 8.00 + 1.52 = 9.52, charged from the day of the order, once.
    assert_eq!(
        books.charges_of(&anna, &anna_vds).await,
        pairs(&[("2027-01-05", "9.52")])
    );
    let service = books.service(&anna_vds).await;
    assert_eq!(service["status"], "active");
    assert_eq!(service["paid_until"], "2027-02-05");
    books.check(&anna, "20.48", "30.00", "0.00").await; // 30.00 − 9.52
    books.reports_agree("134.67").await; // 126.67 + Anna's net 8.00

    // Step 3, Feb 1 (items 4, 3, 6): January is invoiced; Bruno's VDS ends with its paid time
    // and a payment does not renew it.
    books.set_day(day(2027, 2, 1));
    let january = books.run_month("2027-01", day(2027, 2, 1)).await;
    assert_eq!(january.len(), 3, "{january:?}");
    // Anna: 8.00 net + 1.52 VAT = 9.52.
    assert_eq!(totals(&january[&anna]), ("8.00", "1.52", "9.52"));
    // Bruno: 8.00 with 1.33 VAT included, 6.67 net.
    assert_eq!(totals(&january[&bruno]), ("6.67", "1.33", "8.00"));
    // Chloé: reverse charge, 120.00 and no tax.
    assert_eq!(totals(&january[&chloe]), ("120.00", "0.00", "120.00"));
    assert_eq!(
        january[&chloe]["document"]["treatment"]["type"],
        "reverse_charge"
    );
    assert!(
        january[&chloe]["document"]["tax_notice"]
            .as_str()
            .unwrap()
            .contains("Reverse charge")
    );
    books.billing_day(day(2027, 2, 1)).await;
    books.pay(&bruno, "10.00").await;
    books.billing_day(day(2027, 2, 2)).await;
    let service = books.service(&bruno_vds).await;
    assert_eq!(service["status"], "closed");
    assert_eq!(service["paid_until"], "2027-02-01");
    assert_eq!(
        books.charges_of(&bruno, &bruno_vds).await,
        pairs(&[("2027-01-01", "8.00")])
    );
    books.check(&bruno, "22.00", "30.00", "8.00").await; // 20.00 − 8.00 + 10.00

    // Item 2, Feb 1: Chloé orders VDS 8 with the recurring 50 % code (8.00 − 50 % = 4.00) and
    // moves to VDS 12 the same day: the 4.00 paid comes back and 12.00 − 50 % = 6.00 is
    // charged for the whole period (28 of 28 days).
    let chloe_vds = books
        .order(
            &chloe,
            json!({"tariff_id": vds8, "period": "P1M", "promo_code": "HALF"}),
        )
        .await;
    books.change_tariff(&chloe_vds, &vds12).await;
    assert_eq!(
        books.charges_of(&chloe, &chloe_vds).await,
        pairs(&[
            ("2027-02-01", "4.00"),
            ("2027-02-01", "-4.00"),
            ("2027-02-01", "6.00"),
        ])
    );
    let last = books.expenses(&chloe).await.last().cloned().unwrap();
    assert_eq!(
        (last["list_amount"].as_str(), last["discount"].as_str()),
        (Some("12.00"), Some("6.00"))
    );
    books.check(&chloe, "74.00", "200.00", "120.00").await; // 80.00 − 4.00 + 4.00 − 6.00
    books.reports_agree("140.67").await; // 134.67 + 4.00 − 4.00 + 6.00

    // Step 4, Feb 3 – 5 (item 4): Anna switches auto-renewal off and on again; Feb 5 renews.
    books.set_day(day(2027, 2, 3));
    for on in [false, true] {
        let set = books
            .server
            .call(
                Method::PUT,
                &format!("/v1/services/{anna_vds}/auto-prolong"),
                Some(json!({"auto_prolong": on})),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{set:?}");
        assert_eq!(books.service(&anna_vds).await["auto_prolong"], on);
    }
    books.set_day(day(2027, 2, 5));
    books.billing_day(day(2027, 2, 5)).await;
    assert_eq!(books.service(&anna_vds).await["paid_until"], "2027-03-05");
    books.check(&anna, "10.96", "30.00", "9.52").await; // 20.48 − 9.52
    books.reports_agree("148.67").await; // 140.67 + 8.00

    // Step 5, Feb 20 (item 6): February has not ended; its run is refused and writes nothing.
    // Anna pays 120.00 for the rest of the year.
    books.set_day(day(2027, 2, 20));
    let before = {
        books.quiet().await;
        books.server.event_count().await
    };
    let early = books
        .server
        .post("/v1/invoices/monthly", json!({ "month": "2027-02" }))
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY, "{early:?}");
    assert_eq!(early.content_type, "application/problem+json");
    assert_eq!(early.body["code"], "period_not_ended");
    books.quiet().await;
    assert_eq!(
        books.server.event_count().await,
        before,
        "a refused run writes nothing"
    );
    books.pay(&anna, "120.00").await;
    books.check(&anna, "130.96", "150.00", "9.52").await; // 10.96 + 120.00

    // Item 8: recognised revenue of January and February against cash, and what is deferred.
    let head = books.quiet().await;
    let cash = books
        .report(&format!(
            "/v1/reports/revenue?group=month&from=2027-01-01&to=2027-03-01&min_position={head}"
        ))
        .await;
    let recognised = books
        .report("/v1/reports/revenue?basis=recognised&group=month&from=2027-01-01&to=2027-03-01")
        .await;
    // Cash, without VAT: the domain's 120.00 all in January, VDS 8's 6.67 (Bruno's 8.00 less
    // the 1.33 VAT it includes) + 8.00 (Anna's 9.52 less 1.52 VAT) = 14.67.
    assert_eq!(
        row(&cash, &domain, "2027-01-01").unwrap()["revenue"],
        "120.00"
    );
    assert!(row(&cash, &domain, "2027-02-01").is_none(), "{cash:?}");
    assert_eq!(row(&cash, &vds8, "2027-01-01").unwrap()["revenue"], "14.67");
    // Recognised: the domain 120.00 × 31 ÷ 365 = 10.1917… → 10.19 in January; by the end of
    // February 120.00 × 59 ÷ 365 = 19.397… → 19.39, less 10.19 = 9.20.
    assert_eq!(
        row(&recognised, &domain, "2027-01-01").unwrap()["revenue"],
        "10.19"
    );
    assert_eq!(
        row(&recognised, &domain, "2027-02-01").unwrap()["revenue"],
        "9.20"
    );
    // VDS 8 in January: Bruno's 8.00 for Jan 1 – 31 all of it, Anna's 9.52 for 31 days from
    // Jan 5: 8.00 × 27 ÷ 31 = 6.967… → 6.96; 6.67 + 6.96 = 13.63.
    assert_eq!(
        row(&recognised, &vds8, "2027-01-01").unwrap()["revenue"],
        "13.63"
    );
    let deferred = books
        .report("/v1/reports/deferred-revenue?as_of=2027-01-31")
        .await;
    let deferred_domain = deferred
        .iter()
        .find(|r| r["tariff_id"] == domain.as_str())
        .unwrap();
    // 120.00 charged − 10.19 recognised = 109.81 deferred.
    assert_eq!(deferred_domain["charged"], "120.00");
    assert_eq!(deferred_domain["recognised"], "10.19");
    assert_eq!(deferred_domain["deferred"], "109.81");
    let deferred_vds = deferred
        .iter()
        .find(|r| r["tariff_id"] == vds8.as_str())
        .unwrap();
    // 14.67 charged − 13.63 recognised = 1.04 deferred (Anna's Feb 1 – 4: 8.00 − 6.96).
    assert_eq!(deferred_vds["charged"], "14.67");
    assert_eq!(deferred_vds["recognised"], "13.63");
    assert_eq!(deferred_vds["deferred"], "1.04");

    // The year, Mar 2027 – Jan 2028: on the 1st the last month is invoiced and Chloé's VDS 12
    // renews at 12.00 − 50 % = 6.00 (in December she pays 200.00 first; on 2028-01-01 the
    // domain renews too: 120.00 + 6.00 = 126.00); on the 5th Anna's VDS renews: 9.52 on VDS 8,
    // from July 12.00 + 19 % = 12.00 + 2.28 = 14.28 on VDS 12. On Jun 20 Anna moves to VDS 12
    // (item 2 with VAT), on Jul 10 staff give back 2.38 of her July charge, on Dec 10 she
    // switches auto-renewal off (item 4), so Jan 5, 2028 closes her VDS and charges nothing.
    // (year, month, Chloé after the 1st, Anna after the 5th, Anna's invoice of the month before
    // as (net, tax, gross), all revenue without VAT after the 1st, after the 5th)
    let vat_8 = ("8.00", "1.52", "9.52");
    let vat_12 = ("12.00", "2.28", "14.28");
    // June: 9.52 − 4.76 + 7.14 = 11.90, net 8.00 − 4.00 + 6.00 = 10.00, tax 1.52 − 0.76 + 1.14
    // = 1.90; July: 14.28 − 2.38 = 11.90, net 12.00 − 2.00 = 10.00, tax 2.28 − 0.38 = 1.90.
    let mixed = ("10.00", "1.90", "11.90");
    let year = [
        (2027, 3, "68.00", "121.44", vat_8, "154.67", "162.67"), // 74.00 − 6.00; 130.96 − 9.52
        (2027, 4, "62.00", "111.92", vat_8, "168.67", "176.67"), // 162.67 + 6.00; + 8.00 net
        (2027, 5, "56.00", "102.40", vat_8, "182.67", "190.67"),
        (2027, 6, "50.00", "92.88", vat_8, "196.67", "204.67"),
        (2027, 7, "44.00", "76.22", mixed, "212.67", "224.67"), // 90.50 − 14.28; 206.67 + 6.00
        (2027, 8, "38.00", "64.32", mixed, "228.67", "240.67"), // 78.60 − 14.28; 222.67 + 6.00
        (2027, 9, "32.00", "50.04", vat_12, "246.67", "258.67"), // + 6.00; + 12.00 net
        (2027, 10, "26.00", "35.76", vat_12, "264.67", "276.67"),
        (2027, 11, "20.00", "21.48", vat_12, "282.67", "294.67"),
        (2027, 12, "214.00", "7.20", vat_12, "300.67", "312.67"), // 20.00 + 200.00 − 6.00
        (2028, 1, "88.00", "7.20", vat_12, "438.67", "438.67"),   // 214.00 − 126.00; + 126.00
    ];
    // Invoiced so far: Anna 9.52 (January), Chloé 120.00 (January).
    let mut anna_invoiced = dec("9.52");
    let mut chloe_invoiced = dec("120.00");
    let mut chloe_paid = dec("200.00");
    for (y, m, chloe_balance, anna_balance, anna_invoice, total_1st, total_5th) in year {
        let first = day(y, m, 1);
        books.set_day(first);
        let last_month = first
            .checked_sub_months(chrono::Months::new(1))
            .unwrap()
            .format("%Y-%m")
            .to_string();
        let invoices = books.run_month(&last_month, first).await;
        // Bruno had no movement after January: only Anna and Chloé are invoiced.
        assert_eq!(invoices.len(), 2, "{last_month}: {invoices:?}");
        assert_eq!(totals(&invoices[&anna]), anna_invoice, "{last_month}");
        if last_month == "2027-02" {
            // Item 5: February has Chloé's charge, her change's charge and its credit as a
            // negative line: 4.00 + 6.00 − 4.00 = 6.00, reverse charge, no tax.
            let mut lines = line_grosses(&invoices[&chloe]);
            lines.sort_unstable();
            assert_eq!(lines, ["-4.00", "4.00", "6.00"]);
        }
        if last_month == "2027-06" {
            // Anna's June: the charge, the credit as a negative line, the change's charge.
            let mut lines = line_grosses(&invoices[&anna]);
            lines.sort_unstable();
            assert_eq!(lines, ["-4.76", "7.14", "9.52"]);
        }
        if last_month == "2027-07" {
            // Anna's July: the charge and the correction as a negative line.
            let mut lines = line_grosses(&invoices[&anna]);
            lines.sort_unstable();
            assert_eq!(lines, ["-2.38", "14.28"]);
        }
        assert_eq!(totals(&invoices[&chloe]), ("6.00", "0.00", "6.00"));
        anna_invoiced += dec(anna_invoice.2);
        chloe_invoiced += dec("6.00");
        if m == 12 {
            books.pay(&chloe, "200.00").await;
            chloe_paid += dec("200.00");
        }
        books.billing_day(first).await;
        if y == 2028 {
            assert_eq!(
                books.charges_of(&chloe, &chloe_domain).await,
                pairs(&[("2027-01-01", "120.00"), ("2028-01-01", "120.00")])
            );
        }
        books
            .check(
                &chloe,
                chloe_balance,
                &chloe_paid.to_string(),
                &chloe_invoiced.to_string(),
            )
            .await;
        books.reports_agree(total_1st).await;

        books.set_day(day(y, m, 5));
        books.billing_day(day(y, m, 5)).await;
        books
            .check(&anna, anna_balance, "150.00", &anna_invoiced.to_string())
            .await;
        books.reports_agree(total_5th).await;

        if (y, m) == (2027, 6) {
            // Item 2 with VAT, Jun 20: 15 of the 30 days of Jun 5 – Jul 5 remain; VDS 8's 9.52
            // gives back 9.52 × 15 ÷ 30 = 4.76 (4.00 + 0.76 VAT) and VDS 12 charges
            // 12.00 × 15 ÷ 30 = 6.00 + 19 % = 6.00 + 1.14 = 7.14.
            books.set_day(day(2027, 6, 20));
            books.change_tariff(&anna_vds, &vds12).await;
            let june: Vec<_> = books
                .charges_of(&anna, &anna_vds)
                .await
                .into_iter()
                .filter(|(start, _)| start.as_str() >= "2027-06-05")
                .collect();
            assert_eq!(
                june,
                pairs(&[
                    ("2027-06-05", "9.52"),
                    ("2027-06-20", "-4.76"),
                    ("2027-06-20", "7.14"),
                ])
            );
            // 92.88 + 4.76 − 7.14 = 90.50
            books
                .check(&anna, "90.50", "150.00", &anna_invoiced.to_string())
                .await;
            books.reports_agree("206.67").await; // 204.67 − 4.00 + 6.00, without VAT
        }
        if (y, m) == (2027, 7) {
            // Jul 10: staff give back 2.38 of the 14.28 of July: 2.00 net and 0.38 VAT
            // (2.38 × 19 ÷ 119 = 0.38).
            books.set_day(day(2027, 7, 10));
            let july = books
                .expenses(&anna)
                .await
                .into_iter()
                .find(|e| e["period_start"] == "2027-07-05")
                .unwrap();
            assert_eq!(july["amount"], "14.28");
            let id = july["id"].as_str().unwrap().to_owned();
            books.correct(&anna, &id, "2.38", day(2027, 7, 10)).await;
            // 76.22 + 2.38 = 78.60
            books
                .check(&anna, "78.60", "150.00", &anna_invoiced.to_string())
                .await;
            books.reports_agree("222.67").await; // 224.67 − 2.00, without VAT
        }
        if (y, m) == (2027, 12) {
            books.set_day(day(2027, 12, 10));
            let off = books
                .server
                .call(
                    Method::PUT,
                    &format!("/v1/services/{anna_vds}/auto-prolong"),
                    Some(json!({"auto_prolong": false})),
                )
                .await;
            assert_eq!(off.status, StatusCode::OK, "{off:?}");
        }
    }
    // Anna's VDS ended with its paid time; Bruno's closed VDS was deleted after the VDS delay
    // (7 days) and never charged again.
    let service = books.service(&anna_vds).await;
    assert_eq!(service["status"], "closed");
    assert_eq!(service["paid_until"], "2028-01-05");
    assert_eq!(books.service(&bruno_vds).await["status"], "deleted");
    books.check(&bruno, "22.00", "30.00", "8.00").await;

    // Feb 1, 2028: January 2028 is invoiced: Chloé 120.00 + 6.00 = 126.00; Anna had no
    // movement in January.
    books.set_day(day(2028, 2, 1));
    let january = books.run_month("2028-01", day(2028, 2, 1)).await;
    assert_eq!(january.len(), 1, "{january:?}");
    assert_eq!(totals(&january[&chloe]), ("126.00", "0.00", "126.00"));
    // Every month invoiced: Anna 5 × 9.52 + 2 × 11.90 + 5 × 14.28 = 47.60 + 23.80 + 71.40 =
    // 142.80 = 150.00 − 7.20; Chloé 120.00 + 6.00 + 10 × 6.00 + 126.00 = 312.00 = 400.00 −
    // 88.00.
    books.check(&anna, "7.20", "150.00", "142.80").await;
    books.check(&chloe, "88.00", "400.00", "312.00").await;
    // With every month invoiced, the invoices' net is the reports' revenue: Anna 5 × 8.00 +
    // 2 × 10.00 + 5 × 12.00 = 120.00, Chloé 312.00, Bruno 6.67: 438.67.
    let mut invoiced_net = Decimal::ZERO;
    for client in [&anna, &bruno, &chloe] {
        invoiced_net += total(&books.invoices(client).await, "net");
    }
    assert_eq!(invoiced_net, dec("438.67"));
    books.reports_agree("438.67").await;

    // Item 8 at the end: 2027 recognises the domain's 120.00 to the cent; by 2028-01-31 the
    // renewal (366 days, 2028 is a leap year) has 120.00 × 31 ÷ 366 = 10.163… → 10.16
    // recognised: 240.00 charged − (120.00 + 10.16) = 109.84 deferred.
    let head = books.quiet().await;
    let recognised = books
        .report(&format!(
            "/v1/reports/revenue?basis=recognised&group=month&from=2027-01-01&to=2028-01-01&min_position={head}"
        ))
        .await;
    let domain_2027: Decimal = recognised
        .iter()
        .filter(|r| r["tariff_id"] == domain.as_str())
        .map(|r| amount(&r["revenue"]))
        .sum();
    assert_eq!(domain_2027, dec("120.00"));
    let deferred = books
        .report("/v1/reports/deferred-revenue?as_of=2028-01-31")
        .await;
    let deferred_domain = deferred
        .iter()
        .find(|r| r["tariff_id"] == domain.as_str())
        .unwrap();
    assert_eq!(deferred_domain["charged"], "240.00");
    assert_eq!(deferred_domain["recognised"], "130.16");
    assert_eq!(deferred_domain["deferred"], "109.84");
    for r in &deferred {
        assert_eq!(
            amount(&r["deferred"]),
            amount(&r["charged"]) - amount(&r["recognised"]),
            "{r}"
        );
    }
    // Every other period has ended by 2028-01-31 (Chloé's VDS to Feb 1 is January's own, Anna's
    // last to Jan 5): only the renewed domain is deferred, 109.84 of all; so the cash revenue
    // up to then, 438.67 (Anna 120.00 + Chloé 312.00 + Bruno 6.67, without VAT), less 109.84
    // = 328.83 is recognised up to then.
    assert_eq!(total(&deferred, "deferred"), dec("109.84"), "{deferred:?}");
    let until = books
        .report("/v1/reports/revenue?basis=recognised&group=month&from=2027-01-01&to=2028-02-01")
        .await;
    assert_eq!(total(&until, "revenue"), dec("328.83"));
    // And everything charged is recognised once, to the cent: by the end of the renewed
    // domain's year (2029-01-01) the recognised revenue is all the cash revenue, 438.67.
    let all = books
        .report("/v1/reports/revenue?basis=recognised&group=month&from=2027-01-01&to=2029-01-01")
        .await;
    assert_eq!(total(&all, "revenue"), dec("438.67"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mid_period_change_under_vat_gives_back_the_price_share_with_its_own_tax() {
    // Arrange: 19 % VAT added; Dora pays 50.00 and orders VDS 8 on Jun 1, 2027: 8.00 + 19 % =
    // 9.52 for Jun 1 – Jul 1, 30 days.
    let (books, company) = Books::open(day(2027, 6, 1)).await;
    vat_added_in_germany(&books.server, &company).await;
    let vds8 = books.tariff("VDS 8", "vds", "P1M", "8.00").await;
    let vds12 = books.tariff("VDS 12", "vds", "P1M", "12.00").await;
    let dora = books.client("Dora Fink", "individual", "DE").await;
    books.pay(&dora, "50.00").await;
    let vds = books
        .order(&dora, json!({"tariff_id": vds8, "period": "P1M"}))
        .await;
    books.check(&dora, "40.48", "50.00", "0.00").await; // 50.00 − 9.52

    // Act: to VDS 12 on Jun 24, 7 of the 30 days left.
    books.set_day(day(2027, 6, 24));
    books.change_tariff(&vds, &vds12).await;

    // Assert: each amount is rounded once in prices and then taxed once, per line.
    // Credit: 8.00 × 7 ÷ 30 = 1.866… → 1.87, + 19 % = 1.87 + 0.3553… → 0.36 = 2.23.
    // Charge: 12.00 × 7 ÷ 30 = 2.80, + 19 % = 2.80 + 0.532 → 0.53 = 3.33.
    assert_eq!(
        books.charges_of(&dora, &vds).await,
        pairs(&[
            ("2027-06-01", "9.52"),
            ("2027-06-24", "-2.23"),
            ("2027-06-24", "3.33"),
        ])
    );
    books.check(&dora, "39.38", "50.00", "0.00").await; // 40.48 + 2.23 − 3.33
    books.reports_agree("8.93").await; // 8.00 − 1.87 + 2.80, without VAT

    // June's invoice: net 8.00 − 1.87 + 2.80 = 8.93, VAT 1.52 − 0.36 + 0.53 = 1.69, gross
    // 8.93 + 1.69 = 10.62 = 9.52 − 2.23 + 3.33, what the account paid for June.
    books.set_day(day(2027, 7, 1));
    let june = books.run_month("2027-06", day(2027, 7, 1)).await;
    assert_eq!(totals(&june[&dora]), ("8.93", "1.69", "10.62"));
    let mut lines = line_grosses(&june[&dora]);
    lines.sort_unstable();
    assert_eq!(lines, ["-2.23", "3.33", "9.52"]);
    books.check(&dora, "39.38", "50.00", "10.62").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_after_the_client_moved_into_vat_gives_back_only_what_was_paid() {
    // Arrange: 19 % VAT added for German clients only; Emil, in France, is not taxed. He pays
    // 50.00 and orders VDS 8 on Jun 1, 2027 (8.00, no VAT), then moves to Germany himself.
    let (books, company) = Books::open(day(2027, 6, 1)).await;
    vat_added_in_germany(&books.server, &company).await;
    let vds8 = books.tariff("VDS 8", "vds", "P1M", "8.00").await;
    let vds12 = books.tariff("VDS 12", "vds", "P1M", "12.00").await;
    let emil = books.client("Emil Roux", "individual", "FR").await;
    books.pay(&emil, "50.00").await;
    let vds = books
        .order(&emil, json!({"tariff_id": vds8, "period": "P1M"}))
        .await;
    books.check(&emil, "42.00", "50.00", "0.00").await;
    let moved = books
        .server
        .call(
            Method::PATCH,
            &format!("/v1/clients/{emil}"),
            Some(json!({"country": "DE"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");

    // Act: to VDS 12 on Jun 24, 7 of the 30 days left.
    books.set_day(day(2027, 6, 24));
    books.change_tariff(&vds, &vds12).await;

    // Assert: the credit gives back 8.00 × 7 ÷ 30 = 1.87, as it was paid, without VAT; the new
    // charge is taxed as Emil is now: 12.00 × 7 ÷ 30 = 2.80 + 19 % = 3.33. With the credit taxed
    // too, 1.87 + 0.36 = 2.23 would have come back, 0.36 of VAT Emil never paid.
    assert_eq!(
        books.charges_of(&emil, &vds).await,
        pairs(&[
            ("2027-06-01", "8.00"),
            ("2027-06-24", "-1.87"),
            ("2027-06-24", "3.33"),
        ])
    );
    books.check(&emil, "40.54", "50.00", "0.00").await; // 42.00 + 1.87 − 3.33
    books.reports_agree("8.93").await; // 8.00 − 1.87 + 2.80, without VAT

    // A credit is not corrected (that would give the 1.87 back twice): the `Account` refuses
    // it, naming the problem, and nothing is written.
    let credit = books
        .expenses(&emil)
        .await
        .into_iter()
        .find(|e| e["kind"] == "credit")
        .unwrap();
    let head = books.quiet().await;
    let refused = books
        .server
        .post(
            &format!(
                "/v1/expenses/{}/corrections",
                credit["id"].as_str().unwrap()
            ),
            json!({"correction_id": Uuid::now_v7(), "reason": "try again"}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert_eq!(refused.body["code"], "expense_not_a_charge", "{refused:?}");
    assert_eq!(books.quiet().await, head);
    books.check(&emil, "40.54", "50.00", "0.00").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_charged_after_their_month_was_invoiced_are_on_the_next_invoice() {
    // Arrange: 19 % VAT added; Vera orders a VDS by the hour (0.0137 EUR an hour) on Jun 29;
    // the billing day of Jun 30 charges Jun 29.
    let (books, company) = Books::open(day(2027, 6, 29)).await;
    vat_added_in_germany(&books.server, &company).await;
    let hourly = books.hourly_tariff().await;
    let vera = books.client("Vera Spät", "individual", "DE").await;
    books.pay(&vera, "20.00").await;
    let vds = books
        .order(&vera, json!({"tariff_id": hourly, "period": "P1M"}))
        .await;
    books.set_day(day(2027, 6, 30));
    books.billing_day(day(2027, 6, 30)).await;

    // Act: June is invoiced on Jul 1 before that day's billing day charges Jun 30's hours;
    // July is invoiced on Aug 1.
    books.set_day(day(2027, 7, 1));
    let june = books.run_month("2027-06", day(2027, 7, 1)).await;
    books.billing_day(day(2027, 7, 1)).await;
    books.set_day(day(2027, 8, 1));
    let july = books.run_month("2027-07", day(2027, 8, 1)).await;

    // Assert: Jun 29's hours are on June's invoice and Jun 30's, charged on Jul 1, on July's
    // (they used to be on none: June's was drafted before them, July's took periods starting
    // in July only); together the two invoices are every charge, to the cent.
    let charges = books.charges_of(&vera, &vds).await;
    let hours: Vec<&(String, String)> = charges.iter().filter(|(_, a)| a != "0.00").collect();
    assert_eq!(hours.len(), 2, "{charges:?}");
    assert_eq!(
        (hours[0].0.as_str(), hours[1].0.as_str()),
        ("2027-06-29", "2027-06-30")
    );
    let gross = |invoice: &Value| dec(totals(invoice).2);
    assert_eq!(gross(&june[&vera]), dec(&hours[0].1));
    assert_eq!(gross(&july[&vera]), dec(&hours[1].1));
    let charged: Decimal = hours.iter().map(|(_, amount)| dec(amount)).sum();
    let invoiced = gross(&june[&vera]) + gross(&july[&vera]);
    assert_eq!(invoiced, charged);
    books
        .check(
            &vera,
            &(dec("20.00") - charged).to_string(),
            "20.00",
            &invoiced.to_string(),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hours_of_a_vds_by_the_hour_under_vat_are_on_the_monthly_invoice_to_the_cent() {
    // Arrange: 19 % VAT added; a VDS at 0.00 a month and 0.0137 EUR an hour; Ugo pays 20.00 and
    // orders it at 09:00 on Jun 1, 2027.
    let (books, company) = Books::open(day(2027, 6, 1)).await;
    vat_added_in_germany(&books.server, &company).await;
    let hourly = books.hourly_tariff().await;
    let ugo = books.client("Ugo Stunde", "individual", "DE").await;
    books.pay(&ugo, "20.00").await;
    let vds = books
        .order(&ugo, json!({"tariff_id": hourly, "period": "P1M"}))
        .await;
    books.check(&ugo, "20.00", "20.00", "0.00").await; // June's period costs 0.00

    // Act: the billing day of Jul 1 charges every day of June (one run catches up 30 days).
    books.set_day(day(2027, 7, 1));
    books.billing_day(day(2027, 7, 1)).await;

    // Assert: each day's hours are priced, rounded once, then taxed once:
    // Jun 1 from 09:00, 15 h: 0.2055 → 0.21, + 19 % = 0.0399 → 0.04, 0.25;
    // Jun 2 to 30, 24 h each: 0.3288 → 0.33, + 0.0627 → 0.06, 0.39; 29 × 0.39 = 11.31.
    let charges = books.charges_of(&ugo, &vds).await;
    let hours: Vec<&(String, String)> = charges.iter().filter(|(_, a)| a != "0.00").collect();
    assert_eq!(hours.len(), 30, "{charges:?}");
    assert_eq!(*hours[0], ("2027-06-01".to_owned(), "0.25".to_owned()));
    assert!(
        hours[1..].iter().all(|(_, amount)| amount == "0.39"),
        "{charges:?}"
    );
    books.check(&ugo, "8.44", "20.00", "0.00").await; // 20.00 − 0.25 − 11.31
    books.reports_agree("9.78").await; // 0.21 + 29 × 0.33, without VAT

    // Charged on Jul 1, once June had ended, the hours are on July's invoice (a charge of a
    // period that began before belongs to the month it was charged in), none on June's: net
    // 9.78, VAT 0.04 + 29 × 0.06 = 1.78, gross 11.56, what the account paid for June's hours;
    // each line says its hours.
    let june = books.run_month("2027-06", day(2027, 7, 1)).await;
    assert!(
        june.get(&ugo)
            .is_none_or(|invoice| totals(invoice) == ("0.00", "0.00", "0.00")),
        "{june:?}"
    );
    books.set_day(day(2027, 8, 1));
    let july = books.run_month("2027-07", day(2027, 8, 1)).await;
    assert_eq!(totals(&july[&ugo]), ("9.78", "1.78", "11.56"));
    let lines = july[&ugo]["document"]["lines"].as_array().unwrap();
    let first = lines
        .iter()
        .find(|line| line["gross"]["amount"] == "0.25")
        .unwrap_or_else(|| panic!("Jun 1's hours on the invoice: {lines:?}"));
    assert!(
        first
            .to_string()
            .contains("15 h on 2027-06-01 at 0.0137 EUR/h"),
        "{first}"
    );
    books.check(&ugo, "8.44", "20.00", "11.56").await;
}
