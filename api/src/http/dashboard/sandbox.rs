//! Sandbox providers in the staff panel (issue 19.3, ADR 20): a client of a sandbox provider is
//! marked with a "sandbox" badge, and its page shows the provider's clock with a form that moves
//! it through the API's own use case (`POST /v1/providers/{id}/clock`, the same permission;
//! the form's handler is `actions::move_clock`).

use uuid::Uuid;

use super::Session;
use crate::http::error::ApiError;
use crate::http::pages::forms::new_key;
use crate::http::state::AppState;

/// The path of the API route the clock form stands for, as in the rule table.
pub(super) const CLOCK_ROUTE: &str = "/v1/providers/{id}/clock";

/// A sandbox provider's clock on a client's page.
pub(super) struct SandboxClock {
    /// "Sandbox · clock at …", in the staff member's language and time zone.
    pub(super) clock: String,
    /// The form's idempotency key, for staff who may move the clock.
    pub(super) key: Option<String>,
    /// The day the form proposes: the clock's next day.
    pub(super) next_day: String,
}

/// The clock of `provider` when it is a sandbox, else `None`.
pub(super) async fn of_provider(
    state: &AppState,
    session: &Session,
    provider: Uuid,
) -> Result<Option<SandboxClock>, ApiError> {
    let Some(row) = projections::clients::provider(&state.pool, provider).await? else {
        return Ok(None);
    };
    let (true, Some(clock)) = (row.sandbox, row.clock) else {
        return Ok(None);
    };
    let next_day = clock
        .date_naive()
        .succ_opt()
        .unwrap_or(clock.date_naive())
        .to_string();
    Ok(Some(SandboxClock {
        clock: session
            .lang
            .t1("sandbox-clock", "when", &session.zone.time(clock)),
        key: session.may("POST", CLOCK_ROUTE).then(new_key),
        next_day,
    }))
}

/// Whether `provider` is a sandbox (for a badge beside its name).
pub(super) fn badge(session: &Session, sandbox: bool) -> String {
    if sandbox {
        format!(" · {}", session.lang.t("sandbox-badge"))
    } else {
        String::new()
    }
}
