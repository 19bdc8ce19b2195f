//! The Lambert azimuthal equal-area projection of ETRS89-LAEA (EPSG:3035), the projection
//! Eurostat draws its maps of Europe in: equal-area, so a region's colour covers a surface in
//! proportion to its real size. The formulas are those of IOGP's Guidance Note 7-2 (EPSG method
//! 9820, the ellipsoidal form) on the GRS 1980 ellipsoid, centred on 52°N 10°E, false easting
//! 4 321 000 m and false northing 3 210 000 m. GISCO's WGS84 coordinates are taken as ETRS89
//! (they differ by less than a metre, far below the 1:60 million scale of the shapes). Pure
//! arithmetic: no I/O, no state.

/// The constants of EPSG:3035, computed once.
#[derive(Debug, Clone, Copy)]
pub struct Laea {
    e: f64,
    e2: f64,
    qp: f64,
    sin_b0: f64,
    cos_b0: f64,
    rq: f64,
    d: f64,
    lon0: f64,
    false_easting: f64,
    false_northing: f64,
}

impl Default for Laea {
    fn default() -> Self {
        Laea::etrs89()
    }
}

impl Laea {
    /// ETRS89-LAEA (EPSG:3035).
    pub fn etrs89() -> Laea {
        // GRS 1980.
        let a = 6_378_137.0_f64;
        let f = 1.0_f64 / 298.257_222_101;
        let e2 = 2.0 * f - f * f;
        let e = e2.sqrt();
        let lat0 = 52.0_f64.to_radians();
        let q = |phi: f64| q_of(phi, e, e2);
        let qp = q(std::f64::consts::FRAC_PI_2);
        let b0 = (q(lat0) / qp).asin();
        let rq = a * (qp / 2.0).sqrt();
        let d = a * (lat0.cos() / (1.0 - e2 * lat0.sin().powi(2)).sqrt()) / (rq * b0.cos());
        Laea {
            e,
            e2,
            qp,
            sin_b0: b0.sin(),
            cos_b0: b0.cos(),
            rq,
            d,
            lon0: 10.0_f64.to_radians(),
            false_easting: 4_321_000.0,
            false_northing: 3_210_000.0,
        }
    }

    /// (easting, northing) in metres of a longitude and latitude in degrees.
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let phi = lat.to_radians();
        let dlon = lon.to_radians() - self.lon0;
        let beta = (q_of(phi, self.e, self.e2) / self.qp)
            .clamp(-1.0, 1.0)
            .asin();
        let (sin_b, cos_b) = beta.sin_cos();
        let b =
            self.rq * (2.0 / (1.0 + self.sin_b0 * sin_b + self.cos_b0 * cos_b * dlon.cos())).sqrt();
        let easting = self.false_easting + b * self.d * cos_b * dlon.sin();
        let northing = self.false_northing
            + (b / self.d) * (self.cos_b0 * sin_b - self.sin_b0 * cos_b * dlon.cos());
        (easting, northing)
    }
}

/// The authalic function q(φ) of the ellipsoid.
fn q_of(phi: f64, e: f64, e2: f64) -> f64 {
    let s = phi.sin();
    (1.0 - e2) * (s / (1.0 - e2 * s * s) - (1.0 / (2.0 * e)) * ((1.0 - e * s) / (1.0 + e * s)).ln())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_iogp_test_point_projects_to_its_published_coordinates() {
        // IOGP Guidance Note 7-2, EPSG:3035 worked example: 50°N 5°E → E 3 962 799.45 m,
        // N 2 999 718.85 m.
        let (e, n) = Laea::etrs89().project(5.0, 50.0);
        assert!((e - 3_962_799.45).abs() < 0.01, "{e}");
        assert!((n - 2_999_718.85).abs() < 0.01, "{n}");
    }

    #[test]
    fn the_centre_of_the_projection_is_its_false_origin() {
        let (e, n) = Laea::etrs89().project(10.0, 52.0);
        assert!((e - 4_321_000.0).abs() < 1e-6, "{e}");
        assert!((n - 3_210_000.0).abs() < 1e-6, "{n}");
    }

    #[test]
    fn east_is_right_and_north_is_up() {
        let laea = Laea::etrs89();
        let brussels = laea.project(4.35, 50.85);
        let warsaw = laea.project(21.0, 52.23);
        let helsinki = laea.project(24.94, 60.17);
        assert!(warsaw.0 > brussels.0);
        assert!(helsinki.1 > warsaw.1);
    }
}
