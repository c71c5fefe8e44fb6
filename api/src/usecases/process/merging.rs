//! Merging accounts (docs/adr/0006-merging-accounts.md): a `MergeStarted` is carried out as a
//! sequence of keyed steps, each idempotent, so that a crash anywhere is finished by the rerun
//! and nothing is done twice:
//!
//! 1. each source client is marked merged (`MarkMerged`: the same merge marks once), after which
//!    it refuses every command;
//! 2. each of its services moves to the target (`TransferService`, keyed by (merge, service)):
//!    from then on it is charged to the target's account, so nothing charges the source account
//!    any more;
//! 3. each of its payers moves to the target (`TransferPayer`, keyed by (merge, payer));
//! 4. each of its domain contacts moves to the target (`TransferContact`, keyed by (merge,
//!    contact)), then each of its domains (`TransferDomain`, keyed by (merge, domain)): from then
//!    on a domain's renewals charge the target's account and send contacts that are the
//!    target's own;
//! 5. its account's whole balance, a positive one or a debt, leaves it (`TransferBalanceOut`,
//!    keyed by (merge, source account); the account also remembers the merge) and arrives on
//!    the target's account (`TransferBalanceIn`, keyed likewise, with the amount the source
//!    account recorded);
//! 6. the merge is completed (`CompleteMerge`).
//!
//! Steps 2 to 4 move each thing along the merges its new owner went through since
//! (`belongings`): a target merged into another client in the meantime passes on what it gets.
//!
//! The source's account is merged from step 5 on: what reaches it later (a payment confirmed
//! late, a refund or reversal of one of its payments, a correction of one of its charges) is
//! forwarded by the account in the same decision, and this process receives it on the target's
//! account (`TransferBalanceIn` with the forward, keyed by (merge, source account, forward)).
//!
//! The process runs from the log like a projection: its checkpoint passes `MergeStarted` only
//! once every step succeeded, so a restart after a crash runs the steps again and the done ones
//! change nothing. A completed merge runs the steps added after it was completed when the
//! process runs again from the log's start (a new version of it): version 2 so moves the domain
//! contacts and domains that merges completed before them left behind, and nothing else (their
//! balances stay as those merges left them).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::account::{Account, AccountCommand};
use domain::client::{Client, ClientCommand, ClientError};
use domain::ids::{
    AccountId, ClientId, ContactId, DomainId, MergeId, PayerId, ProviderId, ServiceId,
};
use domain::merge::{Merge, MergeCommand, MergeSource};
use domain::service::{Service, ServiceCommand};
use eventstore::log::StoredEvent;
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{CommandError, CommandKey, EventStore, StoreError};
use sqlx::PgConnection;
use tokio::sync::watch;
use uuid::Uuid;

use projections::{Progress, Projection, ProjectionError};

use crate::usecases::clocks;

mod belongings;

/// Why a step of a merge failed; the step is retried.
#[derive(Debug, thiserror::Error)]
pub enum MergeStepError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A read model query failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A projection step failed.
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    /// A command was refused in a way the merge does not expect.
    #[error("merge step refused: {0}")]
    Refused(String),
}

impl<E: std::fmt::Display> From<CommandError<E>> for MergeStepError {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Store(e) => Self::Store(e),
            other => Self::Refused(other.to_string()),
        }
    }
}

impl From<MergeStepError> for ProjectionError {
    fn from(error: MergeStepError) -> Self {
        match error {
            MergeStepError::Database(e) => Self::Database(e),
            MergeStepError::Projection(e) => e,
            other => Self::Malformed(other.to_string()),
        }
    }
}

/// A step's key: `scope` and `{merge}/{subject}`, fingerprinted with the same two, so that the
/// same step of the same merge is recognised and answered from its first run.
fn step_key(scope: &str, merge: MergeId, subject: Uuid) -> Result<CommandKey, MergeStepError> {
    CommandKey::new(
        scope,
        format!("{merge}/{subject}"),
        &(merge, subject),
        serde_json::Value::Null,
    )
    .map_err(|e| MergeStepError::Refused(e.to_string()))
}

/// Waits until the read models a merge lists the source's belongings from have the event at
/// `position`, so that they know every service, payer, domain contact and domain the source
/// had when it was marked merged.
async fn read_models_at(store: &EventStore, position: i64) -> Result<(), MergeStepError> {
    for projection in ["services", "payers", "domain_contacts", "domains"] {
        let ready = projections::engine::wait_for_position(
            store.pool(),
            &Progress::default(),
            projection,
            position,
            Duration::from_secs(30),
        )
        .await?;
        if !ready {
            return Err(MergeStepError::Refused(format!(
                "the {projection} read model is behind; the merge will retry"
            )));
        }
    }
    Ok(())
}

/// Who a service or a merge's money moves to: the client, its provider and its account.
#[derive(Debug, Clone, Copy)]
pub struct NewOwner {
    /// The client.
    pub client: ClientId,
    /// Its provider.
    pub provider: ProviderId,
    /// Its personal account.
    pub account: AccountId,
}

/// Moves one service to the new owner's account, as a step of `merge` (or of no merge, for a
/// transfer staff asked for). Idempotent: keyed by (merge, service), and a service already
/// owned by the new owner records nothing. The service refuses a client of another provider
/// (`OtherProvider`).
pub async fn transfer_service(
    store: &EventStore,
    service_id: ServiceId,
    to: NewOwner,
    merge: Option<MergeId>,
    context: &CommandContext,
    keys: &[CommandKey],
) -> Result<i64, CommandError<domain::service::ServiceError>> {
    let service = store
        .load::<Service>(&service_id.to_string())
        .await?
        .aggregate;
    let provider_id = service.provider_id().ok_or(CommandError::Rejected(
        domain::service::ServiceError::NotOrdered,
    ))?;
    let when = clocks::of_provider(store, provider_id).await?;
    let context = &when.stamp(context);
    let committed = store
        .execute::<Service>(
            &service_id.to_string(),
            ServiceCommand::TransferService {
                to_client: to.client,
                provider_id: to.provider,
                to_account: to.account,
                merge_id: merge,
                on: when.today(),
            },
            context,
            keys,
        )
        .await?;
    Ok(committed.position)
}

/// Runs every step of the merge `merge_id` that is not done yet. A merge never started does
/// nothing; a completed one runs only the steps added after it was completed (see the module's
/// notes), so that reading the log again moves what it left and nothing else.
pub async fn run_merge(
    store: &EventStore,
    merge_id: MergeId,
    context: &CommandContext,
) -> Result<(), MergeStepError> {
    let merge = store.load::<Merge>(&merge_id.to_string()).await?.aggregate;
    let (Some((client, account)), Some(provider)) = (merge.target(), merge.provider_id()) else {
        return Ok(());
    };
    let to = NewOwner {
        client,
        provider,
        account,
    };
    let when = clocks::of_provider(store, provider).await?;
    let context = &when.stamp(context);
    let completed = merge.is_completed();
    for source in merge.sources() {
        merge_source(store, merge_id, *source, to, context, completed).await?;
    }
    if completed {
        return Ok(());
    }
    store
        .execute::<Merge>(
            &merge_id.to_string(),
            MergeCommand::CompleteMerge {
                completed_on: when.today(),
            },
            context,
            &[],
        )
        .await?;
    Ok(())
}

/// The ids the read model `sql` lists for the source client.
async fn listed(
    store: &EventStore,
    sql: &'static str,
    client: ClientId,
) -> Result<Vec<Uuid>, MergeStepError> {
    Ok(sqlx::query_scalar(sql)
        .bind(client.as_uuid())
        .fetch_all(store.pool())
        .await?)
}

/// The steps of one source; of a `completed` merge, only its domain contacts and domains.
async fn merge_source(
    store: &EventStore,
    merge_id: MergeId,
    source: MergeSource,
    to: NewOwner,
    context: &CommandContext,
    completed: bool,
) -> Result<(), MergeStepError> {
    // Where things merged into the target end: the target, then every client it was merged into
    // since. The source must not be on that path (two merges asked at once, each of the other's
    // target).
    let hops = belongings::hops(store, merge_id, to).await?;
    let marked = store
        .execute::<Client>(
            &source.client_id.to_string(),
            ClientCommand::MarkMerged {
                merge_id,
                into: to.client,
                then: hops.iter().skip(1).map(|(_, owner)| owner.client).collect(),
            },
            context,
            &[],
        )
        .await;
    let marked_at = match marked {
        Ok(committed) => committed.position,
        // Another merge took the source between the request and this step (the request checked
        // it was free): that merge moves it, this one leaves it alone. So with a merge of the
        // target into this source that ran first: the source would be merged into itself.
        Err(CommandError::Rejected(
            error @ (ClientError::MergedElsewhere
            | ClientError::Deleted
            | ClientError::MergedIntoItself),
        )) => {
            tracing::warn!(%merge_id, source = %source.client_id, %error, "a source was left out of a merge");
            return Ok(());
        }
        Err(other) => return Err(other.into()),
    };
    read_models_at(store, marked_at).await?;
    let client = source.client_id;
    if !completed {
        let services = "SELECT id FROM services WHERE client_id = $1 AND status <> 'deleted'
                         ORDER BY ordered_on, id";
        for service in listed(store, services, client).await? {
            belongings::move_service(store, ServiceId::from_uuid(service), &hops, context).await?;
        }
        let payers = "SELECT payer_id FROM payers WHERE client_id = $1 ORDER BY payer_id";
        for payer in listed(store, payers, client).await? {
            belongings::move_payer(store, PayerId::from_uuid(payer), &hops, context).await?;
        }
    }
    let contacts =
        "SELECT contact_id FROM domain_contacts WHERE client_id = $1 ORDER BY contact_id";
    for contact in listed(store, contacts, client).await? {
        belongings::move_contact(store, ContactId::from_uuid(contact), &hops, context).await?;
    }
    let domains = "SELECT domain_id FROM domains WHERE client_id = $1 ORDER BY domain_id";
    for domain in listed(store, domains, client).await? {
        belongings::move_domain(store, DomainId::from_uuid(domain), &hops, context).await?;
    }
    if completed {
        return Ok(());
    }
    move_balance(store, merge_id, source, to, context).await
}

/// Moves the source account's balance to the target account: out, then in with what the
/// source account recorded as moved out.
async fn move_balance(
    store: &EventStore,
    merge_id: MergeId,
    source: MergeSource,
    to: NewOwner,
    context: &CommandContext,
) -> Result<(), MergeStepError> {
    let account = source.account_id;
    let provider_id = to.provider;
    // The account is opened in the client's currency (`AccountId::of`), so that even one never
    // opened is marked merged and forwards what reaches it later.
    let client = store
        .load::<Client>(&source.client_id.to_string())
        .await?
        .aggregate;
    let Some(currency) = client.currency() else {
        return Err(MergeStepError::Refused(format!(
            "the source client {} is not registered",
            source.client_id
        )));
    };
    store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::TransferBalanceOut {
                client_id: source.client_id,
                provider_id,
                currency,
                merge_id,
                to_account: to.account,
            },
            context,
            &[step_key("merge-out", merge_id, account.as_uuid())?],
        )
        .await?;
    let moved = store
        .load::<Account>(&account.to_string())
        .await?
        .aggregate
        .transferred_out(merge_id);
    let Some(amount) = moved.filter(|amount| !amount.is_zero()) else {
        return Ok(());
    };
    store
        .execute::<Account>(
            &to.account.to_string(),
            AccountCommand::TransferBalanceIn {
                client_id: to.client,
                provider_id,
                merge_id,
                from_account: account,
                amount,
                forward: None,
            },
            context,
            &[step_key("merge-in", merge_id, account.as_uuid())?],
        )
        .await?;
    Ok(())
}

/// What reached a merged account after its merge and was forwarded (`BalanceTransferredOut`
/// with a `forward`) arrives on the account it was merged into, keyed by (merge, source account,
/// forward): received once, whenever the process runs again.
async fn receive_forward(
    store: &EventStore,
    event: &StoredEvent,
    context: &CommandContext,
) -> Result<(), MergeStepError> {
    let domain::account::AccountEvent::BalanceTransferredOut {
        merge_id,
        to_account,
        amount,
        forward: Some(forward),
        ..
    } = event
        .decode()
        .map_err(|e| MergeStepError::Refused(e.to_string()))?
    else {
        return Ok(());
    };
    let from_account = event
        .aggregate_id
        .parse::<AccountId>()
        .map_err(|e| MergeStepError::Refused(format!("account id: {e}")))?;
    let merge = store.load::<Merge>(&merge_id.to_string()).await?.aggregate;
    let (Some((target, _)), Some(provider_id)) = (merge.target(), merge.provider_id()) else {
        return Err(MergeStepError::Refused(format!(
            "merge {merge_id} of a forward is not started"
        )));
    };
    let when = clocks::of_provider(store, provider_id).await?;
    let key = CommandKey::new(
        "merge-forward-in",
        format!("{merge_id}/{from_account}/{forward}"),
        &(merge_id, from_account, forward),
        serde_json::Value::Null,
    )
    .map_err(|e| MergeStepError::Refused(e.to_string()))?;
    store
        .execute::<Account>(
            &to_account.to_string(),
            AccountCommand::TransferBalanceIn {
                client_id: target,
                provider_id,
                merge_id,
                from_account,
                amount,
                forward: Some(forward),
            },
            &when.stamp(context),
            &[key],
        )
        .await?;
    Ok(())
}

/// The merging process manager.
pub struct Merging {
    store: Arc<EventStore>,
    /// The worker's stop signal: a step still running when it turns true is abandoned.
    stop: Option<watch::Receiver<bool>>,
}

impl Merging {
    /// The process, writing through `store`.
    pub fn new(store: Arc<EventStore>) -> Self {
        Self { store, stop: None }
    }

    /// The same process, abandoning a step as soon as `stop` turns true (the server's shutdown):
    /// a step may be waiting for a read model whose worker stops too. Every step is keyed, so
    /// the next start finishes an abandoned one as it finishes one cut by a crash.
    pub fn stopping_on(self, stop: watch::Receiver<bool>) -> Self {
        Self {
            stop: Some(stop),
            ..self
        }
    }
}

#[async_trait]
impl Projection for Merging {
    fn name(&self) -> &'static str {
        "merge_process"
    }

    fn version(&self) -> i32 {
        // 2: domains and domain contacts move too; completed merges move theirs.
        2
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    fn runs_alone(&self) -> bool {
        true
    }

    async fn apply_batch(
        &self,
        _tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let context = CommandContext::new(Actor::System("merging".to_owned()));
        for event in events {
            let step = async {
                match (event.aggregate_type.as_str(), event.event_type.as_str()) {
                    ("Merge", "MergeStarted") => {
                        let merge_id = event
                            .aggregate_id
                            .parse::<MergeId>()
                            .map_err(|e| MergeStepError::Refused(format!("merge id: {e}")))?;
                        run_merge(&self.store, merge_id, &context).await
                    }
                    ("Service", "ServiceOrdered")
                    | ("DomainContact", "ContactCreated")
                    | ("Domain", "DomainOrdered") => {
                        belongings::follow_late_order(&self.store, event, &context).await
                    }
                    ("Account", "BalanceTransferredOut") => {
                        receive_forward(&self.store, event, &context).await
                    }
                    _ => Ok(()),
                }
            };
            let mut stop = self.stop.clone();
            tokio::select! {
                result = step => result.map_err(|e| ProjectionError::from(e).at(event))?,
                () = projections::engine::stopped(stop.as_mut()) => {
                    return Err(ProjectionError::Malformed(
                        "stopping in the middle of a merge step; it continues at the next start"
                            .to_owned(),
                    ));
                }
            }
        }
        Ok(())
    }
}
