//! The canonical long observation schema, defined once: the fixed columns every stored dataset
//! version has, how a dimension's label column is named, and where a version says which of its
//! columns are dimensions. The parsers lay their batches out by it (`fetch::parse`), the engine
//! filters and reads by it (`indicators`), the API encodes by it (`api::routes::datasets`).
//!
//! Column order: `dataset`, one `Utf8` column per dimension (the time dimension excluded),
//! `period`, `period_start`, `period_freq`, `value`, `value_text`, `flags`, `conf_status`, one
//! [`label_column`] per dimension, then the format's attribute columns. Must not know any upstream
//! format, and holds no data.

/// The dataset id of every row.
pub const DATASET: &str = "dataset";
/// The period as published (`2023`, `2023-Q1`, …).
pub const PERIOD: &str = "period";
/// The first day of the period (`Date32`).
pub const PERIOD_START: &str = "period_start";
/// The period's frequency (`A`, `S`, `Q`, `M`, `W`, `D`).
pub const PERIOD_FREQ: &str = "period_freq";
/// The value (`Float64`, null when missing).
pub const VALUE: &str = "value";
/// The raw value when it was not a number.
pub const VALUE_TEXT: &str = "value_text";
/// The observation status, kept whole (`"bu"` stays `"bu"`).
pub const FLAGS: &str = "flags";
/// The confidentiality status (`C`, `N`, `P`, …).
pub const CONF_STATUS: &str = "conf_status";

/// The fixed columns, in order; a dimension with one of these names is renamed `dim_…`.
pub const FIXED_COLUMNS: [&str; 8] = [
    DATASET,
    PERIOD,
    PERIOD_START,
    PERIOD_FREQ,
    VALUE,
    VALUE_TEXT,
    FLAGS,
    CONF_STATUS,
];

/// The place dimension: every dataset the engine reads has it, and the engine selects on it
/// itself (a filter may not name it).
pub const GEO: &str = "geo";

/// Schema metadata key holding the comma-joined dimension columns (the store records the same
/// list with each version: `Meta::dimensions`).
pub const DIMENSIONS_METADATA_KEY: &str = "desi_city.dimensions";

/// The column holding a dimension's labels (null where the response carried none).
pub fn label_column(dimension: &str) -> String {
    format!("{dimension}_label")
}

/// The dimensions a filter may select on: every dimension but [`GEO`] (the time dimension is
/// never one: it is [`PERIOD`]).
pub fn filterable<'a>(dimensions: &'a [String]) -> impl Iterator<Item = &'a String> + 'a {
    dimensions.iter().filter(|d| *d != GEO)
}
