//! The billing calendar and pro rata money on arbitrary dates, periods and fractions.
//!
//! Properties: `BillingPeriod::end_of` and `Money::prorate` never panic; an end is always after
//! its start, and a chain of periods anchored on the first start's day keeps to that day (or to
//! the month's last day when the month is shorter); an `Ok` pro rata amount has the currency's
//! scale and differs from the exact quotient by at most half a minor unit, ties away from zero.

#![no_main]

use chrono::{Datelike, Months, NaiveDate};
use domain::money::{Currency, Money};
use domain::period::{BillingPeriod, days_between};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

#[derive(Debug, Arbitrary)]
struct Input {
    /// Days from 0001-01-01 (CE); any `i32`, so chrono's range edges are reached.
    start_days: i32,
    /// Which period: 0 a day, otherwise that many months (modulo 121).
    period: u8,
    /// Any anchor day, including 0 and more than 31.
    anchor_day: u32,
    /// How many periods to follow from the start (bounded below).
    chain: u8,
    /// Which of `CURRENCIES`.
    currency: u8,
    /// The amount in minor units.
    minor_units: i64,
    numerator: u32,
    denominator: u32,
}

const CURRENCIES: [&str; 5] = ["EUR", "JPY", "BHD", "CLF", "USD"];

/// At most this many periods in a chain, to keep one input fast.
const MAX_CHAIN: u8 = 40;

fuzz_target!(|input: Input| {
    // Every period: a day or 1 to 120 months.
    let period = match u16::from(input.period) % (BillingPeriod::MONTHS_MAX + 1) {
        0 => BillingPeriod::Day,
        months => BillingPeriod::of_months(months).expect("1 to 120 months"),
    };
    if let Some(start) = NaiveDate::from_num_days_from_ce_opt(input.start_days) {
        check_end(period, start, input.anchor_day);
        // As billing does: the anchor is the first start's day, each end the next start.
        let anchor = start.day();
        let mut from = start;
        for _ in 0..input.chain % MAX_CHAIN {
            let Some(end) = check_end(period, from, anchor) else {
                break;
            };
            if period != BillingPeriod::Day {
                let expected = anchor.min(last_day_of_month(end));
                assert_eq!(
                    end.day(),
                    expected,
                    "{period} from {from} (anchor {anchor}) drifted to {end}"
                );
            }
            from = end;
        }
    }
    check_prorate(&input);
});

/// Checks one `end_of` and returns the end.
fn check_end(period: BillingPeriod, start: NaiveDate, anchor_day: u32) -> Option<NaiveDate> {
    let end = period.end_of(start, anchor_day)?;
    assert!(
        end > start,
        "{period} from {start} (anchor {anchor_day}) ends on {end}"
    );
    let days = days_between(start, end);
    assert!(days >= 1, "{period} from {start} has {days} days");
    // A period of n months is at most n + 1 calendar months long (a late start, an early anchor
    // day is at least one day; an early start, a late anchor is at most n months and 30 days).
    let longest = match period.months() {
        0 => 1,
        months => 31 * months + 30,
    };
    assert!(
        days <= longest,
        "{period} from {start} (anchor {anchor_day}) lasts {days} days to {end}"
    );
    Some(end)
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    let first = date.with_day(1).expect("every month has a 1st");
    match first.checked_add_months(Months::new(1)) {
        Some(next) => next.pred_opt().map_or(31, |last| last.day()),
        None => 31, // December of chrono's last year
    }
}

fn check_prorate(input: &Input) {
    let code = CURRENCIES[usize::from(input.currency) % CURRENCIES.len()];
    let Ok(currency) = Currency::parse(code) else {
        return;
    };
    let scale = currency.minor_units();
    // Half of the inputs are brought into range (|amount| < 10^15) so that `prorate` is reached.
    let minor = if input.numerator % 2 == 0 {
        input.minor_units
    } else {
        input.minor_units % 1_000_000_000_000_000
    };
    let Ok(amount) = Money::from_decimal(Decimal::new(minor, scale), currency) else {
        return;
    };
    let (numerator, denominator) = (input.numerator, input.denominator);
    let Ok(share) = amount.prorate(numerator, denominator) else {
        return;
    };
    assert_eq!(share.currency(), currency);
    assert_eq!(
        share.amount().scale(),
        scale,
        "{amount} × {numerator}/{denominator} = {share}"
    );
    assert!(denominator != 0, "a zero denominator gave {share}");

    // |share × d − amount × n| ≤ d / 2, in minor units, exactly.
    let a = amount.amount().mantissa();
    let s = share.amount().mantissa();
    let d = i128::from(denominator);
    let n = i128::from(numerator);
    let error = s * d - a * n;
    assert!(
        error.abs() * 2 <= d,
        "{amount} × {numerator}/{denominator} = {share} is off by more than half a minor unit"
    );
    // A tie goes away from zero.
    if error.abs() * 2 == d {
        assert!(
            s.abs() * d > (a * n).abs(),
            "{amount} × {numerator}/{denominator} = {share}: a tie rounded toward zero"
        );
    }
    if numerator == 0 {
        assert!(share.is_zero());
    }
    if numerator == denominator {
        assert_eq!(share, amount);
    }
    if numerator <= denominator {
        assert!(
            s.abs() <= a.abs(),
            "{amount} × {numerator}/{denominator} = {share} grew"
        );
    }
    assert!(
        !(share.is_negative() && amount.is_positive()),
        "{share} changed sign"
    );
    assert!(
        !(share.is_positive() && amount.is_negative()),
        "{share} changed sign"
    );
}
