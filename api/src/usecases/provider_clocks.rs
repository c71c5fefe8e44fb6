//! Moving a sandbox provider's clock: the provider's rule first, then its billing days, one for
//! each day the clock passes. Apart from `providers` so that the billing day's module does not
//! sit in the import path of everything that names a provider.

use chrono::{DateTime, Days, Utc};
use domain::ids::ProviderId;
use domain::provider::{Provider, ProviderCommand};
use eventstore::metadata::CommandContext;
use serde::Serialize;
use uuid::Uuid;

use crate::usecases::clocks::BusinessTime;
use crate::usecases::process::billing_day::{self, BillingDayReport, Scope};
use crate::usecases::providers::named;
use crate::usecases::{Core, Error};

/// How many services a sandbox's billing day works on at once.
const CONCURRENCY: usize = 4;

/// The longest move of a sandbox clock in one request: the billing days it runs answer in the
/// request, so a decade at most.
const DAYS_PER_ADVANCE_MAX: u64 = 3_660;

/// What moving a sandbox clock did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockAdvanced {
    /// The time the clock showed.
    pub from: DateTime<Utc>,
    /// The time it shows now.
    pub to: DateTime<Utc>,
    /// The provider's event, or the last billing day's, for `min_position`.
    pub position: i64,
    /// The billing day of each day the clock passed, in order.
    pub days: Vec<BillingDayReport>,
}

/// Moves the sandbox provider `id`'s clock forward to `to` (the provider refuses a live
/// provider and a move back), then runs that provider's billing day for each day from the one
/// the clock showed to the one it shows now, each dated by the clock at that day's start (the
/// last by `to`). Moving it to where it is records nothing and runs the days again, which
/// changes nothing that was done: a retry after an interruption finishes the work.
pub async fn advance_clock(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    to: DateTime<Utc>,
) -> Result<ClockAdvanced, Error> {
    let provider = ProviderId::from_uuid(id);
    let before = named(core, id)
        .await
        .map_err(|_| Error::not_found("provider_not_found", format!("no provider {id}")))?;
    let from = before.clock().unwrap_or(to);
    let days = to.date_naive() - from.date_naive();
    if u64::try_from(days.num_days()).unwrap_or(0) > DAYS_PER_ADVANCE_MAX {
        return Err(Error::invalid(
            "clock_too_far",
            format!("to: a clock moves at most {DAYS_PER_ADVANCE_MAX} days in one request"),
        ));
    }
    let committed = core
        .store
        .execute::<Provider>(
            &id.to_string(),
            ProviderCommand::AdvanceClock { to },
            context,
            &[],
        )
        .await?;
    let system = CommandContext {
        request_id: context.request_id.clone(),
        ..CommandContext::new(eventstore::metadata::Actor::System(
            "sandbox-clock".to_owned(),
        ))
    };
    let mut position = committed.position;
    let mut reports = Vec::new();
    let mut day = from.date_naive();
    let mut waited = None;
    while day <= to.date_naive() {
        // The read models are waited for only when the log moved since: most days write
        // nothing, and a year must not cost a year of waits.
        let head = eventstore::log::head_position(core.pool.primary()).await?;
        if waited.is_none_or(|reached| head != reached) {
            waited = Some(billing_day::caught_up(&core.pool, &core.progress).await?);
        }
        let at = if day == to.date_naive() {
            to
        } else if day == from.date_naive() {
            from
        } else {
            day.and_time(chrono::NaiveTime::MIN).and_utc()
        };
        let when = BusinessTime::sandbox(at);
        let mut report = billing_day::run_caught_up(
            &core.store,
            &core.pool,
            day,
            Scope::Sandbox(provider),
            &when.stamp(&system),
            CONCURRENCY,
        )
        .await?;
        // The provider's domains on the same day, by the same clock (ADR 33).
        let domains = crate::usecases::domains::billing_day(
            core,
            &system,
            day,
            Scope::Sandbox(provider),
            when,
        )
        .await?;
        report.add_domains(&domains);
        reports.push(report);
        day = match day.checked_add_days(Days::new(1)) {
            Some(next) => next,
            None => break,
        };
    }
    // The head in the safe order comes after the clock's own event, which is visible.
    let head = eventstore::log::head_position(core.pool.primary()).await?;
    if head != 0 {
        position = head;
    }
    Ok(ClockAdvanced {
        from,
        to,
        position,
        days: reports,
    })
}
