//! desi-city: measures how digital a city is becoming, on the EU's DESI dimensions, and publishes the
//! figures with their sources. The crate map follows the data flow:
//!
//! - [`config`]: settings (defaults < `desi-city.toml` < `DESI_CITY_*` < flags).
//! - [`catalog`]: loads and validates `datasets/` (what to fetch) into typed definitions.
//! - [`fetch`]: HTTP client, Eurostat specifics, one parser per upstream format → Arrow; `refresh`.
//! - [`store`]: the only code touching the data dir: versioned Parquet, manifest, atomic publish.
//! - [`indicators`]: DuckDB over the store: the Commission's composite DESI from `indicators/methodology/`,
//!   and each indicator of `indicators/*.toml` (definitions, values, EU value, ranks, change).
//! - [`geo`]: region shapes from the store (GISCO NUTS 2021), ETRS89-LAEA projection, class breaks.
//! - [`ngsi`]: the figures as NGSI-LD `KeyPerformanceIndicator` entities (FIWARE Smart Data Models).
//! - [`schedule`]: tokio-cron-scheduler wiring: jobs call `fetch::refresh`.
//! - [`charts`]: charts of `charts/*.toml` drawn from the figures: SVG (plotters), PNG (resvg), alt text.
//! - [`pages`]: the HTML pages (dashboard, indicators, targets), from templates and `i18n/` texts.
//! - [`commands`]: what to run to load a missing dataset, in the words the API and the CLI share.
//! - [`api`]: the axum HTTP API, and the pages' routes.

/// mimalloc for every allocation of the process: Rust's through this, C and C++ (DuckDB) through its
/// `override` of malloc and free; built `no_thp`, so that Linux does not back its arenas with 2 MiB
/// pages however little of them is used. Set here, in the library, so the binary, the tests and
/// the benchmarks measure the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod api;
pub mod catalog;
pub mod charts;
pub mod commands;
pub mod config;
pub mod fetch;
pub mod geo;
pub mod indicators;
pub mod ngsi;
pub mod pages;
pub mod schedule;
pub mod store;
