//! The words of a chart: its alt text, generated from the plotted data in fr, nl, en or de (what
//! the values are, how the asked geo compares with the EU, what is estimated or provisional), never
//! written by hand; and the data table behind it (the rows of the embed page's `<details>` and of
//! the CSV, Parquet and zip downloads). Must not draw.

use super::prepare::{Body, Point, Prepared};
use super::style::{self, geo_name};

/// A value in the words: one decimal at least, so that a difference said is seen.
fn q(p: &Prepared, v: f64) -> String {
    style::quantity(v, p.decimals.max(1), &p.unit, p.lang)
}

fn n(p: &Prepared, v: f64) -> String {
    style::number(v, p.decimals, p.lang)
}

/// "1.2 points above the EU" in the chart's language.
fn versus_eu(p: &Prepared, diff: f64) -> String {
    let unit = if style::is_percent(&p.unit) {
        match p.lang {
            "fr" => " points",
            "nl" => " punten",
            "de" => " Punkte",
            _ => " points",
        }
    } else {
        ""
    };
    let amount = format!(
        "{}{unit}",
        style::number(diff.abs(), p.decimals.max(1), p.lang)
    );
    let above = diff >= 0.0;
    match (p.lang, above) {
        ("fr", true) => format!("{amount} au-dessus de l'UE"),
        ("fr", false) => format!("{amount} en dessous de l'UE"),
        ("nl", true) => format!("{amount} boven de EU"),
        ("nl", false) => format!("{amount} onder de EU"),
        ("de", true) => format!("{amount} über der EU"),
        ("de", false) => format!("{amount} unter der EU"),
        (_, true) => format!("{amount} above the EU"),
        (_, false) => format!("{amount} below the EU"),
    }
}

fn flagged_sentence(p: &Prepared, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let list = items.join(", ");
    match p.lang {
        "fr" => format!(" Valeurs estimées, provisoires ou peu fiables : {list}."),
        "nl" => format!(" Geschatte, voorlopige of weinig betrouwbare waarden: {list}."),
        "de" => format!(" Geschätzte, vorläufige oder wenig zuverlässige Werte: {list}."),
        _ => format!(" Estimated, provisional or low-reliability values: {list}."),
    }
}

fn last(points: &[Point]) -> Option<(&Point, f64)> {
    points.iter().rev().find_map(|p| p.value.map(|v| (p, v)))
}

/// The alt text of `p`: one or a few sentences from its data.
pub fn alt(p: &Prepared) -> String {
    let lang = p.lang;
    let mut s = format!("{}. ", p.title.trim_end_matches('.'));
    match &p.body {
        Body::Lines(lines) => {
            let eu = lines
                .iter()
                .find(|l| l.geo == crate::indicators::values::EU_AGGREGATE);
            let mut parts = Vec::new();
            let mut flagged = Vec::new();
            let mut first_period: Option<String> = None;
            for line in lines {
                let Some((point, v)) = last(&line.points) else {
                    continue;
                };
                let same_year =
                    parts.is_empty() || first_period.as_deref() == Some(point.period.as_str());
                if parts.is_empty() {
                    first_period = Some(point.period.clone());
                }
                let mut part = match lang {
                    _ if !parts.is_empty() && same_year => {
                        format!("{}{} {}", line.name, super::prepare::colon(lang), q(p, v))
                    }
                    "fr" => format!("en {}, {} : {}", point.period, line.name, q(p, v)),
                    "nl" => format!("in {} {}: {}", point.period, line.name, q(p, v)),
                    "de" => format!("{} {}: {}", point.period, line.name, q(p, v)),
                    _ => format!("in {}, {}: {}", point.period, line.name, q(p, v)),
                };
                if let Some(eu) = eu.filter(|e| e.geo != line.geo)
                    && let Some(eu_v) = eu
                        .points
                        .iter()
                        .find(|e| e.year == point.year)
                        .and_then(|e| e.value)
                {
                    part.push_str(&format!(", {}", versus_eu(p, v - eu_v)));
                }
                if point.uncertain() {
                    part.push_str(match lang {
                        "fr" => " (provisoire ou estimé)",
                        "nl" => " (voorlopig of geschat)",
                        "de" => " (vorläufig oder geschätzt)",
                        _ => " (provisional or estimated)",
                    });
                }
                parts.push(part);
                for q in &line.points {
                    if q.value.is_some() && q.uncertain() && q.year != point.year {
                        flagged.push(format!("{} {}", line.name, q.period));
                    }
                }
            }
            let mut sentence = parts.join("; ");
            if let Some(first) = sentence.get(..1) {
                sentence = first.to_uppercase() + &sentence[1..];
            }
            s.push_str(&sentence);
            s.push('.');
            if let Some(line) = lines.first()
                && let (Some(a), Some((b, bv))) = (
                    line.points.iter().find(|p| p.value.is_some()),
                    last(&line.points),
                )
                && a.year != b.year
            {
                let av = a.value.unwrap_or_default();
                s.push_str(&match lang {
                    "fr" => format!(
                        " De {} à {}, {} est passé de {} à {}.",
                        a.period,
                        b.period,
                        line.name,
                        q(p, av),
                        q(p, bv)
                    ),
                    "nl" => format!(
                        " Van {} tot {} ging {} van {} naar {}.",
                        a.period,
                        b.period,
                        line.name,
                        q(p, av),
                        q(p, bv)
                    ),
                    "de" => format!(
                        " Von {} bis {} ging {} von {} auf {}.",
                        a.period,
                        b.period,
                        line.name,
                        q(p, av),
                        q(p, bv)
                    ),
                    _ => format!(
                        " From {} to {}, {} went from {} to {}.",
                        a.period,
                        b.period,
                        line.name,
                        q(p, av),
                        q(p, bv)
                    ),
                });
            }
            s.push_str(&flagged_sentence(p, &flagged));
        }
        Body::Bars { period, bars } => {
            let ranked: Vec<_> = bars.iter().filter(|b| !b.is_eu).collect();
            let count = ranked.len();
            if let Some((rank, hl)) = ranked.iter().enumerate().find(|(_, b)| b.highlight) {
                let name = geo_name(&hl.geo, lang);
                let rank = rank + 1;
                s.push_str(&match lang {
                    "fr" => format!(
                        "En {period}, {name} est {rank}e sur {count} avec {}",
                        q(p, hl.value)
                    ),
                    "nl" => format!(
                        "In {period} staat {name} op plaats {rank} van {count} met {}",
                        q(p, hl.value)
                    ),
                    "de" => format!(
                        "{period} liegt {name} mit {} auf Platz {rank} von {count}",
                        q(p, hl.value)
                    ),
                    _ => format!(
                        "In {period}, {name} ranks {rank} of {count} with {}",
                        q(p, hl.value)
                    ),
                });
                if let Some(eu) = bars.iter().find(|b| b.is_eu) {
                    s.push_str(&format!(
                        " ({}; {} {})",
                        versus_eu(p, hl.value - eu.value),
                        geo_name("EU27_2020", lang),
                        q(p, eu.value)
                    ));
                }
                s.push('.');
            }
            if let (Some(top), Some(bottom)) = (ranked.first(), ranked.last()) {
                s.push_str(&match lang {
                    "fr" => format!(
                        " Le plus haut : {} ({}) ; le plus bas : {} ({}).",
                        geo_name(&top.geo, lang),
                        q(p, top.value),
                        geo_name(&bottom.geo, lang),
                        q(p, bottom.value)
                    ),
                    "nl" => format!(
                        " Hoogste: {} ({}); laagste: {} ({}).",
                        geo_name(&top.geo, lang),
                        q(p, top.value),
                        geo_name(&bottom.geo, lang),
                        q(p, bottom.value)
                    ),
                    "de" => format!(
                        " Höchster Wert: {} ({}); niedrigster: {} ({}).",
                        geo_name(&top.geo, lang),
                        q(p, top.value),
                        geo_name(&bottom.geo, lang),
                        q(p, bottom.value)
                    ),
                    _ => format!(
                        " Highest: {} ({}); lowest: {} ({}).",
                        geo_name(&top.geo, lang),
                        q(p, top.value),
                        geo_name(&bottom.geo, lang),
                        q(p, bottom.value)
                    ),
                });
            }
            let flagged: Vec<String> = bars
                .iter()
                .filter(|b| b.flags.chars().any(|f| matches!(f, 'e' | 'p' | 'u' | 's')))
                .map(|b| geo_name(&b.geo, lang))
                .collect();
            s.push_str(&flagged_sentence(p, &flagged));
        }
        Body::Profile { rows, .. } => {
            let parts: Vec<String> = rows
                .iter()
                .filter_map(|r| {
                    r.mean.map(|m| {
                        format!("{} {}", r.title.to_lowercase(), style::number(m, 0, lang))
                    })
                })
                .collect();
            let missing: Vec<String> = rows
                .iter()
                .filter(|r| r.mean.is_none())
                .map(|r| r.title.to_lowercase())
                .collect();
            s.push_str(&match lang {
                "fr" => format!("Par rapport à l'UE (100) : {}.", parts.join(", ")),
                "nl" => format!("Tegenover de EU (100): {}.", parts.join(", ")),
                "de" => format!("Im Vergleich zur EU (100): {}.", parts.join(", ")),
                _ => format!("Against the EU (100): {}.", parts.join(", ")),
            });
            if !missing.is_empty() {
                s.push_str(&match lang {
                    "fr" => format!(" Pas de données pour : {}.", missing.join(", ")),
                    "nl" => format!(" Geen gegevens voor: {}.", missing.join(", ")),
                    "de" => format!(" Keine Daten für: {}.", missing.join(", ")),
                    _ => format!(" No data for: {}.", missing.join(", ")),
                });
            }
        }
        Body::Trajectory(t) => {
            if let Some((point, v)) = last(&t.history) {
                s.push_str(&match lang {
                    "fr" => format!(
                        "En {} : {} ; objectif {} : {}.",
                        point.period,
                        q(p, v),
                        t.target.0,
                        q(p, t.target.1)
                    ),
                    "nl" => format!(
                        "In {}: {}; doelstelling {}: {}.",
                        point.period,
                        q(p, v),
                        t.target.0,
                        q(p, t.target.1)
                    ),
                    "de" => format!(
                        "{}: {}; Ziel {}: {}.",
                        point.period,
                        q(p, v),
                        t.target.0,
                        q(p, t.target.1)
                    ),
                    _ => format!(
                        "In {}: {}; {} target: {}.",
                        point.period,
                        q(p, v),
                        t.target.0,
                        q(p, t.target.1)
                    ),
                });
                if point.uncertain() {
                    s.push_str(match lang {
                        "fr" => " Cette dernière valeur est provisoire ou estimée.",
                        "nl" => " Die laatste waarde is voorlopig of geschat.",
                        "de" => " Dieser letzte Wert ist vorläufig oder geschätzt.",
                        _ => " That latest value is provisional or estimated.",
                    });
                }
            }
            if t.gap.is_some() {
                let sub = super::prepare::trajectory_subtitle(t, &p.unit, lang);
                s.push_str(&format!(
                    " {}.",
                    sub.get(..1).map(|f| f.to_uppercase()).unwrap_or_default()
                        + sub.get(1..).unwrap_or_default()
                ));
            }
            s.push_str(&match (lang, t.projected_year) {
                ("fr", Some(y)) => format!(" Au rythme passé, l'objectif est atteint en {y}."),
                ("nl", Some(y)) => {
                    format!(" In het vroegere tempo wordt de doelstelling in {y} bereikt.")
                }
                ("de", Some(y)) => format!(" Im bisherigen Tempo wird das Ziel {y} erreicht."),
                (_, Some(y)) => format!(" At the past pace, the target is reached in {y}."),
                ("fr", None) => " Au rythme passé, l'objectif n'est pas atteint.".to_owned(),
                ("nl", None) => {
                    " In het vroegere tempo wordt de doelstelling niet bereikt.".to_owned()
                }
                ("de", None) => " Im bisherigen Tempo wird das Ziel nicht erreicht.".to_owned(),
                (_, None) => " At the past pace, the target is not reached.".to_owned(),
            });
            for published in &t.published {
                if let Some((y, v)) = published.points.iter().rev().find(|q| q.0 <= t.target.0) {
                    s.push_str(&format!(
                        " {}, {y}{} {}.",
                        capitalise(&published.label),
                        super::prepare::colon(lang),
                        q(p, *v)
                    ));
                }
            }
        }
        Body::Stacked {
            edition,
            dimensions,
            stacks,
            ..
        } => {
            let ranked: Vec<_> = stacks.iter().filter(|s| s.rank.is_some()).collect();
            if let Some(hl) = stacks.iter().find(|s| s.highlight) {
                let name = geo_name(&hl.geo, lang);
                let parts: Vec<String> = dimensions
                    .iter()
                    .zip(&hl.parts)
                    .map(|(d, v)| format!("{} {}", d.to_lowercase(), n(p, *v)))
                    .collect();
                let rank = hl.rank.map_or("–".to_owned(), |r| r.to_string());
                let count = ranked.len();
                s.push_str(&match lang {
                    "fr" => format!("En {edition}, {name} est {rank}e sur {count} avec un DESI de {} ({}).", n(p, hl.total), parts.join(", ")),
                    "nl" => format!("In {edition} staat {name} op plaats {rank} van {count} met een DESI van {} ({}).", n(p, hl.total), parts.join(", ")),
                    "de" => format!("{edition} liegt {name} mit einem DESI von {} ({}) auf Platz {rank} von {count}.", n(p, hl.total), parts.join(", ")),
                    _ => format!("In {edition}, {name} ranks {rank} of {count} with a DESI of {} ({}).", n(p, hl.total), parts.join(", ")),
                });
            }
            if let Some(top) = ranked.first() {
                s.push_str(&match lang {
                    "fr" => format!(
                        " Le plus haut : {} ({}).",
                        geo_name(&top.geo, lang),
                        n(p, top.total)
                    ),
                    "nl" => format!(
                        " Hoogste: {} ({}).",
                        geo_name(&top.geo, lang),
                        n(p, top.total)
                    ),
                    "de" => format!(
                        " Höchster Wert: {} ({}).",
                        geo_name(&top.geo, lang),
                        n(p, top.total)
                    ),
                    _ => format!(
                        " Highest: {} ({}).",
                        geo_name(&top.geo, lang),
                        n(p, top.total)
                    ),
                });
            }
        }
        Body::Map(m) => s.push_str(&map_alt(p, m)),
    }
    s
}

/// The alt text of a map after its title: the highest and lowest regions, the highlighted
/// region's value and class, what has no data, and what is not drawn.
fn map_alt(p: &Prepared, m: &super::prepare::MapData) -> String {
    let lang = p.lang;
    let period = &m.period;
    let count = m.values.len();
    let name = |geo: &str| {
        let known = geo_name(geo, lang);
        if known != geo {
            return known;
        }
        m.values
            .iter()
            .find(|v| v.geo == geo)
            .map(|v| v.name.clone())
            .or_else(|| {
                m.shapes.get(geo).map(|r| {
                    r.name
                        .split('/')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                })
            })
            .unwrap_or_else(|| geo.to_owned())
    };
    let mut s = String::new();
    let top = m.values.iter().max_by(|a, b| a.value.total_cmp(&b.value));
    let bottom = m.values.iter().min_by(|a, b| a.value.total_cmp(&b.value));
    if let (Some(top), Some(bottom)) = (top, bottom) {
        let (t, tn, b, bn) = (
            q(p, top.value),
            name(&top.geo),
            q(p, bottom.value),
            name(&bottom.geo),
        );
        let (tg, bg) = (&top.geo, &bottom.geo);
        s.push_str(&match lang {
            "fr" => format!("En {period}, sur {count} régions NUTS 2 ayant une valeur, la plus haute est {tn} ({tg}, {t}) et la plus basse {bn} ({bg}, {b})."),
            "nl" => format!("In {period} is van de {count} NUTS 2-regio's met een waarde {tn} ({tg}, {t}) de hoogste en {bn} ({bg}, {b}) de laagste."),
            "de" => format!("{period} ist unter {count} NUTS-2-Regionen mit einem Wert {tn} ({tg}, {t}) die höchste und {bn} ({bg}, {b}) die niedrigste."),
            _ => format!("In {period}, of {count} NUTS 2 regions with a value, the highest is {tn} ({tg}, {t}) and the lowest {bn} ({bg}, {b})."),
        });
    }
    let bounds = m.class_bounds();
    let classes = bounds.len();
    if let Some(hl) = m.values.iter().find(|v| v.geo == m.highlight)
        && let Some((lo, hi)) = bounds.get(hl.class)
    {
        let (hn, hg, v, k) = (name(&hl.geo), &hl.geo, q(p, hl.value), hl.class + 1);
        let range = format!("{} – {}", q(p, *lo), q(p, *hi));
        s.push_str(&match lang {
            "fr" => format!(" {hn} ({hg}) : {v}, classe {k} sur {classes} ({range})."),
            "nl" => format!(" {hn} ({hg}): {v}, klasse {k} van {classes} ({range})."),
            "de" => format!(" {hn} ({hg}): {v}, Klasse {k} von {classes} ({range})."),
            _ => format!(" {hn} ({hg}): {v}, class {k} of {classes} ({range})."),
        });
        if hl.flags.chars().any(|f| matches!(f, 'e' | 'p' | 'u' | 's')) {
            s.push_str(match lang {
                "fr" => " Cette valeur est provisoire ou estimée.",
                "nl" => " Die waarde is voorlopig of geschat.",
                "de" => " Dieser Wert ist vorläufig oder geschätzt.",
                _ => " That value is provisional or estimated.",
            });
        }
    }
    let method = match (lang, m.classing) {
        ("fr", super::definition::Classing::Natural) => "seuils naturels (Jenks)",
        ("fr", _) => "quantiles",
        ("nl", super::definition::Classing::Natural) => "natuurlijke grenzen (Jenks)",
        ("nl", _) => "kwantielen",
        ("de", super::definition::Classing::Natural) => "natürliche Klassengrenzen (Jenks)",
        ("de", _) => "Quantile",
        (_, super::definition::Classing::Natural) => "natural breaks (Jenks)",
        (_, _) => "quantiles",
    };
    s.push_str(&match lang {
        "fr" => format!(" {classes} classes par {method}."),
        "nl" => format!(" {classes} klassen volgens {method}."),
        "de" => format!(" {classes} Klassen nach {method}."),
        _ => format!(" {classes} classes by {method}."),
    });
    let missing = m.no_data.len();
    if missing > 0 {
        s.push_str(&match lang {
            "fr" => format!(" {missing} régions sans donnée sont hachurées."),
            "nl" => format!(" {missing} regio's zonder gegevens zijn gearceerd."),
            "de" => format!(" {missing} Regionen ohne Daten sind schraffiert."),
            _ => format!(" {missing} regions without data are hatched."),
        });
    }
    s.push_str(match lang {
        "fr" => " Les régions ultrapériphériques sont montrées dans des cadres.",
        "nl" => " De ultraperifere regio's staan in aparte kaders.",
        "de" => " Die Gebiete in äußerster Randlage sind in eigenen Kästen dargestellt.",
        _ => " The outermost regions are shown in boxes.",
    });
    if !m.not_shown.is_empty() {
        let list: Vec<String> = m
            .not_shown
            .iter()
            .map(|(code, name)| format!("{name} ({code})"))
            .collect();
        let list = list.join(", ");
        s.push_str(&match lang {
            "fr" => format!(" Non montré : {list}."),
            "nl" => format!(" Niet getoond: {list}."),
            "de" => format!(" Nicht dargestellt: {list}."),
            _ => format!(" Not shown: {list}."),
        });
    }
    let flagged: Vec<String> = m
        .values
        .iter()
        .filter(|v| {
            v.geo != m.highlight && v.flags.chars().any(|f| matches!(f, 'e' | 'p' | 'u' | 's'))
        })
        .map(|v| v.geo.clone())
        .collect();
    s.push_str(&flagged_sentence(p, &flagged));
    s
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

/// The data behind a chart: a header and rows of text cells (numbers unrounded, as stored).
pub fn table(p: &Prepared) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let num = |v: f64| v.to_string();
    match &p.body {
        Body::Lines(lines) => (
            vec!["geo", "period", "value", "flags"],
            lines
                .iter()
                .flat_map(|l| {
                    l.points.iter().map(|q| {
                        vec![
                            l.geo.clone(),
                            q.period.clone(),
                            q.value.map(num).unwrap_or_default(),
                            q.flags.clone(),
                        ]
                    })
                })
                .collect(),
        ),
        Body::Bars { period, bars } => (
            vec!["geo", "period", "value", "flags"],
            bars.iter()
                .map(|b| vec![b.geo.clone(), period.clone(), num(b.value), b.flags.clone()])
                .collect(),
        ),
        Body::Profile { geo, rows } => (
            vec![
                "geo",
                "dimension",
                "indicator",
                "period",
                "value",
                "eu27_value",
                "index_eu_100",
                "flags",
            ],
            rows.iter()
                .flat_map(|r| {
                    r.marks.iter().map(|m| {
                        vec![
                            geo.clone(),
                            r.dimension.as_str().to_owned(),
                            m.indicator.clone(),
                            m.period.clone(),
                            num(m.value),
                            num(m.eu_value),
                            num(m.index),
                            m.flags.clone(),
                        ]
                    })
                })
                .collect(),
        ),
        Body::Trajectory(t) => {
            let mut rows: Vec<Vec<String>> = t
                .history
                .iter()
                .map(|q| {
                    vec![
                        t.geo.clone(),
                        "history".into(),
                        q.period.clone(),
                        q.value.map(num).unwrap_or_default(),
                        q.flags.clone(),
                    ]
                })
                .collect();
            if let Some([a, b]) = t.trend {
                for (y, v) in [a, b] {
                    rows.push(vec![
                        t.geo.clone(),
                        "trend".into(),
                        y.to_string(),
                        num(v),
                        String::new(),
                    ]);
                }
            }
            if let Some([a, b]) = t.required {
                for (y, v) in [a, b] {
                    rows.push(vec![
                        t.geo.clone(),
                        "required_path".into(),
                        y.to_string(),
                        num(v),
                        String::new(),
                    ]);
                }
            }
            rows.push(vec![
                t.geo.clone(),
                "target".into(),
                t.target.0.to_string(),
                num(t.target.1),
                String::new(),
            ]);
            for published in &t.published {
                for (y, v) in &published.points {
                    rows.push(vec![
                        t.geo.clone(),
                        published.line.as_str().into(),
                        y.to_string(),
                        num(*v),
                        String::new(),
                    ]);
                }
            }
            (vec!["geo", "series", "period", "value", "flags"], rows)
        }
        Body::Stacked {
            edition,
            dimensions,
            stacks,
            ..
        } => {
            let mut rows = Vec::new();
            for s in stacks {
                rows.push(vec![
                    s.geo.clone(),
                    edition.to_string(),
                    "DESI".into(),
                    num(s.total),
                    s.rank.map(|r| r.to_string()).unwrap_or_default(),
                ]);
                for (d, v) in dimensions.iter().zip(&s.parts) {
                    rows.push(vec![
                        s.geo.clone(),
                        edition.to_string(),
                        d.clone(),
                        num(*v),
                        String::new(),
                    ]);
                }
            }
            (
                vec!["geo", "edition", "part", "weighted_score", "rank"],
                rows,
            )
        }
        Body::Map(m) => {
            let bounds = m.class_bounds();
            (
                vec![
                    "geo",
                    "name",
                    "period",
                    "value",
                    "flags",
                    "class",
                    "class_low",
                    "class_high",
                ],
                m.values
                    .iter()
                    .map(|v| {
                        let (lo, hi) = bounds.get(v.class).copied().unwrap_or((v.value, v.value));
                        vec![
                            v.geo.clone(),
                            v.name.clone(),
                            m.period.clone(),
                            num(v.value),
                            v.flags.clone(),
                            (v.class + 1).to_string(),
                            num(lo),
                            num(hi),
                        ]
                    })
                    .collect(),
            )
        }
    }
}
