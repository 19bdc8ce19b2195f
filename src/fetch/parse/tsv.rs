//! Eurostat TSV (current `freq,…,geo\TIME_PERIOD` layout and the old bulk-download
//! `unit,…,geo\time` one) → the canonical long table. One line per series; cells `12.3`,
//! `12.3 p`, `48.4 be`, `: ` (missing: no row), `: c` (confidential, no value). Scans bytes with
//! memchr and lays columns out by key, with no per-cell allocation. Must not reorder, round or
//! re-flag anything: values and flags stay as published.

use arrow::array::{StringArray, StringBuilder, UInt32Array};

use super::builder::{self, Collected, DimColumn, ObsBuilder, PeriodColumn};
use super::{Format, ParseError, Parsed};

fn malformed(line: usize, reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format: Format::Tsv,
        line: Some(line),
        reason: reason.into(),
    }
}

/// One parsed cell: a value or the raw text, and flags; `None` when the cell is simply missing.
#[derive(Debug, PartialEq)]
struct CellParts<'a> {
    value: Option<f64>,
    text: Option<&'a str>,
    flags: Option<&'a str>,
    /// Confidentiality written after `@` (`: @C`), as the current TSV download writes it.
    conf: Option<&'a str>,
}

pub(super) fn parse(dataset: &str, bytes: &[u8]) -> Result<Parsed, ParseError> {
    let text = super::utf8_text(Format::Tsv, bytes)?;
    let b = text.as_bytes();

    // Header: `dim1,dim2,…,geo\TIME_PERIOD<TAB>2015 <TAB>2016 …`
    let header_end = memchr::memchr(b'\n', b).unwrap_or(b.len());
    let header = trim_cr(&text[..header_end]);
    let mut header_cells = header.split('\t');
    let first = header_cells.next().unwrap_or_default();
    let Some((dims_part, _time_name)) = first.split_once('\\') else {
        return Err(malformed(
            1,
            format!("the first header cell {first:?} should look like `freq,…,geo\\TIME_PERIOD`"),
        ));
    };
    let dim_names: Vec<String> = dims_part.split(',').map(|d| d.trim().to_owned()).collect();
    if dim_names.iter().any(String::is_empty) {
        return Err(malformed(
            1,
            format!("the header names an empty dimension in {dims_part:?}"),
        ));
    }
    let periods: Vec<&str> = header_cells.map(str::trim).collect();
    let period_codes = StringArray::from_iter_values(periods.iter());
    let n_dims = dim_names.len();
    let n_cells = periods.len();

    let mut series_codes: Vec<StringBuilder> = (0..n_dims).map(|_| StringBuilder::new()).collect();
    let mut n_series: u32 = 0;
    let rows_hint = (b.len() / 8).min(1 << 24);
    let mut series_keys: Vec<u32> = Vec::with_capacity(rows_hint);
    let mut period_keys: Vec<u32> = Vec::with_capacity(rows_hint);
    let mut obs = ObsBuilder::with_capacity(rows_hint);

    let mut pos = (header_end + 1).min(b.len());
    let mut line_no = 1usize;
    while pos < b.len() {
        line_no += 1;
        let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |o| pos + o);
        let line = trim_cr(&text[pos..end]);
        pos = end + 1;
        if line.trim().is_empty() {
            continue;
        }
        let key_end = line.find('\t').unwrap_or(line.len());
        let key = &line[..key_end];
        let mut codes_seen = 0usize;
        for (d, code) in key.split(',').enumerate() {
            if let Some(builder) = series_codes.get_mut(d) {
                builder.append_value(code.trim());
            }
            codes_seen = d + 1;
        }
        if codes_seen != n_dims {
            return Err(malformed(
                line_no,
                format!(
                    "the row key {key:?} has {codes_seen} codes but the header names {n_dims} dimensions"
                ),
            ));
        }
        let series = n_series;
        n_series += 1;

        let cells = if key_end < line.len() {
            &line[key_end + 1..]
        } else {
            ""
        };
        let mut count = 0usize;
        if key_end < line.len() {
            for cell in cells.split('\t') {
                let j = count;
                count += 1;
                if j >= n_cells {
                    continue;
                }
                if let Some(c) = parse_cell(cell) {
                    series_keys.push(series);
                    period_keys.push(j as u32);
                    obs.push(c.value, c.text, c.flags, c.conf);
                }
            }
        }
        if count != n_cells {
            return Err(malformed(
                line_no,
                format!("the row has {count} cells but the header has {n_cells} periods"),
            ));
        }
    }

    let (dimensions, _) = builder::column_names(&dim_names, &[]);
    let keys = UInt32Array::from(series_keys);
    let dims = series_codes
        .iter_mut()
        .map(|b| DimColumn {
            codes: b.finish(),
            labels: None,
            keys: keys.clone(),
        })
        .collect();
    let batch = builder::assemble(Collected {
        dataset: dataset.to_owned(),
        dimensions: dimensions.clone(),
        attribute_names: Vec::new(),
        dims,
        period: Some(PeriodColumn {
            codes: period_codes,
            keys: UInt32Array::from(period_keys),
        }),
        obs,
        attributes: Vec::new(),
    })?;
    Ok(Parsed {
        batch,
        dimensions,
        updated: None,
        title: None,
    })
}

fn trim_cr(s: &str) -> &str {
    s.strip_suffix('\r').unwrap_or(s)
}

/// Reads one cell: `12.3`, `12.3 p`, `: c`, `:`, also `93b`/`:c` without the space, and a
/// confidentiality status after `@` (`: @C` → no flags, status `C`; `12.3 b@C` → flags `b`, `C`).
fn parse_cell(cell: &str) -> Option<CellParts<'_>> {
    let cell = cell.trim_matches(' ');
    if cell.is_empty() {
        return None;
    }
    let (num, flags) = match cell.find(' ') {
        Some(i) => (&cell[..i], cell[i + 1..].trim()),
        None => split_trailing_letters(cell),
    };
    let (flags, conf) = match flags.split_once('@') {
        Some((flags, conf)) => (flags.trim(), Some(conf.trim()).filter(|c| !c.is_empty())),
        None => (flags, None),
    };
    let flags = (!flags.is_empty()).then_some(flags);
    if num == ":" {
        return (flags.is_some() || conf.is_some()).then_some(CellParts {
            value: None,
            text: None,
            flags,
            conf,
        });
    }
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(CellParts {
            value: Some(v),
            text: None,
            flags,
            conf,
        }),
        _ => Some(CellParts {
            value: None,
            text: Some(num),
            flags,
            conf,
        }),
    }
}

/// `93b` → (`93`, `b`), `:c` → (`:`, `c`); anything else stays whole.
fn split_trailing_letters(cell: &str) -> (&str, &str) {
    let cut = cell
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .len();
    if cut == 0 || cut == cell.len() {
        return (cell, "");
    }
    let (num, letters) = cell.split_at(cut);
    if num == ":" || num.parse::<f64>().is_ok_and(f64::is_finite) {
        (num, letters)
    } else {
        (cell, "")
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{col, files, opt, read, values};
    use super::*;
    use arrow::array::{Array, Date32Array};
    use arrow::record_batch::RecordBatch;

    /// The row index where every `(column, code)` pair matches.
    fn find(b: &RecordBatch, want: &[(&str, &str)]) -> usize {
        (0..b.num_rows())
            .find(|&i| want.iter().all(|(c, v)| opt(col(b, c), i) == Some(*v)))
            .unwrap_or_else(|| panic!("no row with {want:?}"))
    }

    fn parse_file(rel: &str) -> Parsed {
        parse(rel, &read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    #[test]
    fn cells_split_into_value_and_flags_as_published() {
        let c = |v: Option<f64>, t: Option<&'static str>, f: Option<&'static str>| {
            Some(CellParts {
                value: v,
                text: t,
                flags: f,
                conf: None,
            })
        };
        assert_eq!(parse_cell("12.3 "), c(Some(12.3), None, None));
        assert_eq!(parse_cell("48.4 be"), c(Some(48.4), None, Some("be")));
        assert_eq!(parse_cell("0.15 p"), c(Some(0.15), None, Some("p")));
        assert_eq!(parse_cell("-0.13 "), c(Some(-0.13), None, None));
        assert_eq!(parse_cell(": c"), c(None, None, Some("c")));
        assert_eq!(parse_cell(":c"), c(None, None, Some("c")));
        assert_eq!(parse_cell("93b"), c(Some(93.0), None, Some("b")));
        assert_eq!(parse_cell(": "), None);
        assert_eq!(parse_cell(":"), None);
        assert_eq!(parse_cell(""), None);
        assert_eq!(parse_cell("n/a"), c(None, Some("n/a"), None));
    }

    #[test]
    fn every_shared_tsv_parses_with_its_dimensions_and_row_count() {
        // Row counts: cells other than a bare `:` (counted with python3 on the files).
        let expect: [(&str, &[&str], usize); 5] = [
            (
                "eurostat/tsv/isoc_ci_in_h_legacy_2008-2019.tsv",
                &["unit", "hhtyp", "geo"],
                445,
            ),
            (
                "eurostat/tsv/isoc_cicce_use.tsv",
                &["freq", "size_emp", "nace_r2", "indic_is", "unit", "geo"],
                87_182,
            ),
            (
                "eurostat/tsv/isoc_e_dii.tsv",
                &["freq", "size_emp", "nace_r2", "indic_is", "unit", "geo"],
                7503,
            ),
            (
                "eurostat/tsv/isoc_sks_itsp_age.tsv",
                &["freq", "unit", "age", "geo"],
                2464,
            ),
            (
                "eurostat/tsv/tin00074.tsv",
                &["freq", "nace_r2", "geo"],
                1120,
            ),
        ];
        let all = files("eurostat/tsv", ".tsv");
        assert_eq!(
            all.len(),
            expect.len(),
            "a TSV was added: give it an expectation"
        );
        for (rel, dims, rows) in expect {
            let p = parse_file(rel);
            assert_eq!(p.dimensions, dims, "{rel}");
            assert_eq!(p.batch.num_rows(), rows, "{rel}");
            assert_eq!(p.updated, None);
        }
    }

    #[test]
    fn a_confidential_cell_written_at_c_has_status_c_and_no_flag() {
        let c = |v: Option<f64>, f: Option<&'static str>, conf: Option<&'static str>| {
            Some(CellParts {
                value: v,
                text: None,
                flags: f,
                conf,
            })
        };
        assert_eq!(parse_cell(": @C"), c(None, None, Some("C")));
        assert_eq!(parse_cell("12.5 b@C"), c(Some(12.5), Some("b"), Some("C")));
        assert_eq!(parse_cell(": u"), c(None, Some("u"), None));
    }

    #[test]
    fn real_lines_of_the_cloud_download_keep_their_values_flags_and_confidentiality() {
        // Lines of ../shared/data/eurostat/tsv/isoc_cicce_use.tsv as downloaded: CRLF, a trailing
        // space after every header period and value, flags `b`, `d`, `: u` and `: @C`.
        let text = "freq,size_emp,nace_r2,indic_is,unit,geo\\TIME_PERIOD\t2014 \t2015 \t2016 \t2017 \t2018 \t2020 \t2021 \t2023 \t2024 \t2025 \r\n\
A,GE10,C10-S951_X_K,E_CC1_SI,PC_ENT,FR\t: \t: \t: \t: \t: \t: \t25.28 \t22.95 b\t: \t36.46 \r\n\
A,10-249,C10-S951_X_K,E_CC_DA,PC_ENT,CZ\t: \t: \t: \t: \t: \t: \t: \t13.72 d\t: \t31.81 b\r\n\
A,0-9,C10-S951_X_K,E_CC_PFACC,PC_ENT,DE\t: \t: \t: \t: \t: \t: \t: \t: u\t: \t: \r\n\
A,10-249,C10-S951_X_K,E_CC1_BI,PC_ENT,MK\t: \t: \t: \t: \t: \t: \t: @C\t: \t: \t: \r\n";
        let file = String::from_utf8(read("eurostat/tsv/isoc_cicce_use.tsv")).unwrap();
        for line in text.split_inclusive("\r\n") {
            assert!(file.contains(line), "not a line of the real file: {line:?}");
        }
        let p = parse("isoc_cicce_use", text.as_bytes()).unwrap();
        let b = &p.batch;
        assert_eq!(
            p.dimensions,
            ["freq", "size_emp", "nace_r2", "indic_is", "unit", "geo"]
        );
        assert_eq!(b.num_rows(), 3 + 2 + 1 + 1);
        let fr = find(b, &[("geo", "FR"), ("period", "2023")]);
        assert_eq!(values(b).value(fr), 22.95);
        assert_eq!(opt(col(b, "flags"), fr), Some("b"));
        assert_eq!(opt(col(b, "indic_is"), fr), Some("E_CC1_SI"));
        let fr25 = find(b, &[("geo", "FR"), ("period", "2025")]);
        assert_eq!(values(b).value(fr25), 36.46);
        assert!(col(b, "flags").is_null(fr25));
        let cz = find(b, &[("geo", "CZ"), ("period", "2023")]);
        assert_eq!(
            (values(b).value(cz), opt(col(b, "flags"), cz)),
            (13.72, Some("d"))
        );
        let de = find(b, &[("geo", "DE"), ("period", "2023")]);
        assert!(values(b).is_null(de));
        assert_eq!(opt(col(b, "flags"), de), Some("u"));
        let mk = find(b, &[("geo", "MK"), ("period", "2021")]);
        assert!(values(b).is_null(mk));
        assert!(col(b, "flags").is_null(mk));
        assert_eq!(opt(col(b, "conf_status"), mk), Some("C"));
    }

    #[test]
    fn the_whole_cloud_download_gives_belgiums_sophisticated_cloud_as_published() {
        let p = parse_file("eurostat/tsv/isoc_cicce_use.tsv");
        let b = &p.batch;
        let key = [
            ("size_emp", "GE10"),
            ("indic_is", "E_CC1_SI"),
            ("unit", "PC_ENT"),
            ("geo", "BE"),
        ];
        let at = |period: &'static str| {
            let mut want = key.to_vec();
            want.push(("period", period));
            values(b).value(find(b, &want))
        };
        assert_eq!((at("2021"), at("2023"), at("2025")), (46.87, 47.69, 58.51));
        let confidential = (0..b.num_rows())
            .filter(|&i| opt(col(b, "conf_status"), i) == Some("C"))
            .count();
        assert_eq!(confidential, 326);
    }

    #[test]
    fn the_old_layout_keeps_93_b_for_switzerland_2017() {
        let p = parse_file("eurostat/tsv/isoc_ci_in_h_legacy_2008-2019.tsv");
        let b = &p.batch;
        let i = find(b, &[("geo", "CH"), ("period", "2017")]);
        assert_eq!(values(b).value(i), 93.0);
        assert_eq!(opt(col(b, "flags"), i), Some("b"));
        assert_eq!(opt(col(b, "unit"), i), Some("PC_HH"));
        assert_eq!(opt(col(b, "period_freq"), i), Some("A"));
        let be = find(b, &[("geo", "BE"), ("period", "2019")]);
        assert_eq!(values(b).value(be), 90.0);
        assert!(col(b, "flags").is_null(be));
        // `: ` cells (CH 2008) give no row.
        assert!(
            (0..b.num_rows()).all(|i| !(opt(col(b, "geo"), i) == Some("CH")
                && opt(col(b, "period"), i) == Some("2008")))
        );
    }

    #[test]
    fn a_48_4_be_cell_keeps_both_flags() {
        // The brief placed this cell in isoc_e_dii.tsv; it is in isoc_sks_itsp_age.tsv (AT, 2004).
        let p = parse_file("eurostat/tsv/isoc_sks_itsp_age.tsv");
        let b = &p.batch;
        let i = find(b, &[("geo", "AT"), ("age", "Y15-34"), ("period", "2004")]);
        assert_eq!(values(b).value(i), 48.4);
        assert_eq!(opt(col(b, "flags"), i), Some("be"));
        assert!(col(b, "conf_status").is_null(i));
        let starts = b
            .column_by_name("period_start")
            .and_then(|c| c.as_any().downcast_ref::<Date32Array>())
            .unwrap();
        assert_eq!(starts.value(i), 12_418); // 2004-01-01
    }

    #[test]
    fn a_confidential_cell_has_no_value_flag_c_and_status_c() {
        let p = parse_file("eurostat/tsv/isoc_e_dii.tsv");
        let b = &p.batch;
        // Line 145: A,10-249,C10-S951_X_K,E_DI2_HI,PC_ENT,MK … 2020 `: c`.
        let i = find(
            b,
            &[
                ("size_emp", "10-249"),
                ("indic_is", "E_DI2_HI"),
                ("geo", "MK"),
                ("period", "2020"),
            ],
        );
        assert!(values(b).is_null(i));
        assert_eq!(opt(col(b, "flags"), i), Some("c"));
        assert_eq!(opt(col(b, "conf_status"), i), Some("C"));
        // And a Belgian value: A,10-249,C10-S951_X_K,E_DI2_LO,PC_ENT,BE 2020 = 48.8.
        let be = find(
            b,
            &[
                ("size_emp", "10-249"),
                ("indic_is", "E_DI2_LO"),
                ("geo", "BE"),
                ("period", "2020"),
            ],
        );
        assert_eq!(values(b).value(be), 48.8);
        assert_eq!(col(b, "dataset").value(be), "eurostat/tsv/isoc_e_dii.tsv");
        assert!(col(b, "geo_label").is_null(be));
    }

    #[test]
    fn tin00074_keeps_p_flags_and_negative_values() {
        let p = parse_file("eurostat/tsv/tin00074.tsv");
        let b = &p.batch;
        let be = find(b, &[("geo", "BE"), ("period", "2020")]);
        assert_eq!(values(b).value(be), 0.21);
        assert_eq!(opt(col(b, "flags"), be), Some("p"));
        let fi = find(b, &[("geo", "FI"), ("period", "2012")]);
        assert_eq!(values(b).value(fi), -0.13);
    }

    #[test]
    fn a_row_with_the_wrong_number_of_cells_is_malformed_at_its_line() {
        let text = "unit,geo\\time\t2020 \t2021 \nPC,BE\t1 \t2 \nPC,AT\t3 \n";
        match parse("x", text.as_bytes()) {
            Err(ParseError::Malformed {
                format: Format::Tsv,
                line: Some(3),
                reason,
            }) => {
                assert!(reason.contains("1 cells"), "{reason}")
            }
            other => panic!("expected Malformed at line 3, got {other:?}"),
        }
        let text = "unit,geo\\time\t2020 \nPC\t1 \n";
        assert!(matches!(
            parse("x", text.as_bytes()),
            Err(ParseError::Malformed { line: Some(2), .. })
        ));
    }

    #[test]
    fn a_header_without_a_backslash_is_malformed() {
        assert!(matches!(
            parse("x", b"unit,geo\t2020\nPC,BE\t1\n"),
            Err(ParseError::Malformed { line: Some(1), .. })
        ));
    }

    #[test]
    fn monthly_headers_with_spaces_get_their_period_start() {
        let text = "unit,geo\\TIME_PERIOD\t2023M01 \t2023-02 \r\nPC,BE\t1.5 \t: \r\n";
        let p = parse("x", text.as_bytes()).unwrap();
        assert_eq!(p.batch.num_rows(), 1);
        assert_eq!(col(&p.batch, "period").value(0), "2023M01");
        assert_eq!(col(&p.batch, "period_freq").value(0), "M");
    }

    #[test]
    fn cutting_a_real_file_anywhere_never_panics() {
        let full = read("eurostat/tsv/tin00074.tsv");
        for cut in (0..full.len()).step_by(97) {
            let _ = super::super::parse(
                Format::Tsv,
                "x",
                &full[..cut],
                &super::super::ParseOptions::default(),
            );
        }
    }
}
