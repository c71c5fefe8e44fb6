//! What every form of the panel carries: a CSRF token bound to the session, and an idempotency
//! key.
//!
//! The CSRF token is HMAC-SHA-256 of the session's bearer string under a server secret
//! ([`FormSecret`]), checked in constant time. The secret is derived from the bootstrap
//! administrator token, which is configuration: it is in no event and no table, every node
//! configured alike derives the same one, and changing that token makes the open forms' tokens
//! worthless. A page on another site can neither read the session cookie (`HttpOnly`) nor make
//! the browser send it (`SameSite=Strict`); the token is the second lock, so that a forged POST
//! changes nothing even where the cookie travels.
//!
//! The idempotency key is a UUID rendered into the form when the page is made. An action sends
//! it as the command's `Idempotency-Key` (scope `idempotency:<actor>`, fingerprinted with the
//! API route and the request, `Command::key`), and where the API takes a caller-chosen id (a
//! payment's) the key is that id: a double click, a reload of the answer or a retry runs the
//! command once and gets the first answer back.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::usecases::access::secret::{hex, unhex};

/// The server's secret for the panel's CSRF tokens.
#[derive(Clone)]
pub struct FormSecret([u8; 32]);

impl std::fmt::Debug for FormSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormSecret(..)")
    }
}

impl FormSecret {
    /// The secret of a node whose bootstrap administrator token is `admin_token`.
    pub fn derived_from(admin_token: &str) -> Self {
        let mut digest = Sha256::new();
        digest.update(b"billing staff panel form secret\0");
        digest.update(admin_token.as_bytes());
        Self(digest.finalize().into())
    }

    fn mac(&self, bearer: &str) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).ok()?;
        mac.update(b"csrf\0");
        mac.update(bearer.as_bytes());
        Some(mac)
    }

    /// The CSRF token of the session whose bearer string is `bearer`, in hex.
    pub fn token_for(&self, bearer: &str) -> String {
        self.mac(bearer)
            .map(|mac| hex(&mac.finalize().into_bytes()))
            .unwrap_or_default()
    }

    /// Whether `token` is the CSRF token of the session `bearer`, compared in constant time.
    pub fn verify(&self, bearer: &str, token: &str) -> bool {
        let Some(bytes) = unhex(token) else {
            return false;
        };
        self.mac(bearer)
            .is_some_and(|mac| mac.verify_slice(&bytes).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_for_its_session_only() {
        let secret = FormSecret::derived_from("admin token");
        let token = secret.token_for("session one");
        assert!(secret.verify("session one", &token));
        assert!(!secret.verify("session two", &token));
        assert!(!secret.verify("session one", ""));
        assert!(!secret.verify("session one", "zz"));
        let other = FormSecret::derived_from("another admin token");
        assert!(!other.verify("session one", &token));
    }
}

/// Whether a settings page follows a save (`?done=` after a form's redirect).
#[derive(serde::Deserialize, Default)]
pub struct Saved {
    /// Present after a save.
    #[serde(default)]
    pub done: Option<String>,
}
