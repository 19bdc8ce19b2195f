//! `desi-city desi`: imports the Commission's DESI 2022 wide table with `--format desi-wide` (and
//! the DESI 2020 raw long CSV with `--format desi-csv`), computes the composite with the real
//! binary, and checks it against the Commission's published scores (2022 to 1e-9, 2020 to the
//! published 4 decimals) and for completeness (every geo and edition has a DESI 2022 score).

use std::collections::HashMap;

use anyhow::{Context as _, Result, ensure};

use crate::support::{EU27, Sandbox};
use crate::upstream::shared_file;

/// The methodology files shipped in the repository.
fn methodology_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/indicators/methodology").to_owned()
}

/// Runs `desi-city desi ARGS… --methodology-dir <the repository's methodology folder>`.
fn desi(sandbox: &Sandbox, args: &[&str]) -> Result<crate::support::Run> {
    let dir = methodology_dir();
    let mut all = vec!["desi"];
    all.extend_from_slice(args);
    all.extend(["--methodology-dir", dir.as_str()]);
    sandbox.run(&all)
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
    parse_methodology_csv(text, "2022")
}

fn parse_methodology_csv(text: &str, methodology: &str) -> Result<Scores> {
    let mut lines = text.lines();
    ensure!(
        lines.next() == Some("methodology,edition,geo,level,code,score,rank,ranked,title"),
        "unexpected CSV header in {text:.200}"
    );
    let mut scores = Scores::new();
    for line in lines {
        // The title comes last and may hold a comma (then quoted): the first eight fields are plain.
        let f: Vec<&str> = line.split(',').collect();
        ensure!(f.len() >= 9, "a CSV row without 9 fields: {line}");
        ensure!(f[0] == methodology, "methodology {} in {line}", f[0]);
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
    let run = desi(&sandbox, &["--methodology", "2022", "--format", "csv"])?;
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
    let run = desi(
        &sandbox,
        &[
            "--methodology",
            "2022",
            "--edition",
            "2019",
            "--format",
            "csv",
        ],
    )?;
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

    let run = desi(&sandbox, &["--methodology", "2022", "--edition", "2016"])?;
    run.failed()?
        .no_panic()?
        .stderr_has(&["2016", "2017, 2018, 2019, 2020, 2021, 2022"])?;
    Ok(())
}

/// `imported()` plus `desi_2020_raw`, imported from the shared DESI 2020 long CSV.
fn imported_2020() -> Result<Sandbox> {
    let sandbox = imported()?;
    let path = shared_file("desi/2020/indicators_raw.csv");
    let path = path.to_str().context("the shared data path is UTF-8")?;
    sandbox
        .run(&["import", path, "--dataset", "desi_2020_raw"])?
        .ok()?;
    Ok(sandbox)
}

#[test]
fn the_2020_composite_reproduces_the_published_dimensions_and_says_which_series_are_missing()
-> Result<()> {
    let sandbox = imported_2020()?;
    let run = desi(&sandbox, &["--methodology", "2020", "--format", "csv"])?;
    run.ok()?;
    let scores = parse_methodology_csv(&run.stdout, "2020")?;
    // Published with 4 decimals.
    let published = [
        ("dimension", "1", 52.0274),
        ("dimension", "2", 50.3875),
        ("dimension", "3", 61.1605),
        ("dimension", "4", 65.8697),
    ];
    for (level, code, want) in published {
        let key = (2020, "BE".to_owned(), level.to_owned(), code.to_owned());
        let got = scores
            .get(&key)
            .copied()
            .flatten()
            .with_context(|| format!("no score for {key:?}"))?;
        ensure!(
            (got - want).abs() < 5e-5,
            "{key:?}: computed {got}, published {want}"
        );
    }
    // Digital public services and the total need three series the shared raw file lacks.
    for (level, code) in [("dimension", "5"), ("subdimension", "5a"), ("desi", "desi")] {
        let key = (2020, "BE".to_owned(), level.to_owned(), code.to_owned());
        ensure!(
            matches!(scores.get(&key), Some(None)),
            "{key:?} should be an empty score: {:?}",
            scores.get(&key)
        );
    }
    ensure!(
        scores.len() == 6 * 29 * 18,
        "{} rows, expected 3132",
        scores.len()
    );
    run.stderr_has(&[
        "desi_5a2_prefform",
        "desi_5a3_osercomp",
        "desi_5a4_psb",
        "desi_1d1_bbpi",
        "lacks them",
        "dimension 5 (Digital public services)",
    ])?;
    ensure!(
        run.stderr.matches("lacks them").count() == 1,
        "the note should be printed once: {}",
        run.stderr
    );

    let run = desi(&sandbox, &["--methodology", "2020", "--edition", "2020"])?;
    run.ok()?;
    ensure!(
        run.stdout.contains("Connectivity")
            && run.stdout.contains("52.0274")
            && run.stdout.contains("—"),
        "table output: {}",
        run.stdout
    );
    Ok(())
}

#[test]
fn the_2020_price_index_stopgap_says_how_to_import_the_2022_table_it_reads() -> Result<()> {
    let sandbox = Sandbox::offline()?;
    let path = shared_file("desi/2020/indicators_raw.csv");
    let path = path.to_str().context("the shared data path is UTF-8")?;
    sandbox
        .run(&["import", path, "--dataset", "desi_2020_raw"])?
        .ok()?;
    let run = desi(&sandbox, &["--methodology", "2020"])?;
    run.failed()?.no_panic()?.stderr_has(&[
        "desi_2022_complete",
        "[[supplementary]]",
        "desi-city import ../shared/data/desi/2022/indicators_complete.csv --dataset desi_2022_complete --format desi-wide",
    ])?;

    let empty = Sandbox::offline()?;
    let run = desi(&empty, &["--methodology", "2020"])?;
    run.failed()?
        .no_panic()?
        .stderr_has(&["desi_2020_raw", "--format desi-csv"])?;
    Ok(())
}

#[test]
fn without_the_imported_table_the_error_says_how_to_import_it() -> Result<()> {
    let sandbox = Sandbox::offline()?;
    let run = desi(&sandbox, &["--methodology", "2022"])?;
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
    let run = desi(&sandbox, &["--methodology", "2022", "--edition", "2022"])?;
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
