//! The overview: the figures a hosting business watches, each block only for a staff member who
//! may read the same over the API (the report or list it comes from), and the revenue of the
//! last 30 days, one chart per currency with its axes.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Datelike, Days, NaiveDate};
use projections::reports::ReportFilter;
use rust_decimal::Decimal;

use super::format::{amount, money, negative};
use super::{Layout, Session, failed, render, signed_in};
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// The overview page.
#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    layout: Layout,
    /// Income (payments less refunds and reversals) per currency: today, this month.
    income: Option<Vec<Figure>>,
    /// Monthly recurring revenue per currency.
    mrr: Option<Vec<Figure>>,
    /// What debtors owe per currency, and how many debtor accounts there are.
    owed: Option<(Vec<Figure>, usize)>,
    /// Services per status.
    services: Option<Vec<(String, i64)>>,
    /// Operations pending and failed, and the oldest of them.
    operations: Option<Operations>,
    /// The largest debts.
    debtors: Option<Vec<Debtor>>,
    /// The revenue charts, one per currency.
    charts: Option<Vec<Chart>>,
    /// Whether nothing at all may be shown.
    empty: bool,
}

/// A figure of a card: what it counts, and the amount.
struct Figure {
    label: String,
    value: String,
}

struct Operations {
    pending: i64,
    failed: i64,
    oldest: Vec<WaitingLine>,
}

struct WaitingLine {
    kind: String,
    status: String,
    client_id: String,
    client: String,
    service: String,
    since: String,
}

struct Debtor {
    client_id: String,
    name: String,
    balance: String,
}

/// One currency's revenue per day, drawn as bars on axes.
struct Chart {
    currency: String,
    bars: Vec<Bar>,
    /// The value axis: (y, label) from zero to the largest day.
    ticks: Vec<(u32, String)>,
    /// The time axis: (x, label) every week.
    days: Vec<(u32, String)>,
    total: String,
    bar_width: u32,
}

struct Bar {
    x: u32,
    y: u32,
    height: u32,
    title: String,
}

/// The chart's drawing area, in SVG units, left of it the value labels and below the days
/// (`overview.html` draws the axes at these numbers: x from 70 to 730, the baseline at 160).
const CHART_LEFT: u32 = 70;
const CHART_WIDTH: u32 = 660;
const CHART_HEIGHT: u32 = 150;
const CHART_TOP: u32 = 10;

pub(super) async fn overview(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    match overview_page(&state, &session).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

async fn overview_page(state: &AppState, session: &Session) -> Result<OverviewPage, ApiError> {
    let today = state.today();
    let pool = &state.pool;
    let income = if session.may("GET", "/v1/reports/payments") {
        let month_start = today.with_day(1).unwrap_or(today);
        let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
        let filter = |from: NaiveDate| ReportFilter {
            from,
            to: tomorrow,
            monthly: false,
            provider_id: None,
            currency: None,
        };
        let month = projections::reports::payments(pool, filter(month_start), None).await?;
        let mut figures = Vec::new();
        for (label, rows) in [
            (
                "today",
                month.iter().filter(|r| r.period_start == today).collect(),
            ),
            ("this month", month.iter().collect::<Vec<_>>()),
        ] {
            let mut per_currency: BTreeMap<&str, Decimal> = BTreeMap::new();
            for row in rows {
                *per_currency.entry(row.currency.as_str()).or_default() +=
                    row.payments_amount - row.refunds_amount - row.reversals_amount;
            }
            if per_currency.is_empty() {
                figures.push(Figure {
                    label: format!("income {label}"),
                    value: "none".to_owned(),
                });
            }
            for (currency, sum) in per_currency {
                figures.push(Figure {
                    label: format!("income {label}"),
                    value: money(sum, currency),
                });
            }
        }
        Some(figures)
    } else {
        None
    };
    let mrr = if session.may("GET", "/v1/reports/mrr") {
        let rows = projections::reports::mrr(pool, None, None).await?;
        let mut per_currency: BTreeMap<&str, Decimal> = BTreeMap::new();
        for row in &rows {
            *per_currency.entry(row.currency.as_str()).or_default() += row.mrr;
        }
        Some(
            per_currency
                .into_iter()
                .map(|(currency, sum)| Figure {
                    label: "MRR".to_owned(),
                    value: money(sum, currency),
                })
                .collect(),
        )
    } else {
        None
    };
    let debtors_shown = session.may("GET", "/v1/reports/debtors");
    let owed = if debtors_shown {
        let rows = projections::reports::debtors(pool, None, None).await?;
        let mut per_currency: BTreeMap<&str, Decimal> = BTreeMap::new();
        for row in &rows {
            *per_currency.entry(row.currency.as_str()).or_default() -= row.balance;
        }
        let figures = per_currency
            .into_iter()
            .map(|(currency, sum)| Figure {
                label: "owed".to_owned(),
                value: money(sum, currency),
            })
            .collect();
        Some((figures, rows.len()))
    } else {
        None
    };
    let debtors = if debtors_shown {
        let lines = projections::balances::lowest_below_zero(pool, 10).await?;
        Some(
            lines
                .into_iter()
                .map(|line| Debtor {
                    client_id: line.client_id.to_string(),
                    name: line.name,
                    balance: money(line.balance, &line.currency),
                })
                .collect(),
        )
    } else {
        None
    };
    let services = if session.may("GET", "/v1/reports/services") {
        let counts = projections::services::count_by_status(pool).await?;
        Some(counts.into_iter().map(|c| (c.status, c.services)).collect())
    } else {
        None
    };
    let operations = if session.may("GET", "/v1/operations") {
        let (pending, failed) = projections::services::operations_waiting_count(pool).await?;
        let oldest = projections::services::operations_waiting(pool, 10).await?;
        Some(Operations {
            pending,
            failed,
            oldest: oldest
                .into_iter()
                .map(|o| WaitingLine {
                    kind: o.kind,
                    status: o.status,
                    client_id: o.client_id.to_string(),
                    client: o.client_name,
                    service: o.tariff_name,
                    since: session.zone.time(o.created_at),
                })
                .collect(),
        })
    } else {
        None
    };
    let charts = if session.may("GET", "/v1/reports/revenue") {
        let since = today.checked_sub_days(Days::new(29)).unwrap_or(today);
        let revenue = projections::reports::daily_revenue_since(pool, since).await?;
        Some(charts(&revenue, since, today))
    } else {
        None
    };
    let empty = income.is_none()
        && mrr.is_none()
        && owed.is_none()
        && services.is_none()
        && operations.is_none()
        && charts.is_none();
    Ok(OverviewPage {
        layout: session.layout("Overview"),
        income,
        mrr,
        owed,
        services,
        operations,
        debtors,
        charts,
        empty,
    })
}

/// One chart per currency of the revenue per day from `since` to `today`: bars scaled to the
/// largest day, a value axis with three ticks and a day label every week.
fn charts(
    revenue: &[projections::reports::DailyRevenue],
    since: NaiveDate,
    today: NaiveDate,
) -> Vec<Chart> {
    let days = usize::try_from((today - since).num_days() + 1)
        .unwrap_or(30)
        .max(1);
    let mut per_currency: BTreeMap<&str, Vec<Decimal>> = BTreeMap::new();
    for row in revenue {
        let series = per_currency
            .entry(row.currency.as_str())
            .or_insert_with(|| vec![Decimal::ZERO; days]);
        if let Ok(index) = usize::try_from((row.day - since).num_days())
            && let Some(slot) = series.get_mut(index)
        {
            *slot += row.revenue;
        }
    }
    let slot = CHART_WIDTH / u32::try_from(days).unwrap_or(30);
    per_currency
        .into_iter()
        .map(|(currency, series)| {
            let max = series.iter().copied().fold(Decimal::ZERO, Decimal::max);
            let scale = |value: Decimal| -> u32 {
                if max > Decimal::ZERO && !negative(value) {
                    (value * Decimal::from(CHART_HEIGHT) / max)
                        .round()
                        .try_into()
                        .unwrap_or(0)
                } else {
                    0
                }
            };
            let bars = series
                .iter()
                .enumerate()
                .map(|(index, value)| {
                    let height = scale(*value);
                    let day = since
                        .checked_add_days(Days::new(u64::try_from(index).unwrap_or(0)))
                        .map(|d| d.to_string())
                        .unwrap_or_default();
                    Bar {
                        x: CHART_LEFT + u32::try_from(index).unwrap_or(0) * slot + 1,
                        y: CHART_TOP + CHART_HEIGHT - height,
                        height,
                        title: format!("{day}: {}", money(*value, currency)),
                    }
                })
                .collect();
            let ticks = [Decimal::ZERO, max / Decimal::TWO, max]
                .into_iter()
                .map(|value| {
                    (
                        CHART_TOP + CHART_HEIGHT - scale(value),
                        amount(value.round_dp(2), currency),
                    )
                })
                .collect();
            let labels = (0..days)
                .step_by(7)
                .filter_map(|index| {
                    let day = since.checked_add_days(Days::new(u64::try_from(index).ok()?))?;
                    let x = CHART_LEFT + u32::try_from(index).ok()? * slot;
                    Some((x, day.format("%b %d").to_string()))
                })
                .collect();
            let total = series.iter().copied().sum::<Decimal>();
            Chart {
                currency: currency.to_owned(),
                bars,
                ticks,
                days: labels,
                total: money(total, currency),
                bar_width: slot.saturating_sub(2).max(1),
            }
        })
        .collect()
}
