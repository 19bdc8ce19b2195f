//! Upstream faults: after a good fetch, each fault the fake upstream injects must leave the
//! previous version current and its file untouched, exit 1, and say which source failed, at
//! which URL, and why; transient faults are retried (honouring `Retry-After`), permanent ones
//! are not. Also the 413 EXTRACTION_TOO_BIG answer, which the client must get round by
//! splitting its query by geo.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::Value;

use crate::support::{Run, Sandbox, Source, geo_period_values, parquet_rows, sha256_file};
use crate::upstream::{Fault, Upstream, jsonstat_path};

const ID: &str = "isoc_ci_in_h";

/// No filter on purpose: `demo_gind.json` (dimensions changed) has no `unit` to filter on.
fn source() -> Source {
    Source::eurostat(ID, ID, "jsonstat")
        .geo(&["BE", "EU27_2020"])
        .since(2015)
}

/// What the store held after the good fetch.
struct Before {
    version: String,
    versions: usize,
    file_sha256: String,
    last_success_at: Value,
}

/// A sandbox with `env` set, after a good fetch of `ID`; the server forgets that request.
fn published(server: &Upstream, env: &[(&str, &str)]) -> Result<(Sandbox, Before)> {
    let mut sandbox = Sandbox::new(server)?;
    for (key, value) in env {
        sandbox.set(key, value);
    }
    sandbox.add(&source())?;
    sandbox.fetch(&[ID])?.ok()?.outcome_is(ID, "published")?;
    let current = sandbox.current(ID)?;
    let status = sandbox.status_of(ID)?;
    let last_success_at = status
        .get("last_success_at")
        .filter(|v| !v.is_null())
        .cloned()
        .with_context(|| format!("no last_success_at after a good fetch: {status:#}"))?;
    let before = Before {
        version: current.version.clone(),
        versions: sandbox.versions(ID)?.len(),
        file_sha256: sha256_file(&current.file)?,
        last_success_at,
    };
    server.forget_requests();
    Ok((sandbox, before))
}

/// The failed run said who failed and where, and the store still serves the previous version.
fn kept_previous(server: &Upstream, sandbox: &Sandbox, before: &Before, run: &Run) -> Result<()> {
    let url = format!(
        "{}/api/dissemination/statistics/1.0/data/{ID}",
        server.eurostat_url()
    );
    run.exit(1)?
        .outcome_is(ID, "failed")?
        .stderr_has(&[ID, &url])?;
    let current = sandbox.current(ID)?;
    ensure!(
        current.version == before.version,
        "the current version moved from {} to {}",
        before.version,
        current.version
    );
    let versions = sandbox.versions(ID)?.len();
    ensure!(
        versions == before.versions,
        "versions went from {} to {versions}",
        before.versions
    );
    ensure!(
        sha256_file(&current.file)? == before.file_sha256,
        "the current Parquet file changed"
    );
    ensure!(
        parquet_rows(&current.file)? == current.rows,
        "the current file no longer reads back"
    );
    let status = sandbox.status_of(ID)?;
    ensure!(status["last_outcome"] == "failed", "status: {status:#}");
    ensure!(
        status["last_error"]
            .as_str()
            .is_some_and(|e| !e.trim().is_empty()),
        "status has no last_error: {status:#}"
    );
    ensure!(
        !status["last_error_at"].is_null(),
        "status has no last_error_at: {status:#}"
    );
    ensure!(
        status["last_success_at"] == before.last_success_at,
        "last_success_at changed: {status:#}"
    );
    Ok(())
}

/// A good fetch, then `fault` on every request (more than the retries): the fetch fails saying
/// one of `reasons`, and the previous version stays. Returns the server and the failed run.
fn fault_keeps_previous(
    fault: Fault,
    env: &[(&str, &str)],
    reasons: &[&str],
) -> Result<(Upstream, Run)> {
    let server = Upstream::with_shared_files()?;
    let (sandbox, before) = published(&server, env)?;
    server.fault(&jsonstat_path(ID), fault, 20);
    let run = sandbox.fetch(&[ID])?;
    kept_previous(&server, &sandbox, &before, &run)?;
    run.stderr_says_one_of(reasons)?;
    Ok((server, run))
}

fn statuses(server: &Upstream) -> Vec<u16> {
    server
        .requests_to(&jsonstat_path(ID))
        .iter()
        .map(|r| r.status)
        .collect()
}

#[test]
fn a_persistent_http_500_fails_after_the_retries_and_keeps_the_previous_version() -> Result<()> {
    let (server, run) = fault_keeps_previous(
        Fault::Status(500),
        &[("DESI_CITY_RETRIES", "2")],
        &["HTTP 500"],
    )?;
    let seen = statuses(&server);
    ensure!(
        seen == [500, 500, 500],
        "one try and two retries expected, saw {seen:?}\n{}",
        run.describe()
    );
    Ok(())
}

#[test]
fn transient_500_and_503_answers_are_retried_until_the_data_comes() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let (sandbox, before) = published(&server, &[("DESI_CITY_RETRIES", "3")])?;
    server.fault(&jsonstat_path(ID), Fault::Status(500), 1);
    server.fault(&jsonstat_path(ID), Fault::Status(503), 1);
    let run = sandbox.fetch(&[ID])?;
    run.ok()?.outcome_is(ID, "unchanged")?;
    let seen = statuses(&server);
    ensure!(seen == [500, 503, 200], "saw {seen:?}\n{}", run.describe());
    ensure!(
        sandbox.current(ID)?.version == before.version,
        "the version moved"
    );
    Ok(())
}

#[test]
fn a_429_with_retry_after_is_waited_out_before_the_retry() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let (sandbox, before) = published(&server, &[("DESI_CITY_RETRIES", "2")])?;
    server.fault(
        &jsonstat_path(ID),
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        1,
    );
    let run = sandbox.fetch(&[ID])?;
    run.ok()?.outcome_is(ID, "unchanged")?;
    let seen = server.requests_to(&jsonstat_path(ID));
    let codes: Vec<u16> = seen.iter().map(|r| r.status).collect();
    ensure!(codes == [429, 200], "saw {codes:?}\n{}", run.describe());
    let waited = seen[1].at.duration_since(seen[0].at);
    ensure!(
        waited >= Duration::from_secs(1),
        "the retry came {waited:?} after a 429 with Retry-After: 1"
    );
    ensure!(
        sandbox.current(ID)?.version == before.version,
        "the version moved"
    );
    Ok(())
}

#[test]
fn a_stall_past_the_timeout_fails_as_timed_out_and_keeps_the_previous_version() -> Result<()> {
    let env = [("DESI_CITY_TIMEOUT_SECS", "1"), ("DESI_CITY_RETRIES", "1")];
    let (server, run) = fault_keeps_previous(
        Fault::Stall(Duration::from_secs(4)),
        &env,
        &["timed out", "timeout"],
    )?;
    let seen = statuses(&server);
    ensure!(
        seen.len() == 2,
        "one try and one retry expected, saw {seen:?}\n{}",
        run.describe()
    );
    Ok(())
}

#[test]
fn a_truncated_gzip_body_fails_and_keeps_the_previous_version() -> Result<()> {
    fault_keeps_previous(
        Fault::TruncatedGzip,
        &[("DESI_CITY_RETRIES", "1")],
        &[
            "gzip",
            "decod",
            "decompress",
            "truncat",
            "unexpected end",
            "eof",
            "incomplete",
        ],
    )?;
    Ok(())
}

#[test]
fn an_html_maintenance_page_is_refused_and_keeps_the_previous_version() -> Result<()> {
    fault_keeps_previous(Fault::Html, &[("DESI_CITY_RETRIES", "1")], &["HTML"])?;
    Ok(())
}

#[test]
fn a_404_error_json_fails_at_once_without_retrying() -> Result<()> {
    let (server, run) = fault_keeps_previous(
        Fault::ErrorJson(404, "eurostat/errors/404_not_found.json"),
        &[("DESI_CITY_RETRIES", "3")],
        &["404"],
    )?;
    let seen = statuses(&server);
    ensure!(
        seen == [404],
        "a 404 must not be retried, saw {seen:?}\n{}",
        run.describe()
    );
    Ok(())
}

#[test]
fn an_empty_body_is_refused_and_keeps_the_previous_version() -> Result<()> {
    fault_keeps_previous(Fault::Empty, &[("DESI_CITY_RETRIES", "1")], &["empty"])?;
    Ok(())
}

#[test]
fn a_truncated_body_is_refused_and_keeps_the_previous_version() -> Result<()> {
    fault_keeps_previous(
        Fault::Truncated,
        &[("DESI_CITY_RETRIES", "1")],
        &[
            "truncat",
            "unexpected end",
            "eof",
            "incomplete",
            "invalid",
            "pars",
        ],
    )?;
    Ok(())
}

#[test]
fn changed_dimensions_are_refused_and_keep_the_previous_version() -> Result<()> {
    fault_keeps_previous(
        Fault::Replace("eurostat/jsonstat/demo_gind.json"),
        &[("DESI_CITY_RETRIES", "1")],
        &["dimensions changed"],
    )?;
    Ok(())
}

const EIGHT_GEOS: [&str; 8] = ["BE", "DE", "FR", "NL", "LU", "AT", "IT", "ES"];

#[test]
fn an_extraction_too_big_is_split_by_geo_and_merged_into_one_version() -> Result<()> {
    let source = Source::eurostat(ID, ID, "jsonstat")
        .geo(&EIGHT_GEOS)
        .since(2010);

    let whole_server = Upstream::with_shared_files()?;
    let whole = Sandbox::new(&whole_server)?;
    whole.add(&source)?;
    whole.fetch(&[ID])?.ok()?.outcome_is(ID, "published")?;

    let split_server = Upstream::with_shared_files()?;
    split_server.too_big_above(3);
    let split = Sandbox::new(&split_server)?;
    split.add(&source)?;
    let run = split.fetch(&[ID])?;
    run.ok()?.outcome_is(ID, "published")?;

    let versions = split.versions(ID)?;
    ensure!(
        versions.len() == 1,
        "one merged version expected, got {versions:?}"
    );
    let (merged, unsplit) = (split.current(ID)?, whole.current(ID)?);
    ensure!(
        merged.rows == unsplit.rows,
        "merged {} rows, unsplit {}",
        merged.rows,
        unsplit.rows
    );
    let (merged_rows, unsplit_rows) = (
        geo_period_values(&merged.file)?,
        geo_period_values(&unsplit.file)?,
    );
    ensure!(
        merged_rows == unsplit_rows,
        "the merged rows differ from the unsplit ones:\nmerged  {merged_rows:?}\nunsplit {unsplit_rows:?}"
    );
    let geos: BTreeSet<&str> = merged_rows.iter().map(|(g, _, _)| g.as_str()).collect();
    ensure!(
        geos == EIGHT_GEOS.into_iter().collect(),
        "stored geos {geos:?}"
    );

    let seen = split_server.requests_to(&jsonstat_path(ID));
    ensure!(
        seen.iter().any(|r| r.status == 413),
        "the client never got a 413: {seen:#?}"
    );
    let mut served = BTreeSet::new();
    for r in seen.iter().filter(|r| r.status == 200) {
        let geos = r.geos();
        ensure!(geos.len() <= 3, "a 200 answered more than 3 geos: {r:#?}");
        served.extend(geos);
    }
    ensure!(
        served == EIGHT_GEOS.map(String::from).into_iter().collect(),
        "the parts covered {served:?}"
    );
    Ok(())
}

#[test]
fn an_extraction_too_big_that_cannot_be_split_fails_saying_so() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    server.too_big_above(0);
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(
        &Source::eurostat(ID, ID, "jsonstat")
            .geo(&["BE", "DE"])
            .since(2015),
    )?;
    let run = sandbox.fetch(&[ID])?;
    run.exit(1)?
        .outcome_is(ID, "failed")?
        .stderr_has(&[ID, "EXTRACTION_TOO_BIG"])?;
    ensure!(
        server.requests_to(&jsonstat_path(ID)).len() <= 10,
        "the client kept splitting: {:#?}",
        server.requests()
    );
    let manifest = sandbox.data.join("manifest.json");
    if manifest.exists() {
        ensure!(
            sandbox
                .manifest()?
                .pointer(&format!("/datasets/{ID}"))
                .is_none(),
            "a version was published from nothing"
        );
    }
    Ok(())
}
