//! Eurostat's table of contents (the TXT layout of its catalogue API: tab-separated, quoted cells,
//! hierarchy by indentation of the title), read to check that the catalogue's Eurostat codes exist
//! and are datasets. Reading only: this module neither downloads the file nor touches the store.

/// One line of the table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    /// The title, without its indentation.
    pub title: String,
    pub code: String,
    /// `folder`, `dataset` or `table`.
    pub kind: String,
    /// `last update of data`, as published (`dd.mm.yyyy`).
    pub last_update: String,
    pub data_start: String,
    pub data_end: String,
    /// Depth in the hierarchy (4 spaces of indentation per level).
    pub depth: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("table of contents, line {line}: {reason}")]
pub struct TocError {
    pub line: usize,
    pub reason: String,
}

const HEADER: [&str; 8] = [
    "title",
    "code",
    "type",
    "last update of data",
    "last table structure change",
    "data start",
    "data end",
    "values",
];

/// Parses the whole file. An item may appear several times (it sits in several folders).
pub fn parse(text: &str) -> Result<Vec<TocEntry>, TocError> {
    let mut lines = text.lines().enumerate();
    let header: Vec<String> = match lines.next() {
        Some((_, l)) => l.split('\t').map(unquote).map(str::to_owned).collect(),
        None => {
            return Err(TocError {
                line: 1,
                reason: "the file is empty".into(),
            });
        }
    };
    if header.len() < 7 || header[..7] != HEADER[..7] {
        return Err(TocError {
            line: 1,
            reason: format!("expected the header {HEADER:?}, found {header:?}"),
        });
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').map(unquote).collect();
        if cells.len() < 7 {
            return Err(TocError {
                line: i + 1,
                reason: format!("{} cells where 7 or more were expected", cells.len()),
            });
        }
        let raw_title = cells[0];
        let title = raw_title.trim_start();
        out.push(TocEntry {
            title: title.to_owned(),
            code: cells[1].trim().to_owned(),
            kind: cells[2].trim().to_owned(),
            last_update: cells[3].trim().to_owned(),
            data_start: cells[5].trim().to_owned(),
            data_end: cells[6].trim().to_owned(),
            depth: (raw_title.len() - title.len()) / 4,
        });
    }
    Ok(out)
}

fn unquote(cell: &str) -> &str {
    let cell = cell.trim_end_matches('\r');
    cell.strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .unwrap_or(cell)
}

/// The dataset (not folder) entry of `code`, if the table of contents has one.
pub fn dataset<'a>(entries: &'a [TocEntry], code: &str) -> Option<&'a TocEntry> {
    entries
        .iter()
        .find(|e| e.kind == "dataset" && e.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Provider};
    use std::path::PathBuf;

    fn shared_toc() -> String {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/eurostat/toc/table_of_contents_en.txt"
        ));
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    #[test]
    fn the_real_table_of_contents_parses_with_its_hierarchy() {
        let toc = parse(&shared_toc()).unwrap();
        assert!(toc.len() > 10_000, "{} entries", toc.len());
        assert_eq!(toc[0].code, "data");
        assert_eq!((toc[0].kind.as_str(), toc[0].depth), ("folder", 0));
        let e = dataset(&toc, "isoc_ci_in_h").expect("isoc_ci_in_h is listed");
        assert_eq!(e.title, "Households -  level of internet access");
        assert_eq!(
            (e.data_start.as_str(), e.data_end.as_str()),
            ("2002", "2022")
        );
        assert_eq!(e.last_update, "10.07.2023");
    }

    #[test]
    fn every_eurostat_code_of_the_shipped_catalogue_is_a_dataset_in_the_table_of_contents() {
        let toc = parse(&shared_toc()).unwrap();
        let catalog = Catalog::load(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/datasets"
        )))
        .expect("the shipped catalogue loads");
        let eurostat: Vec<_> = catalog
            .sources
            .iter()
            .filter(|s| s.provider == Provider::Eurostat)
            .collect();
        assert!(eurostat.len() >= 15);
        let missing: Vec<&str> = eurostat
            .iter()
            .filter(|s| dataset(&toc, &s.code).is_none())
            .map(|s| s.code.as_str())
            .collect();
        assert!(
            missing.is_empty(),
            "not datasets in Eurostat's table of contents: {missing:?}"
        );
    }

    #[test]
    fn a_file_with_another_header_is_refused_naming_line_one() {
        let e = parse("\"a\"\t\"b\"\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("expected the header"), "{e}");
    }
}
