//! The `domains` read model: the prices of each top-level domain (`TldPricesSet`), each domain
//! a client ordered with its status and the expiry the registrar answered, and every registrar
//! operation with the contacts it carries (what a registrar polls). It copies the events; the
//! rules are the `Tld`'s and the `Domain`'s, and so is each status (`DomainEvent::status_after`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::domains::{DomainEvent, DomainOperation, DomainStatus};
use domain::tld::TldEvent;
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{Projection, ProjectionError, QueryError};

/// The `tld_prices`, `domains` and `domain_operations` tables.
pub struct Domains;

#[async_trait]
impl Projection for Domains {
    fn name(&self) -> &'static str {
        crate::ReadModel::Domains.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["tld_prices", "domains", "domain_operations"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            let applied = match event.aggregate_type.as_str() {
                "Tld" => tld(tx, event).await,
                "Domain" => domain_event(tx, event).await,
                _ => Ok(()),
            };
            applied.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

async fn tld(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let TldEvent::TldPricesSet { prices } = event.decode::<TldEvent>()?;
    let id = Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("tld id: {e}")))?;
    sqlx::query(
        "INSERT INTO tld_prices (tld_id, provider_id, tld, currency, prices, position)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tld_id) DO UPDATE SET prices = $5, position = $6",
    )
    .bind(id)
    .bind(prices.provider_id.as_uuid())
    .bind(prices.tld.as_str())
    .bind(prices.currency.code())
    .bind(serde_json::to_value(&prices.prices)?)
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

async fn operation(
    tx: &mut PgConnection,
    event: &StoredEvent,
    domain_id: Uuid,
    name: Option<&str>,
    operation: &DomainOperation,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO domain_operations (operation_id, domain_id, name, kind, years, status, price,
                                        currency, contacts, requested_at, position)
         VALUES ($1, $2, COALESCE($3, (SELECT name FROM domains WHERE domain_id = $2), ''),
                 $4, $5, 'pending', $6, $7, $8, $9, $10)
         ON CONFLICT (operation_id) DO NOTHING",
    )
    .bind(operation.operation_id.as_uuid())
    .bind(domain_id)
    .bind(name)
    .bind(operation.kind.as_str())
    .bind(i32::try_from(operation.years).unwrap_or(i32::MAX))
    .bind(operation.price.amount())
    .bind(operation.price.currency().code())
    .bind(serde_json::to_value(&operation.contacts)?)
    .bind(event.metadata()?.occurred_at)
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

async fn domain_event(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let domain_id = Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("domain id: {e}")))?;
    let at = event.metadata()?.occurred_at;
    let decoded = event.decode::<DomainEvent>()?;
    // The status is the domain's word (`DomainEvent::status_after`), not derived here.
    let status = decoded.status_after().map(DomainStatus::as_str);
    match decoded {
        DomainEvent::DomainOrdered {
            client_id,
            provider_id,
            account_id,
            name,
            tld,
            auto_renew,
            operation: asked,
            ..
        } => {
            sqlx::query(
                "INSERT INTO domains (domain_id, client_id, provider_id, account_id, name, tld,
                                      status, auto_renew, ordered_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (domain_id) DO NOTHING",
            )
            .bind(domain_id)
            .bind(client_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(account_id.as_uuid())
            .bind(name.as_str())
            .bind(tld.as_str())
            .bind(status.unwrap_or(DomainStatus::Pending.as_str()))
            .bind(auto_renew)
            .bind(at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            operation(tx, event, domain_id, Some(name.as_str()), &asked).await?;
        }
        DomainEvent::DomainRenewalRequested {
            operation: asked, ..
        } => {
            operation(tx, event, domain_id, None, &asked).await?;
            touch(tx, domain_id, None, None, event.position).await?;
        }
        DomainEvent::RegistrarOperationDone {
            operation_id,
            expires_at,
            ..
        } => {
            answer(
                tx,
                operation_id.as_uuid(),
                "done",
                at,
                Some(expires_at),
                None,
            )
            .await?;
            touch(tx, domain_id, status, Some(expires_at), event.position).await?;
        }
        DomainEvent::RegistrarOperationFailed {
            operation_id,
            reason,
            ..
        } => {
            answer(
                tx,
                operation_id.as_uuid(),
                "failed",
                at,
                None,
                Some(&reason),
            )
            .await?;
            touch(tx, domain_id, status, None, event.position).await?;
        }
        DomainEvent::DomainExpired { .. } => {
            touch(tx, domain_id, status, None, event.position).await?;
        }
        DomainEvent::DomainTransferred {
            to_client,
            to_account,
            ..
        } => {
            sqlx::query(
                "UPDATE domains SET client_id = $2, account_id = $3, position = $4
                  WHERE domain_id = $1",
            )
            .bind(domain_id)
            .bind(to_client.as_uuid())
            .bind(to_account.as_uuid())
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        // A notice changes nothing a domain's row shows; the notifier sends it.
        DomainEvent::DomainExpiryNoticed { .. } => {}
    }
    Ok(())
}

async fn answer(
    tx: &mut PgConnection,
    operation_id: Uuid,
    status: &str,
    at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    reason: Option<&str>,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "UPDATE domain_operations SET status = $2, answered_at = $3, expires_at = $4, reason = $5
          WHERE operation_id = $1",
    )
    .bind(operation_id)
    .bind(status)
    .bind(at)
    .bind(expires_at)
    .bind(reason)
    .execute(tx)
    .await?;
    Ok(())
}

async fn touch(
    tx: &mut PgConnection,
    domain_id: Uuid,
    status: Option<&str>,
    expires_at: Option<DateTime<Utc>>,
    position: i64,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "UPDATE domains SET status = COALESCE($2, status), expires_at = COALESCE($3, expires_at),
                            position = $4
          WHERE domain_id = $1",
    )
    .bind(domain_id)
    .bind(status)
    .bind(expires_at)
    .bind(position)
    .execute(tx)
    .await?;
    Ok(())
}

// Queries: what the HTTP layer and the billing day read.

/// A TLD's prices as the read model holds them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TldRow {
    /// The id of the stream.
    pub tld_id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The TLD, without its dot.
    pub tld: String,
    /// The currency.
    pub currency: String,
    /// The price lines, as `TldPrice`s.
    pub prices: serde_json::Value,
    /// The position of its last event.
    pub position: i64,
}

/// The TLDs on sale, of one provider or all, by TLD and currency.
pub async fn tlds(pool: &PgPool, provider_id: Option<Uuid>) -> Result<Vec<TldRow>, QueryError> {
    sqlx::query_as(
        "SELECT tld_id, provider_id, tld, currency, prices, position FROM tld_prices
          WHERE $1::uuid IS NULL OR provider_id = $1
          ORDER BY provider_id, tld, currency LIMIT 1000",
    )
    .bind(provider_id)
    .fetch_all(pool)
    .await
}

/// A domain as the read model holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DomainRow {
    /// Its id.
    pub domain_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The name.
    pub name: String,
    /// The TLD.
    pub tld: String,
    /// `pending`, `active`, `failed` or `expired`.
    pub status: String,
    /// Whether the billing day renews it.
    pub auto_renew: bool,
    /// The expiry the registrar answered last.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was ordered.
    pub ordered_at: DateTime<Utc>,
}

const DOMAIN_COLUMNS: &str =
    "domain_id, client_id, provider_id, name, tld, status, auto_renew, expires_at, ordered_at";

/// A client's domains, by id, after `after`.
pub async fn of_client(
    pool: &PgPool,
    client_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DomainRow>, QueryError> {
    sqlx::query_as(&format!(
        "SELECT {DOMAIN_COLUMNS} FROM domains
          WHERE client_id = $1 AND ($2::uuid IS NULL OR domain_id > $2)
          ORDER BY domain_id LIMIT $3"
    ))
    .bind(client_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The domain `id`.
pub async fn one(pool: &PgPool, id: Uuid) -> Result<Option<DomainRow>, QueryError> {
    sqlx::query_as(&format!(
        "SELECT {DOMAIN_COLUMNS} FROM domains WHERE domain_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The active domains that expire before `before`, of the providers in `providers` when `only`,
/// else of every provider but those (the live day leaves the sandboxes out): the candidates of
/// a billing day's notices, renewals and expiries, which each domain decides itself.
pub async fn expiring(
    pool: &PgPool,
    before: DateTime<Utc>,
    providers: &[Uuid],
    only: bool,
) -> Result<Vec<Uuid>, QueryError> {
    sqlx::query_scalar(
        "SELECT domain_id FROM domains
          WHERE status = 'active' AND expires_at < $1 AND (provider_id = ANY($2)) = $3
          ORDER BY expires_at, domain_id",
    )
    .bind(before)
    .bind(providers)
    .bind(only)
    .fetch_all(pool)
    .await
}

/// A registrar operation as the read model holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DomainOperationRow {
    /// Its id.
    pub operation_id: Uuid,
    /// The domain.
    pub domain_id: Uuid,
    /// The domain's name.
    pub name: String,
    /// `register`, `transfer` or `renew`.
    pub kind: String,
    /// How many years.
    pub years: i32,
    /// `pending`, `done` or `failed`.
    pub status: String,
    /// The price charged before tax.
    pub price: Decimal,
    /// Its currency.
    pub currency: String,
    /// The contacts sent, by role.
    pub contacts: serde_json::Value,
    /// When it was asked.
    pub requested_at: DateTime<Utc>,
    /// When the registrar answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// The expiry the registrar answered.
    pub expires_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub reason: Option<String>,
}

const OPERATION_COLUMNS: &str = "operation_id, domain_id, name, kind, years, status, price, \
     currency, contacts, requested_at, answered_at, expires_at, reason";

/// Registrar operations, oldest first, of one status or all, of one domain or all.
pub async fn operations(
    pool: &PgPool,
    status: Option<&str>,
    domain_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DomainOperationRow>, QueryError> {
    sqlx::query_as(&format!(
        "SELECT {OPERATION_COLUMNS} FROM domain_operations
          WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR domain_id = $2)
            AND ($3::uuid IS NULL OR operation_id > $3)
          ORDER BY operation_id LIMIT $4"
    ))
    .bind(status)
    .bind(domain_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}
