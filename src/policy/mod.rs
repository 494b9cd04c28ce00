//! Policy: which facts about the inventory are findings, how serious, and which controls
//! they evidence.
//!
//! The policy reads only the inventory (identities, their typed exposures, and the table
//! of detectors those name) and its own [`Settings`]; it never sees the scanner's raw
//! matches or the compiled detectors. Every rule has a stable code, a description, a
//! default level and the controls it maps to ([`Rule`]); its check lives in the rule
//! family's file (`secrets`, `lifecycle`, `access`) and is registered once in [`CHECKS`].
//! [`judge`] runs the checks, then applies the baseline and the configured levels and
//! suppressions.
//!
//! Control references: OWASP Non-Human Identities Top 10 (2025) NHI1-NHI10, SOC 2 Trust
//! Services Criteria CC6.1-CC6.3, ISO/IEC 27001:2022 Annex A, NIST CSF 2.0 PR.AA.

mod access;
pub mod baseline;
mod lifecycle;
mod live;
mod review;
mod secrets;
mod settings;
mod stores;

pub use access::*;
pub use baseline::Baseline;
pub use lifecycle::*;
pub use live::{INACTIVE_SECRET, LIVE_SECRET};
pub use review::*;
pub use secrets::*;
pub use settings::*;
pub use stores::{MISSING_SECRET, ROTATION_DISABLED, UNUSED_SECRET};

use crate::model::{DetectorInfo, Finding, Identity, Level, Timestamp};
use std::cell::Cell;

/// A policy rule's fixed description. CI configurations, suppressions and auditors refer
/// to the codes, so a code never changes meaning; a new check gets a new code.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub code: &'static str,
    pub description: &'static str,
    pub default_level: Level,
    pub controls: &'static [&'static str],
}

/// What every check may read.
pub struct Context<'a> {
    pub now: Timestamp,
    pub thresholds: &'a Thresholds,
    pub detectors: &'a [DetectorInfo],
    baseline: Option<&'a Baseline>,
    suppressed_baseline: Cell<u64>,
}

impl Context<'_> {
    /// True when the baseline accepts this value; counted as a suppressed finding.
    fn baselined(&self, detector: &str, fingerprint: &str) -> bool {
        let hit = self.in_baseline(detector, fingerprint);
        if hit {
            self.suppressed_baseline
                .set(self.suppressed_baseline.get() + 1);
        }
        hit
    }

    /// True when the baseline accepts this value (not counted).
    fn in_baseline(&self, detector: &str, fingerprint: &str) -> bool {
        self.baseline
            .is_some_and(|b| b.contains(detector, fingerprint))
    }
}

/// How a check reports: at most one finding per identity, or several.
#[derive(Clone, Copy)]
pub enum Run {
    One(fn(&Identity, &Context<'_>) -> Option<Finding>),
    Many(fn(&Identity, &Context<'_>) -> Vec<Finding>),
}

/// One registered check: the rules whose findings it emits, and the function.
#[derive(Clone, Copy)]
pub struct Check {
    pub rules: &'static [Rule],
    pub run: Run,
}

const fn one(rules: &'static [Rule], f: fn(&Identity, &Context<'_>) -> Option<Finding>) -> Check {
    Check {
        rules,
        run: Run::One(f),
    }
}

/// Every check about one identity, in the order its findings are reported. Adding a rule:
/// write its `Rule` and check in a family file, then add one line here.
pub const CHECKS: &[Check] = &[
    one(&[LIVE_SECRET], live::live_secret),
    Check {
        rules: &[LEAKED_SECRET, SECRET_IN_HISTORY, INACTIVE_SECRET],
        run: Run::Many(secrets::history),
    },
    one(&[SECRET_REUSED], secrets::reused),
    one(&[UNOWNED], access::unowned),
    one(&[EXPIRED, EXPIRING_SOON], lifecycle::expiry),
    one(&[STALE], lifecycle::stale),
    one(&[NEVER_USED], lifecycle::never_used),
    one(&[ROTATION_OVERDUE], lifecycle::rotation_overdue),
    one(&[ROTATION_DISABLED], stores::rotation_disabled),
    one(&[UNUSED_SECRET], stores::unused_secret),
    one(&[MISSING_SECRET], stores::missing_secret),
    one(&[LONG_LIVED], lifecycle::long_lived),
    one(&[OVERPRIVILEGED], access::overprivileged),
    one(&[THIRD_PARTY_ACCESS], access::third_party),
    one(&[HUMAN_USE], access::human_use),
    one(&[INSECURE_OIDC_TRUST], access::insecure_oidc_trust),
    one(&[MULTIPLE_ACTIVE_KEYS], access::multiple_active_keys),
    one(&[DEFAULT_ACCOUNT_BOUND], access::default_account_bound),
    one(&[UNUSED_ACCOUNT], access::unused_account),
    one(&[REVIEW_OVERDUE, REVOCATION_PENDING], review::review),
];

/// Every rule, for documentation, configuration checks and SARIF rule metadata: the
/// working-tree pass (`leaked-secret`), each check's rules, then `suppression-expired`.
pub fn rules() -> Vec<&'static Rule> {
    let mut all: Vec<&'static Rule> = vec![&LEAKED_SECRET];
    for check in CHECKS {
        for r in check.rules {
            if !all.iter().any(|a| a.code == r.code) {
                all.push(r);
            }
        }
    }
    all.push(&SUPPRESSION_EXPIRED);
    all
}

pub fn rule(code: &str) -> Option<&'static Rule> {
    rules().into_iter().find(|r| r.code == code)
}

/// The policy's verdict on an inventory.
#[derive(Debug, Default)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    /// Findings the baseline accepted.
    pub suppressed_baseline: u64,
    /// Baseline entries no finding of this scan matched.
    pub baseline_stale: Vec<baseline::BaselineEntry>,
    /// Baseline entries this scan's findings matched.
    pub baseline_matched: Vec<baseline::BaselineEntry>,
    /// Findings a `[[suppress]]` rule hid.
    pub suppressed_config: u64,
    /// Secret findings below the configured minimum confidence.
    pub below_min_confidence: u64,
}

/// Judge the merged inventory: one `leaked-secret` per working-tree place a secret lies,
/// then every registered check per identity; then the baseline, levels and suppressions.
pub fn judge(
    identities: &[Identity],
    detectors: &[DetectorInfo],
    baseline: Option<&Baseline>,
    now: Timestamp,
    settings: &Settings,
) -> Verdict {
    let mut findings = Vec::new();
    let mut verdict = judge_each(identities, detectors, baseline, now, settings, &mut |f| {
        findings.push(f)
    });
    verdict.findings = findings;
    verdict
}

/// [`judge`], handing each finding to `sink` in the order `judge` lists them instead of
/// holding them: a merged estate's million findings can be written as they are made. The
/// verdict returned has no findings, only the counts.
pub fn judge_each(
    identities: &[Identity],
    detectors: &[DetectorInfo],
    baseline: Option<&Baseline>,
    now: Timestamp,
    settings: &Settings,
    sink: &mut dyn FnMut(Finding),
) -> Verdict {
    let cx = Context {
        now,
        thresholds: &settings.thresholds,
        detectors,
        baseline,
        suppressed_baseline: Cell::new(0),
    };
    let collected: std::collections::HashSet<&str> = identities
        .iter()
        .filter(|i| i.is_collected())
        .map(|i| i.id.as_str())
        .collect();
    let mut admission = settings.admission(now, &collected);
    let mut accepted = baseline.map(Baseline::admission);
    let mut pass = |f: Finding| {
        if let Some(f) = match &mut accepted {
            Some(b) => b.admit(f),
            None => Some(f),
        } {
            sink(f);
        }
    };
    secrets::leaked_in_files(identities, &cx, &mut |f| {
        admission.admit(f).map(&mut pass);
    });
    for identity in identities {
        for check in CHECKS {
            let mut judged = |f| {
                admission.admit(f).map(&mut pass);
            };
            match check.run {
                Run::One(f) => f(identity, &cx).into_iter().for_each(&mut judged),
                Run::Many(f) => f(identity, &cx).into_iter().for_each(&mut judged),
            }
        }
    }
    for f in admission.expired() {
        pass(f);
    }
    let used = accepted.map(|b| (b.suppressed, b.finish()));
    let (suppressed, used) = used.unwrap_or_default();
    Verdict {
        findings: Vec::new(),
        suppressed_baseline: cx.suppressed_baseline.get() + suppressed,
        baseline_stale: used.stale,
        baseline_matched: used.matched,
        suppressed_config: admission.suppressed,
        below_min_confidence: admission.below_min_confidence,
    }
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
        reason: None,
        context: None,
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

#[cfg(test)]
mod tests;
