//! The inventory data model: what every stage of nhiscan produces and consumes.
//!
//! Collectors (the file scanner today; AWS, GitHub and Kubernetes later) emit [`Identity`]
//! records; policy turns them into [`Finding`]s; reports render an [`Inventory`]. The JSON
//! form of [`Inventory`] is a contract read by CI jobs and auditors, so field names and
//! `schema_version` change only with a documented migration.

mod inventory;
mod judgement;
pub mod migrate;
pub mod provenance;
mod review;
pub mod text;
pub mod toml_recover;
mod validation;

pub use inventory::*;
pub use judgement::*;
pub use provenance::{Discovery, Encoding, Origin, Place};
pub use review::{Decision, ReviewRecord, ReviewState};
pub use validation::{LiveStatus, Validation};

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

    /// The day, `2026-11-30`: how reports, review sheets and messages show a date.
    pub fn day(&self) -> String {
        let d = self.0.date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
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

    /// A provider named at run time (a secret store a reference names).
    pub fn owned(name: String) -> Provider {
        Provider(Cow::Owned(name))
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
    /// tag | label | codeowners | repository | git-author | mapping
    pub source: String,
    pub evidence: String,
}

impl Owner {
    /// An owner inferred from who committed a secret (or from the principal a provider
    /// names for it) is a lead for a reviewer, not an accountable owner: a person, not a team, and often not the one responsible. It is
    /// shown as a suggestion and the identity stays `unowned` until a mapping or an
    /// access review confirms it.
    pub fn is_suggested(&self) -> bool {
        // `validation`: the principal a provider says a leaked token acts as.
        self.source == "git-author" || self.source == "validation"
    }

    /// `team (source)`, or `team? (suggested, source)` for a suggestion.
    pub fn label(&self) -> String {
        if self.is_suggested() {
            format!("{}? (suggested, {})", self.team, self.source)
        } else {
            format!("{} ({})", self.team, self.source)
        }
    }
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
    /// Why that confidence: `checksum verified`, `generic assignment, entropy 3.9`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What kind of place in the tree this is (source, test, docs, vendor, example).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// A value (the secret itself) or a reference to a secret held in a store.
    #[serde(default, skip_serializing_if = "ExposureKind::is_value")]
    pub kind: ExposureKind,
    /// The store and name a reference points to (`kind: reference` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<SecretReference>,
    /// Where the value was seen, typed (see [`provenance`]).
    pub origin: Origin,
}

/// What was seen at an exposure.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ExposureKind {
    /// The secret value itself, written where the code is: hard-coded.
    #[default]
    Value,
    /// A reference to a secret held in a store (`${{ secrets.X }}`, `secretKeyRef`,
    /// `{{resolve:secretsmanager:...}}`): vaulted, not leaked.
    Reference,
}

impl ExposureKind {
    pub fn is_value(&self) -> bool {
        *self == ExposureKind::Value
    }
}

/// A secret held in a store, as code refers to it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SecretReference {
    /// `github-actions`, `kubernetes`, `vault`, `aws-secrets-manager`, `aws-ssm`,
    /// `azure-key-vault`, `gcp-secret-manager`, `doppler`, `1password`, `drone`, `sops`.
    pub store: String,
    /// The secret's name or path in that store (not its value).
    pub name: String,
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
            reason: None,
            context: None,
            kind: ExposureKind::Value,
            reference: None,
            origin,
        }
    }

    pub fn at(mut self, line: u64, column: u64) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    /// The file this exposure is in, the same whichever way it was seen: a working-tree
    /// file of repository `svc` is `svc/config/.env` from the walk, and its history blob
    /// (named inside the repository, `config/.env`) is the same file, not another one.
    pub fn file_key(&self) -> String {
        let key = match &self.origin.place {
            provenance::Place::Commit {
                repository, path, ..
            } if repository != "." => format!("{}/{path}", repository.trim_end_matches('/')),
            _ => self.path.clone(),
        };
        key.strip_prefix("./").map(str::to_string).unwrap_or(key)
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
    /// Keyed hash of a GitHub token's last eight characters (what GitHub shows of a
    /// SAML-authorised credential): a found token and a listed authorisation with the same
    /// value are linked.
    pub const TOKEN_LAST_EIGHT: &str = "token_last_eight_fp";
    /// `<team>-<user>` numbers of a Slack bot or user token (not secret): two tokens with
    /// the same are the same installation's, across files.
    pub const SLACK_TEAM_AND_USER: &str = "slack_team_and_user";
    /// The account a provider names when a leaked secret acting as this identity is
    /// validated, as `<provider>:account:<id>` (a GitLab group access token's bot user:
    /// `gitlab:account:141`): a validated secret with that provider and account is linked
    /// to this identity and takes its owner.
    pub const PRINCIPAL_KEY: &str = "principal_key";
    /// A stored secret's store (`aws-secrets-manager`, `aws-ssm`), as references name it.
    pub const STORE: &str = "store";
    /// A stored secret's name in its store, what code refers to it by.
    pub const SECRET_NAME: &str = "secret_name";
    /// Whether the store rotates the secret (`true` / `false`).
    pub const ROTATION_ENABLED: &str = "rotation_enabled";
    /// Files and repositories whose code refers to a stored secret (comma-separated).
    pub const REFERENCED_FROM: &str = "referenced_from";
    /// On a reference: `found` when a listed store holds the secret, `missing` when the
    /// store was listed and does not.
    pub const STORE_MATCH: &str = "store_match";
    /// The keys identities are linked by (`related`) when they share a value.
    /// Keyed hash of an Entra client secret's first three characters (what Graph shows as
    /// its `hint`): set on a found secret, and on a listed credential only when no other
    /// credential of its tenant has the same hint, so the link is unambiguous.
    pub const AZURE_SECRET_HINT: &str = "azure_secret_hint_fp";
    pub const LINK_KEYS: &[&str] = &[TOKEN_LAST_EIGHT, SLACK_TEAM_AND_USER, AZURE_SECRET_HINT];
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
    /// Its access review, when judged with a scan-history database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Box<ReviewState>>,
    /// What its provider said when asked whether the secret is live (`--validate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Box<Validation>>,
}

impl Identity {
    /// Its owner when accountable: a suggestion (a commit's author) is none.
    pub fn accountable_owner(&self) -> Option<&Owner> {
        self.owner.as_ref().filter(|o| !o.is_suggested())
    }

    /// Give back its lists' spare room. A list read from JSON grows to 4 entries on the
    /// first: an identity with one exposure carried three unused ones (1 KB), which
    /// `merge` holding half a million identities cannot afford.
    pub fn shrink_to_fit(&mut self) {
        self.privileges.shrink_to_fit();
        self.exposures.shrink_to_fit();
        self.related.shrink_to_fit();
        self.third_parties.shrink_to_fit();
    }

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
            review: None,
            validation: None,
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

    /// A value its vendor publishes as an example wherever it was seen: not a credential,
    /// reported once per place at warn and judged by no other rule.
    pub fn is_published_example(&self) -> bool {
        !self.exposures.is_empty()
            && self
                .exposures
                .iter()
                .all(|e| e.confidence == Some(Confidence::Example))
    }

    /// A secret held in a store that code refers to by name (`${{ secrets.X }}`): every
    /// exposure is a reference, none a value.
    pub fn is_reference(&self) -> bool {
        !self.exposures.is_empty() && self.exposures.iter().all(|e| !e.kind.is_value())
    }
}
