//! API errors as RFC 9457 `application/problem+json`.
//!
//! Policy: every error a client can cause is a 4xx whose `detail` says what to do (a bad parameter
//! names the parameter and lists what is accepted); the `type` URI of each variant is stable and
//! listed in the README ("Errors"). Internal errors answer 500 with nothing internal in the body;
//! they are typed ([`InternalError`]: one variant per kind of cause, the cause kept as its
//! `source()`), never flattened into a string, and logged once, here, with their whole cause chain
//! ([`Chain`]) when the error becomes a response. Routes do not build `ApiError::Internal` by hand:
//! `?` or [`ApiError::internal`] turn a typed cause into one. What a user can do about an engine
//! error (fetch or import a dataset) is said here, in the API's words, not by the engine. No handler
//! panics on input; none returns a bare string error.
//! Problem responses are never cached (`Cache-Control: no-store`). A method a route does not answer
//! is a 405 problem with `Allow` ([`method_not_allowed`]), not the router's empty body.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::commands::with_fix;
use crate::indicators::IndicatorError;
use crate::store::StoreError;

/// The body of every error (RFC 9457), as `application/problem+json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI per kind of error: `https://desi-city.eu/problems/{bad-parameter|not-found|method-not-allowed|not-implemented|not-acceptable|query-too-large|unauthorized|rate-limited|data-unavailable|busy|internal}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong and what to do about it.
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter (or path part) is not acceptable.
    #[error("{0}")]
    BadRequest(String),
    /// An unknown id or route.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but does not answer this method (`Allow` says which do).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// None of the asked representations (`Accept`) can be served.
    #[error("{0}")]
    NotAcceptable(String),
    /// The query asks for more cells than one response may hold.
    #[error("{0}")]
    TooLarge(String),
    /// The admin token is missing or wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// The client asked for too many uncached computations too fast.
    #[error("{detail}")]
    RateLimited { detail: String, retry_after: u64 },
    /// The data or definitions needed are not there (yet): a fetch or a fixed file will cure it.
    #[error("{0}")]
    Unavailable(String),
    /// A representation this server does not implement (oEmbed's `format=xml`).
    #[error("{0}")]
    NotImplemented(String),
    /// A refresh is already running.
    #[error("{0}")]
    Conflict(String),
    /// Anything else: a 500 whose body says nothing internal; the cause chain is logged.
    #[error("internal error")]
    Internal(#[from] InternalError),
}

/// What went wrong inside, with its cause. Each variant says what failed; its `source()` is the
/// typed error of the library that failed (the log line shows the whole chain).
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error("the store failed")]
    Store(#[source] StoreError),
    #[error("the indicator engine failed")]
    Indicators(#[source] Arc<IndicatorError>),
    #[error("a chart could not be made")]
    Chart(#[from] crate::charts::ChartError),
    #[error("an answer could not be encoded")]
    Encode(#[source] super::encode::EncodeError),
    #[error("a blocking task failed")]
    Task(#[from] tokio::task::JoinError),
    #[error("the computation slots are closed")]
    Slots(#[from] tokio::sync::AcquireError),
    /// A lock whose holder panicked (the guard it carries is not kept: it borrows the lock).
    #[error("the {0} lock is poisoned: a request panicked while holding it")]
    Poisoned(&'static str),
    #[error("Arrow failed")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("Parquet failed")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("JSON could not be written")]
    Json(#[from] serde_json::Error),
    #[error("CSV could not be written")]
    Csv(#[from] csv::Error),
    #[error("I/O failed")]
    Io(#[from] std::io::Error),
    #[error("an answer could not be deflated")]
    Deflate(#[from] flate2::CompressError),
    #[error("a ZIP archive could not be written")]
    Zip(#[from] zip::result::ZipError),
    #[error("a template could not be rendered")]
    Template(#[from] minijinja::Error),
    #[error("a page could not be made")]
    Page(#[from] crate::pages::PageError),
    #[error("a URL could not be parsed")]
    Url(#[from] url::ParseError),
    /// Something that is always there was not (a methodology loaded but not computed): a bug.
    #[error("{0}")]
    Invariant(&'static str),
}

impl From<std::convert::Infallible> for InternalError {
    fn from(never: std::convert::Infallible) -> InternalError {
        match never {}
    }
}

impl<T> From<std::sync::PoisonError<T>> for InternalError {
    fn from(_: std::sync::PoisonError<T>) -> InternalError {
        InternalError::Poisoned(std::any::type_name::<T>())
    }
}

impl<W> From<csv::IntoInnerError<W>> for InternalError {
    fn from(error: csv::IntoInnerError<W>) -> InternalError {
        InternalError::Io(error.into_error())
    }
}

impl From<&'static str> for InternalError {
    fn from(what: &'static str) -> InternalError {
        InternalError::Invariant(what)
    }
}

/// An error and its causes, each once, joined by `: ` (a cause whose text its parent already shows
/// is skipped, as `desi-city`'s command line reports errors).
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = String::new();
        let mut next = Some(self.0);
        while let Some(error) = next {
            let text = error.to_string();
            if !shown.contains(&text) {
                if !shown.is_empty() {
                    shown.push_str(": ");
                }
                shown.push_str(&text);
            }
            next = error.source();
        }
        f.write_str(&shown)
    }
}

impl ApiError {
    /// Status, the stable `type` slug, and the title.
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-parameter", "Bad parameter"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            ApiError::NotAcceptable(_) => (
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "No acceptable representation",
            ),
            ApiError::TooLarge(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "query-too-large",
                "Query too large",
            ),
            ApiError::Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Missing or wrong token",
            ),
            ApiError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "data-unavailable",
                "Data not available",
            ),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "busy", "Already running"),
            ApiError::NotImplemented(_) => (
                StatusCode::NOT_IMPLEMENTED,
                "not-implemented",
                "Not implemented",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    /// An internal error from its typed cause (logged with its chain when turned into a response).
    pub fn internal(error: impl Into<InternalError>) -> ApiError {
        ApiError::Internal(error.into())
    }
}

/// What the engine reports: user-fixable conditions (no data yet, a bad definition file) are 503s
/// that say what to do; a well-formed geo or edition the data does not hold is a 404 (nothing to
/// serve for it: the request itself is valid, as the OpenAPI document says); the rest is internal.
impl From<Arc<IndicatorError>> for ApiError {
    fn from(error: Arc<IndicatorError>) -> ApiError {
        match error.root() {
            e @ (IndicatorError::UnknownGeo { .. }
            | IndicatorError::GeoNotInData { .. }
            | IndicatorError::UnknownEdition { .. }) => ApiError::NotFound(e.to_string()),
            e @ (IndicatorError::NoData { .. } | IndicatorError::Input { .. }) => {
                ApiError::Unavailable(with_fix(e))
            }
            e @ (IndicatorError::Invalid { .. }
            | IndicatorError::Toml { .. }
            | IndicatorError::Read { .. }) => ApiError::Unavailable(e.to_string()),
            IndicatorError::Store(
                e @ (StoreError::NotFound { .. } | StoreError::InvalidId { .. }),
            ) => ApiError::NotFound(e.to_string()),
            _ => ApiError::Internal(InternalError::Indicators(error)),
        }
    }
}

impl From<IndicatorError> for ApiError {
    fn from(error: IndicatorError) -> ApiError {
        ApiError::from(Arc::new(error))
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound { .. } | StoreError::InvalidId { .. } => {
                ApiError::NotFound(error.to_string())
            }
            other => ApiError::Internal(InternalError::Store(other)),
        }
    }
}

impl From<super::encode::EncodeError> for ApiError {
    fn from(error: super::encode::EncodeError) -> ApiError {
        match error {
            super::encode::EncodeError::TooLarge { .. } => ApiError::TooLarge(format!(
                "{error} Ask for fewer geos or a shorter period, or download the dataset as Parquet."
            )),
            other => ApiError::Internal(InternalError::Encode(other)),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> ApiError {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title) = self.parts();
        let detail = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(error = %Chain(cause), "Request failed.");
                "Something went wrong on our side; it has been logged. Try again later.".to_owned()
            }
            other => other.to_string(),
        };
        let body = json!({
            "type": format!("https://desi-city.eu/problems/{kind}"),
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        });
        let mut response = (
            status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/problem+json"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body.to_string(),
        )
            .into_response();
        if let ApiError::RateLimited { retry_after, .. } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        if let ApiError::Unauthorized(_) = &self {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"desi-city admin\""),
            );
        }
        response
    }
}

/// Turns the router's bare 405 (a known route asked with another method) into a problem like every
/// other error, keeping its `Allow`.
pub fn method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let methods = allow
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("GET")
        .to_owned();
    let mut problem = ApiError::MethodNotAllowed(format!(
        "This route answers {methods} only. GET /api/v1/openapi.json lists the methods of every route."
    ))
    .into_response();
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    problem
}

/// The fallback for unknown routes.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "There is no resource at {}. The API lives under /api/v1; GET /api/v1/openapi.json lists every route.",
        uri.path()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::with_load;
    use crate::indicators::Load;

    #[tokio::test]
    async fn a_bad_parameter_is_a_400_problem_that_is_not_cached() {
        let response = ApiError::BadRequest("geo: XX is unknown".into()).into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["status"], 400);
        assert_eq!(v["type"], "https://desi-city.eu/problems/bad-parameter");
        assert_eq!(v["detail"], "geo: XX is unknown");
    }

    /// Everything logged while `f` runs, as the server writes it (plain text).
    fn logged(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("log buffer").extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buffer.0.lock().expect("log buffer").clone();
        String::from_utf8(bytes).expect("UTF-8 log")
    }

    #[tokio::test]
    async fn an_internal_error_logs_its_cause_chain_once_and_its_body_says_nothing_internal() {
        let io = std::io::Error::other("/secret/path: disk on fire");
        let store = StoreError::Fs {
            path: "/secret/path/manifest.json".into(),
            source: io,
        };
        let error = ApiError::from(store);
        assert!(matches!(error, ApiError::Internal(InternalError::Store(_))));
        let mut response = None;
        let log = logged(|| response = Some(error.into_response()));
        let response = response.expect("a response");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        // One line, with every cause, each once.
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 1, "{log}");
        assert!(
            lines[0].contains("Request failed.")
                && lines[0].contains(
                    "the store failed: I/O error on /secret/path/manifest.json: /secret/path: disk on fire"
                )
                && lines[0].contains("disk on fire"),
            "{log}"
        );
        assert_eq!(lines[0].matches("disk on fire").count(), 1, "{log}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["type"], "https://desi-city.eu/problems/internal");
        assert_eq!(v["title"], "Internal error");
        assert!(!String::from_utf8_lossy(&body).contains("secret"));
        assert!(!String::from_utf8_lossy(&body).contains("disk"));

        let response = ApiError::RateLimited {
            detail: "slow down".into(),
            retry_after: 2,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }

    #[test]
    fn a_missing_dataset_is_a_503_that_names_the_command_the_engine_does_not() {
        let fetch = IndicatorError::NoData {
            dataset: "isoc_ci_in_h".into(),
            load: Load::fetch("isoc_ci_in_h"),
        };
        assert!(!fetch.to_string().contains("desi-city"), "{fetch}");
        let ApiError::Unavailable(detail) = ApiError::from(fetch) else {
            panic!("not a 503");
        };
        assert_eq!(
            detail,
            "dataset isoc_ci_in_h is not in the store. Fetch it with `desi-city fetch isoc_ci_in_h`, or load a downloaded file with `desi-city import FILE --dataset isoc_ci_in_h`."
        );
        let several = IndicatorError::NoData {
            dataset: "a, b".into(),
            load: Load::Fetch(vec!["a".into(), "b".into()]),
        };
        assert!(
            with_fix(&several).ends_with(
                "Fetch it with `desi-city fetch a b`, or load a downloaded file with `desi-city import FILE --dataset ID`."
            ),
            "{}",
            with_fix(&several)
        );
        let import = Load::Import(Box::new(crate::indicators::Import {
            file: "desi_2022.csv".into(),
            dataset: "desi_2022_complete".into(),
            format: "desi-wide".into(),
        }));
        let input = IndicatorError::Input {
            dataset: "desi_2022_complete".into(),
            path: "method.toml".into(),
            problem: "no column for the indicator(s) x".into(),
            load: import.clone(),
        };
        assert_eq!(
            with_fix(&IndicatorError::Shared(Arc::new(input))),
            "dataset desi_2022_complete does not hold what method.toml needs: no column for the indicator(s) x. Re-import it with `desi-city import desi_2022.csv --dataset desi_2022_complete --format desi-wide`, or fix the key."
        );
        let missing = IndicatorError::NoData {
            dataset: "desi_2022_complete".into(),
            load: import,
        };
        assert!(
            with_fix(&missing).ends_with(
                "Import it with `desi-city import desi_2022.csv --dataset desi_2022_complete --format desi-wide`."
            ),
            "{}",
            with_fix(&missing)
        );
    }

    #[test]
    fn a_roadmap_note_about_a_missing_dataset_is_followed_by_the_commands_that_load_it() {
        let note = "target value not published: dataset desi is not in the store";
        assert_eq!(
            with_load(note, Some(&Load::fetch("desi"))),
            "target value not published: dataset desi is not in the store (run `desi-city fetch desi`, or `desi-city import FILE --dataset desi`)"
        );
        assert_eq!(with_load(note, None), note);
    }
}
