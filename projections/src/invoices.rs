//! Every invoice and credit note, with its frozen document (seller, payer, lines, totals, tax
//! treatment) as drafted, its number once issued, and its status.

use async_trait::async_trait;
use domain::invoice::{InvoiceEvent, InvoiceStatus, StatusFacts};
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `invoices` table.
pub struct Invoices;

#[async_trait]
impl Projection for Invoices {
    fn name(&self) -> &'static str {
        crate::ReadModel::Invoices.name()
    }

    /// Version 2 keeps what instalments paid (`paid_in_part`, status `partially_paid`).
    fn version(&self) -> i32 {
        // 3: `paid`, and the status from `InvoiceStatus::of` over the row's facts.
        3
    }

    fn tables(&self) -> &'static [&'static str] {
        &["invoices"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events.iter().filter(|e| e.aggregate_type == "Invoice") {
            apply(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

async fn apply(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let invoice_id = Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("invoice id: {e}")))?;
    match event.decode::<InvoiceEvent>()? {
        InvoiceEvent::InvoiceDrafted {
            kind,
            provider_id,
            company_id,
            client_id,
            currency,
            totals,
            issued_on,
            due_on,
            payment_id,
            period,
            corrects,
            ..
        } => {
            // The whole drafted event is the document: it is what was written, frozen.
            let document: serde_json::Value = serde_json::from_str(&event.payload)?;
            let document = document.get("InvoiceDrafted").cloned().unwrap_or(document);
            sqlx::query(
                "INSERT INTO invoices (invoice_id, kind, status, provider_id, company_id,
                                       client_id, issued_on, due_on, currency, net, tax, gross,
                                       payment_id, corrects, period_start, period_end, document,
                                       created_at, position)
                 VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                         $15, $16, $17, $18)",
            )
            .bind(invoice_id)
            .bind(kind.as_str())
            .bind(provider_id.as_uuid())
            .bind(company_id.as_uuid())
            .bind(client_id.as_uuid())
            .bind(issued_on)
            .bind(due_on)
            .bind(currency.code())
            .bind(totals.net.amount())
            .bind(totals.tax.amount())
            .bind(totals.gross.amount())
            .bind(payment_id.map(|id| id.as_uuid()))
            .bind(corrects.map(|id| id.as_uuid()))
            .bind(period.map(|p| p.start))
            .bind(period.map(|p| p.end))
            .bind(document)
            .bind(event.metadata()?.occurred_at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        // Issued in the system it came from, with its number there (outside this company's
        // book: no sequence).
        InvoiceEvent::InvoiceImported {
            provider_id,
            company_id,
            client_id,
            currency,
            totals,
            number,
            issued_on,
            due_on,
            ..
        } => {
            let document: serde_json::Value = serde_json::from_str(&event.payload)?;
            let document = document.get("InvoiceImported").cloned().unwrap_or(document);
            sqlx::query(
                "INSERT INTO invoices (invoice_id, kind, status, number, provider_id, company_id,
                                       client_id, issued_on, due_on, currency, net, tax, gross,
                                       document, created_at, position)
                 VALUES ($1, 'manual', 'issued', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                         $13, $14)",
            )
            .bind(invoice_id)
            .bind(&number)
            .bind(provider_id.as_uuid())
            .bind(company_id.as_uuid())
            .bind(client_id.as_uuid())
            .bind(issued_on)
            .bind(due_on)
            .bind(currency.code())
            .bind(totals.net.amount())
            .bind(totals.tax.amount())
            .bind(totals.gross.amount())
            .bind(document)
            .bind(event.metadata()?.occurred_at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        InvoiceEvent::InvoiceIssued { sequence, number } => {
            sqlx::query(
                "UPDATE invoices SET number = $2, sequence = $3, position = $4
                  WHERE invoice_id = $1",
            )
            .bind(invoice_id)
            .bind(&number)
            .bind(i64::try_from(sequence).map_err(|e| ProjectionError::Malformed(e.to_string()))?)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            refresh_status(tx, invoice_id).await?;
        }
        InvoiceEvent::InvoicePaid { .. } => {
            sqlx::query("UPDATE invoices SET paid = true, position = $2 WHERE invoice_id = $1")
                .bind(invoice_id)
                .bind(event.position)
                .execute(&mut *tx)
                .await?;
            refresh_status(tx, invoice_id).await?;
        }
        InvoiceEvent::InvoicePartlyPaid { paid_total, .. } => {
            sqlx::query(
                "UPDATE invoices SET paid_in_part = $2, position = $3 WHERE invoice_id = $1",
            )
            .bind(invoice_id)
            .bind(paid_total.amount())
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            refresh_status(tx, invoice_id).await?;
        }
        InvoiceEvent::InvoiceCredited { credited_total, .. } => {
            sqlx::query("UPDATE invoices SET credited = $2, position = $3 WHERE invoice_id = $1")
                .bind(invoice_id)
                .bind(credited_total.amount())
                .bind(event.position)
                .execute(&mut *tx)
                .await?;
            refresh_status(tx, invoice_id).await?;
        }
        InvoiceEvent::InvoiceCancelled { .. } => {
            set_status(tx, invoice_id, "cancelled", event.position).await?;
        }
        // The notifier sends it; the document itself does not change.
        InvoiceEvent::InvoiceSendRequested { .. } => {}
    }
    Ok(())
}

/// Sets the invoice's status from the facts its row records, by the `Invoice`'s own rule
/// ([`InvoiceStatus::of`]): the read model keeps the facts, never a second copy of the rule.
async fn refresh_status(tx: &mut PgConnection, invoice_id: Uuid) -> Result<(), ProjectionError> {
    let facts: Option<(bool, bool, bool, Decimal, Decimal, Decimal)> = sqlx::query_as(
        "SELECT status = 'cancelled', number IS NOT NULL, paid, paid_in_part, credited, gross
           FROM invoices WHERE invoice_id = $1",
    )
    .bind(invoice_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((cancelled, issued, paid, paid_in_part, credited, gross)) = facts else {
        return Ok(());
    };
    let status = InvoiceStatus::of(StatusFacts {
        cancelled,
        issued,
        paid,
        paid_in_part: !paid_in_part.is_zero(),
        credited,
        gross,
    });
    sqlx::query("UPDATE invoices SET status = $2 WHERE invoice_id = $1")
        .bind(invoice_id)
        .bind(status.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn set_status(
    tx: &mut PgConnection,
    invoice_id: Uuid,
    status: &str,
    position: i64,
) -> Result<(), ProjectionError> {
    sqlx::query("UPDATE invoices SET status = $2, position = $3 WHERE invoice_id = $1")
        .bind(invoice_id)
        .bind(status)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

// Queries of the staff dashboard.

/// An invoice as the dashboard's client page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceLine {
    pub invoice_id: Uuid,
    pub number: Option<String>,
    pub kind: String,
    pub status: String,
    pub issued_on: chrono::NaiveDate,
    pub gross: rust_decimal::Decimal,
    pub currency: String,
}

/// A client's latest `limit` invoices, newest first.
pub async fn latest_of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    limit: i64,
) -> Result<Vec<InvoiceLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT invoice_id, number, kind, status, issued_on, gross, currency FROM invoices
          WHERE client_id = $1 ORDER BY issued_on DESC, created_at DESC LIMIT $2",
    )
    .bind(client_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

// Queries: what the HTTP layer and the dashboard read.

/// A row of the `invoices` read model.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRow {
    /// Its id.
    pub invoice_id: Uuid,
    /// `proforma`, `monthly`, `manual` or `credit_note`.
    pub kind: String,
    /// Its status.
    pub status: String,
    /// Its number once issued.
    pub number: Option<String>,
    /// The issuing company.
    pub company_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The day of issue.
    pub issued_on: chrono::NaiveDate,
    /// When it is due.
    pub due_on: chrono::NaiveDate,
    /// ISO 4217 code.
    pub currency: String,
    /// Total without tax.
    pub net: rust_decimal::Decimal,
    /// Total tax.
    pub tax: rust_decimal::Decimal,
    /// Total with tax.
    pub gross: rust_decimal::Decimal,
    /// How much of it credit notes corrected.
    pub credited: rust_decimal::Decimal,
    /// What payments naming it paid of it before the one that settled it (ADR 38).
    pub paid_in_part: rust_decimal::Decimal,
    /// The payment a proforma is for.
    pub payment_id: Option<Uuid>,
    /// The invoice a credit note corrects.
    pub corrects: Option<Uuid>,
    /// The frozen document as drafted.
    pub document: serde_json::Value,
    /// The global position of its last change.
    pub position: i64,
    /// When it was drafted: the list's order.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

const INVOICE_COLUMNS: &str = "invoice_id, kind, status, number, company_id, client_id, \
     issued_on, due_on, currency, net, tax, gross, credited, paid_in_part, payment_id, corrects, \
     document, \
     position, created_at";

/// Which invoices to list; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// Only this client's.
    pub client_id: Option<Uuid>,
    /// Only this company's.
    pub company_id: Option<Uuid>,
    /// Only those with this status.
    pub status: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only the one with this number.
    pub number: Option<String>,
    /// Issued on or after this day.
    pub from: Option<chrono::NaiveDate>,
    /// Issued before this day.
    pub to: Option<chrono::NaiveDate>,
}

const FILTER: &str = "($1::uuid IS NULL OR client_id = $1)
            AND ($2::uuid IS NULL OR company_id = $2)
            AND ($3::text IS NULL OR status = $3)
            AND ($4::text IS NULL OR kind = $4)
            AND ($5::text IS NULL OR number = $5)
            AND ($6::date IS NULL OR issued_on >= $6)
            AND ($7::date IS NULL OR issued_on < $7)";

/// A page of invoices and the totals of everything the filter matches.
#[derive(Debug, Clone)]
pub struct InvoicePage {
    /// The invoices of the page, oldest first.
    pub rows: Vec<InvoiceRow>,
    /// Totals per currency over every invoice the filter matches that is not cancelled.
    pub totals: Vec<TotalsRow>,
}

/// Invoices matching `filter` after the keyset cursor `after` (creation time, id), oldest first,
/// at most `limit`, with the totals of all of them.
pub async fn page(
    pool: &sqlx::PgPool,
    filter: &InvoiceFilter,
    after: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
    limit: i64,
) -> Result<InvoicePage, sqlx::Error> {
    Ok(InvoicePage {
        rows: list(pool, filter, after, limit).await?,
        totals: totals(pool, filter).await?,
    })
}

/// Invoices matching `filter` after the keyset cursor `after` (creation time, id), oldest first,
/// at most `limit`.
async fn list(
    pool: &sqlx::PgPool,
    filter: &InvoiceFilter,
    after: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices
          WHERE {FILTER}
            AND ($8::timestamptz IS NULL OR (created_at, invoice_id) > ($8, $9))
          ORDER BY created_at, invoice_id
          LIMIT $10"
    ))
    .bind(filter.client_id)
    .bind(filter.company_id)
    .bind(&filter.status)
    .bind(&filter.kind)
    .bind(&filter.number)
    .bind(filter.from)
    .bind(filter.to)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The totals of one currency over the invoices a filter matches.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotalsRow {
    /// ISO 4217 code.
    pub currency: String,
    /// How many documents.
    pub count: i64,
    /// The sum of their net amounts.
    pub net: rust_decimal::Decimal,
    /// The sum of their taxes.
    pub tax: rust_decimal::Decimal,
    /// The sum of their gross amounts.
    pub gross: rust_decimal::Decimal,
}

/// Totals per currency over every invoice `filter` matches that is not cancelled.
async fn totals(
    pool: &sqlx::PgPool,
    filter: &InvoiceFilter,
) -> Result<Vec<TotalsRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT currency, count(*) AS count, coalesce(sum(net), 0) AS net,
                coalesce(sum(tax), 0) AS tax, coalesce(sum(gross), 0) AS gross
           FROM invoices WHERE {FILTER} AND status <> 'cancelled'
          GROUP BY currency ORDER BY currency"
    ))
    .bind(filter.client_id)
    .bind(filter.company_id)
    .bind(&filter.status)
    .bind(&filter.kind)
    .bind(&filter.number)
    .bind(filter.from)
    .bind(filter.to)
    .fetch_all(pool)
    .await
}

/// One invoice.
pub async fn get(pool: &sqlx::PgPool, invoice_id: Uuid) -> Result<Option<InvoiceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE invoice_id = $1"
    ))
    .bind(invoice_id)
    .fetch_optional(pool)
    .await
}
