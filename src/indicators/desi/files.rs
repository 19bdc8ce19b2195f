//! Reading a methodology file and refusing one: [`read_toml`] parses a TOML file into its typed
//! form (a missing file or a bad key names the file), [`invalid`] builds the error for a file whose
//! content does not hold together (file, key, problem, fix). Shared by the methodology files and
//! the imputation rules, so that neither imports the other for it.
//!
//! Must not know any methodology file's format, and must not read anything but the file it is given.

use std::path::Path;

use crate::indicators::{IndicatorError, Result};

/// Reads and parses one methodology file.
pub(crate) fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| IndicatorError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| IndicatorError::Toml {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
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
