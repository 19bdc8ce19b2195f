//! Encoding Arrow record batches (an engine result, or a stored dataset version) into the formats
//! the API serves: CSV (every column), JSON rows, JSON-stat 2.0 and SDMX-CSV 2.0 (a [`Cube`]: some
//! columns are dimensions, one is time, one the value, one the flags). Bytes in memory only: no
//! HTTP, no store, no DuckDB.

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, Float64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use serde_json::{Map, Value, json};

/// The largest JSON-stat cube (product of the dimension sizes) encoded in one answer.
pub const MAX_CELLS: usize = 5_000_000;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("The answer would hold {cells} cells, more than the {limit} one answer may hold.")]
    TooLarge { cells: usize, limit: usize },
    #[error("column {0:?} is missing")]
    MissingColumn(String),
    #[error("two rows for the same cell ({0})")]
    DuplicateCell(String),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

type Result<T> = std::result::Result<T, EncodeError>;

/// Observations to encode as a cube.
pub struct Cube<'a> {
    pub batches: &'a [RecordBatch],
    /// Dimension columns in order, time excluded.
    pub dimensions: Vec<String>,
    /// The time column (`2023`, `2023-Q1`, …).
    pub time: String,
    /// The numeric value column and the flags column.
    pub value: String,
    pub flags: String,
    pub meta: CubeMeta,
}

/// What a cube says about itself.
pub struct CubeMeta {
    pub label: String,
    /// Attribution, e.g. `Source: Eurostat (online data code: isoc_ci_in_h)`.
    pub source: String,
    pub updated: Option<String>,
    pub licence: String,
    pub licence_url: String,
    /// SDMX structure id, e.g. `ESTAT:ISOC_CI_IN_H(1.0)`.
    pub structure_id: String,
    /// Extra provenance for JSON-stat's `extension`.
    pub extension: Value,
    /// Category labels by dimension and code, for codes the batches carry no `<dim>_label` of
    /// (e.g. the upstream's geo names for a series computed from it).
    pub labels: HashMap<String, HashMap<String, String>>,
    /// The unit of each category of the metric dimension (JSON-stat `category.unit`), by code;
    /// a `unit` dimension's own labels are its units otherwise.
    pub units: HashMap<String, String>,
}

/// A CSV writer as RFC 4180 asks: comma, double quotes, and CRLF at the end of every line.
pub fn csv_writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

/// Every column as CSV (header row, RFC 4180; floats as Rust prints them, which round-trips).
pub fn csv(batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let mut w = csv_writer(Vec::new());
    let Some(first) = batches.first() else {
        return Ok(Vec::new());
    };
    w.write_record(first.schema().fields().iter().map(|f| f.name().as_str()))?;
    for batch in batches {
        let columns: Vec<Cell> = batch
            .columns()
            .iter()
            .map(Cell::new)
            .collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            w.write_record(columns.iter().map(|c| c.text(row)))?;
        }
    }
    Ok(w.into_inner().map_err(|e| e.into_error())?)
}

/// The CSV of `batch` as a header line and one line per row (each with its line end), as
/// [`csv`] writes them: a response is then the header and the lines it selects, concatenated.
pub fn csv_lines(batch: &RecordBatch) -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
    // One writer for every line (a writer per line zeroed its 8 kB buffer each time): each line
    // is what the writer added since the previous one.
    let mut w = csv_writer(Vec::new());
    let mut written = 0;
    let mut line = |w: &mut csv::Writer<Vec<u8>>| -> Result<Vec<u8>> {
        w.flush()?;
        let all = w.get_ref();
        let line = all[written..].to_vec();
        written = all.len();
        Ok(line)
    };
    w.write_record(batch.schema().fields().iter().map(|f| f.name().as_str()))?;
    let header = line(&mut w)?;
    let columns: Vec<Cell> = batch
        .columns()
        .iter()
        .map(Cell::new)
        .collect::<Result<_>>()?;
    let mut lines = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        w.write_record(columns.iter().map(|c| c.text(row)))?;
        lines.push(line(&mut w)?);
    }
    Ok((header, lines))
}

/// Every row of `batch` as the text of its JSON object ([`json_rows`]'s, serialised).
pub fn json_row_texts(batch: &RecordBatch) -> Result<Vec<Vec<u8>>> {
    match json_rows(std::slice::from_ref(batch))? {
        Value::Array(rows) => Ok(rows.iter().map(|r| r.to_string().into_bytes()).collect()),
        _ => Ok(Vec::new()),
    }
}

/// Every row as a JSON object, keys in column order, nulls explicit.
pub fn json_rows(batches: &[RecordBatch]) -> Result<Value> {
    let mut rows = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        let columns: Vec<(String, Cell)> = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(f, c)| Ok((f.name().clone(), Cell::new(c)?)))
            .collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            let mut object = Map::new();
            for (name, cell) in &columns {
                object.insert(name.clone(), cell.json(row));
            }
            rows.push(Value::Object(object));
        }
    }
    Ok(Value::Array(rows))
}

/// A column read as text (or as a number, for numeric columns).
enum Cell {
    Number(Float64Array, bool),
    Text(StringArray),
}

impl Cell {
    fn new(array: &ArrayRef) -> Result<Cell> {
        Ok(match array.data_type() {
            DataType::Float64 | DataType::Float32 => Cell::Number(
                cast(array, &DataType::Float64)?
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .cloned()
                    .expect("cast to Float64"),
                false,
            ),
            t if t.is_integer() => Cell::Number(
                cast(array, &DataType::Float64)?
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .cloned()
                    .expect("cast to Float64"),
                true,
            ),
            _ => Cell::Text(
                cast(array, &DataType::Utf8)?
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .cloned()
                    .expect("cast to Utf8"),
            ),
        })
    }

    fn text(&self, row: usize) -> String {
        match self {
            Cell::Number(a, integer) if a.is_valid(row) => {
                if *integer {
                    format!("{}", a.value(row) as i64)
                } else {
                    format!("{}", a.value(row))
                }
            }
            Cell::Text(a) if a.is_valid(row) => a.value(row).to_owned(),
            _ => String::new(),
        }
    }

    fn json(&self, row: usize) -> Value {
        match self {
            Cell::Number(a, true) if a.is_valid(row) => json!(a.value(row) as i64),
            Cell::Number(a, false) if a.is_valid(row) => {
                serde_json::Number::from_f64(a.value(row)).map_or(Value::Null, Value::Number)
            }
            Cell::Text(a) if a.is_valid(row) => Value::String(a.value(row).to_owned()),
            _ => Value::Null,
        }
    }
}

fn column(batch: &RecordBatch, name: &str) -> Result<ArrayRef> {
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| EncodeError::MissingColumn(name.to_owned()))
}

fn texts(batch: &RecordBatch, name: &str) -> Result<StringArray> {
    Ok(cast(&column(batch, name)?, &DataType::Utf8)?
        .as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .expect("cast to Utf8"))
}

fn numbers(batch: &RecordBatch, name: &str) -> Result<Float64Array> {
    Ok(cast(&column(batch, name)?, &DataType::Float64)?
        .as_any()
        .downcast_ref::<Float64Array>()
        .cloned()
        .expect("cast to Float64"))
}

/// One observation of a cube: its codes (dimensions, then time), value and flags.
struct Observation {
    codes: Vec<String>,
    value: Option<f64>,
    flags: Option<String>,
}

/// A dimension's categories: code and label (when the data has one), in index order.
type Categories = Vec<(String, Option<String>)>;

/// The cube's observations and, per dimension, its codes in first-seen order (time sorted) with
/// their labels when the batch has a `<dim>_label` column.
fn observations(cube: &Cube) -> Result<(Vec<Observation>, Vec<Categories>)> {
    let names: Vec<&str> = cube
        .dimensions
        .iter()
        .map(String::as_str)
        .chain(std::iter::once(cube.time.as_str()))
        .collect();
    let mut categories: Vec<Categories> = vec![Vec::new(); names.len()];
    let mut seen: Vec<HashMap<String, ()>> = vec![HashMap::new(); names.len()];
    let mut out = Vec::new();
    for batch in cube.batches {
        let columns: Vec<StringArray> = names
            .iter()
            .map(|n| texts(batch, n))
            .collect::<Result<_>>()?;
        let labels: Vec<Option<StringArray>> = names
            .iter()
            .map(|n| {
                batch
                    .column_by_name(&crate::catalog::observation::label_column(n))
                    .and_then(|c| cast(c, &DataType::Utf8).ok())
                    .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
            })
            .collect();
        let values = numbers(batch, &cube.value)?;
        let flags = texts(batch, &cube.flags)?;
        for row in 0..batch.num_rows() {
            let mut codes = Vec::with_capacity(names.len());
            for (d, col) in columns.iter().enumerate() {
                let code = if col.is_valid(row) {
                    col.value(row)
                } else {
                    ""
                }
                .to_owned();
                if seen[d].insert(code.clone(), ()).is_none() {
                    let label = labels[d]
                        .as_ref()
                        .filter(|l| l.is_valid(row))
                        .map(|l| l.value(row).to_owned());
                    categories[d].push((code.clone(), label));
                }
                codes.push(code);
            }
            out.push(Observation {
                codes,
                value: values.is_valid(row).then(|| values.value(row)),
                flags: (flags.is_valid(row) && !flags.value(row).is_empty())
                    .then(|| flags.value(row).to_owned()),
            });
        }
    }
    if let Some(time) = categories.last_mut() {
        time.sort();
    }
    Ok((out, categories))
}

/// Whether a dimension says what is measured (JSON-stat's `metric` role, with `category.unit`).
fn is_metric(dimension: &str) -> bool {
    matches!(dimension, "unit" | "indicator" | "indic_is")
}

/// A JSON-stat 2.0 dataset: dense `value` in row-major order over the dimensions then time,
/// `status` (sparse) for flags, roles for time, geo and metric.
pub fn jsonstat(cube: &Cube) -> Result<Value> {
    jsonstat_with_limit(cube, MAX_CELLS)
}

fn jsonstat_with_limit(cube: &Cube, limit: usize) -> Result<Value> {
    let (observations, categories) = observations(cube)?;
    let sizes: Vec<usize> = categories.iter().map(Vec::len).collect();
    let cells = sizes.iter().try_fold(1usize, |acc, s| acc.checked_mul(*s));
    let cells = match cells {
        Some(c) if c <= limit => c,
        _ => {
            return Err(EncodeError::TooLarge {
                cells: cells.unwrap_or(usize::MAX),
                limit,
            });
        }
    };
    let positions: Vec<HashMap<&str, usize>> = categories
        .iter()
        .map(|cats| {
            cats.iter()
                .enumerate()
                .map(|(i, (c, _))| (c.as_str(), i))
                .collect()
        })
        .collect();
    let mut values = vec![Value::Null; cells];
    let mut filled = vec![false; cells];
    let mut status = Map::new();
    for o in &observations {
        let mut flat = 0;
        for (d, code) in o.codes.iter().enumerate() {
            flat = flat * sizes[d] + positions[d][code.as_str()];
        }
        if std::mem::replace(&mut filled[flat], true) {
            return Err(EncodeError::DuplicateCell(o.codes.join(", ")));
        }
        if let Some(v) = o.value {
            values[flat] = serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number);
        }
        if let Some(f) = &o.flags {
            status.insert(flat.to_string(), Value::String(f.clone()));
        }
    }
    let ids: Vec<String> = cube
        .dimensions
        .iter()
        .cloned()
        .chain(std::iter::once("time".to_owned()))
        .collect();
    let mut dimension = Map::new();
    for (id, cats) in ids.iter().zip(&categories) {
        let index: Map<String, Value> = cats
            .iter()
            .enumerate()
            .map(|(i, (c, _))| (c.clone(), json!(i)))
            .collect();
        let fallback = cube.meta.labels.get(id.as_str());
        let label_of = |c: &String, l: &Option<String>| {
            l.clone()
                .or_else(|| fallback.and_then(|m| m.get(c)).cloned())
                .unwrap_or_else(|| c.clone())
        };
        let label: Map<String, Value> = cats
            .iter()
            .map(|(c, l)| (c.clone(), json!(label_of(c, l))))
            .collect();
        let mut category = json!({ "index": index, "label": label });
        if is_metric(id) {
            let unit: Map<String, Value> = cats
                .iter()
                .filter_map(|(c, l)| {
                    let unit = cube
                        .meta
                        .units
                        .get(c)
                        .cloned()
                        .or_else(|| (id == "unit").then(|| label_of(c, l)))?;
                    Some((c.clone(), json!({ "label": unit })))
                })
                .collect();
            if !unit.is_empty() {
                category["unit"] = Value::Object(unit);
            }
        }
        dimension.insert(id.clone(), json!({ "label": id, "category": category }));
    }
    let mut role = Map::new();
    role.insert("time".into(), json!(["time"]));
    if cube.dimensions.iter().any(|d| d == "geo") {
        role.insert("geo".into(), json!(["geo"]));
    }
    let metric: Vec<&String> = cube.dimensions.iter().filter(|d| is_metric(d)).collect();
    if !metric.is_empty() {
        role.insert("metric".into(), json!(metric));
    }
    let mut extension = match &cube.meta.extension {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        other => Map::from_iter([("provenance".to_owned(), other.clone())]),
    };
    extension.insert("licence".into(), json!(cube.meta.licence));
    extension.insert("licence_url".into(), json!(cube.meta.licence_url));
    let mut out = Map::new();
    out.insert("version".into(), json!("2.0"));
    out.insert("class".into(), json!("dataset"));
    out.insert("label".into(), json!(cube.meta.label));
    out.insert("source".into(), json!(cube.meta.source));
    if let Some(updated) = &cube.meta.updated {
        out.insert("updated".into(), json!(updated));
    }
    out.insert("id".into(), json!(ids));
    out.insert("size".into(), json!(sizes));
    out.insert("dimension".into(), Value::Object(dimension));
    out.insert("role".into(), Value::Object(role));
    out.insert("value".into(), Value::Array(values));
    out.insert("status".into(), Value::Object(status));
    out.insert("extension".into(), Value::Object(extension));
    Ok(Value::Object(out))
}

/// SDMX-CSV 2.0: `STRUCTURE,STRUCTURE_ID,ACTION,<DIMENSIONS…>,TIME_PERIOD,OBS_VALUE,OBS_FLAG`.
pub fn sdmx_csv(cube: &Cube) -> Result<Vec<u8>> {
    let mut w = csv_writer(Vec::new());
    let mut header: Vec<String> = vec!["STRUCTURE".into(), "STRUCTURE_ID".into(), "ACTION".into()];
    header.extend(cube.dimensions.iter().map(|d| d.to_ascii_uppercase()));
    header.extend(["TIME_PERIOD".into(), "OBS_VALUE".into(), "OBS_FLAG".into()]);
    w.write_record(&header)?;
    let (observations, _) = observations(cube)?;
    for o in observations {
        let mut record: Vec<String> = vec![
            "dataflow".into(),
            cube.meta.structure_id.clone(),
            "I".into(),
        ];
        record.extend(o.codes);
        record.push(o.value.map(|v| v.to_string()).unwrap_or_default());
        record.push(o.flags.unwrap_or_default());
        w.write_record(&record)?;
    }
    Ok(w.into_inner().map_err(|e| e.into_error())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::parse::testdata::read;
    use crate::fetch::parse::{Format, ParseOptions, parse};

    /// `(dimension codes…, period, value bits, flags)` of every cell with a value or a flag, sorted.
    type Cells = Vec<(Vec<String>, String, Option<u64>, Option<String>)>;

    fn cells(batch: &RecordBatch, dimensions: &[String]) -> Cells {
        let cube = Cube {
            batches: std::slice::from_ref(batch),
            dimensions: dimensions.to_vec(),
            time: "period".into(),
            value: "value".into(),
            flags: "flags".into(),
            meta: meta(),
        };
        let (observations, _) = observations(&cube).expect("observations");
        let mut out: Cells = observations
            .into_iter()
            .filter(|o| o.value.is_some() || o.flags.is_some())
            .map(|mut o| {
                let period = o.codes.pop().expect("time");
                (o.codes, period, o.value.map(f64::to_bits), o.flags)
            })
            .collect();
        out.sort();
        out
    }

    fn meta() -> CubeMeta {
        CubeMeta {
            label: "Households with internet access".into(),
            source: "Source: Eurostat (online data code: isoc_ci_in_h)".into(),
            updated: Some("2026-06-25T23:00:00+0200".into()),
            licence: "CC-BY-4.0".into(),
            licence_url: "https://creativecommons.org/licenses/by/4.0/".into(),
            structure_id: "ESTAT:ISOC_CI_IN_H(1.0)".into(),
            extension: json!({ "dataset": "isoc_ci_in_h" }),
            labels: [(
                "hhtyp".to_owned(),
                [("TOTAL".to_owned(), "All households".to_owned())].into(),
            )]
            .into(),
            units: HashMap::new(),
        }
    }

    #[test]
    fn jsonstat_labels_categories_from_the_upstream_labels_and_gives_the_metric_its_unit() {
        let (batch, dims) = real();
        let batches = [batch];
        let doc = jsonstat(&cube(&batches, &dims)).expect("encodes");
        // The file's own labels (JSON-stat from Eurostat carries them) name the geos.
        assert_eq!(
            doc["dimension"]["geo"]["category"]["label"]["BE"],
            "Belgium"
        );
        // The unit dimension is the metric: each category's unit is its label.
        let unit = &doc["dimension"]["unit"]["category"];
        assert_eq!(unit["unit"]["PC_HH"]["label"], unit["label"]["PC_HH"]);
        assert_eq!(doc["role"]["metric"], json!(["unit"]));
    }

    #[test]
    fn the_csv_lines_of_a_batch_are_its_csv_line_by_line() {
        let (batch, _) = real();
        let (header, lines) = csv_lines(&batch).expect("encodes");
        assert_eq!(lines.len(), batch.num_rows());
        assert!(lines.iter().all(|l| l.ends_with(b"\r\n") && l.len() > 2));
        let joined: Vec<u8> = std::iter::once(header).chain(lines).flatten().collect();
        assert_eq!(joined, csv(&[batch]).expect("encodes"));
    }

    /// The real JSON-stat response of isoc_ci_in_h, through our parser.
    fn real() -> (RecordBatch, Vec<String>) {
        let parsed = parse(
            Format::JsonStat,
            "isoc_ci_in_h",
            &read("eurostat/jsonstat/isoc_ci_in_h.json"),
            &ParseOptions::default(),
        )
        .expect("parses");
        (parsed.batch, parsed.dimensions)
    }

    fn cube<'a>(batches: &'a [RecordBatch], dimensions: &[String]) -> Cube<'a> {
        Cube {
            batches,
            dimensions: dimensions.to_vec(),
            time: "period".into(),
            value: "value".into(),
            flags: "flags".into(),
            meta: meta(),
        }
    }

    #[test]
    fn jsonstat_of_a_real_dataset_reads_back_with_our_parser_to_the_same_cells_and_flags() {
        let (batch, dims) = real();
        let batches = [batch.clone()];
        let doc = jsonstat(&cube(&batches, &dims)).expect("encodes");
        assert_eq!(doc["version"], "2.0");
        assert_eq!(doc["role"]["geo"][0], "geo");
        assert_eq!(doc["role"]["time"][0], "time");
        assert_eq!(doc["updated"], "2026-06-25T23:00:00+0200");
        assert_eq!(doc["extension"]["licence"], "CC-BY-4.0");
        let back = parse(
            Format::JsonStat,
            "isoc_ci_in_h",
            doc.to_string().as_bytes(),
            &ParseOptions::default(),
        )
        .expect("our JSON-stat reads back");
        assert_eq!(back.dimensions, dims);
        let original = cells(&batch, &dims);
        assert!(
            original.iter().any(|c| c.3.is_some()),
            "the real file has flags"
        );
        assert_eq!(cells(&back.batch, &dims), original);
    }

    #[test]
    fn sdmx_csv_of_a_real_dataset_reads_back_with_our_parser_to_the_same_cells_and_flags() {
        let (batch, dims) = real();
        let batches = [batch.clone()];
        let bytes = sdmx_csv(&cube(&batches, &dims)).expect("encodes");
        let text = String::from_utf8(bytes.clone()).expect("UTF-8");
        assert!(
            text.starts_with(
                "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,UNIT,HHTYP,GEO,TIME_PERIOD,OBS_VALUE,OBS_FLAG\r\n"
            ),
            "{}",
            &text[..120]
        );
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .starts_with("dataflow,ESTAT:ISOC_CI_IN_H(1.0),I,")
        );
        // RFC 4180: every line ends in CRLF.
        assert!(
            text.ends_with("\r\n") && text.matches('\n').count() == text.matches("\r\n").count()
        );
        let back = parse(
            Format::SdmxCsv,
            "isoc_ci_in_h",
            &bytes,
            &ParseOptions::default(),
        )
        .expect("our SDMX-CSV reads back");
        assert_eq!(cells(&back.batch, &dims), cells(&batch, &dims));
    }

    #[test]
    fn csv_and_json_rows_hold_every_column_and_row_with_exact_values() {
        let (batch, _) = real();
        let bytes = csv(std::slice::from_ref(&batch)).expect("encodes");
        let mut reader = ::csv::Reader::from_reader(bytes.as_slice());
        let header = reader.headers().expect("header").clone();
        assert_eq!(header.len(), batch.num_columns());
        let value_at = header
            .iter()
            .position(|h| h == "value")
            .expect("value column");
        let values = batch
            .column_by_name("value")
            .and_then(|c| c.as_any().downcast_ref::<Float64Array>().cloned())
            .expect("f64");
        let records: Vec<_> = reader.records().map(|r| r.expect("record")).collect();
        assert_eq!(records.len(), batch.num_rows());
        for (i, r) in records.iter().enumerate() {
            let got =
                (!r[value_at].is_empty()).then(|| r[value_at].parse::<f64>().expect("number"));
            assert_eq!(got, values.is_valid(i).then(|| values.value(i)), "row {i}");
        }
        let rows = json_rows(std::slice::from_ref(&batch)).expect("encodes");
        let rows = rows.as_array().expect("array");
        assert_eq!(rows.len(), batch.num_rows());
        assert_eq!(
            rows[0].as_object().expect("object").len(),
            batch.num_columns()
        );
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                row["value"].as_f64(),
                values.is_valid(i).then(|| values.value(i))
            );
        }
    }

    #[test]
    fn jsonstat_refuses_a_cube_too_large_and_two_rows_for_one_cell() {
        let (batch, dims) = real();
        let batches = [batch.clone()];
        let err = jsonstat_with_limit(&cube(&batches, &dims), 10).unwrap_err();
        assert!(
            matches!(err, EncodeError::TooLarge { limit: 10, .. }),
            "{err}"
        );
        let twice = [batch.clone(), batch];
        let err = jsonstat(&cube(&twice, &dims)).unwrap_err();
        assert!(matches!(err, EncodeError::DuplicateCell(_)), "{err}");
        let err = jsonstat(&cube(&batches, &["nope".to_owned()])).unwrap_err();
        assert!(matches!(err, EncodeError::MissingColumn(c) if c == "nope"));
    }
}
