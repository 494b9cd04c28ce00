//! Who owns a repository, from what GitHub says about it: a custom property (`owner`,
//! `team`) or the CODEOWNERS rule that covers the whole tree.

use crate::model::Owner;
use serde_json::Value;
use std::collections::HashMap;

/// The owner a repository's custom property `owner` (or `team`) names.
pub(super) fn property_owner(full: &str, props: &HashMap<String, String>) -> Option<Owner> {
    let (key, value) = ["owner", "team"]
        .iter()
        .find_map(|k| Some((*k, props.get(*k).filter(|v| !v.trim().is_empty())?)))?;
    Some(Owner {
        team: value.trim().to_string(),
        backup: None,
        source: "tag".into(),
        evidence: format!("custom property `{key}={value}` on {full}"),
    })
}

/// The owners of the rule that covers the whole repository (`*` or `/`), last one winning.
pub(super) fn codeowners_owner(full: &str, path: &str, file: &Value) -> Option<Owner> {
    use base64::Engine;
    let content = file.get("content")?.as_str()?.replace(['\n', '\r'], "");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content)
        .ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let (line, owners) = text
        .lines()
        .enumerate()
        .filter_map(|(n, l)| {
            let l = l.split('#').next()?.trim();
            let mut parts = l.split_whitespace();
            let pattern = parts.next()?;
            matches!(pattern, "*" | "/" | "/*" | "**")
                .then(|| (n + 1, parts.map(str::to_string).collect::<Vec<_>>()))
        })
        .last()?;
    let first = owners.first()?.clone();
    Some(Owner {
        team: first,
        backup: owners.get(1).cloned(),
        source: "codeowners".into(),
        evidence: format!("{full}:{path}:{line} `*` {}", owners.join(" ")),
    })
}
