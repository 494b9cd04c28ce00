//! `nhiscan.toml`: policy levels and thresholds, and suppressions with a reason.
//!
//! Parsed into [`RawConfig`] (serde, `deny_unknown_fields`, spans kept), then validated into
//! [`Config`]. Validation reports every problem at once, each as `file:line:column: key:
//! message`, so a CI log shows everything to fix in one run.

use crate::model::{Level, Timestamp};
use crate::policy;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const CONFIG_FILE: &str = "nhiscan.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    policy: Option<RawPolicy>,
    #[serde(default)]
    suppress: Vec<RawSuppression>,
    #[serde(default)]
    owners: Vec<RawOwnerRule>,
    #[serde(default)]
    ownership: Option<RawOwnership>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOwnership {
    #[serde(default)]
    tag_keys: Option<Spanned<Vec<String>>>,
}

/// Tag, label and annotation keys read for an owner, in priority order (case-insensitive).
pub const DEFAULT_TAG_KEYS: &[&str] = &["owner", "team", "app.kubernetes.io/part-of"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOwnerRule {
    team: Spanned<String>,
    #[serde(default)]
    backup: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    path: Option<Spanned<String>>,
    #[serde(default)]
    name: Option<Spanned<String>>,
}

/// An `[[owners]]` rule: identities matching every given selector belong to `team`.
#[derive(Debug, Clone)]
pub struct OwnerRule {
    pub team: String,
    pub backup: Option<String>,
    pub id: Option<String>,
    pub kind: Option<String>,
    /// Matches the identity's provider (`file`, `git`, `aws`...) or service (`stripe`...).
    pub provider: Option<String>,
    pub path: Option<globset::GlobMatcher>,
    pub name: Option<regex::Regex>,
    pub origin: String,
}

impl OwnerRule {
    pub fn matches(&self, i: &crate::model::Identity) -> bool {
        self.id.as_ref().is_none_or(|id| *id == i.id)
            && self.kind.as_ref().is_none_or(|k| *k == i.kind)
            && self
                .provider
                .as_ref()
                .is_none_or(|p| *p == i.provider.to_string() || i.service.as_ref() == Some(p))
            && self
                .path
                .as_ref()
                .is_none_or(|g| i.exposures.iter().any(|e| g.is_match(&e.path)))
            && self.name.as_ref().is_none_or(|r| r.is_match(&i.name))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    expiring_soon_days: Option<Spanned<i64>>,
    #[serde(default)]
    stale_days: Option<Spanned<i64>>,
    #[serde(default)]
    rotation_days: Option<Spanned<i64>>,
    #[serde(default)]
    never_used_days: Option<Spanned<i64>>,
    #[serde(default)]
    broad_privileges: Option<Vec<String>>,
    #[serde(default)]
    levels: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppression {
    code: Spanned<String>,
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default)]
    path: Option<Spanned<String>>,
    #[serde(default)]
    reason: Option<Spanned<String>>,
    #[serde(default)]
    expires: Option<Spanned<String>>,
}

/// One suppression rule: findings with `code` matching every given selector are not
/// reported, for `reason`, until `expires`.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub code: String,
    pub identity: Option<String>,
    pub fingerprint: Option<String>,
    pub path: Option<globset::GlobMatcher>,
    pub reason: String,
    pub expires: Option<Timestamp>,
    /// `file:line` of the rule, for the expired-suppression finding.
    pub origin: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub source: Option<PathBuf>,
    pub thresholds: policy::Thresholds,
    /// Keys whose tag/label value names an identity's owner, in priority order.
    pub tag_keys: Vec<String>,
    pub levels: BTreeMap<String, Level>,
    pub suppressions: Vec<Suppression>,
    pub owners: Vec<OwnerRule>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: None,
            thresholds: policy::Thresholds::default(),
            tag_keys: DEFAULT_TAG_KEYS.iter().map(|k| k.to_string()).collect(),
            levels: BTreeMap::new(),
            suppressions: Vec::new(),
            owners: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} problem(s) in {}:\n  {}", .problems.len(), .path.display(), .problems.join("\n  "))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
}

/// `FILE` when given, else `nhiscan.toml` in `root` if it exists, else defaults.
pub fn load(explicit: Option<&Path>, root: &Path) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let candidate = root.join(CONFIG_FILE);
            if !candidate.is_file() {
                return Ok(Config::default());
            }
            candidate
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    parse(&text, &path)
}

/// Parse and validate `text` (from `path`, used in messages).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems: vec![syntax_problem(text, path, &e)],
    })?;
    let mut problems = Vec::new();
    let at = |span: std::ops::Range<usize>| location(text, path, span.start);
    let mut config = Config {
        source: Some(path.to_path_buf()),
        ..Config::default()
    };
    if let Some(p) = raw.policy {
        let limits = &mut config.thresholds;
        for (key, value, slot) in [
            (
                "expiring_soon_days",
                p.expiring_soon_days,
                &mut limits.expiring_soon_days,
            ),
            ("stale_days", p.stale_days, &mut limits.stale_days),
            ("rotation_days", p.rotation_days, &mut limits.rotation_days),
            (
                "never_used_days",
                p.never_used_days,
                &mut limits.never_used_days,
            ),
        ] {
            let Some(days) = value else { continue };
            if *days.get_ref() < 0 {
                problems.push(format!(
                    "{}: policy.{key}: must be 0 or more",
                    at(days.span())
                ));
            } else {
                *slot = *days.get_ref();
            }
        }
        if let Some(list) = p.broad_privileges {
            limits.broad_privileges = list;
        }
        for (code, level) in p.levels {
            if policy::rule(&code).is_none() {
                problems.push(format!(
                    "{}: policy.levels.{code}: unknown policy code; known codes: {}",
                    at(level.span()),
                    known_codes()
                ));
                continue;
            }
            match parse_level(level.get_ref()) {
                Some(l) => {
                    config.levels.insert(code, l);
                }
                None => problems.push(format!(
                    "{}: policy.levels.{code}: `{}` is not a level; use allow, warn or deny",
                    at(level.span()),
                    level.get_ref()
                )),
            }
        }
    }
    if let Some(keys) = raw.ownership.and_then(|o| o.tag_keys) {
        if keys.get_ref().iter().any(|k| k.trim().is_empty()) {
            problems.push(format!(
                "{}: ownership.tag_keys: keys must not be empty",
                at(keys.span())
            ));
        } else {
            config.tag_keys = keys.into_inner();
        }
    }
    for (i, s) in raw.suppress.into_iter().enumerate() {
        match suppression(s, i, text, path) {
            Ok(v) => config.suppressions.push(v),
            Err(mut p) => problems.append(&mut p),
        }
    }
    for (i, o) in raw.owners.into_iter().enumerate() {
        match owner_rule(o, i, text, path) {
            Ok(r) => config.owners.push(r),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }
}

fn suppression(
    s: RawSuppression,
    index: usize,
    text: &str,
    path: &Path,
) -> Result<Suppression, Vec<String>> {
    let at = |span: std::ops::Range<usize>| location(text, path, span.start);
    let key = |field: &str| format!("suppress[{index}].{field}");
    let mut problems = Vec::new();
    let origin = at(s.code.span());
    if policy::rule(s.code.get_ref()).is_none() {
        problems.push(format!(
            "{origin}: {}: unknown policy code `{}`; known codes: {}",
            key("code"),
            s.code.get_ref(),
            known_codes()
        ));
    }
    let reason = match &s.reason {
        Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().clone(),
        Some(r) => {
            problems.push(format!(
                "{}: {}: must say why the finding is accepted",
                at(r.span()),
                key("reason")
            ));
            String::new()
        }
        None => {
            problems.push(format!(
                "{origin}: {}: missing; every suppression needs a reason",
                key("reason")
            ));
            String::new()
        }
    };
    let path_glob = match &s.path {
        Some(p) => match globset::Glob::new(p.get_ref()) {
            Ok(g) => Some(g.compile_matcher()),
            Err(e) => {
                problems.push(format!("{}: {}: bad glob: {e}", at(p.span()), key("path")));
                None
            }
        },
        None => None,
    };
    if s.identity.is_none() && s.fingerprint.is_none() && s.path.is_none() {
        problems.push(format!("{origin}: suppress[{index}]: give identity, fingerprint or path; a code alone would hide every such finding"));
    }
    let expires = match &s.expires {
        Some(e) => match parse_date(e.get_ref()) {
            Some(t) => Some(t),
            None => {
                problems.push(format!(
                    "{}: {}: `{}` is not a date; use YYYY-MM-DD",
                    at(e.span()),
                    key("expires"),
                    e.get_ref()
                ));
                None
            }
        },
        None => None,
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Suppression {
        code: s.code.into_inner(),
        identity: s.identity,
        fingerprint: s.fingerprint,
        path: path_glob,
        reason,
        expires,
        origin,
    })
}

fn owner_rule(
    o: RawOwnerRule,
    index: usize,
    text: &str,
    path: &Path,
) -> Result<OwnerRule, Vec<String>> {
    let at = |span: std::ops::Range<usize>| location(text, path, span.start);
    let origin = at(o.team.span());
    let mut problems = Vec::new();
    if o.team.get_ref().trim().is_empty() {
        problems.push(format!("{origin}: owners[{index}].team: must name a team"));
    }
    let glob = match &o.path {
        Some(p) => match globset::Glob::new(p.get_ref()) {
            Ok(g) => Some(g.compile_matcher()),
            Err(e) => {
                problems.push(format!(
                    "{}: owners[{index}].path: bad glob: {e}",
                    at(p.span())
                ));
                None
            }
        },
        None => None,
    };
    let name = match &o.name {
        Some(n) => match regex::Regex::new(n.get_ref()) {
            Ok(r) => Some(r),
            Err(e) => {
                problems.push(format!(
                    "{}: owners[{index}].name: bad regex: {e}",
                    at(n.span())
                ));
                None
            }
        },
        None => None,
    };
    if o.id.is_none()
        && o.kind.is_none()
        && o.provider.is_none()
        && o.path.is_none()
        && o.name.is_none()
    {
        problems.push(format!(
            "{origin}: owners[{index}]: give at least one of id, kind, provider, path, name"
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(OwnerRule {
        team: o.team.into_inner(),
        backup: o.backup,
        id: o.id,
        kind: o.kind,
        provider: o.provider,
        path: glob,
        name,
        origin,
    })
}

fn known_codes() -> String {
    policy::RULES
        .iter()
        .map(|r| r.code)
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_level(text: &str) -> Option<Level> {
    match text {
        "allow" => Some(Level::Allow),
        "warn" => Some(Level::Warn),
        "deny" => Some(Level::Deny),
        _ => None,
    }
}

fn parse_date(text: &str) -> Option<Timestamp> {
    Timestamp::parse(&format!("{text}T00:00:00Z"))
        .ok()
        .or_else(|| Timestamp::parse(text).ok())
}

/// `file:line:column` of a byte offset.
fn location(text: &str, path: &Path, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{}:{line}:{column}", path.display())
}

fn syntax_problem(text: &str, path: &Path, e: &toml::de::Error) -> String {
    let message = e.message().to_string();
    match e.span() {
        Some(span) => format!("{}: {message}", location(text, path, span.start)),
        None => format!("{}: {message}", path.display()),
    }
}

/// The commented default written by `nhiscan init`.
pub const DEFAULT_CONFIG: &str = r#"# nhiscan.toml: policy for `nhiscan scan`. Found at the root of the scanned path, or
# passed with --config FILE. Every problem in this file is reported at once, with its line.

[policy]
# A certificate or credential expiring within this many days is `expiring-soon`.
expiring_soon_days = 30
# A collected identity not used for more than this many days is `stale`.
stale_days = 90
# A collected credential older than this (since creation or last rotation) is
# `rotation-overdue`.
rotation_days = 90
# Created more than this many days ago and never used: `never-used`.
never_used_days = 30
# Holding any of these privileges makes an identity `overprivileged`.
broad_privileges = [
  "AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "*:*", "iam:*", "iam:PassRole",
  "cluster-admin", "k8s:*", "k8s:secrets:read", "k8s:impersonate", "k8s:escalate", "k8s:bind",
  "k8s:pods:create", "k8s:serviceaccounts/token:create", "github:admin",
]

# Level of each finding code: allow (not reported), warn (reported, exit 0) or
# deny (reported, exit 1).
[policy.levels]
leaked-secret = "deny"
secret-in-history = "deny"
secret-reused = "warn"
unowned = "warn"
stale = "warn"
never-used = "warn"
rotation-overdue = "warn"
long-lived = "warn"
expired = "warn"
expiring-soon = "warn"
overprivileged = "warn"
third-party-access = "warn"
human-use = "warn"
insecure-oidc-trust = "deny"
multiple-active-keys = "warn"
default-service-account-bound = "warn"
unused-service-account = "warn"
suppression-expired = "warn"

# Provider tags, labels and annotations naming an owner, in priority order
# (matched case-insensitively: `Owner` and `owner` are the same key).
[ownership]
tag_keys = ["owner", "team", "app.kubernetes.io/part-of"]

# Owners, first matching rule wins; then tags/labels (for Kubernetes objects, then their
# namespace's labels), then CODEOWNERS, then the owner of a repository cloned with
# --github-clone, then the author of the commit that introduced a secret.
# Selectors: id, kind, provider (or service), path (glob), name (regex).
#
# [[owners]]
# team = "payments"
# backup = "sre"
# path = "services/payments/**"

# Accepted findings. Each needs a code, at least one of identity / fingerprint / path
# (a glob), and a reason; `expires` (YYYY-MM-DD) makes it lapse, after which the finding
# is reported again together with a `suppression-expired` finding.
#
# [[suppress]]
# code = "leaked-secret"
# path = "docs/examples/**"
# reason = "documentation placeholders, verified not to be live keys (SEC-1234)"
# expires = "2027-06-30"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_init_default_states_exactly_the_built_in_defaults() {
        let parsed = parse(DEFAULT_CONFIG, Path::new("nhiscan.toml")).unwrap();
        let defaults = Config::default();
        assert_eq!(parsed.thresholds, defaults.thresholds);
        assert_eq!(parsed.tag_keys, defaults.tag_keys);
        for rule in policy::RULES {
            assert_eq!(
                parsed.levels.get(rule.code),
                Some(&rule.default_level),
                "nhiscan init should list {} at its default level",
                rule.code
            );
        }
    }

    #[test]
    fn thresholds_and_tag_keys_are_read_and_checked() {
        let text = "[policy]\nstale_days = 30\nrotation_days = 365\nnever_used_days = 7\nbroad_privileges = [\"cluster-admin\"]\n\n[ownership]\ntag_keys = [\"CostOwner\", \"\"]\n";
        let err = parse(text, Path::new("n.toml")).unwrap_err().to_string();
        assert!(
            err.contains("n.toml:8:12: ownership.tag_keys: keys must not be empty"),
            "{err}"
        );
        let ok = parse(&text.replace(", \"\"", ""), Path::new("n.toml")).unwrap();
        assert_eq!(ok.thresholds.stale_days, 30);
        assert_eq!(ok.thresholds.rotation_days, 365);
        assert_eq!(ok.thresholds.never_used_days, 7);
        assert_eq!(ok.thresholds.broad_privileges, ["cluster-admin"]);
        assert_eq!(ok.tag_keys, ["CostOwner"]);
    }
}
