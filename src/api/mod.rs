//! The HTTP API (axum). For now: `GET /health`; the figures, datasets and charts routes come with the API
//! issue. Handlers are thin: read the store, encode JSON. The API never calls upstream servers.

pub mod error;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::fetch::Context;
use error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub ctx: Arc<Context>,
}

/// The router over a context, without a listener (tests can drive it directly).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .fallback(error::not_found)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A bound listener and its router: `Application::build` binds (port 0 picks a free port), `port` tells
/// which, `run` serves until the future is dropped or the shutdown signal fires.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    pub async fn build(state: AppState, addr: &str) -> std::io::Result<Application> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Application {
            listener,
            router: router(state),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Liveness and a summary of the store: how many datasets, and each source's last outcome.
async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let store = state.ctx.store.clone();
    let (manifest, statuses) = tokio::task::spawn_blocking(move || {
        Ok::<_, crate::store::StoreError>((store.manifest()?, store.statuses()?))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let failing: Vec<&String> = statuses
        .iter()
        .filter(|(_, s)| s.last_outcome.as_deref() == Some("failed"))
        .map(|(id, _)| id)
        .collect();
    Ok(Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "datasets": manifest.datasets.len(),
        "sources": state.ctx.catalog.sources.len(),
        "failing_sources": failing,
    })))
}
