//! Detectors: TOML data turned into one compiled, searchable set.
//!
//! `detectors/*.toml` (embedded in the binary) and a user's `--detectors DIR` are parsed into
//! [`syntax::DetectorSyntax`] (as written), then validated and compiled into a
//! [`DetectorSet`]: one Aho-Corasick prefilter over every keyword of every detector, plus each
//! detector's confirming regex, which runs only near a keyword hit. Validation reports every
//! problem at once, each naming the file and the detector.

pub mod decode;
mod filter;
mod find;
mod selftest;
pub mod syntax;
pub mod validate;

pub use filter::shannon_entropy;
pub use find::{Candidate, Scratch};
pub use selftest::{SelfTestFailure, self_test};

use crate::model::{Confidence, Level};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use syntax::{DetectorFile, DetectorSyntax};
use validate::Validator;

macro_rules! include_detector {
    ($name:literal) => {
        ($name, include_str!(concat!("../../detectors/", $name)))
    };
}

/// The detector files shipped with nhiscan, embedded at build time.
/// `tests/detectors.rs` proves this list equals the contents of `detectors/`.
pub const EMBEDDED: &[(&str, &str)] = &[
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
    include_detector!("generic.toml"),
];

/// Kinds a detector may declare; a closed list so that typos fail validation.
pub const KINDS: &[&str] = &[
    "access-key",
    "secret-key",
    "api-key",
    "token",
    "oauth-token",
    "refresh-token",
    "session-token",
    "client-secret",
    "signing-secret",
    "password",
    "connection-string",
    "webhook",
    "private-key",
    "certificate",
    "credentials",
];

/// Default bytes after a keyword hit in which a match may end.
const DEFAULT_WINDOW: usize = 512;
/// Default bytes before a keyword hit in which a match may start.
pub const DEFAULT_LOOKBACK: usize = 256;
/// On very long lines (minified files), a window ends at most this far past its hit (line
/// spans) or past its byte window (byte spans).
pub const MAX_LINE: usize = 4096;
/// Minimum entropy for generic detectors that do not set their own.
const GENERIC_DEFAULT_ENTROPY: f64 = 3.0;

/// A detector after validation: its regex compiled, its options resolved.
#[derive(Debug)]
pub struct Detector {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub kind: String,
    pub keywords: Vec<String>,
    confirm: LazyRegex,
    pub entropy: Option<f64>,
    pub validator: Option<Validator>,
    pub generic: bool,
    pub confidence: Confidence,
    pub level: Level,
    pub span: Span,
    pub reference: Option<String>,
    /// Where the detector was defined (`embedded:aws.toml` or a user path).
    pub origin: String,
    pub syntax: DetectorSyntax,
}

/// Where, around a keyword hit, a detector's regex may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// The line holding the keyword (at most `DEFAULT_LOOKBACK` before and `MAX_LINE` after):
    /// almost every credential sits on one line, and this keeps the regex work proportional
    /// to the lines that mention a keyword rather than to the file.
    Line,
    /// Explicit byte ranges for multi-line formats (PEM blocks, kubeconfig, .netrc).
    Bytes { lookback: usize, window: usize },
}

/// A confirming regex compiled on first use: a scan usually needs only the few detectors
/// whose keywords occur, and compiling all of them would dominate start-up on small trees.
#[derive(Debug)]
struct LazyRegex {
    pattern: String,
    compiled: OnceLock<(Regex, usize)>,
}

impl LazyRegex {
    fn build(pattern: &str) -> Result<(Regex, usize), String> {
        let regex = RegexBuilder::new(pattern)
            .unicode(false)
            .size_limit(32 * 1024 * 1024)
            .build()
            .map_err(|e| format!("regex does not compile: {e}"))?;
        let group = regex
            .capture_names()
            .position(|n| n == Some("secret"))
            .ok_or_else(|| "regex has no named group `secret`".to_string())?;
        Ok((regex, group))
    }

    fn get(&self) -> &(Regex, usize) {
        self.compiled.get_or_init(|| {
            // Only embedded detectors are compiled lazily, and `tests/detectors.rs`
            // compiles every one of them, so this cannot fail on shipped data.
            LazyRegex::build(&self.pattern).expect("embedded detector regex compiles")
        })
    }
}

impl Detector {
    /// The confirming regex and the index of its `secret` group.
    pub fn regex(&self) -> &Regex {
        &self.confirm.get().0
    }

    pub fn secret_group(&self) -> usize {
        self.confirm.get().1
    }
}

/// Every detector, plus the prefilter that selects which of them to run on a buffer.
#[derive(Debug)]
pub struct DetectorSet {
    detectors: Vec<Detector>,
    prefilter: AhoCorasick,
    /// Prefilter pattern index -> detectors that listed that keyword.
    keyword_owners: Vec<Vec<u32>>,
    /// blake3 of every detector source, so caches can tell when detectors changed.
    hash: String,
}

/// One problem in one detector definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorProblem {
    pub origin: String,
    pub detector: Option<String>,
    pub message: String,
}

impl std::fmt::Display for DetectorProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detector {
            Some(id) => write!(f, "{}: detector `{}`: {}", self.origin, id, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DetectorError {
    #[error("{} problem(s) in detector definitions:\n  {}", .0.len(), join_problems(.0))]
    Invalid(Vec<DetectorProblem>),
    #[error("cannot read detector directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the keyword prefilter: {0}")]
    Prefilter(String),
}

fn join_problems(problems: &[DetectorProblem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// A detector source: where it came from and its TOML text.
pub struct DetectorSource {
    pub origin: String,
    pub text: String,
    /// Shipped with nhiscan and verified by its test suite: regexes may compile lazily.
    pub embedded: bool,
}

impl DetectorSource {
    pub fn embedded() -> Vec<DetectorSource> {
        EMBEDDED
            .iter()
            .map(|(name, text)| DetectorSource {
                origin: format!("embedded:{name}"),
                text: text.to_string(),
                embedded: true,
            })
            .collect()
    }

    /// Every `*.toml` file directly inside `dir`, in name order.
    pub fn from_dir(dir: &Path) -> Result<Vec<DetectorSource>, DetectorError> {
        let io_err = |source| DetectorError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io_err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
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
                    text,
                    embedded: false,
                })
            })
            .collect()
    }
}

impl DetectorSet {
    /// The embedded detectors only.
    pub fn builtin() -> Result<DetectorSet, DetectorError> {
        DetectorSet::compile(&DetectorSource::embedded())
    }

    /// Parse, validate and compile `sources`, reporting every problem found.
    pub fn compile(sources: &[DetectorSource]) -> Result<DetectorSet, DetectorError> {
        let mut problems = Vec::new();
        let mut detectors = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        for source in sources {
            let file: DetectorFile = match toml::from_str(&source.text) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(DetectorProblem {
                        origin: source.origin.clone(),
                        detector: None,
                        message: e.to_string().trim_end().to_string(),
                    });
                    continue;
                }
            };
            for syntax in file.detectors {
                if let Some(first) = seen.insert(syntax.id.clone(), source.origin.clone()) {
                    problems.push(DetectorProblem {
                        origin: source.origin.clone(),
                        detector: Some(syntax.id.clone()),
                        message: format!("duplicate id (first defined in {first})"),
                    });
                    continue;
                }
                match compile_one(syntax, &source.origin, source.embedded) {
                    Ok(d) => detectors.push(d),
                    Err(mut p) => problems.append(&mut p),
                }
            }
        }
        if !problems.is_empty() {
            return Err(DetectorError::Invalid(problems));
        }
        let hash = {
            let mut h = blake3::Hasher::new();
            for s in sources {
                h.update(s.origin.as_bytes());
                h.update(s.text.as_bytes());
            }
            h.finalize().to_hex()[..16].to_string()
        };
        let (prefilter, keyword_owners) = build_prefilter(&detectors)?;
        Ok(DetectorSet {
            detectors,
            prefilter,
            keyword_owners,
            hash,
        })
    }

    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    pub fn get(&self, index: u32) -> &Detector {
        &self.detectors[index as usize]
    }

    pub fn len(&self) -> usize {
        self.detectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.detectors.is_empty()
    }

    /// Compile every regex now (they are otherwise compiled on first use) and report any
    /// that fails, so `detectors check` and the test suite cover all of them.
    pub fn verify_regexes(&self) -> Vec<DetectorProblem> {
        self.detectors
            .iter()
            .filter_map(|d| {
                LazyRegex::build(&d.confirm.pattern)
                    .err()
                    .map(|message| DetectorProblem {
                        origin: d.origin.clone(),
                        detector: Some(d.id.clone()),
                        message,
                    })
            })
            .collect()
    }

    pub fn hash(&self) -> &str {
        &self.hash
    }
}

fn build_prefilter(detectors: &[Detector]) -> Result<(AhoCorasick, Vec<Vec<u32>>), DetectorError> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut patterns: Vec<String> = Vec::new();
    let mut owners: Vec<Vec<u32>> = Vec::new();
    for (i, d) in detectors.iter().enumerate() {
        let unique: BTreeSet<String> = d.keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
        for kw in unique {
            let slot = *index.entry(kw.clone()).or_insert_with(|| {
                patterns.push(kw);
                owners.push(Vec::new());
                patterns.len() - 1
            });
            owners[slot].push(i as u32);
        }
    }
    let prefilter = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&patterns)
        .map_err(|e| DetectorError::Prefilter(e.to_string()))?;
    Ok((prefilter, owners))
}

fn compile_one(
    s: DetectorSyntax,
    origin: &str,
    embedded: bool,
) -> Result<Detector, Vec<DetectorProblem>> {
    let mut problems = Vec::new();
    let mut problem = |message: String| {
        problems.push(DetectorProblem {
            origin: origin.to_string(),
            detector: Some(s.id.clone()),
            message,
        })
    };
    if !valid_id(&s.id) {
        problem("id must be `<provider>.<name>` in lowercase letters, digits and `-`".into());
    }
    if !KINDS.contains(&s.kind.as_str()) {
        problem(format!(
            "unknown kind `{}`; expected one of {}",
            s.kind,
            KINDS.join(", ")
        ));
    }
    if s.keywords.is_empty() || s.keywords.iter().any(|k| k.len() < 2) {
        problem("needs at least one keyword, each at least 2 bytes long".into());
    }
    if s.examples.is_empty() || s.negative_examples.is_empty() {
        problem("needs at least one example and one negative_example".into());
    }
    let validator = match s.validate.as_deref() {
        None => None,
        Some(name) => match Validator::from_name(name) {
            Some(v) => Some(v),
            None => {
                problem(format!(
                    "unknown validator `{name}`; expected one of {}",
                    Validator::NAMES.join(", ")
                ));
                None
            }
        },
    };
    let compiled = OnceLock::new();
    if embedded {
        if !s.regex.contains("(?P<secret>") {
            problem("regex has no named group `secret`".into());
        }
    } else {
        match LazyRegex::build(&s.regex) {
            Ok(built) => {
                let _ = compiled.set(built);
            }
            Err(message) => problem(message),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let entropy = s.entropy.or(if s.generic {
        Some(GENERIC_DEFAULT_ENTROPY)
    } else {
        None
    });
    let default_confidence = if s.generic {
        Confidence::Low
    } else {
        Confidence::Medium
    };
    Ok(Detector {
        id: s.id.clone(),
        name: s.name.clone(),
        provider: s.provider.clone(),
        kind: s.kind.clone(),
        keywords: s.keywords.clone(),
        confirm: LazyRegex {
            pattern: s.regex.clone(),
            compiled,
        },
        entropy,
        validator,
        generic: s.generic,
        confidence: s.confidence.unwrap_or(default_confidence),
        level: s.level.unwrap_or(Level::Deny),
        span: match (s.window, s.lookback) {
            (None, None) => Span::Line,
            (window, lookback) => Span::Bytes {
                lookback: lookback.unwrap_or(DEFAULT_LOOKBACK),
                window: window.unwrap_or(DEFAULT_WINDOW),
            },
        },
        reference: s.reference.clone(),
        origin: origin.to_string(),
        syntax: s,
    })
}

fn valid_id(id: &str) -> bool {
    let mut parts = id.splitn(2, '.');
    let ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    matches!((parts.next(), parts.next()), (Some(a), Some(b)) if ok(a) && ok(b))
}
