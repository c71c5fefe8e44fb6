//! What every handler is given: the use cases' [`Core`], the known bootstrap tokens, the metrics
//! handle and the sign-in limits.

use std::sync::Arc;

use eventstore::metadata::Actor;
use metrics_exporter_prometheus::PrometheusHandle;
use projections::ReadModel;
use sha2::{Digest, Sha256};

use crate::http::auth::rules::Rules;
use crate::http::error::ApiError;
use crate::usecases::Core;

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    /// What the use cases and queries run on.
    pub core: Core,
    /// Known bearer tokens.
    pub tokens: Tokens,
    /// The Prometheus recorder's handle, for `/metrics`.
    pub metrics: Option<PrometheusHandle>,
    /// Every route's rule, by method and template.
    pub rules: &'static Rules,
    /// The limits on sign-ins (failures per login and address, the argon2 gate).
    pub sign_in: Arc<crate::http::auth::throttle::Throttle>,
    /// The secret of the staff panel's CSRF tokens.
    pub forms: crate::http::dashboard::forms::FormSecret,
    /// Where clients reach this node (`BILLING_PUBLIC_URL`), when configured: the origin of the
    /// addresses a card gateway sends them back to.
    pub public_url: Option<String>,
}

impl std::ops::Deref for Inner {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// Waits until every named read model has applied the event at `min_position`, or answers
    /// 503 after the configured bound.
    pub async fn consistent(
        &self,
        read_models: &[ReadModel],
        min_position: Option<i64>,
    ) -> Result<(), ApiError> {
        Ok(self.core.consistent(read_models, min_position).await?)
    }
}

/// Bearer tokens and who they stand for. Tokens are kept as SHA-256 digests, never in clear.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    known: Vec<([u8; 32], Actor)>,
}

impl Tokens {
    /// Adds a token for `actor`.
    pub fn add(&mut self, token: &str, actor: Actor) {
        self.known.push((digest(token), actor));
    }

    /// The actor a token stands for.
    pub fn actor(&self, token: &str) -> Option<&Actor> {
        let digest = digest(token);
        self.known
            .iter()
            .find(|(known, _)| *known == digest)
            .map(|(_, actor)| actor)
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}
