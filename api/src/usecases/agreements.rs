//! Agreements (offers, issue 20.2): staff publish the text a client accepts when ordering, per
//! tariff or per item type of a provider, each publication a new version (`domain::agreement`).
//! An order must accept the current version of the agreement covering it: the order's use case
//! asks [`covering`] and the `Service` decides (`Service::accepted_agreement`).

use domain::agreement::{
    Agreement, AgreementCommand, AgreementScope, AgreementText, AgreementVersion,
    PublishedAgreement,
};
use domain::ids::{AgreementId, ProviderId, TariffId};
use domain::item_type::ItemType;
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// Publishes the next version of the agreement of `scope` at `provider_id` (the first creates
/// it): the provider must exist, a tariff must be the provider's, an item type must be known.
/// The same texts as the current version record nothing. Returns the agreement's id.
pub async fn publish(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    provider_id: Uuid,
    scope: AgreementScope,
    texts: Vec<AgreementText>,
) -> Result<(AgreementId, Committed<Agreement>), Error> {
    crate::usecases::providers::named(core, provider_id).await?;
    let provider = ProviderId::from_uuid(provider_id);
    match scope {
        AgreementScope::Tariff { tariff_id } => {
            let tariff = crate::usecases::catalog::tariff(core, tariff_id.as_uuid()).await?;
            if tariff.provider_id() != Some(provider) {
                return Err(Error::not_found(
                    "tariff_not_found",
                    format!("tariff_id: the provider has no tariff {tariff_id}"),
                ));
            }
        }
        AgreementScope::ItemType { item_type } => {
            crate::usecases::item_types::settings_of(core, item_type).await?;
        }
    }
    let when = core.time_of(provider).await?;
    let context = &when.stamp(context);
    let agreement_id = scope.agreement_id(provider);
    let committed = core
        .store
        .execute::<Agreement>(
            &agreement_id.to_string(),
            AgreementCommand::PublishAgreement {
                agreement_id,
                provider_id: provider,
                scope,
                texts,
                published_on: when.today(),
            },
            context,
            key.as_slice(),
        )
        .await?;
    Ok((agreement_id, committed))
}

/// The agreement `id` as its aggregate says now (its current version and texts); `None` when
/// nothing was published under it.
pub async fn current(core: &Core, id: Uuid) -> Result<Option<PublishedAgreement>, Error> {
    let agreement = core
        .store
        .load::<Agreement>(&id.to_string())
        .await?
        .aggregate;
    Ok(agreement.published().cloned())
}

/// The agreement covering an order of `tariff` (of `item_type`) at `provider`: the tariff's if
/// one is published, else the item type's; `None` when neither is.
pub async fn covering(
    core: &Core,
    provider: ProviderId,
    tariff: TariffId,
    item_type: ItemType,
) -> Result<Option<PublishedAgreement>, Error> {
    for id in [
        AgreementId::of_tariff(tariff),
        AgreementId::of_item_type(provider, item_type.as_str()),
    ] {
        if let Some(published) = current(core, id.as_uuid()).await? {
            return Ok(Some(published));
        }
    }
    Ok(None)
}

/// The version an order of `tariff` must accept now, if an agreement covers it.
pub async fn required(
    core: &Core,
    provider: ProviderId,
    tariff: TariffId,
    item_type: ItemType,
) -> Result<Option<AgreementVersion>, Error> {
    Ok(covering(core, provider, tariff, item_type)
        .await?
        .map(|published| AgreementVersion {
            agreement_id: published.agreement_id,
            version: published.version,
        }))
}
