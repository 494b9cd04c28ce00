//! `--format json` (the inventory contract) and `--format jsonl` (streamable records).

use crate::model::Inventory;
use serde_json::{Value, json};

pub fn render(inventory: &Inventory, _options: &super::Options) -> String {
    let mut text = serde_json::to_string_pretty(inventory).expect("inventory serialises");
    text.push('\n');
    text
}

/// A `scan` header line, then one line per identity and per finding, each with a `type`.
pub fn render_lines(inventory: &Inventory, _options: &super::Options) -> String {
    let mut out = String::new();
    let header = json!({
        "type": "scan",
        "schema_version": inventory.schema_version,
        "tool": inventory.tool,
        "generated_at": inventory.generated_at,
        "scope": inventory.scope,
        "sources": inventory.sources,
        "detectors": inventory.detectors,
        "summary": inventory.summary,
    });
    push_line(&mut out, header);
    for identity in &inventory.identities {
        push_line(&mut out, tagged("identity", identity));
    }
    for finding in &inventory.findings {
        push_line(&mut out, tagged("finding", finding));
    }
    out
}

fn tagged<T: serde::Serialize>(kind: &str, value: &T) -> Value {
    let mut v = serde_json::to_value(value).expect("record serialises");
    if let Value::Object(map) = &mut v {
        map.insert("type".into(), Value::String(kind.into()));
    }
    v
}

fn push_line(out: &mut String, value: Value) {
    out.push_str(&value.to_string());
    out.push('\n');
}
