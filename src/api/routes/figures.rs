//! `/indicators`, `/indicators/{id}`, `/indicators/{id}/series` and `/dimensions`: the
//! definitions of `indicators/` in the language asked for, and their values from the served
//! snapshot (or a vintage, `?as_of=`) with flags, EU27 value, ranks, change, dataset version and
//! upstream update date. Parses and encodes; every number comes from `crate::indicators`.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::api::coding;
use crate::api::encode::{self, Cube, CubeMeta};
use crate::api::error::ApiError;
use crate::api::live::Snapshot;
use crate::api::negotiate::{self, DATA_FORMATS, Format, JSON_ONLY, Q};
use crate::api::payload::Payload;
use crate::api::rendered::{Rendered, Start};
use crate::api::reply::{self, Freshness};
use crate::api::{AppState, Body, Client, Head};
use crate::indicators::IndicatorError;
use crate::indicators::definitions::Indicator;
use crate::indicators::figures::Unavailable;
use crate::indicators::values::{self, EU_AGGREGATE};
use crate::store::Version;

/// At most this many geos per request.
pub const MAX_GEOS: usize = 50;
/// At most this many geo × year cells per series request.
pub const MAX_CELLS: usize = 5_000;
/// Years outside this range are refused as typing mistakes.
const YEARS: std::ops::RangeInclusive<i32> = 1950..=2100;

/// `?lang=`: the language of titles and descriptions.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `en`, `fr`, `nl` or `de` (else from `Accept-Language`, else `en`).
    #[param(value_type = Option<crate::api::negotiate::LangParam>, inline)]
    pub lang: Option<String>,
}

/// The query of a series.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// Comma-separated geo codes, e.g. `BE10,BE,EU27_2020` (at most 50). Default: `BE10,BE,EU27_2020`
    /// for regional indicators, `BE,EU27_2020` otherwise.
    #[param(pattern = "^[A-Z0-9_]{1,32}(,[A-Z0-9_]{1,32})*$")]
    pub geo: Option<String>,
    /// First year kept (1950–2100).
    #[param(minimum = 1950, maximum = 2100)]
    pub from: Option<i32>,
    /// Last year kept (1950–2100, not before `from`).
    #[param(minimum = 1950, maximum = 2100)]
    pub to: Option<i32>,
    /// `YYYY-MM-DD`: answer from the dataset versions that were current at the end of that day (UTC).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub as_of: Option<String>,
    /// `json`, `csv`, `jsonstat` or `sdmx-csv` (else from `Accept`).
    #[param(value_type = Option<crate::api::negotiate::DataFormatParam>, inline)]
    pub format: Option<String>,
    /// `en`, `fr`, `nl` or `de`.
    #[param(value_type = Option<crate::api::negotiate::LangParam>, inline)]
    pub lang: Option<String>,
    /// A group of `datasets/geo-groups.toml` (e.g. `eu27`, `capital-regions`, `eurocities`): each
    /// value then also carries its rank in that group, how many of the group have a value, and
    /// the group's median (columns `peers`, `rank_peers`, `ranked_peers`, `peers_median`).
    #[param(pattern = "^[a-z0-9-]{1,64}$")]
    pub peers: Option<String>,
}

/// The query of `/dimensions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DimensionsQuery {
    /// One geo code, e.g. `BE10`.
    #[param(pattern = "^[A-Z0-9_]{1,32}$")]
    pub geo: String,
    /// The latest value up to this year (1950–2100; default: the latest published).
    #[param(minimum = 1950, maximum = 2100)]
    pub period: Option<i32>,
    /// `en`, `fr`, `nl` or `de`.
    #[param(value_type = Option<crate::api::negotiate::LangParam>, inline)]
    pub lang: Option<String>,
}

/// An indicator's definition in `lang`, with its source's current version when there is one.
fn indicator_json(
    app: &crate::api::App,
    snapshot: &Snapshot,
    indicator: &Indicator,
    lang: &str,
) -> Value {
    let source = app.ctx.catalog.get(&indicator.source).ok();
    let version = snapshot.current(&indicator.source);
    json!({
        "id": indicator.id,
        "title": indicator.title.get(lang),
        "description": indicator.description.get(lang),
        "unit": indicator.unit,
        "dimension": {
            "id": indicator.dimension.as_str(),
            "title": indicator.dimension.title(lang),
        },
        "subdimension": indicator.subdimension,
        "higher_is_better": indicator.higher_is_better,
        "geo_levels": indicator.geo_levels.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "source": {
            "dataset": indicator.source,
            "eurostat_code": indicator.eurostat_code,
            "filter": indicator.filter,
            "licence": source.map(|s| s.licence.as_str()),
            "licence_url": source.map(|s| s.licence_url.as_str()),
            "attribution": source.map(|s| s.attribution.as_str()),
            "version": version.map(|v| v.version.as_str()),
            "published_at": version.map(|v| v.published_at),
            "upstream_updated": version.and_then(|v| v.meta.upstream_updated.as_deref()),
        },
        "links": {
            "self": format!("/api/v1/indicators/{}", indicator.id),
            "series": format!("/api/v1/indicators/{}/series", indicator.id),
            "dataset": format!("/api/v1/datasets/{}", indicator.source),
            "cite": format!("/api/v1/cite?indicator={}", indicator.id),
        },
    })
}

fn find<'a>(app: &'a crate::api::App, id: &str) -> Result<&'a Indicator, ApiError> {
    if app.model.definitions.indicators.is_empty() {
        return Err(ApiError::Unavailable(format!(
            "No indicator definition is loaded: {}. Fix the files (or --indicators-dir) and restart.",
            app.model.problems.join("; ")
        )));
    }
    app.model.definitions.get(id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "There is no indicator {id:?}. GET /api/v1/indicators lists them: {}.",
            app.model
                .definitions
                .indicators
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// The definitions of every indicator.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "figures", params(LangQuery),
    responses((status = 200, description = "Every indicator: title, description, unit, dimension, source dataset and licence, in the language asked for", content_type = "application/json"),
        (status = 400, description = "Bad parameter", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn indicators(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    let snapshot = app.live.snapshot();
    let head = Head::of_snapshot(&app, &snapshot, &["indicators", lang]);
    app.answer_now(&headers, head, || {
        let list: Vec<Value> = app
            .model
            .definitions
            .indicators
            .iter()
            .map(|i| indicator_json(&app, &snapshot, i, lang))
            .collect();
        Ok(Body::json(&json!({ "language": lang, "indicators": list })).in_language(lang))
    })
}

/// One indicator's definition.
#[utoipa::path(get, path = "/api/v1/indicators/{id}", tag = "figures",
    params(("id" = String, Path, description = "Indicator id, e.g. `households-internet-access`"), LangQuery),
    responses((status = 200, description = "The indicator's definition and its source's current version", content_type = "application/json"),
        (status = 404, description = "Unknown indicator", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn indicator(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    let indicator = find(&app, &id)?.clone();
    let snapshot = app.live.snapshot();
    let version = snapshot
        .current(&indicator.source)
        .map(|v| v.version.clone());
    let head = Head {
        etag: reply::etag(&[
            "indicator",
            &id,
            lang,
            &app.model.id,
            version.as_deref().unwrap_or("-"),
        ]),
        last_modified: snapshot.current(&indicator.source).map(|v| v.published_at),
        freshness: Freshness::Current,
        licence: licence_url(&app, &indicator.source),
    };
    app.answer_now(&headers, head, || {
        Ok(Body::json(&indicator_json(&app, &snapshot, &indicator, lang)).in_language(lang))
    })
}

/// The licence URL of a source of the catalogue.
pub(super) fn licence_url(app: &crate::api::App, source: &str) -> Option<String> {
    app.ctx
        .catalog
        .get(source)
        .ok()
        .map(|s| s.licence_url.clone())
}

/// `?as_of=YYYY-MM-DD` → the end of that day, UTC.
pub(super) fn parse_as_of(value: &str) -> Result<DateTime<Utc>, ApiError> {
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!(
            "as_of: {value:?} is not a date. Use YYYY-MM-DD, e.g. as_of=2025-06-30."
        ))
    })?;
    let end = day
        .and_hms_milli_opt(23, 59, 59, 999)
        .ok_or_else(|| ApiError::BadRequest(format!("as_of: {value:?} is not a date.")))?;
    Ok(end.and_utc())
}

/// The snapshot a request reads: the served one, or the vintage of `as_of`.
pub(super) async fn snapshot_for(
    app: &AppState,
    client: Client,
    as_of: Option<&str>,
) -> Result<Arc<Snapshot>, ApiError> {
    match as_of {
        None => Ok(app.live.snapshot()),
        // Boxed: the computation's state is not carried (and moved) in every handler's future.
        Some(value) => Box::pin(app.vintage(client, parse_as_of(value)?)).await,
    }
}

fn year(name: &str, value: Option<i32>) -> Result<Option<i32>, ApiError> {
    match value {
        Some(y) if !YEARS.contains(&y) => Err(ApiError::BadRequest(format!(
            "{name}: {y} is not a plausible year. Use a year between {} and {}.",
            YEARS.start(),
            YEARS.end()
        ))),
        other => Ok(other),
    }
}

/// The upstream's labels of a dimension in one stored version (its `<dim>_label` column, when
/// the upstream's response had labels), code → label; empty when it has none. Reads the version's
/// file through the store (no SQL): for JSON-stat answers, which name categories.
fn upstream_labels(
    app: &crate::api::App,
    version: &Version,
    dimension: &str,
) -> std::collections::HashMap<String, String> {
    let mut labels = std::collections::HashMap::new();
    let Ok(batches) = app.ctx.store.read(&version.dataset, Some(&version.version)) else {
        return labels;
    };
    let label_column = crate::catalog::observation::label_column(dimension);
    for batch in &batches {
        let (Some(codes), Some(names)) = (
            batch.column_by_name(dimension),
            batch.column_by_name(&label_column),
        ) else {
            continue;
        };
        let (Ok(codes), Ok(names)) = (
            arrow::compute::cast(codes, &DataType::Utf8),
            arrow::compute::cast(names, &DataType::Utf8),
        ) else {
            continue;
        };
        let (Some(codes), Some(names)) = (
            codes.as_any().downcast_ref::<StringArray>(),
            names.as_any().downcast_ref::<StringArray>(),
        ) else {
            continue;
        };
        for row in 0..batch.num_rows() {
            use arrow::array::Array;
            if codes.is_valid(row) && names.is_valid(row) && !names.value(row).is_empty() {
                labels
                    .entry(codes.value(row).to_owned())
                    .or_insert_with(|| names.value(row).to_owned());
            }
        }
    }
    labels
}

/// Appends the provenance columns every served value carries: the upstream update date and the
/// licence of the version it came from.
fn with_provenance(batch: RecordBatch, version: &Version) -> Result<RecordBatch, ApiError> {
    let rows = batch.num_rows();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for (name, value) in [
        ("upstream_updated", version.meta.upstream_updated.as_deref()),
        ("licence", Some(version.meta.licence.as_str())),
    ] {
        fields.push(Field::new(name, DataType::Utf8, true));
        columns.push(Arc::new(StringArray::from(vec![value; rows])));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(ApiError::internal)
}

/// The provenance object of a version, for JSON answers.
pub(super) fn provenance(version: &Version, licence_url: Option<&str>) -> Value {
    json!({
        "dataset": version.dataset,
        "version": version.version,
        "published_at": version.published_at,
        "fetched_at": version.meta.fetched_at,
        "upstream_updated": version.meta.upstream_updated,
        "source_url": version.meta.source_url,
        "licence": version.meta.licence,
        "licence_url": licence_url,
        "attribution": version.meta.attribution,
        "download": format!("/api/v1/datasets/{}/versions/{}.parquet", version.dataset, version.version),
        "sha256": version.file_sha256,
    })
}

/// The query a series answer echoes (`"query"`), as asked after normalising.
#[derive(Serialize)]
struct SeriesEcho<'a> {
    geo: &'a [String],
    from: Option<i32>,
    to: Option<i32>,
    as_of: Option<&'a str>,
    peers: Option<&'a str>,
}

/// Values of one indicator for the geos asked.
#[utoipa::path(get, path = "/api/v1/indicators/{id}/series", tag = "figures",
    params(("id" = String, Path, description = "Indicator id"), SeriesQuery),
    responses(
        (status = 200, description = "One row per geo and period: value, flags, EU27 value, rank among the 27 (and the capital regions for regional indicators), change, dataset, version, upstream update date, licence. JSON (default), CSV, JSON-stat 2.0 or SDMX-CSV 2.0.",
            content((Value = "application/json"), (String = "text/csv"), (Value = "application/json; profile=jsonstat"), (String = "application/vnd.sdmx.data+csv; version=2.0.0"))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Bad parameter (named, with what is accepted)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown indicator, or no version as old as `as_of`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "No acceptable format", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Too many geos × years", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many uncached computations", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The source dataset has not been fetched yet", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn series(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Path(id): Path<String>,
    Q(q): Q<SeriesQuery>,
) -> Result<Response, ApiError> {
    let indicator = find(&app, &id)?;
    let format = negotiate::format(q.format.as_deref(), &headers, DATA_FORMATS)?;
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    let from = year("from", q.from)?;
    let to = year("to", q.to)?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        // Each bound is valid alone (the document's bounds): no year lies between them, so there
        // is nothing to serve (404), said with the fix.
        return Err(ApiError::NotFound(format!(
            "from ({f}) is after to ({t}): no year is in that range. Swap them."
        )));
    }
    let geos = match &q.geo {
        Some(list) => negotiate::list_param("geo", list, MAX_GEOS)?,
        None if indicator.is_regional() => vec!["BE10".into(), "BE".into(), EU_AGGREGATE.into()],
        None => vec!["BE".into(), EU_AGGREGATE.into()],
    };
    let peers = match &q.peers {
        None => None,
        Some(name) if app.model.groups.get(name).is_some() => Some(name.clone()),
        Some(name)
            if name.is_empty()
                || name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
        {
            return Err(ApiError::BadRequest(format!(
                "peers: {name:?} is not a group name (lower-case letters, digits and -). Use one of: {}.",
                app.model.groups.names().collect::<Vec<_>>().join(", ")
            )));
        }
        // A well-formed name that geo-groups.toml does not define: no such group (404).
        Some(name) => {
            return Err(ApiError::NotFound(format!(
                "peers: {name:?} is not a group of datasets/geo-groups.toml. Use one of: {}.",
                app.model.groups.names().collect::<Vec<_>>().join(", ")
            )));
        }
    };
    let span = (to.unwrap_or(2100) - from.unwrap_or(1990) + 1).max(1) as usize;
    if geos.len() * span > MAX_CELLS {
        return Err(ApiError::TooLarge(format!(
            "{} geos × {span} years is more than {MAX_CELLS} cells. Narrow from/to or ask for fewer geos, or download the dataset (/api/v1/datasets/{}.parquet).",
            geos.len(),
            indicator.source
        )));
    }
    let snapshot = snapshot_for(&app, client, q.as_of.as_deref()).await?;
    let table = match snapshot.figures.table(&id) {
        Some(Ok(table)) => table.clone(),
        Some(Err(error)) if matches!(error.root(), IndicatorError::NoData { .. }) => {
            return Err(match &q.as_of {
                Some(date) => ApiError::NotFound(format!(
                    "No kept version of {} is as old as {date}. GET /api/v1/datasets/{} lists the kept versions.",
                    indicator.source, indicator.source
                )),
                None => not_fetched(&indicator.source, &id),
            });
        }
        Some(Err(error)) => return Err(ApiError::from(error.clone())),
        None => return Err(not_fetched(&indicator.source, &id)),
    };
    let version = table.version();
    if let Some(unknown) = geos.iter().find(|g| !table.has_geo(g)) {
        // A well-formed code the data does not hold: nothing to serve (404).
        return Err(ApiError::NotFound(
            IndicatorError::GeoNotInData {
                geo: unknown.clone(),
                dataset: indicator.source.clone(),
                version: version.version.clone(),
                known: table.geos().into_iter().map(str::to_owned).collect(),
            }
            .to_string(),
        ));
    }
    let normalised = format!(
        "geo={};from={from:?};to={to:?};peers={peers:?}",
        geos.join(",")
    );
    let read: Vec<&str> = table
        .versions
        .iter()
        .flat_map(|v| [v.dataset.as_str(), v.version.as_str()])
        .collect();
    let mut parts = vec![
        "series",
        &id,
        &normalised,
        format.as_str(),
        lang,
        &app.model.id,
    ];
    parts.extend(read);
    // In gzip (the coding the compression layer chose), JSON and CSV rows are pieces deflated
    // once: the answer is assembled, already coded, and is its own representation.
    let gzip = coding::chosen(&headers) == "gzip";
    if gzip {
        parts.push("gzip");
    }
    let head = Head {
        etag: reply::etag(&parts),
        last_modified: table.versions.iter().map(|v| v.published_at).max(),
        freshness: Freshness::Current,
        licence: licence_url(&app, &indicator.source),
    };
    let request = values::Request {
        geos,
        since: from,
        until: to,
    };
    let geos = &request.geos;
    app.answer_now(&headers, head, || {
        // Runs of consecutive rows: a JSON or CSV answer sends each run as one slice.
        let selected = table.select_runs(&request);
        let licence_url = licence_url(&app, &indicator.source);
        // A JSON answer is shown, not saved: only the other formats are named for download.
        let filename = (format != Format::Json)
            .then(|| format!("{}_{}.{}", indicator.id, geos.join("-"), format.extension()));
        let title = indicator.title.get(lang);
        // Without a peer group, JSON and CSV rows are slices of the table's rows encoded once.
        let encoded = match (format, &peers) {
            (Format::Json | Format::Csv, None) => {
                Some(app.rendered(&table, |b| with_provenance(b, version))?)
            }
            _ => None,
        };
        let batch = || {
            let rows: Vec<usize> = selected.iter().cloned().flatten().collect();
            with_provenance(table.batch(&rows, peers.as_deref())?, version)
        };
        let answer = |bytes: Payload, coding: Option<&'static str>| Body {
            bytes,
            content_type: format.media_type(),
            language: Some(lang),
            filename: filename.clone(),
            coding,
        };
        let bytes: Payload = match format {
            Format::Json => {
                // The part that is the same for every query of this table, then the query, then
                // the rows: slices of the table's rows encoded once, when there are.
                let start = |encoded: Option<&Rendered>| -> Result<Arc<Start>, ApiError> {
                    let make = || {
                        let mut head = json!({
                            "indicator": {
                                "id": indicator.id,
                                "title": title,
                                "unit": indicator.unit,
                                "dimension": indicator.dimension.as_str(),
                                "higher_is_better": indicator.higher_is_better,
                                "eurostat_code": indicator.eurostat_code,
                            },
                            "source": provenance(version, licence_url.as_deref()),
                            "sources": table.versions.iter().map(|v| provenance(v, licence_url.as_deref())).collect::<Vec<_>>(),
                        })
                        .to_string()
                        .into_bytes();
                        // Open for the query and the rows: `{…,` instead of `{…}`.
                        head.pop();
                        head.push(b',');
                        head
                    };
                    match encoded {
                        Some(r) => r.head(lang, make),
                        None => Ok(Arc::new(Start::plain(make()))),
                    }
                };
                let query = SeriesEcho {
                    geo: geos,
                    from,
                    to,
                    as_of: q.as_of.as_deref(),
                    peers: peers.as_deref(),
                };
                let mut middle = br#""query":"#.to_vec();
                serde_json::to_writer(&mut middle, &query).map_err(ApiError::internal)?;
                middle.extend_from_slice(br#","data":["#);
                let start = start(encoded.as_deref())?;
                if gzip
                    && let Some(r) = &encoded
                    && let Some(assembled) = r.json_gzip(&start, &middle, &selected)?
                {
                    return Ok(answer(assembled, Some("gzip")));
                }
                let mut chunks = vec![start.bytes.clone(), middle.into()];
                match &encoded {
                    Some(r) => chunks.extend(r.json_rows(&selected)),
                    None => {
                        let rows = encode::json_row_texts(&batch()?)?;
                        chunks.push(rows.join(&b","[..]).into());
                    }
                }
                chunks.push(Bytes::from_static(b"]}"));
                Payload::from_chunks(chunks)
            }
            Format::Csv => match &encoded {
                Some(r) => {
                    if gzip && let Some(assembled) = r.csv_gzip(&selected)? {
                        return Ok(answer(assembled, Some("gzip")));
                    }
                    Payload::from_chunks(
                        std::iter::once(r.csv_header.clone()).chain(r.csv_rows(&selected)),
                    )
                }
                None => encode::csv(&[batch()?])?.into(),
            },
            Format::JsonStat | Format::SdmxCsv => {
                let batch = batch()?;
                let cube = Cube {
                    batches: std::slice::from_ref(&batch),
                    dimensions: vec!["indicator".into(), "geo".into()],
                    time: "period".into(),
                    value: "value".into(),
                    flags: "flags".into(),
                    meta: CubeMeta {
                        label: format!("{title} ({})", indicator.unit),
                        source: version.meta.attribution.clone(),
                        updated: version.meta.upstream_updated.clone(),
                        licence: version.meta.licence.clone(),
                        licence_url: licence_url.clone().unwrap_or_default(),
                        structure_id: "DESI_CITY:INDICATOR_SERIES(1.0)".into(),
                        extension: provenance(version, licence_url.as_deref()),
                        labels: [
                            (
                                "indicator".to_owned(),
                                [(indicator.id.clone(), title.to_owned())].into(),
                            ),
                            ("geo".to_owned(), upstream_labels(&app, version, "geo")),
                        ]
                        .into(),
                        units: [(indicator.id.clone(), indicator.unit.clone())].into(),
                    },
                };
                super::cube_bytes(format, &cube)?.into()
            }
        };
        Ok(answer(bytes, None))
    })
}

/// A value's rank said with its group and how many of it had a value: among the member states
/// for a country, among the capital regions for a regional value; `null` for an aggregate or a
/// region outside the capital regions.
pub(super) fn rank_json(r: &values::IndicatorValue) -> Value {
    match (r.rank_eu27, r.rank_capitals) {
        (Some(rank), _) => {
            json!({"rank": rank, "of": r.ranked_eu27, "group": values::MEMBERS_GROUP,
            "among": format!("{rank} of {} member states with a value in {}", r.ranked_eu27, r.period)})
        }
        (None, Some(rank)) => {
            json!({"rank": rank, "of": r.ranked_capitals, "group": values::CAPITALS_GROUP,
            "among": format!("{rank} of {} EU capital regions with a value in {}", r.ranked_capitals, r.period)})
        }
        (None, None) => Value::Null,
    }
}

/// The 503 of a series whose dataset has no version yet: when it will come, and how to load it
/// by hand.
fn not_fetched(dataset: &str, id: &str) -> ApiError {
    ApiError::Unavailable(format!(
        "The dataset {dataset} behind {id} has not been fetched yet. It will be at its next scheduled run (GET /api/v1/sources says when); to load a file by hand: desi-city import FILE --dataset {dataset}."
    ))
}

/// Why an indicator of a dimension card has no value, with what loads a dataset not fetched yet.
fn note(why: &Unavailable) -> String {
    match why {
        Unavailable::NotFetched { dataset } => format!(
            "{why} (`desi-city fetch {dataset}`, or `desi-city import FILE --dataset {dataset}`)"
        ),
        Unavailable::Failed(error) => crate::commands::with_fix(error),
        _ => why.to_string(),
    }
}

/// The five DESI dimensions for one geo: each indicator's latest value (up to `period`).
#[utoipa::path(get, path = "/api/v1/dimensions", tag = "figures", params(DimensionsQuery),
    responses((status = 200, description = "The five dimensions with their indicators' latest values for the geo (value, period, flags, EU27 value, ranks, change, version)", content_type = "application/json"),
        (status = 400, description = "Bad parameter", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn dimensions(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<DimensionsQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    let geo = negotiate::list_param("geo", &q.geo, 1)?.remove(0);
    let period = year("period", q.period)?;
    let snapshot = app.live.snapshot();
    let head = Head::of_snapshot(
        &app,
        &snapshot,
        &["dimensions", &geo, &format!("{period:?}"), lang],
    );
    app.answer_now(&headers, head, || {
        let mut known_anywhere = false;
        let mut fetched_any = false;
        let mut dims = Vec::new();
        for card in snapshot.figures.dimensions(&geo, period) {
            let mut lines = Vec::new();
            for latest in &card.lines {
                let indicator = latest.indicator;
                known_anywhere |= latest.value.is_ok();
                fetched_any |= !matches!(latest.value, Err(Unavailable::NotFetched { .. }));
                lines.push(match &latest.value {
                    Ok((r, table)) => {
                        let version = table.version();
                        json!({
                            "indicator": indicator.id,
                            "title": indicator.title.get(lang),
                            "unit": indicator.unit,
                            "period": r.period,
                            "value": r.value,
                            "flags": r.flags,
                            "eu27_value": r.eu_value,
                            "rank_eu27": r.rank_eu27,
                            "ranked_eu27": r.ranked_eu27,
                            "rank_capitals": r.rank_capitals,
                            "ranked_capitals": r.ranked_capitals,
                            "rank": rank_json(r),
                            "change": r.change,
                            "previous_period": r.previous_period,
                            "dataset": r.dataset,
                            "eurostat_code": indicator.eurostat_code,
                            "version": r.version,
                            "upstream_updated": version.meta.upstream_updated,
                            "licence": version.meta.licence,
                        })
                    }
                    Err(why) => json!({
                        "indicator": indicator.id,
                        "title": indicator.title.get(lang),
                        "unit": indicator.unit,
                        "value": null,
                        "note": note(why),
                    }),
                });
            }
            dims.push(json!({
                "id": card.dimension.as_str(),
                "title": card.dimension.title(lang),
                "indicators": lines,
            }));
        }
        if !fetched_any {
            return Err(ApiError::Unavailable(format!(
                "No indicator's dataset has been fetched yet, so {geo} has no figures. They will be at the next scheduled run (GET /api/v1/sources says when); to load files by hand: desi-city import FILE --dataset ID."
            )));
        }
        if !known_anywhere {
            return Err(ApiError::NotFound(format!(
                "geo: no indicator has a value for {geo} in the data served. Use a country code (BE), a NUTS-2 region (BE10) or EU27_2020; GET /api/v1/sources lists what has been fetched."
            )));
        }
        Ok(Body::json(&json!({
            "geo": geo,
            "period": period,
            "language": lang,
            "dimensions": dims,
        }))
        .in_language(lang))
    })
}
