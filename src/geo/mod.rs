//! Region shapes for the maps: the NUTS-2 polygons of the store's current version of
//! [`DATASET`] (GISCO's GeoJSON, one row per region, see `fetch::parse`'s `geojson`), projected
//! once to ETRS89-LAEA ([`project`]) and kept in metres, with the extent of Europe a map frames
//! ([`Shapes::extent`]: every region but the distant outermost ones, [`DISTANT`]); and the class
//! breaks of a choropleth ([`breaks`]).
//!
//! Reads the store only through [`Store`]; knows nothing of drawing (that is `charts::map`),
//! of HTTP or of DuckDB. No simplification is done: at 1:60 million GISCO's 334 regions have
//! about 7,400 vertices in all, and the map drops the ones that fall on the same pixel.

pub mod breaks;
pub mod project;

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use serde::Deserialize;

use crate::store::{Store, StoreError};
use project::Laea;

/// The catalogue id of the NUTS 2021 level-2 shapes.
pub const DATASET: &str = "gisco_nuts2_2021";

/// Regions left out of the map of Europe because they are far from it: the EU's outermost
/// regions (Guadeloupe, Martinique, French Guiana, Réunion, Mayotte, the Azores, Madeira, the
/// Canary Islands) and Jan Mayen and Svalbard, which would double the height of the map.
pub const DISTANT: [&str; 9] = [
    "FRY1", "FRY2", "FRY3", "FRY4", "FRY5", "PT20", "PT30", "ES70", "NO0B",
];

/// The EU's outermost regions among the [`DISTANT`] ones: a map shows each in a small box of its
/// own, as Eurostat's maps do (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte, Açores,
/// Madeira, Canarias).
pub const OUTERMOST: [&str; 8] = [
    "FRY1", "FRY2", "FRY3", "FRY4", "FRY5", "PT20", "PT30", "ES70",
];

/// Why the shapes could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("the region shapes could not be read from the store: {0}")]
    Store(#[from] StoreError),
    #[error(
        "version {version} of {DATASET} has no column {column}; it was not stored by the geojson parser. Fetch or import it again (format geojson)."
    )]
    MissingColumn { version: String, column: String },
    #[error(
        "the geometry of region {geo} in version {version} of {DATASET} is not readable: {source}"
    )]
    Geometry {
        geo: String,
        version: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

/// The Latin-script name (`NAME_LATN`, the `geo_label` column) of every region of the store's
/// current version of [`DATASET`], by code; `None` when it has no version yet.
pub fn names(store: &Store) -> Result<Option<BTreeMap<String, String>>, GeoError> {
    let Some(current) = store.current(DATASET)? else {
        return Ok(None);
    };
    let mut names = BTreeMap::new();
    for batch in store.read(DATASET, Some(&current.version))? {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| GeoError::MissingColumn {
                    version: current.version.clone(),
                    column: name.to_owned(),
                })
                .and_then(|c| Ok(cast(c, &DataType::Utf8)?))
        };
        let (geo, label) = (column("geo")?, column("geo_label")?);
        let (geo, label) = (geo.as_string::<i32>(), label.as_string::<i32>());
        for i in 0..batch.num_rows() {
            if geo.is_valid(i) && label.is_valid(i) && !label.value(i).trim().is_empty() {
                names.insert(geo.value(i).to_owned(), label.value(i).trim().to_owned());
            }
        }
    }
    Ok(Some(names))
}

/// A point or a size in projected metres (easting, northing).
pub type Point = (f64, f64);

/// A rectangle in projected metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub min: Point,
    pub max: Point,
}

impl Rect {
    const EMPTY: Rect = Rect {
        min: (f64::INFINITY, f64::INFINITY),
        max: (f64::NEG_INFINITY, f64::NEG_INFINITY),
    };

    fn add(&mut self, (x, y): Point) {
        self.min = (self.min.0.min(x), self.min.1.min(y));
        self.max = (self.max.0.max(x), self.max.1.max(y));
    }

    fn union(&mut self, other: &Rect) {
        self.add(other.min);
        self.add(other.max);
    }

    pub fn width(&self) -> f64 {
        self.max.0 - self.min.0
    }

    pub fn height(&self) -> f64 {
        self.max.1 - self.min.1
    }
}

/// One polygon: its exterior ring, then its holes (each ring closed, first point = last).
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub rings: Vec<Vec<Point>>,
}

impl Polygon {
    /// The exterior ring.
    pub fn exterior(&self) -> &[Point] {
        self.rings.first().map_or(&[], Vec::as_slice)
    }

    /// The area enclosed by the exterior ring less the holes, in m².
    pub fn area(&self) -> f64 {
        let mut rings = self.rings.iter().map(|r| signed_area(r).abs());
        let outer = rings.next().unwrap_or(0.0);
        outer - rings.sum::<f64>()
    }
}

/// One NUTS region, projected.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// The NUTS code, e.g. `BE10`.
    pub code: String,
    /// The Latin-script name (`NAME_LATN`).
    pub name: String,
    /// The country code (`CNTR_CODE`, `EL` for Greece).
    pub country: String,
    pub polygons: Vec<Polygon>,
    pub bbox: Rect,
    /// In m² (equal-area projection).
    pub area: f64,
    /// The centroid of its largest polygon (inside the mainland of a region with islands).
    pub centroid: Point,
}

/// The region shapes of one stored version.
#[derive(Debug, Clone)]
pub struct Shapes {
    version: String,
    regions: Vec<Region>,
    extent: Rect,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Geometry {
    Polygon {
        coordinates: Vec<Vec<Vec<f64>>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<Vec<f64>>>>,
    },
}

impl Shapes {
    /// The shapes of the current version of [`DATASET`], or `None` when it has no version yet.
    pub fn load(store: &Store) -> Result<Option<Shapes>, GeoError> {
        let Some(current) = store.current(DATASET)? else {
            return Ok(None);
        };
        let batches = store.read(DATASET, Some(&current.version))?;
        Shapes::from_batches(&current.version, &batches).map(Some)
    }

    /// The shapes of a version's batches (`geo`, `geo_label`, `country`, `geometry` columns).
    pub fn from_batches(version: &str, batches: &[RecordBatch]) -> Result<Shapes, GeoError> {
        let laea = Laea::etrs89();
        let mut regions = Vec::new();
        for batch in batches {
            let column = |name: &str| {
                batch
                    .column_by_name(name)
                    .ok_or_else(|| GeoError::MissingColumn {
                        version: version.to_owned(),
                        column: name.to_owned(),
                    })
                    .and_then(|c| Ok(cast(c, &DataType::Utf8)?))
            };
            let (geo, label, country, geometry) = (
                column("geo")?,
                column("geo_label")?,
                column("country")?,
                column("geometry")?,
            );
            let text = |c: &arrow::array::ArrayRef, i: usize| {
                let s = c.as_string::<i32>();
                if s.is_valid(i) {
                    s.value(i).to_owned()
                } else {
                    String::new()
                }
            };
            for i in 0..batch.num_rows() {
                let code = text(&geo, i);
                let shape: Geometry =
                    serde_json::from_str(&text(&geometry, i)).map_err(|e| GeoError::Geometry {
                        geo: code.clone(),
                        version: version.to_owned(),
                        source: e,
                    })?;
                regions.push(region(
                    &laea,
                    code,
                    text(&label, i),
                    text(&country, i),
                    shape,
                ));
            }
        }
        regions.sort_by(|a, b| a.code.cmp(&b.code));
        let mut extent = Rect::EMPTY;
        for r in regions
            .iter()
            .filter(|r| !DISTANT.contains(&r.code.as_str()))
        {
            extent.union(&r.bbox);
        }
        Ok(Shapes {
            version: version.to_owned(),
            regions,
            extent,
        })
    }

    /// The store version the shapes come from (for ETags and the footer's date).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The NUTS codes, sorted.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.regions.iter().map(|r| r.code.as_str())
    }

    /// Every region, sorted by code (the distant ones too).
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The region with this code.
    pub fn get(&self, code: &str) -> Option<&Region> {
        self.regions
            .binary_search_by(|r| r.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.regions[i])
    }

    /// What a map of Europe frames: the bounding box of every region but the [`DISTANT`] ones.
    pub fn extent(&self) -> Rect {
        self.extent
    }

    /// Whether a region lies in [`Shapes::extent`] (every one but the [`DISTANT`] ones).
    pub fn in_extent(&self, region: &Region) -> bool {
        !DISTANT.contains(&region.code.as_str())
    }

    /// Whether a map draws the region: in the extent, or [`OUTERMOST`] (in a box of its own).
    pub fn is_drawn(&self, code: &str) -> bool {
        !DISTANT.contains(&code) || OUTERMOST.contains(&code)
    }
}

fn region(laea: &Laea, code: String, name: String, country: String, shape: Geometry) -> Region {
    let polygons: Vec<Vec<Vec<Vec<f64>>>> = match shape {
        Geometry::Polygon { coordinates } => vec![coordinates],
        Geometry::MultiPolygon { coordinates } => coordinates,
    };
    let mut bbox = Rect::EMPTY;
    let polygons: Vec<Polygon> = polygons
        .into_iter()
        .map(|rings| Polygon {
            rings: rings
                .into_iter()
                .map(|ring| {
                    ring.into_iter()
                        .filter_map(|p| match p.as_slice() {
                            [lon, lat, ..] => Some(laea.project(*lon, *lat)),
                            _ => None,
                        })
                        .inspect(|p| bbox.add(*p))
                        .collect()
                })
                .collect(),
        })
        .collect();
    let area = polygons.iter().map(Polygon::area).sum();
    let centroid = polygons
        .iter()
        .max_by(|a, b| a.area().total_cmp(&b.area()))
        .map(|p| ring_centroid(p.exterior()))
        .unwrap_or(bbox.min);
    Region {
        code,
        name,
        country,
        polygons,
        bbox,
        area,
        centroid,
    }
}

/// The signed area of a closed ring (shoelace formula), positive when counter-clockwise.
fn signed_area(ring: &[Point]) -> f64 {
    ring.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum::<f64>()
        / 2.0
}

/// The centroid of the surface a closed ring encloses (its vertices' mean when it is degenerate).
fn ring_centroid(ring: &[Point]) -> Point {
    let a = signed_area(ring);
    if a.abs() < f64::EPSILON {
        let n = ring.len().max(1) as f64;
        let (x, y) = ring
            .iter()
            .fold((0.0, 0.0), |acc, p| (acc.0 + p.0, acc.1 + p.1));
        return (x / n, y / n);
    }
    let (cx, cy) = ring.windows(2).fold((0.0, 0.0), |acc, w| {
        let cross = w[0].0 * w[1].1 - w[1].0 * w[0].1;
        (
            acc.0 + (w[0].0 + w[1].0) * cross,
            acc.1 + (w[0].1 + w[1].1) * cross,
        )
    });
    (cx / (6.0 * a), cy / (6.0 * a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::parse::{self, Format, ParseOptions};
    use crate::store::VersionMeta;

    fn shared(rel: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data")
            .join(rel)
    }

    /// A store holding the real GISCO file as the current version of the shapes.
    fn store_with_shapes() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path(), 3).expect("store");
        let bytes = std::fs::read(shared("geo/NUTS_RG_60M_2021_4326_LEVL_2.geojson"))
            .expect("the shared GeoJSON");
        let parsed = parse::parse(Format::GeoJson, DATASET, &bytes, &ParseOptions::default())
            .expect("parses");
        let meta = VersionMeta {
            source_url: "file:///shared/geo".into(),
            fetched_at: chrono::Utc::now(),
            upstream_updated: None,
            sha256: "0".repeat(64),
            parser_version: parse::PARSER_VERSION.into(),
            format: "geojson".into(),
            licence: "EuroGeographics-GISCO".into(),
            attribution: "© EuroGeographics".into(),
            dimensions: parsed.dimensions.clone(),
            etag: None,
            last_modified: None,
        };
        store
            .publish(DATASET, &[parsed.batch], meta)
            .expect("published");
        (dir, store)
    }

    #[test]
    fn no_version_of_the_shapes_is_none() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path(), 3).expect("store");
        assert!(Shapes::load(&store).expect("loads").is_none());
    }

    #[test]
    fn the_stored_shapes_are_the_334_regions_projected_with_brussels_inside_belgium() {
        let (_dir, store) = store_with_shapes();
        let shapes = Shapes::load(&store).expect("loads").expect("a version");
        assert_eq!(shapes.codes().count(), 334);
        assert_eq!(
            shapes.version(),
            store.current(DATASET).unwrap().unwrap().version
        );
        let be10 = shapes.get("BE10").expect("BE10");
        assert_eq!(be10.country, "BE");
        // Brussels-Capital is about 161 km² (1:60 million shapes are coarse: allow a third).
        let km2 = be10.area / 1e6;
        assert!((100.0..220.0).contains(&km2), "{km2} km²");
        // Its centroid is near the Grand-Place (4.35°E 50.85°N) projected.
        let (x, y) = Laea::etrs89().project(4.35, 50.85);
        let (cx, cy) = be10.centroid;
        assert!(
            (cx - x).hypot(cy - y) < 8_000.0,
            "{:?} vs {:?}",
            be10.centroid,
            (x, y)
        );
        // Belgium's other regions surround it.
        let belgium: Vec<&Region> = shapes
            .regions()
            .iter()
            .filter(|r| r.country == "BE")
            .collect();
        assert_eq!(belgium.len(), 11);
        assert!(
            belgium
                .iter()
                .all(|r| r.bbox.max.0 > be10.bbox.min.0 - 200_000.0)
        );
    }

    #[test]
    fn the_extent_frames_europe_without_the_outermost_regions() {
        let (_dir, store) = store_with_shapes();
        let shapes = Shapes::load(&store).unwrap().unwrap();
        let extent = shapes.extent();
        let inside = |code: &str| {
            let r = shapes.get(code).unwrap();
            r.bbox.min.0 >= extent.min.0
                && r.bbox.max.0 <= extent.max.0
                && r.bbox.min.1 >= extent.min.1
                && r.bbox.max.1 <= extent.max.1
        };
        for code in ["BE10", "PT17", "FI1D", "CY00", "MT00", "IS00", "EL43"] {
            assert!(inside(code), "{code} is framed");
        }
        for code in DISTANT {
            assert!(!inside(code), "{code} is left out");
            assert!(!shapes.in_extent(shapes.get(code).unwrap()));
        }
        // Europe without Svalbard: wider than high, about 4,700 by 4,000 km.
        assert!(extent.width() > extent.height());
        assert!((4.0e6..5.5e6).contains(&extent.width()), "{extent:?}");
    }

    #[test]
    fn a_ring_s_area_and_centroid_are_those_of_the_square_it_draws() {
        let square = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)];
        assert_eq!(signed_area(&square), 4.0);
        assert_eq!(ring_centroid(&square), (1.0, 1.0));
        let hole = [(0.5, 0.5), (0.5, 1.5), (1.5, 1.5), (1.5, 0.5), (0.5, 0.5)];
        let polygon = Polygon {
            rings: vec![square.to_vec(), hole.to_vec()],
        };
        assert_eq!(polygon.area(), 3.0);
    }
}
