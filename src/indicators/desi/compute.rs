//! The composite itself: puts the method's parameters into DuckDB temp tables (through an
//! `Appender`, `method_tables.sql`), has [`super::input`] put the filled cells beside them, and runs
//! the one normalising and aggregating SELECT both methodologies share (`scores.sql`): every
//! sub-dimension, dimension and DESI score of every geo and edition, as [`Score`] rows in the order
//! of the Commission's tables, with notes for the user.
//!
//! Must not read methodology files or decide how a gap is filled, and must not round: scores are
//! IEEE doubles from end to end. No value from outside becomes SQL text.

use duckdb::params;

use super::input;
use super::method::{Edition, EditionLabel, Level, Methodology};
use crate::indicators::{IndicatorError, Result};
use crate::store::Store;

/// The method's temp tables (`method_tables.sql`).
const METHOD_TABLES_SQL: &str = include_str!("method_tables.sql");

/// The composite's SELECT (`scores.sql`).
const SCORES_SQL: &str = include_str!("scores.sql");

/// One row of the composite: `methodology,edition,geo,level,code,score`.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub methodology: Edition,
    /// The DESI edition year (2017 … 2022 for the 2022 methodology).
    pub edition: i32,
    pub geo: String,
    pub level: Level,
    /// The Commission's code: `desi`, `1` … `4`, `1a` …
    pub code: String,
    /// `None` when an input is missing (missing propagates).
    pub score: Option<f64>,
}

/// The composite's scores and what the user should know about them (printed once to stderr by
/// the CLI): input series absent from the store, scores missing for every geo and edition.
#[derive(Debug, Clone, PartialEq)]
pub struct Composite {
    pub scores: Vec<Score>,
    pub notes: Vec<String>,
}

/// Computes the composite for every geo of the methodology and every edition (or only
/// `edition`, a year), over the store's current version of the methodology's dataset
/// ([`Methodology::dataset`]); a long input is filled by its imputation rules first, for every
/// edition. Blocking (DuckDB): call it from `spawn_blocking` in async code.
pub fn compute(
    store: &Store,
    methodology: &Methodology,
    edition: Option<i32>,
) -> Result<Composite> {
    let editions: Vec<&EditionLabel> = match edition {
        None => methodology.method.editions.iter().collect(),
        Some(year) => {
            let found: Vec<&EditionLabel> = methodology
                .method
                .editions
                .iter()
                .filter(|e| e.year == year)
                .collect();
            if found.is_empty() {
                let known: Vec<String> = methodology
                    .edition_years()
                    .iter()
                    .map(i32::to_string)
                    .collect();
                return Err(IndicatorError::UnknownEdition {
                    methodology: methodology.edition.as_str().to_owned(),
                    edition: year,
                    known: known.join(", "),
                });
            }
            found
        }
    };
    let conn = crate::indicators::connection()?;
    conn.execute_batch(METHOD_TABLES_SQL)?;
    {
        let mut a = conn.appender("m_editions")?;
        for (i, e) in editions.iter().enumerate() {
            a.append_row(params![e.year, e.label, i as i32])?;
        }
        let mut a = conn.appender("m_all_editions")?;
        for (i, e) in methodology.method.editions.iter().enumerate() {
            a.append_row(params![e.year, e.label, i as i32])?;
        }
        let mut a = conn.appender("m_geos")?;
        for (i, g) in methodology.geos().iter().enumerate() {
            a.append_row(params![g, i as i32])?;
        }
        let mut a = conn.appender("m_dimensions")?;
        for (i, d) in methodology.structure.dimensions.iter().enumerate() {
            a.append_row(params![d.code, d.weight, i as i32])?;
        }
        let mut a = conn.appender("m_subdimensions")?;
        for (i, s) in methodology.structure.subdimensions.iter().enumerate() {
            a.append_row(params![s.code, s.dimension, s.weight, i as i32])?;
        }
        let mut a = conn.appender("m_indicators")?;
        for (i, ind) in methodology.indicators.iter().enumerate() {
            a.append_row(params![
                ind.code,
                methodology.cell_code(ind),
                ind.subdimension,
                ind.higher_is_better,
                ind.min,
                ind.max,
                ind.weight,
                i as i32
            ])?;
        }
    }

    let mut notes = if methodology.long_input() {
        input::fill_long_input(&conn, store, methodology)?
    } else {
        input::read_wide_input(&conn, store, methodology)?;
        Vec::new()
    };

    let mut stmt = crate::indicators::select_once(&conn, SCORES_SQL)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i32>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<f64>>(4)?,
        ))
    })?;
    let mut scores = Vec::new();
    for row in rows {
        let (edition, geo, level, code, score) = row?;
        let level = Level::parse(&level).unwrap_or(Level::Desi);
        scores.push(Score {
            methodology: methodology.edition,
            edition,
            geo,
            level,
            code,
            score,
        });
    }

    // The scores that no geo and edition has.
    let mut never: Vec<(Level, &str)> = Vec::new();
    for s in &scores {
        let key = (s.level, s.code.as_str());
        if !never.contains(&key)
            && scores
                .iter()
                .filter(|t| t.level == s.level && t.code == s.code)
                .all(|t| t.score.is_none())
        {
            never.push(key);
        }
    }
    if !never.is_empty() {
        let named: Vec<String> = never
            .iter()
            .map(|(level, code)| match level {
                Level::Desi => "the DESI total".to_owned(),
                _ => format!(
                    "{level} {code} ({})",
                    methodology.title(*level, code).unwrap_or_default()
                ),
            })
            .collect();
        notes.push(format!(
            "these scores are missing for every geo and edition, as an input they need has no value: {}.",
            named.join(", ")
        ));
    }
    Ok(Composite { scores, notes })
}
