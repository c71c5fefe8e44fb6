use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use rust_decimal::Decimal;

use super::*;
use crate::money::MoneyError;

type RatesTester = TestFramework<ExchangeRates>;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn rate(text: &str) -> ExchangeRate {
    ExchangeRate::parse(text).unwrap()
}

fn quoted(quote: Currency, text: &str) -> QuotedRate {
    QuotedRate {
        quote,
        rate: rate(text),
    }
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::EUR).unwrap()
}

fn jpy(amount: &str) -> Money {
    Money::parse(amount, Currency::JPY).unwrap()
}

fn set(on: &str, rates: Vec<QuotedRate>) -> ExchangeRatesCommand {
    ExchangeRatesCommand::SetRates {
        base: Currency::USD,
        effective_from: date(on),
        rates,
    }
}

fn was_set(on: &str, rates: Vec<QuotedRate>) -> ExchangeRatesEvent {
    ExchangeRatesEvent::ExchangeRatesSet {
        base: Currency::USD,
        effective_from: date(on),
        rates,
    }
}

fn march_first() -> ExchangeRatesEvent {
    was_set(
        "2025-03-01",
        vec![
            quoted(Currency::EUR, "0.9234"),
            quoted(Currency::JPY, "149.555"),
        ],
    )
}

fn rates(events: Vec<ExchangeRatesEvent>) -> ExchangeRates {
    let mut rates = ExchangeRates::default();
    for event in events {
        rates.apply(event);
    }
    rates
}

// Setting rates.

#[test]
fn setting_the_first_rates_records_them() {
    RatesTester::with(())
        .given_no_previous_events()
        .when(set(
            "2025-03-01",
            vec![
                quoted(Currency::EUR, "0.9234"),
                quoted(Currency::JPY, "149.555"),
            ],
        ))
        .then_expect_events(vec![march_first()]);
}

#[test]
fn rates_are_recorded_sorted_by_quote_code() {
    RatesTester::with(())
        .given_no_previous_events()
        .when(set(
            "2025-03-01",
            vec![
                quoted(Currency::JPY, "149.555"),
                quoted(Currency::EUR, "0.9234"),
            ],
        ))
        .then_expect_events(vec![march_first()]);
}

#[test]
fn the_same_rates_for_the_same_date_record_nothing() {
    RatesTester::with(())
        .given(vec![march_first()])
        .when(set(
            "2025-03-01",
            vec![
                quoted(Currency::JPY, "149.5550"),
                quoted(Currency::EUR, "0.9234"),
            ],
        ))
        .then_expect_events(vec![]);
}

#[test]
fn different_rates_for_the_same_date_are_a_correction() {
    let corrected = vec![quoted(Currency::EUR, "0.9240")];
    RatesTester::with(())
        .given(vec![march_first()])
        .when(set("2025-03-01", corrected.clone()))
        .then_expect_events(vec![was_set("2025-03-01", corrected)]);
}

#[test]
fn rates_for_a_later_date_are_recorded() {
    let later = vec![quoted(Currency::EUR, "0.9300")];
    RatesTester::with(())
        .given(vec![march_first()])
        .when(set("2025-03-02", later.clone()))
        .then_expect_events(vec![was_set("2025-03-02", later)]);
}

#[test]
fn an_empty_set_of_rates_is_rejected() {
    RatesTester::with(())
        .given_no_previous_events()
        .when(set("2025-03-01", vec![]))
        .then_expect_error(RatesError::NoRates);
}

#[test]
fn more_than_200_quotes_are_rejected() {
    RatesTester::with(())
        .given_no_previous_events()
        .when(set(
            "2025-03-01",
            vec![quoted(Currency::EUR, "0.9"); QUOTES_MAX + 1],
        ))
        .then_expect_error(RatesError::TooManyRates {
            count: 201,
            max: 200,
        });
}

#[test]
fn a_quote_given_twice_is_rejected() {
    RatesTester::with(())
        .given_no_previous_events()
        .when(set(
            "2025-03-01",
            vec![
                quoted(Currency::EUR, "0.9"),
                quoted(Currency::JPY, "150"),
                quoted(Currency::EUR, "0.9"),
            ],
        ))
        .then_expect_error(RatesError::DuplicateQuote(Currency::EUR));
}

#[test]
fn quoting_the_base_against_itself_is_rejected() {
    RatesTester::with(())
        .given_no_previous_events()
        .when(set("2025-03-01", vec![quoted(Currency::USD, "1")]))
        .then_expect_error(RatesError::QuoteIsBase(Currency::USD));
}

#[test]
fn rates_of_another_base_are_rejected() {
    RatesTester::with(())
        .given(vec![march_first()])
        .when(ExchangeRatesCommand::SetRates {
            base: Currency::EUR,
            effective_from: date("2025-03-02"),
            rates: vec![quoted(Currency::USD, "1.08")],
        })
        .then_expect_error(RatesError::BaseMismatch {
            expected: Currency::USD,
            found: Currency::EUR,
        });
}

// Looking rates up.

#[test]
fn a_rate_is_in_effect_from_its_date_on() {
    let rates = rates(vec![march_first()]);
    assert_eq!(
        rates.rate_on(Currency::EUR, date("2025-03-01")),
        Some((date("2025-03-01"), rate("0.9234")))
    );
    assert_eq!(
        rates.rate_on(Currency::EUR, date("2026-01-01")),
        Some((date("2025-03-01"), rate("0.9234")))
    );
    assert_eq!(rates.base(), Some(Currency::USD));
}

#[test]
fn there_is_no_rate_before_the_first_effective_date() {
    let rates = rates(vec![march_first()]);
    assert_eq!(rates.rate_on(Currency::EUR, date("2025-02-28")), None);
    assert_eq!(
        rates.convert(usd("100.00"), Currency::EUR, date("2025-02-28")),
        Err(RatesError::NoExchangeRate {
            from: Currency::USD,
            to: Currency::EUR,
            on: date("2025-02-28"),
        })
    );
}

#[test]
fn a_later_date_picks_the_later_rate() {
    let rates = rates(vec![
        march_first(),
        was_set("2025-03-10", vec![quoted(Currency::EUR, "0.95")]),
    ]);
    assert_eq!(
        rates.rate_on(Currency::EUR, date("2025-03-09")),
        Some((date("2025-03-01"), rate("0.9234")))
    );
    assert_eq!(
        rates.rate_on(Currency::EUR, date("2025-03-10")),
        Some((date("2025-03-10"), rate("0.95")))
    );
}

#[test]
fn a_quote_missing_from_a_later_set_keeps_its_earlier_rate() {
    let rates = rates(vec![
        march_first(),
        was_set("2025-03-10", vec![quoted(Currency::EUR, "0.95")]),
    ]);
    assert_eq!(
        rates.rate_on(Currency::JPY, date("2025-03-12")),
        Some((date("2025-03-01"), rate("149.555")))
    );
}

#[test]
fn a_correction_replaces_the_whole_set_of_its_date() {
    let rates = rates(vec![
        march_first(),
        was_set("2025-03-01", vec![quoted(Currency::EUR, "0.9240")]),
    ]);
    assert_eq!(
        rates.rate_on(Currency::EUR, date("2025-03-05")),
        Some((date("2025-03-01"), rate("0.924")))
    );
    assert_eq!(rates.rate_on(Currency::JPY, date("2025-03-05")), None);
}

#[test]
fn a_currency_never_quoted_has_no_rate() {
    let rates = rates(vec![march_first()]);
    assert_eq!(rates.rate_on(Currency::BHD, date("2025-03-05")), None);
    assert_eq!(
        ExchangeRates::default().rate_on(Currency::EUR, date("2025-03-05")),
        None
    );
}

// Converting.

#[test]
fn converting_100_usd_at_0_9234_gives_92_34_eur() {
    let conversion = rates(vec![march_first()])
        .convert(usd("100.00"), Currency::EUR, date("2025-03-05"))
        .unwrap();
    assert_eq!(
        conversion,
        Conversion {
            from: usd("100.00"),
            to: eur("92.34"),
            rate: rate("0.9234"),
            effective_from: date("2025-03-01"),
        }
    );
}

#[test]
fn a_conversion_is_at_its_rate_only_when_it_ends_where_the_rate_takes_it() {
    let at = |to: Money| Conversion {
        from: usd("100.00"),
        to,
        rate: rate("0.9234"),
        effective_from: date("2025-03-01"),
    };
    assert!(at(eur("92.34")).is_at_its_rate());
    assert!(!at(eur("92.35")).is_at_its_rate());
    assert!(!at(eur("500.00")).is_at_its_rate());
}

#[test]
fn converting_to_yen_rounds_to_whole_yen_half_away_from_zero() {
    let rates = rates(vec![march_first()]);
    let on = date("2025-03-05");
    // 10.00 × 149.555 = 1495.55.
    assert_eq!(
        rates.convert(usd("10.00"), Currency::JPY, on).unwrap().to,
        jpy("1496")
    );
    // 0.10 × 149.555 = 14.9555.
    assert_eq!(
        rates.convert(usd("0.10"), Currency::JPY, on).unwrap().to,
        jpy("15")
    );
}

#[test]
fn a_midpoint_rounds_away_from_zero_not_to_even() {
    let rates = rates(vec![was_set(
        "2025-03-01",
        vec![quoted(Currency::JPY, "2.5"), quoted(Currency::EUR, "0.125")],
    )]);
    let on = date("2025-03-01");
    assert_eq!(
        rates.convert(usd("1"), Currency::JPY, on).unwrap().to,
        jpy("3")
    );
    // 0.20 × 0.125 = 0.025.
    assert_eq!(
        rates.convert(usd("0.20"), Currency::EUR, on).unwrap().to,
        eur("0.03")
    );
    // A negative amount rounds away from zero too.
    assert_eq!(
        rates.convert(usd("-0.20"), Currency::EUR, on).unwrap().to,
        eur("-0.03")
    );
}

#[test]
fn converting_into_a_currency_with_three_minor_units_keeps_them() {
    let rates = rates(vec![was_set(
        "2025-03-01",
        vec![quoted(Currency::BHD, "0.376")],
    )]);
    assert_eq!(
        rates
            .convert(usd("12.34"), Currency::BHD, date("2025-03-01"))
            .unwrap()
            .to,
        Money::parse("4.640", Currency::BHD).unwrap()
    );
}

#[test]
fn converting_an_amount_not_in_the_base_is_rejected() {
    assert_eq!(
        rates(vec![march_first()]).convert(eur("1"), Currency::JPY, date("2025-03-05")),
        Err(RatesError::CurrencyMismatch {
            expected: Currency::USD,
            found: Currency::EUR,
        })
    );
}

#[test]
fn converting_into_the_base_or_without_any_rates_has_no_rate() {
    let on = date("2025-03-05");
    assert_eq!(
        rates(vec![march_first()])
            .convert(usd("1"), Currency::USD, on)
            .unwrap_err()
            .code(),
        "no_exchange_rate"
    );
    assert_eq!(
        ExchangeRates::default()
            .convert(usd("1"), Currency::EUR, on)
            .unwrap_err()
            .code(),
        "no_exchange_rate"
    );
}

#[test]
fn a_conversion_out_of_the_range_of_money_is_an_overflow() {
    let rates = rates(vec![was_set(
        "2025-03-01",
        vec![quoted(Currency::JPY, "999999999.9999999999")],
    )]);
    assert_eq!(
        rates.convert(usd("999999999999999.99"), Currency::JPY, date("2025-03-01")),
        Err(RatesError::Money(MoneyError::Overflow))
    );
}

// Exchange rates as values.

#[test]
fn rates_parse_as_positive_decimals_with_up_to_ten_places() {
    for text in [
        "1",
        "0.9234",
        "149.555",
        "0.0000000001",
        "999999999.9999999999",
    ] {
        assert_eq!(rate(text).to_string(), text);
    }
    assert_eq!(rate("0.92340").to_string(), "0.9234");
    assert_eq!(rate("0.92340"), rate("0.9234"));
    assert_eq!(rate("007.5").to_string(), "7.5");
}

#[test]
fn malformed_or_out_of_range_rates_are_rejected() {
    for text in [
        "",
        "0",
        "0.0",
        "-1",
        "+1",
        ".5",
        "1.",
        "1e3",
        " 1",
        "1,5",
        "0.00000000001",
        "1000000000",
        "1234567890.5",
    ] {
        assert_eq!(
            ExchangeRate::parse(text),
            Err(RatesError::InvalidRate(text.to_string())),
            "{text:?}"
        );
    }
}

#[test]
fn a_rate_from_a_decimal_is_checked_the_same_way() {
    assert_eq!(
        ExchangeRate::from_decimal(Decimal::new(92340, 5)).unwrap(),
        rate("0.9234")
    );
    assert!(ExchangeRate::from_decimal(Decimal::ZERO).is_err());
    assert!(ExchangeRate::from_decimal(Decimal::new(-1, 0)).is_err());
    assert!(ExchangeRate::from_decimal(Decimal::new(1, 11)).is_err());
    assert!(ExchangeRate::from_decimal(Decimal::new(1_000_000_000, 0)).is_err());
}

#[test]
fn a_rate_serializes_as_a_string() {
    assert_eq!(
        serde_json::to_string(&rate("0.9234")).unwrap(),
        r#""0.9234""#
    );
    assert_eq!(
        serde_json::from_str::<ExchangeRate>(r#""0.9234""#).unwrap(),
        rate("0.9234")
    );
    assert!(serde_json::from_str::<ExchangeRate>("0.9234").is_err());
    assert!(serde_json::from_str::<ExchangeRate>(r#""0""#).is_err());
}

#[test]
fn a_conversion_has_a_stable_json_shape() {
    let conversion = Conversion {
        from: usd("100"),
        to: eur("92.34"),
        rate: rate("0.9234"),
        effective_from: date("2025-03-01"),
    };
    let json = serde_json::to_value(conversion).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "from": {"amount": "100.00", "currency": "USD"},
            "to": {"amount": "92.34", "currency": "EUR"},
            "rate": "0.9234",
            "effective_from": "2025-03-01",
        })
    );
    assert_eq!(
        serde_json::from_value::<Conversion>(json).unwrap(),
        conversion
    );
}

// Events, state and errors.

#[test]
fn a_rates_event_has_a_stable_json_shape() {
    let json = serde_json::to_value(march_first()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ExchangeRatesSet": {
            "base": "USD",
            "effective_from": "2025-03-01",
            "rates": [
                {"quote": "EUR", "rate": "0.9234"},
                {"quote": "JPY", "rate": "149.555"},
            ],
        }})
    );
    assert_eq!(
        serde_json::from_value::<ExchangeRatesEvent>(json).unwrap(),
        march_first()
    );
}

#[test]
fn rates_events_have_literal_names_and_version_one() {
    assert_eq!(march_first().event_type(), "ExchangeRatesSet");
    assert_eq!(march_first().event_version(), "1.0");
    assert_eq!(ExchangeRates::TYPE, "ExchangeRates");
}

#[test]
fn the_rates_state_round_trips_through_json() {
    let rates = rates(vec![
        march_first(),
        was_set("2025-03-10", vec![quoted(Currency::EUR, "0.95")]),
    ]);
    let json = serde_json::to_string(&rates).unwrap();
    assert_eq!(serde_json::from_str::<ExchangeRates>(&json).unwrap(), rates);
}

#[test]
fn rates_error_codes_are_stable() {
    let (usd, eur) = (Currency::USD, Currency::EUR);
    let cases = [
        (RatesError::InvalidRate(String::new()), "invalid_rate"),
        (RatesError::NoRates, "no_rates"),
        (
            RatesError::TooManyRates { count: 1, max: 0 },
            "too_many_rates",
        ),
        (RatesError::DuplicateQuote(eur), "duplicate_quote"),
        (RatesError::QuoteIsBase(usd), "quote_is_base"),
        (
            RatesError::BaseMismatch {
                expected: usd,
                found: eur,
            },
            "base_mismatch",
        ),
        (
            RatesError::CurrencyMismatch {
                expected: usd,
                found: eur,
            },
            "currency_mismatch",
        ),
        (
            RatesError::NoExchangeRate {
                from: usd,
                to: eur,
                on: date("2025-03-01"),
            },
            "no_exchange_rate",
        ),
        (
            RatesError::Money(MoneyError::Overflow),
            "amount_out_of_range",
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}

#[test]
fn rates_error_messages_name_the_field() {
    assert_eq!(RatesError::NoRates.to_string(), "rates: must not be empty");
    assert_eq!(
        RatesError::InvalidRate("0".to_string()).to_string(),
        r#"rate: "0" must be a positive decimal below 1000000000 with at most 10 decimal places"#
    );
}
