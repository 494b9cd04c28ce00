//! `nhiscan validate INVENTORY.json`: a saved inventory holds fingerprints, never values,
//! so validating it later means reading the values again from where the inventory says
//! they are: the working-tree files (relative to the directory the scan ran in) and the
//! commits of local repositories (`git cat-file blob COMMIT:PATH`), and the blobs no
//! commit holds that `--all-objects` found (`git cat-file blob ID`). Each place is scanned
//! with the same detectors into a [`Keeper`]; only values whose fingerprint an identity of
//! the inventory carries are then asked about (the fingerprint key must be the scan's).

use crate::detect::DetectorSet;
use crate::model::{Inventory, Place};
use crate::scan::file::{FileFindings, FileScanner};
use crate::scan::redact::Fingerprinter;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bytes read from one place at most (the scan's default `--max-file-size`).
const MAX_BYTES: u64 = 50 * 1024 * 1024;

/// What could not be read again, one line each.
#[derive(Debug, Default)]
pub struct Reread {
    pub places_read: u64,
    pub problems: Vec<String>,
}

/// Read again every place holding a value of a detector `--validate` needs.
/// `fingerprinter` must keep values (see [`Fingerprinter::keeping`]).
pub fn reread(
    inventory: &Inventory,
    set: &DetectorSet,
    fingerprinter: &Fingerprinter,
    base: &Path,
) -> Reread {
    let mut places: BTreeSet<(PathBuf, Option<String>, String)> = BTreeSet::new();
    let mut out = Reread::default();
    for identity in &inventory.identities {
        for e in &identity.exposures {
            if !set.by_id(&e.detector).is_some_and(|d| set.keeps_values(d)) {
                continue;
            }
            match &e.origin.place {
                Place::File { root, path } => {
                    // `root` is the path the user named: a directory holding `path`,
                    // or the file itself.
                    let named = base.join(root);
                    let file = if named.is_file() {
                        named
                    } else {
                        named.join(path)
                    };
                    places.insert((file, None, e.path.clone()));
                }
                Place::Commit {
                    repository,
                    path,
                    commit,
                    ..
                } => {
                    places.insert((
                        base.join(repository),
                        Some(format!("{commit}:{path}")),
                        e.path.clone(),
                    ));
                }
                Place::Object { repository, blob } => {
                    places.insert((base.join(repository), Some(blob.clone()), e.path.clone()));
                }
                Place::Clone { repository, .. } => out.problems.push(format!(
                    "{}: in the clone of {repository}, deleted after the scan; validate with `nhiscan scan --validate` instead",
                    e.path
                )),
                Place::Document { .. } => {}
            }
        }
    }
    let mut scanner = FileScanner::new(set, fingerprinter);
    let mut findings = FileFindings::default();
    for (file, blob, display) in places {
        let result = match &blob {
            None => scanner
                .scan_path(&file, &display, MAX_BYTES, &mut findings)
                .map_err(|e| format!("{}: cannot read it again: {e}", file.display())),
            Some(spec) => git_show(&file, spec).and_then(|bytes| {
                scanner
                    .scan_bytes(bytes.as_slice(), &display, &mut findings)
                    .map_err(|e| format!("{spec}: {e}"))
            }),
        };
        match result {
            Ok(_) => out.places_read += 1,
            Err(problem) => out.problems.push(problem),
        }
    }
    out
}

/// `git -C repository show SPEC` (a blob), bounded.
fn git_show(repository: &Path, spec: &str) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repository)
        .args(["cat-file", "blob", spec])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{} {spec}: {}; run `nhiscan validate` where the scan ran",
            repository.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut bytes = out.stdout;
    bytes.truncate(MAX_BYTES as usize);
    Ok(bytes)
}
