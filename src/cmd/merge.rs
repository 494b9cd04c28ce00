//! `nhiscan merge A.json B.json ...`: the partial inventories of a sharded scan as one.

use super::exit;
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
    // JSON, the usual output of a merge, is written as it is serialised: a merged estate
    // can be hundreds of megabytes, which need not also sit in memory as one string.
    if args.format == nhiscan::report::Format::Json {
        write_json(&inventory, args.output.as_deref())?;
        return Ok(exit::of(&inventory));
    }
    super::emit_inventory(&inventory, args.format, args.output.as_deref())?;
    Ok(exit::of(&inventory))
}

fn write_json(
    inventory: &nhiscan::model::Inventory,
    output: Option<&std::path::Path>,
) -> Result<()> {
    use std::io::Write;
    let sink: Box<dyn Write> = match output {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|e| {
            anyhow::anyhow!(
                "cannot write the merged inventory to {}: {e}; {}",
                path.display(),
                super::out::write_advice(&e)
            )
        })?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut sink = std::io::BufWriter::new(sink);
    serde_json::to_writer_pretty(&mut sink, inventory)
        .context("cannot write the merged inventory")?;
    sink.write_all(b"\n")
        .and_then(|()| sink.flush())
        .context("cannot write the merged inventory")
}
