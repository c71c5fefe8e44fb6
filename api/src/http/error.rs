//! Errors as RFC 9457 `application/problem+json`, each with a stable machine `code`.
//!
//! Every failure leaving the HTTP layer is an [`ApiError`]. Domain rule violations map to 4xx with
//! the domain's own code; anything unexpected is a 500 with a generic body, its cause logged.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::usecases;
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

impl From<usecases::Error> for ApiError {
    fn from(error: usecases::Error) -> Self {
        use usecases::error::Kind;
        let status = match error.kind {
            Kind::Invalid => StatusCode::BAD_REQUEST,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::Refused => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self {
            status,
            code: error.code,
            detail: error.detail,
            retry_after_secs: error.retry_after_secs,
        }
    }
}

/// Errors of the layers below reach HTTP through the use cases' mapping, made once there.
macro_rules! through_usecases {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for ApiError {
            fn from(error: $error) -> Self {
                usecases::Error::from(error).into()
            }
        })*
    };
}

through_usecases!(
    domain::money::MoneyError,
    domain::provider::ProviderError,
    domain::client::ClientError,
    domain::payer::PayerError,
    domain::contact::ContactError,
    domain::contract::ContractError,
    domain::group::ClientGroupError,
    domain::discount::DiscountError,
    domain::item_type::ItemTypeError,
    domain::merge::MergeError,
    domain::access::AccessError,
    domain::ticket::TicketError,
    domain::desk::DeskError,
    domain::notice::NoticeError,
    domain::account::AccountError,
    domain::company::CompanyError,
    domain::invoice::InvoiceError,
    domain::invoice::InvoiceBookError,
    domain::payment::PaymentError,
    domain::promo::PromoError,
    domain::affiliate::AffiliateError,
    domain::rates::RatesError,
    crate::usecases::process::payments::PaymentStepError,
    crate::usecases::process::invoicing::IssueError,
    crate::usecases::process::settlement::SettleError,
    domain::tax::TaxError,
    domain::tariff::TariffError,
    domain::service::ServiceError,
    eventstore::StoreError,
    projections::ProjectionError,
    projections::QueryError,
);

impl<E: Into<usecases::Error>> From<eventstore::CommandError<E>> for ApiError {
    fn from(error: eventstore::CommandError<E>) -> Self {
        usecases::Error::from(error).into()
    }
}
