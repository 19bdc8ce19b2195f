//! `desi-city compute --geo GEO[,GEO…]`: for each geo, the five DESI dimensions with their
//! indicators (latest value, period, flags, EU27 value, rank, change) and, for a NUTS-2 region, the
//! desi-city regional scorecard (own method, not the Commission's DESI), and (table only) the
//! progress towards the roadmaps of `indicators/roadmaps/`. Prints only: every number comes from
//! `desi_city::indicators`.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};

use desi_city::config::Settings;
use desi_city::indicators::figures::{Figures, Unavailable};
use desi_city::indicators::model::{Folders, Model};
use desi_city::indicators::regional::{self, Scorecard};
use desi_city::indicators::{IndicatorError, definitions, roadmap, values};

use super::{DesiFormat, LangArg, load_catalog, load_definitions, new_table, open_store};

/// The columns of `--format csv` (`rank_group`: among whom `rank` and `ranked` count).
const CSV_COLUMNS: [&str; 13] = [
    "geo",
    "section",
    "dimension",
    "code",
    "period",
    "value",
    "flags",
    "eu27_value",
    "rank",
    "ranked",
    "change",
    "country_value",
    "rank_group",
];
/// The `section` of the scorecard's CSV rows: its name says it is desi-city's own method.
const SCORECARD_SECTION: &str = "desi-city-regional-scorecard-own-method";

/// Why a line or a scorecard of the report has nothing to show.
#[derive(Debug, thiserror::Error)]
enum Missing {
    #[error("{}", unavailable(.0))]
    Unavailable(Unavailable),
    #[error("{}", desi_city::commands::with_fix(.0))]
    Engine(#[source] Arc<IndicatorError>),
    #[error("no scorecard was computed for this region")]
    NoScorecard,
}

/// Why an indicator has no value, with the command that loads a dataset not fetched yet.
fn unavailable(why: &Unavailable) -> String {
    match why {
        Unavailable::NotFetched { dataset } => format!(
            "{why} (`desi-city fetch {dataset}`, or `desi-city import FILE --dataset {dataset}`)"
        ),
        Unavailable::Failed(error) => desi_city::commands::with_fix(error),
        _ => why.to_string(),
    }
}

/// The latest value of one indicator for one geo, or why there is none.
struct Line {
    indicator: definitions::Indicator,
    latest: std::result::Result<Option<values::IndicatorValue>, Missing>,
}

/// Everything printed for one geo.
struct Report {
    geo: String,
    lines: Vec<Line>,
    scorecard: Option<std::result::Result<Scorecard, Missing>>,
    /// Progress towards the roadmap targets that name the geo.
    roadmap: Vec<roadmap::Progress>,
}

pub(super) fn compute_cmd(
    settings: &Settings,
    geos: &[String],
    lang: LangArg,
    format: DesiFormat,
) -> Result<ExitCode> {
    let catalog = load_catalog(settings)?;
    let folders = Folders::of(settings);
    // The same message the indicator list gives when the folder cannot be read.
    load_definitions(&folders.indicators, &catalog)?;
    let model = Model::load(&catalog, &folders).context("Failed to load the geo groups")?;
    for error in &model.definitions.errors {
        eprintln!("warning: indicator skipped: {error}");
    }
    let store = open_store(settings)?;
    let figures = Figures::build(Arc::new(model), &store, None);
    let model = figures.model();

    // Every geo the store holds for the indicators' sources: an unknown geo is refused up front.
    let mut known = BTreeSet::new();
    for indicator in &model.definitions.indicators {
        if let Some(Ok(table)) = figures.table(&indicator.id) {
            known.extend(table.geos().into_iter().map(str::to_owned));
        }
    }
    for geo in geos {
        if !known.contains(geo) {
            if known.is_empty() {
                bail!(
                    "Geo {geo:?} is not in the store, which holds no indicator data yet. Fetch the indicators' sources first (`desi-city fetch`)."
                );
            }
            bail!(
                "Geo {geo:?} is not in the store. The store has: {}.",
                known.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
    }

    let mut reports = Vec::new();
    for geo in geos {
        let lines = figures
            .dimensions(geo, None)
            .into_iter()
            .flat_map(|card| card.lines)
            .map(|latest| Line {
                indicator: latest.indicator.clone(),
                latest: match latest.value {
                    Ok((v, _)) => Ok(Some(v.clone())),
                    Err(Unavailable::NoValue { .. }) => Ok(None),
                    Err(why) => Err(Missing::Unavailable(why)),
                },
            })
            .collect();
        let scorecard =
            regional::is_nuts2(geo).then(|| match figures.scorecards(std::slice::from_ref(geo)) {
                Ok(mut cards) => match cards.pop() {
                    Some((_, Ok(card))) => Ok(card.as_ref().clone()),
                    Some((_, Err(e))) => Err(Missing::Engine(e)),
                    None => Err(Missing::NoScorecard),
                },
                Err(e) => Err(Missing::Engine(Arc::new(e))),
            });
        // A target is shown only for the geos it names.
        let roadmap = model
            .roadmaps
            .iter()
            .flat_map(|r| figures.roadmap(&r.id).unwrap_or_default())
            .filter(|p| &p.geo == geo)
            .cloned()
            .collect();
        reports.push(Report {
            geo: geo.clone(),
            lines,
            scorecard,
            roadmap,
        });
    }

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        DesiFormat::Csv => write_csv(&mut out, &reports),
        DesiFormat::Table => reports
            .iter()
            .try_for_each(|r| write_table(&mut out, r, lang)),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("Failed to write the output"),
    }
}

fn num(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The rank shown for a geo: among the capital regions for a region, the member states
/// otherwise; with how many of that group had a value, and the group's name.
fn rank(v: &values::IndicatorValue) -> (Option<u32>, u32, &'static str) {
    if v.rank_capitals.is_some() {
        (v.rank_capitals, v.ranked_capitals, "capital regions")
    } else {
        (v.rank_eu27, v.ranked_eu27, "member states")
    }
}

fn write_csv(out: &mut impl Write, reports: &[Report]) -> std::io::Result<()> {
    let mut w = desi_city::api::encode::csv_writer(out);
    w.write_record(CSV_COLUMNS)?;
    for report in reports {
        for line in &report.lines {
            let Ok(Some(v)) = &line.latest else {
                continue;
            };
            let (r, n, group) = rank(v);
            w.write_record([
                report.geo.as_str(),
                "indicator",
                line.indicator.dimension.as_str(),
                &line.indicator.id,
                &v.period,
                &num(v.value),
                v.flags.as_deref().unwrap_or_default(),
                &num(v.eu_value),
                &r.map(|r| r.to_string()).unwrap_or_default(),
                &r.map(|_| n.to_string()).unwrap_or_default(),
                &num(v.change),
                "",
                if r.is_some() { group } else { "" },
            ])?;
        }
        let Some(Ok(card)) = &report.scorecard else {
            continue;
        };
        let period = card.period.to_string();
        for i in &card.indicators {
            w.write_record([
                card.geo.as_str(),
                SCORECARD_SECTION,
                i.dimension.as_str(),
                &i.indicator,
                &period,
                &i.score.to_string(),
                "",
                "",
                "",
                "",
                "",
                &num(i.country_score),
                "",
            ])?;
        }
        for d in &card.dimensions {
            w.write_record([
                card.geo.as_str(),
                SCORECARD_SECTION,
                d.dimension.as_str(),
                d.dimension.as_str(),
                &period,
                &d.score.to_string(),
                "",
                "",
                "",
                "",
                "",
                &num(d.country_score),
                "",
            ])?;
        }
        w.write_record([
            card.geo.as_str(),
            SCORECARD_SECTION,
            "total",
            "total",
            &period,
            &card.total.to_string(),
            "",
            "",
            &card.rank_capitals.to_string(),
            &card.ranked_capitals.to_string(),
            "",
            &num(card.country_total),
            "capital regions",
        ])?;
    }
    w.flush()
}

fn write_table(out: &mut impl Write, report: &Report, lang: LangArg) -> std::io::Result<()> {
    writeln!(out, "{}", report.geo)?;
    let mut table = new_table([
        "dimension",
        "indicator",
        "period",
        "value",
        "flags",
        "EU27",
        "rank",
        "change",
    ]);
    for line in &report.lines {
        let title = line.indicator.title.get(lang.code()).to_owned();
        let dimension = line.indicator.dimension.as_str().to_owned();
        match &line.latest {
            Ok(Some(v)) => {
                let (r, n, group) = rank(v);
                table.add_row([
                    dimension,
                    title,
                    v.period.clone(),
                    num(v.value),
                    v.flags.clone().unwrap_or_default(),
                    num(v.eu_value),
                    r.map(|r| format!("{r} of {n} {group}")).unwrap_or_default(),
                    v.change.map(|c| format!("{c:+.2}")).unwrap_or_default(),
                ]);
            }
            Ok(None) => {
                table.add_row([dimension, title, "no value".to_owned()]);
            }
            Err(e) => {
                // The first sentence only (the full error names the fix): keep the table narrow.
                let e = e.to_string();
                let short = e.split(". ").next().unwrap_or(&e);
                table.add_row([dimension, title, format!("unavailable: {short}")]);
            }
        }
    }
    writeln!(out, "{table}")?;
    match &report.scorecard {
        None => {}
        Some(Err(e)) => writeln!(out, "{}: unavailable: {e}", regional::LABEL)?,
        Some(Ok(card)) => {
            writeln!(out, "{}, {} ({}):", card.label, card.geo, card.period)?;
            let mut table = new_table([
                "dimension / indicator",
                "value",
                "peer min–max",
                "score 0–100",
                format!("{} score", card.country).as_str(),
            ]);
            let two = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
            for d in &card.dimensions {
                table.add_row([
                    d.dimension.clone(),
                    String::new(),
                    String::new(),
                    two(Some(d.score)),
                    two(d.country_score),
                ]);
                for i in card
                    .indicators
                    .iter()
                    .filter(|i| i.dimension == d.dimension)
                {
                    table.add_row([
                        format!("  {}", i.indicator),
                        num(Some(i.value)),
                        format!("{}–{} ({} peers)", i.min, i.max, i.peers),
                        two(Some(i.score)),
                        two(i.country_score),
                    ]);
                }
            }
            table.add_row([
                "total".to_owned(),
                String::new(),
                format!(
                    "rank {} of {} capital regions scored",
                    card.rank_capitals, card.ranked_capitals
                ),
                two(Some(card.total)),
                two(card.country_total),
            ]);
            writeln!(out, "{table}")?;
            if !card.missing.is_empty() {
                writeln!(out, "not scored (no data): {}", card.missing.join(", "))?;
            }
            writeln!(
                out,
                "Method: indicators/regional/scorecard.toml (see its README.md)."
            )?;
        }
    }
    match &report.roadmap {
        progress if !progress.is_empty() => {
            writeln!(out, "Roadmap progress (details: `desi-city roadmap`):")?;
            let mut table = new_table(["roadmap", "target", "latest", "target value", "status"]);
            for p in progress {
                let latest = p
                    .measures
                    .latest
                    .as_ref()
                    .map(|l| format!("{} ({})", l.value, l.period))
                    .unwrap_or_default();
                table.add_row([
                    p.roadmap.clone(),
                    p.target.clone(),
                    latest,
                    format!("{} by {}", p.target_value, p.target_year),
                    p.measures.status.as_str().to_owned(),
                ]);
            }
            writeln!(out, "{table}")?;
        }
        _ => writeln!(out, "roadmap progress: see `desi-city roadmap`")?,
    }
    writeln!(out)
}
