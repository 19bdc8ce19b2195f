//! The desi-city regional scorecard (own method, not the Commission's DESI): a DESI-style score
//! for a NUTS-2 region from the regional indicators of `indicators/` (`isoc_r_*`), normalised
//! min–max across a peer set (the EU capital regions and the region's own country's regions), with
//! the method read from `indicators/regional/scorecard.toml`.
//!
//! [`score`] is the pure method (observations in, scores out); [`Inputs`] gathers its values from
//! the indicators' tables (those the engine keeps per data version, `crate::indicators::figures`). Must not write to the store, fetch, or present the result as the
//! Commission's: every [`Scorecard`] carries [`LABEL`]. No SQL here: DuckDB is reached only
//! through [`values`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::definitions::Definitions;
use super::values::{self, CAPITALS_GROUP};
use super::{IndicatorError, Load, Result};
use crate::catalog::GeoGroups;

/// The name printed with every score of this module.
pub const LABEL: &str = "desi-city regional scorecard (own method, not the Commission's DESI)";
/// The method file, relative to the indicators folder.
pub const METHOD_FILE: &str = "regional/scorecard.toml";

/// A dimension of the scorecard and its weight (only ratios matter).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionWeight {
    pub id: String,
    pub weight: f64,
}

/// An indicator of the scorecard: its dimension, direction and weight within the dimension.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub dimension: String,
    pub higher_is_better: bool,
    pub weight: f64,
}

/// The method, as read from [`METHOD_FILE`].
#[derive(Debug, Clone, PartialEq)]
pub struct Method {
    pub label: String,
    /// The score of every peer on an indicator whose peers all have the same value.
    pub tie_score: f64,
    pub dimensions: Vec<DimensionWeight>,
    pub indicators: Vec<Entry>,
    /// The file it was read from (for errors).
    pub file: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethod {
    label: String,
    tie_score: f64,
    dimension: Vec<DimensionWeight>,
    indicator: Vec<Entry>,
}

impl Method {
    /// Reads `regional/scorecard.toml` of the indicators folder (on disk or built in).
    pub fn load(indicators_dir: impl Into<crate::catalog::Folder>) -> Result<Method> {
        let folder = indicators_dir.into();
        let path = folder.path(METHOD_FILE);
        let text = folder
            .read_to_string(METHOD_FILE)
            .map_err(|source| IndicatorError::Read {
                path: path.clone(),
                source,
            })?;
        Method::parse(&path, &text)
    }

    /// Parses and checks a method file's text; `file` is only used in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Method> {
        let raw: RawMethod = toml::from_str(text).map_err(|source| IndicatorError::Toml {
            path: file.to_path_buf(),
            source,
        })?;
        let invalid = |key: String, problem: String, fix: &str| IndicatorError::Invalid {
            path: file.to_path_buf(),
            key,
            problem,
            fix: fix.to_owned(),
        };
        if !raw.label.contains("not the Commission") {
            return Err(invalid(
                "label".into(),
                "the label does not say the method is not the Commission's".into(),
                "Keep \"own method, not the Commission's DESI\" in the label.",
            ));
        }
        if !raw.tie_score.is_finite() {
            return Err(invalid(
                "tie_score".into(),
                "not a finite number".into(),
                "Write a number such as 50.0.",
            ));
        }
        if raw.indicator.is_empty() {
            return Err(invalid(
                "[[indicator]]".into(),
                "the method has no indicator".into(),
                "Add at least one [[indicator]] block.",
            ));
        }
        let mut seen = BTreeSet::new();
        for d in &raw.dimension {
            if !(d.weight.is_finite() && d.weight > 0.0) {
                return Err(invalid(
                    format!("[[dimension]] {}: weight", d.id),
                    format!("{} is not a positive number", d.weight),
                    "Write a positive weight (only ratios between weights matter).",
                ));
            }
            if !seen.insert(d.id.as_str()) {
                return Err(invalid(
                    format!("[[dimension]] {}", d.id),
                    "the dimension is listed twice".into(),
                    "Keep one block per dimension.",
                ));
            }
        }
        let mut ids = BTreeSet::new();
        for i in &raw.indicator {
            if !(i.weight.is_finite() && i.weight > 0.0) {
                return Err(invalid(
                    format!("[[indicator]] {}: weight", i.id),
                    format!("{} is not a positive number", i.weight),
                    "Write a positive weight (only ratios between weights matter).",
                ));
            }
            if !seen.contains(i.dimension.as_str()) {
                return Err(invalid(
                    format!("[[indicator]] {}: dimension", i.id),
                    format!("{:?} has no [[dimension]] block", i.dimension),
                    "Add a [[dimension]] block for it, or use one of the listed dimensions.",
                ));
            }
            if !ids.insert(i.id.as_str()) {
                return Err(invalid(
                    format!("[[indicator]] {}", i.id),
                    "the indicator is listed twice".into(),
                    "Keep one block per indicator.",
                ));
            }
        }
        Ok(Method {
            label: raw.label,
            tie_score: raw.tie_score,
            dimensions: raw.dimension,
            indicators: raw.indicator,
            file: file.to_path_buf(),
        })
    }
}

/// One value fed to the method.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub indicator: String,
    pub geo: String,
    pub period: String,
    pub value: f64,
}

/// One indicator's score for the region in the scored period.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorScore {
    pub indicator: String,
    pub dimension: String,
    pub value: f64,
    /// Lowest and highest value among the peers with a value in the period.
    pub min: f64,
    pub max: f64,
    /// How many peers had a value.
    pub peers: u32,
    /// 0–100, 100 = best of the peers.
    pub score: f64,
    /// The country's value and its score on the same scale (not clipped), when published.
    pub country_value: Option<f64>,
    pub country_score: Option<f64>,
}

/// One dimension's score (weighted mean of its indicator scores present).
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionScore {
    pub dimension: String,
    pub score: f64,
    pub country_score: Option<f64>,
}

/// The scorecard of one region.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// Always [`LABEL`]'s text as written in the method file.
    pub label: String,
    pub geo: String,
    /// The NUTS-0 code the region belongs to (its first two letters).
    pub country: String,
    pub period: String,
    pub indicators: Vec<IndicatorScore>,
    pub dimensions: Vec<DimensionScore>,
    pub total: f64,
    /// The country's total on the same scale, when the data has its row for every scored indicator.
    pub country_total: Option<f64>,
    /// 1 = best among the capital regions scored in the same period (the region included).
    pub rank_capitals: u32,
    pub ranked_capitals: u32,
    /// Every capital region with a total in the period, this region included, scored on this
    /// region's scale (its peers' min and max): the ranking behind `rank_capitals`, best first.
    /// Another region's own scorecard uses its own country's regions as peers, so its total and
    /// rank are on another scale: compare regions through this list, not across scorecards.
    pub capitals: Vec<(String, f64)>,
    /// Indicators of the method with no value for the region in the period (or no data at all).
    pub missing: Vec<String>,
}

/// Whether `geo` looks like a NUTS-2 code (`BE10`, `CY00`, `FRY1`): two capital letters, then two
/// letters or digits.
pub fn is_nuts2(geo: &str) -> bool {
    let b = geo.as_bytes();
    b.len() == 4
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Values by indicator, then period, then geo.
type Table<'a> = HashMap<&'a str, HashMap<&'a str, HashMap<&'a str, f64>>>;

fn weighted_mean(pairs: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (mut sum, mut weights) = (0.0, 0.0);
    for (score, weight) in pairs {
        sum += score * weight;
        weights += weight;
    }
    (weights > 0.0).then(|| sum / weights)
}

/// Scores of one geo in `period`, normalised against the peers: per indicator, `(score, value)`.
fn indicator_scores(
    method: &Method,
    table: &Table<'_>,
    peers: &BTreeSet<&str>,
    period: &str,
    geo: &str,
) -> BTreeMap<String, (f64, f64, f64, f64, u32)> {
    let mut out = BTreeMap::new();
    for entry in &method.indicators {
        let Some(cells) = table.get(entry.id.as_str()).and_then(|p| p.get(period)) else {
            continue;
        };
        let Some(&value) = cells.get(geo) else {
            continue;
        };
        let peer_values: Vec<f64> = cells
            .iter()
            .filter(|(g, _)| peers.contains(*g))
            .map(|(_, v)| *v)
            .collect();
        if peer_values.is_empty() {
            continue;
        }
        let min = peer_values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = peer_values
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let score = if max > min {
            let up = (value - min) / (max - min) * 100.0;
            if entry.higher_is_better {
                up
            } else {
                100.0 - up
            }
        } else {
            method.tie_score
        };
        out.insert(
            entry.id.clone(),
            (score, value, min, max, peer_values.len() as u32),
        );
    }
    out
}

/// Dimension scores (in method order, those with an indicator) and the total.
fn aggregate(
    method: &Method,
    scores: &BTreeMap<String, (f64, f64, f64, f64, u32)>,
) -> (Vec<(String, f64)>, Option<f64>) {
    let dimensions: Vec<(String, f64)> = method
        .dimensions
        .iter()
        .filter_map(|d| {
            weighted_mean(
                method
                    .indicators
                    .iter()
                    .filter(|i| i.dimension == d.id)
                    .filter_map(|i| scores.get(&i.id).map(|s| (s.0, i.weight))),
            )
            .map(|s| (d.id.clone(), s))
        })
        .collect();
    let total = weighted_mean(dimensions.iter().filter_map(|(id, s)| {
        method
            .dimensions
            .iter()
            .find(|d| &d.id == id)
            .map(|d| (*s, d.weight))
    }));
    (dimensions, total)
}

/// Scores `region` from `observations` (any geos, periods and indicators; those of other
/// indicators are ignored). `capitals` are the EU capital regions. `None` when the region has no
/// value for any indicator of the method.
pub fn score(
    method: &Method,
    observations: &[Observation],
    region: &str,
    capitals: &[String],
) -> Option<Scorecard> {
    let wanted: BTreeSet<&str> = method.indicators.iter().map(|i| i.id.as_str()).collect();
    let mut table: Table<'_> = HashMap::new();
    for o in observations
        .iter()
        .filter(|o| wanted.contains(o.indicator.as_str()) && o.value.is_finite())
    {
        table
            .entry(o.indicator.as_str())
            .or_default()
            .entry(o.period.as_str())
            .or_default()
            .insert(o.geo.as_str(), o.value);
    }
    // Indicators the region has at least one value for, and its periods.
    let mut held: BTreeSet<&str> = BTreeSet::new();
    let mut periods: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (indicator, by_period) in &table {
        for (period, cells) in by_period {
            if cells.contains_key(region) {
                held.insert(indicator);
                periods.entry(period).or_default().insert(indicator);
            }
        }
    }
    // The latest period with every held indicator, else the latest with any.
    let period = periods
        .iter()
        .rev()
        .find(|(_, have)| have.len() == held.len())
        .or_else(|| periods.iter().next_back())
        .map(|(p, _)| *p)?;

    let country = region.get(..2).unwrap_or(region);
    let capital_set: BTreeSet<&str> = capitals.iter().map(String::as_str).collect();
    let mut peers = capital_set.clone();
    for by_period in table.values() {
        for cells in by_period.values() {
            peers.extend(
                cells
                    .keys()
                    .filter(|g| is_nuts2(g) && g.starts_with(country)),
            );
        }
    }
    peers.insert(region);

    let own = indicator_scores(method, &table, &peers, period, region);
    let (dimensions, total) = aggregate(method, &own);
    let total = total?;
    let theirs = indicator_scores(method, &table, &peers, period, country);
    let (country_dimensions, country_total) = aggregate(method, &theirs);
    let country_complete = own.keys().all(|k| theirs.contains_key(k));

    let mut capitals = vec![(region.to_owned(), total)];
    for capital in capital_set.iter().filter(|c| **c != region) {
        let (_, t) = aggregate(
            method,
            &indicator_scores(method, &table, &peers, period, capital),
        );
        if let Some(t) = t {
            capitals.push(((*capital).to_owned(), t));
        }
    }
    let ahead = capitals.iter().filter(|(_, t)| *t > total).count() as u32;
    let ranked = capitals.len() as u32 - 1;
    capitals.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

    let indicators = method
        .indicators
        .iter()
        .filter_map(|e| {
            own.get(&e.id)
                .map(|&(score, value, min, max, peers)| IndicatorScore {
                    indicator: e.id.clone(),
                    dimension: e.dimension.clone(),
                    value,
                    min,
                    max,
                    peers,
                    score,
                    country_value: theirs.get(&e.id).map(|t| t.1),
                    country_score: theirs.get(&e.id).map(|t| t.0),
                })
        })
        .collect();
    let dimensions = dimensions
        .into_iter()
        .map(|(dimension, score)| DimensionScore {
            country_score: country_dimensions
                .iter()
                .find(|(d, _)| *d == dimension)
                .map(|(_, s)| *s),
            dimension,
            score,
        })
        .collect();
    Some(Scorecard {
        label: method.label.clone(),
        geo: region.to_owned(),
        country: country.to_owned(),
        period: period.to_owned(),
        indicators,
        dimensions,
        total,
        country_total: country_total.filter(|_| country_complete),
        rank_capitals: ahead + 1,
        ranked_capitals: ranked + 1,
        capitals,
        missing: method
            .indicators
            .iter()
            .filter(|e| !own.contains_key(&e.id))
            .map(|e| e.id.clone())
            .collect(),
    })
}

/// What the scorecard reads, gathered once from the indicators' tables: every value of the
/// method's indicators, the capital regions, and the NUTS-2 regions that have data.
#[derive(Debug, Clone)]
pub struct Inputs {
    observations: Vec<Observation>,
    capitals: Vec<String>,
    known: BTreeSet<String>,
}

impl Inputs {
    /// Reads the method's indicators from `tables`. An indicator that `definitions` lacks (its
    /// file did not load) or whose source has no version is left out (the scorecards list it in
    /// [`Scorecard::missing`]); one whose dimension or direction differs from its indicator file
    /// is an error naming the method file.
    pub fn gather(
        groups: &GeoGroups,
        definitions: &Definitions,
        method: &Method,
        tables: &values::Lookup<'_>,
    ) -> Result<Inputs> {
        let capitals: Vec<String> = groups
            .get(CAPITALS_GROUP)
            .map(|g| g.codes.clone())
            .ok_or_else(|| IndicatorError::Invalid {
                path: groups.file().to_path_buf(),
                key: format!("[{CAPITALS_GROUP}]"),
                problem: format!("there is no group {CAPITALS_GROUP:?}, which the scorecard needs"),
                fix: "Add it (see datasets/README.md, \"geo-groups.toml\").".to_owned(),
            })?;
        let mut observations = Vec::new();
        let mut sources = Vec::new();
        let mut known: BTreeSet<String> = BTreeSet::new();
        for entry in &method.indicators {
            let invalid = |problem: String, fix: &str| IndicatorError::Invalid {
                path: method.file.clone(),
                key: format!("[[indicator]] {}", entry.id),
                problem,
                fix: fix.to_owned(),
            };
            // An indicator file that did not load (its warning names why) counts as missing.
            let Some(def) = definitions.get(&entry.id) else {
                continue;
            };
            if !def.is_regional() {
                return Err(invalid(
                    "the indicator is not published for NUTS-2 regions".into(),
                    "Use an indicator with geo_levels = [\"country\", \"nuts2\"].",
                ));
            }
            if def.dimension.as_str() != entry.dimension
                || def.higher_is_better != entry.higher_is_better
            {
                return Err(invalid(
                    format!(
                        "dimension/higher_is_better differ from {} ({}, {})",
                        def.file.display(),
                        def.dimension,
                        def.higher_is_better
                    ),
                    "Make them equal to the indicator file's.",
                ));
            }
            sources.push(def.source.clone());
            let table = match tables(def) {
                Ok(table) => table,
                Err(e) if matches!(e.root(), IndicatorError::NoData { .. }) => continue,
                Err(e) => return Err(IndicatorError::Shared(e)),
            };
            known.extend(
                table
                    .geos()
                    .into_iter()
                    .filter(|g| is_nuts2(g))
                    .map(str::to_owned),
            );
            observations.extend(table.rows.iter().filter_map(|r| {
                r.value.map(|value| Observation {
                    indicator: r.indicator.clone(),
                    geo: r.geo.clone(),
                    period: r.period.clone(),
                    value,
                })
            }));
        }
        if known.is_empty() {
            return Err(IndicatorError::NoData {
                dataset: sources.join(", "),
                load: Load::Fetch(sources.iter().map(|s| s.to_string()).collect()),
            });
        }
        Ok(Inputs {
            observations,
            capitals,
            known,
        })
    }

    /// The EU capital regions (the default regions to score).
    pub fn capitals(&self) -> &[String] {
        &self.capitals
    }

    /// Scores each of `regions` (NUTS-2 codes). A region that is not a NUTS-2 code or has no
    /// value gets its own error. Plain Rust over the gathered values: no SQL.
    pub fn score_all(
        &self,
        method: &Method,
        regions: &[String],
    ) -> Vec<(String, Result<Scorecard>)> {
        regions
            .iter()
            .map(|region| (region.clone(), self.score(method, region)))
            .collect()
    }

    /// Scores one region (see [`Inputs::score_all`]).
    pub fn score(&self, method: &Method, region: &str) -> Result<Scorecard> {
        if !is_nuts2(region) {
            return Err(IndicatorError::UnknownGeo {
                geo: region.to_owned(),
                known: "a NUTS-2 code such as BE10 (the regional scorecard scores NUTS-2 regions)"
                    .to_owned(),
            });
        }
        // Each region's peers are its own country's regions and the capitals only.
        let country = &region[..2];
        let own: Vec<Observation> = self
            .observations
            .iter()
            .filter(|o| {
                o.geo == country
                    || self.capitals.contains(&o.geo)
                    || (is_nuts2(&o.geo) && o.geo.starts_with(country))
            })
            .cloned()
            .collect();
        score(method, &own, region, &self.capitals).ok_or_else(|| IndicatorError::UnknownGeo {
            geo: region.to_owned(),
            known: self.known.iter().cloned().collect::<Vec<_>>().join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METHOD: &str = r#"
label = "test scorecard (own method, not the Commission's DESI)"
tie_score = 50.0

[[dimension]]
id = "connectivity"
weight = 3

[[dimension]]
id = "internet-use"
weight = 1

[[indicator]]
id = "a"
dimension = "connectivity"
higher_is_better = true
weight = 1

[[indicator]]
id = "b"
dimension = "connectivity"
higher_is_better = false
weight = 3

[[indicator]]
id = "c"
dimension = "internet-use"
higher_is_better = true
weight = 1
"#;

    fn method() -> Method {
        Method::parse(Path::new("scorecard.toml"), METHOD).expect("a valid method")
    }

    fn obs(rows: &[(&str, &str, &str, f64)]) -> Vec<Observation> {
        rows.iter()
            .map(|(i, g, p, v)| Observation {
                indicator: i.to_string(),
                geo: g.to_string(),
                period: p.to_string(),
                value: *v,
            })
            .collect()
    }

    fn capitals() -> Vec<String> {
        vec!["XX10".into(), "YY10".into()]
    }

    #[test]
    fn scores_are_min_max_across_capitals_and_own_country_regions_then_weighted_means() {
        // Peers of XX10: capitals XX10, YY10 and XX's region XX20 (ZZ20 is another country's).
        let data = obs(&[
            ("a", "XX10", "2023", 80.0),
            ("a", "YY10", "2023", 60.0),
            ("a", "XX20", "2023", 100.0),
            ("a", "ZZ20", "2023", 0.0),
            ("a", "XX", "2023", 90.0),
            ("b", "XX10", "2023", 10.0),
            ("b", "YY10", "2023", 30.0),
            ("b", "XX20", "2023", 20.0),
            ("b", "XX", "2023", 15.0),
            ("c", "XX10", "2023", 50.0),
            ("c", "YY10", "2023", 70.0),
            ("c", "XX", "2023", 60.0),
        ]);
        let card = score(&method(), &data, "XX10", &capitals()).expect("scored");
        assert_eq!(card.period, "2023");
        let s: Vec<f64> = card.indicators.iter().map(|i| i.score).collect();
        // a: (80-60)/(100-60) = 50; b (lower is better): 100 - (10-10)/(30-10)*100 = 100; c: 0.
        assert_eq!(s, [50.0, 100.0, 0.0]);
        // connectivity = (50*1 + 100*3)/4 = 87.5; internet-use = 0; total = (87.5*3 + 0)/4.
        assert_eq!(card.dimensions[0].score, 87.5);
        assert_eq!(card.dimensions[1].score, 0.0);
        assert_eq!(card.total, 65.625);
        // Country XX: a 75, b 75, c 50 → connectivity 75, internet-use 50, total 68.75.
        assert_eq!(card.indicators[0].country_score, Some(75.0));
        assert_eq!(card.country_total, Some(68.75));
        // YY10: a 0, b 0, c 100 → 0, 100 → 25: XX10 ranks first of two capitals.
        assert_eq!((card.rank_capitals, card.ranked_capitals), (1, 2));
        // The ranking behind it, on XX10's scale, best first.
        assert_eq!(
            card.capitals,
            [("XX10".to_owned(), 65.625), ("YY10".to_owned(), 25.0)]
        );
        assert!(card.missing.is_empty());
        assert!(card.label.contains("not the Commission"));
    }

    #[test]
    fn the_latest_common_year_is_scored_and_a_missing_indicator_shares_out_its_weight() {
        let data = obs(&[
            ("a", "XX10", "2022", 80.0),
            ("a", "YY10", "2022", 60.0),
            ("a", "XX10", "2023", 90.0),
            ("a", "YY10", "2023", 95.0),
            ("c", "XX10", "2022", 70.0),
            ("c", "YY10", "2022", 50.0),
        ]);
        let card = score(&method(), &data, "XX10", &capitals()).expect("scored");
        assert_eq!(card.period, "2022", "2023 lacks indicator c");
        assert_eq!(card.missing, ["b"]);
        // connectivity = a alone = 100; internet-use = 100; total 100.
        assert_eq!(card.total, 100.0);
        assert_eq!(card.country_total, None, "no country row");
    }

    #[test]
    fn equal_peers_get_the_tie_score_and_a_region_without_values_gets_none() {
        let data = obs(&[("a", "XX10", "2023", 5.0), ("a", "YY10", "2023", 5.0)]);
        let card = score(&method(), &data, "XX10", &capitals()).expect("scored");
        assert_eq!(card.total, 50.0);
        assert!(score(&method(), &data, "QQ10", &capitals()).is_none());
    }

    #[test]
    fn a_method_with_a_bad_weight_an_unknown_dimension_or_a_lost_label_is_refused() {
        for (from, to, key) in [
            (
                "weight = 3\n\n[[dimension]]",
                "weight = -1\n\n[[dimension]]",
                "weight",
            ),
            (
                "dimension = \"internet-use\"",
                "dimension = \"human-capital\"",
                "c: dimension",
            ),
            ("not the Commission's DESI", "DESI", "label"),
        ] {
            let text = METHOD.replacen(from, to, 1);
            let error = Method::parse(Path::new("scorecard.toml"), &text).expect_err("refused");
            let message = error.to_string();
            assert!(
                message.contains(key) && message.contains("scorecard.toml"),
                "{key:?} not in {message:?}"
            );
        }
    }

    #[test]
    fn nuts2_codes_are_two_letters_and_two_letters_or_digits() {
        assert!(is_nuts2("BE10") && is_nuts2("FRY1") && is_nuts2("CY00"));
        assert!(!is_nuts2("BE1") && !is_nuts2("BE") && !is_nuts2("EU27_2020"));
    }

    #[test]
    fn the_shipped_method_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators");
        let m = Method::load(&dir).expect("the shipped scorecard loads");
        assert_eq!(m.label, LABEL);
    }
}
