//! How a chart looks and speaks: the bundled font, the two themes (Okabe–Ito colours, text at a
//! contrast of at least 4.5:1 on its background), numbers written for the language (decimal comma
//! and the right thousands separator in French, Dutch and German), geo names, and the fixed words
//! of legends and footers in fr, nl, en and de. No data here, and no drawing.

use plotters::style::RGBColor;

/// The font family every chart is measured, drawn and rasterised in.
pub const FONT_FAMILY: &str = "DejaVu Sans";
/// DejaVu Sans (Latin subset; Bitstream Vera licence, see `assets/fonts/LICENSE-DejaVu.txt`).
pub const FONT_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");
/// The same subset as WOFF2, embedded in every SVG so a browser without the font shows it.
pub const FONT_WOFF2: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.woff2");

/// The width in px of `text` drawn at plotters' font `size` (plotters writes `font-size` as
/// size ÷ 1.24), measured with the bundled font: advances and kerning.
pub fn text_width(text: &str, size: f64) -> f64 {
    use ab_glyph::Font as _;
    static FONT: std::sync::OnceLock<Option<ab_glyph::FontRef<'static>>> =
        std::sync::OnceLock::new();
    let Some(font) = FONT.get_or_init(|| ab_glyph::FontRef::try_from_slice(FONT_TTF).ok()) else {
        return text.chars().count() as f64 * size * 0.5;
    };
    let units = font.units_per_em().unwrap_or(2048.0);
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let glyph = font.glyph_id(c);
        if let Some(p) = previous {
            width += font.kern_unscaled(p, glyph);
        }
        width += font.h_advance_unscaled(glyph);
        previous = Some(glyph);
    }
    f64::from(width) * size / 1.24 / f64::from(units)
}

/// Light (the default) or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn colours(self) -> Colours {
        match self {
            Theme::Light => Colours {
                background: RGBColor(0xff, 0xff, 0xff),
                // #1a1a1a on white: 17.4:1; #595959: 7.0:1.
                text: RGBColor(0x1a, 0x1a, 0x1a),
                muted: RGBColor(0x59, 0x59, 0x59),
                grid: RGBColor(0xe3, 0xe3, 0xe3),
                // Okabe–Ito blue, vermillion, black; then bluish green, reddish purple, orange.
                series: [
                    RGBColor(0x00, 0x72, 0xb2),
                    RGBColor(0xd5, 0x5e, 0x00),
                    RGBColor(0x00, 0x00, 0x00),
                    RGBColor(0x00, 0x9e, 0x73),
                    RGBColor(0xcc, 0x79, 0xa7),
                    RGBColor(0xe6, 0x9f, 0x00),
                ],
                other: RGBColor(0xb8, 0xb8, 0xb8),
            },
            Theme::Dark => Colours {
                background: RGBColor(0x1b, 0x1b, 0x1f),
                // #eeeeee on #1b1b1f: 15.1:1; #b3b3b3: 8.4:1.
                text: RGBColor(0xee, 0xee, 0xee),
                muted: RGBColor(0xb3, 0xb3, 0xb3),
                grid: RGBColor(0x3a, 0x3a, 0x40),
                // Okabe–Ito sky blue, orange, white; bluish green, reddish purple, yellow.
                series: [
                    RGBColor(0x56, 0xb4, 0xe9),
                    RGBColor(0xe6, 0x9f, 0x00),
                    RGBColor(0xf0, 0xf0, 0xf0),
                    RGBColor(0x00, 0x9e, 0x73),
                    RGBColor(0xcc, 0x79, 0xa7),
                    RGBColor(0xf0, 0xe4, 0x42),
                ],
                other: RGBColor(0x6a, 0x6a, 0x72),
            },
        }
    }
}

/// The colours of one theme.
#[derive(Debug, Clone, Copy)]
pub struct Colours {
    pub background: RGBColor,
    pub text: RGBColor,
    pub muted: RGBColor,
    pub grid: RGBColor,
    /// Lines and highlighted bars, in order (the first geo, the second, the EU, …).
    pub series: [RGBColor; 6],
    /// Bars that are not highlighted.
    pub other: RGBColor,
}

/// `#rrggbb`.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// `value` with `decimals` decimals, written for `lang`: `1,234.5` (en), `1 234,5` (fr, with a
/// narrow no-break space), `1.234,5` (nl, de); a true minus sign.
pub fn number(value: f64, decimals: usize, lang: &str) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (group, point) = match lang {
        "fr" => ("\u{202f}", ","),
        "nl" | "de" => (".", ","),
        _ => (",", "."),
    };
    let mut grouped = String::new();
    let digits: Vec<char> = int.chars().collect();
    // French leaves four-digit numbers ungrouped.
    let min = if lang == "fr" { 5 } else { 4 };
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && digits.len() >= min && (digits.len() - i).is_multiple_of(3) {
            grouped.push_str(group);
        }
        grouped.push(*d);
    }
    let negative = value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::new();
    if negative {
        out.push('\u{2212}');
    }
    out.push_str(&grouped);
    if !frac.is_empty() {
        out.push_str(point);
        out.push_str(frac);
    }
    out
}

/// Reads back a number written by [`number`] (for tests and checks).
pub fn parse_number(text: &str, lang: &str) -> Option<f64> {
    let mut s: String = text
        .trim()
        .trim_end_matches('%')
        .trim()
        .replace(['\u{202f}', '\u{a0}'], "")
        .replace('\u{2212}', "-");
    match lang {
        "fr" => s = s.replace(',', "."),
        "nl" | "de" => s = s.replace('.', "").replace(',', "."),
        _ => s = s.replace(',', ""),
    }
    s.parse().ok()
}

/// Whether the unit is a percentage (`% of households`, `pc_ind`).
pub fn is_percent(unit: &str) -> bool {
    unit.trim_start().starts_with('%')
}

/// A value with its unit sign when the unit is a percentage: `94%` (en, nl), `94 %` (fr, de).
pub fn quantity(value: f64, decimals: usize, unit: &str, lang: &str) -> String {
    let n = number(value, decimals, lang);
    if is_percent(unit) {
        match lang {
            "fr" | "de" => format!("{n}\u{a0}%"),
            _ => format!("{n}%"),
        }
    } else {
        n
    }
}

/// An indicator's unit (written in English in `indicators/`) in `lang`, for the units the
/// definitions use; others as written.
pub fn unit(unit: &str, lang: &str) -> String {
    const UNITS: &[(&str, [&str; 3])] = &[
        (
            "% of households",
            ["% des ménages", "% van de huishoudens", "% der Haushalte"],
        ),
        (
            "% of individuals",
            ["% des personnes", "% van de personen", "% der Personen"],
        ),
        (
            "% of enterprises",
            [
                "% des entreprises",
                "% van de ondernemingen",
                "% der Unternehmen",
            ],
        ),
        (
            "% of internet users",
            [
                "% des internautes",
                "% van de internetgebruikers",
                "% der Internetnutzer",
            ],
        ),
        (
            "% of total employment",
            [
                "% de l'emploi total",
                "% van de totale werkgelegenheid",
                "% der Gesamtbeschäftigung",
            ],
        ),
        (
            "millions of persons employed",
            [
                "millions de personnes employées",
                "miljoen werkenden",
                "Millionen Erwerbstätige",
            ],
        ),
        (
            "score (0-100)",
            ["score (0-100)", "score (0-100)", "Punktwert (0-100)"],
        ),
    ];
    let i = match lang {
        "fr" => 0,
        "nl" => 1,
        "de" => 2,
        _ => return unit.to_owned(),
    };
    UNITS
        .iter()
        .find(|(en, _)| unit.starts_with(en))
        .map(|(en, t)| format!("{}{}", t[i], &unit[en.len()..]))
        .unwrap_or_else(|| unit.to_owned())
}

/// How many decimals suit values whose spread is `span`.
pub fn decimals_for(span: f64) -> usize {
    if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else {
        2
    }
}

/// The name of a geo in `lang`, the one resolver of the charts and the pages: the EU, the member
/// states and Belgium's regions in the language (the table below); any other region by the name
/// the store's region shapes give it ([`set_region_names`]: GISCO's `NAME_LATN`, e.g. `Praha` for
/// `CZ01`); the code itself when neither names it.
pub fn geo_name(code: &str, lang: &str) -> String {
    let i = match lang {
        "fr" => 1,
        "nl" => 2,
        "de" => 3,
        _ => 0,
    };
    GEO_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, names)| names[i].to_owned())
        .or_else(|| {
            REGION_NAMES
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(code)
                .cloned()
        })
        .unwrap_or_else(|| code.to_owned())
}

/// The region names read from the store (code → name), for [`geo_name`].
static REGION_NAMES: std::sync::RwLock<std::collections::BTreeMap<String, String>> =
    std::sync::RwLock::new(std::collections::BTreeMap::new());

/// Sets the names [`geo_name`] gives the regions its own table does not list: those of the
/// store's current region shapes (`crate::geo::names`), set by whoever opens a store snapshot
/// (the server at start and after each publish). NUTS 2021 is a closed classification, so a name
/// never changes meaning between versions; an empty map leaves the codes.
pub fn set_region_names(names: std::collections::BTreeMap<String, String>) {
    *REGION_NAMES.write().unwrap_or_else(|p| p.into_inner()) = names;
}

/// en, fr, nl, de.
const GEO_NAMES: &[(&str, [&str; 4])] = &[
    ("EU27_2020", ["EU", "UE", "EU", "EU"]),
    ("BE10", ["Brussels", "Bruxelles", "Brussel", "Brüssel"]),
    ("BE2", ["Flanders", "Flandre", "Vlaanderen", "Flandern"]),
    ("BE3", ["Wallonia", "Wallonie", "Wallonië", "Wallonien"]),
    ("BE", ["Belgium", "Belgique", "België", "Belgien"]),
    ("BG", ["Bulgaria", "Bulgarie", "Bulgarije", "Bulgarien"]),
    ("CZ", ["Czechia", "Tchéquie", "Tsjechië", "Tschechien"]),
    ("DK", ["Denmark", "Danemark", "Denemarken", "Dänemark"]),
    ("DE", ["Germany", "Allemagne", "Duitsland", "Deutschland"]),
    ("EE", ["Estonia", "Estonie", "Estland", "Estland"]),
    ("IE", ["Ireland", "Irlande", "Ierland", "Irland"]),
    ("EL", ["Greece", "Grèce", "Griekenland", "Griechenland"]),
    ("ES", ["Spain", "Espagne", "Spanje", "Spanien"]),
    ("FR", ["France", "France", "Frankrijk", "Frankreich"]),
    ("HR", ["Croatia", "Croatie", "Kroatië", "Kroatien"]),
    ("IT", ["Italy", "Italie", "Italië", "Italien"]),
    ("CY", ["Cyprus", "Chypre", "Cyprus", "Zypern"]),
    ("LV", ["Latvia", "Lettonie", "Letland", "Lettland"]),
    ("LT", ["Lithuania", "Lituanie", "Litouwen", "Litauen"]),
    ("LU", ["Luxembourg", "Luxembourg", "Luxemburg", "Luxemburg"]),
    ("HU", ["Hungary", "Hongrie", "Hongarije", "Ungarn"]),
    ("MT", ["Malta", "Malte", "Malta", "Malta"]),
    (
        "NL",
        ["Netherlands", "Pays-Bas", "Nederland", "Niederlande"],
    ),
    ("AT", ["Austria", "Autriche", "Oostenrijk", "Österreich"]),
    ("PL", ["Poland", "Pologne", "Polen", "Polen"]),
    ("PT", ["Portugal", "Portugal", "Portugal", "Portugal"]),
    ("RO", ["Romania", "Roumanie", "Roemenië", "Rumänien"]),
    ("SI", ["Slovenia", "Slovénie", "Slovenië", "Slowenien"]),
    ("SK", ["Slovakia", "Slovaquie", "Slowakije", "Slowakei"]),
    ("FI", ["Finland", "Finlande", "Finland", "Finnland"]),
    ("SE", ["Sweden", "Suède", "Zweden", "Schweden"]),
];

/// A fixed word or phrase of the charts, in `lang` (English when not translated).
pub fn word(key: Word, lang: &str) -> &'static str {
    let [en, fr, nl, de] = match key {
        Word::Source => ["Source", "Source", "Bron", "Quelle"],
        Word::OnlineCode => [
            "online data code",
            "code des données en ligne",
            "online datacode",
            "Online-Datencode",
        ],
        Word::Dataset => ["dataset", "jeu de données", "dataset", "Datensatz"],
        Word::Processed => [
            "processed by desi-city",
            "traité par desi-city",
            "verwerkt door desi-city",
            "verarbeitet von desi-city",
        ],
        Word::Data => ["Data", "Données", "Gegevens", "Daten"],
        Word::Estimated => [
            "estimated, provisional or low reliability",
            "estimé, provisoire ou peu fiable",
            "geschat, voorlopig of weinig betrouwbaar",
            "geschätzt, vorläufig oder wenig zuverlässig",
        ],
        Word::Break => [
            "break in series",
            "rupture de série",
            "breuk in de reeks",
            "Zeitreihenbruch",
        ],
        Word::Published => [
            "published value",
            "valeur publiée",
            "gepubliceerde waarde",
            "veröffentlichter Wert",
        ],
        Word::History => ["history", "historique", "historiek", "Verlauf"],
        Word::Trend => [
            "trajectory from past performance",
            "trajectoire selon le rythme passé",
            "traject volgens het vroegere tempo",
            "Verlauf nach bisherigem Tempo",
        ],
        Word::Required => [
            "path required to reach the target",
            "chemin requis pour atteindre l'objectif",
            "vereist pad naar de doelstelling",
            "zum Ziel erforderlicher Pfad",
        ],
        Word::Target => ["target", "objectif", "doelstelling", "Ziel"],
        Word::CommissionTrajectory => [
            "European Commission: trajectory from past performance",
            "Commission européenne : trajectoire selon le rythme passé",
            "Europese Commissie: traject volgens het vroegere tempo",
            "Europäische Kommission: Verlauf nach bisherigem Tempo",
        ],
        Word::CommissionPath => [
            "European Commission: path to the target",
            "Commission européenne : chemin vers l'objectif",
            "Europese Commissie: pad naar de doelstelling",
            "Europäische Kommission: Pfad zum Ziel",
        ],
        Word::Projected => ["reached in", "atteint en", "bereikt in", "erreicht"],
        Word::NotReached => [
            "not reached at this pace",
            "non atteint à ce rythme",
            "niet bereikt in dit tempo",
            "bei diesem Tempo nicht erreicht",
        ],
        Word::Points => ["points", "points", "punten", "Punkte"],
        Word::EuIndex => [
            "EU = 100, latest value of each indicator",
            "UE = 100, dernière valeur de chaque indicateur",
            "EU = 100, laatste waarde van elke indicator",
            "EU = 100, letzter Wert jedes Indikators",
        ],
        Word::Mean => [
            "mean of the dimension",
            "moyenne de la dimension",
            "gemiddelde van de dimensie",
            "Mittel der Dimension",
        ],
        Word::Indicator => ["indicator", "indicateur", "indicator", "Indikator"],
        Word::NoData => ["no data", "pas de données", "geen gegevens", "keine Daten"],
        Word::Boundaries => ["Boundaries", "Limites", "Grenzen", "Grenzen"],
        Word::Nuts2 => [
            "NUTS 2 regions",
            "régions NUTS 2",
            "NUTS 2-regio's",
            "NUTS-2-Regionen",
        ],
        Word::Computed => [
            "computed by desi-city with the Commission's method",
            "calculé par desi-city selon la méthode de la Commission",
            "berekend door desi-city met de methode van de Commissie",
            "von desi-city nach der Methode der Kommission berechnet",
        ],
    };
    match lang {
        "fr" => fr,
        "nl" => nl,
        "de" => de,
        _ => en,
    }
}

/// The fixed words of [`word`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    Source,
    OnlineCode,
    Dataset,
    Processed,
    Data,
    Estimated,
    Break,
    Published,
    History,
    Trend,
    Required,
    Target,
    CommissionTrajectory,
    CommissionPath,
    Projected,
    NotReached,
    Points,
    EuIndex,
    Mean,
    Indicator,
    NoData,
    Computed,
    Boundaries,
    Nuts2,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_for_the_language_and_read_back() {
        assert_eq!(number(1234.5, 1, "en"), "1,234.5");
        assert_eq!(number(1234.5, 1, "nl"), "1.234,5");
        assert_eq!(number(1234.5, 1, "de"), "1.234,5");
        assert_eq!(number(1234.5, 1, "fr"), "1234,5");
        assert_eq!(number(12345.5, 1, "fr"), "12\u{202f}345,5");
        assert_eq!(number(-3.25, 1, "en"), "\u{2212}3.2");
        assert_eq!(number(-0.01, 1, "en"), "0.0");
        assert_eq!(number(94.0, 0, "fr"), "94");
        assert_eq!(quantity(94.04, 1, "% of households", "fr"), "94,0\u{a0}%");
        assert_eq!(quantity(94.04, 1, "% of households", "en"), "94.0%");
        for lang in ["en", "fr", "nl", "de"] {
            for v in [0.0, 3.5, -12.25, 1234.75, 98765.5] {
                let text = number(v, 2, lang);
                assert_eq!(parse_number(&text, lang), Some(v), "{lang} {text}");
            }
        }
    }

    #[test]
    fn the_themes_keep_text_contrast_of_at_least_4_5() {
        fn luminance(c: RGBColor) -> f64 {
            let f = |v: u8| {
                let v = f64::from(v) / 255.0;
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * f(c.0) + 0.7152 * f(c.1) + 0.0722 * f(c.2)
        }
        for theme in [Theme::Light, Theme::Dark] {
            let c = theme.colours();
            for text in [c.text, c.muted] {
                let (a, b) = (luminance(text), luminance(c.background));
                let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
                assert!(ratio >= 4.5, "{theme:?}: {ratio}");
            }
        }
        assert_eq!(geo_name("BE", "nl"), "België");
        // DejaVu Sans: "0" advances 0.636 em; at plotters' 12.4 (a 10 px font) ten are 63.6 px.
        assert!(
            (text_width("0000000000", 12.4) - 63.6).abs() < 0.5,
            "{}",
            text_width("0000000000", 12.4)
        );
        assert_eq!(geo_name("XX99", "fr"), "XX99");
    }
}
