//! Opendatasoft CSV exports (`/api/explore/v2.1/catalog/datasets/{id}/exports/csv`: `;`-separated
//! by default, UTF-8 with a BOM by default since v2.1, strings quoted when needed) → the canonical
//! long table, read through the dataset's [`OdsMapping`] because every portal names its columns
//! differently. Must not guess columns: without a mapping, or with a mapping naming a column the
//! export lacks, it refuses and says which keys to set.

use std::borrow::Cow;

use super::builder::Rows;
use super::csv::{self, Records};
use super::{Format, OdsMapping, ParseError, Parsed};

fn malformed(line: Option<usize>, reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format: Format::OdsCsv,
        line,
        reason: reason.into(),
    }
}

fn mapping_error(reason: impl Into<String>) -> ParseError {
    ParseError::OdsMapping {
        reason: reason.into(),
    }
}

/// Where a dimension's code comes from.
enum Source {
    Column(usize),
    Constant(String),
}

pub(super) fn parse(
    dataset: &str,
    bytes: &[u8],
    mapping: Option<&OdsMapping>,
) -> Result<Parsed, ParseError> {
    let Some(m) = mapping else {
        return Err(mapping_error(
            "no mapping is configured; set `period` (the period column), `value` (the numeric column), \
             `dimensions` (columns to keep) and either `geo` (a geo code column) or `geo_constant` \
             (e.g. \"BE10\"), and `delimiter` if it is not `;`",
        ));
    };
    if m.value.trim().is_empty() || m.period.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return Err(mapping_error(
            "`value` must name the export's numeric column, and `period`, when given, its period column",
        ));
    }
    let delim = m.delimiter.unwrap_or(';');
    if !delim.is_ascii() || matches!(delim, '"' | '\n' | '\r') {
        return Err(mapping_error(format!(
            "the delimiter {delim:?} is not usable; use a single ASCII character such as ';' or ','"
        )));
    }
    let text = super::utf8_text(Format::OdsCsv, bytes)?;
    let mut records = Records::new(text, delim as u8);
    let mut fields: Vec<Cow<'_, str>> = Vec::new();
    let csv_err = |e: csv::CsvError| malformed(Some(e.line), e.reason);
    if records.next_into(&mut fields).map_err(csv_err)?.is_none() {
        return Err(malformed(Some(1), "there is no header line"));
    }
    let header: Vec<String> = fields.iter().map(|f| f.trim().to_owned()).collect();
    let find = |key: &str, name: &str| -> Result<usize, ParseError> {
        let name = name.trim();
        header
            .iter()
            .position(|h| h == name)
            .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(name)))
            .ok_or_else(|| {
                mapping_error(format!(
                    "`{key}` names the column {name:?}, which the export does not have (its columns: {})",
                    header.join(", ")
                ))
            })
    };
    let period_col = m.period.as_deref().map(|p| find("period", p)).transpose()?;
    let value_col = find("value", &m.value)?;
    let geo_source = match (&m.geo, &m.geo_constant) {
        (Some(g), _) => Source::Column(find("geo", g)?),
        (None, Some(c)) if !c.trim().is_empty() => Source::Constant(c.trim().to_owned()),
        _ => {
            return Err(mapping_error(
                "set either `geo` (the column holding a geo code) or `geo_constant` (e.g. \"BE10\")",
            ));
        }
    };
    let mut names = Vec::new();
    let mut sources = Vec::new();
    for d in &m.dimensions {
        let c = find("dimensions", d)?;
        if matches!(geo_source, Source::Column(g) if g == c) {
            continue;
        }
        names.push(d.clone());
        sources.push(Source::Column(c));
    }
    names.push("geo".to_owned());
    sources.push(geo_source);
    let width = header.len();

    let mut rows = Rows::new(sources.len(), text.len() / 64);
    while records
        .next_row(&mut fields, width)
        .map_err(csv_err)?
        .is_some()
    {
        let cell = |i: usize| fields.get(i).map(|f| f.trim()).unwrap_or_default();
        for (d, source) in sources.iter().enumerate() {
            let code = match source {
                Source::Column(c) => cell(*c),
                Source::Constant(s) => s.as_str(),
            };
            rows.dim(d, code, None);
        }
        rows.period(period_col.map(&cell).filter(|t| !t.is_empty()));
        let raw = cell(value_col);
        let (num, text_value) = if raw.is_empty() {
            (None, None)
        } else {
            match raw.parse::<f64>() {
                Ok(n) if n.is_finite() => (Some(n), None),
                _ => (None, Some(raw)),
            }
        };
        rows.obs.push(num, text_value, None, None);
    }

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
    use super::super::testdata::{col, values};
    use super::*;
    use arrow::array::Array;

    // The export dialect follows Opendatasoft's Explore API v2.1 reference for
    // `GET /catalog/datasets/{dataset_id}/exports/csv` (as generated into the official SDK's
    // python/docs/DatasetApi.md, opendatasoft/opendatasoft-explore-sdk): `delimiter` defaults to
    // `;`, `with_bom` defaults to true in v2.1, strings are quoted only when needed
    // (`quote_all=false`), multivalued strings are joined with `list_separator` `,`. No real
    // export was at hand, so the rows below are written in that dialect for a Brussels-style
    // dataset; the first dataset is shaped like the docs' `gold-prices` example (`date`, `price`).
    const GOLD: &str = "\u{feff}date;price\r\n1950-01;34.73\r\n1950-02;34.73\r\n";

    const COMMUNES: &str = "\u{feff}Année;Code INS;Commune;Indicateur;Valeur\r\n\
        2022;21004;Bruxelles;Ménages avec internet;91.5\r\n\
        2023;21004;Bruxelles;Ménages avec internet;93\r\n\
        2023;21009;\"Ixelles; Elsene\";Ménages avec internet;n.d.\r\n\
        2023;21015;Schaerbeek;Ménages avec internet;\r\n";

    #[test]
    fn a_default_export_reads_with_a_constant_geo() {
        let m = OdsMapping {
            period: Some("date".into()),
            value: "price".into(),
            geo_constant: Some("BE10".into()),
            ..OdsMapping::default()
        };
        let p = parse("gold", GOLD.as_bytes(), Some(&m)).unwrap();
        let b = &p.batch;
        assert_eq!(p.dimensions, ["geo"]);
        assert_eq!(b.num_rows(), 2);
        assert_eq!(col(b, "geo").value(1), "BE10");
        assert_eq!(col(b, "period").value(0), "1950-01");
        assert_eq!(col(b, "period_freq").value(0), "M");
        assert_eq!(values(b).value(0), 34.73);
    }

    #[test]
    fn mapped_columns_become_sanitised_dimensions_and_text_values_are_kept() {
        let m = OdsMapping {
            period: Some("Année".into()),
            value: "Valeur".into(),
            dimensions: vec!["Indicateur".into(), "Commune".into(), "Code INS".into()],
            geo: Some("Code INS".into()),
            ..OdsMapping::default()
        };
        let p = parse("communes", COMMUNES.as_bytes(), Some(&m)).unwrap();
        let b = &p.batch;
        assert_eq!(p.dimensions, ["indicateur", "commune", "geo"]);
        assert_eq!(b.num_rows(), 4);
        assert_eq!(col(b, "geo").value(0), "21004");
        assert_eq!(col(b, "commune").value(2), "Ixelles; Elsene");
        assert_eq!(values(b).value(1), 93.0);
        assert!(values(b).is_null(2));
        assert_eq!(col(b, "value_text").value(2), "n.d.");
        assert!(values(b).is_null(3));
        assert!(col(b, "value_text").is_null(3));
    }

    #[test]
    fn without_a_mapping_the_error_names_the_keys_to_set() {
        let err = parse("x", GOLD.as_bytes(), None).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ParseError::OdsMapping { .. }));
        for key in ["`period`", "`value`", "`geo`", "`geo_constant`"] {
            assert!(msg.contains(key), "{msg}");
        }
    }

    #[test]
    fn a_mapped_column_missing_from_the_export_is_named() {
        let m = OdsMapping {
            period: Some("year".into()),
            value: "price".into(),
            geo_constant: Some("BE10".into()),
            ..OdsMapping::default()
        };
        let msg = parse("x", GOLD.as_bytes(), Some(&m))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("\"year\"") && msg.contains("date, price"),
            "{msg}"
        );
    }

    #[test]
    fn a_mapping_without_geo_is_refused() {
        let m = OdsMapping {
            period: Some("date".into()),
            value: "price".into(),
            ..OdsMapping::default()
        };
        assert!(matches!(
            parse("x", GOLD.as_bytes(), Some(&m)),
            Err(ParseError::OdsMapping { .. })
        ));
    }

    #[test]
    fn a_comma_delimited_export_reads_with_its_delimiter() {
        let m = OdsMapping {
            period: Some("date".into()),
            value: "price".into(),
            geo_constant: Some("BE".into()),
            delimiter: Some(','),
            ..OdsMapping::default()
        };
        let p = parse("x", b"date,price\n2020,1.5\n", Some(&m)).unwrap();
        assert_eq!(values(&p.batch).value(0), 1.5);
        assert_eq!(col(&p.batch, "period_freq").value(0), "A");
    }

    #[test]
    fn the_mapping_deserialises_from_configuration() {
        let m: OdsMapping = serde_json::from_str(
            r#"{"period":"date","value":"price","geo_constant":"BE10","delimiter":";"}"#,
        )
        .unwrap();
        assert_eq!(m.delimiter, Some(';'));
        assert!(m.dimensions.is_empty());
    }
}
