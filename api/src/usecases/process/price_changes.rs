//! Carries a tariff's price change to the services sold from it: on the tariff's
//! `PriceChangeAnnounced`, each open service of that tariff and period is sent
//! `SchedulePriceChange`; the service holds the rule (it keeps its price until its first period
//! starting on or after the effective day, and tells its client by a notice). The command
//! records nothing for a service already told, or of another currency, so a rerun after a
//! crash does nothing twice.
//!
//! Which services: those the `services` read model lists once it has reached the announcement's
//! position, so every service ordered before the change is found. A service ordered after it
//! was quoted the new price already.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::ids::TariffId;
use domain::service::{Service, ServiceCommand};
use domain::tariff::TariffEvent;
use eventstore::EventStore;
use eventstore::log::StoredEvent;
use eventstore::metadata::{Actor, CommandContext};
use projections::engine::Progress;
use sqlx::PgConnection;
use tokio::sync::watch;

use projections::{Projection, ProjectionError};

/// The process that tells services of their tariff's price changes.
pub struct PriceChanges {
    store: Arc<EventStore>,
    /// The worker's stop signal: a wait for the services read model is abandoned when it turns
    /// true (the step is repeated at the next start).
    stop: Option<watch::Receiver<bool>>,
}

impl PriceChanges {
    /// The process, writing through `store`.
    pub fn new(store: Arc<EventStore>) -> Self {
        Self { store, stop: None }
    }

    /// The same process, abandoning a step as soon as `stop` turns true.
    pub fn stopping_on(self, stop: watch::Receiver<bool>) -> Self {
        Self {
            stop: Some(stop),
            ..self
        }
    }

    async fn step(
        &self,
        event: &StoredEvent,
        context: &CommandContext,
    ) -> Result<(), ProjectionError> {
        let malformed = |e: &dyn std::fmt::Display| ProjectionError::Malformed(e.to_string());
        let TariffEvent::PriceChangeAnnounced {
            price,
            effective_on,
            ..
        } = event.decode::<TariffEvent>()?
        else {
            return Ok(());
        };
        let tariff_id = event
            .aggregate_id
            .parse::<TariffId>()
            .map_err(|e| malformed(&e))?;
        let ready = projections::engine::wait_for_position(
            self.store.pool(),
            &Progress::default(),
            "services",
            event.position,
            Duration::from_secs(30),
        )
        .await?;
        if !ready {
            return Err(ProjectionError::Malformed(
                "the services read model is behind; the price change will retry".to_owned(),
            ));
        }
        let services = projections::services::open_of_tariff(
            self.store.pool(),
            tariff_id.as_uuid(),
            &price.period.to_string(),
        )
        .await?;
        for service_id in services {
            self.store
                .execute::<Service>(
                    &service_id.to_string(),
                    ServiceCommand::SchedulePriceChange {
                        tariff_id,
                        period: price.period,
                        base_price: price.price,
                        effective_on,
                    },
                    context,
                    &[],
                )
                .await
                .map_err(|e| malformed(&e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Projection for PriceChanges {
    fn name(&self) -> &'static str {
        "price_change_process"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    fn runs_alone(&self) -> bool {
        true
    }

    async fn apply_batch(
        &self,
        _tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let context = CommandContext::new(Actor::System("price_changes".to_owned()));
        let announced = events
            .iter()
            .filter(|e| e.aggregate_type == "Tariff" && e.event_type == "PriceChangeAnnounced");
        for event in announced {
            let mut stop = self.stop.clone();
            tokio::select! {
                result = self.step(event, &context) => result.map_err(|e| e.at(event))?,
                () = projections::engine::stopped(stop.as_mut()) => {
                    return Err(ProjectionError::Malformed(
                        "stopping in the middle of a price change; it continues at the next start"
                            .to_owned(),
                    ));
                }
            }
        }
        Ok(())
    }
}
