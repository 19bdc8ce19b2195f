//! Chart rendering benchmark: per chart type, from the engine's tables (a `Figures` built over a
//! temp store of the real files of `../shared/data`, imported through `desi_city::fetch::ingest`
//! as `desi-city import` does) to the bytes served, at 800 × 500: SVG (select the values, draw
//! with plotters, add title, description and font) and PNG (the same, then rasterised by resvg).
//! Targets: SVG ≤ 2 ms, PNG ≤ 5 ms. Run with `cargo bench --bench charts`.
//!
//! With `CHARTS_DUMP=DIR`, every shipped chart is first written to DIR in en, fr and nl, as SVG
//! and PNG (to look at them).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};

use desi_city::catalog::{Catalog, Folder};
use desi_city::charts::{self, Ask, Charts, Kind, Theme, prepare};
use desi_city::fetch::parse::{Format, ParseOptions};
use desi_city::fetch::{self, ImportMeta};
use desi_city::indicators::figures::Figures;
use desi_city::indicators::model::{Folders, Model};
use desi_city::store::Store;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The shared files and the store dataset each becomes.
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

fn main_setup() -> (tempfile::TempDir, Store, Catalog, Figures, Charts) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 1).expect("store");
    for (dataset, format, rel) in INPUTS {
        let bytes = std::fs::read(repo("../shared/data").join(rel)).expect("a shared file");
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
    let catalog = Catalog::load(repo("datasets")).expect("catalogue");
    let folders = Folders {
        datasets: Folder::disk(repo("datasets")),
        indicators: Folder::disk(repo("indicators")),
        methodology: Folder::disk(repo("indicators/methodology")),
        roadmaps: Folder::disk(repo("indicators/roadmaps")),
    };
    let model = Arc::new(Model::load(&catalog, &folders).expect("definitions"));
    let figures = Figures::build(model.clone(), &store, None);
    let charts = Charts::load(&Folder::disk(repo("charts")), &model);
    (dir, store, catalog, figures, charts)
}

fn bench(c: &mut Criterion) {
    let (_dir, store, catalog, figures, charts) = main_setup();
    let facts = charts.facts(&store).expect("facts");
    let inputs = prepare::Inputs {
        figures: &figures,
        catalog: &catalog,
        store: &store,
        facts: facts.as_deref(),
    };
    if let Ok(dir) = std::env::var("CHARTS_DUMP") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("dump dir");
        for problem in &charts.problems {
            eprintln!("problem: {problem}");
        }
        for chart in &charts.charts {
            for lang in ["en", "fr", "nl"] {
                match prepare::prepare(chart, &Ask::default(), lang, &inputs) {
                    Ok(p) => {
                        let svg = charts::svg(&p, 800, 500, Theme::Light).expect("svg");
                        std::fs::write(dir.join(format!("{}.{lang}.svg", chart.id)), &svg).unwrap();
                        if lang == "en" {
                            let png = charts::png(&svg).expect("png");
                            std::fs::write(dir.join(format!("{}.{lang}.png", chart.id)), png)
                                .unwrap();
                            let dark = charts::svg(&p, 800, 500, Theme::Dark).expect("svg");
                            std::fs::write(
                                dir.join(format!("{}.dark.png", chart.id)),
                                charts::png(&dark).unwrap(),
                            )
                            .unwrap();
                            println!("{}: {}", chart.id, charts::words::alt(&p));
                        }
                    }
                    Err(e) => eprintln!("{} {lang}: {e}", chart.id),
                }
            }
        }
    }
    let mut group = c.benchmark_group("charts");
    for kind in Kind::ALL {
        let Some(chart) = charts
            .charts
            .iter()
            .find(|ch| ch.kind == kind && !ch.id.starts_with("series-"))
        else {
            continue;
        };
        group.bench_function(format!("{}/svg", kind.as_str()), |b| {
            b.iter(|| {
                let p = prepare::prepare(chart, &Ask::default(), "en", &inputs).expect("prepared");
                charts::svg(&p, 800, 500, Theme::Light).expect("svg")
            })
        });
        group.bench_function(format!("{}/png", kind.as_str()), |b| {
            b.iter(|| {
                let p = prepare::prepare(chart, &Ask::default(), "en", &inputs).expect("prepared");
                charts::png_of(&p, 800, 500, Theme::Light).expect("png")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
