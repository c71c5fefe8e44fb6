//! The provider aggregate: a hosting provider, the tenant whose clients are billed.
//!
//! A provider's currency is fixed at creation; clients registered with the provider take it over
//! for their personal accounts.

mod command;
mod error;
mod event;

#[cfg(test)]
mod tests;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::ids::ProviderId;
use crate::money::Currency;
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;

/// The longest provider name, in characters.
pub const PROVIDER_NAME_CHARS_MAX: usize = 200;

/// The state of one provider, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    id: Option<ProviderId>,
    name: String,
    currency: Option<Currency>,
}

impl Provider {
    /// Whether `ProviderCreated` has happened.
    pub fn is_created(&self) -> bool {
        self.id.is_some()
    }

    /// The provider's id, once created.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.id
    }

    /// The currency the provider bills in, once created.
    pub fn currency(&self) -> Option<Currency> {
        self.currency
    }

    /// The trimmed display name; empty until created.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ProviderCommand) -> Result<Vec<ProviderEvent>, ProviderError> {
        match command {
            ProviderCommand::CreateProvider {
                provider_id,
                name,
                currency,
            } => {
                if self.is_created() {
                    return Err(ProviderError::AlreadyCreated);
                }
                let trimmed = text::display_name(&name, PROVIDER_NAME_CHARS_MAX)
                    .ok_or_else(|| ProviderError::InvalidName(name.clone()))?;
                Ok(vec![ProviderEvent::ProviderCreated {
                    provider_id,
                    name: trimmed.to_string(),
                    currency,
                }])
            }
        }
    }
}

impl Aggregate for Provider {
    const TYPE: &'static str = "Provider";
    type Command = ProviderCommand;
    type Event = ProviderEvent;
    type Error = ProviderError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ProviderCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ProviderError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ProviderEvent) {
        match event {
            ProviderEvent::ProviderCreated {
                provider_id,
                name,
                currency,
            } => {
                self.id = Some(provider_id);
                self.name = name;
                self.currency = Some(currency);
            }
        }
    }
}
