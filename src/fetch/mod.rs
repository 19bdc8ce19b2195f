//! Fetching: download a catalogue source, parse it into the canonical observation table, keep the rows its
//! query asks for, and hand the result to the store — or say exactly why not.
//!
//! `refresh` is the one path every fetch takes: the CLI's `fetch`, the scheduler's jobs and the API's
//! admin refresh all call it, and `import` shares its parse → store half (`ingest`). A broken upstream
//! response never replaces good data: every check runs before `Store::publish`, which is atomic.

pub mod eurostat;
pub mod http;
pub mod parse;
pub mod select;

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use chrono::{Datelike, Utc};
use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, Provider, Source, SourceFormat};
use crate::config::Settings;
use crate::store::{RunOutcome, RunRecord, Store, StoreError, Version, VersionMeta};
use eurostat::Part;
use http::{Fetched, HttpClient, HttpError};
use parse::{Format, ParseError, ParseOptions, Parsed};
use select::{SelectError, Selection};

/// What the fetchers need: settings, the catalogue, the store and one HTTP client (shared connection pool).
pub struct Context {
    pub settings: Settings,
    pub catalog: Catalog,
    pub store: Store,
    pub http: HttpClient,
}

impl Context {
    pub fn new(
        settings: Settings,
        catalog: Catalog,
        store: Store,
    ) -> Result<Arc<Context>, HttpError> {
        let http = HttpClient::new(&settings.upstream)?;
        Ok(Arc::new(Context {
            settings,
            catalog,
            store,
            http,
        }))
    }
}

/// Someone watching a refresh (the CLI's progress bar); the scheduler passes `()`.
pub trait Observer: Send + Sync {
    fn stage(&self, _stage: &str) {}
    fn bytes(&self, _n: u64) {}
}
impl Observer for () {}

#[derive(Debug, Clone, Default)]
pub struct RefreshOptions {
    /// Publish even when the response's dimensions differ from the current version's.
    pub accept_structure_change: bool,
}

#[derive(Debug, Clone)]
pub enum Refreshed {
    /// New data: a new version is current.
    Published(Version),
    /// The upstream bytes are those of the current version (or the upstream said 304): nothing written.
    Unchanged(Version),
}

/// Why a refresh failed. The message names the source, the URL and what was wrong.
#[derive(Debug, thiserror::Error)]
#[error("source {source_id}: {}{kind}", url.as_ref().map(|u| format!("{u}: ")).unwrap_or_default())]
pub struct RefreshError {
    pub source_id: String,
    pub url: Option<String>,
    pub kind: RefreshErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshErrorKind {
    #[error("{0}")]
    Http(HttpError),
    #[error(
        "Eurostat refused the query as too big (EXTRACTION_TOO_BIG) and it cannot be split further: {0}"
    )]
    TooBig(String),
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("{0}")]
    Select(#[from] SelectError),
    #[error(
        "dimensions changed from {old:?} to {new:?}; the current version stays. If the new structure is \
         intended, run `desi-city fetch {source_id} --accept-structure-change`"
    )]
    StructureChanged {
        source_id: String,
        old: Vec<String>,
        new: Vec<String>,
    },
    #[error(
        "the response holds no observations for the query (the current version has {current_rows}); \
         nothing was published — check the query's geos, filters and years"
    )]
    Empty { current_rows: u64 },
    #[error("bad URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("internal task failed: {0}")]
    Join(String),
}

impl RefreshError {
    fn new(source: &Source, url: Option<&str>, kind: impl Into<RefreshErrorKind>) -> RefreshError {
        RefreshError {
            source_id: source.id.clone(),
            url: url.map(str::to_owned),
            kind: kind.into(),
        }
    }
}

/// The parse format of a catalogue format.
pub fn format_of(format: SourceFormat) -> Format {
    match format {
        SourceFormat::Jsonstat => Format::JsonStat,
        SourceFormat::Tsv => Format::Tsv,
        SourceFormat::SdmxCsv => Format::SdmxCsv,
        SourceFormat::DesiCsv => Format::DesiCsv,
        SourceFormat::DesiFacts => Format::DesiFacts,
        SourceFormat::OdsCsv => Format::OdsCsv,
    }
}

/// The parse options a catalogue source implies (the Opendatasoft column mapping).
pub fn parse_options(source: &Source) -> ParseOptions {
    ParseOptions {
        ods: source.ods.clone(),
    }
}

fn base_url(settings: &Settings, provider: Provider) -> &str {
    match provider {
        Provider::Eurostat => &settings.upstream.eurostat_url,
        Provider::Desi => &settings.upstream.desi_url,
        Provider::Opendatasoft => &settings.upstream.ods_url,
    }
}

/// One downloaded response.
struct Download {
    url: String,
    bytes: bytes::Bytes,
    validators: http::Validators,
}

/// Fetches `source`, and publishes a new version when its data changed. Records the run's outcome
/// (success or the reason of failure) in the store's status, where `desi-city sources` and the API read it.
#[tracing::instrument(skip_all, fields(source = %source.id))]
pub async fn refresh(
    ctx: &Context,
    source: &Source,
    options: &RefreshOptions,
    observer: &dyn Observer,
) -> Result<Refreshed, RefreshError> {
    let started_at = Utc::now();
    let result = refresh_inner(ctx, source, options, observer).await;
    let outcome = match &result {
        Ok(Refreshed::Published(v)) => RunOutcome::Published {
            version: v.version.clone(),
            rows: v.rows,
        },
        Ok(Refreshed::Unchanged(v)) => RunOutcome::Unchanged {
            version: v.version.clone(),
        },
        Err(e) => RunOutcome::Failed {
            reason: e.to_string(),
        },
    };
    let finished_at = Utc::now();
    let record = RunRecord {
        source: source.id.clone(),
        started_at,
        finished_at,
        outcome,
        next_run_at: crate::catalog::datasets::next_run(&source.schedule, finished_at),
    };
    let store = ctx.store.clone();
    let recorded = tokio::task::spawn_blocking(move || store.record_run(&record)).await;
    match recorded {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(source = %source.id, %error, "Could not record the run."),
        Err(error) => tracing::warn!(source = %source.id, %error, "Could not record the run."),
    }
    match &result {
        Ok(Refreshed::Published(v)) => {
            tracing::info!(source = %source.id, version = %v.version, rows = v.rows, "Published a new version.")
        }
        Ok(Refreshed::Unchanged(v)) => {
            tracing::info!(source = %source.id, version = %v.version, "Unchanged upstream data.")
        }
        Err(error) => tracing::warn!(source = %source.id, %error, "Fetch failed."),
    }
    result
}

async fn refresh_inner(
    ctx: &Context,
    source: &Source,
    options: &RefreshOptions,
    observer: &dyn Observer,
) -> Result<Refreshed, RefreshError> {
    let store = ctx.store.clone();
    let id = source.id.clone();
    let current = tokio::task::spawn_blocking(move || store.current(&id))
        .await
        .map_err(|e| RefreshError::new(source, None, RefreshErrorKind::Join(e.to_string())))?
        .map_err(|e| RefreshError::new(source, None, e))?;

    observer.stage("downloading");
    let validators = current
        .as_ref()
        .map(|v| http::Validators {
            etag: v.meta.etag.clone(),
            last_modified: v.meta.last_modified.clone(),
        })
        .filter(|v| v.etag.is_some() || v.last_modified.is_some());
    let downloads = match download(
        ctx,
        source,
        Part::whole(source),
        validators.as_ref(),
        observer,
    )
    .await?
    {
        Some(downloads) => downloads,
        // 304 Not Modified: the upstream vouches that the current version is still right.
        None => match current {
            Some(v) => return Ok(Refreshed::Unchanged(v)),
            None => {
                return Err(RefreshError::new(
                    source,
                    None,
                    RefreshErrorKind::Http(HttpError::Transport {
                        url: String::new(),
                        attempts: 1,
                        reason: "answered 304 Not Modified although we hold no version".into(),
                    }),
                ));
            }
        },
    };
    let first_url = downloads.first().map(|d| d.url.clone()).unwrap_or_default();
    // Validators are only meaningful for an unsplit download.
    let new_validators = match downloads.as_slice() {
        [only] => only.validators.clone(),
        _ => http::Validators::default(),
    };
    let sha256 = content_hash(&downloads);
    if let Some(v) = &current
        && v.meta.sha256 == sha256
    {
        return Ok(Refreshed::Unchanged(v.clone()));
    }

    observer.stage("parsing");
    let format = format_of(source.format);
    let options_parse = parse_options(source);
    let src = source.clone();
    let accept = options.accept_structure_change;
    let store = ctx.store.clone();
    let url_for_meta = first_url.clone();
    let fetched_at = Utc::now();
    let task = tokio::task::spawn_blocking(
        move || -> Result<Refreshed, (Option<String>, RefreshErrorKind)> {
            let mut parts: Vec<Parsed> = Vec::with_capacity(downloads.len());
            for d in &downloads {
                let parsed = parse::parse(format, &src.id, &d.bytes, &options_parse)
                    .map_err(|e| (Some(d.url.clone()), e.into()))?;
                parts.push(parsed);
            }
            let merged = merge(parts).map_err(|e| (Some(url_for_meta.clone()), e))?;
            let selection = Selection {
                geos: &src.query.geo,
                filters: &src.query.filters,
                since: src.query.since,
                until: src.query.until,
            };
            let batch = select::select(&merged.batch, &merged.dimensions, &selection)
                .map_err(|e| (Some(url_for_meta.clone()), e.into()))?;
            if let Some(v) = &current
                && !accept
                && v.meta.dimensions != merged.dimensions
            {
                return Err((
                    Some(url_for_meta.clone()),
                    RefreshErrorKind::StructureChanged {
                        source_id: src.id.clone(),
                        old: v.meta.dimensions.clone(),
                        new: merged.dimensions.clone(),
                    },
                ));
            }
            if batch.num_rows() == 0 {
                let current_rows = current.as_ref().map_or(0, |v| v.rows);
                return Err((
                    Some(url_for_meta.clone()),
                    RefreshErrorKind::Empty { current_rows },
                ));
            }
            let meta = VersionMeta {
                source_url: url_for_meta.clone(),
                fetched_at,
                upstream_updated: merged.updated.clone(),
                sha256,
                parser_version: parse::PARSER_VERSION.to_owned(),
                format: format.as_str().to_owned(),
                licence: src.licence.clone(),
                attribution: src.attribution.clone(),
                dimensions: merged.dimensions.clone(),
                etag: new_validators.etag,
                last_modified: new_validators.last_modified,
            };
            let version = store
                .publish(&src.id, &[batch], meta)
                .map_err(|e| (Some(url_for_meta.clone()), e.into()))?;
            Ok(Refreshed::Published(version))
        },
    );
    observer.stage("publishing");
    match task.await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err((url, kind))) => Err(RefreshError::new(source, url.as_deref(), kind)),
        Err(e) => Err(RefreshError::new(
            source,
            Some(&first_url),
            RefreshErrorKind::Join(e.to_string()),
        )),
    }
}

/// Downloads `part`, splitting it on `EXTRACTION_TOO_BIG` until every piece is accepted.
/// `Ok(None)` means the upstream answered 304 Not Modified.
async fn download(
    ctx: &Context,
    source: &Source,
    whole: Part,
    validators: Option<&http::Validators>,
    observer: &dyn Observer,
) -> Result<Option<Vec<Download>>, RefreshError> {
    let base = base_url(&ctx.settings, source.provider);
    let year = Utc::now().year();
    let mut pending = vec![whole];
    let mut done = Vec::new();
    let mut first = true;
    while let Some(part) = pending.pop() {
        let url =
            eurostat::url(base, source, &part).map_err(|e| RefreshError::new(source, None, e))?;
        let url = url.to_string();
        // Only the unsplit request may be conditional: parts have no validators of their own.
        let conditional = if first { validators } else { None };
        first = false;
        let on_bytes = |n: u64| observer.bytes(n);
        match ctx.http.get(&url, conditional, &on_bytes).await {
            Ok(Fetched::NotModified) => return Ok(None),
            Ok(Fetched::Body {
                bytes, validators, ..
            }) => {
                // A 200 can still carry an error document or an outage page; refuse it here, naming the URL.
                if let Err(e) = parse::check_body(&bytes) {
                    if e.is_too_big() {
                        split_or_fail(source, &url, &part, year, &e.to_string(), &mut pending)?;
                        continue;
                    }
                    return Err(RefreshError::new(source, Some(&url), e));
                }
                done.push((
                    part,
                    Download {
                        url,
                        bytes,
                        validators,
                    },
                ));
            }
            Err(HttpError::Status {
                status,
                body,
                url: u,
                attempts,
            }) => {
                match parse::check_body(&body) {
                    Err(e) if e.is_too_big() || status == 413 => {
                        split_or_fail(source, &u, &part, year, &e.to_string(), &mut pending)?;
                    }
                    // An Eurostat error document says more than the status line.
                    Err(e @ ParseError::Upstream { .. }) => {
                        return Err(RefreshError::new(source, Some(&u), e));
                    }
                    _ => {
                        let error = HttpError::Status {
                            status,
                            body,
                            url: u.clone(),
                            attempts,
                        };
                        return Err(RefreshError::new(
                            source,
                            Some(&u),
                            RefreshErrorKind::Http(error),
                        ));
                    }
                }
            }
            Err(e) => {
                let u = e.url().map(str::to_owned);
                return Err(RefreshError::new(
                    source,
                    u.as_deref(),
                    RefreshErrorKind::Http(e),
                ));
            }
        }
    }
    // Keep parts in query order (geo halves / period halves), so the content hash is stable.
    done.sort_by(|a, b| (a.0.since, a.0.geos.first()).cmp(&(b.0.since, b.0.geos.first())));
    Ok(Some(done.into_iter().map(|(_, d)| d).collect()))
}

fn split_or_fail(
    source: &Source,
    url: &str,
    part: &Part,
    year: i32,
    reason: &str,
    pending: &mut Vec<Part>,
) -> Result<(), RefreshError> {
    match part.split(source.format, year) {
        Some((a, b)) => {
            tracing::info!(source = %source.id, %url, "Query too big for Eurostat; splitting it.");
            pending.push(b);
            pending.push(a);
            Ok(())
        }
        None => Err(RefreshError::new(
            source,
            Some(url),
            RefreshErrorKind::TooBig(reason.to_owned()),
        )),
    }
}

/// The sha256 of the upstream bytes (of every part, in order), hex.
fn content_hash(downloads: &[Download]) -> String {
    let mut h = Sha256::new();
    for d in downloads {
        h.update(&d.bytes);
    }
    hex::encode(h.finalize())
}

/// Concatenates the parsed parts of a split query; they must share one structure.
fn merge(mut parts: Vec<Parsed>) -> Result<Parsed, RefreshErrorKind> {
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let Some(first) = parts.first() else {
        return Err(RefreshErrorKind::Empty { current_rows: 0 });
    };
    let dims = first.dimensions.clone();
    let schema = first.batch.schema();
    let mut updated = first.updated.clone();
    let title = first.title.clone();
    for p in &parts[1..] {
        if p.dimensions != dims {
            return Err(RefreshErrorKind::StructureChanged {
                source_id: String::new(),
                old: dims,
                new: p.dimensions.clone(),
            });
        }
        if p.updated > updated {
            updated = p.updated.clone();
        }
    }
    let batches: Vec<RecordBatch> = parts.into_iter().map(|p| p.batch).collect();
    let batch = arrow::compute::concat_batches(&schema, &batches)
        .map_err(|e| RefreshErrorKind::Parse(ParseError::from(e)))?;
    Ok(Parsed {
        batch,
        dimensions: dims,
        updated,
        title,
    })
}

/// Where an imported file's provenance comes from.
#[derive(Debug, Clone)]
pub struct ImportMeta {
    pub source_url: String,
    pub licence: String,
    pub attribution: String,
}

/// Parses a file a user downloaded by hand and publishes it as a version of `dataset`, through the same
/// parse → store path as `refresh`. The caller detects the format when the user didn't give one.
pub fn ingest(
    store: &Store,
    dataset: &str,
    bytes: &[u8],
    format: Format,
    options: &ParseOptions,
    meta: ImportMeta,
) -> Result<Version, IngestError> {
    let parsed = parse::parse(format, dataset, bytes, options)?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let meta = VersionMeta {
        source_url: meta.source_url,
        fetched_at: Utc::now(),
        upstream_updated: parsed.updated.clone(),
        sha256,
        parser_version: parse::PARSER_VERSION.to_owned(),
        format: format.as_str().to_owned(),
        licence: meta.licence,
        attribution: meta.attribution,
        dimensions: parsed.dimensions.clone(),
        etag: None,
        last_modified: None,
    };
    Ok(store.publish(dataset, &[parsed.batch], meta)?)
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// Sources selected by id (all when `ids` is empty), or the error naming the unknown one.
pub fn sources<'a>(
    catalog: &'a Catalog,
    ids: &[String],
) -> Result<Vec<&'a Source>, crate::catalog::CatalogError> {
    if ids.is_empty() {
        return Ok(catalog.sources.iter().collect());
    }
    ids.iter().map(|id| catalog.get(id)).collect()
}
