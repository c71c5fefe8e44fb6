//! Merging clients: one or more source clients merged into a target client of the same provider
//! (docs/adr/0006-merging-accounts.md). Starting the merge is the use case; the merging process
//! (`process::merging`) moves the services, payers and balances step by step.

use domain::client::Client;
use domain::ids::{ClientId, MergeId};
use domain::merge::{Merge, MergePlan};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// A merge to start.
#[derive(Debug, Clone)]
pub struct MergeInput {
    /// The caller's id for the merge: the same request again starts nothing more.
    pub merge_id: Uuid,
    /// The client everything moves to.
    pub target_id: Uuid,
    /// The clients merged into the target.
    pub sources: Vec<Uuid>,
}

/// Starts merging the sources into the target. Idempotent by `merge_id`; `idempotency` is the
/// request's own key, answered with the merge id.
pub async fn merge_clients(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    input: MergeInput,
) -> Result<Committed<Merge>, Error> {
    // The rules are the domain's (`MergePlan`): the target and the list first, then each source
    // as loaded; only a list that passed is loaded.
    let target = load(core, input.target_id).await?;
    let plan = MergePlan::new(
        MergeId::from_uuid(input.merge_id),
        ClientId::from_uuid(input.target_id),
        &target,
        input
            .sources
            .iter()
            .copied()
            .map(ClientId::from_uuid)
            .collect(),
    )?;
    let mut sources = Vec::with_capacity(plan.source_ids().len());
    for source_id in plan.source_ids() {
        sources.push(load(core, source_id.as_uuid()).await?);
    }
    let when = crate::usecases::clocks::of(&core.store, target.provider_id()).await?;
    let context = &when.stamp(context);
    let command = plan.start(&sources, when.today())?;
    let key = CommandKey::new(
        "merge",
        input.merge_id.to_string(),
        &(input.target_id, &input.sources),
        serde_json::json!({ "id": input.merge_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(key).chain(idempotency).collect();
    Ok(core
        .store
        .execute::<Merge>(&input.merge_id.to_string(), command, context, &keys)
        .await?)
}

async fn load(core: &Core, client_id: Uuid) -> Result<Client, Error> {
    Ok(core
        .store
        .load::<Client>(&client_id.to_string())
        .await?
        .aggregate)
}
