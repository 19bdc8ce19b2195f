//! The wide table of the Commission's DESI workbook (`Year,Country,Year + country,1a1 At least
//! basic digital skills,…`: one row per edition label and geo, one column per indicator, as in
//! `../shared/data/desi/2022/indicators_complete.csv`) → the canonical long table: dimensions
//! `indicator` (the header's first word, the Commission's code: `1a1`) and `geo` (from `Country`),
//! `indicator_label` the rest of the header, `period` the raw edition label (`y1` … `y6`; it is no
//! calendar period, so `period_start` and `period_freq` stay null). An empty cell gives no row.
//!
//! With a dataset's `[by_data_year]` table ([`ByDataYear`], `datasets/desi_2022_raw.toml`) the
//! same file is read **per data year**, for indicator files: the period is the cell's data year
//! (the table's transcription of the workbook's `metadata.csv`), the attribute `edition` keeps
//! the edition (`desi_2022`), the value is multiplied by the table's scale (fractions → percent),
//! the file's `EU` is written `EU27_2020`, and a cell the table does not keep gives no row (as
//! `desi-facts` reads the platform's facts). Must not compute scores or impute anything: that is
//! the methodology's business (`crate::indicators`).

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder};

use super::builder::Rows;
use super::csv::{self, Records};
use super::{ByDataYear, Format, ParseError, Parsed};

fn malformed(line: Option<usize>, reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format: Format::DesiWide,
        line,
        reason: reason.into(),
    }
}

/// The header's first three columns, lower-cased: they are not indicators.
const EDITION: &str = "year";
const GEO: &str = "country";
const KEY: &str = "year + country";

/// An indicator column: its index, code and label.
struct Column {
    index: usize,
    code: String,
    label: Option<String>,
}

pub(super) fn parse(
    dataset: &str,
    bytes: &[u8],
    by_year: Option<&ByDataYear>,
) -> Result<Parsed, ParseError> {
    let text = super::utf8_text(Format::DesiWide, bytes)?;
    let mut records = Records::new(text, b',');
    let mut fields: Vec<Cow<'_, str>> = Vec::new();
    let csv_err = |e: csv::CsvError| malformed(Some(e.line), e.reason);
    if records.next_into(&mut fields).map_err(csv_err)?.is_none() {
        return Err(malformed(Some(1), "there is no header line"));
    }
    let header: Vec<String> = fields.iter().map(|f| f.trim().to_owned()).collect();
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                malformed(
                    Some(1),
                    format!(
                        "the header has no `{name}` column (expected Year,Country,Year + country, then one column per indicator)"
                    ),
                )
            })
    };
    let edition_col = find(EDITION)?;
    let geo_col = find(GEO)?;
    let key_col = header.iter().position(|h| h.eq_ignore_ascii_case(KEY));
    let mut columns = Vec::new();
    for (index, h) in header.iter().enumerate() {
        if index == edition_col || index == geo_col || Some(index) == key_col {
            continue;
        }
        let (code, label) = match h.split_once(char::is_whitespace) {
            Some((code, label)) => (code, Some(label.trim()).filter(|l| !l.is_empty())),
            None => (h.as_str(), None),
        };
        if code.is_empty() {
            return Err(malformed(
                Some(1),
                format!("column {} has an empty header", index + 1),
            ));
        }
        if columns.iter().any(|c: &Column| c.code == code) {
            return Err(malformed(
                Some(1),
                format!("two columns hold the indicator code `{code}`"),
            ));
        }
        columns.push(Column {
            index,
            code: code.to_owned(),
            label: label.map(str::to_owned),
        });
    }
    if columns.is_empty() {
        return Err(malformed(Some(1), "the header names no indicator column"));
    }
    let width = header.len();

    let mut rows = Rows::new(2, text.len() / 10);
    let mut editions = StringBuilder::new();
    while let Some(line) = records.next_row(&mut fields, width).map_err(csv_err)? {
        let cell = |i: usize| fields.get(i).map(|f| f.trim()).unwrap_or_default();
        let edition = cell(edition_col);
        let geo = cell(geo_col);
        if edition.is_empty() || geo.is_empty() {
            return Err(malformed(
                Some(line),
                "the row has no edition (Year) or no geo (Country)",
            ));
        }
        for c in &columns {
            let raw = cell(c.index);
            if raw.is_empty() {
                continue;
            }
            let (num, text) = match raw.parse::<f64>() {
                Ok(n) if n.is_finite() => (Some(n), None),
                _ => (None, Some(raw)),
            };
            // Per data year: the cell's year, edition and scale, or no row.
            let kept = match by_year {
                None => None,
                Some(table) => match table.cell(&c.code, edition) {
                    Some(k) => Some((table, k)),
                    None => continue,
                },
            };
            rows.dim(0, &c.code, c.label.as_deref());
            match kept {
                None => {
                    rows.dim(1, geo, None);
                    rows.period(Some(edition));
                    rows.obs.push(num, text, None, None);
                }
                Some((table, (year, kept, scale))) => {
                    rows.dim(1, super::data_year::geo(table, geo), None);
                    rows.period(Some(&year.to_string()));
                    rows.obs.push(
                        num.map(|n| super::data_year::scaled(n, raw, scale)),
                        text,
                        None,
                        None,
                    );
                    editions.append_value(kept);
                }
            }
        }
    }

    let names = vec!["indicator".to_owned(), "geo".to_owned()];
    let attributes: Vec<(String, ArrayRef)> = match by_year {
        None => Vec::new(),
        Some(_) => vec![("edition".to_owned(), Arc::new(editions.finish()))],
    };
    let (batch, dimensions) = rows.finish(dataset, &names, attributes)?;
    Ok(Parsed {
        batch,
        dimensions,
        updated: None,
        title: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{by_data_year, col, read, values};
    use super::*;
    use arrow::array::Array;

    fn find(b: &arrow::record_batch::RecordBatch, ind: &str, geo: &str, period: &str) -> usize {
        (0..b.num_rows())
            .find(|&i| {
                col(b, "indicator").value(i) == ind
                    && col(b, "geo").value(i) == geo
                    && col(b, "period").value(i) == period
            })
            .unwrap_or_else(|| panic!("no row {ind} {geo} {period}"))
    }

    #[test]
    fn the_complete_2022_table_gives_one_row_per_indicator_geo_and_edition() {
        let p = parse(
            "desi_2022",
            &read("desi/2022/indicators_complete.csv"),
            None,
        )
        .unwrap();
        let b = &p.batch;
        assert_eq!(p.dimensions, ["indicator", "geo"]);
        assert_eq!(b.num_rows(), 33 * 28 * 6);
        assert_eq!(values(b).null_count(), 0);
        let i = find(b, "1a1", "BE", "y6");
        assert_eq!(values(b).value(i), 0.542318);
        assert_eq!(
            col(b, "indicator_label").value(i),
            "At least basic digital skills"
        );
        assert!(col(b, "period_freq").is_null(i));
        assert!(b.column_by_name("period_start").unwrap().is_null(i));
    }

    #[test]
    fn the_raw_2022_table_skips_its_empty_cells() {
        let p = parse("desi_2022_raw", &read("desi/2022/indicators_raw.csv"), None).unwrap();
        assert_eq!(p.batch.num_rows(), 33 * 28 * 6 - 1967);
    }

    #[test]
    fn the_header_with_a_trailing_space_still_gives_the_code_and_a_trimmed_label() {
        let p = parse(
            "desi_2022",
            &read("desi/2022/indicators_complete.csv"),
            None,
        )
        .unwrap();
        let b = &p.batch;
        let i = find(b, "1b3", "AT", "y1");
        assert_eq!(
            col(b, "indicator_label").value(i),
            "Enterprises providing ICT training"
        );
    }

    #[test]
    fn the_raw_workbook_read_per_data_year_gives_percent_with_each_values_edition() {
        let table = by_data_year("desi_2022_raw");
        let p = parse(
            "desi_2022_raw",
            &read("desi/2022/indicators_raw.csv"),
            Some(&table),
        )
        .unwrap();
        let b = &p.batch;
        let names: Vec<_> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names.last().map(String::as_str), Some("edition"));
        // BE 1a1 in y6 is 0.542318: data year 2021 (metadata.csv), DESI 2022, in percent.
        let i = find(b, "1a1", "BE", "2021");
        assert_eq!(values(b).value(i), 54.2318);
        assert_eq!(col(b, "edition").value(i), "desi_2022");
        assert_eq!(col(b, "period_freq").value(i), "A");
        // The EU is stored as Eurostat writes it; 0.045 is 4.5 %.
        let i = find(b, "1b1", "EU27_2020", "2021");
        assert_eq!(values(b).value(i), 4.5);
        // A score from 0 to 100 is not multiplied (4a3 BE y6 72.19444444444446).
        let i = find(b, "4a3", "BE", "2021");
        assert_eq!(values(b).value(i), 72.19444444444446);
        // 2c3's data year 2016 is published by y1 and y2: the later edition (DESI 2018) is kept.
        let i = find(b, "2c3", "BE", "2016");
        assert_eq!(col(b, "edition").value(i), "desi_2018");
        let rows_2c3_be_2016 = (0..b.num_rows())
            .filter(|&r| {
                col(b, "indicator").value(r) == "2c3"
                    && col(b, "geo").value(r) == "BE"
                    && col(b, "period").value(r) == "2016"
            })
            .count();
        assert_eq!(rows_2c3_be_2016, 1);
        // No edition label is left as a period, and no `EU`.
        assert!((0..b.num_rows()).all(|r| !col(b, "period").value(r).starts_with('y')));
        assert!((0..b.num_rows()).all(|r| col(b, "geo").value(r) != "EU"));
    }

    #[test]
    fn the_transcribed_data_years_equal_the_workbooks_metadata() {
        // datasets/desi_2022_raw.toml transcribes metadata.csv's "Year 1" … "Year 6"; this reads
        // the real metadata.csv and fails when the transcription differs.
        let table = by_data_year("desi_2022_raw");
        let bytes = read("desi/2022/metadata.csv");
        let text = std::str::from_utf8(&bytes).unwrap();
        let mut records = Records::new(text, b',');
        let mut fields = Vec::new();
        records.next_into(&mut fields).unwrap();
        let header: Vec<String> = fields.iter().map(|f| f.trim().to_owned()).collect();
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        let indicator = at("Indicator");
        let years: Vec<usize> = (1..=6).map(|n| at(&format!("Year {n}"))).collect();
        let mut seen = std::collections::BTreeMap::new();
        while records.next_into(&mut fields).unwrap().is_some() {
            if fields
                .first()
                .is_none_or(|f| f.trim().parse::<u32>().is_err())
            {
                break; // the weights tables below the indicators
            }
            let code = fields[indicator]
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned();
            let row: Vec<i32> = years
                .iter()
                .map(|&c| fields[c].trim().parse().unwrap_or(0))
                .collect();
            seen.insert(code, row);
        }
        assert_eq!(seen.len(), 33);
        assert_eq!(seen, table.years);
        assert_eq!(table.labels, ["y1", "y2", "y3", "y4", "y5", "y6"]);
    }

    #[test]
    fn the_wide_header_is_detected() {
        let text =
            "Year,Country,Year + country,1a1 At least basic digital skills\ny6,BE,y6_BE,0.5\n";
        assert_eq!(Format::detect(text.as_bytes()), Some(Format::DesiWide));
    }

    #[test]
    fn a_table_without_a_country_column_is_malformed() {
        let err = parse("d", b"Year,1a1 Skills\ny6,0.5\n", None).unwrap_err();
        assert!(err.to_string().contains("Country"), "{err}");
    }

    #[test]
    fn a_row_without_a_geo_is_malformed_and_names_its_line() {
        let err = parse("d", b"Year,Country,1a1 Skills\ny6,,0.5\n", None).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
