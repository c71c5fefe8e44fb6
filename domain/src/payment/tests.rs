//! Given/when/then tests of the Payment aggregate, one rule per test. Kept in one file, however
//! long, because they share one set of small fixtures and are read by searching for a rule.

use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::money::MoneyError;
use crate::rates::ExchangeRate;

type PaymentTester = TestFramework<Payment>;

fn payment_id() -> PaymentId {
    PaymentId::from_uuid(Uuid::from_u128(0x30))
}

fn client_id() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x20))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn company_id() -> CompanyId {
    CompanyId::from_uuid(Uuid::from_u128(0xC0))
}

fn invoice_id() -> InvoiceId {
    InvoiceId::from_uuid(Uuid::from_u128(0x70))
}

fn refund_id(n: u128) -> RefundId {
    RefundId::from_uuid(Uuid::from_u128(0x80 + n))
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::EUR).unwrap()
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

fn card() -> PaymentMethod {
    PaymentMethod::parse("card").unwrap()
}

fn ext(id: &str) -> Option<ExternalId> {
    Some(ExternalId::parse(id).unwrap())
}

fn create_in(amount: Money) -> PaymentCommand {
    PaymentCommand::CreatePayment {
        payment_id: payment_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        company_id: company_id(),
        method: card(),
        method_kind: PaymentMethodKind::CardGateway,
        amount,
        account_currency: Currency::EUR,
        invoice_id: Some(invoice_id()),
        created_on: date("2025-03-01"),
        payer_id: None,
        initiated_by: Initiator::Staff,
        to_gateway_module: false,
    }
}

/// The same payment asked for by `initiated_by` by a method of `kind`.
fn create_by(initiated_by: Initiator, kind: PaymentMethodKind) -> PaymentCommand {
    match create_in(eur("100.00")) {
        PaymentCommand::CreatePayment {
            payment_id,
            client_id,
            provider_id,
            company_id,
            method,
            amount,
            account_currency,
            invoice_id,
            created_on,
            payer_id,
            to_gateway_module,
            ..
        } => PaymentCommand::CreatePayment {
            payment_id,
            client_id,
            provider_id,
            company_id,
            method,
            method_kind: kind,
            amount,
            account_currency,
            invoice_id,
            created_on,
            payer_id,
            initiated_by,
            to_gateway_module,
        },
        other => other,
    }
}

fn created_in(amount: Money) -> PaymentEvent {
    PaymentEvent::PaymentCreated {
        payment_id: payment_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        company_id: company_id(),
        method: card(),
        method_kind: PaymentMethodKind::CardGateway,
        amount,
        account_currency: Currency::EUR,
        invoice_id: Some(invoice_id()),
        created_on: date("2025-03-01"),
        payer_id: None,
    }
}

/// A payment of 100.00 EUR into a EUR account.
fn created() -> PaymentEvent {
    created_in(eur("100.00"))
}

/// A payment of 100.00 USD into a EUR account.
fn created_usd() -> PaymentEvent {
    created_in(usd("100.00"))
}

fn start(external_id: Option<ExternalId>) -> PaymentCommand {
    PaymentCommand::StartPayment { external_id }
}

fn started(external_id: Option<ExternalId>) -> PaymentEvent {
    PaymentEvent::PaymentStarted { external_id }
}

fn confirm(external_id: Option<ExternalId>, credited: Money) -> PaymentCommand {
    PaymentCommand::ConfirmPayment {
        external_id,
        credited,
        conversion: None,
        confirmed_on: date("2025-03-02"),
    }
}

fn credited(external_id: Option<ExternalId>, amount: &str) -> PaymentEvent {
    PaymentEvent::PaymentCredited {
        external_id,
        credited: eur(amount),
        conversion: None,
        confirmed_on: date("2025-03-02"),
    }
}

fn conversion(from: Money, to: Money) -> Conversion {
    Conversion {
        from,
        to,
        rate: ExchangeRate::parse("0.9234").unwrap(),
        effective_from: date("2025-03-01"),
    }
}

fn confirm_converted(conversion: Option<Conversion>, amount: Money) -> PaymentCommand {
    PaymentCommand::ConfirmPayment {
        external_id: None,
        credited: amount,
        conversion,
        confirmed_on: date("2025-03-02"),
    }
}

fn refund(n: u128, amount: Money) -> PaymentCommand {
    PaymentCommand::RecordRefund {
        refund_id: refund_id(n),
        amount,
        reason: " goodwill ".to_string(),
    }
}

fn refunded(n: u128, amount: &str, total: &str) -> PaymentEvent {
    PaymentEvent::PaymentRefunded {
        refund_id: refund_id(n),
        amount: eur(amount),
        reason: "goodwill".to_string(),
        refunded_total: eur(total),
    }
}

fn cancel(reason: &str) -> PaymentCommand {
    PaymentCommand::CancelPayment {
        reason: reason.to_string(),
    }
}

fn cancelled() -> PaymentEvent {
    PaymentEvent::PaymentCancelled {
        reason: "client gave up".to_string(),
    }
}

fn mark_fraud() -> PaymentCommand {
    PaymentCommand::MarkFraud {
        reason: "stolen card".to_string(),
    }
}

fn marked_fraud(reversed: &str) -> PaymentEvent {
    PaymentEvent::PaymentMarkedFraud {
        reason: "stolen card".to_string(),
        reversed: eur(reversed),
    }
}

fn payment(events: Vec<PaymentEvent>) -> Payment {
    let mut payment = Payment::default();
    for event in events {
        payment.apply(event);
    }
    payment
}

// Creating.

#[test]
fn creating_a_payment_records_it() {
    PaymentTester::with(())
        .given_no_previous_events()
        .when(create_in(eur("100.00")))
        .then_expect_events(vec![created()]);
}

#[test]
fn a_payment_may_be_in_another_currency_than_the_account() {
    PaymentTester::with(())
        .given_no_previous_events()
        .when(create_in(usd("100")))
        .then_expect_events(vec![created_usd()]);
}

/// `create_in(amount)`, for a payment module's gateway to take.
fn create_for_module(amount: Money) -> PaymentCommand {
    let mut command = create_in(amount);
    if let PaymentCommand::CreatePayment {
        to_gateway_module, ..
    } = &mut command
    {
        *to_gateway_module = true;
    }
    command
}

#[test]
fn a_payment_a_gateway_module_takes_is_in_the_accounts_currency_only() {
    PaymentTester::with(())
        .given_no_previous_events()
        .when(create_for_module(usd("100")))
        .then_expect_error(PaymentError::CurrencyMismatch {
            field: "currency",
            expected: Currency::EUR,
            found: Currency::USD,
        });
    PaymentTester::with(())
        .given_no_previous_events()
        .when(create_for_module(eur("100.00")))
        .then_expect_events(vec![created()]);
}

#[test]
fn a_clients_user_may_not_pay_by_a_manual_method() {
    PaymentTester::with(())
        .given_no_previous_events()
        .when(create_by(Initiator::Client, PaymentMethodKind::Manual))
        .then_expect_error(PaymentError::ManualNotForClients { method: card() });
}

#[test]
fn staff_may_record_a_payment_by_a_manual_method() {
    let decided = Payment::default()
        .decide(create_by(Initiator::Staff, PaymentMethodKind::Manual))
        .unwrap();
    assert!(matches!(
        decided.as_slice(),
        [PaymentEvent::PaymentCreated {
            method_kind: PaymentMethodKind::Manual,
            ..
        }]
    ));
}

#[test]
fn a_clients_user_may_pay_by_bank_transfer_or_card() {
    for kind in [
        PaymentMethodKind::BankTransfer,
        PaymentMethodKind::CardGateway,
    ] {
        let decided = Payment::default()
            .decide(create_by(Initiator::Client, kind))
            .unwrap();
        assert_eq!(decided.len(), 1, "{kind:?}");
    }
}

#[test]
fn creating_a_payment_twice_is_rejected() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(create_in(eur("100.00")))
        .then_expect_error(PaymentError::AlreadyCreated);
}

#[test]
fn a_zero_or_negative_payment_is_rejected() {
    for amount in ["0", "-1"] {
        PaymentTester::with(())
            .given_no_previous_events()
            .when(create_in(eur(amount)))
            .then_expect_error(PaymentError::AmountNotPositive { field: "amount" });
    }
}

#[test]
fn commands_on_an_uncreated_payment_are_rejected() {
    for command in [
        start(None),
        confirm(None, eur("1")),
        cancel("x"),
        refund(1, eur("1")),
        mark_fraud(),
    ] {
        PaymentTester::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(PaymentError::NotFound);
    }
}

// Starting.

#[test]
fn starting_a_new_payment_records_its_external_id() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(start(ext("pi_1")))
        .then_expect_events(vec![started(ext("pi_1"))]);
}

#[test]
fn starting_again_with_the_same_external_id_records_nothing() {
    PaymentTester::with(())
        .given(vec![created(), started(ext("pi_1"))])
        .when(start(ext("pi_1")))
        .then_expect_events(vec![]);
}

#[test]
fn starting_again_with_another_external_id_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), started(ext("pi_1"))])
        .when(start(ext("pi_2")))
        .then_expect_error(PaymentError::AlreadyStarted);
}

#[test]
fn starting_a_credited_payment_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), credited(None, "100.00")])
        .when(start(ext("pi_1")))
        .then_expect_error(PaymentError::AlreadyCredited);
}

#[test]
fn starting_a_cancelled_payment_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), cancelled()])
        .when(start(None))
        .then_expect_error(PaymentError::Cancelled);
}

// Confirming.

#[test]
fn confirming_a_new_payment_credits_it() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(confirm(None, eur("100")))
        .then_expect_events(vec![credited(None, "100.00")]);
}

#[test]
fn confirming_a_started_payment_with_its_external_id_credits_it() {
    PaymentTester::with(())
        .given(vec![created(), started(ext("pi_1"))])
        .when(confirm(ext("pi_1"), eur("100")))
        .then_expect_events(vec![credited(ext("pi_1"), "100.00")]);
}

#[test]
fn a_payment_started_without_an_external_id_may_be_confirmed_with_one() {
    PaymentTester::with(())
        .given(vec![created(), started(None)])
        .when(confirm(ext("bank-ref-7"), eur("100")))
        .then_expect_events(vec![credited(ext("bank-ref-7"), "100.00")]);
}

#[test]
fn a_confirmation_must_carry_the_external_id_the_payment_was_started_with() {
    for external_id in [ext("pi_2"), None] {
        PaymentTester::with(())
            .given(vec![created(), started(ext("pi_1"))])
            .when(confirm(external_id, eur("100")))
            .then_expect_error(PaymentError::ExternalIdMismatch {
                expected: ExternalId::parse("pi_1").unwrap(),
            });
    }
}

#[test]
fn the_credited_amount_may_differ_from_the_amount_paid() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(confirm(None, eur("99.50")))
        .then_expect_events(vec![credited(None, "99.50")]);
}

#[test]
fn a_confirmation_cannot_credit_more_than_was_paid() {
    // The gateway's callback of issue 13.1: 5.00 paid, 500.00 claimed.
    PaymentTester::with(())
        .given(vec![created_in(eur("5.00"))])
        .when(confirm(None, eur("500.00")))
        .then_expect_error(PaymentError::CreditedExceedsPayment { paid: eur("5.00") });
}

#[test]
fn one_cent_above_the_amount_paid_is_already_too_much() {
    PaymentTester::with(())
        .given(vec![created(), started(ext("pi_1"))])
        .when(confirm(ext("pi_1"), eur("100.01")))
        .then_expect_error(PaymentError::CreditedExceedsPayment {
            paid: eur("100.00"),
        });
}

#[test]
fn a_confirmation_may_credit_exactly_what_was_paid() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(confirm(None, eur("100.00")))
        .then_expect_events(vec![credited(None, "100.00")]);
}

#[test]
fn a_zero_or_negative_credit_is_rejected() {
    for amount in ["0", "-5"] {
        PaymentTester::with(())
            .given(vec![created()])
            .when(confirm(None, eur(amount)))
            .then_expect_error(PaymentError::AmountNotPositive { field: "credited" });
    }
}

#[test]
fn a_credit_outside_the_account_currency_is_rejected() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(confirm(None, usd("100")))
        .then_expect_error(PaymentError::CurrencyMismatch {
            field: "credited",
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

#[test]
fn a_repeated_confirmation_with_the_same_external_id_records_nothing() {
    PaymentTester::with(())
        .given(vec![
            created(),
            started(ext("pi_1")),
            credited(ext("pi_1"), "100.00"),
        ])
        .when(confirm(ext("pi_1"), eur("100")))
        .then_expect_events(vec![]);
}

#[test]
fn a_repeated_confirmation_without_external_ids_records_nothing() {
    PaymentTester::with(())
        .given(vec![created(), credited(None, "100.00")])
        .when(confirm(None, eur("100")))
        .then_expect_events(vec![]);
}

#[test]
fn a_confirmation_of_a_credited_payment_with_another_external_id_is_rejected() {
    for external_id in [ext("pi_2"), None] {
        PaymentTester::with(())
            .given(vec![created(), credited(ext("pi_1"), "100.00")])
            .when(confirm(external_id, eur("100")))
            .then_expect_error(PaymentError::AlreadyCredited);
    }
}

#[test]
fn confirming_a_cancelled_payment_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), cancelled()])
        .when(confirm(None, eur("100")))
        .then_expect_error(PaymentError::Cancelled);
}

#[test]
fn confirming_a_fraudulent_payment_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), marked_fraud("0.00")])
        .when(confirm(None, eur("100")))
        .then_expect_error(PaymentError::MarkedFraud);
}

// Converting.

#[test]
fn a_payment_in_another_currency_is_credited_with_its_conversion() {
    let conversion = conversion(usd("100"), eur("92.34"));
    PaymentTester::with(())
        .given(vec![created_usd()])
        .when(confirm_converted(Some(conversion), eur("92.34")))
        .then_expect_events(vec![PaymentEvent::PaymentCredited {
            external_id: None,
            credited: eur("92.34"),
            conversion: Some(conversion),
            confirmed_on: date("2025-03-02"),
        }]);
}

#[test]
fn a_payment_in_another_currency_needs_a_conversion() {
    PaymentTester::with(())
        .given(vec![created_usd()])
        .when(confirm_converted(None, eur("92.34")))
        .then_expect_error(PaymentError::ConversionRequired);
}

#[test]
fn a_payment_in_the_account_currency_takes_no_conversion() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(confirm_converted(
            Some(conversion(usd("100"), eur("100"))),
            eur("100"),
        ))
        .then_expect_error(PaymentError::ConversionNotAllowed);
}

#[test]
fn a_conversion_must_start_from_the_amount_paid() {
    PaymentTester::with(())
        .given(vec![created_usd()])
        .when(confirm_converted(
            Some(conversion(usd("90"), eur("92.34"))),
            eur("92.34"),
        ))
        .then_expect_error(PaymentError::ConversionMismatch);
}

#[test]
fn a_conversion_must_end_in_the_credited_amount() {
    PaymentTester::with(())
        .given(vec![created_usd()])
        .when(confirm_converted(
            Some(conversion(usd("100"), eur("92.34"))),
            eur("95.00"),
        ))
        .then_expect_error(PaymentError::ConversionMismatch);
}

#[test]
fn a_conversion_must_be_at_its_own_rate() {
    // 100.00 USD at 0.9234 is 92.34 EUR; a conversion claiming 95.00 at that rate would credit
    // more than the payment is worth.
    PaymentTester::with(())
        .given(vec![created_usd()])
        .when(confirm_converted(
            Some(conversion(usd("100"), eur("95.00"))),
            eur("95.00"),
        ))
        .then_expect_error(PaymentError::ConversionMismatch);
}

// Cancelling.

#[test]
fn cancelling_a_new_or_started_payment_records_the_trimmed_reason() {
    for given in [vec![created()], vec![created(), started(ext("pi_1"))]] {
        PaymentTester::with(())
            .given(given)
            .when(cancel("  client gave up "))
            .then_expect_events(vec![cancelled()]);
    }
}

#[test]
fn a_blank_or_overlong_cancellation_reason_is_rejected() {
    for reason in ["   ", &"r".repeat(501)] {
        PaymentTester::with(())
            .given(vec![created()])
            .when(cancel(reason))
            .then_expect_error(PaymentError::InvalidReason);
    }
}

#[test]
fn cancelling_a_credited_payment_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), credited(None, "100.00")])
        .when(cancel("too late"))
        .then_expect_error(PaymentError::AlreadyCredited);
}

#[test]
fn cancelling_a_cancelled_payment_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), cancelled()])
        .when(cancel("again"))
        .then_expect_error(PaymentError::Cancelled);
}

#[test]
fn cancelling_a_fraudulent_payment_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), marked_fraud("0.00")])
        .when(cancel("again"))
        .then_expect_error(PaymentError::MarkedFraud);
}

// Refunding.

#[test]
fn a_refund_records_the_refunded_total() {
    PaymentTester::with(())
        .given(vec![created(), credited(None, "100.00")])
        .when(refund(1, eur("30")))
        .then_expect_events(vec![refunded(1, "30.00", "30.00")]);
}

#[test]
fn a_second_refund_adds_to_the_total() {
    PaymentTester::with(())
        .given(vec![
            created(),
            credited(None, "100.00"),
            refunded(1, "30.00", "30.00"),
        ])
        .when(refund(2, eur("70")))
        .then_expect_events(vec![refunded(2, "70.00", "100.00")]);
}

#[test]
fn a_refund_beyond_the_credited_amount_is_rejected() {
    PaymentTester::with(())
        .given(vec![
            created(),
            credited(None, "100.00"),
            refunded(1, "30.00", "30.00"),
        ])
        .when(refund(2, eur("70.01")))
        .then_expect_error(PaymentError::RefundExceedsPayment {
            refundable: eur("70.00"),
        });
}

#[test]
fn a_refund_id_already_recorded_records_nothing() {
    PaymentTester::with(())
        .given(vec![
            created(),
            credited(None, "100.00"),
            refunded(1, "30.00", "30.00"),
        ])
        .when(refund(1, eur("30")))
        .then_expect_events(vec![]);
}

#[test]
fn a_refund_repeated_after_a_fraud_mark_is_still_recognised() {
    PaymentTester::with(())
        .given(vec![
            created(),
            credited(None, "100.00"),
            refunded(1, "30.00", "30.00"),
            marked_fraud("70.00"),
        ])
        .when(refund(1, eur("30")))
        .then_expect_events(vec![]);
}

#[test]
fn refunding_an_uncredited_payment_is_rejected() {
    for given in [vec![created()], vec![created(), started(ext("pi_1"))]] {
        PaymentTester::with(())
            .given(given)
            .when(refund(1, eur("1")))
            .then_expect_error(PaymentError::NotCredited);
    }
}

#[test]
fn refunding_a_cancelled_payment_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), cancelled()])
        .when(refund(1, eur("1")))
        .then_expect_error(PaymentError::Cancelled);
}

#[test]
fn refunding_a_fraudulent_payment_is_rejected() {
    PaymentTester::with(())
        .given(vec![
            created(),
            credited(None, "100.00"),
            marked_fraud("100.00"),
        ])
        .when(refund(1, eur("1")))
        .then_expect_error(PaymentError::MarkedFraud);
}

#[test]
fn a_zero_refund_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), credited(None, "100.00")])
        .when(refund(1, eur("0")))
        .then_expect_error(PaymentError::AmountNotPositive { field: "amount" });
}

#[test]
fn a_refund_outside_the_account_currency_is_rejected() {
    PaymentTester::with(())
        .given(vec![created_usd(), credited(None, "92.34")])
        .when(refund(1, usd("10")))
        .then_expect_error(PaymentError::CurrencyMismatch {
            field: "amount",
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

#[test]
fn a_refund_without_a_reason_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), credited(None, "100.00")])
        .when(PaymentCommand::RecordRefund {
            refund_id: refund_id(1),
            amount: eur("1"),
            reason: String::new(),
        })
        .then_expect_error(PaymentError::InvalidReason);
}

// Fraud.

#[test]
fn marking_a_new_payment_as_fraud_reverses_nothing() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(mark_fraud())
        .then_expect_events(vec![marked_fraud("0.00")]);
}

#[test]
fn marking_a_credited_payment_as_fraud_reverses_what_was_not_refunded() {
    PaymentTester::with(())
        .given(vec![
            created(),
            credited(None, "100.00"),
            refunded(1, "30.00", "30.00"),
        ])
        .when(mark_fraud())
        .then_expect_events(vec![marked_fraud("70.00")]);
}

#[test]
fn the_reversal_of_a_converted_payment_is_in_the_account_currency() {
    PaymentTester::with(())
        .given(vec![created_usd(), credited(None, "92.34")])
        .when(mark_fraud())
        .then_expect_events(vec![marked_fraud("92.34")]);
}

#[test]
fn marking_a_payment_as_fraud_twice_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), marked_fraud("0.00")])
        .when(mark_fraud())
        .then_expect_error(PaymentError::MarkedFraud);
}

#[test]
fn marking_a_cancelled_payment_as_fraud_is_rejected() {
    PaymentTester::with(())
        .given(vec![created(), cancelled()])
        .when(mark_fraud())
        .then_expect_error(PaymentError::Cancelled);
}

#[test]
fn a_fraud_mark_without_a_reason_is_rejected() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(PaymentCommand::MarkFraud {
            reason: " ".to_string(),
        })
        .then_expect_error(PaymentError::InvalidReason);
}

// Status and accessors.

#[test]
fn the_status_follows_the_lifecycle() {
    let cases = [
        (vec![], None),
        (vec![created()], Some(PaymentStatus::New)),
        (
            vec![created(), started(None)],
            Some(PaymentStatus::InProgress),
        ),
        (
            vec![created(), credited(None, "100.00")],
            Some(PaymentStatus::Credited),
        ),
        (
            vec![
                created(),
                credited(None, "100.00"),
                refunded(1, "30.00", "30.00"),
            ],
            Some(PaymentStatus::PartiallyRefunded),
        ),
        (
            vec![
                created(),
                credited(None, "100.00"),
                refunded(1, "100.00", "100.00"),
            ],
            Some(PaymentStatus::Refunded),
        ),
        (vec![created(), cancelled()], Some(PaymentStatus::Cancelled)),
        (
            vec![created(), credited(None, "100.00"), marked_fraud("100.00")],
            Some(PaymentStatus::Fraud),
        ),
    ];
    for (events, status) in cases {
        assert_eq!(payment(events).status(), status);
    }
}

#[test]
fn a_new_payment_exposes_what_it_was_created_with() {
    let payment = payment(vec![created_usd()]);
    assert!(payment.is_created());
    assert_eq!(payment.payment_id(), Some(payment_id()));
    assert_eq!(payment.client_id(), Some(client_id()));
    assert_eq!(payment.provider_id(), Some(provider_id()));
    assert_eq!(payment.company_id(), Some(company_id()));
    assert_eq!(payment.method(), Some(&card()));
    assert_eq!(payment.method_kind(), Some(PaymentMethodKind::CardGateway));
    assert_eq!(payment.amount(), Some(usd("100")));
    assert_eq!(payment.account_currency(), Some(Currency::EUR));
    assert_eq!(payment.invoice_id(), Some(invoice_id()));
    assert_eq!(payment.created_on(), Some(date("2025-03-01")));
    assert_eq!(payment.external_id(), None);
    assert_eq!(payment.credited(), None);
    assert_eq!(payment.conversion(), None);
    assert_eq!(payment.confirmed_on(), None);
    assert_eq!(payment.refunded(), Some(eur("0")));
    assert_eq!(payment.refundable(), None);
}

#[test]
fn a_credited_payment_exposes_its_credit_and_what_is_refundable() {
    let conversion = conversion(usd("100"), eur("92.34"));
    let payment = payment(vec![
        created_usd(),
        started(ext("pi_1")),
        PaymentEvent::PaymentCredited {
            external_id: ext("pi_1"),
            credited: eur("92.34"),
            conversion: Some(conversion),
            confirmed_on: date("2025-03-02"),
        },
        refunded(1, "2.34", "2.34"),
    ]);
    assert_eq!(payment.external_id(), ext("pi_1").as_ref());
    assert_eq!(payment.credited(), Some(eur("92.34")));
    assert_eq!(payment.conversion(), Some(conversion));
    assert_eq!(payment.confirmed_on(), Some(date("2025-03-02")));
    assert_eq!(payment.refunded(), Some(eur("2.34")));
    assert_eq!(payment.refundable(), Some(eur("90.00")));
}

#[test]
fn nothing_is_refundable_after_a_fraud_mark_or_a_full_refund_leaves_zero() {
    let fraud = payment(vec![
        created(),
        credited(None, "100.00"),
        marked_fraud("100.00"),
    ]);
    assert_eq!(fraud.refundable(), None);
    assert_eq!(fraud.credited(), Some(eur("100.00")));
    let refunded = payment(vec![
        created(),
        credited(None, "100.00"),
        refunded(1, "100.00", "100.00"),
    ]);
    assert_eq!(refunded.refundable(), Some(eur("0")));
}

#[test]
fn the_payment_state_round_trips_through_json() {
    let payment = payment(vec![
        created(),
        started(ext("pi_1")),
        credited(ext("pi_1"), "100.00"),
        refunded(1, "30.00", "30.00"),
    ]);
    let json = serde_json::to_string(&payment).unwrap();
    assert_eq!(serde_json::from_str::<Payment>(&json).unwrap(), payment);
}

// External ids and statuses as values.

#[test]
fn external_ids_are_printable_ascii_without_whitespace() {
    for id in [
        "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "A/b:c#1~",
        "x",
        &"x".repeat(128),
    ] {
        assert_eq!(ExternalId::parse(id).unwrap().as_str(), id);
    }
    for id in ["", " pi", "pi 1", "pi\t1", "pi\n", "café", &"x".repeat(129)] {
        assert_eq!(
            ExternalId::parse(id),
            Err(PaymentError::InvalidExternalId(id.to_string())),
            "{id:?}"
        );
    }
}

#[test]
fn an_external_id_serializes_as_a_validated_string() {
    let id = ExternalId::parse("pi_1").unwrap();
    assert_eq!(serde_json::to_string(&id).unwrap(), r#""pi_1""#);
    assert_eq!(serde_json::from_str::<ExternalId>(r#""pi_1""#).unwrap(), id);
    assert!(serde_json::from_str::<ExternalId>(r#""pi 1""#).is_err());
}

#[test]
fn statuses_serialize_as_their_snake_case_names() {
    for status in [
        PaymentStatus::New,
        PaymentStatus::InProgress,
        PaymentStatus::Credited,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
        PaymentStatus::Cancelled,
        PaymentStatus::Fraud,
    ] {
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{}\"", status.as_str()));
        assert_eq!(status.to_string(), status.as_str());
        assert_eq!(
            serde_json::from_str::<PaymentStatus>(&json).unwrap(),
            status
        );
    }
    assert_eq!(
        PaymentStatus::PartiallyRefunded.as_str(),
        "partially_refunded"
    );
    assert_eq!(PaymentStatus::InProgress.as_str(), "in_progress");
}

#[test]
fn a_credited_payment_is_refunded_once_its_refunds_reach_what_it_credited() {
    let of = |credited: &str, refunded: &str| {
        PaymentStatus::of_credited(credited.parse().unwrap(), refunded.parse().unwrap())
    };
    assert_eq!(of("10.00", "0"), PaymentStatus::Credited);
    assert_eq!(of("10.00", "9.99"), PaymentStatus::PartiallyRefunded);
    assert_eq!(of("10.00", "10.00"), PaymentStatus::Refunded);
    // A payment that credited nothing (all of it taken as a fee) was never refunded.
    assert_eq!(of("0.00", "0.00"), PaymentStatus::Credited);
}

// Events and errors.

#[test]
fn a_credited_event_has_a_stable_json_shape() {
    let event = PaymentEvent::PaymentCredited {
        external_id: ext("pi_1"),
        credited: eur("92.34"),
        conversion: Some(conversion(usd("100"), eur("92.34"))),
        confirmed_on: date("2025-03-02"),
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"PaymentCredited": {
            "external_id": "pi_1",
            "credited": {"amount": "92.34", "currency": "EUR"},
            "conversion": {
                "from": {"amount": "100.00", "currency": "USD"},
                "to": {"amount": "92.34", "currency": "EUR"},
                "rate": "0.9234",
                "effective_from": "2025-03-01",
            },
            "confirmed_on": "2025-03-02",
        }})
    );
    assert_eq!(serde_json::from_value::<PaymentEvent>(json).unwrap(), event);
}

#[test]
fn a_created_event_has_a_stable_json_shape() {
    let json = serde_json::to_value(created()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"PaymentCreated": {
            "payment_id": "00000000-0000-0000-0000-000000000030",
            "client_id": "00000000-0000-0000-0000-000000000020",
            "provider_id": "00000000-0000-0000-0000-000000000010",
            "company_id": "00000000-0000-0000-0000-0000000000c0",
            "method": "card",
            "method_kind": "card_gateway",
            "amount": {"amount": "100.00", "currency": "EUR"},
            "account_currency": "EUR",
            "invoice_id": "00000000-0000-0000-0000-000000000070",
            "created_on": "2025-03-01",
        }})
    );
    assert_eq!(
        serde_json::from_value::<PaymentEvent>(json).unwrap(),
        created()
    );
}

#[test]
fn payment_events_have_literal_names_and_version_one() {
    let cases = [
        (created(), "PaymentCreated"),
        (started(None), "PaymentStarted"),
        (credited(None, "1"), "PaymentCredited"),
        (cancelled(), "PaymentCancelled"),
        (refunded(1, "1", "1"), "PaymentRefunded"),
        (marked_fraud("1"), "PaymentMarkedFraud"),
    ];
    for (event, name) in cases {
        assert_eq!(event.event_type(), name);
        assert_eq!(event.event_version(), "1.0");
    }
    assert_eq!(Payment::TYPE, "Payment");
}

#[test]
fn payment_error_codes_are_stable() {
    let field = "amount";
    let cases = [
        (PaymentError::AlreadyCreated, "payment_exists"),
        (PaymentError::NotFound, "payment_not_found"),
        (
            PaymentError::ManualNotForClients { method: card() },
            "payment_method_not_available",
        ),
        (
            PaymentError::AmountNotPositive { field },
            "amount_not_positive",
        ),
        (
            PaymentError::CurrencyMismatch {
                field,
                expected: Currency::EUR,
                found: Currency::USD,
            },
            "currency_mismatch",
        ),
        (PaymentError::ConversionRequired, "conversion_required"),
        (PaymentError::ConversionNotAllowed, "conversion_not_allowed"),
        (PaymentError::ConversionMismatch, "conversion_mismatch"),
        (
            PaymentError::CreditedExceedsPayment { paid: eur("5") },
            "credited_exceeds_payment",
        ),
        (
            PaymentError::ExternalIdMismatch {
                expected: ExternalId::parse("x").unwrap(),
            },
            "external_id_mismatch",
        ),
        (PaymentError::AlreadyStarted, "payment_already_started"),
        (PaymentError::AlreadyCredited, "payment_already_credited"),
        (PaymentError::Cancelled, "payment_cancelled"),
        (PaymentError::MarkedFraud, "payment_marked_fraud"),
        (PaymentError::NotCredited, "payment_not_credited"),
        (
            PaymentError::RefundExceedsPayment {
                refundable: eur("1"),
            },
            "refund_exceeds_payment",
        ),
        (PaymentError::InvalidReason, "invalid_reason"),
        (
            PaymentError::InvalidExternalId(String::new()),
            "invalid_external_id",
        ),
        (
            PaymentError::Money(MoneyError::Overflow),
            "amount_out_of_range",
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}

#[test]
fn payment_error_messages_name_the_field() {
    assert_eq!(
        PaymentError::AmountNotPositive { field: "credited" }.to_string(),
        "credited: must be greater than zero"
    );
    assert_eq!(
        PaymentError::RefundExceedsPayment {
            refundable: eur("70")
        }
        .to_string(),
        "amount: exceeds the 70.00 EUR still refundable"
    );
    assert_eq!(
        PaymentError::CreditedExceedsPayment { paid: eur("5") }.to_string(),
        "credited: exceeds the 5.00 EUR paid"
    );
    assert_eq!(
        PaymentError::InvalidReason.to_string(),
        "reason: must be 1 to 500 characters"
    );
}

fn settle(transaction_id: &str, amount: Money) -> PaymentCommand {
    PaymentCommand::SettleByGateway {
        transaction_id: ExternalId::parse(transaction_id).unwrap(),
        amount,
        confirmed_on: date("2025-03-02"),
    }
}

#[test]
fn a_gateway_settlement_of_the_exact_amount_credits_it_under_the_transaction_id() {
    PaymentTester::with(())
        .given(vec![created(), started(None)])
        .when(settle("tx_1", eur("100.00")))
        .then_expect_events(vec![credited(ext("tx_1"), "100.00")]);
}

#[test]
fn a_repeated_gateway_settlement_records_nothing() {
    PaymentTester::with(())
        .given(vec![
            created(),
            started(None),
            credited(ext("tx_1"), "100.00"),
        ])
        .when(settle("tx_1", eur("100.00")))
        .then_expect_events(vec![]);
}

#[test]
fn a_gateway_settlement_under_another_transaction_id_after_credit_is_refused() {
    PaymentTester::with(())
        .given(vec![created(), credited(ext("tx_1"), "100.00")])
        .when(settle("tx_2", eur("100.00")))
        .then_expect_error(PaymentError::AlreadyCredited);
}

#[test]
fn a_gateway_settlement_of_another_amount_fails_the_payment() {
    PaymentTester::with(())
        .given(vec![created(), started(None)])
        .when(settle("tx_1", eur("90.00")))
        .then_expect_events(vec![PaymentEvent::PaymentCancelled {
            reason: "the gateway confirmed 90.00 EUR under tx_1, but the payment is 100.00 EUR"
                .to_string(),
        }]);
}

#[test]
fn a_gateway_settlement_in_another_currency_fails_the_payment() {
    PaymentTester::with(())
        .given(vec![created()])
        .when(settle("tx_1", usd("100.00")))
        .then_expect_events(vec![PaymentEvent::PaymentCancelled {
            reason: "the gateway confirmed 100.00 USD under tx_1, but the payment is 100.00 EUR"
                .to_string(),
        }]);
}

#[test]
fn a_gateway_settlement_of_a_cancelled_payment_credits_the_money_the_gateway_took() {
    PaymentTester::with(())
        .given(vec![created(), cancelled()])
        .when(settle("tx_1", eur("100.00")))
        .then_expect_events(vec![PaymentEvent::PaymentCredited {
            external_id: Some(ExternalId::parse("tx_1").unwrap()),
            credited: eur("100.00"),
            conversion: None,
            confirmed_on: date("2025-03-02"),
        }]);
    // Another amount leaves it cancelled, saying so for staff.
    PaymentTester::with(())
        .given(vec![created(), cancelled()])
        .when(settle("tx_1", eur("90.00")))
        .then_expect_events(vec![PaymentEvent::PaymentCancelled {
            reason: "the gateway confirmed 90.00 EUR under tx_1, but the payment is 100.00 EUR"
                .to_string(),
        }]);
}

#[test]
fn a_gateway_failure_cancels_the_payment_once() {
    PaymentTester::with(())
        .given(vec![created(), started(None)])
        .when(PaymentCommand::FailByGateway {
            reason: " declined by the issuer ".to_string(),
        })
        .then_expect_events(vec![PaymentEvent::PaymentCancelled {
            reason: "declined by the issuer".to_string(),
        }]);
    PaymentTester::with(())
        .given(vec![created(), cancelled()])
        .when(PaymentCommand::FailByGateway {
            reason: "declined".to_string(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_gateway_failure_of_a_credited_payment_is_refused() {
    PaymentTester::with(())
        .given(vec![created(), credited(ext("tx_1"), "100.00")])
        .when(PaymentCommand::FailByGateway {
            reason: "declined".to_string(),
        })
        .then_expect_error(PaymentError::AlreadyCredited);
}
