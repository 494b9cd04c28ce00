//! Policy: which facts about the inventory are findings, how serious, and which controls
//! they evidence.
//!
//! Every rule has a stable code (CI configurations and suppressions refer to it), a
//! description, a default level and the controls it maps to. Rules are pure functions over
//! the inventory and scan results.

use crate::baseline::Baseline;
use crate::detect::DetectorSet;
use crate::model::{Finding, Identity, Level, Timestamp};
use crate::scan::SecretMatch;

/// A policy rule's fixed description.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub code: &'static str,
    pub description: &'static str,
    pub default_level: Level,
    pub controls: &'static [&'static str],
}

pub const LEAKED_SECRET: Rule = Rule {
    code: "leaked-secret",
    description: "A credential's secret value is present in a scanned file; anyone who can read the file can use it.",
    default_level: Level::Deny,
    controls: &["OWASP-NHI2", "SOC2-CC6.1", "NIST-PR.AA-01"],
};

pub const SECRET_IN_HISTORY: Rule = Rule {
    code: "secret-in-history",
    description: "A secret was removed from the current tree but is still in git history: every clone still has it. Rotate it; rewriting history does not reach existing clones.",
    default_level: Level::Deny,
    controls: &["OWASP-NHI2", "SOC2-CC6.1", "NIST-PR.AA-01"],
};

pub const SECRET_REUSED: Rule = Rule {
    code: "secret-reused",
    description: "The same secret value appears in more than one file; one credential serves several places and cannot be rotated or revoked independently.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI9", "SOC2-CC6.1"],
};

pub const EXPIRED: Rule = Rule {
    code: "expired",
    description: "A certificate or credential is past its expiry date.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.2"],
};

pub const EXPIRING_SOON: Rule = Rule {
    code: "expiring-soon",
    description: "A certificate or credential expires within 30 days.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.2"],
};

pub const UNOWNED: Rule = Rule {
    code: "unowned",
    description: "No owner could be determined (no [[owners]] rule, tag, CODEOWNERS entry or commit author): nobody will rotate or revoke it.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2"],
};

pub const SUPPRESSION_EXPIRED: Rule = Rule {
    code: "suppression-expired",
    description: "A suppression in nhiscan.toml is past its expiry date: the findings it covered are reported again until it is renewed (with a reason) or removed.",
    default_level: Level::Warn,
    controls: &["SOC2-CC6.1"],
};

/// Every rule, for documentation and SARIF rule metadata.
pub const RULES: &[Rule] = &[
    UNOWNED,
    SUPPRESSION_EXPIRED,
    LEAKED_SECRET,
    SECRET_IN_HISTORY,
    SECRET_REUSED,
    EXPIRED,
    EXPIRING_SOON,
];

pub const EXPIRING_SOON_DAYS: i64 = 30;

pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// Counts of findings a user chose not to see, for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Suppressed {
    pub baseline: u64,
}

/// Judge a file scan: one `leaked-secret` per exposure, reuse, and certificate expiry.
pub fn judge(
    set: &DetectorSet,
    secrets: &[SecretMatch],
    identities: &[Identity],
    baseline: Option<&Baseline>,
    now: Timestamp,
    expiring_soon_days: i64,
) -> (Vec<Finding>, Suppressed) {
    let mut suppressed = Suppressed::default();
    let mut findings = Vec::new();
    for m in secrets {
        let d = set.get(m.detector);
        if baseline.is_some_and(|b| b.contains(&d.id, &m.fingerprint)) {
            suppressed.baseline += 1;
            continue;
        }
        findings.push(Finding {
            code: LEAKED_SECRET.code.into(),
            level: d.level,
            identity: crate::inventory::secret_identity_id(&m.fingerprint),
            message: format!("{} found in {}:{}", d.name, m.path, m.line),
            controls: controls(&LEAKED_SECRET),
            path: Some(m.path.clone()),
            line: Some(m.line),
            column: Some(m.column),
            commit: None,
            detector: Some(d.id.clone()),
            kind: Some(d.kind.clone()),
            preview: Some(m.preview.clone()),
            fingerprint: Some(m.fingerprint.clone()),
            confidence: Some(m.confidence),
        });
    }
    for identity in identities {
        history_findings(set, identity, baseline, &mut suppressed, &mut findings);
        findings.extend(reuse_finding(identity, baseline));
        findings.extend(unowned_finding(identity));
        findings.extend(expiry_finding(identity, now, expiring_soon_days));
    }
    (findings, suppressed)
}

fn controls(rule: &Rule) -> Vec<String> {
    rule.controls.iter().map(|c| c.to_string()).collect()
}

fn reuse_finding(identity: &Identity, baseline: Option<&Baseline>) -> Option<Finding> {
    let fp = identity.fingerprint.as_deref()?;
    if identity.kind == "certificate" {
        return None;
    }
    let mut paths: Vec<&str> = identity.exposures.iter().map(|e| e.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    if paths.len() < 2 {
        return None;
    }
    if identity
        .exposures
        .iter()
        .all(|e| baseline.is_some_and(|b| b.contains(&e.detector, fp)))
    {
        return None;
    }
    let first = identity.exposures.first();
    Some(Finding {
        code: SECRET_REUSED.code.into(),
        level: SECRET_REUSED.default_level,
        identity: identity.id.clone(),
        message: format!(
            "{} appears in {} files: {}",
            identity.name,
            paths.len(),
            paths.join(", ")
        ),
        controls: controls(&SECRET_REUSED),
        path: first.map(|e| e.path.clone()),
        line: first.map(|e| e.line),
        column: None,
        commit: None,
        detector: identity.exposures.first().map(|e| e.detector.clone()),
        kind: Some(identity.kind.clone()),
        preview: identity.preview.clone(),
        fingerprint: Some(fp.to_string()),
        confidence: None,
    })
}

fn expiry_finding(identity: &Identity, now: Timestamp, soon_days: i64) -> Option<Finding> {
    let expires = identity.expires_at?;
    let days = now.days_until(&expires);
    let (rule, message) = if expires < now {
        (
            &EXPIRED,
            format!("{} expired {} days ago ({expires})", identity.name, -days),
        )
    } else if days <= soon_days {
        (
            &EXPIRING_SOON,
            format!("{} expires in {days} days ({expires})", identity.name),
        )
    } else {
        return None;
    };
    let first = identity.exposures.first();
    Some(Finding {
        code: rule.code.into(),
        level: rule.default_level,
        identity: identity.id.clone(),
        message,
        controls: controls(rule),
        path: first.map(|e| e.path.clone()),
        line: first.map(|e| e.line),
        column: None,
        commit: None,
        detector: first.map(|e| e.detector.clone()),
        kind: Some(identity.kind.clone()),
        preview: None,
        fingerprint: identity.fingerprint.clone(),
        confidence: None,
    })
}

/// Findings for a secret seen only in history: `leaked-secret` for each place HEAD still
/// has it (a bare repository has no working tree to report it), else one
/// `secret-in-history` at the commit that introduced it.
fn history_findings(
    set: &DetectorSet,
    identity: &Identity,
    baseline: Option<&Baseline>,
    suppressed: &mut Suppressed,
    findings: &mut Vec<Finding>,
) {
    let Some(fp) = identity.fingerprint.as_deref() else {
        return;
    };
    if identity.exposures.iter().any(|e| e.commit.is_none()) {
        return; // in the working tree: already a leaked-secret per file exposure
    }
    let history: Vec<&crate::model::Exposure> = identity.exposures.iter().collect();
    let Some(first) = history
        .iter()
        .min_by_key(|e| (e.author_date, e.path.clone(), e.line))
    else {
        return;
    };
    if baseline.is_some_and(|b| b.contains(&first.detector, fp)) {
        suppressed.baseline += 1;
        return;
    }
    let level = set
        .detectors()
        .iter()
        .find(|d| d.id == first.detector)
        .map_or(Level::Deny, |d| d.level);
    let at_head: Vec<&&crate::model::Exposure> = history.iter().filter(|e| e.in_head).collect();
    let sha = |e: &crate::model::Exposure| e.commit.clone().unwrap_or_default();
    let mk = |rule: &Rule, e: &crate::model::Exposure, message: String| Finding {
        code: rule.code.into(),
        level,
        identity: identity.id.clone(),
        message,
        controls: controls(rule),
        path: Some(e.path.clone()),
        line: Some(e.line),
        column: Some(e.column),
        commit: e.commit.clone(),
        detector: Some(e.detector.clone()),
        kind: Some(identity.kind.clone()),
        preview: identity.preview.clone(),
        fingerprint: Some(fp.to_string()),
        confidence: None,
    };
    if !at_head.is_empty() {
        for e in at_head {
            let message = format!(
                "{} found in {}:{} at HEAD (commit {})",
                identity.name,
                e.path,
                e.line,
                sha(e)
            );
            findings.push(mk(&LEAKED_SECRET, e, message));
        }
        return;
    }
    let removed = identity
        .attributes
        .get("removed_in")
        .map(|r| format!(", removed in {r}"))
        .unwrap_or_default();
    let message = format!(
        "{} introduced in commit {} by {} on {}{removed}; it is no longer in HEAD but every clone still has it",
        identity.name,
        sha(first),
        first.author.as_deref().unwrap_or("unknown"),
        first.author_date.map(|d| d.to_string()).unwrap_or_default(),
    );
    findings.push(mk(&SECRET_IN_HISTORY, first, message));
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

fn unowned_finding(identity: &Identity) -> Option<Finding> {
    if identity.owner.is_some() {
        return None;
    }
    let first = identity.exposures.first();
    Some(Finding {
        code: UNOWNED.code.into(),
        level: UNOWNED.default_level,
        identity: identity.id.clone(),
        message: format!("{} at {} has no owner", identity.name, identity.location),
        controls: controls(&UNOWNED),
        path: first.map(|e| e.path.clone()),
        line: first.map(|e| e.line),
        column: None,
        commit: first.and_then(|e| e.commit.clone()),
        detector: first.map(|e| e.detector.clone()),
        kind: Some(identity.kind.clone()),
        preview: identity.preview.clone(),
        fingerprint: identity.fingerprint.clone(),
        confidence: None,
    })
}
