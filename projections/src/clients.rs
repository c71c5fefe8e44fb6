//! Providers and clients as staff search and list them.

use async_trait::async_trait;
use domain::client::ClientEvent;
use domain::group::ClientGroupEvent;
use domain::provider::ProviderEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;

use crate::{Projection, ProjectionError};

/// The `providers` table.
pub struct Providers;

#[async_trait]
impl Projection for Providers {
    fn name(&self) -> &'static str {
        crate::ReadModel::Providers.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["providers"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events.iter().filter(|e| e.aggregate_type == "Provider") {
            apply_provider(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

async fn apply_provider(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    {
        let occurred_at = event.metadata()?.occurred_at;
        match event.decode::<ProviderEvent>()? {
            ProviderEvent::ProviderCreated {
                provider_id,
                name,
                currency,
            } => {
                sqlx::query(
                    "INSERT INTO providers (id, name, currency, created_at, position)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(provider_id.as_uuid())
                .bind(name)
                .bind(currency.code())
                .bind(occurred_at)
                .bind(event.position)
                .execute(tx)
                .await?;
            }
        }
        Ok(())
    }
}

/// The `clients` table, with the client groups and their members.
pub struct Clients;

#[async_trait]
impl Projection for Clients {
    fn name(&self) -> &'static str {
        crate::ReadModel::Clients.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["clients", "client_groups", "client_group_members"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            match event.aggregate_type.as_str() {
                "Client" => apply_client(tx, event).await.map_err(|e| e.at(event))?,
                "ClientGroup" => apply_group(tx, event).await.map_err(|e| e.at(event))?,
                _ => {}
            }
        }
        Ok(())
    }
}

async fn apply_client(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    {
        let occurred_at = event.metadata()?.occurred_at;
        match event.decode::<ClientEvent>()? {
            ClientEvent::ClientRegistered {
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
            } => {
                sqlx::query(
                    "INSERT INTO clients (id, provider_id, currency, name, email, kind, country,
                                          status, created_at, updated_at, position)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $8, $9)",
                )
                .bind(client_id.as_uuid())
                .bind(provider_id.as_uuid())
                .bind(currency.code())
                .bind(name.as_str())
                .bind(email.as_str())
                .bind(kind.as_str())
                .bind(country.as_str())
                .bind(occurred_at)
                .bind(event.position)
                .execute(tx)
                .await?;
            }
            ClientEvent::ClientUpdated {
                name,
                email,
                kind,
                country,
            } => {
                sqlx::query(
                    "UPDATE clients
                        SET name = coalesce($2, name), email = coalesce($3, email),
                            kind = coalesce($4, kind), country = coalesce($5, country),
                            updated_at = $6, position = $7
                      WHERE id = $1::uuid",
                )
                .bind(&event.aggregate_id)
                .bind(name.as_ref().map(|n| n.as_str()))
                .bind(email.as_ref().map(|e| e.as_str()))
                .bind(kind.map(|k| k.as_str()))
                .bind(country.as_ref().map(|c| c.as_str()))
                .bind(occurred_at)
                .bind(event.position)
                .execute(tx)
                .await?;
            }
            ClientEvent::BillingDetailsSet {
                vat_number,
                address,
            } => {
                sqlx::query(
                    "UPDATE clients SET vat_number = $2, address = $3, updated_at = $4,
                            position = $5
                      WHERE id = $1::uuid",
                )
                .bind(&event.aggregate_id)
                .bind(vat_number.as_ref().map(|v| v.as_str()))
                .bind(address.as_deref())
                .bind(occurred_at)
                .bind(event.position)
                .execute(tx)
                .await?;
            }
            ClientEvent::ClientStatusSet { active } => {
                sqlx::query(
                    "UPDATE clients SET status = $2, updated_at = $3, position = $4
                      WHERE id = $1::uuid",
                )
                .bind(&event.aggregate_id)
                .bind(if active { "active" } else { "inactive" })
                .bind(occurred_at)
                .bind(event.position)
                .execute(tx)
                .await?;
            }
            ClientEvent::ClientGroupsSet { groups } => {
                let groups: Vec<uuid::Uuid> = groups.iter().map(|g| g.as_uuid()).collect();
                sqlx::query("DELETE FROM client_group_members WHERE client_id = $1::uuid")
                    .bind(&event.aggregate_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO client_group_members (client_id, group_id)
                     SELECT $1::uuid, g FROM unnest($2::uuid[]) AS g",
                )
                .bind(&event.aggregate_id)
                .bind(&groups)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE clients SET updated_at = $2, position = $3 WHERE id = $1::uuid",
                )
                .bind(&event.aggregate_id)
                .bind(occurred_at)
                .bind(event.position)
                .execute(tx)
                .await?;
            }
            ClientEvent::ClientMerged { into, .. } => {
                sqlx::query(
                    "UPDATE clients SET status = 'merged', merged_into = $2, updated_at = $3,
                            position = $4
                      WHERE id = $1::uuid",
                )
                .bind(&event.aggregate_id)
                .bind(into.as_uuid())
                .bind(occurred_at)
                .bind(event.position)
                .execute(tx)
                .await?;
            }
            ClientEvent::ClientDeleted { .. } => {
                sqlx::query(
                    "UPDATE clients SET status = 'deleted', updated_at = $2, position = $3
                      WHERE id = $1::uuid",
                )
                .bind(&event.aggregate_id)
                .bind(occurred_at)
                .bind(event.position)
                .execute(tx)
                .await?;
            }
        }
        Ok(())
    }
}

async fn apply_group(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let occurred_at = event.metadata()?.occurred_at;
    match event.decode::<ClientGroupEvent>()? {
        ClientGroupEvent::ClientGroupCreated {
            group_id,
            provider_id,
            name,
        } => {
            sqlx::query(
                "INSERT INTO client_groups (group_id, provider_id, name, created_at, position)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(group_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(name.as_str())
            .bind(occurred_at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

// Queries of the staff dashboard.

/// A client as the dashboard's search lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientLine {
    pub id: uuid::Uuid,
    pub name: String,
    pub email: String,
    pub country: String,
    pub status: String,
}

/// Up to `limit` clients whose name or e-mail matches the `ILIKE` pattern, by name.
pub async fn search_by_name_or_email(
    pool: &sqlx::PgPool,
    pattern: &str,
    limit: i64,
) -> Result<Vec<ClientLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, email, country, status FROM clients
          WHERE name ILIKE $1 OR email ILIKE $1 ORDER BY name, id LIMIT $2",
    )
    .bind(pattern)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A client's profile as the dashboard's client page heads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientProfile {
    pub name: String,
    pub email: String,
    pub kind: String,
    pub country: String,
    pub status: String,
}

/// The profile of a client, if there is one.
pub async fn profile(
    pool: &sqlx::PgPool,
    client_id: uuid::Uuid,
) -> Result<Option<ClientProfile>, sqlx::Error> {
    sqlx::query_as("SELECT name, email, kind, country, status FROM clients WHERE id = $1")
        .bind(client_id)
        .fetch_optional(pool)
        .await
}
