//! Validated value types of a client's profile. Each one can only hold a valid value, so a
//! command or an event that carries one needs no further checks.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ClientError;
use crate::text;

/// The longest client name, in characters.
pub const CLIENT_NAME_CHARS_MAX: usize = 200;

/// The longest e-mail address, in characters (the limit that RFC 5321 paths allow in practice).
pub const EMAIL_CHARS_MAX: usize = 254;

/// A client's display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientName(String);

impl ClientName {
    /// Trims `name` and checks its length and characters.
    pub fn parse(name: &str) -> Result<ClientName, ClientError> {
        text::display_name(name, CLIENT_NAME_CHARS_MAX)
            .map(|trimmed| ClientName(trimmed.to_string()))
            .ok_or_else(|| ClientError::InvalidName(name.to_string()))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client's e-mail address, trimmed, with its domain part lowercased.
///
/// The check is deliberately shallow (one `@`, a non-empty local part, a dotted domain, no
/// whitespace or control characters): the only real proof of an address is a delivered e-mail,
/// and stricter syntax rules reject addresses that work.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Trims `email`, checks its shape and lowercases the domain part, which is
    /// case-insensitive, so that one address has one spelling.
    pub fn parse(email: &str) -> Result<Email, ClientError> {
        let invalid = || ClientError::InvalidEmail(email.to_string());
        let trimmed = email.trim();
        if trimmed.chars().count() > EMAIL_CHARS_MAX
            || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = trimmed.split_once('@').ok_or_else(invalid)?;
        let domain_is_dotted = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || domain.contains('@') || !domain_is_dotted {
            return Err(invalid());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address, with its domain part lowercased.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An officially assigned ISO 3166-1 alpha-2 country code, such as `"DE"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country(&'static str);

impl Country {
    /// Accepts exactly an uppercase officially assigned code; `"de"` and `" DE"` are rejected,
    /// so that stored events hold one spelling per country.
    pub fn parse(code: &str) -> Result<Country, ClientError> {
        COUNTRY_CODES
            .binary_search(&code)
            .ok()
            .and_then(|index| COUNTRY_CODES.get(index).copied())
            .map(Country)
            .ok_or_else(|| ClientError::InvalidCountry(code.to_string()))
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

/// What kind of legal person a client is; it decides which tax and invoice rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// A private person.
    Individual,
    /// A company or other legal entity.
    Company,
    /// A person trading under their own name.
    SoleProprietor,
}

impl ClientKind {
    /// The snake_case name, the same as the serialized form.
    pub fn as_str(&self) -> &'static str {
        match self {
            ClientKind::Individual => "individual",
            ClientKind::Company => "company",
            ClientKind::SoleProprietor => "sole_proprietor",
        }
    }
}

/// Gives a validated string type its conversions, and serde as a plain string that is parsed
/// again on the way in, so that stored or posted data cannot bypass the checks.
macro_rules! string_value {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(D::Error::custom)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ClientError;

            fn try_from(value: String) -> Result<Self, ClientError> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}

string_value!(ClientName);
string_value!(Email);
string_value!(Country);

impl fmt::Display for ClientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The officially assigned ISO 3166-1 alpha-2 codes (249 of them), sorted for binary search.
///
/// Exceptionally or transitionally reserved codes (such as UK, EU or AN) are left out: they do
/// not name a country that tax rules can refer to.
pub const COUNTRY_CODES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];
