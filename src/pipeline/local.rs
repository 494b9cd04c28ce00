//! The sources on this machine: the file scan of every path, then the history of every
//! path that is a repository.

use super::ScanRequest;
use crate::inventory::HistoryRepository;
use crate::model::{ScanSummary, SourceState, SourceStatus};
use crate::scan::git::attribute::SecretInHistory;
use crate::scan::git::{self, HistoryOptions};
use crate::scan::{self, Progress, ScanOutput, WalkOptions};
use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

/// What the file and history scanners produced.
#[derive(Default)]
pub(super) struct LocalScan {
    pub files: ScanOutput,
    pub histories: Vec<(HistoryRepository, Vec<SecretInHistory>)>,
    pub sources: Vec<SourceStatus>,
    pub summary: ScanSummary,
}

pub(super) fn scan(req: &ScanRequest<'_>, progress: &dyn Progress) -> LocalScan {
    if req.walk.paths.is_empty() && req.inputs.is_empty() {
        return LocalScan::default();
    }
    let started = Instant::now();
    // A bare repository's files are git's own (packs, hooks): only its history is scanned.
    // A range scan (`--rev-range`, `--since-commit`) reports what the range added, so the
    // repository's working tree is not walked either.
    let range_scan = req.history.as_ref().is_some_and(|h| h.range.is_some());
    let walk = WalkOptions {
        paths: req
            .walk
            .paths
            .iter()
            .filter(|p| {
                req.history.is_none() || !(git::is_bare(p) || (range_scan && git::is_repository(p)))
            })
            .cloned()
            .collect(),
        ..req.walk.clone()
    };
    let files = if !req.inputs.is_empty() {
        scan::inputs::scan_inputs(
            req.set,
            &req.fingerprinter,
            &req.inputs,
            req.walk.max_file_size,
            progress,
        )
    } else if walk.paths.is_empty() {
        ScanOutput::default()
    } else {
        scan::scan_paths(req.set, &req.fingerprinter, &walk, progress)
    };
    let mut out = LocalScan {
        sources: vec![SourceStatus {
            id: "files".into(),
            status: if files.errors.is_empty() {
                SourceState::Ok
            } else {
                SourceState::Partial
            },
            items: identities_in(&files),
            errors: files.errors.iter().map(|e| e.to_string()).collect(),
            warnings: files
                .special
                .iter()
                .map(|s| format!("skipped {s}: not a regular file, never opened"))
                .collect(),
            api_calls: 0,
            elapsed_ms: started.elapsed().as_millis() as u64,
        }],
        files,
        ..LocalScan::default()
    };
    if let Some(opts) = &req.history {
        for path in req.walk.paths.iter().filter(|p| git::is_repository(p)) {
            let name = scan::display_path(path);
            let id = format!("git:{name}");
            let (source, secrets, stats) = history(req, path, opts, id, progress);
            add_history_stats(&mut out.summary, &stats);
            out.sources.push(source);
            out.histories
                .push((HistoryRepository::Local { repository: name }, secrets));
        }
    }
    out
}

/// Identities the file scan makes: one per distinct secret, one per distinct certificate.
fn identities_in(files: &ScanOutput) -> u64 {
    let secrets: HashSet<&str> = files
        .secrets
        .iter()
        .map(|m| m.fingerprint.as_str())
        .collect();
    let certificates: HashSet<&str> = files
        .certificates
        .iter()
        .map(|c| c.info.sha256.as_str())
        .collect();
    (secrets.len() + certificates.len()) as u64
}

pub(super) fn add_history_stats(summary: &mut ScanSummary, stats: &git::HistoryStats) {
    for (reason, n) in stats.rejected.by_name() {
        *summary.rejected.entry(reason.to_string()).or_default() += n;
    }
    summary.commits_scanned += stats.commits;
    summary.blobs_scanned += stats.blobs_scanned;
    summary.blobs_cached += stats.blobs_cached;
    summary.history_bytes_scanned += stats.bytes_scanned;
    summary.blobs_skipped_binary += stats.skipped_binary;
    summary.blobs_skipped_too_large += stats.skipped_too_large;
}

/// Scan one repository's history; a failure is a failed source, never a clean result.
pub(super) fn history(
    req: &ScanRequest<'_>,
    path: &Path,
    opts: &HistoryOptions,
    id: String,
    progress: &dyn Progress,
) -> (SourceStatus, Vec<SecretInHistory>, git::HistoryStats) {
    match git::scan_history(req.set, &req.fingerprinter, path, opts, progress) {
        Ok(out) => {
            let secrets = git::attribute::secrets(&out);
            let status = SourceStatus {
                id,
                status: if out.errors.is_empty() {
                    SourceState::Ok
                } else {
                    SourceState::Partial
                },
                items: secrets.len() as u64,
                errors: out.errors.clone(),
                warnings: out.warnings.clone(),
                api_calls: 0,
                elapsed_ms: 0,
            };
            (status, secrets, out.stats)
        }
        Err(e) => (
            SourceStatus {
                id,
                status: SourceState::Failed,
                items: 0,
                errors: vec![e.to_string()],
                warnings: Vec::new(),
                api_calls: 0,
                elapsed_ms: 0,
            },
            Vec::new(),
            git::HistoryStats::default(),
        ),
    }
}
