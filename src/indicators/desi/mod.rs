//! The Commission's composite DESI, as data: loads a methodology folder
//! (`indicators/methodology/desi-2022/` or `desi-2020/`: `method.toml`, `structure.toml`,
//! `indicators.toml`, and for 2020 `imputation.toml`), checks it, and computes every
//! sub-dimension, dimension and DESI score with DuckDB over the store's current version of the
//! input dataset: `desi_2022_complete` (the workbook's filled wide table, `--format desi-wide`) or
//! `desi_2020_raw` (the raw long CSV, `--format desi-csv`, whose gaps [`imputation`] fills
//! first, in Rust over the values read from DuckDB).
//!
//! The method is parameters, not code paths: normalisation `(x − min)/(max − min) × 100`
//! (`(max − x)/(max − min) × 100` when lower is better), not clipped; a sub-dimension is
//! `Σ w·s / Σ w` of its indicators, a dimension the same of its sub-dimensions, the DESI the same
//! of the dimensions; a missing input makes every score above it missing. The parameters and the
//! filled cells go into DuckDB temp tables through an `Appender`, never into SQL text; both
//! methodologies share one normalising and aggregating SELECT.
//!
//! Must not write to the store, decide how a gap is filled (that is `imputation`'s) or round
//! anything: scores are IEEE doubles from end to end.
//!
//! The result is a [`Composite`]: the scores in the order of the Commission's tables (edition,
//! then geo in the order of `method.toml [geos]` with the aggregate last, then the DESI, the
//! dimensions and the sub-dimensions in file order; 2,520 rows for 2022, 3,132 for 2020), and
//! notes for the user (input series absent from the store, scores missing everywhere).
//!
//! The parts, by concept: `method` (the files as types), `check` (their checks), `load` (a folder
//! read and checked: [`load()`]), [`imputation`] (the 2020 missing-value rules), `input` (the
//! store's dataset as filled cells), `compute` (the composite's SQL, `method_tables.sql` and
//! `scores.sql` beside it: [`compute()`]), and `files` (reading and refusing a TOML file).
//! Dependencies run one way, none back: `compute` → `input` → `imputation` → `files`; `load` →
//! `check` → `method` → `imputation`.

mod check;
mod compute;
mod files;
pub mod imputation;
mod input;
mod load;
mod method;

pub use compute::{Composite, Score, compute};
pub use load::load;
pub use method::{
    Aggregation, DESI_2020_DATASET, DESI_2022_DATASET, Dimension, Edition, EditionLabel, Geos,
    Indicator, Input, Level, Method, Methodology, Normalisation, Scoreboard, Structure,
    Subdimension,
};

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::store::Store;

    fn methodology_dir() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/indicators/methodology"
        ))
    }

    /// A copy of the 2022 methodology in a temp dir, with `edit` applied to one file's text.
    fn edited(file: &str, edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("desi-2022");
        std::fs::create_dir_all(&folder).unwrap();
        for f in ["method.toml", "structure.toml", "indicators.toml"] {
            let text =
                std::fs::read_to_string(methodology_dir().join("desi-2022").join(f)).unwrap();
            let text = if f == file { edit(text) } else { text };
            std::fs::write(folder.join(f), text).unwrap();
        }
        let dir = temp.path().to_owned();
        (temp, dir)
    }

    #[test]
    fn the_shipped_2022_methodology_loads_with_its_33_indicators() {
        let m = load(methodology_dir(), Edition::Desi2022).unwrap();
        assert_eq!(m.indicators.len(), 33);
        assert_eq!(m.structure.dimensions.len(), 4);
        assert_eq!(m.structure.subdimensions.len(), 10);
        assert_eq!(m.edition_years(), [2017, 2018, 2019, 2020, 2021, 2022]);
        assert_eq!(m.geos().len(), 28);
        let t = m.indicators.iter().find(|i| i.code == "1b3").unwrap();
        assert_eq!(t.input_code(), "1b3");
    }

    #[test]
    fn sub_dimension_weights_that_do_not_add_up_to_one_name_the_file_and_key() {
        let (_t, dir) = edited("structure.toml", |t| {
            t.replacen(
                "weight = 0.5  # subdimension_weights.csv",
                "weight = 0.6",
                1,
            )
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(err.contains("structure.toml"), "{err}");
        assert!(
            err.contains("[[subdimension]] weight (dimension \"1\")"),
            "{err}"
        );
        assert!(err.contains("add up to 1.1"), "{err}");
        assert!(err.contains("Change the weights"), "{err}");
    }

    #[test]
    fn dimension_weights_that_do_not_add_up_to_one_are_refused() {
        let (_t, dir) = edited("structure.toml", |t| {
            t.replacen("weight = 0.25", "weight = 0.3", 1)
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(
            err.contains("structure.toml, [[dimension]] weight"),
            "{err}"
        );
    }

    #[test]
    fn an_indicator_whose_max_is_not_above_its_min_is_refused() {
        let (_t, dir) = edited("indicators.toml", |t| {
            t.replacen("max = 1.0", "max = 0.0", 1)
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(
            err.contains("indicators.toml, [[indicator]] code = \"1a1\", max"),
            "{err}"
        );
    }

    #[test]
    fn an_indicator_in_an_unknown_sub_dimension_is_refused() {
        let (_t, dir) = edited("indicators.toml", |t| {
            t.replacen("subdimension = \"1a\"", "subdimension = \"1z\"", 1)
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(err.contains("there is no sub-dimension \"1z\""), "{err}");
    }

    #[test]
    fn an_unknown_key_is_refused_naming_the_file_and_the_key() {
        let (_t, dir) = edited("method.toml", |t| {
            t.replacen("clip = false", "clip = false\nclamp = true", 1)
        });
        let err = load(&dir, Edition::Desi2022).unwrap_err().to_string();
        assert!(err.contains("method.toml"), "{err}");
        assert!(err.contains("clamp"), "{err}");
    }

    const TINY_METHOD: &str = r#"
id = "tiny"
title = "A two-dimension test method"
publisher = "desi-city tests"
attribution = "Test data"
methodology_owner = "nobody"
[[edition]]
year = 2001
label = "y1"
[input]
format = "desi-wide"
file = "tiny.csv"
edition_column = "Year"
geo_column = "Country"
ignore_columns = ["Year + country"]
missing = ""
imputed = true
[normalisation]
formula = "(x - min) / (max - min) * 100"
formula_lower_is_better = "(max - x) / (max - min) * 100"
clip = false
[aggregation]
subdimension = "weighted-mean"
dimension = "weighted-mean"
desi = "weighted-mean"
missing = "propagate"
rounding = "none"
[geos]
members = ["AA"]
aggregate = "EU"
"#;

    const TINY_STRUCTURE: &str = r#"
[[dimension]]
code = "1"
id = "one"
title = "One"
weight = 0.5
[[dimension]]
code = "2"
id = "two"
title = "Two"
weight = 0.5
[[subdimension]]
code = "1a"
dimension = "1"
title = "One a"
weight = 1.0
[[subdimension]]
code = "2a"
dimension = "2"
title = "Two a"
weight = 1.0
"#;

    const TINY_INDICATORS: &str = r#"
[[indicator]]
code = "1a1"
title = "Higher is better"
dimension = "1"
subdimension = "1a"
higher_is_better = true
min = 0.0
max = 1.0
weight = 2.0
column = "1a1 Higher is better"
[[indicator]]
code = "1a2"
title = "Lower is better"
dimension = "1"
subdimension = "1a"
higher_is_better = false
min = 0.0
max = 10.0
weight = 1.0
column = "1a2 Lower is better"
[[indicator]]
code = "2a1"
title = "Above the reference max"
dimension = "2"
subdimension = "2a"
higher_is_better = true
min = 0.0
max = 100.0
weight = 1.0
column = "2a1 Above the reference max"
"#;

    #[test]
    fn direction_weights_no_clipping_and_missing_propagation_follow_the_method_files() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("methods").join("desi-2022");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("method.toml"), TINY_METHOD).unwrap();
        std::fs::write(folder.join("structure.toml"), TINY_STRUCTURE).unwrap();
        std::fs::write(folder.join("indicators.toml"), TINY_INDICATORS).unwrap();
        let method = load(temp.path().join("methods"), Edition::Desi2022).unwrap();

        let store = Store::open(temp.path().join("data"), 2).unwrap();
        let csv = "Year,Country,Year + country,1a1 Higher is better,1a2 Lower is better,2a1 Above the reference max\n\
                   y1,AA,y1_AA,0.5,2,150\n\
                   y1,EU,y1_EU,0.25,,50\n";
        crate::fetch::ingest(
            &store,
            DESI_2022_DATASET,
            csv.as_bytes(),
            crate::fetch::parse::Format::DesiWide,
            &Default::default(),
            crate::fetch::ImportMeta {
                source_url: "file:///tiny.csv".into(),
                licence: "CC-BY-4.0".into(),
                attribution: "Test data".into(),
            },
        )
        .unwrap();

        let scores = compute(&store, &method, None).unwrap().scores;
        let get = |geo: &str, level: Level, code: &str| {
            scores
                .iter()
                .find(|s| s.geo == geo && s.level == level && s.code == code)
                .unwrap_or_else(|| panic!("no {geo} {level} {code}"))
                .score
        };
        // 1a = (2 × 50 + 1 × (10 − 2)/10 × 100) / 3 = 60; 2a = 150, not clipped.
        assert_eq!(get("AA", Level::Subdimension, "1a"), Some(60.0));
        assert_eq!(get("AA", Level::Subdimension, "2a"), Some(150.0));
        assert_eq!(get("AA", Level::Dimension, "1"), Some(60.0));
        assert_eq!(get("AA", Level::Desi, "desi"), Some(105.0));
        // The EU lacks 1a2: 1a, dimension 1 and the DESI are missing, dimension 2 is not.
        assert_eq!(get("EU", Level::Subdimension, "1a"), None);
        assert_eq!(get("EU", Level::Dimension, "1"), None);
        assert_eq!(get("EU", Level::Desi, "desi"), None);
        assert_eq!(get("EU", Level::Dimension, "2"), Some(50.0));
        assert_eq!(scores.len(), 2 * 5);
        assert_eq!(scores[0].geo, "AA");
        assert_eq!(scores[0].level, Level::Desi);

        let err = compute(&store, &method, Some(2002))
            .unwrap_err()
            .to_string();
        assert!(err.contains("use one of 2001"), "{err}");
    }

    #[test]
    fn the_shipped_2020_methodology_loads_with_its_37_indicators_and_its_imputation_rules() {
        let m = load(methodology_dir(), Edition::Desi2020).unwrap();
        assert_eq!(m.indicators.len(), 37);
        assert_eq!(m.structure.dimensions.len(), 5);
        assert_eq!(m.structure.subdimensions.len(), 12);
        assert_eq!(m.edition_years(), [2015, 2016, 2017, 2018, 2019, 2020]);
        assert_eq!(m.geos().len(), 29);
        assert_eq!(m.dataset(), DESI_2020_DATASET);
        let weights: Vec<f64> = m.structure.dimensions.iter().map(|d| d.weight).collect();
        assert_eq!(weights, [0.25, 0.25, 0.15, 0.2, 0.15]);
        assert!(m.imputation.is_some());
    }

    #[test]
    fn a_2020_rule_naming_an_unknown_indicator_names_the_imputation_file() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("desi-2020");
        std::fs::create_dir_all(&folder).unwrap();
        for f in [
            "method.toml",
            "structure.toml",
            "indicators.toml",
            "imputation.toml",
        ] {
            let text =
                std::fs::read_to_string(methodology_dir().join("desi-2020").join(f)).unwrap();
            let text = if f == "imputation.toml" {
                text.replacen(
                    "indicator = \"desi_1c3_5g\"",
                    "indicator = \"desi_1c9_6g\"",
                    1,
                )
            } else {
                text
            };
            std::fs::write(folder.join(f), text).unwrap();
        }
        let err = load(temp.path(), Edition::Desi2020)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("imputation.toml, [[zero_score]] #1, indicator"),
            "{err}"
        );
        assert!(err.contains("\"desi_1c9_6g\" is not an indicator"), "{err}");
    }
}
