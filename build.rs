//! Rebuilds the crate when a file of the shipped definitions (`datasets/`, `indicators/`,
//! `charts/`, and the pages' texts `i18n/`) is added, changed or removed: they are compiled into the binary
//! (`src/catalog/folder.rs`). Must not generate code or read anything else.

fn main() {
    for dir in ["datasets", "indicators", "charts", "i18n"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
