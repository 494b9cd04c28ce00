//! Inputs that are not the files of a tree: what `git commit` would commit (`--staged`)
//! and standard input (`nhiscan scan -`). Each is a named buffer, scanned by the same
//! [`super::file::FileScanner`] as a file, so the same detectors, baseline and config
//! apply and a finding names the path it would have in the repository.
//!
//! The staged blobs are read from git's index, not from the working tree: a file edited
//! after `git add` is checked as it will be committed. Two git processes do the work
//! whatever the number of files (`git diff --cached` lists them, one `git cat-file
//! --batch` reads them all), which keeps a pre-commit hook within its time budget.

use super::file::{FileOutcome, FileScanner};
use super::{Progress, ScanError, ScanOutput, WorkerOutput, merge};
use crate::detect::DetectorSet;
use crate::scan::redact::Fingerprinter;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One named buffer to scan.
#[derive(Debug, Clone)]
pub struct Input {
    /// The path shown in findings: repository-relative for staged blobs, `<stdin>` or the
    /// `--stdin-name` for standard input.
    pub display: String,
    pub bytes: Vec<u8>,
    /// Longer than `--max-file-size`: only the first `bytes` are here.
    pub truncated: bool,
}

/// Everything to scan that is not a tree, and what could not be read of it.
#[derive(Debug, Default)]
pub struct Inputs {
    /// For staged files, the work tree's top directory (where `nhiscan.toml` is looked
    /// for).
    pub root: Option<PathBuf>,
    pub items: Vec<Input>,
    /// Inputs larger than `--max-file-size`, not read.
    pub too_large: u64,
    /// Inputs that could not be read, each named.
    pub errors: Vec<ScanError>,
    /// What the inventory's scope lists for them: `staged:<work tree>` or the stdin name.
    pub scope: Vec<String>,
}

impl Inputs {
    pub fn is_empty(&self) -> bool {
        self.scope.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(
        "--staged: {dir} is not inside a git work tree ({message}); run it inside the repository whose commit you check, or scan PATHS instead"
    )]
    NotARepository { dir: String, message: String },
    #[error(
        "--staged: `git {args}` failed in {dir}: {message}; check that git is installed and the repository is readable"
    )]
    Git {
        dir: String,
        args: String,
        message: String,
    },
    #[error("cannot read standard input: {0}; pipe the text to scan into `nhiscan scan -`")]
    Stdin(#[source] std::io::Error),
}

/// Standard input, at most `limit` bytes of it, under the name `display`.
pub fn stdin(display: &str, limit: u64) -> Result<Inputs, InputError> {
    let input = read_limited(std::io::stdin().lock(), display, limit).map_err(InputError::Stdin)?;
    Ok(Inputs {
        items: vec![input],
        scope: vec![display.to_string()],
        ..Inputs::default()
    })
}

fn read_limited(reader: impl Read, display: &str, limit: u64) -> std::io::Result<Input> {
    let mut bytes = Vec::new();
    let mut reader = reader.take(limit.saturating_add(1));
    reader.read_to_end(&mut bytes)?;
    let truncated = bytes.len() as u64 > limit;
    bytes.truncate(limit as usize);
    Ok(Input {
        display: display.to_string(),
        bytes,
        truncated,
    })
}

/// The blobs of the index that differ from `HEAD` (added, copied, modified, renamed or
/// type-changed; a deletion has nothing to scan) in the repository holding `dir`.
pub fn staged(dir: &Path, max_file_size: u64) -> Result<Inputs, InputError> {
    let shown = dir.display().to_string();
    let top = git(dir, &["rev-parse", "--show-toplevel"]).map_err(|message| {
        InputError::NotARepository {
            dir: shown.clone(),
            message,
        }
    })?;
    let root = PathBuf::from(String::from_utf8_lossy(&top).trim_end_matches('\n'));
    let listed = git(
        &root,
        &[
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-filter=ACMRT",
        ],
    )
    .map_err(|message| InputError::Git {
        dir: root.display().to_string(),
        args: "diff --cached --name-only".into(),
        message,
    })?;
    let mut out = Inputs {
        root: Some(root.clone()),
        scope: vec![format!("staged:{}", root.display())],
        ..Inputs::default()
    };
    let mut paths = Vec::new();
    for raw in listed.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(raw).into_owned();
        if raw.contains(&b'\n') {
            // `cat-file --batch` reads one name per line.
            out.errors.push(ScanError {
                path,
                message: "its name holds a line break, which git cat-file cannot be asked for; rename it, or scan the file with `nhiscan scan PATH`".into(),
            });
        } else {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Ok(out);
    }
    read_index_blobs(&root, paths, max_file_size, &mut out).map_err(|message| InputError::Git {
        dir: root.display().to_string(),
        args: "cat-file --batch".into(),
        message,
    })?;
    Ok(out)
}

/// `git cat-file --batch` asked for `:<path>` (the index's blob) of every path.
fn read_index_blobs(
    root: &Path,
    paths: Vec<String>,
    max_file_size: u64,
    out: &mut Inputs,
) -> Result<(), String> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("git's input was not opened")?;
    let names: Vec<u8> = paths
        .iter()
        .flat_map(|p| format!(":{p}\n").into_bytes())
        .collect();
    // Written from another thread: git answers while it reads, and a full pipe on both
    // sides would block both processes.
    let writer = std::thread::spawn(move || stdin.write_all(&names));
    let mut reader = BufReader::new(child.stdout.take().ok_or("git's output was not opened")?);
    for path in paths {
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|e| format!("reading git's answer: {e}"))?;
        let fields: Vec<&str> = header.trim_end().split(' ').collect();
        let (kind, size) = match fields.as_slice() {
            [_, kind, size] => (
                *kind,
                size.parse::<u64>()
                    .map_err(|_| format!("unexpected answer {header:?}"))?,
            ),
            _ => {
                out.errors.push(ScanError {
                    path,
                    message: format!(
                        "git has no staged blob for it ({}); stage it again with `git add`",
                        header.trim_end()
                    ),
                });
                continue;
            }
        };
        // A blob over the limit is read past, never held: it may be gigabytes.
        let mut bytes = Vec::new();
        let read = if size > max_file_size {
            std::io::copy(&mut (&mut reader).take(size), &mut std::io::sink()).map(|_| 0)
        } else {
            (&mut reader).take(size).read_to_end(&mut bytes)
        };
        read.map_err(|e| format!("reading {path} from git: {e}"))?;
        let mut newline = [0u8; 1];
        reader
            .read_exact(&mut newline)
            .map_err(|e| format!("reading git's answer: {e}"))?;
        if kind != "blob" {
            continue; // a submodule's commit: its own repository is checked on its own
        }
        if size > max_file_size {
            out.too_large += 1;
            continue;
        }
        out.items.push(Input {
            display: path,
            bytes,
            truncated: false,
        });
    }
    let _ = writer.join();
    let status = child.wait().map_err(|e| format!("waiting for git: {e}"))?;
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        return Err(format!("{status}: {}", err.trim()));
    }
    Ok(())
}

/// `git -C dir ARGS`'s standard output, or its error message.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Scan `inputs` on this thread (a commit's worth of files or one stream: the scanner's
/// set-up costs more than the work would gain from threads).
pub fn scan_inputs(
    set: &DetectorSet,
    fingerprinter: &Fingerprinter,
    inputs: &Inputs,
    max_file_size: u64,
    progress: &dyn Progress,
) -> ScanOutput {
    let mut scanner = FileScanner::new(set, fingerprinter);
    let mut out = WorkerOutput::default();
    out.errors.extend(inputs.errors.iter().cloned());
    out.stats.skipped_too_large = inputs.too_large;
    for input in &inputs.items {
        match scanner.scan_bytes(input.bytes.as_slice(), &input.display, &mut out.findings) {
            Ok(FileOutcome::Scanned { bytes } | FileOutcome::Truncated { bytes }) => {
                out.stats.files_scanned += 1;
                out.stats.bytes_scanned += bytes;
                progress.file_done(bytes);
            }
            Ok(FileOutcome::Binary) => out.stats.skipped_binary += 1,
            Err(e) => out.errors.push(ScanError {
                path: input.display.clone(),
                message: format!("cannot scan it: {e}"),
            }),
        }
        if input.truncated {
            out.errors.push(ScanError {
                path: input.display.clone(),
                message: format!(
                    "is longer than --max-file-size ({}); only its first {} were scanned. Raise --max-file-size to scan it whole",
                    crate::model::text::human_size(max_file_size),
                    crate::model::text::human_size(input.bytes.len() as u64)
                ),
            });
        }
    }
    merge(vec![out])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_longer_than_the_limit_is_cut_and_said_to_be() {
        let input = read_limited(&b"0123456789"[..], "<stdin>", 4).unwrap();
        assert_eq!(
            (input.bytes.as_slice(), input.truncated),
            (&b"0123"[..], true)
        );
        let input = read_limited(&b"0123"[..], "<stdin>", 4).unwrap();
        assert_eq!(
            (input.bytes.as_slice(), input.truncated),
            (&b"0123"[..], false)
        );
    }
}
