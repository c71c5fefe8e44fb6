//! `Money::parse` and `Currency::parse` on arbitrary text.
//!
//! Properties: neither ever panics; every `Ok` money has exactly its currency's minor-unit scale,
//! round-trips through its `Display` amount and through serde JSON, and keeps the input's sign
//! and value; every `Ok` currency is the three-letter input itself and round-trips through serde.

#![no_main]

use std::str::FromStr;

use domain::money::{Currency, Money, MoneyError};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

/// Currencies with 0, 2, 3 and 4 minor units.
const CODES: [&str; 6] = ["EUR", "USD", "JPY", "BHD", "KWD", "CLF"];

fuzz_target!(|data: &[u8]| {
    // Valid UTF-8 as is; otherwise the lossy decoding, so that every input reaches the parser.
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    check_currency(text);
    if let Some(prefix) = text.get(..3) {
        check_currency(prefix);
    }

    for code in CODES {
        let Ok(currency) = Currency::parse(code) else {
            continue;
        };
        check_money(text, currency);
    }
    // The input may also be "<amount> <code>", as `Display` writes it.
    if let Some((amount, code)) = text.rsplit_once(' ')
        && let Ok(currency) = Currency::parse(code)
    {
        check_money(amount, currency);
    }
});

fn check_currency(code: &str) {
    match Currency::parse(code) {
        Ok(currency) => {
            assert_eq!(currency.code(), code, "Currency::parse changed the code");
            assert_eq!(currency.to_string(), code);
            assert_eq!(Currency::from_str(code), Ok(currency));
            let json = serde_json::to_string(&currency).expect("a currency serializes");
            let back: Currency = serde_json::from_str(&json).expect("a currency deserializes");
            assert_eq!(back, currency);
        }
        Err(MoneyError::UnknownCurrency(given)) => assert_eq!(given, code),
        Err(other) => panic!("Currency::parse({code:?}) failed with {other:?}"),
    }
}

fn check_money(text: &str, currency: Currency) {
    let parsed = Money::parse(text, currency);
    let positive = Money::parse_positive(text, currency);
    let Ok(money) = parsed else {
        assert!(
            positive.is_err(),
            "parse_positive accepted what parse refused: {text:?}"
        );
        return;
    };
    assert_eq!(
        positive.is_ok(),
        money.is_positive(),
        "parse_positive disagrees: {text:?}"
    );

    // The scale is exactly the currency's minor units.
    assert_eq!(money.currency(), currency);
    assert_eq!(
        money.amount().scale(),
        currency.minor_units(),
        "{text:?} in {currency} has the wrong scale"
    );

    // The value is the input's value (the grammar is a subset of Decimal's, checked above to have
    // at most 15 integer and 4 fraction digits once leading zeros are gone).
    let trimmed = strip_leading_zeros(text);
    if let Ok(expected) = Decimal::from_str_exact(&trimmed) {
        assert_eq!(money.amount(), expected, "{text:?} changed its value");
    }
    assert!(
        !(money.is_negative() && !text.starts_with('-')),
        "{text:?} changed sign"
    );

    // Display: "<amount> <code>"; the amount part parses back to the same money.
    let shown = money.to_string();
    let (amount, code) = shown
        .rsplit_once(' ')
        .expect("Display writes `amount code`");
    assert_eq!(code, currency.code());
    assert_eq!(
        Money::parse(amount, currency),
        Ok(money),
        "Display {shown:?} does not round-trip"
    );
    assert_eq!(amount, money.amount().to_string());

    // serde: {"amount":"…","currency":"…"} and back.
    let json = serde_json::to_string(&money).expect("money serializes");
    let back: Money =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json} does not deserialize: {e}"));
    assert_eq!(back, money, "{json} does not round-trip");
    assert_eq!(back.amount().scale(), currency.minor_units());

    // Arithmetic on a parsed amount never panics.
    let _ = money.checked_add(money);
    let _ = money.checked_sub(money);
    let _ = money.checked_mul(u32::MAX);
    let _ = money.prorate(u32::MAX, 1);
    let negated = money.negated();
    assert_eq!(negated.negated(), money);
    assert_eq!(negated.amount().scale(), currency.minor_units());
}

/// `-000123.40` → `-123.40`, `000` → `0`, so that `Decimal::from_str_exact` sees what `parse`
/// sees after its own zero trimming.
fn strip_leading_zeros(text: &str) -> String {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let digits = unsigned.trim_start_matches('0');
    if digits.is_empty() || digits.starts_with('.') {
        format!("{sign}0{digits}")
    } else {
        format!("{sign}{digits}")
    }
}
