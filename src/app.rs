//! One file scan from request to judged inventory, independent of the command line.
//!
//! `main` parses flags into a [`ScanRequest`]; this module runs the scanner, builds
//! identities, applies the baseline and policy, and returns the [`Inventory`] together
//! with the per-path errors that make it incomplete.

use crate::baseline::Baseline;
use crate::detect::DetectorSet;
use crate::inventory;
use crate::model::{
    Inventory, Level, SCHEMA_VERSION, ScanSummary, Scope, SourceState, SourceStatus, Timestamp,
    ToolInfo,
};
use crate::policy;
use crate::scan::{self, Progress, ScanError, WalkOptions, redact::Fingerprinter};
use std::time::Instant;

pub struct ScanRequest<'a> {
    pub set: &'a DetectorSet,
    pub walk: WalkOptions,
    pub baseline: Option<&'a Baseline>,
    pub fingerprinter: Fingerprinter,
    /// The scan's notion of "now" (ages, expiry); normally the current time.
    pub now: Timestamp,
}

pub struct ScanResult {
    pub inventory: Inventory,
    pub errors: Vec<ScanError>,
}

/// `NHISCAN_NOW` (RFC 3339) pins the scan time, for reproducible reports and tests.
pub fn scan_time() -> Result<Timestamp, String> {
    match std::env::var("NHISCAN_NOW") {
        Ok(text) if !text.is_empty() => Timestamp::parse(&text)
            .map_err(|e| format!("NHISCAN_NOW={text:?} is not an RFC 3339 time ({e}); use e.g. 2026-11-22T12:00:00Z or unset it")),
        _ => Ok(Timestamp::now()),
    }
}

pub fn run_scan(req: &ScanRequest<'_>, progress: &dyn Progress) -> ScanResult {
    let started = Instant::now();
    let output = scan::scan_paths(req.set, &req.fingerprinter, &req.walk, progress);
    let identities = inventory::identities_from_scan(req.set, &output, req.now);
    let (findings, suppressed) =
        policy::judge(req.set, &output.secrets, &identities, req.baseline, req.now);
    let errors = output.errors;
    let items = identities.len() as u64;
    let summary = ScanSummary {
        files_scanned: output.stats.files_scanned,
        bytes_scanned: output.stats.bytes_scanned,
        skipped_binary: output.stats.skipped_binary,
        skipped_too_large: output.stats.skipped_too_large,
        errors: errors.len() as u64,
        suppressed_inline: output.stats.suppressed_inline,
        suppressed_baseline: suppressed.baseline,
        findings_deny: findings.iter().filter(|f| f.level == Level::Deny).count() as u64,
        findings_warn: findings.iter().filter(|f| f.level == Level::Warn).count() as u64,
        detectors: req.set.len() as u64,
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    let inventory = Inventory {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::default(),
        generated_at: req.now,
        scope: Scope {
            paths: req
                .walk
                .paths
                .iter()
                .map(|p| scan::display_path(p))
                .collect(),
            ..Scope::default()
        },
        sources: vec![SourceStatus {
            id: "files".into(),
            status: if errors.is_empty() {
                SourceState::Ok
            } else {
                SourceState::Partial
            },
            items,
            errors: errors.iter().map(|e| e.to_string()).collect(),
        }],
        identities,
        findings,
        summary,
    };
    ScanResult { inventory, errors }
}
