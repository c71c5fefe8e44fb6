//! The action log, newest first: who did what, to which client and service (by name), with the
//! amount of an event that moves money; filtered by actor, client and event, paged by position.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::clients::query_value;
use super::{Layout, failed, may_open, render};
use crate::http::state::AppState;
// The API's own extractor: it refuses the NUL character (`%00`) with a 400 problem.
use crate::http::extract::Query;

/// Lines per page; an "Older" link pages on.
const PAGE: usize = 200;

#[derive(Deserialize)]
pub(super) struct ActionLogParams {
    actor: Option<String>,
    client: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// The global position the page ends before: the last line of the page before it.
    before: Option<i64>,
}

/// The action log page.
#[derive(Template)]
#[template(path = "action_log.html")]
struct ActionLogPage {
    layout: Layout,
    actor: String,
    client: String,
    event_type: String,
    error: Option<String>,
    rows: Vec<Line>,
    older: Option<String>,
}

struct Line {
    when: String,
    actor: String,
    on_behalf_of: String,
    event: String,
    client_id: String,
    client: String,
    service: String,
    amount: String,
}

pub(super) async fn action_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ActionLogParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/action-log").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let filled = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let actor = filled(&params.actor);
    let event_type = filled(&params.event_type);
    let client = filled(&params.client);
    // An actor is written `staff:admin`; a bare name means a member of staff.
    let actor_filter = actor.as_deref().map(|actor| {
        if actor.contains(':') {
            actor.to_owned()
        } else {
            format!("staff:{actor}")
        }
    });
    let mut page = ActionLogPage {
        layout: session.layout(session.lang.t("title-action-log")),
        actor: actor.clone().unwrap_or_default(),
        client: client.clone().unwrap_or_default(),
        event_type: event_type.clone().unwrap_or_default(),
        error: None,
        rows: Vec::new(),
        older: None,
    };
    let Ok(client_id) = client.as_deref().map(Uuid::parse_str).transpose() else {
        page.error = Some(session.lang.t("log-client-not-id"));
        return render(StatusCode::BAD_REQUEST, &page);
    };
    let filter = projections::action_log::Filter {
        client_id,
        actor: actor_filter.as_deref(),
        event_type: event_type.as_deref(),
    };
    let page_size = i64::try_from(PAGE).unwrap_or(i64::MAX);
    let found =
        projections::action_log::recent(&state.pool, filter, params.before, page_size + 1).await;
    let mut found = match found {
        Ok(found) => found,
        Err(error) => return failed(error.into()),
    };
    let older = if found.len() > PAGE {
        found.truncate(PAGE);
        found.last().map(|entry| entry.position)
    } else {
        None
    };
    page.older = older.map(|before| {
        let mut query = String::new();
        for (name, value) in [
            ("actor", &actor),
            ("client", &client),
            ("type", &event_type),
        ] {
            if let Some(value) = value {
                query.push_str(name);
                query.push('=');
                query.push_str(&query_value(value));
                query.push('&');
            }
        }
        format!("{query}before={before}")
    });
    let clients: Vec<Uuid> = found.iter().filter_map(|e| e.client_id).collect();
    let services: Vec<Uuid> = found.iter().filter_map(|e| e.service_id).collect();
    let names = async {
        let clients = projections::clients::names(&state.pool, &clients).await?;
        let services = projections::services::names(&state.pool, &services).await?;
        Ok::<_, projections::QueryError>((
            clients.into_iter().collect::<HashMap<_, _>>(),
            services.into_iter().collect::<HashMap<_, _>>(),
        ))
    }
    .await;
    let (client_names, service_names) = match names {
        Ok(names) => names,
        Err(error) => return failed(error.into()),
    };
    page.rows = found
        .into_iter()
        .map(|entry| Line {
            when: session.zone.time_exact(entry.occurred_at),
            actor: entry.actor,
            on_behalf_of: entry.on_behalf_of.unwrap_or_default(),
            event: entry.event_type,
            client_id: entry.client_id.map(|c| c.to_string()).unwrap_or_default(),
            client: entry
                .client_id
                .map(|c| {
                    client_names
                        .get(&c)
                        .cloned()
                        .unwrap_or_else(|| c.to_string())
                })
                .unwrap_or_default(),
            service: entry
                .service_id
                .and_then(|s| service_names.get(&s).cloned())
                .unwrap_or_else(|| {
                    session
                        .lang
                        .named_in("aggregate", &snake_case(&entry.aggregate_type))
                }),
            amount: entry
                .amount
                .map(|(amount, currency)| session.lang.money(amount, &currency))
                .unwrap_or_default(),
        })
        .collect();
    render(StatusCode::OK, &page)
}

/// An aggregate's type as a code: `ClientUser` is `client_user`, so that its word in the page's
/// language is the catalogue's `aggregate-client-user` (`Lang::named_in`).
fn snake_case(name: &str) -> String {
    let mut code = String::with_capacity(name.len() + 4);
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            code.push('_');
        }
        code.push(c.to_ascii_lowercase());
    }
    code
}
