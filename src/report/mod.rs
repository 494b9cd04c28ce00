//! Rendering a judged inventory: one module per output format, each a pure function from
//! [`Inventory`] to text. Nothing here decides what is a finding; it only presents, and
//! reads nothing but the inventory (a saved one renders the same as a fresh one).
//!
//! Adding a format: its module, plus one line in [`formats!`] below (its doc comment is the
//! `--format` help).

pub mod controls;
pub(crate) mod csv;
mod github;
mod html;
mod json;
mod sarif;
mod table;

use crate::model::Inventory;

pub use html::{PeriodView, render_period as render_period_html};

/// How a format may be asked to render beyond the inventory itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Colour (the table, on a terminal).
    pub color: bool,
    /// Fit the table into this many columns (a terminal's width): fewer columns, long
    /// paths shortened in the middle. `None` writes every column at full length.
    pub width: Option<usize>,
}

macro_rules! formats {
    ($($(#[doc = $doc:literal])* $variant:ident => $render:path,)*) => {
        /// Output formats of `nhiscan scan` and `nhiscan report`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
        pub enum Format {
            $($(#[doc = $doc])* $variant,)*
        }

        /// Render `inventory` in `format`.
        pub fn render_with(inventory: &Inventory, format: Format, options: &Options) -> String {
            match format {
                $(Format::$variant => $render(inventory, options),)*
            }
        }
    };
}

formats! {
    /// Human-readable table (colour only on a terminal)
    Table => table::render,
    /// The inventory JSON contract (schema_version 1)
    Json => json::render,
    /// One JSON object per line: a scan header, then identities, then findings
    Jsonl => json::render_lines,
    /// One row per identity, with empty access-review columns
    Csv => csv::render,
    /// SARIF 2.1.0 for code-scanning dashboards
    Sarif => sarif::render,
    /// One self-contained HTML page for auditors (opens offline)
    Html => html::render,
    /// GitHub Actions annotations (`::error file=...,line=...::`), for runs without code scanning
    Github => github::render,
}

/// `low, test`: how sure a secret finding is and, outside source, where it lies; `-` for
/// findings about an identity rather than a value.
fn confidence_label(f: &crate::model::Finding) -> String {
    match (f.confidence, f.context) {
        (Some(c), Some(x)) if x != crate::model::Context::Source => format!("{c}, {x}"),
        (Some(c), _) => c.to_string(),
        (None, _) => "-".into(),
    }
}

/// Render `inventory` in `format`. `color` applies to the table only.
pub fn render(inventory: &Inventory, format: Format, color: bool) -> String {
    render_with(inventory, format, &Options { color, width: None })
}

/// A finding that a provider confirmed the secret live (`--validate`).
fn is_live_finding(f: &crate::model::Finding) -> bool {
    f.code == crate::policy::LIVE_SECRET.code
}

/// Identities with a secret the provider confirmed live first, the rest in their order.
fn live_first(identities: &[crate::model::Identity]) -> Vec<&crate::model::Identity> {
    let mut out: Vec<&crate::model::Identity> = identities.iter().collect();
    out.sort_by_key(|i| !i.validation.as_ref().is_some_and(|v| v.is_active()));
    out
}
