//! Where a whole node's read side spent its work, per read model: its time applying (the node's
//! `billing_projection_apply_microseconds_total`) and the rows its tables took (PostgreSQL's
//! statistics), printed by `billing bench --workload compare` per event of the log.

use serde::Serialize;

/// Where the whole node's read side spent its work during a run, for one read model.
#[derive(Debug, Clone, Serialize)]
pub struct ReadModelCost {
    /// The read model.
    pub name: &'static str,
    /// Milliseconds its batches took to apply (statements and CPU, not the commit), from the
    /// node's `billing_projection_apply_microseconds_total`.
    pub applying_ms: f64,
    /// Rows its tables took (inserted, updated or deleted), from PostgreSQL's statistics.
    pub rows: i64,
}

/// The whole node's read-model costs: its metrics and the database's table statistics.
pub async fn read_model_costs(url: &str, token: &str, pool: &sqlx::PgPool) -> Vec<ReadModelCost> {
    let metrics = reqwest::Client::new()
        .get(format!("{url}/metrics"))
        .bearer_auth(token)
        .send()
        .await;
    let text = match metrics {
        Ok(answer) => answer.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let applying = |name: &str| -> f64 {
        let label = format!("billing_projection_apply_microseconds_total{{projection=\"{name}\"}}");
        text.lines()
            .find_map(|line| line.strip_prefix(&label))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .map_or(0.0, |us| us / 1000.0)
    };
    let read_models = projections::all();
    let writes = projections::costs::table_writes(pool, &read_models)
        .await
        .unwrap_or_default();
    let mut costs: Vec<ReadModelCost> = read_models
        .iter()
        .map(|projection| ReadModelCost {
            name: projection.name(),
            applying_ms: applying(projection.name()),
            rows: writes.get(projection.name()).map_or(0, |w| w.rows),
        })
        .collect();
    costs.sort_by(|a, b| b.applying_ms.total_cmp(&a.applying_ms));
    costs
}

/// The read-model costs as a table: per read model, per event of the whole node's log.
pub fn cost_table(costs: &[ReadModelCost], events: u64) -> String {
    #[expect(clippy::as_conversions, reason = "ratios for people to read")]
    let events = events.max(1) as f64;
    let mut out = format!(
        "whole node, where each event's read-side cost went ({events:.0} events):\n{:<16} {:>12} {:>12} {:>12}\n",
        "read model", "applying ms", "µs/event", "rows/event"
    );
    let (mut ms, mut rows) = (0.0, 0i64);
    for cost in costs {
        ms += cost.applying_ms;
        rows += cost.rows;
        #[expect(clippy::as_conversions, reason = "ratios for people to read")]
        out.push_str(&format!(
            "{:<16} {:>12.0} {:>12.1} {:>12.2}\n",
            cost.name,
            cost.applying_ms,
            cost.applying_ms * 1000.0 / events,
            cost.rows as f64 / events
        ));
    }
    #[expect(clippy::as_conversions, reason = "ratios for people to read")]
    out.push_str(&format!(
        "{:<16} {:>12.0} {:>12.1} {:>12.2}\n",
        "all",
        ms,
        ms * 1000.0 / events,
        rows as f64 / events
    ));
    out
}
