//! `/api/v1/kpis` of `desi-city serve` (the real binary, over a store fetched by the real pipeline
//! from the local upstream serving ../shared/data): every entity checked against the Smart Data
//! Model's own JSON schema (`tests/fixtures/smart-data-models/…/schema.json`, with the
//! `common-schema.json` it `$ref`s resolved from the fixtures, offline), every term resolved
//! against the contexts it names (the model's, the inline one, the NGSI-LD core context of the
//! fixtures), the values against `/series` and `/roadmaps`, the geo filter, both
//! representations, `application/json` with its `Link` header, and the errors. The JSON-LD
//! expansion by a JSON-LD processor (pyld) is `.ci/standards.py`'s.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use serde_json::Value;

use crate::support::{KillOnDrop, Sandbox, fetched_households};
use crate::upstream::Upstream;

const CORE: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";
const MODEL: &str = "https://raw.githubusercontent.com/smart-data-models/dataModel.KeyPerformanceIndicator/master/context.jsonld";
const OWN_IRI: &str = "https://desi-city.eu/ns#";
const ROADMAP: &str = "brussels-capital-example";

fn fixture(path: &str) -> Result<Value> {
    let file = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&file).with_context(|| file.clone())?)
        .with_context(|| file)
}

/// A running `desi-city serve --no-schedule` and a blocking client.
struct Served {
    _child: KillOnDrop,
    base: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.body)
            .with_context(|| format!("not JSON ({}): {}", self.status, self.body))
    }

    /// The problem+json `detail` of an answer with this status.
    fn problem(&self, status: u16) -> Result<String> {
        ensure!(
            self.status == status,
            "expected {status}: {} {}",
            self.status,
            self.body
        );
        ensure!(self.header("content-type") == "application/problem+json");
        Ok(self.json()?["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }
}

impl Served {
    fn start(sandbox: &Sandbox) -> Result<Served> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let indicators = concat!(env!("CARGO_MANIFEST_DIR"), "/indicators");
        let log = sandbox.root.join("serve-kpis.stderr");
        let cmd = sandbox.command(&[
            "serve",
            "--no-schedule",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--indicators-dir",
            indicators,
            "--methodology-dir",
            &format!("{indicators}/methodology"),
        ]);
        let s = crate::support::serve(cmd, port, &log, 1, Duration::from_secs(60))?;
        Ok(Served {
            _child: s.child,
            base: s.base,
            runtime: s.runtime,
            client: s.client,
        })
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Result<Answer> {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let (status, headers, body) = self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .with_context(|| format!("GET {path}"))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            anyhow::Ok((status, headers, response.text().await?))
        })?;
        ensure!(status != 500, "GET {path} answered 500: {body}");
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    fn ok(&self, path: &str) -> Result<Answer> {
        let answer = self.get(path, &[])?;
        ensure!(
            answer.status == 200,
            "GET {path}: {} {}",
            answer.status,
            answer.body
        );
        Ok(answer)
    }
}

/// The model's JSON schema, with the common schema it `$ref`s served from the fixtures.
fn validator() -> Result<jsonschema::Validator> {
    let schema = fixture("smart-data-models/KeyPerformanceIndicator/schema.json")?;
    let common = fixture("smart-data-models/data-models/common-schema.json")?;
    let registry = jsonschema::Registry::new()
        .add(
            "https://smart-data-models.github.io/data-models/common-schema.json",
            common,
        )?
        .prepare()?;
    Ok(jsonschema::options()
        .offline()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&schema)?)
}

/// What a term means under `[model, inline, core]`, as JSON-LD 1.1 resolves it: the last context
/// defining it wins (the core context is protected; it redefines none of the model's terms
/// differently); `None` when no context defines it (the core's `@vocab` would then make it a
/// `default-context/` IRI: a term the entity did not define).
fn resolve(contexts: &[&Value], term: &str) -> Option<String> {
    let definition = contexts.iter().rev().find_map(|c| c.get(term))?;
    let iri = match definition {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.get("@id")?.as_str()?.to_owned(),
        _ => return None,
    };
    Some(match iri.split_once(':') {
        // A compact IRI (`ngsi-ld:attrs`): its prefix is a term too.
        Some((prefix, rest)) if !rest.starts_with("//") && !prefix.starts_with('@') => {
            format!("{}{rest}", resolve(contexts, prefix)?)
        }
        _ => iri,
    })
}

/// The schema's errors for one entity, and the terms it uses that resolve to no IRI of the model
/// (or of desi-city's vocabulary for its own terms).
fn check_entity(
    validator: &jsonschema::Validator,
    contexts: &[&Value],
    model_terms: &Value,
    entity: &Value,
) -> Vec<String> {
    let mut problems: Vec<String> = validator
        .iter_errors(entity)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    let id = entity["id"].as_str().unwrap_or_default();
    let mut terms: Vec<&str> = entity
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if let Some(period) = entity["calculationPeriod"].as_object() {
        terms.extend(period.keys().map(String::as_str));
    }
    for term in terms {
        if term == "@context" {
            continue;
        }
        let problem = match (resolve(contexts, term), model_terms.get(term)) {
            (None, _) => Some("is defined by no context".to_owned()),
            // A model term: what the model's context alone makes of it (no other context
            // redefines it).
            (Some(iri), Some(_)) if !["id", "type"].contains(&term) => (Some(iri.clone())
                != resolve(&contexts[..1], term))
            .then(|| format!("→ {iri}, not the model's IRI")),
            (Some(iri), None) => (!iri.starts_with(OWN_IRI)
                && iri != "http://purl.org/dc/terms/license")
                .then(|| format!("→ {iri}, not desi-city's vocabulary")),
            _ => None,
        };
        if let Some(problem) = problem {
            problems.push(format!("{id}: {term} {problem}"));
        }
    }
    if entity["type"] != "KeyPerformanceIndicator" {
        problems.push(format!("{id}: type {}", entity["type"]));
    }
    problems
}

/// The last row of a series with a value.
fn latest_of(series: &Value) -> Option<&Value> {
    series["data"]
        .as_array()?
        .iter()
        .rev()
        .find(|r| !r["value"].is_null())
}

#[test]
fn the_dashboards_kpis_are_ngsi_ld_entities_of_the_smart_data_model_with_the_values_the_api_serves()
-> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let served = Served::start(&sandbox)?;

    let answer = served.ok("/api/v1/kpis")?;
    ensure!(
        answer.header("content-type") == "application/ld+json",
        "{}",
        answer.header("content-type")
    );
    let etag = answer.header("etag").to_owned();
    ensure!(!etag.is_empty(), "no ETag");
    let entities = answer.json()?;
    let entities = entities.as_array().context("an array")?;
    ensure!(!entities.is_empty(), "no entity");

    // Without ?geo=, the dashboard's city, its country and the EU (the default city: BE10).
    let geos: BTreeSet<&str> = entities.iter().filter_map(|e| e["area"].as_str()).collect();
    ensure!(
        geos == BTreeSet::from(["BE10", "BE", "EU27_2020"]),
        "{geos:?}"
    );

    // Every entity: the model's JSON schema, and every term resolved by its own @context.
    let validator = validator()?;
    let model = fixture("smart-data-models/KeyPerformanceIndicator/context.jsonld")?;
    let core = fixture("etsi/ngsi-ld-core-context-v1.9.jsonld")?;
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for entity in entities {
        let context = &entity["@context"];
        ensure!(
            context[0] == MODEL && context[2] == CORE && context[1].is_object(),
            "@context {context}"
        );
        let contexts = [&model["@context"], &context[1], &core["@context"]];
        problems.extend(check_entity(
            &validator,
            &contexts,
            &model["@context"],
            entity,
        ));
        let id = entity["id"].as_str().context("id")?;
        ensure!(ids.insert(id.to_owned()), "{id} twice");
        ensure!(
            id.starts_with("urn:ngsi-ld:KeyPerformanceIndicator:desi-city:")
                && id.ends_with(&format!(":{}", entity["area"].as_str().unwrap_or("?"))),
            "{id}"
        );
    }
    ensure!(problems.is_empty(), "{}", problems.join("\n"));

    // A check that cannot pass on a wrong entity: the schema refuses a standing outside its enum,
    // and an attribute no context defines is found.
    let mut wrong = entities[0].clone();
    wrong["currentStanding"] = "on track".into();
    wrong["madeUp"] = 1.into();
    let contexts = [
        &model["@context"],
        &entities[0]["@context"][1],
        &core["@context"],
    ];
    let found = check_entity(&validator, &contexts, &model["@context"], &wrong);
    ensure!(
        found.iter().any(|p| p.contains("currentStanding"))
            && found.iter().any(|p| p.contains("madeUp")),
        "{found:?}"
    );

    let by_id: BTreeMap<&str, &Value> = entities
        .iter()
        .map(|e| (e["id"].as_str().unwrap_or_default(), e))
        .collect();

    // An indicator × geo: the latest value /series gives, its period, version and unit.
    for (indicator, geo) in [
        ("households_internet_access", "BE"),
        ("households_internet_access", "EU27_2020"),
        ("households_internet_access_regional", "BE10"),
    ] {
        let id = format!("urn:ngsi-ld:KeyPerformanceIndicator:desi-city:{indicator}:{geo}");
        let entity = by_id.get(id.as_str()).with_context(|| format!("no {id}"))?;
        let series = served
            .ok(&format!("/api/v1/indicators/{indicator}/series?geo={geo}"))?
            .json()?;
        let latest = latest_of(&series).context("a value")?;
        ensure!(
            entity["kpiValue"] == latest["value"],
            "{id}: {} vs {latest}",
            entity["kpiValue"]
        );
        ensure!(entity["period"] == latest["period"], "{id}");
        ensure!(entity["datasetVersion"] == latest["version"], "{id}");
        ensure!(entity["unit"] == series["indicator"]["unit"], "{id}");
        let year = latest["period"].as_str().context("period")?;
        ensure!(
            entity["calculationPeriod"]["from"] == format!("{year}-01-01")
                && entity["calculationPeriod"]["to"] == format!("{year}-12-31"),
            "{id}: {}",
            entity["calculationPeriod"]
        );
        ensure!(entity["calculationFrequency"] == "yearly", "{id}");
        ensure!(
            entity["source"]
                == format!(
                    "https://ec.europa.eu/eurostat/databrowser/product/page/{}",
                    series["indicator"]["eurostat_code"]
                        .as_str()
                        .unwrap_or_default()
                ),
            "{id}: {}",
            entity["source"]
        );
        ensure!(entity["license"] == series["source"]["licence_url"], "{id}");
        // The next scheduled fetch is in the future.
        let next = entity["dateNextCalculation"]
            .as_str()
            .context("dateNextCalculation")?;
        let today = chrono::Utc::now().date_naive().to_string();
        ensure!(next >= today.as_str(), "{id}: {next} before {today}");
    }

    // Each target × geo of the roadmap: one entity, with what /roadmaps/{id} gives; none for a
    // geo the target does not name.
    let roadmap = served.ok(&format!("/api/v1/roadmaps/{ROADMAP}"))?.json()?;
    let mut expected = BTreeSet::new();
    for row in roadmap["progress"].as_array().context("progress")? {
        let (target, geo) = (
            row["target"].as_str().unwrap_or_default(),
            row["geo"].as_str().unwrap_or_default(),
        );
        if !geos.contains(geo) {
            continue;
        }
        let id = format!("urn:ngsi-ld:KeyPerformanceIndicator:desi-city:{ROADMAP}.{target}:{geo}");
        expected.insert(id.clone());
        let entity = by_id.get(id.as_str()).with_context(|| format!("no {id}"))?;
        ensure!(entity["targetValue"] == row["target_value"], "{id}");
        ensure!(entity["targetYear"] == row["target_year"], "{id}");
        ensure!(entity["roadmapStatus"] == row["status"], "{id}");
        ensure!(
            entity.get("projectedYear").unwrap_or(&Value::Null) == &row["projected_year"],
            "{id}"
        );
        ensure!(
            entity.get("kpiValue").unwrap_or(&Value::Null) == &row["latest"]["value"],
            "{id}"
        );
        let standing = match row["status"].as_str().unwrap_or_default() {
            "reached" => Some("veryGood"),
            "on track" => Some("good"),
            "at risk" => Some("fair"),
            "off track" if row["share_covered"].as_f64().is_some_and(|s| s < 0.0) => {
                Some("veryBad")
            }
            "off track" => Some("bad"),
            _ => None,
        };
        ensure!(
            entity["currentStanding"].as_str() == standing,
            "{id}: {}",
            entity["currentStanding"]
        );
    }
    ensure!(
        !expected.is_empty(),
        "no target of {ROADMAP} for the dashboard's geos"
    );
    let targets: BTreeSet<String> = entities
        .iter()
        .filter(|e| e["roadmap"] == ROADMAP)
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    ensure!(targets == expected, "{targets:?} vs {expected:?}");
    // And against the definitions /roadmaps lists: a target's entity only for a geo it names.
    let definitions = served.ok("/api/v1/roadmaps")?.json()?;
    let named: BTreeSet<String> = definitions["roadmaps"]
        .as_array()
        .context("roadmaps")?
        .iter()
        .flat_map(|r| {
            let roadmap = r["id"].as_str().unwrap_or_default().to_owned();
            r["targets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .flat_map(move |t| {
                    let prefix = format!(
                        "urn:ngsi-ld:KeyPerformanceIndicator:desi-city:{roadmap}.{}:",
                        t["id"].as_str().unwrap_or_default()
                    );
                    t["geos"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |g| format!("{prefix}{}", g.as_str().unwrap_or_default()))
                })
        })
        .collect();
    for entity in entities.iter().filter(|e| e.get("roadmap").is_some()) {
        let id = entity["id"].as_str().unwrap_or_default();
        ensure!(
            named.contains(id),
            "{id}: a target entity for a geo its target does not name"
        );
    }
    // At least one measured target links to its indicator's entity, which is served too.
    let linked: Vec<&str> = entities
        .iter()
        .filter_map(|e| e["refKeyPerformanceIndicator"].as_str())
        .collect();
    ensure!(
        !linked.is_empty() && linked.iter().all(|l| by_id.contains_key(l)),
        "{linked:?}"
    );

    // Revalidation.
    let again = served.get("/api/v1/kpis", &[("if-none-match", &etag)])?;
    ensure!(again.status == 304, "{}", again.status);
    // CORS, as every route.
    let cors = served.get("/api/v1/kpis", &[("origin", "https://city.example")])?;
    ensure!(cors.header("access-control-allow-origin") == "*", "CORS");
    Ok(())
}

#[test]
fn the_kpis_are_filtered_by_geo_served_normalized_or_as_json_with_a_context_link_and_errors_are_problems()
-> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let served = Served::start(&sandbox)?;

    let only = served.ok("/api/v1/kpis?geo=BE10")?.json()?;
    let only = only.as_array().context("array")?;
    ensure!(
        !only.is_empty() && only.iter().all(|e| e["area"] == "BE10"),
        "{only:?}"
    );
    let key_values = only
        .iter()
        .find(|e| e["kpiValue"].is_number())
        .context("a value")?;

    // Normalized: every attribute a Property or a Relationship, the same values.
    let normalized = served
        .ok("/api/v1/kpis?geo=BE10&options=normalized")?
        .json()?;
    let normalized = normalized.as_array().context("array")?;
    ensure!(normalized.len() == only.len());
    for entity in normalized {
        for (name, attribute) in entity.as_object().context("object")? {
            if ["id", "type", "@context"].contains(&name.as_str()) {
                continue;
            }
            match attribute["type"].as_str() {
                Some("Property") => ensure!(attribute.get("value").is_some(), "{name}"),
                Some("Relationship") => ensure!(attribute["object"].is_string(), "{name}"),
                _ => bail!("{name}: {attribute}"),
            }
        }
    }
    let same = normalized
        .iter()
        .find(|e| e["id"] == key_values["id"])
        .context("the same entity")?;
    ensure!(same["kpiValue"]["value"] == key_values["kpiValue"]);
    ensure!(same["dateNextCalculation"]["value"]["@type"] == "Date");

    // application/json: no @context in the body, a Link header to one context document.
    let json = served.get("/api/v1/kpis?geo=BE10", &[("accept", "application/json")])?;
    ensure!(json.status == 200 && json.header("content-type") == "application/json");
    let body = json.json()?;
    ensure!(
        body.as_array()
            .is_some_and(|a| a.iter().all(|e| e.get("@context").is_none()))
    );
    let link = json
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("rel=\"http://www.w3.org/ns/json-ld#context\""))
        .context("a JSON-LD context Link header")?
        .to_owned();
    let url = link
        .strip_prefix('<')
        .and_then(|l| l.split_once('>'))
        .map(|(u, _)| u.to_owned())
        .context("<url>")?;
    let path = url
        .strip_prefix(&served.base)
        .with_context(|| url.clone())?;
    let context = served.ok(path)?;
    ensure!(context.header("content-type") == "application/ld+json");
    ensure!(context.json()?["@context"] == key_values["@context"]);

    // Errors: problem+json naming what to fix.
    let detail = served.get("/api/v1/kpis?geo=B%20E", &[])?.problem(400)?;
    ensure!(detail.contains("geo"), "{detail}");
    let detail = served
        .get("/api/v1/kpis?geo=BE10,XX99", &[])?
        .problem(404)?;
    ensure!(
        detail.contains("geo") && detail.contains("XX99"),
        "{detail}"
    );
    let detail = served
        .get("/api/v1/kpis?options=concise", &[])?
        .problem(400)?;
    ensure!(detail.contains("options"), "{detail}");
    served.get("/api/v1/kpis?colour=red", &[])?.problem(400)?;
    served
        .get("/api/v1/kpis", &[("accept", "text/csv")])?
        .problem(406)?;
    Ok(())
}
