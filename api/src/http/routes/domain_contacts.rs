//! Domain contacts: a client's people and organisations that its domains are registered to
//! (registrant) and administered by (admin, tech), with the details registries ask for; and the
//! contacts of a running domain service. Another client's contact reads as unknown.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use domain::contact::{
    ContactInput, DomainContacts, DomainName, DomainRegistration, PassportInput,
};
use domain::ids::ContactId;
use projections::ReadModel;
use projections::domain_contacts::{ContactRow, ServiceDomainRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{
    Accepted, Consistency, Page, accepted, accepted_with, time_cursor, time_cursor_of,
};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::domain_contacts as usecase;

/// A postal address.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    /// The street and house; 1 to 200 characters.
    pub street: String,
    /// The city; 1 to 100 characters.
    pub city: String,
    /// The state or region, if the country has them.
    #[serde(default)]
    pub region: Option<String>,
    /// The postal code: 1 to 16 letters, digits, spaces or dashes.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, such as `RU`.
    pub country: String,
}

/// A person's passport, as Russian registries (.ru, .рф) ask for it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassportBody {
    /// Series and number.
    pub number: String,
    /// The authority that issued it.
    pub issued_by: String,
    /// The day of issue, `YYYY-MM-DD`: after the birth date.
    pub issued_on: String,
}

/// A contact's details, as `PUT /v1/clients/{id}/domain-contacts/{contact}` replaces them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ContactBody {
    /// `person` or `organisation`.
    #[schema(example = "person")]
    pub kind: String,
    /// The person's full name, or for an organisation the person who answers; 1 to 200
    /// characters.
    pub name: String,
    /// The organisation's name: required for an organisation, absent for a person.
    #[serde(default)]
    pub organisation: Option<String>,
    /// The e-mail address.
    pub email: String,
    /// The phone number in E.164 form, such as `+74951234567` (spaces, dashes and brackets are
    /// dropped).
    #[schema(example = "+74951234567")]
    pub phone: String,
    /// The postal address.
    pub address: AddressBody,
    /// A person's birth date, `YYYY-MM-DD`.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// A person's passport (with the birth date).
    #[serde(default)]
    pub passport: Option<PassportBody>,
}

impl ContactBody {
    /// The details as typed, for the contact to check.
    pub fn input(&self) -> ContactInput {
        ContactInput {
            kind: self.kind.clone(),
            name: self.name.clone(),
            organisation: self.organisation.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            street: self.address.street.clone(),
            city: self.address.city.clone(),
            region: self.address.region.clone(),
            postal_code: self.address.postal_code.clone(),
            country: self.address.country.clone(),
            birth_date: self.birth_date.clone(),
            passport: self.passport.as_ref().map(|p| PassportInput {
                number: p.number.clone(),
                issued_by: p.issued_by.clone(),
                issued_on: p.issued_on.clone(),
            }),
        }
    }
}

/// `POST /v1/clients/{id}/domain-contacts`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateContactRequest {
    /// The caller's id for the contact: sending it again creates nothing more.
    pub contact_id: Uuid,
    /// The details.
    #[serde(flatten)]
    pub details: ContactBody,
}

/// A domain contact.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactView {
    /// Its id.
    pub contact_id: Uuid,
    /// The client it belongs to.
    pub client_id: Uuid,
    /// `person` or `organisation`.
    pub kind: String,
    /// The full name.
    pub name: String,
    /// The organisation's name.
    pub organisation: Option<String>,
    /// The e-mail address.
    pub email: String,
    /// The phone number, E.164.
    pub phone: String,
    /// The postal address.
    pub address: AddressBody,
    /// A person's birth date.
    pub birth_date: Option<NaiveDate>,
    /// A person's passport.
    pub passport: Option<PassportBody>,
    /// How many domain services that are not closed use it; it cannot be deleted while any do.
    pub services: i32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<ContactRow> for ContactView {
    fn from(row: ContactRow) -> Self {
        let passport = match (
            row.passport_number,
            row.passport_issued_by,
            row.passport_issued_on,
        ) {
            (Some(number), Some(issued_by), Some(issued_on)) => Some(PassportBody {
                number,
                issued_by,
                issued_on: issued_on.to_string(),
            }),
            _ => None,
        };
        ContactView {
            contact_id: row.contact_id,
            client_id: row.client_id,
            kind: row.kind,
            name: row.name,
            organisation: row.organisation,
            email: row.email,
            phone: row.phone,
            address: AddressBody {
                street: row.street,
                city: row.city,
                region: row.region,
                postal_code: row.postal_code,
                country: row.country,
            },
            birth_date: row.birth_date,
            passport,
            services: row.services,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The contacts of a domain by role; one contact may hold several.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainContactsBody {
    /// The holder of the domain.
    pub registrant: Uuid,
    /// The administrative contact.
    pub admin: Uuid,
    /// The technical contact.
    pub tech: Uuid,
}

impl DomainContactsBody {
    /// The contacts as the domain names them.
    pub fn contacts(&self) -> DomainContacts {
        DomainContacts {
            registrant: ContactId::from_uuid(self.registrant),
            admin: ContactId::from_uuid(self.admin),
            tech: ContactId::from_uuid(self.tech),
        }
    }
}

/// The domain of an order: its name and its contacts, the ordering client's own.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainOrderBody {
    /// The domain name, such as `example.com` or `пример.рф`.
    pub domain_name: String,
    /// Its contacts by role.
    pub contacts: DomainContactsBody,
}

impl DomainOrderBody {
    /// The registration the order carries; a malformed name is refused naming the field.
    pub fn registration(&self) -> Result<DomainRegistration, ApiError> {
        Ok(DomainRegistration {
            domain_name: DomainName::parse(&self.domain_name)?,
            contacts: self.contacts.contacts(),
        })
    }
}

/// One contact of a domain service by role.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoleView {
    /// The contact.
    pub contact_id: Uuid,
    /// Its name (the organisation's, else the person's).
    pub name: Option<String>,
}

/// A domain service's domain and contacts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceDomainView {
    /// The domain name.
    pub domain_name: String,
    /// The holder.
    pub registrant: RoleView,
    /// The administrative contact.
    pub admin: RoleView,
    /// The technical contact.
    pub tech: RoleView,
}

impl From<ServiceDomainRow> for ServiceDomainView {
    fn from(row: ServiceDomainRow) -> Self {
        ServiceDomainView {
            domain_name: row.domain_name,
            registrant: RoleView {
                contact_id: row.registrant_id,
                name: row.registrant_name,
            },
            admin: RoleView {
                contact_id: row.admin_id,
                name: row.admin_name,
            },
            tech: RoleView {
                contact_id: row.tech_id,
                name: row.tech_name,
            },
        }
    }
}

impl From<&DomainRegistration> for ServiceDomainView {
    fn from(domain: &DomainRegistration) -> Self {
        let role = |id: ContactId| RoleView {
            contact_id: id.as_uuid(),
            name: None,
        };
        ServiceDomainView {
            domain_name: domain.domain_name.as_str().to_owned(),
            registrant: role(domain.contacts.registrant),
            admin: role(domain.contacts.admin),
            tech: role(domain.contacts.tech),
        }
    }
}

/// `GET /v1/clients/{id}/domain-contacts` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListContactsParams {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait (bounded) until the read model has applied the event at this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Creates a domain contact of a client. Every field is checked by the contact, and a refusal
/// names the field (`phone`, `address.country`, `passport.issued_on`, ...); nothing is written.
#[utoipa::path(post, path = "/v1/clients/{id}/domain-contacts", tag = "domain contacts",
    request_body = CreateContactRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 409, description = "a contact with this id exists", body = Problem),
        (status = 422, description = "a field is invalid (the detail names it), or the client is merged or deleted", body = Problem)))]
pub async fn create_contact(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<CreateContactRequest>,
) -> Result<Response, ApiError> {
    let committed = usecase::create_contact(
        &state,
        &command.context,
        client_id,
        request.contact_id,
        request.details.input(),
        &request,
    )
    .await?;
    Ok(accepted(request.contact_id, &committed))
}

/// A client's domain contacts, oldest first, a page at a time.
#[utoipa::path(get, path = "/v1/clients/{id}/domain-contacts", tag = "domain contacts",
    params(("id" = Uuid, Path, description = "the client"), ListContactsParams),
    responses((status = 200, description = "the contacts", body = Page<ContactView>)))]
pub async fn list_contacts(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<ListContactsParams>,
) -> Result<Json<Page<ContactView>>, ApiError> {
    state
        .consistent(&[ReadModel::DomainContacts], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = time_cursor(params.after.as_deref())?;
    let rows =
        projections::domain_contacts::of_client(&state.pool, client_id, after, limit + 1).await?;
    let items = rows.into_iter().map(ContactView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |last: &ContactView| time_cursor_of(last.created_at, last.contact_id),
    )))
}

fn unknown(contact_id: Uuid) -> ApiError {
    ApiError::not_found(
        "domain_contact_not_found",
        format!("no domain contact {contact_id}"),
    )
}

/// One domain contact of a client.
#[utoipa::path(get, path = "/v1/clients/{id}/domain-contacts/{contact}", tag = "domain contacts",
    params(("id" = Uuid, Path, description = "the client"),
           ("contact" = Uuid, Path, description = "the contact"), Consistency),
    responses(
        (status = 200, description = "the contact", body = ContactView),
        (status = 404, description = "no such contact of this client", body = Problem)))]
pub async fn get_contact(
    State(state): State<AppState>,
    Path((client_id, contact_id)): Path<(Uuid, Uuid)>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<ContactView>, ApiError> {
    state
        .consistent(&[ReadModel::DomainContacts], consistency.min_position)
        .await?;
    let row = projections::domain_contacts::contact(&state.pool, client_id, contact_id)
        .await?
        .ok_or_else(|| unknown(contact_id))?;
    Ok(Json(row.into()))
}

/// Replaces a domain contact's details. Domains already registered are updated at their
/// registries by the provider's robot, which reads the contact.
#[utoipa::path(put, path = "/v1/clients/{id}/domain-contacts/{contact}", tag = "domain contacts",
    request_body = ContactBody,
    params(("id" = Uuid, Path, description = "the client"),
           ("contact" = Uuid, Path, description = "the contact")),
    responses(
        (status = 200, description = "updated (or nothing to change)", body = Accepted),
        (status = 404, description = "no such contact of this client", body = Problem),
        (status = 422, description = "a field is invalid (the detail names it)", body = Problem)))]
pub async fn update_contact(
    State(state): State<AppState>,
    command: Command,
    Path((client_id, contact_id)): Path<(Uuid, Uuid)>,
    Body(request): Body<ContactBody>,
) -> Result<Response, ApiError> {
    let committed = usecase::update_contact(
        &state,
        &command.context,
        client_id,
        contact_id,
        request.input(),
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, contact_id, &committed))
}

/// Deletes a domain contact that no domain service uses any more.
#[utoipa::path(delete, path = "/v1/clients/{id}/domain-contacts/{contact}", tag = "domain contacts",
    params(("id" = Uuid, Path, description = "the client"),
           ("contact" = Uuid, Path, description = "the contact")),
    responses(
        (status = 200, description = "deleted", body = Accepted),
        (status = 404, description = "no such contact of this client", body = Problem),
        (status = 409, description = "a domain service that is not closed uses it", body = Problem)))]
pub async fn delete_contact(
    State(state): State<AppState>,
    command: Command,
    Path((client_id, contact_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let committed =
        usecase::delete_contact(&state, &command.context, client_id, contact_id).await?;
    Ok(accepted_with(StatusCode::OK, contact_id, &committed))
}

/// Gives a running domain service other contacts, the service's client's own. Contacts it no
/// longer uses may then be deleted.
#[utoipa::path(put, path = "/v1/services/{id}/domain-contacts", tag = "domain contacts",
    request_body = DomainContactsBody,
    params(("id" = Uuid, Path, description = "the service")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such service, or no such contact of its client", body = Problem),
        (status = 422, description = "the service has no domain, or is closed", body = Problem)))]
pub async fn set_service_contacts(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<DomainContactsBody>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, id)?;
    let committed =
        usecase::set_service_contacts(&state, &command.context, key, id, request.contacts())
            .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// The domain of the service `id` as the read model has it, if it is a domain service ordered
/// with one.
pub async fn of_service(state: &AppState, id: Uuid) -> Result<Option<ServiceDomainView>, ApiError> {
    Ok(projections::domain_contacts::of_service(&state.pool, id)
        .await?
        .map(Into::into))
}
