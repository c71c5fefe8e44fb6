//! The merge aggregate: one merge of source clients into a target client of the same provider.
//!
//! The merge itself only records what was asked (`MergeStarted`) and that every step is done
//! (`MergeCompleted`). The steps are commands on the aggregates that hold what moves, run by the
//! merging process manager, each idempotent (docs/adr/0006-merging-accounts.md): the sources
//! are marked merged (`ClientMerged`), their services and payers move to the target
//! (`ServiceTransferred`, `PayerTransferred`), and each source account's balance moves to the
//! target's account (`BalanceTransferredOut`, then `BalanceTransferredIn`).

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientError};
use crate::ids::{AccountId, ClientId, MergeId, ProviderId};

/// The most source clients one merge takes.
pub const MERGE_SOURCES_MAX: usize = 100;

/// A client merged into the target, with its personal account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeSource {
    /// The source client.
    pub client_id: ClientId,
    /// Its personal account (at the provider, in the provider's currency).
    pub account_id: AccountId,
}

/// What can be asked of a merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MergeCommand {
    /// Starts the merge. Starting it again with the same request records nothing; with another
    /// request it is refused.
    StartMerge {
        /// The caller-chosen id.
        merge_id: MergeId,
        /// The provider of the target and every source.
        provider_id: ProviderId,
        /// The client everything moves to.
        target: ClientId,
        /// The target's personal account.
        target_account: AccountId,
        /// The clients merged into the target, 1 to 100, distinct, not the target.
        sources: Vec<MergeSource>,
        /// The day the merge started.
        started_on: NaiveDate,
    },
    /// Records that every step is done. A completed merge records nothing.
    CompleteMerge {
        /// The day.
        completed_on: NaiveDate,
    },
}

/// What has happened to a merge. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MergeEvent {
    /// The merge was asked for; the merging process runs its steps.
    MergeStarted {
        /// Its id.
        merge_id: MergeId,
        /// The provider.
        provider_id: ProviderId,
        /// The target.
        target: ClientId,
        /// The target's personal account.
        target_account: AccountId,
        /// The sources.
        sources: Vec<MergeSource>,
        /// The day it started.
        started_on: NaiveDate,
    },
    /// Every step of the merge is done.
    MergeCompleted {
        /// The day.
        completed_on: NaiveDate,
    },
}

impl DomainEvent for MergeEvent {
    fn event_type(&self) -> String {
        match self {
            Self::MergeStarted { .. } => "MergeStarted".to_string(),
            Self::MergeCompleted { .. } => "MergeCompleted".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// Why a merge command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// A merge needs at least one source.
    #[error("sources: at least one source client is needed")]
    NoSources,
    /// More than 100 sources.
    #[error("sources: at most {MERGE_SOURCES_MAX} source clients")]
    TooManySources,
    /// A source is named twice.
    #[error("sources: client {0} is named twice")]
    DuplicateSource(ClientId),
    /// The target is among the sources.
    #[error("sources: the target cannot be merged into itself")]
    TargetInSources,
    /// A merge with this id was started with another request.
    #[error("a merge with this id was started with other clients")]
    AlreadyStarted,
    /// No merge with this id.
    #[error("merge not found")]
    NotStarted,
    /// The target does not exist, was merged or was deleted ([`Client::active`]).
    #[error(transparent)]
    Target(ClientError),
    /// A source does not exist.
    #[error("sources: no client {0}")]
    SourceNotFound(ClientId),
    /// A source belongs to another provider than the target.
    #[error("sources: client {0} belongs to another provider")]
    SourceOfAnotherProvider(ClientId),
    /// A source was merged by another merge.
    #[error("sources: client {client_id} was merged into client {into} by merge {merge_id}")]
    SourceMerged {
        /// The source.
        client_id: ClientId,
        /// The merge that merged it.
        merge_id: MergeId,
        /// The client it went into.
        into: ClientId,
    },
    /// A source was deleted.
    #[error("sources: client {0} is deleted")]
    SourceDeleted(ClientId),
}

impl MergeError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            MergeError::NoSources => "no_sources",
            MergeError::TooManySources => "too_many_sources",
            MergeError::DuplicateSource(_) => "duplicate_source",
            MergeError::TargetInSources => "target_in_sources",
            MergeError::AlreadyStarted => "merge_exists",
            MergeError::NotStarted => "merge_not_found",
            MergeError::Target(error) => error.code(),
            MergeError::SourceNotFound(_) => "source_not_found",
            MergeError::SourceOfAnotherProvider(_) => "source_of_another_provider",
            MergeError::SourceMerged { .. } => "client_merged",
            MergeError::SourceDeleted(_) => "client_deleted",
        }
    }
}

/// Checks the list of sources of a merge into `target`: 1 to [`MERGE_SOURCES_MAX`] clients,
/// none named twice, the target not among them. The one place of these rules: a [`MergePlan`]
/// applies them before any source is loaded, and `StartMerge` again, so that no merge is started
/// on a malformed list whoever built the command.
fn check_sources(
    target: ClientId,
    sources: impl ExactSizeIterator<Item = ClientId> + Clone,
) -> Result<(), MergeError> {
    if sources.len() == 0 {
        return Err(MergeError::NoSources);
    }
    if sources.len() > MERGE_SOURCES_MAX {
        return Err(MergeError::TooManySources);
    }
    if sources.clone().any(|source| source == target) {
        return Err(MergeError::TargetInSources);
    }
    for (index, source) in sources.clone().enumerate() {
        if sources.clone().take(index).any(|earlier| earlier == source) {
            return Err(MergeError::DuplicateSource(source));
        }
    }
    Ok(())
}

/// A merge request checked as far as it can be before its sources are loaded: the target is
/// active and the list of sources is well formed. [`MergePlan::start`] checks the loaded
/// sources and builds the `StartMerge` command, so that a caller only loads clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergePlan {
    merge_id: MergeId,
    provider_id: ProviderId,
    target: ClientId,
    target_account: AccountId,
    sources: Vec<ClientId>,
}

impl MergePlan {
    /// Checks the target `target` (stored under `target_id`) with [`Client::active`], then the
    /// list of sources: 1 to [`MERGE_SOURCES_MAX`], none named twice, not the target. The target
    /// is checked first, so an unknown target is reported as such whatever the list.
    pub fn new(
        merge_id: MergeId,
        target_id: ClientId,
        target: &Client,
        sources: Vec<ClientId>,
    ) -> Result<Self, MergeError> {
        let (provider_id, currency) = target.active(target_id).map_err(MergeError::Target)?;
        check_sources(target_id, sources.iter().copied())?;
        Ok(Self {
            merge_id,
            provider_id,
            target: target_id,
            target_account: AccountId::of(target_id, provider_id, currency),
            sources,
        })
    }

    /// The sources to load, in the order [`MergePlan::start`] takes them.
    pub fn source_ids(&self) -> &[ClientId] {
        &self.sources
    }

    /// Checks each source as loaded, in the order of [`MergePlan::source_ids`] (a source missing
    /// from `sources` counts as not found): it exists, belongs to the target's provider and
    /// may be merged by this merge ([`Client::check_mergeable_by`]: not deleted, not merged by
    /// another merge; merged by this one is a repeat). Gives the `StartMerge` command.
    pub fn start(
        self,
        sources: &[Client],
        started_on: NaiveDate,
    ) -> Result<MergeCommand, MergeError> {
        let unregistered = Client::default();
        let mut merge_sources = Vec::with_capacity(self.sources.len());
        for (index, &client_id) in self.sources.iter().enumerate() {
            let source = sources.get(index).unwrap_or(&unregistered);
            let (Some(provider_id), Some(currency)) = (source.provider_id(), source.currency())
            else {
                return Err(MergeError::SourceNotFound(client_id));
            };
            if provider_id != self.provider_id {
                return Err(MergeError::SourceOfAnotherProvider(client_id));
            }
            source.check_mergeable_by(self.merge_id).map_err(|error| {
                match (error, source.merged_into()) {
                    (ClientError::MergedElsewhere, Some((merge_id, into))) => {
                        MergeError::SourceMerged {
                            client_id,
                            merge_id,
                            into,
                        }
                    }
                    (ClientError::Deleted, _) => MergeError::SourceDeleted(client_id),
                    _ => MergeError::SourceNotFound(client_id),
                }
            })?;
            merge_sources.push(MergeSource {
                client_id,
                account_id: AccountId::of(client_id, provider_id, currency),
            });
        }
        Ok(MergeCommand::StartMerge {
            merge_id: self.merge_id,
            provider_id: self.provider_id,
            target: self.target,
            target_account: self.target_account,
            sources: merge_sources,
            started_on,
        })
    }
}

/// The state of one merge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Merge {
    started: Option<StartedMerge>,
    completed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StartedMerge {
    merge_id: MergeId,
    provider_id: ProviderId,
    target: ClientId,
    target_account: AccountId,
    sources: Vec<MergeSource>,
}

impl Merge {
    /// Whether the merge was started.
    pub fn is_started(&self) -> bool {
        self.started.is_some()
    }

    /// Whether every step is done.
    pub fn is_completed(&self) -> bool {
        self.completed
    }

    /// The target and its account, once started.
    pub fn target(&self) -> Option<(ClientId, AccountId)> {
        self.started
            .as_ref()
            .map(|started| (started.target, started.target_account))
    }

    /// The provider, once started.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.started.as_ref().map(|started| started.provider_id)
    }

    /// The sources, once started.
    pub fn sources(&self) -> &[MergeSource] {
        self.started
            .as_ref()
            .map_or(&[], |started| started.sources.as_slice())
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: MergeCommand) -> Result<Vec<MergeEvent>, MergeError> {
        match command {
            MergeCommand::StartMerge {
                merge_id,
                provider_id,
                target,
                target_account,
                sources,
                started_on,
            } => {
                check_sources(target, sources.iter().map(|source| source.client_id))?;
                if let Some(started) = &self.started {
                    let same = started.merge_id == merge_id
                        && started.provider_id == provider_id
                        && started.target == target
                        && started.target_account == target_account
                        && started.sources == sources;
                    return if same {
                        Ok(vec![])
                    } else {
                        Err(MergeError::AlreadyStarted)
                    };
                }
                Ok(vec![MergeEvent::MergeStarted {
                    merge_id,
                    provider_id,
                    target,
                    target_account,
                    sources,
                    started_on,
                }])
            }
            MergeCommand::CompleteMerge { completed_on } => {
                if self.started.is_none() {
                    return Err(MergeError::NotStarted);
                }
                if self.completed {
                    return Ok(vec![]);
                }
                Ok(vec![MergeEvent::MergeCompleted { completed_on }])
            }
        }
    }
}

impl Aggregate for Merge {
    const TYPE: &'static str = "Merge";
    type Command = MergeCommand;
    type Event = MergeEvent;
    type Error = MergeError;
    type Services = ();

    async fn handle(
        &mut self,
        command: MergeCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), MergeError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: MergeEvent) {
        match event {
            MergeEvent::MergeStarted {
                merge_id,
                provider_id,
                target,
                target_account,
                sources,
                ..
            } => {
                self.started = Some(StartedMerge {
                    merge_id,
                    provider_id,
                    target,
                    target_account,
                    sources,
                });
            }
            MergeEvent::MergeCompleted { .. } => self.completed = true,
        }
    }
}
