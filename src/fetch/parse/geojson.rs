//! GISCO's NUTS region shapes as GeoJSON (a `FeatureCollection` of `Polygon`/`MultiPolygon`
//! features with `NUTS_ID`, `CNTR_CODE`, `LEVL_CODE`, `NAME_LATN`, `NUTS_NAME`, in WGS84
//! longitude/latitude) → the canonical table, one row per region: dimension `geo` (`NUTS_ID`,
//! labelled with `NAME_LATN`), no period and no value (a shape is not an observation), and the
//! attributes `country` (`CNTR_CODE`), `level` (`LEVL_CODE`), `nuts_name` (`NUTS_NAME`, the
//! national name) and `geometry` (the feature's geometry as compact GeoJSON text, coordinates as
//! published). Keeping the canonical columns lets every consumer of a stored version (CSV and
//! Parquet downloads, DCAT, the data endpoints) read it like any other dataset.
//!
//! Refused before anything is stored: a document that is not a `FeatureCollection` (a JSON-stat
//! or error document served by mistake), a collection with no feature, a feature without a
//! `NUTS_ID`, a code given twice, a geometry other than a polygon or multipolygon, a ring with
//! fewer than four positions, a coordinate outside longitude/latitude. A body cut short is a JSON
//! end-of-file error, which `refresh` downloads again. Must not project or simplify anything:
//! that is `crate::geo`'s job, on the stored text.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::builder::Rows;
use super::{Format, ParseError, Parsed};

/// How far into the body [`looks_like`] searches for the collection's type.
const SNIFF_BYTES: usize = 4096;

/// Whether a JSON body is a GeoJSON `FeatureCollection` (its type near the top), not JSON-stat.
pub(super) fn looks_like(body: &[u8]) -> bool {
    let head = &body[..body.len().min(SNIFF_BYTES)];
    memchr::memmem::find(head, b"\"FeatureCollection\"").is_some()
}

fn malformed(reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format: Format::GeoJson,
        line: None,
        reason: reason.into(),
    }
}

#[derive(Deserialize)]
struct Collection {
    #[serde(rename = "type")]
    kind: Option<String>,
    features: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct Feature {
    geometry: Option<Geometry>,
    #[serde(default)]
    properties: Properties,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Properties {
    nuts_id: Option<String>,
    cntr_code: Option<String>,
    levl_code: Option<Value>,
    name_latn: Option<String>,
    nuts_name: Option<String>,
}

/// A position is `[longitude, latitude]`, possibly followed by an altitude (ignored by the map).
type Ring = Vec<Vec<f64>>;

#[derive(Deserialize, Serialize)]
#[serde(tag = "type")]
enum Geometry {
    Polygon { coordinates: Vec<Ring> },
    MultiPolygon { coordinates: Vec<Vec<Ring>> },
}

impl Geometry {
    fn polygons(&self) -> Vec<&[Ring]> {
        match self {
            Geometry::Polygon { coordinates } => vec![coordinates.as_slice()],
            Geometry::MultiPolygon { coordinates } => {
                coordinates.iter().map(Vec::as_slice).collect()
            }
        }
    }

    /// Why the geometry cannot be drawn, if it cannot.
    fn problem(&self) -> Option<String> {
        let polygons = self.polygons();
        if polygons.is_empty() {
            return Some("its multipolygon has no polygon".to_owned());
        }
        for rings in polygons {
            if rings.is_empty() {
                return Some("a polygon has no ring".to_owned());
            }
            for ring in rings {
                if ring.len() < 4 {
                    return Some(format!(
                        "a ring has {} position(s); a closed ring needs at least 4",
                        ring.len()
                    ));
                }
                for position in ring {
                    let ok = match position.as_slice() {
                        [lon, lat, ..] => {
                            (-180.0..=180.0).contains(lon) && (-90.0..=90.0).contains(lat)
                        }
                        _ => false,
                    };
                    if !ok {
                        return Some(format!(
                            "the position {position:?} is not [longitude, latitude] in degrees"
                        ));
                    }
                }
            }
        }
        None
    }
}

/// A NUTS code as GISCO writes it: upper-case letters and digits (`BE10`, `FRY1`).
fn is_nuts_code(code: &str) -> bool {
    (2..=5).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

pub(super) fn parse(dataset: &str, bytes: &[u8]) -> Result<Parsed, ParseError> {
    let doc: Collection = serde_json::from_slice(bytes)?;
    if doc.kind.as_deref() != Some("FeatureCollection") {
        return Err(malformed(format!(
            "the document is not a GeoJSON FeatureCollection (its type is {})",
            doc.kind
                .as_deref()
                .map_or("missing".to_owned(), |k| format!("{k:?}"))
        )));
    }
    let features = doc.features.unwrap_or_default();
    if features.is_empty() {
        return Err(malformed("the FeatureCollection has no feature"));
    }
    let mut rows = Rows::new(1, features.len());
    let (mut country, mut level, mut national, mut geometry) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut seen = HashSet::with_capacity(features.len());
    for (index, value) in features.into_iter().enumerate() {
        let feature: Feature = serde_json::from_value(value).map_err(|e| {
            malformed(format!(
                "feature {index} is not a polygon or multipolygon feature with properties ({e})"
            ))
        })?;
        let p = feature.properties;
        let Some(code) = p.nuts_id.filter(|c| is_nuts_code(c)) else {
            return Err(malformed(format!(
                "feature {index} has no NUTS_ID property holding a NUTS code (e.g. \"BE10\")"
            )));
        };
        if !seen.insert(code.clone()) {
            return Err(malformed(format!("the region {code} is given twice")));
        }
        let Some(shape) = feature.geometry else {
            return Err(malformed(format!("the region {code} has no geometry")));
        };
        if let Some(problem) = shape.problem() {
            return Err(malformed(format!(
                "the geometry of the region {code} cannot be drawn: {problem}"
            )));
        }
        rows.dim(0, &code, p.name_latn.as_deref());
        rows.period(None);
        rows.obs.push(None, None, None, None);
        country.append_option(p.cntr_code.as_deref());
        level.append_option(p.levl_code.map(|l| match l {
            Value::String(s) => s,
            other => other.to_string(),
        }));
        national.append_option(p.nuts_name.as_deref());
        geometry.append_value(serde_json::to_string(&shape)?);
    }
    let attributes: Vec<(String, ArrayRef)> = vec![
        ("country".to_owned(), Arc::new(country.finish())),
        ("level".to_owned(), Arc::new(level.finish())),
        ("nuts_name".to_owned(), Arc::new(national.finish())),
        ("geometry".to_owned(), Arc::new(geometry.finish())),
    ];
    let (batch, dimensions) = rows.finish(dataset, &["geo".to_owned()], attributes)?;
    Ok(Parsed {
        batch,
        dimensions,
        updated: None,
        title: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{col, opt, read};
    use super::*;
    use arrow::array::Array;

    const NUTS2: &str = "geo/NUTS_RG_60M_2021_4326_LEVL_2.geojson";

    #[test]
    fn every_real_nuts_2_region_gives_one_row_with_its_names_country_and_shape() {
        let bytes = read(NUTS2);
        assert_eq!(Format::detect(&bytes), Some(Format::GeoJson));
        let p = super::super::parse(Format::GeoJson, "gisco", &bytes, &Default::default())
            .expect("the real file parses");
        let b = &p.batch;
        assert_eq!(b.num_rows(), 334);
        assert_eq!(p.dimensions, ["geo"]);
        let geo = col(b, "geo");
        let i = (0..b.num_rows())
            .find(|&i| geo.value(i) == "BE10")
            .expect("Brussels-Capital is a region of the file");
        assert_eq!(col(b, "country").value(i), "BE");
        assert_eq!(col(b, "level").value(i), "2");
        assert!(
            col(b, "geo_label").value(i).contains("Bruxelles"),
            "{}",
            col(b, "geo_label").value(i)
        );
        let shape: Value = serde_json::from_str(col(b, "geometry").value(i)).expect("JSON text");
        assert!(matches!(
            shape["type"].as_str(),
            Some("Polygon" | "MultiPolygon")
        ));
        assert_eq!(opt(col(b, "period"), i), None);
        assert_eq!(b.column_by_name("value").expect("value").null_count(), 334);
    }

    #[test]
    fn the_first_real_region_keeps_its_coordinates_as_published() {
        let p = parse("gisco", &read(NUTS2)).expect("parses");
        // The file opens with BE31, a Polygon whose first position is [5.02, 50.751].
        assert_eq!(col(&p.batch, "geo").value(0), "BE31");
        assert!(
            col(&p.batch, "geometry")
                .value(0)
                .starts_with(r#"{"type":"Polygon","coordinates":[[[5.02,50.751],"#),
            "{}",
            &col(&p.batch, "geometry").value(0)[..60]
        );
    }

    #[test]
    fn a_body_cut_short_is_an_end_of_file_error_so_refresh_downloads_it_again() {
        let bytes = read(NUTS2);
        let error = parse("gisco", &bytes[..bytes.len() / 2]).expect_err("cut short");
        assert!(
            matches!(&error, ParseError::Json(e) if e.is_eof()),
            "{error}"
        );
    }

    #[test]
    fn a_json_stat_document_or_a_bad_feature_is_refused_naming_what_is_wrong() {
        let jsonstat = read("eurostat/jsonstat/isoc_ci_in_h.json");
        assert_eq!(Format::detect(&jsonstat), Some(Format::JsonStat));
        let error = parse("gisco", &jsonstat).expect_err("not GeoJSON");
        assert!(
            error
                .to_string()
                .contains("not a GeoJSON FeatureCollection"),
            "{error}"
        );

        let cases = [
            (
                r#"{"type":"FeatureCollection","features":[]}"#,
                "no feature",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[4.3,50.8]},"properties":{"NUTS_ID":"BE10"}}]}"#,
                "feature 0 is not a polygon",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[4,50],[5,50],[4,50]]]},"properties":{"NUTS_ID":"BE10"}}]}"#,
                "region BE10 cannot be drawn: a ring has 3 position(s)",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[4,50],[5,50],[5,95],[4,50]]]},"properties":{"NUTS_ID":"BE10"}}]}"#,
                "is not [longitude, latitude]",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[4,50],[5,50],[5,51],[4,50]]]},"properties":{"NAME_LATN":"Bruxelles"}}]}"#,
                "feature 0 has no NUTS_ID",
            ),
        ];
        for (body, expected) in cases {
            let error = parse("gisco", body.as_bytes()).expect_err(expected);
            assert!(
                error.to_string().contains(expected),
                "{expected:?} not in {error}"
            );
        }
    }
}
