use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::ids::{AdjustmentId, PaymentId};
use crate::money::MoneyError;

type AccountTester = TestFramework<Account>;

fn client_id() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x20))
}

fn other_client_id() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x21))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn other_provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x11))
}

fn payment_id() -> PaymentId {
    PaymentId::from_uuid(Uuid::from_u128(0x30))
}

fn adjustment_id() -> AdjustmentId {
    AdjustmentId::from_uuid(Uuid::from_u128(0x40))
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

fn opened() -> AccountEvent {
    AccountEvent::AccountOpened {
        account_id: AccountId::of(client_id(), provider_id(), Currency::EUR),
        client_id: client_id(),
        provider_id: provider_id(),
        currency: Currency::EUR,
    }
}

fn pay(amount: Money) -> AccountCommand {
    AccountCommand::PostPayment {
        client_id: client_id(),
        provider_id: provider_id(),
        payment_id: payment_id(),
        amount,
        method: card(),
    }
}

fn paid(amount: &str, balance_after: &str) -> AccountEvent {
    AccountEvent::PaymentPosted {
        payment_id: payment_id(),
        amount: eur(amount),
        method: card(),
        balance_after: eur(balance_after),
    }
}

fn adjust(amount: Money, reason: &str) -> AccountCommand {
    AccountCommand::AdjustBalance {
        client_id: client_id(),
        provider_id: provider_id(),
        adjustment_id: adjustment_id(),
        amount,
        reason: reason.to_string(),
    }
}

fn adjusted(amount: &str, reason: &str, balance_after: &str) -> AccountEvent {
    AccountEvent::BalanceAdjusted {
        adjustment_id: adjustment_id(),
        amount: eur(amount),
        reason: reason.to_string(),
        balance_after: eur(balance_after),
    }
}

// Opening.

#[test]
fn a_payment_on_a_new_account_opens_it_first() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(pay(eur("25.00")))
        .then_expect_events(vec![opened(), paid("25.00", "25.00")]);
}

#[test]
fn an_adjustment_on_a_new_account_opens_it_first() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(adjust(eur("-5"), "setup fee"))
        .then_expect_events(vec![opened(), adjusted("-5", "setup fee", "-5")]);
}

#[test]
fn a_new_account_takes_the_currency_of_its_first_amount() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(pay(usd("1")))
        .then_expect_events(vec![
            AccountEvent::AccountOpened {
                account_id: AccountId::of(client_id(), provider_id(), Currency::USD),
                client_id: client_id(),
                provider_id: provider_id(),
                currency: Currency::USD,
            },
            AccountEvent::PaymentPosted {
                payment_id: payment_id(),
                amount: usd("1"),
                method: card(),
                balance_after: usd("1"),
            },
        ]);
}

#[test]
fn an_open_account_is_not_opened_again() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(pay(eur("5")))
        .then_expect_events(vec![paid("5", "15")]);
}

#[test]
fn a_rejected_command_on_a_new_account_does_not_open_it() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(pay(eur("0")))
        .then_expect_error(AccountError::AmountNotPositive);
}

// Routing.

#[test]
fn a_command_for_another_client_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(AccountCommand::PostPayment {
            client_id: other_client_id(),
            provider_id: provider_id(),
            payment_id: payment_id(),
            amount: eur("1"),
            method: card(),
        })
        .then_expect_error(AccountError::WrongAccount);
}

#[test]
fn a_command_for_another_provider_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(AccountCommand::AdjustBalance {
            client_id: client_id(),
            provider_id: other_provider_id(),
            adjustment_id: adjustment_id(),
            amount: eur("1"),
            reason: "goodwill".to_string(),
        })
        .then_expect_error(AccountError::WrongAccount);
}

#[test]
fn a_payment_in_another_currency_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(pay(usd("10")))
        .then_expect_error(AccountError::CurrencyMismatch {
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

#[test]
fn an_adjustment_in_another_currency_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(adjust(usd("10"), "goodwill"))
        .then_expect_error(AccountError::CurrencyMismatch {
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

// Payments.

#[test]
fn a_payment_raises_the_balance() {
    AccountTester::with(())
        .given(vec![opened(), adjusted("-30", "setup fee", "-30")])
        .when(pay(eur("12.50")))
        .then_expect_events(vec![paid("12.50", "-17.50")]);
}

#[test]
fn a_zero_payment_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(pay(eur("0")))
        .then_expect_error(AccountError::AmountNotPositive);
}

#[test]
fn a_negative_payment_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(pay(eur("-1")))
        .then_expect_error(AccountError::AmountNotPositive);
}

#[test]
fn a_payment_that_overflows_the_balance_is_rejected() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("999999999999999.99", "999999999999999.99"),
        ])
        .when(pay(eur("0.01")))
        .then_expect_error(AccountError::Money(MoneyError::Overflow));
}

#[test]
fn a_repeated_payment_id_is_not_the_aggregates_concern() {
    // The event store rejects a repeated command key before the aggregate sees it.
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(pay(eur("10")))
        .then_expect_events(vec![paid("10", "20")]);
}

// Adjustments.

#[test]
fn a_positive_adjustment_credits_the_account() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(adjust(eur("2.5"), "goodwill"))
        .then_expect_events(vec![adjusted("2.50", "goodwill", "12.50")]);
}

#[test]
fn a_negative_adjustment_debits_the_account() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(adjust(eur("-15"), "chargeback"))
        .then_expect_events(vec![adjusted("-15", "chargeback", "-5")]);
}

#[test]
fn a_zero_adjustment_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(adjust(eur("0"), "nothing"))
        .then_expect_error(AccountError::ZeroAdjustment);
}

#[test]
fn the_adjustment_reason_is_stored_trimmed() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(adjust(eur("1"), "  goodwill \n"))
        .then_expect_events(vec![adjusted("1", "goodwill", "1")]);
}

#[test]
fn a_blank_adjustment_reason_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(adjust(eur("1"), "   "))
        .then_expect_error(AccountError::InvalidReason);
}

#[test]
fn an_adjustment_reason_over_500_characters_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(adjust(eur("1"), &"r".repeat(501)))
        .then_expect_error(AccountError::InvalidReason);
}

#[test]
fn an_adjustment_reason_of_500_characters_is_accepted() {
    let reason = "r".repeat(500);
    AccountTester::with(())
        .given(vec![opened()])
        .when(adjust(eur("1"), &reason))
        .then_expect_events(vec![adjusted("1", &reason, "1")]);
}

#[test]
fn an_adjustment_that_overflows_the_balance_is_rejected() {
    AccountTester::with(())
        .given(vec![
            opened(),
            adjusted("-999999999999999.99", "debt", "-999999999999999.99"),
        ])
        .when(adjust(eur("-0.01"), "more debt"))
        .then_expect_error(AccountError::Money(MoneyError::Overflow));
}

// State.

#[test]
fn a_new_account_has_no_state() {
    let account = Account::default();
    assert!(!account.is_open());
    assert_eq!(account.balance(), None);
    assert_eq!(account.credit_limit(), None);
    assert_eq!(account.client_id(), None);
    assert_eq!(account.currency(), None);
}

#[test]
fn an_opened_account_starts_at_zero_with_no_credit() {
    let mut account = Account::default();
    account.apply(opened());
    assert!(account.is_open());
    assert_eq!(
        account.account_id(),
        Some(AccountId::of(client_id(), provider_id(), Currency::EUR))
    );
    assert_eq!(account.client_id(), Some(client_id()));
    assert_eq!(account.provider_id(), Some(provider_id()));
    assert_eq!(account.currency(), Some(Currency::EUR));
    assert_eq!(account.balance(), Some(eur("0")));
    assert_eq!(account.credit_limit(), Some(eur("0")));
}

#[test]
fn applying_money_events_takes_the_balance_they_carry() {
    let mut account = Account::default();
    account.apply(opened());
    account.apply(paid("10", "10"));
    account.apply(adjusted("-3", "fee", "7"));
    assert_eq!(account.balance(), Some(eur("7")));
}

#[test]
fn the_account_state_round_trips_through_json() {
    let mut account = Account::default();
    account.apply(opened());
    account.apply(paid("10", "10"));
    let json = serde_json::to_string(&account).unwrap();
    assert_eq!(serde_json::from_str::<Account>(&json).unwrap(), account);
}

// Payment methods.

#[test]
fn payment_methods_are_short_lowercase_machine_names() {
    for method in [
        "card",
        "bank_transfer",
        "sepa-dd",
        "paypal2",
        &"m".repeat(64),
    ] {
        assert_eq!(PaymentMethod::parse(method).unwrap().as_str(), method);
    }
}

#[test]
fn malformed_payment_methods_are_rejected() {
    for method in [
        "",
        "Card",
        "bank transfer",
        " card",
        "carte_bleue_é",
        &"m".repeat(65),
    ] {
        assert_eq!(
            PaymentMethod::parse(method),
            Err(AccountError::InvalidMethod(method.to_string())),
            "{method:?}"
        );
    }
}

#[test]
fn a_payment_method_serializes_as_a_validated_string() {
    assert_eq!(serde_json::to_string(&card()).unwrap(), r#""card""#);
    assert_eq!(
        serde_json::from_str::<PaymentMethod>(r#""card""#).unwrap(),
        card()
    );
    assert!(serde_json::from_str::<PaymentMethod>(r#""Card""#).is_err());
}

// Events and errors.

#[test]
fn a_payment_event_has_a_stable_json_shape() {
    let json = serde_json::to_value(paid("12.5", "12.5")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"PaymentPosted": {
            "payment_id": "00000000-0000-0000-0000-000000000030",
            "amount": {"amount": "12.50", "currency": "EUR"},
            "method": "card",
            "balance_after": {"amount": "12.50", "currency": "EUR"},
        }})
    );
    assert_eq!(
        serde_json::from_value::<AccountEvent>(json).unwrap(),
        paid("12.5", "12.5")
    );
}

#[test]
fn account_events_have_literal_names_and_version_one() {
    assert_eq!(opened().event_type(), "AccountOpened");
    assert_eq!(paid("1", "1").event_type(), "PaymentPosted");
    assert_eq!(adjusted("1", "x", "1").event_type(), "BalanceAdjusted");
    assert_eq!(opened().event_version(), "1.0");
    assert_eq!(Account::TYPE, "Account");
}

#[test]
fn account_error_codes_are_stable() {
    let cases = [
        (AccountError::AmountNotPositive, "amount_not_positive"),
        (AccountError::ZeroAdjustment, "zero_adjustment"),
        (
            AccountError::CurrencyMismatch {
                expected: Currency::EUR,
                found: Currency::USD,
            },
            "currency_mismatch",
        ),
        (AccountError::InvalidReason, "invalid_reason"),
        (AccountError::InvalidMethod(String::new()), "invalid_method"),
        (AccountError::WrongAccount, "wrong_account"),
        (
            AccountError::Money(MoneyError::Overflow),
            "amount_out_of_range",
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}

#[test]
fn a_money_error_keeps_its_own_message() {
    assert_eq!(
        AccountError::Money(MoneyError::Overflow).to_string(),
        "amount is out of range"
    );
}
