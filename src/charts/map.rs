//! The NUTS-2 choropleth: each region of [`Shapes`] filled with the colour of its value's class,
//! regions without a value hatched, a legend with the class bounds, and the highlighted region
//! (Brussels-Capital, a few pixels wide at the scale of Europe) ringed on the map and shown again
//! magnified in an inset, so it is always visible. Draws on plotters' SVG backend inside the area
//! it is given, the regions' polygons and borders kept beside it in pixels ([`Drawn::geometry`]),
//! then [`finish`] writes them in place and turns the no-data fills into one hatching `<pattern>`
//! (or, for the PNG, [`finish_for_png`] leaves a mark in their place and hands them over as
//! shapes, not written out as text to be read back); the title, the footer (source, licence,
//! © EuroGeographics), the alt text and PNG conversion are the caller's.
//!
//! Each region is one filled polygon (a multipolygon's parts and its holes joined into one
//! outline by zero-width bridges, filled with the non-zero rule, so a hole stays open): the
//! regions without data first (in a fill marked for [`hatched`]: 45° lines in user space, so
//! they run on across neighbouring regions), then those with one, each group largest first so
//! that an enclave (BE10 in BE24, Berlin in Brandenburg) lies on top of the region around it.
//! GISCO cuts every enclave out of the region around it (a hole), so the regions never overlap
//! and the order is only the PNG's: one run of hatched polygons, filled in one pass by
//! `charts::raster`. Then the borders, one polyline per ring.
//! Vertices that fall on
//! the pixel of the previous one, or on the straight line between their neighbours, are dropped. Must not read the store, format numbers or choose
//! colours: the caller gives the shapes, the values, the breaks and the style.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::element::{Circle, PathElement, Rectangle};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, IntoFont, RGBColor, TextStyle};

use crate::geo::breaks::class_of;
use crate::geo::{Point, Rect, Region, Shapes};

impl MapStyle<'_> {
    /// The thin outline of a box (an outermost region's).
    fn stroke_box(&self) -> plotters::style::ShapeStyle {
        self.muted.stroke_width(1)
    }
}

/// How the map looks: the caller's palette, font and words.
pub struct MapStyle<'a> {
    /// One per class, lightest first (`breaks.len() + 1` of them; a class past the last colour
    /// takes the last).
    pub fills: &'a [RGBColor],
    /// The colour of the hatching lines of the no-data fill.
    pub no_data: RGBColor,
    /// The fill under the hatching of a region without data.
    pub no_data_fill: RGBColor,
    /// Region borders.
    pub stroke: RGBColor,
    pub background: RGBColor,
    pub text: RGBColor,
    /// The outline of the outermost regions' boxes.
    pub muted: RGBColor,
    /// A font family registered with plotters by the caller.
    pub font: &'a str,
    /// In pixels, for the legend and the inset's label.
    pub font_size: f64,
    /// A number formatted for the language.
    pub format: &'a dyn Fn(f64) -> String,
    /// "No data" in the language.
    pub no_data_label: &'a str,
    /// The highlighted region's name in the language (else GISCO's, in its first language).
    pub highlight_name: Option<&'a str>,
}

/// What was drawn, for the caller's alt text and for tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// The regions of the map of Europe (not the distant ones), in the order they were drawn
    /// (those without data first, each group largest first: the order of the map's filled
    /// polygons).
    pub regions: Vec<DrawnRegion>,
    /// The centre of the inset showing the highlighted region (or of the ring around it when
    /// the area has no room for an inset); `None` without a highlight or when it is not a region.
    pub highlight: Option<(i32, i32)>,
    /// The region of each filled polygon, in the order drawn, and where it is: the map of
    /// Europe, the box of an outermost region, or the inset (plotters' SVG has no attributes of
    /// its own: the caller names the polygons by this order).
    pub polygons: Vec<(String, Part)>,
    /// The boxes of the outermost regions drawn: code and box (left, top, right, bottom), px.
    pub outermost: Vec<(String, [i32; 4])>,
    /// Each group of regions painted (the map, an outermost box, the inset), drawn here rather
    /// than through plotters (far fewer instructions): [`finish`] writes each where plotters' SVG
    /// holds its placeholder, [`finish_for_png`] hands them to the rasteriser.
    pub geometry: Vec<Group>,
}

/// The polygons of a group of regions, in the order filled, then their borders: in pixels of
/// the whole SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub polygons: Vec<Polygon>,
    /// Every border once (an edge two regions share is in one polyline only).
    pub borders: Vec<Vec<(i32, i32)>>,
    pub stroke: RGBColor,
}

/// One region's filled polygon.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub geo: String,
    pub part: Part,
    /// Its class's colour; `None` for no data (hatched).
    pub fill: Option<RGBColor>,
    /// Its rings joined into one outline by zero-width bridges to the first ring's first point
    /// (exteriors one way round, holes the other).
    pub outline: Vec<(i32, i32)>,
}

/// Where a polygon is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Map,
    Outermost,
    Inset,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Map => "map",
            Part::Outermost => "outermost",
            Part::Inset => "inset",
        }
    }
}

/// One region as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnRegion {
    pub geo: String,
    /// Its class (an index into `MapStyle::fills`), `None` for no data.
    pub class: Option<usize>,
    /// Its centroid, in pixels of the area.
    pub centroid: (i32, i32),
}

/// Pixels between two hatching lines of the no-data fill, along an axis (the 45° lines
/// `x + y = c` with `c` a multiple of it, so that a line runs on across neighbouring regions).
const HATCH_SPACING: u32 = 4;
/// The opacity that marks a no-data fill in plotters' SVG, which [`hatched`] makes the pattern
/// (no other element of a chart has it).
const NO_DATA_MARK: f64 = 0.996;
/// The inset shows this many times the highlighted region's size around it (for BE10: the
/// middle of Belgium).
const INSET_ZOOM_OUT: f64 = 6.0;
/// Below this side (px) there is no room for an inset: the ring on the map is the callout.
const INSET_MIN_SIDE: f64 = 48.0;

/// A box in pixels (left, top, right, bottom).
#[derive(Debug, Clone, Copy)]
struct Px {
    l: f64,
    t: f64,
    r: f64,
    b: f64,
}

impl Px {
    fn w(&self) -> f64 {
        self.r - self.l
    }
    fn h(&self) -> f64 {
        self.b - self.t
    }
}

/// Projected metres → pixels: `window` fitted in `into`, centred, north up.
struct Frame {
    scale: f64,
    ox: f64,
    oy: f64,
    min_x: f64,
    max_y: f64,
}

impl Frame {
    fn fit(window: Rect, into: Px) -> Frame {
        let scale = (into.w() / window.width()).min(into.h() / window.height());
        let ox = into.l + (into.w() - window.width() * scale) / 2.0;
        let oy = into.t + (into.h() - window.height() * scale) / 2.0;
        Frame {
            scale,
            ox,
            oy,
            min_x: window.min.0,
            max_y: window.max.1,
        }
    }

    fn px(&self, (x, y): Point) -> (f64, f64) {
        (
            self.ox + (x - self.min_x) * self.scale,
            self.oy + (self.max_y - y) * self.scale,
        )
    }
}

type Result<T, DB> =
    std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A region with its class, none when it has no (finite) value: hatched as no data.
fn classed<'r>(
    r: &'r Region,
    values: &BTreeMap<String, f64>,
    breaks: &[f64],
) -> (&'r Region, Option<usize>) {
    let class = values
        .get(&r.code)
        .filter(|v| v.is_finite())
        .map(|v| class_of(*v, breaks));
    (r, class)
}

/// Draws the choropleth of `values` (geo code → value; a region without one is no data) over
/// `shapes` in `area`, classed by `breaks` (from `crate::geo::breaks`), with the legend, the
/// no-data hatching and, for `highlight`, a ring on the map and an inset.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    shapes: &Shapes,
    values: &BTreeMap<String, f64>,
    breaks: &[f64],
    highlight: Option<&str>,
    style: &MapStyle,
) -> Result<Drawn, DB> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (f64::from(w), f64::from(h));
    area.fill(&style.background)?;
    let pad = (style.font_size * 0.8).round();

    let mut regions: Vec<(&Region, Option<usize>)> = shapes
        .regions()
        .iter()
        .filter(|r| shapes.in_extent(r))
        .map(|r| classed(r, values, breaks))
        .collect();
    regions.sort_by(|a, b| {
        (a.1.is_some().cmp(&b.1.is_some()))
            .then(b.0.area.total_cmp(&a.0.area))
            .then(a.0.code.cmp(&b.0.code))
    });
    let present: Vec<f64> = regions
        .iter()
        .filter_map(|(r, _)| values.get(&r.code).copied())
        .filter(|v| v.is_finite())
        .collect();
    let legend = legend_rows(&present, breaks, style);
    let any_missing = regions.iter().any(|(_, c)| c.is_none());

    // The legend and the inset take a panel on the right of a landscape area, under a portrait one.
    let chars = legend
        .iter()
        .map(|(label, _)| label.chars().count())
        .chain(std::iter::once(style.no_data_label.chars().count()))
        .max()
        .unwrap_or(0) as f64;
    let swatch = (style.font_size * 1.4).round();
    let legend_w = swatch + style.font_size * (0.6 + 0.5 * chars) + 2.0 * pad;
    let landscape = w >= h;
    let (map_box, panel) = if landscape {
        let panel_w = legend_w.max(w * 0.25).min(w * 0.45);
        (
            Px {
                l: pad,
                t: pad,
                r: w - panel_w,
                b: h - pad,
            },
            Px {
                l: w - panel_w + pad,
                t: pad,
                r: w - pad,
                b: h - pad,
            },
        )
    } else {
        let rows = (legend.len() + usize::from(any_missing)) as f64;
        let panel_h = (rows * swatch * 1.3 + 2.0 * pad).max(h * 0.3).min(h * 0.5);
        (
            Px {
                l: pad,
                t: pad,
                r: w - pad,
                b: h - panel_h,
            },
            Px {
                l: pad,
                t: h - panel_h + pad,
                r: w - pad,
                b: h - pad,
            },
        )
    };

    // The outermost regions, each in a box of its own: a column pair left of the map of a
    // landscape area, a row under the map of a portrait one.
    let outermost: Vec<(&Region, Option<usize>)> = crate::geo::OUTERMOST
        .iter()
        .filter_map(|code| shapes.get(code))
        .map(|r| classed(r, values, breaks))
        .collect();
    let gap = (style.font_size * 0.3).round().max(2.0);
    let mut boxes: Vec<Px> = Vec::new();
    let mut map_box = map_box;
    if !outermost.is_empty() {
        let n = outermost.len() as f64;
        if landscape {
            let (cols, rows) = (2.0, (n / 2.0).ceil());
            let side = ((map_box.h() - (rows - 1.0) * gap) / rows)
                .min((map_box.w() * 0.22 - gap) / cols)
                .floor();
            if side >= 24.0 {
                for (i, _) in outermost.iter().enumerate() {
                    let (c, r) = ((i % 2) as f64, (i / 2) as f64);
                    let l = map_box.l + c * (side + gap);
                    let t = map_box.t + r * (side + gap);
                    boxes.push(Px {
                        l,
                        t,
                        r: l + side,
                        b: t + side,
                    });
                }
                map_box.l += cols * (side + gap) + gap;
            }
        } else {
            let side = ((map_box.w() - (n - 1.0) * gap) / n)
                .min(map_box.h() * 0.18)
                .floor();
            if side >= 24.0 {
                for (i, _) in outermost.iter().enumerate() {
                    let l = map_box.l + i as f64 * (side + gap);
                    let t = map_box.b - side;
                    boxes.push(Px {
                        l,
                        t,
                        r: l + side,
                        b: t + side,
                    });
                }
                map_box.b -= side + gap;
            }
        }
    }

    // The map of Europe.
    let frame = Frame::fit(shapes.extent(), map_box);
    let mut geometry = Vec::new();
    let mut polygons: Vec<(String, Part)> = paint(
        area,
        &regions,
        &frame,
        None,
        style,
        Part::Map,
        &mut geometry,
    )?
    .into_iter()
    .map(|g| (g, Part::Map))
    .collect();
    let mut outermost_drawn = Vec::new();
    let small = TextStyle::from((style.font, style.font_size * 0.75).into_font())
        .color(&style.text)
        .pos(Pos::new(HPos::Left, VPos::Top));
    for (b, (region, class)) in boxes.iter().zip(&outermost) {
        let label_h = style.font_size * 0.95;
        let inner = Px {
            l: b.l + 2.0,
            t: b.t + label_h,
            r: b.r - 2.0,
            b: b.b - 2.0,
        };
        let bbox = region.bbox;
        let margin = bbox.width().max(bbox.height()) * 0.08;
        let window = Rect {
            min: (bbox.min.0 - margin, bbox.min.1 - margin),
            max: (bbox.max.0 + margin, bbox.max.1 + margin),
        };
        let fit = Frame::fit(window, inner);
        let corners = [(b.l as i32, b.t as i32), (b.r as i32, b.b as i32)];
        area.draw(&Rectangle::new(corners, style.background.filled()))?;
        polygons.extend(
            paint(
                area,
                &[(*region, *class)],
                &fit,
                Some(*b),
                style,
                Part::Outermost,
                &mut geometry,
            )?
            .into_iter()
            .map(|g| (g, Part::Outermost)),
        );
        area.draw(&Rectangle::new(corners, style.stroke_box()))?;
        area.draw_text(
            &region.code,
            &small,
            ((b.l + 2.0) as i32, (b.t + 1.0) as i32),
        )?;
        outermost_drawn.push((
            region.code.clone(),
            [b.l as i32, b.t as i32, b.r as i32, b.b as i32],
        ));
    }
    let drawn: Vec<DrawnRegion> = regions
        .iter()
        .map(|(r, class)| {
            let (x, y) = frame.px(r.centroid);
            DrawnRegion {
                geo: r.code.clone(),
                class: *class,
                centroid: (x.round() as i32, y.round() as i32),
            }
        })
        .collect();

    // The legend: one row per class with its bounds, then the no-data row.
    let text = TextStyle::from((style.font, style.font_size).into_font())
        .color(&style.text)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let row_h = swatch * 1.3;
    let mut y = panel.t;
    for (label, class) in &legend {
        let fill = fill_of(style, Some(*class));
        let (x0, y0) = (panel.l as i32, y as i32);
        let (x1, y1) = ((panel.l + swatch) as i32, (y + swatch) as i32);
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))?;
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], style.stroke_box()))?;
        let label_x = (panel.l + swatch + style.font_size * 0.5) as i32;
        area.draw_text(label, &text, (label_x, (y + swatch / 2.0) as i32))?;
        y += row_h;
    }
    if any_missing {
        let b = Px {
            l: panel.l,
            t: y,
            r: panel.l + swatch,
            b: y + swatch,
        };
        area.draw(&Rectangle::new(
            [(b.l as i32, b.t as i32), (b.r as i32, b.b as i32)],
            no_data_marked(style).filled(),
        ))?;
        area.draw(&Rectangle::new(
            [(b.l as i32, b.t as i32), (b.r as i32, b.b as i32)],
            style.stroke_box(),
        ))?;
        let label_x = (panel.l + swatch + style.font_size * 0.5) as i32;
        area.draw_text(
            style.no_data_label,
            &text,
            (label_x, (y + swatch / 2.0) as i32),
        )?;
        y += row_h;
    }

    // The highlight: a ring on the map, and an inset in the panel when there is room.
    let Some(target) = highlight.and_then(|code| regions.iter().find(|(r, _)| r.code == code))
    else {
        return Ok(Drawn {
            regions: drawn,
            highlight: None,
            polygons,
            outermost: outermost_drawn,
            geometry,
        });
    };
    let region = target.0;
    let (cx, cy) = frame.px(region.centroid);
    let radius = (style.font_size * 0.7).max(6.0);
    let ring = style.text.stroke_width(2);
    area.draw(&Circle::new(
        (cx.round() as i32, cy.round() as i32),
        radius as u32,
        ring,
    ))?;

    let label_h = style.font_size * 2.8;
    let inset_box = if landscape {
        let top = y + pad + label_h;
        let side = panel.w().min(panel.b - top);
        Px {
            l: panel.l,
            t: top,
            r: panel.l + side,
            b: top + side,
        }
    } else {
        let side = (panel.h() - label_h).min(panel.w() / 2.0);
        let top = panel.t + label_h;
        Px {
            l: panel.r - side,
            t: top,
            r: panel.r,
            b: top + side,
        }
    };
    let value_text = values
        .get(&region.code)
        .filter(|v| v.is_finite())
        .map_or_else(|| style.no_data_label.to_owned(), |v| (style.format)(*v));
    let label = format!("{}: {value_text}", region.code);
    // The name as GISCO gives it in Latin script, its first language only ("Région de
    // Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest"), cut to the panel's width.
    let name = style
        .highlight_name
        .unwrap_or_else(|| region.name.split('/').next().unwrap_or_default().trim());
    let fits = (panel.w() / (style.font_size * 0.5)).floor().max(1.0) as usize;
    let name: String = if name.chars().count() > fits {
        let cut: String = name.chars().take(fits.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    } else {
        name.to_owned()
    };
    if inset_box.w() < INSET_MIN_SIDE || inset_box.h() < INSET_MIN_SIDE {
        // No room: the ring is the callout, its label beside it.
        let beside = TextStyle::from((style.font, style.font_size).into_font())
            .color(&style.text)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let at = ((cx + radius + 2.0) as i32, cy as i32);
        area.draw_text(&label, &beside, at)?;
        return Ok(Drawn {
            regions: drawn,
            highlight: Some((cx.round() as i32, cy.round() as i32)),
            polygons,
            outermost: outermost_drawn,
            geometry,
        });
    }

    let half = region.bbox.width().max(region.bbox.height()) * INSET_ZOOM_OUT / 2.0;
    let window = Rect {
        min: (region.centroid.0 - half, region.centroid.1 - half),
        max: (region.centroid.0 + half, region.centroid.1 + half),
    };
    let near: Vec<(&Region, Option<usize>)> = regions
        .iter()
        .filter(|(r, _)| {
            r.bbox.max.0 >= window.min.0
                && r.bbox.min.0 <= window.max.0
                && r.bbox.max.1 >= window.min.1
                && r.bbox.min.1 <= window.max.1
        })
        .copied()
        .collect();
    let inset = Frame::fit(window, inset_box);
    area.draw(&Rectangle::new(
        [
            (inset_box.l as i32, inset_box.t as i32),
            (inset_box.r as i32, inset_box.b as i32),
        ],
        style.background.filled(),
    ))?;
    polygons.extend(
        paint(
            area,
            &near,
            &inset,
            Some(inset_box),
            style,
            Part::Inset,
            &mut geometry,
        )?
        .into_iter()
        .map(|g| (g, Part::Inset)),
    );
    area.draw(&Rectangle::new(
        [
            (inset_box.l as i32, inset_box.t as i32),
            (inset_box.r as i32, inset_box.b as i32),
        ],
        style.text,
    ))?;
    let caption = TextStyle::from((style.font, style.font_size).into_font())
        .color(&style.text)
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    let line = (style.font_size * 1.4) as i32;
    let bottom = (inset_box.t - 2.0) as i32;
    area.draw_text(&name, &caption, (inset_box.l as i32, bottom - line))?;
    area.draw_text(&label, &caption, (inset_box.l as i32, bottom))?;
    // A leader from the ring to the inset.
    let toward = if landscape {
        (inset_box.l, (inset_box.t + inset_box.b) / 2.0)
    } else {
        ((inset_box.l + inset_box.r) / 2.0, inset_box.t)
    };
    let (dx, dy) = (toward.0 - cx, toward.1 - cy);
    let length = dx.hypot(dy).max(1.0);
    let start = (cx + dx / length * radius, cy + dy / length * radius);
    area.draw(&PathElement::new(
        vec![
            (start.0.round() as i32, start.1.round() as i32),
            (toward.0.round() as i32, toward.1.round() as i32),
        ],
        style.text.stroke_width(1),
    ))?;
    let centre = (
        ((inset_box.l + inset_box.r) / 2.0).round() as i32,
        ((inset_box.t + inset_box.b) / 2.0).round() as i32,
    );
    Ok(Drawn {
        regions: drawn,
        highlight: Some(centre),
        polygons,
        outermost: outermost_drawn,
        geometry,
    })
}

/// The legend's rows: per class, "low – high" (the lowest value, the breaks, the highest value).
fn legend_rows(present: &[f64], breaks: &[f64], style: &MapStyle) -> Vec<(String, usize)> {
    let (Some(min), Some(max)) = (
        present.iter().copied().reduce(f64::min),
        present.iter().copied().reduce(f64::max),
    ) else {
        return Vec::new();
    };
    let mut bounds = vec![min];
    bounds.extend_from_slice(breaks);
    bounds.push(max);
    bounds
        .windows(2)
        .enumerate()
        .map(|(class, pair)| {
            (
                format!("{} – {}", (style.format)(pair[0]), (style.format)(pair[1])),
                class,
            )
        })
        .collect()
}

/// The no-data fill as plotters writes it, marked for [`hatched`].
fn no_data_marked(style: &MapStyle) -> plotters::style::RGBAColor {
    style.no_data_fill.mix(NO_DATA_MARK)
}

/// The SVG plotters wrote for [`draw`] with its no-data fills hatched: each fill marked by
/// [`NO_DATA_MARK`] becomes one `<pattern>` (`{id}-no-data`, in user space, so the lines of
/// neighbouring regions meet), defined once after the `<svg>` tag: one pattern tile instead of a
/// line element per hatching stroke, for the browser and resvg alike.
/// `no_data` and `no_data_fill` are the [`MapStyle`]'s.
pub fn hatched(svg: &str, no_data: RGBColor, no_data_fill: RGBColor, id: &str) -> String {
    hatch(svg, no_data, no_data_fill, id, false)
}

/// [`hatched`], the pattern defined even without a marked fill in `svg` when `always`.
fn hatch(svg: &str, no_data: RGBColor, no_data_fill: RGBColor, id: &str, always: bool) -> String {
    let marked = format!("opacity=\"{NO_DATA_MARK}\" fill=\"{}\"", hex(no_data_fill));
    if !always && !svg.contains(&marked) {
        return svg.to_owned();
    }
    let pattern = format!("{id}-no-data");
    let mut out = svg.replace(&marked, &format!("opacity=\"1\" fill=\"url(#{pattern})\""));
    let Some(open) = out
        .find("<svg")
        .and_then(|at| out[at..].find('>').map(|end| at + end + 1))
    else {
        return out;
    };
    let s = HATCH_SPACING;
    let defs = format!(
        "\n<defs><pattern id=\"{pattern}\" patternUnits=\"userSpaceOnUse\" width=\"{s}\" height=\"{s}\"><rect width=\"{s}\" height=\"{s}\" fill=\"{}\"/><path d=\"M-1,1L1,-1M0,{s}L{s},0M{},{}L{},{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1\"/></pattern></defs>",
        hex(no_data_fill),
        s - 1,
        s + 1,
        s + 1,
        s - 1,
        hex(no_data),
    );
    out.insert_str(open, &defs);
    out
}

fn fill_of(style: &MapStyle, class: Option<usize>) -> RGBColor {
    match (class, style.fills.last()) {
        (Some(c), Some(last)) => *style.fills.get(c).unwrap_or(last),
        _ => style.no_data_fill,
    }
}

/// Fills `regions` in the order given (those without a value in the marked no-data fill), then
/// draws every border;
/// `clip` keeps each ring inside a box. Returns the region of each polygon filled, in order.
fn paint<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    regions: &[(&Region, Option<usize>)],
    frame: &Frame,
    clip: Option<Px>,
    style: &MapStyle,
    part: Part,
    geometry: &mut Vec<Group>,
) -> Result<Vec<String>, DB> {
    let mut filled = Vec::with_capacity(regions.len());
    let mut polygons = Vec::with_capacity(regions.len());
    let mut borders: Vec<Vec<(i32, i32)>> = Vec::new();
    let base = area.get_base_pixel();
    for (region, class) in regions {
        // Each polygon's rings in pixels: the exterior, then its holes.
        let mut rings: Vec<(Vec<(f64, f64)>, bool)> = Vec::new();
        for polygon in &region.polygons {
            for (i, ring) in polygon.rings.iter().enumerate() {
                let px: Vec<(f64, f64)> = ring.iter().map(|p| frame.px(*p)).collect();
                let px = match clip {
                    Some(b) => clip_ring(&px, b),
                    None => px,
                };
                if px.len() >= 3 {
                    rings.push((px, i == 0));
                }
            }
        }
        let pixel_rings: Vec<Vec<(i32, i32)>> = rings
            .iter()
            .map(|(ring, exterior)| {
                let mut pixels = snap(ring);
                // Exteriors one way round, holes the other, for the non-zero fill rule.
                let clockwise = pixel_area(&pixels) > 0.0;
                if clockwise != *exterior {
                    pixels.reverse();
                }
                pixels
            })
            .collect();
        let Some(anchor) = pixel_rings.first().and_then(|r| r.first()).copied() else {
            continue;
        };
        let mut outline = Vec::with_capacity(pixel_rings.iter().map(|r| r.len() + 2).sum());
        for ring in &pixel_rings {
            outline.push(anchor);
            outline.extend_from_slice(ring);
            outline.push(anchor);
        }
        for p in &mut outline {
            *p = (p.0 + base.0, p.1 + base.1);
        }
        polygons.push(Polygon {
            geo: region.code.clone(),
            part,
            fill: class.map(|_| fill_of(style, *class)),
            outline,
        });
        filled.push(region.code.clone());
        borders.extend(pixel_rings.into_iter().filter(|r| r.len() >= 2));
    }
    let mut borders = shared_once(&borders);
    for p in borders.iter_mut().flatten() {
        *p = (p.0 + base.0, p.1 + base.1);
    }
    // Where the geometry goes in plotters' SVG: a mark [`finish`] replaces by it.
    area.draw(&Rectangle::new(
        [(0, 0), (1, 1)],
        placeholder(style).filled(),
    ))?;
    geometry.push(Group {
        polygons,
        borders,
        stroke: style.stroke,
    });
    Ok(filled)
}

/// The SVG of a group: each polygon as plotters' SVG backend writes a filled polygon, with its
/// region named (a no-data fill marked for [`hatched`]), then the borders as one `<path>`.
fn write_group(svg: &mut String, group: &Group, no_data_fill: RGBColor) {
    for polygon in &group.polygons {
        svg.push_str("<polygon data-geo=\"");
        svg.push_str(&crate::charts::escape(&polygon.geo));
        svg.push_str("\" data-part=\"");
        svg.push_str(polygon.part.as_str());
        match polygon.fill {
            Some(fill) => {
                svg.push_str("\" opacity=\"1\" fill=\"");
                svg.push_str(&hex(fill));
            }
            None => {
                svg.push_str(&format!("\" opacity=\"{NO_DATA_MARK}\" fill=\""));
                svg.push_str(&hex(no_data_fill));
            }
        }
        svg.push_str("\" points=\"");
        for p in &polygon.outline {
            push_point(svg, *p);
            svg.push(' ');
        }
        svg.push_str("\"/>\n");
    }
    if !group.borders.is_empty() {
        svg.push_str("<path fill=\"none\" opacity=\"1\" stroke=\"");
        svg.push_str(&hex(group.stroke));
        svg.push_str("\" stroke-width=\"1\" d=\"");
        for run in &group.borders {
            for (i, p) in run.iter().enumerate() {
                svg.push(if i == 0 { 'M' } else { 'L' });
                push_point(svg, *p);
            }
        }
        svg.push_str("\"/>\n");
    }
}

/// `#RRGGBB`, as plotters writes a colour.
fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// `x,y` of a pixel.
fn push_point(svg: &mut String, (x, y): (i32, i32)) {
    push_int(svg, x);
    svg.push(',');
    push_int(svg, y);
}

/// An integer in decimal, without the formatting machinery (hundreds of thousands per map).
fn push_int(svg: &mut String, n: i32) {
    if n < 0 {
        svg.push('-');
    }
    let mut n = n.unsigned_abs();
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[i..] {
        svg.push(char::from(*d));
    }
}

/// The opacity that marks where [`paint`] put a group of regions in plotters' SVG.
const PLACEHOLDER_MARK: f64 = 0.993;

fn placeholder(style: &MapStyle) -> plotters::style::RGBAColor {
    style.background.mix(PLACEHOLDER_MARK)
}

/// The SVG plotters wrote for [`draw`], finished: each placeholder replaced by the regions
/// [`draw`] drew there (`drawn.geometry`, in order), then the no-data fills [`hatched`].
/// `background`, `no_data` and `no_data_fill` are the [`MapStyle`]'s.
pub fn finish(
    svg: &str,
    drawn: &Drawn,
    background: RGBColor,
    no_data: RGBColor,
    no_data_fill: RGBColor,
    id: &str,
) -> String {
    let size = drawn
        .geometry
        .iter()
        .map(|g| {
            g.polygons
                .iter()
                .map(|p| p.outline.len() * 8)
                .sum::<usize>()
                + 64 * 1024
        })
        .sum::<usize>();
    let mut groups = drawn.geometry.iter();
    let out = placed(svg, background, size, |out| {
        if let Some(group) = groups.next() {
            write_group(out, group, no_data_fill);
        }
    });
    hatched(&out, no_data, no_data_fill, id)
}

/// What the PNG of the SVG [`finish`] writes is drawn from: the SVG with a
/// [`raster::MARK`](crate::charts::raster::MARK) in place of each group of regions, and the
/// groups as shapes for [`raster::png_with`](crate::charts::raster::png_with), which paints them
/// there as it would paint them read from [`finish`]'s SVG (the same pixels), without their
/// points written out and read back.
pub fn finish_for_png(
    svg: &str,
    drawn: &Drawn,
    background: RGBColor,
    no_data: RGBColor,
    no_data_fill: RGBColor,
    id: &str,
) -> (String, Vec<crate::charts::raster::Shapes>) {
    use crate::charts::raster::{Fill, MARK, Shapes};
    let out = placed(svg, background, 0, |out| out.push_str(MARK));
    let pattern = format!("{id}-no-data");
    let rgb = |c: RGBColor| [c.0, c.1, c.2];
    let float = |points: &[(i32, i32)]| {
        points
            .iter()
            .map(|&(x, y)| (x as f32, y as f32))
            .collect::<Vec<_>>()
    };
    let shapes = drawn
        .geometry
        .iter()
        .map(|group| {
            let mut shapes = Shapes::default();
            for polygon in &group.polygons {
                let fill = match polygon.fill {
                    Some(c) => Fill::Colour(rgb(c)),
                    None => Fill::Pattern(pattern.clone()),
                };
                shapes.polygon(float(&polygon.outline), fill);
            }
            shapes.lines(group.borders.iter().map(|b| float(b)), rgb(group.stroke));
            shapes
        })
        .collect();
    let hatching = drawn
        .geometry
        .iter()
        .any(|g| g.polygons.iter().any(|p| p.fill.is_none()));
    (hatch(&out, no_data, no_data_fill, id, hatching), shapes)
}

/// `svg` with each of [`paint`]'s placeholders replaced by what `put` writes (`extra`: the
/// bytes it will add, about).
fn placed(
    svg: &str,
    background: RGBColor,
    extra: usize,
    mut put: impl FnMut(&mut String),
) -> String {
    // The placeholder as plotters writes it (at the area's origin: `<rect x=".." y=".." …`).
    let mark = format!(
        " width=\"1\" height=\"1\" opacity=\"{PLACEHOLDER_MARK}\" fill=\"{}\" stroke=\"none\"/>\n",
        hex(background)
    );
    let mut out = String::with_capacity(svg.len() + extra);
    let mut rest = svg;
    while let Some(at) = rest.find(&mark) {
        let Some(open) = rest[..at].rfind("<rect ") else {
            break;
        };
        out.push_str(&rest[..open]);
        put(&mut out);
        rest = &rest[at + mark.len()..];
    }
    out.push_str(rest);
    out
}

/// A hasher for pixel edges (the standard one is built against hostile keys; these are ours).
#[derive(Default)]
struct EdgeHasher(u64);

impl std::hash::Hasher for EdgeHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_i32(&mut self, n: i32) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(n as u32)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// The borders of `rings` with each edge once: a border two regions share is in both their
/// rings (the same pixels, one ring running it the other way) and is drawn once. Returns the
/// runs of consecutive edges not drawn before, as polylines.
fn shared_once(rings: &[Vec<(i32, i32)>]) -> Vec<Vec<(i32, i32)>> {
    let edges: usize = rings.iter().map(Vec::len).sum();
    type Edge = ((i32, i32), (i32, i32));
    let mut seen: std::collections::HashSet<Edge, std::hash::BuildHasherDefault<EdgeHasher>> =
        std::collections::HashSet::with_capacity_and_hasher(edges, Default::default());
    let mut runs = Vec::new();
    for ring in rings {
        let mut run: Vec<(i32, i32)> = Vec::new();
        for w in ring.windows(2) {
            let key = if w[0] <= w[1] {
                (w[0], w[1])
            } else {
                (w[1], w[0])
            };
            if seen.insert(key) {
                if run.is_empty() {
                    run.push(w[0]);
                }
                run.push(w[1]);
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        if run.len() >= 2 {
            runs.push(run);
        }
    }
    runs
}

/// A ring's vertices rounded to pixels, a vertex on the pixel of the previous one dropped, closed.
fn snap(ring: &[(f64, f64)]) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(ring.len());
    for (x, y) in ring {
        let p = (x.round() as i32, y.round() as i32);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    if let (Some(first), Some(last)) = (out.first().copied(), out.last())
        && first != *last
    {
        out.push(first);
    }
    straight(out)
}

/// A closed pixel ring without the vertices that lie on the straight segment between their two
/// neighbours (the same picture in fewer points). Decided by each vertex's own neighbours, so a
/// border two rings share loses the same vertices in both; the first vertex is kept.
fn straight(ring: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    if ring.len() < 4 {
        return ring;
    }
    let mut out = Vec::with_capacity(ring.len());
    out.push(ring[0]);
    for w in ring.windows(3) {
        let (a, b, c) = (w[0], w[1], w[2]);
        let cross = i64::from(b.0 - a.0) * i64::from(c.1 - a.1)
            - i64::from(b.1 - a.1) * i64::from(c.0 - a.0);
        let between = i64::from(b.0 - a.0) * i64::from(c.0 - b.0)
            + i64::from(b.1 - a.1) * i64::from(c.1 - b.1)
            > 0;
        if cross != 0 || !between {
            out.push(b);
        }
    }
    out.push(ring[ring.len() - 1]);
    out
}

/// Twice the signed area of a pixel ring (positive when clockwise on screen, y down).
fn pixel_area(ring: &[(i32, i32)]) -> f64 {
    ring.windows(2)
        .map(|w| f64::from(w[0].0) * f64::from(w[1].1) - f64::from(w[1].0) * f64::from(w[0].1))
        .sum()
}

/// Sutherland–Hodgman: the part of a closed ring inside a box (closed again, or empty).
fn clip_ring(ring: &[(f64, f64)], b: Px) -> Vec<(f64, f64)> {
    type Inside = fn(&(f64, f64), &Px) -> bool;
    type Cross = fn((f64, f64), (f64, f64), &Px) -> (f64, f64);
    let edges: [(Inside, Cross); 4] = [
        (
            |p, b| p.0 >= b.l,
            |p, q, b| (b.l, p.1 + (q.1 - p.1) * (b.l - p.0) / (q.0 - p.0)),
        ),
        (
            |p, b| p.0 <= b.r,
            |p, q, b| (b.r, p.1 + (q.1 - p.1) * (b.r - p.0) / (q.0 - p.0)),
        ),
        (
            |p, b| p.1 >= b.t,
            |p, q, b| (p.0 + (q.0 - p.0) * (b.t - p.1) / (q.1 - p.1), b.t),
        ),
        (
            |p, b| p.1 <= b.b,
            |p, q, b| (p.0 + (q.0 - p.0) * (b.b - p.1) / (q.1 - p.1), b.b),
        ),
    ];
    // Work on the open ring (without the repeated first point).
    let mut points: Vec<(f64, f64)> = ring.to_vec();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    for (inside, cross) in edges {
        if points.is_empty() {
            break;
        }
        let mut out = Vec::with_capacity(points.len() + 4);
        for i in 0..points.len() {
            let p = points[i];
            let prev = points[(i + points.len() - 1) % points.len()];
            match (inside(&prev, &b), inside(&p, &b)) {
                (true, true) => out.push(p),
                (true, false) => out.push(cross(prev, p, &b)),
                (false, true) => {
                    out.push(cross(prev, p, &b));
                    out.push(p);
                }
                (false, false) => {}
            }
        }
        points = out;
    }
    if let Some(first) = points.first().copied() {
        points.push(first);
    }
    points
}

#[cfg(test)]
mod tests;
