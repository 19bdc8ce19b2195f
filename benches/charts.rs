//! Chart rendering benchmark: per chart type, from the engine's tables (a `Figures` built over a
//! temp store of the real files of `../shared/data`, imported through `desi_city::fetch::ingest`
//! as `desi-city import` does) to the bytes served, at 800 × 500: SVG (select the values, draw
//! with plotters, add title, description and font) and PNG (the same, then rasterised by resvg).
//! Targets: SVG ≤ 2 ms, PNG ≤ 5 ms. Run with `cargo bench --bench charts`.
//!
//! With `CHARTS_DUMP=DIR`, every shipped chart but the `series-*` ones (all with
//! `CHARTS_DUMP_ALL=1`) is first written to DIR: SVG in en, fr and nl, PNG light and dark in en and
//! fr (to look at them).

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

mod common;

use desi_city::catalog::Folder;
use desi_city::charts::{self, Ask, Charts, Kind, Theme, prepare};
use desi_city::indicators::figures::Figures;

fn main_setup() -> (common::Setup, Figures, Charts) {
    let s = common::setup();
    // The region shapes of the map (read and projected once per version, as the service does).
    common::import(
        &s.store,
        desi_city::geo::DATASET,
        desi_city::fetch::parse::Format::GeoJson,
        "geo/NUTS_RG_60M_2021_4326_LEVL_2.geojson",
    );
    let figures = Figures::build(s.model.clone(), &s.store, None);
    let charts = Charts::load(&Folder::disk(common::repo("charts")), &s.model);
    (s, figures, charts)
}

fn bench(c: &mut Criterion) {
    let (s, figures, charts) = main_setup();
    // The store pinned to its manifest, as the service's snapshot reads it (no manifest file read
    // per lookup).
    let pinned = s
        .store
        .pinned(std::sync::Arc::new(s.store.manifest().expect("manifest")));
    let (store, catalog) = (&pinned, &s.catalog);
    let facts = charts.facts(store).expect("facts");
    let shapes = charts.shapes(store).expect("shapes");
    let inputs = prepare::Inputs {
        figures: &figures,
        catalog,
        store,
        facts: facts.as_deref(),
        shapes,
    };
    if let Ok(dir) = std::env::var("CHARTS_DUMP") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("dump dir");
        for problem in &charts.problems {
            eprintln!("problem: {problem}");
        }
        for chart in &charts.charts {
            if chart.id.starts_with("series-") && std::env::var("CHARTS_DUMP_ALL").is_err() {
                continue;
            }
            for lang in ["en", "fr", "nl"] {
                match prepare::prepare(chart, &Ask::default(), lang, &inputs) {
                    Ok(p) => {
                        let svg = charts::svg(&p, 800, 500, Theme::Light).expect("svg");
                        std::fs::write(dir.join(format!("{}.{lang}.svg", chart.id)), &svg).unwrap();
                        if lang != "nl" {
                            let png = charts::png_of(&p, 800, 500, Theme::Light).expect("png");
                            std::fs::write(dir.join(format!("{}.{lang}.png", chart.id)), png)
                                .unwrap();
                            let dark = charts::png_of(&p, 800, 500, Theme::Dark).expect("png");
                            std::fs::write(dir.join(format!("{}.{lang}.dark.png", chart.id)), dark)
                                .unwrap();
                            println!("{} {lang}: {}", chart.id, charts::words::alt(&p));
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
