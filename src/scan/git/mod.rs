//! Git history: every blob once, the commit that introduced each secret, and whether it is
//! still in HEAD.
//!
//! Stages: [`graph`] loads every commit reachable from any ref (branches, tags, remotes;
//! bare and shallow repositories too) and orders them parents-first; [`blobs`] diffs each
//! commit against its first parent to record where every blob appeared and disappeared;
//! [`read`] scans each distinct blob exactly once on several threads (in pack order
//! through [`packs`] when the blobs to scan are at least an eighth of the packs' objects,
//! else by id), optionally skipping blobs already in a [`cache`]; [`attribute`] turns blob
//! matches into per-secret exposures with first commit, author, `in_head` and the commit
//! that removed the secret. The object database is read directly with gix; nothing
//! shells out to `git`.

pub mod attribute;
pub mod blobs;
pub mod cache;
pub mod graph;
mod heads;
mod objects;
mod packs;
mod range;
mod read;

use super::file::SecretMatch;
use super::redact::Fingerprinter;
use super::{HistoryPhase, Progress};
use crate::detect::DetectorSet;
use gix::ObjectId;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    pub max_file_size: u64,
    pub threads: usize,
    /// `A..B`: only blobs introduced by commits reachable from B and not from A.
    pub range: Option<String>,
    pub cache: Option<PathBuf>,
    /// Every object of the object database, also what no ref reaches: commits become part
    /// of the history, blobs no commit holds are scanned on their own.
    pub all_objects: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot open git repository {path}: {message}")]
    Open { path: String, message: String },
    #[error("{path}: {message}")]
    History { path: String, message: String },
    #[error("{path}: bad revision range `{range}`: {message}; use A..B or --since-commit REV")]
    Range {
        path: String,
        range: String,
        message: String,
    },
}

/// One secret found in one blob: the file scanner's match (its `path` is empty; a blob's
/// paths come from its history events) and the blob it was found in.
#[derive(Debug, Clone)]
pub struct BlobMatch {
    pub blob: u32,
    pub secret: SecretMatch,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryStats {
    /// Candidates the detectors rejected in scanned blobs, by reason.
    pub rejected: crate::detect::Rejections,
    pub commits: u64,
    pub blobs: u64,
    pub blobs_scanned: u64,
    pub blobs_cached: u64,
    pub bytes_scanned: u64,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
}

/// Everything a history scan learned about one repository.
#[derive(Debug, Default)]
pub struct HistoryOutput {
    /// The repository as the user named it.
    pub repo: String,
    pub graph: graph::CommitGraph,
    pub history: blobs::BlobHistory,
    pub matches: Vec<BlobMatch>,
    /// (path, blob) of HEAD's tree; empty for an unborn HEAD.
    pub head: HashSet<(String, ObjectId)>,
    /// Commits of the requested range (all commits when no range was given).
    pub in_range: Option<HashSet<u32>>,
    pub stats: HistoryStats,
    /// Text blobs over `--max-file-size` (blob, size): history that went unscanned.
    pub skipped_text: Vec<(u32, u64)>,
    /// Blobs no commit holds (`--all-objects`), scanned on their own: the last of
    /// `history.blobs`, with no events.
    pub orphans: std::ops::Range<u32>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

/// True when `path` is the root of a git repository (work tree or bare).
pub fn is_repository(path: &Path) -> bool {
    path.join(".git").exists() || is_bare(path)
}

/// A bare repository (or mirror) has no working tree: its files are git's own.
pub fn is_bare(path: &Path) -> bool {
    !path.join(".git").exists() && path.join("HEAD").is_file() && path.join("objects").is_dir()
}

/// Scan the full history (or `opts.range`) of the repository at `path`.
pub fn scan_history(
    set: &DetectorSet,
    fingerprinter: &Fingerprinter,
    path: &Path,
    opts: &HistoryOptions,
    progress: &dyn Progress,
) -> Result<HistoryOutput, GitError> {
    let display = super::display_path(path);
    let history_err = |e: graph::GraphError| GitError::History {
        path: display.clone(),
        message: e.to_string(),
    };
    let mut repo = gix::open(path).map_err(|e| GitError::Open {
        path: display.clone(),
        message: e.to_string(),
    })?;
    // The commit graph, HEAD's tree and a range's trees are read once each: the diff
    // threads set their own cache; blobs mostly come in pack order, without one.
    repo.object_cache_size_if_unset(4 * 1024 * 1024);
    // The history the objects record, not the one replace refs paint over it.
    repo.objects.ignore_replacements = true;
    let (tips, skipped_refs) = graph::ref_tips(&repo).map_err(history_err)?;
    let mut out = HistoryOutput {
        repo: display.clone(),
        ..HistoryOutput::default()
    };
    out.warnings.extend(skipped_refs);
    let objects = opts.all_objects.then(|| objects::every_object(&repo));
    if let Some(all) = &objects {
        out.errors.extend(all.errors.iter().cloned());
    }
    let replaced = replace_refs(&repo);
    if replaced > 0 {
        out.warnings.push(format!(
            "{replaced} replace ref(s) under refs/replace/ rewrite this repository's history for git commands; nhiscan scanned the history the objects record (as with GIT_NO_REPLACE_OBJECTS), plus the replacement commits themselves"
        ));
    }
    let shallow = graph::shallow_commits(&repo).map_err(history_err)?;
    let listed = objects.as_ref().map_or(&[][..], |all| &all.commits[..]);
    let threads = thread_count(opts.threads);
    // Commits are decoded ahead from packs opened for it alone: reading every entry's head
    // makes each pack resident through its mapping, which is let go before the history is
    // diffed.
    let decoded = graph::decode_commits(&packs::Packs::of(&repo), threads);
    let packs = packs::Packs::of(&repo);
    // The one-core part of reading blobs in pack order, done on a core of its own while
    // the commit graph is walked (on one core) and the history diffed. Not when it would
    // likely go unused (a range or a warm cache reads few blobs, by id), nor past the
    // threads the user allowed.
    let warm_cache = opts.cache.as_ref().is_some_and(|c| c.exists());
    let ahead = threads > 1 && opts.range.is_none() && !warm_cache;
    let prepared = ahead.then(|| read::prepare_packs(packs));
    out.graph = graph::load(&repo, &tips, listed, &shallow, decoded).map_err(history_err)?;
    out.warnings.append(&mut out.graph.skipped_refs);
    out.errors
        .extend(out.graph.problems.iter().map(ToString::to_string));
    if out.graph.truncated {
        out.warnings.push(
            "history is truncated (shallow clone): secrets older than the shallow boundary are not seen; run `git fetch --unshallow` for a full scan".into(),
        );
    }
    if let Some(range) = &opts.range {
        let selected =
            range::range_commits(&repo, &out.graph, range).map_err(|message| GitError::Range {
                path: display.clone(),
                range: range.clone(),
                message,
            })?;
        if let Some(why) = selected.empty_because {
            out.warnings.push(format!(
                "the range `{range}` selects no commits, so no history was scanned: {why}"
            ));
        }
        out.in_range = Some(selected.commits);
    }
    let sync = repo.clone().into_sync();
    progress.history_phase(
        &display,
        HistoryPhase::Diffing,
        out.graph.commits.len() as u64,
    );
    out.history = blobs::collect(&sync, &out.graph, threads, progress);
    out.errors.append(&mut out.history.errors);
    if let Some(all) = objects {
        let unreachable = objects::unreachable_commits(&out.graph, &out.graph.tips);
        out.orphans = out.history.add_orphans(all.blobs);
        out.warnings.push(format!(
            "--all-objects: {unreachable} commit(s) no ref reaches and {} blob(s) no commit holds were scanned too",
            out.orphans.len()
        ));
    }
    drop_ignored_paths(path, &mut out);
    if let Ok(tree) = repo.head_tree_id() {
        match blobs::snapshot(&repo, tree.detach()) {
            Ok(head) => out.head = head,
            Err(e) => out.errors.push(format!("HEAD tree: {e}")),
        }
    }
    let mut submodules: Vec<String> = out.history.submodules.iter().cloned().collect();
    submodules.sort();
    for s in submodules {
        out.warnings.push(format!(
            "submodule {s} is reported, not followed; scan its repository separately"
        ));
    }
    let selected = select_blobs(&out);
    out.stats.commits = out.graph.commits.len() as u64;
    out.stats.blobs = out.history.blobs.len() as u64;
    let detection = read::Detection { set, fingerprinter };
    scan_selected(
        detection, &sync, opts, &selected, prepared, &mut out, progress,
    );
    if out.in_range.is_some() {
        trace_back_in_range_secrets(detection, &sync, opts, &mut out);
    }
    report_skipped_blobs(opts, &mut out);
    Ok(out)
}

/// Blobs not scanned are counted and said: binary ones as a note, text over the size limit
/// as an error (history went unscanned), naming the largest and where it first appeared.
fn report_skipped_blobs(opts: &HistoryOptions, out: &mut HistoryOutput) {
    if out.stats.skipped_binary > 0 {
        out.warnings.push(format!(
            "{} binary blob(s) were not searched (a NUL byte in their first 8 KiB); keystores among them are still recognised",
            out.stats.skipped_binary
        ));
    }
    let binary_large = out.stats.skipped_too_large - out.skipped_text.len() as u64;
    if binary_large > 0 {
        out.warnings.push(format!(
            "{binary_large} binary blob(s) over --max-file-size ({}) were not read",
            crate::model::text::human_size(opts.max_file_size)
        ));
    }
    let Some(&(largest, size)) = out.skipped_text.iter().max_by_key(|(b, size)| (*size, *b)) else {
        return;
    };
    let first = out.history.introduced[largest as usize].first().copied();
    let place = match first {
        Some(e) => format!(
            "{} in commit {}",
            &out.history.paths[e.path], out.graph.commits[e.commit as usize].id
        ),
        None => "not on any path".to_string(),
    };
    out.errors.push(format!(
        "{} text blob(s) over --max-file-size ({}) were not scanned; the largest is {} ({}, blob {}); raise --max-file-size to scan them",
        out.skipped_text.len(),
        crate::model::text::human_size(opts.max_file_size),
        place,
        crate::model::text::human_size(size),
        out.history.blobs[largest as usize]
    ));
}

/// `.nhiscanignore` at the repository root applies to history as it does to the tree:
/// introductions at ignored paths are forgotten, and a blob only ever at ignored paths is
/// not scanned.
fn drop_ignored_paths(root: &Path, out: &mut HistoryOutput) {
    let file = root.join(super::walk::NHISCAN_IGNORE_FILE);
    if !file.is_file() {
        return;
    }
    let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
    if let Some(e) = builder.add(&file) {
        out.warnings.push(format!("{}: {e}", file.display()));
    }
    let Ok(matcher) = builder.build() else { return };
    let ignored: Vec<bool> = out
        .history
        .paths
        .iter()
        .map(|p| matcher.matched_path_or_any_parents(p, false).is_ignore())
        .collect();
    for events in &mut out.history.introduced {
        events.retain(|e| !ignored[e.path as usize]);
    }
}

/// How many refs under `refs/replace/` the repository has.
fn replace_refs(repo: &gix::Repository) -> usize {
    repo.references()
        .ok()
        .and_then(|platform| {
            platform
                .prefixed("refs/replace/")
                .ok()
                .map(|refs| refs.count())
        })
        .unwrap_or(0)
}

fn thread_count(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Blobs to scan: all of them, or those introduced by a commit of the range.
fn select_blobs(out: &HistoryOutput) -> Vec<u32> {
    (0..out.history.blobs.len() as u32)
        .filter(|&b| {
            let events = &out.history.introduced[b as usize];
            match &out.in_range {
                None => !events.is_empty() || out.orphans.contains(&b),
                Some(range) => events.iter().any(|e| range.contains(&e.commit)),
            }
        })
        .collect()
}

/// In a range scan, a secret found in a blob the range introduced may be older than the
/// range: scan the earlier versions of the same paths so it keeps its true first commit.
fn trace_back_in_range_secrets(
    detection: read::Detection<'_>,
    sync: &gix::ThreadSafeRepository,
    opts: &HistoryOptions,
    out: &mut HistoryOutput,
) {
    let scanned: HashSet<u32> = out.matches.iter().map(|m| m.blob).collect();
    let paths: HashSet<u32> = scanned
        .iter()
        .flat_map(|&b| out.history.introduced[b as usize].iter().map(|e| e.path))
        .collect();
    let range = out.in_range.clone().unwrap_or_default();
    let older: Vec<u32> = (0..out.history.blobs.len() as u32)
        .filter(|b| !scanned.contains(b))
        .filter(|&b| {
            out.history.introduced[b as usize]
                .iter()
                .any(|e| paths.contains(&e.path) && !range.contains(&e.commit))
        })
        .collect();
    let found: HashSet<String> = out
        .matches
        .iter()
        .map(|m| m.secret.fingerprint.clone())
        .collect();
    let before = out.matches.len();
    // A quiet pass: the range's own blobs were the progress the user waited for.
    scan_selected(detection, sync, opts, &older, None, out, &());
    // Keep only earlier sightings of secrets the range contains; others are not new.
    let mut tail = out.matches.split_off(before);
    tail.retain(|m| found.contains(&m.secret.fingerprint));
    out.matches.extend(tail);
}

/// Scan `selected` blobs in parallel ([`read`]), using and
/// updating the cache when one was given.
fn scan_selected(
    detection: read::Detection<'_>,
    sync: &gix::ThreadSafeRepository,
    opts: &HistoryOptions,
    selected: &[u32],
    prepared: Option<read::PreparedPacks>,
    out: &mut HistoryOutput,
    progress: &dyn Progress,
) {
    let read::Detection { set, fingerprinter } = detection;
    let mut cache = opts.cache.as_deref().map(|p| {
        match cache::BlobCache::load(p, set, fingerprinter) {
            // Not a cache (truncated, another tool's file): start afresh and rewrite it.
            Err(e @ cache::CacheError::Parse { .. }) => {
                out.warnings.push(e.to_string());
                Ok(cache::BlobCache::empty(set, fingerprinter))
            }
            other => other,
        }
    });
    if let Some(Err(e)) = &cache {
        out.warnings.push(e.to_string());
    }
    let mut todo = Vec::new();
    for &b in selected {
        let oid = out.history.blobs[b as usize];
        match cache
            .as_ref()
            .and_then(|c| c.as_ref().ok())
            .and_then(|c| c.get(&oid))
        {
            Some(hits) => {
                out.stats.blobs_cached += 1;
                out.matches.extend(hits.iter().map(|h| h.to_match(b)));
            }
            None => todo.push(b),
        }
    }
    progress.history_phase(&out.repo, HistoryPhase::Scanning, todo.len() as u64);
    let result = read::scan_parallel(
        detection,
        sync,
        opts,
        &out.history.blobs,
        &todo,
        prepared,
        progress,
    );
    if let Some(Ok(c)) = &mut cache {
        let unfinished: HashSet<u32> = result.unfinished.iter().copied().collect();
        for &b in todo.iter().filter(|b| !unfinished.contains(b)) {
            let oid = out.history.blobs[b as usize];
            let hits = result.matches.iter().filter(|m| m.blob == b);
            c.insert(
                oid,
                hits.map(|m| cache::CachedMatch::from_match(set, m))
                    .collect(),
            );
        }
        if let Some(path) = &opts.cache
            && let Err(e) = c.save(path)
        {
            out.warnings.push(e.to_string());
        }
    }
    out.stats.blobs_scanned += result.scanned;
    out.stats.bytes_scanned += result.bytes;
    out.stats.skipped_binary += result.binary;
    out.stats.skipped_too_large += result.too_large;
    out.skipped_text.extend(result.too_large_text);
    out.stats.rejected.merge(&result.rejected);
    out.warnings.extend(result.warnings);
    out.matches.extend(result.matches);
    // Threads finish in any order: the same repository gives the same list.
    let mut errors = result.errors;
    errors.sort();
    out.errors.extend(errors);
    out.matches.sort_by(|a, b| {
        (a.blob, a.secret.line, a.secret.column, a.secret.detector).cmp(&(
            b.blob,
            b.secret.line,
            b.secret.column,
            b.secret.detector,
        ))
    });
}
