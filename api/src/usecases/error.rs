//! The typed error of every use case: what kind of refusal it is, a stable machine code and a
//! detail in words. It knows nothing of HTTP; the HTTP layer maps each [`Kind`] to a status once
//! (`http::error`). Each domain error is mapped here, once, to its kind and code.

use domain::access::AccessError;
use domain::account::AccountError;
use domain::affiliate::AffiliateError;
use domain::agreement::AgreementError;
use domain::client::ClientError;
use domain::company::CompanyError;
use domain::contact::ContactError;
use domain::contract::ContractError;
use domain::group::ClientGroupError;
use domain::invoice::{InvoiceBookError, InvoiceError};
use domain::item_type::ItemTypeError;
use domain::merge::MergeError;
use domain::money::MoneyError;
use domain::payer::PayerError;
use domain::payment::PaymentError;
use domain::promo::PromoError;
use domain::provider::ProviderError;
use domain::rates::RatesError;
use domain::service::ServiceError;
use domain::tariff::TariffError;
use domain::tax::TaxError;
use eventstore::{CommandError, StoreError};
use projections::ProjectionError;

use crate::usecases::process::settlement::SettleError;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The input is malformed: a bad value, cursor or parameter.
    Invalid,
    /// The caller may not do this.
    Forbidden,
    /// The input names something that does not exist (or that the caller may not see).
    NotFound,
    /// The thing already exists, or another request holds it.
    Conflict,
    /// Too large.
    TooLarge,
    /// A kind of content that is not taken.
    Unsupported,
    /// Well-formed, but a business rule refuses it.
    Refused,
    /// Too many attempts; retry later.
    TooMany,
    /// Not now (the database, contention, a read model behind); retry.
    Unavailable,
    /// A failure of ours; the cause is logged, never shown.
    Internal,
}

/// A use case's failure: nothing was written.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct Error {
    /// What kind of failure.
    pub kind: Kind,
    /// A stable machine-readable code, such as `client_not_found`.
    pub code: &'static str,
    /// What went wrong, naming the field where there is one.
    pub detail: String,
    /// For [`Kind::Unavailable`] and [`Kind::TooMany`]: retry after this many seconds.
    pub retry_after_secs: Option<u32>,
}

impl Error {
    /// An error of `kind`.
    pub fn new(kind: Kind, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            detail: detail.into(),
            retry_after_secs: None,
        }
    }

    /// A malformed input.
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, code, detail)
    }

    /// Nothing by that name.
    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, code, detail)
    }

    /// A business rule refuses it.
    pub fn refused(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Kind::Refused, code, detail)
    }

    /// The caller may not do this.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, code, detail)
    }

    /// Already exists, or held by another request.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, code, detail)
    }

    /// Not now: retry after `secs` seconds.
    pub fn unavailable(code: &'static str, detail: impl Into<String>, secs: u32) -> Self {
        Self {
            retry_after_secs: Some(secs),
            ..Self::new(Kind::Unavailable, code, detail)
        }
    }

    /// Too many attempts: retry after `secs` seconds.
    pub fn too_many(code: &'static str, detail: impl Into<String>, secs: u32) -> Self {
        Self {
            retry_after_secs: Some(secs),
            ..Self::new(Kind::TooMany, code, detail)
        }
    }

    /// A failure of ours. The cause is logged, never shown.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            Kind::Internal,
            "internal",
            "the server failed; the error is logged",
        )
    }
}

impl From<MoneyError> for Error {
    fn from(error: MoneyError) -> Self {
        Self::refused(error.code(), error.to_string())
    }
}

impl From<ProviderError> for Error {
    fn from(error: ProviderError) -> Self {
        let kind = match error {
            ProviderError::AlreadyCreated => Kind::Conflict,
            ProviderError::NotFound => Kind::NotFound,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<ClientError> for Error {
    fn from(error: ClientError) -> Self {
        let kind = match error {
            ClientError::NotRegistered | ClientError::NotFound { .. } => Kind::NotFound,
            ClientError::AlreadyRegistered => Kind::Conflict,
            ClientError::TaxIdentityByStaffOnly => Kind::Forbidden,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<PayerError> for Error {
    fn from(error: PayerError) -> Self {
        let kind = match error {
            PayerError::NotFound => Kind::NotFound,
            PayerError::AlreadyCreated => Kind::Conflict,
            PayerError::VatNumberByStaffOnly | PayerError::TaxIdentityByStaffOnly => {
                Kind::Forbidden
            }
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<ContactError> for Error {
    fn from(error: ContactError) -> Self {
        let kind = match error {
            ContactError::NotFound => Kind::NotFound,
            ContactError::AlreadyCreated | ContactError::InUse { .. } => Kind::Conflict,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<ClientGroupError> for Error {
    fn from(error: ClientGroupError) -> Self {
        let kind = match error {
            ClientGroupError::AlreadyCreated => Kind::Conflict,
            ClientGroupError::NotFound => Kind::NotFound,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<domain::discount::DiscountError> for Error {
    fn from(error: domain::discount::DiscountError) -> Self {
        Self::new(Kind::Refused, error.code(), error.to_string())
    }
}

impl From<ItemTypeError> for Error {
    fn from(error: ItemTypeError) -> Self {
        Self::new(Kind::Refused, error.code(), error.to_string())
    }
}

impl From<MergeError> for Error {
    fn from(error: MergeError) -> Self {
        let kind = match error {
            // The target refused as a client refuses: unknown (404), merged or deleted (422).
            MergeError::Target(client) => return client.into(),
            MergeError::NotStarted => Kind::NotFound,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<AccessError> for Error {
    fn from(error: AccessError) -> Self {
        let kind = match error {
            AccessError::DepartmentNotFound
            | AccessError::StaffNotFound
            | AccessError::UserNotFound
            | AccessError::TokenNotFound => Kind::NotFound,
            AccessError::AlreadyExists | AccessError::LoginTaken => Kind::Conflict,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<domain::ticket::TicketError> for Error {
    fn from(error: domain::ticket::TicketError) -> Self {
        use domain::ticket::TicketError;
        let kind = match error {
            TicketError::NotFound => Kind::NotFound,
            TicketError::AlreadyOpened => Kind::Conflict,
            TicketError::AttachmentTooLarge { .. } => Kind::TooLarge,
            TicketError::ClientAttachmentQuota { .. } => Kind::TooLarge,
            TicketError::UnsupportedAttachment(_) => Kind::Unsupported,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<domain::desk::DeskError> for Error {
    fn from(error: domain::desk::DeskError) -> Self {
        use domain::desk::DeskError;
        let kind = match error {
            DeskError::NotFound => Kind::NotFound,
            DeskError::AlreadyExists => Kind::Conflict,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<domain::notice::NoticeError> for Error {
    fn from(error: domain::notice::NoticeError) -> Self {
        use domain::notice::NoticeError;
        let kind = match error {
            NoticeError::UnknownKind(_) => Kind::NotFound,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<AccountError> for Error {
    fn from(error: AccountError) -> Self {
        Self::refused(error.code(), error.to_string())
    }
}

impl From<CompanyError> for Error {
    fn from(error: CompanyError) -> Self {
        let kind = match error {
            CompanyError::NotCreated => Kind::NotFound,
            CompanyError::AlreadyCreated => Kind::Conflict,
            CompanyError::LogoTooLarge { .. } => Kind::TooLarge,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<InvoiceError> for Error {
    fn from(error: InvoiceError) -> Self {
        let kind = match error {
            InvoiceError::NotDrafted => Kind::NotFound,
            InvoiceError::AlreadyDrafted => Kind::Conflict,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<InvoiceBookError> for Error {
    fn from(error: InvoiceBookError) -> Self {
        Self::refused(error.code(), error.to_string())
    }
}

impl From<PaymentError> for Error {
    fn from(error: PaymentError) -> Self {
        let kind = match error {
            PaymentError::NotFound => Kind::NotFound,
            PaymentError::AlreadyCreated => Kind::Conflict,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<AffiliateError> for Error {
    fn from(error: AffiliateError) -> Self {
        let kind = match error {
            AffiliateError::ProgramNotFound | AffiliateError::NotAnAffiliate => Kind::NotFound,
            AffiliateError::ProgramExists => Kind::Conflict,
            AffiliateError::InvalidCode(_) => Kind::Invalid,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<ContractError> for Error {
    fn from(error: ContractError) -> Self {
        let kind = match error {
            ContractError::NotFound => Kind::NotFound,
            ContractError::AlreadyExists | ContractError::OtherCompany => Kind::Conflict,
            ContractError::AlreadySigned
            | ContractError::NotSigned
            | ContractError::Terminated
            | ContractError::BeforeContractDate(_)
            | ContractError::InvalidSignature
            | ContractError::SequenceExhausted => Kind::Refused,
            _ => Kind::Invalid,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<AgreementError> for Error {
    fn from(error: AgreementError) -> Self {
        let kind = match error {
            AgreementError::OtherAgreement => Kind::Conflict,
            _ => Kind::Invalid,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<PromoError> for Error {
    fn from(error: PromoError) -> Self {
        let kind = match error {
            PromoError::NotFound => Kind::NotFound,
            PromoError::AlreadyCreated => Kind::Conflict,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<RatesError> for Error {
    fn from(error: RatesError) -> Self {
        Self::refused(error.code(), error.to_string())
    }
}

impl From<crate::usecases::process::payments::PaymentStepError> for Error {
    fn from(error: crate::usecases::process::payments::PaymentStepError) -> Self {
        use crate::usecases::process::payments::PaymentStepError as E;
        match error {
            E::Store(e) => e.into(),
            E::Account(e) => e.into(),
            E::Payment(e) => e.into(),
            E::Refused(detail) => Self::refused("step_refused", detail),
        }
    }
}

impl From<crate::usecases::process::invoicing::IssueError> for Error {
    fn from(error: crate::usecases::process::invoicing::IssueError) -> Self {
        use crate::usecases::process::invoicing::IssueError as E;
        match error {
            E::Store(e) => e.into(),
            E::Database(e) => e.into(),
            E::Invoice(e) => e.into(),
            E::Refused(detail) => Self::refused("invoice_refused", detail),
        }
    }
}

impl From<TaxError> for Error {
    fn from(error: TaxError) -> Self {
        Self::refused(error.code(), error.to_string())
    }
}

impl From<TariffError> for Error {
    fn from(error: TariffError) -> Self {
        let kind = match error {
            TariffError::NotCreated => Kind::NotFound,
            TariffError::AlreadyCreated => Kind::Conflict,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<ServiceError> for Error {
    fn from(error: ServiceError) -> Self {
        let kind = match error {
            ServiceError::NotOrdered => Kind::NotFound,
            ServiceError::AlreadyOrdered => Kind::Conflict,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        if error.is_unavailable() {
            tracing::warn!(%error, "database unavailable");
            return Self::unavailable("unavailable", "the database is unavailable; retry", 1);
        }
        // A query that lost a deadlock or a serialization conflict (a read model's rebuild
        // empties its tables under an exclusive lock while a reader holds another) did nothing:
        // the same request succeeds when retried.
        if let StoreError::Database(database) = &error
            && database
                .as_database_error()
                .and_then(|e| e.code())
                .is_some_and(|code| code == "40P01" || code == "40001")
        {
            tracing::warn!(%error, "a query lost a lock conflict; the caller retries");
            return Self::unavailable(
                "contention",
                "the data is being rebuilt or changed at this moment; retry",
                1,
            );
        }
        match error {
            StoreError::Contention { .. } => Self::unavailable(
                "contention",
                "the record is being changed by many requests at once; retry",
                1,
            ),
            other => Self::internal(&other),
        }
    }
}

impl From<SettleError> for Error {
    fn from(error: SettleError) -> Self {
        match error {
            SettleError::Store(e) => e.into(),
            SettleError::Database(e) => e.into(),
            SettleError::Behind => Self::unavailable(
                "projection_behind",
                "the services read model is behind the log; retry",
                1,
            ),
            other => Self::internal(&other),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error).into()
    }
}

impl From<ProjectionError> for Error {
    fn from(error: ProjectionError) -> Self {
        match error {
            ProjectionError::Database(e) => e.into(),
            other => Self::internal(&other),
        }
    }
}

impl<E: Into<Error>> From<CommandError<E>> for Error {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Rejected(e) => e.into(),
            CommandError::KeyReused { key } => Self::refused(
                "idempotency_key_reused",
                format!("{key} was already used for a different request"),
            ),
            CommandError::Store(e) => e.into(),
        }
    }
}

impl From<domain::module::ModuleError> for Error {
    fn from(error: domain::module::ModuleError) -> Self {
        let kind = match error {
            domain::module::ModuleError::AlreadyRegistered => Kind::Conflict,
            _ => Kind::Invalid,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}
