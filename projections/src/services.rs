// Over 800 lines: one read model (services and operations), its writes and the queries next to them.
//! Services (ordered items) and the provisioning operations on them.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::service::{OperationKind, ServiceEvent, SuspendReason};
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `services` and `operations` tables.
pub struct Services;

#[async_trait]
impl Projection for Services {
    fn name(&self) -> &'static str {
        crate::ReadModel::Services.name()
    }

    fn version(&self) -> i32 {
        // 2: `hourly_billed`, for the billing day's hourly step.
        // 3: a tariff change of another item type moves the service to that type.
        3
    }

    fn tables(&self) -> &'static [&'static str] {
        &["services", "operations"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut decoded = Vec::new();
        for event in events.iter().filter(|e| e.aggregate_type == "Service") {
            let id = Uuid::parse_str(&event.aggregate_id)
                .map_err(|e| ProjectionError::Malformed(format!("service id: {e}")).at(event))?;
            decoded.push((
                event,
                id,
                event
                    .decode::<ServiceEvent>()
                    .map_err(|e| ProjectionError::from(e).at(event))?,
            ));
        }
        if decoded.is_empty() {
            return Ok(());
        }
        let mut fold = Fold::load(tx, &decoded).await?;
        for (event, id, event_data) in decoded {
            fold.apply(event, id, event_data).map_err(|e| e.at(event))?;
        }
        fold.save(tx).await?;
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

/// A `services` row as the batch folds it.
#[derive(sqlx::FromRow)]
struct ServiceRow {
    id: Uuid,
    client_id: Uuid,
    provider_id: Uuid,
    account_id: Uuid,
    tariff_id: Uuid,
    tariff_name: String,
    item_type: String,
    period: String,
    currency: String,
    price_per_period: Decimal,
    setup_fee: Decimal,
    terms: String,
    /// Whether the service was ever on terms priced per hour: the billing day's hourly step
    /// looks at it, as one moved off its hourly tariff still owes the hours up to the change.
    hourly_billed: bool,
    auto_prolong: bool,
    status: String,
    ordered_on: NaiveDate,
    paid_until: Option<NaiveDate>,
    suspend_reason: Option<String>,
    suspended_since: Option<NaiveDate>,
    close_at_period_end: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    position: i64,
}

/// An `operations` row as the batch folds it.
#[derive(sqlx::FromRow)]
struct OperationRow {
    id: Uuid,
    service_id: Uuid,
    client_id: Uuid,
    kind: String,
    status: String,
    attempt: i32,
    reason: Option<String>,
    requested_on: NaiveDate,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    position: i64,
}

/// The rows a batch touches: read once, changed in memory event by event in log order, written
/// back with one statement per table. A batch of a billing day (mostly `ServiceProlonged`) is
/// then two statements instead of one per event.
#[derive(Default)]
struct Fold {
    services: HashMap<Uuid, ServiceRow>,
    operations: HashMap<Uuid, OperationRow>,
    changed_services: HashSet<Uuid>,
    changed_operations: HashSet<Uuid>,
}

impl Fold {
    /// Reads the services the events name, the operations they finish and the failed operations
    /// a retry replaces.
    async fn load(
        tx: &mut PgConnection,
        events: &[(&StoredEvent, Uuid, ServiceEvent)],
    ) -> Result<Self, sqlx::Error> {
        let mut service_ids: Vec<Uuid> = events.iter().map(|(_, id, _)| *id).collect();
        service_ids.sort_unstable();
        service_ids.dedup();
        let operation_ids: Vec<Uuid> = events
            .iter()
            .filter_map(|(_, _, event)| finished_operation(event))
            .collect();
        let services: Vec<ServiceRow> = sqlx::query_as(
            "SELECT id, client_id, provider_id, account_id, tariff_id, tariff_name, item_type,
                    period, currency, price_per_period, setup_fee, terms::text AS terms,
                    hourly_billed, auto_prolong, status, ordered_on, paid_until, suspend_reason,
                    suspended_since, close_at_period_end, created_at, updated_at, position
               FROM services WHERE id = ANY($1)",
        )
        .bind(&service_ids)
        .fetch_all(&mut *tx)
        .await?;
        let operations: Vec<OperationRow> = sqlx::query_as(
            "SELECT id, service_id, client_id, kind, status, attempt, reason, requested_on,
                    created_at, updated_at, position
               FROM operations
              WHERE id = ANY($1) OR (service_id = ANY($2) AND status = 'failed')",
        )
        .bind(&operation_ids)
        .bind(&service_ids)
        .fetch_all(&mut *tx)
        .await?;
        Ok(Self {
            services: services.into_iter().map(|row| (row.id, row)).collect(),
            operations: operations.into_iter().map(|row| (row.id, row)).collect(),
            ..Self::default()
        })
    }

    /// The service's row, marked changed at `at` and `position`; `None` for a service this read
    /// model never saw (an update of a missing row changes nothing, as an SQL UPDATE would).
    fn service(&mut self, id: Uuid, at: DateTime<Utc>, position: i64) -> Option<&mut ServiceRow> {
        let row = self.services.get_mut(&id)?;
        row.updated_at = at;
        row.position = position;
        self.changed_services.insert(id);
        Some(row)
    }

    fn finish_operation(&mut self, id: Uuid, status: &str, at: DateTime<Utc>, position: i64) {
        if let Some(operation) = self.operations.get_mut(&id) {
            status.clone_into(&mut operation.status);
            operation.updated_at = at;
            operation.position = position;
            self.changed_operations.insert(id);
        }
    }

    #[expect(clippy::too_many_lines, reason = "one arm per event, each a few lines")]
    fn apply(
        &mut self,
        event: &StoredEvent,
        id: Uuid,
        decoded: ServiceEvent,
    ) -> Result<(), ProjectionError> {
        let at = event.metadata()?.occurred_at;
        let position = event.position;
        match decoded {
            ServiceEvent::ServiceOrdered {
                service_id,
                client_id,
                provider_id,
                account_id,
                terms,
                auto_prolong,
                ordered_on,
                status,
                ..
            } => {
                let id = service_id.as_uuid();
                self.services.insert(
                    id,
                    ServiceRow {
                        id,
                        client_id: client_id.as_uuid(),
                        provider_id: provider_id.as_uuid(),
                        account_id: account_id.as_uuid(),
                        tariff_id: terms.tariff_id.as_uuid(),
                        tariff_name: terms.tariff_name.clone(),
                        item_type: terms.item_type.as_str().to_owned(),
                        period: terms.period.to_string(),
                        currency: terms.currency().code().to_owned(),
                        price_per_period: terms.price_per_period.amount(),
                        setup_fee: terms.setup_fee.amount(),
                        terms: serde_json::to_string(&terms)?,
                        hourly_billed: terms.hourly.is_some(),
                        auto_prolong,
                        status: status.as_str().to_owned(),
                        ordered_on,
                        paid_until: None,
                        suspend_reason: None,
                        suspended_since: None,
                        close_at_period_end: false,
                        created_at: at,
                        updated_at: at,
                        position,
                    },
                );
                self.changed_services.insert(id);
            }
            ServiceEvent::ServiceImported {
                service_id,
                client_id,
                provider_id,
                account_id,
                terms,
                auto_prolong,
                ordered_on,
                paid_until,
                suspended,
                status,
                ..
            } => {
                let id = service_id.as_uuid();
                self.services.insert(
                    id,
                    ServiceRow {
                        id,
                        client_id: client_id.as_uuid(),
                        provider_id: provider_id.as_uuid(),
                        account_id: account_id.as_uuid(),
                        tariff_id: terms.tariff_id.as_uuid(),
                        tariff_name: terms.tariff_name.clone(),
                        item_type: terms.item_type.as_str().to_owned(),
                        period: terms.period.to_string(),
                        currency: terms.currency().code().to_owned(),
                        price_per_period: terms.price_per_period.amount(),
                        setup_fee: terms.setup_fee.amount(),
                        terms: serde_json::to_string(&terms)?,
                        hourly_billed: terms.hourly.is_some(),
                        auto_prolong,
                        status: status.as_str().to_owned(),
                        ordered_on,
                        paid_until: Some(paid_until),
                        suspend_reason: suspended.map(|reason| reason_name(reason).to_owned()),
                        suspended_since: suspended.map(|_| paid_until),
                        close_at_period_end: false,
                        created_at: at,
                        updated_at: at,
                        position,
                    },
                );
                self.changed_services.insert(id);
            }
            ServiceEvent::ServiceCharged {
                period_end, status, ..
            } => {
                if let Some(row) = self.service(id, at, position) {
                    row.paid_until = Some(period_end);
                    status.as_str().clone_into(&mut row.status);
                }
            }
            ServiceEvent::ServiceProlonged { period_end, .. } => {
                if let Some(row) = self.service(id, at, position) {
                    row.paid_until = Some(period_end);
                }
            }
            ServiceEvent::OperationRequested {
                operation_id,
                kind,
                attempt,
                requested_on,
                ..
            } => {
                // A retry replaces the failed attempt.
                for operation in self.operations.values_mut() {
                    if operation.service_id == id && operation.status == "failed" {
                        "retried".clone_into(&mut operation.status);
                        operation.updated_at = at;
                        operation.position = position;
                        self.changed_operations.insert(operation.id);
                    }
                }
                if let Some(service) = self.services.get(&id) {
                    let operation = operation_id.as_uuid();
                    self.operations.insert(
                        operation,
                        OperationRow {
                            id: operation,
                            service_id: id,
                            client_id: service.client_id,
                            kind: kind_name(kind).to_owned(),
                            status: "pending".to_owned(),
                            attempt: i32::try_from(attempt).unwrap_or(i32::MAX),
                            reason: None,
                            requested_on,
                            created_at: at,
                            updated_at: at,
                            position,
                        },
                    );
                    self.changed_operations.insert(operation);
                }
            }
            ServiceEvent::OperationFailed {
                operation_id,
                reason,
                ..
            } => {
                let operation = operation_id.as_uuid();
                self.finish_operation(operation, "failed", at, position);
                if let Some(row) = self.operations.get_mut(&operation) {
                    row.reason = Some(reason);
                }
            }
            ServiceEvent::ServiceActivated {
                operation_id,
                status,
            } => {
                self.finish_operation(operation_id.as_uuid(), "done", at, position);
                if let Some(row) = self.service(id, at, position) {
                    status.as_str().clone_into(&mut row.status);
                }
            }
            ServiceEvent::ServiceSuspended {
                operation_id,
                reason,
                since,
                status,
            } => {
                self.finish_operation(operation_id.as_uuid(), "done", at, position);
                if let Some(row) = self.service(id, at, position) {
                    status.as_str().clone_into(&mut row.status);
                    row.suspend_reason = Some(reason_name(reason).to_owned());
                    row.suspended_since = Some(since);
                }
            }
            ServiceEvent::ServiceResumed {
                operation_id,
                status,
            } => {
                self.finish_operation(operation_id.as_uuid(), "done", at, position);
                if let Some(row) = self.service(id, at, position) {
                    status.as_str().clone_into(&mut row.status);
                    row.suspend_reason = None;
                    row.suspended_since = None;
                }
            }
            ServiceEvent::ServiceClosed { status, .. } => {
                if let Some(row) = self.service(id, at, position) {
                    status.as_str().clone_into(&mut row.status);
                }
            }
            ServiceEvent::ClosureScheduled { .. } => {
                if let Some(row) = self.service(id, at, position) {
                    row.close_at_period_end = true;
                }
            }
            ServiceEvent::ServiceDeleted {
                operation_id,
                status,
            } => {
                // An order closed before it was provisioned is deleted without an operation;
                // then no operation has this id and none changes.
                self.finish_operation(operation_id.as_uuid(), "done", at, position);
                if let Some(row) = self.service(id, at, position) {
                    status.as_str().clone_into(&mut row.status);
                }
            }
            ServiceEvent::TariffChanged { new_terms, .. }
            | ServiceEvent::PriceChanged {
                terms: new_terms, ..
            } => {
                let terms = serde_json::to_string(&new_terms)?;
                if let Some(row) = self.service(id, at, position) {
                    row.tariff_id = new_terms.tariff_id.as_uuid();
                    row.tariff_name.clone_from(&new_terms.tariff_name);
                    // A tariff of another item type moves the service to that type.
                    new_terms.item_type.as_str().clone_into(&mut row.item_type);
                    row.setup_fee = new_terms.setup_fee.amount();
                    row.price_per_period = new_terms.price_per_period.amount();
                    row.terms = terms;
                    row.hourly_billed |= new_terms.hourly.is_some();
                }
            }
            // The domain and its contacts are the `domain_contacts` read model's.
            ServiceEvent::NoticeDue { .. } | ServiceEvent::DomainContactsChanged { .. } => {}
            // The price until the change takes effect is the one the service pays.
            ServiceEvent::PriceChangeScheduled { .. } => {}
            // The trial's period is the first charge's (a zero expense labelled trial).
            ServiceEvent::TrialStarted { .. } => {}
            // The debt of an hourly service's account is the account's (balances); the
            // suspension it leads to is the service's status.
            ServiceEvent::DebtFound { .. } | ServiceEvent::DebtPaid { .. } => {}
            ServiceEvent::AutoProlongSet { auto_prolong } => {
                if let Some(row) = self.service(id, at, position) {
                    row.auto_prolong = auto_prolong;
                }
            }
            ServiceEvent::ServiceTransferred {
                to_client,
                to_account,
                ..
            } => {
                if let Some(row) = self.service(id, at, position) {
                    row.client_id = to_client.as_uuid();
                    row.account_id = to_account.as_uuid();
                }
            }
        }
        Ok(())
    }

    /// Writes the changed rows back, one statement per table.
    async fn save(self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        let services: Vec<&ServiceRow> = self
            .changed_services
            .iter()
            .filter_map(|id| self.services.get(id))
            .collect();
        if !services.is_empty() {
            sqlx::query(
                "INSERT INTO services (id, client_id, provider_id, account_id, tariff_id,
                                       tariff_name, item_type, period, currency, price_per_period,
                                       setup_fee, terms, auto_prolong, status, ordered_on,
                                       paid_until, suspend_reason, suspended_since,
                                       close_at_period_end, created_at, updated_at, position,
                                       hourly_billed)
                 SELECT id, client_id, provider_id, account_id, tariff_id, tariff_name, item_type,
                        period, currency, price_per_period, setup_fee, terms::jsonb, auto_prolong,
                        status, ordered_on, paid_until, suspend_reason, suspended_since,
                        close_at_period_end, created_at, updated_at, position, hourly_billed
                   FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
                               $6::text[], $7::text[], $8::text[], $9::text[], $10::numeric[],
                               $11::numeric[], $12::text[], $13::bool[], $14::text[], $15::date[],
                               $16::date[], $17::text[], $18::date[], $19::bool[],
                               $20::timestamptz[], $21::timestamptz[], $22::bigint[],
                               $23::bool[])
                        AS r(id, client_id, provider_id, account_id, tariff_id, tariff_name,
                             item_type, period, currency, price_per_period, setup_fee, terms,
                             auto_prolong, status, ordered_on, paid_until, suspend_reason,
                             suspended_since, close_at_period_end, created_at, updated_at,
                             position, hourly_billed)
                 ON CONFLICT (id) DO UPDATE SET
                        client_id = excluded.client_id, account_id = excluded.account_id,
                        tariff_id = excluded.tariff_id, tariff_name = excluded.tariff_name,
                        item_type = excluded.item_type, setup_fee = excluded.setup_fee,
                        price_per_period = excluded.price_per_period, terms = excluded.terms,
                        status = excluded.status, paid_until = excluded.paid_until,
                        suspend_reason = excluded.suspend_reason,
                        suspended_since = excluded.suspended_since,
                        close_at_period_end = excluded.close_at_period_end,
                        auto_prolong = excluded.auto_prolong,
                        updated_at = excluded.updated_at, position = excluded.position,
                        hourly_billed = excluded.hourly_billed",
            )
            .bind(services.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(services.iter().map(|r| r.client_id).collect::<Vec<_>>())
            .bind(services.iter().map(|r| r.provider_id).collect::<Vec<_>>())
            .bind(services.iter().map(|r| r.account_id).collect::<Vec<_>>())
            .bind(services.iter().map(|r| r.tariff_id).collect::<Vec<_>>())
            .bind(
                services
                    .iter()
                    .map(|r| r.tariff_name.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                services
                    .iter()
                    .map(|r| r.item_type.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                services
                    .iter()
                    .map(|r| r.period.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                services
                    .iter()
                    .map(|r| r.currency.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                services
                    .iter()
                    .map(|r| r.price_per_period)
                    .collect::<Vec<_>>(),
            )
            .bind(services.iter().map(|r| r.setup_fee).collect::<Vec<_>>())
            .bind(
                services
                    .iter()
                    .map(|r| r.terms.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(services.iter().map(|r| r.auto_prolong).collect::<Vec<_>>())
            .bind(
                services
                    .iter()
                    .map(|r| r.status.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(services.iter().map(|r| r.ordered_on).collect::<Vec<_>>())
            .bind(services.iter().map(|r| r.paid_until).collect::<Vec<_>>())
            .bind(
                services
                    .iter()
                    .map(|r| r.suspend_reason.as_deref())
                    .collect::<Vec<_>>(),
            )
            .bind(
                services
                    .iter()
                    .map(|r| r.suspended_since)
                    .collect::<Vec<_>>(),
            )
            .bind(
                services
                    .iter()
                    .map(|r| r.close_at_period_end)
                    .collect::<Vec<_>>(),
            )
            .bind(services.iter().map(|r| r.created_at).collect::<Vec<_>>())
            .bind(services.iter().map(|r| r.updated_at).collect::<Vec<_>>())
            .bind(services.iter().map(|r| r.position).collect::<Vec<_>>())
            .bind(services.iter().map(|r| r.hourly_billed).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        let operations: Vec<&OperationRow> = self
            .changed_operations
            .iter()
            .filter_map(|id| self.operations.get(id))
            .collect();
        if !operations.is_empty() {
            sqlx::query(
                "INSERT INTO operations (id, service_id, client_id, kind, status, attempt, reason,
                                         requested_on, created_at, updated_at, position)
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                                      $6::int[], $7::text[], $8::date[], $9::timestamptz[],
                                      $10::timestamptz[], $11::bigint[])
                 ON CONFLICT (id) DO UPDATE SET
                        status = excluded.status, reason = excluded.reason,
                        updated_at = excluded.updated_at, position = excluded.position",
            )
            .bind(operations.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(operations.iter().map(|r| r.service_id).collect::<Vec<_>>())
            .bind(operations.iter().map(|r| r.client_id).collect::<Vec<_>>())
            .bind(
                operations
                    .iter()
                    .map(|r| r.kind.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                operations
                    .iter()
                    .map(|r| r.status.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(operations.iter().map(|r| r.attempt).collect::<Vec<_>>())
            .bind(
                operations
                    .iter()
                    .map(|r| r.reason.as_deref())
                    .collect::<Vec<_>>(),
            )
            .bind(
                operations
                    .iter()
                    .map(|r| r.requested_on)
                    .collect::<Vec<_>>(),
            )
            .bind(operations.iter().map(|r| r.created_at).collect::<Vec<_>>())
            .bind(operations.iter().map(|r| r.updated_at).collect::<Vec<_>>())
            .bind(operations.iter().map(|r| r.position).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

/// The operation an event finishes or fails, if any.
fn finished_operation(event: &ServiceEvent) -> Option<Uuid> {
    match event {
        ServiceEvent::OperationFailed { operation_id, .. }
        | ServiceEvent::ServiceActivated { operation_id, .. }
        | ServiceEvent::ServiceSuspended { operation_id, .. }
        | ServiceEvent::ServiceResumed { operation_id, .. }
        | ServiceEvent::ServiceDeleted { operation_id, .. } => Some(operation_id.as_uuid()),
        _ => None,
    }
}

// Queries of the staff dashboard.

/// A service as the dashboard's client page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceLine {
    pub tariff_name: String,
    pub item_type: String,
    pub status: String,
    pub paid_until: Option<NaiveDate>,
    pub price_per_period: Decimal,
    pub currency: String,
}

/// A client's services, oldest first.
pub async fn lines_of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
) -> Result<Vec<ServiceLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT tariff_name, item_type, status, paid_until, price_per_period, currency
           FROM services WHERE client_id = $1 ORDER BY created_at",
    )
    .bind(client_id)
    .fetch_all(pool)
    .await
}

/// An operation waiting (pending or failed) for a service.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WaitingOperation {
    pub service_id: Uuid,
    pub kind: String,
    pub client_id: Uuid,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// Up to `limit` operations pending or failed, oldest first.
pub async fn operations_waiting(
    pool: &sqlx::PgPool,
    limit: i64,
) -> Result<Vec<WaitingOperation>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.service_id, o.kind, o.client_id, o.status, o.created_at
           FROM operations o WHERE o.status IN ('pending', 'failed')
          ORDER BY o.created_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The tariff names of the services `ids` (those that exist), for lists that show names.
pub async fn names(pool: &sqlx::PgPool, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, tariff_name FROM services WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await
}

/// The order of the dashboard's list of services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceSort {
    /// The newest ordered first.
    Newest,
    /// The soonest paid-until first; services never paid last.
    PaidUntil,
    /// By the tariff's name, A to Z.
    Tariff,
}

impl ServiceSort {
    /// The sort key's expression and whether it is sorted descending.
    fn key(self) -> (&'static str, bool) {
        match self {
            Self::Newest => ("created_at", true),
            // A service never paid has no end of paid time: it sorts after every date.
            Self::PaidUntil => ("coalesce(paid_until, 'infinity'::date)", false),
            Self::Tariff => ("tariff_name", false),
        }
    }
}

/// What `GET /v1/services` and the dashboard's list of services narrow to: one status, one
/// item type, one client (all for `None`).
#[derive(Debug, Clone, Default)]
pub struct ServiceFilter {
    pub status: Option<String>,
    pub item_type: Option<String>,
    pub client_id: Option<Uuid>,
}

/// Up to `limit` services matching `filter`, in `sort`'s order, on the page `keyset` names
/// (keyset pages: the boundary service's sort key and id, read by a subquery, never an offset).
pub async fn page_sorted(
    pool: &sqlx::PgPool,
    filter: &ServiceFilter,
    sort: ServiceSort,
    keyset: crate::clients::Keyset,
    limit: i64,
) -> Result<Vec<ServiceRecord>, sqlx::Error> {
    let (key, descending) = sort.key();
    let crate::clients::KeysetRead {
        boundary,
        backwards,
        compare,
        order,
    } = keyset.read(descending);
    let mut rows: Vec<ServiceRecord> = sqlx::query_as(&format!(
        "SELECT {SERVICE_RECORD_COLUMNS} FROM services
          WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR item_type = $2)
            AND ($5::uuid IS NULL OR client_id = $5)
            AND ($3::uuid IS NULL
                 OR ({key}, id) {compare} (SELECT {key}, id FROM services WHERE id = $3))
          ORDER BY {key} {order}, id {order} LIMIT $4"
    ))
    .bind(filter.status.as_deref())
    .bind(filter.item_type.as_deref())
    .bind(boundary)
    .bind(limit)
    .bind(filter.client_id)
    .fetch_all(pool)
    .await?;
    if backwards {
        rows.reverse();
    }
    Ok(rows)
}

/// How many services match `filter`.
pub async fn count_matching(
    pool: &sqlx::PgPool,
    filter: &ServiceFilter,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM services
          WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR item_type = $2)
            AND ($3::uuid IS NULL OR client_id = $3)",
    )
    .bind(filter.status.as_deref())
    .bind(filter.item_type.as_deref())
    .bind(filter.client_id)
    .fetch_one(pool)
    .await
}

/// How many operations are pending and how many failed.
pub async fn operations_waiting_count(pool: &sqlx::PgPool) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed')
           FROM operations WHERE status IN ('pending', 'failed')",
    )
    .fetch_one(pool)
    .await
}

// Queries: what the HTTP layer and the dashboard read.

/// A row of `services` as queries read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceRecord {
    /// The service.
    pub id: Uuid,
    /// Its client.
    pub client_id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// The tariff it is on.
    pub tariff_id: Uuid,
    /// The tariff's name when ordered.
    pub tariff_name: String,
    /// The kind of item.
    pub item_type: String,
    /// The billing period.
    pub period: String,
    /// The currency it is charged in.
    pub currency: String,
    /// The price per period it was sold at, add-ons included.
    pub price_per_period: Decimal,
    /// The prices frozen into the order.
    pub terms: serde_json::Value,
    /// Whether it prolongs itself.
    pub auto_prolong: bool,
    /// Its status.
    pub status: String,
    /// When it was ordered.
    pub ordered_on: NaiveDate,
    /// The end (exclusive) of the paid time.
    pub paid_until: Option<NaiveDate>,
    /// Why it is suspended.
    pub suspend_reason: Option<String>,
    /// Since when.
    pub suspended_since: Option<NaiveDate>,
    /// Whether it closes at the end of the paid period.
    pub close_at_period_end: bool,
    /// When the row was created: the order of a client's services.
    pub created_at: DateTime<Utc>,
}

const SERVICE_RECORD_COLUMNS: &str = "id, client_id, provider_id, tariff_id, tariff_name, item_type, \
     period, currency, price_per_period, terms, auto_prolong, status, ordered_on, paid_until, \
     suspend_reason, suspended_since, close_at_period_end, created_at";

/// One service.
pub async fn service(pool: &sqlx::PgPool, id: Uuid) -> Result<Option<ServiceRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SERVICE_RECORD_COLUMNS} FROM services WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// One service with its operations, newest first.
pub async fn service_with_operations(
    pool: &sqlx::PgPool,
    id: Uuid,
) -> Result<Option<(ServiceRecord, Vec<OperationRecord>)>, sqlx::Error> {
    let Some(service) = service(pool, id).await? else {
        return Ok(None);
    };
    let operations = operations_of(pool, id).await?;
    Ok(Some((service, operations)))
}

/// Up to `limit` services of a client (optionally in one status), oldest first, after the
/// `(created_at, id)` cursor `after`.
pub async fn of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    status: Option<&str>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<ServiceRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SERVICE_RECORD_COLUMNS} FROM services
          WHERE client_id = $1 AND ($2::text IS NULL OR status = $2)
            AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
          ORDER BY created_at, id LIMIT $5"
    ))
    .bind(client_id)
    .bind(status)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Up to `limit` services of a client ordered by `as_of`, oldest first, after the
/// `(created_at, id)` cursor `after`: their ids with their `created_at`.
pub async fn of_client_ordered_by(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    as_of: DateTime<Utc>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, created_at FROM services WHERE client_id = $1 AND created_at <= $2
            AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
          ORDER BY created_at, id LIMIT $5",
    )
    .bind(client_id)
    .bind(as_of)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A row of `operations` as queries read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OperationRecord {
    /// The operation.
    pub id: Uuid,
    /// Its service.
    pub service_id: Uuid,
    /// The service's client.
    pub client_id: Uuid,
    /// `activate`, `suspend`, `resume` or `delete`.
    pub kind: String,
    /// `pending`, `failed`, `retried` or `done`.
    pub status: String,
    /// Which attempt this is.
    pub attempt: i32,
    /// Why it failed.
    pub reason: Option<String>,
    /// The day it was requested for.
    pub requested_on: NaiveDate,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
}

const OPERATION_RECORD_COLUMNS: &str =
    "id, service_id, client_id, kind, status, attempt, reason, requested_on, created_at";

/// A service's operations, newest first.
pub async fn operations_of(
    pool: &sqlx::PgPool,
    service_id: Uuid,
) -> Result<Vec<OperationRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {OPERATION_RECORD_COLUMNS} FROM operations WHERE service_id = $1
          ORDER BY created_at DESC, id DESC"
    ))
    .bind(service_id)
    .fetch_all(pool)
    .await
}

/// Up to `limit` operations (optionally of one status and kind) by id, after the id `after`.
pub async fn operations(
    pool: &sqlx::PgPool,
    status: Option<&str>,
    kind: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<OperationRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {OPERATION_RECORD_COLUMNS} FROM operations
          WHERE ($1::text IS NULL OR status = $1)
            AND ($2::text IS NULL OR kind = $2)
            AND ($3::uuid IS NULL OR id > $3)
          ORDER BY id
          LIMIT $4"
    ))
    .bind(status)
    .bind(kind)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The service an operation belongs to, if the operation exists.
pub async fn service_of_operation(
    pool: &sqlx::PgPool,
    operation_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT service_id FROM operations WHERE id = $1")
        .bind(operation_id)
        .fetch_optional(pool)
        .await
}

/// The client of a provisioning operation.
pub async fn client_of_operation(
    pool: &sqlx::PgPool,
    operation_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT client_id FROM operations WHERE id = $1")
        .bind(operation_id)
        .fetch_optional(pool)
        .await
}

/// The ids of the services sold from `tariff_id` for `period` that are neither closed nor
/// deleted: those a price change of that period reaches (`process::price_changes`).
pub async fn open_of_tariff(
    pool: &sqlx::PgPool,
    tariff_id: Uuid,
    period: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM services
          WHERE tariff_id = $1 AND period = $2 AND status NOT IN ('closed', 'deleted')
          ORDER BY id",
    )
    .bind(tariff_id)
    .bind(period)
    .fetch_all(pool)
    .await
}
