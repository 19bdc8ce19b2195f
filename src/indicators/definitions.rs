//! Indicator definitions: loads `indicators/*.toml` (one indicator per file: its DESI dimension,
//! titles in en/fr/nl/de, unit, source dataset and the filter that picks one series of it, geo
//! levels, direction, and optional supplementary sources `[[also]]` of the same definition) into
//! typed [`Indicator`]s, checked against the dataset catalogue: the source exists, the filter
//! names columns the source's format has (DESI formats have fixed columns) and codes its query
//! fetches (a Eurostat `[query.filters]` list). [`check_codes`] checks the filter codes against
//! the codes a dataset holds, given by the caller (who reads them from the store).
//!
//! A bad file is an error for that indicator only: [`load`] returns the valid indicators *and*
//! one [`DefinitionError`] per refused file (each names the file, the key and the fix), so the
//! other indicators keep working. Only a folder that cannot be listed fails the whole load.
//!
//! Must not read the store, run DuckDB or fetch anything: files in, definitions out. Sub-folders
//! (`methodology/`) and `README.md` are not indicator files and are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Import, Load};

use crate::catalog::{
    Catalog, DesiDimension, Folder, Format, Level, Provider, Source, Texts, observation,
};

/// Dimension columns an indicator filter may not name: the engine handles place and time (the
/// stored [`observation::GEO`] and [`observation::PERIOD`], and the upstream time names).
const RESERVED_FILTER_KEYS: [&str; 4] =
    [observation::GEO, "time", observation::PERIOD, "time_period"];

/// What is wrong with one indicator file (or the folder). Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    /// The folder or a file cannot be read.
    #[error(
        "{}: could not be read. Check the path of the indicators folder.",
        path.display()
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML for an indicator file: unknown key, missing key, wrong type. The TOML
    /// parser's error (it names the key, the line and the column) is the source, and is shown.
    #[error(
        "{}: {}\nFix the key as indicators/README.md describes.",
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
}

/// One checked indicator definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Equal to the file stem.
    pub id: String,
    pub dimension: DesiDimension,
    pub subdimension: String,
    pub title: Texts,
    pub description: Texts,
    /// In words, e.g. `% of households`.
    pub unit: String,
    /// The id of a source of `datasets/` (its current store version is read).
    pub source: String,
    /// Dimension column → the one code kept (e.g. `unit` → `PC_HH`).
    pub filter: BTreeMap<String, String>,
    /// `country`, and `nuts2` for regional indicators.
    pub geo_levels: Vec<Level>,
    pub higher_is_better: bool,
    /// The Eurostat online data code to cite.
    pub eurostat_code: String,
    /// How the filter codes were verified, as written in the file.
    pub verified: Option<String>,
    /// Further sources of the same definition (`[[also]]`), in file order: the main source's
    /// values come first, a supplement fills the (geo, period) cells the sources before it lack,
    /// and each value keeps its own source dataset.
    pub also: Vec<Supplement>,
    /// How the main source gets into the store: fetched, or (an import-only source of
    /// `datasets/`) its file imported in its format.
    pub load: Load,
    /// The file it was read from.
    pub file: PathBuf,
}

/// A supplementary source of an indicator: same meaning as the top-level `source` and `[filter]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplement {
    /// The id of a source of `datasets/`.
    pub source: String,
    /// Dimension column → the one code kept.
    pub filter: BTreeMap<String, String>,
    /// The first year taken from it (`since`), when its earlier years have another definition.
    pub since: Option<i32>,
}

impl Indicator {
    /// Whether the indicator is published for NUTS-2 regions (ranks among capital regions then).
    pub fn is_regional(&self) -> bool {
        self.geo_levels.contains(&Level::Nuts2)
    }
}

/// The outcome of [`load`]: the valid indicators (sorted by id) and one error per refused file.
#[derive(Debug, Default)]
pub struct Definitions {
    pub indicators: Vec<Indicator>,
    pub errors: Vec<DefinitionError>,
    /// The folder they were loaded from (`(built-in)/indicators` for the shipped one).
    pub dir: PathBuf,
    /// Where they came from, for people ([`Folder::origin`]).
    pub origin: String,
}

impl Definitions {
    /// The indicator with this id, if it loaded.
    pub fn get(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    dimension: String,
    subdimension: String,
    title: Texts,
    description: Texts,
    unit: String,
    source: String,
    eurostat_code: String,
    geo_levels: Vec<String>,
    higher_is_better: bool,
    verified: Option<String>,
    filter: BTreeMap<String, String>,
    #[serde(default)]
    also: Vec<RawSupplement>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupplement {
    source: String,
    filter: BTreeMap<String, String>,
    since: Option<i32>,
}

/// The dimension columns a format's parser always gives (besides `geo`), or `None` when they
/// depend on the dataset (Eurostat, Opendatasoft).
fn fixed_columns(format: Format) -> Option<&'static [&'static str]> {
    match format {
        Format::DesiCsv | Format::DesiFacts => Some(&["indicator", "breakdown", "unit_measure"]),
        Format::DesiWide => Some(&["indicator"]),
        _ => None,
    }
}

/// Loads every `*.toml` of the folder (hidden files, other extensions and sub-folders skipped),
/// checking each against `catalog`. Fails only when the folder cannot be listed.
pub fn load(folder: impl Into<Folder>, catalog: &Catalog) -> Result<Definitions, DefinitionError> {
    let folder = folder.into();
    let files = folder
        .toml_files()
        .map_err(|source| DefinitionError::Read {
            path: folder.label().to_path_buf(),
            source,
        })?;
    let mut definitions = Definitions {
        dir: folder.label().to_path_buf(),
        origin: folder.origin(),
        ..Definitions::default()
    };
    for name in files {
        let file = folder.path(&name);
        let parsed = folder
            .read_to_string(&name)
            .map_err(|source| DefinitionError::Read {
                path: file.clone(),
                source,
            })
            .and_then(|text| parse(&file, &text, catalog));
        match parsed {
            // Ids equal file stems, so two files of one folder cannot share an id.
            Ok(indicator) => definitions.indicators.push(indicator),
            Err(error) => definitions.errors.push(error),
        }
    }
    definitions.indicators.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(definitions)
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Parses and checks the text of one indicator file.
pub fn parse(file: &Path, text: &str, catalog: &Catalog) -> Result<Indicator, DefinitionError> {
    let raw: RawIndicator = toml::from_str(text).map_err(|source| DefinitionError::Toml {
        file: file.to_path_buf(),
        source,
    })?;
    let invalid = |key: &str, problem: String, fix: &str| DefinitionError::Invalid {
        file: file.to_path_buf(),
        key: key.to_owned(),
        problem,
        fix: fix.to_owned(),
    };
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if !is_id(&raw.id) {
        return Err(invalid(
            "id",
            format!("{:?} is not a valid id", raw.id),
            "Use lower-case letters a-z, digits, '_' and '-'.",
        ));
    }
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
    let dimension = DesiDimension::ALL
        .into_iter()
        .find(|d| d.as_str() == raw.dimension)
        .ok_or_else(|| {
            let known: Vec<&str> = DesiDimension::ALL.iter().map(|d| d.as_str()).collect();
            invalid(
                "dimension",
                format!("{:?} is not a DESI dimension", raw.dimension),
                &format!("Use one of: {}.", known.join(", ")),
            )
        })?;
    if !is_id(&raw.subdimension) {
        return Err(invalid(
            "subdimension",
            format!("{:?} is not a valid sub-dimension name", raw.subdimension),
            "Use a short name of lower-case letters, digits and '-', e.g. \"take-up\".",
        ));
    }
    for (key, texts) in [("title", &raw.title), ("description", &raw.description)] {
        if texts.en.trim().is_empty() {
            return Err(invalid(
                &format!("{key}.en"),
                "the English text is empty".to_owned(),
                "Write it.",
            ));
        }
        for (lang, text) in [("fr", &texts.fr), ("nl", &texts.nl)] {
            if text.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err(invalid(
                    &format!("{key}.{lang}"),
                    "the text is missing (French and Dutch are required: Brussels)".to_owned(),
                    &format!("Add {key}.{lang} = \"…\"."),
                ));
            }
        }
    }
    if raw.unit.trim().is_empty() {
        return Err(invalid(
            "unit",
            "the unit is empty".to_owned(),
            "Write it in words, e.g. \"% of households\".",
        ));
    }
    let source = source_of(catalog, &raw.source, "source", &invalid)?;
    if source.provider == Provider::Eurostat && source.code != raw.eurostat_code {
        return Err(invalid(
            "eurostat_code",
            format!(
                "{:?} is not the code of source {:?} ({:?})",
                raw.eurostat_code, source.id, source.code
            ),
            "Cite the Eurostat code the source fetches.",
        ));
    }
    if raw.geo_levels.is_empty() {
        return Err(invalid(
            "geo_levels",
            "no geo level is given".to_owned(),
            "Use [\"country\"], or [\"country\", \"nuts2\"] for a regional table.",
        ));
    }
    let mut geo_levels = Vec::new();
    for level in &raw.geo_levels {
        let parsed = match level.as_str() {
            "country" => Level::Country,
            "nuts2" => Level::Nuts2,
            other => {
                return Err(invalid(
                    "geo_levels",
                    format!("{other:?} is not a geo level"),
                    "Use \"country\" or \"nuts2\".",
                ));
            }
        };
        if parsed == Level::Nuts2 && source.level != Level::Nuts2 {
            return Err(invalid(
                "geo_levels",
                format!(
                    "source {:?} is a country-level dataset, so it has no \"nuts2\" values",
                    source.id
                ),
                "Remove \"nuts2\", or use a regional (isoc_r_*) source.",
            ));
        }
        if !geo_levels.contains(&parsed) {
            geo_levels.push(parsed);
        }
    }
    check_filter(source, &raw.filter, "filter", &invalid)?;
    let mut also = Vec::new();
    for (i, supplement) in raw.also.into_iter().enumerate() {
        let key = format!("also[{i}]");
        let source = source_of(
            catalog,
            &supplement.source,
            &format!("{key}.source"),
            &invalid,
        )?;
        if source.id == raw.source {
            return Err(invalid(
                &format!("{key}.source"),
                format!("{:?} is already the main source", source.id),
                "Name another dataset, or remove this [[also]] table.",
            ));
        }
        check_filter(
            source,
            &supplement.filter,
            &format!("{key}.filter"),
            &invalid,
        )?;
        if let Some(year) = supplement.since
            && !(1950..=2100).contains(&year)
        {
            return Err(invalid(
                &format!("{key}.since"),
                format!("{year} is not a year"),
                "Write the first year taken from this source, e.g. since = 2019.",
            ));
        }
        also.push(Supplement {
            source: supplement.source,
            filter: supplement.filter,
            since: supplement.since,
        });
    }
    let load = match catalog.get(&raw.source) {
        Ok(s) if s.import_only => Load::Import(Box::new(Import {
            file: s.import_file.clone().unwrap_or_else(|| "FILE".to_owned()),
            dataset: s.id.clone(),
            format: s.format.as_str().to_owned(),
        })),
        _ => Load::fetch(&raw.source),
    };
    Ok(Indicator {
        load,
        id: raw.id,
        dimension,
        subdimension: raw.subdimension,
        title: raw.title,
        description: raw.description,
        unit: raw.unit,
        source: raw.source,
        filter: raw.filter,
        geo_levels,
        higher_is_better: raw.higher_is_better,
        eurostat_code: raw.eurostat_code,
        verified: raw.verified,
        also,
        file: file.to_path_buf(),
    })
}

/// Checks the codes of an indicator's filters against the codes its datasets hold: `codes` maps a
/// dataset id to its dimension columns and their distinct codes, as the caller read them from the
/// store (this module reads no store). One error per filter line whose code the dataset lacks (a
/// DESI code misspelt, a breakdown of another KPI), naming the file, the key and codes to use;
/// a dataset absent from `codes` (not fetched yet) and a column the data lacks (reported when
/// the values are computed) are skipped.
pub fn check_codes(
    indicator: &Indicator,
    codes: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
) -> Vec<DefinitionError> {
    let main = std::iter::once(("filter".to_owned(), &indicator.source, &indicator.filter));
    let also = indicator
        .also
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("also[{i}].filter"), &a.source, &a.filter));
    let mut errors = Vec::new();
    for (key, source, filter) in main.chain(also) {
        let Some(columns) = codes.get(source) else {
            continue;
        };
        for (column, code) in filter {
            let Some(held) = columns.get(column) else {
                continue;
            };
            if held.contains(code) {
                continue;
            }
            let shown: Vec<&str> = held.iter().take(12).map(String::as_str).collect();
            let more = if held.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            errors.push(DefinitionError::Invalid {
                file: indicator.file.clone(),
                key: format!("{key}.{column}"),
                problem: format!(
                    "{code:?} is not a code of column {column} in dataset {source} (it holds {} codes)",
                    held.len()
                ),
                fix: format!(
                    "Use a code the dataset holds: {}{more}.",
                    shown.join(", ")
                ),
            });
        }
    }
    errors
}

/// The catalogue's source `id`, or the error for `key` listing the known ids.
fn source_of<'c>(
    catalog: &'c Catalog,
    id: &str,
    key: &str,
    invalid: &impl Fn(&str, String, &str) -> DefinitionError,
) -> Result<&'c Source, DefinitionError> {
    let source = catalog.get(id).map_err(|_| {
        let known: Vec<&str> = catalog.ids().collect();
        invalid(
            key,
            format!("{id:?} is not a dataset of {}", catalog.dir.display()),
            &format!(
                "Use the id of a dataset file ({}), or add that dataset first.",
                known.join(", ")
            ),
        )
    })?;
    // Region shapes (GISCO) are drawn by the maps, never computed as an indicator.
    if source.format.is_geometry() {
        let statistics: Vec<&str> = catalog
            .sources
            .iter()
            .filter(|s| !s.format.is_geometry())
            .map(|s| s.id.as_str())
            .collect();
        return Err(invalid(
            key,
            format!(
                "{id:?} holds region shapes ({}), not statistics",
                source.format
            ),
            &format!(
                "Use a statistics dataset ({}); the maps read the shapes themselves.",
                statistics.join(", ")
            ),
        ));
    }
    Ok(source)
}

/// Checks a `[filter]` table (`key` is where it is written: `filter`, `also[0].filter`) against
/// what the catalogue knows of `source`: not empty, no reserved column, no empty code, only
/// columns of the source's format when they are fixed, only codes its query fetches.
fn check_filter(
    source: &Source,
    filter: &BTreeMap<String, String>,
    key: &str,
    invalid: &impl Fn(&str, String, &str) -> DefinitionError,
) -> Result<(), DefinitionError> {
    if filter.is_empty() {
        return Err(invalid(
            key,
            format!("the [{key}] table is empty"),
            "Give at least the unit, e.g. unit = \"PC_HH\", so that one series is picked.",
        ));
    }
    for (column, code) in filter {
        let key = format!("{key}.{column}");
        if RESERVED_FILTER_KEYS.contains(&column.as_str()) {
            return Err(invalid(
                &key,
                format!("{column:?} cannot be filtered here"),
                "Remove it: the geos and periods are chosen when the indicator is computed.",
            ));
        }
        if code.trim().is_empty() {
            return Err(invalid(
                &key,
                "the code is empty".to_owned(),
                "Give the one Eurostat code to keep, e.g. \"PC_HH\".",
            ));
        }
        if let Some(columns) = fixed_columns(source.format)
            && !columns.contains(&column.as_str())
        {
            return Err(invalid(
                &key,
                format!(
                    "source {:?} (format {}) has no column {column:?}",
                    source.id, source.format
                ),
                &format!(
                    "Filter on its columns: {} (the DESI code goes in indicator, e.g. indicator = \"desi_vhcn\").",
                    columns.join(", ")
                ),
            ));
        }
        if let Some(fetched) = source.query.filters.get(column)
            && !fetched.contains(code)
        {
            return Err(invalid(
                &key,
                format!(
                    "{code:?} is not fetched: {} asks only for {column} = {}",
                    source.file.display(),
                    fetched.join(", ")
                ),
                &format!(
                    "Use one of {}, or add {code:?} to query.filters.{column} of that dataset file.",
                    fetched.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(folder: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(folder)
    }

    fn catalog() -> Catalog {
        Catalog::load(shipped("datasets")).expect("the shipped catalogue loads")
    }

    const VALID: &str = r#"
id = "households_internet_access"
dimension = "connectivity"
subdimension = "take-up"
title = { en = "Households with internet access", fr = "Ménages avec internet", nl = "Huishoudens met internet" }
description = { en = "Share of households.", fr = "Part des ménages.", nl = "Aandeel huishoudens." }
unit = "% of households"
source = "isoc_ci_in_h"
eurostat_code = "isoc_ci_in_h"
geo_levels = ["country"]
higher_is_better = true

[filter]
unit = "PC_HH"
hhtyp = "TOTAL"
"#;

    /// A folder holding the given indicator files.
    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("indicator file written");
        }
        dir
    }

    /// The message of the one error a folder of `VALID` and `name` = `text` gives, after
    /// checking that `VALID` still loads beside it.
    fn refusal(name: &str, text: &str) -> String {
        let dir = folder(&[("households_internet_access.toml", VALID), (name, text)]);
        let loaded = load(dir.path(), &catalog()).expect("the folder is readable");
        assert_eq!(
            loaded
                .indicators
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>(),
            ["households_internet_access"],
            "the valid indicator keeps working"
        );
        assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
        let message = loaded.errors[0].to_string();
        assert!(message.contains(name), "{message:?} does not name {name}");
        message
    }

    fn assert_mentions(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
    }

    fn other(text: &str) -> String {
        text.replace("\"households_internet_access\"", "\"other\"")
    }

    #[test]
    fn a_valid_file_loads_with_its_filter_and_levels() {
        let dir = folder(&[("households_internet_access.toml", VALID)]);
        let loaded = load(dir.path(), &catalog()).expect("loads");
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let ind = loaded.get("households_internet_access").expect("present");
        assert_eq!(ind.dimension, DesiDimension::Connectivity);
        assert_eq!(ind.filter["unit"], "PC_HH");
        assert_eq!(ind.filter["hhtyp"], "TOTAL");
        assert_eq!(ind.geo_levels, [Level::Country]);
        assert_eq!(ind.title.get("nl"), "Huishoudens met internet");
        assert!(!ind.is_regional());
    }

    #[test]
    fn an_indicator_over_the_region_shapes_is_refused_naming_the_statistics_sources() {
        let text =
            other(VALID).replace("source = \"isoc_ci_in_h\"", "source = \"gisco_nuts2_2021\"");
        let message = refusal("other.toml", &text);
        assert_mentions(
            &message,
            &["\"gisco_nuts2_2021\" holds region shapes", "isoc_ci_in_h"],
        );
    }

    #[test]
    fn an_unknown_key_is_refused_for_that_file_only() {
        let text = other(VALID).replace("unit = \"% of", "unti = \"x\"\nunit = \"% of");
        let message = refusal("other.toml", &text);
        assert_mentions(&message, &["unknown field `unti`"]);
    }

    #[test]
    fn a_missing_key_is_refused() {
        let text = other(VALID).replace("higher_is_better = true\n", "");
        let message = refusal("other.toml", &text);
        assert_mentions(&message, &["missing field `higher_is_better`"]);
    }

    #[test]
    fn a_source_missing_from_the_datasets_folder_is_refused_with_the_known_sources() {
        let text = other(VALID).replace("source = \"isoc_ci_in_h\"", "source = \"isoc_ci_in\"");
        let message = refusal("other.toml", &text);
        assert_mentions(
            &message,
            &[
                "key \"source\"",
                "\"isoc_ci_in\"",
                "isoc_r_iacc_h",
                "dataset",
            ],
        );
    }

    #[test]
    fn a_bad_dimension_is_refused_with_the_five_dimensions() {
        let text = other(VALID).replace("\"connectivity\"", "\"connectivty\"");
        let message = refusal("other.toml", &text);
        assert_mentions(
            &message,
            &[
                "key \"dimension\"",
                "connectivty",
                "digital-public-services",
            ],
        );
    }

    #[test]
    fn an_id_that_differs_from_the_file_name_is_refused() {
        let message = refusal("other.toml", VALID);
        assert_mentions(&message, &["key \"id\"", "file name"]);
    }

    #[test]
    fn a_missing_dutch_title_is_refused() {
        let text = other(VALID).replace(", nl = \"Huishoudens met internet\"", "");
        let message = refusal("other.toml", &text);
        assert_mentions(&message, &["key \"title.nl\"", "Add title.nl"]);
    }

    #[test]
    fn a_regional_level_on_a_country_source_is_refused() {
        let text = other(VALID).replace("[\"country\"]", "[\"country\", \"nuts2\"]");
        let message = refusal("other.toml", &text);
        assert_mentions(&message, &["key \"geo_levels\"", "country-level"]);
    }

    #[test]
    fn an_unknown_geo_level_is_refused() {
        let text = other(VALID).replace("[\"country\"]", "[\"nuts3\"]");
        let message = refusal("other.toml", &text);
        assert_mentions(&message, &["key \"geo_levels\"", "nuts3"]);
    }

    #[test]
    fn a_geo_filter_is_refused() {
        let text = other(VALID).replace("hhtyp = \"TOTAL\"", "geo = \"BE\"");
        let message = refusal("other.toml", &text);
        assert_mentions(&message, &["key \"filter.geo\""]);
    }

    #[test]
    fn an_empty_filter_is_refused() {
        let text = other(VALID)
            .replace("unit = \"PC_HH\"\n", "")
            .replace("hhtyp = \"TOTAL\"\n", "");
        let message = refusal("other.toml", &text);
        assert_mentions(&message, &["key \"filter\"", "empty"]);
    }

    #[test]
    fn a_wrong_eurostat_code_is_refused() {
        let text =
            other(VALID).replace("eurostat_code = \"isoc_ci_in_h\"", "eurostat_code = \"x\"");
        let message = refusal("other.toml", &text);
        assert_mentions(&message, &["key \"eurostat_code\"", "isoc_ci_in_h"]);
    }

    #[test]
    fn a_broken_file_is_reported_and_sub_folders_and_other_files_are_skipped() {
        let dir = folder(&[
            ("households_internet_access.toml", VALID),
            ("broken.toml", "id = [broken"),
            ("README.md", "# not an indicator"),
        ]);
        std::fs::create_dir(dir.path().join("methodology")).expect("sub-folder");
        let loaded = load(dir.path(), &catalog()).expect("loads");
        assert_eq!(loaded.indicators.len(), 1);
        assert_eq!(
            loaded.errors.len(),
            1,
            "only the broken file: {:?}",
            loaded.errors
        );
        assert_mentions(&loaded.errors[0].to_string(), &["broken.toml"]);
    }

    #[test]
    fn a_folder_that_cannot_be_read_fails_the_whole_load() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let error = load(dir.path().join("missing"), &catalog()).expect_err("no folder");
        assert!(matches!(error, DefinitionError::Read { .. }));
        // The engine names the folder; the command line adds its flag (tests/it/indicators.rs).
        assert_mentions(&error.to_string(), &["missing", "indicators folder"]);
        assert!(!error.to_string().contains("--"), "{error}");
    }

    #[test]
    fn the_shipped_indicators_load_without_error_and_cover_all_five_dimensions() {
        let loaded = load(shipped("indicators"), &catalog()).expect("the folder is readable");
        let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(loaded.indicators.len() >= 12, "{}", loaded.indicators.len());
        for dimension in DesiDimension::ALL {
            assert!(
                loaded.indicators.iter().any(|i| i.dimension == dimension),
                "no indicator for {dimension}"
            );
        }
        for ind in &loaded.indicators {
            assert!(
                ind.verified.is_some(),
                "{} says nothing of its codes",
                ind.id
            );
        }
        assert!(
            loaded.indicators.iter().any(Indicator::is_regional),
            "a regional indicator is expected"
        );
        let cloud = loaded
            .get("enterprises_cloud_sophisticated")
            .expect("the cloud indicator loads");
        assert_eq!(cloud.source, "isoc_cicce_use");
        assert_eq!(
            cloud.also,
            [Supplement {
                source: "desi".to_owned(),
                filter: [
                    ("breakdown", "ent_all_xfin"),
                    ("indicator", "desi_cloud"),
                    ("unit_measure", "pc_ent"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
                since: None,
            }]
        );
    }

    const PLATFORM: &str = r#"
id = "gigabit"
dimension = "connectivity"
subdimension = "coverage"
title = { en = "Gigabit", fr = "Gigabit", nl = "Gigabit" }
description = { en = "Coverage.", fr = "Couverture.", nl = "Dekking." }
unit = "% of households"
source = "desi"
eurostat_code = "desi_vhcn"
geo_levels = ["country"]
higher_is_better = true

[filter]
indicator = "desi_vhcn"
breakdown = "total_pophh"
unit_measure = "pc_hh"
"#;

    #[test]
    fn supplements_are_read_in_file_order_with_their_own_source_and_filter() {
        let text = format!(
            "{PLATFORM}\n[[also]]\nsource = \"isoc_e_dii\"\nfilter = {{ indic_is = \"E_DI3_GELO\", size_emp = \"10-249\" }}\n\n[[also]]\nsource = \"desi_dd_trajectories\"\nfilter = {{ indicator = \"dd_5gc\" }}\n"
        );
        let dir = folder(&[("gigabit.toml", &text)]);
        let loaded = load(dir.path(), &catalog()).expect("loads");
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let ind = loaded.get("gigabit").expect("present");
        let sources: Vec<&str> = ind.also.iter().map(|a| a.source.as_str()).collect();
        assert_eq!(sources, ["isoc_e_dii", "desi_dd_trajectories"]);
        assert_eq!(ind.also[0].filter["size_emp"], "10-249");
        assert_eq!(ind.also[1].filter["indicator"], "dd_5gc");
    }

    #[test]
    fn a_supplement_from_an_unknown_dataset_is_refused_naming_its_key() {
        let text = format!(
            "{PLATFORM}\n[[also]]\nsource = \"desi_2030\"\nfilter = {{ indicator = \"desi_vhcn\" }}\n"
        );
        let message = refusal("gigabit.toml", &text);
        assert_mentions(
            &message,
            &[
                "key \"also[0].source\"",
                "desi_2030",
                "isoc_ci_in_h",
                "add that dataset",
            ],
        );
        let empty = format!("{PLATFORM}\n[[also]]\nsource = \"isoc_e_dii\"\nfilter = {{}}\n");
        assert_mentions(
            &refusal("gigabit.toml", &empty),
            &["key \"also[0].filter\"", "empty"],
        );
        let same =
            format!("{PLATFORM}\n[[also]]\nsource = \"desi\"\nfilter = {{ indicator = \"x\" }}\n");
        assert_mentions(
            &refusal("gigabit.toml", &same),
            &["also[0].source", "already the main source"],
        );
    }

    #[test]
    fn a_column_a_desi_dataset_lacks_is_refused_with_its_columns() {
        let text = PLATFORM.replace("unit_measure = \"pc_hh\"", "unit = \"pc_hh\"");
        assert_mentions(
            &refusal("gigabit.toml", &text),
            &[
                "key \"filter.unit\"",
                "source \"desi\" (format desi-facts) has no column \"unit\"",
                "indicator, breakdown, unit_measure",
            ],
        );
        let text = format!(
            "{PLATFORM}\n[[also]]\nsource = \"desi_dd_trajectories\"\nfilter = {{ code = \"dd_5gc\" }}\n"
        );
        assert_mentions(
            &refusal("gigabit.toml", &text),
            &["key \"also[0].filter.code\""],
        );
    }

    /// The dimension columns and distinct codes of the real platform facts, as `desi`.
    fn platform_codes() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
        use arrow::array::{Array, StringArray};
        let bytes = std::fs::read(shipped("../shared/data/desi/platform/facts_desi.csv"))
            .expect("the shared platform facts");
        let parsed = crate::fetch::parse::parse(
            crate::fetch::parse::Format::DesiFacts,
            "desi",
            &bytes,
            &crate::fetch::parse::ParseOptions::default(),
        )
        .expect("parsed");
        let mut columns = BTreeMap::new();
        for name in &parsed.dimensions {
            let array = parsed
                .batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                .expect("a string column");
            let held: BTreeSet<String> = (0..array.len())
                .filter(|&i| array.is_valid(i))
                .map(|i| array.value(i).to_owned())
                .collect();
            columns.insert(name.clone(), held);
        }
        [("desi".to_owned(), columns)].into()
    }

    #[test]
    fn a_desi_code_the_dataset_lacks_is_refused_naming_the_file_key_and_codes() {
        let codes = platform_codes();
        let loaded = load(shipped("indicators"), &catalog()).expect("loads");
        for ind in &loaded.indicators {
            let errors = check_codes(ind, &codes);
            assert!(errors.is_empty(), "{}: {errors:?}", ind.id);
        }
        let dir = folder(&[(
            "gigabit.toml",
            &PLATFORM.replace("\"desi_vhcn\"\nbreakdown", "\"desi_vhc\"\nbreakdown"),
        )]);
        let loaded = load(dir.path(), &catalog()).expect("loads");
        let errors = check_codes(loaded.get("gigabit").expect("loads"), &codes);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_mentions(
            &errors[0].to_string(),
            &[
                "gigabit.toml",
                "key \"filter.indicator\"",
                "\"desi_vhc\" is not a code of column indicator in dataset desi",
                "Use a code the dataset holds: desi_5gcov",
            ],
        );
    }

    #[test]
    fn a_code_the_source_does_not_fetch_is_refused_naming_the_dataset_file() {
        let text = VALID.replace("hhtyp = \"TOTAL\"", "hhtyp = \"HH_CHILD\"");
        let message = refusal("other.toml", &other(&text));
        assert_mentions(
            &message,
            &[
                "key \"filter.hhtyp\"",
                "\"HH_CHILD\" is not fetched",
                "isoc_ci_in_h.toml",
                "Use one of TOTAL",
            ],
        );
    }
}
