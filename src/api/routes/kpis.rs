//! `/kpis`: what the dashboard shows as NGSI-LD `KeyPerformanceIndicator` entities (FIWARE Smart
//! Data Models), for a city's context broker, and `/kpis/context.jsonld`, their whole `@context`
//! in one document (what the `Link` header of an `application/json` answer names). Parses and
//! encodes; the entities are built by `crate::ngsi` from the snapshot's figures (no SQL).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::figures::MAX_GEOS;
use crate::api::error::ApiError;
use crate::api::negotiate::{self, JsonLd, Q};
use crate::api::reply::{self, Freshness};
use crate::api::{AppState, Body, Head};
use crate::indicators::values::EU_AGGREGATE;
use crate::ngsi;

/// The query of `/kpis`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KpisQuery {
    /// Comma-separated geo codes, e.g. `BE10,BE,EU27_2020` (at most 50). Default: the dashboard's
    /// city (`[dashboard] geo`, `BE10` unless configured), its country and `EU27_2020`.
    #[param(pattern = "^[A-Z0-9_]{1,32}(,[A-Z0-9_]{1,32})*$")]
    pub geo: Option<String>,
    /// `keyValues` (default: the simplified representation, the one the Smart Data Model's JSON
    /// schema validates) or `normalized` (every attribute a `Property` or `Relationship`).
    #[param(value_type = Option<crate::api::negotiate::NgsiOptionsParam>, inline)]
    pub options: Option<String>,
    /// `en`, `fr`, `nl` or `de`: the language of names and descriptions.
    #[param(value_type = Option<crate::api::negotiate::LangParam>, inline)]
    pub lang: Option<String>,
}

/// The geos the dashboard shows: its city, the city's country and the EU.
fn dashboard_geos(city: &str) -> Vec<String> {
    let mut geos = vec![city.to_owned()];
    let country = city.get(..2).filter(|c| {
        city.len() > 2 && city != EU_AGGREGATE && c.bytes().all(|b| b.is_ascii_uppercase())
    });
    if let Some(country) = country {
        geos.push(country.to_owned());
    }
    if city != EU_AGGREGATE {
        geos.push(EU_AGGREGATE.to_owned());
    }
    geos
}

/// The link to the whole `@context`, for an `application/json` answer.
fn context_link(base: &str) -> String {
    format!(
        "<{base}/api/v1/kpis/context.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\""
    )
}

/// The KPIs of the dashboard (or of the geos asked) as NGSI-LD entities.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "figures", params(KpisQuery),
    description = "What the dashboard shows, as NGSI-LD `KeyPerformanceIndicator` entities of the FIWARE Smart Data Model \
        dataModel.KeyPerformanceIndicator: one per indicator × geo (its latest value) and one per roadmap target × geo \
        (for the geos the target names: the latest value, `currentStanding` from the roadmap status, target value and \
        year, projected year). Without `geo`, the geos of the dashboard: its city (`[dashboard] geo`, default `BE10`), \
        the city's country and `EU27_2020`. `Accept: application/ld+json` (the default) puts the `@context` (the model's, \
        desi-city's terms, the NGSI-LD core context v1.9) in every entity; `Accept: application/json` leaves it out and \
        names it in a `Link` header (`rel=\"http://www.w3.org/ns/json-ld#context\"`), as NGSI-LD brokers do. The body can \
        be sent as is to a broker's `POST /ngsi-ld/v1/entityOperations/upsert`.",
    responses(
        (status = 200, description = "An array of KeyPerformanceIndicator entities (key-values unless `options=normalized`)",
            content((Value = "application/ld+json"), (Value = "application/json"))),
        (status = 400, description = "Bad parameter (named, with what is accepted)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "A geo asked (well-formed) has no indicator value and no target in the data served", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "`Accept` names neither application/ld+json nor application/json", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "More than 50 geos", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "No indicator's dataset has been fetched yet", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn kpis(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<KpisQuery>,
) -> Result<Response, ApiError> {
    let media = negotiate::json_ld(&headers)?;
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    let normalized = match q.options.as_deref() {
        None | Some("keyValues") => false,
        Some("normalized") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "options: {other:?} is not a representation served here. Use keyValues (the default) or normalized."
            )));
        }
    };
    let geos = match &q.geo {
        Some(list) => negotiate::list_param("geo", list, MAX_GEOS)?,
        None => dashboard_geos(&app.ctx.settings.dashboard.geo),
    };
    let base = app.base_url(&headers);
    let next_runs = ngsi::next_runs(&app.ctx.catalog, chrono::Utc::now());
    let next_text: Vec<String> = next_runs.iter().map(|(s, d)| format!("{s}={d}")).collect();
    let next_text = next_text.join(";");
    let snapshot = app.live.snapshot();
    let head = Head::of_snapshot(
        &app,
        &snapshot,
        &[
            "kpis",
            &geos.join(","),
            lang,
            if normalized {
                "normalized"
            } else {
                "keyValues"
            },
            media.media_type(),
            &base,
            &next_text,
        ],
    );
    let mut response = app.answer_now(&headers, head, || {
        let geo_name = |geo: &str, lang: &str| crate::charts::style::geo_name(geo, lang);
        let request = ngsi::Request {
            geos: &geos,
            lang,
            next_runs: &next_runs,
            geo_name: &geo_name,
        };
        let entities = ngsi::entities(&snapshot.figures, &app.ctx.catalog, &request);
        if entities.is_empty()
            && app
                .model
                .definitions
                .indicators
                .iter()
                .all(|i| !matches!(snapshot.figures.table(&i.id), Some(Ok(_))))
        {
            return Err(ApiError::Unavailable(
                "No indicator's dataset has been fetched yet, so there is no KPI to serve. They will be at the next scheduled run (GET /api/v1/sources says when); to load files by hand: desi-city import FILE --dataset ID.".to_owned(),
            ));
        }
        if let Some(missing) = geos.iter().find(|g| !entities.iter().any(|e| &e.geo == *g)) {
            return Err(ApiError::NotFound(format!(
                "geo: no indicator has a value for {missing} and no roadmap target names it in the data served. Use a country code (BE), a NUTS-2 region (BE10) or EU27_2020; GET /api/v1/sources lists what has been fetched."
            )));
        }
        let context = ngsi::context();
        let context = (media == JsonLd::LdJson).then_some(&context);
        let list: Vec<Value> = entities
            .iter()
            .map(|e| {
                if normalized {
                    e.normalized(context)
                } else {
                    e.key_values(context)
                }
            })
            .collect();
        let mut body = Body::json(&Value::Array(list)).in_language(lang);
        body.content_type = media.media_type();
        Ok(body)
    })?;
    if media == JsonLd::Json
        && let Ok(link) = HeaderValue::from_str(&context_link(&base))
    {
        response.headers_mut().append(header::LINK, link);
    }
    Ok(response)
}

/// The whole `@context` of the KPI entities in one document.
#[utoipa::path(get, path = "/api/v1/kpis/context.jsonld", tag = "figures",
    description = "The `@context` of the `/kpis` entities as one JSON-LD context document: the Smart Data Model's context, \
        desi-city's own terms (unit, target value and year, projected year, …), then the NGSI-LD core context v1.9. \
        What the `Link` header of an `application/json` answer of `/kpis` names.",
    responses(
        (status = 200, description = "A JSON-LD context document", content_type = "application/ld+json")))]
pub async fn context(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    negotiate::json_ld(&headers)?;
    let document = json!({ "@context": ngsi::context() });
    let text = document.to_string();
    let head = Head {
        etag: reply::etag(&["kpis-context", &text]),
        last_modified: None,
        freshness: Freshness::Current,
        licence: None,
    };
    app.answer_now(&headers, head, || {
        let mut body = Body::json(&document);
        body.content_type = JsonLd::LdJson.media_type();
        Ok(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_shows_its_city_the_country_and_the_eu() {
        assert_eq!(dashboard_geos("BE10"), ["BE10", "BE", "EU27_2020"]);
        assert_eq!(dashboard_geos("NL32"), ["NL32", "NL", "EU27_2020"]);
        assert_eq!(dashboard_geos("BE"), ["BE", "EU27_2020"]);
        assert_eq!(dashboard_geos("EU27_2020"), ["EU27_2020"]);
    }
}
