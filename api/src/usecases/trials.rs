//! Trials (issue 19.2): the tariff's trial setting, and the claim an order makes of it. The
//! rules are the aggregates': the `Tariff` holds a trial's length, the `Client` that it is had
//! once per tariff, the `Service` what a trial period is.

use domain::client::{Client, ClientCommand, ClientError};
use domain::ids::{ClientId, ServiceId, TariffId};
use domain::tariff::{Tariff, TariffCommand, Trial};
use eventstore::metadata::CommandContext;
use eventstore::{CommandError, CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// Sets (or with `None` switches off) the trial of new orders of a tariff.
pub async fn set_trial(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    tariff_id: Uuid,
    trial: Option<Trial>,
) -> Result<Committed<Tariff>, Error> {
    let tariff = core.store.load::<Tariff>(&tariff_id.to_string()).await?;
    let when = crate::usecases::clocks::of(&core.store, tariff.aggregate.provider_id()).await?;
    let context = &when.stamp(context);
    Ok(core
        .store
        .execute::<Tariff>(
            &tariff_id.to_string(),
            TariffCommand::SetTrial { trial },
            context,
            idempotency.as_slice(),
        )
        .await?)
}

/// The trial an order of `tariff_id` by `client_id` would start with now: the tariff's, unless
/// the client had it already. Nothing is written (the order quote asks it).
pub async fn offered(
    core: &Core,
    tariff_id: TariffId,
    client_id: ClientId,
) -> Result<Option<Trial>, Error> {
    let Some(trial) = trial_of(core, tariff_id).await? else {
        return Ok(None);
    };
    let client = core.store.load::<Client>(&client_id.to_string()).await?;
    Ok(client
        .aggregate
        .trial_claimed(tariff_id)
        .is_none()
        .then_some(trial))
}

/// Claims the trial of `tariff_id` for the service `service_id` being ordered: the trial it
/// starts with, or `None` when the tariff has none or the client had it for another service
/// (that order is charged normally). A retried order of the same service claims it again.
pub async fn claim(
    core: &Core,
    context: &CommandContext,
    tariff_id: TariffId,
    client_id: ClientId,
    service_id: ServiceId,
) -> Result<Option<Trial>, Error> {
    let Some(trial) = trial_of(core, tariff_id).await? else {
        return Ok(None);
    };
    let claimed = core
        .store
        .execute::<Client>(
            &client_id.to_string(),
            ClientCommand::ClaimTrial {
                tariff_id,
                service_id,
            },
            context,
            &[],
        )
        .await;
    match claimed {
        Ok(_) => Ok(Some(trial)),
        Err(CommandError::Rejected(ClientError::TrialAlreadyClaimed { .. })) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

async fn trial_of(core: &Core, tariff_id: TariffId) -> Result<Option<Trial>, Error> {
    Ok(core
        .store
        .load::<Tariff>(&tariff_id.to_string())
        .await?
        .aggregate
        .trial())
}
