//! Where a chart's labels go: each label's box is tried at positions around its anchors, nearest
//! first, and the first that stays inside the plot and touches no line segment, no marker and no
//! label placed before is taken. Plain geometry in pixels: must not draw or know a chart kind.

/// A box in pixels: left, top, right, bottom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Boxed {
    pub l: f64,
    pub t: f64,
    pub r: f64,
    pub b: f64,
}

impl Boxed {
    pub fn new(l: f64, t: f64, w: f64, h: f64) -> Boxed {
        Boxed {
            l,
            t,
            r: l + w,
            b: t + h,
        }
    }

    /// The box around a point, `half` px each way.
    pub fn around((x, y): (f64, f64), half: f64) -> Boxed {
        Boxed {
            l: x - half,
            t: y - half,
            r: x + half,
            b: y + half,
        }
    }

    fn grown(self, by: f64) -> Boxed {
        Boxed {
            l: self.l - by,
            t: self.t - by,
            r: self.r + by,
            b: self.b + by,
        }
    }

    pub fn overlaps(&self, o: &Boxed) -> bool {
        self.l < o.r && o.l < self.r && self.t < o.b && o.t < self.b
    }

    /// The point of the box nearest to `p` (`p` itself when inside).
    pub fn nearest(&self, p: (f64, f64)) -> (f64, f64) {
        (p.0.clamp(self.l, self.r), p.1.clamp(self.t, self.b))
    }

    fn within(&self, o: &Boxed) -> bool {
        self.l >= o.l && self.r <= o.r && self.t >= o.t && self.b <= o.b
    }

    /// Whether the segment `a`–`b` passes through the box (Liang–Barsky clipping).
    pub fn crossed_by(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (p, q) in [
            (-dx, a.0 - self.l),
            (dx, self.r - a.0),
            (-dy, a.1 - self.t),
            (dy, self.b - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
                if t0 > t1 {
                    return false;
                }
            }
        }
        true
    }
}

/// Where a label goes relative to its anchor, in the order tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    AboveLeft,
    AboveRight,
    BelowLeft,
    BelowRight,
    Above,
    Below,
    Left,
    Right,
    /// Above, the box's right edge at the anchor (a label ending where its line ends).
    AboveEnd,
    /// Below, the box's right edge at the anchor.
    BelowEnd,
}

impl Side {
    /// Every side, `first` first.
    pub fn from(first: Side) -> [Side; 8] {
        let mut all = [
            Side::AboveLeft,
            Side::AboveRight,
            Side::BelowLeft,
            Side::BelowRight,
            Side::Above,
            Side::Below,
            Side::Left,
            Side::Right,
        ];
        if let Some(i) = all.iter().position(|s| *s == first) {
            all[..=i].rotate_right(1);
        }
        all
    }

    /// The top-left corner of a `w` × `h` box on this side of `(x, y)`, `d` px away.
    fn corner(self, (x, y): (f64, f64), w: f64, h: f64, d: f64) -> (f64, f64) {
        match self {
            Side::AboveLeft => (x - d - w, y - d - h),
            Side::AboveRight => (x + d, y - d - h),
            Side::BelowLeft => (x - d - w, y + d),
            Side::BelowRight => (x + d, y + d),
            Side::Above => (x - w / 2.0, y - d - h),
            Side::Below => (x - w / 2.0, y + d),
            Side::Left => (x - d - w, y - h / 2.0),
            Side::Right => (x + d, y - h / 2.0),
            Side::AboveEnd => (x - w, y - d - h),
            Side::BelowEnd => (x - w, y + d),
        }
    }
}

/// What labels must keep clear of, and the labels placed so far.
pub struct Placer {
    bounds: Boxed,
    segments: Vec<((f64, f64), (f64, f64))>,
    taken: Vec<Boxed>,
    /// Clearance kept around every box, px.
    pad: f64,
}

impl Placer {
    /// Labels inside `bounds`, `pad` px clear of everything.
    pub fn new(bounds: Boxed, pad: f64) -> Placer {
        Placer {
            bounds,
            segments: Vec::new(),
            taken: Vec::new(),
            pad,
        }
    }

    /// The box labels stay in.
    pub fn bounds(&self) -> Boxed {
        self.bounds
    }

    /// A line drawn as a polyline through `points`.
    pub fn line(&mut self, points: &[(f64, f64)]) {
        self.segments
            .extend(points.windows(2).map(|w| (w[0], w[1])));
    }

    /// A marker, a legend or anything else a label must not cover.
    pub fn block(&mut self, b: Boxed) {
        self.taken.push(b);
    }

    pub fn is_free(&self, b: &Boxed) -> bool {
        let g = b.grown(self.pad);
        b.within(&self.bounds)
            && !self.taken.iter().any(|t| t.overlaps(&g))
            && !self.segments.iter().any(|(p, q)| g.crossed_by(*p, *q))
    }

    /// The first free place of a `w` × `h` box at `sides` of `anchors` (each anchor at the
    /// distances `gaps` in turn, nearest first), taken; `None` when none is free.
    pub fn place(
        &mut self,
        anchors: &[(f64, f64)],
        sides: &[Side],
        gaps: &[f64],
        w: f64,
        h: f64,
    ) -> Option<Boxed> {
        for &d in gaps {
            for &anchor in anchors {
                for &side in sides {
                    let (l, t) = side.corner(anchor, w, h, d);
                    let b = Boxed::new(l, t, w, h);
                    if self.is_free(&b) {
                        self.taken.push(b);
                        return Some(b);
                    }
                }
            }
        }
        None
    }

    /// [`Placer::place`], or when nothing is free, the first place tried (a label is never
    /// dropped).
    pub fn place_or_first(
        &mut self,
        anchors: &[(f64, f64)],
        sides: &[Side],
        gaps: &[f64],
        w: f64,
        h: f64,
    ) -> Boxed {
        if let Some(b) = self.place(anchors, sides, gaps, w, h) {
            return b;
        }
        let anchor = anchors.first().copied().unwrap_or_default();
        let side = sides.first().copied().unwrap_or(Side::Right);
        let (l, t) = side.corner(anchor, w, h, gaps.first().copied().unwrap_or_default());
        let b = Boxed::new(l, t, w, h);
        self.taken.push(b);
        b
    }

    /// The first of `candidates` (top-left corners of a `w` × `h` box) that is free, taken.
    pub fn first_free(&mut self, candidates: &[(f64, f64)], w: f64, h: f64) -> Option<Boxed> {
        let b = candidates
            .iter()
            .map(|&(l, t)| Boxed::new(l, t, w, h))
            .find(|b| self.is_free(b))?;
        self.taken.push(b);
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_through_a_box_crosses_it_and_one_beside_it_does_not() {
        let b = Boxed::new(10.0, 10.0, 20.0, 10.0);
        assert!(b.crossed_by((0.0, 0.0), (40.0, 30.0)));
        assert!(b.crossed_by((15.0, 15.0), (16.0, 16.0)), "inside");
        assert!(!b.crossed_by((0.0, 0.0), (40.0, 5.0)), "above");
        assert!(!b.crossed_by((0.0, 25.0), (9.0, 0.0)), "left of it");
        assert!(b.crossed_by((20.0, 0.0), (20.0, 40.0)), "vertical");
    }

    #[test]
    fn a_label_is_placed_off_the_line_it_would_sit_on_and_off_the_labels_before_it() {
        let mut p = Placer::new(Boxed::new(0.0, 0.0, 200.0, 100.0), 2.0);
        // A line along y = 50; the label wants to sit on it, right of (100, 50).
        p.line(&[(0.0, 50.0), (200.0, 50.0)]);
        let first = p
            .place(
                &[(100.0, 50.0)],
                &[Side::Right, Side::Above],
                &[4.0],
                40.0,
                12.0,
            )
            .expect("a place");
        assert!(first.b <= 48.0, "above the line: {first:?}");
        let second = p
            .place(
                &[(100.0, 50.0)],
                &[Side::Above, Side::Below],
                &[4.0],
                40.0,
                12.0,
            )
            .expect("a place");
        assert!(!second.overlaps(&first) && second.t >= 52.0, "{second:?}");
        // No room left anywhere near: none.
        let mut full = Placer::new(Boxed::new(0.0, 0.0, 30.0, 30.0), 2.0);
        full.line(&[(0.0, 15.0), (30.0, 15.0)]);
        assert_eq!(
            full.place(
                &[(15.0, 15.0)],
                &Side::from(Side::Right),
                &[2.0],
                40.0,
                12.0
            ),
            None
        );
    }

    #[test]
    fn the_preferred_side_is_tried_first_and_every_side_once() {
        let all = Side::from(Side::BelowRight);
        assert_eq!(all[0], Side::BelowRight);
        for s in [Side::AboveLeft, Side::Left, Side::Right] {
            assert_eq!(all.iter().filter(|x| **x == s).count(), 1);
        }
    }
}
