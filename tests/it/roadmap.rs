//! `desi-city roadmap`: fetches `isoc_ci_in_h` (JSON-stat) and `isoc_r_iacc_h` (SDMX-CSV) from the
//! local server into a temp store, and checks the progress of the shipped roadmaps for BE10, BE
//! and EU27_2020 against numbers computed by hand from the real files of `shared/data`, the
//! statuses of targets that cannot be measured, and the refusal of a bad roadmap file.
//!
//! Expected numbers were read from the shared files (see each comment) and worked out with the
//! formulas of indicators/roadmaps/README.md; nothing here calls the code under test to get them.

use std::collections::HashMap;

use anyhow::{Context as _, Result, ensure};

use crate::support::{Sandbox, fetched_households};
use crate::upstream::Upstream;

fn shipped(folder: &str) -> String {
    format!("{}/{folder}", env!("CARGO_MANIFEST_DIR"))
}

/// Splits one CSV line, honouring `"…"` fields with `""` inside.
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(f) = fields.last_mut() {
                    f.push('"');
                }
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

type Row = HashMap<String, String>;

/// `(target, geo)` → row of `desi-city roadmap ID --format csv`.
fn progress(sandbox: &Sandbox, id: &str) -> Result<HashMap<(String, String), Row>> {
    let run = sandbox.run(&[
        "roadmap",
        id,
        "--roadmaps-dir",
        &shipped("indicators/roadmaps"),
        "--indicators-dir",
        &shipped("indicators"),
        "--format",
        "csv",
    ])?;
    run.ok()?;
    crate::support::crlf_lines("roadmap --format csv", &run.stdout)?;
    let mut lines = run.stdout.lines();
    let header = split_csv(lines.next().context("no CSV header")?);
    ensure!(
        header.join(",")
            == "roadmap,target,indicator,geo,baseline_period,baseline_value,latest_period,latest_value,target_period,target_value,share_covered,required_yearly_change,actual_yearly_change,pace_ratio,linear_projection,compound_projection,projected_year,status,note,reason",
        "unexpected header {header:?}"
    );
    let mut rows = HashMap::new();
    for line in lines {
        let fields = split_csv(line);
        ensure!(fields.len() == header.len(), "bad row {line}");
        let row: Row = header.iter().cloned().zip(fields).collect();
        rows.insert((row["target"].clone(), row["geo"].clone()), row);
    }
    Ok(rows)
}

fn row<'a>(rows: &'a HashMap<(String, String), Row>, target: &str, geo: &str) -> Result<&'a Row> {
    rows.get(&(target.to_owned(), geo.to_owned()))
        .with_context(|| format!("no row for {target} {geo}"))
}

fn number(row: &Row, column: &str) -> Result<f64> {
    row[column]
        .parse::<f64>()
        .with_context(|| format!("{column} of {row:?}"))
}

fn check(row: &Row, column: &str, want: f64) -> Result<()> {
    let got = number(row, column)?;
    ensure!(
        (got - want).abs() < 1e-9,
        "{column}: got {got}, want {want}\n{row:?}"
    );
    Ok(())
}

#[test]
fn brussels_belgium_and_the_eu_progress_match_the_shared_files_worked_by_hand() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let rows = progress(&sandbox, "brussels-capital-example")?;

    // isoc_r_iacc_h_excerpt.csv, BE10: 2020 = 89.52, 2025 = 92.03; target 99 in 2030.
    let bxl = row(&rows, "households-internet-access", "BE10")?;
    ensure!(
        bxl["baseline_period"] == "2020" && bxl["latest_period"] == "2025",
        "{bxl:?}"
    );
    check(bxl, "baseline_value", 89.52)?;
    check(bxl, "latest_value", 92.03)?;
    ensure!(bxl["target_period"] == "2030", "{bxl:?}");
    check(bxl, "target_value", 99.0)?;
    check(bxl, "share_covered", (92.03 - 89.52) / (99.0 - 89.52))?;
    check(bxl, "required_yearly_change", (99.0 - 89.52) / 10.0)?;
    check(bxl, "actual_yearly_change", (92.03 - 89.52) / 5.0)?;
    check(bxl, "linear_projection", 92.03 + (92.03 - 89.52))?;
    // Five years ahead at the growth rate of the five years behind: L × L / B.
    check(bxl, "compound_projection", 92.03 * 92.03 / 89.52)?;
    // (99 − 92.03) / 0.502 = 13.9 years → 2039; pace 0.502 / 0.948 = 0.53 < 0.8.
    ensure!(bxl["projected_year"] == "2039", "{bxl:?}");
    ensure!(bxl["status"] == "off track", "{bxl:?}");

    // isoc_ci_in_h.json, BE: 2020 = 90.86, 2025 = 94.68. Pace 0.764 / 0.814 = 0.94: at risk;
    // (99 − 94.68) / 0.764 = 5.65 years → 2031.
    let be = row(&rows, "households-internet-access-benchmark", "BE")?;
    check(be, "baseline_value", 90.86)?;
    check(be, "latest_value", 94.68)?;
    check(be, "required_yearly_change", (99.0 - 90.86) / 10.0)?;
    check(be, "actual_yearly_change", (94.68 - 90.86) / 5.0)?;
    check(
        be,
        "pace_ratio",
        ((94.68 - 90.86) / 5.0) / ((99.0 - 90.86) / 10.0),
    )?;
    check(be, "compound_projection", 94.68 * 94.68 / 90.86)?;
    ensure!(be["projected_year"] == "2031", "{be:?}");
    ensure!(be["status"] == "at risk", "{be:?}");

    // isoc_ci_in_h.json, EU27_2020: 2020 = 91.3 (e), 2025 = 94.76. Pace 0.692 / 0.77 = 0.90: at
    // risk; (99 − 94.76) / 0.692 = 6.13 years → 2032.
    let eu = row(&rows, "households-internet-access-benchmark", "EU27_2020")?;
    check(eu, "baseline_value", 91.3)?;
    check(eu, "latest_value", 94.76)?;
    check(eu, "share_covered", (94.76 - 91.3) / (99.0 - 91.3))?;
    check(eu, "linear_projection", 94.76 + (94.76 - 91.3))?;
    ensure!(eu["projected_year"] == "2032", "{eu:?}");
    ensure!(eu["status"] == "at risk", "{eu:?}");

    // The sandbox's catalogue lacks isoc_r_gov_i: that indicator does not load, the target says so.
    let egov = row(&rows, "egovernment-users", "BE10")?;
    ensure!(egov["status"] == "not measurable", "{egov:?}");
    ensure!(
        egov["note"].contains("egovernment_users_regional"),
        "{egov:?}"
    );
    Ok(())
}

#[test]
fn the_digital_decade_targets_without_their_data_are_reported_not_measurable() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let rows = progress(&sandbox, "eu-digital-decade-2030")?;
    // This sandbox has not fetched the DESI platform's facts (`desi`): the target says so.
    let gigabit = row(&rows, "gigabit-households", "EU27_2020")?;
    ensure!(gigabit["status"] == "not measurable", "{gigabit:?}");
    ensure!(
        gigabit["note"].contains("dataset desi is not in the store"),
        "{gigabit:?}"
    );
    ensure!(
        rows.keys().filter(|(_, geo)| geo == "EU27_2020").count() == 15,
        "the fifteen targets for the EU: {:?}",
        rows.keys()
    );

    let list = sandbox.run(&[
        "roadmap",
        "--roadmaps-dir",
        &shipped("indicators/roadmaps"),
        "--indicators-dir",
        &shipped("indicators"),
        "--lang",
        "fr",
    ])?;
    list.ok()?;
    ensure!(
        list.stdout.contains("eu-digital-decade-2030")
            && list.stdout.contains("Bruxelles-Capitale")
            && list.stdout.contains("example"),
        "{}",
        list.describe()
    );
    Ok(())
}

#[test]
fn a_target_year_before_its_baseline_is_refused_naming_the_file_and_key() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let dir = sandbox.root.join("roadmaps");
    std::fs::create_dir_all(&dir)?;
    let good =
        std::fs::read_to_string(shipped("indicators/roadmaps/brussels-capital-example.toml"))?;
    let bad = good
        .replace("id = \"brussels-capital-example\"", "id = \"bad\"")
        .replacen("year = 2030", "year = 2019", 1);
    std::fs::write(dir.join("bad.toml"), bad)?;
    std::fs::write(dir.join("brussels-capital-example.toml"), good)?;
    let dir = dir.to_str().context("UTF-8 path")?;
    let indicators = shipped("indicators");
    sandbox
        .run(&[
            "roadmap",
            "bad",
            "--roadmaps-dir",
            dir,
            "--indicators-dir",
            &indicators,
        ])?
        .failed()?
        .stderr_has(&[
            "bad.toml",
            "targets[0] (households-internet-access).year",
            "baseline_from",
        ])?;
    let list = sandbox.run(&[
        "roadmap",
        "--roadmaps-dir",
        dir,
        "--indicators-dir",
        &indicators,
    ])?;
    list.ok()?.stderr_has(&["roadmap skipped", "bad.toml"])?;
    ensure!(
        list.stdout.contains("brussels-capital-example"),
        "the good roadmap is still listed\n{}",
        list.describe()
    );
    Ok(())
}
