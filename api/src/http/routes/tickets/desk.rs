//! The support desk's settings and report: departments' business hours, ticket categories,
//! answer templates and the response-time report.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::ticket::{BusinessHours, ClockTime, DayHours, TicketError, Weekday, Zone};
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, accepted_with, id_cursor, limit, page};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::support;

/// Read-your-writes and a page, for the desk's lists.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeskListParams {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait (bounded) until the read model has applied the event at this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// One weekday's hours in a request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayHoursRequest {
    /// `mon` to `sun`.
    #[schema(value_type = String, example = "mon")]
    pub day: Weekday,
    /// Opening time, `HH:MM`.
    #[schema(example = "09:00")]
    pub open: String,
    /// Closing time, `HH:MM` (`24:00` for midnight), after `open`.
    #[schema(example = "17:00")]
    pub close: String,
}

/// `PUT /v1/departments/{id}/business-hours`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursRequest {
    /// An IANA time zone, such as `Europe/Berlin`.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    /// The open days; a day not listed is closed. `[]` with `always: true` clears the hours.
    pub days: Vec<DayHoursRequest>,
    /// Every hour of every day (the default of a department without hours).
    #[serde(default)]
    pub always: bool,
}

/// Sets when a department answers tickets; response times count only these hours.
#[utoipa::path(put, path = "/v1/departments/{id}/business-hours", tag = "tickets",
    request_body = BusinessHoursRequest,
    params(("id" = Uuid, Path, description = "the department")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such department", body = Problem),
        (status = 422, description = "hours that do not make sense", body = Problem)))]
pub async fn set_business_hours(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<BusinessHoursRequest>,
) -> Result<Response, ApiError> {
    let hours = if request.always {
        None
    } else {
        let time_zone: Zone = request.time_zone.parse()?;
        let days = request
            .days
            .iter()
            .map(|d| {
                Ok(DayHours {
                    day: d.day,
                    open: d.open.parse::<ClockTime>()?,
                    close: d.close.parse::<ClockTime>()?,
                })
            })
            .collect::<Result<Vec<_>, TicketError>>()?;
        Some(BusinessHours { time_zone, days }.checked()?)
    };
    let committed = support::set_business_hours(&state, &command.context, id, hours).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `POST /v1/ticket-categories`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRequest {
    /// The caller's id for the category: sending it again creates nothing more.
    pub category_id: Uuid,
    /// Its name; 1 to 200 characters.
    #[schema(example = "Billing")]
    pub name: String,
    /// The department its tickets go to when the client names none.
    pub department_id: Option<Uuid>,
}

/// A ticket category.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryView {
    /// Its id.
    pub category_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its default department.
    pub department_id: Option<Uuid>,
    /// Whether it is archived (no new ticket may choose it).
    pub archived: bool,
}

/// Creates a ticket category.
#[utoipa::path(post, path = "/v1/ticket-categories", tag = "tickets",
    request_body = CategoryRequest,
    responses(
        (status = 201, description = "created (or already so)", body = Accepted),
        (status = 409, description = "another category under this id", body = Problem),
        (status = 422, description = "an invalid name or department", body = Problem)))]
pub async fn create_category(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CategoryRequest>,
) -> Result<Response, ApiError> {
    let committed = support::create_category(
        &state,
        &command.context,
        request.category_id,
        request.name,
        request.department_id,
    )
    .await?;
    Ok(accepted(request.category_id, &committed))
}

/// Archives a ticket category: no new ticket may choose it.
#[utoipa::path(post, path = "/v1/ticket-categories/{id}/archive", tag = "tickets",
    params(("id" = Uuid, Path, description = "the category")),
    responses(
        (status = 200, description = "archived (or already so)", body = Accepted),
        (status = 404, description = "no such category", body = Problem)))]
pub async fn archive_category(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let committed = support::archive_category(&state, &command.context, id).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// The ticket categories, by name; clients see them to choose one.
#[utoipa::path(get, path = "/v1/ticket-categories", tag = "tickets",
    params(DeskListParams),
    responses((status = 200, description = "the categories", body = Page<CategoryView>)))]
pub async fn list_categories(
    State(state): State<AppState>,
    Query(params): Query<DeskListParams>,
) -> Result<Json<Page<CategoryView>>, ApiError> {
    state
        .consistent(&[ReadModel::Support], params.min_position)
        .await?;
    let limit = limit(params.limit)?;
    let after = id_cursor(params.after.as_deref())?;
    let rows = projections::support::categories(&state.pool, after, limit + 1).await?;
    let items = rows
        .into_iter()
        .map(|row| CategoryView {
            category_id: row.category_id,
            name: row.name,
            department_id: row.department_id,
            archived: row.archived,
        })
        .collect();
    Ok(Json(page(items, limit, |c: &CategoryView| {
        c.category_id.to_string()
    })))
}

/// `POST /v1/answer-templates` and `PUT /v1/answer-templates/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerTemplateRequest {
    /// Its name, as staff pick it; 1 to 200 characters.
    #[schema(example = "Reboot instructions")]
    pub name: String,
    /// The text; 1 to 20,000 characters.
    pub body: String,
}

/// An answer template.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnswerTemplateView {
    /// Its id.
    pub template_id: Uuid,
    /// Its name.
    pub name: String,
    /// The text.
    pub body: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Creates an answer template.
#[utoipa::path(post, path = "/v1/answer-templates", tag = "tickets",
    request_body = AnswerTemplateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 422, description = "an invalid name or text", body = Problem)))]
pub async fn create_answer_template(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<AnswerTemplateRequest>,
) -> Result<Response, ApiError> {
    let id = Uuid::now_v7();
    let key = command.key(&request, id)?;
    let committed = support::set_answer_template(
        &state,
        &command.context,
        key,
        id,
        false,
        request.name,
        request.body,
    )
    .await?;
    Ok(accepted(id, &committed))
}

/// Replaces an answer template's name and text.
#[utoipa::path(put, path = "/v1/answer-templates/{id}", tag = "tickets",
    request_body = AnswerTemplateRequest,
    params(("id" = Uuid, Path, description = "the template")),
    responses(
        (status = 200, description = "changed (or already so)", body = Accepted),
        (status = 404, description = "no such template", body = Problem),
        (status = 422, description = "an invalid name or text", body = Problem)))]
pub async fn update_answer_template(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<AnswerTemplateRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, id)?;
    let committed = support::set_answer_template(
        &state,
        &command.context,
        key,
        id,
        true,
        request.name,
        request.body,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Deletes an answer template.
#[utoipa::path(delete, path = "/v1/answer-templates/{id}", tag = "tickets",
    params(("id" = Uuid, Path, description = "the template")),
    responses(
        (status = 200, description = "deleted", body = Accepted),
        (status = 404, description = "no such template", body = Problem)))]
pub async fn delete_answer_template(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let committed = support::delete_answer_template(&state, &command.context, id).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// The answer templates, by name.
#[utoipa::path(get, path = "/v1/answer-templates", tag = "tickets",
    params(DeskListParams),
    responses((status = 200, description = "the templates", body = Page<AnswerTemplateView>)))]
pub async fn list_answer_templates(
    State(state): State<AppState>,
    Query(params): Query<DeskListParams>,
) -> Result<Json<Page<AnswerTemplateView>>, ApiError> {
    state
        .consistent(&[ReadModel::Support], params.min_position)
        .await?;
    let limit = limit(params.limit)?;
    let after = id_cursor(params.after.as_deref())?;
    let rows = projections::support::answer_templates(&state.pool, after, limit + 1).await?;
    let items = rows
        .into_iter()
        .map(|row| AnswerTemplateView {
            template_id: row.template_id,
            name: row.name,
            body: row.body,
            updated_at: row.updated_at,
        })
        .collect();
    Ok(Json(page(items, limit, |t: &AnswerTemplateView| {
        t.template_id.to_string()
    })))
}

/// `GET /v1/reports/response-times` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResponseTimesParams {
    /// The first day counted, `YYYY-MM-DD` (UTC); by default 30 days before `to`.
    pub from: Option<chrono::NaiveDate>,
    /// The first day not counted (half-open); by default tomorrow.
    pub to: Option<chrono::NaiveDate>,
    /// `json` (the default) or `csv`; `Accept: text/csv` also asks for CSV.
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Response times of one department.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResponseTimesRow {
    /// The department.
    pub department_id: Uuid,
    /// Its name.
    pub department: String,
    /// How many first answers fell in the range.
    pub answers: i64,
    /// Their mean wait within business hours, in whole seconds (rounded half away from zero).
    pub average_seconds: i64,
    /// Their median wait (the lower middle for an even count).
    pub median_seconds: i64,
    /// The longest wait.
    pub max_seconds: i64,
    /// Tickets waiting for an answer now.
    pub waiting_now: i64,
}

impl crate::http::csv::CsvRow for ResponseTimesRow {
    const HEADER: &'static [&'static str] = &[
        "department_id",
        "department",
        "answers",
        "average_seconds",
        "median_seconds",
        "max_seconds",
        "waiting_now",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.department_id.to_string(),
            self.department.clone(),
            self.answers.to_string(),
            self.average_seconds.to_string(),
            self.median_seconds.to_string(),
            self.max_seconds.to_string(),
            self.waiting_now.to_string(),
        ]
    }
}

/// Response times per department: how long clients waited for a first answer, counted within
/// each department's business hours, for answers given in `[from, to)`; JSON or CSV.
#[utoipa::path(get, path = "/v1/reports/response-times", tag = "reports",
    params(ResponseTimesParams),
    responses(
        (status = 200, description = "one row per department, by name",
         content((crate::http::csv::Report<ResponseTimesRow> = "application/json"),
                 (String = "text/csv"))),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn response_times(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(params): Query<ResponseTimesParams>,
) -> Result<Response, ApiError> {
    let csv = crate::http::csv::wants_csv(params.format.as_deref(), &headers)?;
    let rows = run_response_times(&state, &params).await?;
    Ok(crate::http::csv::respond(csv, "response-times", rows))
}

/// What `GET /v1/reports/response-times` answers, its format aside: the staff panel's reports
/// page shows the same rows.
pub(crate) async fn run_response_times(
    state: &AppState,
    params: &ResponseTimesParams,
) -> Result<Vec<ResponseTimesRow>, ApiError> {
    state
        .consistent(
            &[ReadModel::Support, ReadModel::Access],
            params.min_position,
        )
        .await?;
    let today = state.today();
    let to = params.to.unwrap_or(today + chrono::Duration::days(1));
    let from = params.from.unwrap_or(to - chrono::Duration::days(30));
    if from >= to || (to - from).num_days() > 3660 {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("from ({from}) must be before to ({to}), at most ten years apart"),
        ));
    }
    let rows: Vec<ResponseTimesRow> = projections::support::response_times(&state.pool, from, to)
        .await?
        .into_iter()
        .map(|row| ResponseTimesRow {
            department_id: row.department_id,
            department: row.department,
            answers: row.answers,
            average_seconds: row.average_seconds,
            median_seconds: row.median_seconds,
            max_seconds: row.max_seconds,
            waiting_now: row.waiting_now,
        })
        .collect();
    Ok(rows)
}
