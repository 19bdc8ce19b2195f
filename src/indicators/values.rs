//! The values of one indicator, with DuckDB over the store's current Parquet version of its
//! source: for each asked geo and period, the value and its flags, the EU27_2020 value of that
//! period, the rank among the 27 member states (and among the EU capital regions for a regional
//! indicator), the change against the geo's previous period, and the store version read.
//!
//! The source is a view over `read_parquet` (no copy). The filter's codes reach DuckDB as bound
//! parameters; its column names are used only once found among the view's columns (then quoted as
//! identifiers); geos and group members go in through an `Appender`. The only SQL literal is the
//! store-built file path, with `'` doubled.
//!
//! [`compute_batch`] gives the same rows as one Arrow `RecordBatch` ([`SERIES_COLUMNS`]), the
//! shape the API encodes (CSV, JSON, JSON-stat, SDMX-CSV) without knowing the struct.
//!
//! Must not write to the store, fetch, or round: values are the stored doubles. A filter that
//! names a column the data lacks, or that leaves more than one series per geo and period, is an
//! error for that indicator (it names the file, the key and what to do).

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray, UInt32Array};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use duckdb::types::Value;
use duckdb::{params, params_from_iter};

use super::definitions::Indicator;
use super::{IndicatorError, Result};
use crate::catalog::GeoGroups;
use crate::fetch::parse::FIXED_COLUMNS;
use crate::store::Store;

/// The EU aggregate every value is compared with.
pub const EU_AGGREGATE: &str = "EU27_2020";
/// The group of `datasets/geo-groups.toml` holding the member states.
pub const MEMBERS_GROUP: &str = "eu27";
/// The group of `datasets/geo-groups.toml` holding the EU capital regions.
pub const CAPITALS_GROUP: &str = "capital-regions";

/// What to compute: the geos (in the order wanted) and an optional range of years.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub geos: Vec<String>,
    /// First year (of the period's start) kept, if limited.
    pub since: Option<i32>,
    /// Last year kept, if limited.
    pub until: Option<i32>,
}

/// One value of an indicator for one geo and period.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorValue {
    pub indicator: String,
    pub geo: String,
    /// The period as published (`2023`).
    pub period: String,
    /// `None` when the cell is published without a value (e.g. confidential).
    pub value: Option<f64>,
    /// Eurostat's observation flags, as published (`b`, `e`, `u`, …).
    pub flags: Option<String>,
    /// The EU27_2020 value of the same period.
    pub eu_value: Option<f64>,
    /// 1 = best (per the indicator's direction) among the member states with a value in that
    /// period; `None` for a geo that is not a member state.
    pub rank_eu27: Option<u32>,
    /// Same among the EU capital regions, for regional indicators only.
    pub rank_capitals: Option<u32>,
    /// How many member states (capital regions) have a value in that period.
    pub ranked_eu27: u32,
    pub ranked_capitals: u32,
    /// `value` minus the value of the geo's previous period in the data (missing if either is).
    pub change: Option<f64>,
    pub previous_period: Option<String>,
    /// The store version of the source dataset these values come from.
    pub version: String,
}

/// The columns of [`compute_batch`]'s batch, in order: `indicator`, `geo`, `period` (text),
/// `value` (f64), `flags` (text), `eu27_value` (f64), `rank_eu27`, `ranked_eu27`, `rank_capitals`,
/// `ranked_capitals` (u32), `change` (f64), `previous_period`, `dataset` (the source id) and
/// `version` (the store version read) (text).
pub const SERIES_COLUMNS: [&str; 14] = [
    "indicator",
    "geo",
    "period",
    "value",
    "flags",
    "eu27_value",
    "rank_eu27",
    "ranked_eu27",
    "rank_capitals",
    "ranked_capitals",
    "change",
    "previous_period",
    "dataset",
    "version",
];

/// A SQL string literal: `'` doubled. Used only for a path the store built.
fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A SQL identifier: `"` doubled. Used only for a column name found in the view.
fn sql_identifier(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn group<'a>(groups: &'a GeoGroups, name: &str) -> Result<&'a [String]> {
    groups
        .get(name)
        .map(|g| g.codes.as_slice())
        .ok_or_else(|| IndicatorError::Invalid {
            path: groups.file().to_path_buf(),
            key: format!("[{name}]"),
            problem: format!("there is no group {name:?}, which the ranks need"),
            fix: "Add it (see datasets/README.md, \"geo-groups.toml\").".to_owned(),
        })
}

/// The distinct geo codes of the store's current version of `dataset`, sorted (none when the
/// store has no version of it). Blocking (DuckDB).
pub fn geos(store: &Store, dataset: &str) -> Result<Vec<String>> {
    let Some(version) = store.current(dataset)? else {
        return Ok(Vec::new());
    };
    let path = store.file_path(&version);
    let conn = super::connection()?;
    // The store-built path is the only literal.
    let mut stmt = conn.prepare(&format!(
        "SELECT DISTINCT geo FROM read_parquet({}) WHERE geo IS NOT NULL ORDER BY 1",
        sql_literal(&path.to_string_lossy())
    ))?;
    let geos = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(geos)
}

/// Computes `indicator` for the asked geos over the store's current version of its source.
/// Rows come geo by geo in the asked order, periods in time order. Blocking (DuckDB): call it from
/// `spawn_blocking` in async code.
pub fn compute(
    store: &Store,
    groups: &GeoGroups,
    indicator: &Indicator,
    request: &Request,
) -> Result<Vec<IndicatorValue>> {
    let members = group(groups, MEMBERS_GROUP)?;
    let capitals: &[String] = if indicator.is_regional() {
        group(groups, CAPITALS_GROUP)?
    } else {
        &[]
    };
    let fetch = format!("desi-city fetch {}", indicator.source);
    let version = store
        .current(&indicator.source)?
        .ok_or_else(|| IndicatorError::NoData {
            dataset: indicator.source.clone(),
            import: fetch.clone(),
        })?;
    let path = store.file_path(&version);
    let input_problem = |problem: String| IndicatorError::Input {
        dataset: indicator.source.clone(),
        path: indicator.file.clone(),
        problem,
        import: fetch.clone(),
    };

    let conn = super::connection()?;
    // DuckDB takes no bound parameter in CREATE VIEW: the store-built path is a literal.
    conn.execute_batch(&format!(
        "CREATE TEMP VIEW observations AS SELECT * FROM read_parquet({});",
        sql_literal(&path.to_string_lossy())
    ))?;
    let columns: Vec<String> = {
        let mut stmt = conn.prepare("SELECT column_name FROM (DESCRIBE observations)")?;
        stmt.query_map([], |r| r.get::<_, String>(0))?
            .collect::<std::result::Result<_, _>>()?
    };
    for c in ["geo", "period", "period_start", "value", "flags"] {
        if !columns.iter().any(|have| have == c) {
            return Err(input_problem(format!(
                "it has no `{c}` column, so it is not an observation table"
            )));
        }
    }
    // Dimension columns: those before `period`, except `dataset` and `geo`.
    let dimensions: Vec<&str> = columns
        .iter()
        .map(String::as_str)
        .take_while(|c| *c != "period")
        .filter(|c| !FIXED_COLUMNS.contains(c) && *c != "geo")
        .collect();
    let mut conditions = Vec::new();
    let mut filter_values = Vec::new();
    for (column, code) in &indicator.filter {
        if !dimensions.contains(&column.as_str()) {
            return Err(input_problem(format!(
                "key `filter.{column}` names a column the data lacks (its dimensions are: {})",
                dimensions.join(", ")
            )));
        }
        conditions.push(format!("{} = ?", sql_identifier(column)));
        filter_values.push(Value::Text(code.clone()));
    }
    let filtered = format!(
        "SELECT * FROM observations WHERE {}",
        conditions.join(" AND ")
    );

    // The filter must leave one series: one row per geo and period.
    let unfiltered: Vec<&str> = dimensions
        .iter()
        .copied()
        .filter(|d| !indicator.filter.contains_key(*d))
        .collect();
    let duplicated: i64 = conn
        .prepare(&format!(
            "SELECT count(*) FROM (SELECT geo, period FROM ({filtered}) GROUP BY ALL HAVING count(*) > 1)"
        ))?
        .query_row(params_from_iter(filter_values.iter()), |r| r.get(0))?;
    if duplicated > 0 {
        let mut varying = Vec::new();
        for d in &unfiltered {
            let codes: Vec<String> = {
                let mut stmt = conn.prepare(&format!(
                    "SELECT DISTINCT {col} FROM ({filtered}) WHERE {col} IS NOT NULL ORDER BY 1 LIMIT 7",
                    col = sql_identifier(d)
                ))?;
                stmt.query_map(params_from_iter(filter_values.iter()), |r| {
                    r.get::<_, String>(0)
                })?
                .collect::<std::result::Result<_, _>>()?
            };
            if codes.len() > 1 {
                let more = if codes.len() > 6 { ", …" } else { "" };
                varying.push(format!(
                    "{d} ({}{more})",
                    codes[..codes.len().min(6)].join(", ")
                ));
            }
        }
        return Err(input_problem(format!(
            "the [filter] leaves several series per geo and period; add a key for: {}",
            if varying.is_empty() {
                "(no dimension varies: the data repeats cells)".to_owned()
            } else {
                varying.join("; ")
            }
        )));
    }

    conn.execute_batch(
        "CREATE TEMP TABLE m_asked (geo VARCHAR, ord INTEGER);
         CREATE TEMP TABLE m_members (geo VARCHAR);
         CREATE TEMP TABLE m_capitals (geo VARCHAR);",
    )?;
    {
        let mut a = conn.appender("m_asked")?;
        for (i, g) in request.geos.iter().enumerate() {
            a.append_row(params![g, i as i32])?;
        }
        let mut a = conn.appender("m_members")?;
        for g in members {
            a.append_row(params![g])?;
        }
        let mut a = conn.appender("m_capitals")?;
        for g in capitals {
            a.append_row(params![g])?;
        }
    }
    // The direction picks one of two constant orders; nothing from a file is spliced.
    let order = if indicator.higher_is_better {
        "value DESC"
    } else {
        "value ASC"
    };
    let sql = format!(
        "WITH s AS (SELECT geo, period, period_start, value, flags FROM ({filtered})),
         r_eu AS (
             SELECT geo, period, rank() OVER (PARTITION BY period ORDER BY {order}) AS r,
                    count(*) OVER (PARTITION BY period) AS n
             FROM s WHERE value IS NOT NULL AND geo IN (SELECT geo FROM m_members)),
         r_cap AS (
             SELECT geo, period, rank() OVER (PARTITION BY period ORDER BY {order}) AS r,
                    count(*) OVER (PARTITION BY period) AS n
             FROM s WHERE value IS NOT NULL AND geo IN (SELECT geo FROM m_capitals)),
         n_eu AS (SELECT DISTINCT period, n FROM r_eu),
         n_cap AS (SELECT DISTINCT period, n FROM r_cap),
         eu AS (SELECT period, value FROM s WHERE geo = ?),
         prev AS (
             SELECT geo, period,
                    lag(value) OVER (PARTITION BY geo ORDER BY period_start) AS value,
                    lag(period) OVER (PARTITION BY geo ORDER BY period_start) AS period_before
             FROM s)
         SELECT s.geo, s.period, s.value, s.flags, eu.value, r_eu.r, r_cap.r,
                coalesce(n_eu.n, 0), coalesce(n_cap.n, 0),
                s.value - prev.value, prev.period_before
         FROM s
         JOIN m_asked a ON a.geo = s.geo
         LEFT JOIN eu ON eu.period = s.period
         LEFT JOIN r_eu ON r_eu.geo = s.geo AND r_eu.period = s.period
         LEFT JOIN r_cap ON r_cap.geo = s.geo AND r_cap.period = s.period
         LEFT JOIN n_eu ON n_eu.period = s.period
         LEFT JOIN n_cap ON n_cap.period = s.period
         LEFT JOIN prev ON prev.geo = s.geo AND prev.period = s.period
         WHERE (?::INTEGER IS NULL OR year(s.period_start) >= ?::INTEGER)
           AND (?::INTEGER IS NULL OR year(s.period_start) <= ?::INTEGER)
         ORDER BY a.ord, s.period_start"
    );
    let year = |y: Option<i32>| y.map(Value::Int).unwrap_or(Value::Null);
    let mut bound = filter_values;
    bound.extend([
        Value::Text(EU_AGGREGATE.to_owned()),
        year(request.since),
        year(request.since),
        year(request.until),
        year(request.until),
    ]);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(bound.iter()), |r| {
        Ok(IndicatorValue {
            indicator: indicator.id.clone(),
            geo: r.get(0)?,
            period: r.get(1)?,
            value: r.get(2)?,
            flags: r.get(3)?,
            eu_value: r.get(4)?,
            rank_eu27: r.get::<_, Option<i64>>(5)?.map(|v| v as u32),
            rank_capitals: r.get::<_, Option<i64>>(6)?.map(|v| v as u32),
            ranked_eu27: r.get::<_, i64>(7)? as u32,
            ranked_capitals: r.get::<_, i64>(8)? as u32,
            change: r.get(9)?,
            previous_period: r.get(10)?,
            version: version.version.clone(),
        })
    })?;
    let values = rows.collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(values)
}

/// [`compute`]'s rows as one Arrow batch with the columns of [`SERIES_COLUMNS`] (nullable where
/// the struct's field is optional). Blocking (DuckDB).
pub fn compute_batch(
    store: &Store,
    groups: &GeoGroups,
    indicator: &Indicator,
    request: &Request,
) -> Result<RecordBatch> {
    let rows = compute(store, groups, indicator, request)?;
    let text = |f: fn(&IndicatorValue) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let optional_text = |f: fn(&IndicatorValue) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(rows.iter().map(f)))
    };
    let number = |f: fn(&IndicatorValue) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from_iter(rows.iter().map(f)))
    };
    let rank = |f: fn(&IndicatorValue) -> Option<u32>| -> ArrayRef {
        Arc::new(UInt32Array::from_iter(rows.iter().map(f)))
    };
    let count = |f: fn(&IndicatorValue) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        text(|r| &r.indicator),
        text(|r| &r.geo),
        text(|r| &r.period),
        number(|r| r.value),
        optional_text(|r| r.flags.as_deref()),
        number(|r| r.eu_value),
        rank(|r| r.rank_eu27),
        count(|r| r.ranked_eu27),
        rank(|r| r.rank_capitals),
        count(|r| r.ranked_capitals),
        number(|r| r.change),
        optional_text(|r| r.previous_period.as_deref()),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|_| indicator.source.as_str()),
        )),
        text(|r| &r.version),
    ];
    let fields: Vec<Field> = SERIES_COLUMNS
        .iter()
        .zip(&columns)
        .map(|(name, c)| {
            Field::new(
                *name,
                c.data_type().clone(),
                c.null_count() > 0 || nullable(name),
            )
        })
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| {
        IndicatorError::Input {
            dataset: indicator.source.clone(),
            path: indicator.file.clone(),
            problem: format!("its values do not make an Arrow batch: {e}"),
            import: format!("desi-city fetch {}", indicator.source),
        }
    })
}

/// Whether a column of [`SERIES_COLUMNS`] may hold nulls.
fn nullable(column: &str) -> bool {
    !matches!(
        column,
        "indicator" | "geo" | "period" | "ranked_eu27" | "ranked_capitals" | "dataset" | "version"
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use chrono::Utc;

    use super::*;
    use crate::catalog::{DesiDimension, Level, Texts};
    use crate::fetch::parse::{self, Format, ParseOptions};
    use crate::store::VersionMeta;

    /// Two indicators (`I_A`, `I_B`) for three member states, two capital regions and the EU.
    const SDMX: &str = "DATAFLOW,LAST UPDATE,freq,indic_is,unit,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_A,PC_IND,AA,2021,10,
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_A,PC_IND,AA,2022,14,
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_A,PC_IND,BB,2021,20,
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_A,PC_IND,BB,2022,12,b
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_A,PC_IND,CC,2022,30,
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_A,PC_IND,AA1,2022,16,
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_A,PC_IND,BB1,2022,11,
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_A,PC_IND,EU27_2020,2021,15,e
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_A,PC_IND,EU27_2020,2022,18,
ESTAT:TEST(1.0),25/06/26 23:00:00,A,I_B,PC_IND,AA,2022,1,
";

    const GROUPS: &str = r#"
[eu27]
description = "Members"
codes = ["AA", "BB", "CC"]

[capital-regions]
description = "Capitals"
codes = ["AA1", "BB1"]
"#;

    fn store_with_data() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path().join("data"), 2).expect("store");
        let parsed = parse::parse(
            Format::SdmxCsv,
            "test_r",
            SDMX.as_bytes(),
            &ParseOptions::default(),
        )
        .expect("parses");
        let meta = VersionMeta {
            source_url: "file:test".into(),
            fetched_at: Utc::now(),
            upstream_updated: None,
            sha256: "ab".repeat(32),
            parser_version: parse::PARSER_VERSION.into(),
            format: "sdmx-csv".into(),
            licence: "CC-BY-4.0".into(),
            attribution: "test".into(),
            dimensions: parsed.dimensions.clone(),
            etag: None,
            last_modified: None,
        };
        store
            .publish("test_r", &[parsed.batch], meta)
            .expect("published");
        (dir, store)
    }

    fn groups() -> GeoGroups {
        GeoGroups::parse(Path::new("geo-groups.toml"), GROUPS).expect("groups")
    }

    fn indicator(filter: &[(&str, &str)], higher_is_better: bool) -> Indicator {
        Indicator {
            id: "test".into(),
            dimension: DesiDimension::InternetUse,
            subdimension: "test".into(),
            title: Texts {
                en: "Test".into(),
                fr: None,
                nl: None,
                de: None,
            },
            description: Texts {
                en: "Test.".into(),
                fr: None,
                nl: None,
                de: None,
            },
            unit: "%".into(),
            source: "test_r".into(),
            filter: filter
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            geo_levels: vec![Level::Country, Level::Nuts2],
            higher_is_better,
            eurostat_code: "test_r".into(),
            verified: None,
            also: Vec::new(),
            file: PathBuf::from("indicators/test.toml"),
        }
    }

    fn request(geos: &[&str]) -> Request {
        Request {
            geos: geos.iter().map(|g| g.to_string()).collect(),
            since: None,
            until: None,
        }
    }

    #[test]
    fn values_come_with_the_eu_value_ranks_change_flags_and_version() {
        let (_dir, store) = store_with_data();
        let ind = indicator(&[("indic_is", "I_A"), ("unit", "PC_IND")], true);
        let rows = compute(
            &store,
            &groups(),
            &ind,
            &request(&["BB", "AA1", "EU27_2020"]),
        )
        .expect("computes");
        let version = store.current("test_r").expect("read").expect("a version");
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.geo.as_str(), r.period.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("BB", "2021"),
                ("BB", "2022"),
                ("AA1", "2022"),
                ("EU27_2020", "2021"),
                ("EU27_2020", "2022")
            ],
            "asked geo order, then time order"
        );
        let bb_2022 = &rows[1];
        assert_eq!(bb_2022.value, Some(12.0));
        assert_eq!(bb_2022.flags.as_deref(), Some("b"));
        assert_eq!(bb_2022.eu_value, Some(18.0));
        assert_eq!((bb_2022.rank_eu27, bb_2022.ranked_eu27), (Some(3), 3));
        assert_eq!(bb_2022.change, Some(-8.0));
        assert_eq!(bb_2022.previous_period.as_deref(), Some("2021"));
        assert_eq!(
            bb_2022.rank_capitals, None,
            "a country is not a capital region"
        );
        assert_eq!(bb_2022.version, version.version);
        assert_eq!(rows[0].rank_eu27, Some(1), "BB is first of two in 2021");
        assert_eq!(rows[0].change, None, "no previous period");
        let aa1 = &rows[2];
        assert_eq!((aa1.rank_capitals, aa1.ranked_capitals), (Some(1), 2));
        assert_eq!(aa1.rank_eu27, None);
        assert_eq!(rows[3].flags.as_deref(), Some("e"));
        assert_eq!(rows[3].rank_eu27, None, "the EU is not ranked");
    }

    #[test]
    fn the_batch_holds_the_same_rows_as_the_values_in_the_documented_columns() {
        use arrow::array::Array;
        let (_dir, store) = store_with_data();
        let ind = indicator(&[("indic_is", "I_A"), ("unit", "PC_IND")], true);
        let asked = request(&["BB", "AA1", "EU27_2020"]);
        let rows = compute(&store, &groups(), &ind, &asked).expect("computes");
        let batch = compute_batch(&store, &groups(), &ind, &asked).expect("computes");
        let schema = batch.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, SERIES_COLUMNS);
        assert_eq!(batch.num_rows(), rows.len());
        let col = |name: &str| batch.column_by_name(name).expect("column").clone();
        let geo = col("geo");
        let geo = geo.as_any().downcast_ref::<StringArray>().expect("text");
        let value = col("value");
        let value = value.as_any().downcast_ref::<Float64Array>().expect("f64");
        let rank = col("rank_eu27");
        let rank = rank.as_any().downcast_ref::<UInt32Array>().expect("u32");
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(geo.value(i), r.geo);
            assert_eq!(value.is_valid(i).then(|| value.value(i)), r.value);
            assert_eq!(rank.is_valid(i).then(|| rank.value(i)), r.rank_eu27);
        }
        let dataset = col("dataset");
        let dataset = dataset
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("text");
        assert!(dataset.iter().all(|d| d == Some(ind.source.as_str())));
    }

    #[test]
    fn lower_is_better_reverses_the_ranks_and_the_year_range_keeps_the_change() {
        let (_dir, store) = store_with_data();
        let ind = indicator(&[("indic_is", "I_A"), ("unit", "PC_IND")], false);
        let req = Request {
            since: Some(2022),
            until: Some(2022),
            ..request(&["AA", "CC"])
        };
        let rows = compute(&store, &groups(), &ind, &req).expect("computes");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!((rows[0].geo.as_str(), rows[0].rank_eu27), ("AA", Some(2)));
        assert_eq!(rows[0].change, Some(4.0), "2021 is read for the change");
        assert_eq!((rows[1].geo.as_str(), rows[1].rank_eu27), ("CC", Some(3)));
    }

    #[test]
    fn a_filter_that_leaves_several_series_is_refused_naming_the_dimension_and_its_codes() {
        let (_dir, store) = store_with_data();
        let ind = indicator(&[("unit", "PC_IND")], true);
        let error = compute(&store, &groups(), &ind, &request(&["AA"])).expect_err("ambiguous");
        let message = error.to_string();
        for part in ["indicators/test.toml", "indic_is (I_A, I_B)", "test_r"] {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
    }

    #[test]
    fn a_filter_on_a_missing_column_is_refused_with_the_columns_the_data_has() {
        let (_dir, store) = store_with_data();
        let ind = indicator(&[("indic_is", "I_A"), ("hhtyp", "TOTAL")], true);
        let error = compute(&store, &groups(), &ind, &request(&["AA"])).expect_err("no column");
        let message = error.to_string();
        for part in ["filter.hhtyp", "freq, indic_is, unit"] {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
    }

    #[test]
    fn the_geos_of_a_dataset_are_listed_sorted_and_none_without_a_version() {
        let (_dir, store) = store_with_data();
        let listed = geos(&store, "test_r").expect("lists");
        assert_eq!(listed, ["AA", "AA1", "BB", "BB1", "CC", "EU27_2020"]);
        assert!(geos(&store, "nothing").expect("no version").is_empty());
    }

    #[test]
    fn a_filter_value_is_bound_not_spliced() {
        let (_dir, store) = store_with_data();
        let ind = indicator(&[("indic_is", "I_A' OR '1'='1"), ("unit", "PC_IND")], true);
        let rows = compute(&store, &groups(), &ind, &request(&["AA"])).expect("runs");
        assert!(rows.is_empty(), "the quote is a value, not SQL: {rows:?}");
    }

    #[test]
    fn a_source_without_a_version_and_a_missing_group_are_errors() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path(), 1).expect("store");
        let ind = indicator(&[("unit", "PC_IND")], true);
        let error = compute(&store, &groups(), &ind, &request(&["AA"])).expect_err("no data");
        assert!(
            error.to_string().contains("desi-city fetch test_r"),
            "{error}"
        );
        let no_capitals = GeoGroups::parse(
            Path::new("geo-groups.toml"),
            "[eu27]\ndescription = \"M\"\ncodes = [\"AA\"]\n",
        )
        .expect("groups");
        let error = compute(&store, &no_capitals, &ind, &request(&["AA"])).expect_err("group");
        assert!(error.to_string().contains("capital-regions"), "{error}");
    }
}
