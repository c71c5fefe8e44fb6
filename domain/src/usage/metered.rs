//! Metered parameters (Lago's billable metrics): what a tariff measures, how a period's records
//! become one quantity, and what the quantity beyond the included amount costs.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::money::Money;

use super::UsageError;

/// The longest metric code, in characters.
pub const METRIC_CODE_CHARS_MAX: usize = 32;

/// The most metered parameters a tariff may have.
pub const METERED_PARAMETERS_MAX: usize = 20;

/// The most digits before the point of a quantity (a record's or an included amount).
pub const QUANTITY_INTEGER_DIGITS_MAX: usize = 15;

/// The most digits after the point of a quantity.
pub const QUANTITY_FRACTION_DIGITS_MAX: usize = 6;

/// What is measured: `traffic_gb`, `cpu_hours`, `ips`, `storage_gb`. Lower-case ASCII letters,
/// digits and `_`, starting with a letter, 1 to 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MetricCode(String);

impl MetricCode {
    /// Parses a code, as the rule above says.
    pub fn parse(text: &str) -> Result<MetricCode, UsageError> {
        let bytes = text.as_bytes();
        let valid = !bytes.is_empty()
            && bytes.len() <= METRIC_CODE_CHARS_MAX
            && bytes[0].is_ascii_lowercase()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
        if valid {
            Ok(MetricCode(text.to_owned()))
        } else {
            Err(UsageError::InvalidMetric(text.chars().take(40).collect()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MetricCode {
    type Error = UsageError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        MetricCode::parse(&text)
    }
}

impl From<MetricCode> for String {
    fn from(code: MetricCode) -> String {
        code.0
    }
}

impl std::fmt::Display for MetricCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a period's records of a metric make its quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// The sum of the quantities (traffic, CPU hours).
    Sum,
    /// The largest quantity (peak storage).
    Max,
    /// The quantity of the latest record (by `at`, then by id): the state at the period's end.
    Last,
    /// How many different values were seen (each record's `unique_key`, or its quantity when it
    /// has none): IP addresses used.
    CountUnique,
}

impl Aggregation {
    /// Parses the snake_case name.
    pub fn parse(text: &str) -> Result<Aggregation, UsageError> {
        match text {
            "sum" => Ok(Aggregation::Sum),
            "max" => Ok(Aggregation::Max),
            "last" => Ok(Aggregation::Last),
            "count_unique" => Ok(Aggregation::CountUnique),
            other => Err(UsageError::InvalidAggregation(
                other.chars().take(40).collect(),
            )),
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Max => "max",
            Aggregation::Last => "last",
            Aggregation::CountUnique => "count_unique",
        }
    }
}

/// One metered parameter of a tariff: the metric, how it is aggregated, how much of it each
/// period includes, and the price of each unit beyond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeteredParameter {
    /// The metric.
    pub code: MetricCode,
    /// How its records make a quantity.
    pub aggregation: Aggregation,
    /// The quantity each period includes; zero or more.
    pub included: Decimal,
    /// The price of one unit beyond `included`; zero or more.
    pub unit_price: Money,
}

/// One measured usage record, as the aggregation reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasuredRecord<'a> {
    /// The record's idempotency id: orders records with the same `at`.
    pub id: &'a str,
    /// Its quantity; zero or more.
    pub quantity: Decimal,
    /// What `count_unique` counts, if given.
    pub unique_key: Option<&'a str>,
    /// When it was measured.
    pub at: DateTime<Utc>,
}

/// What a period's records of one metric came to, every aggregation at once (so that the
/// charge event shows them all and an auditor can recompute any).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageStats {
    /// How many records.
    pub records: u64,
    /// Their sum.
    pub sum: Decimal,
    /// The largest quantity; zero without records.
    pub max: Decimal,
    /// The latest record's quantity; zero without records.
    pub last: Decimal,
    /// How many different values.
    pub unique: u64,
}

/// Folds records into [`UsageStats`]; feed them in any order.
#[derive(Debug, Default)]
pub struct StatsFolder {
    stats: UsageStats,
    latest: Option<(DateTime<Utc>, String)>,
    seen: BTreeSet<String>,
    overflow: bool,
}

impl StatsFolder {
    /// Takes one record.
    pub fn add(&mut self, record: &MeasuredRecord<'_>) {
        self.stats.records += 1;
        match self.stats.sum.checked_add(record.quantity) {
            Some(sum) => self.stats.sum = sum,
            None => self.overflow = true,
        }
        if self.stats.records == 1 || record.quantity > self.stats.max {
            self.stats.max = record.quantity;
        }
        let later = self
            .latest
            .as_ref()
            .is_none_or(|(at, id)| (record.at, record.id) > (*at, id.as_str()));
        if later {
            self.latest = Some((record.at, record.id.to_owned()));
            self.stats.last = record.quantity;
        }
        let key = match record.unique_key {
            Some(key) => format!("k:{key}"),
            None => format!("q:{}", record.quantity.normalize()),
        };
        if self.seen.insert(key) {
            self.stats.unique += 1;
        }
    }

    /// The stats of the records taken.
    pub fn finish(self) -> Result<UsageStats, UsageError> {
        if self.overflow {
            return Err(UsageError::QuantityOverflow);
        }
        Ok(self.stats)
    }
}

impl UsageStats {
    /// The stats of `records`.
    pub fn of<'a>(
        records: impl IntoIterator<Item = &'a MeasuredRecord<'a>>,
    ) -> Result<UsageStats, UsageError> {
        let mut folder = StatsFolder::default();
        for record in records {
            folder.add(record);
        }
        folder.finish()
    }

    /// The quantity `aggregation` makes of them.
    pub fn quantity(&self, aggregation: Aggregation) -> Decimal {
        match aggregation {
            Aggregation::Sum => self.sum,
            Aggregation::Max => self.max,
            Aggregation::Last => self.last,
            Aggregation::CountUnique => Decimal::from(self.unique),
        }
    }
}

/// One metric's part of a usage charge: what was measured, what of it was beyond the included
/// quantity, and what that costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeteredLine {
    /// The metric.
    pub code: MetricCode,
    /// How it was aggregated.
    pub aggregation: Aggregation,
    /// Everything the period's records came to.
    pub stats: UsageStats,
    /// The quantity the aggregation makes of them.
    pub quantity: Decimal,
    /// The quantity the period included.
    pub included: Decimal,
    /// `quantity - included`, never below zero.
    pub overage: Decimal,
    /// The price of one unit of overage.
    pub unit_price: Money,
    /// `overage × unit_price`, rounded half away from zero to the currency's minor units.
    pub amount: Money,
}

impl MeteredParameter {
    /// The line charging `stats` under this parameter.
    pub fn charge(&self, stats: UsageStats) -> Result<MeteredLine, UsageError> {
        let quantity = stats.quantity(self.aggregation);
        let overage = (quantity - self.included).max(Decimal::ZERO);
        let currency = self.unit_price.currency();
        let exact = overage
            .checked_mul(self.unit_price.amount())
            .ok_or(UsageError::QuantityOverflow)?;
        let rounded = exact.round_dp_with_strategy(
            currency.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        );
        let amount =
            Money::from_decimal(rounded, currency).map_err(|_| UsageError::QuantityOverflow)?;
        Ok(MeteredLine {
            code: self.code.clone(),
            aggregation: self.aggregation,
            stats,
            quantity,
            included: self.included,
            overage,
            unit_price: self.unit_price,
            amount,
        })
    }

    /// Checks a tariff's parameters: at most [`METERED_PARAMETERS_MAX`], codes unique, included
    /// quantities and prices not negative, prices in one currency.
    pub fn check_all(parameters: &[MeteredParameter]) -> Result<(), UsageError> {
        if parameters.len() > METERED_PARAMETERS_MAX {
            return Err(UsageError::TooManyParameters);
        }
        let mut codes = BTreeSet::new();
        for parameter in parameters {
            if !codes.insert(&parameter.code) {
                return Err(UsageError::DuplicateMetric(parameter.code.to_string()));
            }
            if parameter.included.is_sign_negative() {
                return Err(UsageError::NegativeQuantity(parameter.code.to_string()));
            }
            if parameter.unit_price.is_negative() {
                return Err(UsageError::NegativePrice(parameter.code.to_string()));
            }
            if parameter.unit_price.currency() != parameters[0].unit_price.currency() {
                return Err(UsageError::MixedCurrencies);
            }
        }
        Ok(())
    }
}

impl MeteredLine {
    /// What the client reads on the expense and the invoice line: the measured quantity, how
    /// it was aggregated, the included quantity and the overage price.
    pub fn description(&self, period: (chrono::NaiveDate, chrono::NaiveDate)) -> String {
        format!(
            "Usage {code} {from} to {to}: {quantity} ({aggregation} of {records} records), {included} included, {overage} over at {price} {currency}",
            code = self.code,
            from = period.0,
            to = period.1,
            quantity = self.quantity.normalize(),
            aggregation = self.aggregation.as_str(),
            records = self.stats.records,
            included = self.included.normalize(),
            overage = self.overage.normalize(),
            price = self.unit_price.amount(),
            currency = self.unit_price.currency().code(),
        )
    }
}
