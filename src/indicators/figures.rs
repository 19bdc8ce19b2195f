//! The engine: every figure desi-city publishes, computed once per version of the data. A
//! [`Figures`] holds, for one snapshot of the store, each indicator's whole [`Table`] (every geo
//! and period, with EU value, ranks in every group, change and version), the Commission's
//! composite DESI of both methodologies with ranks, the inputs of the regional scorecard, and the
//! progress of every roadmap target. The CLI, the API and the charts read it alike: each question
//! ([`Figures::series`], [`Figures::dimensions`], [`Figures::desi`], [`Figures::scorecards`],
//! [`Figures::roadmap`]) selects from what is held, with no SQL.
//!
//! [`Figures::build`] is the only place that runs DuckDB here. Given the previous figures, it
//! recomputes only what a publish changed (an indicator whose sources kept their versions keeps
//! its table), and keeps serving the previous result, recorded in [`Figures::stale`], when a
//! recompute fails. Must not write to the store, fetch, or know anything of HTTP or the command
//! line.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::definitions::Indicator;
use super::desi::{self, Composite, Edition, Methodology, Score};
use super::model::Model;
use super::regional::{self, Scorecard};
use super::roadmap::{self, Progress, Roadmap};
use super::values::{self, IndicatorValue, Table};
use super::{IndicatorError, Result};
use crate::catalog::DesiDimension;
use crate::store::Store;

/// A figure computed once, or why it could not be (shared by every answer that asks for it).
pub type Computed<T> = std::result::Result<Arc<T>, Arc<IndicatorError>>;

/// A composite score with its rank among the methodology's member states in the same edition,
/// level and code (ties share a rank; the aggregate is not ranked).
#[derive(Debug, Clone, PartialEq)]
pub struct RankedScore {
    pub score: Score,
    pub rank: Option<u32>,
    /// How many member states have a score there.
    pub ranked: u32,
}

/// One methodology's composite over every edition, ranked.
#[derive(Debug)]
pub struct Desi {
    pub scores: Vec<RankedScore>,
    pub notes: Vec<String>,
    /// The store version of the methodology's input dataset that was read.
    pub version: Option<String>,
}

/// A recompute that failed while the previous result is still served.
#[derive(Debug, Clone)]
pub struct Stale {
    /// What is stale: `indicator <id>` or `desi <methodology>`.
    pub what: String,
    /// The datasets whose new versions could not be computed.
    pub datasets: Vec<String>,
    pub error: Arc<IndicatorError>,
}

/// How a build went.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildStats {
    pub tables_computed: usize,
    pub tables_kept: usize,
    pub composites_computed: usize,
    pub elapsed: Duration,
}

/// Rows selected from an indicator's table.
#[derive(Debug, Clone)]
pub struct Selection {
    pub table: Arc<Table>,
    /// Indices into `table.rows`, in the order asked.
    pub rows: Vec<usize>,
}

/// One indicator's latest value for a geo, or why there is none.
#[derive(Debug, Clone)]
pub struct Latest<'a> {
    pub indicator: &'a Indicator,
    pub value: std::result::Result<(&'a IndicatorValue, &'a Table), Unavailable>,
}

/// Why an indicator has no value for a geo. The words say what is missing, not what to run: the
/// API and the command line add that.
#[derive(Debug, Clone)]
pub enum Unavailable {
    /// The source has no version in the store.
    NotFetched { dataset: String },
    /// The table could not be computed (the engine's error, shared with every other reader).
    Failed(Arc<IndicatorError>),
    /// The source has no row for the geo.
    NoGeo { dataset: String },
    /// Rows, but none with a value (up to the year asked).
    NoValue { dataset: String },
}

impl PartialEq for Unavailable {
    fn eq(&self, other: &Unavailable) -> bool {
        match (self, other) {
            (Unavailable::NotFetched { dataset: a }, Unavailable::NotFetched { dataset: b })
            | (Unavailable::NoGeo { dataset: a }, Unavailable::NoGeo { dataset: b })
            | (Unavailable::NoValue { dataset: a }, Unavailable::NoValue { dataset: b }) => a == b,
            (Unavailable::Failed(a), Unavailable::Failed(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::NotFetched { dataset } => write!(f, "{dataset} has not been fetched yet"),
            Unavailable::Failed(why) => write!(f, "{why}"),
            Unavailable::NoGeo { dataset } => write!(f, "{dataset} has no data for this geo"),
            Unavailable::NoValue { dataset } => write!(f, "no value in {dataset}"),
        }
    }
}

/// One DESI dimension's indicators for a geo.
#[derive(Debug, Clone)]
pub struct DimensionCard<'a> {
    pub dimension: DesiDimension,
    pub lines: Vec<Latest<'a>>,
}

/// Everything computed from one snapshot.
pub struct Figures {
    model: Arc<Model>,
    /// Each dataset's current version in the snapshot computed from.
    versions: BTreeMap<String, String>,
    /// By indicator id.
    tables: BTreeMap<String, Computed<Table>>,
    desi: Vec<(Edition, Computed<Desi>)>,
    regional: Computed<regional::Inputs>,
    /// Scorecards computed so far (the capital regions at build time, others when first asked).
    scorecards: Mutex<BTreeMap<String, Computed<Scorecard>>>,
    /// By roadmap id: the roadmap with its target values read from the published facts
    /// (`value_from`), and every target's progress for its own geos.
    roadmaps: BTreeMap<String, (Arc<Roadmap>, Vec<Progress>)>,
    pub stale: Vec<Stale>,
    /// Definitions that the data shows to be wrong (e.g. a peer group naming a geo no dataset
    /// has), each naming the file, the key and the fix.
    pub problems: Vec<String>,
    pub stats: BuildStats,
}

enum Job<'a> {
    /// Indicator tables, computed in one statement.
    Tables(Vec<&'a Indicator>),
    Desi(Edition, &'a Methodology),
    /// A roadmap whose target values are read from the store (`value_from`).
    Resolve(&'a Roadmap),
}

enum Done {
    Table(String, Result<Table>),
    Desi(Edition, Result<Composite>),
    Resolved(Roadmap, Vec<String>),
}

/// How many threads a build uses: the cores, at most 4.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(4))
}

impl Figures {
    /// Computes every figure over `store` (a pinned snapshot), reusing from `previous` what did
    /// not change. Never fails as a whole: what cannot be computed is held as its error (or, when
    /// `previous` had it, as the previous result, recorded in [`Figures::stale`]). Blocking
    /// (DuckDB, on up to [`workers`] threads).
    pub fn build(model: Arc<Model>, store: &Store, previous: Option<&Figures>) -> Figures {
        let started = Instant::now();
        let mut stats = BuildStats::default();
        let mut tables: BTreeMap<String, Computed<Table>> = BTreeMap::new();
        let mut desi: Vec<(Edition, Computed<Desi>)> = Vec::new();
        let mut jobs: Vec<Job<'_>> = Vec::new();
        let current = |dataset: &str| store.current(dataset).ok().flatten().map(|v| v.version);

        for (edition, method) in &model.desi {
            match method {
                Err(e) => desi.push((*edition, Err(e.clone()))),
                Ok(method) => {
                    let kept = previous.and_then(|p| p.desi_of(*edition)).filter(|d| {
                        d.as_ref()
                            .is_ok_and(|d| d.version == current(method.dataset()))
                    });
                    match kept {
                        Some(d) => desi.push((*edition, d.clone())),
                        // Slow jobs first, so the threads finish together.
                        None => jobs.insert(0, Job::Desi(*edition, method)),
                    }
                }
            }
        }
        let mut tables_to_compute = Vec::new();
        for indicator in &model.definitions.indicators {
            let kept = previous
                .and_then(|p| p.tables.get(&indicator.id))
                .and_then(|t| t.as_ref().ok())
                .filter(|t| {
                    t.versions
                        .iter()
                        .all(|v| current(&v.dataset).as_deref() == Some(v.version.as_str()))
                        && current(&indicator.source).is_some()
                });
            match kept {
                Some(t) => {
                    stats.tables_kept += 1;
                    tables.insert(indicator.id.clone(), Ok(t.clone()));
                }
                None => tables_to_compute.push(indicator),
            }
        }
        // The composites (the slowest jobs after the tables) take a thread each; the tables share
        // the threads left, at least one, in one batch per thread (a batch shares one plan), and
        // go first. On two cores: the tables on one, both composites on the other.
        let table_threads = workers().saturating_sub(jobs.len()).max(1);
        let per_batch = tables_to_compute.len().div_ceil(table_threads).max(1);
        let batches = tables_to_compute
            .chunks(per_batch)
            .map(|batch| Job::Tables(batch.to_vec()));
        jobs.splice(0..0, batches);

        let mut resolved: BTreeMap<String, Arc<Roadmap>> = BTreeMap::new();
        for r in &model.roadmaps {
            match kept_roadmap(r, store, previous) {
                Some(kept) => {
                    resolved.insert(r.id.clone(), kept);
                }
                None => jobs.push(Job::Resolve(r)),
            }
        }
        let mut problems = Vec::new();

        let done = run(&model, store, &jobs);
        let mut stale = Vec::new();
        for result in done {
            match result {
                Done::Table(id, result) => {
                    stats.tables_computed += 1;
                    let result = match result {
                        Ok(table) => Ok(Arc::new(table)),
                        Err(error) => {
                            let before = previous
                                .and_then(|p| p.tables.get(&id))
                                .and_then(|t| t.as_ref().ok());
                            let datasets =
                                |t: &Table| t.versions.iter().map(|v| v.dataset.clone()).collect();
                            keep_previous(
                                error,
                                before,
                                format!("indicator {id}"),
                                datasets,
                                &mut stale,
                            )
                        }
                    };
                    tables.insert(id, result);
                }
                Done::Desi(edition, result) => {
                    stats.composites_computed += 1;
                    let method = model.methodology(edition).and_then(|m| m.as_ref().ok());
                    let result = match (result, method) {
                        (Ok(composite), Some(method)) => {
                            Ok(Arc::new(rank(composite, method, current(method.dataset()))))
                        }
                        (Err(error), method) => {
                            let before = previous
                                .and_then(|p| p.desi_of(edition))
                                .and_then(|d| d.as_ref().ok());
                            let datasets = |_: &Desi| {
                                method
                                    .map(|m| vec![m.dataset().to_owned()])
                                    .unwrap_or_default()
                            };
                            keep_previous(
                                error,
                                before,
                                format!("desi {edition}"),
                                datasets,
                                &mut stale,
                            )
                        }
                        (Ok(_), None) => continue,
                    };
                    desi.push((edition, result));
                }
                Done::Resolved(roadmap, notes) => {
                    problems.extend(
                        notes
                            .into_iter()
                            .filter(|note| !note.contains("target value "))
                            .map(|note| format!("{}: {note}", roadmap.file.display())),
                    );
                    resolved.insert(roadmap.id.clone(), Arc::new(roadmap));
                }
            }
        }
        desi.sort_by_key(|(e, _)| *e != Edition::Desi2022);

        let lookup = |indicator: &Indicator| -> Computed<Table> {
            tables.get(&indicator.id).cloned().unwrap_or_else(|| {
                Err(Arc::new(IndicatorError::NoData {
                    dataset: indicator.source.clone(),
                    load: indicator.load.clone(),
                }))
            })
        };
        let regional = match &model.regional {
            Err(e) => Err(e.clone()),
            Ok(method) => {
                regional::Inputs::gather(&model.groups, &model.definitions, method, &lookup)
                    .map(Arc::new)
                    .map_err(Arc::new)
            }
        };
        let mut scorecards = BTreeMap::new();
        if let (Ok(inputs), Ok(method)) = (&regional, &model.regional) {
            for capital in inputs.capitals() {
                scorecards.insert(
                    capital.clone(),
                    inputs
                        .score(method, capital)
                        .map(Arc::new)
                        .map_err(Arc::new),
                );
            }
        }
        let versions: BTreeMap<String, String> = store
            .manifest()
            .map(|m| {
                m.datasets
                    .iter()
                    .map(|(dataset, entry)| (dataset.clone(), entry.current.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let roadmaps = model
            .roadmaps
            .iter()
            .map(|r| {
                let resolved = resolved
                    .get(&r.id)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(r.clone()));
                let progress = roadmap::progress(&model.definitions, &resolved, &lookup, None);
                (r.id.clone(), (resolved, progress))
            })
            .collect();
        problems.extend(unknown_group_geos(&model, &tables));
        stats.elapsed = started.elapsed();
        Figures {
            versions,
            problems,
            model,
            tables,
            desi,
            regional,
            scorecards: Mutex::new(scorecards),
            roadmaps,
            stale,
            stats,
        }
    }

    /// The definitions these figures were computed with.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The table of an indicator: `None` for an id that has no definition.
    pub fn table(&self, indicator: &str) -> Option<&Computed<Table>> {
        self.tables.get(indicator)
    }

    /// The rows of `indicator` asked for (see [`Table::select`]), with the table they come from;
    /// `None` for an id that has no definition.
    pub fn series(
        &self,
        indicator: &str,
        request: &values::Request,
    ) -> Option<std::result::Result<Selection, Arc<IndicatorError>>> {
        let table = self.tables.get(indicator)?;
        Some(table.clone().map(|table| Selection {
            rows: table.select(request),
            table,
        }))
    }

    /// The latest value (up to `until`) of `indicator` for `geo`, or why there is none.
    pub fn latest<'a>(
        &'a self,
        indicator: &'a Indicator,
        geo: &str,
        until: Option<i32>,
    ) -> Latest<'a> {
        let value = match self.tables.get(&indicator.id) {
            None => Err(Unavailable::NotFetched {
                dataset: indicator.source.clone(),
            }),
            Some(Err(e)) => Err(match e.root() {
                IndicatorError::NoData { dataset, .. } => Unavailable::NotFetched {
                    dataset: dataset.clone(),
                },
                _ => Unavailable::Failed(e.clone()),
            }),
            Some(Ok(table)) => {
                let rows = table.rows_of(geo);
                if rows.is_empty() {
                    Err(Unavailable::NoGeo {
                        dataset: indicator.source.clone(),
                    })
                } else {
                    rows.iter()
                        .rev()
                        .filter(|r| until.is_none_or(|u| r.year.is_some_and(|y| y <= u)))
                        .find(|r| r.value.is_some())
                        .map(|r| (r, table.as_ref()))
                        .ok_or(Unavailable::NoValue {
                            dataset: indicator.source.clone(),
                        })
                }
            }
        };
        Latest { indicator, value }
    }

    /// The five DESI dimensions for `geo`: each indicator's latest value (up to `until`).
    pub fn dimensions(&self, geo: &str, until: Option<i32>) -> Vec<DimensionCard<'_>> {
        DesiDimension::ALL
            .into_iter()
            .map(|dimension| DimensionCard {
                dimension,
                lines: self
                    .model
                    .definitions
                    .indicators
                    .iter()
                    .filter(|i| i.dimension == dimension)
                    .map(|i| self.latest(i, geo, until))
                    .collect(),
            })
            .collect()
    }

    fn desi_of(&self, edition: Edition) -> Option<&Computed<Desi>> {
        self.desi
            .iter()
            .find(|(e, _)| *e == edition)
            .map(|(_, d)| d)
    }

    /// One methodology's composite (every edition), or why not.
    pub fn desi(&self, edition: Edition) -> Option<&Computed<Desi>> {
        self.desi_of(edition)
    }

    /// The regional scorecards of `regions`, each or why not. Plain Rust over the held values.
    pub fn scorecards(&self, regions: &[String]) -> Result<Vec<(String, Computed<Scorecard>)>> {
        let inputs = self
            .regional
            .as_ref()
            .map_err(|e| IndicatorError::Shared(e.clone()))?;
        let method = self
            .model
            .regional
            .as_ref()
            .map_err(|e| IndicatorError::Shared(e.clone()))?;
        let mut known = self
            .scorecards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(regions
            .iter()
            .map(|region| {
                let card = known
                    .entry(region.clone())
                    .or_insert_with(|| inputs.score(method, region).map(Arc::new).map_err(Arc::new))
                    .clone();
                (region.clone(), card)
            })
            .collect())
    }

    /// The progress of every target of roadmap `id` for its own geos; `None` for an unknown id.
    pub fn roadmap(&self, id: &str) -> Option<&[Progress]> {
        self.roadmaps.get(id).map(|(_, p)| p.as_slice())
    }

    /// Roadmap `id` with its target values as published (`value_from`) in this snapshot.
    pub fn roadmap_definition(&self, id: &str) -> Option<&Roadmap> {
        self.roadmaps.get(id).map(|(r, _)| r.as_ref())
    }
}

/// `roadmap` with its target values as the previous figures read them from the store
/// (`value_from`), when the datasets they were read from kept their versions; else `None`, to
/// read them again.
fn kept_roadmap(
    roadmap: &Roadmap,
    store: &Store,
    previous: Option<&Figures>,
) -> Option<Arc<Roadmap>> {
    let before = previous?;
    let unchanged = roadmap
        .targets
        .iter()
        .filter_map(|t| t.value_from.as_ref().map(|f| f.source.as_str()))
        .all(|dataset| {
            let now = store.current(dataset).ok().flatten().map(|v| v.version);
            before.versions.get(dataset) == now.as_ref()
        });
    let (kept, _) = before.roadmaps.get(&roadmap.id).filter(|_| unchanged)?;
    Some(kept.clone())
}

/// Codes of `geo-groups.toml` that no indicator table holds, though some table holds codes of
/// the same level (a country, a NUTS-1 or a NUTS-2 code, told apart by their length).
fn unknown_group_geos(model: &Model, tables: &BTreeMap<String, Computed<Table>>) -> Vec<String> {
    let held: Vec<&Table> = tables
        .values()
        .filter_map(|t| t.as_ref().ok())
        .map(Arc::as_ref)
        .collect();
    let levels: std::collections::BTreeSet<usize> = held
        .iter()
        .flat_map(|t| t.geos().into_iter().map(str::len))
        .collect();
    let mut problems = Vec::new();
    for name in model.groups.names() {
        let Some(group) = model.groups.get(name) else {
            continue;
        };
        let unknown: Vec<&str> = group
            .codes
            .iter()
            .filter(|code| levels.contains(&code.len()) && !held.iter().any(|t| t.has_geo(code)))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            problems.push(format!(
                "{}, [{name}].codes: {} is in no dataset served, so it is never ranked. Check the code (NUTS 2021, as Eurostat writes it: Greece is EL) or remove it.",
                model.groups.file().display(),
                unknown.join(", ")
            ));
        }
    }
    problems
}

/// What a failed recompute leaves served: the previous result when there was one (recorded in
/// `stale` with the datasets it was computed from), unless the input is simply gone (no data);
/// else the error.
fn keep_previous<T>(
    error: IndicatorError,
    before: Option<&Arc<T>>,
    what: String,
    datasets: impl FnOnce(&T) -> Vec<String>,
    stale: &mut Vec<Stale>,
) -> Computed<T> {
    let error = Arc::new(error);
    match before {
        Some(before) if !matches!(error.root(), IndicatorError::NoData { .. }) => {
            stale.push(Stale {
                what,
                datasets: datasets(before),
                error,
            });
            Ok(before.clone())
        }
        _ => Err(error),
    }
}

/// Runs the jobs on up to [`workers`] threads, each with its own DuckDB connection.
fn run(model: &Model, store: &Store, jobs: &[Job<'_>]) -> Vec<Done> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let next = AtomicUsize::new(0);
    let threads = workers().min(jobs.len());
    let work = || {
        let mut done = Vec::new();
        let conn = values::connection(&model.groups).map_err(Arc::new);
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            match job {
                Job::Tables(indicators) => {
                    let computed = match &conn {
                        Ok(conn) => Table::compute_many(conn, store, &model.groups, indicators),
                        Err(e) => indicators
                            .iter()
                            .map(|_| Err(IndicatorError::Shared(e.clone())))
                            .collect(),
                    };
                    done.extend(
                        indicators
                            .iter()
                            .zip(computed)
                            .map(|(i, t)| Done::Table(i.id.clone(), t)),
                    );
                }
                Job::Desi(edition, method) => {
                    done.push(Done::Desi(*edition, desi::compute(store, method, None)))
                }
                Job::Resolve(roadmap) => {
                    let mut resolved = (*roadmap).clone();
                    let notes = roadmap::resolve(&mut resolved, store);
                    done.push(Done::Resolved(resolved, notes));
                }
            }
        }
        done
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for handle in handles {
            // A panicking job is a bug; its figures stay missing rather than taking the rest down.
            if let Ok(done) = handle.join() {
                all.extend(done);
            }
        }
        all
    })
}

/// Ranks each member state's score per edition, level and code (1 = highest; ties share).
pub fn rank(composite: Composite, method: &Methodology, version: Option<String>) -> Desi {
    let members = &method.method.geos.members;
    let mut groups: BTreeMap<(i32, &'static str, String), Vec<f64>> = BTreeMap::new();
    for s in &composite.scores {
        if let Some(v) = s.score
            && members.contains(&s.geo)
        {
            groups
                .entry((s.edition, s.level.as_str(), s.code.clone()))
                .or_default()
                .push(v);
        }
    }
    let scores = composite
        .scores
        .into_iter()
        .map(|s| {
            let peers = groups.get(&(s.edition, s.level.as_str(), s.code.clone()));
            let ranked = peers.map_or(0, |p| p.len() as u32);
            let rank = match (s.score, peers) {
                (Some(v), Some(peers)) if members.contains(&s.geo) => {
                    Some(1 + peers.iter().filter(|other| **other > v).count() as u32)
                }
                _ => None,
            };
            RankedScore {
                score: s,
                rank,
                ranked,
            }
        })
        .collect();
    Desi {
        scores,
        notes: composite.notes,
        version,
    }
}

/// The columns of a composite DESI CSV, alike from the CLI and the API: the score at full
/// precision (Rust's shortest round-trip form; empty when an input is missing), its rank among
/// the member states and how many were ranked, and the level's title.
pub const DESI_CSV_COLUMNS: [&str; 9] = [
    "methodology",
    "edition",
    "geo",
    "level",
    "code",
    "score",
    "rank",
    "ranked",
    "title",
];

/// Writes [`DESI_CSV_COLUMNS`].
pub fn write_csv_header<W: std::io::Write>(w: &mut csv::Writer<W>) -> csv::Result<()> {
    w.write_record(DESI_CSV_COLUMNS)
}

/// Writes one score as a row of [`DESI_CSV_COLUMNS`].
pub fn write_csv_row<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    method: &Methodology,
    s: &RankedScore,
) -> csv::Result<()> {
    let score = &s.score;
    w.write_record([
        score.methodology.as_str(),
        &score.edition.to_string(),
        &score.geo,
        score.level.as_str(),
        &score.code,
        &score.score.map(|v| v.to_string()).unwrap_or_default(),
        &s.rank.map(|r| r.to_string()).unwrap_or_default(),
        &s.rank.map(|_| s.ranked.to_string()).unwrap_or_default(),
        method.title(score.level, &score.code).unwrap_or_default(),
    ])
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::indicators::definitions::Definitions;
    use crate::indicators::values::tests::{SDMX, groups, indicator, publish, store_with_data};

    fn model(groups_text: Option<&str>) -> Arc<Model> {
        let groups = match groups_text {
            Some(text) => {
                crate::catalog::GeoGroups::parse(std::path::Path::new("geo-groups.toml"), text)
                    .expect("groups")
            }
            None => groups(),
        };
        Arc::new(Model {
            definitions: Definitions {
                indicators: vec![indicator(&[("indic_is", "I_A"), ("unit", "PC_IND")], true)],
                errors: Vec::new(),
                dir: PathBuf::from("indicators"),
                origin: "indicators".into(),
            },
            groups,
            desi: Vec::new(),
            regional: Err(Arc::new(IndicatorError::NoData {
                dataset: "none".into(),
                load: crate::indicators::Load::fetch("none"),
            })),
            roadmaps: Vec::new(),
            problems: Vec::new(),
            id: "test".into(),
        })
    }

    #[test]
    fn a_table_is_kept_while_its_source_keeps_its_version_and_recomputed_after_a_publish() {
        let (_dir, store) = store_with_data();
        let model = model(None);
        let first = Figures::build(model.clone(), &store, None);
        let Some(Ok(table)) = first.table("test") else {
            panic!(
                "no table: {:?}",
                first
                    .table("test")
                    .map(|t| t.as_ref().err().map(|e| e.to_string()))
            );
        };
        assert_eq!(first.stats.tables_computed, 1);
        let again = Figures::build(model.clone(), &store, Some(&first));
        assert_eq!(
            (again.stats.tables_computed, again.stats.tables_kept),
            (0, 1)
        );
        let Some(Ok(kept)) = again.table("test") else {
            panic!("no table")
        };
        assert!(Arc::ptr_eq(table, kept), "the same table, not a copy");

        publish(
            &store,
            &SDMX.replace("PC_IND,AA,2022,14,", "PC_IND,AA,2022,15,"),
        );
        let after = Figures::build(model, &store, Some(&again));
        assert_eq!(
            (after.stats.tables_computed, after.stats.tables_kept),
            (1, 0)
        );
        let Some(Ok(new)) = after.table("test") else {
            panic!("no table")
        };
        assert_ne!(new.version().version, table.version().version);
        let aa = new.rows_of("AA");
        assert_eq!(aa.last().and_then(|r| r.value), Some(15.0));
        assert!(after.stale.is_empty());
    }

    #[test]
    fn a_publish_whose_recompute_fails_keeps_serving_the_previous_table_and_says_why() {
        let (_dir, store) = store_with_data();
        let model = model(None);
        let first = Figures::build(model.clone(), &store, None);
        // The new version lacks the filtered dimension `indic_is`.
        publish(
            &store,
            "DATAFLOW,LAST UPDATE,freq,unit,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\nESTAT:TEST(1.0),25/06/26 23:00:00,A,PC_IND,AA,2023,50,\n",
        );
        let after = Figures::build(model, &store, Some(&first));
        let Some(Ok(kept)) = after.table("test") else {
            panic!("the previous table is served")
        };
        let Some(Ok(before)) = first.table("test") else {
            panic!("no table")
        };
        assert!(Arc::ptr_eq(kept, before));
        assert_eq!(after.stale.len(), 1, "{:?}", after.stale);
        assert_eq!(after.stale[0].datasets, ["test_r"]);
        assert!(
            after.stale[0].error.to_string().contains("filter.indic_is"),
            "{}",
            after.stale[0].error
        );
    }

    #[test]
    fn every_group_ranks_its_members_with_their_count_and_median() {
        let (_dir, store) = store_with_data();
        let text = format!(
            "{}\n[peers]\ndescription = \"Two peers\"\ncodes = [\"BB\", \"CC\", \"ZZ\"]\n",
            crate::indicators::values::tests::GROUPS
        );
        let figures = Figures::build(model(Some(&text)), &store, None);
        let Some(Ok(table)) = figures.table("test") else {
            panic!("no table")
        };
        // 2022: BB 12, CC 30 among the peers (ZZ has no data).
        let i = table
            .rows
            .iter()
            .position(|r| r.geo == "BB" && r.period == "2022")
            .expect("BB 2022");
        let standing = table.standing("peers", i).expect("a standing");
        assert_eq!(
            (standing.rank, standing.ranked, standing.median),
            (Some(2), 2, Some(21.0))
        );
        let eu = table
            .rows
            .iter()
            .position(|r| r.geo == "EU27_2020" && r.period == "2022")
            .expect("EU");
        let standing = table.standing("peers", eu).expect("the period's count");
        assert_eq!(
            (standing.rank, standing.ranked),
            (None, 2),
            "the EU is not one of the peers"
        );
        assert!(
            figures
                .problems
                .iter()
                .any(|p| p.contains("[peers].codes: ZZ")),
            "{:?}",
            figures.problems
        );
    }
}
