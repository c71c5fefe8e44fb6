//! Usage-based charging (issue 20.3): a service's metered usage, charged per period.
//!
//! The raw records (traffic, CPU hours, IPs, storage) are high-volume facts kept in their own
//! append-only table, never in the log (ADR 24). What the log keeps is the charge:
//! `ServiceUsage` (one stream per service, under the service's id) decides, from the tariff's
//! [`MeteredParameter`]s and what the period's records came to ([`UsageStats`], every
//! aggregation at once, with the count of records), one [`MeteredLine`] per metric, and records
//! them in `UsageCharged`. The charge of a period is recorded once, periods follow each other
//! without gaps or overlaps, and a period is charged only once it has ended. An auditor
//! recomputes each line's amount from the event alone, and each quantity from the records.

mod metered;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{ExpenseId, ServiceId};

pub use metered::*;

/// The UUID v5 namespace of usage expense ids. It must never change: re-deriving an id is how
/// a repeated charge is recognised.
const USAGE_EXPENSE_NAMESPACE: Uuid = Uuid::from_u128(0x5b1e_0c7a_3d92_4e61_9f08_a2c4_7e13_d650);

/// The expense that charges the overage of `code` for the usage period of `service` starting on
/// `period_start`: a UUID v5 over `"{service}/usage/{YYYY-MM-DD}/{code}"`.
pub fn usage_expense_id(
    service: ServiceId,
    period_start: NaiveDate,
    code: &MetricCode,
) -> ExpenseId {
    let name = format!("{service}/usage/{}/{code}", period_start.format("%Y-%m-%d"));
    ExpenseId::from_uuid(Uuid::new_v5(&USAGE_EXPENSE_NAMESPACE, name.as_bytes()))
}

/// Why a usage command, a metered parameter or a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// A metric code that breaks the rule of [`MetricCode`].
    #[error(
        "metric: {0:?} is not a metric code (a-z, 0-9 and _, starting with a letter, 1 to 32 characters)"
    )]
    InvalidMetric(String),
    /// An unknown aggregation.
    #[error("aggregation: {0:?} is none of sum, max, last, count_unique")]
    InvalidAggregation(String),
    /// More parameters than a tariff may have.
    #[error("metered: at most 20 parameters")]
    TooManyParameters,
    /// Two parameters with one code.
    #[error("metered: two parameters for {0}")]
    DuplicateMetric(String),
    /// A negative included quantity.
    #[error("metered: the included quantity of {0} is negative")]
    NegativeQuantity(String),
    /// A negative unit price.
    #[error("metered: the unit price of {0} is negative")]
    NegativePrice(String),
    /// Prices in more than one currency.
    #[error("metered: every unit price must be in one currency")]
    MixedCurrencies,
    /// A sum or an amount too large to count.
    #[error("the usage is too large to count")]
    QuantityOverflow,
    /// A period that has not ended, or ends before it starts.
    #[error("the usage period {0} to {1} has not ended")]
    PeriodNotEnded(NaiveDate, NaiveDate),
    /// A period that does not start where the last charge ended.
    #[error("usage is charged up to {charged_until}; the next period starts then, not on {start}")]
    NotNextPeriod {
        /// The end of the last charged period.
        charged_until: NaiveDate,
        /// The start given.
        start: NaiveDate,
    },
    /// Another service's usage.
    #[error("this is another service's usage")]
    OtherService,
}

impl UsageError {
    /// The problem code.
    pub fn code(&self) -> &'static str {
        match self {
            UsageError::InvalidMetric(_) => "invalid_metric",
            UsageError::InvalidAggregation(_) => "invalid_aggregation",
            UsageError::TooManyParameters => "too_many_metered_parameters",
            UsageError::DuplicateMetric(_) => "duplicate_metric",
            UsageError::NegativeQuantity(_) => "negative_quantity",
            UsageError::NegativePrice(_) => "negative_price",
            UsageError::MixedCurrencies => "mixed_currencies",
            UsageError::QuantityOverflow => "quantity_overflow",
            UsageError::PeriodNotEnded(..) => "usage_period_not_ended",
            UsageError::NotNextPeriod { .. } => "usage_period_not_next",
            UsageError::OtherService => "usage_other_service",
        }
    }
}

/// What can be asked of a service's usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UsageCommand {
    /// Charges the usage of `[period_start, period_end)`: one line per parameter of the tariff,
    /// from what the period's records of its metric came to (none: zero).
    ChargeUsage {
        /// The service.
        service_id: ServiceId,
        /// The first day of the period.
        period_start: NaiveDate,
        /// The first day after it.
        period_end: NaiveDate,
        /// The day of the charge; the period must have ended by then.
        as_of: NaiveDate,
        /// The tariff's metered parameters.
        parameters: Vec<MeteredParameter>,
        /// What the period's records came to, per metric.
        measured: Vec<(MetricCode, UsageStats)>,
    },
}

/// What has happened to a service's usage. Stored forever: variants and fields are never
/// renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UsageEvent {
    /// A period's usage was charged: the lines with their measured quantities. The lines with
    /// an amount above zero are charged to the account, each as its own expense
    /// ([`usage_expense_id`]).
    UsageCharged {
        /// The service.
        service_id: ServiceId,
        /// The first day of the period.
        period_start: NaiveDate,
        /// The first day after it.
        period_end: NaiveDate,
        /// One per metered parameter.
        lines: Vec<MeteredLine>,
    },
}

impl DomainEvent for UsageEvent {
    fn event_type(&self) -> String {
        match self {
            Self::UsageCharged { .. } => "UsageCharged".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// A charged period and its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargedUsage {
    /// The first day of the period.
    pub period_start: NaiveDate,
    /// The first day after it.
    pub period_end: NaiveDate,
    /// The lines.
    pub lines: Vec<MeteredLine>,
}

/// The usage of one service, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceUsage {
    service_id: Option<ServiceId>,
    /// The last period charged.
    last: Option<ChargedUsage>,
}

impl ServiceUsage {
    /// The first day not charged yet, once a period has been.
    pub fn charged_until(&self) -> Option<NaiveDate> {
        self.last.as_ref().map(|last| last.period_end)
    }

    /// The last period charged.
    pub fn last(&self) -> Option<&ChargedUsage> {
        self.last.as_ref()
    }

    /// Applies the rules to `command`.
    pub fn decide(&self, command: UsageCommand) -> Result<Vec<UsageEvent>, UsageError> {
        match command {
            UsageCommand::ChargeUsage {
                service_id,
                period_start,
                period_end,
                as_of,
                parameters,
                measured,
            } => self.charge(
                service_id,
                (period_start, period_end),
                as_of,
                &parameters,
                measured,
            ),
        }
    }

    fn charge(
        &self,
        service_id: ServiceId,
        (period_start, period_end): (NaiveDate, NaiveDate),
        as_of: NaiveDate,
        parameters: &[MeteredParameter],
        measured: Vec<(MetricCode, UsageStats)>,
    ) -> Result<Vec<UsageEvent>, UsageError> {
        if self.service_id.is_some_and(|own| own != service_id) {
            return Err(UsageError::OtherService);
        }
        if period_start >= period_end || period_end > as_of {
            return Err(UsageError::PeriodNotEnded(period_start, period_end));
        }
        if let Some(charged_until) = self.charged_until() {
            if charged_until >= period_end {
                // Charged already: a repeated billing day records nothing.
                return Ok(vec![]);
            }
            if charged_until != period_start {
                return Err(UsageError::NotNextPeriod {
                    charged_until,
                    start: period_start,
                });
            }
        }
        MeteredParameter::check_all(parameters)?;
        let lines = parameters
            .iter()
            .map(|parameter| {
                let stats = measured
                    .iter()
                    .find(|(code, _)| *code == parameter.code)
                    .map(|(_, stats)| stats.clone())
                    .unwrap_or_default();
                parameter.charge(stats)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(vec![UsageEvent::UsageCharged {
            service_id,
            period_start,
            period_end,
            lines,
        }])
    }
}

impl Aggregate for ServiceUsage {
    const TYPE: &'static str = "ServiceUsage";
    type Command = UsageCommand;
    type Event = UsageEvent;
    type Error = UsageError;
    type Services = ();

    async fn handle(
        &mut self,
        command: UsageCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), UsageError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: UsageEvent) {
        match event {
            UsageEvent::UsageCharged {
                service_id,
                period_start,
                period_end,
                lines,
            } => {
                self.service_id = Some(service_id);
                self.last = Some(ChargedUsage {
                    period_start,
                    period_end,
                    lines,
                });
            }
        }
    }
}
