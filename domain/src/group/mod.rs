//! The client group aggregate: a named group of a provider's clients ("resellers", "VIP"), which
//! staff filter clients by. A client's membership is kept on the client (`SetClientGroups`).
//!
//! A group may give its clients a discount per item type (`SetGroupDiscount`); the charge of a
//! member's service takes the best single discount in effect (see [`crate::discount`]).

#[cfg(test)]
mod tests;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::client::ClientName;
use crate::discount::DiscountPercent;
use crate::ids::{ClientGroupId, ProviderId};
use crate::tariff::ItemType;

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
    /// Sets (or, with `percent` absent, removes) the group's discount on services of
    /// `item_type`. Setting what is already set records nothing.
    SetGroupDiscount {
        /// The kind of item discounted.
        item_type: ItemType,
        /// The percent taken off the price per period; `None` removes the discount.
        percent: Option<DiscountPercent>,
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
    /// The group's discount on services of an item type was set or, `percent` absent, removed.
    ClientGroupDiscountSet {
        /// The kind of item.
        item_type: ItemType,
        /// The percent now taken off, if any.
        percent: Option<DiscountPercent>,
    },
}

impl DomainEvent for ClientGroupEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ClientGroupCreated { .. } => "ClientGroupCreated".to_string(),
            Self::ClientGroupDiscountSet { .. } => "ClientGroupDiscountSet".to_string(),
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
    /// The group has not been created.
    #[error("client group not found")]
    NotFound,
}

impl ClientGroupError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ClientGroupError::AlreadyCreated => "client_group_exists",
            ClientGroupError::NotFound => "client_group_not_found",
        }
    }
}

/// The state of one client group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientGroup {
    provider_id: Option<ProviderId>,
    name: Option<ClientName>,
    /// The discount per item type, at most one each, in the order first set.
    #[serde(default)]
    discounts: Vec<(ItemType, DiscountPercent)>,
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

    /// The group's discounts, one per item type.
    pub fn discounts(&self) -> &[(ItemType, DiscountPercent)] {
        &self.discounts
    }

    /// The group's discount on services of `item_type`, if any.
    pub fn discount_on(&self, item_type: ItemType) -> Option<DiscountPercent> {
        self.discounts
            .iter()
            .find(|(kind, _)| *kind == item_type)
            .map(|(_, percent)| *percent)
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
            ClientGroupCommand::SetGroupDiscount { item_type, percent } => {
                if self.provider_id.is_none() {
                    return Err(ClientGroupError::NotFound);
                }
                if self.discount_on(item_type) == percent {
                    return Ok(vec![]);
                }
                Ok(vec![ClientGroupEvent::ClientGroupDiscountSet {
                    item_type,
                    percent,
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
            ClientGroupEvent::ClientGroupDiscountSet { item_type, percent } => {
                match (
                    self.discounts
                        .iter()
                        .position(|(kind, _)| *kind == item_type),
                    percent,
                ) {
                    (Some(at), Some(percent)) => self.discounts[at].1 = percent,
                    (Some(at), None) => {
                        self.discounts.remove(at);
                    }
                    (None, Some(percent)) => self.discounts.push((item_type, percent)),
                    (None, None) => {}
                }
            }
        }
    }
}
