//! `--format csv`: one row per identity, ready for an access review in a spreadsheet.
//!
//! The `reviewed_by`, `review_decision` and `review_date` columns are deliberately empty:
//! reviewers fill them in, and the completed sheet is the review evidence.
//!
//! Every cell is guarded against formula injection: file names, identity names and tags
//! come from whoever controls the scanned thing, and a spreadsheet runs a cell that starts
//! with `=`, `+`, `-`, `@`, tab or carriage return as a formula. Such a cell is written with
//! a leading `'`, as OWASP recommends, so it is shown as text.

use crate::model::{Identity, Inventory, Level};

const HEADER: &[&str] = &[
    "id",
    "provider",
    "service",
    "kind",
    "name",
    "location",
    "exposures",
    "storage",
    "confidence",
    "context",
    "preview",
    "fingerprint",
    "created_at",
    "expires_at",
    "age_days",
    "status",
    "owner",
    "findings",
    "highest_level",
    "reviewed_by",
    "review_decision",
    "review_date",
];

pub fn render(inventory: &Inventory, _options: &super::Options) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).expect("write to memory");
    for identity in &inventory.identities {
        let cells: Vec<String> = row(inventory, identity).into_iter().map(inert).collect();
        writer.write_record(cells).expect("write to memory");
    }
    String::from_utf8(writer.into_inner().expect("flush to memory")).expect("csv is utf-8")
}

/// A cell a spreadsheet will show as text, never evaluate.
pub(crate) fn inert(cell: String) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell,
    }
}

fn row(inventory: &Inventory, identity: &Identity) -> Vec<String> {
    let findings: Vec<_> = inventory
        .findings
        .iter()
        .filter(|f| f.identity == identity.id)
        .collect();
    let mut codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let highest = findings
        .iter()
        .map(|f| f.level)
        .max()
        .unwrap_or(Level::Allow);
    let exposures: Vec<String> = identity
        .exposures
        .iter()
        .map(|e| format!("{}:{}", e.path, e.line))
        .collect();
    let opt = |v: Option<String>| v.unwrap_or_default();
    // Found values: where they are kept, how sure, where they lie (the most exposed place).
    let storage = if identity.is_reference() {
        let stores: Vec<&str> = identity
            .exposures
            .iter()
            .filter_map(|e| e.reference.as_ref().map(|r| r.store.as_str()))
            .collect();
        format!("vaulted ({})", stores.first().copied().unwrap_or("store"))
    } else if identity.exposures.iter().any(|e| e.origin.is_leak()) && !identity.is_collected()
        || identity
            .attributes
            .get("leaked")
            .is_some_and(|v| v == "true")
    {
        "hard-coded".to_string()
    } else {
        String::new()
    };
    let confidence = identity.exposures.iter().filter_map(|e| e.confidence).max();
    let context = identity.exposures.iter().filter_map(|e| e.context).min();
    vec![
        identity.id.clone(),
        identity.provider.to_string(),
        opt(identity.service.clone()),
        identity.kind.clone(),
        identity.name.clone(),
        identity.location.clone(),
        exposures.join("; "),
        storage,
        opt(confidence.map(|c| c.to_string())),
        opt(context.map(|c| c.to_string())),
        opt(identity.preview.clone()),
        opt(identity.fingerprint.clone()),
        opt(identity.created_at.map(|t| t.to_string())),
        opt(identity.expires_at.map(|t| t.to_string())),
        opt(identity.age_days.map(|d| d.to_string())),
        format!("{:?}", identity.status).to_lowercase(),
        opt(identity.owner.as_ref().map(|o| {
            if o.is_suggested() {
                format!("{} (suggested)", o.team)
            } else {
                o.team.clone()
            }
        })),
        codes.join("; "),
        if findings.is_empty() {
            String::new()
        } else {
            highest.to_string()
        },
        String::new(),
        String::new(),
        String::new(),
    ]
}
