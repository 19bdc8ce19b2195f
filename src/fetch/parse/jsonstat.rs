//! JSON-stat 2.0 dataset responses (Eurostat's Statistics API, json-stat.org samples) → the
//! canonical long table. `id` and `size` are read from the response, never assumed; `value` and
//! `status` are streamed straight into vectors (sparse objects keyed by flat index, or dense
//! arrays) without building a `serde_json::Value` for them. Refuses collections and pre-2.0
//! bundles by name. Must not fetch the items a collection links to, nor read anything but the
//! bytes it is given.

use std::collections::HashMap;
use std::fmt;

use arrow::array::{StringArray, UInt32Array};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::builder::{self, Collected, DimColumn, ObsBuilder, PeriodColumn};
use super::{Format, ParseError, Parsed};

/// Names a time dimension goes by when the response has no `role.time`.
const TIME_NAMES: [&str; 3] = ["time", "time_period", "year"];

pub(super) fn parse(dataset: &str, bytes: &[u8]) -> Result<Parsed, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let doc = Doc::deserialize(&mut de)
        .and_then(|doc| de.end().map(|()| doc))
        .map_err(json_error)?;
    doc.into_parsed(dataset)
}

/// Valid JSON of the wrong shape (a boolean value, a non-numeric cell key…) is `Malformed`;
/// broken or cut-short JSON stays `Json`.
fn json_error(e: serde_json::Error) -> ParseError {
    if e.classify() == serde_json::error::Category::Data {
        ParseError::Malformed {
            format: Format::JsonStat,
            line: Some(e.line()),
            reason: e.to_string(),
        }
    } else {
        ParseError::Json(e)
    }
}

fn malformed(reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format: Format::JsonStat,
        line: None,
        reason: reason.into(),
    }
}

/// One published value: a number, a string (`":C"`, `"KG"`), or `null`.
enum Cell {
    Num(f64),
    Text(Box<str>),
    Null,
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cell;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a string or null")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cell, E> {
                Ok(Cell::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cell, E> {
                Ok(Cell::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cell, E> {
                Ok(Cell::Num(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Cell, E> {
                Ok(Cell::Text(v.into()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
                Ok(Cell::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Cell, E> {
                Ok(Cell::Null)
            }
        }
        d.deserialize_any(V)
    }
}

/// A key of a sparse `value` or `status` object: a cell's flat index written as a string.
struct CellIndex(u64);

impl<'de> Deserialize<'de> for CellIndex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CellIndex;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a cell index (a whole number written as a string)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CellIndex, E> {
                v.parse()
                    .map(CellIndex)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(V)
    }
}

/// `value` as published: a dense array (one entry per cell) or a sparse object keyed by flat index.
enum Values {
    Dense(Vec<Cell>),
    Sparse(Vec<(u64, Cell)>),
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of values or an object keyed by cell index")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(c) = seq.next_element::<Cell>()? {
                    out.push(c);
                }
                Ok(Values::Dense(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Values, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(CellIndex(k)) = map.next_key::<CellIndex>()? {
                    out.push((k, map.next_value::<Cell>()?));
                }
                Ok(Values::Sparse(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Distinct status strings, each stored once; entries refer to them by number.
#[derive(Default)]
struct StatusDict {
    index: HashMap<Box<str>, u32>,
    strings: Vec<Box<str>>,
}

impl StatusDict {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.index.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.index.insert(s.into(), id);
        self.strings.push(s.into());
        id
    }
}

/// `status` as published: one string for all, a dense array, a sparse object — or, in an error
/// body, a number.
enum Statuses {
    All(u32),
    Dense(Vec<Option<u32>>),
    Sparse(Vec<(u64, u32)>),
    Number(i64),
}

struct StatusSeed<'a>(&'a mut StatusDict);

/// One status entry: a string (interned) or null.
struct StatusCell<'a>(&'a mut StatusDict);

impl<'de> DeserializeSeed<'de> for StatusCell<'_> {
    type Value = Option<u32>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<u32>, D::Error> {
        struct V<'a>(&'a mut StatusDict);
        impl<'de> Visitor<'de> for V<'_> {
            type Value = Option<u32>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status string or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<u32>, E> {
                Ok(Some(self.0.id(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<u32>, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Option<u32>, E> {
                Ok(None)
            }
        }
        d.deserialize_any(V(self.0))
    }
}

impl<'de> DeserializeSeed<'de> for StatusSeed<'_> {
    type Value = Statuses;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Statuses, D::Error> {
        struct V<'a>(&'a mut StatusDict);
        impl<'de> Visitor<'de> for V<'_> {
            type Value = Statuses;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a status string, an array of statuses or an object keyed by cell index",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Statuses, E> {
                Ok(Statuses::All(self.0.id(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Statuses, E> {
                Ok(Statuses::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Statuses, E> {
                Ok(Statuses::Number(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Statuses, E> {
                Ok(Statuses::Sparse(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Statuses, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(s) = seq.next_element_seed(StatusCell(&mut *self.0))? {
                    out.push(s);
                }
                Ok(Statuses::Dense(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Statuses, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(CellIndex(k)) = map.next_key::<CellIndex>()? {
                    if let Some(s) = map.next_value_seed(StatusCell(&mut *self.0))? {
                        out.push((k, s));
                    }
                }
                Ok(Statuses::Sparse(out))
            }
        }
        d.deserialize_any(V(self.0))
    }
}

/// The top-level object, with `value` and `status` streamed and the small parts kept as JSON.
#[derive(Default)]
struct Doc {
    version: Option<Value>,
    class: Option<Value>,
    label: Option<Value>,
    updated: Option<Value>,
    id: Option<Value>,
    size: Option<Value>,
    role: Option<Value>,
    dimension: Option<Value>,
    value: Option<Values>,
    status: Option<Statuses>,
    status_dict: StatusDict,
    error: Option<Value>,
    link: Option<Value>,
    /// Other top-level keys, and whether each holds something shaped like a dataset (a bundle).
    others: Vec<(String, bool)>,
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Doc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON-stat document (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
                let mut doc = Doc::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "version" => doc.version = Some(map.next_value()?),
                        "class" => doc.class = Some(map.next_value()?),
                        "label" => doc.label = Some(map.next_value()?),
                        "updated" => doc.updated = Some(map.next_value()?),
                        "id" => doc.id = Some(map.next_value()?),
                        "size" => doc.size = Some(map.next_value()?),
                        "role" => doc.role = Some(map.next_value()?),
                        "dimension" => doc.dimension = Some(map.next_value()?),
                        "value" => doc.value = Some(map.next_value()?),
                        "status" => {
                            doc.status =
                                Some(map.next_value_seed(StatusSeed(&mut doc.status_dict))?)
                        }
                        "error" => doc.error = Some(map.next_value()?),
                        "link" => doc.link = Some(map.next_value()?),
                        _ => {
                            let v: Value = map.next_value()?;
                            let dataset_like = v.get("dimension").is_some();
                            doc.others.push((key, dataset_like));
                        }
                    }
                }
                Ok(doc)
            }
        }
        d.deserialize_map(V)
    }
}

fn as_str(v: &Option<Value>) -> Option<&str> {
    v.as_ref().and_then(Value::as_str)
}

/// One dimension as the response describes it.
struct Dim {
    id: String,
    codes: Vec<String>,
    labels: Vec<Option<String>>,
    any_label: bool,
}

impl Doc {
    fn into_parsed(self, dataset: &str) -> Result<Parsed, ParseError> {
        if let Some(err) = &self.error {
            return Err(super::upstream_from_error_value(err).unwrap_or_else(|| {
                malformed("the response is an error body the parser does not recognise")
            }));
        }
        if let (Some(Statuses::Number(status)), Some(label)) = (&self.status, as_str(&self.label))
            && self.dimension.is_none()
        {
            return Err(ParseError::Upstream {
                status: u16::try_from(*status).ok(),
                id: self.id.as_ref().and_then(Value::as_i64),
                label: label.to_owned(),
            });
        }
        match as_str(&self.class) {
            Some("collection") => {
                let links = self
                    .link
                    .as_ref()
                    .and_then(|l| l.get("item"))
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                return Err(ParseError::Collection {
                    label: as_str(&self.label).unwrap_or_default().to_owned(),
                    links,
                });
            }
            Some("dimension") => {
                return Err(malformed(
                    "the response is a JSON-stat dimension (class \"dimension\"), not a dataset",
                ));
            }
            _ => {}
        }
        if self.version.is_none() && self.id.is_none() && self.dimension.is_none() {
            let datasets: Vec<String> = self
                .others
                .iter()
                .filter(|(_, looks)| *looks)
                .map(|(k, _)| k.clone())
                .collect();
            if !datasets.is_empty() {
                return Err(ParseError::Bundle { datasets });
            }
            return Err(malformed(
                "the document has no `id`, `size` or `dimension`: it is not a JSON-stat dataset",
            ));
        }
        self.into_table(dataset)
    }

    fn dims(&self) -> Result<(Vec<Dim>, Vec<u64>), ParseError> {
        let ids = self
            .id
            .as_ref()
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("`id` is missing or not an array of dimension names"))?;
        let sizes = self
            .size
            .as_ref()
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("`size` is missing or not an array of dimension sizes"))?;
        if ids.len() != sizes.len() {
            return Err(malformed(format!(
                "`id` names {} dimensions but `size` gives {} sizes",
                ids.len(),
                sizes.len()
            )));
        }
        let dimension = self
            .dimension
            .as_ref()
            .and_then(Value::as_object)
            .ok_or_else(|| malformed("`dimension` is missing or not an object"))?;
        let mut dims = Vec::with_capacity(ids.len());
        let mut out_sizes = Vec::with_capacity(ids.len());
        for (id, size) in ids.iter().zip(sizes) {
            let id = id
                .as_str()
                .ok_or_else(|| malformed("`id` holds something other than a dimension name"))?;
            let size = size
                .as_u64()
                .ok_or_else(|| malformed(format!("the size of dimension `{id}` is not a count")))?;
            let dim = dimension.get(id).ok_or_else(|| {
                malformed(format!(
                    "dimension `{id}` is listed in `id` but not described in `dimension`"
                ))
            })?;
            dims.push(read_dim(id, size, dim)?);
            out_sizes.push(size);
        }
        Ok((dims, out_sizes))
    }

    fn time_dim(&self, dims: &[Dim]) -> Option<usize> {
        let from_role = self
            .role
            .as_ref()
            .and_then(|r| r.get("time"))
            .and_then(Value::as_array)
            .and_then(|t| t.iter().filter_map(Value::as_str).next())
            .and_then(|t| dims.iter().position(|d| d.id == t));
        from_role.or_else(|| {
            dims.iter()
                .position(|d| TIME_NAMES.iter().any(|n| d.id.eq_ignore_ascii_case(n)))
        })
    }

    fn into_table(mut self, dataset: &str) -> Result<Parsed, ParseError> {
        let (dims, sizes) = self.dims()?;
        let time = self.time_dim(&dims);
        let mut total: u64 = 1;
        for s in &sizes {
            total = total
                .checked_mul(*s)
                .ok_or_else(|| malformed("the dimension sizes multiply beyond 2^64 cells"))?;
        }

        // Values, sorted by flat index, nulls dropped.
        let mut values: Vec<(u64, Cell)> = match self.value.take() {
            None => Vec::new(),
            Some(Values::Sparse(v)) => v,
            Some(Values::Dense(v)) => {
                if v.len() as u64 != total {
                    return Err(malformed(format!(
                        "`value` has {} entries but the dimension sizes give {total} cells",
                        v.len()
                    )));
                }
                v.into_iter()
                    .enumerate()
                    .map(|(i, c)| (i as u64, c))
                    .collect()
            }
        };
        values.retain(|(_, c)| !matches!(c, Cell::Null));
        sort_keep_last(&mut values);

        // Statuses: per cell, or one for all observations.
        let mut global_status = None;
        let mut statuses: Vec<(u64, u32)> = match self.status.take() {
            None | Some(Statuses::Number(_)) => Vec::new(),
            Some(Statuses::All(s)) => {
                global_status = Some(s);
                Vec::new()
            }
            Some(Statuses::Sparse(v)) => v,
            Some(Statuses::Dense(v)) => {
                if v.len() == 1 && total != 1 {
                    global_status = v.first().copied().flatten();
                    Vec::new()
                } else if v.len() as u64 == total {
                    v.into_iter()
                        .enumerate()
                        .filter_map(|(i, s)| s.map(|s| (i as u64, s)))
                        .collect()
                } else {
                    return Err(malformed(format!(
                        "`status` has {} entries but the dimension sizes give {total} cells",
                        v.len()
                    )));
                }
            }
        };
        sort_keep_last(&mut statuses);

        let status_parts: Vec<(Option<&str>, Option<&str>)> = self
            .status_dict
            .strings
            .iter()
            .map(|s| builder::split_status(s))
            .collect();

        // Merge values and statuses into rows.
        let rows_hint = values.len().max(statuses.len());
        let k = dims.len();
        let mut coord = vec![0u32; k];
        let mut keys: Vec<Vec<u32>> = (0..k).map(|_| Vec::with_capacity(rows_hint)).collect();
        let mut obs = ObsBuilder::with_capacity(rows_hint);
        let mut prev_q = u64::MAX;
        let (mut vi, mut si) = (0usize, 0usize);
        loop {
            let vnext = values.get(vi).map(|v| v.0);
            let snext = statuses.get(si).map(|s| s.0);
            let idx = match (vnext, snext) {
                (None, None) => break,
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (Some(a), Some(b)) => a.min(b),
            };
            let cell = if vnext == Some(idx) {
                vi += 1;
                values.get(vi - 1).map(|v| &v.1)
            } else {
                None
            };
            let status = if snext == Some(idx) {
                si += 1;
                statuses.get(si - 1).map(|s| s.1)
            } else if cell.is_some() {
                global_status
            } else {
                None
            };
            if idx >= total {
                return Err(malformed(format!(
                    "cell index {idx} is outside the {total} cells the dimension sizes give"
                )));
            }
            if k > 0 {
                let last = k - 1;
                let s_last = sizes[last];
                coord[last] = (idx % s_last) as u32;
                let q = idx / s_last;
                if q != prev_q {
                    let mut rem = q;
                    for d in (0..last).rev() {
                        coord[d] = (rem % sizes[d]) as u32;
                        rem /= sizes[d];
                    }
                    prev_q = q;
                }
            }
            for (d, key) in keys.iter_mut().enumerate() {
                key.push(coord[d]);
            }
            let (flags, mut conf) = status
                .and_then(|s| status_parts.get(s as usize).copied())
                .unwrap_or((None, None));
            match cell {
                Some(Cell::Num(v)) => obs.push(Some(*v), None, flags, conf),
                Some(Cell::Text(t)) => {
                    let trimmed = t.trim();
                    match trimmed.parse::<f64>() {
                        Ok(v) if v.is_finite() => obs.push(Some(v), None, flags, conf),
                        _ => {
                            if conf.is_none() {
                                conf = conf_from_text(trimmed);
                            }
                            obs.push(None, Some(&**t), flags, conf)
                        }
                    }
                }
                Some(Cell::Null) | None => obs.push(None, None, flags, conf),
            }
        }

        let names: Vec<String> = dims
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != time)
            .map(|(_, d)| d.id.clone())
            .collect();
        let (dimensions, _) = builder::column_names(&names, &[]);
        let mut dim_columns = Vec::with_capacity(k);
        let mut period = None;
        for (i, (dim, key)) in dims.into_iter().zip(keys).enumerate() {
            let keys = UInt32Array::from(key);
            let codes = StringArray::from_iter_values(dim.codes.iter());
            if Some(i) == time {
                period = Some(PeriodColumn { codes, keys });
            } else {
                let labels = dim
                    .any_label
                    .then(|| dim.labels.iter().map(Option::as_deref).collect());
                dim_columns.push(DimColumn {
                    codes,
                    labels,
                    keys,
                });
            }
        }
        let batch = builder::assemble(Collected {
            dataset: dataset.to_owned(),
            dimensions: dimensions.clone(),
            attribute_names: Vec::new(),
            dims: dim_columns,
            period,
            obs,
            attributes: Vec::new(),
        })?;
        Ok(Parsed {
            batch,
            dimensions,
            updated: as_str(&self.updated).map(str::to_owned),
            title: as_str(&self.label).map(str::to_owned),
        })
    }
}

/// Eurostat publishes a confidential cell's value as `":C"`: the letters after `:` are its
/// confidentiality status.
fn conf_from_text(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(':')?.trim();
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_uppercase())).then_some(rest)
}

/// Sorts by flat index; where an index appears twice the later entry wins (as in a JSON object).
fn sort_keep_last<T>(v: &mut Vec<(u64, T)>) {
    if !v.is_sorted_by_key(|e| e.0) {
        v.sort_by_key(|e| e.0);
    }
    v.dedup_by(|later, kept| {
        if later.0 == kept.0 {
            std::mem::swap(later, kept);
            true
        } else {
            false
        }
    });
}

/// Reads one dimension's categories: `index` as an object (code → position) or an array of
/// codes; without `index`, the keys of `label` in order (allowed for single-category dimensions).
fn read_dim(id: &str, size: u64, dim: &Value) -> Result<Dim, ParseError> {
    let category = dim
        .get("category")
        .ok_or_else(|| malformed(format!("dimension `{id}` has no `category`")))?;
    let label_map = category.get("label").and_then(Value::as_object);
    let size_usize =
        usize::try_from(size).map_err(|_| malformed(format!("dimension `{id}` is too large")))?;
    let codes: Vec<String> = match category.get("index") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|c| {
                c.as_str().map(str::to_owned).ok_or_else(|| {
                    malformed(format!(
                        "dimension `{id}` has a category code that is not a string"
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Object(o)) => {
            if o.len() != size_usize {
                return Err(malformed(format!(
                    "dimension `{id}` has {} categories but its size is {size}",
                    o.len()
                )));
            }
            let mut slots: Vec<Option<String>> = vec![None; size_usize];
            for (code, pos) in o {
                let pos = pos
                    .as_u64()
                    .and_then(|p| usize::try_from(p).ok())
                    .filter(|p| *p < size_usize)
                    .ok_or_else(|| {
                        malformed(format!(
                            "dimension `{id}`: category `{code}` has a position outside 0..{size}"
                        ))
                    })?;
                match slots.get_mut(pos) {
                    Some(slot @ None) => *slot = Some(code.clone()),
                    _ => {
                        return Err(malformed(format!(
                            "dimension `{id}`: two categories share position {pos}"
                        )));
                    }
                }
            }
            slots.into_iter().map(Option::unwrap_or_default).collect()
        }
        Some(_) => {
            return Err(malformed(format!(
                "dimension `{id}`: `category.index` is neither an object nor an array"
            )));
        }
        None => match label_map {
            Some(labels) => labels.keys().cloned().collect(),
            None => {
                return Err(malformed(format!(
                    "dimension `{id}` has neither `category.index` nor `category.label`"
                )));
            }
        },
    };
    if codes.len() != size_usize {
        return Err(malformed(format!(
            "dimension `{id}` has {} categories but its size is {size}",
            codes.len()
        )));
    }
    let labels: Vec<Option<String>> = codes
        .iter()
        .map(|c| {
            label_map
                .and_then(|m| m.get(c))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    let any_label = labels.iter().any(Option::is_some);
    Ok(Dim {
        id: id.to_owned(),
        codes,
        labels,
        any_label,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{col, files, opt, read, values};
    use super::super::{ParseOptions, parse as parse_any};
    use super::*;
    use arrow::array::{Array, Date32Array};
    use arrow::datatypes::DataType;
    use arrow::record_batch::RecordBatch;

    fn find(b: &RecordBatch, want: &[(&str, &str)]) -> Option<usize> {
        (0..b.num_rows()).find(|&i| want.iter().all(|(c, v)| opt(col(b, c), i) == Some(*v)))
    }

    fn parse_file(rel: &str) -> Result<Parsed, ParseError> {
        parse_any(Format::JsonStat, "ds", &read(rel), &ParseOptions::default())
    }

    fn ok(rel: &str) -> Parsed {
        parse_file(rel).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// What each shared JSON-stat file must give: its dimension columns and row count (counted
    /// with python3: cells with a non-null value or a status).
    fn expected(rel: &str) -> Option<(&'static [&'static str], usize)> {
        Some(match rel.rsplit('/').next()? {
            "demo_gind.json" => (&["freq", "indic_de", "geo"], 73),
            "hlth_ehis_hc7.json" => (&["freq", "age", "sex", "icd10", "isced97", "geo"], 7027),
            "isoc_ci_in_h.json" => (&["freq", "unit", "hhtyp", "geo"], 853),
            "nama_10_gdp_future_period_empty.json" => (&["freq", "unit", "na_item", "geo"], 0),
            "prodcom_ds_059358_string_values.json" => {
                (&["freq", "reporter", "product", "indicators"], 58)
            }
            "sts_inpr_m_ie_all_confidential.json" => {
                (&["freq", "indic_bt", "nace_r2", "s_adj", "unit", "geo"], 6)
            }
            "une_rt_m_last3_positions_with_no_data.json" => {
                (&["freq", "s_adj", "age", "unit", "sex", "geo"], 2)
            }
            "une_rt_m_unknown_geo_empty.json" => {
                (&["freq", "s_adj", "age", "unit", "sex", "geo"], 0)
            }
            "yth_demo_070_empty_dimension.json" => (
                &["freq", "agedef", "c_birth", "unit", "sex", "age", "geo"],
                0,
            ),
            "canada.json" => (&["country", "age", "concept", "sex"], 120),
            "galicia.json" => (&["birth", "age", "gender", "residence", "concept"], 3956),
            "hierarchy.json" => (&["commodity"], 0),
            "oecd.json" => (&["concept", "area"], 432),
            "order.json" => (&["a", "b", "c"], 24),
            "us-gsp.json" => (&["state", "concept"], 204),
            "us-unr.json" => (&["county", "labor"], 3220),
            _ => return None,
        })
    }

    #[test]
    fn every_shared_json_stat_file_parses_or_is_refused_by_name() {
        let mut all = files("eurostat/jsonstat", ".json");
        all.extend(files("jsonstat-samples", ".json"));
        assert_eq!(all.len(), 18);
        for rel in all {
            let result = parse_file(&rel);
            match rel.rsplit('/').next().unwrap_or_default() {
                "collection.json" => match result {
                    Err(ParseError::Collection { label, links }) => {
                        assert_eq!(label, "JSON-stat Dataset Sample Collection");
                        assert_eq!(links, 8);
                    }
                    other => panic!("{rel}: expected Collection, got {other:?}"),
                },
                "oecd-canada.json" => match result {
                    Err(e @ ParseError::Bundle { .. }) => {
                        let ParseError::Bundle { datasets } = &e else {
                            unreachable!()
                        };
                        assert_eq!(datasets, &["oecd", "canada"]);
                        assert!(e.to_string().contains("JSON-stat 2.0"), "{e}");
                    }
                    other => panic!("{rel}: expected Bundle, got {other:?}"),
                },
                _ => {
                    let (dims, rows) =
                        expected(&rel).unwrap_or_else(|| panic!("no expectation for {rel}"));
                    let p = result.unwrap_or_else(|e| panic!("{rel}: {e}"));
                    assert_eq!(p.dimensions, dims, "{rel}");
                    assert_eq!(p.batch.num_rows(), rows, "{rel}");
                    assert_eq!(
                        p.batch.schema(),
                        builder::canonical_schema(&p.dimensions, &[]),
                        "{rel}"
                    );
                }
            }
        }
    }

    #[test]
    fn belgium_and_the_eu_have_their_internet_access_values_and_flags() {
        let p = ok("eurostat/jsonstat/isoc_ci_in_h.json");
        let b = &p.batch;
        assert_eq!(p.updated.as_deref(), Some("2026-06-25T23:00:00+0200"));
        assert_eq!(
            p.title.as_deref(),
            Some("Households - level of internet access")
        );
        // (geo, year, value, flags) as the file publishes them (looked up with python3).
        let expect: [(&str, &str, Option<f64>, Option<&str>); 10] = [
            ("BE", "2005", Some(50.16), None),
            ("BE", "2010", Some(72.74), None),
            ("BE", "2019", Some(89.73), None),
            ("BE", "2025", Some(94.68), None),
            ("EU27_2020", "2007", Some(52.99), None),
            ("EU27_2020", "2020", Some(91.3), Some("e")),
            ("EU27_2020", "2021", Some(92.3), Some("b")),
            ("EU27_2020", "2025", Some(94.76), None),
            ("CH", "2017", Some(93.06), Some("b")),
            ("IE", "2022", None, Some("u")),
        ];
        for (geo, year, value, flags) in expect {
            let i = find(b, &[("geo", geo), ("period", year)])
                .unwrap_or_else(|| panic!("no row for {geo} {year}"));
            assert_eq!(
                (!values(b).is_null(i)).then(|| values(b).value(i)),
                value,
                "{geo} {year}"
            );
            assert_eq!(opt(col(b, "flags"), i), flags, "{geo} {year}");
            assert!(col(b, "conf_status").is_null(i));
            assert_eq!(opt(col(b, "period_freq"), i), Some("A"));
            assert_eq!(col(b, "unit").value(i), "PC_HH");
            assert!(
                col(b, "unit_label").is_null(i),
                "the file has no unit labels"
            );
        }
        let be = find(b, &[("geo", "BE"), ("period", "2005")]).unwrap_or_default();
        assert_eq!(opt(col(b, "geo_label"), be), Some("Belgium"));
        assert_eq!(col(b, "dataset").value(be), "ds");
        let starts = b
            .column_by_name("period_start")
            .and_then(|c| c.as_any().downcast_ref::<Date32Array>())
            .unwrap();
        assert_eq!(starts.value(be), 12_784); // 2005-01-01
        // Years without data give no row.
        assert_eq!(find(b, &[("geo", "BE"), ("period", "2004")]), None);
        // Rows come in cell order: the EU aggregate first.
        assert_eq!(col(b, "geo").value(0), "EU27_2020");
    }

    #[test]
    fn a_confidential_status_without_a_value_gives_conf_c() {
        let p = ok("eurostat/jsonstat/hlth_ehis_hc7.json");
        let b = &p.batch;
        // Cell 659: DE, TOTAL, F, E10-E14, ED0-2, 2008 has status "|C" and no value.
        let want = [
            ("geo", "DE"),
            ("age", "TOTAL"),
            ("sex", "F"),
            ("icd10", "E10-E14"),
            ("isced97", "ED0-2"),
            ("period", "2008"),
        ];
        let i = find(b, &want).expect("the |C cell");
        assert!(values(b).is_null(i));
        assert!(col(b, "flags").is_null(i));
        assert_eq!(opt(col(b, "conf_status"), i), Some("C"));
        let confidential = (0..b.num_rows())
            .filter(|&i| opt(col(b, "conf_status"), i) == Some("C"))
            .count();
        assert_eq!(confidential, 490);
        // The same cell for Belgium has a value.
        let be = find(
            b,
            &[
                ("geo", "BE"),
                ("age", "TOTAL"),
                ("sex", "F"),
                ("icd10", "E10-E14"),
                ("isced97", "ED0-2"),
            ],
        )
        .expect("BE cell");
        assert_eq!(values(b).value(be), 7.5);
        assert_eq!(opt(col(b, "geo_label"), be), Some("Belgium"));
        assert_eq!(opt(col(b, "sex_label"), be), Some("Females"));
        // A `u` flag on a value.
        let el = find(
            b,
            &[
                ("geo", "EL"),
                ("age", "Y15-24"),
                ("sex", "F"),
                ("icd10", "E10-E14"),
                ("isced97", "ED5_6"),
            ],
        )
        .expect("EL cell");
        assert_eq!(values(b).value(el), 0.6);
        assert_eq!(opt(col(b, "flags"), el), Some("u"));
    }

    #[test]
    fn combined_flags_stay_whole() {
        let p = ok("eurostat/jsonstat/demo_gind.json");
        let b = &p.batch;
        let eu = find(b, &[("geo", "EU27_2020"), ("indic_de", "JAN")]).expect("EU JAN");
        assert_eq!(values(b).value(eu), 449_206_579.0);
        assert_eq!(opt(col(b, "flags"), eu), Some("ep"));
        let be = find(b, &[("geo", "BE"), ("indic_de", "JAN")]).expect("BE JAN");
        assert_eq!(values(b).value(be), 11_832_049.0);
        assert_eq!(opt(col(b, "flags"), be), Some("p"));
        assert_eq!(opt(col(b, "period"), be), Some("2024"));
    }

    #[test]
    fn prodcom_strings_are_kept_as_text_and_c_marks_confidentiality() {
        let p = ok("eurostat/jsonstat/prodcom_ds_059358_string_values.json");
        let b = &p.batch;
        let c = find(b, &[("product", "20143420"), ("indicators", "PVALFLAG")]).expect(":C cell");
        assert!(values(b).is_null(c));
        assert_eq!(opt(col(b, "value_text"), c), Some(":C"));
        assert_eq!(opt(col(b, "conf_status"), c), Some("C"));
        let kg = find(b, &[("product", "20143420"), ("indicators", "QNTUNIT")]).expect("KG cell");
        assert!(values(b).is_null(kg));
        assert_eq!(opt(col(b, "value_text"), kg), Some("KG"));
        assert!(col(b, "conf_status").is_null(kg));
        let n = find(b, &[("product", "20143430"), ("indicators", "EXPQNT")]).expect("number");
        assert_eq!(values(b).value(n), 23_097_098.0);
        assert!(col(b, "value_text").is_null(n));
        let texts = col(b, "value_text");
        assert_eq!(b.num_rows() - texts.null_count(), 33);
        let confidential = (0..b.num_rows())
            .filter(|&i| opt(col(b, "conf_status"), i) == Some("C"))
            .count();
        assert_eq!(confidential, 27);
    }

    #[test]
    fn an_all_confidential_response_has_only_c_rows_without_values() {
        let p = ok("eurostat/jsonstat/sts_inpr_m_ie_all_confidential.json");
        let b = &p.batch;
        assert_eq!(b.num_rows(), 6);
        assert_eq!(values(b).null_count(), 6);
        for i in 0..6 {
            assert_eq!(opt(col(b, "conf_status"), i), Some("C"));
            assert_eq!(opt(col(b, "period_freq"), i), Some("M"));
        }
        assert_eq!(col(b, "period").value(0), "2023-01");
    }

    #[test]
    fn empty_dimensions_give_no_rows_but_keep_the_schema() {
        for rel in [
            "eurostat/jsonstat/une_rt_m_unknown_geo_empty.json",
            "eurostat/jsonstat/nama_10_gdp_future_period_empty.json",
            "eurostat/jsonstat/yth_demo_070_empty_dimension.json",
        ] {
            let p = ok(rel);
            assert_eq!(p.batch.num_rows(), 0, "{rel}");
            assert!(p.dimensions.contains(&"geo".to_owned()));
            let schema = p.batch.schema();
            assert_eq!(
                schema
                    .field_with_name("value")
                    .map(|f| f.data_type().clone())
                    .ok(),
                Some(DataType::Float64)
            );
            assert!(schema.field_with_name("geo_label").is_ok());
        }
    }

    #[test]
    fn a_newest_period_listed_as_without_data_has_no_row() {
        let p = ok("eurostat/jsonstat/une_rt_m_last3_positions_with_no_data.json");
        let b = &p.batch;
        let periods: Vec<&str> = (0..b.num_rows())
            .map(|i| col(b, "period").value(i))
            .collect();
        assert_eq!(periods, ["2026-06", "2026-07"]);
        assert_eq!(values(b).value(1), 4.0);
    }

    #[test]
    fn dense_samples_read_labels_roles_and_single_category_dimensions() {
        let canada = ok("jsonstat-samples/canada.json");
        let b = &canada.batch;
        // Cell 5: CA, 2012, T, PERCENT, F = 100; the single status "a" applies to every value.
        assert_eq!(col(b, "country").value(5), "CA");
        assert_eq!(col(b, "country_label").value(5), "Canada");
        assert_eq!(col(b, "concept").value(5), "PERCENT");
        assert_eq!(col(b, "sex").value(5), "F");
        assert_eq!(col(b, "period").value(5), "2012");
        assert_eq!(values(b).value(5), 100.0);
        assert_eq!(col(b, "flags").null_count(), 0);
        assert_eq!(col(b, "flags").value(5), "a");

        let oecd = ok("jsonstat-samples/oecd.json");
        let b = &oecd.batch;
        assert_eq!(col(b, "area").value(10), "AU");
        assert_eq!(col(b, "area_label").value(10), "Australia");
        assert_eq!(col(b, "period").value(10), "2013");
        assert_eq!(values(b).value(10), 5.50415003);
        assert_eq!(col(b, "flags").value(10), "e");

        // Galicia: `time` sits in the middle and two dimensions have the geo role.
        let galicia = ok("jsonstat-samples/galicia.json");
        let b = &galicia.batch;
        assert_eq!(col(b, "period").value(0), "2001");
        assert_eq!(values(b).value(0), 2_695_880.0);
        assert_eq!(col(b, "concept_label").value(0), "population");

        let us = ok("jsonstat-samples/us-unr.json");
        assert_eq!(col(&us.batch, "county").value(5), "01011");
        assert_eq!(values(&us.batch).value(5), 13.4);
        assert_eq!(col(&us.batch, "period").value(5), "2012");
    }

    #[test]
    fn the_order_sample_reads_row_major_with_the_last_dimension_fastest() {
        let p = ok("jsonstat-samples/order.json");
        let b = &p.batch;
        let texts = col(b, "value_text");
        // The sample itself has a typo at cell 11 ("A1B1C4" where "A2B1C4" belongs).
        assert_eq!(texts.value(11), "A1B1C4");
        for i in (0..24).filter(|i| *i != 11) {
            let expect = format!(
                "A{}B{}C{}",
                col(b, "a").value(i),
                col(b, "b").value(i),
                col(b, "c").value(i)
            );
            assert_eq!(texts.value(i), expect);
        }
        assert!(
            col(b, "period").is_null(0),
            "order.json has no time dimension"
        );
        assert_eq!(texts.value(1), "A1B1C2");
    }

    #[test]
    fn a_json_stat_file_cut_in_half_is_an_error_not_a_panic() {
        for rel in [
            "eurostat/jsonstat/isoc_ci_in_h.json",
            "eurostat/jsonstat/hlth_ehis_hc7.json",
        ] {
            let full = read(rel);
            let half = &full[..full.len() / 2];
            assert!(matches!(
                parse_any(Format::JsonStat, "x", half, &ParseOptions::default()),
                Err(ParseError::Json(_))
            ));
            for cut in (1..full.len()).step_by(997) {
                let _ = parse_any(
                    Format::JsonStat,
                    "x",
                    &full[..cut],
                    &ParseOptions::default(),
                );
            }
        }
    }

    #[test]
    fn inconsistent_documents_are_malformed_not_panics() {
        let cases = [
            r#"{"version":"2.0","class":"dataset","id":["a"],"size":[2],"dimension":{"a":{"category":{"index":["x","y"]}}},"value":{"5":1}}"#,
            r#"{"version":"2.0","class":"dataset","id":["a"],"size":[2],"dimension":{"a":{"category":{"index":["x"]}}},"value":[1,2]}"#,
            r#"{"version":"2.0","class":"dataset","id":["a"],"size":[2],"dimension":{"a":{"category":{"index":{"x":0,"y":0}}}},"value":[1,2]}"#,
            r#"{"version":"2.0","class":"dataset","id":["a","b"],"size":[2],"dimension":{},"value":[]}"#,
            r#"{"version":"2.0","class":"dataset","id":["a"],"size":[2],"dimension":{"a":{"category":{"index":["x","y"]}}},"value":[1]}"#,
            r#"{"version":"2.0","class":"dataset","id":["a"],"size":[3],"dimension":{"a":{"category":{"index":["x","y","z"]}}},"value":[1,2,3],"status":["a","b"]}"#,
            r#"{"version":"2.0","class":"dimension","label":"geo"}"#,
            r#"{"version":"2.0","class":"dataset","id":["a"],"size":[-1],"dimension":{"a":{}},"value":[]}"#,
        ];
        for c in cases {
            match parse_any(
                Format::JsonStat,
                "x",
                c.as_bytes(),
                &ParseOptions::default(),
            ) {
                Err(ParseError::Malformed {
                    format: Format::JsonStat,
                    ..
                }) => {}
                other => panic!("{c}: expected Malformed, got {other:?}"),
            }
        }
        for c in [r#"[1,2]"#, r#"{"value":{"x":1}}"#, r#"{"value":[true]}"#] {
            match parse_any(
                Format::JsonStat,
                "x",
                c.as_bytes(),
                &ParseOptions::default(),
            ) {
                Err(ParseError::Malformed { line: Some(1), .. }) => {}
                other => panic!("{c}: expected Malformed, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_sparse_value_and_status_merge_in_cell_order_with_a_dense_time_label() {
        let doc = r#"{"version":"2.0","class":"dataset","label":"t","updated":"2024-01-01",
            "id":["geo","time"],"size":[2,3],
            "role":{"time":["time"]},
            "dimension":{
              "geo":{"category":{"index":{"BE":0,"BE10":1},"label":{"BE10":"Brussels"}}},
              "time":{"category":{"index":["2023-Q1","2023-Q2","2023-Q3"]}}},
            "value":{"4":2.5,"0":1,"4":3.5},
            "status":{"5":"bu|C","0":"p"}}"#;
        let p = parse_any(
            Format::JsonStat,
            "x",
            doc.as_bytes(),
            &ParseOptions::default(),
        )
        .unwrap();
        let b = &p.batch;
        assert_eq!(b.num_rows(), 3);
        assert_eq!(col(b, "geo").value(0), "BE");
        assert!(col(b, "geo_label").is_null(0));
        assert_eq!(col(b, "flags").value(0), "p");
        assert_eq!(col(b, "geo").value(1), "BE10");
        assert_eq!(col(b, "geo_label").value(1), "Brussels");
        assert_eq!(col(b, "period").value(1), "2023-Q2");
        assert_eq!(col(b, "period_freq").value(1), "Q");
        assert_eq!(values(b).value(1), 3.5, "the later of two equal keys wins");
        assert!(values(b).is_null(2));
        assert_eq!(col(b, "flags").value(2), "bu");
        assert_eq!(col(b, "conf_status").value(2), "C");
    }

    #[test]
    fn a_dimension_called_value_is_renamed_and_a_bom_is_accepted() {
        let doc = "\u{feff}{\"version\":\"2.0\",\"class\":\"dataset\",\"id\":[\"value\",\"year\"],\"size\":[1,1],\
            \"dimension\":{\"value\":{\"category\":{\"label\":{\"V\":\"v\"}}},\"year\":{\"category\":{\"index\":[\"2020\"]}}},\
            \"value\":[\"12.5\"]}";
        let p = parse_any(
            Format::JsonStat,
            "x",
            doc.as_bytes(),
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(p.dimensions, ["dim_value"]);
        let b = &p.batch;
        assert_eq!(
            values(b).value(0),
            12.5,
            "a number sent as a string is a number"
        );
        assert!(col(b, "value_text").is_null(0));
        assert_eq!(col(b, "period").value(0), "2020");
        assert_eq!(col(b, "dim_value_label").value(0), "v");
    }
}
