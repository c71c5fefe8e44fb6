/// Why a client command was refused, or why a client field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The client has already been registered.
    #[error("client already exists")]
    AlreadyRegistered,
    /// The client has not been registered.
    #[error("client not found")]
    NotRegistered,
    /// The client has been deleted and accepts no more changes.
    #[error("client is deleted")]
    Deleted,
    /// The client was merged into another one and takes no more commands.
    #[error("client is merged into another client")]
    Merged,
    /// The client is already merged by another merge.
    #[error("client is already merged by another merge")]
    MergedElsewhere,
    /// The client is not active: it takes no new orders or payments.
    #[error("client is not active")]
    Inactive,
    /// The name, as given, is empty after trimming, longer than 200 characters or holds control
    /// characters.
    #[error("invalid client name {0:?}: it must be 1 to 200 characters without control characters")]
    InvalidName(String),
    /// The e-mail address, as given, is not a plausible address.
    #[error("invalid e-mail address {0:?}")]
    InvalidEmail(String),
    /// The code, as given, is not an uppercase ISO 3166-1 alpha-2 country code.
    #[error("invalid country {0:?}: expected an uppercase ISO 3166-1 alpha-2 code")]
    InvalidCountry(String),
    /// The deletion reason is empty after trimming or longer than 500 characters.
    #[error("reason must be 1 to 500 characters")]
    InvalidReason,
    /// An address was empty after trimming, longer than 500 characters, or held control
    /// characters other than line breaks.
    #[error(
        "address: must be 1 to 500 characters, without control characters other than line breaks"
    )]
    InvalidAddress,
    /// A client's own user asked to change the client's country, kind or VAT number, which
    /// decide its invoices' VAT: staff change them.
    #[error(
        "the country, kind and VAT number decide the client's taxes: ask the provider's staff to change them"
    )]
    TaxIdentityByStaffOnly,
}

impl ClientError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::AlreadyRegistered => "client_exists",
            ClientError::NotRegistered => "client_not_found",
            ClientError::Deleted => "client_deleted",
            ClientError::Merged => "client_merged",
            ClientError::MergedElsewhere => "client_merged",
            ClientError::Inactive => "client_inactive",
            ClientError::InvalidName(_) => "invalid_name",
            ClientError::InvalidEmail(_) => "invalid_email",
            ClientError::InvalidCountry(_) => "invalid_country",
            ClientError::InvalidReason => "invalid_reason",
            ClientError::InvalidAddress => "invalid_address",
            ClientError::TaxIdentityByStaffOnly => "tax_identity_by_staff_only",
        }
    }
}
