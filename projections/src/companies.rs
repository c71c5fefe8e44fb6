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
        1
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
        CompanyEvent::TaxDocumentSet { .. } => {
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
        } => {
            sqlx::query(
                "INSERT INTO payment_methods (company_id, method, kind, display_name, enabled)
                 VALUES ($1::uuid, $2, $3, $4, $5)
                 ON CONFLICT (company_id, method) DO UPDATE
                    SET kind = excluded.kind, display_name = excluded.display_name,
                        enabled = excluded.enabled",
            )
            .bind(id)
            .bind(method.as_str())
            .bind(kind.as_str())
            .bind(display_name)
            .bind(enabled)
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
