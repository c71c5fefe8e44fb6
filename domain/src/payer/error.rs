/// Why a payer command was refused, or a payer field rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayerError {
    /// A payer with this id exists.
    #[error("payer already exists")]
    AlreadyCreated,
    /// No payer with this id.
    #[error("payer not found")]
    NotFound,
    /// The registration number is empty after trimming, longer than 64 characters or holds
    /// control characters.
    #[error("registration_number: must be 1 to 64 characters without control characters")]
    InvalidRegistrationNumber,
    /// The address is empty after trimming, longer than 500 characters or holds control
    /// characters other than line breaks.
    #[error(
        "address: must be 1 to 500 characters, without control characters other than line breaks"
    )]
    InvalidAddress,
    /// A client's own user asked for a payer with a VAT number, which decides the payer's
    /// taxes (reverse charge): staff add it.
    #[error(
        "vat_number: a VAT number decides the payer's taxes; create the payer without it and ask the provider's staff to add it"
    )]
    VatNumberByStaffOnly,
    /// A client's own user asked to change the country or the kind of a payer with a VAT
    /// number, which together decide its taxes: staff change them.
    #[error(
        "country, kind: with a VAT number they decide the payer's taxes; ask the provider's staff to change them"
    )]
    TaxIdentityByStaffOnly,
}

impl PayerError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            PayerError::AlreadyCreated => "payer_exists",
            PayerError::NotFound => "payer_not_found",
            PayerError::InvalidRegistrationNumber => "invalid_registration_number",
            PayerError::InvalidAddress => "invalid_address",
            PayerError::VatNumberByStaffOnly => "vat_number_by_staff_only",
            PayerError::TaxIdentityByStaffOnly => "tax_identity_by_staff_only",
        }
    }
}
