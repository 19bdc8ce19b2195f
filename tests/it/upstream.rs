//! The fake upstream: a real HTTP server on 127.0.0.1 (port 0) that answers at Eurostat's,
//! digital-agenda-data.eu's, Opendatasoft's and GISCO's URL paths with the real files of
//! `shared/data`, records every request, and injects the faults a test asks for.
//!
//! It serves bytes and nothing else: it knows no parser of the crate and never reaches the
//! internet. The only content it makes up is a maintenance HTML page and the junk of the
//! oversized bodies (zeros); every data or error body is a real file (JSON-stat routes can be
//! sliced to the requested geos, for the 413 test, or have one cell's value turned into text).

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

/// Path prefix of the Eurostat base URL handed to the binary (so that a base URL with a path,
/// like the real `https://ec.europa.eu/eurostat`, is exercised).
pub const EUROSTAT_PREFIX: &str = "/eurostat";
/// Path prefix of the digital-agenda-data.eu base URL.
pub const DESI_PREFIX: &str = "/desi";
/// Path prefix of the Opendatasoft base URL.
pub const ODS_PREFIX: &str = "/ods";
/// Path prefix of the GISCO distribution base URL.
pub const GISCO_PREFIX: &str = "/gisco";

/// The GISCO NUTS files served (relative to `shared/data/geo`), at GISCO's
/// `{base}/nuts/geojson/<file>` paths.
pub const GISCO_FILES: [&str; 2] = [
    "NUTS_RG_60M_2021_4326_LEVL_2.geojson",
    "NUTS_RG_60M_2021_4326_LEVL_0.geojson",
];

/// Request path of a GISCO NUTS GeoJSON file.
pub fn gisco_path(file: &str) -> String {
    format!("{GISCO_PREFIX}/nuts/geojson/{file}")
}

/// The shared data directory, read in place (never copied into the repository).
pub fn shared_data() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data"))
}

/// Request path of the Statistics API (JSON-stat) for an upstream dataset code.
pub fn jsonstat_path(code: &str) -> String {
    format!("{EUROSTAT_PREFIX}/api/dissemination/statistics/1.0/data/{code}")
}

/// Request path of the SDMX 2.1 API (TSV and SDMX-CSV) for an upstream dataset code.
pub fn sdmx_path(code: &str) -> String {
    format!("{EUROSTAT_PREFIX}/api/dissemination/sdmx/2.1/data/{code}")
}

/// Request path of a digital-agenda-data.eu file, `path` being the catalogue's `path`.
pub fn desi_path(path: &str) -> String {
    format!("{DESI_PREFIX}{path}")
}

/// The DESI platform's chart groups served, and their shared files (relative to `shared/data`).
pub const PLATFORM_FACTS: [(&str, &str); 2] = [
    ("desi", "desi/platform/facts_desi.csv"),
    (
        "dd-trajectories-eu",
        "desi/platform/facts_dd_trajectories_eu.csv",
    ),
];

/// Request path of the DESI platform's facts API for a chart group (asked with `format=csv`).
pub fn platform_facts_path(group: &str) -> String {
    desi_path(&format!("/api/v1/chart-groups/{group}/facts/"))
}

/// What the server does instead of answering normally, once per queued entry.
#[derive(Clone, Debug)]
pub enum Fault {
    /// An empty answer with this status (500, 503, …).
    Status(u16),
    /// 429 with a `Retry-After` header.
    TooManyRequests { retry_after_secs: u64 },
    /// Waits this long, then answers normally (longer than the client's timeout).
    Stall(Duration),
    /// `Content-Encoding: gzip`, the gzip stream cut in the middle.
    TruncatedGzip,
    /// 200 `text/html`: a maintenance page.
    Html,
    /// An error status with a real Eurostat error body (path relative to `shared/data`).
    ErrorJson(u16, &'static str),
    /// 200 with an empty body.
    Empty,
    /// 200 with the first half of the file.
    Truncated,
    /// 200 with another real file (path relative to `shared/data`).
    Replace(&'static str),
    /// 200 with the JSON-stat file, the value of every cell at this geo and period replaced by
    /// a JSON string (`"abc"`).
    TextValue {
        geo: &'static str,
        period: &'static str,
        text: &'static str,
    },
    /// 200 with the JSON-stat file sliced to these geos (whatever was asked for).
    OnlyGeos(&'static [&'static str]),
    /// 302 to the very URL asked for.
    RedirectLoop,
    /// 200 with this many MiB of zeros and a `Content-Length` saying so (a sparse file, served
    /// streaming: neither the server's memory nor the disk holds them).
    HugeDeclared { mib: u64 },
    /// 200 with `Content-Encoding: gzip` whose stream inflates to this many MiB of zeros: a
    /// body of unknown length, as a chunked stream would be, that only reading can measure.
    HugeGzip { mib: u64 },
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// When it arrived (before any stall).
    pub at: Instant,
    pub method: String,
    pub path: String,
    /// The decoded query parameters, in order, repeated keys kept.
    pub params: Vec<(String, String)>,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The status the server answered with.
    pub status: u16,
}

impl Seen {
    /// All values of a query parameter, in order.
    pub fn param_all(&self, key: &str) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a query parameter.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.param_all(key).into_iter().next()
    }

    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The geos asked for: repeated `geo=` parameters (comma lists split too).
    pub fn geos(&self) -> Vec<String> {
        requested_geos(&self.params)
    }
}

#[derive(Default)]
struct Shared {
    data: PathBuf,
    /// (path, upper-cased `format` query parameter or None for any) → file under `data`.
    routes: Mutex<HashMap<(String, Option<String>), String>>,
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    seen: Mutex<Vec<Seen>>,
    too_big_above: Mutex<Option<usize>>,
    /// Sparse files of [`Fault::HugeDeclared`], deleted with the server.
    sparse: Mutex<Vec<tempfile::NamedTempFile>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The running fake server. Dropping it stops it.
pub struct Upstream {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Upstream {
    /// Starts a server with no routes (every request gets the real Eurostat 404 body).
    pub fn start() -> Result<Self> {
        let data = shared_data();
        if !data.join("README.md").is_file() {
            bail!(
                "The shared data directory is missing at {} (a clone needs ../shared beside it).",
                data.display()
            );
        }
        let shared = Arc::new(Shared {
            data,
            ..Shared::default()
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-upstream")
            .enable_all()
            .build()
            .context("Failed to build the fake upstream's runtime")?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .context("Failed to bind the fake upstream to 127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let app = Router::new().fallback(handle).with_state(shared.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            shared,
            runtime: Some(runtime),
        })
    }

    /// Starts a server routing every shared file at the path the binary asks for it:
    /// each `eurostat/jsonstat/<code>.json` at the Statistics API; the TSVs `isoc_e_dii`,
    /// `isoc_sks_itsp_age`, `tin00074`, and the legacy TSV as `isoc_ci_in_h`; the SDMX-CSVs
    /// `isoc_r_broad_h`, `isoc_r_iacc_h`, `isoc_eb_ics`, and the SDMX-CSV 2.0 file as
    /// `isoc_e_dii`; the DESI 2020 file at `{desi}/2020/indicators_raw.csv`; the cloud download
    /// `isoc_cicce_use`; the DESI platform's facts at its facts API
    /// (`{desi}/api/v1/chart-groups/{group}/facts/?format=csv`, see [`PLATFORM_FACTS`]).
    pub fn with_shared_files() -> Result<Self> {
        let server = Self::start()?;
        let dir = server.shared.data.join("eurostat/jsonstat");
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("Failed to list {}", dir.display()))?
        {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(code) = name.strip_suffix(".json") {
                server.serve_jsonstat(code, &format!("eurostat/jsonstat/{name}"));
            }
        }
        for code in [
            "isoc_e_dii",
            "isoc_sks_itsp_age",
            "tin00074",
            "isoc_cicce_use",
        ] {
            server.serve_tsv(code, &format!("eurostat/tsv/{code}.tsv"));
        }
        server.serve_tsv(
            "isoc_ci_in_h",
            "eurostat/tsv/isoc_ci_in_h_legacy_2008-2019.tsv",
        );
        server.serve_sdmx_csv(
            "isoc_r_broad_h",
            "eurostat/sdmx-csv/isoc_r_broad_h_excerpt.csv",
        );
        server.serve_sdmx_csv(
            "isoc_r_iacc_h",
            "eurostat/sdmx-csv/isoc_r_iacc_h_excerpt.csv",
        );
        server.serve_sdmx_csv("isoc_eb_ics", "eurostat/sdmx-csv/isoc_eb_ics.csv");
        server.serve_sdmx_csv("isoc_e_dii", "eurostat/sdmx-csv/isoc_e_dii_2023_sdmx2.csv");
        server.route(
            &desi_path("/2020/indicators_raw.csv"),
            None,
            "desi/2020/indicators_raw.csv",
        );
        for (group, file) in PLATFORM_FACTS {
            server.route(&platform_facts_path(group), Some("csv"), file);
        }
        for file in GISCO_FILES {
            server.route(&gisco_path(file), None, &format!("geo/{file}"));
        }
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The value for `DESI_CITY_EUROSTAT_URL`.
    pub fn eurostat_url(&self) -> String {
        format!("{}{EUROSTAT_PREFIX}", self.url())
    }

    /// The value for `DESI_CITY_DESI_URL`.
    pub fn desi_url(&self) -> String {
        format!("{}{DESI_PREFIX}", self.url())
    }

    /// The value for `DESI_CITY_ODS_URL`.
    pub fn ods_url(&self) -> String {
        format!("{}{ODS_PREFIX}", self.url())
    }

    /// The value for `DESI_CITY_GISCO_URL`.
    pub fn gisco_url(&self) -> String {
        format!("{}{GISCO_PREFIX}", self.url())
    }

    /// Serves `file` (relative to `shared/data`) at `path`, for requests whose `format`
    /// parameter equals `format` (case-insensitive), or for any request when `format` is None.
    /// Replaces an earlier route with the same key.
    pub fn route(&self, path: &str, format: Option<&str>, file: &str) {
        let key = (path.to_string(), format.map(str::to_ascii_uppercase));
        lock(&self.shared.routes).insert(key, file.to_string());
    }

    /// Serves a JSON-stat file for `code` at the Statistics API (`format=JSON`).
    pub fn serve_jsonstat(&self, code: &str, file: &str) {
        self.route(&jsonstat_path(code), Some("JSON"), file);
    }

    /// Serves a TSV file for `code` at the SDMX API (`format=TSV`).
    pub fn serve_tsv(&self, code: &str, file: &str) {
        self.route(&sdmx_path(code), Some("TSV"), file);
    }

    /// Serves an SDMX-CSV file for `code` at the SDMX API (`format=SDMX-CSV`).
    pub fn serve_sdmx_csv(&self, code: &str, file: &str) {
        self.route(&sdmx_path(code), Some("SDMX-CSV"), file);
    }

    /// Queues `fault` for the next `times` requests to `path` (other paths are not affected).
    pub fn fault(&self, path: &str, fault: Fault, times: usize) {
        let mut faults = lock(&self.shared.faults);
        let queue = faults.entry(path.to_string()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// JSON-stat routes answer 413 EXTRACTION_TOO_BIG (the real body) when a request has more
    /// than `n` geos, and otherwise the file sliced to the requested geos.
    pub fn too_big_above(&self, n: usize) {
        *lock(&self.shared.too_big_above) = Some(n);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.shared.seen).clone()
    }

    /// The requests so far to one path.
    pub fn requests_to(&self, path: &str) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Forgets the requests seen so far.
    pub fn forget_requests(&self) {
        lock(&self.shared.seen).clear();
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A plain text answer (also the shape of the fault answers that carry no file).
fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = Response::new(Body::from(text.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn with_body(status: StatusCode, content_type: &str, body: Vec<u8>, gzip: bool) -> Response {
    let (body, encoded) = if gzip && !body.is_empty() {
        (gzip_bytes(&body), true)
    } else {
        (body, false)
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if encoded {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// Gzip-compresses bytes (in memory, so it cannot fail short of running out of memory).
pub fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

fn content_type_of(file: &str) -> &'static str {
    if file.ends_with(".geojson") {
        "application/geo+json"
    } else if file.ends_with(".json") {
        "application/json"
    } else if file.ends_with(".tsv") {
        "text/tab-separated-values; charset=utf-8"
    } else if file.ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("gzip"))
}

fn requested_geos(params: &[(String, String)]) -> Vec<String> {
    params
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("geo"))
        .flat_map(|(_, v)| v.split(','))
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty())
        .collect()
}

const MAINTENANCE_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Eurostat - Maintenance</title></head>\n<body><h1>Service temporarily unavailable</h1><p>The dissemination API is under maintenance. Please try again later.</p></body></html>\n";

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let at = Instant::now();
    let uri = request.uri().clone();
    let path = uri.path().to_string();
    let params: Vec<(String, String)> = Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|Query(p)| p)
        .unwrap_or_default();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let gzip = accepts_gzip(request.headers());
    let method = request.method().to_string();
    let format = params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("format"))
        .map(|(_, v)| v.to_ascii_uppercase());

    let fault = lock(&shared.faults)
        .get_mut(&path)
        .and_then(VecDeque::pop_front);
    let file = {
        let routes = lock(&shared.routes);
        routes
            .get(&(path.clone(), format.clone()))
            .or_else(|| routes.get(&(path.clone(), None)))
            .cloned()
    };

    let (response, stall) = match fault {
        Some(Fault::RedirectLoop) => {
            let mut response = plain(StatusCode::FOUND, "");
            if let Ok(location) = HeaderValue::from_str(&uri.to_string()) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            (response, None)
        }
        Some(Fault::HugeDeclared { mib }) => (huge_declared(&shared, mib, request).await, None),
        Some(Fault::HugeGzip { mib }) => {
            let mut response = with_body(
                StatusCode::OK,
                "application/json",
                gzipped_zeros(mib),
                false,
            );
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (response, None)
        }
        fault => answer(&shared, fault, file.as_deref(), &params, gzip),
    };
    lock(&shared.seen).push(Seen {
        at,
        method,
        path,
        params,
        headers,
        status: response.status().as_u16(),
    });
    if let Some(stall) = stall {
        tokio::time::sleep(stall).await;
    }
    response
}

/// Decides the answer; the second value is how long to stall before giving it.
fn answer(
    shared: &Shared,
    fault: Option<Fault>,
    file: Option<&str>,
    params: &[(String, String)],
    gzip: bool,
) -> (Response, Option<Duration>) {
    let read = |rel: &str| -> std::io::Result<Vec<u8>> { std::fs::read(shared.data.join(rel)) };
    let not_found = || match read("eurostat/errors/404_not_found.json") {
        Ok(body) => with_body(StatusCode::NOT_FOUND, "application/json", body, false),
        Err(e) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("fake upstream: {e}"),
        ),
    };
    let normal = |file: Option<&str>| -> Response {
        let Some(file) = file else {
            return not_found();
        };
        match normal_body(shared, file, params) {
            Ok(Ok(body)) => with_body(StatusCode::OK, content_type_of(file), body, gzip),
            Ok(Err(too_big)) => with_body(
                StatusCode::PAYLOAD_TOO_LARGE,
                "application/json",
                too_big,
                false,
            ),
            Err(e) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("fake upstream: {e:#}"),
            ),
        }
    };
    let Some(fault) = fault else {
        return (normal(file), None);
    };
    let response = match fault {
        Fault::Status(code) => plain(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "",
        ),
        Fault::TooManyRequests { retry_after_secs } => {
            let mut response = plain(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Fault::Stall(duration) => return (normal(file), Some(duration)),
        Fault::TruncatedGzip => match file.map(read) {
            Some(Ok(body)) => {
                let mut zipped = gzip_bytes(&body);
                zipped.truncate(zipped.len() / 2);
                let mut response = with_body(
                    StatusCode::OK,
                    content_type_of(file.unwrap_or("")),
                    zipped,
                    false,
                );
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response
            }
            _ => not_found(),
        },
        Fault::Html => with_body(
            StatusCode::OK,
            "text/html; charset=utf-8",
            MAINTENANCE_PAGE.as_bytes().to_vec(),
            gzip,
        ),
        Fault::ErrorJson(code, rel) => match read(rel) {
            Ok(body) => with_body(
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "application/json",
                body,
                false,
            ),
            Err(e) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("fake upstream: {e}"),
            ),
        },
        Fault::Empty => {
            let mut response = with_body(
                StatusCode::OK,
                content_type_of(file.unwrap_or("")),
                Vec::new(),
                false,
            );
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(0u64));
            response
        }
        Fault::Truncated => match file.map(read) {
            Some(Ok(mut body)) => {
                body.truncate(body.len() / 2);
                with_body(
                    StatusCode::OK,
                    content_type_of(file.unwrap_or("")),
                    body,
                    gzip,
                )
            }
            _ => not_found(),
        },
        Fault::TextValue { geo, period, text } => {
            match file
                .ok_or_else(|| anyhow!("no file routed here"))
                .and_then(|f| Ok(read(f)?))
                .and_then(|body| put_text(&body, geo, period, text))
            {
                Ok(body) => with_body(StatusCode::OK, "application/json", body, gzip),
                Err(e) => plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("fake upstream: {e:#}"),
                ),
            }
        }
        Fault::OnlyGeos(geos) => {
            let geos: Vec<String> = geos.iter().map(|g| g.to_string()).collect();
            match file
                .ok_or_else(|| anyhow!("no file routed here"))
                .and_then(|f| Ok(read(f)?))
                .and_then(|body| slice_jsonstat(&body, &geos))
            {
                Ok(body) => with_body(StatusCode::OK, "application/json", body, gzip),
                Err(e) => plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("fake upstream: {e:#}"),
                ),
            }
        }
        // Answered in `handle`, which can stream.
        Fault::RedirectLoop | Fault::HugeDeclared { .. } | Fault::HugeGzip { .. } => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake upstream: this fault is answered before",
        ),
        Fault::Replace(other) => match read(other) {
            Ok(body) => with_body(StatusCode::OK, content_type_of(other), body, gzip),
            Err(e) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("fake upstream: {e}"),
            ),
        },
    };
    (response, None)
}

/// `mib` MiB of zeros served from a sparse file by tower-http's `ServeFile` (streaming, with
/// `Content-Length`).
async fn huge_declared(shared: &Shared, mib: u64, request: Request) -> Response {
    use tower::ServiceExt as _;
    let file = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .and_then(|f| {
            f.as_file().set_len(mib << 20)?;
            Ok(f)
        });
    let file = match file {
        Ok(f) => f,
        Err(e) => {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("fake upstream: {e}"),
            );
        }
    };
    let path = file.path().to_path_buf();
    lock(&shared.sparse).push(file);
    // Without an `Accept-Encoding` of its own, the request is answered as is.
    let (mut parts, body) = request.into_parts();
    parts.headers.remove(header::ACCEPT_ENCODING);
    let request = Request::from_parts(parts, body);
    match tower_http::services::ServeFile::new(&path)
        .oneshot(request)
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(e) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("fake upstream: {e}"),
        ),
    }
}

/// A gzip stream of `mib` MiB of zeros, compressed a MiB at a time (about 1 KiB per MiB).
fn gzipped_zeros(mib: u64) -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..mib {
        encoder
            .write_all(&zeros)
            .expect("writing to a Vec cannot fail");
    }
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// The JSON-stat `body` with the value of every cell at `geo` and `period` set to the string
/// `text` (row-major flat index, last dimension fastest).
pub fn put_text(body: &[u8], geo: &str, period: &str, text: &str) -> Result<Vec<u8>> {
    let mut doc: Value = serde_json::from_slice(body).context("the file is not JSON")?;
    let ids: Vec<String> = doc["id"]
        .as_array()
        .ok_or_else(|| anyhow!("no id array"))?
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    let sizes: Vec<usize> = doc["size"]
        .as_array()
        .ok_or_else(|| anyhow!("no size array"))?
        .iter()
        .map(|v| v.as_u64().unwrap_or_default() as usize)
        .collect();
    let position = |dim: &str, code: &str| -> Result<(usize, usize)> {
        let d = ids
            .iter()
            .position(|i| i == dim)
            .ok_or_else(|| anyhow!("no {dim} dimension"))?;
        let codes = category_codes(&doc["dimension"][dim]["category"])?;
        let p = codes
            .iter()
            .position(|c| c == code)
            .ok_or_else(|| anyhow!("no {dim} {code}"))?;
        Ok((d, p))
    };
    let (g, gp) = position("geo", geo)?;
    let (t, tp) = position("time", period)?;
    let strides = strides(&sizes);
    let total: usize = sizes.iter().product();
    let cells: Vec<usize> = (0..total)
        .filter(|i| (i / strides[g]) % sizes[g] == gp && (i / strides[t]) % sizes[t] == tp)
        .collect();
    let mut changed = 0;
    match &mut doc["value"] {
        Value::Array(values) => {
            for &i in &cells {
                if let Some(v) = values.get_mut(i).filter(|v| !v.is_null()) {
                    *v = Value::from(text);
                    changed += 1;
                }
            }
        }
        Value::Object(values) => {
            for i in &cells {
                if let Some(v) = values.get_mut(&i.to_string()) {
                    *v = Value::from(text);
                    changed += 1;
                }
            }
        }
        _ => bail!("no value member"),
    }
    if changed == 0 {
        bail!("no value at geo {geo}, period {period}");
    }
    Ok(serde_json::to_vec(&doc)?)
}

/// The body of a normal answer: `Ok(body)`, or `Err(413 body)` when the too-big mode refuses.
fn normal_body(
    shared: &Shared,
    file: &str,
    params: &[(String, String)],
) -> Result<std::result::Result<Vec<u8>, Vec<u8>>> {
    let path = shared.data.join(file);
    let body = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let limit = *lock(&shared.too_big_above);
    let (Some(limit), true) = (limit, file.ends_with(".json")) else {
        return Ok(Ok(body));
    };
    let geos = requested_geos(params);
    if geos.len() > limit {
        let too_big = shared
            .data
            .join("eurostat/errors/413_extraction_too_big.json");
        return Ok(Err(
            std::fs::read(&too_big).with_context(|| format!("reading {}", too_big.display()))?
        ));
    }
    if geos.is_empty() {
        return Ok(Ok(body));
    }
    Ok(Ok(slice_jsonstat(&body, &geos)?))
}

/// Category codes of a JSON-stat dimension, in position order.
fn category_codes(category: &Value) -> Result<Vec<String>> {
    match category.get("index") {
        Some(Value::Array(codes)) => codes
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow!("non-string code"))
            })
            .collect(),
        Some(Value::Object(index)) => {
            let mut codes = vec![None; index.len()];
            for (code, pos) in index {
                let pos = pos
                    .as_u64()
                    .and_then(|p| usize::try_from(p).ok())
                    .filter(|p| *p < codes.len())
                    .ok_or_else(|| anyhow!("bad index position for {code}"))?;
                codes[pos] = Some(code.clone());
            }
            codes
                .into_iter()
                .map(|c| c.ok_or_else(|| anyhow!("index positions are not 0..n")))
                .collect()
        }
        // A single category may be given by its label alone.
        None => match category.get("label") {
            Some(Value::Object(labels)) if labels.len() == 1 => {
                Ok(labels.keys().cloned().collect())
            }
            _ => bail!("a category without index"),
        },
        Some(_) => bail!("an index that is neither array nor object"),
    }
}

fn strides(sizes: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; sizes.len()];
    for i in (0..sizes.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * sizes[i + 1];
    }
    strides
}

/// Re-keys a `value` or `status` member (array, sparse object, or a single string) through
/// `remap` (old flat index → new flat index, None when the cell is sliced away).
fn remap_cells(
    cells: &Value,
    new_len: usize,
    remap: &dyn Fn(usize) -> Option<usize>,
) -> Result<Value> {
    Ok(match cells {
        Value::Array(items) => {
            let mut out = vec![Value::Null; new_len];
            for (old, item) in items.iter().enumerate() {
                if let Some(new) = remap(old) {
                    out[new] = item.clone();
                }
            }
            Value::Array(out)
        }
        Value::Object(items) => {
            let mut kept = Vec::new();
            for (key, item) in items {
                let old: usize = key
                    .parse()
                    .with_context(|| format!("bad flat index {key:?}"))?;
                if let Some(new) = remap(old) {
                    kept.push((new, item.clone()));
                }
            }
            kept.sort_by_key(|(new, _)| *new);
            Value::Object(kept.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        }
        other => other.clone(),
    })
}

/// Slices a JSON-stat 2.0 dataset to the given geos (kept in the file's order; unknown geos
/// are left out, as the real API does): rebuilds `dimension.geo.category` and `size`, and
/// re-keys `value`, `status` and `extension.positions-with-no-data.geo` (row-major order,
/// last dimension fastest).
pub fn slice_jsonstat(body: &[u8], geos: &[String]) -> Result<Vec<u8>> {
    let mut doc: Value = serde_json::from_slice(body).context("the file is not JSON")?;
    let ids: Vec<String> = doc["id"]
        .as_array()
        .ok_or_else(|| anyhow!("no id array"))?
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    let sizes: Vec<usize> = doc["size"]
        .as_array()
        .ok_or_else(|| anyhow!("no size array"))?
        .iter()
        .map(|v| v.as_u64().unwrap_or_default() as usize)
        .collect();
    if ids.len() != sizes.len() {
        bail!("id and size differ in length");
    }
    let g = ids
        .iter()
        .position(|d| d == "geo")
        .ok_or_else(|| anyhow!("no geo dimension"))?;
    let category = doc["dimension"]["geo"]["category"].clone();
    let codes = category_codes(&category)?;
    if codes.len() != sizes[g] {
        bail!("geo has {} categories but size {}", codes.len(), sizes[g]);
    }
    let keep: Vec<usize> = (0..codes.len())
        .filter(|&p| geos.contains(&codes[p]))
        .collect();
    let new_of_old: HashMap<usize, usize> = keep.iter().enumerate().map(|(n, &o)| (o, n)).collect();
    let mut new_sizes = sizes.clone();
    new_sizes[g] = keep.len();
    let (old_strides, new_strides) = (strides(&sizes), strides(&new_sizes));
    let new_len: usize = new_sizes.iter().product();
    let remap = |old: usize| -> Option<usize> {
        let mut new = 0;
        for d in 0..sizes.len() {
            let mut coord = (old / old_strides[d]) % sizes[d].max(1);
            if d == g {
                coord = *new_of_old.get(&coord)?;
            }
            new += coord * new_strides[d];
        }
        Some(new)
    };

    let mut new_category = Map::new();
    let index: Map<String, Value> = keep
        .iter()
        .enumerate()
        .map(|(n, &o)| (codes[o].clone(), Value::from(n)))
        .collect();
    new_category.insert("index".into(), Value::Object(index));
    if let Some(Value::Object(labels)) = category.get("label") {
        let kept: Map<String, Value> = keep
            .iter()
            .filter_map(|&o| labels.get(&codes[o]).map(|l| (codes[o].clone(), l.clone())))
            .collect();
        new_category.insert("label".into(), Value::Object(kept));
    }
    if let Value::Object(rest) = &category {
        for (k, v) in rest {
            if k != "index" && k != "label" {
                new_category.insert(k.clone(), v.clone());
            }
        }
    }
    doc["dimension"]["geo"]["category"] = Value::Object(new_category);
    doc["size"] = Value::from(new_sizes.clone());
    if let Some(value) = doc.get("value") {
        doc["value"] = remap_cells(value, new_len, &remap)?;
    }
    if let Some(status) = doc.get("status") {
        doc["status"] = remap_cells(status, new_len, &remap)?;
    }
    if let Some(Value::Array(positions)) = doc
        .pointer("/extension/positions-with-no-data/geo")
        .cloned()
    {
        let new_positions: Vec<Value> = positions
            .iter()
            .filter_map(|p| p.as_u64())
            .filter_map(|p| new_of_old.get(&(p as usize)).map(|&n| Value::from(n)))
            .collect();
        doc["extension"]["positions-with-no-data"]["geo"] = Value::Array(new_positions);
    }
    Ok(serde_json::to_vec(&doc)?)
}

/// Reads a shared file (path relative to `shared/data`).
pub fn read_shared(rel: &str) -> Result<Vec<u8>> {
    let path = shared_data().join(rel);
    std::fs::read(&path).with_context(|| format!("Failed to read {}", path.display()))
}

/// The absolute path of a shared file.
pub fn shared_file(rel: &str) -> PathBuf {
    shared_data().join(rel)
}
