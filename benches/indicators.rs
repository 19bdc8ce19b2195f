//! Full-recompute benchmark: every indicator of `indicators/` for every geo its source holds, the
//! Commission's composite DESI for both methodologies and every edition, and the desi-city
//! regional scorecard (own method, not the Commission's DESI) for every capital region the store
//! holds, over a store built in a temp dir from the real files of `../shared/data` (imported
//! through `desi_city::fetch::ingest`, as `desi-city import` does). Definitions and methods are
//! loaded once, outside the timed loop. Target: ≤ 100 ms warm. Run with
//! `cargo bench --bench indicators`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};

use desi_city::catalog::{Catalog, GEO_GROUPS_FILE, GeoGroups};
use desi_city::fetch::parse::{Format, ParseOptions};
use desi_city::fetch::{self, ImportMeta};
use desi_city::indicators::definitions::{self, Definitions};
use desi_city::indicators::{desi, regional, values};
use desi_city::store::Store;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn shared(rel: &str) -> PathBuf {
    repo("../shared/data").join(rel)
}

/// The shared files and the store dataset each becomes.
const INPUTS: [(&str, Format, &str); 6] = [
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
    groups: GeoGroups,
    definitions: Definitions,
    methodologies: Vec<desi::Methodology>,
    scorecard: regional::Method,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 1).expect("store");
    for (dataset, format, rel) in INPUTS {
        let bytes = std::fs::read(shared(rel)).expect("a shared file");
        let meta = ImportMeta {
            source_url: format!("file:{rel}"),
            licence: "CC-BY-4.0".into(),
            attribution: "bench".into(),
        };
        fetch::ingest(
            &store,
            dataset,
            &bytes,
            format,
            &ParseOptions::default(),
            meta,
        )
        .expect("the shared file imports");
    }
    let catalog = Catalog::load(&repo("datasets")).expect("catalogue");
    let groups = GeoGroups::load(&repo("datasets").join(GEO_GROUPS_FILE)).expect("groups");
    let mut definitions = definitions::load(&repo("indicators"), &catalog).expect("definitions");
    // Keep the indicators whose source the store holds and that compute from it.
    definitions.indicators.retain(|i| {
        let geos = values::geos(&store, &i.source).expect("geos");
        !geos.is_empty()
            && values::compute(
                &store,
                &groups,
                i,
                &values::Request {
                    geos,
                    ..Default::default()
                },
            )
            .is_ok()
    });
    let methodology_dir = repo("indicators/methodology");
    let methodologies = [desi::Edition::Desi2022, desi::Edition::Desi2020]
        .into_iter()
        .map(|e| desi::load(&methodology_dir, e).expect("methodology"))
        .collect();
    let scorecard = regional::Method::load(&repo("indicators")).expect("scorecard");
    Setup {
        _dir: dir,
        store,
        groups,
        definitions,
        methodologies,
        scorecard,
    }
}

/// The parts of a full recompute, timed once each before the benchmark.
type Part = fn(&Setup) -> usize;
const PARTS: [(&str, Part); 4] = [
    ("indicator values", indicator_values),
    ("DESI 2022, every edition", |s| composite(s, 0)),
    ("DESI 2020, every edition", |s| composite(s, 1)),
    ("regional scorecard", scorecards),
];

/// One full recompute; returns how many values, scores and scorecards came out.
fn recompute(s: &Setup) -> usize {
    indicator_values(s) + composite(s, 0) + composite(s, 1) + scorecards(s)
}

fn indicator_values(s: &Setup) -> usize {
    let mut n = 0;
    for indicator in &s.definitions.indicators {
        let geos = values::geos(&s.store, &indicator.source).expect("geos");
        let request = values::Request {
            geos,
            ..Default::default()
        };
        n += values::compute(&s.store, &s.groups, indicator, &request)
            .expect("values")
            .len();
    }
    n
}

fn composite(s: &Setup, which: usize) -> usize {
    desi::compute(&s.store, &s.methodologies[which], None)
        .expect("composite")
        .scores
        .len()
}

fn scorecards(s: &Setup) -> usize {
    let capitals = s
        .groups
        .get("capital-regions")
        .map(|g| g.codes.clone())
        .unwrap_or_default();
    let held = values::geos(&s.store, "isoc_r_iacc_h").expect("geos");
    let regions: Vec<String> = capitals.into_iter().filter(|c| held.contains(c)).collect();
    regional::compute_all(&s.store, &s.groups, &s.definitions, &s.scorecard, &regions)
        .expect("scorecards")
        .iter()
        .filter(|(_, card)| card.is_ok())
        .count()
}

fn indicators(c: &mut Criterion) {
    let s = setup();
    eprintln!(
        "full recompute: {} indicators, 2 methodologies, {} outputs",
        s.definitions.indicators.len(),
        recompute(&s)
    );
    for (name, part) in PARTS {
        let t = std::time::Instant::now();
        let n = part(&s);
        eprintln!("  {name}: {n} outputs in {:?}", t.elapsed());
    }
    c.bench_function(
        "full recompute (indicators, DESI 2022+2020, scorecard)",
        |b| b.iter(|| recompute(&s)),
    );
    // The same work with its parts on two threads (the machine's two cores; each DuckDB query
    // runs on one thread): indicator values and DESI 2022 on one, DESI 2020 and the scorecard on
    // the other.
    c.bench_function("full recompute, parts on two threads", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                let other = scope.spawn(|| composite(&s, 1) + scorecards(&s));
                let here = indicator_values(&s) + composite(&s, 0);
                here + other.join().expect("the other half")
            })
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = indicators
}
criterion_main!(benches);
