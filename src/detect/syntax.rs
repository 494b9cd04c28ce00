//! Detector files as written: the serde form of `detectors/*.toml`.
//!
//! This is deliberately dumb data. Nothing here is checked beyond TOML syntax and known
//! field names; [`super::DetectorSet::compile`] validates every detector and reports all
//! problems at once, each with the file and detector id it belongs to.

use crate::model::{Confidence, Level};
use serde::{Deserialize, Serialize};

/// One `detectors/*.toml` file: `[[detector]]` tables, and `[[known_example]]` tables for
/// values their vendors publish as examples.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorFile {
    #[serde(rename = "detector", default)]
    pub detectors: Vec<DetectorSyntax>,
    #[serde(rename = "known_example", default)]
    pub known_examples: Vec<KnownExampleSyntax>,
    #[serde(default)]
    pub contextual: Vec<ContextualSyntax>,
    /// How an owner revokes a leaked credential of a provider: one `[[revoke]]` per
    /// provider, applying to every detector of it.
    #[serde(default)]
    pub revoke: Vec<RevokeSyntax>,
    /// How `--validate` asks a provider whether a found credential is live: one
    /// `[[validate]]` per endpoint, naming the detectors whose values it checks.
    #[serde(default)]
    pub validate: Vec<LiveCheckSyntax>,
    /// A provider's self-revocation call for `nhiscan revoke` (GitHub's credential
    /// revocation, Slack's `auth.revoke`, GitLab's self-revoke): the request syntax of
    /// `[[validate]]`, with `active_status` and `ok` meaning "revoked".
    #[serde(default)]
    pub revoke_api: Vec<LiveCheckSyntax>,
}

/// A provider's documented identity or introspection call, as written: one request with
/// the secret presented in `{secret}` places, and what the answer's fields mean.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveCheckSyntax {
    pub provider: String,
    /// Detector ids whose values this call checks (all of `provider`).
    pub detectors: Vec<String>,
    /// The provider's documentation of the call (https).
    pub docs: String,
    /// `http` (default: the request below) or `aws-sigv4` (AWS STS GetCallerIdentity signed
    /// with the secret and its `partner`, the access key id found beside it).
    #[serde(default)]
    pub scheme: Option<String>,
    /// For a signing scheme: the detector whose value is the other half of the credential,
    /// found within a few lines of the secret in the same file.
    #[serde(default)]
    pub partner: Option<String>,
    /// `GET` (default) or `POST`.
    #[serde(default)]
    pub method: Option<String>,
    /// The endpoint (https), `{secret}` allowed in its path or query.
    pub url: String,
    /// `Name: value` headers, `{secret}` allowed in values.
    #[serde(default)]
    pub headers: Vec<String>,
    /// HTTP Basic credentials `user:password`, `{secret}` in one of them.
    #[serde(default)]
    pub basic: Option<String>,
    /// A request body (`{secret}` allowed) and its content type.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    /// Statuses meaning "live" (default 200) and "revoked or invalid" (default 401).
    #[serde(default)]
    pub active_status: Vec<u16>,
    #[serde(default)]
    pub inactive_status: Vec<u16>,
    /// JSON pointer to a boolean the provider sets false for a dead credential even with
    /// an active status (Slack's `ok`).
    #[serde(default)]
    pub ok: Option<String>,
    /// JSON pointer to the provider's error text (the reason of an inactive answer).
    #[serde(default)]
    pub error: Option<String>,
    /// JSON pointers: who the credential acts as, and the account, workspace or
    /// organisation it belongs to.
    #[serde(default)]
    pub principal: Option<String>,
    /// What the principal is (`GitHub user`, `Slack bot`), for the owner suggestion.
    #[serde(default)]
    pub principal_kind: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    /// Where the granted scopes are: a JSON pointer (an array, or a string of them) or
    /// a response header (comma- or space-separated).
    #[serde(default)]
    pub scopes: Option<String>,
    #[serde(default)]
    pub scopes_header: Option<String>,
}

/// A provider's documented way to revoke or rotate a leaked credential.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeSyntax {
    pub provider: String,
    /// The provider's documentation of it (https).
    pub url: String,
    /// One line saying what to do.
    pub how: String,
}

/// One long-tail provider as data (see [`super::contextual`]): its names and its key's
/// shape stand for a whole detector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextualSyntax {
    pub id: String,
    pub name: String,
    pub provider: String,
    /// What the provider does (`geo`, `marketing`, ...): the report groups rows by it.
    pub category: String,
    #[serde(default = "default_contextual_kind")]
    pub kind: String,
    /// How developers name the provider, lowercase; a space stands for any separator.
    pub names: Vec<String>,
    /// The key's documented shape: literals and `[class]{n}` / `[class]{n,m}`.
    pub value: String,
    /// The provider's documentation of the key.
    pub reference: String,
    #[serde(default)]
    pub entropy: Option<f64>,
    #[serde(default)]
    pub level: Option<Level>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

fn default_contextual_kind() -> String {
    "api-key".into()
}

/// A credential-shaped value its vendor publishes in documentation or ships in an
/// emulator: matched exactly, it is reported at confidence `example`, never as a leak.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownExampleSyntax {
    /// The exact value as published.
    #[serde(default)]
    pub value: Option<String>,
    /// An AWS account id the vendor uses in examples: every access key id of it is one.
    #[serde(default)]
    pub aws_account: Option<String>,
    /// Who publishes it (`AWS`, `Microsoft`), for the finding's reason.
    pub vendor: String,
    /// Where it is published (a URL).
    pub source: String,
}

/// One detector exactly as written in TOML.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSyntax {
    /// Stable identifier, `<provider>.<what>`, e.g. `aws.access-key-id`.
    pub id: String,
    pub name: String,
    /// Service family the credential belongs to (`aws`, `stripe`, `generic`, ...).
    pub provider: String,
    /// What the credential is (`access-key`, `token`, `private-key`, ...).
    pub kind: String,
    /// Literal strings for the prefilter, matched ASCII case-insensitively. The confirming
    /// regex runs only near a keyword hit, so every match must contain one of these.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Confirming regex (byte-oriented, ASCII classes) with a named group `secret`.
    #[serde(default)]
    pub regex: String,
    /// Binary formats instead of a regex: hex bytes a file starts with (`??` for any),
    /// any of which identifies it. Examples are then hex too.
    #[serde(default)]
    pub magic: Vec<String>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Offline validator: `base62-crc32`, `jwt`, `basic-auth`, `x509`.
    #[serde(default)]
    pub validate: Option<String>,
    /// Generic detectors lose overlaps to specific ones and get strict placeholder filtering.
    #[serde(default)]
    pub generic: bool,
    #[serde(default)]
    pub confidence: Option<Confidence>,
    /// Level of the `leaked-secret` finding this detector raises (default: deny).
    #[serde(default)]
    pub level: Option<Level>,
    /// Bytes after a keyword hit in which the match must end (default 512).
    #[serde(default)]
    pub window: Option<usize>,
    /// Bytes before a keyword hit where the match may start (default 256).
    #[serde(default)]
    pub lookback: Option<usize>,
    /// Where the token format is documented.
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}
