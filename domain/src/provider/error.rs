use chrono::{DateTime, Utc};

/// Why a provider command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider has already been created.
    #[error("provider already exists")]
    AlreadyCreated,
    /// The name, as given, is empty after trimming, longer than 200 characters or holds control
    /// characters.
    #[error(
        "invalid provider name {0:?}: it must be 1 to 200 characters without control characters"
    )]
    InvalidName(String),
    /// The provider does not exist.
    #[error("no such provider")]
    NotFound,
    /// Only a sandbox provider has a clock of its own; a live provider lives on real time.
    #[error("the provider is live: only a sandbox provider's clock can be moved")]
    NotSandbox,
    /// A clock only moves forward.
    #[error("the clock only moves forward: it shows {from}, not before {to}")]
    ClockBackwards {
        /// The time the clock shows.
        from: DateTime<Utc>,
        /// The time asked for.
        to: DateTime<Utc>,
    },
}

impl ProviderError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ProviderError::AlreadyCreated => "provider_exists",
            ProviderError::InvalidName(_) => "invalid_name",
            ProviderError::NotFound => "provider_not_found",
            ProviderError::NotSandbox => "provider_not_sandbox",
            ProviderError::ClockBackwards { .. } => "clock_backwards",
        }
    }
}
