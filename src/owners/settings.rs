//! The owner resolvers' settings: `[[owners]]` rules and the tag keys that name an owner.
//! `config` parses `[[owners]]` and `[ownership]` of nhiscan.toml into these types.

use crate::model::Identity;

/// Tag, label and annotation keys read for an owner, in priority order (case-insensitive).
pub const DEFAULT_TAG_KEYS: &[&str] = &["owner", "team", "app.kubernetes.io/part-of"];

/// An `[[owners]]` rule: identities matching every given selector belong to `team`.
#[derive(Debug, Clone)]
pub struct OwnerRule {
    pub team: String,
    pub backup: Option<String>,
    pub id: Option<String>,
    pub kind: Option<String>,
    /// Matches the identity's provider (`file`, `git`, `aws`...) or service (`stripe`...).
    pub provider: Option<String>,
    pub path: Option<globset::GlobMatcher>,
    pub name: Option<regex::Regex>,
    /// `file:line:column` of the rule, as evidence.
    pub origin: String,
}

impl OwnerRule {
    pub fn matches(&self, i: &Identity) -> bool {
        self.id.as_ref().is_none_or(|id| *id == i.id)
            && self.kind.as_ref().is_none_or(|k| *k == i.kind)
            && self
                .provider
                .as_ref()
                .is_none_or(|p| p == i.provider.as_str() || i.service.as_ref() == Some(p))
            && self
                .path
                .as_ref()
                .is_none_or(|g| i.exposures.iter().any(|e| g.is_match(&e.path)))
            && self.name.as_ref().is_none_or(|r| r.is_match(&i.name))
    }
}

/// Everything the owner resolvers are configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// First matching rule wins.
    pub rules: Vec<OwnerRule>,
    /// Keys whose tag/label value names an identity's owner, in priority order.
    pub tag_keys: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rules: Vec::new(),
            tag_keys: DEFAULT_TAG_KEYS.iter().map(|k| k.to_string()).collect(),
        }
    }
}
