//! How the store keeps each aggregate of the domain: its state version for snapshots and the
//! names of its commands for the log.

use domain::account::{Account, AccountCommand};
use domain::client::{Client, ClientCommand};
use domain::provider::{Provider, ProviderCommand};

use crate::store::{NamedCommand, StoredAggregate};

impl StoredAggregate for Provider {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for Client {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for Account {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for ProviderCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateProvider { .. } => "CreateProvider",
        }
    }
}

impl NamedCommand for ClientCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::RegisterClient { .. } => "RegisterClient",
            Self::UpdateClient { .. } => "UpdateClient",
            Self::DeleteClient { .. } => "DeleteClient",
        }
    }
}

impl NamedCommand for AccountCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::PostPayment { .. } => "PostPayment",
            Self::AdjustBalance { .. } => "AdjustBalance",
        }
    }
}
