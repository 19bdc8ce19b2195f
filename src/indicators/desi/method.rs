//! The methodology files of one DESI methodology as typed data: `method.toml`, `structure.toml`
//! and `indicators.toml` of `indicators/methodology/desi-<YEAR>/` (and, through [`super::imputation`],
//! `imputation.toml`), the [`Methodology`] they make once loaded and checked, and what it says about
//! its input (the store dataset, the import command, the geos and editions).
//!
//! Must not read a file (that is [`super::load`]'s), touch the store or DuckDB, or compute a
//! score: these are the types and what they answer about themselves.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::imputation::Imputation;
use crate::indicators::{Import, Load};

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
pub(super) struct IndicatorsFile {
    #[serde(rename = "indicator")]
    pub(super) indicators: Vec<Indicator>,
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

    pub(super) fn parse(s: &str) -> Option<Level> {
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

impl Methodology {
    /// How the methodology's input gets into the store: its file, imported in its format.
    pub fn load(&self) -> Load {
        Load::Import(Box::new(Import {
            file: self.method.input.file.clone(),
            dataset: self.dataset().to_owned(),
            format: self.method.input.format.clone(),
        }))
    }

    /// The store dataset holding the input: imported from `method.toml [input] file`.
    pub fn dataset(&self) -> &'static str {
        match self.edition {
            Edition::Desi2022 => DESI_2022_DATASET,
            Edition::Desi2020 => DESI_2020_DATASET,
        }
    }

    /// Whether the input is the long digital-agenda-data.eu CSV (`desi-csv`, one row per value)
    /// rather than the workbook's wide table (`desi-wide`).
    pub(super) fn long_input(&self) -> bool {
        self.method.input.format == "desi-csv"
    }

    /// The code a cell of this indicator carries in the `cells` the scores are computed from:
    /// the wide table's column code, or the indicator's own code for a long input.
    pub(super) fn cell_code<'a>(&self, indicator: &'a Indicator) -> &'a str {
        if self.long_input() {
            &indicator.code
        } else {
            indicator.input_code()
        }
    }

    pub(super) fn method_path(&self) -> PathBuf {
        self.dir.join("method.toml")
    }

    pub(super) fn structure_path(&self) -> PathBuf {
        self.dir.join("structure.toml")
    }

    pub(super) fn indicators_path(&self) -> PathBuf {
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
}
