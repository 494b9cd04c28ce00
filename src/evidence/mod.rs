//! `nhiscan scan --evidence DIR`: the files an auditor receives, with a checksum manifest.
//!
//! inventory.json (scope, sources and their status, tool version and generation time are
//! inside), inventory.csv (access-review sheet), report.html, and MANIFEST.sha256 in the
//! format `sha256sum -c` checks, so the set can be verified after it has been handed over.
//! [`period`] writes the pack for an audit period from the scan-history database.

pub mod period;

use crate::model::Inventory;
use crate::report::{self, Format};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "MANIFEST.sha256";

#[derive(Debug, thiserror::Error)]
#[error("cannot write evidence file {path}: {source}; check that the directory is writable")]
pub struct EvidenceError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Write the evidence files into `dir` (created if missing); returns the paths written.
pub fn write_evidence(dir: &Path, inventory: &Inventory) -> Result<Vec<PathBuf>, EvidenceError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EvidenceError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let files = [
        ("inventory.json", Format::Json),
        ("inventory.csv", Format::Csv),
        ("report.html", Format::Html),
    ];
    let mut manifest = String::new();
    let mut written = Vec::new();
    for (name, format) in files {
        let text = report::render(inventory, format, false);
        let path = dir.join(name);
        std::fs::write(&path, &text).map_err(io(&path))?;
        let digest = Sha256::digest(text.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        manifest.push_str(&format!("{hex}  {name}\n"));
        written.push(path);
    }
    let path = dir.join(MANIFEST);
    std::fs::write(&path, manifest).map_err(io(&path))?;
    written.push(path);
    Ok(written)
}
