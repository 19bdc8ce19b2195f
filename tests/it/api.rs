//! The HTTP API of `desi-city serve`, started as the real binary on a free port over a store built
//! by the real pipeline (`fetch` from the local upstream serving ../shared/data, `import` of the
//! DESI 2022 table): bodies, headers (ETag/304, CORS, compression, content types, caching), every
//! format parsed back, Range requests on Parquet read back with the `parquet` crate, problem+json
//! errors, the admin token, and a hot swap during concurrent requests.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use reqwest::header::HeaderMap;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{KillOnDrop, Sandbox, fetched_households, sha256_file};
use crate::upstream::{Upstream, shared_file};

const TOKEN: &str = "test-admin-token-0123456789";
const SERIES: &str = "/api/v1/indicators/households_internet_access/series";

/// A running `desi-city serve` and a client for it.
struct Served {
    _child: KillOnDrop,
    base: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    log: std::path::PathBuf,
}

/// One answer, read whole.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A problem+json answer with this status; its `detail` is returned.
    fn problem(&self, status: u16) -> Result<String> {
        ensure!(
            self.status == status,
            "expected {status}, got {}: {}",
            self.status,
            self.text()
        );
        ensure!(
            self.header("content-type") == "application/problem+json",
            "content type {:?}",
            self.header("content-type")
        );
        let v = self.json()?;
        ensure!(v["status"] == status, "{v}");
        Ok(v["detail"].as_str().unwrap_or_default().to_owned())
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Served {
    /// Starts `serve --no-schedule` over the sandbox with the repository's indicators, with the
    /// admin token set, and waits for `/health`.
    fn start(sandbox: &Sandbox) -> Result<Served> {
        Served::start_with(sandbox, &[("DESI_CITY_ADMIN_TOKEN", TOKEN)])
    }

    /// Same, with exactly these extra environment variables (no admin token unless given).
    fn start_with(sandbox: &Sandbox, env: &[(&str, &str)]) -> Result<Served> {
        let port = free_port()?;
        let indicators = concat!(env!("CARGO_MANIFEST_DIR"), "/indicators");
        let log = sandbox.root.join(format!("serve-{}.stderr", rand_suffix()));
        let mut cmd = sandbox.command(&[
            "serve",
            "--no-schedule",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--indicators-dir",
            indicators,
            "--methodology-dir",
            &format!("{indicators}/methodology"),
        ]);
        cmd.envs(env.iter().copied());
        let s = crate::support::serve(cmd, port, &log, 4, Duration::from_secs(30))?;
        Ok(Served {
            _child: s.child,
            base: s.base,
            runtime: s.runtime,
            client: s.client,
            log,
        })
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Answer> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .with_context(|| format!("GET {path}"))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await?.to_vec();
            Ok(Answer {
                status,
                headers,
                body,
            })
        })
    }

    fn get(&self, path: &str) -> Result<Answer> {
        self.get_with(path, &[])
    }

    fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Result<Answer> {
        let answer = self.request(reqwest::Method::GET, path, headers)?;
        ensure!(
            answer.status != 500,
            "GET {path} answered 500: {}\nserver log:\n{}",
            answer.text(),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
        Ok(answer)
    }

    fn ok(&self, path: &str) -> Result<Answer> {
        let answer = self.get(path)?;
        ensure!(
            answer.status == 200,
            "GET {path}: {} {}",
            answer.status,
            answer.text()
        );
        Ok(answer)
    }
}

fn rand_suffix() -> u32 {
    std::process::id() ^ Instant::now().elapsed().subsec_nanos() ^ rand_seed()
}

fn rand_seed() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish() as u32
}

/// The households sources fetched, and the DESI 2022 table imported.
fn store() -> Result<(Upstream, Sandbox)> {
    let server = Upstream::with_shared_files()?;
    let sandbox = fetched_households(&server)?;
    let table = shared_file("desi/2022/indicators_complete.csv");
    sandbox
        .run(&[
            "import",
            table.to_str().context("UTF-8 path")?,
            "--dataset",
            "desi_2022_complete",
            "--format",
            "desi-wide",
        ])?
        .ok()?;
    Ok((server, sandbox))
}

/// The stored value and flags of isoc_ci_in_h for a geo and year (PC_HH, TOTAL).
fn stored(sandbox: &Sandbox, geo: &str, year: &str) -> Result<(Option<f64>, Option<String>)> {
    let file = sandbox.current("isoc_ci_in_h")?.file;
    crate::support::cell(
        &file,
        &[
            ("geo", geo),
            ("period", year),
            ("unit", "PC_HH"),
            ("hhtyp", "TOTAL"),
        ],
    )
}

#[test]
fn a_series_is_served_as_json_csv_jsonstat_and_sdmx_csv_with_the_stored_values_and_their_provenance()
-> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let current = sandbox.current("isoc_ci_in_h")?;
    let path = format!("{SERIES}?geo=BE,EU27_2020&from=2015");

    // JSON: every row carries value, flags, EU27 value, rank, version and upstream update date.
    let json = served.ok(&path)?;
    ensure!(json.header("content-type").starts_with("application/json"));
    let v = json.json()?;
    ensure!(
        v["source"]["version"] == current.version.as_str(),
        "{}",
        v["source"]
    );
    ensure!(v["source"]["licence"] == "CC-BY-4.0", "{}", v["source"]);
    let rows = v["data"].as_array().context("data is an array")?;
    ensure!(rows.len() >= 10, "{} rows", rows.len());
    let mut json_cells = BTreeMap::new();
    for row in rows {
        ensure!(row["version"] == current.version.as_str(), "{row}");
        ensure!(row["upstream_updated"].is_string(), "{row}");
        let geo = row["geo"].as_str().context("geo")?;
        let period = row["period"].as_str().context("period")?;
        let (value, flags) = stored(&sandbox, geo, period)?;
        ensure!(row["value"].as_f64() == value, "{row} vs stored {value:?}");
        ensure!(
            row["flags"].as_str() == flags.as_deref(),
            "{row} vs stored {flags:?}"
        );
        if geo == "BE" && value.is_some() {
            let (eu, _) = stored(&sandbox, "EU27_2020", period)?;
            ensure!(row["eu27_value"].as_f64() == eu, "{row}");
            let rank = row["rank_eu27"].as_u64().context("BE has a rank")?;
            ensure!((1..=27).contains(&rank), "{row}");
        }
        json_cells.insert((geo.to_owned(), period.to_owned()), row["value"].as_f64());
    }
    ensure!(json_cells.contains_key(&("BE".into(), "2023".into())));

    // CSV, asked by Accept: the same cells.
    let csv = served.get_with(
        &format!("{SERIES}?geo=BE,EU27_2020&from=2015"),
        &[("accept", "text/csv")],
    )?;
    ensure!(csv.status == 200 && csv.header("content-type").starts_with("text/csv"));
    ensure!(csv.header("content-disposition").contains("attachment"));
    let mut reader = csv::Reader::from_reader(csv.body.as_slice());
    let head = reader.headers()?.clone();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .with_context(|| format!("no {name} column in {head:?}"))
    };
    let (g, p, val, ver) = (col("geo")?, col("period")?, col("value")?, col("version")?);
    col("upstream_updated")?;
    col("flags")?;
    let mut csv_cells = BTreeMap::new();
    for record in reader.records() {
        let r = record?;
        ensure!(&r[ver] == current.version.as_str());
        let value = (!r[val].is_empty())
            .then(|| r[val].parse::<f64>())
            .transpose()?;
        csv_cells.insert((r[g].to_owned(), r[p].to_owned()), value);
    }
    ensure!(
        csv_cells == json_cells,
        "CSV {csv_cells:?}\nJSON {json_cells:?}"
    );

    // JSON-stat 2.0: dense values in dimension order, flags in `status`, roles, source, updated.
    let js = served.get_with(&path, &[("accept", "application/json; profile=jsonstat")])?;
    ensure!(js.status == 200, "{}", js.text());
    ensure!(js.header("content-type").contains("jsonstat"));
    let d = js.json()?;
    ensure!(d["version"] == "2.0" && d["class"] == "dataset", "{d}");
    ensure!(
        d["role"]["time"][0] == "time" && d["role"]["geo"][0] == "geo",
        "{}",
        d["role"]
    );
    ensure!(
        d["source"]
            .as_str()
            .is_some_and(|s| s.contains("isoc_ci_in_h")),
        "{}",
        d["source"]
    );
    ensure!(d["updated"].is_string());
    let ids: Vec<&str> = d["id"]
        .as_array()
        .context("id")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let sizes: Vec<usize> = d["size"]
        .as_array()
        .context("size")?
        .iter()
        .filter_map(|s| s.as_u64().map(|s| s as usize))
        .collect();
    ensure!(ids.len() == sizes.len());
    let index = |dim: &str, code: &str| {
        d["dimension"][dim]["category"]["index"][code]
            .as_u64()
            .map(|i| i as usize)
    };
    let mut flagged = 0;
    for ((geo, period), value) in &json_cells {
        let mut flat = 0;
        for (dim, size) in ids.iter().zip(&sizes) {
            let i = match *dim {
                "geo" => index("geo", geo),
                "time" => index("time", period),
                other => index(other, "households_internet_access").or(Some(0)),
            }
            .with_context(|| format!("{dim} has no code for {geo} {period}"))?;
            flat = flat * size + i;
        }
        ensure!(
            d["value"][flat].as_f64() == *value,
            "{geo} {period}: {} vs {value:?}",
            d["value"][flat]
        );
        let (_, flags) = stored(&sandbox, geo, period)?;
        if let Some(flags) = flags {
            ensure!(
                d["status"][flat.to_string()] == flags.as_str(),
                "{geo} {period} status"
            );
            flagged += 1;
        }
    }
    ensure!(flagged > 0, "no flagged cell was checked");

    // SDMX-CSV 2.0.
    let sdmx = served.get(&format!("{path}&format=sdmx-csv"))?;
    ensure!(
        sdmx.status == 200
            && sdmx
                .header("content-type")
                .starts_with("application/vnd.sdmx.data+csv")
    );
    let mut reader = csv::Reader::from_reader(sdmx.body.as_slice());
    let head = reader.headers()?.clone();
    ensure!(
        head.iter()
            .take(3)
            .eq(["STRUCTURE", "STRUCTURE_ID", "ACTION"]),
        "{head:?}"
    );
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .with_context(|| format!("no {name} in {head:?}"))
    };
    let (g, t, o) = (col("GEO")?, col("TIME_PERIOD")?, col("OBS_VALUE")?);
    col("OBS_FLAG")?;
    let mut sdmx_cells = BTreeMap::new();
    for record in reader.records() {
        let r = record?;
        ensure!(&r[0] == "dataflow" && &r[2] == "I", "{r:?}");
        let value = (!r[o].is_empty())
            .then(|| r[o].parse::<f64>())
            .transpose()?;
        sdmx_cells.insert((r[g].to_owned(), r[t].to_owned()), value);
    }
    ensure!(
        sdmx_cells.iter().all(|(k, v)| json_cells.get(k) == Some(v))
            && sdmx_cells.len() >= json_cells.values().filter(|v| v.is_some()).count(),
        "SDMX {sdmx_cells:?}"
    );
    Ok(())
}

#[test]
fn every_get_has_a_strong_etag_and_if_none_match_answers_304_with_the_same_validators() -> Result<()>
{
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let current = sandbox.current("isoc_ci_in_h")?;
    for path in [
        format!("{SERIES}?geo=BE"),
        "/api/v1/indicators".to_owned(),
        "/api/v1/indicators/households_internet_access?lang=fr".to_owned(),
        "/api/v1/dimensions?geo=BE".to_owned(),
        "/api/v1/desi?edition=2022&geo=BE,AT".to_owned(),
        "/api/v1/roadmaps".to_owned(),
        "/api/v1/roadmaps/eu-digital-decade-2030?geo=BE".to_owned(),
        "/api/v1/regions?geo=BE10".to_owned(),
        "/api/v1/datasets".to_owned(),
        "/api/v1/datasets/isoc_ci_in_h".to_owned(),
        "/api/v1/datasets/isoc_ci_in_h.parquet".to_owned(),
        format!(
            "/api/v1/datasets/isoc_ci_in_h/versions/{}.parquet",
            current.version
        ),
        format!("/api/v1/datasets/isoc_ci_in_h/versions/{}", current.version),
        "/api/v1/sources".to_owned(),
        "/api/v1/changes.atom".to_owned(),
        "/api/v1/cite?indicator=households_internet_access&geo=BE".to_owned(),
        "/api/v1/health".to_owned(),
        "/health".to_owned(),
        "/api/v1/openapi.json".to_owned(),
    ] {
        let first = served.ok(&path)?;
        let etag = first.header("etag").to_owned();
        ensure!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "{path}: ETag {etag:?}"
        );
        ensure!(
            !first.header("cache-control").is_empty(),
            "{path}: no Cache-Control"
        );
        let again = served.get(&path)?;
        ensure!(
            again.header("etag") == etag,
            "{path}: the ETag changed between two GETs"
        );
        let revalidated = served.get_with(&path, &[("if-none-match", &etag)])?;
        ensure!(
            revalidated.status == 304,
            "{path}: If-None-Match answered {}",
            revalidated.status
        );
        ensure!(revalidated.body.is_empty(), "{path}: a 304 with a body");
        for h in ["etag", "cache-control"] {
            ensure!(
                revalidated.header(h) == first.header(h),
                "{path}: {h} differs on the 304"
            );
        }
        let other = served.get_with(&path, &[("if-none-match", "\"something-else\"")])?;
        ensure!(
            other.status == 200,
            "{path}: a different ETag answered {}",
            other.status
        );
    }
    // Metrics change with every request counted, but carry a validator all the same.
    let metrics = served.ok("/api/v1/metrics")?;
    ensure!(
        metrics.header("etag").starts_with('"') && metrics.header("cache-control") == "no-cache"
    );
    // Versioned URLs are immutable; current data is short-lived; both say Vary and the licence.
    let versioned = served.ok(&format!(
        "/api/v1/datasets/isoc_ci_in_h/versions/{}.parquet",
        current.version
    ))?;
    ensure!(versioned.header("cache-control").contains("immutable"));
    let series = served.ok(&format!("{SERIES}?geo=BE"))?;
    ensure!(!series.header("cache-control").contains("immutable"));
    ensure!(series.header("cache-control").contains("max-age="));
    ensure!(series.header("vary").contains("Accept"));
    ensure!(
        series.header("link").contains("rel=\"license\""),
        "{:?}",
        series.header("link")
    );
    ensure!(!series.header("last-modified").is_empty());
    // The query is part of the ETag.
    let other = served.ok(&format!("{SERIES}?geo=EU27_2020"))?;
    ensure!(other.header("etag") != series.header("etag"));
    Ok(())
}

#[test]
fn cors_is_open_for_gets_and_answers_compress_when_asked() -> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let path = "/api/v1/datasets";
    let answer = served.get_with(path, &[("origin", "https://dashboard.example")])?;
    ensure!(answer.header("access-control-allow-origin") == "*");
    let exposed = answer
        .header("access-control-expose-headers")
        .to_ascii_lowercase();
    for h in ["etag", "link", "content-disposition"] {
        ensure!(exposed.contains(h), "{h} not exposed: {exposed}");
    }
    ensure!(answer.header("access-control-allow-credentials").is_empty());
    let preflight = served.request(
        reqwest::Method::OPTIONS,
        path,
        &[
            ("origin", "https://dashboard.example"),
            ("access-control-request-method", "GET"),
        ],
    )?;
    ensure!(
        preflight.status == 200
            && preflight
                .header("access-control-allow-methods")
                .contains("GET")
    );

    let plain = served.ok(path)?;
    for encoding in ["gzip", "br"] {
        let compressed = served.get_with(path, &[("accept-encoding", encoding)])?;
        ensure!(compressed.status == 200);
        ensure!(
            compressed.header("content-encoding") == encoding,
            "{encoding}: {:?}",
            compressed.header("content-encoding")
        );
        ensure!(compressed.body.len() < plain.body.len());
    }
    let gzipped = served.get_with(path, &[("accept-encoding", "gzip")])?;
    ensure!(
        gunzip(&gzipped.body)? == plain.body,
        "gzip does not decode to the plain body"
    );
    Ok(())
}

/// The bytes of a gzip body, decoded (the decoder checks its CRC-32 and length).
fn gunzip(body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out)?;
    Ok(out)
}

#[test]
fn a_series_in_gzip_is_assembled_from_its_rows_and_decodes_to_the_identity_answer() -> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    // What a browser asks: gzip comes before br for a series (its gzip is assembled, its br
    // compressed per request). Whole geos in any order, a year range cutting them, and CSV.
    let browser = "gzip, deflate, br, zstd";
    for query in [
        "geo=EU27_2020,BE",
        "geo=BE&format=csv",
        "geo=BE,EU27_2020&to=2019",
        "geo=EU27_2020,BE&format=csv&to=2019",
    ] {
        let path = format!("{SERIES}?{query}");
        let plain = served.ok(&path)?;
        let gzip = served.get_with(&path, &[("accept-encoding", browser)])?;
        ensure!(gzip.status == 200, "{query}: {}", gzip.status);
        ensure!(
            gzip.header("content-encoding") == "gzip",
            "{query}: {:?}",
            gzip.header("content-encoding")
        );
        // Assembled, or (a year range cutting the geos' rows) compressed once and kept: whole,
        // with its length.
        ensure!(
            gzip.header("content-length") == gzip.body.len().to_string(),
            "{query}: {:?}",
            gzip.headers
        );
        ensure!(
            gzip.body.len() * 3 < plain.body.len(),
            "{query}: {} bytes",
            gzip.body.len()
        );
        ensure!(
            gunzip(&gzip.body)? == plain.body,
            "{query}: gzip does not decode to the identity answer"
        );
        let tag = gzip.header("etag").to_owned();
        ensure!(
            tag.ends_with("-gzip\"") && tag != plain.header("etag"),
            "{query}: {tag}"
        );
        ensure!(vary(&gzip).contains("accept-encoding"));
        let again = served.get_with(
            &path,
            &[("accept-encoding", browser), ("if-none-match", &tag)],
        )?;
        ensure!(
            again.status == 304 && again.header("etag") == tag,
            "{query}: {}",
            again.status
        );
        // Asked again: the same bytes (from the answer cache or assembled anew).
        let twice = served.get_with(&path, &[("accept-encoding", "gzip")])?;
        ensure!(
            twice.body == gzip.body && twice.header("etag") == tag,
            "{query}"
        );
        // br when it is preferred, still.
        let br = served.get_with(&path, &[("accept-encoding", "br, gzip;q=0.5")])?;
        ensure!(
            br.header("content-encoding") == "br",
            "{query}: {:?}",
            br.header("content-encoding")
        );
    }
    Ok(())
}

#[test]
fn parquet_downloads_honour_range_and_read_back_whole_with_the_parquet_crate() -> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let current = sandbox.current("isoc_ci_in_h")?;
    let size = std::fs::metadata(&current.file)?.len();
    for path in [
        "/api/v1/datasets/isoc_ci_in_h.parquet".to_owned(),
        format!(
            "/api/v1/datasets/isoc_ci_in_h/versions/{}.parquet",
            current.version
        ),
    ] {
        let head = served.get_with(&path, &[("range", "bytes=0-3")])?;
        ensure!(head.status == 206, "{path}: {}", head.status);
        ensure!(head.body == b"PAR1", "{:?}", &head.body);
        ensure!(head.header("content-range") == format!("bytes 0-3/{size}"));
        let tail = served.get_with(&path, &[("range", "bytes=-8")])?;
        ensure!(tail.status == 206 && tail.body.len() == 8 && tail.body.ends_with(b"PAR1"));
        let bad = served.get_with(&path, &[("range", &format!("bytes={}-", size + 10))])?;
        ensure!(
            bad.status == 416,
            "unsatisfiable range answered {}",
            bad.status
        );

        let whole = served.ok(&path)?;
        ensure!(whole.header("content-type") == "application/vnd.apache.parquet");
        ensure!(whole.header("accept-ranges") == "bytes");
        ensure!(
            whole.header("content-encoding").is_empty(),
            "Parquet must not be re-compressed"
        );
        let download = sandbox.root.join("download.parquet");
        std::fs::write(&download, &whole.body)?;
        ensure!(sha256_file(&download)? == sha256_file(&current.file)?);
        let reader = parquet::file::reader::SerializedFileReader::new(File::open(&download)?)?;
        let rows = parquet::file::reader::FileReader::metadata(&reader)
            .file_metadata()
            .num_rows();
        ensure!(
            rows as u64 == current.rows,
            "{rows} rows vs {}",
            current.rows
        );
    }
    // The CSV download has one line per row plus the header.
    let csv = served.ok("/api/v1/datasets/isoc_ci_in_h.csv")?;
    ensure!(
        csv::Reader::from_reader(csv.body.as_slice())
            .records()
            .count() as u64
            == current.rows
    );
    // The dataset's data as JSON-stat and SDMX-CSV.
    let js = served
        .ok("/api/v1/datasets/isoc_ci_in_h?format=jsonstat")?
        .json()?;
    ensure!(
        js["class"] == "dataset"
            && js["id"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|i| i == "geo"))
    );
    let sdmx = served
        .ok("/api/v1/datasets/isoc_ci_in_h?format=sdmx-csv")?
        .text();
    ensure!(sdmx.starts_with("STRUCTURE,STRUCTURE_ID,ACTION,"));
    ensure!(
        sdmx.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("dataflow,ESTAT:ISOC_CI_IN_H(1.0),I,")),
        "{}",
        sdmx.lines().nth(1).unwrap_or_default()
    );
    Ok(())
}

#[test]
fn the_catalogue_is_dcat_ap_with_downloads_whose_size_and_checksum_match_the_files() -> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let answer = served.ok("/api/v1/datasets")?;
    ensure!(
        answer
            .header("content-type")
            .starts_with("application/ld+json")
    );
    let text = answer.text();
    let current = sandbox.current("isoc_ci_in_h")?;
    ensure!(
        text.contains("dcat:Catalog") || text.contains("\"Catalog\""),
        "not a DCAT catalogue"
    );
    ensure!(
        text.contains(&current.version),
        "the current version is not listed"
    );
    ensure!(
        text.contains(&sha256_file(&current.file)?),
        "the file checksum is not listed"
    );
    ensure!(text.contains(&std::fs::metadata(&current.file)?.len().to_string()));
    ensure!(
        text.contains("creativecommons.org/licenses/by/4.0"),
        "no licence URI"
    );
    let one = served.ok("/api/v1/datasets/isoc_ci_in_h?lang=fr")?;
    ensure!(one.text().contains(&current.version));
    // Every distribution, Parquet and CSV, of the catalogue and of one dataset's every kept
    // version states the exact size and SHA-256 of the bytes its download URL serves.
    let catalogue = answer.json()?;
    let dataset = one.json()?;
    let mut distributions: Vec<&Value> = Vec::new();
    for d in catalogue["dcat:dataset"].as_array().into_iter().flatten() {
        distributions.extend(d["dcat:distribution"].as_array().into_iter().flatten());
    }
    for v in dataset["dcat:hasVersion"].as_array().into_iter().flatten() {
        distributions.extend(v["dcat:distribution"].as_array().into_iter().flatten());
    }
    let csvs = distributions
        .iter()
        .filter(|d| {
            d["dcat:mediaType"]["@id"]
                .as_str()
                .is_some_and(|m| m.ends_with("/text/csv"))
        })
        .count();
    ensure!(csvs >= 2, "{csvs} CSV distributions in {distributions:?}");
    for d in distributions {
        let url = d["dcat:downloadURL"]["@id"]
            .as_str()
            .context("downloadURL")?;
        let path = &url[url.find("/api/v1/").context("an API URL")?..];
        let body = served.ok(path)?.body;
        ensure!(
            d["dcat:byteSize"]["@value"].as_str() == Some(body.len().to_string().as_str()),
            "{url}: byteSize {} but {} bytes served",
            d["dcat:byteSize"],
            body.len()
        );
        ensure!(
            d["spdx:checksum"]["spdx:checksumValue"]["@value"]
                == hex::encode(Sha256::digest(&body)),
            "{url}: the checksum is not the served bytes'"
        );
    }
    Ok(())
}

#[test]
fn figures_carry_their_language_and_the_composite_and_roadmaps_are_served() -> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let fr = served.get_with(
        "/api/v1/indicators/households_internet_access",
        &[("accept-language", "fr-BE,fr;q=0.9,en;q=0.5")],
    )?;
    ensure!(
        fr.json()?["title"] == "Ménages ayant accès à internet",
        "{}",
        fr.text()
    );
    ensure!(fr.header("content-language") == "fr");
    let nl = served
        .ok("/api/v1/indicators/households_internet_access?lang=nl")?
        .json()?;
    ensure!(nl["title"] == "Huishoudens met internettoegang");

    let desi = served.ok("/api/v1/desi?edition=2022&geo=BE,AT")?.json()?;
    let be = &desi["geos"][0];
    ensure!(be["geo"] == "BE");
    let total = be["desi"]["score"].as_f64().context("BE DESI")?;
    ensure!(
        (total - 50.30738810513644).abs() < 1e-9,
        "BE DESI 2022 {total}"
    );
    ensure!(
        be["desi"]["rank"]
            .as_u64()
            .is_some_and(|r| (1..=27).contains(&r))
    );
    let csv = served.ok("/api/v1/desi?edition=2022&format=csv")?.text();
    ensure!(csv.starts_with("methodology,edition,geo,level,code,score,rank,ranked,title"));

    let roadmap = served
        .ok("/api/v1/roadmaps/eu-digital-decade-2030?geo=BE")?
        .json()?;
    let progress = roadmap["progress"].as_array().context("progress")?;
    ensure!(!progress.is_empty());
    ensure!(
        progress.iter().all(|p| p["status"].is_string()),
        "{progress:?}"
    );

    let regions = served.ok("/api/v1/regions?geo=BE10")?.json()?;
    ensure!(
        regions["label"]
            .as_str()
            .is_some_and(|l| l.contains("own method")),
        "{regions}"
    );

    let dims = served.ok("/api/v1/dimensions?geo=BE&lang=fr")?.json()?;
    let dims = dims["dimensions"].as_array().context("dimensions")?;
    ensure!(dims.len() == 5 && dims[0]["title"] == "Connectivité");

    let sources = served.ok("/api/v1/sources")?.json()?;
    let first = &sources["sources"][0];
    ensure!(
        first["last_success_at"].is_string() && first["next_run_at"].is_string(),
        "{first}"
    );

    let feed = served.ok("/api/v1/changes.atom")?;
    ensure!(
        feed.header("content-type")
            .starts_with("application/atom+xml")
    );
    ensure!(feed.text().contains("isoc_ci_in_h"));

    let cite = served
        .ok("/api/v1/cite?indicator=households_internet_access&geo=BE&format=bibtex")?
        .text();
    let current = sandbox.current("isoc_ci_in_h")?;
    ensure!(
        cite.contains("isoc") && cite.contains(&current.version),
        "{cite}"
    );
    let text = served
        .ok("/api/v1/cite?indicator=households_internet_access&geo=BE&format=text&lang=fr")?
        .text();
    ensure!(
        text.contains("isoc_ci_in_h") && text.contains("BE"),
        "{text}"
    );

    let metrics = served.ok("/api/v1/metrics")?.text();
    ensure!(
        metrics.contains("desi_city_http_requests_total"),
        "{metrics}"
    );

    let openapi = served.ok("/api/v1/openapi.json")?.json()?;
    ensure!(
        openapi["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    let paths = openapi["paths"].as_object().context("paths")?;
    for route in [
        "/api/v1/indicators",
        "/api/v1/indicators/{id}",
        "/api/v1/indicators/{id}/series",
        "/api/v1/dimensions",
        "/api/v1/desi",
        "/api/v1/regions",
        "/api/v1/roadmaps",
        "/api/v1/roadmaps/{id}",
        "/api/v1/datasets",
        "/api/v1/datasets/{file}",
        "/api/v1/datasets/{id}/versions/{file}",
        "/api/v1/sources",
        "/api/v1/changes.atom",
        "/api/v1/cite",
        "/api/v1/health",
        "/api/v1/metrics",
        "/api/v1/openapi.json",
        "/api/v1/admin/refresh",
        "/health",
    ] {
        ensure!(paths.contains_key(route), "openapi.json lacks {route}");
    }
    let params: BTreeSet<&str> = paths["/api/v1/indicators/{id}/series"]["get"]["parameters"]
        .as_array()
        .context("series parameters")?
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for p in ["id", "geo", "from", "to", "as_of", "format", "lang"] {
        ensure!(
            params.contains(p),
            "series parameter {p} undocumented: {params:?}"
        );
    }
    Ok(())
}

#[test]
fn bad_requests_are_problem_json_4xx_that_name_the_parameter_and_never_reach_outside_the_store()
-> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let cases: &[(&str, u16, &[&str])] = &[
        (
            "/api/v1/indicators/households_internet_access/series?gep=BE",
            400,
            &["gep"],
        ),
        (
            "/api/v1/indicators/households_internet_access/series?from=abc",
            400,
            &["from"],
        ),
        (
            "/api/v1/indicators/households_internet_access/series?from=2020&to=2010",
            404,
            &["from", "to"],
        ),
        (
            "/api/v1/indicators/households_internet_access/series?from=1066",
            400,
            &["from", "1066"],
        ),
        // A well-formed geo the data does not hold: nothing to serve (the request is valid).
        (
            "/api/v1/indicators/households_internet_access/series?geo=XX99",
            404,
            &["XX99", "BE"],
        ),
        (
            "/api/v1/indicators/households_internet_access/series?geo=BE;DROP",
            400,
            &["geo"],
        ),
        (
            "/api/v1/indicators/households_internet_access/series?format=xml",
            400,
            &["format", "sdmx-csv"],
        ),
        (
            "/api/v1/indicators/households_internet_access/series?as_of=yesterday",
            400,
            &["as_of", "YYYY-MM-DD"],
        ),
        (
            "/api/v1/indicators/households_internet_access/series?as_of=1999-01-01",
            404,
            &["1999-01-01"],
        ),
        (
            "/api/v1/indicators/households_internet_access/series?lang=es",
            400,
            &["lang", "fr"],
        ),
        (
            "/api/v1/indicators/nope/series",
            404,
            &["nope", "households_internet_access"],
        ),
        ("/api/v1/desi?edition=2013", 400, &["edition", "2017"]),
        ("/api/v1/desi?geo=XX", 404, &["XX"]),
        (
            "/api/v1/desi?edition=2016&methodology=2022",
            404,
            &["2016", "2017"],
        ),
        ("/api/v1/roadmaps/nope", 404, &["nope"]),
        ("/api/v1/regions?geo=BE", 400, &["NUTS-2"]),
        ("/api/v1/datasets/nope.parquet", 404, &["nope"]),
        (
            "/api/v1/datasets/isoc_ci_in_h/versions/nope.parquet",
            404,
            &["nope"],
        ),
        ("/api/v1/datasets/..%2Fmanifest.json", 404, &[]),
        (
            "/api/v1/datasets/isoc_ci_in_h/versions/..%2F..%2Fmanifest.json",
            404,
            &[],
        ),
        ("/api/v1/datasets/%2Fetc%2Fpasswd.csv", 404, &[]),
        (
            "/api/v1/cite?indicator=households_internet_access",
            400,
            &["geo"],
        ),
        ("/api/v1/nowhere", 404, &["openapi.json"]),
    ];
    for (path, status, words) in cases {
        let answer = served.get(path)?;
        let detail = answer
            .problem(*status)
            .with_context(|| format!("GET {path}"))?;
        for w in *words {
            ensure!(
                detail.contains(w),
                "GET {path}: {detail:?} does not say {w:?}"
            );
        }
    }
    let geos: Vec<String> = (0..60).map(|i| format!("G{i:02}")).collect();
    let too_many = served.get(&format!("{SERIES}?geo={}", geos.join(",")))?;
    ensure!(too_many.problem(422)?.contains("at most"));
    let not_acceptable = served.get_with(SERIES, &[("accept", "application/xml")])?;
    ensure!(not_acceptable.problem(406)?.contains("text/csv"));
    Ok(())
}

#[test]
fn the_admin_refresh_needs_the_bearer_token() -> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let path = "/api/v1/admin/refresh?source=isoc_ci_in_h";
    let none = served.request(reqwest::Method::POST, path, &[])?;
    ensure!(none.problem(401)?.contains("Bearer"));
    ensure!(none.header("www-authenticate").starts_with("Bearer"));
    let wrong = served.request(
        reqwest::Method::POST,
        path,
        &[("authorization", "Bearer not-the-token-000000")],
    )?;
    wrong.problem(401)?;
    let bearer = format!("Bearer {TOKEN}");
    let unknown = served.request(
        reqwest::Method::POST,
        "/api/v1/admin/refresh?source=nope",
        &[("authorization", &bearer)],
    )?;
    unknown.problem(404)?;
    let ok = served.request(reqwest::Method::POST, path, &[("authorization", &bearer)])?;
    ensure!(ok.status == 200, "{}", ok.text());
    ensure!(
        ok.json()?["results"][0]["outcome"] == "unchanged",
        "{}",
        ok.text()
    );

    // Without a configured token, the admin routes are off.
    drop(served);
    let served = Served::start_with(&sandbox, &[])?;
    let answer = served.request(reqwest::Method::POST, path, &[("authorization", &bearer)])?;
    ensure!(answer.problem(404)?.contains("off"));
    Ok(())
}

#[test]
fn a_publish_during_concurrent_requests_swaps_atomically_and_no_response_fails_or_mixes_versions()
-> Result<()> {
    let (server, sandbox) = store()?;
    let served = Arc::new(Served::start(&sandbox)?);
    let v1 = sandbox.current("isoc_ci_in_h")?.version;
    let path = format!("{SERIES}?geo=BE,EU27_2020");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..6 {
        let served = served.clone();
        let stop = stop.clone();
        let path = path.clone();
        workers.push(std::thread::spawn(move || -> Result<Vec<String>> {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let answer = served.get(&path)?;
                ensure!(answer.status == 200, "{} {}", answer.status, answer.text());
                let v = answer.json()?;
                let version = v["source"]["version"]
                    .as_str()
                    .context("version")?
                    .to_owned();
                for row in v["data"].as_array().context("data")? {
                    ensure!(
                        row["version"] == version.as_str(),
                        "a response mixes {version} and {}",
                        row["version"]
                    );
                }
                seen.push(version);
            }
            Ok(seen)
        }));
    }
    std::thread::sleep(Duration::from_millis(500));
    // Another process publishes a new version (the legacy TSV of the same dataset)…
    let legacy = shared_file("eurostat/tsv/isoc_ci_in_h_legacy_2008-2019.tsv");
    sandbox
        .run(&[
            "import",
            legacy.to_str().context("UTF-8")?,
            "--dataset",
            "isoc_ci_in_h",
            "--format",
            "tsv",
        ])?
        .ok()?;
    let v2 = sandbox.current("isoc_ci_in_h")?.version;
    ensure!(v2 != v1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while served.ok(&path)?.json()?["source"]["version"] != v2.as_str() {
        ensure!(
            Instant::now() < deadline,
            "the server did not switch to {v2} within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // …then the admin refresh fetches the JSON-stat again and publishes it at once.
    let refreshed = served.request(
        reqwest::Method::POST,
        // The legacy TSV has no `freq` dimension: accept the structure change back.
        "/api/v1/admin/refresh?source=isoc_ci_in_h&accept_structure_change=true",
        &[("authorization", &format!("Bearer {TOKEN}"))],
    )?;
    ensure!(
        refreshed.status == 200 && refreshed.json()?["results"][0]["outcome"] == "published",
        "{}",
        refreshed.text()
    );
    let v3 = sandbox.current("isoc_ci_in_h")?.version;
    ensure!(
        served.ok(&path)?.json()?["source"]["version"] == v3.as_str(),
        "the refresh was not served at once"
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut seen = BTreeSet::new();
    let mut count = 0;
    for w in workers {
        let versions = w
            .join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
        count += versions.len();
        seen.extend(versions);
    }
    ensure!(count > 20, "only {count} requests ran");
    let allowed: BTreeSet<String> = [v1.clone(), v2.clone(), v3.clone()].into();
    ensure!(seen.is_subset(&allowed), "{seen:?} vs {allowed:?}");
    ensure!(seen.contains(&v1) && seen.contains(&v3), "{seen:?}");
    drop(server);
    Ok(())
}

#[test]
fn as_of_answers_from_the_version_current_on_that_date() -> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let v1 = sandbox.current("isoc_ci_in_h")?;
    let today = chrono::Utc::now().date_naive().to_string();
    let now = served
        .ok(&format!("{SERIES}?geo=BE&as_of={today}"))?
        .json()?;
    ensure!(now["source"]["version"] == v1.version.as_str());
    let published = v1.entry["published_at"].as_str().context("published_at")?;
    let day_before = chrono::DateTime::parse_from_rfc3339(published)?
        .date_naive()
        .pred_opt()
        .context("date")?;
    served
        .get(&format!("{SERIES}?geo=BE&as_of={day_before}"))?
        .problem(404)?;
    Ok(())
}

#[test]
fn uncached_computations_beyond_the_rate_limit_get_429_while_cached_answers_still_flow()
-> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start_with(&sandbox, &[("DESI_CITY_COMPUTE_PER_SECOND", "1")])?;
    let cached = format!("{SERIES}?geo=BE");
    served.ok(&cached)?;
    // Selections from the figures computed per version are never limited.
    for year in 2010..2030 {
        let answer = served.get(&format!("{SERIES}?geo=BE&from={year}"))?;
        ensure!(answer.status == 200, "{}", answer.text());
    }
    // A vintage (`as_of`) is computed on demand: limited.
    let mut limited = None;
    for day in 1..28 {
        let answer = served.get(&format!("{SERIES}?geo=BE&as_of=2030-01-{day:02}"))?;
        if answer.status == 429 {
            limited = Some(answer);
            break;
        }
        ensure!(answer.status == 200, "{}", answer.text());
    }
    let limited = limited.context("27 distinct vintages in a row were never limited")?;
    ensure!(limited.problem(429)?.contains("Retry-After"));
    ensure!(
        limited
            .header("retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s >= 1)
    );
    ensure!(
        served.get(&cached)?.status == 200,
        "a cached answer was limited"
    );
    Ok(())
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate_limit_and_others_are_not_believed()
-> Result<()> {
    let (_server, sandbox) = store()?;
    // Vintages (`as_of`) are computed on demand, so they are the answers the limit counts.
    let until_limited = |served: &Served, client: &str| -> Result<Option<u32>> {
        // A month of its own per client, so that no vintage is shared between them.
        let month = if client == "10.0.0.1" { "01" } else { "02" };
        for day in 1..28 {
            let answer = served.get_with(
                &format!("{SERIES}?geo=BE&as_of=2031-{month}-{day:02}"),
                &[("X-Forwarded-For", client)],
            )?;
            if answer.status == 429 {
                return Ok(Some(day));
            }
            ensure!(answer.status == 200, "{}", answer.text());
        }
        Ok(None)
    };
    let trusted = Served::start_with(
        &sandbox,
        &[
            ("DESI_CITY_COMPUTE_PER_SECOND", "1"),
            ("DESI_CITY_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )?;
    ensure!(
        until_limited(&trusted, "10.0.0.1")?.is_some(),
        "the first forwarded client was never limited"
    );
    // Another client behind the same proxy still has its whole share.
    let answer = trusted.get_with(
        &format!("{SERIES}?geo=BE&as_of=2031-03-01"),
        &[("X-Forwarded-For", "10.0.0.2")],
    )?;
    ensure!(
        answer.status == 200,
        "a second client behind the proxy was limited: {}",
        answer.text()
    );

    // Without a trusted proxy the header is not believed: every request is the peer's.
    let untrusted = Served::start_with(&sandbox, &[("DESI_CITY_COMPUTE_PER_SECOND", "1")])?;
    ensure!(until_limited(&untrusted, "10.0.0.1")?.is_some());
    let answer = untrusted.get_with(
        &format!("{SERIES}?geo=BE&as_of=2031-03-02"),
        &[("X-Forwarded-For", "10.0.0.2")],
    )?;
    ensure!(
        answer.status == 429,
        "a forged X-Forwarded-For escaped the limit: {}",
        answer.status
    );
    Ok(())
}

/// The standards' own validators (`.ci/standards.py`: openapi-spec-validator, pyshacl with the
/// official DCAT-AP 3.0 shapes over the catalogue and every dataset, the RFC 9110/9111 HTTP
/// checks, RFC 3339 times, CSV in CRLF, JSON-stat labels and unit, pyld's expansion of the NGSI-LD
/// KPIs) against the served store. They
/// need the Python tools of `.ci/requirements.txt`: when their venv (`$DESI_CITY_VENV`, default
/// `~/.cache/desi-city/venv`) or the shapes are absent this test says so and checks nothing;
/// `.ci/standards` (run by `.ci/run`) makes the venv and never skips.
#[test]
fn the_standards_own_validators_pass_against_the_served_store() -> Result<()> {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = std::env::var_os("DESI_CITY_VENV")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cache/desi-city/venv"))
        })
        .context("no HOME")?;
    let python = venv.join("bin/python");
    let shapes = repo.join("../shared/specs/dcat-ap-3.0.0/dcat-ap-SHACL.ttl");
    let tools = python.exists()
        && std::process::Command::new(&python)
            .args(["-c", "import pyshacl, openapi_spec_validator, pyld"])
            .status()
            .is_ok_and(|s| s.success());
    if !tools || !shapes.exists() {
        eprintln!(
            "SKIPPED the_standards_own_validators_pass_against_the_served_store: {} (pyshacl, openapi-spec-validator, pyld) or {} is missing. `bash .ci/standards` makes the venv and runs them (CI does, and never skips).",
            venv.display(),
            shapes.display()
        );
        return Ok(());
    }
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let out = std::process::Command::new(&python)
        .arg(repo.join(".ci/standards.py"))
        .args(["--base", &served.base, "--shapes"])
        .arg(&shapes)
        .arg("all")
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(stdout.contains("standards: no failures"), "{stdout}");
    ensure!(
        stdout.contains("pyshacl /api/v1/datasets: ") && stdout.contains(", 0 violations"),
        "{stdout}"
    );
    Ok(())
}

/// The values of every `Vary` header of an answer, lower-cased, as a set.
fn vary(answer: &Answer) -> BTreeSet<String> {
    answer
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn caching_follows_rfc_9110_one_etag_per_coding_if_modified_since_vary_on_304_and_405_problems()
-> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let path = "/api/v1/datasets";
    let mut tags = BTreeSet::new();
    for coding in ["gzip", "br", "identity"] {
        let answer = served.get_with(path, &[("accept-encoding", coding)])?;
        ensure!(answer.status == 200);
        let sent = answer.header("content-encoding");
        ensure!(
            sent == coding || (coding == "identity" && sent.is_empty()),
            "{coding}: sent {sent:?}"
        );
        let tag = answer.header("etag").to_owned();
        ensure!(tag.starts_with('"'), "{coding}: a strong ETag, not {tag:?}");
        ensure!(tags.insert(tag.clone()), "{coding} shares its ETag {tag}");
        ensure!(vary(&answer).contains("accept-encoding"));
        let again = served.get_with(
            path,
            &[("accept-encoding", coding), ("if-none-match", &tag)],
        )?;
        ensure!(again.status == 304, "{coding}: {}", again.status);
        ensure!(again.header("etag") == tag);
        ensure!(
            vary(&again) == vary(&answer),
            "{:?} vs {:?}",
            vary(&again),
            vary(&answer)
        );
        // Another coding's tag does not validate this one.
        if coding != "identity" {
            let other = served.get_with(
                path,
                &[("accept-encoding", "identity"), ("if-none-match", &tag)],
            )?;
            ensure!(other.status == 200, "a {coding} ETag validated identity");
        }
        let modified = answer.header("last-modified").to_owned();
        ensure!(!modified.is_empty());
        let since = served.get_with(
            path,
            &[
                ("accept-encoding", coding),
                ("if-modified-since", &modified),
            ],
        )?;
        ensure!(
            since.status == 304,
            "If-Modified-Since its own date: {}",
            since.status
        );
    }
    let later = served.get_with(
        path,
        &[("if-modified-since", "Tue, 01 Jan 2030 00:00:00 GMT")],
    )?;
    ensure!(
        later.status == 304,
        "If-Modified-Since 2030: {}",
        later.status
    );
    let earlier = served.get_with(
        path,
        &[("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT")],
    )?;
    ensure!(earlier.status == 200);
    // If-None-Match wins over If-Modified-Since.
    let both = served.get_with(
        path,
        &[
            ("if-modified-since", "Tue, 01 Jan 2030 00:00:00 GMT"),
            ("if-none-match", "\"other\""),
        ],
    )?;
    ensure!(both.status == 200);
    // A method the route does not answer: a 405 problem like every other error, with Allow.
    let post = served.request(reqwest::Method::POST, path, &[])?;
    let detail = post.problem(405)?;
    ensure!(detail.contains("GET"), "{detail}");
    ensure!(
        post.header("allow").contains("GET"),
        "{:?}",
        post.header("allow")
    );
    Ok(())
}

#[test]
fn served_times_are_rfc_3339_csv_lines_end_in_crlf_and_jsonstat_names_categories_and_the_unit()
-> Result<()> {
    let (_server, sandbox) = store()?;
    let served = Served::start(&sandbox)?;
    let path = format!("{SERIES}?geo=BE,EU27_2020");
    let json = served.ok(&path)?.json()?;
    let updated = json["data"][0]["upstream_updated"]
        .as_str()
        .context("upstream_updated")?
        .to_owned();
    ensure!(
        chrono::DateTime::parse_from_rfc3339(&updated).is_ok() && updated.ends_with("+02:00"),
        "{updated}"
    );
    let csv = served.ok(&format!("{path}&format=csv"))?.body;
    let text = String::from_utf8(csv)?;
    ensure!(text.ends_with("\r\n") && text.matches('\n').count() == text.matches("\r\n").count());
    ensure!(!text.contains("+0200"), "upstream form served in CSV");
    let stat = served.ok(&format!("{path}&format=jsonstat"))?.json()?;
    ensure!(stat["updated"] == updated.as_str(), "{}", stat["updated"]);
    ensure!(stat["dimension"]["geo"]["category"]["label"]["BE"] == "Belgium");
    let indicator = &stat["dimension"]["indicator"]["category"];
    ensure!(
        indicator["unit"]["households_internet_access"]["label"].is_string(),
        "{indicator}"
    );
    ensure!(indicator["label"]["households_internet_access"] != "households_internet_access");
    let dataset = served.ok("/api/v1/datasets/isoc_ci_in_h")?.text();
    ensure!(!dataset.contains("+0200"), "upstream form served in DCAT");
    Ok(())
}
