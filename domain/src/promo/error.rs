use chrono::NaiveDate;

use crate::money::{Currency, MoneyError};

/// Why a promo code command was refused, a promo code field was rejected, or a discount could
/// not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromoError {
    /// The promo code has already been created.
    #[error("code: promo code already exists")]
    AlreadyCreated,
    /// The promo code has not been created.
    #[error("code: promo code not found")]
    NotFound,
    /// The promo code has been disabled.
    #[error("code: promo code is disabled")]
    Disabled,
    /// The promo code is redeemed before its first valid day.
    #[error("on: promo code is valid from {valid_from}")]
    NotYetValid {
        /// The first day the code is valid.
        valid_from: NaiveDate,
    },
    /// The promo code is redeemed after its last valid day.
    #[error("on: promo code expired after {valid_until}")]
    Expired {
        /// The last day the code was valid.
        valid_until: NaiveDate,
    },
    /// The promo code is limited to other tariffs, item types or periods; `field` names the
    /// limit that refused it (`tariff_id`, `item_type`, `period`).
    #[error("{field}: promo code does not apply")]
    NotApplicable {
        /// The redemption field the code's limits do not cover.
        field: &'static str,
    },
    /// The promo code has been redeemed as often as it may be.
    #[error("code: promo code has no uses left")]
    Exhausted,
    /// A fixed discount is in another currency than the price.
    #[error("discount: a fixed amount in {found} cannot discount a price in {expected}")]
    CurrencyMismatch {
        /// The price's currency.
        expected: Currency,
        /// The fixed discount's currency.
        found: Currency,
    },
    /// The code, as given, is not 3 to 32 characters of `A-Z`, `0-9`, `_` and `-`.
    #[error("code: {0:?} must be 3 to 32 characters of A-Z, 0-9, _ and -")]
    InvalidCode(String),
    /// A percent is not above 0 and at most 100 with at most 2 decimal places, or a fixed
    /// amount is not above zero.
    #[error(
        "discount: a percent must be above 0 and at most 100 with at most 2 decimal places, \
         a fixed amount above zero"
    )]
    InvalidDiscount,
    /// The last valid day is before the first.
    #[error("valid_until: must not be before valid_from")]
    InvalidValidity,
    /// `max_uses` was zero.
    #[error("max_uses: must be at least 1")]
    InvalidMaxUses,
    /// A limit list names an entry twice; `field` names the list.
    #[error("{field}: lists an entry more than once")]
    DuplicateLimit {
        /// The command field that holds the list.
        field: &'static str,
    },
    /// A limit list is longer than allowed; `field` names the list.
    #[error("{field}: at most {max} entries")]
    TooManyLimits {
        /// The command field that holds the list.
        field: &'static str,
        /// The most entries allowed.
        max: usize,
    },
    /// The price to discount is negative.
    #[error("price: must not be negative")]
    NegativePrice,
    /// Money arithmetic failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl PromoError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            PromoError::AlreadyCreated => "promo_code_exists",
            PromoError::NotFound => "promo_code_not_found",
            PromoError::Disabled => "promo_code_disabled",
            PromoError::NotYetValid { .. } => "promo_code_not_yet_valid",
            PromoError::Expired { .. } => "promo_code_expired",
            PromoError::NotApplicable { .. } => "promo_code_not_applicable",
            PromoError::Exhausted => "promo_code_exhausted",
            PromoError::CurrencyMismatch { .. } => "promo_currency_mismatch",
            PromoError::InvalidCode(_) => "invalid_promo_code",
            PromoError::InvalidDiscount => "invalid_discount",
            PromoError::InvalidValidity => "invalid_validity",
            PromoError::InvalidMaxUses => "invalid_max_uses",
            PromoError::DuplicateLimit { .. } => "duplicate_limit",
            PromoError::TooManyLimits { .. } => "too_many_limits",
            PromoError::NegativePrice => "negative_price",
            PromoError::Money(error) => error.code(),
        }
    }
}
