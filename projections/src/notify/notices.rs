//! Which events ask for a notice, and the values of its template that only the event knows.

use domain::account::AccountEvent;
use domain::domains::DomainEvent;
use domain::invoice::InvoiceEvent;
use domain::notice::NoticeKind;
use domain::service::ServiceEvent;
use domain::ticket::{Side, TicketEvent};
use eventstore::log::StoredEvent;
use serde_json::{Value, json};

use super::{ON_REQUEST, ON_REQUEST_TO};
use crate::ProjectionError;

/// The notice an event asks for, with the values its template needs that only the event knows.
pub(super) fn notice_of(
    event: &StoredEvent,
) -> Result<Option<(NoticeKind, Value)>, ProjectionError> {
    Ok(match event.aggregate_type.as_str() {
        "Service" => match event.decode::<ServiceEvent>()? {
            ServiceEvent::ServiceActivated { .. } => {
                Some((NoticeKind::ServiceActivated, json!({})))
            }
            ServiceEvent::NoticeDue { notice } => {
                let values = notice.values().into_iter();
                Some((
                    notice.kind(),
                    values.map(|(k, v)| (k.to_owned(), json!(v))).collect(),
                ))
            }
            _ => None,
        },
        "Account" => match event.decode::<AccountEvent>()? {
            AccountEvent::PaymentPosted {
                amount,
                balance_after,
                ..
            } => Some((
                NoticeKind::PaymentCredited,
                json!({"amount": amount.amount().to_string(),
                       "currency": amount.currency().code(),
                       "balance": balance_after.amount().to_string()}),
            )),
            AccountEvent::ExpenseCharged {
                expense,
                balance_after,
            } => {
                // Low: this charge took the balance from zero or more to below zero.
                let before = balance_after.amount() + expense.amount.amount();
                (balance_after.amount().is_sign_negative()
                    && !balance_after.amount().is_zero()
                    && !before.is_sign_negative())
                .then(|| {
                    (
                        NoticeKind::LowBalance,
                        json!({"balance": balance_after.amount().to_string(),
                               "currency": balance_after.currency().code()}),
                    )
                })
            }
            _ => None,
        },
        "Invoice" => match event.decode::<InvoiceEvent>()? {
            InvoiceEvent::InvoiceIssued { number, .. } => {
                Some((NoticeKind::InvoiceIssued, json!({"number": number})))
            }
            // Staff asked to send the document (again): the same e-mail as at issue, to the
            // address asked for if any (`ON_REQUEST_TO`).
            InvoiceEvent::InvoiceSendRequested {
                number, recipient, ..
            } => Some((
                NoticeKind::InvoiceIssued,
                json!({"number": number, ON_REQUEST: "true", ON_REQUEST_TO: recipient}),
            )),
            _ => None,
        },
        // Domains (ADR 33): the notices the `Domain` recorded before its expiry, and the expiry.
        "Domain" => match event.decode::<DomainEvent>()? {
            DomainEvent::DomainExpiryNoticed {
                expires_at,
                days_left,
                ..
            } => Some((
                NoticeKind::DomainExpiring,
                json!({"days": days_left.to_string(),
                       "expires_on": expires_at.date_naive().to_string()}),
            )),
            DomainEvent::DomainExpired { expires_at } => Some((
                NoticeKind::DomainExpired,
                json!({"expires_on": expires_at.date_naive().to_string()}),
            )),
            _ => None,
        },
        "Ticket" => match event.decode::<TicketEvent>()? {
            // Staff writing first (a message to the client) or answering.
            TicketEvent::TicketOpened { author, .. }
            | TicketEvent::TicketReplied { author, .. }
                if author.side == Side::Staff =>
            {
                Some((NoticeKind::TicketAnswered, json!({})))
            }
            _ => None,
        },
        _ => None,
    })
}
