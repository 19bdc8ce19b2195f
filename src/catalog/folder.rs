//! [`Folder`]: where a data folder's files come from — a folder on disk, or the shipped one built
//! into the binary — read the same way by every loader (the catalogue, the indicator files, the
//! DESI methodologies, the regional scorecard, the roadmaps, the charts).
//!
//! The shipped `datasets/`, `indicators/` (with `methodology/`, `roadmaps/`, `regional/`) and
//! `charts/` are compiled in ([`BuiltIn`]), so the binary works from any directory; a folder named
//! in the configuration replaces one of them ([`crate::config::Settings`]). Every file has a
//! [`Folder::path`]: its path on disk, or `(built-in)/<folder>/<file>` for a shipped one, which is
//! what error messages name.
//!
//! Must not parse anything: bytes and names in, nothing interpreted.

use std::io;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

static DATASETS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/datasets");
static INDICATORS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/indicators");
static CHARTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/charts");
static I18N: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/i18n");

/// The prefix of a built-in file's [`Folder::path`].
pub const BUILT_IN: &str = "(built-in)";

/// The shipped data folders, compiled into the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltIn {
    Datasets,
    Indicators,
    Charts,
    /// The pages' texts, one file per language (`i18n/en.toml`, …): read by `crate::pages`, not
    /// a definition folder, so not in [`BuiltIn::ALL`] (`desi-city init` does not write it).
    I18n,
}

impl BuiltIn {
    /// Every shipped definition folder, in the order `desi-city init` writes them.
    pub const ALL: [BuiltIn; 3] = [BuiltIn::Datasets, BuiltIn::Indicators, BuiltIn::Charts];

    /// The folder's name in the repository (and in a folder written by `desi-city init`).
    pub fn name(self) -> &'static str {
        match self {
            BuiltIn::Datasets => "datasets",
            BuiltIn::Indicators => "indicators",
            BuiltIn::Charts => "charts",
            BuiltIn::I18n => "i18n",
        }
    }

    fn dir(self) -> &'static Dir<'static> {
        match self {
            BuiltIn::Datasets => &DATASETS,
            BuiltIn::Indicators => &INDICATORS,
            BuiltIn::Charts => &CHARTS,
            BuiltIn::I18n => &I18N,
        }
    }
}

/// A folder of definition files: on disk, or built in. Cheap to clone.
#[derive(Clone)]
pub struct Folder {
    root: Root,
    /// What error messages and listings call the folder: its path, or `(built-in)/<name>`.
    label: PathBuf,
}

#[derive(Clone)]
enum Root {
    Disk(PathBuf),
    /// A built-in folder; `None` for a sub-folder the binary does not hold.
    Embedded(Option<&'static Dir<'static>>),
}

impl Folder {
    /// A folder on disk (it need not exist: reading it then fails with the path).
    pub fn disk(path: impl Into<PathBuf>) -> Folder {
        let path = path.into();
        Folder {
            label: path.clone(),
            root: Root::Disk(path),
        }
    }

    /// A shipped folder, as compiled into the binary.
    pub fn built_in(which: BuiltIn) -> Folder {
        Folder {
            root: Root::Embedded(Some(which.dir())),
            label: Path::new(BUILT_IN).join(which.name()),
        }
    }

    /// Whether the files come from the binary rather than from disk.
    pub fn is_built_in(&self) -> bool {
        matches!(self.root, Root::Embedded(_))
    }

    /// The folder's path on disk, or `(built-in)/<name>`.
    pub fn label(&self) -> &Path {
        &self.label
    }

    /// Where the definitions come from, for people: `built into desi-city 0.1.0` or the path.
    pub fn origin(&self) -> String {
        match &self.root {
            Root::Embedded(_) => format!(
                "built into desi-city {} ({})",
                env!("CARGO_PKG_VERSION"),
                self.label.display()
            ),
            Root::Disk(path) => std::path::absolute(path)
                .unwrap_or_else(|_| path.clone())
                .display()
                .to_string(),
        }
    }

    /// The path of `name` (relative, `/`-separated, may name a sub-folder's file), for messages.
    pub fn path(&self, name: &str) -> PathBuf {
        self.label.join(name)
    }

    /// A sub-folder (`roadmaps`, `methodology/desi-2022`).
    pub fn sub(&self, name: &str) -> Folder {
        let root = match &self.root {
            Root::Disk(path) => Root::Disk(path.join(name)),
            Root::Embedded(dir) => Root::Embedded(dir.and_then(|d| d.get_dir(d.path().join(name)))),
        };
        Folder {
            root,
            label: self.label.join(name),
        }
    }

    /// The text of the file `name`.
    pub fn read_to_string(&self, name: &str) -> io::Result<String> {
        String::from_utf8(self.read(name)?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// The bytes of the file `name`.
    pub fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        match &self.root {
            Root::Disk(path) => std::fs::read(path.join(name)),
            Root::Embedded(dir) => dir
                .and_then(|d| d.get_file(d.path().join(name)))
                .map(|f| f.contents().to_vec())
                .ok_or_else(|| not_found(&self.path(name))),
        }
    }

    /// Whether the file `name` is there.
    pub fn contains(&self, name: &str) -> bool {
        match &self.root {
            Root::Disk(path) => path.join(name).is_file(),
            Root::Embedded(dir) => dir.is_some_and(|d| d.get_file(d.path().join(name)).is_some()),
        }
    }

    /// The names of the visible `*.toml` files directly in the folder (hidden files and
    /// sub-folders skipped), sorted: how every data folder is listed.
    pub fn toml_files(&self) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = match &self.root {
            Root::Disk(path) => {
                let mut names = Vec::new();
                for entry in std::fs::read_dir(path)? {
                    let entry = entry?;
                    if entry.file_type()?.is_file() || entry.path().is_file() {
                        names.push(entry.file_name().to_string_lossy().into_owned());
                    }
                }
                names
            }
            Root::Embedded(None) => return Err(not_found(&self.label)),
            Root::Embedded(Some(dir)) => dir
                .files()
                .filter_map(|f| f.path().file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect(),
        };
        names.retain(|n| !n.starts_with('.') && n.ends_with(".toml"));
        names.sort();
        Ok(names)
    }

    /// Every file of the folder and its sub-folders, as (relative path, bytes), sorted by path.
    /// Only built-in folders are listed this way (for `desi-city init`); a disk folder gives none.
    pub fn all_files(&self) -> Vec<(PathBuf, &'static [u8])> {
        fn walk(base: &Path, dir: &'static Dir<'static>, out: &mut Vec<(PathBuf, &'static [u8])>) {
            for f in dir.files() {
                let rel = f.path().strip_prefix(base).unwrap_or(f.path());
                out.push((rel.to_owned(), f.contents()));
            }
            for d in dir.dirs() {
                walk(base, d, out);
            }
        }
        let mut out = Vec::new();
        if let Root::Embedded(Some(dir)) = &self.root {
            walk(dir.path(), dir, &mut out);
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} is not among the built-in files", path.display()),
    )
}

/// Folders compare by where they point.
impl PartialEq for Folder {
    fn eq(&self, other: &Folder) -> bool {
        self.label == other.label && self.is_built_in() == other.is_built_in()
    }
}

/// Only the label: a built-in folder's contents are not printed.
impl std::fmt::Debug for Folder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Folder({})", self.label.display())
    }
}

impl From<&Path> for Folder {
    fn from(path: &Path) -> Folder {
        Folder::disk(path)
    }
}

impl From<&PathBuf> for Folder {
    fn from(path: &PathBuf) -> Folder {
        Folder::disk(path.clone())
    }
}

impl From<PathBuf> for Folder {
    fn from(path: PathBuf) -> Folder {
        Folder::disk(path)
    }
}

impl From<&Folder> for Folder {
    fn from(folder: &Folder) -> Folder {
        folder.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
    }

    #[test]
    fn a_built_in_folder_lists_and_reads_the_same_files_as_the_shipped_one_on_disk() {
        for which in BuiltIn::ALL.into_iter().chain([BuiltIn::I18n]) {
            let built_in = Folder::built_in(which);
            let disk = Folder::disk(repo(which.name()));
            assert_eq!(
                built_in.toml_files().unwrap(),
                disk.toml_files().unwrap(),
                "{which:?}"
            );
            for name in disk.toml_files().unwrap() {
                assert_eq!(built_in.read(&name).unwrap(), disk.read(&name).unwrap());
            }
        }
        let methodology = Folder::built_in(BuiltIn::Indicators).sub("methodology/desi-2020");
        assert!(methodology.contains("method.toml"));
        assert_eq!(
            methodology.read_to_string("method.toml").unwrap(),
            std::fs::read_to_string(repo("indicators/methodology/desi-2020/method.toml")).unwrap()
        );
        assert!(Folder::built_in(BuiltIn::Indicators).contains("regional/scorecard.toml"));
    }

    #[test]
    fn a_missing_file_or_sub_folder_is_not_found_and_named_by_its_built_in_path() {
        let indicators = Folder::built_in(BuiltIn::Indicators);
        let error = indicators.read("nope.toml").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert!(
            error
                .to_string()
                .contains("(built-in)/indicators/nope.toml"),
            "{error}"
        );
        let missing = indicators.sub("nowhere");
        assert_eq!(
            missing.toml_files().unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(
            missing.path("x.toml"),
            Path::new("(built-in)/indicators/nowhere/x.toml")
        );
        assert!(Folder::disk("/nonexistent/x").toml_files().is_err());
    }

    #[test]
    fn all_files_holds_every_shipped_file_with_sub_folders() {
        let files = Folder::built_in(BuiltIn::Indicators).all_files();
        let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        assert!(names.contains(&"README.md".to_owned()), "{names:?}");
        assert!(
            names.contains(&"methodology/desi-2022/method.toml".to_owned()),
            "{names:?}"
        );
        assert!(
            names.contains(&"regional/scorecard.toml".to_owned()),
            "{names:?}"
        );
        for (path, bytes) in &files {
            assert_eq!(
                *bytes,
                std::fs::read(repo("indicators").join(path))
                    .unwrap()
                    .as_slice()
            );
        }
        assert!(Folder::disk(repo("indicators")).all_files().is_empty());
    }
}
