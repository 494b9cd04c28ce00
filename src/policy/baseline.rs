//! Baselines: accepted findings, keyed by finding code and identity, never by line number.
//!
//! A baseline lets a team adopt nhiscan on a repository with known, tracked secrets (in
//! the working tree or only in history) and fail only on new ones. Every finding is keyed
//! by its code and its identity's fingerprint (the keyed hash of the secret; an identity
//! without a secret value, such as a collected IAM user, by its id), so moving code,
//! renaming files or adding lines above a secret never makes an accepted finding reappear,
//! while a new value, or a new kind of problem with an accepted one, always does. Entries
//! no scan finds any more are reported as stale, so the file shrinks as secrets are
//! removed.
//!
//! Version 1 files (`detector` + `fingerprint`, secret findings only) are still read, with
//! their old meaning.

use crate::model::{Finding, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub const BASELINE_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// The finding's code (`leaked-secret`, `secret-in-history`, `unowned`, ...); absent in
    /// version 1 files, whose entries accept the secret findings of `detector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    /// The identity's fingerprint, or its id when it has no secret value.
    pub fingerprint: String,
    /// When the finding was first accepted (kept when the baseline is written again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
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
    /// Version 1: (detector, fingerprint) of accepted secret findings.
    legacy: HashSet<(String, String)>,
    /// Version 2: (code, fingerprint or identity id) -> its entry.
    keyed: HashMap<(String, String), BaselineEntry>,
}

/// A baseline applied to findings as they are judged ([`Baseline::admission`]).
pub struct BaselineAdmission<'b> {
    baseline: &'b Baseline,
    matched: HashSet<(String, String)>,
    /// Findings the baseline accepted.
    pub suppressed: u64,
}

/// The baseline entries a scan's findings did and did not match.
#[derive(Debug, Default)]
pub struct BaselineUse {
    /// Accepted findings this scan no longer makes, by code and fingerprint.
    pub stale: Vec<BaselineEntry>,
    /// Entries this scan's findings matched (kept when the baseline is written again).
    pub matched: Vec<BaselineEntry>,
}

impl BaselineAdmission<'_> {
    /// The finding, or `None` when the baseline accepts it.
    pub fn admit(&mut self, f: Finding) -> Option<Finding> {
        if self.baseline.keyed.is_empty() {
            return Some(f);
        }
        let key = key_of(&f);
        if self.baseline.keyed.contains_key(&key) {
            self.suppressed += 1;
            self.matched.insert(key);
            None
        } else {
            Some(f)
        }
    }

    /// Which entries matched, once every finding was admitted.
    pub fn finish(self) -> BaselineUse {
        let mut out = BaselineUse::default();
        for (key, entry) in &self.baseline.keyed {
            if self.matched.contains(key) {
                out.matched.push(entry.clone());
            } else {
                out.stale.push(entry.clone());
            }
        }
        let order = |a: &BaselineEntry, b: &BaselineEntry| {
            (&a.code, &a.fingerprint).cmp(&(&b.code, &b.fingerprint))
        };
        out.stale.sort_by(order);
        out.matched.sort_by(order);
        out
    }
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
    #[error(
        "baseline {path} has version {found}; this nhiscan reads versions 1 and {BASELINE_VERSION}: regenerate it with `nhiscan scan --write-baseline {path}`"
    )]
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
        let mut baseline = Baseline::default();
        match file.nhiscan_baseline {
            1 => {
                for e in file.entries {
                    if let Some(detector) = e.detector {
                        baseline.legacy.insert((detector, e.fingerprint));
                    }
                }
            }
            BASELINE_VERSION => {
                for (n, e) in file.entries.into_iter().enumerate() {
                    let Some(code) = e.code.clone() else {
                        return Err(BaselineError::Parse {
                            path: path.to_path_buf(),
                            line: 0,
                            column: 0,
                            message: format!("entry {} has no `code`", n + 1),
                        });
                    };
                    let key = (family(&code).to_string(), e.fingerprint.clone());
                    baseline.keyed.insert(key, e);
                }
            }
            found => {
                return Err(BaselineError::Version {
                    path: path.to_path_buf(),
                    found,
                });
            }
        }
        Ok(baseline)
    }

    /// A version 1 baseline accepts this secret value (the checks ask while judging).
    pub fn contains(&self, detector: &str, fingerprint: &str) -> bool {
        self.legacy
            .contains(&(detector.to_string(), fingerprint.to_string()))
    }

    /// The baseline applied to findings one at a time: [`BaselineAdmission::admit`] drops
    /// the ones a version 2 baseline accepts, [`BaselineAdmission::finish`] lists its stale
    /// entries.
    pub fn admission(&self) -> BaselineAdmission<'_> {
        BaselineAdmission {
            baseline: self,
            matched: HashSet::new(),
            suppressed: 0,
        }
    }

    /// The baseline that accepts every finding in `findings` (published examples are left
    /// out: they never fail a build), plus `still_accepted`: the entries of the baseline
    /// in use that this scan matched (stale ones are dropped). An entry accepted before
    /// keeps its `first_seen`; a new one is first seen `now`.
    pub fn file_from_findings(
        findings: &[Finding],
        now: Timestamp,
        still_accepted: &[BaselineEntry],
    ) -> BaselineFile {
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut entries: Vec<BaselineEntry> = still_accepted
            .iter()
            .filter(|e| {
                e.code
                    .as_deref()
                    .is_some_and(|c| seen.insert((family(c).to_string(), e.fingerprint.clone())))
            })
            .cloned()
            .collect();
        entries.extend(
            findings
                .iter()
                .filter(|f| f.confidence != Some(crate::model::Confidence::Example))
                .filter_map(|f| {
                    let key = key_of(f);
                    let first_seen = now;
                    seen.insert(key.clone()).then(|| BaselineEntry {
                        code: Some(f.code.clone()),
                        detector: f.detector.clone(),
                        fingerprint: key.1,
                        first_seen: Some(first_seen),
                        preview: f.preview.clone(),
                        first_path: f.path.clone(),
                    })
                }),
        );
        entries.sort_by(|a, b| (&a.code, &a.fingerprint).cmp(&(&b.code, &b.fingerprint)));
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

/// A finding's baseline key: its code and its identity's fingerprint, or the identity's
/// id when it has no secret value. `leaked-secret` and `secret-in-history` are one key: an
/// accepted secret removed from the working tree lives on in history, and its move must
/// not fail the build again.
fn key_of(f: &Finding) -> (String, String) {
    (
        family(&f.code).to_string(),
        f.fingerprint.clone().unwrap_or_else(|| f.identity.clone()),
    )
}

fn family(code: &str) -> &str {
    if code == crate::policy::SECRET_IN_HISTORY.code {
        crate::policy::LEAKED_SECRET.code
    } else {
        code
    }
}
