//! The file scanner: walk a tree in parallel and find secrets and certificates in it.
//!
//! Stages, one module each: [`walk`] decides which files to read (honouring `.gitignore`
//! and `.nhiscanignore`); [`file`] reads one file in bounded chunks and runs the detector
//! set; [`redact`] turns each value into a fingerprint and preview; [`cert`] parses
//! certificates; [`tracked`] finds committed files the ignore rules made the walk skip;
//! [`inputs`] reads what is not a tree (the index's staged blobs, standard input). Each walker thread owns its scratch state and output, merged once at the
//! end, so threads never contend on a lock while scanning. A file that cannot be read is
//! reported and skipped; the rest of the scan goes on.

pub mod cert;
pub mod file;
pub mod git;
pub mod inputs;
pub mod keep;
pub mod redact;
mod tracked;
pub mod utf16;
pub(crate) mod walk;

pub use walk::{display_path, normalize, source_root};

pub use file::{CertificateMatch, FileFindings, SecretMatch};
pub use walk::WalkOptions;

use crate::detect::DetectorSet;
use file::{FileOutcome, FileScanner};
use redact::Fingerprinter;
use std::sync::Mutex;

/// A file or directory that could not be scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanStats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
    pub suppressed_inline: u64,
    /// FIFOs, sockets and devices met while walking, never opened.
    pub skipped_special: u64,
    /// Candidates the detectors rejected, by reason.
    pub rejected: crate::detect::Rejections,
}

/// Everything the file scan found, merged from all workers and sorted by path and line.
#[derive(Debug, Default)]
pub struct ScanOutput {
    pub secrets: Vec<SecretMatch>,
    pub certificates: Vec<CertificateMatch>,
    pub stats: ScanStats,
    pub errors: Vec<ScanError>,
    /// Special files met while walking (`path (FIFO)`), sorted.
    pub special: Vec<String>,
}

/// Called after each file, from worker threads (for a progress display).
pub trait Progress: Sync {
    fn file_done(&self, bytes: u64);
    /// A repository's history reached `phase`, which has `total` steps.
    fn history_phase(&self, _repository: &str, _phase: HistoryPhase, _total: u64) {}
    /// One more step of the current history phase.
    fn history_step(&self) {}
}

/// The two long phases of a history scan, as progress reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryPhase {
    /// Commits compared with their first parent, to learn which blobs each introduced.
    Diffing,
    /// Blobs searched (those a cache does not already know).
    Scanning,
}

impl Progress for () {
    fn file_done(&self, _bytes: u64) {}
}

/// Scan every file under `opts.paths`.
pub fn scan_paths(
    set: &DetectorSet,
    fingerprinter: &Fingerprinter,
    opts: &WalkOptions,
    progress: &dyn Progress,
) -> ScanOutput {
    let merged = Mutex::new(Vec::<WorkerOutput>::new());
    // Committed files are scanned whatever .gitignore says (see `tracked`); the walk
    // remembers the files it met only when there are committed files to check.
    let repositories = if opts.no_ignore {
        tracked::Repositories::discover(&[])
    } else {
        tracked::Repositories::discover(&opts.paths)
    };
    let record_visited = !repositories.is_empty();
    let run = |walker: ignore::WalkParallel| {
        walker.run(|| {
            let mut worker = Worker {
                scanner: FileScanner::new(set, fingerprinter),
                out: WorkerOutput::default(),
                merged: &merged,
                max_file_size: opts.max_file_size,
                progress,
                record_visited,
            };
            Box::new(move |entry| {
                worker.visit(entry);
                ignore::WalkState::Continue
            })
        })
    };
    run(walk::build(opts));
    if record_visited {
        let visited: std::collections::HashSet<std::path::PathBuf> = merged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter_mut()
            .flat_map(|o| std::mem::take(&mut o.visited))
            .collect();
        let missed = repositories.missed(&visited);
        if !missed.is_empty() {
            run(walk::build_selected(&opts.paths, &missed, opts.threads));
        }
    }
    merge(merged.into_inner().unwrap_or_else(|e| e.into_inner()))
}

#[derive(Debug, Default)]
struct WorkerOutput {
    findings: FileFindings,
    stats: ScanStats,
    errors: Vec<ScanError>,
    special: Vec<String>,
    /// Every file the walk met, for finding committed files it skipped.
    visited: Vec<std::path::PathBuf>,
}

struct Worker<'a> {
    scanner: FileScanner<'a>,
    out: WorkerOutput,
    merged: &'a Mutex<Vec<WorkerOutput>>,
    max_file_size: u64,
    progress: &'a dyn Progress,
    /// Remember every file met, for [`tracked`] (only inside a git repository).
    record_visited: bool,
}

impl Worker<'_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                self.out.errors.push(walk::describe_error(&err));
                return;
            }
        };
        let Some(kind) = entry.file_type() else {
            return; // stdin as a path is not something the walker yields
        };
        let path = entry.path();
        if kind.is_dir() {
            return;
        }
        if self.record_visited {
            self.out.visited.push(path.to_path_buf());
        }
        let display = walk::display_path(path);
        if !kind.is_file() {
            if entry.depth() == 0 {
                // Named on the command line: a FIFO, `<(cmd)`, `/dev/stdin`, a symbolic
                // link. The user asked for it, so it is read, or said to be unreadable.
                self.visit_named_special(path, display);
            } else if let Some(what) = special_kind(&kind) {
                // Met while walking: never opened (a FIFO would block the scan).
                self.out.stats.skipped_special += 1;
                self.out.special.push(format!("{display} ({what})"));
            }
            return;
        }
        let size = match entry.metadata() {
            Ok(m) => m.len(),
            Err(err) => {
                self.out.errors.push(walk::describe_error(&err));
                return;
            }
        };
        if size > self.max_file_size {
            self.out.stats.skipped_too_large += 1;
            return;
        }
        self.read(path, display, false);
    }

    /// A path the user named that is not a regular file or directory.
    fn visit_named_special(&mut self, path: &std::path::Path, display: String) {
        match std::fs::metadata(path) {
            // A symbolic link to a directory is walked by the walker itself.
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.is_file() && m.len() > self.max_file_size => {
                self.out.stats.skipped_too_large += 1;
            }
            Ok(m) if m.is_file() => self.read(path, display, false),
            Ok(m) if is_socket(&m) => self.out.errors.push(ScanError {
                path: display,
                message:
                    "is a socket, which cannot be read as a file; scan what it serves another way"
                        .into(),
            }),
            // A FIFO, process substitution, `/dev/stdin`, a character device: a stream.
            Ok(_) => self.read(path, display, true),
            Err(err) => self.out.errors.push(ScanError {
                path: display,
                message: format!("cannot read it: {err}; check the path"),
            }),
        }
    }

    /// Scan one file or stream, reading at most `max_file_size` bytes whatever it does
    /// while being read.
    fn read(&mut self, path: &std::path::Path, display: String, stream: bool) {
        let limit = self.max_file_size;
        match self
            .scanner
            .scan_path(path, &display, limit, &mut self.out.findings)
        {
            Ok(FileOutcome::Scanned { bytes }) => {
                self.out.stats.files_scanned += 1;
                self.out.stats.bytes_scanned += bytes;
                self.progress.file_done(bytes);
            }
            Ok(FileOutcome::Truncated { bytes }) => {
                self.out.stats.files_scanned += 1;
                self.out.stats.bytes_scanned += bytes;
                self.progress.file_done(bytes);
                let what = if stream {
                    "the stream is longer than"
                } else {
                    "the file grew past"
                };
                self.out.errors.push(ScanError {
                    path: display,
                    message: format!(
                        "{what} --max-file-size ({}) while being read; only its first {} were scanned. Raise --max-file-size to scan it whole",
                        crate::model::text::human_size(limit),
                        crate::model::text::human_size(bytes)
                    ),
                });
            }
            Ok(FileOutcome::Binary) => self.out.stats.skipped_binary += 1,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                self.out.errors.push(ScanError {
                    path: display,
                    message: format!(
                        "cannot read file: {err}; it vanished while the scan ran, check the path"
                    ),
                })
            }
            Err(err) => self.out.errors.push(ScanError {
                path: display,
                message: format!("cannot read file: {err}; check its permissions"),
            }),
        }
    }
}

/// What kind of special file this is, for the skip list; `None` for symbolic links (not
/// followed without `--follow`, like ripgrep).
#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_symlink() {
        None
    } else if kind.is_fifo() {
        Some("FIFO")
    } else if kind.is_socket() {
        Some("socket")
    } else if kind.is_char_device() {
        Some("character device")
    } else if kind.is_block_device() {
        Some("block device")
    } else {
        Some("special file")
    }
}

#[cfg(not(unix))]
fn special_kind(kind: &std::fs::FileType) -> Option<&'static str> {
    (!kind.is_symlink()).then_some("special file")
}

#[cfg(unix)]
fn is_socket(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_socket()
}

#[cfg(not(unix))]
fn is_socket(_: &std::fs::Metadata) -> bool {
    false
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let out = std::mem::take(&mut self.out);
        match self.merged.lock() {
            Ok(mut m) => m.push(out),
            Err(poisoned) => poisoned.into_inner().push(out),
        }
    }
}

/// Why a file's secrets were not all reported.
pub fn capped_message(not_reported: u64) -> String {
    format!(
        "holds more than {} secrets; the first {} are reported and {not_reported} more were found but not kept. A file like this is a dump or a word list: review it whole, or exclude it in .nhiscanignore",
        file::MAX_SECRETS_PER_FILE,
        file::MAX_SECRETS_PER_FILE
    )
}

fn merge(outputs: Vec<WorkerOutput>) -> ScanOutput {
    let mut all = ScanOutput::default();
    for o in outputs {
        all.secrets.extend(o.findings.secrets);
        all.certificates.extend(o.findings.certificates);
        all.stats.files_scanned += o.stats.files_scanned;
        all.stats.bytes_scanned += o.stats.bytes_scanned;
        all.stats.skipped_binary += o.stats.skipped_binary;
        all.stats.skipped_too_large += o.stats.skipped_too_large;
        all.stats.skipped_special += o.stats.skipped_special;
        all.special.extend(o.special);
        all.stats.suppressed_inline += o.findings.suppressed_inline;
        all.stats.rejected.merge(&o.findings.rejected);
        all.errors
            .extend(o.findings.capped.into_iter().map(|(path, n)| ScanError {
                path,
                message: capped_message(n),
            }));
        all.errors.extend(o.errors);
    }
    // Workers finish in any order; sort so output is deterministic.
    all.secrets.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.detector).cmp(&(&b.path, b.line, b.column, b.detector))
    });
    all.certificates
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    all.errors.sort_by(|a, b| a.path.cmp(&b.path));
    all.special.sort();
    all
}
