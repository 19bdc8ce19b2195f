//! `/desi` (the Commission's composite, with ranks among the member states), `/regions` (the
//! desi-city regional scorecard, labelled as desi-city's own method everywhere) and `/roadmaps`
//! (targets with progress, projections and status). Parses and encodes; every score comes from
//! `crate::indicators`.

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
use crate::api::{AppState, Body, Head};
use crate::commands::with_load;
use crate::indicators::desi::{Edition, Level};
use crate::indicators::figures::{self as desi, RankedScore};
use crate::indicators::values::CAPITALS_GROUP;
use crate::indicators::{regional, roadmap};

/// The query of `/desi`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DesiQuery {
    /// The DESI edition year: 2017–2022 (2022 methodology) or 2015–2020 (2020 methodology). Default 2022.
    #[param(minimum = 2015, maximum = 2022)]
    pub edition: Option<i32>,
    /// `2022` or `2020`. Default: `2020` for editions up to 2016 and for 2020 (the five dimensions
    /// of the Brussels strategy), `2022` otherwise.
    #[param(value_type = Option<crate::api::negotiate::MethodologyParam>, inline)]
    pub methodology: Option<String>,
    /// Comma-separated geo codes (default: every geo the methodology scores).
    #[param(pattern = "^[A-Z0-9_]{1,32}(,[A-Z0-9_]{1,32})*$")]
    pub geo: Option<String>,
    /// `json` or `csv`.
    #[param(value_type = Option<crate::api::negotiate::DesiFormatParam>, inline)]
    pub format: Option<String>,
}

/// The query of `/regions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionsQuery {
    /// Comma-separated NUTS-2 codes (default: every EU capital region).
    #[param(pattern = "^[A-Z]{2}[A-Z0-9]{2}(,[A-Z]{2}[A-Z0-9]{2})*$")]
    pub geo: Option<String>,
    /// `en`, `fr`, `nl` or `de`.
    #[param(value_type = Option<crate::api::negotiate::LangParam>, inline)]
    pub lang: Option<String>,
}

/// The query of `/roadmaps/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RoadmapQuery {
    /// Comma-separated geo codes (default: each target's own geos).
    #[param(pattern = "^[A-Z0-9_]{1,32}(,[A-Z0-9_]{1,32})*$")]
    pub geo: Option<String>,
    /// `en`, `fr`, `nl` or `de`.
    #[param(value_type = Option<crate::api::negotiate::LangParam>, inline)]
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

/// The composite DESI, its dimensions and sub-dimensions, with ranks among the member states.
#[utoipa::path(get, path = "/api/v1/desi", tag = "composite", params(DesiQuery),
    responses((status = 200, description = "Scores per geo (DESI, dimensions, sub-dimensions) and ranks among the member states; JSON or CSV (`methodology,edition,geo,level,code,score,rank,ranked,title`)",
            content((Value = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Unknown edition, methodology or geo", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The methodology's input has not been imported", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn desi(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<DesiQuery>,
) -> Result<Response, ApiError> {
    let format = negotiate::format(q.format.as_deref(), &headers, &[Format::Json, Format::Csv])?;
    let edition = q.edition.unwrap_or(2022);
    let which = methodology_for(edition, q.methodology.as_deref())?;
    let method = match app.model.desi.iter().find(|(e, _)| *e == which) {
        Some((_, Ok(m))) => m,
        Some((_, Err(e))) => {
            return Err(ApiError::Unavailable(format!(
                "The DESI {which} methodology did not load: {e}"
            )));
        }
        None => return Err(ApiError::internal("methodology not loaded")),
    };
    if !method.edition_years().contains(&edition) {
        // Outside every edition (the document's bounds): a bad parameter; an edition of the other
        // methodology: that composite does not exist (404).
        let error = if (2015..=2022).contains(&edition) {
            ApiError::NotFound
        } else {
            ApiError::BadRequest
        };
        return Err(error(format!(
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
                // A well-formed code without scores: nothing to serve (404), not a bad parameter.
                return Err(ApiError::NotFound(format!(
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
    app.answer_now(&headers, head, || {
        let composite = match snapshot.figures.desi(which) {
            Some(Ok(composite)) => composite.clone(),
            Some(Err(error)) => return Err(ApiError::from(error.clone())),
            None => return Err(ApiError::internal("methodology not computed")),
        };
        let scores: Vec<&RankedScore> = composite
            .scores
            .iter()
            .filter(|s| s.score.edition == edition)
            .collect();
        let version = snapshot.current(dataset);
        if format == Format::Csv {
            let mut w = crate::api::encode::csv_writer(Vec::new());
            desi::write_csv_header(&mut w).map_err(ApiError::internal)?;
            for s in scores.iter().filter(|s| geos.contains(&s.score.geo)) {
                desi::write_csv_row(&mut w, method, s).map_err(ApiError::internal)?;
            }
            let bytes = w.into_inner().map_err(ApiError::internal)?;
            return Ok(Body {
                bytes: bytes.into(),
                content_type: Format::Csv.media_type(),
                language: None,
                filename: Some(format!("desi-{which}-{edition}.csv")),
                coding: None,
            });
        }
        let score_json = |s: &RankedScore| {
            json!({
                "code": s.score.code,
                "title": method.title(s.score.level, &s.score.code),
                "score": s.score.score,
                "rank": s.rank,
                "ranked": s.rank.map(|_| s.ranked),
            })
        };
        let mut out = Vec::new();
        for geo in &geos {
            let of_geo: Vec<&RankedScore> = scores
                .iter()
                .copied()
                .filter(|s| &s.score.geo == geo)
                .collect();
            let total = of_geo.iter().find(|s| s.score.level == Level::Desi);
            let dimensions: Vec<Value> = method
                .structure
                .dimensions
                .iter()
                .map(|d| {
                    let score = of_geo
                        .iter()
                        .find(|s| s.score.level == Level::Dimension && s.score.code == d.code);
                    let subs: Vec<Value> = method
                        .structure
                        .subdimensions
                        .iter()
                        .filter(|sd| sd.dimension == d.code)
                        .filter_map(|sd| {
                            of_geo
                                .iter()
                                .find(|s| {
                                    s.score.level == Level::Subdimension && s.score.code == sd.code
                                })
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
}

/// The desi-city regional scorecard of NUTS-2 regions (own method, not the Commission's DESI).
#[utoipa::path(get, path = "/api/v1/regions", tag = "composite", params(RegionsQuery),
    responses((status = 200, description = "Each region's scorecard: indicator and dimension scores normalised across the EU capital regions, total, rank, and its country on the same scale. Labelled as desi-city's own method.", content_type = "application/json"),
        (status = 400, description = "Bad parameter", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The method file did not load", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn regions(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<RegionsQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    let method = match &app.model.regional {
        Ok(m) => m,
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
    app.answer_now(&headers, head, || {
        let cards = snapshot.figures.scorecards(&regions)?;
        let title = |id: &str| {
            app.model
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
                    "capitals": c.capitals.iter().map(|(geo, total)| json!({"geo": geo, "total": total})).collect::<Vec<_>>(),
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
            "unmeasured": t.unmeasured_note().map(|u| with_load(&u, t.missing.as_ref())),
            "unmeasured_reason": t.unmeasured.as_ref().map(|r| r.code()),
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
#[utoipa::path(get, path = "/api/v1/roadmaps", tag = "composite", params(LangQuery),
    responses((status = 200, description = "The roadmaps of indicators/roadmaps/ and their targets, in the language asked for", content_type = "application/json")))]
pub async fn roadmaps(
    State(app): State<AppState>,
    headers: HeaderMap,
    Q(q): Q<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = negotiate::lang(q.lang.as_deref(), &headers)?;
    negotiate::format(None, &headers, JSON_ONLY)?;
    // Target values come from the published facts of the snapshot (`value_from`).
    let snapshot = app.live.snapshot();
    let head = Head::of_snapshot(&app, &snapshot, &["roadmaps", lang]);
    app.answer_now(&headers, head, || {
        let list: Vec<Value> = app
            .model
            .roadmaps
            .iter()
            .map(|r| {
                roadmap_json(
                    snapshot.figures.roadmap_definition(&r.id).unwrap_or(r),
                    lang,
                )
            })
            .collect();
        Ok(Body::json(&json!({ "roadmaps": list })).in_language(lang))
    })
}

/// Progress of every target of one roadmap.
#[utoipa::path(get, path = "/api/v1/roadmaps/{id}", tag = "composite",
    params(("id" = String, Path, description = "Roadmap id, e.g. `eu-digital-decade-2030`"), RoadmapQuery),
    responses((status = 200, description = "Each target × geo: baseline, latest, target, share covered, required vs actual yearly change, linear and compound projections, projected year, status", content_type = "application/json"),
        (status = 404, description = "Unknown roadmap", body = crate::api::error::Problem, content_type = "application/problem+json")))]
pub async fn roadmap(
    State(app): State<AppState>,
    headers: HeaderMap,
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
    let found = snapshot
        .figures
        .roadmap_definition(&id)
        .cloned()
        .unwrap_or(found);
    app.answer_now(&headers, head, || {
        let all = snapshot.figures.roadmap(&id).unwrap_or_default();
        let progress: Vec<&roadmap::Progress> = all
            .iter()
            .filter(|p| geos.as_ref().is_none_or(|g| g.contains(&p.geo)))
            .collect();
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
                    "note": p.note().map(|n| with_load(&n, p.missing.as_ref())),
                    "reason": p.reason.as_ref().map(|r| r.code()),
                })
            })
            .collect();
        let mut body = roadmap_json(&found, lang);
        body["progress"] = Value::Array(rows);
        Ok(Body::json(&body).in_language(lang))
    })
}
