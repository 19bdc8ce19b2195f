//! The Smart City Office's HTML pages: the dashboard of one city (the five DESI dimensions, the
//! roadmap, the regional scorecard, the country's composite DESI, the sources' freshness), one
//! page per indicator and per roadmap target, the accessibility statement and the error page.
//!
//! Figures in, HTML out: [`view`] turns one snapshot's `Figures` (and the sources' states) into
//! template contexts, [`i18n`] gives every word from the translation files of `i18n/` (built into
//! the binary, or the copy `i18n_dir` names) and writes numbers (through `charts::style`, the one number writer) and dates for
//! the language, and [`Pages::render`] fills the templates of `templates/pages/` (minijinja,
//! auto-escaped, undefined values refused). Knows nothing of HTTP: `api::routes::pages` serves it.
//! Must not compute figures (no SQL, no DuckDB) nor read the store.

pub mod i18n;
pub mod view;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

pub use i18n::Texts;

/// The languages the pages come in (every file of `i18n/`).
pub const LANGUAGES: [&str; 4] = ["fr", "nl", "en", "de"];

/// The date this accessibility statement was written (a fact, not a text to translate).
pub const STATEMENT_DATE: (i32, u32, u32) = (2026, 12, 1);

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// A text file that cannot be read, is not TOML, or lacks (or mistypes) a key: the file (with
    /// its folder: `i18n_dir` or the built-in `i18n/`), the key, and the fix.
    #[error("{}: {problem}. {fix}", file.display())]
    Texts {
        file: std::path::PathBuf,
        problem: String,
        fix: &'static str,
    },
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

/// The fix of a text file that lacks a key or has one of another kind.
pub const FIX_KEY: &str = "Add the key with its text in this language, as in en.toml: every key of en.toml must be in each language's file (no key falls back to English)";

/// The templates and the texts of every language, loaded once.
pub struct Pages {
    env: minijinja::Environment<'static>,
    texts: BTreeMap<&'static str, Texts>,
    /// A short hash of every text file read: part of the pages' ETags, so that edited texts are
    /// never answered `304 Not Modified` with the old ones.
    id: String,
}

impl Pages {
    /// Loads the built-in templates and texts; a text file that does not parse, or lacks a key of
    /// `en.toml`, is an error naming the file and the key.
    pub fn load() -> Result<Pages> {
        Pages::load_from(&crate::catalog::Folder::built_in(
            crate::catalog::BuiltIn::I18n,
        ))
    }

    /// Loads the built-in templates and the texts of `folder` (`i18n_dir`, or the built-in
    /// `i18n/`): one `<lang>.toml` per language of [`LANGUAGES`], each with every key of
    /// `en.toml`. A file that cannot be read, does not parse, or lacks a key is an error naming
    /// the file, the key and the fix; no text falls back to another language.
    pub fn load_from(folder: &crate::catalog::Folder) -> Result<Pages> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|source| PageError::Template {
                    name: name.to_owned(),
                    source,
                })?;
        }
        let mut texts = BTreeMap::new();
        let mut hash = Sha256::new();
        for lang in LANGUAGES {
            let file = folder.path(&format!("{lang}.toml"));
            let text = folder
                .read_to_string(&format!("{lang}.toml"))
                .map_err(|e| PageError::Texts {
                    file: file.clone(),
                    problem: format!("the file could not be read ({e})"),
                    fix: "Put one file per language (fr.toml, nl.toml, en.toml, de.toml) in the folder i18n_dir (DESI_CITY_I18N_DIR, --i18n-dir) names; desi-city init writes the shipped ones",
                })?;
            hash.update(text.as_bytes());
            texts.insert(lang, Texts::parse(lang, &file, &text)?);
        }
        let english = texts.get("en").cloned().ok_or_else(|| PageError::Texts {
            file: folder.path("en.toml"),
            problem: "missing".into(),
            fix: "Put en.toml back: it is the reference every language follows",
        })?;
        for (lang, t) in &texts {
            t.has_every_key_of(&english, &folder.path(&format!("{lang}.toml")))?;
        }
        let id = hex::encode(&hash.finalize()[..8]);
        Ok(Pages { env, texts, id })
    }

    /// A short hash of the texts (see [`Pages`]).
    pub fn id(&self) -> &str {
        &self.id
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

    /// A copy of the built-in texts in a temporary folder, with `edit` applied to `file`.
    fn copy_with(file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let built_in = crate::catalog::Folder::built_in(crate::catalog::BuiltIn::I18n);
        for lang in LANGUAGES {
            let name = format!("{lang}.toml");
            let mut text = built_in.read_to_string(&name).unwrap();
            if name == file {
                text = edit(text);
            }
            std::fs::write(dir.path().join(&name), text).unwrap();
        }
        dir
    }

    #[test]
    fn a_translators_copy_of_the_texts_is_read_from_i18n_dir() {
        let dir = copy_with("fr.toml", |t| {
            t.replace(
                "[site]\nname = \"desi-city\"",
                "[site]\nname = \"desi-city Bruxelles\"",
            )
        });
        let pages = Pages::load_from(&crate::catalog::Folder::disk(dir.path())).unwrap();
        assert_eq!(pages.texts("fr").get("site.name"), "desi-city Bruxelles");
        assert_eq!(pages.texts("nl").get("site.name"), "desi-city");
        assert_ne!(
            pages.id(),
            Pages::load().unwrap().id(),
            "the ETags change with the texts"
        );
    }

    #[test]
    fn a_text_file_that_lacks_a_key_or_does_not_parse_is_refused_naming_the_file_the_key_and_the_fix()
     {
        let message = |dir: &tempfile::TempDir| {
            Pages::load_from(&crate::catalog::Folder::disk(dir.path()))
                .err()
                .expect("refused")
                .to_string()
        };
        let dir = copy_with("de.toml", |t| {
            let at = t.find("\nchart_unavailable = ").unwrap();
            let end = at + 1 + t[at + 1..].find('\n').unwrap();
            format!("{}{}", &t[..at], &t[end..])
        });
        let m = message(&dir);
        assert!(
            m.contains(&dir.path().join("de.toml").display().to_string()),
            "{m}"
        );
        assert!(m.contains("key reason.chart_unavailable is missing"), "{m}");
        assert!(
            m.contains("Add the key") && m.contains("no key falls back to English"),
            "{m}"
        );

        let dir = copy_with("nl.toml", |t| t.replace("[status]", "[status"));
        let m = message(&dir);
        assert!(m.contains("nl.toml") && m.contains("not valid TOML"), "{m}");
        assert!(m.contains("quotes closed"), "{m}");

        let dir = copy_with("fr.toml", |t| t.replace("reached = ", "reached = 1 #"));
        let m = message(&dir);
        assert!(
            m.contains("fr.toml") && m.contains("key status.reached is not a text"),
            "{m}"
        );

        let dir = tempfile::tempdir().unwrap();
        let m = message(&dir);
        assert!(
            m.contains("fr.toml") && m.contains("could not be read"),
            "{m}"
        );
        assert!(
            m.contains("i18n_dir") && m.contains("desi-city init"),
            "{m}"
        );
    }
}
