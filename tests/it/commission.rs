//! The Commission's hand-imported files as indicator sources: the DESI 2022 workbook's raw values
//! (`desi_2022_raw`) and the DESI 2020 raw indicators (`desi_2020_raw_by_year`), both import-only
//! sources of `datasets/` read per data year (`[by_data_year]`). Imports the real files of
//! `shared/data` with the real binary (beside the platform facts and the Eurostat downloads
//! fetched from the local server), then checks the stored values against the files (fraction ×
//! 100, with the edition), `compute` and `/api/v1/dimensions` (at least two indicators with a
//! value per DESI dimension for BE and EU27_2020), the roadmap's statuses, and that `fetch` of
//! an import-only source says so instead of failing.
//!
//! Expected numbers are read from the shared files by this test (a CSV cell, × 100), not typed in.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};

use crate::support::Sandbox;
use crate::upstream::{Upstream, shared_file};

fn repo(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// The shipped catalogue on the local server, the Eurostat and platform files fetched, and the
/// two Commission files imported as `desi-city import FILE --dataset ID` does.
fn store(server: &Upstream) -> Result<Sandbox> {
    let sandbox = Sandbox::new(server)?;
    sandbox.write_shipped_catalogue()?;
    sandbox
        .fetch(&[
            "isoc_ci_in_h",
            "isoc_r_iacc_h",
            "isoc_r_broad_h",
            "isoc_e_dii",
            "isoc_cicce_use",
            "desi",
            "desi_dd_trajectories",
        ])?
        .ok()?;
    for (id, rel) in [
        ("desi_2022_raw", "desi/2022/indicators_raw.csv"),
        ("desi_2020_raw_by_year", "desi/2020/indicators_raw.csv"),
    ] {
        let path = shared_file(rel);
        let path = path.to_str().context("UTF-8 path")?;
        sandbox.run(&["import", path, "--dataset", id])?.ok()?;
    }
    Ok(sandbox)
}

type Row = HashMap<String, String>;

/// The rows of a CSV output (no quoted commas in the columns read here), by column name.
fn csv_rows(text: &str) -> Result<Vec<Row>> {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .context("no CSV header")?
        .split(',')
        .map(str::to_owned)
        .collect();
    Ok(lines
        .map(|line| {
            header
                .iter()
                .cloned()
                .zip(line.split(',').map(str::to_owned))
                .collect()
        })
        .collect())
}

/// A raw cell of the DESI 2020 file: (indicator, edition, geo) → the value as published.
fn desi_2020_cell(indicator: &str, edition: &str, geo: &str) -> Result<f64> {
    let text = std::fs::read_to_string(shared_file("desi/2020/indicators_raw.csv"))?;
    let rows = csv_rows(&text)?;
    let row = rows
        .iter()
        .find(|r| {
            r["indicator"] == indicator && r["time_period"] == edition && r["ref_area"] == geo
        })
        .with_context(|| format!("no {indicator} {edition} {geo} in the DESI 2020 file"))?;
    Ok(row["value"].parse()?)
}

/// A raw cell of the DESI 2022 workbook: (indicator code, edition label y1…y6, geo).
fn desi_2022_cell(code: &str, label: &str, geo: &str) -> Result<f64> {
    let text = std::fs::read_to_string(shared_file("desi/2022/indicators_raw.csv"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().context("header")?.split(',').collect();
    let column = header
        .iter()
        .position(|h| h.split_whitespace().next() == Some(code))
        .with_context(|| format!("no column {code}"))?;
    let line = lines
        .find(|l| l.starts_with(&format!("{label},{geo},")))
        .with_context(|| format!("no row {label} {geo}"))?;
    Ok(line.split(',').nth(column).context("cell")?.parse()?)
}

fn indicator(sandbox: &Sandbox, id: &str, geos: &str) -> Result<BTreeMap<(String, String), Row>> {
    let run = sandbox.run(&[
        "indicators",
        id,
        "--indicators-dir",
        &repo("indicators"),
        "--geo",
        geos,
        "--format",
        "csv",
    ])?;
    run.ok()?;
    Ok(csv_rows(&run.stdout)?
        .into_iter()
        .map(|r| ((r["geo"].clone(), r["period"].clone()), r))
        .collect())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

#[test]
fn the_commissions_files_are_stored_per_data_year_in_percent_with_each_values_edition() -> Result<()>
{
    let server = Upstream::with_shared_files()?;
    let sandbox = store(&server)?;

    // BE internet users (DESI 2020 3a2): edition 2020 is data year 2019, the fraction × 100.
    let rows = indicator(&sandbox, "regular_internet_users_desi", "BE,EU27_2020")?;
    let be = &rows[&("BE".to_owned(), "2019".to_owned())];
    let published = desi_2020_cell("desi_3a2_iu", "2020", "BE")?;
    ensure!(
        close(be["value"].parse()?, published * 100.0),
        "{be:?} vs {published}"
    );
    // Each value names the version it came from: here desi_2020_raw_by_year's.
    ensure!(
        be["version"] == sandbox.current("desi_2020_raw_by_year")?.version,
        "{be:?}"
    );
    let eu = &rows[&("EU27_2020".to_owned(), "2014".to_owned())];
    ensure!(
        close(
            eu["value"].parse()?,
            desi_2020_cell("desi_3a2_iu", "2015", "EU")? * 100.0
        ),
        "{eu:?}"
    );
    // The stored version keeps the edition of each value.
    let export = sandbox.run(&["export", "desi_2020_raw_by_year", "--format", "csv"])?;
    export.ok()?;
    let stored = csv_rows(&export.stdout)?;
    let cell = stored
        .iter()
        .find(|r| r["indicator"] == "desi_3a2_iu" && r["geo"] == "BE" && r["period"] == "2019")
        .context("BE desi_3a2_iu 2019 stored")?;
    ensure!(cell["edition"] == "desi_2020", "{cell:?}");

    // ICT specialists (DESI 2022 1b1): y6 is data year 2021 (metadata.csv), edition desi_2022.
    let rows = indicator(&sandbox, "ict_specialists_desi", "BE")?;
    let be = &rows[&("BE".to_owned(), "2021".to_owned())];
    ensure!(
        close(
            be["value"].parse()?,
            desi_2022_cell("1b1", "y6", "BE")? * 100.0
        ),
        "{be:?}"
    );
    let export = sandbox.run(&["export", "desi_2022_raw", "--format", "csv"])?;
    export.ok()?;
    let stored = csv_rows(&export.stdout)?;
    let cell = stored
        .iter()
        .find(|r| r["indicator"] == "1b1" && r["geo"] == "EU27_2020" && r["period"] == "2016")
        .context("EU 1b1 2016 stored as EU27_2020")?;
    ensure!(cell["edition"] == "desi_2017", "{cell:?}");

    // A platform KPI gains the workbook's years as a supplement: BE basic digital skills 2021
    // (1a1 y6 × 100) from desi_2022_raw, 2025 from the platform.
    let rows = indicator(&sandbox, "basic_digital_skills_desi", "BE")?;
    let y2021 = &rows[&("BE".to_owned(), "2021".to_owned())];
    ensure!(
        y2021["version"] == sandbox.current("desi_2022_raw")?.version
            && close(
                y2021["value"].parse()?,
                desi_2022_cell("1a1", "y6", "BE")? * 100.0
            ),
        "{y2021:?}"
    );
    ensure!(
        rows[&("BE".to_owned(), "2025".to_owned())]["version"] == sandbox.current("desi")?.version
    );
    // A score from 0 to 100 is not multiplied.
    let rows = indicator(&sandbox, "digital_public_services_citizens", "BE")?;
    let y2021 = &rows[&("BE".to_owned(), "2021".to_owned())];
    ensure!(
        close(y2021["value"].parse()?, desi_2022_cell("4a3", "y6", "BE")?),
        "{y2021:?}"
    );
    Ok(())
}

#[test]
fn compute_and_the_dimensions_route_give_two_real_indicators_per_dimension_for_be_and_the_eu()
-> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = store(&server)?;
    let run = sandbox.run(&[
        "compute",
        "--geo",
        "BE,EU27_2020",
        "--indicators-dir",
        &repo("indicators"),
        "--format",
        "csv",
    ])?;
    run.ok()?;
    let mut with_value: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in csv_rows(&run.stdout)? {
        if row["section"] == "indicator" && row["value"].parse::<f64>().is_ok() {
            *with_value
                .entry((row["geo"].clone(), row["dimension"].clone()))
                .or_default() += 1;
        }
    }
    for geo in ["BE", "EU27_2020"] {
        for dimension in [
            "connectivity",
            "human-capital",
            "internet-use",
            "digital-integration",
            "digital-public-services",
        ] {
            let n = with_value
                .get(&(geo.to_owned(), dimension.to_owned()))
                .copied()
                .unwrap_or(0);
            ensure!(
                n >= 2,
                "{geo} {dimension}: {n} indicators with a value\n{with_value:?}"
            );
        }
    }

    // The API's dimension cards: the same, through the real server.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = sandbox.root.join("serve-commission.stderr");
    let cmd = sandbox.command(&[
        "serve",
        "--no-schedule",
        "--addr",
        &format!("127.0.0.1:{port}"),
        "--indicators-dir",
        &repo("indicators"),
        "--methodology-dir",
        &repo("indicators/methodology"),
    ]);
    let served = crate::support::serve(cmd, port, &log, 2, Duration::from_secs(60))?;
    for geo in ["BE", "EU27_2020"] {
        let url = format!("{}/api/v1/dimensions?geo={geo}", served.base);
        let text = served
            .runtime
            .block_on(async { served.client.get(&url).send().await?.text().await })?;
        let body: serde_json::Value = serde_json::from_str(&text)?;
        let dimensions = body["dimensions"].as_array().context("dimensions")?;
        ensure!(dimensions.len() == 5, "{body}");
        for d in dimensions {
            let text = d.to_string();
            let indicators = d["indicators"].as_array().with_context(|| text.clone())?;
            let valued = indicators.iter().filter(|i| i["value"].is_number()).count();
            ensure!(
                valued >= 2,
                "{geo}: {valued} indicators with a value in {text}"
            );
        }
    }
    Ok(())
}

#[test]
fn every_digital_decade_target_has_a_status_from_real_data_or_says_exactly_why() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = store(&server)?;
    let run = sandbox.run(&[
        "roadmap",
        "eu-digital-decade-2030",
        "--indicators-dir",
        &repo("indicators"),
        "--roadmaps-dir",
        &repo("indicators/roadmaps"),
        "--format",
        "csv",
    ])?;
    run.ok()?;
    // Notes hold commas: only the columns before `note` are read by position.
    let mut lines = run.stdout.lines();
    let header: Vec<&str> = lines.next().context("header")?.split(',').collect();
    let at = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .context(name.to_owned())
    };
    let (target, geo, baseline, baseline_value, status) = (
        at("target")?,
        at("geo")?,
        at("baseline_period")?,
        at("baseline_value")?,
        at("status")?,
    );
    let mut seen = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        seen += 1;
        if cells[target] == "cloud-ai-big-data" {
            // The union of cloud, AI and data analytics has one published year: the note says so.
            ensure!(
                cells[status] == "no data" && line.contains("not their union"),
                "{line}"
            );
            continue;
        }
        // Edge nodes, unicorns (data year 2025) and the e-health score (DESI 2023) have one
        // published year each; semiconductors, quantum computing and eID no data source at all.
        match cells[target] {
            "edge-nodes" | "unicorns" | "ehealth-records" => {
                ensure!(
                    cells[status] == "no data"
                        && (line.contains("no earlier year") || line.contains("no second year")),
                    "{line}"
                );
                continue;
            }
            "semiconductors" | "quantum-computing" | "eid" => {
                ensure!(
                    cells[status] == "not measurable" && line.contains(",\"no data source: "),
                    "{line}"
                );
                continue;
            }
            _ => {}
        }
        ensure!(
            ["on track", "at risk", "off track", "reached"].contains(&cells[status]),
            "{line}"
        );
        // Gigabit: the baseline is the workbook's 2020 (y5, 2b2) × 100.
        if cells[target] == "gigabit-households" {
            let file_geo = if cells[geo] == "EU27_2020" {
                "EU"
            } else {
                cells[geo]
            };
            ensure!(cells[baseline] == "2020", "{line}");
            ensure!(
                close(
                    cells[baseline_value].parse()?,
                    desi_2022_cell("2b2", "y5", file_geo)? * 100.0
                ),
                "{line}"
            );
        }
    }
    ensure!(seen == 25, "{seen} rows\n{}", run.stdout);
    Ok(())
}

#[test]
fn fetching_an_import_only_source_says_it_is_imported_by_hand() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = store(&server)?;
    let run = sandbox.run(&["fetch", "desi_2022_raw"])?;
    ensure!(!run.success(), "{run:?}");
    ensure!(
        run.stderr.contains("no live upstream") && run.stderr.contains("--dataset desi_2022_raw"),
        "{}",
        run.stderr
    );
    // `sources` lists it with its imported version and no next run.
    let run = sandbox.run(&["sources"])?;
    run.ok()?;
    ensure!(run.stdout.contains("desi_2022_raw"), "{}", run.stdout);
    Ok(())
}
