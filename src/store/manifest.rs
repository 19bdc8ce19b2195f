//! `manifest.json`: which versions of each dataset the store keeps, newest first, and which one is
//! current. Loading and atomic saving only; the store decides what goes in.
//!
//! Must not: write `manifest.json` other than through [`super::fsutil::write_atomic`] (readers read
//! it without the lock and must always see a whole file), or be written without the store lock.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{MANIFEST_FILE, Result, StoreError, Version, fsutil};

/// The manifest format this code writes and understands.
pub const MANIFEST_FORMAT: u32 = 1;

/// Every kept version of every dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub datasets: BTreeMap<String, DatasetEntry>,
}

/// The kept versions of one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetEntry {
    /// Id of the current version (the newest published).
    pub current: String,
    /// Newest first.
    pub versions: Vec<Version>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            format: MANIFEST_FORMAT,
            datasets: BTreeMap::new(),
        }
    }
}

impl Manifest {
    /// Reads `{root}/manifest.json`; a store that never published has an empty manifest.
    pub(super) fn load(root: &Path) -> Result<Manifest> {
        let path = root.join(MANIFEST_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(Manifest::default());
            }
            Err(source) => return Err(StoreError::Fs { path, source }),
        };
        let manifest: Manifest = serde_json::from_slice(&bytes)?;
        if manifest.format > MANIFEST_FORMAT {
            return Err(StoreError::UnsupportedFormat {
                path,
                format: manifest.format,
            });
        }
        Ok(manifest)
    }

    /// Atomically replaces `{root}/manifest.json`. Call with the store lock held.
    pub(super) fn save(&self, root: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self)?;
        let path = root.join(MANIFEST_FILE);
        fsutil::write_atomic(root, &path, &bytes).map_err(|source| StoreError::Fs { path, source })
    }

    /// Whether the manifest names this version of this dataset.
    pub fn references(&self, dataset: &str, version: &str) -> bool {
        self.datasets
            .get(dataset)
            .is_some_and(|entry| entry.version(version).is_some())
    }
}

impl DatasetEntry {
    /// The current version, if the manifest is consistent.
    pub fn current_version(&self) -> Option<&Version> {
        self.version(&self.current)
    }

    /// One kept version by id.
    pub fn version(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.version == id)
    }
}
