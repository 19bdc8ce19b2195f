//! A new user's first hour (issue 11): the release binary run from an empty directory, with no
//! catalogue, indicators or configuration beside it (the built-in definitions), offline (the
//! upstream URLs point at a closed local port), loading the real files of `../shared/data` by
//! hand. Each test is one friction point of the issue.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use serde_json::Value;

use crate::support::{BIN, KillOnDrop, RUN_TIMEOUT, Run, read_json, run_command};
use crate::upstream::shared_data;

/// An empty working directory and the environment of a machine without internet.
struct Empty {
    dir: tempfile::TempDir,
}

impl Empty {
    fn new() -> Result<Empty> {
        Ok(Empty {
            dir: tempfile::Builder::new()
                .prefix("desi-city-empty-")
                .tempdir()?,
        })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary, in `cwd`, with no `DESI_CITY_*` of the developer's and closed upstream URLs.
    fn command_in(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        for (key, _) in std::env::vars_os() {
            let name = key.to_string_lossy();
            if name.starts_with("DESI_CITY_") || name == "RUST_LOG" || name == "COLUMNS" {
                cmd.env_remove(&key);
            }
        }
        let closed = "http://127.0.0.1:9";
        cmd.env("DESI_CITY_EUROSTAT_URL", format!("{closed}/eurostat"))
            .env("DESI_CITY_DESI_URL", format!("{closed}/desi"))
            .env("DESI_CITY_ODS_URL", format!("{closed}/ods"))
            .env("DESI_CITY_RETRIES", "1")
            .env("DESI_CITY_RETRY_BASE_MS", "10")
            .env("NO_COLOR", "1")
            .current_dir(cwd)
            .args(args);
        cmd
    }

    fn run_in(&self, cwd: &Path, args: &[&str]) -> Result<Run> {
        run_command(
            self.command_in(cwd, args),
            args.iter().map(|a| a.to_string()).collect(),
            RUN_TIMEOUT,
        )
    }

    fn run(&self, args: &[&str]) -> Result<Run> {
        self.run_in(self.path(), args)
    }

    /// `import` of a file of `../shared/data`.
    fn import(&self, rel: &str, dataset: &str) -> Result<Run> {
        let file = shared_data().join(rel);
        self.run(&["import", &file.display().to_string(), "--dataset", dataset])
    }
}

/// A running `serve` and a small client.
struct Served {
    child: KillOnDrop,
    base: String,
    log: PathBuf,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Served {
    fn start(empty: &Empty, extra: &[&str]) -> Result<Served> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut args = vec!["serve", "--addr", &addr];
        args.extend_from_slice(extra);
        let log = empty.path().join(format!("serve-{port}.stderr"));
        let mut cmd = empty.command_in(empty.path(), &args);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(File::create(&log)?));
        let child = KillOnDrop(cmd.spawn().context("Failed to start desi-city serve")?);
        let served = Served {
            child,
            base: format!("http://{addr}/api/v1"),
            log,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut served = served;
        loop {
            if let Some(exit) = served.child.0.try_wait()? {
                bail!("serve exited with {exit}:\n{}", served.logs());
            }
            if served.get("/health").is_ok() {
                return Ok(served);
            }
            ensure!(
                Instant::now() < deadline,
                "serve did not answer in 60 s:\n{}",
                served.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn logs(&self) -> String {
        crate::support::strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// Status and body of `GET /api/v1{path}`.
    fn get(&self, path: &str) -> Result<(u16, Vec<u8>)> {
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let response = self.client.get(&url).send().await?;
            let status = response.status().as_u16();
            Ok((status, response.bytes().await?.to_vec()))
        })
    }

    fn json(&self, path: &str, status: u16) -> Result<Value> {
        let (got, body) = self.get(path)?;
        let text = String::from_utf8_lossy(&body);
        ensure!(
            got == status,
            "GET {path}: {got} (expected {status}): {text}"
        );
        serde_json::from_slice(&body).with_context(|| format!("GET {path}: not JSON: {text}"))
    }
}

const DESI_2022: &str = "desi/2022/indicators_complete.csv";
const HOUSEHOLDS: &str = "eurostat/jsonstat/isoc_ci_in_h.json";

#[test]
fn the_release_binary_works_from_an_empty_directory_with_only_a_data_dir() -> Result<()> {
    let empty = Empty::new()?;
    let sources = empty.run(&["sources"])?;
    sources.ok()?;
    ensure!(
        sources.stdout.contains("isoc_ci_in_h") && sources.stdout.contains("built into desi-city"),
        "sources does not list the built-in catalogue:\n{}",
        sources.describe()
    );
    let imported = empty.import(DESI_2022, "desi_2022_complete")?;
    imported.ok()?;
    let data = std::path::absolute(empty.path().join("data"))?;
    ensure!(
        imported.stdout.contains(&data.display().to_string()),
        "import does not say where the store is:\n{}",
        imported.describe()
    );
    let desi = empty.run(&[
        "desi",
        "--methodology",
        "2022",
        "--edition",
        "2022",
        "--format",
        "csv",
    ])?;
    desi.ok()?;
    let be_total = desi
        .stdout
        .lines()
        .find(|l| l.contains(",BE,") && l.contains(",desi,"))
        .with_context(|| format!("no DESI total for BE:\n{}", desi.describe()))?;
    // methodology,edition,geo,level,code,score,…
    let score: f64 = be_total
        .split(',')
        .nth(5)
        .and_then(|f| f.parse().ok())
        .with_context(|| format!("no score in {be_total:?}"))?;
    ensure!(score > 0.0 && score < 100.0, "BE's DESI 2022 total {score}");
    ensure!(
        empty.path().read_dir()?.count() == 1,
        "the run wrote more than the data dir into the working directory"
    );

    let served = Served::start(&empty, &["--no-schedule"])?;
    let answer = served.json("/desi?methodology=2022&edition=2022&geo=BE", 200)?;
    ensure!(answer.to_string().contains("BE"), "{answer}");
    let sources = served.json("/sources", 200)?;
    ensure!(
        sources["definitions"]
            .as_str()
            .is_some_and(|d| d.contains("built into")),
        "{sources}"
    );
    Ok(())
}

#[test]
fn init_writes_the_shipped_definitions_and_a_config_that_names_them() -> Result<()> {
    let empty = Empty::new()?;
    empty.run(&["init", "city"])?.ok()?;
    let city = empty.path().join("city");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for rel in [
        "datasets/isoc_ci_in_h.toml",
        "datasets/geo-groups.toml",
        "indicators/households_internet_access.toml",
        "indicators/methodology/desi-2020/method.toml",
        "indicators/roadmaps/eu-digital-decade-2030.toml",
        "indicators/regional/scorecard.toml",
        "charts/README.md",
    ] {
        ensure!(
            std::fs::read(city.join(rel))? == std::fs::read(repo.join(rel))?,
            "{rel} differs from the shipped one"
        );
    }
    // Run from the folder: its desi-city.toml names its copies, which are read, not the built-in ones.
    std::fs::remove_file(city.join("indicators/internet_users.toml"))?;
    let listed = empty.run_in(&city, &["indicators"])?;
    listed.ok()?;
    ensure!(
        !listed.stdout.contains("internet_users ")
            && listed
                .stdout
                .contains(&city.join("indicators").display().to_string()),
        "the copies are not the definitions in use:\n{}",
        listed.describe()
    );
    let sources = empty.run_in(&city, &["sources"])?;
    sources.ok()?;
    ensure!(
        sources
            .stdout
            .contains(&city.join("datasets").display().to_string()),
        "{}",
        sources.describe()
    );
    // The same folders by environment variable, from elsewhere.
    let mut cmd = empty.command_in(empty.path(), &["indicators"]);
    cmd.env("DESI_CITY_INDICATORS_DIR", city.join("indicators"));
    let by_env = run_command(cmd, vec!["indicators".into()], RUN_TIMEOUT)?;
    by_env.ok()?;
    ensure!(
        !by_env.stdout.contains("internet_users "),
        "{}",
        by_env.describe()
    );
    // A second init never overwrites.
    let again = empty.run(&["init", "city"])?;
    again.exit(2)?.stderr_has(&["exists already"])?;
    Ok(())
}

#[test]
fn an_import_of_identical_bytes_or_rows_is_unchanged_and_keeps_the_catalogue_credit() -> Result<()>
{
    let empty = Empty::new()?;
    empty.import(HOUSEHOLDS, "isoc_ci_in_h")?.ok()?;
    let again = empty.import(HOUSEHOLDS, "isoc_ci_in_h")?;
    again.ok()?;
    ensure!(
        again.stdout.starts_with("unchanged"),
        "{}",
        again.describe()
    );
    // The same rows in other bytes (the JSON re-indented).
    let json: Value = serde_json::from_slice(&std::fs::read(shared_data().join(HOUSEHOLDS))?)?;
    let pretty = empty.path().join("pretty.json");
    std::fs::write(&pretty, serde_json::to_vec_pretty(&json)?)?;
    let same_rows = empty.run(&[
        "import",
        &pretty.display().to_string(),
        "--dataset",
        "isoc_ci_in_h",
    ])?;
    same_rows.ok()?;
    ensure!(
        same_rows.stdout.starts_with("unchanged"),
        "{}",
        same_rows.describe()
    );

    let data = empty.path().join("data");
    let manifest = read_json(&data.join("manifest.json"))?;
    let versions = manifest["datasets"]["isoc_ci_in_h"]["versions"]
        .as_array()
        .context("no versions")?;
    ensure!(versions.len() == 1, "{manifest:#}");
    ensure!(
        versions[0]["attribution"] == "Source: Eurostat (online data code: isoc_ci_in_h)",
        "{:#}",
        versions[0]
    );
    // The version is shown, with how it came.
    let sources = empty.run(&["sources"])?;
    let line = sources
        .stdout
        .lines()
        .find(|l| l.contains("isoc_ci_in_h "))
        .context("no isoc_ci_in_h line")?;
    let version = versions[0]["version"].as_str().unwrap_or_default();
    ensure!(
        line.contains(version) && line.contains("imported"),
        "{line}\n{}",
        sources.describe()
    );
    let status = read_json(&data.join("status.json"))?;
    ensure!(
        status["isoc_ci_in_h"]["last_outcome"] == "unchanged"
            && status["isoc_ci_in_h"]["version"] == version,
        "{status:#}"
    );
    Ok(())
}

#[test]
fn indicators_and_roadmap_refuse_a_geo_the_data_lacks_as_the_api_does() -> Result<()> {
    let empty = Empty::new()?;
    empty.import(HOUSEHOLDS, "isoc_ci_in_h")?.ok()?;
    for geo in ["be", "BE10", "XX"] {
        let run = empty.run(&["indicators", "households_internet_access", "--geo", geo])?;
        run.exit(2)?.stderr_has(&[
            &format!("geo: {geo} is not in isoc_ci_in_h"),
            "It has: AL, AT",
        ])?;
    }
    empty
        .run(&["indicators", "households_internet_access", "--geo", "BE"])?
        .ok()?;
    let served = Served::start(&empty, &["--no-schedule"])?;
    let (status, body) = served.get("/indicators/households_internet_access/series?geo=be")?;
    ensure!(status == 404, "{status}");
    let cli = empty.run(&["indicators", "households_internet_access", "--geo", "be"])?;
    let detail = serde_json::from_slice::<Value>(&body)?["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ensure!(
        cli.stderr.contains(&detail),
        "the CLI's message differs from the API's {detail:?}:\n{}",
        cli.describe()
    );
    drop(served);

    empty.import("desi/platform/facts_desi.csv", "desi")?.ok()?;
    let roadmap = empty.run(&["roadmap", "eu-digital-decade-2030", "--geo", "XX"])?;
    roadmap
        .exit(2)?
        .stderr_has(&["geo: XX is not in desi", "It has: AT, BE"])?;
    ensure!(roadmap.stdout.is_empty(), "{}", roadmap.describe());
    Ok(())
}

#[test]
fn offline_fetch_and_sources_fit_120_columns_say_each_error_once_and_sum_up() -> Result<()> {
    let empty = Empty::new()?;
    let fetch = empty.run(&["fetch", "--no-progress", "isoc_ci_in_h", "isoc_r_broad_h"])?;
    fetch.exit(1)?;
    let summary = fetch
        .stdout
        .lines()
        .find(|l| l.starts_with("2 of 2 source(s) failed"))
        .with_context(|| format!("no summary line:\n{}", fetch.describe()))?;
    ensure!(
        summary.contains("2 upstream unreachable") && summary.contains("desi-city import"),
        "{summary}"
    );
    ensure!(
        fetch.stderr.matches("could not reach the server").count() == 2,
        "each error once:\n{}",
        fetch.describe()
    );
    let sources = empty.run(&["sources"])?;
    sources.ok()?;
    for run in [&fetch, &sources] {
        for line in run
            .stdout
            .lines()
            .filter(|l| l.starts_with(['│', '┌', '└', '╞']))
        {
            ensure!(
                line.chars().count() <= 120,
                "a line of {} characters:\n{}",
                line.chars().count(),
                run.describe()
            );
        }
    }
    let detail = empty.run(&["sources", "isoc_ci_in_h"])?;
    detail.ok()?;
    ensure!(
        detail.stdout.contains("last error")
            && detail.stdout.contains("could not reach the server")
            && detail
                .stdout
                .contains("desi-city import FILE --dataset isoc_ci_in_h"),
        "{}",
        detail.describe()
    );
    // An error is said once, whatever its causes.
    let bad = empty.import(HOUSEHOLDS, "My Data")?;
    bad.exit(2)?;
    ensure!(
        bad.stderr.matches("invalid dataset id").count() == 1,
        "{}",
        bad.describe()
    );
    Ok(())
}

#[test]
fn serve_offline_logs_each_failure_once_sums_up_and_reports_degraded_health() -> Result<()> {
    let empty = Empty::new()?;
    let served = Served::start(&empty, &[])?;
    // /dimensions on an empty store: the same 503 as a series, naming the import command.
    let (status, body) = served.get("/dimensions?geo=BE10")?;
    ensure!(
        status == 503 && String::from_utf8_lossy(&body).contains("desi-city import"),
        "{status} {}",
        String::from_utf8_lossy(&body)
    );
    let (status, body) = served.get("/indicators/households_internet_access/series?geo=BE")?;
    ensure!(
        status == 503
            && String::from_utf8_lossy(&body)
                .contains("desi-city import FILE --dataset isoc_ci_in_h"),
        "{status} {}",
        String::from_utf8_lossy(&body)
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while !served.logs().contains("The first fetch round") {
        ensure!(
            Instant::now() < deadline,
            "no summary after 120 s:\n{}",
            served.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let logs = served.logs();
    let failures: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("Fetch failed."))
        .collect();
    let sources = served.json("/sources", 200)?;
    // One line per fetched source: an import-only one (no schedule) is never fetched.
    let count = sources["sources"]
        .as_array()
        .map_or(0, |all| all.iter().filter(|s| s["schedule"] != "").count());
    ensure!(
        failures.len() == count,
        "{} failure lines for {count} sources:\n{logs}",
        failures.len()
    );
    for line in &failures {
        ensure!(line.len() < 600, "a long log line: {line}");
        ensure!(
            line.matches("127.0.0.1:9").count() <= 1,
            "the URL more than once: {line}"
        );
    }
    let summary = logs
        .lines()
        .find(|l| l.contains("The first fetch round"))
        .unwrap_or_default();
    ensure!(
        summary.contains(&format!("{count} of {count} source(s) failed"))
            && summary.contains("upstream unreachable")
            && summary.contains("desi-city import"),
        "{summary}"
    );
    let health = served.json("/health", 200)?;
    ensure!(health["status"] == "degraded", "{health:#}");
    ensure!(
        health["reasons"].as_array().is_some_and(|r| r
            .iter()
            .any(|r| r.as_str().unwrap_or_default().contains("failed"))),
        "{health:#}"
    );
    Ok(())
}

#[test]
fn a_dataset_imported_under_an_id_outside_the_catalogue_is_listed_and_served() -> Result<()> {
    let empty = Empty::new()?;
    empty.import(DESI_2022, "desi_2022_complete")?.ok()?;
    empty.import(HOUSEHOLDS, "isoc_ci_in_h")?.ok()?;
    let served = Served::start(&empty, &["--no-schedule"])?;
    let catalogue = served.json("/datasets", 200)?;
    ensure!(
        catalogue.to_string().contains("desi_2022_complete"),
        "not in the DCAT catalogue: {catalogue}"
    );
    let dataset = served.json("/datasets/desi_2022_complete", 200)?;
    ensure!(
        dataset.to_string().contains("imported by hand"),
        "{dataset}"
    );
    let (status, body) = served.get("/datasets/desi_2022_complete.parquet")?;
    ensure!(
        status == 200 && body.starts_with(b"PAR1"),
        "download: {status}"
    );
    let (status, body) = served.get("/datasets/desi_2022_complete.csv")?;
    ensure!(status == 200 && !body.is_empty(), "csv: {status}");
    let sources = served.json("/sources", 200)?;
    let households = sources["sources"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "isoc_ci_in_h"))
        .context("isoc_ci_in_h not in /sources")?;
    ensure!(
        households["came"] == "imported"
            && households["last_outcome"] == "imported"
            && households["version"].is_string(),
        "{households:#}"
    );
    let health = served.json("/health", 200)?;
    let failing = health["failing_sources"]
        .as_array()
        .context("failing_sources")?;
    ensure!(!failing.iter().any(|s| s == "isoc_ci_in_h"), "{health:#}");
    ensure!(
        !health["empty_sources"]
            .as_array()
            .is_some_and(|e| e.iter().any(|s| s == "isoc_ci_in_h")),
        "{health:#}"
    );
    Ok(())
}
