//! Serving a stored version's Parquet file as its exact bytes, with HTTP `Range` (what DuckDB,
//! Polars and pyarrow use to query a remote file). Files up to a size are read once and kept in
//! memory, keyed by their sha256 (a version never changes); one range is answered 206, several
//! ranges the whole file (RFC 9110 allows it), an unsatisfiable one 416. Larger files are left to
//! the caller (streamed by `tower-http`'s `ServeFile`). Reads files; never writes.
//!
//! [`CsvDigests`]: the exact size and SHA-256 of each version's CSV download, which DCAT states
//! like the Parquet file's. The CSV is encoded from the Parquet file, and neither ever changes,
//! so each is worked out once (when first served or first described) and remembered.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// The size and SHA-256 of a download's exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
}

impl Digest {
    pub fn of(bytes: &[u8]) -> Digest {
        use sha2::Digest as _;
        Digest {
            bytes: bytes.len() as u64,
            sha256: hex::encode(sha2::Sha256::digest(bytes)),
        }
    }
}

/// The digests of the CSV downloads seen so far, by the sha256 of the Parquet file each is encoded
/// from (a version's identity: its file never changes, nor does its CSV).
#[derive(Default)]
pub struct CsvDigests {
    known: Mutex<HashMap<String, Digest>>,
}

impl CsvDigests {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Digest>> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, parquet_sha256: &str) -> Option<Digest> {
        self.lock().get(parquet_sha256).cloned()
    }

    /// Remembers the CSV encoded from the Parquet file `parquet_sha256`, and returns its digest.
    pub fn record(&self, parquet_sha256: &str, csv: &[u8]) -> Digest {
        let digest = Digest::of(csv);
        self.lock()
            .insert(parquet_sha256.to_owned(), digest.clone());
        digest
    }
}

/// Small files kept in memory, bounded in total bytes.
pub struct Files {
    entries: Mutex<(HashMap<String, Bytes>, usize)>,
    max_bytes: usize,
    /// Files larger than this are not kept (the caller streams them).
    pub max_file: u64,
}

impl Files {
    pub fn new(max_bytes: usize, max_file: u64) -> Files {
        Files {
            entries: Mutex::new((HashMap::new(), 0)),
            max_bytes,
            max_file,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<String, Bytes>, usize)> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The bytes of the file whose sha256 is `key` if they are kept: no file is read (a caller
    /// on the async runtime need not go to the blocking pool for them).
    pub fn kept(&self, key: &str) -> Option<Bytes> {
        self.lock().0.get(key).cloned()
    }

    /// The bytes of the file whose sha256 is `key`, read from `path` the first time. Blocking.
    pub fn read(&self, key: &str, path: &Path) -> std::io::Result<Bytes> {
        if let Some(found) = self.kept(key) {
            return Ok(found);
        }
        let bytes = Bytes::from(std::fs::read(path)?);
        let mut entries = self.lock();
        if entries.1 + bytes.len() > self.max_bytes {
            entries.0.clear();
            entries.1 = 0;
        }
        entries.1 += bytes.len();
        entries.0.insert(key.to_owned(), bytes.clone());
        Ok(bytes)
    }
}

/// The whole file (200), one byte range of it (206) or 416, as the `Range` header asks. A `Range`
/// that does not parse is ignored (200), as RFC 9110 says.
pub fn ranged(bytes: Bytes, headers: &HeaderMap) -> Response {
    let len = bytes.len() as u64;
    let asked = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| http_range_header::parse_range_header(v).ok());
    let mut response = match asked.map(|r| r.validate(len)) {
        None => Response::new(Body::from(bytes)),
        Some(Err(_)) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        Some(Ok(ranges)) if ranges.len() == 1 => {
            let (start, end) = (*ranges[0].start(), *ranges[0].end());
            let mut r = (
                StatusCode::PARTIAL_CONTENT,
                bytes.slice(start as usize..=end as usize),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        Some(Ok(_)) => Response::new(Body::from(bytes)),
    };
    response
        .headers_mut()
        .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(range: Option<&str>) -> (StatusCode, Option<String>, Vec<u8>) {
        let mut headers = HeaderMap::new();
        if let Some(r) = range {
            headers.insert(header::RANGE, HeaderValue::from_str(r).unwrap());
        }
        let response = ranged(Bytes::from_static(b"PAR1 some bytes PAR1"), &headers);
        assert_eq!(response.headers()[header::ACCEPT_RANGES], "bytes");
        let status = response.status();
        let range = response
            .headers()
            .get(header::CONTENT_RANGE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), 1 << 10)
            .await
            .unwrap();
        (status, range, body.to_vec())
    }

    #[tokio::test]
    async fn one_range_is_a_206_of_those_bytes_and_the_rest_is_200_or_416() {
        assert_eq!(
            answer(None).await,
            (StatusCode::OK, None, b"PAR1 some bytes PAR1".to_vec())
        );
        assert_eq!(
            answer(Some("bytes=0-3")).await,
            (
                StatusCode::PARTIAL_CONTENT,
                Some("bytes 0-3/20".into()),
                b"PAR1".to_vec()
            )
        );
        assert_eq!(
            answer(Some("bytes=-4")).await,
            (
                StatusCode::PARTIAL_CONTENT,
                Some("bytes 16-19/20".into()),
                b"PAR1".to_vec()
            )
        );
        assert_eq!(
            answer(Some("bytes=5-")).await.2,
            b"some bytes PAR1".to_vec()
        );
        let (status, range, _) = answer(Some("bytes=30-")).await;
        assert_eq!(
            (status, range.as_deref()),
            (StatusCode::RANGE_NOT_SATISFIABLE, Some("bytes */20"))
        );
        assert_eq!(answer(Some("bytes=0-1, 5-6")).await.0, StatusCode::OK);
        assert_eq!(answer(Some("lines=1-2")).await.0, StatusCode::OK);
    }

    #[test]
    fn files_are_read_once_and_the_memory_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"0123456789").unwrap();
        std::fs::write(&b, b"abcdefghij").unwrap();
        let files = Files::new(15, 10);
        assert_eq!(files.kept("ka"), None, "nothing kept before the first read");
        assert_eq!(
            files.read("ka", &a).unwrap(),
            Bytes::from_static(b"0123456789")
        );
        std::fs::remove_file(&a).unwrap();
        assert_eq!(files.read("ka", &a).unwrap().len(), 10, "kept in memory");
        assert_eq!(files.kept("ka"), Some(Bytes::from_static(b"0123456789")));
        assert_eq!(files.read("kb", &b).unwrap().len(), 10);
        assert_eq!(files.kept("ka"), None, "dropped");
        assert!(
            files.read("ka", &a).is_err(),
            "dropped to stay under 15 bytes"
        );
    }
}
