//! The balance of every personal account. A client has a zero balance in its provider's currency
//! from registration on; money events carry the balance after them, so this never adds up money.

use async_trait::async_trait;
use domain::account::AccountEvent;
use domain::client::ClientEvent;
use domain::ids::AccountId;
use domain::money::Money;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `balances` table.
pub struct Balances;

async fn open(
    tx: &mut PgConnection,
    account_id: AccountId,
    client_id: Uuid,
    provider_id: Uuid,
    zero: Money,
    event: &StoredEvent,
    occurred_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO balances (account_id, client_id, provider_id, currency, balance, credit_limit,
                               updated_at, position)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7)
         ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account_id.as_uuid())
    .bind(client_id)
    .bind(provider_id)
    .bind(zero.currency().code())
    .bind(zero.amount())
    .bind(occurred_at)
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

async fn set_balance(
    tx: &mut PgConnection,
    event: &StoredEvent,
    balance: Money,
    occurred_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE balances SET balance = $2, updated_at = $3, position = $4 WHERE account_id::text = $1",
    )
    .bind(&event.aggregate_id)
    .bind(balance.amount())
    .bind(occurred_at)
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

#[async_trait]
impl Projection for Balances {
    fn name(&self) -> &'static str {
        "balances"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["balances"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        match event.aggregate_type.as_str() {
            "Client" => {
                if let ClientEvent::ClientRegistered {
                    client_id,
                    provider_id,
                    currency,
                    ..
                } = event.decode()?
                {
                    let occurred_at = event.metadata()?.occurred_at;
                    let account_id = AccountId::of(client_id, provider_id, currency);
                    open(
                        tx,
                        account_id,
                        client_id.as_uuid(),
                        provider_id.as_uuid(),
                        Money::zero(currency),
                        event,
                        occurred_at,
                    )
                    .await?;
                }
            }
            "Account" => {
                let occurred_at = event.metadata()?.occurred_at;
                match event.decode()? {
                    AccountEvent::AccountOpened {
                        account_id,
                        client_id,
                        provider_id,
                        currency,
                    } => {
                        open(
                            tx,
                            account_id,
                            client_id.as_uuid(),
                            provider_id.as_uuid(),
                            Money::zero(currency),
                            event,
                            occurred_at,
                        )
                        .await?;
                    }
                    AccountEvent::PaymentPosted { balance_after, .. }
                    | AccountEvent::BalanceAdjusted { balance_after, .. } => {
                        set_balance(tx, event, balance_after, occurred_at).await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
