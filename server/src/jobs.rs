//! Background jobs. Every server of a deployment runs this loop; the domain decides, through
//! the database, which one of them does each day's work (see `domain::scoring`), so several
//! servers on one PostgreSQL take one snapshot a day between them.

use domain::Db;
use std::time::Duration;

/// How often a server asks whether today's work is still to do. Cheap when it is done: one
/// insert that finds the day's row already there.
pub const CHECK_EVERY: Duration = Duration::from_secs(15 * 60);

/// Starts the daily jobs: now, then every [`CHECK_EVERY`].
pub fn spawn_daily_jobs(db: Db) {
    tokio::spawn(async move {
        let runner = runner_name();
        let mut every = tokio::time::interval(CHECK_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            run_daily_jobs(&db, &runner).await;
        }
    });
}

/// How often a server recomputes the kept scores that time alone has changed (evidence going
/// stale, a deadline passing) and those a stopped server left out of date.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Starts the sweep of the kept scores (see `domain::scoring::live`): every [`SWEEP_EVERY`].
/// Several servers may sweep at once: each due client is taken by one of them.
pub fn spawn_score_sweep(db: Db) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match domain::scoring::live::sweep(&db, domain::clock::now()).await {
                Ok(0) => {}
                Ok(recomputed) => tracing::debug!(recomputed, "kept scores recomputed"),
                Err(error) => tracing::warn!(error = %error, "the sweep of the kept scores failed; retrying later"),
            }
        }
    });
}

/// Runs whatever of today's jobs no server has run yet.
pub async fn run_daily_jobs(db: &Db, runner: &str) {
    match domain::scoring::take_daily_snapshots(db, domain::clock::now(), runner).await {
        Ok(Some(written)) => tracing::info!(written, "daily score snapshots taken"),
        Ok(None) => tracing::debug!("daily score snapshots already taken"),
        Err(error) => tracing::warn!(error = %error, "daily score snapshots failed; retrying later"),
    }
}

/// Who runs a job, for the record in `job_runs`: the host and the process.
fn runner_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "rampart".into());
    format!("{host}:{}", std::process::id())
}
