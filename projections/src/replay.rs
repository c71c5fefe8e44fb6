//! The auditor's replay: every balance, every expense (net of corrections) and every invoice's
//! totals recomputed from the raw log alone, and compared with the read models.
//!
//! Nothing here reads a read model to compute: events are decoded and folded in memory. Money
//! is summed from the amounts the events carry, not copied from their `balance_after`; a
//! `balance_after` that disagrees with the running sum is itself reported. Invoice totals are
//! the sums of their lines. The read models are then read in one snapshot together with their
//! checkpoints, and each is compared with the fold of exactly the events it has applied, so a
//! read model that is merely behind is not reported as wrong.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use domain::account::AccountEvent;
use domain::client::ClientEvent;
use domain::ids::AccountId;
use domain::invoice::InvoiceEvent;
use eventstore::log::{self, LogPosition, StoredEvent};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::ProjectionError;

/// One value that the log and a read model disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `balances`, `expenses`, `invoices`, or `log` for an event that contradicts the events
    /// before it.
    pub read_model: &'static str,
    /// The row: an account, expense or invoice id (or a position for `log`).
    pub key: String,
    /// The column.
    pub field: &'static str,
    /// What the log says; absent when the log has no such row.
    pub from_log: Option<String>,
    /// What the read model holds; absent when it has no such row.
    pub in_read_model: Option<String>,
}

/// What [`replay`] found.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// Events read from the log.
    pub events: u64,
    /// Accounts recomputed.
    pub accounts: usize,
    /// Expenses recomputed.
    pub expenses: usize,
    /// Invoices and credit notes recomputed.
    pub invoices: usize,
    /// Where each read model stood (its checkpoint's position); it is compared with the log up
    /// to there.
    pub compared_at: BTreeMap<&'static str, i64>,
    /// Every difference, ordered by read model and key.
    pub differences: Vec<Difference>,
    /// How long it took.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(elapsed: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(elapsed.as_secs_f64())
}

#[derive(Debug, Default, Clone, PartialEq)]
struct ExpenseFold {
    amount: Decimal,
    returned: Decimal,
    voided: bool,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct InvoiceFold {
    net: Decimal,
    tax: Decimal,
    gross: Decimal,
    credited: Decimal,
}

#[derive(Default)]
struct Fold {
    balances: HashMap<Uuid, Decimal>,
    expenses: HashMap<Uuid, ExpenseFold>,
    invoices: HashMap<Uuid, InvoiceFold>,
    inconsistencies: Vec<Difference>,
}

fn uuid_of(event: &StoredEvent) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("aggregate id: {e}")).at(event))
}

impl Fold {
    fn balances(&mut self, event: &StoredEvent) -> Result<(), ProjectionError> {
        match event.aggregate_type.as_str() {
            "Client" => {
                if let ClientEvent::ClientRegistered {
                    client_id,
                    provider_id,
                    currency,
                    ..
                }
                | ClientEvent::ClientImported {
                    client_id,
                    provider_id,
                    currency,
                    ..
                } = event
                    .decode()
                    .map_err(|e| ProjectionError::from(e).at(event))?
                {
                    self.balances
                        .entry(AccountId::of(client_id, provider_id, currency).as_uuid())
                        .or_default();
                }
            }
            "Account" => {
                let account = uuid_of(event)?;
                let decoded: AccountEvent = event
                    .decode()
                    .map_err(|e| ProjectionError::from(e).at(event))?;
                let (change, balance_after) = match decoded {
                    AccountEvent::AccountOpened { .. }
                    | AccountEvent::CreditLimitSet { .. }
                    | AccountEvent::PaymentPromised { .. } => {
                        self.balances.entry(account).or_default();
                        return Ok(());
                    }
                    AccountEvent::PaymentPosted {
                        amount,
                        balance_after,
                        ..
                    }
                    | AccountEvent::BalanceImported {
                        amount,
                        balance_after,
                        ..
                    }
                    | AccountEvent::BalanceAdjusted {
                        amount,
                        balance_after,
                        ..
                    }
                    | AccountEvent::ExpenseCorrected {
                        amount,
                        balance_after,
                        ..
                    } => (amount.amount(), balance_after),
                    AccountEvent::PaymentRefunded {
                        amount,
                        balance_after,
                        ..
                    }
                    | AccountEvent::PaymentReversed {
                        amount,
                        balance_after,
                        ..
                    } => (-amount.amount(), balance_after),
                    AccountEvent::ExpenseCharged {
                        expense,
                        balance_after,
                    } => (-expense.amount.amount(), balance_after),
                    AccountEvent::ExpenseCredited {
                        expense,
                        balance_after,
                        ..
                    } => (expense.amount.amount(), balance_after),
                    // A merge moves a signed balance: out of the source, into the target.
                    AccountEvent::BalanceTransferredOut {
                        amount,
                        balance_after,
                        ..
                    } => (-amount.amount(), balance_after),
                    AccountEvent::BalanceTransferredIn {
                        amount,
                        balance_after,
                        ..
                    } => (amount.amount(), balance_after),
                };
                let balance = self.balances.entry(account).or_default();
                *balance += change;
                if *balance != balance_after.amount() {
                    self.inconsistencies.push(Difference {
                        read_model: "log",
                        key: event.position.to_string(),
                        field: "balance_after",
                        from_log: Some(balance.to_string()),
                        in_read_model: Some(balance_after.amount().to_string()),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn expenses(&mut self, event: &StoredEvent) -> Result<(), ProjectionError> {
        if event.aggregate_type != "Account"
            || !matches!(
                event.event_type.as_str(),
                "ExpenseCharged" | "ExpenseCredited" | "ExpenseCorrected"
            )
        {
            return Ok(());
        }
        match event
            .decode()
            .map_err(|e| ProjectionError::from(e).at(event))?
        {
            AccountEvent::ExpenseCharged { expense, .. } => {
                self.expenses.insert(
                    expense.expense_id.as_uuid(),
                    ExpenseFold {
                        amount: expense.amount.amount(),
                        ..ExpenseFold::default()
                    },
                );
            }
            AccountEvent::ExpenseCredited { expense, .. } => {
                self.expenses.insert(
                    expense.expense_id.as_uuid(),
                    ExpenseFold {
                        amount: -expense.amount.amount(),
                        ..ExpenseFold::default()
                    },
                );
            }
            AccountEvent::ExpenseCorrected {
                expense_id,
                amount,
                voided,
                ..
            } => {
                let fold = self.expenses.entry(expense_id.as_uuid()).or_default();
                fold.returned += amount.amount();
                fold.voided |= voided;
            }
            _ => {}
        }
        Ok(())
    }

    fn invoices(&mut self, event: &StoredEvent) -> Result<(), ProjectionError> {
        if event.aggregate_type != "Invoice" {
            return Ok(());
        }
        let invoice = uuid_of(event)?;
        match event
            .decode()
            .map_err(|e| ProjectionError::from(e).at(event))?
        {
            InvoiceEvent::InvoiceDrafted { lines, totals, .. }
            | InvoiceEvent::InvoiceImported { lines, totals, .. } => {
                let mut fold = InvoiceFold::default();
                for line in &lines {
                    fold.net += line.net.amount();
                    fold.tax += line.tax.amount();
                    fold.gross += line.gross.amount();
                }
                for (field, summed, stated) in [
                    ("net", fold.net, totals.net.amount()),
                    ("tax", fold.tax, totals.tax.amount()),
                    ("gross", fold.gross, totals.gross.amount()),
                ] {
                    if summed != stated {
                        self.inconsistencies.push(Difference {
                            read_model: "log",
                            key: event.position.to_string(),
                            field,
                            from_log: Some(summed.to_string()),
                            in_read_model: Some(stated.to_string()),
                        });
                    }
                }
                self.invoices.insert(invoice, fold);
            }
            InvoiceEvent::InvoiceCredited { credited_total, .. } => {
                self.invoices.entry(invoice).or_default().credited = credited_total.amount();
            }
            _ => {}
        }
        Ok(())
    }
}

/// A column to compare: its name and how a row shows it.
type Field<V> = (&'static str, fn(&V) -> String);

/// Compares two keyed sets of rows field by field and appends every difference.
fn compare<V>(
    out: &mut Vec<Difference>,
    read_model: &'static str,
    from_log: &HashMap<Uuid, V>,
    stored: &HashMap<Uuid, V>,
    fields: &[Field<V>],
) {
    let mut keys: Vec<&Uuid> = from_log.keys().chain(stored.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (left, right) = (from_log.get(key), stored.get(key));
        for (field, show) in fields {
            let (left, right) = (left.map(show), right.map(show));
            if left != right {
                out.push(Difference {
                    read_model,
                    key: key.to_string(),
                    field,
                    from_log: left,
                    in_read_model: right,
                });
            }
        }
    }
}

/// A decimal shown without trailing zeros, so that `1.50` and `1.5` compare equal.
fn show(amount: &Decimal) -> String {
    amount.normalize().to_string()
}

/// Recomputes balances, expenses and invoice totals from the log and reports every difference
/// from the `balances`, `expenses` and `invoices` read models.
pub async fn replay(pool: &PgPool) -> Result<ReplayReport, ProjectionError> {
    let started = Instant::now();
    // The read models and their checkpoints, in one snapshot.
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let mut compared_at = BTreeMap::new();
    let mut limits = HashMap::new();
    for name in ["balances", "expenses", "invoices"] {
        let at = crate::engine::checkpoint(&mut tx, name)
            .await?
            .map_or(LogPosition::default(), |c| c.at);
        compared_at.insert(name, at.position);
        limits.insert(name, at);
    }
    let balances: Vec<(Uuid, Decimal)> = sqlx::query_as("SELECT account_id, balance FROM balances")
        .fetch_all(&mut *tx)
        .await?;
    let expenses: Vec<(Uuid, Decimal, Decimal, bool)> =
        sqlx::query_as("SELECT expense_id, amount, returned, voided FROM expenses")
            .fetch_all(&mut *tx)
            .await?;
    let invoices: Vec<(Uuid, Decimal, Decimal, Decimal, Decimal)> =
        sqlx::query_as("SELECT invoice_id, net, tax, gross, credited FROM invoices")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;

    // The fold of the raw log, each read model's part up to its checkpoint.
    let until = limits.values().copied().max().unwrap_or_default();
    let mut fold = Fold::default();
    let mut after = LogPosition::default();
    let mut events = 0u64;
    loop {
        let batch = log::read_after(pool, after, 5000).await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.log_position();
        for event in batch.iter().take_while(|e| e.log_position() <= until) {
            let at = event.log_position();
            events += 1;
            if at <= limits["balances"] {
                fold.balances(event)?;
            }
            if at <= limits["expenses"] {
                fold.expenses(event)?;
            }
            if at <= limits["invoices"] {
                fold.invoices(event)?;
            }
        }
        if after >= until {
            break;
        }
    }

    let mut differences = std::mem::take(&mut fold.inconsistencies);
    let stored: HashMap<Uuid, Decimal> = balances.into_iter().collect();
    compare(
        &mut differences,
        "balances",
        &fold.balances,
        &stored,
        &[("balance", show)],
    );
    let stored: HashMap<Uuid, ExpenseFold> = expenses
        .into_iter()
        .map(|(id, amount, returned, voided)| {
            (
                id,
                ExpenseFold {
                    amount,
                    returned,
                    voided,
                },
            )
        })
        .collect();
    compare(
        &mut differences,
        "expenses",
        &fold.expenses,
        &stored,
        &[
            ("amount", |v| show(&v.amount)),
            ("returned", |v| show(&v.returned)),
            ("voided", |v| v.voided.to_string()),
        ],
    );
    let stored: HashMap<Uuid, InvoiceFold> = invoices
        .into_iter()
        .map(|(id, net, tax, gross, credited)| {
            (
                id,
                InvoiceFold {
                    net,
                    tax,
                    gross,
                    credited,
                },
            )
        })
        .collect();
    compare(
        &mut differences,
        "invoices",
        &fold.invoices,
        &stored,
        &[
            ("net", |v| show(&v.net)),
            ("tax", |v| show(&v.tax)),
            ("gross", |v| show(&v.gross)),
            ("credited", |v| show(&v.credited)),
        ],
    );
    Ok(ReplayReport {
        events,
        accounts: fold.balances.len(),
        expenses: fold.expenses.len(),
        invoices: fold.invoices.len(),
        compared_at,
        differences,
        elapsed: started.elapsed(),
    })
}
