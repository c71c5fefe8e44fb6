//! The forms `client_actions` adds to a client's page, each only for a staff member who may call
//! its API route; apart from the actions so that the client page, which shows them, does not
//! import the actions, which answer with the client page.

use projections::clients::ClientRow;

use super::Session;
use crate::http::error::ApiError;
use crate::http::pages::forms::new_key;
use crate::http::state::AppState;

/// The client page's forms of `client_actions`.
pub(super) struct ClientForms {
    /// The details form, filled in: name, e-mail, country, kind.
    pub(super) edit: Option<[String; 4]>,
    /// The currencies of the adjustment form.
    pub(super) adjust: Option<Vec<String>>,
    /// The currencies of the credit-limit form.
    pub(super) credit_limit: Option<Vec<String>>,
    /// The documents a credit note may correct: (id, label).
    pub(super) credit_note: Option<Vec<(String, String)>>,
    /// Whether the staff member may merge the client into another.
    pub(super) merge: bool,
    /// Whether the staff member may act as the client.
    pub(super) act_as: bool,
    /// The invoice e-mails the notifier sent or tried to send (when a document is issued, and
    /// each time staff send it again, `invoice_send`): (subject, address, status, when), for
    /// staff who may read the notifications.
    pub(super) invoice_mails: Option<Vec<[String; 4]>>,
    /// The personal discount form, filled in with the discount the client has: percent, item
    /// types (comma-separated), last period start.
    pub(super) personal_discount: Option<[String; 3]>,
    /// A fresh idempotency key for each form: edit, adjustment, credit limit, credit note,
    /// acting as, personal discount.
    pub(super) keys: [String; 6],
}

/// The forms for `client`, whose accounts are in `currencies`.
pub(super) async fn forms(
    state: &AppState,
    session: &Session,
    client: &ClientRow,
    currencies: &[String],
) -> Result<ClientForms, ApiError> {
    let mut currencies = currencies.to_vec();
    if currencies.is_empty() {
        currencies.push(client.currency.clone());
    }
    let credit_note = if session.may("POST", "/v1/invoices/{id}/credit-notes") {
        let documents = projections::invoices::latest_of_client(&state.pool, client.id, 50).await?;
        Some(
            documents
                .into_iter()
                .filter(|d| d.kind != "credit_note" && d.number.is_some())
                .map(|d| {
                    let label = format!(
                        "{} · {} · {} · {}",
                        d.number.unwrap_or_default(),
                        session.lang.named(&d.kind),
                        session.lang.money(d.gross, &d.currency),
                        session.lang.named_in("invoice-status", &d.status)
                    );
                    (d.invoice_id.to_string(), label)
                })
                .collect(),
        )
    } else {
        None
    };
    let invoice_mails = if session.may("GET", "/v1/notifications") {
        let kind = domain::notice::NoticeKind::InvoiceIssued.as_str();
        let rows = projections::notify::notifications(
            &state.pool,
            (Some(client.id), None),
            None,
            None,
            200,
        )
        .await?;
        Some(
            rows.into_iter()
                .filter(|row| row.kind == kind)
                .take(20)
                .map(|row| {
                    [
                        row.subject
                            .unwrap_or_else(|| session.lang.t("client-not-rendered")),
                        row.to_address.unwrap_or_default(),
                        session.lang.named(&row.status),
                        session.zone.time(row.sent_at.unwrap_or(row.queued_at)),
                    ]
                })
                .collect(),
        )
    } else {
        None
    };
    let personal_discount = if session.may("PUT", "/v1/clients/{id}/personal-discount") {
        let shown = projections::clients::personal_discount(&state.pool, client.id)
            .await?
            .unwrap_or_default();
        let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
        let item_types: Vec<String> = shown["item_types"]
            .as_array()
            .map(|types| types.iter().map(text).collect())
            .unwrap_or_default();
        Some([
            text(&shown["percent"]),
            item_types.join(", "),
            text(&shown["until"]),
        ])
    } else {
        None
    };
    Ok(ClientForms {
        invoice_mails,
        personal_discount,
        edit: session.may("PATCH", "/v1/clients/{id}").then(|| {
            [
                client.name.clone(),
                client.email.clone(),
                client.country.clone(),
                client.kind.clone(),
            ]
        }),
        adjust: session
            .may("POST", "/v1/clients/{id}/adjustments")
            .then(|| currencies.clone()),
        credit_limit: session
            .may("PUT", "/v1/clients/{id}/credit-limit")
            .then(|| currencies.clone()),
        credit_note,
        merge: session.may("POST", "/v1/clients/{id}/merge"),
        act_as: session.may("POST", "/v1/clients/{id}/act-as"),
        keys: [
            new_key(),
            new_key(),
            new_key(),
            new_key(),
            new_key(),
            new_key(),
        ],
    })
}
