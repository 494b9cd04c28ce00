//! One scan from request to judged inventory, independent of the command line: wiring only.
//!
//! The stages run downwards and talk through data: the sources (the file and history
//! scanners in [`local`] on this thread, the API collectors on the async runner in parallel
//! with them, then what the collectors handed back: values of their objects in
//! [`documents`], repositories to clone in [`remote`]) feed one [`inventory::Builder`];
//! then owners, then the policy's verdict, then the [`Inventory`] with the per-path errors
//! that make it incomplete.

mod documents;
mod local;
pub mod merge;
mod remote;

use crate::collect::{self, Collector, RunOptions};
use crate::detect::DetectorSet;
use crate::inventory;
use crate::model::{Inventory, Level, SCHEMA_VERSION, ScanSummary, Scope, Timestamp, ToolInfo};
use crate::policy::{self, Baseline};
use crate::scan::git::HistoryOptions;
use crate::scan::{self, Progress, ScanError, WalkOptions, redact::Fingerprinter};
use std::sync::Arc;
use std::time::Instant;

pub struct ScanRequest<'a> {
    pub set: &'a DetectorSet,
    pub walk: WalkOptions,
    /// Named buffers scanned instead of walking `walk.paths` (`--staged`, `scan -`).
    pub inputs: scan::inputs::Inputs,
    pub baseline: Option<&'a Baseline>,
    pub fingerprinter: Fingerprinter,
    /// Each stage's settings (nhiscan.toml or defaults).
    pub config: crate::config::Config,
    /// History scanning for paths that are git repositories; `None` with `--no-history`.
    pub history: Option<HistoryOptions>,
    /// The scan's notion of "now" (ages, expiry); normally the current time.
    pub now: Timestamp,
    /// API sources the user asked for (`--aws`, `--github`, `--k8s`); empty: no API call.
    pub collectors: Vec<Arc<dyn Collector>>,
    pub collect: RunOptions,
    /// What the user asked for beyond paths (profiles, organisations, contexts).
    pub scope: Scope,
    /// With a scan-history database: what it knows of each identity's access review (see
    /// `ScanHistory::review_states`); every identity is then judged for review rules.
    pub reviews: Option<std::collections::HashMap<String, crate::model::ReviewState>>,
    /// `--validate`: how to ask providers, and the keeper `fingerprinter` leaves values in.
    pub validate: Option<(crate::validate::Options, Arc<crate::scan::keep::Keeper>)>,
    /// `--shard`: only this shard's listed repositories are cloned and scanned.
    pub shard: Option<crate::collect::shard::Shard>,
}

pub struct ScanResult {
    pub inventory: Inventory,
    pub errors: Vec<ScanError>,
    /// The entries of the baseline in use that this scan still matched (carried over
    /// when the baseline is written again).
    pub baseline_matched: Vec<policy::baseline::BaselineEntry>,
}

/// Why the scan's clock could not be set.
#[derive(Debug, thiserror::Error)]
#[error(
    "NHISCAN_NOW={text:?} is not an RFC 3339 time ({source}); use e.g. 2026-11-22T12:00:00Z or unset it"
)]
pub struct ScanTimeError {
    text: String,
    source: time::error::Parse,
}

/// `NHISCAN_NOW` (RFC 3339) pins the scan time, for reproducible reports and tests.
pub fn scan_time() -> Result<Timestamp, ScanTimeError> {
    match std::env::var("NHISCAN_NOW") {
        Ok(text) if !text.is_empty() => {
            Timestamp::parse(&text).map_err(|source| ScanTimeError { text, source })
        }
        _ => Ok(Timestamp::now()),
    }
}

pub fn run_scan(req: &ScanRequest<'_>, progress: &dyn Progress) -> ScanResult {
    let started = Instant::now();
    let cx = collect::Context {
        now: req.now,
        fingerprinter: req.fingerprinter.clone(),
        calls_in_flight: 8,
        // Replaced per collector by the runner, when it starts.
        budget: collect::budget::Budget::default(),
    };
    // Collectors wait on the network; the file scan keeps the CPUs busy meanwhile.
    let (local, collected) = std::thread::scope(|s| {
        let remote = s.spawn(|| collect::run(req.collectors.clone(), cx, req.collect));
        let local = local::scan(req, progress);
        let collected = remote.join().unwrap_or_else(|_| {
            req.collectors
                .iter()
                .map(|c| {
                    collect::Collected::failed(
                        c.id(),
                        "the collector runner crashed; this is a bug in nhiscan, please report it"
                            .into(),
                        0,
                    )
                })
                .collect()
        });
        (local, collected)
    });
    let roots: Vec<String> = req
        .walk
        .paths
        .iter()
        .map(|p| scan::display_path(p))
        .collect();
    let mut builder = inventory::Builder::new(req.set, req.now);
    builder.add_files(&roots, &local.files);
    for (repository, secrets) in &local.histories {
        builder.add_history(repository, secrets);
    }
    let mut sources = local.sources;
    let mut summary = local.summary;
    let mut repositories = Vec::new();
    for c in collected {
        builder.add_collected(c.identities);
        sources.push(c.status);
        documents::scan(req, &c.documents, &mut builder);
        repositories.extend(
            c.repositories
                .into_iter()
                .filter(|r| req.shard.is_none_or(|shard| shard.owns(r.shard_key()))),
        );
    }
    let repository_owners =
        remote::scan(req, repositories, &mut builder, &mut sources, &mut summary);
    let built = builder.finish();
    let mut identities = built.identities;

    let root = req.walk.paths.first().cloned().unwrap_or_default();
    let codeowners = crate::owners::Codeowners::discover(&root);
    crate::owners::OwnerResolver {
        settings: &req.config.owners,
        codeowners: codeowners.as_ref(),
        repositories: &repository_owners,
    }
    .resolve(&mut identities);
    let validation = req.validate.as_ref().map(|(opts, keeper)| {
        let started = Instant::now();
        let report = crate::validate::run(&mut identities, req.set, keeper, opts, req.now);
        let elapsed = started.elapsed().as_millis() as u64;
        sources.push(crate::validate::source_status(
            &report,
            &identities,
            elapsed,
        ));
        report
    });
    if let Some(reviews) = &req.reviews {
        for identity in &mut identities {
            identity.review = Some(Box::new(reviews.get(&identity.id).cloned().unwrap_or(
                crate::model::ReviewState {
                    tracked_since: req.now,
                    last: None,
                },
            )));
        }
    }

    let verdict = policy::judge(
        &identities,
        &built.detectors,
        req.baseline,
        req.now,
        &req.config.policy,
    );
    let findings = verdict.findings;
    let baseline_matched = verdict.baseline_matched;
    let storage = inventory::storage(&identities);
    let stats = &local.files.stats;
    let errors = local.files.errors;
    summary = ScanSummary {
        files_scanned: stats.files_scanned,
        bytes_scanned: stats.bytes_scanned,
        skipped_binary: stats.skipped_binary,
        skipped_too_large: stats.skipped_too_large,
        skipped_special: stats.skipped_special,
        errors: errors.len() as u64,
        suppressed_inline: stats.suppressed_inline,
        suppressed_baseline: verdict.suppressed_baseline,
        baseline_stale: verdict
            .baseline_stale
            .iter()
            .map(|e| {
                format!(
                    "{} of {} ({})",
                    e.code.as_deref().unwrap_or("secret"),
                    e.first_path.as_deref().unwrap_or("an API object"),
                    e.preview.as_deref().unwrap_or("no preview"),
                )
            })
            .collect(),
        suppressed_config: verdict.suppressed_config,
        below_min_confidence: verdict.below_min_confidence,
        rejected: {
            let mut all = summary.rejected.clone();
            for (reason, n) in stats.rejected.by_name() {
                *all.entry(reason.to_string()).or_default() += n;
            }
            all
        },
        findings_deny: findings.iter().filter(|f| f.level == Level::Deny).count() as u64,
        findings_warn: findings.iter().filter(|f| f.level == Level::Warn).count() as u64,
        detectors: req.set.len() as u64,
        elapsed_ms: started.elapsed().as_millis() as u64,
        validation: validation.as_ref().map(|v| v.summary.clone()),
        ..summary
    };
    let inventory = Inventory {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            fingerprint_key: Some(req.fingerprinter.key_id()),
            ..ToolInfo::default()
        },
        generated_at: req.now,
        scope: Scope {
            paths: if req.inputs.is_empty() {
                req.walk
                    .paths
                    .iter()
                    .map(|p| scan::display_path(p))
                    .collect()
            } else {
                req.inputs.scope.clone()
            },
            ..req.scope.clone()
        },
        sources,
        identities,
        findings,
        storage,
        detectors: built.detectors,
        summary,
    };
    ScanResult {
        inventory,
        errors,
        baseline_matched,
    }
}
