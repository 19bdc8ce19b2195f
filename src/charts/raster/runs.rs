//! The runs of `<polygon>`s that [`super::png`] fills itself instead of resvg: a run starts at a
//! `<polygon>` or at a `<rect>` of whole pixels filled opaque (a background, a box: filled here
//! pixel by pixel, where tiny-skia ran its anti-aliased pipeline over every pixel) or stroked one
//! pixel wide, and goes on over such rectangles, the polygons and the plain one-pixel strokes
//! (`<path>` of `M`/`L` only) right after it, as `charts::map` writes its regions and their borders. Each run is cut
//! out of the SVG, which is then drawn by resvg piece by piece with the runs painted in between,
//! so the order of the SVG is kept. A polygon is filled under the non-zero rule as resvg fills
//! it, anti-aliased by [`super::cells`] (each edge pixel's exact area, where tiny-skia samples
//! 4 × 4: the pixels inside are the same, an edge pixel's coverage differs by up to an eighth);
//! consecutive polygons of one fill are one set of edges (their shared edges left out: no
//! seam), and consecutive polygons filled with one user-space `<pattern>` (a map's no-data
//! hatching) are one fill through which the pattern's tile, drawn once by resvg, is laid:
//! resvg would draw the tile and run its pattern shader again for every polygon. The strokes are
//! drawn by [`super::hairline`]: tiny-skia's hairlines, pixel for pixel. An element with
//! anything else (another attribute, an opacity, a pattern with a transform, a curve) ends the
//! run and is left to resvg, and an SVG without a polygon or a mark, or whose `viewBox` is not its
//! size in pixels, is left to resvg whole. A caller that has its polygons' points hands them
//! over as [`Shapes`] instead, each painted as a run in place of a [`MARK`] in the SVG, exactly
//! as if written there and read back. Must not know what a chart is: SVG text (and shapes) in, pixels out.

use resvg::tiny_skia::{self, Pixmap, Transform};

use super::cells::{Cells, Point};

/// The SVG cut at its runs: `docs[0]`, `runs[0]`, `docs[1]`, … `docs[n]` painted in that order.
pub(super) struct Cut {
    /// Whole SVG documents for resvg: the first one up to the first run, each next one the
    /// `<svg>` tag, the `<defs>` and what lies between two runs.
    pub docs: Vec<String>,
    pub runs: Vec<Run>,
}

/// Where the caller's [`Shapes`] go in an SVG given with them: each such comment is cut out and
/// the next of the shapes painted in its place (resvg ignores a comment left in).
pub const MARK: &str = "<!--raster shapes-->";

/// Polygons and one-pixel polylines handed over with the SVG, to be painted in place of a
/// [`MARK`] as a run would paint them read from `<polygon>`s and `<path>`s written there (and
/// merged alike): a caller that has the points need not write them out as text for this module
/// to read back.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Shapes {
    given: Vec<Given>,
    points: Vec<(f32, f32)>,
}

/// What fills a polygon handed over.
#[derive(Debug, Clone, PartialEq)]
pub enum Fill {
    /// An opaque colour, `#RRGGBB` as the SVG would write it: red, green, blue.
    Colour([u8; 3]),
    /// The tile of the SVG's user-space `<pattern>` of this id.
    Pattern(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Given {
    /// A polygon: its fill, its points in `Shapes::points`.
    Polygon(Fill, std::ops::Range<usize>),
    /// Polylines stroked one pixel wide in a colour: where each one's points start, up to the
    /// end of the range.
    Lines([u8; 3], Vec<usize>, std::ops::Range<usize>),
}

impl Shapes {
    /// A polygon (as a `<polygon fill=… points=…>`).
    pub fn polygon(&mut self, points: impl IntoIterator<Item = (f32, f32)>, fill: Fill) {
        let from = self.points.len();
        self.points.extend(points);
        self.given
            .push(Given::Polygon(fill, from..self.points.len()));
    }

    /// Polylines stroked one pixel wide in `colour`, not filled (as one `<path d="M…L…M…">`).
    pub fn lines<L: IntoIterator<Item = (f32, f32)>>(
        &mut self,
        polylines: impl IntoIterator<Item = L>,
        colour: [u8; 3],
    ) {
        let from = self.points.len();
        let mut starts = Vec::new();
        for line in polylines {
            starts.push(self.points.len() - from);
            self.points.extend(line);
        }
        if !starts.is_empty() {
            self.given
                .push(Given::Lines(colour, starts, from..self.points.len()));
        }
    }
}

/// The shapes of one run, consecutive ones of one paint merged.
pub(super) struct Run {
    shapes: Vec<Shape>,
    tiles: std::rc::Rc<Vec<Tile>>,
}

enum Shape {
    /// An opaque rectangle of whole pixels: left, top, right, bottom, and its colour.
    Rect([u32; 4], tiny_skia::PremultipliedColorU8),
    /// The edges of polygons (see [`outlines`]) filled with an opaque colour.
    Fill(Vec<(Point, Point)>, tiny_skia::PremultipliedColorU8),
    /// The edges of polygons filled with the tile of `tiles[i]`.
    Tiled(Vec<(Point, Point)>, usize),
    /// Polylines stroked one pixel wide: their points, and where each starts in them.
    Stroke(Vec<(f32, f32)>, Vec<usize>, tiny_skia::Color),
}

/// A user-space pattern's tile (`patternUnits="userSpaceOnUse"`, no offset, no transform),
/// drawn by resvg: pixel `(x, y)` of a filled area takes the tile's `(x mod w, y mod h)`.
struct Tile {
    id: String,
    pixmap: Pixmap,
}

/// Shapes being gathered: the current one's paint and its path so far.
enum Open {
    Fill(tiny_skia::Color),
    Tiled(usize),
    Stroke(tiny_skia::Color),
}

impl PartialEq for Open {
    fn eq(&self, other: &Open) -> bool {
        match (self, other) {
            (Open::Fill(a), Open::Fill(b)) | (Open::Stroke(a), Open::Stroke(b)) => a == b,
            (Open::Tiled(a), Open::Tiled(b)) => a == b,
            _ => false,
        }
    }
}

/// The SVG cut at its runs, or `None` when it has none (or a `viewBox` that scales): then resvg
/// draws it whole. `given` are painted in place of the SVG's [`MARK`]s, in order.
pub(super) fn cut(svg: &str, given: &[Shapes]) -> Result<Option<Cut>, &'static str> {
    let Some((header, open_end)) = svg
        .find("<svg")
        .and_then(|start| Some(start + svg[start..].find('>')? + 1))
        .map(|end| (&svg[..end], end))
    else {
        return Ok(None);
    };
    let marked = svg[open_end..].contains(MARK);
    if !marked && !svg[open_end..].contains("<polygon ") {
        return Ok(None);
    }
    if !unscaled(header) {
        if marked {
            return Err("the SVG's viewBox scales it");
        }
        return Ok(None);
    }
    let defs = svg
        .find("<defs>")
        .and_then(|at| svg[at..].find("</defs>").map(|end| &svg[at..at + end + 7]))
        .unwrap_or("");
    let tiles = std::rc::Rc::new(tiles(header, defs));
    let mut given = given.iter();
    let mut docs = Vec::new();
    let mut runs = Vec::new();
    let mut from = 0;
    // Nothing of the `<defs>` (a pattern's own rectangles) is taken into a run.
    let mut at = svg
        .find("</defs>")
        .map_or(open_end, |end| (end + 7).max(open_end));
    while let Some(found) = next_run(&svg[at..], marked) {
        let begin = at + found;
        let mut end = begin;
        let mut gather = Gather::default();
        // The elements and marks one after the other from here, as far as they can be read.
        loop {
            let rest = &svg[end..];
            let trimmed = rest.trim_start();
            let skip = rest.len() - trimmed.len();
            if marked && trimmed.starts_with(MARK) {
                if let Some(shapes) = given.next() {
                    gather.add_given(shapes, &tiles)?;
                }
                end += skip + MARK.len();
                continue;
            }
            let Some(close) = trimmed.find("/>") else {
                break;
            };
            let tag = &trimmed[..close];
            if tag[1..].contains('<') || !gather.add(tag, &tiles) {
                break;
            }
            end += skip + close + 2;
        }
        if end == begin {
            at = begin + 1;
            continue;
        }
        docs.push(doc(header, defs, &svg[from..begin], docs.is_empty()));
        runs.push(Run {
            shapes: gather.finish(),
            tiles: tiles.clone(),
        });
        from = end;
        at = end;
    }
    if runs.is_empty() {
        return Ok(None);
    }
    let mut last = String::with_capacity(header.len() + defs.len() + svg.len() - from);
    last.push_str(header);
    last.push_str(defs);
    last.push_str(&svg[from..]);
    docs.push(last);
    Ok(Some(Cut { docs, runs }))
}

/// Where the next run may start in `rest`: the next `<polygon `, `<rect ` or, when the SVG has
/// any, the next [`MARK`], whichever comes first.
fn next_run(rest: &str, marked: bool) -> Option<usize> {
    let mark = marked.then(|| rest.find(MARK)).flatten();
    [rest.find("<polygon "), rest.find("<rect "), mark]
        .into_iter()
        .flatten()
        .min()
}

/// A document for resvg: the text before the first run as it is, or the `<svg>` tag and the
/// `<defs>` (the patterns, which later elements may use) and the text between two runs.
fn doc(header: &str, defs: &str, between: &str, first: bool) -> String {
    if first {
        return format!("{between}</svg>");
    }
    if between.trim().is_empty() {
        // Nothing to draw between the two runs.
        return String::new();
    }
    format!("{header}{defs}{between}</svg>")
}

/// Whether the `<svg>` tag's `viewBox` is `0 0 width height` (one user unit a pixel), or absent.
fn unscaled(header: &str) -> bool {
    let mut width = None;
    let mut height = None;
    let mut view_box = None;
    for (name, value) in super::raw_attributes(&header[4..]) {
        match name {
            "width" => width = Some(value),
            "height" => height = Some(value),
            "viewBox" => view_box = Some(value),
            _ => {}
        }
    }
    match (width, height, view_box) {
        (Some(w), Some(h), Some(v)) => {
            let parts: Vec<&str> = v.split([' ', ',']).filter(|p| !p.is_empty()).collect();
            parts.len() == 4
                && parts[0].parse::<f32>() == Ok(0.0)
                && parts[1].parse::<f32>() == Ok(0.0)
                && parts[2].parse::<f32>().ok() == w.parse::<f32>().ok()
                && parts[3].parse::<f32>().ok() == h.parse::<f32>().ok()
        }
        (Some(_), Some(_), None) => true,
        _ => false,
    }
}

/// The user-space patterns of `defs` whose tile resvg can draw alone (no offset, no transform,
/// whole pixels).
fn tiles(header: &str, defs: &str) -> Vec<Tile> {
    let mut out = Vec::new();
    let mut rest = defs;
    while let Some(at) = rest.find("<pattern ") {
        let after = &rest[at..];
        let (Some(open), Some(close)) = (after.find('>'), after.find("</pattern>")) else {
            break;
        };
        if let Some(tile) = tile(
            header,
            &after[9..open],
            &after[open + 1..close.max(open + 1)],
        ) {
            out.push(tile);
        }
        rest = &after[close.max(open)..];
    }
    out
}

fn tile(header: &str, tag: &str, content: &str) -> Option<Tile> {
    let (mut id, mut w, mut h, mut units) = (None, None, None, false);
    for (name, value) in super::raw_attributes(tag) {
        match name {
            "id" => id = Some(value.to_owned()),
            "width" => w = value.parse::<u32>().ok(),
            "height" => h = value.parse::<u32>().ok(),
            "patternUnits" => units = value == "userSpaceOnUse",
            _ => return None,
        }
    }
    let (id, w, h) = (id?, w?, h?);
    if !units || w == 0 || h == 0 || w > 64 || h > 64 {
        return None;
    }
    // The tile alone, in the namespace of the chart's `<svg>`.
    let xmlns = super::raw_attributes(&header[4..])
        .find(|(name, _)| *name == "xmlns")
        .map_or("http://www.w3.org/2000/svg", |(_, v)| v);
    let doc = format!(
        "<svg xmlns=\"{xmlns}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">{content}</svg>"
    );
    let tree = resvg::usvg::Tree::from_str(&doc, &resvg::usvg::Options::default()).ok()?;
    let mut pixmap = Pixmap::new(w, h)?;
    resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
    Some(Tile { id, pixmap })
}

/// The shapes of a run as they are read, consecutive ones of one paint in one path.
#[derive(Default)]
struct Gather {
    shapes: Vec<Shape>,
    open: Option<Open>,
    /// The edges of the filled polygons being gathered, each one way round.
    edges: Vec<(Point, Point)>,
    /// The polylines of the stroke being gathered, and where each starts in them.
    lines: Vec<(f32, f32)>,
    line_starts: Vec<usize>,
    points: Vec<(f32, f32)>,
    /// Where each subpath of a stroke starts in `points`.
    starts: Vec<usize>,
}

impl Gather {
    /// Reads one element (`<polygon …` or `<path …`, without `/>`) into the run, or says no.
    fn add(&mut self, tag: &str, tiles: &[Tile]) -> bool {
        let paint = if let Some(attrs) = tag.strip_prefix("<rect ") {
            match rect(attrs, &mut self.points, &mut self.starts) {
                Some(RectPaint::Fill(shape)) => {
                    self.close();
                    self.shapes.push(shape);
                    return true;
                }
                Some(RectPaint::Stroke(paint)) => Some(paint),
                None => None,
            }
        } else if let Some(attrs) = tag.strip_prefix("<polygon ") {
            polygon(attrs, tiles, &mut self.points)
        } else if let Some(attrs) = tag.strip_prefix("<path ") {
            stroke(attrs, &mut self.points, &mut self.starts)
        } else {
            None
        };
        let Some(paint) = paint else {
            return false;
        };
        self.take(paint);
        true
    }

    /// Takes the shapes handed over into the run, as if read from the SVG.
    fn add_given(&mut self, shapes: &Shapes, tiles: &[Tile]) -> Result<(), &'static str> {
        let colour = |[r, g, b]: [u8; 3]| tiny_skia::Color::from_rgba8(r, g, b, 255);
        for given in &shapes.given {
            self.points.clear();
            let paint = match given {
                Given::Polygon(fill, range) => {
                    self.points.extend_from_slice(&shapes.points[range.clone()]);
                    if self.points.len() < 3 {
                        continue;
                    }
                    match fill {
                        Fill::Colour(c) => Open::Fill(colour(*c)),
                        Fill::Pattern(id) => Open::Tiled(
                            tiles
                                .iter()
                                .position(|t| t.id == *id)
                                .ok_or("no pattern of the SVG has the shapes' pattern id")?,
                        ),
                    }
                }
                Given::Lines(c, starts, range) => {
                    self.points.extend_from_slice(&shapes.points[range.clone()]);
                    self.starts.clone_from(starts);
                    Open::Stroke(colour(*c))
                }
            };
            self.take(paint);
        }
        Ok(())
    }

    /// Takes the shape read into `points` (and `starts`) into the run: merged with the one
    /// before when of the same paint.
    fn take(&mut self, paint: Open) {
        let stroke = matches!(paint, Open::Stroke(_));
        if self.open.as_ref() != Some(&paint) {
            self.close();
            self.open = Some(paint);
        }
        let points = &self.points;
        if stroke {
            for start in &self.starts {
                self.line_starts.push(self.lines.len() + start);
            }
            self.lines.extend_from_slice(points);
            return;
        }
        // Every polygon one way round, so that the merged edges fill under the non-zero rule
        // what the polygons fill one by one (reversing one alone changes nothing).
        let reverse = signed_area(points) < 0.0;
        // From the last point round (no division a point).
        let Some(mut a) = points.last().copied() else {
            return;
        };
        for &b in points {
            let edge = if reverse { (b, a) } else { (a, b) };
            if edge.0 != edge.1 {
                self.edges.push(edge);
            }
            a = b;
        }
    }

    fn close(&mut self) {
        let Some(paint) = self.open.take() else {
            return;
        };
        let shape = match paint {
            Open::Stroke(c) if !self.lines.is_empty() => Shape::Stroke(
                std::mem::take(&mut self.lines),
                std::mem::take(&mut self.line_starts),
                c,
            ),
            Open::Stroke(_) => return,
            Open::Fill(c) => match self.merged() {
                Some(edges) => Shape::Fill(edges, c.premultiply().to_color_u8()),
                None => return,
            },
            Open::Tiled(t) => match self.merged() {
                Some(edges) => Shape::Tiled(edges, t),
                None => return,
            },
        };
        self.shapes.push(shape);
    }

    /// The edges of the polygons gathered, their shared edges left out.
    fn merged(&mut self) -> Option<Vec<(Point, Point)>> {
        let edges = outlines(&self.edges);
        self.edges.clear();
        (!edges.is_empty()).then_some(edges)
    }

    fn finish(mut self) -> Vec<Shape> {
        self.close();
        self.shapes
    }
}

/// The edges of `edges` (polygons, each one way round) less every edge that another runs the
/// other way: where two merged polygons meet, the edge between them is crossed once each way
/// and adds nothing to the winding, but would cost the fill its cells (most of them, where most
/// regions of a map are hatched). What is left winds round every point as the polygons did, and
/// is filled as it is ([`super::cells`] needs no closed loops). The windings are summed in a hash
/// map, not by sorting every edge (the sort was half of a map's merging).
fn outlines(edges: &[(Point, Point)]) -> Vec<(Point, Point)> {
    // A point as one number (its coordinates' bits): equal points are equal numbers.
    let key = |p: Point| (u64::from(p.0.to_bits()) << 32) | u64::from(p.1.to_bits());
    // Each edge undirected (its ends in key order): how many more times it is run from its
    // lower end than back.
    let undirected = |a: Point, b: Point| {
        let (ka, kb) = (key(a), key(b));
        if ka < kb {
            ((ka, kb), 1)
        } else {
            ((kb, ka), -1)
        }
    };
    // By undirected edge: where it first appears, and its net winding (one hash look-up an
    // edge).
    let mut net: foldhash::HashMap<(u64, u64), (u32, i32)> = foldhash::HashMap::default();
    net.reserve(edges.len());
    for (i, &(a, b)) in edges.iter().enumerate() {
        let (k, way) = undirected(a, b);
        net.entry(k).or_insert((i as u32, 0)).1 += way;
    }
    // Each net winding at the edge's first appearance.
    let mut first = vec![0i32; edges.len()];
    for &(at, n) in net.values() {
        first[at as usize] = n;
    }
    // What is left, directed, in the order of the edges (the walk over the cells goes on from
    // where the edge before ended): each undirected edge at its first appearance, as many
    // times as its net winding, the way it winds.
    let mut left = Vec::with_capacity(edges.len() / 2);
    for (&(a, b), &n) in edges.iter().zip(&first) {
        if n == 0 {
            continue;
        }
        let way = undirected(a, b).1;
        let edge = if (n > 0) == (way > 0) { (a, b) } else { (b, a) };
        for _ in 0..n.unsigned_abs() {
            left.push(edge);
        }
    }
    left
}

/// Twice the signed area of a ring.
fn signed_area(ring: &[(f32, f32)]) -> f64 {
    let Some(&last) = ring.last() else {
        return 0.0;
    };
    let mut a = last;
    let mut sum = 0.0;
    for &b in ring {
        sum += f64::from(a.0) * f64::from(b.1) - f64::from(b.0) * f64::from(a.1);
        a = b;
    }
    sum
}

/// A `<polygon>` filled with a colour or a tile and nothing else: its paint, its points in
/// `points`.
fn polygon(attrs: &str, tiles: &[Tile], points: &mut Vec<(f32, f32)>) -> Option<Open> {
    let (mut paint, mut read) = (None, false);
    for (name, value) in super::raw_attributes(attrs) {
        match name {
            _ if name.starts_with("data-") => {}
            "opacity" if value == "1" => {}
            "fill" => {
                paint = Some(match value.strip_prefix("url(#") {
                    Some(id) => {
                        let id = id.strip_suffix(')')?;
                        Open::Tiled(tiles.iter().position(|t| t.id == id)?)
                    }
                    None => Open::Fill(super::colour(value, 1.0)?),
                })
            }
            "points" => {
                pairs(value, points, |_, _| false)?;
                read = true;
            }
            _ => return None,
        }
    }
    (read && points.len() >= 3).then_some(())?;
    paint
}

/// A `<rect>` of whole pixels (plotters writes `opacity="1"`): filled with an opaque colour and
/// not stroked, or stroked one pixel wide in an opaque colour and not filled (then its outline,
/// from its top left corner round, in `points`, as resvg strokes it: a hairline).
fn rect(attrs: &str, points: &mut Vec<(f32, f32)>, starts: &mut Vec<usize>) -> Option<RectPaint> {
    let (mut at, mut fill, mut stroke) = ([None; 4], None, None);
    for (name, value) in super::raw_attributes(attrs) {
        let i = match (name, value) {
            ("x", _) => 0,
            ("y", _) => 1,
            ("width", _) => 2,
            ("height", _) => 3,
            ("opacity" | "stroke-width", "1") => continue,
            ("fill", _) => {
                fill = Some(value);
                continue;
            }
            ("stroke", _) => {
                stroke = Some(value);
                continue;
            }
            _ => return None,
        };
        at[i] = Some(value.parse::<u32>().ok()?);
    }
    let [Some(x), Some(y), Some(w), Some(h)] = at else {
        return None;
    };
    let (right, bottom) = (x.checked_add(w)?, y.checked_add(h)?);
    match (fill, stroke) {
        (Some(fill), Some("none")) => {
            let c = super::colour(fill, 1.0)?.premultiply().to_color_u8();
            Some(RectPaint::Fill(Shape::Rect([x, y, right, bottom], c)))
        }
        // resvg draws no rectangle without an area.
        (Some("none"), Some(stroke)) if w > 0 && h > 0 => {
            let c = super::colour(stroke, 1.0)?;
            let [x, y, right, bottom] = [x, y, right, bottom].map(|v| v as f32);
            points.clear();
            points.extend([(x, y), (right, y), (right, bottom), (x, bottom), (x, y)]);
            starts.clear();
            starts.push(0);
            Some(RectPaint::Stroke(Open::Stroke(c)))
        }
        _ => None,
    }
}

/// What a `<rect>` read paints: a shape of its own, or a stroke merged as a `<path>`'s is.
enum RectPaint {
    Fill(Shape),
    Stroke(Open),
}

/// A `<path>` stroked one pixel wide in a colour, not filled, of straight lines only: its paint,
/// its points in `points` and where each polyline starts in `starts`.
fn stroke(attrs: &str, points: &mut Vec<(f32, f32)>, starts: &mut Vec<usize>) -> Option<Open> {
    let (mut colour, mut read) = (None, false);
    for (name, value) in super::raw_attributes(attrs) {
        match name {
            "fill" if value == "none" => {}
            "opacity" | "stroke-width" if value == "1" => {}
            "stroke" => colour = Some(super::colour(value, 1.0)?),
            "d" => {
                starts.clear();
                // A line needs a move before it.
                pairs(value, points, |command, at| {
                    if command == b'M' {
                        starts.push(at);
                    }
                    !starts.is_empty()
                })?;
                read = !starts.is_empty();
            }
            _ => return None,
        }
    }
    read.then_some(())?;
    colour.map(Open::Stroke)
}

/// The numbers of `x,y x,y …` (a polygon's points) or of `Mx,yLx,y…` (a path of moves and lines:
/// `on_command` is told of each letter, `M` or `L`, before its point), as pairs, in `out`; `None`
/// for anything else. Integers are read without the float parser (nearly all of them).
fn pairs(
    s: &str,
    out: &mut Vec<(f32, f32)>,
    mut on_command: impl FnMut(u8, usize) -> bool,
) -> Option<()> {
    out.clear();
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut pending: Option<f32> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b',' | b'\n' | b'\t' | b'\r' => i += 1,
            b'M' | b'L' => {
                if pending.is_some() || !on_command(b, out.len()) {
                    return None;
                }
                i += 1;
            }
            _ => {
                let start = i;
                let negative = b == b'-';
                if negative {
                    i += 1;
                }
                let mut n: u32 = 0;
                let digits = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() && i - digits < 7 {
                    n = n * 10 + u32::from(bytes[i] - b'0');
                    i += 1;
                }
                let value = if i > digits
                    && (i == bytes.len() || matches!(bytes[i], b' ' | b',' | b'M' | b'L'))
                {
                    let v = n as f32;
                    if negative { -v } else { v }
                } else {
                    // Not a short integer: the whole token through the float parser.
                    let end = s[start..]
                        .find([' ', ',', 'M', 'L'])
                        .map_or(s.len(), |e| start + e);
                    i = end;
                    s[start..end]
                        .parse::<f32>()
                        .ok()
                        .filter(|v| v.is_finite())?
                };
                match pending.take() {
                    Some(x) => out.push((x, value)),
                    None => pending = Some(value),
                }
            }
        }
    }
    pending.is_none().then_some(())
}

impl Run {
    /// Whether the run's first shape paints every pixel of a `width` × `height` pixmap opaque
    /// (so what was there before is not seen).
    pub(super) fn covers(&self, width: u32, height: u32) -> bool {
        matches!(
            self.shapes.first(),
            Some(Shape::Rect([0, 0, right, bottom], _)) if *right >= width && *bottom >= height
        )
    }

    /// Paints the run on the pixmap, in order; `cells` are the fills' buffers.
    pub(super) fn paint(&self, pixmap: &mut Pixmap, cells: &mut Cells) {
        // The rectangle painted just before, if the shape before was one.
        let mut under: Option<(&[u32; 4], &tiny_skia::PremultipliedColorU8)> = None;
        for shape in &self.shapes {
            let below = under.take();
            match shape {
                Shape::Rect(at @ [left, top, right, bottom], colour) => {
                    under = Some((at, colour));
                    // Inside the one just painted, in its colour (a plot area on the background):
                    // those pixels are that colour already.
                    if below.is_some_and(|(b, c)| {
                        c == colour
                            && b[0] <= *left
                            && b[1] <= *top
                            && *right <= b[2]
                            && *bottom <= b[3]
                    }) {
                        continue;
                    }
                    let (w, h) = (pixmap.width(), pixmap.height());
                    let (x0, x1) = ((*left).min(w) as usize, (*right).min(w) as usize);
                    let pixels = pixmap.pixels_mut();
                    for y in (*top).min(h)..(*bottom).min(h) {
                        let row = y as usize * w as usize;
                        pixels[row + x0..row + x1].fill(*colour);
                    }
                }
                Shape::Fill(edges, colour) => filled(pixmap, cells, edges, *colour),
                Shape::Stroke(points, starts, colour) => {
                    super::hairline::stroke(pixmap, points, starts, *colour);
                }
                Shape::Tiled(edges, tile) => {
                    if let Some(tile) = self.tiles.get(*tile) {
                        tiled(pixmap, cells, edges, &tile.pixmap);
                    }
                }
            }
        }
    }
}

/// Fills `edges` with an opaque `colour`, anti-aliased: the wholly covered spans set to it, a
/// pixel covered in part blended with it as tiny-skia's pipeline blends an opaque colour
/// through a coverage (`(d·(255 − c) + s·c + 255) >> 8`).
fn filled(
    pixmap: &mut Pixmap,
    cells: &mut Cells,
    edges: &[(Point, Point)],
    colour: tiny_skia::PremultipliedColorU8,
) {
    let (w, h) = (pixmap.width(), pixmap.height());
    let rgba = [colour.red(), colour.green(), colour.blue(), colour.alpha()];
    let pixels = pixmap.pixels_mut();
    cells.fill(edges, w, h, |y, x0, x1, c| {
        let row = y * w as usize;
        let span = &mut pixels[row + x0..row + x1];
        if c == 255 {
            span.fill(colour);
            return;
        }
        let c = u32::from(c);
        for p in span {
            let d = [p.red(), p.green(), p.blue(), p.alpha()];
            let [r, g, b, a] = [0, 1, 2, 3]
                .map(|k| ((u32::from(d[k]) * (255 - c) + u32::from(rgba[k]) * c + 255) >> 8) as u8);
            *p = tiny_skia::PremultipliedColorU8::from_rgba(r, g, b, a).unwrap_or(*p);
        }
    });
}

/// Fills `edges` with `tile` repeated from the origin, anti-aliased: each covered pixel mixed
/// with the tile's by its coverage, as tiny-skia's pattern shader does with the nearest pixel;
/// a wholly covered span is the tile's pixels copied, from its rows laid end to end across the
/// pixmap.
fn tiled(pixmap: &mut Pixmap, cells: &mut Cells, edges: &[(Point, Point)], tile: &Pixmap) {
    let (w, h) = (pixmap.width(), pixmap.height());
    let width = w as usize;
    let (tw, th) = (tile.width() as usize, tile.height() as usize);
    // Each row of the tile repeated over the pixmap's width: pixel `x` of a row of the pixmap
    // takes pixel `x` of its strip.
    let mut strips = Vec::with_capacity(th * width * 4);
    for tile_row in tile.data().chunks_exact(tw * 4) {
        let end = strips.len() + width * 4;
        while strips.len() + tile_row.len() <= end {
            strips.extend_from_slice(tile_row);
        }
        strips.extend_from_slice(&tile_row[..end - strips.len()]);
    }
    let pixels = pixmap.data_mut();
    cells.fill(edges, w, h, |y, x0, x1, c| {
        let strip = &strips[(y % th) * width * 4..(y % th + 1) * width * 4];
        let out = &mut pixels[y * width * 4..(y + 1) * width * 4];
        let (dst, src) = (&mut out[x0 * 4..x1 * 4], &strip[x0 * 4..x1 * 4]);
        if c == 255 {
            // Wholly covered: the mix below gives the tile's pixel itself.
            dst.copy_from_slice(src);
        } else {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = mix(*s, *d, c);
            }
        }
    });
}

/// `s` over `d` by coverage `a` (of 255), rounded.
fn mix(s: u8, d: u8, a: u8) -> u8 {
    let (s, d, a) = (u32::from(s), u32::from(d), u32::from(a));
    super::div255(s * a + d * (255 - a)) as u8
}

#[cfg(test)]
mod tests;
