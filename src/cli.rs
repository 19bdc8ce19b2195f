//! The command line (clap): `fetch`, `sources`, `import`, `export`, `desi`, `indicators`, `roadmap`, `compute`, `init`, `serve`. Each command loads settings,
//! calls the library and prints a result for people; nothing here computes or parses data itself.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use desi_city::catalog::{BuiltIn, Catalog, Folder, GeoGroups, Provider};
use desi_city::commands::{with_fix, with_load};
use desi_city::config::{DEFAULT_CONFIG_FILE, Overrides, Settings};
use desi_city::fetch::parse::{Format, ParseOptions};
use desi_city::fetch::{self, Context, ImportMeta, Observer, RefreshOptions, Refreshed};
use desi_city::indicators::{IndicatorError, definitions, desi, figures, roadmap, values};
use desi_city::store::Store;
use desi_city::{api, schedule};

mod compute;

#[derive(Parser)]
#[command(
    name = "desi-city",
    version,
    about = "Fetch, store and serve the open statistics behind a city's DESI dimensions.",
    long_about = "desi-city fetches the open statistics behind the EU's Digital Economy and Society Index \
(Eurostat, the Commission's DESI dataset, regional open-data portals) into versioned Parquet files with \
their provenance, and serves them over HTTP.\n\n\
Settings come from built-in defaults, then desi-city.toml (or --config), then DESI_CITY_* environment \
variables, then flags.",
    after_help = "Examples:\n  desi-city fetch                      fetch every source of the catalogue\n  \
desi-city fetch isoc_ci_in_h         fetch one source\n  desi-city sources                    what is fetched and how it went\n  \
desi-city serve --addr 0.0.0.0:8080  run the API and the scheduler"
)]
struct Cli {
    /// The store: where versioned Parquet files and the manifest live [env: DESI_CITY_DATA_DIR] [default: ./data]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The source catalogue (one TOML file per source, and geo-groups.toml) [env: DESI_CITY_DATASETS_DIR] [default: built in]
    #[arg(long, global = true, value_name = "DIR")]
    datasets_dir: Option<PathBuf>,
    /// The indicator definitions (and regional/scorecard.toml) [env: DESI_CITY_INDICATORS_DIR] [default: built in]
    #[arg(long, global = true, value_name = "DIR")]
    indicators_dir: Option<PathBuf>,
    /// The DESI methodology folders (desi-2022/, desi-2020/) [env: DESI_CITY_METHODOLOGY_DIR] [default: methodology/ of the indicators]
    #[arg(long, global = true, value_name = "DIR")]
    methodology_dir: Option<PathBuf>,
    /// The roadmap files [env: DESI_CITY_ROADMAPS_DIR] [default: roadmaps/ of the indicators]
    #[arg(long, global = true, value_name = "DIR")]
    roadmaps_dir: Option<PathBuf>,
    /// The chart definitions [env: DESI_CITY_CHARTS_DIR] [default: built in]
    #[arg(long, global = true, value_name = "DIR")]
    charts_dir: Option<PathBuf>,
    /// The pages' texts, one <lang>.toml per language [env: DESI_CITY_I18N_DIR] [default: built in]
    #[arg(long, global = true, value_name = "DIR")]
    i18n_dir: Option<PathBuf>,
    /// A configuration file [env: DESI_CITY_CONFIG] [default: ./desi-city.toml when present]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log as JSON lines (for log collectors); the level comes from RUST_LOG
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch sources now and publish a new version of each whose data changed.
    ///
    /// Every source goes through the same path as the scheduled runs: download (retrying 5xx, 429 and
    /// timeouts), parse, keep the rows the query asks for, publish atomically. A source whose upstream
    /// bytes are unchanged writes nothing. A failure leaves the current version in place and says why.
    /// Exit status: 0 when every source was published or unchanged, 1 when any failed.
    #[command(
        after_help = "Examples:\n  desi-city fetch\n  desi-city fetch isoc_ci_in_h isoc_r_broad_h\n  \
DESI_CITY_EUROSTAT_URL=http://mirror.local/eurostat desi-city fetch"
    )]
    Fetch {
        /// Source ids from the catalogue (see `desi-city sources`); all sources when none is given
        #[arg(value_name = "SOURCE")]
        sources: Vec<String>,
        /// Publish even when the upstream's dimensions differ from the current version's, or it lost more of its rows or geos than the dataset's max_loss
        #[arg(long)]
        accept_structure_change: bool,
        /// No progress bars (they are also hidden when stderr is not a terminal)
        #[arg(long)]
        no_progress: bool,
        /// How many sources to fetch at once
        #[arg(long, default_value_t = 4, value_name = "N")]
        jobs: usize,
    },
    /// List the catalogue's sources with their schedule and the outcome of their last run, or
    /// show one source in full (its URLs, its last error, its current version and how it came).
    #[command(after_help = "Examples:\n  desi-city sources\n  desi-city sources isoc_ci_in_h")]
    Sources {
        /// A source id: show it in full instead of the list
        #[arg(value_name = "SOURCE")]
        id: Option<String>,
    },
    /// Ingest a file downloaded by hand, through the same parse → store path as `fetch`.
    ///
    /// For offline and air-gapped use: the file becomes a new version of the dataset, with the file's
    /// path and sha256 as its provenance. When the dataset is a catalogue source, its licence,
    /// attribution and column mapping are used.
    #[command(
        after_help = "Examples:\n  desi-city import ~/Downloads/isoc_ci_in_h.json --dataset isoc_ci_in_h\n  \
desi-city import estat_isoc_e_dii.tsv --dataset isoc_e_dii --format tsv"
    )]
    Import {
        /// The file to ingest
        file: PathBuf,
        /// The dataset id to publish it under (a catalogue source id, or a new id)
        #[arg(long, value_name = "ID")]
        dataset: String,
        /// The file's format; detected from its first bytes when not given
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Licence of the data, when the dataset is not a catalogue source
        #[arg(long, default_value = "CC-BY-4.0")]
        licence: String,
        /// Attribution text, when the dataset is not a catalogue source
        #[arg(long)]
        attribution: Option<String>,
    },
    /// Write a stored version back out, as CSV (canonical columns) or as the exact Parquet file.
    #[command(
        after_help = "Examples:\n  desi-city export isoc_ci_in_h --format csv > isoc_ci_in_h.csv\n  \
desi-city export isoc_ci_in_h --version 20261124T061500Z-1a2b3c4d --format parquet -o v.parquet"
    )]
    Export {
        /// Dataset id
        id: String,
        /// A kept version (see the manifest); the current one when not given
        #[arg(long, value_name = "V")]
        version: Option<String>,
        /// Output format
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Output file; standard output when not given
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Compute the Commission's composite DESI (sub-dimensions, dimensions, total) for every geo.
    ///
    /// The method comes from the methodology files (indicators/methodology/desi-<YEAR>/), the
    /// indicator values from the store's current version of dataset desi_2022_complete (2022) or
    /// desi_2020_raw, filled by the rules of imputation.toml (2020). Import them first (see the
    /// examples). CSV columns: methodology,edition,geo,level,code,score (full precision; an empty
    /// score could not be computed). Notes about missing inputs go to standard error.
    #[command(
        after_help = "Examples:\n  desi-city import ../shared/data/desi/2022/indicators_complete.csv --dataset desi_2022_complete\n  \
desi-city import ../shared/data/desi/2020/indicators_raw.csv --dataset desi_2020_raw\n  \
desi-city desi --methodology 2022 --edition 2022\n  desi-city desi --methodology 2022 --format csv > desi-2022.csv\n  \
desi-city desi --methodology 2020 --format csv > desi-2020.csv"
    )]
    Desi {
        /// The Commission's methodology: 2022 (editions 2017-2022) or 2020 (editions 2015-2020, imputed)
        #[arg(long, value_enum)]
        methodology: MethodologyArg,
        /// Only this DESI edition (a year); every edition when not given
        #[arg(long, value_name = "YEAR")]
        edition: Option<i32>,
        /// Output format
        #[arg(long, value_enum, default_value = "table")]
        format: DesiFormat,
    },
    /// List the indicator definitions of indicators/, or print one indicator's values.
    ///
    /// Without an indicator id: one row per definition (id, dimension, title, source, unit); a
    /// definition that cannot be used (unknown source, bad dimension, …) is reported on stderr and
    /// the others are listed (exit 0; non-zero only when the folder cannot be read). With an id:
    /// its values for the asked geos, read from the store's current version of its source, with
    /// the EU27_2020 value, the rank among the member states (and the capital regions for a
    /// regional indicator), the change against the previous period and the version read.
    #[command(after_help = "Examples:\n  desi-city indicators --lang fr\n  \
desi-city indicators households_internet_access --geo BE,EU27_2020 --since 2019\n  \
desi-city indicators households_internet_access_regional --geo BE10 --format csv")]
    Indicators {
        /// An indicator id: print its values instead of the list
        #[arg(value_name = "INDICATOR")]
        id: Option<String>,
        /// Language of the titles
        #[arg(long, value_enum, default_value = "en")]
        lang: LangArg,
        /// Geos to print values for (with an indicator id); a geo its data lacks is refused.
        /// Default: those of BE, BE10, EU27_2020 the data holds
        #[arg(long, value_delimiter = ',')]
        geo: Vec<String>,
        /// First year (with an indicator id)
        #[arg(long, value_name = "YEAR")]
        since: Option<i32>,
        /// Last year (with an indicator id)
        #[arg(long, value_name = "YEAR")]
        until: Option<i32>,
        /// Output format of the values
        #[arg(long, value_enum, default_value = "table")]
        format: DesiFormat,
    },
    /// List the roadmaps of indicators/roadmaps/, or print the progress towards one roadmap's targets.
    ///
    /// Without a roadmap id: one row per roadmap (id, example or not, title, number of targets); a
    /// roadmap file that cannot be used is reported on stderr. With an id: for each target and geo,
    /// the baseline, latest and target (period, value), the share of the way covered, the required
    /// and actual yearly change, linear and compound projections to the target year, the projected
    /// year of reaching it and the status (thresholds from the file). The formulas are in
    /// indicators/roadmaps/README.md.
    #[command(after_help = "Examples:\n  desi-city roadmap\n  \
desi-city roadmap eu-digital-decade-2030 --lang fr\n  \
desi-city roadmap brussels-capital-example --geo BE10 --format csv")]
    Roadmap {
        /// A roadmap id (file name without .toml): print its progress instead of the list
        #[arg(value_name = "ROADMAP")]
        id: Option<String>,
        /// Geos to measure every target for, instead of each target's own geos
        #[arg(long, value_delimiter = ',')]
        geo: Vec<String>,
        /// Language of the titles
        #[arg(long, value_enum, default_value = "en")]
        lang: LangArg,
        /// Output format of the progress
        #[arg(long, value_enum, default_value = "table")]
        format: DesiFormat,
    },
    /// Print, for each geo, the five DESI dimensions with their indicators and, for a NUTS-2 region,
    /// the desi-city regional scorecard (own method, not the Commission's DESI).
    ///
    /// Each indicator of indicators/ shows its latest value, period, flags, the EU27_2020 value, the
    /// rank (among the member states, or the EU capital regions for a region) and the change against
    /// the previous period. A geo the store does not hold is refused with the list of those it holds.
    #[command(after_help = "Examples:\n  desi-city compute --geo BE10\n  \
desi-city compute --geo BE10,BE,EU27_2020 --format csv")]
    Compute {
        /// Geos to report on (comma-separated)
        #[arg(long, value_delimiter = ',', required = true)]
        geo: Vec<String>,
        /// Language of the titles
        #[arg(long, value_enum, default_value = "en")]
        lang: LangArg,
        /// Output format
        #[arg(long, value_enum, default_value = "table")]
        format: DesiFormat,
    },
    /// Write the shipped definitions (datasets/, indicators/ with methodology/, roadmaps/ and
    /// regional/, charts/) and a desi-city.toml naming them into a folder, for a city that wants
    /// its own set.
    ///
    /// Without this, the definitions built into the binary are used. Edit the copies, then run
    /// desi-city from that folder (its desi-city.toml is read from the working directory) or
    /// with --config DIR/desi-city.toml. Existing files are never overwritten.
    #[command(
        after_help = "Examples:\n  desi-city init my-city\n  cd my-city && desi-city sources\n  \
desi-city --config my-city/desi-city.toml indicators"
    )]
    Init {
        /// The folder to write into (created when missing)
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// Run the HTTP API (under /api/v1) and the scheduler (every source on its cron, UTC).
    ///
    /// Admin routes (POST /api/v1/admin/refresh) need a bearer token: set DESI_CITY_ADMIN_TOKEN
    /// (or api.admin_token in desi-city.toml); without one they are off.
    Serve {
        /// Address to listen on [env: DESI_CITY_ADDR] [default: 127.0.0.1:8080]
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<String>,
        /// Don't start the scheduler (serve the store as it is)
        #[arg(long)]
        no_schedule: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Jsonstat,
    Tsv,
    SdmxCsv,
    DesiCsv,
    DesiWide,
    DesiFacts,
    OdsCsv,
    Geojson,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Jsonstat => Format::JsonStat,
            FormatArg::Tsv => Format::Tsv,
            FormatArg::SdmxCsv => Format::SdmxCsv,
            FormatArg::DesiCsv => Format::DesiCsv,
            FormatArg::DesiWide => Format::DesiWide,
            FormatArg::DesiFacts => Format::DesiFacts,
            FormatArg::OdsCsv => Format::OdsCsv,
            FormatArg::Geojson => Format::GeoJson,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum MethodologyArg {
    #[value(name = "2022")]
    Desi2022,
    #[value(name = "2020")]
    Desi2020,
}

impl From<MethodologyArg> for desi::Edition {
    fn from(m: MethodologyArg) -> desi::Edition {
        match m {
            MethodologyArg::Desi2022 => desi::Edition::Desi2022,
            MethodologyArg::Desi2020 => desi::Edition::Desi2020,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    En,
    Fr,
    Nl,
    De,
}

impl LangArg {
    fn code(self) -> &'static str {
        match self {
            LangArg::En => "en",
            LangArg::Fr => "fr",
            LangArg::Nl => "nl",
            LangArg::De => "de",
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum DesiFormat {
    Table,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Csv,
    Parquet,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_json, &cli.command);
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", report(&error));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each once: a cause whose text its parent already shows is skipped.
/// An engine error about a dataset the store lacks is followed by the command that loads it.
fn report(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let engine = cause.downcast_ref::<IndicatorError>().or_else(|| {
            cause
                .downcast_ref::<std::sync::Arc<IndicatorError>>()
                .map(|e| e.as_ref())
        });
        let text = match engine {
            Some(e) => with_fix(e),
            None => cause.to_string(),
        };
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn init_logging(json: bool, command: &Command) {
    // `fetch` reports each source's outcome itself, once: its failure events are not repeated.
    let default = match command {
        Command::Serve { .. } => "info",
        Command::Fetch { .. } => "warn,desi_city::fetch=error",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    if let Command::Init { dir } = &cli.command {
        return init_cmd(dir);
    }
    let addr = match &cli.command {
        Command::Serve { addr, .. } => addr.clone(),
        _ => None,
    };
    let overrides = Overrides {
        config: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        datasets_dir: cli.datasets_dir.clone(),
        indicators_dir: cli.indicators_dir.clone(),
        methodology_dir: cli.methodology_dir.clone(),
        roadmaps_dir: cli.roadmaps_dir.clone(),
        charts_dir: cli.charts_dir.clone(),
        i18n_dir: cli.i18n_dir.clone(),
        addr,
    };
    let settings = Settings::load(&overrides, |k| std::env::var(k).ok())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    match cli.command {
        Command::Fetch {
            sources,
            accept_structure_change,
            no_progress,
            jobs,
        } => {
            let ctx = context(settings)?;
            let options = RefreshOptions {
                accept_structure_change,
            };
            runtime.block_on(fetch_cmd(ctx, sources, options, !no_progress, jobs.max(1)))
        }
        Command::Sources { id } => {
            let ctx = context(settings)?;
            sources_cmd(&ctx, id.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            file,
            dataset,
            format,
            licence,
            attribution,
        } => import_cmd(&settings, &file, &dataset, format, licence, attribution),
        Command::Export {
            id,
            version,
            format,
            output,
        } => export_cmd(
            &settings,
            &id,
            version.as_deref(),
            format,
            output.as_deref(),
        ),
        Command::Desi {
            methodology,
            edition,
            format,
        } => desi_cmd(&settings, methodology.into(), edition, format),
        Command::Indicators {
            id,
            lang,
            geo,
            since,
            until,
            format,
        } => indicators_cmd(
            &settings,
            id.as_deref(),
            lang,
            values::Request {
                geos: geo,
                since,
                until,
            },
            format,
        ),
        Command::Roadmap {
            id,
            geo,
            lang,
            format,
        } => roadmap_cmd(&settings, id.as_deref(), &geo, lang, format),
        Command::Compute { geo, lang, format } => {
            compute::compute_cmd(&settings, &geo, lang, format)
        }
        Command::Init { .. } => unreachable!("handled before the settings are loaded"),
        Command::Serve { no_schedule, .. } => {
            let folders = api::Folders::of(&settings);
            let ctx = context(settings)?;
            runtime.block_on(serve_cmd(ctx, folders, !no_schedule))
        }
    }
}

fn open_store(settings: &Settings) -> Result<Store> {
    Store::open(&settings.data_dir, settings.keep_versions).with_context(|| {
        format!(
            "Failed to open the data directory {} (set --data-dir or DESI_CITY_DATA_DIR to a writable directory)",
            settings.data_dir.display()
        )
    })
}

fn load_catalog(settings: &Settings) -> Result<Catalog> {
    let folder = settings.datasets();
    Catalog::load(&folder).with_context(|| {
        format!(
            "Failed to load the source catalogue from {} (set --datasets-dir or DESI_CITY_DATASETS_DIR)",
            folder.label().display()
        )
    })
}

/// A table for people: borders only, columns fitted to the terminal (to `COLUMNS`, else 120
/// columns, when the output is not a terminal).
fn new_table<T: Into<comfy_table::Cell>>(header: impl IntoIterator<Item = T>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    if table.width().is_none() {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|w| *w >= 40)
            .unwrap_or(120);
        table.set_width(width);
    }
    table
}

fn load_definitions(folder: &Folder, catalog: &Catalog) -> Result<definitions::Definitions> {
    definitions::load(folder, catalog).with_context(|| {
        format!(
            "Failed to read the indicator definitions in {} (set --indicators-dir or DESI_CITY_INDICATORS_DIR)",
            folder.label().display()
        )
    })
}

fn context(settings: Settings) -> Result<Arc<Context>> {
    let catalog = load_catalog(&settings)?;
    let store = open_store(&settings)?;
    Ok(Context::new(settings, catalog, store)?)
}

/// A source's progress bar, as an observer of its refresh.
struct Bar(ProgressBar);

impl Observer for Bar {
    fn stage(&self, stage: &str) {
        self.0.set_message(stage.to_owned());
    }
    fn bytes(&self, n: u64) {
        self.0.inc(n);
    }
}

async fn fetch_cmd(
    ctx: Arc<Context>,
    ids: Vec<String>,
    options: RefreshOptions,
    progress: bool,
    jobs: usize,
) -> Result<ExitCode> {
    let selected: Vec<String> = fetch::sources(&ctx.catalog, &ids)?
        .into_iter()
        .map(|s| s.id.clone())
        .collect();
    if selected.is_empty() {
        return Err(desi_city::catalog::CatalogError::Empty {
            dir: ctx.catalog.dir.clone(),
        }
        .into());
    }
    let multi = MultiProgress::with_draw_target(if progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let style =
        ProgressStyle::with_template("{spinner} {prefix:<22} {msg:<12} {bytes:>10} {elapsed:>4}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in selected.iter().enumerate() {
        let bar = multi.add(ProgressBar::new_spinner().with_style(style.clone()));
        bar.set_prefix(id.clone());
        bar.set_message("waiting");
        bar.enable_steady_tick(Duration::from_millis(120));
        let ctx = ctx.clone();
        let options = options.clone();
        let id = id.clone();
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire().await;
            let observer = Bar(bar);
            let result = match ctx.catalog.get(&id) {
                Ok(source) => fetch::refresh(&ctx, source, &options, &observer).await,
                Err(_) => unreachable_source(&id),
            };
            observer.0.finish_with_message(match &result {
                Ok(Refreshed::Published(_)) => "published",
                Ok(Refreshed::Unchanged(_)) => "unchanged",
                Err(_) => "failed",
            });
            (i, id, result)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        results.push(joined.context("A fetch task failed")?);
    }
    multi.clear().ok();
    results.sort_by_key(|(i, _, _)| *i);

    let mut table = new_table(["source", "outcome", "rows", "version", "detail"]);
    for (_, id, result) in &results {
        match result {
            Ok(Refreshed::Published(v)) => {
                table.add_row([
                    id.as_str(),
                    "published",
                    &v.rows.to_string(),
                    &v.version,
                    "new data",
                ]);
            }
            Ok(Refreshed::Unchanged(v)) => {
                table.add_row([
                    id.as_str(),
                    "unchanged",
                    &v.rows.to_string(),
                    &v.version,
                    "upstream data unchanged",
                ]);
            }
            Err(e) => {
                // The whole error once, on stderr; the table keeps its kind.
                eprintln!("error: {e}");
                table.add_row([id.as_str(), "failed", "", "", e.category()]);
            }
        }
    }
    println!("{table}");
    let all: Vec<_> = results.into_iter().map(|(_, _, r)| r).collect();
    let count = |published: bool| {
        all.iter()
            .filter(|r| match r {
                Ok(Refreshed::Published(_)) => published,
                Ok(Refreshed::Unchanged(_)) => !published,
                Err(_) => false,
            })
            .count()
    };
    let failed = all.iter().filter(|r| r.is_err()).count();
    println!(
        "{} source(s): {} published, {} unchanged, {failed} failed",
        all.len(),
        count(true),
        count(false),
    );
    if let Some(summary) = fetch::failure_summary(&all) {
        println!("{summary}");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Sources were validated before the tasks started; this is only the type-correct fallback.
fn unreachable_source(id: &str) -> Result<Refreshed, fetch::RefreshError> {
    Err(fetch::RefreshError {
        source_id: id.to_owned(),
        url: None,
        kind: fetch::RefreshErrorKind::Vanished,
    })
}

fn sources_cmd(ctx: &Context, id: Option<&str>) -> Result<()> {
    let statuses = ctx.store.statuses()?;
    let now = Utc::now();
    let time = |t: Option<chrono::DateTime<Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    if let Some(id) = id {
        let source = ctx.catalog.get(id)?;
        return source_detail(ctx, source, statuses.get(id).cloned().unwrap_or_default());
    }
    let mut table = new_table([
        "source",
        "next run (UTC)",
        "last outcome",
        "version",
        "rows",
        "from",
    ]);
    for s in &ctx.catalog.sources {
        let st = statuses.get(&s.id).cloned().unwrap_or_default();
        let current = ctx.store.current(&s.id)?;
        let outcome = match (&st.last_outcome, &current) {
            (Some(outcome), _) => outcome.clone(),
            (None, Some(_)) => "has data".to_owned(),
            (None, None) => "never run".to_owned(),
        };
        table.add_row([
            s.id.clone(),
            time(schedule::next_after(&s.schedule, now)),
            outcome,
            current
                .as_ref()
                .map(|v| v.version.clone())
                .unwrap_or_default(),
            current
                .as_ref()
                .map(|v| v.rows.to_string())
                .unwrap_or_default(),
            current
                .as_ref()
                .map(how_it_came)
                .unwrap_or_default()
                .to_owned(),
        ]);
    }
    println!("{table}");
    println!(
        "{} source(s), definitions {}; store {}. Details and errors: desi-city sources ID",
        ctx.catalog.sources.len(),
        ctx.catalog.origin,
        absolute(ctx.store.root()).display()
    );
    Ok(())
}

/// `fetched` or `imported` (a version whose source is a `file://` URL came by `desi-city import`).
fn how_it_came(v: &desi_city::store::Version) -> &'static str {
    if v.meta.source_url.starts_with("file://") {
        "imported"
    } else {
        "fetched"
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// `desi-city sources ID`: one source, every field, with the full URLs and the last error.
fn source_detail(
    ctx: &Context,
    s: &desi_city::catalog::Source,
    st: desi_city::store::SourceStatus,
) -> Result<()> {
    let time = |t: Option<chrono::DateTime<Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "—".to_owned())
    };
    let current = ctx.store.current(&s.id)?;
    let kept = ctx.store.versions(&s.id).map(|v| v.len()).unwrap_or(0);
    let feeds: Vec<&str> = s.dimensions.iter().map(|d| d.as_str()).collect();
    let mut rows: Vec<(&str, String)> = vec![
        ("source", s.id.clone()),
        ("title", s.title.get("en").to_owned()),
        ("provider", s.provider.as_str().to_owned()),
        ("code", s.code.clone()),
        ("format", s.format.as_str().to_owned()),
        ("feeds", feeds.join(", ")),
        ("schedule (UTC)", s.schedule.clone()),
        (
            "next run",
            time(schedule::next_after(&s.schedule, Utc::now())),
        ),
        ("licence", s.licence.clone()),
        ("credit", s.attribution.clone()),
        ("homepage", s.homepage.clone().unwrap_or_default()),
        (
            "defined in",
            ctx.catalog
                .dir
                .join(format!("{}.toml", s.id))
                .display()
                .to_string(),
        ),
        ("last run", time(st.last_run_at)),
        (
            "last outcome",
            st.last_outcome
                .clone()
                .unwrap_or_else(|| "never run".into()),
        ),
        ("last success", time(st.last_success_at)),
    ];
    if let Some(error) = &st.last_error {
        rows.push((
            "last error",
            format!("{} ({})", error, time(st.last_error_at)),
        ));
    }
    match &current {
        Some(v) => {
            rows.push((
                "version",
                format!("{} ({} rows, {kept} kept)", v.version, v.rows),
            ));
            rows.push((
                "came",
                format!("{} {}", how_it_came(v), time(Some(v.meta.fetched_at))),
            ));
            rows.push(("from", v.meta.source_url.clone()));
            rows.push(("sha256", v.meta.sha256.clone()));
        }
        None => rows.push((
            "version",
            format!(
                "none yet: `desi-city fetch {}`, or offline `desi-city import FILE --dataset {}`",
                s.id, s.id
            ),
        )),
    }
    let mut table = new_table(["field", "value"]);
    for (key, value) in rows {
        table.add_row([key.to_owned(), value]);
    }
    println!("{table}");
    Ok(())
}

fn import_cmd(
    settings: &Settings,
    file: &Path,
    dataset: &str,
    format: Option<FormatArg>,
    licence: String,
    attribution: Option<String>,
) -> Result<ExitCode> {
    let bytes =
        std::fs::read(file).with_context(|| format!("Failed to read {}", file.display()))?;
    let format = match format {
        Some(f) => Format::from(f),
        None => match Format::detect(&bytes) {
            Some(f) => f,
            None => bail!(
                "Could not tell the format of {}; give it with --format (one of: jsonstat, tsv, sdmx-csv, desi-csv, desi-wide, desi-facts, ods-csv, geojson)",
                file.display()
            ),
        },
    };
    // A catalogue source lends its licence, attribution and column mapping; the catalogue is optional here.
    let catalog = Catalog::load(settings.datasets()).ok();
    let source = catalog.as_ref().and_then(|c| c.get(dataset).ok());
    let (options, licence, attribution) = match source {
        Some(s) => (
            fetch::parse_options(s),
            s.licence.clone(),
            s.attribution.clone(),
        ),
        None => {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                ParseOptions::default(),
                licence,
                attribution.unwrap_or_else(|| format!("Imported by hand from {name}")),
            )
        }
    };
    let meta = ImportMeta {
        source_url: format!("file://{}", absolute(file).display()),
        licence,
        attribution,
    };
    let store = open_store(settings)?;
    let schedule = source.map(|s| s.schedule.as_str());
    let imported = fetch::import(&store, dataset, &bytes, format, &options, meta, schedule)
        .with_context(|| {
            format!(
                "Failed to import {} as {} ({})",
                file.display(),
                dataset,
                format.as_str()
            )
        })?;
    let store_dir = absolute(store.root());
    match imported {
        Refreshed::Published(v) => println!(
            "imported {} as {} version {} ({} rows, format {}) into the store {}",
            file.display(),
            dataset,
            v.version,
            v.rows,
            format.as_str(),
            store_dir.display()
        ),
        Refreshed::Unchanged(v) => println!(
            "unchanged: {} holds the rows of {} version {} already ({} rows) in the store {}; nothing written",
            file.display(),
            dataset,
            v.version,
            v.rows,
            store_dir.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The example configuration, with the definition folders named (relative to the file).
const EXAMPLE_CONFIG: &str = include_str!("../desi-city.example.toml");

fn init_cmd(dir: &Path) -> Result<ExitCode> {
    let mut files: Vec<(PathBuf, std::borrow::Cow<'static, [u8]>)> = Vec::new();
    for which in BuiltIn::ALL.into_iter().chain([BuiltIn::I18n]) {
        for (path, bytes) in Folder::built_in(which).all_files() {
            files.push((Path::new(which.name()).join(path), bytes.into()));
        }
    }
    let config = EXAMPLE_CONFIG
        .lines()
        .map(|line| {
            match ["datasets_dir", "indicators_dir", "charts_dir", "i18n_dir"]
                .iter()
                .find(|key| line.starts_with(&format!("# {key} =")))
            {
                Some(_) => &line[2..],
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    files.push((
        PathBuf::from(DEFAULT_CONFIG_FILE),
        config.into_bytes().into(),
    ));
    if let Some((existing, _)) = files.iter().find(|(path, _)| dir.join(path).exists()) {
        bail!(
            "{} exists already; nothing was written. Choose an empty folder, or move the file away",
            dir.join(existing).display()
        );
    }
    for (path, bytes) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("Failed to create {}", parent.display()))?;
        }
        std::fs::write(&target, bytes)
            .with_context(|| format!("Failed to write {}", target.display()))?;
    }
    let shown = absolute(dir);
    println!(
        "wrote {} file(s) of the definitions built into desi-city {} to {}: datasets/, indicators/ (with methodology/, roadmaps/, regional/), charts/ and {DEFAULT_CONFIG_FILE}, which names them.",
        files.len(),
        env!("CARGO_PKG_VERSION"),
        shown.display()
    );
    println!(
        "Edit them, then run desi-city from there (`cd {0} && desi-city sources`) or with `--config {0}/{DEFAULT_CONFIG_FILE}`.",
        shown.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn export_cmd(
    settings: &Settings,
    id: &str,
    version: Option<&str>,
    format: ExportFormat,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let store = open_store(settings)?;
    let v = match version {
        Some(v) => store.version(id, v)?,
        None => store.current(id)?.with_context(|| {
            format!(
                "Dataset {id} has no version in {}; run `desi-city fetch {id}` first",
                settings.data_dir.display()
            )
        })?,
    };
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("Failed to create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let written = match format {
        ExportFormat::Parquet => {
            // The exact bytes of the stored version, so checksums match the manifest's.
            let mut file = store
                .open_file(&v)
                .with_context(|| format!("Failed to open version {} of {id}", v.version))?;
            std::io::copy(&mut file, &mut out).map(|_| ())
        }
        ExportFormat::Csv => {
            // The same bytes as the API's CSV download of this version (RFC 4180, CRLF).
            let batches = store.read(id, Some(&v.version))?;
            let csv = api::encode::csv(&batches).context("Failed to encode CSV")?;
            out.write_all(&csv)
        }
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("Failed to write the output"),
    }
}

fn desi_cmd(
    settings: &Settings,
    methodology: desi::Edition,
    edition: Option<i32>,
    format: DesiFormat,
) -> Result<ExitCode> {
    let folder = settings.methodology();
    let dir = folder.label();
    let method = match desi::load(&folder, methodology) {
        Ok(m) => m,
        // A missing folder: say where it was looked for and how to point elsewhere.
        Err(e @ IndicatorError::Read { .. }) => {
            return Err(anyhow::Error::new(e).context(format!(
                "Failed to load the DESI {methodology} methodology from {} (set --methodology-dir or DESI_CITY_METHODOLOGY_DIR)",
                dir.display()
            )));
        }
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("Failed to load the DESI {methodology} methodology")));
        }
    };
    let store = open_store(settings)?;
    let composite = desi::compute(&store, &method, edition)
        .with_context(|| format!("Failed to compute the DESI {methodology} composite"))?;
    for note in &composite.notes {
        eprintln!("note: {note}");
    }
    let ranked = figures::rank(composite, &method, None);
    let scores: Vec<desi::Score> = ranked.scores.iter().map(|s| s.score.clone()).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        DesiFormat::Csv => write_scores_csv(&mut out, &method, &ranked.scores),
        DesiFormat::Table => {
            let mut table = new_table(["edition", "geo", "level", "code", "title", "score"]);
            for s in &scores {
                table.add_row([
                    s.edition.to_string(),
                    s.geo.clone(),
                    s.level.as_str().to_owned(),
                    s.code.clone(),
                    method
                        .title(s.level, &s.code)
                        .unwrap_or_default()
                        .to_owned(),
                    s.score
                        .map(|v| format!("{v:.4}"))
                        .unwrap_or_else(|| "—".into()),
                ]);
            }
            writeln!(out, "{table}").and_then(|()| {
                writeln!(
                    out,
                    "{} score(s), methodology DESI {methodology} ({}); {}",
                    scores.len(),
                    method.method.methodology_owner,
                    method.method.attribution
                )
            })
        }
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("Failed to write the output"),
    }
}

fn indicators_cmd(
    settings: &Settings,
    id: Option<&str>,
    lang: LangArg,
    request: values::Request,
    format: DesiFormat,
) -> Result<ExitCode> {
    let catalog = load_catalog(settings)?;
    let folder = settings.indicators();
    let dir = folder.label();
    let loaded = load_definitions(&folder, &catalog)?;
    for error in &loaded.errors {
        eprintln!("warning: indicator skipped: {error}");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match id {
        None => {
            let mut table = new_table(["indicator", "dimension", "title", "source", "unit"]);
            for i in &loaded.indicators {
                table.add_row([
                    i.id.clone(),
                    i.dimension.as_str().to_owned(),
                    i.title.get(lang.code()).to_owned(),
                    i.source.clone(),
                    i.unit.clone(),
                ]);
            }
            writeln!(out, "{table}").and_then(|()| {
                writeln!(
                    out,
                    "{} indicator(s), {} skipped; definitions {}",
                    loaded.indicators.len(),
                    loaded.errors.len(),
                    loaded.origin
                )
            })
        }
        Some(id) => {
            let Some(indicator) = loaded.get(id) else {
                let known: Vec<&str> = loaded.indicators.iter().map(|i| i.id.as_str()).collect();
                bail!(
                    "No usable indicator {id:?} in {}. Known: {}.",
                    dir.display(),
                    known.join(", ")
                );
            };
            let groups = GeoGroups::load_from(&settings.datasets())
                .context("Failed to load the geo groups")?;
            let store = open_store(settings)?;
            // Every row, then the geos asked: a geo the data does not hold is refused, as the API does.
            let all = all_rows(&store, &groups, indicator)?;
            let held = |g: &str| all.iter().any(|r| r.geo == g);
            let mut request = request;
            if request.geos.is_empty() {
                request.geos = ["BE", "BE10", "EU27_2020"]
                    .into_iter()
                    .filter(|g| held(g))
                    .map(str::to_owned)
                    .collect();
            }
            if let Some(geo) = request.geos.iter().find(|g| !held(g)) {
                return Err(unknown_geo(geo, &indicator.source, &all).into());
            }
            let rows: Vec<values::IndicatorValue> = request
                .geos
                .iter()
                .flat_map(|geo| all.iter().filter(move |r| &r.geo == geo))
                .filter(|r| {
                    request.since.is_none_or(|s| r.year.is_some_and(|y| y >= s))
                        && request.until.is_none_or(|u| r.year.is_some_and(|y| y <= u))
                })
                .cloned()
                .collect();
            // A Eurostat source is cited by its online data code, another by its attribution.
            let credit = match catalog.get(&indicator.source) {
                Ok(s) if s.provider != Provider::Eurostat => s.attribution.clone(),
                _ => format!(
                    "Source: Eurostat (online data code: {})",
                    indicator.eurostat_code
                ),
            };
            write_values(&mut out, indicator, lang, &rows, format, &credit)
        }
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("Failed to write the output"),
    }
}

fn roadmap_cmd(
    settings: &Settings,
    id: Option<&str>,
    geos: &[String],
    lang: LangArg,
    format: DesiFormat,
) -> Result<ExitCode> {
    let catalog = load_catalog(settings)?;
    let loaded = load_definitions(&settings.indicators(), &catalog)?;
    let folder = settings.roadmaps();
    let dir = folder.label();
    let known = roadmap::known_indicators(&loaded);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match id {
        None => {
            let (roadmaps, errors) = roadmap::load_all(&folder, &known)
                .with_context(|| {
                    format!(
                        "Failed to list the roadmaps in {} (set --roadmaps-dir or DESI_CITY_ROADMAPS_DIR)",
                        dir.display()
                    )
                })?;
            for error in &errors {
                eprintln!("warning: roadmap skipped: {error}");
            }
            let mut table = new_table(["roadmap", "example", "title", "targets", "source"]);
            for r in &roadmaps {
                table.add_row([
                    r.id.clone(),
                    if r.example { "example" } else { "" }.to_owned(),
                    r.title.get(lang.code()).to_owned(),
                    r.targets.len().to_string(),
                    r.source.clone(),
                ]);
            }
            writeln!(out, "{table}").and_then(|()| {
                writeln!(
                    out,
                    "{} roadmap(s), {} skipped; definitions {}",
                    roadmaps.len(),
                    errors.len(),
                    folder.origin()
                )
            })
        }
        Some(id) => {
            let mut map = roadmap::load_id(&folder, id, &known)
                .with_context(|| {
                    format!(
                        "Failed to load roadmap {id} from {} (set --roadmaps-dir or DESI_CITY_ROADMAPS_DIR)",
                        dir.display()
                    )
                })?;
            let groups = GeoGroups::load_from(&settings.datasets())
                .context("Failed to load the geo groups")?;
            let store = open_store(settings)?;
            // A geo none of the measured indicators' data holds is refused, as the API does.
            for geo in geos {
                let mut last = None;
                let mut found = false;
                for indicator in map
                    .targets
                    .iter()
                    .filter_map(|t| t.indicator.as_deref())
                    .filter_map(|i| loaded.get(i))
                {
                    // An indicator without data yet checks nothing (its rows say why).
                    let rows = all_rows(&store, &groups, indicator).unwrap_or_default();
                    found |= rows.iter().any(|r| &r.geo == geo);
                    if found {
                        break;
                    }
                    if !rows.is_empty() {
                        last = Some((indicator.source.clone(), rows));
                    }
                }
                if let (false, Some((dataset, rows))) = (found, last) {
                    return Err(unknown_geo(geo, &dataset, &rows).into());
                }
            }
            for error in roadmap::check_units(&mut map, &loaded) {
                eprintln!("warning: target not measured: {error}");
            }
            for note in roadmap::resolve(&mut map, &store) {
                eprintln!("note: {note}");
            }
            let asked = (!geos.is_empty()).then_some(geos);
            let rows = roadmap::compute(&store, &groups, &loaded, &map, asked);
            write_progress(&mut out, &map, lang, &rows, format)
        }
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("Failed to write the output"),
    }
}

/// Every row of `indicator`'s table (all the geos of its source's current version).
fn all_rows(
    store: &Store,
    groups: &GeoGroups,
    indicator: &definitions::Indicator,
) -> Result<Vec<values::IndicatorValue>> {
    let request = values::Request {
        geos: values::geos(store, &indicator.source)
            .with_context(|| format!("Failed to read the geos of {}", indicator.source))?,
        since: None,
        until: None,
    };
    values::compute(store, groups, indicator, &request)
        .with_context(|| format!("Failed to compute indicator {}", indicator.id))
}

/// The API's refusal of a geo the data does not hold.
fn unknown_geo(geo: &str, dataset: &str, rows: &[values::IndicatorValue]) -> IndicatorError {
    let known: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.geo.as_str()).collect();
    IndicatorError::GeoNotInData {
        geo: geo.to_owned(),
        dataset: dataset.to_owned(),
        version: rows
            .first()
            .map(|r| r.version.clone())
            .unwrap_or_else(|| "none".into()),
        known: known.into_iter().map(str::to_owned).collect(),
    }
}

/// The columns of `roadmap --format csv`.
const PROGRESS_CSV_COLUMNS: [&str; 20] = [
    "roadmap",
    "target",
    "indicator",
    "geo",
    "baseline_period",
    "baseline_value",
    "latest_period",
    "latest_value",
    "target_period",
    "target_value",
    "share_covered",
    "required_yearly_change",
    "actual_yearly_change",
    "pace_ratio",
    "linear_projection",
    "compound_projection",
    "projected_year",
    "status",
    "note",
    "reason",
];

/// Roadmap progress as a table for people or as CSV ([`PROGRESS_CSV_COLUMNS`], RFC 4180,
/// numbers in full precision).
fn write_progress(
    out: &mut impl Write,
    map: &roadmap::Roadmap,
    lang: LangArg,
    rows: &[roadmap::Progress],
    format: DesiFormat,
) -> std::io::Result<()> {
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let point = |p: &Option<roadmap::Point>| {
        p.as_ref()
            .map(|p| (p.period.clone(), p.value.to_string()))
            .unwrap_or_default()
    };
    match format {
        DesiFormat::Csv => {
            let mut w = api::encode::csv_writer(out);
            w.write_record(PROGRESS_CSV_COLUMNS)?;
            for r in rows {
                let m = &r.measures;
                let (bp, bv) = point(&m.baseline);
                let (lp, lv) = point(&m.latest);
                w.write_record([
                    r.roadmap.as_str(),
                    &r.target,
                    r.indicator.as_deref().unwrap_or_default(),
                    &r.geo,
                    &bp,
                    &bv,
                    &lp,
                    &lv,
                    &r.target_year.to_string(),
                    &r.target_value.to_string(),
                    &num(m.share_covered),
                    &num(m.required_yearly_change),
                    &num(m.actual_yearly_change),
                    &num(m.pace_ratio),
                    &num(m.linear_projection),
                    &num(m.compound_projection),
                    &m.projected_year.map(|y| y.to_string()).unwrap_or_default(),
                    m.status.as_str(),
                    &with_load(&r.note().unwrap_or_default(), r.missing.as_ref()),
                    r.reason
                        .as_ref()
                        .map(roadmap::Reason::code)
                        .unwrap_or_default(),
                ])?;
            }
            w.flush()
        }
        DesiFormat::Table => {
            let fixed = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
            let at = |p: &Option<roadmap::Point>| {
                p.as_ref()
                    .map(|p| format!("{:.2} ({})", p.value, p.period))
                    .unwrap_or_default()
            };
            let mut table = new_table([
                "target",
                "geo",
                "baseline",
                "latest",
                "target",
                "covered",
                "required/yr",
                "actual/yr",
                "linear",
                "compound",
                "reached in",
                "status",
            ]);
            for r in rows {
                let m = &r.measures;
                let title = map
                    .targets
                    .iter()
                    .find(|t| t.id == r.target)
                    .map(|t| t.title.get(lang.code()))
                    .unwrap_or(&r.target);
                let status = match r.note() {
                    Some(note) => format!(
                        "{}: {}",
                        m.status.as_str(),
                        with_load(&note, r.missing.as_ref())
                    ),
                    None => m.status.as_str().to_owned(),
                };
                table.add_row([
                    title.to_owned(),
                    r.geo.clone(),
                    at(&m.baseline),
                    at(&m.latest),
                    format!("{} ({})", r.target_value, r.target_year),
                    m.share_covered
                        .map(|s| format!("{:.0}%", s * 100.0))
                        .unwrap_or_default(),
                    fixed(m.required_yearly_change),
                    fixed(m.actual_yearly_change),
                    fixed(m.linear_projection),
                    fixed(m.compound_projection),
                    m.projected_year.map(|y| y.to_string()).unwrap_or_default(),
                    status,
                ]);
            }
            writeln!(out, "{table}")?;
            let example = if map.example {
                " EXAMPLE: illustrative targets, not an official commitment."
            } else {
                ""
            };
            writeln!(
                out,
                "{} ({}); source: {}{}.{example} Status thresholds: on track at ≥ {} × the required yearly change, at risk at ≥ {} ×.",
                map.title.get(lang.code()),
                map.id,
                map.source,
                map.source_url
                    .as_deref()
                    .map(|u| format!(" <{u}>"))
                    .unwrap_or_default(),
                map.thresholds.on_track_ratio,
                map.thresholds.at_risk_ratio
            )
        }
    }
}

/// The values as a table for people or as CSV (`indicator,geo,period,value,flags,eu27_value,
/// rank_eu27,rank_capitals,change,previous_period,version`, numbers in full precision).
fn write_values(
    out: &mut impl Write,
    indicator: &definitions::Indicator,
    lang: LangArg,
    rows: &[values::IndicatorValue],
    format: DesiFormat,
    credit: &str,
) -> std::io::Result<()> {
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let rank = |r: Option<u32>, n: u32| r.map(|r| format!("{r}/{n}")).unwrap_or_default();
    match format {
        DesiFormat::Csv => {
            writeln!(
                out,
                "indicator,geo,period,value,flags,eu27_value,rank_eu27,rank_capitals,change,previous_period,version"
            )?;
            for r in rows {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{},{}",
                    r.indicator,
                    r.geo,
                    r.period,
                    num(r.value),
                    r.flags.as_deref().unwrap_or_default(),
                    num(r.eu_value),
                    r.rank_eu27.map(|v| v.to_string()).unwrap_or_default(),
                    r.rank_capitals.map(|v| v.to_string()).unwrap_or_default(),
                    num(r.change),
                    r.previous_period.as_deref().unwrap_or_default(),
                    r.version
                )?;
            }
            Ok(())
        }
        DesiFormat::Table => {
            let mut table = new_table([
                "geo",
                "period",
                "value",
                "flags",
                "EU27",
                "rank EU27",
                "rank capitals",
                "change",
            ]);
            for r in rows {
                table.add_row([
                    r.geo.clone(),
                    r.period.clone(),
                    num(r.value),
                    r.flags.clone().unwrap_or_default(),
                    num(r.eu_value),
                    rank(r.rank_eu27, r.ranked_eu27),
                    rank(r.rank_capitals, r.ranked_capitals),
                    r.change.map(|c| format!("{c:+.2}")).unwrap_or_default(),
                ]);
            }
            writeln!(out, "{table}")?;
            let version = rows.first().map(|r| r.version.as_str()).unwrap_or("-");
            writeln!(
                out,
                "{} ({}), {}; source {} version {version}; {credit}",
                indicator.title.get(lang.code()),
                indicator.id,
                indicator.unit,
                indicator.source,
            )
        }
    }
}

/// The composite as CSV ([`figures::DESI_CSV_COLUMNS`], as the API writes it).
fn write_scores_csv(
    out: &mut impl Write,
    method: &desi::Methodology,
    scores: &[figures::RankedScore],
) -> std::io::Result<()> {
    let mut w = api::encode::csv_writer(out);
    figures::write_csv_header(&mut w)?;
    for s in scores {
        figures::write_csv_row(&mut w, method, s)?;
    }
    w.flush()
}

async fn serve_cmd(ctx: Arc<Context>, folders: api::Folders, scheduled: bool) -> Result<ExitCode> {
    let state = api::App::new(ctx.clone(), &folders)?;
    let app = api::Application::build(state, &ctx.settings.addr)
        .await
        .with_context(|| format!("Failed to listen on {}", ctx.settings.addr))?;
    let addr = app.local_addr()?;
    let schedule = if scheduled {
        Some(schedule::Schedule::start(ctx.clone()).await?)
    } else {
        None
    };
    tracing::info!(%addr, "Listening.");
    eprintln!("desi-city listening on http://{addr}");
    app.run(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("The server stopped with an error")?;
    if let Some(s) = schedule {
        s.shutdown().await;
    }
    Ok(ExitCode::SUCCESS)
}
