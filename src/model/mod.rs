//! The inventory data model: what every stage of nhiscan produces and consumes.
//!
//! Collectors (the file scanner today; AWS, GitHub and Kubernetes later) emit [`Identity`]
//! records; policy turns them into [`Finding`]s; reports render an [`Inventory`]. The JSON
//! form of [`Inventory`] is a contract read by CI jobs and auditors, so field names and
//! `schema_version` change only with a documented migration.

pub mod migrate;
pub mod provenance;

pub use provenance::{Discovery, Encoding, Origin, Place};

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use time::OffsetDateTime;

/// Version of the inventory JSON layout. Bump only with a documented migration.
pub const SCHEMA_VERSION: u32 = 1;

/// A point in time, always rendered as RFC 3339 in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timestamp(#[serde(with = "time::serde::rfc3339")] pub OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(&self, later: &Timestamp) -> i64 {
        (later.0 - self.0).whole_days()
    }

    pub fn parse(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(|t| Timestamp(t.to_offset(time::UtcOffset::UTC)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self
            .0
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// Where an identity lives: the platform a collector asked (`aws`, `github`, ...) or, for a
/// found secret, where the scanner read it (`file`, `git`). A name, not a closed list: each
/// source declares its own (`collect::aws::PROVIDER`), so adding a source does not touch the
/// model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Provider(Cow<'static, str>);

impl Provider {
    /// A secret or certificate found in a working-tree file.
    pub const FILE: Provider = Provider::named("file");
    /// A secret found only in git history.
    pub const GIT: Provider = Provider::named("git");

    pub const fn named(name: &'static str) -> Provider {
        Provider(Cow::Borrowed(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lifecycle state of an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Inactive,
    Expired,
    Unknown,
}

/// Who is accountable for an identity, and how that was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub team: String,
    pub backup: Option<String>,
    /// tag | label | codeowners | git-author | mapping
    pub source: String,
    pub evidence: String,
}

/// One place where a secret value was seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Exposure {
    pub path: String,
    pub line: u64,
    pub column: u64,
    /// Commit that introduced the value (history scans only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether the value is still present in the working tree / HEAD.
    pub in_head: bool,
    /// Detector that recognised the value at this place.
    pub detector: String,
    /// Author of `commit` (history scans only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_date: Option<Timestamp>,
    /// How sure the detector is of the value at this place (a checksum that fails here
    /// lowers it); absent for collectors' own records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// Where the value was seen, typed (see [`provenance`]).
    pub origin: Origin,
}

impl Exposure {
    /// An exposure at `origin`, reported at `path` (the display form: `org/repo:path` for a
    /// clone), before history and detector facts are added.
    pub fn new(origin: Origin, path: impl Into<String>, detector: impl Into<String>) -> Self {
        Exposure {
            path: path.into(),
            line: 0,
            column: 0,
            commit: None,
            in_head: true,
            detector: detector.into(),
            author: None,
            author_email: None,
            author_date: None,
            confidence: None,
            origin,
        }
    }

    pub fn at(mut self, line: u64, column: u64) -> Self {
        self.line = line;
        self.column = column;
        self
    }
}

/// Attribute names that policy rules read; collectors set them.
pub mod attr {
    /// Hosts of OIDC providers a role trusts without a condition on the token's `sub`.
    pub const OIDC_TRUST_WITHOUT_SUBJECT: &str = "oidc_trust_without_subject";
    /// Number of active access keys on a user, set when there are two or more.
    pub const ACTIVE_ACCESS_KEYS: &str = "active_access_keys";
    /// What renews a certificate automatically (`cert-manager`): an expiry coming up is
    /// its job, an expiry passed means renewal failed.
    pub const MANAGED_BY: &str = "managed_by";
    /// RBAC bindings of a namespace's `default` ServiceAccount, which every pod that names
    /// no account runs as.
    pub const DEFAULT_ACCOUNT_BINDINGS: &str = "default_account_bindings";
    /// Pods running as a ServiceAccount; absent when pods could not be listed.
    pub const PODS: &str = "pods";
}

/// A non-human identity: a credential, an account or a certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// Stable id: provider-native id, or `secret:<fingerprint>` for a found secret.
    pub id: String,
    pub provider: Provider,
    /// Found by the scanner or reported by a collector; decides which rules apply.
    pub discovery: Discovery,
    /// access-key, token, private-key, certificate, password, ... (from the detector).
    pub kind: String,
    /// The service the credential belongs to (`aws`, `stripe`, ...), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub name: String,
    pub location: String,
    pub owner: Option<Owner>,
    pub created_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub rotated_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    /// Whole days since `created_at`, relative to the scan time.
    pub age_days: Option<i64>,
    pub status: Status,
    pub privileges: Vec<String>,
    pub exposures: Vec<Exposure>,
    pub related: Vec<String>,
    /// Keyed hash of the secret value; never the value itself.
    pub fingerprint: Option<String>,
    /// Redacted preview of the secret value (at most 4 leading and 2 trailing characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    /// Provider- or kind-specific facts (certificate subject, issuer, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Provider tags, labels and annotations, as the provider returned them; the owner
    /// resolver reads its configured keys (`Owner`, `owner`, `team`, ...) from here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The provider says the credential was never used (as opposed to "unknown", which is
    /// `last_used_at: null` with this false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_used: bool,
    /// Parties outside the owning account or organisation that can act as this identity
    /// (other AWS account ids, federated providers, GitHub Apps).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub third_parties: Vec<String>,
    /// A programmatic identity that can also sign in interactively (a console password).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub console_access: bool,
    /// First and last scan that saw this identity, from the `--history` database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
}

impl Identity {
    /// An identity with only what every source knows; the rest starts empty or unknown.
    pub fn new(
        id: impl Into<String>,
        provider: Provider,
        kind: impl Into<String>,
        name: impl Into<String>,
        location: impl Into<String>,
    ) -> Identity {
        Identity {
            id: id.into(),
            provider,
            discovery: Discovery::Collected,
            kind: kind.into(),
            service: None,
            name: name.into(),
            location: location.into(),
            owner: None,
            created_at: None,
            last_used_at: None,
            rotated_at: None,
            expires_at: None,
            age_days: None,
            status: Status::Unknown,
            privileges: Vec::new(),
            exposures: Vec::new(),
            related: Vec::new(),
            fingerprint: None,
            preview: None,
            attributes: BTreeMap::new(),
            tags: BTreeMap::new(),
            never_used: false,
            third_parties: Vec::new(),
            console_access: false,
            first_seen: None,
            last_seen: None,
        }
    }

    /// An identity for a value the scanner found, identified by what it is.
    pub fn found(
        id: impl Into<String>,
        provider: Provider,
        kind: impl Into<String>,
        name: impl Into<String>,
        location: impl Into<String>,
    ) -> Identity {
        Identity {
            discovery: Discovery::Found,
            ..Identity::new(id, provider, kind, name, location)
        }
    }

    /// True for identities a cloud or platform collector reported (not a found secret).
    pub fn is_collected(&self) -> bool {
        self.discovery == Discovery::Collected
    }
}

/// How serious a finding is, and so what it does to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        })
    }
}

/// How sure a detector is that the match is a live credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// A policy verdict about one identity (and, for leaks, one place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable policy code, e.g. `leaked-secret`.
    pub code: String,
    pub level: Level,
    pub identity: String,
    pub message: String,
    pub controls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// Commit of the place reported (history findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// What the user asked nhiscan to look at: paths, and per API source the names it was
/// given (profiles, organisations, contexts), under the source's scope key (`aws`,
/// `github`, `kubernetes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub paths: Vec<String>,
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

fn is_zero(n: &u64) -> bool {
    *n == 0
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
    /// Findings hidden by a `[[suppress]]` rule of nhiscan.toml.
    #[serde(default)]
    pub suppressed_config: u64,
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
    pub elapsed_ms: u64,
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
    pub summary: ScanSummary,
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
