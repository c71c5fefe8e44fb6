//! What the staff panel (`dashboard`, under `/dashboard`) and the customer panel (`my`, under
//! `/my`) share: the layout every page of both is rendered in (`base.html`), the page that only
//! says something, rendering, reading a cookie, and how amounts and times are shown (`format`).

pub mod format;
pub mod forms;

use askama::Template;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::http::error::ApiError;
use crate::http::i18n::Lang;

/// What `base.html` shows around every page.
pub struct Layout {
    /// The page's title.
    pub title: String,
    /// The navigation the signed-in person may follow.
    pub nav: Vec<NavLink>,
    /// The signed-in person; no navigation without one (a sign-in page).
    pub who: Option<String>,
    /// The session's CSRF token, for the layout's own forms (sign-out, time zone).
    pub csrf: String,
    /// The time zone times are shown in.
    pub zone: String,
    /// The panel's root path, `/dashboard` or `/my`, which the layout's forms post under.
    pub root: &'static str,
    /// The language of the page: its texts (`{{ layout.t("key") }}` in a template) and the
    /// language form's choice.
    pub lang: Lang,
}

impl Layout {
    /// The layout of a page nobody is signed in to, in the panel under `root`.
    pub fn anonymous(title: impl Into<String>, root: &'static str) -> Layout {
        Layout {
            title: title.into(),
            nav: Vec::new(),
            who: None,
            csrf: String::new(),
            zone: String::new(),
            root,
            lang: Lang::En,
        }
    }

    /// The same layout in `lang`.
    pub fn in_lang(self, lang: Lang) -> Layout {
        Layout { lang, ..self }
    }

    /// The text of catalogue key `key` in the page's language (see `http::i18n`).
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The text of `key` with one value named `name`: `{{ layout.t1("k", "count", x) }}`.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t1(key, name, &value.to_string())
    }

    /// A status or kind code in the page's language: `{{ layout.named(service.status) }}` (see
    /// `Lang::named`).
    pub fn named(&self, code: &str) -> String {
        self.lang.named(code)
    }

    /// A code of a `family` in the page's language (see `Lang::named_in`).
    pub fn named_in(&self, family: &str, code: &str) -> String {
        self.lang.named_in(family, code)
    }

    /// The languages the layout's language form offers: (code, name, chosen).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        Lang::ALL
            .into_iter()
            .map(|lang| (lang.code(), lang.name(), lang == self.lang))
            .collect()
    }
}

/// A link of the navigation.
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// What it says: a catalogue key (`nav-clients`), shown in the page's language; a label
    /// that is no key shows as it is.
    pub label: &'static str,
}

/// A page that only says something: not allowed, not found, failed.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// The layout.
    pub layout: Layout,
    /// What it says.
    pub message: String,
}

/// The value of the request's cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_string())
}

/// `page` rendered with `status`; a template that fails to render is a 500 problem.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => ApiError::internal(&error).into_response(),
    }
}

/// What a panel's sign-in form answers when the sign-in is refused: the form again (`form`, given
/// the status and the catalogue key of what went wrong) for a wrong login (401) and for the
/// sign-in limits (their 429 or 503, with the API's `Retry-After`); any other problem is given
/// back for the caller's error page.
pub fn refused_sign_in(
    error: ApiError,
    form: impl Fn(StatusCode, &str) -> Response,
) -> Result<Response, ApiError> {
    if error.status() == StatusCode::UNAUTHORIZED {
        return Ok(form(StatusCode::UNAUTHORIZED, "login-wrong"));
    }
    if error.status() != StatusCode::TOO_MANY_REQUESTS && error.code() != "sign_in_busy" {
        return Err(error);
    }
    let status = error.status();
    let retry_after = error
        .into_response()
        .headers()
        .get(header::RETRY_AFTER)
        .cloned();
    let mut response = form(status, "login-too-many");
    if let Some(retry_after) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    Ok(response)
}
