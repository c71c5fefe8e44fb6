//! The reports' queries: each report is a plain SELECT over the `report_*` tables this
//! projection writes (next to its writes, in the same module).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// The condition keeping sandbox providers apart: `provider_id` is a sandbox's exactly when the
/// bound parameter `$n` (`sandbox`) is true. Live reports (`false`) never see a sandbox.
fn sandbox_clause(n: u8) -> String {
    format!("(provider_id IN (SELECT provider_id FROM report_sandbox_providers)) = ${n}::boolean")
}

/// Which revenue table a revenue query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevenueBasis {
    /// Each amount on the day it was charged, credited or corrected (`report_revenue_daily`).
    Cash,
    /// Each amount spread over the period it pays for (`report_recognised_daily`).
    Recognised,
}

impl RevenueBasis {
    fn table(self) -> &'static str {
        match self {
            Self::Cash => "report_revenue_daily",
            Self::Recognised => "report_recognised_daily",
        }
    }
}

/// What the revenue, payments and clients reports are filtered by: the half-open range of days
/// `[from, to)`, rows per month (else per day), a provider and a currency when given, and
/// live providers only (`sandbox` false) or sandbox providers only (true).
#[derive(Debug, Clone, Copy)]
pub struct ReportFilter<'a> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub monthly: bool,
    pub provider_id: Option<Uuid>,
    pub currency: Option<&'a str>,
    pub sandbox: bool,
}

/// Revenue sums of one day or month, provider, tariff, item type and currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevenueSums {
    pub period_start: NaiveDate,
    pub provider_id: Uuid,
    pub tariff_id: Uuid,
    pub item_type: String,
    pub currency: String,
    pub charged: Decimal,
    pub credited: Decimal,
    pub corrected: Decimal,
}

/// Revenue by day or month × provider × tariff × item type × currency on `basis`, rows whose
/// sums are all zero left out, ordered by those keys.
pub async fn revenue(
    pool: &sqlx::PgPool,
    basis: RevenueBasis,
    filter: ReportFilter<'_>,
) -> Result<Vec<RevenueSums>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT CASE WHEN $1 THEN date_trunc('month', day)::date ELSE day END AS period_start,
                    provider_id, tariff_id, item_type, currency,
                    sum(charged) AS charged, sum(credited) AS credited,
                    sum(corrected) AS corrected
               FROM {table}
              WHERE day >= $2 AND day < $3
                AND ($4::uuid IS NULL OR provider_id = $4)
                AND ($5::text IS NULL OR currency = $5)
                AND {sandbox}
              GROUP BY 1, 2, 3, 4, 5
             HAVING sum(charged) <> 0 OR sum(credited) <> 0 OR sum(corrected) <> 0
              ORDER BY 1, 2, 3, 4, 5",
        table = basis.table(),
        sandbox = sandbox_clause(6)
    ))
    .bind(filter.monthly)
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.provider_id)
    .bind(filter.currency)
    .bind(filter.sandbox)
    .fetch_all(pool)
    .await
}

/// Cash and recognised revenue up to a day, of one provider, tariff, item type and currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeferredSums {
    pub provider_id: Uuid,
    pub tariff_id: Uuid,
    pub item_type: String,
    pub currency: String,
    pub charged: Decimal,
    pub recognised: Decimal,
}

/// Cash revenue and recognised revenue on days up to and including `as_of`, per provider ×
/// tariff × item type × currency, rows with nothing deferred left out.
pub async fn deferred_revenue(
    pool: &sqlx::PgPool,
    as_of: NaiveDate,
    provider_id: Option<Uuid>,
    currency: Option<&str>,
    sandbox: bool,
) -> Result<Vec<DeferredSums>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT provider_id, tariff_id, item_type, currency,
                sum(cash) AS charged, sum(recognised) AS recognised
           FROM (SELECT provider_id, tariff_id, item_type, currency,
                        charged - credited - corrected AS cash, 0 AS recognised
                   FROM report_revenue_daily
                  WHERE day <= $1
                 UNION ALL
                 SELECT provider_id, tariff_id, item_type, currency,
                        0, charged - credited - corrected
                   FROM report_recognised_daily
                  WHERE day <= $1) AS both_bases
          WHERE ($2::uuid IS NULL OR provider_id = $2)
            AND ($3::text IS NULL OR currency = $3)
            AND {sandbox}
          GROUP BY 1, 2, 3, 4
         HAVING sum(cash) <> sum(recognised)
          ORDER BY 1, 2, 3, 4",
        sandbox = sandbox_clause(4)
    ))
    .bind(as_of)
    .bind(provider_id)
    .bind(currency)
    .bind(sandbox)
    .fetch_all(pool)
    .await
}

/// Payment sums of one day or month, provider, method and account currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentsSums {
    pub period_start: NaiveDate,
    pub provider_id: Uuid,
    pub method: String,
    pub currency: String,
    pub payments_count: i64,
    pub payments_amount: Decimal,
    pub refunds_count: i64,
    pub refunds_amount: Decimal,
    pub reversals_count: i64,
    pub reversals_amount: Decimal,
}

/// Payments, refunds and reversals per day or month × provider × method × currency.
pub async fn payments(
    pool: &sqlx::PgPool,
    filter: ReportFilter<'_>,
    method: Option<&str>,
) -> Result<Vec<PaymentsSums>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT CASE WHEN $1 THEN date_trunc('month', day)::date ELSE day END AS period_start,
                provider_id, method, currency,
                sum(payments_count)::bigint AS payments_count,
                sum(payments_amount) AS payments_amount,
                sum(refunds_count)::bigint AS refunds_count,
                sum(refunds_amount) AS refunds_amount,
                sum(reversals_count)::bigint AS reversals_count,
                sum(reversals_amount) AS reversals_amount
           FROM report_payments_daily
          WHERE day >= $2 AND day < $3
            AND ($4::uuid IS NULL OR provider_id = $4)
            AND ($5::text IS NULL OR currency = $5)
            AND ($6::text IS NULL OR method = $6)
            AND {sandbox}
          GROUP BY 1, 2, 3, 4
          ORDER BY 1, 2, 3, 4",
        sandbox = sandbox_clause(7)
    ))
    .bind(filter.monthly)
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.provider_id)
    .bind(filter.currency)
    .bind(method)
    .bind(filter.sandbox)
    .fetch_all(pool)
    .await
}

/// A personal account below zero.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DebtorAccount {
    pub account_id: Uuid,
    pub client_id: Uuid,
    pub provider_id: Uuid,
    pub currency: String,
    pub balance: Decimal,
    pub negative_since: DateTime<Utc>,
}

/// Every account below zero, longest negative first.
pub async fn debtors(
    pool: &sqlx::PgPool,
    provider_id: Option<Uuid>,
    currency: Option<&str>,
    sandbox: bool,
) -> Result<Vec<DebtorAccount>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT account_id, client_id, provider_id, currency, balance, negative_since
           FROM report_accounts
          WHERE negative_since IS NOT NULL AND balance < 0
            AND ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::text IS NULL OR currency = $2)
            AND {sandbox}
          ORDER BY negative_since, balance, account_id",
        sandbox = sandbox_clause(3)
    ))
    .bind(provider_id)
    .bind(currency)
    .bind(sandbox)
    .fetch_all(pool)
    .await
}

/// New, lost and active clients of one provider in one month.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientsMonth {
    pub month: NaiveDate,
    pub provider_id: Uuid,
    pub new_clients: i64,
    pub lost_clients: i64,
    pub active_clients: i64,
}

/// New, lost and active clients per month of `[from, to)` (first days of months) and provider.
pub async fn clients(
    pool: &sqlx::PgPool,
    from: NaiveDate,
    to: NaiveDate,
    provider_id: Option<Uuid>,
    sandbox: bool,
) -> Result<Vec<ClientsMonth>, sqlx::Error> {
    sqlx::query_as(&format!(
        "WITH months AS (
              SELECT m::date AS month, (m + interval '1 month')::date AS next
                FROM generate_series($1::date, $2::date - 1, interval '1 month') AS m),
              providers AS (
              SELECT DISTINCT provider_id FROM report_clients
               WHERE ($3::uuid IS NULL OR provider_id = $3) AND {sandbox}),
              spans AS (
              SELECT client_id, provider_id, active_from, active_until
                FROM report_client_activity
              UNION ALL
              SELECT client_id, provider_id, active_since, NULL FROM report_clients
               WHERE active_since IS NOT NULL)
         SELECT m.month, p.provider_id,
                (SELECT count(*) FROM report_clients c
                  WHERE c.provider_id = p.provider_id
                    AND c.registered_on >= m.month AND c.registered_on < m.next) AS new_clients,
                (SELECT count(*) FROM report_clients c
                  WHERE c.provider_id = p.provider_id
                    AND c.lost_on >= m.month AND c.lost_on < m.next) AS lost_clients,
                (SELECT count(DISTINCT s.client_id) FROM spans s
                  WHERE s.provider_id = p.provider_id
                    AND s.active_from < m.next
                    AND (s.active_until IS NULL OR s.active_until >= m.month)) AS active_clients
           FROM months m CROSS JOIN providers p
          ORDER BY m.month, p.provider_id",
        sandbox = sandbox_clause(4)
    ))
    .bind(from)
    .bind(to)
    .bind(provider_id)
    .bind(sandbox)
    .fetch_all(pool)
    .await
}

/// How many services of one tariff are in one status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServicesCount {
    pub provider_id: Uuid,
    pub tariff_id: Uuid,
    pub item_type: String,
    pub status: String,
    pub services: i64,
}

/// Services by provider, tariff, item type and status.
pub async fn services(
    pool: &sqlx::PgPool,
    provider_id: Option<Uuid>,
    status: Option<&str>,
    sandbox: bool,
) -> Result<Vec<ServicesCount>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT provider_id, tariff_id, item_type, status, count(*) AS services
           FROM report_services
          WHERE ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::text IS NULL OR status = $2)
            AND {sandbox}
          GROUP BY 1, 2, 3, 4
          ORDER BY 1, 2, 3, 4",
        sandbox = sandbox_clause(3)
    ))
    .bind(provider_id)
    .bind(status)
    .bind(sandbox)
    .fetch_all(pool)
    .await
}

/// Monthly recurring revenue of one provider in one currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MrrSums {
    pub provider_id: Uuid,
    pub currency: String,
    pub active_services: i64,
    pub mrr: Decimal,
}

/// The monthly prices of active services summed per provider and currency.
pub async fn mrr(
    pool: &sqlx::PgPool,
    provider_id: Option<Uuid>,
    currency: Option<&str>,
    sandbox: bool,
) -> Result<Vec<MrrSums>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT provider_id, currency, count(*) AS active_services, sum(mrr) AS mrr
           FROM report_services
          WHERE status = 'active'
            AND ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::text IS NULL OR currency = $2)
            AND {sandbox}
          GROUP BY 1, 2
          ORDER BY 1, 2",
        sandbox = sandbox_clause(3)
    ))
    .bind(provider_id)
    .bind(currency)
    .bind(sandbox)
    .fetch_all(pool)
    .await
}

/// Revenue per day and currency since `since` (cash basis), for the dashboard's chart.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DailyRevenue {
    pub day: NaiveDate,
    pub currency: String,
    pub revenue: Decimal,
}

/// Cash revenue of live providers per day and currency from `since` on, ordered by day and
/// currency.
pub async fn daily_revenue_since(
    pool: &sqlx::PgPool,
    since: NaiveDate,
) -> Result<Vec<DailyRevenue>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT day, currency, sum(charged - credited - corrected) AS revenue
           FROM report_revenue_daily WHERE day >= $1 AND {sandbox}
          GROUP BY 1, 2 ORDER BY 1, 2",
        sandbox = sandbox_clause(2)
    ))
    .bind(since)
    .bind(false)
    .fetch_all(pool)
    .await
}
