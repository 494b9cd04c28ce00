//! `--format sarif`: SARIF 2.1.0, as read by GitHub code scanning and other dashboards.
//!
//! Every result's rule follows one convention, `<finding code>/<detector>` (or the code
//! alone for a finding about an identity no detector found, such as an IAM user), so a
//! secret in the tree, the same one in history and its reuse are three rules that each
//! name the detector. Rules carry `security-severity` (GitHub code scanning's 0-10 scale)
//! from the finding's level and kind, and `partialFingerprints` carries the secret's keyed
//! fingerprint so that a dashboard tracks one secret across commits even when its line
//! moves.

use crate::model::{Finding, Inventory, Level};
use crate::policy;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(inventory: &Inventory, _options: &super::Options) -> String {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let results: Vec<Value> = inventory
        .findings
        .iter()
        .map(|f| {
            let rule_id = rule_id(f);
            rules
                .entry(rule_id.clone())
                .or_insert_with(|| rule_descriptor(&rule_id, f, inventory));
            result(f, &rule_id)
        })
        .collect();
    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": inventory.tool.name,
                "version": inventory.tool.version,
                "informationUri": "https://github.com/nhiscan/nhiscan",
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": !inventory.is_incomplete(),
                "endTimeUtc": inventory.generated_at,
            }],
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&sarif).expect("sarif serialises");
    text.push('\n');
    text
}

fn rule_id(f: &Finding) -> String {
    match &f.detector {
        Some(d) => format!("{}/{d}", f.code),
        None => f.code.clone(),
    }
}

/// GitHub's `security-severity`: a live credential exposed (a secret in the tree or in
/// history, or reused) is critical at deny; any other deny finding high; warn medium;
/// allow low.
fn security_severity(f: &Finding) -> &'static str {
    let secret = matches!(
        f.code.as_str(),
        "leaked-secret" | "secret-in-history" | "secret-reused"
    );
    match (f.level, secret) {
        (Level::Deny, true) => "9.0",
        (Level::Deny, false) => "7.5",
        (Level::Warn, _) => "5.0",
        (Level::Allow, _) => "2.0",
    }
}

fn rule_descriptor(rule_id: &str, f: &Finding, inventory: &Inventory) -> Value {
    let detector = f.detector.as_deref().and_then(|d| inventory.detector(d));
    let policy_rule = policy::rule(&f.code);
    let short = match (detector, policy_rule) {
        (Some(d), _) if f.code == "leaked-secret" => d.name.clone(),
        (Some(d), _) => format!("{}: {}", f.code, d.name),
        (None, Some(r)) => r.code.to_string(),
        (None, None) => rule_id.to_string(),
    };
    let full = policy_rule.map(|r| r.description).unwrap_or("");
    let mut descriptor = json!({
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": sarif_level(f.level)},
        "properties": {
            "tags": ["security", "secret"],
            "security-severity": security_severity(f),
            "policy-code": f.code,
            "controls": f.controls,
        },
    });
    if let Some(uri) = detector.and_then(|d| d.reference.clone()) {
        descriptor["helpUri"] = Value::String(uri);
    }
    descriptor
}

fn result(f: &Finding, rule_id: &str) -> Value {
    let mut r = json!({
        "ruleId": rule_id,
        "level": sarif_level(f.level),
        "message": {"text": f.message},
        "properties": {"identity": f.identity, "code": f.code, "controls": f.controls},
    });
    if let Some(path) = &f.path {
        let mut location = json!({"artifactLocation": {"uri": path}});
        // Line 0 is the whole file (a binary keystore): no region.
        if let Some(line) = f.line.filter(|&l| l > 0) {
            let mut region = json!({"startLine": line});
            if let Some(c) = f.column.filter(|&c| c > 0) {
                region["startColumn"] = json!(c);
            }
            location["region"] = region;
        }
        r["locations"] = json!([{ "physicalLocation": location }]);
    }
    if let Some(fp) = &f.fingerprint {
        r["partialFingerprints"] = json!({ "nhiscan/secret/v1": format!("{}:{fp}", f.code) });
    }
    if let Some(p) = &f.preview {
        r["properties"]["preview"] = json!(p);
    }
    if let Some(c) = &f.commit {
        r["properties"]["commit"] = json!(c);
    }
    r
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "note",
    }
}
