//! Providers and clients as staff search and list them.

use async_trait::async_trait;
use chrono::SecondsFormat;
use domain::client::ClientEvent;
use domain::group::ClientGroupEvent;
use domain::provider::ProviderEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;

use crate::copy::CopyRows;
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
                sandbox,
                clock,
                source: _,
            } => {
                sqlx::query(
                    "INSERT INTO providers (id, name, currency, created_at, position, sandbox,
                                            clock)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(provider_id.as_uuid())
                .bind(name)
                .bind(currency.code())
                .bind(occurred_at)
                .bind(event.position)
                .bind(sandbox)
                .bind(clock)
                .execute(tx)
                .await?;
            }
            ProviderEvent::ProviderClockAdvanced { to, .. } => {
                sqlx::query("UPDATE providers SET clock = $2, position = $3 WHERE id = $1")
                    .bind(
                        uuid::Uuid::parse_str(&event.aggregate_id)
                            .map_err(|e| ProjectionError::Malformed(format!("provider id: {e}")))?,
                    )
                    .bind(to)
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
        // New clients (most of a batch's client events) are written together with one `COPY`;
        // the rows gathered are written before any other event, which may change them.
        let mut registered = CopyRows::default();
        for event in events {
            match event.aggregate_type.as_str() {
                "Client" if !registered_row(&mut registered, event).map_err(|e| e.at(event))? => {
                    write_registered(tx, &mut registered).await?;
                    apply_client(tx, event).await.map_err(|e| e.at(event))?;
                }
                "ClientGroup" => {
                    write_registered(tx, &mut registered).await?;
                    apply_group(tx, event).await.map_err(|e| e.at(event))?;
                }
                _ => {}
            }
        }
        write_registered(tx, &mut registered).await?;
        Ok(())
    }
}

/// Adds the row of a client registered or imported to `rows` and returns true; false, with
/// nothing added, for any other event.
fn registered_row(rows: &mut CopyRows, event: &StoredEvent) -> Result<bool, ProjectionError> {
    if !matches!(
        event.event_type.as_str(),
        "ClientRegistered" | "ClientImported"
    ) {
        return Ok(false);
    }
    let occurred_at = event
        .metadata()?
        .occurred_at
        .to_rfc3339_opts(SecondsFormat::Micros, true);
    let (client_id, provider_id, currency, name, email, kind, country, status) =
        match event.decode::<ClientEvent>()? {
            ClientEvent::ClientRegistered {
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
            } => (
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
                "active",
            ),
            ClientEvent::ClientImported {
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
                active,
                ..
            } => (
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
                if active { "active" } else { "inactive" },
            ),
            _ => return Ok(false),
        };
    rows.plain(client_id.as_uuid())
        .plain(provider_id.as_uuid())
        .text(currency.code())
        .text(name.as_str())
        .text(email.as_str())
        .text(kind.as_str())
        .text(country.as_str())
        .text(status)
        .plain(&occurred_at)
        .plain(&occurred_at)
        .plain(event.position)
        .end_row();
    Ok(true)
}

/// Writes the clients gathered by [`registered_row`] and empties `rows`.
async fn write_registered(tx: &mut PgConnection, rows: &mut CopyRows) -> Result<(), sqlx::Error> {
    std::mem::take(rows)
        .send(
            tx,
            "COPY clients (id, provider_id, currency, name, email, kind, country, status,
                           created_at, updated_at, position) FROM STDIN",
        )
        .await
}

async fn apply_client(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    {
        let occurred_at = event.metadata()?.occurred_at;
        match event.decode::<ClientEvent>()? {
            // Written by `registered_row`.
            ClientEvent::ClientRegistered { .. } | ClientEvent::ClientImported { .. } => {}
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
            ClientEvent::PersonalDiscountSet { discount } => {
                let discount = discount.as_ref().map(serde_json::to_value).transpose()?;
                sqlx::query(
                    "UPDATE clients SET personal_discount = $2, updated_at = $3, position = $4
                      WHERE id = $1::uuid",
                )
                .bind(&event.aggregate_id)
                .bind(discount)
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
            // A trial claimed is the client's rule; the services read model shows the trial.
            ClientEvent::TrialClaimed { .. } => {}
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
        ClientGroupEvent::ClientGroupDiscountSet { item_type, percent } => {
            // The group's discounts as the events left them: one key per item type.
            sqlx::query(
                "UPDATE client_groups
                    SET discounts = CASE WHEN $2::text IS NULL THEN discounts - $3
                                         ELSE discounts || jsonb_build_object($3, $2::text) END,
                        position = $4
                  WHERE group_id = $1::uuid",
            )
            .bind(&event.aggregate_id)
            .bind(percent.map(|p| p.value().to_string()))
            .bind(item_type.as_str())
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

// Queries of the staff dashboard.

/// A client as the dashboard's list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientLine {
    pub id: uuid::Uuid,
    pub name: String,
    pub email: String,
    pub country: String,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The orders the dashboard's list of clients is sorted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSort {
    /// By name, A to Z.
    Name,
    /// By e-mail address, A to Z.
    Email,
    /// The newest registered first.
    Newest,
}

impl ClientSort {
    /// The column and whether it is sorted descending.
    fn key(self) -> (&'static str, bool) {
        match self {
            Self::Name => ("name", false),
            Self::Email => ("email", false),
            Self::Newest => ("created_at", true),
        }
    }
}

/// Which page of the dashboard's list: the first, the one after a client, or the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyset {
    /// The first page.
    First,
    /// The rows after this client in the list's order.
    After(uuid::Uuid),
    /// The rows before this client in the list's order.
    Before(uuid::Uuid),
}

/// How a keyset page is read from a list sorted by one key and the id.
pub(crate) struct KeysetRead {
    /// The boundary row's id, if the page starts after or before one.
    pub(crate) boundary: Option<uuid::Uuid>,
    /// Whether the rows are read backwards (the page before): reverse them once read.
    pub(crate) backwards: bool,
    /// How a row's (key, id) compares with the boundary's: `<` or `>`.
    pub(crate) compare: &'static str,
    /// The order to read in: `ASC` or `DESC`.
    pub(crate) order: &'static str,
}

impl Keyset {
    /// The page a list's `after` and `before` parameters name (`after` wins; neither is the
    /// first page).
    pub fn of(after: Option<uuid::Uuid>, before: Option<uuid::Uuid>) -> Self {
        match (after, before) {
            (Some(after), _) => Self::After(after),
            (None, Some(before)) => Self::Before(before),
            (None, None) => Self::First,
        }
    }

    /// How to read this page of a list sorted by a key, `descending` or not.
    pub(crate) fn read(self, descending: bool) -> KeysetRead {
        let (boundary, backwards) = match self {
            Self::First => (None, false),
            Self::After(id) => (Some(id), false),
            Self::Before(id) => (Some(id), true),
        };
        // Forwards in a descending list, or backwards in an ascending one, reads smaller keys.
        let (compare, order) = if descending != backwards {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        KeysetRead {
            boundary,
            backwards,
            compare,
            order,
        }
    }
}

/// Up to `limit` clients whose name or e-mail matches the `ILIKE` pattern (all for `None`), in
/// `sort`'s order, on the page `keyset` names (keyset pages: the boundary client's sort key and
/// id, read by a subquery, never an offset).
pub async fn page_sorted(
    pool: &sqlx::PgPool,
    pattern: Option<&str>,
    sort: ClientSort,
    keyset: Keyset,
    limit: i64,
) -> Result<Vec<ClientLine>, sqlx::Error> {
    let (column, descending) = sort.key();
    let KeysetRead {
        boundary,
        backwards,
        compare,
        order,
    } = keyset.read(descending);
    let mut rows: Vec<ClientLine> = sqlx::query_as(&format!(
        "SELECT id, name, email, country, status, created_at FROM clients
          WHERE ($1::text IS NULL OR name ILIKE $1 OR email ILIKE $1)
            AND ($2::uuid IS NULL
                 OR ({column}, id) {compare} (SELECT {column}, id FROM clients WHERE id = $2))
          ORDER BY {column} {order}, id {order} LIMIT $3"
    ))
    .bind(pattern)
    .bind(boundary)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    if backwards {
        rows.reverse();
    }
    Ok(rows)
}

/// The names of the clients `ids` (those that exist), for lists that show names, not ids.
pub async fn names(
    pool: &sqlx::PgPool,
    ids: &[uuid::Uuid],
) -> Result<Vec<(uuid::Uuid, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM clients WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await
}

/// How many clients match the `ILIKE` pattern (all for `None`).
pub async fn count_matching(
    pool: &sqlx::PgPool,
    pattern: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM clients WHERE ($1::text IS NULL OR name ILIKE $1 OR email ILIKE $1)",
    )
    .bind(pattern)
    .fetch_one(pool)
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

// Queries: what the HTTP layer and the dashboard read.

/// A row of `providers`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProviderRow {
    /// The provider.
    pub id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Its currency.
    pub currency: String,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Whether it is a sandbox provider, on its own clock.
    pub sandbox: bool,
    /// The time a sandbox provider's clock shows; `None` for a live one.
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
}

/// The providers, oldest first (at most 1000).
pub async fn providers(pool: &sqlx::PgPool) -> Result<Vec<ProviderRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, currency, created_at, sandbox, clock FROM providers
          ORDER BY created_at, id LIMIT 1000",
    )
    .fetch_all(pool)
    .await
}

/// One provider, if the read model has it.
pub async fn provider(
    pool: &sqlx::PgPool,
    id: uuid::Uuid,
) -> Result<Option<ProviderRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, currency, created_at, sandbox, clock FROM providers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The ids of the sandbox providers: what live billing days and reports leave out.
pub async fn sandbox_ids(pool: &sqlx::PgPool) -> Result<Vec<uuid::Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM providers WHERE sandbox")
        .fetch_all(pool)
        .await
}

/// A row of `clients`, with the groups the client is in (from `client_group_members`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    /// The client.
    pub id: uuid::Uuid,
    /// Its provider.
    pub provider_id: uuid::Uuid,
    /// Its provider's currency.
    pub currency: String,
    /// Its name.
    pub name: String,
    /// Its e-mail address.
    pub email: String,
    /// `individual`, `company` or `sole_proprietor`.
    pub kind: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// `active`, `inactive`, `merged` or `deleted`.
    pub status: String,
    /// When it registered.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// The VAT identification number.
    pub vat_number: Option<String>,
    /// The postal address printed on invoices.
    pub address: Option<String>,
    /// The client it was merged into.
    pub merged_into: Option<uuid::Uuid>,
    /// The groups it is in, by id.
    pub groups: Vec<uuid::Uuid>,
}

const CLIENT_COLUMNS: &str = "id, provider_id, currency, name, email, kind, country, status, \
     created_at, updated_at, vat_number, address, merged_into, \
     array(SELECT m.group_id FROM client_group_members m WHERE m.client_id = clients.id \
           ORDER BY m.group_id) AS groups";

/// One client.
pub async fn client(pool: &sqlx::PgPool, id: uuid::Uuid) -> Result<Option<ClientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {CLIENT_COLUMNS} FROM clients WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// What a search of clients filters by; every field absent matches every client.
#[derive(Debug, Clone, Default)]
pub struct ClientFilter {
    /// A LIKE pattern matched (any case) against the name or the e-mail address.
    pub pattern: Option<String>,
    /// Only clients with this status.
    pub status: Option<String>,
    /// Only clients in this group.
    pub group: Option<uuid::Uuid>,
    /// Only this client.
    pub only: Option<uuid::Uuid>,
}

/// Up to `limit` clients matching `filter`, oldest first, after the `(created_at, id)` cursor
/// `after`.
pub async fn clients(
    pool: &sqlx::PgPool,
    filter: &ClientFilter,
    after: Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>,
    limit: i64,
) -> Result<Vec<ClientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {CLIENT_COLUMNS} FROM clients
          WHERE ($1::text IS NULL OR name ILIKE $1 OR email ILIKE $1)
            AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
            AND ($5::text IS NULL OR status = $5)
            AND ($6::uuid IS NULL OR EXISTS (SELECT 1 FROM client_group_members m
                                               WHERE m.client_id = clients.id
                                                 AND m.group_id = $6))
            AND ($7::uuid IS NULL OR id = $7)
          ORDER BY created_at, id
          LIMIT $4"
    ))
    .bind(filter.pattern.as_deref())
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .bind(filter.status.as_deref())
    .bind(filter.group)
    .bind(filter.only)
    .fetch_all(pool)
    .await
}

/// A row of `client_groups` with how many clients are in the group.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    /// The group.
    pub group_id: uuid::Uuid,
    /// Its provider.
    pub provider_id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// How many clients are in it.
    pub clients: i64,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Its discounts: `{"<item type>": "<percent>"}`.
    pub discounts: serde_json::Value,
}

/// Up to `limit` client groups (optionally of one provider) by name, after the group `after`.
pub async fn groups(
    pool: &sqlx::PgPool,
    provider_id: Option<uuid::Uuid>,
    after: Option<uuid::Uuid>,
    limit: i64,
) -> Result<Vec<GroupRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT g.group_id, g.provider_id, g.name,
                (SELECT count(*) FROM client_group_members m WHERE m.group_id = g.group_id)
                    AS clients,
                g.created_at, g.discounts
           FROM client_groups g
          WHERE ($1::uuid IS NULL OR g.provider_id = $1)
            AND ($2::uuid IS NULL OR (g.name, g.group_id) >
                 (SELECT a.name, a.group_id FROM client_groups a WHERE a.group_id = $2))
          ORDER BY g.name, g.group_id LIMIT $3",
    )
    .bind(provider_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The personal discount of `client_id` as the last `PersonalDiscountSet` left it
/// (`{"percent": "10", "item_types": [...], "until": "YYYY-MM-DD"}`), if any.
pub async fn personal_discount(
    pool: &sqlx::PgPool,
    client_id: uuid::Uuid,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    let row: Option<(Option<serde_json::Value>,)> =
        sqlx::query_as("SELECT personal_discount FROM clients WHERE id = $1")
            .bind(client_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(discount,)| discount))
}
