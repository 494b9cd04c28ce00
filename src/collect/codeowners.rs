//! Who owns a repository according to its CODEOWNERS file, as GitHub's and GitLab's
//! file APIs return it (`{"content": <base64>, ...}`): the owners of the rule covering the
//! whole tree.

use crate::model::Owner;
use serde_json::Value;

/// The owners of the rule that covers the whole repository (`*` or `/`), last one winning.
pub fn codeowners_owner(full: &str, path: &str, file: &Value) -> Option<Owner> {
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
