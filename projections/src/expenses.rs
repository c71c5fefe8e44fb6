//! Every charge and credit of a personal account for a service, with the promo code discount
//! a charge was given (`list_amount` less `discount` is `amount`).

use async_trait::async_trait;
use domain::account::{AccountEvent, ExpenseLine};
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

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

/// Expense rows waiting to be inserted with one statement.
#[derive(Default)]
struct Rows {
    expense_id: Vec<Uuid>,
    account_id: Vec<Uuid>,
    service_id: Vec<Uuid>,
    kind: Vec<&'static str>,
    period_start: Vec<chrono::NaiveDate>,
    period_end: Vec<chrono::NaiveDate>,
    amount: Vec<Decimal>,
    currency: Vec<&'static str>,
    description: Vec<String>,
    occurred_at: Vec<chrono::DateTime<chrono::Utc>>,
    position: Vec<i64>,
    list_amount: Vec<Decimal>,
    discount: Vec<Decimal>,
    promo_code: Vec<Option<String>>,
    net: Vec<Decimal>,
    tax: Vec<Decimal>,
    tax_rate: Vec<Decimal>,
}

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
                Some(discount.code.clone()),
            ),
            None => (line.amount.amount(), Decimal::ZERO, None),
        };
        self.expense_id.push(line.expense_id.as_uuid());
        self.account_id.push(account);
        self.service_id.push(line.service_id.as_uuid());
        self.kind.push(kind);
        self.period_start.push(line.period_start);
        self.period_end.push(line.period_end);
        self.amount.push(line.amount.amount() * sign);
        self.currency.push(line.amount.currency().code());
        self.description.push(line.description.clone());
        self.occurred_at.push(event.metadata()?.occurred_at);
        self.position.push(event.position);
        self.list_amount.push(list_amount * sign);
        self.discount.push(discount * sign);
        self.promo_code.push(promo_code);
        let taxed = line.taxed();
        self.net.push(taxed.net.amount() * sign);
        self.tax.push(taxed.tax.amount() * sign);
        self.tax_rate.push(taxed.rate.percent());
        Ok(())
    }

    /// Inserts the waiting rows and empties the buffer.
    async fn insert(&mut self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.expense_id.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(self);
        sqlx::query(
            "INSERT INTO expenses (expense_id, account_id, service_id, kind, period_start,
                                   period_end, amount, currency, description, occurred_at,
                                   position, list_amount, discount, promo_code, net, tax,
                                   tax_rate)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::date[],
                                  $6::date[], $7::numeric[], $8::text[], $9::text[],
                                  $10::timestamptz[], $11::bigint[], $12::numeric[],
                                  $13::numeric[], $14::text[], $15::numeric[], $16::numeric[],
                                  $17::numeric[])",
        )
        .bind(rows.expense_id)
        .bind(rows.account_id)
        .bind(rows.service_id)
        .bind(rows.kind)
        .bind(rows.period_start)
        .bind(rows.period_end)
        .bind(rows.amount)
        .bind(rows.currency)
        .bind(rows.description)
        .bind(rows.occurred_at)
        .bind(rows.position)
        .bind(rows.list_amount)
        .bind(rows.discount)
        .bind(rows.promo_code)
        .bind(rows.net)
        .bind(rows.tax)
        .bind(rows.tax_rate)
        .execute(tx)
        .await?;
        Ok(())
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
