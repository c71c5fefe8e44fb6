//! Affiliate programs as staff and affiliates see them: programs, affiliates with their links,
//! referred clients, accruals, payouts and totals per currency (issue 20.1).
//!
//! The totals come from the events (`CommissionAccrued` and `CommissionTakenBack` carry
//! `accrued_after`, `CommissionPaidOut` carries `paid_after`), so the tables only assign what
//! they are told; a commission taken back is a negative accrual row. The clicks of links are
//! counted in `affiliate_clicks` by [`count_click`], outside the log.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::affiliate::{AffiliateEvent, PayoutDestination, ProgramEvent, ReferralEvent};
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `affiliate_*` tables.
pub struct Affiliates;

#[async_trait]
impl Projection for Affiliates {
    fn name(&self) -> &'static str {
        crate::ReadModel::Affiliates.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "affiliate_programs",
            "affiliates",
            "affiliate_links",
            "affiliate_referrals",
            "affiliate_accruals",
            "affiliate_payouts",
            "affiliate_totals",
        ]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            let applied = match event.aggregate_type.as_str() {
                "AffiliateProgram" => program(tx, event).await,
                "Affiliate" => affiliate(tx, event).await,
                "Referral" => referral(tx, event).await,
                _ => continue,
            };
            applied.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

fn id_of(event: &StoredEvent) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("aggregate id: {e}")))
}

async fn program(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    match event.decode::<ProgramEvent>()? {
        ProgramEvent::AffiliateProgramCreated {
            provider_id,
            name,
            rule,
            ..
        } => {
            sqlx::query(
                "INSERT INTO affiliate_programs (program_id, provider_id, name, rule, closed,
                                                 created_at, position)
                 VALUES ($1, $2, $3, $4, false, $5, $6)",
            )
            .bind(id)
            .bind(provider_id.as_uuid())
            .bind(name)
            .bind(Json(&rule))
            .bind(event.metadata()?.occurred_at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        ProgramEvent::AffiliateProgramClosed => {
            sqlx::query(
                "UPDATE affiliate_programs SET closed = true, position = $2 WHERE program_id = $1",
            )
            .bind(id)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

/// A row of `affiliate_accruals` (signed: negative for commission taken back) and the total it
/// leaves.
struct Accrual {
    key: String,
    referred_client: domain::ids::ClientId,
    base: domain::money::Money,
    commission: domain::money::Money,
    accrued_after: domain::money::Money,
}

/// Records `row` of the affiliate `id` and sets its accrued total.
async fn accrue(
    tx: &mut PgConnection,
    id: Uuid,
    at: DateTime<Utc>,
    position: i64,
    row: Accrual,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO affiliate_accruals (affiliate_id, source, referred_client_id, base_amount,
                                         amount, currency, accrued_at, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(row.key)
    .bind(row.referred_client.as_uuid())
    .bind(row.base.amount())
    .bind(row.commission.amount())
    .bind(row.commission.currency().code())
    .bind(at)
    .bind(position)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO affiliate_totals (affiliate_id, currency, accrued) VALUES ($1, $2, $3)
         ON CONFLICT (affiliate_id, currency) DO UPDATE SET accrued = EXCLUDED.accrued",
    )
    .bind(id)
    .bind(row.accrued_after.currency().code())
    .bind(row.accrued_after.amount())
    .execute(tx)
    .await?;
    Ok(())
}

async fn affiliate(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    let at = event.metadata()?.occurred_at;
    match event.decode::<AffiliateEvent>()? {
        AffiliateEvent::AffiliateJoined {
            program_id,
            provider_id,
            client_id,
            ..
        } => {
            sqlx::query(
                "INSERT INTO affiliates (affiliate_id, program_id, provider_id, client_id, joined_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(program_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(client_id.as_uuid())
            .bind(at)
            .execute(tx)
            .await?;
        }
        AffiliateEvent::ReferralLinkAdded { code } => {
            sqlx::query(
                "INSERT INTO affiliate_links (code, affiliate_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(code.as_str())
            .bind(id)
            .bind(at)
            .execute(tx)
            .await?;
        }
        AffiliateEvent::CommissionAccrued {
            source,
            referred_client,
            base,
            commission,
            accrued_after,
        } => {
            let row = Accrual {
                key: source.key(),
                referred_client,
                base,
                commission,
                accrued_after,
            };
            accrue(tx, id, at, event.position, row).await?;
        }
        // A commission taken back is a row of its own, negative, under `back:` and its source.
        AffiliateEvent::CommissionTakenBack {
            source,
            referred_client,
            base,
            commission,
            accrued_after,
            ..
        } => {
            let row = Accrual {
                key: format!("back:{}", source.key()),
                referred_client,
                base: base.negated(),
                commission: commission.negated(),
                accrued_after,
            };
            accrue(tx, id, at, event.position, row).await?;
        }
        AffiliateEvent::CommissionPaidOut {
            payout_id,
            amount,
            destination,
            paid_after,
            ..
        } => {
            let (destination, reference) = match destination {
                PayoutDestination::Account => ("account", None),
                PayoutDestination::External { reference } => ("external", Some(reference)),
            };
            sqlx::query(
                "INSERT INTO affiliate_payouts (payout_id, affiliate_id, amount, currency,
                                                destination, reference, paid_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(payout_id.as_uuid())
            .bind(id)
            .bind(amount.amount())
            .bind(amount.currency().code())
            .bind(destination)
            .bind(reference)
            .bind(at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO affiliate_totals (affiliate_id, currency, paid) VALUES ($1, $2, $3)
                 ON CONFLICT (affiliate_id, currency) DO UPDATE SET paid = EXCLUDED.paid",
            )
            .bind(id)
            .bind(paid_after.currency().code())
            .bind(paid_after.amount())
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

async fn referral(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    match event.decode::<ReferralEvent>()? {
        ReferralEvent::ClientReferred {
            referred_client,
            affiliate_id,
            code,
            referred_on,
            ..
        } => {
            sqlx::query(
                "INSERT INTO affiliate_referrals (referred_client_id, affiliate_id, code,
                                                  referred_on)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(referred_client.as_uuid())
            .bind(affiliate_id.as_uuid())
            .bind(code.as_str())
            .bind(referred_on)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

// Queries: what the HTTP layer and the panels read.

/// A row of `affiliate_programs`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgramRow {
    /// The program.
    pub program_id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its commission rule.
    pub rule: Json<domain::affiliate::CommissionRule>,
    /// Whether it is closed to new affiliates.
    pub closed: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

const PROGRAM_COLUMNS: &str = "program_id, provider_id, name, rule, closed, created_at";

/// One program.
pub async fn program_row(pool: &sqlx::PgPool, id: Uuid) -> Result<Option<ProgramRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PROGRAM_COLUMNS} FROM affiliate_programs WHERE program_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Up to `limit` programs (optionally of one provider), oldest first, after the program `after`.
pub async fn programs(
    pool: &sqlx::PgPool,
    provider_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ProgramRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PROGRAM_COLUMNS} FROM affiliate_programs
          WHERE ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::uuid IS NULL OR (created_at, program_id) >
                 (SELECT created_at, program_id FROM affiliate_programs WHERE program_id = $2))
          ORDER BY created_at, program_id
          LIMIT $3"
    ))
    .bind(provider_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A link's owner, for a click or a sign-up.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkOwner {
    /// The affiliate.
    pub affiliate_id: Uuid,
    /// Its program.
    pub program_id: Uuid,
    /// The program's provider.
    pub provider_id: Uuid,
    /// The affiliate's client.
    pub client_id: Uuid,
}

/// Who owns the link `code`, if anyone.
pub async fn link_owner(pool: &sqlx::PgPool, code: &str) -> Result<Option<LinkOwner>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.affiliate_id, a.program_id, a.provider_id, a.client_id
           FROM affiliate_links l JOIN affiliates a USING (affiliate_id)
          WHERE l.code = $1",
    )
    .bind(code)
    .fetch_optional(pool)
    .await
}

/// Counts a click of `code` on `day`, unless the link already has `cap` clicks that day (so a
/// flood of clicks costs one row per link and day). Returns whether it was counted.
pub async fn count_click(
    pool: &sqlx::PgPool,
    code: &str,
    day: NaiveDate,
    cap: i64,
) -> Result<bool, sqlx::Error> {
    let counted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO affiliate_clicks (code, day, clicks) VALUES ($1, $2, 1)
         ON CONFLICT (code, day) DO UPDATE SET clicks = affiliate_clicks.clicks + 1
          WHERE affiliate_clicks.clicks < $3
         RETURNING clicks",
    )
    .bind(code)
    .bind(day)
    .bind(cap)
    .fetch_optional(pool)
    .await?;
    Ok(counted.is_some())
}

/// An affiliate (a client's membership of a program) with its statistics.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AffiliateRow {
    /// The affiliate.
    pub affiliate_id: Uuid,
    /// Its program.
    pub program_id: Uuid,
    /// The program's name.
    pub program_name: String,
    /// The program's provider.
    pub provider_id: Uuid,
    /// The affiliate's client.
    pub client_id: Uuid,
    /// When it joined.
    pub joined_at: DateTime<Utc>,
    /// Clicks of its links, all days.
    pub clicks: i64,
    /// Clients referred through its links (each a sign-up).
    pub referred: i64,
}

/// Every program `client_id` joined, with its statistics, oldest first.
pub async fn affiliates_of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
) -> Result<Vec<AffiliateRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.affiliate_id, a.program_id, p.name AS program_name, a.provider_id, a.client_id,
                a.joined_at,
                COALESCE((SELECT sum(c.clicks) FROM affiliate_clicks c
                           JOIN affiliate_links l ON l.code = c.code
                          WHERE l.affiliate_id = a.affiliate_id), 0)::bigint AS clicks,
                (SELECT count(*) FROM affiliate_referrals r
                  WHERE r.affiliate_id = a.affiliate_id) AS referred
           FROM affiliates a JOIN affiliate_programs p USING (program_id)
          WHERE a.client_id = $1
          ORDER BY a.joined_at, a.affiliate_id",
    )
    .bind(client_id)
    .fetch_all(pool)
    .await
}

/// A link with its clicks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    /// The affiliate.
    pub affiliate_id: Uuid,
    /// The code.
    pub code: String,
    /// Clicks counted, all days.
    pub clicks: i64,
    /// Clients referred through it.
    pub sign_ups: i64,
}

/// The links of `affiliates`, oldest first.
pub async fn links(pool: &sqlx::PgPool, affiliates: &[Uuid]) -> Result<Vec<LinkRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.affiliate_id, l.code,
                COALESCE((SELECT sum(clicks) FROM affiliate_clicks c WHERE c.code = l.code), 0)::bigint
                  AS clicks,
                (SELECT count(*) FROM affiliate_referrals r WHERE r.code = l.code) AS sign_ups
           FROM affiliate_links l
          WHERE l.affiliate_id = ANY($1)
          ORDER BY l.created_at, l.code",
    )
    .bind(affiliates)
    .fetch_all(pool)
    .await
}

/// What an affiliate accrued and was paid in one currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotalRow {
    /// The affiliate.
    pub affiliate_id: Uuid,
    /// ISO 4217 code.
    pub currency: String,
    /// Everything accrued.
    pub accrued: Decimal,
    /// Everything paid out.
    pub paid: Decimal,
}

/// The totals of `affiliates`.
pub async fn totals(
    pool: &sqlx::PgPool,
    affiliates: &[Uuid],
) -> Result<Vec<TotalRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT affiliate_id, currency, accrued, paid FROM affiliate_totals
          WHERE affiliate_id = ANY($1) ORDER BY affiliate_id, currency",
    )
    .bind(affiliates)
    .fetch_all(pool)
    .await
}

/// One accrual.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccrualRow {
    /// The affiliate.
    pub affiliate_id: Uuid,
    /// `payment:<id>` or `charge:<id>`.
    pub source: String,
    /// The referred client.
    pub referred_client_id: Uuid,
    /// What was paid or charged.
    pub base_amount: Decimal,
    /// The commission.
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
    /// When it was accrued.
    pub accrued_at: DateTime<Utc>,
}

/// The latest `limit` accruals of `affiliates`, newest first.
pub async fn accruals(
    pool: &sqlx::PgPool,
    affiliates: &[Uuid],
    limit: i64,
) -> Result<Vec<AccrualRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT affiliate_id, source, referred_client_id, base_amount, amount, currency, accrued_at
           FROM affiliate_accruals WHERE affiliate_id = ANY($1)
          ORDER BY position DESC LIMIT $2",
    )
    .bind(affiliates)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One payout.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PayoutRow {
    /// The payout.
    pub payout_id: Uuid,
    /// The affiliate.
    pub affiliate_id: Uuid,
    /// What was paid out.
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
    /// `account` or `external`.
    pub destination: String,
    /// An external payout's reference.
    pub reference: Option<String>,
    /// When.
    pub paid_at: DateTime<Utc>,
}

/// The latest `limit` payouts of `affiliates`, newest first.
pub async fn payouts(
    pool: &sqlx::PgPool,
    affiliates: &[Uuid],
    limit: i64,
) -> Result<Vec<PayoutRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT payout_id, affiliate_id, amount, currency, destination, reference, paid_at
           FROM affiliate_payouts WHERE affiliate_id = ANY($1)
          ORDER BY position DESC LIMIT $2",
    )
    .bind(affiliates)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A program's statistics over all its affiliates.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgramStatsRow {
    /// The program.
    pub program_id: Uuid,
    /// Clients that joined it.
    pub affiliates: i64,
    /// Clicks of its affiliates' links, all days.
    pub clicks: i64,
    /// Sign-ups through its links: clients referred.
    pub sign_ups: i64,
    /// Referred clients whose payments or charges accrued commission.
    pub earning_clients: i64,
}

/// The statistics of `programs`.
pub async fn program_stats(
    pool: &sqlx::PgPool,
    programs: &[Uuid],
) -> Result<Vec<ProgramStatsRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.program_id,
                (SELECT count(*) FROM affiliates a WHERE a.program_id = p.program_id) AS affiliates,
                COALESCE((SELECT sum(c.clicks) FROM affiliate_clicks c
                           JOIN affiliate_links l ON l.code = c.code
                           JOIN affiliates a ON a.affiliate_id = l.affiliate_id
                          WHERE a.program_id = p.program_id), 0)::bigint AS clicks,
                (SELECT count(*) FROM affiliate_referrals r
                   JOIN affiliates a ON a.affiliate_id = r.affiliate_id
                  WHERE a.program_id = p.program_id) AS sign_ups,
                (SELECT count(DISTINCT x.referred_client_id) FROM affiliate_accruals x
                   JOIN affiliates a ON a.affiliate_id = x.affiliate_id
                  WHERE a.program_id = p.program_id) AS earning_clients
           FROM affiliate_programs p
          WHERE p.program_id = ANY($1)",
    )
    .bind(programs)
    .fetch_all(pool)
    .await
}

/// What a program's affiliates accrued and were paid in one currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgramTotalRow {
    /// The program.
    pub program_id: Uuid,
    /// ISO 4217 code.
    pub currency: String,
    /// Everything accrued.
    pub accrued: Decimal,
    /// Everything paid out.
    pub paid: Decimal,
}

/// The totals of `programs` per currency.
pub async fn program_totals(
    pool: &sqlx::PgPool,
    programs: &[Uuid],
) -> Result<Vec<ProgramTotalRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.program_id, t.currency, sum(t.accrued) AS accrued, sum(t.paid) AS paid
           FROM affiliate_totals t JOIN affiliates a ON a.affiliate_id = t.affiliate_id
          WHERE a.program_id = ANY($1)
          GROUP BY a.program_id, t.currency
          ORDER BY a.program_id, t.currency",
    )
    .bind(programs)
    .fetch_all(pool)
    .await
}
