//! The bytes of the files sent with ticket messages, in `ticket_attachments`, under their
//! SHA-256 (ADR 9): content-addressed, so a file sent twice is stored once. The table is no read
//! model (nothing rebuilds it from the log); this module owns its statements. A use case writes
//! the files after the whole request was checked and just before the command that names them,
//! so a refused message leaves at most an unreferenced file, never a message without its file.

use domain::ticket::Attachment;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// A file of a message, checked: what the message records and the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// What the message records: digest, name, type, size.
    pub attachment: Attachment,
    /// The content.
    pub bytes: Vec<u8>,
}

/// The digest a file is stored and named under: its SHA-256 in lower-case hexadecimal.
pub fn digest_of(bytes: &[u8]) -> String {
    crate::usecases::access::secret::hex(&Sha256::digest(bytes))
}

/// Stores the bytes of checked files under their digest.
pub async fn store(pool: &PgPool, files: &[File]) -> Result<(), sqlx::Error> {
    for file in files {
        sqlx::query(
            "INSERT INTO ticket_attachments (sha256, content_type, size_bytes, content)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&file.attachment.sha256)
        .bind(file.attachment.content_type.as_str())
        .bind(i64::try_from(file.attachment.size_bytes).unwrap_or(i64::MAX))
        .bind(&file.bytes)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// The type and the bytes stored under `sha256`.
pub async fn content(
    pool: &PgPool,
    sha256: &str,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as("SELECT content_type, content FROM ticket_attachments WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(pool)
        .await
}
