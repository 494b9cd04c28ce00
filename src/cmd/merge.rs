//! `nhiscan merge A.json B.json ...`: the partial inventories of a sharded scan as one.

use super::{emit, exit};
use crate::cli::MergeArgs;
use anyhow::{Context, Result};

pub fn run(args: MergeArgs) -> Result<u8> {
    let root = std::env::current_dir().context("cannot read the current directory")?;
    let config = nhiscan::config::load(args.config.as_deref(), &root)?;
    let merged = nhiscan::pipeline::merge::merge(&args.inventories, &config)?;
    for warning in &merged.warnings {
        super::out::say!("warning: {warning}");
    }
    let mut inventory = merged.inventory;
    if let Some(path) = &args.history {
        let recorded = nhiscan::scan_history::ScanHistory::open(path)?.record(&mut inventory)?;
        super::out::say!(
            "recorded the merged scan as {} in {} ({} identities seen for the first time)",
            recorded.id,
            path.display(),
            recorded.identities_new
        );
    }
    super::out::say!(
        "merged {} inventories: {} identities, {} findings ({} deny)",
        args.inventories.len(),
        inventory.identities.len(),
        inventory.findings.len(),
        inventory.summary.findings_deny
    );
    let to_terminal = args.output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let options = nhiscan::report::Options {
        color: false,
        width: to_terminal.then(super::out::terminal_width).flatten(),
    };
    emit(
        &nhiscan::report::render_with(&inventory, args.format, &options),
        args.output.as_deref(),
    )?;
    Ok(exit::of(&inventory))
}
