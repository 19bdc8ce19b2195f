//! `/desi` (the Commission's composite, with ranks among the member states), `/regions` (the
//! desi-city regional scorecard, labelled as desi-city's own method everywhere) and `/roadmaps`
//! (targets with progress, projections and status). Parses and encodes; every score comes from
//! `crate::indicators`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::figures::{LangQuery, MAX_GEOS, licence_url};
use crate::api::error::ApiError;
use crate::api::negotiate::{self, Format, JSON_ONLY, Q};
use crate::api::reply::{self, Freshness};
use crate::api::{AppState, Body, Client, Head};
use crate::indicators::desi::{self, Edition, Level, Score};
use crate::indicators::values::CAPITALS_GROUP;
use crate::indicators::{regional, roadmap};

/// The query of `/desi`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DesiQuery {
    /// The DESI edition year: 2017–2022 (2022 methodology) or 2015–2020 (2020 methodology). Default 2022.
    pub edition: Option<i32>,
    /// `2022` or `2020`. Default: `2020` for editions up to 2016 and for 2020 (the five dimensions
    /// of the Brussels strategy), `2022` otherwise.
    pub methodology: Option<String>,
    /// Comma-separated geo codes (default: every geo the methodology scores).
    pub geo: Option<String>,
    /// `json` or `csv`.
    pub format: Option<String>,
}

/// The query of `/regions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionsQuery {
    /// Comma-separated NUTS-2 codes (default: every EU capital region).
    pub geo: Option<String>,
    /// `en`, `fr`, `nl` or `de`.
    pub lang: Option<String>,
}

/// The query of `/roadmaps/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RoadmapQuery {
    /// Comma-separated geo codes (default: each target's own geos).
    pub geo: Option<String>,
    /// `en`, `fr`, `nl` or `de`.
    pub lang: Option<String>,
}

fn methodology_for(edition: i32, asked: Option<&str>) -> Result<Edition, ApiError> {
    match asked {
        Some("2022") => Ok(Edition::Desi2022),
        Some("2020") => Ok(Edition::Desi2020),
        Some(other) => Err(ApiError::BadRequest(format!(
            "methodology: {other:?} is not one of 2022, 2020."
        ))),
        None if edition <= 2016 || edition == 2020 => Ok(Edition::Desi2020),
        None => Ok(Edition::Desi2022),
    }
}

/// Rank (1 = highest score) of each member state's score per level and code; ties share a rank.
fn ranks(scores: &[Score], members: &[String]) -> BTreeMap<(String, String), (u32, u32)> {
    let mut by_code: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for s in scores {
        if let Some(v) = s.score
            && members.iter().any(|m| m == &s.geo)
        {
            by_code.entry(&s.code).or_default().push((&s.geo, v));
        }
    }
    let mut out = BTreeMap::new();
    for (code, list) in by_code {
        for (geo, v) in &list {
            let rank = 1 + list.iter().filter(|(_, other)| other > v).count() as u32;
            out.insert(
                ((*geo).to_owned(), code.to_owned()),
                (rank, list.len() as u32),
            );
        }
    }
    out
}

/// The composite DESI, its dimensions and sub-dimensions, with ranks among the member states.
#[utoipa::path(get, path = "/desi", tag = "composite", params(DesiQuery),
    responses((status = 200, description = "Scores per geo (DESI, dimensions, sub-dimensions) and ranks among the member states; JSON or CSV (`methodology,edition,geo,level,code,title,score,rank,ranked`)",
            content((Value = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Unknown edition, methodology or geo", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The methodology's input has not been imported", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn desi(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Q(q): Q<DesiQuery>,
) -> Result<Response, ApiError> {
    let format = negotiate::format(q.format.as_deref(), &headers, &[Format::Json, Format::Csv])?;
    let edition = q.edition.unwrap_or(2022);
    let which = methodology_for(edition, q.methodology.as_deref())?;
    let method = match app.model.desi.iter().find(|(e, _)| *e == which) {
        Some((_, Ok(m))) => m.clone(),
        Some((_, Err(e))) => {
            return Err(ApiError::Unavailable(format!(
                "The DESI {which} methodology did not load: {e}"
            )));
        }
        None => return Err(ApiError::internal("methodology not loaded")),
    };
    if !method.edition_years().contains(&edition) {
        return Err(ApiError::BadRequest(format!(
            "edition: {edition} is not part of the DESI {which} methodology. Use one of: {}.",
            method
                .edition_years()
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let scored: Vec<String> = method.geos().into_iter().map(str::to_owned).collect();
    let geos = match &q.geo {
        Some(list) => {
            let asked = negotiate::list_param("geo", list, MAX_GEOS)?;
            if let Some(unknown) = asked.iter().find(|g| !scored.contains(g)) {
                return Err(ApiError::BadRequest(format!(
                    "geo: {unknown} is not scored by the DESI {which} methodology. Use one of: {}.",
                    scored.join(", ")
                )));
            }
            asked
        }
        None => scored.clone(),
    };
    let snapshot = app.live.snapshot();
    let dataset = method.dataset();
    let head = Head {
        etag: reply::etag(&[
            "desi",
            which.as_str(),
            &edition.to_string(),
            &geos.join(","),
            format.as_str(),
            &app.model.id,
            &snapshot.id,
        ]),
        last_modified: snapshot.current(dataset).map(|v| v.published_at),
        freshness: Freshness::Current,
        licence: licence_url(&app, dataset),
    };
    app.answer(&headers, client, head, move || {
        let composite = desi::compute(&snapshot.store, &method, Some(edition))?;
        let ranks = ranks(&composite.scores, &method.method.geos.members);
        let rank_of = |s: &Score| ranks.get(&(s.geo.clone(), s.code.clone())).copied();
        let version = snapshot.current(dataset);
        if format == Format::Csv {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "methodology",
                "edition",
                "geo",
                "level",
                "code",
                "title",
                "score",
                "rank",
                "ranked",
            ])
            .map_err(ApiError::internal)?;
            for s in composite.scores.iter().filter(|s| geos.contains(&s.geo)) {
                let rank = rank_of(s);
                w.write_record([
                    s.methodology.as_str().to_owned(),
                    s.edition.to_string(),
                    s.geo.clone(),
                    s.level.as_str().to_owned(),
                    s.code.clone(),
                    method
                        .title(s.level, &s.code)
                        .unwrap_or_default()
                        .to_owned(),
                    s.score.map(|v| v.to_string()).unwrap_or_default(),
                    rank.map(|r| r.0.to_string()).unwrap_or_default(),
                    rank.map(|r| r.1.to_string()).unwrap_or_default(),
                ])
                .map_err(ApiError::internal)?;
            }
            let bytes = w.into_inner().map_err(ApiError::internal)?;
            return Ok(Body {
                bytes: bytes.into(),
                content_type: Format::Csv.media_type(),
                language: None,
                filename: Some(format!("desi-{which}-{edition}.csv")),
            });
        }
        let score_json = |s: &Score| {
            let rank = rank_of(s);
            json!({
                "code": s.code,
                "title": method.title(s.level, &s.code),
                "score": s.score,
                "rank": rank.map(|r| r.0),
                "ranked": rank.map(|r| r.1),
            })
        };
        let mut out = Vec::new();
        for geo in &geos {
            let of_geo: Vec<&Score> = composite.scores.iter().filter(|s| &s.geo == geo).collect();
            let total = of_geo.iter().find(|s| s.level == Level::Desi);
            let dimensions: Vec<Value> = method
                .structure
                .dimensions
                .iter()
                .map(|d| {
                    let score = of_geo
                        .iter()
                        .find(|s| s.level == Level::Dimension && s.code == d.code);
                    let subs: Vec<Value> = method
                        .structure
                        .subdimensions
                        .iter()
                        .filter(|sd| sd.dimension == d.code)
                        .filter_map(|sd| {
                            of_geo
                                .iter()
                                .find(|s| s.level == Level::Subdimension && s.code == sd.code)
                                .map(|s| score_json(s))
                        })
                        .collect();
                    let mut v = score.map(|s| score_json(s)).unwrap_or_else(
                        || json!({"code": d.code, "title": d.title, "score": null}),
                    );
                    v["weight"] = json!(d.weight);
                    v["subdimensions"] = Value::Array(subs);
                    v
                })
                .collect();
            out.push(json!({
                "geo": geo,
                "desi": total.map(|s| score_json(s)),
                "dimensions": dimensions,
            }));
        }
        Ok(Body::json(&json!({
            "methodology": {
                "id": which.as_str(),
                "title": method.method.title,
                "publisher": method.method.publisher,
                "owner": method.method.methodology_owner,
                "attribution": method.method.attribution,
                "dataset": dataset,
                "version": version.map(|v| v.version.as_str()),
            },
            "edition": edition,
            "notes": composite.notes,
            "geos": out,
        })))
    })
    .await
}

/// The desi-city regional scorecard of NUTS-2 regions (own method, not the Commission's DESI).
#[utoipa::path(get, path = "/regions", tag = "composite", params(RegionsQuery),
    responses((status = 200, description = "Each region's scorecard: indicator and dimension scores normalised across the EU capital regions, total, rank, and its country on the same scale. Labelled as desi-city's own method.", content_type = "application/json"),
        (status = 400, description = "Bad parameter", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The method file did not load", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn regions(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Q(q): Q<RegionsQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    let method = match &app.model.regional {
        Ok(m) => m.clone(),
        Err(e) => {
            return Err(ApiError::Unavailable(format!(
                "The regional scorecard's method did not load: {e}"
            )));
        }
    };
    let regions = match &q.geo {
        Some(list) => negotiate::list_param("geo", list, MAX_GEOS)?,
        None => app
            .model
            .groups
            .get(CAPITALS_GROUP)
            .map(|g| g.codes.clone())
            .unwrap_or_default(),
    };
    if let Some(bad) = regions.iter().find(|g| !regional::is_nuts2(g)) {
        return Err(ApiError::BadRequest(format!(
            "geo: {bad} is not a NUTS-2 code (two letters, then two letters or digits, e.g. BE10)."
        )));
    }
    let snapshot = app.live.snapshot();
    let head = Head::of_snapshot(&app, &snapshot, &["regions", &regions.join(","), lang]);
    let app2 = app.clone();
    app.answer(&headers, client, head, move || {
        let cards = regional::compute_all(
            &snapshot.store,
            &app2.model.groups,
            &app2.model.definitions,
            &method,
            &regions,
        )?;
        let title = |id: &str| {
            app2.model
                .definitions
                .get(id)
                .map(|i| i.title.get(lang).to_owned())
        };
        let list: Vec<Value> = cards
            .into_iter()
            .map(|(geo, card)| match card {
                Ok(c) => json!({
                    "geo": geo,
                    "label": c.label,
                    "country": c.country,
                    "period": c.period,
                    "total": c.total,
                    "country_total": c.country_total,
                    "rank_capitals": c.rank_capitals,
                    "ranked_capitals": c.ranked_capitals,
                    "dimensions": c.dimensions.iter().map(|d| json!({
                        "dimension": d.dimension, "score": d.score, "country_score": d.country_score,
                    })).collect::<Vec<_>>(),
                    "indicators": c.indicators.iter().map(|i| json!({
                        "indicator": i.indicator, "title": title(&i.indicator), "dimension": i.dimension,
                        "value": i.value, "min": i.min, "max": i.max, "peers": i.peers, "score": i.score,
                        "country_value": i.country_value, "country_score": i.country_score,
                    })).collect::<Vec<_>>(),
                    "missing": c.missing,
                }),
                Err(e) => json!({ "geo": geo, "label": method.label, "error": e.to_string() }),
            })
            .collect();
        Ok(Body::json(&json!({
            "label": method.label,
            "method": "desi-city's own method, not the Commission's DESI: see indicators/regional/scorecard.toml",
            "regions": list,
        }))
        .in_language(lang))
    })
    .await
}

fn roadmap_json(r: &roadmap::Roadmap, lang: &str) -> Value {
    json!({
        "id": r.id,
        "title": r.title.get(lang),
        "example": r.example,
        "source": r.source,
        "source_url": r.source_url,
        "thresholds": { "on_track_ratio": r.thresholds.on_track_ratio, "at_risk_ratio": r.thresholds.at_risk_ratio },
        "targets": r.targets.iter().map(|t| json!({
            "id": t.id,
            "title": t.title.get(lang),
            "indicator": t.indicator,
            "unmeasured": t.unmeasured,
            "value": t.value,
            "unit": t.unit,
            "year": t.year,
            "baseline_from": t.baseline_from,
            "geos": t.geos,
            "source": t.source,
            "source_url": t.source_url,
        })).collect::<Vec<_>>(),
        "links": { "progress": format!("/api/v1/roadmaps/{}", r.id) },
    })
}

/// Every roadmap and its targets.
#[utoipa::path(get, path = "/roadmaps", tag = "composite", params(LangQuery),
    responses((status = 200, description = "The roadmaps of indicators/roadmaps/ and their targets, in the language asked for", content_type = "application/json")))]
pub async fn roadmaps(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    let head = Head {
        etag: reply::etag(&["roadmaps", lang, &app.model.id]),
        last_modified: None,
        freshness: Freshness::Current,
        licence: None,
    };
    let app2 = app.clone();
    app.answer(&headers, client, head, move || {
        let list: Vec<Value> = app2
            .model
            .roadmaps
            .iter()
            .map(|r| roadmap_json(r, lang))
            .collect();
        Ok(Body::json(&json!({ "roadmaps": list })).in_language(lang))
    })
    .await
}

/// Progress of every target of one roadmap.
#[utoipa::path(get, path = "/roadmaps/{id}", tag = "composite",
    params(("id" = String, Path, description = "Roadmap id, e.g. `eu-digital-decade-2030`"), RoadmapQuery),
    responses((status = 200, description = "Each target × geo: baseline, latest, target, share covered, required vs actual yearly change, linear and compound projections, projected year, status", content_type = "application/json"),
        (status = 404, description = "Unknown roadmap", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn roadmap(
    State(app): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Path(id): Path<String>,
    Q(q): Q<RoadmapQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    let Some(found) = app.model.roadmaps.iter().find(|r| r.id == id).cloned() else {
        return Err(ApiError::NotFound(format!(
            "There is no roadmap {id:?}. GET /api/v1/roadmaps lists them: {}.",
            app.model
                .roadmaps
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let geos = q
        .geo
        .as_deref()
        .map(|list| negotiate::list_param("geo", list, MAX_GEOS))
        .transpose()?;
    let snapshot = app.live.snapshot();
    let head = Head::of_snapshot(
        &app,
        &snapshot,
        &[
            "roadmap",
            &id,
            &geos.as_ref().map(|g| g.join(",")).unwrap_or_default(),
            lang,
        ],
    );
    let app2 = app.clone();
    app.answer(&headers, client, head, move || {
        let progress = roadmap::compute(
            &snapshot.store,
            &app2.model.groups,
            &app2.model.definitions,
            &found,
            geos.as_deref(),
        );
        let point = |p: &Option<roadmap::Point>| {
            p.as_ref()
                .map(|p| json!({ "period": p.period, "value": p.value }))
        };
        let rows: Vec<Value> = progress
            .iter()
            .map(|p| {
                let m = &p.measures;
                let target = found.targets.iter().find(|t| t.id == p.target);
                json!({
                    "target": p.target,
                    "title": target.map(|t| t.title.get(lang)),
                    "indicator": p.indicator,
                    "geo": p.geo,
                    "baseline": point(&m.baseline),
                    "latest": point(&m.latest),
                    "target_value": p.target_value,
                    "target_year": p.target_year,
                    "unit": target.map(|t| t.unit.as_str()),
                    "share_covered": m.share_covered,
                    "required_yearly_change": m.required_yearly_change,
                    "actual_yearly_change": m.actual_yearly_change,
                    "pace_ratio": m.pace_ratio,
                    "linear_projection": m.linear_projection,
                    "compound_growth_rate": m.compound_growth_rate,
                    "compound_projection": m.compound_projection,
                    "projected_year": m.projected_year,
                    "status": m.status.as_str(),
                    "note": p.note,
                })
            })
            .collect();
        let mut body = roadmap_json(&found, lang);
        body["progress"] = Value::Array(rows);
        Ok(Body::json(&body).in_language(lang))
    })
    .await
}
