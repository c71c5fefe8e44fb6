use crate::money::{Currency, MoneyError};
use crate::period::BillingPeriod;

/// Why a tariff command was refused, a tariff field was rejected, or an order could not be
/// priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    /// A metered parameter breaks its rules.
    #[error(transparent)]
    Metered(#[from] crate::usage::UsageError),
    /// A price per hour breaks its rules.
    #[error(transparent)]
    Hourly(#[from] crate::hourly::HourlyError),
    /// Two prices per hour in one currency.
    #[error("more than one price per hour in {0}")]
    DuplicateHourlyPrice(Currency),
    /// A price per hour in a currency the tariff has no period price in: nothing could be
    /// ordered in it.
    #[error("a price per hour in {0}, which the tariff has no period price in")]
    HourlyCurrencyNotPriced(Currency),
    /// Hourly billing for an item type that is not run by the hour (a domain is registered
    /// for whole years).
    #[error("a {0} is not billed by the hour")]
    NotHourly(crate::item_type::ItemType),
    /// The tariff has already been created.
    #[error("tariff already exists")]
    AlreadyCreated,
    /// The tariff has not been created.
    #[error("tariff not found")]
    NotCreated,
    /// The tariff is archived: it cannot be changed or sold any more.
    #[error("tariff is archived")]
    Archived,
    /// The name is empty after trimming, longer than 200 characters or holds control characters.
    #[error("tariff name must be 1 to 200 characters without control characters")]
    InvalidName,
    /// A tariff was created without any price.
    #[error("a tariff needs at least one price")]
    NoPrices,
    /// A price or setup fee is below zero (zero is allowed: free plans exist).
    #[error("prices must not be negative")]
    NegativePrice,
    /// Two prices were given for the same period and currency.
    #[error("more than one price for {period} in {currency}")]
    DuplicatePrice {
        /// The period priced twice.
        period: BillingPeriod,
        /// The currency priced twice.
        currency: Currency,
    },
    /// Two add-ons (or two selections of an order) have the same code.
    #[error("add-on {0:?} appears more than once")]
    DuplicateAddon(String),
    /// The add-on with this code (or this code itself) is malformed: an empty name or unit, a
    /// quantity range with min > max or max > 100000, a choice without options or with repeated
    /// option codes, an add-on or option without prices, a repeated (period, currency) in its
    /// prices, or a negative price.
    #[error("invalid add-on {0:?}")]
    InvalidAddon(String),
    /// The tariff has no base price for this period and currency.
    #[error("the tariff is not offered for {period} in {currency}")]
    PeriodNotOffered {
        /// The period that was asked for.
        period: BillingPeriod,
        /// The currency that was asked for.
        currency: Currency,
    },
    /// The order selects an add-on the tariff does not have.
    #[error("unknown add-on {0:?}")]
    UnknownAddon(String),
    /// The order asks for a quantity outside the add-on's range.
    #[error("add-on {code:?} takes {min} to {max}, not {value}")]
    AddonOutOfRange {
        /// The add-on's code.
        code: String,
        /// The smallest quantity allowed.
        min: u32,
        /// The largest quantity allowed.
        max: u32,
        /// The quantity asked for.
        value: u32,
    },
    /// The order picks an option the choice add-on does not have.
    #[error("add-on {code:?} has no option {option:?}")]
    UnknownChoice {
        /// The add-on's code.
        code: String,
        /// The option asked for.
        option: String,
    },
    /// The order gives a value of the wrong kind (a number for a toggle, say).
    #[error("wrong kind of value for add-on {0:?}")]
    AddonValueMismatch(String),
    /// The add-on (or the chosen option) has no price for this period and currency.
    #[error("add-on {code:?} has no price for {period} in {currency}")]
    AddonNotPriced {
        /// The add-on's code.
        code: String,
        /// The period that was asked for.
        period: BillingPeriod,
        /// The currency that was asked for.
        currency: Currency,
    },
    /// Two setup fees were given in the same currency.
    #[error("more than one setup fee in {0}")]
    DuplicateSetupFee(Currency),
    /// A price change takes effect sooner than [`super::PRICE_CHANGE_NOTICE_DAYS`] after it is
    /// announced: clients must be told in advance.
    #[error(
        "a price change must take effect at least 30 days after it is announced: {earliest} or later, not {effective_on}"
    )]
    PriceChangeTooSoon {
        /// The day asked for.
        effective_on: chrono::NaiveDate,
        /// The first day allowed.
        earliest: chrono::NaiveDate,
    },
    /// A price change asks for the price there already is.
    #[error("the price for {period} in {currency} is already that")]
    PriceUnchanged {
        /// The period.
        period: BillingPeriod,
        /// The currency.
        currency: Currency,
    },
    /// A trial was not 1 to 366 days or 1 to 12 months long.
    #[error("trial: must be 1 to 366 days or a period of 1 to 12 months")]
    InvalidTrial,
    /// A free trial and prices by the hour on one tariff: the hours of a trial would be billed
    /// (hourly billing charges every hour the service runs), so the two do not go together.
    #[error(
        "trial: a tariff sold by the hour has no free trial; switch off its hourly prices or its trial first"
    )]
    TrialOfHourlyTariff,
    /// Money arithmetic failed, such as a price leaving the representable range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl TariffError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            TariffError::Metered(error) => error.code(),
            TariffError::Hourly(error) => error.code(),
            TariffError::DuplicateHourlyPrice(_) => "duplicate_hourly_price",
            TariffError::HourlyCurrencyNotPriced(_) => "hourly_currency_not_priced",
            TariffError::NotHourly(_) => "not_billed_by_the_hour",
            TariffError::AlreadyCreated => "tariff_exists",
            TariffError::NotCreated => "tariff_not_found",
            TariffError::Archived => "tariff_archived",
            TariffError::InvalidName => "invalid_name",
            TariffError::NoPrices => "no_prices",
            TariffError::NegativePrice => "negative_price",
            TariffError::DuplicatePrice { .. } => "duplicate_price",
            TariffError::DuplicateAddon(_) => "duplicate_addon",
            TariffError::InvalidAddon(_) => "invalid_addon",
            TariffError::PeriodNotOffered { .. } => "period_not_offered",
            TariffError::UnknownAddon(_) => "unknown_addon",
            TariffError::AddonOutOfRange { .. } => "addon_out_of_range",
            TariffError::UnknownChoice { .. } => "unknown_choice",
            TariffError::AddonValueMismatch(_) => "addon_value_mismatch",
            TariffError::AddonNotPriced { .. } => "addon_not_priced",
            TariffError::DuplicateSetupFee(_) => "duplicate_setup_fee",
            TariffError::PriceChangeTooSoon { .. } => "price_change_too_soon",
            TariffError::PriceUnchanged { .. } => "price_unchanged",
            TariffError::InvalidTrial => "invalid_trial",
            TariffError::TrialOfHourlyTariff => "trial_of_hourly_tariff",
            TariffError::Money(error) => error.code(),
        }
    }
}
