//! Every payment: those with a lifecycle (from `Payment` events) and those credited directly to
//! an account (from `PaymentPosted` alone), with what was refunded of them. The account is the
//! authority on money, so refunds and reversals are read from the account's events.

use async_trait::async_trait;
use domain::account::AccountEvent;
use domain::payment::PaymentEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `payments` table (and `payment_accounts`, the owners of accounts).
pub struct Payments;

#[async_trait]
impl Projection for Payments {
    fn name(&self) -> &'static str {
        "payments"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["payments", "payment_accounts"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            let applied = match event.aggregate_type.as_str() {
                "Payment" => apply_payment(tx, event).await,
                "Account"
                    if matches!(
                        event.event_type.as_str(),
                        "AccountOpened" | "PaymentPosted" | "PaymentRefunded" | "PaymentReversed"
                    ) =>
                {
                    apply_account(tx, event).await
                }
                _ => Ok(()),
            };
            applied.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

fn uuid_of(id: &str) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(id).map_err(|e| ProjectionError::Malformed(format!("id {id:?}: {e}")))
}

async fn apply_payment(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let payment_id = uuid_of(&event.aggregate_id)?;
    let at = event.metadata()?.occurred_at;
    match event.decode::<PaymentEvent>()? {
        PaymentEvent::PaymentCreated {
            client_id,
            provider_id,
            company_id,
            method,
            method_kind,
            amount,
            account_currency,
            invoice_id,
            created_on,
            payer_id,
            ..
        } => {
            sqlx::query(
                "INSERT INTO payments (payment_id, client_id, provider_id, company_id, method,
                                       method_kind, status, amount, currency, account_currency,
                                       invoice_id, created_on, created_at, position, payer_id)
                 VALUES ($1, $2, $3, $4, $5, $6, 'new', $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(payment_id)
            .bind(client_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(company_id.as_uuid())
            .bind(method.as_str())
            .bind(method_kind.as_str())
            .bind(amount.amount())
            .bind(amount.currency().code())
            .bind(account_currency.code())
            .bind(invoice_id.map(|id| id.as_uuid()))
            .bind(created_on)
            .bind(at)
            .bind(event.position)
            .bind(payer_id.map(|id| id.as_uuid()))
            .execute(&mut *tx)
            .await?;
        }
        PaymentEvent::PaymentStarted { external_id } => {
            sqlx::query(
                "UPDATE payments SET status = 'in_progress', external_id = $2, position = $3
                  WHERE payment_id = $1",
            )
            .bind(payment_id)
            .bind(external_id.as_ref().map(|e| e.as_str()))
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        PaymentEvent::PaymentCredited {
            external_id,
            credited,
            conversion,
            ..
        } => {
            sqlx::query(
                "UPDATE payments
                    SET status = 'credited', external_id = coalesce($2, external_id),
                        credited = $3, rate = $4, rate_date = $5, credited_at = $6, position = $7
                  WHERE payment_id = $1",
            )
            .bind(payment_id)
            .bind(external_id.as_ref().map(|e| e.as_str()))
            .bind(credited.amount())
            .bind(conversion.map(|c| c.rate.as_decimal()))
            .bind(conversion.map(|c| c.effective_from))
            .bind(at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        PaymentEvent::PaymentCancelled { .. } => {
            set_status(tx, payment_id, "cancelled", event.position).await?;
        }
        PaymentEvent::PaymentMarkedFraud { .. } => {
            set_status(tx, payment_id, "fraud", event.position).await?;
        }
        // The account's `PaymentRefunded` carries the money; the payment's only mirrors it.
        PaymentEvent::PaymentRefunded { .. } => {}
    }
    Ok(())
}

async fn set_status(
    tx: &mut PgConnection,
    payment_id: Uuid,
    status: &str,
    position: i64,
) -> Result<(), ProjectionError> {
    sqlx::query("UPDATE payments SET status = $2, position = $3 WHERE payment_id = $1")
        .bind(payment_id)
        .bind(status)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn apply_account(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let account_id = uuid_of(&event.aggregate_id)?;
    match event.decode::<AccountEvent>()? {
        AccountEvent::AccountOpened {
            client_id,
            provider_id,
            ..
        } => {
            sqlx::query(
                "INSERT INTO payment_accounts (account_id, client_id, provider_id)
                 VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING",
            )
            .bind(account_id)
            .bind(client_id.as_uuid())
            .bind(provider_id.as_uuid())
            .execute(&mut *tx)
            .await?;
        }
        AccountEvent::PaymentPosted {
            payment_id,
            amount,
            method,
            conversion,
            ..
        } => {
            // A payment with a lifecycle already has its row; one credited directly gets it now.
            let at = event.metadata()?.occurred_at;
            let paid = conversion.map_or(amount, |c| c.from);
            sqlx::query(
                "INSERT INTO payments (payment_id, client_id, provider_id, method, method_kind,
                                       status, amount, currency, account_currency, credited,
                                       rate, rate_date, created_on, created_at, credited_at,
                                       position)
                 SELECT $1, a.client_id, a.provider_id, $2, 'direct', 'credited', $3, $4, $5, $6,
                        $7, $8, ($9 AT TIME ZONE 'UTC')::date, $9, $9, $10
                   FROM payment_accounts a WHERE a.account_id = $11
                 ON CONFLICT (payment_id) DO NOTHING",
            )
            .bind(payment_id.as_uuid())
            .bind(method.as_str())
            .bind(paid.amount())
            .bind(paid.currency().code())
            .bind(amount.currency().code())
            .bind(amount.amount())
            .bind(conversion.map(|c| c.rate.as_decimal()))
            .bind(conversion.map(|c| c.effective_from))
            .bind(at)
            .bind(event.position)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        }
        AccountEvent::PaymentRefunded {
            payment_id, amount, ..
        } => {
            sqlx::query(
                "UPDATE payments
                    SET refunded = refunded + $2,
                        status = CASE WHEN status = 'fraud' THEN status
                                      WHEN refunded + $2 >= credited THEN 'refunded'
                                      ELSE 'partially_refunded' END,
                        position = $3
                  WHERE payment_id = $1",
            )
            .bind(payment_id.as_uuid())
            .bind(amount.amount())
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        AccountEvent::PaymentReversed { payment_id, .. } => {
            set_status(tx, payment_id.as_uuid(), "fraud", event.position).await?;
        }
        _ => {}
    }
    Ok(())
}
