/// Why a domain contact command was refused, or a contact field rejected. A field's error names
/// the field first, so that a caller can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// A contact with this id exists.
    #[error("domain contact already exists")]
    AlreadyCreated,
    /// No contact with this id of this client: unknown, deleted or another client's, which
    /// read the same so that a client learns nothing of other clients' contacts.
    #[error("no such domain contact")]
    NotFound,
    /// A transfer to a client of another provider.
    #[error("the domain contact belongs to another provider than the client it would move to")]
    OtherProvider,
    /// The contact serves a domain service that is not closed.
    #[error(
        "the domain contact serves {services} domain service(s) that are not closed; give them other contacts or close them first"
    )]
    InUse {
        /// How many services it serves.
        services: usize,
    },
    /// The kind is neither `person` nor `organisation`.
    #[error("kind: must be person or organisation")]
    InvalidKind,
    /// The name is empty, too long or holds control characters.
    #[error("name: must be 1 to 200 characters without control characters")]
    InvalidName,
    /// The organisation's name is too long or holds control characters.
    #[error("organisation: must be 1 to 200 characters without control characters")]
    InvalidOrganisation,
    /// An organisation without its name.
    #[error("organisation: an organisation contact needs the organisation's name")]
    OrganisationRequired,
    /// A person with an organisation's name.
    #[error("organisation: a person contact has no organisation; make it an organisation contact")]
    OrganisationOfPerson,
    /// The e-mail address is not one.
    #[error("email: not an e-mail address")]
    InvalidEmail,
    /// The phone number is not in E.164 form.
    #[error(
        "phone: must be in E.164 form: +, the country code and the number, 8 to 15 digits, such as +4312345678"
    )]
    InvalidPhone,
    /// The street is empty, too long or holds control characters.
    #[error("address.street: must be 1 to 200 characters without control characters")]
    InvalidStreet,
    /// The city is empty, too long or holds control characters.
    #[error("address.city: must be 1 to 100 characters without control characters")]
    InvalidCity,
    /// The region is too long or holds control characters.
    #[error("address.region: must be 1 to 100 characters without control characters")]
    InvalidRegion,
    /// The postal code is empty, too long or holds other than letters, digits, spaces and
    /// dashes.
    #[error("address.postal_code: must be 1 to 16 letters, digits, spaces or dashes")]
    InvalidPostalCode,
    /// The country is not an ISO 3166-1 alpha-2 code.
    #[error("address.country: expected an uppercase ISO 3166-1 alpha-2 code, such as DE")]
    InvalidCountry,
    /// The birth date is not a date, not in the past, or before 1900.
    #[error("birth_date: must be a past date (YYYY-MM-DD) after 1900")]
    InvalidBirthDate,
    /// An organisation with a birth date or a passport.
    #[error("birth_date: an organisation contact has no birth date or passport")]
    PersonalDataOfOrganisation,
    /// A passport without the birth date it is checked against.
    #[error("birth_date: a passport is given with its holder's birth date")]
    PassportWithoutBirthDate,
    /// The passport number is empty or too long.
    #[error("passport.number: must be 1 to 64 characters without control characters")]
    InvalidPassportNumber,
    /// The passport's issuer is empty or too long.
    #[error("passport.issued_by: must be 1 to 200 characters without control characters")]
    InvalidPassportIssuer,
    /// The passport's day of issue is not a date, not after the birth, or in the future.
    #[error(
        "passport.issued_on: must be a date (YYYY-MM-DD) after the birth date and not in the future"
    )]
    InvalidPassportDate,
    /// The domain name is not one.
    #[error("domain.domain_name: not a domain name such as example.com")]
    InvalidDomainName,
}

impl ContactError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ContactError::AlreadyCreated => "domain_contact_exists",
            ContactError::NotFound => "domain_contact_not_found",
            ContactError::OtherProvider => "domain_contact_of_another_provider",
            ContactError::InUse { .. } => "domain_contact_in_use",
            ContactError::InvalidKind => "invalid_kind",
            ContactError::InvalidName => "invalid_name",
            ContactError::InvalidOrganisation => "invalid_organisation",
            ContactError::OrganisationRequired => "organisation_required",
            ContactError::OrganisationOfPerson => "organisation_of_person",
            ContactError::InvalidEmail => "invalid_email",
            ContactError::InvalidPhone => "invalid_phone",
            ContactError::InvalidStreet => "invalid_street",
            ContactError::InvalidCity => "invalid_city",
            ContactError::InvalidRegion => "invalid_region",
            ContactError::InvalidPostalCode => "invalid_postal_code",
            ContactError::InvalidCountry => "invalid_country",
            ContactError::InvalidBirthDate => "invalid_birth_date",
            ContactError::PersonalDataOfOrganisation => "personal_data_of_organisation",
            ContactError::PassportWithoutBirthDate => "passport_without_birth_date",
            ContactError::InvalidPassportNumber => "invalid_passport_number",
            ContactError::InvalidPassportIssuer => "invalid_passport_issuer",
            ContactError::InvalidPassportDate => "invalid_passport_date",
            ContactError::InvalidDomainName => "invalid_domain_name",
        }
    }
}
