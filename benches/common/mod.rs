//! What the benchmarks share: a temp store built from every real input of `../shared/data` an
//! indicator or a composite reads (imported through `desi_city::fetch::ingest`, as `desi-city
//! import` does), and the shipped definitions loaded from the repository's folders. Each benchmark
//! uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use desi_city::catalog::{Catalog, Folder};
use desi_city::fetch::parse::{Format, ParseOptions};
use desi_city::fetch::{self, ImportMeta};
use desi_city::indicators::model::{Folders, Model};
use desi_city::store::Store;

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn shared(rel: &str) -> PathBuf {
    repo("../shared/data").join(rel)
}

/// The shared files and the store dataset each becomes: every real file an indicator or a
/// composite of the shipped definitions reads.
pub const INPUTS: [(&str, Format, &str); 11] = [
    (
        "isoc_ci_in_h",
        Format::JsonStat,
        "eurostat/jsonstat/isoc_ci_in_h.json",
    ),
    (
        "isoc_r_iacc_h",
        Format::SdmxCsv,
        "eurostat/sdmx-csv/isoc_r_iacc_h_excerpt.csv",
    ),
    (
        "isoc_r_broad_h",
        Format::SdmxCsv,
        "eurostat/sdmx-csv/isoc_r_broad_h_excerpt.csv",
    ),
    ("isoc_e_dii", Format::Tsv, "eurostat/tsv/isoc_e_dii.tsv"),
    (
        "isoc_cicce_use",
        Format::Tsv,
        "eurostat/tsv/isoc_cicce_use.tsv",
    ),
    ("desi", Format::DesiFacts, "desi/platform/facts_desi.csv"),
    (
        "desi_dd_trajectories",
        Format::DesiFacts,
        "desi/platform/facts_dd_trajectories_eu.csv",
    ),
    (
        "desi_2022_complete",
        Format::DesiWide,
        "desi/2022/indicators_complete.csv",
    ),
    (
        "desi_2020_raw",
        Format::DesiCsv,
        "desi/2020/indicators_raw.csv",
    ),
    // The same two files read per data year for indicator files (`[by_data_year]` of their
    // dataset files, which `import_with` applies).
    (
        "desi_2022_raw",
        Format::DesiWide,
        "desi/2022/indicators_raw.csv",
    ),
    (
        "desi_2020_raw_by_year",
        Format::DesiCsv,
        "desi/2020/indicators_raw.csv",
    ),
];

pub struct Setup {
    pub _dir: tempfile::TempDir,
    pub store: Store,
    pub catalog: Catalog,
    pub model: Arc<Model>,
}

pub fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 1).expect("store");
    let catalog = Catalog::load(repo("datasets")).expect("catalogue");
    for (dataset, format, rel) in INPUTS {
        import_with(&store, &catalog, dataset, format, rel);
    }
    let folders = Folders {
        datasets: Folder::disk(repo("datasets")),
        indicators: Folder::disk(repo("indicators")),
        methodology: Folder::disk(repo("indicators/methodology")),
        roadmaps: Folder::disk(repo("indicators/roadmaps")),
    };
    let model = Model::load(&catalog, &folders).expect("definitions");
    Setup {
        _dir: dir,
        store,
        catalog,
        model: Arc::new(model),
    }
}

pub fn import(store: &Store, dataset: &str, format: Format, rel: &str) {
    import_options(store, dataset, format, rel, &ParseOptions::default());
}

/// [`import`] with the parse options of the dataset's catalogue file, when it has one (as
/// `desi-city import` does).
pub fn import_with(store: &Store, catalog: &Catalog, dataset: &str, format: Format, rel: &str) {
    let options = catalog
        .get(dataset)
        .map(fetch::parse_options)
        .unwrap_or_default();
    import_options(store, dataset, format, rel, &options);
}

fn import_options(store: &Store, dataset: &str, format: Format, rel: &str, options: &ParseOptions) {
    let bytes = std::fs::read(shared(rel)).expect("a shared file");
    let meta = ImportMeta {
        source_url: format!("file:{rel}"),
        licence: "CC-BY-4.0".into(),
        attribution: "bench".into(),
    };
    fetch::ingest(store, dataset, &bytes, format, options, meta).expect("the shared file imports");
}
