//! Password reset links: what the notifier e-mails for a `ClientUserPasswordResetRequested`
//! event, and what the API checks before the `ClientUser` aggregate accepts a reset.
//!
//! The event holds the request's id and expiry, never a secret. The link is
//! `<public URL>/my/password-reset/<request id>?user=<user id>&mac=<hex>`, where the MAC is
//! HMAC-SHA-256 under the `password_reset` key of the `node_keys` table (made once by a
//! migration, the same on every node and across restarts, read by nobody else) of the request
//! id, the user id and the expiry. Only the holder of the e-mail can produce it; the aggregate
//! accepts it once, for its latest request, before the expiry.

use chrono::{DateTime, Utc};
use domain::access::UserEvent;
use eventstore::log::StoredEvent;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::ProjectionError;

/// The kind of the notifier's outbox rows for reset links (not a subscribable notice kind).
pub const KIND: &str = "password_reset";

/// The key of reset links, from `node_keys`.
#[derive(Clone)]
pub struct ResetKey(Vec<u8>);

impl std::fmt::Debug for ResetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetKey(..)")
    }
}

impl ResetKey {
    /// Reads the key the migration made.
    pub async fn load(pool: &PgPool) -> Result<ResetKey, sqlx::Error> {
        let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM node_keys WHERE purpose = $1")
            .bind(KIND)
            .fetch_one(pool)
            .await?;
        Ok(ResetKey(key))
    }

    fn mac(
        &self,
        request_id: Uuid,
        user_id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Hmac<sha2::Sha256> {
        // Any key length is accepted by HMAC, so this cannot fail.
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"password reset\0");
        mac.update(request_id.as_bytes());
        mac.update(user_id.as_bytes());
        mac.update(&expires_at.timestamp_micros().to_be_bytes());
        mac
    }

    /// The MAC of a link, in lower-case hex.
    pub fn sign(&self, request_id: Uuid, user_id: Uuid, expires_at: DateTime<Utc>) -> String {
        let bytes = self
            .mac(request_id, user_id, expires_at)
            .finalize()
            .into_bytes();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `mac` (hex) is the link's MAC, compared in constant time.
    pub fn verify(
        &self,
        request_id: Uuid,
        user_id: Uuid,
        expires_at: DateTime<Utc>,
        mac: &str,
    ) -> bool {
        let Some(bytes) = unhex(mac) else {
            return false;
        };
        self.mac(request_id, user_id, expires_at)
            .verify_slice(&bytes)
            .is_ok()
    }

    /// The link of a request, under the public base URL `base` (empty: a path only).
    pub fn link(
        &self,
        base: &str,
        request_id: Uuid,
        user_id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> String {
        format!(
            "{}/my/password-reset/{request_id}?user={user_id}&mac={}",
            base.trim_end_matches('/'),
            self.sign(request_id, user_id, expires_at)
        )
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The e-mail of a reset link in `language`: (subject, body); `None` for a language it is not
/// written in (English and Russian are).
pub fn mail(language: &str, name: &str, link: &str, minutes: i64) -> Option<(String, String)> {
    match language {
        "ru" => Some((
            "Сброс пароля".to_owned(),
            format!(
                "Здравствуйте, {name}!\n\nЧтобы задать новый пароль, откройте ссылку (она \
                 действует {minutes} мин. и только один раз):\n\n{link}\n\nЕсли вы не \
                 просили сбросить пароль, ничего не делайте: пароль остаётся прежним."
            ),
        )),
        "en" => Some((
            "Reset your password".to_owned(),
            format!(
                "Dear {name},\n\nto set a new password, open this link (it works for {minutes} \
                 minutes, once):\n\n{link}\n\nIf you did not ask for it, do nothing: your \
                 password stays as it is."
            ),
        )),
        _ => None,
    }
}

/// A password reset link to e-mail: what the link is made of (the request's id and expiry; the
/// MAC is computed when the mail is sent, never stored).
pub(crate) fn params_of(event: &StoredEvent) -> Result<Option<Value>, ProjectionError> {
    if event.aggregate_type != "ClientUser"
        || event.event_type != "ClientUserPasswordResetRequested"
    {
        return Ok(None);
    }
    Ok(match event.decode::<UserEvent>()? {
        UserEvent::ClientUserPasswordResetRequested {
            request_id,
            expires_at,
        } => {
            let minutes = (expires_at - event.metadata()?.occurred_at).num_minutes();
            Some(json!({"request_id": request_id, "expires_at": expires_at,
                        "minutes": minutes.to_string()}))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mac_verifies_for_its_own_request_user_and_expiry_only() {
        let key = ResetKey(b"a key of sixteen bytes or more".to_vec());
        let (request, user, at) = (Uuid::now_v7(), Uuid::now_v7(), Utc::now());
        let mac = key.sign(request, user, at);
        assert!(key.verify(request, user, at, &mac));
        assert!(!key.verify(Uuid::now_v7(), user, at, &mac));
        assert!(!key.verify(request, Uuid::now_v7(), at, &mac));
        assert!(!key.verify(request, user, at + chrono::Duration::seconds(1), &mac));
        assert!(!key.verify(request, user, at, "00"));
        let other = ResetKey(b"another key of sixteen bytes".to_vec());
        assert!(!other.verify(request, user, at, &mac));
    }
}
