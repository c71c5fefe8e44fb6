//! The billing day: for a date `as_of`, prolong what is due (charging the personal account),
//! suspend what could not be paid at the end of its paid period, close what was scheduled to close,
//! delete what stayed suspended past its item type's delay, and record the expiry notices due.
//!
//! Every step is a command that is a no-op the second time (expenses are keyed by service and
//! period; the service's own rules refuse to request an operation twice or to notice twice), so a
//! run repeated for the same day, or two runs at once, change nothing the second time.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use domain::ids::{OperationId, ServiceId};
use domain::service::{Notice, OperationKind, Service, ServiceCommand, ServiceEvent};
use eventstore::EventStore;
use eventstore::metadata::CommandContext;
use futures::StreamExt;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::usecases::process::settlement::{Charged, SettleError, charge_due};
use projections::Progress;

/// What a billing day did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BillingDayReport {
    /// The day.
    pub as_of: NaiveDate,
    /// Services looked at.
    pub services: u64,
    /// Periods charged (first periods, prolongations and resumptions).
    pub charged: u64,
    /// Charges the accounts could not pay.
    pub refused: u64,
    /// Suspensions requested.
    pub suspensions: u64,
    /// Deletions requested (after a suspension delay or a closure).
    pub deletions: u64,
    /// Services closed.
    pub closed: u64,
    /// Notices recorded.
    pub notices: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
}

/// Runs the billing day over every service that may need something on `as_of`.
pub async fn run(
    store: &EventStore,
    pool: &PgPool,
    progress: &Progress,
    as_of: NaiveDate,
    context: &CommandContext,
    concurrency: usize,
) -> Result<BillingDayReport, SettleError> {
    let started = Instant::now();
    // The read model must include every service ordered so far before it is asked what is due.
    let head = eventstore::log::head_position(pool).await?;
    let caught_up = head == 0
        || projections::engine::wait_for_position(
            pool,
            progress,
            "services",
            head,
            Duration::from_secs(20),
        )
        .await
        .map_err(|e| SettleError::Refused(e.to_string()))?;
    if !caught_up {
        return Err(SettleError::Behind);
    }
    let candidates: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM services
          WHERE status IN ('ordered', 'suspended', 'closed')
             OR (status IN ('active', 'provisioning') AND paid_until <= $1 + 10)
          ORDER BY ordered_on, id",
    )
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    let mut report = BillingDayReport {
        as_of,
        ..BillingDayReport::default()
    };
    let mut results = futures::stream::iter(candidates)
        .map(|id| one_service(store, ServiceId::from_uuid(id), as_of, context))
        .buffer_unordered(concurrency.max(1));
    while let Some(result) = results.next().await {
        let one = result?;
        report.services += 1;
        report.charged += one.charged;
        report.refused += one.refused;
        report.suspensions += one.suspensions;
        report.deletions += one.deletions;
        report.closed += one.closed;
        report.notices += one.notices;
    }
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

async fn one_service(
    store: &EventStore,
    service_id: ServiceId,
    as_of: NaiveDate,
    context: &CommandContext,
) -> Result<BillingDayReport, SettleError> {
    let mut report = BillingDayReport::default();
    // Charge every period due up to the day (more than one if days were skipped).
    for _ in 0..400 {
        match charge_due(store, service_id, as_of, context).await? {
            Charged::Charged => report.charged += 1,
            Charged::Refused => {
                report.refused += 1;
                break;
            }
            Charged::NothingDue => break,
        }
    }
    let committed = store
        .execute::<Service>(
            &service_id.to_string(),
            ServiceCommand::RunBillingDay {
                on: as_of,
                operation_id: OperationId::from_uuid(Uuid::now_v7()),
            },
            context,
            &[],
        )
        .await?;
    for event in committed.events {
        match event {
            ServiceEvent::NoticeDue {
                notice: Notice::ExpiresIn { .. },
            } => report.notices += 1,
            ServiceEvent::OperationRequested {
                kind: OperationKind::Suspend,
                ..
            } => report.suspensions += 1,
            ServiceEvent::OperationRequested {
                kind: OperationKind::Delete,
                ..
            } => report.deletions += 1,
            ServiceEvent::ServiceClosed { .. } => report.closed += 1,
            _ => {}
        }
    }
    Ok(report)
}
