//! Crash safety of publishing: a real `desi-city fetch`, slowed down between its publish steps
//! (`DESI_CITY_PUBLISH_PAUSE_MS`), is killed with SIGKILL at random moments while the upstream
//! alternates between two real files. After every kill the store must be whole: a valid
//! manifest whose current version (the previous one or the new one, never missing) and every
//! other listed version read back with the row count the manifest says. A normal fetch then
//! succeeds and leaves no temp or unreferenced files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use rand::Rng as _;
use serde_json::Value;

use crate::support::{Sandbox, Source, current_in, parquet_rows, read_json, versions_in};
use crate::upstream::{Upstream, read_shared};

const ID: &str = "isoc_r_households";
const CODE: &str = "isoc_r_households";
/// Two SDMX-CSV 1.0 files with the same dimensions (freq, unit, geo) and different values.
const FILES: [&str; 2] = [
    "eurostat/sdmx-csv/isoc_r_iacc_h_excerpt.csv",
    "eurostat/sdmx-csv/isoc_r_broad_h_excerpt.csv",
];
const ITERATIONS: usize = 15;
/// Belgian NUTS 2 regions: present in both files.
const REGIONS: [&str; 11] = [
    "BE10", "BE21", "BE22", "BE23", "BE24", "BE25", "BE31", "BE32", "BE33", "BE34", "BE35",
];

/// Checks the store is whole and returns the parsed manifest.
fn store_is_whole(sandbox: &Sandbox, when: &str) -> Result<Value> {
    let manifest = read_json(&sandbox.data.join("manifest.json"))
        .with_context(|| format!("{when}: the manifest"))?;
    let current = current_in(&manifest, &sandbox.data, ID)
        .with_context(|| format!("{when}: no current version"))?;
    for version in versions_in(&manifest, &sandbox.data, ID)? {
        ensure!(
            version.file.is_file(),
            "{when}: version {} is listed but {} is missing",
            version.version,
            version.file.display()
        );
        let rows = parquet_rows(&version.file)
            .with_context(|| format!("{when}: version {} is unreadable", version.version))?;
        ensure!(
            rows == version.rows,
            "{when}: version {} holds {rows} rows, the manifest says {}",
            version.version,
            version.rows
        );
    }
    ensure!(current.rows > 0, "{when}: the current version is empty");
    let status = sandbox.data.join("status.json");
    if status.exists() {
        read_json(&status).with_context(|| format!("{when}: status.json"))?;
    }
    Ok(manifest)
}

fn version_ids(manifest: &Value, sandbox: &Sandbox) -> Result<BTreeSet<String>> {
    Ok(versions_in(manifest, &sandbox.data, ID)?
        .into_iter()
        .map(|v| v.version)
        .collect())
}

#[test]
fn a_fetch_killed_at_any_moment_of_publishing_leaves_a_whole_store() -> Result<()> {
    let server = Upstream::start()?;
    server.serve_sdmx_csv(CODE, FILES[0]);
    let mut sandbox = Sandbox::new(&server)?;
    sandbox
        .set("DESI_CITY_PUBLISH_PAUSE_MS", "40")
        .set("DESI_CITY_KEEP_VERSIONS", "4");
    sandbox.add(
        &Source::eurostat(ID, CODE, "sdmx-csv")
            .level("nuts2")
            .geo(&REGIONS)
            .since(2006),
    )?;

    let first = sandbox.fetch(&[ID])?;
    first.ok()?.outcome_is(ID, "published")?;
    // The whole run, publish pauses included: kills land anywhere in it, or just after.
    let window = first.elapsed.as_millis() as u64 + 50;
    let mut previous = store_is_whole(&sandbox, "after the first fetch")?;

    let mut rng = rand::rng();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for i in 1..=ITERATIONS {
        server.serve_sdmx_csv(CODE, FILES[i % 2]);
        let delay = Duration::from_millis(rng.random_range(0..=window));
        // The two files differ by more than max_loss of the rows: accepted, so that each fetch publishes.
        let mut cmd = sandbox.command(&["fetch", "--no-progress", "--accept-structure-change", ID]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().context("Failed to start desi-city fetch")?;
        std::thread::sleep(delay);
        let finished = child.try_wait()?.is_some();
        let _ = child.kill();
        child.wait()?;

        let when = format!("after kill {i} at {delay:?}");
        let now = store_is_whole(&sandbox, &when)?;
        let was = current_in(&previous, &sandbox.data, ID)?.version;
        let is = current_in(&now, &sandbox.data, ID)?.version;
        let known_before = version_ids(&previous, &sandbox)?;
        ensure!(
            is == was || !known_before.contains(&is),
            "{when}: the current version went from {was} back to the older {is}"
        );
        let outcome = match (finished, is == was) {
            (true, true) => "finished unchanged",
            (true, false) => "finished published",
            (false, true) => "killed before the switch",
            (false, false) => "killed after the switch",
        };
        *tally.entry(outcome).or_default() += 1;
        previous = now;
    }
    eprintln!("crash test: {tally:?} (window {window} ms)");
    let killed: usize = tally
        .iter()
        .filter(|(k, _)| k.starts_with("killed"))
        .map(|(_, n)| n)
        .sum();
    ensure!(
        killed > 0,
        "no kill landed before the fetch finished, so nothing was tested: {tally:?}"
    );

    // A normal fetch afterwards, of the other file than the current one, publishes cleanly.
    sandbox.unset("DESI_CITY_PUBLISH_PAUSE_MS");
    let current = current_in(&previous, &sandbox.data, ID)?;
    let upstream_sha = current.entry["sha256"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let first_sha = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(read_shared(FILES[0])?))
    };
    server.serve_sdmx_csv(
        CODE,
        if upstream_sha == first_sha {
            FILES[1]
        } else {
            FILES[0]
        },
    );
    let last = sandbox.run(&["fetch", "--no-progress", "--accept-structure-change", ID])?;
    last.ok()?;
    ensure!(
        matches!(last.outcome(ID).as_deref(), Some("published" | "unchanged")),
        "the fetch after the crashes: {}",
        last.describe()
    );
    let manifest = store_is_whole(&sandbox, "after the last fetch")?;

    let referenced: BTreeSet<PathBuf> = versions_in(&manifest, &sandbox.data, ID)?
        .into_iter()
        .map(|v| v.file.strip_prefix(&sandbox.data).map(PathBuf::from))
        .collect::<Result<_, _>>()?;
    let files = sandbox.data_files()?;
    let temp: Vec<&PathBuf> = files
        .iter()
        .filter(|f| {
            let name = f.to_string_lossy().to_ascii_lowercase();
            name.contains("tmp")
                || name.contains("temp")
                || name.contains(".part")
                || name.ends_with('~')
        })
        .collect();
    ensure!(
        temp.is_empty(),
        "temp files were left behind: {temp:?} (all files: {files:?})"
    );
    let orphans: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "parquet") && !referenced.contains(*f))
        .collect();
    ensure!(
        orphans.is_empty(),
        "Parquet files no manifest version references were left behind: {orphans:?} (referenced: {referenced:?})"
    );
    Ok(())
}
