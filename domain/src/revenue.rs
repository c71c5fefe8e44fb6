//! Revenue recognition: how an amount charged for a service period becomes revenue day by day
//! over that period, as an accountant books it (accrual basis), beside the cash view that counts
//! it on the day it was charged.
//!
//! The rule, for an amount `A` paying for the half-open period `[start, end)` of `N` days:
//!
//! - By the end of the `k`-th day of the period, `A × k ÷ N` is recognised, rounded toward zero
//!   to the currency's minor unit. A day's share is the difference between two such cumulative
//!   figures, so the shares add up to `A` exactly, and any run of whole days from the start
//!   recognises its fraction of `A` rounded down: a yearly 120.00 charged for 2026 recognises
//!   120.00 × 31 ÷ 365 = 10.1917… → 10.19 in January, and leaves 109.81 deferred.
//! - Nothing is recognised on a day before the day the amount was recorded (`booked_on`, the UTC
//!   day of its event): the shares of the days before it are recognised on that day, so a report
//!   of a past day never changes after the day has passed.
//! - A credit or a correction is the same schedule with the opposite sign, over the period it
//!   gives back; the caller keeps the sign (amounts here are never negative).
//! - A period that does not end after it starts (never recorded, but stored events are read
//!   forever) counts as its first day alone.

use chrono::{Days, NaiveDate};

use crate::money::{Money, MoneyError};

/// The day-by-day recognition of one amount over the period it pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recognition {
    amount: Money,
    start: NaiveDate,
    days: u32,
    booked_on: NaiveDate,
}

impl Recognition {
    /// The recognition of `amount` paying for `[period_start, period_end)`, recorded on
    /// `booked_on`.
    pub fn new(
        amount: Money,
        period_start: NaiveDate,
        period_end: NaiveDate,
        booked_on: NaiveDate,
    ) -> Recognition {
        let days = u32::try_from((period_end - period_start).num_days())
            .ok()
            .filter(|days| *days > 0)
            .unwrap_or(1);
        Recognition {
            amount,
            start: period_start,
            days,
            booked_on,
        }
    }

    /// How many days the period has.
    pub fn days(&self) -> u32 {
        self.days
    }

    /// What is recognised by the end of the first `elapsed` days of the period (`elapsed` is
    /// capped at the period's length): `amount × elapsed ÷ days`, rounded toward zero to the
    /// minor unit.
    pub fn recognised_after_days(&self, elapsed: u32) -> Result<Money, MoneyError> {
        let elapsed = elapsed.min(self.days);
        // A `Money` is at its currency's scale, so the mantissa counts minor units; integer
        // division truncates toward zero, which is the rule's rounding.
        let minor = self.amount.amount().mantissa();
        let recognised = minor
            .checked_mul(i128::from(elapsed))
            .ok_or(MoneyError::Overflow)?
            / i128::from(self.days);
        let amount = rust_decimal::Decimal::try_from_i128_with_scale(
            recognised,
            self.amount.currency().minor_units(),
        )
        .map_err(|_| MoneyError::Overflow)?;
        Money::from_decimal(amount, self.amount.currency())
    }

    /// The days that recognise something, in order, each with its share; the shares add up to
    /// the amount.
    ///
    /// Worked in minor units (the amount's mantissa at its currency's scale), each day's share an
    /// integer difference of two cumulative figures ([`Recognition::recognised_after_days`]'s
    /// rule); only the shares kept become `Money`. A report rebuild recognises about thirty days
    /// for each of hundreds of thousands of charges.
    pub fn daily(&self) -> Result<Vec<(NaiveDate, Money)>, MoneyError> {
        let minor = self.amount.amount().mantissa();
        let scale = self.amount.currency().minor_units();
        let days = i128::from(self.days);
        let mut shares: Vec<(NaiveDate, i128)> = Vec::new();
        let mut before = 0i128;
        for elapsed in 1..=self.days {
            let until = minor
                .checked_mul(i128::from(elapsed))
                .ok_or(MoneyError::Overflow)?
                / days;
            let share = until - before;
            before = until;
            if share == 0 {
                continue;
            }
            let day = self
                .start
                .checked_add_days(Days::new(u64::from(elapsed - 1)))
                .ok_or(MoneyError::Overflow)?;
            // The days before the amount was recorded are recognised on the day it was.
            let day = day.max(self.booked_on);
            match shares.last_mut() {
                Some((last, sum)) if *last == day => *sum += share,
                _ => shares.push((day, share)),
            }
        }
        shares
            .into_iter()
            .map(|(day, share)| {
                let amount = rust_decimal::Decimal::try_from_i128_with_scale(share, scale)
                    .map_err(|_| MoneyError::Overflow)?;
                Ok((day, Money::from_decimal(amount, self.amount.currency())?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn sum(shares: &[(NaiveDate, Money)], from: &str, to: &str) -> Money {
        shares
            .iter()
            .filter(|(day, _)| *day >= date(from) && *day < date(to))
            .fold(eur("0"), |total, (_, share)| {
                total.checked_add(*share).unwrap()
            })
    }

    /// A yearly domain of 120.00 charged on the first day of 2026.
    fn yearly_domain() -> Recognition {
        Recognition::new(
            eur("120.00"),
            date("2026-01-01"),
            date("2027-01-01"),
            date("2026-01-01"),
        )
    }

    #[test]
    fn a_yearly_charge_recognises_its_days_share_in_january_rounded_down() {
        let shares = yearly_domain().daily().unwrap();

        // 120.00 × 31 ÷ 365 = 10.1917… → 10.19.
        assert_eq!(yearly_domain().days(), 365);
        assert_eq!(sum(&shares, "2026-01-01", "2026-02-01"), eur("10.19"));
        assert_eq!(
            yearly_domain().recognised_after_days(31).unwrap(),
            eur("10.19")
        );
    }

    #[test]
    fn the_daily_shares_add_up_to_the_charge_to_the_cent() {
        let shares = yearly_domain().daily().unwrap();

        assert_eq!(shares.len(), 365);
        assert_eq!(sum(&shares, "2026-01-01", "2027-01-01"), eur("120.00"));
        // 120.00 ÷ 365 = 0.3287…: every day recognises 0.32 or 0.33.
        assert!(
            shares
                .iter()
                .all(|(_, share)| *share == eur("0.32") || *share == eur("0.33"))
        );
    }

    #[test]
    fn a_three_year_charge_is_recognised_over_its_1096_days_to_the_cent() {
        // A three-year domain (P36M) of 100.00 from 2026-03-15: 2028 is a leap year.
        let recognition = Recognition::new(
            eur("100.00"),
            date("2026-03-15"),
            date("2029-03-15"),
            date("2026-03-15"),
        );
        let shares = recognition.daily().unwrap();

        assert_eq!(recognition.days(), 1096);
        assert_eq!(shares.len(), 1096);
        assert_eq!(sum(&shares, "2026-03-15", "2029-03-15"), eur("100.00"));
        // The first year's 365 days: 100.00 × 365 ÷ 1096 = 33.302… → 33.30.
        assert_eq!(sum(&shares, "2026-03-15", "2027-03-15"), eur("33.30"));
    }

    #[test]
    fn awkward_amounts_and_periods_still_add_up_exactly() {
        for (amount, start, end) in [
            ("0.01", "2026-01-01", "2026-12-31"),
            ("9.99", "2026-02-01", "2026-03-01"),
            ("49.99", "2026-01-31", "2026-02-28"),
            ("1000000.07", "2024-01-01", "2025-01-01"),
        ] {
            let recognition = Recognition::new(eur(amount), date(start), date(end), date(start));
            let shares = recognition.daily().unwrap();
            assert_eq!(
                sum(&shares, "2000-01-01", "2100-01-01"),
                eur(amount),
                "{amount} over [{start}, {end})"
            );
            assert!(shares.iter().all(|(_, share)| share.is_positive()));
        }
    }

    #[test]
    fn the_days_before_the_amount_was_recorded_are_recognised_on_the_day_it_was() {
        // A 30-day period of 30.00, recorded on its 11th day: the first ten days' 10.00 fall on
        // that day, with its own 1.00.
        let recognition = Recognition::new(
            eur("30.00"),
            date("2026-04-01"),
            date("2026-05-01"),
            date("2026-04-11"),
        );
        let shares = recognition.daily().unwrap();

        assert_eq!(shares[0], (date("2026-04-11"), eur("11.00")));
        assert_eq!(shares.len(), 20);
        assert_eq!(sum(&shares, "2026-04-01", "2026-04-11"), eur("0"));
        assert_eq!(sum(&shares, "2026-04-01", "2026-05-01"), eur("30.00"));
    }

    #[test]
    fn an_amount_recorded_after_its_period_is_recognised_whole_that_day() {
        let recognition = Recognition::new(
            eur("5.00"),
            date("2026-04-01"),
            date("2026-05-01"),
            date("2026-06-15"),
        );

        assert_eq!(
            recognition.daily().unwrap(),
            vec![(date("2026-06-15"), eur("5.00"))]
        );
    }

    #[test]
    fn an_amount_recorded_before_its_period_waits_for_it() {
        let recognition = Recognition::new(
            eur("3.00"),
            date("2026-04-01"),
            date("2026-04-04"),
            date("2026-03-20"),
        );

        assert_eq!(
            recognition.daily().unwrap(),
            vec![
                (date("2026-04-01"), eur("1.00")),
                (date("2026-04-02"), eur("1.00")),
                (date("2026-04-03"), eur("1.00")),
            ]
        );
    }

    #[test]
    fn a_period_that_does_not_end_after_it_starts_counts_as_its_first_day() {
        let recognition = Recognition::new(
            eur("7.00"),
            date("2026-04-01"),
            date("2026-04-01"),
            date("2026-04-01"),
        );

        assert_eq!(recognition.days(), 1);
        assert_eq!(
            recognition.daily().unwrap(),
            vec![(date("2026-04-01"), eur("7.00"))]
        );
    }
}
