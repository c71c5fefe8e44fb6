//! Hourly billing of VDS (issue 20.3, ADR 34), as BILLmanager's hourly tariffs: a service on a
//! tariff priced per hour pays for the clock hours it was active, settled once per UTC day.
//!
//! The rule that counts the hours lives here and nowhere else: `ServiceHours` (one stream per
//! service, under the service's id) is given the spans in which the service was active
//! (ordered or resumed, up to suspended or deleted) and the hourly price, and records
//! `HoursCharged` for one day: the hours, the price, the amount, and what the month's cap left.
//! A clock hour counts when the service was active at any moment of it, so the hour it starts
//! in counts whole, and an hour with a suspension and a resumption in it counts once. Hours
//! suspended are not charged. A day is charged once: a second billing day records nothing.
//! Days are charged in order, never one before the last charged. An auditor recomputes the
//! amount from the event alone.

#[cfg(test)]
mod tests;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{AccountId, ClientId, ExpenseId, ServiceId};
use crate::money::{Currency, Money};

/// The most decimal places of a price per hour (a sub-minor price, such as 0.0137 EUR).
pub const HOURLY_PRICE_FRACTION_DIGITS_MAX: usize = 6;

/// The most integer digits of a price per hour written as text: far above any real price, far
/// below what would overflow.
const HOURLY_PRICE_INTEGER_DIGITS_MAX: usize = 9;

/// `text` as a price per hour: a plain decimal with at most 9 integer digits and 6 decimals
/// (whether it is zero or more is [`HourlyPrice::new`]'s to say).
pub fn parse_per_hour(text: &str) -> Result<Decimal, crate::decimal::PlainDecimalError> {
    crate::decimal::parse_plain(
        text,
        HOURLY_PRICE_INTEGER_DIGITS_MAX,
        HOURLY_PRICE_FRACTION_DIGITS_MAX,
    )
}

/// The UUID v5 namespace of hourly expense ids. It must never change: re-deriving an id is
/// how a repeated charge is recognised.
const HOURLY_EXPENSE_NAMESPACE: Uuid = Uuid::from_u128(0x0c4d_71e2_9a35_4b08_8e6f_13d2_a7b9_5c41);

/// The expense that charges `service`'s hours of `day`: a UUID v5 over
/// `"{service}/hours/{YYYY-MM-DD}"`.
pub fn hourly_expense_id(service: ServiceId, day: NaiveDate) -> ExpenseId {
    let name = format!("{service}/hours/{}", day.format("%Y-%m-%d"));
    ExpenseId::from_uuid(Uuid::new_v5(&HOURLY_EXPENSE_NAMESPACE, name.as_bytes()))
}

/// Why an hourly price or an hourly charge was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HourlyError {
    /// A negative price per hour, or one with too many decimals.
    #[error("price_per_hour: {0} is not a price per hour (zero or more, at most 6 decimals)")]
    InvalidPrice(Decimal),
    /// A cap of zero or less, or in another currency than the price.
    #[error("monthly_cap: {0} is not a cap (above zero, in the price's currency)")]
    InvalidCap(Money),
    /// A day that has not ended by the day of the charge.
    #[error("the day {day} has not ended on {as_of}")]
    DayNotEnded {
        /// The day to charge.
        day: NaiveDate,
        /// The day of the charge.
        as_of: NaiveDate,
    },
    /// A day before the last charged one.
    #[error("hours are charged up to {charged_until}; {day} comes before")]
    DayBeforeCharged {
        /// The first day not charged yet.
        charged_until: NaiveDate,
        /// The day given.
        day: NaiveDate,
    },
    /// An active span that ends before it starts.
    #[error("an active span ends ({until}) before it starts ({from})")]
    BackwardSpan {
        /// Its start.
        from: DateTime<Utc>,
        /// Its end.
        until: DateTime<Utc>,
    },
    /// An amount too large to count.
    #[error("the hourly amount is too large to count")]
    Overflow,
    /// Another service's hours.
    #[error("these are another service's hours")]
    OtherService,
}

impl HourlyError {
    /// The problem code.
    pub fn code(&self) -> &'static str {
        match self {
            HourlyError::InvalidPrice(_) => "invalid_hourly_price",
            HourlyError::InvalidCap(_) => "invalid_monthly_cap",
            HourlyError::DayNotEnded { .. } => "hourly_day_not_ended",
            HourlyError::DayBeforeCharged { .. } => "hourly_day_before_charged",
            HourlyError::BackwardSpan { .. } => "hourly_backward_span",
            HourlyError::Overflow => "hourly_overflow",
            HourlyError::OtherService => "hourly_other_service",
        }
    }
}

/// A tariff's price per hour, with an optional cap on what one calendar month (UTC) costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourlyPrice {
    /// The price of one hour: zero or more, at most 6 decimals (below the currency's minor
    /// unit; the day's amount is rounded once, in [`HourlyPrice::amount_for`]).
    pub per_hour: Decimal,
    /// The currency of the price and of the cap.
    pub currency: Currency,
    /// The most one calendar month of hours costs, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_cap: Option<Money>,
}

impl HourlyPrice {
    /// Checks a price per hour and its cap.
    pub fn new(
        per_hour: Decimal,
        currency: Currency,
        monthly_cap: Option<Money>,
    ) -> Result<HourlyPrice, HourlyError> {
        if (per_hour.is_sign_negative() && !per_hour.is_zero())
            || usize::try_from(per_hour.normalize().scale())
                .map_or(true, |scale| scale > HOURLY_PRICE_FRACTION_DIGITS_MAX)
        {
            return Err(HourlyError::InvalidPrice(per_hour));
        }
        if let Some(cap) = monthly_cap
            && (!cap.is_positive() || cap.currency() != currency)
        {
            return Err(HourlyError::InvalidCap(cap));
        }
        Ok(HourlyPrice {
            per_hour,
            currency,
            monthly_cap,
        })
    }

    /// What `hours` cost before any cap: the hours times the price, rounded once to the
    /// currency's minor unit, half away from zero.
    pub fn amount_for(&self, hours: u32) -> Result<Money, HourlyError> {
        let exact = self
            .per_hour
            .checked_mul(Decimal::from(hours))
            .ok_or(HourlyError::Overflow)?;
        let rounded = exact.round_dp_with_strategy(
            self.currency.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        );
        Money::from_decimal(rounded, self.currency).map_err(|_| HourlyError::Overflow)
    }
}

/// A time in which the service was active: from its order (or resumption) up to its
/// suspension (or deletion), half-open; `until` is `None` while it still is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveSpan {
    /// When it became active.
    pub from: DateTime<Utc>,
    /// When it stopped being active, if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

/// The clock hours of the UTC `day` in which the service was active at some moment: an hour
/// counts once, however many spans touch it, and a span touches the hour it starts in (the
/// first hour counts when started) but not one it ends exactly at the start of.
pub fn active_hours(spans: &[ActiveSpan], day: NaiveDate) -> Result<u32, HourlyError> {
    for span in spans {
        if let Some(until) = span.until
            && until < span.from
        {
            return Err(HourlyError::BackwardSpan {
                from: span.from,
                until,
            });
        }
    }
    let midnight = day.and_time(chrono::NaiveTime::MIN).and_utc();
    let mut hours = 0;
    for hour in 0..24 {
        let start = midnight + Duration::hours(hour);
        let end = start + Duration::hours(1);
        let touched = spans.iter().any(|span| {
            span.from < end
                && span
                    .until
                    .is_none_or(|until| until > start && until > span.from)
        });
        if touched {
            hours += 1;
        }
    }
    Ok(hours)
}

/// What can be asked of a service's hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HourlyCommand {
    /// Charges the hours of `day` in which the service was active (spans given from its
    /// history), at `price`, within what the month's cap leaves.
    ChargeHours {
        /// The service.
        service_id: ServiceId,
        /// The UTC day to charge.
        day: NaiveDate,
        /// The day of the charge; `day` must have ended by then.
        as_of: NaiveDate,
        /// Every time the service was active (those outside `day` do not count).
        spans: Vec<ActiveSpan>,
        /// The tariff's price per hour.
        price: HourlyPrice,
    },
}

/// What has happened to a service's hours. Stored forever: variants and fields are never
/// renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HourlyEvent {
    /// A day's hours were charged. When the amount is above zero it is charged to the account
    /// as one expense ([`hourly_expense_id`]) that shows the hours.
    HoursCharged {
        /// The service.
        service_id: ServiceId,
        /// The UTC day.
        day: NaiveDate,
        /// The clock hours of the day in which the service was active.
        hours: u32,
        /// The price it was charged at.
        price: HourlyPrice,
        /// The hours times the price, rounded (before the cap).
        uncapped: Money,
        /// What the month's earlier days had cost (before this one).
        month_before: Money,
        /// What is charged: `uncapped`, or what the cap leaves of the month.
        amount: Money,
    },
}

impl DomainEvent for HourlyEvent {
    fn event_type(&self) -> String {
        match self {
            Self::HoursCharged { .. } => "HoursCharged".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// A time in which a service was billed by the hour, on one tariff at one price, for one
/// owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BilledSpan {
    /// When it ran.
    pub span: ActiveSpan,
    /// The price per hour of the terms it ran on.
    pub price: HourlyPrice,
    /// The tariff of those terms, by name: what the day's expense names.
    pub tariff_name: String,
    /// The client and account that held the service then: who is charged the day.
    pub owner: Option<(ClientId, AccountId)>,
}

/// A service as one of its events left it: what hourly billing reads of its history.
#[derive(Debug, Clone, Copy)]
pub struct Moment<'t> {
    /// Its status from `at` on.
    pub status: crate::service::ServiceStatus,
    /// Its terms then.
    pub terms: Option<&'t crate::tariff::ServiceTerms>,
    /// Its client and account then.
    pub owner: Option<(ClientId, AccountId)>,
    /// Whether the event moved the service to `owner` in a merge.
    pub merged: bool,
    /// When the event occurred (business time).
    pub at: DateTime<Utc>,
}

/// The times a service was billed by the hour, from its history in order. A service's hours
/// count while it is `Active` on terms priced per hour: from its activation or resumption to its
/// suspension, closure or deletion, whatever operations are under way meanwhile, and from a
/// tariff change onto an hourly price to a tariff change off it. A change to another tariff,
/// price per hour or owner (a transfer) ends one span and starts the next at the same moment:
/// the old owner keeps the hours it ran the service. A merge is not such a change: the client
/// merged into takes everything of the merged client's, its balance and its debts, so it takes
/// the hours the merged client ran the service too, whenever they are charged.
pub fn billed_spans<'t>(history: impl IntoIterator<Item = Moment<'t>>) -> Vec<BilledSpan> {
    let mut spans: Vec<BilledSpan> = Vec::new();
    let mut owner_before = None;
    for moment in history {
        if moment.merged && owner_before != moment.owner {
            for span in &mut spans {
                if span.owner == owner_before {
                    span.owner = moment.owner;
                }
            }
        }
        owner_before = moment.owner;
        let running = moment
            .terms
            .filter(|_| moment.status == crate::service::ServiceStatus::Active)
            .and_then(|terms| {
                terms
                    .hourly
                    .map(|price| (price, terms.tariff_name.as_str()))
            });
        let open = spans.last_mut().filter(|last| last.span.until.is_none());
        match (running, open) {
            (Some((price, name)), Some(last))
                if last.price == price
                    && last.tariff_name == name
                    && last.owner == moment.owner => {}
            (running, open) => {
                if let Some(last) = open {
                    last.span.until = Some(moment.at.max(last.span.from));
                }
                if let Some((price, name)) = running {
                    spans.push(BilledSpan {
                        span: ActiveSpan {
                            from: moment.at,
                            until: None,
                        },
                        price,
                        tariff_name: name.to_owned(),
                        owner: moment.owner,
                    });
                }
            }
        }
    }
    spans
}

/// The span `day` is charged by: the last one billed in it (a day whose tariff, price per hour
/// or owner changed is charged whole at the later one and to the later owner, as one day is one
/// charge), or `None` when no span touches it.
pub fn billed_on(spans: &[BilledSpan], day: NaiveDate) -> Option<&BilledSpan> {
    let start = day.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = start + Duration::days(1);
    spans.iter().rev().find(|billed| {
        billed.span.from < end && billed.span.until.is_none_or(|until| until > start)
    })
}

/// One charged day, as the event has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargedDay {
    /// The day.
    pub day: NaiveDate,
    /// Its hours.
    pub hours: u32,
    /// The price they were charged at.
    pub price: HourlyPrice,
    /// The hours times the price, before the cap.
    pub uncapped: Money,
    /// What it cost.
    pub amount: Money,
    /// The total of its calendar month so far, this day included.
    pub month_total: Money,
}

/// The hours of one service, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceHours {
    service_id: Option<ServiceId>,
    last: Option<ChargedDay>,
}

impl ChargedDay {
    /// What the client reads on the expense and the invoice: the service, the day, the hours
    /// and the price, and the cap when it took something off, e.g. `VDS S: 14 h on 2027-01-01
    /// at 0.0137 EUR/h`.
    pub fn description(&self, service_name: &str) -> String {
        let mut text = format!(
            "{service_name}: {} h on {} at {} {}/h",
            self.hours,
            self.day.format("%Y-%m-%d"),
            self.price.per_hour.normalize(),
            self.price.currency
        );
        if self.amount != self.uncapped
            && let Some(cap) = self.price.monthly_cap
        {
            text.push_str(&format!(
                " ({} before the monthly cap of {cap})",
                self.uncapped
            ));
        }
        text
    }
}

fn same_month(a: NaiveDate, b: NaiveDate) -> bool {
    a.year() == b.year() && a.month() == b.month()
}

impl ServiceHours {
    /// The first day not charged yet, once a day has been.
    pub fn charged_until(&self) -> Option<NaiveDate> {
        self.last.as_ref().and_then(|last| last.day.succ_opt())
    }

    /// The last day charged.
    pub fn last(&self) -> Option<&ChargedDay> {
        self.last.as_ref()
    }

    /// Applies the rules to `command`.
    pub fn decide(&self, command: HourlyCommand) -> Result<Vec<HourlyEvent>, HourlyError> {
        match command {
            HourlyCommand::ChargeHours {
                service_id,
                day,
                as_of,
                spans,
                price,
            } => self.charge(service_id, day, as_of, &spans, price),
        }
    }

    fn charge(
        &self,
        service_id: ServiceId,
        day: NaiveDate,
        as_of: NaiveDate,
        spans: &[ActiveSpan],
        price: HourlyPrice,
    ) -> Result<Vec<HourlyEvent>, HourlyError> {
        if self.service_id.is_some_and(|own| own != service_id) {
            return Err(HourlyError::OtherService);
        }
        if day >= as_of {
            return Err(HourlyError::DayNotEnded { day, as_of });
        }
        // Checked again, as the tariff checked it: an event must never hold a bad price.
        let price = HourlyPrice::new(price.per_hour, price.currency, price.monthly_cap)?;
        if let Some(last) = &self.last {
            if last.day == day {
                // Charged already: a repeated billing day records nothing.
                return Ok(vec![]);
            }
            if day < last.day {
                return Err(HourlyError::DayBeforeCharged {
                    charged_until: last.day.succ_opt().unwrap_or(last.day),
                    day,
                });
            }
        }
        let hours = active_hours(spans, day)?;
        let uncapped = price.amount_for(hours)?;
        let month_before = match &self.last {
            Some(last)
                if same_month(last.day, day) && last.month_total.currency() == price.currency =>
            {
                last.month_total
            }
            _ => Money::zero(price.currency),
        };
        let amount = match price.monthly_cap {
            Some(cap) => {
                let left = cap
                    .checked_sub(month_before)
                    .map_err(|_| HourlyError::Overflow)?;
                if left.is_positive() {
                    if uncapped.amount() > left.amount() {
                        left
                    } else {
                        uncapped
                    }
                } else {
                    Money::zero(price.currency)
                }
            }
            None => uncapped,
        };
        // The month's total must stay countable; `apply` only adds what was checked here.
        month_before
            .checked_add(amount)
            .map_err(|_| HourlyError::Overflow)?;
        Ok(vec![HourlyEvent::HoursCharged {
            service_id,
            day,
            hours,
            price,
            uncapped,
            month_before,
            amount,
        }])
    }
}

impl Aggregate for ServiceHours {
    const TYPE: &'static str = "ServiceHours";
    type Command = HourlyCommand;
    type Event = HourlyEvent;
    type Error = HourlyError;
    type Services = ();

    async fn handle(
        &mut self,
        command: HourlyCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), HourlyError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: HourlyEvent) {
        match event {
            HourlyEvent::HoursCharged {
                service_id,
                day,
                hours,
                price,
                uncapped,
                month_before,
                amount,
            } => {
                self.service_id = Some(service_id);
                self.last = Some(ChargedDay {
                    day,
                    hours,
                    price,
                    uncapped,
                    amount,
                    // The sum was checked in `charge`, which refuses a day it would overflow.
                    month_total: month_before.checked_add(amount).unwrap_or(amount),
                });
            }
        }
    }
}
