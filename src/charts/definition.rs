//! Chart definitions: `charts/*.toml`, one file per chart (what to draw: the type, the indicator,
//! roadmap target or composite it shows, the default geos and period, titles per language). A file
//! that does not load is a [`ChartError`] naming the file, the key and the fix, and the other
//! charts keep working. Must not read the store: files in, definitions out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ChartError;
use crate::catalog::{Folder, Texts};

/// The kinds of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Lines for the city, its country and the EU, labelled at their ends.
    TimeSeries,
    /// The member states (or the capital regions) for one period, the asked geo and the EU marked.
    RankingBar,
    /// The five DESI dimensions of a geo against the EU (EU = 100).
    DimensionProfile,
    /// A roadmap target: history, trajectory, the path required, the target and its year.
    TargetTrajectory,
    /// The Commission's composite DESI of the member states, stacked by dimension.
    CompositeDesi,
    /// A regional indicator over the NUTS-2 regions for one period: a choropleth.
    Map,
}

/// How a map's values are cut into classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classing {
    /// Jenks natural breaks (the default).
    Natural,
    /// As many regions in each class.
    Quantiles,
}

impl Classing {
    pub fn as_str(self) -> &'static str {
        match self {
            Classing::Natural => "natural",
            Classing::Quantiles => "quantiles",
        }
    }
}

/// The number of classes a map may have (`classes`, default 5).
pub const CLASSES: std::ops::RangeInclusive<usize> = 3..=7;

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::TimeSeries,
        Kind::RankingBar,
        Kind::DimensionProfile,
        Kind::TargetTrajectory,
        Kind::CompositeDesi,
        Kind::Map,
    ];

    /// The `type` of a chart file.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TimeSeries => "time-series",
            Kind::RankingBar => "ranking-bar",
            Kind::DimensionProfile => "dimension-profile",
            Kind::TargetTrajectory => "target-trajectory",
            Kind::CompositeDesi => "composite-desi",
            Kind::Map => "map",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One chart, as its file defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub id: String,
    pub kind: Kind,
    /// The indicator of `indicators/` (time series, ranking bar).
    pub indicator: Option<String>,
    /// The roadmap and target (target trajectory).
    pub roadmap: Option<String>,
    pub target: Option<String>,
    /// `2022` or `2020` (composite DESI).
    pub methodology: Option<String>,
    /// A map's classes: how many, and how cut.
    pub classes: usize,
    pub classing: Classing,
    /// The default geos: the first is the one a ranking, profile or trajectory is about.
    pub geos: Vec<String>,
    /// The default first and last year (for a ranking bar or a composite, `to` is the period
    /// shown; default the latest).
    pub from: Option<i32>,
    pub to: Option<i32>,
    /// Titles and subtitles per language; without a title, the indicator's (or target's).
    pub title: Option<Texts>,
    pub subtitle: Option<Texts>,
    pub notes: Option<Texts>,
    /// Width and height by default, in px.
    pub width: u32,
    pub height: u32,
    pub file: PathBuf,
}

/// The shape of a chart file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    indicator: Option<String>,
    roadmap: Option<String>,
    target: Option<String>,
    methodology: Option<String>,
    classes: Option<usize>,
    breaks: Option<String>,
    #[serde(default)]
    geos: Vec<String>,
    from: Option<i32>,
    to: Option<i32>,
    title: Option<Texts>,
    subtitle: Option<Texts>,
    notes: Option<Texts>,
    width: Option<u32>,
    height: Option<u32>,
}

/// Sizes a chart may be drawn at, in px (`?w=`, `?h=`, and a file's `width`/`height`).
pub const SIZES: std::ops::RangeInclusive<u32> = 320..=2400;

/// Every chart file of `dir` (`*.toml`, sorted by name), each loaded or why not.
pub fn load_dir(dir: &Folder) -> Result<Vec<Result<Chart, ChartError>>, ChartError> {
    let files = dir.toml_files().map_err(|source| ChartError::Folder {
        dir: dir.label().to_path_buf(),
        source,
    })?;
    Ok(files
        .iter()
        .map(|name| {
            let file = dir.path(name);
            let text = dir
                .read_to_string(name)
                .map_err(|source| ChartError::Read {
                    file: file.clone(),
                    source,
                })?;
            parse(&file, &text)
        })
        .collect())
}

fn invalid(file: &Path, key: &str, fix: impl Into<String>) -> ChartError {
    ChartError::Invalid {
        file: file.to_path_buf(),
        key: key.to_owned(),
        fix: fix.into(),
    }
}

/// Parses one chart file. Checks what needs no other file: the id against the file name, the
/// type, the keys its type needs, the geo codes and the sizes.
pub fn parse(file: &Path, text: &str) -> Result<Chart, ChartError> {
    let raw: File = toml::from_str(text).map_err(|e| ChartError::Toml {
        file: file.to_path_buf(),
        message: e.message().to_owned(),
        key: e
            .span()
            .and_then(|s| text.get(s))
            .map(|s| s.trim().chars().take(40).collect())
            .unwrap_or_default(),
    })?;
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if raw.id != stem {
        return Err(invalid(
            file,
            "id",
            format!(
                "the id {:?} must equal the file name without .toml ({stem:?}): rename the file or the id",
                raw.id
            ),
        ));
    }
    if raw.id.is_empty()
        || !raw
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(invalid(
            file,
            "id",
            "use lower-case letters, digits, `-` and `_` only",
        ));
    }
    let kind = Kind::parse(&raw.kind).ok_or_else(|| {
        invalid(
            file,
            "type",
            format!(
                "{:?} is not a chart type; use one of: {}",
                raw.kind,
                Kind::ALL.map(Kind::as_str).join(", ")
            ),
        )
    })?;
    let need = |key: &str, value: &Option<String>, example: &str| {
        if value.as_deref().is_none_or(str::is_empty) {
            Err(invalid(
                file,
                key,
                format!("a {} chart needs it, e.g. {key} = {example}", kind.as_str()),
            ))
        } else {
            Ok(())
        }
    };
    match kind {
        Kind::TimeSeries | Kind::RankingBar => need(
            "indicator",
            &raw.indicator,
            "\"households_internet_access\"",
        )?,
        Kind::Map => need(
            "indicator",
            &raw.indicator,
            "\"households_internet_access_regional\"",
        )?,
        Kind::TargetTrajectory => {
            need("roadmap", &raw.roadmap, "\"eu-digital-decade-2030\"")?;
            need("target", &raw.target, "\"ict-specialists\"")?;
        }
        Kind::CompositeDesi => {
            need("methodology", &raw.methodology, "\"2022\"")?;
            if !matches!(raw.methodology.as_deref(), Some("2022" | "2020")) {
                return Err(invalid(file, "methodology", "use \"2022\" or \"2020\""));
            }
        }
        Kind::DimensionProfile => {}
    }
    if matches!(kind, Kind::DimensionProfile | Kind::TargetTrajectory) && raw.geos.is_empty() {
        return Err(invalid(
            file,
            "geos",
            "name the geo the chart is about, e.g. geos = [\"BE10\"]",
        ));
    }
    for geo in &raw.geos {
        if !crate::catalog::geo::is_geo_code(geo) {
            return Err(invalid(
                file,
                "geos",
                format!(
                    "{geo:?} is not a geo code; write them as Eurostat does, e.g. \"BE10\", \"BE\", \"EU27_2020\""
                ),
            ));
        }
    }
    if let (Some(from), Some(to)) = (raw.from, raw.to)
        && from > to
    {
        return Err(invalid(
            file,
            "from",
            format!("from = {from} is after to = {to}"),
        ));
    }
    for (key, given) in [
        ("classes", raw.classes.is_some()),
        ("breaks", raw.breaks.is_some()),
    ] {
        if given && kind != Kind::Map {
            return Err(invalid(
                file,
                key,
                format!(
                    "only a map has classes; remove {key} from this {} chart",
                    kind.as_str()
                ),
            ));
        }
    }
    let classes = raw.classes.unwrap_or(5);
    if !CLASSES.contains(&classes) {
        return Err(invalid(
            file,
            "classes",
            format!(
                "{classes} classes cannot be told apart or are too few; use {} to {}",
                CLASSES.start(),
                CLASSES.end()
            ),
        ));
    }
    let classing = match raw.breaks.as_deref() {
        None | Some("natural") => Classing::Natural,
        Some("quantiles") => Classing::Quantiles,
        Some(other) => {
            return Err(invalid(
                file,
                "breaks",
                format!(
                    "{other:?} is not a way to cut classes; use \"natural\" (Jenks) or \"quantiles\""
                ),
            ));
        }
    };
    for (key, size) in [("width", raw.width), ("height", raw.height)] {
        if let Some(size) = size
            && !SIZES.contains(&size)
        {
            return Err(invalid(
                file,
                key,
                format!(
                    "{size} px is out of bounds; use {} to {}",
                    SIZES.start(),
                    SIZES.end()
                ),
            ));
        }
    }
    Ok(Chart {
        id: raw.id,
        kind,
        indicator: raw.indicator,
        roadmap: raw.roadmap,
        target: raw.target,
        methodology: raw.methodology,
        classes,
        classing,
        geos: raw.geos,
        from: raw.from,
        to: raw.to,
        title: raw.title,
        subtitle: raw.subtitle,
        notes: raw.notes,
        width: raw.width.unwrap_or(800),
        height: raw.height.unwrap_or(500),
        file: file.to_path_buf(),
    })
}

/// What the definitions name that the model must know: checked once every file is loaded.
pub fn check_references(
    chart: &Chart,
    model: &crate::indicators::model::Model,
) -> Result<(), ChartError> {
    let file = &chart.file;
    if let Some(id) = &chart.indicator {
        let Some(indicator) = model.definitions.get(id) else {
            return Err(invalid(
                file,
                "indicator",
                format!(
                    "there is no indicator {id:?} in indicators/; use the name of one of its files without .toml"
                ),
            ));
        };
        if chart.kind == Kind::Map && !indicator.is_regional() {
            return Err(invalid(
                file,
                "indicator",
                format!(
                    "{id:?} has no NUTS-2 values (its geo_levels lack \"nuts2\"); a map needs a regional indicator, e.g. \"households_internet_access_regional\""
                ),
            ));
        }
    }
    if let Some(id) = &chart.roadmap {
        let Some(roadmap) = model.roadmaps.iter().find(|r| &r.id == id) else {
            return Err(invalid(
                file,
                "roadmap",
                format!("there is no roadmap {id:?} in indicators/roadmaps/"),
            ));
        };
        if let Some(target) = &chart.target
            && !roadmap.targets.iter().any(|t| &t.id == target)
        {
            let ids: BTreeMap<&str, ()> = roadmap
                .targets
                .iter()
                .map(|t| (t.id.as_str(), ()))
                .collect();
            return Err(invalid(
                file,
                "target",
                format!(
                    "roadmap {id:?} has no target {target:?}; use one of: {}",
                    ids.keys().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(name: &str, text: &str) -> Result<Chart, ChartError> {
        parse(Path::new(&format!("charts/{name}.toml")), text)
    }

    #[test]
    fn a_time_series_file_loads_with_its_defaults() {
        let chart = parse_text(
            "internet",
            "id = \"internet\"\ntype = \"time-series\"\nindicator = \"households_internet_access\"\ngeos = [\"BE\", \"EU27_2020\"]\nfrom = 2015\n",
        )
        .unwrap();
        assert_eq!(chart.kind, Kind::TimeSeries);
        assert_eq!(chart.geos, ["BE", "EU27_2020"]);
        assert_eq!((chart.width, chart.height), (800, 500));
    }

    #[test]
    fn a_bad_file_names_the_file_the_key_and_the_fix() {
        let e = parse_text("x", "id = \"x\"\ntype = \"pie\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("charts/x.toml") && e.contains("type") && e.contains("time-series"));
        let map = parse_text("x", "id = \"x\"\ntype = \"map\"\nindicator = \"a\"\n").unwrap();
        assert_eq!(
            (map.kind, map.classes, map.classing),
            (Kind::Map, 5, Classing::Natural)
        );
        let e = parse_text(
            "x",
            "id = \"x\"\ntype = \"map\"\nindicator = \"a\"\nclasses = 12\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("classes") && e.contains("3 to 7"), "{e}");
        let e = parse_text(
            "x",
            "id = \"x\"\ntype = \"map\"\nindicator = \"a\"\nbreaks = \"equal\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("breaks") && e.contains("quantiles"), "{e}");
        let e = parse_text("x", "id = \"x\"\ntype = \"map\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("indicator") && e.contains("needs it"), "{e}");
        let e = parse_text(
            "x",
            "id = \"x\"\ntype = \"ranking-bar\"\nindicator = \"a\"\nclasses = 4\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("classes") && e.contains("only a map"), "{e}");
        let e = parse_text("x", "id = \"y\"\ntype = \"time-series\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"id\"") && e.contains("file name"), "{e}");
        let e = parse_text("x", "id = \"x\"\ntype = \"time-series\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("indicator") && e.contains("needs it"), "{e}");
        let e = parse_text(
            "x",
            "id = \"x\"\ntype = \"ranking-bar\"\nindicator = \"a\"\nwidth = 100\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("width") && e.contains("320 to 2400"), "{e}");
        let e = parse_text("x", "id = \"x\"\ntype = \"time-series\"\ncolour = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("charts/x.toml") && e.contains("colour"), "{e}");
        let e = parse_text(
            "x",
            "id = \"x\"\ntype = \"composite-desi\"\nmethodology = \"2019\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("methodology") && e.contains("\"2022\""), "{e}");
    }
}
