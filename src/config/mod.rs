//! `nhiscan.toml`: policy levels and thresholds, suppressions with a reason, owner rules.
//!
//! Parsed into [`RawConfig`] (serde, `deny_unknown_fields`, spans kept), then validated into
//! the settings each stage owns: [`policy::Settings`] and [`owners::Settings`]. This module
//! only parses and validates; the stages never read the file. Validation reports every
//! problem at once, each as `file:line:column: key: message`, so a CI log shows everything
//! to fix in one run.

mod precision;

pub use precision::parse_confidence;

use crate::model::{Level, Timestamp};
use crate::owners::{self, OwnerRule};
use crate::policy::{self, Suppression};
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
    review_days: Option<Spanned<i64>>,
    #[serde(default)]
    revoke_days: Option<Spanned<i64>>,
    #[serde(default)]
    broad_privileges: Option<Vec<String>>,
    #[serde(default)]
    levels: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    min_confidence: Option<Spanned<String>>,
    #[serde(default)]
    context_applies_below: Option<Spanned<String>>,
    #[serde(default)]
    confidence: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    context: BTreeMap<String, Spanned<String>>,
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

/// A validated nhiscan.toml: each stage's settings, and where they came from.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub source: Option<PathBuf>,
    pub policy: policy::Settings,
    pub owners: owners::Settings,
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
    // Every syntax and type problem first; the checks below then run on what remains, so
    // one run reports everything wrong with the file.
    let (raw, found) = crate::model::toml_recover::deserialize_all::<RawConfig>(text);
    let mut problems: Vec<String> = found
        .iter()
        .map(|p| format!("{}:{}", path.display(), p.at(text)))
        .collect();
    let Some(raw) = raw else {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        });
    };
    let at = |span: std::ops::Range<usize>| location(text, path, span.start);
    let mut config = Config {
        source: Some(path.to_path_buf()),
        ..Config::default()
    };
    if let Some(p) = raw.policy {
        let limits = &mut config.policy.thresholds;
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
            ("review_days", p.review_days, &mut limits.review_days),
            ("revoke_days", p.revoke_days, &mut limits.revoke_days),
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
        let raw_precision = precision::RawPrecision {
            min_confidence: p.min_confidence,
            context_applies_below: p.context_applies_below,
            confidence: p.confidence,
            context: p.context,
        };
        precision::apply(
            raw_precision,
            &mut config.policy.precision,
            &at,
            &mut problems,
        );
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
                    config.policy.levels.insert(code, l);
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
            config.owners.tag_keys = keys.into_inner();
        }
    }
    for (i, s) in raw.suppress.into_iter().enumerate() {
        match suppression(s, i, text, path) {
            Ok(v) => config.policy.suppressions.push(v),
            Err(mut p) => problems.append(&mut p),
        }
    }
    for (i, o) in raw.owners.into_iter().enumerate() {
        match owner_rule(o, i, text, path) {
            Ok(r) => config.owners.rules.push(r),
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
    policy::rules()
        .iter()
        .map(|r| r.code)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn parse_level(text: &str) -> Option<Level> {
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
    let (line, column) = crate::model::toml_recover::line_column(text, offset);
    format!("{}:{line}:{column}", path.display())
}

/// The commented default written by `nhiscan init`.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_init_default_states_exactly_the_built_in_defaults() {
        let parsed = parse(DEFAULT_CONFIG, Path::new("nhiscan.toml")).unwrap();
        let defaults = Config::default();
        assert_eq!(parsed.policy.thresholds, defaults.policy.thresholds);
        assert_eq!(parsed.owners.tag_keys, defaults.owners.tag_keys);
        assert_eq!(parsed.policy.precision, defaults.policy.precision);
        for rule in policy::rules() {
            assert_eq!(
                parsed.policy.levels.get(rule.code),
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
        assert_eq!(ok.policy.thresholds.stale_days, 30);
        assert_eq!(ok.policy.thresholds.rotation_days, 365);
        assert_eq!(ok.policy.thresholds.never_used_days, 7);
        assert_eq!(ok.policy.thresholds.broad_privileges, ["cluster-admin"]);
        assert_eq!(ok.owners.tag_keys, ["CostOwner"]);
    }
}
