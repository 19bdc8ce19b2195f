//! View models: what each page shows, selected from one snapshot's `Figures` and the sources'
//! states and written for one language (numbers, dates, words), as the JSON the templates read.
//! Every figure shown is the engine's own (value, rank, change, progress, scores): nothing is
//! recomputed here. Each value also carries its unrounded number (`value`), which the page puts in
//! `<data value="…">` so that a machine (and the tests) can compare it with the API.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Texts;
use super::i18n::decimals;
use crate::catalog::{Catalog, DesiDimension};
use crate::charts::{Chart, Kind, style};
use crate::indicators::definitions::{Definitions, Indicator};
use crate::indicators::desi::{Edition, Level};
use crate::indicators::figures::{Figures, Stale};
use crate::indicators::regional;
use crate::indicators::roadmap::{Progress, Reason, Roadmap, Status, Target};
use crate::indicators::values::{EU_AGGREGATE, IndicatorValue, Table};
use crate::store::Manifest;
use crate::store::SourceStatus;

/// What every page reads: one snapshot's figures and manifest, the catalogue, the city.
pub struct Inputs<'a> {
    pub figures: &'a Figures,
    pub catalog: &'a Catalog,
    pub manifest: &'a Manifest,
    /// The city of the dashboard (`[dashboard] geo`).
    pub geo: &'a str,
    /// The chart files (`charts/`): a target's trajectory links the one drawn for it.
    pub charts: &'a [Chart],
}

impl Inputs<'_> {
    /// The city's country (`BE` for `BE10`), or `None` when the city is a country or the EU.
    pub fn country(&self) -> Option<&str> {
        (self.geo.len() > 2 && self.geo != EU_AGGREGATE).then(|| &self.geo[..2])
    }

    /// The city, its country and the EU, in that order.
    pub fn trio(&self) -> Vec<&str> {
        let mut geos = vec![self.geo];
        geos.extend(self.country());
        if self.geo != EU_AGGREGATE {
            geos.push(EU_AGGREGATE);
        }
        geos
    }

    /// The country the composite DESI is shown for: the city's, or the city itself.
    fn desi_country(&self) -> &str {
        self.country().unwrap_or(self.geo)
    }
}

/// Why a source needs a person's attention.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// The last run failed, with the first line of its reason.
    Failing(String),
    /// A scheduled run is more than an hour overdue.
    Stale(DateTime<Utc>),
    /// No version yet.
    NotFetched,
    /// Its latest version's figures could not be computed.
    Recompute,
}

/// One source's freshness, as of a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceState {
    pub id: String,
    pub last_success: Option<DateTime<Utc>>,
    pub upstream_updated: Option<String>,
    pub next_run: Option<DateTime<Utc>>,
    pub warnings: Vec<Warning>,
}

/// Every catalogue source's freshness at `now`.
pub fn source_states(
    catalog: &Catalog,
    manifest: &Manifest,
    statuses: &std::collections::BTreeMap<String, SourceStatus>,
    stale: &[Stale],
    now: DateTime<Utc>,
) -> Vec<SourceState> {
    catalog
        .sources
        .iter()
        .map(|s| {
            let status = statuses.get(&s.id).cloned().unwrap_or_default();
            let current = manifest
                .datasets
                .get(&s.id)
                .and_then(|e| e.current_version());
            let mut warnings = Vec::new();
            if current.is_none() {
                warnings.push(Warning::NotFetched);
            }
            if status.last_outcome.as_deref() == Some("failed") {
                let why = status
                    .last_error
                    .as_deref()
                    .and_then(|e| e.lines().next())
                    .unwrap_or("unknown");
                let why: String = why.chars().take(200).collect();
                warnings.push(Warning::Failing(why));
            }
            if let Some(due) = status.next_run_at
                && due + chrono::Duration::hours(1) < now
            {
                warnings.push(Warning::Stale(due));
            }
            if stale.iter().any(|st| st.datasets.contains(&s.id)) {
                warnings.push(Warning::Recompute);
            }
            SourceState {
                id: s.id.clone(),
                last_success: status.last_success_at,
                upstream_updated: current.and_then(|v| v.meta.upstream_updated.clone()),
                next_run: status
                    .next_run_at
                    .filter(|t| *t > now)
                    .or_else(|| crate::schedule::next_after(&s.schedule, now)),
                warnings,
            }
        })
        .collect()
}

/// Each flag letter of a value, with its meaning.
fn flags(t: &Texts, flags: Option<&str>) -> Vec<Value> {
    flags
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| {
            let key = format!("flag.{}", c.to_ascii_lowercase());
            let text = if t.has(&key) {
                t.get(&key).to_owned()
            } else {
                t.get("flag.other").to_owned()
            };
            json!({ "code": c.to_string(), "text": text })
        })
        .collect()
}

/// A value cell: the number as published, written for the language, with period and flags.
fn value_cell(t: &Texts, indicator: &Indicator, r: &IndicatorValue) -> Value {
    let lang = t.lang();
    json!({
        "geo": r.geo,
        "name": style::geo_name(&r.geo, lang),
        "value": r.value,
        "text": r.value.map(|v| t.quantity(v, decimals(v), &indicator.unit)),
        "period": r.period,
        "flags": flags(t, r.flags.as_deref()),
    })
}

/// The rank of a value, said with its group and how many of it had a value.
fn rank_text(t: &Texts, r: &IndicatorValue) -> Option<String> {
    let (key, rank, n) = match (r.rank_eu27, r.rank_capitals) {
        (Some(rank), _) => ("rank.member_states", rank, r.ranked_eu27),
        (None, Some(rank)) => ("rank.capital_regions", rank, r.ranked_capitals),
        (None, None) => return None,
    };
    Some(format!(
        "{} ({})",
        t.fmt(key, &[("rank", &rank.to_string()), ("n", &n.to_string())]),
        r.period
    ))
}

/// A sparkline of `rows` (time order): an SVG polyline in a 120 × 32 box, its last point marked.
fn sparkline(t: &Texts, indicator: &Indicator, rows: &[IndicatorValue]) -> Option<Value> {
    let points: Vec<(i32, f64)> = rows
        .iter()
        .filter_map(|r| Some((r.year?, r.value?)))
        .collect();
    if points.len() < 2 {
        return None;
    }
    let (w, h, pad) = (120.0, 32.0, 3.0);
    let (x0, x1) = (points[0].0, points[points.len() - 1].0);
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let x = |year: i32| {
        if x1 == x0 {
            w / 2.0
        } else {
            pad + f64::from(year - x0) / f64::from(x1 - x0) * (w - 2.0 * pad)
        }
    };
    let y = |v: f64| {
        if hi == lo {
            h / 2.0
        } else {
            pad + (1.0 - (v - lo) / (hi - lo)) * (h - 2.0 * pad)
        }
    };
    let line: Vec<String> = points
        .iter()
        .map(|(year, v)| format!("{:.1},{:.1}", x(*year), y(*v)))
        .collect();
    let (last_year, last) = points[points.len() - 1];
    let first = points[0].1;
    let q = |v: f64| t.quantity(v, decimals(v), &indicator.unit);
    Some(json!({
        "points": line.join(" "),
        "cx": format!("{:.1}", x(last_year)),
        "cy": format!("{:.1}", y(last)),
        "label": format!(
            "{}: {} → {}",
            t.fmt("dashboard.history", &[("from", &x0.to_string()), ("to", &x1.to_string())]),
            q(first),
            q(last)
        ),
    }))
}

/// One indicator on the dashboard: the city's, the country's and the EU's latest values (those
/// the data has rows for), with rank, change and history of the first that has a value.
fn indicator_card(i: &Inputs, t: &Texts, indicator: &Indicator, table: &Table) -> Option<Value> {
    let lang = t.lang();
    let mut cells = Vec::new();
    let mut main: Option<&IndicatorValue> = None;
    for geo in i.trio() {
        let rows = table.rows_of(geo);
        if rows.is_empty() {
            continue;
        }
        match rows.iter().rev().find(|r| r.value.is_some()) {
            Some(r) => {
                main = main.or(Some(r));
                cells.push(value_cell(t, indicator, r));
            }
            None => cells.push(json!({
                "geo": geo, "name": style::geo_name(geo, lang), "value": null, "text": null,
                "period": null, "flags": [],
            })),
        }
    }
    let main = main?;
    let change = match (main.change, &main.previous_period) {
        (Some(c), Some(previous)) => Some(format!(
            "{} {}",
            t.fmt("dashboard.change", &[("period", previous)]),
            t.signed(c, decimals(c))
        )),
        _ => None,
    };
    Some(json!({
        "id": indicator.id,
        "title": indicator.title.get(lang),
        "unit": style::unit(&indicator.unit, lang),
        "href": format!("/indicators/{}?lang={lang}", indicator.id),
        "cells": cells,
        "main_geo": main.geo,
        "rank": rank_text(t, main),
        "change": change,
        "change_value": main.change,
        "spark": sparkline(t, indicator, table.rows_of(&main.geo)),
    }))
}

fn status_view(t: &Texts, status: Status) -> Value {
    let (key, symbol) = match status {
        Status::Reached => ("reached", "★"),
        Status::OnTrack => ("on_track", "✓"),
        Status::AtRisk => ("at_risk", "!"),
        Status::OffTrack => ("off_track", "✗"),
        Status::NoData => ("no_data", "–"),
        Status::NotMeasurable => ("not_measurable", "?"),
    };
    json!({
        "key": key,
        "symbol": symbol,
        "word": t.get(&format!("status.{key}")),
    })
}

/// Why a target is not measured (or what limits it), in the language: the engine's reason with
/// its parameters (an indicator by its title in `definitions`, a geo by its name), never its
/// English note.
pub fn reason(t: &Texts, definitions: &Definitions, reason: &Reason) -> String {
    let lang = t.lang();
    let titled = |id: &str| {
        definitions
            .get(id)
            .map_or_else(|| id.to_owned(), |i| i.title.get(lang).to_owned())
    };
    match reason {
        Reason::NoIndicator { .. } => t.get("reason.no_indicator").to_owned(),
        Reason::UnitMismatch { .. } => t.get("reason.unit_mismatch").to_owned(),
        Reason::TargetNotPublished { source, .. } => {
            t.fmt("reason.target_not_published", &[("source", source)])
        }
        Reason::IndicatorNotLoaded { indicator } => t.fmt(
            "reason.indicator_not_loaded",
            &[("indicator", &titled(indicator))],
        ),
        Reason::NoTable {
            dataset: Some(dataset),
            ..
        } => t.fmt("reason.not_in_store", &[("dataset", dataset)]),
        Reason::NoTable { indicator, .. } => {
            t.fmt("reason.no_table", &[("indicator", &titled(indicator))])
        }
        Reason::NoValue { indicator, geo } => t.fmt(
            "reason.no_value",
            &[
                ("indicator", &titled(indicator)),
                ("geo", &style::geo_name(geo, lang)),
            ],
        ),
        Reason::FewerThanTwoYears {
            indicator,
            from,
            why,
        } => {
            let text = t.fmt(
                "reason.fewer_than_two_years",
                &[
                    ("indicator", &titled(indicator)),
                    ("from", &from.to_string()),
                ],
            );
            // The roadmap file's note on the target is English only (as its `status` and
            // `source`): the English page adds it, the others keep to their language.
            match why {
                Some(why) if lang == "en" => format!("{text}: {why}"),
                _ => text,
            }
        }
    }
}

/// Why a chart is not drawn, in the language. The English page says the chart's own reason; the
/// others say what kind of reason it is (the charts' reasons are English text).
pub fn chart_reason(t: &Texts, error: &crate::charts::ChartError) -> String {
    use crate::charts::ChartError;
    if t.lang() == "en" {
        return error.to_string();
    }
    match error {
        ChartError::Unavailable(_) => t.get("reason.chart_unavailable").to_owned(),
        _ => t.get("reason.chart_not_drawn").to_owned(),
    }
}

/// The chart file that draws the trajectory of `target` of `roadmap` for `geo` (its first geo),
/// when one is shipped.
pub fn shipped_trajectory<'c>(
    charts: &'c [Chart],
    roadmap: &str,
    target: &str,
    geo: &str,
) -> Option<&'c Chart> {
    charts.iter().find(|c| {
        c.kind == Kind::TargetTrajectory
            && c.roadmap.as_deref() == Some(roadmap)
            && c.target.as_deref() == Some(target)
            && c.geos.first().map(String::as_str) == Some(geo)
    })
}

/// The decimals of a roadmap value: at least one (80,0 %), none for a count of whole things
/// (10 000 edge nodes).
fn target_decimals(value: f64, unit: &str) -> usize {
    if crate::indicators::roadmap::counts_whole_things(unit) {
        decimals(value)
    } else {
        decimals(value).max(1)
    }
}

/// One progress row of a roadmap table.
fn progress_row(
    t: &Texts,
    definitions: &Definitions,
    charts: &[Chart],
    roadmap: &Roadmap,
    target: Option<&Target>,
    p: &Progress,
) -> Value {
    let lang = t.lang();
    // The trajectory chart: the chart file drawn for it, else the one on the target's page.
    let trajectory = match shipped_trajectory(charts, &roadmap.id, &p.target, &p.geo) {
        Some(chart) => {
            json!({ "chart": chart.id, "href": format!("/embed/{}?lang={lang}", chart.id) })
        }
        None => json!({
            "chart": null,
            "href": format!("/targets/{}/{}?lang={lang}#trajectory", roadmap.id, p.target),
        }),
    };
    let unit = target.map_or("", |t| t.unit.as_str());
    let m = &p.measures;
    let q = |v: f64| t.quantity(v, target_decimals(v, unit), unit);
    let point = |pt: &Option<crate::indicators::roadmap::Point>| {
        pt.as_ref()
            .map(|pt| format!("{} ({})", q(pt.value), pt.period))
    };
    json!({
        "target": p.target,
        "title": target.map(|tg| tg.title.get(lang)),
        "href": format!("/targets/{}/{}?lang={lang}", roadmap.id, p.target),
        "geo": p.geo,
        "name": style::geo_name(&p.geo, lang),
        "baseline": point(&m.baseline),
        "latest": point(&m.latest),
        "latest_value": m.latest.as_ref().map(|pt| pt.value),
        "target_text": format!("{} ({})", q(p.target_value), p.target_year),
        "covered": m.share_covered.map(|s| t.quantity(s * 100.0, 0, "%")),
        "required": m.required_yearly_change.map(|v| t.signed(v, 2)),
        "actual": m.actual_yearly_change.map(|v| t.signed(v, 2)),
        "projected": m.projected_year,
        "status": status_view(t, m.status),
        "note": p.reason.as_ref().map(|r| reason(t, definitions, r)),
        "reason": p.reason.as_ref().map(Reason::code),
        "trajectory": trajectory,
    })
}

/// The roadmaps' targets for the city, its country and the EU.
fn roadmaps(i: &Inputs, t: &Texts) -> Vec<Value> {
    let lang = t.lang();
    let trio = i.trio();
    let model = i.figures.model();
    model
        .roadmaps
        .iter()
        .filter_map(|r| {
            let roadmap = i.figures.roadmap_definition(&r.id).unwrap_or(r);
            let rows: Vec<Value> = i
                .figures
                .roadmap(&r.id)
                .unwrap_or_default()
                .iter()
                .filter(|p| trio.contains(&p.geo.as_str()))
                .map(|p| {
                    let target = roadmap.targets.iter().find(|tg| tg.id == p.target);
                    progress_row(t, &model.definitions, i.charts, roadmap, target, p)
                })
                .collect();
            (!rows.is_empty()).then(|| {
                json!({
                    "id": roadmap.id,
                    "title": roadmap.title.get(lang),
                    "example": roadmap.example,
                    "source": roadmap.source,
                    "rows": rows,
                })
            })
        })
        .collect()
}

/// The regional scorecard of the capital regions, the city's row marked (a NUTS-2 city only). The
/// rows are the capitals on the city's own scale (its scorecard's `capitals`): another region's
/// scorecard has its own country's regions as peers, so its total and rank are on another scale.
fn scorecard(i: &Inputs, t: &Texts) -> Option<Value> {
    if !regional::is_nuts2(i.geo) {
        return None;
    }
    let lang = t.lang();
    let model = i.figures.model();
    let label = model.regional.as_ref().ok().map(|m| m.label.clone());
    let cards = i.figures.scorecards(&[i.geo.to_owned()]).ok()?;
    let Some((_, Ok(c))) = cards.first() else {
        return Some(json!({ "label": label, "rows": [], "city": null }));
    };
    let city = json!({
        "rank": t.fmt("scorecard.rank_of", &[("rank", &c.rank_capitals.to_string()), ("n", &c.ranked_capitals.to_string())]),
        "total": c.total,
        "total_text": t.number(c.total, 1),
        "country": c.country_total.map(|v| format!(
            "{}: {}",
            t.fmt("scorecard.country_total", &[("country", &style::geo_name(&c.country, lang))]),
            t.number(v, 1)
        )),
        "period": t.fmt("scorecard.period", &[("period", &c.period)]),
    });
    let rows: Vec<Value> = c
        .capitals
        .iter()
        .map(|(geo, total)| {
            // Ties share a rank: 1 + how many are strictly ahead.
            let rank = 1 + c.capitals.iter().filter(|(_, t)| t > total).count();
            json!({
                "geo": geo,
                "name": style::geo_name(geo, lang),
                "rank": rank,
                "total": total,
                "total_text": t.number(*total, 1),
                "period": c.period,
                "here": geo.as_str() == i.geo,
            })
        })
        .collect();
    Some(json!({ "label": label, "rows": rows, "city": city }))
}

/// The country's composite DESI, latest edition of each methodology, with its rank.
fn desi(i: &Inputs, t: &Texts) -> Vec<Value> {
    let country = i.desi_country();
    [(Edition::Desi2022, "desi.m2022"), (Edition::Desi2020, "desi.m2020")]
        .into_iter()
        .map(|(edition, key)| {
            let best = i.figures.desi(edition).and_then(|d| d.as_ref().ok()).and_then(|d| {
                d.scores
                    .iter()
                    .filter(|s| {
                        s.score.geo == country
                            && s.score.level == Level::Desi
                            && s.score.score.is_some()
                    })
                    .max_by_key(|s| s.score.edition)
            });
            match best {
                Some(s) => json!({
                    "methodology": t.get(key),
                    "edition": s.score.edition,
                    "score": s.score.score,
                    "score_text": s.score.score.map(|v| t.number(v, 2)),
                    "rank": s.rank.map(|r| t.fmt("rank.member_states", &[("rank", &r.to_string()), ("n", &s.ranked.to_string())])),
                }),
                None => json!({ "methodology": t.get(key), "edition": null, "score": null }),
            }
        })
        .collect()
}

/// The sources' rows, with their warnings written out.
fn sources(i: &Inputs, t: &Texts, states: &[SourceState]) -> Vec<Value> {
    let lang = t.lang();
    states
        .iter()
        .map(|s| {
            let title = i
                .catalog
                .sources
                .iter()
                .find(|c| c.id == s.id)
                .map(|c| c.title.get(lang).to_owned())
                .unwrap_or_else(|| s.id.clone());
            let warnings: Vec<String> = s
                .warnings
                .iter()
                .map(|w| match w {
                    Warning::Failing(why) => t.fmt("sources.failing", &[("why", why)]),
                    Warning::Stale(due) => t.fmt("sources.stale", &[("date", &t.date(*due))]),
                    Warning::NotFetched => t.get("sources.not_fetched").to_owned(),
                    Warning::Recompute => t.get("sources.recompute").to_owned(),
                })
                .collect();
            json!({
                "id": s.id,
                "title": title,
                "href": format!("/api/v1/datasets/{}", s.id),
                "fetched": i.manifest.datasets.contains_key(&s.id),
                "last_success": s.last_success.map(|d| t.date(d)),
                "upstream": s.upstream_updated.as_deref().map(|d| t.date_text(d)),
                "next": s.next_run.map(|d| t.date(d)),
                "warnings": warnings,
            })
        })
        .collect()
}

/// The dashboard of the city.
pub fn dashboard(
    i: &Inputs,
    t: &Texts,
    states: &[SourceState],
    snapshot: &str,
    modified: Option<DateTime<Utc>>,
) -> Value {
    let lang = t.lang();
    let geo_name = style::geo_name(i.geo, lang);
    let country_name = style::geo_name(i.desi_country(), lang);
    let model = i.figures.model();
    let dimensions: Vec<Value> = DesiDimension::ALL
        .into_iter()
        .map(|dimension| {
            let mut cards = Vec::new();
            let mut missing = Vec::new();
            for indicator in model
                .definitions
                .indicators
                .iter()
                .filter(|ind| ind.dimension == dimension)
            {
                let card = match i.figures.table(&indicator.id) {
                    Some(Ok(table)) => indicator_card(i, t, indicator, table),
                    _ => None,
                };
                match card {
                    Some(card) => cards.push(card),
                    None => missing.push(json!({
                        "title": indicator.title.get(lang),
                        "href": format!("/indicators/{}?lang={lang}", indicator.id),
                    })),
                }
            }
            json!({
                "id": dimension.as_str(),
                "title": dimension.title(lang),
                "count": t.fmt("dashboard.indicators_count", &[("n", &cards.len().to_string())]),
                "indicators": cards,
                "missing": missing,
            })
        })
        .collect();
    json!({
        "title": t.fmt("dashboard.title", &[("geo", &geo_name)]),
        "intro": t.fmt("dashboard.intro", &[("geo", &geo_name), ("country", &country_name)]),
        "data_of": t.fmt("dashboard.data_of", &[
            ("version", snapshot),
            ("date", &modified.map(|d| t.date(d)).unwrap_or_else(|| t.get("sources.never").to_owned())),
        ]),
        "geo": i.geo,
        "geo_name": geo_name,
        "dimensions": dimensions,
        "roadmaps": roadmaps(i, t),
        "scorecard": scorecard(i, t),
        "desi_title": t.fmt("desi.title", &[("country", &country_name)]),
        "desi_intro": t.fmt("desi.intro", &[("country", &country_name)]),
        "desi": desi(i, t),
        "sources": sources(i, t, states),
    })
}

/// A chart shown on a page: its image, text alternative and embed.
#[derive(Debug, Clone, Default)]
pub struct ChartView {
    pub src: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
    /// The chart's embed page, its iframe snippet and data download, when it has a chart file.
    pub embed: Option<String>,
    pub snippet: Option<String>,
    pub data: Option<String>,
    /// The chart file's id and its SVG and PNG, when it has one.
    pub id: Option<String>,
    pub svg: Option<String>,
    pub png: Option<String>,
}

impl ChartView {
    fn json(&self) -> Value {
        json!({
            "src": self.src, "alt": self.alt, "width": self.width, "height": self.height,
            "embed": self.embed, "snippet": self.snippet, "data": self.data,
            "id": self.id, "svg": self.svg, "png": self.png,
        })
    }
}

/// The geos an indicator page shows: the city (regional indicators only), its country, the EU,
/// those the table has rows for.
pub fn indicator_geos(i: &Inputs, indicator: &Indicator, table: Option<&Table>) -> Vec<String> {
    i.trio()
        .into_iter()
        .filter(|g| indicator.is_regional() || g.len() <= 2 || *g == EU_AGGREGATE)
        .filter(|g| table.is_none_or(|t| t.has_geo(g)))
        .map(str::to_owned)
        .collect()
}

/// One indicator's page.
pub fn indicator(
    i: &Inputs,
    t: &Texts,
    indicator: &Indicator,
    chart: Result<ChartView, String>,
    citation: Option<String>,
) -> Value {
    let lang = t.lang();
    let table = i.figures.table(&indicator.id);
    let (table, why) = match table {
        Some(Ok(table)) => (Some(table.as_ref()), None),
        Some(Err(e)) => (
            None,
            Some(match e.as_ref() {
                crate::indicators::IndicatorError::NoData { dataset, .. } => {
                    t.fmt("reason.not_in_store", &[("dataset", dataset)])
                }
                _ => t.fmt("reason.no_table", &[("indicator", &indicator.id)]),
            }),
        ),
        None => (
            None,
            Some(t.fmt("reason.not_in_store", &[("dataset", &indicator.source)])),
        ),
    };
    let geos = indicator_geos(i, indicator, table);
    let mut rows = Vec::new();
    let mut seen_flags = std::collections::BTreeMap::new();
    if let Some(table) = table {
        for geo in &geos {
            for r in table.rows_of(geo) {
                let cell = value_cell(t, indicator, r);
                for f in cell["flags"].as_array().into_iter().flatten() {
                    seen_flags.insert(
                        f["code"].as_str().unwrap_or_default().to_owned(),
                        f["text"].clone(),
                    );
                }
                rows.push(json!({
                    "cell": cell,
                    "eu": r.eu_value.map(|v| t.quantity(v, decimals(v), &indicator.unit)),
                    "rank": rank_text(t, r),
                    "change": r.change.map(|c| t.signed(c, decimals(c))),
                }));
            }
        }
    }
    let source = i.catalog.sources.iter().find(|s| s.id == indicator.source);
    let version = i
        .manifest
        .datasets
        .get(&indicator.source)
        .and_then(|e| e.current_version());
    let geo_list = geos.join(",");
    let geo_names: Vec<String> = geos.iter().map(|g| style::geo_name(g, lang)).collect();
    let series = format!("/api/v1/indicators/{}/series?geo={geo_list}", indicator.id);
    let downloads = table.filter(|_| !geos.is_empty()).map(|_| {
        json!({
            "csv": format!("{series}&format=csv"),
            "jsonstat": format!("{series}&format=jsonstat"),
            "parquet": version.map(|_| format!("/api/v1/datasets/{}.parquet", indicator.source)),
        })
    });
    json!({
        "id": indicator.id,
        "title": indicator.title.get(lang),
        "description": indicator.description.get(lang),
        "unit": style::unit(&indicator.unit, lang),
        "dimension": indicator.dimension.title(lang),
        "dataset": indicator.source,
        "dataset_title": source.map(|s| s.title.get(lang)),
        "dataset_href": format!("/api/v1/datasets/{}", indicator.source),
        "code": indicator.eurostat_code,
        "licence": source.map(|s| s.licence.as_str()),
        "licence_url": source.map(|s| s.licence_url.as_str()),
        "attribution": source.map(|s| s.attribution.as_str()),
        "higher_is_better": indicator.higher_is_better,
        "version": version.map(|v| v.version.as_str()),
        "upstream": version.and_then(|v| v.meta.upstream_updated.as_deref()).map(|d| t.date_text(d)),
        "caption": t.fmt("indicator.caption", &[("title", indicator.title.get(lang)), ("geos", &geo_names.join(", "))]),
        "rows": rows,
        "flags": seen_flags.into_iter().map(|(code, text)| json!({"code": code, "text": text})).collect::<Vec<_>>(),
        "no_data": why.map(|w| t.fmt("indicator.no_data", &[("why", &w)])),
        "chart": chart.as_ref().ok().map(ChartView::json),
        "chart_missing": chart.err(),
        "downloads": downloads,
        "citation": citation,
    })
}

/// One roadmap target's page: its definition, progress per geo and trajectory charts.
pub fn target(
    t: &Texts,
    definitions: &Definitions,
    charts_files: &[Chart],
    roadmap: &Roadmap,
    target: &Target,
    progress: &[Progress],
    charts: Vec<(String, Result<ChartView, String>)>,
) -> Value {
    let lang = t.lang();
    let unit = target.unit.as_str();
    let rows: Vec<Value> = progress
        .iter()
        .filter(|p| p.target == target.id)
        .map(|p| progress_row(t, definitions, charts_files, roadmap, Some(target), p))
        .collect();
    json!({
        "title": t.fmt("target.title", &[("title", target.title.get(lang))]),
        "roadmap": roadmap.title.get(lang),
        "example": roadmap.example,
        "value": t.quantity(target.value, target_decimals(target.value, unit), unit),
        "unit": style::unit(unit, lang),
        "year": target.year,
        "source": target.source,
        "source_url": target.source_url,
        "indicator": target.indicator.as_ref().filter(|id| !id.is_empty()).map(|id| json!({
            "id": id,
            "href": format!("/indicators/{id}?lang={lang}"),
        })),
        "rows": rows,
        "charts": charts.into_iter().map(|(geo, c)| json!({
            "geo": style::geo_name(&geo, lang),
            "chart": c.as_ref().ok().map(ChartView::json),
            "missing": c.err().map(|why| t.fmt("target.no_chart", &[("why", &why)])),
        })).collect::<Vec<_>>(),
    })
}

/// The accessibility statement.
pub fn accessibility(t: &Texts) -> Value {
    let (y, m, d) = super::STATEMENT_DATE;
    let day = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    json!({ "date": t.fmt("accessibility.date", &[("date", &t.day(day))]) })
}

/// An error page: status, title and what to do (the problem's detail).
pub fn error(t: &Texts, status: u16, title: &str, detail: &str) -> Value {
    json!({
        "status": status,
        "title": t.fmt("error.title", &[("status", &status.to_string()), ("title", title)]),
        "detail": detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_reason() -> Vec<Reason> {
        vec![
            Reason::NoIndicator {
                status: "no indicator yet".into(),
                note: Some("no coverage dataset".into()),
            },
            Reason::UnitMismatch {
                problem: "the target is a count but indicator x is a percentage".into(),
            },
            Reason::TargetNotPublished {
                source: "desi".into(),
                problem: "dataset desi is not in the store".into(),
            },
            Reason::IndicatorNotLoaded {
                indicator: "ict_specialists".into(),
            },
            Reason::NoTable {
                indicator: "gigabit_coverage".into(),
                dataset: Some("desi".into()),
                problem: "dataset desi is not in the store.".into(),
            },
            Reason::NoTable {
                indicator: "gigabit_coverage".into(),
                dataset: None,
                problem: "DuckDB failed: out of memory".into(),
            },
            Reason::NoValue {
                indicator: "households_internet_access".into(),
                geo: "BE10".into(),
            },
            Reason::FewerThanTwoYears {
                indicator: "basic_digital_skills_desi".into(),
                from: 2020,
                why: None,
            },
            Reason::FewerThanTwoYears {
                indicator: "enterprises_ai_cloud_data_analytics".into(),
                from: 2020,
                why: Some("the KPI is published for data year 2025 only".into()),
            },
        ]
    }

    /// The default settings and the model of the shipped definitions.
    fn shipped_model() -> (crate::config::Settings, crate::indicators::model::Model) {
        let settings = crate::config::Settings::default();
        let catalog = crate::catalog::Catalog::load(settings.datasets()).unwrap();
        let model = crate::indicators::model::Model::load(
            &catalog,
            &crate::indicators::model::Folders::of(&settings),
        )
        .unwrap();
        (settings, model)
    }

    #[test]
    fn every_reason_is_written_in_french_dutch_and_german_never_in_the_engines_english() {
        let pages = super::super::Pages::load().unwrap();
        let (_, model) = shipped_model();
        let d = &model.definitions;
        for r in every_reason() {
            let english = r.to_string();
            let mut seen = std::collections::BTreeSet::new();
            for lang in ["fr", "nl", "de"] {
                let text = reason(pages.texts(lang), d, &r);
                assert!(!text.is_empty() && !text.contains('{'), "{lang}: {text}");
                assert_ne!(text, english, "{lang}");
                assert!(!text.contains(&english), "{lang}: {text}");
                seen.insert(text.clone());
                // The parameters are kept (a geo by its name in the language).
                match &r {
                    Reason::FewerThanTwoYears {
                        indicator, from, ..
                    } => {
                        // The indicator by its title in the language.
                        let title = d.get(indicator).unwrap().title.get(lang);
                        assert!(
                            text.contains(title) && text.contains(&from.to_string()),
                            "{text}"
                        );
                    }
                    Reason::NoValue { geo, .. } => {
                        assert!(text.contains(&style::geo_name(geo, lang)), "{text}");
                    }
                    Reason::NoTable {
                        dataset: Some(d), ..
                    } => assert!(text.contains(d.as_str()), "{text}"),
                    _ => {}
                }
            }
            assert_eq!(seen.len(), 3, "three languages, three texts: {seen:?}");
        }
        // An indicator the definitions do not hold keeps its id.
        let r = Reason::FewerThanTwoYears {
            indicator: "no_such_indicator".into(),
            from: 2020,
            why: None,
        };
        assert_eq!(reason(pages.texts("en"), d, &r), r.to_string());
    }

    #[test]
    fn a_shipped_trajectory_chart_is_found_by_its_roadmap_target_and_geo() {
        let (settings, model) = shipped_model();
        let charts = crate::charts::Charts::load(&settings.charts(), &model);
        let found = |r, t, g| shipped_trajectory(&charts.charts, r, t, g).map(|c| c.id.as_str());
        assert_eq!(
            found("eu-digital-decade-2030", "ict-specialists", "EU27_2020"),
            Some("ict-specialists-trajectory")
        );
        assert_eq!(
            found(
                "brussels-capital-example",
                "households-internet-access",
                "BE10"
            ),
            Some("internet-access-brussels-trajectory")
        );
        assert_eq!(
            found("eu-digital-decade-2030", "ict-specialists", "BE"),
            None
        );
    }
}
