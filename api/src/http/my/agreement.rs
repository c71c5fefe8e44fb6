//! The agreement (offer) on the /my order form: the confirm page shows the text of the
//! agreement covering the tariff with a checkbox, and the order carries the version ticked.

use uuid::Uuid;

use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::routes::agreements::{AcceptedAgreement, of_tariff};
use crate::http::state::AppState;

/// The value of the form field `name`, empty when absent.
fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// The agreement an order must accept, in one language.
pub(super) struct QuotedAgreement {
    pub(super) id: Uuid,
    pub(super) version: u32,
    pub(super) title: String,
    pub(super) body: String,
}

/// The agreement covering orders of `tariff`, in `lang` (else English, else its first text).
pub(super) async fn quoted(
    state: &AppState,
    lang: Lang,
    tariff: Uuid,
) -> Result<Option<QuotedAgreement>, ApiError> {
    let Some(published) = of_tariff(state, tariff).await? else {
        return Ok(None);
    };
    let text = published
        .texts
        .iter()
        .find(|t| t.language.as_str() == lang.code())
        .or_else(|| published.texts.iter().find(|t| t.language.as_str() == "en"))
        .or_else(|| published.texts.first());
    Ok(text.map(|text| QuotedAgreement {
        id: published.agreement_id.as_uuid(),
        version: published.version,
        title: text.title.clone(),
        body: text.body.clone(),
    }))
}

/// The version the confirm form accepted: its agreement and version when the checkbox was
/// ticked, else none (the order is then refused if an agreement covers it).
pub(super) fn accepted_of(
    fields: &[(String, String)],
) -> Result<Option<domain::agreement::AgreementVersion>, ApiError> {
    if field(fields, "accept_agreement") != "yes" {
        return Ok(None);
    }
    let agreement_id = Uuid::parse_str(field(fields, "agreement_id")).map_err(|_| {
        ApiError::unprocessable("invalid_field", "agreement_id: not an agreement id")
    })?;
    let version = field(fields, "agreement_version")
        .parse::<u32>()
        .map_err(|_| {
            ApiError::unprocessable("invalid_field", "agreement_version: not a version")
        })?;
    Ok(Some(
        AcceptedAgreement {
            agreement_id,
            version,
        }
        .version(),
    ))
}
