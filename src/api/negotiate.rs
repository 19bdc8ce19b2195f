//! Content negotiation and query parsing: which format (`?format=` first, else `Accept`), which
//! language (`?lang=` first, else `Accept-Language`), and the query-string extractor whose errors are
//! problem+json 400s naming the parameter. Decides only; encoding is `encode`'s, data is the
//! handlers'.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A representation the API can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Csv,
    JsonStat,
    SdmxCsv,
}

/// The media type of SDMX-CSV 2.0 data messages.
pub const SDMX_CSV_MEDIA_TYPE: &str = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8";
/// JSON-stat 2.0 as a profile of JSON (what `Accept` asks for and what is answered).
pub const JSONSTAT_MEDIA_TYPE: &str = "application/json; profile=jsonstat";

impl Format {
    /// The `?format=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::JsonStat => "jsonstat",
            Format::SdmxCsv => "sdmx-csv",
        }
    }

    /// The `Content-Type` answered.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::JsonStat => JSONSTAT_MEDIA_TYPE,
            Format::SdmxCsv => SDMX_CSV_MEDIA_TYPE,
        }
    }

    /// The file extension for `Content-Disposition`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::JsonStat => "jsonstat.json",
            Format::SdmxCsv => "sdmx.csv",
        }
    }

    /// The `?format=` value, exactly as the OpenAPI document's enum lists it.
    fn from_param(value: &str) -> Option<Format> {
        [Format::Json, Format::Csv, Format::JsonStat, Format::SdmxCsv]
            .into_iter()
            .find(|f| f.as_str() == value)
    }
}

/// `?format=` of the data endpoints, as the OpenAPI document declares it.
#[derive(utoipa::ToSchema)]
pub enum DataFormatParam {
    #[schema(rename = "json")]
    Json,
    #[schema(rename = "csv")]
    Csv,
    #[schema(rename = "jsonstat")]
    JsonStat,
    #[schema(rename = "sdmx-csv")]
    SdmxCsv,
}

/// `?format=` of `/desi`.
#[derive(utoipa::ToSchema)]
pub enum DesiFormatParam {
    #[schema(rename = "json")]
    Json,
    #[schema(rename = "csv")]
    Csv,
}

/// `?format=` of `/cite`.
#[derive(utoipa::ToSchema)]
pub enum CiteFormatParam {
    #[schema(rename = "json")]
    Json,
    #[schema(rename = "text")]
    Text,
    #[schema(rename = "bibtex")]
    Bibtex,
}

/// `?methodology=` of `/desi`.
#[derive(utoipa::ToSchema)]
pub enum MethodologyParam {
    #[schema(rename = "2022")]
    M2022,
    #[schema(rename = "2020")]
    M2020,
}

/// `?lang=`, as the OpenAPI document declares it ([`LANGUAGES`]).
#[derive(utoipa::ToSchema)]
pub enum LangParam {
    #[schema(rename = "en")]
    En,
    #[schema(rename = "fr")]
    Fr,
    #[schema(rename = "nl")]
    Nl,
    #[schema(rename = "de")]
    De,
}

/// `?options=` of `/kpis`, as the OpenAPI document declares it (NGSI-LD's names).
#[derive(utoipa::ToSchema)]
pub enum NgsiOptionsParam {
    #[schema(rename = "keyValues")]
    KeyValues,
    #[schema(rename = "normalized")]
    Normalized,
}

/// `?theme=`, as the OpenAPI document declares it.
#[derive(utoipa::ToSchema)]
pub enum ThemeParam {
    #[schema(rename = "light")]
    Light,
    #[schema(rename = "dark")]
    Dark,
}

/// `/oembed`'s `?format=`, as the OpenAPI document declares it (`xml` is declared, and answers 501).
#[derive(utoipa::ToSchema)]
pub enum OembedFormatParam {
    #[schema(rename = "json")]
    Json,
    #[schema(rename = "xml")]
    Xml,
}

/// The formats an endpoint offers, the first being its default.
pub const DATA_FORMATS: &[Format] = &[Format::Json, Format::Csv, Format::JsonStat, Format::SdmxCsv];
/// Metadata endpoints: JSON only.
pub const JSON_ONLY: &[Format] = &[Format::Json];

fn list(formats: &[Format]) -> String {
    formats
        .iter()
        .map(|f| format!("{} ({})", f.as_str(), f.media_type()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a JSON-LD answer is sent (NGSI-LD, ETSI GS CIM 009 clause 6.3.6): as
/// `application/ld+json` with the `@context` in the body, or as `application/json` without it,
/// the context then named by a `Link` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonLd {
    LdJson,
    Json,
}

impl JsonLd {
    pub fn media_type(self) -> &'static str {
        match self {
            JsonLd::LdJson => "application/ld+json",
            JsonLd::Json => "application/json",
        }
    }
}

/// Picks [`JsonLd`] from `Accept`: `application/ld+json` without one, for `*/*` and
/// `application/*`; the highest `q` wins, a named type before a wildcard, and on a tie
/// `application/json` before `application/ld+json` (as NGSI-LD brokers answer); 406 when `Accept`
/// names neither.
pub fn json_ld(headers: &HeaderMap) -> Result<JsonLd, ApiError> {
    let Some(accept) = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(JsonLd::LdJson);
    };
    // (q, specificity, preference, choice): the greatest wins.
    let mut best: Option<(f32, u8, u8, JsonLd)> = None;
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut q = 1.0f32;
        for p in parts {
            if let Some(("q", v)) = p.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
                q = v.parse().unwrap_or(0.0);
            }
        }
        let candidate = match media.as_str() {
            "application/json" => (1, 1, JsonLd::Json),
            "application/ld+json" => (1, 0, JsonLd::LdJson),
            "*/*" | "application/*" => (0, 0, JsonLd::LdJson),
            _ => continue,
        };
        if q <= 0.0 {
            continue;
        }
        let this = (q, candidate.0, candidate.1, candidate.2);
        let better = best.is_none_or(|b| (this.0, this.1, this.2) > (b.0, b.1, b.2));
        if better {
            best = Some(this);
        }
    }
    best.map(|b| b.3).ok_or_else(|| {
        ApiError::NotAcceptable(format!(
            "Accept: {accept:?} names nothing this endpoint serves. It serves application/ld+json (the @context in the body) and application/json (the @context in a Link header)."
        ))
    })
}

/// Picks the format: `?format=` when given (400 if unknown or not offered here), else the best
/// `Accept` entry the endpoint offers (406 if none), else the endpoint's default.
pub fn format(
    param: Option<&str>,
    headers: &HeaderMap,
    offered: &[Format],
) -> Result<Format, ApiError> {
    if let Some(value) = param {
        return match Format::from_param(value) {
            Some(f) if offered.contains(&f) => Ok(f),
            _ => Err(ApiError::BadRequest(format!(
                "format: {value:?} is not offered here. Use one of: {}.",
                offered
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        };
    }
    let Some(accept) = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(offered[0]);
    };
    let mut best: Option<(f32, usize, Format)> = None;
    for (position, entry) in accept.split(',').enumerate() {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut profile = None;
        let mut version = None;
        for p in parts {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let v = v.trim().trim_matches('"').to_ascii_lowercase();
            match k.trim().to_ascii_lowercase().as_str() {
                "q" => q = v.parse().unwrap_or(0.0),
                "profile" => profile = Some(v),
                "version" => version = Some(v),
                _ => {}
            }
        }
        if q <= 0.0 {
            continue;
        }
        let candidates: Vec<Format> = match media.as_str() {
            "application/json" if profile.as_deref() == Some("jsonstat") => vec![Format::JsonStat],
            "application/json" | "application/ld+json" => vec![Format::Json],
            "text/csv" => vec![Format::Csv],
            "application/vnd.sdmx.data+csv"
                if version.as_deref().is_none_or(|v| v.starts_with("2.")) =>
            {
                vec![Format::SdmxCsv]
            }
            "*/*" | "application/*" => vec![offered[0]],
            "text/*" if offered.contains(&Format::Csv) => vec![Format::Csv],
            _ => vec![],
        };
        for f in candidates {
            if !offered.contains(&f) {
                continue;
            }
            // Highest q wins; on a tie, the entry listed first.
            let better = match best {
                None => true,
                Some((bq, bp, _)) => q > bq || (q == bq && position < bp),
            };
            if better {
                best = Some((q, position, f));
            }
        }
    }
    best.map(|(_, _, f)| f).ok_or_else(|| {
        ApiError::NotAcceptable(format!(
            "Accept: {accept:?} names nothing this endpoint serves. It serves: {}. Or use ?format=.",
            list(offered)
        ))
    })
}

/// The languages texts come in.
pub const LANGUAGES: [&str; 4] = ["en", "fr", "nl", "de"];

/// Picks the language: `?lang=` when given (400 if not exactly one of [`LANGUAGES`], as the
/// OpenAPI document's enum says), else the best `Accept-Language` entry among them, else English.
pub fn lang(param: Option<&str>, headers: &HeaderMap) -> Result<&'static str, ApiError> {
    if let Some(value) = param {
        return LANGUAGES
            .iter()
            .find(|l| **l == value)
            .copied()
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "lang: {value:?} is not available. Use one of: {}.",
                    LANGUAGES.join(", ")
                ))
            });
    }
    let Some(accept) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok("en");
    };
    let mut best: Option<(f32, &'static str)> = None;
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let tag = parts.next().unwrap_or_default();
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .map(|q| q.parse().unwrap_or(0.0))
            .unwrap_or(1.0f32);
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if let Some(l) = LANGUAGES.iter().find(|l| l.eq_ignore_ascii_case(primary))
            && q > 0.0
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, l));
        }
    }
    Ok(best.map(|(_, l)| l).unwrap_or("en"))
}

/// The query string as `T` (`#[serde(deny_unknown_fields)]` structs refuse unknown parameters);
/// any problem is a 400 that names the parameter and what it accepts.
pub struct Q<T>(pub T);

impl<T, S> FromRequestParts<S> for Q<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(v)| Q(v))
            .map_err(|e| {
                use axum::extract::rejection::QueryRejection;
                let detail = match &e {
                    QueryRejection::FailedToDeserializeQueryString(inner) => {
                        inner.body_text().replace("Failed to deserialize query string: ", "")
                    }
                    other => other.body_text(),
                };
                ApiError::BadRequest(format!(
                    "The query string is not valid: {detail}. See GET /api/v1/openapi.json for this route's parameters."
                ))
            })
    }
}

/// A comma-separated list parameter (`geo=BE10,BE`): trimmed, empty items refused, duplicates
/// dropped keeping the first; at most `max` items.
pub fn list_param(name: &str, value: &str, max: usize) -> Result<Vec<String>, ApiError> {
    // Split, checked and deduplicated as slices of `value`; only the codes kept become strings.
    // A code shorter than 16 bytes is also compared as one number (its bytes and length), where
    // comparing it as a string called `memcmp` for every code kept before it.
    let mut kept: Vec<&str> = Vec::with_capacity(max.min(value.len() / 2 + 1));
    let mut short: Vec<u128> = Vec::with_capacity(kept.capacity());
    let packed = |item: &str| {
        let bytes = item.as_bytes();
        (bytes.len() < 16).then(|| {
            let mut key = [0u8; 16];
            key[..bytes.len()].copy_from_slice(bytes);
            key[15] = bytes.len() as u8;
            u128::from_le_bytes(key)
        })
    };
    for item in value.split(',').map(str::trim_ascii) {
        if item.is_empty() {
            return Err(ApiError::BadRequest(format!(
                "{name}: an empty item in {value:?}. Give codes separated by commas, e.g. {name}=BE10,BE,EU27_2020."
            )));
        }
        if item.len() > 32
            || !item
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ApiError::BadRequest(format!(
                "{name}: {item:?} is not a code (letters, digits, _ and - only, at most 32)."
            )));
        }
        let seen = match packed(item) {
            Some(key) if short.contains(&key) => true,
            Some(key) => {
                short.push(key);
                false
            }
            None => kept.contains(&item),
        };
        if !seen {
            kept.push(item);
        }
    }
    if kept.len() > max {
        return Err(ApiError::TooLarge(format!(
            "{name}: {} codes asked, at most {max} per request. Split the request.",
            kept.len()
        )));
    }
    Ok(kept.into_iter().map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn json_ld_is_the_default_and_json_is_asked_for_by_name() {
        assert_eq!(json_ld(&HeaderMap::new()).unwrap(), JsonLd::LdJson);
        assert_eq!(json_ld(&accept("*/*")).unwrap(), JsonLd::LdJson);
        assert_eq!(
            json_ld(&accept("application/ld+json")).unwrap(),
            JsonLd::LdJson
        );
        assert_eq!(json_ld(&accept("application/json")).unwrap(), JsonLd::Json);
        assert_eq!(
            json_ld(&accept("application/ld+json, application/json")).unwrap(),
            JsonLd::Json
        );
        assert_eq!(
            json_ld(&accept("application/json;q=0.5, application/ld+json")).unwrap(),
            JsonLd::LdJson
        );
        assert_eq!(
            json_ld(&accept("application/json, */*;q=0.1")).unwrap(),
            JsonLd::Json
        );
        assert!(matches!(
            json_ld(&accept("text/csv")),
            Err(ApiError::NotAcceptable(_))
        ));
        assert!(matches!(
            json_ld(&accept("application/json;q=0")),
            Err(ApiError::NotAcceptable(_))
        ));
    }

    #[test]
    fn the_format_parameter_wins_over_accept_and_an_unknown_one_lists_the_choices() {
        let h = accept("text/csv");
        assert_eq!(
            format(Some("jsonstat"), &h, DATA_FORMATS).unwrap(),
            Format::JsonStat
        );
        let err = format(Some("xml"), &h, DATA_FORMATS).unwrap_err();
        assert!(
            matches!(&err, ApiError::BadRequest(m) if m.contains("sdmx-csv")),
            "{err}"
        );
        assert!(format(Some("csv"), &h, JSON_ONLY).is_err());
    }

    #[test]
    fn accept_picks_by_quality_and_profile_and_refuses_what_is_not_served() {
        let none = HeaderMap::new();
        assert_eq!(format(None, &none, DATA_FORMATS).unwrap(), Format::Json);
        assert_eq!(
            format(None, &accept("text/csv"), DATA_FORMATS).unwrap(),
            Format::Csv
        );
        assert_eq!(
            format(
                None,
                &accept("application/json; profile=jsonstat"),
                DATA_FORMATS
            )
            .unwrap(),
            Format::JsonStat
        );
        assert_eq!(
            format(
                None,
                &accept("application/vnd.sdmx.data+csv;version=2.0.0"),
                DATA_FORMATS
            )
            .unwrap(),
            Format::SdmxCsv
        );
        assert_eq!(
            format(
                None,
                &accept("application/json;q=0.5, text/csv"),
                DATA_FORMATS
            )
            .unwrap(),
            Format::Csv
        );
        assert_eq!(
            format(None, &accept("text/html, */*;q=0.8"), DATA_FORMATS).unwrap(),
            Format::Json
        );
        let err = format(None, &accept("application/xml"), DATA_FORMATS).unwrap_err();
        assert_eq!(err.status(), axum::http::StatusCode::NOT_ACCEPTABLE);
        assert!(format(None, &accept("text/csv"), JSON_ONLY).is_err());
    }

    #[test]
    fn the_language_comes_from_the_parameter_then_accept_language_then_english() {
        let mut h = HeaderMap::new();
        assert_eq!(lang(None, &h).unwrap(), "en");
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("es;q=1, nl-BE;q=0.9, fr;q=0.8"),
        );
        assert_eq!(lang(None, &h).unwrap(), "nl");
        assert_eq!(lang(Some("fr"), &h).unwrap(), "fr");
        // The parameter is one of the document's enum, exactly.
        assert!(lang(Some("FR"), &h).is_err());
        assert!(lang(Some("fr-BE"), &h).is_err());
        assert!(lang(Some("es"), &h).is_err());
    }

    #[test]
    fn a_list_parameter_is_split_checked_and_bounded() {
        assert_eq!(
            list_param("geo", "BE10, BE,BE10", 5).unwrap(),
            vec!["BE10".to_owned(), "BE".to_owned()]
        );
        // Codes of 16 bytes and more, and codes that differ only in length, deduplicated alike.
        let long = "EU27_2020_CAPITALS";
        assert_eq!(
            list_param("geo", &format!("{long},B,BE,{long},B,BE1"), 9).unwrap(),
            vec![long.to_owned(), "B".into(), "BE".into(), "BE1".into()]
        );
        assert!(list_param("geo", "BE,,FR", 5).is_err());
        assert!(list_param("geo", "../etc", 5).is_err());
        let err = list_param("geo", "A,B,C", 2).unwrap_err();
        assert_eq!(err.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    }
}
