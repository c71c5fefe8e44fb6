use crate::money::MoneyError;
use crate::promo::PromoError;

/// Why a service command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The service has already been ordered.
    #[error("service already exists")]
    AlreadyOrdered,
    /// The service has not been ordered.
    #[error("service not found")]
    NotOrdered,
    /// The service is closed or deleted.
    #[error("service is closed")]
    ServiceClosed,
    /// The command needs an active service.
    #[error("service is not active")]
    NotActive,
    /// The command needs a suspended service.
    #[error("service is not suspended")]
    NotSuspended,
    /// A service suspended for non-payment resumes only once it is paid.
    #[error("service is suspended for non-payment and not paid")]
    Unpaid,
    /// Another operation is pending or failed; it must complete (or be retried) first.
    #[error("another operation is in progress")]
    OperationInProgress,
    /// The operation id is not the service's current operation.
    #[error("unknown operation")]
    UnknownOperation,
    /// Only a pending operation can fail.
    #[error("operation is not pending")]
    OperationNotPending,
    /// Only a failed operation can be retried.
    #[error("operation has not failed")]
    OperationNotFailed,
    /// The charged period does not continue the paid time.
    #[error("the charged period does not continue the paid period")]
    PeriodOutOfOrder,
    /// An imported service's anchor day is not a day of a month.
    #[error("the anchor day {0} is not 1 to 31")]
    InvalidAnchorDay(u32),
    /// The charged period starts before the service was ordered.
    #[error("the charged period starts before the service was ordered")]
    PeriodBeforeOrder,
    /// The tariff cannot be changed; the text says why.
    #[error("tariff change not allowed: {0}")]
    TariffChangeNotAllowed(String),
    /// A service can only move to a client of its own provider.
    #[error("the service belongs to another provider than the client")]
    OtherProvider,
    /// A failure reason is empty after trimming or longer than 500 characters.
    #[error("reason must be 1 to 500 characters")]
    InvalidReason,
    /// Domain details (a domain name and contacts) given for a service that is not a domain.
    #[error("domain: only a service whose item type is domain takes a domain name and contacts")]
    NotADomainItem,
    /// Contacts set on a service that has no domain.
    #[error("the service has no domain to give contacts to")]
    NoDomain,
    /// An agreement covers the order and the order did not accept it.
    #[error("agreement: the order must accept the current agreement version {current}")]
    AgreementNotAccepted {
        /// The version to accept.
        current: u32,
    },
    /// The order accepted an older version of the agreement than the current one.
    #[error("agreement: version {accepted} was accepted, but the current version is {current}")]
    AgreementOutdated {
        /// The version the order accepted.
        accepted: u32,
        /// The version to accept.
        current: u32,
    },
    /// Money arithmetic failed, or an amount is in another currency than the service's terms.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// The promo code discount cannot be computed on the service's terms (a fixed amount in
    /// another currency).
    #[error(transparent)]
    Discount(#[from] PromoError),
}

impl ServiceError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::AlreadyOrdered => "service_exists",
            ServiceError::NotOrdered => "service_not_found",
            ServiceError::ServiceClosed => "service_closed",
            ServiceError::NotActive => "service_not_active",
            ServiceError::NotSuspended => "service_not_suspended",
            ServiceError::Unpaid => "service_unpaid",
            ServiceError::OperationInProgress => "operation_in_progress",
            ServiceError::UnknownOperation => "unknown_operation",
            ServiceError::OperationNotPending => "operation_not_pending",
            ServiceError::OperationNotFailed => "operation_not_failed",
            ServiceError::PeriodOutOfOrder => "period_out_of_order",
            ServiceError::PeriodBeforeOrder => "period_before_order",
            ServiceError::InvalidAnchorDay(_) => "invalid_anchor_day",
            ServiceError::TariffChangeNotAllowed(_) => "tariff_change_not_allowed",
            ServiceError::InvalidReason => "invalid_reason",
            ServiceError::OtherProvider => "service_of_another_provider",
            ServiceError::NotADomainItem => "not_a_domain_item",
            ServiceError::NoDomain => "service_without_domain",
            ServiceError::AgreementNotAccepted { .. } => "agreement_not_accepted",
            ServiceError::AgreementOutdated { .. } => "agreement_outdated",
            ServiceError::Money(error) => error.code(),
            ServiceError::Discount(error) => error.code(),
        }
    }
}
