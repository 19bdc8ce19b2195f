//! Unit tests of the store as a whole: publish, read back, history, retention, crash recovery, id
//! checks, run statuses and concurrent publishers. Temp directories only; never the real data dir.

use super::*;
use std::sync::Arc;
use std::thread;

use arrow::array::{Float64Array, Int32Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::TimeZone;

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("geo", DataType::Utf8, false),
        Field::new("time", DataType::Int32, false),
        Field::new("value", DataType::Float64, true),
    ]))
}

fn batch(rows: usize, offset: f64) -> RecordBatch {
    let geo: StringArray = (0..rows)
        .map(|i| Some(["BE", "BE1", "BE10"][i % 3]))
        .collect();
    let time: Int32Array = (0..rows).map(|i| Some(2015 + (i % 10) as i32)).collect();
    let value: Float64Array = (0..rows)
        .map(|i| (i % 7 != 0).then_some(i as f64 + offset))
        .collect();
    RecordBatch::try_new(
        schema(),
        vec![Arc::new(geo), Arc::new(time), Arc::new(value)],
    )
    .expect("valid batch")
}

fn fetched(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, second)
        .single()
        .expect("valid time")
}

fn meta(sha256: &str, second: u32) -> VersionMeta {
    VersionMeta {
        source_url:
            "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data/isoc_ci_in_h"
                .into(),
        fetched_at: fetched(second),
        upstream_updated: Some("2025-02-27T23:00:00+0100".into()),
        sha256: sha256.into(),
        parser_version: "jsonstat-1".into(),
        format: "jsonstat".into(),
        licence: "CC-BY-4.0".into(),
        attribution: "Source: Eurostat (online data code: isoc_ci_in_h)".into(),
        dimensions: vec!["geo".into(), "time".into()],
        etag: Some("\"abc\"".into()),
        last_modified: None,
    }
}

fn sha(n: u32) -> String {
    format!("{n:08x}{}", "ab".repeat(28))
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn the_store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Store>();
}

#[test]
fn publish_then_read_gives_back_the_same_batches() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 3)?;
    let batches = vec![batch(1000, 0.0), batch(500, 0.25)];
    let v = store.publish("isoc_ci_in_h", &batches, meta(&sha(1), 0))?;

    assert_eq!(v.rows, 1500);
    assert_eq!(v.version, "20250301T120000Z-00000001");
    assert_eq!(
        v.path,
        "datasets/isoc_ci_in_h/20250301T120000Z-00000001.parquet"
    );
    assert_eq!(
        store.file_path(&v),
        dir.path().canonicalize()?.join(&v.path)
    );
    let bytes = fs::read(store.file_path(&v))?;
    {
        use std::io::Read;
        let mut exact = Vec::new();
        store.open_file(&v)?.read_to_end(&mut exact)?;
        assert_eq!(exact, bytes);
    }
    assert_eq!(v.bytes, bytes.len() as u64);
    {
        use sha2::Digest;
        assert_eq!(v.file_sha256, hex::encode(sha2::Sha256::digest(&bytes)));
    }

    let read = store.read("isoc_ci_in_h", None)?;
    let expected = arrow::compute::concat_batches(&schema(), &batches)?;
    let got = arrow::compute::concat_batches(&schema(), &read)?;
    assert_eq!(got, expected);
    assert_eq!(read[0].schema(), schema());
    assert_eq!(
        store.read("isoc_ci_in_h", Some(&v.version))?.len(),
        read.len()
    );
    Ok(())
}

#[test]
fn the_parquet_file_carries_every_provenance_key() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 3)?;
    let m = meta(&sha(7), 5);
    let v = store.publish("isoc_ci_in_h", &[batch(10, 0.0)], m.clone())?;
    let kv = read_metadata(store.file_path(&v))?;
    let get = |key: &str| kv.get(&format!("desi_city.{key}")).cloned();

    assert_eq!(get("dataset").as_deref(), Some("isoc_ci_in_h"));
    assert_eq!(get("version"), Some(v.version.clone()));
    assert_eq!(get("source_url"), Some(m.source_url.clone()));
    assert_eq!(get("fetched_at"), Some(m.fetched_at.to_rfc3339()));
    assert_eq!(
        get("fetched_at").map(|s| DateTime::parse_from_rfc3339(&s).is_ok()),
        Some(true)
    );
    // The upstream's `+0100`, kept in RFC 3339.
    assert_eq!(
        m.upstream_updated.as_deref(),
        Some("2025-02-27T23:00:00+0100")
    );
    assert_eq!(
        get("upstream_updated").as_deref(),
        Some("2025-02-27T23:00:00+01:00")
    );
    assert_eq!(v.meta.upstream_updated, get("upstream_updated"));
    assert_eq!(get("sha256"), Some(m.sha256.clone()));
    assert_eq!(get("rows").as_deref(), Some("10"));
    assert_eq!(get("parser_version").as_deref(), Some("jsonstat-1"));
    assert_eq!(get("format").as_deref(), Some("jsonstat"));
    assert_eq!(get("licence").as_deref(), Some("CC-BY-4.0"));
    assert_eq!(get("attribution"), Some(m.attribution.clone()));
    assert_eq!(get("dimensions").as_deref(), Some(r#"["geo","time"]"#));
    assert_eq!(get("etag").as_deref(), Some("\"abc\""));
    assert!(!kv.contains_key("desi_city.last_modified"));
    assert!(!kv.contains_key("ARROW:schema"));
    Ok(())
}

#[test]
fn a_pinned_store_keeps_answering_from_its_snapshot_while_new_versions_are_published() -> TestResult
{
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 3)?;
    let v1 = store.publish("ds", &[batch(10, 0.0)], meta(&sha(1), 0))?;
    let pinned = store.pinned(Arc::new(store.manifest()?));

    let v2 = store.publish("ds", &[batch(20, 0.0)], meta(&sha(2), 1))?;
    assert_eq!(store.current("ds")?, Some(v2.clone()));
    assert_eq!(pinned.current("ds")?, Some(v1.clone()));
    assert_eq!(pinned.versions("ds")?, vec![v1.clone()]);
    assert_eq!(pinned.read("ds", None)?[0].num_rows(), 10);
    assert!(matches!(
        pinned.version("ds", &v2.version),
        Err(StoreError::NotFound { .. })
    ));

    // Publishing through a pinned store works on the manifest on disk.
    let v3 = pinned.publish("ds", &[batch(30, 0.0)], meta(&sha(3), 2))?;
    assert_eq!(store.current("ds")?, Some(v3.clone()));
    assert_eq!(pinned.current("ds")?, Some(v1.clone()));

    // A vintage manifest: what was current at each time, later versions dropped.
    let at_v1 = store.manifest_as_of(v1.published_at)?;
    assert_eq!(at_v1.datasets["ds"].current, v1.version);
    assert_eq!(at_v1.datasets["ds"].versions, vec![v1.clone()]);
    let at_v2 = store.manifest_as_of(v2.published_at)?;
    assert_eq!(at_v2.datasets["ds"].current, v2.version);
    let before = v1.published_at - chrono::Duration::seconds(1);
    assert!(store.manifest_as_of(before)?.datasets.is_empty());
    Ok(())
}

#[test]
fn a_second_publish_becomes_current_and_as_of_picks_the_version_current_then() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 3)?;
    let v1 = store.publish("ds", &[batch(10, 0.0)], meta(&sha(1), 0))?;
    let v2 = store.publish("ds", &[batch(20, 0.0)], meta(&sha(2), 1))?;

    assert_eq!(store.current("ds")?, Some(v2.clone()));
    assert_eq!(store.versions("ds")?, vec![v2.clone(), v1.clone()]);
    assert_eq!(store.version("ds", &v1.version)?, v1);
    assert_eq!(store.manifest()?.datasets["ds"].current, v2.version);

    let before = v1.published_at - chrono::Duration::seconds(1);
    assert_eq!(store.as_of("ds", before)?, None);
    assert_eq!(store.as_of("ds", v1.published_at)?, Some(v1.clone()));
    let between = v1.published_at + (v2.published_at - v1.published_at) / 2;
    if between < v2.published_at {
        assert_eq!(store.as_of("ds", between)?, Some(v1.clone()));
    }
    assert_eq!(store.as_of("ds", v2.published_at)?, Some(v2.clone()));
    assert_eq!(store.as_of("ds", Utc::now())?, Some(v2));

    assert_eq!(store.read("ds", Some(&v1.version))?[0].num_rows(), 10);
    assert_eq!(store.current("other")?, None);
    assert!(store.versions("other")?.is_empty());
    assert!(matches!(
        store.version("ds", "20990101T000000Z-00000000"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.read("other", None),
        Err(StoreError::NotFound { version: None, .. })
    ));
    Ok(())
}

#[test]
fn keeping_two_versions_deletes_the_oldest_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 2)?;
    let v1 = store.publish("ds", &[batch(10, 0.0)], meta(&sha(1), 0))?;
    let v2 = store.publish("ds", &[batch(10, 1.0)], meta(&sha(2), 1))?;
    assert!(store.file_path(&v1).exists());
    let v3 = store.publish("ds", &[batch(10, 2.0)], meta(&sha(3), 2))?;

    assert!(!store.file_path(&v1).exists());
    assert!(store.file_path(&v2).exists());
    assert!(store.file_path(&v3).exists());
    assert_eq!(store.versions("ds")?, vec![v3.clone(), v2.clone()]);
    assert_eq!(
        names_in(&store.root().join("datasets/ds")),
        vec![
            format!("{}.parquet", v2.version),
            format!("{}.parquet", v3.version)
        ]
    );
    Ok(())
}

#[test]
fn the_same_content_fetched_in_the_same_second_gets_a_suffixed_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 5)?;
    let a = store.publish("ds", &[batch(3, 0.0)], meta(&sha(9), 0))?;
    let b = store.publish("ds", &[batch(3, 0.0)], meta(&sha(9), 0))?;
    let c = store.publish("ds", &[batch(3, 0.0)], meta(&sha(9), 0))?;
    assert_eq!(b.version, format!("{}-2", a.version));
    assert_eq!(c.version, format!("{}-3", a.version));
    let kv = read_metadata(store.file_path(&b))?;
    assert_eq!(kv.get("desi_city.version"), Some(&b.version));
    Ok(())
}

#[test]
fn open_removes_leftover_temp_files_and_orphan_parquet_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let v = {
        let store = Store::open(dir.path(), 3)?;
        store.publish("ds", &[batch(10, 0.0)], meta(&sha(1), 0))?
    };
    let ds = dir.path().join("datasets/ds");
    fs::write(ds.join(".tmp-4242-0123456789abcdef.parquet"), b"half")?;
    fs::write(ds.join("20250101T000000Z-deadbeef.parquet"), b"orphan")?;
    fs::write(dir.path().join(".tmp-4242-0123456789abcdef.json"), b"{")?;
    fs::create_dir_all(dir.path().join("datasets/never"))?;
    fs::write(
        dir.path()
            .join("datasets/never/20250101T000000Z-deadbeef.parquet"),
        b"orphan of a first publish",
    )?;
    fs::write(ds.join("README"), b"not ours to judge")?;

    let store = Store::open(dir.path(), 3)?;

    assert_eq!(
        names_in(&ds),
        vec![
            "20250301T120000Z-00000001.parquet".to_owned(),
            "README".to_owned()
        ]
    );
    assert!(!dir.path().join("datasets/never").exists());
    assert!(
        names_in(dir.path())
            .iter()
            .all(|name| !name.starts_with(".tmp-"))
    );
    assert_eq!(store.current("ds")?, Some(v));
    assert_eq!(store.read("ds", None)?[0].num_rows(), 10);
    Ok(())
}

#[test]
fn open_leaves_a_temp_file_that_a_live_writer_holds() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 3)?;
    let temp = TempFile::create(&store.root().join("datasets"), "parquet")?;
    let _other = Store::open(dir.path(), 3)?;
    assert!(temp.path().exists());
    Ok(())
}

#[test]
fn a_failed_publish_leaves_the_previous_version_current_and_no_temp_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 3)?;
    let v1 = store.publish("ds", &[batch(10, 0.0)], meta(&sha(1), 0))?;
    let other_schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int32, false)]));
    let odd = RecordBatch::try_new(other_schema, vec![Arc::new(Int32Array::from(vec![1]))])?;

    let result = store.publish("ds", &[batch(5, 0.0), odd], meta(&sha(2), 1));

    assert!(result.is_err());
    assert_eq!(store.current("ds")?, Some(v1.clone()));
    assert_eq!(
        names_in(&store.root().join("datasets/ds")),
        vec![format!("{}.parquet", v1.version)]
    );
    assert!(matches!(
        store.publish("ds", &[], meta(&sha(3), 2)),
        Err(StoreError::NoBatches { .. })
    ));
    assert!(matches!(
        store.publish("ds", &[batch(1, 0.0)], meta("not-hex!", 2)),
        Err(StoreError::InvalidMeta { .. })
    ));
    Ok(())
}

#[test]
fn invalid_ids_are_refused_by_every_method_that_takes_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 3)?;
    let good = store.publish("ds", &[batch(1, 0.0)], meta(&sha(1), 0))?;
    let long = "a".repeat(129);
    let bad_ids = [
        "../etc",
        "a/b",
        ".hidden",
        "",
        "a..b",
        "a\\b",
        "é",
        long.as_str(),
    ];
    let invalid = |r: Result<()>| matches!(r, Err(StoreError::InvalidId { .. }));

    for bad in bad_ids {
        assert!(invalid(validate_id("dataset", bad)), "{bad:?}");
        assert!(invalid(
            store
                .publish(bad, &[batch(1, 0.0)], meta(&sha(2), 1))
                .map(drop)
        ));
        assert!(invalid(store.current(bad).map(drop)), "{bad:?}");
        assert!(invalid(store.versions(bad).map(drop)), "{bad:?}");
        assert!(invalid(store.version(bad, &good.version).map(drop)));
        assert!(invalid(store.version("ds", bad).map(drop)), "{bad:?}");
        assert!(invalid(store.as_of(bad, Utc::now()).map(drop)), "{bad:?}");
        assert!(invalid(store.read(bad, None).map(drop)), "{bad:?}");
        assert!(invalid(store.read("ds", Some(bad)).map(drop)), "{bad:?}");
        let run = RunRecord {
            source: bad.to_owned(),
            started_at: Utc::now(),
            finished_at: Utc::now(),
            outcome: RunOutcome::Failed { reason: "x".into() },
            next_run_at: None,
        };
        assert!(invalid(store.record_run(&run)), "{bad:?}");

        let mut forged = good.clone();
        forged.dataset = bad.to_owned();
        assert!(store.file_path(&forged).starts_with(store.root()));
        assert!(!store.file_path(&forged).exists());
    }
    assert!(validate_id("dataset", &"a".repeat(128)).is_ok());
    assert!(validate_id("version", "20250301T120000Z-0000abcd-2").is_ok());
    assert_eq!(store.versions("ds")?, vec![good]);
    assert!(names_in(&store.root().join("datasets")) == vec!["ds".to_owned()]);
    Ok(())
}

#[test]
fn a_root_under_a_regular_file_is_not_writable() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("plain-file");
    fs::write(&file, b"x")?;
    let result = Store::open(file.join("data"), 3);
    assert!(
        matches!(result, Err(StoreError::NotWritable { .. })),
        "{result:?}"
    );
    let result = Store::open(&file, 3);
    assert!(
        matches!(result, Err(StoreError::NotWritable { .. })),
        "{result:?}"
    );
    Ok(())
}

#[test]
fn keeping_zero_versions_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    assert!(matches!(
        Store::open(dir.path(), 0),
        Err(StoreError::InvalidKeep)
    ));
    Ok(())
}

#[test]
fn a_failed_run_after_a_success_keeps_last_success_at() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 3)?;
    let v = store.publish("ds", &[batch(4, 0.0)], meta(&sha(1), 0))?;
    let ok = RunRecord {
        source: "ds".into(),
        started_at: fetched(0),
        finished_at: fetched(2),
        outcome: RunOutcome::Published {
            version: v.version.clone(),
            rows: v.rows,
        },
        next_run_at: Some(fetched(12)),
    };
    let failed = RunRecord {
        source: "ds".into(),
        started_at: fetched(10),
        finished_at: fetched(11),
        outcome: RunOutcome::Failed {
            reason: "upstream answered 503".into(),
        },
        next_run_at: Some(fetched(24)),
    };
    store.record_run(&ok)?;
    store.record_run(&failed)?;

    let statuses = store.statuses()?;
    let status = &statuses["ds"];
    assert_eq!(status.last_run_at, Some(fetched(11)));
    assert_eq!(status.last_outcome.as_deref(), Some("failed"));
    assert_eq!(status.last_success_at, Some(fetched(2)));
    assert_eq!(status.last_error_at, Some(fetched(11)));
    assert_eq!(status.last_error.as_deref(), Some("upstream answered 503"));
    assert_eq!(status.version.as_deref(), Some(v.version.as_str()));
    assert_eq!(status.rows, Some(4));
    assert_eq!(
        status.next_run_at,
        Some(fetched(24)),
        "the last run's next tick"
    );

    let unchanged = RunRecord {
        source: "ds".into(),
        started_at: fetched(20),
        finished_at: fetched(21),
        outcome: RunOutcome::Unchanged {
            version: v.version.clone(),
        },
        next_run_at: None,
    };
    store.record_run(&unchanged)?;
    let status = store.statuses()?.remove("ds").unwrap_or_default();
    assert_eq!(status.last_success_at, Some(fetched(21)));
    assert_eq!(status.last_outcome.as_deref(), Some("unchanged"));
    assert_eq!(status.rows, Some(4));
    Ok(())
}

#[test]
fn the_manifest_is_valid_json_with_the_provenance_flattened_into_each_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 3)?;
    store.publish("ds", &[batch(4, 0.0)], meta(&sha(1), 0))?;
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join(MANIFEST_FILE))?)?;
    assert_eq!(json["format"], 1);
    let version = &json["datasets"]["ds"]["versions"][0];
    assert_eq!(version["licence"], "CC-BY-4.0");
    assert_eq!(version["rows"], 4);
    assert_eq!(version["dataset"], "ds");
    Ok(())
}

#[test]
fn concurrent_publishes_from_four_threads_all_land_in_the_manifest() -> TestResult {
    let dir = tempfile::tempdir()?;
    // Two independent handles on one directory behave like two processes: only the file lock
    // orders them.
    let a = Store::open(dir.path(), 100)?;
    let b = Store::open(dir.path(), 100)?;
    let handles: Vec<_> = (0..4u32)
        .map(|t| {
            let store = if t % 2 == 0 { a.clone() } else { b.clone() };
            thread::spawn(move || -> Result<Vec<Version>> {
                let mut published = Vec::new();
                for i in 0..3u32 {
                    let n = t * 10 + i;
                    published.push(store.publish("shared", &[batch(50, 0.0)], meta(&sha(n), 0))?);
                    published.push(store.publish(
                        &format!("own-{t}"),
                        &[batch(50, 0.0)],
                        meta(&sha(n), 0),
                    )?);
                }
                Ok(published)
            })
        })
        .collect();
    let mut published = Vec::new();
    for handle in handles {
        let result = handle.join().map_err(|_| "a publishing thread panicked")?;
        published.extend(result?);
    }

    let manifest = a.manifest()?;
    assert_eq!(manifest.datasets["shared"].versions.len(), 12);
    for t in 0..4 {
        assert_eq!(manifest.datasets[&format!("own-{t}")].versions.len(), 3);
    }
    for v in &published {
        assert!(manifest.references(&v.dataset, &v.version), "{}", v.version);
        assert!(a.file_path(v).exists());
    }
    let shared = a.versions("shared")?;
    assert!(
        shared
            .windows(2)
            .all(|w| w[0].published_at >= w[1].published_at)
    );
    assert!(
        names_in(&a.root().join("datasets/shared"))
            .iter()
            .all(|name| !name.starts_with(".tmp-"))
    );
    Ok(())
}

#[test]
fn upstream_times_are_kept_in_rfc3339_and_a_manifest_in_the_upstream_form_reads_as_rfc3339() {
    assert_eq!(
        super::rfc3339("2026-06-25T23:00:00+0200"),
        "2026-06-25T23:00:00+02:00"
    );
    assert_eq!(
        super::rfc3339("2024-03-31T04:00:00.5-0130"),
        "2024-03-31T04:00:00.500-01:30"
    );
    for kept in [
        "2026-06-25T23:00:00+02:00",
        "2026-06-25",
        "2026-06-25T23:00:00",
        "soon",
    ] {
        assert_eq!(super::rfc3339(kept), kept);
    }
    let meta: VersionMeta = serde_json::from_value(serde_json::json!({
        "source_url": "http://x", "fetched_at": "2026-06-26T08:00:00Z",
        "upstream_updated": "2026-06-25T23:00:00+0200", "sha256": "00",
        "parser_version": "1", "format": "jsonstat", "licence": "CC-BY-4.0",
        "attribution": "a", "dimensions": [],
    }))
    .unwrap();
    assert_eq!(
        meta.upstream_updated.as_deref(),
        Some("2026-06-25T23:00:00+02:00")
    );
}
