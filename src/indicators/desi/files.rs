//! Reading a methodology file and refusing one: [`read_toml`] parses a TOML file into its typed
//! form (a missing file or a bad key names the file), [`invalid`] builds the error for a file whose
//! content does not hold together (file, key, problem, fix). Shared by the methodology files and
//! the imputation rules, so that neither imports the other for it.
//!
//! Must not know any methodology file's format, and must not read anything but the file it is given (on disk or built in).

use std::path::Path;

use crate::catalog::Folder;
use crate::indicators::{IndicatorError, Result};

/// Reads and parses the methodology file `name` of `folder`.
pub(crate) fn read_toml<T: serde::de::DeserializeOwned>(folder: &Folder, name: &str) -> Result<T> {
    let path = folder.path(name);
    let text = folder
        .read_to_string(name)
        .map_err(|source| IndicatorError::Read {
            path: path.clone(),
            source,
        })?;
    toml::from_str(&text).map_err(|source| IndicatorError::Toml {
        path: path.clone(),
        source,
    })
}

/// A file whose content does not hold together: the file, the key, what is wrong, what to do.
pub(crate) fn invalid(
    path: &Path,
    key: impl Into<String>,
    problem: impl Into<String>,
    fix: &str,
) -> IndicatorError {
    IndicatorError::Invalid {
        path: path.to_owned(),
        key: key.into(),
        problem: problem.into(),
        fix: fix.to_owned(),
    }
}
