//! House rules that CI checks on the source tree itself (rust-analyzer's tidy tests): every file
//! of `src/` opens with a `//!` comment saying what it is for and what it must not do.

use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

#[test]
fn every_source_file_opens_with_a_module_comment() -> Result<()> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files)?;
    ensure!(
        files.len() > 20,
        "only {} files found under {}",
        files.len(),
        src.display()
    );
    let lacking: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f).map_or(true, |text| !text.trim_start().starts_with("//!"))
        })
        .map(|f| f.strip_prefix(&src).unwrap_or(f).display().to_string())
        .collect();
    ensure!(
        lacking.is_empty(),
        "these files of src/ do not open with a `//!` comment saying what they are for: {}",
        lacking.join(", ")
    );
    Ok(())
}
