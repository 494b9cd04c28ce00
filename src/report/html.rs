//! `--format html`: one self-contained file for auditors. No external CSS, fonts or
//! scripts, so it opens offline and can be archived as evidence unchanged. Summaries by
//! kind, owner, age bucket and control; a sortable identity table; findings with their
//! control references; scope, sources and tool version up front.

use crate::model::{Identity, Inventory, Level};
use std::collections::BTreeMap;
use std::fmt::Write;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1d1f}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}\
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#f2f2f2;cursor:pointer}.deny{color:#b00020;font-weight:bold}.warn{color:#8a5a00}\
.meta td:first-child{font-weight:bold}.summary{display:flex;gap:2rem;flex-wrap:wrap}\
code{font-size:.8rem}";

/// Click a column header to sort; numbers sort numerically.
const SCRIPT: &str = "document.querySelectorAll('table.sortable th').forEach((th,i)=>th.addEventListener('click',()=>{\
const t=th.closest('table'),b=t.tBodies[0],rows=[...b.rows],asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';\
rows.sort((x,y)=>{const a=x.cells[i].innerText,c=y.cells[i].innerText,n=parseFloat(a)-parseFloat(c);\
return (isNaN(n)?a.localeCompare(c):n)*(asc?1:-1)});rows.forEach(r=>b.appendChild(r))}));";

pub fn render(inv: &Inventory, _options: &super::Options) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nhiscan inventory {}</title><style>{STYLE}</style></head><body>",
        esc(&inv.generated_at.to_string())
    );
    let _ = write!(out, "<h1>Non-human identity inventory</h1>");
    meta(&mut out, inv);
    summaries(&mut out, inv);
    storage(&mut out, inv);
    identities(&mut out, inv);
    findings(&mut out, inv);
    let _ = writeln!(out, "<script>{SCRIPT}</script></body></html>");
    out
}

fn esc(s: &str) -> String {
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
    let _ = write!(out, "<table class=\"meta\">");
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

fn count_table(out: &mut String, title: &str, counts: &BTreeMap<String, usize>) {
    let _ = write!(
        out,
        "<div><h2>By {}</h2><table><thead><tr><th>{}</th><th>Count</th></tr></thead><tbody>",
        esc(title),
        esc(title)
    );
    for (k, n) in counts {
        let _ = write!(out, "<tr><td>{}</td><td>{n}</td></tr>", esc(k));
    }
    let _ = write!(out, "</tbody></table></div>");
}

fn summaries(out: &mut String, inv: &Inventory) {
    let mut by_kind = BTreeMap::new();
    let mut by_owner = BTreeMap::new();
    let mut by_age = BTreeMap::new();
    for i in &inv.identities {
        *by_kind.entry(i.kind.clone()).or_insert(0) += 1;
        let owner = i
            .owner
            .as_ref()
            .map_or("unowned".to_string(), |o| o.team.clone());
        *by_owner.entry(owner).or_insert(0) += 1;
        *by_age.entry(age_bucket(i).to_string()).or_insert(0) += 1;
    }
    let mut by_control = BTreeMap::new();
    for f in &inv.findings {
        for c in &f.controls {
            *by_control.entry(c.clone()).or_insert(0) += 1;
        }
    }
    let _ = write!(out, "<div class=\"summary\">");
    count_table(out, "kind", &by_kind);
    count_table(out, "owner", &by_owner);
    count_table(out, "age", &by_age);
    count_table(out, "control (findings)", &by_control);
    let _ = write!(out, "</div>");
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
        "<h2>Identities ({})</h2><table class=\"sortable\"><thead><tr><th>Kind</th><th>Provider</th><th>Name</th><th>Location</th><th>Owner</th><th>Age (days)</th><th>Last used</th><th>Expires</th><th>Status</th><th>Findings</th><th>Preview</th></tr></thead><tbody>",
        inv.identities.len()
    );
    for i in &inv.identities {
        let codes: Vec<&str> = inv
            .findings
            .iter()
            .filter(|f| f.identity == i.id)
            .map(|f| f.code.as_str())
            .collect();
        let owner = i
            .owner
            .as_ref()
            .map_or("unowned".into(), |o| format!("{} ({})", o.team, o.source));
        let ts = |t: Option<crate::model::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&i.kind),
            esc(&i.provider.to_string()),
            esc(&i.name),
            esc(&i.location),
            esc(&owner),
            i.age_days.map(|d| d.to_string()).unwrap_or_default(),
            esc(&ts(i.last_used_at)),
            esc(&ts(i.expires_at)),
            esc(&format!("{:?}", i.status).to_lowercase()),
            esc(&codes.join(", ")),
            esc(i.preview.as_deref().unwrap_or(""))
        );
    }
    let _ = write!(out, "</tbody></table>");
}

fn findings(out: &mut String, inv: &Inventory) {
    let _ = write!(
        out,
        "<h2>Findings ({})</h2><table class=\"sortable\"><thead><tr><th>Level</th><th>Code</th><th>Message</th><th>Location</th><th>Confidence</th><th>Controls</th></tr></thead><tbody>",
        inv.findings.len()
    );
    let mut sorted: Vec<_> = inv.findings.iter().collect();
    sorted.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.code.cmp(&b.code)));
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
        let _ = write!(
            out,
            "<tr><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td title=\"{}\">{}</td><td>{}</td></tr>",
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
