//! The Commission's missing-value rules for DESI 2020, as data: loads and checks
//! `indicators/methodology/desi-2020/imputation.toml` and fills the missing cells (one indicator,
//! one geo, one edition) of a raw input before it is normalised.
//!
//! A cell with a raw value keeps it. For the others the steps of `[order]` are tried in turn
//! (override, zero score, growth factor, same data year, interpolation on the
//! data-year axis, EU-growth end gap); the first that applies gives the value. The resolver is
//! recursive with memoisation: a factor chain or an end gap reads other filled cells, and a rule
//! that would need the cell being filled (a cycle) does not apply. "Observed" (the anchors of
//! same data year, interpolation and end gaps) means a raw value, plus overrides
//! when `[interpolate] anchors = "raw+override"`. See indicators/methodology/README.md, step 3.
//!
//! Must not read the store, DuckDB or any file but the rules file: the raw values come in as a
//! map ([`super::input`] reads them from the store); must not know the other methodology files
//! (it gets the indicator codes, geos and editions as lists). Nothing is rounded.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::files::{invalid, read_toml};
use crate::indicators::Result;

/// One cell: (indicator index, geo index, edition year). The indices are those of the lists given
/// to [`load`] (indicators in file order; geos as `Methodology::geos`, the aggregate last).
pub type Cell = (usize, usize, i32);

/// A filled cell: a raw value, or "the normalised score is 0" (`[[zero_score]]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Filled {
    Value(f64),
    ZeroScore,
}

/// How a cell got its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum How {
    Raw,
    Override,
    ZeroScore,
    Factor,
    SameDataYear,
    Interpolate,
    EndGap,
    Missing,
}

/// `"*"` (every geo of the method) or a list of geo codes.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum GeoSet {
    One(String),
    List(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    order: Order,
    interpolate: Interpolate,
    end_gap: EndGap,
    #[serde(default)]
    zero_score: Vec<ZeroScore>,
    #[serde(default)]
    factor: Vec<Factor>,
    #[serde(default)]
    same_data_year: Vec<SameDataYear>,
    #[serde(default, rename = "override")]
    overrides: Vec<Override>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Order {
    steps: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Interpolate {
    method: String,
    axis: String,
    anchors: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndGap {
    member_states: String,
    aggregate: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// One `[[zero_score]]` rule.
pub struct ZeroScore {
    pub indicator: String,
    pub editions: Vec<i32>,
    pub geos: GeoSet,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// The growth of an EU series: `multiply_by_eu_ratio` of a `[[factor]]`.
pub struct EuRatio {
    pub indicator: String,
    pub numerator_edition: i32,
    pub denominator_edition: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// One `[[factor]]` rule.
pub struct Factor {
    pub indicator: String,
    pub edition: i32,
    pub from_edition: i32,
    pub geos: GeoSet,
    #[serde(default)]
    pub multiply_by: Option<f64>,
    #[serde(default)]
    pub divide_by: Option<f64>,
    #[serde(default)]
    pub multiply_by_eu_ratio: Option<EuRatio>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SameDataYear {
    indicator: String,
    editions: Vec<i32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// One `[[override]]`.
pub struct Override {
    pub indicator: String,
    pub geo: String,
    pub edition: i32,
    pub value: f64,
    pub category: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Override,
    ZeroScore,
    Factor,
    SameDataYear,
    Interpolate,
    EndGap,
}

impl Step {
    fn parse(s: &str) -> Option<Step> {
        Some(match s {
            "override" => Step::Override,
            "zero_score" => Step::ZeroScore,
            "factor" => Step::Factor,
            "same_data_year" => Step::SameDataYear,
            "interpolate" => Step::Interpolate,
            "end_gap" => Step::EndGap,
            _ => return None,
        })
    }
}

/// The geos a rule applies to: `None` for all.
type GeoMatch = Option<HashSet<usize>>;

fn matches(set: &GeoMatch, geo: usize) -> bool {
    set.as_ref().is_none_or(|s| s.contains(&geo))
}

#[derive(Debug, Clone)]
enum Op {
    Multiply(f64),
    Divide(f64),
    EuRatio {
        indicator: usize,
        numerator: i32,
        denominator: i32,
    },
}

#[derive(Debug, Clone)]
struct CFactor {
    indicator: usize,
    edition: i32,
    from: i32,
    geos: GeoMatch,
    op: Op,
}

/// A loaded and checked `imputation.toml`, its codes resolved to indices.
#[derive(Debug, Clone)]
pub struct Imputation {
    pub path: PathBuf,
    steps: Vec<Step>,
    anchor_overrides: bool,
    overrides: HashMap<Cell, f64>,
    zero: Vec<(usize, Vec<i32>, GeoMatch)>,
    factors: Vec<CFactor>,
    groups: HashMap<(usize, i32), Vec<i32>>,
    editions: Vec<i32>,
    aggregate: usize,
}

/// Loads and checks `path` against the methodology's indicator codes (file order), geos (the
/// aggregate last) and edition years.
pub fn load(
    folder: &crate::catalog::Folder,
    name: &str,
    codes: &[&str],
    geos: &[&str],
    editions: &[i32],
) -> Result<Imputation> {
    let file: File = read_toml(folder, name)?;
    compile(&folder.path(name), file, codes, geos, editions)
}

fn compile(
    path: &Path,
    file: File,
    codes: &[&str],
    geos: &[&str],
    editions: &[i32],
) -> Result<Imputation> {
    let bad = |key: String, problem: String, fix: &str| invalid(path, key, problem, fix);
    let indicator = |key: &str, code: &str| -> Result<usize> {
        codes.iter().position(|c| *c == code).ok_or_else(|| {
            bad(
                format!("{key}, indicator"),
                format!("{code:?} is not an indicator of indicators.toml"),
                "Use the code of an [[indicator]] block of indicators.toml.",
            )
        })
    };
    let edition = |key: &str, year: i32| -> Result<i32> {
        if editions.contains(&year) {
            Ok(year)
        } else {
            Err(bad(
                key.to_owned(),
                format!("{year} is not an edition of method.toml"),
                "Use the year of an [[edition]] block of method.toml.",
            ))
        }
    };
    let geo = |key: &str, code: &str| -> Result<usize> {
        geos.iter().position(|g| *g == code).ok_or_else(|| {
            bad(
                key.to_owned(),
                format!("{code:?} is not a geo of method.toml [geos]"),
                "Use a member or the aggregate of method.toml [geos].",
            )
        })
    };
    let geo_set = |key: &str, set: &GeoSet| -> Result<GeoMatch> {
        match set {
            GeoSet::One(s) if s == "*" => Ok(None),
            GeoSet::One(s) => Ok(Some(HashSet::from([geo(&format!("{key}, geos"), s)?]))),
            GeoSet::List(l) => l
                .iter()
                .map(|g| geo(&format!("{key}, geos"), g))
                .collect::<Result<HashSet<_>>>()
                .map(Some),
        }
    };

    let mut steps = Vec::new();
    for s in &file.order.steps {
        let step = Step::parse(s).ok_or_else(|| {
            bad(
                "[order] steps".into(),
                format!("{s:?} is not a step desi-city knows"),
                "Use override, zero_score, factor, same_data_year, interpolate or end_gap.",
            )
        })?;
        if steps.contains(&step) {
            return Err(bad(
                "[order] steps".into(),
                format!("{s:?} is given twice"),
                "Give each step once.",
            ));
        }
        steps.push(step);
    }
    if file.interpolate.method != "linear" || file.interpolate.axis != "data-year" {
        return Err(bad(
            "[interpolate] method, axis".into(),
            format!(
                "{:?} on the {:?} axis is not an interpolation desi-city knows",
                file.interpolate.method, file.interpolate.axis
            ),
            "Use method = \"linear\" and axis = \"data-year\".",
        ));
    }
    let anchor_overrides = match file.interpolate.anchors.as_str() {
        "raw" => false,
        "raw+override" => true,
        other => {
            return Err(bad(
                "[interpolate] anchors".into(),
                format!("{other:?} is not a kind of anchor desi-city knows"),
                "Use \"raw\" or \"raw+override\".",
            ));
        }
    };
    if file.end_gap.member_states != "eu-growth" || file.end_gap.aggregate != "carry-nearest" {
        return Err(bad(
            "[end_gap] member_states, aggregate".into(),
            format!(
                "{:?} / {:?} is not an end-gap rule desi-city knows",
                file.end_gap.member_states, file.end_gap.aggregate
            ),
            "Use member_states = \"eu-growth\" and aggregate = \"carry-nearest\".",
        ));
    }

    let mut overrides = HashMap::new();
    for (n, o) in file.overrides.iter().enumerate() {
        let key = format!("[[override]] #{}", n + 1);
        let cell = (
            indicator(&key, &o.indicator)?,
            geo(&format!("{key}, geo"), &o.geo)?,
            edition(&format!("{key}, edition"), o.edition)?,
        );
        if !o.value.is_finite() {
            return Err(bad(
                format!("{key}, value"),
                format!("{} is not a number", o.value),
                "Give the value as a number.",
            ));
        }
        if overrides.insert(cell, o.value).is_some() {
            return Err(bad(
                key,
                format!(
                    "the cell {} {} {} is overridden twice",
                    o.indicator, o.geo, o.edition
                ),
                "Give each cell one override.",
            ));
        }
    }

    let mut zero = Vec::new();
    for (n, z) in file.zero_score.iter().enumerate() {
        let key = format!("[[zero_score]] #{}", n + 1);
        let i = indicator(&key, &z.indicator)?;
        for e in &z.editions {
            edition(&format!("{key}, editions"), *e)?;
        }
        zero.push((i, z.editions.clone(), geo_set(&key, &z.geos)?));
    }

    let mut factors = Vec::new();
    for (n, f) in file.factor.iter().enumerate() {
        let key = format!("[[factor]] #{}", n + 1);
        let i = indicator(&key, &f.indicator)?;
        let op = match (f.multiply_by, f.divide_by, &f.multiply_by_eu_ratio) {
            (Some(m), None, None) if m.is_finite() => Op::Multiply(m),
            (None, Some(d), None) if d.is_finite() && d != 0.0 => Op::Divide(d),
            (None, None, Some(r)) => Op::EuRatio {
                indicator: indicator(&format!("{key}, multiply_by_eu_ratio"), &r.indicator)?,
                numerator: edition(
                    &format!("{key}, multiply_by_eu_ratio numerator_edition"),
                    r.numerator_edition,
                )?,
                denominator: edition(
                    &format!("{key}, multiply_by_eu_ratio denominator_edition"),
                    r.denominator_edition,
                )?,
            },
            _ => {
                return Err(bad(
                    key,
                    "a factor needs exactly one of multiply_by, divide_by (not 0) and multiply_by_eu_ratio".into(),
                    "Keep one of the three keys.",
                ));
            }
        };
        factors.push(CFactor {
            indicator: i,
            edition: edition(&format!("{key}, edition"), f.edition)?,
            from: edition(&format!("{key}, from_edition"), f.from_edition)?,
            geos: geo_set(&key, &f.geos)?,
            op,
        });
    }

    let mut groups: HashMap<(usize, i32), Vec<i32>> = HashMap::new();
    for (n, g) in file.same_data_year.iter().enumerate() {
        let key = format!("[[same_data_year]] #{}", n + 1);
        let i = indicator(&key, &g.indicator)?;
        let mut at = Vec::new();
        for e in &g.editions {
            edition(&format!("{key}, editions"), *e)?;
            at.push(editions.iter().position(|x| x == e).unwrap_or_default());
        }
        let consecutive = g.editions.len() >= 2 && at.windows(2).all(|w| w[1] == w[0] + 1);
        if !consecutive {
            return Err(bad(
                format!("{key}, editions"),
                format!("{:?} are not two or more consecutive editions", g.editions),
                "List consecutive editions in order, e.g. [2018, 2019].",
            ));
        }
        for e in &g.editions {
            if groups.insert((i, *e), g.editions.clone()).is_some() {
                return Err(bad(
                    format!("{key}, editions"),
                    format!("edition {e} of {} is in two groups", g.indicator),
                    "Put each edition in one group at most.",
                ));
            }
        }
    }

    let mut sorted = editions.to_vec();
    sorted.sort_unstable();
    Ok(Imputation {
        path: path.to_owned(),
        steps,
        anchor_overrides,
        overrides,
        zero,
        factors,
        groups,
        editions: sorted,
        aggregate: geos.len().saturating_sub(1),
    })
}

impl Imputation {
    /// `[[same_data_year]]` groups whose raw values differ for a geo: (indicator, editions, geo).
    pub fn differing_groups(
        &self,
        raw: &HashMap<Cell, f64>,
        geos: usize,
    ) -> Vec<(usize, Vec<i32>, usize)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut keys: Vec<_> = self.groups.iter().collect();
        keys.sort_by_key(|((i, e), _)| (*i, *e));
        for ((i, _), group) in keys {
            if !seen.insert((*i, group.clone())) {
                continue;
            }
            for g in 0..geos {
                let mut values = group.iter().filter_map(|e| raw.get(&(*i, g, *e)));
                if let Some(first) = values.next()
                    && values.any(|v| v != first)
                {
                    out.push((*i, group.clone(), g));
                }
            }
        }
        out
    }

    /// A resolver over these rules for one input.
    pub fn imputer(&self, raw: HashMap<Cell, f64>) -> Imputer<'_> {
        Imputer {
            rules: self,
            raw,
            memo: HashMap::new(),
            stack: HashSet::new(),
        }
    }
}

/// Fills cells, memoising each result: resolve them in the order the composite is computed
/// (edition, geo, indicator), as the reference does.
pub struct Imputer<'a> {
    rules: &'a Imputation,
    raw: HashMap<Cell, f64>,
    memo: HashMap<Cell, (Option<Filled>, How)>,
    stack: HashSet<Cell>,
}

impl Imputer<'_> {
    /// The filled value of a cell and how it was found.
    pub fn resolve(&mut self, cell: Cell) -> (Option<Filled>, How) {
        if let Some(found) = self.memo.get(&cell) {
            return *found;
        }
        if !self.stack.insert(cell) {
            // A rule that needs the cell being filled does not apply.
            return (None, How::Missing);
        }
        let found = self.fill(cell);
        self.stack.remove(&cell);
        self.memo.insert(cell, found);
        found
    }

    /// The filled value of a cell.
    pub fn value(&mut self, cell: Cell) -> Option<Filled> {
        self.resolve(cell).0
    }

    /// A value (not a zero score) of a cell.
    fn number(&mut self, cell: Cell) -> Option<f64> {
        match self.value(cell) {
            Some(Filled::Value(v)) => Some(v),
            _ => None,
        }
    }

    /// An anchor: a raw value (and an override with `anchors = "raw+override"`).
    fn observed(&self, cell: Cell) -> Option<f64> {
        let steps = &self.rules.steps;
        self.raw
            .get(&cell)
            .or_else(|| {
                (self.rules.anchor_overrides && steps.contains(&Step::Override))
                    .then(|| self.rules.overrides.get(&cell))
                    .flatten()
            })
            .copied()
    }

    /// The data-year position of an edition: the editions of a same-data-year group share one.
    fn position(&self, indicator: usize, edition: i32) -> i64 {
        let mut p = -1;
        let mut prev: Option<&Vec<i32>> = None;
        for x in &self.rules.editions {
            let group = self.rules.groups.get(&(indicator, *x));
            if !(group.is_some() && prev.is_some() && prev == group) {
                p += 1;
            }
            prev = group;
            if *x == edition {
                return p;
            }
        }
        p
    }

    fn fill(&mut self, cell: Cell) -> (Option<Filled>, How) {
        let (i, g, e) = cell;
        if let Some(v) = self.raw.get(&cell) {
            return (Some(Filled::Value(*v)), How::Raw);
        }
        let rules = self.rules;
        let agg = rules.aggregate;
        for step in &rules.steps {
            match step {
                Step::Override => {
                    if let Some(v) = rules.overrides.get(&cell) {
                        return (Some(Filled::Value(*v)), How::Override);
                    }
                }
                Step::ZeroScore => {
                    if rules
                        .zero
                        .iter()
                        .any(|(zi, eds, geos)| *zi == i && eds.contains(&e) && matches(geos, g))
                    {
                        return (Some(Filled::ZeroScore), How::ZeroScore);
                    }
                }
                Step::Factor => {
                    for f in &rules.factors {
                        if f.indicator != i || f.edition != e || !matches(&f.geos, g) {
                            continue;
                        }
                        let Some(src) = self.number((i, g, f.from)) else {
                            continue;
                        };
                        let v = match f.op {
                            Op::Multiply(m) => src * m,
                            Op::Divide(d) => src / d,
                            Op::EuRatio {
                                indicator,
                                numerator,
                                denominator,
                            } => {
                                let a = self.number((indicator, agg, numerator));
                                let b = self.number((indicator, agg, denominator));
                                match (a, b) {
                                    (Some(a), Some(b)) => src * a / b,
                                    _ => continue,
                                }
                            }
                        };
                        return (Some(Filled::Value(v)), How::Factor);
                    }
                }
                Step::SameDataYear => {
                    if let Some(group) = rules.groups.get(&(i, e)) {
                        for x in group {
                            if *x != e
                                && let Some(v) = self.observed((i, g, *x))
                            {
                                return (Some(Filled::Value(v)), How::SameDataYear);
                            }
                        }
                    }
                }
                Step::Interpolate | Step::EndGap => {
                    let p = self.position(i, e);
                    let mut before = Vec::new();
                    let mut after = Vec::new();
                    for x in &rules.editions {
                        let px = self.position(i, *x);
                        if px != p
                            && let Some(v) = self.observed((i, g, *x))
                        {
                            if px < p {
                                before.push((*x, px, v));
                            } else {
                                after.push((*x, px, v));
                            }
                        }
                    }
                    if *step == Step::Interpolate {
                        if let (Some(&(_, pb, xb)), Some(&(_, pa, xa))) =
                            (before.last(), after.first())
                        {
                            let v = xb + (xa - xb) * (p - pb) as f64 / (pa - pb) as f64;
                            return (Some(Filled::Value(v)), How::Interpolate);
                        }
                    } else if before.is_empty() != after.is_empty() {
                        let (y, _, xy) =
                            before.last().or(after.first()).copied().unwrap_or_default();
                        if g == agg {
                            return (Some(Filled::Value(xy)), How::EndGap);
                        }
                        let eu_e = self.number((i, agg, e));
                        let eu_y = self.number((i, agg, y));
                        if let (Some(eu_e), Some(eu_y)) = (eu_e, eu_y) {
                            return (Some(Filled::Value(xy * eu_e / eu_y)), How::EndGap);
                        }
                    }
                }
            }
        }
        (None, How::Missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDITIONS: [i32; 6] = [2015, 2016, 2017, 2018, 2019, 2020];
    const CODES: [&str; 2] = ["a", "b"];
    /// Two member states and the aggregate, last.
    const GEOS: [&str; 3] = ["AA", "BB", "EU"];
    const EU: usize = 2;

    const HEAD: &str = r#"
[order]
steps = ["override", "zero_score", "factor", "same_data_year", "interpolate", "end_gap"]
[interpolate]
method = "linear"
axis = "data-year"
anchors = "raw"
[end_gap]
member_states = "eu-growth"
aggregate = "carry-nearest"
"#;

    fn rules(extra: &str) -> Imputation {
        let file: File = toml::from_str(&format!("{HEAD}{extra}")).unwrap();
        compile(Path::new("imputation.toml"), file, &CODES, &GEOS, &EDITIONS).unwrap()
    }

    fn refused(extra: &str) -> String {
        let file: File = toml::from_str(&format!("{HEAD}{extra}")).unwrap();
        compile(Path::new("imputation.toml"), file, &CODES, &GEOS, &EDITIONS)
            .unwrap_err()
            .to_string()
    }

    fn raw(cells: &[(usize, usize, i32, f64)]) -> HashMap<Cell, f64> {
        cells.iter().map(|&(i, g, e, v)| ((i, g, e), v)).collect()
    }

    fn close(got: Option<Filled>, want: f64) {
        match got {
            Some(Filled::Value(v)) => assert!((v - want).abs() < 1e-12, "{v} != {want}"),
            other => panic!("{other:?} != {want}"),
        }
    }

    #[test]
    fn a_raw_value_is_kept_even_where_a_rule_would_fill_the_cell() {
        let r = rules(
            "[[override]]\nindicator = \"a\"\ngeo = \"AA\"\nedition = 2015\nvalue = 9.0\ncategory = \"E\"\n",
        );
        let mut imp = r.imputer(raw(&[(0, 0, 2015, 0.5)]));
        assert_eq!(
            imp.resolve((0, 0, 2015)),
            (Some(Filled::Value(0.5)), How::Raw)
        );
    }

    #[test]
    fn an_override_gives_its_value_but_is_no_anchor_for_its_neighbours() {
        let r = rules(
            "[[override]]\nindicator = \"a\"\ngeo = \"AA\"\nedition = 2016\nvalue = 0.9\ncategory = \"E\"\n",
        );
        let mut imp = r.imputer(raw(&[(0, 0, 2015, 0.1), (0, 0, 2018, 0.4)]));
        assert_eq!(
            imp.resolve((0, 0, 2016)),
            (Some(Filled::Value(0.9)), How::Override)
        );
        // 2017 interpolates between 2015 and 2018, not from the override of 2016.
        close(imp.value((0, 0, 2017)), 0.1 + 0.3 * 2.0 / 3.0);
    }

    #[test]
    fn a_zero_score_rule_makes_the_score_zero_not_the_value() {
        let r = rules("[[zero_score]]\nindicator = \"b\"\neditions = [2015, 2016]\ngeos = \"*\"\n");
        let mut imp = r.imputer(raw(&[
            (1, 1, 2017, 0.5),
            (1, EU, 2017, 0.4),
            (1, EU, 2018, 0.8),
        ]));
        assert_eq!(
            imp.resolve((1, 1, 2015)),
            (Some(Filled::ZeroScore), How::ZeroScore)
        );
        assert_eq!(
            imp.resolve((1, EU, 2016)),
            (Some(Filled::ZeroScore), How::ZeroScore)
        );
        // Not an edition of the rule: the other rules (here an EU-growth end gap); not the
        // rule's indicator: missing. A zero score is no anchor for a neighbour.
        close(imp.value((1, 1, 2018)), 0.5 * 0.8 / 0.4);
        assert_eq!(imp.resolve((0, 1, 2015)), (None, How::Missing));
    }

    #[test]
    fn growth_factors_chain_and_a_factor_that_needs_its_own_cell_does_not_apply() {
        let r = rules(
            r#"
[[factor]]
indicator = "a"
edition = 2018
from_edition = 2019
geos = "*"
multiply_by = 0.5
[[factor]]
indicator = "a"
edition = 2017
from_edition = 2018
geos = ["AA"]
multiply_by = 0.5
[[factor]]
indicator = "a"
edition = 2020
from_edition = 2019
geos = "*"
divide_by = 0.5
[[factor]]
indicator = "a"
edition = 2019
from_edition = 2020
geos = "*"
multiply_by = 0.5
[[factor]]
indicator = "b"
edition = 2015
from_edition = 2016
geos = "*"
multiply_by_eu_ratio = { indicator = "a", numerator_edition = 2015, denominator_edition = 2016 }
"#,
        );
        let mut imp = r.imputer(raw(&[
            (0, 0, 2019, 8.0),
            (0, EU, 2015, 3.0),
            (0, EU, 2016, 4.0),
            (1, 1, 2016, 2.0),
        ]));
        close(imp.value((0, 0, 2018)), 4.0);
        close(imp.value((0, 0, 2017)), 2.0); // chained through 2018
        close(imp.value((0, 0, 2020)), 16.0); // the inverse
        close(imp.value((1, 1, 2015)), 2.0 * 3.0 / 4.0); // EU ratio
        // BB has neither 2019 nor 2020: each needs the other, so neither rule applies.
        assert_eq!(imp.resolve((0, 1, 2019)), (None, How::Missing));
        assert_eq!(imp.resolve((0, 1, 2020)), (None, How::Missing));
        // The 2017 rule is for AA only.
        assert_eq!(imp.resolve((0, 1, 2017)), (None, How::Missing));
    }

    #[test]
    fn the_price_index_backcasts_from_its_raw_2020_value_through_the_chained_factors() {
        // As imputation.toml: 2019 = 2020 × f, 2018 = 2019 × g; the EU's 2019 is an override.
        let r = rules(
            r#"
[[factor]]
indicator = "a"
edition = 2019
from_edition = 2020
geos = "*"
multiply_by = 0.99574
[[factor]]
indicator = "a"
edition = 2018
from_edition = 2019
geos = "*"
multiply_by = 0.995741
[[override]]
indicator = "a"
geo = "EU"
edition = 2019
value = 63.8953
category = "B_EU_aggregate"
"#,
        );
        let mut imp = r.imputer(raw(&[(0, 0, 2020, 60.0), (0, EU, 2020, 64.2387)]));
        assert_eq!(
            imp.resolve((0, 0, 2020)),
            (Some(Filled::Value(60.0)), How::Raw)
        );
        assert_eq!(imp.resolve((0, 0, 2019)).1, How::Factor);
        close(imp.value((0, 0, 2019)), 60.0 * 0.99574);
        close(imp.value((0, 0, 2018)), 60.0 * 0.99574 * 0.995741);
        // The EU's override wins over the factor, and the chain goes on from it.
        assert_eq!(
            imp.resolve((0, EU, 2019)),
            (Some(Filled::Value(63.8953)), How::Override)
        );
        close(imp.value((0, EU, 2018)), 63.8953 * 0.995741);
        // A geo without a 2020 value has nothing to backcast from.
        for e in EDITIONS {
            assert_eq!(imp.resolve((0, 1, e)), (None, How::Missing), "{e}");
        }
    }

    #[test]
    fn editions_said_to_share_a_data_year_whose_raw_values_differ_are_reported() {
        let r = rules("[[same_data_year]]\nindicator = \"a\"\neditions = [2018, 2019]\n");
        let input = raw(&[
            (0, 0, 2018, 0.5),
            (0, 0, 2019, 0.5),
            (0, 1, 2018, 0.5),
            (0, 1, 2019, 0.6),
        ]);
        assert_eq!(
            r.differing_groups(&input, GEOS.len()),
            [(0, vec![2018, 2019], 1)]
        );
    }

    #[test]
    fn an_edition_sharing_its_data_year_takes_the_observed_value_of_the_other() {
        let r = rules("[[same_data_year]]\nindicator = \"a\"\neditions = [2018, 2019]\n");
        let mut imp = r.imputer(raw(&[(0, 0, 2019, 0.7), (0, 0, 2015, 0.1)]));
        assert_eq!(
            imp.resolve((0, 0, 2018)),
            (Some(Filled::Value(0.7)), How::SameDataYear)
        );
    }

    #[test]
    fn interpolation_runs_on_the_data_year_axis_where_a_group_is_one_point() {
        // Positions: 2015→0, 2016/2017→1, 2018/2019→2, 2020→3.
        let r = rules(
            "[[same_data_year]]\nindicator = \"a\"\neditions = [2016, 2017]\n\
             [[same_data_year]]\nindicator = \"a\"\neditions = [2018, 2019]\n",
        );
        let mut imp = r.imputer(raw(&[
            (0, 0, 2015, 0.0),
            (0, 0, 2020, 0.9),
            (0, 1, 2017, 0.2),
            (0, 1, 2020, 0.8),
        ]));
        // AA 2016/2017 → position 1 of 0..3: 0.3; 2018/2019 → position 2: 0.6.
        close(imp.value((0, 0, 2016)), 0.3);
        close(imp.value((0, 0, 2019)), 0.6);
        // BB: 2016 takes 2017's value (same data year), 2018 is the midpoint of 1 and 3.
        assert_eq!(imp.resolve((0, 1, 2016)).1, How::SameDataYear);
        close(imp.value((0, 1, 2018)), 0.5);
    }

    #[test]
    fn an_end_gap_follows_eu_growth_and_the_eu_carries_its_nearest_value() {
        let r = rules("");
        let mut imp = r.imputer(raw(&[
            (0, 0, 2016, 0.5),
            (0, 0, 2017, 0.6),
            (0, EU, 2015, 0.2),
            (0, EU, 2016, 0.4),
            (0, EU, 2017, 0.5),
        ]));
        // AA 2015: before its first observed value, EU growth from 2016.
        close(imp.value((0, 0, 2015)), 0.5 * 0.2 / 0.4);
        // EU 2020: after its last observed value, carried.
        assert_eq!(
            imp.resolve((0, EU, 2020)),
            (Some(Filled::Value(0.5)), How::EndGap)
        );
        // AA 2019: nearest observed is 2017; the EU's 2019 is itself an end gap (0.5).
        close(imp.value((0, 0, 2019)), 0.6 * 0.5 / 0.5);
        // BB has no value at all: missing.
        assert_eq!(imp.resolve((0, 1, 2018)), (None, How::Missing));
    }

    #[test]
    fn a_step_left_out_of_the_order_is_not_applied() {
        let file: File = toml::from_str(&HEAD.replace(", \"end_gap\"]", "]")).unwrap();
        let r = compile(Path::new("imputation.toml"), file, &CODES, &GEOS, &EDITIONS).unwrap();
        let mut imp = r.imputer(raw(&[(0, EU, 2015, 0.2)]));
        assert_eq!(imp.resolve((0, EU, 2016)), (None, How::Missing));
    }

    /// The shipped rules of DESI 2020, as the methodology loads them.
    fn shipped() -> (crate::indicators::desi::Methodology, Imputation) {
        let dir = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/indicators/methodology"
        ));
        let m =
            crate::indicators::desi::load(dir, crate::indicators::desi::Edition::Desi2020).unwrap();
        let rules = m.imputation.clone().unwrap();
        (m, rules)
    }

    #[test]
    fn every_override_and_factor_of_the_commissions_imputation_csv_is_in_imputation_toml() {
        let (m, rules) = shipped();
        let geos = m.geos();
        let code = |c: &str| m.indicators.iter().position(|i| i.code == c).unwrap();
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/desi/2020/imputation.csv"
        );
        let mut reader = csv::Reader::from_path(path).unwrap();
        let (mut overrides, mut factors, mut zeros) = (HashSet::new(), HashSet::new(), 0);
        for row in reader.records() {
            let row = row.unwrap();
            let (kind, indicator, geo, value) = (&row[0], code(&row[1]), &row[2], &row[5]);
            let edition: i32 = row[3].parse().unwrap();
            match kind {
                "override" => {
                    let g = geos.iter().position(|x| *x == geo).unwrap();
                    let cell = (indicator, g, edition);
                    assert_eq!(
                        rules.overrides.get(&cell),
                        Some(&value.parse::<f64>().unwrap()),
                        "override {} {geo} {edition}",
                        &row[1]
                    );
                    overrides.insert(cell);
                }
                "factor" => {
                    assert_eq!(geo, "*");
                    let from: i32 = row[4].parse().unwrap();
                    let f = rules
                        .factors
                        .iter()
                        .find(|f| {
                            f.indicator == indicator && f.edition == edition && f.from == from
                        })
                        .unwrap_or_else(|| panic!("no factor {} {edition} from {from}", &row[1]));
                    assert!(
                        f.geos.is_none(),
                        "factor {} {edition}: not for every geo",
                        &row[1]
                    );
                    match (&f.op, value.strip_prefix("EU:")) {
                        (Op::Multiply(m), None) => {
                            assert_eq!(*m, value.parse::<f64>().unwrap(), "factor {}", &row[1])
                        }
                        // `EU:desi_3a2_iu:2015/2016`: the EU growth of that series.
                        (
                            Op::EuRatio {
                                indicator: i,
                                numerator,
                                denominator,
                            },
                            Some(ratio),
                        ) => {
                            let (series, editions) = ratio.split_once(':').unwrap();
                            assert_eq!(*i, code(series), "factor {}", &row[1]);
                            assert_eq!(
                                format!("{numerator}/{denominator}"),
                                editions,
                                "factor {}",
                                &row[1]
                            );
                        }
                        (op, _) => panic!("factor {} {edition}: {op:?} for {value}", &row[1]),
                    }
                    factors.insert((indicator, edition, from));
                }
                "zero" => {
                    assert!(
                        rules.zero.iter().any(|(i, eds, g)| *i == indicator
                            && eds.contains(&edition)
                            && g.is_none()),
                        "zero {} {edition}",
                        &row[1]
                    );
                    zeros += 1;
                }
                other => panic!("unknown kind {other}"),
            }
        }
        // And nothing more: the file holds no rule of that kind that imputation.csv lacks.
        assert_eq!(overrides.len(), 142);
        assert_eq!(rules.overrides.len(), overrides.len());
        assert_eq!(rules.factors.len(), factors.len());
        assert_eq!(zeros, 4);
    }

    #[test]
    fn a_rule_naming_an_unknown_indicator_geo_or_edition_is_refused_with_its_key() {
        let err = refused(
            "[[override]]\nindicator = \"z\"\ngeo = \"AA\"\nedition = 2015\nvalue = 1.0\ncategory = \"E\"\n",
        );
        assert!(err.contains("[[override]] #1, indicator"), "{err}");
        let err = refused(
            "[[override]]\nindicator = \"a\"\ngeo = \"ZZ\"\nedition = 2015\nvalue = 1.0\ncategory = \"E\"\n",
        );
        assert!(err.contains("\"ZZ\" is not a geo"), "{err}");
        let err = refused(
            "[[factor]]\nindicator = \"a\"\nedition = 2014\nfrom_edition = 2015\ngeos = \"*\"\nmultiply_by = 1.0\n",
        );
        assert!(err.contains("2014 is not an edition"), "{err}");
        let err = refused(
            "[[factor]]\nindicator = \"a\"\nedition = 2015\nfrom_edition = 2016\ngeos = \"*\"\nmultiply_by = 1.0\ndivide_by = 2.0\n",
        );
        assert!(err.contains("exactly one of"), "{err}");
        let err = refused("[[same_data_year]]\nindicator = \"a\"\neditions = [2015, 2017]\n");
        assert!(err.contains("consecutive"), "{err}");
    }
}
