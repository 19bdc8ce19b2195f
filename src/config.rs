//! Settings: built-in defaults < `desi-city.toml` < `DESI_CITY_*` environment variables < command-line flags.
//!
//! This module only reads configuration; it never touches the data directory or the network. A bad value
//! is an error that names where it came from (the file and key, or the variable) and how to fix it.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::catalog::{BuiltIn, Folder};

/// The default configuration file, read from the working directory when present.
pub const DEFAULT_CONFIG_FILE: &str = "desi-city.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read the configuration file: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML for the settings file: the parser's error (naming the key, line and column)
    /// is the source; the text adds every accepted key.
    #[error(
        "{file}: {source}Accepted keys: data_dir, datasets_dir, indicators_dir, methodology_dir, roadmaps_dir, \
         charts_dir, i18n_dir, addr, keep_versions, and in [upstream]: \
         eurostat_url, desi_url, ods_url, gisco_url, timeout_secs, retries, retry_base_ms, max_response_mb, \
         and in [api]: admin_token, public_url, compute_per_second, trusted_proxies."
    )]
    Parse {
        file: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("{file}: key \"{key}\": {problem}. {fix}")]
    Invalid {
        file: PathBuf,
        key: &'static str,
        problem: String,
        fix: &'static str,
    },
    #[error("environment variable {var}={value:?} is not valid: {problem}. {fix}")]
    Env {
        var: &'static str,
        value: String,
        problem: String,
        fix: &'static str,
    },
    /// A value of the file that its check refused ([`BadValue`], with its cause).
    #[error("{file}: key \"{key}\": {problem}. {fix}")]
    FileValue {
        file: PathBuf,
        key: &'static str,
        #[source]
        problem: BadValue,
        fix: &'static str,
    },
    /// A value of an environment variable that its check refused.
    #[error("environment variable {var}={value:?} is not valid: {problem}. {fix}")]
    EnvValue {
        var: &'static str,
        value: String,
        #[source]
        problem: BadValue,
        fix: &'static str,
    },
}

pub type Result<T> = std::result::Result<T, ConfigError>;

/// What is wrong with one value of the settings (the `problem` of a [`ConfigError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadValue {
    #[error("{0:?} is not a geo code (2 to 12 capitals, digits or _, starting with a capital)")]
    Geo(String),
    #[error("the token has {0} characters; at least 16 are needed")]
    ShortToken(usize),
    #[error("the token must be printable ASCII without spaces")]
    TokenNotPrintable,
    #[error("scheme {0:?} is not http or https")]
    UrlScheme(String),
    #[error("{url:?} is not a URL ({source})")]
    Url {
        url: String,
        #[source]
        source: url::ParseError,
    },
    #[error("{text:?} is not an IP address or a CIDR range")]
    Address {
        text: String,
        #[source]
        source: std::net::AddrParseError,
    },
    #[error("{text:?}: the prefix length must be 0 to {max}")]
    Prefix { text: String, max: u8 },
}

/// Everything the service can be configured with. Field docs give the file key and environment variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `data_dir` / `DESI_CITY_DATA_DIR` / `--data-dir`: the store (default `./data`).
    pub data_dir: PathBuf,
    /// `datasets_dir` / `DESI_CITY_DATASETS_DIR` / `--datasets-dir`: the source catalogue and
    /// `geo-groups.toml` (default: the shipped `datasets/`, built into the binary).
    pub datasets_dir: Option<PathBuf>,
    /// `indicators_dir` / `DESI_CITY_INDICATORS_DIR` / `--indicators-dir`: the indicator files and
    /// `regional/` (default: the shipped `indicators/`, built in).
    pub indicators_dir: Option<PathBuf>,
    /// `methodology_dir` / `DESI_CITY_METHODOLOGY_DIR` / `--methodology-dir`: the DESI methodology
    /// folders `desi-2022/`, `desi-2020/` (default: `methodology/` of the indicators folder).
    pub methodology_dir: Option<PathBuf>,
    /// `roadmaps_dir` / `DESI_CITY_ROADMAPS_DIR` / `--roadmaps-dir`: the roadmap files (default:
    /// `roadmaps/` of the indicators folder).
    pub roadmaps_dir: Option<PathBuf>,
    /// `charts_dir` / `DESI_CITY_CHARTS_DIR` / `--charts-dir`: the chart definitions (default: the
    /// shipped `charts/`, built in).
    pub charts_dir: Option<PathBuf>,
    /// `i18n_dir` / `DESI_CITY_I18N_DIR` / `--i18n-dir`: the pages' texts, one `<lang>.toml` per
    /// language (default: the shipped `i18n/`, built in), for a translator to edit a copy.
    pub i18n_dir: Option<PathBuf>,
    /// `addr` / `DESI_CITY_ADDR` / `serve --addr`: where the API listens (default `127.0.0.1:8080`).
    pub addr: String,
    /// `keep_versions` / `DESI_CITY_KEEP_VERSIONS`: versions kept per dataset (default 10).
    pub keep_versions: usize,
    pub upstream: Upstream,
    pub api: Api,
    pub dashboard: Dashboard,
}

/// The Smart City Office's page (`GET /`).
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// `dashboard.geo` / `DESI_CITY_DASHBOARD_GEO`: the city (a NUTS or country code) the page is about,
    /// shown beside its country and the EU (default `BE10`, Brussels-Capital).
    pub geo: String,
}

/// The HTTP API's own settings.
#[derive(Clone, PartialEq, Default)]
pub struct Api {
    /// `api.admin_token` / `DESI_CITY_ADMIN_TOKEN`: the bearer token of `POST /api/v1/admin/*`. Without
    /// one, the admin routes are off (404).
    pub admin_token: Option<String>,
    /// `api.public_url` / `DESI_CITY_PUBLIC_URL`: the base URL clients reach the API at (behind a
    /// proxy), for the absolute links of DCAT, Atom and citations. Default: from the request's `Host`.
    pub public_url: Option<String>,
    /// `api.compute_per_second` / `DESI_CITY_COMPUTE_PER_SECOND`: per client address, how many
    /// uncached computations per second (burst: twice that); over it, 429. 0 turns the limit off.
    /// Default 20. Cached answers and 304s are never limited.
    pub compute_per_second: u32,
    /// `api.trusted_proxies` / `DESI_CITY_TRUSTED_PROXIES` (comma-separated): addresses or CIDR
    /// ranges of the reverse proxies in front of the API. Only a request from one of them has its
    /// `Forwarded` / `X-Forwarded-For` header believed for the client address. Default: none.
    pub trusted_proxies: Vec<IpNet>,
}

/// An address range, `10.0.0.0/8`, `fd00::/8`, or one address (`127.0.0.1`, a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpNet {
    /// Whether `ip` is in the range (an IPv4-mapped IPv6 address counts as its IPv4 one).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpNet {
    type Err = BadValue;

    fn from_str(s: &str) -> std::result::Result<IpNet, BadValue> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|source| BadValue::Address {
            text: s.to_owned(),
            source,
        })?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => {
                p.parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| BadValue::Prefix {
                        text: s.to_owned(),
                        max,
                    })?
            }
        };
        Ok(IpNet { addr, prefix })
    }
}

/// The token is a secret: never printed.
impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("admin_token", &self.admin_token.as_ref().map(|_| "(set)"))
            .field("public_url", &self.public_url)
            .field("compute_per_second", &self.compute_per_second)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

/// Upstream servers and how patiently to talk to them.
#[derive(Debug, Clone, PartialEq)]
pub struct Upstream {
    /// `upstream.eurostat_url` / `DESI_CITY_EUROSTAT_URL`: Eurostat's base URL, or a mirror or proxy of it.
    pub eurostat_url: String,
    /// `upstream.desi_url` / `DESI_CITY_DESI_URL`: the Commission's digital-agenda-data.eu.
    pub desi_url: String,
    /// `upstream.ods_url` / `DESI_CITY_ODS_URL`: the regional Opendatasoft portal.
    pub ods_url: String,
    /// `upstream.gisco_url` / `DESI_CITY_GISCO_URL`: Eurostat GISCO's distribution service (region shapes).
    pub gisco_url: String,
    /// `upstream.timeout_secs` / `DESI_CITY_TIMEOUT_SECS`: per-request timeout (default 60).
    pub timeout_secs: u64,
    /// `upstream.retries` / `DESI_CITY_RETRIES`: retries after the first attempt (default 4).
    pub retries: u32,
    /// `upstream.retry_base_ms` / `DESI_CITY_RETRY_BASE_MS`: first backoff delay, doubled each retry (default 500).
    pub retry_base_ms: u64,
    /// `upstream.max_response_mb` / `DESI_CITY_MAX_RESPONSE_MB`: the largest response body read, in MiB
    /// after decompression (default 64: the largest shipped dataset is under 3 MiB). A larger one is refused.
    pub max_response_mb: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            datasets_dir: None,
            indicators_dir: None,
            methodology_dir: None,
            roadmaps_dir: None,
            charts_dir: None,
            i18n_dir: None,
            addr: "127.0.0.1:8080".to_owned(),
            keep_versions: 10,
            upstream: Upstream {
                eurostat_url: "https://ec.europa.eu/eurostat".to_owned(),
                desi_url: "https://digital-decade-desi.digital-strategy.ec.europa.eu".to_owned(),
                ods_url: "https://opendata.brussels.be".to_owned(),
                gisco_url: "https://gisco-services.ec.europa.eu/distribution/v2".to_owned(),
                timeout_secs: 60,
                retries: 4,
                retry_base_ms: 500,
                max_response_mb: 64,
            },
            api: Api {
                admin_token: None,
                public_url: None,
                compute_per_second: 20,
                trusted_proxies: Vec::new(),
            },
            dashboard: Dashboard {
                geo: "BE10".to_owned(),
            },
        }
    }
}

/// The configuration file's shape; every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    datasets_dir: Option<PathBuf>,
    indicators_dir: Option<PathBuf>,
    methodology_dir: Option<PathBuf>,
    roadmaps_dir: Option<PathBuf>,
    charts_dir: Option<PathBuf>,
    i18n_dir: Option<PathBuf>,
    addr: Option<String>,
    keep_versions: Option<usize>,
    upstream: Option<FileUpstream>,
    api: Option<FileApi>,
    dashboard: Option<FileDashboard>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDashboard {
    geo: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileApi {
    admin_token: Option<String>,
    public_url: Option<String>,
    compute_per_second: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileUpstream {
    eurostat_url: Option<String>,
    desi_url: Option<String>,
    ods_url: Option<String>,
    gisco_url: Option<String>,
    timeout_secs: Option<u64>,
    retries: Option<u32>,
    retry_base_ms: Option<u64>,
    max_response_mb: Option<u64>,
}

/// Overrides given on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub datasets_dir: Option<PathBuf>,
    pub indicators_dir: Option<PathBuf>,
    pub methodology_dir: Option<PathBuf>,
    pub roadmaps_dir: Option<PathBuf>,
    pub charts_dir: Option<PathBuf>,
    pub i18n_dir: Option<PathBuf>,
    pub addr: Option<String>,
}

impl Settings {
    /// Loads all layers. `env` is injected so tests don't depend on the process environment.
    pub fn load(overrides: &Overrides, env: impl Fn(&str) -> Option<String>) -> Result<Settings> {
        let mut settings = Settings::default();
        let file = overrides
            .config
            .clone()
            .or_else(|| env("DESI_CITY_CONFIG").map(PathBuf::from));
        match file {
            Some(file) => settings.apply_file(&file)?,
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                settings.apply_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => {}
        }
        settings.apply_env(&env)?;
        if let Some(dir) = &overrides.data_dir {
            settings.data_dir = dir.clone();
        }
        for (flag, slot) in [
            (&overrides.datasets_dir, &mut settings.datasets_dir),
            (&overrides.indicators_dir, &mut settings.indicators_dir),
            (&overrides.methodology_dir, &mut settings.methodology_dir),
            (&overrides.roadmaps_dir, &mut settings.roadmaps_dir),
            (&overrides.charts_dir, &mut settings.charts_dir),
            (&overrides.i18n_dir, &mut settings.i18n_dir),
        ] {
            if let Some(dir) = flag {
                *slot = Some(dir.clone());
            }
        }
        if let Some(addr) = &overrides.addr {
            settings.addr = addr.clone();
        }
        Ok(settings)
    }

    /// The source catalogue in use: the folder named, or the built-in one.
    pub fn datasets(&self) -> Folder {
        folder(&self.datasets_dir, BuiltIn::Datasets)
    }

    /// The indicator files (with `regional/`) in use.
    pub fn indicators(&self) -> Folder {
        folder(&self.indicators_dir, BuiltIn::Indicators)
    }

    /// The DESI methodology folders in use: the folder named, else `methodology/` of the
    /// indicators folder in use.
    pub fn methodology(&self) -> Folder {
        match &self.methodology_dir {
            Some(dir) => Folder::disk(dir),
            None => self.indicators().sub("methodology"),
        }
    }

    /// The roadmap files in use: the folder named, else `roadmaps/` of the indicators folder.
    pub fn roadmaps(&self) -> Folder {
        match &self.roadmaps_dir {
            Some(dir) => Folder::disk(dir),
            None => self.indicators().sub("roadmaps"),
        }
    }

    /// The chart definitions in use.
    pub fn charts(&self) -> Folder {
        folder(&self.charts_dir, BuiltIn::Charts)
    }

    /// The pages' texts in use (`<lang>.toml` per language).
    pub fn i18n(&self) -> Folder {
        folder(&self.i18n_dir, BuiltIn::I18n)
    }

    fn apply_file(&mut self, file: &Path) -> Result<()> {
        let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
            file: file.to_owned(),
            source,
        })?;
        let parsed: FileSettings = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            file: file.to_owned(),
            source,
        })?;
        let invalid = |key, problem: String, fix| ConfigError::Invalid {
            file: file.to_owned(),
            key,
            problem,
            fix,
        };
        let refused = |key, problem: BadValue, fix| ConfigError::FileValue {
            file: file.to_owned(),
            key,
            problem,
            fix,
        };
        // A relative folder named in a file is relative to that file's folder.
        let base = file.parent().unwrap_or(Path::new(""));
        if let Some(v) = parsed.data_dir {
            self.data_dir = base.join(v);
        }
        for (value, slot) in [
            (parsed.datasets_dir, &mut self.datasets_dir),
            (parsed.indicators_dir, &mut self.indicators_dir),
            (parsed.methodology_dir, &mut self.methodology_dir),
            (parsed.roadmaps_dir, &mut self.roadmaps_dir),
            (parsed.charts_dir, &mut self.charts_dir),
            (parsed.i18n_dir, &mut self.i18n_dir),
        ] {
            if let Some(dir) = value {
                *slot = Some(base.join(dir));
            }
        }
        if let Some(v) = parsed.addr {
            self.addr = v;
        }
        if let Some(v) = parsed.keep_versions {
            if v == 0 {
                return Err(invalid(
                    "keep_versions",
                    "0 would keep no version".into(),
                    "Use 1 or more, e.g. keep_versions = 10.",
                ));
            }
            self.keep_versions = v;
        }
        if let Some(up) = parsed.upstream {
            for (key, value, slot) in [
                (
                    "upstream.eurostat_url",
                    up.eurostat_url,
                    &mut self.upstream.eurostat_url,
                ),
                (
                    "upstream.desi_url",
                    up.desi_url,
                    &mut self.upstream.desi_url,
                ),
                ("upstream.ods_url", up.ods_url, &mut self.upstream.ods_url),
                (
                    "upstream.gisco_url",
                    up.gisco_url,
                    &mut self.upstream.gisco_url,
                ),
            ] {
                if let Some(url) = value {
                    check_url(&url).map_err(|problem| {
                        refused(key, problem, "Give an http:// or https:// base URL, e.g. \"https://ec.europa.eu/eurostat\".")
                    })?;
                    *slot = url;
                }
            }
            if let Some(v) = up.timeout_secs {
                if v == 0 {
                    return Err(invalid(
                        "upstream.timeout_secs",
                        "0 seconds leaves no time for any request".into(),
                        "Use a positive number of seconds, e.g. timeout_secs = 60.",
                    ));
                }
                self.upstream.timeout_secs = v;
            }
            if let Some(v) = up.retries {
                self.upstream.retries = v;
            }
            if let Some(v) = up.retry_base_ms {
                self.upstream.retry_base_ms = v;
            }
            if let Some(v) = up.max_response_mb {
                if v == 0 {
                    return Err(invalid(
                        "upstream.max_response_mb",
                        "0 MiB would refuse every response".into(),
                        "Use a positive number of MiB, e.g. max_response_mb = 64.",
                    ));
                }
                self.upstream.max_response_mb = v;
            }
        }
        if let Some(api) = parsed.api {
            if let Some(token) = api.admin_token {
                check_token(&token).map_err(|problem| {
                    refused(
                        "api.admin_token",
                        problem,
                        "Use a long random string, e.g. the output of `openssl rand -hex 32`.",
                    )
                })?;
                self.api.admin_token = Some(token);
            }
            if let Some(url) = api.public_url {
                check_url(&url).map_err(|problem| {
                    refused(
                        "api.public_url",
                        problem,
                        "Give the http:// or https:// URL clients use, e.g. \"https://desi.example.org\".",
                    )
                })?;
                self.api.public_url = Some(url.trim_end_matches('/').to_owned());
            }
            if let Some(v) = api.compute_per_second {
                self.api.compute_per_second = v;
            }
            if let Some(list) = api.trusted_proxies {
                self.api.trusted_proxies = list
                    .iter()
                    .map(|p| p.parse())
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|problem| {
                        refused(
                            "api.trusted_proxies",
                            problem,
                            "List the proxies' addresses or ranges, e.g. trusted_proxies = [\"10.0.0.0/8\", \"::1\"].",
                        )
                    })?;
            }
        }
        if let Some(geo) = parsed.dashboard.and_then(|d| d.geo) {
            check_geo(&geo).map_err(|problem| {
                refused(
                    "dashboard.geo",
                    problem,
                    "Give a NUTS or country code as Eurostat writes it, e.g. geo = \"BE10\" (Brussels-Capital).",
                )
            })?;
            self.dashboard.geo = geo;
        }
        Ok(())
    }

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(v) = env("DESI_CITY_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        for (var, slot) in [
            ("DESI_CITY_DATASETS_DIR", &mut self.datasets_dir),
            ("DESI_CITY_INDICATORS_DIR", &mut self.indicators_dir),
            ("DESI_CITY_METHODOLOGY_DIR", &mut self.methodology_dir),
            ("DESI_CITY_ROADMAPS_DIR", &mut self.roadmaps_dir),
            ("DESI_CITY_CHARTS_DIR", &mut self.charts_dir),
            ("DESI_CITY_I18N_DIR", &mut self.i18n_dir),
        ] {
            if let Some(dir) = env(var).filter(|v| !v.is_empty()) {
                *slot = Some(PathBuf::from(dir));
            }
        }
        if let Some(v) = env("DESI_CITY_ADDR") {
            self.addr = v;
        }
        for (var, slot) in [
            ("DESI_CITY_EUROSTAT_URL", &mut self.upstream.eurostat_url),
            ("DESI_CITY_DESI_URL", &mut self.upstream.desi_url),
            ("DESI_CITY_ODS_URL", &mut self.upstream.ods_url),
            ("DESI_CITY_GISCO_URL", &mut self.upstream.gisco_url),
        ] {
            if let Some(url) = env(var) {
                check_url(&url).map_err(|problem| ConfigError::EnvValue {
                    var,
                    value: url.clone(),
                    problem,
                    fix: "Give an http:// or https:// base URL.",
                })?;
                *slot = url;
            }
        }
        if let Some(v) = number::<usize>(env, "DESI_CITY_KEEP_VERSIONS", 1)? {
            self.keep_versions = v;
        }
        if let Some(v) = number::<u64>(env, "DESI_CITY_TIMEOUT_SECS", 1)? {
            self.upstream.timeout_secs = v;
        }
        if let Some(v) = number::<u32>(env, "DESI_CITY_RETRIES", 0)? {
            self.upstream.retries = v;
        }
        if let Some(v) = number::<u64>(env, "DESI_CITY_RETRY_BASE_MS", 0)? {
            self.upstream.retry_base_ms = v;
        }
        if let Some(v) = number::<u64>(env, "DESI_CITY_MAX_RESPONSE_MB", 1)? {
            self.upstream.max_response_mb = v;
        }
        if let Some(token) = env("DESI_CITY_ADMIN_TOKEN") {
            check_token(&token).map_err(|problem| ConfigError::EnvValue {
                var: "DESI_CITY_ADMIN_TOKEN",
                value: "(hidden)".to_owned(),
                problem,
                fix: "Use a long random string, e.g. the output of `openssl rand -hex 32`.",
            })?;
            self.api.admin_token = Some(token);
        }
        if let Some(url) = env("DESI_CITY_PUBLIC_URL") {
            check_url(&url).map_err(|problem| ConfigError::EnvValue {
                var: "DESI_CITY_PUBLIC_URL",
                value: url.clone(),
                problem,
                fix: "Give the http:// or https:// URL clients use.",
            })?;
            self.api.public_url = Some(url.trim_end_matches('/').to_owned());
        }
        if let Some(v) = number::<u32>(env, "DESI_CITY_COMPUTE_PER_SECOND", 0)? {
            self.api.compute_per_second = v;
        }
        if let Some(raw) = env("DESI_CITY_TRUSTED_PROXIES") {
            self.api.trusted_proxies = raw
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| p.parse())
                .collect::<std::result::Result<_, _>>()
                .map_err(|problem| ConfigError::EnvValue {
                    var: "DESI_CITY_TRUSTED_PROXIES",
                    value: raw.clone(),
                    problem,
                    fix: "Give comma-separated addresses or CIDR ranges, e.g. 10.0.0.0/8,::1.",
                })?;
        }
        if let Some(geo) = env("DESI_CITY_DASHBOARD_GEO") {
            check_geo(&geo).map_err(|problem| ConfigError::EnvValue {
                var: "DESI_CITY_DASHBOARD_GEO",
                value: geo.clone(),
                problem,
                fix: "Give a NUTS or country code as Eurostat writes it, e.g. BE10 (Brussels-Capital).",
            })?;
            self.dashboard.geo = geo;
        }
        Ok(())
    }
}

/// A geo code as Eurostat writes it: capitals, digits and `_` (`BE10`, `BE`, `EU27_2020`).
fn check_geo(geo: &str) -> std::result::Result<(), BadValue> {
    let ok = (2..=12).contains(&geo.len())
        && geo.as_bytes()[0].is_ascii_uppercase()
        && geo
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(BadValue::Geo(geo.to_owned()))
    }
}

fn folder(dir: &Option<PathBuf>, built_in: BuiltIn) -> Folder {
    match dir {
        Some(dir) => Folder::disk(dir),
        None => Folder::built_in(built_in),
    }
}

fn number<T>(env: &impl Fn(&str) -> Option<String>, var: &'static str, min: T) -> Result<Option<T>>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = env(var) else {
        return Ok(None);
    };
    match raw.trim().parse::<T>() {
        Ok(v) if v >= min => Ok(Some(v)),
        _ => Err(ConfigError::Env {
            var,
            value: raw,
            problem: format!("expected a whole number of at least {min}"),
            fix: "Unset it to use the default, or give a number.",
        }),
    }
}

/// A bearer token must be long enough not to be guessed and fit in a header.
fn check_token(token: &str) -> std::result::Result<(), BadValue> {
    if token.len() < 16 {
        return Err(BadValue::ShortToken(token.len()));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BadValue::TokenNotPrintable);
    }
    Ok(())
}

fn check_url(url: &str) -> std::result::Result<(), BadValue> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        Ok(u) => Err(BadValue::UrlScheme(u.scheme().to_owned())),
        Err(source) => Err(BadValue::Url {
            url: url.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("desi-city.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn layers_apply_in_order_defaults_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "data_dir = \"/from/file\"\naddr = \"0.0.0.0:1\"\n[upstream]\nretries = 7\neurostat_url = \"http://mirror.example/eurostat\"\n",
        );
        let overrides = Overrides {
            config: Some(file),
            addr: Some("127.0.0.1:9".into()),
            ..Default::default()
        };
        let env = env_of(&[
            ("DESI_CITY_DATA_DIR", "/from/env"),
            ("DESI_CITY_RETRIES", "2"),
        ]);
        let s = Settings::load(&overrides, env).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/from/env"));
        assert_eq!(s.addr, "127.0.0.1:9");
        assert_eq!(s.upstream.retries, 2);
        assert_eq!(s.upstream.eurostat_url, "http://mirror.example/eurostat");
        assert_eq!(s.upstream.timeout_secs, 60);
    }

    #[test]
    fn the_api_section_sets_token_url_and_rate_and_a_short_token_is_refused_without_echoing_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "[api]\nadmin_token = \"0123456789abcdef0123\"\npublic_url = \"https://desi.example.org/\"\ncompute_per_second = 5\n",
        );
        let overrides = Overrides {
            config: Some(file.clone()),
            ..Default::default()
        };
        let s = Settings::load(&overrides, env_of(&[])).unwrap();
        assert_eq!(s.api.admin_token.as_deref(), Some("0123456789abcdef0123"));
        assert_eq!(
            s.api.public_url.as_deref(),
            Some("https://desi.example.org")
        );
        assert_eq!(s.api.compute_per_second, 5);
        assert!(!format!("{s:?}").contains("0123456789abcdef0123"));

        let env = env_of(&[("DESI_CITY_COMPUTE_PER_SECOND", "0")]);
        assert_eq!(
            Settings::load(&overrides, env)
                .unwrap()
                .api
                .compute_per_second,
            0
        );

        let err = Settings::load(
            &Overrides::default(),
            env_of(&[("DESI_CITY_ADMIN_TOKEN", "short-secret")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("DESI_CITY_ADMIN_TOKEN"), "{err}");
        assert!(err.contains("at least 16"), "{err}");
        assert!(!err.contains("short-secret"), "{err}");

        let file = write(&dir, "[api]\nadmin_token = \"short\"\n");
        let overrides = Overrides {
            config: Some(file.clone()),
            ..Default::default()
        };
        let err = Settings::load(&overrides, env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("api.admin_token") && err.contains(&file.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_key_names_the_file_and_the_key_and_lists_the_accepted_ones() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(&dir, "data_dri = \"x\"\n");
        let overrides = Overrides {
            config: Some(file.clone()),
            ..Default::default()
        };
        let err = Settings::load(&overrides, env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&file.display().to_string()), "{err}");
        assert!(err.contains("data_dri"), "{err}");
        assert!(err.contains("Accepted keys"), "{err}");
    }

    #[test]
    fn a_bad_url_in_the_file_names_the_key_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(&dir, "[upstream]\neurostat_url = \"ftp://x\"\n");
        let overrides = Overrides {
            config: Some(file),
            ..Default::default()
        };
        let err = Settings::load(&overrides, env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("upstream.eurostat_url"), "{err}");
        assert!(err.contains("https://"), "{err}");
    }

    #[test]
    fn a_bad_number_in_the_environment_names_the_variable() {
        let err = Settings::load(
            &Overrides::default(),
            env_of(&[("DESI_CITY_TIMEOUT_SECS", "soon")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("DESI_CITY_TIMEOUT_SECS"), "{err}");
        let err = Settings::load(
            &Overrides::default(),
            env_of(&[("DESI_CITY_KEEP_VERSIONS", "0")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("at least 1"), "{err}");
    }

    #[test]
    fn the_shipped_example_file_loads_and_equals_the_defaults() {
        let overrides = Overrides {
            config: Some(PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/desi-city.example.toml"
            ))),
            ..Default::default()
        };
        let s = Settings::load(&overrides, env_of(&[])).unwrap();
        let expected = Settings {
            // Relative to the file's folder.
            data_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("data"),
            ..Settings::default()
        };
        assert_eq!(s, expected);
    }

    #[test]
    fn the_definition_folders_are_built_in_unless_named_by_file_env_or_flag() {
        let s = Settings::load(&Overrides::default(), env_of(&[])).unwrap();
        assert!(s.datasets().is_built_in() && s.indicators().is_built_in());
        assert!(s.charts().is_built_in());
        assert_eq!(
            s.methodology().label(),
            Path::new("(built-in)/indicators/methodology")
        );
        assert_eq!(
            s.roadmaps().label(),
            Path::new("(built-in)/indicators/roadmaps")
        );

        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "datasets_dir = \"my-datasets\"\nindicators_dir = \"/abs/indicators\"\nroadmaps_dir = \"r\"\n",
        );
        let overrides = Overrides {
            config: Some(file.clone()),
            charts_dir: Some(PathBuf::from("flag-charts")),
            ..Default::default()
        };
        let env = env_of(&[
            ("DESI_CITY_ROADMAPS_DIR", "/env/roadmaps"),
            ("DESI_CITY_METHODOLOGY_DIR", "/env/methodology"),
        ]);
        let s = Settings::load(&overrides, env).unwrap();
        assert_eq!(s.datasets().label(), dir.path().join("my-datasets"));
        assert!(!s.datasets().is_built_in());
        assert_eq!(s.indicators().label(), Path::new("/abs/indicators"));
        assert_eq!(s.roadmaps().label(), Path::new("/env/roadmaps"));
        assert_eq!(s.methodology().label(), Path::new("/env/methodology"));
        assert_eq!(s.charts().label(), Path::new("flag-charts"));
        assert!(s.i18n().is_built_in());
        assert_eq!(s.i18n().label(), Path::new("(built-in)/i18n"));

        // The pages' texts: file < env < flag, like the other folders.
        std::fs::write(&file, "i18n_dir = \"texts\"\n").unwrap();
        let from_file = |env| {
            Settings::load(
                &Overrides {
                    config: Some(file.clone()),
                    ..Default::default()
                },
                env,
            )
            .unwrap()
        };
        assert_eq!(
            from_file(env_of(&[])).i18n().label(),
            dir.path().join("texts")
        );
        let env = env_of(&[("DESI_CITY_I18N_DIR", "/env/i18n")]);
        assert_eq!(from_file(env).i18n().label(), Path::new("/env/i18n"));
        let s = Settings::load(
            &Overrides {
                config: Some(file.clone()),
                i18n_dir: Some(PathBuf::from("flag-i18n")),
                ..Default::default()
            },
            env_of(&[("DESI_CITY_I18N_DIR", "/env/i18n")]),
        )
        .unwrap();
        assert_eq!(s.i18n().label(), Path::new("flag-i18n"));

        // Without its own key, the methodology follows the indicators folder.
        let s = Settings::load(
            &Overrides {
                indicators_dir: Some(PathBuf::from("/mine")),
                ..Default::default()
            },
            env_of(&[]),
        )
        .unwrap();
        assert_eq!(s.methodology().label(), Path::new("/mine/methodology"));
        assert_eq!(s.roadmaps().label(), Path::new("/mine/roadmaps"));
    }

    #[test]
    fn max_response_mb_and_trusted_proxies_come_from_the_file_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "[upstream]\nmax_response_mb = 8\n[api]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n",
        );
        let overrides = Overrides {
            config: Some(file.clone()),
            ..Default::default()
        };
        let s = Settings::load(&overrides, env_of(&[])).unwrap();
        assert_eq!(s.upstream.max_response_mb, 8);
        let proxies = &s.api.trusted_proxies;
        assert_eq!(proxies.len(), 2);
        assert!(proxies[0].contains("10.1.2.3".parse().unwrap()));
        assert!(proxies[0].contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!proxies[0].contains("11.0.0.1".parse().unwrap()));
        assert!(proxies[1].contains("::1".parse().unwrap()));
        assert!(!proxies[1].contains("127.0.0.1".parse().unwrap()));

        let env = env_of(&[
            ("DESI_CITY_MAX_RESPONSE_MB", "300"),
            ("DESI_CITY_TRUSTED_PROXIES", "192.168.1.7, 172.16.0.0/12"),
        ]);
        let s = Settings::load(&overrides, env).unwrap();
        assert_eq!(s.upstream.max_response_mb, 300);
        assert_eq!(
            s.api.trusted_proxies,
            vec![
                "192.168.1.7/32".parse::<IpNet>().unwrap(),
                "172.16.0.0/12".parse().unwrap()
            ]
        );

        let err = Settings::load(
            &Overrides::default(),
            env_of(&[("DESI_CITY_MAX_RESPONSE_MB", "0")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("DESI_CITY_MAX_RESPONSE_MB"), "{err}");
        let err = Settings::load(
            &Overrides::default(),
            env_of(&[("DESI_CITY_TRUSTED_PROXIES", "10.0.0.0/33")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("DESI_CITY_TRUSTED_PROXIES") && err.contains("0 to 32"),
            "{err}"
        );
        let file = write(&dir, "[api]\ntrusted_proxies = [\"proxy.lan\"]\n");
        let overrides = Overrides {
            config: Some(file),
            ..Default::default()
        };
        let err = Settings::load(&overrides, env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("api.trusted_proxies") && err.contains("proxy.lan"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_explicit_config_file_is_an_error_naming_it() {
        let overrides = Overrides {
            config: Some(PathBuf::from("/nonexistent/desi-city.toml")),
            ..Default::default()
        };
        let err = Settings::load(&overrides, env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/desi-city.toml"), "{err}");
    }

    #[test]
    fn the_dashboard_geo_comes_from_the_file_then_the_environment_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Settings::load(&Overrides::default(), env_of(&[]))
                .unwrap()
                .dashboard
                .geo,
            "BE10"
        );
        let file = write(&dir, "[dashboard]\ngeo = \"NL32\"\n");
        let overrides = Overrides {
            config: Some(file.clone()),
            ..Default::default()
        };
        assert_eq!(
            Settings::load(&overrides, env_of(&[]))
                .unwrap()
                .dashboard
                .geo,
            "NL32"
        );
        let env = env_of(&[("DESI_CITY_DASHBOARD_GEO", "AT13")]);
        assert_eq!(
            Settings::load(&overrides, env).unwrap().dashboard.geo,
            "AT13"
        );

        let err = Settings::load(&overrides, env_of(&[("DESI_CITY_DASHBOARD_GEO", "be10")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("DESI_CITY_DASHBOARD_GEO") && err.contains("BE10"),
            "{err}"
        );
        let bad = write(&dir, "[dashboard]\ngeo = \"Brussels\"\n");
        let overrides = Overrides {
            config: Some(bad.clone()),
            ..Default::default()
        };
        let err = Settings::load(&overrides, env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dashboard.geo") && err.contains(&bad.display().to_string()),
            "{err}"
        );
    }
}
