//! Makes each client user's own stream (what authentication reads) say what its client's
//! [`UserDirectory`] decided. The use case that changes a user writes the directory's decision
//! first and the user's stream right after; a crash between the two leaves the directory ahead,
//! and this process finishes the step. It sets the user to what the directory says *now* (not
//! what the event said), so a process behind the use case never brings back an older value, and
//! the user's commands record nothing when it is already so: a rerun does nothing twice.

use std::sync::Arc;

use async_trait::async_trait;
use domain::access::{ClientUser, DirectoryEvent, UserCommand, UserDirectory};
use eventstore::EventStore;
use eventstore::log::StoredEvent;
use eventstore::metadata::{Actor, CommandContext};
use sqlx::PgConnection;

use projections::{Projection, ProjectionError};

/// The process that carries a client's user directory's decisions to its users' streams.
pub struct DirectoryFollower {
    store: Arc<EventStore>,
}

impl DirectoryFollower {
    /// The process, writing through `store`.
    pub fn new(store: Arc<EventStore>) -> Self {
        Self { store }
    }

    async fn step(
        &self,
        event: &StoredEvent,
        context: &CommandContext,
    ) -> Result<(), ProjectionError> {
        let failed = |e: &dyn std::fmt::Display| ProjectionError::Malformed(e.to_string());
        let decided: DirectoryEvent = event.decode().map_err(|e| failed(&e))?;
        let (user_id, _) = decided.member();
        let directory = self
            .store
            .load::<UserDirectory>(&event.aggregate_id)
            .await
            .map_err(|e| failed(&e))?
            .aggregate;
        let Some(member) = directory.members().get(&user_id) else {
            return Ok(());
        };
        let status = if member.enabled {
            UserCommand::EnableClientUser
        } else {
            UserCommand::DisableClientUser
        };
        for command in [
            UserCommand::SetRoles {
                roles: member.roles.clone(),
            },
            status,
        ] {
            self.store
                .execute::<ClientUser>(&user_id.to_string(), command, context, &[])
                .await
                .map_err(|e| failed(&e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Projection for DirectoryFollower {
    fn name(&self) -> &'static str {
        "user_directory_process"
    }

    fn version(&self) -> i32 {
        1
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
        let context = CommandContext::new(Actor::System("user_directory".to_owned()));
        for event in events
            .iter()
            .filter(|e| e.aggregate_type == "UserDirectory")
        {
            self.step(event, &context).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}
