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
    let inventories = args.inventories.len();
    // JSON, the usual output of a merge, is judged as it is written: a merged estate can
    // have a million findings, which need not sit in memory. The history stores the whole
    // inventory, so a recorded merge is judged first.
    if args.format == nhiscan::report::Format::Json && args.history.is_none() {
        let totals = write_json(&merged, args.output.as_deref())?;
        super::out::say!(
            "merged {inventories} inventories: {} identities, {} findings ({} deny)",
            totals.identities,
            totals.findings,
            totals.deny
        );
        return Ok(exit::from(totals.deny > 0, totals.incomplete));
    }
    let mut inventory = merged.judged();
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
        "merged {inventories} inventories: {} identities, {} findings ({} deny)",
        inventory.identities.len(),
        inventory.findings.len(),
        inventory.summary.findings_deny
    );
    super::emit_inventory(&inventory, args.format, args.output.as_deref())?;
    Ok(exit::of(&inventory))
}

fn write_json(
    merged: &nhiscan::pipeline::merge::Merged,
    output: Option<&std::path::Path>,
) -> Result<nhiscan::pipeline::merge::Totals> {
    use std::io::Write;
    let sink: Box<dyn Write> = match output {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|e| {
            anyhow::anyhow!(
                "cannot write the merged inventory to {}: {e}; {}",
                path.display(),
                super::out::write_advice(&e)
            )
        })?),
        None => Box::new(super::out::StdoutStream::default()),
    };
    let mut sink = std::io::BufWriter::new(sink);
    let totals = merged
        .write_json(&mut sink)
        .context("cannot write the merged inventory")?;
    sink.write_all(b"\n")
        .and_then(|()| sink.flush())
        .context("cannot write the merged inventory")?;
    Ok(totals)
}
