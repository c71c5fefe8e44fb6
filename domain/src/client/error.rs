use crate::ids::{ClientId, MergeId};

/// Why a client command was refused, or why a client field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The client has already been registered.
    #[error("client already exists")]
    AlreadyRegistered,
    /// A command reached a client that has not been registered (the aggregate does not know the
    /// id it was sent to; [`ClientError::NotFound`] names it).
    #[error("client not found")]
    NotRegistered,
    /// The client named by its id has not been registered.
    #[error("no client {client_id}")]
    NotFound {
        /// The id asked for.
        client_id: ClientId,
    },
    /// The client has been deleted and accepts no more changes.
    #[error("client {client_id} is deleted")]
    IsDeleted {
        /// The deleted client.
        client_id: ClientId,
    },
    /// The client was merged into another one and takes no more commands.
    #[error("client {client_id} was merged into client {into} by merge {merge_id}")]
    Merged {
        /// The merged client.
        client_id: ClientId,
        /// The merge that merged it.
        merge_id: MergeId,
        /// The client it was merged into.
        into: ClientId,
    },
    /// The client is marked as not active: it takes no new orders or payments.
    #[error("client {client_id} is not active: it takes no new orders or payments")]
    Inactive {
        /// The client marked as not active.
        client_id: ClientId,
    },
    /// `MarkMerged` reached a deleted client. A unit variant, unlike [`ClientError::IsDeleted`],
    /// because the merging process matches it to leave the source out.
    #[error("client is deleted")]
    Deleted,
    /// `MarkMerged` reached a client already merged by another merge. A unit variant, unlike
    /// [`ClientError::Merged`], because the merging process matches it to leave the source out.
    #[error("client is already merged by another merge")]
    MergedElsewhere,
    /// `MarkMerged` asked to merge a client into itself.
    #[error("a client cannot be merged into itself")]
    MergedIntoItself,
    /// The name, as given, is empty after trimming, longer than 200 characters or holds control
    /// characters.
    #[error("invalid client name {0:?}: it must be 1 to 200 characters without control characters")]
    InvalidName(String),
    /// The e-mail address, as given, is not a plausible address.
    #[error("invalid e-mail address {0:?}")]
    InvalidEmail(String),
    /// The code, as given, is not an uppercase ISO 3166-1 alpha-2 country code.
    #[error("invalid country {0:?}: expected an uppercase ISO 3166-1 alpha-2 code")]
    InvalidCountry(String),
    /// The deletion reason is empty after trimming or longer than 500 characters.
    #[error("reason must be 1 to 500 characters")]
    InvalidReason,
    /// An address was empty after trimming, longer than 500 characters, or held control
    /// characters other than line breaks.
    #[error(
        "address: must be 1 to 500 characters, without control characters other than line breaks"
    )]
    InvalidAddress,
    /// A client's own user asked to change the client's country, kind or VAT number, which
    /// decide its invoices' VAT: staff change them.
    #[error(
        "the country, kind and VAT number decide the client's taxes: ask the provider's staff to change them"
    )]
    TaxIdentityByStaffOnly,
    /// The client already had the trial of this tariff, for another service.
    #[error("the trial of tariff {tariff_id} was already used, by service {service_id}")]
    TrialAlreadyClaimed {
        /// The tariff.
        tariff_id: crate::ids::TariffId,
        /// The service that had it.
        service_id: crate::ids::ServiceId,
    },
    /// A personal discount broke a rule of discounts.
    #[error("discount: {0}")]
    InvalidDiscount(crate::discount::DiscountError),
}

impl ClientError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::AlreadyRegistered => "client_exists",
            ClientError::NotRegistered | ClientError::NotFound { .. } => "client_not_found",
            ClientError::IsDeleted { .. } | ClientError::Deleted => "client_deleted",
            ClientError::Merged { .. }
            | ClientError::MergedElsewhere
            | ClientError::MergedIntoItself => "client_merged",
            ClientError::Inactive { .. } => "client_inactive",
            ClientError::InvalidName(_) => "invalid_name",
            ClientError::InvalidEmail(_) => "invalid_email",
            ClientError::InvalidCountry(_) => "invalid_country",
            ClientError::InvalidReason => "invalid_reason",
            ClientError::InvalidAddress => "invalid_address",
            ClientError::TaxIdentityByStaffOnly => "tax_identity_by_staff_only",
            ClientError::InvalidDiscount(error) => error.code(),
            ClientError::TrialAlreadyClaimed { .. } => "trial_already_claimed",
        }
    }
}
