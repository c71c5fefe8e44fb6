//! Every payment: those with a lifecycle (from `Payment` events) and those credited directly to
//! an account (from `PaymentPosted` alone), with what was refunded of them. The account is the
//! authority on money, so refunds and reversals are read from the account's events.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::account::AccountEvent;
use domain::payment::{PaymentEvent, PaymentStatus};
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `payments` table (and `payment_accounts`, the owners of accounts).
pub struct Payments;

#[async_trait]
impl Projection for Payments {
    fn name(&self) -> &'static str {
        crate::ReadModel::Payments.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["payments", "payment_accounts"]
    }

    /// Its pages and the payments not credited are read through them; applying finds payments by key.
    fn indexes_deferred(&self) -> &'static [&'static str] {
        &["payments_client", "payments_page", "payments_unsettled"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        // Accounts opened and payments credited directly, the bulk of the traffic, are written
        // together; any other event first writes what came before it, in log order.
        let mut pending = Pending::default();
        for event in events {
            let applied = match (event.aggregate_type.as_str(), event.event_type.as_str()) {
                ("Account", "AccountOpened" | "PaymentPosted") => pending.push(event),
                ("Payment", _) => {
                    pending.write(tx).await?;
                    apply_payment(tx, event).await
                }
                ("Account", "PaymentRefunded" | "PaymentReversed") => {
                    pending.write(tx).await?;
                    apply_account(tx, event).await
                }
                _ => Ok(()),
            };
            applied.map_err(|e| e.at(event))?;
        }
        pending.write(tx).await?;
        Ok(())
    }
}

/// Accounts opened and payments credited directly, waiting to be written with one statement
/// each.
#[derive(Default)]
struct Pending {
    account_id: Vec<Uuid>,
    client_id: Vec<Uuid>,
    provider_id: Vec<Uuid>,
    payment_id: Vec<Uuid>,
    paid_to: Vec<Uuid>,
    method: Vec<String>,
    paid: Vec<Decimal>,
    paid_currency: Vec<&'static str>,
    account_currency: Vec<&'static str>,
    credited: Vec<Decimal>,
    rate: Vec<Option<Decimal>>,
    rate_date: Vec<Option<NaiveDate>>,
    at: Vec<DateTime<Utc>>,
    position: Vec<i64>,
}

impl Pending {
    fn push(&mut self, event: &StoredEvent) -> Result<(), ProjectionError> {
        let account_id = uuid_of(&event.aggregate_id)?;
        match event.decode::<AccountEvent>()? {
            AccountEvent::AccountOpened {
                client_id,
                provider_id,
                ..
            } => {
                self.account_id.push(account_id);
                self.client_id.push(client_id.as_uuid());
                self.provider_id.push(provider_id.as_uuid());
            }
            AccountEvent::PaymentPosted {
                payment_id,
                amount,
                method,
                conversion,
                ..
            } => {
                let paid = conversion.map_or(amount, |c| c.from);
                self.payment_id.push(payment_id.as_uuid());
                self.paid_to.push(account_id);
                self.method.push(method.as_str().to_owned());
                self.paid.push(paid.amount());
                self.paid_currency.push(paid.currency().code());
                self.account_currency.push(amount.currency().code());
                self.credited.push(amount.amount());
                self.rate.push(conversion.map(|c| c.rate.as_decimal()));
                self.rate_date.push(conversion.map(|c| c.effective_from));
                self.at.push(event.metadata()?.occurred_at);
                self.position.push(event.position);
            }
            _ => {}
        }
        Ok(())
    }

    /// Writes what waits (owners first: a payment takes its client and provider from its
    /// account's owner) and empties the buffer.
    async fn write(&mut self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        let pending = std::mem::take(self);
        if !pending.account_id.is_empty() {
            sqlx::query(
                "INSERT INTO payment_accounts (account_id, client_id, provider_id)
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[])
                 ON CONFLICT (account_id) DO NOTHING",
            )
            .bind(pending.account_id)
            .bind(pending.client_id)
            .bind(pending.provider_id)
            .execute(&mut *tx)
            .await?;
        }
        if !pending.payment_id.is_empty() {
            // A payment with a lifecycle already has its row; one credited directly gets it now.
            sqlx::query(
                "INSERT INTO payments (payment_id, client_id, provider_id, method, method_kind,
                                       status, amount, currency, account_currency, credited,
                                       rate, rate_date, created_on, created_at, credited_at,
                                       position)
                 SELECT p.payment_id, a.client_id, a.provider_id, p.method, 'direct', 'credited',
                        p.paid, p.paid_currency, p.account_currency, p.credited, p.rate,
                        p.rate_date, (p.at AT TIME ZONE 'UTC')::date, p.at, p.at, p.position
                   FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::text[],
                               $6::text[], $7::numeric[], $8::numeric[], $9::date[],
                               $10::timestamptz[], $11::bigint[])
                        AS p(payment_id, account_id, method, paid, paid_currency,
                             account_currency, credited, rate, rate_date, at, position)
                   JOIN payment_accounts a ON a.account_id = p.account_id
                  ORDER BY p.position
                 ON CONFLICT (payment_id) DO NOTHING",
            )
            .bind(pending.payment_id)
            .bind(pending.paid_to)
            .bind(pending.method)
            .bind(pending.paid)
            .bind(pending.paid_currency)
            .bind(pending.account_currency)
            .bind(pending.credited)
            .bind(pending.rate)
            .bind(pending.rate_date)
            .bind(pending.at)
            .bind(pending.position)
            .execute(&mut *tx)
            .await?;
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
    match event.decode::<AccountEvent>()? {
        AccountEvent::PaymentRefunded {
            payment_id, amount, ..
        } => {
            // The status is the payment's rule (`PaymentStatus::of_credited`), told what the
            // row now holds; a payment found to be fraud stays so. Refunds are rare, so the
            // second statement costs little.
            let refunded: Option<(Option<Decimal>, Decimal, String)> = sqlx::query_as(
                "UPDATE payments SET refunded = refunded + $2, position = $3
                  WHERE payment_id = $1
                  RETURNING credited, refunded, status",
            )
            .bind(payment_id.as_uuid())
            .bind(amount.amount())
            .bind(event.position)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((credited, refunded, status)) = refunded
                && status != PaymentStatus::Fraud.as_str()
            {
                let status = PaymentStatus::of_credited(credited.unwrap_or(refunded), refunded);
                set_status(tx, payment_id.as_uuid(), status.as_str(), event.position).await?;
            }
        }
        AccountEvent::PaymentReversed { payment_id, .. } => {
            set_status(tx, payment_id.as_uuid(), "fraud", event.position).await?;
        }
        _ => {}
    }
    Ok(())
}

// Queries: what the HTTP layer and the dashboard read.

/// A row of the `payments` read model.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    /// Its id.
    pub payment_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The company that received it.
    pub company_id: Option<Uuid>,
    /// The payment method.
    pub method: String,
    /// Its kind, or `direct`.
    pub method_kind: String,
    /// Its status.
    pub status: String,
    /// What the client paid.
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
    /// What was credited to the account, once credited.
    pub credited: Option<Decimal>,
    /// The account's currency.
    pub account_currency: String,
    /// The exchange rate used, for a converted payment.
    pub rate: Option<Decimal>,
    /// The day that rate took effect.
    pub rate_date: Option<NaiveDate>,
    /// What was refunded, in the account's currency.
    pub refunded: Decimal,
    /// The gateway's or bank's id.
    pub external_id: Option<String>,
    /// The proforma invoice it pays.
    pub invoice_id: Option<Uuid>,
    /// When it was created (or credited, for a direct payment).
    pub created_at: DateTime<Utc>,
    /// When it was credited.
    pub credited_at: Option<DateTime<Utc>>,
    /// The global position of its last change.
    pub position: i64,
    /// The client's payer that made it.
    pub payer_id: Option<Uuid>,
}

const PAYMENT_COLUMNS: &str = "payment_id, client_id, provider_id, company_id, method, \
     method_kind, status, amount, currency, credited, account_currency, rate, rate_date, \
     refunded, external_id, invoice_id, created_at, credited_at, position, payer_id";

/// Which payments to list; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    /// Only this client's.
    pub client_id: Option<Uuid>,
    /// Only those with this status.
    pub status: Option<String>,
    /// Only those by this method.
    pub method: Option<String>,
    /// Only those received by this company.
    pub company_id: Option<Uuid>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
}

/// Payments matching `filter` after the keyset cursor `after` (creation time, id), oldest first,
/// at most `limit`.
pub async fn list(
    pool: &sqlx::PgPool,
    filter: &PaymentFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    page(pool, filter, after, false, limit).await
}

/// Payments matching `filter` before the keyset cursor `before` (creation time, id), newest
/// first, at most `limit`: the pages of a client's own list, which starts with its latest.
pub async fn list_newest(
    pool: &sqlx::PgPool,
    filter: &PaymentFilter,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    page(pool, filter, before, true, limit).await
}

/// One keyset page of payments matching `filter`, past `cursor` in the page's order: oldest
/// first, or newest first.
async fn page(
    pool: &sqlx::PgPool,
    filter: &PaymentFilter,
    cursor: Option<(DateTime<Utc>, Uuid)>,
    newest_first: bool,
    limit: i64,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    let (past, order) = if newest_first {
        ("<", "created_at DESC, payment_id DESC")
    } else {
        (">", "created_at, payment_id")
    };
    sqlx::query_as(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments
          WHERE ($1::uuid IS NULL OR client_id = $1)
            AND ($2::text IS NULL OR status = $2)
            AND ($3::text IS NULL OR method = $3)
            AND ($4::uuid IS NULL OR company_id = $4)
            AND ($5::timestamptz IS NULL OR created_at >= $5)
            AND ($6::timestamptz IS NULL OR created_at < $6)
            AND ($7::timestamptz IS NULL OR (created_at, payment_id) {past} ($7, $8))
          ORDER BY {order}
          LIMIT $9"
    ))
    .bind(filter.client_id)
    .bind(&filter.status)
    .bind(&filter.method)
    .bind(filter.company_id)
    .bind(filter.from)
    .bind(filter.to)
    .bind(cursor.map(|(at, _)| at))
    .bind(cursor.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The payments `filter` matches, counted and summed per currency paid.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentTotals {
    pub currency: String,
    pub count: i64,
    pub amount: Decimal,
}

/// Totals per currency paid over every payment `filter` matches.
pub async fn totals(
    pool: &sqlx::PgPool,
    filter: &PaymentFilter,
) -> Result<Vec<PaymentTotals>, sqlx::Error> {
    sqlx::query_as(
        "SELECT currency, count(*) AS count, sum(amount) AS amount FROM payments
          WHERE ($1::uuid IS NULL OR client_id = $1)
            AND ($2::text IS NULL OR status = $2)
            AND ($3::text IS NULL OR method = $3)
            AND ($4::uuid IS NULL OR company_id = $4)
            AND ($5::timestamptz IS NULL OR created_at >= $5)
            AND ($6::timestamptz IS NULL OR created_at < $6)
          GROUP BY currency ORDER BY currency",
    )
    .bind(filter.client_id)
    .bind(&filter.status)
    .bind(&filter.method)
    .bind(filter.company_id)
    .bind(filter.from)
    .bind(filter.to)
    .fetch_all(pool)
    .await
}

/// One payment.
pub async fn get(pool: &sqlx::PgPool, payment_id: Uuid) -> Result<Option<PaymentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE payment_id = $1"
    ))
    .bind(payment_id)
    .fetch_optional(pool)
    .await
}

/// The client of a payment, as the read model holds it (also of one credited directly, which
/// has no `Payment` stream).
pub async fn client_of(pool: &sqlx::PgPool, payment_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT client_id FROM payments WHERE payment_id = $1")
        .bind(payment_id)
        .fetch_optional(pool)
        .await
}
