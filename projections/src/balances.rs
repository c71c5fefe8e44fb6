//! The balance of every personal account. A client has a zero balance in its provider's currency
//! from registration on; money events carry the balance after them, so this never adds up money.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::account::AccountEvent;
use domain::client::ClientEvent;
use domain::ids::AccountId;
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `balances` table.
pub struct Balances;

/// Accounts opened in a batch, column by column.
#[derive(Default)]
struct Opened {
    account_id: Vec<Uuid>,
    client_id: Vec<Uuid>,
    provider_id: Vec<Uuid>,
    currency: Vec<String>,
    zero: Vec<Decimal>,
    at: Vec<DateTime<Utc>>,
    position: Vec<i64>,
}

/// The last balance of each account changed in a batch.
struct Latest {
    balance: Decimal,
    at: DateTime<Utc>,
    position: i64,
}

#[async_trait]
impl Projection for Balances {
    fn name(&self) -> &'static str {
        crate::ReadModel::Balances.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["balances"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut opened = Opened::default();
        let mut latest: HashMap<Uuid, Latest> = HashMap::new();
        let mut limits: HashMap<Uuid, Decimal> = HashMap::new();
        for event in events {
            let open = match event.aggregate_type.as_str() {
                "Client" => match event
                    .decode()
                    .map_err(|e| ProjectionError::from(e).at(event))?
                {
                    ClientEvent::ClientRegistered {
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
                    } => Some((
                        AccountId::of(client_id, provider_id, currency),
                        client_id.as_uuid(),
                        provider_id.as_uuid(),
                        currency,
                    )),
                    _ => None,
                },
                "Account" => match event
                    .decode()
                    .map_err(|e| ProjectionError::from(e).at(event))?
                {
                    AccountEvent::AccountOpened {
                        account_id,
                        client_id,
                        provider_id,
                        currency,
                    } => Some((
                        account_id,
                        client_id.as_uuid(),
                        provider_id.as_uuid(),
                        currency,
                    )),
                    // A promise moves no money.
                    AccountEvent::PaymentPromised { .. } => None,
                    AccountEvent::CreditLimitSet { limit } => {
                        let account = Uuid::parse_str(&event.aggregate_id).map_err(|e| {
                            ProjectionError::Malformed(format!("account id: {e}")).at(event)
                        })?;
                        limits.insert(account, limit.amount());
                        None
                    }
                    AccountEvent::PaymentPosted { balance_after, .. }
                    | AccountEvent::BalanceImported { balance_after, .. }
                    | AccountEvent::BalanceAdjusted { balance_after, .. }
                    | AccountEvent::ExpenseCharged { balance_after, .. }
                    | AccountEvent::ExpenseCredited { balance_after, .. }
                    | AccountEvent::PaymentRefunded { balance_after, .. }
                    | AccountEvent::PaymentReversed { balance_after, .. }
                    | AccountEvent::ExpenseCorrected { balance_after, .. }
                    | AccountEvent::BalanceTransferredOut { balance_after, .. }
                    | AccountEvent::BalanceTransferredIn { balance_after, .. } => {
                        let account = Uuid::parse_str(&event.aggregate_id).map_err(|e| {
                            ProjectionError::Malformed(format!("account id: {e}")).at(event)
                        })?;
                        latest.insert(
                            account,
                            Latest {
                                balance: balance_after.amount(),
                                at: event.metadata()?.occurred_at,
                                position: event.position,
                            },
                        );
                        None
                    }
                },
                _ => None,
            };
            if let Some((account_id, client_id, provider_id, currency)) = open {
                opened.account_id.push(account_id.as_uuid());
                opened.client_id.push(client_id);
                opened.provider_id.push(provider_id);
                opened.currency.push(currency.code().to_owned());
                opened
                    .zero
                    .push(domain::money::Money::zero(currency).amount());
                opened.at.push(event.metadata()?.occurred_at);
                opened.position.push(event.position);
            }
        }
        if !opened.account_id.is_empty() {
            sqlx::query(
                "INSERT INTO balances (account_id, client_id, provider_id, currency, balance,
                                       credit_limit, updated_at, position)
                 SELECT a, c, p, cur, z, z, t, pos
                   FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::numeric[],
                               $6::timestamptz[], $7::bigint[]) AS u(a, c, p, cur, z, t, pos)
                 ON CONFLICT (account_id) DO NOTHING",
            )
            .bind(&opened.account_id)
            .bind(&opened.client_id)
            .bind(&opened.provider_id)
            .bind(&opened.currency)
            .bind(&opened.zero)
            .bind(&opened.at)
            .bind(&opened.position)
            .execute(&mut *tx)
            .await?;
        }
        if !latest.is_empty() {
            let mut ids = Vec::with_capacity(latest.len());
            let mut balances = Vec::with_capacity(latest.len());
            let mut ats = Vec::with_capacity(latest.len());
            let mut positions = Vec::with_capacity(latest.len());
            for (id, last) in latest {
                ids.push(id);
                balances.push(last.balance);
                ats.push(last.at);
                positions.push(last.position);
            }
            sqlx::query(
                "UPDATE balances b
                    SET balance = u.balance, updated_at = u.at, position = u.pos
                   FROM unnest($1::uuid[], $2::numeric[], $3::timestamptz[], $4::bigint[])
                        AS u(id, balance, at, pos)
                  WHERE b.account_id = u.id",
            )
            .bind(&ids)
            .bind(&balances)
            .bind(&ats)
            .bind(&positions)
            .execute(&mut *tx)
            .await?;
        }
        if !limits.is_empty() {
            let (ids, amounts): (Vec<Uuid>, Vec<Decimal>) = limits.into_iter().unzip();
            sqlx::query(
                "UPDATE balances b SET credit_limit = u.limit_amount
                   FROM unnest($1::uuid[], $2::numeric[]) AS u(id, limit_amount)
                  WHERE b.account_id = u.id",
            )
            .bind(&ids)
            .bind(&amounts)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

// Queries of the staff dashboard.

/// One of a client's accounts as the dashboard shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountLine {
    pub account_id: Uuid,
    pub currency: String,
    pub balance: Decimal,
    pub credit_limit: Decimal,
}

/// A client's accounts, by currency.
pub async fn accounts_of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
) -> Result<Vec<AccountLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT account_id, currency, balance, credit_limit FROM balances
          WHERE client_id = $1 ORDER BY currency",
    )
    .bind(client_id)
    .fetch_all(pool)
    .await
}

// Queries: what the HTTP layer and the dashboard read.

/// One personal account as the read model holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BalanceRow {
    /// The provider the account is kept at.
    pub provider_id: Uuid,
    /// ISO 4217 code.
    pub currency: String,
    /// The balance.
    pub balance: Decimal,
    /// How far the balance may go below zero.
    pub credit_limit: Decimal,
}

/// The client's accounts by provider and currency; `None` when the `clients` read model knows
/// no such client. Reads `clients` too (a join of two read models: the client's existence).
pub async fn of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
) -> Result<Option<Vec<BalanceRow>>, sqlx::Error> {
    let rows: Vec<BalanceRow> = sqlx::query_as(
        "SELECT provider_id, currency, balance, credit_limit FROM balances
          WHERE client_id = $1 ORDER BY provider_id, currency",
    )
    .bind(client_id)
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1)")
            .bind(client_id)
            .fetch_one(pool)
            .await?;
        if !known {
            return Ok(None);
        }
    }
    Ok(Some(rows))
}

/// The ids of the client's accounts, by provider and currency.
pub async fn account_ids_of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT account_id FROM balances WHERE client_id = $1 ORDER BY provider_id, currency",
    )
    .bind(client_id)
    .fetch_all(pool)
    .await
}

/// The client's first account (by provider and currency) in `currency`, or in any currency when
/// `None`: its id and currency.
pub async fn first_account(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    currency: Option<&str>,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT account_id, currency FROM balances
          WHERE client_id = $1 AND ($2::text IS NULL OR currency = $2)
          ORDER BY provider_id, currency LIMIT 1",
    )
    .bind(client_id)
    .bind(currency)
    .fetch_optional(pool)
    .await
}
