//! The client's statement: every movement of a personal account, in log order, with the balance
//! after it. The balance comes from the event (`balance_after`), so the statement's last running
//! balance is, by construction, the one the `balances` read model holds.

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use domain::account::AccountEvent;
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::copy::CopyRows;
use crate::{Projection, ProjectionError};

/// The `account_movements` table.
pub struct Statement;

/// One movement: what it is, the signed amount, what it refers to, and what the client reads.
struct Movement {
    kind: &'static str,
    amount: domain::money::Money,
    balance_after: domain::money::Money,
    reference: Uuid,
    description: String,
    details: serde_json::Value,
}

/// The movement an account event makes, if it moves money.
fn movement(event: AccountEvent) -> Option<Movement> {
    let movement = match event {
        AccountEvent::PaymentPosted {
            payment_id,
            amount,
            method,
            balance_after,
            conversion,
        } => Movement {
            kind: "payment",
            amount,
            balance_after,
            reference: payment_id.as_uuid(),
            description: match conversion {
                Some(c) => format!(
                    "Payment ({method}) of {} {} at {} ({})",
                    c.from.amount(),
                    c.from.currency(),
                    c.rate,
                    c.effective_from
                ),
                None => format!("Payment ({method})"),
            },
            details: match conversion {
                Some(c) => serde_json::json!({
                    "method": method,
                    "paid": c.from.amount().to_string(),
                    "paid_currency": c.from.currency().code(),
                    "rate": c.rate.to_string(),
                    "rate_date": c.effective_from,
                }),
                None => serde_json::json!({ "method": method }),
            },
        },
        AccountEvent::BalanceImported {
            amount,
            balance_after,
            source,
        } => Movement {
            kind: "opening_balance",
            amount,
            balance_after,
            reference: source.derived("balance"),
            description: format!("Opening balance imported from {}", source.system),
            details: serde_json::json!({ "system": source.system, "source_id": source.id }),
        },
        AccountEvent::BalanceAdjusted {
            adjustment_id,
            amount,
            reason,
            balance_after,
        } => Movement {
            kind: "adjustment",
            amount,
            balance_after,
            reference: adjustment_id.as_uuid(),
            description: reason,
            details: serde_json::json!({}),
        },
        AccountEvent::ExpenseCharged {
            expense,
            balance_after,
        } => Movement {
            kind: "charge",
            amount: expense.amount.negated(),
            balance_after,
            reference: expense.expense_id.as_uuid(),
            details: expense_details(&expense),
            description: expense.description,
        },
        AccountEvent::ExpenseCredited {
            expense,
            balance_after,
            ..
        } => Movement {
            kind: "credit",
            amount: expense.amount,
            balance_after,
            reference: expense.expense_id.as_uuid(),
            details: expense_details(&expense),
            description: expense.description,
        },
        AccountEvent::PaymentRefunded {
            refund_id,
            payment_id,
            amount,
            reason,
            balance_after,
        } => Movement {
            kind: "refund",
            amount: amount.negated(),
            balance_after,
            reference: refund_id.as_uuid(),
            description: format!("Refund: {reason}"),
            details: serde_json::json!({ "payment_id": payment_id }),
        },
        AccountEvent::PaymentReversed {
            payment_id,
            amount,
            reason,
            balance_after,
        } => Movement {
            kind: "reversal",
            amount: amount.negated(),
            balance_after,
            reference: payment_id.as_uuid(),
            description: format!("Payment reversed: {reason}"),
            details: serde_json::json!({ "payment_id": payment_id }),
        },
        AccountEvent::ExpenseCorrected {
            correction_id,
            expense_id,
            amount,
            voided,
            reason,
            balance_after,
            tax,
        } => Movement {
            kind: if voided { "void" } else { "correction" },
            amount,
            balance_after,
            reference: correction_id.as_uuid(),
            description: reason,
            details: match tax {
                Some(tax) => serde_json::json!({
                    "expense_id": expense_id,
                    "net": tax.net.amount().to_string(),
                    "tax": tax.tax.amount().to_string(),
                    "tax_rate": tax.rate.to_string(),
                }),
                None => serde_json::json!({ "expense_id": expense_id }),
            },
        },
        AccountEvent::BalanceTransferredOut {
            merge_id,
            to_account,
            amount,
            balance_after,
            forward,
        } => Movement {
            kind: "transfer_out",
            amount: amount.negated(),
            balance_after,
            reference: merge_id.as_uuid(),
            description: match forward {
                None => format!("Balance moved to account {to_account} by merge {merge_id}"),
                Some(_) => format!(
                    "Forwarded to account {to_account}, which this account was merged into by \
                     merge {merge_id}"
                ),
            },
            details: serde_json::json!({
                "merge_id": merge_id, "to_account": to_account, "forward": forward,
            }),
        },
        AccountEvent::BalanceTransferredIn {
            merge_id,
            from_account,
            amount,
            balance_after,
            forward,
        } => Movement {
            kind: "transfer_in",
            amount,
            balance_after,
            reference: merge_id.as_uuid(),
            description: match forward {
                None => format!("Balance moved from account {from_account} by merge {merge_id}"),
                Some(_) => format!(
                    "Forwarded from account {from_account}, merged into this one by merge \
                     {merge_id}"
                ),
            },
            details: serde_json::json!({
                "merge_id": merge_id, "from_account": from_account, "forward": forward,
            }),
        },
        AccountEvent::AccountOpened { .. }
        | AccountEvent::CreditLimitSet { .. }
        | AccountEvent::PaymentPromised { .. } => return None,
    };
    Some(movement)
}

/// A charge's or credit's service and, when it carries tax, its net, tax and rate as recorded.
fn expense_details(expense: &domain::account::ExpenseLine) -> serde_json::Value {
    match &expense.tax {
        Some(_) => {
            let taxed = expense.taxed();
            serde_json::json!({
                "service_id": expense.service_id,
                "net": taxed.net.amount().to_string(),
                "tax": taxed.tax.amount().to_string(),
                "tax_rate": taxed.rate.to_string(),
            })
        }
        None => serde_json::json!({ "service_id": expense.service_id }),
    }
}

#[async_trait]
impl Projection for Statement {
    fn name(&self) -> &'static str {
        crate::ReadModel::Statement.name()
    }

    fn version(&self) -> i32 {
        // 2: the net, tax and rate of charges, credits and corrections in `details`; 3: a
        // payment's method in `details`, so that the panels say it in their reader's language.
        3
    }

    fn tables(&self) -> &'static [&'static str] {
        &["account_movements"]
    }

    /// An account's statement is read through it; applying appends by position.
    fn indexes_deferred(&self) -> &'static [&'static str] {
        &["account_movements_account"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        // One row per movement, never changed: written with COPY (`crate::copy`).
        let mut rows = CopyRows::with_capacity(events.len(), 320);
        for event in events.iter().filter(|e| e.aggregate_type == "Account") {
            let decoded: AccountEvent = event
                .decode()
                .map_err(|e| ProjectionError::from(e).at(event))?;
            let Some(movement) = movement(decoded) else {
                continue;
            };
            let account = Uuid::parse_str(&event.aggregate_id)
                .map_err(|e| ProjectionError::Malformed(format!("account id: {e}")).at(event))?;
            let occurred_at = event.metadata()?.occurred_at;
            rows.plain(event.position)
                .plain(account)
                .text(movement.kind)
                .plain(movement.amount.amount())
                .text(movement.amount.currency().code())
                .plain(movement.balance_after.amount())
                .plain(movement.reference)
                .text(&movement.description)
                .text(&movement.details.to_string())
                .plain(occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true))
                .end_row();
        }
        rows.send(
            &mut *tx,
            "COPY account_movements (position, account_id, kind, amount, currency, balance_after,
                                     reference, description, details, occurred_at) FROM STDIN",
        )
        .await?;
        Ok(())
    }
}

// Queries of the staff dashboard.

/// A movement of an account as the dashboard's statement shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MovementLine {
    pub occurred_at: DateTime<Utc>,
    pub kind: String,
    pub amount: Decimal,
    pub balance_after: Decimal,
    pub description: String,
    pub details: serde_json::Value,
}

/// The latest `limit` movements of an account, oldest of them first.
pub async fn latest_movements(
    pool: &sqlx::PgPool,
    account_id: Uuid,
    limit: i64,
) -> Result<Vec<MovementLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT occurred_at, kind, amount, balance_after, description, details FROM (
             SELECT * FROM account_movements WHERE account_id = $1
              ORDER BY position DESC LIMIT $2) m
          ORDER BY position",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

// Queries: what the HTTP layer and the dashboard read.

/// One movement of a personal account as the read model holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MovementRow {
    /// Its global position: the order of the statement.
    pub position: i64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// `payment`, `adjustment`, `charge`, `credit`, `refund`, `reversal`, `correction` or `void`.
    pub kind: String,
    /// The signed amount.
    pub amount: Decimal,
    /// The running balance after it.
    pub balance_after: Decimal,
    /// The payment, adjustment, expense, refund or correction id.
    pub reference: Uuid,
    /// What the client reads.
    pub description: String,
    /// More about it.
    pub details: serde_json::Value,
}

/// Which movements of an account to read: occurred in `[from, to)` and by `as_of`, after the
/// position `after`, at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct MovementFilter {
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
    /// Occurred at or before (the statement as it stood then).
    pub as_of: Option<DateTime<Utc>>,
    /// After this position (the cursor); 0 for the first page.
    pub after: i64,
    /// How many rows at most.
    pub limit: i64,
}

/// A page of one account's statement.
#[derive(Debug, Clone)]
pub struct StatementPage {
    /// The account.
    pub account_id: Uuid,
    /// Its currency.
    pub currency: String,
    /// The balance before the first movement of the page.
    pub opening: Decimal,
    /// The movements by position.
    pub movements: Vec<MovementRow>,
}

/// A page of the statement of the client's first account (by provider and currency) in
/// `currency`, or in any currency when `None`; `None` when the client has no such account.
/// Reads `balances` too, for the client's accounts.
pub async fn of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    currency: Option<&str>,
    filter: MovementFilter,
) -> Result<Option<StatementPage>, sqlx::Error> {
    let Some((account_id, currency)) =
        crate::balances::first_account(pool, client_id, currency).await?
    else {
        return Ok(None);
    };
    let movements = movements(pool, account_id, filter).await?;
    // The balance before the page is the balance after the movement just before it.
    let first_position = movements.first().map_or(i64::MAX, |row| row.position);
    let opening = balance_before(pool, account_id, first_position)
        .await?
        .unwrap_or(Decimal::ZERO);
    Ok(Some(StatementPage {
        account_id,
        currency,
        opening,
        movements,
    }))
}

/// The account's movements by position.
pub async fn movements(
    pool: &sqlx::PgPool,
    account_id: Uuid,
    filter: MovementFilter,
) -> Result<Vec<MovementRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT position, occurred_at, kind, amount, balance_after, reference, description, details
           FROM account_movements
          WHERE account_id = $1
            AND ($2::timestamptz IS NULL OR occurred_at >= $2)
            AND ($3::timestamptz IS NULL OR occurred_at < $3)
            AND position > $4
            AND ($6::timestamptz IS NULL OR occurred_at <= $6)
          ORDER BY position
          LIMIT $5",
    )
    .bind(account_id)
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.after)
    .bind(filter.limit)
    .bind(filter.as_of)
    .fetch_all(pool)
    .await
}

/// How many movements of the account `filter` matches, whatever its cursor and limit.
pub async fn count(
    pool: &sqlx::PgPool,
    account_id: Uuid,
    filter: MovementFilter,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM account_movements
          WHERE account_id = $1
            AND ($2::timestamptz IS NULL OR occurred_at >= $2)
            AND ($3::timestamptz IS NULL OR occurred_at < $3)
            AND ($4::timestamptz IS NULL OR occurred_at <= $4)",
    )
    .bind(account_id)
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.as_of)
    .fetch_one(pool)
    .await
}

/// The balance after the account's last movement before `position`, if there is one.
pub async fn balance_before(
    pool: &sqlx::PgPool,
    account_id: Uuid,
    position: i64,
) -> Result<Option<Decimal>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT balance_after FROM account_movements
          WHERE account_id = $1 AND position < $2
          ORDER BY position DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(position)
    .fetch_optional(pool)
    .await
}
