//! The API's problems in the page's language: one table from a problem's stable `code` to a
//! catalogue key (`api/locales/*/my.ftl`, `my-problem-…`), read by every form of the panel that
//! shows a refusal (top-up, order, tariff change, ticket, password). A code without a key shows
//! the problem's English detail, as the API answers it; a text may quote it (`{ $detail }`) where
//! it names what only the request knows (which file).

use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::pages::forms::FormError;

/// A problem's code and the catalogue key of what the panel says for it.
const PROBLEMS: &[(&str, &str)] = &[
    // Amounts and payments.
    ("amount_not_positive", "my-problem-amount-not-positive"),
    ("amount_out_of_range", "my-problem-amount-out-of-range"),
    ("client_inactive", "my-problem-client-inactive"),
    ("company_required", "my-problem-company-required"),
    (
        "gateway_not_configured",
        "my-problem-gateway-not-configured",
    ),
    ("insufficient_funds", "my-problem-insufficient-funds"),
    ("invalid_amount", "my-problem-invalid-amount"),
    ("invalid_day", "my-problem-invalid-day"),
    ("invalid_form", "my-problem-invalid-form"),
    ("invalid_method", "my-problem-payment-method-not-available"),
    ("not_positive", "my-problem-amount-not-positive"),
    (
        "payment_method_not_available",
        "my-problem-payment-method-not-available",
    ),
    ("too_precise", "my-problem-too-precise"),
    // Affiliate programs.
    (
        "payout_exceeds_accrued",
        "my-problem-payout-exceeds-accrued",
    ),
    (
        "affiliate_program_closed",
        "my-problem-affiliate-program-closed",
    ),
    ("unknown_currency", "my-problem-unknown-currency"),
    // Orders and tariff changes.
    ("addon_not_priced", "my-problem-addon"),
    ("addon_out_of_range", "my-problem-addon"),
    ("addon_value_mismatch", "my-problem-addon"),
    ("invalid_promo_code", "my-problem-promo-code-not-found"),
    ("operation_in_progress", "my-problem-operation-in-progress"),
    ("period_not_offered", "my-problem-period-not-offered"),
    ("promo_code_disabled", "my-problem-promo-code-unusable"),
    ("promo_code_exhausted", "my-problem-promo-code-unusable"),
    ("promo_code_expired", "my-problem-promo-code-unusable"),
    (
        "promo_code_not_applicable",
        "my-problem-promo-code-not-applicable",
    ),
    ("promo_code_not_found", "my-problem-promo-code-not-found"),
    ("promo_code_not_yet_valid", "my-problem-promo-code-unusable"),
    (
        "promo_currency_mismatch",
        "my-problem-promo-code-not-applicable",
    ),
    ("service_closed", "my-problem-service-closed"),
    ("service_not_active", "my-problem-service-not-active"),
    ("service_unpaid", "my-problem-service-unpaid"),
    ("tariff_archived", "my-problem-tariff-archived"),
    (
        "tariff_change_not_allowed",
        "my-problem-tariff-change-not-allowed",
    ),
    ("tariff_not_found", "my-problem-tariff-not-found"),
    ("unknown_addon", "my-problem-addon"),
    ("unknown_choice", "my-problem-addon"),
    // Tickets.
    ("attachment_quota_exceeded", "my-problem-attachment-quota"),
    ("attachment_too_large", "my-problem-attachment-too-large"),
    ("category_archived", "my-problem-category-archived"),
    ("invalid_body", "my-problem-invalid-body"),
    ("invalid_file_name", "my-problem-invalid-file-name"),
    ("invalid_subject", "my-problem-invalid-subject"),
    ("ticket_attachments_full", "my-problem-ticket-files-full"),
    ("ticket_closed", "my-problem-ticket-closed"),
    ("too_many_attachments", "my-problem-too-many-attachments"),
    (
        "unsupported_attachment",
        "my-problem-unsupported-attachment",
    ),
    // Passwords and sign-ins.
    ("invalid_password", "my-password-weak"),
    ("too_many_sign_ins", "my-too-many"),
    ("wrong_password", "my-problem-wrong-password"),
];

/// The catalogue key of the problem `code`, if the panel says it in its own words: the table's,
/// else `my-problem-<code>` when the catalogue has it (the account forms' problems are written
/// that way, one key a code).
fn key_of(code: &str) -> Option<String> {
    PROBLEMS
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, key)| (*key).to_owned())
        .or_else(|| {
            let key = format!("my-problem-{}", code.replace('_', "-"));
            Lang::En.has(&key).then_some(key)
        })
}

/// What the panel says for `error` in `lang`: its catalogue text (which may quote the API's
/// detail as `{ $detail }`), else the API's (English) detail.
pub(crate) fn text(lang: Lang, error: &ApiError) -> String {
    key_of(error.code()).map_or_else(
        || error.detail().to_owned(),
        |key| lang.t_with(&key, &[("detail", error.detail().into())]),
    )
}

/// The refusal of `form` for `error`, said in `lang`.
pub(super) fn form_error(lang: Lang, form: &'static str, error: &ApiError) -> FormError {
    let mut refused = FormError::of(form, error);
    refused.detail = text(lang, error);
    refused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_key_is_in_every_language_and_codes_are_listed_once() {
        for lang in Lang::ALL {
            for (code, key) in PROBLEMS {
                assert!(lang.has(key), "{} lacks {key} for {code}", lang.code());
            }
        }
        let mut codes: Vec<&str> = PROBLEMS.iter().map(|(code, _)| *code).collect();
        codes.sort_unstable();
        let listed = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), listed, "a code listed twice");
    }

    #[test]
    fn a_known_code_is_said_in_the_language_and_an_unknown_one_in_the_apis_words() {
        let closed =
            ApiError::unprocessable("ticket_closed", "the ticket is closed; reopen it first");
        assert_ne!(text(Lang::Ru, &closed), closed.detail());
        assert_ne!(text(Lang::Ru, &closed), text(Lang::En, &closed));
        let other = ApiError::unprocessable("something_new", "something new happened");
        assert_eq!(text(Lang::Ru, &other), "something new happened");
    }
}
