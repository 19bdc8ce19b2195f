//! Test support: headless Chromium (Debian's `chromium`) driven over the Chrome DevTools
//! Protocol on a websocket (tokio-tungstenite): one tab, a viewport size per visit, and what a
//! person's browser would report — console errors, uncaught exceptions, failed requests and
//! answers of 400 or more — with a full-page screenshot. Nothing of desi-city is mocked: the
//! browser loads the real server's pages.
//!
//! Without Chromium the browser tests are skipped with a message, unless `CI` is set, where they
//! fail (`.ci/run` installs it).

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::KillOnDrop;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The Chromium binary, or `None` (after saying so) when it is absent outside CI.
pub fn chromium() -> Result<Option<PathBuf>> {
    let candidates = ["chromium", "chromium-browser"];
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
        for name in candidates {
            let file = dir.join(name);
            if file.is_file() {
                return Ok(Some(file));
            }
        }
    }
    if std::env::var_os("CI").is_some() {
        bail!(
            "chromium is not installed, and CI is set: `.ci/run` installs it (apt-get install -y chromium)"
        );
    }
    println!(
        "skipped: the browser test needs chromium (apt-get install -y chromium); it fails instead when CI is set"
    );
    Ok(None)
}

/// Where screenshots are kept: `<target dir>/artefacts/screenshots/`.
pub fn artefacts_dir() -> Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .parent()
                .map(|p| p.to_path_buf())
        })
        .context("no target directory")?;
    let dir = target.join("artefacts").join("screenshots");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// What one visit saw.
pub struct Visit {
    /// Console errors, exceptions, failed requests and answers ≥ 400, each in a line.
    pub problems: Vec<String>,
    /// How many requests the page made (itself included).
    pub requests: usize,
    /// The document's width in CSS px (more than the viewport: the page scrolls sideways).
    pub scroll_width: u32,
    pub screenshot: Vec<u8>,
}

struct Connection {
    socket: Socket,
    next: u64,
    /// Events read while waiting for an answer.
    events: Vec<Value>,
}

/// One headless Chromium with one tab.
pub struct Browser {
    _child: KillOnDrop,
    _profile: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    connection: Mutex<Connection>,
    session: String,
}

const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
];

impl Browser {
    pub fn launch(chromium: &std::path::Path) -> Result<Browser> {
        let profile = tempfile::Builder::new()
            .prefix("desi-city-chromium-")
            .tempdir()?;
        let mut child = Command::new(chromium)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("Failed to start {}", chromium.display()))?;
        let stderr = child.stderr.take().context("stderr")?;
        let child = KillOnDrop(child);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(at) = line.find("ws://") {
                    let _ = tx.send(line[at..].trim().to_owned());
                    sent = true;
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .context("chromium did not print its DevTools address in 30 s")?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (socket, _) = runtime
            .block_on(tokio_tungstenite::connect_async(url.as_str()))
            .with_context(|| format!("Failed to connect to {url}"))?;
        let mut browser = Browser {
            _child: child,
            _profile: profile,
            runtime,
            connection: Mutex::new(Connection {
                socket,
                next: 0,
                events: Vec::new(),
            }),
            session: String::new(),
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}), None)?;
        let id = target["targetId"].as_str().context("targetId")?.to_owned();
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": id, "flatten": true}),
            None,
        )?;
        browser.session = attached["sessionId"]
            .as_str()
            .context("sessionId")?
            .to_owned();
        for domain in ["Page", "Runtime", "Log", "Network"] {
            browser.tab(&format!("{domain}.enable"), json!({}))?;
        }
        Ok(browser)
    }

    fn read(&self, conn: &mut Connection, until: Instant) -> Result<Option<Value>> {
        let left = until.saturating_duration_since(Instant::now());
        let message = self
            .runtime
            .block_on(async { tokio::time::timeout(left, conn.socket.next()).await });
        match message {
            Err(_) => Ok(None),
            Ok(None) => bail!("the DevTools connection closed"),
            Ok(Some(m)) => match m? {
                Message::Text(text) => Ok(Some(serde_json::from_str(text.as_str())?)),
                _ => Ok(Some(Value::Null)),
            },
        }
    }

    /// Sends a command (to the tab's session when `session` is given) and waits for its answer.
    fn call(&self, method: &str, params: Value, session: Option<&str>) -> Result<Value> {
        let mut conn = self
            .connection
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        conn.next += 1;
        let id = conn.next;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        self.runtime
            .block_on(conn.socket.send(Message::text(message.to_string())))?;
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let Some(m) = self.read(&mut conn, until)? else {
                bail!("{method}: no answer in 60 s");
            };
            if m["id"] == id {
                if !m["error"].is_null() {
                    bail!("{method}: {}", m["error"]);
                }
                return Ok(m["result"].clone());
            }
            if m["method"].is_string() {
                conn.events.push(m);
            }
        }
    }

    fn tab(&self, method: &str, params: Value) -> Result<Value> {
        let session = self.session.clone();
        self.call(method, params, Some(&session))
    }

    /// Loads `url` in a `width` × `height` viewport, waits for its load event and a moment more,
    /// and reports what went wrong, how wide the page is, and a full-page screenshot.
    pub fn visit(&self, url: &str, width: u32, height: u32) -> Result<Visit> {
        self.connection
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .events
            .clear();
        self.tab(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        )?;
        let navigated = self.tab("Page.navigate", json!({"url": url}))?;
        ensure!(
            navigated["errorText"].is_null(),
            "{url}: {}",
            navigated["errorText"]
        );
        let mut events = Vec::new();
        let mut loaded: Option<Instant> = None;
        let deadline = Instant::now() + Duration::from_secs(60);
        {
            let mut conn = self
                .connection
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?;
            events.append(&mut conn.events);
            loop {
                if events.iter().any(|e| e["method"] == "Page.loadEventFired") && loaded.is_none() {
                    loaded = Some(Instant::now());
                }
                // Half a second after the load event for late requests.
                let until = match loaded {
                    Some(at) => at + Duration::from_millis(500),
                    None => deadline,
                };
                if Instant::now() >= until {
                    break;
                }
                match self.read(&mut conn, until)? {
                    Some(m) if m["method"].is_string() => events.push(m),
                    Some(_) => {}
                    None if loaded.is_some() => break,
                    None => bail!("{url}: no load event in 60 s"),
                }
            }
        }
        let mut problems = Vec::new();
        let mut urls: HashMap<String, String> = HashMap::new();
        let mut requests = 0;
        for e in &events {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or_default() {
                "Network.requestWillBeSent" => {
                    requests += 1;
                    urls.insert(
                        p["requestId"].as_str().unwrap_or_default().to_owned(),
                        p["request"]["url"].as_str().unwrap_or_default().to_owned(),
                    );
                }
                "Network.responseReceived" => {
                    let status = p["response"]["status"].as_u64().unwrap_or(0);
                    if status >= 400 {
                        problems.push(format!("{} answered {status}", p["response"]["url"]));
                    }
                }
                "Network.loadingFailed" => {
                    let id = p["requestId"].as_str().unwrap_or_default();
                    problems.push(format!(
                        "request failed: {} ({})",
                        urls.get(id).map(String::as_str).unwrap_or(id),
                        p["errorText"]
                    ));
                }
                "Runtime.consoleAPICalled"
                    if matches!(p["type"].as_str(), Some("error" | "assert")) =>
                {
                    problems.push(format!("console error: {}", p["args"]));
                }
                "Runtime.exceptionThrown" => {
                    problems.push(format!("exception: {}", p["exceptionDetails"]));
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    problems.push(format!(
                        "console: {} {}",
                        p["entry"]["text"], p["entry"]["url"]
                    ));
                }
                _ => {}
            }
        }
        let evaluate = |expression: &str| -> Result<u32> {
            let v = self.tab(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )?;
            Ok(v["result"]["value"].as_f64().context("a number")? as u32)
        };
        let scroll_width = evaluate("document.documentElement.scrollWidth")?;
        let full_height = evaluate("document.documentElement.scrollHeight")?.clamp(height, 12_000);
        let shot = self.tab(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": width, "height": full_height, "scale": 1},
            }),
        )?;
        let screenshot = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().context("screenshot data")?)?;
        Ok(Visit {
            problems,
            requests,
            scroll_width,
            screenshot,
        })
    }

    /// The colour scheme the pages are shown in (`light` or `dark`: `prefers-color-scheme`), for
    /// the visits that follow.
    pub fn color_scheme(&self, scheme: &str) -> Result<()> {
        self.tab(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )?;
        Ok(())
    }

    /// The contrast of every visible text of the page shown: per element holding text (not in an
    /// SVG image, not visually hidden), its computed colour over its effective background (the
    /// background colours of it and its ancestors composited, white below them all), as WCAG 2.1
    /// defines the ratio, with the minimum it needs (3 for large text: 24 px, or 18.66 px bold;
    /// 4.5 otherwise).
    pub fn text_contrasts(&self) -> Result<Vec<Contrast>> {
        let v = self.tab(
            "Runtime.evaluate",
            json!({"expression": CONTRAST_JS, "returnByValue": true}),
        )?;
        ensure!(
            v["exceptionDetails"].is_null(),
            "the contrast script failed: {}",
            v["exceptionDetails"]
        );
        Ok(serde_json::from_value(v["result"]["value"].clone())?)
    }
}

/// One text's contrast.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Contrast {
    pub text: String,
    pub tag: String,
    pub class: String,
    pub color: String,
    pub background: String,
    pub ratio: f64,
    pub need: f64,
}

impl std::fmt::Display for Contrast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2}:1 (needs {}) for <{} class={:?}> {:?}: {} on {}",
            self.ratio, self.need, self.tag, self.class, self.text, self.color, self.background
        )
    }
}

/// Runs in the page (Runtime.evaluate: the page's CSP concerns its own scripts, not DevTools').
const CONTRAST_JS: &str = r#"(() => {
  const parse = s => {
    const m = /rgba?\(([^)]+)\)/.exec(s);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const rgb = c => 'rgb(' + c.slice(0, 3).map(Math.round).join(', ') + ')';
  const out = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    if (!el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('svg, script, style, noscript, template')) continue;
    const s = getComputedStyle(el);
    if (s.visibility !== 'visible' || s.display === 'none') continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    const bg = background(el);
    const fg = over(parse(s.color) || [0, 0, 0, 1], bg);
    const size = parseFloat(s.fontSize);
    const weight = parseInt(s.fontWeight, 10) || 400;
    const large = size >= 24 || (size >= 18.66 && weight >= 700);
    out.push({
      text: n.textContent.trim().slice(0, 60), tag: el.tagName.toLowerCase(),
      class: typeof el.className === 'string' ? el.className : '',
      color: rgb(fg), background: rgb(bg),
      ratio: Math.round(ratio(fg, bg) * 100) / 100, need: large ? 3 : 4.5,
    });
  }
  return out;
})()"#;
