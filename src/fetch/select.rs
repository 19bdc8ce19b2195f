//! Keeps the rows of a parsed response that a source's query asks for (geos, dimension filters, years).
//!
//! Upstreams may return more than asked (an SDMX 2.1 request without a key, a mirror that ignores query
//! parameters); selecting locally makes the stored version match the catalogue's query whatever the server did.

use std::collections::{BTreeMap, HashSet};

use arrow::array::{Array, AsArray, BooleanArray, BooleanBuilder};
use arrow::compute::{cast, filter_record_batch};
use arrow::datatypes::{DataType, Date32Type};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use chrono::Datelike;

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error(
        "the query filters on dimension \"{dimension}\" but the response has only {available:?}; \
         the dataset's structure may have changed — fix the [query] of the catalogue entry"
    )]
    UnknownDimension {
        dimension: String,
        available: Vec<String>,
    },
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

/// What to keep. Empty lists and `None` keep everything.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    pub geos: &'a [String],
    pub filters: &'a BTreeMap<String, Vec<String>>,
    pub since: Option<i32>,
    pub until: Option<i32>,
}

pub fn select(
    batch: &RecordBatch,
    dimensions: &[String],
    sel: &Selection<'_>,
) -> Result<RecordBatch, SelectError> {
    let mut mask: Option<BooleanArray> = None;
    let mut conditions: Vec<(&str, &[String])> = Vec::new();
    if !sel.geos.is_empty() {
        conditions.push(("geo", sel.geos));
    }
    for (dim, codes) in sel.filters {
        if !codes.is_empty() {
            conditions.push((dim.as_str(), codes.as_slice()));
        }
    }
    for (dim, codes) in conditions {
        if !dimensions.iter().any(|d| d == dim) {
            return Err(SelectError::UnknownDimension {
                dimension: dim.to_owned(),
                available: dimensions.to_vec(),
            });
        }
        let column = batch
            .column_by_name(dim)
            .ok_or_else(|| ArrowError::SchemaError(format!("no column {dim}")))?;
        let column = cast(column, &DataType::Utf8)?;
        let strings = column.as_string::<i32>();
        // Eurostat codes are case-insensitive in queries; compare in upper case.
        let wanted: HashSet<String> = codes.iter().map(|c| c.to_ascii_uppercase()).collect();
        let keep: BooleanArray = strings
            .iter()
            .map(|v| Some(v.is_some_and(|v| wanted.contains(&v.to_ascii_uppercase()))))
            .collect();
        mask = Some(and(mask, keep)?);
    }
    if (sel.since.is_some() || sel.until.is_some())
        && let Some(starts) = batch.column_by_name("period_start")
    {
        let starts = starts.as_primitive::<Date32Type>();
        let mut keep = BooleanBuilder::with_capacity(starts.len());
        for i in 0..starts.len() {
            let year = starts
                .value_as_date(i)
                .filter(|_| starts.is_valid(i))
                .map(|d| d.year());
            let ok = match year {
                None => true,
                Some(y) => sel.since.is_none_or(|s| y >= s) && sel.until.is_none_or(|u| y <= u),
            };
            keep.append_value(ok);
        }
        mask = Some(and(mask, keep.finish())?);
    }
    match mask {
        None => Ok(batch.clone()),
        Some(mask) => Ok(filter_record_batch(batch, &mask)?),
    }
}

fn and(acc: Option<BooleanArray>, next: BooleanArray) -> Result<BooleanArray, ArrowError> {
    match acc {
        None => Ok(next),
        Some(acc) => arrow::compute::and(&acc, &next),
    }
}
