//! `billing bench --workload billing-day`: how long the billing day takes over N active services.
//! The services are set up through the same commands as production (order, charge, activate),
//! in this process, then the billing day runs on the day they all come due.

use std::sync::Arc;
use std::time::Instant;

use crate::usecases::process::billing_day::{self, BillingDayReport};
use crate::usecases::process::settlement;
use chrono::NaiveDate;
use domain::account::{Account, AccountCommand, PaymentMethod};
use domain::client::{Client, ClientCommand, ClientKind, ClientName, Country, Email};
use domain::ids::{AccountId, ClientId, OperationId, PaymentId, ProviderId, ServiceId, TariffId};
use domain::money::{Currency, Money};
use domain::period::BillingPeriod;
use domain::provider::{Provider, ProviderCommand};
use domain::service::{Service, ServiceCommand};
use domain::tariff::{ItemType, OrderSelection, PeriodPrice, Tariff, TariffCommand};
use eventstore::EventStore;
use eventstore::metadata::{Actor, CommandContext};
use futures::StreamExt;
use projections::Progress;
use serde::Serialize;
use uuid::Uuid;

use crate::cli::demo::DemoError;

/// What the billing-day bench measured.
#[derive(Debug, Clone, Serialize)]
pub struct BillingDayBench {
    /// Active services the day ran over.
    pub services: usize,
    /// Seconds to set them up (order, charge, activate).
    pub setup_seconds: f64,
    /// Seconds the billing day took.
    pub billing_day_seconds: f64,
    /// Services per second through the billing day.
    pub services_per_second: f64,
    /// The billing day's own report.
    pub report: BillingDayReport,
}

fn refused(error: impl std::fmt::Display) -> DemoError {
    DemoError::Refused(error.to_string())
}

/// Sets up `services` monthly services ordered on 2027-01-01, 100 per client, and runs the billing
/// day of 2027-02-01 over them.
pub async fn run(
    store: Arc<EventStore>,
    progress: &Progress,
    services: usize,
    concurrency: usize,
) -> Result<BillingDayBench, DemoError> {
    let ordered_on = NaiveDate::from_ymd_opt(2027, 1, 1).ok_or_else(|| refused("date"))?;
    let due_on = NaiveDate::from_ymd_opt(2027, 2, 1).ok_or_else(|| refused("date"))?;
    let context = CommandContext::new(Actor::System("bench".to_owned()));
    let eur = Currency::parse("EUR")?;
    let started = Instant::now();
    let provider = ProviderId::from_uuid(Uuid::now_v7());
    store
        .execute::<Provider>(
            &provider.to_string(),
            ProviderCommand::CreateProvider {
                provider_id: provider,
                name: "Bench Hosting".to_owned(),
                currency: eur,
            },
            &context,
            &[],
        )
        .await?;
    let tariff_id = TariffId::from_uuid(Uuid::now_v7());
    store
        .execute::<Tariff>(
            &tariff_id.to_string(),
            TariffCommand::CreateTariff {
                tariff_id,
                provider_id: provider,
                name: "Bench VDS".to_owned(),
                item_type: ItemType::Vds,
                prices: vec![PeriodPrice {
                    period: BillingPeriod::Month,
                    price: Money::parse("10.00", eur)?,
                }],
                setup_fees: Vec::new(),
                addons: Vec::new(),
            },
            &context,
            &[],
        )
        .await?;
    let tariff = store
        .load::<Tariff>(&tariff_id.to_string())
        .await?
        .aggregate;
    let terms = tariff
        .quote(&OrderSelection {
            period: BillingPeriod::Month,
            currency: eur,
            addons: Vec::new(),
        })
        .map_err(refused)?;
    let per_client = 100;
    let clients = services.div_ceil(per_client);
    let client_ids: Vec<ClientId> = futures::stream::iter(0..clients)
        .map(|n| {
            let store = Arc::clone(&store);
            let context = context.clone();
            async move {
                let client = ClientId::from_uuid(Uuid::now_v7());
                store
                    .execute::<Client>(
                        &client.to_string(),
                        ClientCommand::RegisterClient {
                            client_id: client,
                            provider_id: provider,
                            currency: eur,
                            name: ClientName::parse(&format!("Bench Client {n}"))
                                .map_err(refused)?,
                            email: Email::parse(&format!("bench{n}@example.com"))
                                .map_err(refused)?,
                            kind: ClientKind::Company,
                            country: Country::parse("DE").map_err(refused)?,
                        },
                        &context,
                        &[],
                    )
                    .await?;
                // Enough for the first two periods of every service.
                store
                    .execute::<Account>(
                        &AccountId::of(client, provider, eur).to_string(),
                        AccountCommand::PostPayment {
                            client_id: client,
                            provider_id: provider,
                            payment_id: PaymentId::from_uuid(Uuid::now_v7()),
                            amount: Money::parse("2000.00", eur)?,
                            method: PaymentMethod::parse("bank_transfer").map_err(refused)?,
                            conversion: None,
                        },
                        &context,
                        &[],
                    )
                    .await?;
                Ok::<ClientId, DemoError>(client)
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let mut set_up = futures::stream::iter(0..services)
        .map(|n| {
            let store = Arc::clone(&store);
            let context = context.clone();
            let terms = terms.clone();
            let client = client_ids[n % clients];
            async move {
                let service = ServiceId::from_uuid(Uuid::now_v7());
                store
                    .execute::<Service>(
                        &service.to_string(),
                        ServiceCommand::OrderService {
                            service_id: service,
                            client_id: client,
                            provider_id: provider,
                            account_id: AccountId::of(client, provider, eur),
                            terms,
                            auto_prolong: true,
                            ordered_on,
                            discount: None,
                        },
                        &context,
                        &[],
                    )
                    .await?;
                settlement::charge_due(&store, service, ordered_on, &context)
                    .await
                    .map_err(refused)?;
                let operation = store
                    .load::<Service>(&service.to_string())
                    .await?
                    .aggregate
                    .operation()
                    .map(|op| op.operation_id)
                    .ok_or_else(|| refused("no activation requested"))?;
                store
                    .execute::<Service>(
                        &service.to_string(),
                        ServiceCommand::CompleteOperation {
                            operation_id: OperationId::from_uuid(operation.as_uuid()),
                        },
                        &context,
                        &[],
                    )
                    .await?;
                Ok::<(), DemoError>(())
            }
        })
        .buffer_unordered(concurrency);
    while let Some(done) = set_up.next().await {
        done?;
    }
    let setup_seconds = started.elapsed().as_secs_f64();
    let day = Instant::now();
    let report = billing_day::run(
        &store,
        store.pool(),
        progress,
        due_on,
        &context,
        concurrency,
    )
    .await
    .map_err(refused)?;
    let billing_day_seconds = day.elapsed().as_secs_f64();
    #[expect(clippy::as_conversions, reason = "a rate for people to read")]
    let services_per_second = services as f64 / billing_day_seconds.max(f64::EPSILON);
    Ok(BillingDayBench {
        services,
        setup_seconds,
        billing_day_seconds,
        services_per_second,
        report,
    })
}
