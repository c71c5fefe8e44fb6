//! Arbitrary bytes decoded as JSON into every domain command and event enum and into the API
//! request bodies.
//!
//! Properties: decoding never panics, whatever the bytes. What decodes re-encodes, and the
//! re-encoding decodes to the same value: events are stored as JSON forever, so one that cannot be
//! read back would break its aggregate.

#![no_main]

use api::http::routes::{accounts, billing, clients, operations, providers, services, tariffs};
use domain::{account, client, provider, service, tariff};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fuzz_target!(|data: &[u8]| {
    // Domain commands and events: compared by value after the round trip.
    exact::<account::AccountCommand>(data);
    exact::<account::AccountEvent>(data);
    exact::<client::ClientCommand>(data);
    exact::<client::ClientEvent>(data);
    exact::<provider::ProviderCommand>(data);
    exact::<provider::ProviderEvent>(data);
    exact::<tariff::TariffCommand>(data);
    exact::<tariff::TariffEvent>(data);
    exact::<service::ServiceCommand>(data);
    exact::<service::ServiceEvent>(data);

    // API request bodies (no `PartialEq`): compared by their JSON after the round trip.
    by_json::<accounts::PostPaymentRequest>(data);
    by_json::<accounts::AdjustBalanceRequest>(data);
    by_json::<accounts::CreditLimitRequest>(data);
    by_json::<clients::RegisterClientRequest>(data);
    by_json::<clients::UpdateClientRequest>(data);
    by_json::<services::OrderServiceRequest>(data);
    by_json::<services::SuspendRequest>(data);
    by_json::<services::CloseRequest>(data);
    by_json::<services::ChangeTariffRequest>(data);
    by_json::<tariffs::CreateTariffRequest>(data);
    by_json::<tariffs::SetPriceRequest>(data);
    by_json::<providers::CreateProviderRequest>(data);
    by_json::<billing::BillingRunRequest>(data);
    by_json::<operations::FailRequest>(data);
});

fn exact<T>(data: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let json = serde_json::to_vec(&value).expect("a decoded value encodes");
    let back = serde_json::from_slice::<T>(&json).unwrap_or_else(|e| {
        panic!(
            "{} does not decode its own encoding {}: {e}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(
        back,
        value,
        "{} changed in a JSON round trip",
        std::any::type_name::<T>()
    );
}

fn by_json<T>(data: &[u8])
where
    T: DeserializeOwned + Serialize,
{
    let Ok(value) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let json = serde_json::to_value(&value).expect("a decoded request encodes");
    let back = serde_json::from_value::<T>(json.clone()).unwrap_or_else(|e| {
        panic!(
            "{} does not decode its own encoding {json}: {e}",
            std::any::type_name::<T>()
        )
    });
    let again = serde_json::to_value(&back).expect("a decoded request encodes");
    assert_eq!(
        again,
        json,
        "{} changed in a JSON round trip",
        std::any::type_name::<T>()
    );
}
