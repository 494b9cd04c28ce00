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

/// Every rule, for documentation and SARIF rule metadata.
pub const RULES: &[Rule] = &[LEAKED_SECRET, SECRET_REUSED, EXPIRED, EXPIRING_SOON];

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
            detector: Some(d.id.clone()),
            kind: Some(d.kind.clone()),
            preview: Some(m.preview.clone()),
            fingerprint: Some(m.fingerprint.clone()),
            confidence: Some(m.confidence),
        });
    }
    for identity in identities {
        findings.extend(reuse_finding(identity, baseline));
        findings.extend(expiry_finding(identity, now));
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
        detector: identity.exposures.first().map(|e| e.detector.clone()),
        kind: Some(identity.kind.clone()),
        preview: identity.preview.clone(),
        fingerprint: Some(fp.to_string()),
        confidence: None,
    })
}

fn expiry_finding(identity: &Identity, now: Timestamp) -> Option<Finding> {
    let expires = identity.expires_at?;
    let days = now.days_until(&expires);
    let (rule, message) = if expires < now {
        (
            &EXPIRED,
            format!("{} expired {} days ago ({expires})", identity.name, -days),
        )
    } else if days <= EXPIRING_SOON_DAYS {
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
        detector: first.map(|e| e.detector.clone()),
        kind: Some(identity.kind.clone()),
        preview: None,
        fingerprint: identity.fingerprint.clone(),
        confidence: None,
    })
}
