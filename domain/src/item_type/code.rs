//! The code of an item type: a machine name such as `vds`, kept inline so that it stays `Copy`
//! like the enum it replaced, and the built-in types with their policies.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ItemTypeError, ItemTypePolicy, SuspensionRule};

/// The longest item type code, in bytes (all of them ASCII).
pub const ITEM_TYPE_CODE_CHARS_MAX: usize = 32;

/// What kind of thing a tariff sells: 1 to 32 characters of `a-z`, `0-9` and `_`.
///
/// Seven types are built in (the constants, with the names the enum this replaced serialized
/// as, so stored events decode to the same values); staff define more with
/// `ItemTypeCommand::DefineItemType`. The code alone says nothing about policy: that is the
/// `ItemTypeDefinition`'s.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemType {
    len: usize,
    bytes: [u8; ITEM_TYPE_CODE_CHARS_MAX],
}

#[expect(
    non_upper_case_globals,
    reason = "the built-in types keep the names of the enum variants they were, so callers read the same"
)]
impl ItemType {
    /// A domain name registration.
    pub const Domain: ItemType = ItemType::built_in("domain");
    /// A shared web hosting plan.
    pub const SharedHosting: ItemType = ItemType::built_in("shared_hosting");
    /// A virtual dedicated server.
    pub const Vds: ItemType = ItemType::built_in("vds");
    /// A physical server.
    pub const DedicatedServer: ItemType = ItemType::built_in("dedicated_server");
    /// A TLS certificate.
    pub const SslCertificate: ItemType = ItemType::built_in("ssl_certificate");
    /// DNS hosting for a zone.
    pub const DnsHosting: ItemType = ItemType::built_in("dns_hosting");
    /// Anything else.
    pub const Other: ItemType = ItemType::built_in("other");

    /// The built-in types, in the order the enum listed them.
    pub const BUILT_IN: [ItemType; 7] = [
        ItemType::Domain,
        ItemType::SharedHosting,
        ItemType::Vds,
        ItemType::DedicatedServer,
        ItemType::SslCertificate,
        ItemType::DnsHosting,
        ItemType::Other,
    ];

    /// A code known to be valid, at compile time.
    const fn built_in(code: &str) -> ItemType {
        let source = code.as_bytes();
        let mut bytes = [0; ITEM_TYPE_CODE_CHARS_MAX];
        let mut at = 0;
        while at < source.len() {
            bytes[at] = source[at];
            at += 1;
        }
        ItemType {
            len: source.len(),
            bytes,
        }
    }

    /// Checks `code` without trimming or lowercasing it.
    pub fn parse(code: &str) -> Result<ItemType, ItemTypeError> {
        let allowed = |byte: u8| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_';
        if !(1..=ITEM_TYPE_CODE_CHARS_MAX).contains(&code.len()) || !code.bytes().all(allowed) {
            return Err(ItemTypeError::InvalidCode(code.to_string()));
        }
        let mut bytes = [0; ITEM_TYPE_CODE_CHARS_MAX];
        for (to, from) in bytes.iter_mut().zip(code.bytes()) {
            *to = from;
        }
        Ok(ItemType {
            len: code.len(),
            bytes,
        })
    }

    /// The code, as serialized.
    pub fn as_str(&self) -> &str {
        self.bytes
            .get(..self.len)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    /// Whether the type is one of the seven built in.
    pub fn is_built_in(self) -> bool {
        ItemType::BUILT_IN.contains(&self)
    }

    /// The English name of a built-in type.
    pub fn built_in_name(self) -> Option<&'static str> {
        Some(match self {
            ItemType::Domain => "Domain",
            ItemType::SharedHosting => "Shared hosting",
            ItemType::Vds => "VDS",
            ItemType::DedicatedServer => "Dedicated server",
            ItemType::SslCertificate => "SSL certificate",
            ItemType::DnsHosting => "DNS hosting",
            ItemType::Other => "Other",
            _ => return None,
        })
    }

    /// The policy of a built-in type until staff define it: suspended on the day its paid time
    /// ends, renewed automatically, and deleted after [`ItemType::deletion_delay_days`].
    pub fn built_in_policy(self) -> Option<ItemTypePolicy> {
        self.is_built_in().then(|| ItemTypePolicy {
            deletion_delay_days: self.deletion_delay_days(),
            suspension: SuspensionRule::Suspend,
            grace_days: 0,
            auto_prolong: true,
        })
    }

    /// Days a service suspended for non-payment waits before it is deleted, as built in; a
    /// type staff made up has 14 until they say otherwise.
    ///
    /// Servers hold hardware the provider wants back soon; a domain or a certificate lapses
    /// expensively for the client, so those wait longest.
    pub fn deletion_delay_days(self) -> u32 {
        match self {
            ItemType::Domain | ItemType::SslCertificate => 30,
            ItemType::Vds | ItemType::DedicatedServer => 7,
            _ => 14,
        }
    }
}

impl fmt::Display for ItemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ItemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemType({:?})", self.as_str())
    }
}

impl Serialize for ItemType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ItemType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ItemType, D::Error> {
        let code = String::deserialize(deserializer)?;
        ItemType::parse(&code).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for ItemType {
    type Err = ItemTypeError;

    fn from_str(code: &str) -> Result<ItemType, ItemTypeError> {
        ItemType::parse(code)
    }
}
