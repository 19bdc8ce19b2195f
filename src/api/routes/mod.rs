//! The routes of `/api/v1`, each documented where it is written (`#[utoipa::path]`), so the OpenAPI
//! document is generated from the code and lists every route and parameter. One module per kind of
//! resource; handlers parse, call the library, encode.

pub mod charts;
pub mod composite;
pub mod datasets;
pub mod figures;
pub mod ops;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::encode::{self, Cube};
use super::error::ApiError;
use super::negotiate::Format;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "desi-city API",
        description = "How digital a city is becoming: the DESI dimensions' indicators for cities, \
            regions and countries, the Commission's composite DESI, a regional scorecard (desi-city's \
            own method), roadmap progress, and the datasets behind them with their provenance. \
            Every figure names its source dataset, flags, version and licence (Eurostat data: CC BY 4.0).\n\n\
            Formats: JSON by default; `?format=` or `Accept` for CSV (`text/csv`), JSON-stat 2.0 \
            (`application/json; profile=jsonstat`) and SDMX-CSV 2.0 on series and dataset endpoints. \
            Every GET has a strong ETag (`If-None-Match` → 304). Errors are `application/problem+json`.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2")
    ),
    tags(
        (name = "figures", description = "Indicators, series and the five DESI dimensions"),
        (name = "composite", description = "The Commission's DESI, the regional scorecard, roadmaps"),
        (name = "datasets", description = "The catalogue (DCAT-AP 3), downloads, sources, changes, citations"),
        (name = "operations", description = "Health, metrics, this document, admin"),
        (name = "charts", description = "Charts drawn on the server (SVG, PNG, alt text, data), embeds and oEmbed"),
    ),
    components(schemas(super::error::Problem)),
    modifiers(&BearerToken)
)]
struct ApiDoc;

/// The admin routes' bearer token, as a security scheme.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// A cube as JSON-stat (for [`Format::JsonStat`]) or SDMX-CSV (otherwise).
fn cube_bytes(format: Format, cube: &Cube) -> Result<Vec<u8>, ApiError> {
    Ok(match format {
        Format::JsonStat => encode::jsonstat(cube)?.to_string().into_bytes(),
        _ => encode::sdmx_csv(cube)?,
    })
}

/// Every `/api/v1` route and the OpenAPI document describing them.
pub fn api() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .routes(routes!(figures::indicators))
        .routes(routes!(figures::indicator))
        .routes(routes!(figures::series))
        .routes(routes!(figures::dimensions))
        .routes(routes!(composite::desi))
        .routes(routes!(composite::regions))
        .routes(routes!(composite::roadmaps))
        .routes(routes!(composite::roadmap))
        .routes(routes!(datasets::catalogue))
        .routes(routes!(datasets::dataset))
        .routes(routes!(datasets::version))
        .routes(routes!(datasets::sources))
        .routes(routes!(datasets::changes))
        .routes(routes!(datasets::cite))
        .routes(routes!(ops::health))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::openapi))
        .routes(routes!(ops::refresh))
        .routes(routes!(charts::list))
        .routes(routes!(charts::chart));
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .merge(
            OpenApiRouter::new()
                .routes(routes!(charts::embed))
                .routes(routes!(charts::oembed)),
        )
        .split_for_parts();
    // `/health` also answers at the root (load balancers, the first releases): document it too.
    if let Some(item) = doc.paths.paths.get("/api/v1/health").cloned() {
        doc.paths.paths.insert("/health".to_owned(), item);
    }
    (router, doc)
}
