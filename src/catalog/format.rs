//! The file formats desi-city reads, by the names the dataset files and `desi-city import
//! --format` use (`jsonstat`, `tsv`, `sdmx-csv`, `desi-csv`, `desi-wide`, `desi-facts`, `ods-csv`,
//! `geojson`), and the `[ods]` mapping an Opendatasoft CSV needs. One vocabulary for the catalogue,
//! the parsers (`crate::fetch::parse`, which adds content sniffing) and the command line; knows
//! nothing of parsing.

use std::fmt;
use std::str::FromStr;

/// The upstream formats desi-city reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// JSON-stat 2.0 dataset (Eurostat Statistics API, `format=JSON`).
    #[serde(rename = "jsonstat")]
    JsonStat,
    /// Eurostat TSV (`freq,…,geo\TIME_PERIOD` header, one row per series).
    Tsv,
    /// SDMX-CSV 1.0 (`DATAFLOW,LAST UPDATE,…`) or 2.0 (`STRUCTURE,STRUCTURE_ID,…`).
    SdmxCsv,
    /// The digital-agenda-data.eu DESI export (`observation,time_period,ref_area,…`).
    DesiCsv,
    /// The wide table of the Commission's DESI workbook (`Year,Country,Year + country,1a1 …`).
    DesiWide,
    /// The Digital Decade DESI platform's facts (`period,country,…,reference_period,remarks`) with
    /// the data year as period and `EU` as `EU27_2020`.
    DesiFacts,
    /// An Opendatasoft CSV export; needs an [`OdsMapping`].
    OdsCsv,
    /// A GeoJSON FeatureCollection of NUTS regions (GISCO): one row per region, its shape as
    /// GeoJSON text.
    #[serde(rename = "geojson")]
    GeoJson,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::JsonStat,
        Format::Tsv,
        Format::SdmxCsv,
        Format::DesiCsv,
        Format::DesiWide,
        Format::DesiFacts,
        Format::OdsCsv,
        Format::GeoJson,
    ];

    /// The name used in configuration files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::JsonStat => "jsonstat",
            Format::Tsv => "tsv",
            Format::SdmxCsv => "sdmx-csv",
            Format::DesiCsv => "desi-csv",
            Format::DesiWide => "desi-wide",
            Format::DesiFacts => "desi-facts",
            Format::OdsCsv => "ods-csv",
            Format::GeoJson => "geojson",
        }
    }

    /// Whether the format carries region shapes rather than statistics (no indicator reads it).
    pub fn is_geometry(self) -> bool {
        self == Format::GeoJson
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let wanted = if wanted == "json-stat" {
            "jsonstat"
        } else {
            wanted.as_str()
        };
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                format!("Unknown format {s:?}: use one of {}.", names.join(", "))
            })
    }
}

/// How to read an Opendatasoft CSV export, whose columns vary per dataset. The catalogue's
/// `[ods]` tables deserialise into this type (unknown keys refused).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OdsMapping {
    /// Column holding the period (year, date…); `None` for a snapshot with no period column
    /// (rows then have a null period).
    #[serde(default)]
    pub period: Option<String>,
    /// Numeric column.
    pub value: String,
    /// Columns kept as dimensions (lower-cased, non `[a-z0-9_]` → `_`).
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Column holding a geo code, if any.
    pub geo: Option<String>,
    /// Else a constant geo (e.g. `"BE10"`).
    pub geo_constant: Option<String>,
    /// Field delimiter; default `;`.
    pub delimiter: Option<char>,
}

/// How a Commission file that is published per DESI edition gives values per **data year**: the
/// `[by_data_year]` table of a dataset file (`datasets/desi_2022_raw.toml`). The file's edition
/// labels (`labels`: `y1` … `y6`, or `2015` … `2020`), the edition each is (`editions`:
/// `desi_2017` …, kept with every value), and per indicator code the data year of each edition
/// (`years`, in the order of `labels`; `0` where the edition does not publish the indicator).
/// Values are multiplied by `scale` (100 turns the files' fractions into percent) except the
/// codes of `unscaled` (already on a 0–100 score). The file's code for the EU (`eu`) is stored as
/// `EU27_2020`. An indicator not in `years` is not kept. The catalogue deserialises and checks it;
/// the parsers apply it (`crate::fetch::parse`). Unknown keys refused.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByDataYear {
    /// The file's edition labels, in order.
    pub labels: Vec<String>,
    /// The edition of each label, in the same order, as kept in the column `edition`.
    pub editions: Vec<String>,
    /// The multiplier turning a value into the indicator's unit (default 1).
    #[serde(default = "one")]
    pub scale: f64,
    /// Indicator codes whose values are not multiplied.
    #[serde(default)]
    pub unscaled: Vec<String>,
    /// The file's code for the EU aggregate, stored as `EU27_2020`.
    pub eu: Option<String>,
    /// Per indicator code, the data year of each edition (0: not published in that edition).
    pub years: std::collections::BTreeMap<String, Vec<i32>>,
}

fn one() -> f64 {
    1.0
}

impl ByDataYear {
    /// What a cell of `code` in edition `label` becomes: its data year, its edition and the
    /// multiplier; `None` when it is not kept (an unlisted code, an edition that does not
    /// publish it, or one whose data year a later edition publishes again: the latest edition
    /// of a data year is kept, as it holds the revised value).
    pub fn cell(&self, code: &str, label: &str) -> Option<(i32, &str, f64)> {
        let years = self.years.get(code)?;
        let i = self.labels.iter().position(|l| l == label)?;
        let year = *years.get(i)?;
        if year == 0 || years[i + 1..].contains(&year) {
            return None;
        }
        let scale = if self.unscaled.iter().any(|u| u == code) {
            1.0
        } else {
            self.scale
        };
        Some((year, self.editions[i].as_str(), scale))
    }

    /// The problem with the table, if any (for the catalogue's error naming file and key).
    pub fn problem(&self) -> Option<String> {
        if self.labels.is_empty() || self.labels.len() != self.editions.len() {
            return Some(format!(
                "`labels` and `editions` must list the same number of editions ({} and {}), e.g. labels = [\"y1\", \"y2\"], editions = [\"desi_2017\", \"desi_2018\"]",
                self.labels.len(),
                self.editions.len()
            ));
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Some(format!(
                "`scale` {} is not a positive number: write 100 for values published as fractions (0.54 = 54 %), or 1",
                self.scale
            ));
        }
        for (code, years) in &self.years {
            if years.len() != self.labels.len() {
                return Some(format!(
                    "`years.{code}` lists {} data years but there are {} editions: give one per edition, 0 where it does not publish the indicator",
                    years.len(),
                    self.labels.len()
                ));
            }
            if let Some(bad) = years
                .iter()
                .find(|y| **y != 0 && !(1990..=2100).contains(*y))
            {
                return Some(format!(
                    "`years.{code}` holds {bad}, not a data year: write a year such as 2021, or 0 for an edition that does not publish it"
                ));
            }
        }
        if let Some(u) = self.unscaled.iter().find(|u| !self.years.contains_key(*u)) {
            return Some(format!(
                "`unscaled` names {u:?}, which `years` does not list: remove it or add its data years"
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ByDataYear {
        toml::from_str(
            r#"labels = ["y1", "y2", "y3"]
editions = ["desi_2017", "desi_2018", "desi_2019"]
scale = 100
unscaled = ["4a3"]
eu = "EU"
[years]
"2c3" = [2016, 2016, 2018]
"4a3" = [0, 0, 2018]
"#,
        )
        .unwrap()
    }

    #[test]
    fn a_data_year_published_by_two_editions_is_kept_from_the_later_one() {
        let t = table();
        assert_eq!(t.problem(), None);
        assert_eq!(t.cell("2c3", "y1"), None);
        assert_eq!(t.cell("2c3", "y2"), Some((2016, "desi_2018", 100.0)));
        assert_eq!(t.cell("2c3", "y3"), Some((2018, "desi_2019", 100.0)));
    }

    #[test]
    fn an_unscaled_code_an_unpublished_edition_and_an_unlisted_code() {
        let t = table();
        assert_eq!(t.cell("4a3", "y3"), Some((2018, "desi_2019", 1.0)));
        assert_eq!(t.cell("4a3", "y1"), None);
        assert_eq!(t.cell("9z9", "y3"), None);
        assert_eq!(t.cell("2c3", "y7"), None);
    }

    #[test]
    fn a_years_list_of_the_wrong_length_is_a_problem_naming_the_code() {
        let mut t = table();
        t.years.insert("1a1".into(), vec![2021]);
        let p = t.problem().unwrap();
        assert!(p.contains("years.1a1"), "{p}");
    }
}
