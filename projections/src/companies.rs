//! Companies as staff list and read them: legal details, invoice numbering, tax rules and the
//! payment methods each company accepts.

use async_trait::async_trait;
use domain::company::CompanyEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use sqlx::types::Json;

use crate::{Projection, ProjectionError};

/// The `companies` and `payment_methods` tables.
pub struct Companies;

#[async_trait]
impl Projection for Companies {
    fn name(&self) -> &'static str {
        crate::ReadModel::Companies.name()
    }

    fn version(&self) -> i32 {
        // 2: payment methods keep their redirect address template.
        2
    }

    fn tables(&self) -> &'static [&'static str] {
        &["companies", "payment_methods"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        // Companies change rarely: one statement per event keeps the order of a company's changes
        // within a batch without any bookkeeping.
        for event in events.iter().filter(|e| e.aggregate_type == "Company") {
            apply(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

async fn apply(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let id = &event.aggregate_id;
    match event.decode::<CompanyEvent>()? {
        CompanyEvent::CompanyCreated {
            company_id,
            provider_id,
            name,
            country,
            vat_number,
            address,
            numbering,
            ..
        } => {
            let occurred_at = event.metadata()?.occurred_at;
            sqlx::query(
                "INSERT INTO companies (company_id, provider_id, name, country, vat_number, address,
                                        numbering_prefix, numbering_reset, created_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(company_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(name)
            .bind(country.as_str())
            .bind(vat_number.as_ref().map(|v| v.as_str()))
            .bind(address)
            .bind(numbering.prefix())
            .bind(numbering.reset().as_str())
            .bind(occurred_at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        CompanyEvent::TaxRulesSet { rules } => {
            sqlx::query(
                "UPDATE companies SET tax_rules = $2, position = $3 WHERE company_id = $1::uuid",
            )
            .bind(id)
            .bind(Json(&rules))
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        // The setting is read from the company's own events where it is used; the read model
        // only moves its position.
        CompanyEvent::TaxDocumentSet { .. } | CompanyEvent::CompanyDocumentTemplateSet { .. } => {
            sqlx::query("UPDATE companies SET position = $2 WHERE company_id = $1::uuid")
                .bind(id)
                .bind(event.position)
                .execute(tx)
                .await?;
        }
        CompanyEvent::PaymentMethodConfigured {
            method,
            kind,
            display_name,
            enabled,
            redirect_url,
        } => {
            sqlx::query(
                "INSERT INTO payment_methods (company_id, method, kind, display_name, enabled,
                                              redirect_url)
                 VALUES ($1::uuid, $2, $3, $4, $5, $6)
                 ON CONFLICT (company_id, method) DO UPDATE
                    SET kind = excluded.kind, display_name = excluded.display_name,
                        enabled = excluded.enabled, redirect_url = excluded.redirect_url",
            )
            .bind(id)
            .bind(method.as_str())
            .bind(kind.as_str())
            .bind(display_name)
            .bind(enabled)
            .bind(redirect_url)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE companies SET position = $2 WHERE company_id = $1::uuid")
                .bind(id)
                .bind(event.position)
                .execute(tx)
                .await?;
        }
    }
    Ok(())
}

// Queries: what the HTTP layer and the dashboard read.

/// A company as the read model holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyRow {
    /// Its id.
    pub company_id: uuid::Uuid,
    /// Its provider.
    pub provider_id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Its country.
    pub country: String,
    /// Its VAT number.
    pub vat_number: Option<String>,
    /// Its address.
    pub address: String,
    /// The prefix of its invoice numbers.
    pub numbering_prefix: String,
    /// When its invoice sequence starts again.
    pub numbering_reset: String,
    /// Its tax rules, as the domain serializes them.
    pub tax_rules: serde_json::Value,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A payment method of a company.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentMethodRow {
    /// The company.
    pub company_id: uuid::Uuid,
    /// The method's name.
    pub method: String,
    /// Its kind.
    pub kind: String,
    /// Its display name.
    pub display_name: String,
    /// Whether it is offered.
    pub enabled: bool,
    /// For a card gateway, where the customer panel sends the client to pay (a template with
    /// `{payment_id}` and `{return_url}`).
    pub redirect_url: Option<String>,
}

const COMPANY_COLUMNS: &str = "company_id, provider_id, name, country, vat_number, address, \
     numbering_prefix, numbering_reset, tax_rules, created_at";

/// Companies, oldest first, of one provider if asked, after `after` (created at, id), at most
/// `limit`.
pub async fn companies(
    pool: &sqlx::PgPool,
    provider_id: Option<uuid::Uuid>,
    after: Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>,
    limit: i64,
) -> Result<Vec<CompanyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COMPANY_COLUMNS} FROM companies
          WHERE ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::timestamptz IS NULL OR (created_at, company_id) > ($2, $3))
          ORDER BY created_at, company_id
          LIMIT $4"
    ))
    .bind(provider_id)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One company.
pub async fn company(
    pool: &sqlx::PgPool,
    id: uuid::Uuid,
) -> Result<Option<CompanyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COMPANY_COLUMNS} FROM companies WHERE company_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The payment methods of `companies`, by company and name.
pub async fn payment_methods(
    pool: &sqlx::PgPool,
    companies: &[uuid::Uuid],
) -> Result<Vec<PaymentMethodRow>, sqlx::Error> {
    if companies.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT company_id, method, kind, display_name, enabled, redirect_url FROM payment_methods
          WHERE company_id = ANY($1) ORDER BY company_id, method",
    )
    .bind(companies)
    .fetch_all(pool)
    .await
}
