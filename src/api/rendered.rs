//! One indicator table's rows encoded once per data version, as JSON objects and as CSV lines, all
//! rows in one buffer per format: a series answer sends the rows it selects as slices of it. In
//! gzip, each geo's rows are also deflated once ([`Piece`]), so a series in gzip is
//! assembled from those pieces, not compressed per request. Knows nothing of HTTP.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;

use super::error::ApiError;
use super::gzip::{Member, Piece};
use super::payload::Payload;

/// One indicator table's rows, encoded once (with the provenance columns every value carries).
pub struct Rendered {
    /// Every row's JSON object, each followed by a comma.
    json: Encoded,
    pub csv_header: Bytes,
    csv_header_piece: Piece,
    /// Every row's CSV line, with its line end.
    csv: Encoded,
    /// The start of a series' JSON answer per language (`{"indicator": …, "sources": […],`),
    /// the same for every query of this table.
    heads: Mutex<HashMap<&'static str, Arc<Start>>>,
}

/// The start of a series' JSON answer, as it is and (for the first answer in gzip) deflated.
pub struct Start {
    pub bytes: Bytes,
    piece: OnceLock<Piece>,
}

impl Start {
    pub fn plain(bytes: Vec<u8>) -> Start {
        Start {
            bytes: bytes.into(),
            piece: OnceLock::new(),
        }
    }

    fn piece(&self) -> Result<&Piece, ApiError> {
        if let Some(piece) = self.piece.get() {
            return Ok(piece);
        }
        let piece = deflated(&self.bytes)?;
        Ok(self.piece.get_or_init(|| piece))
    }
}

/// Rows encoded back to back, and where each one starts.
struct Encoded {
    bytes: Bytes,
    starts: Vec<usize>,
    /// How many bytes of separator follow each row.
    separator: usize,
    /// The row indices that bound the geos' rows ([`crate::indicators::values::Table::geo_bounds`]).
    bounds: Vec<usize>,
    /// Each geo's rows deflated on their own, without the separator that follows its last row:
    /// made for the first answer in gzip.
    pieces: OnceLock<Vec<Piece>>,
}

fn deflated(bytes: &[u8]) -> Result<Piece, ApiError> {
    Piece::deflate(bytes).map_err(ApiError::internal)
}

impl Encoded {
    fn new(
        rows: impl IntoIterator<Item = Vec<u8>>,
        separator: &[u8],
        bounds: Vec<usize>,
    ) -> Encoded {
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        for row in rows {
            starts.push(bytes.len());
            bytes.extend_from_slice(&row);
            bytes.extend_from_slice(separator);
        }
        starts.push(bytes.len());
        Encoded {
            bytes: bytes.into(),
            starts,
            separator: separator.len(),
            bounds,
            pieces: OnceLock::new(),
        }
    }

    /// The rows of `runs` (ranges of row indices) as slices of the buffer, each with the
    /// separators that follow its rows.
    fn runs<'a>(&'a self, runs: &'a [Range<usize>]) -> impl Iterator<Item = Bytes> + 'a {
        runs.iter().map(|run| {
            self.bytes
                .slice(self.starts[run.start]..self.starts[run.end])
        })
    }

    /// The geos (indices of `bounds`' intervals) that `runs` cover, in order; `None` when a run
    /// does not cover whole geos (a year range cuts them).
    fn whole_geos(&self, runs: &[Range<usize>]) -> Option<Vec<usize>> {
        let mut geos = Vec::new();
        for run in runs {
            let first = self.bounds.binary_search(&run.start).ok()?;
            let end = self.bounds.binary_search(&run.end).ok()?;
            geos.extend(first..end);
        }
        Some(geos)
    }

    /// Each geo's piece, deflated the first time.
    fn pieces(&self) -> Result<&[Piece], ApiError> {
        if let Some(pieces) = self.pieces.get() {
            return Ok(pieces);
        }
        let pieces = self
            .bounds
            .windows(2)
            .map(|geo| {
                let end = self.starts[geo[1]] - self.separator;
                deflated(&self.bytes[self.starts[geo[0]]..end])
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.pieces.get_or_init(|| pieces))
    }
}

impl Rendered {
    /// The rows encoded: JSON objects, the CSV header and lines; `bounds`, the row indices that
    /// bound the geos' rows.
    pub fn new(
        json: Vec<Vec<u8>>,
        csv_header: Vec<u8>,
        csv: Vec<Vec<u8>>,
        bounds: Vec<usize>,
    ) -> Result<Rendered, ApiError> {
        Ok(Rendered {
            json: Encoded::new(json, b",", bounds.clone()),
            csv_header_piece: deflated(&csv_header)?,
            csv_header: csv_header.into(),
            csv: Encoded::new(csv, b"", bounds),
            heads: Mutex::default(),
        })
    }

    /// The JSON objects of the rows of `runs`, comma-separated: `{…},{…}`.
    pub fn json_rows(&self, runs: &[Range<usize>]) -> Vec<Bytes> {
        let mut out: Vec<Bytes> = self.json.runs(runs).collect();
        if let Some(last) = out.last_mut() {
            last.truncate(last.len() - 1);
        }
        out
    }

    /// The CSV lines of the rows of `runs`.
    pub fn csv_rows<'a>(&'a self, runs: &'a [Range<usize>]) -> impl Iterator<Item = Bytes> + 'a {
        self.csv.runs(runs)
    }

    /// The start of a series' JSON answer in `lang`, made by `make` the first time.
    pub fn head(
        &self,
        lang: &'static str,
        make: impl FnOnce() -> Vec<u8>,
    ) -> Result<Arc<Start>, ApiError> {
        let mut heads = self.heads.lock().map_err(ApiError::internal)?;
        Ok(heads
            .entry(lang)
            .or_insert_with(|| Arc::new(Start::plain(make())))
            .clone())
    }

    /// A series' JSON answer in gzip: `start`, `middle` (the query, then `"data":[`), the rows of
    /// `runs`, `]}`. `None` when a run does not cover whole geos.
    pub fn json_gzip(
        &self,
        start: &Start,
        middle: &[u8],
        runs: &[Range<usize>],
    ) -> Result<Option<Payload>, ApiError> {
        let Some(geos) = self.json.whole_geos(runs) else {
            return Ok(None);
        };
        let pieces = self.json.pieces()?;
        let mut member = Member::with_capacity(2 * geos.len() + 3);
        member.piece(start.piece()?);
        member.stored(middle);
        for (i, geo) in geos.into_iter().enumerate() {
            if i > 0 {
                member.stored(b",");
            }
            member.piece(&pieces[geo]);
        }
        member.stored(b"]}");
        Ok(Some(member.finish()))
    }

    /// A series' CSV answer in gzip: the header, then the lines of `runs`. `None` when a run does
    /// not cover whole geos.
    pub fn csv_gzip(&self, runs: &[Range<usize>]) -> Result<Option<Payload>, ApiError> {
        let Some(geos) = self.csv.whole_geos(runs) else {
            return Ok(None);
        };
        let pieces = self.csv.pieces()?;
        let mut member = Member::with_capacity(geos.len() + 1);
        member.piece(&self.csv_header_piece);
        for geo in geos {
            member.piece(&pieces[geo]);
        }
        Ok(Some(member.finish()))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn gunzip(payload: Payload) -> String {
        let mut out = String::new();
        flate2::read::GzDecoder::new(&payload.to_bytes()[..])
            .read_to_string(&mut out)
            .expect("a valid gzip member");
        out
    }

    /// Three geos: A with rows 0..2, B with 2..3, C with 3..5.
    fn rendered() -> Rendered {
        let rows = ["a1", "a2", "b1", "c1", "c2"];
        Rendered::new(
            rows.iter()
                .map(|r| format!("{{\"{r}\":1}}").into_bytes())
                .collect(),
            b"row\n".to_vec(),
            rows.iter().map(|r| format!("{r}\n").into_bytes()).collect(),
            vec![0, 2, 3, 5],
        )
        .expect("encodes")
    }

    // Runs are lists of row ranges; a list of one is a run, not a range to expand.
    #[allow(clippy::single_range_in_vec_init)]
    #[test]
    fn a_series_in_gzip_inflates_to_the_same_bytes_as_its_identity_answer() {
        let r = rendered();
        let start = r.head("en", || b"{\"head\":1,".to_vec()).unwrap();
        let middle = b"\"query\":{},\"data\":[";
        // C then A, and B and C as one run (adjacent rows): whole geos, in the order asked.
        let runs: [&[Range<usize>]; 5] = [&[3..5, 0..2], &[2..5], &[0..5], &[2..3], &[]];
        for runs in runs {
            let identity: Vec<Bytes> = [start.bytes.clone(), Bytes::from_static(middle)]
                .into_iter()
                .chain(r.json_rows(runs))
                .chain([Bytes::from_static(b"]}")])
                .collect();
            let identity =
                String::from_utf8(Payload::from_chunks(identity).to_bytes().to_vec()).unwrap();
            let gz = r
                .json_gzip(&start, middle, runs)
                .unwrap()
                .expect("whole geos");
            assert_eq!(gunzip(gz), identity, "{runs:?}");
            serde_json::from_str::<serde_json::Value>(&identity).expect("JSON");
            let csv: Vec<Bytes> = std::iter::once(r.csv_header.clone())
                .chain(r.csv_rows(runs))
                .collect();
            let csv = String::from_utf8(Payload::from_chunks(csv).to_bytes().to_vec()).unwrap();
            assert_eq!(gunzip(r.csv_gzip(runs).unwrap().expect("whole geos")), csv);
        }
    }

    #[allow(clippy::single_range_in_vec_init)]
    #[test]
    fn runs_that_cut_a_geo_are_not_assembled() {
        let r = rendered();
        let start = r.head("en", || b"{".to_vec()).unwrap();
        let runs: [&[Range<usize>]; 3] = [&[0..1], &[3..4, 0..2], &[1..3]];
        for runs in runs {
            assert!(
                r.json_gzip(&start, b"", runs).unwrap().is_none(),
                "{runs:?}"
            );
            assert!(r.csv_gzip(runs).unwrap().is_none(), "{runs:?}");
        }
    }
}
