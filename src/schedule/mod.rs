//! The scheduler: one tokio-cron-scheduler job per catalogue source, running the same `fetch::refresh`
//! the CLI runs, plus a first fetch at start of every source the store has no version of. Wiring
//! only — a job logs its outcome (the store records it) and goes on; it never panics and never
//! stops the server.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::fetch::{self, Context, RefreshOptions};

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("source {source_id}: schedule {cron:?} cannot be scheduled: {error}")]
    Job {
        source_id: String,
        cron: String,
        error: JobSchedulerError,
    },
    #[error("the scheduler could not start: {0}")]
    Scheduler(#[from] JobSchedulerError),
}

/// A running scheduler; dropping it does not stop the jobs, `shutdown` does.
pub struct Schedule {
    scheduler: JobScheduler,
    jobs: BTreeMap<String, uuid::Uuid>,
}

impl Schedule {
    /// Schedules every source of the context's catalogue on its cron (UTC) and starts the scheduler.
    pub async fn start(ctx: Arc<Context>) -> Result<Schedule, ScheduleError> {
        let scheduler = JobScheduler::new().await?;
        let mut jobs = BTreeMap::new();
        // An import-only source (`import_only = true`) has no upstream: it gets no job.
        for source in ctx.catalog.sources.iter().filter(|s| !s.import_only) {
            let id = source.id.clone();
            let ctx_job = ctx.clone();
            let job = Job::new_async(source.schedule.as_str(), move |_uuid, _lock| {
                let ctx = ctx_job.clone();
                let id = id.clone();
                Box::pin(async move {
                    let Ok(source) = ctx.catalog.get(&id) else {
                        return;
                    };
                    // `refresh` logs and records the outcome itself; a failure waits for the next tick.
                    let _ = fetch::refresh(&ctx, source, &RefreshOptions::default(), &()).await;
                })
            })
            .map_err(|error| ScheduleError::Job {
                source_id: source.id.clone(),
                cron: source.schedule.clone(),
                error,
            })?;
            let uuid = scheduler.add(job).await?;
            jobs.insert(source.id.clone(), uuid);
        }
        scheduler.start().await?;
        tracing::info!(jobs = jobs.len(), "Scheduler started.");
        tokio::spawn(fill_empty(ctx));
        Ok(Schedule { scheduler, jobs })
    }

    /// When the scheduler will next run `source`, if it is scheduled.
    pub async fn next_run(&self, source: &str) -> Option<DateTime<Utc>> {
        let uuid = self.jobs.get(source)?;
        let mut scheduler = self.scheduler.clone();
        scheduler.next_tick_for_job(*uuid).await.ok().flatten()
    }

    pub async fn shutdown(mut self) {
        if let Err(error) = self.scheduler.shutdown().await {
            tracing::warn!(%error, "Scheduler did not shut down cleanly.");
        }
    }
}

/// Fetches, once and one at a time, every source the store holds no version of yet, so a new
/// deployment has data without waiting for each source's first tick.
/// After the round, one line sums up the failures and says how to load files by hand.
async fn fill_empty(ctx: Arc<Context>) {
    let mut results = Vec::new();
    for source in ctx.catalog.sources.iter().filter(|s| !s.import_only) {
        let store = ctx.store.clone();
        let id = source.id.clone();
        let empty = tokio::task::spawn_blocking(move || store.current(&id))
            .await
            .map(|current| matches!(current, Ok(None)))
            .unwrap_or(false);
        if empty {
            tracing::info!(source = %source.id, "No version yet; fetching now.");
            results.push(fetch::refresh(&ctx, source, &RefreshOptions::default(), &()).await);
        }
    }
    if let Some(summary) = fetch::failure_summary(&results) {
        tracing::warn!(%summary, "The first fetch round left sources without data.");
    }
}

/// The next time a cron expression (seconds first, UTC) fires after `after`, in the scheduler's
/// dialect; `None` if it never does or is invalid.
pub fn next_after(cron: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    crate::catalog::datasets::next_run(cron, after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn next_after_finds_the_next_daily_tick_in_utc() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
        let next = next_after("0 15 6 * * *", now).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 11, 25, 6, 15, 0).unwrap());
        assert_eq!(next_after("not a cron", now), None);
    }
}
