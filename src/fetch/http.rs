//! The HTTP client every fetcher uses: timeouts, gzip, and retries with exponential backoff and jitter.
//!
//! Retried: HTTP 5xx, 429 (honouring `Retry-After`), timeouts, connection failures and bodies cut short.
//! Not retried: any other 4xx — the request itself is wrong and asking again won't help. This module knows
//! nothing of formats or of the store: it returns bytes or says why it couldn't.

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

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("HTTP {status} from {url}{}", snippet_suffix(.body))]
    Status {
        url: String,
        status: u16,
        /// The body, kept so callers can read an upstream error document.
        body: Bytes,
        attempts: u32,
    },
    #[error("{url} timed out after {attempts} attempt(s) (timeout {timeout_secs} s each)")]
    Timeout {
        url: String,
        attempts: u32,
        timeout_secs: u64,
    },
    #[error("could not reach {url} after {attempts} attempt(s): {reason}")]
    Transport {
        url: String,
        attempts: u32,
        reason: String,
    },
    #[error(
        "the response body from {url} was cut short or could not be decoded after {attempts} attempt(s): {reason}"
    )]
    Body {
        url: String,
        attempts: u32,
        reason: String,
    },
    #[error("{url} asked us to wait {secs} s (Retry-After), longer than the {} s we accept", MAX_RETRY_AFTER.as_secs())]
    RetryAfterTooLong { url: String, secs: u64 },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
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
            .build()?;
        Ok(HttpClient {
            client,
            retries: upstream.retries,
            retry_base: Duration::from_millis(upstream.retry_base_ms),
            timeout_secs: upstream.timeout_secs,
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
                    tracing::warn!(%url, %error, attempt, wait_ms = wait.as_millis() as u64, "Retrying upstream request.");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Exponential backoff with "equal jitter": half the delay fixed, half random.
    fn backoff(&self, attempt: u32) -> Duration {
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
            Err(e) => {
                return Attempt::Retry {
                    error: self.transport_error(url, attempts, &e),
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
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    on_bytes(chunk.len() as u64);
                    body.extend_from_slice(&chunk);
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
                            reason: error_chain(&e),
                        },
                        wait: None,
                    };
                }
            }
        }
        let body = Bytes::from(body);
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

    fn transport_error(&self, url: &str, attempts: u32, e: &reqwest::Error) -> HttpError {
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
            | HttpError::RetryAfterTooLong { url, .. } => Some(url),
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
        assert_eq!(e.to_string(), "HTTP 404 from http://x/y: {\"error\": [ ]}");
    }
}
