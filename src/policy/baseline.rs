//! Baselines: accepted findings, keyed by detector and fingerprint, never by line number.
//!
//! A baseline lets a team adopt nhiscan on a repository with known, tracked secrets and fail
//! only on new ones. Keying by (detector, fingerprint) means moving code, renaming files or
//! adding lines above a secret never makes a baselined finding reappear, while a new value
//! in the same place always does.

use crate::model::Finding;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub const BASELINE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub detector: String,
    pub fingerprint: String,
    /// For humans reviewing the baseline; not used for matching.
    #[serde(default)]
    pub preview: Option<String>,
    #[serde(default)]
    pub first_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub nhiscan_baseline: u32,
    pub entries: Vec<BaselineEntry>,
}

#[derive(Debug, Default)]
pub struct Baseline {
    keys: HashSet<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "baseline {path} is not a valid nhiscan baseline (line {line}, column {column}): {message}; regenerate it with `nhiscan scan --write-baseline {path}`"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("baseline {path} has version {found}; this nhiscan reads version {BASELINE_VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("cannot write baseline {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Baseline::parse(&text, path)
    }

    /// A baseline from its text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| BaselineError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if file.nhiscan_baseline != BASELINE_VERSION {
            return Err(BaselineError::Version {
                path: path.to_path_buf(),
                found: file.nhiscan_baseline,
            });
        }
        Ok(Baseline {
            keys: file
                .entries
                .into_iter()
                .map(|e| (e.detector, e.fingerprint))
                .collect(),
        })
    }

    pub fn contains(&self, detector: &str, fingerprint: &str) -> bool {
        self.keys
            .contains(&(detector.to_string(), fingerprint.to_string()))
    }

    /// The baseline that accepts every `leaked-secret` finding in `findings` about a
    /// credential (published examples are left out).
    pub fn file_from_findings(findings: &[Finding]) -> BaselineFile {
        let mut seen = HashSet::new();
        let mut entries: Vec<BaselineEntry> = findings
            .iter()
            .filter(|f| f.code == crate::policy::LEAKED_SECRET.code)
            // A published example is no credential to accept: it never fails a build.
            .filter(|f| f.confidence != Some(crate::model::Confidence::Example))
            .filter_map(|f| {
                let detector = f.detector.clone()?;
                let fingerprint = f.fingerprint.clone()?;
                seen.insert((detector.clone(), fingerprint.clone()))
                    .then(|| BaselineEntry {
                        detector,
                        fingerprint,
                        preview: f.preview.clone(),
                        first_path: f.path.clone(),
                    })
            })
            .collect();
        entries.sort_by(|a, b| (&a.detector, &a.fingerprint).cmp(&(&b.detector, &b.fingerprint)));
        BaselineFile {
            nhiscan_baseline: BASELINE_VERSION,
            entries,
        }
    }

    pub fn write(file: &BaselineFile, path: &Path) -> Result<(), BaselineError> {
        let mut text = serde_json::to_string_pretty(file).expect("baseline serialises");
        text.push('\n');
        std::fs::write(path, text).map_err(|source| BaselineError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}
