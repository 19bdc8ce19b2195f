//! Building the canonical long observation table shared by every parser: column naming (lower
//! case, clashes prefixed `dim_`), the Arrow schema, code dictionaries, and assembling the one
//! `RecordBatch` by `take` over per-row keys so that no parser formats strings per row. Knows
//! nothing of any upstream format and must not: parsers hand it codes, keys and observation
//! fields; it only lays them out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, Date32Array, Float64Builder, StringArray, StringBuilder, UInt32Array,
    new_null_array,
};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::ParseError;
use super::period::parse_period;

use crate::catalog::observation::{self as obs, label_column};
/// The canonical schema's names, defined once in `catalog::observation`.
pub use crate::catalog::observation::{DIMENSIONS_METADATA_KEY, FIXED_COLUMNS};

/// Lower-cases a name and turns every character outside `[a-z0-9_]` into `_`.
pub fn sanitize(name: &str) -> String {
    let s: String = name
        .trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "dim".to_owned() } else { s }
}

/// The column names for the given dimension and attribute names: sanitised, `dim_`/`attr_`
/// prefixed when they clash with a fixed column, and suffixed `_2`, `_3`… when two would share a
/// name (a dimension's `<dim>_label` column counts as taken). Idempotent: feeding the output back
/// in gives the same names.
pub fn column_names(dimensions: &[String], attributes: &[String]) -> (Vec<String>, Vec<String>) {
    let mut taken: HashSet<String> = FIXED_COLUMNS.iter().map(|s| (*s).to_owned()).collect();
    let mut dims = Vec::with_capacity(dimensions.len());
    for raw in dimensions {
        let mut base = sanitize(raw);
        if FIXED_COLUMNS.contains(&base.as_str()) {
            base = format!("dim_{base}");
        }
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) || taken.contains(&label_column(&name)) {
            name = format!("{base}_{n}");
            n += 1;
        }
        taken.insert(label_column(&name));
        taken.insert(name.clone());
        dims.push(name);
    }
    let reserved = taken.clone();
    let mut attrs = Vec::with_capacity(attributes.len());
    for raw in attributes {
        let mut base = sanitize(raw);
        if reserved.contains(&base) {
            base = format!("attr_{base}");
        }
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        taken.insert(name.clone());
        attrs.push(name);
    }
    (dims, attrs)
}

/// The canonical schema (see the module doc of `parse`) for these dimensions and attributes.
pub fn canonical_schema(dimensions: &[String], attributes: &[String]) -> SchemaRef {
    let (dims, attrs) = column_names(dimensions, attributes);
    let mut fields = Vec::with_capacity(8 + 2 * dims.len() + attrs.len());
    fields.push(Field::new(obs::DATASET, DataType::Utf8, false));
    for d in &dims {
        fields.push(Field::new(d, DataType::Utf8, false));
    }
    fields.push(Field::new(obs::PERIOD, DataType::Utf8, true));
    fields.push(Field::new(obs::PERIOD_START, DataType::Date32, true));
    fields.push(Field::new(obs::PERIOD_FREQ, DataType::Utf8, true));
    fields.push(Field::new(obs::VALUE, DataType::Float64, true));
    fields.push(Field::new(obs::VALUE_TEXT, DataType::Utf8, true));
    fields.push(Field::new(obs::FLAGS, DataType::Utf8, true));
    fields.push(Field::new(obs::CONF_STATUS, DataType::Utf8, true));
    for d in &dims {
        fields.push(Field::new(label_column(d), DataType::Utf8, true));
    }
    for a in &attrs {
        fields.push(Field::new(a, DataType::Utf8, true));
    }
    let metadata = HashMap::from([(DIMENSIONS_METADATA_KEY.to_owned(), dims.join(","))]);
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// One dimension column: a dictionary of codes (and labels) and, per output row, the key into it.
pub struct DimColumn {
    pub codes: StringArray,
    /// Same length as `codes`; `None` when the response carries no labels at all.
    pub labels: Option<StringArray>,
    pub keys: UInt32Array,
}

/// The period column: a dictionary of raw period strings and a nullable key per row.
pub struct PeriodColumn {
    pub codes: StringArray,
    pub keys: UInt32Array,
}

/// Per-row observation fields, appended row by row.
pub struct ObsBuilder {
    pub value: Float64Builder,
    pub value_text: StringBuilder,
    pub flags: StringBuilder,
    pub conf: StringBuilder,
}

impl ObsBuilder {
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            value: Float64Builder::with_capacity(rows),
            value_text: StringBuilder::with_capacity(rows, 0),
            flags: StringBuilder::with_capacity(rows, rows),
            conf: StringBuilder::with_capacity(rows, 0),
        }
    }

    /// Appends one observation. `conf` falls back to `C` when the flags hold Eurostat's lowercase
    /// `c` (confidential) and no confidentiality status was given.
    pub fn push(
        &mut self,
        value: Option<f64>,
        text: Option<&str>,
        flags: Option<&str>,
        conf: Option<&str>,
    ) {
        self.value.append_option(value);
        self.value_text.append_option(text);
        self.flags.append_option(flags);
        let conf = conf.or_else(|| conf_from_flags(flags));
        self.conf.append_option(conf);
    }

    pub fn len(&self) -> usize {
        self.value.len()
    }
}

/// Eurostat's pre-2023 observation flag `c` means confidential: it maps to status `C`.
pub fn conf_from_flags(flags: Option<&str>) -> Option<&'static str> {
    match flags {
        Some(f) if f.contains('c') => Some("C"),
        _ => None,
    }
}

/// Splits an observation status as Eurostat publishes it: `"bu|C"` → flags `bu`, conf `C`;
/// `"|C"` → conf only; `"u"` → flags only.
pub fn split_status(status: &str) -> (Option<&str>, Option<&str>) {
    fn non_empty(s: &str) -> Option<&str> {
        let s = s.trim();
        (!s.is_empty()).then_some(s)
    }
    let status = status.trim();
    match status.split_once('|') {
        Some((flags, conf)) => (non_empty(flags), non_empty(conf)),
        None => (non_empty(status), None),
    }
}

/// Interns the codes of one dimension as they come, row by row (CSV formats).
#[derive(Default)]
pub struct Interner {
    index: HashMap<String, u32>,
    codes: Vec<String>,
    labels: Vec<Option<String>>,
    any_label: bool,
}

impl Interner {
    /// The key for `code`, adding it on first sight; the first non-empty label seen is kept.
    pub fn key(&mut self, code: &str, label: Option<&str>) -> u32 {
        if let Some(&k) = self.index.get(code) {
            if let Some(l) = label
                && let Some(slot) = self.labels.get_mut(k as usize)
                && slot.is_none()
            {
                *slot = Some(l.to_owned());
                self.any_label = true;
            }
            return k;
        }
        let k = self.codes.len() as u32;
        self.index.insert(code.to_owned(), k);
        self.codes.push(code.to_owned());
        self.labels.push(label.map(str::to_owned));
        self.any_label |= label.is_some();
        k
    }

    pub fn codes(&self) -> StringArray {
        StringArray::from_iter_values(self.codes.iter())
    }

    pub fn labels(&self) -> Option<StringArray> {
        self.any_label
            .then(|| self.labels.iter().map(Option::as_deref).collect())
    }

    /// The dimension column for these per-row keys.
    pub fn column(&self, keys: Vec<u32>) -> DimColumn {
        DimColumn {
            codes: self.codes(),
            labels: self.labels(),
            keys: UInt32Array::from(keys),
        }
    }
}

/// Row-by-row collection for the line-oriented formats (SDMX-CSV, DESI CSV, Opendatasoft CSV):
/// one interner per dimension, an interned period, and the observation fields.
pub struct Rows {
    dims: Vec<Interner>,
    dim_keys: Vec<Vec<u32>>,
    periods: Interner,
    period_keys: Vec<Option<u32>>,
    pub obs: ObsBuilder,
}

impl Rows {
    pub fn new(dimensions: usize, capacity: usize) -> Self {
        Self {
            dims: (0..dimensions).map(|_| Interner::default()).collect(),
            dim_keys: (0..dimensions)
                .map(|_| Vec::with_capacity(capacity))
                .collect(),
            periods: Interner::default(),
            period_keys: Vec::with_capacity(capacity),
            obs: ObsBuilder::with_capacity(capacity),
        }
    }

    /// Appends this row's code (and label) of dimension `d`.
    pub fn dim(&mut self, d: usize, code: &str, label: Option<&str>) {
        if let (Some(i), Some(k)) = (self.dims.get_mut(d), self.dim_keys.get_mut(d)) {
            k.push(i.key(code, label));
        }
    }

    /// Appends this row's raw period (`None`: no period).
    pub fn period(&mut self, raw: Option<&str>) {
        let key = raw.map(|t| self.periods.key(t, None));
        self.period_keys.push(key);
    }

    /// The canonical table of the rows, with dimension columns named after `names` (sanitised)
    /// and the given attribute columns; returns it with the final dimension names.
    pub fn finish(
        self,
        dataset: &str,
        names: &[String],
        attributes: Vec<(String, ArrayRef)>,
    ) -> Result<(RecordBatch, Vec<String>), ParseError> {
        let (attribute_names, attributes): (Vec<String>, Vec<ArrayRef>) =
            attributes.into_iter().unzip();
        let (dimensions, attribute_names) = column_names(names, &attribute_names);
        let dims = self
            .dims
            .iter()
            .zip(self.dim_keys)
            .map(|(i, k)| i.column(k))
            .collect();
        let batch = assemble(Collected {
            dataset: dataset.to_owned(),
            dimensions: dimensions.clone(),
            attribute_names,
            dims,
            period: Some(PeriodColumn {
                codes: self.periods.codes(),
                keys: UInt32Array::from(self.period_keys),
            }),
            obs: self.obs,
            attributes,
        })?;
        Ok((batch, dimensions))
    }
}

/// Everything a parser collected, ready to be laid out in the canonical schema.
pub struct Collected {
    pub dataset: String,
    /// Column names, already passed through `column_names`.
    pub dimensions: Vec<String>,
    pub attribute_names: Vec<String>,
    pub dims: Vec<DimColumn>,
    pub period: Option<PeriodColumn>,
    pub obs: ObsBuilder,
    pub attributes: Vec<ArrayRef>,
}

/// Lays the collected columns out as one `RecordBatch` in the canonical schema.
pub fn assemble(mut c: Collected) -> Result<RecordBatch, ParseError> {
    let rows = c.obs.len();
    let schema = canonical_schema(&c.dimensions, &c.attribute_names);
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    columns.push(Arc::new(StringArray::from_iter_values(
        std::iter::repeat_n(c.dataset.as_str(), rows),
    )));
    for d in &c.dims {
        columns.push(take(&d.codes, &d.keys, None)?);
    }
    match &c.period {
        Some(p) => {
            let infos: Vec<_> = p
                .codes
                .iter()
                .map(|code| code.and_then(parse_period))
                .collect();
            let starts: Date32Array = infos.iter().map(|i| i.map(|i| i.start)).collect();
            let freqs: StringArray = infos.iter().map(|i| i.map(|i| i.freq)).collect();
            columns.push(take(&p.codes, &p.keys, None)?);
            columns.push(take(&starts, &p.keys, None)?);
            columns.push(take(&freqs, &p.keys, None)?);
        }
        None => {
            columns.push(new_null_array(&DataType::Utf8, rows));
            columns.push(new_null_array(&DataType::Date32, rows));
            columns.push(new_null_array(&DataType::Utf8, rows));
        }
    }
    columns.push(Arc::new(c.obs.value.finish()));
    columns.push(Arc::new(c.obs.value_text.finish()));
    columns.push(Arc::new(c.obs.flags.finish()));
    columns.push(Arc::new(c.obs.conf.finish()));
    for d in &c.dims {
        match &d.labels {
            Some(labels) => columns.push(take(labels, &d.keys, None)?),
            None => columns.push(new_null_array(&DataType::Utf8, rows)),
        }
    }
    columns.extend(c.attributes);
    Ok(RecordBatch::try_new(schema, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn names_are_lower_cased_and_odd_characters_become_underscores() {
        let (dims, _) = column_names(&names(&["GEO", "Type d'indicateur", ""]), &[]);
        assert_eq!(dims, ["geo", "type_d_indicateur", "dim"]);
    }

    #[test]
    fn a_dimension_named_like_a_fixed_column_is_prefixed_dim() {
        let (dims, _) = column_names(&names(&["value", "period", "geo"]), &[]);
        assert_eq!(dims, ["dim_value", "dim_period", "geo"]);
    }

    #[test]
    fn clashing_names_get_a_numeric_suffix_and_the_result_is_stable() {
        let (dims, attrs) = column_names(
            &names(&["a", "A", "a_label", "x"]),
            &names(&["x", "note", "note"]),
        );
        assert_eq!(dims, ["a", "a_2", "a_label_2", "x"]);
        assert_eq!(attrs, ["attr_x", "note", "note_2"]);
        let again = column_names(&dims, &attrs);
        assert_eq!(again, (dims, attrs));
    }

    #[test]
    fn the_schema_has_the_fixed_order_and_lists_dimensions_in_metadata() {
        let schema = canonical_schema(&names(&["freq", "geo"]), &names(&["note"]));
        let cols: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(
            cols,
            [
                "dataset",
                "freq",
                "geo",
                "period",
                "period_start",
                "period_freq",
                "value",
                "value_text",
                "flags",
                "conf_status",
                "freq_label",
                "geo_label",
                "note"
            ]
        );
        assert_eq!(
            schema
                .metadata()
                .get(DIMENSIONS_METADATA_KEY)
                .map(String::as_str),
            Some("freq,geo")
        );
        assert_eq!(schema.field(4).data_type(), &DataType::Date32);
        assert!(!schema.field(1).is_nullable());
        assert!(schema.field(6).is_nullable());
    }

    #[test]
    fn statuses_split_into_flags_and_confidentiality() {
        assert_eq!(split_status("|C"), (None, Some("C")));
        assert_eq!(split_status("bu|C"), (Some("bu"), Some("C")));
        assert_eq!(split_status("u"), (Some("u"), None));
        assert_eq!(split_status("be"), (Some("be"), None));
        assert_eq!(split_status(""), (None, None));
    }

    #[test]
    fn a_lowercase_c_flag_marks_the_observation_confidential() {
        let mut obs = ObsBuilder::with_capacity(2);
        obs.push(None, None, Some("c"), None);
        obs.push(Some(1.0), None, Some("b"), None);
        let conf = obs.conf.finish();
        assert_eq!(conf.value(0), "C");
        assert!(conf.is_null(1));
    }

    #[test]
    fn the_interner_keeps_first_seen_order_and_labels() {
        let mut i = Interner::default();
        assert_eq!(i.key("BE", None), 0);
        assert_eq!(i.key("AT", Some("Austria")), 1);
        assert_eq!(i.key("BE", Some("Belgium")), 0);
        let labels = i.labels().unwrap();
        assert_eq!(labels.value(0), "Belgium");
        assert_eq!(labels.value(1), "Austria");
    }
}
