/// Why a company command was refused, or why a company field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyError {
    /// The company has already been created.
    #[error("company already exists")]
    AlreadyCreated,
    /// The company has not been created.
    #[error("company not found")]
    NotCreated,
    /// The name is empty after trimming, longer than 200 characters or holds control characters.
    #[error("name: must be 1 to 200 characters without control characters")]
    InvalidName,
    /// The address is empty after trimming, longer than 500 characters or holds control
    /// characters other than newlines.
    #[error("address: must be 1 to 500 characters without control characters other than newlines")]
    InvalidAddress,
    /// The numbering prefix, as given, is longer than 16 characters or holds other characters
    /// than `A-Z`, `0-9`, `-` and `/`.
    #[error("numbering.prefix: {0:?} must be 0 to 16 characters of A-Z, 0-9, - and /")]
    InvalidNumberingPrefix(String),
    /// A payment method's display name is empty after trimming, longer than 100 characters or
    /// holds control characters.
    #[error("display_name: must be 1 to 100 characters without control characters")]
    InvalidDisplayName,
    /// The company already has 50 payment methods and another one was configured.
    #[error("method: a company has at most 50 payment methods")]
    TooManyPaymentMethods,
    /// A redirect address that is not an `http(s)://` address of at most 500 characters without
    /// spaces naming `{payment_id}`, or one on a method that is not a card gateway.
    #[error(
        "redirect_url: only a card gateway has one: an http(s):// address of at most 500 characters without spaces, containing {{payment_id}}"
    )]
    InvalidRedirectUrl,
    /// A field of a document template breaks its rule; the message names the field.
    #[error("{0}")]
    InvalidTemplate(String),
    /// The logo is larger than 256 KiB.
    #[error("logo: {size_bytes} bytes, at most {limit_bytes} allowed")]
    LogoTooLarge {
        /// Its size.
        size_bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },
}

impl CompanyError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            CompanyError::AlreadyCreated => "company_exists",
            CompanyError::NotCreated => "company_not_found",
            CompanyError::InvalidName => "invalid_name",
            CompanyError::InvalidAddress => "invalid_address",
            CompanyError::InvalidNumberingPrefix(_) => "invalid_numbering_prefix",
            CompanyError::InvalidDisplayName => "invalid_display_name",
            CompanyError::TooManyPaymentMethods => "too_many_payment_methods",
            CompanyError::InvalidRedirectUrl => "invalid_redirect_url",
            CompanyError::InvalidTemplate(_) => "invalid_document_template",
            CompanyError::LogoTooLarge { .. } => "logo_too_large",
        }
    }
}
