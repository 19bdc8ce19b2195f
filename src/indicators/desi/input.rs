//! The input of a methodology, read from the store: the store's current version of its dataset
//! behind a DuckDB view, checked against what the methodology names (columns, editions, geos,
//! indicator columns or series), and handed to the composite as the temp table or view
//! `cell_values` (period, geo, indicator, value, zero_score). The wide 2022 table is already
//! filled; the long 2020 CSV is read into a map, filled by [`super::imputation`] in Rust and
//! appended. The raw-values and absent-series queries are the `.sql` files beside this one.
//!
//! Must not write to the store, compute a score or decide how a gap is filled (that is
//! `imputation`'s); values from outside reach DuckDB as appended rows, never as SQL text (the one
//! literal is the store's own file path).

use std::collections::HashMap;

use duckdb::{Connection, params};

use super::files::invalid;
use super::imputation::Filled;
use super::method::Methodology;
use crate::indicators::{IndicatorError, Result};
use crate::store::Store;

/// The raw values of a long input, per indicator, geo and edition (`raw_values.sql`).
const RAW_VALUES_SQL: &str = include_str!("raw_values.sql");

/// The series of a long input that have no row at all (`absent_series.sql`).
const ABSENT_SERIES_SQL: &str = include_str!("absent_series.sql");

/// A SQL string literal: `'` doubled. Used only for a path the store built (see [`attach`]).
fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Puts the store's current version of `dataset` behind the temp view `view`.
fn attach(
    conn: &Connection,
    store: &Store,
    dataset: &str,
    view: &str,
    missing: impl FnOnce() -> IndicatorError,
) -> Result<()> {
    let version = store.current(dataset)?.ok_or_else(missing)?;
    let path = store.file_path(&version);
    // DuckDB takes no bound parameter in CREATE VIEW, so the path is written into the SQL as a
    // string literal. It comes from the store (built from checked dataset and version ids under
    // the data dir), never from a request; `sql_literal` doubles any `'` all the same. `view` is
    // one of this module's constants.
    conn.execute_batch(&format!(
        "CREATE TEMP VIEW {view} AS SELECT * FROM read_parquet({});",
        sql_literal(&path.to_string_lossy())
    ))?;
    Ok(())
}

/// The columns of a view that are absent.
fn absent_columns(conn: &Connection, view: &str, want: &[&str]) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("SELECT column_name FROM (DESCRIBE {view})"))?;
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(want
        .iter()
        .filter(|c| !columns.iter().any(|have| have == *c))
        .map(|c| (*c).to_owned())
        .collect())
}

/// The first thing the input `observations` lacks, said for the user: one of `columns` (it was
/// then not imported with `--format {format}`), an edition label of the method table `editions`
/// (`.0`, named `.1` in the message), or a geo of `m_geos`; `None` when it has them all.
fn missing_in_input(
    conn: &Connection,
    columns: &[&str],
    format: &str,
    editions: (&str, &str),
) -> Result<Option<String>> {
    if let Some(c) = absent_columns(conn, "observations", columns)?.first() {
        return Ok(Some(format!(
            "it has no `{c}` column, so it was not imported in the {format} format"
        )));
    }
    let (table, named) = editions;
    // `table` is one of this module's method tables, never user text.
    if let Some(absent) = absent_rows(
        conn,
        &format!(
            "SELECT label FROM {table} WHERE label NOT IN (SELECT DISTINCT period FROM observations WHERE period IS NOT NULL) ORDER BY ord"
        ),
    )? {
        return Ok(Some(format!("no rows for the {named} {absent}")));
    }
    if let Some(absent) = absent_rows(
        conn,
        "SELECT geo FROM m_geos WHERE geo NOT IN (SELECT DISTINCT geo FROM observations) ORDER BY ord",
    )? {
        return Ok(Some(format!("no rows for the geo(s) {absent}")));
    }
    Ok(None)
}

/// What a check query lists as absent, joined for a message; `None` when it lists nothing.
fn absent_rows(conn: &Connection, sql: &str) -> Result<Option<String>> {
    let absent = strings(conn, sql)?;
    Ok((!absent.is_empty()).then(|| absent.join(", ")))
}

/// The first column of a query's rows, as strings.
fn strings(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(rows)
}

/// The wide, already filled input (2022): checks it and puts it behind the view `cell_values`.
pub(super) fn read_wide_input(
    conn: &Connection,
    store: &Store,
    methodology: &Methodology,
) -> Result<()> {
    let dataset = methodology.dataset();
    let load = methodology.load();
    attach(conn, store, dataset, "observations", || {
        IndicatorError::NoData {
            dataset: dataset.to_owned(),
            load: load.clone(),
        }
    })?;
    let input_problem = |problem: String| IndicatorError::Input {
        dataset: dataset.to_owned(),
        path: methodology.indicators_path(),
        problem,
        load: load.clone(),
    };
    // Every edition label, geo and indicator column the method names must be in the input.
    if let Some(problem) = missing_in_input(
        conn,
        &["indicator", "geo", "period", "value"],
        "desi-wide",
        ("m_editions", "edition label(s)"),
    )? {
        return Err(input_problem(problem));
    }
    if let Some(absent) = absent_rows(
        conn,
        "SELECT input FROM m_indicators WHERE input NOT IN (SELECT DISTINCT indicator FROM observations) ORDER BY ord",
    )? {
        return Err(input_problem(format!(
            "no column for the indicator(s) {absent}"
        )));
    }
    conn.execute_batch(
        "CREATE TEMP VIEW cell_values AS
         SELECT period, geo, indicator, value, false AS zero_score FROM observations;",
    )?;
    Ok(())
}

/// The long raw input (2020): reads its values from the store, fills the gaps by the imputation rules (every edition, in the order of the tables, as
/// the reference does: the memoised results of a cycle depend on it) and appends the filled cells
/// to the temp table `cell_values`. Returns the notes for the user.
pub(super) fn fill_long_input(
    conn: &Connection,
    store: &Store,
    methodology: &Methodology,
) -> Result<Vec<String>> {
    let dataset = methodology.dataset();
    let load = methodology.load();
    let method_path = methodology.method_path();
    let Some(rules) = &methodology.imputation else {
        return Err(invalid(
            &method_path,
            "imputation",
            "a long (desi-csv) input needs imputation rules",
            "Name the file of the missing-value rules: imputation = \"imputation.toml\".",
        ));
    };
    attach(conn, store, dataset, "observations", || {
        IndicatorError::NoData {
            dataset: dataset.to_owned(),
            load: load.clone(),
        }
    })?;
    let input_problem = |problem: String| IndicatorError::Input {
        dataset: dataset.to_owned(),
        path: methodology.indicators_path(),
        problem,
        load: load.clone(),
    };
    let wanted = [
        "indicator",
        "breakdown",
        "unit_measure",
        "geo",
        "period",
        "value",
    ];
    if let Some(problem) =
        missing_in_input(conn, &wanted, "desi-csv", ("m_all_editions", "edition(s)"))?
    {
        return Err(input_problem(problem));
    }

    conn.execute_batch(
        "CREATE TEMP TABLE m_series (ind INTEGER, indicator VARCHAR, breakdown VARCHAR, unit VARCHAR);",
    )?;
    {
        let mut a = conn.appender("m_series")?;
        for (i, ind) in methodology.indicators.iter().enumerate() {
            if let Some(s) = &ind.input {
                a.append_row(params![i as i32, s.indicator, s.breakdown, s.unit])?;
            }
        }
    }
    let geos = methodology.geos();
    let years = methodology.edition_years();
    let mut raw = HashMap::new();
    {
        let mut stmt = crate::indicators::select_once(conn, RAW_VALUES_SQL)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, i32>(1)?,
                r.get::<_, i32>(2)?,
                r.get::<_, f64>(3)?,
            ))
        })?;
        for row in rows {
            let (i, g, e, v) = row?;
            let cell = (i as usize, g as usize, e);
            if raw.insert(cell, v).is_some_and(|before| before != v) {
                return Err(input_problem(format!(
                    "two different values for {} {} {e}",
                    methodology.indicators[cell.0].code, geos[cell.1]
                )));
            }
        }
    }
    // The series the input has no row of at all: (indicator index, `indicator/breakdown/unit`).
    let absent: Vec<(usize, String)> = {
        let mut stmt = conn.prepare(ABSENT_SERIES_SQL)?;
        stmt.query_map([], |r| {
            Ok((r.get::<_, i32>(0)? as usize, r.get::<_, String>(1)?))
        })?
        .collect::<std::result::Result<_, _>>()?
    };

    let mut notes = Vec::new();
    for (i, group, g) in rules.differing_groups(&raw, geos.len()) {
        notes.push(format!(
            "{}: [[same_data_year]] {} {group:?}: the raw values of {} differ, so these editions may not share a data year.",
            rules.path.display(),
            methodology.indicators[i].code,
            geos[g]
        ));
    }

    let mut imputer = rules.imputer(raw);
    conn.execute_batch(
        "CREATE TEMP TABLE cell_values (period VARCHAR, geo VARCHAR, indicator VARCHAR, value DOUBLE, zero_score BOOLEAN);",
    )?;
    let mut filled = vec![0usize; methodology.indicators.len()];
    {
        let mut a = conn.appender("cell_values")?;
        for e in &methodology.method.editions {
            for (g, geo) in geos.iter().enumerate() {
                for (i, ind) in methodology.indicators.iter().enumerate() {
                    let (value, zero) = match imputer.value((i, g, e.year)) {
                        None => continue,
                        Some(Filled::Value(v)) => (Some(v), false),
                        Some(Filled::ZeroScore) => (None, true),
                    };
                    filled[i] += 1;
                    a.append_row(params![e.label, geo, ind.code, value, zero])?;
                }
            }
        }
    }

    if !absent.is_empty() {
        let cells = years.len() * geos.len();
        let how: Vec<String> = absent
            .iter()
            .map(|&(i, _)| {
                let code = &methodology.indicators[i].code;
                match filled[i] {
                    0 => format!("{code} has no value at all"),
                    n => format!(
                        "{code} gets {n} of its {cells} cells from the rules of {} alone",
                        rules.path.display()
                    ),
                }
            })
            .collect();
        notes.insert(
            0,
            format!(
                "dataset {dataset} has no rows for the series {} of {}: the raw file it was imported from ({}) lacks them. {}. See indicators/methodology/README.md, \"Known gaps\".",
                absent
                    .iter()
                    .map(|(_, series)| series.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                methodology.indicators_path().display(),
                methodology.method.input.file,
                how.join("; ")
            ),
        );
    }
    Ok(notes)
}
