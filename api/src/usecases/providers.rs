//! Providers: the hosting businesses whose money this core keeps, live or sandbox (with a test
//! clock staff move forward, ADR 20).

use domain::ids::ProviderId;
use domain::money::Currency;
use domain::provider::{Provider, ProviderCommand};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::clocks::BusinessTime;
use crate::usecases::{Core, Error};

/// Creates the provider `id` keeping its accounts in `currency`; a `sandbox` provider starts its
/// own clock at the real time of its creation.
pub async fn create_provider(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: ProviderId,
    name: String,
    currency: Currency,
    sandbox: bool,
) -> Result<Committed<Provider>, Error> {
    Ok(core
        .store
        .execute::<Provider>(
            &id.to_string(),
            ProviderCommand::CreateProvider {
                provider_id: id,
                name,
                currency,
                sandbox,
                created_at: core.now(),
            },
            context,
            idempotency.as_slice(),
        )
        .await?)
}

/// The clock of provider `id` (`provider_not_found` for none).
pub async fn clock(core: &Core, id: Uuid) -> Result<BusinessTime, Error> {
    let provider = named(core, id)
        .await
        .map_err(|_| Error::not_found("provider_not_found", format!("no provider {id}")))?;
    Ok(match provider.clock() {
        Some(now) => BusinessTime::sandbox(now),
        None => BusinessTime::real(&core.store),
    })
}

/// The provider a request names in its `provider_id` field, which must exist
/// (`provider_not_found`).
pub async fn named(core: &Core, provider_id: Uuid) -> Result<Provider, Error> {
    let provider = core
        .store
        .load::<Provider>(&provider_id.to_string())
        .await?
        .aggregate;
    if !provider.is_created() {
        return Err(Error::refused(
            "provider_not_found",
            format!("provider_id: no provider {provider_id}"),
        ));
    }
    Ok(provider)
}
