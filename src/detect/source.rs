//! Where detector files come from: the built-in ones embedded at build time (with the
//! JSON `build.rs` makes of them) and a user's `--detectors` path, and the hash that names
//! a set of them.

use super::DetectorError;
use super::set_hash::{BUILT_IN_ORIGIN, hash_origins_and_texts};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

macro_rules! include_detector {
    ($name:literal) => {
        EmbeddedFile {
            name: $name,
            toml: include_str!(concat!("../../detectors/", $name)),
            json: include_str!(concat!(env!("OUT_DIR"), "/detectors/", $name, ".json")),
        }
    };
}

/// One built-in detector file: as written, and as the JSON `build.rs` made of it (the
/// same data, read in a third of the time at start-up; empty if the TOML is invalid).
pub struct EmbeddedFile {
    pub name: &'static str,
    pub toml: &'static str,
    pub json: &'static str,
}

/// The detector files shipped with nhiscan, embedded at build time.
/// `tests/detectors.rs` proves this list equals the contents of `detectors/`.
pub const EMBEDDED: &[EmbeddedFile] = &[
    include_detector!("aws.toml"),
    include_detector!("gcp.toml"),
    include_detector!("azure.toml"),
    include_detector!("github.toml"),
    include_detector!("gitlab.toml"),
    include_detector!("atlassian.toml"),
    include_detector!("chat.toml"),
    include_detector!("payments.toml"),
    include_detector!("messaging.toml"),
    include_detector!("registries.toml"),
    include_detector!("devops.toml"),
    include_detector!("observability.toml"),
    include_detector!("ai.toml"),
    include_detector!("cloud.toml"),
    include_detector!("saas.toml"),
    include_detector!("keys.toml"),
    include_detector!("uri.toml"),
    include_detector!("config-files.toml"),
    include_detector!("password-hashes.toml"),
    include_detector!("credentials-in-code.toml"),
    include_detector!("long-tail-ai.toml"),
    include_detector!("long-tail-analytics.toml"),
    include_detector!("long-tail-commerce.toml"),
    include_detector!("long-tail-crm.toml"),
    include_detector!("long-tail-devtools.toml"),
    include_detector!("long-tail-finance.toml"),
    include_detector!("long-tail-geo.toml"),
    include_detector!("long-tail-marketing.toml"),
    include_detector!("long-tail-media.toml"),
    include_detector!("long-tail-productivity.toml"),
    include_detector!("long-tail-scraping.toml"),
    include_detector!("generic.toml"),
    include_detector!("references.toml"),
    include_detector!("known-examples.toml"),
];

/// A detector source: where it came from and its TOML text.
pub struct DetectorSource {
    pub origin: String,
    /// Borrowed for the built-in files: copying half a megabyte of TOML that is only read
    /// if its JSON fails would cost a small scan a few hundred page faults.
    pub text: Cow<'static, str>,
    /// The same data as JSON, when `build.rs` made it (built-in files): read instead of
    /// `text`, which is read only if this fails, for its problems' lines.
    pub json: Option<&'static str>,
    /// Shipped with nhiscan and verified by its test suite: regexes may compile lazily.
    pub embedded: bool,
}

impl DetectorSource {
    /// The detector set's identity: 16 hex digits of a hash over every source's origin and
    /// text (shown by `--version`, keyed into the history cache).
    pub fn hash_of(sources: &[DetectorSource]) -> String {
        let built_in = sources.len() == EMBEDDED.len()
            && sources.iter().zip(EMBEDDED).all(|(s, file)| {
                s.embedded
                    && s.origin.strip_prefix(BUILT_IN_ORIGIN) == Some(file.name)
                    // The text `embedded()` borrowed: comparing half a megabyte would
                    // read the TOML the JSON spares. Anything else is hashed, which gives
                    // the same value for the same files.
                    && matches!(&s.text, Cow::Borrowed(text) if std::ptr::eq(*text, file.toml))
            });
        if built_in {
            return Self::built_in_hash().to_string();
        }
        hash_origins_and_texts(sources.iter().map(|s| (s.origin.as_str(), s.text.as_ref())))
    }

    /// [`Self::hash_of`] the built-in set, computed by `build.rs` (half a megabyte of
    /// TOML hashed at every start-up was a fortieth of a pre-commit scan's time).
    pub fn built_in_hash() -> &'static str {
        include_str!(concat!(env!("OUT_DIR"), "/detectors-hash.txt"))
    }

    /// The built-in detector files, in their fixed order, as sources to compile.
    pub fn embedded() -> Vec<DetectorSource> {
        EMBEDDED
            .iter()
            .map(|file| DetectorSource {
                origin: format!("{BUILT_IN_ORIGIN}{}", file.name),
                text: Cow::Borrowed(file.toml),
                json: (!file.json.is_empty()).then_some(file.json),
                embedded: true,
            })
            .collect()
    }

    /// `path` itself when it is a file, else every `*.toml` file directly inside it, in
    /// name order. A directory without any is an error: detectors were asked for and none
    /// would be loaded.
    pub fn from_path(path: &Path) -> Result<Vec<DetectorSource>, DetectorError> {
        let io_err = |source| DetectorError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut paths: Vec<PathBuf> = if std::fs::metadata(path).map_err(io_err)?.is_file() {
            vec![path.to_path_buf()]
        } else {
            std::fs::read_dir(path)
                .map_err(io_err)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect()
        };
        if paths.is_empty() {
            return Err(DetectorError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no *.toml detector files in it",
                ),
            });
        }
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).map_err(|source| DetectorError::Io {
                    path: path.clone(),
                    source,
                })?;
                Ok(DetectorSource {
                    origin: path.display().to_string(),
                    text: Cow::Owned(text),
                    json: None,
                    embedded: false,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash `build.rs` wrote is the one this module computes for the built-in files;
    /// a set whose first file was edited is hashed from its texts, to another value.
    #[test]
    fn the_built_in_hash_from_the_build_is_the_hash_of_the_built_in_files() {
        let sources = DetectorSource::embedded();
        let computed =
            hash_origins_and_texts(sources.iter().map(|s| (s.origin.as_str(), s.text.as_ref())));
        assert_eq!(DetectorSource::built_in_hash(), computed);
        assert_eq!(computed.len(), 16);
        let mut changed = DetectorSource::embedded();
        changed[0].text.to_mut().push('\n');
        assert_ne!(DetectorSource::hash_of(&changed), computed);
    }
}
