//! The values of one indicator, computed once per version of its source(s) as a [`Table`]:
//! every geo and period the source has, with the value and its flags, the EU27_2020 value of the
//! period, the change against the geo's previous period, the rank and median within every group
//! of `datasets/geo-groups.toml` (member states, capital regions, any peer group a city office
//! adds), and the dataset and store version each value came from. Requests then select rows from
//! the table ([`Table::select`], [`Table::batch`]): no SQL per request.
//!
//! DuckDB computes tables in batches ([`Table::compute_many`]: one statement, `sql/indicator_table.sql`,
//! for many indicators, since planning costs more than running) over `read_parquet` of the
//! store's files (no copy), each file read once per set of filter columns. The filters' codes and
//! the group members go in through an `Appender` (temp tables `m_filters`, `m_groups`); column
//! names are used only once found among the version's dimension columns (then quoted as
//! identifiers). The only SQL literals are the store-built file path, with `'` doubled, and
//! [`EU_AGGREGATE`].
//!
//! Must not write to the store, fetch, or round: values are the stored doubles. A filter that
//! names a column the data lacks, or that leaves more than one series per geo and period, is an
//! error for that indicator (it names the file, the key and what to do).

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray, UInt32Array};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use duckdb::types::Value;
use duckdb::{Connection, params, params_from_iter};

use super::definitions::Indicator;
use super::{IndicatorError, Load, Result};
use crate::catalog::{GeoGroups, observation};
use crate::store::{Store, Version};

/// The EU aggregate every value is compared with.
pub const EU_AGGREGATE: &str = "EU27_2020";
/// The group of `datasets/geo-groups.toml` holding the member states.
pub const MEMBERS_GROUP: &str = "eu27";
/// The group of `datasets/geo-groups.toml` holding the EU capital regions.
pub const CAPITALS_GROUP: &str = "capital-regions";

const TABLE_SQL: &str = include_str!("sql/indicator_table.sql");

/// What to select: the geos (in the order wanted), an optional range of years, and an optional
/// peer group whose rank and median come with each value.
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
    /// The year the period starts in.
    pub year: Option<i32>,
    /// `None` when the cell is published without a value (e.g. confidential).
    pub value: Option<f64>,
    /// The upstream's observation flags, as published (`b`, `e`, `u`, …).
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
    /// The source dataset this value comes from (the main source, or a supplement).
    pub dataset: String,
    /// The store version of that dataset.
    pub version: String,
}

/// Where a computation finds an indicator's table: the tables the engine keeps per data version
/// ([`crate::indicators::figures`]), or one computed on the spot.
pub type Lookup<'a> =
    dyn Fn(&Indicator) -> std::result::Result<Arc<Table>, Arc<IndicatorError>> + 'a;

/// [`Lookup`] computing each table on the spot on `conn` (from [`connection`]). Blocking (DuckDB).
pub fn on_the_spot<'a>(
    conn: &'a Connection,
    store: &'a Store,
    groups: &'a GeoGroups,
) -> impl Fn(&Indicator) -> std::result::Result<Arc<Table>, Arc<IndicatorError>> + 'a {
    move |indicator| {
        Table::compute(conn, store, groups, indicator)
            .map(Arc::new)
            .map_err(Arc::new)
    }
}

/// A value's place in a group of geos in its period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// 1 = best; `None` when the geo is not in the group or has no value.
    pub rank: Option<u32>,
    /// How many of the group have a value in the period.
    pub ranked: u32,
    /// The group's median in the period (`None` when none has a value).
    pub median: Option<f64>,
}

/// One group's ranks: per row of the table, and per period (count, median).
#[derive(Debug, Default)]
struct GroupColumn {
    rank: Vec<Option<u32>>,
    periods: HashMap<String, (u32, f64)>,
}

/// One indicator's whole table over one set of source versions.
#[derive(Debug)]
pub struct Table {
    pub indicator: String,
    /// Sorted by geo, then time.
    pub rows: Vec<IndicatorValue>,
    /// Each geo's rows. Looked up for every geo of every request: hashed with foldhash, not
    /// SipHash (a geo code is no attacker's key to flood).
    by_geo: foldhash::HashMap<String, Range<usize>>,
    groups: BTreeMap<String, GroupColumn>,
    /// The versions read, the main source's first (a supplement without a version is absent).
    pub versions: Vec<Version>,
}

/// The columns of [`Table::batch`]'s batch, in order: `indicator`, `geo`, `period` (text),
/// `value` (f64), `flags` (text), `eu27_value` (f64), `rank_eu27`, `ranked_eu27`, `rank_capitals`,
/// `ranked_capitals` (u32), `change` (f64), `previous_period`, `dataset` (the source id) and
/// `version` (the store version read) (text). With a peer group, [`PEER_COLUMNS`] follow.
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

/// The columns added for a peer group: its name, the geo's rank in it, how many of it have a
/// value in the period, and its median.
pub const PEER_COLUMNS: [&str; 4] = ["peers", "rank_peers", "ranked_peers", "peers_median"];

/// A SQL string literal: `'` doubled. Used only for a path the store built.
fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A SQL identifier: `"` doubled. Used only for a column name found in the data.
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

/// A connection ready for [`Table::compute`]: the groups of `groups` in the temp table
/// `m_groups`. One per worker; reused for every indicator it computes. Blocking (DuckDB).
pub fn connection(groups: &GeoGroups) -> Result<Connection> {
    let conn = super::connection()?;
    conn.execute_batch("CREATE TEMP TABLE m_groups (grp VARCHAR, geo VARCHAR);")?;
    {
        let mut a = conn.appender("m_groups")?;
        for name in groups.names() {
            for code in group(groups, name)? {
                a.append_row(params![name, code])?;
            }
        }
    }
    Ok(conn)
}

/// One source of an indicator: a dataset and the filter that picks one series of it.
struct Source<'a> {
    dataset: &'a str,
    filter: &'a BTreeMap<String, String>,
    /// The first year taken (a supplement's `since`).
    since: Option<i32>,
}

/// The main source, then the supplements (`[[also]]`), in the file's order: a supplement fills
/// only the (geo, period) cells the sources before it lack.
fn sources(indicator: &Indicator) -> Vec<Source<'_>> {
    std::iter::once(Source {
        dataset: &indicator.source,
        filter: &indicator.filter,
        since: None,
    })
    .chain(indicator.also.iter().map(|s| Source {
        dataset: &s.source,
        filter: &s.filter,
        since: s.since,
    }))
    .collect()
}

/// An indicator's sources as read for one computation: the version of each, its dimension
/// columns, and its place among the indicator's sources.
type Read = Vec<(Version, Vec<String>, usize)>;

/// The series a batch reads, one [`Scan`] per file and filter shape: each file is read once
/// for all the sources that filter it on the same columns (DuckDB binds every `read_parquet`
/// anew, reading the file's metadata, and plans every branch of the union: some thirty sources
/// over five to eight files in a batch).
#[derive(Default)]
struct Scans(Vec<Scan>);

/// One file read for the sources that filter it on the same `columns` (sorted).
struct Scan {
    path: String,
    columns: Vec<String>,
    sources: Vec<Scanned>,
}

/// One source of a [`Scan`]: its indicator's place in the batch (`ind`), the sign of its
/// direction, its place among the indicator's sources read (`src`), its codes (in the order of
/// the scan's columns) and its first year.
struct Scanned {
    ind: usize,
    sign: i32,
    src: usize,
    codes: Vec<String>,
    since: Option<i32>,
}

impl Scans {
    fn add(&mut self, path: String, columns: Vec<String>, source: Scanned) {
        match self
            .0
            .iter_mut()
            .find(|s| s.path == path && s.columns == columns)
        {
            Some(scan) => scan.sources.push(source),
            None => self.0.push(Scan {
                path,
                columns,
                sources: vec![source],
            }),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Puts every source into the temp table `m_filters` through an Appender: its scan's place,
    /// `ind`, `sign`, `src`, `since` and its codes as `c0`, `c1` … (as many as the widest
    /// filter of the batch has columns; null past its own). Blocking (DuckDB).
    fn append(&self, conn: &Connection) -> Result<()> {
        let width = self.0.iter().map(|s| s.columns.len()).max().unwrap_or(0);
        let codes: String = (0..width).map(|i| format!(", c{i} VARCHAR")).collect();
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE m_filters (scan INTEGER, ind INTEGER, sign INTEGER, src INTEGER, since INTEGER{codes});"
        ))?;
        let mut a = conn.appender("m_filters")?;
        for (i, scan) in self.0.iter().enumerate() {
            for s in &scan.sources {
                let mut row = vec![
                    Value::Int(i as i32),
                    Value::Int(s.ind as i32),
                    Value::Int(s.sign),
                    Value::Int(s.src as i32),
                    s.since.map_or(Value::Null, Value::Int),
                ];
                row.extend(s.codes.iter().cloned().map(Value::Text));
                row.resize(5 + width, Value::Null);
                a.append_row(duckdb::appender_params_from_iter(row))?;
            }
        }
        Ok(())
    }

    /// The UNION ALL of one SELECT per scan, each giving ind, sign, geo, period, period_start,
    /// value, flags, src: the file's rows joined on the filter columns to its sources' rows of
    /// `m_filters`. The column names are quoted identifiers found among the version's
    /// dimensions, the path the store's, the scan's place a number this code made.
    fn sql(&self) -> String {
        let selects: Vec<String> = self
            .0
            .iter()
            .enumerate()
            .map(|(i, scan)| {
                let mut on = vec![format!("f.scan = {i}")];
                on.extend(
                    scan.columns
                        .iter()
                        .enumerate()
                        .map(|(c, column)| format!("o.{} = f.c{c}", sql_identifier(column))),
                );
                format!(
                    "SELECT f.ind, f.sign, o.geo, o.period, o.period_start, o.value, o.flags, f.src \
                     FROM read_parquet({}) o JOIN m_filters f ON {} \
                     WHERE o.geo IS NOT NULL AND (f.since IS NULL OR year(o.period_start) >= f.since)",
                    sql_literal(&scan.path),
                    on.join(" AND ")
                )
            })
            .collect();
        selects.join(" UNION ALL ")
    }
}

/// Checks `indicator` against its sources' versions and adds its series from each (tagged `ind`
/// and with the sign of its direction) to `scans`. Fails for this indicator only (no version of
/// its main source, a filter column the data lacks, a group the ranks need), adding nothing.
fn plan(
    store: &Store,
    groups: &GeoGroups,
    indicator: &Indicator,
    ind: usize,
    scans: &mut Scans,
) -> Result<Read> {
    group(groups, MEMBERS_GROUP)?;
    if indicator.is_regional() {
        group(groups, CAPITALS_GROUP)?;
    }
    let sign = if indicator.higher_is_better { 1 } else { -1 };
    let mut read = Vec::new();
    let mut own = Vec::new();
    for (i, source) in sources(indicator).iter().enumerate() {
        let Some(version) = store.current(source.dataset)? else {
            if i == 0 {
                return Err(IndicatorError::NoData {
                    dataset: indicator.source.clone(),
                    load: indicator.load.clone(),
                });
            }
            continue;
        };
        // Dimension columns: those the version records, except `geo`.
        let dimensions: Vec<String> = observation::filterable(&version.meta.dimensions)
            .cloned()
            .collect();
        if let Some(column) = source.filter.keys().find(|c| !dimensions.contains(c)) {
            return Err(IndicatorError::Input {
                dataset: source.dataset.to_owned(),
                path: indicator.file.clone(),
                problem: format!(
                    "key `filter.{column}` names a column the data lacks (its dimensions are: {})",
                    dimensions.join(", ")
                ),
                load: Load::fetch(source.dataset),
            });
        }
        // `src` numbers the sources read, in order (one without a version is skipped). The
        // filter's columns come sorted (a BTreeMap), its codes in the same order.
        let scanned = Scanned {
            ind,
            sign,
            src: read.len(),
            codes: source.filter.values().cloned().collect(),
            since: source.since,
        };
        own.push((
            store.file_path(&version).to_string_lossy().into_owned(),
            source.filter.keys().cloned().collect::<Vec<_>>(),
            scanned,
        ));
        read.push((version, dimensions, i));
    }
    for (path, columns, scanned) in own {
        scans.add(path, columns, scanned);
    }
    Ok(read)
}

/// What the statement returned for one indicator, before it becomes a [`Table`].
#[derive(Default)]
struct Gathered {
    rows: Vec<IndicatorValue>,
    /// Per row, its (group, rank, ranked, median).
    ranks: Vec<(usize, String, u32, u32, f64)>,
    /// The first source (by `src`) that repeats a (geo, period).
    repeated: Option<usize>,
}

impl Table {
    /// Computes `indicator`'s table over the store's current versions of its sources, on `conn`
    /// (from [`connection`]). Blocking (DuckDB).
    pub fn compute(
        conn: &Connection,
        store: &Store,
        groups: &GeoGroups,
        indicator: &Indicator,
    ) -> Result<Table> {
        // compute_many gives exactly one result per indicator asked.
        let mut one = Table::compute_many(conn, store, groups, &[indicator]);
        one.swap_remove(0)
    }

    /// Computes the tables of `indicators` in one DuckDB statement (`sql/indicator_table.sql`:
    /// planning it costs more than running it, so many indicators share one plan), each table or
    /// why not, in the order given. An indicator whose file does not fit its data fails alone; if
    /// the statement itself fails, each indicator is computed on its own so that the others are
    /// not lost with it. Blocking (DuckDB).
    pub fn compute_many(
        conn: &Connection,
        store: &Store,
        groups: &GeoGroups,
        indicators: &[&Indicator],
    ) -> Vec<Result<Table>> {
        let mut scans = Scans::default();
        let mut planned: Vec<Result<Read>> = indicators
            .iter()
            .enumerate()
            .map(|(ind, indicator)| plan(store, groups, indicator, ind, &mut scans))
            .collect();
        let mut gathered: Vec<Gathered> = indicators.iter().map(|_| Gathered::default()).collect();
        if !scans.is_empty()
            && let Err(error) = run_table_sql(conn, &scans, indicators, &planned, &mut gathered)
        {
            if indicators.len() > 1 {
                return indicators
                    .iter()
                    .map(|i| Table::compute(conn, store, groups, i))
                    .collect();
            }
            planned = vec![Err(error)];
        }
        planned
            .into_iter()
            .zip(gathered)
            .zip(indicators)
            .map(|((read, got), indicator)| {
                let read = read?;
                if let Some(src) = got.repeated {
                    let (version, dimensions, i) = &read[src];
                    let source = &sources(indicator)[*i];
                    return Err(IndicatorError::Input {
                        dataset: version.dataset.clone(),
                        path: indicator.file.clone(),
                        problem: ambiguity(conn, store, version, dimensions, source)?,
                        load: Load::fetch(&version.dataset),
                    });
                }
                Ok(Table::assemble(indicator, read, got))
            })
            .collect()
    }

    fn assemble(indicator: &Indicator, read: Read, got: Gathered) -> Table {
        let Gathered { rows, ranks, .. } = got;
        let mut by_geo = foldhash::HashMap::<String, Range<usize>>::default();
        for (i, row) in rows.iter().enumerate() {
            by_geo
                .entry(row.geo.clone())
                .and_modify(|r| r.end = i + 1)
                .or_insert(i..i + 1);
        }
        let mut columns: BTreeMap<String, GroupColumn> = BTreeMap::new();
        for (i, grp, rank, ranked, median) in ranks {
            let column = columns.entry(grp).or_insert_with(|| GroupColumn {
                rank: vec![None; rows.len()],
                periods: HashMap::new(),
            });
            column.rank[i] = Some(rank);
            column
                .periods
                .entry(rows[i].period.clone())
                .or_insert((ranked, median));
        }
        let mut table = Table {
            indicator: indicator.id.clone(),
            rows,
            by_geo,
            groups: columns,
            versions: read.into_iter().map(|(v, _, _)| v).collect(),
        };
        for i in 0..table.rows.len() {
            let members = table.standing(MEMBERS_GROUP, i);
            let capitals = indicator
                .is_regional()
                .then(|| table.standing(CAPITALS_GROUP, i))
                .flatten();
            let row = &mut table.rows[i];
            if let Some(s) = members {
                (row.rank_eu27, row.ranked_eu27) = (s.rank, s.ranked);
            }
            if let Some(s) = capitals {
                (row.rank_capitals, row.ranked_capitals) = (s.rank, s.ranked);
            }
        }
        table
    }

    /// The main source's version read.
    pub fn version(&self) -> &Version {
        &self.versions[0]
    }

    /// Whether the table has rows for `geo`.
    pub fn has_geo(&self, geo: &str) -> bool {
        self.by_geo.contains_key(geo)
    }

    /// The geos the table has rows for, sorted.
    pub fn geos(&self) -> Vec<&str> {
        let mut geos: Vec<&str> = self.by_geo.keys().map(String::as_str).collect();
        geos.sort_unstable();
        geos
    }

    /// The row indices that bound the geos' rows, in order: 0, where each geo's rows after the
    /// first start, and the row count (an empty table: just 0). A run of [`Table::select_runs`]
    /// covers whole geos when both its ends are among them.
    pub fn geo_bounds(&self) -> Vec<usize> {
        let mut bounds: Vec<usize> = self.by_geo.values().map(|r| r.start).collect();
        bounds.push(self.rows.len());
        bounds.sort_unstable();
        bounds.dedup();
        bounds
    }

    /// The rows of `geo`, in time order (none when the table has no row for it).
    pub fn rows_of(&self, geo: &str) -> &[IndicatorValue] {
        self.by_geo
            .get(geo)
            .map_or(&[][..], |range| &self.rows[range.clone()])
    }

    /// The place of row `i` in group `name`, when the table knows the group (any group of
    /// `geo-groups.toml` with a value in the data); `None` for an unknown group or a period in
    /// which no member has a value.
    pub fn standing(&self, name: &str, i: usize) -> Option<Standing> {
        let column = self.groups.get(name)?;
        let (ranked, median) = *column.periods.get(&self.rows.get(i)?.period)?;
        Some(Standing {
            rank: column.rank[i],
            ranked,
            median: Some(median),
        })
    }

    /// The indices of the rows asked for: geo by geo in the asked order, periods in time order,
    /// within the year range.
    pub fn select(&self, request: &Request) -> Vec<usize> {
        self.select_runs(request).into_iter().flatten().collect()
    }

    /// The rows of [`select`](Table::select) as runs of consecutive indices, in the same order:
    /// what a caller that slices rows encoded back to back needs, without a list of every index.
    pub fn select_runs(&self, request: &Request) -> Vec<Range<usize>> {
        let mut out: Vec<Range<usize>> = Vec::with_capacity(request.geos.len());
        let mut push = |run: Range<usize>| match out.last_mut() {
            _ if run.is_empty() => {}
            Some(last) if last.end == run.start => last.end = run.end,
            _ => out.push(run),
        };
        let unbounded = request.since.is_none() && request.until.is_none();
        for geo in &request.geos {
            let Some(range) = self.by_geo.get(geo) else {
                continue;
            };
            if unbounded {
                // Every row of the geo: its rows are not read.
                push(range.clone());
                continue;
            }
            let kept = |i: &usize| {
                let year = self.rows[*i].year;
                request.since.is_none_or(|s| year.is_some_and(|y| y >= s))
                    && request.until.is_none_or(|u| year.is_some_and(|y| y <= u))
            };
            let mut run: Option<Range<usize>> = None;
            for i in range.clone() {
                match (&mut run, kept(&i)) {
                    (Some(r), true) => r.end = i + 1,
                    (None, true) => run = Some(i..i + 1),
                    (Some(_), false) => push(run.take().unwrap_or_default()),
                    (None, false) => {}
                }
            }
            push(run.unwrap_or_default());
        }
        out
    }

    /// The rows of `indices` as one Arrow batch with the columns of [`SERIES_COLUMNS`] (nullable
    /// where the field is optional), then those of [`PEER_COLUMNS`] for `peers`, a group name.
    pub fn batch(&self, indices: &[usize], peers: Option<&str>) -> Result<RecordBatch> {
        let rows: Vec<&IndicatorValue> = indices.iter().map(|&i| &self.rows[i]).collect();
        let text = |f: fn(&IndicatorValue) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| f(r))))
        };
        let optional_text = |f: fn(&IndicatorValue) -> Option<&str>| -> ArrayRef {
            Arc::new(StringArray::from_iter(rows.iter().map(|r| f(r))))
        };
        let number = |f: fn(&IndicatorValue) -> Option<f64>| -> ArrayRef {
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| f(r))))
        };
        let rank = |f: fn(&IndicatorValue) -> Option<u32>| -> ArrayRef {
            Arc::new(UInt32Array::from_iter(rows.iter().map(|r| f(r))))
        };
        let count = |f: fn(&IndicatorValue) -> u32| -> ArrayRef {
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| f(r))))
        };
        let mut names: Vec<&str> = SERIES_COLUMNS.to_vec();
        let mut columns: Vec<ArrayRef> = vec![
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
            text(|r| &r.dataset),
            text(|r| &r.version),
        ];
        if let Some(name) = peers {
            let standings: Vec<Option<Standing>> =
                indices.iter().map(|&i| self.standing(name, i)).collect();
            names.extend(PEER_COLUMNS);
            columns.push(Arc::new(StringArray::from_iter_values(
                indices.iter().map(|_| name),
            )));
            columns.push(Arc::new(UInt32Array::from_iter(
                standings.iter().map(|s| s.and_then(|s| s.rank)),
            )));
            columns.push(Arc::new(UInt32Array::from_iter_values(
                standings.iter().map(|s| s.map_or(0, |s| s.ranked)),
            )));
            columns.push(Arc::new(Float64Array::from_iter(
                standings.iter().map(|s| s.and_then(|s| s.median)),
            )));
        }
        let fields: Vec<Field> = names
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
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(IndicatorError::Arrow)
    }
}

/// Puts the batch's sources into `m_filters`, runs the table statement (bound once:
/// [`super::select_once`]) and sorts its rows out per indicator (`ind`). Blocking (DuckDB).
fn run_table_sql(
    conn: &Connection,
    scans: &Scans,
    indicators: &[&Indicator],
    planned: &[Result<Read>],
    gathered: &mut [Gathered],
) -> Result<()> {
    scans.append(conn)?;
    // The EU aggregate's code is this module's constant.
    let sql = TABLE_SQL
        .replace("{source}", &scans.sql())
        .replace("{eu}", &sql_literal(EU_AGGREGATE));
    let mut stmt = super::select_once(conn, &sql)?;
    let mut result = stmt.query([])?;
    while let Some(r) = result.next()? {
        let ind = r.get::<_, i32>(0)? as usize;
        let (Some(got), Some(Ok(read)), Some(indicator)) =
            (gathered.get_mut(ind), planned.get(ind), indicators.get(ind))
        else {
            continue;
        };
        let geo: String = r.get(1)?;
        let period: String = r.get(2)?;
        let same = got
            .rows
            .last()
            .is_some_and(|last| last.geo == geo && last.period == period);
        if !same {
            let src = r.get::<_, i32>(6)? as usize;
            let repeats: i64 = r.get(10)?;
            if repeats > 1 && got.repeated.is_none() {
                got.repeated = Some(src);
            }
            let Some((version, _, _)) = read.get(src) else {
                continue;
            };
            got.rows.push(IndicatorValue {
                indicator: indicator.id.clone(),
                geo,
                period,
                year: r.get(3)?,
                value: r.get(4)?,
                flags: r.get(5)?,
                eu_value: r.get(7)?,
                rank_eu27: None,
                rank_capitals: None,
                ranked_eu27: 0,
                ranked_capitals: 0,
                change: r.get(8)?,
                previous_period: r.get(9)?,
                dataset: version.dataset.clone(),
                version: version.version.clone(),
            });
        }
        if let Some(grp) = r.get::<_, Option<String>>(11)? {
            let rank: i64 = r.get(12)?;
            let ranked: i64 = r.get(13)?;
            let median: f64 = r.get(14)?;
            got.ranks
                .push((got.rows.len() - 1, grp, rank as u32, ranked as u32, median));
        }
    }
    Ok(())
}

/// Why a filter leaves several series per geo and period: the dimensions it does not fix that
/// vary, with a few of their codes. Blocking (DuckDB).
fn ambiguity(
    conn: &Connection,
    store: &Store,
    version: &Version,
    dimensions: &[String],
    source: &Source<'_>,
) -> Result<String> {
    let mut conditions = vec!["true".to_owned()];
    let mut values = Vec::new();
    for (column, code) in source.filter {
        conditions.push(format!("{} = ?", sql_identifier(column)));
        values.push(Value::Text(code.clone()));
    }
    let filtered = format!(
        "SELECT * FROM read_parquet({}) WHERE {}",
        sql_literal(&store.file_path(version).to_string_lossy()),
        conditions.join(" AND ")
    );
    let mut varying = Vec::new();
    for d in dimensions
        .iter()
        .filter(|d| !source.filter.contains_key(*d))
    {
        let codes: Vec<String> = {
            let mut stmt = conn.prepare(&format!(
                "SELECT DISTINCT {col} FROM ({filtered}) WHERE {col} IS NOT NULL ORDER BY 1 LIMIT 7",
                col = sql_identifier(d)
            ))?;
            stmt.query_map(params_from_iter(values.iter()), |r| r.get::<_, String>(0))?
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
    Ok(format!(
        "the [filter] leaves several series per geo and period; add a key for: {}",
        if varying.is_empty() {
            "(no dimension varies: the data repeats cells)".to_owned()
        } else {
            varying.join("; ")
        }
    ))
}

/// Computes `indicator` for the asked geos over the store's current version of its source: its
/// [`Table`], then the rows asked for (geo by geo in the asked order, periods in time order).
/// For one-off use (the CLI); a server keeps the tables (`crate::indicators::figures`).
/// Blocking (DuckDB).
pub fn compute(
    store: &Store,
    groups: &GeoGroups,
    indicator: &Indicator,
    request: &Request,
) -> Result<Vec<IndicatorValue>> {
    let conn = connection(groups)?;
    let table = Table::compute(&conn, store, groups, indicator)?;
    Ok(table
        .select(request)
        .into_iter()
        .map(|i| table.rows[i].clone())
        .collect())
}

/// Whether a column of [`SERIES_COLUMNS`] may hold nulls.
fn nullable(column: &str) -> bool {
    !matches!(
        column,
        "indicator"
            | "geo"
            | "period"
            | "ranked_eu27"
            | "ranked_capitals"
            | "dataset"
            | "version"
            | "peers"
            | "ranked_peers"
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use chrono::Utc;

    use super::*;
    use crate::catalog::{DesiDimension, Level, Texts};
    use crate::fetch::parse::{self, Format, ParseOptions};
    use crate::store::VersionMeta;

    /// Two indicators (`I_A`, `I_B`) for three member states, two capital regions and the EU.
    pub(crate) const SDMX: &str =
        "DATAFLOW,LAST UPDATE,freq,indic_is,unit,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG
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

    pub(crate) const GROUPS: &str = r#"
[eu27]
description = "Members"
codes = ["AA", "BB", "CC"]

[capital-regions]
description = "Capitals"
codes = ["AA1", "BB1"]
"#;

    pub(crate) fn store_with_data() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path().join("data"), 2).expect("store");
        publish(&store, SDMX);
        (dir, store)
    }

    /// Publishes `sdmx` (SDMX-CSV 1.0) as a new version of `test_r`.
    pub(crate) fn publish(store: &Store, sdmx: &str) {
        let parsed = parse::parse(
            Format::SdmxCsv,
            "test_r",
            sdmx.as_bytes(),
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
    }

    pub(crate) fn groups() -> GeoGroups {
        GeoGroups::parse(Path::new("geo-groups.toml"), GROUPS).expect("groups")
    }

    pub(crate) fn indicator(filter: &[(&str, &str)], higher_is_better: bool) -> Indicator {
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
            load: Load::fetch("test_r"),
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
    fn a_batch_reads_a_file_once_per_set_of_filter_columns_and_gives_each_its_own_table() {
        let (_dir, store) = store_with_data();
        let groups = groups();
        let mut a = indicator(&[("indic_is", "I_A"), ("unit", "PC_IND")], true);
        a.id = "a".into();
        let mut b = indicator(&[("indic_is", "I_B"), ("unit", "PC_IND")], false);
        b.id = "b".into();
        let mut c = indicator(&[("indic_is", "I_B")], true);
        c.id = "c".into();
        let batch = [&a, &b, &c];
        let mut scans = Scans::default();
        for (ind, indicator) in batch.iter().enumerate() {
            plan(&store, &groups, indicator, ind, &mut scans).expect("planned");
        }
        let shapes: Vec<(usize, usize)> = scans
            .0
            .iter()
            .map(|s| (s.columns.len(), s.sources.len()))
            .collect();
        assert_eq!(
            shapes,
            [(2, 2), (1, 1)],
            "a and b share one scan, c has its own"
        );

        let conn = connection(&groups).expect("a connection");
        let together = Table::compute_many(&conn, &store, &groups, &batch);
        for (indicator, table) in batch.iter().zip(together) {
            let table = table.expect("computes");
            let alone = Table::compute(&conn, &store, &groups, indicator).expect("computes");
            assert_eq!(table.indicator, indicator.id);
            assert_eq!(
                table.rows, alone.rows,
                "{} in a batch as alone",
                indicator.id
            );
        }
        let b = Table::compute(&conn, &store, &groups, &b).expect("computes");
        let values: Vec<(&str, Option<f64>)> =
            b.rows.iter().map(|r| (r.geo.as_str(), r.value)).collect();
        assert_eq!(values, [("AA", Some(1.0))], "only I_B's one row");
    }

    #[test]
    fn a_selection_is_geo_by_geo_in_the_asked_order_within_the_years_asked() {
        let (_dir, store) = store_with_data();
        let ind = indicator(&[("indic_is", "I_A"), ("unit", "PC_IND")], true);
        let conn = connection(&groups()).expect("a connection");
        let table = Table::compute(&conn, &store, &groups(), &ind).expect("computes");
        let picked = |request: &Request| -> Vec<(String, String)> {
            table
                .select(request)
                .into_iter()
                .map(|i| (table.rows[i].geo.clone(), table.rows[i].period.clone()))
                .collect()
        };
        let all = picked(&request(&["EU27_2020", "BB"]));
        let geos: Vec<&str> = all.iter().map(|(g, _)| g.as_str()).collect();
        let first_bb = geos.iter().position(|g| *g == "BB").expect("BB is there");
        assert!(first_bb > 0, "the EU first, as asked: {all:?}");
        assert!(geos[..first_bb].iter().all(|g| *g == "EU27_2020"));
        assert!(geos[first_bb..].iter().all(|g| *g == "BB"));
        let bb: Vec<&str> = all[first_bb..].iter().map(|(_, p)| p.as_str()).collect();
        assert_eq!(bb, ["2021", "2022"], "every period of BB, in time order");
        let mut from_2022 = request(&["EU27_2020", "BB"]);
        from_2022.since = Some(2022);
        let bounded = picked(&from_2022);
        assert!(!bounded.is_empty() && bounded.iter().all(|(_, p)| p == "2022"));
        assert_eq!(
            bounded,
            all.iter()
                .filter(|(_, p)| p == "2022")
                .cloned()
                .collect::<Vec<_>>()
        );
        from_2022.until = Some(2021);
        assert!(picked(&from_2022).is_empty(), "no year from 2022 to 2021");
        assert!(picked(&request(&["ZZ"])).is_empty(), "a geo without rows");
    }

    #[test]
    fn the_runs_of_a_selection_are_its_rows_in_maximal_runs_of_consecutive_indices() {
        let (_dir, store) = store_with_data();
        let ind = indicator(&[("indic_is", "I_A"), ("unit", "PC_IND")], true);
        let conn = connection(&groups()).expect("a connection");
        let table = Table::compute(&conn, &store, &groups(), &ind).expect("computes");
        let geos: Vec<String> = table.geos().into_iter().map(str::to_owned).collect();
        assert!(geos.len() >= 2, "two geos at least: {geos:?}");
        let everything = Request {
            geos: geos.clone(),
            since: None,
            until: None,
        };
        // Every geo in the table's order: one run, the whole table.
        assert_eq!(table.select_runs(&everything), vec![0..table.rows.len()]);
        // The geos' bounds: each geo's rows lie between two of them, one geo per interval.
        let bounds = table.geo_bounds();
        assert_eq!(bounds.len(), geos.len() + 1, "{bounds:?}");
        assert_eq!((bounds[0], bounds[geos.len()]), (0, table.rows.len()));
        for (geo, pair) in geos.iter().zip(bounds.windows(2)) {
            assert!(
                table.rows[pair[0]..pair[1]].iter().all(|r| &r.geo == geo),
                "{geo}"
            );
        }
        let mut reversed = everything.clone();
        reversed.geos.reverse();
        let mut one_year = everything.clone();
        one_year.since = Some(2022);
        one_year.until = Some(2022);
        for request in [everything, reversed, one_year, request(&["ZZ"])] {
            let runs = table.select_runs(&request);
            let flat: Vec<usize> = runs.iter().cloned().flatten().collect();
            assert_eq!(flat, table.select(&request), "{request:?}");
            assert!(runs.iter().all(|r| !r.is_empty()), "{runs:?}");
            assert!(
                runs.windows(2).all(|w| w[0].end != w[1].start),
                "adjacent runs are one: {runs:?}"
            );
        }
    }

    #[test]
    fn the_batch_holds_the_same_rows_as_the_values_in_the_documented_columns() {
        use arrow::array::Array;
        let (_dir, store) = store_with_data();
        let ind = indicator(&[("indic_is", "I_A"), ("unit", "PC_IND")], true);
        let asked = request(&["BB", "AA1", "EU27_2020"]);
        let rows = compute(&store, &groups(), &ind, &asked).expect("computes");
        let conn = connection(&groups()).expect("a connection");
        let table = Table::compute(&conn, &store, &groups(), &ind).expect("computes");
        let batch = table.batch(&table.select(&asked), None).expect("a batch");
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
    fn a_supplement_since_a_year_gives_none_of_its_earlier_years() {
        let (_dir, store) = store_with_data();
        // Main: I_B (AA 2022 only); supplement: I_A, which also has AA 2021.
        let mut ind = indicator(&[("indic_is", "I_B"), ("unit", "PC_IND")], true);
        let also = |since| crate::indicators::definitions::Supplement {
            source: "test_r".into(),
            filter: [("indic_is", "I_A"), ("unit", "PC_IND")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            since,
        };
        ind.also = vec![also(None)];
        let periods = |ind: &Indicator| -> Vec<String> {
            compute(&store, &groups(), ind, &request(&["AA"]))
                .expect("computes")
                .into_iter()
                .map(|r| r.period)
                .collect()
        };
        assert_eq!(periods(&ind), ["2021", "2022"]);
        ind.also = vec![also(Some(2022))];
        assert_eq!(periods(&ind), ["2022"]);
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
        // The engine names the dataset and how it is loaded; the API and the CLI say the command.
        assert!(
            matches!(&error, IndicatorError::NoData { dataset, load }
                if dataset == "test_r" && *load == Load::fetch("test_r")),
            "{error:?}"
        );
        assert!(!error.to_string().contains("desi-city"), "{error}");
        let no_capitals = GeoGroups::parse(
            Path::new("geo-groups.toml"),
            "[eu27]\ndescription = \"M\"\ncodes = [\"AA\"]\n",
        )
        .expect("groups");
        let error = compute(&store, &no_capitals, &ind, &request(&["AA"])).expect_err("group");
        assert!(error.to_string().contains("capital-regions"), "{error}");
    }
}
