//! Committed files the walk's ignore rules skipped.
//!
//! `.gitignore` says what git should not *add*; a file already committed (added before the
//! rule was written, or with `git add -f`) is in every clone whatever the rule says. The
//! walk honours ignore rules to skip build output and dependencies, so without this a
//! committed `config/prod.env` under a `*.env` rule would never be read, and a
//! `--no-history` scan would call the tree clean. The git index of each scanned directory
//! names those files; they are scanned after the walk, `.nhiscanignore` still applying
//! (that file is the user's own decision, not git's).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The git repositories holding the scanned directories, found once before the walk: with
/// none, the walk need not remember which files it met.
pub struct Repositories(Vec<(PathBuf, gix::Repository)>);

impl Repositories {
    /// The repository of each directory in `roots` that is inside one.
    pub fn discover(roots: &[PathBuf]) -> Repositories {
        Repositories(
            roots
                .iter()
                .filter(|r| r.is_dir())
                .filter_map(|r| Some((r.clone(), gix::discover(r).ok()?)))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Tracked regular files under the roots that exist on disk and are not in `visited`,
    /// in the form the walker gives paths (`root.join(relative)`), sorted.
    pub fn missed(&self, visited: &HashSet<PathBuf>) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .0
            .iter()
            .flat_map(|(root, repo)| missed_under(root, repo, visited))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

fn missed_under(root: &Path, repo: &gix::Repository, visited: &HashSet<PathBuf>) -> Vec<PathBuf> {
    let (Some(workdir), Ok(index)) = (repo.workdir(), repo.open_index()) else {
        return Vec::new();
    };
    let (Ok(workdir), Ok(root_abs)) = (workdir.canonicalize(), root.canonicalize()) else {
        return Vec::new();
    };
    index
        .entries()
        .iter()
        .filter(|e| {
            matches!(
                e.mode,
                gix::index::entry::Mode::FILE | gix::index::entry::Mode::FILE_EXECUTABLE
            )
        })
        .filter_map(|e| {
            let relative = gix::path::from_bstr(e.path(&index)).ok()?;
            let inside = workdir.join(relative);
            let below_root = inside.strip_prefix(&root_abs).ok()?;
            let path = root.join(below_root);
            (!visited.contains(&path) && path.is_file()).then_some(path)
        })
        .collect()
}

/// Every directory a walk must enter to reach `files` (their ancestors), for the walk's
/// entry filter.
pub fn directories_to(files: &[PathBuf]) -> HashSet<PathBuf> {
    files
        .iter()
        .flat_map(|f| f.ancestors().skip(1))
        .map(Path::to_path_buf)
        .collect()
}
