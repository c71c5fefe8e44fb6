//! Settlement: when money arrives on a personal account (a payment, a positive adjustment, a
//! credit, a higher credit limit, a positive balance moved in by a merge) or a service is
//! ordered or moved to another client, charge what is waiting for it, oldest
//! order first: unpaid orders (which then get activated) and services suspended for lack of money
//! (which then get resumed). Debt is paid first because a payment raises a negative balance before
//! anything else, and a charge is only made if the balance after it stays within the credit limit.
//!
//! When an account promises to pay (`PaymentPromised`), its services suspended for lack of money
//! are resumed until the promise ends (ADR 29); the billing day suspends them again then.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use domain::account::{
    Account, AccountCommand, AccountError, AccountEvent, ExpenseDiscount, ExpenseLine,
};
use domain::ids::{AccountId, ClientId, CorrectionId, OperationId, ProviderId, ServiceId};
use domain::service::{Service, ServiceCommand, ServiceEvent};
use domain::tax::TaxTreatment;
use eventstore::log::StoredEvent;
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{CommandError, CommandKey, EventStore, StoreError};
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;
use uuid::Uuid;

use crate::usecases::clocks;
use projections::{Progress, Projection, ProjectionError};

/// The settlement process manager.
pub struct Settlement {
    store: Arc<EventStore>,
    /// The worker's stop signal: a wait for the services read model ends when it turns true.
    stop: Option<watch::Receiver<bool>>,
}

impl Settlement {
    /// A settlement process over `store`.
    pub fn new(store: Arc<EventStore>) -> Self {
        Self { store, stop: None }
    }

    /// The same process, giving up its waits for a read model as soon as `stop` turns true (the
    /// server's shutdown, which stops that read model's worker too).
    pub fn stopping_on(self, stop: watch::Receiver<bool>) -> Self {
        Self {
            stop: Some(stop),
            ..self
        }
    }
}

/// What charging one service for its due period did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charged {
    /// Nothing was due.
    NothingDue,
    /// A period was charged and recorded on the service.
    Charged,
    /// The account cannot pay it.
    Refused,
}

/// Why settling failed; the step is retried.
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A read model query failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A command was refused in a way settlement does not expect.
    #[error("settlement command refused: {0}")]
    Refused(String),
    /// The services read model did not catch up with the log in time.
    #[error("the services read model is behind the log")]
    Behind,
}

impl<E: std::fmt::Display> From<CommandError<E>> for SettleError {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Store(e) => Self::Store(e),
            other => Self::Refused(other.to_string()),
        }
    }
}

impl From<SettleError> for ProjectionError {
    fn from(error: SettleError) -> Self {
        match error {
            SettleError::Database(e) => Self::Database(e),
            other => Self::Malformed(other.to_string()),
        }
    }
}

/// Charges the due period of one service from its account and records it on the service.
/// Idempotent: the expense is keyed by (service, period start), and recording a period twice
/// changes nothing.
pub async fn charge_due(
    store: &EventStore,
    service_id: ServiceId,
    on: NaiveDate,
    context: &CommandContext,
) -> Result<Charged, SettleError> {
    let service = store
        .load::<Service>(&service_id.to_string())
        .await?
        .aggregate;
    let Some(client_id) = service.client_id() else {
        return Ok(Charged::NothingDue);
    };
    let standing = crate::usecases::discounts::in_effect(store, client_id).await?;
    let Some(due) = service.due_period_with(on, &standing) else {
        return Ok(Charged::NothingDue);
    };
    charge_period(store, &service, service_id, due, context).await
}

/// The expense line that charges `due`, the period the service itself computed, on `terms`
/// (the service's): its amount net of the discount the service chose (its promo code's or a
/// standing discount of the client), which the line names.
/// Settlement charges it, and `billing demo --events` decides it in memory.
pub fn expense_line(
    service_id: ServiceId,
    terms: &domain::tariff::ServiceTerms,
    due: &domain::service::DuePeriod,
) -> ExpenseLine {
    ExpenseLine {
        expense_id: due.expense_id,
        service_id,
        period_start: due.period_start,
        period_end: due.period_end,
        amount: due.amount,
        tax: None,
        // A trial says so on the statement: a zero line an accountant can tell from a price.
        description: format!(
            "{}{}, {} to {}",
            if due.trial { "Trial: " } else { "" },
            terms.tariff_name,
            due.period_start,
            due.period_end
        ),
        discount: due
            .discount
            .zip(due.discount_label.clone())
            .map(|(amount, code)| ExpenseDiscount {
                code,
                list_amount: due.list_amount,
                amount,
            }),
    }
}

/// The key of the charge of `line`: its expense id (derived from the service and the period),
/// with a fingerprint of what is charged. A charge committed before under this key, and only
/// that, makes a second charge of the same period a replay.
pub fn expense_key(line: &ExpenseLine) -> Result<CommandKey, SettleError> {
    CommandKey::new(
        "expense",
        line.expense_id.to_string(),
        &(
            &line.service_id,
            &line.period_start,
            &line.period_end,
            &line.amount,
        ),
        serde_json::Value::Null,
    )
    .map_err(|e| SettleError::Refused(e.to_string()))
}

/// Charges `due` (a period the service itself computed) and records it on the service.
pub async fn charge_period(
    store: &EventStore,
    service: &Service,
    service_id: ServiceId,
    due: domain::service::DuePeriod,
    context: &CommandContext,
) -> Result<Charged, SettleError> {
    charge_period_keyed(store, service, service_id, due, context, None).await
}

/// [`charge_period`] for a caller's request with its own key (its `Idempotency-Key`), written
/// with the charge: the same request run again (after a crash lost its answer) charges nothing
/// more, even though by then the service's next period is the one due.
pub async fn charge_period_keyed(
    store: &EventStore,
    service: &Service,
    service_id: ServiceId,
    due: domain::service::DuePeriod,
    context: &CommandContext,
    request: Option<CommandKey>,
) -> Result<Charged, SettleError> {
    let mut due = due;
    let (Some(client_id), Some(provider_id), Some(account_id), Some(terms)) = (
        service.client_id(),
        service.provider_id(),
        service.account_id(),
        service.terms(),
    ) else {
        return Ok(Charged::NothingDue);
    };
    let line = expense_line(service_id, terms, &due);
    let key = expense_key(&line)?;
    let expense_key_name = key.key.clone();
    let treatment =
        crate::usecases::process::invoicing::treatment_for_client(store, provider_id, client_id)
            .await
            .map_err(|e| SettleError::Refused(e.to_string()))?;
    let charged = store
        .execute::<Account>(
            &account_id.to_string(),
            AccountCommand::ChargeExpense {
                client_id,
                provider_id,
                expense: line,
                treatment,
            },
            context,
            &std::iter::once(key)
                .chain(request.clone())
                .collect::<Vec<_>>(),
        )
        .await;
    match charged {
        // The request's own key answered (the expense key's answer is null): this request
        // charged before, and that charge was recorded on the service then.
        Ok(committed)
            if committed.replayed
                && request
                    .as_ref()
                    .is_some_and(|request| request.answer == committed.answer) =>
        {
            return Ok(Charged::Charged);
        }
        Ok(_) => {}
        Err(CommandError::Rejected(AccountError::InsufficientFunds { .. })) => {
            return Ok(Charged::Refused);
        }
        Err(CommandError::KeyReused { key: reused }) if reused == expense_key_name => {
            due = charged_before(store, account_id, &due).await?;
        }
        Err(other) => return Err(other.into()),
    }
    let recorded = store
        .execute::<Service>(&service_id.to_string(), record_charge(&due), context, &[])
        .await;
    match recorded {
        Ok(_) => Ok(Charged::Charged),
        // The service refuses the period it was charged for: its state moved on after `due`
        // was computed (another charge of the same days committed meanwhile, by an order racing
        // a billing day, or the service closed). The account gives the charge back whole.
        Err(CommandError::Rejected(refusal)) => {
            give_back_refused_charge(
                store,
                (service_id, account_id, client_id, provider_id),
                &due,
                &treatment,
                &refusal,
                context,
            )
            .await?;
            Ok(Charged::NothingDue)
        }
        Err(other) => Err(other.into()),
    }
}

pub use batch::charge_due_batch;

mod batch;

/// The record on the service of the charge that paid `due`.
fn record_charge(due: &domain::service::DuePeriod) -> ServiceCommand {
    ServiceCommand::RecordCharge {
        expense_id: due.expense_id,
        period_start: due.period_start,
        period_end: due.period_end,
        amount: due.amount,
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: due.period_start,
    }
}

/// The period that was charged under `due`'s expense id, as the account recorded it, when its
/// key answered that it was charged with other terms: a run cut off between the charge and its
/// record on the service (a crash), run again on a later day (an order's first period and a
/// resumption start on the day they are paid, and their ids name the order and the suspension)
/// or after the client's discounts changed. The charge made is the one recorded, not made again.
async fn charged_before(
    store: &EventStore,
    account_id: AccountId,
    due: &domain::service::DuePeriod,
) -> Result<domain::service::DuePeriod, SettleError> {
    let charged =
        crate::usecases::accounts::charged_line(store, account_id, due.expense_id).await?;
    let Some(expense) = charged else {
        return Err(SettleError::Refused(format!(
            "the key of expense {} is taken but the account {account_id} has no such charge",
            due.expense_id
        )));
    };
    // The service keeps the price the charge was made at, before the tax a treatment adds.
    let amount = expense.price();
    tracing::warn!(
        expense = %due.expense_id,
        charged_from = %expense.period_start,
        due_from = %due.period_start,
        "a charge made before and not recorded on its service is recorded as it was made"
    );
    Ok(domain::service::DuePeriod {
        period_start: expense.period_start,
        period_end: expense.period_end,
        amount,
        list_amount: expense
            .discount
            .as_ref()
            .map_or(amount, |discount| discount.list_amount),
        discount: expense.discount.as_ref().map(|discount| discount.amount),
        discount_label: expense.discount.map(|discount| discount.code),
        ..due.clone()
    })
}

/// Voids the charge of `due`, which its service refused to record (its state moved on after
/// `due` was computed), with a correction whose id derives from the expense, so that a retry
/// gives back nothing more.
async fn give_back_refused_charge(
    store: &EventStore,
    (service_id, account_id, client_id, provider_id): (ServiceId, AccountId, ClientId, ProviderId),
    due: &domain::service::DuePeriod,
    treatment: &TaxTreatment,
    refusal: &(dyn std::fmt::Display + Sync),
    context: &CommandContext,
) -> Result<(), SettleError> {
    tracing::warn!(
        service = %service_id,
        expense = %due.expense_id,
        %refusal,
        "the service refused a period it was just charged for; the charge is voided"
    );
    let charged = domain::tax::tax_amount(due.amount, treatment)
        .map_err(|e| SettleError::Refused(e.to_string()))?;
    let expense_id = due.expense_id;
    let correction_id = CorrectionId::from_uuid(Uuid::new_v5(
        &expense_id.as_uuid(),
        b"refused by its service",
    ));
    let voided = store
        .execute::<Account>(
            &account_id.to_string(),
            AccountCommand::CorrectExpense {
                client_id,
                provider_id,
                correction_id,
                expense_id,
                charged: charged.gross,
                give_back: None,
                charged_tax_rate: charged.rate,
                reason: "charged for days the service had already been paid for".to_string(),
            },
            context,
            &[],
        )
        .await;
    match voided {
        Ok(_) | Err(CommandError::Rejected(AccountError::NothingLeft)) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

/// Charges what waits on each of `accounts` (services ordered and not yet paid, or suspended
/// for non-payment), each account's oldest order first, until its money runs out. The services
/// waiting are found with one query for all the accounts: a batch of payments touches hundreds
/// of accounts, nearly all with nothing waiting. Returns how many services were charged.
pub async fn settle_accounts(
    store: &EventStore,
    pool: &PgPool,
    accounts: &[Uuid],
    context: &CommandContext,
) -> Result<usize, SettleError> {
    let waiting: Vec<(Uuid, Uuid, Uuid, bool)> = sqlx::query_as(
        "SELECT account_id, id, provider_id, status = 'suspended' FROM services
          WHERE account_id = ANY($1)
            AND (status = 'ordered' OR (status = 'suspended' AND suspend_reason = 'non_payment'))
          ORDER BY account_id, ordered_on, id",
    )
    .bind(accounts)
    .fetch_all(pool)
    .await?;
    let mut charged = 0;
    // An account belongs to one provider: its services are charged on that provider's day, by
    // its clock if it is a sandbox (ADR 20).
    for services in waiting.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(account, _, provider, _)) = services.first() else {
            continue;
        };
        let when = clocks::of_provider(store, ProviderId::from_uuid(provider)).await?;
        let context = when.stamp(context);
        for &(_, id, _, _) in services {
            match charge_due(store, ServiceId::from_uuid(id), when.today(), &context).await? {
                Charged::Charged => charged += 1,
                Charged::NothingDue => {}
                Charged::Refused => break,
            }
        }
        // A service billed by the hour that its account's debt suspended resumes as soon as the
        // money clears the debt (ADR 37): the account says whether it did, the service decides.
        let suspended: Vec<Uuid> = services
            .iter()
            .filter(|(_, _, _, suspended)| *suspended)
            .map(|(_, id, _, _)| *id)
            .collect();
        if !suspended.is_empty() {
            let in_debt = store
                .load::<Account>(&account.to_string())
                .await?
                .aggregate
                .in_debt();
            for id in suspended {
                store
                    .execute::<Service>(
                        &id.to_string(),
                        ServiceCommand::SettleDebt {
                            in_debt,
                            operation_id: OperationId::from_uuid(Uuid::now_v7()),
                            on: when.today(),
                        },
                        &context,
                        &[],
                    )
                    .await?;
            }
        }
    }
    Ok(charged)
}

/// Resumes the services of `account` suspended for non-payment, because the account promised to
/// pay (`PaymentPromised`, ADR 29): each `Service` decides whether it may
/// (`ResumeOnPromise`), on its provider's day, so a promise that has ended by the time this runs,
/// or a service resumed already, records nothing. Returns how many resumptions were requested.
pub async fn resume_on_promise(
    store: &EventStore,
    pool: &PgPool,
    account: Uuid,
    promised_until: NaiveDate,
    context: &CommandContext,
) -> Result<usize, SettleError> {
    let suspended: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT id, provider_id FROM services
          WHERE account_id = $1 AND status = 'suspended' AND suspend_reason = 'non_payment'
          ORDER BY ordered_on, id",
    )
    .bind(account)
    .fetch_all(pool)
    .await?;
    let Some(&(_, provider)) = suspended.first() else {
        return Ok(0);
    };
    let when = clocks::of_provider(store, ProviderId::from_uuid(provider)).await?;
    let context = when.stamp(context);
    let mut resumed = 0;
    for (id, _) in suspended {
        let committed = store
            .execute::<Service>(
                &id.to_string(),
                ServiceCommand::ResumeOnPromise {
                    promised_until,
                    operation_id: OperationId::from_uuid(Uuid::now_v7()),
                    on: when.today(),
                },
                &context,
                &[],
            )
            .await?;
        if !committed.events.is_empty() {
            resumed += 1;
        }
    }
    Ok(resumed)
}

/// The accounts an event may have brought money to, or a new order to.
fn account_touched(event: &StoredEvent) -> Result<Option<Uuid>, ProjectionError> {
    let parse = |id: &str| {
        Uuid::parse_str(id).map_err(|e| ProjectionError::Malformed(format!("id {id:?}: {e}")))
    };
    match (event.aggregate_type.as_str(), event.event_type.as_str()) {
        (
            "Account",
            "PaymentPosted" | "CreditLimitSet" | "ExpenseCredited" | "ExpenseCorrected",
        ) => Ok(Some(parse(&event.aggregate_id)?)),
        ("Account", "BalanceAdjusted") => match event.decode()? {
            AccountEvent::BalanceAdjusted { amount, .. } if amount.is_positive() => {
                Ok(Some(parse(&event.aggregate_id)?))
            }
            _ => Ok(None),
        },
        ("Account", "BalanceTransferredIn") => match event.decode()? {
            AccountEvent::BalanceTransferredIn { amount, .. } if amount.is_positive() => {
                Ok(Some(parse(&event.aggregate_id)?))
            }
            _ => Ok(None),
        },
        ("Service", "ServiceOrdered") => match event.decode()? {
            ServiceEvent::ServiceOrdered { account_id, .. } => Ok(Some(account_id.as_uuid())),
            _ => Ok(None),
        },
        // A service waiting for money that moves to another client waits on that client's
        // account from now on.
        ("Service", "ServiceTransferred") => match event.decode()? {
            ServiceEvent::ServiceTransferred { to_account, .. } => Ok(Some(to_account.as_uuid())),
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

/// The account and the end of a promise an event records, for a `PaymentPromised`.
fn promise_made(event: &StoredEvent) -> Result<Option<(Uuid, NaiveDate)>, ProjectionError> {
    if (event.aggregate_type.as_str(), event.event_type.as_str()) != ("Account", "PaymentPromised")
    {
        return Ok(None);
    }
    let account = Uuid::parse_str(&event.aggregate_id).map_err(|e| {
        ProjectionError::Malformed(format!("account id {:?}: {e}", event.aggregate_id))
    })?;
    match event.decode()? {
        AccountEvent::PaymentPromised { until, .. } => Ok(Some((account, until))),
        _ => Ok(None),
    }
}

#[async_trait]
impl Projection for Settlement {
    fn name(&self) -> &'static str {
        "settlement"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    fn runs_alone(&self) -> bool {
        true
    }

    async fn apply_batch(
        &self,
        _tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut accounts = BTreeSet::new();
        let mut promises = Vec::new();
        for event in events {
            if let Some(account) = account_touched(event).map_err(|e| e.at(event))? {
                accounts.insert(account);
            }
            if let Some(promise) = promise_made(event).map_err(|e| e.at(event))? {
                promises.push(promise);
            }
        }
        let Some(last) = events.last() else {
            return Ok(());
        };
        if accounts.is_empty() && promises.is_empty() {
            return Ok(());
        }
        // The services read model must know every order up to this batch before it is asked
        // which services wait for money.
        let pool = self.store.pool();
        let ready = projections::engine::wait_for_position_or_stop(
            pool,
            &Progress::default(),
            "services",
            last.position,
            Duration::from_secs(30),
            self.stop.as_ref(),
        )
        .await?;
        if !ready && self.stop.as_ref().is_some_and(|stop| *stop.borrow()) {
            return Err(ProjectionError::Malformed(
                "stopping while the services read model is behind; settlement will retry at \
                 the next start"
                    .to_owned(),
            ));
        }
        if !ready {
            return Err(ProjectionError::Malformed(
                "the services read model is behind; settlement will retry".to_owned(),
            ));
        }
        let context = CommandContext::new(Actor::System("settlement".to_owned()));
        let accounts: Vec<Uuid> = accounts.into_iter().collect();
        settle_accounts(&self.store, pool, &accounts, &context).await?;
        for (account, until) in promises {
            resume_on_promise(&self.store, pool, account, until, &context).await?;
        }
        Ok(())
    }
}
