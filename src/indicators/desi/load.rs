//! Loading a methodology folder: reads `method.toml`, `structure.toml` and `indicators.toml` into
//! their types ([`super::method`]), runs the checks of [`super::check`], and loads the missing-value
//! rules the method names ([`super::imputation`]) against the methodology's codes, geos and editions.
//!
//! Must not read the input data or the store: a methodology loads the same with or without data.

use crate::catalog::Folder;

use super::files::read_toml;
use super::imputation;
use super::method::{Edition, IndicatorsFile, Method, Methodology, Structure};
use crate::indicators::Result;

/// Loads and checks the methodology `edition` from `dir` (the `indicators/methodology` folder).
pub fn load(dir: impl Into<Folder>, edition: Edition) -> Result<Methodology> {
    let folder = dir.into().sub(edition.folder());
    let method: Method = read_toml(&folder, "method.toml")?;
    let structure: Structure = read_toml(&folder, "structure.toml")?;
    let indicators: IndicatorsFile = read_toml(&folder, "indicators.toml")?;
    let mut methodology = Methodology {
        edition,
        dir: folder.label().to_path_buf(),
        method,
        structure,
        indicators: indicators.indicators,
        imputation: None,
    };
    methodology.check()?;
    if let Some(file) = &methodology.method.imputation {
        let codes: Vec<&str> = methodology
            .indicators
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        let imputation = imputation::load(
            &folder,
            file,
            &codes,
            &methodology.geos(),
            &methodology.edition_years(),
        )?;
        methodology.imputation = Some(imputation);
    }
    Ok(methodology)
}
