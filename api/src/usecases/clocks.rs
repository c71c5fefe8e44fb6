//! Business time: the one place a command's date is resolved (ADR 20). A live provider's
//! commands are dated by the injected clock; a sandbox provider's by its own clock, which staff
//! move forward (`Provider::now`). Every use case and process manager that dates a command of a
//! provider, client or service asks here, and stamps the command's context with the answer so
//! that its events' `occurred_at` is that business time too (the real time stays in the
//! metadata's `recorded_at` and the log's `recorded_at` column).

use chrono::{DateTime, NaiveDate, Utc};
use domain::client::Client;
use domain::ids::{ClientId, PaymentId, ProviderId, ServiceId};
use domain::payment::Payment;
use domain::provider::Provider;
use domain::service::Service;
use eventstore::metadata::CommandContext;
use eventstore::{EventStore, StoreError};

/// The time commands of one provider are dated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessTime {
    now: DateTime<Utc>,
    sandbox: bool,
}

impl BusinessTime {
    /// Real time, for what belongs to no sandbox provider.
    pub fn real(store: &EventStore) -> Self {
        Self {
            now: store.clock().now(),
            sandbox: false,
        }
    }

    /// A sandbox provider's clock showing `now` (the billing days a clock advance runs).
    pub fn sandbox(now: DateTime<Utc>) -> Self {
        Self { now, sandbox: true }
    }

    /// The business instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The day of the billing calendar commands are dated with.
    pub fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }

    /// Whether this is a sandbox provider's clock.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox
    }

    /// `context` dated by this time: a sandbox's events carry it as `occurred_at`; a live
    /// context is left as it is (the store stamps the real time).
    pub fn stamp(&self, context: &CommandContext) -> CommandContext {
        context.dated(self.sandbox.then_some(self.now))
    }
}

/// The business time of `provider`: its clock if it is a sandbox, else real time.
pub async fn of_provider(
    store: &EventStore,
    provider: ProviderId,
) -> Result<BusinessTime, StoreError> {
    let provider = store
        .load::<Provider>(&provider.to_string())
        .await?
        .aggregate;
    Ok(match provider.clock() {
        Some(now) => BusinessTime::sandbox(now),
        None => BusinessTime::real(store),
    })
}

/// The business time of `client`'s provider (real time for a client not registered).
pub async fn of_client(store: &EventStore, client: ClientId) -> Result<BusinessTime, StoreError> {
    let client = store.load::<Client>(&client.to_string()).await?.aggregate;
    of(store, client.provider_id()).await
}

/// The business time of `service`'s provider (real time for a service not ordered).
pub async fn of_service(
    store: &EventStore,
    service: ServiceId,
) -> Result<BusinessTime, StoreError> {
    let service = store.load::<Service>(&service.to_string()).await?.aggregate;
    of(store, service.provider_id()).await
}

/// The business time of `payment`'s provider (real time for a payment never created).
pub async fn of_payment(
    store: &EventStore,
    payment: PaymentId,
) -> Result<BusinessTime, StoreError> {
    let payment = store.load::<Payment>(&payment.to_string()).await?.aggregate;
    of(store, payment.provider_id()).await
}

/// The business time of `provider`, real time for none.
pub async fn of(
    store: &EventStore,
    provider: Option<ProviderId>,
) -> Result<BusinessTime, StoreError> {
    match provider {
        Some(provider) => of_provider(store, provider).await,
        None => Ok(BusinessTime::real(store)),
    }
}
