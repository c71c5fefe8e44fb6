//! What the read models cost the database: rows written and bytes held, per read model, summed
//! over the tables each one owns. `billing projections rebuild` and `billing bench` print them
//! next to the time each read model spent applying its batches.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::PgPool;

use crate::Projection;

/// The writes a read model's tables have taken, as PostgreSQL's statistics count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableWrites {
    /// Rows inserted, updated or deleted.
    pub rows: i64,
    /// Bytes the tables and their indexes take now.
    pub bytes: i64,
}

/// Rows written so far and bytes held, per read model in `projections`. The statistics of a
/// connection are published when its transaction ends (at most once a second while it is busy)
/// and when it closes: read them after the writers' connections are closed or idle.
pub async fn table_writes(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
) -> Result<HashMap<&'static str, TableWrites>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT relname::text, n_tup_ins + n_tup_upd + n_tup_del,
                pg_total_relation_size(relid)
           FROM pg_stat_user_tables WHERE schemaname = current_schema()",
    )
    .fetch_all(pool)
    .await?;
    let by_table: HashMap<&str, (i64, i64)> = rows
        .iter()
        .map(|(table, rows, bytes)| (table.as_str(), (*rows, *bytes)))
        .collect();
    Ok(projections
        .iter()
        .map(|projection| {
            let writes = projection
                .tables()
                .iter()
                .filter_map(|table| by_table.get(table))
                .fold(TableWrites::default(), |sum, &(rows, bytes)| TableWrites {
                    rows: sum.rows + rows,
                    bytes: sum.bytes + bytes,
                });
            (projection.name(), writes)
        })
        .collect())
}
