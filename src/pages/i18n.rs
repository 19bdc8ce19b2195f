//! The pages' words in one language, from `i18n/<lang>.toml` (tables of `key = "text"`, a few
//! lists), with `{name}` placeholders filled here; dates written with the file's month names and
//! order; numbers through [`crate::charts::style::number`], the one number writer of desi-city.
//! No HTTP, no figures.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{PageError, Result};
use crate::charts::style;

/// Every text of one language.
#[derive(Debug, Clone)]
pub struct Texts {
    lang: &'static str,
    /// The file as a tree, for the templates (`t.site.name`).
    tree: serde_json::Value,
    /// Every leaf by its dotted key (`site.name`; a list as `key` with its items joined).
    flat: BTreeMap<String, serde_json::Value>,
    months: Vec<String>,
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, serde_json::Value>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.clone());
        }
    }
}

impl Texts {
    /// Parses one language's file; `file` names it in errors.
    pub fn parse(lang: &'static str, file: &Path, text: &str) -> Result<Texts> {
        const FIX_TOML: &str = "Write each text as key = \"text\" under its [table], as in the shipped file, with the quotes closed";
        let value: toml::Value = toml::from_str(text).map_err(|e| PageError::Texts {
            file: file.to_owned(),
            problem: format!("not valid TOML: {}", e.to_string().trim_end()),
            fix: FIX_TOML,
        })?;
        let tree = serde_json::to_value(&value).map_err(|e| PageError::Texts {
            file: file.to_owned(),
            problem: e.to_string(),
            fix: FIX_TOML,
        })?;
        let mut flat = BTreeMap::new();
        flatten("", &tree, &mut flat);
        for (key, v) in &flat {
            let ok = v.is_string()
                || v.as_array()
                    .is_some_and(|items| items.iter().all(serde_json::Value::is_string));
            if !ok {
                return Err(PageError::Texts {
                    file: file.to_owned(),
                    problem: format!("key {key} is not a text (or a list of texts)"),
                    fix: "Write it as key = \"text\" (or, where en.toml has a list, [\"text\", …])",
                });
            }
        }
        let months: Vec<String> = flat
            .get("date.months")
            .and_then(|m| m.as_array())
            .map(|m| {
                m.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if months.len() != 12 {
            return Err(PageError::Texts {
                file: file.to_owned(),
                problem: format!("key date.months has {} names, not 12", months.len()),
                fix: "List the twelve months' names, January first, as in en.toml",
            });
        }
        Ok(Texts {
            lang,
            tree,
            flat,
            months,
        })
    }

    /// Refuses a file that lacks a key of `reference` (or has it as another kind of value).
    pub fn has_every_key_of(&self, reference: &Texts, file: &Path) -> Result<()> {
        for (key, value) in &reference.flat {
            let problem = match self.flat.get(key) {
                Some(v) if v.is_string() == value.is_string() => continue,
                Some(_) if value.is_string() => format!("key {key} is a list, not a text"),
                Some(_) => format!("key {key} is a text, not a list"),
                None => format!("key {key} is missing"),
            };
            return Err(PageError::Texts {
                file: file.to_owned(),
                problem,
                fix: super::FIX_KEY,
            });
        }
        Ok(())
    }

    pub fn lang(&self) -> &'static str {
        self.lang
    }

    pub fn tree(&self) -> &serde_json::Value {
        &self.tree
    }

    /// Every dotted key.
    pub fn keys(&self) -> Vec<String> {
        self.flat.keys().cloned().collect()
    }

    pub fn has(&self, key: &str) -> bool {
        self.flat.contains_key(key)
    }

    /// The text of `key` (the key itself when there is none, which the tests forbid).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.flat.get(key).and_then(|v| v.as_str()).unwrap_or(key)
    }

    /// The text of `key` with each `{name}` replaced by its value.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A day written for the language: `1 December 2026`, `1 décembre 2026`, `1. Dezember 2026`.
    pub fn day(&self, day: NaiveDate) -> String {
        let month = self
            .months
            .get(day.month0() as usize)
            .cloned()
            .unwrap_or_default();
        self.fmt(
            "date.format",
            &[
                ("day", &day.day().to_string()),
                ("month", &month),
                ("year", &day.year().to_string()),
            ],
        )
    }

    /// A moment's day (UTC), written for the language.
    pub fn date(&self, t: DateTime<Utc>) -> String {
        self.day(t.date_naive())
    }

    /// An RFC 3339 time as published (`2026-06-25T23:00:00+02:00`): its day where it was
    /// published, written for the language; the text itself when it does not parse.
    pub fn date_text(&self, text: &str) -> String {
        match DateTime::parse_from_rfc3339(text) {
            Ok(t) => self.day(t.date_naive()),
            Err(_) => text.to_owned(),
        }
    }

    /// A number with `decimals` decimals, written for the language.
    pub fn number(&self, value: f64, decimals: usize) -> String {
        style::number(value, decimals, self.lang)
    }

    /// A value in `unit` (`94,7 %` for a percentage in French), written for the language.
    pub fn quantity(&self, value: f64, decimals: usize, unit: &str) -> String {
        style::quantity(value, decimals, unit, self.lang)
    }

    /// A change with its sign (`+1,2`, `−0,4`), written for the language.
    pub fn signed(&self, value: f64, decimals: usize) -> String {
        let text = self.number(value, decimals);
        if value > 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
            format!("+{text}")
        } else {
            text
        }
    }
}

/// How many decimals a value is published with (as its shortest form writes it), at most 2.
pub fn decimals(value: f64) -> usize {
    let text = format!("{value}");
    if text.contains('e') {
        return 2;
    }
    text.split_once('.')
        .map_or(0, |(_, frac)| frac.len().min(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers_are_written_for_the_language() {
        let pages = super::super::Pages::load().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(pages.texts("en").day(day), "1 December 2026");
        assert_eq!(pages.texts("fr").day(day), "1 décembre 2026");
        assert_eq!(pages.texts("nl").day(day), "1 december 2026");
        assert_eq!(pages.texts("de").day(day), "1. Dezember 2026");
        assert_eq!(
            pages.texts("fr").quantity(84.79, 2, "% of households"),
            "84,79\u{a0}%"
        );
        assert_eq!(pages.texts("nl").signed(1.5, 1), "+1,5");
        assert_eq!(pages.texts("en").signed(-1.5, 1), "\u{2212}1.5");
        assert_eq!(
            pages.texts("fr").date_text("2026-06-25T23:00:00+02:00"),
            "25 juin 2026"
        );
        assert_eq!(decimals(84.79), 2);
        assert_eq!(decimals(84.0), 0);
        assert_eq!(decimals(1.23456), 2);
        assert_eq!(
            pages
                .texts("fr")
                .fmt("rank.member_states", &[("rank", "3"), ("n", "27")]),
            "Rang 3 sur 27 États membres"
        );
    }
}
