//! The Digital Decade data: fetches the Commission's DESI platform facts (`desi`,
//! `desi_dd_trajectories`, format `desi-facts`) and Eurostat's cloud download (`isoc_cicce_use`,
//! TSV) from the local server at their upstream paths with the shipped catalogue, then checks
//! `desi-city indicators ID` for every Digital Decade indicator and `desi-city roadmap
//! eu-digital-decade-2030` against the real files of `shared/data`; also `desi-city import` of
//! the same facts file.
//!
//! Expected numbers were read from the shared files (see each comment: the line of the file);
//! nothing here recomputes them with the code under test.

use std::collections::HashMap;

use anyhow::{Context as _, Result, ensure};

use crate::support::Sandbox;
use crate::upstream::{Upstream, platform_facts_path, sdmx_path, shared_data};

fn repo(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// A sandbox with the shipped catalogue (its upstream URLs on the local server) and the platform
/// facts and the cloud download fetched.
fn fetched(server: &Upstream) -> Result<Sandbox> {
    let sandbox = Sandbox::new(server)?;
    sandbox.write_shipped_catalogue()?;
    sandbox
        .fetch(&["desi", "desi_dd_trajectories", "isoc_cicce_use"])?
        .ok()?;
    Ok(sandbox)
}

type Row = HashMap<String, String>;

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

/// The rows of a CSV output, by column name.
fn csv_rows(text: &str) -> Result<Vec<Row>> {
    let mut lines = text.lines();
    let header = split_csv(lines.next().context("no CSV header")?);
    lines
        .map(|line| {
            let fields = split_csv(line);
            ensure!(fields.len() == header.len(), "bad row {line}");
            Ok(header.iter().cloned().zip(fields).collect())
        })
        .collect()
}

/// `(geo, period)` → row of `desi-city indicators ID --geo GEOS --format csv`.
fn values(sandbox: &Sandbox, id: &str, geos: &str) -> Result<HashMap<(String, String), Row>> {
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

fn number(row: &Row, column: &str) -> Result<f64> {
    row[column]
        .parse::<f64>()
        .with_context(|| format!("{column} of {row:?}"))
}

/// One published value: geo, data year, value, flags.
type Published = (&'static str, &'static str, f64, &'static str);

fn expect(id: &str, rows: &HashMap<(String, String), Row>, want: &[Published]) -> Result<()> {
    for &(geo, period, value, flags) in want {
        let row = rows
            .get(&(geo.to_owned(), period.to_owned()))
            .with_context(|| format!("{id}: no row for {geo} {period} in {:?}", rows.keys()))?;
        let got = number(row, "value")?;
        ensure!(
            (got - value).abs() < 1e-9,
            "{id} {geo} {period}: value {got}, want {value}\n{row:?}"
        );
        ensure!(
            row["flags"] == flags,
            "{id} {geo} {period}: flags {:?}, want {flags:?}",
            row["flags"]
        );
    }
    Ok(())
}

#[test]
fn the_platform_facts_and_the_cloud_download_are_fetched_at_their_upstream_paths() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let _sandbox = fetched(&server)?;
    for group in ["desi", "dd-trajectories-eu"] {
        let seen = server.requests_to(&platform_facts_path(group));
        ensure!(!seen.is_empty(), "no request for chart group {group}");
        ensure!(
            seen.iter()
                .all(|r| r.param("format") == Some("csv") && r.status == 200),
            "{seen:?}"
        );
    }
    let cloud = server.requests_to(&sdmx_path("isoc_cicce_use"));
    ensure!(
        cloud.iter().any(|r| r
            .param("format")
            .is_some_and(|f| f.eq_ignore_ascii_case("tsv"))
            && r.status == 200),
        "{cloud:?}"
    );
    Ok(())
}

#[test]
fn every_digital_decade_indicator_shows_the_published_values_with_their_flags() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched(&server)?;
    // Lines of facts_desi.csv (`desi_2026,<geo>,<indicator>,<breakdown>,<unit>,<value>,<flags>,
    // <reference_period>,`; the platform's EU is EU27_2020) and of isoc_cicce_use.tsv.
    let cases: [(&str, &str, &[Published]); 12] = [
        (
            "basic_digital_skills_desi",
            "BE,EU27_2020",
            &[("BE", "2025", 61.22, ""), ("EU27_2020", "2025", 60.39, "")],
        ),
        (
            "gigabit_coverage",
            "BE,EU27_2020",
            &[
                ("BE", "2025", 96.247692, ""),
                ("EU27_2020", "2025", 85.614607, ""),
            ],
        ),
        (
            "fibre_coverage",
            "BE,EU27_2020",
            &[
                ("BE", "2025", 35.509256, ""),
                ("EU27_2020", "2025", 74.125927, ""),
            ],
        ),
        (
            "5g_coverage",
            "BE,EU27_2020",
            &[
                ("BE", "2025", 99.94092, ""),
                ("EU27_2020", "2025", 96.785653, ""),
            ],
        ),
        (
            // desi_2026,EE,desi_sme_di3_gelo,ent_sm_xfin,pc_ent,72.12,d,2025,
            "smes_basic_digital_intensity_desi",
            "BE,EU27_2020,EE",
            &[
                ("BE", "2025", 84.35, ""),
                ("EU27_2020", "2025", 71.39, ""),
                ("EE", "2025", 72.12, "d"),
            ],
        ),
        (
            // desi_2026,CZ,desi_ai_cloud_da,ent_all_xfin,pc_ent,61.03,b,2025,
            "enterprises_ai_cloud_data_analytics",
            "BE,EU27_2020,CZ",
            &[
                ("BE", "2025", 74.53, ""),
                ("EU27_2020", "2025", 63.2, ""),
                ("CZ", "2025", 61.03, "b"),
            ],
        ),
        (
            "digital_public_services_citizens",
            "BE,EU27_2020",
            &[
                ("BE", "2025", 81.60379, ""),
                ("EU27_2020", "2025", 84.644388, ""),
            ],
        ),
        (
            "digital_public_services_businesses",
            "BE,EU27_2020",
            &[
                ("BE", "2025", 95.972222, ""),
                ("EU27_2020", "2025", 88.587266, ""),
            ],
        ),
        (
            // desi_2018,BE,…,62.0683 and desi_2023,BE,…,88.09 (no reference_period: the year
            // before the edition).
            "egovernment_users_desi",
            "BE,EU27_2020",
            &[
                ("BE", "2017", 62.0683, ""),
                ("BE", "2021", 74.3633, ""),
                ("BE", "2022", 88.09, ""),
                ("EU27_2020", "2017", 58.3384, ""),
                ("EU27_2020", "2022", 74.2, ""),
            ],
        ),
        (
            "egovernment_users_any_service",
            "BE,EU27_2020",
            &[("BE", "2025", 87.59, ""), ("EU27_2020", "2025", 76.03, "")],
        ),
        (
            // facts_dd_trajectories_eu.csv: 2011,EU,dd_ictspec,dd_hist_2023,mio_ind,5.6621 …
            "ict_specialists_eu_millions",
            "EU27_2020",
            &[
                ("EU27_2020", "2011", 5.6621, ""),
                ("EU27_2020", "2020", 8.4227, ""),
                ("EU27_2020", "2022", 9.3702, ""),
            ],
        ),
        (
            // A,GE10,C10-S951_X_K,E_CC1_SI,PC_ENT,{BE,EU27_2020,FR}: 2021, 2023, 2025 columns.
            "enterprises_cloud_sophisticated",
            "BE,EU27_2020,FR",
            &[
                ("BE", "2021", 46.87, ""),
                ("BE", "2023", 47.69, ""),
                ("BE", "2025", 58.51, ""),
                ("EU27_2020", "2025", 46.69, ""),
                ("FR", "2023", 22.95, "b"),
            ],
        ),
    ];
    for (id, geos, want) in cases {
        let rows = values(&sandbox, id, geos)?;
        expect(id, &rows, want)?;
        // Every BE row compares with the EU's value of the same year.
        for ((geo, period), row) in &rows {
            if geo == "BE"
                && let Some(eu) = rows.get(&("EU27_2020".to_owned(), period.clone()))
            {
                ensure!(
                    row["eu27_value"] == eu["value"],
                    "{id} {period}: {row:?} vs {eu:?}"
                );
            }
        }
    }
    // The longest cloud series: A,GE10,C10-S951_X_K,E_CC,PC_ENT,BE 21.24 (2014) … 61.62 (2025);
    // FR 2023 `26.76 b`; no 2019, 2022 or 2024 value.
    let rows = values(&sandbox, "enterprises_buying_cloud", "BE,EU27_2020,FR")?;
    expect(
        "enterprises_buying_cloud",
        &rows,
        &[
            ("BE", "2014", 21.24, ""),
            ("BE", "2025", 61.62, ""),
            ("EU27_2020", "2014", 17.82, ""),
            ("FR", "2023", 26.76, "b"),
        ],
    )?;
    ensure!(
        !rows.keys().any(|(_, p)| p == "2019" || p == "2022"),
        "{:?}",
        rows.keys()
    );
    Ok(())
}

/// `(target, geo)` → row of a roadmap's progress.
type Progress = HashMap<(String, String), Row>;

/// `(target, geo)` → row of `desi-city roadmap ID --geo BE,EU27_2020 --format csv`, and stderr.
fn progress(sandbox: &Sandbox, dir: &str, id: &str) -> Result<(Progress, String)> {
    let run = sandbox.run(&[
        "roadmap",
        id,
        "--roadmaps-dir",
        dir,
        "--indicators-dir",
        &repo("indicators"),
        "--geo",
        "BE,EU27_2020",
        "--format",
        "csv",
    ])?;
    run.ok()?;
    let rows = csv_rows(&run.stdout)?
        .into_iter()
        .map(|r| ((r["target"].clone(), r["geo"].clone()), r))
        .collect();
    Ok((rows, run.stderr))
}

#[test]
fn every_digital_decade_target_shows_the_published_target_value() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched(&server)?;
    let (rows, stderr) = progress(
        &sandbox,
        &repo("indicators/roadmaps"),
        "eu-digital-decade-2030",
    )?;
    // The dd_target_2030 facts (period 2030, country EU) of facts_desi.csv, and dd_ictspec's of
    // facts_dd_trajectories_eu.csv (mio_ind 20.0).
    let published = [
        ("basic-digital-skills", 80.0),
        ("ict-specialists", 20.0),
        ("gigabit-households", 100.0),
        ("fibre-households", 100.0),
        ("5g-populated-areas", 100.0),
        ("cloud-ai-big-data", 75.0),
        ("smes-basic-digital-intensity", 90.0),
        ("key-public-services-online", 100.0),
        ("key-public-services-businesses", 100.0),
        ("unicorns", 500.0),
        ("ehealth-records", 100.0),
    ];
    // The Decision's targets the platform publishes no target value of: edge nodes (10,000, the
    // file's value), and three with no data at all.
    let unmeasured = [
        ("semiconductors", "EU27_2020"),
        ("quantum-computing", "EU27_2020"),
        ("eid", "EU27_2020"),
        ("eid", "BE"),
    ];
    // A target is measured only for the geos it names: the 20 million ICT specialists, the
    // unicorns, edge nodes, semiconductors and quantum computing are the EU's alone.
    let eu_only = ["ict-specialists", "unicorns"];
    ensure!(
        // (+ 1: edge nodes, the EU's, with no published target value)
        rows.len() == published.len() * 2 - eu_only.len() + 1 + unmeasured.len(),
        "{:?}",
        rows.keys().collect::<Vec<_>>()
    );
    for (target, value) in published {
        let geos: &[&str] = if eu_only.contains(&target) {
            &["EU27_2020"]
        } else {
            &["BE", "EU27_2020"]
        };
        for geo in geos {
            let row = rows
                .get(&(target.to_owned(), (*geo).to_owned()))
                .with_context(|| format!("no row for {target} {geo}"))?;
            ensure!(
                number(row, "target_value")? == value && row["target_period"] == "2030",
                "{target} {geo}: {row:?}"
            );
            ensure!(
                row["status"] != "not measurable",
                "{target} {geo} is measured from real data: {row:?}\n{stderr}"
            );
        }
    }
    // One year of platform data: the latest value is the fact, and the status says why there is
    // no pace yet.
    let skills = &rows[&("basic-digital-skills".to_owned(), "BE".to_owned())];
    ensure!(
        skills["latest_period"] == "2025" && number(skills, "latest_value")? == 61.22,
        "{skills:?}"
    );
    // ICT specialists, EU: 2020 = 8.4227, 2022 = 9.3702 million, target 20 in 2030. Required
    // (20 − 8.4227) / 10 = 1.15773 a year, actual (9.3702 − 8.4227) / 2 = 0.47375: pace 0.41 <
    // 0.8, off track. Belgium has no value of this EU head count.
    let ict = &rows[&("ict-specialists".to_owned(), "EU27_2020".to_owned())];
    ensure!(
        ict["baseline_period"] == "2020" && ict["latest_period"] == "2022",
        "{ict:?}"
    );
    let pace = number(ict, "pace_ratio")?;
    ensure!(
        (pace - (9.3702 - 8.4227) / 2.0 / ((20.0 - 8.4227) / 10.0)).abs() < 1e-9,
        "{ict:?}"
    );
    ensure!(ict["status"] == "off track", "{ict:?}");
    for target in [
        "ict-specialists",
        "unicorns",
        "edge-nodes",
        "semiconductors",
        "quantum-computing",
    ] {
        ensure!(
            !rows.contains_key(&(target.to_owned(), "BE".to_owned())),
            "an EU-only target ({target}) was scored for BE"
        );
    }
    // A target with no data source says so, and why.
    for (target, geo) in unmeasured {
        let row = &rows[&(target.to_owned(), geo.to_owned())];
        ensure!(
            row["status"] == "not measurable"
                && row["note"].starts_with("no data source: ")
                && row["latest_value"].is_empty(),
            "{target} {geo}: {row:?}"
        );
    }
    // One year of data gives the latest value but no pace, and the note says why: edge nodes
    // (EU 7,451 in 2025, the Decision's 10,000), unicorns (324, the platform's 500) and the
    // e-health score (BE 85.07 in DESI 2023, data year 2022).
    for (target, geo, latest, year) in [
        ("edge-nodes", "EU27_2020", 7451.0, "2025"),
        ("unicorns", "EU27_2020", 324.0, "2025"),
        ("ehealth-records", "BE", 85.065238, "2022"),
    ] {
        let row = &rows[&(target.to_owned(), geo.to_owned())];
        ensure!(
            row["status"] == "no data"
                && number(row, "latest_value")? == latest
                && row["latest_period"] == year
                && row["note"].starts_with("fewer than two years of ")
                && row["pace_ratio"].is_empty(),
            "{target} {geo}: {row:?}"
        );
    }
    ensure!(
        number(
            &rows[&("edge-nodes".to_owned(), "EU27_2020".to_owned())],
            "target_value"
        )? == 10000.0,
        "edge nodes: the Decision's 10,000"
    );
    // Every row has a status from the data, or one that says why there is none.
    for ((target, geo), row) in &rows {
        let measured =
            ["on track", "at risk", "off track", "reached"].contains(&row["status"].as_str());
        ensure!(
            measured || !row["note"].is_empty(),
            "{target} {geo} has neither a status nor a reason: {row:?}"
        );
    }
    Ok(())
}

#[test]
fn a_target_value_is_taken_from_the_store_and_a_target_in_the_wrong_unit_is_refused() -> Result<()>
{
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched(&server)?;
    let dir = sandbox.root.join("roadmaps");
    std::fs::create_dir_all(&dir)?;
    let shipped = std::fs::read_to_string(repo("indicators/roadmaps/eu-digital-decade-2030.toml"))?;
    // The file's own number for skills set to 1: the published 80 must replace it. The 5G target
    // rewritten as a head count on its percentage indicator: refused, the others still measured.
    let edited = shipped
        .replace("id = \"eu-digital-decade-2030\"", "id = \"edited\"")
        .replacen("value = 80.0", "value = 1.0", 1)
        .replacen(
            "indicator = \"5g_coverage\"\nvalue = 100.0\nunit = \"% of households\"",
            "indicator = \"5g_coverage\"\nvalue = 100.0\nunit = \"antennas\"",
            1,
        );
    ensure!(edited.contains("unit = \"antennas\""), "the edit applied");
    std::fs::write(dir.join("edited.toml"), edited)?;
    let (rows, stderr) = progress(&sandbox, dir.to_str().context("UTF-8 path")?, "edited")?;
    let skills = &rows[&("basic-digital-skills".to_owned(), "EU27_2020".to_owned())];
    ensure!(number(skills, "target_value")? == 80.0, "{skills:?}");
    ensure!(
        stderr.contains("basic-digital-skills: target value 80 from desi (the file says 1)"),
        "{stderr}"
    );
    ensure!(
        stderr.contains("edited.toml")
            && stderr.contains("targets[4] (5g-populated-areas).indicator")
            && stderr.contains("Point the target at an indicator in its unit"),
        "{stderr}"
    );
    let five_g = &rows[&("5g-populated-areas".to_owned(), "BE".to_owned())];
    ensure!(
        five_g["status"] == "not measurable" && five_g["note"].contains("unit mismatch"),
        "{five_g:?}"
    );
    let gigabit = &rows[&("gigabit-households".to_owned(), "BE".to_owned())];
    ensure!(gigabit["status"] != "not measurable", "{gigabit:?}");
    Ok(())
}

#[test]
fn the_facts_file_imported_by_hand_gives_the_same_values() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    // desi_2022_raw: the workbook gigabit_coverage names as [[also]] (not imported here: the
    // values below are the platform's alone).
    for name in ["desi.toml", "desi_2022_raw.toml", "geo-groups.toml"] {
        sandbox.write_catalogue_file(
            name,
            &std::fs::read_to_string(repo(&format!("datasets/{name}")))?,
        )?;
    }
    let file = shared_data().join("desi/platform/facts_desi.csv");
    let run = sandbox.run(&[
        "import",
        file.to_str().context("UTF-8 path")?,
        "--dataset",
        "desi",
    ])?;
    run.ok()?;
    ensure!(
        run.stdout.contains("format desi-facts"),
        "{}",
        run.describe()
    );
    let rows = values(&sandbox, "gigabit_coverage", "BE,EU27_2020")?;
    expect(
        "gigabit_coverage",
        &rows,
        &[
            ("BE", "2025", 96.247692, ""),
            ("EU27_2020", "2025", 85.614607, ""),
        ],
    )?;
    Ok(())
}
