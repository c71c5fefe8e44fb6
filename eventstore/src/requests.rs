//! The table of the `Idempotency-Key` layer (ADR 13): `idempotency_requests`, one row per caller
//! and key, first *running* (with a lease), then holding the answer. Store infrastructure like
//! `command_keys`; the HTTP layer (`api::http::idempotency`) decides what to claim and replay,
//! and this module owns the statements.

use sqlx::PgPool;
use uuid::Uuid;

/// A request as the table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// The caller's actor (`anonymous` on the public routes).
    pub principal: &'a str,
    /// The `Idempotency-Key`.
    pub key: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The path with its query.
    pub path: &'a str,
    /// SHA-256 of the method, the path and the body.
    pub fingerprint: &'a [u8],
}

/// A stored request, as found when its key was not free.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stored {
    /// Its method.
    pub method: String,
    /// Its path with query.
    pub path: String,
    /// Its fingerprint.
    pub fingerprint: Vec<u8>,
    /// The answer's status, once stored; `None` while it runs.
    pub status: Option<i16>,
    /// The answer's kept headers.
    pub headers: Option<sqlx::types::Json<Vec<(String, String)>>>,
    /// The answer's body; `None` while it runs, or when it was withheld (a token).
    pub body: Option<Vec<u8>>,
}

/// Claims the key for `request` with a new `lease`, in one statement: a new key, an expired one,
/// or a running one whose lease has passed (its process died) with the same request. Whether the
/// claim took is whether the answer is `lease`.
pub async fn claim(
    pool: &PgPool,
    request: &Request<'_>,
    lease: Uuid,
    lease_secs: u32,
    kept_for_hours: u32,
) -> Result<bool, sqlx::Error> {
    let claimed: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO idempotency_requests
                (principal, key, method, path, fingerprint, lease, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6,
                 now() + make_interval(secs => $7), now() + make_interval(hours => $8))
         ON CONFLICT (principal, key) DO UPDATE
            SET method = EXCLUDED.method, path = EXCLUDED.path,
                fingerprint = EXCLUDED.fingerprint, lease = EXCLUDED.lease,
                locked_until = EXCLUDED.locked_until, status = NULL, headers = NULL,
                body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
          WHERE idempotency_requests.expires_at <= now()
             OR (idempotency_requests.status IS NULL
                 AND idempotency_requests.locked_until <= now()
                 AND idempotency_requests.method = EXCLUDED.method
                 AND idempotency_requests.path = EXCLUDED.path
                 AND idempotency_requests.fingerprint = EXCLUDED.fingerprint)
         RETURNING lease",
    )
    .bind(request.principal)
    .bind(request.key)
    .bind(request.method)
    .bind(request.path)
    .bind(request.fingerprint)
    .bind(lease)
    .bind(f64::from(lease_secs))
    .bind(i32::try_from(kept_for_hours).unwrap_or(i32::MAX))
    .fetch_optional(pool)
    .await?;
    Ok(claimed == Some(lease))
}

/// The request stored under the caller's key, if any.
pub async fn find(
    pool: &PgPool,
    principal: &str,
    key: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query_as(
        "SELECT method, path, fingerprint, status, headers, body
           FROM idempotency_requests WHERE principal = $1 AND key = $2",
    )
    .bind(principal)
    .bind(key)
    .fetch_optional(pool)
    .await
}

/// Stores the answer of the request holding `lease`; `body` is `None` when the answer is
/// withheld (it carried a token).
pub async fn store_answer(
    pool: &PgPool,
    principal: &str,
    key: &str,
    lease: Uuid,
    status: u16,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_requests
            SET status = $4, headers = $5, body = $6, locked_until = NULL
          WHERE principal = $1 AND key = $2 AND lease = $3",
    )
    .bind(principal)
    .bind(key)
    .bind(lease)
    .bind(i16::try_from(status).unwrap_or(i16::MAX))
    .bind(sqlx::types::Json(headers))
    .bind(body)
    .execute(pool)
    .await?;
    Ok(())
}

/// Frees the key held with `lease`, so that a retry runs again.
pub async fn release(
    pool: &PgPool,
    principal: &str,
    key: &str,
    lease: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM idempotency_requests WHERE principal = $1 AND key = $2 AND lease = $3",
    )
    .bind(principal)
    .bind(key)
    .bind(lease)
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes a batch of keys past their time.
pub async fn purge(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM idempotency_requests WHERE ctid IN
            (SELECT ctid FROM idempotency_requests WHERE expires_at <= now() LIMIT 1000)",
    )
    .execute(pool)
    .await?;
    Ok(())
}
