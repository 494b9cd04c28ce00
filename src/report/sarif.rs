//! `--format sarif`: SARIF 2.1.0, as read by GitHub code scanning and other dashboards.
//!
//! Every result's rule follows one convention, `<finding code>/<detector>` (or the code
//! alone for a finding about an identity no detector found, such as an IAM user), so a
//! secret in the tree, the same one in history and its reuse are three rules that each
//! name the detector. Rules carry `security-severity` (GitHub code scanning's 0-10 scale)
//! from the finding's level and kind, and `partialFingerprints` carries the secret's keyed
//! fingerprint so that a dashboard tracks one secret across commits even when its line
//! moves.
//!
//! Places are written as GitHub code scanning resolves them, whatever directory the scan
//! ran from: relative to the repository root under `uriBaseId` `%SRCROOT%` (declared in
//! `originalUriBaseIds`), the same for a file in the tree and for a blob in history; a
//! file outside the repository gets an absolute `file:` URI. The limits GitHub documents
//! for an upload ("SARIF results exceed limit": at most 25,000 results per run, 20 tags
//! per rule, 1,000 locations per result) are kept here: beyond 25,000 results the most
//! severe are written and a notification says how many were left out.

use crate::model::{Finding, Inventory, Level, Scope};
use crate::policy;
use crate::scan::normalize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// GitHub code scanning rejects a run with more results than this.
const MAX_RESULTS: usize = 25_000;
/// The base every repository-relative URI names.
const SRCROOT: &str = "%SRCROOT%";

pub fn render(inventory: &Inventory, _options: &super::Options) -> String {
    render_capped(inventory, MAX_RESULTS)
}

fn render_capped(inventory: &Inventory, max_results: usize) -> String {
    let locator = Locator::new(&inventory.scope);
    let mut findings: Vec<&Finding> = inventory.findings.iter().collect();
    let left_out = findings.len().saturating_sub(max_results);
    if left_out > 0 {
        // Stable: deny before warn before allow, inventory order within a level.
        findings.sort_by_key(|f| std::cmp::Reverse(f.level));
        findings.truncate(max_results);
    }
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let rule_id = rule_id(f);
            rules
                .entry(rule_id.clone())
                .or_insert_with(|| rule_descriptor(&rule_id, f, inventory));
            result(f, &rule_id, &locator)
        })
        .collect();
    let mut invocation = json!({
        "executionSuccessful": !inventory.is_incomplete(),
        "endTimeUtc": inventory.generated_at,
    });
    if left_out > 0 {
        invocation["toolExecutionNotifications"] = json!([{
            "level": "warning",
            "message": {"text": format!(
                "{left_out} findings not included: GitHub code scanning accepts at most \
                 {max_results} results per run (the most severe are here); the JSON inventory \
                 has them all"
            )},
        }]);
    }
    let mut run = json!({
        "tool": {"driver": {
            "name": inventory.tool.name,
            "version": inventory.tool.version,
            "informationUri": "https://github.com/nhiscan/nhiscan",
            "rules": rules.into_values().collect::<Vec<_>>(),
        }},
        "columnKind": "unicodeCodePoints",
        "invocations": [invocation],
        "results": results,
    });
    if let Some(root) = &locator.root {
        // A base URI ends with `/`, or the last segment is replaced when resolving.
        let uri = format!("{}/", file_uri(root).trim_end_matches('/'));
        run["originalUriBaseIds"] = json!({ SRCROOT: { "uri": uri } });
    }
    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
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
    if let Some(r) = detector.and_then(|d| d.revoke.as_ref()) {
        descriptor["help"] = json!({
            "text": format!("To revoke: {} ({})", r.how, r.url),
            "markdown": format!("**To revoke:** {} [{}]({})", r.how, r.url, r.url),
        });
    }
    descriptor
}

/// Turns an inventory's paths into SARIF artifact locations (see the module docs).
struct Locator {
    /// `%SRCROOT%`: the repository root recorded by the scan.
    root: Option<PathBuf>,
    /// Where relative paths of the tree were given from.
    working_directory: Option<PathBuf>,
}

impl Locator {
    fn new(scope: &Scope) -> Locator {
        Locator {
            root: scope.source_root.as_ref().map(PathBuf::from),
            working_directory: scope.working_directory.as_ref().map(PathBuf::from),
        }
    }

    /// The `artifactLocation` of `path`; `in_history` when it names a blob of a commit
    /// (already relative to its repository's root).
    fn artifact(&self, path: &str, in_history: bool) -> Value {
        let Some(root) = &self.root else {
            // A saved inventory from before roots were recorded, or standard input.
            return json!({ "uri": encode(path) });
        };
        if in_history {
            // `owner/repo:path` is a clone's file, not a place in this repository.
            return if path.contains(':') {
                json!({ "uri": encode(path) })
            } else {
                json!({ "uri": encode(path), "uriBaseId": SRCROOT })
            };
        }
        let given = Path::new(path);
        let absolute = match &self.working_directory {
            _ if given.is_absolute() => normalize(given),
            Some(cwd) => normalize(&cwd.join(given)),
            None => return json!({ "uri": encode(path) }),
        };
        match absolute.strip_prefix(root) {
            Ok(relative) => {
                let relative = relative.to_string_lossy().replace('\\', "/");
                json!({ "uri": encode(&relative), "uriBaseId": SRCROOT })
            }
            Err(_) => json!({ "uri": file_uri(&absolute) }),
        }
    }
}

/// `file:` URI of an absolute path.
fn file_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    format!("file://{}", encode(&text))
}

/// Percent-encode everything but unreserved characters and `/` (RFC 3986), so a path with
/// spaces, `#` or `:` stays one relative reference.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn result(f: &Finding, rule_id: &str, locator: &Locator) -> Value {
    let mut r = json!({
        "ruleId": rule_id,
        "level": sarif_level(f.level),
        "message": {"text": f.message},
        "properties": {"identity": f.identity, "code": f.code, "controls": f.controls},
    });
    if let Some(path) = &f.path {
        let mut location = json!({"artifactLocation": locator.artifact(path, f.commit.is_some())});
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

#[cfg(test)]
mod tests {
    use super::*;

    fn locator(root: Option<&str>, cwd: Option<&str>) -> Locator {
        Locator {
            root: root.map(PathBuf::from),
            working_directory: cwd.map(PathBuf::from),
        }
    }

    fn place(v: Value) -> (String, Option<String>) {
        (
            v["uri"].as_str().unwrap().to_string(),
            v["uriBaseId"].as_str().map(str::to_string),
        )
    }

    #[test]
    fn tree_paths_become_relative_to_the_root_whatever_the_working_directory() {
        let l = locator(Some("/r/shop"), Some("/r/shop/svc"));
        let base = Some(SRCROOT.to_string());
        assert_eq!(
            place(l.artifact("config/a.env", false)),
            ("svc/config/a.env".into(), base.clone())
        );
        assert_eq!(
            place(l.artifact("../deploy/./k 1#.yaml", false)),
            ("deploy/k%201%23.yaml".into(), base.clone())
        );
        assert_eq!(
            place(l.artifact("/r/shop/x.env", false)),
            ("x.env".into(), base.clone())
        );
        assert_eq!(
            place(l.artifact("/r/shopping/x.env", false)),
            ("file:///r/shopping/x.env".into(), None),
            "a sibling whose name starts like the root is outside it"
        );
    }

    #[test]
    fn history_paths_are_already_relative_and_clones_are_not_in_this_repository() {
        let l = locator(Some("/r/shop"), Some("/elsewhere"));
        assert_eq!(
            place(l.artifact("deploy/old.env", true)),
            ("deploy/old.env".into(), Some(SRCROOT.to_string()))
        );
        assert_eq!(
            place(l.artifact("octo-org/api:deploy/old.env", true)),
            ("octo-org/api%3Adeploy/old.env".into(), None)
        );
        let saved = locator(None, None);
        assert_eq!(
            place(saved.artifact("a b.env", false)),
            ("a%20b.env".into(), None)
        );
    }
}
