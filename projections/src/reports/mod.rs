// Over 800 lines: one projection writes the seven report tables from one folded state of services, charges and accounts; its queries are in `queries.rs`.
//! The reports read models (`report_*` tables): revenue, payments by method, debtors, new, lost
//! and active clients, services by tariff and status, and monthly recurring revenue. A report
//! query is a plain SELECT over these tables; nothing is computed from the log when it is read.
//!
//! The projection keeps its own map of services (provider, client, tariff, item type, price,
//! status), of charges (to attribute a later correction) and of accounts, so that it depends on no
//! other read model. A batch is applied in three steps: the rows the batch touches are read in a
//! few `= ANY` queries, the events are folded over them in memory in log order, and the changed
//! rows and the sums are written back with a few set-based statements (`unnest`).
//!
//! The exact definitions (ARCHITECTURE.md repeats them):
//! - **Day**: the UTC date of the event's `occurred_at`.
//! - **Revenue** per day, provider, tariff, item type and currency: charges (`ExpenseCharged`)
//!   minus credits (`ExpenseCredited`, the unused part of a changed tariff) minus corrections
//!   (`ExpenseCorrected`, staff giving back part or all of a charge). A charge and a credit are
//!   attributed to the tariff and item type the service is on when the account event is applied;
//!   the charge of a tariff change is moved to the new tariff (on its own day) when the service's
//!   `TariffChanged` arrives; a correction is attributed to its charge's tariff and item type, on
//!   the correction's own day.
//! - **Recognised revenue** (`report_recognised_daily`, accrual basis) has the same keys and
//!   columns, but each charge, credit and correction is spread per day over the service period it
//!   pays for or gives back (`domain::revenue::Recognition`: cumulative shares rounded down to the
//!   minor unit, so they add up to the amount exactly; days before the event's own day are
//!   recognised on that day). A correction is spread over its charge's period. The same
//!   attribution as the cash view holds, and the charge of a tariff change moves with its whole
//!   schedule. **Deferred revenue** as of a day is cash revenue up to that day less recognised
//!   revenue up to that day; the report computes it from the two tables.
//! - **Payments** per day, provider, method and account currency: the count and sum of payments
//!   credited to accounts (`PaymentPosted`, in the account's currency), of refunds
//!   (`PaymentRefunded`) and of reversals of fraudulent payments (`PaymentReversed`), each under
//!   the method of the payment it takes back, on its own day.
//! - **Debtors**: accounts whose balance is below zero, with the moment it went below zero
//!   (`negative_since`): the first money event that left it negative after it was zero or more.
//!   `report_accounts` keeps each account's debt: its balance while below zero, zero otherwise.
//! - **Clients**: new in a month = registered in it; lost = deleted in it; active = had at least
//!   one service in status `active` on at least one day of it (`report_client_activity`).
//! - **Services**: every service by provider, tariff, item type and status.
//! - **MRR**: each service's price per period normalised to a month (P1D × 30, P1M × 1, P3M / 3,
//!   P6M / 6, P12M / 12, rounded per service to the minor unit, half away from zero), before
//!   promo code discounts; the report sums it over services in status `active`.
//! - **Sandbox providers** (`report_sandbox_providers`, from `ProviderCreated { sandbox: true }`):
//!   every query takes `sandbox` and answers for live providers only (false) or for sandbox
//!   providers only (true); a sandbox's played year never mixes with live figures (ADR 20).
//! - **Domains** (`report_domains`, from `DomainOrdered`, version 6): a domain is no service, so
//!   its charges carry the domain's id; they count at its provider under the item type `domain`,
//!   with no tariff. The registration is charged just before the domain is recorded as ordered,
//!   so `DomainOrdered` moves that charge (and its schedule) from `unknown` to `domain`, as a
//!   tariff change moves its charge; a rebuild in any batch size gives the same rows.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::account::AccountEvent;
use domain::client::ClientEvent;
use domain::money::{Currency, Money};
use domain::period::BillingPeriod;
use domain::provider::ProviderEvent;
use domain::revenue::Recognition;
use domain::service::{ServiceEvent, ServiceStatus};
use domain::tariff::ServiceTerms;
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::copy::CopyRows;
use crate::{Projection, ProjectionError};

mod queries;

pub use queries::*;

/// The `report_*` tables.
pub struct Reports;

/// The item type of revenue whose service the projection does not know (never expected: a
/// service is ordered before it is charged).
const UNKNOWN: &str = "unknown";

/// A price per period normalised to one month, rounded once per service to the currency's minor
/// unit, half away from zero: a day counts as a thirtieth of a month, a period of `n` months
/// (a three-year domain's 36) as `n` months.
pub fn monthly(price: Money, period: BillingPeriod) -> Result<Money, domain::money::MoneyError> {
    match period.months() {
        0 => price.checked_mul(30),
        1 => Ok(price),
        months => price.prorate(1, months),
    }
}

/// Whether a service in `status` counts as active.
fn is_active(status: &str) -> bool {
    status == ServiceStatus::Active.as_str()
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    service_id: Uuid,
    provider_id: Uuid,
    client_id: Uuid,
    tariff_id: Uuid,
    item_type: String,
    period: String,
    currency: String,
    price_per_period: Decimal,
    mrr: Decimal,
    status: String,
    position: i64,
}

#[derive(sqlx::FromRow)]
struct ExpenseRow {
    expense_id: Uuid,
    day: NaiveDate,
    provider_id: Uuid,
    tariff_id: Uuid,
    item_type: String,
    currency: String,
    amount: Decimal,
    period_start: Option<NaiveDate>,
    period_end: Option<NaiveDate>,
}

impl ExpenseRow {
    /// How `amount` (this charge's, or part of it) is recognised over the charge's period, if
    /// booked on `booked_on`; a charge without a known period counts on that day alone.
    fn recognition(&self, amount: Money, booked_on: NaiveDate) -> Recognition {
        match (self.period_start, self.period_end) {
            (Some(start), Some(end)) => Recognition::new(amount, start, end, booked_on),
            _ => Recognition::new(amount, booked_on, booked_on, booked_on),
        }
    }
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    account_id: Uuid,
    client_id: Uuid,
    provider_id: Uuid,
    currency: String,
    balance: Decimal,
    negative_since: Option<DateTime<Utc>>,
    position: i64,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_id: Uuid,
    provider_id: Uuid,
    registered_on: NaiveDate,
    lost_on: Option<NaiveDate>,
    active_services: i32,
    active_since: Option<NaiveDate>,
    position: i64,
}

/// A revenue cell: day, provider, tariff, item type, currency.
type RevenueKey = (NaiveDate, Uuid, Uuid, String, String);

/// A revenue cell to write, its key borrowed.
type RevenueRow<'a> = ((NaiveDate, Uuid, Uuid, &'a str, &'a str), &'a RevenueCell);

/// What revenue is attributed to: provider, tariff, item type, currency.
type Attribution = (Uuid, Uuid, String, String);

/// The column of a revenue cell an amount adds to.
#[derive(Clone, Copy)]
enum Column {
    Charged,
    Credited,
    Corrected,
}

#[derive(Clone, Copy)]
struct RevenueCell {
    charged: Decimal,
    credited: Decimal,
    corrected: Decimal,
}

/// A payments cell: day, provider, method, currency.
type PaymentsKey = (NaiveDate, Uuid, String, String);

#[derive(Clone, Copy)]
struct PaymentsCell {
    payments_count: i64,
    payments_amount: Decimal,
    refunds_count: i64,
    refunds_amount: Decimal,
    reversals_count: i64,
    reversals_amount: Decimal,
}

fn zero_of(currency: &str) -> Decimal {
    Currency::parse(currency).map_or(Decimal::ZERO, |c| Money::zero(c).amount())
}

/// The currency's minor units, for SQL's `round`: a zero travels to PostgreSQL without its
/// scale, and a sum must read the same whether it was added up in one batch or in several.
fn scale_of(currency: &str) -> i32 {
    Currency::parse(currency)
        .ok()
        .and_then(|c| i32::try_from(c.minor_units()).ok())
        .unwrap_or(2)
}

/// One decoded event of interest.
enum Fact {
    Account(AccountEvent),
    /// Boxed: a service's terms make it much the largest fact.
    Service(Box<ServiceEvent>),
    Client(ClientEvent),
    Provider(ProviderEvent),
    /// A domain ordered at `provider`: its charges carry its id as their service's, and its
    /// registration (or transfer) was charged just before, as `expense`.
    DomainOrdered {
        provider: Uuid,
        expense: Uuid,
    },
}

struct Item<'a> {
    event: &'a StoredEvent,
    id: Uuid,
    at: DateTime<Utc>,
    fact: Fact,
}

/// The rows a batch reads, changes and writes back.
#[derive(Default)]
struct State {
    services: HashMap<Uuid, ServiceRow>,
    expenses: HashMap<Uuid, ExpenseRow>,
    accounts: HashMap<Uuid, AccountRow>,
    methods: HashMap<Uuid, String>,
    clients: HashMap<Uuid, ClientRow>,
    dirty_services: HashSet<Uuid>,
    dirty_expenses: HashSet<Uuid>,
    /// Charges first seen in the batch (no row yet): written with `COPY`, the rest upserted.
    new_expenses: HashSet<Uuid>,
    dirty_accounts: HashSet<Uuid>,
    new_methods: BTreeMap<Uuid, String>,
    dirty_clients: HashSet<Uuid>,
    activity: BTreeSet<(Uuid, Uuid, NaiveDate, NaiveDate)>,
    revenue: BTreeMap<RevenueKey, RevenueCell>,
    /// Recognised revenue by attribution, then by day: a month's charge adds to about thirty
    /// days of one attribution, found once.
    recognised: HashMap<Attribution, BTreeMap<NaiveDate, RevenueCell>>,
    payments: BTreeMap<PaymentsKey, PaymentsCell>,
    /// Sandbox providers created in the batch, with their positions.
    sandboxes: BTreeMap<Uuid, i64>,
    /// The provider of each domain the batch's charges name or orders (ADR 33).
    domains: HashMap<Uuid, Uuid>,
    /// Domains ordered in the batch, with their providers and positions.
    new_domains: BTreeMap<Uuid, (Uuid, i64)>,
}

fn malformed(what: &str, error: impl std::fmt::Display) -> ProjectionError {
    ProjectionError::Malformed(format!("{what}: {error}"))
}

fn decode(event: &StoredEvent) -> Result<Option<Item<'_>>, ProjectionError> {
    let fact = match event.aggregate_type.as_str() {
        "Account" => Fact::Account(event.decode()?),
        "Service" => Fact::Service(Box::new(event.decode()?)),
        "Client" => Fact::Client(event.decode()?),
        "Provider" => Fact::Provider(event.decode()?),
        "Domain" if event.event_type == "DomainOrdered" => {
            match event.decode::<domain::domains::DomainEvent>()? {
                domain::domains::DomainEvent::DomainOrdered {
                    provider_id,
                    operation,
                    ..
                } => Fact::DomainOrdered {
                    provider: provider_id.as_uuid(),
                    expense: operation.expense_id().as_uuid(),
                },
                _ => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    let id = Uuid::parse_str(&event.aggregate_id).map_err(|e| malformed("aggregate id", e))?;
    Ok(Some(Item {
        event,
        id,
        at: event.metadata()?.occurred_at,
        fact,
    }))
}

#[async_trait]
impl Projection for Reports {
    fn name(&self) -> &'static str {
        crate::ReadModel::Reports.name()
    }

    fn version(&self) -> i32 {
        // 2: recognised revenue, and the period of each charge.
        // 3: revenue without the VAT of taxed charges, credits and corrections.
        // 4: `report_accounts` keeps the debt (the balance below zero, else zero).
        // 5: `report_sandbox_providers`, which the queries keep apart from live providers.
        // 6: `report_domains`: a domain's charges count under the item type `domain`.
        // 7: a service moved to another client counts among that client's active services.
        7
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "report_services",
            "report_expenses",
            "report_revenue_daily",
            "report_recognised_daily",
            "report_payment_methods",
            "report_payments_daily",
            "report_accounts",
            "report_clients",
            "report_client_activity",
            "report_sandbox_providers",
            "report_domains",
        ]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut items = Vec::new();
        for event in events {
            if let Some(item) = decode(event).map_err(|e| e.at(event))? {
                items.push(item);
            }
        }
        if items.is_empty() {
            return Ok(());
        }
        let mut state = State::default();
        load(tx, &items, &mut state).await?;
        for item in &items {
            fold(&mut state, item).map_err(|e| e.at(item.event))?;
        }
        write(tx, state).await
    }
}

/// Reads the rows the batch's events refer to.
async fn load(
    tx: &mut PgConnection,
    items: &[Item<'_>],
    state: &mut State,
) -> Result<(), ProjectionError> {
    let mut services = HashSet::new();
    let mut expenses = HashSet::new();
    let mut accounts = HashSet::new();
    let mut payments = HashSet::new();
    let mut clients = HashSet::new();
    for item in items {
        match &item.fact {
            Fact::Account(event) => {
                accounts.insert(item.id);
                match event {
                    AccountEvent::ExpenseCharged { expense, .. }
                    | AccountEvent::ExpenseCredited { expense, .. } => {
                        services.insert(expense.service_id.as_uuid());
                    }
                    AccountEvent::ExpenseCorrected { expense_id, .. } => {
                        expenses.insert(expense_id.as_uuid());
                    }
                    AccountEvent::PaymentRefunded { payment_id, .. }
                    | AccountEvent::PaymentReversed { payment_id, .. } => {
                        payments.insert(payment_id.as_uuid());
                    }
                    _ => {}
                }
            }
            Fact::Service(event) => {
                services.insert(item.id);
                if let ServiceEvent::TariffChanged {
                    charge_expense_id, ..
                } = event.as_ref()
                {
                    expenses.insert(charge_expense_id.as_uuid());
                }
            }
            Fact::Client(_) => {
                clients.insert(item.id);
            }
            Fact::DomainOrdered { expense, .. } => {
                expenses.insert(*expense);
            }
            Fact::Provider(_) => {}
        }
    }
    let ids = |set: HashSet<Uuid>| set.into_iter().collect::<Vec<_>>();
    // A charge's service may be a domain's id: the domains among them, with their providers.
    if !services.is_empty() {
        let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
            "SELECT domain_id, provider_id FROM report_domains WHERE domain_id = ANY($1)",
        )
        .bind(ids(services.clone()))
        .fetch_all(&mut *tx)
        .await?;
        state.domains.extend(rows);
    }
    if !services.is_empty() {
        let rows: Vec<ServiceRow> = sqlx::query_as(
            "SELECT service_id, provider_id, client_id, tariff_id, item_type, period, currency,
                    price_per_period, mrr, status, position
               FROM report_services WHERE service_id = ANY($1)",
        )
        .bind(ids(services))
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            clients.insert(row.client_id);
            state.services.insert(row.service_id, row);
        }
    }
    // Services ordered in this batch, or moved to another client, belong to clients whose rows
    // the fold may change.
    for item in items {
        if let Fact::Service(event) = &item.fact
            && let ServiceEvent::ServiceOrdered { client_id, .. }
            | ServiceEvent::ServiceImported { client_id, .. }
            | ServiceEvent::ServiceTransferred {
                to_client: client_id,
                ..
            } = event.as_ref()
        {
            clients.insert(client_id.as_uuid());
        }
    }
    if !expenses.is_empty() {
        let rows: Vec<ExpenseRow> = sqlx::query_as(
            "SELECT expense_id, day, provider_id, tariff_id, item_type, currency, amount,
                    period_start, period_end
               FROM report_expenses WHERE expense_id = ANY($1)",
        )
        .bind(ids(expenses))
        .fetch_all(&mut *tx)
        .await?;
        state
            .expenses
            .extend(rows.into_iter().map(|row| (row.expense_id, row)));
    }
    if !accounts.is_empty() {
        let rows: Vec<AccountRow> = sqlx::query_as(
            "SELECT account_id, client_id, provider_id, currency, balance, negative_since, position
               FROM report_accounts WHERE account_id = ANY($1)",
        )
        .bind(ids(accounts))
        .fetch_all(&mut *tx)
        .await?;
        state
            .accounts
            .extend(rows.into_iter().map(|row| (row.account_id, row)));
    }
    if !payments.is_empty() {
        let rows: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT payment_id, method FROM report_payment_methods WHERE payment_id = ANY($1)",
        )
        .bind(ids(payments))
        .fetch_all(&mut *tx)
        .await?;
        state.methods.extend(rows);
    }
    if !clients.is_empty() {
        let rows: Vec<ClientRow> = sqlx::query_as(
            "SELECT client_id, provider_id, registered_on, lost_on, active_services, active_since,
                    position
               FROM report_clients WHERE client_id = ANY($1)",
        )
        .bind(ids(clients))
        .fetch_all(&mut *tx)
        .await?;
        state
            .clients
            .extend(rows.into_iter().map(|row| (row.client_id, row)));
    }
    Ok(())
}

impl State {
    fn revenue_cell(&mut self, key: RevenueKey) -> &mut RevenueCell {
        let zero = zero_of(&key.4);
        self.revenue.entry(key).or_insert(RevenueCell {
            charged: zero,
            credited: zero,
            corrected: zero,
        })
    }

    /// Adds `recognition`'s daily shares (subtracts them, with `negate`) to `column` of the
    /// recognised revenue of `to`.
    fn recognise(
        &mut self,
        to: &Attribution,
        column: Column,
        recognition: &Recognition,
        negate: bool,
    ) -> Result<(), ProjectionError> {
        let shares = recognition
            .daily()
            .map_err(|e| malformed("recognised revenue", e))?;
        let zero = zero_of(&to.3);
        let days = match self.recognised.get_mut(to) {
            Some(days) => days,
            None => self.recognised.entry(to.clone()).or_default(),
        };
        for (day, share) in shares {
            let cell = days.entry(day).or_insert(RevenueCell {
                charged: zero,
                credited: zero,
                corrected: zero,
            });
            let share = if negate {
                -share.amount()
            } else {
                share.amount()
            };
            match column {
                Column::Charged => cell.charged += share,
                Column::Credited => cell.credited += share,
                Column::Corrected => cell.corrected += share,
            }
        }
        Ok(())
    }

    fn payments_cell(&mut self, key: PaymentsKey) -> &mut PaymentsCell {
        let zero = zero_of(&key.3);
        self.payments.entry(key).or_insert(PaymentsCell {
            payments_count: 0,
            payments_amount: zero,
            refunds_count: 0,
            refunds_amount: zero,
            reversals_count: 0,
            reversals_amount: zero,
        })
    }

    /// The provider, tariff and item type revenue of `service` on `account` is attributed to.
    /// Moves the charge `id` (if the batch loaded it) and its whole schedule to the attribution
    /// `to`, on the charge's own day, so that recognised revenue keeps the cash view's.
    fn move_charge(
        &mut self,
        id: Uuid,
        (provider, tariff, item_type): (Uuid, Uuid, String),
    ) -> Result<(), ProjectionError> {
        let Some(charge) = self.expenses.get(&id) else {
            return Ok(());
        };
        let from = (
            charge.day,
            charge.provider_id,
            charge.tariff_id,
            charge.item_type.clone(),
            charge.currency.clone(),
        );
        let to = (
            charge.day,
            provider,
            tariff,
            item_type.clone(),
            charge.currency.clone(),
        );
        if from == to {
            return Ok(());
        }
        let amount = charge.amount;
        let charged = Currency::parse(&charge.currency)
            .and_then(|currency| Money::from_decimal(amount, currency))
            .map_err(|e| malformed("charge", e))?;
        let recognition = charge.recognition(charged, charge.day);
        let (_, p, t, i, c) = from.clone();
        self.recognise(&(p, t, i, c), Column::Charged, &recognition, true)?;
        let (_, p, t, i, c) = to.clone();
        self.recognise(&(p, t, i, c), Column::Charged, &recognition, false)?;
        self.revenue_cell(from).charged -= amount;
        self.revenue_cell(to).charged += amount;
        if let Some(charge) = self.expenses.get_mut(&id) {
            charge.provider_id = provider;
            charge.tariff_id = tariff;
            charge.item_type = item_type;
        }
        self.dirty_expenses.insert(id);
        Ok(())
    }

    /// A domain's charge (its id in place of the service's) counts under the item type
    /// `domain`, with no tariff.
    fn attribution(&self, service: Uuid, account: Uuid) -> (Uuid, Uuid, String) {
        if let Some(s) = self.services.get(&service) {
            return (s.provider_id, s.tariff_id, s.item_type.clone());
        }
        match self.domains.get(&service) {
            Some(provider) => (
                *provider,
                Uuid::nil(),
                domain::item_type::ItemType::Domain.as_str().to_owned(),
            ),
            None => (self.provider_of(account), Uuid::nil(), UNKNOWN.to_owned()),
        }
    }

    fn provider_of(&self, account: Uuid) -> Uuid {
        self.accounts
            .get(&account)
            .map_or(Uuid::nil(), |a| a.provider_id)
    }

    /// Sets a service's status and follows its client's count of active services.
    fn set_status(&mut self, service: Uuid, status: &str, day: NaiveDate, position: i64) {
        let Some(row) = self.services.get_mut(&service) else {
            return;
        };
        let was = is_active(&row.status);
        let now = is_active(status);
        row.status = status.to_owned();
        row.position = position;
        let client = row.client_id;
        self.dirty_services.insert(service);
        if was == now {
            return;
        }
        let Some(c) = self.clients.get_mut(&client) else {
            return;
        };
        c.position = position;
        self.dirty_clients.insert(client);
        if now {
            c.active_services += 1;
            if c.active_services == 1 {
                c.active_since = Some(day);
            }
        } else {
            c.active_services -= 1;
            if c.active_services == 0
                && let Some(from) = c.active_since.take()
            {
                self.activity.insert((client, c.provider_id, from, day));
            }
        }
    }

    /// Records an account's balance after a money event. Only debts are reported, so the row
    /// keeps the balance while it is below zero and zero otherwise: a payment to an account that
    /// stays in credit (most of them) writes nothing, where it wrote the account's row each time,
    /// as the `balances` read model does.
    fn set_balance(&mut self, account: Uuid, balance: Money, at: DateTime<Utc>, position: i64) {
        let Some(row) = self.accounts.get_mut(&account) else {
            return;
        };
        let (debt, since) = if balance.is_negative() {
            (balance.amount(), Some(row.negative_since.unwrap_or(at)))
        } else {
            (Money::zero(balance.currency()).amount(), None)
        };
        if row.balance == debt && row.negative_since == since {
            return;
        }
        row.balance = debt;
        row.negative_since = since;
        row.position = position;
        self.dirty_accounts.insert(account);
    }
}

fn terms_row(
    service_id: Uuid,
    terms: &ServiceTerms,
    provider_id: Uuid,
    client_id: Uuid,
    status: String,
    position: i64,
) -> Result<ServiceRow, ProjectionError> {
    let mrr =
        monthly(terms.price_per_period, terms.period).map_err(|e| malformed("monthly price", e))?;
    Ok(ServiceRow {
        service_id,
        provider_id,
        client_id,
        tariff_id: terms.tariff_id.as_uuid(),
        item_type: terms.item_type.as_str().to_owned(),
        period: terms.period.to_string(),
        currency: terms.currency().code().to_owned(),
        price_per_period: terms.price_per_period.amount(),
        mrr: mrr.amount(),
        status,
        position,
    })
}

fn fold(state: &mut State, item: &Item<'_>) -> Result<(), ProjectionError> {
    let day = item.at.date_naive();
    let position = item.event.position;
    match &item.fact {
        Fact::Account(event) => fold_account(state, item.id, day, item.at, position, event),
        Fact::Service(event) => fold_service(state, item.id, day, position, event),
        Fact::Provider(event) => {
            if let ProviderEvent::ProviderCreated { sandbox: true, .. } = event {
                state.sandboxes.insert(item.id, position);
            }
            Ok(())
        }
        Fact::DomainOrdered { provider, expense } => {
            state.domains.insert(item.id, *provider);
            state.new_domains.insert(item.id, (*provider, position));
            // The registration was charged before the domain was recorded as ordered, so it
            // was counted as unknown: it moves to the domain's attribution.
            let to = state.attribution(item.id, Uuid::nil());
            state.move_charge(*expense, to)
        }
        Fact::Client(event) => {
            match event {
                ClientEvent::ClientRegistered { provider_id, .. } => {
                    state.clients.insert(
                        item.id,
                        ClientRow {
                            client_id: item.id,
                            provider_id: provider_id.as_uuid(),
                            registered_on: day,
                            lost_on: None,
                            active_services: 0,
                            active_since: None,
                            position,
                        },
                    );
                    state.dirty_clients.insert(item.id);
                }
                ClientEvent::ClientImported {
                    provider_id,
                    registered_on,
                    ..
                } => {
                    state.clients.insert(
                        item.id,
                        ClientRow {
                            client_id: item.id,
                            provider_id: provider_id.as_uuid(),
                            registered_on: registered_on.unwrap_or(day),
                            lost_on: None,
                            active_services: 0,
                            active_since: None,
                            position,
                        },
                    );
                    state.dirty_clients.insert(item.id);
                }
                ClientEvent::ClientDeleted { .. } => {
                    if let Some(c) = state.clients.get_mut(&item.id) {
                        c.lost_on.get_or_insert(day);
                        c.position = position;
                        state.dirty_clients.insert(item.id);
                    }
                }
                // A client merged into another is lost to its provider, like a deleted one.
                ClientEvent::ClientMerged { .. } => {
                    if let Some(c) = state.clients.get_mut(&item.id) {
                        c.lost_on.get_or_insert(day);
                        c.position = position;
                        state.dirty_clients.insert(item.id);
                    }
                }
                ClientEvent::ClientUpdated { .. }
                | ClientEvent::BillingDetailsSet { .. }
                | ClientEvent::ClientStatusSet { .. }
                | ClientEvent::ClientGroupsSet { .. }
                | ClientEvent::PersonalDiscountSet { .. }
                | ClientEvent::TrialClaimed { .. } => {}
            }
            Ok(())
        }
    }
}

fn fold_account(
    state: &mut State,
    account: Uuid,
    day: NaiveDate,
    at: DateTime<Utc>,
    position: i64,
    event: &AccountEvent,
) -> Result<(), ProjectionError> {
    match event {
        AccountEvent::AccountOpened {
            client_id,
            provider_id,
            currency,
            ..
        } => {
            state.accounts.entry(account).or_insert(AccountRow {
                account_id: account,
                client_id: client_id.as_uuid(),
                provider_id: provider_id.as_uuid(),
                currency: currency.code().to_owned(),
                balance: Money::zero(*currency).amount(),
                negative_since: None,
                position,
            });
            state.dirty_accounts.insert(account);
        }
        AccountEvent::CreditLimitSet { .. } | AccountEvent::PaymentPromised { .. } => {}
        AccountEvent::BalanceAdjusted { balance_after, .. }
        | AccountEvent::BalanceImported { balance_after, .. }
        | AccountEvent::BalanceTransferredOut { balance_after, .. }
        | AccountEvent::BalanceTransferredIn { balance_after, .. } => {
            state.set_balance(account, *balance_after, at, position);
        }
        AccountEvent::ExpenseCharged {
            expense,
            balance_after,
        } => {
            state.set_balance(account, *balance_after, at, position);
            let (provider, tariff, item_type) =
                state.attribution(expense.service_id.as_uuid(), account);
            // Revenue is what the charge earns without its VAT, which is owed to the state.
            let net = expense.taxed().net;
            let currency = net.currency().code().to_owned();
            let amount = net.amount();
            state
                .revenue_cell((day, provider, tariff, item_type.clone(), currency.clone()))
                .charged += amount;
            let recognition = Recognition::new(net, expense.period_start, expense.period_end, day);
            let to = (provider, tariff, item_type.clone(), currency.clone());
            state.recognise(&to, Column::Charged, &recognition, false)?;
            let id = expense.expense_id.as_uuid();
            state.expenses.insert(
                id,
                ExpenseRow {
                    expense_id: id,
                    day,
                    provider_id: provider,
                    tariff_id: tariff,
                    item_type,
                    currency,
                    amount,
                    period_start: Some(expense.period_start),
                    period_end: Some(expense.period_end),
                },
            );
            state.dirty_expenses.insert(id);
            state.new_expenses.insert(id);
        }
        AccountEvent::ExpenseCredited {
            expense,
            balance_after,
            ..
        } => {
            state.set_balance(account, *balance_after, at, position);
            let (provider, tariff, item_type) =
                state.attribution(expense.service_id.as_uuid(), account);
            let net = expense.taxed().net;
            let currency = net.currency().code().to_owned();
            state
                .revenue_cell((day, provider, tariff, item_type.clone(), currency.clone()))
                .credited += net.amount();
            let recognition = Recognition::new(net, expense.period_start, expense.period_end, day);
            state.recognise(
                &(provider, tariff, item_type, currency),
                Column::Credited,
                &recognition,
                false,
            )?;
        }
        AccountEvent::ExpenseCorrected {
            expense_id,
            amount: gross,
            balance_after,
            tax,
            ..
        } => {
            state.set_balance(account, *balance_after, at, position);
            // What the correction gives back of the revenue: the amount less the VAT in it.
            let amount = &tax.as_ref().map_or(*gross, |tax| tax.net);
            // A correction gives back part of its charge: recognised over the charge's period.
            let (provider, tariff, item_type, recognition) =
                match state.expenses.get(&expense_id.as_uuid()) {
                    Some(e) => (
                        e.provider_id,
                        e.tariff_id,
                        e.item_type.clone(),
                        e.recognition(*amount, day),
                    ),
                    None => (
                        state.provider_of(account),
                        Uuid::nil(),
                        UNKNOWN.to_owned(),
                        Recognition::new(*amount, day, day, day),
                    ),
                };
            let currency = amount.currency().code().to_owned();
            state
                .revenue_cell((day, provider, tariff, item_type.clone(), currency.clone()))
                .corrected += amount.amount();
            state.recognise(
                &(provider, tariff, item_type, currency),
                Column::Corrected,
                &recognition,
                false,
            )?;
        }
        AccountEvent::PaymentPosted {
            payment_id,
            amount,
            method,
            balance_after,
            ..
        } => {
            state.set_balance(account, *balance_after, at, position);
            state
                .methods
                .insert(payment_id.as_uuid(), method.as_str().to_owned());
            state
                .new_methods
                .insert(payment_id.as_uuid(), method.as_str().to_owned());
            let key = (
                day,
                state.provider_of(account),
                method.as_str().to_owned(),
                amount.currency().code().to_owned(),
            );
            let cell = state.payments_cell(key);
            cell.payments_count += 1;
            cell.payments_amount += amount.amount();
        }
        AccountEvent::PaymentRefunded {
            payment_id,
            amount,
            balance_after,
            ..
        }
        | AccountEvent::PaymentReversed {
            payment_id,
            amount,
            balance_after,
            ..
        } => {
            state.set_balance(account, *balance_after, at, position);
            let method = state
                .methods
                .get(&payment_id.as_uuid())
                .cloned()
                .unwrap_or_else(|| UNKNOWN.to_owned());
            let key = (
                day,
                state.provider_of(account),
                method,
                amount.currency().code().to_owned(),
            );
            let refund = matches!(event, AccountEvent::PaymentRefunded { .. });
            let cell = state.payments_cell(key);
            if refund {
                cell.refunds_count += 1;
                cell.refunds_amount += amount.amount();
            } else {
                cell.reversals_count += 1;
                cell.reversals_amount += amount.amount();
            }
        }
    }
    Ok(())
}

fn fold_service(
    state: &mut State,
    service: Uuid,
    day: NaiveDate,
    position: i64,
    event: &ServiceEvent,
) -> Result<(), ProjectionError> {
    match event {
        ServiceEvent::ServiceOrdered {
            client_id,
            provider_id,
            terms,
            status,
            ..
        } => {
            let row = terms_row(
                service,
                terms,
                provider_id.as_uuid(),
                client_id.as_uuid(),
                status.as_str().to_owned(),
                position,
            )?;
            state.services.insert(service, row);
            state.dirty_services.insert(service);
        }
        ServiceEvent::ServiceImported {
            client_id,
            provider_id,
            terms,
            status,
            ..
        } => {
            // Entered as ordered, then moved to its status, so that a running service counts
            // for its client as an activation would.
            let row = terms_row(
                service,
                terms,
                provider_id.as_uuid(),
                client_id.as_uuid(),
                ServiceStatus::Ordered.as_str().to_owned(),
                position,
            )?;
            state.services.insert(service, row);
            state.set_status(service, status.as_str(), day, position);
        }
        ServiceEvent::ServiceCharged { status, .. }
        | ServiceEvent::ServiceActivated { status, .. }
        | ServiceEvent::ServiceResumed { status, .. }
        | ServiceEvent::ServiceSuspended { status, .. }
        | ServiceEvent::ServiceClosed { status, .. }
        | ServiceEvent::ServiceDeleted { status, .. } => {
            state.set_status(service, status.as_str(), day, position);
        }
        ServiceEvent::PriceChanged { terms, .. } => {
            // The new price per period is the service's from now on: its MRR follows.
            let Some(old) = state.services.get(&service) else {
                return Ok(());
            };
            let row = terms_row(
                service,
                terms,
                old.provider_id,
                old.client_id,
                old.status.clone(),
                position,
            )?;
            state.services.insert(service, row);
            state.dirty_services.insert(service);
        }
        ServiceEvent::ServiceTransferred { to_client, .. } => {
            // The service stops counting for its old owner and starts counting for its new one.
            let Some(status) = state.services.get(&service).map(|row| row.status.clone()) else {
                return Ok(());
            };
            state.set_status(service, "transferred", day, position);
            if let Some(row) = state.services.get_mut(&service) {
                row.client_id = to_client.as_uuid();
            }
            state.set_status(service, &status, day, position);
        }
        ServiceEvent::TariffChanged {
            new_terms,
            charge_expense_id,
            ..
        } => {
            let Some(old) = state.services.get(&service) else {
                return Ok(());
            };
            let row = terms_row(
                service,
                new_terms,
                old.provider_id,
                old.client_id,
                old.status.clone(),
                position,
            )?;
            let (provider, tariff, item_type) =
                (row.provider_id, row.tariff_id, row.item_type.clone());
            state.services.insert(service, row);
            state.dirty_services.insert(service);
            // The account charged the new price before the service changed its terms: move that
            // charge from the old tariff to the new one, on the charge's own day.
            state.move_charge(charge_expense_id.as_uuid(), (provider, tariff, item_type))?;
        }
        ServiceEvent::ServiceProlonged { .. }
        | ServiceEvent::OperationRequested { .. }
        | ServiceEvent::OperationFailed { .. }
        | ServiceEvent::ClosureScheduled { .. }
        | ServiceEvent::AutoProlongSet { .. }
        | ServiceEvent::DomainContactsChanged { .. }
        | ServiceEvent::NoticeDue { .. }
        | ServiceEvent::TrialStarted { .. }
        | ServiceEvent::PriceChangeScheduled { .. }
        | ServiceEvent::DebtFound { .. }
        | ServiceEvent::DebtPaid { .. } => {}
    }
    Ok(())
}

/// Writes the changed rows and adds the batch's sums, a few statements in all.
async fn write(tx: &mut PgConnection, state: State) -> Result<(), ProjectionError> {
    write_services(tx, &state).await?;
    write_expenses(tx, &state).await?;
    let revenue: Vec<RevenueRow<'_>> = state
        .revenue
        .iter()
        .map(|((d, p, t, i, c), cell)| ((*d, *p, *t, i.as_str(), c.as_str()), cell))
        .collect();
    write_revenue(tx, "report_revenue_daily", &revenue).await?;
    let mut recognised: Vec<RevenueRow<'_>> = Vec::new();
    for ((p, t, i, c), days) in &state.recognised {
        for (d, cell) in days {
            recognised.push(((*d, *p, *t, i.as_str(), c.as_str()), cell));
        }
    }
    write_revenue(tx, "report_recognised_daily", &recognised).await?;
    write_payments(tx, &state).await?;
    write_accounts(tx, &state).await?;
    write_clients(tx, &state).await?;
    write_sandboxes(tx, &state).await?;
    write_domains(tx, &state).await?;
    Ok(())
}

async fn write_domains(tx: &mut PgConnection, state: &State) -> Result<(), ProjectionError> {
    if state.new_domains.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(state.new_domains.len());
    let mut providers = Vec::with_capacity(state.new_domains.len());
    let mut positions = Vec::with_capacity(state.new_domains.len());
    for (id, (provider, position)) in &state.new_domains {
        ids.push(*id);
        providers.push(*provider);
        positions.push(*position);
    }
    sqlx::query(
        "INSERT INTO report_domains (domain_id, provider_id, position)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[])
         ON CONFLICT (domain_id) DO NOTHING",
    )
    .bind(&ids)
    .bind(&providers)
    .bind(&positions)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_sandboxes(tx: &mut PgConnection, state: &State) -> Result<(), ProjectionError> {
    if state.sandboxes.is_empty() {
        return Ok(());
    }
    let (ids, positions): (Vec<Uuid>, Vec<i64>) = state.sandboxes.iter().unzip();
    sqlx::query(
        "INSERT INTO report_sandbox_providers (provider_id, position)
         SELECT * FROM unnest($1::uuid[], $2::bigint[])
         ON CONFLICT (provider_id) DO NOTHING",
    )
    .bind(&ids)
    .bind(&positions)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_services(tx: &mut PgConnection, state: &State) -> Result<(), ProjectionError> {
    if state.dirty_services.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::new();
    let (mut provider, mut client, mut tariff) = (Vec::new(), Vec::new(), Vec::new());
    let (mut item_type, mut period, mut currency) = (Vec::new(), Vec::new(), Vec::new());
    let (mut price, mut mrr, mut status, mut position) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for id in &state.dirty_services {
        let Some(s) = state.services.get(id) else {
            continue;
        };
        ids.push(*id);
        provider.push(s.provider_id);
        client.push(s.client_id);
        tariff.push(s.tariff_id);
        item_type.push(s.item_type.as_str());
        period.push(s.period.as_str());
        currency.push(s.currency.as_str());
        price.push(s.price_per_period);
        mrr.push(s.mrr);
        status.push(s.status.as_str());
        position.push(s.position);
    }
    sqlx::query(
        "INSERT INTO report_services (service_id, provider_id, client_id, tariff_id, item_type,
                                      period, currency, price_per_period, mrr, status, position)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[],
                              $6::text[], $7::text[], $8::numeric[], $9::numeric[], $10::text[],
                              $11::bigint[])
         ON CONFLICT (service_id) DO UPDATE
            SET tariff_id = excluded.tariff_id, item_type = excluded.item_type,
                period = excluded.period, currency = excluded.currency,
                price_per_period = excluded.price_per_period, mrr = excluded.mrr,
                status = excluded.status, position = excluded.position",
    )
    .bind(&ids)
    .bind(&provider)
    .bind(&client)
    .bind(&tariff)
    .bind(&item_type)
    .bind(&period)
    .bind(&currency)
    .bind(&price)
    .bind(&mrr)
    .bind(&status)
    .bind(&position)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_expenses(tx: &mut PgConnection, state: &State) -> Result<(), ProjectionError> {
    if state.dirty_expenses.is_empty() {
        return Ok(());
    }
    // The batch's new charges: one row each, written with `COPY` (`crate::copy`).
    let mut new = CopyRows::with_capacity(state.new_expenses.len(), 160);
    for e in state
        .new_expenses
        .iter()
        .filter_map(|id| state.expenses.get(id))
    {
        new.plain(e.expense_id)
            .plain(e.day)
            .plain(e.provider_id)
            .plain(e.tariff_id)
            .text(&e.item_type)
            .text(&e.currency)
            .plain(e.amount);
        for day in [e.period_start, e.period_end] {
            match day {
                Some(day) => new.plain(day),
                None => new.null(),
            };
        }
        new.end_row();
    }
    new.send(
        &mut *tx,
        "COPY report_expenses (expense_id, day, provider_id, tariff_id, item_type, currency,
                               amount, period_start, period_end) FROM STDIN",
    )
    .await?;
    // Charges of earlier batches that this one moved (a tariff change, a domain's order).
    let (mut ids, mut day, mut provider, mut tariff) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut item_type, mut currency, mut amount) = (Vec::new(), Vec::new(), Vec::new());
    let (mut period_start, mut period_end) = (Vec::new(), Vec::new());
    for id in state
        .dirty_expenses
        .iter()
        .filter(|id| !state.new_expenses.contains(id))
    {
        let Some(e) = state.expenses.get(id) else {
            continue;
        };
        ids.push(*id);
        day.push(e.day);
        provider.push(e.provider_id);
        tariff.push(e.tariff_id);
        item_type.push(e.item_type.as_str());
        currency.push(e.currency.as_str());
        amount.push(e.amount);
        period_start.push(e.period_start);
        period_end.push(e.period_end);
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO report_expenses (expense_id, day, provider_id, tariff_id, item_type, currency,
                                      amount, period_start, period_end)
         SELECT * FROM unnest($1::uuid[], $2::date[], $3::uuid[], $4::uuid[], $5::text[],
                              $6::text[], $7::numeric[], $8::date[], $9::date[])
         ON CONFLICT (expense_id) DO UPDATE
            SET provider_id = excluded.provider_id, tariff_id = excluded.tariff_id,
                item_type = excluded.item_type",
    )
    .bind(&ids)
    .bind(&day)
    .bind(&provider)
    .bind(&tariff)
    .bind(&item_type)
    .bind(&currency)
    .bind(&amount)
    .bind(&period_start)
    .bind(&period_end)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Adds `cells` to the revenue table `table` (`report_revenue_daily` or
/// `report_recognised_daily`, which have the same columns).
async fn write_revenue(
    tx: &mut PgConnection,
    table: &str,
    cells: &[RevenueRow<'_>],
) -> Result<(), ProjectionError> {
    let (mut day, mut provider, mut tariff) = (Vec::new(), Vec::new(), Vec::new());
    let (mut item_type, mut currency) = (Vec::new(), Vec::new());
    let (mut charged, mut credited, mut corrected) = (Vec::new(), Vec::new(), Vec::new());
    let mut scale = Vec::new();
    for &((d, p, t, i, c), cell) in cells {
        scale.push(scale_of(c));
        day.push(d);
        provider.push(p);
        tariff.push(t);
        item_type.push(i);
        currency.push(c);
        charged.push(cell.charged);
        credited.push(cell.credited);
        corrected.push(cell.corrected);
    }
    if day.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "INSERT INTO {table} AS r (day, provider_id, tariff_id, item_type, currency,
                                   charged, credited, corrected)
         SELECT d, p, t, i, c, round(a, s), round(b, s), round(e, s)
           FROM unnest($1::date[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                       $6::numeric[], $7::numeric[], $8::numeric[], $9::int[])
                AS u(d, p, t, i, c, a, b, e, s)
         ON CONFLICT (day, provider_id, tariff_id, item_type, currency) DO UPDATE
            SET charged = r.charged + excluded.charged,
                credited = r.credited + excluded.credited,
                corrected = r.corrected + excluded.corrected"
    ))
    .bind(&day)
    .bind(&provider)
    .bind(&tariff)
    .bind(&item_type)
    .bind(&currency)
    .bind(&charged)
    .bind(&credited)
    .bind(&corrected)
    .bind(&scale)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_payments(tx: &mut PgConnection, state: &State) -> Result<(), ProjectionError> {
    if !state.new_methods.is_empty() {
        let (ids, methods): (Vec<Uuid>, Vec<&str>) = state
            .new_methods
            .iter()
            .map(|(id, m)| (*id, m.as_str()))
            .unzip();
        sqlx::query(
            "INSERT INTO report_payment_methods (payment_id, method)
             SELECT * FROM unnest($1::uuid[], $2::text[])
             ON CONFLICT (payment_id) DO NOTHING",
        )
        .bind(&ids)
        .bind(&methods)
        .execute(&mut *tx)
        .await?;
    }
    if state.payments.is_empty() {
        return Ok(());
    }
    let (mut day, mut provider, mut method, mut currency) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut pc, mut pa, mut fc, mut fa, mut vc, mut va) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut scale = Vec::new();
    for ((d, p, m, c), cell) in &state.payments {
        scale.push(scale_of(c));
        day.push(*d);
        provider.push(*p);
        method.push(m.as_str());
        currency.push(c.as_str());
        pc.push(cell.payments_count);
        pa.push(cell.payments_amount);
        fc.push(cell.refunds_count);
        fa.push(cell.refunds_amount);
        vc.push(cell.reversals_count);
        va.push(cell.reversals_amount);
    }
    sqlx::query(
        "INSERT INTO report_payments_daily AS r (day, provider_id, method, currency,
                                                 payments_count, payments_amount,
                                                 refunds_count, refunds_amount,
                                                 reversals_count, reversals_amount)
         SELECT d, p, m, c, pc, round(pa, s), fc, round(fa, s), vc, round(va, s)
           FROM unnest($1::date[], $2::uuid[], $3::text[], $4::text[], $5::bigint[],
                       $6::numeric[], $7::bigint[], $8::numeric[], $9::bigint[],
                       $10::numeric[], $11::int[]) AS u(d, p, m, c, pc, pa, fc, fa, vc, va, s)
         ON CONFLICT (day, provider_id, method, currency) DO UPDATE
            SET payments_count = r.payments_count + excluded.payments_count,
                payments_amount = r.payments_amount + excluded.payments_amount,
                refunds_count = r.refunds_count + excluded.refunds_count,
                refunds_amount = r.refunds_amount + excluded.refunds_amount,
                reversals_count = r.reversals_count + excluded.reversals_count,
                reversals_amount = r.reversals_amount + excluded.reversals_amount",
    )
    .bind(&day)
    .bind(&provider)
    .bind(&method)
    .bind(&currency)
    .bind(&pc)
    .bind(&pa)
    .bind(&fc)
    .bind(&fa)
    .bind(&vc)
    .bind(&va)
    .bind(&scale)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_accounts(tx: &mut PgConnection, state: &State) -> Result<(), ProjectionError> {
    if state.dirty_accounts.is_empty() {
        return Ok(());
    }
    let (mut ids, mut client, mut provider, mut currency) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut balance, mut since, mut position) = (Vec::new(), Vec::new(), Vec::new());
    for id in &state.dirty_accounts {
        let Some(a) = state.accounts.get(id) else {
            continue;
        };
        ids.push(*id);
        client.push(a.client_id);
        provider.push(a.provider_id);
        currency.push(a.currency.as_str());
        balance.push(a.balance);
        since.push(a.negative_since);
        position.push(a.position);
    }
    sqlx::query(
        "INSERT INTO report_accounts (account_id, client_id, provider_id, currency, balance,
                                      negative_since, position)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::numeric[],
                              $6::timestamptz[], $7::bigint[])
         ON CONFLICT (account_id) DO UPDATE
            SET balance = excluded.balance, negative_since = excluded.negative_since,
                position = excluded.position",
    )
    .bind(&ids)
    .bind(&client)
    .bind(&provider)
    .bind(&currency)
    .bind(&balance)
    .bind(&since)
    .bind(&position)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_clients(tx: &mut PgConnection, state: &State) -> Result<(), ProjectionError> {
    if !state.dirty_clients.is_empty() {
        let (mut ids, mut provider, mut registered, mut lost) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut active, mut since, mut position) = (Vec::new(), Vec::new(), Vec::new());
        for id in &state.dirty_clients {
            let Some(c) = state.clients.get(id) else {
                continue;
            };
            ids.push(*id);
            provider.push(c.provider_id);
            registered.push(c.registered_on);
            lost.push(c.lost_on);
            active.push(c.active_services);
            since.push(c.active_since);
            position.push(c.position);
        }
        sqlx::query(
            "INSERT INTO report_clients (client_id, provider_id, registered_on, lost_on,
                                         active_services, active_since, position)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::date[], $5::int[],
                                  $6::date[], $7::bigint[])
             ON CONFLICT (client_id) DO UPDATE
                SET lost_on = excluded.lost_on, active_services = excluded.active_services,
                    active_since = excluded.active_since, position = excluded.position",
        )
        .bind(&ids)
        .bind(&provider)
        .bind(&registered)
        .bind(&lost)
        .bind(&active)
        .bind(&since)
        .bind(&position)
        .execute(&mut *tx)
        .await?;
    }
    if !state.activity.is_empty() {
        let (mut client, mut provider, mut from, mut until) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (c, p, f, u) in &state.activity {
            client.push(*c);
            provider.push(*p);
            from.push(*f);
            until.push(*u);
        }
        sqlx::query(
            "INSERT INTO report_client_activity (client_id, provider_id, active_from, active_until)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::date[])
             ON CONFLICT DO NOTHING",
        )
        .bind(&client)
        .bind(&provider)
        .bind(&from)
        .bind(&until)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).unwrap()
    }

    #[test]
    fn a_monthly_price_is_the_price_per_period_over_its_months_rounded_half_away_from_zero() {
        assert_eq!(monthly(eur("1.00"), BillingPeriod::Day), Ok(eur("30.00")));
        assert_eq!(monthly(eur("9.99"), BillingPeriod::Month), Ok(eur("9.99")));
        assert_eq!(
            monthly(eur("10.00"), BillingPeriod::Quarter),
            Ok(eur("3.33"))
        );
        assert_eq!(
            monthly(eur("0.03"), BillingPeriod::HalfYear),
            Ok(eur("0.01"))
        );
        assert_eq!(monthly(eur("0.06"), BillingPeriod::Year), Ok(eur("0.01")));
        assert_eq!(monthly(eur("12.00"), BillingPeriod::Year), Ok(eur("1.00")));
    }
}
