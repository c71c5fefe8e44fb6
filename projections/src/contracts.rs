//! The `contracts` read model (issue 20.2, ADR 31): each contract template's current version
//! (`ContractTemplatePublished`) and each contract with its number, date, status and, once
//! signed, its frozen texts (`ContractDrafted`, `ContractSigned`, `ContractTerminated`). It copies
//! the events: the status is the one each event names, never re-derived.

use async_trait::async_trait;
use chrono::NaiveDate;
use domain::contract::{ContractEvent, ContractTemplateEvent};
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `contract_templates` and `contracts` tables.
pub struct Contracts;

#[async_trait]
impl Projection for Contracts {
    fn name(&self) -> &'static str {
        crate::ReadModel::Contracts.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["contract_templates", "contracts"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            match event.aggregate_type.as_str() {
                "ContractTemplate" => template(tx, event).await?,
                "Contract" => contract_event(tx, event).await?,
                _ => {}
            }
        }
        Ok(())
    }
}

async fn template(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let ContractTemplateEvent::ContractTemplatePublished {
        template_id,
        company_id,
        name,
        prefix,
        version,
        texts,
        published_on,
    } = event
        .decode::<ContractTemplateEvent>()
        .map_err(|e| ProjectionError::from(e).at(event))?;
    let texts = serde_json::to_value(&texts).map_err(|e| ProjectionError::from(e).at(event))?;
    sqlx::query(
        "INSERT INTO contract_templates (template_id, company_id, name, prefix, version, texts,
                                         published_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (template_id) DO UPDATE SET name = $3, prefix = $4, version = $5,
             texts = $6, published_on = $7",
    )
    .bind(template_id.as_uuid())
    .bind(company_id.as_uuid())
    .bind(name)
    .bind(prefix)
    .bind(i32::try_from(version).unwrap_or(i32::MAX))
    .bind(texts)
    .bind(published_on)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn contract_event(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    match event
        .decode::<ContractEvent>()
        .map_err(|e| ProjectionError::from(e).at(event))?
    {
        ContractEvent::ContractDrafted {
            contract_id,
            provider_id,
            company_id,
            client_id,
            template_id,
            template_version,
            number,
            sequence,
            dated_on,
        } => {
            sqlx::query(
                "INSERT INTO contracts (contract_id, provider_id, company_id, client_id,
                     template_id, template_version, number, sequence, dated_on, status, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10)
                 ON CONFLICT (contract_id) DO NOTHING",
            )
            .bind(contract_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(company_id.as_uuid())
            .bind(client_id.as_uuid())
            .bind(template_id.as_uuid())
            .bind(i32::try_from(template_version).unwrap_or(i32::MAX))
            .bind(number)
            .bind(i64::try_from(sequence).unwrap_or(i64::MAX))
            .bind(dated_on)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        ContractEvent::ContractSigned {
            contract_id,
            signed_on,
            template_version,
            texts,
            ..
        } => {
            let texts =
                serde_json::to_value(&texts).map_err(|e| ProjectionError::from(e).at(event))?;
            sqlx::query(
                "UPDATE contracts SET status = 'signed', signed_on = $2, template_version = $3,
                     texts = $4, position = $5
                 WHERE contract_id = $1",
            )
            .bind(contract_id.as_uuid())
            .bind(signed_on)
            .bind(i32::try_from(template_version).unwrap_or(i32::MAX))
            .bind(texts)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        ContractEvent::ContractTerminated {
            contract_id,
            terminated_on,
            reason,
        } => {
            sqlx::query(
                "UPDATE contracts SET status = 'terminated', terminated_on = $2,
                     termination_reason = $3, position = $4
                 WHERE contract_id = $1",
            )
            .bind(contract_id.as_uuid())
            .bind(terminated_on)
            .bind(reason)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

// Queries: what the HTTP layer and the panels read.

/// A contract template's current version.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ContractTemplateRow {
    /// The template.
    pub template_id: Uuid,
    /// Its company.
    pub company_id: Uuid,
    /// Its name.
    pub name: String,
    /// The numbers' prefix.
    pub prefix: String,
    /// The current version.
    pub version: i32,
    /// The texts: `[{"language", "title", "body"}]`.
    pub texts: serde_json::Value,
    /// The day the current version was published.
    pub published_on: NaiveDate,
}

/// A company's contract templates (every company's without one), by name.
pub async fn templates(
    pool: &sqlx::PgPool,
    company: Option<Uuid>,
) -> Result<Vec<ContractTemplateRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT template_id, company_id, name, prefix, version, texts, published_on
           FROM contract_templates WHERE $1::uuid IS NULL OR company_id = $1
          ORDER BY name, template_id LIMIT 1000",
    )
    .bind(company)
    .fetch_all(pool)
    .await
}

/// A contract, with its client's name.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ContractRow {
    /// The contract.
    pub contract_id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The company.
    pub company_id: Uuid,
    /// The company's name.
    pub company_name: Option<String>,
    /// The client.
    pub client_id: Uuid,
    /// The client's name.
    pub client_name: Option<String>,
    /// The template.
    pub template_id: Uuid,
    /// The template's version it was drafted (or signed) from.
    pub template_version: i32,
    /// The number.
    pub number: String,
    /// Its place in the company's book of the year.
    pub sequence: i64,
    /// Its date.
    pub dated_on: NaiveDate,
    /// `draft`, `signed` or `terminated`, as the last event said.
    pub status: String,
    /// The day it was signed.
    pub signed_on: Option<NaiveDate>,
    /// The day it ends.
    pub terminated_on: Option<NaiveDate>,
    /// Why it ended.
    pub termination_reason: Option<String>,
}

const CONTRACT_SELECT: &str = "SELECT c.contract_id, c.provider_id, c.company_id,
        co.name AS company_name, c.client_id, cl.name AS client_name, c.template_id,
        c.template_version, c.number, c.sequence, c.dated_on, c.status, c.signed_on,
        c.terminated_on, c.termination_reason
   FROM contracts c
   LEFT JOIN companies co ON co.company_id = c.company_id
   LEFT JOIN clients cl ON cl.id = c.client_id";

/// Contracts, newest first: `client`'s only when given; at most `limit`.
pub async fn list(
    pool: &sqlx::PgPool,
    client: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ContractRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CONTRACT_SELECT} WHERE $1::uuid IS NULL OR c.client_id = $1
          ORDER BY c.dated_on DESC, c.company_id, c.sequence DESC LIMIT $2"
    ))
    .bind(client)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One contract.
pub async fn contract(pool: &sqlx::PgPool, id: Uuid) -> Result<Option<ContractRow>, sqlx::Error> {
    sqlx::query_as(&format!("{CONTRACT_SELECT} WHERE c.contract_id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}
