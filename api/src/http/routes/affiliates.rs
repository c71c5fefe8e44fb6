//! Affiliate programs (issue 20.1): staff create and close programs; a client joins one, gets
//! referral links, sees its statistics and pays out its commission; a link's click is counted by
//! a public route; a sign-up with a link's code refers the new client.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::affiliate::{CommissionBasis, CommissionRule, PayoutDestination};
use domain::money::{Currency, Money};
use projections::ReadModel;
use projections::affiliates::ProgramRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, Page, accepted, accepted_with, format_amount};
use crate::http::auth::Visible;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::routes::promo_codes::ItemTypeName;
use crate::http::state::AppState;
use crate::usecases::affiliates as usecase;

/// What a commission is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BasisName {
    /// The referred client's payments credited to its account.
    Payments,
    /// The referred client's charges, gross.
    Charges,
}

/// An affiliate program's commission rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// What the commission is a share of.
    pub basis: BasisName,
    /// Above 0 and at most 100, at most 2 decimal places, as a decimal string.
    #[schema(example = "10")]
    pub percent: String,
    /// For how many months from the referral (1 to 120); absent means forever.
    pub months: Option<u32>,
    /// With `charges` only: the item types whose charges count; empty or absent means any.
    #[serde(default)]
    pub item_types: Vec<ItemTypeName>,
}

impl RuleBody {
    fn parse(&self) -> Result<CommissionRule, ApiError> {
        let rule = CommissionRule {
            basis: match self.basis {
                BasisName::Payments => CommissionBasis::Payments,
                BasisName::Charges => CommissionBasis::Charges,
            },
            percent: domain::decimal::parse_plain(&self.percent, 3, 20)
                .map_err(|_| ApiError::from(domain::affiliate::AffiliateError::InvalidPercent))?,
            months: self.months,
            item_types: self.item_types.iter().copied().map(Into::into).collect(),
        };
        rule.check()?;
        Ok(rule)
    }

    fn of(rule: &CommissionRule) -> RuleBody {
        RuleBody {
            basis: match rule.basis {
                CommissionBasis::Payments => BasisName::Payments,
                CommissionBasis::Charges => BasisName::Charges,
            },
            percent: rule.percent.normalize().to_string(),
            months: rule.months,
            item_types: rule.item_types.iter().copied().map(Into::into).collect(),
        }
    }
}

/// `POST /v1/affiliate-programs`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProgramRequest {
    /// The caller's id for the program, so that a retry creates nothing twice.
    pub program_id: Uuid,
    /// The provider whose clients join and are referred.
    pub provider_id: Uuid,
    /// 1 to 200 characters.
    pub name: String,
    /// How it pays its affiliates.
    pub rule: RuleBody,
}

/// An affiliate program as staff and clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProgramView {
    /// Its id.
    pub id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// Its name.
    pub name: String,
    /// How it pays.
    pub rule: RuleBody,
    /// Whether it is closed to new affiliates and referrals.
    pub closed: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<ProgramRow> for ProgramView {
    fn from(row: ProgramRow) -> Self {
        ProgramView {
            id: row.program_id,
            provider_id: row.provider_id,
            name: row.name,
            rule: RuleBody::of(&row.rule.0),
            closed: row.closed,
            created_at: row.created_at,
        }
    }
}

/// Creates an affiliate program of a provider.
#[utoipa::path(post, path = "/v1/affiliate-programs", tag = "affiliates",
    request_body = CreateProgramRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 409, description = "the program exists", body = Problem),
        (status = 422, description = "unknown provider, invalid name or rule", body = Problem)))]
pub async fn create_program(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CreateProgramRequest>,
) -> Result<Response, ApiError> {
    let committed = run_create_program(&state, &command, &request).await?;
    Ok(accepted(request.program_id, &committed))
}

/// What `POST /v1/affiliate-programs` does, and the staff panel's form with it: parses the rule,
/// keys the request and runs the one use case.
pub async fn run_create_program(
    state: &AppState,
    command: &Command,
    request: &CreateProgramRequest,
) -> Result<eventstore::Committed<domain::affiliate::AffiliateProgram>, ApiError> {
    let rule = request.rule.parse()?;
    let key = command.key(request, request.program_id)?;
    let program = usecase::NewProgram {
        program_id: request.program_id,
        provider_id: request.provider_id,
        name: request.name.clone(),
        rule,
    };
    Ok(usecase::create_program(state, &command.context, key, program).await?)
}

/// Closes a program to new affiliates and referrals; referred clients keep earning commission.
#[utoipa::path(post, path = "/v1/affiliate-programs/{id}/close", tag = "affiliates",
    params(("id" = Uuid, Path, description = "the program")),
    responses(
        (status = 200, description = "closed", body = Accepted),
        (status = 404, description = "no such program", body = Problem)))]
pub async fn close_program(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = command.key(&(), id)?;
    let committed = usecase::close_program(&state, &command.context, key, id).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `GET /v1/affiliate-programs` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProgramsParams {
    /// Only this provider's programs.
    pub provider_id: Option<Uuid>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Lists affiliate programs, oldest first.
#[utoipa::path(get, path = "/v1/affiliate-programs", tag = "affiliates",
    params(ListProgramsParams),
    responses((status = 200, description = "a page of programs", body = Page<ProgramView>)))]
pub async fn list_programs(
    State(state): State<AppState>,
    Query(params): Query<ListProgramsParams>,
) -> Result<Json<Page<ProgramView>>, ApiError> {
    state
        .consistent(&[ReadModel::Affiliates], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::id_cursor(params.after.as_deref())?;
    let rows = projections::affiliates::programs(&state.pool, params.provider_id, after, limit + 1)
        .await?;
    let items = rows.into_iter().map(ProgramView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |p: &ProgramView| p.id.to_string(),
    )))
}

/// The client joins an open program of its provider. Joining again changes nothing.
#[utoipa::path(post, path = "/v1/clients/{id}/affiliate-programs/{program}/join", tag = "affiliates",
    params(("id" = Uuid, Path, description = "the client"),
           ("program" = Uuid, Path, description = "the program")),
    responses(
        (status = 201, description = "joined: the affiliate's id", body = Accepted),
        (status = 404, description = "no such client or program", body = Problem),
        (status = 422, description = "the program is closed", body = Problem)))]
pub async fn join_program(
    State(state): State<AppState>,
    command: Command,
    Path((client_id, program_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let key = command.key(&(), program_id)?;
    let (affiliate_id, committed) =
        usecase::join(&state, &command.context, key, client_id, program_id).await?;
    Ok(accepted(affiliate_id.as_uuid(), &committed))
}

/// A new referral link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkCreated {
    /// The link's code: share `/v1/referral-links/{code}` (counted as a click) and give it to
    /// the sign-up (`POST /v1/clients/{id}/referral`).
    pub code: String,
    /// The global position of the event; pass it as `min_position` to read your write.
    pub position: i64,
}

/// Gives the client's affiliate membership another referral link (at most 20).
#[utoipa::path(post, path = "/v1/clients/{id}/affiliate-programs/{program}/links", tag = "affiliates",
    params(("id" = Uuid, Path, description = "the client"),
           ("program" = Uuid, Path, description = "the program")),
    responses(
        (status = 201, description = "the new link", body = LinkCreated),
        (status = 404, description = "the client has not joined the program", body = Problem),
        (status = 422, description = "too many links", body = Problem)))]
pub async fn add_link(
    State(state): State<AppState>,
    command: Command,
    Path((client_id, program_id)): Path<(Uuid, Uuid)>,
) -> Result<(StatusCode, Json<LinkCreated>), ApiError> {
    let (code, committed) =
        usecase::add_link(&state, &command.context, None, client_id, program_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(LinkCreated {
            code: code.to_string(),
            position: committed.position,
        }),
    ))
}

/// A click of a referral link, as answered to the browser.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClickAnswer {
    /// The link's code.
    pub code: String,
    /// The provider to sign up with.
    pub provider_id: Uuid,
    /// Whether the click was counted (a link counts at most 10,000 clicks a day).
    pub counted: bool,
}

/// Counts a click of a referral link (public). Unknown codes are 404; past a link's daily cap
/// clicks are answered and not counted.
#[utoipa::path(get, path = "/v1/referral-links/{code}", tag = "affiliates",
    params(("code" = String, Path, description = "the link's code")),
    responses(
        (status = 200, description = "counted", body = ClickAnswer),
        (status = 400, description = "not a code", body = Problem),
        (status = 404, description = "no such link", body = Problem)))]
pub async fn click(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ClickAnswer>, ApiError> {
    let click = usecase::click(&state, &code).await?.ok_or_else(|| {
        ApiError::not_found("referral_code_not_found", "code: no such referral link")
    })?;
    Ok(Json(ClickAnswer {
        code: code.trim().to_ascii_uppercase(),
        provider_id: click.owner.provider_id,
        counted: click.counted,
    }))
}

/// `POST /v1/clients/{id}/referral`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferRequest {
    /// The code of the link the client signed up through.
    pub code: String,
}

/// Records that a newly registered client signed up through a referral link. A client is
/// referred once (the same link again changes nothing) and never through its own link.
#[utoipa::path(post, path = "/v1/clients/{id}/referral", tag = "affiliates",
    request_body = ReferRequest,
    params(("id" = Uuid, Path, description = "the referred client")),
    responses(
        (status = 201, description = "referred", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "unknown code, closed program, self-referral or already referred", body = Problem)))]
pub async fn refer(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<ReferRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, client_id)?;
    let committed = usecase::refer(&state, &command.context, key, client_id, &request.code).await?;
    Ok(accepted(client_id, &committed))
}

/// Where a payout goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DestinationName {
    /// A credit on the affiliate's personal account.
    Account,
    /// Paid outside the billing (staff only), recorded with a reference.
    External,
}

/// `POST /v1/clients/{id}/affiliate-programs/{program}/payouts`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutRequest {
    /// The caller's id for the payout: a retry pays nothing twice.
    pub payout_id: Uuid,
    /// Above zero, at the currency's scale.
    #[schema(example = "12.50")]
    pub amount: String,
    /// ISO 4217 code of the accrued commission.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Where it goes.
    pub destination: DestinationName,
    /// With `external`: the transfer's reference, 1 to 200 characters.
    pub reference: Option<String>,
}

/// Pays out accrued commission: never more than accrued less paid out in that currency. To the
/// account it is a credit on the affiliate's balance (on its statement); `external` (staff only)
/// is recorded, not credited.
#[utoipa::path(post, path = "/v1/clients/{id}/affiliate-programs/{program}/payouts", tag = "affiliates",
    request_body = PayoutRequest,
    params(("id" = Uuid, Path, description = "the affiliate's client"),
           ("program" = Uuid, Path, description = "the program"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "paid out", body = Accepted),
        (status = 404, description = "the client has not joined the program", body = Problem),
        (status = 422, description = "more than is accrued, bad amount or destination", body = Problem)))]
pub async fn pay_out(
    State(state): State<AppState>,
    command: Command,
    Path((client_id, program_id)): Path<(Uuid, Uuid)>,
    Body(request): Body<PayoutRequest>,
) -> Result<Response, ApiError> {
    let committed = run_pay_out(&state, &command, client_id, program_id, &request).await?;
    Ok(accepted(request.payout_id, &committed))
}

/// What `POST /v1/clients/{id}/affiliate-programs/{program}/payouts` does, and the panels'
/// payout forms with it: parses the amount and destination, keys the request and runs the one
/// use case (whose affiliate aggregate refuses more than is available).
pub async fn run_pay_out(
    state: &AppState,
    command: &Command,
    client_id: Uuid,
    program_id: Uuid,
    request: &PayoutRequest,
) -> Result<eventstore::Committed<domain::affiliate::Affiliate>, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let amount = Money::parse_positive(&request.amount, currency)?;
    let destination = match request.destination {
        DestinationName::Account => PayoutDestination::Account,
        DestinationName::External => PayoutDestination::External {
            reference: request.reference.clone().unwrap_or_default(),
        },
    };
    let key = command.key(request, request.payout_id)?;
    let payout = usecase::NewPayout {
        payout_id: request.payout_id,
        program_id,
        amount,
        destination,
    };
    Ok(usecase::pay_out(state, &command.context, key, client_id, payout).await?)
}

/// A referral link with its statistics.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkView {
    /// The code.
    pub code: String,
    /// Clicks counted.
    pub clicks: i64,
    /// Clients that signed up through it.
    pub sign_ups: i64,
}

/// What an affiliate accrued and was paid in one currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TotalView {
    /// ISO 4217 code.
    pub currency: String,
    /// Everything accrued.
    pub accrued: String,
    /// Everything paid out.
    pub paid: String,
    /// What may still be paid out.
    pub available: String,
}

/// One program the client joined, with its statistics.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MembershipView {
    /// The affiliate's id.
    pub affiliate_id: Uuid,
    /// The program.
    pub program_id: Uuid,
    /// Its name.
    pub program_name: String,
    /// When the client joined.
    pub joined_at: DateTime<Utc>,
    /// Clicks of its links.
    pub clicks: i64,
    /// Clients referred (each a sign-up with one of its links).
    pub referred_clients: i64,
    /// Its links.
    pub links: Vec<LinkView>,
    /// Accrued and paid per currency.
    pub totals: Vec<TotalView>,
}

/// One accrual.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccrualView {
    /// The affiliate.
    pub affiliate_id: Uuid,
    /// `payment:<id>` or `charge:<id>` for staff; `payment` or `charge` for the affiliate
    /// itself, which is not shown another client's payment or charge ids.
    pub source: String,
    /// The referred client, for staff only (absent for the affiliate itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referred_client_id: Option<Uuid>,
    /// What was paid or charged.
    pub base: String,
    /// The commission.
    pub amount: String,
    /// Its currency.
    pub currency: String,
    /// When.
    pub accrued_at: DateTime<Utc>,
}

/// One payout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PayoutView {
    /// The payout.
    pub payout_id: Uuid,
    /// The affiliate.
    pub affiliate_id: Uuid,
    /// What was paid out.
    pub amount: String,
    /// Its currency.
    pub currency: String,
    /// `account` or `external`.
    pub destination: String,
    /// An external payout's reference.
    pub reference: Option<String>,
    /// When.
    pub paid_at: DateTime<Utc>,
}

/// A client's affiliate programs: memberships, links, statistics, the latest accruals and
/// payouts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AffiliateView {
    /// The programs the client joined.
    pub programs: Vec<MembershipView>,
    /// The latest 100 accruals, newest first.
    pub accruals: Vec<AccrualView>,
    /// The latest 100 payouts, newest first.
    pub payouts: Vec<PayoutView>,
}

/// How many accruals and payouts the view lists.
const LATEST: i64 = 100;

/// A client's affiliate programs with their statistics.
#[utoipa::path(get, path = "/v1/clients/{id}/affiliate", tag = "affiliates",
    params(("id" = Uuid, Path, description = "the client"), Consistency),
    responses((status = 200, description = "the client's affiliate view", body = AffiliateView)))]
pub async fn get_affiliate(
    State(state): State<AppState>,
    visible: Visible,
    Path(client_id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<AffiliateView>, ApiError> {
    state
        .consistent(&[ReadModel::Affiliates], consistency.min_position)
        .await?;
    let seen_by = if visible.is_client() {
        SeenBy::Affiliate
    } else {
        SeenBy::Staff
    };
    Ok(Json(affiliate_view(&state, client_id, seen_by).await?))
}

/// Who reads an affiliate view: staff see where each commission came from, the affiliate only
/// its kind, never another client's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenBy {
    /// Staff.
    Staff,
    /// The affiliate client itself.
    Affiliate,
}

/// The client's affiliate view, for the API and the customer panel.
pub async fn affiliate_view(
    state: &AppState,
    client_id: Uuid,
    seen_by: SeenBy,
) -> Result<AffiliateView, ApiError> {
    let pool = &state.pool;
    let memberships = projections::affiliates::affiliates_of_client(pool, client_id).await?;
    let ids: Vec<Uuid> = memberships.iter().map(|m| m.affiliate_id).collect();
    let links = projections::affiliates::links(pool, &ids).await?;
    let totals = projections::affiliates::totals(pool, &ids).await?;
    let accruals = projections::affiliates::accruals(pool, &ids, LATEST).await?;
    let payouts = projections::affiliates::payouts(pool, &ids, LATEST).await?;
    let programs = memberships
        .into_iter()
        .map(|m| MembershipView {
            affiliate_id: m.affiliate_id,
            program_id: m.program_id,
            program_name: m.program_name,
            joined_at: m.joined_at,
            clicks: m.clicks,
            referred_clients: m.referred,
            links: links
                .iter()
                .filter(|l| l.affiliate_id == m.affiliate_id)
                .map(|l| LinkView {
                    code: l.code.clone(),
                    clicks: l.clicks,
                    sign_ups: l.sign_ups,
                })
                .collect(),
            totals: totals
                .iter()
                .filter(|t| t.affiliate_id == m.affiliate_id)
                .map(|t| TotalView {
                    currency: t.currency.clone(),
                    accrued: format_amount(t.accrued, &t.currency),
                    paid: format_amount(t.paid, &t.currency),
                    available: format_amount(t.accrued - t.paid, &t.currency),
                })
                .collect(),
        })
        .collect();
    Ok(AffiliateView {
        programs,
        accruals: accruals
            .into_iter()
            .map(|a| AccrualView {
                affiliate_id: a.affiliate_id,
                source: match seen_by {
                    SeenBy::Staff => a.source,
                    SeenBy::Affiliate => a
                        .source
                        .split_once(':')
                        .map_or(a.source.as_str(), |(kind, _)| kind)
                        .to_owned(),
                },
                referred_client_id: (seen_by == SeenBy::Staff).then_some(a.referred_client_id),
                base: format_amount(a.base_amount, &a.currency),
                amount: format_amount(a.amount, &a.currency),
                currency: a.currency,
                accrued_at: a.accrued_at,
            })
            .collect(),
        payouts: payouts
            .into_iter()
            .map(|p| PayoutView {
                payout_id: p.payout_id,
                affiliate_id: p.affiliate_id,
                amount: format_amount(p.amount, &p.currency),
                currency: p.currency,
                destination: p.destination,
                reference: p.reference,
                paid_at: p.paid_at,
            })
            .collect(),
    })
}
