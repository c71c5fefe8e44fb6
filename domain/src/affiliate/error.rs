use crate::money::{Money, MoneyError};

/// Why an affiliate program, affiliate or referral command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AffiliateError {
    /// The program already exists.
    #[error("program_id: affiliate program already exists")]
    ProgramExists,
    /// The program does not exist.
    #[error("program_id: affiliate program not found")]
    ProgramNotFound,
    /// The program is closed to new affiliates and referrals.
    #[error("program_id: affiliate program is closed")]
    ProgramClosed,
    /// The client is no affiliate of the program.
    #[error("program_id: the client has not joined this affiliate program")]
    NotAnAffiliate,
    /// The name is empty or longer than 200 characters.
    #[error("name: must be 1 to 200 characters")]
    InvalidName,
    /// The percent is not above 0 and at most 100 with at most 2 decimal places.
    #[error("percent: must be above 0 and at most 100 with at most 2 decimal places")]
    InvalidPercent,
    /// The months are not 1 to 120.
    #[error("months: must be 1 to 120, or absent for forever")]
    InvalidMonths,
    /// Item types were given for a commission on payments.
    #[error("item_types: only a commission on charges can be limited to item types")]
    ItemTypesNeedCharges,
    /// An item type is listed twice.
    #[error("item_types: lists an item type more than once")]
    DuplicateItemType,
    /// The code is not 6 to 32 characters of `A-Z` and `0-9`.
    #[error("code: {0:?} must be 6 to 32 characters of A-Z and 0-9")]
    InvalidCode(String),
    /// The affiliate has as many links as it may.
    #[error("code: an affiliate has at most {max} links")]
    TooManyLinks {
        /// The most links.
        max: usize,
    },
    /// A client tried to refer itself.
    #[error("code: a client cannot be referred by its own link")]
    SelfReferral,
    /// The client was already referred by another affiliate.
    #[error("client_id: the client was already referred")]
    AlreadyReferred,
    /// A payout of zero or less.
    #[error("amount: must be above zero")]
    InvalidAmount,
    /// A payout above what was accrued and not yet paid out.
    #[error("amount: at most {available} is accrued and not paid out")]
    ExceedsAvailable {
        /// What may be paid out.
        available: Money,
    },
    /// The affiliate asked for a payout outside the billing; only staff record those.
    #[error("destination: an affiliate may only pay out to its own account")]
    ExternalPayoutByAffiliate,
    /// The reference of an external payout is empty or longer than 200 characters.
    #[error("reference: must be 1 to 200 characters")]
    InvalidReference,
    /// The payout id was used for another payout.
    #[error("payout_id: already used for another payout")]
    PayoutIdReused,
    /// Money arithmetic failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl AffiliateError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ProgramExists => "affiliate_program_exists",
            Self::ProgramNotFound => "affiliate_program_not_found",
            Self::ProgramClosed => "affiliate_program_closed",
            Self::NotAnAffiliate => "not_an_affiliate",
            Self::InvalidName => "invalid_name",
            Self::InvalidPercent => "invalid_percent",
            Self::InvalidMonths => "invalid_months",
            Self::ItemTypesNeedCharges => "item_types_need_charges",
            Self::DuplicateItemType => "duplicate_item_type",
            Self::InvalidCode(_) => "invalid_referral_code",
            Self::TooManyLinks { .. } => "too_many_links",
            Self::SelfReferral => "self_referral",
            Self::AlreadyReferred => "already_referred",
            Self::InvalidAmount => "invalid_amount",
            Self::ExceedsAvailable { .. } => "payout_exceeds_accrued",
            Self::ExternalPayoutByAffiliate => "external_payout_by_affiliate",
            Self::InvalidReference => "invalid_reference",
            Self::PayoutIdReused => "payout_id_reused",
            Self::Money(error) => error.code(),
        }
    }
}
