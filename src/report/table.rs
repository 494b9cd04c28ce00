//! `--format table`: what a person at a terminal reads. The inventory first (one row per
//! identity: what it is, where, who owns it and how that was decided, age, last use,
//! expiry, status, findings), then the findings grouped by severity, then a summary that
//! says how much was scanned and what was skipped, so a clean result can be trusted or
//! questioned.
//!
//! On a terminal the tables fit its width: the columns a person triages by (the details
//! are in `--wide`, JSON and CSV), long paths shortened in the middle so the file name
//! stays, and what is still too long wrapped within its cell. Written to a file or a pipe,
//! every column is there at full length.

use crate::model::{Finding, Inventory, Level};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};
use std::fmt::Write;

/// Columns of the identity table, and whether a fitted table keeps each.
const IDENTITY_COLUMNS: [(&str, bool); 10] = [
    ("Kind", true),
    ("Provider", true),
    ("Name", true),
    ("Location", true),
    ("Owner", true),
    ("Age", false),
    ("Last used", false),
    ("Expires", true),
    ("Status", true),
    ("Findings", true),
];

/// Columns of a findings table, and whether a fitted table keeps each.
const FINDING_COLUMNS: [(&str, bool); 8] = [
    ("Level", true),
    ("Code", true),
    ("Detector", false),
    ("Kind", false),
    ("Location", true),
    ("Preview", true),
    ("Confidence", false),
    ("Message", true),
];

/// Every column at full length, or fitted into a terminal's width.
#[derive(Debug, Clone, Copy)]
enum Layout {
    Full,
    Fit(usize),
}

impl Layout {
    /// A table with `columns`' headers (those this layout keeps), styled and arranged.
    fn table(self, columns: &[(&str, bool)], color: bool) -> Table {
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED);
        match self {
            Layout::Full => table.set_content_arrangement(ContentArrangement::Disabled),
            Layout::Fit(width) => table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(u16::try_from(width).unwrap_or(u16::MAX)),
        };
        table.set_header(self.keep(columns, columns.iter().map(|(h, _)| Cell::new(h))));
        if !color {
            table.force_no_tty();
        } else {
            table.enforce_styling();
        }
        table
    }

    /// The cells of the columns this layout keeps.
    fn keep(self, columns: &[(&str, bool)], cells: impl IntoIterator<Item = Cell>) -> Vec<Cell> {
        cells
            .into_iter()
            .zip(columns)
            .filter(|(_, (_, fitted))| matches!(self, Layout::Full) || *fitted)
            .map(|(c, _)| c)
            .collect()
    }

    /// `text` as a cell, shortened in the middle to `share` of the width when fitted.
    fn shortened(self, text: &str, share: usize, min: usize) -> Cell {
        match self {
            Layout::Full => text_cell(text),
            Layout::Fit(width) => text_cell(middle_truncated(text, (width / share).max(min))),
        }
    }
}

/// `text` cut to `max` characters by replacing its middle with `…`, keeping more of the
/// end (a path's file name) than of the start.
fn middle_truncated(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max || max < 5 {
        return text.to_string();
    }
    let head = (max - 1) / 3;
    let tail = max - 1 - head;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

pub fn render(inventory: &Inventory, options: &super::Options) -> String {
    let color = options.color;
    let layout = options.width.map_or(Layout::Full, Layout::Fit);
    let mut out = String::new();
    if !inventory.identities.is_empty() {
        out.push_str(&format!(
            "Inventory ({} identities)\n",
            inventory.identities.len()
        ));
        out.push_str(&identity_table(inventory, layout, color).to_string());
        out.push_str("\n\n");
    }
    let mut findings: Vec<&Finding> = inventory.findings.iter().collect();
    // A secret its provider confirmed live outranks everything else at its level.
    findings.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| super::is_live_finding(b).cmp(&super::is_live_finding(a)))
            .then_with(|| (&a.path, a.line).cmp(&(&b.path, b.line)))
    });
    if findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        for level in [Level::Deny, Level::Warn] {
            let group: Vec<&Finding> = findings
                .iter()
                .copied()
                .filter(|f| f.level == level)
                .collect();
            if group.is_empty() {
                continue;
            }
            out.push_str(&format!("Findings: {level} ({})\n", group.len()));
            out.push_str(&findings_table(&group, layout, color).to_string());
            out.push_str("\n\n");
        }
    }
    out.push_str(&revocations(inventory));
    out.push_str(&crate::model::text::printable_lines(&summary(inventory)));
    out
}

/// How to revoke each provider's leaked credentials, once per provider with a secret
/// finding, from its detectors' `[[revoke]]`.
fn revocations(inventory: &Inventory) -> String {
    let mut lines: std::collections::BTreeMap<&str, String> = std::collections::BTreeMap::new();
    for f in inventory.findings.iter().filter(|f| {
        matches!(
            f.code.as_str(),
            "leaked-secret" | "secret-in-history" | "live-secret" | "inactive-secret"
        ) && f.confidence != Some(crate::model::Confidence::Example)
    }) {
        let Some(d) = f.detector.as_deref().and_then(|d| inventory.detector(d)) else {
            continue;
        };
        if let Some(r) = &d.revoke {
            lines
                .entry(d.service.as_str())
                .or_insert_with(|| format!("  {}: {} ({})\n", d.service, r.how, r.url));
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::from("To revoke (from each provider's documentation):\n");
    out.extend(lines.into_values());
    out.push('\n');
    crate::model::text::printable_lines(&out).into_owned()
}

fn findings_table(findings: &[&Finding], layout: Layout, color: bool) -> Table {
    let mut table = layout.table(&FINDING_COLUMNS, color);
    for f in findings {
        let mut location = match (&f.path, f.line) {
            (Some(p), Some(0)) => p.clone(),
            (Some(p), Some(l)) => format!("{p}:{l}"),
            (Some(p), None) => p.clone(),
            _ => f.identity.clone(),
        };
        if let Some(sha) = &f.commit {
            location.push('@');
            location.push_str(&sha[..sha.len().min(10)]);
        }
        table.add_row(layout.keep(
            &FINDING_COLUMNS,
            [
                level_cell(f.level, color),
                text_cell(&f.code),
                text_cell(f.detector.as_deref().unwrap_or("-")),
                text_cell(f.kind.as_deref().unwrap_or("-")),
                layout.shortened(&location, 4, 24),
                text_cell(f.preview.as_deref().unwrap_or("-")),
                text_cell(super::confidence_label(f)),
                text_cell(&f.message),
            ],
        ));
    }
    table
}

/// A cell of text from the inventory: file names, author names and API messages come from
/// whoever controls the scanned thing, so control characters are shown, never obeyed.
fn text_cell(text: impl AsRef<str>) -> Cell {
    Cell::new(crate::model::text::printable(text.as_ref()))
}

fn identity_table(inv: &Inventory, layout: Layout, color: bool) -> Table {
    let mut table = layout.table(&IDENTITY_COLUMNS, color);
    let date =
        |t: Option<crate::model::Timestamp>| t.map(|t| t.day()).unwrap_or_else(|| "-".into());
    for i in super::live_first(&inv.identities) {
        let mut codes: Vec<&str> = inv
            .findings
            .iter()
            .filter(|f| f.identity == i.id)
            .map(|f| f.code.as_str())
            .collect();
        codes.dedup();
        let owner = i.owner.as_ref().map_or("-".to_string(), |o| o.label());
        // `file/stripe`: where it was found, whose credential it is; once when they agree.
        let provider = match &i.service {
            Some(s) if *s != i.provider.to_string() => format!("{}/{s}", i.provider),
            _ => i.provider.to_string(),
        };
        table.add_row(layout.keep(
            &IDENTITY_COLUMNS,
            [
                text_cell(&i.kind),
                text_cell(provider),
                layout.shortened(&i.name, 6, 16),
                layout.shortened(&i.location, 4, 24),
                owner_cell(owner, i.accountable_owner().is_none(), color),
                text_cell(i.age_days.map_or("-".into(), |d| format!("{d}d"))),
                text_cell(date(i.last_used_at)),
                text_cell(date(i.expires_at)),
                status_cell(i, color),
                text_cell(if codes.is_empty() {
                    "-".into()
                } else {
                    codes.join(", ")
                }),
            ],
        ));
    }
    table
}

/// An identity nobody owns is what an access review cannot close: yellow, as `warn` is.
fn owner_cell(text: String, unowned: bool, color: bool) -> Cell {
    let cell = text_cell(text);
    if color && unowned {
        cell.fg(Color::Yellow)
    } else {
        cell
    }
}

/// Expired in red, as a `deny` level is; inactive dimmed.
/// `LIVE` (red) for a secret its provider accepted: the first thing to revoke.
fn status_cell(identity: &crate::model::Identity, color: bool) -> Cell {
    use crate::model::Status;
    let status = identity.status;
    if identity.validation.as_ref().is_some_and(|v| v.is_active()) {
        let cell = Cell::new("LIVE");
        return if color {
            cell.fg(Color::Red).add_attribute(Attribute::Bold)
        } else {
            cell
        };
    }
    let cell = Cell::new(format!("{status:?}").to_lowercase());
    match (color, status) {
        (true, Status::Expired) => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        (true, Status::Inactive) => cell.add_attribute(Attribute::Dim),
        _ => cell,
    }
}

fn level_cell(level: Level, color: bool) -> Cell {
    let cell = Cell::new(level.to_string());
    if !color {
        return cell;
    }
    match level {
        Level::Deny => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Level::Warn => cell.fg(Color::Yellow),
        Level::Allow => cell,
    }
}

fn summary(inv: &Inventory) -> String {
    let s = &inv.summary;
    let mut out = String::new();
    let certs = inv
        .identities
        .iter()
        .filter(|i| i.kind == "certificate")
        .count();
    let collected = inv
        .identities
        .iter()
        .filter(|i| i.is_collected() && i.kind != "certificate")
        .count();
    let secrets = inv.identities.len() - certs - collected;
    let _ = write!(
        out,
        "{} findings ({} deny, {} warn) on {} identities ({} secrets, {} certificates",
        inv.findings.len(),
        s.findings_deny,
        s.findings_warn,
        inv.identities.len(),
        secrets,
        certs
    );
    let _ = if collected > 0 {
        writeln!(out, ", {collected} from provider APIs)")
    } else {
        writeln!(out, ")")
    };
    let _ = writeln!(
        out,
        "scanned {} files ({}) with {} detectors in {} ms; skipped {} binary, {} too large{}; suppressed {} inline, {} by baseline, {} by config",
        s.files_scanned,
        crate::model::text::human_size(s.bytes_scanned),
        s.detectors,
        s.elapsed_ms,
        s.skipped_binary,
        s.skipped_too_large,
        if s.skipped_special > 0 {
            format!(", {} special (FIFOs, sockets, devices)", s.skipped_special)
        } else {
            String::new()
        },
        s.suppressed_inline,
        s.suppressed_baseline,
        s.suppressed_config
    );
    let rejected: u64 = s.rejected.values().sum();
    if rejected > 0 || s.below_min_confidence > 0 {
        let mut reasons: Vec<(&String, &u64)> = s.rejected.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = reasons.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let _ = write!(
            out,
            "rejected {rejected} candidates that are no credentials ({})",
            list.join(", ")
        );
        if s.below_min_confidence > 0 {
            let _ = write!(
                out,
                "; {} findings below min_confidence",
                s.below_min_confidence
            );
        }
        let _ = writeln!(out);
    }
    for r in &inv.storage {
        let stores: Vec<String> = r.stores.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let _ = writeln!(
            out,
            "secrets in {}: {} vaulted{}, {} hard-coded",
            r.repository,
            r.vaulted,
            if stores.is_empty() {
                String::new()
            } else {
                format!(" ({})", stores.join(", "))
            },
            r.hard_coded
        );
    }
    if s.commits_scanned > 0 {
        let _ = write!(
            out,
            "history: {} commits, {} blobs scanned ({}), {} from cache",
            s.commits_scanned,
            s.blobs_scanned,
            crate::model::text::human_size(s.history_bytes_scanned),
            s.blobs_cached
        );
        if s.blobs_skipped_binary + s.blobs_skipped_too_large > 0 {
            let _ = write!(
                out,
                "; skipped {} binary, {} too large",
                s.blobs_skipped_binary, s.blobs_skipped_too_large
            );
        }
        let _ = writeln!(out);
    }
    for source in inv.sources.iter().filter(|s| s.api_calls > 0) {
        let _ = writeln!(
            out,
            "source {}: {} items, {} API calls, {} ms",
            source.id, source.items, source.api_calls, source.elapsed_ms
        );
    }
    if s.errors > 0 {
        let _ = writeln!(
            out,
            "INCOMPLETE: {} paths could not be scanned (listed on stderr)",
            s.errors
        );
    }
    for source in inv.sources.iter().filter(|s| s.id != "files") {
        if source.status != crate::model::SourceState::Ok {
            let _ = writeln!(
                out,
                "INCOMPLETE: source {} is {:?}: {} (details on stderr and in the JSON)",
                source.id,
                source.status,
                source
                    .errors
                    .first()
                    .map(String::as_str)
                    .unwrap_or("no detail")
            );
        }
    }
    out
}
