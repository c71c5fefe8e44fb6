//! Every charge and credit of a personal account for a service, with the promo code discount
//! a charge was given (`list_amount` less `discount` is `amount`).

use async_trait::async_trait;
use chrono::SecondsFormat;
use domain::account::{AccountEvent, ExpenseLine};
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::copy::CopyRows;
use crate::{Projection, ProjectionError};

/// The `expenses` table.
pub struct Expenses;

#[async_trait]
impl Projection for Expenses {
    fn name(&self) -> &'static str {
        crate::ReadModel::Expenses.name()
    }

    fn version(&self) -> i32 {
        // 2: corrections by staff (`returned`).
        // 3: promo code discounts (`list_amount`, `discount`, `promo_code`); `list_amount` is
        //    also written for lines without a discount.
        // 4: the tax each line recorded (`net`, `tax`, `tax_rate`) and `expense_corrections`.
        4
    }

    fn tables(&self) -> &'static [&'static str] {
        &["expenses", "expense_corrections"]
    }

    /// Pages by account, service and client; applying finds an expense by its key.
    fn indexes_deferred(&self) -> &'static [&'static str] {
        &["expenses_account", "expenses_service", "expenses_client"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        // Charges and credits are inserted together; a correction (rare) first writes what came
        // before it, since it may correct an expense of the same batch.
        let mut rows = Rows::default();
        for event in events.iter().filter(|e| {
            e.aggregate_type == "Account"
                && matches!(
                    e.event_type.as_str(),
                    "ExpenseCharged" | "ExpenseCredited" | "ExpenseCorrected"
                )
        }) {
            apply(tx, event, &mut rows).await.map_err(|e| e.at(event))?;
        }
        rows.insert(tx).await?;
        Ok(())
    }
}

/// Expense rows waiting to be written with one `COPY` (`crate::copy`): an expense row is
/// inserted once and only its correction columns change later.
#[derive(Default)]
struct Rows(CopyRows);

impl Rows {
    fn push(
        &mut self,
        event: &StoredEvent,
        kind: &'static str,
        line: &ExpenseLine,
        sign: Decimal,
    ) -> Result<(), ProjectionError> {
        let account = Uuid::parse_str(&event.aggregate_id)
            .map_err(|e| ProjectionError::Malformed(format!("account id: {e}")))?;
        // A line without a discount costs its list price; the discount is signed like the
        // amount.
        let (list_amount, discount, promo_code) = match &line.discount {
            Some(discount) => (
                discount.list_amount.amount(),
                discount.amount.amount(),
                Some(discount.code.as_str()),
            ),
            None => (line.amount.amount(), Decimal::ZERO, None),
        };
        let occurred_at = event
            .metadata()?
            .occurred_at
            .to_rfc3339_opts(SecondsFormat::Micros, true);
        let taxed = line.taxed();
        let row = &mut self.0;
        row.plain(line.expense_id.as_uuid())
            .plain(account)
            .plain(line.service_id.as_uuid())
            .plain(kind)
            .plain(line.period_start)
            .plain(line.period_end)
            .plain(line.amount.amount() * sign)
            .plain(line.amount.currency().code())
            .text(&line.description)
            .plain(occurred_at)
            .plain(event.position)
            .plain(list_amount * sign)
            .plain(discount * sign);
        match promo_code {
            Some(code) => row.text(code),
            None => row.null(),
        };
        row.plain(taxed.net.amount() * sign)
            .plain(taxed.tax.amount() * sign)
            .plain(taxed.rate.percent());
        row.end_row();
        Ok(())
    }

    /// Writes the waiting rows and empties the buffer.
    async fn insert(&mut self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        std::mem::take(&mut self.0)
            .send(
                tx,
                "COPY expenses (expense_id, account_id, service_id, kind, period_start, period_end,
                                amount, currency, description, occurred_at, position,
                                list_amount, discount, promo_code, net, tax, tax_rate)
                 FROM STDIN",
            )
            .await
    }
}

async fn apply(
    tx: &mut PgConnection,
    event: &StoredEvent,
    rows: &mut Rows,
) -> Result<(), ProjectionError> {
    match event.decode::<AccountEvent>()? {
        AccountEvent::ExpenseCharged { expense, .. } => {
            rows.push(event, "charge", &expense, Decimal::ONE)
        }
        AccountEvent::ExpenseCredited { expense, .. } => {
            rows.push(event, "credit", &expense, Decimal::NEGATIVE_ONE)
        }
        AccountEvent::ExpenseCorrected {
            correction_id,
            expense_id,
            amount,
            voided,
            reason,
            tax,
            ..
        } => {
            rows.insert(tx).await?;
            let account = Uuid::parse_str(&event.aggregate_id)
                .map_err(|e| ProjectionError::Malformed(format!("account id: {e}")))?;
            // A correction stored before corrections carried tax gave back no tax.
            let (net, tax, tax_rate) = match tax {
                Some(tax) => (tax.net.amount(), tax.tax.amount(), tax.rate.percent()),
                None => (amount.amount(), Decimal::ZERO, Decimal::ZERO),
            };
            sqlx::query(
                "INSERT INTO expense_corrections (correction_id, expense_id, account_id, voided,
                                                  reason, amount, net, tax, tax_rate, currency,
                                                  occurred_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(correction_id.as_uuid())
            .bind(expense_id.as_uuid())
            .bind(account)
            .bind(voided)
            .bind(reason)
            .bind(amount.amount())
            .bind(net)
            .bind(tax)
            .bind(tax_rate)
            .bind(amount.currency().code())
            .bind(event.metadata()?.occurred_at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE expenses SET returned = returned + $2, voided = voided OR $3
                  WHERE expense_id = $1",
            )
            .bind(expense_id.as_uuid())
            .bind(amount.amount())
            .bind(voided)
            .execute(tx)
            .await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

// Queries: what the HTTP layer and the dashboard read.

/// One charge or credit as the read model holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExpenseRow {
    /// Its id.
    pub expense_id: Uuid,
    /// The service.
    pub service_id: Uuid,
    /// `charge` or `credit`.
    pub kind: String,
    /// The first day it pays for.
    pub period_start: chrono::NaiveDate,
    /// The day after the last it pays for.
    pub period_end: chrono::NaiveDate,
    /// The amount; negative for a credit.
    pub amount: Decimal,
    /// The price before the promo code discount.
    pub list_amount: Decimal,
    /// What the promo code took off.
    pub discount: Decimal,
    /// The promo code redeemed, if any.
    pub promo_code: Option<String>,
    /// The tax contained in the amount, as the account recorded it (signed like `amount`).
    pub tax: Decimal,
    /// Its rate in percent.
    pub tax_rate: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// What it is for.
    pub description: String,
    /// When it was charged.
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// Its global position.
    pub position: i64,
}

/// The client's expenses (of `service_id` only, when given) after the position `after`, oldest
/// first, at most `limit`. Reads `balances` too, for the accounts of the client.
pub async fn of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    service_id: Option<Uuid>,
    after: i64,
    limit: i64,
) -> Result<Vec<ExpenseRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.expense_id, e.service_id, e.kind, e.period_start, e.period_end, e.amount,
                coalesce(e.list_amount, e.amount) AS list_amount, e.discount, e.promo_code,
                e.tax, e.tax_rate, e.currency, e.description, e.occurred_at, e.position
           FROM expenses e
           JOIN balances b ON b.account_id = e.account_id
          WHERE b.client_id = $1
            AND ($2::uuid IS NULL OR e.service_id = $2)
            AND e.position > $3
          ORDER BY e.position
          LIMIT $4",
    )
    .bind(client_id)
    .bind(service_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The client's expenses before the position `before` (all when `None`), newest first, at most
/// `limit`: the pages of a client's own list, which starts with its latest. Reads `balances`
/// too, for the accounts of the client.
pub async fn latest_of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ExpenseRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.expense_id, e.service_id, e.kind, e.period_start, e.period_end, e.amount,
                coalesce(e.list_amount, e.amount) AS list_amount, e.discount, e.promo_code,
                e.tax, e.tax_rate, e.currency, e.description, e.occurred_at, e.position
           FROM expenses e
           JOIN balances b ON b.account_id = e.account_id
          WHERE b.client_id = $1
            AND ($2::bigint IS NULL OR e.position < $2)
          ORDER BY e.position DESC
          LIMIT $3",
    )
    .bind(client_id)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// How many expenses the client has. Reads `balances` too, for the accounts of the client.
pub async fn count_of_client(pool: &sqlx::PgPool, client_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM expenses e
           JOIN balances b ON b.account_id = e.account_id
          WHERE b.client_id = $1",
    )
    .bind(client_id)
    .fetch_one(pool)
    .await
}

/// What an expense charged, on which account: what a correction needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChargedRow {
    /// The account charged.
    pub account_id: Uuid,
    /// Its client.
    pub client_id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// ISO 4217 code.
    pub currency: String,
    /// What was charged (gross).
    pub amount: Decimal,
    /// `charge` or `credit`.
    pub kind: String,
    /// The tax rate it recorded.
    pub tax_rate: Decimal,
    /// The global position of the event that recorded it.
    pub position: i64,
}

/// The expense `expense_id` with its account. Reads `balances` too, for the account's client
/// and provider.
pub async fn charged(
    pool: &sqlx::PgPool,
    expense_id: Uuid,
) -> Result<Option<ChargedRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT b.account_id, b.client_id, b.provider_id, e.currency, e.amount, e.kind,
                e.tax_rate, e.position
           FROM expenses e JOIN balances b ON b.account_id = e.account_id
          WHERE e.expense_id = $1",
    )
    .bind(expense_id)
    .fetch_optional(pool)
    .await
}

/// One movement of an account in a month, for its monthly invoice: the line's description and
/// its net, tax, rate and gross as the account recorded them (negative for what was given back).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MonthlyMovementRow {
    /// The account.
    pub account_id: Uuid,
    /// Its client.
    pub client_id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// Its currency.
    pub currency: String,
    /// The invoice line's description.
    pub description: String,
    /// Net.
    pub net: Decimal,
    /// Tax.
    pub tax: Decimal,
    /// Tax rate.
    pub tax_rate: Decimal,
    /// Gross.
    pub gross: Decimal,
}

/// Every movement of `[start, end)` by account, then day and position: the charges and credits
/// whose day falls in it, and the corrections and voids made in it (negative). A charge's or
/// credit's day is the later of its period's start and the day it was recorded: a period paid
/// ahead belongs to the month it starts in, and one charged after it started (usage and hours
/// charged once they ended, a late billing day) to the month it was charged in. Every movement
/// so falls in exactly one month, and is recorded before that month ends, so before the month
/// can be invoiced: none is left off every invoice, whatever order the billing day and the
/// invoice run came in. Reads `balances` too, for each account's client and provider.
pub async fn monthly_movements(
    pool: &sqlx::PgPool,
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
) -> Result<Vec<MonthlyMovementRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT b.account_id, b.client_id, b.provider_id, b.currency,
                m.description, m.net, m.tax, m.tax_rate, m.gross
           FROM (SELECT e.account_id,
                        left(e.description || ' (' || e.period_start || ' to ' || e.period_end
                             || ')', 500) AS description,
                        coalesce(e.net, e.amount) AS net, e.tax, e.tax_rate, e.amount AS gross,
                        greatest(e.period_start, (e.occurred_at AT TIME ZONE 'UTC')::date) AS day,
                        e.position
                   FROM expenses e
                  WHERE greatest(e.period_start, (e.occurred_at AT TIME ZONE 'UTC')::date) >= $1
                    AND greatest(e.period_start, (e.occurred_at AT TIME ZONE 'UTC')::date) < $2
                 UNION ALL
                 SELECT c.account_id,
                        left(CASE WHEN c.voided THEN 'Void: ' ELSE 'Correction: ' END || c.reason
                             || ' (' || e.description || ')', 500),
                        -c.net, -c.tax, c.tax_rate, -c.amount,
                        greatest((c.occurred_at AT TIME ZONE 'UTC')::date, e.period_start,
                                 (e.occurred_at AT TIME ZONE 'UTC')::date),
                        c.position
                   FROM expense_corrections c JOIN expenses e ON e.expense_id = c.expense_id
                  WHERE greatest((c.occurred_at AT TIME ZONE 'UTC')::date, e.period_start,
                                 (e.occurred_at AT TIME ZONE 'UTC')::date) >= $1
                    AND greatest((c.occurred_at AT TIME ZONE 'UTC')::date, e.period_start,
                                 (e.occurred_at AT TIME ZONE 'UTC')::date) < $2) m
           JOIN balances b ON b.account_id = m.account_id
          ORDER BY b.account_id, m.day, m.position",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await
}

/// The service an expense charged.
pub async fn service_of(
    pool: &sqlx::PgPool,
    expense_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT service_id FROM expenses WHERE expense_id = $1")
        .bind(expense_id)
        .fetch_optional(pool)
        .await
}
