//! `/api/v1/charts` (the list), `/api/v1/charts/{id}.svg|.png|.txt|.csv|.parquet|.zip` (the
//! chart, its alt text and its data), `/embed/{id}` (a page for journalists' CMSs: no
//! JavaScript, a strict Content-Security-Policy, the chart, its words, its data and the iframe
//! snippet) and `/oembed` (oEmbed 1.0, `rich`). Parses and encodes; every number comes from
//! `crate::charts` over the served snapshot's figures. Answers carry the same ETag, 304,
//! caching and CORS as the rest of the API; bad parameters are 400 problems naming the parameter.

use std::io::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::api::error::ApiError;
use crate::api::live::Snapshot;
use crate::api::negotiate::{self, Q};
use crate::api::{App, AppState, Body, Client, Head};
use crate::charts::{self, Ask, Chart, ChartError, Prepared, SIZES, Theme, prepare, words};

/// The query of a chart (each overrides the chart file).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChartQuery {
    /// Comma-separated geo codes (a time series: its lines; a ranking, profile, trajectory or
    /// composite: the geo it is about), e.g. `BE10,BE,EU27_2020`; at most 8.
    #[param(pattern = "^[A-Z0-9_]{1,32}(,[A-Z0-9_]{1,32}){0,7}$")]
    pub geo: Option<String>,
    /// First year (1950–2100).
    #[param(minimum = 1950, maximum = 2100)]
    pub from: Option<i32>,
    /// Last year (1950–2100; a ranking or a composite: the year shown).
    #[param(minimum = 1950, maximum = 2100)]
    pub to: Option<i32>,
    /// `en`, `fr`, `nl` or `de` (else from `Accept-Language`, else `en`).
    #[param(value_type = Option<crate::api::negotiate::LangParam>, inline)]
    pub lang: Option<String>,
    /// Width in px, 320–2400 (default the chart file's, 800).
    #[param(value_type = Option<u32>, minimum = 320, maximum = 2400)]
    pub w: Option<String>,
    /// Height in px, 320–2400 (default: the chart's aspect ratio at that width).
    #[param(value_type = Option<u32>, minimum = 320, maximum = 2400)]
    pub h: Option<String>,
    /// `light` (default) or `dark`.
    #[param(value_type = Option<crate::api::negotiate::ThemeParam>, inline)]
    pub theme: Option<String>,
}

/// What a request asks, checked.
#[derive(Debug, Clone)]
struct Asked {
    chart: Chart,
    ask: Ask,
    lang: &'static str,
    width: u32,
    height: u32,
    theme: Theme,
    /// The query, normalised (for ETags and links), without `lang`.
    query: String,
}

fn size(name: &'static str, value: Option<&str>) -> Result<Option<u32>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    match value.parse::<u32>() {
        Ok(v) if SIZES.contains(&v) => Ok(Some(v)),
        _ => Err(ApiError::BadRequest(format!(
            "{name}: {value:?} is not a size this chart is drawn at. Give a whole number of pixels from {} to {}.",
            SIZES.start(),
            SIZES.end()
        ))),
    }
}

fn find_chart(app: &App, id: &str) -> Result<Chart, ApiError> {
    app.charts.get(id).cloned().ok_or_else(|| {
        ApiError::NotFound(format!(
            "There is no chart {id:?}. GET /api/v1/charts lists them{}.",
            if app.charts.problems.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} chart files did not load: see the server log)",
                    app.charts.problems.len()
                )
            }
        ))
    })
}

fn asked(app: &App, id: &str, q: &ChartQuery, headers: &HeaderMap) -> Result<Asked, ApiError> {
    let chart = find_chart(app, id)?;
    let lang = negotiate::lang(q.lang.as_deref(), headers)?;
    let theme = match q.theme.as_deref() {
        None => Theme::Light,
        Some(t) => Theme::parse(t).ok_or_else(|| {
            ApiError::BadRequest(format!("theme: {t:?} is not a theme. Use light or dark."))
        })?,
    };
    let w = size("w", q.w.as_deref())?;
    let h = size("h", q.h.as_deref())?;
    let (width, height) = match (w, h) {
        (None, None) => (chart.width, chart.height),
        (Some(w), None) => (
            w,
            ((f64::from(w) * f64::from(chart.height) / f64::from(chart.width)).round() as u32)
                .clamp(*SIZES.start(), *SIZES.end()),
        ),
        (None, Some(h)) => (
            ((f64::from(h) * f64::from(chart.width) / f64::from(chart.height)).round() as u32)
                .clamp(*SIZES.start(), *SIZES.end()),
            h,
        ),
        (Some(w), Some(h)) => (w, h),
    };
    let geos = match &q.geo {
        None => None,
        Some(list) => {
            let geos = negotiate::list_param("geo", list, 8)?;
            if let Some(bad) = geos.iter().find(|g| !crate::catalog::geo::is_geo_code(g)) {
                return Err(ApiError::BadRequest(format!(
                    "geo: {bad:?} is not a geo code. Write codes as Eurostat does, e.g. BE10, BE, EU27_2020."
                )));
            }
            Some(geos)
        }
    };
    for (name, year) in [("from", q.from), ("to", q.to)] {
        if let Some(y) = year
            && !(1950..=2100).contains(&y)
        {
            return Err(ApiError::BadRequest(format!(
                "{name}: {y} is not a year from 1950 to 2100."
            )));
        }
    }
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        // Well-formed years that select nothing: nothing to serve (404), as for a series.
        return Err(ApiError::NotFound(format!(
            "from ({f}) is after to ({t}). Swap them."
        )));
    }
    let mut query = Vec::new();
    if let Some(g) = &geos {
        query.push(format!("geo={}", g.join(",")));
    }
    if let Some(f) = q.from {
        query.push(format!("from={f}"));
    }
    if let Some(t) = q.to {
        query.push(format!("to={t}"));
    }
    if w.is_some() || h.is_some() {
        query.push(format!("w={width}&h={height}"));
    }
    if theme == Theme::Dark {
        query.push("theme=dark".to_owned());
    }
    Ok(Asked {
        chart,
        ask: Ask {
            geos,
            from: q.from,
            to: q.to,
        },
        lang,
        width,
        height,
        theme,
        query: query.join("&"),
    })
}

impl From<ChartError> for ApiError {
    fn from(error: ChartError) -> ApiError {
        match error {
            // A well-formed value the data cannot answer (a geo or period without a value):
            // nothing to serve (404), as for a series.
            ChartError::Parameter { .. } => ApiError::NotFound(format!("{error}.")),
            ChartError::Unavailable(why) => ApiError::Unavailable(worded(&why)),
            other => ApiError::internal(other),
        }
    }
}

/// The engine's reason a chart is not drawn, in the API's words: for a dataset not fetched yet,
/// when it will be and what loads it by hand (the words of `crate::commands`).
fn worded(why: &charts::Unavailable) -> String {
    match why {
        charts::Unavailable::NotFetched { load, .. } => format!(
            "{}.",
            crate::commands::with_load(
                &format!("{why}; it will be after the next scheduled fetch"),
                Some(load)
            )
        ),
        charts::Unavailable::NotComputed { source, .. } => {
            format!("{why}: {}", crate::commands::with_fix(source))
        }
        charts::Unavailable::NotLoaded { .. } => {
            format!("{why} (see the definition problems in /api/v1/sources).")
        }
        other => format!("{other}."),
    }
}

fn prepared(app: &App, snapshot: &Snapshot, a: &Asked) -> Result<Prepared, ApiError> {
    let facts = app.charts.facts(&snapshot.store)?;
    let shapes = if a.chart.kind == charts::Kind::Map {
        app.charts.shapes(&snapshot.store)?
    } else {
        None
    };
    let inputs = prepare::Inputs {
        figures: &snapshot.figures,
        catalog: &app.ctx.catalog,
        store: &snapshot.store,
        facts: facts.as_deref(),
        shapes,
    };
    Ok(prepare::prepare(&a.chart, &a.ask, a.lang, &inputs)?)
}

/// The head of an answer about chart `a` in representation `kind`: its ETag covers the chart's
/// definition, the query, the definitions and every current version of the data.
fn head(app: &App, snapshot: &Snapshot, a: &Asked, kind: &str) -> Head {
    let definition = format!("{:?}", a.chart);
    let size = format!("{}x{}", a.width, a.height);
    Head::of_snapshot(
        app,
        snapshot,
        &[
            "chart",
            &a.chart.id,
            kind,
            a.lang,
            &a.query,
            &size,
            a.theme.as_str(),
            &definition,
        ],
    )
}

/// Every chart: id, type, title (in the language asked) and URLs.
#[utoipa::path(get, path = "/api/v1/charts", tag = "charts", params(crate::api::routes::figures::LangQuery),
    responses((status = 200, description = "Every chart: id, type, title and the URLs of its SVG, PNG, alt text, data and embed page", content_type = "application/json"),
        (status = 400, description = "Bad parameter", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<crate::api::routes::figures::LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    let snapshot = app.live.snapshot();
    let head = Head::of_snapshot(&app, &snapshot, &["charts", lang]);
    app.answer_now(&headers, head, || {
        let model = snapshot.figures.model();
        let list: Vec<Value> = app
            .charts
            .charts
            .iter()
            .map(|c| {
                let title = prepare::default_title(c, lang, model);
                let base = format!("/api/v1/charts/{}", c.id);
                json!({
                    "id": c.id,
                    "type": c.kind.as_str(),
                    "title": title,
                    "indicator": c.indicator,
                    "geos": c.geos,
                    "width": c.width,
                    "height": c.height,
                    "links": {
                        "svg": format!("{base}.svg"),
                        "png": format!("{base}.png"),
                        "txt": format!("{base}.txt"),
                        "csv": format!("{base}.csv"),
                        "parquet": format!("{base}.parquet"),
                        "zip": format!("{base}.zip"),
                        "embed": format!("/embed/{}", c.id),
                    },
                })
            })
            .collect();
        Ok(Body::json(&json!({ "language": lang, "charts": list })).in_language(lang))
    })
}

/// The representations of a chart, by extension.
const EXTENSIONS: [&str; 6] = ["svg", "png", "txt", "csv", "parquet", "zip"];

/// One chart as SVG, PNG, its alt text, or its data (CSV, Parquet, a zip with the data, a
/// metadata JSON and a README with the citation and the licence).
#[utoipa::path(get, path = "/api/v1/charts/{file}", tag = "charts",
    params(("file" = String, Path, description = "`{id}.svg`, `{id}.png`, `{id}.txt` (the alt text), `{id}.csv`, `{id}.parquet` or `{id}.zip`, e.g. `internet-access-brussels.svg`"), ChartQuery),
    responses((status = 200, description = "The chart (image/svg+xml, image/png), its alt text (text/plain) or its data (text/csv, Parquet, zip); the footer names the source, the licence (CC BY 4.0), desi-city's processing and the data date"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A parameter the chart cannot answer (unknown geo or language, a size out of 320–2400, a geo or period with no value): the problem names it", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown chart or extension", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The chart's data has not been fetched yet", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn chart(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Path(file): Path<String>,
    Q(q): Q<ChartQuery>,
) -> Result<Response, ApiError> {
    let (id, ext) = file.rsplit_once('.').unwrap_or((file.as_str(), ""));
    let Some(ext) = EXTENSIONS.iter().find(|e| **e == ext).copied() else {
        return Err(ApiError::NotFound(format!(
            "{file:?}: a chart is served as {}; e.g. /api/v1/charts/{id}.svg.",
            EXTENSIONS.map(|e| format!("{id}.{e}")).join(", ")
        )));
    };
    let a = asked(&app, id, &q, &headers)?;
    let snapshot = app.live.snapshot();
    let head = head(&app, &snapshot, &a, ext);
    let work = app.clone();
    app.answer(&headers, client, head, move || {
        let p = prepared(&work, &snapshot, &a)?;
        let lang = a.lang;
        let body = match ext {
            "svg" => Body {
                bytes: charts::svg(&p, a.width, a.height, a.theme)?.into(),
                content_type: "image/svg+xml",
                language: Some(lang),
                filename: None,
                coding: None,
            },
            "png" => Body {
                bytes: charts::png_of(&p, a.width, a.height, a.theme)?.into(),
                content_type: "image/png",
                language: Some(lang),
                filename: None,
                coding: None,
            },
            "txt" => Body {
                bytes: words::alt(&p).into(),
                content_type: "text/plain; charset=utf-8",
                language: Some(lang),
                filename: None,
                coding: None,
            },
            "csv" => Body {
                bytes: csv(&p)?.into(),
                content_type: "text/csv; charset=utf-8; header=present",
                language: None,
                filename: Some(format!("{}.csv", p.id)),
                coding: None,
            },
            "parquet" => Body {
                bytes: parquet(&p)?.into(),
                content_type: "application/vnd.apache.parquet",
                language: None,
                filename: Some(format!("{}.parquet", p.id)),
                coding: None,
            },
            _ => Body {
                bytes: zip(&p, &work.base_url(&HeaderMap::new()))?.into(),
                content_type: "application/zip",
                language: None,
                filename: Some(format!("{}.zip", p.id)),
                coding: None,
            },
        };
        Ok(body)
    })
    .await
}

/// The chart's data as CSV (RFC 4180, CRLF, as every CSV of the API).
fn csv(p: &Prepared) -> Result<Vec<u8>, ApiError> {
    let (header, rows) = words::table(p);
    let mut writer = crate::api::encode::csv_writer(Vec::new());
    writer.write_record(&header).map_err(ApiError::internal)?;
    for row in rows {
        writer.write_record(&row).map_err(ApiError::internal)?;
    }
    writer.into_inner().map_err(ApiError::internal)
}

/// The chart's data as Parquet: columns whose every cell is a number are doubles, the others text.
fn parquet(p: &Prepared) -> Result<Vec<u8>, ApiError> {
    use arrow::array::{ArrayRef, Float64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    let (header, rows) = words::table(p);
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let cells: Vec<&str> = rows.iter().map(|r| r[i].as_str()).collect();
        let numeric = matches!(
            *name,
            "value" | "eu27_value" | "index_eu_100" | "weighted_score" | "class_low" | "class_high"
        );
        if numeric {
            let values: Vec<Option<f64>> = cells.iter().map(|c| c.parse().ok()).collect();
            fields.push(Field::new(*name, DataType::Float64, true));
            columns.push(Arc::new(Float64Array::from(values)));
        } else {
            fields.push(Field::new(*name, DataType::Utf8, true));
            columns.push(Arc::new(StringArray::from(
                cells
                    .iter()
                    .map(|c| (!c.is_empty()).then_some(*c))
                    .collect::<Vec<_>>(),
            )));
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = arrow::record_batch::RecordBatch::try_new(schema.clone(), columns)
        .map_err(ApiError::internal)?;
    let mut out = Vec::new();
    {
        let mut writer = ::parquet::arrow::ArrowWriter::try_new(&mut out, schema, None)
            .map_err(ApiError::internal)?;
        writer.write(&batch).map_err(ApiError::internal)?;
        writer.close().map_err(ApiError::internal)?;
    }
    Ok(out)
}

/// The metadata of a chart's data: what, from where, under which licence, how to cite it.
fn metadata(p: &Prepared, base: &str) -> Value {
    json!({
        "chart": p.id,
        "type": p.kind.as_str(),
        "title": p.title,
        "subtitle": p.subtitle,
        "language": p.lang,
        "unit": p.unit,
        "description": words::alt(p),
        "sources": p.credits.iter().map(|c| json!({
            "credit": c.line,
            "dataset": c.dataset,
            "version": c.version,
            "published": c.published,
            "licence": c.licence,
            "dataset_url": format!("{base}/api/v1/datasets/{}", c.dataset),
        })).collect::<Vec<_>>(),
        "licence": "CC BY 4.0",
        "licence_url": "https://creativecommons.org/licenses/by/4.0/",
        "processed_by": "desi-city",
        "citation": citation(p, base),
        "url": format!("{base}/embed/{}", p.id),
    })
}

fn citation(p: &Prepared, base: &str) -> String {
    let sources: Vec<String> = p
        .credits
        .iter()
        .map(|c| format!("{} (version {})", c.line, c.version))
        .collect();
    format!(
        "{}. {}; processed by desi-city. {}/embed/{} (data of {}). Licence: CC BY 4.0.",
        p.title,
        sources.join("; "),
        base,
        p.id,
        p.data_date().unwrap_or("-")
    )
}

/// The zip: `data.csv`, `metadata.json`, `README.md`.
fn zip(p: &Prepared, base: &str) -> Result<Vec<u8>, ApiError> {
    let mut writer = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated);
    let readme = format!(
        "# {title}\n\n{alt}\n\n## Files\n\n- `data.csv`: the values drawn in the chart, unrounded, with their flags.\n- `metadata.json`: the chart, its sources (dataset, version, publication date) and licence.\n\n## Citation\n\n{citation}\n\n## Licence\n\nThe data is under the Creative Commons Attribution 4.0 International licence (CC BY 4.0,\nhttps://creativecommons.org/licenses/by/4.0/): reuse it freely, naming the source:\n\n{credits}\n\nprocessed by desi-city.\n",
        title = p.title,
        alt = words::alt(p),
        citation = citation(p, base),
        credits = p
            .credits
            .iter()
            .map(|c| format!("- {}", c.line))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    for (name, bytes) in [
        ("data.csv", csv(p)?),
        (
            "metadata.json",
            serde_json::to_vec_pretty(&metadata(p, base)).map_err(ApiError::internal)?,
        ),
        ("README.md", readme.into_bytes()),
    ] {
        writer
            .start_file(name, options)
            .map_err(ApiError::internal)?;
        writer.write_all(&bytes).map_err(ApiError::internal)?;
    }
    Ok(writer.finish().map_err(ApiError::internal)?.into_inner())
}

/// The embed page's Content-Security-Policy: no script at all, styles and images from here only.
pub const EMBED_CSP: &str =
    "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'";

const EMBED_TEMPLATE: &str = include_str!("../../../templates/embed.html");
const EMBED_CSS: &str = include_str!("../../../templates/embed.css");

fn templates() -> &'static minijinja::Environment<'static> {
    static ENV: std::sync::OnceLock<minijinja::Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        env.add_template("embed.html", EMBED_TEMPLATE)
            .expect("the embed template is valid");
        env
    })
}

/// The embed page's stylesheet (its CSP allows no inline style).
pub async fn embed_css(headers: HeaderMap) -> Response {
    crate::api::reply::by_body(
        &headers,
        Bytes::from_static(EMBED_CSS.as_bytes()),
        "text/css; charset=utf-8",
        crate::api::reply::Freshness::Current,
    )
}

fn labels(lang: &str) -> Value {
    let pick = |en: &str, fr: &str, nl: &str, de: &str| -> String {
        match lang {
            "fr" => fr,
            "nl" => nl,
            "de" => de,
            _ => en,
        }
        .to_owned()
    };
    json!({
        "data": pick("Data table", "Tableau des données", "Gegevenstabel", "Datentabelle"),
        "get": pick("Get the data", "Obtenir les données", "De gegevens downloaden", "Daten herunterladen"),
        "zip": pick("zip: data, metadata, README with citation and licence", "zip : données, métadonnées, README avec citation et licence", "zip: gegevens, metadata, README met citaat en licentie", "zip: Daten, Metadaten, README mit Zitat und Lizenz"),
        "embed": pick("Embed this chart", "Intégrer ce graphique", "Deze grafiek insluiten", "Diese Grafik einbetten"),
        "unavailable": pick("This chart cannot be shown yet", "Ce graphique ne peut pas encore être affiché", "Deze grafiek kan nog niet getoond worden", "Diese Grafik kann noch nicht angezeigt werden"),
        "description": pick("Description", "Description", "Beschrijving", "Beschreibung"),
    })
}

/// The embed page of a chart.
#[utoipa::path(get, path = "/embed/{id}", tag = "charts",
    params(("id" = String, Path, description = "Chart id, e.g. `internet-access-brussels`"), ChartQuery),
    responses((status = 200, description = "An HTML page without JavaScript (strict CSP): the chart (responsive, light or dark after prefers-color-scheme), title, subtitle, alt text, data table, source line, downloads, the iframe snippet, oEmbed discovery and Open Graph tags", content_type = "text/html"),
        (status = 400, description = "Bad parameter", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown chart", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The chart's data has not been fetched yet: the page says so", content_type = "text/html")))]
pub async fn embed(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Q(q): Q<ChartQuery>,
) -> Result<Response, ApiError> {
    let a = asked(&app, &id, &q, &headers)?;
    let snapshot = app.live.snapshot();
    let base = app.base_url(&headers);
    let lang = a.lang;
    let query = if a.query.is_empty() {
        format!("lang={lang}")
    } else {
        format!("{}&lang={lang}", a.query)
    };
    let chart_url = format!("/api/v1/charts/{}", a.chart.id);
    let page_url = format!("{base}/embed/{}?{query}", a.chart.id);
    let head = head(&app, &snapshot, &a, &format!("embed|{base}"));
    let (p, status) = match prepared(&app, &snapshot, &a) {
        Ok(p) => (Some(p), StatusCode::OK),
        Err(ApiError::Unavailable(why)) => {
            let html = templates()
                .get_template("embed.html")
                .and_then(|t| {
                    t.render(minijinja::context! {
                        lang, unavailable => why, labels => labels(lang), title => a.chart.id.clone(),
                    })
                })
                .map_err(ApiError::internal)?;
            let mut response = (StatusCode::SERVICE_UNAVAILABLE, html).into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(EMBED_CSP),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return Ok(response);
        }
        Err(e) => return Err(e),
    };
    let _ = status;
    let mut response = app.answer_now(&headers, head, || {
        let p = p.expect("prepared above");
        let (columns, rows) = words::table(&p);
        let sources: Vec<String> = p.credits.iter().map(|c| c.line.clone()).collect();
        let light = format!("{chart_url}.svg?{query}");
        let dark_query = if query.contains("theme=dark") { query.clone() } else { format!("{query}&theme=dark") };
        let iframe_height = a.height + 260;
        let snippet = format!(
            "<iframe src=\"{page_url}\" title=\"{}\" width=\"100%\" height=\"{iframe_height}\" loading=\"lazy\" style=\"border:0\"></iframe>",
            charts::escape(&p.title)
        );
        let html = templates()
            .get_template("embed.html")
            .and_then(|t| {
                t.render(minijinja::context! {
                    lang,
                    title => p.title,
                    subtitle => p.subtitle,
                    alt => words::alt(&p),
                    notes => p.notes,
                    labels => labels(lang),
                    svg_light => light,
                    svg_dark => format!("{chart_url}.svg?{dark_query}"),
                    dark => a.theme == Theme::Dark,
                    width => a.width,
                    height => a.height,
                    columns => columns,
                    rows => rows,
                    sources => sources,
                    licence => "CC BY 4.0",
                    processed => charts::style::word(charts::style::Word::Processed, lang),
                    date => p.data_date(),
                    csv => format!("{chart_url}.csv?{query}"),
                    parquet => format!("{chart_url}.parquet?{query}"),
                    zip => format!("{chart_url}.zip?{query}"),
                    snippet => snippet,
                    page_url => page_url,
                    og_image => format!("{base}{chart_url}.png?{query}"),
                    oembed => format!("{base}/oembed?url={}", url_encode(&page_url)),
                })
            })
            .map_err(ApiError::internal)?;
        Ok(Body {
            bytes: html.into(),
            content_type: "text/html; charset=utf-8",
            language: Some(lang),
            filename: None,
            coding: None,
        })
    })?;
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(EMBED_CSP),
    );
    Ok(response)
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The query of `/oembed`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OembedQuery {
    /// The URL of a desi-city chart: its embed page (`/embed/{id}?…`) or image (`/api/v1/charts/{id}.svg`).
    pub url: String,
    pub maxwidth: Option<u32>,
    pub maxheight: Option<u32>,
    /// `json` (the only format served; `xml` answers 501).
    #[param(value_type = Option<crate::api::negotiate::OembedFormatParam>, inline)]
    pub format: Option<String>,
}

/// oEmbed 1.0 for a chart's URL: a `rich` answer whose `html` is the embed page's iframe.
#[utoipa::path(get, path = "/oembed", tag = "charts", params(OembedQuery),
    responses((status = 200, description = "oEmbed 1.0, type rich: html (the iframe), width, height, title, provider_name, thumbnail (the PNG)", content_type = "application/json"),
        (status = 404, description = "The URL is not a desi-city chart", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 501, description = "format=xml (only JSON is served)", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn oembed(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<OembedQuery>,
) -> Result<Response, ApiError> {
    match q.format.as_deref() {
        None | Some("json") => {}
        Some("xml") => {
            return Err(ApiError::NotImplemented(
                "format: \"xml\" is not served; oEmbed answers here are JSON only (format=json)."
                    .to_owned(),
            ));
        }
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "format: {other:?} is not an oEmbed format. Use format=json (xml is not served)."
            )));
        }
    }
    let base = app.base_url(&headers);
    let not_ours = || {
        ApiError::NotFound(format!(
            "url: {:?} is not a desi-city chart. Give the URL of an embed page, {base}/embed/{{id}}, or of a chart image, {base}/api/v1/charts/{{id}}.svg.",
            q.url
        ))
    };
    let url = url::Url::parse(&q.url).map_err(|_| not_ours())?;
    let ours = url::Url::parse(&base).map_err(ApiError::internal)?;
    if url.host_str() != ours.host_str()
        || url.port_or_known_default() != ours.port_or_known_default()
    {
        return Err(not_ours());
    }
    let path = url.path();
    let id = path
        .strip_prefix("/embed/")
        .or_else(|| {
            path.strip_prefix("/api/v1/charts/")
                .and_then(|f| f.rsplit_once('.').map(|(id, _)| id))
        })
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or_else(not_ours)?;
    let chart = app.charts.get(id).cloned().ok_or_else(not_ours)?;
    // The page's own query (geo, from, to, lang, w, h, theme) is kept as given.
    let mut query = ChartQuery::default();
    for (k, v) in url.query_pairs() {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "geo" => query.geo = v,
            "from" => query.from = v.and_then(|s| s.parse().ok()),
            "to" => query.to = v.and_then(|s| s.parse().ok()),
            "lang" => query.lang = v,
            "w" => query.w = v,
            "h" => query.h = v,
            "theme" => query.theme = v,
            _ => {}
        }
    }
    let a = asked(&app, &chart.id, &query, &headers)?;
    let lang = a.lang;
    let mut width = a.width;
    let mut height = a.height + 260;
    if let Some(max) = q.maxwidth.filter(|m| *m < width) {
        height = (f64::from(height) * f64::from(max) / f64::from(width)).round() as u32;
        width = max;
    }
    if let Some(max) = q.maxheight.filter(|m| *m < height) {
        width = (f64::from(width) * f64::from(max) / f64::from(height)).round() as u32;
        height = max;
    }
    let snapshot = app.live.snapshot();
    let head = head(
        &app,
        &snapshot,
        &a,
        &format!("oembed|{base}|{width}x{height}|{}", q.url),
    );
    app.answer_now(&headers, head, || {
        let title = match prepared(&app, &snapshot, &a) {
            Ok(p) => p.title,
            Err(ApiError::Unavailable(_)) => a.chart.id.clone(),
            Err(e) => return Err(e),
        };
        let query = if a.query.is_empty() {
            format!("lang={lang}")
        } else {
            format!("{}&lang={lang}", a.query)
        };
        let page = format!("{base}/embed/{}?{query}", a.chart.id);
        let html = format!(
            "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"{height}\" loading=\"lazy\" style=\"border:0;max-width:{width}px\"></iframe>",
            charts::escape(&page),
            charts::escape(&title)
        );
        let unsized_query: Vec<&str> = query
            .split('&')
            .filter(|kv| !kv.starts_with("w=") && !kv.starts_with("h="))
            .collect();
        let unsized_query = unsized_query.join("&");
        let thumb_w = a.width.min(width.max(*SIZES.start()));
        let thumb_h = (f64::from(thumb_w) * f64::from(a.height) / f64::from(a.width)).round() as u32;
        Ok(Body::json(&json!({
            "version": "1.0",
            "type": "rich",
            "provider_name": "desi-city",
            "provider_url": base,
            "title": title,
            "html": html,
            "width": width,
            "height": height,
            "thumbnail_url": format!("{base}/api/v1/charts/{}.png?{unsized_query}&w={thumb_w}&h={}", a.chart.id, thumb_h.clamp(*SIZES.start(), *SIZES.end())),
            "thumbnail_width": thumb_w,
            "thumbnail_height": thumb_h.clamp(*SIZES.start(), *SIZES.end()),
            "cache_age": crate::api::reply::CURRENT_MAX_AGE,
        })))
    })
}
