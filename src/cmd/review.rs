//! `nhiscan review export|import`: the access-review cycle over the history database.

use super::{emit, exit};
use crate::cli::ReviewAction;
use anyhow::{Context, Result};
use nhiscan::model::Inventory;
use nhiscan::scan_history::ScanHistory;
use std::path::Path;

pub fn run(action: ReviewAction) -> Result<u8> {
    match action {
        ReviewAction::Export {
            inventory,
            history,
            output,
        } => {
            let inventory = match (inventory, history) {
                (_, Some(db)) => newest_scan(&db)?,
                (Some(path), None) => nhiscan::drift::read_inventory(&path)?,
                (None, None) => anyhow::bail!("give an INVENTORY.json or --history DB"),
            };
            emit(&nhiscan::review::export(&inventory), output.as_deref())?;
            Ok(exit::CLEAN)
        }
        ReviewAction::Import { sheet, history } => import(&sheet, &history),
    }
}

/// The newest scan recorded in `db`, which must exist.
fn newest_scan(db: &Path) -> Result<Inventory> {
    super::open_history(db)?
        .last_scans(1)?
        .pop()
        .with_context(|| {
            format!(
                "history database {} has no scan yet; record one with `nhiscan scan --history {}`",
                db.display(),
                db.display()
            )
        })
}

fn import(sheet: &Path, db: &Path) -> Result<u8> {
    let text = std::fs::read_to_string(sheet).with_context(|| {
        format!(
            "cannot read the review sheet {}; check the path (export one with `nhiscan review export`)",
            sheet.display()
        )
    })?;
    let inventory = newest_scan(db)?;
    let now = nhiscan::pipeline::scan_time()?;
    let checked = nhiscan::review::import(&text, &inventory, now);
    for p in &checked.problems {
        super::out::say!("{}:{p}", sheet.display());
    }
    ScanHistory::open(db)?
        .record_reviews(&checked.records, now)
        .with_context(|| format!("recording the reviews of {}", sheet.display()))?;
    super::out::say!(
        "recorded {} review decision(s) from {} in {}; {} row(s) rejected, {} without a decision",
        checked.records.len(),
        sheet.display(),
        db.display(),
        checked
            .problems
            .iter()
            .map(|p| p.line)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        checked.undecided
    );
    Ok(if checked.problems.is_empty() {
        exit::CLEAN
    } else {
        exit::DENY
    })
}
