//! The NUTS-2 shapes (`gisco_nuts2_2021`, GISCO's GeoJSON): fetched by the real binary with the
//! shipped catalogue file from the local upstream serving `../shared/data/geo/` at GISCO's paths,
//! refused whole when the upstream sends a body cut short, something that is not GeoJSON, a
//! maintenance page or a file that lost regions (the good version stays current), and imported
//! offline from the shared file; each time the store the binary wrote is read back with the
//! library's `geo::Shapes::load`, which the map draws from: 334 regions incl. Brussels-Capital.
//! And the shipped NUTS-2 map chart served over the fetched data: a 503 (and an embed page saying
//! so) until the shapes are fetched, then in fr, nl and en every region one polygon filled with
//! the colour of its stored value's class by the legend's bounds (or the hatched no-data fill),
//! the outermost regions in boxes, BE10 in the inset, both credits in the footer.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, ensure};
use desi_city::geo::{self, Shapes};
use desi_city::store::Store;

use crate::support::{Sandbox, read_csv};
use crate::upstream::{Fault, Upstream, gisco_path, shared_file};

const ID: &str = "gisco_nuts2_2021";
const FILE: &str = "NUTS_RG_60M_2021_4326_LEVL_2.geojson";

/// The shipped catalogue file of the shapes, written into the sandbox's catalogue.
fn add_shipped_source(sandbox: &Sandbox) -> Result<()> {
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/gisco_nuts2_2021.toml"
    );
    let text = std::fs::read_to_string(shipped).with_context(|| format!("reading {shipped}"))?;
    sandbox.write_catalogue_file("gisco_nuts2_2021.toml", &text)?;
    Ok(())
}

/// The shapes the store of `sandbox` holds, as the map loads them.
fn shapes(sandbox: &Sandbox) -> Result<Shapes> {
    let store = Store::open(&sandbox.data, 10).context("opening the sandbox's store")?;
    Shapes::load(&store)?.context("the store has no version of the shapes")
}

fn check_shapes(shapes: &Shapes, version: &str) -> Result<()> {
    ensure!(
        shapes.version() == version,
        "{} vs {version}",
        shapes.version()
    );
    let codes: Vec<&str> = shapes.codes().collect();
    ensure!(codes.len() == 334, "{} regions", codes.len());
    let be10 = shapes.get("BE10").context("BE10 is a region")?;
    ensure!(
        be10.country == "BE" && !be10.polygons.is_empty(),
        "{be10:?}"
    );
    ensure!(
        be10.name.starts_with("Région de Bruxelles-Capitale"),
        "{}",
        be10.name
    );
    for code in geo::DISTANT {
        ensure!(shapes.get(code).is_some(), "{code} is kept in the store");
    }
    Ok(())
}

#[test]
fn the_shapes_are_fetched_from_gisco_and_a_broken_answer_never_replaces_them() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    add_shipped_source(&sandbox)?;
    sandbox.fetch(&[ID])?.ok()?.outcome_is(ID, "published")?;
    let path = gisco_path(FILE);
    let asked = server.requests_to(&path);
    ensure!(
        asked.len() == 1,
        "one request to {path}: {:?}",
        server.requests()
    );
    let good = sandbox.current(ID)?;
    ensure!(good.rows == 334, "{} rows", good.rows);
    check_shapes(&shapes(&sandbox)?, &good.version)?;

    // Each broken answer: the run fails, says why, and the good version stays current.
    let retries = 3; // DESI_CITY_RETRIES = 2: a body cut short is downloaded three times.
    let faults: [(Fault, usize, &[&str]); 4] = [
        (Fault::Truncated, retries, &["cut short"]),
        (
            Fault::Replace("eurostat/jsonstat/isoc_ci_in_h.json"),
            1,
            &["not a GeoJSON FeatureCollection"],
        ),
        (Fault::Html, 1, &["HTML page"]),
        // The countries instead of the regions: every region would be lost.
        (
            Fault::Replace("geo/NUTS_RG_60M_2021_4326_LEVL_0.geojson"),
            1,
            &["334 geos", "max_loss"],
        ),
    ];
    for (fault, times, says) in faults {
        let label = format!("{fault:?}");
        server.fault(&path, fault, times);
        let run = sandbox.fetch(&[ID])?;
        run.failed()?
            .outcome_is(ID, "failed")?
            .stderr_has(says)
            .with_context(|| format!("after {label}"))?;
        let current = sandbox.current(ID)?;
        ensure!(
            current.version == good.version,
            "{label} replaced {} by {}",
            good.version,
            current.version
        );
        ensure!(sandbox.versions(ID)?.len() == 1, "{label} added a version");
        check_shapes(&shapes(&sandbox)?, &good.version)?;
    }

    // The same good file again: recognised by its hash, nothing stored.
    sandbox.fetch(&[ID])?.ok()?.outcome_is(ID, "unchanged")?;
    ensure!(sandbox.current(ID)?.version == good.version);
    Ok(())
}

#[test]
fn the_shared_geojson_imports_offline_detected_or_named_and_the_map_reads_it() -> Result<()> {
    let file = shared_file(&format!("geo/{FILE}"));
    let file = file.to_str().context("UTF-8 path")?;
    for with_format in [false, true] {
        let sandbox = Sandbox::offline()?;
        add_shipped_source(&sandbox)?;
        let mut args = vec!["import", file, "--dataset", ID];
        if with_format {
            args.extend(["--format", "geojson"]);
        }
        let run = sandbox.run(&args)?;
        run.ok()?;
        ensure!(
            run.stdout.contains("334 rows, format geojson"),
            "{}",
            run.describe()
        );
        let current = sandbox.current(ID)?;
        ensure!(
            current.entry["attribution"]
                .as_str()
                .is_some_and(|a| a.contains("© EuroGeographics")),
            "the catalogue's credit line is the version's: {:#}",
            current.entry
        );
        check_shapes(&shapes(&sandbox)?, &current.version)?;

        // The stored version exports like any dataset: one CSV row per region, its shape as text.
        let csv = sandbox.run(&["export", ID, "--format", "csv"])?;
        csv.ok()?;
        let csv_file = sandbox.root.join("shapes.csv");
        std::fs::write(&csv_file, &csv.stdout)?;
        let (header, rows) = read_csv(&csv_file)?;
        for column in ["geo", "geo_label", "country", "nuts_name", "geometry"] {
            ensure!(
                header.iter().any(|h| h == column),
                "{header:?} lacks {column}"
            );
        }
        ensure!(rows == 334, "{rows} CSV rows");
    }
    Ok(())
}

/// Every NUTS-2 code of the shared GeoJSON (read here with serde_json, not with the code under
/// test).
fn shared_codes() -> Result<Vec<String>> {
    let text = std::fs::read_to_string(shared_file(&format!("geo/{FILE}")))?;
    let doc: serde_json::Value = serde_json::from_str(&text)?;
    let features = doc["features"].as_array().context("features")?;
    features
        .iter()
        .map(|f| {
            f["properties"]["NUTS_ID"]
                .as_str()
                .map(str::to_owned)
                .context("NUTS_ID")
        })
        .collect()
}

/// The stored NUTS-2 values of a year: geo → (value, flags), read with DuckDB from the Parquet
/// file the pipeline published.
fn stored_regions(file: &std::path::Path, year: &str) -> Result<BTreeMap<String, f64>> {
    let conn = duckdb::Connection::open_in_memory()?;
    let sql = format!(
        "SELECT geo, value FROM read_parquet('{}') WHERE period = ? AND unit = 'PC_HH' AND length(geo) = 4 AND value IS NOT NULL",
        file.display().to_string().replace('\'', "''")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([year], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (geo, value) = row?;
        out.insert(geo, value);
    }
    Ok(out)
}

/// A polygon of the map's SVG: its region, part (map, outermost, inset), fill and outline.
struct Shape {
    geo: String,
    part: String,
    fill: String,
    points: Vec<(f64, f64)>,
}

fn polygons(svg: &str) -> Result<Vec<Shape>> {
    let doc = roxmltree::Document::parse(svg)?;
    Ok(doc
        .descendants()
        .filter(|n| n.has_tag_name("polygon"))
        .map(|n| Shape {
            geo: n.attribute("data-geo").unwrap_or_default().to_owned(),
            part: n.attribute("data-part").unwrap_or_default().to_owned(),
            fill: n.attribute("fill").unwrap_or_default().to_ascii_lowercase(),
            points: n
                .attribute("points")
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect(),
        })
        .collect())
}

/// (x, y, width, height, fill) of every `<rect>`; (stroke, points) of every `<polyline>` and of
/// every subpath of a `<path>` (outside the patterns).
type Rects = Vec<(f64, f64, f64, f64, String)>;
type Lines = Vec<(String, Vec<(f64, f64)>)>;

fn rects_and_lines(svg: &str) -> Result<(Rects, Lines)> {
    let doc = roxmltree::Document::parse(svg)?;
    let num = |n: &roxmltree::Node, a: &str| {
        n.attribute(a)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let mut rects = Vec::new();
    let mut lines = Vec::new();
    // (Not what a `<pattern>` draws inside its tile.)
    for n in doc
        .descendants()
        .filter(|n| n.ancestors().all(|a| !a.has_tag_name("pattern")))
    {
        if n.has_tag_name("rect") {
            rects.push((
                num(&n, "x"),
                num(&n, "y"),
                num(&n, "width"),
                num(&n, "height"),
                n.attribute("fill").unwrap_or_default().to_ascii_lowercase(),
            ));
        } else if n.has_tag_name("polyline") || n.has_tag_name("path") {
            // A polyline's points, or each subpath of a path of straight lines ("M x,y L x,y …").
            let stroke = n
                .attribute("stroke")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let point = |p: &str| {
                let (x, y) = p.split_once(',')?;
                Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
            };
            if let Some(points) = n.attribute("points") {
                lines.push((
                    stroke,
                    points.split_whitespace().filter_map(point).collect(),
                ));
            } else if let Some(d) = n.attribute("d") {
                for sub in d.split('M').filter(|s| !s.trim().is_empty()) {
                    lines.push((stroke.clone(), sub.split('L').filter_map(point).collect()));
                }
            }
        }
    }
    Ok((rects, lines))
}

/// A number of the legend as written in `lang` (decimal comma in fr and nl).
fn legend_number(text: &str, lang: &str) -> Option<f64> {
    let s: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\u{202f}' | '\u{a0}'))
        .collect();
    let s = if lang == "en" {
        s.replace(',', "")
    } else {
        s.replace('.', "").replace(',', ".")
    };
    s.parse().ok()
}

#[test]
fn the_nuts2_map_is_a_503_until_the_shapes_are_fetched_then_draws_every_region_in_its_class()
-> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    crate::charts::catalogue(&sandbox)?;
    sandbox.fetch(&["isoc_r_iacc_h"])?.ok()?;
    let served = crate::charts::Served::start(&sandbox)?;
    let svg_path = "/api/v1/charts/internet-access-regions-map.svg";

    // Listed, but the shapes are not fetched yet: a 503 problem, and the embed page says so.
    let list = served.ok("/api/v1/charts")?.json()?;
    ensure!(
        list["charts"]
            .as_array()
            .context("charts")?
            .iter()
            .any(|c| c["id"] == "internet-access-regions-map" && c["type"] == "map"),
        "the map is not listed: {list}"
    );
    served.get(svg_path)?.problem(503, ID)?;
    let page = served.get("/embed/internet-access-regions-map?lang=fr")?;
    ensure!(
        page.status == 503 && page.text().contains("has not been fetched yet"),
        "{} {}",
        page.status,
        page.text()
    );

    // Fetched: the served snapshot follows, and the map draws.
    sandbox.fetch(&[ID])?.ok()?.outcome_is(ID, "published")?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while served.get(svg_path)?.status != 200 {
        ensure!(
            std::time::Instant::now() < deadline,
            "the map did not draw after the shapes were fetched"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let regional = sandbox.current("isoc_r_iacc_h")?.file;
    let values = stored_regions(&regional, "2025")?;
    // The catalogue's query keeps the capital regions and Belgium's.
    ensure!(
        values.len() >= 10,
        "{} regions with a 2025 value",
        values.len()
    );
    let codes = shared_codes()?;
    ensure!(codes.len() == 334);
    // Svalbard and Jan Mayen are the one region not drawn (and the alt text says so).
    let drawn: Vec<&String> = codes.iter().filter(|c| c.as_str() != "NO0B").collect();

    for lang in ["fr", "nl", "en"] {
        let answer = served.ok(&format!("{svg_path}?lang={lang}"))?;
        let text = answer.text();
        let svg = crate::charts::parse_svg(&answer.body)?;
        let (title, nuts, credit, no_data) = match lang {
            "fr" => (
                "Ménages ayant accès à internet par région NUTS 2",
                "régions NUTS 2",
                "Limites",
                "pas de données",
            ),
            "nl" => (
                "Huishoudens met internettoegang per NUTS 2-regio",
                "NUTS 2-regio's",
                "Grenzen",
                "geen gegevens",
            ),
            _ => (
                "Households with internet access by NUTS 2 region",
                "NUTS 2 regions",
                "Boundaries",
                "no data",
            ),
        };
        ensure!(svg.title == title, "{lang}: title {:?}", svg.title);
        let alt = served
            .ok(&format!(
                "/api/v1/charts/internet-access-regions-map.txt?lang={lang}"
            ))?
            .text();
        ensure!(
            svg.desc == alt && alt.starts_with(title) && alt.contains(nuts) && alt.contains("NO0B"),
            "{lang}: desc {:?} vs alt {alt:?}",
            svg.desc
        );
        let footer = svg.footer();
        for word in ["isoc_r_iacc_h", "© EuroGeographics", credit, "CC BY 4.0"] {
            ensure!(
                footer.contains(word),
                "{lang}: the footer lacks {word:?}: {footer}"
            );
        }

        // The legend: per class a swatch and "low – high"; then the no-data swatch.
        let (rects, lines) = rects_and_lines(&text)?;
        let swatch_left = |y: f64, x: f64| {
            rects
                .iter()
                .find(|r| {
                    r.4 != "none"
                        && r.2 > 5.0
                        && r.2 < 40.0
                        && (r.1 + r.3 / 2.0 - y).abs() <= 3.0
                        && r.0 + r.2 <= x
                        && x - (r.0 + r.2) < 20.0
                })
                .cloned()
        };
        let mut classes: Vec<(f64, f64, String)> = Vec::new();
        let mut no_data_swatch = None;
        for (x, y, _, t) in &svg.texts {
            if let Some((lo, hi)) = t.split_once(" – ")
                && let (Some(lo), Some(hi)) = (legend_number(lo, lang), legend_number(hi, lang))
            {
                let swatch =
                    swatch_left(*y, *x).with_context(|| format!("{lang}: no swatch for {t}"))?;
                classes.push((lo, hi, swatch.4));
            } else if t == no_data {
                no_data_swatch = swatch_left(*y, *x);
            }
        }
        ensure!(classes.len() == 5, "{lang}: legend {classes:?}");
        let no_data_swatch =
            no_data_swatch.with_context(|| format!("{lang}: no no-data swatch"))?;
        // The no-data swatch is filled with the hatching pattern: defined in the SVG, in user
        // space (the lines of neighbouring regions meet), its lines in a colour of their own.
        let pattern_id = no_data_swatch
            .4
            .strip_prefix("url(#")
            .and_then(|r| r.strip_suffix(')'))
            .with_context(|| format!("{lang}: the no-data swatch is {}", no_data_swatch.4))?
            .to_owned();
        let doc = roxmltree::Document::parse(&text)?;
        let pattern = doc
            .descendants()
            .find(|n| {
                n.has_tag_name("pattern")
                    && n.attribute("id").map(str::to_ascii_lowercase).as_deref()
                        == Some(pattern_id.as_str())
            })
            .with_context(|| format!("{lang}: no pattern {pattern_id}"))?;
        ensure!(pattern.attribute("patternUnits") == Some("userSpaceOnUse"));
        let hatch = pattern
            .children()
            .find(|n| n.has_tag_name("path"))
            .and_then(|n| n.attribute("stroke"))
            .with_context(|| format!("{lang}: the pattern has no lines"))?
            .to_ascii_lowercase();
        ensure!(
            classes.iter().all(|c| c.2 != hatch),
            "{lang}: the hatching is in a class colour {hatch}"
        );
        ensure!(
            !lines.iter().any(|(stroke, _)| *stroke == hatch),
            "{lang}: hatching drawn as lines besides the pattern"
        );

        // One filled polygon per drawn region, in the fill of its value's class or no data.
        let shapes = polygons(&text)?;
        let on_map: Vec<&Shape> = shapes
            .iter()
            .filter(|s| s.part == "map" || s.part == "outermost")
            .collect();
        for code in &drawn {
            let mine: Vec<&&Shape> = on_map.iter().filter(|s| &s.geo == *code).collect();
            ensure!(
                mine.len() == 1,
                "{lang}: {code} has {} polygons",
                mine.len()
            );
            let shape = mine[0];
            match values.get(code.as_str()) {
                Some(v) => {
                    // A value on a rounded bound may sit in either neighbouring class.
                    let fits: Vec<&String> = classes
                        .iter()
                        .filter(|(lo, hi, _)| *v >= lo - 0.05 && *v <= hi + 0.05)
                        .map(|c| &c.2)
                        .collect();
                    ensure!(
                        fits.contains(&&shape.fill),
                        "{lang}: {code} = {v} is filled {} but its class is one of {fits:?} ({classes:?})",
                        shape.fill
                    );
                }
                None => ensure!(
                    shape.fill == no_data_swatch.4,
                    "{lang}: {code} has no value but is filled {}",
                    shape.fill
                ),
            }
        }
        ensure!(
            on_map.len() == drawn.len(),
            "{lang}: {} polygons for {} regions",
            on_map.len(),
            drawn.len()
        );
        for code in [
            "FRY1", "FRY2", "FRY3", "FRY4", "FRY5", "PT20", "PT30", "ES70",
        ] {
            ensure!(
                shapes
                    .iter()
                    .any(|s| s.geo == code && s.part == "outermost"),
                "{lang}: {code} has no box"
            );
        }
        // BE10 in the inset: in its class colour, many pixels wide.
        let be10 = values.get("BE10").context("BE10 2025")?;
        let inset = shapes
            .iter()
            .find(|s| s.geo == "BE10" && s.part == "inset")
            .with_context(|| format!("{lang}: BE10 is not in the inset"))?;
        let fits: Vec<&String> = classes
            .iter()
            .filter(|(lo, hi, _)| *be10 >= lo - 0.05 && *be10 <= hi + 0.05)
            .map(|c| &c.2)
            .collect();
        ensure!(
            fits.contains(&&inset.fill),
            "{lang}: BE10 in the inset is {}",
            inset.fill
        );
        let xs = inset.points.iter().map(|p| p.0);
        let wide = xs.clone().fold(f64::NEG_INFINITY, f64::max) - xs.fold(f64::INFINITY, f64::min);
        ensure!(wide >= 15.0, "{lang}: BE10 is {wide} px wide in the inset");

        // The PNG at an asked size.
        let png = served.ok(&format!(
            "/api/v1/charts/internet-access-regions-map.png?lang={lang}&w=640&h=400"
        ))?;
        ensure!(png.header("content-type") == "image/png");
        let reader = png::Decoder::new(std::io::Cursor::new(&png.body))
            .read_info()
            .context("the PNG decodes")?;
        ensure!((reader.info().width, reader.info().height) == (640, 400));
    }

    // Its data and its embed page.
    let csv = served
        .ok("/api/v1/charts/internet-access-regions-map.csv")?
        .text();
    ensure!(
        csv.starts_with("geo,name,period,value,flags,class,class_low,class_high\r\n")
            && csv.contains("\r\nBE10,"),
        "{csv}"
    );
    crate::support::crlf_lines("the map's CSV", &csv)?;
    let page = served.ok("/embed/internet-access-regions-map?lang=nl")?;
    ensure!(page.text().contains("EuroGeographics") && !page.text().contains("<script"));
    // A geo that is not a region of the map, a year without values: 404 naming them.
    served
        .get(&format!("{svg_path}?geo=BE"))?
        .problem(404, "geo")?;
    served
        .get(&format!("{svg_path}?to=1999"))?
        .problem(404, "to")?;
    Ok(())
}
