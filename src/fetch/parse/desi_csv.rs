//! The DESI dataset export of digital-agenda-data.eu
//! (`observation,time_period,ref_area,indicator,breakdown,unit_measure,value,flag,note`), and the
//! facts export of its successor, the Digital Decade DESI platform
//! (`period,country,indicator,breakdown,unit,value,flags`, same meaning under other names) → the
//! canonical long table: dimensions `indicator`, `breakdown`, `unit_measure`, `geo` (from
//! `ref_area`), period from `time_period`, attributes `note` and `observation`. Every record is
//! kept, including those published without a value (the DESI method treats a blank as missing,
//! the record still names the observation). Must not compute scores or impute anything.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder};

use super::builder::Rows;
use super::csv::{self, Records};
use super::{Format, ParseError, Parsed};

fn malformed(line: Option<usize>, reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format: Format::DesiCsv,
        line,
        reason: reason.into(),
    }
}

/// Source columns of the four dimensions, in output order, and their output names.
const DIMS: [(&str, &str); 4] = [
    ("indicator", "indicator"),
    ("breakdown", "breakdown"),
    ("unit_measure", "unit_measure"),
    ("ref_area", "geo"),
];

pub(super) fn parse(dataset: &str, bytes: &[u8]) -> Result<Parsed, ParseError> {
    let text = super::utf8_text(Format::DesiCsv, bytes)?;
    let mut records = Records::new(text, b',');
    let mut fields: Vec<Cow<'_, str>> = Vec::new();
    let csv_err = |e: csv::CsvError| malformed(Some(e.line), e.reason);
    if records.next_into(&mut fields).map_err(csv_err)?.is_none() {
        return Err(malformed(Some(1), "there is no header line"));
    }
    let header: Vec<String> = fields
        .iter()
        .map(|f| f.trim().to_ascii_lowercase())
        .collect();
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
    let column = |name: &str| {
        header.iter().position(|h| h == name).or_else(|| {
            aliases(name)
                .iter()
                .find_map(|a| header.iter().position(|h| h == a))
        })
    };
    let required = |name: &str| {
        column(name).ok_or_else(|| {
            malformed(
                Some(1),
                format!(
                    "the header has no `{name}` column (expected observation,time_period,ref_area,indicator,breakdown,unit_measure,value,flag,note or period,country,indicator,breakdown,unit,value,flags)"
                ),
            )
        })
    };
    let dim_cols: Vec<usize> = DIMS
        .iter()
        .map(|(src, _)| required(src))
        .collect::<Result<_, _>>()?;
    let time_col = required("time_period")?;
    let value_col = required("value")?;
    let flag_col = column("flag");
    let note_col = column("note");
    let observation_col = column("observation");
    let width = header.len();

    let mut rows = Rows::new(DIMS.len(), text.len() / 100);
    let mut notes = StringBuilder::new();
    let mut observations = StringBuilder::new();

    while records
        .next_row(&mut fields, width)
        .map_err(csv_err)?
        .is_some()
    {
        let cell = |i: usize| fields.get(i).map(|f| f.trim()).unwrap_or_default();
        let opt = |i: Option<usize>| i.map(cell).filter(|s| !s.is_empty());
        for (d, &c) in dim_cols.iter().enumerate() {
            rows.dim(d, cell(c), None);
        }
        rows.period(opt(Some(time_col)));
        let (num, raw) = match opt(Some(value_col)) {
            None => (None, None),
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n.is_finite() => (Some(n), None),
                _ => (None, Some(v)),
            },
        };
        rows.obs.push(num, raw, opt(flag_col), None);
        notes.append_option(opt(note_col));
        observations.append_option(opt(observation_col));
    }

    let names: Vec<String> = DIMS.iter().map(|(_, n)| (*n).to_owned()).collect();
    let attributes: Vec<(String, ArrayRef)> = vec![
        ("note".to_owned(), Arc::new(notes.finish())),
        ("observation".to_owned(), Arc::new(observations.finish())),
    ];
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
    use super::super::testdata::{col, read, values};
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
        let p = parse("desi", text.as_bytes()).unwrap();
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
        let p = parse("desi_2020", &read("desi/2020/indicators_raw.csv")).unwrap();
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
        let p = parse("desi_2020", &read("desi/2020/indicators_raw.csv")).unwrap();
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

    #[test]
    fn flags_and_notes_are_carried_when_present() {
        let text = "observation,time_period,ref_area,indicator,breakdown,unit_measure,value,flag,note\n\
            http://x/1,2019,BE,desi_1a1,total_hh,pc_hh,12.5,e,\"Estimate, see source\"\n\
            http://x/2,2019,BE,desi_1a2,total_hh,pc_hh,,,\n";
        let p = parse("d", text.as_bytes()).unwrap();
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
        )
        .unwrap_err();
        assert!(err.to_string().contains("ref_area"), "{err}");
    }
}
