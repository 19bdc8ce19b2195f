//! The NUTS-2 shapes (`gisco_nuts2_2021`, GISCO's GeoJSON): fetched by the real binary with the
//! shipped catalogue file from the local upstream serving `../shared/data/geo/` at GISCO's paths,
//! refused whole when the upstream sends a body cut short, something that is not GeoJSON, a
//! maintenance page or a file that lost regions (the good version stays current), and imported
//! offline from the shared file; each time the store the binary wrote is read back with the
//! library's `geo::Shapes::load`, which the map draws from: 334 regions incl. Brussels-Capital.

use anyhow::{Context as _, Result, ensure};
use desi_city::geo::{self, Shapes};
use desi_city::store::Store;

use crate::support::{Sandbox, read_csv};
use crate::upstream::{Fault, Upstream, gisco_path, shared_file};

const ID: &str = "gisco_nuts2_2021";
const FILE: &str = "NUTS_RG_60M_2021_4326_LEVL_2.geojson";

/// The shipped catalogue file of the shapes, written into the sandbox's catalogue.
fn add_shipped_source(sandbox: &Sandbox) -> Result<()> {
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/gisco_nuts2_2021.toml"
    );
    let text = std::fs::read_to_string(shipped).with_context(|| format!("reading {shipped}"))?;
    sandbox.write_catalogue_file("gisco_nuts2_2021.toml", &text)?;
    Ok(())
}

/// The shapes the store of `sandbox` holds, as the map loads them.
fn shapes(sandbox: &Sandbox) -> Result<Shapes> {
    let store = Store::open(&sandbox.data, 10).context("opening the sandbox's store")?;
    Shapes::load(&store)?.context("the store has no version of the shapes")
}

fn check_shapes(shapes: &Shapes, version: &str) -> Result<()> {
    ensure!(
        shapes.version() == version,
        "{} vs {version}",
        shapes.version()
    );
    let codes: Vec<&str> = shapes.codes().collect();
    ensure!(codes.len() == 334, "{} regions", codes.len());
    let be10 = shapes.get("BE10").context("BE10 is a region")?;
    ensure!(
        be10.country == "BE" && !be10.polygons.is_empty(),
        "{be10:?}"
    );
    ensure!(
        be10.name.starts_with("Région de Bruxelles-Capitale"),
        "{}",
        be10.name
    );
    for code in geo::DISTANT {
        ensure!(shapes.get(code).is_some(), "{code} is kept in the store");
    }
    Ok(())
}

#[test]
fn the_shapes_are_fetched_from_gisco_and_a_broken_answer_never_replaces_them() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    add_shipped_source(&sandbox)?;
    sandbox.fetch(&[ID])?.ok()?.outcome_is(ID, "published")?;
    let path = gisco_path(FILE);
    let asked = server.requests_to(&path);
    ensure!(
        asked.len() == 1,
        "one request to {path}: {:?}",
        server.requests()
    );
    let good = sandbox.current(ID)?;
    ensure!(good.rows == 334, "{} rows", good.rows);
    check_shapes(&shapes(&sandbox)?, &good.version)?;

    // Each broken answer: the run fails, says why, and the good version stays current.
    let retries = 3; // DESI_CITY_RETRIES = 2: a body cut short is downloaded three times.
    let faults: [(Fault, usize, &[&str]); 4] = [
        (Fault::Truncated, retries, &["cut short"]),
        (
            Fault::Replace("eurostat/jsonstat/isoc_ci_in_h.json"),
            1,
            &["not a GeoJSON FeatureCollection"],
        ),
        (Fault::Html, 1, &["HTML page"]),
        // The countries instead of the regions: every region would be lost.
        (
            Fault::Replace("geo/NUTS_RG_60M_2021_4326_LEVL_0.geojson"),
            1,
            &["334 geos", "max_loss"],
        ),
    ];
    for (fault, times, says) in faults {
        let label = format!("{fault:?}");
        server.fault(&path, fault, times);
        let run = sandbox.fetch(&[ID])?;
        run.failed()?
            .outcome_is(ID, "failed")?
            .stderr_has(says)
            .with_context(|| format!("after {label}"))?;
        let current = sandbox.current(ID)?;
        ensure!(
            current.version == good.version,
            "{label} replaced {} by {}",
            good.version,
            current.version
        );
        ensure!(sandbox.versions(ID)?.len() == 1, "{label} added a version");
        check_shapes(&shapes(&sandbox)?, &good.version)?;
    }

    // The same good file again: recognised by its hash, nothing stored.
    sandbox.fetch(&[ID])?.ok()?.outcome_is(ID, "unchanged")?;
    ensure!(sandbox.current(ID)?.version == good.version);
    Ok(())
}

#[test]
fn the_shared_geojson_imports_offline_detected_or_named_and_the_map_reads_it() -> Result<()> {
    let file = shared_file(&format!("geo/{FILE}"));
    let file = file.to_str().context("UTF-8 path")?;
    for with_format in [false, true] {
        let sandbox = Sandbox::offline()?;
        add_shipped_source(&sandbox)?;
        let mut args = vec!["import", file, "--dataset", ID];
        if with_format {
            args.extend(["--format", "geojson"]);
        }
        let run = sandbox.run(&args)?;
        run.ok()?;
        ensure!(
            run.stdout.contains("334 rows, format geojson"),
            "{}",
            run.describe()
        );
        let current = sandbox.current(ID)?;
        ensure!(
            current.entry["attribution"]
                .as_str()
                .is_some_and(|a| a.contains("© EuroGeographics")),
            "the catalogue's credit line is the version's: {:#}",
            current.entry
        );
        check_shapes(&shapes(&sandbox)?, &current.version)?;

        // The stored version exports like any dataset: one CSV row per region, its shape as text.
        let csv = sandbox.run(&["export", ID, "--format", "csv"])?;
        csv.ok()?;
        let csv_file = sandbox.root.join("shapes.csv");
        std::fs::write(&csv_file, &csv.stdout)?;
        let (header, rows) = read_csv(&csv_file)?;
        for column in ["geo", "geo_label", "country", "nuts_name", "geometry"] {
            ensure!(
                header.iter().any(|h| h == column),
                "{header:?} lacks {column}"
            );
        }
        ensure!(rows == 334, "{rows} CSV rows");
    }
    Ok(())
}
