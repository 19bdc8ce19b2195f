//! HTTP caching of computed answers: the strong `ETag` (a hash of the route, the normalised query,
//! the representation and the data versions it reads, known before any computation),
//! `If-None-Match` → 304, `Last-Modified`, `Cache-Control` (short for current data, a year
//! `immutable` for versioned URLs), `Vary`, the licence `Link`, and an in-memory cache of encoded
//! bodies keyed by ETag. Knows nothing of what the bodies mean.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::payload::Payload;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// How long a client or proxy may reuse an answer about current data without revalidating.
pub const CURRENT_MAX_AGE: u32 = 60;

/// Whether the answer can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// About the current data: short `max-age`, then revalidate.
    Current,
    /// About one immutable version: a year, `immutable`.
    Immutable,
    /// About the service's state (health, metrics): revalidate every time (`no-cache`).
    Revalidate,
}

/// An encoded answer with what its headers need.
#[derive(Debug, Clone)]
pub struct Reply {
    pub body: Payload,
    pub content_type: &'static str,
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
    pub freshness: Freshness,
    /// `Content-Language`, for answers with texts.
    pub language: Option<&'static str>,
    /// The licence URL of the data, for `Link: <…>; rel="license"`.
    pub licence: Option<String>,
    /// A file name, for `Content-Disposition: attachment` (downloads, CSV).
    pub filename: Option<String>,
}

/// A strong ETag (quoted) from the parts that determine an answer. Parts are length-prefixed so
/// that no two different lists hash alike.
pub fn etag(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    format!("\"{}\"", hex::encode(&hash.finalize()[..16]))
}

/// Whether `If-None-Match` matches `etag` (weak comparison, as RFC 9110 asks for this header).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || opaque(t) == ours)
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn cache_control(freshness: Freshness) -> HeaderValue {
    match freshness {
        Freshness::Current => HeaderValue::from_static("public, max-age=60, must-revalidate"),
        Freshness::Immutable => HeaderValue::from_static("public, max-age=31536000, immutable"),
        Freshness::Revalidate => HeaderValue::from_static("no-cache"),
    }
}

/// The validator and caching headers shared by a 200 and its 304.
pub fn caching_headers(
    headers: &mut HeaderMap,
    etag: &str,
    last_modified: Option<DateTime<Utc>>,
    freshness: Freshness,
    licence: Option<&str>,
) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
    if let Some(t) = last_modified
        && let Ok(v) = HeaderValue::from_str(&http_date(t))
    {
        headers.insert(header::LAST_MODIFIED, v);
    }
    headers.insert(header::CACHE_CONTROL, cache_control(freshness));
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    if let Some(url) = licence
        && let Ok(v) = HeaderValue::from_str(&format!("<{url}>; rel=\"license\""))
    {
        headers.insert(header::LINK, v);
    }
}

impl Reply {
    /// The 304 for this answer: validators and caching headers, no body.
    pub fn not_modified(&self) -> Response {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        caching_headers(
            response.headers_mut(),
            &self.etag,
            self.last_modified,
            self.freshness,
            self.licence.as_deref(),
        );
        response
    }
}

impl IntoResponse for &Reply {
    fn into_response(self) -> Response {
        let mut response = Response::new(self.body.clone().into_body());
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        caching_headers(
            headers,
            &self.etag,
            self.last_modified,
            self.freshness,
            self.licence.as_deref(),
        );
        if let Some(lang) = self.language {
            headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang));
        }
        if let Some(name) = &self.filename
            && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
        response
    }
}

/// An answer built on every request (health, metrics, the OpenAPI document), its strong ETag the
/// hash of its body: 304 when `If-None-Match` matches.
pub fn by_body(
    headers: &HeaderMap,
    body: Bytes,
    content_type: &'static str,
    freshness: Freshness,
) -> Response {
    let reply = Reply {
        etag: etag(&[content_type, &String::from_utf8_lossy(&body)]),
        body: body.into(),
        content_type,
        last_modified: None,
        freshness,
        language: None,
        licence: None,
        filename: None,
    };
    if not_modified(headers, &reply.etag) {
        reply.not_modified()
    } else {
        (&reply).into_response()
    }
}

/// Encoded answers by ETag, bounded in total bytes: when an answer would overflow it, the cache
/// is emptied first (answers are cheap to compute once, and a new data version makes the old
/// entries unreachable anyway). An answer larger than a tenth of the budget is not kept.
pub struct Cache {
    entries: RwLock<Entries>,
    max_bytes: usize,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Arc<Reply>>,
    bytes: usize,
}

impl Cache {
    pub fn new(max_bytes: usize) -> Cache {
        Cache {
            entries: RwLock::new(Entries::default()),
            max_bytes,
        }
    }

    pub fn get(&self, etag: &str) -> Option<Arc<Reply>> {
        self.entries.read().ok()?.map.get(etag).cloned()
    }

    pub fn insert(&self, reply: Arc<Reply>) {
        let size = reply.body.len() + reply.etag.len();
        if size > self.max_bytes / 10 {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.bytes + size > self.max_bytes {
                entries.map.clear();
                entries.bytes = 0;
            }
            if let Some(old) = entries.map.insert(reply.etag.clone(), reply) {
                entries.bytes -= old.body.len() + old.etag.len();
            }
            entries.bytes += size;
        }
    }

    /// Entries and bytes held.
    pub fn size(&self) -> (usize, usize) {
        self.entries
            .read()
            .map(|e| (e.map.len(), e.bytes))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_changes_with_any_part_and_parts_do_not_run_together() {
        let a = etag(&["series", "geo=BE", "v1"]);
        assert_eq!(a, etag(&["series", "geo=BE", "v1"]));
        assert_ne!(a, etag(&["series", "geo=BE", "v2"]));
        assert_ne!(etag(&["ab", "c"]), etag(&["a", "bc"]));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
    }

    #[test]
    fn if_none_match_matches_lists_weak_forms_and_star() {
        let tag = etag(&["x"]);
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, &tag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"other\", W/{tag}")).unwrap(),
        );
        assert!(not_modified(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!not_modified(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, &tag));
    }

    #[test]
    fn a_304_carries_the_same_validators_as_its_200() {
        let reply = Reply {
            body: Payload::from("{}"),
            content_type: "application/json",
            etag: etag(&["x"]),
            last_modified: Some(DateTime::from_timestamp(784111777, 0).unwrap()),
            freshness: Freshness::Immutable,
            language: None,
            licence: Some("https://creativecommons.org/licenses/by/4.0/".into()),
            filename: None,
        };
        let ok = (&reply).into_response();
        let nm = reply.not_modified();
        assert_eq!(nm.status(), StatusCode::NOT_MODIFIED);
        for h in [
            header::ETAG,
            header::CACHE_CONTROL,
            header::LAST_MODIFIED,
            header::VARY,
            header::LINK,
        ] {
            assert_eq!(ok.headers().get(&h), nm.headers().get(&h), "{h}");
        }
        assert_eq!(
            ok.headers()[header::LAST_MODIFIED],
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert!(
            ok.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
    }

    #[test]
    fn the_cache_is_bounded_in_bytes_and_skips_large_bodies() {
        let cache = Cache::new(100);
        let reply = |tag: &str, body: &[u8]| {
            Arc::new(Reply {
                body: Bytes::copy_from_slice(body).into(),
                content_type: "text/plain",
                etag: tag.to_owned(),
                last_modified: None,
                freshness: Freshness::Current,
                language: None,
                licence: None,
                filename: None,
            })
        };
        cache.insert(reply("a", b"1"));
        cache.insert(reply("big", b"123456789012"));
        assert!(cache.get("big").is_none());
        cache.insert(reply("b", b"12"));
        assert_eq!(cache.size(), (2, 5));
        cache.insert(reply("b", b"123"));
        assert_eq!(cache.size(), (2, 6));
        for i in 0..10 {
            cache.insert(reply(&format!("e{i}"), b"12345678"));
            assert!(cache.size().1 <= 100);
        }
        assert!(cache.get("a").is_none());
        assert!(cache.get("e9").is_some());
    }
}
