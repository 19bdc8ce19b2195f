//! The catalogue as DCAT-AP 3.0 in JSON-LD: one `dcat:Dataset` per catalogue source, with titles
//! and descriptions per language, publisher, licence, spatial and temporal coverage, and
//! distributions (Parquet as stored, and the CSV encoded from it: URL, media type, byte size, sha256). Pure:
//! catalogue and manifest in, JSON out; no HTTP, no file system.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::api::download::Digest;
use crate::catalog::{Catalog, DesiDimension, Frequency, Provider, Source, Texts};
use crate::store::{DatasetEntry, Manifest, Version};

const PARQUET: &str = "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet";
const CSV: &str = "https://www.iana.org/assignments/media-types/text/csv";
/// The EU vocabularies (Publications Office authority tables) the documents name terms of.
const AUTHORITY: &str = "http://publications.europa.eu/resource/authority";
/// desi-city's own terms: what DCAT-AP has no property for (the fetch schedule, a version's
/// provenance).
const OWN_VOCABULARY: &str = "https://desi-city.eu/ns#";

/// The prefixes of every compact IRI the documents use: each key is either a keyword or
/// `prefix:name` of one of these, so no JSON-LD processor drops one.
fn context() -> Value {
    json!({
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "adms": "http://www.w3.org/ns/adms#",
        "spdx": "http://spdx.org/rdf/terms#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "vcard": "http://www.w3.org/2006/vcard/ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "desi": OWN_VOCABULARY,
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

/// A term of an EU authority table, typed as the concept it is (the tables are not available
/// offline, so the document says the class itself), with its English label.
fn concept(table: &str, code: &str, class: &str, label: &str) -> Value {
    let types = if class == "skos:Concept" {
        json!("skos:Concept")
    } else {
        json!(["skos:Concept", class])
    };
    json!({
        "@id": format!("{AUTHORITY}/{table}/{code}"),
        "@type": types,
        "skos:prefLabel": { "@value": label, "@language": "en" },
        "skos:inScheme": {
            "@id": format!("{AUTHORITY}/{table}"),
            "@type": "skos:ConceptScheme",
            "dct:title": { "@value": table, "@language": "en" },
        },
    })
}

/// The EU data theme of a DESI dimension (the Publications Office's data-theme table):
/// connectivity is technology, human capital education, internet use society, the integration
/// of digital technology the economy, digital public services government.
fn theme(dimension: DesiDimension) -> Value {
    let (code, label) = match dimension {
        DesiDimension::Connectivity => ("TECH", "Science and technology"),
        DesiDimension::HumanCapital => ("EDUC", "Education, culture and sport"),
        DesiDimension::InternetUse => ("SOCI", "Population and society"),
        DesiDimension::DigitalIntegration => ("ECON", "Economy and finance"),
        DesiDimension::DigitalPublicServices => ("GOVE", "Government and public sector"),
    };
    concept("data-theme", code, "skos:Concept", label)
}

/// How often the data itself is updated (the EU frequency table), not how often desi-city
/// fetches it ([`Source::frequency`]).
fn frequency(source: &Source) -> Value {
    let (code, label) = match source.frequency() {
        Frequency::Quarterly => ("QUARTERLY", "quarterly"),
        Frequency::Monthly => ("MONTHLY", "monthly"),
        Frequency::Daily => ("DAILY", "daily"),
        Frequency::Annual => ("ANNUAL", "annual"),
        Frequency::Unknown => ("UNKNOWN", "unknown"),
        Frequency::Irregular => ("IRREG", "irregular"),
    };
    concept("frequency", code, "dct:Frequency", label)
}

/// The publisher of a provider's data, as the EU Publications Office's authority URI.
fn publisher(provider: Provider) -> Value {
    let uri = match provider {
        // GISCO is Eurostat's geographic information service.
        Provider::Eurostat | Provider::Gisco => {
            "http://publications.europa.eu/resource/authority/corporate-body/ESTAT"
        }
        Provider::Desi => "http://publications.europa.eu/resource/authority/corporate-body/CNECT",
        Provider::Opendatasoft => {
            "http://publications.europa.eu/resource/authority/corporate-body/BRU"
        }
    };
    json!({ "@id": uri, "@type": "foaf:Agent", "foaf:name": provider.publisher_name() })
}

/// Whom to ask about a provider's data: its user support page.
fn contact_point(provider: Provider) -> Value {
    let (name, url) = match provider {
        Provider::Eurostat => (
            "Eurostat user support",
            "https://ec.europa.eu/eurostat/help/support",
        ),
        Provider::Desi => (
            "European Commission, Digital Decade DESI",
            "https://digital-decade-desi.digital-strategy.ec.europa.eu/",
        ),
        Provider::Opendatasoft => (
            "opendata.brussels.be",
            "https://opendata.brussels.be/page/contact/",
        ),
        Provider::Gisco => ("Eurostat GISCO", "https://ec.europa.eu/eurostat/web/gisco"),
    };
    json!({ "@type": ["vcard:Kind", "vcard:Organization"], "vcard:fn": name, "vcard:hasURL": { "@id": url } })
}

/// The provider's own page of the dataset, as the dataset desi-city's copy is derived from
/// (the canonical public page, not a configured mirror).
fn upstream(source: &Source) -> Value {
    let code = &source.code;
    let page = source.upstream_page();
    json!({
        "@id": page,
        "@type": "dcat:Dataset",
        "dct:identifier": code,
        "dct:title": { "@value": format!("{code} ({})", publisher(source.provider)["foaf:name"].as_str().unwrap_or_default()), "@language": "en" },
        "dct:description": { "@value": format!("The upstream dataset {code}, as its provider publishes it."), "@language": "en" },
    })
}

/// A document for people (landing page, homepage).
fn document(url: &str) -> Value {
    json!({ "@id": url, "@type": "foaf:Document" })
}

/// A licence, as the licence document it is.
fn licence(url: &str) -> Value {
    json!({ "@id": url, "@type": "dct:LicenseDocument" })
}

/// A resource named by URL (download and access URLs).
fn resource(url: String) -> Value {
    json!({ "@id": url, "@type": "rdfs:Resource" })
}

/// Whether a geo code is a NUTS code (a country, `BE`, or a region, `BE10`): aggregates such as
/// `EU27_2020` or `EA20` are not.
fn is_nuts(geo: &str) -> bool {
    let b = geo.as_bytes();
    (2..=5).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !(geo.starts_with("EU") || geo.starts_with("EA"))
}

/// A geo code as a `dct:Location`: NUTS codes as the EU's NUTS URIs; an aggregate (the EU, the
/// euro area) as a location named by its Eurostat code, without an IRI (no EU vocabulary has
/// one; it is not the continent).
fn spatial(geo: &str) -> Value {
    if is_nuts(geo) {
        json!({ "@id": format!("http://data.europa.eu/nuts/code/{geo}"), "@type": "dct:Location", "dct:identifier": geo })
    } else {
        let label = match geo {
            "EU27_2020" => "European Union - 27 countries (from 2020)",
            "EU28" => "European Union - 28 countries (2013-2020)",
            "EA20" => "Euro area - 20 countries (from 2023)",
            "EA19" => "Euro area - 19 countries (2015-2022)",
            other => other,
        };
        json!({ "@type": "dct:Location", "dct:identifier": geo, "skos:prefLabel": { "@value": label, "@language": "en" } })
    }
}

fn date_time(t: chrono::DateTime<chrono::Utc>) -> Value {
    json!({ "@value": t.to_rfc3339(), "@type": "xsd:dateTime" })
}

/// The size and checksum of each version's CSV download, by the sha256 of its Parquet file.
pub type CsvDigests = HashMap<String, Digest>;

/// An `spdx:Checksum` (SHA-256) of the download at `url`.
fn checksum(url: &str, sha256: &str) -> Value {
    json!({
        "@id": format!("{url}#sha256"),
        "@type": "spdx:Checksum",
        "spdx:algorithm": { "@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256", "@type": "spdx:ChecksumAlgorithm" },
        "spdx:checksumValue": { "@value": sha256, "@type": "xsd:hexBinary" },
    })
}

fn byte_size(bytes: u64) -> Value {
    json!({ "@value": bytes.to_string(), "@type": "xsd:nonNegativeInteger" })
}

/// The distributions of one kept version, each with its exact size and checksum: its Parquet
/// file as stored, and the CSV encoded from it (`csv`; without them when not known).
fn distributions(source: &Source, v: &Version, csv: &CsvDigests, base: &str) -> Vec<Value> {
    let root = format!("{base}/api/v1/datasets/{}", source.id);
    let parquet_url = format!("{root}/versions/{}.parquet", v.version);
    let csv_url = format!("{root}/versions/{}.csv", v.version);
    let mut csv_node = json!({
        "@id": csv_url,
        "@type": "dcat:Distribution",
        "dct:title": format!("{} {} (CSV)", source.id, v.version),
        "dcat:downloadURL": resource(csv_url.clone()),
        "dcat:accessURL": resource(format!("{root}.csv")),
        "dcat:mediaType": { "@id": CSV, "@type": "dct:MediaType" },
        "dct:license": licence(&source.licence_url),
        "dct:issued": date_time(v.published_at),
    });
    if let Some(digest) = csv.get(&v.file_sha256) {
        csv_node["dcat:byteSize"] = byte_size(digest.bytes);
        csv_node["spdx:checksum"] = checksum(&csv_url, &digest.sha256);
    }
    vec![
        json!({
            "@id": parquet_url,
            "@type": "dcat:Distribution",
            "dct:title": format!("{} {} (Parquet)", source.id, v.version),
            "dcat:downloadURL": resource(parquet_url.clone()),
            "dcat:accessURL": resource(format!("{root}.parquet")),
            "dcat:mediaType": { "@id": PARQUET, "@type": "dct:MediaType" },
            "dcat:byteSize": byte_size(v.bytes),
            "spdx:checksum": checksum(&parquet_url, &v.file_sha256),
            "dct:license": licence(&source.licence_url),
            "dct:issued": date_time(v.published_at),
            "adms:versionNotes": version_notes(v),
        }),
        csv_node,
    ]
}

fn version_notes(v: &Version) -> String {
    format!(
        "{} rows, fetched {} from {}; upstream updated {}",
        v.rows,
        v.meta.fetched_at.to_rfc3339(),
        v.meta.source_url,
        v.meta.upstream_updated.as_deref().unwrap_or("unknown")
    )
}

/// One kept version as the `dcat:Dataset` it is (`dcat:hasVersion` of the dataset): its number,
/// dates, provenance and its two distributions.
fn version_node(
    source: &Source,
    entry: &DatasetEntry,
    v: &Version,
    csv: &CsvDigests,
    base: &str,
) -> Value {
    let mut node = json!({
        "@id": format!("{base}/api/v1/datasets/{}/versions/{}", source.id, v.version),
        "@type": "dcat:Dataset",
        "dct:identifier": format!("{}/{}", source.id, v.version),
        "dct:title": { "@value": format!("{} {}", source.id, v.version), "@language": "en" },
        "dct:description": { "@value": version_notes(v), "@language": "en" },
        "dcat:version": v.version,
        "dct:issued": date_time(v.published_at),
        "adms:versionNotes": version_notes(v),
        "desi:current": v.version == entry.current,
        "desi:fetchedAt": date_time(v.meta.fetched_at),
        "desi:sourceURL": { "@id": v.meta.source_url },
        "desi:rows": { "@value": v.rows.to_string(), "@type": "xsd:nonNegativeInteger" },
        "dcat:distribution": distributions(source, v, csv, base),
    });
    if let Some(updated) = &v.meta.upstream_updated {
        node["desi:upstreamUpdated"] = json!(updated);
    }
    node
}

/// The period a source's query covers, when it is limited (no empty `dct:PeriodOfTime`).
fn temporal(source: &Source) -> Option<Value> {
    let mut period = serde_json::Map::new();
    if let Some(y) = source.query.since {
        period.insert(
            "dcat:startDate".into(),
            json!({ "@value": format!("{y}-01-01"), "@type": "xsd:date" }),
        );
    }
    if let Some(y) = source.query.until {
        period.insert(
            "dcat:endDate".into(),
            json!({ "@value": format!("{y}-12-31"), "@type": "xsd:date" }),
        );
    }
    if period.is_empty() {
        return None;
    }
    period.insert("@type".into(), json!("dct:PeriodOfTime"));
    Some(Value::Object(period))
}

/// One `dcat:Dataset` (without `@context`): the current version's distributions, and with
/// `all_versions` every kept version as a `dcat:hasVersion`.
fn dataset_node(
    source: &Source,
    entry: Option<&DatasetEntry>,
    csv: &CsvDigests,
    base: &str,
    lang: &str,
    all_versions: bool,
) -> Value {
    let current = entry.and_then(DatasetEntry::current_version);
    let mut keywords: Vec<Value> = source
        .dimensions
        .iter()
        .map(|d| json!({ "@value": d.as_str(), "@language": "en" }))
        .collect();
    keywords.push(json!({ "@value": "DESI", "@language": "en" }));
    keywords.push(json!({ "@value": source.code, "@language": "en" }));
    let mut node = json!({
        "@id": format!("{base}/api/v1/datasets/{}", source.id),
        "@type": "dcat:Dataset",
        "dct:identifier": source.id,
        "dct:title": literals(&source.title, lang),
        "dct:description": literals(&source.description, lang),
        "dct:publisher": publisher(source.provider),
        "dcat:contactPoint": contact_point(source.provider),
        "dct:license": licence(&source.licence_url),
        "dct:rights": source.attribution,
        "dct:source": upstream(source),
        "dct:spatial": source.query.geo.iter().map(|g| spatial(g)).collect::<Vec<_>>(),
        "dct:accrualPeriodicity": frequency(source),
        // An import-only source has no schedule (JSON-LD drops the null).
        "desi:fetchSchedule": (!source.import_only).then_some(&source.schedule),
        "dcat:theme": source.dimensions.iter().map(|d| theme(*d)).collect::<Vec<_>>(),
        "dcat:keyword": keywords,
        "dcat:distribution": current.map(|v| distributions(source, v, csv, base)).unwrap_or_default(),
    });
    if let Some(period) = temporal(source) {
        node["dct:temporal"] = period;
    }
    if let Some(home) = &source.homepage {
        node["dcat:landingPage"] = document(home);
    }
    if let Some(v) = current {
        node["dct:modified"] = date_time(v.published_at);
        node["dcat:version"] = json!(v.version);
    }
    if let Some(first) = entry.and_then(|e| e.versions.iter().map(|v| v.published_at).min()) {
        node["dct:issued"] = date_time(first);
    }
    if all_versions && let Some(e) = entry {
        node["dcat:hasVersion"] = Value::Array(
            e.versions
                .iter()
                .map(|v| version_node(source, e, v, csv, base))
                .collect(),
        );
    }
    node
}

/// The whole catalogue: every source of the catalogue (a source not fetched yet is listed
/// without distributions), with the catalogue's own languages, dates, licence and homepage.
pub fn catalog(
    catalog: &Catalog,
    manifest: &Manifest,
    csv: &CsvDigests,
    base_url: &str,
    lang: &str,
) -> Value {
    let datasets: Vec<Value> = catalog
        .sources
        .iter()
        .map(|s| dataset_node(s, manifest.datasets.get(&s.id), csv, base_url, lang, false))
        .collect();
    let published = || {
        manifest
            .datasets
            .values()
            .flat_map(|e| e.versions.iter().map(|v| v.published_at))
    };
    let mut doc = json!({
        "@context": context(),
        "@id": format!("{base_url}/api/v1/datasets"),
        "@type": "dcat:Catalog",
        "dct:title": [
            { "@value": "desi-city: the statistics behind the DESI dimensions of a city", "@language": "en" },
            { "@value": "desi-city : les statistiques derrière les dimensions DESI d'une ville", "@language": "fr" },
            { "@value": "desi-city: de statistieken achter de DESI-dimensies van een stad", "@language": "nl" },
        ],
        "dct:description": { "@value": "Versioned copies of the open statistics behind the five DESI dimensions, each with its provenance (source URL, fetch time, upstream update, checksum, licence).", "@language": "en" },
        "dct:publisher": { "@type": "foaf:Agent", "foaf:name": "desi-city (this deployment)", "foaf:homepage": document(base_url) },
        "foaf:homepage": document(base_url),
        "dct:language": [
            concept("language", "ENG", "dct:LinguisticSystem", "English"),
            concept("language", "FRA", "dct:LinguisticSystem", "French"),
            concept("language", "NLD", "dct:LinguisticSystem", "Dutch"),
            concept("language", "DEU", "dct:LinguisticSystem", "German"),
        ],
        "dct:license": licence("https://creativecommons.org/licenses/by/4.0/"),
        "dcat:themeTaxonomy": { "@id": format!("{AUTHORITY}/data-theme"), "@type": "skos:ConceptScheme", "dct:title": { "@value": "Data theme", "@language": "en" } },
        "dcat:dataset": datasets,
    });
    if let Some(first) = published().min() {
        doc["dct:issued"] = date_time(first);
    }
    if let Some(last) = published().max() {
        doc["dct:modified"] = date_time(last);
    }
    doc
}

/// One dataset with `@context` and every kept version.
pub fn dataset(
    source: &Source,
    entry: Option<&DatasetEntry>,
    csv: &CsvDigests,
    base_url: &str,
    lang: &str,
) -> Value {
    let mut node = dataset_node(source, entry, csv, base_url, lang, true);
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
        let current = manifest.datasets["isoc_ci_in_h"]
            .current_version()
            .expect("current");
        let csv_digest = Digest::of(b"geo,period,value\r\nBE,2024,91.5\r\n");
        let csv = CsvDigests::from([(current.file_sha256.clone(), csv_digest.clone())]);
        let doc = super::catalog(&catalog, &manifest, &csv, "https://desi.example.org", "fr");
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
        let parquet = &ours["dcat:distribution"][0];
        // The CSV encoded from the file: its exact size and checksum, as the digest says.
        let csv_node = &ours["dcat:distribution"][1];
        assert_eq!(csv_node["dcat:mediaType"]["@id"], CSV);
        assert_eq!(
            csv_node["dcat:byteSize"]["@value"],
            csv_digest.bytes.to_string()
        );
        assert_eq!(
            csv_node["spdx:checksum"]["spdx:checksumValue"]["@value"],
            csv_digest.sha256.as_str()
        );
        assert_eq!(
            parquet["dcat:byteSize"]["@value"],
            current.bytes.to_string()
        );
        assert_eq!(
            parquet["spdx:checksum"]["spdx:checksumValue"]["@value"],
            current.file_sha256.as_str()
        );
        assert_eq!(
            parquet["spdx:checksum"]["spdx:checksumValue"]["@type"],
            "xsd:hexBinary"
        );
        // Themes and frequency are IRIs of the EU vocabularies; the cron is desi-city's own.
        assert_eq!(
            ours["dcat:theme"][0]["@id"],
            "http://publications.europa.eu/resource/authority/data-theme/TECH"
        );
        assert_eq!(
            ours["dct:accrualPeriodicity"]["@id"],
            "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
        );
        assert_eq!(
            ours["desi:fetchSchedule"],
            catalog.get("isoc_ci_in_h").unwrap().schedule.as_str()
        );
        assert!(
            ours["dct:source"]["@id"]
                .as_str()
                .unwrap()
                .starts_with("https://ec.europa.eu/eurostat/")
        );
        // EU27_2020 is the Union, not the continent: a location without a borrowed IRI.
        let eu = ours["dct:spatial"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["dct:identifier"] == "EU27_2020")
            .expect("EU27_2020");
        assert!(eu.get("@id").is_none());
        assert_eq!(eu["@type"], "dct:Location");
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
            &CsvDigests::new(),
            "http://x",
            "en",
        );
        assert!(doc["@context"].is_object());
        let versions = doc["dcat:hasVersion"].as_array().expect("versions");
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0]["dcat:version"], entry.current.as_str());
        assert_eq!(versions[0]["desi:current"], true);
        assert_eq!(versions[1]["desi:current"], false);
        assert_eq!(
            versions[1]["dcat:distribution"][0]["spdx:checksum"]["spdx:checksumValue"]["@value"],
            entry.versions[1].file_sha256.as_str()
        );
        assert_eq!(doc["dcat:version"], entry.current.as_str());
        // A CSV not encoded yet is listed without a size or checksum it does not know.
        let csv = &versions[0]["dcat:distribution"][1];
        assert_eq!(csv["dcat:mediaType"]["@id"], CSV);
        assert!(csv.get("dcat:byteSize").is_none() && csv.get("spdx:checksum").is_none());
        // The dataset's own distributions are the current version's.
        assert_eq!(doc["dcat:distribution"].as_array().map(Vec::len), Some(2));
    }
}
