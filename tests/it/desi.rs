//! `desi-city desi`: imports the Commission's DESI 2022 wide table with `--format desi-wide`,
//! computes the composite with the real binary, and checks it against the Commission's published
//! scores (to 1e-9) and for completeness (every geo and edition has a DESI score).

use std::collections::HashMap;

use anyhow::{Context as _, Result, ensure};

use crate::support::{EU27, Sandbox};
use crate::upstream::shared_file;

/// The methodology files shipped in the repository.
fn methodology_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/indicators/methodology").to_owned()
}

/// A sandbox holding `desi_2022_complete`, imported from the shared workbook table.
fn imported() -> Result<Sandbox> {
    let sandbox = Sandbox::offline()?;
    let path = shared_file("desi/2022/indicators_complete.csv");
    let path = path.to_str().context("the shared data path is UTF-8")?;
    sandbox
        .run(&[
            "import",
            path,
            "--dataset",
            "desi_2022_complete",
            "--format",
            "desi-wide",
        ])?
        .ok()?;
    Ok(sandbox)
}

/// `(edition, geo, level, code)` → score, from the command's CSV.
type Scores = HashMap<(i32, String, String, String), Option<f64>>;

fn parse_csv(text: &str) -> Result<Scores> {
    let mut lines = text.lines();
    ensure!(
        lines.next() == Some("methodology,edition,geo,level,code,score"),
        "unexpected CSV header in {text:.200}"
    );
    let mut scores = Scores::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        ensure!(f.len() == 6, "a CSV row without 6 fields: {line}");
        ensure!(f[0] == "2022", "methodology {} in {line}", f[0]);
        let score = if f[5].is_empty() {
            None
        } else {
            Some(
                f[5].parse::<f64>()
                    .with_context(|| format!("score in {line}"))?,
            )
        };
        let key = (
            f[1].parse()?,
            f[2].to_owned(),
            f[3].to_owned(),
            f[4].to_owned(),
        );
        ensure!(
            scores.insert(key, score).is_none(),
            "a row given twice: {line}"
        );
    }
    Ok(scores)
}

#[test]
fn the_2022_composite_reproduces_the_commissions_published_scores() -> Result<()> {
    let sandbox = imported()?;
    let dir = methodology_dir();
    let run = sandbox.run(&[
        "desi",
        "--methodology",
        "2022",
        "--format",
        "csv",
        "--methodology-dir",
        &dir,
    ])?;
    run.ok()?;
    let scores = parse_csv(&run.stdout)?;
    let published = [
        ("BE", "desi", "desi", 50.30738810513644),
        ("BE", "dimension", "1", 48.690993939393934),
        ("BE", "dimension", "2", 39.826793997999374),
        ("AT", "desi", "desi", 54.67567056979447),
    ];
    for (geo, level, code, want) in published {
        let key = (2022, geo.to_owned(), level.to_owned(), code.to_owned());
        let got = scores
            .get(&key)
            .copied()
            .flatten()
            .with_context(|| format!("no score for {key:?}"))?;
        ensure!(
            (got - want).abs() <= 1e-9,
            "{key:?}: computed {got}, published {want}"
        );
    }

    let mut geos: Vec<&str> = EU27.to_vec();
    geos.push("EU");
    for edition in 2017..=2022 {
        for geo in &geos {
            let key = (
                edition,
                geo.to_string(),
                "desi".to_owned(),
                "desi".to_owned(),
            );
            ensure!(
                matches!(scores.get(&key), Some(Some(s)) if s.is_finite()),
                "no DESI score for {key:?}"
            );
        }
    }
    let totals = scores.keys().filter(|k| k.2 == "desi").count();
    ensure!(totals == 6 * 28, "{totals} DESI rows, expected 168");
    ensure!(
        scores.len() == 6 * 28 * 15,
        "{} rows, expected 2520",
        scores.len()
    );
    Ok(())
}

#[test]
fn one_edition_can_be_asked_for_and_an_unknown_one_lists_the_known_editions() -> Result<()> {
    let sandbox = imported()?;
    let dir = methodology_dir();
    let run = sandbox.run(&[
        "desi",
        "--methodology",
        "2022",
        "--edition",
        "2019",
        "--format",
        "csv",
        "--methodology-dir",
        &dir,
    ])?;
    run.ok()?;
    let scores = parse_csv(&run.stdout)?;
    ensure!(
        scores.len() == 28 * 15,
        "{} rows for one edition",
        scores.len()
    );
    ensure!(
        scores.keys().all(|k| k.0 == 2019),
        "another edition slipped in"
    );

    let run = sandbox.run(&[
        "desi",
        "--methodology",
        "2022",
        "--edition",
        "2016",
        "--methodology-dir",
        &dir,
    ])?;
    run.failed()?
        .no_panic()?
        .stderr_has(&["2016", "2017, 2018, 2019, 2020, 2021, 2022"])?;
    Ok(())
}

#[test]
fn the_2020_methodology_is_refused_as_not_implemented_yet() -> Result<()> {
    let sandbox = imported()?;
    let dir = methodology_dir();
    let run = sandbox.run(&["desi", "--methodology", "2020", "--methodology-dir", &dir])?;
    run.failed()?
        .no_panic()?
        .stderr_has(&["the DESI 2020 methodology is not implemented yet: "])?;
    Ok(())
}

#[test]
fn without_the_imported_table_the_error_says_how_to_import_it() -> Result<()> {
    let sandbox = Sandbox::offline()?;
    let dir = methodology_dir();
    let run = sandbox.run(&["desi", "--methodology", "2022", "--methodology-dir", &dir])?;
    run.failed()?.no_panic()?.stderr_has(&[
        "desi_2022_complete",
        "desi-city import",
        "--format desi-wide",
    ])?;
    Ok(())
}

#[test]
fn the_table_format_prints_titles_and_the_attribution() -> Result<()> {
    let sandbox = imported()?;
    let dir = methodology_dir();
    let run = sandbox.run(&[
        "desi",
        "--methodology",
        "2022",
        "--edition",
        "2022",
        "--methodology-dir",
        &dir,
    ])?;
    run.ok()?;
    ensure!(
        run.stdout.contains("Human capital") && run.stdout.contains("50.3074"),
        "table output: {}",
        run.stdout
    );
    ensure!(
        run.stdout.contains("Source: European Commission, DESI"),
        "no attribution: {}",
        run.stdout
    );
    Ok(())
}
