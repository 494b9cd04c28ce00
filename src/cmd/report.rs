//! `nhiscan report INVENTORY.json`: re-render a saved inventory. Everything a format needs
//! is in the inventory (detector names included), so no detector is compiled here.

use super::{emit, exit};
use anyhow::Result;
use nhiscan::report::{self, Format};
use std::path::Path;

pub fn run(path: &Path, format: Format, output: Option<&Path>) -> Result<u8> {
    let inventory = nhiscan::drift::read_inventory(path)?;
    // A table for a terminal fits it, as `nhiscan scan`'s does.
    let to_terminal = output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let options = report::Options {
        color: false,
        width: to_terminal.then(super::out::terminal_width).flatten(),
    };
    emit(&report::render_with(&inventory, format, &options), output)?;
    Ok(exit::CLEAN)
}
