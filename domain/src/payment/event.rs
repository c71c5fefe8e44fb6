use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::ExternalId;
use crate::account::{PaymentMethod, PaymentMethodKind};
use crate::ids::{ClientId, CompanyId, InvoiceId, PayerId, PaymentId, ProviderId, RefundId};
use crate::money::{Currency, Money};
use crate::rates::Conversion;

/// What has happened to a payment. Stored forever: variants and fields are never renamed.
///
/// Money events carry their results (the refunded total, the amount to reverse), so read models
/// and the process that moves the account's balance copy them rather than re-running the rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PaymentEvent {
    /// The payment was created.
    PaymentCreated {
        /// The caller-chosen payment id.
        payment_id: PaymentId,
        /// The client paying.
        client_id: ClientId,
        /// The provider paid.
        provider_id: ProviderId,
        /// The provider's company that receives the money.
        company_id: CompanyId,
        /// How the payment is made.
        method: PaymentMethod,
        /// How the company receives money by that method.
        method_kind: PaymentMethodKind,
        /// What the client pays, greater than zero.
        amount: Money,
        /// The currency of the account the payment will be credited to.
        account_currency: Currency,
        /// The invoice the payment settles, if any.
        invoice_id: Option<InvoiceId>,
        /// The day the payment was created.
        created_on: NaiveDate,
        /// The client's payer the payment is made by, if one was named.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payer_id: Option<PayerId>,
    },
    /// The payment was handed to a gateway or a bank.
    PaymentStarted {
        /// The gateway's or bank's id, if it has one.
        external_id: Option<ExternalId>,
    },
    /// The money arrived: the account is to be credited `credited`.
    PaymentCredited {
        /// The gateway's or bank's id, if any.
        external_id: Option<ExternalId>,
        /// What the account is to be credited, in its currency.
        credited: Money,
        /// How the payment's amount was converted, when it was in another currency.
        conversion: Option<Conversion>,
        /// The day the money arrived.
        confirmed_on: NaiveDate,
    },
    /// The payment was given up before any money arrived.
    PaymentCancelled {
        /// The trimmed reason.
        reason: String,
    },
    /// Part or all of the credited amount was refunded: the account is to be debited `amount`.
    PaymentRefunded {
        /// The caller-chosen refund id.
        refund_id: RefundId,
        /// What was given back, in the account's currency.
        amount: Money,
        /// The trimmed reason.
        reason: String,
        /// Everything refunded so far, this refund included.
        refunded_total: Money,
    },
    /// The payment was marked as fraud: the account is to be debited `reversed`.
    PaymentMarkedFraud {
        /// The trimmed reason.
        reason: String,
        /// What was credited and not refunded, in the account's currency; zero when the payment
        /// had not been credited.
        reversed: Money,
    },
}

impl DomainEvent for PaymentEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::PaymentCreated { .. } => "PaymentCreated".to_string(),
            Self::PaymentStarted { .. } => "PaymentStarted".to_string(),
            Self::PaymentCredited { .. } => "PaymentCredited".to_string(),
            Self::PaymentCancelled { .. } => "PaymentCancelled".to_string(),
            Self::PaymentRefunded { .. } => "PaymentRefunded".to_string(),
            Self::PaymentMarkedFraud { .. } => "PaymentMarkedFraud".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
