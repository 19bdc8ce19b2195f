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
