//! `--format html`: one self-contained file for auditors. No external CSS, fonts or
//! scripts, so it opens offline and can be archived as evidence unchanged.
//!
//! Top to bottom: the period (or scan time) and scope; summary cards (identities, owned
//! and reviewed share, deny findings, expiring); charts as inline SVG (identities by age
//! bucket and by kind, findings by control, and for a period the trend of open findings
//! over its scans); the per-control table; identities and findings in tables that wrap
//! to the page (no horizontal overflow at 1,280 px), each identity's full detail on
//! expand; and a sign-off block. `render_period` is the same page for an audit period.

mod charts;

use super::controls::{self, ControlRow};
use crate::model::{Identity, Inventory, Level, Timestamp};
use std::collections::BTreeMap;
use std::fmt::Write;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:1200px;padding:0 1rem;color:#1d1d1f}\
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem;width:100%;table-layout:fixed}\
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}\
th{background:#f2f2f2;cursor:pointer}.deny{color:#b00020;font-weight:bold}.warn{color:#8a5a00}\
.meta{table-layout:auto}.meta td:first-child{font-weight:bold;width:12rem}\
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}\
.card{border:1px solid #ccc;border-radius:6px;padding:.6rem 1rem;min-width:9rem}\
.card b{display:block;font-size:1.4rem}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:1rem}\
figure.chart{margin:0}figcaption{font-weight:bold;margin-bottom:.3rem}.legend,.none{font-size:.8rem;color:#555}\
.operated{color:#1b6e20}.exceptions{color:#b00020}details summary{cursor:pointer}\
details dl{margin:.3rem 0;display:grid;grid-template-columns:8rem 1fr;gap:.1rem .5rem}\
.signoff td{height:2.2rem}code{font-size:.8rem}\
@media print{th{cursor:auto}details{display:block}}";

/// Click a column header to sort; numbers sort numerically.
const SCRIPT: &str = "document.querySelectorAll('table.sortable th').forEach((th,i)=>th.addEventListener('click',()=>{\
const t=th.closest('table'),b=t.tBodies[0],rows=[...b.rows],asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';\
rows.sort((x,y)=>{const a=x.cells[i].innerText,c=y.cells[i].innerText,n=parseFloat(a)-parseFloat(c);\
return (isNaN(n)?a.localeCompare(c):n)*(asc?1:-1)});rows.forEach(r=>b.appendChild(r))}));";

/// What a period adds to the page: its bounds, the trend over its scans, the controls
/// over all of them, and how many identities were reviewed in it.
#[derive(Debug, Clone)]
pub struct PeriodView {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Per scan: (date, open deny findings, open warn findings).
    pub trend: Vec<(String, u64, u64)>,
    pub controls: Vec<ControlRow>,
    /// Identities of the newest scan with a review decision in the period.
    pub reviewed: usize,
}

pub fn render(inv: &Inventory, _options: &super::Options) -> String {
    let reviewed = inv
        .identities
        .iter()
        .filter(|i| i.review.as_ref().is_some_and(|r| r.last.is_some()))
        .count();
    page(inv, None, &controls::results(&[inv]), reviewed)
}

/// The page for an audit period (see [`PeriodView`]), `inv` being its newest scan.
pub fn render_period(inv: &Inventory, period: &PeriodView) -> String {
    page(inv, Some(period), &period.controls, period.reviewed)
}

fn page(
    inv: &Inventory,
    period: Option<&PeriodView>,
    controls: &[ControlRow],
    reviewed: usize,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>nhiscan inventory {}</title><style>{STYLE}</style></head><body>",
        esc(&inv.generated_at.to_string())
    );
    let _ = write!(out, "<h1>Non-human identity inventory</h1>");
    if let Some(p) = period {
        let _ = write!(
            out,
            "<p id=\"period\"><b>Period:</b> {} to {} ({} scans)</p>",
            &p.from.day(),
            &p.to.day(),
            p.trend.len()
        );
    }
    meta(&mut out, inv);
    cards(&mut out, inv, reviewed);
    charts_section(&mut out, inv, period);
    controls_table(&mut out, controls);
    storage(&mut out, inv);
    identities(&mut out, inv);
    findings(&mut out, inv);
    signoff(&mut out);
    let _ = writeln!(out, "<script>{SCRIPT}</script></body></html>");
    out
}

pub(super) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn meta(out: &mut String, inv: &Inventory) {
    let sources: Vec<String> = inv
        .sources
        .iter()
        .map(|s| format!("{} ({:?}, {} items)", s.id, s.status, s.items).to_lowercase())
        .collect();
    let rows = [
        ("Generated", inv.generated_at.to_string()),
        ("Tool", format!("{} {}", inv.tool.name, inv.tool.version)),
        ("Schema version", inv.schema_version.to_string()),
        ("Scope (paths)", inv.scope.paths.join(", ")),
        ("Sources", sources.join("; ")),
        (
            "Complete",
            if inv.is_incomplete() {
                "no: a requested source failed or was partial".into()
            } else {
                "yes".into()
            },
        ),
    ];
    let _ = write!(out, "<table id=\"scope\" class=\"meta\">");
    for (k, v) in rows {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
    }
    let _ = write!(out, "</table>");
}

fn age_bucket(i: &Identity) -> &'static str {
    match i.age_days {
        None => "unknown",
        Some(d) if d < 30 => "< 30 days",
        Some(d) if d < 90 => "30-89 days",
        Some(d) if d < 365 => "90-364 days",
        Some(_) => ">= 1 year",
    }
}

/// Headline numbers: identities, the share with an accountable (not suggested) owner,
/// the share reviewed, deny findings, and what expires soon or has expired.
fn cards(out: &mut String, inv: &Inventory, reviewed: usize) {
    let total = inv.identities.len();
    let owned = inv
        .identities
        .iter()
        .filter(|i| i.accountable_owner().is_some())
        .count();
    let share = |n: usize| match total {
        0 => "-".to_string(),
        t => format!("{}%", (n * 100 + t / 2) / t),
    };
    let expiring = inv
        .findings
        .iter()
        .filter(|f| f.code == "expiring-soon" || f.code == "expired")
        .count();
    let cards = [
        ("Identities", total.to_string()),
        ("Owned", share(owned)),
        // Without a history database no review is tracked: nothing to share out.
        (
            "Reviewed",
            if inv.identities.iter().any(|i| i.review.is_some()) || reviewed > 0 {
                share(reviewed)
            } else {
                "n/a".into()
            },
        ),
        ("Deny findings", inv.summary.findings_deny.to_string()),
        ("Expiring or expired", expiring.to_string()),
    ];
    let _ = write!(out, "<section id=\"summary\" class=\"cards\">");
    for (label, value) in cards {
        let _ = write!(
            out,
            "<div class=\"card\"><b>{}</b>{}</div>",
            esc(&value),
            esc(label)
        );
    }
    let _ = write!(out, "</section>");
}

fn sorted_counts(counts: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn charts_section(out: &mut String, inv: &Inventory, period: Option<&PeriodView>) {
    let mut by_kind = BTreeMap::new();
    let mut by_age = BTreeMap::new();
    let mut by_owner = BTreeMap::new();
    for i in &inv.identities {
        *by_kind.entry(i.kind.clone()).or_insert(0) += 1;
        *by_age.entry(age_bucket(i).to_string()).or_insert(0) += 1;
        let owner = i
            .accountable_owner()
            .map_or("unowned".to_string(), |o| o.team.clone());
        *by_owner.entry(owner).or_insert(0) += 1;
    }
    let mut by_control = BTreeMap::new();
    for f in &inv.findings {
        for c in &f.controls {
            *by_control.entry(c.clone()).or_insert(0) += 1;
        }
    }
    // Age buckets in age order, not by count.
    let ages: Vec<(String, usize)> = [
        "< 30 days",
        "30-89 days",
        "90-364 days",
        ">= 1 year",
        "unknown",
    ]
    .iter()
    .filter_map(|b| by_age.get(*b).map(|n| (b.to_string(), *n)))
    .collect();
    let _ = write!(
        out,
        "<h2>Charts</h2><section id=\"charts\" class=\"charts\">"
    );
    out.push_str(&charts::bars("Identities by age", &ages));
    out.push_str(&charts::bars("Identities by kind", &sorted_counts(by_kind)));
    out.push_str(&charts::bars(
        "Identities by owner",
        &sorted_counts(by_owner),
    ));
    out.push_str(&charts::bars(
        "Findings by control",
        &sorted_counts(by_control),
    ));
    if let Some(p) = period {
        out.push_str(&charts::trend(
            "Open findings over the period's scans",
            &p.trend,
        ));
    }
    let _ = write!(out, "</section>");
}

fn controls_table(out: &mut String, rows: &[ControlRow]) {
    let _ = write!(
        out,
        "<h2>Controls</h2><table id=\"controls\"><thead><tr><th style=\"width:9rem\">Control</th><th>Tested</th><th style=\"width:7rem\">Population</th><th style=\"width:7rem\">Exceptions</th><th style=\"width:8rem\">Result</th><th>Exception codes</th></tr></thead><tbody>"
    );
    for r in rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            esc(r.control),
            esc(r.tested),
            r.population,
            r.exceptions,
            r.result.replace(' ', "-"),
            esc(r.result),
            esc(&r.codes.join(", "))
        );
    }
    let _ = write!(out, "</tbody></table>");
}

fn signoff(out: &mut String) {
    let _ = write!(
        out,
        "<h2>Sign-off</h2><table id=\"signoff\" class=\"signoff\"><tbody><tr><td style=\"width:12rem\">Prepared by</td><td></td></tr><tr><td>Reviewed by</td><td></td></tr><tr><td>Date</td><td></td></tr><tr><td>Signature</td><td></td></tr></tbody></table>"
    );
}

/// Vaulted vs hard-coded secrets per repository or scanned tree.
fn storage(out: &mut String, inv: &Inventory) {
    if inv.storage.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h2>Secrets by storage</h2><table><thead><tr><th>Repository</th><th>Vaulted (referenced in a store)</th><th>Hard-coded (values in code)</th><th>Stores</th></tr></thead><tbody>"
    );
    for r in &inv.storage {
        let stores: Vec<String> = r.stores.iter().map(|(s, n)| format!("{s} {n}")).collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.repository),
            r.vaulted,
            r.hard_coded,
            esc(&stores.join(", "))
        );
    }
    let _ = write!(out, "</tbody></table>");
}

fn identities(out: &mut String, inv: &Inventory) {
    let _ = write!(
        out,
        "<h2>Identities ({})</h2><table id=\"identities\" class=\"sortable\"><thead><tr><th style=\"width:8rem\">Kind</th><th style=\"width:7rem\">Provider</th><th>Name (expand for detail)</th><th>Location</th><th>Owner</th><th style=\"width:5rem\">Age (days)</th><th style=\"width:6.5rem\">Expires</th><th style=\"width:5rem\">Status</th><th>Findings</th></tr></thead><tbody>",
        inv.identities.len()
    );
    let day = |t: Option<Timestamp>| t.map(|t| t.day()).unwrap_or_default();
    for i in super::live_first(&inv.identities) {
        let codes: Vec<&str> = inv
            .findings
            .iter()
            .filter(|f| f.identity == i.id)
            .map(|f| f.code.as_str())
            .collect();
        let owner = i.owner.as_ref().map_or("unowned".into(), |o| o.label());
        let mut detail = vec![
            ("Id", i.id.clone()),
            ("Service", i.service.clone().unwrap_or_default()),
            ("Preview", i.preview.clone().unwrap_or_default()),
            (
                "Owner evidence",
                i.owner
                    .as_ref()
                    .map(|o| o.evidence.clone())
                    .unwrap_or_default(),
            ),
            (
                "Backup owner",
                i.owner
                    .as_ref()
                    .and_then(|o| o.backup.clone())
                    .unwrap_or_default(),
            ),
            ("Created", day(i.created_at)),
            ("Last used", day(i.last_used_at)),
            ("Rotated", day(i.rotated_at)),
            ("Privileges", i.privileges.join(", ")),
            (
                "Exposures",
                i.exposures
                    .iter()
                    .map(|e| format!("{}:{}", e.path, e.line))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ];
        if let Some(v) = &i.validation {
            detail.push((
                "Validation",
                format!(
                    "{} ({}{})",
                    v.status,
                    v.reason,
                    v.acts_as()
                        .map(|who| format!("; acts as {who}"))
                        .unwrap_or_default()
                ),
            ));
        }
        if let Some(last) = i.review.as_ref().and_then(|r| r.last.as_ref()) {
            detail.push((
                "Last review",
                format!(
                    "{} by {} on {}",
                    last.decision,
                    last.reviewer,
                    &last.date.day()
                ),
            ));
        }
        let mut dl = String::new();
        for (k, v) in detail.iter().filter(|(_, v)| !v.is_empty()) {
            let _ = write!(dl, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
        }
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td><details><summary>{}</summary><dl>{dl}</dl></details></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&i.kind),
            esc(&i.provider.to_string()),
            esc(&i.name),
            esc(&i.location),
            esc(&owner),
            i.age_days.map(|d| d.to_string()).unwrap_or_default(),
            esc(&day(i.expires_at)),
            if i.validation.as_ref().is_some_and(|v| v.is_active()) {
                "<strong class=\"deny\">LIVE</strong>".to_string()
            } else {
                esc(&format!("{:?}", i.status).to_lowercase())
            },
            esc(&codes.join(", ")),
        );
    }
    let _ = write!(out, "</tbody></table>");
}

fn findings(out: &mut String, inv: &Inventory) {
    let _ = write!(
        out,
        "<h2>Findings ({})</h2><table id=\"findings\" class=\"sortable\"><thead><tr><th style=\"width:4rem\">Level</th><th style=\"width:9rem\">Code</th><th>Message</th><th>Location</th><th style=\"width:7rem\">Confidence</th><th style=\"width:10rem\">Controls</th></tr></thead><tbody>",
        inv.findings.len()
    );
    let mut sorted: Vec<_> = inv.findings.iter().collect();
    sorted.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| super::is_live_finding(b).cmp(&super::is_live_finding(a)))
            .then_with(|| a.code.cmp(&b.code))
    });
    for f in sorted {
        let class = match f.level {
            Level::Deny => "deny",
            Level::Warn => "warn",
            Level::Allow => "",
        };
        let location = match (&f.path, f.line) {
            (Some(p), Some(0)) | (Some(p), None) => p.clone(),
            (Some(p), Some(l)) => format!("{p}:{l}"),
            _ => f.identity.clone(),
        };
        // The provider's revocation page as text: the report loads nothing from outside.
        let revoke = f
            .detector
            .as_deref()
            .and_then(|d| inv.detector(d))
            .and_then(|d| d.revoke.as_ref())
            .filter(|_| matches!(f.code.as_str(), "leaked-secret" | "secret-in-history"))
            .map(|r| {
                format!(
                    "<br><small class=\"revoke\">To revoke: {} ({})</small>",
                    esc(&r.how),
                    esc(r.url.trim_start_matches("https://"))
                )
            })
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td class=\"{class}\">{}</td><td>{}</td><td>{}{revoke}</td><td><code>{}</code></td><td title=\"{}\">{}</td><td>{}</td></tr>",
            esc(&f.level.to_string()),
            esc(&f.code),
            esc(&f.message),
            esc(&location),
            esc(f.reason.as_deref().unwrap_or("")),
            esc(&super::confidence_label(f)),
            esc(&f.controls.join(", "))
        );
    }
    let _ = write!(out, "</tbody></table>");
}
