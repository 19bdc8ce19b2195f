//! Rebuilds the crate when a file of the shipped definitions (`datasets/`, `indicators/`,
//! `charts/`) is added, changed or removed: they are compiled into the binary
//! (`src/catalog/folder.rs`). Must not generate code or read anything else.

fn main() {
    for dir in ["datasets", "indicators", "charts"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
