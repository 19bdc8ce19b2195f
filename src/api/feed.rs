//! The changes feed (Atom 1.0, `atom_syndication`): one entry per kept version of every dataset,
//! newest first, saying what changed against the version before it (rows, upstream update,
//! dimensions). Deterministic for a given manifest (no clock), so its ETag is stable. Pure.

use atom_syndication::{Feed, Link, Person, Text};
use chrono::{DateTime, FixedOffset, Utc};

use crate::catalog::Catalog;
use crate::store::{Manifest, Version};

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

/// What changed from `before` to `v`, in one sentence.
fn what_changed(v: &Version, before: Option<&Version>) -> String {
    let Some(b) = before else {
        return format!(
            "First version kept: {} rows, upstream updated {}.",
            v.rows,
            v.meta.upstream_updated.as_deref().unwrap_or("(unknown)")
        );
    };
    let mut parts = vec![format!(
        "{} rows (was {}, {:+})",
        v.rows,
        b.rows,
        v.rows as i64 - b.rows as i64
    )];
    if v.meta.upstream_updated != b.meta.upstream_updated {
        parts.push(format!(
            "upstream update {} → {}",
            b.meta.upstream_updated.as_deref().unwrap_or("(unknown)"),
            v.meta.upstream_updated.as_deref().unwrap_or("(unknown)")
        ));
    }
    if v.meta.dimensions != b.meta.dimensions {
        parts.push(format!(
            "dimensions [{}] → [{}]",
            b.meta.dimensions.join(", "),
            v.meta.dimensions.join(", ")
        ));
    }
    format!("Revised: {}.", parts.join("; "))
}

/// The feed of the newest `limit` versions across all datasets.
pub fn changes(catalog: &Catalog, manifest: &Manifest, base_url: &str, limit: usize) -> String {
    let mut all: Vec<(&Version, Option<&Version>)> = Vec::new();
    for entry in manifest.datasets.values() {
        // Newest first: the version before one is the next in the list.
        for (i, v) in entry.versions.iter().enumerate() {
            all.push((v, entry.versions.get(i + 1)));
        }
    }
    all.sort_by(|a, b| {
        b.0.published_at
            .cmp(&a.0.published_at)
            .then_with(|| a.0.dataset.cmp(&b.0.dataset))
    });
    all.truncate(limit);
    let root = format!("{base_url}/api/v1");
    let entries = all
        .iter()
        .map(|(v, before)| {
            let source = catalog.get(&v.dataset).ok();
            let kind = if before.is_some() {
                "revised data"
            } else {
                "first version"
            };
            atom_syndication::Entry {
                title: Text::plain(format!("{}: {kind}, version {}", v.dataset, v.version)),
                id: format!("tag:desi-city,2026:{}/{}", v.dataset, v.version),
                updated: fixed(v.published_at),
                published: Some(fixed(v.published_at)),
                links: vec![
                    Link {
                        href: format!("{root}/datasets/{}", v.dataset),
                        rel: "alternate".into(),
                        mime_type: Some("application/ld+json".into()),
                        ..Default::default()
                    },
                    Link {
                        href: format!(
                            "{root}/datasets/{}/versions/{}.parquet",
                            v.dataset, v.version
                        ),
                        rel: "enclosure".into(),
                        mime_type: Some("application/vnd.apache.parquet".into()),
                        length: Some(v.bytes.to_string()),
                        ..Default::default()
                    },
                ],
                summary: Some(Text::plain(format!(
                    "{} {}",
                    source.map(|s| s.title.en.as_str()).unwrap_or(&v.dataset),
                    what_changed(v, *before)
                ))),
                rights: Some(Text::plain(format!(
                    "{} — {}",
                    v.meta.licence, v.meta.attribution
                ))),
                ..Default::default()
            }
        })
        .collect();
    let updated = all
        .first()
        .map(|(v, _)| v.published_at)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let feed = Feed {
        title: Text::plain("desi-city: new and revised data"),
        id: format!("{root}/changes.atom"),
        updated: fixed(updated),
        authors: vec![Person {
            name: "desi-city".into(),
            ..Default::default()
        }],
        links: vec![Link {
            href: format!("{root}/changes.atom"),
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Default::default()
        }],
        entries,
        ..Default::default()
    };
    feed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testdata::{catalog, two_versions};

    #[test]
    fn the_feed_parses_back_newest_first_with_what_changed_and_the_enclosure() {
        let (_dir, manifest) = two_versions();
        let xml = changes(&catalog(), &manifest, "http://x", 10);
        let feed: Feed = xml.parse().expect("valid Atom");
        let versions = &manifest.datasets["isoc_ci_in_h"].versions;
        assert_eq!(feed.entries.len(), 2);
        assert_eq!(feed.updated, fixed(versions[0].published_at));
        let newest = &feed.entries[0];
        assert!(
            newest.title.value.contains("revised data"),
            "{}",
            newest.title.value
        );
        assert!(newest.id.ends_with(&versions[0].version));
        let summary = &newest.summary.as_ref().expect("summary").value;
        assert!(
            summary.contains(&format!(
                "{} rows (was {}",
                versions[0].rows, versions[1].rows
            )),
            "{summary}"
        );
        assert!(
            summary.contains("dimensions"),
            "the JSON-stat adds freq: {summary}"
        );
        let enclosure = newest
            .links
            .iter()
            .find(|l| l.rel == "enclosure")
            .expect("enclosure");
        assert_eq!(enclosure.length, Some(versions[0].bytes.to_string()));
        assert!(feed.entries[1].title.value.contains("first version"));
        assert_eq!(
            changes(&catalog(), &manifest, "http://x", 1)
                .parse::<Feed>()
                .unwrap()
                .entries
                .len(),
            1
        );
        assert_eq!(
            xml,
            changes(&catalog(), &manifest, "http://x", 10),
            "deterministic"
        );
    }
}
