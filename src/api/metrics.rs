//! Prometheus metrics (`GET /api/v1/metrics`, text exposition via `prometheus-client`): requests
//! by route and status, latency by route, answer-cache hits and misses, 304s, and at scrape time
//! the store's state (datasets, each source's last success and whether its last run failed).
//! Counts only; never decides anything.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// The labels of an answer's latency: its matched route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// The labels of an answer's count: its matched route and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AnswerLabels {
    route: String,
    status: u16,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<AnswerLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
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
        let requests = Family::<AnswerLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
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

    /// Counts one answer of `route` (the matched route, never the raw path, so ids do not explode
    /// the label space) by its status, and records how long it took.
    pub fn observe(&self, route: &str, status: u16, took: Duration) {
        let mut labels = AnswerLabels {
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        let route = RouteLabels {
            route: std::mem::take(&mut labels.route),
        };
        self.latency
            .get_or_create(&route)
            .observe(took.as_secs_f64());
    }
}
