//! Lets domain contacts go when the services that used them no longer do: a closed (or deleted)
//! domain service detaches all its contacts, and one given other contacts detaches those it no
//! longer uses. Each step is `DetachContact`, which records nothing for a service not attached,
//! so a rerun after a crash does nothing twice. The use case that sets a service's contacts
//! takes the same step at once; this process finishes what a crash interrupted.

use std::sync::Arc;

use async_trait::async_trait;
use domain::ids::ServiceId;
use domain::service::{Service, ServiceEvent};
use eventstore::EventStore;
use eventstore::log::StoredEvent;
use eventstore::metadata::{Actor, CommandContext};
use sqlx::PgConnection;

use projections::{Projection, ProjectionError};

use crate::usecases::domain_contacts::{detach, left};

/// The process that detaches domain contacts from services that no longer use them.
pub struct Releases {
    store: Arc<EventStore>,
}

impl Releases {
    /// The process, writing through `store`.
    pub fn new(store: Arc<EventStore>) -> Self {
        Self { store }
    }

    async fn step(
        &self,
        event: &StoredEvent,
        context: &CommandContext,
    ) -> Result<(), ProjectionError> {
        let malformed = |e: &dyn std::fmt::Display| ProjectionError::Malformed(e.to_string());
        let service_id = || {
            event
                .aggregate_id
                .parse::<ServiceId>()
                .map_err(|e| malformed(&e))
        };
        let released = match event.event_type.as_str() {
            "ServiceClosed" | "ServiceDeleted" => {
                let service_id = service_id()?;
                let service = self
                    .store
                    .load::<Service>(&service_id.to_string())
                    .await
                    .map_err(|e| malformed(&e))?
                    .aggregate;
                match service.domain() {
                    Some(domain) => (service_id, domain.contacts.distinct()),
                    None => return Ok(()),
                }
            }
            "DomainContactsChanged" => {
                let ServiceEvent::DomainContactsChanged { from, to } = event.decode()? else {
                    return Ok(());
                };
                (service_id()?, left(&from, &to))
            }
            _ => return Ok(()),
        };
        detach(&self.store, context, released.0, &released.1)
            .await
            .map_err(|e| malformed(&e))
    }
}

#[async_trait]
impl Projection for Releases {
    fn name(&self) -> &'static str {
        "domain_contact_process"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    fn runs_alone(&self) -> bool {
        true
    }

    async fn apply_batch(
        &self,
        _tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let context = CommandContext::new(Actor::System("domain_contacts".to_owned()));
        for event in events.iter().filter(|e| e.aggregate_type == "Service") {
            self.step(event, &context).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}
