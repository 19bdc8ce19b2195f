//! One-pixel anti-aliased lines in one opaque colour, drawn as tiny-skia draws a hairline
//! (Skia's anti-hairline: the ends in 26.6 fixed point, one step per pixel along the line's
//! major axis in 16.16, each step's colour shared by the two pixels across the line by its
//! distance to them, butt ends cut by the part of the end pixel covered, every segment of a
//! polyline blended on its own) and blended as tiny-skia's pipeline blends an opaque colour
//! through a coverage (`(d·(255 − c) + s·c + 255) >> 8`), straight into the pixels: the same
//! pixels, without the raster pipeline tiny-skia runs for every one or two of them (some 3,300
//! instructions per segment of a map's borders). Lines that come within two pixels of the
//! pixmap's edge, or a colour that is not opaque, are left to tiny-skia, which clips and blends
//! any colour. Must not know what a chart is: points in, pixels out.

use resvg::tiny_skia::{self, Paint, PathBuilder, Pixmap, Stroke, Transform};

/// Strokes each polyline of `lines` (points, and where each polyline starts in them) one pixel
/// wide in `colour`, anti-aliased, butt ends: what `Pixmap::stroke_path` paints for them.
pub(super) fn stroke(
    pixmap: &mut Pixmap,
    points: &[(f32, f32)],
    starts: &[usize],
    colour: tiny_skia::Color,
) {
    let (w, h) = (pixmap.width() as f32, pixmap.height() as f32);
    let inside = points
        .iter()
        .all(|&(x, y)| (2.0..=w - 2.0).contains(&x) && (2.0..=h - 2.0).contains(&y));
    if !inside || !colour.is_opaque() {
        by_tiny_skia(pixmap, points, starts, colour);
        return;
    }
    let c = colour.premultiply().to_color_u8();
    let mut lines = Lines {
        pixels: pixmap.data_mut(),
        width: w as usize,
        rgba: [c.red(), c.green(), c.blue(), c.alpha()],
    };
    for (k, start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(points.len());
        for pair in points[*start..end].windows(2) {
            let [(x0, y0), (x1, y1)] = [pair[0], pair[1]];
            lines.segment(dot6(x0), dot6(y0), dot6(x1), dot6(y1));
        }
    }
}

/// The polylines stroked by tiny-skia itself.
fn by_tiny_skia(pixmap: &mut Pixmap, points: &[(f32, f32)], starts: &[usize], c: tiny_skia::Color) {
    let mut path = PathBuilder::new();
    for (k, start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(points.len());
        for (j, (x, y)) in points[*start..end].iter().enumerate() {
            if j == 0 {
                path.move_to(*x, *y);
            } else {
                path.line_to(*x, *y);
            }
        }
    }
    let Some(path) = path.finish() else {
        return;
    };
    let mut paint = Paint {
        anti_alias: true,
        ..Default::default()
    };
    paint.set_color(c);
    let stroke = Stroke {
        width: 1.0,
        ..Default::default()
    };
    pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
}

/// 26.6 fixed point, as tiny-skia converts a point (truncated).
fn dot6(v: f32) -> i32 {
    (v * 64.0) as i32
}

const HALF: i32 = 1 << 15;

/// How the steps of a segment are laid: along x (one column per step, two pixels of it) or
/// along y (one row per step, two pixels of it); straight or not.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    HLine,
    Horish,
    VLine,
    Vertish,
}

/// The pixels lines are blended into (premultiplied RGBA, `width` a row), and the colour.
struct Lines<'a> {
    pixels: &'a mut [u8],
    width: usize,
    rgba: [u8; 4],
}

impl Lines<'_> {
    /// Blends the colour into pixel `(x, y)` through coverage `c`, as tiny-skia's lowp
    /// pipeline does for an opaque colour (`Source`, then a lerp by the coverage).
    fn blend(&mut self, x: u32, y: u32, c: u8) {
        if c == 0 {
            return;
        }
        let at = (y as usize * self.width + x as usize) * 4;
        let c = u32::from(c);
        for (d, s) in self.pixels[at..at + 4].iter_mut().zip(self.rgba) {
            *d = ((u32::from(*d) * (255 - c) + u32::from(s) * c + 255) >> 8) as u8;
        }
    }

    /// One segment between two points in 26.6 fixed point, within the pixmap less two pixels
    /// (tiny-skia's `do_anti_hairline` without its clipping).
    fn segment(&mut self, mut x0: i32, mut y0: i32, mut x1: i32, mut y1: i32) {
        if (x1 - x0).abs() > 511 * 64 || (y1 - y0).abs() > 511 * 64 {
            // As tiny-skia halves a long segment (its slope would overflow).
            let (hx, hy) = ((x0 >> 1) + (x1 >> 1), (y0 >> 1) + (y1 >> 1));
            self.segment(x0, y0, hx, hy);
            self.segment(hx, hy, x1, y1);
            return;
        }
        let (istart, istop, mut fstart, slope, kind, scale_start, scale_stop);
        if (x1 - x0).abs() > (y1 - y0).abs() {
            if x0 > x1 {
                std::mem::swap(&mut x0, &mut x1);
                std::mem::swap(&mut y0, &mut y1);
            }
            istart = x0 >> 6;
            istop = (x1 + 63) >> 6;
            fstart = y0 << 10;
            if y0 == y1 {
                slope = 0;
                kind = Kind::HLine;
            } else {
                slope = ((y1 - y0) << 16) / (x1 - x0);
                fstart += (slope * (32 - (x0 & 63)) + 32) >> 6;
                kind = Kind::Horish;
            }
            (scale_start, scale_stop) = if istop - istart == 1 {
                (x1 - x0, 0)
            } else {
                (64 - (x0 & 63), x1 & 63)
            };
        } else {
            if y0 > y1 {
                std::mem::swap(&mut x0, &mut x1);
                std::mem::swap(&mut y0, &mut y1);
            }
            istart = y0 >> 6;
            istop = (y1 + 63) >> 6;
            fstart = x0 << 10;
            if x0 == x1 {
                if y0 == y1 {
                    return;
                }
                slope = 0;
                kind = Kind::VLine;
            } else {
                slope = ((x1 - x0) << 16) / (y1 - y0);
                fstart += (slope * (32 - (y0 & 63)) + 32) >> 6;
                kind = Kind::Vertish;
            }
            (scale_start, scale_stop) = if istop - istart == 1 {
                (y1 - y0, 0)
            } else {
                (64 - (y0 & 63), y1 & 63)
            };
        }
        let (istart, istop) = (istart as u32, istop as u32);
        let mut f = self.cap(kind, istart, fstart, slope, scale_start);
        let from = istart + 1;
        let full = istop - from - u32::from(scale_stop > 0);
        if full > 0 {
            f = self.line(kind, from, from + full, f, slope);
        }
        if scale_stop > 0 {
            self.cap(kind, istop - 1, f, slope, scale_stop);
        }
    }

    /// The end step at `i` covering `mod64` 64ths of its pixel; returns the next step's position.
    fn cap(&mut self, kind: Kind, i: u32, f: i32, slope: i32, mod64: i32) -> i32 {
        let f = (f + HALF).max(0);
        let (across, a) = ((f >> 16) as u32, ((f >> 8) & 0xFF) as u8);
        let (near, far) = (small_scale(a, mod64), small_scale(255 - a, mod64));
        match kind {
            Kind::HLine | Kind::Horish => {
                if kind == Kind::HLine {
                    self.blend(i, across, near);
                    if across >= 1 {
                        self.blend(i, across - 1, far);
                    }
                } else {
                    let top = across.max(1) - 1;
                    self.blend(i, top, far);
                    self.blend(i, top + 1, near);
                }
            }
            Kind::VLine | Kind::Vertish => {
                if kind == Kind::VLine {
                    self.blend(across, i, near);
                    self.blend(across.max(1) - 1, i, far);
                } else {
                    let left = across.max(1) - 1;
                    self.blend(left, i, far);
                    self.blend(left + 1, i, near);
                }
            }
        }
        f + slope - HALF
    }

    /// The whole steps from `i` to `stop`; returns the next step's position.
    fn line(&mut self, kind: Kind, i: u32, stop: u32, f: i32, slope: i32) -> i32 {
        let mut f = f + HALF;
        for i in i..stop {
            f = f.max(0);
            let (across, a) = ((f >> 16) as u32, ((f >> 8) & 0xFF) as u8);
            match kind {
                Kind::HLine => {
                    self.blend(i, across, a);
                    if across >= 1 {
                        self.blend(i, across - 1, 255 - a);
                    }
                }
                Kind::Horish => {
                    let top = across.max(1) - 1;
                    self.blend(i, top, 255 - a);
                    self.blend(i, top + 1, a);
                }
                Kind::VLine => {
                    self.blend(across, i, a);
                    self.blend(across.max(1) - 1, i, 255 - a);
                }
                Kind::Vertish => {
                    let left = across.max(1) - 1;
                    self.blend(left, i, 255 - a);
                    self.blend(left + 1, i, a);
                }
            }
            f += slope;
        }
        f - HALF
    }
}

/// `value · dot6 / 64`, as tiny-skia scales an end pixel's coverage.
fn small_scale(value: u8, dot6: i32) -> u8 {
    ((i32::from(value) * dot6) >> 6) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canvas() -> Pixmap {
        let mut p = Pixmap::new(160, 120).expect("size");
        p.fill(tiny_skia::Color::from_rgba8(0x2C, 0x7F, 0xB8, 255));
        p
    }

    /// Lines of every slope, direction, length and sub-pixel position, and polylines whose
    /// segments meet: pixel for pixel what tiny-skia strokes.
    #[test]
    fn lines_are_the_pixels_tiny_skia_strokes() {
        let mut points = Vec::new();
        let mut starts = Vec::new();
        let mut seed = 7u32;
        let mut next = |span: f32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 8) as f32 / (1 << 24) as f32 * span
        };
        for k in 0..300 {
            starts.push(points.len());
            let n = 2 + k % 4;
            for _ in 0..n {
                let (x, y) = (2.0 + next(156.0), 2.0 + next(116.0));
                // Whole pixels (a map's borders), half pixels and any position.
                let (x, y) = match k % 3 {
                    0 => (x.round(), y.round()),
                    1 => ((x * 2.0).round() / 2.0, (y * 2.0).round() / 2.0),
                    _ => (x, y),
                };
                points.push((x.clamp(2.0, 158.0), y.clamp(2.0, 118.0)));
            }
        }
        // Straight ones, short ones, a point.
        for (a, b) in [
            ((10.0, 10.0), (150.0, 10.0)),
            ((10.0, 20.5), (150.0, 20.5)),
            ((30.0, 5.0), (30.0, 110.0)),
            ((40.25, 5.0), (40.25, 110.0)),
            ((50.0, 50.0), (50.4, 50.2)),
            ((60.0, 60.0), (60.0, 60.0)),
            ((70.0, 70.0), (71.0, 73.0)),
        ] {
            starts.push(points.len());
            points.extend([a, b]);
        }
        let colours = [
            tiny_skia::Color::from_rgba8(255, 255, 255, 255),
            tiny_skia::Color::from_rgba8(0x1A, 0x1A, 0x1A, 255),
            tiny_skia::Color::from_rgba8(0x12, 0x80, 0x40, 128),
        ];
        for colour in colours {
            let (mut ours, mut theirs) = (canvas(), canvas());
            stroke(&mut ours, &points, &starts, colour);
            by_tiny_skia(&mut theirs, &points, &starts, colour);
            let off = ours
                .data()
                .iter()
                .zip(theirs.data())
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(off, 0, "{off} bytes differ in {colour:?}");
        }
    }

    #[test]
    fn a_line_near_the_edge_is_clipped_by_tiny_skia() {
        let (mut ours, mut theirs) = (canvas(), canvas());
        let points = [(-5.0, 3.0), (80.0, 0.5), (170.0, 119.5)];
        let white = tiny_skia::Color::WHITE;
        stroke(&mut ours, &points, &[0], white);
        by_tiny_skia(&mut theirs, &points, &[0], white);
        assert_eq!(ours.data(), theirs.data());
        assert_ne!(ours.data(), canvas().data(), "something was drawn");
    }
}
