//! What the dashboard shows, as NGSI-LD entities of the FIWARE Smart Data Model
//! `dataModel.KeyPerformanceIndicator`, for a city's context broker: one entity per indicator ×
//! geo (its latest value) and one per roadmap target × geo (the latest value with the target's
//! standing). Pure: the engine's [`Figures`], the catalogue and the time of the next scheduled
//! runs in, JSON out. Must not run SQL, read the store, or know anything of HTTP.
//!
//! # Representation
//!
//! [`Kpi::key_values`] is NGSI-LD's simplified (key-values) representation: the form the
//! model's JSON schema (`schema.json` of dataModel.KeyPerformanceIndicator) validates, served by
//! default. [`Kpi::normalized`] is the normalized representation (each attribute a `Property`
//! with its `value`, the link to the indicator's entity a `Relationship` with its `object`,
//! dates typed `Date`/`DateTime`), for brokers that store that form.
//!
//! # The model's attributes, and where each comes from
//!
//! - `kpiValue`: the latest value published (for a target: of its indicator, for that geo).
//! - `calculationPeriod`: the first and last day of that value's period (`2023` → 2023-01-01 to
//!   2023-12-31).
//! - `calculationFrequency`: how often the source's data is updated upstream
//!   ([`crate::catalog::Source::frequency`]; the DCAT `accrualPeriodicity` of the catalogue);
//!   absent when the model's enum has no word for it (irregular, unknown).
//! - `dateNextCalculation`: the day of the source's next scheduled fetch (its cron, UTC).
//! - `calculationMethod`: `automatic` (computed on every publish, never by hand).
//! - `calculatedBy`: the publisher for an indicator's value (Eurostat computes it); `desi-city`
//!   for a target's standing (desi-city's own measure of the published values).
//! - `organization` ("subject organization evaluated by the KPI"): the place measured (city,
//!   country, EU), by name; `area` its geo code.
//! - `dataProvider`: `desi-city`, which harmonises the entity; `source`: the provider's public
//!   page of the dataset the value comes from.
//! - `category`: `quantitative` (a number) and `lagging` (it measures a past period, published
//!   after it).
//! - `currentStanding`, for targets only, from the roadmap status ([`standing`]):
//!   reached → `veryGood`, on track → `good`, at risk → `fair`, off track → `bad`, off track
//!   and moving away from the target (share covered below 0) → `veryBad`; no standing for `no
//!   data` and `not measurable` (the status itself is in `roadmapStatus`).
//! - `businessTarget` and `calculationFormula`, for targets: the target in words and how its
//!   status is decided.
//! - `dateModified`: when the value's dataset version was published.
//!
//! What the model lacks is said with desi-city's own terms (namespace [`OWN_VOCABULARY`],
//! defined in the inline part of [`context`]): `unit`, `period`, `flags`, `desiDimension`,
//! `indicator`, `sourceDataset`, `datasetVersion`, `upstreamUpdated`, `license`, `attribution`,
//! and for targets `roadmap`, `roadmapStatus`, `illustrative`, `targetValue`, `targetYear`,
//! `projectedYear`, `baselineValue`, `baselinePeriod`, `shareCovered` and
//! `refKeyPerformanceIndicator` (the entity of the indicator the target is measured on).

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde_json::{Map, Value, json};

use crate::catalog::{Catalog, Frequency};
use crate::indicators::definitions::Indicator;
use crate::indicators::figures::Figures;
use crate::indicators::roadmap::{Measures, Progress, Roadmap, Status};
use crate::indicators::values::{IndicatorValue, Table};
use crate::store::Version;

/// The NGSI-LD core `@context` (ETSI GS CIM 009 V1.9.1, Annex B).
pub const CORE_CONTEXT: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";
/// The `@context` of the Smart Data Model, as its repository publishes it.
pub const MODEL_CONTEXT: &str = "https://raw.githubusercontent.com/smart-data-models/dataModel.KeyPerformanceIndicator/master/context.jsonld";
/// desi-city's own terms, for what the model has no attribute for (the namespace of the DCAT
/// document's own terms too).
pub const OWN_VOCABULARY: &str = "https://desi-city.eu/ns#";
/// The entity type.
pub const TYPE: &str = "KeyPerformanceIndicator";
/// Who harmonises the entities and computes the targets' standing.
const DESI_CITY: &str = "desi-city";

/// desi-city's terms, each a full IRI of [`OWN_VOCABULARY`] (or of DCMI Terms for the licence).
/// None is a term of the core context, which comes last and is protected: a term it defines
/// would replace ours.
const OWN_TERMS: &[&str] = &[
    "unit",
    "period",
    "flags",
    "desiDimension",
    "indicator",
    "sourceDataset",
    "datasetVersion",
    "upstreamUpdated",
    "attribution",
    "roadmap",
    "roadmapStatus",
    "illustrative",
    "targetValue",
    "targetYear",
    "projectedYear",
    "baselineValue",
    "baselinePeriod",
    "shareCovered",
];

/// The inline part of the `@context`: desi-city's terms.
pub fn own_context() -> Value {
    let mut terms = Map::new();
    for term in OWN_TERMS {
        terms.insert((*term).to_owned(), json!(format!("{OWN_VOCABULARY}{term}")));
    }
    terms.insert(
        "license".to_owned(),
        json!({ "@id": "http://purl.org/dc/terms/license", "@type": "@id" }),
    );
    terms.insert(
        "refKeyPerformanceIndicator".to_owned(),
        json!({ "@id": format!("{OWN_VOCABULARY}refKeyPerformanceIndicator"), "@type": "@id" }),
    );
    Value::Object(terms)
}

/// The `@context` of every entity: the model's, desi-city's terms, and the NGSI-LD core context
/// last (it is protected, and NGSI-LD processes it last).
pub fn context() -> Value {
    json!([MODEL_CONTEXT, own_context(), CORE_CONTEXT])
}

/// The id of an indicator's entity for `geo`.
pub fn indicator_id(indicator: &str, geo: &str) -> String {
    format!("urn:ngsi-ld:{TYPE}:{DESI_CITY}:{indicator}:{geo}")
}

/// The id of a target's entity for `geo`: the target is named with its roadmap
/// (`<roadmap>.<target>`), as target ids are unique only within their file.
pub fn target_id(roadmap: &str, target: &str, geo: &str) -> String {
    format!("urn:ngsi-ld:{TYPE}:{DESI_CITY}:{roadmap}.{target}:{geo}")
}

/// One attribute's value, with what its normalized form needs to know.
#[derive(Debug, Clone, PartialEq)]
pub enum Attribute {
    Value(Value),
    /// `YYYY-MM-DD`.
    Date(String),
    /// RFC 3339.
    DateTime(String),
    /// The id of another entity.
    Relationship(String),
}

/// One KeyPerformanceIndicator entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    pub id: String,
    /// The geo it measures.
    pub geo: String,
    /// In order.
    pub attributes: Vec<(&'static str, Attribute)>,
}

impl Kpi {
    /// An attribute's plain value, as the key-values representation has it.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| plain(a))
    }

    /// The simplified (key-values) representation; with `context`, the `@context` member (for
    /// `application/ld+json`).
    pub fn key_values(&self, context: Option<&Value>) -> Value {
        self.render(context, plain)
    }

    /// The normalized representation: every attribute a `Property` (`value`) or a
    /// `Relationship` (`object`).
    pub fn normalized(&self, context: Option<&Value>) -> Value {
        self.render(context, |a| match a {
            Attribute::Value(v) => json!({ "type": "Property", "value": v }),
            Attribute::Date(d) => {
                json!({ "type": "Property", "value": { "@type": "Date", "@value": d } })
            }
            Attribute::DateTime(t) => {
                json!({ "type": "Property", "value": { "@type": "DateTime", "@value": t } })
            }
            Attribute::Relationship(id) => json!({ "type": "Relationship", "object": id }),
        })
    }

    fn render(&self, context: Option<&Value>, form: impl Fn(&Attribute) -> Value) -> Value {
        let mut out = Map::new();
        out.insert("id".to_owned(), json!(self.id));
        out.insert("type".to_owned(), json!(TYPE));
        for (name, attribute) in &self.attributes {
            out.insert((*name).to_owned(), form(attribute));
        }
        if let Some(context) = context {
            out.insert("@context".to_owned(), context.clone());
        }
        Value::Object(out)
    }
}

fn plain(attribute: &Attribute) -> Value {
    match attribute {
        Attribute::Value(v) => v.clone(),
        Attribute::Date(s) | Attribute::DateTime(s) | Attribute::Relationship(s) => json!(s),
    }
}

/// The model's `currentStanding` for a roadmap status (see the module's mapping); `None` when
/// there is no standing to say.
pub fn standing(measures: &Measures) -> Option<&'static str> {
    match measures.status {
        Status::Reached => Some("veryGood"),
        Status::OnTrack => Some("good"),
        Status::AtRisk => Some("fair"),
        Status::OffTrack if measures.share_covered.is_some_and(|s| s < 0.0) => Some("veryBad"),
        Status::OffTrack => Some("bad"),
        Status::NoData | Status::NotMeasurable => None,
    }
}

/// The model's `calculationFrequency` for how often a source is updated; `None` where its enum
/// has no word.
pub fn calculation_frequency(frequency: Frequency) -> Option<&'static str> {
    match frequency {
        Frequency::Annual => Some("yearly"),
        Frequency::Quarterly => Some("quarterly"),
        Frequency::Monthly => Some("monthly"),
        Frequency::Daily => Some("daily"),
        Frequency::Irregular | Frequency::Unknown => None,
    }
}

/// The first and last day of a period as published (`2023`, `2023-S1`, `2023-Q2`, `2023-05`,
/// `2023-W05`, `2023-05-17`); `None` for a layout the period parser does not know.
pub fn period_days(period: &str) -> Option<(NaiveDate, NaiveDate)> {
    let info = crate::fetch::parse::period::parse_period(period)?;
    let start = NaiveDate::from_ymd_opt(1970, 1, 1)?
        .checked_add_signed(chrono::Duration::days(i64::from(info.start)))?;
    let months = |n: u32| {
        start
            .checked_add_months(Months::new(n))
            .and_then(|d| d.pred_opt())
    };
    let end = match info.freq {
        "A" => months(12)?,
        "S" => months(6)?,
        "Q" => months(3)?,
        "M" => months(1)?,
        "W" => start + chrono::Duration::days(6),
        _ => start,
    };
    Some((start, end))
}

/// The day of each source's next scheduled run after `now` (its cron, UTC), by source id.
pub fn next_runs(catalog: &Catalog, now: DateTime<Utc>) -> BTreeMap<String, NaiveDate> {
    catalog
        .sources
        .iter()
        .filter_map(|s| {
            crate::schedule::next_after(&s.schedule, now).map(|t| (s.id.clone(), t.date_naive()))
        })
        .collect()
}

/// What [`entities`] is asked.
pub struct Request<'a> {
    /// The geos, in the order answered.
    pub geos: &'a [String],
    /// The language of names and descriptions.
    pub lang: &'a str,
    /// [`next_runs`].
    pub next_runs: &'a BTreeMap<String, NaiveDate>,
    /// The name of a geo in `lang`.
    pub geo_name: &'a dyn Fn(&str, &str) -> String,
}

/// Every entity for the geos asked: per geo, each indicator with a value for it (its latest),
/// then each target that names the geo, in the order of the definitions.
pub fn entities(figures: &Figures, catalog: &Catalog, request: &Request<'_>) -> Vec<Kpi> {
    let model = figures.model();
    let mut out = Vec::new();
    for geo in request.geos {
        for indicator in &model.definitions.indicators {
            let Some(Ok(table)) = figures.table(&indicator.id) else {
                continue;
            };
            let latest = table.rows_of(geo).iter().rev().find(|r| r.value.is_some());
            if let Some(row) = latest {
                out.push(indicator_kpi(catalog, request, indicator, table, row));
            }
        }
        for roadmap in &model.roadmaps {
            let resolved = figures.roadmap_definition(&roadmap.id).unwrap_or(roadmap);
            for progress in figures.roadmap(&roadmap.id).unwrap_or_default() {
                if progress.geo == *geo {
                    out.push(target_kpi(figures, catalog, request, resolved, progress));
                }
            }
        }
    }
    out
}

/// The attributes every entity has that come from one value and its dataset version.
fn value_attributes(
    catalog: &Catalog,
    request: &Request<'_>,
    indicator: &Indicator,
    row: &IndicatorValue,
    version: Option<&Version>,
    attributes: &mut Vec<(&'static str, Attribute)>,
) {
    let source = catalog.get(&row.dataset).ok();
    let mut push = |name: &'static str, a: Attribute| attributes.push((name, a));
    if let Some(value) = row.value {
        push("kpiValue", Attribute::Value(json!(value)));
    }
    if let Some((from, to)) = period_days(&row.period) {
        push(
            "calculationPeriod",
            Attribute::Value(json!({ "from": from.to_string(), "to": to.to_string() })),
        );
    }
    if let Some(frequency) = source.and_then(|s| calculation_frequency(s.frequency())) {
        push("calculationFrequency", Attribute::Value(json!(frequency)));
    }
    if let Some(next) = request.next_runs.get(&row.dataset) {
        push("dateNextCalculation", Attribute::Date(next.to_string()));
    }
    push("calculationMethod", Attribute::Value(json!("automatic")));
    push(
        "category",
        Attribute::Value(json!(["quantitative", "lagging"])),
    );
    push(
        "organization",
        Attribute::Value(json!((request.geo_name)(&row.geo, request.lang))),
    );
    push("area", Attribute::Value(json!(row.geo)));
    push("dataProvider", Attribute::Value(json!(DESI_CITY)));
    if let Some(source) = source {
        push("source", Attribute::Value(json!(source.upstream_page())));
    }
    if let Some(version) = version {
        push(
            "dateModified",
            Attribute::DateTime(
                version
                    .published_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        );
    }
    push("unit", Attribute::Value(json!(indicator.unit)));
    push("period", Attribute::Value(json!(row.period)));
    if let Some(flags) = row.flags.as_deref().filter(|f| !f.trim().is_empty()) {
        push("flags", Attribute::Value(json!(flags)));
    }
    push(
        "desiDimension",
        Attribute::Value(json!(indicator.dimension.as_str())),
    );
    push("indicator", Attribute::Value(json!(indicator.id)));
    push("sourceDataset", Attribute::Value(json!(row.dataset)));
    push("datasetVersion", Attribute::Value(json!(row.version)));
    if let Some(updated) = version.and_then(|v| v.meta.upstream_updated.as_deref()) {
        push("upstreamUpdated", Attribute::Value(json!(updated)));
    }
    if let Some(source) = source {
        push("license", Attribute::Value(json!(source.licence_url)));
        push("attribution", Attribute::Value(json!(source.attribution)));
    }
}

/// The version a value was read from, among its table's.
fn version_of<'a>(table: &'a Table, row: &IndicatorValue) -> Option<&'a Version> {
    table
        .versions
        .iter()
        .find(|v| v.dataset == row.dataset && v.version == row.version)
}

fn indicator_kpi(
    catalog: &Catalog,
    request: &Request<'_>,
    indicator: &Indicator,
    table: &Table,
    row: &IndicatorValue,
) -> Kpi {
    let source = catalog.get(&row.dataset).ok();
    let mut attributes = vec![
        (
            "name",
            Attribute::Value(json!(indicator.title.get(request.lang))),
        ),
        (
            "description",
            Attribute::Value(json!(indicator.description.get(request.lang))),
        ),
    ];
    if let Some(source) = source {
        attributes.push((
            "calculatedBy",
            Attribute::Value(json!(source.provider.publisher_name())),
        ));
    }
    value_attributes(
        catalog,
        request,
        indicator,
        row,
        version_of(table, row),
        &mut attributes,
    );
    Kpi {
        id: indicator_id(&indicator.id, &row.geo),
        geo: row.geo.clone(),
        attributes,
    }
}

fn target_kpi(
    figures: &Figures,
    catalog: &Catalog,
    request: &Request<'_>,
    roadmap: &Roadmap,
    progress: &Progress,
) -> Kpi {
    let target = roadmap.targets.iter().find(|t| t.id == progress.target);
    let m = &progress.measures;
    let title = target.map_or(progress.target.as_str(), |t| t.title.get(request.lang));
    let mut attributes = vec![
        ("name", Attribute::Value(json!(title))),
        (
            "description",
            Attribute::Value(json!(format!(
                "{} — {}",
                roadmap.title.get(request.lang),
                title
            ))),
        ),
        ("businessTarget", Attribute::Value(json!(title))),
        ("calculatedBy", Attribute::Value(json!(DESI_CITY))),
        (
            "calculationFormula",
            Attribute::Value(json!(format!(
                "status from the pace ratio = actual ÷ required yearly change since the baseline: on track ≥ {}, at risk ≥ {}, off track below or once the target year has passed; reached when the latest value meets the target",
                roadmap.thresholds.on_track_ratio, roadmap.thresholds.at_risk_ratio
            ))),
        ),
    ];
    if let Some(standing) = standing(m) {
        attributes.push(("currentStanding", Attribute::Value(json!(standing))));
    }
    let model = figures.model();
    let indicator = progress
        .indicator
        .as_deref()
        .and_then(|id| model.definitions.get(id));
    let table = indicator.and_then(|i| figures.table(&i.id)?.as_ref().ok());
    // The indicator's row of the latest point the measures read.
    let row = match (table, &m.latest) {
        (Some(table), Some(latest)) => table
            .rows_of(&progress.geo)
            .iter()
            .find(|r| r.period == latest.period && r.value.is_some()),
        _ => None,
    };
    match (indicator, table, row) {
        (Some(indicator), Some(table), Some(row)) => value_attributes(
            catalog,
            request,
            indicator,
            row,
            version_of(table, row),
            &mut attributes,
        ),
        _ => {
            attributes.push((
                "organization",
                Attribute::Value(json!((request.geo_name)(&progress.geo, request.lang))),
            ));
            attributes.push(("area", Attribute::Value(json!(progress.geo))));
            attributes.push(("dataProvider", Attribute::Value(json!(DESI_CITY))));
            if let Some(target) = target {
                attributes.push(("unit", Attribute::Value(json!(target.unit))));
            }
        }
    }
    let mut push = |name: &'static str, a: Attribute| attributes.push((name, a));
    push("roadmap", Attribute::Value(json!(roadmap.id)));
    push("roadmapStatus", Attribute::Value(json!(m.status.as_str())));
    push("illustrative", Attribute::Value(json!(roadmap.example)));
    push(
        "targetValue",
        Attribute::Value(json!(progress.target_value)),
    );
    push("targetYear", Attribute::Value(json!(progress.target_year)));
    if let Some(year) = m.projected_year {
        push("projectedYear", Attribute::Value(json!(year)));
    }
    if let Some(baseline) = &m.baseline {
        push("baselineValue", Attribute::Value(json!(baseline.value)));
        push("baselinePeriod", Attribute::Value(json!(baseline.period)));
    }
    if let Some(share) = m.share_covered {
        push("shareCovered", Attribute::Value(json!(share)));
    }
    if row.is_some()
        && let Some(indicator) = indicator
    {
        push(
            "refKeyPerformanceIndicator",
            Attribute::Relationship(indicator_id(&indicator.id, &progress.geo)),
        );
    }
    Kpi {
        id: target_id(&roadmap.id, &progress.target, &progress.geo),
        geo: progress.geo.clone(),
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::roadmap::Point;

    fn measures(status: Status, share: Option<f64>) -> Measures {
        Measures {
            baseline: Some(Point {
                period: "2020".into(),
                year: 2020,
                value: 80.0,
            }),
            latest: None,
            share_covered: share,
            required_yearly_change: None,
            actual_yearly_change: None,
            pace_ratio: None,
            linear_projection: None,
            compound_growth_rate: None,
            compound_projection: None,
            projected_year: None,
            status,
        }
    }

    #[test]
    fn every_roadmap_status_maps_onto_the_models_standing_or_none() {
        let cases = [
            (Status::Reached, Some(1.0), Some("veryGood")),
            (Status::OnTrack, Some(0.5), Some("good")),
            (Status::AtRisk, Some(0.3), Some("fair")),
            (Status::OffTrack, Some(0.1), Some("bad")),
            (Status::OffTrack, None, Some("bad")),
            (Status::OffTrack, Some(-0.2), Some("veryBad")),
            (Status::NoData, None, None),
            (Status::NotMeasurable, None, None),
        ];
        for (status, share, expected) in cases {
            assert_eq!(standing(&measures(status, share)), expected, "{status:?}");
        }
    }

    #[test]
    fn a_period_spans_its_first_to_its_last_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            period_days("2023"),
            Some((d("2023-01-01"), d("2023-12-31")))
        );
        assert_eq!(
            period_days("2024-Q1"),
            Some((d("2024-01-01"), d("2024-03-31")))
        );
        assert_eq!(
            period_days("2024-02"),
            Some((d("2024-02-01"), d("2024-02-29")))
        );
        assert_eq!(
            period_days("2023-05-17"),
            Some((d("2023-05-17"), d("2023-05-17")))
        );
        assert_eq!(period_days("last year"), None);
    }

    #[test]
    fn frequencies_outside_the_models_enum_are_left_out() {
        assert_eq!(calculation_frequency(Frequency::Annual), Some("yearly"));
        assert_eq!(
            calculation_frequency(Frequency::Quarterly),
            Some("quarterly")
        );
        assert_eq!(calculation_frequency(Frequency::Irregular), None);
        assert_eq!(calculation_frequency(Frequency::Unknown), None);
    }

    #[test]
    fn normalized_attributes_are_properties_dates_and_relationships() {
        let kpi = Kpi {
            id: indicator_id("x", "BE10"),
            geo: "BE10".into(),
            attributes: vec![
                ("kpiValue", Attribute::Value(json!(91.5))),
                ("dateNextCalculation", Attribute::Date("2026-12-02".into())),
                (
                    "dateModified",
                    Attribute::DateTime("2026-11-30T06:15:00+00:00".into()),
                ),
                (
                    "refKeyPerformanceIndicator",
                    Attribute::Relationship(indicator_id("y", "BE10")),
                ),
            ],
        };
        let context = context();
        let n = kpi.normalized(Some(&context));
        assert_eq!(
            n["id"],
            "urn:ngsi-ld:KeyPerformanceIndicator:desi-city:x:BE10"
        );
        assert_eq!(n["type"], TYPE);
        assert_eq!(n["kpiValue"], json!({"type": "Property", "value": 91.5}));
        assert_eq!(
            n["dateNextCalculation"]["value"],
            json!({"@type": "Date", "@value": "2026-12-02"})
        );
        assert_eq!(n["dateModified"]["value"]["@type"], "DateTime");
        assert_eq!(
            n["refKeyPerformanceIndicator"],
            json!({"type": "Relationship", "object": "urn:ngsi-ld:KeyPerformanceIndicator:desi-city:y:BE10"})
        );
        assert_eq!(n["@context"], context);
        let k = kpi.key_values(None);
        assert_eq!(k["kpiValue"], 91.5);
        assert_eq!(k["dateNextCalculation"], "2026-12-02");
        assert!(k.get("@context").is_none());
    }

    #[test]
    fn no_own_term_is_one_the_protected_core_context_would_replace() {
        let core: Value = serde_json::from_str(include_str!(
            "../tests/fixtures/etsi/ngsi-ld-core-context-v1.9.jsonld"
        ))
        .unwrap();
        let model: Value = serde_json::from_str(include_str!(
            "../tests/fixtures/smart-data-models/KeyPerformanceIndicator/context.jsonld"
        ))
        .unwrap();
        let own = own_context();
        for term in own.as_object().unwrap().keys() {
            assert!(
                core["@context"].get(term).is_none(),
                "{term} is a core term"
            );
            assert!(
                model["@context"].get(term).is_none(),
                "{term} is a model term"
            );
        }
    }
}
