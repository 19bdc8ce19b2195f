//! Upstream faults: after a good fetch, each fault the fake upstream injects must leave the
//! previous version current and its file untouched, exit 1, and say which source failed, at
//! which URL, and why; transient faults are retried (honouring `Retry-After`), permanent ones
//! are not. Also the 413 EXTRACTION_TOO_BIG answer, which the client must get round by
//! splitting its query by geo; responses that parse but must not go live (text in a numeric
//! dataset, a large loss of rows or geos); and bodies too big to read, whose refusal must keep
//! the binary's peak memory (measured from outside, by `/usr/bin/time -v`) under a bound.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::Value;

use crate::support::{
    Run, Sandbox, Source, cell, distinct, geo_period_values, parquet_rows, run_command, sha256_file,
};
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

/// The failed run said who failed and where (the URL once, shortened), and the store still
/// serves the previous version.
fn kept_previous(server: &Upstream, sandbox: &Sandbox, before: &Before, run: &Run) -> Result<()> {
    let url = format!(
        "{}/api/dissemination/statistics/1.0/data/{ID}",
        server.eurostat_url()
    );
    run.exit(1)?
        .outcome_is(ID, "failed")?
        .stderr_has(&[ID, &format!("…/{ID}?")])?;
    for line in run.stderr.lines().filter(|l| l.starts_with("error:")) {
        ensure!(
            !line.contains(&url) && line.matches(&format!("…/{ID}")).count() == 1,
            "the error line should name the URL once, shortened: {line}"
        );
    }
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
fn a_truncated_body_is_retried_then_refused_and_keeps_the_previous_version() -> Result<()> {
    let (server, run) = fault_keeps_previous(
        Fault::Truncated,
        &[("DESI_CITY_RETRIES", "1")],
        &["cut short on each of 2 attempt(s)"],
    )?;
    // The body matches its Content-Length: only the parser sees the cut, and it is retried too.
    let seen = statuses(&server);
    ensure!(
        seen == [200, 200],
        "one try and one retry expected, saw {seen:?}\n{}",
        run.describe()
    );
    Ok(())
}

#[test]
fn a_body_cut_short_once_with_a_matching_length_is_downloaded_again() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let (sandbox, before) = published(&server, &[("DESI_CITY_RETRIES", "2")])?;
    server.fault(&jsonstat_path(ID), Fault::Truncated, 1);
    let run = sandbox.fetch(&[ID])?;
    run.ok()?.outcome_is(ID, "unchanged")?;
    let seen = statuses(&server);
    ensure!(seen == [200, 200], "saw {seen:?}\n{}", run.describe());
    ensure!(
        sandbox.current(ID)?.version == before.version,
        "the version moved"
    );
    Ok(())
}

#[test]
fn a_redirect_loop_fails_at_once_saying_so_without_retrying() -> Result<()> {
    let (server, run) = fault_keeps_previous(
        Fault::RedirectLoop,
        &[("DESI_CITY_RETRIES", "3")],
        &["redirect loop"],
    )?;
    let seen = statuses(&server);
    ensure!(
        seen == [302],
        "a redirect loop must not be followed round nor retried, saw {seen:?}\n{}",
        run.describe()
    );
    Ok(())
}

#[test]
fn text_in_a_numeric_dataset_fails_naming_the_cell_and_keeps_the_previous_version() -> Result<()> {
    let text = Fault::TextValue {
        geo: "BE",
        period: "2020",
        text: "abc",
    };
    let (_server, run) = fault_keeps_previous(
        text.clone(),
        &[("DESI_CITY_RETRIES", "1")],
        &["text where the dataset's values are numbers"],
    )?;
    run.stderr_has(&["1 cell(s)", "BE 2020 = \"abc\"", "numeric = false"])?;

    // A dataset that declares text values takes the same response, text kept.
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.write_catalogue_file(
        &format!("{ID}.toml"),
        &format!("numeric = false\n{}", source().toml()),
    )?;
    server.fault(&jsonstat_path(ID), text, 1);
    sandbox.fetch(&[ID])?.ok()?.outcome_is(ID, "published")?;
    let current = sandbox.current(ID)?;
    let (value, _) = cell(&current.file, &[("geo", "BE"), ("period", "2020")])?;
    let texts = distinct(&current.file, "value_text")?;
    ensure!(
        value.is_none() && texts == ["abc", "<null>"],
        "BE 2020 holds {value:?}, the texts are {texts:?}"
    );
    Ok(())
}

#[test]
fn losing_more_than_a_fifth_of_the_geos_is_refused_unless_accepted() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let (sandbox, before) = published(&server, &[("DESI_CITY_RETRIES", "1")])?;
    server.fault(&jsonstat_path(ID), Fault::OnlyGeos(&["EU27_2020"]), 2);
    let run = sandbox.fetch(&[ID])?;
    kept_previous(&server, &sandbox, &before, &run)?;
    let rows = before_rows(&sandbox, &before)?;
    run.stderr_has(&[
        &format!("of the {rows} rows"),
        "1 of the 2 geos",
        "(BE gone)",
        "20 %",
        &format!("desi-city fetch {ID} --accept-structure-change"),
    ])?;

    let run = sandbox.run(&["fetch", "--no-progress", ID, "--accept-structure-change"])?;
    run.ok()?.outcome_is(ID, "published")?;
    let geos: BTreeSet<String> = geo_period_values(&sandbox.current(ID)?.file)?
        .into_iter()
        .map(|(g, _, _)| g)
        .collect();
    ensure!(
        geos == BTreeSet::from(["EU27_2020".to_string()]),
        "stored geos {geos:?}"
    );
    Ok(())
}

/// The rows of the version published before.
fn before_rows(sandbox: &Sandbox, before: &Before) -> Result<u64> {
    Ok(sandbox
        .versions(ID)?
        .into_iter()
        .find(|v| v.version == before.version)
        .context("the previous version is gone")?
        .rows)
}

#[test]
fn a_failure_names_a_long_url_once_shortened_to_its_geo_count() -> Result<()> {
    const GEOS: [&str; 28] = [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "EU27_2020",
    ];
    let server = Upstream::with_shared_files()?;
    let mut sandbox = Sandbox::new(&server)?;
    sandbox.set("DESI_CITY_RETRIES", "1");
    sandbox.add(&Source::eurostat(ID, ID, "jsonstat").geo(&GEOS).since(2015))?;
    server.fault(&jsonstat_path(ID), Fault::Status(500), 5);
    let run = sandbox.fetch(&[ID])?;
    run.exit(1)?.stderr_has(&["HTTP 500"])?;
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .with_context(|| format!("no error line\n{}", run.describe()))?;
    ensure!(
        line.contains(&format!("…/{ID}?…geo=AT,BE,…(28 geos)")) && line.matches("geo").count() == 2,
        "the URL should be shortened: {line}"
    );
    ensure!(
        line.chars().count() < 200,
        "{} characters: {line}",
        line.chars().count()
    );
    Ok(())
}

#[test]
fn changing_a_dimension_the_query_filters_on_mentions_the_query_and_the_accept_flag() -> Result<()>
{
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(&source().filter("unit", &["PC_HH"]))?;
    sandbox.fetch(&[ID])?.ok()?.outcome_is(ID, "published")?;
    let version = sandbox.current(ID)?.version;
    server.fault(
        &jsonstat_path(ID),
        Fault::Replace("eurostat/jsonstat/demo_gind.json"),
        5,
    );
    let run = sandbox.fetch(&[ID])?;
    run.exit(1)?.stderr_has(&[
        "dimensions changed",
        "the query filters on \"unit\"",
        "[query]",
        &format!("desi-city fetch {ID} --accept-structure-change"),
    ])?;
    ensure!(sandbox.current(ID)?.version == version, "the version moved");
    Ok(())
}

/// The largest response the binary reads by default, in MiB.
const DEFAULT_MAX_RESPONSE_MIB: u64 = 64;
/// The peak memory a fetch refusing a huge body may reach.
const PEAK_RSS_LIMIT_KB: u64 = 150 * 1024;

/// `desi-city fetch ID` under `/usr/bin/time -v`: the run and the child's peak RSS in KiB.
fn fetch_measured(sandbox: &Sandbox) -> Result<(Run, u64)> {
    let inner = sandbox.command(&["fetch", "--no-progress", ID]);
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-v")
        .arg(inner.get_program())
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    if let Some(dir) = inner.get_current_dir() {
        cmd.current_dir(dir);
    }
    let args = vec!["fetch".into(), "--no-progress".into(), ID.into()];
    let run = run_command(cmd, args, Duration::from_secs(180))?;
    let peak = run
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .with_context(|| format!("no peak RSS from /usr/bin/time\n{}", run.describe()))?;
    Ok((run, peak))
}

/// A good fetch, then a 300 MiB `fault`: refused once, saying how much and the bound, with the
/// previous version current and the fetch's peak memory under the limit. Returns the peak in KiB.
fn huge_body_is_refused_in_bounded_memory(fault: Fault, said: &str) -> Result<u64> {
    let server = Upstream::with_shared_files()?;
    let (sandbox, before) = published(&server, &[("DESI_CITY_RETRIES", "2")])?;
    server.fault(&jsonstat_path(ID), fault, 5);
    let (run, peak_kb) = fetch_measured(&sandbox)?;
    kept_previous(&server, &sandbox, &before, &run)?;
    run.stderr_has(&[
        &format!("larger than the {DEFAULT_MAX_RESPONSE_MIB} MiB we read"),
        said,
        "max_response_mb",
    ])?;
    let seen = statuses(&server);
    ensure!(seen == [200], "a too-big body is not retried, saw {seen:?}");
    ensure!(
        peak_kb <= PEAK_RSS_LIMIT_KB,
        "peak RSS {} MiB, more than {} MiB\n{}",
        peak_kb / 1024,
        PEAK_RSS_LIMIT_KB / 1024,
        run.describe()
    );
    eprintln!("peak RSS refusing the body: {} MiB", peak_kb / 1024);
    Ok(peak_kb)
}

#[test]
fn a_300_mib_body_without_a_declared_length_is_refused_in_bounded_memory() -> Result<()> {
    huge_body_is_refused_in_bounded_memory(Fault::HugeGzip { mib: 300 }, "when we stopped")?;
    Ok(())
}

#[test]
fn a_300_mib_body_with_a_declared_length_is_refused_before_it_is_read() -> Result<()> {
    huge_body_is_refused_in_bounded_memory(
        Fault::HugeDeclared { mib: 300 },
        "it declares 300.0 MiB",
    )?;
    Ok(())
}

#[test]
fn a_body_over_a_configured_bound_is_refused_and_one_under_it_is_read() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let (mut sandbox, before) = published(&server, &[("DESI_CITY_MAX_RESPONSE_MB", "1")])?;
    server.fault(&jsonstat_path(ID), Fault::HugeGzip { mib: 2 }, 1);
    let run = sandbox.fetch(&[ID])?;
    kept_previous(&server, &sandbox, &before, &run)?;
    run.stderr_has(&["larger than the 1 MiB we read"])?;
    // The real file is far below the default bound.
    sandbox.unset("DESI_CITY_MAX_RESPONSE_MB");
    sandbox.fetch(&[ID])?.ok()?.outcome_is(ID, "unchanged")?;
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
