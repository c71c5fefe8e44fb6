//! The client's domain contacts (`/my/domain-contacts`): the people and organisations its domains
//! are registered to, listed, added, edited and deleted through the API routes' own use cases
//! (every check and every refusal naming a field is the contact aggregate's); a domain service's
//! page shows its domain name and contacts and changes them; the order form of a domain offers
//! the client's contacts for the three roles.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::contact::{
    ContactInput, DomainContacts, DomainName, DomainRegistration, PassportInput,
};
use domain::ids::ContactId;
use domain::service::Service;
use projections::ReadModel;
use projections::domain_contacts::ContactRow;
use uuid::Uuid;

use super::shop::{Fields, field, form_command, key_of, refusal};
use super::{Session, failed, may_open, not_found, posted_permitted};
use crate::http::error::ApiError;
use crate::http::pages::{Layout, render};
use crate::http::routes::domain_contacts::{DomainContactsBody, DomainOrderBody};
use crate::http::state::AppState;
use crate::usecases::domain_contacts as usecase;

/// The API route whose rules open the list and the creation.
pub(super) const LIST: &str = "/v1/clients/{id}/domain-contacts";
/// The API route whose rules open one contact, its change and its deletion.
const ITEM: &str = "/v1/clients/{id}/domain-contacts/{contact}";
/// The API route whose rule lets a user give a domain service other contacts.
const SERVICE_CONTACTS: &str = "/v1/services/{id}/domain-contacts";
/// The most contacts listed.
const LISTED: i64 = 500;
/// The roles of a domain's contacts, as the order form's fields name them.
const ROLES: [&str; 3] = ["registrant", "admin", "tech"];

/// A contact's fields as a form shows them.
#[derive(Default)]
struct ContactForm {
    kind: String,
    name: String,
    organisation: String,
    email: String,
    phone: String,
    street: String,
    city: String,
    region: String,
    postal_code: String,
    country: String,
    birth_date: String,
    passport_number: String,
    passport_issued_by: String,
    passport_issued_on: String,
}

impl From<&ContactRow> for ContactForm {
    fn from(row: &ContactRow) -> Self {
        ContactForm {
            kind: row.kind.clone(),
            name: row.name.clone(),
            organisation: row.organisation.clone().unwrap_or_default(),
            email: row.email.clone(),
            phone: row.phone.clone(),
            street: row.street.clone(),
            city: row.city.clone(),
            region: row.region.clone().unwrap_or_default(),
            postal_code: row.postal_code.clone(),
            country: row.country.clone(),
            birth_date: row.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            passport_number: row.passport_number.clone().unwrap_or_default(),
            passport_issued_by: row.passport_issued_by.clone().unwrap_or_default(),
            passport_issued_on: row
                .passport_issued_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }
    }
}

/// The details a contact form sent, as typed: the contact checks them.
fn input_of(fields: &Fields) -> ContactInput {
    let text = |name: &str| field(fields, name).to_owned();
    let optional = |name: &str| Some(text(name)).filter(|t| !t.is_empty());
    ContactInput {
        kind: text("kind"),
        name: text("name"),
        organisation: optional("organisation"),
        email: text("email"),
        phone: text("phone"),
        street: text("street"),
        city: text("city"),
        region: optional("region"),
        postal_code: text("postal_code"),
        country: text("country").to_uppercase(),
        birth_date: optional("birth_date"),
        passport: Some(PassportInput {
            number: text("passport_number"),
            issued_by: text("passport_issued_by"),
            issued_on: text("passport_issued_on"),
        }),
    }
}

struct ContactLine {
    id: String,
    name: String,
    kind: String,
    email: String,
    phone: String,
    country: String,
    services: i32,
}

#[derive(Template)]
#[template(path = "my/domain_contacts.html")]
struct ContactsPage {
    layout: Layout,
    contacts: Vec<ContactLine>,
    may_add: bool,
    form: ContactForm,
    key: String,
    csrf: String,
}

/// `GET /my/domain-contacts`: the list, and the form that adds one.
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(fields): Query<Fields>,
) -> Response {
    let session = match may_open(&state, &headers, LIST).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let seen = field(&fields, "min_position").parse::<i64>().ok();
    if let Err(error) = state.consistent(&[ReadModel::DomainContacts], seen).await {
        return failed(Some(&session), error);
    }
    let client = session.client_id.as_uuid();
    let rows =
        match projections::domain_contacts::of_client(&state.pool, client, None, LISTED).await {
            Ok(rows) => rows,
            Err(error) => return failed(Some(&session), error.into()),
        };
    let contacts = rows
        .iter()
        .map(|row| ContactLine {
            id: row.contact_id.to_string(),
            name: row.organisation.clone().unwrap_or_else(|| row.name.clone()),
            kind: session.lang.named(&row.kind),
            email: row.email.clone(),
            phone: row.phone.clone(),
            country: row.country.clone(),
            services: row.services,
        })
        .collect();
    let page = ContactsPage {
        layout: session.layout(session.lang.t("my-domain-contacts-title")),
        contacts,
        may_add: session.may("POST", LIST),
        form: ContactForm {
            kind: "person".to_owned(),
            ..ContactForm::default()
        },
        key: Uuid::now_v7().to_string(),
        csrf: session.csrf(),
    };
    render(StatusCode::OK, &page)
}

/// `POST /my/domain-contacts`: adds the contact the form describes, under the form's key as its
/// id, so a second submit adds nothing more.
pub(super) async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session =
        match posted_permitted(&state, &headers, field(&fields, "csrf"), "POST", LIST).await {
            Ok(session) => session,
            Err(answer) => return answer,
        };
    let added = async {
        let key = key_of(&fields)?;
        let input = input_of(&fields);
        let client = session.client_id.as_uuid();
        let command = form_command(
            &session,
            key,
            format!("POST /v1/clients/{client}/domain-contacts"),
        );
        let committed =
            usecase::create_contact(&state, &command.context, client, key, input.clone(), &input)
                .await?;
        Ok::<_, ApiError>(committed.position)
    }
    .await;
    match added {
        Ok(seen) => {
            Redirect::to(&format!("/my/domain-contacts?min_position={seen}")).into_response()
        }
        Err(error) => refusal(&session, error),
    }
}

/// The session's client's contact `id`, or `None` for another client's or an unknown one.
async fn own(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Option<ContactRow>, ApiError> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    Ok(projections::domain_contacts::contact(&state.pool, session.client_id.as_uuid(), id).await?)
}

#[derive(Template)]
#[template(path = "my/domain_contact.html")]
struct ContactPage {
    layout: Layout,
    id: String,
    services: i32,
    may_edit: bool,
    may_delete: bool,
    form: ContactForm,
    key: String,
    csrf: String,
}

/// `GET /my/domain-contacts/{id}`: the contact in its edit form, and its deletion.
pub(super) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(fields): Query<Fields>,
) -> Response {
    let session = match may_open(&state, &headers, ITEM).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let seen = field(&fields, "min_position").parse::<i64>().ok();
    if let Err(error) = state.consistent(&[ReadModel::DomainContacts], seen).await {
        return failed(Some(&session), error);
    }
    let row = match own(&state, &session, &id).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found(&session),
        Err(error) => return failed(Some(&session), error),
    };
    let page = ContactPage {
        layout: session.layout(row.organisation.clone().unwrap_or_else(|| row.name.clone())),
        id: row.contact_id.to_string(),
        services: row.services,
        may_edit: session.may("PUT", ITEM),
        may_delete: session.may("DELETE", ITEM) && row.services == 0,
        form: ContactForm::from(&row),
        key: Uuid::now_v7().to_string(),
        csrf: session.csrf(),
    };
    render(StatusCode::OK, &page)
}

/// The session, the contact's id and the command of a form that `method`s one contact: signed
/// in with the session's CSRF token, allowed by the rule of `method` on the contact's API route,
/// an id that parses (else the 404 of an unknown one) and the form's idempotency key.
async fn contact_form(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    fields: &Fields,
    method: &str,
) -> Result<(Session, Uuid, crate::http::extract::Command), Response> {
    let session = posted_permitted(state, headers, field(fields, "csrf"), method, ITEM).await?;
    let Ok(contact) = Uuid::parse_str(id) else {
        return Err(not_found(&session));
    };
    let key = key_of(fields).map_err(|error| refusal(&session, error))?;
    let client = session.client_id.as_uuid();
    let command = form_command(
        &session,
        key,
        format!("{method} /v1/clients/{client}/domain-contacts/{contact}"),
    );
    Ok((session, contact, command))
}

/// `POST /my/domain-contacts/{id}`: replaces the contact's details with the form's.
pub(super) async fn edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let (session, contact, command) =
        match contact_form(&state, &headers, &id, &fields, "PUT").await {
            Ok(opened) => opened,
            Err(answer) => return answer,
        };
    let client = session.client_id.as_uuid();
    let edited =
        usecase::update_contact(&state, &command.context, client, contact, input_of(&fields)).await;
    match edited {
        Ok(committed) => Redirect::to(&format!(
            "/my/domain-contacts/{contact}?min_position={}",
            committed.position
        ))
        .into_response(),
        Err(error) if error.kind == crate::usecases::Kind::NotFound => not_found(&session),
        Err(error) => refusal(&session, error.into()),
    }
}

/// `POST /my/domain-contacts/{id}/delete`: deletes the contact, which no open domain service
/// may use.
pub(super) async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let (session, contact, command) =
        match contact_form(&state, &headers, &id, &fields, "DELETE").await {
            Ok(opened) => opened,
            Err(answer) => return answer,
        };
    let client = session.client_id.as_uuid();
    match usecase::delete_contact(&state, &command.context, client, contact).await {
        Ok(committed) => Redirect::to(&format!(
            "/my/domain-contacts?min_position={}",
            committed.position
        ))
        .into_response(),
        Err(error) if error.kind == crate::usecases::Kind::NotFound => not_found(&session),
        Err(error) => refusal(&session, error.into()),
    }
}

// The order form and the service page.

/// A contact a select offers.
pub(super) struct ContactChoice {
    pub(super) id: String,
    pub(super) name: String,
}

/// The session's client's contacts, for the order form's and the service page's selects; empty
/// when the user's roles do not let it read them.
pub(super) async fn choices(
    state: &AppState,
    session: &Session,
) -> Result<Vec<ContactChoice>, ApiError> {
    if !session.may("GET", LIST) {
        return Ok(Vec::new());
    }
    let client = session.client_id.as_uuid();
    let rows = projections::domain_contacts::of_client(&state.pool, client, None, LISTED).await?;
    Ok(rows
        .into_iter()
        .map(|row| ContactChoice {
            id: row.contact_id.to_string(),
            name: row.organisation.unwrap_or(row.name),
        })
        .collect())
}

/// Whether a form field is one of a domain's (`domain_name`, `contact.<role>`), which the order's
/// confirm form repeats.
pub(super) fn is_domain_field(name: &str) -> bool {
    name == "domain_name" || name.starts_with("contact.")
}

/// The contacts the form names for the three roles (`contact.registrant`, ...); a missing or
/// malformed id is refused naming the role.
fn contacts_of(fields: &Fields) -> Result<DomainContacts, ApiError> {
    let [registrant, admin, tech] = ROLES.map(|role| {
        Uuid::parse_str(field(fields, &format!("contact.{role}")))
            .map(ContactId::from_uuid)
            .map_err(|_| {
                ApiError::unprocessable(
                    "domain_contact_not_found",
                    format!("domain.contacts.{role}: choose a domain contact"),
                )
            })
    });
    Ok(DomainContacts {
        registrant: registrant?,
        admin: admin?,
        tech: tech?,
    })
}

/// The domain an order form names: none without a domain name, else the name and the three
/// contacts (the service and the contacts decide whether the order may have them).
pub(super) fn domain_of(fields: &Fields) -> Result<Option<DomainRegistration>, ApiError> {
    let name = field(fields, "domain_name");
    if name.is_empty() {
        return Ok(None);
    }
    Ok(Some(DomainRegistration {
        domain_name: DomainName::parse(name)?,
        contacts: contacts_of(fields)?,
    }))
}

/// The order request's `domain` for `domain`, which its idempotency key fingerprints.
pub(super) fn order_body(domain: &DomainRegistration) -> DomainOrderBody {
    DomainOrderBody {
        domain_name: domain.domain_name.as_str().to_owned(),
        contacts: DomainContactsBody {
            registrant: domain.contacts.registrant.as_uuid(),
            admin: domain.contacts.admin.as_uuid(),
            tech: domain.contacts.tech.as_uuid(),
        },
    }
}

/// One role of a domain service's contacts.
pub(super) struct RoleLine {
    /// `registrant`, `admin` or `tech`.
    pub(super) role: &'static str,
    pub(super) id: String,
    pub(super) name: String,
}

/// A domain service's domain, as its page shows it.
pub(super) struct DomainSection {
    pub(super) domain_name: String,
    pub(super) roles: Vec<RoleLine>,
    /// The contacts the user may choose from, when it may change them.
    pub(super) choices: Option<Vec<ContactChoice>>,
}

/// The domain section of the page of `service`, if it is a domain service ordered with one.
pub(super) async fn section(
    state: &AppState,
    session: &Session,
    service: &Service,
) -> Result<Option<DomainSection>, ApiError> {
    let Some(domain) = service.domain() else {
        return Ok(None);
    };
    let names = choices(state, session).await?;
    let name_of = |contact: ContactId| {
        let id = contact.to_string();
        let name = names
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| id.clone(), |c| c.name.clone());
        (id, name)
    };
    let c = domain.contacts;
    let roles = ROLES
        .into_iter()
        .zip([c.registrant, c.admin, c.tech])
        .map(|(role, contact)| {
            let (id, name) = name_of(contact);
            RoleLine { role, id, name }
        })
        .collect();
    let may_change = session.may("PUT", SERVICE_CONTACTS) && !service.is_closed();
    Ok(Some(DomainSection {
        domain_name: domain.domain_name.as_str().to_owned(),
        roles,
        choices: may_change.then_some(names),
    }))
}

/// `POST /my/services/{id}/domain-contacts`: gives the domain service the contacts the form
/// names, under the form's key.
pub(super) async fn set_service_contacts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match posted_permitted(
        &state,
        &headers,
        field(&fields, "csrf"),
        "PUT",
        SERVICE_CONTACTS,
    )
    .await
    {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let Ok(service_id) = Uuid::parse_str(&id) else {
        return not_found(&session);
    };
    match crate::usecases::services::service(&state, service_id).await {
        Ok(service) if service.client_id() == Some(session.client_id) => {}
        Ok(_) => return not_found(&session),
        Err(error) => return failed(Some(&session), error.into()),
    }
    let set = async {
        let key = key_of(&fields)?;
        let contacts = contacts_of(&fields)?;
        let command = form_command(
            &session,
            key,
            format!("PUT /v1/services/{service_id}/domain-contacts"),
        );
        let body = DomainContactsBody {
            registrant: contacts.registrant.as_uuid(),
            admin: contacts.admin.as_uuid(),
            tech: contacts.tech.as_uuid(),
        };
        let idempotency = command.key(&body, service_id)?;
        let committed = usecase::set_service_contacts(
            &state,
            &command.context,
            idempotency,
            service_id,
            contacts,
        )
        .await?;
        Ok::<_, ApiError>(committed.position)
    }
    .await;
    match set {
        Ok(seen) => {
            Redirect::to(&format!("/my/services/{service_id}?min_position={seen}")).into_response()
        }
        Err(error) => refusal(&session, error),
    }
}
