//! The Commission's composite DESI, as data: loads a methodology folder
//! (`indicators/methodology/desi-2022/` or `desi-2020/`: `method.toml`, `structure.toml`,
//! `indicators.toml`, and for 2020 `imputation.toml`), checks it, and computes every
//! sub-dimension, dimension and DESI score with DuckDB over the store's current version of the
//! input dataset: `desi_2022_complete` (the workbook's filled wide table, `--format desi-wide`) or
//! `desi_2020_raw` (the raw long CSV, `--format desi-csv`, whose gaps [`super::imputation`] fills
//! first, in Rust over the values read from DuckDB).
//!
//! The method is parameters, not code paths: normalisation `(x − min)/(max − min) × 100`
//! (`(max − x)/(max − min) × 100` when lower is better), not clipped; a sub-dimension is
//! `Σ w·s / Σ w` of its indicators, a dimension the same of its sub-dimensions, the DESI the same
//! of the dimensions; a missing input makes every score above it missing. The parameters and the
//! filled cells go into DuckDB temp tables through an `Appender`, never into SQL text; both
//! methodologies share one normalising and aggregating SELECT.
//!
//! Must not write to the store, decide how a gap is filled (that is `imputation`'s) or round
//! anything: scores are IEEE doubles from end to end.
//!
//! The result is a [`Composite`]: the scores in the order of the Commission's tables (edition,
//! then geo in the order of `method.toml [geos]` with the aggregate last, then the DESI, the
//! dimensions and the sub-dimensions in file order; 2,520 rows for 2022, 3,132 for 2020), and
//! notes for the user (input series absent from the store, scores missing everywhere).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use duckdb::{Connection, params};
use serde::Deserialize;

use super::imputation::{self, Filled, Imputation};
use super::{IndicatorError, Result};
use crate::store::Store;

/// Tolerance for weights that must add up to 1.
const WEIGHT_TOLERANCE: f64 = 1e-9;

/// The dataset id the 2022 methodology reads its indicator values from.
pub const DESI_2022_DATASET: &str = "desi_2022_complete";

/// The dataset id the 2020 methodology reads its raw indicator values from.
pub const DESI_2020_DATASET: &str = "desi_2020_raw";

/// The methodologies desi-city knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    /// DESI 2022: 4 dimensions, editions 2017–2022.
    Desi2022,
    /// DESI 2020: 5 dimensions, editions 2015–2020, from raw values with gaps (imputed).
    Desi2020,
}

impl Edition {
    /// `2022` or `2020`, as in the CSV's `methodology` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::Desi2022 => "2022",
            Edition::Desi2020 => "2020",
        }
    }

    /// The methodology's folder under `indicators/methodology/`.
    pub fn folder(self) -> &'static str {
        match self {
            Edition::Desi2022 => "desi-2022",
            Edition::Desi2020 => "desi-2020",
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `method.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Method {
    pub id: String,
    pub title: String,
    pub publisher: String,
    pub attribution: String,
    pub methodology_owner: String,
    /// The missing-value rules (a file of the folder), when the input is not filled already.
    #[serde(default)]
    pub imputation: Option<String>,
    #[serde(rename = "edition")]
    pub editions: Vec<EditionLabel>,
    pub input: Input,
    pub normalisation: Normalisation,
    pub aggregation: Aggregation,
    pub geos: Geos,
}

/// One `[[edition]]` of `method.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionLabel {
    pub year: i32,
    pub label: String,
}

/// `method.toml [input]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub format: String,
    pub file: String,
    pub edition_column: String,
    pub geo_column: String,
    #[serde(default)]
    pub ignore_columns: Vec<String>,
    /// The series columns of a long (`desi-csv`) input.
    #[serde(default)]
    pub indicator_column: Option<String>,
    #[serde(default)]
    pub breakdown_column: Option<String>,
    #[serde(default)]
    pub unit_column: Option<String>,
    #[serde(default)]
    pub value_column: Option<String>,
    pub missing: String,
    pub imputed: bool,
    #[serde(default)]
    pub raw_file: Option<String>,
}

/// `method.toml [normalisation]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalisation {
    pub formula: String,
    pub formula_lower_is_better: String,
    pub clip: bool,
}

/// `method.toml [aggregation]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregation {
    pub subdimension: String,
    pub dimension: String,
    pub desi: String,
    pub missing: String,
    pub rounding: String,
}

/// `method.toml [geos]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geos {
    pub members: Vec<String>,
    pub aggregate: String,
}

/// `structure.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Structure {
    #[serde(rename = "dimension")]
    pub dimensions: Vec<Dimension>,
    #[serde(rename = "subdimension")]
    pub subdimensions: Vec<Subdimension>,
}

/// One `[[dimension]]` of `structure.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub code: String,
    pub id: String,
    #[serde(default)]
    pub scoreboard: Option<String>,
    pub title: String,
    pub weight: f64,
}

/// One `[[subdimension]]` of `structure.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subdimension {
    pub code: String,
    pub dimension: String,
    #[serde(default)]
    pub scoreboard: Option<String>,
    pub title: String,
    pub weight: f64,
}

/// `indicators.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorsFile {
    #[serde(rename = "indicator")]
    indicators: Vec<Indicator>,
}

/// One `[[indicator]]` of `indicators.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    #[serde(default)]
    pub short_code: Option<String>,
    pub title: String,
    pub dimension: String,
    pub subdimension: String,
    pub higher_is_better: bool,
    pub min: f64,
    pub max: f64,
    pub weight: f64,
    /// The header of its column in the wide input table (`desi-wide`); its first word is the
    /// code the store keeps in the `indicator` column.
    #[serde(default)]
    pub column: String,
    /// The series it reads in a long input (`desi-csv`).
    #[serde(default)]
    pub input: Option<Scoreboard>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub definition: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub data_year: BTreeMap<String, i32>,
    #[serde(default)]
    pub scoreboard: Option<Scoreboard>,
}

/// The digital-agenda-data.eu codes of an indicator's series.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoreboard {
    pub indicator: String,
    pub breakdown: String,
    pub unit: String,
}

impl Indicator {
    /// The code of the input column: the first word of `column`.
    pub fn input_code(&self) -> &str {
        self.column.split_whitespace().next().unwrap_or_default()
    }
}

/// A loaded and checked methodology.
#[derive(Debug, Clone)]
pub struct Methodology {
    pub edition: Edition,
    pub dir: PathBuf,
    pub method: Method,
    pub structure: Structure,
    pub indicators: Vec<Indicator>,
    /// The missing-value rules (`method.toml imputation`), for an input not filled already.
    pub imputation: Option<Imputation>,
}

/// The level of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Desi,
    Dimension,
    Subdimension,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Desi => "desi",
            Level::Dimension => "dimension",
            Level::Subdimension => "subdimension",
        }
    }

    fn parse(s: &str) -> Option<Level> {
        match s {
            "desi" => Some(Level::Desi),
            "dimension" => Some(Level::Dimension),
            "subdimension" => Some(Level::Subdimension),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the composite: `methodology,edition,geo,level,code,score`.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub methodology: Edition,
    /// The DESI edition year (2017 … 2022 for the 2022 methodology).
    pub edition: i32,
    pub geo: String,
    pub level: Level,
    /// The Commission's code: `desi`, `1` … `4`, `1a` …
    pub code: String,
    /// `None` when an input is missing (missing propagates).
    pub score: Option<f64>,
}

/// The command that puts the methodology's input into the store, for error messages and docs.
pub fn import_command(methodology: &Methodology) -> String {
    format!(
        "desi-city import {} --dataset {} --format {}",
        methodology.method.input.file,
        methodology.dataset(),
        methodology.method.input.format
    )
}

pub(super) fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| IndicatorError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| IndicatorError::Toml {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })
}

pub(super) fn invalid(
    path: &Path,
    key: impl Into<String>,
    problem: impl Into<String>,
    fix: &str,
) -> IndicatorError {
    IndicatorError::Invalid {
        path: path.to_owned(),
        key: key.into(),
        problem: problem.into(),
        fix: fix.to_owned(),
    }
}

/// Loads and checks the methodology `edition` from `dir` (the `indicators/methodology` folder).
pub fn load(dir: &Path, edition: Edition) -> Result<Methodology> {
    let folder = dir.join(edition.folder());
    let method: Method = read_toml(&folder.join("method.toml"))?;
    let structure: Structure = read_toml(&folder.join("structure.toml"))?;
    let indicators: IndicatorsFile = read_toml(&folder.join("indicators.toml"))?;
    let mut methodology = Methodology {
        edition,
        dir: folder,
        method,
        structure,
        indicators: indicators.indicators,
        imputation: None,
    };
    methodology.check()?;
    if let Some(file) = &methodology.method.imputation {
        let codes: Vec<&str> = methodology
            .indicators
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        let imputation = imputation::load(
            &methodology.dir.join(file),
            &codes,
            &methodology.geos(),
            &methodology.edition_years(),
        )?;
        methodology.imputation = Some(imputation);
    }
    Ok(methodology)
}

impl Methodology {
    /// The store dataset holding the input: imported from `method.toml [input] file`.
    pub fn dataset(&self) -> &'static str {
        match self.edition {
            Edition::Desi2022 => DESI_2022_DATASET,
            Edition::Desi2020 => DESI_2020_DATASET,
        }
    }

    /// Whether the input is the long digital-agenda-data.eu CSV (`desi-csv`, one row per value)
    /// rather than the workbook's wide table (`desi-wide`).
    fn long_input(&self) -> bool {
        self.method.input.format == "desi-csv"
    }

    /// The code a cell of this indicator carries in the `cells` the scores are computed from:
    /// the wide table's column code, or the indicator's own code for a long input.
    fn cell_code<'a>(&self, indicator: &'a Indicator) -> &'a str {
        if self.long_input() {
            &indicator.code
        } else {
            indicator.input_code()
        }
    }

    fn method_path(&self) -> PathBuf {
        self.dir.join("method.toml")
    }

    fn structure_path(&self) -> PathBuf {
        self.dir.join("structure.toml")
    }

    fn indicators_path(&self) -> PathBuf {
        self.dir.join("indicators.toml")
    }

    /// The edition years, in file order.
    pub fn edition_years(&self) -> Vec<i32> {
        self.method.editions.iter().map(|e| e.year).collect()
    }

    /// The geos scored: the members in file order, then the aggregate.
    pub fn geos(&self) -> Vec<&str> {
        self.method
            .geos
            .members
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(self.method.geos.aggregate.as_str()))
            .collect()
    }

    /// The title of a score's code (`"DESI"` for the total).
    pub fn title(&self, level: Level, code: &str) -> Option<&str> {
        match level {
            Level::Desi => Some("DESI"),
            Level::Dimension => self
                .structure
                .dimensions
                .iter()
                .find(|d| d.code == code)
                .map(|d| d.title.as_str()),
            Level::Subdimension => self
                .structure
                .subdimensions
                .iter()
                .find(|s| s.code == code)
                .map(|s| s.title.as_str()),
        }
    }

    /// The checks of indicators/methodology/README.md, step 1, on the files alone.
    fn check(&self) -> Result<()> {
        let mp = self.method_path();
        let sp = self.structure_path();
        let ip = self.indicators_path();
        let m = &self.method;
        let expected_format = match self.edition {
            Edition::Desi2022 => "desi-wide",
            Edition::Desi2020 => "desi-csv",
        };
        if m.input.format != expected_format {
            return Err(invalid(
                &mp,
                "[input] format",
                format!(
                    "{:?} is not a format this methodology can read",
                    m.input.format
                ),
                &format!(
                    "Use \"{expected_format}\" (desi-wide: the workbook's wide table; desi-csv: the digital-agenda-data.eu long CSV)."
                ),
            ));
        }
        if self.long_input() {
            // The desi-csv parser reads these columns (and names the geo `geo`, the edition
            // `period` in the store).
            let none = String::new();
            for (key, value, want) in [
                (
                    "[input] edition_column",
                    &m.input.edition_column,
                    "time_period",
                ),
                ("[input] geo_column", &m.input.geo_column, "ref_area"),
                (
                    "[input] indicator_column",
                    m.input.indicator_column.as_ref().unwrap_or(&none),
                    "indicator",
                ),
                (
                    "[input] breakdown_column",
                    m.input.breakdown_column.as_ref().unwrap_or(&none),
                    "breakdown",
                ),
                (
                    "[input] unit_column",
                    m.input.unit_column.as_ref().unwrap_or(&none),
                    "unit_measure",
                ),
                (
                    "[input] value_column",
                    m.input.value_column.as_ref().unwrap_or(&none),
                    "value",
                ),
            ] {
                if !value.eq_ignore_ascii_case(want) {
                    return Err(invalid(
                        &mp,
                        key,
                        format!("{value:?} is not the column the desi-csv format reads"),
                        &format!(
                            "Use \"{want}\" (desi-csv files start `observation,time_period,ref_area,indicator,breakdown,unit_measure,value,`)."
                        ),
                    ));
                }
            }
            if !m.input.imputed && m.imputation.is_none() {
                return Err(invalid(
                    &mp,
                    "imputation",
                    "the input is not imputed (imputed = false) but no imputation file is named",
                    "Name the file of the missing-value rules: imputation = \"imputation.toml\".",
                ));
            }
        } else {
            // The desi-wide parser reads the edition from `Year` and the geo from `Country`.
            for (key, value, want) in [
                ("[input] edition_column", &m.input.edition_column, "Year"),
                ("[input] geo_column", &m.input.geo_column, "Country"),
            ] {
                if !value.eq_ignore_ascii_case(want) {
                    return Err(invalid(
                        &mp,
                        key,
                        format!("{value:?} is not the column the desi-wide format reads"),
                        &format!(
                            "Use \"{want}\" (desi-wide tables start `Year,Country,Year + country,`)."
                        ),
                    ));
                }
            }
        }
        if m.normalisation.clip {
            return Err(invalid(
                &mp,
                "[normalisation] clip",
                "clipping scores to 0-100 is not part of the Commission's method",
                "Set clip = false.",
            ));
        }
        for (key, value) in [
            ("[aggregation] subdimension", &m.aggregation.subdimension),
            ("[aggregation] dimension", &m.aggregation.dimension),
            ("[aggregation] desi", &m.aggregation.desi),
        ] {
            if value != "weighted-mean" {
                return Err(invalid(
                    &mp,
                    key,
                    format!("{value:?} is not an aggregation desi-city knows"),
                    "Use \"weighted-mean\".",
                ));
            }
        }
        if m.aggregation.missing != "propagate" {
            return Err(invalid(
                &mp,
                "[aggregation] missing",
                format!(
                    "{:?} is not a missing-value rule desi-city knows",
                    m.aggregation.missing
                ),
                "Use \"propagate\".",
            ));
        }
        if m.aggregation.rounding != "none" {
            return Err(invalid(
                &mp,
                "[aggregation] rounding",
                format!("{:?} is not supported", m.aggregation.rounding),
                "Use \"none\": scores are kept at full precision.",
            ));
        }
        if m.editions.is_empty() {
            return Err(invalid(
                &mp,
                "[[edition]]",
                "there is no edition",
                "Add one [[edition]] block per DESI edition.",
            ));
        }
        let mut years = HashSet::new();
        let mut labels = HashSet::new();
        for (i, e) in m.editions.iter().enumerate() {
            if !years.insert(e.year) {
                return Err(invalid(
                    &mp,
                    format!("[[edition]] #{} year", i + 1),
                    format!("{} is given twice", e.year),
                    "Give each edition once.",
                ));
            }
            if !labels.insert(e.label.as_str()) {
                return Err(invalid(
                    &mp,
                    format!("[[edition]] #{} label", i + 1),
                    format!("{:?} is given twice", e.label),
                    "Give each label once.",
                ));
            }
        }
        let mut geos = HashSet::new();
        for g in self.geos() {
            if !geos.insert(g) {
                return Err(invalid(
                    &mp,
                    "[geos]",
                    format!("{g:?} is listed twice"),
                    "List each geo once, the aggregate only in `aggregate`.",
                ));
            }
        }

        // Dimensions.
        if self.structure.dimensions.is_empty() {
            return Err(invalid(
                &sp,
                "[[dimension]]",
                "there is no dimension",
                "Add one [[dimension]] block per dimension.",
            ));
        }
        let mut dims = HashSet::new();
        for d in &self.structure.dimensions {
            let key = format!("[[dimension]] code = {:?}", d.code);
            if !dims.insert(d.code.as_str()) {
                return Err(invalid(
                    &sp,
                    key,
                    "the code is given twice",
                    "Give each dimension once.",
                ));
            }
            if !(d.weight.is_finite() && d.weight > 0.0) {
                return Err(invalid(
                    &sp,
                    format!("{key}, weight"),
                    format!("{} is not a positive number", d.weight),
                    "Give a weight > 0.",
                ));
            }
        }
        let total: f64 = self.structure.dimensions.iter().map(|d| d.weight).sum();
        if (total - 1.0).abs() > WEIGHT_TOLERANCE {
            return Err(invalid(
                &sp,
                "[[dimension]] weight",
                format!("the dimension weights add up to {total}, not 1"),
                "Change the weights so that they add up to 1.",
            ));
        }

        // Sub-dimensions.
        let mut subs: HashMap<&str, &Subdimension> = HashMap::new();
        for s in &self.structure.subdimensions {
            let key = format!("[[subdimension]] code = {:?}", s.code);
            if subs.insert(s.code.as_str(), s).is_some() {
                return Err(invalid(
                    &sp,
                    key,
                    "the code is given twice",
                    "Give each sub-dimension once.",
                ));
            }
            if !dims.contains(s.dimension.as_str()) {
                return Err(invalid(
                    &sp,
                    format!("{key}, dimension"),
                    format!("there is no dimension {:?}", s.dimension),
                    "Use the code of a [[dimension]] block.",
                ));
            }
            if !(s.weight.is_finite() && s.weight > 0.0) {
                return Err(invalid(
                    &sp,
                    format!("{key}, weight"),
                    format!("{} is not a positive number", s.weight),
                    "Give a weight > 0.",
                ));
            }
        }
        for d in &self.structure.dimensions {
            let members: Vec<&Subdimension> = self
                .structure
                .subdimensions
                .iter()
                .filter(|s| s.dimension == d.code)
                .collect();
            if members.is_empty() {
                return Err(invalid(
                    &sp,
                    format!("[[dimension]] code = {:?}", d.code),
                    "the dimension has no sub-dimension",
                    "Add a [[subdimension]] with this dimension, or remove the dimension.",
                ));
            }
            let total: f64 = members.iter().map(|s| s.weight).sum();
            if (total - 1.0).abs() > WEIGHT_TOLERANCE {
                return Err(invalid(
                    &sp,
                    format!("[[subdimension]] weight (dimension {:?})", d.code),
                    format!(
                        "the sub-dimension weights of dimension {:?} add up to {total}, not 1",
                        d.code
                    ),
                    "Change the weights so that they add up to 1.",
                ));
            }
        }

        // Indicators.
        let mut codes = HashSet::new();
        let mut inputs = HashSet::new();
        for ind in &self.indicators {
            let key = format!("[[indicator]] code = {:?}", ind.code);
            if !codes.insert(ind.code.as_str()) {
                return Err(invalid(
                    &ip,
                    key,
                    "the code is given twice",
                    "Give each indicator once.",
                ));
            }
            let Some(sub) = subs.get(ind.subdimension.as_str()) else {
                return Err(invalid(
                    &ip,
                    format!("{key}, subdimension"),
                    format!(
                        "there is no sub-dimension {:?} in structure.toml",
                        ind.subdimension
                    ),
                    "Use the code of a [[subdimension]] block of structure.toml.",
                ));
            };
            if sub.dimension != ind.dimension {
                return Err(invalid(
                    &ip,
                    format!("{key}, dimension"),
                    format!(
                        "sub-dimension {:?} belongs to dimension {:?}, not {:?}",
                        sub.code, sub.dimension, ind.dimension
                    ),
                    "Make the dimension that of the sub-dimension.",
                ));
            }
            if !(ind.min.is_finite() && ind.max.is_finite() && ind.max > ind.min) {
                return Err(invalid(
                    &ip,
                    format!("{key}, max"),
                    format!("max ({}) is not greater than min ({})", ind.max, ind.min),
                    "Give the reference max and min of the workbook, max > min.",
                ));
            }
            if !(ind.weight.is_finite() && ind.weight > 0.0) {
                return Err(invalid(
                    &ip,
                    format!("{key}, weight"),
                    format!("{} is not a positive number", ind.weight),
                    "Give a weight > 0.",
                ));
            }
            if self.long_input() {
                let Some(series) = &ind.input else {
                    return Err(invalid(
                        &ip,
                        format!("{key}, [indicator.input]"),
                        "the indicator names no series of the long input",
                        "Add [indicator.input] with its indicator, breakdown and unit codes.",
                    ));
                };
                let name = format!("{}/{}/{}", series.indicator, series.breakdown, series.unit);
                if !inputs.insert(name.clone()) {
                    return Err(invalid(
                        &ip,
                        format!("{key}, [indicator.input]"),
                        format!("another indicator reads the series {name} too"),
                        "Give each indicator its own series.",
                    ));
                }
                continue;
            }
            if ind.input_code().is_empty() {
                return Err(invalid(
                    &ip,
                    format!("{key}, column"),
                    "the column header is empty",
                    "Copy the header of the indicator's column from the input table.",
                ));
            }
            if !inputs.insert(ind.input_code().to_owned()) {
                return Err(invalid(
                    &ip,
                    format!("{key}, column"),
                    format!(
                        "another indicator reads the column {:?} too",
                        ind.input_code()
                    ),
                    "Give each indicator its own column.",
                ));
            }
        }
        for s in &self.structure.subdimensions {
            if !self.indicators.iter().any(|i| i.subdimension == s.code) {
                return Err(invalid(
                    &ip,
                    "[[indicator]] subdimension",
                    format!(
                        "sub-dimension {:?} of structure.toml has no indicator",
                        s.code
                    ),
                    "Add an indicator to it, or remove it from structure.toml.",
                ));
            }
        }
        Ok(())
    }
}

/// A SQL string literal: `'` doubled. Used only for a path the store built (see [`compute`]).
fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The composite's scores and what the user should know about them (printed once to stderr by
/// the CLI): input series absent from the store, scores missing for every geo and edition.
#[derive(Debug, Clone, PartialEq)]
pub struct Composite {
    pub scores: Vec<Score>,
    pub notes: Vec<String>,
}

/// Puts the store's current version of `dataset` behind the temp view `view`.
fn attach(
    conn: &Connection,
    store: &Store,
    dataset: &str,
    view: &str,
    missing: impl FnOnce() -> IndicatorError,
) -> Result<()> {
    let version = store.current(dataset)?.ok_or_else(missing)?;
    let path = store.file_path(&version);
    // DuckDB takes no bound parameter in CREATE VIEW, so the path is written into the SQL as a
    // string literal. It comes from the store (built from checked dataset and version ids under
    // the data dir), never from a request; `sql_literal` doubles any `'` all the same. `view` is
    // one of this module's constants.
    conn.execute_batch(&format!(
        "CREATE TEMP VIEW {view} AS SELECT * FROM read_parquet({});",
        sql_literal(&path.to_string_lossy())
    ))?;
    Ok(())
}

/// The columns of a view that are absent.
fn absent_columns(conn: &Connection, view: &str, want: &[&str]) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("SELECT column_name FROM (DESCRIBE {view})"))?;
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(want
        .iter()
        .filter(|c| !columns.iter().any(|have| have == *c))
        .map(|c| (*c).to_owned())
        .collect())
}

/// The first column of a query's rows, as strings.
/// What a check query lists as absent, joined for a message; `None` when it lists nothing.
fn absent_rows(conn: &Connection, sql: &str) -> Result<Option<String>> {
    let absent = strings(conn, sql)?;
    Ok((!absent.is_empty()).then(|| absent.join(", ")))
}

fn strings(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(rows)
}

/// Computes the composite for every geo of the methodology and every edition (or only
/// `edition`, a year), over the store's current version of the methodology's dataset
/// ([`Methodology::dataset`]); a long input is filled by its imputation rules first, for every
/// edition. Blocking (DuckDB): call it from `spawn_blocking` in async code.
pub fn compute(
    store: &Store,
    methodology: &Methodology,
    edition: Option<i32>,
) -> Result<Composite> {
    let editions: Vec<&EditionLabel> = match edition {
        None => methodology.method.editions.iter().collect(),
        Some(year) => {
            let found: Vec<&EditionLabel> = methodology
                .method
                .editions
                .iter()
                .filter(|e| e.year == year)
                .collect();
            if found.is_empty() {
                let known: Vec<String> = methodology
                    .edition_years()
                    .iter()
                    .map(i32::to_string)
                    .collect();
                return Err(IndicatorError::UnknownEdition {
                    methodology: methodology.edition.as_str().to_owned(),
                    edition: year,
                    known: known.join(", "),
                });
            }
            found
        }
    };
    let conn = super::connection()?;
    conn.execute_batch(
        "CREATE TEMP TABLE m_editions (year INTEGER, label VARCHAR, ord INTEGER);
         CREATE TEMP TABLE m_all_editions (year INTEGER, label VARCHAR, ord INTEGER);
         CREATE TEMP TABLE m_geos (geo VARCHAR, ord INTEGER);
         CREATE TEMP TABLE m_dimensions (code VARCHAR, weight DOUBLE, ord INTEGER);
         CREATE TEMP TABLE m_subdimensions (code VARCHAR, dimension VARCHAR, weight DOUBLE, ord INTEGER);
         CREATE TEMP TABLE m_indicators (code VARCHAR, input VARCHAR, subdimension VARCHAR,
             higher_is_better BOOLEAN, min DOUBLE, max DOUBLE, weight DOUBLE, ord INTEGER);",
    )?;
    {
        let mut a = conn.appender("m_editions")?;
        for (i, e) in editions.iter().enumerate() {
            a.append_row(params![e.year, e.label, i as i32])?;
        }
        let mut a = conn.appender("m_all_editions")?;
        for (i, e) in methodology.method.editions.iter().enumerate() {
            a.append_row(params![e.year, e.label, i as i32])?;
        }
        let mut a = conn.appender("m_geos")?;
        for (i, g) in methodology.geos().iter().enumerate() {
            a.append_row(params![g, i as i32])?;
        }
        let mut a = conn.appender("m_dimensions")?;
        for (i, d) in methodology.structure.dimensions.iter().enumerate() {
            a.append_row(params![d.code, d.weight, i as i32])?;
        }
        let mut a = conn.appender("m_subdimensions")?;
        for (i, s) in methodology.structure.subdimensions.iter().enumerate() {
            a.append_row(params![s.code, s.dimension, s.weight, i as i32])?;
        }
        let mut a = conn.appender("m_indicators")?;
        for (i, ind) in methodology.indicators.iter().enumerate() {
            a.append_row(params![
                ind.code,
                methodology.cell_code(ind),
                ind.subdimension,
                ind.higher_is_better,
                ind.min,
                ind.max,
                ind.weight,
                i as i32
            ])?;
        }
    }

    let mut notes = if methodology.long_input() {
        fill_long_input(&conn, store, methodology)?
    } else {
        read_wide_input(&conn, store, methodology)?;
        Vec::new()
    };

    // Read-only SELECT over the cells and the method's temp tables. An aggregate is missing as
    // soon as one of its inputs is (count(*) counts members, count(score) those with a score);
    // sums run in file order. A zero-score cell scores 0 whatever its value.
    let sql = "
        WITH cells AS (
            SELECT e.year AS edition, e.ord AS e_ord, g.geo, g.ord AS g_ord,
                   i.subdimension, i.weight, i.ord,
                   CASE WHEN o.zero_score THEN 0.0
                        WHEN i.higher_is_better
                        THEN (o.value - i.min) / (i.max - i.min) * 100
                        ELSE (i.max - o.value) / (i.max - i.min) * 100 END AS score
            FROM m_editions e CROSS JOIN m_geos g CROSS JOIN m_indicators i
            LEFT JOIN cell_values o
              ON o.period = e.label AND o.geo = g.geo AND o.indicator = i.input
        ),
        sub AS (
            SELECT c.edition, c.e_ord, c.geo, c.g_ord, s.code, s.dimension, s.weight, s.ord,
                   CASE WHEN count(*) = count(c.score)
                        THEN sum(c.weight * c.score ORDER BY c.ord) / sum(c.weight ORDER BY c.ord)
                        END AS score
            FROM cells c JOIN m_subdimensions s ON s.code = c.subdimension
            GROUP BY ALL
        ),
        dim AS (
            SELECT b.edition, b.e_ord, b.geo, b.g_ord, d.code, d.weight, d.ord,
                   CASE WHEN count(*) = count(b.score)
                        THEN sum(b.weight * b.score ORDER BY b.ord) / sum(b.weight ORDER BY b.ord)
                        END AS score
            FROM sub b JOIN m_dimensions d ON d.code = b.dimension
            GROUP BY ALL
        ),
        total AS (
            SELECT edition, e_ord, geo, g_ord,
                   CASE WHEN count(*) = count(score)
                        THEN sum(weight * score ORDER BY ord) / sum(weight ORDER BY ord)
                        END AS score
            FROM dim
            GROUP BY ALL
        )
        SELECT edition, geo, level, code, score FROM (
            SELECT edition, e_ord, geo, g_ord, 0 AS l_ord, 0 AS ord, 'desi' AS level, 'desi' AS code, score FROM total
            UNION ALL
            SELECT edition, e_ord, geo, g_ord, 1, ord, 'dimension', code, score FROM dim
            UNION ALL
            SELECT edition, e_ord, geo, g_ord, 2, ord, 'subdimension', code, score FROM sub
        )
        ORDER BY e_ord, g_ord, l_ord, ord";
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i32>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<f64>>(4)?,
        ))
    })?;
    let mut scores = Vec::new();
    for row in rows {
        let (edition, geo, level, code, score) = row?;
        let level = Level::parse(&level).unwrap_or(Level::Desi);
        scores.push(Score {
            methodology: methodology.edition,
            edition,
            geo,
            level,
            code,
            score,
        });
    }

    // The scores that no geo and edition has.
    let mut never: Vec<(Level, &str)> = Vec::new();
    for s in &scores {
        let key = (s.level, s.code.as_str());
        if !never.contains(&key)
            && scores
                .iter()
                .filter(|t| t.level == s.level && t.code == s.code)
                .all(|t| t.score.is_none())
        {
            never.push(key);
        }
    }
    if !never.is_empty() {
        let named: Vec<String> = never
            .iter()
            .map(|(level, code)| match level {
                Level::Desi => "the DESI total".to_owned(),
                _ => format!(
                    "{level} {code} ({})",
                    methodology.title(*level, code).unwrap_or_default()
                ),
            })
            .collect();
        notes.push(format!(
            "these scores are missing for every geo and edition, as an input they need has no value: {}.",
            named.join(", ")
        ));
    }
    Ok(Composite { scores, notes })
}

/// The wide, already filled input (2022): checks it and puts it behind the view `cell_values`.
fn read_wide_input(conn: &Connection, store: &Store, methodology: &Methodology) -> Result<()> {
    let dataset = methodology.dataset();
    let import = import_command(methodology);
    attach(conn, store, dataset, "observations", || {
        IndicatorError::NoData {
            dataset: dataset.to_owned(),
            import: import.clone(),
        }
    })?;
    let input_problem = |problem: String| IndicatorError::Input {
        dataset: dataset.to_owned(),
        path: methodology.indicators_path(),
        problem,
        import: import.clone(),
    };
    if let Some(c) = absent_columns(
        conn,
        "observations",
        &["indicator", "geo", "period", "value"],
    )?
    .first()
    {
        return Err(input_problem(format!(
            "it has no `{c}` column, so it was not imported with --format desi-wide"
        )));
    }
    // Every edition label, geo and indicator column the method names must be in the input.
    if let Some(absent) = absent_rows(
        conn,
        "SELECT label FROM m_editions WHERE label NOT IN (SELECT DISTINCT period FROM observations WHERE period IS NOT NULL) ORDER BY ord",
    )? {
        return Err(input_problem(format!(
            "no rows for the edition label(s) {absent}"
        )));
    }
    if let Some(absent) = absent_rows(
        conn,
        "SELECT geo FROM m_geos WHERE geo NOT IN (SELECT DISTINCT geo FROM observations) ORDER BY ord",
    )? {
        return Err(input_problem(format!("no rows for the geo(s) {absent}")));
    }
    if let Some(absent) = absent_rows(
        conn,
        "SELECT input FROM m_indicators WHERE input NOT IN (SELECT DISTINCT indicator FROM observations) ORDER BY ord",
    )? {
        return Err(input_problem(format!(
            "no column for the indicator(s) {absent}"
        )));
    }
    conn.execute_batch(
        "CREATE TEMP VIEW cell_values AS
         SELECT period, geo, indicator, value, false AS zero_score FROM observations;",
    )?;
    Ok(())
}

/// The long raw input (2020): reads its values from the store, fills the gaps by the imputation rules (every edition, in the order of the tables, as
/// the reference does: the memoised results of a cycle depend on it) and appends the filled cells
/// to the temp table `cell_values`. Returns the notes for the user.
fn fill_long_input(
    conn: &Connection,
    store: &Store,
    methodology: &Methodology,
) -> Result<Vec<String>> {
    let dataset = methodology.dataset();
    let import = import_command(methodology);
    let method_path = methodology.method_path();
    let Some(rules) = &methodology.imputation else {
        return Err(invalid(
            &method_path,
            "imputation",
            "a long (desi-csv) input needs imputation rules",
            "Name the file of the missing-value rules: imputation = \"imputation.toml\".",
        ));
    };
    attach(conn, store, dataset, "observations", || {
        IndicatorError::NoData {
            dataset: dataset.to_owned(),
            import: import.clone(),
        }
    })?;
    let input_problem = |problem: String| IndicatorError::Input {
        dataset: dataset.to_owned(),
        path: methodology.indicators_path(),
        problem,
        import: import.clone(),
    };
    let wanted = [
        "indicator",
        "breakdown",
        "unit_measure",
        "geo",
        "period",
        "value",
    ];
    if let Some(c) = absent_columns(conn, "observations", &wanted)?.first() {
        return Err(input_problem(format!(
            "it has no `{c}` column, so it was not imported with --format desi-csv"
        )));
    }
    if let Some(absent) = absent_rows(
        conn,
        "SELECT label FROM m_all_editions WHERE label NOT IN (SELECT DISTINCT period FROM observations WHERE period IS NOT NULL) ORDER BY ord",
    )? {
        return Err(input_problem(format!(
            "no rows for the edition(s) {absent}"
        )));
    }
    if let Some(absent) = absent_rows(
        conn,
        "SELECT geo FROM m_geos WHERE geo NOT IN (SELECT DISTINCT geo FROM observations) ORDER BY ord",
    )? {
        return Err(input_problem(format!("no rows for the geo(s) {absent}")));
    }

    conn.execute_batch(
        "CREATE TEMP TABLE m_series (ind INTEGER, indicator VARCHAR, breakdown VARCHAR, unit VARCHAR);",
    )?;
    {
        let mut a = conn.appender("m_series")?;
        for (i, ind) in methodology.indicators.iter().enumerate() {
            if let Some(s) = &ind.input {
                a.append_row(params![i as i32, s.indicator, s.breakdown, s.unit])?;
            }
        }
    }
    let geos = methodology.geos();
    let years = methodology.edition_years();
    let mut raw = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT s.ind, g.ord, e.year, o.value
             FROM observations o
             JOIN m_series s ON o.indicator = s.indicator AND o.breakdown = s.breakdown AND o.unit_measure = s.unit
             JOIN m_geos g ON g.geo = o.geo
             JOIN m_all_editions e ON e.label = o.period
             WHERE o.value IS NOT NULL
             ORDER BY s.ind, g.ord, e.ord",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, i32>(1)?,
                r.get::<_, i32>(2)?,
                r.get::<_, f64>(3)?,
            ))
        })?;
        for row in rows {
            let (i, g, e, v) = row?;
            let cell = (i as usize, g as usize, e);
            if raw.insert(cell, v).is_some_and(|before| before != v) {
                return Err(input_problem(format!(
                    "two different values for {} {} {e}",
                    methodology.indicators[cell.0].code, geos[cell.1]
                )));
            }
        }
    }
    let absent_series = strings(
        conn,
        "SELECT s.indicator || '/' || s.breakdown || '/' || s.unit FROM m_series s
         WHERE NOT EXISTS (SELECT 1 FROM observations o
             WHERE o.indicator = s.indicator AND o.breakdown = s.breakdown AND o.unit_measure = s.unit)
         ORDER BY s.ind",
    )?;
    let absent_codes: Vec<usize> = {
        let mut stmt = conn.prepare(
            "SELECT s.ind FROM m_series s
             WHERE NOT EXISTS (SELECT 1 FROM observations o
                 WHERE o.indicator = s.indicator AND o.breakdown = s.breakdown AND o.unit_measure = s.unit)
             ORDER BY s.ind",
        )?;
        stmt.query_map([], |r| r.get::<_, i32>(0))?
            .map(|r| r.map(|i| i as usize))
            .collect::<std::result::Result<_, _>>()?
    };

    let mut notes = Vec::new();
    for (i, group, g) in rules.differing_groups(&raw, geos.len()) {
        notes.push(format!(
            "{}: [[same_data_year]] {} {group:?}: the raw values of {} differ, so these editions may not share a data year.",
            rules.path.display(),
            methodology.indicators[i].code,
            geos[g]
        ));
    }

    let mut imputer = rules.imputer(raw);
    conn.execute_batch(
        "CREATE TEMP TABLE cell_values (period VARCHAR, geo VARCHAR, indicator VARCHAR, value DOUBLE, zero_score BOOLEAN);",
    )?;
    let mut filled = vec![0usize; methodology.indicators.len()];
    {
        let mut a = conn.appender("cell_values")?;
        for e in &methodology.method.editions {
            for (g, geo) in geos.iter().enumerate() {
                for (i, ind) in methodology.indicators.iter().enumerate() {
                    let (value, zero) = match imputer.value((i, g, e.year)) {
                        None => continue,
                        Some(Filled::Value(v)) => (Some(v), false),
                        Some(Filled::ZeroScore) => (None, true),
                    };
                    filled[i] += 1;
                    a.append_row(params![e.label, geo, ind.code, value, zero])?;
                }
            }
        }
    }

    if !absent_series.is_empty() {
        let cells = years.len() * geos.len();
        let how: Vec<String> = absent_codes
            .iter()
            .map(|&i| {
                let code = &methodology.indicators[i].code;
                match filled[i] {
                    0 => format!("{code} has no value at all"),
                    n => format!(
                        "{code} gets {n} of its {cells} cells from the rules of {} alone",
                        rules.path.display()
                    ),
                }
            })
            .collect();
        notes.insert(
            0,
            format!(
                "dataset {dataset} has no rows for the series {} of {}: the raw file it was imported from ({}) lacks them. {}. See indicators/methodology/README.md, \"Known gaps\".",
                absent_series.join(", "),
                methodology.indicators_path().display(),
                methodology.method.input.file,
                how.join("; ")
            ),
        );
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn methodology_dir() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/indicators/methodology"
        ))
    }

    /// A copy of the 2022 methodology in a temp dir, with `edit` applied to one file's text.
    fn edited(file: &str, edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("desi-2022");
        std::fs::create_dir_all(&folder).unwrap();
        for f in ["method.toml", "structure.toml", "indicators.toml"] {
            let text =
                std::fs::read_to_string(methodology_dir().join("desi-2022").join(f)).unwrap();
            let text = if f == file { edit(text) } else { text };
            std::fs::write(folder.join(f), text).unwrap();
        }
        let dir = temp.path().to_owned();
        (temp, dir)
    }

    #[test]
    fn the_shipped_2022_methodology_loads_with_its_33_indicators() {
        let m = load(&methodology_dir(), Edition::Desi2022).unwrap();
        assert_eq!(m.indicators.len(), 33);
        assert_eq!(m.structure.dimensions.len(), 4);
        assert_eq!(m.structure.subdimensions.len(), 10);
        assert_eq!(m.edition_years(), [2017, 2018, 2019, 2020, 2021, 2022]);
        assert_eq!(m.geos().len(), 28);
        let t = m.indicators.iter().find(|i| i.code == "1b3").unwrap();
        assert_eq!(t.input_code(), "1b3");
    }

    #[test]
    fn sub_dimension_weights_that_do_not_add_up_to_one_name_the_file_and_key() {
        let (_t, dir) = edited("structure.toml", |t| {
            t.replacen(
                "weight = 0.5  # subdimension_weights.csv",
                "weight = 0.6",
                1,
            )
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(err.contains("structure.toml"), "{err}");
        assert!(
            err.contains("[[subdimension]] weight (dimension \"1\")"),
            "{err}"
        );
        assert!(err.contains("add up to 1.1"), "{err}");
        assert!(err.contains("Change the weights"), "{err}");
    }

    #[test]
    fn dimension_weights_that_do_not_add_up_to_one_are_refused() {
        let (_t, dir) = edited("structure.toml", |t| {
            t.replacen("weight = 0.25", "weight = 0.3", 1)
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(
            err.contains("structure.toml, [[dimension]] weight"),
            "{err}"
        );
    }

    #[test]
    fn an_indicator_whose_max_is_not_above_its_min_is_refused() {
        let (_t, dir) = edited("indicators.toml", |t| {
            t.replacen("max = 1.0", "max = 0.0", 1)
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(
            err.contains("indicators.toml, [[indicator]] code = \"1a1\", max"),
            "{err}"
        );
    }

    #[test]
    fn an_indicator_in_an_unknown_sub_dimension_is_refused() {
        let (_t, dir) = edited("indicators.toml", |t| {
            t.replacen("subdimension = \"1a\"", "subdimension = \"1z\"", 1)
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(err.contains("there is no sub-dimension \"1z\""), "{err}");
    }

    #[test]
    fn an_unknown_key_is_refused_naming_the_file_and_the_key() {
        let (_t, dir) = edited("method.toml", |t| {
            t.replacen("clip = false", "clip = false\nclamp = true", 1)
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(err.contains("method.toml"), "{err}");
        assert!(err.contains("clamp"), "{err}");
    }

    const TINY_METHOD: &str = r#"
id = "tiny"
title = "A two-dimension test method"
publisher = "desi-city tests"
attribution = "Test data"
methodology_owner = "nobody"
[[edition]]
year = 2001
label = "y1"
[input]
format = "desi-wide"
file = "tiny.csv"
edition_column = "Year"
geo_column = "Country"
ignore_columns = ["Year + country"]
missing = ""
imputed = true
[normalisation]
formula = "(x - min) / (max - min) * 100"
formula_lower_is_better = "(max - x) / (max - min) * 100"
clip = false
[aggregation]
subdimension = "weighted-mean"
dimension = "weighted-mean"
desi = "weighted-mean"
missing = "propagate"
rounding = "none"
[geos]
members = ["AA"]
aggregate = "EU"
"#;

    const TINY_STRUCTURE: &str = r#"
[[dimension]]
code = "1"
id = "one"
title = "One"
weight = 0.5
[[dimension]]
code = "2"
id = "two"
title = "Two"
weight = 0.5
[[subdimension]]
code = "1a"
dimension = "1"
title = "One a"
weight = 1.0
[[subdimension]]
code = "2a"
dimension = "2"
title = "Two a"
weight = 1.0
"#;

    const TINY_INDICATORS: &str = r#"
[[indicator]]
code = "1a1"
title = "Higher is better"
dimension = "1"
subdimension = "1a"
higher_is_better = true
min = 0.0
max = 1.0
weight = 2.0
column = "1a1 Higher is better"
[[indicator]]
code = "1a2"
title = "Lower is better"
dimension = "1"
subdimension = "1a"
higher_is_better = false
min = 0.0
max = 10.0
weight = 1.0
column = "1a2 Lower is better"
[[indicator]]
code = "2a1"
title = "Above the reference max"
dimension = "2"
subdimension = "2a"
higher_is_better = true
min = 0.0
max = 100.0
weight = 1.0
column = "2a1 Above the reference max"
"#;

    #[test]
    fn direction_weights_no_clipping_and_missing_propagation_follow_the_method_files() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("methods").join("desi-2022");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("method.toml"), TINY_METHOD).unwrap();
        std::fs::write(folder.join("structure.toml"), TINY_STRUCTURE).unwrap();
        std::fs::write(folder.join("indicators.toml"), TINY_INDICATORS).unwrap();
        let method = load(&temp.path().join("methods"), Edition::Desi2022).unwrap();

        let store = Store::open(temp.path().join("data"), 2).unwrap();
        let csv = "Year,Country,Year + country,1a1 Higher is better,1a2 Lower is better,2a1 Above the reference max\n\
                   y1,AA,y1_AA,0.5,2,150\n\
                   y1,EU,y1_EU,0.25,,50\n";
        crate::fetch::ingest(
            &store,
            DESI_2022_DATASET,
            csv.as_bytes(),
            crate::fetch::parse::Format::DesiWide,
            &Default::default(),
            crate::fetch::ImportMeta {
                source_url: "file:///tiny.csv".into(),
                licence: "CC-BY-4.0".into(),
                attribution: "Test data".into(),
            },
        )
        .unwrap();

        let scores = compute(&store, &method, None).unwrap().scores;
        let get = |geo: &str, level: Level, code: &str| {
            scores
                .iter()
                .find(|s| s.geo == geo && s.level == level && s.code == code)
                .unwrap_or_else(|| panic!("no {geo} {level} {code}"))
                .score
        };
        // 1a = (2 × 50 + 1 × (10 − 2)/10 × 100) / 3 = 60; 2a = 150, not clipped.
        assert_eq!(get("AA", Level::Subdimension, "1a"), Some(60.0));
        assert_eq!(get("AA", Level::Subdimension, "2a"), Some(150.0));
        assert_eq!(get("AA", Level::Dimension, "1"), Some(60.0));
        assert_eq!(get("AA", Level::Desi, "desi"), Some(105.0));
        // The EU lacks 1a2: 1a, dimension 1 and the DESI are missing, dimension 2 is not.
        assert_eq!(get("EU", Level::Subdimension, "1a"), None);
        assert_eq!(get("EU", Level::Dimension, "1"), None);
        assert_eq!(get("EU", Level::Desi, "desi"), None);
        assert_eq!(get("EU", Level::Dimension, "2"), Some(50.0));
        assert_eq!(scores.len(), 2 * 5);
        assert_eq!(scores[0].geo, "AA");
        assert_eq!(scores[0].level, Level::Desi);

        let err = compute(&store, &method, Some(2002))
            .unwrap_err()
            .to_string();
        assert!(err.contains("use one of 2001"), "{err}");
    }

    #[test]
    fn the_shipped_2020_methodology_loads_with_its_37_indicators_and_its_imputation_rules() {
        let m = load(&methodology_dir(), Edition::Desi2020).unwrap();
        assert_eq!(m.indicators.len(), 37);
        assert_eq!(m.structure.dimensions.len(), 5);
        assert_eq!(m.structure.subdimensions.len(), 12);
        assert_eq!(m.edition_years(), [2015, 2016, 2017, 2018, 2019, 2020]);
        assert_eq!(m.geos().len(), 29);
        assert_eq!(m.dataset(), DESI_2020_DATASET);
        let weights: Vec<f64> = m.structure.dimensions.iter().map(|d| d.weight).collect();
        assert_eq!(weights, [0.25, 0.25, 0.15, 0.2, 0.15]);
        assert!(m.imputation.is_some());
    }

    #[test]
    fn a_2020_rule_naming_an_unknown_indicator_names_the_imputation_file() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("desi-2020");
        std::fs::create_dir_all(&folder).unwrap();
        for f in [
            "method.toml",
            "structure.toml",
            "indicators.toml",
            "imputation.toml",
        ] {
            let text =
                std::fs::read_to_string(methodology_dir().join("desi-2020").join(f)).unwrap();
            let text = if f == "imputation.toml" {
                text.replacen(
                    "indicator = \"desi_1c3_5g\"",
                    "indicator = \"desi_1c9_6g\"",
                    1,
                )
            } else {
                text
            };
            std::fs::write(folder.join(f), text).unwrap();
        }
        let err = load(temp.path(), Edition::Desi2020)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("imputation.toml, [[zero_score]] #1, indicator"),
            "{err}"
        );
        assert!(err.contains("\"desi_1c9_6g\" is not an indicator"), "{err}");
    }
}
