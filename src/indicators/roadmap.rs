//! Roadmap progress: loads the target files of `indicators/roadmaps/*.toml` (one roadmap per file:
//! targets on indicators of `indicators/*.toml`, each with a target value and year, a baseline
//! year, the geos it applies to and its source; the status thresholds) and measures, for each
//! target and geo, how far the store's data has come and where its pace leads.
//!
//! Must not write to the store, fetch, or round: the values come from the indicator's table
//! ([`values::Table`], computed by DuckDB over the store's current version of its source); the arithmetic below is plain
//! Rust on those doubles. A target that cannot be measured (no indicator yet, an indicator file
//! that did not load, a source not in the store) is reported with a status and a note, never an
//! error for the whole roadmap. A bad roadmap *file* is refused, naming the file, the key and
//! the fix.
//!
//! A target may take its value from a published fact (`value_from`: a source of `datasets/`, a
//! filter, a geo and a period, e.g. the platform's `dd_target_2030` facts): [`resolve`] fills it
//! from the store (DuckDB, bound parameters); a fact that is missing leaves the target not
//! measurable with the reason. [`check_units`] refuses, target by target, one whose unit is not
//! of the same kind (percentage, score, count and its scale) as its indicator's.
//!
//! # Formulas
//!
//! For one target (target value `T`, target year `t_T`, `baseline_from` year) and one geo, with
//! the indicator's yearly values (periods read as years; cells without a value skipped):
//!
//! - **baseline** `(t_B, B)`: the first value in a year ≥ `baseline_from`.
//! - **latest** `(t_L, L)`: the last value.
//! - **share covered** = `(L − B) / (T − B)`: 0 at the baseline, 1 (100 %) at the target, negative
//!   when moving away; none when `T = B`.
//! - **required yearly change** = `(T − B) / (t_T − t_B)`: the straight path from baseline to target.
//! - **actual yearly change** = `(L − B) / (t_L − t_B)`: the pace so far (none with one year only).
//! - **pace ratio** = actual ÷ required.
//! - **linear projection** to `t_T` = `L + actual × (t_T − t_L)`.
//! - **compound projection** to `t_T` = `L × (1 + g)^(t_T − t_L)` with the yearly growth rate
//!   `g = (L / B)^(1 / (t_L − t_B)) − 1`; none unless `B > 0` and `L > 0`.
//! - **projected year** (linear): `t_L` when reached; otherwise
//!   `t_L + ⌈(T − L) / actual⌉` when the actual change goes towards the target; none when it
//!   stands still or moves away.
//! - **reached**: `L ≥ T` when higher is better (per the indicator), `L ≤ T` otherwise.
//! - **status**: `reached`; else `no data` without a baseline or with one year only; else `off
//!   track` when the target year has passed; else, with the file's `[status]` thresholds,
//!   `on track` when pace ratio ≥ `on_track_ratio`, `at risk` when ≥ `at_risk_ratio`, `off track`
//!   below. A target without an indicator is `not measurable`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::catalog::Folder;
use serde::Deserialize;

use super::definitions::{DefinitionError, Definitions};
use super::{IndicatorError, Load, values};
use crate::catalog::{GeoGroups, Texts};
use crate::store::Store;

/// What is wrong with a roadmap file (or the folder). Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum RoadmapError {
    /// The folder or a file cannot be read.
    #[error(
        "{}: could not be read. Check the path of the roadmaps folder.",
        path.display()
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML for a roadmap file (unknown key, missing key, wrong type).
    #[error(
        "{}: {}\nFix the key as indicators/roadmaps/README.md describes.",
        file.display(),
        source.to_string().trim_end()
    )]
    Toml {
        file: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// Valid TOML, but a value is not acceptable.
    #[error("{}: key \"{key}\": {problem}. {fix}", file.display())]
    Invalid {
        file: PathBuf,
        key: String,
        problem: String,
        fix: String,
    },
    /// No roadmap file with that id.
    #[error("no roadmap {id:?} in {}. Known: {known}.", dir.display())]
    Unknown {
        id: String,
        dir: PathBuf,
        known: String,
    },
}

/// The thresholds on the pace ratio (actual ÷ required yearly change).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub on_track_ratio: f64,
    pub at_risk_ratio: f64,
}

/// One target of a roadmap.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    pub title: Texts,
    /// An indicator id of `indicators/`; `None` when the file says there is none yet.
    pub indicator: Option<String>,
    /// Why the target cannot be measured (the file's `status`, a unit refused, a published
    /// value missing), when `indicator` is `None`.
    pub unmeasured: Option<Reason>,
    /// The dataset whose absence from the store left the target unmeasured (its published
    /// value could not be read), and how it is loaded: the API and the CLI say the command.
    pub missing: Option<Load>,
    /// The file's `note` on a measured target: why its data may fall short, added to the note
    /// of a geo left with no data (fewer than two years).
    pub data_note: Option<String>,
    pub value: f64,
    pub unit: String,
    pub year: i32,
    pub baseline_from: i32,
    pub geos: Vec<String>,
    pub source: String,
    pub source_url: Option<String>,
    /// Where the target value is published, when the file says so (`value_from`); [`resolve`]
    /// replaces `value` with it.
    pub value_from: Option<ValueFrom>,
}

impl Target {
    /// [`Target::unmeasured`] in words (the API's and the CLI's `unmeasured`).
    pub fn unmeasured_note(&self) -> Option<String> {
        self.unmeasured.as_ref().map(Reason::to_string)
    }
}

/// Why a target is not measured, or what limits its measure, for one geo: a typed reason with its
/// parameters (the pages write it in their language); its `Display` is the English note of the
/// API and the command line, and [`Reason::code`] its stable machine code.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// The roadmap file names no indicator: its `status` (and `note`), in the file's words.
    NoIndicator {
        status: String,
        note: Option<String>,
    },
    /// The indicator's unit is not of the target's kind (the problem in words).
    UnitMismatch { problem: String },
    /// The target value is read from a published fact (`value_from`) that could not be read.
    TargetNotPublished { source: String, problem: String },
    /// The indicator's file did not load.
    IndicatorNotLoaded { indicator: String },
    /// The indicator's table could not be computed (e.g. its dataset is not in the store).
    NoTable {
        indicator: String,
        /// The dataset not in the store, when that is the cause.
        dataset: Option<String>,
        problem: String,
    },
    /// The indicator has no value for the geo.
    NoValue { indicator: String, geo: String },
    /// The indicator has fewer than two yearly values from the target's baseline year on; `why`
    /// is the roadmap file's `note` on the target (why its data fall short), in the file's words.
    FewerThanTwoYears {
        indicator: String,
        from: i32,
        why: Option<String>,
    },
}

impl Reason {
    /// The stable machine code of the reason (the API's and the CSV's `reason`).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::NoIndicator { .. } => "no_indicator",
            Reason::UnitMismatch { .. } => "unit_mismatch",
            Reason::TargetNotPublished { .. } => "target_not_published",
            Reason::IndicatorNotLoaded { .. } => "indicator_not_loaded",
            Reason::NoTable { .. } => "no_table",
            Reason::NoValue { .. } => "no_value",
            Reason::FewerThanTwoYears { .. } => "fewer_than_two_years",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::NoIndicator {
                status,
                note: Some(note),
            } => write!(f, "{status}: {note}"),
            Reason::NoIndicator { status, note: None } => write!(f, "{status}"),
            Reason::UnitMismatch { problem } => write!(f, "unit mismatch: {problem}"),
            Reason::TargetNotPublished { problem, .. } => {
                write!(f, "target value not published: {problem}")
            }
            Reason::IndicatorNotLoaded { indicator } => write!(
                f,
                "indicator {indicator} did not load (its file's problem is listed with the indicator definitions)"
            ),
            Reason::NoTable { problem, .. } => write!(f, "{problem}"),
            Reason::NoValue { indicator, geo } => {
                write!(f, "no value of {indicator} for {geo} in the store")
            }
            Reason::FewerThanTwoYears {
                indicator,
                from,
                why: None,
            } => write!(f, "fewer than two years of {indicator} from {from} on"),
            Reason::FewerThanTwoYears {
                indicator,
                from,
                why: Some(why),
            } => write!(
                f,
                "fewer than two years of {indicator} from {from} on: {why}"
            ),
        }
    }
}

/// A published fact holding a target value: one cell of a store dataset.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueFrom {
    /// The id of a dataset of `datasets/`.
    pub source: String,
    /// Dimension column → the one code kept (as an indicator's `[filter]`).
    pub filter: BTreeMap<String, String>,
    /// The geo of the fact, e.g. `EU27_2020`.
    pub geo: String,
    /// The period of the fact, e.g. `2030`.
    pub period: String,
}

/// One checked roadmap file.
#[derive(Debug, Clone, PartialEq)]
pub struct Roadmap {
    /// Equal to the file stem.
    pub id: String,
    pub title: Texts,
    /// An example, not an official commitment.
    pub example: bool,
    pub source: String,
    pub source_url: Option<String>,
    pub thresholds: Thresholds,
    pub targets: Vec<Target>,
    pub file: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoadmap {
    id: String,
    title: Texts,
    #[serde(default)]
    example: bool,
    source: String,
    source_url: Option<String>,
    status: Option<Thresholds>,
    #[serde(default)]
    targets: Vec<RawTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    id: String,
    title: Texts,
    indicator: String,
    status: Option<String>,
    value: f64,
    unit: String,
    year: i32,
    baseline_from: i32,
    geos: Vec<String>,
    source: String,
    source_url: Option<String>,
    note: Option<String>,
    value_from: Option<ValueFrom>,
}

/// The indicator ids that have a file in `definitions` (loaded or refused): a target may name a
/// refused indicator (it is then not measurable), not one without a file.
pub fn known_indicators(definitions: &Definitions) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = definitions
        .indicators
        .iter()
        .map(|i| i.id.clone())
        .collect();
    for error in &definitions.errors {
        let file = match error {
            DefinitionError::Read { path, .. } => path,
            DefinitionError::Toml { file, .. } | DefinitionError::Invalid { file, .. } => file,
        };
        if let Some(stem) = file.file_stem().and_then(|s| s.to_str()) {
            known.insert(stem.to_owned());
        }
    }
    known
}

/// The roadmap files of the folder (`*.toml`, hidden files skipped), sorted.
fn files(folder: &Folder) -> Result<Vec<String>, RoadmapError> {
    folder.toml_files().map_err(|source| RoadmapError::Read {
        path: folder.label().to_path_buf(),
        source,
    })
}

/// Loads every roadmap of the folder: the valid ones and one error per refused file. Fails only
/// when the folder cannot be listed.
pub fn load_all(
    dir: impl Into<Folder>,
    known: &BTreeSet<String>,
) -> Result<(Vec<Roadmap>, Vec<RoadmapError>), RoadmapError> {
    let folder = dir.into();
    let mut roadmaps = Vec::new();
    let mut errors = Vec::new();
    for name in files(&folder)? {
        match load(&folder, &name, known) {
            Ok(r) => roadmaps.push(r),
            Err(e) => errors.push(e),
        }
    }
    Ok((roadmaps, errors))
}

/// Loads the roadmap `id` of the folder (the file `<id>.toml`).
pub fn load_id(
    dir: impl Into<Folder>,
    id: &str,
    known: &BTreeSet<String>,
) -> Result<Roadmap, RoadmapError> {
    let folder = dir.into();
    let all = files(&folder)?;
    let stem = |f: &String| f.strip_suffix(".toml").map(str::to_owned);
    match all.iter().find(|f| stem(f).as_deref() == Some(id)) {
        Some(name) => load(&folder, name, known),
        None => Err(RoadmapError::Unknown {
            id: id.to_owned(),
            dir: folder.label().to_path_buf(),
            known: all.iter().filter_map(stem).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// Reads and checks the roadmap file `name` of the folder.
pub fn load(
    folder: &Folder,
    name: &str,
    known: &BTreeSet<String>,
) -> Result<Roadmap, RoadmapError> {
    let file = folder.path(name);
    let text = folder
        .read_to_string(name)
        .map_err(|source| RoadmapError::Read {
            path: file.clone(),
            source,
        })?;
    parse(&file, &text, known)
}

fn texts_complete(texts: &Texts) -> Option<&'static str> {
    if texts.en.trim().is_empty() {
        return Some("en");
    }
    for (lang, t) in [("fr", &texts.fr), ("nl", &texts.nl)] {
        if t.as_deref().is_none_or(|t| t.trim().is_empty()) {
            return Some(lang);
        }
    }
    None
}

/// Parses and checks the text of one roadmap file against the known indicator ids.
pub fn parse(file: &Path, text: &str, known: &BTreeSet<String>) -> Result<Roadmap, RoadmapError> {
    let raw: RawRoadmap = toml::from_str(text).map_err(|source| RoadmapError::Toml {
        file: file.to_path_buf(),
        source,
    })?;
    let invalid = |key: &str, problem: String, fix: &str| RoadmapError::Invalid {
        file: file.to_path_buf(),
        key: key.to_owned(),
        problem,
        fix: fix.to_owned(),
    };
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if raw.id != stem {
        return Err(invalid(
            "id",
            format!(
                "{:?} must equal the file name without .toml ({stem:?})",
                raw.id
            ),
            "Rename the file or change the id so that they match.",
        ));
    }
    if let Some(lang) = texts_complete(&raw.title) {
        return Err(invalid(
            &format!("title.{lang}"),
            "the title is missing (English, French and Dutch are required)".to_owned(),
            &format!("Add title.{lang} = \"…\"."),
        ));
    }
    let Some(thresholds) = raw.status else {
        return Err(invalid(
            "status",
            "the [status] thresholds are missing".to_owned(),
            "Add a [status] table with on_track_ratio = 1.0 and at_risk_ratio = 0.8 (actual yearly change ÷ required yearly change).",
        ));
    };
    if !(thresholds.at_risk_ratio.is_finite()
        && thresholds.on_track_ratio.is_finite()
        && thresholds.at_risk_ratio <= thresholds.on_track_ratio)
    {
        return Err(invalid(
            "status.at_risk_ratio",
            format!(
                "{} is above on_track_ratio {}",
                thresholds.at_risk_ratio, thresholds.on_track_ratio
            ),
            "Make at_risk_ratio at most on_track_ratio, e.g. 0.8 and 1.0.",
        ));
    }
    if raw.source.trim().is_empty() {
        return Err(invalid(
            "source",
            "the source of the roadmap is empty".to_owned(),
            "Name the document the targets come from (or say they are illustrative).",
        ));
    }
    if raw.targets.is_empty() {
        return Err(invalid(
            "targets",
            "the roadmap has no target".to_owned(),
            "Add at least one [[targets]] table.",
        ));
    }
    let mut targets = Vec::new();
    let mut ids = BTreeSet::new();
    for (i, t) in raw.targets.into_iter().enumerate() {
        let key = |k: &str| format!("targets[{i}] ({}).{k}", t.id);
        if t.id.trim().is_empty() || !ids.insert(t.id.clone()) {
            return Err(invalid(
                &key("id"),
                format!("{:?} is empty or used by another target", t.id),
                "Give each target its own id.",
            ));
        }
        if let Some(lang) = texts_complete(&t.title) {
            return Err(invalid(
                &key(&format!("title.{lang}")),
                "the title is missing (English, French and Dutch are required)".to_owned(),
                &format!("Add title.{lang} = \"…\"."),
            ));
        }
        let indicator = if t.indicator.is_empty() {
            if t.status.as_deref().is_none_or(|s| s.trim().is_empty()) {
                return Err(invalid(
                    &key("status"),
                    "indicator is empty but no status says why".to_owned(),
                    "Add status = \"no indicator yet\" (and a note), or name an indicator.",
                ));
            }
            None
        } else if known.contains(&t.indicator) {
            Some(t.indicator.clone())
        } else {
            return Err(invalid(
                &key("indicator"),
                format!("{:?} is not an indicator of indicators/", t.indicator),
                &format!(
                    "Use the id of an indicator file ({}), or indicator = \"\" with status = \"no indicator yet\".",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        if let Some(from) = &t.value_from {
            let problem = if from.source.trim().is_empty() {
                Some(("source", "the dataset id is empty"))
            } else if from.filter.is_empty() {
                Some(("filter", "the filter is empty"))
            } else if from.geo.trim().is_empty() {
                Some(("geo", "the geo is empty"))
            } else if from.period.trim().is_empty() {
                Some(("period", "the period is empty"))
            } else {
                None
            };
            if let Some((k, problem)) = problem {
                return Err(invalid(
                    &key(&format!("value_from.{k}")),
                    problem.to_owned(),
                    "Write value_from = { source = \"desi\", filter = { indicator = \"…\", breakdown = \"dd_target_2030\" }, geo = \"EU27_2020\", period = \"2030\" }.",
                ));
            }
            if from.filter.keys().any(|c| c == "geo" || c == "period") {
                return Err(invalid(
                    &key("value_from.filter"),
                    "geo and period are not filter columns here".to_owned(),
                    "Give them as value_from.geo and value_from.period.",
                ));
            }
        }
        if !t.value.is_finite() {
            return Err(invalid(
                &key("value"),
                "the target value is not a number".to_owned(),
                "Write a number.",
            ));
        }
        if t.year <= t.baseline_from {
            return Err(invalid(
                &key("year"),
                format!(
                    "the target year {} is not after the baseline year {}",
                    t.year, t.baseline_from
                ),
                "Set year after baseline_from (e.g. baseline_from = 2020, year = 2030).",
            ));
        }
        if t.geos.is_empty() || t.geos.iter().any(|g| g.trim().is_empty()) {
            return Err(invalid(
                &key("geos"),
                "no geo (or an empty one) is given".to_owned(),
                "List the geo codes it applies to, e.g. [\"EU27_2020\", \"BE\"].",
            ));
        }
        if t.source.trim().is_empty() {
            return Err(invalid(
                &key("source"),
                "the source of the target is empty".to_owned(),
                "Name where the target comes from, or write \"illustrative target, not an official commitment\".",
            ));
        }
        let (unmeasured, data_note) = match (&indicator, t.status, t.note) {
            (Some(_), _, note) => (None, note),
            (None, status, note) => (
                Some(Reason::NoIndicator {
                    status: status.unwrap_or_default(),
                    note,
                }),
                None,
            ),
        };
        targets.push(Target {
            id: t.id,
            title: t.title,
            indicator,
            unmeasured,
            missing: None,
            data_note,
            value: t.value,
            unit: t.unit,
            year: t.year,
            baseline_from: t.baseline_from,
            geos: t.geos,
            source: t.source,
            source_url: t.source_url,
            value_from: t.value_from,
        });
    }
    Ok(Roadmap {
        id: raw.id,
        title: raw.title,
        example: raw.example,
        source: raw.source,
        source_url: raw.source_url,
        thresholds,
        targets,
        file: file.to_path_buf(),
    })
}

/// What a unit measures, read from its words (`% of households`, `score (0-100)`, `millions of
/// persons employed`) or from a DESI platform unit code (`pc_hh`, `egov_score`, `mio_ind`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum UnitKind {
    Percent,
    Score,
    /// A count, in units of this many (1, 1 000, 1 000 000).
    Count(f64),
}

impl UnitKind {
    fn of(unit: &str) -> UnitKind {
        let u = unit.trim().to_ascii_lowercase();
        if u.starts_with('%') || u.starts_with("pc_") || u.contains("percent") || u == "pc" {
            UnitKind::Percent
        } else if u.contains("score") {
            UnitKind::Score
        } else if u.starts_with("mio_") || u.contains("million") {
            UnitKind::Count(1e6)
        } else if u.starts_with("th_") || u.starts_with("ths_") || u.contains("thousand") {
            UnitKind::Count(1e3)
        } else {
            UnitKind::Count(1.0)
        }
    }

    fn describe(self) -> String {
        match self {
            UnitKind::Percent => "a percentage".to_owned(),
            UnitKind::Score => "a score".to_owned(),
            UnitKind::Count(n) if n >= 1e6 => "a count in millions".to_owned(),
            UnitKind::Count(n) if n >= 1e3 => "a count in thousands".to_owned(),
            UnitKind::Count(_) => "a count".to_owned(),
        }
    }
}

/// Whether `unit` counts whole things (edge nodes, unicorns), not a share, a score or a count in
/// thousands or millions: its values are written without decimals.
pub fn counts_whole_things(unit: &str) -> bool {
    UnitKind::of(unit) == UnitKind::Count(1.0)
}

/// Refuses, target by target, a target whose `unit` is not of the same kind as its indicator's
/// (a head count on a percentage, a score on a share, millions on thousands): the target is then
/// not measurable (its note says why) and one error naming the file, the key and the fix is
/// returned for it; the other targets are untouched. Indicators that did not load are skipped
/// (they are reported as not measurable anyway).
pub fn check_units(roadmap: &mut Roadmap, definitions: &Definitions) -> Vec<RoadmapError> {
    let mut errors = Vec::new();
    for (i, target) in roadmap.targets.iter_mut().enumerate() {
        let Some(indicator) = target
            .indicator
            .as_deref()
            .and_then(|id| definitions.get(id))
        else {
            continue;
        };
        let (want, have) = (UnitKind::of(&target.unit), UnitKind::of(&indicator.unit));
        if want == have {
            continue;
        }
        let problem = format!(
            "the target is {} ({:?}) but indicator {} is {} ({:?})",
            want.describe(),
            target.unit,
            indicator.id,
            have.describe(),
            indicator.unit
        );
        target.unmeasured = Some(Reason::UnitMismatch {
            problem: problem.clone(),
        });
        target.indicator = None;
        errors.push(RoadmapError::Invalid {
            file: roadmap.file.clone(),
            key: format!("targets[{i}] ({}).indicator", target.id),
            problem,
            fix: "Point the target at an indicator in its unit (e.g. a head count indicator for a head count target), or write the target's value and unit in the indicator's unit".to_owned(),
        });
    }
    errors
}

/// Fills the value of every measured target with a `value_from` from the store's current version of its
/// dataset (DuckDB; codes, geo and period as bound parameters; column names only once found in
/// the data). Returns one line per target whose value changed from the file's, or that could not
/// be filled; a target whose fact is missing (dataset not in the store, no such cell, no value, a
/// column the data lacks, a unit of another kind) is left not measurable with that reason.
/// Blocking (DuckDB).
pub fn resolve(roadmap: &mut Roadmap, store: &Store) -> Vec<String> {
    let mut notes = Vec::new();
    // Each dataset the targets read, once, with every column their filters name.
    let mut wanted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for from in roadmap.targets.iter().filter_map(|t| t.value_from.as_ref()) {
        wanted
            .entry(from.source.as_str())
            .or_default()
            .extend(from.filter.keys().map(String::as_str));
    }
    // A dataset that cannot be read is the reason of every target that reads it.
    let facts: BTreeMap<String, Result<Facts, FactError>> = wanted
        .into_iter()
        .map(|(source, columns)| (source.to_owned(), Facts::read(store, source, &columns)))
        .collect();
    for target in &mut roadmap.targets {
        // A target already not measurable (no indicator, a unit refused) keeps its reason.
        let Some(from) = target
            .value_from
            .clone()
            .filter(|_| target.indicator.is_some())
        else {
            continue;
        };
        let missing = match facts.get(&from.source) {
            None | Some(Err(FactError::NotInStore(_))) => Some(Load::fetch(&from.source)),
            Some(_) => None,
        };
        // The reason becomes the target's note: text for the reader of the progress.
        let found = match facts.get(&from.source) {
            Some(Ok(facts)) => facts.value(&from).map_err(|e| e.to_string()),
            Some(Err(error)) => Err(error.to_string()),
            None => Err(FactError::NotInStore(from.source.clone()).to_string()),
        };
        match found {
            Ok((value, unit)) => {
                if let Some(unit) = unit.filter(|u| UnitKind::of(u) != UnitKind::of(&target.unit)) {
                    let reason = format!(
                        "the published target of {} is in {unit:?} ({}), not in the target's unit {:?} ({})",
                        from.source,
                        UnitKind::of(&unit).describe(),
                        target.unit,
                        UnitKind::of(&target.unit).describe()
                    );
                    notes.push(format!("{}: {reason}", target.id));
                    target.indicator = None;
                    target.unmeasured = Some(Reason::TargetNotPublished {
                        source: from.source.clone(),
                        problem: reason,
                    });
                    continue;
                }
                if value != target.value {
                    notes.push(format!(
                        "{}: target value {value} from {} (the file says {})",
                        target.id, from.source, target.value
                    ));
                }
                target.value = value;
            }
            Err(reason) => {
                notes.push(format!("{}: {reason}", target.id));
                target.indicator = None;
                target.unmeasured = Some(Reason::TargetNotPublished {
                    source: from.source.clone(),
                    problem: reason,
                });
                target.missing = missing;
            }
        }
    }
    notes
}

/// Why a target's published value could not be read.
#[derive(Debug, thiserror::Error)]
enum FactError {
    #[error("the store could not be read ({0})")]
    Store(#[from] crate::store::StoreError),
    /// What loads it is in the target's `missing`, for the API and the CLI to say.
    #[error("dataset {0} is not in the store")]
    NotInStore(String),
    #[error("the published value could not be read ({0})")]
    Engine(#[from] super::IndicatorError),
    #[error("the published value could not be read ({0})")]
    DuckDb(#[from] duckdb::Error),
    #[error("value_from.filter.{column}: dataset {dataset} has no column {column:?}")]
    NoColumn { dataset: String, column: String },
    #[error("no fact {0} in the store")]
    NoFact(String),
    #[error("the fact {0} is published without a value")]
    NoValue(String),
    #[error("{count} facts match {cell}: add a filter key so that one is left")]
    Several { count: usize, cell: String },
}

/// The rows of one dataset of published facts that targets read their values from: geo, period,
/// value, `unit_measure` (when the data has that column) and every column the targets filter on,
/// read in one statement.
struct Facts {
    source: String,
    /// The dimension columns the version records.
    dimensions: Vec<String>,
    /// The filter columns read, in the order of [`Fact::keys`].
    columns: Vec<String>,
    rows: Vec<Fact>,
}

struct Fact {
    geo: String,
    period: String,
    keys: Vec<Option<String>>,
    value: Option<f64>,
    unit: Option<String>,
}

impl Facts {
    fn read(store: &Store, source: &str, columns: &BTreeSet<&str>) -> Result<Facts, FactError> {
        let version = store
            .current(source)?
            .ok_or_else(|| FactError::NotInStore(source.to_owned()))?;
        let path = store.file_path(&version);
        // The dimension columns the version records (no DESCRIBE); a filter on another column
        // is refused for its target alone, in `value`.
        let dimensions = version.meta.dimensions.clone();
        let columns: Vec<String> = columns
            .iter()
            .filter(|c| dimensions.iter().any(|d| d == *c))
            .map(|c| (*c).to_owned())
            .collect();
        let unit = if dimensions.iter().any(|c| c == "unit_measure") {
            "CAST(unit_measure AS VARCHAR)"
        } else {
            "NULL"
        };
        let keys: String = columns
            .iter()
            .map(|c| format!(", CAST(\"{}\" AS VARCHAR)", c.replace('"', "\"\"")))
            .collect();
        // The store-built path is the only literal; column names are those the version records.
        let sql = format!(
            "SELECT CAST(geo AS VARCHAR), CAST(period AS VARCHAR), value, {unit}{keys} FROM read_parquet('{}')",
            path.to_string_lossy().replace('\'', "''"),
        );
        let conn = super::connection()?;
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Fact {
                    geo: r.get(0)?,
                    period: r.get(1)?,
                    value: r.get(2)?,
                    unit: r.get(3)?,
                    keys: (0..columns.len())
                        .map(|i| r.get(4 + i))
                        .collect::<std::result::Result<_, _>>()?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(Facts {
            source: source.to_owned(),
            dimensions,
            columns,
            rows,
        })
    }

    /// The value (and the `unit_measure` code, when the data has that column) of the one cell
    /// that `from` names, or why there is none.
    fn value(&self, from: &ValueFrom) -> Result<(f64, Option<String>), FactError> {
        let mut filter = Vec::new();
        for (column, code) in &from.filter {
            if !self.dimensions.contains(column) {
                return Err(FactError::NoColumn {
                    dataset: self.source.clone(),
                    column: column.clone(),
                });
            }
            let at = self.columns.iter().position(|c| c == column);
            filter.push((at, code));
        }
        let rows: Vec<&Fact> = self
            .rows
            .iter()
            .filter(|f| f.geo == from.geo && f.period == from.period)
            .filter(|f| {
                filter
                    .iter()
                    .all(|(at, code)| at.and_then(|i| f.keys[i].as_deref()) == Some(code.as_str()))
            })
            .collect();
        let cell = || {
            let filter: Vec<String> = from
                .filter
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!(
                "{} {} {} {}",
                from.source,
                filter.join(","),
                from.geo,
                from.period
            )
        };
        match rows.as_slice() {
            [] => Err(FactError::NoFact(cell())),
            [
                Fact {
                    value: Some(value),
                    unit,
                    ..
                },
            ] => Ok((*value, unit.clone())),
            [_] => Err(FactError::NoValue(cell())),
            _ => Err(FactError::Several {
                count: rows.len(),
                cell: cell(),
            }),
        }
    }
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Reached,
    OnTrack,
    AtRisk,
    OffTrack,
    NoData,
    NotMeasurable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reached => "reached",
            Status::OnTrack => "on track",
            Status::AtRisk => "at risk",
            Status::OffTrack => "off track",
            Status::NoData => "no data",
            Status::NotMeasurable => "not measurable",
        }
    }
}

/// A period and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub period: String,
    pub year: i32,
    pub value: f64,
}

/// The measures of one target for one series (see the module's formulas).
#[derive(Debug, Clone, PartialEq)]
pub struct Measures {
    pub baseline: Option<Point>,
    pub latest: Option<Point>,
    pub share_covered: Option<f64>,
    pub required_yearly_change: Option<f64>,
    pub actual_yearly_change: Option<f64>,
    pub pace_ratio: Option<f64>,
    pub linear_projection: Option<f64>,
    pub compound_growth_rate: Option<f64>,
    pub compound_projection: Option<f64>,
    pub projected_year: Option<i32>,
    pub status: Status,
}

/// What a target asks, for [`measure`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    pub value: f64,
    pub year: i32,
    pub baseline_from: i32,
    pub higher_is_better: bool,
}

/// Applies the module's formulas to a series of points in time order.
pub fn measure(series: &[Point], goal: Goal, thresholds: Thresholds) -> Measures {
    let baseline = series
        .iter()
        .find(|p| p.year >= goal.baseline_from)
        .cloned();
    let latest = baseline.as_ref().and_then(|_| series.last().cloned());
    let (Some(b), Some(l)) = (&baseline, &latest) else {
        return Measures {
            baseline: None,
            latest: None,
            share_covered: None,
            required_yearly_change: None,
            actual_yearly_change: None,
            pace_ratio: None,
            linear_projection: None,
            compound_growth_rate: None,
            compound_projection: None,
            projected_year: None,
            status: Status::NoData,
        };
    };
    let t = goal.value;
    let gap = t - b.value;
    let share_covered = (gap != 0.0).then(|| (l.value - b.value) / gap);
    let required = f64::from(goal.year - b.year);
    let required_yearly_change = (required > 0.0).then(|| gap / required);
    let elapsed = f64::from(l.year - b.year);
    let actual_yearly_change = (elapsed > 0.0).then(|| (l.value - b.value) / elapsed);
    let pace_ratio = match (actual_yearly_change, required_yearly_change) {
        (Some(a), Some(r)) if r != 0.0 => Some(a / r),
        _ => None,
    };
    let ahead = f64::from(goal.year - l.year);
    let linear_projection = actual_yearly_change.map(|a| l.value + a * ahead);
    let compound_growth_rate = (elapsed > 0.0 && b.value > 0.0 && l.value > 0.0)
        .then(|| (l.value / b.value).powf(1.0 / elapsed) - 1.0);
    let compound_projection = compound_growth_rate.map(|g| l.value * (1.0 + g).powf(ahead));
    let reached = if goal.higher_is_better {
        l.value >= t
    } else {
        l.value <= t
    };
    let projected_year = if reached {
        Some(l.year)
    } else {
        match actual_yearly_change {
            Some(a) if a != 0.0 && (t - l.value) / a > 0.0 => {
                // The tolerance keeps an exact whole number of years from rounding up.
                let years = ((t - l.value) / a - 1e-9).ceil();
                Some(l.year + years as i32)
            }
            _ => None,
        }
    };
    let status = if reached {
        Status::Reached
    } else if actual_yearly_change.is_none() {
        Status::NoData
    } else if l.year >= goal.year {
        Status::OffTrack
    } else {
        match pace_ratio {
            Some(r) if r >= thresholds.on_track_ratio => Status::OnTrack,
            Some(r) if r >= thresholds.at_risk_ratio => Status::AtRisk,
            _ => Status::OffTrack,
        }
    };
    Measures {
        baseline,
        latest,
        share_covered,
        required_yearly_change,
        actual_yearly_change,
        pace_ratio,
        linear_projection,
        compound_growth_rate,
        compound_projection,
        projected_year,
        status,
    }
}

/// The progress of one target for one geo.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub roadmap: String,
    pub target: String,
    pub indicator: Option<String>,
    pub geo: String,
    pub target_year: i32,
    pub target_value: f64,
    pub measures: Measures,
    /// Why a target could not be measured, or what limits it.
    pub reason: Option<Reason>,
    /// A dataset not in the store that the note is about, and how it is loaded.
    pub missing: Option<Load>,
}

impl Progress {
    /// The reason in words: the `note` of the API and the command line.
    pub fn note(&self) -> Option<String> {
        self.reason.as_ref().map(Reason::to_string)
    }
}

/// The year of a period as published (`2023`, `2023-Q1`, `2023-05`).
fn year_of(period: &str) -> Option<i32> {
    period.get(..4).and_then(|y| y.parse().ok())
}

/// [`progress`] over tables computed on the spot from the store. Blocking (DuckDB).
pub fn compute(
    store: &Store,
    groups: &GeoGroups,
    definitions: &Definitions,
    roadmap: &Roadmap,
    geos: Option<&[String]>,
) -> Vec<Progress> {
    match values::connection(groups) {
        Ok(conn) => progress(
            definitions,
            roadmap,
            &values::on_the_spot(&conn, store, groups),
            geos,
        ),
        Err(error) => {
            let error = std::sync::Arc::new(error);
            progress(definitions, roadmap, &|_| Err(error.clone()), geos)
        }
    }
}

/// Measures every target of `roadmap` for its own geos (only those of `geos`, when given: a
/// target is never scored for a geo it does not name), reading the indicators' values from
/// `tables`. Never fails as a whole: a target that cannot be measured gets a status and a note.
pub fn progress(
    definitions: &Definitions,
    roadmap: &Roadmap,
    tables: &values::Lookup<'_>,
    geos: Option<&[String]>,
) -> Vec<Progress> {
    let mut out = Vec::new();
    for target in &roadmap.targets {
        let geos: Vec<String> = target
            .geos
            .iter()
            .filter(|g| geos.is_none_or(|asked| asked.contains(g)))
            .cloned()
            .collect();
        let empty = |status: Status| Measures {
            status,
            ..measure(
                &[],
                Goal {
                    value: target.value,
                    year: target.year,
                    baseline_from: target.baseline_from,
                    higher_is_better: true,
                },
                roadmap.thresholds,
            )
        };
        let row = |geo: &String, measures: Measures, reason: Option<Reason>| Progress {
            roadmap: roadmap.id.clone(),
            target: target.id.clone(),
            indicator: target.indicator.clone(),
            geo: geo.clone(),
            target_year: target.year,
            target_value: target.value,
            measures,
            reason,
            missing: target.missing.clone(),
        };
        let Some(id) = &target.indicator else {
            let note = target.unmeasured.clone().unwrap_or(Reason::NoIndicator {
                status: String::new(),
                note: None,
            });
            out.extend(
                geos.iter()
                    .map(|g| row(g, empty(Status::NotMeasurable), Some(note.clone()))),
            );
            continue;
        };
        let Some(indicator) = definitions.get(id) else {
            let note = Reason::IndicatorNotLoaded {
                indicator: id.clone(),
            };
            out.extend(
                geos.iter()
                    .map(|g| row(g, empty(Status::NotMeasurable), Some(note.clone()))),
            );
            continue;
        };
        let table = match tables(indicator) {
            Ok(table) => table,
            Err(error) => {
                let note = Reason::NoTable {
                    indicator: id.clone(),
                    dataset: match error.as_ref() {
                        IndicatorError::NoData { dataset, .. } => Some(dataset.clone()),
                        _ => None,
                    },
                    problem: error.to_string(),
                };
                out.extend(
                    geos.iter()
                        .map(|g| row(g, empty(Status::NoData), Some(note.clone()))),
                );
                continue;
            }
        };
        let goal = Goal {
            value: target.value,
            year: target.year,
            baseline_from: target.baseline_from,
            higher_is_better: indicator.higher_is_better,
        };
        for geo in &geos {
            let series: Vec<Point> = table
                .rows_of(geo)
                .iter()
                .filter_map(|r| {
                    Some(Point {
                        period: r.period.clone(),
                        year: year_of(&r.period)?,
                        value: r.value?,
                    })
                })
                .collect();
            let measures = measure(&series, goal, roadmap.thresholds);
            let note = match measures.status {
                Status::NoData if series.is_empty() => Some(Reason::NoValue {
                    indicator: id.clone(),
                    geo: geo.clone(),
                }),
                Status::NoData => Some(Reason::FewerThanTwoYears {
                    indicator: id.clone(),
                    from: target.baseline_from,
                    why: target.data_note.clone(),
                }),
                _ => None,
            };
            out.push(row(geo, measures, note));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const THRESHOLDS: Thresholds = Thresholds {
        on_track_ratio: 1.0,
        at_risk_ratio: 0.8,
    };

    fn series(points: &[(i32, f64)]) -> Vec<Point> {
        points
            .iter()
            .map(|&(year, value)| Point {
                period: year.to_string(),
                year,
                value,
            })
            .collect()
    }

    fn goal(value: f64, year: i32) -> Goal {
        Goal {
            value,
            year,
            baseline_from: 2020,
            higher_is_better: true,
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn the_baseline_is_the_first_year_from_baseline_from_and_the_pace_is_linear() {
        // 2019 is before the baseline year; 2020 = 50, 2024 = 60; target 80 in 2030.
        let m = measure(
            &series(&[(2019, 10.0), (2020, 50.0), (2022, 55.0), (2024, 60.0)]),
            goal(80.0, 2030),
            THRESHOLDS,
        );
        assert_eq!(m.baseline.as_ref().map(|p| p.year), Some(2020));
        assert_eq!(m.latest.as_ref().map(|p| p.year), Some(2024));
        assert!(close(m.share_covered, 10.0 / 30.0), "{m:?}");
        assert!(close(m.required_yearly_change, 3.0), "{m:?}");
        assert!(close(m.actual_yearly_change, 2.5), "{m:?}");
        assert!(close(m.pace_ratio, 2.5 / 3.0), "{m:?}");
        assert!(close(m.linear_projection, 60.0 + 2.5 * 6.0), "{m:?}");
        // (80 − 60) / 2.5 = 8 years exactly: 2032, not 2033.
        assert_eq!(m.projected_year, Some(2032));
        assert_eq!(m.status, Status::AtRisk);
    }

    #[test]
    fn the_compound_projection_grows_at_the_yearly_rate_so_far() {
        // 40 → 80 in two years: √2 a year; four more years: 80 × 4 = 320.
        let m = measure(
            &series(&[(2020, 40.0), (2022, 80.0)]),
            goal(500.0, 2026),
            THRESHOLDS,
        );
        assert!(close(m.compound_growth_rate, 2f64.sqrt() - 1.0), "{m:?}");
        assert!(close(m.compound_projection, 320.0), "{m:?}");
        assert!(close(m.linear_projection, 80.0 + 20.0 * 4.0), "{m:?}");
        let zero = measure(
            &series(&[(2020, 0.0), (2022, 8.0)]),
            goal(50.0, 2030),
            THRESHOLDS,
        );
        assert_eq!(zero.compound_projection, None, "no growth rate from zero");
    }

    #[test]
    fn the_status_follows_the_thresholds_of_the_file() {
        // Required 1 a year; actual 1.0, 0.8 and 0.5.
        let status = |latest: f64| {
            measure(
                &series(&[(2020, 0.0), (2025, latest)]),
                goal(10.0, 2030),
                THRESHOLDS,
            )
            .status
        };
        assert_eq!(status(5.0), Status::OnTrack);
        assert_eq!(status(4.0), Status::AtRisk);
        assert_eq!(status(2.5), Status::OffTrack);
        let strict = Thresholds {
            on_track_ratio: 1.2,
            at_risk_ratio: 1.0,
        };
        let m = measure(
            &series(&[(2020, 0.0), (2025, 5.0)]),
            goal(10.0, 2030),
            strict,
        );
        assert_eq!(m.status, Status::AtRisk);
    }

    #[test]
    fn a_reached_target_is_reached_in_its_latest_year_whatever_the_pace() {
        let m = measure(
            &series(&[(2020, 70.0), (2021, 85.0), (2023, 81.0)]),
            goal(80.0, 2030),
            THRESHOLDS,
        );
        assert_eq!(m.status, Status::Reached);
        assert_eq!(m.projected_year, Some(2023));
        let lower = Goal {
            higher_is_better: false,
            ..goal(5.0, 2030)
        };
        let m = measure(&series(&[(2020, 9.0), (2022, 4.0)]), lower, THRESHOLDS);
        assert_eq!(m.status, Status::Reached, "lower is better: 4 ≤ 5");
    }

    #[test]
    fn a_series_moving_away_has_no_projected_year_and_is_off_track() {
        let m = measure(
            &series(&[(2020, 60.0), (2024, 56.0)]),
            goal(80.0, 2030),
            THRESHOLDS,
        );
        assert_eq!(m.projected_year, None);
        assert_eq!(m.status, Status::OffTrack);
        assert!(close(m.share_covered, -4.0 / 20.0), "{m:?}");
        let lower = Goal {
            higher_is_better: false,
            ..goal(10.0, 2030)
        };
        let m = measure(&series(&[(2020, 20.0), (2022, 16.0)]), lower, THRESHOLDS);
        assert_eq!(m.projected_year, Some(2025), "(10 − 16) / −2 = 3 years");
        assert_eq!(m.status, Status::OnTrack, "−2 a year against −1 required");
    }

    #[test]
    fn one_year_or_no_year_from_the_baseline_is_no_data() {
        let one = measure(&series(&[(2023, 50.0)]), goal(80.0, 2030), THRESHOLDS);
        assert_eq!(one.status, Status::NoData);
        assert_eq!(one.baseline, one.latest);
        assert_eq!(one.actual_yearly_change, None);
        let old = measure(&series(&[(2015, 50.0)]), goal(80.0, 2030), THRESHOLDS);
        assert_eq!((old.status, old.baseline), (Status::NoData, None));
    }

    #[test]
    fn a_passed_target_year_not_reached_is_off_track() {
        let m = measure(
            &series(&[(2020, 50.0), (2026, 70.0)]),
            goal(80.0, 2025),
            THRESHOLDS,
        );
        assert_eq!(m.status, Status::OffTrack);
    }

    const VALID: &str = r#"
id = "test"
title = { en = "Test", fr = "Test", nl = "Test" }
source = "a test"

[status]
on_track_ratio = 1.0
at_risk_ratio = 0.8

[[targets]]
id = "access"
title = { en = "Access", fr = "Accès", nl = "Toegang" }
indicator = "households_internet_access"
value = 99.0
unit = "% of households"
year = 2030
baseline_from = 2020
geos = ["BE"]
source = "illustrative target, not an official commitment"

[[targets]]
id = "gigabit"
title = { en = "Gigabit", fr = "Gigabit", nl = "Gigabit" }
indicator = ""
status = "no indicator yet"
note = "no coverage dataset"
value = 100.0
unit = "% of households"
year = 2030
baseline_from = 2020
geos = ["BE"]
source = "Decision (EU) 2022/2481"
"#;

    fn known() -> BTreeSet<String> {
        ["households_internet_access".to_owned()].into()
    }

    fn refusal(text: &str) -> String {
        parse(Path::new("roadmaps/test.toml"), text, &known())
            .expect_err("refused")
            .to_string()
    }

    fn assert_mentions(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
    }

    #[test]
    fn a_valid_file_loads_with_its_thresholds_and_an_unmeasured_target() {
        let r = parse(Path::new("roadmaps/test.toml"), VALID, &known()).expect("loads");
        assert_eq!(r.thresholds, THRESHOLDS);
        assert_eq!(r.targets.len(), 2);
        assert_eq!(
            r.targets[0].indicator.as_deref(),
            Some("households_internet_access")
        );
        assert_eq!(r.targets[1].indicator, None);
        assert_eq!(
            r.targets[1].unmeasured_note().as_deref(),
            Some("no indicator yet: no coverage dataset")
        );
    }

    #[test]
    fn a_target_year_before_its_baseline_is_refused_naming_the_file_and_key() {
        let message = refusal(&VALID.replacen("year = 2030", "year = 2019", 1));
        assert_mentions(
            &message,
            &[
                "roadmaps/test.toml",
                "targets[0] (access).year",
                "2019",
                "baseline_from",
            ],
        );
    }

    #[test]
    fn an_unknown_indicator_is_refused_with_the_known_ones() {
        let message = refusal(&VALID.replace(
            "indicator = \"households_internet_access\"",
            "indicator = \"households_internet\"",
        ));
        assert_mentions(
            &message,
            &[
                "targets[0] (access).indicator",
                "households_internet_access",
                "no indicator yet",
            ],
        );
    }

    #[test]
    fn missing_thresholds_and_an_empty_indicator_without_a_status_are_refused() {
        let no_status = VALID.replace("[status]\non_track_ratio = 1.0\nat_risk_ratio = 0.8\n", "");
        assert_mentions(&refusal(&no_status), &["key \"status\"", "on_track_ratio"]);
        let reversed = VALID.replace("at_risk_ratio = 0.8", "at_risk_ratio = 1.5");
        assert_mentions(&refusal(&reversed), &["status.at_risk_ratio"]);
        let silent = VALID.replace("status = \"no indicator yet\"\n", "");
        assert_mentions(&refusal(&silent), &["targets[1] (gigabit).status"]);
    }

    #[test]
    fn an_unknown_key_and_a_wrong_id_are_refused() {
        assert_mentions(
            &refusal(&VALID.replace("unit = \"% of households\"\nyear", "units = \"%\"\nyear")),
            &["roadmaps/test.toml", "units"],
        );
        assert_mentions(
            &refusal(&VALID.replace("id = \"test\"", "id = \"other\"")),
            &["key \"id\"", "file name"],
        );
    }

    #[test]
    fn the_shipped_roadmaps_load_against_the_shipped_indicators() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let catalog = crate::catalog::Catalog::load(root.join("datasets")).expect("catalogue");
        let definitions =
            super::super::definitions::load(root.join("indicators"), &catalog).expect("loads");
        let (roadmaps, errors) = load_all(
            root.join("indicators/roadmaps"),
            &known_indicators(&definitions),
        )
        .expect("the folder is readable");
        assert!(errors.is_empty(), "{errors:?}");
        let ids: Vec<&str> = roadmaps.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["brussels-capital-example", "eu-digital-decade-2030"]);
        assert!(roadmaps[0].example && !roadmaps[1].example);
        let dd = &roadmaps[1];
        // The 15 targets of Article 4 of the Decision (ICT specialists' gender convergence aside):
        // all but three have an indicator; all but edge nodes and those three, a published value.
        assert_eq!(dd.targets.len(), 15, "the Digital Decade targets");
        let without = |f: fn(&Target) -> bool| -> Vec<&str> {
            dd.targets
                .iter()
                .filter(|t| !f(t))
                .map(|t| t.id.as_str())
                .collect()
        };
        assert_eq!(
            without(|t| t.indicator.is_some()),
            ["semiconductors", "quantum-computing", "eid"]
        );
        assert_eq!(
            without(|t| t.value_from.is_some()),
            ["semiconductors", "edge-nodes", "quantum-computing", "eid"]
        );
        assert!(
            dd.targets.iter().all(|t| t.indicator.is_some()
                || t.unmeasured_note()
                    .is_some_and(|n| n.starts_with("no data source: "))),
            "a target without an indicator says why: {:?}",
            dd.targets
        );
        let mut checked = dd.clone();
        let errors = check_units(&mut checked, &definitions);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(&checked, dd, "no target changed");
    }

    /// A loaded indicator of the shipped catalogue with this unit, as the unit check sees it.
    fn definitions_with(id: &str, unit: &str) -> Definitions {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let catalog = crate::catalog::Catalog::load(root.join("datasets")).expect("catalogue");
        let text = format!(
            r#"
id = "{id}"
dimension = "connectivity"
subdimension = "take-up"
title = {{ en = "T", fr = "T", nl = "T" }}
description = {{ en = "D", fr = "D", nl = "D" }}
unit = "{unit}"
source = "isoc_ci_in_h"
eurostat_code = "isoc_ci_in_h"
geo_levels = ["country"]
higher_is_better = true

[filter]
unit = "PC_HH"
"#
        );
        let indicator = super::super::definitions::parse(
            Path::new(&format!("indicators/{id}.toml")),
            &text,
            &catalog,
        )
        .expect("the indicator parses");
        Definitions {
            indicators: vec![indicator],
            ..Definitions::default()
        }
    }

    #[test]
    fn a_head_count_target_on_a_percentage_indicator_is_refused_and_the_others_stay() {
        let text = VALID.replacen(
            "value = 99.0\nunit = \"% of households\"",
            "value = 20000000.0\nunit = \"persons employed\"",
            1,
        );
        let mut r = parse(Path::new("roadmaps/test.toml"), &text, &known()).expect("loads");
        let errors = check_units(
            &mut r,
            &definitions_with("households_internet_access", "% of households"),
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_mentions(
            &errors[0].to_string(),
            &[
                "roadmaps/test.toml",
                "targets[0] (access).indicator",
                "a count",
                "a percentage",
                "Point the target at an indicator in its unit",
            ],
        );
        assert_eq!(r.targets.len(), 2, "the other targets keep loading");
        assert_eq!(r.targets[0].indicator, None);
        assert!(
            r.targets[0]
                .unmeasured_note()
                .as_deref()
                .is_some_and(|n| n.contains("unit mismatch")),
            "{:?}",
            r.targets[0]
        );
        // Same kind, other words: accepted.
        let mut r = parse(Path::new("roadmaps/test.toml"), VALID, &known()).expect("loads");
        let errors = check_units(
            &mut r,
            &definitions_with("households_internet_access", "% of households with access"),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert!(r.targets[0].indicator.is_some());
    }

    #[test]
    fn unit_words_and_platform_codes_are_read_as_their_kind() {
        assert_eq!(
            UnitKind::of("% of individuals aged 16-74"),
            UnitKind::Percent
        );
        assert_eq!(UnitKind::of("pc_ind_ilt12"), UnitKind::Percent);
        assert_eq!(UnitKind::of("score (0-100)"), UnitKind::Score);
        assert_eq!(UnitKind::of("egov_score"), UnitKind::Score);
        assert_eq!(UnitKind::of("mio_ind"), UnitKind::Count(1e6));
        assert_eq!(
            UnitKind::of("millions of persons employed"),
            UnitKind::Count(1e6)
        );
        assert_eq!(UnitKind::of("th_ind"), UnitKind::Count(1e3));
        assert_eq!(UnitKind::of("persons employed"), UnitKind::Count(1.0));
        assert!(counts_whole_things("number of edge nodes"));
        assert!(!counts_whole_things("millions of persons employed"));
        assert!(!counts_whole_things("% of households"));
        assert!(!counts_whole_things("score (0-100)"));
    }

    const FROM: &str = "value_from = { source = \"desi\", filter = { indicator = \"desi_dsk_bab\", breakdown = \"dd_target_2030\", unit_measure = \"pc_ind\" }, geo = \"EU27_2020\", period = \"2030\" }\n";

    /// `VALID` with a `value_from` on its first target (value 1.0 in the file).
    fn with_value_from(from: &str) -> Roadmap {
        let text = VALID.replacen("value = 99.0\n", &format!("value = 1.0\n{from}"), 1);
        parse(Path::new("roadmaps/test.toml"), &text, &known()).expect("loads")
    }

    /// A store holding the real platform facts as the dataset `desi` (format desi-facts).
    fn platform_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path().join("data"), 2).expect("store");
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/desi/platform/facts_desi.csv");
        let bytes = std::fs::read(&path).expect("the shared platform facts");
        crate::fetch::ingest(
            &store,
            "desi",
            &bytes,
            crate::fetch::parse::Format::DesiFacts,
            &crate::fetch::parse::ParseOptions::default(),
            crate::fetch::ImportMeta {
                source_url: format!("file://{}", path.display()),
                licence: "CC-BY-4.0".into(),
                attribution: "Source: European Commission, Digital Decade DESI".into(),
            },
        )
        .expect("ingested");
        (dir, store)
    }

    #[test]
    fn value_from_is_parsed_and_a_bad_one_is_refused_naming_its_key() {
        let r = with_value_from(FROM);
        let from = r.targets[0].value_from.as_ref().expect("value_from");
        assert_eq!(from.source, "desi");
        assert_eq!(from.filter["breakdown"], "dd_target_2030");
        assert_eq!(
            (from.geo.as_str(), from.period.as_str()),
            ("EU27_2020", "2030")
        );
        let text = VALID.replacen(
            "value = 99.0\n",
            &format!(
                "value = 1.0\n{}",
                FROM.replace("geo = \"EU27_2020\"", "geo = \"\"")
            ),
            1,
        );
        assert_mentions(&refusal(&text), &["targets[0] (access).value_from.geo"]);
    }

    #[test]
    fn resolve_takes_the_published_2030_target_from_the_store() {
        let (_dir, store) = platform_store();
        let mut r = with_value_from(FROM);
        let notes = resolve(&mut r, &store);
        // 2030,EU,desi_dsk_bab,dd_target_2030,pc_ind,80.0 in facts_desi.csv.
        assert_eq!(r.targets[0].value, 80.0);
        assert_eq!(
            r.targets[0].indicator.as_deref(),
            Some("households_internet_access")
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_mentions(&notes[0], &["access", "80", "the file says 1"]);
        // The target without value_from is untouched.
        assert_eq!(r.targets[1].value, 100.0);
    }

    #[test]
    fn a_missing_fact_leaves_the_target_unmeasured_with_the_reason() {
        let (_dir, store) = platform_store();
        let mut r = with_value_from(&FROM.replace("desi_dsk_bab", "desi_no_such_kpi"));
        let notes = resolve(&mut r, &store);
        assert_eq!(r.targets[0].indicator, None);
        let reason = r.targets[0].unmeasured_note().unwrap_or_default();
        assert_mentions(
            &reason,
            &["target value not published", "no fact", "desi_no_such_kpi"],
        );
        assert_eq!(notes.len(), 1);

        let mut r = with_value_from(&FROM.replace("source = \"desi\"", "source = \"absent\""));
        resolve(&mut r, &store);
        assert_mentions(
            r.targets[0]
                .unmeasured_note()
                .as_deref()
                .unwrap_or_default(),
            &["dataset absent is not in the store"],
        );
        // What loads it is data here; the API and the CLI say the command.
        assert_eq!(r.targets[0].missing, Some(Load::fetch("absent")));
        assert!(
            !r.targets[0]
                .unmeasured_note()
                .unwrap_or_default()
                .contains("desi-city"),
            "{:?}",
            r.targets[0].unmeasured
        );

        let mut r = with_value_from(&FROM.replace("unit_measure =", "units ="));
        resolve(&mut r, &store);
        assert_mentions(
            r.targets[0]
                .unmeasured_note()
                .as_deref()
                .unwrap_or_default(),
            &["value_from.filter.units", "no column"],
        );
    }

    #[test]
    fn a_published_value_in_another_unit_is_not_taken() {
        let (_dir, store) = platform_store();
        // 2030,EU,desi_ict_spec,dd_target_2030,th_ind,20.0: thousands, for a target in persons.
        let from = FROM
            .replace("desi_dsk_bab", "desi_ict_spec")
            .replace("pc_ind", "th_ind");
        let text = VALID.replacen(
            "value = 99.0\nunit = \"% of households\"",
            &format!("value = 20000000.0\n{from}unit = \"persons employed\""),
            1,
        );
        let mut r = parse(Path::new("roadmaps/test.toml"), &text, &known()).expect("loads");
        resolve(&mut r, &store);
        assert_eq!(r.targets[0].value, 20_000_000.0);
        assert_mentions(
            r.targets[0]
                .unmeasured_note()
                .as_deref()
                .unwrap_or_default(),
            &["th_ind", "a count in thousands", "persons employed"],
        );
    }
}
