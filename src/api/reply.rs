//! HTTP caching of computed answers (RFC 9110, 9111): the strong `ETag` (a hash of the route, the
//! normalised query, the representation and the data versions it reads, known before any
//! computation; one per content coding, see [`ContentCodingLayer`]), `If-None-Match` → 304, else
//! `If-Modified-Since` → 304, `Last-Modified`, `Cache-Control` (short for current data, a year
//! `immutable` for versioned URLs), `Vary` (on the 304 as on its 200), the licence `Link`, and an
//! in-memory cache of encoded bodies keyed by ETag. Knows nothing of what the bodies mean.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tower::{Layer, Service};
use tower_http::compression::{Compression, CompressionLayer, Predicate};

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

/// The content codings the compression layer offers, best first on a tie.
const CODINGS: [&str; 2] = ["br", "gzip"];

/// The same, gzip first: for answers assembled in gzip from pieces deflated once (a series), which
/// cost a compression per request in br.
const GZIP_FIRST: [&str; 2] = ["gzip", "br"];

/// The content coding of the answer to a request: the best of [`CODINGS`] its `Accept-Encoding`
/// accepts (highest `q`, then br before gzip; `*` accepts both), else `identity`.
pub fn coding(headers: &HeaderMap) -> &'static str {
    coding_in(headers, CODINGS)
}

/// [`coding`], `codings` in their order of preference on a tie.
fn coding_in(headers: &HeaderMap, codings: [&'static str; 2]) -> &'static str {
    let mut best: Option<(f32, usize)> = None;
    let mut star: Option<f32> = None;
    let mut listed: [Option<f32>; 2] = [None, None];
    for entry in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = entry.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .map_or(1.0, |q| q.trim().parse().unwrap_or(0.0f32));
        if name == "*" {
            star = Some(q);
        } else if let Some(i) = codings.iter().position(|c| *c == name) {
            listed[i] = Some(q);
        }
    }
    for (i, q) in listed.iter().enumerate() {
        let q = q.or(star).unwrap_or(0.0);
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, i));
        }
    }
    best.map_or("identity", |(_, i)| codings[i])
}

/// The one coding [`ContentCodingLayer`] chose for this request (`br`, `gzip` or `identity`): it
/// says only that one to what follows.
pub fn chosen(headers: &HeaderMap) -> &'static str {
    match headers
        .get(header::ACCEPT_ENCODING)
        .map(HeaderValue::as_bytes)
    {
        Some(b"br") => "br",
        Some(b"gzip") => "gzip",
        _ => "identity",
    }
}

/// The ETag of `etag`'s representation in `coding`: `"x"` in gzip is `"x-gzip"` (identity keeps
/// `"x"`), so no two codings of an answer share a strong validator (RFC 9110 8.8.3).
pub fn coded(etag: &str, coding: &str) -> String {
    match etag.strip_suffix('"') {
        Some(open) if coding != "identity" && !etag.starts_with("W/") => {
            format!("{open}-{coding}\"")
        }
        _ => etag.to_owned(),
    }
}

/// Layer, outside every other but CORS: the content coding of every answer. It picks the
/// request's coding once ([`coding`]) and says only that one to what follows; turns the
/// `If-None-Match` tags of that coding back into the handlers' tags (a tag of another coding
/// cannot match); sends an identity answer straight from the routes and any other through
/// tower-http's compression (which may still send identity for a small or incompressible body:
/// the ETag then names those identity bytes, the same every time); and gives the answer's `ETag`
/// (200, 206 or 304) its coding. An identity request does not pay for the compression layer.
#[derive(Clone)]
pub struct ContentCodingLayer<P> {
    predicate: P,
    gzip_first: fn(&str) -> bool,
}

impl<P> ContentCodingLayer<P> {
    /// Compresses, when asked, what `predicate` accepts.
    pub fn new(predicate: P) -> ContentCodingLayer<P> {
        ContentCodingLayer {
            predicate,
            gzip_first: |_| false,
        }
    }

    /// Prefers gzip to br, on a tie, for the paths `gzip_first` accepts: those whose answers are
    /// assembled in gzip from pieces deflated once.
    pub fn gzip_first(self, gzip_first: fn(&str) -> bool) -> ContentCodingLayer<P> {
        ContentCodingLayer { gzip_first, ..self }
    }
}

impl<S: Clone, P: Predicate> Layer<S> for ContentCodingLayer<P> {
    type Service = ContentCoding<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        ContentCoding {
            compressed: CompressionLayer::new()
                .compress_when(self.predicate.clone())
                .layer(inner.clone()),
            plain: inner,
            predicate: self.predicate.clone(),
            gzip_first: self.gzip_first,
        }
    }
}

/// The service of [`ContentCodingLayer`].
#[derive(Clone)]
pub struct ContentCoding<S, P> {
    plain: S,
    compressed: Compression<S, P>,
    predicate: P,
    gzip_first: fn(&str) -> bool,
}

impl<S, P> Service<Request> for ContentCoding<S, P>
where
    S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
    P: Predicate + Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        std::task::ready!(self.plain.poll_ready(cx))?;
        self.compressed.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let codings = if (self.gzip_first)(request.uri().path()) {
            GZIP_FIRST
        } else {
            CODINGS
        };
        let coding = coding_in(request.headers(), codings);
        ask_only(request.headers_mut(), coding);
        if coding == "identity" {
            let answer = self.plain.call(request);
            let predicate = self.predicate.clone();
            return Box::pin(async move {
                let mut response = answer.await?;
                // As the compression layer would: an answer it compresses for another coding
                // varies on Accept-Encoding.
                let headers = response.headers();
                if !headers.contains_key(header::CONTENT_ENCODING)
                    && !headers.contains_key(header::CONTENT_RANGE)
                    && !varies_on_coding(headers)
                    && predicate.should_compress(&response)
                {
                    response
                        .headers_mut()
                        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
                }
                Ok(response)
            });
        }
        let answer = self.compressed.call(request);
        Box::pin(async move {
            let mut response = answer.await?.map(axum::body::Body::new);
            if let Some(tag) = response
                .headers()
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(|t| coded(t, coding))
                && let Ok(v) = HeaderValue::from_str(&tag)
            {
                response.headers_mut().insert(header::ETAG, v);
            }
            Ok(response)
        })
    }
}

/// Makes `headers` accept only `coding`, and keeps of their `If-None-Match` the tags of that
/// coding, turned back into the handlers' tags.
fn ask_only(headers: &mut HeaderMap, coding: &'static str) {
    headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(coding));
    if coding == "identity" || !headers.contains_key(header::IF_NONE_MATCH) {
        return;
    }
    let suffix = format!("-{coding}\"");
    let tags: Vec<String> = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter_map(|t| {
            if t == "*" {
                Some(t.to_owned())
            } else {
                t.strip_suffix(&suffix).map(|open| format!("{open}\""))
            }
        })
        .collect();
    // None left: a tag that matches nothing, so If-Modified-Since stays ignored.
    let tags = if tags.is_empty() {
        "\"-\"".to_owned()
    } else {
        tags.join(", ")
    };
    if let Ok(v) = HeaderValue::from_str(&tags) {
        headers.insert(header::IF_NONE_MATCH, v);
    }
}

/// Whether `headers` already name Accept-Encoding in `Vary`.
fn varies_on_coding(headers: &HeaderMap) -> bool {
    headers.get_all(header::VARY).iter().any(|v| {
        v.as_bytes()
            .windows(15)
            .any(|w| w.eq_ignore_ascii_case(b"accept-encoding"))
    })
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
/// tenth of the budget is not kept.
pub struct Cache {
    entries: quick_cache::sync::Cache<String, Arc<Reply>, Size>,
    max_bytes: usize,
}

/// An entry's weight: its body and its key, in bytes.
#[derive(Clone)]
struct Size;

impl quick_cache::Weighter<String, Arc<Reply>> for Size {
    fn weight(&self, etag: &String, reply: &Arc<Reply>) -> u64 {
        (reply.body.len() + etag.len()) as u64
    }
}

impl Cache {
    pub fn new(max_bytes: usize) -> Cache {
        // The number of entries only sizes the tables; the bound is in bytes.
        let entries = (max_bytes / 4096).max(16);
        Cache {
            entries: quick_cache::sync::Cache::with_weighter(entries, max_bytes as u64, Size),
            max_bytes,
        }
    }

    pub fn get(&self, etag: &str) -> Option<Arc<Reply>> {
        self.entries.get(etag)
    }

    pub fn insert(&self, reply: Arc<Reply>) {
        if reply.body.len() + reply.etag.len() > self.max_bytes / 10 {
            return;
        }
        self.entries.insert(reply.etag.clone(), reply);
    }

    /// Entries and bytes held.
    pub fn size(&self) -> (usize, usize) {
        (self.entries.len(), self.entries.weight() as usize)
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
    fn each_content_coding_has_its_own_etag_and_the_coding_follows_accept_encoding() {
        let asked = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            coding(&h)
        };
        assert_eq!(coding(&HeaderMap::new()), "identity");
        assert_eq!(asked("gzip, deflate, br"), "br");
        assert_eq!(asked("gzip"), "gzip");
        assert_eq!(asked("br;q=0.5, gzip"), "gzip");
        assert_eq!(asked("br;q=0, gzip;q=0"), "identity");
        assert_eq!(asked("*"), "br");
        assert_eq!(asked("identity"), "identity");
        let gzip_first = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            coding_in(&h, GZIP_FIRST)
        };
        assert_eq!(gzip_first("gzip, deflate, br, zstd"), "gzip");
        assert_eq!(gzip_first("br, gzip;q=0.9"), "br", "q still decides");
        assert_eq!(gzip_first("br"), "br");
        let tag = etag(&["x"]);
        assert_eq!(coded(&tag, "identity"), tag);
        let gzip = coded(&tag, "gzip");
        assert!(gzip.ends_with("-gzip\"") && gzip.starts_with('"'));
        assert_ne!(gzip, coded(&tag, "br"));
    }

    #[tokio::test]
    async fn the_content_coding_layer_compresses_only_when_asked_and_tags_each_coding() {
        use axum::routing::get;
        use tower::ServiceExt;
        use tower_http::compression::predicate::SizeAbove;
        // The handler sees one coding and its own tags; it answers 304 to its own tag.
        let routes = axum::Router::new().route(
            "/x",
            get(|headers: HeaderMap| async move {
                let asked = headers[header::ACCEPT_ENCODING]
                    .to_str()
                    .unwrap()
                    .to_owned();
                if headers.get(header::IF_NONE_MATCH).map(|v| v.as_bytes()) == Some(b"\"t\"") {
                    return (StatusCode::NOT_MODIFIED, [(header::ETAG, "\"t\"")]).into_response();
                }
                let body = format!(
                    "{{\"coding\":\"{asked}\",\"pad\":\"{}\"}}",
                    "a".repeat(1000)
                );
                (
                    [
                        (header::ETAG, "\"t\""),
                        (header::CONTENT_TYPE, "application/json"),
                    ],
                    body,
                )
                    .into_response()
            }),
        );
        let app = routes.layer(ContentCodingLayer::new(SizeAbove::new(256)));
        let ask = |coding: Option<&'static str>, tag: Option<&'static str>| {
            let mut request = Request::builder().uri("/x");
            if let Some(c) = coding {
                request = request.header(header::ACCEPT_ENCODING, c);
            }
            if let Some(t) = tag {
                request = request.header(header::IF_NONE_MATCH, t);
            }
            app.clone()
                .oneshot(request.body(axum::body::Body::empty()).unwrap())
        };
        let vary = |r: &Response| -> Vec<String> {
            r.headers()
                .get_all(header::VARY)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        };
        let plain = ask(None, None).await.unwrap();
        assert_eq!(plain.headers()[header::ETAG], "\"t\"");
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(
            vary(&plain),
            ["accept-encoding"],
            "as compression would say"
        );
        let body = axum::body::to_bytes(plain.into_body(), 1 << 20)
            .await
            .unwrap();
        assert!(body.starts_with(br#"{"coding":"identity""#));

        let gzip = ask(Some("gzip"), None).await.unwrap();
        assert_eq!(gzip.headers()[header::ETAG], "\"t-gzip\"");
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(vary(&gzip), ["accept-encoding"]);

        // The gzip tag is the handler's tag again; the identity tag does not match in gzip.
        let revalidated = ask(Some("gzip"), Some("\"t-gzip\"")).await.unwrap();
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(revalidated.headers()[header::ETAG], "\"t-gzip\"");
        let other = ask(Some("gzip"), Some("\"t\"")).await.unwrap();
        assert_eq!(other.status(), StatusCode::OK);
        let identity = ask(None, Some("\"t\"")).await.unwrap();
        assert_eq!(identity.status(), StatusCode::NOT_MODIFIED);
    }

    #[tokio::test]
    async fn a_gzip_first_path_gets_gzip_on_a_tie_and_a_body_already_coded_passes_as_it_is() {
        use std::io::Write as _;

        use axum::routing::get;
        use tower::ServiceExt;
        use tower_http::compression::predicate::SizeAbove;
        let text = "a".repeat(1000);
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        let assembled = Bytes::from(e.finish().unwrap());
        let answer = {
            let (text, assembled) = (text.clone(), assembled.clone());
            move |headers: HeaderMap| async move {
                let mut response = if headers[header::ACCEPT_ENCODING] == "gzip" {
                    let mut r = assembled.into_response();
                    r.headers_mut()
                        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                    r
                } else {
                    text.into_response()
                };
                response
                    .headers_mut()
                    .insert(header::ETAG, HeaderValue::from_static("\"t\""));
                response
            }
        };
        let app = axum::Router::new()
            .route("/assembled", get(answer.clone()))
            .route("/other", get(answer))
            .layer(ContentCodingLayer::new(SizeAbove::new(256)).gzip_first(|p| p == "/assembled"));
        let ask = |path: &str| {
            let request = Request::builder()
                .uri(path)
                .header(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
                .body(axum::body::Body::empty())
                .unwrap();
            app.clone().oneshot(request)
        };
        let gzip = ask("/assembled").await.unwrap();
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(gzip.headers()[header::ETAG], "\"t-gzip\"");
        let body = axum::body::to_bytes(gzip.into_body(), 1 << 20)
            .await
            .unwrap();
        assert_eq!(body, assembled, "not coded again");
        let br = ask("/other").await.unwrap();
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(br.headers()[header::ETAG], "\"t-br\"");
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
