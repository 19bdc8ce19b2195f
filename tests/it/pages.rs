//! The HTML pages over a store built by the real pipeline: the shipped catalogue's households,
//! regional and platform sources fetched from the local upstream (the real files of
//! `../shared/data`), the DESI 2022 and 2020 inputs imported, then `desi-city serve`.
//!
//! Every page is crawled in every language from `/`: each answers 200, parses as HTML without a
//! parse error, declares its language, has its landmarks, one `h1` and headings in order, table
//! headers, alt text, no script and no inline style; every same-origin link and asset it names
//! answers without a 4xx or 5xx. Each dashboard card's value (its `<data value>`, and its text read
//! back for the language) is the value `/api/v1/dimensions` gives for the same indicator and geo;
//! the scorecard's the one `/api/v1/regions` gives; the roadmap's latest values those of
//! `/api/v1/roadmaps/{id}`. ETag/304, compression, and errors: an HTML page for a browser,
//! problem+json for an API client. The browser test (headless Chromium over the DevTools
//! protocol, `crate::cdp`) is in [`a_real_browser_loads_the_pages_at_phone_and_desktop_sizes_without_console_errors_or_failed_requests`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use scraper::{Html, Selector};
use serde_json::Value;

use crate::support::{KillOnDrop, Sandbox};
use crate::upstream::{Upstream, shared_file};

fn repo(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// The shipped catalogue, its households, regional and platform sources fetched, the DESI 2022
/// and 2020 inputs imported.
fn store(server: &Upstream) -> Result<Sandbox> {
    let sandbox = Sandbox::new(server)?;
    for entry in std::fs::read_dir(repo("datasets"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path
                .file_name()
                .context("a name")?
                .to_string_lossy()
                .into_owned();
            sandbox.write_catalogue_file(&name, &std::fs::read_to_string(&path)?)?;
        }
    }
    sandbox
        .fetch(&[
            "isoc_ci_in_h",
            "isoc_r_iacc_h",
            "isoc_r_broad_h",
            "desi",
            "desi_dd_trajectories",
        ])?
        .ok()?;
    for (file, dataset, format) in [
        (
            "desi/2022/indicators_complete.csv",
            "desi_2022_complete",
            "desi-wide",
        ),
        ("desi/2020/indicators_raw.csv", "desi_2020_raw", "desi-csv"),
    ] {
        let path = shared_file(file);
        sandbox
            .run(&[
                "import",
                path.to_str().context("UTF-8")?,
                "--dataset",
                dataset,
                "--format",
                format,
            ])?
            .ok()?;
    }
    Ok(sandbox)
}

/// `desi-city serve` over a sandbox, with the shipped definitions.
pub struct Served {
    _child: KillOnDrop,
    pub base: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).with_context(|| format!("not JSON: {}", self.text()))
    }
}

impl Served {
    pub fn start(sandbox: &Sandbox) -> Result<Served> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = sandbox.root.join("serve-pages.stderr");
        let mut cmd = sandbox.command(&[
            "serve",
            "--no-schedule",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ]);
        cmd.env("DESI_CITY_COMPUTE_PER_SECOND", "0");
        let s = crate::support::serve(cmd, port, &log, 2, Duration::from_secs(60))?;
        Ok(Served {
            _child: s.child,
            base: s.base,
            runtime: s.runtime,
            client: s.client,
        })
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Result<Answer> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .with_context(|| format!("GET {path}"))?;
            Ok(Answer {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                body: response.bytes().await?.to_vec(),
            })
        })
    }

    pub fn get(&self, path: &str) -> Result<Answer> {
        self.request("GET", path, &[])
    }

    fn api(&self, path: &str) -> Result<Value> {
        let answer = self.get(path)?;
        ensure!(
            answer.status == 200,
            "{path}: {} {}",
            answer.status,
            answer.text()
        );
        answer.json()
    }
}

/// Starts the upstream, builds the store and serves it.
pub fn served() -> Result<(Upstream, Sandbox, Served)> {
    let server = Upstream::with_shared_files()?;
    let sandbox = store(&server)?;
    let served = Served::start(&sandbox)?;
    Ok((server, sandbox, served))
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("a valid selector")
}

/// The checks every page passes; the same-origin links and assets it names.
fn check_page(path: &str, lang: &str, answer: &Answer) -> Result<Vec<String>> {
    ensure!(
        answer.status == 200,
        "{path}: {} {}",
        answer.status,
        answer.text()
    );
    ensure!(
        answer.header("content-type") == "text/html; charset=utf-8",
        "{path}: {}",
        answer.header("content-type")
    );
    let csp = answer.header("content-security-policy");
    ensure!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{path}: CSP {csp:?}"
    );
    ensure!(!answer.header("etag").is_empty(), "{path}: no ETag");
    let text = answer.text();
    let html = Html::parse_document(&text);
    ensure!(
        html.errors.is_empty(),
        "{path}: the HTML does not parse cleanly: {:?}",
        html.errors
    );
    let root = html.root_element();
    ensure!(
        root.value().attr("lang") == Some(lang),
        "{path}: <html lang> is {:?}, not {lang}",
        root.value().attr("lang")
    );
    for landmark in ["header", "nav", "main", "footer"] {
        ensure!(
            html.select(&sel(landmark)).count() >= 1,
            "{path}: no <{landmark}>"
        );
    }
    ensure!(
        html.select(&sel("h1")).count() == 1,
        "{path}: not exactly one h1"
    );
    let mut last = 0;
    for h in html.select(&sel("h1, h2, h3, h4, h5, h6")) {
        let level: usize = h.value().name()[1..].parse()?;
        ensure!(
            level <= last + 1,
            "{path}: heading {:?} (h{level}) after an h{last}",
            h.text().collect::<String>()
        );
        last = level;
    }
    for table in html.select(&sel("table")) {
        ensure!(
            table.select(&sel("thead th[scope=col]")).count() >= 1,
            "{path}: a table without column headers"
        );
    }
    for img in html.select(&sel("img")) {
        ensure!(
            img.value()
                .attr("alt")
                .is_some_and(|a| !a.trim().is_empty()),
            "{path}: an image without alt text"
        );
    }
    ensure!(html.select(&sel("script")).count() == 0, "{path}: a script");
    ensure!(
        html.select(&sel("[style]")).count() == 0 && html.select(&sel("style")).count() == 0,
        "{path}: an inline style (the CSP refuses it)"
    );
    let mut links = Vec::new();
    for (selector, attr) in [
        ("a[href]", "href"),
        ("link[href]", "href"),
        ("img[src]", "src"),
    ] {
        for e in html.select(&sel(selector)) {
            let href = e.value().attr(attr).unwrap_or_default();
            if href.starts_with('/') && !href.starts_with("//") {
                links.push(href.split('#').next().unwrap_or_default().to_owned());
            } else if href.starts_with('#') || href.starts_with("http") {
                // In-page anchors; other origins are not ours to check offline.
            } else {
                bail!("{path}: a link that is neither absolute nor same-origin: {href:?}");
            }
        }
    }
    Ok(links)
}

/// A number as a page writes it in `lang` (`84,79 %`, `1.234,5`, `−0,4`), read back.
fn read_number(text: &str, lang: &str) -> Option<f64> {
    let mut s: String = text
        .trim()
        .trim_end_matches('%')
        .trim()
        .replace(['\u{202f}', '\u{a0}', ' '], "")
        .replace('\u{2212}', "-");
    match lang {
        "en" => s = s.replace(',', ""),
        "nl" | "de" => s = s.replace('.', "").replace(',', "."),
        _ => s = s.replace(',', "."),
    }
    s.parse().ok()
}

#[test]
fn every_page_in_every_language_parses_its_links_resolve_and_its_cards_show_the_api_values()
-> Result<()> {
    let (_server, _sandbox, served) = served()?;
    let mut queue: VecDeque<(String, String)> = ["fr", "nl", "en", "de"]
        .iter()
        .map(|l| (format!("/?lang={l}"), (*l).to_owned()))
        .collect();
    let mut seen: BTreeSet<String> = queue.iter().map(|(p, _)| p.clone()).collect();
    let mut pages = 0;
    let mut assets = 0;
    let mut kinds = BTreeSet::new();
    while let Some((path, lang)) = queue.pop_front() {
        let answer = served.get(&path)?;
        let is_page = !path.starts_with("/api/")
            && !path.starts_with("/embed/")
            && answer.header("content-type").starts_with("text/html");
        if !is_page {
            ensure!(
                answer.status < 400,
                "{path} answers {}: {}",
                answer.status,
                answer.text().chars().take(300).collect::<String>()
            );
            assets += 1;
            continue;
        }
        pages += 1;
        kinds.insert(path.split(['/', '?']).nth(1).unwrap_or_default().to_owned());
        for link in check_page(&path, &lang, &answer)? {
            if seen.insert(link.clone()) {
                let link_lang = link
                    .split("lang=")
                    .nth(1)
                    .map(|l| l[..2].to_owned())
                    .unwrap_or_else(|| lang.clone());
                queue.push_back((link, link_lang));
            }
        }
    }
    // The dashboard, 4 languages × (the dashboard, the indicators, the targets, the statement).
    ensure!(pages >= 4 * 20, "only {pages} pages crawled");
    for kind in ["", "indicators", "targets", "accessibility"] {
        ensure!(
            kinds.contains(kind),
            "no page of kind {kind:?} was linked: {kinds:?}"
        );
    }
    ensure!(assets > 50, "only {assets} assets and API links checked");

    // Each card's values are the API's.
    for lang in ["en", "fr", "nl"] {
        let page = served.get(&format!("/?lang={lang}"))?;
        let html = Html::parse_document(&page.text());
        let mut by_geo: BTreeMap<String, Value> = BTreeMap::new();
        let mut compared = 0;
        for data in html.select(&sel("li.card data[data-indicator]")) {
            let v = data.value();
            let (indicator, geo, period) = (
                v.attr("data-indicator").context("indicator")?,
                v.attr("data-geo").context("geo")?,
                v.attr("data-period").context("period")?,
            );
            let shown: f64 = v.attr("value").context("value")?.parse()?;
            if !by_geo.contains_key(geo) {
                by_geo.insert(
                    geo.to_owned(),
                    served.api(&format!("/api/v1/dimensions?geo={geo}&lang={lang}"))?,
                );
            }
            let line = by_geo[geo]["dimensions"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|d| d["indicators"].as_array().into_iter().flatten())
                .find(|l| l["indicator"] == indicator)
                .with_context(|| format!("/dimensions?geo={geo} has no {indicator}"))?;
            ensure!(
                line["value"].as_f64() == Some(shown) && line["period"] == period,
                "{lang} card {indicator} {geo}: the page shows {shown} ({period}), the API {} ({})",
                line["value"],
                line["period"]
            );
            let text: String = data.text().collect();
            let read = read_number(&text, lang)
                .with_context(|| format!("{lang}: {text:?} is not a number"))?;
            let decimals = text
                .trim_end_matches(['%', ' ', '\u{a0}'])
                .rsplit([',', '.'])
                .next()
                .filter(|_| text.contains([',', '.']))
                .map_or(0, str::len) as i32;
            ensure!(
                (read - shown).abs() <= 0.5 * 10f64.powi(-decimals) + 1e-9,
                "{lang} card {indicator} {geo}: {text:?} is not {shown}"
            );
            compared += 1;
        }
        ensure!(
            compared >= 8,
            "{lang}: only {compared} card values compared"
        );
        // The rank, said with its group and count (English only: the words are checked there).
        if lang == "en" {
            let mut ranks = 0;
            for card in html.select(&sel("li.card")) {
                let indicator = card.value().attr("data-indicator").context("id")?;
                let Some(main) = card.select(&sel("dl.values div.main data")).next() else {
                    continue;
                };
                let geo = main.value().attr("data-geo").context("geo")?;
                let line = by_geo[geo]["dimensions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|d| d["indicators"].as_array().into_iter().flatten())
                    .find(|l| l["indicator"] == indicator)
                    .context("line")?;
                if line["rank"].is_null() {
                    continue;
                }
                let rank: String = card
                    .select(&sel("p.rank"))
                    .next()
                    .context("a rank")?
                    .text()
                    .collect();
                let expected = format!("{} of {}", line["rank"]["rank"], line["rank"]["of"]);
                ensure!(
                    rank.contains(&expected),
                    "{indicator}: {rank:?} lacks {expected:?}"
                );
                ranks += 1;
            }
            ensure!(ranks >= 5, "only {ranks} ranks compared");
        }
    }

    // The scorecard's totals are /regions', the roadmap's latest values /roadmaps/{id}'s.
    let page = served.get("/?lang=en")?;
    let html = Html::parse_document(&page.text());
    let regions = served.api("/api/v1/regions")?;
    let mut totals = 0;
    for row in html.select(&sel("#scorecard ~ div tr[data-geo]")) {
        let geo = row.value().attr("data-geo").context("geo")?;
        let shown: f64 = row
            .select(&sel("data"))
            .next()
            .and_then(|d| d.value().attr("value"))
            .context("a total")?
            .parse()?;
        let api = regions["regions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["geo"] == geo)
            .with_context(|| format!("/regions has no {geo}"))?;
        ensure!(
            api["total"].as_f64() == Some(shown),
            "{geo}: {shown} vs {}",
            api["total"]
        );
        totals += 1;
    }
    ensure!(totals >= 3, "only {totals} scorecard rows compared");
    let mut progress = 0;
    for row in html.select(&sel("tr[data-target]")) {
        let (target, geo) = (
            row.value().attr("data-target").context("target")?,
            row.value().attr("data-geo").context("geo")?,
        );
        let href = row
            .select(&sel("a"))
            .next()
            .and_then(|a| a.value().attr("href"))
            .context("a link")?;
        let roadmap = href.split('/').nth(2).context("roadmap")?;
        let api = served.api(&format!("/api/v1/roadmaps/{roadmap}?geo={geo}"))?;
        let p = api["progress"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["target"] == target && p["geo"] == geo)
            .with_context(|| format!("{roadmap} has no {target} for {geo}"))?;
        let shown = row
            .select(&sel("data"))
            .next()
            .and_then(|d| d.value().attr("value"))
            .map(str::parse::<f64>)
            .transpose()?;
        ensure!(
            shown == p["latest"]["value"].as_f64(),
            "{target} {geo}: {shown:?} vs {}",
            p["latest"]
        );
        let status: String = row
            .select(&sel(".status"))
            .next()
            .context("a status")?
            .text()
            .collect();
        ensure!(
            status.contains(p["status"].as_str().context("status")?),
            "{target} {geo}: {status:?} vs {}",
            p["status"]
        );
        progress += 1;
    }
    ensure!(progress >= 3, "only {progress} roadmap rows compared");
    Ok(())
}

#[test]
fn pages_revalidate_compress_and_answer_a_browser_with_an_html_error_and_an_api_client_with_a_problem()
-> Result<()> {
    let (_server, _sandbox, served) = served()?;
    for path in [
        "/?lang=fr",
        "/indicators/households_internet_access?lang=nl",
        "/accessibility",
    ] {
        let first = served.get(path)?;
        ensure!(first.status == 200, "{path}: {}", first.status);
        let etag = first.header("etag").to_owned();
        ensure!(etag.starts_with('"'), "{path}: ETag {etag:?}");
        ensure!(
            first.header("cache-control").contains("max-age"),
            "{path}: {}",
            first.header("cache-control")
        );
        ensure!(first.header("vary").contains("Accept-Language"), "{path}");
        let again = served.request("GET", path, &[("if-none-match", &etag)])?;
        ensure!(
            again.status == 304 && again.body.is_empty(),
            "{path}: {}",
            again.status
        );
        ensure!(again.header("etag") == etag, "{path}: the 304's ETag");
        let same = served.get(path)?;
        ensure!(
            same.body == first.body && same.header("etag") == etag,
            "{path}: not stable"
        );
        let gzip = served.request("GET", path, &[("accept-encoding", "gzip")])?;
        ensure!(
            gzip.header("content-encoding") == "gzip" && gzip.header("etag") != etag,
            "{path}: {} {}",
            gzip.header("content-encoding"),
            gzip.header("etag")
        );
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gzip.body[..]),
            &mut unzipped,
        )?;
        ensure!(
            unzipped == first.body,
            "{path}: the gzip body is not the page"
        );
        let gzip_tag = gzip.header("etag").to_owned();
        let again = served.request(
            "GET",
            path,
            &[("accept-encoding", "gzip"), ("if-none-match", &gzip_tag)],
        )?;
        ensure!(
            again.status == 304,
            "{path}: gzip revalidation {}",
            again.status
        );
        let br = served.request("GET", path, &[("accept-encoding", "br, gzip")])?;
        ensure!(
            br.header("content-encoding") == "br" && br.body.len() < first.body.len(),
            "{path}: br {}",
            br.header("content-encoding")
        );
    }
    // The language: the parameter, else Accept-Language.
    let nl = served.request(
        "GET",
        "/",
        &[("accept-language", "nl-BE,nl;q=0.9,en;q=0.5")],
    )?;
    ensure!(
        nl.text().contains("<html lang=\"nl\">"),
        "Accept-Language nl"
    );
    ensure!(nl.header("content-language") == "nl");

    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for (path, status) in [
        ("/indicators/no_such_indicator", 404),
        ("/api/v1/indicators/no_such_indicator", 404),
        ("/?lang=xx", 400),
        ("/targets/eu-digital-decade-2030/nope", 404),
        ("/no/such/page", 404),
    ] {
        let page = served.request(
            "GET",
            path,
            &[("accept", browser), ("accept-language", "fr")],
        )?;
        ensure!(
            page.status == status,
            "{path}: {} for a browser",
            page.status
        );
        ensure!(
            page.header("content-type") == "text/html; charset=utf-8",
            "{path}: {}",
            page.header("content-type")
        );
        let html = Html::parse_document(&page.text());
        ensure!(html.errors.is_empty(), "{path}: {:?}", html.errors);
        let h1: String = html
            .select(&sel("h1"))
            .next()
            .context("h1")?
            .text()
            .collect();
        ensure!(h1.starts_with(&status.to_string()), "{path}: h1 {h1:?}");
        let detail: String = html
            .select(&sel(".detail"))
            .next()
            .context("the detail")?
            .text()
            .collect();
        ensure!(detail.len() > 10, "{path}: detail {detail:?}");
        ensure!(page.header("cache-control") == "no-store", "{path}");
        for accept in ["application/json", "*/*", ""] {
            let headers: Vec<(&str, &str)> = if accept.is_empty() {
                vec![]
            } else {
                vec![("accept", accept)]
            };
            let api = served.request("GET", path, &headers)?;
            ensure!(api.status == status, "{path} {accept}: {}", api.status);
            ensure!(
                api.header("content-type") == "application/problem+json",
                "{path} {accept:?}: {}",
                api.header("content-type")
            );
            let problem = api.json()?;
            ensure!(problem["status"] == status, "{path}: {problem}");
            ensure!(
                problem["detail"].as_str() == Some(detail.as_str()),
                "{path}: {problem} vs {detail}"
            );
        }
    }
    // A method the page does not answer: 405 with Allow, HTML for a browser.
    let post = served.request("POST", "/", &[("accept", browser)])?;
    ensure!(
        post.status == 405 && post.header("content-type").starts_with("text/html"),
        "{}",
        post.status
    );
    ensure!(
        post.header("allow").contains("GET"),
        "Allow: {}",
        post.header("allow")
    );
    let post = served.request("POST", "/", &[("accept", "application/json")])?;
    ensure!(post.status == 405 && post.header("content-type") == "application/problem+json");
    Ok(())
}

#[test]
fn a_real_browser_loads_the_pages_at_phone_and_desktop_sizes_without_console_errors_or_failed_requests()
-> Result<()> {
    let Some(chromium) = crate::cdp::chromium()? else {
        return Ok(());
    };
    let (_server, _sandbox, served) = served()?;
    let shots = crate::cdp::artefacts_dir()?;
    let browser = crate::cdp::Browser::launch(&chromium)?;
    let mut taken = 0;
    for (name, path) in [
        ("dashboard", "/?lang=fr"),
        (
            "indicator",
            "/indicators/households_internet_access_regional?lang=nl",
        ),
        (
            "target",
            "/targets/brussels-capital-example/households-internet-access?lang=en",
        ),
        ("embed", "/embed/internet-access-brussels?lang=fr"),
    ] {
        for (width, height) in [(360, 800), (1280, 900)] {
            let url = format!("{}{path}", served.base);
            let visit = browser.visit(&url, width, height)?;
            ensure!(
                visit.problems.is_empty(),
                "{url} at {width}×{height}: {:#?}",
                visit.problems
            );
            ensure!(
                visit.requests >= 2,
                "{url}: only {} requests seen",
                visit.requests
            );
            ensure!(
                visit.scroll_width <= width,
                "{url} at {width}×{height}: the page is {} px wide (scrolls sideways)",
                visit.scroll_width
            );
            let file = shots.join(format!("{name}-{width}x{height}.png"));
            std::fs::write(&file, &visit.screenshot)?;
            ensure!(
                visit.screenshot.starts_with(b"\x89PNG"),
                "{name}: not a PNG"
            );
            taken += 1;
        }
    }
    println!("{taken} screenshots in {}", shots.display());
    Ok(())
}
