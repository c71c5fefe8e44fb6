//! Merging clients: one or more source clients merged into a target client of the same provider
//! (docs/adr/0006-merging-accounts.md). Starting the merge is the use case; the merging process
//! (`process::merging`) moves the services, payers and balances step by step.

use domain::client::Client;
use domain::ids::{AccountId, ClientId, MergeId, ProviderId};
use domain::merge::{MERGE_SOURCES_MAX, Merge, MergeCommand, MergeSource};
use domain::money::Currency;
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
    let (provider_id, currency) = crate::usecases::clients::active(core, input.target_id).await?;
    let merge_id = MergeId::from_uuid(input.merge_id);
    // Sources are loaded only as many as a merge may have: `plan` refuses more.
    let mut sources = Vec::with_capacity(input.sources.len());
    if input.sources.len() <= MERGE_SOURCES_MAX {
        for source_id in &input.sources {
            let source = core
                .store
                .load::<Client>(&source_id.to_string())
                .await?
                .aggregate;
            sources.push((*source_id, source));
        }
    }
    let command = plan(
        &input,
        merge_id,
        provider_id,
        currency,
        &sources,
        core.today(),
    )?;
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

// TODO(lead): domain::merge — replace `plan` with the domain's pure function that builds the
// StartMerge command from the loaded target and sources.
/// The merge's preconditions, checked on the loaded sources, and the command that starts it.
fn plan(
    input: &MergeInput,
    merge_id: MergeId,
    provider_id: ProviderId,
    currency: Currency,
    loaded: &[(Uuid, Client)],
    today: chrono::NaiveDate,
) -> Result<MergeCommand, Error> {
    if input.sources.is_empty() {
        return Err(Error::refused(
            "no_sources",
            "sources: at least one source client is needed",
        ));
    }
    if input.sources.len() > MERGE_SOURCES_MAX {
        return Err(Error::refused(
            "too_many_sources",
            format!("sources: at most {MERGE_SOURCES_MAX} source clients"),
        ));
    }
    if input.sources.contains(&input.target_id) {
        return Err(Error::refused(
            "target_in_sources",
            "sources: the target cannot be merged into itself",
        ));
    }
    let mut sources = Vec::with_capacity(loaded.len());
    for (source_id, source) in loaded {
        let (Some(source_provider), Some(source_currency)) =
            (source.provider_id(), source.currency())
        else {
            return Err(Error::refused(
                "source_not_found",
                format!("sources: no client {source_id}"),
            ));
        };
        if source_provider != provider_id {
            return Err(Error::refused(
                "source_of_another_provider",
                format!("sources: client {source_id} belongs to another provider"),
            ));
        }
        match source.merged_into() {
            // Merged by this very merge: a repeated request.
            Some((merged_by, _)) if merged_by == merge_id => {}
            Some((merged_by, into)) => {
                return Err(Error::refused(
                    "client_merged",
                    format!(
                        "sources: client {source_id} was merged into client {into} by merge {merged_by}"
                    ),
                ));
            }
            None if source.is_deleted() => {
                return Err(Error::refused(
                    "client_deleted",
                    format!("sources: client {source_id} is deleted"),
                ));
            }
            None => {}
        }
        let client_id = ClientId::from_uuid(*source_id);
        sources.push(MergeSource {
            client_id,
            account_id: AccountId::of(client_id, source_provider, source_currency),
        });
    }
    let target = ClientId::from_uuid(input.target_id);
    Ok(MergeCommand::StartMerge {
        merge_id,
        provider_id,
        target,
        target_account: AccountId::of(target, provider_id, currency),
        sources,
        started_on: today,
    })
}
