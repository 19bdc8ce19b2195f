//! `desi-city serve`: the real binary listens where it is told (flag or environment) and
//! answers `GET /health` with 200 and JSON. The child is killed at the end, pass or fail.

use std::fs::File;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};

use crate::support::{KillOnDrop, Sandbox};

/// A port that was free a moment ago (bound to 127.0.0.1:0, read, released).
fn free_port() -> Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("Failed to bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Starts `serve` with `extra` arguments, then polls `/health` for up to 30 s.
fn health_answers(sandbox: &Sandbox, extra: &[&str], port: u16) -> Result<()> {
    let log = sandbox.root.join("serve.stderr");
    let mut args = vec!["serve"];
    args.extend_from_slice(extra);
    let mut cmd = sandbox.command(&args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(File::create(
            sandbox.root.join("serve.stdout"),
        )?))
        .stderr(Stdio::from(File::create(&log)?));
    let mut child = KillOnDrop(cmd.spawn().context("Failed to start desi-city serve")?);
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let url = format!("http://127.0.0.1:{port}/health");
    let deadline = Instant::now() + Duration::from_secs(30);
    let (status, content_type, body) = loop {
        if let Some(exit) = child.0.try_wait()? {
            bail!(
                "`desi-city serve` exited with {exit} before answering\n{}",
                logs()
            );
        }
        let answer = runtime.block_on(async {
            let response = client.get(&url).send().await?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, content_type, body))
        });
        match answer {
            Ok(answer) => break answer,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => bail!("GET {url} never answered within 30 s: {e}\n{}", logs()),
        }
    };
    ensure!(status == 200, "GET /health answered {status}\n{}", logs());
    ensure!(
        content_type.contains("json"),
        "GET /health answered {content_type:?}"
    );
    let json: serde_json::Value = serde_json::from_slice(&body).with_context(|| {
        format!(
            "GET /health is not JSON: {:?}",
            String::from_utf8_lossy(&body)
        )
    })?;
    ensure!(!json.is_null(), "GET /health answered null");
    drop(child);
    Ok(())
}

#[test]
fn serve_answers_health_with_200_and_json_at_the_given_address() -> Result<()> {
    let sandbox = Sandbox::offline()?;
    let port = free_port()?;
    health_answers(&sandbox, &["--addr", &format!("127.0.0.1:{port}")], port)
}

#[test]
fn serve_takes_its_address_from_the_environment() -> Result<()> {
    let mut sandbox = Sandbox::offline()?;
    let port = free_port()?;
    sandbox.set("DESI_CITY_ADDR", &format!("127.0.0.1:{port}"));
    health_answers(&sandbox, &[], port)
}

#[test]
fn serve_fetches_at_start_every_source_the_store_has_no_version_of() -> Result<()> {
    let server = crate::upstream::Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(
        &crate::support::Source::eurostat("isoc_ci_in_h", "isoc_ci_in_h", "jsonstat")
            .geo(&["BE", "EU27_2020"])
            .since(2015),
    )?;
    let port = free_port()?;
    let mut cmd = sandbox.command(&["serve", "--addr", &format!("127.0.0.1:{port}")]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = KillOnDrop(cmd.spawn().context("Failed to start desi-city serve")?);
    let deadline = Instant::now() + Duration::from_secs(30);
    let version = loop {
        if let Some(exit) = child.0.try_wait()? {
            bail!("`desi-city serve` exited with {exit}");
        }
        // The run is recorded just after the version is published: wait for both.
        match sandbox
            .current("isoc_ci_in_h")
            .and_then(|v| sandbox.status_of("isoc_ci_in_h").map(|_| v))
        {
            Ok(v) => break v,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => bail!("serve published nothing within 30 s: {e}"),
        }
    };
    ensure!(version.rows > 0, "the first version is empty");
    let status = sandbox.status_of("isoc_ci_in_h")?;
    ensure!(
        status["last_outcome"] == "published",
        "status after the first fetch: {status}"
    );
    Ok(())
}
