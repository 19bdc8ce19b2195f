//! Eurostat's dissemination API: the URL of a query in each format, and how to split a query that
//! Eurostat refuses as too big (HTTP 413 `EXTRACTION_TOO_BIG`) into parts that it accepts.
//!
//! Pure functions: no I/O here. Base URLs come from configuration (a mirror or proxy works the same).

use reqwest::Url;

use crate::catalog::{Format, Source};

/// One request's share of a source's query: a subset of its geos and of its period range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub geos: Vec<String>,
    pub since: Option<i32>,
    pub until: Option<i32>,
}

impl Part {
    /// The whole query of a source.
    pub fn whole(source: &Source) -> Part {
        Part {
            geos: source.query.geo.clone(),
            since: source.query.since,
            until: source.query.until,
        }
    }

    /// Halves this part for a retry after `EXTRACTION_TOO_BIG`: by geo when the format filters by geo
    /// upstream, else by period. `None` when it can't be split further.
    pub fn split(&self, format: Format, current_year: i32) -> Option<(Part, Part)> {
        if format == Format::JsonStat && self.geos.len() > 1 {
            let (a, b) = self.geos.split_at(self.geos.len() / 2);
            return Some((
                Part {
                    geos: a.to_vec(),
                    ..self.clone()
                },
                Part {
                    geos: b.to_vec(),
                    ..self.clone()
                },
            ));
        }
        let since = self.since?;
        let until = self.until.unwrap_or(current_year);
        if until <= since {
            return None;
        }
        let mid = since + (until - since) / 2;
        Some((
            Part {
                since: Some(since),
                until: Some(mid),
                ..self.clone()
            },
            Part {
                since: Some(mid + 1),
                until: Some(until),
                ..self.clone()
            },
        ))
    }
}

/// The URL that asks Eurostat for `part` of `source` in the source's format.
///
/// - JSON-stat: the Statistics API, `…/api/dissemination/statistics/1.0/data/{code}?format=JSON&lang=EN`
///   with one parameter per dimension filter and geo, and `sinceTimePeriod`/`untilTimePeriod`.
/// - TSV and SDMX-CSV: the SDMX 2.1 API, `…/api/dissemination/sdmx/2.1/data/{code}?format=TSV|SDMX-CSV`
///   with `startPeriod`/`endPeriod` (dimension filters are applied locally after parsing, since an SDMX
///   key needs the structure's dimension order).
pub fn url(base: &str, source: &Source, part: &Part) -> Result<Url, url::ParseError> {
    let base = base.trim_end_matches('/');
    let code = &source.code;
    match source.format {
        Format::JsonStat => {
            let mut url = Url::parse(&format!(
                "{base}/api/dissemination/statistics/1.0/data/{code}"
            ))?;
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("format", "JSON").append_pair("lang", "EN");
                for (dim, codes) in &source.query.filters {
                    for c in codes {
                        q.append_pair(dim, c);
                    }
                }
                for g in &part.geos {
                    q.append_pair("geo", g);
                }
                if let Some(y) = part.since {
                    q.append_pair("sinceTimePeriod", &y.to_string());
                }
                if let Some(y) = part.until {
                    q.append_pair("untilTimePeriod", &y.to_string());
                }
            }
            Ok(url)
        }
        Format::Tsv | Format::SdmxCsv => {
            let format = if source.format == Format::Tsv {
                "TSV"
            } else {
                "SDMX-CSV"
            };
            let mut url = Url::parse(&format!("{base}/api/dissemination/sdmx/2.1/data/{code}"))?;
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("format", format)
                    .append_pair("compressed", "false");
                if let Some(y) = part.since {
                    q.append_pair("startPeriod", &y.to_string());
                }
                if let Some(y) = part.until {
                    q.append_pair("endPeriod", &y.to_string());
                }
            }
            Ok(url)
        }
        // Not Eurostat's API: the catalogue gives the path on that provider's base URL.
        Format::DesiCsv
        | Format::DesiWide
        | Format::DesiFacts
        | Format::OdsCsv
        | Format::GeoJson => {
            let path = source.path.as_deref().unwrap_or("/");
            Url::parse(&format!("{base}{path}"))
        }
    }
}
