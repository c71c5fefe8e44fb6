//! Client groups ("resellers", "VIP") and the groups of a client.

use std::collections::BTreeSet;

use domain::client::{Client, ClientCommand, ClientName};
use domain::group::{ClientGroup, ClientGroupCommand};
use domain::ids::{ClientGroupId, ProviderId};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// Creates the client group `group_id` of an existing provider, idempotent by that id (another
/// request, told apart by `fingerprint`, with the same id is refused).
pub async fn create_group<R: serde::Serialize>(
    core: &Core,
    context: &CommandContext,
    group_id: Uuid,
    provider_id: Uuid,
    name: ClientName,
    fingerprint: &R,
) -> Result<Committed<ClientGroup>, Error> {
    crate::usecases::providers::named(core, provider_id).await?;
    let key = CommandKey::new(
        "client-group",
        group_id.to_string(),
        fingerprint,
        serde_json::json!({ "id": group_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    Ok(core
        .store
        .execute::<ClientGroup>(
            &group_id.to_string(),
            ClientGroupCommand::CreateClientGroup {
                group_id: ClientGroupId::from_uuid(group_id),
                provider_id: ProviderId::from_uuid(provider_id),
                name,
            },
            context,
            &[key],
        )
        .await?)
}

/// Puts an active client in exactly these groups, each a group of the client's provider.
pub async fn set_client_groups(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    group_ids: &[Uuid],
) -> Result<Committed<Client>, Error> {
    let (provider_id, _) = crate::usecases::clients::active(core, client_id).await?;
    let mut groups = BTreeSet::new();
    for group_id in group_ids {
        let group = core
            .store
            .load::<ClientGroup>(&group_id.to_string())
            .await?
            .aggregate;
        if group.provider_id() != Some(provider_id) {
            return Err(Error::refused(
                "client_group_not_found",
                format!("group_ids: the client's provider has no group {group_id}"),
            ));
        }
        groups.insert(ClientGroupId::from_uuid(*group_id));
    }
    Ok(core
        .store
        .execute::<Client>(
            &client_id.to_string(),
            ClientCommand::SetClientGroups { groups },
            context,
            &[],
        )
        .await?)
}
