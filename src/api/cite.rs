//! Citations of one figure: plain text in English, French and Dutch, and BibTeX, naming
//! Eurostat's dataset code, desi-city's processing and the version. Deterministic (no clock: the
//! version's dates are used). Pure.

use chrono::{DateTime, Datelike, Utc};

use crate::catalog::Texts;
use crate::indicators::definitions::Indicator;
use crate::store::Version;

/// What a citation names.
pub struct CiteInput {
    pub indicator_id: String,
    pub indicator_title: Texts,
    pub geo: String,
    pub eurostat_code: String,
    pub dataset_id: String,
    pub version: String,
    pub published_at: DateTime<Utc>,
    pub upstream_updated: Option<String>,
    pub licence: String,
    /// The figure's URL (its series).
    pub url: String,
}

impl CiteInput {
    /// The citation of `indicator` for `geo`, from `version` of its source, served at `base`.
    pub fn of(indicator: &Indicator, geo: &str, version: &Version, base: &str) -> CiteInput {
        CiteInput {
            indicator_id: indicator.id.clone(),
            indicator_title: indicator.title.clone(),
            geo: geo.to_owned(),
            eurostat_code: indicator.eurostat_code.clone(),
            dataset_id: indicator.source.clone(),
            version: version.version.clone(),
            published_at: version.published_at,
            upstream_updated: version.meta.upstream_updated.clone(),
            licence: version.meta.licence.clone(),
            url: format!("{base}/api/v1/indicators/{}/series?geo={geo}", indicator.id),
        }
    }

    /// The year of the upstream update when it parses, else of the version's publication.
    fn year(&self) -> i32 {
        self.upstream_updated
            .as_deref()
            .and_then(|u| u.get(..4))
            .and_then(|y| y.parse().ok())
            .unwrap_or(self.published_at.year())
    }

    fn licence(&self) -> String {
        match self.licence.as_str() {
            "CC-BY-4.0" => "CC BY 4.0".to_owned(),
            other => other.to_owned(),
        }
    }
}

/// The citation as plain text in `lang` (`fr`, `nl`; English otherwise).
pub fn plain(input: &CiteInput, lang: &str) -> String {
    let day = input.published_at.format("%Y-%m-%d");
    let title = input.indicator_title.get(lang);
    let (processed, version, published, licence) = match lang {
        "fr" => ("Traitement desi-city", "version", "publiée le", "Licence"),
        "nl" => (
            "Verwerkt door desi-city",
            "versie",
            "gepubliceerd op",
            "Licentie",
        ),
        _ => ("Processed by desi-city", "version", "published", "Licence"),
    };
    format!(
        "Eurostat ({year}). {title} [{code}], {geo}. {processed} ({version} {v}, {published} {day}). {licence} {lic}. {url}",
        year = input.year(),
        code = input.eurostat_code,
        geo = input.geo,
        v = input.version,
        lic = input.licence(),
        url = input.url,
    )
}

/// Escapes BibTeX's special characters in a field's text.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '%' | '&' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            c => out.push(c),
        }
    }
    out
}

/// The citation as a BibTeX `@misc` entry.
pub fn bibtex(input: &CiteInput) -> String {
    let key: String = format!(
        "desicity_{}_{}_{}",
        input.indicator_id,
        input.geo,
        input.published_at.format("%Y%m%d")
    )
    .chars()
    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
    .collect();
    format!(
        "@misc{{{key},\n  author = {{{{Eurostat}}}},\n  title = {{{title} [{code}], {geo}}},\n  year = {{{year}}},\n  howpublished = {{\\url{{{url}}}}},\n  note = {{Processed by desi-city, dataset {dataset}, version {version} (published {day}). Licence {licence}.}}\n}}\n",
        title = escape(&input.indicator_title.en),
        code = escape(&input.eurostat_code),
        geo = escape(&input.geo),
        year = input.year(),
        url = input.url,
        dataset = escape(&input.dataset_id),
        version = escape(&input.version),
        day = input.published_at.format("%Y-%m-%d"),
        licence = escape(&input.licence()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CiteInput {
        CiteInput {
            indicator_id: "households_internet_access".into(),
            indicator_title: Texts {
                en: "Households with internet access & 100% fibre".into(),
                fr: Some("Ménages ayant accès à internet".into()),
                nl: Some("Huishoudens met internettoegang".into()),
                de: None,
            },
            geo: "BE10".into(),
            eurostat_code: "isoc_ci_in_h".into(),
            dataset_id: "isoc_ci_in_h".into(),
            version: "20251110T061500Z-1a2b3c4d".into(),
            published_at: DateTime::parse_from_rfc3339("2025-11-10T06:15:00Z")
                .unwrap()
                .to_utc(),
            upstream_updated: Some("2026-06-25T23:00:00+0200".into()),
            licence: "CC-BY-4.0".into(),
            url: "https://desi.example.org/api/v1/indicators/households_internet_access/series?geo=BE10".into(),
        }
    }

    #[test]
    fn each_language_names_the_code_the_geo_the_version_and_the_licence() {
        let i = input();
        for (lang, words) in [
            ("en", ["Processed by desi-city", "published 2025-11-10"]),
            ("fr", ["Traitement desi-city", "publiée le 2025-11-10"]),
            (
                "nl",
                ["Verwerkt door desi-city", "gepubliceerd op 2025-11-10"],
            ),
        ] {
            let text = plain(&i, lang);
            for w in words.iter().chain(&[
                "Eurostat (2026)",
                "[isoc_ci_in_h]",
                "BE10",
                "20251110T061500Z-1a2b3c4d",
                "CC BY 4.0",
                &i.url,
            ]) {
                assert!(text.contains(w), "{lang}: {text:?} lacks {w:?}");
            }
        }
        assert!(plain(&i, "fr").contains("Ménages ayant accès à internet"));
        assert_eq!(plain(&i, "de"), plain(&i, "en"));
    }

    #[test]
    fn bibtex_has_a_safe_key_and_escapes_special_characters() {
        let b = bibtex(&input());
        assert!(
            b.starts_with("@misc{desicity_households_internet_access_BE10_20251110,\n"),
            "{b}"
        );
        assert!(b.contains("\\& 100\\% fibre"), "{b}");
        assert!(b.contains("isoc\\_ci\\_in\\_h"), "{b}");
        assert!(b.contains("year = {2026}"), "{b}");
    }
}
