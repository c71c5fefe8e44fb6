//! The client groups' discounts on the staff panel (`/dashboard/client-groups`, issue 20.6):
//! each group with its percent per item type, and a form that sets or removes one through the
//! same code as `PUT /v1/client-groups/{id}/discounts` (`run_set_group_discount`). A refusal
//! is shown on the page with its status and writes nothing. (A client's personal discount has
//! its form on the client's page.)

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use uuid::Uuid;

use super::actions::{Fields, allowed, command, field, request};
use super::{Session, failed, may_open};
use crate::http::error::ApiError;
use crate::http::pages::forms::new_key;
use crate::http::pages::{Layout, render};
use crate::http::routes::discounts::{SetGroupDiscountRequest, run_set_group_discount};
use crate::http::routes::item_types::run_list_item_types;
use crate::http::state::AppState;

/// The API route the page is checked against.
const LIST_ROUTE: &str = "/v1/client-groups";

/// The API route the form stands for.
const SET_ROUTE: &str = "/v1/client-groups/{id}/discounts";

/// The most groups the page shows (the API pages beyond).
const GROUPS_SHOWN: i64 = 500;

/// One group as the page shows it.
struct GroupLine {
    group_id: Uuid,
    name: String,
    clients: i64,
    /// `(item type, percent)`, by item type.
    discounts: Vec<(String, String)>,
}

/// The page.
#[derive(Template)]
#[template(path = "group_discounts.html")]
struct GroupDiscountsPage {
    layout: Layout,
    groups: Vec<GroupLine>,
    /// The item types the form offers.
    item_types: Vec<String>,
    /// Whether the staff member may save the form.
    may_edit: bool,
    csrf: String,
    key: String,
    saved: bool,
    error: Option<String>,
}

/// Whether the page follows a save (`?done=`), shared by the settings pages.
pub(super) use super::forms::Saved as Done;

/// The groups and the form.
pub(super) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Response {
    let session = match may_open(&state, &headers, LIST_ROUTE).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    show(&state, &session, done.done.is_some(), None, StatusCode::OK).await
}

async fn show(
    state: &AppState,
    session: &Session,
    saved: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let rows = match projections::clients::groups(&state.pool, None, None, GROUPS_SHOWN).await {
        Ok(rows) => rows,
        Err(error) => return failed(error.into()),
    };
    let item_types = match run_list_item_types(state, None).await {
        Ok(list) => list.items.into_iter().map(|t| t.code).collect(),
        Err(error) => return failed(error),
    };
    let groups = rows
        .into_iter()
        .map(|row| {
            let mut discounts: Vec<(String, String)> = row
                .discounts
                .as_object()
                .map(|all| {
                    all.iter()
                        .map(|(item_type, percent)| {
                            let percent = percent
                                .as_str()
                                .map_or_else(|| percent.to_string(), str::to_owned);
                            (item_type.clone(), percent)
                        })
                        .collect()
                })
                .unwrap_or_default();
            discounts.sort();
            GroupLine {
                group_id: row.group_id,
                name: row.name,
                clients: row.clients,
                discounts,
            }
        })
        .collect();
    render(
        status,
        &GroupDiscountsPage {
            layout: session.layout(session.lang.t("group-discounts-title")),
            groups,
            item_types,
            may_edit: session.may("PUT", SET_ROUTE),
            csrf: session.csrf(),
            key: new_key(),
            saved,
            error,
        },
    )
}

/// Saves the form: `PUT /v1/client-groups/{id}/discounts`. An empty percent removes the
/// group's discount on the item type.
pub(super) async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "PUT", SET_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome: Result<(), ApiError> = async {
        let group = field(&fields, "group_id").trim();
        let group_id = Uuid::parse_str(group).map_err(|_| {
            ApiError::unprocessable("invalid_field", format!("group_id: not a group: {group:?}"))
        })?;
        let command = command(
            &session,
            &fields,
            format!("PUT /v1/client-groups/{group_id}/discounts"),
        )?;
        let percent = field(&fields, "percent").trim();
        let request: SetGroupDiscountRequest = request(json!({
            "item_type": field(&fields, "item_type").trim(),
            "percent": (!percent.is_empty()).then_some(percent),
        }))?;
        run_set_group_discount(&state, &command, group_id, request).await?;
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => Redirect::to("/dashboard/client-groups?done=saved").into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let status = error.status();
            let detail = error.detail().to_owned();
            show(&state, &session, false, Some(detail), status).await
        }
    }
}
