//! The HTTP client every fetcher uses: timeouts, gzip, and retries with exponential backoff and jitter.
//!
//! Retried: HTTP 5xx, 429 (honouring `Retry-After`), timeouts, connection failures and bodies cut short.
//! Not retried: any other 4xx — the request itself is wrong and asking again won't help — a redirect loop
//! or chain longer than [`MAX_REDIRECTS`], and a body larger than `[upstream] max_response_mb`. The body is
//! read chunk by chunk against that bound, so a hostile or broken upstream cannot make memory grow past it.
//! This module knows nothing of formats or of the store: it returns bytes or says why it couldn't.
//!
//! Error messages leave the URL out (the caller says it once, shortened by [`short_url`]).

use std::time::Duration;

use bytes::Bytes;
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{
    ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};

use crate::config::Upstream;

/// Longest `Retry-After` we are willing to wait for; a longer one is treated as a failure.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Redirects followed before giving up (a loop is given up on at once).
pub const MAX_REDIRECTS: usize = 10;

const MIB: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("HTTP {status}{}", snippet_suffix(.body))]
    Status {
        url: String,
        status: u16,
        /// The body, kept so callers can read an upstream error document.
        body: Bytes,
        attempts: u32,
    },
    #[error("timed out after {attempts} attempt(s) (timeout {timeout_secs} s each)")]
    Timeout {
        url: String,
        attempts: u32,
        timeout_secs: u64,
    },
    #[error("could not reach the server after {attempts} attempt(s): {reason}")]
    Transport {
        url: String,
        attempts: u32,
        reason: String,
    },
    #[error(
        "the response body was cut short or could not be decoded after {attempts} attempt(s): {reason}"
    )]
    Body {
        url: String,
        attempts: u32,
        reason: String,
    },
    #[error("the server asked us to wait {secs} s (Retry-After), longer than the {} s we accept", MAX_RETRY_AFTER.as_secs())]
    RetryAfterTooLong { url: String, secs: u64 },
    #[error(
        "the response is larger than the {limit_mb} MiB we read ({}); nothing was kept. If the dataset \
         really is that big, raise [upstream] max_response_mb (DESI_CITY_MAX_RESPONSE_MB), else narrow its query",
        too_large_detail(*.declared, *.received)
    )]
    TooLarge {
        url: String,
        /// `Content-Length`, when the server declared one.
        declared: Option<u64>,
        /// Bytes read (after decompression) before giving up.
        received: u64,
        limit_mb: u64,
    },
    #[error("{reason}; not retried, as following it again would end the same way")]
    Redirect { url: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

fn too_large_detail(declared: Option<u64>, received: u64) -> String {
    let mb = |n: u64| format!("{:.1} MiB", n as f64 / MIB as f64);
    match declared {
        Some(d) => format!("it declares {} ({d} bytes) in Content-Length", mb(d)),
        None => format!(
            "{} had come, with more to follow, when we stopped",
            mb(received)
        ),
    }
}

/// A URL as error messages show it: the last path segment and, of the query, the geos
/// (`…/isoc_ci_in_h?…geo=AT,BE,…(28 geos)`). The full URL goes to the debug log.
pub fn short_url(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let last = parsed
        .path_segments()
        .and_then(|mut s| s.rfind(|p| !p.is_empty()))
        .unwrap_or_default();
    let mut short = format!("…/{last}");
    if parsed.query().is_some_and(|q| !q.is_empty()) {
        let geos: Vec<String> = parsed
            .query_pairs()
            .filter(|(k, _)| k.eq_ignore_ascii_case("geo"))
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(str::to_owned)
                    .filter(|g| !g.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect();
        short.push_str("?…");
        match geos.len() {
            0 => {}
            1 | 2 => short.push_str(&format!("geo={}", geos.join(","))),
            n => short.push_str(&format!("geo={},{},…({n} geos)", geos[0], geos[1])),
        }
    }
    short
}

fn snippet_suffix(body: &Bytes) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

pub type Result<T> = std::result::Result<T, HttpError>;

/// Validators of a previous response, sent back so an upstream that honours them can answer 304.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Fetched {
    /// A 2xx answer and its (decompressed) body.
    Body {
        bytes: Bytes,
        validators: Validators,
        content_type: Option<String>,
    },
    /// 304: the upstream says nothing changed since the validators we sent.
    NotModified,
}

#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    retries: u32,
    retry_base: Duration,
    timeout_secs: u64,
    /// The most body bytes read, after decompression.
    max_body: u64,
}

/// What one attempt came to, before the retry policy looks at it.
enum Attempt {
    Done(Fetched),
    Retry {
        error: HttpError,
        wait: Option<Duration>,
    },
    Fail(HttpError),
}

impl HttpClient {
    pub fn new(upstream: &Upstream) -> Result<HttpClient> {
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "desi-city/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/desi-city/desi-city)"
            ))
            .timeout(Duration::from_secs(upstream.timeout_secs))
            .connect_timeout(Duration::from_secs(upstream.timeout_secs.min(30)))
            .gzip(true)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().contains(attempt.url()) {
                    let n = attempt.previous().len();
                    attempt.error(format!(
                        "redirect loop (back to an address already visited, after {n} redirect(s))"
                    ))
                } else if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
                } else {
                    attempt.follow()
                }
            }))
            .build()?;
        Ok(HttpClient {
            client,
            retries: upstream.retries,
            retry_base: Duration::from_millis(upstream.retry_base_ms),
            timeout_secs: upstream.timeout_secs,
            max_body: upstream.max_response_mb.saturating_mul(MIB),
        })
    }

    /// GETs `url`, retrying what is worth retrying. `on_bytes` is told how many body bytes arrived (for progress bars).
    pub async fn get(
        &self,
        url: &str,
        validators: Option<&Validators>,
        on_bytes: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Fetched> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self.attempt(url, validators, attempt, on_bytes).await;
            match outcome {
                Attempt::Done(fetched) => return Ok(fetched),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { error, wait } => {
                    if attempt > self.retries {
                        return Err(error);
                    }
                    let wait = wait.unwrap_or_else(|| self.backoff(attempt));
                    // A retry is not a failure: the failure, if it comes, is logged once by `refresh`.
                    tracing::debug!(url = %short_url(url), %error, attempt, wait_ms = wait.as_millis() as u64, "Retrying upstream request.");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Exponential backoff with "equal jitter": half the delay fixed, half random.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .retry_base
            .saturating_mul(1u32 << (attempt - 1).min(16));
        let half = exp / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter)
    }

    async fn attempt(
        &self,
        url: &str,
        validators: Option<&Validators>,
        attempts: u32,
        on_bytes: &(dyn Fn(u64) + Send + Sync),
    ) -> Attempt {
        // reqwest adds `Accept-Encoding: gzip` itself and decompresses; setting it by hand would turn that off.
        let mut request = self.client.get(url);
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                request = request.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) if e.is_redirect() => {
                return Attempt::Fail(HttpError::Redirect {
                    url: url.to_owned(),
                    reason: error_chain(&e.without_url()),
                });
            }
            Err(e) => {
                return Attempt::Retry {
                    error: self.transport_error(url, attempts, e),
                    wait: None,
                };
            }
        };
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Attempt::Done(Fetched::NotModified);
        }
        let headers = response.headers().clone();
        let mut response = response;
        // With gzip, reqwest decodes and hides the length; without, a declared length over the bound
        // is refused before reading anything.
        let declared = response.content_length();
        let too_large = |declared, received| HttpError::TooLarge {
            url: url.to_owned(),
            declared,
            received,
            limit_mb: self.max_body / MIB,
        };
        if let Some(n) = declared
            && n > self.max_body
        {
            return Attempt::Fail(too_large(Some(n), 0));
        }
        // The chunks are kept as they come and joined once at the end: a growing buffer would,
        // at each doubling, hold the old and the new copy (the allocator does not give the old
        // one back at once), twice the bound at worst.
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut read = 0u64;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    on_bytes(chunk.len() as u64);
                    read += chunk.len() as u64;
                    if read > self.max_body {
                        return Attempt::Fail(too_large(None, read));
                    }
                    chunks.push(chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => {
                    return Attempt::Retry {
                        error: self.timeout(url, attempts),
                        wait: None,
                    };
                }
                Err(e) => {
                    return Attempt::Retry {
                        error: HttpError::Body {
                            url: url.to_owned(),
                            attempts,
                            reason: error_chain(&e.without_url()),
                        },
                        wait: None,
                    };
                }
            }
        }
        let body = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.swap_remove(0),
            _ => Bytes::from(chunks.concat()),
        };
        if status.is_success() {
            return Attempt::Done(Fetched::Body {
                bytes: body,
                validators: validators_of(&headers),
                content_type: header_str(&headers, reqwest::header::CONTENT_TYPE),
            });
        }
        let error = HttpError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
            body,
            attempts,
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = retry_after(&headers);
            if let Some(w) = wait
                && w > MAX_RETRY_AFTER
            {
                return Attempt::Fail(HttpError::RetryAfterTooLong {
                    url: url.to_owned(),
                    secs: w.as_secs(),
                });
            }
            return Attempt::Retry { error, wait };
        }
        if is_transient(status) {
            // A 5xx may carry Retry-After during maintenance.
            return Attempt::Retry {
                error,
                wait: retry_after(&headers).filter(|w| *w <= MAX_RETRY_AFTER),
            };
        }
        Attempt::Fail(error)
    }

    fn timeout(&self, url: &str, attempts: u32) -> HttpError {
        HttpError::Timeout {
            url: url.to_owned(),
            attempts,
            timeout_secs: self.timeout_secs,
        }
    }

    /// `e`'s reason, without the URL reqwest puts in it (the caller says which URL, once).
    fn transport_error(&self, url: &str, attempts: u32, e: reqwest::Error) -> HttpError {
        let e = &e.without_url();
        if e.is_timeout() {
            self.timeout(url, attempts)
        } else if e.is_body() || e.is_decode() {
            HttpError::Body {
                url: url.to_owned(),
                attempts,
                reason: error_chain(e),
            }
        } else {
            HttpError::Transport {
                url: url.to_owned(),
                attempts,
                reason: error_chain(e),
            }
        }
    }
}

impl HttpError {
    /// The URL the error is about, when there is one.
    pub fn url(&self) -> Option<&str> {
        match self {
            HttpError::Status { url, .. }
            | HttpError::Timeout { url, .. }
            | HttpError::Transport { url, .. }
            | HttpError::Body { url, .. }
            | HttpError::RetryAfterTooLong { url, .. }
            | HttpError::TooLarge { url, .. }
            | HttpError::Redirect { url, .. } => Some(url),
            HttpError::Client(_) => None,
        }
    }
}

/// Whether a status is worth asking again for: a server fault that may pass (every 5xx but
/// 501 Not Implemented, which says the request will never work). 429 is handled apart, with its
/// `Retry-After`; every other 4xx is the request's fault, and so is final.
pub fn is_transient(status: StatusCode) -> bool {
    status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

fn header_str(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn validators_of(headers: &HeaderMap) -> Validators {
    Validators {
        etag: header_str(headers, ETAG),
        last_modified: header_str(headers, LAST_MODIFIED),
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn backoff_grows_exponentially_within_its_jitter_band() {
        let upstream = crate::config::Settings::default().upstream;
        let client = HttpClient {
            retry_base: Duration::from_millis(100),
            ..HttpClient::new(&upstream).unwrap()
        };
        for attempt in 1..=4 {
            let full = 100u64 << (attempt - 1);
            for _ in 0..50 {
                let d = client.backoff(attempt).as_millis() as u64;
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms");
            }
        }
    }

    #[test]
    fn eurostats_documented_error_statuses_are_retried_only_when_they_may_pass() {
        // Eurostat's own table of SDMX faults and the HTTP status it answers each with.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/eurostat/errors/sdmx_to_http_error_mapping.csv"
        );
        let text = std::fs::read_to_string(path).expect("the mapping file");
        let mut rows = 0;
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cells: Vec<&str> = line.split(';').collect();
            let (kind, fault, status) = (cells[0], cells[2], cells[3]);
            let status = StatusCode::from_u16(status.parse().expect("a status")).expect("valid");
            // 413 (also answered for the server-side "response size exceeds service limit") is
            // split by the fetcher, not retried; 501 will never work; 500 and 503 may pass.
            let expected = match status.as_u16() {
                400 | 401 | 404 | 413 | 501 => false,
                500 | 503 => true,
                other => panic!("{fault}: status {other} has no expectation here; add one"),
            };
            assert_eq!(is_transient(status), expected, "{kind}: {fault} ({status})");
            rows += 1;
        }
        assert_eq!(rows, 10);
        assert!(
            !is_transient(StatusCode::PAYLOAD_TOO_LARGE),
            "413 is split, not retried"
        );
    }

    #[test]
    fn a_status_error_shows_a_short_body_snippet() {
        let e = HttpError::Status {
            url: "http://x/y".into(),
            status: 404,
            body: Bytes::from_static(b"{\"error\":\n [ ]}"),
            attempts: 1,
        };
        assert_eq!(e.to_string(), "HTTP 404: {\"error\": [ ]}");
    }

    #[test]
    fn a_short_url_keeps_the_last_segment_and_counts_the_geos() {
        let geos: Vec<String> = (0..28).map(|i| format!("geo=G{i:02}")).collect();
        let url = format!(
            "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data/isoc_ci_in_h?format=JSON&lang=EN&{}&sinceTimePeriod=2015",
            geos.join("&")
        );
        assert!(url.len() > 250);
        assert_eq!(short_url(&url), "…/isoc_ci_in_h?…geo=G00,G01,…(28 geos)");
        assert_eq!(
            short_url("http://x/eurostat/data/isoc_e_dii?geo=BE,EU27_2020"),
            "…/isoc_e_dii?…geo=BE,EU27_2020"
        );
        assert_eq!(
            short_url("http://x/desi/2020/indicators_raw.csv"),
            "…/indicators_raw.csv"
        );
        assert_eq!(short_url("not a url"), "not a url");
    }

    #[test]
    fn a_too_large_body_says_how_much_came_and_the_bound() {
        let e = HttpError::TooLarge {
            url: "http://x/y".into(),
            declared: None,
            received: 65 * MIB + MIB / 2,
            limit_mb: 64,
        };
        let text = e.to_string();
        assert!(
            text.contains("64 MiB") && text.contains("65.5 MiB"),
            "{text}"
        );
        assert!(text.contains("max_response_mb"), "{text}");
        let e = HttpError::TooLarge {
            url: "http://x/y".into(),
            declared: Some(300 * MIB),
            received: 0,
            limit_mb: 64,
        };
        assert!(e.to_string().contains("300.0 MiB"), "{e}");
    }
}
