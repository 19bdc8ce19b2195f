//! Content codings (RFC 9110 8.4, 12.5.3): the one coding of each answer, chosen from the
//! request's `Accept-Encoding`; one strong ETag per coding; and each representation compressed
//! once. An answer with a strong ETag is the same bytes every time it has that ETag, so its
//! compressed bytes are kept by the coded ETag (bounded in bytes, like the answer cache): a cached
//! answer asked in br or gzip costs a copy, not a compression. Answers without a strong ETag, and
//! what is not a GET, are compressed as they are sent (tower-http). Knows nothing of what the
//! bodies mean.

use std::convert::Infallible;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tower::{Layer, Service, ServiceExt as _};
use tower_http::compression::{CompressionLayer, Predicate};

use super::reply::Cache;

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
/// cannot match); sends an identity answer straight from the routes, an answer already coded as it
/// is, one with a strong ETag from the bytes compressed for that ETag (compressed the first time,
/// then kept), any other through tower-http's compression (which may still send identity for a
/// small or incompressible body: the ETag then names those identity bytes, the same every time);
/// and gives the answer's `ETag` (200, 206 or 304) its coding. An identity request does not pay
/// for the compression layer.
#[derive(Clone)]
pub struct ContentCodingLayer<P> {
    predicate: P,
    gzip_first: fn(&str) -> bool,
    kept: Arc<Kept>,
}

impl<P> ContentCodingLayer<P> {
    /// Compresses, when asked, what `predicate` accepts, keeping up to `max_bytes` of compressed
    /// answers.
    pub fn new(predicate: P, max_bytes: usize) -> ContentCodingLayer<P> {
        ContentCodingLayer {
            predicate,
            gzip_first: |_| false,
            kept: Arc::new(Cache::new(max_bytes)),
        }
    }

    /// Prefers gzip to br, on a tie, for the paths `gzip_first` accepts: those whose answers are
    /// assembled in gzip from pieces deflated once.
    pub fn gzip_first(self, gzip_first: fn(&str) -> bool) -> ContentCodingLayer<P> {
        ContentCodingLayer { gzip_first, ..self }
    }
}

impl<S, P: Predicate> Layer<S> for ContentCodingLayer<P> {
    type Service = ContentCoding<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        ContentCoding {
            inner,
            predicate: self.predicate.clone(),
            gzip_first: self.gzip_first,
            kept: self.kept.clone(),
        }
    }
}

/// The service of [`ContentCodingLayer`].
#[derive(Clone)]
pub struct ContentCoding<S, P> {
    inner: S,
    predicate: P,
    gzip_first: fn(&str) -> bool,
    kept: Arc<Kept>,
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
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let codings = if (self.gzip_first)(request.uri().path()) {
            GZIP_FIRST
        } else {
            CODINGS
        };
        let coding = coding_in(request.headers(), codings);
        ask_only(request.headers_mut(), coding);
        let get = request.method() == Method::GET;
        let answer = self.inner.call(request);
        let predicate = self.predicate.clone();
        if coding == "identity" {
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
        let kept = self.kept.clone();
        Box::pin(async move {
            let response = answer.await?;
            let mut response = match kept_key(&response, get, &predicate, coding) {
                Some(key) => from_kept(&kept, response, key, coding).await,
                // Already coded (a page kept compressed, a series assembled in gzip): as it is.
                None if response.headers().contains_key(header::CONTENT_ENCODING) => response,
                None => as_sent(response, coding, predicate).await,
            };
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

/// The largest answer whose compressed bytes are kept (a larger one is compressed as it is sent).
const KEEP_BELOW: u64 = 4 << 20;

/// The level of a kept answer in `coding`: gzip's 6 (its default), brotli's quality 4 (as
/// tower-http compresses on the fly). An answer asked once (a random query) is compressed once
/// too, so the level is one a request can wait for. The compression runs on the request's task,
/// as tower-http's does: at most one per worker thread at a time, so their buffers stay few.
fn kept_level(coding: &str) -> u32 {
    if coding == "br" { 4 } else { 6 }
}

/// The key its compressed bytes are kept under, for an answer that can be kept: a 200 to a GET,
/// with a strong ETag, not coded yet, of a known length, that `predicate` would compress.
fn kept_key<P: Predicate>(
    response: &Response,
    get: bool,
    predicate: &P,
    coding: &'static str,
) -> Option<String> {
    let headers = response.headers();
    let etag = headers.get(header::ETAG)?.to_str().ok()?;
    let len = http_body::Body::size_hint(response.body()).exact()?;
    (get && response.status() == StatusCode::OK
        && etag.starts_with('"')
        && len <= KEEP_BELOW
        && !headers.contains_key(header::CONTENT_ENCODING)
        && !headers.contains_key(header::CONTENT_RANGE)
        && predicate.should_compress(response))
    .then(|| coded(etag, coding))
}

/// `response` compressed by tower-http as it is sent.
async fn as_sent<P: Predicate>(response: Response, coding: &'static str, predicate: P) -> Response {
    // A service that answers `response` once: tower-http compresses what a service answers.
    let mut response = Some(response);
    let once = tower::service_fn(move |_: Request| {
        std::future::ready(Ok::<_, Infallible>(response.take().unwrap_or_default()))
    });
    let mut asked = Request::new(axum::body::Body::empty());
    asked
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, HeaderValue::from_static(coding));
    match CompressionLayer::new()
        .compress_when(predicate)
        .layer(once)
        .oneshot(asked)
        .await
    {
        Ok(response) => response.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}

/// Compressed answers by coded ETag, bounded in total bytes like the answer cache.
type Kept = Cache<Bytes>;

/// `response` in `coding`: the bytes `kept` under `key`, else its body compressed (then kept).
async fn from_kept(kept: &Kept, response: Response, key: String, coding: &'static str) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match kept.get(&key) {
        Some(bytes) => bytes,
        None => {
            let plain = match axum::body::to_bytes(body, KEEP_BELOW as usize).await {
                Ok(plain) => plain,
                Err(error) => {
                    tracing::error!(%error, "An answer's body could not be read to compress it.");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            };
            match compress(&plain, coding, kept_level(coding)) {
                Ok(compressed) => {
                    let compressed = Bytes::from(compressed);
                    kept.keep(key, compressed.clone());
                    compressed
                }
                Err(error) => {
                    // The identity bytes, then: what the ETag names is still the same.
                    tracing::warn!(%error, coding, "An answer could not be compressed; sent as it is.");
                    return Response::from_parts(parts, axum::body::Body::from(plain));
                }
            }
        }
    };
    let headers = &mut parts.headers;
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    // Ranges are of the identity bytes (a Range request is answered in identity).
    headers.remove(header::ACCEPT_RANGES);
    if !varies_on_coding(headers) {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// `bytes` in `coding` (`br` or `gzip`, else as they are) at `level` (gzip's 0–9, brotli's
/// quality 0–11).
pub fn compress(bytes: &[u8], coding: &str, level: u32) -> std::io::Result<Vec<u8>> {
    match coding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            e.write_all(bytes)?;
            e.finish()
        }
        "br" => {
            let mut out = Vec::new();
            // A window no larger than the bytes (at least brotli's smallest, 2^10): a small
            // answer does not allocate the default 4 MB window.
            let lgwin = (usize::BITS - bytes.len().max(1).leading_zeros()).clamp(10, 22) as i32;
            let params = brotli::enc::BrotliEncoderParams {
                quality: level as i32,
                lgwin,
                size_hint: bytes.len(),
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
            Ok(out)
        }
        _ => Ok(bytes.to_vec()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::reply::etag;

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
        let app = routes.layer(ContentCodingLayer::new(SizeAbove::new(256), 1 << 20));
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
            .layer(
                ContentCodingLayer::new(SizeAbove::new(256), 1 << 20)
                    .gzip_first(|p| p == "/assembled"),
            );
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

    #[tokio::test]
    async fn an_answer_with_a_strong_etag_is_compressed_once_per_coding_then_sent_from_what_was_kept()
     {
        use std::io::Read as _;
        use std::sync::atomic::{AtomicUsize, Ordering};

        use axum::routing::get;
        use tower_http::compression::predicate::SizeAbove;
        static ANSWERED: AtomicUsize = AtomicUsize::new(0);
        let text =
            "{\"rows\":[".to_owned() + &"{\"geo\":\"BE\",\"value\":92.5},".repeat(200) + "{}]}";
        let answer = {
            let text = text.clone();
            move |headers: HeaderMap| {
                let text = text.clone();
                async move {
                    ANSWERED.fetch_add(1, Ordering::Relaxed);
                    let mut r =
                        ([(header::CONTENT_TYPE, "application/json")], text).into_response();
                    // "/kept" has a strong ETag; "/weak" only a weak one: compressed as sent.
                    let tag = if headers.contains_key("x-weak") {
                        "W/\"w\""
                    } else {
                        "\"t\""
                    };
                    r.headers_mut()
                        .insert(header::ETAG, HeaderValue::from_static(tag));
                    r.headers_mut()
                        .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
                    r
                }
            }
        };
        let layer = ContentCodingLayer::new(SizeAbove::new(256), 1 << 20);
        let kept = layer.kept.clone();
        let app = axum::Router::new().route("/kept", get(answer)).layer(layer);
        let ask = |coding: &'static str, weak: bool| {
            let mut request = Request::builder()
                .uri("/kept")
                .header(header::ACCEPT_ENCODING, coding);
            if weak {
                request = request.header("x-weak", "1");
            }
            app.clone()
                .oneshot(request.body(axum::body::Body::empty()).unwrap())
        };
        let decode = |coding: &str, bytes: &[u8]| -> String {
            let mut out = String::new();
            match coding {
                "gzip" => flate2::read::GzDecoder::new(bytes)
                    .read_to_string(&mut out)
                    .unwrap(),
                _ => brotli::Decompressor::new(bytes, 4096)
                    .read_to_string(&mut out)
                    .unwrap(),
            };
            out
        };
        for coding in ["br", "gzip"] {
            let first = ask(coding, false).await.unwrap();
            assert_eq!(first.headers()[header::CONTENT_ENCODING], coding);
            assert_eq!(
                first.headers()[header::ETAG],
                format!("\"t-{coding}\"").as_str()
            );
            assert!(
                first.headers().get(header::ACCEPT_RANGES).is_none(),
                "ranges are of identity"
            );
            let length: usize = first.headers()[header::CONTENT_LENGTH]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let first = axum::body::to_bytes(first.into_body(), 1 << 20)
                .await
                .unwrap();
            assert_eq!(first.len(), length);
            assert!(
                first.len() * 10 < text.len(),
                "{coding}: {} bytes",
                first.len()
            );
            assert_eq!(decode(coding, &first), text);
            let again = ask(coding, false).await.unwrap();
            let again = axum::body::to_bytes(again.into_body(), 1 << 20)
                .await
                .unwrap();
            assert_eq!(again, first, "{coding}: the kept bytes");
        }
        // The routes answered every request (their answers are cheap); each coding was
        // compressed once and kept.
        assert_eq!(ANSWERED.load(Ordering::Relaxed), 4);
        assert_eq!(kept.size().0, 2, "one per coding");
        // A weak ETag is not kept: compressed as it is sent, and still decodes.
        let weak = ask("gzip", true).await.unwrap();
        assert_eq!(weak.headers()[header::CONTENT_ENCODING], "gzip");
        let weak = axum::body::to_bytes(weak.into_body(), 1 << 20)
            .await
            .unwrap();
        assert_eq!(decode("gzip", &weak), text);
        assert_eq!(kept.size().0, 2, "a weak ETag is not kept");
    }
}
