//! Services (ordered items) and the provisioning operations on them.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::service::{OperationKind, ServiceEvent, SuspendReason};
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `services` and `operations` tables.
pub struct Services;

#[async_trait]
impl Projection for Services {
    fn name(&self) -> &'static str {
        "services"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["services", "operations"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events.iter().filter(|e| e.aggregate_type == "Service") {
            apply(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

/// The stored name of an operation kind.
pub fn kind_name(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Activate => "activate",
        OperationKind::Suspend => "suspend",
        OperationKind::Resume => "resume",
        OperationKind::Delete => "delete",
    }
}

/// The stored name of a suspension reason.
pub fn reason_name(reason: SuspendReason) -> &'static str {
    match reason {
        SuspendReason::Staff => "staff",
        SuspendReason::Abuse => "abuse",
        SuspendReason::NonPayment => "non_payment",
    }
}

struct Row<'a> {
    id: Uuid,
    at: DateTime<Utc>,
    position: i64,
    tx: &'a mut PgConnection,
}

impl Row<'_> {
    /// Sets `assignments` (SQL with `$4`, `$5`, ... for `extra`) on the service.
    async fn set(&mut self, assignments: &str) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "UPDATE services SET {assignments}, updated_at = $2, position = $3 WHERE id = $1"
        ))
        .bind(self.id)
        .bind(self.at)
        .bind(self.position)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn set_paid_until(
        &mut self,
        status: Option<&str>,
        until: NaiveDate,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE services SET paid_until = $4, status = coalesce($5, status),
                    updated_at = $2, position = $3
              WHERE id = $1",
        )
        .bind(self.id)
        .bind(self.at)
        .bind(self.position)
        .bind(until)
        .bind(status)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn finish_operation(&mut self, operation: Uuid, status: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE operations SET status = $2, updated_at = $3, position = $4 WHERE id = $1",
        )
        .bind(operation)
        .bind(status)
        .bind(self.at)
        .bind(self.position)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

async fn apply(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let at = event.metadata()?.occurred_at;
    let id = Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("service id: {e}")))?;
    let mut row = Row {
        id,
        at,
        position: event.position,
        tx,
    };
    match event.decode::<ServiceEvent>()? {
        ServiceEvent::ServiceOrdered {
            service_id,
            client_id,
            provider_id,
            account_id,
            terms,
            auto_prolong,
            ordered_on,
            ..
        } => {
            sqlx::query(
                "INSERT INTO services (id, client_id, provider_id, account_id, tariff_id,
                                       tariff_name, item_type, period, currency, price_per_period,
                                       setup_fee, terms, auto_prolong, status, ordered_on,
                                       created_at, updated_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'ordered', $14,
                         $15, $15, $16)",
            )
            .bind(service_id.as_uuid())
            .bind(client_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(account_id.as_uuid())
            .bind(terms.tariff_id.as_uuid())
            .bind(&terms.tariff_name)
            .bind(terms.item_type.as_str())
            .bind(terms.period.as_str())
            .bind(terms.currency().code())
            .bind(terms.price_per_period.amount())
            .bind(terms.setup_fee.amount())
            .bind(Json(&terms))
            .bind(auto_prolong)
            .bind(ordered_on)
            .bind(at)
            .bind(event.position)
            .execute(&mut *row.tx)
            .await?;
        }
        ServiceEvent::ServiceCharged { period_end, .. } => {
            row.set_paid_until(Some("provisioning"), period_end).await?;
        }
        ServiceEvent::ServiceProlonged { period_end, .. } => {
            row.set_paid_until(None, period_end).await?;
        }
        ServiceEvent::OperationRequested {
            operation_id,
            kind,
            attempt,
            requested_on,
            ..
        } => {
            // A retry replaces the failed attempt.
            sqlx::query(
                "UPDATE operations SET status = 'retried', updated_at = $2, position = $3
                  WHERE service_id = $1 AND status = 'failed'",
            )
            .bind(id)
            .bind(at)
            .bind(event.position)
            .execute(&mut *row.tx)
            .await?;
            sqlx::query(
                "INSERT INTO operations (id, service_id, client_id, kind, status, attempt,
                                         requested_on, created_at, updated_at, position)
                 SELECT $1, $2, client_id, $3, 'pending', $4, $5, $6, $6, $7
                   FROM services WHERE id = $2",
            )
            .bind(operation_id.as_uuid())
            .bind(id)
            .bind(kind_name(kind))
            .bind(i32::try_from(attempt).unwrap_or(i32::MAX))
            .bind(requested_on)
            .bind(at)
            .bind(event.position)
            .execute(&mut *row.tx)
            .await?;
        }
        ServiceEvent::OperationFailed {
            operation_id,
            reason,
            ..
        } => {
            sqlx::query(
                "UPDATE operations SET status = 'failed', reason = $2, updated_at = $3,
                        position = $4
                  WHERE id = $1",
            )
            .bind(operation_id.as_uuid())
            .bind(reason)
            .bind(at)
            .bind(event.position)
            .execute(&mut *row.tx)
            .await?;
        }
        ServiceEvent::ServiceActivated { operation_id } => {
            row.finish_operation(operation_id.as_uuid(), "done").await?;
            row.set("status = 'active'").await?;
        }
        ServiceEvent::ServiceSuspended {
            operation_id,
            reason,
            since,
        } => {
            row.finish_operation(operation_id.as_uuid(), "done").await?;
            sqlx::query(
                "UPDATE services SET status = 'suspended', suspend_reason = $4,
                        suspended_since = $5, updated_at = $2, position = $3
                  WHERE id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(event.position)
            .bind(reason_name(reason))
            .bind(since)
            .execute(&mut *row.tx)
            .await?;
        }
        ServiceEvent::ServiceResumed { operation_id } => {
            row.finish_operation(operation_id.as_uuid(), "done").await?;
            row.set("status = 'active', suspend_reason = NULL, suspended_since = NULL")
                .await?;
        }
        ServiceEvent::ServiceClosed { .. } => {
            row.set("status = 'closed'").await?;
        }
        ServiceEvent::ClosureScheduled { .. } => {
            row.set("close_at_period_end = true").await?;
        }
        ServiceEvent::ServiceDeleted { operation_id } => {
            // An order closed before it was provisioned is deleted without an operation; then no
            // operations row has this id and nothing is updated.
            row.finish_operation(operation_id.as_uuid(), "done").await?;
            row.set("status = 'deleted'").await?;
        }
        ServiceEvent::TariffChanged { new_terms, .. } => {
            sqlx::query(
                "UPDATE services SET tariff_id = $4, tariff_name = $5, price_per_period = $6,
                        terms = $7, updated_at = $2, position = $3
                  WHERE id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(event.position)
            .bind(new_terms.tariff_id.as_uuid())
            .bind(&new_terms.tariff_name)
            .bind(new_terms.price_per_period.amount())
            .bind(Json(&new_terms))
            .execute(&mut *row.tx)
            .await?;
        }
        ServiceEvent::NoticeDue { .. } => {}
        ServiceEvent::ServiceTransferred {
            to_client,
            to_account,
            ..
        } => {
            sqlx::query(
                "UPDATE services SET client_id = $4, account_id = $5, updated_at = $2,
                        position = $3
                  WHERE id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(event.position)
            .bind(to_client.as_uuid())
            .bind(to_account.as_uuid())
            .execute(&mut *row.tx)
            .await?;
        }
    }
    Ok(())
}
