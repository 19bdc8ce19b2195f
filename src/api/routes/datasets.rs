//! `/datasets` (the catalogue as DCAT-AP 3 JSON-LD), `/datasets/{id}` (metadata and kept versions;
//! the data as CSV, JSON-stat or SDMX-CSV with `?format=`), the downloads `/datasets/{id}.parquet`
//! and `.csv` (current) and `/datasets/{id}/versions/{version}.parquet|.csv` (immutable; Parquet
//! honours `Range`), `/sources`, `/changes.atom` and `/cite`. Ids reach the store only through
//! `Store`'s checked lookups, so no path outside the store can be named.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_http::services::ServeFile;
use utoipa::IntoParams;

use super::figures::{LangQuery, licence_url, provenance, snapshot_for};
use crate::api::encode::{self, Cube, CubeMeta};
use crate::api::error::ApiError;
use crate::api::live::Snapshot;
use crate::api::negotiate::{self, DATA_FORMATS, Format, JSON_ONLY, Q};
use crate::api::reply::{self, Freshness};
use crate::api::{App, AppState, Body, Client, Head, cite as citation, dcat, download, feed};
use crate::catalog::{
    Catalog, DesiDimension, Format as FileFormat, Level, Provider, Query, Source, Texts,
    observation,
};
use crate::store::{Manifest, Version, validate_id};

/// The media type of Parquet files.
pub const PARQUET_MEDIA_TYPE: &str = "application/vnd.apache.parquet";
/// The JSON-LD media type of the DCAT answers.
const JSON_LD: &str = "application/ld+json";

/// The query of the dataset endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DatasetQuery {
    /// `json` (DCAT-AP metadata, JSON-LD; the default), or the data as `csv`, `jsonstat` or `sdmx-csv`.
    #[param(value_type = Option<crate::api::negotiate::DataFormatParam>, inline)]
    pub format: Option<String>,
    /// `en`, `fr`, `nl` or `de`: the language listed first.
    #[param(value_type = Option<crate::api::negotiate::LangParam>, inline)]
    pub lang: Option<String>,
}

/// The query of `/cite`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CiteQuery {
    /// The indicator id.
    pub indicator: String,
    /// The geo code of the figure, e.g. `BE10`.
    #[param(pattern = "^[A-Z0-9_]{1,32}$")]
    pub geo: String,
    /// `YYYY-MM-DD`: cite the version current at the end of that day.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub as_of: Option<String>,
    /// `json` (every form; the default), `text` (plain text in `lang`) or `bibtex`.
    #[param(value_type = Option<crate::api::negotiate::CiteFormatParam>, inline)]
    pub format: Option<String>,
    /// `en`, `fr`, `nl` or `de` (the citation's texts exist in en, fr and nl; de reads English).
    #[param(value_type = Option<crate::api::negotiate::LangParam>, inline)]
    pub lang: Option<String>,
}

/// What a `{file}` path segment names: an id, and which representation by its extension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Metadata,
    Parquet,
    Csv,
}

/// Splits `{id}`, `{id}.parquet`, `{id}.csv`; an id that could not be a store id is a 404.
fn asked(file: &str) -> Result<(&str, Kind), ApiError> {
    let (id, kind) = if let Some(id) = file.strip_suffix(".parquet") {
        (id, Kind::Parquet)
    } else if let Some(id) = file.strip_suffix(".csv") {
        (id, Kind::Csv)
    } else {
        (file, Kind::Metadata)
    };
    validate_id("id", id).map_err(|e| ApiError::NotFound(e.to_string()))?;
    Ok((id, kind))
}

/// The representation asked of a dataset or version URL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Its metadata (JSON).
    Metadata,
    /// The Parquet file as stored.
    Parquet,
    /// Its rows, encoded.
    Data(Format),
}

fn want(kind: Kind, format: Option<&str>, headers: &HeaderMap) -> Result<Want, ApiError> {
    Ok(match kind {
        Kind::Parquet => Want::Parquet,
        Kind::Csv => Want::Data(Format::Csv),
        Kind::Metadata => match negotiate::format(format, headers, DATA_FORMATS)? {
            Format::Json => Want::Metadata,
            other => Want::Data(other),
        },
    })
}

/// Serves a version's file or rows, as `want` says (not its metadata).
async fn serve(
    app: &Arc<App>,
    client: Client,
    want: Want,
    snapshot: Arc<Snapshot>,
    version: Version,
    freshness: Freshness,
    request: Request,
) -> Result<Response, ApiError> {
    match want {
        Want::Data(format) => {
            let headers = request.headers().clone();
            data(app, client, &headers, snapshot, version, format, freshness).await
        }
        _ => parquet(app, &snapshot, &version, freshness, request).await,
    }
}

fn unknown_dataset(app: &App, id: &str) -> ApiError {
    let served = served(&app.ctx.catalog, &app.live.snapshot().manifest);
    ApiError::NotFound(format!(
        "There is no dataset {id:?}. GET /api/v1/datasets lists them: {}.",
        served.ids().collect::<Vec<_>>().join(", ")
    ))
}

/// Every dataset served: the catalogue's sources, then each dataset the store holds under an id
/// outside the catalogue (imported by hand, e.g. `desi_2022_complete`, the data behind `/desi`),
/// described from its current version's provenance.
fn served(catalog: &Catalog, manifest: &Manifest) -> Catalog {
    let mut all = catalog.clone();
    for (id, entry) in &manifest.datasets {
        if catalog.get(id).is_err()
            && let Some(current) = entry.current_version()
        {
            all.sources.push(imported(current));
        }
    }
    all
}

/// The source a dataset would be the catalogue's, for one imported under an id outside it: its
/// licence and credit are the import's, its publisher is the one whose format the file has.
fn imported(v: &Version) -> Source {
    let format: FileFormat = v.meta.format.parse().unwrap_or(FileFormat::DesiCsv);
    let provider = match format {
        FileFormat::JsonStat | FileFormat::Tsv | FileFormat::SdmxCsv => Provider::Eurostat,
        FileFormat::OdsCsv => Provider::Opendatasoft,
        FileFormat::GeoJson => Provider::Gisco,
        FileFormat::DesiCsv | FileFormat::DesiWide | FileFormat::DesiFacts => Provider::Desi,
    };
    let text = |en: String| Texts {
        en,
        fr: None,
        nl: None,
        de: None,
    };
    let licence_url = match v.meta.licence.as_str() {
        "CC-BY-4.0" => "https://creativecommons.org/licenses/by/4.0/".to_owned(),
        "CC0-1.0" => "https://creativecommons.org/publicdomain/zero/1.0/".to_owned(),
        other => format!("https://spdx.org/licenses/{other}.html"),
    };
    Source {
        id: v.dataset.clone(),
        title: text(format!("{} (imported by hand)", v.dataset)),
        description: text(format!(
            "Imported with `desi-city import` from {} ({} rows); not a source of the catalogue, so never fetched. {}",
            v.meta.source_url, v.rows, v.meta.attribution
        )),
        provider,
        code: v.dataset.clone(),
        format,
        dimensions: DesiDimension::ALL.to_vec(),
        level: Level::Country,
        schedule: String::new(),
        licence: v.meta.licence.clone(),
        licence_url,
        attribution: v.meta.attribution.clone(),
        homepage: None,
        path: None,
        query: Query {
            geo: Vec::new(),
            since: None,
            until: None,
            filters: Default::default(),
        },
        ods: None,
        by_data_year: None,
        import_only: true,
        import_file: None,
        numeric: true,
        max_loss: 0.2,
        file: std::path::PathBuf::from(&v.meta.source_url),
    }
}

/// The catalogue: every dataset, its licence, coverage and downloads (DCAT-AP 3, JSON-LD).
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets", params(LangQuery),
    responses((status = 200, description = "A dcat:Catalog with one dcat:Dataset per source: titles and descriptions per language, publisher, licence, spatial and temporal coverage, distributions (download URL, media type, byte size, checksum)", content_type = "application/ld+json")))]
pub async fn catalogue(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    let snapshot = app.live.snapshot();
    let base = app.base_url(&headers);
    let head = Head::of_snapshot(&app, &snapshot, &["datasets", lang, &base]);
    let app2 = app.clone();
    app.answer(&headers, client, head, move || {
        let served = served(&app2.ctx.catalog, &snapshot.manifest);
        let current = snapshot.manifest.datasets.values();
        let csv = csv_digests(
            &app2,
            &snapshot,
            current.filter_map(|e| e.current_version()),
        );
        let doc = dcat::catalog(&served, &snapshot.manifest, &csv, &base, lang);
        Ok(Body {
            content_type: JSON_LD,
            ..Body::json(&doc).in_language(lang)
        })
    })
    .await
}

/// One dataset: its metadata and kept versions, its data, or a download of its current version.
#[utoipa::path(get, path = "/api/v1/datasets/{file}", tag = "datasets",
    params(("file" = String, Path, description = "`{id}`: DCAT-AP metadata with every kept version (or the current data with `?format=csv|jsonstat|sdmx-csv`); `{id}.parquet`: the current version's Parquet file (honours `Range`); `{id}.csv`: the current version as CSV"), DatasetQuery),
    responses(
        (status = 200, description = "Metadata (JSON-LD), or the data", content((Value = "application/ld+json"), (String = "application/vnd.apache.parquet"), (String = "text/csv"), (Value = "application/json; profile=jsonstat"), (String = "application/vnd.sdmx.data+csv; version=2.0.0"))),
        (status = 206, description = "A byte range of the Parquet file"),
        (status = 304, description = "Not modified"),
        (status = 404, description = "Unknown dataset, or no version yet", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 416, description = "Range not satisfiable")))]
pub async fn dataset(
    State(app): State<AppState>,
    client: Client,
    Path(file): Path<String>,
    Q(q): Q<DatasetQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let (id, kind) = asked(&file)?;
    let snapshot = app.live.snapshot();
    let source = served(&app.ctx.catalog, &snapshot.manifest)
        .get(id)
        .map_err(|_| unknown_dataset(&app, id))?
        .clone();
    let current = snapshot.current(id).cloned();
    // `lang` is checked whatever is served, as the document declares it for every format.
    negotiate::lang(q.lang.as_deref(), request.headers())?;
    let want = want(kind, q.format.as_deref(), request.headers())?;
    if want != Want::Metadata {
        let version = current.ok_or_else(|| {
            ApiError::NotFound(format!(
                "{id} has no version yet: it is fetched at its next scheduled run (GET /api/v1/sources says when); to load a file by hand: desi-city import FILE --dataset {id}."
            ))
        })?;
        return serve(
            &app,
            client,
            want,
            snapshot,
            version,
            Freshness::Current,
            request,
        )
        .await;
    }
    let headers = request.headers();
    let lang = negotiate::lang(q.lang.as_deref(), headers)?;
    let base = app.base_url(headers);
    let entry = snapshot.manifest.datasets.get(id).cloned();
    let versions: Vec<&str> = entry
        .iter()
        .flat_map(|e| e.versions.iter().map(|v| v.version.as_str()))
        .collect();
    let head = Head {
        etag: reply::etag(&["dataset", id, lang, &base, &versions.join(",")]),
        last_modified: current.as_ref().map(|v| v.published_at),
        freshness: Freshness::Current,
        licence: Some(source.licence_url.clone()),
    };
    let app2 = app.clone();
    app.answer(headers, client, head, move || {
        let kept = entry.iter().flat_map(|e| e.versions.iter());
        let csv = csv_digests(&app2, &snapshot, kept);
        let doc = dcat::dataset(&source, entry.as_ref(), &csv, &base, lang);
        Ok(Body {
            content_type: JSON_LD,
            ..Body::json(&doc).in_language(lang)
        })
    })
    .await
}

/// One kept version: metadata, data, or its immutable Parquet/CSV download.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/versions/{file}", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id"),
        ("file" = String, Path, description = "`{version}` (its provenance, or its data with `?format=`), `{version}.parquet` (honours `Range`) or `{version}.csv`"),
        DatasetQuery),
    responses(
        (status = 200, description = "The version's provenance (JSON) or data; cached for a year (immutable)", content((Value = "application/json"), (String = "application/vnd.apache.parquet"), (String = "text/csv"), (Value = "application/json; profile=jsonstat"), (String = "application/vnd.sdmx.data+csv; version=2.0.0"))),
        (status = 206, description = "A byte range of the Parquet file"),
        (status = 404, description = "Unknown dataset or version (not kept)", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn version(
    State(app): State<AppState>,
    client: Client,
    Path((id, file)): Path<(String, String)>,
    Q(q): Q<DatasetQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    validate_id("dataset", &id).map_err(|e| ApiError::NotFound(e.to_string()))?;
    let known =
        app.ctx.catalog.get(&id).is_ok() || app.live.snapshot().manifest.datasets.contains_key(&id);
    if !known {
        return Err(unknown_dataset(&app, &id));
    }
    let (version_id, kind) = asked(&file)?;
    let snapshot = app.live.snapshot();
    let version = snapshot
        .manifest
        .datasets
        .get(&id)
        .and_then(|e| e.version(version_id))
        .cloned()
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "{id} keeps no version {version_id:?}. GET /api/v1/datasets/{id} lists the kept ones."
            ))
        })?;
    // `lang` is checked whatever is served, as the document declares it for every format.
    negotiate::lang(q.lang.as_deref(), request.headers())?;
    let want = want(kind, q.format.as_deref(), request.headers())?;
    if want != Want::Metadata {
        return serve(
            &app,
            client,
            want,
            snapshot,
            version,
            Freshness::Immutable,
            request,
        )
        .await;
    }
    let licence = licence_url(&app, &id);
    let head = Head {
        etag: reply::etag(&["version", &id, &version.version]),
        last_modified: Some(version.published_at),
        freshness: Freshness::Immutable,
        licence: licence.clone(),
    };
    app.answer(request.headers(), client, head, move || {
        let mut doc = provenance(&version, licence.as_deref());
        doc["rows"] = json!(version.rows);
        doc["bytes"] = json!(version.bytes);
        doc["format"] = json!(version.meta.format);
        doc["parser_version"] = json!(version.meta.parser_version);
        doc["upstream_sha256"] = json!(version.meta.sha256);
        doc["dimensions"] = json!(version.meta.dimensions);
        Ok(Body::json(&doc))
    })
    .await
}

/// Serves a version's Parquet file as stored (same bytes as its `sha256`), with `Range`: from
/// memory up to [`download::Files::max_file`], streamed by `ServeFile` beyond.
async fn parquet(
    app: &App,
    snapshot: &Snapshot,
    version: &Version,
    freshness: Freshness,
    request: Request,
) -> Result<Response, ApiError> {
    let etag = format!("\"{}\"", version.file_sha256);
    let licence = licence_url(app, &version.dataset);
    if reply::is_fresh(request.headers(), &etag, Some(version.published_at)) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        reply::caching_headers(
            response.headers_mut(),
            &etag,
            Some(version.published_at),
            freshness,
            licence.as_deref(),
        );
        return Ok(response);
    }
    let path = snapshot.store.file_path(version);
    let gone = || {
        ApiError::NotFound(format!(
            "The file of {} version {} is no longer kept. GET /api/v1/datasets/{} lists the kept versions.",
            version.dataset, version.version, version.dataset
        ))
    };
    let mut response = if version.bytes <= app.files.max_file {
        // Kept in memory after the first read: only that read goes to the blocking pool (the
        // hand-over to it and back cost more than the rest of the answer).
        let bytes = match app.files.kept(&version.file_sha256) {
            Some(bytes) => bytes,
            None => {
                let (key, files) = (version.file_sha256.clone(), app.files.clone());
                tokio::task::spawn_blocking(move || files.read(&key, &path))
                    .await?
                    .map_err(|_| gone())?
            }
        };
        download::ranged(bytes, request.headers())
    } else {
        ServeFile::new(&path)
            .oneshot(request)
            .await
            .map_err(ApiError::internal)?
            .map(axum::body::Body::new)
    };
    if response.status() == StatusCode::NOT_FOUND {
        return Err(gone());
    }
    let headers = response.headers_mut();
    // ServeFile's Last-Modified is the file's mtime; the version's publication time is the truth.
    reply::caching_headers(
        headers,
        &etag,
        Some(version.published_at),
        freshness,
        licence.as_deref(),
    );
    if response.status().is_success() {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PARQUET_MEDIA_TYPE),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}_{}.parquet\"",
        version.dataset, version.version
    )) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// A version's rows as CSV, JSON-stat or SDMX-CSV.
async fn data(
    app: &Arc<App>,
    client: Client,
    headers: &HeaderMap,
    snapshot: Arc<Snapshot>,
    version: Version,
    format: Format,
    freshness: Freshness,
) -> Result<Response, ApiError> {
    let licence = licence_url(app, &version.dataset);
    let head = Head {
        etag: reply::etag(&["data", &version.dataset, &version.version, format.as_str()]),
        last_modified: Some(version.published_at),
        freshness,
        licence: licence.clone(),
    };
    let app2 = app.clone();
    app.answer(headers, client, head, move || {
        let filename = format!(
            "{}_{}.{}",
            version.dataset,
            version.version,
            format.extension()
        );
        let bytes = match format {
            Format::Csv | Format::Json => version_csv(&app2, &snapshot, &version)?.0,
            Format::JsonStat | Format::SdmxCsv => {
                let batches = snapshot
                    .store
                    .read(&version.dataset, Some(&version.version))?;
                // The dimension columns, as the version records them (the canonical schema).
                let dimensions = version.meta.dimensions.clone();
                let source = app2.ctx.catalog.get(&version.dataset).ok();
                let structure_id = match source {
                    Some(s) if s.provider == Provider::Eurostat => {
                        format!("ESTAT:{}(1.0)", s.code.to_ascii_uppercase())
                    }
                    _ => format!("DESI_CITY:{}(1.0)", version.dataset.to_ascii_uppercase()),
                };
                let cube = Cube {
                    batches: &batches,
                    dimensions,
                    time: observation::PERIOD.into(),
                    value: observation::VALUE.into(),
                    flags: observation::FLAGS.into(),
                    meta: CubeMeta {
                        label: source
                            .map(|s| s.title.en.clone())
                            .unwrap_or_else(|| version.dataset.clone()),
                        source: version.meta.attribution.clone(),
                        updated: version.meta.upstream_updated.clone(),
                        licence: version.meta.licence.clone(),
                        licence_url: licence.clone().unwrap_or_default(),
                        structure_id,
                        extension: provenance(&version, licence.as_deref()),
                        // The stored `<dim>_label` columns are the upstream's labels.
                        labels: Default::default(),
                        units: Default::default(),
                    },
                };
                super::cube_bytes(format, &cube)?
            }
        };
        Ok(Body {
            bytes: bytes.into(),
            content_type: if format == Format::Json {
                Format::Csv.media_type()
            } else {
                format.media_type()
            },
            language: None,
            filename: Some(filename),
            coding: None,
        })
    })
    .await
}

/// A version's CSV download (every stored column, RFC 4180) and its digest, remembered for DCAT's
/// `dcat:byteSize` and checksum of the CSV distribution: the same bytes as served.
fn version_csv(
    app: &App,
    snapshot: &Snapshot,
    version: &Version,
) -> Result<(Vec<u8>, download::Digest), ApiError> {
    let batches = snapshot
        .store
        .read(&version.dataset, Some(&version.version))?;
    let csv = encode::csv(&batches)?;
    let digest = app.csv_digests.record(&version.file_sha256, &csv);
    Ok((csv, digest))
}

/// The CSV digests of `versions`, by Parquet sha256, encoding each CSV not seen yet. A version
/// whose file can no longer be read is left out: its CSV distribution is listed without them.
fn csv_digests<'v>(
    app: &App,
    snapshot: &Snapshot,
    versions: impl IntoIterator<Item = &'v Version>,
) -> HashMap<String, download::Digest> {
    versions
        .into_iter()
        .filter_map(|v| {
            let digest = match app.csv_digests.get(&v.file_sha256) {
                Some(known) => known,
                None => version_csv(app, snapshot, v).ok()?.1,
            };
            Some((v.file_sha256.clone(), digest))
        })
        .collect()
}

/// Each source's state: last success, last error and why, upstream update date, next run.
#[utoipa::path(get, path = "/api/v1/sources", tag = "datasets", params(LangQuery),
    responses((status = 200, description = "Per source: provider and code, schedule, last run and outcome, last success, last error and why, the current version and its upstream update date, the next scheduled run", content_type = "application/json")))]
pub async fn sources(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    let store = app.ctx.store.clone();
    let statuses = tokio::task::spawn_blocking(move || store.statuses()).await??;
    let snapshot = app.live.snapshot();
    let status_text = serde_json::to_string(&statuses).map_err(ApiError::internal)?;
    let head = Head {
        etag: reply::etag(&["sources", lang, &snapshot.id, &status_text]),
        last_modified: statuses.values().filter_map(|s| s.last_run_at).max(),
        freshness: Freshness::Current,
        licence: None,
    };
    let app2 = app.clone();
    app.answer(&headers, client, head, move || {
        let now = chrono::Utc::now();
        let list: Vec<Value> = app2
            .ctx
            .catalog
            .sources
            .iter()
            .map(|s| {
                let status = statuses.get(&s.id).cloned().unwrap_or_default();
                let current = snapshot.current(&s.id);
                let next = status
                    .next_run_at
                    .filter(|t| *t > now)
                    .or_else(|| crate::schedule::next_after(&s.schedule, now));
                json!({
                    "id": s.id,
                    "title": s.title.get(lang),
                    "provider": s.provider.as_str(),
                    "code": s.code,
                    "format": s.format.as_str(),
                    "schedule": s.schedule,
                    "last_run_at": status.last_run_at,
                    "last_outcome": status.last_outcome,
                    "last_success_at": status.last_success_at,
                    "last_error_at": status.last_error_at,
                    "last_error": status.last_error,
                    "version": current.map(|v| v.version.as_str()),
                    // `imported` (by `desi-city import`, a `file://` source) or `fetched`.
                    "came": current.map(|v| if v.meta.source_url.starts_with("file://") { "imported" } else { "fetched" }),
                    "rows": current.map(|v| v.rows),
                    "upstream_updated": current.and_then(|v| v.meta.upstream_updated.as_deref()),
                    "fetched_at": current.map(|v| v.meta.fetched_at),
                    "next_run_at": next,
                    "licence": s.licence,
                    "recompute_failed": snapshot.figures.stale.iter()
                        .filter(|st| st.datasets.contains(&s.id))
                        .map(|st| json!({ "what": st.what, "error": st.error.to_string() }))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        let definitions = &app2.ctx.catalog.origin;
        Ok(Body::json(&json!({ "sources": list, "definitions": definitions })).in_language(lang))
    })
    .await
}

/// New and revised data, as an Atom feed.
#[utoipa::path(get, path = "/api/v1/changes.atom", tag = "datasets",
    responses((status = 200, description = "One entry per kept version, newest first: dataset, version, what changed (rows, upstream update, dimensions)", content_type = "application/atom+xml")))]
pub async fn changes(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
) -> Result<Response, ApiError> {
    let snapshot = app.live.snapshot();
    let base = app.base_url(&headers);
    let head = Head::of_snapshot(&app, &snapshot, &["changes", &base]);
    let app2 = app.clone();
    app.answer(&headers, client, head, move || {
        let xml = feed::changes(&app2.ctx.catalog, &snapshot.manifest, &base, 200);
        Ok(Body {
            bytes: xml.into_bytes().into(),
            content_type: "application/atom+xml; charset=utf-8",
            language: None,
            filename: None,
            coding: None,
        })
    })
    .await
}

/// A citation of one figure: plain text (fr/nl/en) and BibTeX.
#[utoipa::path(get, path = "/api/v1/cite", tag = "datasets", params(CiteQuery),
    responses((status = 200, description = "The citation, naming Eurostat's dataset code, desi-city's processing and the version", content((Value = "application/json"), (String = "text/plain"), (String = "application/x-bibtex"))),
        (status = 404, description = "Unknown indicator", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn cite(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Q(q): Q<CiteQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    let indicator = app
        .model
        .definitions
        .get(&q.indicator)
        .cloned()
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "indicator: there is no indicator {:?}. GET /api/v1/indicators lists them.",
                q.indicator
            ))
        })?;
    let geo = negotiate::list_param("geo", &q.geo, 1)?.remove(0);
    let kind = q.format.as_deref().unwrap_or("json");
    if !["json", "text", "bibtex"].contains(&kind) {
        return Err(ApiError::BadRequest(format!(
            "format: {kind:?} is not one of json, text, bibtex."
        )));
    }
    let snapshot = snapshot_for(&app, client, q.as_of.as_deref()).await?;
    let version = snapshot
        .current(&indicator.source)
        .cloned()
        .ok_or_else(|| match &q.as_of {
            // No version as old as the date asked: there never will be (404, as for a series).
            Some(day) => ApiError::NotFound(format!(
                "{} had no version at the end of {day}, so there is nothing to cite as of then.",
                indicator.source
            )),
            None => ApiError::Unavailable(format!(
                "{} has no version yet, so there is nothing to cite.",
                indicator.source
            )),
        })?;
    let base = app.base_url(&headers);
    let head = Head {
        etag: reply::etag(&[
            "cite",
            &indicator.id,
            &geo,
            kind,
            lang,
            &base,
            &version.version,
        ]),
        last_modified: Some(version.published_at),
        freshness: Freshness::Current,
        licence: licence_url(&app, &indicator.source),
    };
    let kind = kind.to_owned();
    app.answer(&headers, client, head, move || {
        let input = citation::CiteInput::of(&indicator, &geo, &version, &base);
        Ok(match kind.as_str() {
            "text" => Body {
                bytes: citation::plain(&input, lang).into_bytes().into(),
                content_type: "text/plain; charset=utf-8",
                language: Some(lang),
                filename: None,
                coding: None,
            },
            "bibtex" => Body {
                bytes: citation::bibtex(&input).into_bytes().into(),
                content_type: "application/x-bibtex; charset=utf-8",
                language: None,
                filename: Some(format!("{}_{geo}.bib", indicator.id)),
                coding: None,
            },
            _ => Body::json(&json!({
                "text": {
                    "en": citation::plain(&input, "en"),
                    "fr": citation::plain(&input, "fr"),
                    "nl": citation::plain(&input, "nl"),
                },
                "bibtex": citation::bibtex(&input),
                "dataset": indicator.source,
                "eurostat_code": indicator.eurostat_code,
                "version": version.version,
                "licence": version.meta.licence,
            })),
        })
    })
    .await
}
