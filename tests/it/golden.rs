//! Golden tests over `indicators/`: every indicator file, computed by the real binary over a store
//! fetched with the shipped catalogue from the local server (the real files of ../shared/data;
//! the Commission's import-only files imported),
//! and compared with its accepted snapshot in `tests/it/snapshots/`. Adding an indicator means
//! adding its file and accepting a snapshot (`INSTA_UPDATE=always cargo test --release --test it
//! golden`, then review the `.snap` file), not writing Rust. An indicator whose source has no
//! shared file snapshots its error, so a change of either is seen.

use anyhow::{Context as _, Result};

use crate::support::{Sandbox, without_urls};
use crate::upstream::Upstream;

/// The datasets ../shared/data holds a response of (the others' indicators snapshot their error).
const FETCHED: [&str; 7] = [
    "isoc_ci_in_h",
    "isoc_r_iacc_h",
    "isoc_r_broad_h",
    "isoc_e_dii",
    "isoc_cicce_use",
    "desi",
    "desi_dd_trajectories",
];

/// The Commission's files no upstream serves (import-only sources of `datasets/`), imported as
/// `desi-city import FILE --dataset ID` does.
const IMPORTED: [(&str, &str); 2] = [
    ("desi_2022_raw", "desi/2022/indicators_raw.csv"),
    ("desi_2020_raw_by_year", "desi/2020/indicators_raw.csv"),
];

fn repo(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A sandbox with the shipped catalogue, its upstream URLs on the local server, and the
/// datasets of [`FETCHED`] fetched and those of [`IMPORTED`] imported.
fn shipped_store(server: &Upstream) -> Result<Sandbox> {
    let sandbox = Sandbox::new(server)?;
    sandbox.write_shipped_catalogue()?;
    sandbox.fetch(&FETCHED)?.ok()?;
    for (id, rel) in IMPORTED {
        let path = crate::upstream::shared_file(rel);
        let path = path.to_str().context("UTF-8 path")?;
        sandbox.run(&["import", path, "--dataset", id])?.ok()?;
    }
    Ok(sandbox)
}

/// What a run printed, with what changes from run to run (temp paths, version ids, URLs) masked.
fn stable(sandbox: &Sandbox, text: &str) -> String {
    let text = text.replace(&sandbox.root.display().to_string(), "[sandbox]");
    let text = without_urls(&text);
    text.lines()
        .map(|line| {
            line.split(',')
                .map(|field| {
                    // Version ids: 20261124T101500Z-1a2b3c4d (with an optional -N).
                    let looks_like_version = field.len() >= 25
                        && field.as_bytes().get(8) == Some(&b'T')
                        && field.as_bytes().get(15) == Some(&b'Z');
                    if looks_like_version {
                        "[version]"
                    } else {
                        field
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_indicator_file_computes_as_its_accepted_snapshot() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = shipped_store(&server)?;
    let dir = repo("indicators");
    let dir_text = dir.to_str().context("UTF-8 path")?;
    let mut ids: Vec<String> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    ids.sort();
    assert!(ids.len() >= 12, "only {} indicator files", ids.len());
    for id in &ids {
        let text = std::fs::read_to_string(dir.join(format!("{id}.toml")))?;
        let regional = text
            .lines()
            .any(|l| l.starts_with("geo_levels") && l.contains("nuts2"));
        let geos = if regional {
            "BE10,BE,EU27_2020"
        } else {
            "BE,EU27_2020"
        };
        let values = |geos: &str| {
            sandbox.run(&[
                "indicators",
                id,
                "--indicators-dir",
                dir_text,
                "--geo",
                geos,
                "--format",
                "csv",
            ])
        };
        let mut run = values(geos)?;
        // A geo the data does not hold is refused: ask again for those of the list it has.
        let held: Option<String> = run
            .stderr
            .split_once("It has: ")
            .map(|(_, has)| {
                let has: Vec<&str> = has.trim().trim_end_matches('.').split(", ").collect();
                geos.split(',')
                    .filter(|g| has.contains(g))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .filter(|held| !held.is_empty());
        let geos = match &held {
            Some(held) => {
                run = values(held)?;
                held.as_str()
            }
            None => geos,
        };
        let shown = if run.success() {
            format!("geo {geos}\n{}", stable(&sandbox, &run.stdout))
        } else {
            format!(
                "geo {geos}\nexit {:?}\n{}",
                run.code,
                stable(&sandbox, run.stderr.trim())
            )
        };
        insta::assert_snapshot!(id.as_str(), shown);
    }
    Ok(())
}
