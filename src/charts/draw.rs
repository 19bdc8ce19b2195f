//! Drawing with plotters into SVG: the frame every chart shares (title, subtitle, the footer with
//! source, licence, "processed by desi-city" and the data date, which no option turns off, and the
//! legend line of the flags), then each kind's plot. Markers are circles (hollow for estimated,
//! provisional or low-reliability values), a segment into a value after a break in series is
//! dashed, lines carry direct labels at their ends. Text is measured with the bundled font.
//! Must not read figures: a [`Prepared`] chart in, SVG text out.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::place::{Boxed, Placer, Side};
use super::prepare::{Body, CommissionLine, Point, Prepared, Trajectory};
use super::style::{self, Colours, FONT_FAMILY, Theme, Word, word};
use super::{ChartError, RenderError};

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Chart2d<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn err(e: plotters::drawing::DrawingAreaErrorKind<std::io::Error>) -> ChartError {
    RenderError::Draw(e).into()
}

/// Sizes of one drawing, from its width.
#[derive(Clone, Copy)]
struct Metrics {
    /// Body text, px.
    base: f64,
    margin: i32,
}

impl Metrics {
    fn of(width: u32) -> Metrics {
        let base = (f64::from(width) / 800.0 * 15.0).clamp(12.0, 30.0);
        Metrics {
            base,
            margin: (base * 1.3) as i32,
        }
    }
}

fn font(size: f64, colour: RGBColor) -> TextStyle<'static> {
    let mut style = TextStyle::from((FONT_FAMILY, size).into_font());
    style.color = colour.to_backend_color();
    style
}

/// Greedy word wrap of `text` to `width` px, at most `max_lines` lines (the last cut with "…").
fn wrap(
    area: &Area<'_>,
    text: &str,
    style: &TextStyle<'_>,
    width: i32,
    max_lines: usize,
) -> Vec<String> {
    let fits = |s: &str| text_width(area, s, style) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_owned()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && !fits(&format!("{last}…")) {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

/// Draws `prepared` at `width` × `height` in `theme`: the SVG as plotters writes it (the caller
/// adds the title, description and font).
pub fn svg(
    prepared: &Prepared,
    width: u32,
    height: u32,
    theme: Theme,
) -> Result<String, ChartError> {
    finished(
        prepared,
        width,
        height,
        theme,
        |out| out,
        super::map::finish,
    )
}

/// What the PNG of [`svg`]'s SVG is drawn from: that SVG, but for a map's regions, which are
/// shapes to paint in place of the marks left for them ([`super::map::finish_for_png`]).
pub fn for_png(
    prepared: &Prepared,
    width: u32,
    height: u32,
    theme: Theme,
) -> Result<(String, Vec<super::raster::Shapes>), ChartError> {
    finished(
        prepared,
        width,
        height,
        theme,
        |out| (out, Vec::new()),
        super::map::finish_for_png,
    )
}

/// [`drawn`]'s SVG as `plain` gives it, or a map's as `map` finishes it (with the map style's
/// background, no-data and no-data fill colours).
fn finished<T>(
    prepared: &Prepared,
    width: u32,
    height: u32,
    theme: Theme,
    plain: impl FnOnce(String) -> T,
    map: impl FnOnce(&str, &super::map::Drawn, RGBColor, RGBColor, RGBColor, &str) -> T,
) -> Result<T, ChartError> {
    let (out, named) = drawn(prepared, width, height, theme)?;
    Ok(match named {
        Some((drawn, [background, no_data, no_data_fill])) => map(
            &out,
            &drawn,
            background,
            no_data,
            no_data_fill,
            &prepared.id,
        ),
        None => plain(out),
    })
}

/// Plotters' SVG of `prepared`, and for a map what it drew with the colours `map::finish` needs.
type Drawn = (String, Option<(super::map::Drawn, [RGBColor; 3])>);

fn drawn(prepared: &Prepared, width: u32, height: u32, theme: Theme) -> Result<Drawn, ChartError> {
    let mut out = String::new();
    let mut named: Option<(super::map::Drawn, [RGBColor; 3])> = None;
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        let c = theme.colours();
        let m = Metrics::of(width);
        root.fill(&c.background).map_err(err)?;
        let lang = prepared.lang;
        let inner = width as i32 - 2 * m.margin;

        // Header: title (up to two lines), subtitle (up to two lines).
        let title_style = font(m.base * 1.5, c.text);
        let sub_style = font(m.base * 1.08, c.muted);
        let mut y = m.margin;
        for line in wrap(&root, &prepared.title, &title_style, inner, 2) {
            root.draw(&Text::new(
                line,
                (m.margin, y),
                title_style.pos(Pos::new(HPos::Left, VPos::Top)),
            ))
            .map_err(err)?;
            y += (m.base * 1.5 * 1.25) as i32;
        }
        for line in wrap(&root, &prepared.subtitle, &sub_style, inner, 2) {
            root.draw(&Text::new(
                line,
                (m.margin, y),
                sub_style.pos(Pos::new(HPos::Left, VPos::Top)),
            ))
            .map_err(err)?;
            y += (m.base * 1.08 * 1.3) as i32;
        }
        let top = y + (m.base * 0.6) as i32;

        // Footer: the flags' legend line (when any plotted value is flagged), the sources, the
        // licence, the processing and the data date.
        let foot_style = font(m.base * 0.9, c.muted);
        let line_h = (m.base * 0.9 * 1.2) as i32;
        // The sources may wrap (and, at worst, be cut); the licence, the processing and the date
        // always have their own last line.
        let sources = prepared.source_lines().join(" · ");
        let mut terms = format!(
            "{} · {}",
            prepared.licences().join(", "),
            word(Word::Processed, lang)
        );
        if let Some(date) = prepared.data_date() {
            terms.push_str(&format!(
                " · {}{} {date}",
                word(Word::Data, lang),
                super::prepare::colon(lang)
            ));
        }
        let mut footer_lines = wrap(&root, &sources, &foot_style, inner, 3);
        footer_lines.extend(wrap(&root, &terms, &foot_style, inner, 2));
        let (uncertain, breaks) = prepared.flags_seen();
        let legend_h = if uncertain || breaks { line_h + 4 } else { 0 };
        let bottom = height as i32 - m.margin - footer_lines.len() as i32 * line_h - legend_h;
        let mut fy = bottom + legend_h;
        if uncertain || breaks {
            let ly = bottom + line_h / 2;
            let mut x = m.margin + 5;
            let r = (m.base * 0.33).max(3.0) as i32;
            if uncertain {
                root.draw(&Circle::new(
                    (x, ly),
                    r,
                    ShapeStyle::from(&c.muted).stroke_width(2),
                ))
                .map_err(err)?;
                let t = word(Word::Estimated, lang);
                root.draw(&Text::new(
                    t,
                    (x + r + 5, ly),
                    foot_style.pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err)?;
                x += r + 5 + text_width(&root, t, &foot_style) + 18;
            }
            if breaks {
                for k in 0..3 {
                    root.draw(&PathElement::new(
                        vec![(x + k * 7, ly), (x + k * 7 + 4, ly)],
                        ShapeStyle::from(&c.muted).stroke_width(2),
                    ))
                    .map_err(err)?;
                }
                root.draw(&Text::new(
                    word(Word::Break, lang),
                    (x + 25, ly),
                    foot_style.pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err)?;
            }
        }
        for line in footer_lines {
            root.draw(&Text::new(
                line,
                (m.margin, fy),
                foot_style.pos(Pos::new(HPos::Left, VPos::Top)),
            ))
            .map_err(err)?;
            fy += line_h;
        }

        let plot = root.margin(top, height as i32 - bottom + 4, m.margin / 2, m.margin);
        match &prepared.body {
            Body::Lines(lines) => time_series(&root, &plot, prepared, lines, &c, m)?,
            Body::Bars { bars, .. } => {
                let rows: Vec<Row> = bars
                    .iter()
                    .map(|b| Row {
                        label: b.name.clone(),
                        parts: vec![b.value],
                        colour: if b.highlight {
                            c.series[0]
                        } else if b.is_eu {
                            c.series[2]
                        } else {
                            c.other
                        },
                        hollow: b.flags.chars().any(|f| matches!(f, 'e' | 'p' | 'u' | 's')),
                        emphasis: b.highlight || b.is_eu,
                    })
                    .collect();
                bars_chart(&root, &plot, prepared, &rows, &[], &c, m)?
            }
            Body::Stacked {
                dimensions, stacks, ..
            } => {
                let rows: Vec<Row> = stacks
                    .iter()
                    .map(|s| Row {
                        label: s.name.clone(),
                        parts: s.parts.clone(),
                        colour: c.series[0],
                        hollow: false,
                        emphasis: s.highlight,
                    })
                    .collect();
                bars_chart(&root, &plot, prepared, &rows, dimensions, &c, m)?
            }
            Body::Profile { rows, .. } => profile(&root, &plot, prepared, rows, &c, m)?,
            Body::Trajectory(t) => trajectory(&root, &plot, prepared, t, &c, m)?,
            Body::Map(data) => named = Some(map_chart(&plot, prepared, data, theme, m)?),
        }
        root.present().map_err(err)?;
    }
    Ok((merge_polylines(&dashes(out)), named))
}

/// Runs of consecutive `<polyline>`s that plotters wrote with the same attributes, each made one
/// `<path>` of as many subpaths (the hatching of a map, its borders, a grid): the same picture in
/// far fewer elements, for the browser and resvg alike. A polyline alone is left as it is.
fn merge_polylines(svg: &str) -> String {
    const OPEN: &str = "<polyline ";
    const POINTS: &str = " points=\"";
    let mut out = String::with_capacity(svg.len());
    let mut run: Vec<&str> = Vec::new();
    let mut style: &str = "";
    let flush = |out: &mut String, run: &mut Vec<&str>, style: &str| {
        match run.len() {
            0 => {}
            1 => {
                out.push_str(OPEN);
                out.push_str(style);
                out.push_str(POINTS);
                out.push_str(run[0]);
                out.push_str("\"/>\n");
            }
            _ => {
                out.push_str("<path ");
                out.push_str(style);
                out.push_str(" d=\"");
                for points in run.iter() {
                    for (i, p) in points.split_whitespace().enumerate() {
                        out.push(if i == 0 { 'M' } else { 'L' });
                        out.push_str(p);
                    }
                }
                out.push_str("\"/>\n");
            }
        }
        run.clear();
    };
    for line in svg.split_inclusive('\n') {
        let parsed = line
            .strip_prefix(OPEN)
            .and_then(|rest| rest.trim_end().strip_suffix("\"/>"))
            .and_then(|rest| rest.split_once(POINTS));
        match parsed {
            Some((attrs, points)) if !attrs.contains('"') || attrs.ends_with('"') => {
                if attrs != style {
                    flush(&mut out, &mut run, style);
                    style = attrs;
                }
                run.push(points);
            }
            _ => {
                flush(&mut out, &mut run, style);
                out.push_str(line);
            }
        }
    }
    flush(&mut out, &mut run, style);
    out
}

/// ColorBrewer's YlGnBu (colour-blind safe, sequential), lightest first, for 3 to 7 classes.
fn sequential(classes: usize) -> &'static [RGBColor] {
    const P3: [RGBColor; 3] = [
        RGBColor(0xed, 0xf8, 0xb1),
        RGBColor(0x7f, 0xcd, 0xbb),
        RGBColor(0x2c, 0x7f, 0xb8),
    ];
    const P4: [RGBColor; 4] = [
        RGBColor(0xff, 0xff, 0xcc),
        RGBColor(0xa1, 0xda, 0xb4),
        RGBColor(0x41, 0xb6, 0xc4),
        RGBColor(0x22, 0x5e, 0xa8),
    ];
    const P5: [RGBColor; 5] = [
        RGBColor(0xff, 0xff, 0xcc),
        RGBColor(0xa1, 0xda, 0xb4),
        RGBColor(0x41, 0xb6, 0xc4),
        RGBColor(0x2c, 0x7f, 0xb8),
        RGBColor(0x25, 0x34, 0x94),
    ];
    const P6: [RGBColor; 6] = [
        RGBColor(0xff, 0xff, 0xcc),
        RGBColor(0xc7, 0xe9, 0xb4),
        RGBColor(0x7f, 0xcd, 0xbb),
        RGBColor(0x41, 0xb6, 0xc4),
        RGBColor(0x2c, 0x7f, 0xb8),
        RGBColor(0x25, 0x34, 0x94),
    ];
    const P7: [RGBColor; 7] = [
        RGBColor(0xff, 0xff, 0xcc),
        RGBColor(0xc7, 0xe9, 0xb4),
        RGBColor(0x7f, 0xcd, 0xbb),
        RGBColor(0x41, 0xb6, 0xc4),
        RGBColor(0x1d, 0x91, 0xc0),
        RGBColor(0x22, 0x5e, 0xa8),
        RGBColor(0x0c, 0x2c, 0x84),
    ];
    match classes {
        0..=3 => &P3,
        4 => &P4,
        5 => &P5,
        6 => &P6,
        _ => &P7,
    }
}

/// The fills of a map of `classes` classes (as many as the breaks make).
pub fn map_fills(classes: usize) -> &'static [RGBColor] {
    sequential(classes)
}

/// The choropleth in the plot area; returns what it drew (for `map::finish`) and the colours
/// `map::finish` needs.
fn map_chart(
    plot: &Area<'_>,
    prepared: &Prepared,
    data: &super::prepare::MapData,
    theme: Theme,
    m: Metrics,
) -> Result<(super::map::Drawn, [RGBColor; 3]), ChartError> {
    let c = theme.colours();
    let lang = prepared.lang;
    let decimals = prepared.decimals.max(1);
    let format = move |v: f64| style::number(v, decimals, lang);
    // A name in the language where the charts know one (BE10: Bruxelles), else GISCO's.
    let known = style::geo_name(&data.highlight, lang);
    let highlight_name = (known != data.highlight).then_some(known);
    let values: std::collections::BTreeMap<String, f64> = data
        .values
        .iter()
        .map(|v| (v.geo.clone(), v.value))
        .collect();
    let map_style = super::map::MapStyle {
        fills: map_fills(data.breaks.len() + 1),
        no_data: blend(c.muted, c.background, 0.55),
        no_data_fill: blend(c.muted, c.background, 0.12),
        stroke: match theme {
            Theme::Light => c.background,
            Theme::Dark => c.other,
        },
        background: c.background,
        text: c.text,
        muted: c.muted,
        font: FONT_FAMILY,
        font_size: m.base * 0.9,
        format: &format,
        no_data_label: word(Word::NoData, lang),
        highlight_name: highlight_name.as_deref(),
    };
    let drawn = super::map::draw(
        plot,
        &data.shapes,
        &values,
        &data.breaks,
        Some(&data.highlight),
        &map_style,
    )
    .map_err(err)?;
    // An estimated, provisional or low-reliability value: a hollow ring at its region's centre
    // (the footer's legend line says what it means), so the flag is seen and not only read.
    let r = (m.base * 0.3).max(3.0) as i32;
    for region in &drawn.regions {
        let flagged = data.values.iter().any(|v| {
            v.geo == region.geo && v.flags.chars().any(|f| matches!(f, 'e' | 'p' | 'u' | 's'))
        });
        if flagged {
            plot.draw(&Circle::new(
                region.centroid,
                r,
                ShapeStyle::from(&c.text).stroke_width(2),
            ))
            .map_err(err)?;
        }
    }
    let colours = [
        map_style.background,
        map_style.no_data,
        map_style.no_data_fill,
    ];
    Ok((drawn, colours))
}

/// The width of `text` in px, measured with the bundled font (plotters' own estimate, without a
/// font backend, is a guess per character).
fn text_width(_area: &Area<'_>, text: &str, style: &TextStyle<'_>) -> i32 {
    style::text_width(text, style.font.get_size()).ceil() as i32
}

/// A range around `values` with some air, from 0 when the values are not far from it.
fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = (hi - lo).max(hi.abs() * 0.05).max(1e-9);
    let lo = if lo >= 0.0 && lo <= span * 1.5 {
        0.0
    } else {
        lo - span * 0.1
    };
    (lo, hi + span * 0.08)
}

fn mesh<'a, 'b>(
    chart: &mut Chart2d<'a, 'b>,
    c: &Colours,
    m: Metrics,
    lang: &'static str,
    decimals: usize,
    years: Option<usize>,
) -> Result<(), ChartError> {
    let label = font(m.base, c.muted);
    let y_fmt = move |v: &f64| style::number(*v, decimals, lang);
    let x_fmt = |v: &f64| {
        if (v - v.round()).abs() < 1e-6 {
            format!("{:.0}", v)
        } else {
            String::new()
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .bold_line_style(c.grid)
        .light_line_style(TRANSPARENT)
        .axis_style(c.muted)
        .label_style(label)
        .y_labels(6)
        .y_label_formatter(&y_fmt);
    if let Some(years) = years {
        mesh.x_labels(years).x_label_formatter(&x_fmt);
    }
    mesh.draw().map_err(err)
}

fn marker(
    chart: &mut Chart2d<'_, '_>,
    p: (f64, f64),
    colour: RGBColor,
    hollow: bool,
    r: i32,
    background: RGBColor,
) -> Result<(), ChartError> {
    let style = if hollow {
        ShapeStyle::from(&colour).stroke_width(2)
    } else {
        ShapeStyle::from(&colour).filled()
    };
    if hollow {
        // A background disc under the ring, so the line does not show through it.
        chart
            .draw_series(std::iter::once(Circle::new(
                p,
                r,
                ShapeStyle::from(&background).filled(),
            )))
            .map_err(err)?;
    }
    chart
        .draw_series(std::iter::once(Circle::new(p, r, style)))
        .map_err(err)?;
    Ok(())
}

/// The segments of a series: solid between consecutive values, dashed into a value after a
/// break, none across a gap.
fn segments(
    chart: &mut Chart2d<'_, '_>,
    points: &[Point],
    colour: RGBColor,
    width: u32,
) -> Result<(), ChartError> {
    let mut previous: Option<(f64, f64)> = None;
    for p in points {
        let Some(v) = p.value else {
            previous = None;
            continue;
        };
        let here = (f64::from(p.year), v);
        if let Some(before) = previous {
            if p.after_break() {
                dashed(chart, before, here, colour, width)?;
            } else {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![before, here],
                        ShapeStyle::from(&colour).stroke_width(width),
                    )))
                    .map_err(err)?;
            }
        }
        previous = Some(here);
    }
    Ok(())
}

/// A dashed segment (dashes of 6 px, gaps of 4 px, in pixel space).
fn dashed(
    chart: &mut Chart2d<'_, '_>,
    a: (f64, f64),
    b: (f64, f64),
    colour: RGBColor,
    width: u32,
) -> Result<(), ChartError> {
    dash_pattern(chart, a, b, colour, width, Dash::Dashed)
}

/// The dash patterns a line may have (SVG `stroke-dasharray`, px).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dash {
    /// 6 on, 4 off: a break in series, desi-city's path to the target.
    Dashed,
    /// 2 on, 3 off: the Commission's trajectory from past performance.
    Dotted,
    /// 5 on, 3 off: the EU reference of a profile.
    Reference,
    /// 9 on, 3 off, 2 on, 3 off: the Commission's path to the target.
    LongShort,
}

/// The dash patterns, their dash arrays and the opacity that marks a polyline drawn with each
/// (plotters writes no dash array: [`dashes`] turns the mark into one).
const DASHES: [(Dash, f64, &str); 4] = [
    (Dash::Dashed, 0.999, "6 4"),
    (Dash::Dotted, 0.998, "2 3"),
    (Dash::Reference, 0.997, "5 3"),
    (Dash::LongShort, 0.995, "9 3 2 3"),
];

/// `colour` marked for `dash`.
fn dash_colour(colour: RGBColor, dash: Dash) -> RGBAColor {
    let opacity = DASHES.iter().find(|d| d.0 == dash).map_or(1.0, |d| d.1);
    colour.mix(opacity)
}

fn dash_pattern(
    chart: &mut Chart2d<'_, '_>,
    a: (f64, f64),
    b: (f64, f64),
    colour: RGBColor,
    width: u32,
    dash: Dash,
) -> Result<(), ChartError> {
    let pa = chart.backend_coord(&a);
    let pb = chart.backend_coord(&b);
    if (f64::from(pb.0 - pa.0)).hypot(f64::from(pb.1 - pa.1)) < 1.0 {
        return Ok(());
    }
    // One polyline, marked by an opacity no other element has; `dashes` makes it an SVG dash
    // array, so a viewer and resvg draw one path, not one per dash.
    if !DASHES.iter().any(|d| d.0 == dash) {
        return Err(RenderError::DashPattern(format!("{dash:?}")).into());
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![a, b],
            ShapeStyle::from(&dash_colour(colour, dash)).stroke_width(width),
        )))
        .map_err(err)?;
    Ok(())
}

/// Every polyline marked by a [`DASHES`] opacity, opaque with its dash array (one pass).
fn dashes(svg: String) -> String {
    const MARK: &str = "opacity=\"0.99";
    if !svg.contains(MARK) {
        return svg;
    }
    let marks: Vec<(String, &str)> = DASHES
        .iter()
        .map(|(_, opacity, array)| (format!("opacity=\"{opacity}\" stroke="), *array))
        .collect();
    let mut out = String::with_capacity(svg.len() + 1024);
    let mut rest = svg.as_str();
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at..];
        let found = marks.iter().find_map(|(marked, array)| {
            after.starts_with(marked).then_some((marked.len(), *array))
        });
        match found {
            Some((len, array)) => {
                out.push_str(&rest[..at]);
                out.push_str("opacity=\"1\" stroke-dasharray=\"");
                out.push_str(array);
                out.push_str("\" stroke=");
                rest = &rest[at + len..];
            }
            None => {
                out.push_str(&rest[..at + MARK.len()]);
                rest = &rest[at + MARK.len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Places labels at their wanted y, pushed apart so they do not overlap.
fn spread(mut wanted: Vec<(usize, i32)>, gap: i32, lo: i32, hi: i32) -> Vec<(usize, i32)> {
    wanted.sort_by_key(|w| w.1);
    for i in 1..wanted.len() {
        if wanted[i].1 < wanted[i - 1].1 + gap {
            wanted[i].1 = wanted[i - 1].1 + gap;
        }
    }
    if let Some(last) = wanted.last().map(|w| w.1)
        && last > hi
    {
        let shift = last - hi;
        for w in &mut wanted {
            w.1 -= shift;
        }
    }
    for w in &mut wanted {
        w.1 = w.1.max(lo);
    }
    wanted
}

fn time_series(
    root: &Area<'_>,
    plot: &Area<'_>,
    prepared: &Prepared,
    lines: &[super::prepare::Line],
    c: &Colours,
    m: Metrics,
) -> Result<(), ChartError> {
    let lang = prepared.lang;
    let label_style = font(m.base, c.text);
    // Direct labels: "Belgium 94.1%" at the end of each line.
    let labels: Vec<String> = lines
        .iter()
        .map(|l| {
            let last = l.points.iter().rev().find_map(|p| p.value);
            match last {
                Some(v) => format!(
                    "{} {}",
                    l.name,
                    style::quantity(v, prepared.decimals, &prepared.unit, lang)
                ),
                None => l.name.clone(),
            }
        })
        .collect();
    let label_w = labels
        .iter()
        .map(|l| text_width(root, l, &label_style))
        .max()
        .unwrap_or(0);
    let years: Vec<i32> = lines
        .iter()
        .flat_map(|l| {
            l.points
                .iter()
                .filter(|p| p.value.is_some())
                .map(|p| p.year)
        })
        .collect();
    let (y0, y1) = (
        *years.iter().min().unwrap_or(&2020),
        *years.iter().max().unwrap_or(&2021),
    );
    let span = (y1 - y0).max(1);
    let (v0, v1) = value_range(
        lines
            .iter()
            .flat_map(|l| l.points.iter().filter_map(|p| p.value)),
    );
    let mut chart = ChartBuilder::on(plot)
        .margin_right(label_w + 14)
        .x_label_area_size((m.base * 2.0) as i32)
        .y_label_area_size((m.base * 3.6) as i32)
        .build_cartesian_2d(f64::from(y0) - 0.4..f64::from(y1) + 0.4, v0..v1)
        .map_err(err)?;
    let step = (span as usize).div_ceil(10).max(1);
    mesh(
        &mut chart,
        c,
        m,
        lang,
        prepared.decimals,
        Some(span as usize / step + 1),
    )?;
    let r = (m.base * 0.33).max(3.0) as i32;
    let mut ends = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let colour = c.series[i.min(5)];
        segments(&mut chart, &line.points, colour, 2)?;
        for p in &line.points {
            if let Some(v) = p.value {
                marker(
                    &mut chart,
                    (f64::from(p.year), v),
                    colour,
                    p.uncertain(),
                    r,
                    c.background,
                )?;
            }
        }
        if let Some(p) = line.points.iter().rev().find(|p| p.value.is_some()) {
            let at = chart.backend_coord(&(f64::from(p.year), p.value.unwrap_or_default()));
            ends.push((i, at.1, at.0));
        }
    }
    let (lo, hi) = (
        chart.backend_coord(&(0.0, v1)).1,
        chart.backend_coord(&(0.0, v0)).1,
    );
    let placed = spread(
        ends.iter().map(|e| (e.0, e.1)).collect(),
        (m.base * 1.25) as i32,
        lo,
        hi,
    );
    let right = ends.iter().map(|e| e.2).max().unwrap_or(0);
    for (i, y) in placed {
        let colour = c.series[i.min(5)];
        let x = right + r + 8;
        // A short lead in the line's colour, then the label in the text colour.
        root.draw(&PathElement::new(
            vec![(x - 6, y), (x - 1, y)],
            ShapeStyle::from(&colour).stroke_width(2),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            labels[i].clone(),
            (x + 2, y),
            label_style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// A horizontal bar: one part (a ranking) or several stacked (a composite).
struct Row {
    label: String,
    parts: Vec<f64>,
    colour: RGBColor,
    hollow: bool,
    emphasis: bool,
}

fn bars_chart(
    root: &Area<'_>,
    plot: &Area<'_>,
    prepared: &Prepared,
    rows: &[Row],
    stack_names: &[String],
    c: &Colours,
    m: Metrics,
) -> Result<(), ChartError> {
    let lang = prepared.lang;
    let n = rows.len().max(1);
    let plot_h = plot.dim_in_pixel().1 as f64;
    // Row labels shrink to fit the rows.
    let size = (plot_h / (n as f64 + 3.0) * 0.8).clamp(7.0, m.base);
    let row_style = font(size, c.text);
    let label_w = rows
        .iter()
        .map(|r| text_width(root, &r.label, &row_style))
        .max()
        .unwrap_or(0);
    let totals: Vec<f64> = rows.iter().map(|r| r.parts.iter().sum()).collect();
    let max = totals.iter().copied().fold(0.0, f64::max).max(1e-9);
    let value_w = text_width(
        root,
        &style::quantity(max, prepared.decimals, &prepared.unit, lang),
        &row_style,
    );
    let palette = [
        c.series[0],
        c.series[5],
        c.series[3],
        c.series[4],
        c.series[1],
    ];
    // The stacks' legend: entries left to right from the bars' left edge, on as many rows as
    // the width needs.
    let legend = font(m.base * 0.95, c.text);
    let swatch = (m.base * 0.8) as i32;
    let row_h = (m.base * 1.6) as i32;
    let (plot_x, _) = plot.get_base_pixel();
    let right = plot_x + plot.dim_in_pixel().0 as i32;
    let mut places: Vec<(i32, i32)> = Vec::new();
    let (mut lx, mut row) = (plot_x + label_w + 10, 0);
    for name in stack_names {
        let w = swatch + 4 + text_width(root, name, &legend);
        if lx + w > right && lx > plot_x + label_w + 10 {
            row += 1;
            lx = plot_x + label_w + 10;
        }
        places.push((lx, row));
        lx += w + 14;
    }
    let legend_h = if stack_names.is_empty() {
        0
    } else {
        (row + 1) * row_h
    };
    let plot = plot.margin(legend_h, 0, 0, 0);
    let mut chart = ChartBuilder::on(&plot)
        .margin_right(value_w + 10)
        .x_label_area_size((m.base * 2.0) as i32)
        .y_label_area_size(label_w + 10)
        .build_cartesian_2d(0.0..max * 1.04, 0.0..n as f64)
        .map_err(err)?;
    {
        let label = font(m.base, c.muted);
        let decimals = prepared.decimals;
        let x_fmt = move |v: &f64| style::number(*v, decimals.min(1), lang);
        let mut mesh = chart.configure_mesh();
        mesh.disable_y_mesh()
            .disable_y_axis()
            .bold_line_style(c.grid)
            .light_line_style(TRANSPARENT)
            .axis_style(c.muted)
            .label_style(label)
            .x_labels(6)
            .x_label_formatter(&x_fmt);
        mesh.draw().map_err(err)?;
    }
    for (i, row) in rows.iter().enumerate() {
        // The first row at the top.
        let top = (n - i) as f64 - 0.12;
        let bottom = (n - i - 1) as f64 + 0.12;
        let mut x = 0.0;
        for (k, part) in row.parts.iter().enumerate() {
            let colour = if row.parts.len() > 1 {
                palette[k % palette.len()]
            } else {
                row.colour
            };
            let style = if row.hollow {
                ShapeStyle::from(&colour).stroke_width(2)
            } else {
                ShapeStyle::from(&colour).filled()
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, top), (x + part, bottom)],
                    style,
                )))
                .map_err(err)?;
            x += part;
        }
        if row.parts.len() > 1 && row.emphasis {
            // The asked geo's whole bar outlined.
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, top + 0.1), (x, bottom - 0.1)],
                    ShapeStyle::from(&c.text).stroke_width(2),
                )))
                .map_err(err)?;
        }
        let mid = chart.backend_coord(&(0.0, (top + bottom) / 2.0));
        let end = chart.backend_coord(&(x, (top + bottom) / 2.0));
        let label = if row.emphasis {
            format!("→ {}", row.label)
        } else {
            row.label.clone()
        };
        root.draw(&Text::new(
            label,
            (mid.0 - 6, mid.1),
            row_style.pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            style::quantity(x, prepared.decimals, &prepared.unit, lang),
            (end.0 + 4, end.1),
            font(size, if row.emphasis { c.text } else { c.muted })
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    if !stack_names.is_empty() {
        let (_, oy) = plot.get_base_pixel();
        for (k, (name, (x, row))) in stack_names.iter().zip(places).enumerate() {
            let y = oy - legend_h + row * row_h + row_h / 2;
            let s = swatch;
            root.draw(&Rectangle::new(
                [(x, y - s / 2), (x + s, y + s / 2)],
                ShapeStyle::from(&palette[k % palette.len()]).filled(),
            ))
            .map_err(err)?;
            root.draw(&Text::new(
                name.clone(),
                (x + s + 4, y),
                legend.pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

fn profile(
    root: &Area<'_>,
    plot: &Area<'_>,
    prepared: &Prepared,
    rows: &[super::prepare::ProfileRow],
    c: &Colours,
    m: Metrics,
) -> Result<(), ChartError> {
    let lang = prepared.lang;
    let n = rows.len().max(1);
    let row_style = font(m.base, c.text);
    let label_w = rows
        .iter()
        .map(|r| text_width(root, &r.title, &row_style))
        .max()
        .unwrap_or(0)
        .min(plot.dim_in_pixel().0 as i32 / 3);
    let indices = rows
        .iter()
        .flat_map(|r| r.marks.iter().map(|m| m.index))
        .chain([100.0]);
    let (lo, hi) = indices.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let pad = ((hi - lo) * 0.08).max(5.0);
    let (x0, x1) = ((lo - pad).max(0.0), hi + pad);
    let mut chart = ChartBuilder::on(plot)
        .margin_right(m.margin)
        .x_label_area_size((m.base * 2.0) as i32)
        .y_label_area_size(label_w + 10)
        .build_cartesian_2d(x0..x1, 0.0..n as f64)
        .map_err(err)?;
    {
        let label = font(m.base, c.muted);
        let x_fmt = move |v: &f64| style::number(*v, 0, lang);
        let mut mesh = chart.configure_mesh();
        mesh.disable_y_mesh()
            .disable_y_axis()
            .bold_line_style(c.grid)
            .light_line_style(TRANSPARENT)
            .axis_style(c.muted)
            .label_style(label)
            .x_labels(6)
            .x_label_formatter(&x_fmt);
        mesh.draw().map_err(err)?;
    }
    // The EU reference at 100.
    dash_pattern(
        &mut chart,
        (100.0, 0.0),
        (100.0, n as f64),
        c.series[2],
        2,
        Dash::Reference,
    )?;
    let eu_at = chart.backend_coord(&(100.0, n as f64));
    root.draw(&Text::new(
        format!("{} = 100", style::geo_name("EU27_2020", lang)),
        (eu_at.0 + 4, eu_at.1 + 2),
        font(m.base * 0.9, c.text).pos(Pos::new(HPos::Left, VPos::Top)),
    ))
    .map_err(err)?;
    let r = (m.base * 0.36).max(3.0) as i32;
    let light = blend(c.series[0], c.background, 0.3);
    for (i, row) in rows.iter().enumerate() {
        let centre = (n - i) as f64 - 0.5;
        let at = chart.backend_coord(&(x0, centre));
        root.draw(&Text::new(
            row.title.clone(),
            (at.0 - 6, at.1),
            row_style.pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        match row.mean {
            Some(mean) => {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [
                            (100.0_f64.min(mean), centre + 0.3),
                            (100.0_f64.max(mean), centre - 0.3),
                        ],
                        ShapeStyle::from(&light).filled(),
                    )))
                    .map_err(err)?;
                let end = chart.backend_coord(&(mean, centre + 0.3));
                root.draw(&Text::new(
                    style::number(mean, 0, lang),
                    (end.0, end.1 - 2),
                    font(m.base * 0.9, c.text).pos(Pos::new(HPos::Center, VPos::Bottom)),
                ))
                .map_err(err)?;
                for mark in &row.marks {
                    let uncertain = mark
                        .flags
                        .chars()
                        .any(|f| matches!(f, 'e' | 'p' | 'u' | 's'));
                    marker(
                        &mut chart,
                        (mark.index, centre),
                        c.series[0],
                        uncertain,
                        r,
                        c.background,
                    )?;
                }
            }
            None => {
                let x = chart.backend_coord(&(x0, centre));
                root.draw(&Text::new(
                    word(Word::NoData, lang),
                    (x.0 + 8, x.1),
                    font(m.base * 0.9, c.muted).pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err)?;
            }
        }
    }
    Ok(())
}

fn blend(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let mix = |x: u8, y: u8| (f64::from(x) * t + f64::from(y) * (1.0 - t)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Points along a polyline every `step` px, from its end back to its start.
fn along(line: &[(f64, f64)], step: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for w in line.windows(2).rev() {
        let (a, b) = (w[0], w[1]);
        let n = ((b.0 - a.0).hypot(b.1 - a.1) / step).ceil().max(1.0);
        for i in 0..n as usize {
            let t = 1.0 - i as f64 / n;
            out.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
        }
    }
    out.extend(line.first().copied());
    out
}

/// The point of `line` nearest to the box `b`, of its points every 2 px (the one nearest its
/// end of those as near).
fn nearest_on(line: &[(f64, f64)], b: &Boxed) -> (f64, f64) {
    along(line, 2.0)
        .into_iter()
        .map(|p| {
            let q = b.nearest(p);
            (p, (q.0 - p.0).hypot(q.1 - p.1))
        })
        .fold(((0.0, 0.0), f64::INFINITY), |best, x| {
            if x.1 < best.1 - 1e-9 { x } else { best }
        })
        .0
}

fn trajectory(
    root: &Area<'_>,
    plot: &Area<'_>,
    prepared: &Prepared,
    t: &Trajectory,
    c: &Colours,
    m: Metrics,
) -> Result<(), ChartError> {
    let lang = prepared.lang;
    let years: Vec<i32> = t
        .history
        .iter()
        .filter(|p| p.value.is_some())
        .map(|p| p.year)
        .chain([t.target.0])
        .chain(
            t.published
                .iter()
                .flat_map(|p| p.points.iter().map(|q| q.0)),
        )
        .collect();
    let (y0, y1) = (
        *years.iter().min().unwrap_or(&2020),
        *years.iter().max().unwrap_or(&2030),
    );
    let values = t
        .history
        .iter()
        .filter_map(|p| p.value)
        .chain([t.target.1])
        .chain(t.trend.iter().flat_map(|s| [s[0].1, s[1].1]))
        .chain(
            t.published
                .iter()
                .flat_map(|p| p.points.iter().map(|q| q.1)),
        );
    let (v0, v1) = value_range(values);
    let span = (y1 - y0).max(1);
    let mut chart = ChartBuilder::on(plot)
        .margin_right(m.margin * 2)
        .x_label_area_size((m.base * 2.0) as i32)
        .y_label_area_size((m.base * 3.6) as i32)
        .build_cartesian_2d(f64::from(y0) - 0.5..f64::from(y1) + 0.8, v0..v1)
        .map_err(err)?;
    let step = (span as usize).div_ceil(10).max(1);
    mesh(
        &mut chart,
        c,
        m,
        lang,
        prepared.decimals,
        Some(span as usize / step + 1),
    )?;
    let r = (m.base * 0.36).max(3.0) as i32;
    // Each line its own colour and dash (never colour alone): desi-city's trajectory solid and
    // its path dashed, the Commission's trajectory dotted and its path dash-dotted.
    let history = c.series[0];
    let trend = c.series[0];
    let required = c.series[1];
    let commission = |line: CommissionLine| match line {
        CommissionLine::Trajectory => (c.series[3], Dash::Dotted),
        CommissionLine::Path => (c.series[4], Dash::LongShort),
    };
    let px = |chart: &Chart2d<'_, '_>, (year, v): (i32, f64)| {
        let p = chart.backend_coord(&(f64::from(year), v));
        (f64::from(p.0), f64::from(p.1))
    };
    // Labels keep clear of the lines, the markers and each other, inside the plot.
    let (left, top) = chart.backend_coord(&(f64::from(y0) - 0.5, v1));
    let (right, bottom) = chart.backend_coord(&(f64::from(y1) + 0.8, v0));
    let mut placer = Placer::new(
        Boxed {
            l: f64::from(left),
            t: f64::from(top),
            r: f64::from(right),
            b: f64::from(bottom),
        },
        3.0,
    );
    for p in &t.published {
        let (colour, dash) = commission(p.line);
        for w in p.points.windows(2) {
            dash_pattern(
                &mut chart,
                (f64::from(w[0].0), w[0].1),
                (f64::from(w[1].0), w[1].1),
                colour,
                2,
                dash,
            )?;
        }
        let points: Vec<(f64, f64)> = p.points.iter().map(|q| px(&chart, *q)).collect();
        placer.line(&points);
    }
    if let Some([a, b]) = t.required {
        dashed(
            &mut chart,
            (f64::from(a.0), a.1),
            (f64::from(b.0), b.1),
            required,
            2,
        )?;
        placer.line(&[px(&chart, a), px(&chart, b)]);
    }
    if let Some([a, b]) = t.trend {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(f64::from(a.0), a.1), (f64::from(b.0), b.1)],
                ShapeStyle::from(&trend).stroke_width(2),
            )))
            .map_err(err)?;
        placer.line(&[px(&chart, a), px(&chart, b)]);
    }
    for p in &t.history {
        if let Some(v) = p.value {
            marker(
                &mut chart,
                (f64::from(p.year), v),
                history,
                p.uncertain(),
                r,
                c.background,
            )?;
            placer.block(Boxed::around(px(&chart, (p.year, v)), f64::from(r)));
        }
    }
    // The target: a square.
    let target_at = px(&chart, t.target);
    let s = r + 2;
    let at = (target_at.0 as i32, target_at.1 as i32);
    root.draw(&Rectangle::new(
        [(at.0 - s, at.1 - s), (at.0 + s, at.1 + s)],
        ShapeStyle::from(&required).filled(),
    ))
    .map_err(err)?;
    placer.block(Boxed::around(target_at, f64::from(s)));

    // The legend: what each mark and line is, in a corner of the plot clear of the lines.
    let legend = font(m.base * 0.88, c.text);
    // What each entry shows: a marker (None), or a line in a colour, solid or dashed.
    type Sample = Option<(RGBColor, Option<Dash>)>;
    let mut entries: Vec<(String, Sample)> = vec![
        (word(Word::History, lang).to_owned(), None),
        (word(Word::Trend, lang).to_owned(), Some((trend, None))),
        (
            word(Word::Required, lang).to_owned(),
            Some((required, Some(Dash::Dashed))),
        ),
    ];
    for p in &t.published {
        let (colour, dash) = commission(p.line);
        entries.push((p.label.clone(), Some((colour, Some(dash)))));
    }
    let lh = (m.base * 1.25).round();
    let sample = 24.0;
    let legend_w = sample
        + 6.0
        + entries
            .iter()
            .map(|e| f64::from(text_width(root, &e.0, &legend)))
            .fold(0.0, f64::max);
    let legend_h = lh * entries.len() as f64;
    let area = placer.bounds();
    let inset = 8.0;
    let corners = [
        (area.l + inset, area.t + inset),
        (area.r - inset - legend_w, area.b - inset - legend_h),
        (area.r - inset - legend_w, area.t + inset),
        (area.l + inset, area.b - inset - legend_h),
    ];
    let spot = placer
        .first_free(&corners, legend_w, legend_h)
        .unwrap_or_else(|| Boxed::new(corners[0].0, corners[0].1, legend_w, legend_h));
    for (k, (label, kind)) in entries.into_iter().enumerate() {
        let y = (spot.t + lh * (k as f64 + 0.5)) as i32;
        let x = spot.l as i32;
        match kind {
            None => {
                root.draw(&Circle::new(
                    (x + sample as i32 / 2, y),
                    r,
                    ShapeStyle::from(&history).filled(),
                ))
                .map_err(err)?;
            }
            Some((colour, dash)) => {
                let paint = match dash {
                    Some(d) => ShapeStyle::from(&dash_colour(colour, d)),
                    None => ShapeStyle::from(&colour),
                };
                root.draw(&PathElement::new(
                    vec![(x, y), (x + sample as i32, y)],
                    paint.stroke_width(2),
                ))
                .map_err(err)?;
            }
        }
        root.draw(&Text::new(
            label,
            (x + sample as i32 + 6, y),
            legend.pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }

    // The labels, each where it touches nothing: the target's year and value, where the trend
    // reaches the target, and each Commission line named along it.
    let small = font(m.base * 0.92, c.text);
    let text_h = (m.base * 0.92).ceil();
    let near = [3.0, 8.0, 16.0, 28.0, 44.0];
    let label = |placer: &mut Placer,
                 text: String,
                 anchors: &[(f64, f64)],
                 sides: &[Side],
                 gaps: &[f64],
                 lead: Option<(RGBColor, Dash)>|
     -> Result<Boxed, ChartError> {
        let lead_w = if lead.is_some() { sample + 4.0 } else { 0.0 };
        let w = f64::from(text_width(root, &text, &small)) + lead_w;
        let b = placer.place_or_first(anchors, sides, gaps, w, text_h);
        if let Some((colour, dash)) = lead {
            let y = ((b.t + b.b) / 2.0) as i32;
            root.draw(&PathElement::new(
                vec![(b.l as i32, y), ((b.l + sample) as i32, y)],
                ShapeStyle::from(&dash_colour(colour, dash)).stroke_width(2),
            ))
            .map_err(err)?;
        }
        root.draw(&Text::new(
            text,
            ((b.l + lead_w) as i32, b.t as i32),
            small.pos(Pos::new(HPos::Left, VPos::Top)),
        ))
        .map_err(err)?;
        Ok(b)
    };
    let target_text = format!(
        "{} {}{} {}",
        word(Word::Target, lang),
        t.target.0,
        super::prepare::colon(lang),
        style::quantity(t.target.1, prepared.decimals, &prepared.unit, lang)
    );
    label(
        &mut placer,
        target_text,
        &[target_at],
        &Side::from(Side::AboveLeft),
        &near,
        None,
    )?;
    if let Some([_, end]) = t.trend {
        let text = match t.projected_year {
            Some(y) => format!("{} {y}", word(Word::Projected, lang)),
            None => word(Word::NotReached, lang).to_owned(),
        };
        label(
            &mut placer,
            text,
            &[px(&chart, end)],
            &Side::from(Side::BelowRight),
            &near,
            None,
        )?;
    }
    // Each Commission line named at its end, the label moved off it only as far as it must go,
    // nearest first; where nothing near the end is free (the target's label is there), just off
    // the line, from its end back; else further from the end. A label more than `LEADER` px from
    // its line gets a thin line from the line's nearest point to it.
    const LEADER: f64 = 12.0;
    let further = [3.0, 6.0, 10.0, 16.0, 24.0, 34.0, 46.0, 60.0, 80.0];
    // Ending where the line ends first (the lines end at the plot's right edge), then around.
    let mut ends = vec![Side::AboveEnd, Side::BelowEnd];
    ends.extend(Side::from(Side::AboveLeft));
    for p in &t.published {
        let line: Vec<(f64, f64)> = p.points.iter().map(|q| px(&chart, *q)).collect();
        let Some(&end) = line.last() else {
            continue;
        };
        let (colour, dash) = commission(p.line);
        let lead_w = sample + 4.0;
        // As wide as drawn: plotters' SVG writes the font size divided by 1.24 (the other labels
        // are placed with the undivided, wider measure), so the label ends where its line does.
        let w = style::text_width(&p.label, small.font.get_size() / 1.24).ceil() + lead_w;
        let b = placer
            .place(&[end], &ends, &further, w, text_h)
            .or_else(|| placer.place(&along(&line, 6.0), &ends, &[3.0, 6.0, 8.0], w, text_h))
            .unwrap_or_else(|| {
                placer.place_or_first(&[end], &ends, &[104.0, 132.0, 160.0], w, text_h)
            });
        root.draw(&PathElement::new(
            vec![
                (b.l as i32, ((b.t + b.b) / 2.0) as i32),
                ((b.l + sample) as i32, ((b.t + b.b) / 2.0) as i32),
            ],
            ShapeStyle::from(&dash_colour(colour, dash)).stroke_width(2),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            p.label.clone(),
            ((b.l + lead_w) as i32, b.t as i32),
            small.pos(Pos::new(HPos::Left, VPos::Top)),
        ))
        .map_err(err)?;
        let from = nearest_on(&line, &b);
        let nearest = b.nearest(from);
        let (dx, dy) = (nearest.0 - from.0, nearest.1 - from.1);
        let far = dx.hypot(dy);
        if far > LEADER {
            // From the line's end to 2 px short of the label.
            let stop = (nearest.0 - dx / far * 2.0, nearest.1 - dy / far * 2.0);
            root.draw(&PathElement::new(
                vec![
                    (from.0.round() as i32, from.1.round() as i32),
                    (stop.0.round() as i32, stop.1.round() as i32),
                ],
                ShapeStyle::from(&colour).stroke_width(1),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}
