//! Value types of tariffs and of the terms a service is sold at.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::TariffError;
use crate::ids::TariffId;
pub use crate::item_type::ItemType;
use crate::money::{Currency, Money};
use crate::period::BillingPeriod;

/// The longest add-on or option code, in bytes (all of them ASCII).
pub const ADDON_CODE_CHARS_MAX: usize = 32;

/// The price of one period in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodPrice {
    /// The period the price pays for.
    pub period: BillingPeriod,
    /// The price; its currency is the currency the price applies to.
    pub price: Money,
}

/// The code of an add-on or of a choice option, such as `ram_gb` or `ubuntu`: 1 to 32
/// characters of `a-z`, `0-9` and `_`.
///
/// Codes are what orders and stored terms refer to, so they are strict machine names; the
/// human-readable name sits beside them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AddonCode(String);

impl AddonCode {
    /// Checks `code` without trimming or lowercasing it.
    pub fn parse(code: &str) -> Result<AddonCode, TariffError> {
        let allowed = |byte: u8| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_';
        if (1..=ADDON_CODE_CHARS_MAX).contains(&code.len()) && code.bytes().all(allowed) {
            Ok(AddonCode(code.to_string()))
        } else {
            Err(TariffError::InvalidAddon(code.to_string()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AddonCode {
    type Error = TariffError;

    fn try_from(value: String) -> Result<AddonCode, TariffError> {
        AddonCode::parse(&value)
    }
}

impl From<AddonCode> for String {
    fn from(value: AddonCode) -> String {
        value.0
    }
}

impl fmt::Display for AddonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An add-on a tariff offers: extra RAM, a backup option, a choice of operating system.
///
/// JSON: `{"code":"ram_gb","name":"RAM","kind":"quantity","unit":"GB","min":1,"max":64,
/// "prices":[...]}`; the kind's fields sit beside the code and the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AddonSpecWire")]
pub struct AddonSpec {
    /// The code orders refer to; unique within the tariff.
    pub code: AddonCode,
    /// The human-readable name; trimmed, 1 to 200 characters.
    pub name: String,
    /// How the add-on is chosen and priced.
    #[serde(flatten)]
    pub kind: AddonKind,
}

/// The JSON shape of [`AddonSpec`] as it is read.
///
/// Serde's derived `flatten` reads through a buffer that can hold floats, which this crate bans
/// outright; reading the kind's fields into options and assembling the kind by hand keeps the
/// same JSON without that buffer.
#[derive(Deserialize)]
struct AddonSpecWire {
    code: AddonCode,
    name: String,
    kind: AddonKindTag,
    unit: Option<String>,
    min: Option<u32>,
    max: Option<u32>,
    prices: Option<Vec<PeriodPrice>>,
    options: Option<Vec<ChoiceOption>>,
}

/// The `kind` tag of an add-on's JSON.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum AddonKindTag {
    Quantity,
    Toggle,
    Choice,
}

impl TryFrom<AddonSpecWire> for AddonSpec {
    type Error = String;

    fn try_from(wire: AddonSpecWire) -> Result<AddonSpec, String> {
        let missing = |field: &str| format!("missing field `{field}`");
        let kind = match wire.kind {
            AddonKindTag::Quantity => AddonKind::Quantity {
                unit: wire.unit.ok_or_else(|| missing("unit"))?,
                min: wire.min.ok_or_else(|| missing("min"))?,
                max: wire.max.ok_or_else(|| missing("max"))?,
                prices: wire.prices.ok_or_else(|| missing("prices"))?,
            },
            AddonKindTag::Toggle => AddonKind::Toggle {
                prices: wire.prices.ok_or_else(|| missing("prices"))?,
            },
            AddonKindTag::Choice => AddonKind::Choice {
                options: wire.options.ok_or_else(|| missing("options"))?,
            },
        };
        Ok(AddonSpec {
            code: wire.code,
            name: wire.name,
            kind,
        })
    }
}

/// How an add-on is chosen and priced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AddonKind {
    /// A number of units (GB of RAM, IP addresses): `prices` are per unit and period.
    Quantity {
        /// The unit, such as `"GB"`; trimmed, 1 to 32 characters.
        unit: String,
        /// The smallest quantity; an order that does not mention the add-on gets this many.
        min: u32,
        /// The largest quantity, at most 100000.
        max: u32,
        /// The price of one unit for one period, per (period, currency).
        prices: Vec<PeriodPrice>,
    },
    /// An option that is on or off: `prices` apply when on.
    Toggle {
        /// The price for one period when on, per (period, currency).
        prices: Vec<PeriodPrice>,
    },
    /// One choice from a list (an OS, a location), each with its own prices.
    Choice {
        /// The options; their codes are unique within the add-on.
        options: Vec<ChoiceOption>,
    },
}

/// One option of a choice add-on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceOption {
    /// The code orders pick the option by.
    pub code: AddonCode,
    /// The human-readable name; trimmed, 1 to 200 characters.
    pub name: String,
    /// The price for one period when picked, per (period, currency).
    pub prices: Vec<PeriodPrice>,
}

/// The value an order gives an add-on. JSON: `true` / `4` / `"ubuntu"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AddonValue {
    /// On or off, for a toggle.
    Toggle(bool),
    /// A number of units, for a quantity.
    Quantity(u32),
    /// An option code, for a choice.
    Choice(String),
}

/// One add-on as an order selects it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddonSelection {
    /// The add-on's code.
    pub code: String,
    /// The value selected.
    pub value: AddonValue,
}

/// What an order asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSelection {
    /// The billing period.
    pub period: BillingPeriod,
    /// The currency to pay in.
    pub currency: Currency,
    /// The add-ons selected; each at most once.
    pub addons: Vec<AddonSelection>,
}

/// The prices a service was sold at: frozen into the order, never touched by later tariff changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTerms {
    /// The tariff the service was sold from.
    pub tariff_id: TariffId,
    /// The tariff's name at the time of the sale.
    pub tariff_name: String,
    /// What kind of thing was sold.
    pub item_type: ItemType,
    /// The billing period.
    pub period: BillingPeriod,
    /// The tariff's base price for one period.
    pub base_price: Money,
    /// The one-off fee charged with the first period; zero if none.
    pub setup_fee: Money,
    /// The priced add-on lines, in the tariff's add-on order.
    pub addons: Vec<AddonLine>,
    /// `base_price` plus every add-on line: what one period costs.
    pub price_per_period: Money,
    /// Days a service suspended for non-payment waits before it is deleted.
    pub deletion_delay_days: u32,
    /// The price per hour the service is charged for the hours it runs, each day, besides its
    /// period price (hourly billing, ADR 37); absent for a service not billed by the hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly: Option<crate::hourly::HourlyPrice>,
}

impl ServiceTerms {
    /// The currency every amount of the terms is in.
    pub fn currency(&self) -> Currency {
        self.base_price.currency()
    }

    /// The terms of a service brought over from another billing system: the tariff's name and
    /// item type with the base price and add-on lines the service had there, which may differ
    /// from the tariff's prices today (old clients often keep old prices). What one period costs
    /// is the base price plus every add-on line, all in one currency; no setup fee (it was paid
    /// there, if ever).
    pub fn imported(
        tariff_id: TariffId,
        tariff_name: String,
        item_type: ItemType,
        period: BillingPeriod,
        base_price: Money,
        addons: Vec<AddonLine>,
    ) -> Result<ServiceTerms, TariffError> {
        if base_price.is_negative() {
            return Err(TariffError::NegativePrice);
        }
        let mut price_per_period = base_price;
        for line in &addons {
            if line.price.is_negative() {
                return Err(TariffError::NegativePrice);
            }
            price_per_period = price_per_period.checked_add(line.price)?;
        }
        Ok(ServiceTerms {
            tariff_id,
            tariff_name,
            item_type,
            period,
            base_price,
            setup_fee: Money::zero(base_price.currency()),
            addons,
            price_per_period,
            deletion_delay_days: item_type.deletion_delay_days(),
            hourly: None,
        })
    }
}

/// One priced add-on of a service's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddonLine {
    /// The add-on's code.
    pub code: String,
    /// The add-on's name; for a choice, `"{add-on name}: {option name}"`.
    pub name: String,
    /// The value ordered.
    pub value: AddonValue,
    /// The line's total per period (for a quantity, the unit price × the quantity).
    pub price: Money,
}
