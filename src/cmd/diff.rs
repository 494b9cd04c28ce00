//! `nhiscan diff`: drift between two inventories, or the last two recorded scans.

use super::exit;
use crate::cli::ListFormat;
use anyhow::{Context, Result};
use nhiscan::drift;
use std::path::Path;

pub fn run(
    old: Option<&Path>,
    new: Option<&Path>,
    history: Option<&Path>,
    format: ListFormat,
) -> Result<u8> {
    let (old_inv, new_inv) = match (old, new, history) {
        (_, _, Some(db)) => super::open_history(db)?.last_two()?,
        (Some(old), Some(new), None) => (drift::read_inventory(old)?, drift::read_inventory(new)?),
        _ => anyhow::bail!("give OLD and NEW inventories, or --history FILE"),
    };
    let drift = drift::diff(&old_inv, &new_inv);
    let text = match format {
        ListFormat::Table => drift::render_text(&drift),
        ListFormat::Json => {
            let mut t = serde_json::to_string_pretty(&drift).expect("drift serialises");
            t.push('\n');
            t
        }
    };
    super::out::stdout(&text).context("cannot write to standard output")?;
    Ok(if drift.has_new_deny() {
        exit::DENY
    } else {
        exit::CLEAN
    })
}
