//! Prometheus metrics (`GET /api/v1/metrics`, text exposition via `prometheus-client`): requests
//! by route and status, latency by route, answer-cache hits and misses, 304s, and at scrape time
//! the store's state (datasets, each source's last success and whether its last run failed).
//! Counts only; never decides anything.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::AppState;

type Labels = Vec<(&'static str, String)>;

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    cache_hits: Counter,
    cache_misses: Counter,
    computed: Counter,
    not_modified: Counter,
    datasets: Gauge,
    last_success: Family<Labels, Gauge>,
    failing: Family<Labels, Gauge>,
}

fn latency_histogram() -> Histogram {
    // 100 µs … ~1.6 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("desi_city");
        let requests = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let cache_hits = Counter::default();
        let cache_misses = Counter::default();
        let computed = Counter::default();
        let not_modified = Counter::default();
        let datasets = Gauge::default();
        let last_success = Family::<Labels, Gauge>::default();
        let failing = Family::<Labels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            latency.clone(),
        );
        registry.register(
            "answer_cache_hits",
            "Computed answers served from the cache",
            cache_hits.clone(),
        );
        registry.register(
            "answer_cache_misses",
            "Computed answers that had to be computed",
            cache_misses.clone(),
        );
        registry.register(
            "answers_computed",
            "Answers computed (requests that waited for the same answer under way are not counted)",
            computed.clone(),
        );
        registry.register(
            "not_modified",
            "Revalidations answered 304",
            not_modified.clone(),
        );
        registry.register(
            "datasets",
            "Datasets with a current version in the served snapshot",
            datasets.clone(),
        );
        registry.register(
            "source_last_success_timestamp_seconds",
            "When each source last fetched successfully (Unix time)",
            last_success.clone(),
        );
        registry.register(
            "source_failing",
            "1 when the source's last run failed",
            failing.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            cache_hits,
            cache_misses,
            computed,
            not_modified,
            datasets,
            last_success,
            failing,
        }
    }

    pub fn cache(&self, hit: bool) {
        if hit {
            self.cache_hits.inc();
        } else {
            self.cache_misses.inc();
        }
    }

    /// One answer computed (not one served from the cache or from another request's computation).
    pub fn computed(&self) {
        self.computed.inc();
    }

    pub fn not_modified(&self) {
        self.not_modified.inc();
    }

    /// The exposition text, with the store's state as of now.
    pub fn render(
        &self,
        datasets: usize,
        statuses: &std::collections::BTreeMap<String, crate::store::SourceStatus>,
    ) -> String {
        self.datasets.set(datasets as i64);
        for (source, status) in statuses {
            let labels = vec![("source", source.clone())];
            if let Some(t) = status.last_success_at {
                self.last_success.get_or_create(&labels).set(t.timestamp());
            }
            let failed = status.last_outcome.as_deref() == Some("failed");
            self.failing.get_or_create(&labels).set(i64::from(failed));
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Middleware: counts every request by matched route (never the raw path, so ids do not explode
/// the label space) and status, and times it.
pub async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics: &Arc<super::App> = &app;
    metrics
        .metrics
        .latency
        .get_or_create(&vec![("route", route.clone())])
        .observe(started.elapsed().as_secs_f64());
    metrics
        .metrics
        .requests
        .get_or_create(&vec![
            ("route", route),
            ("status", response.status().as_u16().to_string()),
        ])
        .inc();
    response
}
