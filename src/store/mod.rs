//! The store: the only code that touches the data directory. Versioned, immutable Parquet files
//! per dataset, a manifest of kept versions, atomic publishing, and the record of source runs.
//!
//! Layout of the data directory (`root`):
//! ```text
//! manifest.json                          kept versions per dataset, newest first (manifest.rs)
//! status.json                            last run of each source (status.rs)
//! .lock                                  inter-process write lock (lock.rs)
//! datasets/{dataset}/{version}.parquet   one immutable file per version (parquet.rs)
//! ```
//!
//! Publishing writes the Parquet file to `.tmp-{pid}-{random}.parquet` in the dataset directory,
//! `sync_all`s it, renames it to `{version}.parquet`, fsyncs the directory, and only then replaces
//! `manifest.json` the same way; versions dropped from the manifest (beyond `keep`) are deleted
//! after that. Killed at any instant, the store still has the previous version whole and current and
//! a valid `manifest.json`; [`Store::open`] removes what the crash left behind (unlocked temporary
//! files, Parquet files no manifest entry names). Every read-modify-write of `manifest.json` and
//! `status.json` holds the store lock (an in-process mutex plus `File::lock` on `.lock`); readers
//! take no lock and read whole files. Ids are checked by [`validate_id`] before any path is built.
//!
//! Test hook: when `DESI_CITY_PUBLISH_PAUSE_MS` is set (read once, in [`Store::open`]),
//! [`Store::publish`] sleeps that many milliseconds after writing the temporary file, after renaming
//! it, and before updating the manifest, so an integration test can kill a real process mid-publish.
//!
//! Must not: modify or overwrite a published version, build a path from an unvalidated id, touch
//! anything outside the data directory, call upstream servers, or know about HTTP or DuckDB.

mod fsutil;
mod lock;
mod manifest;
mod parquet;
mod status;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use self::fsutil::TempFile;
use self::lock::{LockGuard, StoreLock};
use self::status::StatusFile;

pub use self::manifest::{DatasetEntry, MANIFEST_FORMAT, Manifest};
pub use self::parquet::{META_PREFIX, ROW_GROUP_ROWS, read_metadata};
pub use self::status::{RunOutcome, RunRecord, SourceStatus};

/// File name of the manifest in the data directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of the run statuses in the data directory.
pub const STATUS_FILE: &str = "status.json";
/// File name of the inter-process lock in the data directory.
pub const LOCK_FILE: &str = ".lock";
/// Directory (in the data directory) holding one sub-directory per dataset.
pub const DATASETS_DIR: &str = "datasets";
/// Environment variable read by [`Store::open`]: milliseconds to pause between publish steps.
pub const PUBLISH_PAUSE_ENV: &str = "DESI_CITY_PUBLISH_PAUSE_MS";
/// Longest accepted dataset or version id.
pub const MAX_ID_LEN: usize = 128;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory cannot be created or written to.
    #[error("the data directory {path} is not writable")]
    NotWritable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A dataset, version or source id that could escape the data directory or is malformed.
    #[error("invalid {kind} id {id:?}: {reason}")]
    InvalidId {
        kind: String,
        id: String,
        reason: &'static str,
    },
    /// No such dataset, or no such version of it.
    #[error("{}", not_found_message(dataset, version.as_deref()))]
    NotFound {
        dataset: String,
        version: Option<String>,
    },
    /// Version metadata the store cannot publish (e.g. a `sha256` that is not hex).
    #[error("invalid version metadata: {field} {reason}")]
    InvalidMeta {
        field: &'static str,
        reason: &'static str,
    },
    /// `publish` was given no record batch, so there is no schema to write.
    #[error("nothing to publish for dataset {dataset}: no record batch")]
    NoBatches { dataset: String },
    /// `keep` must be at least 1.
    #[error("the number of versions to keep must be at least 1")]
    InvalidKeep,
    /// A manifest or status file written by a newer desi-city.
    #[error("{path} has format {format}, newer than this desi-city understands")]
    UnsupportedFormat { path: PathBuf, format: u32 },
    /// A file-system operation on a known path failed.
    #[error("I/O error on {path}")]
    Fs {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Arrow(#[from] ArrowError),
    #[error(transparent)]
    Parquet(#[from] ::parquet::errors::ParquetError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

fn not_found_message(dataset: &str, version: Option<&str>) -> String {
    match version {
        Some(version) => format!("dataset {dataset} has no version {version}"),
        None => format!("dataset {dataset} has no published version"),
    }
}

/// The store's result type.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Provenance of a version, as the fetch code knows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VersionMeta {
    pub source_url: String,
    pub fetched_at: DateTime<Utc>,
    /// E.g. JSON-stat `updated`, in RFC 3339 ([`rfc3339`]; also when an older manifest holds
    /// the upstream's own form).
    #[serde(default, deserialize_with = "upstream_time")]
    pub upstream_updated: Option<String>,
    /// Hex sha256 of the upstream bytes (for skip-unchanged).
    pub sha256: String,
    pub parser_version: String,
    /// `"jsonstat"`, `"tsv"`, …
    pub format: String,
    /// E.g. `"CC-BY-4.0"`.
    pub licence: String,
    /// E.g. `"Source: Eurostat (online data code: isoc_ci_in_h)"`.
    pub attribution: String,
    pub dimensions: Vec<String>,
    /// The upstream's `ETag`, for a conditional request next time (absent in older manifests).
    #[serde(default)]
    pub etag: Option<String>,
    /// The upstream's `Last-Modified`, for a conditional request next time.
    #[serde(default)]
    pub last_modified: Option<String>,
}

/// An upstream timestamp in RFC 3339: Eurostat's `2026-06-25T23:00:00+0200` (an ISO 8601 basic
/// offset) becomes `2026-06-25T23:00:00+02:00`, the same instant in the same offset. Text that is
/// already RFC 3339, a date (`2026-06-25`, RFC 3339's full-date), or no timestamp at all is kept
/// as it is: no offset is invented for a time that has none.
pub fn rfc3339(text: &str) -> String {
    let t = text.trim();
    if DateTime::parse_from_rfc3339(t).is_ok() {
        return t.to_owned();
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(time) = DateTime::parse_from_str(t, format) {
            return time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
        }
    }
    t.to_owned()
}

fn upstream_time<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(|t| rfc3339(&t)))
}

/// One published, immutable version of a dataset.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Version {
    pub dataset: String,
    /// `"{fetched_at:%Y%m%dT%H%M%SZ}-{first 8 hex of sha256}"`, with `-2`, `-3`, … if taken.
    pub version: String,
    /// Relative to the data directory, `/`-separated: `"datasets/{dataset}/{version}.parquet"`.
    pub path: String,
    pub rows: u64,
    /// File size.
    pub bytes: u64,
    /// Hex sha256 of the Parquet file (for download checksums).
    pub file_sha256: String,
    pub published_at: DateTime<Utc>,
    #[serde(flatten)]
    pub meta: VersionMeta,
}

/// Checks a dataset, version or source id: `[A-Za-z0-9_.-]+`, not starting with `.`, no `..`, at
/// most [`MAX_ID_LEN`] characters. Such an id is a single, visible path component, so no path
/// outside the store can be reached through one.
pub fn validate_id(kind: &str, id: &str) -> Result<()> {
    let reason = if id.is_empty() {
        Some("it is empty")
    } else if id.len() > MAX_ID_LEN {
        Some("it is longer than 128 characters")
    } else if id.starts_with('.') {
        Some("it starts with '.'")
    } else if id.contains("..") {
        Some("it contains \"..\"")
    } else if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        Some("only ASCII letters, digits, '_', '.' and '-' are allowed")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidId {
            kind: kind.to_owned(),
            id: id.chars().take(MAX_ID_LEN + 8).collect(),
            reason,
        }),
    }
}

/// The version current at `at` among `versions` (newest first, as in the manifest): the latest
/// published at or before `at`; on a publication-time tie, the one listed first (published later).
fn current_at(versions: &[Version], at: DateTime<Utc>) -> Option<&Version> {
    versions
        .iter()
        .enumerate()
        .filter(|(_, v)| v.published_at <= at)
        .max_by(|(ia, a), (ib, b)| a.published_at.cmp(&b.published_at).then(ib.cmp(ia)))
        .map(|(_, v)| v)
}

/// The data directory. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
    /// When set, reads answer from this manifest instead of `manifest.json` (see [`Store::pinned`]).
    pinned: Option<Arc<Manifest>>,
}

struct Inner {
    root: PathBuf,
    keep: usize,
    pause: Option<Duration>,
    lock: StoreLock,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.inner.root)
            .field("keep", &self.inner.keep)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating it if needed) the data directory at `root`, keeping `keep` (>= 1) versions
    /// per dataset, and removes what a crash may have left there. Fails with
    /// [`StoreError::NotWritable`] when the directory cannot be created or written to.
    pub fn open(root: impl Into<PathBuf>, keep: usize) -> Result<Store> {
        let root = root.into();
        if keep == 0 {
            return Err(StoreError::InvalidKeep);
        }
        let not_writable = |source| StoreError::NotWritable {
            path: root.clone(),
            source,
        };
        fs::create_dir_all(root.join(DATASETS_DIR)).map_err(not_writable)?;
        let root = fs::canonicalize(&root).map_err(not_writable)?;
        probe_writable(&root).map_err(|source| StoreError::NotWritable {
            path: root.clone(),
            source,
        })?;
        let lock =
            StoreLock::open(&root.join(LOCK_FILE)).map_err(|source| StoreError::NotWritable {
                path: root.clone(),
                source,
            })?;
        let store = Store {
            inner: Arc::new(Inner {
                root,
                keep,
                pause: pause_from_env(),
                lock,
            }),
            pinned: None,
        };
        store.recover()?;
        Ok(store)
    }

    /// The data directory (absolute).
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// How many versions are kept per dataset.
    pub fn keep(&self) -> usize {
        self.inner.keep
    }

    /// Writes `batches` as a new version of `dataset` and makes it current, atomically. Keeps the
    /// newest `keep` versions and deletes the files of the others.
    #[tracing::instrument(skip_all, fields(dataset = %dataset))]
    pub fn publish(
        &self,
        dataset: &str,
        batches: &[RecordBatch],
        mut meta: VersionMeta,
    ) -> Result<Version> {
        validate_id("dataset", dataset)?;
        // Kept as RFC 3339, as a manifest reads back ([`rfc3339`]).
        meta.upstream_updated = meta.upstream_updated.as_deref().map(rfc3339);
        let base = base_version_id(&meta)?;
        if batches.is_empty() {
            return Err(StoreError::NoBatches {
                dataset: dataset.to_owned(),
            });
        }
        let rows: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        let dir = self.datasets_dir().join(dataset);

        // Write outside the lock, so publishers of different datasets write in parallel. The
        // directory and the temporary file are created under the lock (and the file holds its own
        // lock while open) so `open` in another process never mistakes them for crash leftovers.
        let mut version = free_version_id(&self.load_manifest()?, dataset, &dir, &base);
        let mut temp = {
            let _guard = self.lock()?;
            self.ensure_dataset_dir(&dir)?;
            TempFile::create(&dir, "parquet").map_err(|source| fs_error(&dir, source))?
        };
        let mut written = parquet::write(
            temp.file(),
            batches,
            parquet::key_values(dataset, &version, &meta, rows)?,
        )?;
        self.pause("Wrote the temporary file.");

        let _guard = self.lock()?;
        let mut manifest = self.load_manifest()?;
        let free = free_version_id(&manifest, dataset, &dir, &base);
        if free != version {
            // Another publisher took the name meanwhile: write again under a free one.
            temp = TempFile::create(&dir, "parquet").map_err(|source| fs_error(&dir, source))?;
            written = parquet::write(
                temp.file(),
                batches,
                parquet::key_values(dataset, &free, &meta, rows)?,
            )?;
            version = free;
        }
        let final_path = dir.join(format!("{version}.parquet"));
        temp.persist(&final_path)
            .map_err(|source| fs_error(&final_path, source))?;
        self.pause("Renamed the temporary file.");
        fsutil::sync_dir(&dir).map_err(|source| fs_error(&dir, source))?;
        self.pause("About to update the manifest.");

        let published = Version {
            dataset: dataset.to_owned(),
            path: format!("{DATASETS_DIR}/{dataset}/{version}.parquet"),
            version,
            rows: written.rows,
            bytes: written.bytes,
            file_sha256: written.sha256,
            published_at: Utc::now(),
            meta,
        };
        let entry = manifest
            .datasets
            .entry(dataset.to_owned())
            .or_insert_with(|| DatasetEntry {
                current: String::new(),
                versions: Vec::new(),
            });
        entry.versions.insert(0, published.clone());
        entry.versions.truncate(self.inner.keep);
        entry.current = published.version.clone();
        manifest.save(self.root())?;
        self.prune_dataset(dataset, &dir, &manifest);
        tracing::info!(
            version = %published.version,
            rows = published.rows,
            bytes = published.bytes,
            "Published a version."
        );
        Ok(published)
    }

    /// The current version of `dataset`, if it has one.
    pub fn current(&self, dataset: &str) -> Result<Option<Version>> {
        validate_id("dataset", dataset)?;
        self.with_manifest(|manifest| {
            manifest
                .datasets
                .get(dataset)
                .and_then(DatasetEntry::current_version)
                .cloned()
        })
    }

    /// The kept versions of `dataset`, newest first (empty for an unknown dataset).
    pub fn versions(&self, dataset: &str) -> Result<Vec<Version>> {
        validate_id("dataset", dataset)?;
        self.with_manifest(|manifest| {
            manifest
                .datasets
                .get(dataset)
                .map(|entry| entry.versions.clone())
                .unwrap_or_default()
        })
    }

    /// One kept version; [`StoreError::NotFound`] if the store does not keep it.
    pub fn version(&self, dataset: &str, version: &str) -> Result<Version> {
        validate_id("dataset", dataset)?;
        validate_id("version", version)?;
        self.with_manifest(|manifest| {
            manifest
                .datasets
                .get(dataset)
                .and_then(|entry| entry.version(version))
                .cloned()
        })?
        .ok_or_else(|| StoreError::NotFound {
            dataset: dataset.to_owned(),
            version: Some(version.to_owned()),
        })
    }

    /// The version that was current at `at`: the newest kept one published at or before `at`
    /// (`None` if `at` is before every kept version).
    pub fn as_of(&self, dataset: &str, at: DateTime<Utc>) -> Result<Option<Version>> {
        let versions = self.versions(dataset)?;
        Ok(current_at(&versions, at).cloned())
    }

    /// The whole manifest, as last written.
    pub fn manifest(&self) -> Result<Manifest> {
        self.read_manifest()
    }

    /// Opens a version's file for reading its exact bytes (e.g. a download whose checksum must
    /// match `file_sha256`). On Unix the open file stays readable even if the version is pruned.
    pub fn open_file(&self, v: &Version) -> Result<File> {
        validate_id("dataset", &v.dataset)?;
        validate_id("version", &v.version)?;
        let path = self.version_path(&v.dataset, &v.version);
        File::open(&path).map_err(|source| StoreError::Fs { path, source })
    }

    /// Absolute path of a version's file. Built from the version's (checked) ids, not its `path`;
    /// a `Version` with invalid ids (not one the store handed out) maps to a path inside the data
    /// directory that never exists.
    pub fn file_path(&self, v: &Version) -> PathBuf {
        if validate_id("dataset", &v.dataset).is_err()
            || validate_id("version", &v.version).is_err()
        {
            return self.root().join(".invalid-id");
        }
        self.version_path(&v.dataset, &v.version)
    }

    /// All rows of a version (`None`: the current one), as written.
    pub fn read(&self, dataset: &str, version: Option<&str>) -> Result<Vec<RecordBatch>> {
        validate_id("dataset", dataset)?;
        if let Some(version) = version {
            validate_id("version", version)?;
        }
        let mut retried = false;
        loop {
            let found = match version {
                Some(version) => self.version(dataset, version)?,
                None => self.current(dataset)?.ok_or_else(|| StoreError::NotFound {
                    dataset: dataset.to_owned(),
                    version: None,
                })?,
            };
            let path = self.file_path(&found);
            match File::open(&path) {
                Ok(file) => return parquet::read(file),
                // Pruned by a publisher between reading the manifest and opening the file: the
                // manifest no longer names it, so look again.
                Err(error) if error.kind() == io::ErrorKind::NotFound && !retried => {
                    retried = true;
                }
                Err(source) => return Err(StoreError::Fs { path, source }),
            }
        }
    }

    /// Folds one source run into `status.json`.
    pub fn record_run(&self, run: &RunRecord) -> Result<()> {
        validate_id("source", &run.source)?;
        let _guard = self.lock()?;
        let mut file = StatusFile::load(self.root())?;
        let rows_of = |version: &str| {
            self.load_manifest().ok().and_then(|manifest| {
                manifest
                    .datasets
                    .get(&run.source)
                    .and_then(|entry| entry.version(version))
                    .map(|v| v.rows)
            })
        };
        file.sources
            .entry(run.source.clone())
            .or_default()
            .apply(run, rows_of);
        file.save(self.root())
    }

    /// The last known status of every source that has run.
    pub fn statuses(&self) -> Result<BTreeMap<String, SourceStatus>> {
        Ok(StatusFile::load(self.root())?.sources)
    }

    fn lock(&self) -> Result<LockGuard<'_>> {
        let path = self.root().join(LOCK_FILE);
        self.inner
            .lock
            .acquire()
            .map_err(|source| StoreError::Fs { path, source })
    }

    /// The manifest on disk: what publishing and recovery work on, pinned or not.
    fn load_manifest(&self) -> Result<Manifest> {
        Manifest::load(self.root())
    }

    /// `f` over the manifest: the pinned one as it is (a lookup clones only what it returns, not
    /// the whole manifest), else the file's.
    fn with_manifest<R>(&self, f: impl FnOnce(&Manifest) -> R) -> Result<R> {
        match &self.pinned {
            Some(manifest) => Ok(f(manifest)),
            None => Ok(f(&self.load_manifest()?)),
        }
    }

    /// The manifest reads answer from: the pinned one, else the one on disk.
    fn read_manifest(&self) -> Result<Manifest> {
        match &self.pinned {
            Some(manifest) => Ok(Manifest::clone(manifest)),
            None => self.load_manifest(),
        }
    }

    /// This store with its reads (`current`, `versions`, `version`, `as_of`, `manifest`, `read`)
    /// answering from `manifest` instead of the file: a consistent snapshot that later publishes
    /// do not change, so one computation or response never mixes two versions. The files it names
    /// stay readable while open, and for as long as the store keeps them (`keep`). Publishing
    /// through a pinned store still works on the manifest on disk.
    pub fn pinned(&self, manifest: Arc<Manifest>) -> Store {
        Store {
            inner: self.inner.clone(),
            pinned: Some(manifest),
        }
    }

    /// The manifest as it was at `at` (a vintage): each dataset's current version is the one that
    /// was current then ([`Store::as_of`]'s rule); datasets with no kept version that old are left
    /// out, and versions published after `at` are dropped.
    pub fn manifest_as_of(&self, at: DateTime<Utc>) -> Result<Manifest> {
        let mut manifest = self.read_manifest()?;
        manifest.datasets.retain(|_, entry| {
            entry.versions.retain(|v| v.published_at <= at);
            match current_at(&entry.versions, at).map(|v| v.version.clone()) {
                Some(version) => {
                    entry.current = version;
                    true
                }
                None => false,
            }
        });
        Ok(manifest)
    }

    fn datasets_dir(&self) -> PathBuf {
        self.root().join(DATASETS_DIR)
    }

    /// Path of a version's file; both ids must be valid.
    fn version_path(&self, dataset: &str, version: &str) -> PathBuf {
        self.datasets_dir()
            .join(dataset)
            .join(format!("{version}.parquet"))
    }

    /// Creates `dir` (a dataset's directory) durably if it does not exist. Call with the lock held.
    fn ensure_dataset_dir(&self, dir: &Path) -> Result<()> {
        if !dir.is_dir() {
            let parent = self.datasets_dir();
            fs::create_dir_all(dir).map_err(|source| fs_error(dir, source))?;
            fsutil::sync_dir(&parent).map_err(|source| fs_error(&parent, source))?;
        }
        Ok(())
    }

    fn pause(&self, step: &'static str) {
        if let Some(pause) = self.inner.pause {
            tracing::debug!(
                step,
                ms = pause.as_millis(),
                "Pausing the publish ({PUBLISH_PAUSE_ENV})."
            );
            std::thread::sleep(pause);
        }
    }

    /// Deletes the Parquet files of `dataset` that `manifest` does not name (versions just dropped
    /// beyond `keep`, or crash orphans). Call with the lock held, after saving `manifest`.
    /// Best effort: the publish has succeeded, so failures are only logged.
    fn prune_dataset(&self, dataset: &str, dir: &Path, manifest: &Manifest) {
        if let Err(error) = remove_unreferenced(dataset, dir, manifest) {
            tracing::warn!(dataset, %error, "Failed to delete dropped versions.");
        }
    }

    /// Removes crash leftovers: unlocked temporary files and Parquet files no manifest entry names.
    fn recover(&self) -> Result<()> {
        let _guard = self.lock()?;
        let root = self.root();
        remove_stale_temps(root)?;
        let manifest = self.load_manifest()?;
        let datasets = self.datasets_dir();
        let entries = fs::read_dir(&datasets).map_err(|source| fs_error(&datasets, source))?;
        for entry in entries {
            let entry = entry.map_err(|source| fs_error(&datasets, source))?;
            let Some(dataset) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let dir = entry.path();
            if validate_id("dataset", &dataset).is_err() || !dir.is_dir() {
                continue;
            }
            remove_stale_temps(&dir)?;
            remove_unreferenced(&dataset, &dir, &manifest)?;
            if !manifest.datasets.contains_key(&dataset) {
                // Only succeeds when empty; a dataset whose first publish crashed.
                let _ = fs::remove_dir(&dir);
            }
        }
        Ok(())
    }
}

fn fs_error(path: &Path, source: io::Error) -> StoreError {
    StoreError::Fs {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates, syncs and removes a temporary file in `root`.
fn probe_writable(root: &Path) -> io::Result<()> {
    use std::io::Write;
    let temp = TempFile::create(root, "probe")?;
    let mut file = temp.file();
    file.write_all(b"desi-city")?;
    file.sync_all()
}

fn pause_from_env() -> Option<Duration> {
    let value = std::env::var(PUBLISH_PAUSE_ENV).ok()?;
    match value.trim().parse::<u64>() {
        Ok(0) => None,
        Ok(ms) => {
            tracing::warn!(
                ms,
                "{PUBLISH_PAUSE_ENV} is set: publishing will pause between steps."
            );
            Some(Duration::from_millis(ms))
        }
        Err(error) => {
            tracing::warn!(%value, %error, "Ignoring {PUBLISH_PAUSE_ENV}: not a number of milliseconds.");
            None
        }
    }
}

/// `"{fetched_at:%Y%m%dT%H%M%SZ}-{first 8 hex of sha256}"`.
fn base_version_id(meta: &VersionMeta) -> Result<String> {
    let sha = meta.sha256.as_str();
    if sha.len() < 8 {
        return Err(StoreError::InvalidMeta {
            field: "sha256",
            reason: "is shorter than 8 hex digits",
        });
    }
    if !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::InvalidMeta {
            field: "sha256",
            reason: "is not hexadecimal",
        });
    }
    let prefix = sha.get(..8).unwrap_or(sha).to_ascii_lowercase();
    Ok(format!(
        "{}-{prefix}",
        meta.fetched_at.format("%Y%m%dT%H%M%SZ")
    ))
}

/// `base`, or `base-2`, `base-3`, … : the first id neither in the manifest nor on disk.
fn free_version_id(manifest: &Manifest, dataset: &str, dir: &Path, base: &str) -> String {
    let taken =
        |id: &str| manifest.references(dataset, id) || dir.join(format!("{id}.parquet")).exists();
    if !taken(base) {
        return base.to_owned();
    }
    let mut n = 2u64;
    loop {
        let candidate = format!("{base}-{n}");
        if !taken(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// Removes temporary files in `dir` that no live writer holds.
fn remove_stale_temps(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|source| fs_error(dir, source))?;
    for entry in entries {
        let entry = entry.map_err(|source| fs_error(dir, source))?;
        let name = entry.file_name();
        if !fsutil::is_temp_name(&name.to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        if fsutil::remove_if_stale(&path).map_err(|source| fs_error(&path, source))? {
            tracing::warn!(path = %path.display(), "Removed a temporary file left by a crash.");
        }
    }
    Ok(())
}

/// Removes `{dir}/*.parquet` files that `manifest` does not name for `dataset`.
fn remove_unreferenced(dataset: &str, dir: &Path, manifest: &Manifest) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|source| fs_error(dir, source))?;
    let mut removed = false;
    for entry in entries {
        let entry = entry.map_err(|source| fs_error(dir, source))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(version) = name.strip_suffix(".parquet") else {
            continue;
        };
        if fsutil::is_temp_name(name) || manifest.references(dataset, version) {
            continue;
        }
        let path = entry.path();
        match fs::remove_file(&path) {
            Ok(()) => {
                removed = true;
                tracing::info!(
                    dataset,
                    version,
                    "Deleted a Parquet file the manifest no longer names."
                );
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(StoreError::Fs { path, source }),
        }
    }
    if removed {
        fsutil::sync_dir(dir).map_err(|source| fs_error(dir, source))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
