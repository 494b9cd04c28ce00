//! Detectors: TOML data turned into one compiled, searchable set.
//!
//! `detectors/*.toml` (embedded in the binary) and a user's `--detectors DIR` are parsed into
//! [`syntax::DetectorSyntax`] (as written), then validated and compiled into a
//! [`DetectorSet`]: one Aho-Corasick prefilter over every keyword of every detector, plus each
//! detector's confirming regex, which runs only near a keyword hit. Validation reports every
//! problem at once, each naming the file and the detector.

mod compile;
pub mod contextual;
pub mod decode;
mod dfa;
mod escapes;
mod filter;
mod find;
mod layers;
mod literals;
pub mod live;
mod magic;
mod manifest;
mod names;
mod rescan;
mod revoke;
mod selftest;
mod set_hash;
mod source;
mod stages;
pub mod syntax;
pub mod validate;
pub mod verdict;
mod words;

pub use filter::shannon_entropy;
pub use find::{Candidate, Scratch};
pub use selftest::{SelfTestFailure, self_test};
pub use source::{DetectorSource, EMBEDDED, EmbeddedFile};
pub use verdict::{Reason, Rejection, Rejections};

use crate::model::{Confidence, Level};
use literals::Literals;
use regex::bytes::{Regex, RegexBuilder};
use stages::FirstStage;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use validate::Validator;

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
    "reference",
    "keystore",
    "password-hash",
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
    /// For binary formats: the bytes a file starts with (see [`magic`]); such a detector
    /// has no keywords and no regex.
    pub magic: Vec<magic::Magic>,
    /// The validator's name as written (`validator` is what it resolved to).
    pub validate: Option<String>,
    /// The examples and negative examples as written (see [`Detector::cases`]).
    pub examples: Vec<String>,
    pub negative_examples: Vec<String>,
    /// For a row of the contextual table: the row as written and its parsed shape. Such a
    /// detector loses overlaps to format detectors and wins them over generic ones.
    pub contextual: Option<Box<ContextualRow>>,
    /// How to revoke what it finds (its provider's `[[revoke]]`).
    pub revoke: Option<crate::model::Revocation>,
    /// The index of the `[[validate]]` check that asks its provider whether a value is
    /// live (`DetectorSet::live_check`).
    pub live: Option<u16>,
    /// The check whose secret this detector's values complete (an AWS access key id for
    /// its secret key): kept with `--validate` like the secrets themselves.
    pub partner_of: Option<u16>,
    /// The index of its provider's `[[revoke_api]]` call (`DetectorSet::revoke_call`).
    pub revoke_api: Option<u16>,
}

impl Detector {
    /// Whether `--validate` needs this detector's values.
    pub fn keeps_values(&self) -> bool {
        self.live.is_some() || self.partner_of.is_some()
    }

    /// The confirming regex as written (empty for a binary detector).
    pub fn pattern(&self) -> &str {
        &self.confirm.pattern
    }
}

/// A contextual row kept beside the detector it became, for its generated self-test.
#[derive(Debug)]
pub struct ContextualRow {
    pub syntax: syntax::ContextualSyntax,
    pub shape: contextual::Shape,
}

/// How strongly a detector's match identifies its provider; on overlapping matches the
/// stronger tier wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Format,
    Contextual,
    Generic,
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
    /// The examples and negative examples the self-test runs: as written, plus the cases a
    /// contextual row generates from its names and shape.
    pub fn cases(&self) -> (Vec<String>, Vec<String>) {
        let mut examples = self.examples.clone();
        let mut negatives = self.negative_examples.clone();
        if let Some(row) = &self.contextual {
            let (e, n) = contextual::generated_cases(&row.syntax, &row.shape);
            examples.extend(e);
            negatives.extend(n);
        }
        (examples, negatives)
    }

    /// The precision tier of its matches: a format (prefix, checksum) beats a provider's
    /// name next to a value of its shape, which beats a generic assignment.
    pub fn tier(&self) -> Tier {
        if self.generic {
            Tier::Generic
        } else if self.contextual.is_some() {
            Tier::Contextual
        } else {
            Tier::Format
        }
    }

    /// A reference to a secret held in a store (`kind = "reference"`): its match is the
    /// secret's name in the store, never a value.
    pub fn is_reference(&self) -> bool {
        self.kind == "reference"
    }

    /// The bytes a value is identified by: a key block written across string literals
    /// (`"MII...\n" + "..."`) is the same key as the one in a `.pem` file.
    pub fn canonical<'v>(&self, secret: &'v [u8]) -> std::borrow::Cow<'v, [u8]> {
        match self.validator {
            Some(Validator::KeyBlock) => std::borrow::Cow::Owned(validate::key_body(secret)),
            _ => std::borrow::Cow::Borrowed(secret),
        }
    }

    /// The confirming regex and the index of its `secret` group.
    pub fn regex(&self) -> &Regex {
        &self.confirm.get().0
    }

    pub fn secret_group(&self) -> usize {
        self.confirm.get().1
    }
}

/// A value its vendor publishes as an example, as loaded.
#[derive(Debug, Clone)]
pub struct KnownExample {
    pub vendor: String,
    pub source: String,
    pub origin: String,
}

/// Every detector, plus the prefilter that selects which of them to run on a buffer.
#[derive(Debug)]
pub struct DetectorSet {
    detectors: Vec<Detector>,
    /// Exact published example values -> their index in `examples`.
    known: HashMap<Box<[u8]>, u32>,
    /// AWS account ids used in examples -> their index in `examples`.
    known_accounts: HashMap<String, u32>,
    examples: Vec<KnownExample>,
    prefilter: Prefilter,
    /// blake3 of every detector source, so caches can tell when detectors changed.
    hash: String,
    /// `[[validate]]` checks, indexed by `Detector::live`.
    live_checks: Vec<live::LiveCheck>,
    /// `[[revoke_api]]` calls, indexed by `Detector::revoke_api`.
    revoke_calls: Vec<live::LiveCheck>,
    /// Detector id -> index, built on the first `by_id` (validation, revocation), never
    /// at start-up.
    by_id: OnceLock<HashMap<String, u32>>,
}

/// Which detectors to run where: one pass of `first` over a buffer, then `names` over the
/// lines where a contextual trigger hit.
#[derive(Debug)]
struct Prefilter {
    first: FirstStage,
    /// `first`'s pattern index -> detectors that listed that keyword.
    owners: Vec<Vec<u32>>,
    /// `first`'s pattern indices of base64 markers: a hit means "decode the run around me
    /// and look inside".
    base64_markers: std::ops::Range<usize>,
    /// `first`'s pattern indices of [`escapes::MARKERS`], in that order: a hit means
    /// "unescape this line and look again".
    escape_markers: std::ops::Range<usize>,
    /// `first`'s pattern indices of [`manifest::MARKERS`].
    secret_manifest_markers: std::ops::Range<usize>,
    /// `first`'s pattern indices of [`contextual::TRIGGERS`]: a hit means "look for
    /// provider names on this line".
    triggers: std::ops::Range<usize>,
    /// Provider names of contextual rows, and their owners by pattern index.
    names: Literals,
    name_owners: Vec<Vec<u32>>,
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
    /// The cause is the error's source, so a chain printer says it once.
    #[error("cannot read {}", .path.display())]
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

#[cfg(test)]
impl DetectorSet {
    /// Every detector's examples and negative examples, each followed by a blank line: a
    /// text that hits every keyword, for tests of the prefilter.
    pub(crate) fn all_cases(&self) -> String {
        let mut text = String::new();
        for i in 0..self.len() as u32 {
            let (examples, negatives) = self.get(i).cases();
            for e in examples.iter().chain(&negatives) {
                text.push_str(e);
                text.push_str("\n\n");
            }
        }
        text
    }
}

impl DetectorSet {
    /// The embedded detectors only.
    pub fn builtin() -> Result<DetectorSet, DetectorError> {
        DetectorSet::compile(&DetectorSource::embedded())
    }

    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    /// The binary-format detector whose magic the file starting with `head` has.
    pub fn sniff(&self, head: &[u8]) -> Option<u32> {
        self.detectors
            .iter()
            .position(|d| d.magic.iter().any(|m| m.matches(head)))
            .map(|i| i as u32)
    }

    /// The published example `value` is, if it is one: listed exactly, or an AWS access
    /// key id of an account the vendor uses in examples (for `aws.*` detectors).
    pub fn known_example(&self, d: &Detector, value: &[u8]) -> Option<u32> {
        if let Some(&i) = self.known.get(value) {
            return Some(i);
        }
        if d.provider == "aws" && !self.known_accounts.is_empty() {
            let account = decode::aws_account_id(value)?;
            return self.known_accounts.get(&account).copied();
        }
        None
    }

    pub fn known_examples(&self) -> &[KnownExample] {
        &self.examples
    }

    /// The words a finding shows for `reason` (never the value).
    pub fn describe(&self, reason: Reason) -> String {
        match reason {
            Reason::Checksum => "checksum verified".into(),
            Reason::ChecksumMismatch => {
                "checksum does not match: hand-edited, truncated or not the provider's".into()
            }
            Reason::Structure => "structure verified".into(),
            Reason::Malformed => {
                "the format's frame is there but its content does not parse: cut short, edited or made up".into()
            }
            Reason::Format => "provider format".into(),
            Reason::Generic { entropy_tenths } => format!(
                "generic assignment, entropy {}.{} bits per character",
                entropy_tenths / 10,
                entropy_tenths % 10
            ),
            // The source without its scheme: a report names it, it never links out.
            Reason::KnownExample(i) => match self.examples.get(i as usize) {
                Some(e) => format!(
                    "example value published by {} ({})",
                    e.vendor,
                    e.source
                        .trim_start_matches("https://")
                        .trim_start_matches("http://")
                ),
                None => "published example value".into(),
            },
            Reason::Reference => "reference to a secret store".into(),
            Reason::Context => "the provider's name next to a value of its key's shape".into(),
        }
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
            .filter(|d| d.magic.is_empty())
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

    /// The detector with this id.
    pub fn by_id(&self, id: &str) -> Option<&Detector> {
        let index = self.by_id.get_or_init(|| {
            (0..self.detectors.len() as u32)
                .map(|i| (self.detectors[i as usize].id.clone(), i))
                .collect()
        });
        index.get(id).map(|&i| self.get(i))
    }
}
