//! Ingest benchmark: parse + Parquet write (through `Store::publish`, as `fetch` does) for each upstream
//! format, in observations per second — on the real files of `../shared/data` and on generated inputs of
//! one million observations. Run with `cargo bench --bench ingest`.

use std::path::PathBuf;

use chrono::Utc;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};

use desi_city::fetch::parse::{self, Format, ParseOptions, bench_input};
use desi_city::store::{Store, VersionMeta};

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel)
}

fn meta(format: Format, bytes: &[u8], dims: Vec<String>) -> VersionMeta {
    VersionMeta {
        source_url: "bench".into(),
        fetched_at: Utc::now(),
        upstream_updated: None,
        // Hashing the upstream bytes is part of every ingest (it decides "unchanged").
        sha256: hex::encode(Sha256::digest(bytes)),
        parser_version: parse::PARSER_VERSION.into(),
        format: format.as_str().into(),
        licence: "CC-BY-4.0".into(),
        attribution: "bench".into(),
        dimensions: dims,
        etag: None,
        last_modified: None,
    }
}

fn ingest(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 1).expect("store");
    let mut inputs: Vec<(String, Format, Vec<u8>)> = vec![
        (
            "jsonstat-1M".into(),
            Format::JsonStat,
            bench_input::generate_jsonstat(1_000_000),
        ),
        (
            "tsv-1M".into(),
            Format::Tsv,
            // ~9.2 observations per series: 110,000 series ≈ 1 million observations.
            bench_input::generate_tsv(110_000),
        ),
    ];
    for (name, format, rel) in [
        (
            "jsonstat isoc_ci_in_h",
            Format::JsonStat,
            "eurostat/jsonstat/isoc_ci_in_h.json",
        ),
        (
            "jsonstat hlth_ehis_hc7",
            Format::JsonStat,
            "eurostat/jsonstat/hlth_ehis_hc7.json",
        ),
        ("tsv isoc_e_dii", Format::Tsv, "eurostat/tsv/isoc_e_dii.tsv"),
        (
            "sdmx-csv isoc_eb_ics",
            Format::SdmxCsv,
            "eurostat/sdmx-csv/isoc_eb_ics.csv",
        ),
        (
            "sdmx-csv-2.0 isoc_e_dii",
            Format::SdmxCsv,
            "eurostat/sdmx-csv/isoc_e_dii_2023_sdmx2.csv",
        ),
        (
            "desi-csv 2020",
            Format::DesiCsv,
            "desi/2020/indicators_raw.csv",
        ),
    ] {
        match std::fs::read(shared(rel)) {
            Ok(bytes) => inputs.push((name.into(), format, bytes)),
            Err(e) => eprintln!("skipping {name}: {e}"),
        }
    }
    let options = ParseOptions::default();
    let mut group = c.benchmark_group("parse+write");
    group.sample_size(10);
    for (name, format, bytes) in &inputs {
        let rows = parse::parse(*format, "bench", bytes, &options)
            .expect("parses")
            .batch
            .num_rows();
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| {
                let parsed = parse::parse(*format, "bench", bytes, &options).expect("parses");
                store
                    .publish(
                        "bench",
                        &[parsed.batch],
                        meta(*format, bytes, parsed.dimensions),
                    )
                    .expect("publishes")
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    for (name, format, bytes) in &inputs {
        let rows = parse::parse(*format, "bench", bytes, &options)
            .expect("parses")
            .batch
            .num_rows();
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| parse::parse(*format, "bench", bytes, &options).expect("parses"))
        });
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
