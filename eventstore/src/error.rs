//! Errors of the event store, kept apart from the domain's own rule violations.

/// A failure of the store itself: the database, a stored payload, or contention.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored event, snapshot or command could not be (de)serialized.
    #[error("stored data could not be decoded: {0}")]
    Payload(#[from] serde_json::Error),
    /// postgres-es's repository failed (used for full replays).
    #[error("event repository error: {0}")]
    Repository(String),
    /// Other writers kept changing the aggregate; the command was retried and gave up.
    #[error("{aggregate_type} {aggregate_id} changed concurrently {attempts} times in a row")]
    Contention {
        /// The aggregate's type.
        aggregate_type: &'static str,
        /// The aggregate's id.
        aggregate_id: String,
        /// How many times the command ran.
        attempts: u32,
    },
}

impl StoreError {
    /// True when the database could not be reached at all (it is down or restarting), as opposed
    /// to refusing a statement: the HTTP layer answers 503 and the caller retries.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Database(error) => {
                matches!(
                    error,
                    sqlx::Error::Io(_)
                        | sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::Tls(_)
                ) || error
                    .as_database_error()
                    .and_then(|e| e.code())
                    .is_some_and(|code| code.starts_with("57P") || code.starts_with("08"))
            }
            Self::Payload(_) | Self::Repository(_) | Self::Contention { .. } => false,
        }
    }
}

/// Why a command did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E> {
    /// The aggregate refused the command: a business rule. Nothing was written.
    #[error(transparent)]
    Rejected(E),
    /// The command's key (payment id, Idempotency-Key) was already used for a different request.
    #[error("key {key:?} was already used for a different request")]
    KeyReused {
        /// The key.
        key: String,
    },
    /// The store failed. Nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<E> From<sqlx::Error> for CommandError<E> {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(error))
    }
}

impl<E> From<serde_json::Error> for CommandError<E> {
    fn from(error: serde_json::Error) -> Self {
        Self::Store(StoreError::Payload(error))
    }
}
