//! The item types on the staff panel (`/dashboard/item-types`): the directory with each type's
//! policy, and a form that creates a type or replaces its settings through the same code as
//! `PUT /v1/item-types/{code}` (`run_define_item_type`). A refusal is shown on the page with its
//! status and writes nothing.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::item_type::SuspensionRule;

use super::actions::{Fields, allowed, command, field};
use super::{Session, failed, may_open};
use crate::http::error::ApiError;
use crate::http::pages::forms::new_key;
use crate::http::pages::{Layout, render};
use crate::http::routes::item_types::{
    DefineItemTypeRequest, ItemTypeView, run_define_item_type, run_list_item_types,
};
use crate::http::state::AppState;

/// The API route the page is checked against.
const LIST_ROUTE: &str = "/v1/item-types";

/// The API route the form stands for.
const DEFINE_ROUTE: &str = "/v1/item-types/{code}";

/// The page.
#[derive(Template)]
#[template(path = "item_types.html")]
struct ItemTypesPage {
    layout: Layout,
    items: Vec<ItemTypeView>,
    /// Whether the staff member may save the form.
    may_edit: bool,
    csrf: String,
    key: String,
    saved: bool,
    error: Option<String>,
}

/// Whether the page follows a save (`?done=`), shared by the settings pages.
pub(super) use super::forms::Saved as Done;

/// The directory and the form.
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
    let list = match run_list_item_types(state, None).await {
        Ok(list) => list,
        Err(error) => return failed(error),
    };
    render(
        status,
        &ItemTypesPage {
            layout: session.layout(session.lang.t("item-types-title")),
            items: list.items,
            may_edit: session.may("PUT", DEFINE_ROUTE),
            csrf: session.csrf(),
            key: new_key(),
            saved,
            error,
        },
    )
}

/// Saves the form: `PUT /v1/item-types/{code}`.
pub(super) async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "PUT", DEFINE_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome: Result<(), ApiError> = async {
        let code = field(&fields, "code").trim().to_owned();
        let command = command(&session, &fields, format!("PUT /v1/item-types/{code}"))?;
        let days = |name: &str| {
            field(&fields, name).trim().parse::<u32>().map_err(|_| {
                ApiError::unprocessable(
                    "invalid_field",
                    format!(
                        "{name}: a whole number of days from 0, not {:?}",
                        field(&fields, name)
                    ),
                )
            })
        };
        let suspension: SuspensionRule = serde_json::from_value(serde_json::Value::String(
            field(&fields, "suspension").to_owned(),
        ))
        .map_err(|_| {
            ApiError::unprocessable("invalid_field", "suspension: suspend, delete or never")
        })?;
        let request = DefineItemTypeRequest {
            name: field(&fields, "name").to_owned(),
            deletion_delay_days: days("deletion_delay_days")?,
            suspension,
            grace_days: days("grace_days")?,
            auto_prolong: field(&fields, "auto_prolong") == "true",
        };
        run_define_item_type(&state, &command, &code, request).await?;
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => Redirect::to("/dashboard/item-types?done=saved").into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let status = error.status();
            let detail = error.detail().to_owned();
            show(&state, &session, false, Some(detail), status).await
        }
    }
}
