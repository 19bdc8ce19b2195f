//! The middleware around every answer, inside the compression layer: it times and counts the
//! answer ([`Metrics::observe`](super::metrics::Metrics::observe)), logs it at `debug`, gives the
//! router's bare 405 its problem ([`error::method_not_allowed`]) and turns a problem into an HTML
//! page for a browser ([`pages::html_error`]). One layer instead of one per concern: each layer
//! costs every request its own boxed service and future.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::AppState;
use super::error;
use super::routes::pages;

/// Middleware: see the module's documentation.
pub async fn around(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let page = pages::ErrorPage::asked(&request);
    let span = tracing::debug_span!("request", method = %request.method(), uri = %request.uri());
    let mut response = error::method_not_allowed(next.run(request).instrument(span.clone()).await);
    if let Some(page) = page {
        response = pages::html_error(&app, page, response).await;
    }
    let took = started.elapsed();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    app.metrics.observe(route, response.status().as_u16(), took);
    span.in_scope(|| tracing::debug!(status = response.status().as_u16(), ?took, "answered"));
    response
}
