//! `/health`, `/metrics` (Prometheus), `/openapi.json` (generated from the handlers) and
//! `POST /admin/refresh` (a fetch now, behind a bearer token; off without a configured token).

use std::sync::OnceLock;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::negotiate::Q;
use crate::api::reply::{self, Freshness};
use crate::fetch::{self, RefreshOptions, Refreshed};

/// The OpenAPI document, set once when the router is built.
pub static OPENAPI: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();

/// Liveness and a summary of the store: datasets served, sources, the failing ones, and the
/// definition files that did not load.
#[utoipa::path(get, path = "/api/v1/health", tag = "operations",
    responses((status = 200, description = "`status`: `ok`, or `degraded` with `reasons` when sources fail or hold no data; the snapshot served, datasets, failing and empty sources, definition problems", content_type = "application/json")))]
pub async fn health(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let store = app.ctx.store.clone();
    let statuses = tokio::task::spawn_blocking(move || store.statuses()).await??;
    let failing: Vec<&String> = statuses
        .iter()
        .filter(|(_, s)| s.last_outcome.as_deref() == Some("failed"))
        .map(|(id, _)| id)
        .collect();
    let snapshot = app.live.snapshot();
    let empty: Vec<&str> = app
        .ctx
        .catalog
        .ids()
        .filter(|id| snapshot.current(id).is_none())
        .collect();
    let mut reasons = Vec::new();
    if !failing.is_empty() {
        reasons.push(format!(
            "{} source(s) failed on their last run: {} (GET /api/v1/sources says why)",
            failing.len(),
            failing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !empty.is_empty() {
        reasons.push(format!(
            "{} source(s) hold no data: {}; they are fetched at their next scheduled run, or load files by hand: desi-city import FILE --dataset ID",
            empty.len(),
            empty.join(", ")
        ));
    }
    let body = json!({
        // `degraded` (with why) when sources fail or hold no data; the API still answers.
        "status": if reasons.is_empty() { "ok" } else { "degraded" },
        "reasons": reasons,
        "empty_sources": empty,
        "version": env!("CARGO_PKG_VERSION"),
        "snapshot": snapshot.id,
        "datasets": snapshot.manifest.datasets.len(),
        "sources": app.ctx.catalog.sources.len(),
        "failing_sources": failing,
        "definition_problems": app.model.problems.iter().chain(&snapshot.figures.problems).collect::<Vec<_>>(),
        "figures": {
            "tables_computed": snapshot.figures.stats.tables_computed,
            "tables_kept": snapshot.figures.stats.tables_kept,
            "composites_computed": snapshot.figures.stats.composites_computed,
            "computed_in_ms": snapshot.figures.stats.elapsed.as_secs_f64() * 1000.0,
            "stale": snapshot.figures.stale.iter().map(|s| json!({
                "what": s.what, "datasets": s.datasets, "error": s.error.to_string(),
            })).collect::<Vec<_>>(),
        },
    });
    Ok(reply::by_body(
        &headers,
        body.to_string().into(),
        "application/json",
        Freshness::Revalidate,
    ))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/api/v1/metrics", tag = "operations",
    responses((status = 200, description = "Requests by route and status, latency histograms, answer-cache hits and misses, 304s, datasets, each source's last success and failure", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8")))]
pub async fn metrics(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let store = app.ctx.store.clone();
    let statuses = tokio::task::spawn_blocking(move || store.statuses()).await??;
    let datasets = app.live.snapshot().manifest.datasets.len();
    let text = app.metrics.render(datasets, &statuses);
    Ok(reply::by_body(
        &headers,
        text.into(),
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
        Freshness::Revalidate,
    ))
}

/// This document: OpenAPI 3.1, generated from the code.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of every route and parameter", content_type = "application/json")))]
pub async fn openapi(headers: HeaderMap) -> Response {
    match OPENAPI.get().map(serde_json::to_vec) {
        Some(Ok(doc)) => {
            reply::by_body(&headers, doc.into(), "application/json", Freshness::Current)
        }
        _ => ApiError::internal("the OpenAPI document was not built").into_response(),
    }
}

/// The query of `/admin/refresh`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RefreshQuery {
    /// One source id (default: every source).
    pub source: Option<String>,
    /// `true` publishes even when the response's dimensions differ from the current version's
    /// (as `desi-city fetch --accept-structure-change`).
    pub accept_structure_change: Option<bool>,
}

/// Compares in time independent of where the first difference is.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs a fetch now and serves its result at once. Needs `Authorization: Bearer <token>` (the
/// configured `api.admin_token` / `DESI_CITY_ADMIN_TOKEN`); without a configured token the route
/// is off (404).
#[utoipa::path(post, path = "/api/v1/admin/refresh", tag = "operations", params(RefreshQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "Per source: published, unchanged or failed (with why)", content_type = "application/json"),
        (status = 401, description = "Missing or wrong token", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Admin routes are off (no token configured), or unknown source", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A refresh is already running", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn refresh(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<RefreshQuery>,
) -> Result<Json<Value>, ApiError> {
    let Some(token) = &app.ctx.settings.api.admin_token else {
        return Err(ApiError::NotFound(
            "Admin routes are off: no admin token is configured (api.admin_token or DESI_CITY_ADMIN_TOKEN).".into(),
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(given) if same_secret(given.as_bytes(), token.as_bytes()) => {}
        Some(_) => {
            return Err(ApiError::Unauthorized(
                "The bearer token is wrong. Use the configured admin token.".into(),
            ));
        }
        None => {
            return Err(ApiError::Unauthorized(
                "Send the admin token as `Authorization: Bearer <token>`.".into(),
            ));
        }
    }
    let sources: Vec<_> = match &q.source {
        Some(id) => vec![app.ctx.catalog.get(id).map_err(|_| {
            ApiError::NotFound(format!(
                "source: there is no source {id:?}. Use one of: {}.",
                app.ctx.catalog.ids().collect::<Vec<_>>().join(", ")
            ))
        })?],
        None => app.ctx.catalog.sources.iter().collect(),
    };
    let Ok(_running) = app.refreshing.try_lock() else {
        return Err(ApiError::Conflict(
            "A refresh is already running; retry when it is done (GET /api/v1/sources shows the outcome).".into(),
        ));
    };
    let options = RefreshOptions {
        accept_structure_change: q.accept_structure_change.unwrap_or(false),
    };
    let mut results = Vec::new();
    for source in sources {
        let outcome = fetch::refresh(&app.ctx, source, &options, &()).await;
        results.push(match outcome {
            Ok(Refreshed::Published(v)) => {
                json!({"source": source.id, "outcome": "published", "version": v.version, "rows": v.rows})
            }
            Ok(Refreshed::Unchanged(v)) => {
                json!({"source": source.id, "outcome": "unchanged", "version": v.version})
            }
            Err(e) => json!({"source": source.id, "outcome": "failed", "error": e.to_string()}),
        });
    }
    let live = app.live.clone();
    let swapped = tokio::task::spawn_blocking(move || live.reload()).await??;
    Ok(Json(json!({
        "results": results,
        "snapshot": app.live.snapshot().id,
        "swapped": swapped,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(same_secret(b"0123456789abcdef", b"0123456789abcdef"));
        assert!(!same_secret(b"0123456789abcdef", b"0123456789abcdeF"));
        assert!(!same_secret(b"0123456789abcdef", b"0123456789abcde"));
    }
}
