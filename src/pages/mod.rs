//! The Smart City Office's HTML pages: the dashboard of one city (the five DESI dimensions, the
//! roadmap, the regional scorecard, the country's composite DESI, the sources' freshness), one
//! page per indicator and per roadmap target, the accessibility statement and the error page.
//!
//! Figures in, HTML out: [`view`] turns one snapshot's `Figures` (and the sources' states) into
//! template contexts, [`i18n`] gives every word from the translation files of `i18n/` (built into
//! the binary) and writes numbers (through `charts::style`, the one number writer) and dates for
//! the language, and [`Pages::render`] fills the templates of `templates/pages/` (minijinja,
//! auto-escaped, undefined values refused). Knows nothing of HTTP: `api::routes::pages` serves it.
//! Must not compute figures (no SQL, no DuckDB) nor read the store.

pub mod i18n;
pub mod view;

use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use i18n::Texts;

/// The languages the pages come in (every file of `i18n/`).
pub const LANGUAGES: [&str; 4] = ["fr", "nl", "en", "de"];

/// The date this accessibility statement was written (a fact, not a text to translate).
pub const STATEMENT_DATE: (i32, u32, u32) = (2026, 12, 1);

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("i18n/{file}: {message}. Fix the file (every key of en.toml must be there, as text).")]
    Texts { file: String, message: String },
    #[error("template {name}: {source}")]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },
}

pub type Result<T> = std::result::Result<T, PageError>;

const TEMPLATES: [(&str, &str); 7] = [
    ("base.html", include_str!("../../templates/pages/base.html")),
    (
        "dashboard.html",
        include_str!("../../templates/pages/dashboard.html"),
    ),
    (
        "indicator.html",
        include_str!("../../templates/pages/indicator.html"),
    ),
    (
        "target.html",
        include_str!("../../templates/pages/target.html"),
    ),
    (
        "accessibility.html",
        include_str!("../../templates/pages/accessibility.html"),
    ),
    (
        "error.html",
        include_str!("../../templates/pages/error.html"),
    ),
    (
        "macros.html",
        include_str!("../../templates/pages/macros.html"),
    ),
];

/// The pages' stylesheet, served as a file (the pages' CSP allows no inline style).
pub const CSS: &str = include_str!("../../templates/pages/pages.css");

/// The templates and the texts of every language, loaded once.
pub struct Pages {
    env: minijinja::Environment<'static>,
    texts: BTreeMap<&'static str, Texts>,
}

impl Pages {
    /// The built-in templates and texts (`templates/pages/`, `i18n/`), loaded at first use.
    pub fn get() -> &'static Pages {
        static PAGES: OnceLock<Pages> = OnceLock::new();
        PAGES.get_or_init(|| {
            Pages::load().expect("the built-in templates and texts are valid (tested)")
        })
    }

    /// Loads the built-in templates and texts; a text file that does not parse, or lacks a key of
    /// `en.toml`, is an error naming the file and the key.
    pub fn load() -> Result<Pages> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|source| PageError::Template {
                    name: name.to_owned(),
                    source,
                })?;
        }
        let folder = crate::catalog::Folder::built_in(crate::catalog::BuiltIn::I18n);
        let mut texts = BTreeMap::new();
        for lang in LANGUAGES {
            let file = format!("{lang}.toml");
            let text = folder.read_to_string(&file).map_err(|e| PageError::Texts {
                file: file.clone(),
                message: e.to_string(),
            })?;
            texts.insert(lang, Texts::parse(lang, &file, &text)?);
        }
        let english = texts.get("en").cloned().ok_or_else(|| PageError::Texts {
            file: "en.toml".into(),
            message: "missing".into(),
        })?;
        for (lang, t) in &texts {
            t.has_every_key_of(&english, &format!("{lang}.toml"))?;
        }
        Ok(Pages { env, texts })
    }

    /// The texts of `lang` (one of [`LANGUAGES`]; English otherwise).
    pub fn texts(&self, lang: &str) -> &Texts {
        self.texts
            .get(lang)
            .or_else(|| self.texts.get("en"))
            .expect("en.toml is loaded")
    }

    /// Renders template `name` with `page` (a view of [`view`]) in `lang`: the template sees
    /// `page`, `t` (every text of the language) and `site` (language links for `path`).
    pub fn render(
        &self,
        name: &str,
        lang: &'static str,
        path: &str,
        page: serde_json::Value,
    ) -> Result<String> {
        let texts = self.texts(lang);
        let languages: Vec<serde_json::Value> = LANGUAGES
            .iter()
            .map(|code| {
                serde_json::json!({
                    "code": code,
                    "name": self.texts(code).get("language.name"),
                    "href": format!("{path}?lang={code}"),
                    "current": *code == lang,
                })
            })
            .collect();
        let template = self
            .env
            .get_template(name)
            .map_err(|source| PageError::Template {
                name: name.to_owned(),
                source,
            })?;
        template
            .render(minijinja::context! {
                lang,
                t => minijinja::Value::from_serialize(texts.tree()),
                site => serde_json::json!({
                    "languages": languages,
                    "home": format!("/?lang={lang}"),
                    "accessibility": format!("/accessibility?lang={lang}"),
                    "css": CSS_PATH,
                    "path": path,
                }),
                page => minijinja::Value::from_serialize(&page),
            })
            .map_err(|source| PageError::Template {
                name: name.to_owned(),
                source,
            })
    }
}

/// Where the stylesheet is served (with a hash of its bytes, so it can be cached for a year).
pub const CSS_PATH: &str = "/assets/pages.css";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_and_text_loads_and_every_key_of_english_is_in_french_dutch_and_german() {
        let pages = Pages::load().expect("pages load");
        let en = pages.texts("en");
        for lang in ["fr", "nl", "de"] {
            let t = pages.texts(lang);
            for key in en.keys() {
                assert!(t.has(&key), "{lang}.toml lacks {key}");
            }
            assert_eq!(t.get("language.code"), lang);
        }
        assert!(en.keys().len() > 100, "{}", en.keys().len());
    }
}
