//! Providers: the hosting businesses whose money this core keeps.

use domain::ids::ProviderId;
use domain::money::Currency;
use domain::provider::{Provider, ProviderCommand};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// Creates the provider `id` keeping its accounts in `currency`.
pub async fn create_provider(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: ProviderId,
    name: String,
    currency: Currency,
) -> Result<Committed<Provider>, Error> {
    Ok(core
        .store
        .execute::<Provider>(
            &id.to_string(),
            ProviderCommand::CreateProvider {
                provider_id: id,
                name,
                currency,
            },
            context,
            idempotency.as_slice(),
        )
        .await?)
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
