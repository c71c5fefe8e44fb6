//! Payment gateway modules (issue 20.5, ADR 32; protocol in `docs/modules.md`): a payment by a
//! method a `payment` module serves is handed to the gateway with a signed
//! `POST {base_url}/payments`, the client is sent to the address the gateway answers, and the
//! gateway's signed notification settles or fails the payment.
//!
//! The `Payment` aggregate holds every rule (`SettleByGateway`: the exact amount and currency
//! or the payment fails; a repeat records nothing; `FailByGateway`). This module only finds the
//! gateway, sends, and reads the notification. The request to the gateway is a row of the module
//! outbox (`module_deliveries`, keyed by the payment id) before it is sent: sent at once to learn
//! the redirect address, and retried by the module sender when the gateway did not take it.
//! Crediting the account after a settlement is the `Payments` process's keyed step, which a
//! restart finishes.

use std::sync::OnceLock;

use domain::ids::{PaymentId, ProviderId};
use domain::money::{Currency, Money};
use domain::payment::{ExternalId, Payment, PaymentCommand, PaymentStatus};
use eventstore::CommandKey;
use eventstore::metadata::CommandContext;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::usecases::clocks;
use crate::usecases::modules::{KEY_ID_HEADER, SIGNATURE_HEADER, secret_of, sign, unix_now};
use crate::usecases::process::modules::{REQUEST_TIMEOUT, backoff};
use crate::usecases::process::payments;
use crate::usecases::{Core, Error};

/// The longest redirect address a gateway may answer, in characters.
pub const REDIRECT_URL_CHARS_MAX: usize = 2000;
/// The longest answer of a gateway read, in bytes.
const ANSWER_BYTES_MAX: usize = 16 * 1024;
/// How long the client waits for a gateway that did not answer before trying again, in seconds.
const RETRY_AFTER_SECS: u32 = 5;
/// How long a request being sent at once is left to this call before the sender may send it.
const LEASE_SECS: f64 = 60.0;

/// A payment module serving a method.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Gateway {
    /// The module.
    pub module_id: Uuid,
    /// Its base URL.
    pub base_url: String,
    /// Its key id.
    pub key_id: String,
}

/// The payment module of `provider` registered first for the payment method `method`, if any
/// (the module outbox's registry).
pub async fn serving(
    core: &Core,
    provider: ProviderId,
    method: &str,
) -> Result<Option<Gateway>, Error> {
    Ok(sqlx::query_as(
        "SELECT module_id, base_url, key_id FROM module_registry \
          WHERE provider_id = $1 AND kind = 'payment' AND $2 = ANY (serves) \
          ORDER BY position LIMIT 1",
    )
    .bind(provider.as_uuid())
    .bind(method)
    .fetch_optional(core.pool.primary())
    .await?)
}

/// What a gateway answers to `POST {base_url}/payments`.
#[derive(Debug, Deserialize)]
struct GatewayAnswer {
    redirect_url: String,
}

/// The HTTP client of gateway requests made while a client waits: no redirects followed.
fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// Hands the created payment `payment_id` to `gateway` and answers the address the client pays
/// at. The request is queued in the module outbox first (once per payment: a retry sends the
/// same body under the same `Idempotency-Key`), then sent at once; a gateway that does not take
/// it is a `503 gateway_unavailable` (the sender keeps trying, and the same top-up again asks
/// once more for the address).
pub async fn hand_over(
    core: &Core,
    gateway: &Gateway,
    payment_id: Uuid,
    position: i64,
    return_url: &str,
) -> Result<String, Error> {
    let payment = core.store.load::<Payment>(&payment_id.to_string()).await?;
    let payment = payment.aggregate;
    let (Some(client_id), Some(amount), Some(method)) =
        (payment.client_id(), payment.amount(), payment.method())
    else {
        return Err(Error::not_found(
            "payment_not_found",
            format!("no payment {payment_id}"),
        ));
    };
    let body = json!({
        "payment_id": payment_id,
        "client_id": client_id.as_uuid(),
        "method": method.as_str(),
        "amount": amount.amount().to_string(),
        "currency": amount.currency().to_string(),
        "return_url": return_url,
    })
    .to_string();
    let inserted = sqlx::query(
        "INSERT INTO module_deliveries \
         (id, module_id, kind, body, position, status, attempts, next_at) \
         VALUES ($1, $2, 'payment', $3, $4, 'sending', 1, now() + make_interval(secs => $5)) \
         ON CONFLICT DO NOTHING",
    )
    .bind(payment_id)
    .bind(gateway.module_id)
    .bind(&body)
    .bind(position)
    .bind(LEASE_SECS)
    .execute(core.store.pool())
    .await?
    .rows_affected();
    // A repeat sends what was queued the first time.
    let (body, attempts): (String, i32) = if inserted == 1 {
        (body, 1)
    } else {
        sqlx::query_as("SELECT body, attempts FROM module_deliveries WHERE id = $1")
            .bind(payment_id)
            .fetch_one(core.store.pool())
            .await?
    };
    match send(core, gateway, payment_id, &body).await {
        Ok(redirect_url) => {
            sqlx::query(
                "UPDATE module_deliveries SET status = 'delivered', \
                 delivered_at = coalesce(delivered_at, now()), last_error = NULL WHERE id = $1",
            )
            .bind(payment_id)
            .execute(core.store.pool())
            .await?;
            Ok(redirect_url)
        }
        Err(error) => {
            tracing::warn!(payment = %payment_id, module = %gateway.module_id, %error,
                "payment gateway did not take the payment; the module sender retries");
            sqlx::query(
                "UPDATE module_deliveries SET status = 'pending', last_error = $2, \
                 next_at = now() + make_interval(secs => $3) \
                 WHERE id = $1 AND status <> 'delivered'",
            )
            .bind(payment_id)
            .bind(error.chars().take(500).collect::<String>())
            .bind(backoff(attempts).as_secs_f64())
            .execute(core.store.pool())
            .await?;
            Err(Error::unavailable(
                "gateway_unavailable",
                format!(
                    "the payment gateway did not take payment {payment_id} yet; try again with the same Idempotency-Key"
                ),
                RETRY_AFTER_SECS,
            ))
        }
    }
}

/// Sends the signed request and reads the redirect address from a 2xx answer.
async fn send(
    core: &Core,
    gateway: &Gateway,
    payment_id: Uuid,
    body: &str,
) -> Result<String, String> {
    let secret = secret_of(&core.store, gateway.module_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the module has no secret".to_string())?;
    let answer = http()
        .post(format!("{}/payments", gateway.base_url))
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, sign(&secret, unix_now(), body.as_bytes()))
        .header(KEY_ID_HEADER, &gateway.key_id)
        .header("idempotency-key", payment_id.to_string())
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !answer.status().is_success() {
        return Err(format!("the gateway answered {}", answer.status()));
    }
    let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
    if bytes.len() > ANSWER_BYTES_MAX {
        return Err("the gateway's answer is too long".to_string());
    }
    let answer: GatewayAnswer = serde_json::from_slice(&bytes)
        .map_err(|e| format!("the gateway's answer is not {{\"redirect_url\"}}: {e}"))?;
    let url = answer.redirect_url;
    let plausible = (url.starts_with("https://") || url.starts_with("http://"))
        && url.chars().count() <= REDIRECT_URL_CHARS_MAX
        && !url.chars().any(char::is_whitespace);
    if plausible {
        Ok(url)
    } else {
        Err("the gateway's redirect_url is not an http(s) address".to_string())
    }
}

/// What a gateway's notification says.
#[derive(Debug, Clone)]
pub enum Notice {
    /// The client paid `amount` (in `currency`, as sent) under `transaction_id`.
    Confirmed {
        /// The gateway's transaction id.
        transaction_id: String,
        /// The amount, as sent.
        amount: String,
        /// Its ISO 4217 code, as sent.
        currency: String,
    },
    /// The payment failed at the gateway.
    Failed {
        /// Why.
        reason: String,
    },
}

/// What a notification did.
#[derive(Debug, Clone)]
pub struct Notified {
    /// The payment's status after it.
    pub status: PaymentStatus,
    /// The position to read the balance at.
    pub position: i64,
}

/// The payment `payment_id` as the module `module` reports it. A payment that was never handed
/// to this module is `404 payment_not_found`; the `Payment` decides the rest. A confirmation of
/// another amount fails the payment and answers `422 amount_mismatch`.
pub async fn notify(
    core: &Core,
    context: &CommandContext,
    key: CommandKey,
    module: Uuid,
    payment_id: Uuid,
    notice: Notice,
) -> Result<Notified, Error> {
    let sent: Option<i64> = sqlx::query_scalar(
        "SELECT position FROM module_deliveries \
          WHERE id = $1 AND module_id = $2 AND kind = 'payment'",
    )
    .bind(payment_id)
    .bind(module)
    .fetch_optional(core.store.pool())
    .await?;
    if sent.is_none() {
        return Err(Error::not_found(
            "payment_not_found",
            format!("payment_id: module {module} was handed no payment {payment_id}"),
        ));
    }
    let id = PaymentId::from_uuid(payment_id);
    let when = clocks::of_payment(&core.store, id).await?;
    let context = &when.stamp(context);
    let command = match &notice {
        Notice::Confirmed {
            transaction_id,
            amount,
            currency,
        } => PaymentCommand::SettleByGateway {
            transaction_id: ExternalId::parse(transaction_id)?,
            amount: Money::parse_positive(amount, Currency::parse(currency)?)?,
            confirmed_on: when.today(),
        },
        Notice::Failed { reason } => PaymentCommand::FailByGateway {
            reason: reason.clone(),
        },
    };
    let committed = core
        .store
        .execute::<Payment>(
            &payment_id.to_string(),
            command,
            context,
            std::slice::from_ref(&key),
        )
        .await?;
    let payment = core.store.load::<Payment>(&payment_id.to_string()).await?;
    let status = payment.aggregate.status().unwrap_or(PaymentStatus::New);
    let outcome = match status {
        PaymentStatus::Cancelled => "failed",
        _ => "done",
    };
    sqlx::query(
        "UPDATE module_deliveries SET outcome = $2, outcome_at = now() \
          WHERE id = $1 AND outcome IS NULL",
    )
    .bind(payment_id)
    .bind(outcome)
    .execute(core.store.pool())
    .await?;
    match (&notice, status) {
        (Notice::Confirmed { .. }, PaymentStatus::Cancelled) => Err(Error::refused(
            "amount_mismatch",
            format!(
                "amount: the payment {payment_id} is {}; it has been failed",
                payment
                    .aggregate
                    .amount()
                    .map_or_else(String::new, |a| a.to_string())
            ),
        )),
        (Notice::Confirmed { .. }, _) => {
            // The account is credited by the payment's keyed step; were this process to stop
            // here, the `Payments` process credits it from the log.
            let position = payments::credit(&core.store, id, context).await?;
            Ok(Notified {
                status,
                position: position.max(committed.position),
            })
        }
        (Notice::Failed { .. }, _) => Ok(Notified {
            status,
            position: committed.position,
        }),
    }
}
