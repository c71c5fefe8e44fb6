//! Provisioning and payment modules (issue 20.5, ADR 25): staff register a module, the billing
//! core signs what it sends to it, and checks what the module sends back.
//!
//! The signature of a body `b` sent at the unix time `t` is `t=<t>,v1=<hex HMAC-SHA-256(secret,
//! "<t>.<b>")>` in `X-Billing-Signature`, with the module's key id in `X-Billing-Key-Id`
//! (`docs/modules.md`). The secret is generated here, shown once, and kept in `credentials`
//! (ADR 11): the `ModuleRegistered` event has only its key id and fingerprint.

use chrono::{DateTime, Utc};
use domain::domains::RegistrarAnswer;
use domain::ids::{ModuleId, ProviderId};
use domain::module::{Module, ModuleCommand, ModuleKind, RegisteredModule};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::usecases::access::secret::{hex, unhex};
use crate::usecases::{Core, Error};

/// The header with the signature.
pub const SIGNATURE_HEADER: &str = "x-billing-signature";
/// The header with the key id.
pub const KEY_ID_HEADER: &str = "x-billing-key-id";
/// How far a signature's time may be from ours, in seconds, either way.
pub const TOLERANCE_SECS: i64 = 300;
/// The longest callback body, in bytes.
pub const CALLBACK_BODY_LIMIT: usize = 16 * 1024;

/// A module as registered, with its secret: the only time the secret is shown.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The module's id.
    pub module_id: ModuleId,
    /// The id of its key.
    pub key_id: String,
    /// The HMAC secret, hex.
    pub secret_hex: String,
    /// The first 16 hex digits of the secret's SHA-256.
    pub fingerprint: String,
}

/// Registers a module of `provider_id` with a new random 32-byte secret.
#[allow(clippy::too_many_arguments)]
pub async fn register(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    module_id: Uuid,
    provider_id: Uuid,
    kind: ModuleKind,
    base_url: String,
    serves: Vec<String>,
) -> Result<(Registered, Committed<Module>), Error> {
    crate::usecases::providers::named(core, provider_id).await?;
    let provider = ProviderId::from_uuid(provider_id);
    let mut secret = [0_u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::internal(&e))?;
    let secret_hex = hex(&secret);
    let fingerprint = hex(&Sha256::digest(secret))[..16].to_string();
    let key_id = format!("mk_{}", &hex(&Sha256::digest(module_id.as_bytes()))[..12]);
    let when = core.time_of(provider).await?;
    let context = &when.stamp(context);
    let module = ModuleId::from_uuid(module_id);
    let committed = core
        .store
        .execute::<Module>(
            &module_id.to_string(),
            ModuleCommand::RegisterModule {
                module_id: module,
                provider_id: provider,
                kind,
                base_url,
                serves,
                key_id: key_id.clone(),
                fingerprint: fingerprint.clone(),
                secret_hex: secret_hex.clone(),
                registered_on: when.today(),
            },
            context,
            key.as_slice(),
        )
        .await?;
    Ok((
        Registered {
            module_id: module,
            key_id,
            secret_hex,
            fingerprint,
        },
        committed,
    ))
}

/// The module `id` as its aggregate says now; `module_not_found` if it was never registered.
pub async fn module(core: &Core, id: Uuid) -> Result<RegisteredModule, Error> {
    let loaded = core.store.load::<Module>(&id.to_string()).await?;
    loaded
        .aggregate
        .registered()
        .cloned()
        .ok_or_else(|| Error::not_found("module_not_found", format!("no module {id}")))
}

/// The module's HMAC secret, if it has one.
pub async fn secret_of(store: &eventstore::EventStore, id: Uuid) -> Result<Option<Vec<u8>>, Error> {
    let secret = store.credential::<Module>(&id.to_string()).await?;
    Ok(secret.and_then(|s| unhex(&s)))
}

/// The `X-Billing-Signature` value of `body` sent at the unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!(
        "t={t},v1={}",
        hex(&mac(secret, t, body).finalize().into_bytes())
    )
}

/// The HMAC of `"<t>.<body>"`.
fn mac(secret: &[u8], t: i64, body: &[u8]) -> Hmac<Sha256> {
    // An HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadSignature {
    /// No header, or not `t=<unix>,v1=<hex>`.
    Malformed,
    /// The time is more than [`TOLERANCE_SECS`] away from ours.
    Stale,
    /// The HMAC does not match.
    Mismatch,
}

/// Checks `header` (an `X-Billing-Signature` value) over `body` at the unix time `now`, in
/// constant time. Answers the signature's `v1` hex (what a replay would repeat).
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64) -> Result<String, BadSignature> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(BadSignature::Malformed);
    };
    let given = unhex(&v1).ok_or(BadSignature::Malformed)?;
    if (now - t).abs() > TOLERANCE_SECS {
        return Err(BadSignature::Stale);
    }
    mac(secret, t, body)
        .verify_slice(&given)
        .map_err(|_| BadSignature::Mismatch)?;
    Ok(v1)
}

/// The real unix time, for signatures (not the business clock: a sandbox's clock may be years
/// away from the module's).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The module a delivery of operation `operation` went to, if any.
pub async fn module_of_operation(core: &Core, operation: Uuid) -> Result<Option<Uuid>, Error> {
    Ok(
        sqlx::query_scalar("SELECT module_id FROM module_deliveries WHERE id = $1")
            .bind(operation)
            .fetch_optional(core.pool.primary())
            .await?,
    )
}

/// What a module reported on an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Done; a registrar gives the domain's new expiry.
    Done {
        /// The expiry a registrar answered (required of a registrar, ignored for others).
        expires_at: Option<DateTime<Utc>>,
    },
    /// Failed, and why.
    Failed {
        /// The module's reason.
        reason: String,
    },
}

/// The delivery kinds a registrar is sent (ADR 33).
const REGISTRAR_KINDS: [&str; 3] = ["register", "transfer", "renew"];

/// Records what module `module` reported on operation `operation`. A service's operation is
/// completed or failed through the operations' use cases (the `Service` decides); a domain's
/// registrar operation is answered through `domains::record_answer`, the same path as
/// `POST /v1/domains/{id}/registrar-answer` (the `Domain` decides); a tariff change, which the
/// `Service` holds no operation for, is only noted on its delivery. Answers the position of
/// what was recorded.
pub async fn report(
    core: &Core,
    context: &CommandContext,
    key: CommandKey,
    module: Uuid,
    operation: Uuid,
    report: Report,
) -> Result<i64, Error> {
    let delivery: Option<(String, i64, Option<Uuid>)> = sqlx::query_as(
        "SELECT kind, position, service_id FROM module_deliveries \
          WHERE id = $1 AND module_id = $2",
    )
    .bind(operation)
    .bind(module)
    .fetch_optional(core.pool.primary())
    .await?;
    let Some((kind, requested_at, subject)) = delivery else {
        return Err(Error::not_found(
            "operation_not_found",
            format!("operation_id: no operation {operation} of module {module}"),
        ));
    };
    let position = if kind == "change_tariff" {
        eventstore::log::head_position(core.pool.primary()).await?
    } else if REGISTRAR_KINDS.contains(&kind.as_str()) {
        let domain = subject.ok_or_else(|| {
            Error::not_found(
                "operation_not_found",
                format!("operation_id: no domain for operation {operation}"),
            )
        })?;
        let answer = match &report {
            Report::Done {
                expires_at: Some(expires_at),
            } => RegistrarAnswer::Done {
                expires_at: *expires_at,
            },
            Report::Done { expires_at: None } => {
                return Err(Error::invalid(
                    "invalid_callback",
                    "expires_at: a registrar's done gives the domain's new expiry",
                ));
            }
            Report::Failed { reason } => RegistrarAnswer::Failed {
                reason: reason.chars().take(500).collect(),
            },
        };
        crate::usecases::domains::record_answer(core, context, Some(key), domain, operation, answer)
            .await?
            .position
    } else {
        // The outbox may be ahead of the services read model, which finds the operation's
        // service: a module may answer faster than the read model applies the request.
        core.consistent(&[projections::ReadModel::Services], Some(requested_at))
            .await?;
        let committed = match &report {
            Report::Done { .. } => {
                crate::usecases::operations::complete_operation(core, context, Some(key), operation)
                    .await?
            }
            Report::Failed { reason } => {
                crate::usecases::operations::fail_operation(
                    core,
                    context,
                    Some(key),
                    operation,
                    reason.clone(),
                )
                .await?
            }
        };
        committed.position
    };
    let outcome = match report {
        Report::Done { .. } => "done",
        Report::Failed { .. } => "failed",
    };
    sqlx::query(
        "UPDATE module_deliveries SET outcome = $2, outcome_at = now() \
          WHERE id = $1 AND outcome IS NULL",
    )
    .bind(operation)
    .bind(outcome)
    .execute(core.pool.primary())
    .await?;
    Ok(position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_once_and_not_with_another_body_or_late() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let header = sign(secret, 1_000, b"{}");
        assert!(verify(secret, &header, b"{}", 1_100).is_ok());
        assert_eq!(
            verify(secret, &header, b"{ }", 1_100),
            Err(BadSignature::Mismatch)
        );
        assert_eq!(
            verify(secret, &header, b"{}", 1_400),
            Err(BadSignature::Stale)
        );
        assert_eq!(
            verify(secret, "v1=00", b"{}", 1_000),
            Err(BadSignature::Malformed)
        );
        assert_eq!(
            verify(b"another secret", &header, b"{}", 1_000),
            Err(BadSignature::Mismatch)
        );
    }
}
