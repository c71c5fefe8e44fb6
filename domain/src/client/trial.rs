//! The rule of trials: a client has the trial of a tariff once.

use super::{Client, ClientError, ClientEvent};
use crate::ids::{ServiceId, TariffId};

impl Client {
    /// Decides [`super::ClientCommand::ClaimTrial`]: the first service of a tariff with a trial
    /// that a client orders claims it; the same service claiming again (a retried order) records
    /// nothing; another service of the same tariff is refused (`TrialAlreadyClaimed`) and is
    /// charged normally.
    pub(super) fn claim_trial(
        &self,
        tariff_id: TariffId,
        service_id: ServiceId,
    ) -> Result<Vec<ClientEvent>, ClientError> {
        let client_id = self.id.ok_or(ClientError::NotRegistered)?;
        self.trading(client_id)?;
        match self.trials.get(&tariff_id) {
            Some(claimed) if *claimed == service_id => Ok(vec![]),
            Some(claimed) => Err(ClientError::TrialAlreadyClaimed {
                tariff_id,
                service_id: *claimed,
            }),
            None => Ok(vec![ClientEvent::TrialClaimed {
                tariff_id,
                service_id,
            }]),
        }
    }

    /// The service that claimed the trial of `tariff_id`, if one did.
    pub fn trial_claimed(&self, tariff_id: TariffId) -> Option<ServiceId> {
        self.trials.get(&tariff_id).copied()
    }
}
