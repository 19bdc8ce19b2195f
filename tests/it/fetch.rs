//! `desi-city fetch` on the happy path: every upstream format is fetched into one Parquet
//! version per dataset whose values and flags read back intact, a second fetch of the same data
//! writes nothing, and naming sources fetches only those.
//!
//! Expected values are copied from the shared files by hand (each is quoted beside it); the
//! tests never recompute them with code that could share the binary's mistakes.

use std::collections::BTreeSet;

use anyhow::{Context as _, Result, ensure};

use crate::support::{
    Run, Sandbox, Source, distinct, expect_cell, has_cell, parquet_metadata, parquet_rows,
    sha256_file, value_flags,
};
use crate::upstream::{Upstream, desi_path, jsonstat_path, sdmx_path};

/// One source per shared file the fake upstream serves, with queries that keep rows.
fn every_source() -> Vec<Source> {
    vec![
        Source::eurostat("isoc_ci_in_h", "isoc_ci_in_h", "jsonstat")
            .geo(&["BE", "EU27_2020", "DE", "FR"])
            .since(2015)
            .filter("unit", &["PC_HH"]),
        Source::eurostat("isoc_ci_in_h_legacy", "isoc_ci_in_h", "tsv")
            .geo(&["AT", "BE", "LU"])
            .since(2008),
        Source::eurostat("isoc_e_dii", "isoc_e_dii", "tsv")
            .geo(&["BE", "FR"])
            .since(2015),
        Source::eurostat("isoc_sks_itsp_age", "isoc_sks_itsp_age", "tsv")
            .geo(&["AT", "BE", "CY"])
            .since(2004),
        Source::eurostat("tin00074", "tin00074", "tsv")
            .geo(&["AT", "BA", "BE"])
            .since(2009),
        Source::eurostat("isoc_r_broad_h", "isoc_r_broad_h", "sdmx-csv")
            .level("nuts2")
            .geo(&["BE10", "BE21", "AT11"])
            .since(2006),
        Source::eurostat("isoc_r_iacc_h", "isoc_r_iacc_h", "sdmx-csv")
            .level("nuts2")
            .geo(&["BE10", "BE21", "AT11"])
            .since(2006),
        Source::eurostat("isoc_eb_ics", "isoc_eb_ics", "sdmx-csv")
            .geo(&["BE", "FR"])
            .since(2010),
        Source::eurostat("isoc_e_dii_2023", "isoc_e_dii", "sdmx-csv")
            .geo(&["AT", "BE", "FR"])
            .since(2021),
        Source::desi("desi_2020", "/2020/indicators_raw.csv")
            .geo(&["BE", "FR", "NL"])
            .since(2015),
    ]
}

#[test]
fn fetch_fills_the_store_with_one_version_per_source_that_reads_back_intact() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    let sources = every_source();
    for source in &sources {
        sandbox.add(source)?;
    }

    let run = sandbox.fetch(&[])?;
    run.ok()?;
    for source in &sources {
        run.outcome_is(&source.id, "published")?;
    }

    for source in &sources {
        let id = source.id.as_str();
        let versions = sandbox.versions(id)?;
        ensure!(
            versions.len() == 1,
            "{id}: expected one version, got {versions:?}"
        );
        let current = sandbox.current(id)?;
        let entry = &current.entry;
        ensure!(
            current.file.is_file(),
            "{id}: {} is missing",
            current.file.display()
        );
        ensure!(current.rows > 0, "{id}: no rows");
        ensure!(
            parquet_rows(&current.file)? == current.rows,
            "{id}: DuckDB reads another row count than the manifest's {}",
            current.rows
        );
        ensure!(
            entry["dataset"] == id,
            "{id}: manifest entry names {}",
            entry["dataset"]
        );
        ensure!(
            entry["file_sha256"].as_str().map(str::to_ascii_lowercase)
                == Some(sha256_file(&current.file)?),
            "{id}: file_sha256 is not the SHA-256 of the file: {entry:#}"
        );
        ensure!(
            entry["source_url"]
                .as_str()
                .is_some_and(|u| u.starts_with(&server.url())),
            "{id}: source_url is not the fake upstream's: {entry:#}"
        );
        ensure!(entry["licence"] == "CC-BY-4.0", "{id}: licence: {entry:#}");
        ensure!(
            entry["attribution"] == source.attribution.as_str(),
            "{id}: attribution: {entry:#}"
        );

        let meta = parquet_metadata(&current.file)?;
        ensure!(
            meta.get("desi_city.rows") == Some(&current.rows.to_string()),
            "{id}: Parquet metadata rows: {meta:?}"
        );
        for key in ["sha256", "source_url"] {
            ensure!(
                meta.get(&format!("desi_city.{key}")).map(String::as_str) == entry[key].as_str(),
                "{id}: Parquet metadata desi_city.{key} differs from the manifest's: {meta:?} {entry:#}"
            );
        }
        for key in ["desi_city.fetched_at", "desi_city.parser_version"] {
            ensure!(
                meta.contains_key(key),
                "{id}: Parquet metadata lacks {key}: {meta:?}"
            );
        }

        let geos: BTreeSet<String> = distinct(&current.file, "geo")?.into_iter().collect();
        let asked: BTreeSet<String> = source.geo.iter().cloned().collect();
        ensure!(
            geos.is_subset(&asked),
            "{id}: geos {geos:?} outside the query's {asked:?}"
        );
    }

    let file = |id: &str| sandbox.current(id).map(|v| v.file);

    // jsonstat/isoc_ci_in_h.json: BE 2019 = 89.73; EU27_2020 2020 = 91.3 "e", 2021 = 92.3 "b";
    // DE 2021 = 91.88 "b".
    let f = file("isoc_ci_in_h")?;
    expect_cell(&f, &[("geo", "BE"), ("period", "2019")], Some(89.73), None)?;
    expect_cell(
        &f,
        &[("geo", "EU27_2020"), ("period", "2020")],
        Some(91.3),
        Some("e"),
    )?;
    expect_cell(
        &f,
        &[("geo", "EU27_2020"), ("period", "2021")],
        Some(92.3),
        Some("b"),
    )?;
    expect_cell(
        &f,
        &[("geo", "DE"), ("period", "2021")],
        Some(91.88),
        Some("b"),
    )?;
    ensure!(
        distinct(&f, "unit")? == ["PC_HH"],
        "isoc_ci_in_h: the unit filter was not applied"
    );

    // tsv/isoc_ci_in_h_legacy_2008-2019.tsv: `PC_HH,TOTAL,AT  69 …`, LU 2018 `93 b`, BE 2019 `90`.
    let f = file("isoc_ci_in_h_legacy")?;
    expect_cell(&f, &[("geo", "AT"), ("period", "2008")], Some(69.0), None)?;
    expect_cell(
        &f,
        &[("geo", "LU"), ("period", "2018")],
        Some(93.0),
        Some("b"),
    )?;
    expect_cell(&f, &[("geo", "BE"), ("period", "2019")], Some(90.0), None)?;

    // tsv/isoc_e_dii.tsv (CRLF): `A,10-249,C10-S951_X_K,E_DI_HI,PC_ENT,BE  27.3  23.4 b …`.
    let f = file("isoc_e_dii")?;
    let series = [
        ("geo", "BE"),
        ("size_emp", "10-249"),
        ("indic_is", "E_DI_HI"),
    ];
    expect_cell(
        &f,
        &[series[0], series[1], series[2], ("period", "2015")],
        Some(27.3),
        None,
    )?;
    expect_cell(
        &f,
        &[series[0], series[1], series[2], ("period", "2016")],
        Some(23.4),
        Some("b"),
    )?;

    // tsv/isoc_sks_itsp_age.tsv: `A,PC,Y15-34,AT  48.4 be …`, BE Y15-34 2021 `33.3 b`.
    let f = file("isoc_sks_itsp_age")?;
    let pc_young = [("unit", "PC"), ("age", "Y15-34")];
    expect_cell(
        &f,
        &[pc_young[0], pc_young[1], ("geo", "AT"), ("period", "2004")],
        Some(48.4),
        Some("be"),
    )?;
    expect_cell(
        &f,
        &[pc_young[0], pc_young[1], ("geo", "BE"), ("period", "2021")],
        Some(33.3),
        Some("b"),
    )?;

    // tsv/tin00074.tsv: `A,C_ICT,AT … 0.52 b` (2018), `A,C_ICT,BA … 0.06 be` (2015).
    let f = file("tin00074")?;
    expect_cell(
        &f,
        &[("nace_r2", "C_ICT"), ("geo", "AT"), ("period", "2018")],
        Some(0.52),
        Some("b"),
    )?;
    expect_cell(
        &f,
        &[("nace_r2", "C_ICT"), ("geo", "BA"), ("period", "2015")],
        Some(0.06),
        Some("be"),
    )?;

    // sdmx-csv/isoc_r_broad_h_excerpt.csv: BE10 has 14 rows (2008–2021), 2015 = 75.60,
    // 2021 = 93.00; AT11 2007 is an empty value flagged `u`.
    let f = file("isoc_r_broad_h")?;
    expect_cell(&f, &[("geo", "BE10"), ("period", "2015")], Some(75.6), None)?;
    expect_cell(&f, &[("geo", "BE10"), ("period", "2021")], Some(93.0), None)?;
    expect_cell(&f, &[("geo", "AT11"), ("period", "2007")], None, Some("u"))?;
    let be10 = value_flags(&f, &[("geo", "BE10")])?;
    ensure!(
        be10.len() == 14,
        "isoc_r_broad_h: BE10 has 14 rows upstream, stored {be10:?}"
    );

    // sdmx-csv/isoc_r_iacc_h_excerpt.csv: BE10 has 18 rows (2008–2025), 2025 = 92.03.
    let f = file("isoc_r_iacc_h")?;
    expect_cell(
        &f,
        &[("geo", "BE10"), ("period", "2025")],
        Some(92.03),
        None,
    )?;
    let be10 = value_flags(&f, &[("geo", "BE10")])?;
    ensure!(
        be10.len() == 18,
        "isoc_r_iacc_h: BE10 has 18 rows upstream, stored {be10:?}"
    );

    // sdmx-csv/isoc_eb_ics.csv: `…,10-249,C10-S951_X_K,E_DI3_HI_SISC,PC_ENT,BE,2023,15.1,` and
    // `…,10-249,C10-S951_X_K,E_INV3R_AP_GT0,PC_ENT,FR,2014,,u`.
    let f = file("isoc_eb_ics")?;
    let small = [
        ("size_emp", "10-249"),
        ("nace_r2", "C10-S951_X_K"),
        ("unit", "PC_ENT"),
    ];
    expect_cell(
        &f,
        &[
            small[0],
            small[1],
            small[2],
            ("indic_is", "E_DI3_HI_SISC"),
            ("geo", "BE"),
            ("period", "2023"),
        ],
        Some(15.1),
        None,
    )?;
    expect_cell(
        &f,
        &[
            small[0],
            small[1],
            small[2],
            ("indic_is", "E_INV3R_AP_GT0"),
            ("geo", "FR"),
            ("period", "2014"),
        ],
        None,
        Some("u"),
    )?;

    // sdmx-csv/isoc_e_dii_2023_sdmx2.csv (SDMX-CSV 2.0): `…,10-249,C10-S951_X_K,E_DI3_GELO,
    // PC_ENT,BE,2023,74.5,` and the same for FR `52.0,b`.
    let f = file("isoc_e_dii_2023")?;
    let gelo = [
        ("size_emp", "10-249"),
        ("indic_is", "E_DI3_GELO"),
        ("unit", "PC_ENT"),
    ];
    expect_cell(
        &f,
        &[gelo[0], gelo[1], gelo[2], ("geo", "BE"), ("period", "2023")],
        Some(74.5),
        None,
    )?;
    expect_cell(
        &f,
        &[gelo[0], gelo[1], gelo[2], ("geo", "FR"), ("period", "2023")],
        Some(52.0),
        Some("b"),
    )?;

    // desi/2020/indicators_raw.csv: `…/desi_4a1_eis/ent_all_xfin/pc_ent/BE/2015,2015,BE,
    // desi_4a1_eis,ent_all_xfin,pc_ent,0.473156,,`.
    let f = file("desi_2020")?;
    let be_2015 = value_flags(&f, &[("geo", "BE"), ("period", "2015")])?;
    ensure!(
        has_cell(&be_2015, Some(0.473156), None),
        "desi_2020: BE 2015 lacks 0.473156: {be_2015:?}"
    );

    let methods: BTreeSet<String> = server.requests().into_iter().map(|r| r.method).collect();
    ensure!(
        methods == BTreeSet::from(["GET".to_string()]),
        "methods used: {methods:?}"
    );
    // The requests had the shapes the Eurostat APIs expect, and asked for gzip.
    let json = server.requests_to(&jsonstat_path("isoc_ci_in_h"));
    ensure!(json.len() == 1, "one JSON-stat request expected: {json:#?}");
    let r = &json[0];
    ensure!(
        r.param("format") == Some("JSON") && r.param("lang") == Some("EN"),
        "{r:#?}"
    );
    let asked: BTreeSet<String> = r.geos().into_iter().collect();
    ensure!(
        asked
            == ["BE", "DE", "EU27_2020", "FR"]
                .map(String::from)
                .into_iter()
                .collect(),
        "geo parameters: {r:#?}"
    );
    ensure!(
        r.param("unit") == Some("PC_HH") && r.param("sinceTimePeriod") == Some("2015"),
        "{r:#?}"
    );
    ensure!(
        r.header("accept-encoding")
            .is_some_and(|v| v.contains("gzip")),
        "the client does not ask for gzip: {r:#?}"
    );
    for (code, format) in [("tin00074", "TSV"), ("isoc_r_broad_h", "SDMX-CSV")] {
        let seen = server.requests_to(&sdmx_path(code));
        ensure!(
            seen.iter().any(
                |r| r.param("format") == Some(format) && r.param("compressed") == Some("false")
            ),
            "{code}: no format={format}&compressed=false request: {seen:#?}"
        );
    }
    ensure!(
        server
            .requests_to(&desi_path("/2020/indicators_raw.csv"))
            .len()
            == 1,
        "the DESI file was not fetched once: {:#?}",
        server.requests()
    );
    Ok(())
}

fn published_twice(server: &Upstream, sandbox: &Sandbox, ids: &[&str]) -> Result<(Run, Run)> {
    let first = sandbox.fetch(&[])?;
    first.ok()?;
    for id in ids {
        first.outcome_is(id, "published")?;
    }
    let before = sandbox.data_files()?;
    let versions: Vec<_> = ids
        .iter()
        .map(|id| sandbox.current(id))
        .collect::<Result<_>>()?;
    server.forget_requests();

    let second = sandbox.fetch(&[])?;
    second.ok()?;
    for (id, was) in ids.iter().zip(&versions) {
        second.outcome_is(id, "unchanged")?;
        let all = sandbox.versions(id)?;
        ensure!(
            all.len() == 1,
            "{id}: a second version was written: {all:?}"
        );
        let now = sandbox.current(id)?;
        ensure!(
            now.version == was.version,
            "{id}: current moved from {} to {}",
            was.version,
            now.version
        );
        ensure!(
            sha256_file(&now.file)? == sha256_file(&was.file)?,
            "{id}: the Parquet file changed"
        );
        let status = sandbox.status_of(id)?;
        ensure!(
            status["last_outcome"] == "unchanged",
            "{id}: status {status:#}"
        );
        // The next scheduled run, from the source's cron, is recorded for the API to show.
        let next = status["next_run_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .with_context(|| format!("{id}: no next_run_at in {status:#}"))?;
        ensure!(
            next > chrono::Utc::now(),
            "{id}: next_run_at {next} is not in the future"
        );
    }
    let after = sandbox.data_files()?;
    let parquet = |files: &[std::path::PathBuf]| -> Vec<std::path::PathBuf> {
        files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
            .cloned()
            .collect()
    };
    ensure!(
        parquet(&before) == parquet(&after),
        "Parquet files changed: {before:?} → {after:?}"
    );
    Ok((first, second))
}

#[test]
fn a_second_fetch_of_unchanged_data_writes_no_new_version() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(
        &Source::eurostat("isoc_ci_in_h", "isoc_ci_in_h", "jsonstat")
            .geo(&["BE", "EU27_2020"])
            .since(2015),
    )?;
    sandbox.add(
        &Source::eurostat("isoc_r_broad_h", "isoc_r_broad_h", "sdmx-csv")
            .level("nuts2")
            .geo(&["BE10", "AT11"])
            .since(2006),
    )?;
    sandbox.add(
        &Source::eurostat("tin00074", "tin00074", "tsv")
            .geo(&["AT", "BE"])
            .since(2009),
    )?;
    published_twice(
        &server,
        &sandbox,
        &["isoc_ci_in_h", "isoc_r_broad_h", "tin00074"],
    )?;
    Ok(())
}

#[test]
fn fetching_named_sources_fetches_only_those() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(
        &Source::eurostat("tin00074", "tin00074", "tsv")
            .geo(&["AT", "BE"])
            .since(2009),
    )?;
    sandbox.add(
        &Source::eurostat("isoc_ci_in_h", "isoc_ci_in_h", "jsonstat")
            .geo(&["BE"])
            .since(2015),
    )?;
    sandbox.add(
        &Source::eurostat("isoc_eb_ics", "isoc_eb_ics", "sdmx-csv")
            .geo(&["BE"])
            .since(2010),
    )?;

    let run = sandbox.fetch(&["tin00074"])?;
    run.ok()?.outcome_is("tin00074", "published")?;
    for other in ["isoc_ci_in_h", "isoc_eb_ics"] {
        ensure!(
            run.outcome(other).is_none(),
            "{other} was not asked for\n{}",
            run.describe()
        );
    }
    let manifest = sandbox.manifest()?;
    let datasets: Vec<&String> = manifest["datasets"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    ensure!(datasets == ["tin00074"], "the manifest holds {datasets:?}");
    let paths: BTreeSet<String> = server.requests().into_iter().map(|r| r.path).collect();
    ensure!(
        paths == BTreeSet::from([sdmx_path("tin00074")]),
        "requests went to {paths:?}"
    );
    Ok(())
}
