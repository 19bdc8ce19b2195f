//! The anti-aliased coverage of a set of straight edges under the non-zero rule, as spans of
//! one coverage a row: each edge leaves on every pixel cell it crosses how far it runs down the
//! cell (its cover) and the area it leaves to its left (FreeType's "gray" rasterizer, whose line
//! walk this takes from zeno's port of it, in 24.8 fixed point); only those cells are kept, put
//! in row order by counting and sorted by column within a row, then swept left to right: a
//! crossed cell's coverage is exact from its area, and the pixels between two crossed cells are
//! one span of the winding so far. Where tiny-skia supersamples 4 × 4 and blits every
//! sub-scanline, this does work in proportion to the edges' length plus a call per span, and a
//! pixel inside is covered exactly (255), one outside not at all (no call). The edges need not
//! be chained into closed loops: any set of edges that closes (each point left as often as
//! reached) winds as its loops would. Must not know what a chart is: edges in, spans out.

/// A point, pixels.
pub(super) type Point = (f32, f32);

/// The buffers of the cells, kept from one fill to the next.
#[derive(Default)]
pub(super) struct Cells {
    /// As the edges leave them.
    cells: Vec<Cell>,
    /// By row, then by column within a row.
    sorted: Vec<Cell>,
    /// Where each row of the window starts in `sorted`, and the end.
    rows: Vec<u32>,
}

#[derive(Clone, Copy, Default)]
struct Cell {
    x: i32,
    y: i32,
    /// How far the edges run down the cell, 256ths of a pixel, signed by their direction.
    cover: i32,
    /// The edges' cover weighted by where they cross (twice the area to their left, 65536ths).
    area: i32,
}

const BITS: i32 = 8;
const ONE: i32 = 1 << BITS;

fn trunc(v: i32) -> i32 {
    v >> BITS
}

fn fract(v: i32) -> i32 {
    v & (ONE - 1)
}

/// The coverage (of 255, rounded) of an accumulated area (a whole pixel `2 · 256 · 256`),
/// non-zero: any winding is full.
fn coverage(area: i32) -> u8 {
    const FULL: u32 = (ONE * ONE * 2) as u32;
    ((area.unsigned_abs().min(FULL) * 255 + FULL / 2) / FULL) as u8
}

impl Cells {
    /// Calls `span(y, x0, x1, coverage)` for each run of pixels `x0..x1` of row `y` that
    /// `edges` cover, within a `width` × `height` pixmap, coverage above 0, rows top down and
    /// left to right in a row.
    pub(super) fn fill(
        &mut self,
        edges: &[(Point, Point)],
        width: u32,
        height: u32,
        mut span: impl FnMut(usize, usize, usize, u8),
    ) {
        let Some(window) = Window::of(edges, width, height) else {
            return;
        };
        self.cells.clear();
        let mut walk = Walk {
            cells: &mut self.cells,
            window,
            // No cell yet.
            x: i32::MIN,
            y: i32::MIN,
            cover: 0,
            area: 0,
            invalid: true,
            px: 0,
            py: 0,
        };
        if window.whole {
            for &(a, b) in edges {
                walk.edge(a, b);
            }
        } else {
            for &(a, b) in edges {
                window.clip(a, b, |a, b| walk.edge(a, b));
            }
        }
        walk.set_cell(window.xmin - 1, window.ymin - 1);
        // The cells in row order by counting, then each row by column.
        let rows = (window.ymax - window.ymin) as usize;
        self.rows.clear();
        self.rows.resize(rows + 1, 0);
        for c in &self.cells {
            self.rows[(c.y - window.ymin) as usize + 1] += 1;
        }
        for i in 0..rows {
            self.rows[i + 1] += self.rows[i];
        }
        self.sorted.clear();
        self.sorted.resize(self.cells.len(), Cell::default());
        {
            // Each row's next free place, then back to where the rows start.
            let next = &mut self.rows;
            for c in &self.cells {
                let r = (c.y - window.ymin) as usize;
                self.sorted[next[r] as usize] = *c;
                next[r] += 1;
            }
            for i in (1..=rows).rev() {
                next[i] = next[i - 1];
            }
            next[0] = 0;
        }
        for r in 0..rows {
            let (from, to) = (self.rows[r] as usize, self.rows[r + 1] as usize);
            if from == to {
                continue;
            }
            let row = &mut self.sorted[from..to];
            row.sort_unstable_by_key(|c| c.x);
            let y = (window.ymin + r as i32) as usize;
            let mut cover = 0;
            let mut x = window.xmin;
            let mut i = 0;
            while i < row.len() {
                let cx = row[i].x;
                let (mut c, mut a) = (0, 0);
                while i < row.len() && row[i].x == cx {
                    c += row[i].cover;
                    a += row[i].area;
                    i += 1;
                }
                if cover != 0 && cx > x {
                    let v = coverage(cover);
                    if v > 0 {
                        span(y, x as usize, cx as usize, v);
                    }
                }
                cover += c * (ONE * 2);
                if cx >= window.xmin {
                    let v = coverage(cover - a);
                    if v > 0 {
                        span(y, cx as usize, cx as usize + 1, v);
                    }
                }
                x = cx + 1;
            }
            if cover != 0 && x < window.xmax {
                let v = coverage(cover);
                if v > 0 {
                    span(y, x as usize, window.xmax as usize, v);
                }
            }
        }
    }
}

/// The pixels an edge can cover: the edges' bounds within the pixmap.
#[derive(Clone, Copy)]
struct Window {
    xmin: i32,
    ymin: i32,
    xmax: i32,
    ymax: i32,
    /// Whether the edges lie wholly inside the pixmap (none is clipped).
    whole: bool,
}

impl Window {
    /// `None` when nothing is to be filled: no edges, none over the pixmap, or a point that is
    /// not finite (then nothing is filled, as tiny-skia makes no path of such points).
    fn of(edges: &[(Point, Point)], width: u32, height: u32) -> Option<Window> {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        let mut finite = true;
        for &(a, b) in edges {
            finite &= a.0.is_finite() & a.1.is_finite() & b.0.is_finite() & b.1.is_finite();
            x0 = x0.min(a.0).min(b.0);
            x1 = x1.max(a.0).max(b.0);
            y0 = y0.min(a.1).min(b.1);
            y1 = y1.max(a.1).max(b.1);
        }
        if !(finite && x0 <= x1 && y0 <= y1) {
            return None;
        }
        let (w, h) = (width.min(1 << 20) as f32, height.min(1 << 20) as f32);
        let whole = x0 >= 0.0 && y0 >= 0.0 && x1 <= w && y1 <= h;
        let window = Window {
            xmin: x0.floor().clamp(0.0, w) as i32,
            ymin: y0.floor().clamp(0.0, h) as i32,
            xmax: (x1.ceil() + 1.0).clamp(0.0, w) as i32,
            ymax: (y1.ceil() + 1.0).clamp(0.0, h) as i32,
            whole,
        };
        (window.xmin < window.xmax && window.ymin < window.ymax).then_some(window)
    }

    /// The part of the edge `a`–`b` within the window's rows, its parts left of the window
    /// moved onto its left side (they cover the whole row to their right alike) and its parts
    /// right of it onto its right side (they cover nothing in it), to `out`.
    fn clip(&self, a: Point, b: Point, mut out: impl FnMut(Point, Point)) {
        let (top, bottom) = (self.ymin as f32, self.ymax as f32);
        // Cut top down, then handed out in the edge's own direction (its winding).
        let down = a.1 <= b.1;
        let (a, b) = if down { (a, b) } else { (b, a) };
        if b.1 <= top || a.1 >= bottom || a.1 == b.1 {
            return;
        }
        // The fraction of the way first: no product of two far coordinates to overflow.
        let at_y = |p: Point, q: Point, y: f32| (p.0 + (q.0 - p.0) * ((y - p.1) / (q.1 - p.1)), y);
        let (a, b) = (
            if a.1 < top { at_y(a, b, top) } else { a },
            if b.1 > bottom { at_y(a, b, bottom) } else { b },
        );
        let (left, right) = ((self.xmin - 1) as f32, (self.xmax + 1) as f32);
        let at_x = |p: Point, q: Point, x: f32| (x, p.1 + (q.1 - p.1) * ((x - p.0) / (q.0 - p.0)));
        // Cut where it crosses the two sides (in its order along the edge), each piece then
        // pressed into [left, right].
        let mut cuts = [a; 4];
        let mut n = 1;
        let sides = if a.0 <= b.0 {
            [left, right]
        } else {
            [right, left]
        };
        for x in sides {
            if (a.0 - x) * (b.0 - x) < 0.0 {
                cuts[n] = at_x(a, b, x);
                n += 1;
            }
        }
        cuts[n] = b;
        let press = |p: Point| (p.0.clamp(left, right), p.1);
        for k in 0..n {
            let (p, q) = (press(cuts[k]), press(cuts[k + 1]));
            if down { out(p, q) } else { out(q, p) }
        }
    }
}

/// The line walk over the cells (zeno's `Rasterizer::line_to`, FreeType's `gray_render_line`),
/// the cell being accumulated kept until the walk leaves it.
struct Walk<'a> {
    cells: &'a mut Vec<Cell>,
    window: Window,
    x: i32,
    y: i32,
    cover: i32,
    area: i32,
    /// Whether the current cell is outside the window (its cover and area are dropped).
    invalid: bool,
    px: i32,
    py: i32,
}

/// The longest edge walked in one piece, pixels across or down: its products (`dx · 256 · 256`)
/// stay within 32 bits.
const LONGEST: f32 = 8192.0;

/// `v` in 24.8 fixed point, rounded (half up): without the libm call `f32::round` is here.
fn fixed(v: f32) -> i32 {
    let t = v * ONE as f32 + 0.5;
    let i = t as i32;
    i - i32::from(i as f32 > t)
}

impl Walk<'_> {
    fn set_cell(&mut self, x: i32, y: i32) {
        let x = x.max(self.window.xmin - 1);
        if x == self.x && y == self.y {
            return;
        }
        if !self.invalid && (self.area != 0 || self.cover != 0) {
            self.cells.push(Cell {
                x: self.x,
                y: self.y,
                cover: self.cover,
                area: self.area,
            });
        }
        self.area = 0;
        self.cover = 0;
        self.x = x;
        self.y = y;
        self.invalid = y >= self.window.ymax || y < self.window.ymin || x >= self.window.xmax;
    }

    fn edge(&mut self, a: Point, b: Point) {
        if (b.0 - a.0).abs() > LONGEST || (b.1 - a.1).abs() > LONGEST {
            // Halved until the walk's products fit in 32 bits.
            let half = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
            self.edge(a, half);
            self.edge(half, b);
            return;
        }
        let (ax, ay) = (fixed(a.0), fixed(a.1));
        self.set_cell(trunc(ax), trunc(ay));
        self.px = ax;
        self.py = ay;
        self.line_to(fixed(b.0), fixed(b.1));
    }

    fn line_to(&mut self, to_x: i32, to_y: i32) {
        let mut ey1 = trunc(self.py);
        let ey2 = trunc(to_y);
        let (ymin, ymax) = (self.window.ymin, self.window.ymax);
        if (ey1 >= ymax && ey2 >= ymax) || (ey1 < ymin && ey2 < ymin) {
            self.px = to_x;
            self.py = to_y;
            return;
        }
        let mut ex1 = trunc(self.px);
        let ex2 = trunc(to_x);
        let mut fx1 = fract(self.px);
        let mut fy1 = fract(self.py);
        let dx = to_x - self.px;
        let dy = to_y - self.py;
        if ex1 == ex2 && ey1 == ey2 {
            // Within one cell.
        } else if dy == 0 {
            self.set_cell(ex2, ey2);
            self.px = to_x;
            self.py = to_y;
            return;
        } else if dx == 0 {
            if dy > 0 {
                loop {
                    self.cover += ONE - fy1;
                    self.area += (ONE - fy1) * fx1 * 2;
                    fy1 = 0;
                    ey1 += 1;
                    self.set_cell(ex1, ey1);
                    if ey1 == ey2 {
                        break;
                    }
                }
            } else {
                loop {
                    self.cover -= fy1;
                    self.area -= fy1 * fx1 * 2;
                    fy1 = ONE;
                    ey1 -= 1;
                    self.set_cell(ex1, ey1);
                    if ey1 == ey2 {
                        break;
                    }
                }
            }
        } else {
            let mut prod = dx * fy1 - dy * fx1;
            let dx_r = if ex1 != ex2 { 0x00FF_FFFF / dx } else { 0 };
            let dy_r = if ey1 != ey2 { 0x00FF_FFFF / dy } else { 0 };
            let udiv = |a: i32, b: i32| ((a as u64 * b as u64) >> (32 - BITS)) as i32;
            loop {
                if prod <= 0 && prod - dx * ONE > 0 {
                    // Out through the left side.
                    let fx2 = 0;
                    let fy2 = udiv(-prod, -dx_r);
                    prod -= dy * ONE;
                    self.cover += fy2 - fy1;
                    self.area += (fy2 - fy1) * (fx1 + fx2);
                    fx1 = ONE;
                    fy1 = fy2;
                    ex1 -= 1;
                } else if prod - dx * ONE <= 0 && prod - dx * ONE + dy * ONE > 0 {
                    // Out through the bottom.
                    prod -= dx * ONE;
                    let fx2 = udiv(-prod, dy_r);
                    let fy2 = ONE;
                    self.cover += fy2 - fy1;
                    self.area += (fy2 - fy1) * (fx1 + fx2);
                    fx1 = fx2;
                    fy1 = 0;
                    ey1 += 1;
                } else if prod - dx * ONE + dy * ONE <= 0 && prod + dy * ONE >= 0 {
                    // Out through the right side.
                    prod += dy * ONE;
                    let fx2 = ONE;
                    let fy2 = udiv(prod, dx_r);
                    self.cover += fy2 - fy1;
                    self.area += (fy2 - fy1) * (fx1 + fx2);
                    fx1 = 0;
                    fy1 = fy2;
                    ex1 += 1;
                } else {
                    // Out through the top.
                    let fx2 = udiv(prod, -dy_r);
                    let fy2 = 0;
                    prod += dx * ONE;
                    self.cover += fy2 - fy1;
                    self.area += (fy2 - fy1) * (fx1 + fx2);
                    fx1 = fx2;
                    fy1 = ONE;
                    ey1 -= 1;
                }
                self.set_cell(ex1, ey1);
                if ex1 == ex2 && ey1 == ey2 {
                    break;
                }
            }
        }
        let fx2 = fract(to_x);
        let fy2 = fract(to_y);
        self.cover += fy2 - fy1;
        self.area += (fy2 - fy1) * (fx1 + fx2);
        self.px = to_x;
        self.py = to_y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The area of `polygon` (simple, either way round) inside the pixel at `(x, y)`: the
    /// polygon clipped to the pixel's square side by side (Sutherland–Hodgman), then measured.
    fn exact(polygon: &[Point], x: f32, y: f32) -> f32 {
        let mut ring: Vec<Point> = polygon.to_vec();
        // How far a point is inside each side.
        type Inside = fn(Point, f32) -> f32;
        let sides: [(Inside, f32); 4] = [
            (|p, v| p.0 - v, x),
            (|p, v| v - p.0, x + 1.0),
            (|p, v| p.1 - v, y),
            (|p, v| v - p.1, y + 1.0),
        ];
        for (inside, v) in sides {
            let mut out = Vec::new();
            for i in 0..ring.len() {
                let (p, q) = (ring[i], ring[(i + 1) % ring.len()]);
                let (dp, dq) = (inside(p, v), inside(q, v));
                if dp >= 0.0 {
                    out.push(p);
                }
                if (dp >= 0.0) != (dq >= 0.0) {
                    let t = dp / (dp - dq);
                    out.push((p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t));
                }
            }
            ring = out;
            if ring.is_empty() {
                return 0.0;
            }
        }
        let n = ring.len();
        let twice: f32 = (0..n)
            .map(|i| ring[i].0 * ring[(i + 1) % n].1 - ring[(i + 1) % n].0 * ring[i].1)
            .sum();
        twice.abs() / 2.0
    }

    fn edges_of(polygon: &[Point]) -> Vec<(Point, Point)> {
        (0..polygon.len())
            .map(|i| (polygon[i], polygon[(i + 1) % polygon.len()]))
            .collect()
    }

    /// The coverage of `edges` in a `width` × `height` mask, checking the spans' order.
    fn mask(edges: &[(Point, Point)], width: u32, height: u32) -> Vec<u8> {
        let mut out = vec![0; (width * height) as usize];
        let mut last = (0, 0);
        Cells::default().fill(edges, width, height, |y, x0, x1, c| {
            assert!((y, x0) >= last && x0 < x1 && x1 <= width as usize && c > 0);
            last = (y, x1);
            out[y * width as usize + x0..y * width as usize + x1].fill(c);
        });
        out
    }

    /// Star-shaped polygons (concave, either way round, some over the pixmap's sides): every
    /// pixel's coverage is the area of it inside the polygon, to a 128th.
    #[test]
    fn a_pixels_coverage_is_the_area_of_it_inside() {
        let (width, height) = (64, 48);
        let mut seed = 11u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 8) as f32 / (1 << 24) as f32
        };
        let mut partial = 0;
        for k in 0..40 {
            let (cx, cy) = (next() * 64.0, next() * 48.0);
            let n = 3 + k % 9;
            let mut star: Vec<Point> = (0..n)
                .map(|i| {
                    let angle = (i as f32 + next() * 0.8) / n as f32 * std::f32::consts::TAU;
                    let r = 4.0 + next() * 30.0;
                    (cx + r * angle.cos(), cy + r * angle.sin())
                })
                .collect();
            if k % 2 == 1 {
                star.reverse();
            }
            if k % 5 == 0 {
                // Whole pixels, as a map's points are.
                star.iter_mut()
                    .for_each(|p| *p = (p.0.round(), p.1.round()));
            }
            let ours = mask(&edges_of(&star), width, height);
            for y in 0..height {
                for x in 0..width {
                    let area = exact(&star, x as f32, y as f32);
                    let c = ours[(y * width + x) as usize];
                    assert!(
                        (f32::from(c) - area * 255.0).abs() <= 2.0,
                        "polygon {k}, pixel ({x}, {y}): {c} for an area of {area}"
                    );
                    if area == 1.0 {
                        assert_eq!(c, 255, "polygon {k}, ({x}, {y}) inside");
                    }
                    if area == 0.0 {
                        assert_eq!(c, 0, "polygon {k}, ({x}, {y}) outside");
                    }
                    partial += usize::from(c > 0 && c < 255);
                }
            }
        }
        assert!(partial > 1000, "{partial} pixels on edges");
    }

    #[test]
    fn windings_add_up_and_need_no_closed_loops() {
        // Two squares over each other, both one way round: non-zero covers where they overlap
        // (winding 2) wholly; the same edges shuffled fill the same.
        let a = [(2.0, 2.0), (12.0, 2.0), (12.0, 12.0), (2.0, 12.0)];
        let b = [(6.5, 6.5), (16.5, 6.5), (16.5, 16.5), (6.5, 16.5)];
        let mut edges = edges_of(&a);
        edges.extend(edges_of(&b));
        let ours = mask(&edges, 20, 20);
        let at = |x: usize, y: usize| ours[y * 20 + x];
        assert_eq!(
            (at(3, 3), at(8, 8), at(15, 15), at(1, 1), at(3, 15)),
            (255, 255, 255, 0, 0)
        );
        assert_eq!(at(16, 10), 128, "half a pixel");
        edges.reverse();
        edges.swap(1, 6);
        assert_eq!(mask(&edges, 20, 20), ours);
        // The other way round, the second one's winding takes the first's away where they
        // overlap (non-zero: 1 − 1 = 0).
        let mut opposite = edges_of(&a);
        opposite.extend(edges_of(&b).into_iter().map(|(p, q)| (q, p)));
        let m = mask(&opposite, 20, 20);
        assert_eq!(
            (m[8 * 20 + 8], m[3 * 20 + 3], m[15 * 20 + 15]),
            (0, 255, 255)
        );
        // A point not finite: nothing filled (as tiny-skia makes no path of it), no panic.
        for bad in [f32::NAN, f32::INFINITY, -f32::INFINITY] {
            let mut edges = edges_of(&a);
            edges[1].1.0 = bad;
            assert!(mask(&edges, 20, 20).iter().all(|c| *c == 0), "{bad}");
        }
        // Far outside the pixmap: clipped, the part inside filled.
        let huge = [(-1e30, -1e30), (1e30, -1e30), (1e30, 1e30), (-1e30, 1e30)];
        assert!(mask(&edges_of(&huge), 20, 20).iter().all(|c| *c == 255));
        let diamond = [(0.0, -1e30), (1e30, 0.0), (0.0, 1e30), (-1e30, 0.0)];
        assert!(mask(&edges_of(&diamond), 20, 20).iter().all(|c| *c == 255));
        let off = [(30.0, -1e30), (1e30, 5.0), (30.0, 1e30)];
        assert!(mask(&edges_of(&off), 20, 20).iter().all(|c| *c == 0));
        // A hole: the inner square the other way round.
        let hole = [(4.0, 4.0), (4.0, 8.0), (8.0, 8.0), (8.0, 4.0)];
        let mut holed = edges_of(&a);
        holed.extend(edges_of(&hole));
        let m = mask(&holed, 20, 20);
        assert_eq!((m[5 * 20 + 5], m[3 * 20 + 3]), (0, 255));
    }
}
