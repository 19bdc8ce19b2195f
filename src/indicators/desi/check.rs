//! The checks of a methodology's files on their own (indicators/methodology/README.md, step 1):
//! the input format and its columns, the method's rules, unique editions and geos, weights that add
//! up, every indicator in a sub-dimension of its dimension, `max > min`. Each refusal names the
//! file, the key and the fix.
//!
//! Must not read the input data or the store (what the input holds is checked when it is read, in
//! [`super::input`]), and must not change the methodology it checks.

use std::collections::{HashMap, HashSet};

use super::files::invalid;
use super::method::{Edition, Methodology, Subdimension};
use crate::indicators::Result;

/// Tolerance for weights that must add up to 1.
const WEIGHT_TOLERANCE: f64 = 1e-9;

impl Methodology {
    /// The checks of indicators/methodology/README.md, step 1, on the files alone.
    pub(super) fn check(&self) -> Result<()> {
        let mp = self.method_path();
        let sp = self.structure_path();
        let ip = self.indicators_path();
        let m = &self.method;
        let expected_format = match self.edition {
            Edition::Desi2022 => "desi-wide",
            Edition::Desi2020 => "desi-csv",
        };
        if m.input.format != expected_format {
            return Err(invalid(
                &mp,
                "[input] format",
                format!(
                    "{:?} is not a format this methodology can read",
                    m.input.format
                ),
                &format!(
                    "Use \"{expected_format}\" (desi-wide: the workbook's wide table; desi-csv: the digital-agenda-data.eu long CSV)."
                ),
            ));
        }
        if self.long_input() {
            // The desi-csv parser reads these columns (and names the geo `geo`, the edition
            // `period` in the store).
            let none = String::new();
            for (key, value, want) in [
                (
                    "[input] edition_column",
                    &m.input.edition_column,
                    "time_period",
                ),
                ("[input] geo_column", &m.input.geo_column, "ref_area"),
                (
                    "[input] indicator_column",
                    m.input.indicator_column.as_ref().unwrap_or(&none),
                    "indicator",
                ),
                (
                    "[input] breakdown_column",
                    m.input.breakdown_column.as_ref().unwrap_or(&none),
                    "breakdown",
                ),
                (
                    "[input] unit_column",
                    m.input.unit_column.as_ref().unwrap_or(&none),
                    "unit_measure",
                ),
                (
                    "[input] value_column",
                    m.input.value_column.as_ref().unwrap_or(&none),
                    "value",
                ),
            ] {
                if !value.eq_ignore_ascii_case(want) {
                    return Err(invalid(
                        &mp,
                        key,
                        format!("{value:?} is not the column the desi-csv format reads"),
                        &format!(
                            "Use \"{want}\" (desi-csv files start `observation,time_period,ref_area,indicator,breakdown,unit_measure,value,`)."
                        ),
                    ));
                }
            }
            if !m.input.imputed && m.imputation.is_none() {
                return Err(invalid(
                    &mp,
                    "imputation",
                    "the input is not imputed (imputed = false) but no imputation file is named",
                    "Name the file of the missing-value rules: imputation = \"imputation.toml\".",
                ));
            }
        } else {
            // The desi-wide parser reads the edition from `Year` and the geo from `Country`.
            for (key, value, want) in [
                ("[input] edition_column", &m.input.edition_column, "Year"),
                ("[input] geo_column", &m.input.geo_column, "Country"),
            ] {
                if !value.eq_ignore_ascii_case(want) {
                    return Err(invalid(
                        &mp,
                        key,
                        format!("{value:?} is not the column the desi-wide format reads"),
                        &format!(
                            "Use \"{want}\" (desi-wide tables start `Year,Country,Year + country,`)."
                        ),
                    ));
                }
            }
        }
        if m.normalisation.clip {
            return Err(invalid(
                &mp,
                "[normalisation] clip",
                "clipping scores to 0-100 is not part of the Commission's method",
                "Set clip = false.",
            ));
        }
        for (key, value) in [
            ("[aggregation] subdimension", &m.aggregation.subdimension),
            ("[aggregation] dimension", &m.aggregation.dimension),
            ("[aggregation] desi", &m.aggregation.desi),
        ] {
            if value != "weighted-mean" {
                return Err(invalid(
                    &mp,
                    key,
                    format!("{value:?} is not an aggregation desi-city knows"),
                    "Use \"weighted-mean\".",
                ));
            }
        }
        if m.aggregation.missing != "propagate" {
            return Err(invalid(
                &mp,
                "[aggregation] missing",
                format!(
                    "{:?} is not a missing-value rule desi-city knows",
                    m.aggregation.missing
                ),
                "Use \"propagate\".",
            ));
        }
        if m.aggregation.rounding != "none" {
            return Err(invalid(
                &mp,
                "[aggregation] rounding",
                format!("{:?} is not supported", m.aggregation.rounding),
                "Use \"none\": scores are kept at full precision.",
            ));
        }
        if m.editions.is_empty() {
            return Err(invalid(
                &mp,
                "[[edition]]",
                "there is no edition",
                "Add one [[edition]] block per DESI edition.",
            ));
        }
        let mut years = HashSet::new();
        let mut labels = HashSet::new();
        for (i, e) in m.editions.iter().enumerate() {
            if !years.insert(e.year) {
                return Err(invalid(
                    &mp,
                    format!("[[edition]] #{} year", i + 1),
                    format!("{} is given twice", e.year),
                    "Give each edition once.",
                ));
            }
            if !labels.insert(e.label.as_str()) {
                return Err(invalid(
                    &mp,
                    format!("[[edition]] #{} label", i + 1),
                    format!("{:?} is given twice", e.label),
                    "Give each label once.",
                ));
            }
        }
        let mut geos = HashSet::new();
        for g in self.geos() {
            if !geos.insert(g) {
                return Err(invalid(
                    &mp,
                    "[geos]",
                    format!("{g:?} is listed twice"),
                    "List each geo once, the aggregate only in `aggregate`.",
                ));
            }
        }

        // Dimensions.
        if self.structure.dimensions.is_empty() {
            return Err(invalid(
                &sp,
                "[[dimension]]",
                "there is no dimension",
                "Add one [[dimension]] block per dimension.",
            ));
        }
        let mut dims = HashSet::new();
        for d in &self.structure.dimensions {
            let key = format!("[[dimension]] code = {:?}", d.code);
            if !dims.insert(d.code.as_str()) {
                return Err(invalid(
                    &sp,
                    key,
                    "the code is given twice",
                    "Give each dimension once.",
                ));
            }
            if !(d.weight.is_finite() && d.weight > 0.0) {
                return Err(invalid(
                    &sp,
                    format!("{key}, weight"),
                    format!("{} is not a positive number", d.weight),
                    "Give a weight > 0.",
                ));
            }
        }
        let total: f64 = self.structure.dimensions.iter().map(|d| d.weight).sum();
        if (total - 1.0).abs() > WEIGHT_TOLERANCE {
            return Err(invalid(
                &sp,
                "[[dimension]] weight",
                format!("the dimension weights add up to {total}, not 1"),
                "Change the weights so that they add up to 1.",
            ));
        }

        // Sub-dimensions.
        let mut subs: HashMap<&str, &Subdimension> = HashMap::new();
        for s in &self.structure.subdimensions {
            let key = format!("[[subdimension]] code = {:?}", s.code);
            if subs.insert(s.code.as_str(), s).is_some() {
                return Err(invalid(
                    &sp,
                    key,
                    "the code is given twice",
                    "Give each sub-dimension once.",
                ));
            }
            if !dims.contains(s.dimension.as_str()) {
                return Err(invalid(
                    &sp,
                    format!("{key}, dimension"),
                    format!("there is no dimension {:?}", s.dimension),
                    "Use the code of a [[dimension]] block.",
                ));
            }
            if !(s.weight.is_finite() && s.weight > 0.0) {
                return Err(invalid(
                    &sp,
                    format!("{key}, weight"),
                    format!("{} is not a positive number", s.weight),
                    "Give a weight > 0.",
                ));
            }
        }
        for d in &self.structure.dimensions {
            let members: Vec<&Subdimension> = self
                .structure
                .subdimensions
                .iter()
                .filter(|s| s.dimension == d.code)
                .collect();
            if members.is_empty() {
                return Err(invalid(
                    &sp,
                    format!("[[dimension]] code = {:?}", d.code),
                    "the dimension has no sub-dimension",
                    "Add a [[subdimension]] with this dimension, or remove the dimension.",
                ));
            }
            let total: f64 = members.iter().map(|s| s.weight).sum();
            if (total - 1.0).abs() > WEIGHT_TOLERANCE {
                return Err(invalid(
                    &sp,
                    format!("[[subdimension]] weight (dimension {:?})", d.code),
                    format!(
                        "the sub-dimension weights of dimension {:?} add up to {total}, not 1",
                        d.code
                    ),
                    "Change the weights so that they add up to 1.",
                ));
            }
        }

        // Indicators.
        let mut codes = HashSet::new();
        let mut inputs = HashSet::new();
        for ind in &self.indicators {
            let key = format!("[[indicator]] code = {:?}", ind.code);
            if !codes.insert(ind.code.as_str()) {
                return Err(invalid(
                    &ip,
                    key,
                    "the code is given twice",
                    "Give each indicator once.",
                ));
            }
            let Some(sub) = subs.get(ind.subdimension.as_str()) else {
                return Err(invalid(
                    &ip,
                    format!("{key}, subdimension"),
                    format!(
                        "there is no sub-dimension {:?} in structure.toml",
                        ind.subdimension
                    ),
                    "Use the code of a [[subdimension]] block of structure.toml.",
                ));
            };
            if sub.dimension != ind.dimension {
                return Err(invalid(
                    &ip,
                    format!("{key}, dimension"),
                    format!(
                        "sub-dimension {:?} belongs to dimension {:?}, not {:?}",
                        sub.code, sub.dimension, ind.dimension
                    ),
                    "Make the dimension that of the sub-dimension.",
                ));
            }
            if !(ind.min.is_finite() && ind.max.is_finite() && ind.max > ind.min) {
                return Err(invalid(
                    &ip,
                    format!("{key}, max"),
                    format!("max ({}) is not greater than min ({})", ind.max, ind.min),
                    "Give the reference max and min of the workbook, max > min.",
                ));
            }
            if !(ind.weight.is_finite() && ind.weight > 0.0) {
                return Err(invalid(
                    &ip,
                    format!("{key}, weight"),
                    format!("{} is not a positive number", ind.weight),
                    "Give a weight > 0.",
                ));
            }
            if self.long_input() {
                let Some(series) = &ind.input else {
                    return Err(invalid(
                        &ip,
                        format!("{key}, [indicator.input]"),
                        "the indicator names no series of the long input",
                        "Add [indicator.input] with its indicator, breakdown and unit codes.",
                    ));
                };
                let name = format!("{}/{}/{}", series.indicator, series.breakdown, series.unit);
                if !inputs.insert(name.clone()) {
                    return Err(invalid(
                        &ip,
                        format!("{key}, [indicator.input]"),
                        format!("another indicator reads the series {name} too"),
                        "Give each indicator its own series.",
                    ));
                }
                continue;
            }
            if ind.input_code().is_empty() {
                return Err(invalid(
                    &ip,
                    format!("{key}, column"),
                    "the column header is empty",
                    "Copy the header of the indicator's column from the input table.",
                ));
            }
            if !inputs.insert(ind.input_code().to_owned()) {
                return Err(invalid(
                    &ip,
                    format!("{key}, column"),
                    format!(
                        "another indicator reads the column {:?} too",
                        ind.input_code()
                    ),
                    "Give each indicator its own column.",
                ));
            }
        }
        for s in &self.structure.subdimensions {
            if !self.indicators.iter().any(|i| i.subdimension == s.code) {
                return Err(invalid(
                    &ip,
                    "[[indicator]] subdimension",
                    format!(
                        "sub-dimension {:?} of structure.toml has no indicator",
                        s.code
                    ),
                    "Add an indicator to it, or remove it from structure.toml.",
                ));
            }
        }
        Ok(())
    }
}
