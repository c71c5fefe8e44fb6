//! Given/when/then tests of the Account aggregate, one rule per test. Kept in one file, however
//! long, because they share one set of small fixtures and are read by searching for a rule.

use chrono::NaiveDate;
use cqrs_es::test::TestFramework;
use cqrs_es::{Aggregate, DomainEvent};
use uuid::Uuid;

use super::*;
use crate::ids::{AdjustmentId, CorrectionId, ExpenseId, MergeId, PaymentId, RefundId, ServiceId};
use crate::money::MoneyError;
use crate::tax::{TaxMode, TaxRate, TaxedAmount};

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
        conversion: None,
    }
}

fn paid(amount: &str, balance_after: &str) -> AccountEvent {
    AccountEvent::PaymentPosted {
        payment_id: payment_id(),
        amount: eur(amount),
        method: card(),
        balance_after: eur(balance_after),
        conversion: None,
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

fn service_id() -> ServiceId {
    ServiceId::from_uuid(Uuid::from_u128(0x50))
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn line(amount: Money, description: &str) -> ExpenseLine {
    ExpenseLine {
        expense_id: ExpenseId::for_period(service_id(), date("2025-01-31")),
        service_id: service_id(),
        period_start: date("2025-01-31"),
        period_end: date("2025-02-28"),
        amount,
        description: description.to_string(),
        discount: None,
        tax: None,
    }
}

/// `line` as the account records it when the client is not taxed: net = amount, no tax.
fn untaxed(line: ExpenseLine) -> ExpenseLine {
    ExpenseLine {
        tax: Some(ExpenseTax {
            treatment: TaxTreatment::NotTaxed,
            net: line.amount,
            tax: Money::zero(line.amount.currency()),
        }),
        ..line
    }
}

/// A charge of `amount` after a promo code took `discount` off `list_amount`.
fn discounted_charge(list_amount: &str, discount: &str, amount: &str) -> AccountCommand {
    AccountCommand::ChargeExpense {
        client_id: client_id(),
        provider_id: provider_id(),
        expense: discounted_line(list_amount, discount, amount),
        treatment: TaxTreatment::NotTaxed,
    }
}

fn discounted_line(list_amount: &str, discount: &str, amount: &str) -> ExpenseLine {
    ExpenseLine {
        discount: Some(ExpenseDiscount {
            code: "SPRING25".to_string(),
            list_amount: eur(list_amount),
            amount: eur(discount),
        }),
        ..line(eur(amount), "VDS S, January")
    }
}

fn credit_line(amount: &str) -> ExpenseLine {
    ExpenseLine {
        expense_id: ExpenseId::for_change(service_id(), 1, "credit"),
        period_start: date("2025-02-10"),
        ..line(eur(amount), "VDS S, unused days")
    }
}

fn charge_line(amount: &str) -> ExpenseLine {
    ExpenseLine {
        expense_id: ExpenseId::for_change(service_id(), 1, "charge"),
        period_start: date("2025-02-10"),
        ..line(eur(amount), "VDS M, remaining days")
    }
}

fn charge(amount: Money) -> AccountCommand {
    AccountCommand::ChargeExpense {
        client_id: client_id(),
        provider_id: provider_id(),
        expense: line(amount, "VDS S, January"),
        treatment: TaxTreatment::NotTaxed,
    }
}

fn charged(amount: &str, balance_after: &str) -> AccountEvent {
    AccountEvent::ExpenseCharged {
        expense: untaxed(line(eur(amount), "VDS S, January")),
        balance_after: eur(balance_after),
    }
}

fn replace(credit: &str, charge: &str) -> AccountCommand {
    AccountCommand::ReplaceCharge {
        client_id: client_id(),
        provider_id: provider_id(),
        credited_charge: None,
        credit: credit_line(credit),
        charge: charge_line(charge),
        treatment: TaxTreatment::NotTaxed,
    }
}

fn set_limit(limit: Money) -> AccountCommand {
    AccountCommand::SetCreditLimit {
        client_id: client_id(),
        provider_id: provider_id(),
        limit,
    }
}

fn limit_set(limit: &str) -> AccountEvent {
    AccountEvent::CreditLimitSet { limit: eur(limit) }
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
                conversion: None,
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
            conversion: None,
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

// Charges.

#[test]
fn a_charge_lowers_the_balance() {
    AccountTester::with(())
        .given(vec![opened(), paid("30", "30")])
        .when(charge(eur("12.00")))
        .then_expect_events(vec![charged("12.00", "18.00")]);
}

#[test]
fn a_charge_may_use_the_whole_balance() {
    AccountTester::with(())
        .given(vec![opened(), paid("12", "12")])
        .when(charge(eur("12.00")))
        .then_expect_events(vec![charged("12.00", "0.00")]);
}

#[test]
fn a_charge_beyond_the_balance_is_refused_without_a_credit_limit() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(charge(eur("12.00")))
        .then_expect_error(AccountError::InsufficientFunds {
            needed: eur("12.00"),
            available: eur("10.00"),
        });
}

#[test]
fn a_charge_may_go_into_the_credit_limit() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10"), limit_set("5")])
        .when(charge(eur("15.00")))
        .then_expect_events(vec![charged("15.00", "-5.00")]);
}

#[test]
fn a_charge_beyond_the_credit_limit_is_refused() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10"), limit_set("5")])
        .when(charge(eur("15.01")))
        .then_expect_error(AccountError::InsufficientFunds {
            needed: eur("15.01"),
            available: eur("15.00"),
        });
}

#[test]
fn a_charge_on_a_new_account_is_refused_for_lack_of_credit() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(charge(eur("1")))
        .then_expect_error(AccountError::InsufficientFunds {
            needed: eur("1"),
            available: eur("0"),
        });
}

#[test]
fn a_zero_charge_is_recorded_and_needs_no_money() {
    // A period of a free tariff: paid by an empty account, the balance unchanged.
    AccountTester::with(())
        .given(vec![opened()])
        .when(charge(eur("0")))
        .then_expect_events(vec![charged("0", "0")]);
}

#[test]
fn a_negative_charge_is_rejected() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(charge(eur("-1")))
        .then_expect_error(AccountError::AmountNotPositive);
}

#[test]
fn a_charge_in_another_currency_is_rejected() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(charge(usd("1")))
        .then_expect_error(AccountError::CurrencyMismatch {
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

#[test]
fn a_charge_for_another_client_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(AccountCommand::ChargeExpense {
            client_id: other_client_id(),
            provider_id: provider_id(),
            expense: line(eur("1"), "VDS S, January"),
            treatment: TaxTreatment::NotTaxed,
        })
        .then_expect_error(AccountError::WrongAccount);
}

#[test]
fn a_charge_description_is_stored_trimmed() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(AccountCommand::ChargeExpense {
            client_id: client_id(),
            provider_id: provider_id(),
            expense: line(eur("1"), "  VDS S, January \n"),
            treatment: TaxTreatment::NotTaxed,
        })
        .then_expect_events(vec![charged("1", "9")]);
}

#[test]
fn a_blank_charge_description_is_rejected() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(AccountCommand::ChargeExpense {
            client_id: client_id(),
            provider_id: provider_id(),
            expense: line(eur("1"), " "),
            treatment: TaxTreatment::NotTaxed,
        })
        .then_expect_error(AccountError::InvalidDescription);
}

#[test]
fn a_charge_description_over_500_characters_is_rejected() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(AccountCommand::ChargeExpense {
            client_id: client_id(),
            provider_id: provider_id(),
            expense: line(eur("1"), &"d".repeat(501)),
            treatment: TaxTreatment::NotTaxed,
        })
        .then_expect_error(AccountError::InvalidDescription);
}

#[test]
fn a_charge_on_a_new_account_with_credit_opens_it_first() {
    // A new account has no credit, so only a command that sets one can come first; the charge
    // then finds the account open.
    AccountTester::with(())
        .given(vec![opened(), limit_set("20")])
        .when(charge(eur("12.00")))
        .then_expect_events(vec![charged("12.00", "-12.00")]);
}

#[test]
fn a_repeated_expense_id_is_not_the_aggregates_concern() {
    AccountTester::with(())
        .given(vec![opened(), paid("30", "30"), charged("12", "18")])
        .when(charge(eur("12")))
        .then_expect_events(vec![charged("12", "6")]);
}

// Discounted charges.

#[test]
fn a_discounted_charge_records_its_list_amount_and_discount() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(discounted_charge("9.99", "1.00", "8.99"))
        .then_expect_events(vec![AccountEvent::ExpenseCharged {
            expense: untaxed(discounted_line("9.99", "1.00", "8.99")),
            balance_after: eur("1.01"),
        }]);
}

#[test]
fn a_charge_whose_discount_does_not_add_up_is_rejected() {
    for (list_amount, discount, amount) in [("9.99", "1.00", "9.00"), ("9.99", "-1.00", "10.99")] {
        AccountTester::with(())
            .given(vec![opened(), paid("10", "10")])
            .when(discounted_charge(list_amount, discount, amount))
            .then_expect_error(AccountError::InvalidDiscount);
    }
}

#[test]
fn a_charge_whose_discount_is_in_another_currency_is_rejected() {
    let mut expense = discounted_line("9.99", "1.00", "8.99");
    if let Some(discount) = &mut expense.discount {
        discount.amount = usd("1.00");
    }
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(AccountCommand::ChargeExpense {
            client_id: client_id(),
            provider_id: provider_id(),
            expense,
            treatment: TaxTreatment::NotTaxed,
        })
        .then_expect_error(AccountError::InvalidDiscount);
}

#[test]
fn a_charge_discounted_to_zero_is_recorded_even_beyond_the_credit_limit() {
    // Nothing is taken, so nothing needs covering.
    AccountTester::with(())
        .given(vec![opened()])
        .when(discounted_charge("9.99", "9.99", "0.00"))
        .then_expect_events(vec![AccountEvent::ExpenseCharged {
            expense: untaxed(discounted_line("9.99", "9.99", "0.00")),
            balance_after: eur("0.00"),
        }]);
}

#[test]
fn a_charge_stored_before_promo_codes_reads_without_a_discount() {
    let stored = serde_json::to_value(line(eur("1"), "VDS S, January")).unwrap();
    assert!(stored.get("discount").is_none());
    let read: ExpenseLine = serde_json::from_value(stored).unwrap();
    assert_eq!(read, line(eur("1"), "VDS S, January"));
}

// Replacing a charge.

#[test]
fn replacing_a_charge_credits_the_old_part_then_charges_the_new() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(replace("6.00", "9.00"))
        .then_expect_events(vec![
            AccountEvent::ExpenseCredited {
                expense: untaxed(credit_line("6.00")),
                balance_after: eur("16.00"),
                of_expense: None,
            },
            AccountEvent::ExpenseCharged {
                expense: untaxed(charge_line("9.00")),
                balance_after: eur("7.00"),
            },
        ]);
}

#[test]
fn replacing_a_charge_is_refused_when_the_net_charge_exceeds_the_funds() {
    AccountTester::with(())
        .given(vec![opened(), paid("2", "2"), limit_set("1")])
        .when(replace("6.00", "9.01"))
        .then_expect_error(AccountError::InsufficientFunds {
            needed: eur("3.01"),
            available: eur("3.00"),
        });
}

#[test]
fn replacing_a_charge_with_a_cheaper_one_is_allowed_beyond_the_limit() {
    // The balance is already below the (lowered) limit; a downgrade reduces the debt.
    AccountTester::with(())
        .given(vec![opened(), adjusted("-20", "debt", "-20")])
        .when(replace("9.00", "6.00"))
        .then_expect_events(vec![
            AccountEvent::ExpenseCredited {
                expense: untaxed(credit_line("9.00")),
                balance_after: eur("-11.00"),
                of_expense: None,
            },
            AccountEvent::ExpenseCharged {
                expense: untaxed(charge_line("6.00")),
                balance_after: eur("-17.00"),
            },
        ]);
}

#[test]
fn replacing_a_charge_skips_a_zero_credit() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(replace("0", "4.00"))
        .then_expect_events(vec![AccountEvent::ExpenseCharged {
            expense: untaxed(charge_line("4.00")),
            balance_after: eur("6.00"),
        }]);
}

#[test]
fn replacing_a_charge_skips_a_zero_charge() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(replace("4.00", "0"))
        .then_expect_events(vec![AccountEvent::ExpenseCredited {
            expense: untaxed(credit_line("4.00")),
            balance_after: eur("4.00"),
            of_expense: None,
        }]);
}

#[test]
fn replacing_a_charge_with_two_zero_lines_records_nothing() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(replace("0", "0"))
        .then_expect_events(vec![]);
}

#[test]
fn replacing_a_charge_with_a_negative_line_is_rejected() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(replace("-1", "4"))
        .then_expect_error(AccountError::AmountNotPositive);
}

#[test]
fn replacing_a_charge_in_two_currencies_is_rejected() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(AccountCommand::ReplaceCharge {
            client_id: client_id(),
            provider_id: provider_id(),
            credited_charge: None,
            credit: credit_line("1"),
            charge: ExpenseLine {
                amount: usd("2"),
                ..charge_line("2")
            },
            treatment: TaxTreatment::NotTaxed,
        })
        .then_expect_error(AccountError::CurrencyMismatch {
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

#[test]
fn replacing_a_charge_with_a_blank_description_is_rejected() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(AccountCommand::ReplaceCharge {
            client_id: client_id(),
            provider_id: provider_id(),
            credited_charge: None,
            credit: credit_line("1"),
            charge: ExpenseLine {
                description: String::new(),
                ..charge_line("2")
            },
            treatment: TaxTreatment::NotTaxed,
        })
        .then_expect_error(AccountError::InvalidDescription);
}

// Credit limits.

#[test]
fn setting_a_credit_limit_records_it() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(set_limit(eur("50")))
        .then_expect_events(vec![limit_set("50")]);
}

#[test]
fn setting_a_credit_limit_on_a_new_account_opens_it_first() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(set_limit(eur("50")))
        .then_expect_events(vec![opened(), limit_set("50")]);
}

#[test]
fn setting_an_unchanged_credit_limit_records_nothing() {
    AccountTester::with(())
        .given(vec![opened(), limit_set("50")])
        .when(set_limit(eur("50.00")))
        .then_expect_events(vec![]);
}

#[test]
fn setting_a_zero_credit_limit_on_a_new_account_records_nothing() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(set_limit(eur("0")))
        .then_expect_events(vec![]);
}

#[test]
fn a_negative_credit_limit_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(set_limit(eur("-1")))
        .then_expect_error(AccountError::NegativeCreditLimit);
}

#[test]
fn a_credit_limit_in_another_currency_is_rejected() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(set_limit(usd("10")))
        .then_expect_error(AccountError::CurrencyMismatch {
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

#[test]
fn lowering_the_credit_limit_below_the_debt_is_allowed() {
    // The limit governs new charges; it does not undo old ones.
    AccountTester::with(())
        .given(vec![opened(), limit_set("50"), charged("40", "-40")])
        .when(set_limit(eur("10")))
        .then_expect_events(vec![limit_set("10")]);
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
fn the_available_amount_is_the_balance_plus_the_credit_limit() {
    let mut account = Account::default();
    assert_eq!(account.available(), None);
    account.apply(opened());
    account.apply(limit_set("50"));
    account.apply(charged("20", "-20"));
    assert_eq!(account.credit_limit(), Some(eur("50")));
    assert_eq!(account.balance(), Some(eur("-20")));
    assert_eq!(account.available(), Some(eur("30")));
}

#[test]
fn applying_a_credit_takes_the_balance_it_carries() {
    let mut account = Account::default();
    account.apply(opened());
    account.apply(AccountEvent::ExpenseCredited {
        expense: credit_line("3"),
        balance_after: eur("3"),
        of_expense: None,
    });
    assert_eq!(account.balance(), Some(eur("3")));
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
fn an_expense_charged_event_stored_before_charges_carried_tax_still_reads() {
    let event = AccountEvent::ExpenseCharged {
        expense: line(eur("12.5"), "VDS S, January"),
        balance_after: eur("-2.5"),
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ExpenseCharged": {
            "expense": {
                "expense_id": ExpenseId::for_period(service_id(), date("2025-01-31")).to_string(),
                "service_id": "00000000-0000-0000-0000-000000000050",
                "period_start": "2025-01-31",
                "period_end": "2025-02-28",
                "amount": {"amount": "12.50", "currency": "EUR"},
                "description": "VDS S, January",
            },
            "balance_after": {"amount": "-2.50", "currency": "EUR"},
        }})
    );
    assert_eq!(serde_json::from_value::<AccountEvent>(json).unwrap(), event);
}

#[test]
fn account_events_have_literal_names_and_version_one() {
    assert_eq!(charged("1", "1").event_type(), "ExpenseCharged");
    assert_eq!(
        AccountEvent::ExpenseCredited {
            expense: credit_line("1"),
            balance_after: eur("1"),
            of_expense: None,
        }
        .event_type(),
        "ExpenseCredited"
    );
    assert_eq!(limit_set("1").event_type(), "CreditLimitSet");
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
            AccountError::InsufficientFunds {
                needed: eur("1"),
                available: eur("0"),
            },
            "insufficient_funds",
        ),
        (AccountError::NegativeCreditLimit, "negative_credit_limit"),
        (AccountError::InvalidDescription, "invalid_description"),
        (
            AccountError::CreditExceedsCharge {
                requested: eur("1"),
                remaining: eur("0"),
            },
            "credit_exceeds_charge",
        ),
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

// Refunds, reversals and corrections.

fn refund_id(n: u128) -> RefundId {
    RefundId::from_uuid(Uuid::from_u128(0x60 + n))
}

fn refund(n: u128, amount: &str) -> AccountCommand {
    AccountCommand::RefundPayment {
        client_id: client_id(),
        provider_id: provider_id(),
        refund_id: refund_id(n),
        payment_id: payment_id(),
        credited: eur("100.00"),
        amount: eur(amount),
        reason: " client asked ".to_string(),
    }
}

fn refunded(n: u128, amount: &str, balance_after: &str) -> AccountEvent {
    AccountEvent::PaymentRefunded {
        refund_id: refund_id(n),
        payment_id: payment_id(),
        amount: eur(amount),
        reason: "client asked".to_string(),
        balance_after: eur(balance_after),
    }
}

fn reverse() -> AccountCommand {
    AccountCommand::ReversePayment {
        client_id: client_id(),
        provider_id: provider_id(),
        payment_id: payment_id(),
        credited: eur("100.00"),
        reason: "chargeback".to_string(),
    }
}

fn correction_id(n: u128) -> CorrectionId {
    CorrectionId::from_uuid(Uuid::from_u128(0x70 + n))
}

fn correct(n: u128, give_back: Option<&str>) -> AccountCommand {
    AccountCommand::CorrectExpense {
        client_id: client_id(),
        provider_id: provider_id(),
        correction_id: correction_id(n),
        expense_id: line(eur("1"), "x").expense_id,
        charged: eur("30.00"),
        give_back: give_back.map(eur),
        charged_tax_rate: TaxRate::ZERO,
        reason: "outage".to_string(),
    }
}

fn corrected(n: u128, amount: &str, voided: bool, balance_after: &str) -> AccountEvent {
    AccountEvent::ExpenseCorrected {
        correction_id: correction_id(n),
        expense_id: line(eur("1"), "x").expense_id,
        amount: eur(amount),
        voided,
        reason: "outage".to_string(),
        balance_after: eur(balance_after),
        tax: Some(TaxedAmount {
            rate: TaxRate::ZERO,
            net: eur(amount),
            tax: eur("0"),
            gross: eur(amount),
        }),
    }
}

#[test]
fn unallocated_money_of_a_payment_is_refunded_from_the_balance() {
    AccountTester::with(())
        .given(vec![opened(), paid("100.00", "100.00")])
        .when(refund(1, "40.00"))
        .then_expect_events(vec![refunded(1, "40.00", "60.00")]);
}

#[test]
fn a_refund_cannot_take_money_already_spent_on_services() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("100.00", "100.00"),
            charged("70.00", "30.00"),
        ])
        .when(refund(1, "30.01"))
        .then_expect_error(AccountError::RefundExceedsUnallocated {
            requested: eur("30.01"),
            unallocated: eur("30.00"),
        });
}

#[test]
fn a_refund_of_an_account_in_debt_finds_nothing_unallocated() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("100.00", "100.00"),
            charged("150.00", "-50.00"),
        ])
        .when(refund(1, "1.00"))
        .then_expect_error(AccountError::RefundExceedsUnallocated {
            requested: eur("1.00"),
            unallocated: eur("0.00"),
        });
}

#[test]
fn refunds_of_one_payment_never_add_up_to_more_than_it_credited() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("100.00", "100.00"),
            paid("100.00", "200.00"),
            refunded(1, "60.00", "140.00"),
        ])
        .when(refund(2, "40.01"))
        .then_expect_error(AccountError::RefundExceedsPayment {
            requested: eur("40.01"),
            refundable: eur("40.00"),
        });
}

#[test]
fn the_rest_of_a_payment_can_still_be_refunded() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("100.00", "100.00"),
            refunded(1, "60.00", "40.00"),
        ])
        .when(refund(2, "40.00"))
        .then_expect_events(vec![refunded(2, "40.00", "0.00")]);
}

#[test]
fn a_refund_must_be_positive_and_have_a_reason() {
    AccountTester::with(())
        .given(vec![opened(), paid("100.00", "100.00")])
        .when(refund(1, "0"))
        .then_expect_error(AccountError::AmountNotPositive);
    let mut blank = refund(1, "1");
    if let AccountCommand::RefundPayment { reason, .. } = &mut blank {
        *reason = "  ".to_string();
    }
    AccountTester::with(())
        .given(vec![opened(), paid("100.00", "100.00")])
        .when(blank)
        .then_expect_error(AccountError::InvalidReason);
}

#[test]
fn nothing_is_refunded_from_an_account_that_never_opened() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(refund(1, "1.00"))
        .then_expect_error(AccountError::NothingLeft);
}

#[test]
fn a_fraudulent_payment_is_taken_back_less_what_was_refunded_even_into_debt() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("100.00", "100.00"),
            refunded(1, "30.00", "70.00"),
            charged("60.00", "10.00"),
        ])
        .when(reverse())
        .then_expect_events(vec![AccountEvent::PaymentReversed {
            payment_id: payment_id(),
            amount: eur("70.00"),
            reason: "chargeback".to_string(),
            balance_after: eur("-60.00"),
        }]);
}

#[test]
fn a_payment_reversed_once_is_not_reversed_again() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("100.00", "100.00"),
            AccountEvent::PaymentReversed {
                payment_id: payment_id(),
                amount: eur("100.00"),
                reason: "chargeback".to_string(),
                balance_after: eur("0.00"),
            },
        ])
        .when(reverse())
        .then_expect_events(vec![]);
}

#[test]
fn part_of_an_expense_is_given_back_and_then_the_rest_voided() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("100.00", "100.00"),
            charged("30.00", "70.00"),
        ])
        .when(correct(1, Some("10.00")))
        .then_expect_events(vec![corrected(1, "10.00", false, "80.00")]);
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("100.00", "100.00"),
            charged("30.00", "70.00"),
            corrected(1, "10.00", false, "80.00"),
        ])
        .when(correct(2, None))
        .then_expect_events(vec![corrected(2, "20.00", true, "100.00")]);
}

#[test]
fn a_correction_cannot_give_back_more_than_is_left_of_the_expense() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("100.00", "100.00"),
            charged("30.00", "70.00"),
            corrected(1, "10.00", false, "80.00"),
        ])
        .when(correct(2, Some("20.01")))
        .then_expect_error(AccountError::CorrectionExceedsExpense {
            requested: eur("20.01"),
            remaining: eur("20.00"),
        });
}

#[test]
fn a_voided_expense_cannot_be_voided_again() {
    AccountTester::with(())
        .given(vec![
            opened(),
            charged("30.00", "-30.00"),
            corrected(1, "30.00", true, "0.00"),
        ])
        .when(correct(2, None))
        .then_expect_error(AccountError::NothingLeft);
}

#[test]
fn a_credit_is_not_corrected_it_would_give_back_money_twice() {
    let mut command = correct(1, None);
    if let AccountCommand::CorrectExpense { charged, .. } = &mut command {
        *charged = eur("-7.50");
    }
    AccountTester::with(())
        .given(vec![opened(), paid("100.00", "100.00")])
        .when(command)
        .then_expect_error(AccountError::NotACharge);
}

#[test]
fn the_new_account_events_have_literal_names() {
    assert_eq!(refunded(1, "1", "1").event_type(), "PaymentRefunded");
    assert_eq!(
        corrected(1, "1", true, "1").event_type(),
        "ExpenseCorrected"
    );
    assert_eq!(
        AccountEvent::PaymentReversed {
            payment_id: payment_id(),
            amount: eur("1"),
            reason: "x".to_string(),
            balance_after: eur("0"),
        }
        .event_type(),
        "PaymentReversed"
    );
    assert_eq!(
        AccountError::RefundExceedsUnallocated {
            requested: eur("1"),
            unallocated: eur("0"),
        }
        .code(),
        "refund_exceeds_unallocated"
    );
}

#[test]
fn a_converted_payment_keeps_its_conversion_and_must_credit_what_it_converted_to() {
    let conversion = crate::rates::Conversion {
        from: usd("100.00"),
        to: eur("92.34"),
        rate: crate::rates::ExchangeRate::parse("0.9234").unwrap(),
        effective_from: date("2027-01-01"),
    };
    let converted = |amount: &str| AccountCommand::PostPayment {
        client_id: client_id(),
        provider_id: provider_id(),
        payment_id: payment_id(),
        amount: eur(amount),
        method: card(),
        conversion: Some(conversion),
    };
    AccountTester::with(())
        .given(vec![opened()])
        .when(converted("92.34"))
        .then_expect_events(vec![AccountEvent::PaymentPosted {
            payment_id: payment_id(),
            amount: eur("92.34"),
            method: card(),
            balance_after: eur("92.34"),
            conversion: Some(conversion),
        }]);
    AccountTester::with(())
        .given(vec![opened()])
        .when(converted("92.35"))
        .then_expect_error(AccountError::ConversionMismatch);
}

#[test]
fn a_conversion_not_at_its_own_rate_credits_nothing() {
    // 100.00 USD at 0.9234 is 92.34 EUR, not 500.00.
    let inflated = crate::rates::Conversion {
        from: usd("100.00"),
        to: eur("500.00"),
        rate: crate::rates::ExchangeRate::parse("0.9234").unwrap(),
        effective_from: date("2027-01-01"),
    };
    AccountTester::with(())
        .given(vec![opened()])
        .when(AccountCommand::PostPayment {
            client_id: client_id(),
            provider_id: provider_id(),
            payment_id: payment_id(),
            amount: eur("500.00"),
            method: card(),
            conversion: Some(inflated),
        })
        .then_expect_error(AccountError::ConversionMismatch);
}

fn merge_id() -> MergeId {
    MergeId::from_uuid(Uuid::from_u128(0x90))
}

fn target_account() -> AccountId {
    AccountId::of(other_client_id(), provider_id(), Currency::EUR)
}

fn transfer_out() -> AccountCommand {
    AccountCommand::TransferBalanceOut {
        client_id: client_id(),
        provider_id: provider_id(),
        currency: Currency::EUR,
        merge_id: merge_id(),
        to_account: target_account(),
    }
}

fn source_account() -> AccountId {
    AccountId::of(client_id(), provider_id(), Currency::EUR)
}

#[test]
fn a_merge_moves_the_whole_positive_balance_out() {
    AccountTester::with(())
        .given(vec![opened(), paid("12.50", "12.50")])
        .when(transfer_out())
        .then_expect_events(vec![AccountEvent::BalanceTransferredOut {
            merge_id: merge_id(),
            to_account: target_account(),
            amount: eur("12.50"),
            balance_after: eur("0.00"),
            forward: None,
        }]);
}

#[test]
fn a_merge_moves_a_debt_out_as_a_negative_amount() {
    AccountTester::with(())
        .given(vec![opened(), adjusted("-7.25", "correction", "-7.25")])
        .when(transfer_out())
        .then_expect_events(vec![AccountEvent::BalanceTransferredOut {
            merge_id: merge_id(),
            to_account: target_account(),
            amount: eur("-7.25"),
            balance_after: eur("0.00"),
            forward: None,
        }]);
}

#[test]
fn a_merge_moves_a_balance_out_only_once() {
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("12.50", "12.50"),
            merged_out("12.50"),
            paid("1.00", "1.00"),
        ])
        .when(transfer_out())
        .then_expect_events(vec![]);
}

/// The merge's own transfer of `amount` out of the source account.
fn merged_out(amount: &str) -> AccountEvent {
    AccountEvent::BalanceTransferredOut {
        merge_id: merge_id(),
        to_account: target_account(),
        amount: eur(amount),
        balance_after: eur("0.00"),
        forward: None,
    }
}

/// The `n`-th forward of `amount` out of the merged source account.
fn forwarded_out(amount: &str, n: u32) -> AccountEvent {
    AccountEvent::BalanceTransferredOut {
        merge_id: merge_id(),
        to_account: target_account(),
        amount: eur(amount),
        balance_after: eur("0.00"),
        forward: Some(n),
    }
}

#[test]
fn a_merge_marks_an_empty_account_merged_and_opens_one_never_opened() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(transfer_out())
        .then_expect_events(vec![merged_out("0.00")]);
    AccountTester::with(())
        .given_no_previous_events()
        .when(transfer_out())
        .then_expect_events(vec![opened(), merged_out("0.00")]);
}

#[test]
fn a_payment_posted_to_a_merged_account_is_forwarded_to_the_account_it_was_merged_into() {
    AccountTester::with(())
        .given(vec![opened(), merged_out("0.00")])
        .when(pay(eur("12.50")))
        .then_expect_events(vec![paid("12.50", "12.50"), forwarded_out("12.50", 1)]);
}

#[test]
fn a_reversal_after_the_merge_forwards_the_debt_and_counts_its_forwards() {
    // Arrange: 7.27 paid, moved out by the merge, then a late payment forwarded once.
    let given = vec![
        opened(),
        paid("7.27", "7.27"),
        merged_out("7.27"),
        paid("1.00", "1.00"),
        forwarded_out("1.00", 1),
    ];

    let mut account = Account::default();
    for event in given {
        account.apply(event);
    }

    // Act
    let decided = account
        .decide(AccountCommand::ReversePayment {
            client_id: client_id(),
            provider_id: provider_id(),
            payment_id: payment_id(),
            credited: eur("7.27"),
            reason: "chargeback".to_owned(),
        })
        .unwrap();

    // Assert: the reversal leaves -7.27 on the merged account, which moves on as a debt.
    assert_eq!(decided.len(), 2, "{decided:?}");
    assert_eq!(decided[0].balance_after(), Some(eur("-7.27")));
    assert_eq!(decided[1], forwarded_out("-7.27", 2));
}

#[test]
fn a_forward_arrives_once_beside_the_merges_own_transfer() {
    let target_opened = AccountEvent::AccountOpened {
        account_id: target_account(),
        client_id: other_client_id(),
        provider_id: provider_id(),
        currency: Currency::EUR,
    };
    let forward_in = |n| AccountCommand::TransferBalanceIn {
        client_id: other_client_id(),
        provider_id: provider_id(),
        merge_id: merge_id(),
        from_account: source_account(),
        amount: eur("2.00"),
        forward: Some(n),
    };
    let arrived = |n, after: &str| AccountEvent::BalanceTransferredIn {
        merge_id: merge_id(),
        from_account: source_account(),
        amount: eur("2.00"),
        balance_after: eur(after),
        forward: Some(n),
    };
    let merged_in = AccountEvent::BalanceTransferredIn {
        merge_id: merge_id(),
        from_account: source_account(),
        amount: eur("5.00"),
        balance_after: eur("5.00"),
        forward: None,
    };
    AccountTester::with(())
        .given(vec![target_opened.clone(), merged_in.clone()])
        .when(forward_in(1))
        .then_expect_events(vec![arrived(1, "7.00")]);
    AccountTester::with(())
        .given(vec![
            target_opened.clone(),
            merged_in.clone(),
            arrived(1, "7.00"),
        ])
        .when(forward_in(1))
        .then_expect_events(vec![]);
    AccountTester::with(())
        .given(vec![target_opened, merged_in, arrived(1, "7.00")])
        .when(forward_in(2))
        .then_expect_events(vec![arrived(2, "9.00")]);
}

#[test]
fn a_transferred_debt_arrives_whatever_the_credit_limit() {
    let transfer_in = AccountCommand::TransferBalanceIn {
        client_id: other_client_id(),
        provider_id: provider_id(),
        merge_id: merge_id(),
        from_account: source_account(),
        amount: eur("-30.00"),
        forward: None,
    };
    let target_opened = AccountEvent::AccountOpened {
        account_id: target_account(),
        client_id: other_client_id(),
        provider_id: provider_id(),
        currency: Currency::EUR,
    };
    let arrived = AccountEvent::BalanceTransferredIn {
        merge_id: merge_id(),
        from_account: source_account(),
        amount: eur("-30.00"),
        balance_after: eur("-30.00"),
        forward: None,
    };
    AccountTester::with(())
        .given(vec![target_opened.clone()])
        .when(transfer_in.clone())
        .then_expect_events(vec![arrived.clone()]);
    AccountTester::with(())
        .given(vec![target_opened, arrived])
        .when(transfer_in)
        .then_expect_events(vec![]);
}

// Tax on charges: the account is charged what the client owes.

fn rate_19() -> TaxRate {
    TaxRate::parse("19").unwrap()
}

fn vat_19(mode: TaxMode) -> TaxTreatment {
    TaxTreatment::Standard {
        rate: rate_19(),
        mode,
    }
}

fn taxed_charge(price: &str, treatment: TaxTreatment) -> AccountCommand {
    AccountCommand::ChargeExpense {
        client_id: client_id(),
        provider_id: provider_id(),
        expense: line(eur(price), "VDS S, January"),
        treatment,
    }
}

fn with_tax(
    line: ExpenseLine,
    amount: &str,
    treatment: TaxTreatment,
    net: &str,
    tax: &str,
) -> ExpenseLine {
    ExpenseLine {
        amount: eur(amount),
        tax: Some(ExpenseTax {
            treatment,
            net: eur(net),
            tax: eur(tax),
        }),
        ..line
    }
}

#[test]
fn a_charge_with_vat_added_debits_the_price_plus_the_tax() {
    // 8.00 + 19 % = 8.00 + 1.52 = 9.52; 10.00 − 9.52 = 0.48.
    let added = vat_19(TaxMode::Added);
    AccountTester::with(())
        .given(vec![opened(), paid("10.00", "10.00")])
        .when(taxed_charge("8.00", added))
        .then_expect_events(vec![AccountEvent::ExpenseCharged {
            expense: with_tax(
                line(eur("8.00"), "VDS S, January"),
                "9.52",
                added,
                "8.00",
                "1.52",
            ),
            balance_after: eur("0.48"),
        }]);
}

#[test]
fn a_charge_with_vat_included_debits_the_price_and_records_the_tax_in_it() {
    // 9.52 includes 19 %: net = 9.52 / 1.19 = 8.00, tax = 9.52 − 8.00 = 1.52; 10.00 − 9.52 = 0.48.
    let included = vat_19(TaxMode::Included);
    AccountTester::with(())
        .given(vec![opened(), paid("10.00", "10.00")])
        .when(taxed_charge("9.52", included))
        .then_expect_events(vec![AccountEvent::ExpenseCharged {
            expense: with_tax(
                line(eur("9.52"), "VDS S, January"),
                "9.52",
                included,
                "8.00",
                "1.52",
            ),
            balance_after: eur("0.48"),
        }]);
}

#[test]
fn a_charge_under_reverse_charge_carries_no_tax() {
    // 8.00, no tax: 10.00 − 8.00 = 2.00.
    AccountTester::with(())
        .given(vec![opened(), paid("10.00", "10.00")])
        .when(taxed_charge("8.00", TaxTreatment::ReverseCharge))
        .then_expect_events(vec![AccountEvent::ExpenseCharged {
            expense: with_tax(
                line(eur("8.00"), "VDS S, January"),
                "8.00",
                TaxTreatment::ReverseCharge,
                "8.00",
                "0.00",
            ),
            balance_after: eur("2.00"),
        }]);
}

#[test]
fn the_credit_limit_is_checked_against_the_charge_with_its_tax() {
    // 8.00 + 19 % = 9.52 > 9.00 on the balance.
    AccountTester::with(())
        .given(vec![opened(), paid("9.00", "9.00")])
        .when(taxed_charge("8.00", vat_19(TaxMode::Added)))
        .then_expect_error(AccountError::InsufficientFunds {
            needed: eur("9.52"),
            available: eur("9.00"),
        });
}

#[test]
fn a_tariff_change_with_vat_added_credits_and_charges_with_the_tax() {
    // Credit 6.50 + 19 % = 6.50 + 1.24 (1.235 rounded up) = 7.74: 20.00 + 7.74 = 27.74.
    // Charge 11.50 + 19 % = 11.50 + 2.19 (2.185 rounded up) = 13.69: 27.74 − 13.69 = 14.05.
    let added = vat_19(TaxMode::Added);
    AccountTester::with(())
        .given(vec![opened(), paid("20.00", "20.00")])
        .when(AccountCommand::ReplaceCharge {
            client_id: client_id(),
            provider_id: provider_id(),
            credit: credit_line("6.50"),
            charge: charge_line("11.50"),
            treatment: added,
            credited_charge: None,
        })
        .then_expect_events(vec![
            AccountEvent::ExpenseCredited {
                expense: with_tax(credit_line("6.50"), "7.74", added, "6.50", "1.24"),
                balance_after: eur("27.74"),
                of_expense: None,
            },
            AccountEvent::ExpenseCharged {
                expense: with_tax(charge_line("11.50"), "13.69", added, "11.50", "2.19"),
                balance_after: eur("14.05"),
            },
        ]);
}

#[test]
fn voiding_a_charge_with_vat_gives_back_exactly_the_tax_it_charged() {
    // Charged 8.00 + 1.52 = 9.52; void: 9.52 at 19 % included = 8.00 + 1.52; 0.48 + 9.52 = 10.00.
    let added = vat_19(TaxMode::Added);
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("10.00", "10.00"),
            AccountEvent::ExpenseCharged {
                expense: with_tax(line(eur("8.00"), "x"), "9.52", added, "8.00", "1.52"),
                balance_after: eur("0.48"),
            },
        ])
        .when(AccountCommand::CorrectExpense {
            client_id: client_id(),
            provider_id: provider_id(),
            correction_id: correction_id(1),
            expense_id: line(eur("1"), "x").expense_id,
            charged: eur("9.52"),
            give_back: None,
            charged_tax_rate: rate_19(),
            reason: "outage".to_string(),
        })
        .then_expect_events(vec![AccountEvent::ExpenseCorrected {
            correction_id: correction_id(1),
            expense_id: line(eur("1"), "x").expense_id,
            amount: eur("9.52"),
            voided: true,
            reason: "outage".to_string(),
            balance_after: eur("10.00"),
            tax: Some(TaxedAmount {
                rate: rate_19(),
                net: eur("8.00"),
                tax: eur("1.52"),
                gross: eur("9.52"),
            }),
        }]);
}

#[test]
fn a_taxed_charge_reads_as_net_tax_and_gross_and_an_old_one_as_untaxed() {
    let added = vat_19(TaxMode::Added);
    let taxed = with_tax(line(eur("8.00"), "x"), "9.52", added, "8.00", "1.52");
    assert_eq!(taxed.taxed().net, eur("8.00"));
    assert_eq!(taxed.taxed().tax, eur("1.52"));
    assert_eq!(taxed.taxed().gross, eur("9.52"));
    assert_eq!(taxed.price(), eur("8.00"));
    let old = line(eur("8.00"), "x");
    assert_eq!(old.taxed().net, eur("8.00"));
    assert_eq!(old.taxed().tax, eur("0.00"));
    assert_eq!(old.price(), eur("8.00"));
    let json = serde_json::to_value(&taxed).unwrap();
    assert_eq!(
        json["tax"],
        serde_json::json!({
            "treatment": {"type": "standard", "rate": "19", "mode": "added"},
            "net": {"amount": "8.00", "currency": "EUR"},
            "tax": {"amount": "1.52", "currency": "EUR"},
        })
    );
    assert_eq!(serde_json::from_value::<ExpenseLine>(json).unwrap(), taxed);
}

// A tariff change gives back at most what is left of the charge it credits.

/// A tariff change's replacement that gives back `credit` of the period's 30.00 charge.
fn replace_of_charge(credit: &str, charge: &str) -> AccountCommand {
    AccountCommand::ReplaceCharge {
        client_id: client_id(),
        provider_id: provider_id(),
        credit: credit_line(credit),
        charge: charge_line(charge),
        treatment: TaxTreatment::NotTaxed,
        credited_charge: Some(CreditedCharge {
            expense_id: line(eur("1"), "x").expense_id,
            charged: eur("30.00"),
            treatment: TaxTreatment::NotTaxed,
        }),
    }
}

#[test]
fn a_credit_above_what_corrections_left_of_the_charge_is_refused() {
    // Staff gave back 20.00 of the 30.00 charge: 30.00 − 20.00 = 10.00 is left to credit.
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("50", "50"),
            corrected(1, "20.00", false, "70.00"),
        ])
        .when(replace_of_charge("10.01", "5.00"))
        .then_expect_error(AccountError::CreditExceedsCharge {
            requested: eur("10.01"),
            remaining: eur("10.00"),
        });
}

#[test]
fn a_credit_up_to_what_is_left_of_the_charge_is_given_and_remembered() {
    // 10.00 of the 30.00 charge come back with the change; a void afterwards gives back only
    // the 30.00 − 10.00 = 20.00 left, and a second credit of the same charge finds nothing left.
    let credited = AccountEvent::ExpenseCredited {
        expense: with_tax(
            credit_line("10.00"),
            "10.00",
            TaxTreatment::NotTaxed,
            "10.00",
            "0.00",
        ),
        balance_after: eur("60.00"),
        of_expense: Some(line(eur("1"), "x").expense_id),
    };
    AccountTester::with(())
        .given(vec![opened(), paid("50", "50")])
        .when(replace_of_charge("10.00", "0"))
        .then_expect_events(vec![credited.clone()]);
    AccountTester::with(())
        .given(vec![opened(), paid("50", "50"), credited.clone()])
        .when(correct(1, None))
        .then_expect_events(vec![corrected(1, "20.00", true, "80.00")]);
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("50", "50"),
            credited,
            corrected(1, "20.00", true, "80.00"),
        ])
        .when(replace_of_charge("0.01", "0"))
        .then_expect_error(AccountError::CreditExceedsCharge {
            requested: eur("0.01"),
            remaining: eur("0.00"),
        });
}

#[test]
fn with_vat_added_a_credit_is_weighed_against_the_charge_in_its_prices() {
    // The 30.00 charge was debited 30.00 + 19 % = 35.70; staff gave back 11.90 gross, which is
    // 11.90 ÷ 1.19 = 10.00 of the price: 30.00 − 10.00 = 20.00 is left to credit.
    let added = vat_19(TaxMode::Added);
    let replace = |credit: &str| AccountCommand::ReplaceCharge {
        client_id: client_id(),
        provider_id: provider_id(),
        credit: credit_line(credit),
        charge: charge_line("0"),
        treatment: added,
        credited_charge: Some(CreditedCharge {
            expense_id: line(eur("1"), "x").expense_id,
            charged: eur("30.00"),
            treatment: added,
        }),
    };
    let history = vec![
        opened(),
        paid("50", "50"),
        corrected(1, "11.90", false, "61.90"),
    ];
    AccountTester::with(())
        .given(history.clone())
        .when(replace("20.01"))
        .then_expect_error(AccountError::CreditExceedsCharge {
            requested: eur("20.01"),
            remaining: eur("20.00"),
        });
    // 20.00 + 19 % = 23.80 comes back: 61.90 + 23.80 = 85.70.
    AccountTester::with(())
        .given(history)
        .when(replace("20.00"))
        .then_expect_events(vec![AccountEvent::ExpenseCredited {
            expense: with_tax(credit_line("20.00"), "23.80", added, "20.00", "3.80"),
            balance_after: eur("85.70"),
            of_expense: Some(line(eur("1"), "x").expense_id),
        }]);
}

#[test]
fn a_credit_carries_the_tax_of_the_charge_it_gives_back_not_the_clients_tax_today() {
    // The 30.00 charge was not taxed; the client has moved to a country with 19 % added since.
    // A change gives back 10.00 of it, untaxed, and charges 5.00 + 19 % = 5.95 for the new
    // tariff: 50.00 + 10.00 − 5.95 = 54.05. Taxing the credit too would have given back 11.90,
    // 1.90 of VAT that was never paid.
    let added = vat_19(TaxMode::Added);
    AccountTester::with(())
        .given(vec![opened(), paid("50", "50")])
        .when(AccountCommand::ReplaceCharge {
            client_id: client_id(),
            provider_id: provider_id(),
            credit: credit_line("10.00"),
            charge: charge_line("5.00"),
            treatment: added,
            credited_charge: Some(CreditedCharge {
                expense_id: line(eur("1"), "x").expense_id,
                charged: eur("30.00"),
                treatment: TaxTreatment::NotTaxed,
            }),
        })
        .then_expect_events(vec![
            AccountEvent::ExpenseCredited {
                expense: with_tax(
                    credit_line("10.00"),
                    "10.00",
                    TaxTreatment::NotTaxed,
                    "10.00",
                    "0.00",
                ),
                balance_after: eur("60.00"),
                of_expense: Some(line(eur("1"), "x").expense_id),
            },
            AccountEvent::ExpenseCharged {
                expense: with_tax(charge_line("5.00"), "5.95", added, "5.00", "0.95"),
                balance_after: eur("54.05"),
            },
        ]);
}

fn import_balance(balance: &str, limit: &str) -> AccountCommand {
    AccountCommand::ImportBalance {
        client_id: client_id(),
        provider_id: provider_id(),
        balance: eur(balance),
        credit_limit: eur(limit),
        source: crate::import::ImportSource::parse("whmcs", "7").unwrap(),
    }
}

fn balance_imported(amount: &str) -> AccountEvent {
    AccountEvent::BalanceImported {
        amount: eur(amount),
        balance_after: eur(amount),
        source: crate::import::ImportSource::parse("whmcs", "7").unwrap(),
    }
}

#[test]
fn an_imported_balance_opens_the_account_with_its_credit_limit() {
    AccountTester::with(())
        .given_no_previous_events()
        .when(import_balance("-12.50", "20.00"))
        .then_expect_events(vec![
            opened(),
            balance_imported("-12.50"),
            AccountEvent::CreditLimitSet {
                limit: eur("20.00"),
            },
        ]);
}

#[test]
fn importing_a_balance_again_records_nothing() {
    AccountTester::with(())
        .given(vec![opened(), balance_imported("5.00")])
        .when(import_balance("5.00", "0.00"))
        .then_expect_events(vec![]);
}

#[test]
fn an_account_with_money_of_its_own_takes_no_imported_balance() {
    AccountTester::with(())
        .given(vec![opened(), paid("10.00", "10.00")])
        .when(import_balance("5.00", "0.00"))
        .then_expect_error(AccountError::AlreadyMoved);
}

// Promised payments (issue 19.2).

fn promise(on: &str) -> AccountCommand {
    AccountCommand::PromisePayment {
        client_id: client_id(),
        provider_id: provider_id(),
        currency: Currency::EUR,
        on: date(on),
    }
}

fn promised(on: &str, until: &str) -> AccountEvent {
    AccountEvent::PaymentPromised {
        promised_on: date(on),
        until: date(until),
    }
}

#[test]
fn a_promise_holds_for_seven_days() {
    AccountTester::with(())
        .given(vec![opened()])
        .when(promise("2027-03-01"))
        .then_expect_events(vec![promised("2027-03-01", "2027-03-08")]);
}

#[test]
fn a_promise_on_a_new_account_opens_it_first() {
    AccountTester::with(())
        .given(vec![])
        .when(promise("2027-03-01"))
        .then_expect_events(vec![opened(), promised("2027-03-01", "2027-03-08")]);
}

#[test]
fn a_second_promise_within_thirty_days_is_refused() {
    AccountTester::with(())
        .given(vec![opened(), promised("2027-03-01", "2027-03-08")])
        .when(promise("2027-03-20"))
        .then_expect_error(AccountError::PromiseTooSoon {
            next_on: date("2027-03-31"),
        });
}

#[test]
fn a_promise_thirty_days_after_the_last_is_allowed() {
    AccountTester::with(())
        .given(vec![opened(), promised("2027-03-01", "2027-03-08")])
        .when(promise("2027-03-31"))
        .then_expect_events(vec![promised("2027-03-31", "2027-04-07")]);
}

#[test]
fn the_same_promise_asked_again_on_its_day_records_nothing() {
    AccountTester::with(())
        .given(vec![opened(), promised("2027-03-01", "2027-03-08")])
        .when(promise("2027-03-01"))
        .then_expect_events(vec![]);
}

#[test]
fn a_promise_holds_until_its_end_and_not_on_it() {
    let mut account = Account::default();
    account.apply(opened());
    account.apply(promised("2027-03-01", "2027-03-08"));
    assert_eq!(
        account.promised_until(date("2027-03-07")),
        Some(date("2027-03-08"))
    );
    assert_eq!(account.promised_until(date("2027-03-08")), None);
    assert_eq!(
        account.last_promise(),
        Some((date("2027-03-01"), date("2027-03-08")))
    );
}

// Hourly billing (ADR 37): hours already used are charged even into debt.

fn charge_used(amount: Money) -> AccountCommand {
    AccountCommand::ChargeUsed {
        client_id: client_id(),
        provider_id: provider_id(),
        expense: line(amount, "VDS S, January"),
        treatment: TaxTreatment::NotTaxed,
    }
}

#[test]
fn hours_already_used_are_charged_past_the_credit_limit_where_a_period_is_refused() {
    let given = || vec![opened(), paid("10", "10"), limit_set("5")];
    AccountTester::with(())
        .given(given())
        .when(charge(eur("20.00")))
        .then_expect_error(AccountError::InsufficientFunds {
            needed: eur("20.00"),
            available: eur("15.00"),
        });
    AccountTester::with(())
        .given(given())
        .when(charge_used(eur("20.00")))
        .then_expect_events(vec![charged("20.00", "-10.00")]);
    // Debt is then what the account has: nothing is available.
    let mut account = Account::default();
    for event in given().into_iter().chain([charged("20.00", "-10.00")]) {
        account.apply(event);
    }
    assert_eq!(account.available(), Some(eur("-5.00")));
    assert!(account.in_debt());
}

#[test]
fn a_used_charge_keeps_the_rules_of_a_charge_but_the_money() {
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(charge_used(eur("-1.00")))
        .then_expect_error(AccountError::AmountNotPositive);
    AccountTester::with(())
        .given(vec![opened(), paid("10", "10")])
        .when(charge_used(usd("1.00")))
        .then_expect_error(AccountError::CurrencyMismatch {
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

#[test]
fn a_charge_given_back_in_two_parts_gives_back_exactly_the_tax_it_charged() {
    // Charged 10.00 with 19 % included: 8.40 + 1.60. Given back 2.90 (2.44 + 0.46), then the
    // rest, 7.10: it takes the 1.14 of tax the charge has left, where 7.10 taxed on its own
    // would take 1.13 and leave a cent of tax declared on a charge given back whole.
    let included = vat_19(TaxMode::Included);
    let expense_id = line(eur("1"), "x").expense_id;
    AccountTester::with(())
        .given(vec![
            opened(),
            paid("10.00", "10.00"),
            AccountEvent::ExpenseCharged {
                expense: with_tax(line(eur("10.00"), "x"), "10.00", included, "8.40", "1.60"),
                balance_after: eur("0.00"),
            },
            AccountEvent::ExpenseCorrected {
                correction_id: correction_id(1),
                expense_id,
                amount: eur("2.90"),
                voided: false,
                reason: "outage".to_string(),
                balance_after: eur("2.90"),
                tax: Some(TaxedAmount {
                    rate: rate_19(),
                    net: eur("2.44"),
                    tax: eur("0.46"),
                    gross: eur("2.90"),
                }),
            },
        ])
        .when(AccountCommand::CorrectExpense {
            client_id: client_id(),
            provider_id: provider_id(),
            correction_id: correction_id(2),
            expense_id,
            charged: eur("10.00"),
            give_back: None,
            charged_tax_rate: rate_19(),
            reason: "outage".to_string(),
        })
        .then_expect_events(vec![AccountEvent::ExpenseCorrected {
            correction_id: correction_id(2),
            expense_id,
            amount: eur("7.10"),
            voided: true,
            reason: "outage".to_string(),
            balance_after: eur("10.00"),
            tax: Some(TaxedAmount {
                rate: rate_19(),
                net: eur("5.96"),
                tax: eur("1.14"),
                gross: eur("7.10"),
            }),
        }]);
}
