//! Every invoice and credit note, with its frozen document (seller, payer, lines, totals, tax
//! treatment) as drafted, its number once issued, and its status.

use async_trait::async_trait;
use domain::invoice::InvoiceEvent;
use eventstore::log::StoredEvent;
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

    fn version(&self) -> i32 {
        1
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
        InvoiceEvent::InvoiceIssued { sequence, number } => {
            sqlx::query(
                "UPDATE invoices
                    SET number = $2, sequence = $3,
                        status = CASE WHEN status = 'draft' THEN 'issued' ELSE status END,
                        position = $4
                  WHERE invoice_id = $1",
            )
            .bind(invoice_id)
            .bind(&number)
            .bind(i64::try_from(sequence).map_err(|e| ProjectionError::Malformed(e.to_string()))?)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        InvoiceEvent::InvoicePaid { .. } => {
            set_status(tx, invoice_id, "paid", event.position).await?;
        }
        InvoiceEvent::InvoiceCredited { credited_total, .. } => {
            sqlx::query(
                "UPDATE invoices
                    SET credited = $2,
                        status = CASE WHEN $2 >= gross THEN 'credited' ELSE 'partially_credited' END,
                        position = $3
                  WHERE invoice_id = $1",
            )
            .bind(invoice_id)
            .bind(credited_total.amount())
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        InvoiceEvent::InvoiceCancelled { .. } => {
            set_status(tx, invoice_id, "cancelled", event.position).await?;
        }
    }
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
