//! What handlers answer with: the acceptance of a command, JSON with the replay mark, pages of
//! lists with their cursors, and the parameters every query takes.

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use eventstore::Committed;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::error::ApiError;
use domain::money::{Currency, Money};
use rust_decimal::Decimal;

/// The answer to a command that created or changed something.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    /// The id of the thing created or changed.
    pub id: Uuid,
    /// The global position of the last event the command wrote; pass it as `min_position` to
    /// read your own write.
    pub position: i64,
}

/// The answer header that marks a repeated request answered from the first one.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// `201 Created` (or the first answer again for a repeated request, marked
/// `Idempotent-Replayed: true`).
pub fn accepted<A: cqrs_es::Aggregate>(id: Uuid, committed: &Committed<A>) -> Response {
    accepted_with(StatusCode::CREATED, id, committed)
}

/// The id a command answers: the first call's on a replay, else `id`.
pub fn accepted_id<A: cqrs_es::Aggregate>(id: Uuid, committed: &Committed<A>) -> Uuid {
    committed
        .answer
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or(id)
}

/// Like [`accepted`] with another success status.
pub fn accepted_with<A: cqrs_es::Aggregate>(
    status: StatusCode,
    id: Uuid,
    committed: &Committed<A>,
) -> Response {
    let id = committed
        .answer
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or(id);
    let mut response = (
        status,
        Json(Accepted {
            id,
            position: committed.position,
        }),
    )
        .into_response();
    if committed.replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// `status` with `body` as JSON, marked `Idempotent-Replayed: true` when `replayed`.
pub fn json_with<T: Serialize>(status: StatusCode, body: &T, replayed: bool) -> Response {
    let mut response = (status, Json(body)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// The cursor of a list ordered by (time, id): `{microseconds}_{id}`.
pub fn time_cursor_of(at: chrono::DateTime<chrono::Utc>, id: Uuid) -> String {
    format!("{}_{}", at.timestamp_micros(), id.simple())
}

/// Parses an `after` cursor made by [`time_cursor_of`]; empty is the first page.
pub fn time_cursor(
    after: Option<&str>,
) -> Result<Option<(chrono::DateTime<chrono::Utc>, Uuid)>, ApiError> {
    let Some(cursor) = after.filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let bad = || ApiError::bad_request("invalid_cursor", "after: not a cursor this API gave");
    let (micros, id) = cursor.split_once('_').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(chrono::DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok(Some((at, id)))
}

/// Read-your-writes: every query takes it.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Consistency {
    /// Wait (bounded) until the read model has applied the event at this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A page of a list, with the cursor of the next page (absent on the last page).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The default and largest page sizes.
pub const DEFAULT_LIMIT: i64 = 50;
/// The largest page size.
pub const MAX_LIMIT: i64 = 500;

/// Checks a `limit` parameter.
pub fn limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be between 1 and {MAX_LIMIT}, not {n}"),
        )),
    }
}

/// Parses an `after` cursor that is an id this API gave.
pub fn id_cursor(after: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    after
        .filter(|a| !a.is_empty())
        .map(|a| {
            Uuid::parse_str(a).map_err(|_| {
                ApiError::bad_request("invalid_cursor", "after: not a cursor this API gave")
            })
        })
        .transpose()
}

/// A page from up to `limit + 1` fetched rows: the extra row only tells that there is a next
/// page, whose cursor is `cursor` of the last item kept.
pub fn page<T>(mut items: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Parses an `as_of` parameter: an RFC 3339 time (`2027-01-01T09:00:00Z`); absent or empty is
/// now, the current read model.
pub fn as_of(text: Option<&str>) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|at| at.with_timezone(&chrono::Utc))
                .map_err(|e| {
                    ApiError::bad_request(
                        "invalid_query",
                        format!("as_of: not an RFC 3339 time such as 2027-01-01T09:00:00Z ({e})"),
                    )
                })
        })
        .transpose()
}

/// An amount from a read model, shown at its currency's scale.
pub fn format_amount(amount: Decimal, currency: &str) -> String {
    Currency::parse(currency)
        .ok()
        .and_then(|c| Money::from_decimal(amount, c).ok())
        .map_or_else(|| amount.to_string(), |m| m.amount().to_string())
}

/// An amount from a read model for people to read: at its currency's scale, as
/// [`format_amount`] gives it, with a comma between thousands (`-1,234,567.50`). The staff
/// panel shows every amount through it.
pub fn grouped_amount(amount: Decimal, currency: &str) -> String {
    let plain = format_amount(amount, currency);
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |rest| ("-", rest));
    let (whole, fraction) = digits
        .split_once('.')
        .map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::with_capacity(plain.len() + whole.len() / 3);
    grouped.push_str(sign);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

/// Reads a promo code as typed: lowercase letters are taken as uppercase, then the domain's
/// rules apply (`invalid_promo_code`).
pub fn promo_code(code: &str) -> Result<domain::promo::PromoCodeText, ApiError> {
    Ok(domain::promo::PromoCodeText::parse(
        &code.to_ascii_uppercase(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands_at_their_currencys_scale() {
        let amount = |text: &str| text.parse::<Decimal>().unwrap();
        assert_eq!(grouped_amount(amount("1234567.5"), "EUR"), "1,234,567.50");
        assert_eq!(grouped_amount(amount("-1000"), "EUR"), "-1,000.00");
        assert_eq!(grouped_amount(amount("999.99"), "EUR"), "999.99");
        assert_eq!(grouped_amount(amount("1500000"), "JPY"), "1,500,000");
        assert_eq!(grouped_amount(amount("0"), "USD"), "0.00");
    }
}
