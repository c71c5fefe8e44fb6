//! The top-level domain aggregate: what a provider charges for a domain under one TLD (`com`,
//! `ru`, `co.uk`) in one currency, per operation (register, renew, transfer) and per number of
//! years (1 to [`YEARS_MAX`]). One stream per (provider, TLD, currency), so that setting the
//! prices of `.com` in EUR never races those in USD.
//!
//! A domain's order asks the price here ([`Tld::price`]) and carries it in its command; the
//! `Domain` aggregate decides the order on it.

#[cfg(test)]
mod tests;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{ProviderId, TldId};
use crate::money::{Currency, Money};

/// The most years one registrar operation may cover (registries allow ten).
pub const YEARS_MAX: u32 = 10;

/// The most characters of a TLD (`xn--` forms of long IDN TLDs included).
const TLD_CHARS_MAX: usize = 63;

/// A top-level domain without its leading dot, lowercase: `com`, `ru`, `co.uk`, `рф`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TldName(String);

impl TldName {
    /// Parses `text` (a leading dot is dropped): one or two labels of letters, digits and dashes,
    /// not starting or ending with a dash, the last not all digits.
    pub fn parse(text: &str) -> Result<TldName, TldError> {
        let lower = text.trim().trim_start_matches('.').to_lowercase();
        let labels: Vec<&str> = lower.split('.').collect();
        let label_valid = |label: &&str| {
            !label.is_empty()
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        let valid = (1..=2).contains(&labels.len())
            && lower.chars().count() <= TLD_CHARS_MAX
            && labels.iter().all(label_valid)
            && labels
                .last()
                .is_some_and(|last| !last.chars().all(|c| c.is_ascii_digit()));
        if !valid {
            return Err(TldError::InvalidTld);
        }
        Ok(TldName(lower))
    }

    /// The TLD, without its dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TldName {
    type Error = TldError;

    fn try_from(text: String) -> Result<TldName, TldError> {
        TldName::parse(&text)
    }
}

impl From<TldName> for String {
    fn from(name: TldName) -> String {
        name.0
    }
}

/// The UUID v5 namespace of TLD price ids. It must never change: stored ids were derived from it.
const TLD_NAMESPACE: Uuid = Uuid::from_u128(0x7c41_d2a9_3e8b_4f06_b5d1_29ae_64c0_f7e3);

impl TldId {
    /// The id of the prices of `tld` at `provider` in `currency`.
    pub fn of(provider: ProviderId, tld: &TldName, currency: Currency) -> TldId {
        let name = format!("tld/{provider}/{}/{}", tld.as_str(), currency.code());
        TldId::from_uuid(Uuid::new_v5(&TLD_NAMESPACE, name.as_bytes()))
    }
}

/// What a registrar is asked to do with a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrarOperationKind {
    /// Register a free name.
    Register,
    /// Move a name registered elsewhere to this registrar.
    Transfer,
    /// Extend a registration.
    Renew,
}

impl RegistrarOperationKind {
    /// The stable name: `register`, `transfer` or `renew`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Transfer => "transfer",
            Self::Renew => "renew",
        }
    }

    /// Parses the stable name.
    pub fn parse(text: &str) -> Result<Self, TldError> {
        match text {
            "register" => Ok(Self::Register),
            "transfer" => Ok(Self::Transfer),
            "renew" => Ok(Self::Renew),
            _ => Err(TldError::InvalidOperation),
        }
    }
}

/// The prices of one number of years.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TldPrice {
    /// How many years, 1 to [`YEARS_MAX`].
    pub years: u32,
    /// The price of registering for that many years.
    pub register: Money,
    /// The price of renewing for that many years.
    pub renew: Money,
    /// The price of a transfer that adds that many years.
    pub transfer: Money,
}

impl TldPrice {
    /// The price of `kind`.
    pub fn of(&self, kind: RegistrarOperationKind) -> Money {
        match kind {
            RegistrarOperationKind::Register => self.register,
            RegistrarOperationKind::Transfer => self.transfer,
            RegistrarOperationKind::Renew => self.renew,
        }
    }
}

/// The prices of a TLD as they are now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TldPrices {
    /// The TLD.
    pub tld: TldName,
    /// The provider selling it.
    pub provider_id: ProviderId,
    /// The currency of every price.
    pub currency: Currency,
    /// One line per number of years sold, by years.
    pub prices: Vec<TldPrice>,
}

/// What can be asked of a TLD's prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TldCommand {
    /// Replaces the prices of the TLD (the first call puts it on sale). The same prices record
    /// nothing.
    SetTldPrices {
        /// The TLD.
        tld: TldName,
        /// The provider.
        provider_id: ProviderId,
        /// The currency every price must be in.
        currency: Currency,
        /// One line per number of years; at least one, no two for the same years.
        prices: Vec<TldPrice>,
    },
}

/// What has happened to a TLD's prices. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TldEvent {
    /// The TLD's prices were set (all of them, by years).
    TldPricesSet {
        /// The prices.
        prices: TldPrices,
    },
}

impl DomainEvent for TldEvent {
    fn event_type(&self) -> String {
        match self {
            Self::TldPricesSet { .. } => "TldPricesSet".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// Why a TLD command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TldError {
    /// The TLD is not one.
    #[error("tld: not a top-level domain such as com or co.uk")]
    InvalidTld,
    /// The operation is not one.
    #[error("operation: must be register, transfer or renew")]
    InvalidOperation,
    /// No price line.
    #[error("prices: give at least one line")]
    NoPrices,
    /// A number of years outside 1 to ten.
    #[error("prices.years: {years} is not between 1 and 10")]
    YearsOutOfRange {
        /// The years given.
        years: u32,
    },
    /// Two lines for the same years.
    #[error("prices.years: {years} is given twice")]
    DuplicateYears {
        /// The years given twice.
        years: u32,
    },
    /// A price in another currency than the TLD's.
    #[error("prices: every price must be in {expected}")]
    CurrencyMismatch {
        /// The TLD's currency.
        expected: Currency,
    },
    /// A negative price.
    #[error("prices: a price may not be negative")]
    NegativePrice,
    /// The stream holds another TLD's prices (an id not derived with `TldId::of`).
    #[error("these are the prices of another tld")]
    OtherTld,
    /// The TLD is not sold (no prices), or not for that many years.
    #[error("tld: .{tld} is not sold for {years} year(s) in this currency")]
    NotSold {
        /// The TLD.
        tld: String,
        /// The years asked.
        years: u32,
    },
}

impl TldError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidTld => "invalid_tld",
            Self::InvalidOperation => "invalid_operation",
            Self::NoPrices => "tld_prices_missing",
            Self::YearsOutOfRange { .. } => "years_out_of_range",
            Self::DuplicateYears { .. } => "duplicate_years",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::NegativePrice => "negative_price",
            Self::OtherTld => "other_tld",
            Self::NotSold { .. } => "tld_not_sold",
        }
    }
}

/// The prices of one TLD at one provider in one currency, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tld {
    prices: Option<TldPrices>,
}

impl Tld {
    /// The prices, once set.
    pub fn prices(&self) -> Option<&TldPrices> {
        self.prices.as_ref()
    }

    /// What `kind` for `years` years costs, or why it is not sold.
    pub fn price(
        &self,
        tld: &TldName,
        kind: RegistrarOperationKind,
        years: u32,
    ) -> Result<Money, TldError> {
        if !(1..=YEARS_MAX).contains(&years) {
            return Err(TldError::YearsOutOfRange { years });
        }
        self.prices
            .as_ref()
            .and_then(|set| set.prices.iter().find(|p| p.years == years))
            .map(|line| line.of(kind))
            .ok_or_else(|| TldError::NotSold {
                tld: tld.as_str().to_owned(),
                years,
            })
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: TldCommand) -> Result<Vec<TldEvent>, TldError> {
        let TldCommand::SetTldPrices {
            tld,
            provider_id,
            currency,
            mut prices,
        } = command;
        if let Some(set) = &self.prices
            && (set.tld != tld || set.provider_id != provider_id || set.currency != currency)
        {
            return Err(TldError::OtherTld);
        }
        if prices.is_empty() {
            return Err(TldError::NoPrices);
        }
        prices.sort_by_key(|p| p.years);
        for (i, line) in prices.iter().enumerate() {
            if !(1..=YEARS_MAX).contains(&line.years) {
                return Err(TldError::YearsOutOfRange { years: line.years });
            }
            if i > 0 && prices[i - 1].years == line.years {
                return Err(TldError::DuplicateYears { years: line.years });
            }
            for money in [line.register, line.renew, line.transfer] {
                if money.currency() != currency {
                    return Err(TldError::CurrencyMismatch { expected: currency });
                }
                if money.is_negative() {
                    return Err(TldError::NegativePrice);
                }
            }
        }
        let prices = TldPrices {
            tld,
            provider_id,
            currency,
            prices,
        };
        if self.prices.as_ref() == Some(&prices) {
            return Ok(vec![]);
        }
        Ok(vec![TldEvent::TldPricesSet { prices }])
    }
}

impl Aggregate for Tld {
    const TYPE: &'static str = "Tld";
    type Command = TldCommand;
    type Event = TldEvent;
    type Error = TldError;
    type Services = ();

    async fn handle(
        &mut self,
        command: TldCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), TldError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: TldEvent) {
        match event {
            TldEvent::TldPricesSet { prices } => self.prices = Some(prices),
        }
    }
}
