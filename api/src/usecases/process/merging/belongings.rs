//! What a merged client had, moved to where the merge took it: services, payers, domain contacts
//! and domains, each by a keyed step that records nothing when done.
//!
//! A thing moves along every merge its new owner went through since (`hops`): a merge's target
//! may itself have been merged into another client before this merge's steps ran (or before the
//! process read the log again), and a thing left on a merged client would be charged to an
//! account that only forwards, or renewed with contacts nobody may change. Each hop is keyed by
//! its own merge and the thing, the key that merge's own step uses, so whichever comes first
//! moves it and the other records nothing.

use domain::client::Client;
use domain::contact::{ContactCommand, ContactEvent, DomainContact};
use domain::domains::{Domain, DomainCommand, DomainEvent};
use domain::ids::{ClientId, ContactId, DomainId, MergeId, PayerId, ServiceId};
use domain::merge::Merge;
use domain::payer::{Payer, PayerCommand};
use domain::service::{Service, ServiceError, ServiceEvent};
use eventstore::log::StoredEvent;
use eventstore::metadata::CommandContext;
use eventstore::{CommandError, EventStore};

use super::{MergeStepError, NewOwner, step_key, transfer_service};
use crate::usecases::clocks;

/// The most merges one thing is moved along at once; merges cannot form a cycle (a merged client
/// is neither a target nor a source again, and a client is never marked merged into a client
/// whose merges lead back to it, `ClientCommand::MarkMerged::then`), so this only bounds a
/// broken log.
const HOPS_MAX: usize = 100;

/// One move: the merge it is a step of, and the owner it moves to.
pub(super) type Hop = (MergeId, NewOwner);

/// The owners a thing moved by `merge_id` to `to` passes through: `to`, then, while that owner
/// was itself merged, the target of the merge that took it.
pub(super) async fn hops(
    store: &EventStore,
    merge_id: MergeId,
    to: NewOwner,
) -> Result<Vec<Hop>, MergeStepError> {
    let mut hops = vec![(merge_id, to)];
    while hops.len() < HOPS_MAX {
        let (_, last) = hops[hops.len() - 1];
        let owner = store
            .load::<Client>(&last.client.to_string())
            .await?
            .aggregate;
        let Some((next, _)) = owner.merged_into() else {
            break;
        };
        let Some(target) = target_of(store, next).await? else {
            break;
        };
        hops.push((next, target));
    }
    Ok(hops)
}

/// The target of the merge `merge_id`, once started.
async fn target_of(
    store: &EventStore,
    merge_id: MergeId,
) -> Result<Option<NewOwner>, MergeStepError> {
    let merge = store.load::<Merge>(&merge_id.to_string()).await?.aggregate;
    Ok(match (merge.target(), merge.provider_id()) {
        (Some((client, account)), Some(provider)) => Some(NewOwner {
            client,
            provider,
            account,
        }),
        _ => None,
    })
}

/// Moves a service along `hops`. A deleted service stays with its history.
pub(super) async fn move_service(
    store: &EventStore,
    service: ServiceId,
    hops: &[Hop],
    context: &CommandContext,
) -> Result<(), MergeStepError> {
    for (merge_id, to) in hops {
        let key = step_key("merge-service", *merge_id, service.as_uuid())?;
        match transfer_service(
            store,
            service,
            *to,
            Some(*merge_id),
            context,
            std::slice::from_ref(&key),
        )
        .await
        {
            Ok(_) => {}
            Err(CommandError::Rejected(ServiceError::ServiceClosed)) => return Ok(()),
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Moves a payer along `hops`.
pub(super) async fn move_payer(
    store: &EventStore,
    payer: PayerId,
    hops: &[Hop],
    context: &CommandContext,
) -> Result<(), MergeStepError> {
    for (merge_id, to) in hops {
        let key = step_key("merge-payer", *merge_id, payer.as_uuid())?;
        store
            .execute::<Payer>(
                &payer.to_string(),
                PayerCommand::TransferPayer {
                    to_client: to.client,
                    merge_id: *merge_id,
                },
                context,
                std::slice::from_ref(&key),
            )
            .await?;
    }
    Ok(())
}

/// Moves a domain contact along `hops`; a deleted one records nothing.
pub(super) async fn move_contact(
    store: &EventStore,
    contact: ContactId,
    hops: &[Hop],
    context: &CommandContext,
) -> Result<(), MergeStepError> {
    for (merge_id, to) in hops {
        let key = step_key("merge-contact", *merge_id, contact.as_uuid())?;
        store
            .execute::<DomainContact>(
                &contact.to_string(),
                ContactCommand::TransferContact {
                    to_client: to.client,
                    provider_id: to.provider,
                    merge_id: *merge_id,
                },
                context,
                std::slice::from_ref(&key),
            )
            .await?;
    }
    Ok(())
}

/// Moves a domain along `hops`, after its client's contacts, which it then sends as the new
/// owner's.
pub(super) async fn move_domain(
    store: &EventStore,
    domain: DomainId,
    hops: &[Hop],
    context: &CommandContext,
) -> Result<(), MergeStepError> {
    for (merge_id, to) in hops {
        let key = step_key("merge-domain", *merge_id, domain.as_uuid())?;
        store
            .execute::<Domain>(
                &domain.to_string(),
                DomainCommand::TransferDomain {
                    to_client: to.client,
                    provider_id: to.provider,
                    to_account: to.account,
                    merge_id: *merge_id,
                },
                context,
                std::slice::from_ref(&key),
            )
            .await?;
    }
    Ok(())
}

/// What a client created, as its first event names it.
enum Created {
    Service(ServiceId),
    Contact(ContactId),
    Domain(DomainId),
}

/// The thing `event` created and the client it was created for, for the first event of a
/// service, a domain contact or a domain.
fn created(event: &StoredEvent) -> Result<Option<(Created, ClientId)>, MergeStepError> {
    let decode = |e: serde_json::Error| MergeStepError::Refused(e.to_string());
    Ok(match event.aggregate_type.as_str() {
        "Service" => match event.decode().map_err(decode)? {
            ServiceEvent::ServiceOrdered {
                service_id,
                client_id,
                ..
            } => Some((Created::Service(service_id), client_id)),
            _ => None,
        },
        "DomainContact" => match event.decode().map_err(decode)? {
            ContactEvent::ContactCreated {
                contact_id,
                client_id,
                ..
            } => Some((Created::Contact(contact_id), client_id)),
            _ => None,
        },
        "Domain" => match event.decode().map_err(decode)? {
            DomainEvent::DomainOrdered {
                domain_id,
                client_id,
                ..
            } => Some((Created::Domain(domain_id), client_id)),
            _ => None,
        },
        _ => None,
    })
}

/// A service, domain contact or domain created for a client that a merge has marked merged (the
/// request checked the client just before the mark) moves to the merge's target like the
/// others. Only what still belongs to the merged client moves: the process reading the log again
/// from its start meets orders long since moved by staff, moved by the merge itself, or deleted.
pub(super) async fn follow_late_order(
    store: &EventStore,
    event: &StoredEvent,
    context: &CommandContext,
) -> Result<(), MergeStepError> {
    let Some((thing, client_id)) = created(event)? else {
        return Ok(());
    };
    let client = store
        .load::<Client>(&client_id.to_string())
        .await?
        .aggregate;
    let Some((merge_id, _)) = client.merged_into() else {
        return Ok(());
    };
    let owner = match &thing {
        Created::Service(id) => store
            .load::<Service>(&id.to_string())
            .await?
            .aggregate
            .client_id(),
        Created::Contact(id) => store
            .load::<DomainContact>(&id.to_string())
            .await?
            .aggregate
            .client_id(),
        Created::Domain(id) => store
            .load::<Domain>(&id.to_string())
            .await?
            .aggregate
            .client_id(),
    };
    if owner != Some(client_id) {
        return Ok(());
    }
    let Some(to) = target_of(store, merge_id).await? else {
        return Ok(());
    };
    let when = clocks::of_provider(store, to.provider).await?;
    let context = &when.stamp(context);
    let hops = hops(store, merge_id, to).await?;
    match thing {
        Created::Service(id) => move_service(store, id, &hops, context).await,
        Created::Contact(id) => move_contact(store, id, &hops, context).await,
        Created::Domain(id) => move_domain(store, id, &hops, context).await,
    }
}
