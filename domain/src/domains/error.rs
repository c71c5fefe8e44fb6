/// Why a domain command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A domain with this id exists.
    #[error("domain already ordered")]
    AlreadyOrdered,
    /// No such domain.
    #[error("no such domain")]
    NotFound,
    /// The name is not one label under the TLD ordered.
    #[error("name: must be one label under .{tld}, such as example.{tld}")]
    NameNotUnderTld {
        /// The TLD.
        tld: String,
    },
    /// Years outside 1 to ten.
    #[error("years: {years} is not between 1 and 10")]
    YearsOutOfRange {
        /// The years asked.
        years: u32,
    },
    /// A negative price.
    #[error("the price of a domain operation may not be negative")]
    NegativePrice,
    /// A contact of another client (read as not found by callers).
    #[error("contacts.{role}: no such domain contact")]
    ContactOfAnotherClient {
        /// The role.
        role: &'static str,
    },
    /// An order that is a renewal.
    #[error("operation: a domain is ordered by register or transfer")]
    RenewalOfUnregistered,
    /// A renewal command with another operation.
    #[error("operation: a renewal renews")]
    NotARenewal,
    /// The domain is not active.
    #[error("the domain is {status}; only an active domain is renewed")]
    NotActive {
        /// Its status.
        status: &'static str,
    },
    /// An operation waits for the registrar.
    #[error("an operation on the domain waits for the registrar's answer")]
    OperationPending,
    /// The renewal would reach more than ten years ahead.
    #[error("years: the domain may not be registered more than 10 years ahead")]
    TooFarAhead,
    /// The operation answered is not the domain's pending one.
    #[error("operation_id: not an operation of this domain waiting for an answer")]
    UnknownOperation,
    /// The operation was answered otherwise before.
    #[error("operation_id: the operation was answered otherwise before")]
    AlreadyAnswered,
    /// A transfer to a client of another provider.
    #[error("the domain belongs to another provider than the client it would move to")]
    OtherProvider,
    /// A failure without a reason, or with one too long.
    #[error("reason: must be 1 to 500 characters")]
    InvalidReason,
}

impl DomainError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyOrdered => "domain_exists",
            Self::NotFound => "domain_not_found",
            Self::NameNotUnderTld { .. } => "name_not_under_tld",
            Self::YearsOutOfRange { .. } => "years_out_of_range",
            Self::NegativePrice => "negative_price",
            Self::ContactOfAnotherClient { .. } => "domain_contact_not_found",
            Self::RenewalOfUnregistered | Self::NotARenewal => "invalid_operation",
            Self::NotActive { .. } => "domain_not_active",
            Self::OperationPending => "domain_operation_pending",
            Self::TooFarAhead => "too_far_ahead",
            Self::UnknownOperation => "operation_not_found",
            Self::AlreadyAnswered => "operation_answered",
            Self::InvalidReason => "invalid_reason",
            Self::OtherProvider => "domain_of_another_provider",
        }
    }
}
