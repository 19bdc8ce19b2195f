//! The HTTP API (axum), versioned under `/api/v1`: figures (indicators, series, dimensions, the
//! composite DESI, the regional scorecard, roadmaps), the datasets (DCAT-AP catalogue, Parquet and
//! CSV downloads with `Range`), the sources' state, a changes feed, citations, health, metrics and
//! the OpenAPI document generated from the handlers. Handlers are thin: parse the query, call the
//! library (`crate::indicators`, `crate::store` through a [`live::Snapshot`]), encode the result
//! ([`encode`]). The API never calls upstream servers, except `POST /admin/refresh`, which runs the
//! same `fetch::refresh` the CLI runs.

pub mod cite;
pub mod coding;
pub mod dcat;
pub mod download;
mod edge;
pub mod encode;
pub mod error;
pub mod feed;
pub mod gzip;
pub mod live;
pub mod metrics;
pub mod negotiate;
pub mod payload;
pub mod rendered;
pub mod reply;
mod routes;
#[cfg(test)]
mod testdata;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::net::TcpListener;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::cors::{Any, CorsLayer};

use crate::fetch::Context;
use error::ApiError;
use live::Live;
use payload::Payload;
use rendered::Rendered;
use reply::{Cache, Freshness, Reply};

pub use crate::indicators::model::{Folders, Model};

/// The application state shared by every handler.
pub struct App {
    pub ctx: Arc<Context>,
    pub live: Arc<Live>,
    pub model: Arc<Model>,
    /// The chart definitions of `charts/` (`charts_dir`).
    pub charts: Arc<crate::charts::Charts>,
    /// The pages' templates and texts (`i18n_dir`).
    pub pages: Arc<crate::pages::Pages>,
    pub cache: Cache,
    /// Small Parquet files, kept in memory for downloads.
    pub files: Arc<download::Files>,
    /// The size and checksum of each version's CSV download, for DCAT.
    pub csv_digests: download::CsvDigests,
    pub metrics: metrics::Metrics,
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Held while an admin refresh runs (one at a time).
    refreshing: tokio::sync::Mutex<()>,
    /// Computations running at once (DuckDB: each holds its own database and threads), so that a
    /// burst of uncached requests queues instead of exhausting memory.
    computing: tokio::sync::Semaphore,
    /// Answers being computed, by ETag: a request for an answer under way waits for it instead
    /// of computing it again (after a publish, or once the cache evicted it, a burst of the same
    /// request computes it once, not once per request).
    inflight:
        Mutex<std::collections::HashMap<String, Arc<tokio::sync::OnceCell<Arc<reply::Reply>>>>>,
    /// The vintages asked for lately (`?as_of=`), with their figures, by snapshot id.
    vintages: Mutex<Vec<(String, Arc<live::Snapshot>)>>,
    /// Each indicator table's rows already encoded (JSON objects, CSV lines), by table and the
    /// versions it was computed from: a series answer concatenates the rows it selects.
    rendered: Mutex<std::collections::HashMap<String, Arc<Rendered>>>,
}

/// Answers selected from the figures are kept in the answer cache only below this size.
const KEEP_SELECTED_BELOW: usize = 64 << 10;

/// How many encoded tables are kept (a few versions of every indicator).
const RENDERED_KEPT: usize = 256;

/// How many vintages (`?as_of=`) are kept computed.
const VINTAGES_KEPT: usize = 4;

pub type AppState = Arc<App>;

/// The head of an answer: what its 304 and caching headers need, known before computing it.
pub struct Head {
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
    pub freshness: Freshness,
    pub licence: Option<String>,
}

impl Head {
    /// The head of an answer computed from the definitions and the whole snapshot (any dataset
    /// may feed it): its ETag covers `parts` (route and normalised query), the definitions and
    /// every current version; `Last-Modified` is the newest publication.
    pub fn of_snapshot(app: &App, snapshot: &live::Snapshot, parts: &[&str]) -> Head {
        let mut all: Vec<&str> = parts.to_vec();
        all.extend([app.model.id.as_str(), snapshot.id.as_str()]);
        Head {
            etag: reply::etag(&all),
            last_modified: snapshot.modified,
            freshness: Freshness::Current,
            licence: None,
        }
    }
}

/// The body of an answer, as a computation returns it.
pub struct Body {
    pub bytes: Payload,
    pub content_type: &'static str,
    pub language: Option<&'static str>,
    pub filename: Option<String>,
    /// The content coding `bytes` are already in (a series in gzip assembled from its rows
    /// deflated once), else `None`: the compression layer then codes them as the request asks.
    pub coding: Option<&'static str>,
}

impl Body {
    pub fn json(value: &serde_json::Value) -> Body {
        Body {
            bytes: value.to_string().into(),
            content_type: "application/json",
            language: None,
            filename: None,
            coding: None,
        }
    }

    /// The same body, marked as written in `lang` (`Content-Language`).
    pub fn in_language(self, lang: &'static str) -> Body {
        Body {
            language: Some(lang),
            ..self
        }
    }
}

/// Why the API could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Failed to load the definitions for the API")]
    Definitions(#[source] crate::catalog::CatalogError),
    #[error("Failed to read the store's current snapshot")]
    Store(#[source] crate::store::StoreError),
    #[error("Failed to load the pages' texts")]
    Pages(#[source] crate::pages::PageError),
}

impl App {
    /// Loads the definitions and computes the figures of the store's current snapshot. Blocking
    /// (DuckDB).
    pub fn new(ctx: Arc<Context>, folders: &Folders) -> Result<AppState, AppError> {
        let model = Model::load(&ctx.catalog, folders).map_err(AppError::Definitions)?;
        let pages = Arc::new(
            crate::pages::Pages::load_from(&ctx.settings.i18n()).map_err(AppError::Pages)?,
        );
        for problem in &model.problems {
            tracing::warn!(error = %problem, "A definition file did not load; what needs it answers 503.");
        }
        let model = Arc::new(model);
        let charts = Arc::new(crate::charts::Charts::load(&ctx.settings.charts(), &model));
        let live = Arc::new(Live::open(ctx.store.clone(), model.clone()).map_err(AppError::Store)?);
        let limiter = NonZeroU32::new(ctx.settings.api.compute_per_second).map(|n| {
            let burst = n.saturating_mul(NonZeroU32::new(2).expect("2 is not zero"));
            RateLimiter::keyed(Quota::per_second(n).allow_burst(burst))
        });
        Ok(Arc::new(App {
            ctx,
            live,
            model,
            charts,
            pages,
            cache: Cache::new(32 << 20),
            files: Arc::new(download::Files::new(32 << 20, 4 << 20)),
            csv_digests: download::CsvDigests::default(),
            metrics: metrics::Metrics::new(),
            limiter,
            refreshing: tokio::sync::Mutex::new(()),
            computing: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            vintages: Mutex::new(Vec::new()),
            inflight: Mutex::new(Default::default()),
            rendered: Mutex::new(Default::default()),
        }))
    }

    /// The base URL of absolute links: the configured public URL, else `http://{Host}`.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.ctx.settings.api.public_url {
            return url.clone();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            })
            .unwrap_or("localhost");
        format!("http://{host}")
    }

    /// Answers a GET whose body is computed: 304 when `If-None-Match` matches `head.etag`, the
    /// cached body when there is one, else runs `compute` (blocking, on the blocking pool; rate
    /// limited per client) and caches what it returns.
    pub async fn answer<F>(
        &self,
        headers: &HeaderMap,
        client: Client,
        head: Head,
        compute: F,
    ) -> Result<Response, ApiError>
    where
        F: FnOnce() -> Result<Body, ApiError> + Send + 'static,
    {
        let head = match self.known(headers, head) {
            Ok(known) => return Ok(known),
            Err(head) => head,
        };
        self.check_limit(client)?;
        let etag = head.etag.clone();
        let reply = self
            .computed_once(&etag, || async {
                let body = {
                    let _slot = self.computing.acquire().await.map_err(ApiError::internal)?;
                    tokio::task::spawn_blocking(compute).await??
                };
                let mut reply = self.reply(head, body);
                reply.body = reply.body.flattened();
                let reply = Arc::new(reply);
                self.cache.insert(reply.clone());
                Ok(reply)
            })
            .await?;
        Ok(reply.as_ref().into_response())
    }

    /// The reply of `key` from `compute`, unless a request for the same key is computing it
    /// already: then that one's reply, when it is done. So a burst of the same request after a
    /// publish, or once the cache evicted it, computes its answer once, not once per request.
    /// If the computation fails, the next waiter computes (each brings its own `compute`).
    pub async fn computed_once<F, Fut>(
        &self,
        key: &str,
        compute: F,
    ) -> Result<Arc<reply::Reply>, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Arc<reply::Reply>, ApiError>>,
    {
        let cell = self
            .inflight
            .lock()
            .map_err(ApiError::internal)?
            .entry(key.to_owned())
            .or_default()
            .clone();
        let reply = cell
            .get_or_try_init(|| {
                self.metrics.computed();
                compute()
            })
            .await
            .cloned();
        if let Ok(mut inflight) = self.inflight.lock()
            && inflight.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell))
        {
            inflight.remove(key);
        }
        reply
    }

    /// The answer without computing anything: 304 when `If-None-Match` matches `head.etag` (or,
    /// without `If-None-Match`, when `If-Modified-Since` is not older than `Last-Modified`), the
    /// cached body when there is one; else `head` back, to compute.
    fn known(&self, headers: &HeaderMap, head: Head) -> Result<Response, Head> {
        if reply::is_fresh(headers, &head.etag, head.last_modified) {
            self.metrics.not_modified();
            return Ok(self.reply_head(head).not_modified());
        }
        if let Some(cached) = self.cache.get(&head.etag) {
            self.metrics.cache(true);
            return Ok(cached.as_ref().into_response());
        }
        self.metrics.cache(false);
        Err(head)
    }

    fn reply(&self, head: Head, body: Body) -> Reply {
        Reply {
            body: body.bytes,
            content_type: body.content_type,
            language: body.language,
            filename: body.filename,
            coding: body.coding,
            ..self.reply_head(head)
        }
    }

    /// Answers a GET whose body is selected from figures already computed (no DuckDB): 304 when
    /// `If-None-Match` matches, the cached body when there is one, else `select` runs at once, on
    /// the request's own task (it takes microseconds), and its body is cached when small. Never
    /// rate limited.
    pub fn answer_now<F>(
        &self,
        headers: &HeaderMap,
        head: Head,
        select: F,
    ) -> Result<Response, ApiError>
    where
        F: FnOnce() -> Result<Body, ApiError>,
    {
        let head = match self.known(headers, head) {
            Ok(known) => return Ok(known),
            Err(head) => head,
        };
        let mut reply = self.reply(head, select()?);
        // Small answers are kept (as their own bytes, not slices of the tables); a large one
        // costs less to select again than to hold.
        if reply.body.len() <= KEEP_SELECTED_BELOW {
            reply.body = reply.body.flattened();
            let reply = Arc::new(reply);
            self.cache.insert(reply.clone());
            return Ok(reply.as_ref().into_response());
        }
        Ok((&reply).into_response())
    }

    /// The snapshot of `as_of` (`YYYY-MM-DD`, the end of that day, UTC) with its figures: kept for
    /// the last few vintages asked, else computed (blocking, on the blocking pool, rate limited
    /// per client like any computation).
    pub async fn vintage(
        self: &Arc<Self>,
        client: Client,
        at: DateTime<Utc>,
    ) -> Result<Arc<live::Snapshot>, ApiError> {
        let current = self.live.snapshot();
        let key = reply::etag(&[&current.id, &at.to_rfc3339()]);
        if let Some((_, found)) = self
            .vintages
            .lock()
            .map_err(ApiError::internal)?
            .iter()
            .find(|(k, _)| *k == key)
        {
            return Ok(found.clone());
        }
        self.check_limit(client)?;
        let _slot = self.computing.acquire().await.map_err(ApiError::internal)?;
        let snapshot = Arc::new(tokio::task::spawn_blocking(move || current.as_of(at)).await??);
        let mut kept = self.vintages.lock().map_err(ApiError::internal)?;
        kept.retain(|(k, _)| *k != key);
        kept.push((key, snapshot.clone()));
        if kept.len() > VINTAGES_KEPT {
            kept.remove(0);
        }
        Ok(snapshot)
    }

    /// The rows of `table` encoded, each as JSON and as CSV, with the provenance columns of
    /// `with_provenance` (`encode`s once per table and version, then kept).
    pub fn rendered(
        &self,
        table: &crate::indicators::values::Table,
        with_provenance: impl FnOnce(
            arrow::record_batch::RecordBatch,
        ) -> Result<arrow::record_batch::RecordBatch, ApiError>,
    ) -> Result<Arc<Rendered>, ApiError> {
        let mut key = table.indicator.clone();
        for v in &table.versions {
            key.push('|');
            key.push_str(&v.dataset);
            key.push('=');
            key.push_str(&v.version);
        }
        if let Some(found) = self.rendered.lock().map_err(ApiError::internal)?.get(&key) {
            return Ok(found.clone());
        }
        let all: Vec<usize> = (0..table.rows.len()).collect();
        let batch = with_provenance(table.batch(&all, None)?)?;
        let (csv_header, csv) = encode::csv_lines(&batch)?;
        let rendered = Arc::new(Rendered::new(
            encode::json_row_texts(&batch)?,
            csv_header,
            csv,
            table.geo_bounds(),
        )?);
        let mut kept = self.rendered.lock().map_err(ApiError::internal)?;
        if kept.len() >= RENDERED_KEPT {
            kept.clear();
        }
        kept.insert(key, rendered.clone());
        Ok(rendered)
    }

    /// Refuses a computation beyond the client's share (`api.compute_per_second`).
    fn check_limit(&self, client: Client) -> Result<(), ApiError> {
        if let (Some(limiter), Some(ip)) = (&self.limiter, client.0)
            && let Err(not_until) = limiter.check_key(&ip)
        {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            return Err(ApiError::RateLimited {
                detail: format!(
                    "More than {} uncomputed answers per second from your address. Retry after the delay in Retry-After; answers already computed (and 304 revalidations) are never limited.",
                    self.ctx.settings.api.compute_per_second
                ),
                retry_after: wait.as_secs().max(1),
            });
        }
        Ok(())
    }

    fn reply_head(&self, head: Head) -> Reply {
        Reply {
            body: Payload::default(),
            content_type: "application/octet-stream",
            etag: head.etag,
            last_modified: head.last_modified,
            freshness: head.freshness,
            language: None,
            licence: head.licence,
            filename: None,
            coding: None,
        }
    }
}

/// The client's address, when the server knows it (for rate limiting): the TCP peer, or, when the
/// peer is one of `[api] trusted_proxies`, the address those proxies forwarded (`Forwarded: for=`,
/// else `X-Forwarded-For`), read from the right: the first hop not itself a trusted proxy.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub Option<IpAddr>);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let trusted = &state.ctx.settings.api.trusted_proxies;
        Ok(Client(peer.map(|peer| {
            client_address(peer, &parts.headers, &|ip| {
                trusted.iter().any(|net| net.contains(ip))
            })
        })))
    }
}

/// The client behind `peer`: `peer` itself unless it is trusted, else the rightmost forwarded hop
/// that is not trusted (the leftmost when all are). A header that does not parse is not believed.
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &dyn Fn(IpAddr) -> bool) -> IpAddr {
    if !trusted(peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all(header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                key.trim().eq_ignore_ascii_case("for").then(|| value.trim())
            })
        })
        .collect();
    let hops: Vec<&str> = if forwarded.is_empty() {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect()
    } else {
        forwarded
    };
    let Some(hops) = hops
        .iter()
        .map(|hop| parse_hop(hop))
        .collect::<Option<Vec<IpAddr>>>()
    else {
        return peer;
    };
    hops.iter()
        .rev()
        .find(|ip| !trusted(**ip))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

/// One forwarded hop: `203.0.113.7`, `"[2001:db8::1]:4711"`, `198.51.100.1:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// The router with every route and layer, over `app` (tests can drive it without a listener).
pub fn router(app: AppState) -> Router {
    let (api, openapi) = routes::api();
    // The same document for every router built in this process (tests build several).
    let _ = routes::ops::OPENAPI.set(openapi);
    // Parquet and a chart's data zip are compressed already: coded again, they would not shrink.
    let compress = SizeAbove::new(256)
        .and(NotForContentType::const_new(
            "application/vnd.apache.parquet",
        ))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
    // Any origin, and fixed lists of methods and headers: no answer depends on the request's
    // Origin or preflight headers, so none says `Vary` on them (tower-http's default, joined
    // into a header on every answer).
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .vary(Vec::<header::HeaderName>::new())
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers([
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::RANGE,
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::CONTENT_DISPOSITION,
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
            header::LAST_MODIFIED,
        ]);
    let routes = Router::new()
        .merge(api)
        .route("/health", axum::routing::get(routes::ops::health))
        .route(
            "/embed/embed.css",
            axum::routing::get(routes::charts::embed_css),
        )
        // The HTML pages (outside /api/v1 and the OpenAPI document).
        .merge(routes::pages::router())
        .fallback(error::not_found)
        // Per route: it needs the matched route (metrics) and sees the router's 405.
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            edge::around,
        ))
        .with_state(app);
    // Around the router as a whole, not around each route: a route's layers are cloned for every
    // request, one allocation per layer; these are cloned once, the router inside them shared.
    // The content coding (compressed once per representation, one ETag per coding: coding.rs),
    // then CORS.
    let outside = tower::ServiceBuilder::new()
        .layer(cors)
        .layer(
            coding::ContentCodingLayer::new(compress, 16 << 20).gzip_first(routes::assembles_gzip),
        )
        .service(routes);
    Router::new().fallback_service(outside)
}

/// A bound listener and its router: `Application::build` binds (port 0 picks a free port), `port` tells
/// which, `run` serves until the future is dropped or the shutdown signal fires.
pub struct Application {
    listener: TcpListener,
    router: Router,
    app: AppState,
}

impl Application {
    pub async fn build(app: AppState, addr: &str) -> std::io::Result<Application> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Application {
            listener,
            router: router(app.clone()),
            app,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves, and re-reads the manifest every second so that versions published by another
    /// process are served too.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let watcher = tokio::spawn(live::watch(self.app.live.clone(), Duration::from_secs(1)));
        use axum::serve::ListenerExt as _;
        // No Nagle delay: an answer is written whole in one call, and its last segment would
        // otherwise wait for the client's acknowledgement of the ones before.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "TCP_NODELAY not set");
            }
        });
        let served = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        watcher.abort();
        served
    }
}

#[cfg(test)]
mod client_tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let net: crate::config::IpNet = "10.0.0.0/8".parse().unwrap();
        let trusted = |ip: IpAddr| net.contains(ip);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let xff = headers(&[("x-forwarded-for", "203.0.113.7, 10.0.0.2")]);
        // From an untrusted peer the header is a claim anyone can make.
        assert_eq!(
            client_address(ip("198.51.100.9"), &xff, &trusted),
            ip("198.51.100.9")
        );
        // From the proxy: the rightmost hop that is not a proxy.
        assert_eq!(
            client_address(ip("10.0.0.1"), &xff, &trusted),
            ip("203.0.113.7")
        );
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7")]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &spoofed, &trusted),
            ip("203.0.113.7")
        );
        // Forwarded (RFC 7239) wins over X-Forwarded-For; ports and brackets are read.
        let both = headers(&[
            (
                "forwarded",
                "for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.3",
            ),
            ("x-forwarded-for", "203.0.113.7"),
        ]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &both, &trusted),
            ip("2001:db8::1")
        );
        let port = headers(&[("forwarded", "for=198.51.100.1:80")]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &port, &trusted),
            ip("198.51.100.1")
        );
        // No header, or one that does not parse: the peer.
        assert_eq!(
            client_address(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
        let junk = headers(&[("x-forwarded-for", "unknown")]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &junk, &trusted),
            ip("10.0.0.1")
        );
    }
}

#[cfg(test)]
mod start_tests {
    use super::*;
    use crate::catalog::{Catalog, CatalogError, Folder};
    use crate::config::Settings;
    use crate::store::Store;

    #[test]
    fn a_bad_geo_groups_file_stops_the_app_with_the_typed_error_naming_the_file() {
        let definitions = tempfile::tempdir().expect("a temporary directory");
        let data = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(
            definitions.path().join("geo-groups.toml"),
            "[eu27]\ndescription = \"Member states\"\ncodes = \"BE\"\n",
        )
        .expect("written");
        let settings = Settings {
            data_dir: data.path().to_owned(),
            ..Settings::default()
        };
        let catalog = Catalog::load(settings.datasets()).expect("the shipped catalogue");
        let store = Store::open(data.path(), 1).expect("store");
        let folders = Folders {
            datasets: Folder::disk(definitions.path()),
            ..Folders::of(&settings)
        };
        let ctx = Context::new(settings, catalog, store).expect("context");
        let Err(error) = App::new(ctx, &folders) else {
            panic!("an invalid geo-groups.toml was accepted");
        };
        let AppError::Definitions(CatalogError::Toml { file, .. }) = &error else {
            panic!("not the TOML error of the groups file: {error:?}");
        };
        assert_eq!(file, &definitions.path().join("geo-groups.toml"));
        // The cause is kept as a source, and the chain names the file and the key.
        let chain = error::Chain(&error).to_string();
        assert!(
            chain.starts_with("Failed to load the definitions for the API: ")
                && chain.contains("geo-groups.toml")
                && chain.contains("codes"),
            "{chain}"
        );
    }
}
