//! Fetching: download a catalogue source, parse it into the canonical observation table, keep the rows its
//! query asks for, and hand the result to the store — or say exactly why not.
//!
//! `refresh` is the one path every fetch takes: the CLI's `fetch`, the scheduler's jobs and the API's
//! admin refresh all call it, and `import` shares its parse → store half (`ingest`). A broken upstream
//! response never replaces good data: every check runs before `Store::publish`, which is atomic. Besides
//! what the parsers refuse, a response is refused when it brings text into a dataset whose values are
//! numbers (`numeric` in the catalogue), when its dimensions differ from the current version's, and when
//! it loses more than the catalogue's `max_loss` of the current version's rows or geos (the last two
//! unless the structure change is accepted). A body cut short is downloaded again, whether the transport
//! or the parser noticed.

pub mod eurostat;
pub mod http;
pub mod parse;
pub mod select;

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{Array, AsArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use chrono::{Datelike, Utc};
use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, Provider, Source};
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
    /// Publish even when the response's dimensions differ from the current version's, or when it lost
    /// more than the catalogue's `max_loss` of the current version's rows or geos.
    pub accept_structure_change: bool,
}

#[derive(Debug, Clone)]
pub enum Refreshed {
    /// New data: a new version is current.
    Published(Version),
    /// The upstream bytes are those of the current version (or the upstream said 304): nothing written.
    Unchanged(Version),
}

/// Why a refresh failed. The message names the source, the URL (once, shortened: the full one is in
/// the debug log) and what was wrong.
#[derive(Debug, thiserror::Error)]
#[error("source {source_id}: {}{kind}", url.as_ref().filter(|u| !u.is_empty()).map(|u| format!("{}: ", http::short_url(u))).unwrap_or_default())]
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
        "dimensions changed from {old:?} to {new:?}{}; the current version stays. {}",
        gone_filters(.gone),
        structure_fix(.source_id, .gone)
    )]
    StructureChanged {
        source_id: String,
        old: Box<[String]>,
        new: Box<[String]>,
        /// Dimensions the query filters on that the response no longer has.
        gone: Box<[String]>,
    },
    #[error("{0}")]
    Shrunk(Box<Shrink>),
    #[error(
        "{count} cell(s) hold text where the dataset's values are numbers: {}; the current version stays. \
         If the dataset does publish text values, set numeric = false in {}",
        .cells.join(", "), .file.display()
    )]
    TextValues {
        count: usize,
        /// The first few, as `key period = "text"`.
        cells: Vec<String>,
        file: std::path::PathBuf,
    },
    #[error("the response was cut short on each of {attempts} attempt(s): {source}")]
    CutShort {
        attempts: u32,
        source: Box<ParseError>,
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
    Join(#[source] tokio::task::JoinError),
    /// A source validated before its task started was gone from the catalogue when it ran.
    #[error("the source disappeared from the catalogue")]
    Vanished,
    /// An import-only source (`import_only = true`) has no upstream to fetch.
    #[error(
        "it has no live upstream (import_only = true in its dataset file): it is imported by hand, never fetched; nothing was recorded"
    )]
    ImportOnly,
}

/// A response that lost more of the current version than the catalogue allows.
#[derive(Debug, thiserror::Error)]
#[error(
    "the response holds {} of the {old_rows} rows and {} of the {old_geos} geos the current version has \
     for the query{}: more than the {:.0} % the catalogue allows to go (max_loss); the current version \
     stays. {}",
    .new_rows, .new_geos, lost_geos(.lost), .max_loss * 100.0, structure_fix(.source_id, &[])
    )]
pub struct Shrink {
    pub source_id: String,
    pub old_rows: u64,
    pub new_rows: u64,
    pub old_geos: u32,
    pub new_geos: u32,
    /// The geos gone (all of them; the message shows a few).
    pub lost: Box<[String]>,
    pub max_loss: f64,
}

fn gone_filters(gone: &[String]) -> String {
    if gone.is_empty() {
        String::new()
    } else {
        format!(
            " (the query filters on {}, which the response no longer has)",
            gone.iter()
                .map(|d| format!("\"{d}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The one way out of a refused structure change, for every kind of it.
fn structure_fix(source_id: &str, gone: &[String]) -> String {
    let query = if !gone.is_empty() {
        "change the [query] of its catalogue file so it names only dimensions the response has, then "
    } else {
        ""
    };
    format!(
        "If the new structure is intended, {query}run `desi-city fetch {source_id} --accept-structure-change`"
    )
}

fn lost_geos(lost: &[String]) -> String {
    match lost.len() {
        0 => String::new(),
        n if n <= 5 => format!(" ({} gone)", lost.join(", ")),
        n => format!(" ({}, … gone: {n} geos)", lost[..5].join(", ")),
    }
}

/// Whether the parser found the body ending before the document did (a body cut short that the
/// transport did not notice, its `Content-Length` matching).
fn is_cut_short(e: &ParseError) -> bool {
    matches!(e, ParseError::Json(j) if j.is_eof())
}

impl RefreshError {
    /// What kind of failure this is, in a few words, for summaries: `upstream unreachable`,
    /// `upstream error`, `refused`.
    pub fn category(&self) -> &'static str {
        match &self.kind {
            RefreshErrorKind::Http(
                HttpError::Transport { .. } | HttpError::Timeout { .. } | HttpError::Body { .. },
            ) => "upstream unreachable",
            RefreshErrorKind::Http(_) | RefreshErrorKind::TooBig(_) => "upstream error",
            _ => "refused (see `desi-city sources ID`)",
        }
    }
}

/// One line summing up the failures of a round of refreshes (`None` when none failed):
/// `20 of 22 sources failed: 20 upstream unreachable; to load files by hand: desi-city import …`.
pub fn failure_summary<T>(results: &[Result<T, RefreshError>]) -> Option<String> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        match counts.iter_mut().find(|(c, _)| *c == error.category()) {
            Some((_, n)) => *n += 1,
            None => counts.push((error.category(), 1)),
        }
    }
    let failed: usize = counts.iter().map(|(_, n)| n).sum();
    (failed > 0).then(|| {
        let causes: Vec<String> = counts.iter().map(|(c, n)| format!("{n} {c}")).collect();
        format!(
            "{failed} of {} source(s) failed: {}; the current versions stay. To load files by hand: \
             desi-city import FILE --dataset ID (`desi-city sources ID` shows each source's error)",
            results.len(),
            causes.join(", ")
        )
    })
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

/// The parse options a catalogue source implies (the Opendatasoft column mapping).
pub fn parse_options(source: &Source) -> ParseOptions {
    ParseOptions {
        ods: source.ods.clone(),
        by_data_year: source.by_data_year.clone(),
    }
}

fn base_url(settings: &Settings, provider: Provider) -> &str {
    match provider {
        Provider::Eurostat => &settings.upstream.eurostat_url,
        Provider::Desi => &settings.upstream.desi_url,
        Provider::Opendatasoft => &settings.upstream.ods_url,
        Provider::Gisco => &settings.upstream.gisco_url,
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
    if source.import_only {
        // Not a failed run: there is nothing to fetch, and the source's state stays as it is.
        return Err(RefreshError::new(
            source,
            None,
            RefreshErrorKind::ImportOnly,
        ));
    }
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
        Err(error) => {
            if let Some(url) = &error.url {
                tracing::debug!(source = %source.id, %url, "The failed fetch's full URL.");
            }
            // Once, short, the cause first (the span names the source).
            let url = error
                .url
                .as_deref()
                .map(http::short_url)
                .unwrap_or_default();
            tracing::warn!(error = %error.kind, %url, "Fetch failed.")
        }
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
        .map_err(|e| RefreshError::new(source, None, RefreshErrorKind::Join(e)))?
        .map_err(|e| RefreshError::new(source, None, e))?;

    let validators = current
        .as_ref()
        .map(|v| http::Validators {
            etag: v.meta.etag.clone(),
            last_modified: v.meta.last_modified.clone(),
        })
        .filter(|v| v.etag.is_some() || v.last_modified.is_some());
    let format = source.format;
    let options_parse = parse_options(source);
    // A body the parser finds cut short is downloaded again, as one the transport finds cut short is.
    let mut attempt = 0u32;
    let (downloads, merged, sha256) = loop {
        attempt += 1;
        observer.stage("downloading");
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
        let sha256 = content_hash(&downloads);
        if let Some(v) = &current
            && v.meta.sha256 == sha256
        {
            return Ok(Refreshed::Unchanged(v.clone()));
        }
        observer.stage("parsing");
        let (id, opts) = (source.id.clone(), options_parse.clone());
        let parsed = tokio::task::spawn_blocking(move || {
            let mut parts: Vec<Parsed> = Vec::with_capacity(downloads.len());
            for d in &downloads {
                match parse::parse(format, &id, &d.bytes, &opts) {
                    Ok(parsed) => parts.push(parsed),
                    Err(e) => {
                        let (url, kind) = (d.url.clone(), RefreshErrorKind::from(e));
                        return (downloads, Err((url, kind)));
                    }
                }
            }
            let first = downloads.first().map(|d| d.url.clone()).unwrap_or_default();
            let merged = merge(parts).map_err(|e| (first, e));
            (downloads, merged)
        })
        .await
        .map_err(|e| RefreshError::new(source, None, RefreshErrorKind::Join(e)))?;
        match parsed {
            (downloads, Ok(merged)) => break (downloads, merged, sha256),
            (_, Err((url, RefreshErrorKind::Parse(e)))) if is_cut_short(&e) => {
                if attempt > ctx.settings.upstream.retries {
                    return Err(RefreshError::new(
                        source,
                        Some(&url),
                        RefreshErrorKind::CutShort {
                            attempts: attempt,
                            source: Box::new(e),
                        },
                    ));
                }
                let wait = ctx.http.backoff(attempt);
                tracing::warn!(source = %source.id, url = %http::short_url(&url), error = %e, attempt, wait_ms = wait.as_millis() as u64, "Body cut short; downloading it again.");
                tokio::time::sleep(wait).await;
            }
            (_, Err((url, mut kind))) => {
                // `merge` does not know the source (its parts disagree on the dimensions).
                if let RefreshErrorKind::StructureChanged { source_id, .. } = &mut kind {
                    source_id.clone_from(&source.id);
                }
                return Err(RefreshError::new(source, Some(&url), kind));
            }
        }
    };
    let first_url = downloads.first().map(|d| d.url.clone()).unwrap_or_default();
    // Validators are only meaningful for an unsplit download.
    let new_validators = match downloads.as_slice() {
        [only] => only.validators.clone(),
        _ => http::Validators::default(),
    };
    drop(downloads);

    let src = source.clone();
    let accept = options.accept_structure_change;
    let store = ctx.store.clone();
    let url_for_meta = first_url.clone();
    let fetched_at = Utc::now();
    let task = tokio::task::spawn_blocking(
        move || -> Result<Refreshed, (Option<String>, RefreshErrorKind)> {
            let at = |kind: RefreshErrorKind| (Some(url_for_meta.clone()), kind);
            let selection = Selection {
                geos: &src.query.geo,
                filters: &src.query.filters,
                since: src.query.since,
                until: src.query.until,
            };
            // The structure first: a dimension the query filters on may be what changed.
            if let Some(v) = &current
                && !accept
                && v.meta.dimensions != merged.dimensions
            {
                let gone = src
                    .query
                    .filters
                    .keys()
                    .filter(|d| !merged.dimensions.contains(d))
                    .cloned()
                    .collect();
                return Err(at(RefreshErrorKind::StructureChanged {
                    source_id: src.id.clone(),
                    old: v.meta.dimensions.clone().into(),
                    new: merged.dimensions.clone().into(),
                    gone,
                }));
            }
            let batch = select::select(&merged.batch, &merged.dimensions, &selection)
                .map_err(|e| at(e.into()))?;
            if batch.num_rows() == 0 {
                let current_rows = current.as_ref().map_or(0, |v| v.rows);
                return Err(at(RefreshErrorKind::Empty { current_rows }));
            }
            if src.numeric
                && let Some(kind) = text_values(&batch, &merged.dimensions, &src)
            {
                return Err(at(kind));
            }
            if let Some(v) = &current
                && !accept
                && let Some(kind) =
                    shrunk(&store, v, &batch, &selection, &src).map_err(|e| at(e.into()))?
            {
                return Err(at(kind));
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
                .map_err(|e| at(e.into()))?;
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
            RefreshErrorKind::Join(e),
        )),
    }
}

/// How many cells show at most in an error message.
const CELLS_SHOWN: usize = 5;

/// The cells of `batch` that hold text instead of a number, as the refusal of a numeric dataset.
fn text_values(
    batch: &RecordBatch,
    dimensions: &[String],
    src: &Source,
) -> Option<RefreshErrorKind> {
    let texts = batch.column_by_name("value_text")?.as_string_opt::<i32>()?;
    let count = texts.len() - texts.null_count();
    if count == 0 {
        return None;
    }
    let dims: Vec<_> = dimensions
        .iter()
        .filter_map(|d| batch.column_by_name(d))
        .filter_map(|c| cast(c, &DataType::Utf8).ok())
        .collect();
    let period = batch
        .column_by_name("period")
        .and_then(|c| cast(c, &DataType::Utf8).ok());
    let text_of = |column: &arrow::array::ArrayRef, row: usize| -> String {
        let strings = column.as_string::<i32>();
        if strings.is_valid(row) {
            strings.value(row).to_owned()
        } else {
            String::new()
        }
    };
    let cells = (0..texts.len())
        .filter(|&row| texts.is_valid(row))
        .take(CELLS_SHOWN)
        .map(|row| {
            let key: Vec<String> = dims.iter().map(|c| text_of(c, row)).collect();
            let period = period.as_ref().map(|p| text_of(p, row)).unwrap_or_default();
            format!("{} {period} = {:?}", key.join("."), texts.value(row))
        })
        .collect();
    Some(RefreshErrorKind::TextValues {
        count,
        cells,
        file: src.file.clone(),
    })
}

/// The geos of the `geo` column of `batches`.
fn geos_of<'a>(batches: impl IntoIterator<Item = &'a RecordBatch>) -> BTreeSet<String> {
    let mut geos = BTreeSet::new();
    for batch in batches {
        let Some(column) = batch
            .column_by_name("geo")
            .and_then(|c| cast(c, &DataType::Utf8).ok())
        else {
            continue;
        };
        geos.extend(
            column
                .as_string::<i32>()
                .iter()
                .flatten()
                .map(str::to_owned),
        );
    }
    geos
}

/// Whether the new `batch` lost more than `max_loss` of the rows or of the geos the current version
/// holds for the same query (so narrowing the query on purpose is not a loss).
fn shrunk(
    store: &Store,
    current: &Version,
    batch: &RecordBatch,
    selection: &Selection<'_>,
    src: &Source,
) -> Result<Option<RefreshErrorKind>, StoreError> {
    let mut old = Vec::new();
    for b in store.read(&src.id, Some(&current.version))? {
        match select::select(&b, &current.meta.dimensions, selection) {
            Ok(kept) => old.push(kept),
            // The old version cannot be read with today's query: nothing to compare with.
            Err(_) => return Ok(None),
        }
    }
    let old_rows: u64 = old.iter().map(|b| b.num_rows() as u64).sum();
    let new_rows = batch.num_rows() as u64;
    let (old_geos, new_geos) = (geos_of(&old), geos_of([batch]));
    let lost: Box<[String]> = old_geos.difference(&new_geos).cloned().collect();
    let share = |gone: f64, of: f64| if of > 0.0 { gone / of } else { 0.0 };
    let rows_share = share(old_rows.saturating_sub(new_rows) as f64, old_rows as f64);
    let geos_share = share(lost.len() as f64, old_geos.len() as f64);
    if rows_share <= src.max_loss && geos_share <= src.max_loss {
        return Ok(None);
    }
    Ok(Some(RefreshErrorKind::Shrunk(Box::new(Shrink {
        source_id: src.id.clone(),
        old_rows,
        new_rows,
        old_geos: u32::try_from(old_geos.len()).unwrap_or(u32::MAX),
        new_geos: u32::try_from(new_geos.len()).unwrap_or(u32::MAX),
        lost,
        max_loss: src.max_loss,
    }))))
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
                old: dims.into(),
                new: p.dimensions.clone().into(),
                gone: Box::default(),
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
    publish_file(store, dataset, parsed, sha256, format, meta)
}

/// Publishes the rows parsed from a file loaded by hand, with the file's provenance.
fn publish_file(
    store: &Store,
    dataset: &str,
    parsed: parse::Parsed,
    sha256: String,
    format: Format,
    meta: ImportMeta,
) -> Result<Version, IngestError> {
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

/// `desi-city import`: like [`ingest`], but a file whose bytes — or whose rows — are those of the
/// current version publishes nothing (`Unchanged`, as a fetch of unchanged data), and the run is
/// recorded in the store's status (`imported` or `unchanged`), so `sources`, `/sources` and
/// `/health` show the version and how it came. `schedule` is the catalogue source's cron, when
/// `dataset` is one (for the status's next run).
pub fn import(
    store: &Store,
    dataset: &str,
    bytes: &[u8],
    format: Format,
    options: &ParseOptions,
    meta: ImportMeta,
    schedule: Option<&str>,
) -> Result<Refreshed, IngestError> {
    let started_at = Utc::now();
    let current = store.current(dataset)?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let file = meta.source_url.clone();
    let result = match current {
        Some(v) if v.meta.sha256 == sha256 => Refreshed::Unchanged(v),
        current => {
            let parsed = parse::parse(format, dataset, bytes, options)?;
            match current {
                Some(v) if same_rows(store, &v, &parsed)? => Refreshed::Unchanged(v),
                _ => Refreshed::Published(publish_file(
                    store, dataset, parsed, sha256, format, meta,
                )?),
            }
        }
    };
    let finished_at = Utc::now();
    let outcome = match &result {
        Refreshed::Published(v) => RunOutcome::Imported {
            version: v.version.clone(),
            rows: v.rows,
            file,
        },
        Refreshed::Unchanged(v) => RunOutcome::Unchanged {
            version: v.version.clone(),
        },
    };
    store.record_run(&RunRecord {
        source: dataset.to_owned(),
        started_at,
        finished_at,
        outcome,
        next_run_at: schedule.and_then(|s| crate::catalog::datasets::next_run(s, finished_at)),
    })?;
    Ok(result)
}

/// Whether the parsed file holds exactly the rows (and dimensions) of version `v`.
fn same_rows(store: &Store, v: &Version, parsed: &Parsed) -> Result<bool, StoreError> {
    if v.rows != parsed.batch.num_rows() as u64 || v.meta.dimensions != parsed.dimensions {
        return Ok(false);
    }
    let stored = store.read(&v.dataset, Some(&v.version))?;
    let Some(first) = stored.first() else {
        return Ok(parsed.batch.num_rows() == 0);
    };
    let Ok(stored) = arrow::compute::concat_batches(&first.schema(), &stored) else {
        return Ok(false);
    };
    Ok(stored.num_columns() == parsed.batch.num_columns()
        && stored
            .columns()
            .iter()
            .zip(parsed.batch.columns())
            .all(|(a, b)| a.as_ref() == b.as_ref()))
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sources to fetch, selected by id (all that have a live upstream when `ids` is empty), or the
/// error naming the unknown one, or the import-only one (`import_only = true`: imported by hand).
pub fn sources<'a>(
    catalog: &'a Catalog,
    ids: &[String],
) -> Result<Vec<&'a Source>, crate::catalog::CatalogError> {
    if ids.is_empty() {
        return Ok(catalog.sources.iter().filter(|s| !s.import_only).collect());
    }
    ids.iter()
        .map(|id| {
            let source = catalog.get(id)?;
            if source.import_only {
                return Err(crate::catalog::CatalogError::ImportOnly {
                    id: source.id.clone(),
                    file: source.file.clone(),
                    import_file: source.import_file.clone(),
                });
            }
            Ok(source)
        })
        .collect()
}
