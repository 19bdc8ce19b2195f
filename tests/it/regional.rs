//! `desi-city compute --geo …` and the desi-city regional scorecard (own method, not the
//! Commission's DESI): fetches `isoc_r_iacc_h` and `isoc_r_broad_h` (SDMX-CSV excerpts of
//! `shared/data`) from the local server into a temp store, and checks BE10's normalised scores
//! against numbers computed by hand from the files, the table's label, and the unknown-geo error.
//!
//! Expected numbers were read from the shared files with python3 (see the comments); nothing here
//! recomputes them with the code under test.

use std::collections::HashMap;

use anyhow::{Context as _, Result, ensure};

use crate::support::{Sandbox, Source};
use crate::upstream::Upstream;

fn indicators_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/indicators").to_owned()
}

/// Brussels, the Belgian regions, the capital regions the excerpts hold, Belgium and the EU.
const GEOS: [&str; 17] = [
    "BE",
    "BE10",
    "BE21",
    "BE22",
    "BE23",
    "BE24",
    "BE25",
    "BE31",
    "BE32",
    "BE33",
    "BE34",
    "BE35",
    "AT13",
    "BG41",
    "CY00",
    "CZ01",
    "EU27_2020",
];

fn fetched(server: &Upstream) -> Result<Sandbox> {
    let sandbox = Sandbox::new(server)?;
    let groups = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/geo-groups.toml"
    ))?;
    sandbox.write_catalogue_file("geo-groups.toml", &groups)?;
    for id in ["isoc_r_iacc_h", "isoc_r_broad_h"] {
        sandbox.add(
            &Source::eurostat(id, id, "sdmx-csv")
                .level("nuts2")
                .geo(&GEOS)
                .since(2015)
                .filter("unit", &["PC_HH"]),
        )?;
    }
    sandbox.fetch(&["isoc_r_iacc_h", "isoc_r_broad_h"])?.ok()?;
    Ok(sandbox)
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() < 1e-9
}

#[test]
fn brussels_scorecard_matches_the_min_max_computed_by_hand_from_the_shared_files() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched(&server)?;
    let dir = indicators_dir();
    let run = sandbox.run(&[
        "compute",
        "--geo",
        "BE10",
        "--indicators-dir",
        &dir,
        "--format",
        "csv",
    ])?;
    run.ok()?;
    crate::support::crlf_lines("compute --format csv", &run.stdout)?;
    let mut lines = run.stdout.lines();
    let header: Vec<&str> = lines.next().context("no CSV header")?.split(',').collect();
    let rows: Vec<HashMap<&str, &str>> = lines
        .map(|l| header.iter().copied().zip(l.split(',')).collect())
        .collect();
    let find = |section: &str, code: &str| {
        rows.iter()
            .find(|r| r["section"] == section && r["code"] == code)
            .with_context(|| format!("no {section} row {code}\n{}", run.describe()))
    };
    let number = |row: &HashMap<&str, &str>, column: &str| -> Result<f64> {
        row[column]
            .parse::<f64>()
            .with_context(|| format!("{column} of {row:?}"))
    };
    let section = "desi-city-regional-scorecard-own-method";
    // python3 over isoc_r_iacc_h_excerpt.csv, unit PC_HH, 2021 (the latest year in which BE10 has
    // both indicators: isoc_r_broad_h ends in 2021). Peers: the capital regions with a value
    // (AT13 96.15, BE10 93.0, BG41 86.23, CY00 93.41, CZ01 94.16) and BE21…BE35: min 85.18 (BE35),
    // max 96.15 (AT13). (93.0 - 85.18) / (96.15 - 85.18) * 100 = 71.28532360984498.
    let iacc = find(section, "households_internet_access_regional")?;
    ensure!(iacc["period"] == "2021", "period {:?}", iacc["period"]);
    let got = number(iacc, "value")?;
    ensure!(close(got, 71.28532360984498), "BE10 iacc score {got}");
    // Belgium on the same scale: (91.97 - 85.18) / 10.97 * 100.
    let be = number(iacc, "country_value")?;
    ensure!(
        close(be, (91.97 - 85.18) / (96.15 - 85.18) * 100.0),
        "BE iacc score {be}"
    );
    // isoc_r_broad_h 2021: only Belgian regions have a value; min 85.18 (BE35), max 96.11 (BE24).
    let broad = find(section, "households_broadband_regional")?;
    let got = number(broad, "value")?;
    ensure!(close(got, 71.54620311070447), "BE10 broadband score {got}");
    // Connectivity (equal weights) and the total (connectivity is the only dimension with data).
    let connectivity = number(find(section, "connectivity")?, "value")?;
    ensure!(
        close(connectivity, (71.28532360984498 + 71.54620311070447) / 2.0),
        "connectivity {connectivity}"
    );
    let total = find(section, "total")?;
    ensure!(close(number(total, "value")?, connectivity), "{total:?}");
    // Among the capital regions with a value in 2021 (AT13, BE10, BG41, CY00, CZ01 on iacc only).
    ensure!(total["ranked"] == "5", "{total:?}");
    // The indicator section carries the latest value as published: BE10 2025 is in the excerpt.
    let latest = find("indicator", "households_internet_access_regional")?;
    ensure!(latest["geo"] == "BE10", "{latest:?}");
    Ok(())
}

#[test]
fn the_table_names_the_scorecard_as_desi_citys_own_method_and_an_unknown_geo_lists_the_store()
-> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched(&server)?;
    let dir = indicators_dir();
    let run = sandbox.run(&["compute", "--geo", "BE10,BE", "--indicators-dir", &dir])?;
    run.ok()?;
    ensure!(
        run.stdout
            .contains("desi-city regional scorecard (own method, not the Commission's DESI)")
            && run.stdout.contains("households_internet_access_regional")
            && run.stdout.contains("roadmap"),
        "{}",
        run.describe()
    );
    sandbox
        .run(&["compute", "--geo", "XX99", "--indicators-dir", &dir])?
        .failed()?
        .stderr_has(&["XX99", "BE10", "CZ01"])?;
    Ok(())
}
