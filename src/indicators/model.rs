//! The definitions every figure is computed with, loaded once at start (each folder on disk or
//! built in, [`Folders`]): the indicator files of `indicators/`, the geo groups of
//! `datasets/geo-groups.toml`, the DESI methodologies of `indicators/methodology/`, desi-city's
//! regional scorecard and the roadmaps of `indicators/roadmaps/`. A file that does not load is recorded in [`Model::problems`] (with the
//! file, the key and the fix) and only what needs it is unavailable; the others keep working.
//!
//! Must not read the store or run DuckDB: files in, definitions out.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::definitions::{self, Definitions};
use super::desi::{self, Edition, Methodology};
use super::{IndicatorError, regional, roadmap};
use crate::catalog::{Catalog, CatalogError, Folder, GeoGroups};
use crate::config::Settings;

/// Where the definitions come from: each folder on disk or built in.
#[derive(Debug, Clone, PartialEq)]
pub struct Folders {
    /// `datasets/` (for `geo-groups.toml`).
    pub datasets: Folder,
    /// `indicators/` (indicator files, `regional/`).
    pub indicators: Folder,
    /// `indicators/methodology/` (the DESI methodologies).
    pub methodology: Folder,
    /// `indicators/roadmaps/`.
    pub roadmaps: Folder,
}

impl Folders {
    /// The folders the settings name, the built-in ones for the others.
    pub fn of(settings: &Settings) -> Folders {
        Folders {
            datasets: settings.datasets(),
            indicators: settings.indicators(),
            methodology: settings.methodology(),
            roadmaps: settings.roadmaps(),
        }
    }
}

/// Everything loaded.
pub struct Model {
    pub definitions: Definitions,
    pub groups: GeoGroups,
    /// Both DESI methodologies, each loaded or why not.
    pub desi: Vec<(Edition, Result<Methodology, Arc<IndicatorError>>)>,
    pub regional: Result<regional::Method, Arc<IndicatorError>>,
    pub roadmaps: Vec<roadmap::Roadmap>,
    /// One line per file that did not load.
    pub problems: Vec<String>,
    /// A hash of everything loaded: part of every ETag of answers computed from definitions, so
    /// a restart with changed files changes them.
    pub id: String,
}

impl Model {
    /// Loads the definitions; only an unreadable or invalid geo groups file fails the whole
    /// load (every rank needs it).
    pub fn load(catalog: &Catalog, folders: &Folders) -> Result<Model, CatalogError> {
        let groups = GeoGroups::load_from(&folders.datasets)?;
        let mut problems = Vec::new();
        // Without the folder, the datasets are still served; the figures are unavailable.
        let definitions = match definitions::load(&folders.indicators, catalog) {
            Ok(d) => d,
            Err(e) => {
                problems.push(e.to_string());
                Definitions::default()
            }
        };
        problems.extend(definitions.errors.iter().map(|e| e.to_string()));
        let desi = [Edition::Desi2022, Edition::Desi2020]
            .into_iter()
            .map(|edition| {
                let loaded = desi::load(&folders.methodology, edition).map_err(Arc::new);
                if let Err(e) = &loaded {
                    problems.push(e.to_string());
                }
                (edition, loaded)
            })
            .collect();
        let regional = regional::Method::load(&folders.indicators).map_err(Arc::new);
        if let Err(e) = &regional {
            problems.push(e.to_string());
        }
        let roadmaps =
            match roadmap::load_all(&folders.roadmaps, &roadmap::known_indicators(&definitions)) {
                Ok((mut roadmaps, errors)) => {
                    problems.extend(errors.iter().map(|e| e.to_string()));
                    // A target on an indicator of another unit is refused alone.
                    for r in &mut roadmaps {
                        problems.extend(
                            roadmap::check_units(r, &definitions)
                                .iter()
                                .map(|e| e.to_string()),
                        );
                    }
                    roadmaps
                }
                Err(e) => {
                    problems.push(e.to_string());
                    Vec::new()
                }
            };
        let mut hash = Sha256::new();
        hash.update(format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}",
            definitions.indicators, groups, desi, regional, roadmaps
        ));
        Ok(Model {
            id: hex::encode(&hash.finalize()[..16]),
            definitions,
            groups,
            desi,
            regional,
            roadmaps,
            problems,
        })
    }

    /// A methodology, or why it did not load.
    pub fn methodology(
        &self,
        edition: Edition,
    ) -> Option<&Result<Methodology, Arc<IndicatorError>>> {
        self.desi
            .iter()
            .find(|(e, _)| *e == edition)
            .map(|(_, m)| m)
    }
}
