//! The values of a domain contact: its details as a registry asks for them, the raw input they
//! are parsed from, and the domain name and contact roles a domain service keeps.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ContactError;
use crate::client::{ClientName, Country, Email};
use crate::ids::ContactId;
use crate::text;

/// The longest organisation name, in characters.
pub const ORGANISATION_CHARS_MAX: usize = 200;
/// The longest street line, in characters.
pub const STREET_CHARS_MAX: usize = 200;
/// The longest city or region, in characters.
pub const CITY_CHARS_MAX: usize = 100;
/// The longest postal code, in characters.
pub const POSTAL_CODE_CHARS_MAX: usize = 16;
/// The longest passport number, in characters.
pub const PASSPORT_NUMBER_CHARS_MAX: usize = 64;
/// The longest passport issuer, in characters.
pub const PASSPORT_ISSUER_CHARS_MAX: usize = 200;
/// The earliest birth date taken: anything before is a typing error.
pub const BIRTH_YEAR_MIN: i32 = 1900;

/// A person or an organisation: registries ask organisations for their name and persons for
/// their identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// A private person.
    Person,
    /// A company or other legal entity.
    Organisation,
}

impl ContactKind {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Person => "person",
            ContactKind::Organisation => "organisation",
        }
    }

    /// The kind named `name` (`person` or `organisation`).
    pub fn parse(name: &str) -> Result<ContactKind, ContactError> {
        match name.trim() {
            "person" => Ok(ContactKind::Person),
            "organisation" => Ok(ContactKind::Organisation),
            _ => Err(ContactError::InvalidKind),
        }
    }
}

/// A phone number in E.164 form: `+`, a country code and the subscriber number, 8 to 15 digits
/// in all, the first not 0. Spaces, dots, dashes and brackets of the input are dropped, so that
/// one number has one spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses `text` as an E.164 number.
    pub fn parse(text: &str) -> Result<Phone, ContactError> {
        let compact: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let digits = compact
            .strip_prefix('+')
            .ok_or(ContactError::InvalidPhone)?;
        let valid = (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            return Err(ContactError::InvalidPhone);
        }
        Ok(Phone(compact))
    }

    /// The number, such as `+4312345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = ContactError;

    fn try_from(text: String) -> Result<Phone, ContactError> {
        Phone::parse(&text)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> String {
        phone.0
    }
}

/// A postal address as registries take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// The street and house; trimmed, 1 to 200 characters.
    pub street: String,
    /// The city; trimmed, 1 to 100 characters.
    pub city: String,
    /// The state or region, if the country has them; trimmed, 1 to 100 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The postal code: 1 to 16 letters, digits, spaces and dashes.
    pub postal_code: String,
    /// The ISO 3166-1 alpha-2 country.
    pub country: Country,
}

/// A person's passport, as Russian registries (.ru, .рф) ask for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passport {
    /// Series and number; trimmed, 1 to 64 characters.
    pub number: String,
    /// The authority that issued it; trimmed, 1 to 200 characters.
    pub issued_by: String,
    /// The day it was issued: after the birth date, not after the day of the command.
    pub issued_on: NaiveDate,
}

/// A contact's details, each checked: what a registry is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetails {
    /// A person or an organisation.
    pub kind: ContactKind,
    /// The person's full name, or for an organisation the name of the person who answers.
    pub name: ClientName,
    /// The organisation's name; only for an organisation, which must have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// The e-mail address.
    pub email: Email,
    /// The phone number.
    pub phone: Phone,
    /// The postal address.
    pub address: PostalAddress,
    /// A person's birth date, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    /// A person's passport, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport: Option<Passport>,
}

/// A passport as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportInput {
    /// Series and number.
    pub number: String,
    /// The authority that issued it.
    pub issued_by: String,
    /// The day of issue, `YYYY-MM-DD`.
    pub issued_on: String,
}

/// A contact's details as typed, before the contact checks them: the command carries this, so
/// that every check and every error naming a field lives in one place, the aggregate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInput {
    /// `person` or `organisation`.
    pub kind: String,
    /// The full name.
    pub name: String,
    /// The organisation's name.
    #[serde(default)]
    pub organisation: Option<String>,
    /// The e-mail address.
    pub email: String,
    /// The phone number, E.164.
    pub phone: String,
    /// The street and house.
    pub street: String,
    /// The city.
    pub city: String,
    /// The state or region.
    #[serde(default)]
    pub region: Option<String>,
    /// The postal code.
    pub postal_code: String,
    /// The ISO 3166-1 alpha-2 country.
    pub country: String,
    /// The birth date, `YYYY-MM-DD`.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// The passport.
    #[serde(default)]
    pub passport: Option<PassportInput>,
}

/// `text` trimmed, or `None` when it is absent or blank (a form's empty field).
fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

fn line(text: &str, max_chars: usize, error: ContactError) -> Result<String, ContactError> {
    text::display_name(text, max_chars)
        .map(str::to_owned)
        .ok_or(error)
}

fn date(text: &str, error: ContactError) -> Result<NaiveDate, ContactError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| error)
}

impl ContactInput {
    /// The details the input describes, checked as of the day `on`: each field's own shape,
    /// then the rules between them (an organisation has a name and no personal data; a birth
    /// date is in the past; a passport is issued after the birth and not after `on`).
    pub fn parse(&self, on: NaiveDate) -> Result<ContactDetails, ContactError> {
        let kind = ContactKind::parse(&self.kind)?;
        let name = ClientName::parse(&self.name).map_err(|_| ContactError::InvalidName)?;
        let organisation = given(self.organisation.as_deref())
            .map(|o| line(o, ORGANISATION_CHARS_MAX, ContactError::InvalidOrganisation))
            .transpose()?;
        let email = Email::parse(&self.email).map_err(|_| ContactError::InvalidEmail)?;
        let phone = Phone::parse(&self.phone)?;
        let postal_code = self.postal_code.trim();
        let postal_code_valid = (1..=POSTAL_CODE_CHARS_MAX).contains(&postal_code.chars().count())
            && postal_code
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '-');
        if !postal_code_valid {
            return Err(ContactError::InvalidPostalCode);
        }
        let address = PostalAddress {
            street: line(&self.street, STREET_CHARS_MAX, ContactError::InvalidStreet)?,
            city: line(&self.city, CITY_CHARS_MAX, ContactError::InvalidCity)?,
            region: given(self.region.as_deref())
                .map(|r| line(r, CITY_CHARS_MAX, ContactError::InvalidRegion))
                .transpose()?,
            postal_code: postal_code.to_owned(),
            country: Country::parse(self.country.trim())
                .map_err(|_| ContactError::InvalidCountry)?,
        };
        let birth_date = given(self.birth_date.as_deref())
            .map(|d| date(d, ContactError::InvalidBirthDate))
            .transpose()?;
        let passport = match &self.passport {
            Some(p) if given(Some(&p.number)).is_some() || given(Some(&p.issued_by)).is_some() => {
                Some(Passport {
                    number: line(
                        &p.number,
                        PASSPORT_NUMBER_CHARS_MAX,
                        ContactError::InvalidPassportNumber,
                    )?,
                    issued_by: line(
                        &p.issued_by,
                        PASSPORT_ISSUER_CHARS_MAX,
                        ContactError::InvalidPassportIssuer,
                    )?,
                    issued_on: date(&p.issued_on, ContactError::InvalidPassportDate)?,
                })
            }
            _ => None,
        };
        let details = ContactDetails {
            kind,
            name,
            organisation,
            email,
            phone,
            address,
            birth_date,
            passport,
        };
        details.check(on)?;
        Ok(details)
    }
}

impl ContactDetails {
    /// The rules between the fields, as of the day `on`.
    fn check(&self, on: NaiveDate) -> Result<(), ContactError> {
        match self.kind {
            ContactKind::Organisation => {
                if self.organisation.is_none() {
                    return Err(ContactError::OrganisationRequired);
                }
                if self.birth_date.is_some() || self.passport.is_some() {
                    return Err(ContactError::PersonalDataOfOrganisation);
                }
            }
            ContactKind::Person => {
                if self.organisation.is_some() {
                    return Err(ContactError::OrganisationOfPerson);
                }
            }
        }
        if let Some(birth) = self.birth_date
            && (birth >= on || chrono::Datelike::year(&birth) < BIRTH_YEAR_MIN)
        {
            return Err(ContactError::InvalidBirthDate);
        }
        if let Some(passport) = &self.passport {
            let Some(birth) = self.birth_date else {
                return Err(ContactError::PassportWithoutBirthDate);
            };
            if passport.issued_on <= birth || passport.issued_on > on {
                return Err(ContactError::InvalidPassportDate);
            }
        }
        Ok(())
    }

    /// The name a list shows: the organisation's, else the person's.
    pub fn display_name(&self) -> &str {
        self.organisation
            .as_deref()
            .unwrap_or_else(|| self.name.as_str())
    }
}

/// The longest domain name, in characters.
pub const DOMAIN_NAME_CHARS_MAX: usize = 253;
/// The longest label of a domain name, in characters.
pub const DOMAIN_LABEL_CHARS_MAX: usize = 63;

/// A domain name, such as `example.com` or `пример.рф`: lowercase, without a final dot, two or
/// more labels of letters, digits and inner hyphens, each 1 to 63 characters, 253 in all, the
/// last not all digits. Internationalised names are kept in Unicode; a registrar converts them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

impl DomainName {
    /// Parses `text` as a domain name.
    pub fn parse(text: &str) -> Result<DomainName, ContactError> {
        let lower = text.trim().trim_end_matches('.').to_lowercase();
        let labels: Vec<&str> = lower.split('.').collect();
        let label_valid = |label: &&str| {
            (1..=DOMAIN_LABEL_CHARS_MAX).contains(&label.chars().count())
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        let valid = labels.len() >= 2
            && lower.chars().count() <= DOMAIN_NAME_CHARS_MAX
            && labels.iter().all(label_valid)
            && labels
                .last()
                .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
        if !valid {
            return Err(ContactError::InvalidDomainName);
        }
        Ok(DomainName(lower))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DomainName {
    type Error = ContactError;

    fn try_from(text: String) -> Result<DomainName, ContactError> {
        DomainName::parse(&text)
    }
}

impl From<DomainName> for String {
    fn from(name: DomainName) -> String {
        name.0
    }
}

/// The contacts of a domain by role; one contact may hold several roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DomainContacts {
    /// The holder of the domain.
    pub registrant: ContactId,
    /// The administrative contact.
    pub admin: ContactId,
    /// The technical contact.
    pub tech: ContactId,
}

impl DomainContacts {
    /// The distinct contacts, in the order registrant, admin, tech.
    pub fn distinct(&self) -> Vec<ContactId> {
        let mut ids = vec![self.registrant];
        for id in [self.admin, self.tech] {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// Whether `contact` holds any role.
    pub fn holds(&self, contact: ContactId) -> bool {
        self.registrant == contact || self.admin == contact || self.tech == contact
    }
}

/// What a domain service is about: its name and its contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRegistration {
    /// The domain.
    pub domain_name: DomainName,
    /// Its contacts by role.
    pub contacts: DomainContacts,
}
