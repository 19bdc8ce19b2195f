//! `desi-city indicators`: fetches `isoc_ci_in_h` (JSON-stat) and `isoc_r_iacc_h` (SDMX-CSV) from
//! the local server into a temp store, and checks the list of the shipped definitions and the
//! values of two of them against the real files of `shared/data` (values, EU27 value, ranks,
//! change, version).
//!
//! Expected numbers were read from the shared files with python3 (see each comment); nothing here
//! recomputes them with the code under test.

use std::collections::HashMap;

use anyhow::{Context as _, Result, ensure};

use crate::support::{Sandbox, fetched_households};
use crate::upstream::Upstream;

/// The indicator definitions shipped in the repository.
fn indicators_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/indicators").to_owned()
}

/// One CSV row of `desi-city indicators ID --format csv`, by column name.
type Row = HashMap<String, String>;

/// `(geo, period)` → row.
fn values(sandbox: &Sandbox, id: &str, geos: &str) -> Result<HashMap<(String, String), Row>> {
    let dir = indicators_dir();
    let run = sandbox.run(&[
        "indicators",
        id,
        "--indicators-dir",
        &dir,
        "--geo",
        geos,
        "--format",
        "csv",
    ])?;
    run.ok()?;
    let mut lines = run.stdout.lines();
    let header: Vec<String> = lines
        .next()
        .context("no CSV header")?
        .split(',')
        .map(str::to_owned)
        .collect();
    ensure!(
        header.join(",")
            == "indicator,geo,period,value,flags,eu27_value,rank_eu27,rank_capitals,change,previous_period,version",
        "unexpected header {header:?}"
    );
    let mut rows = HashMap::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        ensure!(fields.len() == header.len(), "bad row {line}");
        let row: Row = header
            .iter()
            .cloned()
            .zip(fields.iter().map(|f| f.to_string()))
            .collect();
        rows.insert((row["geo"].clone(), row["period"].clone()), row);
    }
    Ok(rows)
}

fn cell<'a>(rows: &'a HashMap<(String, String), Row>, geo: &str, period: &str) -> Result<&'a Row> {
    rows.get(&(geo.to_owned(), period.to_owned()))
        .with_context(|| format!("no row for {geo} {period}"))
}

fn number(row: &Row, column: &str) -> Result<f64> {
    row[column]
        .parse::<f64>()
        .with_context(|| format!("{column} of {row:?}"))
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() < 1e-9
}

#[test]
fn the_list_shows_the_usable_definitions_and_reports_the_others_on_stderr() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let dir = indicators_dir();
    let run = sandbox.run(&["indicators", "--indicators-dir", &dir, "--lang", "fr"])?;
    run.ok()?;
    ensure!(
        run.stdout.contains("households_internet_access")
            && run.stdout.contains("Ménages ayant accès à internet"),
        "the French title is listed\n{}",
        run.describe()
    );
    // The sandbox's catalogue has only two sources: the other definitions are refused, one by one.
    run.stderr_has(&[
        "basic_digital_skills.toml",
        "isoc_sk_dskl_i21",
        "key \"source\"",
    ])?;
    ensure!(
        !run.stdout.contains("basic_digital_skills"),
        "a refused definition is not listed\n{}",
        run.describe()
    );

    let missing = sandbox.root.join("nowhere");
    let missing = missing.to_str().context("UTF-8 path")?;
    sandbox
        .run(&["indicators", "--indicators-dir", missing])?
        .failed()?
        .stderr_has(&["nowhere", "--indicators-dir"])?;
    Ok(())
}

#[test]
fn the_country_values_match_the_shared_jsonstat_file_with_eu_value_rank_and_change() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let rows = values(&sandbox, "households_internet_access", "BE,EU27_2020")?;
    let version = sandbox.current("isoc_ci_in_h")?.version;

    // isoc_ci_in_h.json: BE 2021 = 91.97, 2022 = 94.44, 2023 = 94.48; EU27_2020 2020 = 91.3 (e),
    // 2021 = 92.3 (b). Ranks among the 27 by value, highest first: BE is 13th in 2021, 8th in 2023.
    let be_2021 = cell(&rows, "BE", "2021")?;
    ensure!(close(number(be_2021, "value")?, 91.97), "{be_2021:?}");
    ensure!(close(number(be_2021, "eu27_value")?, 92.3), "{be_2021:?}");
    ensure!(be_2021["rank_eu27"] == "13", "{be_2021:?}");
    ensure!(
        be_2021["rank_capitals"].is_empty(),
        "a country indicator: {be_2021:?}"
    );
    ensure!(be_2021["version"] == version, "{be_2021:?} vs {version}");
    let be_2022 = cell(&rows, "BE", "2022")?;
    ensure!(
        close(number(be_2022, "change")?, 94.44 - 91.97),
        "{be_2022:?}"
    );
    ensure!(be_2022["previous_period"] == "2021", "{be_2022:?}");
    ensure!(
        cell(&rows, "BE", "2023")?["rank_eu27"] == "8",
        "BE 2023 rank"
    );
    let eu_2021 = cell(&rows, "EU27_2020", "2021")?;
    ensure!(close(number(eu_2021, "value")?, 92.3), "{eu_2021:?}");
    ensure!(
        eu_2021["flags"] == "b",
        "flags carried through: {eu_2021:?}"
    );
    ensure!(
        eu_2021["rank_eu27"].is_empty(),
        "the EU is not ranked: {eu_2021:?}"
    );
    ensure!(
        cell(&rows, "EU27_2020", "2020")?["flags"] == "e",
        "EU 2020 flag"
    );
    ensure!(
        !rows
            .keys()
            .any(|(geo, _)| geo != "BE" && geo != "EU27_2020"),
        "only the asked geos"
    );
    Ok(())
}

#[test]
fn the_regional_values_give_brussels_its_rank_among_the_capital_regions() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let rows = values(&sandbox, "households_internet_access_regional", "BE10,BE")?;

    // isoc_r_iacc_h_excerpt.csv: BE10 2022 = 95.76, 2023 = 95.01; the excerpt's capital regions in
    // 2023: AT13 96.18, CZ01 95.95, BE10 95.01, BG41 92.82, CY00 92.30 → BE10 is 3rd of 5.
    let bxl_2023 = cell(&rows, "BE10", "2023")?;
    ensure!(close(number(bxl_2023, "value")?, 95.01), "{bxl_2023:?}");
    ensure!(bxl_2023["rank_capitals"] == "3", "{bxl_2023:?}");
    ensure!(
        bxl_2023["rank_eu27"].is_empty(),
        "a region is not a member state"
    );
    ensure!(
        close(number(bxl_2023, "change")?, 95.01 - 95.76),
        "{bxl_2023:?}"
    );
    // Member states in the excerpt in 2022: BE 94.44, CY 94.00, AT 93.15, CZ 91.48, BG 87.31.
    let be_2022 = cell(&rows, "BE", "2022")?;
    ensure!(be_2022["rank_eu27"] == "1", "{be_2022:?}");
    Ok(())
}

#[test]
fn a_filter_on_a_column_the_data_lacks_is_refused_for_that_indicator() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let dir = sandbox.root.join("indicators");
    std::fs::create_dir_all(&dir)?;
    let good = std::fs::read_to_string(format!(
        "{}/households_internet_access.toml",
        indicators_dir()
    ))?;
    std::fs::write(dir.join("households_internet_access.toml"), &good)?;
    let bad = good
        .replace(
            "id = \"households_internet_access\"",
            "id = \"households_by_type\"",
        )
        .replace(
            "hhtyp = \"TOTAL\"",
            "hhtyp = \"TOTAL\"\nind_type = \"IND_TOTAL\"",
        );
    std::fs::write(dir.join("households_by_type.toml"), bad)?;
    let dir = dir.to_str().context("UTF-8 path")?;
    sandbox
        .run(&["indicators", "households_by_type", "--indicators-dir", dir])?
        .failed()?
        .stderr_has(&["households_by_type.toml", "filter.ind_type", "hhtyp"])?;
    sandbox
        .run(&[
            "indicators",
            "households_internet_access",
            "--indicators-dir",
            dir,
            "--geo",
            "BE",
        ])?
        .ok()?;
    Ok(())
}
