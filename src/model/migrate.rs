//! Reading inventories written by earlier versions of nhiscan.
//!
//! `schema_version` stays 1 while fields are only added. A field added later is filled in
//! here, on the JSON value, before the typed model sees it, so the rest of the program never
//! deals with "absent because old". Each step says what older files lack and what it is
//! taken to mean.

use serde_json::{Map, Value};

/// Fill in what inventories written before typed provenance lack:
/// - an identity's `discovery`: `found` for a secret or certificate the scanner read (its id
///   was `secret:<fingerprint>`, or a certificate of a file or git provider), else
///   `collected`;
/// - an exposure's `origin`: a `commit` when it names one, else a working-tree `file`.
pub fn upgrade(inventory: &mut Value) {
    let Some(identities) = inventory
        .get_mut("identities")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for identity in identities.iter_mut().filter_map(Value::as_object_mut) {
        if !identity.contains_key("discovery") {
            let found = legacy_found(identity);
            identity.insert(
                "discovery".into(),
                Value::String(if found { "found" } else { "collected" }.into()),
            );
        }
        if let Some(exposures) = identity.get_mut("exposures").and_then(Value::as_array_mut) {
            for exposure in exposures.iter_mut().filter_map(Value::as_object_mut) {
                if !exposure.contains_key("origin") {
                    let origin = legacy_origin(exposure);
                    exposure.insert("origin".into(), origin);
                }
            }
        }
    }
}

fn legacy_found(identity: &Map<String, Value>) -> bool {
    let id = identity.get("id").and_then(Value::as_str).unwrap_or("");
    let provider = identity
        .get("provider")
        .and_then(Value::as_str)
        .unwrap_or("");
    id.starts_with("secret:") || matches!(provider, "file" | "git")
}

fn legacy_origin(exposure: &Map<String, Value>) -> Value {
    let path = exposure.get("path").cloned().unwrap_or(Value::Null);
    match exposure.get("commit").and_then(Value::as_str) {
        Some(commit) => serde_json::json!({
            "kind": "commit",
            "repository": "",
            "path": path,
            "commit": commit,
            "in_head": exposure.get("in_head").cloned().unwrap_or(Value::Bool(false)),
        }),
        None => serde_json::json!({"kind": "file", "root": ".", "path": path}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_inventory_gains_discovery_and_origins() {
        let mut v = serde_json::json!({"identities": [
            {"id": "secret:abc", "provider": "kubernetes", "exposures": [
                {"path": "a.env", "line": 1, "in_head": true}]},
            {"id": "AKIA1", "provider": "aws", "exposures": [
                {"path": "b", "line": 2, "commit": "c0ffee", "in_head": false}]},
        ]});
        upgrade(&mut v);
        let ids = &v["identities"];
        assert_eq!(ids[0]["discovery"], "found");
        assert_eq!(ids[0]["exposures"][0]["origin"]["kind"], "file");
        assert_eq!(ids[1]["discovery"], "collected");
        assert_eq!(ids[1]["exposures"][0]["origin"]["kind"], "commit");
        assert_eq!(ids[1]["exposures"][0]["origin"]["commit"], "c0ffee");
    }

    #[test]
    fn a_current_inventory_is_left_alone() {
        let mut v = serde_json::json!({"identities": [
            {"id": "secret:abc", "discovery": "collected", "exposures": [
                {"path": "a", "origin": {"kind": "document", "source": "s", "object": "o", "key": "k"}}]}]});
        let before = v.clone();
        upgrade(&mut v);
        assert_eq!(v, before);
    }
}
