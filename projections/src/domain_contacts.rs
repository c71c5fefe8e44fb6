//! Domain contacts: a client's people and organisations that domains are registered to, with
//! how many domain services use each; and the domain name and contacts of each domain service.
//! A deleted contact leaves the table.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::contact::{ContactDetails, ContactEvent, DomainContacts, DomainRegistration};
use domain::service::ServiceEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `domain_contacts` and `service_domains` tables.
pub struct DomainContactsModel;

#[async_trait]
impl Projection for DomainContactsModel {
    fn name(&self) -> &'static str {
        crate::ReadModel::DomainContacts.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["domain_contacts", "service_domains"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            let applied = match (event.aggregate_type.as_str(), event.event_type.as_str()) {
                ("DomainContact", _) => apply_contact(tx, event).await,
                ("Service", "ServiceOrdered" | "DomainContactsChanged") => {
                    apply_service(tx, event).await
                }
                _ => Ok(()),
            };
            applied.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

fn id_of(event: &StoredEvent) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("aggregate id: {e}")))
}

async fn apply_contact(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let at = event.metadata()?.occurred_at;
    let id = id_of(event)?;
    match event.decode::<ContactEvent>()? {
        ContactEvent::ContactCreated {
            client_id,
            provider_id,
            details,
            ..
        } => {
            sqlx::query(
                "INSERT INTO domain_contacts (contact_id, client_id, provider_id, kind, name,
                                              email, phone, street, city, postal_code, country,
                                              created_at, updated_at, position)
                 VALUES ($1, $2, $3, '', '', '', '', '', '', '', '', $4, $4, $5)",
            )
            .bind(id)
            .bind(client_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            set_details(tx, id, &details, at, event.position).await?;
        }
        ContactEvent::ContactUpdated { details } => {
            set_details(tx, id, &details, at, event.position).await?;
        }
        ContactEvent::ContactDeleted {} => {
            sqlx::query("DELETE FROM domain_contacts WHERE contact_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        ContactEvent::ContactAttached { .. } => count(tx, id, 1, event.position).await?,
        ContactEvent::ContactDetached { .. } => count(tx, id, -1, event.position).await?,
        ContactEvent::ContactTransferred { to_client, .. } => {
            sqlx::query(
                "UPDATE domain_contacts SET client_id = $2, updated_at = $3, position = $4
                  WHERE contact_id = $1",
            )
            .bind(id)
            .bind(to_client.as_uuid())
            .bind(at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// Adds `step` to the count of services that use the contact.
async fn count(
    tx: &mut PgConnection,
    id: Uuid,
    step: i32,
    position: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE domain_contacts SET services = services + $2, position = $3
          WHERE contact_id = $1",
    )
    .bind(id)
    .bind(step)
    .bind(position)
    .execute(tx)
    .await?;
    Ok(())
}

async fn set_details(
    tx: &mut PgConnection,
    id: Uuid,
    details: &ContactDetails,
    at: DateTime<Utc>,
    position: i64,
) -> Result<(), sqlx::Error> {
    let passport = details.passport.as_ref();
    sqlx::query(
        "UPDATE domain_contacts SET kind = $2, name = $3, organisation = $4, email = $5,
                phone = $6, street = $7, city = $8, region = $9, postal_code = $10,
                country = $11, birth_date = $12, passport_number = $13,
                passport_issued_by = $14, passport_issued_on = $15, updated_at = $16,
                position = $17
          WHERE contact_id = $1",
    )
    .bind(id)
    .bind(details.kind.as_str())
    .bind(details.name.as_str())
    .bind(details.organisation.as_deref())
    .bind(details.email.as_str())
    .bind(details.phone.as_str())
    .bind(&details.address.street)
    .bind(&details.address.city)
    .bind(details.address.region.as_deref())
    .bind(&details.address.postal_code)
    .bind(details.address.country.as_str())
    .bind(details.birth_date)
    .bind(passport.map(|p| p.number.as_str()))
    .bind(passport.map(|p| p.issued_by.as_str()))
    .bind(passport.map(|p| p.issued_on))
    .bind(at)
    .bind(position)
    .execute(tx)
    .await?;
    Ok(())
}

async fn apply_service(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    match event.decode::<ServiceEvent>()? {
        ServiceEvent::ServiceOrdered {
            domain:
                Some(DomainRegistration {
                    domain_name,
                    contacts,
                }),
            ..
        } => {
            sqlx::query(
                "INSERT INTO service_domains (service_id, domain_name, registrant_id, admin_id,
                                              tech_id, position)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(domain_name.as_str())
            .bind(contacts.registrant.as_uuid())
            .bind(contacts.admin.as_uuid())
            .bind(contacts.tech.as_uuid())
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        ServiceEvent::DomainContactsChanged { to, .. } => set_contacts(tx, id, to, event).await?,
        _ => {}
    }
    Ok(())
}

async fn set_contacts(
    tx: &mut PgConnection,
    id: Uuid,
    contacts: DomainContacts,
    event: &StoredEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE service_domains SET registrant_id = $2, admin_id = $3, tech_id = $4,
                position = $5
          WHERE service_id = $1",
    )
    .bind(id)
    .bind(contacts.registrant.as_uuid())
    .bind(contacts.admin.as_uuid())
    .bind(contacts.tech.as_uuid())
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

// Queries: what the HTTP layer and the panels read.

/// A row of `domain_contacts`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    /// The contact.
    pub contact_id: Uuid,
    /// The client it belongs to.
    pub client_id: Uuid,
    /// `person` or `organisation`.
    pub kind: String,
    /// The person's full name.
    pub name: String,
    /// The organisation's name.
    pub organisation: Option<String>,
    /// The e-mail address.
    pub email: String,
    /// The phone number, E.164.
    pub phone: String,
    /// The street and house.
    pub street: String,
    /// The city.
    pub city: String,
    /// The state or region.
    pub region: Option<String>,
    /// The postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// A person's birth date.
    pub birth_date: Option<NaiveDate>,
    /// A person's passport series and number.
    pub passport_number: Option<String>,
    /// Who issued the passport.
    pub passport_issued_by: Option<String>,
    /// When the passport was issued.
    pub passport_issued_on: Option<NaiveDate>,
    /// How many domain services that are not closed use it.
    pub services: i32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

const CONTACT_COLUMNS: &str = "contact_id, client_id, kind, name, organisation, email, phone,
    street, city, region, postal_code, country, birth_date, passport_number,
    passport_issued_by, passport_issued_on, services, created_at, updated_at";

/// Up to `limit` contacts of a client, oldest first, after the `(created_at, contact_id)`
/// cursor `after`.
pub async fn of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<ContactRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {CONTACT_COLUMNS} FROM domain_contacts WHERE client_id = $1
            AND ($2::timestamptz IS NULL OR (created_at, contact_id) > ($2, $3))
          ORDER BY created_at, contact_id LIMIT $4"
    ))
    .bind(client_id)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The contact `contact_id` of the client `client_id`; `None` for another client's.
pub async fn contact(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    contact_id: Uuid,
) -> Result<Option<ContactRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {CONTACT_COLUMNS} FROM domain_contacts WHERE client_id = $1 AND contact_id = $2"
    ))
    .bind(client_id)
    .bind(contact_id)
    .fetch_optional(pool)
    .await
}

/// A domain service's domain with its contacts' names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceDomainRow {
    /// The domain name.
    pub domain_name: String,
    /// The registrant.
    pub registrant_id: Uuid,
    /// The registrant's name (the organisation's, else the person's); `None` once deleted.
    pub registrant_name: Option<String>,
    /// The administrative contact.
    pub admin_id: Uuid,
    /// Its name.
    pub admin_name: Option<String>,
    /// The technical contact.
    pub tech_id: Uuid,
    /// Its name.
    pub tech_name: Option<String>,
}

/// The domain of the service `service_id`, if it is a domain service ordered with one.
pub async fn of_service(
    pool: &sqlx::PgPool,
    service_id: Uuid,
) -> Result<Option<ServiceDomainRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.domain_name,
                d.registrant_id, COALESCE(r.organisation, r.name) AS registrant_name,
                d.admin_id, COALESCE(a.organisation, a.name) AS admin_name,
                d.tech_id, COALESCE(t.organisation, t.name) AS tech_name
           FROM service_domains d
           LEFT JOIN domain_contacts r ON r.contact_id = d.registrant_id
           LEFT JOIN domain_contacts a ON a.contact_id = d.admin_id
           LEFT JOIN domain_contacts t ON t.contact_id = d.tech_id
          WHERE d.service_id = $1",
    )
    .bind(service_id)
    .fetch_optional(pool)
    .await
}
