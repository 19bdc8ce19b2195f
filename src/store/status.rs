//! `status.json`: what happened the last time each source was refreshed (published, unchanged or
//! failed), and when it last succeeded, for the health and freshness views.
//!
//! Must not: write `status.json` other than through [`super::fsutil::write_atomic`], or be written
//! without the store lock. Holds no data: versions themselves live in the manifest.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Result, STATUS_FILE, StoreError, fsutil};

/// One run of a source refresh, as reported by the fetch code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub source: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: RunOutcome,
    /// When the source's schedule fires next, as known when the run ended.
    #[serde(default)]
    pub next_run_at: Option<DateTime<Utc>>,
}

/// How a run ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RunOutcome {
    /// A new version was published.
    Published { version: String, rows: u64 },
    /// Upstream had not changed; `version` is still current.
    Unchanged { version: String },
    /// A file imported by hand (`desi-city import`) was published; `file` is its `file://` URL.
    Imported {
        version: String,
        rows: u64,
        file: String,
    },
    /// The run failed; the previous version (if any) stays current.
    Failed { reason: String },
}

impl RunOutcome {
    /// `"published"`, `"unchanged"`, `"imported"` or `"failed"` (the value of
    /// [`SourceStatus::last_outcome`]).
    pub fn label(&self) -> &'static str {
        match self {
            RunOutcome::Published { .. } => "published",
            RunOutcome::Unchanged { .. } => "unchanged",
            RunOutcome::Imported { .. } => "imported",
            RunOutcome::Failed { .. } => "failed",
        }
    }
}

/// The latest known state of one source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceStatus {
    pub last_run_at: Option<DateTime<Utc>>,
    /// `"published"` | `"unchanged"` | `"imported"` | `"failed"`.
    pub last_outcome: Option<String>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The version current after the last successful run.
    pub version: Option<String>,
    pub rows: Option<u64>,
    /// When the scheduler runs the source next (from its cron, UTC), as of the last run.
    #[serde(default)]
    pub next_run_at: Option<DateTime<Utc>>,
}

impl SourceStatus {
    /// Folds one run into the status. A failure keeps the last success (time, version, rows); a
    /// success keeps the last error (time and reason) as history. `rows_of` looks up the row count
    /// of a version reported as unchanged when it is not the one already recorded.
    pub(super) fn apply(&mut self, run: &RunRecord, rows_of: impl FnOnce(&str) -> Option<u64>) {
        self.last_run_at = Some(run.finished_at);
        // An import knows no schedule; it leaves the one known.
        if run.next_run_at.is_some() || !matches!(run.outcome, RunOutcome::Imported { .. }) {
            self.next_run_at = run.next_run_at;
        }
        self.last_outcome = Some(run.outcome.label().to_owned());
        match &run.outcome {
            RunOutcome::Published { version, rows }
            | RunOutcome::Imported { version, rows, .. } => {
                self.last_success_at = Some(run.finished_at);
                self.version = Some(version.clone());
                self.rows = Some(*rows);
            }
            RunOutcome::Unchanged { version } => {
                self.last_success_at = Some(run.finished_at);
                if self.version.as_deref() != Some(version.as_str()) {
                    self.rows = rows_of(version);
                    self.version = Some(version.clone());
                }
            }
            RunOutcome::Failed { reason } => {
                self.last_error_at = Some(run.finished_at);
                self.last_error = Some(reason.clone());
            }
        }
    }
}

/// The content of `status.json`: one [`SourceStatus`] per source id, as a plain JSON object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub(super) struct StatusFile {
    pub(super) sources: BTreeMap<String, SourceStatus>,
}

impl StatusFile {
    /// Reads `{root}/status.json`; no file means no run recorded yet.
    pub(super) fn load(root: &Path) -> Result<StatusFile> {
        let path = root.join(STATUS_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(StatusFile::default());
            }
            Err(source) => return Err(StoreError::Fs { path, source }),
        };
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// Atomically replaces `{root}/status.json`. Call with the store lock held.
    pub(super) fn save(&self, root: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self)?;
        let path = root.join(STATUS_FILE);
        fsutil::write_atomic(root, &path, &bytes).map_err(|source| StoreError::Fs { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, hour, 0, 0)
            .single()
            .expect("valid time")
    }

    fn run(hour: u32, outcome: RunOutcome) -> RunRecord {
        RunRecord {
            source: "isoc_ci_in_h".into(),
            started_at: at(hour),
            finished_at: at(hour),
            outcome,
            next_run_at: Some(at(hour + 1)),
        }
    }

    #[test]
    fn a_failure_after_a_success_keeps_the_success_time_version_and_rows() {
        let mut status = SourceStatus::default();
        status.apply(
            &run(
                1,
                RunOutcome::Published {
                    version: "v1".into(),
                    rows: 10,
                },
            ),
            |_| None,
        );
        status.apply(
            &run(
                2,
                RunOutcome::Failed {
                    reason: "HTTP 503".into(),
                },
            ),
            |_| None,
        );
        assert_eq!(status.last_run_at, Some(at(2)));
        assert_eq!(status.last_outcome.as_deref(), Some("failed"));
        assert_eq!(status.last_success_at, Some(at(1)));
        assert_eq!(status.last_error_at, Some(at(2)));
        assert_eq!(status.last_error.as_deref(), Some("HTTP 503"));
        assert_eq!(status.version.as_deref(), Some("v1"));
        assert_eq!(status.rows, Some(10));
    }

    #[test]
    fn an_unchanged_run_counts_as_a_success_and_looks_up_rows_of_an_unknown_version() {
        let mut status = SourceStatus::default();
        status.apply(
            &run(
                3,
                RunOutcome::Unchanged {
                    version: "v7".into(),
                },
            ),
            |version| (version == "v7").then_some(42),
        );
        assert_eq!(status.last_outcome.as_deref(), Some("unchanged"));
        assert_eq!(status.last_success_at, Some(at(3)));
        assert_eq!(status.version.as_deref(), Some("v7"));
        assert_eq!(status.rows, Some(42));
    }

    #[test]
    fn the_status_file_is_a_plain_object_keyed_by_source() {
        let mut file = StatusFile::default();
        file.sources
            .insert("tin00074".into(), SourceStatus::default());
        let json = serde_json::to_value(&file).expect("serialise");
        assert!(json["tin00074"].is_object());
        assert!(json["tin00074"]["last_success_at"].is_null());
    }

    #[test]
    fn run_outcomes_serialise_with_a_snake_case_tag() {
        let json = serde_json::to_value(RunOutcome::Unchanged {
            version: "v1".into(),
        })
        .expect("serialise");
        assert_eq!(
            json,
            serde_json::json!({"outcome": "unchanged", "version": "v1"})
        );
    }
}
