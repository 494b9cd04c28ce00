//! Policy: which facts about the inventory are findings, how serious, and which controls
//! they evidence.
//!
//! Every rule ([`rules`]) has a stable code, a description, a default level and the
//! controls it maps to. Judging is a pure function over the merged inventory and the raw
//! secret matches: [`judge`] applies the rules with the configured [`Thresholds`], then
//! [`apply_config`] applies `nhiscan.toml` levels and suppressions.

mod access;
mod lifecycle;
pub mod rules;
mod secrets;

pub use rules::*;

use crate::baseline::Baseline;
use crate::detect::DetectorSet;
use crate::model::{Finding, Identity, Level, Timestamp};
use crate::scan::SecretMatch;

pub const EXPIRING_SOON_DAYS: i64 = 30;
pub const STALE_DAYS: i64 = 90;
pub const ROTATION_DAYS: i64 = 90;
pub const NEVER_USED_DAYS: i64 = 30;

/// Privileges that make an identity `overprivileged` unless `[policy] broad_privileges`
/// says otherwise. Collectors summarise grants into these names.
pub const BROAD_PRIVILEGES: &[&str] = &[
    "AdministratorAccess",
    "PowerUserAccess",
    "IAMFullAccess",
    "*:*",
    "iam:*",
    "iam:PassRole",
    "cluster-admin",
    "k8s:*",
    "k8s:secrets:read",
    "k8s:impersonate",
    "k8s:escalate",
    "k8s:bind",
    "k8s:pods:create",
    "k8s:serviceaccounts/token:create",
    "github:admin",
];

/// The numbers and lists the rules compare against; `[policy]` in nhiscan.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    pub expiring_soon_days: i64,
    pub stale_days: i64,
    pub rotation_days: i64,
    pub never_used_days: i64,
    pub broad_privileges: Vec<String>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            expiring_soon_days: EXPIRING_SOON_DAYS,
            stale_days: STALE_DAYS,
            rotation_days: ROTATION_DAYS,
            never_used_days: NEVER_USED_DAYS,
            broad_privileges: BROAD_PRIVILEGES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Counts of findings a user chose not to see, for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Suppressed {
    pub baseline: u64,
}

/// Judge the merged inventory: one `leaked-secret` per place a secret was found, then every
/// identity rule.
pub fn judge(
    set: &DetectorSet,
    matches: &[SecretMatch],
    identities: &[Identity],
    baseline: Option<&Baseline>,
    now: Timestamp,
    limits: &Thresholds,
) -> (Vec<Finding>, Suppressed) {
    let mut suppressed = Suppressed::default();
    let mut findings =
        secrets::leaked_in_files(set, matches, identities, baseline, now, &mut suppressed);
    for identity in identities {
        secrets::history(set, identity, baseline, &mut suppressed, &mut findings);
        findings.extend(secrets::reused(identity, baseline));
        findings.extend(access::unowned(identity));
        findings.extend(lifecycle::expiry(identity, now, limits));
        findings.extend(lifecycle::stale(identity, now, limits));
        findings.extend(lifecycle::never_used(identity, now, limits));
        findings.extend(lifecycle::rotation_overdue(identity, now, limits));
        findings.extend(lifecycle::long_lived(identity));
        findings.extend(access::overprivileged(identity, limits));
        findings.extend(access::third_party(identity));
        findings.extend(access::human_use(identity));
        findings.extend(access::insecure_oidc_trust(identity));
        findings.extend(access::multiple_active_keys(identity));
        findings.extend(access::default_account_bound(identity));
        findings.extend(access::unused_account(identity));
    }
    (findings, suppressed)
}

fn controls(rule: &Rule) -> Vec<String> {
    rule.controls.iter().map(|c| c.to_string()).collect()
}

/// A finding about a whole identity, located at its first exposure when it has one.
fn about(rule: &Rule, identity: &Identity, message: String) -> Finding {
    let first = identity.exposures.first();
    Finding {
        code: rule.code.into(),
        level: rule.default_level,
        identity: identity.id.clone(),
        message,
        controls: controls(rule),
        path: first.map(|e| e.path.clone()),
        line: first.map(|e| e.line),
        column: None,
        commit: first.and_then(|e| e.commit.clone()),
        detector: first.map(|e| e.detector.clone()),
        kind: Some(identity.kind.clone()),
        preview: identity.preview.clone(),
        fingerprint: identity.fingerprint.clone(),
        confidence: None,
    }
}

/// "3 days ago", "today", "in 5 days": how a message says a distance in time.
fn days_phrase(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "1 day ago".into(),
        d if d > 0 => format!("{d} days ago"),
        -1 => "in 1 day".into(),
        d => format!("in {} days", -d),
    }
}
/// Apply `nhiscan.toml`: suppressions (an expired one is reported and no longer hides
/// anything) and per-code levels (`allow` removes the finding). Returns the findings kept
/// and how many a suppression hid.
pub fn apply_config(
    findings: Vec<Finding>,
    config: &crate::config::Config,
    now: Timestamp,
) -> (Vec<Finding>, u64) {
    let mut hidden = 0;
    let mut expired_rules: Vec<&crate::config::Suppression> = Vec::new();
    let mut kept = Vec::with_capacity(findings.len());
    for mut f in findings {
        let rule = config
            .suppressions
            .iter()
            .find(|s| suppression_matches(s, &f));
        match rule {
            Some(s) if s.expires.is_some_and(|e| e < now) => {
                // Expired: the finding is reported again, and the rule once.
                let seen = expired_rules.iter().any(|r| r.origin == s.origin);
                expired_rules.extend((!seen).then_some(s));
            }
            Some(_) => {
                hidden += 1;
                continue;
            }
            None => {}
        }
        if let Some(&level) = config.levels.get(&f.code) {
            f.level = level;
        }
        if f.level != Level::Allow {
            kept.push(f);
        }
    }
    for s in expired_rules {
        let level = config
            .levels
            .get(SUPPRESSION_EXPIRED.code)
            .copied()
            .unwrap_or(SUPPRESSION_EXPIRED.default_level);
        if level == Level::Allow {
            continue;
        }
        kept.push(Finding {
            code: SUPPRESSION_EXPIRED.code.into(),
            level,
            identity: s.identity.clone().unwrap_or_default(),
            message: format!(
                "suppression of {} at {} expired on {} (reason was: {}); its findings are reported again",
                s.code,
                s.origin,
                s.expires.map(|e| e.to_string()).unwrap_or_default(),
                s.reason
            ),
            controls: controls(&SUPPRESSION_EXPIRED),
            path: Some(s.origin.clone()),
            line: None,
            column: None,
            commit: None,
            detector: None,
            kind: None,
            preview: None,
            fingerprint: s.fingerprint.clone(),
            confidence: None,
        });
    }
    (kept, hidden)
}

fn suppression_matches(s: &crate::config::Suppression, f: &Finding) -> bool {
    s.code == f.code
        && s.identity.as_ref().is_none_or(|i| *i == f.identity)
        && s.fingerprint
            .as_ref()
            .is_none_or(|fp| f.fingerprint.as_ref() == Some(fp))
        && s.path
            .as_ref()
            .is_none_or(|g| f.path.as_ref().is_some_and(|p| g.is_match(p)))
}

#[cfg(test)]
mod tests;
