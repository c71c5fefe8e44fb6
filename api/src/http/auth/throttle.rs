//! Sign-in under attack: limits on failed sign-ins per login and per source address, and a gate
//! in front of the argon2 workers.
//!
//! Every sign-in (`POST /v1/auth/login` and the dashboard's form) goes through [`Throttle::begin`]
//! before a password is checked:
//!
//! - **Failures per source address and per login.** Each is a bucket of `failures` tries that
//!   refills one try every `refill`. A try is taken when the sign-in starts and given back if it
//!   succeeds (or never got to check the password), so concurrent guesses cannot slip past the
//!   count. An empty bucket answers `429 Too Many Requests` with `Retry-After`, without checking
//!   the password, and logs a warning with the login and the address (never the password). Other
//!   addresses' failures reach a login only through the per-login bucket.
//! - **The argon2 gate.** At most `argon2_admitted` sign-ins hold a place at once (the argon2
//!   workers, one per core, and a short queue in front of them); one more answers
//!   `503 Service Unavailable` with `Retry-After: 1` at once. Memory and CPU stay bounded however
//!   many arrive, and other requests keep their share of the machine.
//!
//! Behind a reverse proxy every request comes from the proxy's address: with `trust_proxy` the
//! source address is the last one of `X-Forwarded-For` (the one the proxy appended) and
//! `X-Forwarded-Proto: https` marks a request that arrived over TLS. Without it both headers are
//! ignored, since anyone can send them.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use domain::access::Login;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::error::ApiError;

/// A bucket of failed sign-ins: `failures` at once, then one more every `refill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Failed sign-ins allowed in a burst.
    pub failures: u32,
    /// How long until one more is allowed.
    pub refill: Duration,
}

/// How sign-ins are limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInConfig {
    /// Whether `X-Forwarded-For` and `X-Forwarded-Proto` are believed (behind a reverse proxy).
    pub trust_proxy: bool,
    /// Failed sign-ins per source address.
    pub per_address: Limit,
    /// Failed sign-ins per login, from all addresses together.
    pub per_login: Limit,
    /// Sign-ins checking a password at once or queued for the argon2 workers.
    pub argon2_admitted: usize,
}

/// Failed sign-ins per source address: 20, then one every 30 s (120 an hour).
pub const PER_ADDRESS: Limit = Limit {
    failures: 20,
    refill: Duration::from_secs(30),
};

/// Failed sign-ins per login: 10, then one a minute.
pub const PER_LOGIN: Limit = Limit {
    failures: 10,
    refill: Duration::from_secs(60),
};

impl Default for SignInConfig {
    fn default() -> Self {
        Self {
            trust_proxy: false,
            per_address: PER_ADDRESS,
            per_login: PER_LOGIN,
            // The workers and two waiting per worker: a wait of at most about three checks.
            argon2_admitted: 3 * crate::usecases::access::argon::workers(),
        }
    }
}

/// Keys a bucket table holds at most; past it, buckets that are full again are forgotten, and
/// if none is, a new key is refused as if its bucket were empty (an attack from more addresses
/// than this cannot grow memory without bound).
const KEYS_MAX: usize = 100_000;

/// One table of buckets, kept as the instant each bucket will be full again (GCRA).
struct Buckets {
    limit: Limit,
    full_at: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    keys: HashMap<String, Instant>,
    /// When full buckets were last forgotten: at most once a second, so that a table kept full
    /// by an attack does not cost a sweep per sign-in.
    swept_at: Option<Instant>,
}

impl Buckets {
    fn new(limit: Limit) -> Self {
        Self {
            limit,
            full_at: Mutex::new(Table::default()),
        }
    }

    /// Takes one try from `key`'s bucket, or says how long until one is there.
    fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut table) = self.full_at.lock() else {
            return Err(self.limit.refill);
        };
        let burst = self.limit.refill * self.limit.failures;
        let full_at = table.keys.get(key).copied().filter(|at| *at > now);
        let after = full_at.unwrap_or(now) + self.limit.refill;
        let owed = after - now;
        if owed > burst {
            return Err(owed - burst);
        }
        if !table.keys.contains_key(key) && table.keys.len() >= KEYS_MAX {
            let due = table
                .swept_at
                .is_none_or(|at| now.saturating_duration_since(at) >= Duration::from_secs(1));
            if due {
                table.keys.retain(|_, at| *at > now);
                table.swept_at = Some(now);
            }
            if table.keys.len() >= KEYS_MAX {
                return Err(self.limit.refill);
            }
        }
        table.keys.insert(key.to_owned(), after);
        Ok(())
    }

    /// Gives one try back to `key`'s bucket.
    fn give_back(&self, key: &str) {
        if let Ok(mut table) = self.full_at.lock()
            && let Some(at) = table.keys.get_mut(key)
        {
            *at = at.checked_sub(self.limit.refill).unwrap_or(*at);
        }
    }
}

/// The sign-in limits of one server.
pub struct Throttle {
    config: SignInConfig,
    addresses: Buckets,
    logins: Buckets,
    gate: Arc<Semaphore>,
}

impl Throttle {
    /// The limits of `config`.
    pub fn new(config: SignInConfig) -> Self {
        Self {
            addresses: Buckets::new(config.per_address),
            logins: Buckets::new(config.per_login),
            gate: Arc::new(Semaphore::new(config.argon2_admitted.max(1))),
            config,
        }
    }

    /// Whether the proxy headers are believed.
    pub fn trusts_proxy(&self) -> bool {
        self.config.trust_proxy
    }

    /// Starts a sign-in of `email` from `address`: `429` when either has failed too often,
    /// `503` when the argon2 workers are busy. Report the outcome on the [`Attempt`].
    pub fn begin(self: &Arc<Self>, address: &str, email: &str) -> Result<Attempt, ApiError> {
        let login = login_key(email);
        let now = Instant::now();
        let refused = |wait: Duration| {
            let retry_after_secs = seconds(wait);
            tracing::warn!(
                login = %login,
                address = %address,
                retry_after_secs,
                "sign-in refused: too many failed sign-ins"
            );
            ApiError::too_many_requests(
                "too_many_sign_ins",
                format!(
                    "too many failed sign-ins for this login or from this address; retry in \
                     {retry_after_secs} s"
                ),
                retry_after_secs,
            )
        };
        self.addresses.take(address, now).map_err(refused)?;
        if let Err(wait) = self.logins.take(&login, now) {
            self.addresses.give_back(address);
            return Err(refused(wait));
        }
        let Ok(permit) = Arc::clone(&self.gate).try_acquire_owned() else {
            self.addresses.give_back(address);
            self.logins.give_back(&login);
            return Err(ApiError::unavailable(
                "sign_in_busy",
                "too many sign-ins are being checked right now; retry in a second",
                1,
            ));
        };
        Ok(Attempt {
            throttle: Arc::clone(self),
            address: address.to_owned(),
            login,
            failed: false,
            _permit: permit,
        })
    }
}

/// A sign-in in progress. Dropped without [`Attempt::failed`], it counts as no failure.
pub struct Attempt {
    throttle: Arc<Throttle>,
    address: String,
    login: String,
    failed: bool,
    _permit: OwnedSemaphorePermit,
}

impl Attempt {
    /// The password (or the login) was wrong: the try stays taken.
    pub fn failed(mut self) {
        self.failed = true;
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.failed {
            self.throttle.addresses.give_back(&self.address);
            self.throttle.logins.give_back(&self.login);
        }
    }
}

/// The key of a login: the login as it signs in (lowercased), or for something that is no
/// login at all, its first 254 characters lowercased.
fn login_key(email: &str) -> String {
    Login::parse(email).map_or_else(
        |_| {
            email
                .trim()
                .chars()
                .take(254)
                .collect::<String>()
                .to_lowercase()
        },
        |login| login.as_str().to_owned(),
    )
}

/// Whole seconds, at least one.
fn seconds(wait: Duration) -> u32 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    u32::try_from(whole.max(1)).unwrap_or(u32::MAX)
}

/// Where a request comes from, as far as the server can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The client's IP address (`unknown` when the connection's is not known).
    pub address: String,
    /// Whether it arrived over TLS (as a trusted proxy says).
    pub https: bool,
}

impl Source {
    /// The source of a request with `headers` over a connection from `peer`.
    pub fn of(headers: &HeaderMap, peer: Option<SocketAddr>, trust_proxy: bool) -> Source {
        let last = |name: &str| {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let forwarded = trust_proxy
            .then(|| last("x-forwarded-for"))
            .flatten()
            .and_then(|address| address.parse::<IpAddr>().ok());
        let address = forwarded
            .or(peer.map(|peer| peer.ip()))
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        let https = trust_proxy
            && last("x-forwarded-proto").is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
        Source { address, https }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(failures: u32) -> Limit {
        Limit {
            failures,
            refill: Duration::from_secs(10),
        }
    }

    #[test]
    fn a_bucket_refuses_past_its_burst_and_says_when_to_retry() {
        let buckets = Buckets::new(limit(3));
        let now = Instant::now();
        for _ in 0..3 {
            assert!(buckets.take("a", now).is_ok());
        }
        assert_eq!(buckets.take("a", now), Err(Duration::from_secs(10)));
        assert!(buckets.take("b", now).is_ok(), "other keys are not touched");
        assert!(buckets.take("a", now + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn a_full_table_refuses_new_keys_until_its_buckets_refill() {
        let buckets = Buckets::new(limit(5));
        let now = Instant::now();
        for n in 0..KEYS_MAX {
            assert!(buckets.take(&n.to_string(), now).is_ok());
        }
        assert!(buckets.take("one more", now).is_err());
        assert!(buckets.take("0", now).is_ok(), "known keys still count");
        let later = now + Duration::from_secs(60);
        assert!(buckets.take("one more", later).is_ok());
    }

    #[test]
    fn a_try_given_back_can_be_taken_again() {
        let buckets = Buckets::new(limit(1));
        let now = Instant::now();
        assert!(buckets.take("a", now).is_ok());
        buckets.give_back("a");
        assert!(buckets.take("a", now).is_ok());
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        let peer = Some(SocketAddr::from(([10, 0, 0, 1], 4000)));
        assert_eq!(
            Source::of(&headers, peer, false),
            Source {
                address: "10.0.0.1".to_owned(),
                https: false
            }
        );
        assert_eq!(
            Source::of(&headers, peer, true),
            Source {
                address: "198.51.100.7".to_owned(),
                https: true
            }
        );
    }
}
