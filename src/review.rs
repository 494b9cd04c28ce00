//! The access-review cycle: a sheet exported from an inventory, filled in by reviewers, and
//! imported back as decisions recorded in the scan-history database.
//!
//! Service accounts, API keys and tokens belong in the same periodic access review as
//! people (SOC 2 CC6.2/CC6.3, ISO 27001 A.5.18). The sheet is CSV so it opens in any
//! spreadsheet; every cell is guarded against formula injection as the CSV report's are.
//! Import checks every row and reports every problem at once with its line, as a
//! reviewer fixing the sheet needs; rows without a decision are not reviews and are
//! counted, not rejected. A reviewer may not review an identity they own (segregation of
//! duties).

use crate::model::{Decision, Identity, Inventory, ReviewRecord, Timestamp};
use crate::report::csv::inert;
use std::collections::HashMap;
use std::fmt;

/// Columns of the sheet; the last five are the reviewer's.
pub const COLUMNS: [&str; 19] = [
    "id",
    "kind",
    "provider",
    "service",
    "name",
    "location",
    "owner",
    "backup_owner",
    "owner_source",
    "privileges",
    "created",
    "last_used",
    "expires",
    "open_findings",
    "decision",
    "reviewer",
    "review_date",
    "ticket",
    "notes",
];

/// The review sheet for `inventory`: one row per identity, reviewer columns empty.
pub fn export(inventory: &Inventory) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS).expect("write to memory");
    for identity in &inventory.identities {
        let cells: Vec<String> = row(inventory, identity).into_iter().map(inert).collect();
        writer.write_record(cells).expect("write to memory");
    }
    String::from_utf8(writer.into_inner().expect("flush to memory")).expect("csv is utf-8")
}

fn row(inventory: &Inventory, identity: &Identity) -> Vec<String> {
    let mut open: Vec<&str> = inventory
        .findings
        .iter()
        .filter(|f| f.identity == identity.id)
        .map(|f| f.code.as_str())
        .collect();
    open.sort_unstable();
    open.dedup();
    let day = |t: Option<Timestamp>| t.map(|t| t.day());
    let owner = identity.owner.as_ref();
    let mut cells = vec![
        identity.id.clone(),
        identity.kind.clone(),
        identity.provider.to_string(),
        identity.service.clone().unwrap_or_default(),
        identity.name.clone(),
        identity.location.clone(),
        owner.map(|o| o.team.clone()).unwrap_or_default(),
        owner.and_then(|o| o.backup.clone()).unwrap_or_default(),
        owner
            .map(|o| match o.is_suggested() {
                true => format!("{} (suggested)", o.source),
                false => o.source.clone(),
            })
            .unwrap_or_default(),
        identity.privileges.join("; "),
        day(identity.created_at).unwrap_or_default(),
        day(identity.last_used_at).unwrap_or_default(),
        day(identity.expires_at).unwrap_or_default(),
        open.join("; "),
    ];
    cells.resize(COLUMNS.len(), String::new());
    cells
}

/// One problem with one row of a review sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewProblem {
    /// 1-based line of the sheet (the header is line 1).
    pub line: usize,
    /// Stable code: `unknown-identity`, `bad-decision`, `missing-reviewer`, `self-review`,
    /// `bad-date`, `future-date`, `missing-column`, `malformed-row`.
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for ReviewProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.code, self.message)
    }
}

/// What an import found: decisions to record, rows with problems, rows left undecided.
#[derive(Debug, Default)]
pub struct ReviewImport {
    pub records: Vec<ReviewRecord>,
    pub problems: Vec<ReviewProblem>,
    pub undecided: usize,
}

/// Check every row of `sheet` against `inventory` (the identities under review and their
/// owners) at time `now`.
pub fn import(sheet: &str, inventory: &Inventory, now: Timestamp) -> ReviewImport {
    let mut out = ReviewImport::default();
    let owners: HashMap<&str, Vec<String>> = inventory
        .identities
        .iter()
        .map(|i| {
            let names = i
                .owner
                .iter()
                .flat_map(|o| std::iter::once(o.team.clone()).chain(o.backup.clone()))
                .map(|n| n.trim().to_lowercase())
                .collect();
            (i.id.as_str(), names)
        })
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(sheet.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_lowercase()).collect(),
        Err(e) => {
            out.problems.push(ReviewProblem {
                line: 1,
                code: "malformed-row",
                message: format!("the header cannot be read: {e}"),
            });
            return out;
        }
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let required = ["id", "decision", "reviewer", "review_date"];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| column(c).is_none())
        .collect();
    if !missing.is_empty() {
        out.problems.push(ReviewProblem {
            line: 1,
            code: "missing-column",
            message: format!(
                "the header has no {} column; export a sheet with `nhiscan review export`",
                missing.join(", ")
            ),
        });
        return out;
    }
    let at = |record: &csv::StringRecord, name: &str| -> String {
        column(name)
            .and_then(|i| record.get(i))
            .map(|v| v.trim().trim_start_matches('\'').trim().to_string())
            .unwrap_or_default()
    };
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.problems.push(ReviewProblem {
                    line,
                    code: "malformed-row",
                    message: format!("cannot be read as CSV: {e}"),
                });
                continue;
            }
        };
        let decision_text = at(&record, "decision");
        if decision_text.is_empty() {
            out.undecided += 1;
            continue;
        }
        let problems_before = out.problems.len();
        let mut problem = |code: &'static str, message: String| {
            out.problems.push(ReviewProblem {
                line,
                code,
                message,
            })
        };
        let id = at(&record, "id");
        let Some(owned_by) = owners.get(id.as_str()) else {
            problem(
                "unknown-identity",
                format!("`{id}` is not an identity of the inventory under review"),
            );
            continue;
        };
        let decision = Decision::parse(&decision_text);
        if decision.is_none() {
            problem(
                "bad-decision",
                format!(
                    "decision `{decision_text}` is not one of {}",
                    Decision::NAMES.join(", ")
                ),
            );
        }
        let reviewer = at(&record, "reviewer");
        if reviewer.is_empty() {
            problem(
                "missing-reviewer",
                "a decision needs the reviewer who made it".into(),
            );
        } else if owned_by.contains(&reviewer.to_lowercase()) {
            problem(
                "self-review",
                format!(
                    "`{reviewer}` owns `{id}` and cannot review it (segregation of duties); ask someone else"
                ),
            );
        }
        let date_text = at(&record, "review_date");
        let date = match parse_day(&date_text) {
            Some(d) if d > now => {
                problem(
                    "future-date",
                    format!("review_date {date_text} is after today ({})", &now.day()),
                );
                None
            }
            Some(d) => Some(d),
            None => {
                problem(
                    "bad-date",
                    format!("review_date `{date_text}` is not a date like 2026-11-30"),
                );
                None
            }
        };
        if let (Some(decision), Some(date), true) =
            (decision, date, out.problems.len() == problems_before)
        {
            let optional = |name: &str| Some(at(&record, name)).filter(|v| !v.is_empty());
            out.records.push(ReviewRecord {
                identity: id,
                decision,
                reviewer,
                date,
                ticket: optional("ticket"),
                notes: optional("notes"),
            });
        }
    }
    out
}

/// `2026-11-30` (midnight UTC) or a full RFC 3339 time.
fn parse_day(text: &str) -> Option<Timestamp> {
    Timestamp::parse(text)
        .ok()
        .or_else(|| Timestamp::parse(&format!("{text}T00:00:00Z")).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times_parse_and_nothing_else() {
        assert_eq!(
            parse_day("2026-11-30").unwrap().to_string(),
            "2026-11-30T00:00:00Z"
        );
        assert!(parse_day("2026-11-30T10:00:00Z").is_some());
        for bad in ["", "30/11/2026", "2026-13-01", "yesterday"] {
            assert!(parse_day(bad).is_none(), "{bad}");
        }
    }
}
