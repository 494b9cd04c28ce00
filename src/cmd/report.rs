//! `nhiscan report INVENTORY.json`: re-render a saved inventory. Everything a format needs
//! is in the inventory (detector names included), so no detector is compiled here.

use super::exit;
use anyhow::Result;
use nhiscan::report::Format;
use std::path::Path;

pub fn run(path: &Path, format: Format, output: Option<&Path>) -> Result<u8> {
    let inventory = nhiscan::drift::read_inventory(path)?;
    super::emit_inventory(&inventory, format, output)?;
    Ok(exit::CLEAN)
}
