//! Charts over data fetched by the pipeline: the shipped catalogue's households sources and the
//! Commission's DESI platform facts fetched from the local upstream (the real files of
//! `../shared/data`), the DESI 2022 and 2020 inputs imported, then `desi-city serve` with the
//! shipped `charts/`. Every chart type is rendered in French, Dutch and English, and the SVG is
//! parsed: `<title>`/`<desc>` in the asked language, the footer's source line, one mark per
//! plotted value at the position its value implies on the drawn axis (read from the axis labels,
//! not from the code), hollow markers where the stored flags say so; the PNG decodes at the asked
//! size; the embed page has no script; oEmbed answers are parsed; bad input is a 4xx problem.
//!
//! Expected values are read from the stored Parquet files (`support::cell`), never recomputed
//! with the code under test.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use serde_json::Value;

use crate::support::{KillOnDrop, Sandbox, cell};
use crate::upstream::{Upstream, shared_file};

fn repo(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// The shipped catalogue, written into the sandbox's.
pub(crate) fn catalogue(sandbox: &Sandbox) -> Result<()> {
    sandbox.write_shipped_catalogue()?;
    Ok(())
}

/// A sandbox with the shipped catalogue, the households sources and the platform facts fetched
/// from the local upstream, and the DESI 2022 and 2020 inputs imported.
fn store(server: &Upstream) -> Result<Sandbox> {
    let sandbox = Sandbox::new(server)?;
    catalogue(&sandbox)?;
    sandbox
        .fetch(&[
            "isoc_ci_in_h",
            "isoc_r_iacc_h",
            "desi",
            "desi_dd_trajectories",
        ])?
        .ok()?;
    for (file, dataset, format) in [
        (
            "desi/2022/indicators_complete.csv",
            "desi_2022_complete",
            "desi-wide",
        ),
        ("desi/2020/indicators_raw.csv", "desi_2020_raw", "desi-csv"),
    ] {
        let path = shared_file(file);
        sandbox
            .run(&[
                "import",
                path.to_str().context("UTF-8")?,
                "--dataset",
                dataset,
                "--format",
                format,
            ])?
            .ok()?;
    }
    Ok(sandbox)
}

/// `desi-city serve` over a sandbox, with the shipped definitions and charts.
pub(crate) struct Served {
    _child: KillOnDrop,
    pub(crate) base: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    log: std::path::PathBuf,
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).with_context(|| format!("not JSON: {}", self.text()))
    }

    /// A problem+json with `status` whose detail names `parameter`.
    pub(crate) fn problem(&self, status: u16, parameter: &str) -> Result<String> {
        ensure!(
            self.status == status,
            "expected {status}, got {}: {}",
            self.status,
            self.text()
        );
        ensure!(
            self.header("content-type") == "application/problem+json",
            "{}",
            self.header("content-type")
        );
        let v = self.json()?;
        let detail = v["detail"].as_str().unwrap_or_default().to_owned();
        ensure!(
            detail.contains(parameter),
            "the problem does not name {parameter:?}: {detail}"
        );
        Ok(detail)
    }
}

impl Served {
    pub(crate) fn start(sandbox: &Sandbox) -> Result<Served> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = sandbox.root.join("serve-charts.stderr");
        let mut cmd = sandbox.command(&[
            "serve",
            "--no-schedule",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--indicators-dir",
            &repo("indicators"),
            "--methodology-dir",
            &repo("indicators/methodology"),
        ]);
        cmd.env("DESI_CITY_CHARTS_DIR", repo("charts"))
            .env("DESI_CITY_COMPUTE_PER_SECOND", "0");
        let s = crate::support::serve(cmd, port, &log, 2, Duration::from_secs(60))?;
        Ok(Served {
            _child: s.child,
            base: s.base,
            runtime: s.runtime,
            client: s.client,
            log,
        })
    }

    pub(crate) fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Result<Answer> {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let answer = self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .with_context(|| format!("GET {path}"))?;
            anyhow::Ok(Answer {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                body: response.bytes().await?.to_vec(),
            })
        })?;
        ensure!(
            answer.status < 500 || answer.status == 503 || answer.status == 501,
            "GET {path} answered {}: {}\nserver log:\n{}",
            answer.status,
            answer.text(),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
        Ok(answer)
    }

    pub(crate) fn get(&self, path: &str) -> Result<Answer> {
        self.get_with(path, &[])
    }

    pub(crate) fn ok(&self, path: &str) -> Result<Answer> {
        let a = self.get(path)?;
        ensure!(a.status == 200, "GET {path}: {} {}", a.status, a.text());
        Ok(a)
    }
}

/// The line segments of the plotted lines (stroke width 2: the data lines, dashed or not, and
/// the legend's samples), from every `<polyline>` and every subpath of a `<path>`.
fn plotted_segments(doc: &roxmltree::Document) -> Vec<((f64, f64), (f64, f64))> {
    let mut out = Vec::new();
    for n in doc.descendants() {
        if !(n.has_tag_name("polyline") || n.has_tag_name("path"))
            || n.attribute("stroke-width") != Some("2")
        {
            continue;
        }
        for run in point_runs(&n) {
            out.extend(run.windows(2).map(|w| (w[0], w[1])));
        }
    }
    out
}

/// The points of a `<polyline>`, or of each subpath of a `<path>` of straight lines (`M`/`L`),
/// empty subpaths left out.
fn point_runs(n: &roxmltree::Node) -> Vec<Vec<(f64, f64)>> {
    let point = |p: &str| -> Option<(f64, f64)> {
        let (x, y) = p.split_once(',')?;
        Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
    };
    if let Some(points) = n.attribute("points") {
        vec![points.split_whitespace().filter_map(point).collect()]
    } else {
        n.attribute("d")
            .unwrap_or_default()
            .split('M')
            .map(|sub| sub.split('L').filter_map(point).collect())
            .filter(|r: &Vec<(f64, f64)>| !r.is_empty())
            .collect()
    }
}

/// The distinct (stroke, dash array) pairs of the plotted lines.
fn line_styles(svg: &str) -> Result<std::collections::BTreeSet<(String, String)>> {
    let doc = roxmltree::Document::parse(svg)?;
    Ok(doc
        .descendants()
        .filter(|n| {
            (n.has_tag_name("polyline") || n.has_tag_name("path"))
                && n.attribute("stroke-width") == Some("2")
        })
        .map(|n| {
            (
                n.attribute("stroke")
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                n.attribute("stroke-dasharray")
                    .unwrap_or("solid")
                    .to_owned(),
            )
        })
        .collect())
}

/// Whether the segment a–b passes through the box (l, t, r, b) (Liang–Barsky).
fn crosses(bx: (f64, f64, f64, f64), a: (f64, f64), b: (f64, f64)) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a.0 - bx.0),
        (dx, bx.2 - a.0),
        (-dy, a.1 - bx.1),
        (dy, bx.3 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else if p < 0.0 {
            t0 = t0.max(q / p);
        } else {
            t1 = t1.min(q / p);
        }
        if t0 > t1 {
            return false;
        }
    }
    true
}

/// Every text of a chart, as a box measured with the bundled font (the glyphs' height above and
/// below the baseline plotters sets with `dy`), touches no plotted line, no marker and no other
/// text.
fn labels_clear_of_lines(svg: &str) -> Result<()> {
    let doc = roxmltree::Document::parse(svg)?;
    let mut boxes: Vec<((f64, f64, f64, f64), String)> = Vec::new();
    for n in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let num = |a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok());
        let (Some(x), Some(y), Some(size)) = (num("x"), num("y"), num("font-size")) else {
            continue;
        };
        let content = n.text().unwrap_or_default().trim().to_owned();
        let baseline = match n.attribute("dy") {
            Some("0.76em") => y + 0.76 * size,
            Some("0.5ex") => y + 0.25 * size,
            Some("-0.5ex") => y - 0.25 * size,
            _ => y,
        };
        let w = desi_city::charts::style::text_width(&content, size);
        let l = match n.attribute("text-anchor") {
            Some("middle") => x - w / 2.0,
            Some("end") => x - w,
            _ => x,
        };
        // Digits and capitals rise 0.73 em; descenders fall 0.24 em (DejaVu Sans).
        boxes.push((
            (l, baseline - 0.73 * size, l + w, baseline + 0.24 * size),
            content,
        ));
    }
    ensure!(boxes.len() > 5, "{} texts", boxes.len());
    let segments = plotted_segments(&doc);
    ensure!(segments.len() > 3, "{} line segments", segments.len());
    let markers: Vec<(f64, f64, f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .filter_map(|n| {
            let num = |a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok());
            let (x, y, r) = (num("cx")?, num("cy")?, num("r")?);
            Some((x - r, y - r, x + r, y + r))
        })
        .collect();
    let overlap = |a: &(f64, f64, f64, f64), b: &(f64, f64, f64, f64)| {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    };
    for (i, (bx, text)) in boxes.iter().enumerate() {
        if let Some((a, b)) = segments.iter().find(|(a, b)| crosses(*bx, *a, *b)) {
            bail!("the text {text:?} at {bx:?} touches the line {a:?}–{b:?}");
        }
        if let Some(m) = markers.iter().find(|m| overlap(bx, m)) {
            bail!("the text {text:?} at {bx:?} covers the marker {m:?}");
        }
        if let Some((other, t)) = boxes[i + 1..].iter().find(|(o, _)| overlap(bx, o)) {
            bail!("the texts {text:?} at {bx:?} and {t:?} at {other:?} overlap");
        }
    }
    Ok(())
}

/// Each direct label of a line (the second text of a legend entry, drawn after the legend, with
/// the line's sample before it) sits by its own line: within 12 px of it, or joined to the line's
/// end by a thin leader in the line's colour no longer than 100 px.
fn direct_labels_by_their_lines(svg: &str) -> Result<()> {
    let doc = roxmltree::Document::parse(svg)?;
    let length = |r: &[(f64, f64)]| -> f64 {
        r.windows(2)
            .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
            .sum()
    };
    let drawn: Vec<roxmltree::Node> = doc.descendants().filter(|n| n.is_element()).collect();
    let texts: Vec<(usize, String)> = drawn
        .iter()
        .enumerate()
        .filter(|(_, n)| n.has_tag_name("text"))
        .map(|(i, n)| (i, n.text().unwrap_or_default().trim().to_owned()))
        .collect();
    let mut checked = 0;
    for (i, content) in &texts {
        // The second of two texts alike, with a line sample right before it.
        let first = texts.iter().find(|(_, c)| c == content).map(|t| t.0);
        if first == Some(*i) || *i == 0 {
            continue;
        }
        let sample = &drawn[i - 1];
        if !(sample.has_tag_name("polyline") || sample.has_tag_name("path"))
            || sample.attribute("stroke-width") != Some("2")
        {
            continue;
        }
        let (stroke, dash) = (
            sample.attribute("stroke").unwrap_or_default(),
            sample.attribute("stroke-dasharray").unwrap_or_default(),
        );
        let sample_run = point_runs(sample).concat();
        let Some(left) = sample_run.iter().map(|p| p.0).reduce(f64::min) else {
            continue;
        };
        let label = &drawn[*i];
        let num = |a: &str| label.attribute(a).and_then(|v| v.parse::<f64>().ok());
        let (Some(x), Some(y), Some(size)) = (num("x"), num("y"), num("font-size")) else {
            continue;
        };
        let right = x + desi_city::charts::style::text_width(content, size);
        let (top, bottom) = match label.attribute("dy") {
            Some("0.76em") => (y, y + size),
            _ => (y - 0.73 * size, y + 0.24 * size),
        };
        let to_box = |p: (f64, f64)| {
            let q = (p.0.clamp(left, right), p.1.clamp(top, bottom));
            (q.0 - p.0).hypot(q.1 - p.1)
        };
        // Its line: the segments of the long element of the sample's colour and dash.
        let line: Vec<((f64, f64), (f64, f64))> = drawn
            .iter()
            .filter(|n| {
                (n.has_tag_name("polyline") || n.has_tag_name("path"))
                    && n.attribute("stroke-width") == Some("2")
                    && n.attribute("stroke") == Some(stroke)
                    && n.attribute("stroke-dasharray").unwrap_or_default() == dash
            })
            .map(point_runs)
            .filter(|r| r.iter().map(|r| length(r)).sum::<f64>() > 40.0)
            .flatten()
            .flat_map(|r| r.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>())
            .collect();
        ensure!(
            !line.is_empty(),
            "no line for {content:?} ({stroke} {dash})"
        );
        let end = line
            .iter()
            .map(|s| s.1)
            .chain(line.iter().map(|s| s.0))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .expect("a point");
        // A point's distance from the line, and the label's, every 2 px along it.
        let along: Vec<(f64, f64)> = line
            .iter()
            .flat_map(|(a, b)| {
                let n = ((b.0 - a.0).hypot(b.1 - a.1) / 2.0).ceil().max(1.0);
                (0..=n as usize).map(move |k| {
                    let t = k as f64 / n;
                    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
                })
            })
            .collect();
        let on_line = |p: (f64, f64)| along.iter().any(|q| (q.0 - p.0).hypot(q.1 - p.1) <= 2.0);
        let near = along
            .iter()
            .map(|p| to_box(*p))
            .fold(f64::INFINITY, f64::min);
        if near > 12.0 {
            // A leader: a thin line of the line's colour from the line to the label.
            let leader = drawn
                .iter()
                .filter(|n| {
                    n.attribute("stroke-width") == Some("1")
                        && n.attribute("stroke") == Some(stroke)
                })
                .flat_map(point_runs)
                .find(|r| r.len() == 2 && on_line(r[0]) && to_box(r[1]) <= 4.0);
            let leader = leader.with_context(|| {
                format!("{content:?} is {near:.0} px from its line (end {end:?}), with no leader")
            })?;
            ensure!(
                length(&leader) <= 100.0,
                "{content:?}: a leader of {:.0} px",
                length(&leader)
            );
        }
        checked += 1;
    }
    ensure!(checked >= 1, "no direct label found");
    Ok(())
}

/// A number as the chart writes it in `lang` (decimal comma in fr, nl, de; any grouping).
fn number(text: &str, lang: &str) -> Option<f64> {
    let mut s: String = text
        .trim()
        .trim_end_matches('%')
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\u{202f}' | '\u{a0}'))
        .collect::<String>()
        .replace('\u{2212}', "-");
    if lang == "en" {
        s = s.replace(',', "");
    } else {
        s = s.replace('.', "").replace(',', ".");
    }
    s.parse().ok()
}

/// What the tests read from a chart's SVG.
pub(crate) struct Svg {
    pub(crate) title: String,
    pub(crate) desc: String,
    pub(crate) texts: Vec<(f64, f64, String, String)>,
    /// cx, cy, r, fill, stroke.
    circles: Vec<(f64, f64, f64, String, String)>,
    /// x, y, width, height, fill, stroke.
    rects: Vec<(f64, f64, f64, f64, String, String)>,
}

pub(crate) fn parse_svg(body: &[u8]) -> Result<Svg> {
    let text = std::str::from_utf8(body)?;
    let doc = roxmltree::Document::parse(text).context("the SVG parses as XML")?;
    let root = doc.root_element();
    ensure!(
        root.tag_name().name() == "svg",
        "root {:?}",
        root.tag_name()
    );
    ensure!(root.attribute("role") == Some("img"), "no role=img");
    let child = |name: &str| {
        root.children()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_owned()
    };
    let num = |n: &roxmltree::Node, a: &str| {
        n.attribute(a)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let attr =
        |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap_or_default().to_ascii_lowercase();
    let mut svg = Svg {
        title: child("title"),
        desc: child("desc"),
        texts: vec![],
        circles: vec![],
        rects: vec![],
    };
    for n in doc.descendants() {
        match n.tag_name().name() {
            "text" => svg.texts.push((
                num(&n, "x"),
                num(&n, "y"),
                attr(&n, "text-anchor"),
                n.text().unwrap_or_default().trim().to_owned(),
            )),
            "circle" => svg.circles.push((
                num(&n, "cx"),
                num(&n, "cy"),
                num(&n, "r"),
                attr(&n, "fill"),
                attr(&n, "stroke"),
            )),
            "rect" => svg.rects.push((
                num(&n, "x"),
                num(&n, "y"),
                num(&n, "width"),
                num(&n, "height"),
                attr(&n, "fill"),
                attr(&n, "stroke"),
            )),
            _ => {}
        }
    }
    ensure!(
        text.contains("@font-face") && text.contains("font/woff2"),
        "the font is not embedded"
    );
    Ok(svg)
}

impl Svg {
    /// The footer: the text lines naming the source.
    pub(crate) fn footer(&self) -> String {
        let lines: Vec<&str> = self
            .texts
            .iter()
            .filter(|t| t.2 == "start")
            .map(|t| t.3.as_str())
            .skip_while(|t| !t.contains("Source") && !t.contains("Bron") && !t.contains("Quelle"))
            .collect();
        lines.join(" ")
    }

    /// The linear map from values to pixels along one axis, from its numeric labels: for the y
    /// axis (labels anchored at their end, left of the plot) or the x axis (labels centred).
    fn axis(&self, lang: &str, vertical: bool) -> Result<(f64, f64)> {
        let ticks: Vec<(f64, f64)> = self
            .texts
            .iter()
            .filter(|t| {
                if vertical {
                    t.2 == "end"
                } else {
                    t.2 == "middle"
                }
            })
            .filter_map(|t| Some((number(&t.3, lang)?, if vertical { t.1 } else { t.0 })))
            .collect();
        ensure!(ticks.len() >= 2, "fewer than two axis labels: {ticks:?}");
        let (v0, p0) = ticks
            .iter()
            .copied()
            .fold((f64::INFINITY, 0.0), |a, t| if t.0 < a.0 { t } else { a });
        let (v1, p1) =
            ticks.iter().copied().fold(
                (f64::NEG_INFINITY, 0.0),
                |a, t| if t.0 > a.0 { t } else { a },
            );
        let slope = (p1 - p0) / (v1 - v0);
        // Every label sits on the same line.
        for (v, p) in &ticks {
            ensure!(
                (p0 + (v - v0) * slope - p).abs() <= 1.5,
                "axis labels not linear: {ticks:?}"
            );
        }
        Ok((p0 - v0 * slope, slope))
    }
}

const BLUE: &str = "#0072b2";
const BLACK: &str = "#000000";

fn is_filled(c: &(f64, f64, f64, String, String), colour: &str) -> bool {
    c.3 == colour
}

fn is_hollow(c: &(f64, f64, f64, String, String), colour: &str) -> bool {
    c.3 == "none" && c.4 == colour
}

/// The expected titles, in the chart files or made of the definitions' words.
fn title(id: &str, lang: &str) -> &'static str {
    match (id, lang) {
        ("internet-access-brussels", "fr") => {
            "Ménages ayant accès à internet : Bruxelles, la Belgique et l'UE"
        }
        ("internet-access-brussels", "nl") => {
            "Huishoudens met internettoegang: Brussel, België en de EU"
        }
        ("internet-access-brussels", _) => {
            "Households with internet access: Brussels, Belgium and the EU"
        }
        ("internet-access-ranking", "fr") => {
            "Ménages ayant accès à internet dans les 27 États membres"
        }
        ("internet-access-ranking", "nl") => "Huishoudens met internettoegang in de 27 lidstaten",
        ("internet-access-ranking", _) => "Households with internet access in the 27 member states",
        ("belgium-dimension-profile", "fr") => {
            "Belgique — profil numérique par dimension DESI, comparé à l'UE"
        }
        ("belgium-dimension-profile", "nl") => {
            "België — digitaal profiel per DESI-dimensie, vergeleken met de EU"
        }
        ("belgium-dimension-profile", _) => {
            "Belgium — digital profile by DESI dimension, against the EU"
        }
        ("ict-specialists-trajectory", "fr") => {
            "UE — Au moins 20 millions de spécialistes des TIC employés dans l'UE"
        }
        ("ict-specialists-trajectory", "nl") => {
            "EU — Minstens 20 miljoen ICT-specialisten aan het werk in de EU"
        }
        ("ict-specialists-trajectory", _) => {
            "EU — At least 20 million ICT specialists employed in the EU"
        }
        ("desi-2022", "fr") => "Indice DESI 2022 des États membres, par dimension",
        ("desi-2022", "nl") => "DESI 2022 van de lidstaten, per dimensie",
        ("desi-2022", _) => "DESI 2022 of the member states, by dimension",
        ("desi-2020", "fr") => "Indice DESI 2020 des États membres, par dimension",
        ("desi-2020", "nl") => "DESI 2020 van de lidstaten, per dimensie",
        ("desi-2020", _) => "DESI 2020 of the member states, by dimension",
        _ => "",
    }
}

/// The footer's words in each language, and the source each chart names.
fn footer_words(lang: &str) -> [&'static str; 3] {
    match lang {
        "fr" => ["Source\u{a0}: ", "traité par desi-city", "Données"],
        "nl" => ["Bron: ", "verwerkt door desi-city", "Gegevens"],
        _ => ["Source: ", "processed by desi-city", "Data"],
    }
}

#[test]
fn every_chart_type_renders_in_french_dutch_and_english_with_each_value_where_its_axis_puts_it()
-> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = store(&server)?;
    let served = Served::start(&sandbox)?;
    let regional = sandbox.current("isoc_r_iacc_h")?.file;
    let national = sandbox.current("isoc_ci_in_h")?.file;
    let stored = |file: &std::path::Path, geo: &str, year: &str, national: bool| {
        let mut f = vec![("geo", geo), ("period", year), ("unit", "PC_HH")];
        if national {
            f.push(("hhtyp", "TOTAL"));
        }
        cell(file, &f)
    };
    let charts = [
        ("internet-access-brussels", "isoc_r_iacc_h"),
        ("internet-access-ranking", "isoc_ci_in_h"),
        ("belgium-dimension-profile", "desi"),
        ("ict-specialists-trajectory", "dd-trajectories-eu"),
        ("desi-2022", "desi_2022_complete"),
        ("desi-2020", "desi_2020_raw"),
    ];
    for lang in ["fr", "nl", "en"] {
        for (id, source) in charts {
            let answer = served.ok(&format!("/api/v1/charts/{id}.svg?lang={lang}"))?;
            ensure!(answer.header("content-type") == "image/svg+xml", "{id}");
            ensure!(answer.header("content-language") == lang, "{id} {lang}");
            let svg = parse_svg(&answer.body).with_context(|| format!("{id} {lang}"))?;
            ensure!(
                svg.title == title(id, lang),
                "{id} {lang}: title {:?}",
                svg.title
            );
            let alt = served
                .ok(&format!("/api/v1/charts/{id}.txt?lang={lang}"))?
                .text();
            ensure!(
                svg.desc == alt && alt.starts_with(title(id, lang)),
                "{id} {lang}: desc {:?} vs alt {alt:?}",
                svg.desc
            );
            let footer = svg.footer();
            for word in footer_words(lang).iter().chain(&[source, "CC BY 4.0"]) {
                ensure!(
                    footer.contains(word),
                    "{id} {lang}: the footer lacks {word:?}: {footer}"
                );
            }
            // The PNG at an asked size.
            let png = served.ok(&format!("/api/v1/charts/{id}.png?lang={lang}&w=640&h=400"))?;
            ensure!(png.header("content-type") == "image/png");
            let decoder = png::Decoder::new(std::io::Cursor::new(&png.body));
            let reader = decoder.read_info().context("the PNG decodes")?;
            ensure!(
                (reader.info().width, reader.info().height) == (640, 400),
                "{id}: {:?}",
                reader.info().size()
            );
            // Its words as text chunks (tEXt, or iTXt beyond Latin-1): the alt text, the source,
            // the licence, the datasets' versions.
            let info = reader.info();
            let mut text: Vec<(String, String)> = info
                .uncompressed_latin1_text
                .iter()
                .map(|t| (t.keyword.clone(), t.text.clone()))
                .collect();
            for t in &info.utf8_text {
                text.push((t.keyword.clone(), t.get_text().context("an iTXt chunk")?));
            }
            let chunk = |keyword: &str| {
                text.iter()
                    .find(|(k, _)| k == keyword)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or_default()
            };
            ensure!(chunk("Description") == alt, "{id} {lang}: {text:?}");
            ensure!(chunk("Source").contains(source), "{id} {lang}: {text:?}");
            ensure!(
                chunk("Copyright").contains("CC BY 4.0"),
                "{id} {lang}: {text:?}"
            );
            ensure!(
                chunk("Comment").contains(" version "),
                "{id} {lang}: {text:?}"
            );
        }

        // Time series: one BE10 marker per stored value, each at its year and value.
        let svg = parse_svg(
            &served
                .ok(&format!(
                    "/api/v1/charts/internet-access-brussels.svg?lang={lang}"
                ))?
                .body,
        )?;
        let (y0, ys) = svg.axis(lang, true)?;
        let (x0, xs) = svg.axis(lang, false)?;
        let blue: Vec<_> = svg
            .circles
            .iter()
            .filter(|c| is_filled(c, BLUE) || is_hollow(c, BLUE))
            .collect();
        let mut expected = 0;
        for year in 2015..=2025 {
            let (Some(value), flags) = stored(&regional, "BE10", &year.to_string(), false)? else {
                continue;
            };
            expected += 1;
            let (x, y) = (x0 + f64::from(year) * xs, y0 + value * ys);
            let found = blue
                .iter()
                .find(|c| (c.0 - x).abs() <= 1.5 && (c.1 - y).abs() <= 1.5)
                .with_context(|| {
                    format!(
                        "{lang}: no BE10 marker for {year} ({value}) at ({x:.1}, {y:.1}): {blue:?}"
                    )
                })?;
            let uncertain = flags
                .as_deref()
                .is_some_and(|f| f.chars().any(|c| "epus".contains(c)));
            ensure!(
                is_hollow(found, BLUE) == uncertain,
                "{lang} {year}: flags {flags:?}, marker {found:?}"
            );
        }
        ensure!(
            blue.len() == expected && expected >= 8,
            "{lang}: {} BE10 markers for {expected} values",
            blue.len()
        );
        // Direct labels at the line ends, in the language.
        let be10 = stored(&regional, "BE10", "2025", false)?
            .0
            .context("BE10 2025")?;
        let name = match lang {
            "fr" => "Bruxelles",
            "nl" => "Brussel",
            _ => "Brussels",
        };
        let written = format!(
            "{name} {}",
            format!("{be10:.1}").replace('.', if lang == "en" { "." } else { "," })
        );
        ensure!(
            svg.texts.iter().any(|t| t.3.starts_with(&written)),
            "{lang}: no direct label {written:?} among {:?}",
            svg.texts.iter().map(|t| &t.3).collect::<Vec<_>>()
        );

        // Ranking: one bar per member state and the EU, each as long as its value.
        let svg = parse_svg(
            &served
                .ok(&format!(
                    "/api/v1/charts/internet-access-ranking.svg?lang={lang}&to=2024"
                ))?
                .body,
        )?;
        let (x0, xs) = svg.axis(lang, false)?;
        let bars: Vec<_> = svg
            .rects
            .iter()
            .filter(|r| r.2 > 0.0 && r.3 < 40.0 && r.3 > 2.0)
            .collect();
        let mut valued = 0;
        for geo in crate::support::EU27.iter().chain(&["EU27_2020"]) {
            let (Some(v), _) = stored(&national, geo, "2024", true)? else {
                continue;
            };
            valued += 1;
            let end = x0 + v * xs;
            ensure!(
                bars.iter()
                    .any(|b| (b.0 - x0).abs() <= 1.5 && (b.0 + b.2 - end).abs() <= 1.5),
                "{lang}: no bar of {geo} ending at {end:.1} ({v})"
            );
        }
        ensure!(
            bars.len() == valued,
            "{lang}: {} bars for {valued} values",
            bars.len()
        );
        let be = stored(&national, "BE", "2024", true)?
            .0
            .context("BE 2024")?;
        ensure!(
            bars.iter()
                .any(|b| (b.4 == BLUE || b.5 == BLUE) && (b.0 + b.2 - (x0 + be * xs)).abs() <= 1.5),
            "{lang}: Belgium's bar is not the highlighted one"
        );
        ensure!(
            bars.iter().filter(|b| b.4 == BLACK || b.5 == BLACK).count() == 1,
            "{lang}: the EU bar is not marked"
        );

        // Trajectory: one marker per stored history value (dd_hist_2023), and the target.
        let svg = parse_svg(
            &served
                .ok(&format!(
                    "/api/v1/charts/ict-specialists-trajectory.svg?lang={lang}"
                ))?
                .body,
        )?;
        let history = served
            .ok(&format!(
                "/api/v1/charts/ict-specialists-trajectory.csv?lang={lang}"
            ))?
            .text();
        let points = history
            .lines()
            .filter(|l| {
                l.split(',').nth(1) == Some("history")
                    && l.split(',').nth(3).is_some_and(|v| !v.is_empty())
            })
            .count();
        let markers = svg
            .circles
            .iter()
            .filter(|c| (is_filled(c, BLUE) || is_hollow(c, BLUE)) && c.2 > 2.0)
            .count();
        // The legend draws one marker too.
        ensure!(
            markers == points + 1 && points >= 10,
            "{lang}: {markers} markers for {points} history values"
        );
        let (y0, ys) = svg.axis(lang, true)?;
        let traj = sandbox.current("desi_dd_trajectories")?.file;
        let (hist_2022, _) = cell(
            &traj,
            &[
                ("indicator", "dd_ictspec"),
                ("breakdown", "dd_hist_2023"),
                ("period", "2022"),
            ],
        )?;
        let y = y0 + hist_2022.context("2022")? * ys;
        ensure!(
            svg.circles
                .iter()
                .any(|c| is_filled(c, BLUE) && (c.1 - y).abs() <= 1.5),
            "{lang}: no 2022 marker at y {y:.1}"
        );
        ensure!(
            svg.texts
                .iter()
                .any(|t| t.3.contains("2030") && (t.3.contains("20,0") || t.3.contains("20.0"))),
            "{lang}: the target point is not labelled with its year and value"
        );
        ensure!(
            svg.texts.iter().any(|t| t.3.contains("Commission"))
                || svg.texts.iter().any(|t| t.3.contains("Commissie")),
            "{lang}: the Commission's trajectory is not labelled"
        );
        // The Commission's two lines: each its own colour and dash array, a legend entry and a
        // direct label saying "European Commission: …"; no label touches a line or a label.
        let (commission, lines) = match lang {
            "fr" => (
                "Commission européenne :",
                [
                    "trajectoire selon le rythme passé",
                    "chemin vers l'objectif",
                ],
            ),
            "nl" => (
                "Europese Commissie:",
                [
                    "traject volgens het vroegere tempo",
                    "pad naar de doelstelling",
                ],
            ),
            _ => (
                "European Commission:",
                ["trajectory from past performance", "path to the target"],
            ),
        };
        for line in lines {
            let label = format!("{commission} {line}");
            let n = svg.texts.iter().filter(|t| t.3 == label).count();
            ensure!(
                n == 2,
                "{lang}: {label:?} is written {n} times, not in the legend and along its line"
            );
        }
        for id in ["ict-specialists-trajectory", "5g-trajectory"] {
            let body = served
                .ok(&format!("/api/v1/charts/{id}.svg?lang={lang}"))?
                .text();
            let styles = line_styles(&body)?;
            labels_clear_of_lines(&body).with_context(|| format!("{id} in {lang}"))?;
            direct_labels_by_their_lines(&body).with_context(|| format!("{id} in {lang}"))?;
            if id == "ict-specialists-trajectory" {
                // desi-city's trajectory and path, the Commission's trajectory and path: four
                // (colour, dash array) pairs, no two alike, and no two dash arrays alike either.
                ensure!(styles.len() >= 4, "{lang}: line styles {styles:?}");
                let dashes: std::collections::BTreeSet<&String> =
                    styles.iter().map(|s| &s.1).collect();
                ensure!(
                    dashes.len() == styles.len(),
                    "{lang}: two lines share a dash: {styles:?}"
                );
            }
        }
    }

    // Hollow markers where the stored flags say so: every EU value of isoc_ci_in_h.
    let svg = parse_svg(
        &served
            .ok("/api/v1/charts/series-households_internet_access.svg?geo=EU27_2020&from=2015")?
            .body,
    )?;
    let mut hollow_seen = 0;
    let (x0, xs) = svg.axis("en", false)?;
    for year in 2015..=2025 {
        let (Some(_), flags) = stored(&national, "EU27_2020", &year.to_string(), true)? else {
            continue;
        };
        let x = x0 + f64::from(year) * xs;
        let marker = svg
            .circles
            .iter()
            .filter(|c| (c.0 - x).abs() <= 1.5 && (is_filled(c, BLUE) || is_hollow(c, BLUE)))
            .collect::<Vec<_>>();
        ensure!(marker.len() == 1, "{year}: {marker:?}");
        let uncertain = flags
            .as_deref()
            .is_some_and(|f| f.chars().any(|c| "epus".contains(c)));
        ensure!(
            is_hollow(marker[0], BLUE) == uncertain,
            "{year}: flags {flags:?}, {:?}",
            marker[0]
        );
        hollow_seen += usize::from(uncertain);
    }
    ensure!(
        hollow_seen >= 1,
        "no flagged EU value in the data: the check saw no hollow marker"
    );
    let svg_text = served
        .ok("/api/v1/charts/series-households_internet_access.svg?geo=EU27_2020&from=2015")?
        .text();
    ensure!(
        svg_text.contains("estimated, provisional or low reliability"),
        "no legend line for the flags"
    );
    Ok(())
}

#[test]
fn the_embed_page_has_no_script_and_oembed_describes_it() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = store(&server)?;
    let served = Served::start(&sandbox)?;
    let page = served.ok("/embed/internet-access-brussels?lang=fr")?;
    ensure!(page.header("content-type").starts_with("text/html"));
    let csp = page.header("content-security-policy");
    ensure!(
        csp.contains("default-src 'none'")
            && !csp.contains("unsafe-inline")
            && !csp.contains("script-src"),
        "{csp}"
    );
    let html = page.text();
    ensure!(
        !html.to_ascii_lowercase().contains("<script"),
        "the embed page has a script"
    );
    for needle in [
        "<h1 class=\"visually-hidden\">Ménages ayant accès à internet : Bruxelles, la Belgique et l&#x27;UE</h1>",
        "type=\"application/json+oembed\"",
        "property=\"og:image\"",
        ".png?lang=fr",
        "media=\"(prefers-color-scheme: dark)\"",
        "<details>",
        "<td>BE10</td>",
        "&lt;iframe src=",
        "loading=&quot;lazy&quot;",
        "width=&quot;100%&quot;",
        "isoc_r_iacc_h",
        "CC BY 4.0",
        ".csv?lang=fr",
        ".parquet?lang=fr",
        ".zip?lang=fr",
    ] {
        ensure!(
            html.contains(needle),
            "the embed page lacks {needle:?}:\n{html}"
        );
    }
    let css = served.ok("/embed/embed.css")?.text();
    ensure!(css.contains("prefers-color-scheme: dark"));

    // The downloads.
    let csv = served
        .ok("/api/v1/charts/internet-access-brussels.csv")?
        .text();
    ensure!(
        csv.starts_with("geo,period,value,flags\r\n") && csv.contains("\r\nBE10,2020,"),
        "{csv}"
    );
    crate::support::crlf_lines("the chart's CSV", &csv)?;
    let zip = served.ok("/api/v1/charts/internet-access-brussels.zip")?;
    ensure!(zip.header("content-type") == "application/zip" && zip.body.starts_with(b"PK"));
    for name in ["data.csv", "metadata.json", "README.md"] {
        ensure!(
            zip.body.windows(name.len()).any(|w| w == name.as_bytes()),
            "the zip lacks {name}"
        );
    }
    let parquet = served.ok("/api/v1/charts/internet-access-brussels.parquet")?;
    ensure!(parquet.body.starts_with(b"PAR1") && parquet.body.ends_with(b"PAR1"));
    // Both are compressed already: a browser that accepts br and gzip gets them as they are.
    for (ext, magic) in [("zip", &b"PK"[..]), ("parquet", &b"PAR1"[..])] {
        let path = format!("/api/v1/charts/internet-access-brussels.{ext}");
        let asked = served.get_with(&path, &[("accept-encoding", "gzip, deflate, br, zstd")])?;
        ensure!(
            asked.status == 200
                && asked.header("content-encoding").is_empty()
                && asked.body.starts_with(magic),
            "{ext}: {} {:?}",
            asked.status,
            asked.header("content-encoding")
        );
    }

    // oEmbed for the page's URL.
    let url = format!("{}/embed/internet-access-brussels?lang=nl", served.base);
    let encoded: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    let o = served
        .ok(&format!("/oembed?url={encoded}&maxwidth=500"))?
        .json()?;
    ensure!(
        o["version"] == "1.0" && o["type"] == "rich" && o["provider_name"] == "desi-city",
        "{o}"
    );
    ensure!(
        o["title"] == "Huishoudens met internettoegang: Brussel, België en de EU",
        "{o}"
    );
    let width = o["width"].as_u64().context("width")?;
    ensure!(width <= 500 && o["height"].as_u64().is_some(), "{o}");
    let html = o["html"].as_str().context("html")?;
    ensure!(
        html.starts_with("<iframe")
            && html.contains("/embed/internet-access-brussels")
            && html.contains("loading=\"lazy\""),
        "{html}"
    );
    let thumb = o["thumbnail_url"].as_str().context("thumbnail")?;
    let thumb_path = thumb
        .strip_prefix(&served.base)
        .context("a local thumbnail")?;
    let png = served.ok(thumb_path)?;
    ensure!(png.header("content-type") == "image/png");
    served
        .get(&format!("/oembed?url={encoded}&format=xml"))?
        .problem(501, "format")?;
    let foreign: String =
        url::form_urlencoded::byte_serialize(b"https://example.org/embed/internet-access-brussels")
            .collect();
    served
        .get(&format!("/oembed?url={foreign}"))?
        .problem(404, "url")?;
    let unknown: String = url::form_urlencoded::byte_serialize(
        format!("{}/embed/no-such-chart", served.base).as_bytes(),
    )
    .collect();
    served
        .get(&format!("/oembed?url={unknown}"))?
        .problem(404, "url")?;

    // The list names every chart with its URLs, and every one answers (or says its data is missing).
    let list = served.ok("/api/v1/charts?lang=fr")?.json()?;
    let charts = list["charts"].as_array().context("charts")?;
    ensure!(charts.len() >= 30, "{} charts", charts.len());
    let mut kinds = BTreeMap::new();
    for c in charts {
        *kinds
            .entry(c["type"].as_str().unwrap_or_default().to_owned())
            .or_insert(0) += 1;
        let svg = c["links"]["svg"].as_str().context("svg link")?;
        let a = served.get(&format!("{svg}?lang=fr"))?;
        ensure!(
            a.status == 200 || a.status == 503,
            "{svg}: {} {}",
            a.status,
            a.text()
        );
        if a.status == 503 {
            a.problem(503, "fetch")?;
        }
    }
    ensure!(kinds.len() == 6, "{kinds:?}");
    // A chart whose data is not fetched: 503, and the embed page says so in words.
    served
        .get("/api/v1/charts/series-internet_users.svg")?
        .problem(503, "isoc_ci_ifp_iu")?;
    let page = served.get("/embed/series-internet_users")?;
    ensure!(
        page.status == 503 && page.text().contains("has not been fetched yet"),
        "{}",
        page.text()
    );
    Ok(())
}

#[test]
fn bad_chart_requests_are_problems_naming_the_parameter_and_the_etag_follows_the_data() -> Result<()>
{
    let server = Upstream::with_shared_files()?;
    let sandbox = store(&server)?;
    let served = Served::start(&sandbox)?;
    let svg = "/api/v1/charts/internet-access-ranking.svg";
    served
        .get("/api/v1/charts/no-such-chart.svg")?
        .problem(404, "no-such-chart")?;
    served
        .get("/api/v1/charts/internet-access-ranking.gif")?
        .problem(404, ".svg")?;
    // Well-formed values the data cannot answer: 404; malformed ones: 400.
    served.get(&format!("{svg}?geo=XX"))?.problem(404, "geo")?;
    served
        .get(&format!("{svg}?geo=BE10"))?
        .problem(404, "geo")?;
    served
        .get(&format!("{svg}?geo=not%20a%20code"))?
        .problem(400, "geo")?;
    served
        .get(&format!("{svg}?lang=xx"))?
        .problem(400, "lang")?;
    served
        .get(&format!("{svg}?theme=pink"))?
        .problem(400, "theme")?;
    served.get(&format!("{svg}?w=100"))?.problem(400, "w")?;
    served.get(&format!("{svg}?h=9999"))?.problem(400, "h")?;
    served.get(&format!("{svg}?w=wide"))?.problem(400, "w")?;
    served.get(&format!("{svg}?to=1999"))?.problem(404, "to")?;
    served
        .get(&format!("{svg}?colour=red"))?
        .problem(400, "colour")?;
    served
        .get("/api/v1/charts/internet-access-brussels.svg?from=1990&to=1999")?
        .problem(404, "from")?;
    served
        .get("/api/v1/charts/ict-specialists-trajectory.svg?geo=BE")?
        .problem(404, "geo")?;
    served
        .get("/api/v1/charts/desi-2022.png?geo=UK")?
        .problem(404, "geo")?;
    served
        .get("/api/v1/charts/desi-2022.svg?to=2010")?
        .problem(404, "to")?;
    served
        .get("/embed/internet-access-ranking?theme=pink")?
        .problem(400, "theme")?;

    // Sixteen requests at once for an answer nobody asked for yet: one computes it, the others
    // wait for its reply (the counter of computed answers moves by one), all get the same bytes.
    let computed = || -> Result<u64> {
        let text = served.ok("/api/v1/metrics")?.text();
        text.lines()
            .find_map(|l| l.strip_prefix("desi_city_answers_computed_total "))
            .context("no desi_city_answers_computed_total in /metrics")?
            .trim()
            .parse()
            .context("answers computed")
    };
    let before = computed()?;
    let url = format!(
        "{}/api/v1/charts/internet-access-ranking.png?w=901",
        served.base
    );
    let bodies = served.runtime.block_on(async {
        let asks: Vec<_> = (0..16)
            .map(|_| {
                let (client, url) = (served.client.clone(), url.clone());
                tokio::spawn(async move {
                    let r = client.get(&url).send().await?;
                    ensure!(r.status() == 200, "{}", r.status());
                    Ok::<_, anyhow::Error>(r.bytes().await?)
                })
            })
            .collect();
        let mut bodies = Vec::new();
        for ask in asks {
            bodies.push(ask.await??);
        }
        Ok::<_, anyhow::Error>(bodies)
    })?;
    ensure!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "the same chart answered different bytes"
    );
    ensure!(
        computed()? == before + 1,
        "16 identical requests computed {} answers",
        computed()? - before
    );

    // Dark theme: the background is the dark one, the same marks.
    let dark = served.ok(&format!("{svg}?theme=dark"))?.text();
    ensure!(dark.contains("#1B1B1F"), "no dark background");

    // ETag, 304, caching and CORS; a new version of the data changes the ETag.
    let first = served.get_with(svg, &[("Origin", "https://news.example")])?;
    ensure!(
        first.status == 200 && first.header("access-control-allow-origin") == "*",
        "CORS"
    );
    ensure!(
        first.header("cache-control").contains("max-age"),
        "{}",
        first.header("cache-control")
    );
    let etag = first.header("etag").to_owned();
    ensure!(etag.starts_with('"'), "{etag:?}");
    let again = served.get_with(svg, &[("If-None-Match", &etag)])?;
    ensure!(again.status == 304, "{}", again.status);
    let legacy = shared_file("eurostat/tsv/isoc_ci_in_h_legacy_2008-2019.tsv");
    sandbox
        .run(&[
            "import",
            legacy.to_str().context("UTF-8")?,
            "--dataset",
            "isoc_ci_in_h",
            "--format",
            "tsv",
        ])?
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = served.get(svg)?;
        if now.status == 200 && now.header("etag") != etag {
            let changed = served.get_with(svg, &[("If-None-Match", &etag)])?;
            ensure!(
                changed.status != 304,
                "the old ETag still matches after a new version"
            );
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the ETag did not change after a new version: {}",
            now.text()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    Ok(())
}
