//! Who owns a repository, from what GitHub says about it: a custom property (`owner`,
//! `team`); the CODEOWNERS rule that covers the whole tree is read by
//! [`crate::collect::codeowners`].

use crate::model::Owner;
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
