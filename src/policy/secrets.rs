//! Rules about secret values: where a value is exposed (`leaked-secret`,
//! `secret-in-history`) and whether one value serves several places (`secret-reused`).

use super::{Context, Rule, controls, days_phrase};
use crate::model::{Exposure, Finding, Identity, Level, Status, Timestamp};

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

/// One `leaked-secret` per place a secret lies in the working tree, in path and line
/// order. When a collector knows the credential (the value correlated with its identity),
/// the finding is about that identity and says whether it is still active and when it was
/// last used. Certificates are public material and never leak.
pub(super) fn leaked_in_files(
    identities: &[Identity],
    cx: &Context<'_>,
    sink: &mut dyn FnMut(Finding),
) {
    let mut places: Vec<(&Identity, &Exposure, usize)> = Vec::new();
    for identity in identities {
        for e in identity
            .exposures
            .iter()
            .filter(|e| e.origin.is_working_tree() && e.kind.is_value())
        {
            let Some(rank) = cx.detectors.iter().position(|d| d.id == e.detector) else {
                continue;
            };
            if !cx.detectors[rank].finds_public_material() {
                places.push((identity, e, rank));
            }
        }
    }
    places.sort_by(|a, b| {
        (&a.1.path, a.1.line, a.1.column, a.2).cmp(&(&b.1.path, b.1.line, b.1.column, b.2))
    });
    for (identity, e, rank) in places {
        let d = &cx.detectors[rank];
        let fingerprint = identity.fingerprint.clone().unwrap_or_default();
        if cx.baselined(&d.id, &fingerprint) {
            continue;
        }
        let mut message = format!("{} found in {}:{}", d.name, e.path, e.line);
        if e.confidence == Some(crate::model::Confidence::Example)
            && let Some(reason) = &e.reason
        {
            message.push_str(&format!(": not a credential, an {reason}"));
        }
        if identity.is_collected() {
            message.push_str(&format!("; {}", live_state(identity, cx.now)));
        }
        message.push_str(&super::live::leak_note(identity));
        let (rule, level) = super::live::leak_rule(identity, &LEAKED_SECRET, d.level);
        sink(Finding {
            code: rule.code.into(),
            level,
            identity: identity.id.clone(),
            message,
            controls: controls(rule),
            path: Some(e.path.clone()),
            line: Some(e.line),
            column: Some(e.column),
            commit: None,
            detector: Some(d.id.clone()),
            kind: Some(d.kind.clone()),
            preview: identity.preview.clone(),
            fingerprint: Some(fingerprint),
            confidence: e.confidence,
            reason: e.reason.clone(),
            context: e.context,
        });
    }
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

pub(super) fn reused(identity: &Identity, cx: &Context<'_>) -> Option<Finding> {
    let fp = identity.fingerprint.as_deref()?;
    if identity.kind == "certificate" || identity.is_reference() || identity.is_published_example()
    {
        return None;
    }
    // By file, not by how it was seen: the walk and the history see the same file.
    let mut paths: Vec<String> = identity.exposures.iter().map(Exposure::file_key).collect();
    paths.sort_unstable();
    paths.dedup();
    if paths.len() < 2 {
        return None;
    }
    if identity
        .exposures
        .iter()
        .all(|e| cx.in_baseline(&e.detector, fp))
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
        reason: None,
        context: None,
    })
}

/// Findings for a secret seen only in history: `leaked-secret` for each place HEAD still
/// has it (a bare repository has no working tree to report it), else one
/// `secret-in-history` at the commit that introduced it.
pub(super) fn history(identity: &Identity, cx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(fp) = identity.fingerprint.as_deref() else {
        return findings;
    };
    if identity
        .exposures
        .iter()
        .any(|e| e.origin.is_working_tree())
    {
        return findings; // in the working tree: already a leaked-secret per file exposure
    }
    let history: Vec<&Exposure> = identity
        .exposures
        .iter()
        .filter(|e| e.origin.is_history() && e.kind.is_value())
        .collect();
    // A commit's exposure before a blob no commit holds (which has no date).
    let Some(first) = history
        .iter()
        .min_by_key(|e| (e.commit.is_none(), e.author_date, e.path.clone(), e.line))
    else {
        return findings;
    };
    if cx.baselined(&first.detector, fp) {
        return findings;
    }
    let level = cx
        .detectors
        .iter()
        .find(|d| d.id == first.detector)
        .map_or(Level::Deny, |d| d.level);
    let at_head: Vec<&&Exposure> = history.iter().filter(|e| e.in_head).collect();
    let sha = |e: &Exposure| e.commit.clone().unwrap_or_default();
    let note = super::live::leak_note(identity);
    let mk = |rule: &'static Rule, e: &Exposure, message: String| {
        let (rule, level) = super::live::leak_rule(identity, rule, level);
        Finding {
            code: rule.code.into(),
            level,
            identity: identity.id.clone(),
            message: format!("{message}{note}"),
            controls: controls(rule),
            path: Some(e.path.clone()),
            line: Some(e.line),
            column: Some(e.column),
            commit: e.commit.clone(),
            detector: Some(e.detector.clone()),
            kind: Some(identity.kind.clone()),
            preview: identity.preview.clone(),
            fingerprint: Some(fp.to_string()),
            confidence: e.confidence,
            reason: e.reason.clone(),
            context: e.context,
        }
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
        return findings;
    }
    if first.commit.is_none() {
        // `--all-objects` found it only in blobs no commit holds.
        let message = format!(
            "{} found in {}:{}, a blob in this repository's objects that no commit holds (staged and never committed, or left by rewritten history); a clone does not carry it, but a push or a backup of the repository may have: rotate it, then `git gc --prune=now`",
            identity.name, first.path, first.line
        );
        findings.push(mk(&SECRET_IN_HISTORY, first, message));
        return findings;
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
    findings
}
