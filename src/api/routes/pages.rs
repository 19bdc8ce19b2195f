//! The HTML pages, outside `/api/v1` and outside the OpenAPI document: `/` (the dashboard of
//! `[dashboard] geo`), `/indicators/{id}`, `/targets/{roadmap}/{target}` (with its trajectory,
//! `…/trajectory.svg`), `/accessibility`, the stylesheet `/assets/pages.css` and the icon; and
//! [`html_error`], which answers a browser's error with an HTML page while every other client
//! keeps its problem+json (called by `api::edge` around every answer).
//!
//! Handlers parse `?lang=` (else `Accept-Language`), take one snapshot, and call `crate::pages`
//! for the HTML. Answers go through the API's cache: the ETag names the page, the language, the
//! definitions, the snapshot (and, for the dashboard, the sources' states), so a repeated page is
//! a copy of cached bytes and `If-None-Match` a 304. Every page carries a Content-Security-Policy
//! that allows no script and no inline style.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde::Deserialize;

use super::figures::LangQuery;
use crate::api::coding;
use crate::api::error::ApiError;
use crate::api::live::Snapshot;
use crate::api::negotiate::{self, Q};
use crate::api::payload::Payload;
use crate::api::reply::{self, Freshness, Reply};
use crate::api::{App, AppState, Client, Head};
use crate::charts::{self, Ask, Chart, Kind, Theme, words};
use crate::pages::view::{self, ChartView, Inputs, SourceState};
use crate::pages::{self, Pages};

/// The pages' Content-Security-Policy: nothing but this server's images and stylesheet.
pub const PAGES_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// The pages' routes (on the router of `api::router`, which adds the layers).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/indicators/{id}", get(indicator))
        .route("/targets/{roadmap}/{target}", get(target))
        .route(
            "/targets/{roadmap}/{target}/trajectory.svg",
            get(trajectory),
        )
        .route("/accessibility", get(accessibility))
        .route(pages::CSS_PATH, get(css))
        .route("/favicon.svg", get(icon))
        .route("/favicon.ico", get(icon))
}

/// The sources' states, re-read at most once a second (they depend on `status.json` and on the
/// clock, not only on the snapshot): with their fingerprint, for the dashboard's ETag.
struct Memo {
    key: String,
    at: Instant,
    states: Arc<Vec<SourceState>>,
    fingerprint: String,
}

static MEMO: Mutex<Option<Memo>> = Mutex::new(None);
/// The memo's states and their fingerprint (part of the dashboard's ETag).
type States = (Arc<Vec<SourceState>>, String);
/// Held while the memo is renewed: when it expires under load, one request reads the statuses
/// and the others wait for it (each reading them spawned a blocking thread of its own).
static RENEWING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn source_states(app: &AppState, snapshot: &Arc<Snapshot>) -> Result<States, ApiError> {
    let key = format!("{}|{}", app.ctx.store.root().display(), snapshot.id);
    let fresh = || -> Result<Option<States>, ApiError> {
        let memo = MEMO.lock().map_err(ApiError::internal)?;
        Ok(memo
            .as_ref()
            .filter(|m| m.key == key && m.at.elapsed() < Duration::from_secs(1))
            .map(|m| (m.states.clone(), m.fingerprint.clone())))
    };
    if let Some(found) = fresh()? {
        return Ok(found);
    }
    let _renewing = RENEWING.lock().await;
    if let Some(found) = fresh()? {
        return Ok(found);
    }
    let store = app.ctx.store.clone();
    let statuses = tokio::task::spawn_blocking(move || store.statuses()).await??;
    let states = view::source_states(
        &app.ctx.catalog,
        &snapshot.manifest,
        &statuses,
        &snapshot.figures.stale,
        chrono::Utc::now(),
    );
    let fingerprint = reply::etag(&[&format!("{states:?}")]);
    let states = Arc::new(states);
    *MEMO.lock().map_err(ApiError::internal)? = Some(Memo {
        key,
        at: Instant::now(),
        states: states.clone(),
        fingerprint: fingerprint.clone(),
    });
    Ok((states, fingerprint))
}

/// Answers a page: 304 when `If-None-Match` matches, the cached bytes when there are, else
/// `render` (on the blocking pool: a chart's words may read the store) and caches the HTML.
async fn page<F>(
    app: &AppState,
    headers: &HeaderMap,
    head: Head,
    lang: &'static str,
    render: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Result<String, ApiError> + Send + 'static,
{
    // The one coding `coding::ContentCodingLayer` chose for this request: the page is kept compressed
    // in it, so a cached page is a copy of bytes, compressed once per data version.
    let coding = coding::chosen(headers);
    let etag = head.etag.clone();
    let key = coding::coded(&etag, coding);
    let mut response = if reply::is_fresh(headers, &head.etag, head.last_modified) {
        app.metrics.not_modified();
        return Ok(with_csp(
            reply_of(head, Payload::default(), lang).not_modified(),
        ));
    } else if let Some(cached) = app.cache.get(&key) {
        app.metrics.cache(true);
        cached.as_ref().into_response()
    } else {
        app.metrics.cache(false);
        let reply = app
            .computed_once(&key, || async {
                let body = tokio::task::spawn_blocking(move || {
                    let html = render()?;
                    coding::compress(html.as_bytes(), coding, 9).map_err(ApiError::internal)
                })
                .await??;
                let mut reply = reply_of(head, body.into(), lang);
                reply.etag = key.clone();
                reply.coding = (coding != "identity").then_some(coding);
                let reply = Arc::new(reply);
                app.cache.insert(reply.clone());
                Ok(reply)
            })
            .await?;
        reply.as_ref().into_response()
    };
    let h = response.headers_mut();
    // The handlers' ETag: `coding::ContentCodingLayer` gives it the coding's suffix on the way out.
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(with_csp(response))
}

fn with_csp(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGES_CSP),
    );
    response
}

fn reply_of(head: Head, body: Payload, lang: &'static str) -> Reply {
    Reply {
        body,
        content_type: "text/html; charset=utf-8",
        etag: head.etag,
        last_modified: head.last_modified,
        freshness: head.freshness,
        language: Some(lang),
        licence: head.licence,
        filename: None,
        coding: None,
    }
}

fn rendered(
    pages: &Pages,
    name: &str,
    lang: &'static str,
    path: &str,
    view: serde_json::Value,
) -> Result<String, ApiError> {
    pages
        .render(name, lang, path, view)
        .map_err(ApiError::internal)
}

/// The dashboard of the city of `[dashboard] geo`.
pub async fn dashboard(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    let snapshot = app.live.snapshot();
    let (states, fingerprint) = source_states(&app, &snapshot).await?;
    let geo = app.ctx.settings.dashboard.geo.clone();
    let head = Head::of_snapshot(
        &app,
        &snapshot,
        &["page", "/", lang, &geo, &fingerprint, app.pages.id()],
    );
    let work = app.clone();
    page(&app, &headers, head, lang, move || {
        let inputs = Inputs {
            figures: &snapshot.figures,
            catalog: &work.ctx.catalog,
            manifest: &snapshot.manifest,
            geo: &geo,
            charts: &work.charts.charts,
        };
        let t = work.pages.texts(lang);
        let view = view::dashboard(&inputs, t, &states, &snapshot.id, snapshot.modified);
        rendered(&work.pages, "dashboard.html", lang, "/", view)
    })
    .await
}

/// The snippet that embeds chart `id` (as `/embed/{id}` itself writes it).
fn snippet(base: &str, id: &str, lang: &str, title: &str, height: u32) -> String {
    format!(
        "<iframe src=\"{base}/embed/{id}?lang={lang}\" title=\"{}\" width=\"100%\" height=\"{}\" loading=\"lazy\" style=\"border:0\"></iframe>",
        charts::escape(title),
        height + 260
    )
}

fn chart_inputs<'a>(
    app: &'a App,
    snapshot: &'a Snapshot,
    facts: Option<&'a (String, charts::prepare::Facts)>,
) -> charts::prepare::Inputs<'a> {
    charts::prepare::Inputs {
        figures: &snapshot.figures,
        catalog: &app.ctx.catalog,
        store: &snapshot.store,
        facts,
        // The pages draw sparklines and trajectories, never a map.
        shapes: None,
    }
}

/// One indicator: chart, definition, data table, flags, downloads, citation, embed.
pub async fn indicator(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    let indicator = app.model.definitions.get(&id).cloned().ok_or_else(|| {
        ApiError::NotFound(format!(
            "There is no indicator {id:?}. The dashboard (/) links every indicator; GET /api/v1/indicators lists them."
        ))
    })?;
    let snapshot = app.live.snapshot();
    let base = app.base_url(&headers);
    let geo = app.ctx.settings.dashboard.geo.clone();
    let path = format!("/indicators/{id}");
    let head = Head::of_snapshot(
        &app,
        &snapshot,
        &["page", &path, lang, &geo, &base, app.pages.id()],
    );
    let work = app.clone();
    page(&app, &headers, head, lang, move || {
        let inputs = Inputs {
            figures: &snapshot.figures,
            catalog: &work.ctx.catalog,
            manifest: &snapshot.manifest,
            geo: &geo,
            charts: &work.charts.charts,
        };
        let t = work.pages.texts(lang);
        let chart_id = format!("series-{}", indicator.id);
        let chart = match work.charts.get(&chart_id) {
            None => Err(t.fmt(
                "indicator.no_data",
                &[("why", t.get("reason.no_chart_file"))],
            )),
            Some(chart) => {
                match charts::prepare::prepare(
                    chart,
                    &Ask::default(),
                    lang,
                    &chart_inputs(&work, &snapshot, None),
                ) {
                    Ok(p) => Ok(ChartView {
                        src: format!("/api/v1/charts/{chart_id}.svg?lang={lang}"),
                        alt: words::alt(&p),
                        width: chart.width,
                        height: chart.height,
                        embed: Some(format!("/embed/{chart_id}?lang={lang}")),
                        snippet: Some(snippet(&base, &chart_id, lang, &p.title, chart.height)),
                        data: Some(format!("/api/v1/charts/{chart_id}.csv?lang={lang}")),
                        id: Some(chart_id.clone()),
                        svg: Some(format!("/api/v1/charts/{chart_id}.svg?lang={lang}")),
                        png: Some(format!("/api/v1/charts/{chart_id}.png?lang={lang}")),
                    }),
                    Err(e) => {
                        Err(t.fmt("indicator.no_data", &[("why", &view::chart_reason(t, &e))]))
                    }
                }
            }
        };
        let table = snapshot
            .figures
            .table(&indicator.id)
            .and_then(|t| t.as_ref().ok());
        let cited = view::indicator_geos(&inputs, &indicator, table.map(|t| t.as_ref()))
            .into_iter()
            .next();
        let citation = match (cited, snapshot.current(&indicator.source)) {
            (Some(geo), Some(version)) => Some(crate::api::cite::plain(
                &crate::api::cite::CiteInput::of(&indicator, &geo, version, &base),
                lang,
            )),
            _ => None,
        };
        let view = view::indicator(&inputs, t, &indicator, chart, citation);
        rendered(&work.pages, "indicator.html", lang, &path, view)
    })
    .await
}

/// A target's trajectory chart, drawn like a `target-trajectory` chart file would draw it.
fn trajectory_chart(roadmap: &str, target: &str, geo: &str) -> Chart {
    Chart {
        id: format!("{roadmap}-{target}-trajectory"),
        kind: Kind::TargetTrajectory,
        indicator: None,
        roadmap: Some(roadmap.to_owned()),
        target: Some(target.to_owned()),
        methodology: None,
        geos: vec![geo.to_owned()],
        from: None,
        to: None,
        title: None,
        subtitle: None,
        notes: None,
        width: 800,
        height: 500,
        classes: 5,
        classing: charts::definition::Classing::Natural,
        file: std::path::PathBuf::from("(pages)"),
    }
}

/// The roadmap and target of a path, or a 404 naming what exists.
fn find_target(
    app: &App,
    roadmap: &str,
    target: &str,
) -> Result<
    (
        crate::indicators::roadmap::Roadmap,
        crate::indicators::roadmap::Target,
    ),
    ApiError,
> {
    let r = app
        .model
        .roadmaps
        .iter()
        .find(|r| r.id == roadmap)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "There is no roadmap {roadmap:?}. The dashboard (/) links every target."
            ))
        })?;
    let t = r.targets.iter().find(|t| t.id == target).ok_or_else(|| {
        ApiError::NotFound(format!(
            "The roadmap {roadmap} has no target {target:?}. Its targets: {}.",
            r.targets
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    Ok((r.clone(), t.clone()))
}

/// One roadmap target: its definition, progress per geo, and its trajectory for each geo.
pub async fn target(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path((roadmap_id, target_id)): Path<(String, String)>,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    let (roadmap, target) = find_target(&app, &roadmap_id, &target_id)?;
    let snapshot = app.live.snapshot();
    let base = app.base_url(&headers);
    let path = format!("/targets/{roadmap_id}/{target_id}");
    let head = Head::of_snapshot(
        &app,
        &snapshot,
        &["page", &path, lang, &base, app.pages.id()],
    );
    let work = app.clone();
    page(&app, &headers, head, lang, move || {
        let t = work.pages.texts(lang);
        let roadmap = snapshot
            .figures
            .roadmap_definition(&roadmap.id)
            .cloned()
            .unwrap_or(roadmap);
        let target = roadmap
            .targets
            .iter()
            .find(|x| x.id == target.id)
            .cloned()
            .unwrap_or(target);
        let facts = work.charts.facts(&snapshot.store).ok().flatten();
        let charts: Vec<(String, Result<ChartView, String>)> = target
            .geos
            .iter()
            .map(|geo| {
                // The chart file drawn for this target and geo, when one is shipped; else the
                // page's own trajectory.
                let shipped =
                    view::shipped_trajectory(&work.charts.charts, &roadmap.id, &target.id, geo);
                let own = trajectory_chart(&roadmap.id, &target.id, geo);
                let chart = shipped.unwrap_or(&own);
                let drawn = charts::prepare::prepare(
                    chart,
                    &Ask::default(),
                    lang,
                    &chart_inputs(&work, &snapshot, facts.as_deref()),
                )
                .map(|p| match shipped {
                    Some(c) => ChartView {
                        src: format!("/api/v1/charts/{}.svg?lang={lang}", c.id),
                        alt: words::alt(&p),
                        width: c.width,
                        height: c.height,
                        embed: Some(format!("/embed/{}?lang={lang}", c.id)),
                        snippet: Some(snippet(&base, &c.id, lang, &p.title, c.height)),
                        data: Some(format!("/api/v1/charts/{}.csv?lang={lang}", c.id)),
                        id: Some(c.id.clone()),
                        svg: Some(format!("/api/v1/charts/{}.svg?lang={lang}", c.id)),
                        png: Some(format!("/api/v1/charts/{}.png?lang={lang}", c.id)),
                    },
                    None => ChartView {
                        src: format!("{path}/trajectory.svg?geo={geo}&lang={lang}"),
                        alt: words::alt(&p),
                        width: chart.width,
                        height: chart.height,
                        ..ChartView::default()
                    },
                })
                .map_err(|e| view::chart_reason(t, &e));
                (geo.clone(), drawn)
            })
            .collect();
        let progress = snapshot.figures.roadmap(&roadmap.id).unwrap_or_default();
        let view = view::target(
            t,
            &snapshot.figures.model().definitions,
            &work.charts.charts,
            &roadmap,
            &target,
            progress,
            charts,
        );
        rendered(&work.pages, "target.html", lang, &path, view)
    })
    .await
}

/// The query of a target's trajectory.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrajectoryQuery {
    /// One of the target's geos (default: its first).
    pub geo: Option<String>,
    pub lang: Option<String>,
}

/// A target's trajectory as SVG (history, the trajectory from past performance, the path
/// required, the target and its year), for one of the target's geos.
pub async fn trajectory(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Path((roadmap_id, target_id)): Path<(String, String)>,
    Q(q): Q<TrajectoryQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    let (_, target) = find_target(&app, &roadmap_id, &target_id)?;
    let geo =
        match q.geo {
            None => target.geos.first().cloned().ok_or_else(|| {
                ApiError::NotFound(format!("The target {target_id} names no geo."))
            })?,
            Some(g) if target.geos.contains(&g) => g,
            Some(g) => {
                return Err(ApiError::NotFound(format!(
                    "geo: the target {target_id} is not measured for {g:?}. Use one of: {}.",
                    target.geos.join(", ")
                )));
            }
        };
    let snapshot = app.live.snapshot();
    let head = Head::of_snapshot(
        &app,
        &snapshot,
        &["trajectory", &roadmap_id, &target_id, &geo, lang],
    );
    let work = app.clone();
    app.answer(&headers, client, head, move || {
        let chart = trajectory_chart(&roadmap_id, &target_id, &geo);
        let facts = work.charts.facts(&snapshot.store)?;
        let p = charts::prepare::prepare(
            &chart,
            &Ask::default(),
            lang,
            &chart_inputs(&work, &snapshot, facts.as_deref()),
        )?;
        Ok(crate::api::Body {
            bytes: charts::svg(&p, chart.width, chart.height, Theme::Light)?.into(),
            content_type: "image/svg+xml",
            language: Some(lang),
            filename: None,
            coding: None,
        })
    })
    .await
}

/// The accessibility statement.
pub async fn accessibility(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    let head = Head {
        etag: reply::etag(&[
            "page",
            "/accessibility",
            lang,
            &app.model.id,
            app.pages.id(),
        ]),
        last_modified: None,
        freshness: Freshness::Current,
        licence: None,
    };
    let work = app.clone();
    page(&app, &headers, head, lang, move || {
        let t = work.pages.texts(lang);
        rendered(
            &work.pages,
            "accessibility.html",
            lang,
            "/accessibility",
            view::accessibility(t),
        )
    })
    .await
}

/// The pages' stylesheet.
pub async fn css(headers: HeaderMap) -> Response {
    reply::by_body(
        &headers,
        Bytes::from_static(pages::CSS.as_bytes()),
        "text/css; charset=utf-8",
        Freshness::Current,
    )
}

/// The icon (so that browsers asking for one get it rather than a 404).
const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#0b5394\"/><path d=\"M3 12V8h2v4zm4 0V5h2v7zm4 0V3h2v9z\" fill=\"#fff\"/></svg>";

pub async fn icon(headers: HeaderMap) -> Response {
    reply::by_body(
        &headers,
        Bytes::from_static(ICON.as_bytes()),
        "image/svg+xml",
        Freshness::Current,
    )
}

/// Whether a request's `Accept` prefers HTML to JSON: `text/html` (or XHTML) listed, with a
/// quality not below that of any JSON type listed. `*/*` alone (API clients, schemathesis) and
/// `application/json` are not HTML.
pub fn prefers_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let (mut html, mut json) = (None::<f32>, 0.0f32);
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .map_or(1.0, |q| q.trim().parse().unwrap_or(0.0));
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = Some(html.unwrap_or(0.0).max(q)),
            m if m == "application/json" || m.ends_with("+json") => json = json.max(q),
            _ => {}
        }
    }
    html.is_some_and(|h| h > 0.0 && h >= json)
}

/// The language of an error page: `?lang=` when it is one, else `Accept-Language`.
fn error_lang(request: &Request) -> &'static str {
    let asked = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    asked
        .and_then(|l| negotiate::lang(Some(&l), &HeaderMap::new()).ok())
        .or_else(|| negotiate::lang(None, request.headers()).ok())
        .unwrap_or("en")
}

/// What a browser's error page needs from its request: the language and the path asked.
pub struct ErrorPage {
    lang: &'static str,
    path: String,
}

impl ErrorPage {
    /// The error page `request` would get, when its `Accept` prefers HTML ([`prefers_html`]).
    pub fn asked(request: &Request) -> Option<ErrorPage> {
        prefers_html(request.headers()).then(|| ErrorPage {
            lang: error_lang(request),
            path: request.uri().path().to_owned(),
        })
    }
}

/// A problem+json answer as the HTML page `page` asked for, with the same status, title and
/// detail (and the same headers: `Allow`, `Retry-After`, `Cache-Control: no-store`); every other
/// answer unchanged.
pub async fn html_error(app: &AppState, page: ErrorPage, response: Response) -> Response {
    let ErrorPage { lang, path } = page;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return ApiError::internal("an error body could not be read").into_response();
    };
    let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let status = parts.status;
    let title = problem["title"]
        .as_str()
        .or(status.canonical_reason())
        .unwrap_or("Error");
    let detail = problem["detail"].as_str().unwrap_or_default();
    let t = app.pages.texts(lang);
    let html = match app.pages.render(
        "error.html",
        lang,
        &path,
        view::error(t, status.as_u16(), title, detail),
    ) {
        Ok(html) => html,
        Err(error) => {
            tracing::error!(%error, "The error page could not be rendered.");
            return Response::from_parts(parts, AxumBody::from(bytes));
        }
    };
    let h = &mut parts.headers;
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGES_CSP),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    h.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, AxumBody::from(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_static(v));
        h
    }

    #[test]
    fn a_browser_prefers_html_and_an_api_client_does_not() {
        assert!(prefers_html(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
        )));
        assert!(prefers_html(&accept("text/html")));
        assert!(!prefers_html(&HeaderMap::new()));
        assert!(!prefers_html(&accept("*/*")));
        assert!(!prefers_html(&accept("application/json")));
        assert!(!prefers_html(&accept(
            "application/problem+json, text/html;q=0.5"
        )));
        assert!(!prefers_html(&accept("text/html;q=0")));
        assert!(!prefers_html(&accept("text/csv")));
    }
}
