//! The domain contact aggregate: a person or organisation of a client's that a domain is
//! registered to (registrant) or administered by (admin, tech), with the details registries ask
//! for, Russian ones (.ru, .рф) included: a person's birth date and passport.
//!
//! A contact belongs to one client and answers no other. It counts the domain services that use
//! it, through `AttachContact` (sent before a service is ordered with it or given it) and
//! `DetachContact` (sent when the service is closed or given other contacts), so the rule that
//! a contact in use cannot be deleted lives here, in one place, and a deletion racing an order
//! is decided by the contact's own order of events.
//!
//! The details are personal data. They are not secrets, and the log keeps them as it keeps
//! client names: the action log and its export show them to staff who may read them.

mod command;
mod error;
mod event;
mod value;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, ContactId, ProviderId, ServiceId};

pub use command::*;
pub use error::*;
pub use event::*;
pub use value::*;

/// The state of one domain contact, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainContact {
    created: Option<CreatedContact>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CreatedContact {
    contact_id: ContactId,
    client_id: ClientId,
    provider_id: ProviderId,
    details: ContactDetails,
    deleted: bool,
    /// The services that use the contact and are not closed.
    attached: BTreeSet<ServiceId>,
    /// When each attached service was attached, where the event says.
    #[serde(default)]
    attached_at: BTreeMap<ServiceId, DateTime<Utc>>,
}

/// How long an attachment whose service was never ordered still holds the contact: longer than
/// any order takes between the contact agreeing and the order being recorded, so a deletion
/// racing an order in flight is refused, and one after an order that failed in a crash is not.
pub const ABANDONED_AFTER: TimeDelta = TimeDelta::hours(1);

impl DomainContact {
    /// Whether `ContactCreated` has happened (deleted or not).
    pub fn is_created(&self) -> bool {
        self.created.is_some()
    }

    /// Whether the contact was deleted.
    pub fn is_deleted(&self) -> bool {
        self.created.as_ref().is_some_and(|c| c.deleted)
    }

    /// The contact's id, once created.
    pub fn contact_id(&self) -> Option<ContactId> {
        self.created.as_ref().map(|c| c.contact_id)
    }

    /// The client the contact belongs to, once created.
    pub fn client_id(&self) -> Option<ClientId> {
        self.created.as_ref().map(|c| c.client_id)
    }

    /// The client's provider, once created.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.created.as_ref().map(|c| c.provider_id)
    }

    /// The contact's details, once created.
    pub fn details(&self) -> Option<&ContactDetails> {
        self.created.as_ref().map(|c| &c.details)
    }

    /// Whether the service `service_id` is attached.
    pub fn is_attached_to(&self, service_id: ServiceId) -> bool {
        self.created
            .as_ref()
            .is_some_and(|c| c.attached.contains(&service_id))
    }

    /// The services that use the contact and are not closed.
    pub fn attached(&self) -> Vec<ServiceId> {
        self.created
            .as_ref()
            .map(|c| c.attached.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The contact as `client_id` may see it: created, not deleted, the client's own.
    fn of(&self, client_id: ClientId) -> Result<&CreatedContact, ContactError> {
        self.created
            .as_ref()
            .filter(|c| !c.deleted && c.client_id == client_id)
            .ok_or(ContactError::NotFound)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ContactCommand) -> Result<Vec<ContactEvent>, ContactError> {
        match command {
            ContactCommand::CreateContact {
                contact_id,
                client_id,
                provider_id,
                input,
                on,
            } => {
                if self.is_created() {
                    return Err(ContactError::AlreadyCreated);
                }
                Ok(vec![ContactEvent::ContactCreated {
                    contact_id,
                    client_id,
                    provider_id,
                    details: input.parse(on)?,
                }])
            }
            ContactCommand::UpdateContact {
                client_id,
                input,
                on,
            } => {
                let contact = self.of(client_id)?;
                let details = input.parse(on)?;
                if details == contact.details {
                    return Ok(vec![]);
                }
                Ok(vec![ContactEvent::ContactUpdated { details }])
            }
            ContactCommand::DeleteContact {
                client_id,
                ordered,
                now,
            } => {
                let contact = self.of(client_id)?;
                let abandoned = |service: &ServiceId| {
                    !ordered.contains(service)
                        && contact
                            .attached_at
                            .get(service)
                            .is_none_or(|at| now - *at > ABANDONED_AFTER)
                };
                let in_use = contact.attached.iter().filter(|s| !abandoned(s)).count();
                if in_use > 0 {
                    return Err(ContactError::InUse { services: in_use });
                }
                let mut events: Vec<ContactEvent> = contact
                    .attached
                    .iter()
                    .map(|&service_id| ContactEvent::ContactDetached { service_id })
                    .collect();
                events.push(ContactEvent::ContactDeleted {});
                Ok(events)
            }
            ContactCommand::AttachContact {
                client_id,
                service_id,
                at,
            } => {
                let contact = self.of(client_id)?;
                if contact.attached.contains(&service_id) {
                    return Ok(vec![]);
                }
                Ok(vec![ContactEvent::ContactAttached {
                    service_id,
                    at: Some(at),
                }])
            }
            ContactCommand::TransferContact {
                to_client,
                provider_id,
                merge_id,
            } => {
                let contact = self.created.as_ref().ok_or(ContactError::NotFound)?;
                if contact.provider_id != provider_id {
                    return Err(ContactError::OtherProvider);
                }
                if contact.deleted || contact.client_id == to_client {
                    return Ok(vec![]);
                }
                Ok(vec![ContactEvent::ContactTransferred {
                    from_client: contact.client_id,
                    to_client,
                    merge_id,
                }])
            }
            ContactCommand::DetachContact { service_id } => {
                if !self.is_attached_to(service_id) {
                    return Ok(vec![]);
                }
                Ok(vec![ContactEvent::ContactDetached { service_id }])
            }
        }
    }
}

impl Aggregate for DomainContact {
    const TYPE: &'static str = "DomainContact";
    type Command = ContactCommand;
    type Event = ContactEvent;
    type Error = ContactError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ContactCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ContactError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ContactEvent) {
        match event {
            ContactEvent::ContactCreated {
                contact_id,
                client_id,
                provider_id,
                details,
            } => {
                self.created = Some(CreatedContact {
                    contact_id,
                    client_id,
                    provider_id,
                    details,
                    deleted: false,
                    attached: BTreeSet::new(),
                    attached_at: BTreeMap::new(),
                });
            }
            ContactEvent::ContactUpdated { details } => {
                if let Some(created) = &mut self.created {
                    created.details = details;
                }
            }
            ContactEvent::ContactDeleted {} => {
                if let Some(created) = &mut self.created {
                    created.deleted = true;
                }
            }
            ContactEvent::ContactAttached { service_id, at } => {
                if let Some(created) = &mut self.created {
                    created.attached.insert(service_id);
                    if let Some(at) = at {
                        created.attached_at.insert(service_id, at);
                    }
                }
            }
            ContactEvent::ContactDetached { service_id } => {
                if let Some(created) = &mut self.created {
                    created.attached.remove(&service_id);
                    created.attached_at.remove(&service_id);
                }
            }
            ContactEvent::ContactTransferred { to_client, .. } => {
                if let Some(created) = &mut self.created {
                    created.client_id = to_client;
                }
            }
        }
    }
}
