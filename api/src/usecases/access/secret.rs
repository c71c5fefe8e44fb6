//! Passwords and token secrets: argon2id hashes of passwords, random 32-byte token secrets of
//! which only the SHA-256 is stored, and the bearer string that carries a token's id and secret.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use domain::access::PasswordHash;
use domain::ids::TokenId;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// The shortest password accepted, in characters.
pub const PASSWORD_CHARS_MIN: usize = 8;
/// The longest password accepted, in bytes: argon2 takes any length, but a megabyte of password
/// per request would be an easy way to burn CPU.
pub const PASSWORD_BYTES_MAX: usize = 1024;

/// Checks a new password's length and hashes it with argon2id (OWASP's parameters, the crate's
/// default) and a random salt, off the async runtime. The password goes no further than this.
pub async fn hash_password(password: &str) -> Result<PasswordHash, Error> {
    check_length(password)?;
    let password = password.to_owned();
    // On the argon2 workers, so that hashing too runs on a bounded set of threads.
    let phc = super::argon::run(move |_| -> Result<String, String> {
        let mut salt = [0_u8; 16];
        getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .ok_or_else(|| Error::internal(&"the argon2 workers are gone"))?
    .map_err(|e| Error::internal(&e))?;
    PasswordHash::from_phc(phc).map_err(|e| Error::internal(&e))
}

/// Refuses a new password shorter than [`PASSWORD_CHARS_MIN`] characters or longer than
/// [`PASSWORD_BYTES_MAX`] bytes: cheap, so it runs before any limit or argon2 work.
pub fn check_length(password: &str) -> Result<(), Error> {
    if password.chars().count() < PASSWORD_CHARS_MIN || password.len() > PASSWORD_BYTES_MAX {
        return Err(Error::refused(
            "invalid_password",
            format!("password: must be {PASSWORD_CHARS_MIN} to {PASSWORD_BYTES_MAX} bytes long"),
        ));
    }
    Ok(())
}

/// The password hash kept for the staff member or user `id` in the store's credential table
/// (ADR 11): never in an event, so never in the audit stream. `None` when it has none (then
/// [`verify_password`] checks the fixed hash and answers no).
pub async fn stored_password<A: eventstore::StoredAggregate>(
    core: &Core,
    id: &str,
) -> Result<Option<PasswordHash>, Error> {
    let stored = core.store.credential::<A>(id).await?;
    Ok(stored.and_then(|phc| PasswordHash::from_phc(phc).ok()))
}

/// Whether `password` matches `hash`. With no hash (no such login) a fixed hash is checked
/// instead, so that an unknown login takes as long as a wrong password and answers the same.
pub async fn verify_password(password: &str, hash: Option<&PasswordHash>) -> bool {
    if password.len() > PASSWORD_BYTES_MAX {
        return false;
    }
    let known = hash.is_some();
    let phc = hash.map_or_else(|| dummy_hash().to_owned(), |h| h.as_phc().to_owned());
    // On the argon2 workers, whose memory is allocated once (see `argon`).
    let matches = super::argon::verify(phc, password.to_owned()).await;
    known && matches
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::encode_b64(b"billing-dummy-salt").ok();
        salt.and_then(|salt| {
            Argon2::default()
                .hash_password(b"no such login", &salt)
                .ok()
                .map(|h| h.to_string())
        })
        .unwrap_or_default()
    })
}

/// A token as handed out once: the bearer string and the digest that is stored.
pub struct NewToken {
    /// The token's id.
    pub id: TokenId,
    /// `bt_<id>_<secret>`, shown to its holder once.
    pub bearer: String,
    /// The SHA-256 of the secret, hex-encoded: what the store's credential table keeps.
    pub secret_sha256: String,
}

/// The prefix of every token this API issues, so that a leaked one is recognisable.
const PREFIX: &str = "bt_";

/// A new token with a random 32-byte secret.
pub fn new_token() -> Result<NewToken, Error> {
    let mut secret = [0_u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::internal(&e))?;
    let id = Uuid::now_v7();
    Ok(NewToken {
        id: TokenId::from_uuid(id),
        bearer: format!("{PREFIX}{}_{}", id.simple(), hex(&secret)),
        secret_sha256: hex(&Sha256::digest(secret)),
    })
}

/// Splits a bearer string into the token's id and the SHA-256 of its secret (hex), or `None`
/// when it is not one of ours.
pub fn parse_bearer(bearer: &str) -> Option<(TokenId, String)> {
    let rest = bearer.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id = Uuid::try_parse(id).ok()?;
    let secret = unhex(secret)?;
    if secret.len() != 32 {
        return None;
    }
    Some((TokenId::from_uuid(id), hex(&Sha256::digest(&secret))))
}

/// Compares two digests without stopping at the first difference.
pub fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// Lower-case hexadecimal, as token strings and stored digests are written.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The bytes of lower- or upper-case hexadecimal; `None` for an odd length or another character.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_parses_back_to_its_id_and_digest() {
        let token = new_token().unwrap();
        let (id, digest) = parse_bearer(&token.bearer).unwrap();
        assert_eq!(id, token.id);
        assert!(same_digest(&digest, &token.secret_sha256));
        assert!(parse_bearer("bt_nothex_zz").is_none());
        assert!(parse_bearer("test-admin-token").is_none());
    }
}
