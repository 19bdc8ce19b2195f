//! Tests of the choropleth: drawn with plotters' SVG backend into a string over the real GISCO
//! shapes and real regional values (the shared excerpt of `isoc_r_iacc_h`, 2025: Austria,
//! Belgium, Bulgaria, Switzerland, Cyprus, Czechia; every other region is no data), then the SVG
//! parsed back with roxmltree and checked element by element.

use std::collections::BTreeMap;

use plotters::prelude::{IntoDrawingArea, SVGBackend};
use plotters::style::RGBColor;

use super::*;
use crate::fetch::parse::{self, Format, ParseOptions};
use crate::geo::breaks;

fn shared(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(super) fn shapes() -> Shapes {
    let bytes = shared("geo/NUTS_RG_60M_2021_4326_LEVL_2.geojson");
    let parsed = parse::parse(Format::GeoJson, "gisco", &bytes, &ParseOptions::default())
        .expect("the shared shapes parse");
    Shapes::from_batches("test", &[parsed.batch]).expect("shapes")
}

/// Households with internet access (%), 2025, per NUTS-2 region of the shared excerpt.
pub(super) fn values() -> BTreeMap<String, f64> {
    let bytes = shared("eurostat/sdmx-csv/isoc_r_iacc_h_excerpt.csv");
    let parsed = parse::parse(
        Format::SdmxCsv,
        "isoc_r_iacc_h",
        &bytes,
        &ParseOptions::default(),
    )
    .expect("the excerpt parses");
    let b = &parsed.batch;
    let text = |name: &str| {
        b.column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<arrow::array::StringArray>())
            .unwrap_or_else(|| panic!("column {name}"))
            .clone()
    };
    let (geo, period, unit) = (text("geo"), text("period"), text("unit"));
    let value = b
        .column_by_name("value")
        .and_then(|c| c.as_any().downcast_ref::<arrow::array::Float64Array>())
        .expect("value")
        .clone();
    use arrow::array::Array;
    (0..b.num_rows())
        .filter(|&i| {
            geo.value(i).len() == 4
                && period.value(i) == "2025"
                && unit.value(i) == "PC_HH"
                && value.is_valid(i)
        })
        .map(|i| (geo.value(i).to_owned(), value.value(i)))
        .collect()
}

const FILLS: [RGBColor; 5] = [
    RGBColor(0xDE, 0xEB, 0xF7),
    RGBColor(0x9E, 0xCA, 0xE1),
    RGBColor(0x42, 0x92, 0xC6),
    RGBColor(0x21, 0x71, 0xB5),
    RGBColor(0x08, 0x45, 0x94),
];
const NO_DATA: RGBColor = RGBColor(0x99, 0x99, 0x99);
const STROKE: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
const BACKGROUND: RGBColor = RGBColor(0xF7, 0xF7, 0xF7);
const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);

pub(super) fn french(v: f64) -> String {
    format!("{v:.1}").replace('.', ",")
}

pub(super) fn style<'a>(format: &'a dyn Fn(f64) -> String) -> MapStyle<'a> {
    MapStyle {
        fills: &FILLS,
        no_data: NO_DATA,
        no_data_fill: BACKGROUND,
        stroke: STROKE,
        background: BACKGROUND,
        text: TEXT,
        muted: TEXT,
        font: "sans-serif",
        font_size: 12.0,
        format,
        no_data_label: "Pas de données",
        highlight_name: None,
    }
}

fn render(
    size: (u32, u32),
    values: &BTreeMap<String, f64>,
    breaks: &[f64],
    highlight: Option<&str>,
) -> (String, Drawn) {
    let (svg, drawn) = plotted(size, values, breaks, highlight);
    (
        finish(&svg, &drawn, BACKGROUND, NO_DATA, BACKGROUND, "test"),
        drawn,
    )
}

/// Plotters' SVG of the map, not finished, and what was drawn.
fn plotted(
    size: (u32, u32),
    values: &BTreeMap<String, f64>,
    breaks: &[f64],
    highlight: Option<&str>,
) -> (String, Drawn) {
    let shapes = shapes();
    let format = french;
    let mut svg = String::new();
    let drawn = {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let drawn = draw(&area, &shapes, values, breaks, highlight, &style(&format))
            .expect("the map draws");
        area.present().expect("the SVG is written");
        drawn
    };
    (svg, drawn)
}

/// The fill of a region without a value: the hatching pattern.
const PATTERN: &str = "url(#test-no-data)";

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn points(node: &roxmltree::Node) -> Vec<(f64, f64)> {
    node.attribute("points")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| {
            let (x, y) = p.split_once(',')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        })
        .collect()
}

/// Even-odd point-in-polygon over a (keyhole-joined) outline.
fn contains(outline: &[(f64, f64)], (x, y): (f64, f64)) -> bool {
    let mut inside = false;
    for w in outline.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if (y0 > y) != (y1 > y) && x < x0 + (y - y0) * (x1 - x0) / (y1 - y0) {
            inside = !inside;
        }
    }
    inside
}

fn elements<'a>(doc: &'a roxmltree::Document, tag: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants().filter(|n| n.has_tag_name(tag)).collect()
}

#[test]
fn each_region_is_one_polygon_filled_with_its_class_colour_in_drawing_order() {
    let values = values();
    let breaks = breaks::quantiles(&values.values().copied().collect::<Vec<_>>(), 5);
    assert_eq!(breaks.len(), 4);
    let (svg, drawn) = render((800, 500), &values, &breaks, None);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is XML");
    let polygons = elements(&doc, "polygon");
    // 334 regions less the 9 distant ones; one polygon each; then the 8 outermost regions, one
    // polygon each in a box of its own.
    assert_eq!(drawn.regions.len(), 325);
    assert_eq!(polygons.len(), drawn.polygons.len());
    let parts = |part: Part| drawn.polygons.iter().filter(|p| p.1 == part).count();
    assert_eq!(parts(Part::Map), 325);
    assert_eq!(parts(Part::Outermost), 8);
    assert_eq!(drawn.outermost.len(), 8);
    for ((polygon, (geo, part)), box_) in polygons
        .iter()
        .zip(&drawn.polygons)
        .filter(|(_, p)| p.1 == Part::Outermost)
        .zip(&drawn.outermost)
    {
        assert_eq!((part, geo), (&Part::Outermost, &box_.0));
        let expected = values.get(geo).map_or(PATTERN.to_owned(), |v| {
            hex(FILLS[breaks::class_of(*v, &breaks)])
        });
        assert_eq!(polygon.attribute("fill"), Some(expected.as_str()), "{geo}");
        let [l, t, r, b] = box_.1;
        assert!(
            points(polygon).iter().all(|(x, y)| *x >= f64::from(l) - 0.5
                && *x <= f64::from(r) + 0.5
                && *y >= f64::from(t) - 0.5
                && *y <= f64::from(b) + 0.5),
            "{geo} inside its box"
        );
    }
    for (polygon, region) in polygons.iter().zip(&drawn.regions) {
        let expected = match region.class {
            Some(class) => hex(FILLS[class]),
            None => PATTERN.to_owned(),
        };
        assert_eq!(
            polygon.attribute("fill"),
            Some(expected.as_str()),
            "{}",
            region.geo
        );
        let class = values
            .get(&region.geo)
            .map(|v| breaks::class_of(*v, &breaks));
        assert_eq!(region.class, class, "{}", region.geo);
    }
    assert_eq!(
        drawn.regions.iter().filter(|r| r.class.is_some()).count(),
        values.len(),
        "every region of the excerpt has a class"
    );
    assert!(drawn.highlight.is_none());
}

#[test]
fn regions_without_a_value_are_hatched_and_regions_with_one_are_not() {
    let values = values();
    let breaks = breaks::natural(&values.values().copied().collect::<Vec<_>>(), 5);
    let (svg, drawn) = render((800, 500), &values, &breaks, None);
    let doc = roxmltree::Document::parse(&svg).expect("XML");
    // One pattern, in user space (so that the lines of neighbouring regions meet): a tile of the
    // no-data fill crossed by 45° lines in the hatching colour, 4 px apart.
    let patterns = elements(&doc, "pattern");
    assert_eq!(patterns.len(), 1, "one hatching pattern");
    let pattern = &patterns[0];
    assert_eq!(pattern.attribute("id"), Some("test-no-data"));
    assert_eq!(pattern.attribute("patternUnits"), Some("userSpaceOnUse"));
    assert_eq!(
        (pattern.attribute("width"), pattern.attribute("height")),
        (Some("4"), Some("4"))
    );
    let tile = pattern
        .children()
        .find(|n| n.has_tag_name("rect"))
        .expect("a background");
    assert_eq!(tile.attribute("fill"), Some(hex(BACKGROUND).as_str()));
    let lines = pattern
        .children()
        .find(|n| n.has_tag_name("path"))
        .expect("lines");
    assert_eq!(lines.attribute("stroke"), Some(hex(NO_DATA).as_str()));
    let d = lines.attribute("d").unwrap_or_default();
    let segments: Vec<Vec<(f64, f64)>> = d
        .split('M')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.split('L')
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect()
        })
        .collect();
    assert!(segments.len() >= 2, "{d}");
    for seg in &segments {
        let ((x0, y0), (x1, y1)) = (seg[0], seg[1]);
        assert!((x1 - x0 + (y1 - y0)).abs() < 1e-9, "a 45° line: {d}");
        assert_eq!((x0 + y0) % 4.0, 0.0, "on a line x + y = 4k: {d}");
    }
    // No line elements of the hatching any more: the pattern draws it.
    assert!(
        !elements(&doc, "polyline")
            .iter()
            .chain(elements(&doc, "path").iter())
            .any(|n| n.attribute("stroke") == Some(hex(NO_DATA).as_str())
                && n.ancestors().all(|a| !a.has_tag_name("pattern"))),
        "hatching drawn as lines"
    );
    let polygons = elements(&doc, "polygon");
    for code in ["FRK2", "ES30", "DE21", "PL92"] {
        let i = drawn
            .regions
            .iter()
            .position(|r| r.geo == code)
            .expect(code);
        assert_eq!(
            drawn.regions[i].class, None,
            "{code} has no value in the excerpt"
        );
        assert_eq!(
            polygons[i].attribute("fill"),
            Some(PATTERN),
            "{code} is hatched"
        );
    }
    for code in ["AT12", "BG31", "CZ03"] {
        let i = drawn
            .regions
            .iter()
            .position(|r| r.geo == code)
            .expect(code);
        assert!(drawn.regions[i].class.is_some());
        assert_ne!(
            polygons[i].attribute("fill"),
            Some(PATTERN),
            "{code} has a value and no hatching"
        );
    }
    // The no-data row of the legend, in the caller's words, its swatch hatched.
    assert!(svg.contains("Pas de données"));
    assert!(
        elements(&doc, "rect")
            .iter()
            .any(|r| r.attribute("fill") == Some(PATTERN)),
        "the legend's no-data swatch is hatched"
    );
}

#[test]
fn the_legend_shows_the_class_bounds_which_are_the_breaks() {
    let values = values();
    let all: Vec<f64> = values.values().copied().collect();
    for breaks in [breaks::quantiles(&all, 5), breaks::natural(&all, 4)] {
        let (svg, _) = render((800, 500), &values, &breaks, None);
        let doc = roxmltree::Document::parse(&svg).expect("XML");
        let bounds: Vec<(String, String)> = elements(&doc, "text")
            .iter()
            .filter_map(|n| n.text())
            .filter_map(|t| {
                let (lo, hi) = t.trim().split_once(" – ")?;
                Some((lo.to_owned(), hi.to_owned()))
            })
            .collect();
        assert_eq!(bounds.len(), breaks.len() + 1, "{bounds:?}");
        let min = all.iter().copied().fold(f64::INFINITY, f64::min);
        let max = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(bounds[0].0, french(min));
        assert_eq!(bounds[breaks.len()].1, french(max));
        for (i, b) in breaks.iter().enumerate() {
            assert_eq!(bounds[i].1, french(*b), "upper bound of class {i}");
            assert_eq!(
                bounds[i + 1].0,
                french(*b),
                "lower bound of class {}",
                i + 1
            );
        }
        // One swatch per class, in the class colours, lightest first.
        let swatches: Vec<String> = elements(&doc, "rect")
            .iter()
            .filter_map(|n| n.attribute("fill").map(str::to_owned))
            .filter(|f| FILLS.iter().any(|c| hex(*c) == *f))
            .collect();
        let expected: Vec<String> = FILLS[..=breaks.len()].iter().map(|c| hex(*c)).collect();
        assert_eq!(swatches, expected);
    }
}

#[test]
fn brussels_capital_is_ringed_on_the_map_and_shown_in_an_inset_in_its_class_colour() {
    let values = values();
    let breaks = breaks::quantiles(&values.values().copied().collect::<Vec<_>>(), 5);
    let (svg, drawn) = render((800, 500), &values, &breaks, Some("BE10"));
    let doc = roxmltree::Document::parse(&svg).expect("XML");
    let i = drawn
        .regions
        .iter()
        .position(|r| r.geo == "BE10")
        .expect("BE10 drawn");
    let be10 = &drawn.regions[i];
    let class = be10.class.expect("BE10 has a value");
    assert_eq!(class, breaks::class_of(values["BE10"], &breaks));
    let polygons = elements(&doc, "polygon");
    assert_eq!(
        polygons[i].attribute("fill"),
        Some(hex(FILLS[class]).as_str())
    );

    // The ring: a circle around BE10's centroid, in the text colour.
    let ring = elements(&doc, "circle")
        .into_iter()
        .find(|c| c.attribute("stroke") == Some(hex(TEXT).as_str()))
        .expect("a ring");
    let at = |n: &roxmltree::Node, a: &str| n.attribute(a).and_then(|v| v.parse::<i32>().ok());
    assert_eq!(
        (at(&ring, "cx"), at(&ring, "cy")),
        (Some(be10.centroid.0), Some(be10.centroid.1))
    );

    // The inset: more polygons after the map's; the one under the inset's centre is BE10's, in
    // its class colour, and many times larger than on the map.
    let (hx, hy) = drawn.highlight.expect("an inset");
    assert!(hx > 560, "the inset is in the panel right of the map: {hx}");
    let inset: Vec<roxmltree::Node> = polygons
        .iter()
        .zip(&drawn.polygons)
        .filter(|(_, p)| p.1 == Part::Inset)
        .map(|(n, _)| *n)
        .collect();
    assert!(inset.len() >= 3, "BE10 and its neighbours: {}", inset.len());
    let under: Vec<&roxmltree::Node> = inset
        .iter()
        .filter(|p| contains(&points(p), (f64::from(hx), f64::from(hy))))
        .collect();
    let top = under.last().expect("a region under the inset's centre");
    assert_eq!(top.attribute("fill"), Some(hex(FILLS[class]).as_str()));
    let width = |p: &[(f64, f64)]| {
        let xs = p.iter().map(|q| q.0);
        xs.clone().fold(f64::NEG_INFINITY, f64::max) - xs.fold(f64::INFINITY, f64::min)
    };
    let (magnified, on_map) = (width(&points(top)), width(&points(&polygons[i])).max(1.0));
    assert!(
        magnified > 5.0 * on_map,
        "{magnified} px in the inset, {on_map} px on the map"
    );
    assert!(magnified >= 20.0, "{magnified} px");
    // Its label names it with its value, formatted by the caller.
    let texts: Vec<String> = elements(&doc, "text")
        .iter()
        .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
        .collect();
    assert!(
        texts.iter().any(|t| t == "Région de Bruxelles-Capitale"),
        "{texts:?}"
    );
    let label = format!("BE10: {}", french(values["BE10"]));
    assert!(texts.contains(&label), "{label} not in {texts:?}");
}

#[test]
fn a_highlight_without_a_value_is_hatched_in_the_inset_and_says_no_data() {
    let values = values();
    let breaks = breaks::natural(&values.values().copied().collect::<Vec<_>>(), 3);
    let (svg, drawn) = render((800, 500), &values, &breaks, Some("DE30"));
    assert!(drawn.highlight.is_some());
    assert!(
        svg.contains("DE30: Pas de données"),
        "the label says no data"
    );
    assert!(svg.contains("Berlin"));
}

#[test]
fn a_portrait_or_small_area_still_shows_the_highlight() {
    let values = values();
    let breaks = breaks::quantiles(&values.values().copied().collect::<Vec<_>>(), 4);
    let (_, portrait) = render((400, 640), &values, &breaks, Some("BE10"));
    let (hx, hy) = portrait.highlight.expect("an inset under the map");
    assert!(hy > 400 && hx < 400, "{hx},{hy}");
    let (svg, small) = render((320, 200), &values, &breaks, Some("BE10"));
    let be10 = small
        .regions
        .iter()
        .find(|r| r.geo == "BE10")
        .expect("BE10");
    let ring = small.highlight.expect("a callout");
    assert!(ring == be10.centroid || ring.0 > 200, "{ring:?}");
    assert!(svg.contains("BE10"));
}

#[test]
fn an_unknown_highlight_and_no_values_draw_every_region_as_no_data() {
    let (svg, drawn) = render((800, 500), &BTreeMap::new(), &[], Some("XX99"));
    assert!(drawn.highlight.is_none());
    assert!(drawn.regions.iter().all(|r| r.class.is_none()));
    assert!(!svg.contains(" – "), "no class row without values");
}

#[test]
fn clipping_keeps_the_part_of_a_ring_inside_the_box() {
    let square = [
        (0.0, 0.0),
        (10.0, 0.0),
        (10.0, 10.0),
        (0.0, 10.0),
        (0.0, 0.0),
    ];
    let clipped = clip_ring(
        &square,
        Px {
            l: 5.0,
            t: -5.0,
            r: 20.0,
            b: 5.0,
        },
    );
    let area: f64 = clipped
        .windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum::<f64>()
        .abs()
        / 2.0;
    assert_eq!(area, 25.0);
    assert!(
        clip_ring(
            &square,
            Px {
                l: 20.0,
                t: 20.0,
                r: 30.0,
                b: 30.0
            }
        )
        .is_empty()
    );
}

#[test]
fn vertices_on_a_straight_run_are_dropped_and_corners_and_spikes_kept() {
    // A square with points along two of its sides, and a spike out and back on the third.
    let ring = vec![
        (0, 0),
        (2, 0),
        (4, 0),
        (4, 2),
        (4, 4),
        (2, 4),
        (2, 6),
        (2, 4),
        (0, 4),
        (0, 0),
    ];
    assert_eq!(
        straight(ring),
        vec![
            (0, 0),
            (4, 0),
            (4, 4),
            (2, 4),
            (2, 6),
            (2, 4),
            (0, 4),
            (0, 0)
        ]
    );
}

#[test]
fn the_png_shows_what_the_svg_shows_hatching_borders_and_brussels_in_its_inset() {
    use resvg::tiny_skia::Pixmap;
    let values = values();
    let breaks = breaks::quantiles(&values.values().copied().collect::<Vec<_>>(), 5);
    let (svg, drawn) = render((800, 500), &values, &breaks, Some("BE10"));
    let png = crate::charts::raster::png(&svg).expect("the PNG");
    let ours = Pixmap::decode_png(&png).expect("decodes");
    let rgb = |x: i32, y: i32| {
        let p = ours.pixel(x as u32, y as u32).expect("in the image");
        [p.red(), p.green(), p.blue()]
    };

    // Pixel for pixel what resvg draws from the whole SVG, but for the edges between merged
    // regions (no seam there now) and the anti-aliasing of a glyph or a line.
    let theirs = crate::charts::raster::by_resvg(&svg);
    let differences: Vec<u8> = ours
        .data()
        .chunks_exact(4)
        .zip(theirs.data().chunks_exact(4))
        .map(|(a, b)| (0..3).map(|k| a[k].abs_diff(b[k])).max().unwrap_or(0))
        .collect();
    let far = differences.iter().filter(|d| **d > 32).count();
    let mean = differences.iter().map(|d| f64::from(*d)).sum::<f64>() / differences.len() as f64;
    assert!(
        far < 100 && mean < 0.25,
        "{far} pixels differ by more than 32, mean difference {mean:.2}"
    );

    // The largest region without data (drawn first) is hatched: around its centroid both the
    // lines' colour and the fill's, every fourth pixel along a row or a column alike.
    let first = &drawn.regions[0];
    assert_eq!(first.class, None);
    let (cx, cy) = first.centroid;
    let block: Vec<[u8; 3]> = (0..4)
        .flat_map(|dx| (0..4).map(move |dy| (cx + dx, cy + dy)))
        .map(|(x, y)| rgb(x, y))
        .collect();
    let dark = |c: &[u8; 3]| c[0] < 0xC8;
    assert!(block.iter().any(dark), "hatching lines: {block:?}");
    assert!(
        block.iter().any(|c| c == &[0xF7, 0xF7, 0xF7]),
        "the fill between them: {block:?}"
    );
    for (x, y) in [(cx, cy), (cx + 1, cy + 2), (cx + 3, cy + 1)] {
        assert_eq!(rgb(x, y), rgb(x + 4, y), "({x}, {y}) along the row");
        assert_eq!(rgb(x, y), rgb(x, y + 4), "({x}, {y}) down the column");
    }

    // The borders are drawn (the stroke colour is found nowhere else).
    let white = ours
        .data()
        .chunks_exact(4)
        .filter(|p| p[..3] == [0xFF, 0xFF, 0xFF])
        .count();
    assert!(white > 1000, "{white} border pixels");

    // Brussels-Capital is in its class colour at the inset's centre.
    let class = values.get("BE10").map(|v| breaks::class_of(*v, &breaks));
    let fill = FILLS[class.expect("BE10 has a value")];
    let (hx, hy) = drawn.highlight.expect("an inset");
    assert_eq!(rgb(hx, hy), [fill.0, fill.1, fill.2]);
}

#[test]
fn the_png_of_the_regions_handed_over_is_the_png_of_the_svg_byte_for_byte() {
    let values = values();
    let breaks = breaks::quantiles(&values.values().copied().collect::<Vec<_>>(), 5);
    let (svg, drawn) = plotted((800, 500), &values, &breaks, Some("BE10"));
    let whole = finish(&svg, &drawn, BACKGROUND, NO_DATA, BACKGROUND, "test");
    let (marked, shapes) = finish_for_png(&svg, &drawn, BACKGROUND, NO_DATA, BACKGROUND, "test");
    // The map, the outermost boxes and the inset: each a mark and its shapes.
    let marks = marked.matches(crate::charts::raster::MARK).count();
    assert_eq!(marks, shapes.len());
    assert_eq!(marks, 1 + drawn.outermost.len() + 1);
    assert!(!marked.contains("<polygon") && marked.contains("<pattern id=\"test-no-data\""));
    assert!(marked.len() * 4 < whole.len(), "the points are not written");
    let png = crate::charts::raster::png(&whole).expect("the PNG of the SVG");
    let given = crate::charts::raster::png_with(&marked, &shapes).expect("the PNG of the shapes");
    assert!(png == given, "the two PNGs differ");
}

#[test]
fn no_two_regions_overlap_so_the_order_of_the_fills_is_free() {
    // An enclave is a hole in the region around it: no region's centroid is inside two regions
    // (BE10's would be inside BE24 too without the hole, Berlin's inside Brandenburg).
    let shapes = shapes();
    let inside = |r: &Region, (x, y): (f64, f64)| {
        r.polygons.iter().any(|polygon| {
            let mut odd = false;
            for ring in &polygon.rings {
                for w in ring.windows(2) {
                    let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                    if (y0 > y) != (y1 > y) && x < x0 + (y - y0) * (x1 - x0) / (y1 - y0) {
                        odd = !odd;
                    }
                }
            }
            odd
        })
    };
    let mut enclaves = 0;
    for region in shapes.regions() {
        let under: Vec<&str> = shapes
            .regions()
            .iter()
            .filter(|r| inside(r, region.centroid))
            .map(|r| r.code.as_str())
            .collect();
        assert!(under.len() <= 1, "{}: {under:?}", region.code);
        if ["BE10", "DE30"].contains(&region.code.as_str()) {
            assert_eq!(under, [region.code.as_str()]);
            enclaves += 1;
        }
    }
    assert_eq!(enclaves, 2);
}
