//! The whole judged inventory, the JSON contract CI jobs and auditors read: tool, scope,
//! sources and their outcome, identities, findings, the detectors they name, storage, and
//! the counters that say how complete the scan was.

use super::{Finding, Identity, Level, Timestamp, migrate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// Hash of the detector files the scan compiled (built-in and `--detectors`), so two
    /// scans can be told to have looked for the same things.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector_set: Option<String>,
    /// Id of the fingerprint key (`NHISCAN_FINGERPRINT_KEY`), not the key: inventories
    /// fingerprinted with different keys cannot be merged or compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint_key: Option<String>,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            detector_set: None,
            fingerprint_key: None,
        }
    }
}

/// What the user asked nhiscan to look at: paths, and per API source the names it was
/// given (profiles, organisations, contexts), under the source's scope key (`aws`,
/// `github`, `kubernetes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub paths: Vec<String>,
    /// The directory the scanned files' places are relative to in a repository (SARIF's
    /// `%SRCROOT%`): the git work tree holding the first scanned path, or the working
    /// directory outside one. Absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_root: Option<String>,
    /// The directory relative `paths` were given from. Absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    #[serde(flatten)]
    pub sources: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceState {
    Ok,
    Partial,
    Failed,
}

/// Outcome of one source (collector) in this scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStatus {
    pub id: String,
    pub status: SourceState,
    pub items: u64,
    pub errors: Vec<String>,
    /// Things the user should know that do not make the source incomplete
    /// (a shallow clone's truncated history, submodules not followed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// API calls a collector made (0 for local sources).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub api_calls: u64,
    /// Wall time of the source, in milliseconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub elapsed_ms: u64,
}

/// What `--validate` did: calls per host (every attempt, retries included), answers taken
/// from the cache, and outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationSummary {
    pub calls: BTreeMap<String, u64>,
    pub cached: u64,
    pub active: u64,
    pub inactive: u64,
    pub unknown: u64,
    pub error: u64,
    /// Secrets of a checkable provider whose value this run did not hold (found only in
    /// blobs `--cache` skipped, or over the limit of values kept).
    pub not_held: u64,
}

impl ValidationSummary {
    /// Another run's validation added to this one (shards of one scan).
    pub fn add(&mut self, other: &ValidationSummary) {
        for (host, n) in &other.calls {
            *self.calls.entry(host.clone()).or_default() += n;
        }
        self.cached += other.cached;
        self.active += other.active;
        self.inactive += other.inactive;
        self.unknown += other.unknown;
        self.error += other.error;
        self.not_held += other.not_held;
    }

    /// `3 calls (api.github.com 2, slack.com 1), 1 from cache`.
    pub fn calls_line(&self) -> String {
        let total: u64 = self.calls.values().sum();
        let hosts: Vec<String> = self.calls.iter().map(|(h, n)| format!("{h} {n}")).collect();
        let mut line = format!("{total} call{}", if total == 1 { "" } else { "s" });
        if !hosts.is_empty() {
            line.push_str(&format!(" ({})", hosts.join(", ")));
        }
        line.push_str(&format!(", {} from cache", self.cached));
        line
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ScanSummary {
    /// One reported finding in the deny and warn counts.
    pub fn count(&mut self, f: &Finding) {
        match f.level {
            Level::Deny => self.findings_deny += 1,
            Level::Warn => self.findings_warn += 1,
            Level::Allow => {}
        }
    }
}

/// Counters a user needs to judge how complete the file scan was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
    pub errors: u64,
    pub suppressed_inline: u64,
    pub suppressed_baseline: u64,
    /// Baseline entries this scan no longer finds (`code` of `first_path` (`preview`)):
    /// accepted secrets that were removed, to be dropped from the baseline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline_stale: Vec<String>,
    /// Findings hidden by a `[[suppress]]` rule of nhiscan.toml.
    #[serde(default)]
    pub suppressed_config: u64,
    /// Candidates the detectors matched and then rejected, by reason (`code`,
    /// `placeholder`, `reference`, `hash`, ...): nothing is dropped without being counted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rejected: BTreeMap<String, u64>,
    /// Findings below `--min-confidence` (or `[policy] min_confidence`), not reported.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub below_min_confidence: u64,
    pub findings_deny: u64,
    pub findings_warn: u64,
    pub detectors: u64,
    /// History: commits walked, distinct blobs scanned (or taken from the cache), bytes read.
    #[serde(default)]
    pub commits_scanned: u64,
    #[serde(default)]
    pub blobs_scanned: u64,
    #[serde(default)]
    pub blobs_cached: u64,
    #[serde(default)]
    pub history_bytes_scanned: u64,
    /// History blobs not searched: binary, or over `--max-file-size`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blobs_skipped_binary: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blobs_skipped_too_large: u64,
    /// FIFOs, sockets and devices met while walking (not files; never opened).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_special: u64,
    pub elapsed_ms: u64,
    /// With `--validate`: the calls made and what they found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationSummary>,
}

/// The whole judged inventory: the JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub generated_at: Timestamp,
    pub scope: Scope,
    pub sources: Vec<SourceStatus>,
    pub identities: Vec<Identity>,
    pub findings: Vec<Finding>,
    /// Every detector an exposure names, with what later stages and reports need to know
    /// about it, so a saved inventory renders without the detector files (a user's own
    /// detectors included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detectors: Vec<DetectorInfo>,
    /// Vaulted vs hard-coded secrets per repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storage: Vec<RepositoryStorage>,
    pub summary: ScanSummary,
}

/// Per repository (or scanned tree): secrets its code refers to in a store, and secrets
/// it carries as values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryStorage {
    pub repository: String,
    /// Distinct secrets referenced in a store (`${{ secrets.X }}`, `secretKeyRef`, ...).
    pub vaulted: u64,
    /// Distinct secret values written in files or commits (published examples excluded).
    pub hard_coded: u64,
    /// Vaulted secrets per store (`github-actions`, `kubernetes`, `vault`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stores: BTreeMap<String, u64>,
}

/// What the inventory records about a detector that found something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectorInfo {
    pub id: String,
    pub name: String,
    /// The service whose credential it recognises (`stripe`, `x509`).
    pub service: String,
    pub kind: String,
    /// Level of a finding about a value it found where it should not be.
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Where it was defined (`embedded:aws.toml` or a user's file).
    pub origin: String,
    /// How its owner revokes a leaked value, from the provider's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<Revocation>,
}

/// How to revoke a leaked credential: the provider's page and one line of what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub url: String,
    pub how: String,
}

impl DetectorInfo {
    /// A certificate is public material: where it lies is no leak.
    pub fn finds_public_material(&self) -> bool {
        self.kind == "certificate"
    }
}

impl Inventory {
    /// Read an inventory written by this or an earlier nhiscan (see [`migrate`]).
    /// An error names the line and column of the first problem in `text`.
    pub fn from_json(text: &str) -> Result<Inventory, serde_json::Error> {
        let current = match serde_json::from_str::<Inventory>(text) {
            Ok(inventory) => return Ok(inventory),
            Err(e) => e,
        };
        let mut value: serde_json::Value = serde_json::from_str(text)?;
        migrate::upgrade(&mut value);
        // Still wrong after the upgrade: the located error of the text as written says more
        // than one about the upgraded value.
        serde_json::from_value(value).map_err(|_| current)
    }

    /// The recorded facts about detector `id`, if an exposure named it.
    pub fn detector(&self, id: &str) -> Option<&DetectorInfo> {
        self.detectors.iter().find(|d| d.id == id)
    }

    pub fn has_deny(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Deny)
    }

    /// True when some requested source did not answer in full.
    pub fn is_incomplete(&self) -> bool {
        self.sources.iter().any(|s| s.status != SourceState::Ok)
    }
}
