//! Charts rendered on the server: the definitions of `charts/` ([`definition`]), what each plots,
//! selected from one snapshot's figures ([`prepare`]), drawn with plotters into SVG ([`draw`],
//! in the bundled font and the themes of [`style`]), described in words ([`words`]: the alt text
//! and the data table), and rasterised to PNG from that same SVG with resvg (anti-aliased, the
//! same font). Knows nothing of HTTP: figures in, bytes and words out. [`map`]: the NUTS-2
//! choropleth, drawn over the GISCO shapes of `crate::geo`. [`place`]: labels put where they
//! touch no line, marker or other label.

pub mod definition;
pub mod draw;
pub mod map;
pub mod place;
pub mod prepare;
pub mod raster;
pub mod style;
pub mod words;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;

pub use definition::{Chart, Kind, SIZES};
pub use prepare::{Ask, Prepared};
pub use style::Theme;

use crate::catalog::Folder;
use crate::indicators::model::Model;

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error(
        "{dir}: the charts folder could not be read ({source}). Check the path (charts_dir or DESI_CITY_CHARTS_DIR)."
    )]
    Folder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: could not be read ({source})")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not valid TOML near {key:?}: {message}. See charts/README.md for the keys.")]
    Toml {
        file: PathBuf,
        key: String,
        message: String,
    },
    #[error("{file}: key \"{key}\": {fix}.")]
    Invalid {
        file: PathBuf,
        key: String,
        fix: String,
    },
    /// A request parameter the data cannot answer: the client's error.
    #[error("{parameter}: {detail}")]
    Parameter {
        parameter: &'static str,
        detail: String,
    },
    /// The data is not there (yet): why, typed, for the caller to word.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// The store could not be read.
    #[error("the store could not be read")]
    Store(#[from] crate::store::StoreError),
    #[error("the chart could not be drawn")]
    Render(#[from] RenderError),
}

/// Why a chart cannot be drawn from the data there is. The engine's reason, typed and worded
/// without any command: the API, the embed page and the HTML pages word it (the API says what
/// loads a dataset not fetched yet; a page may translate each variant).
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// A dataset the chart draws from is not in the store yet; `load` is how it gets there.
    #[error("the data of this chart ({dataset}) has not been fetched yet")]
    NotFetched {
        dataset: String,
        load: crate::indicators::Load,
    },
    /// A definition the chart names did not load (its problem is listed where the definition
    /// problems are): `what` is e.g. "indicator x", "roadmap y", "the DESI 2022 methodology".
    #[error("{what} is not loaded")]
    NotLoaded { what: String },
    /// The engine could not compute what the chart draws (`what`: e.g. "the figures of indicator x").
    #[error("{what} could not be computed")]
    NotComputed {
        what: String,
        #[source]
        source: Arc<crate::indicators::IndicatorError>,
    },
    /// The data holds no value the chart could draw; `detail` says which.
    #[error("{detail}")]
    NoValue { detail: String },
    /// The stored region shapes cannot be read (a version not stored by the geojson parser).
    #[error("the stored region shapes cannot be drawn")]
    Shapes(#[source] crate::geo::GeoError),
}

/// Why drawing or rasterising failed, with the library's error as the cause.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("plotters could not draw the SVG")]
    Draw(#[from] plotters::drawing::DrawingAreaErrorKind<std::io::Error>),
    #[error("plotters wrote no <svg> element")]
    NoSvgElement,
    #[error("the dash pattern {0} has no dash array")]
    DashPattern(String),
    #[error("resvg could not read the chart's SVG")]
    Svg(#[from] resvg::usvg::Error),
    #[error("a {width}×{height} px image cannot be rasterised")]
    Size { width: u32, height: u32 },
    #[error("the shapes given with the SVG cannot be painted: {0}")]
    Shapes(&'static str),
    #[error("the PNG could not be encoded")]
    Png(#[from] png::EncodingError),
}

/// Every chart definition loaded, and the problems of those that did not load.
pub struct Charts {
    pub charts: Vec<Chart>,
    pub problems: Vec<String>,
    pub dir: PathBuf,
    /// The trajectory facts of the last snapshot asked, by its version.
    facts: Mutex<Option<Arc<(String, prepare::Facts)>>>,
    /// The NUTS-2 shapes of the last snapshot asked (loaded and projected once per version).
    shapes: Mutex<Option<Arc<crate::geo::Shapes>>>,
}

impl Charts {
    /// Loads `dir` against the definitions of `model` (a chart naming an unknown indicator,
    /// roadmap or target is refused alone).
    pub fn load(dir: &Folder, model: &Model) -> Charts {
        let mut charts = Vec::new();
        let mut problems = Vec::new();
        match definition::load_dir(dir) {
            Err(e) => problems.push(e.to_string()),
            Ok(loaded) => {
                for chart in loaded {
                    match chart.and_then(|c| definition::check_references(&c, model).map(|_| c)) {
                        Ok(c) => charts.push(c),
                        Err(e) => problems.push(e.to_string()),
                    }
                }
            }
        }
        for problem in &problems {
            tracing::warn!(error = %problem, "A chart file did not load; the other charts are served.");
        }
        Charts {
            charts,
            problems,
            dir: dir.label().to_path_buf(),
            facts: Mutex::new(None),
            shapes: Mutex::new(None),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Chart> {
        self.charts.iter().find(|c| c.id == id)
    }

    /// The Commission's trajectory facts of `store`'s current version (read once per version).
    pub fn facts(
        &self,
        store: &crate::store::Store,
    ) -> Result<Option<Arc<(String, prepare::Facts)>>, ChartError> {
        let Some(current) = store.current(prepare::TRAJECTORIES)? else {
            return Ok(None);
        };
        let mut held = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = held.as_ref().filter(|h| h.0 == current.version) {
            return Ok(Some(h.clone()));
        }
        let read = prepare::read_facts(store)?.map(Arc::new);
        *held = read.clone();
        Ok(read)
    }
}

impl Charts {
    /// The region shapes of `store`'s current version of `gisco_nuts2_2021`, read and projected
    /// once per version (a map request only selects and draws), or `None` when not fetched yet.
    pub fn shapes(
        &self,
        store: &crate::store::Store,
    ) -> Result<Option<Arc<crate::geo::Shapes>>, ChartError> {
        let Some(current) = store.current(crate::geo::DATASET)? else {
            return Ok(None);
        };
        let mut held = self.shapes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = held.as_ref().filter(|h| h.version() == current.version) {
            return Ok(Some(h.clone()));
        }
        let loaded = match crate::geo::Shapes::load(store) {
            Ok(shapes) => shapes.map(Arc::new),
            Err(crate::geo::GeoError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(Unavailable::Shapes(e).into()),
        };
        *held = loaded.clone();
        Ok(loaded)
    }
}

/// The SVG of `prepared`: plotters' drawing with `role="img"`, a `<title>`, a `<desc>` (the alt
/// text) and the bundled font embedded, so that a browser without it shows the same text.
pub fn svg(
    prepared: &Prepared,
    width: u32,
    height: u32,
    theme: Theme,
) -> Result<String, ChartError> {
    let alt = words::alt(prepared);
    described(
        prepared,
        &alt,
        &draw::svg(prepared, width, height, theme)?,
        true,
    )
}

/// The PNG of `prepared`: its SVG (without the embedded font, which resvg does not read: it
/// draws with the same bundled font from its own database) rasterised by [`png`]; a map's
/// regions handed to the rasteriser as shapes rather than written into the SVG and read back
/// ([`draw::for_png`], the same pixels). The file also carries the chart's words as PNG text
/// chunks ([`png_text`]), for whoever reads the file without looking at it.
pub fn png_of(
    prepared: &Prepared,
    width: u32,
    height: u32,
    theme: Theme,
) -> Result<Vec<u8>, ChartError> {
    let (drawn, shapes) = draw::for_png(prepared, width, height, theme)?;
    let alt = words::alt(prepared);
    let text = png_text(prepared, &alt);
    let text: Vec<(&str, &str)> = text.iter().map(|(k, v)| (*k, v.as_str())).collect();
    raster::png_with_text(&described(prepared, &alt, &drawn, false)?, &shapes, &text)
}

/// The PNG's text chunks: its title, the alt text as its description, the source lines and
/// the licences as the footer gives them, each dataset's version and publication (the
/// vintage), and the software.
pub fn png_text(prepared: &Prepared, alt: &str) -> Vec<(&'static str, String)> {
    let mut versions: Vec<String> = Vec::new();
    for c in &prepared.credits {
        let version = format!(
            "{} version {} published {}",
            c.dataset, c.version, c.published
        );
        if !versions.contains(&version) {
            versions.push(version);
        }
    }
    vec![
        ("Title", prepared.title.clone()),
        ("Description", alt.to_owned()),
        ("Source", prepared.source_lines().join(" · ")),
        (
            "Copyright",
            format!("{}, processed by desi-city", prepared.licences().join(", ")),
        ),
        ("Comment", versions.join("; ")),
        ("Software", "desi-city".to_owned()),
    ]
}

/// Plotters' SVG `drawn` of `prepared` with its title, description (`alt`) and (`embed_font`)
/// font.
fn described(
    prepared: &Prepared,
    alt: &str,
    drawn: &str,
    embed_font: bool,
) -> Result<String, ChartError> {
    let open = drawn
        .find("<svg")
        .and_then(|start| drawn[start..].find('>').map(|end| start + end))
        .ok_or(RenderError::NoSvgElement)?;
    let id = &prepared.id;
    let mut out = String::with_capacity(drawn.len() + 32 * 1024);
    out.push_str(&drawn[..open]);
    out.push_str(&format!(
        " role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" xml:lang=\"{}\">",
        prepared.lang
    ));
    out.push_str(&format!(
        "<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(&prepared.title),
        escape(alt)
    ));
    if embed_font {
        out.push_str("<style>@font-face{font-family:'DejaVu Sans';src:url(data:font/woff2;base64,");
        out.push_str(font_base64());
        out.push_str(") format('woff2');}</style>");
    }
    out.push_str(&drawn[open + 1..]);
    Ok(out)
}

fn font_base64() -> &'static str {
    static B64: OnceLock<String> = OnceLock::new();
    B64.get_or_init(|| base64::engine::general_purpose::STANDARD.encode(style::FONT_WOFF2))
}

/// XML text escaping.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The PNG of an SVG drawn by [`svg`], rasterised anti-aliased with the bundled font, whose
/// glyphs are converted once per process ([`raster`]; no system font is read).
pub fn png(svg: &str) -> Result<Vec<u8>, ChartError> {
    raster::png(svg)
}
