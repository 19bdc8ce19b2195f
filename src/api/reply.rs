//! HTTP caching of computed answers (RFC 9110, 9111): the strong `ETag` (a hash of the route, the
//! normalised query, the representation and the data versions it reads, known before any
//! computation; one per content coding, see [`super::coding`]), `If-None-Match` → 304, else
//! `If-Modified-Since` → 304, `Last-Modified`, `Cache-Control` (short for current data, a year
//! `immutable` for versioned URLs), `Vary` (on the 304 as on its 200), the licence `Link`, and an
//! in-memory cache of encoded bodies keyed by ETag. Knows nothing of what the bodies mean.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::payload::Payload;
use chrono::{DateTime, Utc};
use xxhash_rust::xxh3::Xxh3;

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
    /// The content coding the body is already in (`Content-Encoding`), if any: the compression
    /// layer leaves such a body as it is.
    pub coding: Option<&'static str>,
}

/// A strong ETag (quoted) from the parts that determine an answer. Parts are length-prefixed so
/// that no two different lists hash alike. The hash is XXH3-128: an ETag needs no cryptographic
/// strength (the parts are ours: route, query, versions), and an uncached answer computes one per
/// request, where SHA-256 cost a tenth of the answer's instructions.
pub fn etag(parts: &[&str]) -> String {
    let mut hash = Xxh3::new();
    for part in parts {
        hash.update(&(part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    // The digest's 16 bytes as 32 hex digits, quoted (`format!("{:032x}")` cost half the hash).
    let mut quoted = String::with_capacity(34);
    quoted.push('"');
    quoted.push_str(&hex::encode(hash.digest128().to_be_bytes()));
    quoted.push('"');
    quoted
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

/// Whether the client's copy is current: `If-None-Match` when the request has one (it wins, RFC
/// 9110 13.2.2), else `If-Modified-Since` against `last_modified` (whole seconds, as HTTP dates
/// carry). A date that does not parse is ignored.
pub fn is_fresh(headers: &HeaderMap, etag: &str, last_modified: Option<DateTime<Utc>>) -> bool {
    if headers.contains_key(header::IF_NONE_MATCH) {
        return not_modified(headers, etag);
    }
    let (Some(modified), Some(since)) = (
        last_modified,
        headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok()),
    ) else {
        return false;
    };
    modified.timestamp() <= since.timestamp()
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(t: DateTime<Utc>) -> String {
    // httpdate writes the IMF-fixdate directly (chrono's strftime parsing cost more per answer).
    httpdate::fmt_http_date(std::time::SystemTime::from(t))
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
        HeaderValue::from_static("Accept, Accept-Language, Accept-Encoding"),
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
        // Room for these headers and CORS's at once: the map is not grown three times over.
        headers.reserve(12);
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
        if let Some(coding) = self.coding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
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
/// hash of its body: 304 when `If-None-Match` matches (it has no `Last-Modified`).
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
        coding: None,
    };
    if not_modified(headers, &reply.etag) {
        reply.not_modified()
    } else {
        (&reply).into_response()
    }
}

/// Encoded answers by ETag, bounded in total bytes. When it is full, quick_cache's S3-FIFO
/// eviction makes room: an answer asked for once goes first, one asked for again stays, so a
/// stream of one-off queries (random geo sets, an old version's answers, which a new data
/// version makes unreachable) does not push out what dashboards poll. An answer larger than a
/// tenth of the budget is not kept. `V` is what is kept: a whole reply (the answer cache), or an
/// answer's bytes in one content coding (`coding::ContentCodingLayer`).
pub struct Cache<V = Arc<Reply>> {
    entries: quick_cache::sync::Cache<String, V, Size>,
    max_bytes: usize,
}

/// What a [`Cache`] keeps, weighed in bytes.
pub trait Weighed {
    fn bytes(&self) -> usize;
}

impl Weighed for Arc<Reply> {
    fn bytes(&self) -> usize {
        self.body.len()
    }
}

impl Weighed for Bytes {
    fn bytes(&self) -> usize {
        self.len()
    }
}

/// An entry's weight: its value and its key, in bytes.
#[derive(Clone)]
pub struct Size;

impl<V: Weighed> quick_cache::Weighter<String, V> for Size {
    fn weight(&self, key: &String, value: &V) -> u64 {
        (value.bytes() + key.len()) as u64
    }
}

impl<V: Weighed + Clone> Cache<V> {
    pub fn new(max_bytes: usize) -> Cache<V> {
        // The number of entries only sizes the tables; the bound is in bytes.
        let entries = (max_bytes / 4096).max(16);
        Cache {
            entries: quick_cache::sync::Cache::with_weighter(entries, max_bytes as u64, Size),
            max_bytes,
        }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        self.entries.get(key)
    }

    /// Keeps `value` under `key`, unless it weighs more than a tenth of the budget.
    pub fn keep(&self, key: String, value: V) {
        if value.bytes() + key.len() > self.max_bytes / 10 {
            return;
        }
        self.entries.insert(key, value);
    }

    /// Entries and bytes held.
    pub fn size(&self) -> (usize, usize) {
        (self.entries.len(), self.entries.weight() as usize)
    }
}

impl Cache<Arc<Reply>> {
    /// Keeps `reply` under its ETag.
    pub fn insert(&self, reply: Arc<Reply>) {
        self.keep(reply.etag.clone(), reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_date_is_an_imf_fixdate_in_whole_seconds() {
        let t = DateTime::parse_from_rfc3339("1994-11-06T08:49:37.987654321Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        let t = DateTime::parse_from_rfc3339("2026-12-01T00:00:09+01:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(http_date(t), "Mon, 30 Nov 2026 23:00:09 GMT");
    }

    #[test]
    fn an_etag_changes_with_any_part_and_parts_do_not_run_together() {
        let a = etag(&["series", "geo=BE", "v1"]);
        assert_eq!(a, etag(&["series", "geo=BE", "v1"]));
        assert_ne!(a, etag(&["series", "geo=BE", "v2"]));
        assert_ne!(etag(&["ab", "c"]), etag(&["a", "bc"]));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
        // The 128-bit digest in 32 lower-case hex digits, leading zeros kept.
        let mut hash = Xxh3::new();
        hash.update(&1u64.to_le_bytes());
        hash.update(b"x");
        assert_eq!(etag(&["x"]), format!("\"{:032x}\"", hash.digest128()));
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
    fn if_modified_since_answers_304_only_without_if_none_match() {
        let modified = DateTime::from_timestamp(784111777, 0);
        let mut h = HeaderMap::new();
        assert!(!is_fresh(&h, "\"t\"", modified));
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert!(is_fresh(&h, "\"t\"", modified));
        assert!(!is_fresh(&h, "\"t\"", None));
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Sat, 05 Nov 1994 08:49:37 GMT"),
        );
        assert!(!is_fresh(&h, "\"t\"", modified));
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Tue, 01 Jan 2030 00:00:00 GMT"),
        );
        assert!(is_fresh(&h, "\"t\"", modified));
        // If-None-Match wins (RFC 9110 13.2.2): a tag that differs is a 200 whatever the date.
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!is_fresh(&h, "\"t\"", modified));
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("not a date"),
        );
        h.remove(header::IF_NONE_MATCH);
        assert!(!is_fresh(&h, "\"t\"", modified));
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
            coding: None,
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
    fn the_cache_is_bounded_in_bytes_skips_large_bodies_and_keeps_what_is_asked_again() {
        let cache = Cache::new(100_000);
        let reply = |tag: &str, len: usize| {
            Arc::new(Reply {
                body: Bytes::from(vec![b'x'; len]).into(),
                content_type: "text/plain",
                etag: tag.to_owned(),
                last_modified: None,
                freshness: Freshness::Current,
                language: None,
                licence: None,
                filename: None,
                coding: None,
            })
        };
        cache.insert(reply("big", 10_001));
        assert!(cache.get("big").is_none(), "over a tenth of the budget");
        cache.insert(reply("hot", 999));
        cache.insert(reply("b", 998));
        assert_eq!(cache.size(), (2, 2_001));
        cache.insert(reply("b", 1_998));
        assert_eq!(cache.size(), (2, 3_001), "a key replaced, not added");
        // What a dashboard polls, among streams of answers asked for once: before it (the
        // cache full of them) and after it.
        for i in 0..1_000 {
            cache.insert(reply(&format!("before{i:03}"), 995));
            assert!(cache.size().1 <= 100_000, "within the budget");
        }
        cache.insert(reply("polled", 999));
        for i in 0..1_000 {
            assert!(
                cache.get("hot").is_some(),
                "still held after {i} one-off answers"
            );
            assert!(
                cache.get("polled").is_some(),
                "still held after {i} one-off answers"
            );
            cache.insert(reply(&format!("once{i:03}"), 996));
            assert!(cache.size().1 <= 100_000, "within the budget");
        }
    }
}
