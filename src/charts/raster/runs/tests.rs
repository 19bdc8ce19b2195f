//! Tests of the runs painted without resvg: what they paint is what resvg paints from the same
//! SVG, and what they do not read is left to resvg.

use super::*;

/// The SVG drawn whole by resvg, as `raster::png` drew it before the runs.
fn by_resvg(svg: &str) -> Pixmap {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).expect("svg");
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height()).expect("size");
    resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
    pixmap
}

/// The SVG drawn as `raster::png` draws it: the documents by resvg, the runs in between.
fn by_runs(svg: &str) -> Pixmap {
    by_runs_with(svg, &[])
}

/// The same, with `given` in place of the SVG's marks.
fn by_runs_with(svg: &str, given: &[Shapes]) -> Pixmap {
    let cut = cut(svg, given).expect("read").expect("the SVG has runs");
    let mut pixmap: Option<Pixmap> = None;
    let mut cells = Cells::default();
    for (i, doc) in cut.docs.iter().enumerate() {
        if !doc.is_empty() {
            let tree = resvg::usvg::Tree::from_str(doc, &resvg::usvg::Options::default())
                .unwrap_or_else(|e| panic!("document {i}: {e}\n{doc}"));
            let size = tree.size().to_int_size();
            let p = pixmap.get_or_insert_with(|| Pixmap::new(size.width(), size.height()).unwrap());
            resvg::render(&tree, Transform::identity(), &mut p.as_mut());
        }
        if let (Some(run), Some(p)) = (cut.runs.get(i), &mut pixmap) {
            run.paint(p, &mut cells);
        }
    }
    pixmap.expect("a document")
}

/// How far from resvg's pixels ours may be where a polygon's edge crosses them (within a pixel
/// of one), in 255ths of a channel: tiny-skia counts the coverage there on four sub-rows of
/// the pixel, ours is the exact area, so along a nearly level edge theirs is off by up to an
/// eighth of the contrast (20 at most in these tests, against white). Everywhere else the two
/// agree to [`INSIDE`].
const ON_AN_EDGE: u8 = 32;

/// How far from resvg's pixels ours may be away from the polygons' edges: what resvg's pattern
/// shader and our copy of its tile round alike, and the borders blended alike.
const INSIDE: u8 = 2;

/// The points of the SVG's `<polygon>`s, one list a polygon.
fn polygons(svg: &str) -> Vec<Vec<(f32, f32)>> {
    svg.split("points=\"")
        .skip(1)
        .map(|rest| {
            let mut points = Vec::new();
            pairs(
                &rest[..rest.find('"').expect("closed")],
                &mut points,
                |_, _| false,
            )
            .expect("points");
            points
        })
        .collect()
}

/// Whether the pixel at `(x, y)` has a polygon's edge within a pixel of its centre.
fn near_an_edge(polygons: &[Vec<(f32, f32)>], x: u32, y: u32) -> bool {
    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
    polygons.iter().any(|ring| {
        (0..ring.len()).any(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let t = (((px - a.0) * dx + (py - a.1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
            let (cx, cy) = (a.0 + t * dx - px, a.1 + t * dy - py);
            cx * cx + cy * cy <= 1.0
        })
    })
}

/// The largest difference of one channel between our pixels and resvg's of the same SVG, on
/// the polygons' edges and off them; panics past [`ON_AN_EDGE`] or [`INSIDE`].
fn compare(svg: &str, ours: &Pixmap, theirs: &Pixmap) -> (u8, u8) {
    assert_eq!(
        (ours.width(), ours.height()),
        (theirs.width(), theirs.height())
    );
    let polygons = polygons(svg);
    let (mut edge, mut inside) = (0, 0);
    for y in 0..ours.height() {
        for x in 0..ours.width() {
            let (a, b) = (
                ours.pixel(x, y).expect("in"),
                theirs.pixel(x, y).expect("in"),
            );
            let d = [
                a.red().abs_diff(b.red()),
                a.green().abs_diff(b.green()),
                a.blue().abs_diff(b.blue()),
                a.alpha().abs_diff(b.alpha()),
            ]
            .into_iter()
            .max()
            .unwrap_or(0);
            if near_an_edge(&polygons, x, y) {
                edge = edge.max(d);
            } else {
                assert!(d <= INSIDE, "({x}, {y}) off the edges: {a:?} against {b:?}");
                inside = inside.max(d);
            }
        }
    }
    assert!(edge <= ON_AN_EDGE, "an edge pixel {edge} off");
    (edge, inside)
}

const PATTERN: &str = "<defs><pattern id=\"m-no-data\" patternUnits=\"userSpaceOnUse\" width=\"4\" height=\"4\"><rect width=\"4\" height=\"4\" fill=\"#EBEBEB\"/><path d=\"M-1,1L1,-1M0,4L4,0M3,5L5,3\" fill=\"none\" stroke=\"#A4A4A4\" stroke-width=\"1\"/></pattern></defs>";

fn svg(body: &str) -> String {
    format!(
        "<svg width=\"120\" height=\"80\" viewBox=\"0 0 120 80\" xmlns=\"http://www.w3.org/2000/svg\">\n{PATTERN}\n<rect x=\"0\" y=\"0\" width=\"120\" height=\"80\" opacity=\"1\" fill=\"#FFFFFF\" stroke=\"none\"/>\n{body}</svg>"
    )
}

/// Two hatched polygons apart, a filled one, their borders, then a frame over them (two pixels
/// wide: not read, drawn by resvg).
const BODY: &str = "<polygon data-geo=\"AA\" data-part=\"map\" opacity=\"1\" fill=\"url(#m-no-data)\" points=\"5,5 40,8 30,40 7,33 \"/>\n<polygon data-geo=\"BB\" data-part=\"map\" opacity=\"1\" fill=\"url(#m-no-data)\" points=\"60,50 100,45 90,75 \"/>\n<polygon data-geo=\"CC\" data-part=\"map\" opacity=\"1\" fill=\"#2C7FB8\" points=\"50,5 110,10 80,35 \"/>\n<path fill=\"none\" opacity=\"1\" stroke=\"#FFFFFF\" stroke-width=\"1\" d=\"M5,5L40,8L30,40L7,33L5,5M50,5L110,10L80,35L50,5\"/>\n<rect x=\"2\" y=\"2\" width=\"116\" height=\"76\" opacity=\"1\" fill=\"none\" stroke=\"#1A1A1A\" stroke-width=\"2\"/>\n";

#[test]
fn a_run_paints_what_resvg_paints_from_the_same_svg() {
    let svg = svg(BODY);
    let cut = cut(&svg, &[]).expect("read").expect("runs");
    assert_eq!((cut.docs.len(), cut.runs.len()), (2, 1));
    // The background, the two hatched polygons in one mask, the blue one, the borders.
    assert_eq!(cut.runs[0].shapes.len(), 4);
    assert!(cut.runs[0].covers(120, 80) && !cut.runs[0].covers(121, 80));
    assert!(
        cut.docs[1].contains("<defs><pattern") && cut.docs[1].contains("stroke=\"#1A1A1A\""),
        "the frame after the run is drawn by resvg, over it"
    );
    let (ours, theirs) = (by_runs(&svg), by_resvg(&svg));
    let (edge, inside) = compare(&svg, &ours, &theirs);
    eprintln!("differences: {edge} on the edges, {inside} off them");
    assert!(
        edge > 0,
        "the edges are anti-aliased otherwise than by tiny-skia"
    );
    // And the hatching is there: both of the tile's colours inside the first polygon.
    let inside: Vec<(u8, u8, u8)> = (15..19)
        .flat_map(|x| (18..22).map(move |y| (x, y)))
        .map(|(x, y)| {
            let p = ours.pixel(x, y).expect("in");
            (p.red(), p.green(), p.blue())
        })
        .collect();
    assert!(inside.contains(&(0xEB, 0xEB, 0xEB)), "{inside:?}");
    assert!(inside.iter().any(|p| p.0 < 0xC0), "{inside:?}");
}

#[test]
fn what_a_run_does_not_read_is_left_to_resvg_in_its_place() {
    // A stroke on a polygon ends the run before it; a scaled viewBox leaves the SVG whole.
    let body = "<polygon opacity=\"1\" fill=\"#2C7FB8\" points=\"5,5 40,8 30,40 \"/>\n<polygon opacity=\"1\" fill=\"#FF0000\" stroke=\"#000000\" points=\"50,5 110,10 80,35 \"/>\n<polygon opacity=\"1\" fill=\"#2C7FB8\" points=\"60,50 100,45 90,75 \"/>\n";
    let svg = svg(body);
    let cut = cut(&svg, &[]).expect("read").expect("runs");
    assert_eq!((cut.docs.len(), cut.runs.len()), (3, 2));
    assert!(cut.docs[1].contains("stroke=\"#000000\""));
    compare(&svg, &by_runs(&svg), &by_resvg(&svg));
    let scaled = svg.replace("viewBox=\"0 0 120 80\"", "viewBox=\"0 0 60 40\"");
    assert!(super::cut(&scaled, &[]).expect("read").is_none());
    assert!(
        super::cut(&svg.replace("<polygon", "<polyline"), &[])
            .expect("read")
            .is_none()
    );
}

#[test]
fn numbers_and_lines_are_read_as_the_svg_writes_them() {
    let mut out = Vec::new();
    assert_eq!(pairs("1,2 -3,4.5 ", &mut out, |_, _| false), Some(()));
    assert_eq!(out, vec![(1.0, 2.0), (-3.0, 4.5)]);
    assert_eq!(pairs("1,2 3", &mut out, |_, _| false), None);
    assert_eq!(pairs("1,x", &mut out, |_, _| false), None);
    assert_eq!(
        pairs("M1,2", &mut out, |_, _| false),
        None,
        "no commands in points"
    );
    let mut starts = Vec::new();
    assert!(stroke(
        "fill=\"none\" opacity=\"1\" stroke=\"#FFFFFF\" stroke-width=\"1\" d=\"M1,2L3,4M5,6L7,8\"",
        &mut out,
        &mut starts
    )
    .is_some());
    assert_eq!((out.len(), starts), (4, vec![0, 2]));
    let mut starts = Vec::new();
    let curve = "fill=\"none\" opacity=\"1\" stroke=\"#FFFFFF\" stroke-width=\"1\" d=\"M1,2C3,4\"";
    assert!(stroke(curve, &mut out, &mut starts).is_none());
    let dashed = "fill=\"none\" opacity=\"1\" stroke=\"#FFFFFF\" stroke-width=\"1\" stroke-dasharray=\"4,2\" d=\"M1,2L3,4\"";
    assert!(stroke(dashed, &mut out, &mut starts).is_none());
}

#[test]
fn the_edge_two_merged_polygons_share_is_left_out_of_their_outline() {
    // Two squares side by side, one of them written the other way round, and a third apart.
    let square = |x: f32, reverse: bool| {
        let mut ring = vec![(x, 0.0), (x + 10.0, 0.0), (x + 10.0, 10.0), (x, 10.0)];
        if reverse {
            ring.reverse();
        }
        ring
    };
    let mut gather = Gather::default();
    for (x, reverse) in [(0.0, false), (10.0, true), (40.0, false)] {
        let points: String = square(x, reverse)
            .iter()
            .map(|(x, y)| format!("{x},{y} "))
            .collect();
        let tag = format!("<polygon opacity=\"1\" fill=\"#2C7FB8\" points=\"{points}\"");
        assert!(gather.add(&tag, &[]));
    }
    let shapes = gather.finish();
    let [Shape::Fill(edges, _)] = shapes.as_slice() else {
        panic!("one merged fill");
    };
    // 6 edges round the pair (the shared one gone), 4 round the third.
    assert_eq!(edges.len(), 10);
    assert!(!edges.contains(&((10.0, 0.0), (10.0, 10.0))));
    assert!(!edges.contains(&((10.0, 10.0), (10.0, 0.0))));
    // And it fills what the three squares fill.
    let mut merged = vec![0u8; 60 * 12];
    Cells::default().fill(edges, 60, 12, |y, x0, x1, c| {
        merged[y * 60 + x0..y * 60 + x1].fill(c);
    });
    let covered = |x: usize, y: usize| merged[y * 60 + x];
    assert_eq!(
        (covered(5, 5), covered(15, 5), covered(45, 5)),
        (255, 255, 255)
    );
    assert_eq!((covered(10, 5), covered(9, 5)), (255, 255), "no seam");
    assert_eq!((covered(30, 5), covered(55, 5)), (0, 0));
}

/// [`BODY`]'s polygons and borders, handed over.
fn body_given() -> Shapes {
    let mut given = Shapes::default();
    let hatched = || Fill::Pattern("m-no-data".to_owned());
    given.polygon(
        [(5.0, 5.0), (40.0, 8.0), (30.0, 40.0), (7.0, 33.0)],
        hatched(),
    );
    given.polygon([(60.0, 50.0), (100.0, 45.0), (90.0, 75.0)], hatched());
    given.polygon(
        [(50.0, 5.0), (110.0, 10.0), (80.0, 35.0)],
        Fill::Colour([0x2C, 0x7F, 0xB8]),
    );
    given.lines(
        [
            vec![
                (5.0, 5.0),
                (40.0, 8.0),
                (30.0, 40.0),
                (7.0, 33.0),
                (5.0, 5.0),
            ],
            vec![(50.0, 5.0), (110.0, 10.0), (80.0, 35.0), (50.0, 5.0)],
        ],
        [0xFF, 0xFF, 0xFF],
    );
    given
}

#[test]
fn shapes_handed_over_paint_what_the_same_shapes_written_in_the_svg_paint() {
    let frame = &BODY[BODY.find("<rect").expect("the frame")..];
    let marked = svg(&format!("{MARK}\n{frame}"));
    let cut = cut(&marked, &[body_given()]).expect("read").expect("runs");
    assert_eq!((cut.docs.len(), cut.runs.len()), (2, 1));
    // The background before the mark is in the run too.
    assert_eq!(cut.runs[0].shapes.len(), 4, "merged as when read");
    assert!(!cut.docs.iter().any(|d| d.contains(MARK)));
    let (given, read) = (by_runs_with(&marked, &[body_given()]), by_runs(&svg(BODY)));
    assert_eq!(given.data(), read.data());
}

#[test]
fn rectangles_of_whole_opaque_pixels_are_filled_as_resvg_fills_them_and_others_left_to_it() {
    // A box of whole pixels; one at half a pixel, one stroked at half a pixel and one hatched
    // (left to resvg); one over the image's corner, then a polygon and two frames.
    let body = "<rect x=\"10\" y=\"10\" width=\"30\" height=\"20\" opacity=\"1\" fill=\"#2C7FB8\" stroke=\"none\"/>\n<rect x=\"50.5\" y=\"10\" width=\"30\" height=\"20\" opacity=\"1\" fill=\"#2C7FB8\" stroke=\"none\"/>\n<rect x=\"10.5\" y=\"40\" width=\"30\" height=\"20\" opacity=\"1\" fill=\"none\" stroke=\"#595959\"/>\n<rect x=\"50\" y=\"40\" width=\"30\" height=\"20\" opacity=\"1\" fill=\"url(#m-no-data)\" stroke=\"none\"/>\n<rect x=\"100\" y=\"70\" width=\"30\" height=\"20\" opacity=\"1\" fill=\"#FF0000\" stroke=\"none\"/>\n<polygon opacity=\"1\" fill=\"#A1DAB4\" points=\"85,5 115,10 100,35 \"/>\n<rect x=\"84\" y=\"4\" width=\"20\" height=\"20\" opacity=\"1\" fill=\"none\" stroke=\"#595959\"/>\n<rect x=\"3\" y=\"50\" width=\"30\" height=\"25\" opacity=\"1\" fill=\"none\" stroke=\"#1A1A1A\"/>\n";
    let svg = svg(body);
    let cut = cut(&svg, &[]).expect("read").expect("runs");
    assert_eq!((cut.docs.len(), cut.runs.len()), (3, 2));
    assert_eq!(
        cut.runs[0].shapes.len(),
        2,
        "the background and the first box"
    );
    assert!(cut.docs[1].contains("x=\"50.5\"") && cut.docs[1].contains("url(#m-no-data)"));
    assert!(cut.runs[0].covers(120, 80) && !cut.runs[1].covers(120, 80));
    // The box over the corner, the polygon, the two frames (not merged: two colours).
    assert_eq!(cut.runs[1].shapes.len(), 4);
    let (edge, inside) = compare(&svg, &by_runs(&svg), &by_resvg(&svg));
    eprintln!("differences: {edge} on the edges, {inside} off them");
    assert_eq!(inside, 0, "the rectangles are resvg's pixels");
}

#[test]
fn shapes_that_cannot_be_painted_as_given_are_an_error() {
    let marked = svg(MARK);
    let mut unknown = Shapes::default();
    unknown.polygon(
        [(1.0, 1.0), (9.0, 1.0), (5.0, 9.0)],
        Fill::Pattern("other".to_owned()),
    );
    assert!(cut(&marked, &[unknown]).is_err(), "a pattern the SVG lacks");
    let scaled = marked.replace("viewBox=\"0 0 120 80\"", "viewBox=\"0 0 60 40\"");
    assert!(cut(&scaled, &[body_given()]).is_err(), "a scaled SVG");
}

#[test]
fn a_wholly_covered_pixel_takes_the_tiles_own_colour() {
    // What lets `tiled` copy the tile's pixel where the coverage is full.
    for s in 0..=255 {
        for d in 0..=255 {
            assert_eq!(mix(s, d, 255), s, "{s} over {d}");
            assert_eq!(mix(s, d, 0), d, "{s} under {d}");
        }
    }
}
