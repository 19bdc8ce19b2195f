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
//! problem+json for an API client. The engine's reasons (a target not measured, a chart not
//! drawn) are in the page's language, never the API's English note; regions are named from the
//! stored GISCO shapes, on the pages and in the charts alike; a target with a shipped trajectory
//! chart links it; a translator's copy of the texts (`i18n_dir`) is served, a broken one refused.
//! The browser test (headless Chromium over the DevTools protocol, `crate::cdp`), with the
//! contrast of every text, is in [`a_real_browser_loads_the_pages_at_phone_and_desktop_sizes_without_console_errors_or_failed_requests_and_every_text_has_aa_contrast`].

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
/// and 2020 inputs and GISCO's NUTS-2 shapes (whose names the pages show) imported.
fn store(server: &Upstream) -> Result<Sandbox> {
    let sandbox = Sandbox::new(server)?;
    sandbox.write_shipped_catalogue()?;
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
        (
            "geo/NUTS_RG_60M_2021_4326_LEVL_2.geojson",
            "gisco_nuts2_2021",
            "geojson",
        ),
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

/// The text of the first element under `scope` that `selector` matches.
fn first_text(scope: scraper::ElementRef, selector: &str) -> Option<String> {
    scope
        .select(&sel(selector))
        .next()
        .map(|e| e.text().collect())
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
                let rank = first_text(card, "p.rank").context("a rank")?;
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

    // The scorecard's rows are the city's `capitals` of /regions (every capital on the city's
    // scale), best first, ranks agreeing with the totals; the roadmap's latest values are
    // /roadmaps/{id}'s.
    let page = served.get("/?lang=en")?;
    let html = Html::parse_document(&page.text());
    let regions = served.api("/api/v1/regions?geo=BE10")?;
    let capitals = regions["regions"][0]["capitals"]
        .as_array()
        .context("/regions?geo=BE10 has no capitals")?;
    let mut totals = 0;
    let mut previous: Option<(f64, u64)> = None;
    for row in html.select(&sel("#scorecard ~ div tr[data-geo]")) {
        let geo = row.value().attr("data-geo").context("geo")?;
        let shown: f64 = row
            .select(&sel("data"))
            .next()
            .and_then(|d| d.value().attr("value"))
            .context("a total")?
            .parse()?;
        let rank: u64 = row
            .select(&sel("td"))
            .next()
            .map(|td| td.text().collect::<String>())
            .context("a rank cell")?
            .trim()
            .parse()
            .with_context(|| format!("{geo}: the first cell is not a rank"))?;
        let api = capitals
            .iter()
            .find(|r| r["geo"] == geo)
            .with_context(|| format!("/regions?geo=BE10 capitals have no {geo}"))?;
        ensure!(
            api["total"].as_f64() == Some(shown),
            "{geo}: {shown} vs {}",
            api["total"]
        );
        if let Some((total, before)) = previous {
            ensure!(
                shown <= total && (rank == before) == (shown == total) && rank >= before,
                "{geo}: rank {rank} with {shown} after rank {before} with {total}"
            );
        }
        previous = Some((shown, rank));
        totals += 1;
    }
    ensure!(
        totals == capitals.len(),
        "{totals} scorecard rows for {} capitals",
        capitals.len()
    );
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
        let status = first_text(row, ".status").context("a status")?;
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
        let h1 = first_text(html.root_element(), "h1").context("h1")?;
        ensure!(h1.starts_with(&status.to_string()), "{path}: h1 {h1:?}");
        let detail = first_text(html.root_element(), ".detail").context("the detail")?;
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
fn a_real_browser_loads_the_pages_at_phone_and_desktop_sizes_without_console_errors_or_failed_requests_and_every_text_has_aa_contrast()
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
            "/targets/brussels-capital-example/households-internet-access?lang=nl",
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

    // WCAG 2.1 AA, 1.4.3: every text at least 4.5:1 (3:1 when large) against what is behind it,
    // in the light and the dark colour scheme (the embed page has one), at both sizes.
    // The check itself tells a text just below 4.5:1 (#777 on white, 4.48:1) from one just above
    // (#767676, 4.54:1), composites a translucent background, and lets large text pass at 3:1.
    browser.visit(
        "data:text/html,<body style='background:%23fff'><p style='color:%23777'>below</p>\
         <p style='color:%23767676'>above</p><div style='background:rgba(0,0,0,0.5)'>\
         <p style='color:%23000'>translucent</p></div><h1 style='font-size:32px;color:%23949494'>large</h1></body>",
        800,
        600,
    )?;
    let probe: BTreeMap<String, (f64, f64)> = browser
        .text_contrasts()?
        .into_iter()
        .map(|c| (c.text.clone(), (c.ratio, c.need)))
        .collect();
    ensure!(
        probe.get("below") == Some(&(4.48, 4.5))
            && probe.get("above") == Some(&(4.54, 4.5))
            && probe
                .get("large")
                .is_some_and(|(r, n)| *n == 3.0 && *r >= 3.0 && *r < 4.5)
            && probe
                .get("translucent")
                .is_some_and(|(r, _)| *r > 5.0 && *r < 5.6),
        "the contrast check measures wrongly: {probe:?}"
    );
    let mut lowest: Option<crate::cdp::Contrast> = None;
    let mut checked = 0;
    let mut failures = Vec::new();
    for scheme in ["light", "dark"] {
        browser.color_scheme(scheme)?;
        for path in [
            "/?lang=fr",
            "/indicators/households_internet_access_regional?lang=nl",
            "/targets/brussels-capital-example/households-internet-access?lang=de",
            "/embed/internet-access-brussels?lang=en",
        ] {
            for (width, height) in [(360, 800), (1280, 900)] {
                let url = format!("{}{path}", served.base);
                let visit = browser.visit(&url, width, height)?;
                ensure!(visit.problems.is_empty(), "{url}: {:#?}", visit.problems);
                let texts = browser.text_contrasts()?;
                ensure!(texts.len() >= 10, "{url}: only {} texts found", texts.len());
                for c in texts {
                    checked += 1;
                    if c.ratio < c.need {
                        failures.push(format!("{scheme} {url} at {width}px: {c}"));
                    }
                    if lowest.as_ref().is_none_or(|l| c.ratio < l.ratio) {
                        lowest = Some(c);
                    }
                }
            }
        }
    }
    browser.color_scheme("light")?;
    ensure!(
        failures.is_empty(),
        "{} texts below the WCAG AA contrast:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let lowest = lowest.context("no text")?;
    println!("{checked} texts checked; the lowest contrast: {lowest}");
    Ok(())
}

/// One progress row's note as the API gives it: roadmap, target, geo, English note, reason code.
type ApiNote = (String, String, String, String, String);

/// The notes `/api/v1/roadmaps/{id}` gives for the dashboard's city, country and the EU.
fn api_notes(served: &Served) -> Result<Vec<ApiNote>> {
    let mut notes = Vec::new();
    let list = served.api("/api/v1/roadmaps")?;
    for r in list["roadmaps"].as_array().context("roadmaps")? {
        let id = r["id"].as_str().context("id")?;
        let one = served.api(&format!("/api/v1/roadmaps/{id}"))?;
        for p in one["progress"].as_array().context("progress")? {
            if let (Some(note), Some(reason)) = (p["note"].as_str(), p["reason"].as_str())
                && ["BE10", "BE", "EU27_2020"].contains(&p["geo"].as_str().unwrap_or_default())
            {
                notes.push((
                    id.to_owned(),
                    p["target"].as_str().context("target")?.to_owned(),
                    p["geo"].as_str().context("geo")?.to_owned(),
                    note.to_owned(),
                    reason.to_owned(),
                ));
            }
        }
    }
    Ok(notes)
}

#[test]
fn the_french_dutch_and_german_pages_write_the_engines_reasons_in_their_language_never_its_english_note()
-> Result<()> {
    let (_server, _sandbox, served) = served()?;
    let notes = api_notes(&served)?;
    ensure!(
        notes.iter().any(|n| n.4 == "fewer_than_two_years"),
        "the store gives no target with fewer than two years of data: {notes:?}"
    );
    let row_note = |html: &Html, target: &str, geo: &str| -> Option<String> {
        html.select(&sel(&format!(
            "tr[data-target=\"{target}\"][data-geo=\"{geo}\"] td small"
        )))
        .next()
        .map(|s| s.text().collect::<String>().trim().to_owned())
    };
    for (roadmap, target, geo, english, reason) in &notes {
        let english = english.split(" (run `").next().unwrap_or(english);
        for lang in ["fr", "nl", "de", "en"] {
            for path in [
                format!("/?lang={lang}"),
                format!("/targets/{roadmap}/{target}?lang={lang}"),
            ] {
                let page = served.get(&path)?;
                ensure!(page.status == 200, "{path}: {}", page.status);
                let html = Html::parse_document(&page.text());
                let Some(shown) = row_note(&html, target, geo) else {
                    bail!("{path}: no note on the row of {target} for {geo} ({reason})");
                };
                ensure!(
                    !shown.is_empty(),
                    "{path}: an empty note for {target} {geo}"
                );
                let text: String = html.root_element().text().collect();
                if lang == "en" {
                    // The English page says it in en.toml's words (the indicator by its title).
                    if reason == "fewer_than_two_years" {
                        ensure!(
                            shown.starts_with("fewer than two years of ") && shown != english,
                            "{path}: {shown:?} vs the API's {english:?}"
                        );
                    }
                } else {
                    ensure!(
                        !text.contains(english) && shown != english,
                        "{path}: the engine's English note {english:?} is on the {lang} page ({shown:?})"
                    );
                }
            }
        }
    }
    Ok(())
}

/// The Latin-script name (`NAME_LATN`) of every region of the shared GISCO file, by code.
fn gisco_names() -> Result<BTreeMap<String, String>> {
    let file = shared_file("geo/NUTS_RG_60M_2021_4326_LEVL_2.geojson");
    let geojson: Value = serde_json::from_slice(&std::fs::read(&file)?)?;
    geojson["features"]
        .as_array()
        .context("features")?
        .iter()
        .map(|f| {
            let p = &f["properties"];
            Ok((
                p["NUTS_ID"].as_str().context("NUTS_ID")?.to_owned(),
                p["NAME_LATN"].as_str().context("NAME_LATN")?.to_owned(),
            ))
        })
        .collect()
}

#[test]
fn capital_regions_are_named_from_the_stored_gisco_shapes_with_their_codes_on_the_pages_and_in_the_charts()
-> Result<()> {
    let (_server, _sandbox, served) = served()?;
    let names = gisco_names()?;
    for lang in ["fr", "nl", "en"] {
        let page = served.get(&format!("/?lang={lang}"))?;
        let html = Html::parse_document(&page.text());
        let mut named = 0;
        for row in html.select(&sel("#scorecard ~ div tr[data-geo]")) {
            let geo = row.value().attr("data-geo").context("geo")?;
            let th = first_text(row, "th").context("th")?;
            let code = first_text(row, "th .geo-code")
                .with_context(|| format!("{lang}: the row of {geo} shows no code: {th:?}"))?;
            ensure!(code == geo, "{lang}: {geo}'s code shown as {code:?}");
            if geo != "BE10" {
                let name = names
                    .get(geo)
                    .with_context(|| format!("GISCO has no {geo}"))?;
                ensure!(
                    th.starts_with(name.as_str()),
                    "{lang}: {geo} is shown as {th:?}, not by GISCO's name {name:?}"
                );
                named += 1;
            }
        }
        ensure!(named >= 3, "{lang}: only {named} capital regions named");
    }
    // The charts take their names from the same resolver: the ranking's text alternative names
    // its highest and lowest capital regions (its bars keep the codes, as the chart file draws them).
    let svg = served.get("/api/v1/charts/internet-access-capitals.svg?lang=en")?;
    ensure!(svg.status == 200, "ranking chart: {}", svg.status);
    let text = svg.text();
    let desc = text
        .split_once("<desc")
        .and_then(|(_, d)| d.split_once("</desc>"))
        .map(|(d, _)| d.to_owned())
        .context("the chart has no <desc>")?;
    let shown: Vec<&String> = names
        .iter()
        .filter(|(code, _)| code.len() == 4 && !code.starts_with("BE"))
        .map(|(_, name)| name)
        .filter(|name| desc.contains(name.as_str()))
        .collect();
    ensure!(
        !shown.is_empty(),
        "the ranking's text names no capital region by GISCO's name: {desc}"
    );
    Ok(())
}

#[test]
fn a_target_page_and_the_dashboard_link_the_trajectory_chart_file_shipped_for_that_target()
-> Result<()> {
    let (_server, _sandbox, served) = served()?;
    // Each trajectory chart file of charts/: its roadmap, target and geo, read from the file.
    let mut shipped = Vec::new();
    for entry in std::fs::read_dir(repo("charts"))? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let file: toml::Value = toml::from_str(&std::fs::read_to_string(&path)?)?;
        if file.get("type").and_then(|t| t.as_str()) == Some("target-trajectory") {
            let s = |k: &str| {
                file.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let geo = file
                .get("geos")
                .and_then(|g| g.as_array())
                .and_then(|g| g.first())
                .and_then(|g| g.as_str())
                .context("geos")?
                .to_owned();
            shipped.push((s("id"), s("roadmap"), s("target"), geo));
        }
    }
    ensure!(
        shipped.len() >= 3,
        "only {} trajectory charts shipped",
        shipped.len()
    );
    let dashboard = Html::parse_document(&served.get("/?lang=fr")?.text());
    for (id, roadmap, target, geo) in &shipped {
        let page = served.get(&format!("/targets/{roadmap}/{target}?lang=nl"))?;
        ensure!(page.status == 200, "{roadmap}/{target}: {}", page.status);
        let html = Html::parse_document(&page.text());
        let figure = html
            .select(&sel(&format!("figure[data-chart=\"{id}\"] img")))
            .next()
            .with_context(|| format!("{roadmap}/{target}: no picture of chart {id}"))?;
        let src = figure.value().attr("src").unwrap_or_default();
        ensure!(
            src == format!("/api/v1/charts/{id}.svg?lang=nl"),
            "{id}: the picture is {src:?}"
        );
        let links: Vec<String> = html
            .select(&sel(&format!("ul.chart-links[data-chart=\"{id}\"] a")))
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect();
        for want in [
            format!("/api/v1/charts/{id}.svg?lang=nl"),
            format!("/api/v1/charts/{id}.png?lang=nl"),
            format!("/embed/{id}?lang=nl"),
        ] {
            ensure!(links.contains(&want), "{id}: {want} not linked: {links:?}");
            let answer = served.get(&want)?;
            ensure!(answer.status == 200, "{want}: {}", answer.status);
        }
        let png = served.get(&format!("/api/v1/charts/{id}.png?lang=nl"))?;
        ensure!(png.body.starts_with(b"\x89PNG"), "{id}: the PNG is not one");
        // The dashboard's roadmap row of the target for that geo, when it shows it.
        if let Some(row) = dashboard
            .select(&sel(&format!(
                "tr[data-target=\"{target}\"][data-geo=\"{geo}\"]"
            )))
            .next()
        {
            let a = row
                .select(&sel("a.trajectory"))
                .next()
                .with_context(|| format!("the dashboard's row of {target} links no trajectory"))?;
            ensure!(
                a.value().attr("data-chart") == Some(id.as_str())
                    && a.value().attr("href") == Some(format!("/embed/{id}?lang=fr").as_str()),
                "{target}: the dashboard links {:?}",
                a.value().attr("href")
            );
        }
    }
    let trajectories = dashboard.select(&sel("a.trajectory[data-chart]")).count();
    ensure!(
        trajectories >= 2,
        "the dashboard links only {trajectories} chart files"
    );
    Ok(())
}

#[test]
fn a_translators_copy_of_the_texts_named_by_i18n_dir_is_served_and_a_broken_one_is_refused_naming_the_file_and_key()
-> Result<()> {
    let server = Upstream::with_shared_files()?;
    let mut sandbox = Sandbox::new(&server)?;
    let texts = sandbox.root.join("texts");
    std::fs::create_dir_all(&texts)?;
    for lang in ["fr", "nl", "en", "de"] {
        let mut text = std::fs::read_to_string(repo(&format!("i18n/{lang}.toml")))?;
        if lang == "nl" {
            text = text.replacen(
                "\nhome = \"",
                "\nhome = \"Overzicht van de Stad (vertaald) — ",
                1,
            );
        }
        std::fs::write(texts.join(format!("{lang}.toml")), text)?;
    }
    sandbox.set("DESI_CITY_I18N_DIR", texts.to_str().context("UTF-8")?);
    {
        let served = Served::start(&sandbox)?;
        let nl = served.get("/?lang=nl")?.text();
        ensure!(
            nl.contains("Overzicht van de Stad (vertaald)"),
            "the edited text is not served"
        );
        let fr = served.get("/?lang=fr")?.text();
        ensure!(
            !fr.contains("(vertaald)"),
            "the Dutch edit is on the French page"
        );
    }
    // A key removed from the German file: serve refuses to start, naming the file and the key.
    let de = std::fs::read_to_string(texts.join("de.toml"))?;
    let at = de
        .find("\nno_value = ")
        .context("dashboard.no_value in de.toml")?;
    let end = at + 1 + de[at + 1..].find('\n').context("end of line")?;
    std::fs::write(
        texts.join("de.toml"),
        format!("{}{}", &de[..at], &de[end..]),
    )?;
    let run = sandbox.run(&["serve", "--no-schedule", "--addr", "127.0.0.1:0"])?;
    run.failed()?;
    run.stderr_has(&["de.toml", "dashboard.no_value", "is missing", "Add the key"])?;
    Ok(())
}

#[test]
fn a_roadmap_row_writes_a_count_of_whole_things_without_decimals_and_a_share_with_one() -> Result<()>
{
    let (_server, _sandbox, served) = served()?;
    let dashboard = Html::parse_document(&served.get("/?lang=en")?.text());
    let row = |target: &str, geo: &str| -> Result<String> {
        let row = dashboard
            .select(&sel(&format!(
                "tr[data-target=\"{target}\"][data-geo=\"{geo}\"]"
            )))
            .next()
            .with_context(|| format!("no dashboard row for {target} {geo}"))?;
        Ok(row.text().collect::<String>())
    };
    // Edge nodes: EU 7,451 in 2025 (facts_desi.csv), the Decision's 10,000 in 2030.
    let edge = row("edge-nodes", "EU27_2020")?;
    ensure!(
        edge.contains("7,451 (2025)") && edge.contains("10,000 (2030)") && !edge.contains(".0 ("),
        "{edge}"
    );
    // A share keeps its decimal: the 80% of basic digital skills reads 80.0%.
    let skills = row("basic-digital-skills", "BE")?;
    ensure!(skills.contains("80.0"), "{skills}");
    Ok(())
}
