//! One file per subcommand. Each turns its parsed flags into library calls and returns the
//! exit code; errors carry context that names the path, the source and the next step.

pub mod detectors;
pub mod diff;
pub mod evidence;
pub mod init;
pub mod merge;
pub mod out;
pub mod report;
pub mod review;
pub mod revoke;
pub mod scan;
pub mod validate;

use crate::cli::DetectorArgs;
use anyhow::{Context, Result};
use nhiscan::detect::{DetectorSet, DetectorSource, self_test};
use std::path::Path;

/// Exit codes a CI job can rely on.
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const DENY: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INCOMPLETE: u8 = 3;

    /// What an inventory means for CI: deny findings win over an incomplete inventory.
    pub fn of(inventory: &nhiscan::model::Inventory) -> u8 {
        from(inventory.has_deny(), inventory.is_incomplete())
    }

    /// The same, from the two facts (an inventory written without being held).
    pub fn from(deny: bool, incomplete: bool) -> u8 {
        if deny {
            DENY
        } else if incomplete {
            INCOMPLETE
        } else {
            CLEAN
        }
    }
}

/// The built-in detectors plus `--detectors DIR`, whose own examples must pass.
fn load_detectors(args: &DetectorArgs) -> Result<DetectorSet> {
    let mut sources = DetectorSource::embedded();
    if let Some(dir) = &args.dir {
        sources.extend(DetectorSource::from_path(dir).with_context(|| {
            format!(
                "loading --detectors {}; pass a detector file or a directory of *.toml detector files, and check the path",
                dir.display()
            )
        })?);
    }
    let set =
        DetectorSet::compile(&sources).context("fix the detector definitions listed above")?;
    if args.dir.is_some() {
        let failures = self_test(&set);
        if !failures.is_empty() {
            let list: Vec<String> = failures.iter().map(|f| format!("  {f}")).collect();
            anyhow::bail!(
                "{} detector example(s) failed the self-test:\n{}\nfix the regex or the examples, then run `nhiscan detectors check`",
                failures.len(),
                list.join("\n")
            );
        }
    }
    Ok(set)
}

/// `0.1.0 (commit 1a2b3c4d5e6f, detectors 0123456789abcdef)`: the version, the commit it
/// was built from (`unknown` outside a git checkout) and the embedded detector set's hash.
pub fn version() -> String {
    format!(
        "{} (commit {}, detectors {})",
        env!("CARGO_PKG_VERSION"),
        env!("NHISCAN_GIT_COMMIT"),
        nhiscan::detect::DetectorSource::built_in_hash()
    )
}

/// An existing history database (`nhiscan diff`, `review`, `evidence` read one; only
/// `nhiscan scan --history` creates it).
fn open_history(db: &Path) -> Result<nhiscan::scan_history::ScanHistory> {
    if !db.is_file() {
        anyhow::bail!(
            "no history database at {}; record scans first with `nhiscan scan --history {}`",
            db.display(),
            db.display()
        );
    }
    Ok(nhiscan::scan_history::ScanHistory::open(db)?)
}

/// A saved or merged inventory in `format`, to `output` or standard output; a table for a
/// terminal fits its width.
fn emit_inventory(
    inventory: &nhiscan::model::Inventory,
    format: nhiscan::report::Format,
    output: Option<&Path>,
) -> Result<()> {
    let to_terminal = output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let options = nhiscan::report::Options {
        color: false,
        width: to_terminal.then(out::terminal_width).flatten(),
    };
    emit(
        &nhiscan::report::render_with(inventory, format, &options),
        output,
    )
}

/// Write a rendered report to `-o FILE`, or to standard output.
fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            anyhow::anyhow!(
                "cannot write the report to {}: {e}; {}",
                path.display(),
                out::write_advice(&e)
            )
        }),
        None => out::stdout(text).context("cannot write the report to standard output"),
    }
}
