//! `nhiscan evidence --history DB --from DATE --to DATE -o DIR`: evidence that controls
//! operated over an audit period, not only that a report exists today.
//!
//! From the scans recorded in the period (and the reviews imported in it) the pack holds:
//! `scans.json` (every scan: time, scope, sources and their status, tool version, hashes),
//! `scans/scan-<id>.json` (each inventory exactly as recorded) with `chain.json` (its
//! link of the history's hash chain), `timelines.json` (per identity: first and last seen,
//! owner changes, rotations, findings opened and closed with time to remediate),
//! `reviews.csv` (the decisions of the period), `controls.csv` (per control: what was
//! tested, the population, the exceptions, a result), `period.json` (the period, coverage
//! of reviews), the newest scan's inventory.json/csv and report.html, and MANIFEST.sha256
//! over all of it. [`verify`] checks a pack: the manifest, then the chain.

use super::{EvidenceError, MANIFEST};
use crate::model::{Inventory, ReviewRecord, Timestamp};
use crate::report::controls::ControlRow;
use crate::report::{self, Format};
use crate::scan_history::{ChainLink, StoredScan, sha256_hex, verify_links};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The period asked for, and what was recorded in it.
pub struct Period<'a> {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Every scan of the history, oldest first (those in the period are picked here).
    pub scans: &'a [StoredScan],
    pub reviews: &'a [ReviewRecord],
    /// First sighting of each identity in the whole history.
    pub first_seen: &'a std::collections::HashMap<String, Timestamp>,
    pub review_days: i64,
}

/// Why a pack could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PeriodError {
    #[error(
        "no scan is recorded between {from} and {to}; record scans with `nhiscan scan --history DB` or widen the period"
    )]
    NoScans { from: String, to: String },
    #[error("recorded scan {id} is not a valid inventory: {message}")]
    Corrupt { id: i64, message: String },
    #[error(transparent)]
    Write(#[from] EvidenceError),
}

#[derive(Debug, Serialize, Deserialize)]
struct ChainEntry {
    scan: i64,
    generated_at: String,
    file: String,
    #[serde(flatten)]
    link: Option<ChainLink>,
}

/// Write the pack for `period` into `dir`; returns the files written.
pub fn write_period(dir: &Path, period: &Period<'_>) -> Result<Vec<PathBuf>, PeriodError> {
    let in_period: Vec<&StoredScan> = period
        .scans
        .iter()
        .filter(|s| {
            Timestamp::parse(&s.generated_at).is_ok_and(|t| period.from <= t && t <= period.to)
        })
        .collect();
    if in_period.is_empty() {
        return Err(PeriodError::NoScans {
            from: period.from.to_string(),
            to: period.to.to_string(),
        });
    }
    let inventories: Vec<Inventory> = in_period
        .iter()
        .map(|s| {
            Inventory::from_json(&s.inventory).map_err(|e| PeriodError::Corrupt {
                id: s.id,
                message: e.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    let mut pack = Pack::new(dir)?;
    for scan in &in_period {
        pack.add(&format!("scans/scan-{}.json", scan.id), &scan.inventory)?;
    }
    let chain: Vec<ChainEntry> = in_period
        .iter()
        .map(|s| ChainEntry {
            scan: s.id,
            generated_at: s.generated_at.clone(),
            file: format!("scans/scan-{}.json", s.id),
            link: s.link.clone(),
        })
        .collect();
    pack.add("chain.json", &pretty(&chain))?;
    let scans: Vec<serde_json::Value> = in_period
        .iter()
        .zip(&inventories)
        .map(|(s, inv)| {
            json!({
                "id": s.id,
                "generated_at": s.generated_at,
                "tool": inv.tool,
                "scope": inv.scope,
                "sources": inv.sources.iter().map(|src| json!({
                    "id": src.id, "status": src.status, "errors": src.errors.len(),
                })).collect::<Vec<_>>(),
                "detectors": inv.summary.detectors,
                "identities": inv.identities.len(),
                "findings_deny": inv.summary.findings_deny,
                "findings_warn": inv.summary.findings_warn,
                "complete": !inv.is_incomplete(),
                "inventory_sha256": s.link.as_ref().map(|l| l.inventory_sha256.clone()),
            })
        })
        .collect();
    pack.add("scans.json", &pretty(&scans))?;
    pack.add(
        "timelines.json",
        &pretty(&timelines(&in_period, &inventories, period)),
    )?;
    let reviews: Vec<&ReviewRecord> = period
        .reviews
        .iter()
        .filter(|r| period.from <= r.date && r.date <= period.to)
        .collect();
    pack.add("reviews.csv", &reviews_csv(&reviews))?;
    let last = inventories.last().expect("at least one scan");
    let reviewed: BTreeSet<&str> = reviews.iter().map(|r| r.identity.as_str()).collect();
    let population = last.identities.len();
    let covered = last
        .identities
        .iter()
        .filter(|i| reviewed.contains(i.id.as_str()))
        .count();
    let overdue = last
        .findings
        .iter()
        .filter(|f| f.code == "review-overdue")
        .count();
    pack.add(
        "period.json",
        &pretty(&json!({
            "from": period.from,
            "to": period.to,
            "scans": in_period.len(),
            "complete_scans": inventories.iter().filter(|i| !i.is_incomplete()).count(),
            "identities_at_end": population,
            "reviews": reviews.len(),
            "identities_reviewed": covered,
            "review_coverage": if population == 0 { 0.0 } else { covered as f64 / population as f64 },
            "review_overdue_at_end": overdue,
            "review_days": period.review_days,
        })),
    )?;
    let all: Vec<&Inventory> = inventories.iter().collect();
    let controls = report::controls::results(&all);
    pack.add("controls.csv", &controls_csv(&controls))?;
    pack.add("inventory.json", &report::render(last, Format::Json, false))?;
    pack.add("inventory.csv", &report::render(last, Format::Csv, false))?;
    let view = report::PeriodView {
        from: period.from,
        to: period.to,
        trend: in_period
            .iter()
            .zip(&inventories)
            .map(|(s, inv)| {
                (
                    s.generated_at[..10].to_string(),
                    inv.summary.findings_deny,
                    inv.summary.findings_warn,
                )
            })
            .collect(),
        controls,
        reviewed: covered,
    };
    pack.add("report.html", &report::render_period_html(last, &view))?;
    pack.finish()
}

fn pretty<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("serialises");
    text.push('\n');
    text
}

/// Files written so far and their manifest lines.
struct Pack {
    dir: PathBuf,
    manifest: String,
    written: Vec<PathBuf>,
}

impl Pack {
    fn new(dir: &Path) -> Result<Pack, EvidenceError> {
        std::fs::create_dir_all(dir.join("scans")).map_err(|source| EvidenceError {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Pack {
            dir: dir.to_path_buf(),
            manifest: String::new(),
            written: Vec::new(),
        })
    }

    fn add(&mut self, name: &str, text: &str) -> Result<(), EvidenceError> {
        let path = self.dir.join(name);
        std::fs::write(&path, text).map_err(|source| EvidenceError {
            path: path.clone(),
            source,
        })?;
        self.manifest
            .push_str(&format!("{}  {name}\n", sha256_hex(text.as_bytes())));
        self.written.push(path);
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<PathBuf>, PeriodError> {
        let path = self.dir.join(MANIFEST);
        std::fs::write(&path, &self.manifest).map_err(|source| EvidenceError {
            path: path.clone(),
            source,
        })?;
        self.written.push(path);
        Ok(self.written)
    }
}

/// Per identity of the period: sightings, owner changes, rotations, findings opened and
/// closed (a finding still open at the period's end has no `closed_at`).
fn timelines(
    scans: &[&StoredScan],
    inventories: &[Inventory],
    period: &Period<'_>,
) -> Vec<serde_json::Value> {
    #[derive(Default)]
    struct Line {
        name: String,
        kind: String,
        seen: Vec<String>,
        owners: Vec<(String, String)>,
        rotations: Vec<String>,
        open: BTreeMap<String, String>,
        findings: Vec<serde_json::Value>,
    }
    let mut lines: BTreeMap<String, Line> = BTreeMap::new();
    for (scan, inv) in scans.iter().zip(inventories) {
        let at = scan.generated_at.clone();
        // Each identity's finding codes in this scan; absent: none (or the identity is gone).
        let mut codes_of: std::collections::HashMap<&str, BTreeSet<&str>> =
            std::collections::HashMap::new();
        for f in &inv.findings {
            codes_of
                .entry(f.identity.as_str())
                .or_default()
                .insert(f.code.as_str());
        }
        let none = BTreeSet::new();
        for identity in &inv.identities {
            let line = lines.entry(identity.id.clone()).or_default();
            line.name = identity.name.clone();
            line.kind = identity.kind.clone();
            line.seen.push(at.clone());
            let owner = identity
                .owner
                .as_ref()
                .map_or("(none)".to_string(), |o| o.team.clone());
            if line.owners.last().map(|(_, o)| o) != Some(&owner) {
                line.owners.push((at.clone(), owner));
            }
            if let Some(r) = identity.rotated_at.map(|t| t.to_string())
                && !line.rotations.contains(&r)
            {
                line.rotations.push(r);
            }
            for code in codes_of.get(identity.id.as_str()).unwrap_or(&none) {
                line.open
                    .entry(code.to_string())
                    .or_insert_with(|| at.clone());
            }
        }
        // Findings no longer reported (or whose identity is gone) are closed now.
        for (id, line) in lines.iter_mut() {
            let codes = codes_of.get(id.as_str()).unwrap_or(&none);
            let closed: Vec<String> = line
                .open
                .keys()
                .filter(|c| !codes.contains(c.as_str()))
                .cloned()
                .collect();
            for code in closed {
                let opened = line.open.remove(&code).expect("open");
                let days = match (Timestamp::parse(&opened), Timestamp::parse(&at)) {
                    (Ok(o), Ok(c)) => Some(o.days_until(&c)),
                    _ => None,
                };
                line.findings.push(json!({
                    "code": code, "opened_at": opened, "closed_at": at, "days_to_remediate": days,
                }));
            }
        }
    }
    lines
        .into_iter()
        .map(|(id, mut line)| {
            for (code, opened) in std::mem::take(&mut line.open) {
                line.findings.push(json!({
                    "code": code, "opened_at": opened, "closed_at": null, "days_to_remediate": null,
                }));
            }
            json!({
                "id": id,
                "name": line.name,
                "kind": line.kind,
                "first_seen": period.first_seen.get(&id).map(|t| t.to_string()).or(line.seen.first().cloned()),
                "last_seen_in_period": line.seen.last(),
                "scans_seen": line.seen.len(),
                "owners": line.owners.iter().map(|(at, o)| json!({"since": at, "owner": o})).collect::<Vec<_>>(),
                "rotations": line.rotations,
                "findings": line.findings,
            })
        })
        .collect()
}

fn reviews_csv(reviews: &[&ReviewRecord]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "identity",
        "decision",
        "reviewer",
        "review_date",
        "ticket",
        "notes",
    ])
    .expect("write to memory");
    for r in reviews {
        let cells = [
            r.identity.clone(),
            r.decision.to_string(),
            r.reviewer.clone(),
            r.date.day(),
            r.ticket.clone().unwrap_or_default(),
            r.notes.clone().unwrap_or_default(),
        ];
        w.write_record(cells.map(crate::report::csv::inert))
            .expect("write to memory");
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("utf-8")
}

/// Per control: what was tested, the population, the exceptions and the result.
fn controls_csv(rows: &[ControlRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "control",
        "tested",
        "population",
        "exceptions",
        "result",
        "exception_codes",
    ])
    .expect("write to memory");
    for r in rows {
        w.write_record([
            r.control.to_string(),
            r.tested.to_string(),
            r.population.to_string(),
            r.exceptions.to_string(),
            r.result.to_string(),
            r.codes.join("; "),
        ])
        .expect("write to memory");
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("utf-8")
}

/// Check a pack: every file of the manifest present with its hash, then the chain of its
/// scans (each inventory file's hash, each link following the one before). Every problem,
/// in order; the first chain problem names the first broken link.
pub fn verify(dir: &Path) -> Result<Vec<String>, EvidenceError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| EvidenceError { path, source })
    };
    let manifest = String::from_utf8_lossy(&read(MANIFEST)?).into_owned();
    let mut problems = Vec::new();
    for (n, line) in manifest.lines().enumerate() {
        let Some((hash, name)) = line.split_once("  ") else {
            problems.push(format!("{MANIFEST}:{}: not `<sha256>  <file>`", n + 1));
            continue;
        };
        match std::fs::read(dir.join(name)) {
            Ok(data) if sha256_hex(&data) == hash => {}
            Ok(_) => problems.push(format!("{name}: does not match its SHA-256 in {MANIFEST} (changed after the pack was written)")),
            Err(e) => problems.push(format!("{name}: listed in {MANIFEST} but cannot be read: {e}")),
        }
    }
    let chain: Vec<ChainEntry> = match serde_json::from_slice(&read("chain.json")?) {
        Ok(c) => c,
        Err(e) => {
            problems.push(format!("chain.json: not a chain: {e}"));
            return Ok(problems);
        }
    };
    let mut scans = Vec::new();
    for entry in chain {
        let inventory = match read(&entry.file) {
            Ok(data) => String::from_utf8_lossy(&data).into_owned(),
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        scans.push(StoredScan {
            id: entry.scan,
            generated_at: entry.generated_at,
            inventory,
            link: entry.link,
        });
    }
    problems.extend(verify_links(&scans).iter().map(|p| format!("chain: {p}")));
    Ok(problems)
}
