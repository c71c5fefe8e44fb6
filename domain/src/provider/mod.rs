//! The provider aggregate: a hosting provider, the tenant whose clients are billed.
//!
//! A provider's currency is fixed at creation; clients registered with the provider take it over
//! for their personal accounts.
//!
//! A provider is live or, from its creation on, a sandbox: a sandbox provider has a clock of its
//! own (a test clock, like Stripe's and Kill Bill's) that staff move forward only, and everything
//! of that provider is dated by it. The provider holds the rules of that clock: only a sandbox
//! provider has one, and it never goes back.

mod command;
mod error;
mod event;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
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
    #[serde(default)]
    sandbox: bool,
    #[serde(default)]
    clock: Option<DateTime<Utc>>,
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

    /// Whether the provider is a sandbox, living on its own clock.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox
    }

    /// The time a sandbox provider's clock shows; `None` for a live provider.
    pub fn clock(&self) -> Option<DateTime<Utc>> {
        self.clock.filter(|_| self.sandbox)
    }

    /// The provider's business time when the real time is `real`: its own clock for a
    /// sandbox, `real` for a live provider (and for one not created).
    pub fn now(&self, real: DateTime<Utc>) -> DateTime<Utc> {
        self.clock().unwrap_or(real)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ProviderCommand) -> Result<Vec<ProviderEvent>, ProviderError> {
        match command {
            ProviderCommand::CreateProvider {
                provider_id,
                name,
                currency,
                sandbox,
                created_at,
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
                    sandbox,
                    clock: sandbox.then_some(created_at),
                    source: None,
                }])
            }
            ProviderCommand::ImportProvider {
                provider_id,
                name,
                currency,
                source,
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
                    sandbox: false,
                    clock: None,
                    source: Some(source),
                }])
            }
            ProviderCommand::AdvanceClock { to } => self.advance_clock(to),
        }
    }

    /// Only a sandbox provider's clock moves, and only forward; to where it is already is a
    /// no-op, so a retry records nothing.
    fn advance_clock(&self, to: DateTime<Utc>) -> Result<Vec<ProviderEvent>, ProviderError> {
        if !self.is_created() {
            return Err(ProviderError::NotFound);
        }
        let Some(from) = self.clock() else {
            return Err(ProviderError::NotSandbox);
        };
        if to < from {
            return Err(ProviderError::ClockBackwards { from, to });
        }
        if to == from {
            return Ok(Vec::new());
        }
        Ok(vec![ProviderEvent::ProviderClockAdvanced { from, to }])
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
                sandbox,
                clock,
                source: _,
            } => {
                self.id = Some(provider_id);
                self.name = name;
                self.currency = Some(currency);
                self.sandbox = sandbox;
                self.clock = clock;
            }
            ProviderEvent::ProviderClockAdvanced { to, .. } => self.clock = Some(to),
        }
    }
}
