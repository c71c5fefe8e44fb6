//! Where an imported thing came from: the billing system a provider moves from (WHMCS,
//! BILLmanager, …) and the thing's id there.
//!
//! An import never pretends that something happened here (no order, no payment, no charge): each
//! aggregate records an `…Imported` event carrying its state as the other system left it and its
//! [`ImportSource`]. The ids of imported things are derived from their source
//! ([`ImportSource::derived`]), so importing the same bundle again names the same aggregates,
//! which find themselves imported already and record nothing.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::text;

/// The longest source system name, in characters.
pub const SOURCE_SYSTEM_CHARS_MAX: usize = 40;

/// The longest source id, in characters.
pub const SOURCE_ID_CHARS_MAX: usize = 200;

/// The UUID v5 namespace of imported things' ids. It must never change: stored ids were derived
/// from it, and re-deriving them is how a repeated import is recognised.
const IMPORT_NAMESPACE: Uuid = Uuid::from_u128(0x3c8b_f2a1_7d64_4e09_b5c3_91e0_6a2f_d847);

/// Why an import source is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportSourceError {
    /// The system name is empty, too long, or not lowercase letters, digits, `_` and `-`.
    #[error(
        "the source system must be 1 to {SOURCE_SYSTEM_CHARS_MAX} lowercase letters, digits, '_' or '-'"
    )]
    InvalidSystem,
    /// The source id is empty, too long or holds control characters.
    #[error(
        "the source id must be 1 to {SOURCE_ID_CHARS_MAX} characters without control characters"
    )]
    InvalidId,
}

/// The system an imported thing came from and its id there, as the bundle named them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImportSource {
    /// The source system, such as `whmcs` or `billmanager`.
    pub system: String,
    /// The thing's id in the source system (its table's primary key, as text).
    pub id: String,
}

impl ImportSource {
    /// Checks a source system and id.
    pub fn parse(system: &str, id: &str) -> Result<ImportSource, ImportSourceError> {
        let system = system.trim();
        let valid_system = (1..=SOURCE_SYSTEM_CHARS_MAX).contains(&system.chars().count())
            && system
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid_system {
            return Err(ImportSourceError::InvalidSystem);
        }
        let id = text::display_name(id, SOURCE_ID_CHARS_MAX).ok_or(ImportSourceError::InvalidId)?;
        Ok(ImportSource {
            system: system.to_owned(),
            id: id.to_owned(),
        })
    }

    /// The id of the `entity` (`client`, `service`, `provider`, `tariff`, …) this source names:
    /// a UUID v5 over `"{entity}/{system}/{id}"`, the same for every import of it.
    pub fn derived(&self, entity: &str) -> Uuid {
        let name = format!("{entity}/{}/{}", self.system, self.id);
        Uuid::new_v5(&IMPORT_NAMESPACE, name.as_bytes())
    }
}

impl fmt::Display for ImportSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.system, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_derives_the_same_id_every_time_and_another_entity_another() {
        let source = ImportSource::parse("whmcs", "42").unwrap();
        assert_eq!(source.derived("client"), source.derived("client"));
        assert_ne!(source.derived("client"), source.derived("service"));
        let other = ImportSource::parse("billmanager", "42").unwrap();
        assert_ne!(source.derived("client"), other.derived("client"));
    }

    #[test]
    fn a_source_system_is_a_lowercase_word() {
        assert_eq!(
            ImportSource::parse("WHMCS", "1"),
            Err(ImportSourceError::InvalidSystem)
        );
        assert_eq!(
            ImportSource::parse("", "1"),
            Err(ImportSourceError::InvalidSystem)
        );
        assert_eq!(
            ImportSource::parse("whmcs", " "),
            Err(ImportSourceError::InvalidId)
        );
    }
}
