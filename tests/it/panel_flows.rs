//! The staff panel's flows in headless Chromium: the billing day and a retried operation from the
//! operations page, a merge of two clients, a ticket answered, assigned and closed on its page, an
//! adjustment, a credit limit and a credit note on the client page; each checked afterwards
//! against the API's read models. A staff member with only `clients:read` can do none of them:
//! 403, and nothing written.
//!
//! Screenshots of the ticket page and the operations page go to `target/screenshots/panel/`;
//! the forms without a browser are in `forms`.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestServer;
use uuid::Uuid;

use crate::panel::{admin_browser, read, robot, tariff};

// The forms without a browser: what a reader may not do, double submissions.
mod forms;

/// Where the screenshots go, under `target/`.
const SCREENSHOTS: &str = "screenshots/panel";

/// WebDriver's Control key and the key releasing every modifier: typed before a text, they
/// select what a field holds so that the text replaces it.
const REPLACE: &str = "\u{E009}a\u{E000}";

/// `text` with each run of white space (between the cells of a table) one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Credits `amount` EUR to `client` over the API.
async fn pay(server: &TestServer, client: &str, amount: &str) {
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({ "payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR",
                    "method": "bank_transfer" }),
        )
        .await;
    assert!(paid.status.is_success(), "{paid:?}");
}

/// Orders a monthly service of `tariff` for `client` over the API; answers its id.
async fn order(server: &TestServer, client: &str, tariff: &str) -> String {
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({ "tariff_id": tariff, "period": "P1M", "auto_prolong": true }),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    ordered.body["id"].as_str().unwrap().to_owned()
}

/// A staff member named `name` in a new department with `permissions`; answers (staff id,
/// department id).
async fn staff_member(
    server: &TestServer,
    name: &str,
    email: &str,
    permissions: Value,
) -> (String, String) {
    let department = server
        .post(
            "/v1/departments",
            json!({"name": format!("{name}'s desk"), "accepts_tickets": true,
                   "permissions": permissions}),
        )
        .await;
    assert!(department.status.is_success(), "{department:?}");
    let department = department.body["id"].as_str().unwrap().to_owned();
    let staff = server
        .post(
            "/v1/staff",
            json!({"name": name, "email": email, "password": "correct horse battery",
                   "departments": [department], "administrator": false}),
        )
        .await;
    assert!(staff.status.is_success(), "{staff:?}");
    (staff.body["id"].as_str().unwrap().to_owned(), department)
}

#[tokio::test]
async fn staff_retry_a_failed_operation_and_run_the_billing_day_from_the_operations_page() {
    // Arrange: a client with 100.00 EUR and two monthly services at 10.00; the first is
    // active, the second's activation failed.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let tariff = tariff(&server, &provider).await;
    let client = server.client(&provider, "Grace Hopper").await;
    pay(&server, &client, "100.00").await;
    let running = order(&server, &client, &tariff).await;
    robot(&server).await;
    let stuck = order(&server, &client, &tariff).await;
    let pending = read(&server, "/v1/operations?status=pending").await;
    let operation = pending["items"][0]["id"].as_str().unwrap().to_owned();
    let failed = server
        .post(
            &format!("/v1/operations/{operation}/fail"),
            json!({"reason": "hypervisor node-7 is full"}),
        )
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{failed:?}");
    let paid_until = read(&server, &format!("/v1/services/{running}")).await["paid_until"]
        .as_str()
        .unwrap()
        .to_owned();
    server.settled().await;
    let browser = admin_browser(&server).await;

    // Act: the failed operation on the operations page, retried.
    browser
        .go(&format!("{}/dashboard/operations", server.url))
        .await;
    browser.title_once("Operations").await;
    let row = format!("#operation-{operation}");
    let failed_row = browser.text(&row).await;
    browser.screenshot_in(SCREENSHOTS, "operations").await;
    browser.click(&format!("{row} button.retry")).await;
    let retried = browser.address_with("done=retry").await;
    let after_retry = browser.text("#done").await;
    robot(&server).await;

    // The billing day of the day both services' paid month ends.
    browser
        .type_into("#as-of", &format!("{REPLACE}{paid_until}"))
        .await;
    browser.click("#run-billing-day").await;
    browser.title_once("Operations").await;
    let report = words(&browser.text("#report").await);
    browser
        .screenshot_in(SCREENSHOTS, "operations-billing-day")
        .await;
    browser.quit().await;

    // Assert: the page named the client and the service, and the API holds what was done.
    assert!(failed_row.contains("Grace Hopper"), "{failed_row}");
    assert!(failed_row.contains("VDS Small"), "{failed_row}");
    assert!(
        failed_row.contains("hypervisor node-7 is full"),
        "{failed_row}"
    );
    assert!(retried.contains("done=retry"), "{retried}");
    assert!(after_retry.contains("requested again"), "{after_retry}");
    let service = read(&server, &format!("/v1/services/{stuck}")).await;
    assert_eq!(service["status"], "active", "{service}");
    assert_eq!(service["operations"][0]["attempt"], 2, "{service}");
    assert_eq!(service["operations"][1]["status"], "retried", "{service}");
    assert!(report.contains(&format!("Day {paid_until}")), "{report}");
    assert!(report.contains("Periods charged 2"), "{report}");
    let expenses = read(&server, &format!("/v1/clients/{client}/expenses")).await;
    let charges = expenses["items"].as_array().unwrap();
    assert_eq!(
        charges.len(),
        4,
        "two first months and two renewals: {expenses}"
    );
    let renewals = charges
        .iter()
        .filter(|e| e["period_start"] == paid_until.as_str())
        .count();
    assert_eq!(renewals, 2, "{expenses}");
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(balance["accounts"][0]["balance"], "60.00", "{balance}");
}

#[tokio::test]
async fn staff_merge_a_client_into_another_chosen_by_name() {
    // Arrange: two clients of one provider with money on their accounts, and one of another
    // name that is not chosen.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let target = server.client(&provider, "Target Corp").await;
    let source = server.client(&provider, "Source Ltd").await;
    server.client(&provider, "Bystander GmbH").await;
    pay(&server, &target, "100.00").await;
    pay(&server, &source, "40.00").await;
    server.settled().await;
    let browser = admin_browser(&server).await;

    // Act: from the source's page, find the target by name and merge into it.
    browser
        .go(&format!("{}/dashboard/clients/{source}", server.url))
        .await;
    browser.title_once("Source Ltd").await;
    browser.click("#merge-client").await;
    browser.title_once("Merge Source Ltd").await;
    browser.type_into("#find", "target").await;
    browser.click("#find-client").await;
    browser.address_with("find=target").await;
    let candidates = browser.text("#candidates").await;
    browser
        .click(&format!("#candidate-{target} button.choose"))
        .await;
    let merged = browser.address_with("done=merge").await;
    let heading = browser.title_once("Target Corp").await;
    browser.quit().await;

    // Assert: against the API's merge and balances.
    assert!(candidates.contains("Target Corp"), "{candidates}");
    assert!(!candidates.contains("Bystander GmbH"), "{candidates}");
    assert!(!candidates.contains("Source Ltd"), "{candidates}");
    assert!(merged.contains(&target), "{merged}");
    assert!(heading.starts_with("Target Corp"), "{heading}");
    server.settled().await;
    let merge_id: Uuid = sqlx::query_scalar("SELECT merge_id FROM merges")
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
    let merge = read(&server, &format!("/v1/merges/{merge_id}")).await;
    assert_eq!(merge["target_id"], target.as_str(), "{merge}");
    assert_eq!(merge["status"], "completed", "{merge}");
    assert!(merge["sources"].to_string().contains(&source), "{merge}");
    let balance = read(&server, &format!("/v1/clients/{target}/balance")).await;
    assert_eq!(balance["accounts"][0]["balance"], "140.00", "{balance}");
    let left = read(&server, &format!("/v1/clients/{source}/balance")).await;
    let left: Vec<&str> = left["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["balance"].as_str())
        .collect();
    assert!(left.iter().all(|b| *b == "0.00"), "{left:?}");
    let profile = read(&server, &format!("/v1/clients/{source}")).await;
    assert_eq!(profile["status"], "merged", "{profile}");
}

#[tokio::test]
async fn staff_answer_assign_and_close_a_ticket_on_its_page() {
    // Arrange: a client's user opens a ticket; a support desk with one member of staff.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let registered = server
        .post(
            "/v1/clients",
            json!({"provider_id": provider, "name": "Linus Client",
                   "email": "linus@example.com", "kind": "individual", "country": "FI",
                   "user": {"email": "linus@example.com", "password": "correct horse battery"}}),
        )
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
    let client = registered.body["id"].as_str().unwrap().to_owned();
    let (sam, desk) = staff_member(
        &server,
        "Sam Support",
        "sam@example.com",
        json!(["tickets:read", "tickets:write"]),
    )
    .await;
    server.settled().await;
    let user_token = server
        .http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": "linus@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let opened = server
        .http
        .post(format!("{}/v1/clients/{client}/tickets", server.url))
        .bearer_auth(&user_token)
        .json(&json!({ "subject": "Server down", "body": "My VDS does not answer.\nPlease look." }))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::CREATED);
    let ticket = opened.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.settled().await;
    let browser = admin_browser(&server).await;

    // Act: from the queue to the ticket; answer, assign, close.
    browser
        .go(&format!("{}/dashboard/tickets", server.url))
        .await;
    browser.title_once("Ticket queue").await;
    browser.click("#queue a.ticket").await;
    browser.title_once("Server down").await;
    let thread = browser.text("#messages").await;
    let facts = browser.text("#ticket-facts").await;
    browser
        .type_into("#answer-body", "We restarted it: it answers again.")
        .await;
    browser.click("#send-answer").await;
    let answered = browser.address_with("done=answer").await;
    browser
        .click(&format!("#assign-department option[value=\"{desk}\"]"))
        .await;
    browser
        .click(&format!("#assign-staff option[value=\"{sam}\"]"))
        .await;
    browser.click("#assign-ticket").await;
    let assigned = browser.address_with("done=assign").await;
    let assignee = browser.text("#assignee").await;
    browser.screenshot_in(SCREENSHOTS, "ticket").await;
    browser.click("#close-ticket").await;
    let closed = browser.address_with("done=close").await;
    let status = browser.text("#ticket-status").await;
    let thread_after = browser.text("#messages").await;
    browser.quit().await;

    // Assert: the page, then the API's ticket.
    assert!(thread.contains("My VDS does not answer."), "{thread}");
    assert!(facts.contains("Linus Client"), "{facts}");
    // The client's user by its name (its login, as it gave none), not by an id.
    assert!(thread.contains("linus@example.com"), "{thread}");
    assert!(!thread.contains("user:"), "{thread}");
    assert!(answered.contains(&ticket), "{answered}");
    assert!(assigned.contains("done=assign"), "{assigned}");
    assert_eq!(assignee, "Sam Support");
    assert!(closed.contains("done=close"), "{closed}");
    assert_eq!(status, "closed");
    assert!(
        thread_after.contains("We restarted it: it answers again."),
        "{thread_after}"
    );
    let seen = read(&server, &format!("/v1/tickets/{ticket}")).await;
    assert_eq!(seen["status"], "closed", "{seen}");
    assert_eq!(seen["staff_id"], sam.as_str(), "{seen}");
    assert_eq!(seen["department_id"], desk.as_str(), "{seen}");
    let messages = seen["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{seen}");
    assert_eq!(messages[1]["author_side"], "staff", "{seen}");
    assert_eq!(
        messages[1]["body"], "We restarted it: it answers again.",
        "{seen}"
    );
}

#[tokio::test]
async fn staff_edit_a_client_adjust_its_balance_set_its_credit_limit_and_issue_a_credit_note() {
    // Arrange: a client with 100.00 EUR and an invoice of 50.00 issued over the API.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Ada Byron").await;
    pay(&server, &client, "100.00").await;
    let invoice = Uuid::now_v7();
    let issued = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": invoice, "client_id": client, "company_id": company,
                   "lines": [{"description": "Consulting", "quantity": "1", "unit_price": "50.00"}]}),
        )
        .await;
    assert!(issued.status.is_success(), "{issued:?}");
    server.settled().await;
    let browser = admin_browser(&server).await;
    browser
        .go(&format!("{}/dashboard/clients/{client}", server.url))
        .await;
    browser.title_once("Ada Byron").await;

    // Act: the client's new name.
    browser
        .type_into("#edit-name", &format!("{REPLACE}Ada King"))
        .await;
    browser.click("#save-client").await;
    browser.address_with("done=edit").await;
    let renamed = browser.title_once("Ada King").await;
    // A debit of 15.00 with its reason.
    browser.type_into("#adjust-amount", "-15.00").await;
    browser
        .type_into("#adjust-reason", "setup fee agreed by phone")
        .await;
    browser.click("#adjust").await;
    browser.address_with("done=adjustment").await;
    let balance_on_page = browser.text("td.balance").await;
    let statement_on_page = browser.text("table.statement").await;
    // A credit limit of 1,000.00.
    browser.type_into("#limit-amount", "1000.00").await;
    browser.click("#set-limit").await;
    browser.address_with("done=credit-limit").await;
    let accounts_on_page = browser.text("#balance + table").await;
    // A credit note of 20.00 for the invoice.
    browser
        .click(&format!("#credit-invoice option[value=\"{invoice}\"]"))
        .await;
    browser
        .type_into("#credit-reason", "one day of downtime")
        .await;
    browser
        .type_into("#credit-description", "Downtime credit")
        .await;
    browser.type_into("#credit-price", "20.00").await;
    browser.click("#issue-credit-note").await;
    browser.address_with("done=credit-note").await;
    let invoices_on_page = browser.text("#invoices + table").await;
    let mails_on_page = browser.text("#invoice-mails + p + table").await;
    // Acting as the client: the bootstrap administrator is no staff member, the API says.
    browser.click("#act-as-client").await;
    browser.title_once("Ada King").await;
    let act_as_error = browser.text("#form-error").await;
    browser.quit().await;

    // Assert: the page, then the API's profile, balance, statement and invoices.
    assert!(renamed.starts_with("Ada King"), "{renamed}");
    assert_eq!(balance_on_page, "85.00");
    assert!(
        statement_on_page.contains("setup fee agreed by phone"),
        "{statement_on_page}"
    );
    assert!(statement_on_page.contains("-15.00"), "{statement_on_page}");
    assert!(accounts_on_page.contains("1,000.00"), "{accounts_on_page}");
    assert!(
        invoices_on_page.contains("credit_note"),
        "{invoices_on_page}"
    );
    // The invoice went to the notifier when it was issued, as the API sends it.
    assert!(
        !mails_on_page.contains("No invoice e-mailed yet"),
        "{mails_on_page}"
    );
    assert!(
        act_as_error.contains("staff_login_needed"),
        "{act_as_error}"
    );
    let profile = read(&server, &format!("/v1/clients/{client}")).await;
    assert_eq!(profile["name"], "Ada King", "{profile}");
    let balance = read(&server, &format!("/v1/clients/{client}/balance")).await;
    assert_eq!(balance["accounts"][0]["balance"], "85.00", "{balance}");
    assert_eq!(
        balance["accounts"][0]["credit_limit"], "1000.00",
        "{balance}"
    );
    let statement = read(&server, &format!("/v1/clients/{client}/statement")).await;
    let adjustment = statement["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["amount"] == "-15.00")
        .cloned()
        .unwrap_or_else(|| panic!("the adjustment in {statement}"));
    assert!(
        adjustment.to_string().contains("setup fee agreed by phone"),
        "{adjustment}"
    );
    assert_eq!(statement["closing_balance"], "85.00", "{statement}");
    let documents = read(&server, &format!("/v1/invoices?client_id={client}")).await;
    let credit_note = documents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "credit_note")
        .cloned()
        .unwrap_or_else(|| panic!("a credit note in {documents}"));
    assert!(
        credit_note.to_string().contains(&invoice.to_string()),
        "{credit_note}"
    );
    let corrected = read(&server, &format!("/v1/invoices/{invoice}")).await;
    assert_eq!(corrected["status"], "partially_credited", "{corrected}");
}

#[tokio::test]
async fn a_service_row_offers_what_its_status_admits_and_the_service_moves_to_a_client_found_by_name()
 {
    // Arrange: a suspended service of one client, and the client it is to move to.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let tariff = tariff(&server, &provider).await;
    let owner = server.client(&provider, "Old Owner").await;
    let heir = server.client(&provider, "New Owner").await;
    pay(&server, &owner, "50.00").await;
    let service = order(&server, &owner, &tariff).await;
    robot(&server).await;
    let suspended = server
        .post(
            &format!("/v1/services/{service}/suspend"),
            json!({"reason": "staff"}),
        )
        .await;
    assert!(suspended.status.is_success(), "{suspended:?}");
    robot(&server).await;
    server.settled().await;
    let browser = admin_browser(&server).await;

    // Act: the service's row, then its transfer to the client found by name.
    browser
        .go(&format!("{}/dashboard/clients/{owner}", server.url))
        .await;
    browser.title_once("Old Owner").await;
    let row = format!("#service-{service}");
    let offered = browser.text(&row).await;
    browser.click(&format!("{row} a.transfer")).await;
    browser.title_once("Transfer a service of Old Owner").await;
    browser.type_into("#find", "new owner").await;
    browser.click("#find-client").await;
    browser.address_with("find=new").await;
    browser
        .click(&format!("#candidate-{heir} button.choose"))
        .await;
    let moved = browser.address_with("done=transfer").await;
    let note = browser.text("#done").await;
    browser.quit().await;

    // Assert: a suspended service may be resumed, closed or moved, not suspended again; the API
    // has it with its new owner.
    assert!(offered.contains("Resume"), "{offered}");
    assert!(offered.contains("Close"), "{offered}");
    assert!(offered.contains("Transfer"), "{offered}");
    assert!(!offered.contains("Suspend"), "{offered}");
    assert!(moved.contains(&owner), "{moved}");
    assert!(note.contains("moved"), "{note}");
    let seen = read(&server, &format!("/v1/services/{service}")).await;
    assert_eq!(seen["client_id"], heir.as_str(), "{seen}");
    let heirs = read(&server, &format!("/v1/clients/{heir}/services")).await;
    assert_eq!(heirs["items"][0]["id"], service.as_str(), "{heirs}");
}
