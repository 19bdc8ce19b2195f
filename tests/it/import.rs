//! `desi-city import` and `desi-city export`: each shared file type imports with `--format`
//! and without it (detected), publishes a version, and exports back as CSV (canonical columns)
//! and as Parquet with the same rows and the same values and flags.

use anyhow::{Result, ensure};

use crate::support::{
    Sandbox, Source, csv_value_flags, has_cell, parquet_rows, read_csv, value_flags,
};
use crate::upstream::shared_file;

/// A cell the imported data must hold: the filter, the value and the flags.
type Check = (
    &'static [(&'static str, &'static str)],
    Option<f64>,
    Option<&'static str>,
);

/// Imports `file` twice (as `<id>_given` with `--format`, as `<id>_detected` without), and
/// checks each import's exports and cells.
fn imports_and_exports_back(
    source: Source,
    file: &str,
    format: &str,
    checks: &[Check],
) -> Result<()> {
    let sandbox = Sandbox::offline()?;
    let path = shared_file(file);
    let path = path.to_str().expect("the shared data path is UTF-8");
    let mut exported = Vec::new();
    for (suffix, with_format) in [("given", true), ("detected", false)] {
        let id = format!("{}_{suffix}", source.id);
        sandbox.add(&Source {
            id: id.clone(),
            ..source.clone()
        })?;
        let mut args = vec!["import", path, "--dataset", id.as_str()];
        if with_format {
            args.extend(["--format", format]);
        }
        sandbox.run(&args)?.ok()?;

        let current = sandbox.current(&id)?;
        ensure!(current.rows > 0, "{id}: no rows imported from {file}");
        ensure!(
            parquet_rows(&current.file)? == current.rows,
            "{id}: the stored file does not hold the manifest's {} rows",
            current.rows
        );
        for (filter, value, flags) in checks {
            let rows = value_flags(&current.file, filter)?;
            ensure!(
                has_cell(&rows, *value, *flags),
                "{id}: {filter:?} should hold {value:?} {flags:?}, stored {rows:?}"
            );
        }

        let csv = sandbox.run(&["export", &id, "--format", "csv"])?;
        csv.ok()?;
        crate::support::crlf_lines("export --format csv", &csv.stdout)?;
        let csv_file = sandbox.root.join(format!("{id}.csv"));
        std::fs::write(&csv_file, &csv.stdout)?;
        let (header, rows) = read_csv(&csv_file)?;
        for column in ["geo", "period", "value", "flags"] {
            ensure!(
                header.iter().any(|h| h == column),
                "{id}: the CSV header {header:?} lacks {column}"
            );
        }
        ensure!(
            rows == current.rows,
            "{id}: the CSV has {rows} rows, the version {}",
            current.rows
        );
        for (filter, value, flags) in checks {
            let rows = csv_value_flags(&csv_file, filter)?;
            ensure!(
                has_cell(&rows, *value, *flags),
                "{id}: the CSV's {filter:?} should hold {value:?} {flags:?}, has {rows:?}"
            );
        }

        let by_version = sandbox.run(&[
            "export",
            &id,
            "--version",
            &current.version,
            "--format",
            "csv",
        ])?;
        by_version.ok()?;
        ensure!(
            by_version.stdout == csv.stdout,
            "{id}: exporting --version {} differs from exporting the current version",
            current.version
        );

        let parquet_file = sandbox.root.join(format!("{id}.export.parquet"));
        let out = parquet_file.to_str().expect("temp paths are UTF-8");
        sandbox
            .run(&["export", &id, "--format", "parquet", "-o", out])?
            .ok()?;
        ensure!(
            parquet_rows(&parquet_file)? == current.rows,
            "{id}: the exported Parquet does not hold {} rows",
            current.rows
        );
        exported.push((id, current.rows));
    }
    ensure!(
        exported[0].1 == exported[1].1,
        "importing with and without --format gave different rows: {exported:?}"
    );
    Ok(())
}

#[test]
fn a_jsonstat_file_imports_with_or_without_its_format_and_exports_back() -> Result<()> {
    imports_and_exports_back(
        Source::eurostat("imp_jsonstat", "isoc_ci_in_h", "jsonstat")
            .geo(&["BE", "EU27_2020"])
            .since(2015),
        "eurostat/jsonstat/isoc_ci_in_h.json",
        "jsonstat",
        &[
            // `"18": "e"` on EU27_2020 × 2020, value 91.3; BE 2019 = 89.73.
            (
                &[("geo", "EU27_2020"), ("period", "2020")],
                Some(91.3),
                Some("e"),
            ),
            (&[("geo", "BE"), ("period", "2019")], Some(89.73), None),
        ],
    )
}

#[test]
fn a_current_tsv_file_imports_with_or_without_its_format_and_exports_back() -> Result<()> {
    imports_and_exports_back(
        Source::eurostat("imp_tsv", "isoc_sks_itsp_age", "tsv")
            .geo(&["AT", "BE"])
            .since(2004),
        "eurostat/tsv/isoc_sks_itsp_age.tsv",
        "tsv",
        // `A,PC,Y15-34,AT  48.4 be …`
        &[(
            &[
                ("geo", "AT"),
                ("period", "2004"),
                ("unit", "PC"),
                ("age", "Y15-34"),
            ],
            Some(48.4),
            Some("be"),
        )],
    )
}

#[test]
fn a_legacy_tsv_file_imports_with_or_without_its_format_and_exports_back() -> Result<()> {
    imports_and_exports_back(
        Source::eurostat("imp_tsv_legacy", "isoc_ci_in_h", "tsv")
            .geo(&["AT", "BE", "LU"])
            .since(2008),
        "eurostat/tsv/isoc_ci_in_h_legacy_2008-2019.tsv",
        "tsv",
        // `PC_HH,TOTAL,AT  69 …` and LU 2018 `93 b`.
        &[
            (&[("geo", "AT"), ("period", "2008")], Some(69.0), None),
            (&[("geo", "LU"), ("period", "2018")], Some(93.0), Some("b")),
        ],
    )
}

#[test]
fn an_sdmx_csv_1_0_file_imports_with_or_without_its_format_and_exports_back() -> Result<()> {
    imports_and_exports_back(
        Source::eurostat("imp_sdmx1", "isoc_r_broad_h", "sdmx-csv")
            .level("nuts2")
            .geo(&["BE10", "AT11"])
            .since(2006),
        "eurostat/sdmx-csv/isoc_r_broad_h_excerpt.csv",
        "sdmx-csv",
        // `…,PC_HH,BE10,2021,93.00,,` and `…,PC_HH,AT11,2007,,u,`.
        &[
            (&[("geo", "BE10"), ("period", "2021")], Some(93.0), None),
            (&[("geo", "AT11"), ("period", "2007")], None, Some("u")),
        ],
    )
}

#[test]
fn an_sdmx_csv_2_0_file_imports_with_or_without_its_format_and_exports_back() -> Result<()> {
    imports_and_exports_back(
        Source::eurostat("imp_sdmx2", "isoc_e_dii", "sdmx-csv")
            .geo(&["BE", "FR"])
            .since(2021),
        "eurostat/sdmx-csv/isoc_e_dii_2023_sdmx2.csv",
        "sdmx-csv",
        // `dataflow,ESTAT:ISOC_E_DII(1.0),A,10-249,C10-S951_X_K,E_DI3_GELO,PC_ENT,FR,2023,52.0,b`
        &[(
            &[
                ("geo", "FR"),
                ("period", "2023"),
                ("size_emp", "10-249"),
                ("indic_is", "E_DI3_GELO"),
            ],
            Some(52.0),
            Some("b"),
        )],
    )
}

#[test]
fn a_desi_csv_file_imports_with_or_without_its_format_and_exports_back() -> Result<()> {
    imports_and_exports_back(
        Source::desi("imp_desi", "/2020/indicators_raw.csv")
            .geo(&["BE", "FR"])
            .since(2015),
        "desi/2020/indicators_raw.csv",
        "desi-csv",
        // `…/pc_ent/BE/2015,2015,BE,desi_4a1_eis,ent_all_xfin,pc_ent,0.473156,,`
        &[(&[("geo", "BE"), ("period", "2015")], Some(0.473156), None)],
    )
}
