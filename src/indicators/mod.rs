//! What desi-city computes from the store, with DuckDB: the Commission's composite DESI
//! ([`desi`]), read from the methodology files of `indicators/methodology/`, and the values of
//! each indicator of `indicators/*.toml` ([`definitions`], [`values`]), and the progress towards the
//! targets of `indicators/roadmaps/*.toml` ([`roadmap`]), and the desi-city regional scorecard (own
//! method, not the Commission's DESI) of `indicators/regional/scorecard.toml` ([`regional`]).
//!
//! Must not fetch, parse upstream formats or write to the data dir: it reads the store's current
//! Parquet versions through views (`read_parquet`, no copies) and returns results. Its SQL is
//! read-only over those views and temp tables; values from outside (method parameters, an edition
//! asked for) reach DuckDB as bound parameters or appended rows, never as SQL text. Knows nothing
//! of HTTP or of the command line.

pub mod definitions;
pub mod desi;
pub mod figures;
pub mod model;
pub mod regional;
pub mod roadmap;
pub mod values;

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use duckdb::Connection;

use crate::store::StoreError;

/// Everything that can go wrong computing indicators. A user error names the file and key (or
/// the dataset) and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    /// A methodology file cannot be read.
    #[error(
        "Cannot read {path}: {source}. Check that the methodology folder is complete (see indicators/methodology/README.md)."
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A methodology file is not valid TOML for its format (unknown key, missing key, wrong type).
    #[error(
        "{path} is not a valid methodology file: {}\nFix the key as the comment at the top of the file describes.",
        source.to_string().trim_end()
    )]
    Toml {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// A methodology file is valid TOML but its content does not hold together.
    #[error("{path}, {key}: {problem}. {fix}")]
    Invalid {
        path: PathBuf,
        key: String,
        problem: String,
        fix: String,
    },
    /// An edition the methodology does not cover.
    #[error(
        "DESI edition {edition} is not part of the {methodology} methodology: use one of {known}."
    )]
    UnknownEdition {
        methodology: String,
        edition: i32,
        known: String,
    },
    /// A geo the data does not hold (or that the computation does not apply to).
    #[error("{geo} is not in the data for this computation. Use one of: {known}.")]
    UnknownGeo { geo: String, known: String },
    /// A geo asked for that an indicator's data does not hold (a code in lower case, a region
    /// for a country-level indicator, a typo). The API and the command line give this message.
    #[error(
        "geo: {geo} is not in {dataset} (version {version}). It has: {}{}.",
        known[..known.len().min(60)].join(", "),
        if known.len() > 60 { ", …" } else { "" }
    )]
    GeoNotInData {
        geo: String,
        dataset: String,
        version: String,
        known: Vec<String>,
    },
    /// The input dataset has no version in the store. What to run is said by the API and the
    /// command line, from `load`.
    #[error("dataset {dataset} is not in the store.")]
    NoData { dataset: String, load: Load },
    /// The input dataset is in the store but lacks what the methodology reads (the fix: load it
    /// again, from `load`, or fix the key).
    #[error("dataset {dataset} does not hold what {path} needs: {problem}.")]
    Input {
        dataset: String,
        path: PathBuf,
        problem: String,
        load: Load,
    },
    #[error("The store could not be read: {0}")]
    Store(#[from] StoreError),
    #[error("DuckDB failed: {0}")]
    DuckDb(#[from] duckdb::Error),
    #[error("Arrow failed: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// An error computed once and shared by every figure that needed the same input.
    #[error(transparent)]
    Shared(std::sync::Arc<IndicatorError>),
}

/// How a dataset gets into the store, for the API and the command line to say what to run (the
/// engine names no command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    /// Sources of the catalogue, fetched from upstream (or loaded from a downloaded file).
    Fetch(Vec<String>),
    /// A file imported by hand in a format (the Commission's DESI tables).
    Import(Box<Import>),
}

/// A file imported by hand: which, into which dataset, in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub file: String,
    pub dataset: String,
    pub format: String,
}

impl Load {
    /// One catalogued source.
    pub fn fetch(source: impl Into<String>) -> Load {
        Load::Fetch(vec![source.into()])
    }
}

impl IndicatorError {
    /// The error itself, seen through any [`IndicatorError::Shared`] layers.
    pub fn root(&self) -> &IndicatorError {
        match self {
            IndicatorError::Shared(inner) => inner.root(),
            other => other,
        }
    }
}

/// This module's result type.
pub type Result<T> = std::result::Result<T, IndicatorError>;

/// Runs the read-only, parameterless SELECT `sql` and returns a statement over its rows, in its
/// order. DuckDB binds a prepared statement that reads tables again when it runs, so a big SELECT
/// prepared directly is planned twice; this one is planned once, into the temp table `m_result`
/// (which keeps the SELECT's order: insertion order is kept), and read back by a trivial SELECT.
/// One at a time per connection. Blocking (DuckDB).
pub(crate) fn select_once<'c>(conn: &'c Connection, sql: &str) -> Result<duckdb::Statement<'c>> {
    conn.execute_batch(&format!("CREATE OR REPLACE TEMP TABLE m_result AS {sql}"))?;
    Ok(conn.prepare("SELECT * FROM m_result")?)
}

/// A new connection to the process's one in-memory DuckDB database. Opening a database costs a
/// catalogue and a thread pool (most of a small computation's time); a connection to the open one
/// costs little. Each computation gets its own connection, so its TEMP views and tables are its
/// own and computations may run at once. The database holds no data: only views over the
/// store's files, per connection.
pub(crate) fn connection() -> Result<Connection> {
    static DATABASE: OnceLock<Mutex<Connection>> = OnceLock::new();
    let database = match DATABASE.get() {
        Some(database) => database,
        None => {
            let opened = Connection::open_in_memory()?;
            // Small queries: one thread each, so that concurrent computations do not contend.
            // Insertion order kept (DuckDB's default, said here since `select_once` reads on it).
            opened.execute_batch("SET threads TO 1; SET preserve_insertion_order = true;")?;
            DATABASE.get_or_init(|| Mutex::new(opened))
        }
    };
    // A poisoned lock only means a panic elsewhere while cloning; the connection is still whole.
    let guard = database
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Ok(guard.try_clone()?)
}
