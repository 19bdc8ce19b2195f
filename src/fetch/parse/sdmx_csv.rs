//! SDMX-CSV 1.0 (`DATAFLOW,LAST UPDATE,<dims…>,TIME_PERIOD,OBS_VALUE,OBS_FLAG[,CONF_STATUS]`) and
//! 2.0 (`STRUCTURE,STRUCTURE_ID[,ACTION],<dims…>,TIME_PERIOD,OBS_VALUE,…`) → the canonical long
//! table. Columns are found by header name, never by position; Eurostat's `labels=both` mode
//! (`freq:Time frequency` headers, `A:Annual` cells) is split into code and label. Must not drop a
//! row that carries only a flag or a confidentiality status.

use std::borrow::Cow;

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

use super::builder::Rows;
use super::csv::{self, Records};
use super::{Format, ParseError, Parsed};

fn malformed(line: Option<usize>, reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format: Format::SdmxCsv,
        line,
        reason: reason.into(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    LastUpdate,
    StructureName,
    Action,
    OtherMeta,
    Dim(usize),
    Time,
    Value,
    Flag,
    Conf,
}

fn role_of(code: &str) -> Option<Role> {
    Some(match code.to_ascii_uppercase().as_str() {
        "LAST UPDATE" | "LAST_UPDATE" => Role::LastUpdate,
        "STRUCTURE_NAME" => Role::StructureName,
        "ACTION" => Role::Action,
        "DATAFLOW" | "STRUCTURE" | "STRUCTURE_ID" => Role::OtherMeta,
        "TIME_PERIOD" => Role::Time,
        "OBS_VALUE" => Role::Value,
        "OBS_FLAG" | "OBS_STATUS" => Role::Flag,
        "CONF_STATUS" => Role::Conf,
        _ => return None,
    })
}

/// `code:Label` → (`code`, `Some("Label")`) when labels are on; else the cell whole.
fn split_label(cell: &str, labels: bool) -> (&str, Option<&str>) {
    if labels && let Some((code, label)) = cell.split_once(':') {
        let label = label.trim();
        return (code.trim(), (!label.is_empty()).then_some(label));
    }
    (cell.trim(), None)
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

pub(super) fn parse(dataset: &str, bytes: &[u8]) -> Result<Parsed, ParseError> {
    let text = super::utf8_text(Format::SdmxCsv, bytes)?;
    let first_line = text.lines().next().unwrap_or_default();
    let delim = if !first_line.contains(',') && first_line.contains(';') {
        b';'
    } else {
        b','
    };
    let mut records = Records::new(text, delim);
    let mut fields: Vec<Cow<'_, str>> = Vec::new();
    let csv_err = |e: csv::CsvError| malformed(Some(e.line), e.reason);

    let Some(_) = records.next_into(&mut fields).map_err(csv_err)? else {
        return Err(malformed(Some(1), "there is no header line"));
    };
    let labels_mode = fields.iter().any(|f| f.contains(':'));
    let mut roles = Vec::with_capacity(fields.len());
    let mut dim_names = Vec::new();
    for f in &fields {
        let (code, _) = split_label(f, true);
        let role = role_of(code).unwrap_or_else(|| {
            dim_names.push(code.to_owned());
            Role::Dim(dim_names.len() - 1)
        });
        roles.push(role);
    }
    for (needed, role) in [("TIME_PERIOD", Role::Time), ("OBS_VALUE", Role::Value)] {
        if !roles.contains(&role) {
            return Err(malformed(
                Some(1),
                format!(
                    "the header has no {needed} column (header: {})",
                    first_line.trim()
                ),
            ));
        }
    }
    let width = roles.len();

    let mut rows = Rows::new(dim_names.len(), text.len() / 64);
    let mut last_update: Option<String> = None;
    let mut title: Option<String> = None;

    while records
        .next_row(&mut fields, width)
        .map_err(csv_err)?
        .is_some()
    {
        let (mut time, mut value, mut flag, mut conf) = (None, None, None, None);
        let mut delete = false;
        let mut row_dims: Vec<(&str, Option<&str>)> = Vec::with_capacity(dim_names.len());
        for (f, role) in fields.iter().zip(&roles) {
            let f = f.as_ref();
            match role {
                Role::Dim(_) => row_dims.push(split_label(f, labels_mode)),
                Role::Time => time = non_empty(split_label(f, labels_mode).0),
                Role::Value => value = non_empty(f.trim()),
                Role::Flag => flag = non_empty(split_label(f, labels_mode).0),
                Role::Conf => conf = non_empty(split_label(f, labels_mode).0),
                Role::LastUpdate => {
                    if last_update.is_none() && !f.trim().is_empty() {
                        last_update = Some(f.trim().to_owned());
                    }
                }
                Role::StructureName => {
                    if title.is_none() && !f.trim().is_empty() {
                        title = Some(f.trim().to_owned());
                    }
                }
                Role::Action => delete = f.trim().eq_ignore_ascii_case("D"),
                Role::OtherMeta => {}
            }
        }
        if delete {
            continue;
        }
        let (num, text_value) = match value {
            None => (None, None),
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n.is_finite() => (Some(n), None),
                _ => (None, Some(v)),
            },
        };
        if num.is_none() && text_value.is_none() && flag.is_none() && conf.is_none() {
            continue;
        }
        for (d, (code, label)) in row_dims.iter().enumerate() {
            rows.dim(d, code, *label);
        }
        rows.period(time);
        rows.obs.push(num, text_value, flag, conf);
    }

    let (batch, dimensions) = rows.finish(dataset, &dim_names, Vec::new())?;
    Ok(Parsed {
        batch,
        dimensions,
        updated: last_update.map(|raw| last_update_rfc3339(&raw).unwrap_or(raw)),
        title,
    })
}

/// Eurostat's `LAST UPDATE` (`16/06/24 23:00:00`, Luxembourg local time) as RFC 3339 with the
/// offset in force then (CET `+01:00`, or CEST `+02:00` between the last Sundays of March and
/// October); `None` when it does not parse.
pub(super) fn last_update_rfc3339(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let naive = [
        "%d/%m/%y %H:%M:%S",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%y %H:%M",
        "%d/%m/%Y %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())?;
    let year = naive.year();
    let summer_start = last_sunday(year, 3)?.and_hms_opt(1, 0, 0)?;
    let summer_end = last_sunday(year, 10)?.and_hms_opt(1, 0, 0)?;
    let utc_if_winter = naive.checked_sub_signed(Duration::hours(1))?;
    let hours = if utc_if_winter >= summer_start && utc_if_winter < summer_end {
        2
    } else {
        1
    };
    let offset = FixedOffset::east_opt(hours * 3600)?;
    Some(offset.from_local_datetime(&naive).single()?.to_rfc3339())
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = next_month.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_days(chrono::Days::new(u64::from(back)))
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{col, files, opt, read, values};
    use super::*;
    use arrow::array::Array;
    use arrow::record_batch::RecordBatch;

    fn find(b: &RecordBatch, want: &[(&str, &str)]) -> Option<usize> {
        (0..b.num_rows()).find(|&i| want.iter().all(|(c, v)| opt(col(b, c), i) == Some(*v)))
    }

    fn parse_file(rel: &str) -> Parsed {
        parse("ds", &read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    #[test]
    fn every_shared_sdmx_csv_parses_with_its_dimensions_and_row_count() {
        // Row counts: data rows with a value, a flag or a status (all rows of these files).
        let expect: [(&str, &[&str], usize, Option<&str>); 4] = [
            (
                "eurostat/sdmx-csv/isoc_e_dii_2023_sdmx2.csv",
                &["freq", "size_emp", "nace_r2", "indic_is", "unit", "geo"],
                602,
                None,
            ),
            (
                "eurostat/sdmx-csv/isoc_eb_ics.csv",
                &["freq", "size_emp", "nace_r2", "indic_is", "unit", "geo"],
                26_763,
                Some("2023-12-08T11:00:00+01:00"),
            ),
            (
                "eurostat/sdmx-csv/isoc_r_broad_h_excerpt.csv",
                &["freq", "unit", "geo"],
                231,
                Some("2024-06-16T23:00:00+02:00"),
            ),
            (
                "eurostat/sdmx-csv/isoc_r_iacc_h_excerpt.csv",
                &["freq", "unit", "geo"],
                932,
                Some("2026-06-25T23:00:00+02:00"),
            ),
        ];
        assert_eq!(files("eurostat/sdmx-csv", ".csv").len(), expect.len());
        for (rel, dims, rows, updated) in expect {
            let p = parse_file(rel);
            assert_eq!(p.dimensions, dims, "{rel}");
            assert_eq!(p.batch.num_rows(), rows, "{rel}");
            assert_eq!(p.updated.as_deref(), updated, "{rel}");
        }
    }

    #[test]
    fn brussels_broadband_values_are_read_by_year() {
        let p = parse_file("eurostat/sdmx-csv/isoc_r_broad_h_excerpt.csv");
        let b = &p.batch;
        let expect = [("2008", 55.68), ("2015", 75.60), ("2021", 93.00)];
        for (year, v) in expect {
            let i = find(b, &[("geo", "BE10"), ("period", year)]).expect("BE10 row");
            assert_eq!(values(b).value(i), v, "{year}");
            assert!(col(b, "flags").is_null(i));
            assert_eq!(opt(col(b, "period_freq"), i), Some("A"));
            assert_eq!(opt(col(b, "unit"), i), Some("PC_HH"));
        }
        let be10 = (0..b.num_rows())
            .filter(|&i| col(b, "geo").value(i) == "BE10")
            .count();
        assert_eq!(be10, 14);
    }

    #[test]
    fn an_empty_value_flagged_u_is_kept_as_a_null_row() {
        for rel in [
            "eurostat/sdmx-csv/isoc_r_broad_h_excerpt.csv",
            "eurostat/sdmx-csv/isoc_r_iacc_h_excerpt.csv",
        ] {
            let p = parse_file(rel);
            let b = &p.batch;
            let i = find(b, &[("geo", "AT11"), ("period", "2007")]).expect("AT11 2007");
            assert!(values(b).is_null(i), "{rel}");
            assert_eq!(opt(col(b, "flags"), i), Some("u"), "{rel}");
            assert!(col(b, "conf_status").is_null(i));
            assert!(col(b, "value_text").is_null(i));
            // A period with no data has no row.
            assert_eq!(
                find(b, &[("geo", "AT11"), ("period", "2015")]),
                None,
                "{rel}"
            );
        }
    }

    #[test]
    fn brussels_internet_access_is_read_for_every_year_from_2008() {
        let p = parse_file("eurostat/sdmx-csv/isoc_r_iacc_h_excerpt.csv");
        let b = &p.batch;
        let be10 = (0..b.num_rows())
            .filter(|&i| col(b, "geo").value(i) == "BE10")
            .count();
        assert_eq!(be10, 18);
        // Hard-coded from the file (`grep ,BE10, isoc_r_iacc_h_excerpt.csv`).
        for (year, v) in [
            ("2008", 59.93),
            ("2010", 68.69),
            ("2021", 93.00),
            ("2025", 92.03),
        ] {
            let i = find(b, &[("geo", "BE10"), ("period", year)]).expect("BE10 row");
            assert_eq!(values(b).value(i), v, "{year}");
            assert_eq!(col(b, "dataset").value(i), "ds");
        }
        assert_eq!(find(b, &[("geo", "BE10"), ("period", "2006")]), None);
    }

    #[test]
    fn the_sdmx_2_0_file_gives_the_belgian_row() {
        let p = parse_file("eurostat/sdmx-csv/isoc_e_dii_2023_sdmx2.csv");
        let b = &p.batch;
        let i = find(
            b,
            &[
                ("size_emp", "10-249"),
                ("indic_is", "E_DI3_GELO"),
                ("geo", "BE"),
                ("period", "2023"),
            ],
        )
        .expect("BE row");
        assert_eq!(values(b).value(i), 74.5);
        assert!(col(b, "flags").is_null(i));
        assert_eq!(p.updated, None);
        // A `c` flag without a value: confidential.
        let c = (0..b.num_rows())
            .find(|&i| opt(col(b, "flags"), i) == Some("c"))
            .expect("a c-flagged row");
        assert!(values(b).is_null(c));
        assert_eq!(opt(col(b, "conf_status"), c), Some("C"));
    }

    #[test]
    fn labels_both_mode_splits_codes_from_labels() {
        let text = "DATAFLOW,LAST UPDATE,freq:Time frequency,geo:Geopolitical entity (reporting),TIME_PERIOD:Time,OBS_VALUE:Observation value,OBS_FLAG:Observation status (Flag),CONF_STATUS:Confidentiality status (flag)\n\
            ESTAT:ISOC_R_IACC_H(1.0),25/06/26 23:00:00,A:Annual,BE10:Région de Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest,2023,\"94.1\",b:break in time series,\n\
            ESTAT:ISOC_R_IACC_H(1.0),25/06/26 23:00:00,A:Annual,BE10:Région de Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest,2024,,,C:Confidential\n";
        let p = parse("x", text.as_bytes()).unwrap();
        let b = &p.batch;
        assert_eq!(p.dimensions, ["freq", "geo"]);
        assert_eq!(b.num_rows(), 2);
        assert_eq!(col(b, "geo").value(0), "BE10");
        assert_eq!(
            col(b, "geo_label").value(0),
            "Région de Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest"
        );
        assert_eq!(col(b, "freq_label").value(1), "Annual");
        assert_eq!(values(b).value(0), 94.1);
        assert_eq!(col(b, "flags").value(0), "b");
        assert!(values(b).is_null(1));
        assert_eq!(col(b, "conf_status").value(1), "C");
    }

    #[test]
    fn extra_columns_count_as_dimensions_and_fully_empty_rows_are_skipped() {
        let text = "STRUCTURE,STRUCTURE_ID,ACTION,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG,UNIT_MULT\r\n\
            dataflow,ESTAT:X(1.0),I,BE,2023-Q1,1.5,,0\r\n\
            dataflow,ESTAT:X(1.0),I,BE,2023-Q2,,,0\r\n\
            dataflow,ESTAT:X(1.0),D,BE,2023-Q3,9,,0\r\n\
            ,,,,,,,\r\n";
        let p = parse("x", text.as_bytes()).unwrap();
        assert_eq!(p.dimensions, ["geo", "unit_mult"]);
        assert_eq!(p.batch.num_rows(), 1);
        assert_eq!(col(&p.batch, "period_freq").value(0), "Q");
    }

    #[test]
    fn a_short_row_is_malformed_at_its_line() {
        let text = "DATAFLOW,LAST UPDATE,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\nX,01/01/24 00:00:00,BE,2020,1,\nX,01/01/24 00:00:00,BE,2021\n";
        match parse("x", text.as_bytes()) {
            Err(ParseError::Malformed {
                line: Some(3),
                format: Format::SdmxCsv,
                ..
            }) => {}
            other => panic!("expected Malformed at line 3, got {other:?}"),
        }
    }

    #[test]
    fn a_header_without_obs_value_is_malformed() {
        assert!(matches!(
            parse("x", b"DATAFLOW,geo,TIME_PERIOD\nX,BE,2020\n"),
            Err(ParseError::Malformed { line: Some(1), .. })
        ));
    }

    #[test]
    fn last_update_follows_luxembourg_summer_and_winter_time() {
        assert_eq!(
            last_update_rfc3339("16/06/24 23:00:00").as_deref(),
            Some("2024-06-16T23:00:00+02:00")
        );
        assert_eq!(
            last_update_rfc3339("08/12/23 11:00:00").as_deref(),
            Some("2023-12-08T11:00:00+01:00")
        );
        assert_eq!(
            last_update_rfc3339("31/03/24 04:00:00").as_deref(),
            Some("2024-03-31T04:00:00+02:00")
        );
        assert_eq!(last_update_rfc3339("yesterday"), None);
    }

    #[test]
    fn an_unparseable_last_update_is_kept_raw() {
        let text = "DATAFLOW,LAST UPDATE,geo,TIME_PERIOD,OBS_VALUE\nX,soon,BE,2020,1\n";
        let p = parse("x", text.as_bytes()).unwrap();
        assert_eq!(p.updated.as_deref(), Some("soon"));
    }

    #[test]
    fn cutting_a_real_file_anywhere_never_panics() {
        let full = read("eurostat/sdmx-csv/isoc_r_broad_h_excerpt.csv");
        for cut in (0..full.len()).step_by(53) {
            let _ = parse("x", &full[..cut]);
        }
    }
}
