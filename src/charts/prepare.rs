//! From the engine's figures to what a chart plots: each kind's points, bars or segments selected
//! from one snapshot's [`Figures`] (indicator tables, composite DESI, roadmap progress) and, for
//! the Commission's own EU trajectories, the published facts of `desi_dd_trajectories`. Every
//! number drawn comes from here; nothing is typed in a chart file. Asked geos and periods are
//! checked against the data: a geo or period without a value is the caller's
//! [`ChartError::Parameter`], data not fetched yet is [`ChartError::Unavailable`] with a typed [`Unavailable`] reason
//! (which dataset, how it is loaded) and no command in it: the caller words it. Must not draw.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, Float64Array, StringArray};

use super::definition::{Chart, Kind};
use super::style::{self, Word, word};
use super::{ChartError, Unavailable};
use crate::catalog::{Catalog, DesiDimension, Provider};
use crate::geo::{self, Shapes, breaks};
use crate::indicators::IndicatorError;
use crate::indicators::definitions::Indicator;
use crate::indicators::desi::{Edition, Level};
use crate::indicators::figures::Figures;
use crate::indicators::values::{CAPITALS_GROUP, EU_AGGREGATE, MEMBERS_GROUP, Table};
use crate::store::Store;

/// The dataset of the Commission's EU Digital Decade trajectories.
pub const TRAJECTORIES: &str = "desi_dd_trajectories";

/// What a request asks beyond the chart file (`None`: the file's default).
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub geos: Option<Vec<String>>,
    pub from: Option<i32>,
    pub to: Option<i32>,
}

/// One value of a series (`value: None` is a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub year: i32,
    pub period: String,
    pub value: Option<f64>,
    pub flags: String,
}

impl Point {
    /// Estimated, provisional or of low reliability: drawn hollow.
    pub fn uncertain(&self) -> bool {
        self.flags
            .chars()
            .any(|c| matches!(c, 'e' | 'p' | 'u' | 's'))
    }

    /// The first value after a break in series: the segment into it is dashed.
    pub fn after_break(&self) -> bool {
        self.flags.contains('b')
    }
}

/// One geo's line.
#[derive(Debug, Clone)]
pub struct Line {
    pub geo: String,
    pub name: String,
    pub points: Vec<Point>,
}

/// One bar of a ranking.
#[derive(Debug, Clone)]
pub struct Bar {
    pub geo: String,
    pub name: String,
    pub value: f64,
    pub flags: String,
    pub highlight: bool,
    pub is_eu: bool,
}

/// One indicator of a dimension profile: the geo's latest value as an index of the EU's (100).
#[derive(Debug, Clone)]
pub struct ProfileMark {
    pub indicator: String,
    pub title: String,
    pub period: String,
    pub value: f64,
    pub eu_value: f64,
    pub index: f64,
    pub flags: String,
}

/// One dimension of a profile.
#[derive(Debug, Clone)]
pub struct ProfileRow {
    pub dimension: DesiDimension,
    pub title: String,
    pub marks: Vec<ProfileMark>,
    /// The mean of the marks' indices.
    pub mean: Option<f64>,
}

/// A line the Commission publishes for the EU (`desi_dd_trajectories`).
#[derive(Debug, Clone)]
pub struct Published {
    pub line: CommissionLine,
    /// "European Commission: …" in the language, for the legend and the direct label.
    pub label: String,
    pub points: Vec<(i32, f64)>,
}

/// Which of the Commission's lines: each is drawn in a style of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommissionLine {
    /// Its trajectory from past performance (`dd_baseline_*`).
    Trajectory,
    /// Its path to the target (`dd_ideal_*`).
    Path,
}

impl CommissionLine {
    /// The series name in a chart's data (CSV).
    pub fn as_str(self) -> &'static str {
        match self {
            CommissionLine::Trajectory => "commission_trajectory",
            CommissionLine::Path => "commission_path",
        }
    }
}

/// A target trajectory.
#[derive(Debug, Clone)]
pub struct Trajectory {
    pub geo: String,
    pub history: Vec<Point>,
    /// From the latest value at the actual yearly pace, to the target year.
    pub trend: Option<[(i32, f64); 2]>,
    /// From the baseline to the target.
    pub required: Option<[(i32, f64); 2]>,
    pub target: (i32, f64),
    pub projected_year: Option<i32>,
    /// The latest value minus the required path's value in its year.
    pub gap: Option<(i32, f64)>,
    pub published: Vec<Published>,
}

/// One member state's composite, by dimension (each part = weight × score ÷ Σ weights, so the
/// parts add up to the DESI).
#[derive(Debug, Clone)]
pub struct Stack {
    pub geo: String,
    pub name: String,
    pub total: f64,
    pub parts: Vec<f64>,
    pub highlight: bool,
    pub rank: Option<u32>,
}

/// One NUTS-2 region's value on a map.
#[derive(Debug, Clone)]
pub struct MapValue {
    pub geo: String,
    /// The name GISCO gives it (Latin script, its first language).
    pub name: String,
    pub value: f64,
    pub flags: String,
    /// Its class, 0 the lowest.
    pub class: usize,
}

/// A choropleth of one period.
#[derive(Debug, Clone)]
pub struct MapData {
    pub period: String,
    /// Every region of the shapes with a value in that period, by code.
    pub values: Vec<MapValue>,
    /// The inner class bounds (inclusive upper bounds), ascending.
    pub breaks: Vec<f64>,
    pub classing: super::definition::Classing,
    /// The region ringed and shown in the inset.
    pub highlight: String,
    /// The regions drawn without a value (on the map of Europe or in the boxes of the outermost
    /// regions).
    pub no_data: Vec<String>,
    /// The regions of the shapes that are not drawn (code, name).
    pub not_shown: Vec<(String, String)>,
    pub shapes: Arc<Shapes>,
}

impl MapData {
    /// The bounds of each class: (lowest value, break, …, highest value) in pairs.
    pub fn class_bounds(&self) -> Vec<(f64, f64)> {
        let (Some(min), Some(max)) = (
            self.values.iter().map(|v| v.value).reduce(f64::min),
            self.values.iter().map(|v| v.value).reduce(f64::max),
        ) else {
            return Vec::new();
        };
        let mut bounds = vec![min];
        bounds.extend_from_slice(&self.breaks);
        bounds.push(max);
        bounds.windows(2).map(|w| (w[0], w[1])).collect()
    }
}

/// What is plotted.
#[derive(Debug, Clone)]
pub enum Body {
    Lines(Vec<Line>),
    Bars {
        period: String,
        bars: Vec<Bar>,
    },
    Profile {
        geo: String,
        rows: Vec<ProfileRow>,
    },
    Trajectory(Trajectory),
    Stacked {
        edition: i32,
        methodology: String,
        dimensions: Vec<String>,
        stacks: Vec<Stack>,
    },
    Map(MapData),
}

/// One source in the footer.
#[derive(Debug, Clone, PartialEq)]
pub struct Credit {
    /// `Source: Eurostat (online data code: isoc_ci_in_h)`, in the chart's language.
    pub line: String,
    pub dataset: String,
    pub version: String,
    pub licence: String,
    pub published: String,
}

/// A chart ready to draw and describe, in one language.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: String,
    pub kind: Kind,
    pub lang: &'static str,
    pub title: String,
    pub subtitle: String,
    pub unit: String,
    pub decimals: usize,
    pub body: Body,
    pub credits: Vec<Credit>,
    pub notes: Option<String>,
}

impl Prepared {
    /// Whether any plotted value is flagged uncertain, or follows a break.
    pub fn flags_seen(&self) -> (bool, bool) {
        let mut uncertain = false;
        let mut breaks = false;
        let mut see = |flags: &str| {
            uncertain |= flags.chars().any(|c| matches!(c, 'e' | 'p' | 'u' | 's'));
            breaks |= flags.contains('b');
        };
        match &self.body {
            Body::Lines(lines) => lines
                .iter()
                .flat_map(|l| &l.points)
                .filter(|p| p.value.is_some())
                .for_each(|p| see(&p.flags)),
            Body::Bars { bars, .. } => bars.iter().for_each(|b| see(&b.flags)),
            Body::Profile { rows, .. } => rows
                .iter()
                .flat_map(|r| &r.marks)
                .for_each(|m| see(&m.flags)),
            Body::Trajectory(t) => t
                .history
                .iter()
                .filter(|p| p.value.is_some())
                .for_each(|p| see(&p.flags)),
            Body::Stacked { .. } => {}
            Body::Map(m) => m.values.iter().for_each(|v| see(&v.flags)),
        }
        (uncertain, breaks)
    }

    /// The newest publication date among the credits (`YYYY-MM-DD`).
    pub fn data_date(&self) -> Option<&str> {
        self.credits.iter().map(|c| c.published.as_str()).max()
    }

    /// The credits' source lines, each once, in order.
    pub fn source_lines(&self) -> Vec<&str> {
        let mut lines: Vec<&str> = Vec::new();
        for c in &self.credits {
            if !lines.contains(&c.line.as_str()) {
                lines.push(&c.line);
            }
        }
        lines
    }

    /// The credits' licences in order, a licence repeated by the next credit said once.
    pub fn licences(&self) -> Vec<&str> {
        let mut licences: Vec<&str> = self.credits.iter().map(|c| c.licence.as_str()).collect();
        licences.dedup();
        licences
    }
}

/// The rows of the Commission's trajectories dataset: (indicator, breakdown, unit, geo, year,
/// value).
pub type Facts = Vec<(String, String, String, String, i32, f64)>;

/// Reads the trajectory facts of the store's current version (blocking: a small Parquet file).
pub fn read_facts(store: &Store) -> Result<Option<(String, Facts)>, ChartError> {
    let Some(version) = store.current(TRAJECTORIES)? else {
        return Ok(None);
    };
    let batches = store.read(TRAJECTORIES, Some(&version.version))?;
    let mut facts = Vec::new();
    for batch in batches {
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                .cloned()
        };
        let (Some(ind), Some(brk), Some(unit), Some(geo), Some(period)) = (
            text("indicator"),
            text("breakdown"),
            text("unit_measure"),
            text("geo"),
            text("period"),
        ) else {
            continue;
        };
        let Some(value) = batch
            .column_by_name("value")
            .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
        else {
            continue;
        };
        for i in 0..batch.num_rows() {
            if value.is_null(i) || ind.is_null(i) || brk.is_null(i) || unit.is_null(i) {
                continue;
            }
            let Ok(year) = period.value(i).get(..4).unwrap_or_default().parse() else {
                continue;
            };
            facts.push((
                ind.value(i).to_owned(),
                brk.value(i).to_owned(),
                unit.value(i).to_owned(),
                geo.value(i).to_owned(),
                year,
                value.value(i),
            ));
        }
    }
    Ok(Some((version.version, facts)))
}

/// What the preparation reads.
pub struct Inputs<'a> {
    pub figures: &'a Figures,
    pub catalog: &'a Catalog,
    pub store: &'a Store,
    /// The trajectory facts of the snapshot (see [`read_facts`]), when fetched.
    pub facts: Option<&'a (String, Facts)>,
    /// The NUTS-2 shapes of the snapshot (see `Charts::shapes`), when fetched.
    pub shapes: Option<Arc<Shapes>>,
}

fn bad(parameter: &'static str, detail: impl Into<String>) -> ChartError {
    ChartError::Parameter {
        parameter,
        detail: detail.into(),
    }
}

/// The year a ranking or a map shows: `to` when one of `members` has a value then (else `not_in`
/// with `to` and the years that have one), or without `to` the latest year in which at least half
/// of `members` have a value, or the last year any has (else `none`).
fn shown_year(
    table: &Table,
    members: &[&str],
    has_value: impl Fn(&str, i32) -> bool,
    to: Option<i32>,
    not_in: impl FnOnce(i32, String) -> ChartError,
    none: impl FnOnce() -> ChartError,
) -> Result<i32, ChartError> {
    let years: std::collections::BTreeSet<i32> = members
        .iter()
        .flat_map(|g| table.rows_of(g).iter().filter(|r| r.value.is_some()))
        .filter_map(|r| r.year)
        .collect();
    match to {
        Some(t) if years.contains(&t) => Ok(t),
        Some(t) => {
            let listed: Vec<String> = years.iter().map(|y| y.to_string()).collect();
            Err(not_in(t, listed.join(", ")))
        }
        None => years
            .iter()
            .rev()
            .find(|y| members.iter().filter(|g| has_value(g, **y)).count() * 2 >= members.len())
            .or(years.last())
            .copied()
            .ok_or_else(none),
    }
}

/// A list of codes for a message, cut after 30.
fn listing(codes: &[&str]) -> String {
    let mut s = codes
        .iter()
        .take(30)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if codes.len() > 30 {
        s.push_str(", …");
    }
    s
}

fn table<'a>(inputs: &Inputs<'a>, indicator: &Indicator) -> Result<&'a Arc<Table>, ChartError> {
    match inputs.figures.table(&indicator.id) {
        None => Err(Unavailable::NotLoaded {
            what: format!("indicator {}", indicator.id),
        }
        .into()),
        Some(Ok(t)) => Ok(t),
        Some(Err(e)) => match e.root() {
            IndicatorError::NoData { dataset, load } => Err(Unavailable::NotFetched {
                dataset: dataset.clone(),
                load: load.clone(),
            }
            .into()),
            _ => Err(Unavailable::NotComputed {
                what: format!("the figures of indicator {}", indicator.id),
                source: e.clone(),
            }
            .into()),
        },
    }
}

/// The footer line of one dataset version.
fn credit(inputs: &Inputs<'_>, dataset: &str, version: &str, lang: &str) -> Credit {
    let source = inputs.catalog.get(dataset).ok();
    let stored = inputs
        .store
        .version(dataset, version)
        .ok()
        .or_else(|| inputs.store.current(dataset).ok().flatten());
    let line = match source {
        Some(s) if s.provider == Provider::Eurostat => format!(
            "{}{} Eurostat ({}{} {})",
            word(Word::Source, lang),
            colon(lang),
            word(Word::OnlineCode, lang),
            colon(lang),
            s.code
        ),
        // The catalogue's credit line is written in English ("Source: …"): its word in the
        // chart's language.
        Some(s) => format!(
            "{} ({}{} {})",
            match s.attribution.strip_prefix("Source: ") {
                Some(rest) => format!("{}{} {rest}", word(Word::Source, lang), colon(lang)),
                None => s.attribution.clone(),
            },
            word(Word::Dataset, lang),
            colon(lang),
            s.code
        ),
        // The composites' inputs, imported from the Commission's DESI files.
        None => format!(
            "{}{} European Commission, DESI ({}{} {dataset})",
            word(Word::Source, lang),
            colon(lang),
            word(Word::Dataset, lang),
            colon(lang)
        ),
    };
    Credit {
        line,
        dataset: dataset.to_owned(),
        version: version.to_owned(),
        licence: source
            .map(|s| s.licence.replace('-', " "))
            .unwrap_or_else(|| "CC BY 4.0".to_owned()),
        published: stored
            .map(|v| v.published_at.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    }
}

/// `:` or, in French, ` :` (a no-break space before it).
pub fn colon(lang: &str) -> &'static str {
    if lang == "fr" { "\u{a0}:" } else { ":" }
}

fn credits_of(inputs: &Inputs<'_>, table: &Table, lang: &str) -> Vec<Credit> {
    table
        .versions
        .iter()
        .map(|v| credit(inputs, &v.dataset, &v.version, lang))
        .collect()
}

fn decimals(values: impl Iterator<Item = f64>) -> usize {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo.is_finite() {
        style::decimals_for((hi - lo).max(hi.abs() / 5.0))
    } else {
        1
    }
}

/// Prepares `chart` in `lang` from `inputs`.
pub fn prepare(
    chart: &Chart,
    ask: &Ask,
    lang: &'static str,
    inputs: &Inputs<'_>,
) -> Result<Prepared, ChartError> {
    let model = inputs.figures.model();
    let indicator = match &chart.indicator {
        Some(id) => Some(model.definitions.get(id).ok_or_else(|| {
            ChartError::from(Unavailable::NotLoaded {
                what: format!("{}: indicator {id:?}", chart.file.display()),
            })
        })?),
        None => None,
    };
    let from = ask.from.or(chart.from);
    let to = ask.to.or(chart.to);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(bad("from", format!("from={f} is after to={t}")));
    }
    let geos = ask.geos.clone().unwrap_or_else(|| chart.geos.clone());
    let text = |t: &Option<crate::catalog::Texts>| t.as_ref().map(|t| t.get(lang).to_owned());
    let (body, unit, credits, default_title) = match chart.kind {
        Kind::TimeSeries => {
            let indicator = indicator.expect("checked when loaded");
            let table = table(inputs, indicator)?;
            let geos = if geos.is_empty() {
                default_geos(indicator)
            } else {
                geos
            };
            let mut lines = Vec::new();
            // The file's geos are wishes (a geo the data lacks is left out); asked ones must exist.
            let asked = ask.geos.is_some();
            let geos: Vec<String> = if asked {
                geos
            } else {
                let kept: Vec<String> = geos.iter().filter(|g| table.has_geo(g)).cloned().collect();
                if kept.is_empty() { geos } else { kept }
            };
            for geo in &geos {
                if !table.has_geo(geo) {
                    return Err(bad(
                        "geo",
                        format!(
                            "{geo} has no data in {}; geos with data: {}",
                            indicator.id,
                            listing(&table.geos())
                        ),
                    ));
                }
                let points: Vec<Point> = table
                    .rows_of(geo)
                    .iter()
                    .filter_map(|r| {
                        let year = r.year?;
                        (from.is_none_or(|f| year >= f) && to.is_none_or(|t| year <= t)).then(
                            || Point {
                                year,
                                period: r.period.clone(),
                                value: r.value,
                                flags: r.flags.clone().unwrap_or_default(),
                            },
                        )
                    })
                    .collect();
                if points.iter().all(|p| p.value.is_none()) {
                    return Err(bad(
                        if from.is_some() { "from" } else { "to" },
                        format!(
                            "{geo} has no value of {} between {} and {}",
                            indicator.id,
                            from.map_or("the start".to_owned(), |f| f.to_string()),
                            to.map_or("now".to_owned(), |t| t.to_string())
                        ),
                    ));
                }
                lines.push(Line {
                    geo: geo.clone(),
                    name: style::geo_name(geo, lang),
                    points,
                });
            }
            (
                Body::Lines(lines),
                indicator.unit.clone(),
                credits_of(inputs, table, lang),
                indicator.title.get(lang).to_owned(),
            )
        }
        Kind::RankingBar => {
            let indicator = indicator.expect("checked when loaded");
            let table = table(inputs, indicator)?;
            let (group_name, highlight) = if indicator.is_regional() {
                (CAPITALS_GROUP, "BE10")
            } else {
                (MEMBERS_GROUP, "BE")
            };
            let highlight = geos
                .first()
                .cloned()
                .unwrap_or_else(|| highlight.to_owned());
            let members: Vec<String> = model
                .groups
                .get(group_name)
                .map(|g| g.codes.clone())
                .unwrap_or_default();
            let value_in = |geo: &str, year: i32| {
                table
                    .rows_of(geo)
                    .iter()
                    .find(|r| r.year == Some(year))
                    .and_then(|r| r.value.map(|v| (v, r.flags.clone().unwrap_or_default())))
            };
            let members_ref: Vec<&str> = members.iter().map(String::as_str).collect();
            let year = shown_year(
                table,
                &members_ref,
                |g, y| value_in(g, y).is_some(),
                to,
                |t, years| {
                    bad(
                        "to",
                        format!(
                            "{} has no value in {t} for the {group_name} group; years with values: {years}",
                            indicator.id
                        ),
                    )
                },
                || {
                    ChartError::from(Unavailable::NoValue {
                        detail: format!("{} has no value for the {group_name} group", indicator.id),
                    })
                },
            )?;
            if value_in(&highlight, year).is_none() {
                return Err(bad(
                    "geo",
                    format!("{highlight} has no value of {} in {year}", indicator.id),
                ));
            }
            let mut bars: Vec<Bar> = members
                .iter()
                .chain((!members.contains(&highlight)).then_some(&highlight))
                .chain(std::iter::once(&EU_AGGREGATE.to_owned()))
                .filter_map(|geo| {
                    let (value, flags) = value_in(geo, year)?;
                    Some(Bar {
                        geo: geo.clone(),
                        name: if geo == EU_AGGREGATE {
                            style::geo_name(geo, lang)
                        } else {
                            geo.clone()
                        },
                        value,
                        flags,
                        highlight: *geo == highlight,
                        is_eu: geo == EU_AGGREGATE,
                    })
                })
                .collect();
            bars.sort_by(|a, b| b.value.total_cmp(&a.value));
            (
                Body::Bars {
                    period: year.to_string(),
                    bars,
                },
                indicator.unit.clone(),
                credits_of(inputs, table, lang),
                indicator.title.get(lang).to_owned(),
            )
        }
        Kind::DimensionProfile => {
            let geo = geos.first().cloned().unwrap_or_else(|| "BE10".to_owned());
            let mut rows = Vec::new();
            let mut credits: Vec<Credit> = Vec::new();
            let mut any = false;
            for card in inputs.figures.dimensions(&geo, to) {
                let mut marks = Vec::new();
                for latest in &card.lines {
                    let Ok((value, table)) = &latest.value else {
                        continue;
                    };
                    let (Some(v), Some(eu)) = (value.value, value.eu_value) else {
                        continue;
                    };
                    if v <= 0.0 || eu <= 0.0 {
                        continue;
                    }
                    let index = if latest.indicator.higher_is_better {
                        v / eu * 100.0
                    } else {
                        eu / v * 100.0
                    };
                    for c in credits_of(inputs, table, lang) {
                        if !credits.iter().any(|k| k.dataset == c.dataset) {
                            credits.push(c);
                        }
                    }
                    marks.push(ProfileMark {
                        indicator: latest.indicator.id.clone(),
                        title: latest.indicator.title.get(lang).to_owned(),
                        period: value.period.clone(),
                        value: v,
                        eu_value: eu,
                        index,
                        flags: value.flags.clone().unwrap_or_default(),
                    });
                }
                any |= !marks.is_empty();
                let mean = (!marks.is_empty())
                    .then(|| marks.iter().map(|m| m.index).sum::<f64>() / marks.len() as f64);
                rows.push(ProfileRow {
                    dimension: card.dimension,
                    title: card.dimension.title(lang).to_owned(),
                    marks,
                    mean,
                });
            }
            if !any {
                let known = model
                    .definitions
                    .indicators
                    .iter()
                    .filter_map(|i| inputs.figures.table(&i.id)?.as_ref().ok())
                    .any(|t| t.has_geo(&geo));
                return Err(if known {
                    bad(
                        if to.is_some() { "to" } else { "geo" },
                        format!(
                            "{geo} has no value that the EU also has{} (the profile compares each indicator with the EU's value of the same period); try a member state, e.g. BE",
                            to.map(|t| format!(" up to {t}")).unwrap_or_default()
                        ),
                    )
                } else {
                    bad(
                        "geo",
                        format!(
                            "{geo} has no data in any indicator (try BE10, BE or a member state)"
                        ),
                    )
                });
            }
            credits.sort_by(|a, b| a.dataset.cmp(&b.dataset));
            (
                Body::Profile {
                    geo: geo.clone(),
                    rows,
                },
                "EU = 100".to_owned(),
                credits,
                format!("{} — {}", style::geo_name(&geo, lang), profile_title(lang)),
            )
        }
        Kind::TargetTrajectory => prepare_trajectory(chart, &geos, from, to, lang, inputs)?,
        Kind::CompositeDesi => prepare_composite(chart, &geos, to, lang, inputs)?,
        Kind::Map => {
            let indicator = indicator.expect("checked when loaded");
            prepare_map(chart, indicator, &geos, to, lang, inputs)?
        }
    };
    let all_values: Vec<f64> = match &body {
        Body::Lines(lines) => lines
            .iter()
            .flat_map(|l| l.points.iter().filter_map(|p| p.value))
            .collect(),
        Body::Bars { bars, .. } => bars.iter().map(|b| b.value).collect(),
        Body::Profile { rows, .. } => rows
            .iter()
            .flat_map(|r| r.marks.iter().map(|m| m.index))
            .collect(),
        Body::Trajectory(t) => t
            .history
            .iter()
            .filter_map(|p| p.value)
            .chain([t.target.1])
            .collect(),
        Body::Stacked { stacks, .. } => stacks.iter().map(|s| s.total).collect(),
        Body::Map(m) => m.values.iter().map(|v| v.value).collect(),
    };
    let subtitle = match (&body, text(&chart.subtitle)) {
        (_, Some(s)) => s,
        (Body::Trajectory(t), None) => trajectory_subtitle(t, &unit, lang),
        (Body::Bars { period, .. }, None) => format!("{}, {period}", style::unit(&unit, lang)),
        (Body::Stacked { edition, .. }, None) => {
            format!("DESI {edition}, {}", word(Word::Computed, lang))
        }
        (Body::Profile { .. }, None) => word(Word::EuIndex, lang).to_owned(),
        (Body::Map(m), None) => format!(
            "{}, {}, {}",
            style::unit(&unit, lang),
            m.period,
            word(Word::Nuts2, lang)
        ),
        _ => style::unit(&unit, lang),
    };
    Ok(Prepared {
        id: chart.id.clone(),
        kind: chart.kind,
        lang,
        title: text(&chart.title).unwrap_or(default_title),
        subtitle,
        decimals: decimals(all_values.into_iter()),
        unit,
        body,
        credits,
        notes: text(&chart.notes),
    })
}

/// The title of `chart` in `lang` without its data: the file's, else the indicator's or the
/// target's, else one made of its kind.
pub fn default_title(chart: &Chart, lang: &str, model: &crate::indicators::model::Model) -> String {
    if let Some(t) = &chart.title {
        return t.get(lang).to_owned();
    }
    let geo = chart.geos.first().map(|g| style::geo_name(g, lang));
    match chart.kind {
        Kind::TimeSeries | Kind::RankingBar | Kind::Map => chart
            .indicator
            .as_deref()
            .and_then(|i| model.definitions.get(i))
            .map(|i| i.title.get(lang).to_owned()),
        Kind::TargetTrajectory => model
            .roadmaps
            .iter()
            .find(|r| Some(&r.id) == chart.roadmap.as_ref())
            .and_then(|r| {
                r.targets
                    .iter()
                    .find(|t| Some(&t.id) == chart.target.as_ref())
            })
            .map(|t| {
                format!(
                    "{} — {}",
                    geo.clone().unwrap_or_default(),
                    t.title.get(lang)
                )
            }),
        Kind::DimensionProfile => geo.map(|g| format!("{g} — {}", profile_title(lang))),
        Kind::CompositeDesi => Some(format!(
            "DESI ({})",
            chart.methodology.as_deref().unwrap_or("2022")
        )),
    }
    .unwrap_or_else(|| chart.id.clone())
}

fn default_geos(indicator: &Indicator) -> Vec<String> {
    if indicator.is_regional() {
        vec!["BE10".into(), "BE".into(), EU_AGGREGATE.into()]
    } else {
        vec!["BE".into(), EU_AGGREGATE.into()]
    }
}

fn profile_title(lang: &str) -> &'static str {
    match lang {
        "fr" => "profil numérique par dimension DESI, comparé à l'UE",
        "nl" => "digitaal profiel per DESI-dimensie, vergeleken met de EU",
        "de" => "digitales Profil nach DESI-Dimension, verglichen mit der EU",
        _ => "digital profile by DESI dimension, against the EU",
    }
}

/// "3.2 points below the path to the 2030 target", in `lang`.
pub fn trajectory_subtitle(t: &Trajectory, unit: &str, lang: &str) -> String {
    let year = t.target.0;
    let Some((_, gap)) = t.gap else {
        return unit.to_owned();
    };
    let amount = if style::is_percent(unit) {
        format!(
            "{} {}",
            style::number(gap.abs(), 1, lang),
            word(Word::Points, lang)
        )
    } else {
        format!(
            "{} ({})",
            style::number(gap.abs(), 1, lang),
            style::unit(unit, lang)
        )
    };
    let below = gap < 0.0;
    match (lang, below) {
        ("fr", true) => format!("{amount} sous le chemin vers l'objectif {year}"),
        ("fr", false) => format!("{amount} au-dessus du chemin vers l'objectif {year}"),
        ("nl", true) => format!("{amount} onder het pad naar de doelstelling {year}"),
        ("nl", false) => format!("{amount} boven het pad naar de doelstelling {year}"),
        ("de", true) => format!("{amount} unter dem Pfad zum Ziel {year}"),
        ("de", false) => format!("{amount} über dem Pfad zum Ziel {year}"),
        (_, true) => format!("{amount} below the path to the {year} target"),
        (_, false) => format!("{amount} above the path to the {year} target"),
    }
}

type Prep = (Body, String, Vec<Credit>, String);

fn prepare_trajectory(
    chart: &Chart,
    geos: &[String],
    from: Option<i32>,
    to: Option<i32>,
    lang: &str,
    inputs: &Inputs<'_>,
) -> Result<Prep, ChartError> {
    let model = inputs.figures.model();
    let roadmap_id = chart.roadmap.as_deref().unwrap_or_default();
    let target_id = chart.target.as_deref().unwrap_or_default();
    let roadmap = inputs
        .figures
        .roadmap_definition(roadmap_id)
        .ok_or_else(|| Unavailable::NotLoaded {
            what: format!("roadmap {roadmap_id}"),
        })?;
    let target = roadmap
        .targets
        .iter()
        .find(|t| t.id == target_id)
        .ok_or_else(|| Unavailable::NotLoaded {
            what: format!("target {target_id}"),
        })?;
    let geo = geos.first().cloned().unwrap_or_default();
    if !target.geos.contains(&geo) {
        return Err(bad(
            "geo",
            format!(
                "target {target_id} is set for {} only",
                target.geos.join(", ")
            ),
        ));
    }
    let Some(indicator) = target
        .indicator
        .as_deref()
        .and_then(|id| model.definitions.get(id))
    else {
        return Err(Unavailable::NoValue {
            detail: format!(
                "target {target_id} cannot be measured: {}",
                target
                    .unmeasured_note()
                    .unwrap_or_else(|| "no indicator".to_owned())
            ),
        }
        .into());
    };
    let table = table(inputs, indicator)?;
    let progress = inputs
        .figures
        .roadmap(roadmap_id)
        .unwrap_or_default()
        .iter()
        .find(|p| p.target == target_id && p.geo == geo)
        .ok_or_else(|| Unavailable::NoValue {
            detail: format!("no progress for {target_id} in {geo}"),
        })?;
    let history: Vec<Point> = table
        .rows_of(&geo)
        .iter()
        .filter_map(|r| {
            let year = r.year?;
            (from.is_none_or(|f| year >= f) && to.is_none_or(|t| year <= t)).then(|| Point {
                year,
                period: r.period.clone(),
                value: r.value,
                flags: r.flags.clone().unwrap_or_default(),
            })
        })
        .collect();
    if history.iter().all(|p| p.value.is_none()) {
        return Err(bad(
            if table.has_geo(&geo) { "from" } else { "geo" },
            format!("{geo} has no value of {} in the years asked", indicator.id),
        ));
    }
    let m = &progress.measures;
    let goal = (progress.target_year, progress.target_value);
    let trend = match (&m.latest, m.actual_yearly_change) {
        // Up to the target year, or to the year the pace reaches the target, if sooner.
        (Some(l), Some(a)) => {
            let end = match m.projected_year {
                Some(y) if y > l.year && y < goal.0 => y,
                _ => goal.0,
            };
            let v = l.value + a * f64::from(end - l.year);
            let v = if end < goal.0 {
                v.min(goal.1).max(l.value.min(goal.1))
            } else {
                v
            };
            Some([(l.year, l.value), (end, v)])
        }
        _ => None,
    };
    let required = m.baseline.as_ref().map(|b| [(b.year, b.value), goal]);
    let gap = match (&m.baseline, &m.latest) {
        (Some(b), Some(l)) if goal.0 > b.year => {
            let path = b.value
                + (goal.1 - b.value) * f64::from(l.year - b.year) / f64::from(goal.0 - b.year);
            Some((l.year, l.value - path))
        }
        _ => None,
    };
    let mut credits = credits_of(inputs, table, lang);
    let mut published = Vec::new();
    if geo == EU_AGGREGATE
        && let Some((version, facts)) = inputs.facts
    {
        // The indicator's own filter, or a supplement's, on the trajectories dataset.
        let filter = std::iter::once((&indicator.source, &indicator.filter))
            .chain(indicator.also.iter().map(|a| (&a.source, &a.filter)))
            .find(|(s, _)| s.as_str() == TRAJECTORIES)
            .map(|(_, f)| f);
        if let Some(filter) = filter
            && let (Some(code), Some(unit)) = (filter.get("indicator"), filter.get("unit_measure"))
        {
            let mut by: BTreeMap<&str, Vec<(i32, f64)>> = BTreeMap::new();
            for (ind, brk, u, g, year, value) in facts {
                if ind == code
                    && u == unit
                    && g == EU_AGGREGATE
                    && brk != "dd_hist_2023"
                    && !brk.starts_with("dd_target")
                {
                    by.entry(brk.as_str()).or_default().push((*year, *value));
                }
            }
            for (breakdown, mut points) in by {
                points.sort_by_key(|p| p.0);
                let line = if breakdown.starts_with("dd_baseline") {
                    CommissionLine::Trajectory
                } else {
                    CommissionLine::Path
                };
                let label = word(
                    match line {
                        CommissionLine::Trajectory => Word::CommissionTrajectory,
                        CommissionLine::Path => Word::CommissionPath,
                    },
                    lang,
                )
                .to_owned();
                published.push(Published {
                    line,
                    label,
                    points,
                });
            }
            if !published.is_empty() && !credits.iter().any(|c| c.dataset == TRAJECTORIES) {
                credits.push(credit(inputs, TRAJECTORIES, version, lang));
            }
        }
    }
    Ok((
        Body::Trajectory(Trajectory {
            geo: geo.clone(),
            history,
            trend,
            required,
            target: goal,
            projected_year: m.projected_year,
            gap,
            published,
        }),
        indicator.unit.clone(),
        credits,
        format!(
            "{} — {}",
            style::geo_name(&geo, lang),
            target.title.get(lang)
        ),
    ))
}

fn prepare_composite(
    chart: &Chart,
    geos: &[String],
    to: Option<i32>,
    lang: &str,
    inputs: &Inputs<'_>,
) -> Result<Prep, ChartError> {
    let model = inputs.figures.model();
    let edition = match chart.methodology.as_deref() {
        Some("2020") => Edition::Desi2020,
        _ => Edition::Desi2022,
    };
    let method = match model.methodology(edition) {
        Some(Ok(m)) => m,
        _ => {
            return Err(Unavailable::NotLoaded {
                what: format!("the DESI {edition} methodology"),
            }
            .into());
        }
    };
    let desi = match inputs.figures.desi(edition) {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            return Err(match e.root() {
                IndicatorError::NoData { dataset, load } => Unavailable::NotFetched {
                    dataset: dataset.clone(),
                    load: load.clone(),
                },
                _ => Unavailable::NotComputed {
                    what: format!("the DESI {edition}"),
                    source: e.clone(),
                },
            }
            .into());
        }
        None => {
            return Err(Unavailable::NotLoaded {
                what: format!("the DESI {edition}"),
            }
            .into());
        }
    };
    let years = method.edition_years();
    let year = match to {
        Some(t) if years.contains(&t) => t,
        Some(t) => {
            return Err(bad(
                "to",
                format!(
                    "DESI {edition} has no edition {t}; editions: {}",
                    years
                        .iter()
                        .map(|y| y.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        None => *years.iter().max().unwrap_or(&2022),
    };
    let highlight = geos.first().cloned().unwrap_or_else(|| "BE".to_owned());
    let dims = &method.structure.dimensions;
    let total_weight: f64 = dims.iter().map(|d| d.weight).sum();
    let mut stacks = Vec::new();
    // The edition's scores by geo, level and code (one pass, not one search per bar part).
    let mut of_year: std::collections::HashMap<(&str, Level, &str), _> =
        std::collections::HashMap::new();
    for s in desi.scores.iter().filter(|s| s.score.edition == year) {
        of_year
            .entry((s.score.geo.as_str(), s.score.level, s.score.code.as_str()))
            .or_insert(s);
    }
    for geo in method.geos() {
        let score = |level: Level, code: &str| of_year.get(&(geo, level, code)).copied();
        let Some(total) = score(Level::Desi, "desi") else {
            continue;
        };
        let Some(value) = total.score.score else {
            continue;
        };
        let parts: Option<Vec<f64>> = dims
            .iter()
            .map(|d| {
                score(Level::Dimension, &d.code)
                    .and_then(|s| s.score.score)
                    .map(|v| v * d.weight / total_weight)
            })
            .collect();
        let Some(parts) = parts else { continue };
        stacks.push(Stack {
            geo: geo.to_owned(),
            name: if geo == method.method.geos.aggregate {
                style::geo_name(EU_AGGREGATE, lang)
            } else {
                geo.to_owned()
            },
            total: value,
            parts,
            highlight: geo == highlight,
            rank: total.rank,
        });
    }
    if stacks.is_empty() {
        return Err(Unavailable::NoValue {
            detail: format!("the DESI {edition} has no score in {year}"),
        }
        .into());
    }
    if !stacks.iter().any(|s| s.highlight) {
        return Err(bad(
            "geo",
            format!(
                "{highlight} has no DESI {edition} score in {year}; geos scored: {}",
                listing(&stacks.iter().map(|s| s.geo.as_str()).collect::<Vec<_>>())
            ),
        ));
    }
    stacks.sort_by(|a, b| b.total.total_cmp(&a.total));
    let dimensions = dims
        .iter()
        .map(|d| {
            DesiDimension::ALL
                .into_iter()
                .find(|x| x.as_str() == d.id)
                .map_or_else(|| d.title.clone(), |x| x.title(lang).to_owned())
        })
        .collect();
    let version = desi.version.clone().unwrap_or_default();
    let credit = credit(inputs, method.dataset(), &version, lang);
    let title = match lang {
        "fr" => format!("Indice DESI {year} des États membres, par dimension"),
        "nl" => format!("DESI {year} van de lidstaten, per dimensie"),
        "de" => format!("DESI {year} der Mitgliedstaaten, nach Dimension"),
        _ => format!("DESI {year} of the member states, by dimension"),
    };
    Ok((
        Body::Stacked {
            edition: year,
            methodology: edition.as_str().to_owned(),
            dimensions,
            stacks,
        },
        "score (0-100)".to_owned(),
        vec![credit],
        title,
    ))
}

/// The footer line of the region shapes: GISCO's credit, in `lang`.
fn shapes_credit(inputs: &Inputs<'_>, version: &str, lang: &str) -> Credit {
    let mut c = credit(inputs, geo::DATASET, version, lang);
    c.line = format!(
        "{}{} © EuroGeographics, © TurkStat (Eurostat GISCO, NUTS 2021)",
        word(Word::Boundaries, lang),
        colon(lang)
    );
    c
}

fn prepare_map(
    chart: &Chart,
    indicator: &Indicator,
    geos: &[String],
    to: Option<i32>,
    lang: &str,
    inputs: &Inputs<'_>,
) -> Result<Prep, ChartError> {
    let table = table(inputs, indicator)?;
    let shapes = inputs
        .shapes
        .clone()
        .ok_or_else(|| Unavailable::NotFetched {
            dataset: geo::DATASET.to_owned(),
            load: crate::indicators::Load::fetch(geo::DATASET),
        })?;
    let highlight = geos.first().cloned().unwrap_or_else(|| "BE10".to_owned());
    if shapes.get(&highlight).is_none() {
        return Err(bad(
            "geo",
            format!(
                "{highlight} is not a NUTS-2 region of the map; give one region, e.g. BE10 (NUTS 2021 codes: {})",
                listing(&shapes.codes().collect::<Vec<_>>())
            ),
        ));
    }
    // The values of the regions the shapes know, by year.
    let regions: Vec<&str> = table
        .geos()
        .into_iter()
        .filter(|g| shapes.get(g).is_some())
        .collect();
    let value_in = |geo: &str, year: i32| {
        table
            .rows_of(geo)
            .iter()
            .find(|r| r.year == Some(year))
            .and_then(|r| {
                r.value
                    .filter(|v| v.is_finite())
                    .map(|v| (v, r.flags.clone().unwrap_or_default()))
            })
    };
    let year = shown_year(
        table,
        &regions,
        |g, y| value_in(g, y).is_some(),
        to,
        |t, years| {
            bad(
                "to",
                format!(
                    "{} has no NUTS-2 value in {t}; years with values: {years}",
                    indicator.id
                ),
            )
        },
        || {
            ChartError::from(Unavailable::NoValue {
                detail: format!(
                    "{} has no NUTS-2 value yet in {}",
                    indicator.id, indicator.source
                ),
            })
        },
    )?;
    if value_in(&highlight, year).is_none() {
        return Err(bad(
            "geo",
            format!("{highlight} has no value of {} in {year}", indicator.id),
        ));
    }
    let mut values: Vec<MapValue> = regions
        .iter()
        .filter_map(|g| {
            let (value, flags) = value_in(g, year)?;
            let region = shapes.get(g)?;
            Some(MapValue {
                geo: (*g).to_owned(),
                name: region
                    .name
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                value,
                flags,
                class: 0,
            })
        })
        .collect();
    let all: Vec<f64> = values.iter().map(|v| v.value).collect();
    let cuts = match chart.classing {
        super::definition::Classing::Natural => breaks::natural(&all, chart.classes),
        super::definition::Classing::Quantiles => breaks::quantiles(&all, chart.classes),
    };
    for v in &mut values {
        v.class = breaks::class_of(v.value, &cuts);
    }
    let drawn = |code: &str| shapes.is_drawn(code);
    let no_data: Vec<String> = shapes
        .codes()
        .filter(|c| drawn(c) && !values.iter().any(|v| v.geo == *c))
        .map(str::to_owned)
        .collect();
    let not_shown: Vec<(String, String)> = shapes
        .regions()
        .iter()
        .filter(|r| !drawn(&r.code))
        .map(|r| {
            (
                r.code.clone(),
                r.name
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            )
        })
        .collect();
    let mut credits = credits_of(inputs, table, lang);
    credits.push(shapes_credit(inputs, shapes.version(), lang));
    Ok((
        Body::Map(MapData {
            period: year.to_string(),
            values,
            breaks: cuts,
            classing: chart.classing,
            highlight,
            no_data,
            not_shown,
            shapes,
        }),
        indicator.unit.clone(),
        credits,
        indicator.title.get(lang).to_owned(),
    ))
}
