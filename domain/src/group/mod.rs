//! The client group aggregate: a named group of a provider's clients ("resellers", "VIP"), which
//! staff filter clients by. A client's membership is kept on the client (`SetClientGroups`).

#[cfg(test)]
mod tests;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::client::ClientName;
use crate::ids::{ClientGroupId, ProviderId};

/// What can be asked of a client group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientGroupCommand {
    /// Creates the group.
    CreateClientGroup {
        /// The caller-chosen id.
        group_id: ClientGroupId,
        /// The provider whose clients it groups.
        provider_id: ProviderId,
        /// The group's name, with the rules of a client's name.
        name: ClientName,
    },
}

/// What has happened to a client group. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientGroupEvent {
    /// The group was created.
    ClientGroupCreated {
        /// Its id.
        group_id: ClientGroupId,
        /// Its provider.
        provider_id: ProviderId,
        /// Its name.
        name: ClientName,
    },
}

impl DomainEvent for ClientGroupEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ClientGroupCreated { .. } => "ClientGroupCreated".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// Why a client group command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientGroupError {
    /// A group with this id exists.
    #[error("client group already exists")]
    AlreadyCreated,
}

impl ClientGroupError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ClientGroupError::AlreadyCreated => "client_group_exists",
        }
    }
}

/// The state of one client group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientGroup {
    provider_id: Option<ProviderId>,
    name: Option<ClientName>,
}

impl ClientGroup {
    /// The group's provider, once created.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.provider_id
    }

    /// The group's name, once created.
    pub fn name(&self) -> Option<&ClientName> {
        self.name.as_ref()
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(
        &self,
        command: ClientGroupCommand,
    ) -> Result<Vec<ClientGroupEvent>, ClientGroupError> {
        match command {
            ClientGroupCommand::CreateClientGroup {
                group_id,
                provider_id,
                name,
            } => {
                if self.provider_id.is_some() {
                    return Err(ClientGroupError::AlreadyCreated);
                }
                Ok(vec![ClientGroupEvent::ClientGroupCreated {
                    group_id,
                    provider_id,
                    name,
                }])
            }
        }
    }
}

impl Aggregate for ClientGroup {
    const TYPE: &'static str = "ClientGroup";
    type Command = ClientGroupCommand;
    type Event = ClientGroupEvent;
    type Error = ClientGroupError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ClientGroupCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ClientGroupError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ClientGroupEvent) {
        match event {
            ClientGroupEvent::ClientGroupCreated {
                provider_id, name, ..
            } => {
                self.provider_id = Some(provider_id);
                self.name = Some(name);
            }
        }
    }
}
