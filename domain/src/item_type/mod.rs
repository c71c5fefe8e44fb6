//! The item type aggregate: a kind of thing tariffs sell ("vds", "domain", or a code staff made
//! up) and the lifecycle policy of the services sold under it — how many days an unpaid service
//! keeps running (the grace period), what happens then (suspension, deletion, or nothing), how
//! long a suspended or ended service waits before it is deleted, and whether a new service renews
//! itself by default.
//!
//! One stream per code. The seven built-in types have a policy before any event (today's
//! values, [`ItemType::built_in_policy`]); `DefineItemType` creates a type or replaces its
//! settings. The billing day reads the policy from here and passes it to each service in
//! `RunBillingDay` (ADR 15), so a staff edit reaches the services already sold.

mod code;
#[cfg(test)]
mod tests;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::text;

pub use code::{ITEM_TYPE_CODE_CHARS_MAX, ItemType};

/// The longest item type name, in characters.
pub const ITEM_TYPE_NAME_CHARS_MAX: usize = 200;

/// The longest deletion delay or grace period, in days (ten years).
pub const POLICY_DAYS_MAX: u32 = 3650;

/// What happens to a service whose paid time ended unpaid, once its grace days are over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspensionRule {
    /// It is suspended, and deleted after the deletion delay unless paid (the default).
    Suspend,
    /// It is closed and deleted at once, without a suspension (certificates, domains that
    /// simply lapse).
    Delete,
    /// It keeps running unpaid; the billing day keeps trying to charge it.
    Never,
}

/// The lifecycle policy of an item type, as the billing day hands it to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ItemTypePolicy {
    /// Days a suspended (or ended) service waits before it is deleted.
    pub deletion_delay_days: u32,
    /// What happens once the grace period of an unpaid service is over.
    pub suspension: SuspensionRule,
    /// Days an unpaid service keeps running after its paid time before the suspension rule
    /// applies; 0 applies it on the day the paid time ends.
    pub grace_days: u32,
    /// Whether a new service renews itself automatically unless the order says otherwise.
    pub auto_prolong: bool,
}

impl ItemTypePolicy {
    /// Whether a new service renews itself: what the order asked, else the type's default.
    pub fn auto_prolong_of(&self, asked: Option<bool>) -> bool {
        asked.unwrap_or(self.auto_prolong)
    }
}

/// The settings staff give an item type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemTypeSettings {
    /// The human-readable name, such as "Virtual server"; trimmed, 1 to 200 characters.
    pub name: String,
    /// The lifecycle policy. Nested rather than flattened: serde's `flatten` reads through a
    /// buffer that can hold floats, which this crate bans.
    pub policy: ItemTypePolicy,
}

/// What can be asked of an item type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ItemTypeCommand {
    /// Creates the type or replaces its settings. The same settings record nothing.
    DefineItemType {
        /// The code, which is also the stream's id.
        code: ItemType,
        /// The settings.
        settings: ItemTypeSettings,
    },
}

/// What has happened to an item type. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ItemTypeEvent {
    /// The type was created or its settings replaced.
    ItemTypeDefined {
        /// The code.
        code: ItemType,
        /// The settings from now on, name trimmed.
        settings: ItemTypeSettings,
    },
}

impl DomainEvent for ItemTypeEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ItemTypeDefined { .. } => "ItemTypeDefined".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// Why an item type command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemTypeError {
    /// The code is not 1 to 32 characters of `a-z`, `0-9` and `_`.
    #[error("invalid item type code {0:?}: 1 to 32 characters of a-z, 0-9 and _")]
    InvalidCode(String),
    /// The name is empty or too long.
    #[error("the name must be 1 to 200 characters")]
    InvalidName,
    /// A number of days is above the limit.
    #[error("{field} must be at most 3650 days, not {days}")]
    TooManyDays {
        /// The field.
        field: &'static str,
        /// The days given.
        days: u32,
    },
    /// The command names another code than the stream's.
    #[error("the command's code is not the item type's")]
    OtherCode,
    /// The code is neither built in nor defined.
    #[error("unknown item type {0:?}")]
    Unknown(String),
}

impl ItemTypeError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ItemTypeError::InvalidCode(_) => "invalid_item_type",
            ItemTypeError::InvalidName => "invalid_item_type_name",
            ItemTypeError::TooManyDays { .. } => "invalid_item_type_days",
            ItemTypeError::OtherCode => "item_type_code_mismatch",
            ItemTypeError::Unknown(_) => "unknown_item_type",
        }
    }
}

/// The state of one item type: its settings once defined.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemTypeDefinition {
    code: Option<ItemType>,
    settings: Option<ItemTypeSettings>,
}

impl ItemTypeDefinition {
    /// The settings staff gave the type, if they did.
    pub fn settings(&self) -> Option<&ItemTypeSettings> {
        self.settings.as_ref()
    }

    /// The settings in effect for `code` (this stream's): staff's, else the built-in ones;
    /// `Unknown` for a code neither defined nor built in.
    pub fn settings_of(&self, code: ItemType) -> Result<ItemTypeSettings, ItemTypeError> {
        match (&self.settings, code.built_in_policy()) {
            (Some(settings), _) => Ok(settings.clone()),
            (None, Some(policy)) => Ok(ItemTypeSettings {
                name: code.built_in_name().unwrap_or(code.as_str()).to_string(),
                policy,
            }),
            (None, None) => Err(ItemTypeError::Unknown(code.as_str().to_string())),
        }
    }

    /// The policy in effect for `code`; `Unknown` for a code neither defined nor built in. A
    /// tariff may only sell a type this answers.
    pub fn policy_of(&self, code: ItemType) -> Result<ItemTypePolicy, ItemTypeError> {
        self.settings_of(code).map(|settings| settings.policy)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ItemTypeCommand) -> Result<Vec<ItemTypeEvent>, ItemTypeError> {
        match command {
            ItemTypeCommand::DefineItemType { code, settings } => self.define(code, settings),
        }
    }

    /// Decides [`ItemTypeCommand::DefineItemType`].
    fn define(
        &self,
        code: ItemType,
        settings: ItemTypeSettings,
    ) -> Result<Vec<ItemTypeEvent>, ItemTypeError> {
        if self.code.is_some_and(|own| own != code) {
            return Err(ItemTypeError::OtherCode);
        }
        let name = text::trimmed_within(&settings.name, ITEM_TYPE_NAME_CHARS_MAX)
            .ok_or(ItemTypeError::InvalidName)?
            .to_string();
        let policy = settings.policy;
        for (field, days) in [
            ("deletion_delay_days", policy.deletion_delay_days),
            ("grace_days", policy.grace_days),
        ] {
            if days > POLICY_DAYS_MAX {
                return Err(ItemTypeError::TooManyDays { field, days });
            }
        }
        let settings = ItemTypeSettings { name, policy };
        if self.settings.as_ref() == Some(&settings) {
            return Ok(vec![]);
        }
        Ok(vec![ItemTypeEvent::ItemTypeDefined { code, settings }])
    }
}

impl Aggregate for ItemTypeDefinition {
    const TYPE: &'static str = "ItemType";
    type Command = ItemTypeCommand;
    type Event = ItemTypeEvent;
    type Error = ItemTypeError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ItemTypeCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ItemTypeError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ItemTypeEvent) {
        match event {
            ItemTypeEvent::ItemTypeDefined { code, settings } => {
                self.code = Some(code);
                self.settings = Some(settings);
            }
        }
    }
}
