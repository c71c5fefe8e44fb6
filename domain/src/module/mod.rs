//! The module aggregate (issue 20.5, ADR 25): an external system the billing core calls over
//! HTTP with signed requests, a provisioning panel or a payment gateway.
//!
//! One stream per module. `RegisterModule` records its kind, base URL and what it serves; the
//! HMAC secret travels only in the command and is kept in `credentials` by the store (ADR 11):
//! the event carries the key id and a fingerprint (the first 16 hex digits of the secret's
//! SHA-256, computed by the caller), never the secret.

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::ids::{ModuleId, ProviderId};
use crate::item_type::ItemType;

/// The longest base URL, in characters.
pub const MODULE_URL_CHARS_MAX: usize = 500;
/// The most item types or payment providers one module serves.
pub const MODULE_SERVES_MAX: usize = 50;
/// The longest name of a payment provider a gateway serves.
pub const MODULE_PROVIDER_NAME_MAX: usize = 64;

/// What a module does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleKind {
    /// Sets services up on a panel: create, suspend, resume, delete, change tariff.
    Provisioning,
    /// Takes payments: creates a payment at a gateway and confirms it by notification.
    Payment,
    /// Registers, transfers and renews domains of the TLDs it serves (ADR 33).
    Registrar,
}

impl ModuleKind {
    /// The kind's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::Provisioning => "provisioning",
            ModuleKind::Payment => "payment",
            ModuleKind::Registrar => "registrar",
        }
    }
}

/// What can be asked of a module.
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleCommand {
    /// Registers the module (once).
    RegisterModule {
        /// The module's id.
        module_id: ModuleId,
        /// The provider whose services or payments it serves.
        provider_id: ProviderId,
        /// What it does.
        kind: ModuleKind,
        /// Its base URL (`http` or `https`), without a trailing slash.
        base_url: String,
        /// The item types (provisioning), payment method codes (payment) or TLDs (registrar) it
        /// serves.
        serves: Vec<String>,
        /// The id of its HMAC key, sent with each request.
        key_id: String,
        /// The first 16 hex digits of the SHA-256 of the secret.
        fingerprint: String,
        /// The HMAC secret, hex; kept in `credentials`, never in an event.
        secret_hex: String,
        /// The day of registration.
        registered_on: NaiveDate,
    },
}

impl ModuleCommand {
    /// The HMAC secret the command sets, for the store's `credentials` (ADR 11).
    pub fn secret_hex(&self) -> Option<&str> {
        match self {
            ModuleCommand::RegisterModule { secret_hex, .. } => Some(secret_hex),
        }
    }
}

/// What has happened to a module. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ModuleEvent {
    /// The module was registered.
    ModuleRegistered {
        /// The module's id.
        module_id: ModuleId,
        /// Its provider.
        provider_id: ProviderId,
        /// What it does.
        kind: ModuleKind,
        /// Its base URL.
        base_url: String,
        /// What it serves.
        serves: Vec<String>,
        /// The id of its HMAC key.
        key_id: String,
        /// The first 16 hex digits of the SHA-256 of its secret (the secret is not here).
        fingerprint: String,
        /// The day of registration.
        registered_on: NaiveDate,
    },
}

impl DomainEvent for ModuleEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ModuleRegistered { .. } => "ModuleRegistered".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// Why a module command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModuleError {
    /// The base URL is not an `http(s)://` URL of at most 500 characters without spaces.
    #[error("base_url: must be an http:// or https:// URL of at most 500 characters")]
    InvalidUrl,
    /// Nothing served, too many, or a name that is no item type or method code.
    #[error("serves: give 1 to 50 item types, payment method codes or TLDs")]
    InvalidServes,
    /// The module is registered already.
    #[error("the module is registered already")]
    AlreadyRegistered,
    /// The secret is shorter than 32 bytes.
    #[error("the secret must be at least 32 bytes")]
    WeakSecret,
}

impl ModuleError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ModuleError::InvalidUrl => "invalid_module_url",
            ModuleError::InvalidServes => "invalid_module_serves",
            ModuleError::AlreadyRegistered => "module_exists",
            ModuleError::WeakSecret => "weak_module_secret",
        }
    }
}

/// A registered module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredModule {
    /// The module's id.
    pub module_id: ModuleId,
    /// Its provider.
    pub provider_id: ProviderId,
    /// What it does.
    pub kind: ModuleKind,
    /// Its base URL.
    pub base_url: String,
    /// What it serves.
    pub serves: Vec<String>,
    /// The id of its HMAC key.
    pub key_id: String,
    /// The fingerprint of its secret.
    pub fingerprint: String,
}

/// The state of one module: nothing until registered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Module {
    registered: Option<RegisteredModule>,
}

/// The base URL without a trailing slash, if it is one a module may have.
fn clean_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split('/').next().unwrap_or("");
    let fine = !host.is_empty()
        && url.chars().count() <= MODULE_URL_CHARS_MAX
        && url.chars().all(|c| c.is_ascii_graphic())
        && !url.contains(['?', '#']);
    fine.then(|| url.to_string())
}

/// What a module serves, checked: item type codes for provisioning, method codes for payment.
fn clean_serves(kind: ModuleKind, serves: Vec<String>) -> Option<Vec<String>> {
    if serves.is_empty() || serves.len() > MODULE_SERVES_MAX {
        return None;
    }
    let mut clean: Vec<String> = Vec::with_capacity(serves.len());
    for name in serves {
        let name = match kind {
            ModuleKind::Provisioning => ItemType::parse(name.trim()).ok()?.as_str().to_string(),
            ModuleKind::Payment => {
                let name = name.trim().to_ascii_lowercase();
                let fine = !name.is_empty()
                    && name.len() <= MODULE_PROVIDER_NAME_MAX
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                fine.then_some(name)?
            }
            ModuleKind::Registrar => crate::tld::TldName::parse(name.trim())
                .ok()?
                .as_str()
                .to_string(),
        };
        if !clean.contains(&name) {
            clean.push(name);
        }
    }
    Some(clean)
}

impl Module {
    /// The module, once registered.
    pub fn registered(&self) -> Option<&RegisteredModule> {
        self.registered.as_ref()
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ModuleCommand) -> Result<Vec<ModuleEvent>, ModuleError> {
        match command {
            ModuleCommand::RegisterModule {
                module_id,
                provider_id,
                kind,
                base_url,
                serves,
                key_id,
                fingerprint,
                secret_hex,
                registered_on,
            } => {
                if self.registered.is_some() {
                    return Err(ModuleError::AlreadyRegistered);
                }
                if secret_hex.len() < 64 {
                    return Err(ModuleError::WeakSecret);
                }
                let base_url = clean_url(&base_url).ok_or(ModuleError::InvalidUrl)?;
                let serves = clean_serves(kind, serves).ok_or(ModuleError::InvalidServes)?;
                Ok(vec![ModuleEvent::ModuleRegistered {
                    module_id,
                    provider_id,
                    kind,
                    base_url,
                    serves,
                    key_id,
                    fingerprint,
                    registered_on,
                }])
            }
        }
    }
}

impl Aggregate for Module {
    const TYPE: &'static str = "Module";
    type Command = ModuleCommand;
    type Event = ModuleEvent;
    type Error = ModuleError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ModuleCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ModuleError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ModuleEvent) {
        match event {
            ModuleEvent::ModuleRegistered {
                module_id,
                provider_id,
                kind,
                base_url,
                serves,
                key_id,
                fingerprint,
                registered_on: _,
            } => {
                self.registered = Some(RegisteredModule {
                    module_id,
                    provider_id,
                    kind,
                    base_url,
                    serves,
                    key_id,
                    fingerprint,
                });
            }
        }
    }
}
