//! Errors as RFC 9457 `application/problem+json`, each with a stable machine `code`.
//!
//! Every failure leaving the HTTP layer is an [`ApiError`]. Domain rule violations map to 4xx with
//! the domain's own code; anything unexpected is a 500 with a generic body, its cause logged.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::access::AccessError;
use domain::account::AccountError;
use domain::client::ClientError;
use domain::company::CompanyError;
use domain::group::ClientGroupError;
use domain::invoice::{InvoiceBookError, InvoiceError};
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
use projections::process::settlement::SettleError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request, naming the field where there is one.
    pub detail: String,
    /// A stable machine-readable code, such as `too_precise` or `client_not_found`.
    pub code: String,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    retry_after_secs: Option<u32>,
}

impl ApiError {
    /// An error with the given status, code and detail.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            retry_after_secs: None,
        }
    }

    /// `400 Bad Request`.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// `401 Unauthorized`: no token or an unknown one.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// `403 Forbidden`: the token is known but may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// `404 Not Found`.
    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, detail)
    }

    /// `422 Unprocessable Content`: well-formed, but breaks a rule.
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// `503 Service Unavailable`, to be retried after `secs` seconds.
    pub fn unavailable(code: &'static str, detail: impl Into<String>, secs: u32) -> Self {
        Self {
            retry_after_secs: Some(secs),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
        }
    }

    /// `429 Too Many Requests`, to be retried after `secs` seconds.
    pub fn too_many_requests(code: &'static str, detail: impl Into<String>, secs: u32) -> Self {
        Self {
            retry_after_secs: Some(secs),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, code, detail)
        }
    }

    /// The same error, telling the caller to retry after `secs` seconds (`Retry-After`).
    pub fn retry_after(self, secs: u32) -> Self {
        Self {
            retry_after_secs: Some(secs),
            ..self
        }
    }

    /// `500 Internal Server Error`. The cause is logged, never shown.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the error is logged",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// What went wrong, in words.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    fn title(&self) -> String {
        self.status.canonical_reason().unwrap_or("Error").to_owned()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("/problems/{}", self.code),
            title: self.title(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
        };
        let mut response = (self.status, Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                Self::unprocessable("invalid_field", strip_prefix(&e.body_text()))
            }
            JsonRejection::JsonSyntaxError(e) => {
                Self::bad_request("malformed_json", strip_prefix(&e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ),
            other => Self::new(other.status(), "unreadable_body", other.body_text()),
        }
    }
}

/// axum prefixes serde's message with a sentence of its own; the field path and the reason are
/// what a caller needs.
fn strip_prefix(text: &str) -> String {
    text.split_once(": ")
        .map_or(text, |(_, rest)| rest)
        .to_owned()
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        // An id that does not parse cannot name anything that exists.
        Self::not_found("not_found", strip_prefix(&rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request("invalid_query", strip_prefix(&rejection.body_text()))
    }
}

impl From<MoneyError> for ApiError {
    fn from(error: MoneyError) -> Self {
        Self::unprocessable(error.code(), error.to_string())
    }
}

impl From<ProviderError> for ApiError {
    fn from(error: ProviderError) -> Self {
        let status = match error {
            ProviderError::AlreadyCreated => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<ClientError> for ApiError {
    fn from(error: ClientError) -> Self {
        let status = match error {
            ClientError::NotRegistered => StatusCode::NOT_FOUND,
            ClientError::AlreadyRegistered => StatusCode::CONFLICT,
            ClientError::TaxIdentityByStaffOnly => StatusCode::FORBIDDEN,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<PayerError> for ApiError {
    fn from(error: PayerError) -> Self {
        let status = match error {
            PayerError::NotFound => StatusCode::NOT_FOUND,
            PayerError::AlreadyCreated => StatusCode::CONFLICT,
            PayerError::VatNumberByStaffOnly => StatusCode::FORBIDDEN,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<ClientGroupError> for ApiError {
    fn from(error: ClientGroupError) -> Self {
        Self::new(StatusCode::CONFLICT, error.code(), error.to_string())
    }
}

impl From<MergeError> for ApiError {
    fn from(error: MergeError) -> Self {
        let status = match error {
            MergeError::NotStarted => StatusCode::NOT_FOUND,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        let status = match error {
            AccessError::DepartmentNotFound
            | AccessError::StaffNotFound
            | AccessError::UserNotFound
            | AccessError::TokenNotFound => StatusCode::NOT_FOUND,
            AccessError::AlreadyExists | AccessError::LoginTaken => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<domain::ticket::TicketError> for ApiError {
    fn from(error: domain::ticket::TicketError) -> Self {
        use domain::ticket::TicketError;
        let status = match error {
            TicketError::NotFound => StatusCode::NOT_FOUND,
            TicketError::AlreadyOpened => StatusCode::CONFLICT,
            TicketError::AttachmentTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            TicketError::ClientAttachmentQuota { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            TicketError::UnsupportedAttachment(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<domain::desk::DeskError> for ApiError {
    fn from(error: domain::desk::DeskError) -> Self {
        use domain::desk::DeskError;
        let status = match error {
            DeskError::NotFound => StatusCode::NOT_FOUND,
            DeskError::AlreadyExists => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<domain::notice::NoticeError> for ApiError {
    fn from(error: domain::notice::NoticeError) -> Self {
        use domain::notice::NoticeError;
        let status = match error {
            NoticeError::UnknownKind(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        Self::unprocessable(error.code(), error.to_string())
    }
}

impl From<CompanyError> for ApiError {
    fn from(error: CompanyError) -> Self {
        let status = match error {
            CompanyError::NotCreated => StatusCode::NOT_FOUND,
            CompanyError::AlreadyCreated => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<InvoiceError> for ApiError {
    fn from(error: InvoiceError) -> Self {
        let status = match error {
            InvoiceError::NotDrafted => StatusCode::NOT_FOUND,
            InvoiceError::AlreadyDrafted => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<InvoiceBookError> for ApiError {
    fn from(error: InvoiceBookError) -> Self {
        Self::unprocessable(error.code(), error.to_string())
    }
}

impl From<PaymentError> for ApiError {
    fn from(error: PaymentError) -> Self {
        let status = match error {
            PaymentError::NotFound => StatusCode::NOT_FOUND,
            PaymentError::AlreadyCreated => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<PromoError> for ApiError {
    fn from(error: PromoError) -> Self {
        let status = match error {
            PromoError::NotFound => StatusCode::NOT_FOUND,
            PromoError::AlreadyCreated => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<RatesError> for ApiError {
    fn from(error: RatesError) -> Self {
        Self::unprocessable(error.code(), error.to_string())
    }
}

impl From<projections::process::payments::PaymentStepError> for ApiError {
    fn from(error: projections::process::payments::PaymentStepError) -> Self {
        use projections::process::payments::PaymentStepError as E;
        match error {
            E::Store(e) => e.into(),
            E::Account(e) => e.into(),
            E::Payment(e) => e.into(),
            E::Refused(detail) => Self::unprocessable("step_refused", detail),
        }
    }
}

impl From<projections::process::invoicing::IssueError> for ApiError {
    fn from(error: projections::process::invoicing::IssueError) -> Self {
        use projections::process::invoicing::IssueError as E;
        match error {
            E::Store(e) => e.into(),
            E::Database(e) => e.into(),
            E::Invoice(e) => e.into(),
            E::Refused(detail) => Self::unprocessable("invoice_refused", detail),
        }
    }
}

impl From<TaxError> for ApiError {
    fn from(error: TaxError) -> Self {
        Self::unprocessable(error.code(), error.to_string())
    }
}

impl From<TariffError> for ApiError {
    fn from(error: TariffError) -> Self {
        let status = match error {
            TariffError::NotCreated => StatusCode::NOT_FOUND,
            TariffError::AlreadyCreated => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let status = match error {
            ServiceError::NotOrdered => StatusCode::NOT_FOUND,
            ServiceError::AlreadyOrdered => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<StoreError> for ApiError {
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

impl From<SettleError> for ApiError {
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

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error).into()
    }
}

impl From<ProjectionError> for ApiError {
    fn from(error: ProjectionError) -> Self {
        match error {
            ProjectionError::Database(e) => e.into(),
            other => Self::internal(&other),
        }
    }
}

impl<E: Into<ApiError>> From<CommandError<E>> for ApiError {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Rejected(e) => e.into(),
            CommandError::KeyReused { key } => Self::unprocessable(
                "idempotency_key_reused",
                format!("{key} was already used for a different request"),
            ),
            CommandError::Store(e) => e.into(),
        }
    }
}
