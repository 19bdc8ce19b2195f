//! What to run to load a dataset, in desi-city's commands: the words the API's messages and the
//! command line share. The engine says which dataset is missing and how it is loaded (`Load`: fetch
//! these sources, or import this file in this format); these functions say the command. No I/O.

use crate::indicators::{IndicatorError, Load};

/// The engine's error with what to run when a dataset is not in the store or lacks what is needed,
/// in the words the API has always used (the engine names the dataset and how it is loaded, not
/// the command).
pub fn with_fix(error: &IndicatorError) -> String {
    let error = error.root();
    let fix = match error {
        IndicatorError::NoData {
            load: load @ Load::Fetch(sources),
            ..
        } => format!(
            "Fetch it with `{}`, or load a downloaded file with `desi-city import FILE --dataset {}`.",
            load_command(load),
            import_id(sources)
        ),
        IndicatorError::NoData { load, .. } => format!("Import it with `{}`.", load_command(load)),
        IndicatorError::Input { load, .. } => {
            format!(
                "Re-import it with `{}`, or fix the key.",
                load_command(load)
            )
        }
        other => return other.to_string(),
    };
    format!("{error} {fix}")
}

/// A note about a dataset not in the store (a roadmap target's), followed by what loads it.
pub fn with_load(note: &str, missing: Option<&Load>) -> String {
    match missing {
        Some(load @ Load::Fetch(sources)) => format!(
            "{note} (run `{}`, or `desi-city import FILE --dataset {}`)",
            load_command(load),
            import_id(sources)
        ),
        Some(load) => format!("{note} (run `{}`)", load_command(load)),
        None => note.to_owned(),
    }
}

/// The command that loads a dataset.
pub fn load_command(load: &Load) -> String {
    match load {
        Load::Fetch(sources) => format!("desi-city fetch {}", sources.join(" ")),
        Load::Import(import) => format!(
            "desi-city import {} --dataset {} --format {}",
            import.file, import.dataset, import.format
        ),
    }
}

/// The dataset id an `import` of a fetched source's file names: the source's, or `ID` for several.
fn import_id(sources: &[String]) -> &str {
    match sources {
        [one] => one.as_str(),
        _ => "ID",
    }
}
