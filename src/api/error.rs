//! API errors as RFC 9457 `application/problem+json`.
//!
//! Policy: every error a client can cause is a 4xx whose `detail` says what to do; a `type` URI per
//! variant is stable and documented. Internal errors answer 500 with nothing internal in the body (the
//! cause is logged once, here). No handler panics on input; none returns a bare string error.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title) = self.parts();
        let detail = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "Request failed.");
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
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// The fallback for unknown routes.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "There is no resource at {}. See GET /health; the full API is documented in the README.",
        uri.path()
    ))
}
