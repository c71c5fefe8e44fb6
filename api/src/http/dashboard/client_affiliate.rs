//! The client page's affiliate block (issue 20.1): the client's programs, links with clicks and
//! sign-ups, accrued, paid and available per currency, the latest accruals and payouts, and
//! whether the staff member gets the payout form (`affiliates::pay_out`). Apart from the
//! actions so that the client page, which shows it, does not import them.

use uuid::Uuid;

use super::Session;
use crate::http::error::ApiError;
use crate::http::pages::forms::new_key;
use crate::http::routes::affiliates::{SeenBy, affiliate_view};
use crate::http::state::AppState;

/// The API route of the block.
const CLIENT_ROUTE: &str = "/v1/clients/{id}/affiliate";
/// The API route of the block's payout form.
pub(super) const PAYOUT_ROUTE: &str = "/v1/clients/{id}/affiliate-programs/{program}/payouts";

/// One membership of the client page's block.
pub(super) struct MembershipLine {
    pub(super) program_id: String,
    pub(super) program: String,
    pub(super) clicks: i64,
    pub(super) referred: i64,
    /// (code, clicks, sign-ups).
    pub(super) links: Vec<(String, i64, i64)>,
    /// Per currency: currency, accrued, paid, available.
    pub(super) totals: Vec<[String; 4]>,
}

/// The client page's affiliate block.
pub(super) struct AffiliateBlock {
    pub(super) memberships: Vec<MembershipLine>,
    /// (when, program, source, referred client, base, commission).
    pub(super) accruals: Vec<[String; 6]>,
    /// (when, program, amount, destination, reference).
    pub(super) payouts: Vec<[String; 5]>,
    /// The payout form's key, for staff who may pay out.
    pub(super) payout_key: Option<String>,
}

/// The affiliate block of the client `client_id`, for staff who may read it; `None` for a
/// client that joined no program.
pub(super) async fn block(
    state: &AppState,
    session: &Session,
    client_id: Uuid,
) -> Result<Option<AffiliateBlock>, ApiError> {
    if !session.may("GET", CLIENT_ROUTE) {
        return Ok(None);
    }
    let view = affiliate_view(state, client_id, SeenBy::Staff).await?;
    if view.programs.is_empty() {
        return Ok(None);
    }
    let lang = session.lang;
    let program_of = |affiliate: Uuid| {
        view.programs
            .iter()
            .find(|m| m.affiliate_id == affiliate)
            .map(|m| m.program_name.clone())
            .unwrap_or_default()
    };
    let money = |amount: &str, currency: &str| {
        amount
            .parse()
            .map_or_else(|_| amount.to_owned(), |a| lang.money(a, currency))
    };
    Ok(Some(AffiliateBlock {
        memberships: view
            .programs
            .iter()
            .map(|m| MembershipLine {
                program_id: m.program_id.to_string(),
                program: m.program_name.clone(),
                clicks: m.clicks,
                referred: m.referred_clients,
                links: m
                    .links
                    .iter()
                    .map(|l| (l.code.clone(), l.clicks, l.sign_ups))
                    .collect(),
                totals: m
                    .totals
                    .iter()
                    .map(|t| {
                        [
                            t.currency.clone(),
                            money(&t.accrued, &t.currency),
                            money(&t.paid, &t.currency),
                            money(&t.available, &t.currency),
                        ]
                    })
                    .collect(),
            })
            .collect(),
        accruals: view
            .accruals
            .iter()
            .map(|a| {
                [
                    session.zone.time(a.accrued_at),
                    program_of(a.affiliate_id),
                    a.source.clone(),
                    a.referred_client_id
                        .map(|id| id.to_string())
                        .unwrap_or_default(),
                    money(&a.base, &a.currency),
                    money(&a.amount, &a.currency),
                ]
            })
            .collect(),
        payouts: view
            .payouts
            .iter()
            .map(|p| {
                [
                    session.zone.time(p.paid_at),
                    program_of(p.affiliate_id),
                    money(&p.amount, &p.currency),
                    lang.t(&format!("affiliate-destination-{}", p.destination)),
                    p.reference.clone().unwrap_or_default(),
                ]
            })
            .collect(),
        payout_key: session.may("POST", PAYOUT_ROUTE).then(new_key),
    }))
}
