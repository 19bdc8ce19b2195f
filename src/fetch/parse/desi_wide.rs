//! The wide table of the Commission's DESI workbook (`Year,Country,Year + country,1a1 At least
//! basic digital skills,…`: one row per edition label and geo, one column per indicator, as in
//! `../shared/data/desi/2022/indicators_complete.csv`) → the canonical long table: dimensions
//! `indicator` (the header's first word, the Commission's code: `1a1`) and `geo` (from `Country`),
//! `indicator_label` the rest of the header, `period` the raw edition label (`y1` … `y6`; it is no
//! calendar period, so `period_start` and `period_freq` stay null). An empty cell gives no row.
//! Must not compute scores, map edition labels to years or impute anything: that is the
//! methodology's business (`crate::indicators`).

use std::borrow::Cow;

use super::builder::Rows;
use super::csv::{self, Records};
use super::{Format, ParseError, Parsed};

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

pub(super) fn parse(dataset: &str, bytes: &[u8]) -> Result<Parsed, ParseError> {
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
            rows.dim(0, &c.code, c.label.as_deref());
            rows.dim(1, geo, None);
            rows.period(Some(edition));
            rows.obs.push(num, text, None, None);
        }
    }

    let names = vec!["indicator".to_owned(), "geo".to_owned()];
    let (batch, dimensions) = rows.finish(dataset, &names, Vec::new())?;
    Ok(Parsed {
        batch,
        dimensions,
        updated: None,
        title: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{col, read, values};
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
        let p = parse("desi_2022", &read("desi/2022/indicators_complete.csv")).unwrap();
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
        let p = parse("desi_2022_raw", &read("desi/2022/indicators_raw.csv")).unwrap();
        assert_eq!(p.batch.num_rows(), 33 * 28 * 6 - 1967);
    }

    #[test]
    fn the_header_with_a_trailing_space_still_gives_the_code_and_a_trimmed_label() {
        let p = parse("desi_2022", &read("desi/2022/indicators_complete.csv")).unwrap();
        let b = &p.batch;
        let i = find(b, "1b3", "AT", "y1");
        assert_eq!(
            col(b, "indicator_label").value(i),
            "Enterprises providing ICT training"
        );
    }

    #[test]
    fn the_wide_header_is_detected() {
        let text =
            "Year,Country,Year + country,1a1 At least basic digital skills\ny6,BE,y6_BE,0.5\n";
        assert_eq!(Format::detect(text.as_bytes()), Some(Format::DesiWide));
    }

    #[test]
    fn a_table_without_a_country_column_is_malformed() {
        let err = parse("d", b"Year,1a1 Skills\ny6,0.5\n").unwrap_err();
        assert!(err.to_string().contains("Country"), "{err}");
    }

    #[test]
    fn a_row_without_a_geo_is_malformed_and_names_its_line() {
        let err = parse("d", b"Year,Country,1a1 Skills\ny6,,0.5\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
