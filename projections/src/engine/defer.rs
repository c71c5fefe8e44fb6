//! Secondary indexes a read model goes without while it is built from the start of the log.
//!
//! Row by row, a read model's secondary indexes cost PostgreSQL more than its rows: the rows a
//! rebuild writes one per event took 12.7 s to load into their indexed tables, and 2.4 s into
//! bare ones plus 3.6 s to build every key and index once afterwards (BENCHMARKS.md, "The rebuild
//! of the 1M bulk set, and what bounds it"). A read model emptied to start again from the log's
//! start (a rebuild, a new version of its code, a node catching up from nothing) cannot answer a
//! query meanwhile anyway: a read waits for the position it needs. So emptying a read model
//! ([`defer`], in the transaction that empties it) drops its secondary indexes, and whoever
//! brings it to the end of the log builds them ([`build_deferred`]): the rebuild at its end, the
//! live worker once it finds the read model caught up.
//!
//! What is dropped is written to `deferred_indexes` in the transaction that drops it, and deleted
//! in the one that builds it again, so a crash in between loses no index: the next worker to find
//! the read model caught up builds what is listed. Only the indexes a read model names
//! ([`Projection::indexes_deferred`]) are deferred: never a key or a unique index (upserts and
//! uniqueness rest on them), nor one it reads through while applying.
//!
//! Deferring alone, with rows written through `INSERT … SELECT FROM unnest`, changed nothing
//! (BENCHMARKS.md, 2026-12-06, "a hypothesis refuted"); it pays with the append-only rows written
//! with `COPY` (`crate::copy`), which PostgreSQL inserts a page at a time into a table without
//! secondary indexes.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use sqlx::{PgConnection, PgPool};

use super::{Projection, lock};
use crate::ProjectionError;

/// How many read models build their indexes at once, each on a connection of its own (each
/// build may itself use PostgreSQL's parallel workers).
const BUILDERS: usize = 2;

/// Memory each index build may sort in; PostgreSQL's default of 64 MB spills a million-row
/// index to disk.
const BUILD_MEMORY: &str = "256MB";

/// Drops the secondary indexes `projection` names (of its own tables), and lists them in `deferred_indexes` to be built once it has caught up. Runs in the
/// transaction that empties the read model, under its lock.
pub(super) async fn defer(
    tx: &mut PgConnection,
    projection: &dyn Projection,
) -> Result<(), sqlx::Error> {
    let tables = projection.tables();
    if tables.is_empty() || projection.indexes_deferred().is_empty() {
        return Ok(());
    }
    let found: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid IN (SELECT to_regclass(t) FROM unnest($1::text[]) AS t)
            AND NOT i.indisunique AND NOT i.indisprimary
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            AND c.relname = ANY($2::text[])",
    )
    .bind(tables)
    .bind(projection.indexes_deferred())
    .fetch_all(&mut *tx)
    .await?;
    for (name, definition) in found {
        sqlx::query(
            "INSERT INTO deferred_indexes (name, projection, definition) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE
                SET projection = excluded.projection, definition = excluded.definition,
                    deferred_at = now()",
        )
        .bind(&name)
        .bind(projection.name())
        .bind(&definition)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!("DROP INDEX {}", quoted(&name)))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Builds the deferred indexes of the read models named, two read models at a time,
/// each in a transaction of its own under its lock: waiting for the lock when `wait` is set,
/// otherwise leaving a read model another worker holds for later. Returns how many indexes were
/// built and how many are still deferred (held elsewhere).
pub async fn build_deferred(
    pool: &PgPool,
    names: &[&'static str],
    wait: bool,
) -> Result<(usize, usize), ProjectionError> {
    let pending: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT projection, name, definition FROM deferred_indexes
          WHERE projection = ANY($1) ORDER BY projection, name",
    )
    .bind(names)
    .fetch_all(pool)
    .await?;
    let mut per_read_model: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (projection, name, definition) in pending {
        per_read_model
            .entry(projection)
            .or_default()
            .push((name, definition));
    }
    let built: Vec<(usize, usize)> = futures::stream::iter(per_read_model)
        .map(|(projection, indexes)| build(pool, projection, indexes, wait))
        .buffer_unordered(BUILDERS)
        .try_collect()
        .await?;
    Ok(built
        .into_iter()
        .fold((0, 0), |(done, left), (d, l)| (done + d, left + l)))
}

/// Builds one read model's deferred `indexes` under its lock and strikes them off the list.
async fn build(
    pool: &PgPool,
    projection: String,
    indexes: Vec<(String, String)>,
    wait: bool,
) -> Result<(usize, usize), ProjectionError> {
    let mut tx = pool.begin().await?;
    if !lock(&mut tx, &projection, wait).await? {
        return Ok((0, indexes.len()));
    }
    sqlx::query(&format!(
        "SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"
    ))
    .execute(&mut *tx)
    .await?;
    let mut built = 0;
    for (name, definition) in indexes {
        // Another worker may have built it between the list's reading and the lock.
        let struck: Option<String> =
            sqlx::query_scalar("DELETE FROM deferred_indexes WHERE name = $1 RETURNING name")
                .bind(&name)
                .fetch_optional(&mut *tx)
                .await?;
        if struck.is_none() {
            continue;
        }
        // The definition is PostgreSQL's own (`pg_get_indexdef`) of an index of ours.
        let definition = definition.replacen("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1);
        sqlx::query(&definition).execute(&mut *tx).await?;
        built += 1;
    }
    tx.commit().await?;
    if built > 0 {
        tracing::info!(
            projection,
            indexes = built,
            "built the indexes deferred while the read model was rebuilt"
        );
    }
    Ok((built, 0))
}

/// How many indexes are deferred, of the read models named.
pub async fn deferred_count(pool: &PgPool, names: &[&'static str]) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM deferred_indexes WHERE projection = ANY($1)")
        .bind(names)
        .fetch_one(pool)
        .await
}

/// `name` as a quoted SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
