//! Identifier newtypes, so that a client id can never be passed where a provider id is expected.
//!
//! Ids are chosen by the caller and arrive in commands; the domain never generates a random one.
//! The one exception is [`AccountId::of`], which is derived deterministically from what it names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Currency;

/// Defines a `Uuid` newtype with the conversions and traits every id shares.
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID chosen by the caller.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            /// Formats the id as a hyphenated lowercase UUID.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, uuid::Error> {
                Uuid::parse_str(text).map(Self)
            }
        }
    };
}

uuid_id!(
    /// Identifies a hosting provider, the tenant that bills its clients.
    ProviderId
);
uuid_id!(
    /// Identifies a client of a provider.
    ClientId
);
uuid_id!(
    /// Identifies a client's personal account at a provider in one currency; see
    /// [`AccountId::of`].
    AccountId
);
uuid_id!(
    /// Identifies a payment; chosen by the caller so that a retried payment can be recognised.
    PaymentId
);
uuid_id!(
    /// Identifies a balance adjustment; chosen by the caller so that a retry can be recognised.
    AdjustmentId
);

/// The UUID v5 namespace of personal account ids. It must never change: every stored account id
/// was derived from it.
const ACCOUNT_NAMESPACE: Uuid = Uuid::from_u128(0x5b1c_0d7e_4f3a_4c8e_9a62_7e0f_b3d4_a915);

impl AccountId {
    /// The id of `client`'s personal account at `provider` in `currency`.
    ///
    /// It is a UUID v5 over `"{client}/{provider}/{currency code}"`, so every layer (API, event
    /// store, projections) can find a client's account without a lookup, and there is exactly one
    /// personal account per (client, provider, currency).
    pub fn of(client: ClientId, provider: ProviderId, currency: Currency) -> AccountId {
        let name = format!("{client}/{provider}/{}", currency.code());
        AccountId(Uuid::new_v5(&ACCOUNT_NAMESPACE, name.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientId {
        ClientId::from_uuid(Uuid::from_u128(1))
    }

    fn provider() -> ProviderId {
        ProviderId::from_uuid(Uuid::from_u128(2))
    }

    #[test]
    fn an_id_displays_as_a_hyphenated_lowercase_uuid() {
        let id = ClientId::from_uuid(Uuid::from_u128(0xABCD));
        assert_eq!(id.to_string(), "00000000-0000-0000-0000-00000000abcd");
    }

    #[test]
    fn an_id_parses_from_its_display_form() {
        let id = PaymentId::from_uuid(Uuid::from_u128(0xFEED));
        assert_eq!(id.to_string().parse::<PaymentId>().unwrap(), id);
        assert!("not-a-uuid".parse::<PaymentId>().is_err());
    }

    #[test]
    fn an_id_serializes_as_a_bare_uuid_string() {
        let id = AdjustmentId::from_uuid(Uuid::from_u128(7));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""00000000-0000-0000-0000-000000000007""#);
        assert_eq!(serde_json::from_str::<AdjustmentId>(&json).unwrap(), id);
    }

    #[test]
    fn an_account_id_is_deterministic() {
        let first = AccountId::of(client(), provider(), Currency::EUR);
        let second = AccountId::of(client(), provider(), Currency::EUR);
        assert_eq!(first, second);
        assert_eq!(first.as_uuid().get_version_num(), 5);
    }

    #[test]
    fn an_account_id_is_pinned_to_its_namespace_and_name() {
        // Changing the namespace or the name format would orphan every stored account.
        let name = "00000000-0000-0000-0000-000000000001/00000000-0000-0000-0000-000000000002/EUR";
        let expected = Uuid::new_v5(&ACCOUNT_NAMESPACE, name.as_bytes());
        assert_eq!(
            AccountId::of(client(), provider(), Currency::EUR).as_uuid(),
            expected
        );
        assert_eq!(
            ACCOUNT_NAMESPACE.to_string(),
            "5b1c0d7e-4f3a-4c8e-9a62-7e0fb3d4a915"
        );
    }

    #[test]
    fn each_currency_has_its_own_account() {
        assert_ne!(
            AccountId::of(client(), provider(), Currency::EUR),
            AccountId::of(client(), provider(), Currency::USD)
        );
    }

    #[test]
    fn each_client_and_provider_pair_has_its_own_account() {
        let other_client = ClientId::from_uuid(Uuid::from_u128(3));
        let other_provider = ProviderId::from_uuid(Uuid::from_u128(3));
        let account = AccountId::of(client(), provider(), Currency::EUR);
        assert_ne!(
            account,
            AccountId::of(other_client, provider(), Currency::EUR)
        );
        assert_ne!(
            account,
            AccountId::of(client(), other_provider, Currency::EUR)
        );
    }
}
