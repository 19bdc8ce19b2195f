//! Test support: runs the real `desi-city` binary as a child process in a sandbox (temp data
//! dir, its own catalogue, URLs pointing at the fake upstream), reads what it left in the store,
//! and reads the stored Parquet back with DuckDB.
//!
//! Nothing of the crate is linked or mocked here: the binary is the one Cargo built, and the
//! store is inspected only through its files. No environment of the developer leaks in: every
//! inherited `DESI_CITY_*` variable and `RUST_LOG` is removed from the child's environment.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::upstream::Upstream;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_desi-city");

/// How long one run of the binary may take before the test gives up on it.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// The 27 member states, for `geo-groups.toml`.
pub const EU27: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// A TOML basic string.
pub fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", items.join(", "))
}

/// One catalogue entry (`datasets/<id>.toml`), written the way an analyst would.
#[derive(Clone, Debug)]
pub struct Source {
    pub id: String,
    pub provider: String,
    pub code: String,
    pub format: String,
    pub level: String,
    pub path: Option<String>,
    pub geo: Vec<String>,
    pub since: Option<i32>,
    pub filters: Vec<(String, Vec<String>)>,
    pub attribution: String,
}

impl Source {
    /// A Eurostat source: `format` is `jsonstat`, `tsv` or `sdmx-csv`.
    pub fn eurostat(id: &str, code: &str, format: &str) -> Self {
        Self {
            id: id.to_string(),
            provider: "eurostat".to_string(),
            code: code.to_string(),
            format: format.to_string(),
            level: "country".to_string(),
            path: None,
            geo: Vec::new(),
            since: None,
            filters: Vec::new(),
            attribution: format!("Source: Eurostat (online data code: {code})"),
        }
    }

    /// A digital-agenda-data.eu source in `desi-csv`, fetched from `{DESI_CITY_DESI_URL}{path}`.
    pub fn desi(id: &str, path: &str) -> Self {
        Self {
            id: id.to_string(),
            provider: "desi".to_string(),
            code: id.to_string(),
            format: "desi-csv".to_string(),
            level: "country".to_string(),
            path: Some(path.to_string()),
            geo: Vec::new(),
            since: None,
            filters: Vec::new(),
            attribution: "Source: European Commission, DESI".to_string(),
        }
    }

    pub fn geo(mut self, geos: &[&str]) -> Self {
        self.geo = geos.iter().map(|g| g.to_string()).collect();
        self
    }

    pub fn since(mut self, year: i32) -> Self {
        self.since = Some(year);
        self
    }

    pub fn filter(mut self, dimension: &str, values: &[&str]) -> Self {
        self.filters.push((
            dimension.to_string(),
            values.iter().map(|v| v.to_string()).collect(),
        ));
        self
    }

    pub fn level(mut self, level: &str) -> Self {
        self.level = level.to_string();
        self
    }

    /// The TOML text of the entry.
    pub fn toml(&self) -> String {
        let mut t = String::new();
        let line = |t: &mut String, k: &str, v: String| t.push_str(&format!("{k} = {v}\n"));
        line(&mut t, "id", toml_str(&self.id));
        line(
            &mut t,
            "title",
            format!(
                "{{ en = {} }}",
                toml_str(&format!("Test source {}", self.id))
            ),
        );
        line(
            &mut t,
            "description",
            format!(
                "{{ en = {} }}",
                toml_str(&format!(
                    "Written by the integration tests for {}.",
                    self.id
                ))
            ),
        );
        line(&mut t, "provider", toml_str(&self.provider));
        line(&mut t, "code", toml_str(&self.code));
        line(&mut t, "format", toml_str(&self.format));
        line(
            &mut t,
            "dimensions",
            toml_list(&["connectivity".to_string()]),
        );
        line(&mut t, "level", toml_str(&self.level));
        line(&mut t, "schedule", toml_str("0 15 6 * * *"));
        line(&mut t, "licence", toml_str("CC-BY-4.0"));
        line(
            &mut t,
            "licence_url",
            toml_str("https://creativecommons.org/licenses/by/4.0/"),
        );
        line(&mut t, "attribution", toml_str(&self.attribution));
        if let Some(path) = &self.path {
            line(&mut t, "path", toml_str(path));
        }
        t.push_str("\n[query]\n");
        if !self.geo.is_empty() {
            line(&mut t, "geo", toml_list(&self.geo));
        }
        if let Some(since) = self.since {
            line(&mut t, "since", since.to_string());
        }
        if !self.filters.is_empty() {
            t.push_str("\n[query.filters]\n");
            for (dim, values) in &self.filters {
                line(&mut t, dim, toml_list(values));
            }
        }
        t
    }
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Removes ANSI escape sequences (colours), should the binary print any.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The words of a line, for matching ids and outcomes whatever the table's borders.
pub fn tokens(line: &str) -> Vec<&str> {
    line.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .filter(|t| !t.is_empty())
        .collect()
}

/// The text with every URL of the fake upstream taken out (so that a reason word is not found
/// in a URL's query string).
pub fn without_urls(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("http://127.0.0.1") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | '>' | '`' | ','))
            .unwrap_or(tail.len());
        out.push_str("<url>");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Everything a reader needs when an assertion fails.
    pub fn describe(&self) -> String {
        format!(
            "`desi-city {}` exited with {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.elapsed,
            self.stdout,
            self.stderr
        )
    }

    /// The outcome word (`published`, `unchanged`, `failed`) of a source in the summary table:
    /// on the last stdout line holding the id as a whole word and an outcome word, the first
    /// outcome word after the id (so that a reason quoting another word does not count).
    pub fn outcome(&self, id: &str) -> Option<String> {
        const OUTCOMES: [&str; 3] = ["published", "unchanged", "failed"];
        let is_outcome = |w: &str| OUTCOMES.iter().any(|o| w.eq_ignore_ascii_case(o));
        self.stdout.lines().rev().find_map(|line| {
            let words = tokens(line);
            let at = words.iter().position(|w| *w == id)?;
            words[at + 1..]
                .iter()
                .find(|w| is_outcome(w))
                .or_else(|| words[..at].iter().find(|w| is_outcome(w)))
                .map(|w| w.to_ascii_lowercase())
        })
    }

    /// Fails unless the run exited 0.
    pub fn ok(&self) -> Result<&Self> {
        self.no_panic()?;
        ensure!(self.success(), "expected exit 0\n{}", self.describe());
        Ok(self)
    }

    /// Fails unless the run exited with `code`.
    pub fn exit(&self, code: i32) -> Result<&Self> {
        self.no_panic()?;
        ensure!(
            self.code == Some(code),
            "expected exit {code}\n{}",
            self.describe()
        );
        Ok(self)
    }

    /// Fails unless the run exited non-zero (and was not killed by a signal).
    pub fn failed(&self) -> Result<&Self> {
        self.no_panic()?;
        ensure!(
            matches!(self.code, Some(c) if c != 0),
            "expected a non-zero exit\n{}",
            self.describe()
        );
        Ok(self)
    }

    /// Fails if the binary panicked.
    pub fn no_panic(&self) -> Result<&Self> {
        ensure!(
            !self.stderr.contains("panicked") && !self.stdout.contains("panicked"),
            "the binary panicked\n{}",
            self.describe()
        );
        Ok(self)
    }

    /// Fails unless the source's outcome in the summary table is `expected`.
    pub fn outcome_is(&self, id: &str, expected: &str) -> Result<&Self> {
        let got = self.outcome(id);
        ensure!(
            got.as_deref() == Some(expected),
            "expected outcome {expected:?} for {id}, the summary says {got:?}\n{}",
            self.describe()
        );
        Ok(self)
    }

    /// Fails unless stderr contains every one of `needles` (case-insensitive).
    pub fn stderr_has(&self, needles: &[&str]) -> Result<&Self> {
        let haystack = self.stderr.to_lowercase();
        for needle in needles {
            ensure!(
                haystack.contains(&needle.to_lowercase()),
                "expected stderr to mention {needle:?}\n{}",
                self.describe()
            );
        }
        Ok(self)
    }

    /// Fails unless stderr, URLs taken out, contains one of `words` (case-insensitive).
    pub fn stderr_says_one_of(&self, words: &[&str]) -> Result<&Self> {
        let text = without_urls(&self.stderr).to_lowercase();
        ensure!(
            words.iter().any(|w| text.contains(&w.to_lowercase())),
            "expected stderr to say why, with one of {words:?}\n{}",
            self.describe()
        );
        Ok(self)
    }
}

fn read_all(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        strip_ansi(&String::from_utf8_lossy(&bytes))
    })
}

/// Runs a prepared command to its end (or kills it after `timeout`), capturing its output.
pub fn run_command(mut cmd: Command, args: Vec<String>, timeout: Duration) -> Result<Run> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("Failed to start {BIN} (was it built?)"))?;
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let run = Run {
        args,
        code: status.and_then(|s| s.code()),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed: start.elapsed(),
    };
    if status.is_none() {
        bail!(
            "the binary did not finish within {timeout:?}\n{}",
            run.describe()
        );
    }
    Ok(run)
}

/// A child process killed (SIGKILL) and reaped when dropped, so that a failing test leaves no
/// server behind.
/// A started `desi-city serve` (killed when dropped), its base URL, and a blocking client for it
/// (no gzip: tests ask for codings themselves).
pub struct Serving {
    pub child: KillOnDrop,
    pub base: String,
    pub runtime: tokio::runtime::Runtime,
    pub client: reqwest::Client,
}

/// Starts `cmd` (a `desi-city serve` listening on 127.0.0.1:`port`) with its stderr in `log`, and
/// waits until its `/health` answers, at most `wait`; fails with the log if it exits first.
pub fn serve(
    mut cmd: Command,
    port: u16,
    log: &Path,
    workers: usize,
    wait: Duration,
) -> Result<Serving> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(log)?));
    let mut child = KillOnDrop(cmd.spawn().context("Failed to start desi-city serve")?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .no_gzip()
        .build()?;
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + wait;
    let health = format!("{base}/health");
    loop {
        if let Some(exit) = child.0.try_wait()? {
            bail!(
                "serve exited with {exit}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        if runtime
            .block_on(async { client.get(&health).send().await })
            .is_ok()
        {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "serve did not answer in {} s",
            wait.as_secs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Serving {
        child,
        base,
        runtime,
        client,
    })
}

pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One stored version as the manifest describes it.
#[derive(Clone, Debug)]
pub struct Version {
    pub version: String,
    /// Absolute path of the Parquet file.
    pub file: PathBuf,
    pub rows: u64,
    /// The whole manifest entry.
    pub entry: Value,
}

/// A temp directory holding a data dir, a catalogue dir, and the environment of the binary.
pub struct Sandbox {
    _temp: tempfile::TempDir,
    pub root: PathBuf,
    pub data: PathBuf,
    pub datasets: PathBuf,
    env: BTreeMap<String, String>,
}

impl Sandbox {
    /// A sandbox whose upstream URLs point at `server`, with an empty catalogue (only
    /// `geo-groups.toml`) and an empty data dir.
    pub fn new(server: &Upstream) -> Result<Self> {
        let mut sandbox = Self::offline()?;
        sandbox.set("DESI_CITY_EUROSTAT_URL", &server.eurostat_url());
        sandbox.set("DESI_CITY_DESI_URL", &server.desi_url());
        sandbox.set("DESI_CITY_ODS_URL", &server.ods_url());
        sandbox.set("DESI_CITY_GISCO_URL", &server.gisco_url());
        Ok(sandbox)
    }

    /// A sandbox whose upstream URLs point at a closed local port (for commands that must not
    /// fetch anything).
    pub fn offline() -> Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix("desi-city-it-")
            .tempdir()
            .context("Failed to create a temp dir")?;
        let root = temp.path().to_path_buf();
        let data = root.join("data");
        let datasets = root.join("datasets");
        std::fs::create_dir_all(&data)?;
        std::fs::create_dir_all(&datasets)?;
        let groups: Vec<String> = EU27.iter().map(|g| g.to_string()).collect();
        std::fs::write(
            datasets.join("geo-groups.toml"),
            format!(
                "# Geo groups used by the integration tests.\n[eu27]\ndescription = \"The 27 member states\"\ncodes = {}\n",
                toml_list(&groups)
            ),
        )?;
        let closed = "http://127.0.0.1:9";
        let env = [
            ("DESI_CITY_EUROSTAT_URL", format!("{closed}/eurostat")),
            ("DESI_CITY_DESI_URL", format!("{closed}/desi")),
            ("DESI_CITY_ODS_URL", format!("{closed}/ods")),
            ("DESI_CITY_GISCO_URL", format!("{closed}/gisco")),
            ("DESI_CITY_TIMEOUT_SECS", "20".to_string()),
            ("DESI_CITY_RETRIES", "2".to_string()),
            ("DESI_CITY_RETRY_BASE_MS", "20".to_string()),
            ("NO_COLOR", "1".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Ok(Self {
            _temp: temp,
            root,
            data,
            datasets,
            env,
        })
    }

    /// Sets (or overrides) an environment variable of the binary.
    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.insert(key.to_string(), value.to_string());
        self
    }

    /// Removes an environment variable of the binary.
    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.env.remove(key);
        self
    }

    /// Writes `datasets/<id>.toml`.
    pub fn add(&self, source: &Source) -> Result<&Self> {
        self.write_catalogue_file(&format!("{}.toml", source.id), &source.toml())?;
        Ok(self)
    }

    /// Writes every file of the repository's `datasets/` (the shipped catalogue) into the
    /// catalogue dir: its upstream URLs then point at the local server.
    pub fn write_shipped_catalogue(&self) -> Result<()> {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
        for entry in std::fs::read_dir(&shipped)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path
                    .file_name()
                    .context("a file name")?
                    .to_string_lossy()
                    .into_owned();
                self.write_catalogue_file(&name, &std::fs::read_to_string(&path)?)?;
            }
        }
        Ok(())
    }

    /// Writes any file into the catalogue dir, returning its path.
    pub fn write_catalogue_file(&self, name: &str, text: &str) -> Result<PathBuf> {
        let path = self.datasets.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("Failed to write {}", path.display()))?;
        Ok(path)
    }

    /// The binary with the sandbox's environment and working directory, and no arguments.
    pub fn bare_command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        for (key, _) in std::env::vars_os() {
            let name = key.to_string_lossy();
            if name.starts_with("DESI_CITY_") || name == "RUST_LOG" {
                cmd.env_remove(&key);
            }
        }
        cmd.envs(&self.env).current_dir(&self.root);
        cmd
    }

    /// The binary with `--data-dir` and `--datasets-dir` before `args`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.bare_command();
        cmd.arg("--data-dir")
            .arg(&self.data)
            .arg("--datasets-dir")
            .arg(&self.datasets)
            .args(args);
        cmd
    }

    fn describe_args(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec![
            "--data-dir".to_string(),
            self.data.display().to_string(),
            "--datasets-dir".to_string(),
            self.datasets.display().to_string(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        all
    }

    /// Runs the binary with the global flags and `args`, to its end.
    pub fn run(&self, args: &[&str]) -> Result<Run> {
        run_command(self.command(args), self.describe_args(args), RUN_TIMEOUT)
    }

    /// Runs the binary with exactly `args` (no global flags added), to its end.
    pub fn run_bare(&self, args: &[&str]) -> Result<Run> {
        let mut cmd = self.bare_command();
        cmd.args(args);
        run_command(
            cmd,
            args.iter().map(|a| a.to_string()).collect(),
            RUN_TIMEOUT,
        )
    }

    /// `desi-city fetch --no-progress [SOURCE…]`.
    pub fn fetch(&self, sources: &[&str]) -> Result<Run> {
        let mut args = vec!["fetch", "--no-progress"];
        args.extend_from_slice(sources);
        self.run(&args)
    }

    /// `manifest.json`, parsed.
    pub fn manifest(&self) -> Result<Value> {
        read_json(&self.data.join("manifest.json"))
    }

    /// `status.json`, parsed.
    pub fn status(&self) -> Result<Value> {
        read_json(&self.data.join("status.json"))
    }

    /// The status record of one source.
    pub fn status_of(&self, id: &str) -> Result<Value> {
        let status = self.status()?;
        status
            .get(id)
            .cloned()
            .ok_or_else(|| anyhow!("status.json has no record for {id}: {status:#}"))
    }

    /// The versions of a dataset, newest first, as the manifest lists them.
    pub fn versions(&self, id: &str) -> Result<Vec<Version>> {
        versions_in(&self.manifest()?, &self.data, id)
    }

    /// The current version of a dataset.
    pub fn current(&self, id: &str) -> Result<Version> {
        current_in(&self.manifest()?, &self.data, id)
    }

    /// Every regular file under the data dir, relative to it, sorted.
    pub fn data_files(&self) -> Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        walk(&self.data, &self.data, &mut files)?;
        files.sort();
        Ok(files)
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("Failed to list {}", dir.display()))?
    {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else {
            out.push(path.strip_prefix(root)?.to_path_buf());
        }
    }
    Ok(())
}

/// Reads and parses a JSON file, naming it on failure.
pub fn read_json(path: &Path) -> Result<Value> {
    let bytes =
        std::fs::read(path).with_context(|| format!("Failed to read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not valid JSON: {:?}",
            path.display(),
            String::from_utf8_lossy(&bytes)
        )
    })
}

/// The versions of a dataset in a parsed manifest, newest first.
pub fn versions_in(manifest: &Value, data: &Path, id: &str) -> Result<Vec<Version>> {
    let entry = manifest
        .pointer(&format!("/datasets/{id}"))
        .ok_or_else(|| anyhow!("the manifest has no dataset {id}: {manifest:#}"))?;
    let versions = entry
        .get("versions")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("the manifest's {id} has no versions array: {entry:#}"))?;
    versions
        .iter()
        .map(|v| {
            let version = match v.get("version") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => bail!("a version without `version`: {v:#}"),
            };
            let path = v
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("a version without `path`: {v:#}"))?;
            let rows = v
                .get("rows")
                .and_then(Value::as_u64)
                .ok_or_else(|| anyhow!("a version without numeric `rows`: {v:#}"))?;
            Ok(Version {
                version,
                file: data.join(path),
                rows,
                entry: v.clone(),
            })
        })
        .collect()
}

/// The current version of a dataset in a parsed manifest.
pub fn current_in(manifest: &Value, data: &Path, id: &str) -> Result<Version> {
    let current = match manifest.pointer(&format!("/datasets/{id}/current")) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => bail!("the manifest has no current version of {id}: {manifest:#}"),
    };
    versions_in(manifest, data, id)?
        .into_iter()
        .find(|v| v.version == current)
        .ok_or_else(|| {
            anyhow!("the current version {current} of {id} is not among its versions: {manifest:#}")
        })
}

/// The SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).with_context(|| format!("Failed to read {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Ensures `csv` is RFC 4180 as to line ends: every line ends in CRLF, the last one too.
pub fn crlf_lines(what: &str, csv: &str) -> Result<()> {
    ensure!(!csv.is_empty(), "{what}: no CSV");
    ensure!(
        csv.ends_with("\r\n"),
        "{what}: the last line does not end in CRLF"
    );
    let bare = csv
        .match_indices('\n')
        .filter(|(i, _)| !csv[..*i].ends_with('\r'))
        .count();
    ensure!(bare == 0, "{what}: {bare} line(s) end in a bare LF");
    Ok(())
}

/// A SQL string literal (test-controlled paths only).
pub fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn parquet(file: &Path) -> String {
    format!("read_parquet({})", sql_literal(&file.display().to_string()))
}

fn duck() -> Result<duckdb::Connection> {
    duckdb::Connection::open_in_memory().context("Failed to open DuckDB in memory")
}

/// The number of rows of a Parquet file, as DuckDB reads it.
pub fn parquet_rows(file: &Path) -> Result<u64> {
    let sql = format!("SELECT count(*) FROM {}", parquet(file));
    let n: i64 = duck()?
        .query_row(&sql, [], |row| row.get(0))
        .with_context(|| format!("DuckDB could not read {}", file.display()))?;
    Ok(n as u64)
}

/// `(value, flags)` of the rows of a Parquet file matching every `column = value` of
/// `filter` (column names come from the test, values are bound), ordered by value.
pub fn value_flags(
    file: &Path,
    filter: &[(&str, &str)],
) -> Result<Vec<(Option<f64>, Option<String>)>> {
    select_value_flags("value", &parquet(file), filter)
        .with_context(|| format!("Failed to read {}", file.display()))
}

/// `SELECT <value>, flags FROM <from> WHERE column = ? AND …` ordered by value then flags; the
/// filter's column names come from the test, its values are bound.
fn select_value_flags(
    value: &str,
    from: &str,
    filter: &[(&str, &str)],
) -> Result<Vec<(Option<f64>, Option<String>)>> {
    let conditions: Vec<String> = filter.iter().map(|(c, _)| format!("\"{c}\" = ?")).collect();
    let sql = format!(
        "SELECT {value}, flags FROM {from} WHERE {} ORDER BY 1 NULLS LAST, 2",
        if conditions.is_empty() {
            "true".to_string()
        } else {
            conditions.join(" AND ")
        }
    );
    let conn = duck()?;
    let mut stmt = conn
        .prepare(&sql)
        .with_context(|| format!("DuckDB could not prepare {sql}"))?;
    let params: Vec<&dyn duckdb::ToSql> = filter
        .iter()
        .map(|(_, v)| v as &dyn duckdb::ToSql)
        .collect();
    let rows = stmt
        .query_map(params.as_slice(), |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<(Option<f64>, Option<String>)>, _>>()
        .with_context(|| format!("DuckDB could not run {sql}"))?;
    Ok(rows)
}

/// The single `(value, flags)` cell matching `filter`, failing when there is not exactly one.
pub fn cell(file: &Path, filter: &[(&str, &str)]) -> Result<(Option<f64>, Option<String>)> {
    let rows = value_flags(file, filter)?;
    ensure!(
        rows.len() == 1,
        "expected exactly one row for {filter:?} in {}, got {rows:?}",
        file.display()
    );
    Ok(rows.into_iter().next().expect("one row"))
}

/// Flags as stored, with "no flag" read as None whether it was stored null or empty.
pub fn flag(flags: &Option<String>) -> Option<&str> {
    flags.as_deref().filter(|f| !f.is_empty())
}

/// Fails unless the cell matching `filter` has this value (1e-9) and these flags.
pub fn expect_cell(
    file: &Path,
    filter: &[(&str, &str)],
    value: Option<f64>,
    flags: Option<&str>,
) -> Result<()> {
    let (got_value, got_flags) = cell(file, filter)?;
    let same_value = match (got_value, value) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    };
    ensure!(
        same_value && flag(&got_flags) == flags,
        "{filter:?} in {}: expected {value:?} {flags:?}, stored {got_value:?} {got_flags:?}",
        file.display()
    );
    Ok(())
}

/// The distinct values of a column, sorted.
pub fn distinct(file: &Path, column: &str) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT DISTINCT CAST(\"{column}\" AS VARCHAR) AS c FROM {} ORDER BY c NULLS LAST",
        parquet(file)
    );
    let conn = duck()?;
    let mut stmt = conn
        .prepare(&sql)
        .with_context(|| format!("DuckDB could not prepare {sql}"))?;
    let values = stmt
        .query_map([], |row| row.get::<_, Option<String>>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(values
        .into_iter()
        .map(|v| v.unwrap_or_else(|| "<null>".to_string()))
        .collect())
}

/// Every `(geo, period, value)` of a Parquet file, sorted (values rounded to 1e-9 as text so
/// that they compare exactly).
pub fn geo_period_values(file: &Path) -> Result<Vec<(String, String, Option<String>)>> {
    let sql = format!(
        "SELECT geo, period, value FROM {} ORDER BY geo, period, value NULLS LAST",
        parquet(file)
    );
    let conn = duck()?;
    let mut stmt = conn
        .prepare(&sql)
        .with_context(|| format!("DuckDB could not prepare {sql}"))?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<f64>>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(g, p, v)| (g, p, v.map(|v| format!("{v:.9}"))))
        .collect())
}

/// The key-value metadata of a Parquet file.
pub fn parquet_metadata(file: &Path) -> Result<HashMap<String, String>> {
    let sql = format!(
        "SELECT decode(key), decode(value) FROM parquet_kv_metadata({})",
        sql_literal(&file.display().to_string())
    );
    let conn = duck()?;
    let mut stmt = conn
        .prepare(&sql)
        .with_context(|| format!("DuckDB could not prepare {sql}"))?;
    let pairs = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(pairs
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

/// The header and rows of a CSV file read by DuckDB (all columns as text).
pub fn read_csv(file: &Path) -> Result<(Vec<String>, u64)> {
    let source = format!(
        "read_csv({}, header = true, all_varchar = true)",
        sql_literal(&file.display().to_string())
    );
    let conn = duck()?;
    let mut stmt = conn.prepare(&format!(
        "SELECT column_name FROM (DESCRIBE SELECT * FROM {source})"
    ))?;
    let header = stmt
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("DuckDB could not read the CSV {}", file.display()))?;
    let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {source}"), [], |row| {
        row.get(0)
    })?;
    Ok((header, n as u64))
}

/// `(value, flags)` of the rows of a CSV file (read by DuckDB) matching every
/// `column = value` of `filter`.
pub fn csv_value_flags(
    file: &Path,
    filter: &[(&str, &str)],
) -> Result<Vec<(Option<f64>, Option<String>)>> {
    let from = format!(
        "read_csv({}, header = true, all_varchar = true)",
        sql_literal(&file.display().to_string())
    );
    select_value_flags("TRY_CAST(value AS DOUBLE)", &from, filter)
}

/// Whether one of `rows` has this value (1e-9) and these flags.
pub fn has_cell(
    rows: &[(Option<f64>, Option<String>)],
    value: Option<f64>,
    flags: Option<&str>,
) -> bool {
    rows.iter().any(|(v, f)| {
        let same_value = match (v, value) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        same_value && flag(f) == flags
    })
}

/// A sandbox with the shipped geo groups and two household sources fetched from the local server:
/// `isoc_ci_in_h` (JSON-stat, the 27 member states and EU27_2020) and `isoc_r_iacc_h` (SDMX-CSV, the
/// same plus seven capital regions).
pub fn fetched_households(server: &Upstream) -> Result<Sandbox> {
    let sandbox = Sandbox::new(server)?;
    let groups = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/geo-groups.toml"
    ))?;
    sandbox.write_catalogue_file("geo-groups.toml", &groups)?;
    let mut countries: Vec<&str> = EU27.to_vec();
    countries.push("EU27_2020");
    sandbox.add(
        &Source::eurostat("isoc_ci_in_h", "isoc_ci_in_h", "jsonstat")
            .geo(&countries)
            .since(2015)
            .filter("unit", &["PC_HH"])
            .filter("hhtyp", &["TOTAL"]),
    )?;
    let mut regions = countries.clone();
    regions.extend(["BE10", "AT13", "BG41", "CY00", "CZ01", "DE30", "FR10"]);
    sandbox.add(
        &Source::eurostat("isoc_r_iacc_h", "isoc_r_iacc_h", "sdmx-csv")
            .level("nuts2")
            .geo(&regions)
            .since(2015)
            .filter("unit", &["PC_HH"]),
    )?;
    sandbox.fetch(&["isoc_ci_in_h", "isoc_r_iacc_h"])?.ok()?;
    Ok(sandbox)
}
