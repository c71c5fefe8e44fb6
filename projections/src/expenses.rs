//! Every charge and credit of a personal account for a service, with the promo code discount
//! a charge was given (`list_amount` less `discount` is `amount`).

use async_trait::async_trait;
use domain::account::{AccountEvent, ExpenseLine};
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `expenses` table.
pub struct Expenses;

#[async_trait]
impl Projection for Expenses {
    fn name(&self) -> &'static str {
        "expenses"
    }

    fn version(&self) -> i32 {
        // 2: corrections by staff (`returned`).
        // 3: promo code discounts (`list_amount`, `discount`, `promo_code`); `list_amount` is
        //    also written for lines without a discount.
        3
    }

    fn tables(&self) -> &'static [&'static str] {
        &["expenses"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events.iter().filter(|e| {
            e.aggregate_type == "Account"
                && matches!(
                    e.event_type.as_str(),
                    "ExpenseCharged" | "ExpenseCredited" | "ExpenseCorrected"
                )
        }) {
            apply(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

async fn insert(
    tx: &mut PgConnection,
    event: &StoredEvent,
    kind: &str,
    line: &ExpenseLine,
    sign: rust_decimal::Decimal,
) -> Result<(), ProjectionError> {
    let account = Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("account id: {e}")))?;
    // A line without a discount costs its list price; the discount is signed like the amount.
    let (list_amount, discount, promo_code) = match &line.discount {
        Some(discount) => (
            discount.list_amount.amount(),
            discount.amount.amount(),
            Some(discount.code.as_str()),
        ),
        None => (line.amount.amount(), rust_decimal::Decimal::ZERO, None),
    };
    sqlx::query(
        "INSERT INTO expenses (expense_id, account_id, service_id, kind, period_start, period_end,
                               amount, currency, description, occurred_at, position,
                               list_amount, discount, promo_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(line.expense_id.as_uuid())
    .bind(account)
    .bind(line.service_id.as_uuid())
    .bind(kind)
    .bind(line.period_start)
    .bind(line.period_end)
    .bind(line.amount.amount() * sign)
    .bind(line.amount.currency().code())
    .bind(&line.description)
    .bind(event.metadata()?.occurred_at)
    .bind(event.position)
    .bind(list_amount * sign)
    .bind(discount * sign)
    .bind(promo_code)
    .execute(tx)
    .await?;
    Ok(())
}

async fn apply(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    match event.decode::<AccountEvent>()? {
        AccountEvent::ExpenseCharged { expense, .. } => {
            insert(tx, event, "charge", &expense, rust_decimal::Decimal::ONE).await
        }
        AccountEvent::ExpenseCredited { expense, .. } => {
            insert(
                tx,
                event,
                "credit",
                &expense,
                rust_decimal::Decimal::NEGATIVE_ONE,
            )
            .await
        }
        AccountEvent::ExpenseCorrected {
            expense_id,
            amount,
            voided,
            ..
        } => {
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
