//! Reports as JSON or CSV: the `{"items": [...]}` document, or an RFC 4180 download (money as
//! decimal strings at the currency's scale), chosen by `?format=` or the `Accept` header. Used by
//! the reports and by the support response-times report.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;

/// A report: its rows, in a stable order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report<T> {
    /// The rows.
    pub items: Vec<T>,
}

/// A row that also has a CSV form: the same fields, in the same order, as text.
pub trait CsvRow {
    /// The header line's fields: the JSON field names.
    const HEADER: &'static [&'static str];
    /// The row's fields as text; an absent value is empty.
    fn cells(&self) -> Vec<String>;
}

/// One RFC 4180 field: quoted when it holds a comma, a quote or a line break, with quotes
/// doubled.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The CSV document of `rows`: a header line, then one line per row, each ended by CRLF.
pub fn to_csv<R: CsvRow>(rows: &[R]) -> String {
    let mut out = String::new();
    let line = |out: &mut String, cells: Vec<String>| {
        let fields: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    };
    line(
        &mut out,
        R::HEADER.iter().map(|h| (*h).to_owned()).collect(),
    );
    for row in rows {
        line(&mut out, row.cells());
    }
    out
}

/// Whether the caller asked for CSV: `format` wins over the `Accept` header.
pub fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::bad_request(
            "invalid_query",
            format!("format must be json or csv, not {other:?}"),
        )),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/csv"))
            })),
    }
}

/// The report as JSON, or as a CSV download named `name.csv`.
pub fn respond<R: CsvRow + Serialize>(csv: bool, name: &str, items: Vec<R>) -> Response {
    if !csv {
        return Json(Report { items }).into_response();
    }
    let mut response = (StatusCode::OK, to_csv(&items)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_with_a_comma_a_quote_or_a_line_break_is_quoted_with_quotes_doubled() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\r\nlines"), "\"two\r\nlines\"");
    }
}
