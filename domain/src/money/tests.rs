use std::str::FromStr;

use rust_decimal::Decimal;

use super::*;

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn jpy() -> Currency {
    Currency::parse("JPY").unwrap()
}

fn bhd() -> Currency {
    Currency::parse("BHD").unwrap()
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn euros(amount: &str) -> Money {
    Money::parse(amount, eur()).unwrap()
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn too_precise(amount: &str, currency: Currency) -> MoneyError {
    MoneyError::TooPrecise {
        amount: amount.to_string(),
        currency,
        minor_units: currency.minor_units(),
    }
}

fn invalid(amount: &str) -> MoneyError {
    MoneyError::InvalidAmount(amount.to_string())
}

// Currency.

#[test]
fn a_currency_parses_from_its_iso_code() {
    let currency = Currency::parse("EUR").unwrap();
    assert_eq!(currency.code(), "EUR");
    assert_eq!(currency.minor_units(), 2);
    assert_eq!(currency, Currency::EUR);
}

#[test]
fn currencies_know_their_minor_units() {
    assert_eq!(jpy().minor_units(), 0);
    assert_eq!(bhd().minor_units(), 3);
    assert_eq!(Currency::parse("CLF").unwrap().minor_units(), 4);
    assert_eq!(Currency::USD.minor_units(), 2);
}

#[test]
fn a_lowercase_currency_code_is_rejected() {
    assert_eq!(
        Currency::parse("eur"),
        Err(MoneyError::UnknownCurrency("eur".to_string()))
    );
    assert!(Currency::parse("Eur").is_err());
}

#[test]
fn an_unknown_currency_code_is_rejected() {
    assert_eq!(
        Currency::parse("ABC"),
        Err(MoneyError::UnknownCurrency("ABC".to_string()))
    );
}

#[test]
fn a_currency_code_is_not_trimmed() {
    assert!(Currency::parse(" EUR").is_err());
    assert!(Currency::parse("EUR ").is_err());
    assert!(Currency::parse("").is_err());
    assert!(Currency::parse("EURO").is_err());
}

#[test]
fn currencies_without_minor_units_are_rejected() {
    for code in ["XAU", "XAG", "XXX", "XTS", "XDR"] {
        assert_eq!(
            Currency::parse(code),
            Err(MoneyError::UnknownCurrency(code.to_string())),
            "{code}"
        );
    }
}

#[test]
fn a_currency_displays_and_parses_as_its_code() {
    assert_eq!(eur().to_string(), "EUR");
    assert_eq!("JPY".parse::<Currency>(), Ok(jpy()));
}

#[test]
fn a_currency_serializes_as_its_code() {
    assert_eq!(serde_json::to_string(&eur()).unwrap(), r#""EUR""#);
    assert_eq!(serde_json::from_str::<Currency>(r#""BHD""#).unwrap(), bhd());
}

#[test]
fn deserializing_an_unknown_currency_reports_the_money_error() {
    let error = serde_json::from_str::<Currency>(r#""eur""#).unwrap_err();
    assert!(
        error.to_string().starts_with(r#"unknown currency "eur""#),
        "{error}"
    );
}

// Parsing.

#[test]
fn an_amount_is_rescaled_to_the_minor_units() {
    let money = euros("12.5");
    assert_eq!(money.amount(), decimal("12.50"));
    assert_eq!(money.amount().scale(), 2);
    assert_eq!(money.to_string(), "12.50 EUR");
}

#[test]
fn a_whole_amount_gets_the_minor_units() {
    assert_eq!(euros("12").amount().to_string(), "12.00");
}

#[test]
fn more_decimals_than_the_minor_units_are_too_precise() {
    assert_eq!(
        Money::parse("12.345", eur()),
        Err(too_precise("12.345", eur()))
    );
}

#[test]
fn trailing_zeros_beyond_the_minor_units_are_too_precise() {
    assert_eq!(
        Money::parse("12.500", eur()),
        Err(too_precise("12.500", eur()))
    );
}

#[test]
fn yen_have_no_decimals() {
    let money = Money::parse("1500", jpy()).unwrap();
    assert_eq!(money.amount().scale(), 0);
    assert_eq!(money.to_string(), "1500 JPY");
    assert_eq!(
        Money::parse("1500.0", jpy()),
        Err(too_precise("1500.0", jpy()))
    );
}

#[test]
fn bahraini_dinars_have_three_decimals() {
    assert_eq!(Money::parse("1.5", bhd()).unwrap().to_string(), "1.500 BHD");
    assert_eq!(
        Money::parse("1.234", bhd()).unwrap().amount(),
        decimal("1.234")
    );
    assert_eq!(
        Money::parse("1.2345", bhd()),
        Err(too_precise("1.2345", bhd()))
    );
}

#[test]
fn negative_amounts_parse() {
    let money = euros("-3.2");
    assert!(money.is_negative());
    assert_eq!(money.amount(), decimal("-3.20"));
}

#[test]
fn negative_zero_is_plain_zero() {
    let money = euros("-0");
    assert!(money.is_zero());
    assert!(!money.is_negative());
    assert_eq!(money, Money::zero(eur()));
    assert_eq!(money.to_string(), "0.00 EUR");
}

#[test]
fn leading_zeros_are_accepted() {
    assert_eq!(euros("007.10"), euros("7.1"));
}

#[test]
fn a_plus_sign_is_rejected() {
    assert_eq!(Money::parse("+1.00", eur()), Err(invalid("+1.00")));
}

#[test]
fn an_exponent_is_rejected() {
    assert_eq!(Money::parse("1e3", eur()), Err(invalid("1e3")));
    assert_eq!(Money::parse("1.5E2", eur()), Err(invalid("1.5E2")));
}

#[test]
fn spaces_are_rejected() {
    for text in [" 1.00", "1.00 ", "1 000", "- 1"] {
        assert_eq!(Money::parse(text, eur()), Err(invalid(text)), "{text:?}");
    }
}

#[test]
fn malformed_numbers_are_rejected() {
    for text in [
        "", "-", ".5", "-.5", "5.", "1.2.3", "--1", "1,00", "abc", "١٢", "0x10", "NaN",
    ] {
        assert_eq!(Money::parse(text, eur()), Err(invalid(text)), "{text:?}");
    }
}

#[test]
fn amounts_of_a_quadrillion_or_more_overflow() {
    assert_eq!(
        Money::parse("1000000000000000", eur()),
        Err(MoneyError::Overflow)
    );
    assert_eq!(
        Money::parse("-1000000000000000.00", eur()),
        Err(MoneyError::Overflow)
    );
    assert_eq!(
        Money::parse("99999999999999999999999999999999999999", eur()),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn amounts_just_below_a_quadrillion_are_in_range() {
    let money = euros("999999999999999.99");
    assert_eq!(money.amount(), decimal("999999999999999.99"));
    assert_eq!(euros("-999999999999999.99"), money.negated());
}

#[test]
fn the_amount_limit_is_ten_to_the_fifteenth() {
    assert_eq!(AMOUNT_ABS_LIMIT, Decimal::new(1_000_000_000_000_000, 0));
}

#[test]
fn parse_positive_rejects_zero_and_negatives() {
    assert_eq!(
        Money::parse_positive("0.00", eur()),
        Err(MoneyError::NotPositive)
    );
    assert_eq!(
        Money::parse_positive("-1", eur()),
        Err(MoneyError::NotPositive)
    );
    assert_eq!(Money::parse_positive("0.01", eur()), Ok(euros("0.01")));
}

#[test]
fn parse_positive_reports_syntax_errors_first() {
    assert_eq!(Money::parse_positive("-x", eur()), Err(invalid("-x")));
}

// From a decimal.

#[test]
fn a_decimal_with_trailing_zeros_is_accepted() {
    let money = Money::from_decimal(decimal("1.230"), eur()).unwrap();
    assert_eq!(money.amount().to_string(), "1.23");
}

#[test]
fn a_decimal_with_digits_beyond_the_minor_units_is_too_precise() {
    assert_eq!(
        Money::from_decimal(decimal("1.234"), eur()),
        Err(too_precise("1.234", eur()))
    );
}

#[test]
fn a_decimal_is_rescaled_to_the_minor_units() {
    let money = Money::from_decimal(Decimal::new(7, 0), bhd()).unwrap();
    assert_eq!(money.amount().to_string(), "7.000");
}

#[test]
fn a_decimal_out_of_range_overflows() {
    assert_eq!(
        Money::from_decimal(Decimal::new(1_000_000_000_000_000, 0), eur()),
        Err(MoneyError::Overflow)
    );
    assert_eq!(
        Money::from_decimal(Decimal::MIN, jpy()),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn a_negative_zero_decimal_is_plain_zero() {
    let mut zero = Decimal::new(0, 2);
    zero.set_sign_negative(true);
    let money = Money::from_decimal(zero, eur()).unwrap();
    assert_eq!(money.to_string(), "0.00 EUR");
}

// Arithmetic.

#[test]
fn adding_money_in_one_currency_sums_the_amounts() {
    assert_eq!(euros("10.25").checked_add(euros("0.75")), Ok(euros("11")));
}

#[test]
fn subtracting_money_can_go_negative() {
    assert_eq!(euros("1").checked_sub(euros("2.50")), Ok(euros("-1.5")));
}

#[test]
fn adding_money_in_another_currency_is_a_mismatch() {
    assert_eq!(
        euros("1").checked_add(Money::zero(usd())),
        Err(MoneyError::CurrencyMismatch {
            expected: eur(),
            found: usd()
        })
    );
    assert_eq!(
        euros("1").checked_sub(Money::zero(usd())),
        Err(MoneyError::CurrencyMismatch {
            expected: eur(),
            found: usd()
        })
    );
}

#[test]
fn a_sum_past_the_limit_overflows() {
    let big = euros("999999999999999.99");
    assert_eq!(big.checked_add(euros("0.01")), Err(MoneyError::Overflow));
    assert_eq!(
        big.negated().checked_sub(euros("0.01")),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn a_difference_of_zero_is_not_negative() {
    let zero = euros("5").checked_sub(euros("5")).unwrap();
    assert!(zero.is_zero());
    assert!(!zero.is_negative());
    assert!(!zero.is_positive());
    assert_eq!(zero.amount().to_string(), "0.00");
}

#[test]
fn negating_flips_the_sign_and_keeps_zero_positive() {
    assert_eq!(euros("2.5").negated(), euros("-2.50"));
    assert_eq!(Money::zero(eur()).negated().amount().to_string(), "0.00");
}

#[test]
fn zero_is_at_the_minor_unit_scale() {
    assert_eq!(Money::zero(bhd()).amount().to_string(), "0.000");
    assert_eq!(Money::zero(jpy()).amount().to_string(), "0");
}

// Serde.

#[test]
fn money_serializes_with_a_string_amount_at_the_minor_units() {
    let json = serde_json::to_string(&euros("12.5")).unwrap();
    assert_eq!(json, r#"{"amount":"12.50","currency":"EUR"}"#);
    let json = serde_json::to_string(&Money::parse("7", jpy()).unwrap()).unwrap();
    assert_eq!(json, r#"{"amount":"7","currency":"JPY"}"#);
}

#[test]
fn money_round_trips_through_json() {
    for money in [
        euros("-12.34"),
        Money::parse("0.125", bhd()).unwrap(),
        Money::parse("1500", jpy()).unwrap(),
        Money::zero(usd()),
    ] {
        let json = serde_json::to_string(&money).unwrap();
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
    }
}

#[test]
fn deserializing_money_rescales_a_short_amount() {
    let money: Money = serde_json::from_str(r#"{"amount":"3.5","currency":"EUR"}"#).unwrap();
    assert_eq!(money, euros("3.50"));
}

#[test]
fn deserializing_an_over_precise_amount_is_rejected() {
    let error =
        serde_json::from_str::<Money>(r#"{"amount":"12.500","currency":"EUR"}"#).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("12.500 has more decimal places than EUR allows (2)"),
        "{error}"
    );
}

#[test]
fn deserializing_a_json_number_amount_is_rejected() {
    assert!(serde_json::from_str::<Money>(r#"{"amount":12.5,"currency":"EUR"}"#).is_err());
    assert!(serde_json::from_str::<Money>(r#"{"amount":12,"currency":"EUR"}"#).is_err());
}

#[test]
fn deserializing_money_with_a_bad_currency_is_rejected() {
    assert!(serde_json::from_str::<Money>(r#"{"amount":"1.00","currency":"eur"}"#).is_err());
    assert!(serde_json::from_str::<Money>(r#"{"amount":"1.00"}"#).is_err());
}

// Errors.

#[test]
fn error_messages_are_lowercase_sentences_without_a_period() {
    assert_eq!(
        too_precise("12.500", eur()).to_string(),
        "12.500 has more decimal places than EUR allows (2)"
    );
    assert_eq!(
        MoneyError::CurrencyMismatch {
            expected: eur(),
            found: usd()
        }
        .to_string(),
        "currency mismatch: expected EUR, found USD"
    );
    assert_eq!(
        invalid("1e3").to_string(),
        r#""1e3" is not a decimal amount"#
    );
}

#[test]
fn error_codes_are_stable() {
    let cases = [
        (
            MoneyError::UnknownCurrency("X".to_string()),
            "unknown_currency",
        ),
        (too_precise("1.234", eur()), "too_precise"),
        (invalid("x"), "invalid_amount"),
        (MoneyError::NotPositive, "not_positive"),
        (MoneyError::Overflow, "amount_out_of_range"),
        (
            MoneyError::CurrencyMismatch {
                expected: eur(),
                found: usd(),
            },
            "currency_mismatch",
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}

// Multiplication and proration.

#[test]
fn multiplying_by_a_quantity_is_exact() {
    assert_eq!(euros("2.50").checked_mul(4).unwrap(), euros("10.00"));
    assert_eq!(euros("2.50").checked_mul(0).unwrap(), euros("0"));
    assert_eq!(euros("-1.25").checked_mul(3).unwrap(), euros("-3.75"));
}

#[test]
fn multiplying_out_of_range_is_an_overflow() {
    let large = euros("999999999999999.99");
    assert_eq!(large.checked_mul(2), Err(MoneyError::Overflow));
    assert_eq!(
        euros("500000000000000").checked_mul(2),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn prorating_rounds_a_third_of_ten_euros_down_to_3_33() {
    assert_eq!(euros("10.00").prorate(1, 3).unwrap(), euros("3.33"));
    assert_eq!(euros("10.00").prorate(2, 3).unwrap(), euros("6.67"));
}

#[test]
fn prorating_rounds_a_half_cent_away_from_zero() {
    assert_eq!(euros("0.05").prorate(1, 2).unwrap(), euros("0.03"));
    assert_eq!(euros("-0.05").prorate(1, 2).unwrap(), euros("-0.03"));
    assert_eq!(euros("0.01").prorate(1, 2).unwrap(), euros("0.01"));
}

#[test]
fn prorating_just_below_a_half_cent_rounds_toward_zero() {
    // 0.01 × 49/100 = 0.0049, which is below the midpoint.
    assert_eq!(euros("0.01").prorate(49, 100).unwrap(), euros("0.00"));
    // 30.00 × 1/7 = 4.2857…, which rounds up.
    assert_eq!(euros("30.00").prorate(1, 7).unwrap(), euros("4.29"));
}

#[test]
fn prorating_rounds_to_the_currencys_own_minor_unit() {
    let yen = Money::parse("1000", jpy()).unwrap();
    assert_eq!(
        yen.prorate(1, 3).unwrap(),
        Money::parse("333", jpy()).unwrap()
    );
    let dinar = Money::parse("1.000", bhd()).unwrap();
    assert_eq!(
        dinar.prorate(1, 8).unwrap(),
        Money::parse("0.125", bhd()).unwrap()
    );
    assert_eq!(
        dinar.prorate(1, 16).unwrap(),
        Money::parse("0.063", bhd()).unwrap()
    );
}

#[test]
fn prorating_the_whole_or_nothing_keeps_or_zeroes_the_amount() {
    assert_eq!(euros("12.34").prorate(31, 31).unwrap(), euros("12.34"));
    assert_eq!(euros("12.34").prorate(0, 31).unwrap(), euros("0"));
}

#[test]
fn prorating_by_a_zero_denominator_is_an_overflow() {
    assert_eq!(euros("1").prorate(1, 0), Err(MoneyError::Overflow));
}

#[test]
fn prorating_out_of_range_is_an_overflow() {
    assert_eq!(
        euros("999999999999999.99").prorate(2, 1),
        Err(MoneyError::Overflow)
    );
    assert_eq!(
        euros("999999999999999.99").prorate(u32::MAX, 1),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn the_directory_holds_every_currency_with_minor_units_once_sorted_by_code() {
    let all = Currency::all();
    let codes: Vec<&str> = all.iter().map(|currency| currency.code()).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(codes, sorted);
    assert!(all.contains(&eur()) && all.contains(&jpy()) && all.contains(&bhd()));
    assert!(!codes.contains(&"XAU") && !codes.contains(&"XXX"));
    for currency in &all {
        assert_eq!(Currency::parse(currency.code()).as_ref(), Ok(currency));
    }
}

#[test]
fn a_currency_has_its_iso_name_and_numeric_code() {
    assert_eq!(eur().name(), "Euro");
    assert_eq!(eur().numeric(), 978);
    assert_eq!(jpy().numeric(), 392);
    assert_eq!(jpy().minor_units(), 0);
}
