//! The use cases: one function per thing a caller can ask of the billing core, taking typed
//! input and returning a typed result or a typed error. They are the only code that runs
//! commands through [`eventstore::EventStore`]; they know nothing of HTTP.
//!
//! The process managers (`process`) live here too: cross-aggregate work driven by the log,
//! registered with the projection engine, which runs them.

pub mod access;
pub mod accounts;
pub mod affiliates;
pub mod agreements;
pub mod attachments;
pub mod billing;
pub mod catalog;
pub mod clients;
pub mod clocks;
pub mod companies;
pub mod contracts;
pub mod currencies;
pub mod discounts;
pub mod domain_contacts;
pub mod domains;
pub mod error;
pub mod gateways;
pub mod groups;
pub mod imports;
pub mod invoices;
pub mod item_types;
pub mod merges;
pub mod messages;
pub mod modules;
pub mod notices;
pub mod operations;
pub mod payers;
pub mod payments;
pub mod process;
pub mod promises;
pub mod provider_clocks;
pub mod providers;
pub mod reads;
pub mod redemptions;
pub mod services;
pub mod support;
pub mod tariff_changes;
pub mod top_ups;
pub mod trials;
pub mod usage;

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventstore::EventStore;
use projections::{Progress, ReadModel};

pub use error::{Error, Kind};

/// What every use case and query runs on. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    /// The event store: the only way to change anything.
    pub store: Arc<EventStore>,
    /// The pool the read models are queried through: the primary, or within a query's scope a
    /// replica that keeps up (see [`reads`]). Anything that writes uses `store.pool()`.
    pub pool: reads::Reads,
    /// This process's projection progress, for `min_position` waits.
    pub progress: Progress,
    /// How long a query waits for its read model to reach `min_position`.
    pub query_wait: Duration,
}

impl Core {
    /// Today, by the injected clock: the date of the billing calendar commands are dated with.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now().date_naive()
    }

    /// Now, by the injected clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.store.clock().now()
    }

    /// The business time of `provider` (its clock if it is a sandbox): see [`clocks`].
    pub async fn time_of(
        &self,
        provider: domain::ids::ProviderId,
    ) -> Result<clocks::BusinessTime, Error> {
        Ok(clocks::of_provider(&self.store, provider).await?)
    }

    /// Read-your-writes: waits until every one of `read_models` has applied the event at
    /// `min_position`, or refuses after the configured bound (`projection_behind`, retry).
    pub async fn consistent(
        &self,
        read_models: &[ReadModel],
        min_position: Option<i64>,
    ) -> Result<(), Error> {
        if let Some(negative) = min_position.filter(|p| *p < 0) {
            return Err(Error::invalid(
                "invalid_query",
                format!("min_position must not be negative, not {negative}"),
            ));
        }
        let Some(position) = min_position.filter(|p| *p > 0) else {
            return Ok(());
        };
        // A position past the end of the log was never given out: waiting cannot help. The
        // primary has the whole log; a replica may not have the position yet.
        let head = eventstore::log::highest_position(self.store.pool()).await?;
        if position > head {
            return Err(Error::invalid(
                "invalid_position",
                format!("min_position {position} is past the end of the log ({head})"),
            ));
        }
        let deadline = Instant::now() + self.query_wait;
        for read_model in read_models {
            let mut reached = false;
            if self.pool.current_replica().is_some() {
                // A replica within the bound gets there within the bound; else the primary answers.
                let left = deadline.saturating_duration_since(Instant::now());
                reached = projections::engine::wait_for_position(
                    &self.pool,
                    &self.progress,
                    read_model.name(),
                    position,
                    left.min(self.pool.bound().time),
                )
                .await?;
                if !reached {
                    self.pool
                        .fall_back("the replica did not reach min_position in time");
                }
            }
            if !reached {
                let left = deadline.saturating_duration_since(Instant::now());
                reached = projections::engine::wait_for_position(
                    &self.pool,
                    &self.progress,
                    read_model.name(),
                    position,
                    left,
                )
                .await?;
            }
            if !reached {
                return Err(Error::unavailable(
                    "projection_behind",
                    format!(
                        "the {} read model has not reached position {position} yet",
                        read_model.name()
                    ),
                    1,
                ));
            }
        }
        Ok(())
    }
}
