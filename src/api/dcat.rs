//! The catalogue as DCAT-AP 3.0 in JSON-LD: one `dcat:Dataset` per catalogue source, with titles
//! and descriptions per language, publisher, licence, spatial and temporal coverage, and
//! distributions (Parquet, as stored: URL, media type, byte size, sha256; CSV, generated). Pure:
//! catalogue and manifest in, JSON out; no HTTP, no file system.

use serde_json::{Value, json};

use crate::catalog::{Catalog, Provider, Source, Texts};
use crate::store::{DatasetEntry, Manifest, Version};

const PARQUET: &str = "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet";
const CSV: &str = "https://www.iana.org/assignments/media-types/text/csv";

fn context() -> Value {
    json!({
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "adms": "http://www.w3.org/ns/adms#",
        "spdx": "http://spdx.org/rdf/terms#",
        "owl": "http://www.w3.org/2002/07/owl#",
    })
}

/// A text in every language it has, `lang` first, as language-tagged literals.
fn literals(texts: &Texts, lang: &str) -> Value {
    let mut all: Vec<(&str, &str)> = vec![("en", texts.en.as_str())];
    for (code, text) in [("fr", &texts.fr), ("nl", &texts.nl), ("de", &texts.de)] {
        if let Some(t) = text {
            all.push((code, t));
        }
    }
    all.sort_by_key(|(code, _)| *code != lang);
    Value::Array(
        all.into_iter()
            .map(|(code, text)| json!({ "@value": text, "@language": code }))
            .collect(),
    )
}

/// The publisher of a provider's data, as the EU Publications Office's authority URI.
fn publisher(provider: Provider) -> Value {
    let (uri, name) = match provider {
        Provider::Eurostat => (
            "http://publications.europa.eu/resource/authority/corporate-body/ESTAT",
            "Eurostat",
        ),
        Provider::Desi => (
            "http://publications.europa.eu/resource/authority/corporate-body/CNECT",
            "European Commission, DG Communications Networks, Content and Technology",
        ),
        // GISCO is Eurostat's geographic information service.
        Provider::Gisco => (
            "http://publications.europa.eu/resource/authority/corporate-body/ESTAT",
            "Eurostat (GISCO)",
        ),
        Provider::Opendatasoft => (
            "http://publications.europa.eu/resource/authority/corporate-body/BRU",
            "Brussels-Capital Region",
        ),
    };
    json!({ "@id": uri, "@type": "foaf:Agent", "foaf:name": name })
}

/// A geo code as a spatial reference: NUTS codes as the EU's NUTS URIs, others as plain ids.
fn spatial(geo: &str) -> Value {
    if geo.starts_with("EU") {
        json!({ "@id": "http://publications.europa.eu/resource/authority/continent/EUROPE", "dct:identifier": geo })
    } else {
        json!({ "@id": format!("http://data.europa.eu/nuts/code/{geo}"), "dct:identifier": geo })
    }
}

fn date_time(t: chrono::DateTime<chrono::Utc>) -> Value {
    json!({ "@value": t.to_rfc3339(), "@type": "xsd:dateTime" })
}

/// The distributions of one kept version: its Parquet file (exact bytes: size and checksum) and
/// a CSV generated from it (no size or checksum: it is encoded on request).
fn distributions(source: &Source, v: &Version, base: &str) -> Vec<Value> {
    let root = format!("{base}/api/v1/datasets/{}", source.id);
    vec![
        json!({
            "@id": format!("{root}/versions/{}.parquet", v.version),
            "@type": "dcat:Distribution",
            "dct:title": format!("{} {} (Parquet)", source.id, v.version),
            "dcat:downloadURL": { "@id": format!("{root}/versions/{}.parquet", v.version) },
            "dcat:accessURL": { "@id": format!("{root}.parquet") },
            "dcat:mediaType": { "@id": PARQUET },
            "dcat:byteSize": { "@value": v.bytes.to_string(), "@type": "xsd:nonNegativeInteger" },
            "spdx:checksum": {
                "@type": "spdx:Checksum",
                "spdx:algorithm": { "@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256" },
                "spdx:checksumValue": v.file_sha256,
            },
            "dct:license": { "@id": source.licence_url },
            "dct:issued": date_time(v.published_at),
            "adms:versionNotes": format!(
                "{} rows, fetched {} from {}; upstream updated {}",
                v.rows,
                v.meta.fetched_at.to_rfc3339(),
                v.meta.source_url,
                v.meta.upstream_updated.as_deref().unwrap_or("unknown")
            ),
        }),
        json!({
            "@id": format!("{root}/versions/{}.csv", v.version),
            "@type": "dcat:Distribution",
            "dct:title": format!("{} {} (CSV)", source.id, v.version),
            "dcat:downloadURL": { "@id": format!("{root}/versions/{}.csv", v.version) },
            "dcat:accessURL": { "@id": format!("{root}.csv") },
            "dcat:mediaType": { "@id": CSV },
            "dct:license": { "@id": source.licence_url },
            "dct:issued": date_time(v.published_at),
        }),
    ]
}

/// One `dcat:Dataset` (without `@context`): the current version's distributions, or with
/// `all_versions` every kept version as a distribution and an `adms:version` list.
fn dataset_node(
    source: &Source,
    entry: Option<&DatasetEntry>,
    base: &str,
    lang: &str,
    all_versions: bool,
) -> Value {
    let current = entry.and_then(DatasetEntry::current_version);
    let distributions: Vec<Value> = match (entry, all_versions) {
        (Some(e), true) => e
            .versions
            .iter()
            .flat_map(|v| distributions(source, v, base))
            .collect(),
        _ => current
            .map(|v| distributions(source, v, base))
            .unwrap_or_default(),
    };
    let mut temporal = serde_json::Map::new();
    temporal.insert("@type".into(), json!("dct:PeriodOfTime"));
    if let Some(y) = source.query.since {
        temporal.insert(
            "dcat:startDate".into(),
            json!({ "@value": format!("{y}-01-01"), "@type": "xsd:date" }),
        );
    }
    if let Some(y) = source.query.until {
        temporal.insert(
            "dcat:endDate".into(),
            json!({ "@value": format!("{y}-12-31"), "@type": "xsd:date" }),
        );
    }
    let mut node = json!({
        "@id": format!("{base}/api/v1/datasets/{}", source.id),
        "@type": "dcat:Dataset",
        "dct:identifier": source.id,
        "dct:title": literals(&source.title, lang),
        "dct:description": literals(&source.description, lang),
        "dct:publisher": publisher(source.provider),
        "dct:license": { "@id": source.licence_url },
        "dct:rights": source.attribution,
        "dct:source": source.code,
        "dct:spatial": source.query.geo.iter().map(|g| spatial(g)).collect::<Vec<_>>(),
        "dct:temporal": Value::Object(temporal),
        "dct:accrualPeriodicity": source.schedule,
        "dcat:theme": source.dimensions.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "dcat:distribution": distributions,
    });
    if let Some(home) = &source.homepage {
        node["dcat:landingPage"] = json!({ "@id": home });
    }
    if let Some(v) = current {
        node["dct:modified"] = date_time(v.published_at);
        node["owl:versionInfo"] = json!(v.version);
    }
    if all_versions && let Some(e) = entry {
        node["adms:version"] = Value::Array(
            e.versions
                .iter()
                .map(|v| {
                    json!({
                        "owl:versionInfo": v.version,
                        "current": v.version == e.current,
                        "published_at": v.published_at,
                        "fetched_at": v.meta.fetched_at,
                        "upstream_updated": v.meta.upstream_updated,
                        "source_url": v.meta.source_url,
                        "rows": v.rows,
                        "bytes": v.bytes,
                        "sha256": v.file_sha256,
                        "parquet": format!("{base}/api/v1/datasets/{}/versions/{}.parquet", source.id, v.version),
                        "csv": format!("{base}/api/v1/datasets/{}/versions/{}.csv", source.id, v.version),
                    })
                })
                .collect(),
        );
    }
    node
}

/// The whole catalogue: every source of the catalogue (a source not fetched yet is listed
/// without distributions).
pub fn catalog(catalog: &Catalog, manifest: &Manifest, base_url: &str, lang: &str) -> Value {
    let datasets: Vec<Value> = catalog
        .sources
        .iter()
        .map(|s| dataset_node(s, manifest.datasets.get(&s.id), base_url, lang, false))
        .collect();
    json!({
        "@context": context(),
        "@id": format!("{base_url}/api/v1/datasets"),
        "@type": "dcat:Catalog",
        "dct:title": [
            { "@value": "desi-city: the statistics behind the DESI dimensions of a city", "@language": "en" },
            { "@value": "desi-city : les statistiques derrière les dimensions DESI d'une ville", "@language": "fr" },
            { "@value": "desi-city: de statistieken achter de DESI-dimensies van een stad", "@language": "nl" },
        ],
        "dct:description": "Versioned copies of the open statistics behind the five DESI dimensions, each with its provenance (source URL, fetch time, upstream update, checksum, licence).",
        "dct:publisher": { "@type": "foaf:Agent", "foaf:name": "desi-city (this deployment)", "foaf:homepage": { "@id": base_url } },
        "dcat:dataset": datasets,
    })
}

/// One dataset with `@context` and every kept version.
pub fn dataset(source: &Source, entry: Option<&DatasetEntry>, base_url: &str, lang: &str) -> Value {
    let mut node = dataset_node(source, entry, base_url, lang, true);
    node["@context"] = context();
    node
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testdata::{catalog, two_versions};

    #[test]
    fn every_source_is_a_dataset_with_titles_licence_and_distributions_matching_the_files() {
        let catalog = catalog();
        let (_dir, manifest) = two_versions();
        let doc = super::catalog(&catalog, &manifest, "https://desi.example.org", "fr");
        assert_eq!(doc["@type"], "dcat:Catalog");
        assert!(doc["@context"]["dcat"].is_string());
        let datasets = doc["dcat:dataset"].as_array().expect("datasets");
        assert_eq!(datasets.len(), catalog.sources.len());
        for (d, source) in datasets.iter().zip(&catalog.sources) {
            assert_eq!(d["dct:identifier"], source.id.as_str());
            assert_eq!(d["dct:license"]["@id"], source.licence_url.as_str());
            assert!(
                d["dct:publisher"]["@id"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("http://publications.europa.eu/"))
            );
            let titles = d["dct:title"].as_array().expect("titles");
            assert_eq!(
                titles[0]["@language"],
                if source.title.fr.is_some() {
                    "fr"
                } else {
                    "en"
                }
            );
            assert!(
                titles
                    .iter()
                    .any(|t| t["@language"] == "en" && t["@value"] == source.title.en.as_str())
            );
        }
        let ours = datasets
            .iter()
            .find(|d| d["dct:identifier"] == "isoc_ci_in_h")
            .expect("isoc_ci_in_h");
        let current = manifest.datasets["isoc_ci_in_h"]
            .current_version()
            .expect("current");
        let parquet = &ours["dcat:distribution"][0];
        assert_eq!(
            parquet["dcat:byteSize"]["@value"],
            current.bytes.to_string()
        );
        assert_eq!(
            parquet["spdx:checksum"]["spdx:checksumValue"],
            current.file_sha256.as_str()
        );
        assert_eq!(
            parquet["dcat:downloadURL"]["@id"],
            format!(
                "https://desi.example.org/api/v1/datasets/isoc_ci_in_h/versions/{}.parquet",
                current.version
            )
        );
        assert_eq!(
            ours["dct:spatial"].as_array().map(Vec::len),
            Some(catalog.get("isoc_ci_in_h").unwrap().query.geo.len())
        );
        let unfetched = datasets
            .iter()
            .find(|d| d["dct:identifier"] != "isoc_ci_in_h")
            .expect("another");
        assert_eq!(unfetched["dcat:distribution"], json!([]));
    }

    #[test]
    fn one_dataset_lists_every_kept_version_newest_first() {
        let catalog = catalog();
        let (_dir, manifest) = two_versions();
        let entry = &manifest.datasets["isoc_ci_in_h"];
        let doc = dataset(
            catalog.get("isoc_ci_in_h").unwrap(),
            Some(entry),
            "http://x",
            "en",
        );
        assert!(doc["@context"].is_object());
        let versions = doc["adms:version"].as_array().expect("versions");
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0]["owl:versionInfo"], entry.current.as_str());
        assert_eq!(versions[0]["current"], true);
        assert_eq!(
            versions[1]["sha256"],
            entry.versions[1].file_sha256.as_str()
        );
        assert_eq!(doc["dcat:distribution"].as_array().map(Vec::len), Some(4));
    }
}
