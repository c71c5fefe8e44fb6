//! The payment aggregate: one payment of a client, from its creation to its credit, its refunds
//! or its end as cancelled or fraud.
//!
//! A payment never touches the account's balance, which is the `Account` aggregate's: it only
//! decides its own status, and its events tell the caller what to credit (`PaymentCredited`)
//! or debit (`PaymentRefunded`, `PaymentMarkedFraud`). Every money event carries its result, so
//! that caller never recomputes anything.
//!
//! Repeats are recognised here rather than refused, because gateways and staff retry: a second
//! confirmation with the same external id, a second start with the same external id and a
//! refund id already recorded all record nothing. The refund ids are kept for that; a payment
//! has few refunds, so the list stays small.

mod command;
mod error;
mod event;
mod value;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::account::{PaymentMethod, PaymentMethodKind};
use crate::ids::{ClientId, CompanyId, InvoiceId, PayerId, PaymentId, ProviderId, RefundId};
use crate::money::{Currency, Money};
use crate::rates::Conversion;
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;
pub use value::*;

/// The longest cancellation, refund or fraud reason, in characters.
pub const PAYMENT_REASON_CHARS_MAX: usize = 500;

/// The state of one payment, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// `None` until `PaymentCreated`, so that "created but without an amount" is
    /// unrepresentable.
    created: Option<CreatedPayment>,
}

/// The state of a payment that has been created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CreatedPayment {
    payment_id: PaymentId,
    client_id: ClientId,
    provider_id: ProviderId,
    company_id: CompanyId,
    method: PaymentMethod,
    method_kind: PaymentMethodKind,
    amount: Money,
    account_currency: Currency,
    invoice_id: Option<InvoiceId>,
    created_on: NaiveDate,
    #[serde(default)]
    payer_id: Option<PayerId>,
    stage: Stage,
    /// Set by `PaymentStarted`, then by `PaymentCredited`.
    external_id: Option<ExternalId>,
    /// Set by `PaymentCredited`.
    credited: Option<Money>,
    conversion: Option<Conversion>,
    confirmed_on: Option<NaiveDate>,
    /// The refunded total, in the account's currency; zero until the first refund.
    refunded: Money,
    /// Every refund recorded, so that a repeated refund is recognised.
    refund_ids: Vec<RefundId>,
    /// Whether `PaymentMarkedFraud` has happened; it can follow any stage but `Cancelled`.
    fraud: bool,
}

/// The main line of a payment's lifecycle; fraud and refunds are kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Stage {
    New,
    InProgress,
    Credited,
    Cancelled,
}

impl Payment {
    /// Whether `PaymentCreated` has happened.
    pub fn is_created(&self) -> bool {
        self.created.is_some()
    }

    /// The payment's id, once created.
    pub fn payment_id(&self) -> Option<PaymentId> {
        self.created.as_ref().map(|payment| payment.payment_id)
    }

    /// The client paying, once created.
    pub fn client_id(&self) -> Option<ClientId> {
        self.created.as_ref().map(|payment| payment.client_id)
    }

    /// The provider paid, once created.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.created.as_ref().map(|payment| payment.provider_id)
    }

    /// The company that receives the money, once created.
    pub fn company_id(&self) -> Option<CompanyId> {
        self.created.as_ref().map(|payment| payment.company_id)
    }

    /// How the payment is made, once created.
    pub fn method(&self) -> Option<&PaymentMethod> {
        self.created.as_ref().map(|payment| &payment.method)
    }

    /// How the company receives money by the method, once created.
    pub fn method_kind(&self) -> Option<PaymentMethodKind> {
        self.created.as_ref().map(|payment| payment.method_kind)
    }

    /// What the client pays, in the payment's currency, once created.
    pub fn amount(&self) -> Option<Money> {
        self.created.as_ref().map(|payment| payment.amount)
    }

    /// The currency of the account the payment is credited to, once created.
    pub fn account_currency(&self) -> Option<Currency> {
        self.created
            .as_ref()
            .map(|payment| payment.account_currency)
    }

    /// The invoice the payment settles, if created with one.
    pub fn invoice_id(&self) -> Option<InvoiceId> {
        self.created.as_ref().and_then(|payment| payment.invoice_id)
    }

    /// The payer the payment is made by, if one was named.
    pub fn payer_id(&self) -> Option<PayerId> {
        self.created.as_ref().and_then(|payment| payment.payer_id)
    }

    /// The day the payment was created, once created.
    pub fn created_on(&self) -> Option<NaiveDate> {
        self.created.as_ref().map(|payment| payment.created_on)
    }

    /// The gateway's or bank's id, once started or credited with one.
    pub fn external_id(&self) -> Option<&ExternalId> {
        self.created
            .as_ref()
            .and_then(|payment| payment.external_id.as_ref())
    }

    /// What the account was credited, in its currency, once credited (also after refunds or a
    /// fraud mark).
    pub fn credited(&self) -> Option<Money> {
        self.created.as_ref().and_then(|payment| payment.credited)
    }

    /// How the payment's amount was converted, when it was credited in another currency.
    pub fn conversion(&self) -> Option<Conversion> {
        self.created.as_ref().and_then(|payment| payment.conversion)
    }

    /// The day the money arrived, once credited.
    pub fn confirmed_on(&self) -> Option<NaiveDate> {
        self.created
            .as_ref()
            .and_then(|payment| payment.confirmed_on)
    }

    /// The refunded total in the account's currency, once created; zero before any refund.
    pub fn refunded(&self) -> Option<Money> {
        self.created.as_ref().map(|payment| payment.refunded)
    }

    /// What can still be refunded (credited minus refunded) while the payment is credited and
    /// not marked as fraud; `None` otherwise.
    pub fn refundable(&self) -> Option<Money> {
        let payment = self.created.as_ref()?;
        if payment.fraud || payment.stage != Stage::Credited {
            return None;
        }
        payment.credited?.checked_sub(payment.refunded).ok()
    }

    /// The payment's status, once created.
    pub fn status(&self) -> Option<PaymentStatus> {
        let payment = self.created.as_ref()?;
        let status = match payment.stage {
            _ if payment.fraud => PaymentStatus::Fraud,
            Stage::New => PaymentStatus::New,
            Stage::InProgress => PaymentStatus::InProgress,
            Stage::Cancelled => PaymentStatus::Cancelled,
            Stage::Credited => PaymentStatus::of_credited(
                payment
                    .credited
                    .map_or(payment.refunded.amount(), |c| c.amount()),
                payment.refunded.amount(),
            ),
        };
        Some(status)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: PaymentCommand) -> Result<Vec<PaymentEvent>, PaymentError> {
        match command {
            PaymentCommand::CreatePayment {
                payment_id,
                client_id,
                provider_id,
                company_id,
                method,
                method_kind,
                amount,
                account_currency,
                invoice_id,
                created_on,
                payer_id,
                initiated_by,
                to_gateway_module,
            } => self.create_payment(
                payment_id,
                client_id,
                provider_id,
                company_id,
                method,
                method_kind,
                amount,
                account_currency,
                invoice_id,
                created_on,
                payer_id,
                (initiated_by, to_gateway_module),
            ),
            PaymentCommand::StartPayment { external_id } => self.start_payment(external_id),
            PaymentCommand::ConfirmPayment {
                external_id,
                credited,
                conversion,
                confirmed_on,
            } => self.confirm_payment(external_id, credited, conversion, confirmed_on),
            PaymentCommand::CancelPayment { reason } => self.cancel_payment(reason),
            PaymentCommand::SettleByGateway {
                transaction_id,
                amount,
                confirmed_on,
            } => self.settle_by_gateway(transaction_id, amount, confirmed_on),
            PaymentCommand::FailByGateway { reason } => self.fail_by_gateway(reason),
            PaymentCommand::RecordRefund {
                refund_id,
                amount,
                reason,
            } => self.record_refund(refund_id, amount, reason),
            PaymentCommand::MarkFraud { reason } => self.mark_fraud(reason),
        }
    }

    /// Decides [`PaymentCommand::CreatePayment`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of the command, one to one"
    )]
    fn create_payment(
        &self,
        payment_id: PaymentId,
        client_id: ClientId,
        provider_id: ProviderId,
        company_id: CompanyId,
        method: PaymentMethod,
        method_kind: PaymentMethodKind,
        amount: Money,
        account_currency: Currency,
        invoice_id: Option<InvoiceId>,
        created_on: NaiveDate,
        payer_id: Option<PayerId>,
        (initiated_by, to_gateway_module): (Initiator, bool),
    ) -> Result<Vec<PaymentEvent>, PaymentError> {
        if self.is_created() {
            return Err(PaymentError::AlreadyCreated);
        }
        // Money received by other means is credited at once on the word of staff or a trusted
        // machine; a client's own user pays only by a method someone else confirms.
        if !initiated_by.may_pay_by(method_kind) {
            return Err(PaymentError::ManualNotForClients { method });
        }
        if !amount.is_positive() {
            return Err(PaymentError::AmountNotPositive { field: "amount" });
        }
        // A module's gateway confirms the amount as asked and the payment credits it
        // unconverted (`settle_by_gateway`): in another currency it could only fail.
        if to_gateway_module && amount.currency() != account_currency {
            return Err(PaymentError::CurrencyMismatch {
                field: "currency",
                expected: account_currency,
                found: amount.currency(),
            });
        }
        Ok(vec![PaymentEvent::PaymentCreated {
            payment_id,
            client_id,
            provider_id,
            company_id,
            method,
            method_kind,
            amount,
            account_currency,
            invoice_id,
            created_on,
            payer_id,
        }])
    }

    /// Decides [`PaymentCommand::StartPayment`].
    fn start_payment(
        &self,
        external_id: Option<ExternalId>,
    ) -> Result<Vec<PaymentEvent>, PaymentError> {
        let payment = self.live()?;
        match payment.stage {
            Stage::New => Ok(vec![PaymentEvent::PaymentStarted { external_id }]),
            Stage::InProgress if payment.external_id == external_id => Ok(vec![]),
            Stage::InProgress => Err(PaymentError::AlreadyStarted),
            Stage::Credited => Err(PaymentError::AlreadyCredited),
            Stage::Cancelled => Err(PaymentError::Cancelled),
        }
    }

    /// Decides [`PaymentCommand::ConfirmPayment`].
    fn confirm_payment(
        &self,
        external_id: Option<ExternalId>,
        credited: Money,
        conversion: Option<Conversion>,
        confirmed_on: NaiveDate,
    ) -> Result<Vec<PaymentEvent>, PaymentError> {
        let payment = self.live()?;
        match payment.stage {
            Stage::New | Stage::InProgress => {}
            Stage::Credited if payment.external_id == external_id => return Ok(vec![]),
            Stage::Credited => return Err(PaymentError::AlreadyCredited),
            Stage::Cancelled => return Err(PaymentError::Cancelled),
        }
        if let Some(expected) = &payment.external_id
            && external_id.as_ref() != Some(expected)
        {
            return Err(PaymentError::ExternalIdMismatch {
                expected: expected.clone(),
            });
        }
        payment.in_account_currency("credited", credited)?;
        check_credited(payment, credited, conversion.as_ref())?;
        Ok(vec![PaymentEvent::PaymentCredited {
            external_id,
            credited,
            conversion,
            confirmed_on,
        }])
    }

    /// Decides [`PaymentCommand::CancelPayment`].
    fn settle_by_gateway(
        &self,
        transaction_id: ExternalId,
        amount: Money,
        confirmed_on: NaiveDate,
    ) -> Result<Vec<PaymentEvent>, PaymentError> {
        let payment = self.live()?;
        let transaction_id = Some(transaction_id);
        match payment.stage {
            // A payment cancelled while the client was at the gateway (by the client, by staff,
            // or by the gateway's own earlier failure) is settled all the same: the gateway holds
            // the client's money, and the log must say where it went.
            Stage::New | Stage::InProgress | Stage::Cancelled => {}
            Stage::Credited if payment.external_id == transaction_id => return Ok(vec![]),
            Stage::Credited => return Err(PaymentError::AlreadyCredited),
        }
        if let Some(expected) = &payment.external_id
            && transaction_id.as_ref() != Some(expected)
        {
            return Err(PaymentError::ExternalIdMismatch {
                expected: expected.clone(),
            });
        }
        // The gateway took the client's money in the payment's own currency; crediting another
        // sum, or converting, would be guessing what the client meant to pay.
        if amount != payment.amount || amount.currency() != payment.account_currency {
            return Ok(vec![PaymentEvent::PaymentCancelled {
                reason: format!(
                    "the gateway confirmed {amount} under {}, but the payment is {}",
                    transaction_id.as_ref().map_or("", ExternalId::as_str),
                    payment.amount
                ),
            }]);
        }
        Ok(vec![PaymentEvent::PaymentCredited {
            external_id: transaction_id,
            credited: amount,
            conversion: None,
            confirmed_on,
        }])
    }

    fn fail_by_gateway(&self, reason: String) -> Result<Vec<PaymentEvent>, PaymentError> {
        let payment = self.live()?;
        match payment.stage {
            Stage::New | Stage::InProgress => {}
            Stage::Credited => return Err(PaymentError::AlreadyCredited),
            Stage::Cancelled => return Ok(vec![]),
        }
        Ok(vec![PaymentEvent::PaymentCancelled {
            reason: checked_reason(&reason)?,
        }])
    }

    fn cancel_payment(&self, reason: String) -> Result<Vec<PaymentEvent>, PaymentError> {
        let payment = self.live()?;
        match payment.stage {
            Stage::New | Stage::InProgress => {}
            Stage::Credited => return Err(PaymentError::AlreadyCredited),
            Stage::Cancelled => return Err(PaymentError::Cancelled),
        }
        Ok(vec![PaymentEvent::PaymentCancelled {
            reason: checked_reason(&reason)?,
        }])
    }

    /// Decides [`PaymentCommand::RecordRefund`].
    fn record_refund(
        &self,
        refund_id: RefundId,
        amount: Money,
        reason: String,
    ) -> Result<Vec<PaymentEvent>, PaymentError> {
        let payment = self.created.as_ref().ok_or(PaymentError::NotFound)?;
        // Checked before the status, so that a refund repeated after a fraud mark is
        // still recognised as the refund it was.
        if payment.refund_ids.contains(&refund_id) {
            return Ok(vec![]);
        }
        let payment = self.live()?;
        let credited = match (payment.stage, payment.credited) {
            (Stage::Credited, Some(credited)) => credited,
            (Stage::Cancelled, _) => return Err(PaymentError::Cancelled),
            _ => return Err(PaymentError::NotCredited),
        };
        payment.in_account_currency("amount", amount)?;
        let reason = checked_reason(&reason)?;
        let refunded_total = payment.refunded.checked_add(amount)?;
        if refunded_total.amount() > credited.amount() {
            return Err(PaymentError::RefundExceedsPayment {
                refundable: credited.checked_sub(payment.refunded)?,
            });
        }
        Ok(vec![PaymentEvent::PaymentRefunded {
            refund_id,
            amount,
            reason,
            refunded_total,
        }])
    }

    /// Decides [`PaymentCommand::MarkFraud`].
    fn mark_fraud(&self, reason: String) -> Result<Vec<PaymentEvent>, PaymentError> {
        let payment = self.live()?;
        let reversed = match (payment.stage, payment.credited) {
            (Stage::Cancelled, _) => return Err(PaymentError::Cancelled),
            (Stage::Credited, Some(credited)) => credited.checked_sub(payment.refunded)?,
            _ => Money::zero(payment.account_currency),
        };
        Ok(vec![PaymentEvent::PaymentMarkedFraud {
            reason: checked_reason(&reason)?,
            reversed,
        }])
    }

    /// The created payment if it is not marked as fraud: `NotFound` or `MarkedFraud` otherwise.
    fn live(&self) -> Result<&CreatedPayment, PaymentError> {
        let payment = self.created.as_ref().ok_or(PaymentError::NotFound)?;
        if payment.fraud {
            Err(PaymentError::MarkedFraud)
        } else {
            Ok(payment)
        }
    }
}

impl CreatedPayment {
    /// Refuses an `amount` (named `field`) that is not above zero or not in the account's
    /// currency.
    fn in_account_currency(&self, field: &'static str, amount: Money) -> Result<(), PaymentError> {
        if amount.currency() != self.account_currency {
            return Err(PaymentError::CurrencyMismatch {
                field,
                expected: self.account_currency,
                found: amount.currency(),
            });
        }
        if !amount.is_positive() {
            return Err(PaymentError::AmountNotPositive { field });
        }
        Ok(())
    }
}

/// What a confirmation may credit, which is where an outsider (a gateway, a bank import) states
/// an amount that becomes money on the account.
///
/// A payment in the account's currency credits at most its amount: less is allowed (a transfer
/// that arrives short, a gateway's fee), more never. A payment in another currency credits
/// exactly its conversion, which must start from the amount paid, end in `credited` and be at
/// its own rate. A conversion is needed exactly when the currencies differ.
fn check_credited(
    payment: &CreatedPayment,
    credited: Money,
    conversion: Option<&Conversion>,
) -> Result<(), PaymentError> {
    let converted = payment.amount.currency() != payment.account_currency;
    match conversion {
        None if converted => Err(PaymentError::ConversionRequired),
        None if credited.amount() > payment.amount.amount() => {
            Err(PaymentError::CreditedExceedsPayment {
                paid: payment.amount,
            })
        }
        None => Ok(()),
        Some(_) if !converted => Err(PaymentError::ConversionNotAllowed),
        Some(conversion)
            if conversion.from == payment.amount
                && conversion.to == credited
                && conversion.is_at_its_rate() =>
        {
            Ok(())
        }
        Some(_) => Err(PaymentError::ConversionMismatch),
    }
}

/// Returns `reason` trimmed, or `InvalidReason`.
fn checked_reason(reason: &str) -> Result<String, PaymentError> {
    text::trimmed_within(reason, PAYMENT_REASON_CHARS_MAX)
        .map(str::to_string)
        .ok_or(PaymentError::InvalidReason)
}

impl Aggregate for Payment {
    const TYPE: &'static str = "Payment";
    type Command = PaymentCommand;
    type Event = PaymentEvent;
    type Error = PaymentError;
    type Services = ();

    async fn handle(
        &mut self,
        command: PaymentCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), PaymentError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: PaymentEvent) {
        if let PaymentEvent::PaymentCreated {
            payment_id,
            client_id,
            provider_id,
            company_id,
            method,
            method_kind,
            amount,
            account_currency,
            invoice_id,
            created_on,
            payer_id,
        } = event
        {
            self.created = Some(CreatedPayment {
                payment_id,
                client_id,
                provider_id,
                company_id,
                method,
                method_kind,
                amount,
                account_currency,
                invoice_id,
                created_on,
                payer_id,
                stage: Stage::New,
                external_id: None,
                credited: None,
                conversion: None,
                confirmed_on: None,
                refunded: Money::zero(account_currency),
                refund_ids: Vec::new(),
                fraud: false,
            });
            return;
        }
        let Some(payment) = &mut self.created else {
            return;
        };
        match event {
            PaymentEvent::PaymentCreated { .. } => {}
            PaymentEvent::PaymentStarted { external_id } => {
                payment.stage = Stage::InProgress;
                payment.external_id = external_id;
            }
            PaymentEvent::PaymentCredited {
                external_id,
                credited,
                conversion,
                confirmed_on,
            } => {
                payment.stage = Stage::Credited;
                payment.external_id = external_id;
                payment.credited = Some(credited);
                payment.conversion = conversion;
                payment.confirmed_on = Some(confirmed_on);
            }
            PaymentEvent::PaymentCancelled { .. } => {
                payment.stage = Stage::Cancelled;
            }
            PaymentEvent::PaymentRefunded {
                refund_id,
                refunded_total,
                ..
            } => {
                // The event carries the total, so applying it is an assignment, never a sum.
                payment.refunded = refunded_total;
                payment.refund_ids.push(refund_id);
            }
            PaymentEvent::PaymentMarkedFraud { .. } => {
                payment.fraud = true;
            }
        }
    }
}
