//! Domain contacts: a client's people and organisations that its domains are registered to, and
//! the steps that tie them to domain services. A service uses a contact only after the contact
//! agreed (`AttachContact`, which refuses an unknown, deleted or other client's contact); the
//! `domain_contacts` process lets it go when the service closes or takes other contacts.

use domain::contact::{
    ContactCommand, ContactError, ContactInput, DomainContact, DomainContacts, DomainRegistration,
};
use domain::ids::{AccountId, ClientId, ContactId, ProviderId, ServiceId};
use domain::service::{Service, ServiceCommand};
use domain::tariff::ServiceTerms;
use eventstore::metadata::CommandContext;
use eventstore::{CommandError, CommandKey, Committed, EventStore};
use uuid::Uuid;

use crate::usecases::{Core, Error, clocks};

/// Creates the contact `contact_id` of an active client, idempotent by that id (a repeated
/// request creates nothing more; another request, told apart by `fingerprint`, with the same id
/// is refused).
pub async fn create_contact<R: serde::Serialize>(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    contact_id: Uuid,
    input: ContactInput,
    fingerprint: &R,
) -> Result<Committed<DomainContact>, Error> {
    let (provider_id, _) = crate::usecases::clients::active(core, client_id).await?;
    let when = core.time_of(provider_id).await?;
    let context = &when.stamp(context);
    let key = CommandKey::new(
        "domain_contact",
        contact_id.to_string(),
        &(client_id, fingerprint),
        serde_json::json!({ "id": contact_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    Ok(core
        .store
        .execute::<DomainContact>(
            &contact_id.to_string(),
            ContactCommand::CreateContact {
                contact_id: ContactId::from_uuid(contact_id),
                client_id: ClientId::from_uuid(client_id),
                provider_id,
                input,
                on: when.today(),
            },
            context,
            &[key],
        )
        .await?)
}

/// Replaces the details of the client's contact `contact_id`.
pub async fn update_contact(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    contact_id: Uuid,
    input: ContactInput,
) -> Result<Committed<DomainContact>, Error> {
    let (provider_id, _) = crate::usecases::clients::active(core, client_id).await?;
    let when = core.time_of(provider_id).await?;
    let context = &when.stamp(context);
    Ok(core
        .store
        .execute::<DomainContact>(
            &contact_id.to_string(),
            ContactCommand::UpdateContact {
                client_id: ClientId::from_uuid(client_id),
                input,
                on: when.today(),
            },
            context,
            &[],
        )
        .await?)
}

/// Deletes the client's contact `contact_id`, which no domain service that is not closed may
/// use. The contact is told which of the services attached to it were ordered; it lets go of
/// one whose order never came once [`domain::contact::ABANDONED_AFTER`] has passed (an order
/// that crashed after the contact agreed), so nothing a crash leaves holds it for ever.
pub async fn delete_contact(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    contact_id: Uuid,
) -> Result<Committed<DomainContact>, Error> {
    let contact = core
        .store
        .load::<DomainContact>(&contact_id.to_string())
        .await?
        .aggregate;
    let when = clocks::of_client(&core.store, ClientId::from_uuid(client_id)).await?;
    let context = &when.stamp(context);
    let mut ordered = std::collections::BTreeSet::new();
    for service in contact.attached() {
        let state = core
            .store
            .load::<Service>(&service.to_string())
            .await?
            .aggregate;
        if state.is_ordered() {
            ordered.insert(service);
        }
    }
    Ok(core
        .store
        .execute::<DomainContact>(
            &contact_id.to_string(),
            ContactCommand::DeleteContact {
                client_id: ClientId::from_uuid(client_id),
                ordered,
                now: when.now(),
            },
            context,
            &[],
        )
        .await?)
}

/// The roles `contacts` gives each distinct contact, for an error naming the field.
fn role_of(contacts: &DomainContacts, contact: ContactId) -> &'static str {
    if contacts.registrant == contact {
        "registrant"
    } else if contacts.admin == contact {
        "admin"
    } else {
        "tech"
    }
}

/// The refusal of a contact that the client may not use: unknown, deleted and another client's
/// read the same.
fn unusable(contacts: &DomainContacts, contact: ContactId, error: ContactError) -> Error {
    match error {
        ContactError::NotFound => Error::not_found(
            "domain_contact_not_found",
            format!(
                "domain.contacts.{}: no domain contact {contact}",
                role_of(contacts, contact)
            ),
        ),
        other => other.into(),
    }
}

/// Whether the client `client_id` may use `contacts` for `service_id`, decided by each contact
/// on its current state without recording anything: what an order checks before it redeems a
/// promo code or writes anything.
pub async fn check(
    core: &Core,
    client_id: Uuid,
    service_id: Uuid,
    contacts: &DomainContacts,
) -> Result<(), Error> {
    let when = clocks::of_client(&core.store, ClientId::from_uuid(client_id)).await?;
    for contact in contacts.distinct() {
        let state = core
            .store
            .load::<DomainContact>(&contact.to_string())
            .await?
            .aggregate;
        state
            .decide(ContactCommand::AttachContact {
                client_id: ClientId::from_uuid(client_id),
                service_id: ServiceId::from_uuid(service_id),
                at: when.now(),
            })
            .map_err(|e| unusable(contacts, contact, e))?;
    }
    Ok(())
}

/// Whether an order of `terms` by the client `client_id` of `provider_id` may carry `domain`, decided before anything is written (a promo
/// code redeemed, a contact attached): the service on an order decided in memory (only a domain
/// takes one), then each contact on its own state ([`check`]).
pub async fn check_order(
    core: &Core,
    (client_id, provider_id): (Uuid, ProviderId),
    service_id: Uuid,
    terms: &ServiceTerms,
    domain: &DomainRegistration,
) -> Result<(), Error> {
    let client = ClientId::from_uuid(client_id);
    Service::default().decide(ServiceCommand::OrderService {
        trial: None,
        service_id: ServiceId::from_uuid(service_id),
        client_id: client,
        provider_id,
        account_id: AccountId::of(client, provider_id, terms.currency()),
        terms: terms.clone(),
        auto_prolong: true,
        ordered_on: core.time_of(provider_id).await?.today(),
        discount: None,
        domain: Some(domain.clone()),
        required_agreement: None,
        accepted_agreement: None,
    })?;
    check(core, client_id, service_id, &domain.contacts).await
}

/// Attaches `contacts` to the service `service_id` of the client `client_id`; returns the
/// contacts this call attached (not those attached before), for [`release`] to undo when what
/// follows fails.
pub async fn attach(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    service_id: Uuid,
    contacts: &DomainContacts,
) -> Result<Vec<ContactId>, Error> {
    let when = clocks::of_client(&core.store, ClientId::from_uuid(client_id)).await?;
    let context = &when.stamp(context);
    let mut attached = Vec::new();
    for contact in contacts.distinct() {
        let done = core
            .store
            .execute::<DomainContact>(
                &contact.to_string(),
                ContactCommand::AttachContact {
                    client_id: ClientId::from_uuid(client_id),
                    service_id: ServiceId::from_uuid(service_id),
                    at: when.now(),
                },
                context,
                &[],
            )
            .await;
        match done {
            Ok(committed) if !committed.events.is_empty() => attached.push(contact),
            Ok(_) => {}
            Err(error) => {
                release(&core.store, context, service_id, &attached).await;
                return Err(match error {
                    CommandError::Rejected(e) => unusable(contacts, contact, e),
                    other => other.into(),
                });
            }
        }
    }
    Ok(attached)
}

/// Detaches `contacts` from the service `service_id`. Idempotent.
pub async fn detach(
    store: &EventStore,
    context: &CommandContext,
    service_id: ServiceId,
    contacts: &[ContactId],
) -> Result<(), CommandError<ContactError>> {
    for contact in contacts {
        store
            .execute::<DomainContact>(
                &contact.to_string(),
                ContactCommand::DetachContact { service_id },
                context,
                &[],
            )
            .await?;
    }
    Ok(())
}

/// Undoes [`attach`] after what followed it failed. A failure here is logged: the contact keeps
/// counting a service that was never ordered, and refuses its deletion, until staff detach it.
pub async fn release(
    store: &EventStore,
    context: &CommandContext,
    service_id: Uuid,
    attached: &[ContactId],
) {
    if let Err(error) = detach(store, context, ServiceId::from_uuid(service_id), attached).await {
        tracing::warn!(
            %service_id,
            %error,
            "domain contacts of a failed order stay attached until a deletion finds the order never came"
        );
    }
}

/// The contacts of `contacts` that `to` no longer uses.
pub fn left(contacts: &DomainContacts, to: &DomainContacts) -> Vec<ContactId> {
    contacts
        .distinct()
        .into_iter()
        .filter(|contact| !to.holds(*contact))
        .collect()
}

/// Gives the domain service `service_id` other contacts: each new one agrees first, then the
/// service takes them, then the old ones it no longer uses are let go (the `domain_contacts`
/// process repeats that last step after a crash).
pub async fn set_service_contacts(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    service_id: Uuid,
    contacts: DomainContacts,
) -> Result<Committed<Service>, Error> {
    let service = crate::usecases::services::service(core, service_id).await?;
    let Some(client_id) = service.client_id() else {
        return Err(Error::not_found(
            "service_not_found",
            format!("no service {service_id}"),
        ));
    };
    let attached = attach(core, context, client_id.as_uuid(), service_id, &contacts).await?;
    let committed = core
        .store
        .execute::<Service>(
            &service_id.to_string(),
            ServiceCommand::SetDomainContacts { contacts },
            context,
            key.as_slice(),
        )
        .await;
    let committed = match committed {
        Ok(committed) => committed,
        Err(error) => {
            release(&core.store, context, service_id, &attached).await;
            return Err(error.into());
        }
    };
    if let Some(domain::service::ServiceEvent::DomainContactsChanged { from, to }) =
        committed.events.first()
    {
        detach(
            &core.store,
            context,
            ServiceId::from_uuid(service_id),
            &left(from, to),
        )
        .await?;
    }
    Ok(committed)
}
