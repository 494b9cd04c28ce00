//! One scan from request to judged inventory, independent of the command line.
//!
//! `main` parses flags into a [`ScanRequest`]; this module runs the sources (the file and
//! history scanners on this thread, the API collectors on the async runner in parallel with
//! them), then what the collectors handed back for the scanner (values of cluster Secrets,
//! repositories to clone and history-scan), merges and correlates their identities, resolves
//! owners, applies the baseline and policy, and returns the [`Inventory`] together with the
//! per-path errors that make it incomplete.

use crate::baseline::Baseline;
use crate::collect::{self, Collector, RunOptions};
use crate::detect::DetectorSet;
use crate::inventory;
use crate::model::{
    Inventory, Level, SCHEMA_VERSION, ScanSummary, Scope, SourceState, SourceStatus, Timestamp,
    ToolInfo,
};
use crate::policy;
use crate::scan::git::{self, HistoryOptions};
use crate::scan::{self, Progress, ScanError, WalkOptions, redact::Fingerprinter};
use std::sync::Arc;
use std::time::Instant;

pub struct ScanRequest<'a> {
    pub set: &'a DetectorSet,
    pub walk: WalkOptions,
    pub baseline: Option<&'a Baseline>,
    pub fingerprinter: Fingerprinter,
    /// Policy levels, thresholds and suppressions (nhiscan.toml or defaults).
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
    let cx = collect::Context {
        now: req.now,
        fingerprinter: req.fingerprinter.clone(),
        calls_in_flight: 8,
    };
    // Collectors wait on the network; the file scan keeps the CPUs busy meanwhile.
    let (local, collected) = std::thread::scope(|s| {
        let remote = s.spawn(|| collect::run(req.collectors.clone(), cx, req.collect));
        let local = scan_local(req, progress);
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
    let LocalScan {
        output,
        mut identities,
        mut sources,
        mut summary,
    } = local;
    let mut remote = Vec::new();
    for c in collected {
        inventory::merge::merge_collected(&mut identities, c.identities);
        sources.push(c.status);
        scan_documents(req, &c.documents, &mut identities);
        remote.extend(c.repositories);
    }
    let repositories =
        scan_remote_repositories(req, remote, &mut identities, &mut sources, &mut summary);
    inventory::merge::correlate(&mut identities);
    inventory::settle(&mut identities, req.now);
    let root = req.walk.paths.first().cloned().unwrap_or_default();
    let codeowners = crate::owners::Codeowners::discover(&root);
    crate::owners::OwnerResolver {
        rules: &req.config.owners,
        tag_keys: &req.config.tag_keys,
        codeowners: codeowners.as_ref(),
        repositories: &repositories,
    }
    .resolve(&mut identities);
    let (findings, suppressed) = policy::judge(
        req.set,
        &output.secrets,
        &identities,
        req.baseline,
        req.now,
        &req.config.thresholds,
    );
    let (findings, suppressed_config) = policy::apply_config(findings, &req.config, req.now);
    let errors = output.errors;
    summary = ScanSummary {
        files_scanned: output.stats.files_scanned,
        bytes_scanned: output.stats.bytes_scanned,
        skipped_binary: output.stats.skipped_binary,
        skipped_too_large: output.stats.skipped_too_large,
        errors: errors.len() as u64,
        suppressed_inline: output.stats.suppressed_inline,
        suppressed_baseline: suppressed.baseline,
        suppressed_config,
        findings_deny: findings.iter().filter(|f| f.level == Level::Deny).count() as u64,
        findings_warn: findings.iter().filter(|f| f.level == Level::Warn).count() as u64,
        detectors: req.set.len() as u64,
        elapsed_ms: started.elapsed().as_millis() as u64,
        ..summary
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
            ..req.scope.clone()
        },
        sources,
        identities,
        findings,
        summary,
    };
    ScanResult { inventory, errors }
}

/// What the file and history scanners produced.
struct LocalScan {
    output: scan::ScanOutput,
    identities: Vec<crate::model::Identity>,
    sources: Vec<SourceStatus>,
    summary: ScanSummary,
}

/// The file scan of every path, then the history of every path that is a repository.
fn scan_local(req: &ScanRequest<'_>, progress: &dyn Progress) -> LocalScan {
    if req.walk.paths.is_empty() {
        return LocalScan {
            output: scan::ScanOutput::default(),
            identities: Vec::new(),
            sources: Vec::new(),
            summary: ScanSummary::default(),
        };
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
    let output = if walk.paths.is_empty() {
        scan::ScanOutput::default()
    } else {
        scan::scan_paths(req.set, &req.fingerprinter, &walk, progress)
    };
    let mut identities = inventory::identities_from_scan(req.set, &output, req.now);
    let mut sources = vec![SourceStatus {
        id: "files".into(),
        status: if output.errors.is_empty() {
            SourceState::Ok
        } else {
            SourceState::Partial
        },
        items: identities.len() as u64,
        errors: output.errors.iter().map(|e| e.to_string()).collect(),
        warnings: Vec::new(),
        api_calls: 0,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }];
    let mut summary = ScanSummary::default();
    if let Some(opts) = &req.history {
        for path in req.walk.paths.iter().filter(|p| git::is_repository(p)) {
            let id = format!("git:{}", scan::display_path(path));
            let (source, secrets, stats) = scan_one_history(req, path, opts, id);
            inventory::merge_history(req.set, &mut identities, &secrets, req.now);
            add_history_stats(&mut summary, &stats);
            sources.push(source);
        }
    }
    LocalScan {
        output,
        identities,
        sources,
        summary,
    }
}

/// Secrets in values a collector read (a cluster Secret's data): identities with an
/// exposure at the value's name, owned through the labels of the object holding it. They
/// are stored where secrets belong, so they are no `leaked-secret`; they correlate with a
/// collected identity of the same fingerprint like any found secret.
fn scan_documents(
    req: &ScanRequest<'_>,
    documents: &[collect::Document],
    identities: &mut Vec<crate::model::Identity>,
) {
    if documents.is_empty() {
        return;
    }
    let mut scanner = scan::file::FileScanner::new(req.set, &req.fingerprinter);
    let mut found = scan::FileFindings::default();
    for d in documents {
        // Reading from memory cannot fail; a binary value is skipped like a binary file.
        let _ = scanner.scan_reader(d.bytes.as_slice(), &d.path, &mut found);
    }
    let output = scan::ScanOutput {
        secrets: found.secrets,
        certificates: found.certificates,
        ..Default::default()
    };
    let tags: std::collections::HashMap<&str, &std::collections::BTreeMap<String, String>> =
        documents
            .iter()
            .map(|d| (d.path.as_str(), &d.tags))
            .collect();
    let mut found = inventory::identities_from_scan(req.set, &output, req.now);
    for identity in &mut found {
        identity.provider = crate::model::Provider::Kubernetes;
        let source = identity
            .exposures
            .first()
            .and_then(|e| tags.get(e.path.as_str()));
        for (k, v) in source.into_iter().flat_map(|t| t.iter()) {
            identity.tags.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    inventory::merge::merge_collected(identities, found);
}

fn add_history_stats(summary: &mut ScanSummary, stats: &git::HistoryStats) {
    summary.commits_scanned += stats.commits;
    summary.blobs_scanned += stats.blobs_scanned;
    summary.blobs_cached += stats.blobs_cached;
    summary.history_bytes_scanned += stats.bytes_scanned;
}

/// Repositories cloned at once: each is a network transfer and a disk write, so a few keep
/// both busy while the history scanner works on the last one that arrived.
const CLONES_IN_FLIGHT: usize = 3;

/// Repositories a collector found (`--github-clone`): cloned a few at a time, each
/// history-scanned as source `git:org/repo` as soon as it arrives and then deleted, so the
/// disk holds only the clones in flight. Exposures are named `org/repo:path`. A repository
/// that cannot be cloned is an error of the collector's source. Clones are scanned even
/// with `--no-history`: their history is all there is of them here. Returns the owners of
/// the repositories, for the owner resolver.
fn scan_remote_repositories(
    req: &ScanRequest<'_>,
    repos: Vec<collect::RemoteRepository>,
    identities: &mut Vec<crate::model::Identity>,
    sources: &mut Vec<SourceStatus>,
    summary: &mut ScanSummary,
) -> Vec<crate::owners::RepositoryOwner> {
    if repos.is_empty() {
        return Vec::new();
    }
    let mut scanned = Vec::new();
    let mut failures = Vec::new();
    match tempfile::Builder::new().prefix("nhiscan-clone-").tempdir() {
        Ok(dir) => clone_and_scan(req, repos, dir.path(), &mut scanned, &mut failures),
        Err(e) => failures.extend(repos.into_iter().map(|r| {
            let msg = format!(
                "cannot clone {}: no temporary directory ({e}); set TMPDIR to a writable directory",
                r.label
            );
            (r.source, msg)
        })),
    }
    // Clones finish in any order; merge in name order so the inventory is deterministic.
    scanned.sort_by(|a, b| a.0.label.cmp(&b.0.label));
    let mut owners = Vec::new();
    for (repo, source, secrets, stats) in scanned {
        inventory::merge_history(req.set, identities, &secrets, req.now);
        add_history_stats(summary, &stats);
        sources.push(source);
        if let Some(owner) = repo.owner {
            owners.push(crate::owners::RepositoryOwner {
                prefix: format!("{}:", repo.label),
                owner,
            });
        }
    }
    failures.sort();
    for (source, message) in failures {
        if let Some(s) = sources.iter_mut().find(|s| s.id == source) {
            s.errors.push(message);
            if s.status == SourceState::Ok {
                s.status = SourceState::Partial;
            }
        }
    }
    owners
}

type ScannedRepository = (
    collect::RemoteRepository,
    SourceStatus,
    Vec<git::attribute::SecretInHistory>,
    git::HistoryStats,
);

/// Clone workers feed the scanning thread through a channel of one: at most
/// [`CLONES_IN_FLIGHT`] clones plus one waiting exist on disk at any time.
fn clone_and_scan(
    req: &ScanRequest<'_>,
    repos: Vec<collect::RemoteRepository>,
    dir: &std::path::Path,
    scanned: &mut Vec<ScannedRepository>,
    failures: &mut Vec<(String, String)>,
) {
    use collect::github::clone::clone_bare;
    let queue = std::sync::Mutex::new(repos.into_iter().enumerate());
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::scope(|s| {
        for _ in 0..CLONES_IN_FLIGHT {
            let tx = tx.clone();
            let queue = &queue;
            s.spawn(move || {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some((n, repo)) = next else { break };
                    let path = dir.join(format!("{n}.git"));
                    let cloned =
                        clone_bare(&repo.label, &repo.clone_url, &path, &repo.token, repo.depth);
                    if tx.send((repo, path, cloned)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (repo, path, cloned) in rx {
            match cloned {
                Ok(()) => {
                    let (source, secrets, stats) = scan_clone(req, &repo, &path);
                    let _ = std::fs::remove_dir_all(&path);
                    scanned.push((repo, source, secrets, stats));
                }
                Err(e) => failures.push((repo.source.clone(), e.to_string())),
            }
        }
    });
}

/// One clone's history, with its exposures named `org/repo:path`.
fn scan_clone(
    req: &ScanRequest<'_>,
    repo: &collect::RemoteRepository,
    path: &std::path::Path,
) -> (
    SourceStatus,
    Vec<git::attribute::SecretInHistory>,
    git::HistoryStats,
) {
    let opts = HistoryOptions {
        max_file_size: req.walk.max_file_size,
        threads: req.walk.threads,
        range: None,
        cache: req.history.as_ref().and_then(|h| h.cache.clone()),
    };
    let id = format!("git:{}", repo.label);
    let (source, mut secrets, stats) = scan_one_history(req, path, &opts, id);
    for secret in &mut secrets {
        for e in &mut secret.exposures {
            e.path = format!("{}:{}", repo.label, e.path);
        }
    }
    (source, secrets, stats)
}

/// Scan one repository's history; a failure is a failed source, never a clean result.
fn scan_one_history(
    req: &ScanRequest<'_>,
    path: &std::path::Path,
    opts: &HistoryOptions,
    id: String,
) -> (
    SourceStatus,
    Vec<git::attribute::SecretInHistory>,
    git::HistoryStats,
) {
    match git::scan_history(req.set, &req.fingerprinter, path, opts) {
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
