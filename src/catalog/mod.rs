//! The catalogue: loads `datasets/*.toml` and `datasets/geo-groups.toml` into typed, validated
//! definitions, and fails fast with an error that names the file, the key and the fix.
//!
//! Pure configuration: this module reads the files of one directory and nothing else. It never
//! reaches the network, never touches the data directory, never parses upstream data, and uses
//! nothing of the crate outside `catalog`. The modules that read upstream data depend on it, not
//! the other way round: [`format`] is the one vocabulary of file formats, which the fetch parsers
//! use as their own.
//!
//! - [`datasets`]: one upstream dataset per file → [`Source`].
//! - [`format`]: the file formats ([`Format`]) and the `[ods]` mapping ([`OdsMapping`]).
//! - [`geo`]: named groups of geo codes (`eu27`, `capital-regions`, …) → [`GeoGroups`].

pub mod datasets;
pub mod folder;
pub mod format;
pub mod geo;
pub mod observation;
pub mod toc;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use datasets::{
    ByDataYear, DesiDimension, Format, Frequency, Level, OdsMapping, Provider, Query, Source, Texts,
};
pub use folder::{BuiltIn, Folder};
pub use geo::{GEO_GROUPS_FILE, GeoGroup, GeoGroups, UnknownGroup};

/// Everything that can be wrong with the catalogue. Every variant that comes from a file names
/// that file; validation errors also name the key and say how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A file or the directory could not be read.
    #[error("{}: could not be read", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key, a missing key or a value of the wrong
    /// kind. The TOML parser's error (it names the key, the line and the column) is the source,
    /// and its text is shown.
    #[error("{}: {}", file.display(), source.to_string().trim_end())]
    Toml {
        file: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// The file is valid TOML but a value is not acceptable.
    #[error("{}: key \"{key}\": {message}", file.display())]
    Invalid {
        file: PathBuf,
        key: String,
        message: String,
    },
    /// Two files define the same source id.
    #[error(
        "{}: source id \"{id}\" is already defined by {}. Each source id must be unique: rename one of the files and its `id`.",
        second.display(),
        first.display()
    )]
    DuplicateId {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    /// The directory holds no dataset file at all.
    #[error(
        "{}: no dataset file found. Add one `<id>.toml` file per upstream dataset (see README.md in that folder).",
        dir.display()
    )]
    Empty { dir: PathBuf },
    /// A source id was asked for that the catalogue does not define.
    #[error("unknown source \"{id}\". Known sources: {}.", known.join(", "))]
    UnknownSource { id: String, known: Vec<String> },
    /// A source with no live upstream (`import_only = true`) was asked to be fetched.
    #[error(
        "source \"{id}\" has no live upstream ({}: import_only = true), so it is never fetched: import its file{} by hand instead, with --dataset {id}.",
        file.display(),
        import_file.as_deref().map(|f| format!(" ({f})")).unwrap_or_default()
    )]
    ImportOnly {
        id: String,
        file: PathBuf,
        import_file: Option<String>,
    },
}

/// Result alias of this module.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// The validated dataset catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalog {
    /// Every source, sorted by id.
    pub sources: Vec<Source>,
    /// The directory the catalogue was loaded from (`(built-in)/datasets` for the shipped one).
    pub dir: PathBuf,
    /// Where its files came from, for people ([`Folder::origin`]).
    pub origin: String,
}

impl Catalog {
    /// Reads `dir/geo-groups.toml` and every other `dir/*.toml` (hidden files and other
    /// extensions are ignored), validates everything and returns the sources sorted by id.
    pub fn load(folder: impl Into<Folder>) -> Result<Catalog> {
        let folder = folder.into();
        let geo_groups = GeoGroups::load_from(&folder)?;
        let files = dataset_files(&folder)?;
        Catalog::from_files(&folder, &geo_groups, &files)
    }

    /// The source with this id, or an error listing the known ids.
    pub fn get(&self, id: &str) -> Result<&Source> {
        self.sources
            .iter()
            .find(|source| source.id == id)
            .ok_or_else(|| CatalogError::UnknownSource {
                id: id.to_owned(),
                known: self.ids().map(str::to_owned).collect(),
            })
    }

    /// The source ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|source| source.id.as_str())
    }

    /// Parses the given dataset files (in that order) and checks that their ids are unique.
    fn from_files(folder: &Folder, geo_groups: &GeoGroups, files: &[String]) -> Result<Catalog> {
        // An empty catalogue is valid (`serve` can serve a store as it is); `fetch` refuses to run on one.
        let mut seen: HashMap<String, PathBuf> = HashMap::new();
        let mut sources = Vec::with_capacity(files.len());
        for name in files {
            let file = &folder.path(name);
            let text = folder
                .read_to_string(name)
                .map_err(|source| CatalogError::Read {
                    path: file.clone(),
                    source,
                })?;
            let source = datasets::parse_source(file, &text, geo_groups)?;
            if let Some(first) = seen.get(&source.id) {
                return Err(CatalogError::DuplicateId {
                    id: source.id,
                    first: first.clone(),
                    second: file.clone(),
                });
            }
            seen.insert(source.id.clone(), file.clone());
            sources.push(source);
        }
        sources.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Catalog {
            sources,
            dir: folder.label().to_path_buf(),
            origin: folder.origin(),
        })
    }
}

/// The dataset files of `dir`: `*.toml` except `geo-groups.toml` and hidden files, sorted.
fn dataset_files(folder: &Folder) -> Result<Vec<String>> {
    let files = folder.toml_files().map_err(|source| CatalogError::Read {
        path: folder.label().to_path_buf(),
        source,
    })?;
    Ok(files.into_iter().filter(|f| f != GEO_GROUPS_FILE).collect())
}

/// The visible `*.toml` files directly in the disk folder `dir` (hidden files and sub-folders
/// skipped), sorted. A loader that should also read the built-in folders uses [`Folder::toml_files`].
pub fn toml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(Folder::disk(dir)
        .toml_files()?
        .into_iter()
        .map(|name| dir.join(name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GEO_GROUPS: &str = r#"
[eu27]
description = "Member states"
codes = ["BE", "DE", "EL"]

[aggregates]
description = "EU"
codes = ["EU27_2020"]

[capital-regions]
description = "Capitals"
codes = ["BE10", "DE30", "EL30"]
"#;

    const VALID: &str = r#"
id = "isoc_ci_in_h"
title = { en = "Households - level of internet access", fr = "Ménages - niveau d'accès à internet", nl = "Huishoudens - internettoegang" }
description = { en = "Share of households with internet access at home." }
provider = "eurostat"
code = "isoc_ci_in_h"
format = "jsonstat"
dimensions = ["connectivity"]
level = "country"
schedule = "0 15 6 * * *"
licence = "CC-BY-4.0"
licence_url = "https://creativecommons.org/licenses/by/4.0/"
attribution = "Source: Eurostat (online data code: isoc_ci_in_h)"
homepage = "https://ec.europa.eu/eurostat/databrowser/view/isoc_ci_in_h/default/table"

[query]
geo_groups = ["eu27", "aggregates"]
geo = ["BE", "LU"]
since = 2015
until = 2025

[query.filters]
unit = ["PC_HH"]
hhtyp = ["TOTAL"]
"#;

    const OPENDATASOFT: &str = r#"
id = "bxl_wifi"
title = { en = "Public wifi hotspots" }
description = { en = "Hotspots." }
provider = "opendatasoft"
code = "wifi"
format = "ods-csv"
dimensions = ["connectivity"]
level = "nuts2"
schedule = "0 45 5 * * *"
licence = "CC-BY-4.0"
licence_url = "https://creativecommons.org/licenses/by/4.0/"
attribution = "Source: City of Brussels"
path = "/api/explore/v2.1/catalog/datasets/wifi/exports/csv"

[query]
geo = ["BE10"]

[ods]
period = "year"
value = "hotspots"
dimensions = ["statut"]
geo_constant = "BE10"
delimiter = ";"
"#;

    const GISCO: &str = r#"
id = "gisco_nuts2"
title = { en = "NUTS 2 regions" }
description = { en = "Region shapes." }
provider = "gisco"
code = "NUTS_RG_60M_2021_4326_LEVL_2"
format = "geojson"
dimensions = []
level = "nuts2"
schedule = "0 50 4 1 * *"
licence = "EuroGeographics-GISCO"
licence_url = "https://ec.europa.eu/eurostat/web/gisco/geodata/administrative-units"
attribution = "© EuroGeographics"
path = "/nuts/geojson/NUTS_RG_60M_2021_4326_LEVL_2.geojson"

[query]
"#;

    #[test]
    fn a_geometry_source_feeds_no_dimension_and_keeps_every_region_when_its_query_names_none() {
        let dir = catalogue_dir(&[("gisco_nuts2.toml", GISCO)]);
        let catalog = Catalog::load(dir.path()).expect("valid geometry source");
        let source = catalog.get("gisco_nuts2").expect("source present");
        assert_eq!(source.provider, Provider::Gisco);
        assert_eq!(source.format, Format::GeoJson);
        assert!(source.format.is_geometry());
        assert!(source.dimensions.is_empty());
        assert!(source.query.geo.is_empty());

        let with_dimension = GISCO.replace("dimensions = []", "dimensions = [\"connectivity\"]");
        assert_mentions(
            &load_error("gisco_nuts2.toml", &with_dimension),
            &[
                "gisco_nuts2.toml",
                "key \"dimensions\"",
                "Write dimensions = []",
            ],
        );
        let wrong_format = GISCO.replace("format = \"geojson\"", "format = \"jsonstat\"");
        assert_mentions(
            &load_error("gisco_nuts2.toml", &wrong_format),
            &[
                "key \"format\"",
                "not served by provider \"gisco\"",
                "geojson",
            ],
        );
        // A statistics source still needs a dimension and a geo.
        let statistics = VALID.replace("dimensions = [\"connectivity\"]", "dimensions = []");
        assert_mentions(
            &load_error("isoc_ci_in_h.toml", &statistics),
            &["key \"dimensions\"", "lists no DESI dimension"],
        );
    }

    /// A directory holding `geo-groups.toml` and the given dataset files.
    fn catalogue_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join(GEO_GROUPS_FILE), GEO_GROUPS).expect("geo groups written");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("dataset file written");
        }
        dir
    }

    /// Loads a catalogue of one file and returns the error message it must fail with.
    fn load_error(name: &str, text: &str) -> String {
        let dir = catalogue_dir(&[(name, text)]);
        match Catalog::load(dir.path()) {
            Ok(catalog) => panic!("expected an error, loaded {:?}", catalog.sources),
            Err(error) => error.to_string(),
        }
    }

    fn assert_mentions(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
    }

    #[test]
    fn a_valid_file_loads_with_its_geo_groups_expanded_in_order_and_deduplicated() {
        let dir = catalogue_dir(&[("isoc_ci_in_h.toml", VALID)]);
        let catalog = Catalog::load(dir.path()).expect("valid catalogue");
        let source = catalog.get("isoc_ci_in_h").expect("source present");
        assert_eq!(
            source.query.geo,
            ["BE", "DE", "EL", "EU27_2020", "LU"],
            "groups first, in the order named, then explicit geos; BE only once"
        );
        assert_eq!(source.provider, Provider::Eurostat);
        assert_eq!(source.format, Format::JsonStat);
        assert_eq!(source.dimensions, [DesiDimension::Connectivity]);
        assert_eq!(source.level, Level::Country);
        assert_eq!(source.query.since, Some(2015));
        assert_eq!(source.query.filters["unit"], ["PC_HH"]);
        assert_eq!(source.title.get("nl"), "Huishoudens - internettoegang");
        assert_eq!(source.file, dir.path().join("isoc_ci_in_h.toml"));
        assert_eq!(catalog.dir, dir.path());
    }

    #[test]
    fn sources_are_sorted_by_id_and_other_files_are_ignored() {
        let second = VALID.replace("\"isoc_ci_in_h\"\ntitle", "\"aaa\"\ntitle");
        let dir = catalogue_dir(&[
            ("isoc_ci_in_h.toml", VALID),
            ("aaa.toml", &second),
            ("README.md", "# not a dataset"),
            (".hidden.toml", "not = [valid"),
            ("notes.toml.bak", "not = [valid"),
        ]);
        let catalog = Catalog::load(dir.path()).expect("valid catalogue");
        assert_eq!(catalog.ids().collect::<Vec<_>>(), ["aaa", "isoc_ci_in_h"]);
    }

    #[test]
    fn an_unknown_key_is_refused_with_the_file_name_and_the_toml_line() {
        let text = VALID.replace(
            "level = \"country\"",
            "level = \"country\"\nfrequency = \"daily\"",
        );
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(
            &message,
            &[
                "isoc_ci_in_h.toml: ",
                "unknown field `frequency`",
                "line 10",
            ],
        );
    }

    #[test]
    fn an_unknown_key_inside_the_query_table_is_refused() {
        let text = VALID.replace("since = 2015", "sinse = 2015");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["isoc_ci_in_h.toml: ", "unknown field `sinse`"]);
    }

    #[test]
    fn a_missing_required_key_is_refused() {
        let text = VALID.replace("licence = \"CC-BY-4.0\"\n", "");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(
            &message,
            &["isoc_ci_in_h.toml: ", "missing field `licence`"],
        );
    }

    #[test]
    fn an_unknown_dimension_is_refused_with_the_accepted_names() {
        let text = VALID.replace("[\"connectivity\"]", "[\"connectivty\"]");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(
            &message,
            &["connectivty", "human-capital", "digital-public-services"],
        );
    }

    #[test]
    fn an_id_that_differs_from_the_file_name_is_refused() {
        let message = load_error("isoc_ci_in_h_copy.toml", VALID);
        assert_mentions(
            &message,
            &[
                "isoc_ci_in_h_copy.toml: key \"id\"",
                "\"isoc_ci_in_h\"",
                "must equal the file name",
            ],
        );
    }

    #[test]
    fn an_id_with_characters_outside_lowercase_digits_dash_and_underscore_is_refused() {
        let text = VALID.replace("id = \"isoc_ci_in_h\"", "id = \"Isoc CI\"");
        let message = load_error("Isoc CI.toml", &text);
        assert_mentions(&message, &["key \"id\"", "a-z"]);
    }

    #[test]
    fn an_unknown_geo_group_is_refused_and_the_known_groups_are_listed() {
        let text = VALID.replace("\"aggregates\"]", "\"agregates\"]");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(
            &message,
            &[
                "isoc_ci_in_h.toml: key \"query.geo_groups\"",
                "\"agregates\"",
                "aggregates, capital-regions, eu27",
            ],
        );
    }

    #[test]
    fn an_empty_geo_list_is_refused() {
        let text = VALID
            .replace("geo_groups = [\"eu27\", \"aggregates\"]", "geo_groups = []")
            .replace("geo = [\"BE\", \"LU\"]", "geo = []");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"query.geo\"", "no geo code"]);
    }

    #[test]
    fn a_lowercase_geo_code_is_refused() {
        let text = VALID.replace("\"LU\"]", "\"be10\"]");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"query.geo\"", "\"be10\"", "upper-case"]);
    }

    #[test]
    fn a_regional_code_in_a_country_level_source_is_refused() {
        let text = VALID.replace(
            "geo_groups = [\"eu27\", \"aggregates\"]",
            "geo_groups = [\"capital-regions\"]",
        );
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"level\"", "BE10", "level = \"nuts2\""]);
    }

    #[test]
    fn values_are_numeric_and_a_fifth_may_be_lost_unless_the_file_says_otherwise() {
        let dir = catalogue_dir(&[("isoc_ci_in_h.toml", VALID)]);
        let catalog = Catalog::load(dir.path()).expect("valid catalogue");
        let source = catalog.get("isoc_ci_in_h").expect("source present");
        assert!(source.numeric);
        assert_eq!(source.max_loss, 0.2);

        let text = VALID.replace(
            "level = \"country\"",
            "level = \"country\"\nnumeric = false\nmax_loss = 0.5",
        );
        let dir = catalogue_dir(&[("isoc_ci_in_h.toml", &text)]);
        let catalog = Catalog::load(dir.path()).expect("valid catalogue");
        let source = catalog.get("isoc_ci_in_h").expect("source present");
        assert!(!source.numeric);
        assert_eq!(source.max_loss, 0.5);

        let text = VALID.replace("level = \"country\"", "level = \"country\"\nmax_loss = 20");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(
            &message,
            &["isoc_ci_in_h.toml", "key \"max_loss\"", "20", "0.2"],
        );
    }

    #[test]
    fn since_after_until_is_refused() {
        let text = VALID.replace("since = 2015", "since = 2026");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"query.since\"", "2026", "2025"]);
    }

    #[test]
    fn an_invalid_cron_expression_is_refused_with_a_six_field_example() {
        let text = VALID.replace("\"0 15 6 * * *\"", "\"0 61 * * *\"");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(
            &message,
            &[
                "isoc_ci_in_h.toml: key \"schedule\": \"0 61 * * *\" is not a valid cron expression (",
                "Use six fields, seconds first, e.g. \"0 15 6 * * *\".",
            ],
        );
    }

    #[test]
    fn a_cron_expression_without_the_seconds_field_is_refused() {
        let text = VALID.replace("\"0 15 6 * * *\"", "\"15 6 * * *\"");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(
            &message,
            &["key \"schedule\"", "\"15 6 * * *\"", "seconds first"],
        );
    }

    #[test]
    fn a_cron_field_out_of_range_is_refused() {
        let text = VALID.replace("\"0 15 6 * * *\"", "\"0 61 6 * * *\"");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(
            &message,
            &["key \"schedule\"", "not a valid cron expression"],
        );
    }

    #[test]
    fn a_cron_expression_that_never_fires_is_refused() {
        let text = VALID.replace("\"0 15 6 * * *\"", "\"0 0 0 30 2 *\"");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"schedule\"", "never"]);
    }

    #[test]
    fn a_non_eurostat_source_without_a_path_is_refused() {
        let text = OPENDATASOFT.replace(
            "path = \"/api/explore/v2.1/catalog/datasets/wifi/exports/csv\"\n",
            "",
        );
        let message = load_error("bxl_wifi.toml", &text);
        assert_mentions(
            &message,
            &["bxl_wifi.toml: key \"path\"", "required", "opendatasoft"],
        );
    }

    #[test]
    fn a_eurostat_source_with_a_path_is_refused() {
        let text = VALID.replace(
            "level = \"country\"",
            "level = \"country\"\npath = \"/data/x\"",
        );
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"path\"", "Eurostat", "Remove the line"]);
    }

    #[test]
    fn a_path_that_is_a_whole_url_is_refused() {
        let text = OPENDATASOFT.replace(
            "path = \"/api/",
            "path = \"https://opendata.brussels.be/api/",
        );
        let message = load_error("bxl_wifi.toml", &text);
        assert_mentions(&message, &["key \"path\"", "base URL"]);
    }

    #[test]
    fn an_ods_csv_source_without_an_ods_mapping_is_refused() {
        let (head, _) = OPENDATASOFT.split_once("[ods]").expect("fixture has [ods]");
        let message = load_error("bxl_wifi.toml", head);
        assert_mentions(&message, &["key \"ods\"", "format = \"ods-csv\"", "[ods]"]);
    }

    #[test]
    fn an_ods_mapping_on_another_format_is_refused() {
        let text = format!(
            "{VALID}\n[ods]\nperiod = \"year\"\nvalue = \"v\"\ndimensions = []\ngeo_constant = \"BE10\"\n"
        );
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"ods\"", "only for format = \"ods-csv\""]);
    }

    #[test]
    fn an_ods_mapping_needs_exactly_one_of_geo_and_geo_constant() {
        let text = OPENDATASOFT.replace("geo_constant = \"BE10\"\n", "");
        let message = load_error("bxl_wifi.toml", &text);
        assert_mentions(&message, &["key \"ods.geo\"", "geo_constant"]);
    }

    #[test]
    fn a_valid_opendatasoft_source_keeps_its_mapping() {
        let dir = catalogue_dir(&[("bxl_wifi.toml", OPENDATASOFT)]);
        let catalog = Catalog::load(dir.path()).expect("valid catalogue");
        let source = catalog.get("bxl_wifi").expect("source present");
        let ods = source.ods.as_ref().expect("mapping kept");
        assert_eq!(ods.delimiter, Some(';'));
        assert_eq!(ods.geo_constant.as_deref(), Some("BE10"));
        assert_eq!(
            source.path.as_deref(),
            Some("/api/explore/v2.1/catalog/datasets/wifi/exports/csv")
        );
        assert_eq!(source.query.geo, ["BE10"]);
    }

    #[test]
    fn a_format_that_the_provider_does_not_serve_is_refused() {
        let text = VALID.replace("format = \"jsonstat\"", "format = \"ods-csv\"");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"format\"", "jsonstat, tsv, sdmx-csv"]);
    }

    #[test]
    fn a_filter_on_geo_is_refused_in_favour_of_query_geo() {
        let text = VALID.replace("hhtyp = [\"TOTAL\"]", "geo = [\"BE\"]");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"query.filters.geo\"", "[query]"]);
    }

    #[test]
    fn a_filter_without_codes_is_refused() {
        let text = VALID.replace("hhtyp = [\"TOTAL\"]", "hhtyp = []");
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(
            &message,
            &["key \"query.filters.hhtyp\"", "remove the line"],
        );
    }

    #[test]
    fn an_english_title_is_required_and_may_not_be_blank() {
        let text = VALID.replace(
            "en = \"Households - level of internet access\"",
            "en = \"  \"",
        );
        let message = load_error("isoc_ci_in_h.toml", &text);
        assert_mentions(&message, &["key \"title.en\"", "empty"]);
    }

    #[test]
    fn two_files_with_the_same_id_are_refused() {
        let dir = catalogue_dir(&[]);
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for sub in [&a, &b] {
            std::fs::create_dir(sub).expect("subdirectory");
            std::fs::write(sub.join("isoc_ci_in_h.toml"), VALID).expect("dataset file");
        }
        let geo_groups = GeoGroups::load(&dir.path().join(GEO_GROUPS_FILE)).expect("groups");
        let files = [
            "a/isoc_ci_in_h.toml".to_owned(),
            "b/isoc_ci_in_h.toml".to_owned(),
        ];
        let error = Catalog::from_files(&Folder::disk(dir.path()), &geo_groups, &files)
            .expect_err("duplicate");
        assert!(matches!(error, CatalogError::DuplicateId { ref id, .. } if id == "isoc_ci_in_h"));
        assert_mentions(&error.to_string(), &["already defined by", "unique"]);
    }

    #[test]
    fn a_directory_without_dataset_files_loads_as_an_empty_catalogue() {
        let dir = catalogue_dir(&[]);
        let catalog = Catalog::load(dir.path()).expect("empty catalogue");
        assert!(catalog.sources.is_empty());
    }

    #[test]
    fn a_missing_geo_groups_file_is_reported_with_its_path() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("isoc_ci_in_h.toml"), VALID).expect("dataset file");
        let error = Catalog::load(dir.path()).expect_err("no geo groups");
        assert!(matches!(error, CatalogError::Read { .. }));
        assert_mentions(
            &error.to_string(),
            &["geo-groups.toml", "could not be read"],
        );
    }

    #[test]
    fn an_unknown_source_error_lists_the_known_ids() {
        let dir = catalogue_dir(&[
            ("isoc_ci_in_h.toml", VALID),
            ("bxl_wifi.toml", OPENDATASOFT),
        ]);
        let catalog = Catalog::load(dir.path()).expect("valid catalogue");
        let error = catalog.get("isoc_ci_in").expect_err("unknown id");
        assert!(
            matches!(&error, CatalogError::UnknownSource { id, known } if id == "isoc_ci_in" && known == &["bxl_wifi", "isoc_ci_in_h"])
        );
        assert_eq!(
            error.to_string(),
            "unknown source \"isoc_ci_in\". Known sources: bxl_wifi, isoc_ci_in_h."
        );
    }

    /// The shipped `datasets/` folder of this crate.
    fn shipped_datasets_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets")
    }

    #[test]
    fn the_shipped_catalogue_loads_with_every_expected_source_and_its_dimensions() {
        use DesiDimension::*;
        let catalog = Catalog::load(shipped_datasets_dir())
            .unwrap_or_else(|error| panic!("the shipped catalogue must load: {error}"));
        let expected: &[(&str, &[DesiDimension])] = &[
            ("bxl_wifi_hotspots", &[Connectivity]),
            (
                "desi",
                &[
                    Connectivity,
                    HumanCapital,
                    DigitalIntegration,
                    DigitalPublicServices,
                ],
            ),
            ("desi_2020_raw_by_year", &[Connectivity, InternetUse]),
            (
                "desi_2022",
                &[
                    Connectivity,
                    HumanCapital,
                    DigitalIntegration,
                    DigitalPublicServices,
                ],
            ),
            (
                "desi_2022_raw",
                &[
                    Connectivity,
                    HumanCapital,
                    DigitalIntegration,
                    DigitalPublicServices,
                ],
            ),
            ("desi_dd_trajectories", &[Connectivity, HumanCapital]),
            ("gisco_nuts2_2021", &[]),
            ("isoc_cbs", &[Connectivity]),
            ("isoc_cbt", &[Connectivity]),
            ("isoc_ci_ac_i", &[InternetUse]),
            ("isoc_ci_ifp_iu", &[InternetUse]),
            ("isoc_ci_in_h", &[Connectivity]),
            ("isoc_ci_it_h", &[Connectivity]),
            ("isoc_cicce_use", &[DigitalIntegration]),
            ("isoc_ciegi_ac", &[DigitalPublicServices]),
            ("isoc_e_dii", &[DigitalIntegration]),
            ("isoc_eb_ai", &[DigitalIntegration]),
            ("isoc_r_blt12_i", &[InternetUse]),
            ("isoc_r_broad_h", &[Connectivity]),
            ("isoc_r_gov_i", &[DigitalPublicServices]),
            ("isoc_r_iacc_h", &[Connectivity]),
            ("isoc_r_iuse_i", &[InternetUse]),
            ("isoc_sk_dskl_i21", &[HumanCapital]),
            ("isoc_sks_itspt", &[HumanCapital]),
        ];
        let ids: Vec<&str> = catalog.ids().collect();
        let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, expected_ids);
        for (id, dimensions) in expected {
            let source = catalog.get(id).expect("listed above");
            assert_eq!(&source.dimensions, dimensions, "dimensions of {id}");
        }
        for dimension in DesiDimension::ALL {
            assert!(
                catalog
                    .sources
                    .iter()
                    .any(|source| source.dimensions.contains(&dimension)),
                "no source feeds {}",
                dimension.as_str()
            );
        }
    }

    #[test]
    fn the_shipped_regional_sources_ask_for_brussels_and_every_capital_region() {
        let catalog = Catalog::load(shipped_datasets_dir()).expect("shipped catalogue");
        let regional: Vec<&Source> = catalog
            .sources
            .iter()
            .filter(|source| source.level == Level::Nuts2 && source.provider == Provider::Eurostat)
            .collect();
        assert!(regional.len() >= 5, "isoc_r_* sources expected");
        for source in regional {
            for code in [
                "BE10",
                "BE2",
                "BE3",
                "BE",
                "EU27_2020",
                "AT13",
                "HR05",
                "HU11",
                "PL91",
            ] {
                assert!(
                    source.query.geo.iter().any(|geo| geo == code),
                    "{} lacks {code}",
                    source.id
                );
            }
        }
    }

    #[test]
    fn the_shipped_country_sources_ask_for_belgium_and_the_eu() {
        let catalog = Catalog::load(shipped_datasets_dir()).expect("shipped catalogue");
        for source in catalog.sources.iter().filter(|source| {
            source.provider == Provider::Eurostat && source.level == Level::Country
        }) {
            assert_eq!(
                source.query.geo.len(),
                28,
                "{}: 27 member states and EU27_2020",
                source.id
            );
            assert!(source.query.geo.iter().any(|geo| geo == "BE"));
            assert!(source.query.geo.iter().any(|geo| geo == "EU27_2020"));
        }
    }

    #[test]
    fn an_import_only_source_has_no_schedule_and_a_schedule_or_path_beside_it_is_refused() {
        let catalog = Catalog::load(shipped_datasets_dir()).expect("shipped catalogue");
        let raw = catalog.get("desi_2022_raw").expect("shipped");
        assert!(raw.import_only);
        assert_eq!(raw.schedule, "");
        assert!(raw.by_data_year.is_some());
        let text =
            std::fs::read_to_string(shipped_datasets_dir().join("desi_2022_raw.toml")).unwrap();
        let with_schedule = text.replace(
            "import_only = true",
            "import_only = true\nschedule = \"0 1 2 * * *\"",
        );
        let message = load_error("desi_2022_raw.toml", &with_schedule);
        assert_mentions(&message, &["key \"schedule\"", "import_only"]);
        let neither = text.replace("import_only = true", "");
        let message = load_error("desi_2022_raw.toml", &neither);
        assert_mentions(&message, &["key \"path\"", "import_only = true"]);
    }

    #[test]
    fn a_by_data_year_table_with_a_short_years_list_is_refused_naming_the_code() {
        let text =
            std::fs::read_to_string(shipped_datasets_dir().join("desi_2022_raw.toml")).unwrap();
        let bad = text.replace(
            "\"1b1\" = [2016, 2017, 2018, 2019, 2020, 2021]",
            "\"1b1\" = [2021]",
        );
        let message = load_error("desi_2022_raw.toml", &bad);
        assert_mentions(&message, &["key \"by_data_year\"", "years.1b1"]);
    }

    #[test]
    fn the_shipped_schedules_are_staggered() {
        let catalog = Catalog::load(shipped_datasets_dir()).expect("shipped catalogue");
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for source in catalog.sources.iter().filter(|s| !s.import_only) {
            if let Some(other) = seen.insert(source.schedule.as_str(), source.id.as_str()) {
                panic!(
                    "{} and {} share the schedule {:?}",
                    other, source.id, source.schedule
                );
            }
        }
    }

    #[test]
    fn every_shipped_source_has_french_and_dutch_texts() {
        let catalog = Catalog::load(shipped_datasets_dir()).expect("shipped catalogue");
        for source in &catalog.sources {
            for texts in [&source.title, &source.description] {
                assert!(
                    texts.fr.is_some() && texts.nl.is_some(),
                    "{} lacks fr or nl",
                    source.id
                );
            }
        }
    }
}
