//! One upstream dataset per file (`datasets/<id>.toml`): what to fetch, from whom, in which
//! format, for which geos and periods, on which schedule, under which licence, and which DESI
//! dimension it feeds. Parses a file's text into a validated [`Source`].
//!
//! Knows the file format and its rules only: it must not build URLs, fetch, parse upstream
//! data, or read any file itself (the caller hands it the text).

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::geo::{GeoGroups, bad_geo_code, is_geo_code};
use super::{CatalogError, Result};

pub use super::format::{ByDataYear, Format, OdsMapping};

/// Who publishes a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Eurostat's dissemination API.
    Eurostat,
    /// The European Commission's DESI data (DG CONNECT).
    Desi,
    /// An Opendatasoft portal (opendata.brussels.be).
    Opendatasoft,
    /// Eurostat's GISCO distribution service (region geometry, © EuroGeographics).
    Gisco,
}

impl Provider {
    /// The name used in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Eurostat => "eurostat",
            Provider::Desi => "desi",
            Provider::Opendatasoft => "opendatasoft",
            Provider::Gisco => "gisco",
        }
    }

    /// The name of the organisation that publishes this provider's data.
    pub fn publisher_name(self) -> &'static str {
        match self {
            Provider::Eurostat => "Eurostat",
            Provider::Desi => {
                "European Commission, DG Communications Networks, Content and Technology"
            }
            // GISCO is Eurostat's geographic information service.
            Provider::Gisco => "Eurostat (GISCO)",
            Provider::Opendatasoft => "Brussels-Capital Region",
        }
    }

    /// The formats this provider serves.
    pub fn formats(self) -> &'static [Format] {
        match self {
            Provider::Eurostat => &[Format::JsonStat, Format::Tsv, Format::SdmxCsv],
            Provider::Desi => &[Format::DesiCsv, Format::DesiWide, Format::DesiFacts],
            Provider::Opendatasoft => &[Format::OdsCsv],
            Provider::Gisco => &[Format::GeoJson],
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The five DESI dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesiDimension {
    Connectivity,
    HumanCapital,
    InternetUse,
    DigitalIntegration,
    DigitalPublicServices,
}

impl DesiDimension {
    /// All five, in DESI order.
    pub const ALL: [DesiDimension; 5] = [
        DesiDimension::Connectivity,
        DesiDimension::HumanCapital,
        DesiDimension::InternetUse,
        DesiDimension::DigitalIntegration,
        DesiDimension::DigitalPublicServices,
    ];

    /// The name used in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            DesiDimension::Connectivity => "connectivity",
            DesiDimension::HumanCapital => "human-capital",
            DesiDimension::InternetUse => "internet-use",
            DesiDimension::DigitalIntegration => "digital-integration",
            DesiDimension::DigitalPublicServices => "digital-public-services",
        }
    }

    /// The dimension's name in `lang` (`en`, `fr`, `nl`, `de`; English otherwise), as the DESI
    /// reports of the Commission name it in each language.
    pub fn title(self, lang: &str) -> &'static str {
        let [en, fr, nl, de] = match self {
            DesiDimension::Connectivity => [
                "Connectivity",
                "Connectivité",
                "Connectiviteit",
                "Konnektivität",
            ],
            DesiDimension::HumanCapital => [
                "Human capital",
                "Capital humain",
                "Menselijk kapitaal",
                "Humankapital",
            ],
            DesiDimension::InternetUse => [
                "Use of internet services",
                "Utilisation des services internet",
                "Gebruik van internetdiensten",
                "Nutzung von Internetdiensten",
            ],
            DesiDimension::DigitalIntegration => [
                "Integration of digital technology",
                "Intégration des technologies numériques",
                "Integratie van digitale technologie",
                "Integration der Digitaltechnik",
            ],
            DesiDimension::DigitalPublicServices => [
                "Digital public services",
                "Services publics numériques",
                "Digitale overheidsdiensten",
                "Digitale öffentliche Dienste",
            ],
        };
        match lang {
            "fr" => fr,
            "nl" => nl,
            "de" => de,
            _ => en,
        }
    }
}

impl fmt::Display for DesiDimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The finest geographic level a source publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Countries and aggregates (`BE`, `EU27_2020`).
    Country,
    /// NUTS-2 regions (`BE10`), usually with NUTS-1 and countries too.
    Nuts2,
}

impl Level {
    /// The name used in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Country => "country",
            Level::Nuts2 => "nuts2",
        }
    }
}

/// A text in English and, where given, French, Dutch and German.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub en: String,
    pub fr: Option<String>,
    pub nl: Option<String>,
    pub de: Option<String>,
}

impl Texts {
    /// The text in `lang` (`fr`, `nl-BE`, `DE`, …), or the English one when there is none.
    pub fn get(&self, lang: &str) -> &str {
        let primary = lang.split(['-', '_']).next().unwrap_or_default();
        let text = match primary.to_ascii_lowercase().as_str() {
            "fr" => self.fr.as_deref(),
            "nl" => self.nl.as_deref(),
            "de" => self.de.as_deref(),
            _ => None,
        };
        text.unwrap_or(&self.en)
    }
}

/// What to ask the provider for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Query {
    /// Geo codes: the named groups expanded, then the explicit codes, without duplicates.
    pub geo: Vec<String>,
    /// First period (year), if limited.
    pub since: Option<i32>,
    /// Last period (year), if limited.
    pub until: Option<i32>,
    /// Dimension code → accepted codes (Eurostat query parameters).
    pub filters: BTreeMap<String, Vec<String>>,
}

/// One validated upstream dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// Our id, equal to the file stem.
    pub id: String,
    pub title: Texts,
    pub description: Texts,
    pub provider: Provider,
    /// The provider's own code for the dataset.
    pub code: String,
    pub format: Format,
    /// The DESI dimensions this source feeds (at least one).
    pub dimensions: Vec<DesiDimension>,
    pub level: Level,
    /// Cron expression, seconds first (tokio-cron-scheduler syntax).
    pub schedule: String,
    pub licence: String,
    pub licence_url: String,
    pub attribution: String,
    pub homepage: Option<String>,
    /// For non-Eurostat providers: path (and query string) after the provider's base URL.
    pub path: Option<String>,
    pub query: Query,
    /// For `ods-csv` only.
    pub ods: Option<OdsMapping>,
    /// `[by_data_year]`: how a file published per DESI edition gives values per data year.
    pub by_data_year: Option<ByDataYear>,
    /// `import_only = true`: no live upstream; the file is loaded with `desi-city import`, never
    /// fetched or scheduled (`schedule` and `path` are then absent, `schedule` is empty here).
    pub import_only: bool,
    /// `import_file` (import-only sources): the file to import, relative to the project root,
    /// named in the messages that say how to load the dataset.
    pub import_file: Option<String>,
    /// `numeric` (default true): the values are numbers, so a response with text where a value
    /// belongs is refused. False for domains that publish text values (PRODCOM's `":C"`, `"KG"`).
    pub numeric: bool,
    /// `max_loss` (default 0.2): the largest share of the current version's rows, or of its geos,
    /// a new response may lose before it is refused as a structure change.
    pub max_loss: f64,
    /// The file this source was read from.
    pub file: PathBuf,
}

/// How often a source's data itself is updated upstream (not how often desi-city fetches it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Annual,
    Quarterly,
    Monthly,
    Daily,
    /// When the provider changes it (a classification's shapes).
    Irregular,
    /// A snapshot of unknown rhythm (an Opendatasoft export).
    Unknown,
}

impl Source {
    /// How often the data itself is updated: Eurostat's sources are yearly surveys (a single
    /// `freq` filter says otherwise), the Commission's DESI is published once a year, an
    /// Opendatasoft export is a snapshot of unknown rhythm, a NUTS version's shapes change only
    /// when the classification does.
    pub fn frequency(&self) -> Frequency {
        let freq = self
            .query
            .filters
            .get("freq")
            .filter(|codes| codes.len() == 1)
            .map(|codes| codes[0].as_str());
        match (self.provider, freq) {
            (Provider::Eurostat, Some("Q")) => Frequency::Quarterly,
            (Provider::Eurostat, Some("M")) => Frequency::Monthly,
            (Provider::Eurostat, Some("D")) => Frequency::Daily,
            (Provider::Eurostat | Provider::Desi, _) => Frequency::Annual,
            (Provider::Opendatasoft, _) => Frequency::Unknown,
            (Provider::Gisco, _) => Frequency::Irregular,
        }
    }

    /// The provider's own public page of the dataset (the canonical one, not a configured mirror).
    pub fn upstream_page(&self) -> String {
        let code = &self.code;
        match self.provider {
            Provider::Eurostat => {
                format!("https://ec.europa.eu/eurostat/databrowser/product/page/{code}")
            }
            Provider::Desi => self.homepage.clone().unwrap_or_else(|| {
                format!("https://digital-decade-desi.digital-strategy.ec.europa.eu/datasets/{code}")
            }),
            Provider::Opendatasoft => self
                .homepage
                .clone()
                .unwrap_or_else(|| format!("https://opendata.brussels.be/explore/dataset/{code}/")),
            Provider::Gisco => self.homepage.clone().unwrap_or_else(|| {
                "https://ec.europa.eu/eurostat/web/gisco/geodata/statistical-units/territorial-units-statistics".to_owned()
            }),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: String,
    title: Texts,
    description: Texts,
    provider: Provider,
    code: String,
    format: Format,
    dimensions: Vec<DesiDimension>,
    level: Level,
    schedule: Option<String>,
    licence: String,
    licence_url: String,
    attribution: String,
    homepage: Option<String>,
    path: Option<String>,
    query: RawQuery,
    ods: Option<OdsMapping>,
    by_data_year: Option<ByDataYear>,
    #[serde(default)]
    import_only: bool,
    import_file: Option<String>,
    numeric: Option<bool>,
    max_loss: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuery {
    #[serde(default)]
    geo_groups: Vec<String>,
    #[serde(default)]
    geo: Vec<String>,
    since: Option<i32>,
    until: Option<i32>,
    #[serde(default)]
    filters: BTreeMap<String, Vec<String>>,
}

/// The default of `max_loss`: a response may lose up to a fifth of the rows or geos.
pub const DEFAULT_MAX_LOSS: f64 = 0.2;

/// Years outside this range are taken for typing mistakes.
const YEARS: std::ops::RangeInclusive<i32> = 1950..=2100;

/// Parses and validates the text of one dataset file.
pub(crate) fn parse_source(file: &Path, text: &str, geo_groups: &GeoGroups) -> Result<Source> {
    let raw: RawSource = toml::from_str(text).map_err(|source| CatalogError::Toml {
        file: file.to_path_buf(),
        source,
    })?;
    let check = Check { file };

    // Identity.
    if !is_source_id(&raw.id) {
        return Err(check.invalid(
            "id",
            format!(
                "\"{}\" is not a valid source id. Use lower-case letters a-z, digits, `_` and `-` only, e.g. \"isoc_ci_in_h\".",
                raw.id
            ),
        ));
    }
    let stem = file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default();
    if raw.id != stem {
        return Err(check.invalid(
            "id",
            format!(
                "\"{}\" must equal the file name without \".toml\" (\"{stem}\"). Rename the file to \"{}.toml\" or set id = \"{stem}\".",
                raw.id, raw.id
            ),
        ));
    }
    check.texts("title", &raw.title)?;
    check.texts("description", &raw.description)?;
    if raw.code.trim().is_empty() || raw.code.chars().any(char::is_whitespace) {
        return Err(check.invalid(
            "code",
            format!(
                "\"{}\" is not a dataset code. Write the provider's code without spaces, e.g. \"isoc_ci_in_h\".",
                raw.code
            ),
        ));
    }

    // Where and how it is fetched.
    if !raw.provider.formats().contains(&raw.format) {
        let accepted: Vec<&str> = raw
            .provider
            .formats()
            .iter()
            .map(|format| format.as_str())
            .collect();
        return Err(check.invalid(
            "format",
            format!(
                "\"{}\" is not served by provider \"{}\". Use one of: {}.",
                raw.format,
                raw.provider,
                accepted.join(", ")
            ),
        ));
    }
    match (raw.provider, &raw.path) {
        (_, Some(_)) if raw.import_only => {
            return Err(check.invalid(
                "path",
                "is not used with import_only = true (there is no live upstream to fetch). Remove the line, or remove import_only.".to_owned(),
            ));
        }
        (_, None) if raw.import_only => {}
        (Provider::Eurostat, Some(_)) => {
            return Err(check.invalid(
                "path",
                "is not used for Eurostat sources (the URL is built from `code` and [query]). Remove the line.".to_owned(),
            ));
        }
        (provider, None) if provider != Provider::Eurostat => {
            return Err(check.invalid(
                "path",
                format!(
                    "is required for provider \"{provider}\": the URL path (and query string) after the provider's base URL, e.g. path = \"/api/explore/v2.1/catalog/datasets/<dataset>/exports/csv\"; or, for a file with no live upstream, import_only = true."
                ),
            ));
        }
        (_, Some(path)) => check.path(path)?,
        (_, None) => {}
    }
    match (raw.format, &raw.ods) {
        (Format::OdsCsv, None) => {
            return Err(check.invalid(
                "ods",
                "is required with format = \"ods-csv\": add an [ods] table naming the period, value and geo columns (see README.md).".to_owned(),
            ));
        }
        (format, Some(_)) if format != Format::OdsCsv => {
            return Err(check.invalid(
                "ods",
                format!(
                    "is only for format = \"ods-csv\", not \"{format}\". Remove the [ods] table."
                ),
            ));
        }
        (_, Some(ods)) => check.ods(ods)?,
        (_, None) => {}
    }

    // What it feeds and when.
    if raw.format.is_geometry() {
        if let Some(dimension) = raw.dimensions.first() {
            return Err(check.invalid(
                "dimensions",
                format!(
                    "\"{dimension}\" is listed, but a {} source holds region shapes, not statistics, and feeds no DESI dimension. Write dimensions = [].",
                    raw.format
                ),
            ));
        }
    } else if raw.dimensions.is_empty() {
        return Err(check.invalid(
            "dimensions",
            "lists no DESI dimension. Name at least one of: connectivity, human-capital, internet-use, digital-integration, digital-public-services.".to_owned(),
        ));
    }
    let mut seen = HashSet::new();
    if let Some(twice) = raw
        .dimensions
        .iter()
        .find(|dimension| !seen.insert(**dimension))
    {
        return Err(check.invalid(
            "dimensions",
            format!("\"{twice}\" is listed twice. Remove one of them."),
        ));
    }
    let schedule = match (raw.schedule, raw.import_only) {
        (Some(_), true) => {
            return Err(check.invalid(
                "schedule",
                "is not used with import_only = true (an import-only source is never fetched). Remove the line, or remove import_only.".to_owned(),
            ));
        }
        (None, true) => String::new(),
        (None, false) => {
            return Err(check.invalid(
                "schedule",
                "is missing. Give a cron of six fields, seconds first, e.g. schedule = \"0 15 6 * * *\"; or, for a file with no live upstream, import_only = true.".to_owned(),
            ));
        }
        (Some(s), false) => {
            validate_schedule(&s).map_err(|bad| check.invalid("schedule", bad.to_string()))?;
            s
        }
    };
    if raw.import_file.is_some() && !raw.import_only {
        return Err(check.invalid(
            "import_file",
            "is only for import_only = true (a fetched source is loaded from its upstream). Remove the line, or add import_only = true.".to_owned(),
        ));
    }
    if let Some(table) = &raw.by_data_year {
        if !matches!(raw.format, Format::DesiWide | Format::DesiCsv) {
            return Err(check.invalid(
                "by_data_year",
                format!(
                    "is only for format = \"desi-wide\" or \"desi-csv\" (a file published per DESI edition), not \"{}\". Remove the table.",
                    raw.format
                ),
            ));
        }
        if let Some(problem) = table.problem() {
            return Err(check.invalid("by_data_year", format!("{problem}.")));
        }
    }

    // Licence.
    if raw.licence.trim().is_empty() {
        return Err(check.invalid(
            "licence",
            "is empty. Give the licence's short name, e.g. \"CC-BY-4.0\".".to_owned(),
        ));
    }
    check.url("licence_url", &raw.licence_url)?;
    if raw.attribution.trim().is_empty() {
        return Err(check.invalid(
            "attribution",
            "is empty. Give the credit line the licence asks for, e.g. \"Source: Eurostat (online data code: isoc_ci_in_h)\".".to_owned(),
        ));
    }
    if let Some(homepage) = &raw.homepage {
        check.url("homepage", homepage)?;
    }

    let query = check.query(raw.query, raw.format, raw.provider, raw.level, geo_groups)?;
    let max_loss = raw.max_loss.unwrap_or(DEFAULT_MAX_LOSS);
    if !(0.0..=1.0).contains(&max_loss) {
        return Err(check.invalid(
            "max_loss",
            format!(
                "{max_loss} is not a share. Write a number from 0 (no row or geo may go) to 1 (any may), e.g. max_loss = 0.2 for a fifth."
            ),
        ));
    }

    Ok(Source {
        id: raw.id,
        title: raw.title,
        description: raw.description,
        provider: raw.provider,
        code: raw.code,
        format: raw.format,
        dimensions: raw.dimensions,
        level: raw.level,
        schedule,
        licence: raw.licence,
        licence_url: raw.licence_url,
        attribution: raw.attribution,
        homepage: raw.homepage,
        path: raw.path,
        query,
        ods: raw.ods,
        by_data_year: raw.by_data_year,
        import_only: raw.import_only,
        import_file: raw.import_file,
        numeric: raw.numeric.unwrap_or(true),
        max_loss,
        file: file.to_path_buf(),
    })
}

/// Checks a cron expression with the parser tokio-cron-scheduler uses (croner, seconds
/// required), and that it fires at least once from now on. `Err` is the message for the file.
/// The cron dialect of tokio-cron-scheduler's `Job::new_async`: seconds required, day-of-month
/// and day-of-week both apply.
fn cron_parser() -> croner::parser::CronParser {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
}

/// When a schedule next fires after `after` (UTC), as the scheduler will run it; `None` when the
/// expression is invalid or never fires.
pub fn next_run(
    expression: &str,
    after: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    cron_parser()
        .parse(expression)
        .ok()?
        .find_next_occurrence(&after, false)
        .ok()
}

/// Why a `schedule` is refused (a helper of [`parse_source`]: its text goes into the file's
/// `CatalogError::Invalid`).
#[derive(Debug, thiserror::Error)]
enum BadSchedule {
    #[error("\"{expression}\" is not a valid cron expression ({source}). {SCHEDULE_FIX}")]
    Syntax {
        expression: String,
        #[source]
        source: croner::errors::CronError,
    },
    #[error("\"{expression}\" never fires (no such date, e.g. 30 February). {SCHEDULE_FIX}")]
    NeverFires { expression: String },
}

const SCHEDULE_FIX: &str = "Use six fields, seconds first, e.g. \"0 15 6 * * *\".";

fn validate_schedule(expression: &str) -> std::result::Result<(), BadSchedule> {
    let cron = cron_parser()
        .parse(expression)
        .map_err(|source| BadSchedule::Syntax {
            expression: expression.to_owned(),
            source,
        })?;
    cron.find_next_occurrence(&chrono::Utc::now(), false)
        .map(|_| ())
        .map_err(|_| BadSchedule::NeverFires {
            expression: expression.to_owned(),
        })
}

fn is_source_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Validation helpers that know which file they speak of.
struct Check<'a> {
    file: &'a Path,
}

impl Check<'_> {
    fn invalid(&self, key: &str, message: String) -> CatalogError {
        CatalogError::Invalid {
            file: self.file.to_path_buf(),
            key: key.to_owned(),
            message,
        }
    }

    fn texts(&self, key: &str, texts: &Texts) -> Result<()> {
        let languages = [
            ("en", Some(&texts.en)),
            ("fr", texts.fr.as_ref()),
            ("nl", texts.nl.as_ref()),
            ("de", texts.de.as_ref()),
        ];
        for (lang, text) in languages {
            if text.is_some_and(|text| text.trim().is_empty()) {
                return Err(self.invalid(
                    &format!("{key}.{lang}"),
                    "is empty. Write the text, or remove the language to fall back to English."
                        .to_owned(),
                ));
            }
        }
        Ok(())
    }

    fn url(&self, key: &str, url: &str) -> Result<()> {
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        if !scheme_ok || url.chars().any(char::is_whitespace) {
            return Err(self.invalid(
                key,
                format!("\"{url}\" is not a web address. Write the full address, starting with https://."),
            ));
        }
        Ok(())
    }

    fn path(&self, path: &str) -> Result<()> {
        if path.contains("://") {
            return Err(self.invalid(
                "path",
                format!(
                    "\"{path}\" is a whole URL. Write only what follows the provider's base URL, starting with \"/\" (the base URL is set in the service's configuration)."
                ),
            ));
        }
        if !path.starts_with('/') || path.chars().any(char::is_whitespace) {
            return Err(self.invalid(
                "path",
                format!(
                    "\"{path}\" must start with \"/\" and contain no spaces (write a space as %20)."
                ),
            ));
        }
        Ok(())
    }

    fn ods(&self, ods: &OdsMapping) -> Result<()> {
        let columns = [
            ("ods.period", ods.period.as_ref()),
            ("ods.value", Some(&ods.value)),
        ];
        for (key, column) in columns.into_iter().filter_map(|(k, c)| Some((k, c?))) {
            if column.trim().is_empty() {
                return Err(self.invalid(
                    key,
                    "is empty. Name the CSV column (its header in the export).".to_owned(),
                ));
            }
        }
        let mut seen = HashSet::new();
        for column in &ods.dimensions {
            if column.trim().is_empty() || !seen.insert(column.as_str()) {
                return Err(self.invalid(
                    "ods.dimensions",
                    format!("\"{column}\" is empty or listed twice. List each column header once."),
                ));
            }
        }
        match (&ods.geo, &ods.geo_constant) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(self.invalid(
                    "ods.geo",
                    "Give exactly one of `geo` (the column holding geo codes) and `geo_constant` (one code for every row, e.g. \"BE10\").".to_owned(),
                ));
            }
            (Some(column), None) if column.trim().is_empty() => {
                return Err(self.invalid(
                    "ods.geo",
                    "is empty. Name the CSV column holding the geo codes.".to_owned(),
                ));
            }
            (None, Some(code)) if !is_geo_code(code) => {
                return Err(self.invalid("ods.geo_constant", bad_geo_code(code)));
            }
            _ => {}
        }
        if let Some(delimiter) = ods.delimiter
            && (delimiter.is_alphanumeric() || matches!(delimiter, '"' | '\n' | '\r'))
        {
            return Err(self.invalid(
                "ods.delimiter",
                format!("{delimiter:?} cannot separate CSV columns. Use \";\" (Opendatasoft's default) or \",\"."),
            ));
        }
        Ok(())
    }

    fn query(
        &self,
        raw: RawQuery,
        format: Format,
        provider: Provider,
        level: Level,
        geo_groups: &GeoGroups,
    ) -> Result<Query> {
        for code in &raw.geo {
            if !is_geo_code(code) {
                return Err(self.invalid("query.geo", bad_geo_code(code)));
            }
        }
        let geo = geo_groups
            .resolve(&raw.geo_groups, &raw.geo)
            .map_err(|unknown| {
                let known: Vec<&str> = geo_groups.names().collect();
                self.invalid(
                "query.geo_groups",
                format!(
                    "\"{unknown}\" is not a group of {}. Use one of: {}, or add the group there.",
                    geo_groups.file().display(),
                    known.join(", ")
                ),
            )
            })?;
        // A geometry source keeps every region it is sent unless the query names some.
        if geo.is_empty() && !format.is_geometry() {
            return Err(self.invalid(
                "query.geo",
                "the query asks for no geo code. Add geo_groups = [\"eu27\", \"aggregates\"] or geo = [\"BE10\"] under [query].".to_owned(),
            ));
        }
        if level == Level::Country
            && let Some(regional) = geo.iter().find(|code| is_regional_code(code))
        {
            return Err(self.invalid(
                "level",
                format!(
                    "is \"country\" but the query asks for the regional code \"{regional}\". Set level = \"nuts2\" for a regional dataset, or remove the regional codes."
                ),
            ));
        }
        for (key, year) in [("query.since", raw.since), ("query.until", raw.until)] {
            if let Some(year) = year.filter(|year| !YEARS.contains(year)) {
                return Err(self.invalid(
                    key,
                    format!("{year} is not a plausible year. Write a four-digit year, e.g. 2015."),
                ));
            }
        }
        if let (Some(since), Some(until)) = (raw.since, raw.until)
            && since > until
        {
            return Err(self.invalid(
                "query.since",
                format!("{since} is after until = {until}. Swap them, or remove one."),
            ));
        }
        if provider != Provider::Eurostat && !raw.filters.is_empty() {
            return Err(self.invalid(
                "query.filters",
                format!(
                    "filters are Eurostat query parameters; provider \"{provider}\" does not take them. Remove [query.filters]."
                ),
            ));
        }
        for (dimension, codes) in &raw.filters {
            let key = format!("query.filters.{dimension}");
            if dimension == "geo" || dimension == "time" || dimension == "time_period" {
                return Err(self.invalid(
                    &key,
                    "is set under [query] instead: geo_groups / geo for places, since / until for periods.".to_owned(),
                ));
            }
            if dimension.is_empty()
                || !dimension
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(self.invalid(
                    &key,
                    "is not a Eurostat dimension code. Write it in lower case as in the dataset, e.g. unit, indic_is, hhtyp.".to_owned(),
                ));
            }
            if codes.is_empty() {
                return Err(self.invalid(
                    &key,
                    "lists no code. To fetch every code of this dimension, remove the line."
                        .to_owned(),
                ));
            }
            if let Some(code) = codes.iter().find(|code| {
                code.is_empty()
                    || code
                        .chars()
                        .any(|c| c.is_whitespace() || c == ',' || c == '&')
            }) {
                return Err(self.invalid(
                    &key,
                    format!("\"{code}\" is not a code. Write each code as its own string, e.g. [\"PC_HH\", \"PC_IND\"]."),
                ));
            }
        }
        Ok(Query {
            geo,
            since: raw.since,
            until: raw.until,
            filters: raw.filters,
        })
    }
}

/// A NUTS-1/2/3 code (`BE1`, `BE10`, `BE100`): two letters then 1 to 3 letters or digits.
/// Aggregates (`EU27_2020`, `EA20`) have digits but also an underscore or are not regions; the
/// `EA`/`EU` prefixes are excluded.
fn is_regional_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    (3..=5).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..].iter().all(u8::is_ascii_alphanumeric)
        && !code.starts_with("EU")
        && !code.starts_with("EA")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_of_the_enums_are_the_ones_written_in_the_files() {
        #[derive(Deserialize)]
        struct Names {
            formats: Vec<Format>,
            providers: Vec<Provider>,
            dimensions: Vec<DesiDimension>,
            levels: Vec<Level>,
        }
        let names: Names = toml::from_str(
            r#"
formats = ["jsonstat", "tsv", "sdmx-csv", "desi-csv", "desi-facts", "ods-csv", "geojson"]
providers = ["eurostat", "desi", "opendatasoft", "gisco"]
dimensions = ["connectivity", "human-capital", "internet-use", "digital-integration", "digital-public-services"]
levels = ["country", "nuts2"]
"#,
        )
        .expect("every name parses");
        let formats: Vec<&str> = names.formats.iter().map(|format| format.as_str()).collect();
        assert_eq!(
            formats,
            [
                "jsonstat",
                "tsv",
                "sdmx-csv",
                "desi-csv",
                "desi-facts",
                "ods-csv",
                "geojson"
            ]
        );
        let providers: Vec<&str> = names
            .providers
            .iter()
            .map(|provider| provider.as_str())
            .collect();
        assert_eq!(providers, ["eurostat", "desi", "opendatasoft", "gisco"]);
        assert_eq!(names.dimensions, DesiDimension::ALL);
        let dimensions: Vec<String> = DesiDimension::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(
            dimensions,
            [
                "connectivity",
                "human-capital",
                "internet-use",
                "digital-integration",
                "digital-public-services"
            ]
        );
        let levels: Vec<&str> = names.levels.iter().map(|level| level.as_str()).collect();
        assert_eq!(levels, ["country", "nuts2"]);
    }

    #[test]
    fn texts_fall_back_to_english_when_a_language_is_missing_or_unknown() {
        let texts = Texts {
            en: "Internet use".into(),
            fr: Some("Utilisation d'internet".into()),
            nl: None,
            de: None,
        };
        assert_eq!(texts.get("fr"), "Utilisation d'internet");
        assert_eq!(texts.get("fr-BE"), "Utilisation d'internet");
        assert_eq!(texts.get("FR"), "Utilisation d'internet");
        assert_eq!(texts.get("nl"), "Internet use");
        assert_eq!(texts.get("es"), "Internet use");
        assert_eq!(texts.get(""), "Internet use");
    }

    #[test]
    fn schedules_are_checked_with_the_scheduler_s_six_field_syntax() {
        assert!(validate_schedule("0 15 6 * * *").is_ok());
        assert!(validate_schedule("0 5 10,22 * * *").is_ok());
        assert!(validate_schedule("0 30 4 * * MON").is_ok());
        assert!(validate_schedule("0 0 12 1 */3 *").is_ok());
        let five = validate_schedule("15 6 * * *")
            .expect_err("five fields")
            .to_string();
        assert!(five.contains("Use six fields, seconds first"), "{five}");
        assert!(validate_schedule("").is_err());
        assert!(validate_schedule("0 15 25 * * *").is_err());
        assert!(validate_schedule("every day").is_err());
    }

    #[test]
    fn regional_codes_are_told_apart_from_countries_and_aggregates() {
        for code in ["BE1", "BE10", "BE100", "FI1B", "ITI4"] {
            assert!(is_regional_code(code), "{code}");
        }
        for code in ["BE", "EL", "EU27_2020", "EU", "EA20", "EU28"] {
            assert!(!is_regional_code(code), "{code}");
        }
    }
}
