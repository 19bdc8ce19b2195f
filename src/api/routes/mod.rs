//! The routes of `/api/v1`, each documented where it is written (`#[utoipa::path]`), so the OpenAPI
//! document is generated from the code and lists every route and parameter. One module per kind of
//! resource; handlers parse, call the library, encode.

pub mod charts;
pub mod composite;
pub mod datasets;
pub mod figures;
pub mod kpis;
pub mod ops;
pub mod pages;

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

/// The answers every route may give besides its own, added to each operation of the document
/// that does not document them itself, so a new route is documented whole from its first
/// commit: a 400 for a bad or unknown query parameter (every query is `deny_unknown_fields`),
/// 404 (an unknown id, or a well-formed geo, edition or date the data does not hold), 406, 422,
/// 429 (computations are rate limited per client), 500 and 503 as problem+json; 304 on GETs
/// (`If-None-Match`, `If-Modified-Since`).
fn document_common_answers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_path_parameter = path.contains('{');
        for (is_get, operation) in [(true, item.get.as_mut()), (false, item.post.as_mut())] {
            let Some(operation) = operation else {
                continue;
            };
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, response: utoipa::openapi::Response| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| response.into());
            };
            if is_get {
                add(
                    "304",
                    ResponseBuilder::new()
                        .description("Not modified: the ETag of `If-None-Match` (or the date of `If-Modified-Since`) is current")
                        .build(),
                );
            }
            add(
                "400",
                problem(
                    "A query parameter is not acceptable (named, with what it accepts), or is unknown: every route refuses parameters it does not list",
                ),
            );
            add(
                "404",
                problem(if has_path_parameter {
                    "No resource of that id, or nothing for the geo, edition or date asked"
                } else {
                    "Nothing for the geo, edition or date asked (the request is well-formed)"
                }),
            );
            add(
                "406",
                problem("`Accept` names no representation this route serves"),
            );
            add(
                "422",
                problem("The query asks for more than one answer may hold (geos, cells)"),
            );
            add(
                "429",
                problem(
                    "Too many computations from this client (`Retry-After` says when to retry)",
                ),
            );
            add(
                "500",
                problem("Internal error (logged; nothing internal is said)"),
            );
            add(
                "503",
                problem("The data or definitions needed are not available yet"),
            );
        }
    }
}

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

/// Whether the answers at `path` are assembled in gzip from rows deflated once (an indicator's
/// series, in JSON and CSV): the content coding layer then prefers gzip to br on a tie.
pub fn assembles_gzip(path: &str) -> bool {
    path.strip_prefix("/api/v1/indicators/")
        .and_then(|rest| rest.strip_suffix("/series"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// Every `/api/v1` route and the OpenAPI document describing them.
pub fn api() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .routes(routes!(figures::indicators))
        .routes(routes!(figures::indicator))
        .routes(routes!(figures::series))
        .routes(routes!(figures::dimensions))
        .routes(routes!(kpis::kpis))
        .routes(routes!(kpis::context))
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
        .merge(v1)
        .merge(
            OpenApiRouter::new()
                .routes(routes!(charts::embed))
                .routes(routes!(charts::oembed)),
        )
        .split_for_parts();
    // `/health` also answers at the root (load balancers, the first releases): document it too,
    // under its own operationId (ids are unique in a document).
    if let Some(mut item) = doc.paths.paths.get("/api/v1/health").cloned() {
        if let Some(get) = item.get.as_mut() {
            get.operation_id = Some("health_root".to_owned());
        }
        doc.paths.paths.insert("/health".to_owned(), item);
    }
    document_common_answers(&mut doc);
    (router, doc)
}
