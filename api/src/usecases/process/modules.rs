//! The module outbox (issue 20.5, ADR 25): every provisioning operation a service records, and
//! every tariff change, becomes one signed `POST {base}/operations` to the provisioning module
//! serving the service's item type; every registrar operation a domain records (register,
//! transfer, renew) becomes one to the registrar module serving its TLD (ADR 33).
//!
//! Two halves, joined by the `module_deliveries` table, like the notifier (ADR 9):
//!
//! 1. [`ModuleOutbox`] runs in the projection engine like the notifier's outbox: it keeps the
//!    registered modules (`module_registry`) and which module serves each service
//!    (`module_services`, chosen when the service is ordered), and for each `OperationRequested`
//!    (and `TariffChanged`) inserts one row keyed by the operation's id, in the same
//!    transaction that moves its checkpoint. Reading the log again meets the key: nothing is
//!    queued twice. It owns no table a rebuild would truncate.
//! 2. [`run_sender`] claims due rows (a lease, committed before anything is sent), signs and
//!    sends each with the operation's id as `Idempotency-Key`, and marks it `delivered` on a 2xx.
//!    Anything else is retried with exponential backoff ([`BACKOFF_BASE_MS`] doubling, at most
//!    [`BACKOFF_MAX_SECS`]) up to [`ATTEMPTS_MAX`] attempts, then `failed`. The state is in the
//!    table, so a restart continues where it stopped; a crash between sending and marking sends
//!    again under the same `Idempotency-Key`. A service's rows go out in log order: a row waits
//!    while an earlier row of its service is still pending.
//!
//! A payment handed to a gateway module (ADR 32) is a row of kind `payment` inserted by
//! `usecases::gateways::hand_over` (not by the outbox: the client waits for the gateway's answer)
//! and keyed by the payment id; the sender posts such rows to `{base}/payments` when the first
//! attempt failed.

use std::time::Duration;

use async_trait::async_trait;
use domain::domains::DomainEvent;
use domain::module::{ModuleEvent, ModuleKind};
use domain::service::{OperationKind, ServiceEvent};
use eventstore::log::StoredEvent;
use projections::{Projection, ProjectionError};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;
use uuid::Uuid;

use crate::usecases::modules::{KEY_ID_HEADER, SIGNATURE_HEADER, sign, unix_now};

/// After this many failed attempts a delivery is given up (`failed`).
pub const ATTEMPTS_MAX: i32 = 10;
/// The wait after the first failure, in milliseconds; it doubles with each attempt.
pub const BACKOFF_BASE_MS: i64 = 500;
/// The longest wait between two attempts, in seconds.
pub const BACKOFF_MAX_SECS: i64 = 600;
/// How long a claimed row is left to its sender before another may send it again.
const LEASE_SECS: f64 = 60.0;
/// The timeout of one request to a module.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The most rows claimed at once.
const BATCH: i64 = 20;

/// The UUID v5 namespace of tariff-change operation ids. It must never change.
const TARIFF_CHANGE_NAMESPACE: Uuid = Uuid::from_u128(0x7d2e_51a0_3c94_4f1b_a8e6_20b5_c3d9_1e47);

/// The operation kind's name on the wire.
fn kind_name(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Activate => "create",
        OperationKind::Suspend => "suspend",
        OperationKind::Resume => "resume",
        OperationKind::Delete => "delete",
    }
}

/// Fills `module_registry`, `module_services` and `module_deliveries` from the log.
pub struct ModuleOutbox;

#[async_trait]
impl Projection for ModuleOutbox {
    fn name(&self) -> &'static str {
        "module_outbox"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        // Never emptied: its keys are what keeps a request from being queued twice.
        &[]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            apply(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

/// Applies one event.
async fn apply(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    match (event.aggregate_type.as_str(), event.event_type.as_str()) {
        ("Module", "ModuleRegistered") => {
            let ModuleEvent::ModuleRegistered {
                module_id,
                provider_id,
                kind,
                base_url,
                serves,
                key_id,
                fingerprint,
                ..
            } = event.decode::<ModuleEvent>()?;
            sqlx::query(
                "INSERT INTO module_registry \
                 (module_id, provider_id, kind, base_url, serves, key_id, fingerprint, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(module_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(kind.as_str())
            .bind(base_url)
            .bind(serves)
            .bind(key_id)
            .bind(fingerprint)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        (
            "Service",
            "ServiceOrdered" | "ServiceImported" | "OperationRequested" | "TariffChanged",
        ) => apply_service(tx, event).await?,
        ("Domain", "DomainOrdered" | "DomainRenewalRequested") => apply_domain(tx, event).await?,
        _ => {}
    }
    Ok(())
}

/// Applies a domain's event (ADR 33): remembers the registrar module of its TLD when it is
/// ordered, and queues each registrar operation to it with the contacts it carries.
async fn apply_domain(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let domain_id: Uuid = event
        .aggregate_id
        .parse()
        .map_err(|_| ProjectionError::Malformed("domain id".to_string()))?;
    let operation = match event.decode::<DomainEvent>()? {
        DomainEvent::DomainOrdered {
            client_id,
            provider_id,
            name,
            tld,
            operation,
            ..
        } => {
            // The registrar module of the provider registered first for the TLD.
            sqlx::query(
                "INSERT INTO module_domains (domain_id, module_id, client_id, name, tld) \
                 SELECT $1, module_id, $5, $6, $4 FROM module_registry \
                  WHERE provider_id = $2 AND kind = $3 AND $4 = ANY (serves) \
                  ORDER BY position LIMIT 1 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(domain_id)
            .bind(provider_id.as_uuid())
            .bind(ModuleKind::Registrar.as_str())
            .bind(tld.as_str())
            .bind(client_id.as_uuid())
            .bind(name.as_str())
            .execute(&mut *tx)
            .await?;
            operation
        }
        DomainEvent::DomainRenewalRequested { operation, .. } => operation,
        _ => return Ok(()),
    };
    let Some((module_id, client_id, name, tld)) =
        sqlx::query_as::<_, (Uuid, Uuid, String, String)>(
            "SELECT module_id, client_id, name, tld FROM module_domains WHERE domain_id = $1",
        )
        .bind(domain_id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(());
    };
    let body = json!({
        "operation_id": operation.operation_id,
        "kind": operation.kind.as_str(),
        "domain_id": domain_id,
        "client_id": client_id,
        "name": name,
        "tld": tld,
        "years": operation.years,
        "requested_on": operation.requested_on,
        "contacts": operation.contacts,
    });
    sqlx::query(
        "INSERT INTO module_deliveries (id, module_id, service_id, kind, body, position) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(operation.operation_id.as_uuid())
    .bind(module_id)
    .bind(domain_id)
    .bind(operation.kind.as_str())
    .bind(body.to_string())
    .bind(event.position)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Applies a service's event: remembers its module, queues its operations.
async fn apply_service(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let service_id: Uuid = event
        .aggregate_id
        .parse()
        .map_err(|_| ProjectionError::Malformed("service id".to_string()))?;
    match event.decode::<ServiceEvent>()? {
        ServiceEvent::ServiceOrdered {
            client_id,
            provider_id,
            terms,
            ..
        }
        | ServiceEvent::ServiceImported {
            client_id,
            provider_id,
            terms,
            ..
        } => {
            // The provisioning module of the provider registered first for the item type.
            sqlx::query(
                "INSERT INTO module_services \
                 (service_id, module_id, client_id, item_type, tariff_id, tariff_name) \
                 SELECT $1, module_id, $2, $3, $4, $5 FROM module_registry \
                  WHERE provider_id = $6 AND kind = $7 AND $3 = ANY (serves) \
                  ORDER BY position LIMIT 1 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(service_id)
            .bind(client_id.as_uuid())
            .bind(terms.item_type.as_str())
            .bind(terms.tariff_id.as_uuid())
            .bind(&terms.tariff_name)
            .bind(provider_id.as_uuid())
            .bind(ModuleKind::Provisioning.as_str())
            .execute(&mut *tx)
            .await?;
        }
        ServiceEvent::OperationRequested {
            operation_id,
            kind,
            attempt,
            suspend_reason,
            requested_on,
        } => {
            let extra = json!({
                "attempt": attempt,
                "requested_on": requested_on,
                "suspend_reason": suspend_reason,
            });
            queue(
                tx,
                event,
                service_id,
                operation_id.as_uuid(),
                kind_name(kind),
                extra,
            )
            .await?;
        }
        ServiceEvent::TariffChanged { new_terms, on, .. } => {
            sqlx::query(
                "UPDATE module_services SET tariff_id = $2, tariff_name = $3 WHERE service_id = $1",
            )
            .bind(service_id)
            .bind(new_terms.tariff_id.as_uuid())
            .bind(&new_terms.tariff_name)
            .execute(&mut *tx)
            .await?;
            let name = format!("tariff-change/{service_id}/{}", event.sequence);
            let id = Uuid::new_v5(&TARIFF_CHANGE_NAMESPACE, name.as_bytes());
            let extra = json!({
                "attempt": 1,
                "requested_on": on,
                "price_per_period": new_terms.price_per_period,
                "period": new_terms.period,
            });
            queue(tx, event, service_id, id, "change_tariff", extra).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Queues the request about operation `id` to the module serving `service_id`, if any.
async fn queue(
    tx: &mut PgConnection,
    event: &StoredEvent,
    service_id: Uuid,
    id: Uuid,
    kind: &str,
    extra: serde_json::Value,
) -> Result<(), ProjectionError> {
    let Some((module_id, client_id, item_type, tariff_id, tariff_name)) =
        sqlx::query_as::<_, (Uuid, Uuid, String, Uuid, String)>(
            "SELECT module_id, client_id, item_type, tariff_id, tariff_name \
               FROM module_services WHERE service_id = $1",
        )
        .bind(service_id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(());
    };
    let mut body = json!({
        "operation_id": id,
        "kind": kind,
        "service_id": service_id,
        "client_id": client_id,
        "item_type": item_type,
        "tariff_id": tariff_id,
        "tariff_name": tariff_name,
    });
    if let (Some(body), serde_json::Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra.into_iter().filter(|(_, v)| !v.is_null()));
    }
    sqlx::query(
        "INSERT INTO module_deliveries (id, module_id, service_id, kind, body, position) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(module_id)
    .bind(service_id)
    .bind(kind)
    .bind(body.to_string())
    .bind(event.position)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One claimed delivery.
#[derive(Debug, sqlx::FromRow)]
struct Claimed {
    id: Uuid,
    module_id: Uuid,
    kind: String,
    body: String,
    attempts: i32,
    base_url: String,
    key_id: String,
    secret: String,
}

/// The wait before the attempt after `attempts` failed ones.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let ms = BACKOFF_BASE_MS.saturating_mul(1_i64 << exponent);
    let ms = ms.min(BACKOFF_MAX_SECS * 1000);
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Claims the due deliveries, sends each once and records what came of it. Returns how many
/// were claimed.
pub async fn deliver_batch(pool: &PgPool, http: &reqwest::Client) -> Result<usize, sqlx::Error> {
    let claimed: Vec<Claimed> = sqlx::query_as(
        "WITH due AS ( \
             SELECT d.id FROM module_deliveries d \
              WHERE d.status IN ('pending', 'sending') AND d.next_at <= now() \
                AND NOT EXISTS (SELECT 1 FROM module_deliveries e \
                                 WHERE e.service_id = d.service_id AND e.position < d.position \
                                   AND e.status IN ('pending', 'sending')) \
              ORDER BY d.position LIMIT $1 FOR UPDATE SKIP LOCKED), \
         claimed AS ( \
             UPDATE module_deliveries d \
                SET status = 'sending', attempts = d.attempts + 1, \
                    next_at = now() + make_interval(secs => $2) \
               FROM due WHERE d.id = due.id \
             RETURNING d.id, d.module_id, d.kind, d.body, d.attempts, d.position) \
         SELECT c.id, c.module_id, c.kind, c.body, c.attempts, r.base_url, r.key_id, k.secret \
           FROM claimed c \
           JOIN module_registry r ON r.module_id = c.module_id \
           JOIN credentials k ON k.aggregate_type = 'Module' \
                             AND k.aggregate_id = c.module_id::text \
          ORDER BY c.position",
    )
    .bind(BATCH)
    .bind(LEASE_SECS)
    .fetch_all(pool)
    .await?;
    let count = claimed.len();
    for delivery in claimed {
        let outcome = send(http, &delivery).await;
        match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE module_deliveries SET status = 'delivered', delivered_at = now(), \
                     last_error = NULL WHERE id = $1",
                )
                .bind(delivery.id)
                .execute(pool)
                .await?;
            }
            Err(error) => {
                let given_up = delivery.attempts >= ATTEMPTS_MAX;
                tracing::warn!(
                    delivery = %delivery.id, module = %delivery.module_id,
                    attempts = delivery.attempts, given_up, %error,
                    "module request failed"
                );
                let wait = backoff(delivery.attempts);
                sqlx::query(
                    "UPDATE module_deliveries SET status = $2, last_error = $3, \
                     next_at = now() + make_interval(secs => $4) WHERE id = $1",
                )
                .bind(delivery.id)
                .bind(if given_up { "failed" } else { "pending" })
                .bind(error.chars().take(500).collect::<String>())
                .bind(wait.as_secs_f64())
                .execute(pool)
                .await?;
            }
        }
    }
    Ok(count)
}

/// The path a delivery of `kind` is posted to under the module's base URL: a payment handed to
/// a gateway module (ADR 32) to `payments`, a provisioning operation to `operations`.
fn path_of(kind: &str) -> &'static str {
    if kind == "payment" {
        "payments"
    } else {
        "operations"
    }
}

/// Sends one delivery, signed; `Ok` on a 2xx answer.
async fn send(http: &reqwest::Client, delivery: &Claimed) -> Result<(), String> {
    let secret = crate::usecases::access::secret::unhex(&delivery.secret)
        .ok_or_else(|| "the module's secret is not hex".to_string())?;
    let signature = sign(&secret, unix_now(), delivery.body.as_bytes());
    let answer = http
        .post(format!("{}/{}", delivery.base_url, path_of(&delivery.kind)))
        .timeout(REQUEST_TIMEOUT)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(KEY_ID_HEADER, &delivery.key_id)
        .header("idempotency-key", delivery.id.to_string())
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if answer.status().is_success() {
        Ok(())
    } else {
        Err(format!("the module answered {}", answer.status()))
    }
}

/// Sends due deliveries until `stop` turns true.
pub async fn run_sender(pool: PgPool, mut stop: watch::Receiver<bool>) {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let mut nap_on_error = Duration::from_millis(250);
    while !*stop.borrow() {
        let nap = match deliver_batch(&pool, &http).await {
            Ok(0) => Duration::from_millis(200),
            Ok(_) => {
                nap_on_error = Duration::from_millis(250);
                Duration::ZERO
            }
            Err(error) => {
                tracing::warn!(%error, "module sender step failed; retrying");
                nap_on_error = (nap_on_error * 2).min(Duration::from_secs(10));
                nap_on_error
            }
        };
        if !nap.is_zero() {
            let _ = tokio::time::timeout(nap, stop.wait_for(|stopped| *stopped)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_and_is_bounded() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_millis(1000));
        assert_eq!(backoff(4), Duration::from_millis(4000));
        assert_eq!(backoff(40), Duration::from_secs(600));
    }
}
