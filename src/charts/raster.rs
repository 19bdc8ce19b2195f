//! The PNG of a chart's SVG: resvg parses and fills the shapes, but for the runs of polygons
//! (a map's regions and their borders), which [`runs`] fills itself from the same SVG between
//! the pieces resvg draws (each fill's coverage as spans by [`cells`], the no-data hatching one
//! fill and one pass, where resvg ran a pattern shader per region), or from the [`Shapes`]
//! handed over with the SVG in place of its [`MARK`]s ([`png_with`]); the borders by
//! [`hairline`]; and the text is laid here from the
//! bundled font's glyphs: each glyph's anti-aliased coverage is filled with tiny-skia from its
//! outline (converted to a path once per process) once per size and quarter-pixel offset, then
//! kept (usvg would shape
//! every `<text>` and convert every glyph outline again for each image, most of a PNG's time).
//! The glyphs are placed as the SVG asks (`x`, `y`, `dy` in `em`/`ex` as usvg reads them,
//! `text-anchor`, `font-size`, `fill`, `opacity`) with the advances and kerning that
//! `style::text_width` measures, on top of the shapes. A `<text>` this does not read (a
//! rotation, a weight, another font) is left in the SVG for resvg to draw. The image's buffers
//! are kept for the thread's next one (its pixels not even cleared when the first thing drawn
//! is an opaque rectangle over the whole image), and the PNG is written by [`encode`], with the
//! text chunks the caller gives ([`png_with_text`]: a source, a licence). Must not know what a
//! chart is: SVG text (and shapes) in, PNG bytes out.

use std::sync::OnceLock;

use resvg::tiny_skia::{self, FillRule, Path, PathBuilder, Pixmap, Transform};

use super::style;
use super::{ChartError, RenderError};

mod cells;
mod encode;
mod hairline;
mod runs;

pub use runs::{Fill, MARK, Shapes};

/// The bundled font's glyphs as paths in font units (y up), by glyph id, and its metrics.
struct Glyphs {
    font: ab_glyph::FontRef<'static>,
    paths: Vec<Option<Path>>,
    units: f32,
}

fn glyphs() -> Option<&'static Glyphs> {
    use ab_glyph::Font as _;
    static GLYPHS: OnceLock<Option<Glyphs>> = OnceLock::new();
    GLYPHS
        .get_or_init(|| {
            let font = ab_glyph::FontRef::try_from_slice(style::FONT_TTF).ok()?;
            let paths = (0..font.glyph_count())
                .map(|id| outline(&font, ab_glyph::GlyphId(id as u16)))
                .collect();
            let units = font.units_per_em().unwrap_or(2048.0);
            Some(Glyphs { font, paths, units })
        })
        .as_ref()
}

/// One glyph's outline as a path: its curves in order, a new contour wherever a curve does not
/// start where the previous one ended.
fn outline(font: &ab_glyph::FontRef<'static>, id: ab_glyph::GlyphId) -> Option<Path> {
    use ab_glyph::{Font as _, OutlineCurve, Point};
    let curves = font.outline(id)?.curves;
    let mut path = PathBuilder::new();
    let mut end: Option<Point> = None;
    for curve in &curves {
        let start = match curve {
            OutlineCurve::Line(a, _) | OutlineCurve::Quad(a, _, _) | OutlineCurve::Cubic(a, ..) => {
                *a
            }
        };
        if end != Some(start) {
            if end.is_some() {
                path.close();
            }
            path.move_to(start.x, start.y);
        }
        end = Some(match curve {
            OutlineCurve::Line(_, b) => {
                path.line_to(b.x, b.y);
                *b
            }
            OutlineCurve::Quad(_, c, b) => {
                path.quad_to(c.x, c.y, b.x, b.y);
                *b
            }
            OutlineCurve::Cubic(_, c1, c2, b) => {
                path.cubic_to(c1.x, c1.y, c2.x, c2.y, b.x, b.y);
                *b
            }
        });
    }
    if end.is_some() {
        path.close();
    }
    path.finish()
}

/// A `<text>` element read from the SVG.
struct Label {
    x: f32,
    y: f32,
    /// The baseline offset, px.
    dy: f32,
    /// 0 start, 0.5 middle, 1 end.
    anchor: f32,
    size: f32,
    colour: tiny_skia::Color,
    text: String,
}

/// The attributes of a start tag (`<text a="b" …>`), unescaped.
fn attributes(tag: &str) -> Vec<(&str, String)> {
    raw_attributes(tag)
        .map(|(name, value)| (name, unescape(value)))
        .collect()
}

/// The attributes of a start tag as written (`name="value"`), not unescaped.
fn raw_attributes(tag: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = tag;
    std::iter::from_fn(move || {
        let eq = rest.find("=\"")?;
        let name = rest[..eq].trim();
        let after = &rest[eq + 2..];
        let close = after.find('"')?;
        let value = &after[..close];
        rest = &after[close + 1..];
        Some((name, value))
    })
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn colour(hex: &str, opacity: f32) -> Option<tiny_skia::Color> {
    let hex = hex.strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    let mut c = tiny_skia::Color::from_rgba8(byte(0)?, byte(2)?, byte(4)?, 255);
    c.apply_opacity(opacity);
    Some(c)
}

/// Reads a `<text …>content</text>` as plotters writes it, or `None` when it asks for what this
/// does not draw (then resvg draws it).
fn label(tag: &str, content: &str) -> Option<Label> {
    let mut l = Label {
        x: 0.0,
        y: 0.0,
        dy: 0.0,
        anchor: 0.0,
        size: 16.0,
        colour: tiny_skia::Color::BLACK,
        text: unescape(content.trim()),
    };
    let mut fill = "#000000".to_owned();
    let mut opacity = 1.0;
    let mut dy = String::new();
    for (name, value) in attributes(tag) {
        match name {
            "x" => l.x = value.parse().ok()?,
            "y" => l.y = value.parse().ok()?,
            "dy" => dy = value,
            "text-anchor" => {
                l.anchor = match value.as_str() {
                    "start" => 0.0,
                    "middle" => 0.5,
                    "end" => 1.0,
                    _ => return None,
                }
            }
            "font-size" => l.size = value.parse().ok()?,
            "font-family" if value == style::FONT_FAMILY => {}
            "fill" => fill = value,
            "opacity" => opacity = value.parse().ok()?,
            _ => return None,
        }
    }
    // usvg's units: 1em = the font size, 1ex = half of it.
    l.dy = if dy.is_empty() {
        0.0
    } else if let Some(n) = dy.strip_suffix("em") {
        n.parse::<f32>().ok()? * l.size
    } else if let Some(n) = dy.strip_suffix("ex") {
        n.parse::<f32>().ok()? * l.size / 2.0
    } else {
        dy.strip_suffix("px").unwrap_or(&dy).parse().ok()?
    };
    l.colour = colour(&fill, opacity)?;
    Some(l)
}

/// The SVG without the `<text>` elements this module draws, and those elements.
fn split_text(svg: &str) -> (String, Vec<Label>) {
    let mut shapes = String::with_capacity(svg.len());
    let mut labels = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find("<text ") {
        let Some(open_end) = rest[at..].find('>').map(|e| at + e) else {
            break;
        };
        let Some(close) = rest[open_end..].find("</text>").map(|e| open_end + e) else {
            break;
        };
        let end = close + "</text>".len();
        match label(&rest[at + 6..open_end], &rest[open_end + 1..close]) {
            Some(l) => {
                shapes.push_str(&rest[..at]);
                labels.push(l);
            }
            None => shapes.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    shapes.push_str(rest);
    (shapes, labels)
}

fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
    static DB: OnceLock<std::sync::Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(style::FONT_TTF.to_vec());
        db.set_sans_serif_family(style::FONT_FAMILY);
        std::sync::Arc::new(db)
    })
    .clone()
}

/// How resvg reads a chart's SVG: the bundled font, as the chart's own family.
fn options() -> resvg::usvg::Options<'static> {
    resvg::usvg::Options {
        fontdb: fonts(),
        font_family: style::FONT_FAMILY.to_owned(),
        ..Default::default()
    }
}

/// The PNG of an SVG drawn by `charts::svg` (without its embedded font): the shapes by resvg,
/// the text from the cached glyphs, anti-aliased.
pub fn png(svg: &str) -> Result<Vec<u8>, ChartError> {
    png_with(svg, &[])
}

/// The PNG of an SVG with `given` painted in place of its [`MARK`]s, in order, as [`png`] paints
/// the same shapes written there (`<polygon>`s, one-pixel `<path>`s); the SVG's `viewBox` must be
/// its size in pixels, and a pattern the shapes fill with one of its `<defs>`.
pub fn png_with(svg: &str, given: &[Shapes]) -> Result<Vec<u8>, ChartError> {
    png_with_text(svg, given, &[])
}

/// [`png_with`], the PNG carrying `text` as text chunks: each a keyword (1 to 79 printable
/// ASCII characters, such as `Source`, `Copyright`, `Software`) and its text.
pub fn png_with_text(
    svg: &str,
    given: &[Shapes],
    text: &[(&str, &str)],
) -> Result<Vec<u8>, ChartError> {
    let (shapes, labels) = match glyphs() {
        Some(_) => split_text(svg),
        None => (svg.to_owned(), Vec::new()),
    };
    let options = options();
    let (docs, runs) = match runs::cut(&shapes, given).map_err(RenderError::Shapes)? {
        Some(cut) => (cut.docs, cut.runs),
        None => (vec![shapes], Vec::new()),
    };
    let mut spare = SPARE.with_borrow_mut(std::mem::take);
    let mut pixmap: Option<Pixmap> = None;
    for (i, doc) in docs.iter().enumerate() {
        // An empty document: nothing between two runs (the first is never empty).
        if !doc.is_empty() {
            let tree = resvg::usvg::Tree::from_str(doc, &options).map_err(RenderError::from)?;
            let pixmap = match &mut pixmap {
                Some(p) => p,
                None => {
                    let size = tree.size().to_int_size();
                    let (width, height) = (size.width(), size.height());
                    // What the thread's last image left in the pixels is not seen when the
                    // first run paints every pixel before anything else is drawn.
                    let clear = tree.root().has_children()
                        || !runs.first().is_some_and(|r| r.covers(width, height));
                    pixmap.insert(
                        spare
                            .pixmap(width, height, clear)
                            .ok_or(RenderError::Size { width, height })?,
                    )
                }
            };
            resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
        }
        if let (Some(run), Some(pixmap)) = (runs.get(i), &mut pixmap) {
            run.paint(pixmap, &mut spare.cells);
        }
    }
    let Some(mut pixmap) = pixmap else {
        return Err(RenderError::NoSvgElement.into());
    };
    if let Some(g) = glyphs() {
        draw_labels(&mut pixmap, g, &labels);
    }
    // As large as the thread's last PNG and a bit: the stream is not copied as it grows.
    let mut png = Vec::with_capacity(spare.png_len + spare.png_len / 8 + 1024);
    encode::encode(&pixmap, text, &mut spare.row, &mut png)?;
    spare.png_len = png.len();
    spare.pixels = pixmap.take();
    if spare.pixels.len() <= SPARE_BYTES {
        SPARE.with_borrow_mut(|s| *s = spare);
    }
    Ok(png)
}

/// The SVG drawn whole by resvg, with the options [`png`] gives it: what the PNG looked like
/// before the runs and the glyph coverages, to compare with.
#[cfg(test)]
pub(crate) fn by_resvg(svg: &str) -> Pixmap {
    let options = options();
    let tree = resvg::usvg::Tree::from_str(svg, &options).expect("the SVG parses");
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height()).expect("a size");
    resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
    pixmap
}

/// Up to this many bytes of pixels (a million pixels: 1250 × 800) an image's buffers are kept
/// for the next image drawn on the thread.
const SPARE_BYTES: usize = 4 << 20;

thread_local! {
    /// The last image's buffers, kept for the next one drawn on the thread: buffers this large
    /// are otherwise fresh pages from the system for every image, each zeroed by the kernel on
    /// first touch (a tenth of a map's time).
    static SPARE: std::cell::RefCell<Spare> = Default::default();
}

#[derive(Default)]
struct Spare {
    pixels: Vec<u8>,
    /// One filtered row of the PNG being encoded.
    row: Vec<u8>,
    /// The size of the last PNG, bytes.
    png_len: usize,
    /// The buffers of the runs' fills.
    cells: cells::Cells,
}

impl Spare {
    /// A pixmap in the kept pixels: transparent, or when not `clear` and of the last image's
    /// size, as the last image left it.
    fn pixmap(&mut self, width: u32, height: u32, clear: bool) -> Option<Pixmap> {
        let size = tiny_skia::IntSize::from_wh(width, height)?;
        let mut data = std::mem::take(&mut self.pixels);
        let len = width as usize * height as usize * 4;
        if data.len() != len {
            data.clear();
            data.resize(len, 0);
        } else if clear {
            data.fill(0);
        }
        Pixmap::from_vec(data, size)
    }
}

/// A glyph's anti-aliased coverage at one size and quarter-pixel offset, as tiny-skia fills
/// it: drawn once, then laid down wherever the glyph is at that size and offset.
struct Coverage {
    /// Where its top left pixel is from the glyph's whole-pixel origin.
    left: i32,
    top: i32,
    width: usize,
    data: Vec<u8>,
}

/// Glyph positions are kept to this fraction of a pixel (an eighth of a pixel off at most).
const STEPS: f32 = 4.0;

/// Coverages drawn so far, by glyph, size (its bits) and offset; emptied when this large (a
/// few thousand are made by all the shipped charts in every size).
const KEPT: usize = 50_000;

type Coverages = std::collections::HashMap<(u16, u32, u8, u8), Option<Coverage>>;

fn coverage(path: &Path, scale: f32, fx: u8, fy: u8) -> Option<Coverage> {
    let (dx, dy) = (f32::from(fx) / STEPS, f32::from(fy) / STEPS);
    let at = Transform::from_row(scale, 0.0, 0.0, -scale, dx, dy);
    let bounds = path.clone().transform(at)?.bounds();
    let (left, top) = (
        bounds.left().floor() as i32 - 1,
        bounds.top().floor() as i32 - 1,
    );
    let width = (bounds.right().ceil() as i32 + 1 - left).max(1) as u32;
    let height = (bounds.bottom().ceil() as i32 + 1 - top).max(1) as u32;
    let mut mask = tiny_skia::Mask::new(width, height)?;
    let at = Transform::from_row(scale, 0.0, 0.0, -scale, dx - left as f32, dy - top as f32);
    mask.fill_path(path, FillRule::Winding, true, at);
    Some(Coverage {
        left,
        top,
        width: width as usize,
        data: mask.data().to_vec(),
    })
}

/// Lays `colour` (premultiplied) over the pixmap through a coverage whose top left is at
/// `(x, y)`: source-over, as tiny-skia fills.
fn lay(pixmap: &mut Pixmap, c: &Coverage, x: i32, y: i32, colour: [u8; 4]) {
    let (w, h) = (pixmap.width() as i32, pixmap.height() as i32);
    let pixels = pixmap.data_mut();
    for (row, line) in c.data.chunks_exact(c.width).enumerate() {
        let py = y + row as i32;
        if py < 0 || py >= h {
            continue;
        }
        for (col, m) in line.iter().enumerate() {
            let px = x + col as i32;
            if *m == 0 || px < 0 || px >= w {
                continue;
            }
            let m = u32::from(*m);
            let at = ((py * w + px) * 4) as usize;
            let src: [u32; 4] = colour.map(|v| div255(u32::from(v) * m));
            let keep = 255 - src[3];
            for k in 0..4 {
                pixels[at + k] = (src[k] + div255(u32::from(pixels[at + k]) * keep)).min(255) as u8;
            }
        }
    }
}

/// `v / 255`, rounded, for `v ≤ 255 · 255`.
fn div255(v: u32) -> u32 {
    (v + 128 + ((v + 128) >> 8)) >> 8
}

fn draw_labels(pixmap: &mut Pixmap, g: &Glyphs, labels: &[Label]) {
    use ab_glyph::Font as _;
    static COVERAGES: OnceLock<std::sync::Mutex<Coverages>> = OnceLock::new();
    let mut kept = COVERAGES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if kept.len() > KEPT {
        kept.clear();
    }
    let mut ids = Vec::new();
    for l in labels {
        let c = l.colour.premultiply().to_color_u8();
        let colour = [c.red(), c.green(), c.blue(), c.alpha()];
        let scale = l.size / g.units;
        ids.clear();
        ids.extend(l.text.chars().map(|c| g.font.glyph_id(c)));
        // Advances and kerning in font units, as `style::text_width` measures them.
        let mut pens = Vec::with_capacity(ids.len());
        let mut pen = 0.0;
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                pen += g.font.kern_unscaled(ids[i - 1], *id);
            }
            pens.push(pen);
            pen += g.font.h_advance_unscaled(*id);
        }
        let x0 = l.x - l.anchor * pen * scale;
        let baseline = l.y + l.dy;
        for (id, pen) in ids.iter().zip(&pens) {
            let Some(Some(path)) = g.paths.get(usize::from(id.0)) else {
                continue;
            };
            // The glyph's origin to a quarter pixel: whole pixels and steps.
            let quarter = |v: f32| {
                let steps = (v * STEPS).round();
                let whole = (steps / STEPS).floor();
                (whole as i32, (steps - whole * STEPS) as u8)
            };
            let (ix, fx) = quarter(x0 + pen * scale);
            let (iy, fy) = quarter(baseline);
            let key = (id.0, l.size.to_bits(), fx, fy);
            let cov = kept
                .entry(key)
                .or_insert_with(|| coverage(path, scale, fx, fy));
            if let Some(cov) = cov {
                lay(pixmap, cov, ix + cov.left, iy + cov.top, colour);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plotters_text_is_read_and_taken_out_and_other_text_left_to_resvg() {
        let svg = "<svg><rect x=\"0\"/>\n<text x=\"10\" y=\"20\" dy=\"0.5ex\" text-anchor=\"end\" font-family=\"DejaVu Sans\" font-size=\"12\" opacity=\"1\" fill=\"#1A1A1A\">\nA &amp; B\n</text>\n<text x=\"1\" y=\"2\" transform=\"rotate(90, 1, 2)\">\nup\n</text>\n</svg>";
        let (shapes, labels) = split_text(svg);
        assert_eq!(labels.len(), 1);
        let l = &labels[0];
        assert_eq!(
            (l.x, l.y, l.dy, l.anchor, l.size),
            (10.0, 20.0, 3.0, 1.0, 12.0)
        );
        assert_eq!(l.text, "A & B");
        assert!(!shapes.contains("A &amp; B") && shapes.contains("rotate(90"));
        assert!(shapes.contains("<rect"));
    }

    #[test]
    fn a_label_is_drawn_where_the_svg_puts_it_in_its_colour() {
        // "H" in the text colour, anchored at its end at x = 100: ink left of 100, none right.
        let svg = "<svg width=\"200\" height=\"60\" viewBox=\"0 0 200 60\" xmlns=\"http://www.w3.org/2000/svg\"><rect x=\"0\" y=\"0\" width=\"200\" height=\"60\" fill=\"#FFFFFF\"/>\n<text x=\"100\" y=\"30\" dy=\"0.5ex\" text-anchor=\"end\" font-family=\"DejaVu Sans\" font-size=\"40\" opacity=\"1\" fill=\"#0072B2\">\nH\n</text>\n</svg>";
        let bytes = png(svg).expect("png");
        let pixmap = Pixmap::decode_png(&bytes).expect("decodes");
        let ink = |x0: u32, x1: u32| {
            (x0..x1)
                .flat_map(|x| (0..60).map(move |y| (x, y)))
                .filter(|&(x, y)| {
                    let p = pixmap.pixel(x, y).expect("in");
                    p.red() < 100 && p.blue() > 150
                })
                .count()
        };
        assert!(ink(60, 100) > 100, "the H is drawn left of its end anchor");
        assert_eq!(ink(101, 200), 0, "nothing right of the anchor");
    }
}
