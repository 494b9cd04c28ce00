//! Reading and scanning the selected blobs on several threads: in pack order
//! ([`super::packs`]) when they are at least an eighth of the packs' objects, the rest by
//! id, each thread with its own scanner and results, merged at the end.

use super::packs::Packs;
use super::{BlobMatch, HistoryOptions, thread_count};
use crate::detect::DetectorSet;
use crate::scan::Progress;
use crate::scan::file::{FileFindings, FileOutcome, FileScanner};
use crate::scan::redact::Fingerprinter;
use gix::ObjectId;
use gix::prelude::FindExt;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What finds secrets in a blob: the detectors and the fingerprinter of their values.
#[derive(Clone, Copy)]
pub(super) struct Detection<'a> {
    pub(super) set: &'a DetectorSet,
    pub(super) fingerprinter: &'a Fingerprinter,
}

/// The packs opened and their delta trees built on a thread of their own, while the
/// history is walked and diffed ([`Packs::index`]).
pub(super) type PreparedPacks = std::thread::JoinHandle<Packs>;

/// Start preparing `packs` for [`scan_parallel`].
pub(super) fn prepare_packs(mut packs: Packs) -> PreparedPacks {
    std::thread::spawn(move || {
        packs.index();
        packs
    })
}

#[derive(Default)]
pub(super) struct ParallelResult {
    pub(super) matches: Vec<BlobMatch>,
    pub(super) errors: Vec<String>,
    pub(super) scanned: u64,
    pub(super) bytes: u64,
    pub(super) binary: u64,
    pub(super) too_large: u64,
    /// Text blobs over the size limit: (blob, size).
    pub(super) too_large_text: Vec<(u32, u64)>,
    pub(super) rejected: crate::detect::Rejections,
    /// Blobs not scanned whole (unreadable, over the size limit, a scan error, findings
    /// over the cap): never cached as clean, so the next run reports them again.
    pub(super) unfinished: Vec<u32>,
    /// Packs that could not be read in their own order (their blobs were read by id).
    pub(super) warnings: Vec<String>,
}

/// Scan the `todo` blobs on `opts.threads` threads: those of the repository's packs in
/// pack order when enough are wanted ([`Packs::worth_it`]), the rest (and all of them
/// otherwise) read by id, one repository handle per thread.
pub(super) fn scan_parallel(
    Detection { set, fingerprinter }: Detection<'_>,
    sync: &gix::ThreadSafeRepository,
    opts: &HistoryOptions,
    blob_ids: &[ObjectId],
    todo: &[u32],
    prepared: Option<PreparedPacks>,
    progress: &dyn Progress,
) -> ParallelResult {
    let merged = Mutex::new(ParallelResult::default());
    let threads = thread_count(opts.threads);
    let worker = BlobWorker {
        set,
        fingerprinter,
        opts,
        blob_ids,
        progress,
        merged: &merged,
        scanner: None,
        local: ParallelResult::default(),
    };
    let delivered: Vec<AtomicBool> = blob_ids.iter().map(|_| AtomicBool::new(false)).collect();
    // A preparing thread that stopped only cost its head start: the packs are opened here.
    let mut packs = prepared
        .and_then(|p| p.join().ok())
        .unwrap_or_else(|| Packs::of(&sync.to_thread_local()));
    if packs.worth_it(todo.len()) {
        let wanted: HashMap<ObjectId, u32> =
            todo.iter().map(|&b| (blob_ids[b as usize], b)).collect();
        let mut packed = worker.clone();
        packs.read(&wanted, &delivered, threads, move |blob, data| {
            packed.scan(blob, data);
        });
        merged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .warnings
            .append(&mut packs.warnings);
    }
    let rest: Vec<u32> = todo
        .iter()
        .copied()
        .filter(|&b| !delivered[b as usize].load(Ordering::Relaxed))
        .collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(rest.len()) {
            let mut worker = worker.clone();
            let (next, rest) = (&next, &rest);
            scope.spawn(move || {
                let mut repo = sync.to_thread_local();
                repo.objects.ignore_replacements = true;
                let mut buf = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&b) = rest.get(i) else { break };
                    let oid = blob_ids[b as usize];
                    match repo.objects.find_blob(&oid, &mut buf) {
                        Ok(blob) => worker.scan(b, blob.data),
                        Err(e) => {
                            worker.local.errors.push(format!("blob {oid}: {e}"));
                            worker.local.unfinished.push(b);
                            progress.history_step();
                        }
                    }
                }
            });
        }
    });
    drop(worker);
    merged.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// One scanning thread's state: its scanner (made on first use) and its results, merged
/// into the shared result when it is dropped. A clone starts empty, so each thread a pack
/// traversal or the read-by-id loop starts gets its own.
struct BlobWorker<'a> {
    set: &'a DetectorSet,
    fingerprinter: &'a Fingerprinter,
    opts: &'a HistoryOptions,
    blob_ids: &'a [ObjectId],
    progress: &'a dyn Progress,
    merged: &'a Mutex<ParallelResult>,
    scanner: Option<FileScanner<'a>>,
    local: ParallelResult,
}

impl Clone for BlobWorker<'_> {
    fn clone(&self) -> Self {
        BlobWorker {
            scanner: None,
            local: ParallelResult::default(),
            ..*self
        }
    }
}

impl Drop for BlobWorker<'_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        let mut m = self.merged.lock().unwrap_or_else(|e| e.into_inner());
        m.merge(local);
    }
}

impl ParallelResult {
    fn merge(&mut self, mut other: ParallelResult) {
        self.matches.append(&mut other.matches);
        self.errors.append(&mut other.errors);
        self.scanned += other.scanned;
        self.bytes += other.bytes;
        self.binary += other.binary;
        self.too_large += other.too_large;
        self.too_large_text.append(&mut other.too_large_text);
        self.rejected.merge(&other.rejected);
        self.unfinished.append(&mut other.unfinished);
        self.warnings.append(&mut other.warnings);
    }
}

impl BlobWorker<'_> {
    /// Scan blob number `blob`, whose content is `data`.
    fn scan(&mut self, blob: u32, data: &[u8]) {
        self.progress.history_step();
        let oid = self.blob_ids[blob as usize];
        let out = &mut self.local;
        if data.len() as u64 > self.opts.max_file_size {
            out.too_large += 1;
            out.unfinished.push(blob);
            if !crate::scan::file::is_binary(data) {
                out.too_large_text.push((blob, data.len() as u64));
            }
            return;
        }
        let scanner = self
            .scanner
            .get_or_insert_with(|| FileScanner::new(self.set, self.fingerprinter));
        let mut findings = FileFindings::default();
        match scanner.scan_bytes(data, "", &mut findings) {
            // A blob is in memory and already within the limit: never truncated.
            Ok(FileOutcome::Scanned { bytes } | FileOutcome::Truncated { bytes }) => {
                out.scanned += 1;
                out.bytes += bytes;
            }
            Ok(FileOutcome::Binary) => out.binary += 1,
            Err(e) => {
                out.errors.push(format!("blob {oid}: {e}"));
                out.unfinished.push(blob);
            }
        }
        out.rejected.merge(&findings.rejected);
        if !findings.capped.is_empty() {
            out.unfinished.push(blob);
        }
        for (_, n) in findings.capped {
            out.errors
                .push(format!("blob {oid}: {}", crate::scan::capped_message(n)));
        }
        out.matches.extend(
            findings
                .secrets
                .into_iter()
                .map(|secret| BlobMatch { blob, secret }),
        );
    }
}
