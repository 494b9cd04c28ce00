//! Rules about secret values: where a value is exposed (`leaked-secret`,
//! `secret-in-history`) and whether one value serves several places (`secret-reused`).

use super::{
    LEAKED_SECRET, Rule, SECRET_IN_HISTORY, SECRET_REUSED, Suppressed, controls, days_phrase,
};
use crate::baseline::Baseline;
use crate::detect::DetectorSet;
use crate::model::{Finding, Identity, Level, Status, Timestamp};
use crate::scan::SecretMatch;
use std::collections::HashMap;

/// One `leaked-secret` per place a secret was found in the working tree. When a collector
/// knows the credential (same fingerprint), the finding is about that identity and says
/// whether it is still active and when it was last used.
pub(super) fn leaked_in_files(
    set: &DetectorSet,
    matches: &[SecretMatch],
    identities: &[Identity],
    baseline: Option<&Baseline>,
    now: Timestamp,
    suppressed: &mut Suppressed,
) -> Vec<Finding> {
    let collected: HashMap<&str, &Identity> = identities
        .iter()
        .filter(|i| i.is_collected())
        .filter_map(|i| Some((i.fingerprint.as_deref()?, i)))
        .collect();
    let mut findings = Vec::new();
    for m in matches {
        let d = set.get(m.detector);
        if baseline.is_some_and(|b| b.contains(&d.id, &m.fingerprint)) {
            suppressed.baseline += 1;
            continue;
        }
        let owner = collected.get(m.fingerprint.as_str());
        let mut message = format!("{} found in {}:{}", d.name, m.path, m.line);
        if let Some(identity) = owner {
            message.push_str(&format!("; {}", live_state(identity, now)));
        }
        findings.push(Finding {
            code: LEAKED_SECRET.code.into(),
            level: d.level,
            identity: owner.map_or_else(
                || crate::inventory::secret_identity_id(&m.fingerprint),
                |i| i.id.clone(),
            ),
            message,
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
    findings
}

/// "it is iam access key X of user/ci, ACTIVE, last used 3 days ago": what a collector
/// knows about a leaked credential, for the finding message.
fn live_state(identity: &Identity, now: Timestamp) -> String {
    let state = match identity.status {
        Status::Active => "ACTIVE",
        Status::Inactive => "inactive",
        Status::Expired => "expired",
        Status::Unknown => "status unknown",
    };
    let used = match identity.last_used_at {
        Some(t) => format!("last used {} ({t})", days_phrase(t.days_until(&now))),
        None if identity.never_used => "never used".into(),
        None => "last use unknown".into(),
    };
    format!(
        "it is {} {} ({}), {state}, {used}",
        identity.provider, identity.kind, identity.location
    )
}

pub(super) fn reused(identity: &Identity, baseline: Option<&Baseline>) -> Option<Finding> {
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

/// Findings for a secret seen only in history: `leaked-secret` for each place HEAD still
/// has it (a bare repository has no working tree to report it), else one
/// `secret-in-history` at the commit that introduced it.
pub(super) fn history(
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
