//! Per-control results over one or more scans: what was tested, the population, the
//! exceptions and a result an auditor reads (`operated`, `exceptions`, `not tested`).
//! The HTML report shows them; the period evidence pack writes them as controls.csv.

use crate::model::{Finding, Inventory};
use std::collections::BTreeSet;

/// Controls reported on, and what nhiscan's scans test for each.
pub const CONTROLS: &[(&str, &str)] = &[
    (
        "SOC2-CC6.1",
        "credentials are not exposed in code or history and are rotated",
    ),
    (
        "SOC2-CC6.2",
        "every identity has an accountable owner and is reviewed; revoked access is removed",
    ),
    (
        "SOC2-CC6.3",
        "privileges are limited to what is needed and reviewed",
    ),
    (
        "SOC2-CC7.1",
        "scans ran over the period and each was complete",
    ),
    (
        "OWASP-NHI1",
        "improper offboarding: stale, unused, unowned, unreviewed identities",
    ),
    ("OWASP-NHI2", "secret leakage in files and git history"),
    ("OWASP-NHI3", "vulnerable third-party access"),
    ("OWASP-NHI4", "insecure authentication"),
    ("OWASP-NHI5", "overprivileged identities"),
    (
        "OWASP-NHI6",
        "insecure cloud deployment configurations (OIDC trust)",
    ),
    ("OWASP-NHI7", "long-lived secrets, expiry and rotation"),
    ("OWASP-NHI8", "environment isolation"),
    ("OWASP-NHI9", "identity reuse"),
    ("OWASP-NHI10", "human use of non-human identities"),
];

/// One control's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRow {
    pub control: &'static str,
    pub tested: &'static str,
    /// Identities at the end (for CC7.1: scans).
    pub population: usize,
    /// Open findings mapped to the control at the end (for CC7.1: incomplete scans).
    pub exceptions: usize,
    pub result: &'static str,
    /// The finding codes among the exceptions.
    pub codes: Vec<String>,
}

/// Results over `scans` (oldest first, at least one): the newest scan's open findings
/// for every control but CC7.1, which tests that every scan was complete.
pub fn results(scans: &[&Inventory]) -> Vec<ControlRow> {
    let Some(last) = scans.last() else {
        return Vec::new();
    };
    CONTROLS
        .iter()
        .map(|&(control, tested)| {
            let (population, exceptions, codes) = if control == "SOC2-CC7.1" {
                let incomplete = scans.iter().filter(|i| i.is_incomplete()).count();
                (scans.len(), incomplete, Vec::new())
            } else {
                let hits: Vec<&Finding> = last
                    .findings
                    .iter()
                    .filter(|f| f.controls.iter().any(|c| c == control))
                    .collect();
                let codes: BTreeSet<String> = hits.iter().map(|f| f.code.clone()).collect();
                (
                    last.identities.len(),
                    hits.len(),
                    codes.into_iter().collect(),
                )
            };
            let result = match (population, exceptions) {
                (0, _) => "not tested",
                (_, 0) => "operated",
                _ => "exceptions",
            };
            ControlRow {
                control,
                tested,
                population,
                exceptions,
                result,
                codes,
            }
        })
        .collect()
}
