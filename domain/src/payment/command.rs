use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ExternalId, Initiator};
use crate::account::{PaymentMethod, PaymentMethodKind};
use crate::ids::{ClientId, CompanyId, InvoiceId, PayerId, PaymentId, ProviderId, RefundId};
use crate::money::{Currency, Money};
use crate::rates::Conversion;

/// What can be asked of a payment.
///
/// None of these touches the account's balance: the payment decides its own status, and the
/// caller credits or debits the account from the events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PaymentCommand {
    /// Records a payment the client is making.
    CreatePayment {
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
        /// What the client pays; greater than zero, in any currency.
        amount: Money,
        /// The currency of the account the payment will be credited to.
        account_currency: Currency,
        /// The invoice the payment settles, if any.
        invoice_id: Option<InvoiceId>,
        /// The day the payment was created.
        created_on: NaiveDate,
        /// The client's payer the payment is made by, if one was named (checked by the caller
        /// to belong to the client).
        payer_id: Option<PayerId>,
        /// Who asks for the payment: a client's own user may pay only by a method someone else
        /// confirms, never by one of kind `manual`.
        initiated_by: Initiator,
        /// Whether a payment module's gateway takes the payment (ADR 32). Such a gateway
        /// confirms exactly the amount asked for, which the payment then credits unconverted,
        /// so the amount must be in the account's currency.
        to_gateway_module: bool,
    },
    /// Hands the payment to a gateway or a bank: new → in progress.
    ///
    /// Starting an in-progress payment again with the same external id records nothing.
    StartPayment {
        /// The gateway's or bank's id for the payment, when it has one.
        external_id: Option<ExternalId>,
    },
    /// Confirms that the money arrived: new or in progress → credited.
    ///
    /// Confirming a credited payment again with the same external id (or without one, when it
    /// was credited without one) records nothing, so a gateway's repeated callback credits
    /// nothing more.
    ConfirmPayment {
        /// The gateway's or bank's id; must be the one the payment was started with, if any.
        external_id: Option<ExternalId>,
        /// What the account is to be credited; greater than zero, in the account's currency.
        /// For a payment in the account's currency, at most the payment's amount (less when a
        /// transfer arrives short or a gateway keeps a fee); for a converted one, exactly the
        /// conversion's result.
        credited: Money,
        /// How the payment's amount was converted into `credited`: required exactly when the
        /// payment is not in the account's currency, and then `from` must be the payment's
        /// amount and `to` must be `credited` and what `rate` makes of `from`.
        conversion: Option<Conversion>,
        /// The day the money arrived.
        confirmed_on: NaiveDate,
    },
    /// A payment gateway module's signed notification that the client paid (ADR 32): new, in
    /// progress or cancelled → credited with exactly the payment's amount, under the gateway's
    /// transaction id. A cancelled payment is credited too: the client may cancel, or the
    /// gateway report a failure, while the client pays at the gateway all the same.
    ///
    /// The gateway must confirm exactly what the payment asked for, in the account's currency: a
    /// confirmation of another amount or currency fails the payment (cancelled, nothing
    /// credited), since the client paid something the billing core did not ask for and a person
    /// must sort it out. A repeat with the same transaction id records nothing.
    SettleByGateway {
        /// The gateway's transaction id.
        transaction_id: ExternalId,
        /// What the gateway says the client paid.
        amount: Money,
        /// The day the gateway confirmed it.
        confirmed_on: NaiveDate,
    },
    /// A payment gateway module's signed notification that the payment failed (declined,
    /// abandoned or expired at the gateway): new or in progress → cancelled. A repeat records
    /// nothing.
    FailByGateway {
        /// The gateway's reason; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Gives up a payment no money arrived for: new or in progress → cancelled.
    CancelPayment {
        /// Why; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Records a refund of (part of) a credited payment.
    ///
    /// A refund id already recorded records nothing.
    RecordRefund {
        /// The caller-chosen refund id.
        refund_id: RefundId,
        /// What is given back; greater than zero, in the account's currency, and together with
        /// the earlier refunds at most what was credited.
        amount: Money,
        /// Why; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Marks the payment as fraud; refused on a cancelled payment or one already marked.
    MarkFraud {
        /// Why; trimmed, 1 to 500 characters.
        reason: String,
    },
}
