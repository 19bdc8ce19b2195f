//! Hot swap: the API answers every request from one immutable [`Snapshot`] of the store (a pinned
//! manifest) and the [`Figures`] computed from it, and swaps in a new one atomically when a fetch
//! publishes, once its figures are computed (only what the publish changed is recomputed). A
//! request takes the snapshot once, at its start, so it finishes on the data it began with and no
//! response mixes two versions. Must not write to the store.

use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::indicators::figures::Figures;
use crate::indicators::model::Model;
use crate::store::{Manifest, Store, StoreError, Version};

/// The store as of one moment.
pub struct Snapshot {
    /// A store whose reads answer from `manifest` (see [`Store::pinned`]).
    pub store: Store,
    pub manifest: Arc<Manifest>,
    /// A short hash of every dataset's current version: part of the ETag of answers that depend
    /// on the whole store.
    pub id: String,
    /// The newest `published_at` of the current versions (the store's `Last-Modified`).
    pub modified: Option<DateTime<Utc>>,
    /// Every figure, computed from this snapshot.
    pub figures: Arc<Figures>,
}

impl Snapshot {
    /// The snapshot of `manifest` with its figures, reusing from `previous` what did not change.
    /// Blocking (DuckDB).
    fn new(
        store: &Store,
        manifest: Manifest,
        model: &Arc<Model>,
        previous: Option<&Figures>,
    ) -> Snapshot {
        let mut hash = Sha256::new();
        let mut modified = None;
        for (dataset, entry) in &manifest.datasets {
            hash.update(dataset.as_bytes());
            hash.update([0]);
            hash.update(entry.current.as_bytes());
            hash.update([0]);
            if let Some(v) = entry.current_version() {
                modified = modified.max(Some(v.published_at));
            }
        }
        let manifest = Arc::new(manifest);
        let pinned = store.pinned(manifest.clone());
        let figures = Arc::new(Figures::build(model.clone(), &pinned, previous));
        tracing::info!(
            computed = figures.stats.tables_computed + figures.stats.composites_computed,
            kept = figures.stats.tables_kept,
            elapsed_ms = figures.stats.elapsed.as_millis() as u64,
            "Figures computed."
        );
        for stale in &figures.stale {
            tracing::warn!(what = %stale.what, error = %stale.error, "Recompute failed; the previous figures are still served.");
        }
        Snapshot {
            store: pinned,
            id: hex::encode(&hash.finalize()[..8]),
            manifest,
            modified,
            figures,
        }
    }

    /// The current version of `dataset` in this snapshot.
    pub fn current(&self, dataset: &str) -> Option<&Version> {
        self.manifest.datasets.get(dataset)?.current_version()
    }

    /// The snapshot as it was at `at` (`?as_of=`): each dataset at the version current then,
    /// with its figures (what the versions share with this snapshot is not recomputed).
    /// Blocking (DuckDB).
    pub fn as_of(&self, at: DateTime<Utc>) -> Result<Snapshot, StoreError> {
        Ok(Snapshot::new(
            &self.store,
            self.store.manifest_as_of(at)?,
            self.figures.model(),
            Some(&self.figures),
        ))
    }
}

/// The current snapshot, swapped atomically.
pub struct Live {
    store: Store,
    model: Arc<Model>,
    current: ArcSwap<Snapshot>,
}

impl Live {
    /// The store's current snapshot, with its figures computed. Blocking (DuckDB).
    pub fn open(store: Store, model: Arc<Model>) -> Result<Live, StoreError> {
        let snapshot = Snapshot::new(&store, store.manifest()?, &model, None);
        region_names(&snapshot.store);
        Ok(Live {
            store,
            model,
            current: ArcSwap::from_pointee(snapshot),
        })
    }

    /// The snapshot to answer one request from. Lock-free.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Re-reads the manifest and swaps in a new snapshot if any dataset's versions changed;
    /// `true` when it did. Blocking (reads a file, computes what the change needs). A manifest
    /// that cannot be read keeps the current snapshot.
    pub fn reload(&self) -> Result<bool, StoreError> {
        let manifest = self.store.manifest()?;
        if *self.current.load().manifest == manifest {
            return Ok(false);
        }
        let previous = self.current.load_full();
        let snapshot = Snapshot::new(&self.store, manifest, &self.model, Some(&previous.figures));
        region_names(&snapshot.store);
        tracing::info!(snapshot = %snapshot.id, "Serving a new version of the data.");
        self.current.store(Arc::new(snapshot));
        Ok(true)
    }
}

/// Gives the charts and the pages the region names of `store`'s current region shapes
/// (`charts::style::geo_name`); without shapes, or shapes that cannot be read (logged), the
/// names already set stay.
fn region_names(store: &Store) {
    match crate::geo::names(store) {
        Ok(Some(names)) => crate::charts::style::set_region_names(names),
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "Region names could not be read."),
    }
}

/// Reloads `live` every `every`, for publishes by other processes (`desi-city fetch` next to
/// `serve`); in-process refreshes reload at once.
pub async fn watch(live: Arc<Live>, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let live = live.clone();
        match tokio::task::spawn_blocking(move || live.reload()).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "Could not re-read the manifest."),
            Err(error) => tracing::warn!(%error, "Manifest watcher failed."),
        }
    }
}
