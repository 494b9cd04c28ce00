//! Repositories a source listed (`--github-clone`): cloned a few at a time, each
//! history-scanned as source `git:org/repo` as soon as it arrives and then deleted.

use super::ScanRequest;
use super::local::{add_history_stats, history};
use crate::collect::RemoteRepository;
use crate::collect::clone::clone_bare;
use crate::inventory::{Builder, HistoryRepository};
use crate::model::{ScanSummary, SourceState, SourceStatus};
use crate::owners::RepositoryOwner;
use crate::scan::git::{self, HistoryOptions, attribute::SecretInHistory};

/// Repositories cloned at once: each is a network transfer and a disk write, so a few keep
/// both busy while the history scanner works on the last one that arrived.
const CLONES_IN_FLIGHT: usize = 3;

/// Repositories a collector found (`--github-clone`): cloned a few at a time, each
/// history-scanned as source `git:org/repo` as soon as it arrives and then deleted, so the
/// disk holds only the clones in flight. Exposures are named `org/repo:path`. A repository
/// that cannot be cloned is an error of the collector's source. Clones are scanned even
/// with `--no-history`: their history is all there is of them here. Returns the owners of
/// the repositories, for the owner resolver.
pub(super) fn scan(
    req: &ScanRequest<'_>,
    repos: Vec<RemoteRepository>,
    builder: &mut Builder<'_>,
    sources: &mut Vec<SourceStatus>,
    summary: &mut ScanSummary,
) -> Vec<RepositoryOwner> {
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
        let cloned = HistoryRepository::Clone {
            source: repo.source.clone(),
            repository: repo.label.clone(),
        };
        builder.add_history(&cloned, &secrets);
        add_history_stats(summary, &stats);
        sources.push(source);
        if let Some(owner) = repo.owner {
            owners.push(RepositoryOwner {
                repository: repo.label,
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
    RemoteRepository,
    SourceStatus,
    Vec<SecretInHistory>,
    git::HistoryStats,
);

/// Clone workers feed the scanning thread through a channel of one: at most
/// [`CLONES_IN_FLIGHT`] clones plus one waiting exist on disk at any time.
fn clone_and_scan(
    req: &ScanRequest<'_>,
    repos: Vec<RemoteRepository>,
    dir: &std::path::Path,
    scanned: &mut Vec<ScannedRepository>,
    failures: &mut Vec<(String, String)>,
) {
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
                    let cloned = clone_bare(
                        &repo.label,
                        &repo.clone_url,
                        repo.local,
                        &path,
                        (repo.username, &repo.token),
                        repo.depth,
                    );
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

/// One clone's history (the builder names its exposures `org/repo:path`).
fn scan_clone(
    req: &ScanRequest<'_>,
    repo: &RemoteRepository,
    path: &std::path::Path,
) -> (SourceStatus, Vec<SecretInHistory>, git::HistoryStats) {
    let opts = HistoryOptions {
        max_file_size: req.walk.max_file_size,
        threads: req.walk.threads,
        range: None,
        cache: req.history.as_ref().and_then(|h| h.cache.clone()),
        // A fresh clone holds only what its refs reach: nothing more to list.
        all_objects: false,
    };
    let id = format!("git:{}", repo.label);
    // Clones are scanned on collector threads, beside the local scan's progress bar.
    history(req, path, &opts, id, &())
}
