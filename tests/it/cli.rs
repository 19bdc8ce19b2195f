//! The command line as a user meets it: help for every subcommand, global flags in either
//! place and from the environment, `sources`, and the user errors (unknown source, bad
//! catalogue file, unwritable data dir), each a non-zero exit with a message that names the
//! culprit, and never a panic.

use anyhow::{Result, ensure};

use crate::support::{Sandbox, Source, tokens};
use crate::upstream::{Fault, Upstream, jsonstat_path};

fn tin00074() -> Source {
    Source::eurostat("tin00074", "tin00074", "tsv")
        .geo(&["AT", "BE"])
        .since(2009)
}

fn isoc_ci_in_h() -> Source {
    Source::eurostat("isoc_ci_in_h", "isoc_ci_in_h", "jsonstat")
        .geo(&["BE", "EU27_2020"])
        .since(2015)
}

#[test]
fn every_subcommand_answers_help_naming_its_options() -> Result<()> {
    let sandbox = Sandbox::offline()?;
    let top = sandbox.run_bare(&["--help"])?;
    top.ok()?;
    for word in [
        "fetch",
        "sources",
        "import",
        "export",
        "serve",
        "--data-dir",
        "--config",
        "--datasets-dir",
    ] {
        ensure!(
            top.stdout.contains(word),
            "`--help` does not mention {word}\n{}",
            top.describe()
        );
    }
    let expected: [(&str, &[&str]); 5] = [
        ("fetch", &["--no-progress"]),
        ("sources", &[]),
        ("import", &["--dataset", "--format"]),
        ("export", &["--version", "--format", "-o"]),
        ("serve", &["--addr"]),
    ];
    for (command, options) in expected {
        let help = sandbox.run_bare(&[command, "--help"])?;
        help.ok()?;
        for option in options {
            ensure!(
                help.stdout.contains(option),
                "`{command} --help` does not mention {option}\n{}",
                help.describe()
            );
        }
    }
    Ok(())
}

#[test]
fn an_unknown_source_id_fails_naming_it_and_the_known_ones() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(&tin00074())?.add(&isoc_ci_in_h())?;
    let run = sandbox.fetch(&["no_such_source"])?;
    run.failed()?
        .stderr_has(&["no_such_source", "tin00074", "isoc_ci_in_h"])?;
    ensure!(
        server.requests().is_empty(),
        "nothing should be fetched for an unknown id: {:#?}",
        server.requests()
    );
    Ok(())
}

#[test]
fn a_catalogue_file_with_an_unknown_key_is_refused_naming_the_file_and_the_key() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(&tin00074())?;
    let text = Source::eurostat("typo_source", "isoc_ci_in_h", "jsonstat")
        .geo(&["BE"])
        .since(2015)
        .toml()
        .replacen("provider = ", "colour = \"blue\"\nprovider = ", 1);
    sandbox.write_catalogue_file("typo_source.toml", &text)?;
    for args in [&["sources"][..], &["fetch", "--no-progress"][..]] {
        sandbox
            .run(args)?
            .failed()?
            .stderr_has(&["typo_source.toml", "colour"])?;
    }
    ensure!(
        server.requests().is_empty(),
        "a bad catalogue must stop before fetching"
    );
    Ok(())
}

#[test]
fn a_catalogue_file_with_a_bad_cron_is_refused_naming_the_file_and_the_key() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(&tin00074())?;
    let text = Source::eurostat("bad_cron", "isoc_ci_in_h", "jsonstat")
        .geo(&["BE"])
        .since(2015)
        .toml()
        .replace("\"0 15 6 * * *\"", "\"every morning at six\"");
    ensure!(
        text.contains("every morning"),
        "the schedule line moved: {text}"
    );
    sandbox.write_catalogue_file("bad_cron.toml", &text)?;
    for args in [&["sources"][..], &["fetch", "--no-progress"][..]] {
        sandbox
            .run(args)?
            .failed()?
            .stderr_has(&["bad_cron.toml", "schedule"])?;
    }
    Ok(())
}

#[test]
fn an_unwritable_data_dir_fails_with_a_clear_message() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(&tin00074())?;
    let blocker = sandbox.root.join("blocker");
    std::fs::write(&blocker, "a regular file where a directory should be\n")?;
    let data = blocker.join("data");
    let data = data.to_str().expect("temp paths are UTF-8");
    let datasets = sandbox.datasets.to_str().expect("temp paths are UTF-8");
    let run = sandbox.run_bare(&[
        "--data-dir",
        data,
        "--datasets-dir",
        datasets,
        "fetch",
        "--no-progress",
        "tin00074",
    ])?;
    run.failed()?.stderr_has(&["blocker"])?;
    ensure!(blocker.is_file(), "the blocking file was replaced");
    Ok(())
}

#[test]
fn a_missing_data_dir_is_created_by_the_first_fetch() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(&tin00074())?;
    let data = sandbox.root.join("not").join("yet").join("there");
    let (data_arg, datasets) = (
        data.to_str().expect("temp paths are UTF-8"),
        sandbox.datasets.to_str().expect("temp paths are UTF-8"),
    );
    sandbox
        .run_bare(&[
            "--data-dir",
            data_arg,
            "--datasets-dir",
            datasets,
            "fetch",
            "--no-progress",
        ])?
        .ok()?
        .outcome_is("tin00074", "published")?;
    ensure!(
        data.join("manifest.json").is_file(),
        "no manifest.json in the new data dir"
    );
    Ok(())
}

#[test]
fn global_flags_work_after_the_subcommand_and_from_the_environment() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let mut sandbox = Sandbox::new(&server)?;
    sandbox.add(&tin00074())?;
    let datasets = sandbox
        .datasets
        .to_str()
        .expect("temp paths are UTF-8")
        .to_string();

    let after = sandbox.root.join("data-after");
    let after_arg = after.to_str().expect("temp paths are UTF-8");
    sandbox
        .run_bare(&[
            "fetch",
            "--no-progress",
            "--data-dir",
            after_arg,
            "--datasets-dir",
            &datasets,
            "tin00074",
        ])?
        .ok()?
        .outcome_is("tin00074", "published")?;
    ensure!(
        after.join("manifest.json").is_file(),
        "flags after the subcommand were not used"
    );

    let from_env = sandbox.root.join("data-env");
    let from_env_arg = from_env.to_str().expect("temp paths are UTF-8").to_string();
    sandbox
        .set("DESI_CITY_DATA_DIR", &from_env_arg)
        .set("DESI_CITY_DATASETS_DIR", &datasets);
    sandbox
        .run_bare(&["fetch", "--no-progress", "tin00074"])?
        .ok()?
        .outcome_is("tin00074", "published")?;
    ensure!(
        from_env.join("manifest.json").is_file(),
        "DESI_CITY_DATA_DIR was not used"
    );
    Ok(())
}

#[test]
fn sources_lists_each_source_with_its_last_outcome() -> Result<()> {
    let server = Upstream::with_shared_files()?;
    let sandbox = Sandbox::new(&server)?;
    sandbox.add(&tin00074())?.add(&isoc_ci_in_h())?;
    sandbox.add(
        &Source::eurostat("isoc_r_broad_h", "isoc_r_broad_h", "sdmx-csv")
            .level("nuts2")
            .geo(&["BE10"])
            .since(2006),
    )?;
    server.fault(&jsonstat_path("isoc_ci_in_h"), Fault::Html, 20);
    let fetch = sandbox.fetch(&["tin00074", "isoc_ci_in_h"])?;
    fetch
        .exit(1)?
        .outcome_is("tin00074", "published")?
        .outcome_is("isoc_ci_in_h", "failed")?;

    let sources = sandbox.run(&["sources"])?;
    sources
        .ok()?
        .outcome_is("tin00074", "published")?
        .outcome_is("isoc_ci_in_h", "failed")?;
    ensure!(
        sources
            .stdout
            .lines()
            .any(|l| tokens(l).contains(&"isoc_r_broad_h")),
        "a source never fetched is still listed\n{}",
        sources.describe()
    );
    Ok(())
}
