//! Rendering a judged inventory: one module per output format, each a pure function from
//! [`Inventory`] to text. Nothing here decides what is a finding; it only presents.

mod csv;
mod html;
mod json;
mod sarif;
mod table;

use crate::detect::DetectorSet;
use crate::model::Inventory;

/// Output formats of `nhiscan scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable table (colour only on a terminal)
    Table,
    /// The inventory JSON contract (schema_version 1)
    Json,
    /// One JSON object per line: a scan header, then identities, then findings
    Jsonl,
    /// One row per identity, with empty access-review columns
    Csv,
    /// SARIF 2.1.0 for code-scanning dashboards
    Sarif,
    /// One self-contained HTML page for auditors (opens offline)
    Html,
}

/// Render `inventory` in `format`. `color` applies to the table only.
pub fn render(inventory: &Inventory, format: Format, set: &DetectorSet, color: bool) -> String {
    match format {
        Format::Table => table::render(inventory, color),
        Format::Json => json::render(inventory),
        Format::Jsonl => json::render_lines(inventory),
        Format::Csv => csv::render(inventory),
        Format::Sarif => sarif::render(inventory, set),
        Format::Html => html::render(inventory),
    }
}
