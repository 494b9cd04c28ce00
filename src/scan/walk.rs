//! Which files to read: a parallel directory walk with `ignore`.
//!
//! Hidden files are scanned (`.env`, `.npmrc` and `.git-credentials` are exactly where
//! secrets live), `.git` directories are not (history is its own scanner), `.gitignore`
//! rules apply unless `--no-ignore`, and `.nhiscanignore` files (gitignore syntax) always
//! apply: they are the user's explicit decision about what nhiscan should not report.

use super::ScanError;
use ignore::{WalkBuilder, WalkParallel};
use std::path::{Path, PathBuf};

pub const NHISCAN_IGNORE_FILE: &str = ".nhiscanignore";

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub paths: Vec<PathBuf>,
    /// Do not honour .gitignore, .ignore and global git excludes.
    pub no_ignore: bool,
    /// Follow symbolic links (loops are detected and reported).
    pub follow_links: bool,
    pub max_file_size: u64,
    pub threads: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            paths: vec![PathBuf::from(".")],
            no_ignore: false,
            follow_links: false,
            max_file_size: 50 * 1024 * 1024,
            threads: 0,
        }
    }
}

pub fn build(opts: &WalkOptions) -> WalkParallel {
    let mut paths = opts.paths.iter();
    let first = paths.next().cloned().unwrap_or_else(|| PathBuf::from("."));
    let mut builder = WalkBuilder::new(first);
    for p in paths {
        builder.add(p);
    }
    builder
        .standard_filters(!opts.no_ignore)
        .hidden(false)
        .require_git(false)
        .follow_links(opts.follow_links)
        .threads(opts.threads)
        .add_custom_ignore_filename(NHISCAN_IGNORE_FILE)
        .filter_entry(|e| e.file_name() != ".git");
    builder.build_parallel()
}

/// A walk of `roots` that reaches only `files` (committed files the first walk's ignore
/// rules skipped): git's ignore rules off, `.nhiscanignore` still on.
pub fn build_selected(roots: &[PathBuf], files: &[PathBuf], threads: usize) -> WalkParallel {
    let wanted: std::collections::HashSet<PathBuf> = files.iter().cloned().collect();
    let through = super::tracked::directories_to(files);
    let mut roots = roots.iter().filter(|r| r.is_dir());
    let first = roots.next().cloned().unwrap_or_else(|| PathBuf::from("."));
    let mut builder = WalkBuilder::new(first);
    for r in roots {
        builder.add(r);
    }
    builder
        .standard_filters(false)
        .hidden(false)
        .threads(threads)
        .add_custom_ignore_filename(NHISCAN_IGNORE_FILE)
        .filter_entry(move |e| {
            e.file_name() != ".git" && (through.contains(e.path()) || wanted.contains(e.path()))
        });
    builder.build_parallel()
}

/// Paths are shown as given (relative stays relative), with `/` separators.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    if std::path::MAIN_SEPARATOR == '\\' {
        text.replace('\\', "/")
    } else {
        text.to_string()
    }
}

/// The root of the repository the scan reports places in: the git work tree (or bare
/// repository) holding `first` (a path as given, relative to `cwd`), or `cwd` when it is
/// in none. Found lexically from the absolute path, so a symlinked directory keeps the
/// spelling the user gave.
pub fn source_root(first: Option<&Path>, cwd: &Path) -> PathBuf {
    let start = first.map_or_else(|| cwd.to_path_buf(), |p| normalize(&cwd.join(p)));
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists() || super::git::is_bare(dir))
        .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf)
}

/// `path` with `.` and `..` components resolved by name (no file system access).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Turn a walk error into a message that names the path and what to do about it.
pub fn describe_error(err: &ignore::Error) -> ScanError {
    let (path, inner) = unwrap_path(err);
    let message = match inner {
        ignore::Error::Loop { ancestor, child } => format!(
            "symbolic link loop: {} points back to {}; the loop was not followed",
            display_path(child),
            display_path(ancestor)
        ),
        ignore::Error::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            format!(
                "permission denied ({io}); run nhiscan as a user that can read it, or exclude it in .nhiscanignore"
            )
        }
        ignore::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            "no such file or directory; check the path".to_string()
        }
        other => format!("{other}"),
    };
    ScanError {
        path: path
            .map(|p| display_path(&p))
            .unwrap_or_else(|| "<walk>".into()),
        message,
    }
}

fn unwrap_path(err: &ignore::Error) -> (Option<PathBuf>, &ignore::Error) {
    match err {
        ignore::Error::WithPath { path, err } => (Some(path.clone()), unwrap_path(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            unwrap_path(err)
        }
        ignore::Error::Loop { child, .. } => (Some(child.clone()), err),
        other => (None, other),
    }
}
