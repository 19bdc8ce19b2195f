//! The facts of the Commission's Digital Decade DESI platform as its facts API serves them
//! (`/api/v1/chart-groups/{group}/facts/?format=csv`:
//! `period,country,indicator,breakdown,unit,value,flags,reference_period,remarks`), read with the
//! period as the **data year**, so the facts meet Eurostat's series → the canonical long table:
//! dimensions `indicator`, `breakdown`, `unit_measure`, `geo` (from `country`, the platform's `EU`
//! written `EU27_2020` as Eurostat writes it), period = the data year, attributes `edition` (the
//! platform's `period` as published: `desi_2026`, or a year such as `2030` for a target),
//! `reference_period` (as published, null when blank) and `remarks`.
//!
//! The data year is `reference_period` when the fact has one; else the `period` itself when it is a
//! year (targets `2030`, trajectories `2011` … `2030`); else, for a DESI edition `desi_YYYY`, the
//! year before it (`YYYY − 1`: the DESI's rule, e.g. e-government users of DESI 2022 are data year
//! 2021 per the DESI 2022 workbook's `metadata.csv`), and `reference_period` stays null to show
//! that the year was derived. Every record is kept, also those without a value. Must not compute
//! scores or impute anything. The `desi-csv` format reads the same file with the edition as the
//! period (what the composite DESI expects); this one is for indicators.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder};

use super::builder::Rows;
use super::csv::Records;
use super::desi_csv::{Header, finish, value};
use super::{Format, ParseError, Parsed};

fn malformed(line: Option<usize>, reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format: Format::DesiFacts,
        line,
        reason: reason.into(),
    }
}

/// Source columns of the four dimensions, in output order, and their output names.
const DIMS: [(&str, &str); 4] = [
    ("indicator", "indicator"),
    ("breakdown", "breakdown"),
    ("unit", "unit_measure"),
    ("country", "geo"),
];

/// The platform's code for the EU and Eurostat's, under which the EU's values are stored.
const PLATFORM_EU: &str = "EU";
const EUROSTAT_EU: &str = "EU27_2020";

/// The data year of a fact: its reference period; else its period when that is a year; else the
/// year before a `desi_YYYY` edition. `None` when none of these applies.
fn data_year<'a>(period: &'a str, reference: Option<&'a str>) -> Option<Cow<'a, str>> {
    if let Some(r) = reference {
        return Some(Cow::Borrowed(r));
    }
    let is_year = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    if is_year(period) {
        return Some(Cow::Borrowed(period));
    }
    let edition = period.strip_prefix("desi_").filter(|y| is_year(y))?;
    let year: i32 = edition.parse().ok()?;
    Some(Cow::Owned((year - 1).to_string()))
}

pub(super) fn parse(dataset: &str, bytes: &[u8]) -> Result<Parsed, ParseError> {
    let text = super::utf8_text(Format::DesiFacts, bytes)?;
    let mut records = Records::new(text, b',');
    let mut fields: Vec<Cow<'_, str>> = Vec::new();
    let header = Header::read(
        &mut records,
        &mut fields,
        Format::DesiFacts,
        "period,country,indicator,breakdown,unit,value,flags,reference_period,remarks",
        |_| &[],
    )?;
    let dim_cols = header.dimensions(&DIMS)?;
    let period_col = header.required("period")?;
    let value_col = header.required("value")?;
    let reference_col = header.required("reference_period")?;
    let flag_col = header.column("flags");
    let remarks_col = header.column("remarks");
    let geo_index = DIMS.len() - 1;
    let width = header.width();

    let mut rows = Rows::new(DIMS.len(), text.len() / 60);
    let mut editions = StringBuilder::new();
    let mut references = StringBuilder::new();
    let mut remarks = StringBuilder::new();

    while let Some(line) = records
        .next_row(&mut fields, width)
        .map_err(|e| header.bad_record(e))?
    {
        let cell = |i: usize| fields.get(i).map(|f| f.trim()).unwrap_or_default();
        let opt = |i: Option<usize>| i.map(cell).filter(|s| !s.is_empty());
        for (d, &c) in dim_cols.iter().enumerate() {
            let code = cell(c);
            let code = if d == geo_index && code == PLATFORM_EU {
                EUROSTAT_EU
            } else {
                code
            };
            rows.dim(d, code, None);
        }
        let edition = cell(period_col);
        let reference = opt(Some(reference_col));
        let Some(year) = data_year(edition, reference) else {
            return Err(malformed(
                Some(line),
                format!(
                    "the fact has no reference_period and its period {edition:?} is neither a year nor a DESI edition (desi_YYYY)"
                ),
            ));
        };
        rows.period(Some(year.as_ref()));
        let (num, raw) = value(opt(Some(value_col)));
        rows.obs.push(num, raw, opt(flag_col), None);
        editions.append_value(edition);
        references.append_option(reference);
        remarks.append_option(opt(remarks_col));
    }

    let attributes: Vec<(String, ArrayRef)> = vec![
        ("edition".to_owned(), Arc::new(editions.finish())),
        ("reference_period".to_owned(), Arc::new(references.finish())),
        ("remarks".to_owned(), Arc::new(remarks.finish())),
    ];
    finish(rows, dataset, &DIMS, attributes)
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{col, opt, read, values};
    use super::*;
    use arrow::array::Array;
    use arrow::record_batch::RecordBatch;

    fn find(b: &RecordBatch, want: &[(&str, &str)]) -> usize {
        (0..b.num_rows())
            .find(|&i| want.iter().all(|(c, v)| opt(col(b, c), i) == Some(*v)))
            .unwrap_or_else(|| panic!("no row with {want:?}"))
    }

    fn facts() -> Parsed {
        parse("desi_platform", &read("desi/platform/facts_desi.csv")).expect("the real facts parse")
    }

    #[test]
    fn every_real_fact_gives_one_row_with_the_dimensions_of_the_desi_export() {
        let p = facts();
        // 878 lines: the header and 877 facts.
        assert_eq!(p.batch.num_rows(), 877);
        assert_eq!(
            p.dimensions,
            ["indicator", "breakdown", "unit_measure", "geo"]
        );
        assert_eq!(values(&p.batch).null_count(), 0);
    }

    #[test]
    fn a_desi_2026_fact_has_its_reference_period_as_period_and_keeps_its_edition() {
        let p = facts();
        let b = &p.batch;
        // desi_2026,BE,desi_ai_cloud_da,ent_all_xfin,pc_ent,74.53,,2025,
        let i = find(b, &[("indicator", "desi_ai_cloud_da"), ("geo", "BE")]);
        assert_eq!(values(b).value(i), 74.53);
        assert_eq!(col(b, "period").value(i), "2025");
        assert_eq!(col(b, "edition").value(i), "desi_2026");
        assert_eq!(col(b, "reference_period").value(i), "2025");
        assert_eq!(col(b, "period_freq").value(i), "A");
        // desi_2026,BE,desi_ent_secmge5,…,71.54,,2024,: another data year in the same edition.
        let i = find(b, &[("indicator", "desi_ent_secmge5"), ("geo", "BE")]);
        assert_eq!(col(b, "period").value(i), "2024");
    }

    #[test]
    fn the_platforms_eu_is_stored_as_eu27_2020_and_its_flags_are_kept() {
        let p = facts();
        let b = &p.batch;
        let geo = col(b, "geo");
        assert!((0..b.num_rows()).all(|i| geo.value(i) != "EU"));
        // desi_2026,EU,desi_ict_recycling,rcy_prp_reu,pc_waste_col,80.22536500923106,i,2023,
        let i = find(
            b,
            &[("indicator", "desi_ict_recycling"), ("geo", "EU27_2020")],
        );
        assert_eq!(values(b).value(i), 80.22536500923106);
        assert_eq!(col(b, "flags").value(i), "i");
    }

    #[test]
    fn a_2030_target_keeps_its_year_and_an_older_edition_takes_the_year_before_it() {
        let p = facts();
        let b = &p.batch;
        // 2030,EU,desi_dsk_bab,dd_target_2030,pc_ind,80.0,,,
        let i = find(
            b,
            &[
                ("indicator", "desi_dsk_bab"),
                ("breakdown", "dd_target_2030"),
            ],
        );
        assert_eq!(col(b, "geo").value(i), "EU27_2020");
        assert_eq!(col(b, "period").value(i), "2030");
        assert_eq!(values(b).value(i), 80.0);
        assert!(col(b, "reference_period").is_null(i));
        // desi_2022,BE,desi_egov_users,ind_total,pc_ind_ilt12,74.3633,,,: data year 2021, as the
        // DESI 2022 workbook's metadata.csv gives for e-government users (4a1, Year 6 = 2021).
        let i = find(
            b,
            &[
                ("indicator", "desi_egov_users"),
                ("geo", "BE"),
                ("edition", "desi_2022"),
            ],
        );
        assert_eq!(values(b).value(i), 74.3633);
        assert_eq!(col(b, "period").value(i), "2021");
        assert!(col(b, "reference_period").is_null(i));
    }

    #[test]
    fn the_trajectories_parse_with_their_years() {
        let p = parse(
            "desi_dd_trajectories",
            &read("desi/platform/facts_dd_trajectories_eu.csv"),
        )
        .expect("the real trajectories parse");
        let b = &p.batch;
        assert_eq!(b.num_rows(), 59);
        // 2011,EU,dd_ictspec,dd_hist_2023,mio_ind,5.6621,,,
        let i = find(
            b,
            &[
                ("indicator", "dd_ictspec"),
                ("breakdown", "dd_hist_2023"),
                ("period", "2011"),
            ],
        );
        assert_eq!(values(b).value(i), 5.6621);
        assert_eq!(col(b, "geo").value(i), "EU27_2020");
    }

    #[test]
    fn the_header_with_reference_period_is_detected_as_platform_facts() {
        let text = "period,country,indicator,breakdown,unit,value,flags,reference_period,remarks\r\n\
                    desi_2026,BE,desi_vhcn,total_pophh,pc_hh,96.247692,,2025,\r\n";
        assert_eq!(Format::detect(text.as_bytes()), Some(Format::DesiFacts));
    }

    #[test]
    fn a_fact_whose_period_is_no_year_and_no_edition_is_malformed_at_its_line() {
        let text = "period,country,indicator,breakdown,unit,value,flags,reference_period,remarks\n\
                    desi_2026,BE,desi_vhcn,total_pophh,pc_hh,96.2,,2025,\n\
                    latest,BE,desi_vhcn,total_pophh,pc_hh,96.2,,,\n";
        let err = parse("d", text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("latest"), "{err}");
    }

    #[test]
    fn a_file_without_reference_period_is_refused_naming_the_column() {
        let text = "period,country,indicator,breakdown,unit,value,flags\n\
                    2015,BE,desi_4a1_eis,ent_all_xfin,pc_ent,0.473156,\n";
        let err = parse("d", text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("reference_period"), "{err}");
    }
}
