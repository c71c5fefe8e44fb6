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
}

impl ProviderError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ProviderError::AlreadyCreated => "provider_exists",
            ProviderError::InvalidName(_) => "invalid_name",
        }
    }
}
