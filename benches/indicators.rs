//! Full-recompute benchmark: the engine's `Figures::build` — every indicator's whole table (every
//! geo and period its source holds, ranks in every group), the Commission's composite DESI for
//! both methodologies and every edition, the desi-city regional scorecard (own method, not the
//! Commission's DESI) of the capital regions and every roadmap's progress — over a store built in
//! a temp dir from the real files of `../shared/data` (imported through `desi_city::fetch::ingest`,
//! as `desi-city import` does); then the recompute after a publish of one dataset. Definitions are
//! loaded once, outside the timed loop. Target: ≤ 100 ms warm. Run with
//! `cargo bench --bench indicators`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};

use desi_city::catalog::{Catalog, Folder};
use desi_city::fetch::parse::{Format, ParseOptions};
use desi_city::fetch::{self, ImportMeta};
use desi_city::indicators::figures::Figures;
use desi_city::indicators::model::{Folders, Model};
use desi_city::store::Store;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn shared(rel: &str) -> PathBuf {
    repo("../shared/data").join(rel)
}

/// The shared files and the store dataset each becomes: every real file an indicator or a
/// composite of the shipped definitions reads.
const INPUTS: [(&str, Format, &str); 9] = [
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
];

struct Setup {
    _dir: tempfile::TempDir,
    store: Store,
    model: Arc<Model>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 1).expect("store");
    for (dataset, format, rel) in INPUTS {
        import(&store, dataset, format, rel);
    }
    let catalog = Catalog::load(repo("datasets")).expect("catalogue");
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
        model: Arc::new(model),
    }
}

fn import(store: &Store, dataset: &str, format: Format, rel: &str) {
    let bytes = std::fs::read(shared(rel)).expect("a shared file");
    let meta = ImportMeta {
        source_url: format!("file:{rel}"),
        licence: "CC-BY-4.0".into(),
        attribution: "bench".into(),
    };
    fetch::ingest(
        store,
        dataset,
        &bytes,
        format,
        &ParseOptions::default(),
        meta,
    )
    .expect("the shared file imports");
}

fn indicators(c: &mut Criterion) {
    let s = setup();
    let first = Figures::build(s.model.clone(), &s.store, None);
    let tables = s
        .model
        .definitions
        .indicators
        .iter()
        .filter(|i| matches!(first.table(&i.id), Some(Ok(_))))
        .count();
    eprintln!(
        "full recompute: {tables} of {} indicators with data, 2 methodologies, in {:?} (first run)",
        s.model.definitions.indicators.len(),
        first.stats.elapsed
    );
    c.bench_function(
        "full recompute (every indicator table, DESI 2022+2020, scorecard, roadmaps)",
        |b| {
            b.iter(|| {
                Figures::build(s.model.clone(), &s.store, None)
                    .stats
                    .tables_computed
            })
        },
    );
    // A publish of one dataset (a new version of isoc_ci_in_h): only the indicators over it are
    // recomputed.
    import(
        &s.store,
        "isoc_ci_in_h",
        Format::JsonStat,
        "eurostat/jsonstat/isoc_ci_in_h.json",
    );
    let after = Figures::build(s.model.clone(), &s.store, Some(&first));
    eprintln!(
        "after a publish of isoc_ci_in_h: {} tables recomputed, {} kept, {} composites recomputed, in {:?}",
        after.stats.tables_computed,
        after.stats.tables_kept,
        after.stats.composites_computed,
        after.stats.elapsed
    );
    c.bench_function("recompute after a publish of one dataset", |b| {
        b.iter(|| {
            Figures::build(s.model.clone(), &s.store, Some(&first))
                .stats
                .tables_computed
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = indicators
}
criterion_main!(benches);
