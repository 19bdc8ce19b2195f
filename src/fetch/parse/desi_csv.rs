//! The DESI dataset export of digital-agenda-data.eu
//! (`observation,time_period,ref_area,indicator,breakdown,unit_measure,value,flag,note`), and the
//! facts export of its successor, the Digital Decade DESI platform
//! (`period,country,indicator,breakdown,unit,value,flags`, same meaning under other names) → the
//! canonical long table: dimensions `indicator`, `breakdown`, `unit_measure`, `geo` (from
//! `ref_area`), period from `time_period`, attributes `note` and `observation`. Every record is
//! kept, including those published without a value (the DESI method treats a blank as missing,
//! the record still names the observation). Must not compute scores or impute anything.
//!
//! With a dataset's `[by_data_year]` table (`datasets/desi_2020_raw_by_year.toml`) the period
//! is instead the record's data year, the attribute `edition` keeps the edition, values are
//! scaled, the file's `EU` is written `EU27_2020`, and a record the table does not keep
//! (an unlisted indicator, an edition repeating a later one's data year) gives no row.
//!
//! What both DESI CSVs read (this export and the platform's facts, `desi_facts`) is here once:
//! the header and its columns ([`Header`]), a value cell ([`value`]) and the table ([`finish`]).

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder};

use super::builder::Rows;
use super::csv::{self, Records};
use super::{ByDataYear, Format, ParseError, Parsed};

fn malformed(format: Format, line: Option<usize>, reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format,
        line,
        reason: reason.into(),
    }
}

/// The header line of a DESI CSV: names trimmed and lower-cased, found by name or an alias.
pub(super) struct Header {
    names: Vec<String>,
    format: Format,
    /// The header expected, for the error when a column is missing.
    expected: &'static str,
    /// Other names of a column (the platform's for the export's).
    aliases: fn(&str) -> &'static [&'static str],
}

impl Header {
    /// Reads the first record as the header.
    pub(super) fn read<'a>(
        records: &mut Records<'a>,
        fields: &mut Vec<Cow<'a, str>>,
        format: Format,
        expected: &'static str,
        aliases: fn(&str) -> &'static [&'static str],
    ) -> Result<Header, ParseError> {
        let header = Header {
            names: Vec::new(),
            format,
            expected,
            aliases,
        };
        if records
            .next_into(fields)
            .map_err(|e| header.bad_record(e))?
            .is_none()
        {
            return Err(malformed(format, Some(1), "there is no header line"));
        }
        Ok(Header {
            names: fields
                .iter()
                .map(|f| f.trim().to_ascii_lowercase())
                .collect(),
            ..header
        })
    }

    /// How many columns the header has.
    pub(super) fn width(&self) -> usize {
        self.names.len()
    }

    /// The column `name` (or, when absent, one of its aliases).
    pub(super) fn column(&self, name: &str) -> Option<usize> {
        std::iter::once(name)
            .chain((self.aliases)(name).iter().copied())
            .find_map(|n| self.names.iter().position(|h| h == n))
    }

    /// The column `name`, or the error naming it and the header expected.
    pub(super) fn required(&self, name: &str) -> Result<usize, ParseError> {
        self.column(name).ok_or_else(|| {
            malformed(
                self.format,
                Some(1),
                format!(
                    "the header has no `{name}` column (expected {})",
                    self.expected
                ),
            )
        })
    }

    /// The source columns of `dims` (source name, output name), in order.
    pub(super) fn dimensions(&self, dims: &[(&str, &str)]) -> Result<Vec<usize>, ParseError> {
        dims.iter().map(|(src, _)| self.required(src)).collect()
    }

    /// A record that breaks the CSV rules, as this format's error.
    pub(super) fn bad_record(&self, e: csv::CsvError) -> ParseError {
        malformed(self.format, Some(e.line), e.reason)
    }
}

/// A value cell: a finite number, or the text as published when it is not one; nothing when blank.
pub(super) fn value(cell: Option<&str>) -> (Option<f64>, Option<&str>) {
    match cell {
        None => (None, None),
        Some(v) => match v.parse::<f64>() {
            Ok(n) if n.is_finite() => (Some(n), None),
            _ => (None, Some(v)),
        },
    }
}

/// The canonical table of the rows, dimensions named by `dims`' output names, with `attributes`.
pub(super) fn finish(
    rows: Rows,
    dataset: &str,
    dims: &[(&str, &str)],
    attributes: Vec<(String, ArrayRef)>,
) -> Result<Parsed, ParseError> {
    let names: Vec<String> = dims.iter().map(|(_, n)| (*n).to_owned()).collect();
    let (batch, dimensions) = rows.finish(dataset, &names, attributes)?;
    Ok(Parsed {
        batch,
        dimensions,
        updated: None,
        title: None,
    })
}

/// Source columns of the four dimensions, in output order, and their output names.
const DIMS: [(&str, &str); 4] = [
    ("indicator", "indicator"),
    ("breakdown", "breakdown"),
    ("unit_measure", "unit_measure"),
    ("ref_area", "geo"),
];

pub(super) fn parse(
    dataset: &str,
    bytes: &[u8],
    by_year: Option<&ByDataYear>,
) -> Result<Parsed, ParseError> {
    let text = super::utf8_text(Format::DesiCsv, bytes)?;
    let mut records = Records::new(text, b',');
    let mut fields: Vec<Cow<'_, str>> = Vec::new();
    // The successor platform's names for the same columns.
    let aliases = |name: &str| -> &'static [&'static str] {
        match name {
            "time_period" => &["period"],
            "ref_area" => &["country"],
            "unit_measure" => &["unit"],
            "flag" => &["flags"],
            _ => &[],
        }
    };
    let header = Header::read(
        &mut records,
        &mut fields,
        Format::DesiCsv,
        "observation,time_period,ref_area,indicator,breakdown,unit_measure,value,flag,note or period,country,indicator,breakdown,unit,value,flags",
        aliases,
    )?;
    let dim_cols = header.dimensions(&DIMS)?;
    let time_col = header.required("time_period")?;
    let value_col = header.required("value")?;
    let flag_col = header.column("flag");
    let note_col = header.column("note");
    let observation_col = header.column("observation");
    let width = header.width();

    let mut rows = Rows::new(DIMS.len(), text.len() / 100);
    let mut notes = StringBuilder::new();
    let mut observations = StringBuilder::new();
    let mut editions = StringBuilder::new();
    let indicator_col = dim_cols[0];
    let geo_index = DIMS.len() - 1;

    while records
        .next_row(&mut fields, width)
        .map_err(|e| header.bad_record(e))?
        .is_some()
    {
        let cell = |i: usize| fields.get(i).map(|f| f.trim()).unwrap_or_default();
        let opt = |i: Option<usize>| i.map(cell).filter(|s| !s.is_empty());
        let edition = opt(Some(time_col));
        let (num, raw) = value(opt(Some(value_col)));
        match by_year {
            None => {
                for (d, &c) in dim_cols.iter().enumerate() {
                    rows.dim(d, cell(c), None);
                }
                rows.period(edition);
                rows.obs.push(num, raw, opt(flag_col), None);
            }
            Some(table) => {
                let Some((year, kept, scale)) =
                    edition.and_then(|e| table.cell(cell(indicator_col), e))
                else {
                    continue;
                };
                for (d, &c) in dim_cols.iter().enumerate() {
                    let code = if d == geo_index {
                        super::data_year::geo(table, cell(c))
                    } else {
                        cell(c)
                    };
                    rows.dim(d, code, None);
                }
                rows.period(Some(&year.to_string()));
                let published = opt(Some(value_col)).unwrap_or_default();
                rows.obs.push(
                    num.map(|n| super::data_year::scaled(n, published, scale)),
                    raw,
                    opt(flag_col),
                    None,
                );
                editions.append_value(kept);
            }
        }
        notes.append_option(opt(note_col));
        observations.append_option(opt(observation_col));
    }

    let mut attributes: Vec<(String, ArrayRef)> = vec![
        ("note".to_owned(), Arc::new(notes.finish())),
        ("observation".to_owned(), Arc::new(observations.finish())),
    ];
    if by_year.is_some() {
        attributes.push(("edition".to_owned(), Arc::new(editions.finish())));
    }
    finish(rows, dataset, &DIMS, attributes)
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{by_data_year, col, read, values};
    use super::*;
    use arrow::array::Array;

    #[test]
    fn the_successor_platforms_column_names_are_read_as_the_same_columns() {
        // The Digital Decade DESI platform's facts export names the columns differently; the
        // values here are the real BE and AT 2015 rows of desi/2020/indicators_raw.csv.
        let text = "period,country,indicator,breakdown,unit,value,flags\n\
                    2015,BE,desi_4a1_eis,ent_all_xfin,pc_ent,0.473156,\n\
                    2015,AT,desi_4a1_eis,ent_all_xfin,pc_ent,0.454516,e\n";
        assert_eq!(
            super::super::Format::detect(text.as_bytes()),
            Some(Format::DesiCsv)
        );
        let p = parse("desi", text.as_bytes(), None).unwrap();
        assert_eq!(
            p.dimensions,
            ["indicator", "breakdown", "unit_measure", "geo"]
        );
        let b = &p.batch;
        assert_eq!(col(b, "geo").value(0), "BE");
        assert_eq!(col(b, "period").value(0), "2015");
        assert_eq!(values(b).value(0), 0.473156);
        assert_eq!(col(b, "flags").value(1), "e");
    }

    #[test]
    fn the_desi_2020_file_parses_every_record_with_four_dimensions() {
        let p = parse("desi_2020", &read("desi/2020/indicators_raw.csv"), None).unwrap();
        let b = &p.batch;
        assert_eq!(
            p.dimensions,
            ["indicator", "breakdown", "unit_measure", "geo"]
        );
        // 6,438 records (37 indicators × 29 geos × 6 editions), 864 without a value (python3 csv).
        assert_eq!(b.num_rows(), 6438);
        assert_eq!(values(b).null_count(), 864);
        let names: Vec<_> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names[names.len() - 2..], ["note", "observation"]);
        assert_eq!(col(b, "flags").null_count(), 6438);
    }

    #[test]
    fn a_belgian_2015_record_keeps_its_value_and_observation_uri() {
        let p = parse("desi_2020", &read("desi/2020/indicators_raw.csv"), None).unwrap();
        let b = &p.batch;
        let i = (0..b.num_rows())
            .find(|&i| {
                col(b, "geo").value(i) == "BE"
                    && col(b, "indicator").value(i) == "desi_4a1_eis"
                    && col(b, "period").value(i) == "2015"
            })
            .expect("BE desi_4a1_eis 2015");
        assert_eq!(values(b).value(i), 0.473156);
        assert_eq!(col(b, "breakdown").value(i), "ent_all_xfin");
        assert_eq!(col(b, "unit_measure").value(i), "pc_ent");
        assert_eq!(col(b, "period_freq").value(i), "A");
        assert_eq!(
            col(b, "observation").value(i),
            "http://semantic.digital-agenda-data.eu/data/DESI/desi_4a1_eis/ent_all_xfin/pc_ent/BE/2015"
        );
        assert!(col(b, "note").is_null(i));
    }

    /// Per (indicator, edition), each geo's value.
    type Cells = std::collections::BTreeMap<(String, String), Vec<(String, Option<f64>)>>;

    /// The `(indicator, edition) → geo → value` cells of the DESI 2020 file as published.
    fn cells_2020() -> Cells {
        let p = parse("desi_2020", &read("desi/2020/indicators_raw.csv"), None).unwrap();
        let b = &p.batch;
        let mut cells: std::collections::BTreeMap<_, Vec<_>> = Default::default();
        for i in 0..b.num_rows() {
            let value = (!values(b).is_null(i)).then(|| values(b).value(i));
            cells
                .entry((
                    col(b, "indicator").value(i).to_owned(),
                    col(b, "period").value(i).to_owned(),
                ))
                .or_default()
                .push((col(b, "geo").value(i).to_owned(), value));
        }
        for v in cells.values_mut() {
            v.sort_by(|a, b| a.0.cmp(&b.0));
        }
        cells
    }

    #[test]
    fn the_2020_file_read_per_data_year_gives_percent_the_edition_and_only_listed_codes() {
        let table = by_data_year("desi_2020_raw_by_year");
        let p = parse(
            "desi_2020_raw_by_year",
            &read("desi/2020/indicators_raw.csv"),
            Some(&table),
        )
        .unwrap();
        let b = &p.batch;
        let find = |ind: &str, geo: &str, period: &str| {
            (0..b.num_rows())
                .find(|&i| {
                    col(b, "indicator").value(i) == ind
                        && col(b, "geo").value(i) == geo
                        && col(b, "period").value(i) == period
                })
                .unwrap_or_else(|| panic!("no row {ind} {geo} {period}"))
        };
        // BE internet users: 0.889287 in edition 2020, data year 2019.
        let i = find("desi_3a2_iu", "BE", "2019");
        assert_eq!(values(b).value(i), 88.9287);
        assert_eq!(col(b, "edition").value(i), "desi_2020");
        let i = find("desi_3a2_iu", "EU27_2020", "2014");
        assert_eq!(values(b).value(i), 74.5853);
        assert_eq!(col(b, "edition").value(i), "desi_2015");
        // 3b2's edition 2018 repeats 2017's values: one row for data year 2016, from DESI 2018.
        let i = find("desi_3b2_mvg", "BE", "2016");
        assert_eq!(col(b, "edition").value(i), "desi_2018");
        // An indicator the table does not list is not kept.
        assert!((0..b.num_rows()).all(|i| col(b, "indicator").value(i) != "desi_4a1_eis"));
        let listed: std::collections::BTreeSet<&str> = (0..b.num_rows())
            .map(|i| col(b, "indicator").value(i))
            .collect();
        assert_eq!(listed.len(), table.years.len());
    }

    #[test]
    fn the_2020_data_years_follow_the_files_repeated_editions_and_the_2022_metadata() {
        // The rule of datasets/desi_2020_raw_by_year.toml: editions given one data year hold the
        // same values for every geo; consecutive editions given different years do not.
        let table = by_data_year("desi_2020_raw_by_year");
        let cells = cells_2020();
        for (code, years) in &table.years {
            for i in 0..years.len() {
                for j in i + 1..years.len() {
                    if years[i] == 0 || years[j] == 0 {
                        continue;
                    }
                    let a = &cells[&(code.clone(), table.labels[i].clone())];
                    let b = &cells[&(code.clone(), table.labels[j].clone())];
                    if years[i] == years[j] {
                        assert_eq!(a, b, "{code}: editions {i} and {j} share a year");
                    } else if j == i + 1 {
                        assert_ne!(a, b, "{code}: editions {i} and {j} have different years");
                    }
                }
            }
        }
        // The cross-check: the household survey's fixed broadband take-up has, in editions
        // 2017-2020, the data years the DESI 2022 metadata gives its 2a1 in the same editions.
        let y2022 = by_data_year("desi_2022_raw");
        assert_eq!(table.years["desi_1a1_fbbtc"][2..], y2022.years["2a1"][..4]);
    }

    #[test]
    fn flags_and_notes_are_carried_when_present() {
        let text = "observation,time_period,ref_area,indicator,breakdown,unit_measure,value,flag,note\n\
            http://x/1,2019,BE,desi_1a1,total_hh,pc_hh,12.5,e,\"Estimate, see source\"\n\
            http://x/2,2019,BE,desi_1a2,total_hh,pc_hh,,,\n";
        let p = parse("d", text.as_bytes(), None).unwrap();
        let b = &p.batch;
        assert_eq!(col(b, "flags").value(0), "e");
        assert_eq!(col(b, "note").value(0), "Estimate, see source");
        assert!(values(b).is_null(1));
    }

    #[test]
    fn a_file_without_ref_area_is_malformed() {
        let err = parse(
            "d",
            b"observation,time_period,indicator,value\nx,2019,a,1\n",
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("ref_area"), "{err}");
    }
}
