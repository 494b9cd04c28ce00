//! `nhiscan report INVENTORY.json`: re-render a saved inventory. Everything a format needs
//! is in the inventory (detector names included), so no detector is compiled here.

use super::{emit, exit};
use anyhow::Result;
use nhiscan::report::{self, Format};
use std::path::Path;

pub fn run(path: &Path, format: Format, output: Option<&Path>) -> Result<u8> {
    let inventory = nhiscan::drift::read_inventory(path)?;
    emit(&report::render(&inventory, format, false), output)?;
    Ok(exit::CLEAN)
}
