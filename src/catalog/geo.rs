//! Named groups of geo codes, read from `datasets/geo-groups.toml`, so that a dataset file can
//! ask for `geo_groups = ["eu27", "capital-regions"]` instead of repeating 60 codes.
//!
//! Checks only the spelling of codes (Eurostat style: upper-case letters, digits, `_`); it does
//! not know which codes exist upstream, and it must not read anything but the one file.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CatalogError, Result};

/// The file name of the geo groups inside the datasets directory.
pub const GEO_GROUPS_FILE: &str = "geo-groups.toml";

/// One named group of geo codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeoGroup {
    pub name: String,
    pub description: String,
    /// The codes, in file order, without duplicates.
    pub codes: Vec<String>,
}

/// A group name `geo-groups.toml` does not define (the caller says which file and key named it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownGroup(pub String);

/// All groups of `geo-groups.toml`, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GeoGroups {
    groups: BTreeMap<String, GeoGroup>,
    file: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    description: String,
    codes: Vec<String>,
}

impl GeoGroups {
    /// Reads and validates the groups file.
    pub fn load(path: &Path) -> Result<GeoGroups> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        GeoGroups::parse(path, &text)
    }

    /// Reads and validates `geo-groups.toml` of a datasets folder (on disk or built in).
    pub fn load_from(folder: &super::Folder) -> Result<GeoGroups> {
        let path = folder.path(GEO_GROUPS_FILE);
        let text = folder
            .read_to_string(GEO_GROUPS_FILE)
            .map_err(|source| CatalogError::Read {
                path: path.clone(),
                source,
            })?;
        GeoGroups::parse(&path, &text)
    }

    /// Parses and validates the text of a groups file; `file` is only used in errors.
    pub fn parse(file: &Path, text: &str) -> Result<GeoGroups> {
        let raw: BTreeMap<String, RawGroup> =
            toml::from_str(text).map_err(|source| CatalogError::Toml {
                file: file.to_path_buf(),
                source,
            })?;
        let invalid = |key: String, message: String| CatalogError::Invalid {
            file: file.to_path_buf(),
            key,
            message,
        };
        let mut groups = BTreeMap::new();
        for (name, group) in raw {
            if !is_group_name(&name) {
                return Err(invalid(
                    name.clone(),
                    format!(
                        "\"{name}\" is not a valid group name. Use lower-case letters, digits and `-` only, e.g. [capital-regions]."
                    ),
                ));
            }
            if group.description.trim().is_empty() {
                return Err(invalid(
                    format!("{name}.description"),
                    "is empty. Say in one line what the group holds.".to_owned(),
                ));
            }
            if group.codes.is_empty() {
                return Err(invalid(
                    format!("{name}.codes"),
                    "lists no geo code. Add at least one code, e.g. codes = [\"BE10\"].".to_owned(),
                ));
            }
            let mut seen = HashSet::new();
            for code in &group.codes {
                if !is_geo_code(code) {
                    return Err(invalid(format!("{name}.codes"), bad_geo_code(code)));
                }
                if !seen.insert(code.as_str()) {
                    return Err(invalid(
                        format!("{name}.codes"),
                        format!("\"{code}\" is listed twice. Remove one of them."),
                    ));
                }
            }
            groups.insert(
                name.clone(),
                GeoGroup {
                    name,
                    description: group.description.trim().to_owned(),
                    codes: group.codes,
                },
            );
        }
        Ok(GeoGroups {
            groups,
            file: file.to_path_buf(),
        })
    }

    /// The group with this name.
    pub fn get(&self, name: &str) -> Option<&GeoGroup> {
        self.groups.get(name)
    }

    /// The group names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().map(String::as_str)
    }

    /// The file the groups were read from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Expands `groups` (in the order given) then appends `explicit`, keeping the first
    /// occurrence of each code. `Err` names the first unknown group.
    pub fn resolve(
        &self,
        groups: &[String],
        explicit: &[String],
    ) -> std::result::Result<Vec<String>, UnknownGroup> {
        let mut seen = HashSet::new();
        let mut codes = Vec::new();
        for name in groups {
            let group = self
                .groups
                .get(name)
                .ok_or_else(|| UnknownGroup(name.clone()))?;
            for code in &group.codes {
                if seen.insert(code.clone()) {
                    codes.push(code.clone());
                }
            }
        }
        for code in explicit {
            if seen.insert(code.clone()) {
                codes.push(code.clone());
            }
        }
        Ok(codes)
    }
}

/// Whether `code` is spelled like a Eurostat geo code: `BE`, `BE10`, `EU27_2020`.
pub fn is_geo_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The message for a code that is not spelled like a geo code.
pub(crate) fn bad_geo_code(code: &str) -> String {
    format!(
        "\"{code}\" is not a geo code. Write codes as Eurostat does, in upper-case letters, digits and `_`, e.g. \"BE10\", \"EL\" (Greece), \"EU27_2020\"."
    )
}

fn is_group_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<GeoGroups> {
        GeoGroups::parse(Path::new("datasets/geo-groups.toml"), text)
    }

    #[test]
    fn groups_are_read_in_file_order_and_resolved_without_duplicates() {
        let groups = parse(
            "[a]\ndescription = \"A\"\ncodes = [\"BE\", \"DE\"]\n[b]\ndescription = \"B\"\ncodes = [\"DE\", \"FR\"]\n",
        )
        .expect("valid groups");
        assert_eq!(groups.names().collect::<Vec<_>>(), ["a", "b"]);
        let resolved = groups
            .resolve(&["b".into(), "a".into()], &["BE".into(), "BE10".into()])
            .expect("known groups");
        assert_eq!(resolved, ["DE", "FR", "BE", "BE10"]);
        assert_eq!(
            groups.resolve(&["c".into()], &[]),
            Err(UnknownGroup("c".to_owned()))
        );
    }

    #[test]
    fn a_malformed_code_is_refused_with_the_group_and_an_example() {
        let message = parse("[a]\ndescription = \"A\"\ncodes = [\"be10\"]\n")
            .expect_err("bad code")
            .to_string();
        assert!(
            message.starts_with("datasets/geo-groups.toml: key \"a.codes\": \"be10\""),
            "{message}"
        );
        assert!(message.contains("EU27_2020"), "{message}");
    }

    #[test]
    fn a_code_listed_twice_in_a_group_is_refused() {
        let message = parse("[a]\ndescription = \"A\"\ncodes = [\"BE\", \"BE\"]\n")
            .expect_err("duplicate code")
            .to_string();
        assert!(message.contains("listed twice"), "{message}");
    }

    #[test]
    fn an_empty_group_is_refused() {
        let message = parse("[a]\ndescription = \"A\"\ncodes = []\n")
            .expect_err("empty group")
            .to_string();
        assert!(
            message.contains("key \"a.codes\": lists no geo code"),
            "{message}"
        );
    }

    #[test]
    fn an_unknown_key_in_a_group_is_refused_by_the_toml_reader() {
        let message = parse("[a]\ndescription = \"A\"\ncodes = [\"BE\"]\ncode = \"x\"\n")
            .expect_err("unknown key")
            .to_string();
        assert!(
            message.starts_with("datasets/geo-groups.toml: "),
            "{message}"
        );
        assert!(message.contains("unknown field `code`"), "{message}");
    }

    #[test]
    fn a_group_name_with_upper_case_letters_is_refused() {
        let message = parse("[EU27]\ndescription = \"A\"\ncodes = [\"BE\"]\n")
            .expect_err("bad name")
            .to_string();
        assert!(message.contains("not a valid group name"), "{message}");
    }

    /// The shipped groups file of this crate.
    fn shipped() -> GeoGroups {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("datasets")
            .join(GEO_GROUPS_FILE);
        GeoGroups::load(&path).unwrap_or_else(|error| panic!("shipped groups must load: {error}"))
    }

    #[test]
    fn the_shipped_eu27_group_holds_the_27_member_states_with_el_for_greece() {
        let groups = shipped();
        let eu27 = groups.get("eu27").expect("eu27 group");
        assert_eq!(eu27.codes.len(), 27);
        assert!(eu27.codes.iter().any(|code| code == "EL"));
        assert!(!eu27.codes.iter().any(|code| code == "GR" || code == "UK"));
        assert_eq!(
            groups.get("aggregates").expect("aggregates group").codes,
            ["EU27_2020"]
        );
    }

    #[test]
    fn the_shipped_capital_regions_are_one_nuts2_region_per_member_state() {
        let groups = shipped();
        let eu27 = &groups.get("eu27").expect("eu27 group").codes;
        let capitals = &groups
            .get("capital-regions")
            .expect("capital-regions group")
            .codes;
        assert_eq!(capitals.len(), 27);
        for country in eu27 {
            let matching: Vec<&String> = capitals
                .iter()
                .filter(|code| code.starts_with(country.as_str()))
                .collect();
            assert_eq!(matching.len(), 1, "{country}: {matching:?}");
            assert_eq!(
                matching[0].len(),
                4,
                "{country}: a NUTS-2 code has 4 characters"
            );
        }
        for code in [
            "BE10", "AT13", "HR05", "HU11", "IE06", "PL91", "PT17", "NL32", "FI1B",
        ] {
            assert!(
                capitals.iter().any(|capital| capital == code),
                "{code} missing"
            );
        }
    }

    #[test]
    fn the_shipped_belgian_regions_hold_brussels_flanders_and_wallonia() {
        let groups = shipped();
        let belgium = &groups
            .get("belgium-regions")
            .expect("belgium-regions group")
            .codes;
        for code in ["BE10", "BE2", "BE3"] {
            assert!(
                belgium.iter().any(|region| region == code),
                "{code} missing"
            );
        }
        assert!(belgium.iter().all(|code| code.starts_with("BE")));
    }
}
