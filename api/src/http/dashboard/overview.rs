//! The overview: the figures a hosting business watches, each block only for a staff member who
//! may read the same over the API (the report or list it comes from), and the revenue of the
//! last 30 days and 12 months, one chart per currency with its axes.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Datelike, Days, Months, NaiveDate};
use projections::reports::{ReportFilter, RevenueBasis};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::format::negative;
use super::{Layout, Session, failed, render, signed_in};
use crate::http::auth::Queues;
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
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
    /// The revenue charts of the last 30 days, one per currency.
    charts: Option<Vec<Chart>>,
    /// The revenue charts of the last 12 months, one per currency.
    monthly: Option<Vec<Chart>>,
    /// Tickets waiting for an answer per department (the staff member's queues).
    tickets: Option<Vec<TicketsWaiting>>,
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

struct TicketsWaiting {
    department: String,
    count: i64,
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
    let lang = session.lang;
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
            sandbox: false,
        };
        let month = projections::reports::payments(pool, filter(month_start), None).await?;
        let mut figures = Vec::new();
        for (label, rows) in [
            (
                "overview-income-today",
                month.iter().filter(|r| r.period_start == today).collect(),
            ),
            ("overview-income-month", month.iter().collect::<Vec<_>>()),
        ] {
            let mut per_currency: BTreeMap<&str, Decimal> = BTreeMap::new();
            for row in rows {
                *per_currency.entry(row.currency.as_str()).or_default() +=
                    row.payments_amount - row.refunds_amount - row.reversals_amount;
            }
            if per_currency.is_empty() {
                figures.push(Figure {
                    label: lang.t(label),
                    value: lang.t("overview-none"),
                });
            }
            for (currency, sum) in per_currency {
                figures.push(Figure {
                    label: lang.t(label),
                    value: lang.money(sum, currency),
                });
            }
        }
        Some(figures)
    } else {
        None
    };
    let mrr = if session.may("GET", "/v1/reports/mrr") {
        let rows = projections::reports::mrr(pool, None, None, false).await?;
        let mut per_currency: BTreeMap<&str, Decimal> = BTreeMap::new();
        for row in &rows {
            *per_currency.entry(row.currency.as_str()).or_default() += row.mrr;
        }
        Some(
            per_currency
                .into_iter()
                .map(|(currency, sum)| Figure {
                    label: lang.t("overview-mrr"),
                    value: lang.money(sum, currency),
                })
                .collect(),
        )
    } else {
        None
    };
    let debtors_shown = session.may("GET", "/v1/reports/debtors");
    // Live providers only, the owed total and the list alike (a sandbox's clients are not owed
    // anything real).
    let debtor_rows = if debtors_shown {
        projections::reports::debtors(pool, None, None, false).await?
    } else {
        Vec::new()
    };
    let owed = if debtors_shown {
        let rows = &debtor_rows;
        let mut per_currency: BTreeMap<&str, Decimal> = BTreeMap::new();
        for row in rows {
            *per_currency.entry(row.currency.as_str()).or_default() -= row.balance;
        }
        let figures = per_currency
            .into_iter()
            .map(|(currency, sum)| Figure {
                label: lang.t("overview-owed"),
                value: lang.money(sum, currency),
            })
            .collect();
        Some((figures, rows.len()))
    } else {
        None
    };
    let debtors = if debtors_shown {
        let mut lines = debtor_rows;
        lines.sort_by(|a, b| {
            a.balance
                .cmp(&b.balance)
                .then(a.account_id.cmp(&b.account_id))
        });
        lines.truncate(10);
        let ids: Vec<Uuid> = lines.iter().map(|line| line.client_id).collect();
        let names: HashMap<Uuid, String> = projections::clients::names(pool, &ids)
            .await?
            .into_iter()
            .collect();
        Some(
            lines
                .into_iter()
                .map(|line| Debtor {
                    client_id: line.client_id.to_string(),
                    name: names.get(&line.client_id).cloned().unwrap_or_default(),
                    balance: lang.money(line.balance, &line.currency),
                })
                .collect(),
        )
    } else {
        None
    };
    let services = if session.may("GET", "/v1/reports/services") {
        let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
        for count in projections::reports::services(pool, None, None, false).await? {
            *by_status.entry(count.status).or_default() += count.services;
        }
        Some(by_status.into_iter().collect())
    } else {
        None
    };
    let operations = if session.may("GET", "/v1/operations") {
        let (pending, failed) = projections::services::operations_waiting_count(pool).await?;
        let oldest = projections::services::operations_waiting(pool, 10).await?;
        let clients: Vec<Uuid> = oldest.iter().map(|o| o.client_id).collect();
        let services: Vec<Uuid> = oldest.iter().map(|o| o.service_id).collect();
        let clients: HashMap<Uuid, String> = projections::clients::names(pool, &clients)
            .await?
            .into_iter()
            .collect();
        let services: HashMap<Uuid, String> = projections::services::names(pool, &services)
            .await?
            .into_iter()
            .collect();
        Some(Operations {
            pending,
            failed,
            oldest: oldest
                .into_iter()
                .map(|o| WaitingLine {
                    kind: o.kind,
                    status: o.status,
                    client_id: o.client_id.to_string(),
                    client: clients.get(&o.client_id).cloned().unwrap_or_default(),
                    service: services.get(&o.service_id).cloned().unwrap_or_default(),
                    since: session.zone.time(o.created_at),
                })
                .collect(),
        })
    } else {
        None
    };
    let (charts, monthly) = if session.may("GET", "/v1/reports/revenue") {
        let since = today.checked_sub_days(Days::new(29)).unwrap_or(today);
        let revenue = projections::reports::daily_revenue_since(pool, since).await?;
        let month = today.with_day(1).unwrap_or(today);
        let months: Vec<NaiveDate> = (0..12)
            .rev()
            .filter_map(|back| month.checked_sub_months(Months::new(back)))
            .collect();
        let from = months.first().copied().unwrap_or(month);
        let to = month.checked_add_months(Months::new(1)).unwrap_or(month);
        let filter = ReportFilter {
            from,
            to,
            monthly: true,
            provider_id: None,
            currency: None,
            sandbox: false,
        };
        let by_month = projections::reports::revenue(pool, RevenueBasis::Cash, filter).await?;
        (
            Some(daily_charts(lang, &revenue, since, today)),
            Some(monthly_charts(lang, &by_month, &months)),
        )
    } else {
        (None, None)
    };
    let tickets = if session.may("GET", "/v1/ticket-queue") {
        let departments = Queues::of(&session.principal).narrow(None)?;
        let waiting = projections::support::waiting_by_department(pool, departments).await?;
        let ids: Vec<Uuid> = waiting.iter().map(|(id, _, _)| *id).collect();
        let names: HashMap<Uuid, String> = projections::access::department_names(pool, &ids)
            .await?
            .into_iter()
            .collect();
        Some(
            waiting
                .into_iter()
                .map(|(department, count, since)| TicketsWaiting {
                    department: names.get(&department).cloned().unwrap_or_default(),
                    count,
                    since: session.zone.time(since),
                })
                .collect(),
        )
    } else {
        None
    };
    let empty = income.is_none()
        && mrr.is_none()
        && owed.is_none()
        && services.is_none()
        && operations.is_none()
        && tickets.is_none()
        && charts.is_none();
    Ok(OverviewPage {
        layout: session.layout(lang.t("overview-title")),
        income,
        mrr,
        owed,
        services,
        operations,
        debtors,
        charts,
        monthly,
        tickets,
        empty,
    })
}

/// One chart per currency of the revenue per day from `since` to `today`.
fn daily_charts(
    lang: Lang,
    revenue: &[projections::reports::DailyRevenue],
    since: NaiveDate,
    today: NaiveDate,
) -> Vec<Chart> {
    let days = usize::try_from((today - since).num_days() + 1)
        .unwrap_or(30)
        .max(1);
    let slots: Vec<NaiveDate> = (0..days)
        .filter_map(|i| since.checked_add_days(Days::new(u64::try_from(i).ok()?)))
        .collect();
    let mut per_currency: BTreeMap<&str, Vec<Decimal>> = BTreeMap::new();
    for row in revenue {
        let series = per_currency
            .entry(row.currency.as_str())
            .or_insert_with(|| vec![Decimal::ZERO; slots.len()]);
        if let Some(slot) = slots
            .iter()
            .position(|day| *day == row.day)
            .and_then(|i| series.get_mut(i))
        {
            *slot += row.revenue;
        }
    }
    let names: Vec<String> = slots.iter().map(|d| lang.date(*d)).collect();
    let day_label = match lang {
        Lang::Ru => "%d.%m",
        Lang::En => "%b %d",
    };
    let labels: Vec<String> = slots
        .iter()
        .map(|d| d.format(day_label).to_string())
        .collect();
    per_currency
        .into_iter()
        .map(|(currency, series)| chart(lang, currency, &series, &names, &labels, 7))
        .collect()
}

/// One chart per currency of the revenue per month of the twelve `months` (first days).
fn monthly_charts(
    lang: Lang,
    revenue: &[projections::reports::RevenueSums],
    months: &[NaiveDate],
) -> Vec<Chart> {
    let mut per_currency: BTreeMap<&str, Vec<Decimal>> = BTreeMap::new();
    for row in revenue {
        let series = per_currency
            .entry(row.currency.as_str())
            .or_insert_with(|| vec![Decimal::ZERO; months.len()]);
        if let Some(slot) = months
            .iter()
            .position(|month| *month == row.period_start)
            .and_then(|i| series.get_mut(i))
        {
            *slot += row.charged - row.credited - row.corrected;
        }
    }
    let (name, label) = match lang {
        Lang::Ru => ("%m.%Y", "%m.%y"),
        Lang::En => ("%Y-%m", "%b %y"),
    };
    let names: Vec<String> = months.iter().map(|m| m.format(name).to_string()).collect();
    let labels: Vec<String> = months.iter().map(|m| m.format(label).to_string()).collect();
    per_currency
        .into_iter()
        .map(|(currency, series)| chart(lang, currency, &series, &names, &labels, 1))
        .collect()
}

/// The chart of one currency's `series`: a bar per slot (`names` in the bars' titles) scaled
/// to the largest, a value axis with three ticks, and every `step`th slot's label on the time
/// axis.
fn chart(
    lang: Lang,
    currency: &str,
    series: &[Decimal],
    names: &[String],
    labels: &[String],
    step: usize,
) -> Chart {
    let slot = CHART_WIDTH / u32::try_from(series.len().max(1)).unwrap_or(30);
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
    let x_of = |index: usize| CHART_LEFT + u32::try_from(index).unwrap_or(0) * slot;
    let bars = series
        .iter()
        .zip(names)
        .enumerate()
        .map(|(index, (value, name))| {
            let height = scale(*value);
            Bar {
                x: x_of(index) + 1,
                y: CHART_TOP + CHART_HEIGHT - height,
                height,
                title: format!("{name}: {}", lang.money(*value, currency)),
            }
        })
        .collect();
    let ticks = [Decimal::ZERO, max / Decimal::TWO, max]
        .into_iter()
        .map(|value| {
            (
                CHART_TOP + CHART_HEIGHT - scale(value),
                lang.amount(value.round_dp(2), currency),
            )
        })
        .collect();
    let days = labels
        .iter()
        .enumerate()
        .step_by(step.max(1))
        .map(|(index, label)| (x_of(index), label.clone()))
        .collect();
    Chart {
        currency: currency.to_owned(),
        bars,
        ticks,
        days,
        total: lang.money(series.iter().copied().sum::<Decimal>(), currency),
        bar_width: slot.saturating_sub(2).max(1),
    }
}
