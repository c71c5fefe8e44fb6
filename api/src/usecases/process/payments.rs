//! The money side of payments with a lifecycle (docs/adr/0004-payments-and-accounts.md).
//!
//! A `Payment` decides its own status (new, in progress, credited, cancelled, fraud); the
//! personal `Account` holds the money and is the authority on what can be given back. The steps
//! between them are keyed commands, run at once by the API and repeated by the [`Payments`]
//! process for whatever a crash interrupted:
//!
//! - a payment credited → the account is credited (keyed by the payment id), then the invoice it
//!   settles is marked paid (its proforma, or an issued invoice it names if it covers it);
//! - a credited payment marked as fraud → the account takes back what is left of it;
//! - an account refund of a payment → the payment records it (a refund id records once).

use std::sync::Arc;

use async_trait::async_trait;
use domain::account::{Account, AccountCommand, AccountEvent};
use domain::ids::{AccountId, InvoiceId, PaymentId};
use domain::invoice::{Invoice, InvoiceCommand};
use domain::payment::{Payment, PaymentCommand, PaymentEvent, PaymentStatus};
use eventstore::log::StoredEvent;
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{CommandError, CommandKey, EventStore};
use sqlx::PgConnection;

use projections::{Projection, ProjectionError};

/// Why a step between a payment and its account failed.
#[derive(Debug, thiserror::Error)]
pub enum PaymentStepError {
    /// The event store failed.
    #[error(transparent)]
    Store(#[from] eventstore::StoreError),
    /// The account refused.
    #[error(transparent)]
    Account(#[from] domain::account::AccountError),
    /// The payment refused.
    #[error(transparent)]
    Payment(#[from] domain::payment::PaymentError),
    /// Another command was refused; the message says which and why.
    #[error("{0}")]
    Refused(String),
}

impl<E: Into<PaymentStepError> + std::fmt::Display> From<CommandError<E>> for PaymentStepError {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Store(e) => Self::Store(e),
            CommandError::Rejected(e) => e.into(),
            other => Self::Refused(other.to_string()),
        }
    }
}

impl From<domain::invoice::InvoiceError> for PaymentStepError {
    fn from(error: domain::invoice::InvoiceError) -> Self {
        Self::Refused(error.to_string())
    }
}

impl From<PaymentStepError> for ProjectionError {
    fn from(error: PaymentStepError) -> Self {
        Self::Malformed(error.to_string())
    }
}

/// The command key of crediting a payment to its account: the payment id, the same key a
/// payment credited directly (`POST /v1/clients/{id}/payments`) takes, so one payment id can
/// never credit an account twice by the two paths.
fn credit_key(payment: &Payment, payment_id: PaymentId) -> Result<CommandKey, PaymentStepError> {
    CommandKey::new(
        crate::usecases::accounts::POSTED_PAYMENT_SCOPE,
        payment_id.to_string(),
        &("lifecycle", payment.credited(), payment.conversion()),
        serde_json::json!({ "id": payment_id }),
    )
    .map_err(|e| PaymentStepError::Refused(e.to_string()))
}

/// Credits a credited payment's money to its account and marks the invoice it settles as paid.
/// Returns the position of the account's event, for reading the balance. Idempotent.
pub async fn credit(
    store: &EventStore,
    payment_id: PaymentId,
    context: &CommandContext,
) -> Result<i64, PaymentStepError> {
    let payment = store
        .load::<Payment>(&payment_id.to_string())
        .await?
        .aggregate;
    let (Some(client_id), Some(provider_id), Some(credited), Some(method)) = (
        payment.client_id(),
        payment.provider_id(),
        payment.credited(),
        payment.method().cloned(),
    ) else {
        return Err(PaymentStepError::Refused(format!(
            "payment {payment_id} is not credited"
        )));
    };
    let account = AccountId::of(client_id, provider_id, credited.currency());
    let committed = store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::PostPayment {
                client_id,
                provider_id,
                payment_id,
                amount: credited,
                method,
                conversion: payment.conversion(),
            },
            context,
            &[credit_key(&payment, payment_id)?],
        )
        .await?;
    if let (Some(invoice_id), Some(paid_on)) = (payment.invoice_id(), payment.confirmed_on()) {
        // A proforma is the payment's own document; any other invoice the payment names (manual,
        // monthly, imported) is paid if what was credited covers it (ADR 29), and paid in part
        // otherwise (ADR 38).
        let command = if invoice_id == InvoiceId::proforma(payment_id) {
            InvoiceCommand::MarkPaid {
                payment_id,
                paid_on,
            }
        } else {
            // Paid with what the client paid, as the payment's creation asked the invoice: a
            // payment converted into the account's currency pays an invoice in its own.
            InvoiceCommand::PayInvoice {
                payment_id,
                paid_on,
                credited: payment
                    .conversion()
                    .map_or(credited, |conversion| conversion.from),
            }
        };
        let marked = store
            .execute::<Invoice>(&invoice_id.to_string(), command, context, &[])
            .await;
        match marked {
            Ok(_) => {}
            // The money is credited whatever the invoice's state; an invoice that cannot be
            // marked (cancelled meanwhile) is for staff to settle with a credit note.
            Err(CommandError::Rejected(error)) => {
                tracing::warn!(%payment_id, %invoice_id, %error, "a paid invoice could not be marked paid");
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(committed.position)
}

/// Takes back from the account what is left of a payment marked as fraud. Idempotent: the
/// account reverses only what was not given back yet.
pub async fn reverse(
    store: &EventStore,
    payment_id: PaymentId,
    reason: &str,
    context: &CommandContext,
) -> Result<Option<i64>, PaymentStepError> {
    let payment = store
        .load::<Payment>(&payment_id.to_string())
        .await?
        .aggregate;
    let (Some(client_id), Some(provider_id), Some(credited)) = (
        payment.client_id(),
        payment.provider_id(),
        payment.credited(),
    ) else {
        return Ok(None);
    };
    let account = AccountId::of(client_id, provider_id, credited.currency());
    let committed = store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::ReversePayment {
                client_id,
                provider_id,
                payment_id,
                credited,
                reason: reason.to_string(),
            },
            context,
            &[],
        )
        .await?;
    Ok(Some(committed.position))
}

/// Records on the payment a refund its account made, if the payment has a lifecycle (a payment
/// credited directly has none: its account holds its whole story).
pub async fn mirror_refund(
    store: &EventStore,
    event: &AccountEvent,
    context: &CommandContext,
) -> Result<(), PaymentStepError> {
    let AccountEvent::PaymentRefunded {
        refund_id,
        payment_id,
        amount,
        reason,
        ..
    } = event
    else {
        return Ok(());
    };
    let payment = store.load::<Payment>(&payment_id.to_string()).await?;
    if !payment.aggregate.is_created() {
        return Ok(());
    }
    let recorded = store
        .execute::<Payment>(
            &payment_id.to_string(),
            PaymentCommand::RecordRefund {
                refund_id: *refund_id,
                amount: *amount,
                reason: reason.clone(),
            },
            context,
            &[],
        )
        .await;
    match recorded {
        Ok(_) => Ok(()),
        // The account is the authority on money; a payment that cannot mirror the refund (marked
        // as fraud meanwhile) keeps its status, and the statement shows the refund.
        Err(CommandError::Rejected(error)) => {
            tracing::warn!(%payment_id, %error, "a refund could not be recorded on its payment");
            Ok(())
        }
        Err(other) => Err(other.into()),
    }
}

/// The process that finishes the steps between payments and accounts.
pub struct Payments {
    store: Arc<EventStore>,
}

impl Payments {
    /// The process, writing through `store`.
    pub fn new(store: Arc<EventStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Projection for Payments {
    fn name(&self) -> &'static str {
        "payment_process"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    fn runs_alone(&self) -> bool {
        true
    }

    async fn apply_batch(
        &self,
        _tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let context = CommandContext::new(Actor::System("payments".to_owned()));
        for event in events {
            let step = async {
                match (event.aggregate_type.as_str(), event.event_type.as_str()) {
                    ("Payment", "PaymentCredited") => {
                        let payment_id = event
                            .aggregate_id
                            .parse::<PaymentId>()
                            .map_err(|e| PaymentStepError::Refused(format!("payment id: {e}")))?;
                        credit(&self.store, payment_id, &context).await.map(|_| ())
                    }
                    ("Payment", "PaymentMarkedFraud") => {
                        let payment_id = event
                            .aggregate_id
                            .parse::<PaymentId>()
                            .map_err(|e| PaymentStepError::Refused(format!("payment id: {e}")))?;
                        let PaymentEvent::PaymentMarkedFraud { reason, .. } = event
                            .decode()
                            .map_err(|e| PaymentStepError::Refused(e.to_string()))?
                        else {
                            return Ok(());
                        };
                        reverse(&self.store, payment_id, &reason, &context)
                            .await
                            .map(|_| ())
                    }
                    ("Account", "PaymentRefunded") => {
                        let decoded: AccountEvent = event
                            .decode()
                            .map_err(|e| PaymentStepError::Refused(e.to_string()))?;
                        mirror_refund(&self.store, &decoded, &context).await
                    }
                    _ => Ok(()),
                }
            };
            step.await.map_err(|e| ProjectionError::from(e).at(event))?;
        }
        Ok(())
    }
}

/// Whether a payment in `status` has had its money credited to its account.
pub fn was_credited(status: PaymentStatus) -> bool {
    matches!(
        status,
        PaymentStatus::Credited | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
    )
}
