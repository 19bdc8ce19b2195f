//! Test inputs for the API's pure builders: the shipped catalogue and a temp store holding two
//! real versions of `isoc_ci_in_h` (the legacy TSV, then the JSON-stat response), ingested through
//! the same path as `desi-city import`.

use std::path::Path;

use crate::catalog::Catalog;
use crate::fetch::parse::testdata::read;
use crate::fetch::parse::{Format, ParseOptions};
use crate::fetch::{ImportMeta, ingest};
use crate::store::{Manifest, Store};

pub fn catalog() -> Catalog {
    Catalog::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets"))
        .expect("the shipped catalogue loads")
}

/// The temp dir (keep it alive), and the manifest after two publishes of isoc_ci_in_h.
pub fn two_versions() -> (tempfile::TempDir, Manifest) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 5).expect("store");
    for (file, format) in [
        (
            "eurostat/tsv/isoc_ci_in_h_legacy_2008-2019.tsv",
            Format::Tsv,
        ),
        ("eurostat/jsonstat/isoc_ci_in_h.json", Format::JsonStat),
    ] {
        let meta = ImportMeta {
            source_url: format!("file:///shared/data/{file}"),
            licence: "CC-BY-4.0".into(),
            attribution: "Source: Eurostat (online data code: isoc_ci_in_h)".into(),
        };
        ingest(
            &store,
            "isoc_ci_in_h",
            &read(file),
            format,
            &ParseOptions::default(),
            meta,
        )
        .expect("ingests");
    }
    (dir, store.manifest().expect("manifest"))
}
