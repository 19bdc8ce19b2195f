//! Parsers: one per upstream format, each turning response bytes into the canonical long
//! observation table (one Arrow `RecordBatch`). No network, no file system, no DuckDB here, and
//! from the rest of the crate only the catalogue's vocabularies: the formats (`catalog::Format`)
//! and the observation schema's names (`catalog::observation`, where it is defined once).
//!
//! The canonical schema (column order fixed, see [`canonical_schema`]):
//! `dataset`, then one `Utf8` column per dimension code in the order the response gives them
//! (`freq`, `unit`, …, `geo`; the time dimension excluded), `period` (raw string as published),
//! `period_start` (`Date32`, first day of the period), `period_freq` (`A`, `S`, `Q`, `M`, `W`, `D`),
//! `value` (`Float64`, null when missing), `value_text` (the raw value when it was not a number),
//! `flags` (observation status kept whole: `"bu"` stays `"bu"`), `conf_status` (`C`, `N`, `P`…),
//! then one `<dim>_label` column per dimension (null where the response carries no label), then
//! the format's attribute columns (DESI: `note`, `observation`). Dimension names are lower-cased;
//! one that clashes with a fixed column is prefixed `dim_`. The schema metadata key
//! `desi_city.dimensions` lists the dimension columns, comma-joined.
//!
//! Rows: one per published observation — a cell with a value, or without a value but with a flag
//! or confidentiality status (Eurostat's `": c"`, `"|C"`). Cells published as simply missing
//! (`":"`, `null`, absent) give no row. Eurostat's lowercase flag `c` (confidential) is kept in
//! `flags` as published and also sets `conf_status` = `C`.
//!
//! Every parser first goes through [`check_body`], so an HTML page or a Eurostat error body is
//! reported as such whatever format was expected.

mod builder;
pub use builder::FIXED_COLUMNS;
mod csv;
mod data_year;
mod desi_csv;
mod desi_facts;
mod desi_wide;
mod geojson;
mod jsonstat;
mod ods_csv;
pub mod period;
mod sdmx_csv;
mod tsv;

use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use serde_json::Value;

/// Bumped whenever a parser's output for the same bytes changes, so stored versions can say
/// which parser made them.
pub const PARSER_VERSION: &str = "1";

/// Bodies larger than this are never taken for an error body (Eurostat's are a few hundred bytes).
const ERROR_BODY_MAX: usize = 64 * 1024;

/// The formats desi-city reads: the catalogue's vocabulary (`crate::catalog::Format`); content
/// sniffing ([`Format::detect`]) is the parsers' business, so it lives here.
pub use crate::catalog::{ByDataYear, Format, OdsMapping};

impl Format {
    /// Guesses the format from the first bytes: GeoJSON (`{` and `"FeatureCollection"` near the
    /// top), JSON-stat (any other `{`), a TSV header whose first cell holds `\`, an SDMX-CSV `DATAFLOW`/`STRUCTURE` header, the DESI header
    /// (`observation,time_period,ref_area,…`; the platform's `period,country,…` without
    /// `reference_period`), the platform's facts with `reference_period` (`desi-facts`), the DESI
    /// workbook's wide table
    /// (`Year,Country,Year + country,…`), or a `;`-separated header (Opendatasoft).
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        let body = trim_start(strip_bom(bytes));
        if body.first() == Some(&b'{') {
            if geojson::looks_like(body) {
                return Some(Format::GeoJson);
            }
            return Some(Format::JsonStat);
        }
        let end = memchr::memchr(b'\n', body).unwrap_or(body.len());
        let line = body[..end].strip_suffix(b"\r").unwrap_or(&body[..end]);
        let line = String::from_utf8_lossy(line);
        let first_tab_cell = line.split('\t').next().unwrap_or_default();
        if first_tab_cell.contains('\\') {
            return Some(Format::Tsv);
        }
        let header_cell = |c: &str| {
            let c = c.trim().trim_matches('"');
            c.split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_uppercase()
        };
        let first = header_cell(line.split([',', ';']).next().unwrap_or_default());
        if first == "DATAFLOW" || first == "STRUCTURE" {
            return Some(Format::SdmxCsv);
        }
        let cells: Vec<String> = line
            .split(',')
            .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
            .collect();
        let has_all = |names: &[&str]| names.iter().all(|n| cells.iter().any(|c| c == n));
        if has_all(&["period", "country", "indicator", "reference_period"]) {
            return Some(Format::DesiFacts);
        }
        if has_all(&["observation", "time_period", "ref_area"])
            || has_all(&[
                "period",
                "country",
                "indicator",
                "breakdown",
                "unit",
                "value",
            ])
        {
            return Some(Format::DesiCsv);
        }
        if cells.len() > 3 && cells[..3] == ["year", "country", "year + country"] {
            return Some(Format::DesiWide);
        }
        if line.contains(';') {
            return Some(Format::OdsCsv);
        }
        None
    }
}

/// Per-dataset parsing options.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Required for [`Format::OdsCsv`].
    pub ods: Option<OdsMapping>,
    /// For [`Format::DesiWide`] and [`Format::DesiCsv`]: read per data year, not per edition.
    pub by_data_year: Option<ByDataYear>,
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// One batch in the canonical schema.
    pub batch: RecordBatch,
    /// Dimension column names in column order (time excluded).
    pub dimensions: Vec<String>,
    /// Upstream last update: JSON-stat `updated` as published; SDMX-CSV 1.0 `LAST UPDATE`
    /// converted to RFC 3339 (Luxembourg time) when it parses, else raw.
    pub updated: Option<String>,
    /// JSON-stat `label`; SDMX-CSV 2.0 `STRUCTURE_NAME` when present.
    pub title: Option<String>,
}

/// Why a response could not be turned into observations. Messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error(
        "The upstream server sent an empty response body. Retry later; if it stays empty, check the dataset's query."
    )]
    Empty,
    #[error(
        "The upstream server sent an HTML page instead of data ({snippet:?}); it is probably an error or maintenance page. Check the dataset's URL and retry later."
    )]
    Html { snippet: String },
    #[error("{}", upstream_message(.status, .id, .label))]
    Upstream {
        status: Option<u16>,
        id: Option<i64>,
        label: String,
    },
    #[error(
        "The response is a JSON-stat collection ({label:?}, {links} linked items), not a dataset. Point the dataset at the URL of one of the collection's datasets."
    )]
    Collection { label: String, links: usize },
    #[error(
        "The response is a pre-2.0 JSON-stat bundle of datasets ({}). desi-city reads JSON-stat 2.0 datasets: request version 2.0 from the server, or one dataset at a time.",
        .datasets.join(", ")
    )]
    Bundle { datasets: Vec<String> },
    #[error(
        "The {format} response could not be read{}: {reason}. Check that the dataset's format matches what the server sends.",
        at_line(.line)
    )]
    Malformed {
        format: Format,
        line: Option<usize>,
        reason: String,
    },
    #[error(
        "The Opendatasoft CSV export cannot be read with this dataset's column mapping: {reason}."
    )]
    OdsMapping { reason: String },
    #[error(
        "The response is not valid JSON ({0}); it may have been cut short. Retry the download."
    )]
    Json(#[from] serde_json::Error),
    #[error("The observation table could not be built: {0}.")]
    Arrow(#[from] ArrowError),
}

fn at_line(line: &Option<usize>) -> String {
    line.map(|l| format!(" at line {l}")).unwrap_or_default()
}

fn upstream_message(status: &Option<u16>, id: &Option<i64>, label: &str) -> String {
    let mut codes = Vec::new();
    if let Some(s) = status {
        codes.push(format!("HTTP {s}"));
    }
    if let Some(i) = id {
        codes.push(format!("error {i}"));
    }
    let codes = if codes.is_empty() {
        String::new()
    } else {
        format!(" ({})", codes.join(", "))
    };
    let advice = if *status == Some(413) || label.starts_with("EXTRACTION_TOO_BIG") {
        "Narrow the query (fewer geos, indicators or periods) or split it into several requests."
    } else if *status == Some(404) {
        "Check the dataset code and the filters in the dataset's query."
    } else if matches!(status, Some(400..=499)) {
        "Fix the dataset's query as the message says."
    } else {
        "Retry later; if it persists, check the upstream service's status."
    };
    format!("The upstream server refused the request{codes}: {label}. {advice}")
}

impl ParseError {
    /// True for Eurostat's "extraction too big" refusal (HTTP 413 / `EXTRACTION_TOO_BIG`): the
    /// caller should split the query rather than retry it.
    pub fn is_too_big(&self) -> bool {
        match self {
            ParseError::Upstream { status, label, .. } => {
                *status == Some(413) || label.starts_with("EXTRACTION_TOO_BIG")
            }
            _ => false,
        }
    }
}

/// Reads `bytes` as `format` into the canonical table. Calls [`check_body`] first.
pub fn parse(
    format: Format,
    dataset: &str,
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<Parsed, ParseError> {
    check_body(bytes)?;
    match format {
        Format::JsonStat => jsonstat::parse(dataset, strip_bom(bytes)),
        Format::Tsv => tsv::parse(dataset, bytes),
        Format::SdmxCsv => sdmx_csv::parse(dataset, bytes),
        Format::DesiCsv => desi_csv::parse(dataset, bytes, options.by_data_year.as_ref()),
        Format::DesiWide => desi_wide::parse(dataset, bytes, options.by_data_year.as_ref()),
        Format::DesiFacts => desi_facts::parse(dataset, bytes),
        Format::OdsCsv => ods_csv::parse(dataset, bytes, options.ods.as_ref()),
        Format::GeoJson => geojson::parse(dataset, strip_bom(bytes)),
    }
}

/// Refuses bodies that carry no data: empty or whitespace-only, an HTML page (`<!DOCTYPE`,
/// `<html`, after an optional BOM and whitespace), or a Eurostat error body
/// (`{"error":[{"status":413,"id":413,"label":"EXTRACTION_TOO_BIG: …"}]}` or the older flat
/// `{"status":404,"id":100,"label":"…"}`).
pub fn check_body(bytes: &[u8]) -> Result<(), ParseError> {
    let body = trim_start(strip_bom(bytes));
    if body.is_empty() {
        return Err(ParseError::Empty);
    }
    if starts_with_ignore_case(body, b"<!doctype") || starts_with_ignore_case(body, b"<html") {
        return Err(ParseError::Html {
            snippet: html_snippet(body),
        });
    }
    if body.first() == Some(&b'{')
        && body.len() <= ERROR_BODY_MAX
        && let Ok(v) = serde_json::from_slice::<Value>(body)
        && let Some(err) = upstream_from_body(&v)
    {
        return Err(err);
    }
    Ok(())
}

/// The canonical long observation schema for these dimensions and attributes (names are
/// lower-cased; one clashing with a fixed column is prefixed `dim_`).
pub fn canonical_schema(dimensions: &[String], attributes: &[String]) -> SchemaRef {
    builder::canonical_schema(dimensions, attributes)
}

/// A Eurostat error body, in either of its two shapes.
fn upstream_from_body(v: &Value) -> Option<ParseError> {
    let obj = v.as_object()?;
    if let Some(err) = obj.get("error") {
        return upstream_from_error_value(err);
    }
    let status = obj.get("status")?;
    if obj.contains_key("dimension") || obj.contains_key("value") || !status.is_number() {
        return None;
    }
    Some(ParseError::Upstream {
        status: as_status(status),
        id: obj.get("id").and_then(Value::as_i64),
        label: obj.get("label").and_then(Value::as_str)?.to_owned(),
    })
}

/// The `error` member of a Eurostat error body: an array of `{status, id, label}` (the first is
/// reported) or a single such object.
fn upstream_from_error_value(err: &Value) -> Option<ParseError> {
    let e = match err {
        Value::Array(a) => a.first()?,
        Value::Object(_) => err,
        Value::String(s) => {
            return Some(ParseError::Upstream {
                status: None,
                id: None,
                label: s.clone(),
            });
        }
        _ => return None,
    };
    let label = e
        .get("label")
        .or_else(|| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("no message given")
        .to_owned();
    Some(ParseError::Upstream {
        status: e.get("status").and_then(as_status),
        id: e.get("id").and_then(|i| {
            i.as_i64()
                .or_else(|| i.as_str().and_then(|s| s.trim().parse().ok()))
        }),
        label,
    })
}

fn as_status(v: &Value) -> Option<u16> {
    v.as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The page's `<title>` if it has one near the top, else its first characters, on one line.
fn html_snippet(body: &[u8]) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(8192)]);
    let lower = head.to_ascii_lowercase();
    let text = match (lower.find("<title"), lower.find("</title>")) {
        (Some(start), Some(end)) if start < end => head[start..end]
            .split_once('>')
            .map(|(_, t)| t.to_owned())
            .unwrap_or_default(),
        _ => head.chars().take(160).collect(),
    };
    let one_line: Vec<&str> = text.split_whitespace().collect();
    one_line.join(" ").chars().take(160).collect()
}

/// The body as UTF-8 text without its BOM, or `Malformed` naming the line of the first bad byte.
fn utf8_text(format: Format, bytes: &[u8]) -> Result<&str, ParseError> {
    let bytes = strip_bom(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let upto = e.valid_up_to();
        let line = bytes[..upto].iter().filter(|b| **b == b'\n').count() + 1;
        ParseError::Malformed {
            format,
            line: Some(line),
            reason: "the text is not valid UTF-8".to_owned(),
        }
    })
}

/// Synthetic inputs for the benchmark, shaped like the real files and deterministic.
#[doc(hidden)]
pub mod bench_input {
    use std::io::Write;

    const GEOS: [&str; 40] = [
        "EU27_2020",
        "EA20",
        "BE",
        "BG",
        "CZ",
        "DK",
        "DE",
        "EE",
        "IE",
        "EL",
        "ES",
        "FR",
        "HR",
        "IT",
        "CY",
        "LV",
        "LT",
        "LU",
        "HU",
        "MT",
        "NL",
        "AT",
        "PL",
        "PT",
        "RO",
        "SI",
        "SK",
        "FI",
        "SE",
        "IS",
        "NO",
        "CH",
        "UK",
        "BA",
        "ME",
        "MK",
        "AL",
        "RS",
        "TR",
        "XK",
    ];
    const SIZES: [&str; 4] = ["0-9", "10-49", "50-249", "GE250"];
    const FLAGS: [&str; 5] = ["b", "e", "be", "p", "u"];

    /// An Eurostat TSV in the current layout (`freq,size_emp,nace_r2,indic_is,unit,geo\TIME_PERIOD`,
    /// ten years, CRLF) with `rows` series; about 85 % of the cells hold a value, some flagged, a
    /// few are `: c` or `: u`, the rest `: `.
    pub fn generate_tsv(rows: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(rows * 120 + 200);
        out.extend_from_slice(b"freq,size_emp,nace_r2,indic_is,unit,geo\\TIME_PERIOD");
        for year in 2014..2024 {
            let _ = write!(out, "\t{year} ");
        }
        out.extend_from_slice(b"\r\n");
        for i in 0..rows {
            let geo = GEOS[i % GEOS.len()];
            let size = SIZES[(i / GEOS.len()) % SIZES.len()];
            let indic = i / (GEOS.len() * SIZES.len());
            let _ = write!(out, "A,{size},C10-S951_X_K,E_IND{indic:05},PC_ENT,{geo}");
            for j in 0..10 {
                let r = (i * 7 + j * 13) % 40;
                let v = (i * 31 + j * 17) % 1000;
                match r {
                    0..=3 => out.extend_from_slice(b"\t: "),
                    4 => out.extend_from_slice(b"\t: c"),
                    5 => out.extend_from_slice(b"\t: u"),
                    6..=11 => {
                        let _ = write!(out, "\t{}.{} {}", v / 10, v % 10, FLAGS[r % FLAGS.len()]);
                    }
                    _ => {
                        let _ = write!(out, "\t{}.{} ", v / 10, v % 10);
                    }
                }
            }
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// A JSON-stat 2.0 response like the Statistics API's (`freq,unit,indic_is,geo,time`, sparse
    /// `value` and `status` keyed by flat index, geo labels) with exactly `obs` observations:
    /// mostly numbers, some flagged `b`/`e`/`p`, some confidential (`|C`, no value).
    pub fn generate_jsonstat(obs: usize) -> Vec<u8> {
        let (n_geo, n_time) = (GEOS.len(), 20usize);
        let per_indic = n_geo * n_time;
        let n_indic = (obs * 20 / 17) / per_indic + 1;
        let mut values = Vec::with_capacity(obs * 16);
        let mut statuses = Vec::with_capacity(obs / 2);
        let (mut emitted, mut i) = (0usize, 0usize);
        while emitted < obs {
            let r = (i * 7) % 20;
            let v = (i * 31) % 1000;
            match r {
                0..=2 => {}
                3 => {
                    let _ = write!(statuses, "\"{i}\":\"|C\",");
                    emitted += 1;
                }
                4..=5 => {
                    let _ = write!(values, "\"{i}\":{}.{},", v / 10, v % 10);
                    let _ = write!(statuses, "\"{i}\":\"{}\",", ["b", "e", "p"][i % 3]);
                    emitted += 1;
                }
                _ => {
                    let _ = write!(values, "\"{i}\":{}.{},", v / 10, v % 10);
                    emitted += 1;
                }
            }
            i += 1;
        }
        values.pop_if(|c| *c == b',');
        statuses.pop_if(|c| *c == b',');
        let mut out = Vec::with_capacity(values.len() + statuses.len() + 4096);
        out.extend_from_slice(
            b"{\"version\":\"2.0\",\"class\":\"dataset\",\"label\":\"Synthetic benchmark dataset\",\
              \"source\":\"ESTAT\",\"updated\":\"2026-06-25T23:00:00+0200\",\"value\":{",
        );
        out.extend_from_slice(&values);
        out.extend_from_slice(b"},\"status\":{");
        out.extend_from_slice(&statuses);
        out.extend_from_slice(b"},\"id\":[\"freq\",\"unit\",\"indic_is\",\"geo\",\"time\"],");
        let _ = write!(
            out,
            "\"size\":[1,1,{n_indic},{n_geo},{n_time}],\"dimension\":{{"
        );
        out.extend_from_slice(
            b"\"freq\":{\"label\":\"Time frequency\",\"category\":{\"index\":{\"A\":0},\"label\":{\"A\":\"Annual\"}}},\
              \"unit\":{\"label\":\"Unit of measure\",\"category\":{\"index\":{\"PC_ENT\":0},\"label\":{\"PC_ENT\":\"Percentage of enterprises\"}}},\
              \"indic_is\":{\"label\":\"Information society indicator\",\"category\":{\"index\":{",
        );
        for k in 0..n_indic {
            let sep = if k + 1 < n_indic { "," } else { "" };
            let _ = write!(out, "\"E_IND{k:05}\":{k}{sep}");
        }
        out.extend_from_slice(
            b"}}},\"geo\":{\"label\":\"Geopolitical entity\",\"category\":{\"index\":{",
        );
        for (k, g) in GEOS.iter().enumerate() {
            let sep = if k + 1 < n_geo { "," } else { "" };
            let _ = write!(out, "\"{g}\":{k}{sep}");
        }
        out.extend_from_slice(b"},\"label\":{");
        for (k, g) in GEOS.iter().enumerate() {
            let sep = if k + 1 < n_geo { "," } else { "" };
            let _ = write!(out, "\"{g}\":\"Geo {g}\"{sep}");
        }
        out.extend_from_slice(b"}}},\"time\":{\"label\":\"Time\",\"category\":{\"index\":{");
        for k in 0..n_time {
            let sep = if k + 1 < n_time { "," } else { "" };
            let _ = write!(out, "\"{}\":{k}{sep}", 2006 + k);
        }
        out.extend_from_slice(b"}}}},\"extension\":{\"lang\":\"EN\",\"agencyId\":\"ESTAT\"}}");
        out
    }
}

#[cfg(test)]
pub(crate) mod testdata {
    use std::path::PathBuf;

    use arrow::array::{Array, Float64Array, StringArray};
    use arrow::record_batch::RecordBatch;

    /// A string column by name (panics in tests when absent).
    pub fn col<'a>(b: &'a RecordBatch, name: &str) -> &'a StringArray {
        b.column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .unwrap_or_else(|| panic!("no string column {name}"))
    }

    /// The `value` column.
    pub fn values(b: &RecordBatch) -> &Float64Array {
        b.column_by_name("value")
            .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
            .expect("value column")
    }

    /// A cell of a string column, `None` when null.
    pub fn opt(a: &StringArray, i: usize) -> Option<&str> {
        (!a.is_null(i)).then(|| a.value(i))
    }

    /// A file of the shared real data, found from the crate (`../shared/data`) or, when the crate
    /// is built elsewhere, at `/work/shared/data`.
    pub fn shared(rel: &str) -> PathBuf {
        let near = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data"));
        let base = if near.is_dir() {
            near
        } else {
            PathBuf::from("/work/shared/data")
        };
        base.join(rel)
    }

    /// The `[by_data_year]` table of a shipped dataset file (`datasets/<id>.toml`).
    pub fn by_data_year(id: &str) -> super::ByDataYear {
        #[derive(serde::Deserialize)]
        struct File {
            by_data_year: super::ByDataYear,
        }
        let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets"))
            .join(format!("{id}.toml"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let file: File =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        file.by_data_year
    }

    pub fn read(rel: &str) -> Vec<u8> {
        let path = shared(rel);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// Every file with this extension in a shared folder, sorted.
    pub fn files(dir: &str, ext: &str) -> Vec<String> {
        let path = shared(dir);
        let mut out: Vec<String> = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display()))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(ext))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::testdata::{files, read};
    use super::*;

    #[test]
    fn format_names_round_trip_through_strings_and_serde() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
            assert_eq!(f.to_string(), f.as_str());
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
            assert_eq!(serde_json::from_str::<Format>(&json).unwrap(), f);
        }
        assert_eq!("JSON-stat".parse::<Format>(), Ok(Format::JsonStat));
    }

    #[test]
    fn an_unknown_format_name_lists_the_accepted_ones() {
        let err = "xlsx".parse::<Format>().unwrap_err();
        assert!(
            err.contains("jsonstat, tsv, sdmx-csv, desi-csv, desi-wide, desi-facts, ods-csv"),
            "{err}"
        );
    }

    #[test]
    fn every_shared_file_is_detected_as_its_format() {
        let mut cases: Vec<(String, Format)> = Vec::new();
        for f in files("eurostat/jsonstat", ".json") {
            cases.push((f, Format::JsonStat));
        }
        for f in files("jsonstat-samples", ".json") {
            cases.push((f, Format::JsonStat));
        }
        for f in files("eurostat/tsv", ".tsv") {
            cases.push((f, Format::Tsv));
        }
        for f in files("eurostat/sdmx-csv", ".csv") {
            cases.push((f, Format::SdmxCsv));
        }
        cases.push(("desi/2020/indicators_raw.csv".into(), Format::DesiCsv));
        cases.push(("desi/2022/indicators_complete.csv".into(), Format::DesiWide));
        cases.push(("desi/2022/indicators_raw.csv".into(), Format::DesiWide));
        cases.push(("desi/platform/facts_desi.csv".into(), Format::DesiFacts));
        cases.push((
            "desi/platform/facts_dd_trajectories_eu.csv".into(),
            Format::DesiFacts,
        ));
        assert!(cases.len() >= 25);
        for (file, format) in cases {
            assert_eq!(Format::detect(&read(&file)), Some(format), "{file}");
        }
    }

    #[test]
    fn detection_sees_through_a_bom_and_recognises_semicolon_exports() {
        assert_eq!(
            Format::detect(b"\xEF\xBB\xBFannee;commune;valeur\r\n2023;Bruxelles;1\r\n"),
            Some(Format::OdsCsv)
        );
        assert_eq!(
            Format::detect(b"  \n{\"version\":\"2.0\"}"),
            Some(Format::JsonStat)
        );
        assert_eq!(Format::detect(b"a,b,c\n1,2,3\n"), None);
        assert_eq!(Format::detect(b""), None);
    }

    #[test]
    fn empty_and_whitespace_bodies_are_refused_as_empty() {
        for body in [&b""[..], b"   \r\n\t", b"\xEF\xBB\xBF  "] {
            assert!(matches!(check_body(body), Err(ParseError::Empty)));
            assert!(matches!(
                parse(Format::Tsv, "x", body, &ParseOptions::default()),
                Err(ParseError::Empty)
            ));
        }
    }

    #[test]
    fn an_html_page_is_refused_with_its_title() {
        let page = b"\xEF\xBB\xBF\n  <!DOCTYPE html>\n<html><head><title>Service\n unavailable</title></head><body>Maintenance</body></html>";
        match check_body(page) {
            Err(ParseError::Html { snippet }) => assert_eq!(snippet, "Service unavailable"),
            other => panic!("expected Html, got {other:?}"),
        }
        for format in Format::ALL {
            let err = parse(
                format,
                "x",
                b"<HTML><body>Oops</body></HTML>",
                &ParseOptions::default(),
            )
            .unwrap_err();
            assert!(matches!(err, ParseError::Html { .. }), "{format}: {err}");
            assert!(err.to_string().contains("HTML page"));
        }
    }

    #[test]
    fn the_413_error_body_is_an_upstream_error_that_is_too_big() {
        let err = check_body(&read("eurostat/errors/413_extraction_too_big.json")).unwrap_err();
        match &err {
            ParseError::Upstream { status, id, label } => {
                assert_eq!(*status, Some(413));
                assert_eq!(*id, Some(413));
                assert!(label.starts_with("EXTRACTION_TOO_BIG"));
            }
            other => panic!("expected Upstream, got {other:?}"),
        }
        assert!(err.is_too_big());
        assert!(err.to_string().contains("Narrow the query"), "{err}");
    }

    #[test]
    fn the_404_error_body_is_an_upstream_error_given_as_any_format() {
        let body = read("eurostat/errors/404_not_found.json");
        for format in Format::ALL {
            match parse(format, "x", &body, &ParseOptions::default()) {
                Err(ParseError::Upstream { status, id, label }) => {
                    assert_eq!(status, Some(404));
                    assert_eq!(id, Some(100));
                    assert!(label.starts_with("ERR_NOT_FOUND_4"), "{label}");
                }
                other => panic!("{format}: expected Upstream, got {other:?}"),
            }
        }
        let err = check_body(&body).unwrap_err();
        assert!(!err.is_too_big());
        assert!(err.to_string().contains("HTTP 404"), "{err}");
    }

    #[test]
    fn each_quoted_statistics_api_error_example_is_recognised() {
        let file = read("eurostat/errors/statistics_api_error_examples.json");
        let v: Value = serde_json::from_slice(&file).unwrap();
        let expect = [
            ("invalid_dimension_400", 400, Some(150), false),
            ("unknown_dataset_404", 404, Some(100), false),
            ("too_big_413", 413, Some(413), true),
        ];
        for (key, status, id, too_big) in expect {
            let body = serde_json::to_vec(&v[key]).unwrap();
            let err = parse(Format::JsonStat, "x", &body, &ParseOptions::default()).unwrap_err();
            match &err {
                ParseError::Upstream {
                    status: s, id: i, ..
                } => {
                    assert_eq!((*s, *i), (Some(status), id), "{key}");
                }
                other => panic!("{key}: expected Upstream, got {other:?}"),
            }
            assert_eq!(err.is_too_big(), too_big, "{key}");
        }
        // The file as a whole is a collection of examples, not a dataset nor an error body.
        let err = parse(Format::JsonStat, "x", &file, &ParseOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ParseError::Malformed {
                    format: Format::JsonStat,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_data_body_passes_the_check() {
        check_body(&read("eurostat/jsonstat/isoc_ci_in_h.json")).unwrap();
        check_body(&read("eurostat/tsv/tin00074.tsv")).unwrap();
        check_body(b"{\"status\":\"ok\"}").unwrap();
    }

    #[test]
    fn the_public_schema_function_gives_the_canonical_layout() {
        let schema = canonical_schema(&["geo".into(), "value".into()], &[]);
        let names: Vec<_> = schema.fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names[..3], ["dataset", "geo", "dim_value"]);
        assert_eq!(names.last().map(String::as_str), Some("dim_value_label"));
    }

    #[test]
    fn malformed_messages_name_the_format_and_line() {
        let err = ParseError::Malformed {
            format: Format::Tsv,
            line: Some(7),
            reason: "the row has 3 cells but the header has 10".into(),
        };
        assert_eq!(
            err.to_string(),
            "The tsv response could not be read at line 7: the row has 3 cells but the header has 10. Check that the dataset's format matches what the server sends."
        );
    }

    #[test]
    fn the_synthetic_benchmark_inputs_parse_to_the_promised_sizes() {
        let tsv = bench_input::generate_tsv(1000);
        assert_eq!(Format::detect(&tsv), Some(Format::Tsv));
        let parsed = parse(Format::Tsv, "bench", &tsv, &ParseOptions::default()).unwrap();
        assert!(parsed.batch.num_rows() > 8500 && parsed.batch.num_rows() < 10_000);
        assert_eq!(tsv, bench_input::generate_tsv(1000));

        let json = bench_input::generate_jsonstat(12_345);
        assert_eq!(Format::detect(&json), Some(Format::JsonStat));
        let parsed = parse(Format::JsonStat, "bench", &json, &ParseOptions::default()).unwrap();
        assert_eq!(parsed.batch.num_rows(), 12_345);
        assert_eq!(parsed.dimensions, ["freq", "unit", "indic_is", "geo"]);
    }
}
