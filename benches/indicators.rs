//! Full-recompute benchmark: the engine's `Figures::build` — every indicator's whole table (every
//! geo and period its source holds, ranks in every group), the Commission's composite DESI for
//! both methodologies and every edition, the desi-city regional scorecard (own method, not the
//! Commission's DESI) of the capital regions and every roadmap's progress — over a store built in
//! a temp dir from the real files of `../shared/data` (imported through `desi_city::fetch::ingest`,
//! as `desi-city import` does); then the recompute after a publish of one dataset. Definitions are
//! loaded once, outside the timed loop. Target: ≤ 100 ms warm. Run with
//! `cargo bench --bench indicators`.

use criterion::{Criterion, criterion_group, criterion_main};

mod common;

use desi_city::fetch::parse::Format;
use desi_city::indicators::figures::Figures;

fn indicators(c: &mut Criterion) {
    let s = common::setup();
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
    common::import(
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
