//! Who owns an identity, and why we think so.
//!
//! Resolvers run in order and the first that answers wins; each records its `source` and
//! the `evidence` a reviewer can check:
//! 1. `[[owners]]` rules of nhiscan.toml (`mapping`): explicit decisions beat inference;
//! 2. CODEOWNERS (`codeowners`) for identities found in files or history, with GitHub's
//!    lookup order (`.github/`, root, `docs/`) and last-matching-pattern-wins;
//! 3. the author of the commit that introduced a secret (`git-author`, lowest confidence).

use crate::config::OwnerRule;
use crate::model::{Identity, Owner};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::Path;

/// One CODEOWNERS line: its pattern matcher and owners.
struct CodeownersRule {
    line: usize,
    pattern: String,
    matcher: Gitignore,
    owners: Vec<String>,
}

/// The CODEOWNERS file that applies to a tree, parsed.
pub struct Codeowners {
    file: String,
    rules: Vec<CodeownersRule>,
}

/// GitHub looks in these places, in this order, and uses the first file it finds.
const CODEOWNERS_LOCATIONS: &[&str] = &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

impl Codeowners {
    pub fn discover(root: &Path) -> Option<Codeowners> {
        CODEOWNERS_LOCATIONS.iter().find_map(|rel| {
            let path = root.join(rel);
            let text = std::fs::read_to_string(&path).ok()?;
            Some(Codeowners::parse(&text, root, rel))
        })
    }

    pub fn parse(text: &str, root: &Path, file: &str) -> Codeowners {
        let rules = text
            .lines()
            .enumerate()
            .filter_map(|(i, line)| {
                let line_text = line.split('#').next().unwrap_or("").trim();
                let mut parts = line_text.split_whitespace();
                let pattern = parts.next()?;
                let owners: Vec<String> = parts.map(str::to_string).collect();
                let mut builder = GitignoreBuilder::new(root);
                builder.add_line(None, pattern).ok()?;
                Some(CodeownersRule {
                    line: i + 1,
                    pattern: pattern.to_string(),
                    matcher: builder.build().ok()?,
                    owners,
                })
            })
            .collect();
        Codeowners {
            file: file.to_string(),
            rules,
        }
    }

    /// The owners of `path` (the last matching line), with the line as evidence. A matching
    /// line without owners means "no owner" in GitHub's semantics.
    pub fn owners_of(&self, path: &str) -> Option<(Vec<String>, String)> {
        let rule = self.rules.iter().rev().find(|r| {
            r.matcher
                .matched_path_or_any_parents(path, false)
                .is_ignore()
        })?;
        (!rule.owners.is_empty()).then(|| {
            (
                rule.owners.clone(),
                format!(
                    "{}:{} `{}` {}",
                    self.file,
                    rule.line,
                    rule.pattern,
                    rule.owners.join(" ")
                ),
            )
        })
    }
}

/// Assign an owner to every identity that has none, in resolver order.
pub fn resolve(identities: &mut [Identity], rules: &[OwnerRule], codeowners: Option<&Codeowners>) {
    for identity in identities.iter_mut().filter(|i| i.owner.is_none()) {
        identity.owner = from_rules(identity, rules)
            .or_else(|| codeowners.and_then(|c| from_codeowners(identity, c)))
            .or_else(|| from_git_author(identity));
    }
}

fn from_rules(identity: &Identity, rules: &[OwnerRule]) -> Option<Owner> {
    let rule = rules.iter().find(|r| r.matches(identity))?;
    Some(Owner {
        team: rule.team.clone(),
        backup: rule.backup.clone(),
        source: "mapping".into(),
        evidence: format!("[[owners]] rule at {}", rule.origin),
    })
}

fn from_codeowners(identity: &Identity, codeowners: &Codeowners) -> Option<Owner> {
    identity.exposures.iter().find_map(|e| {
        let (owners, evidence) = codeowners.owners_of(&e.path)?;
        Some(Owner {
            team: owners[0].clone(),
            backup: owners.get(1).cloned(),
            source: "codeowners".into(),
            evidence: format!("{evidence} (for {})", e.path),
        })
    })
}

fn from_git_author(identity: &Identity) -> Option<Owner> {
    let first = identity
        .exposures
        .iter()
        .filter(|e| e.commit.is_some() && e.author_email.is_some())
        .min_by_key(|e| e.author_date)?;
    let email = first.author_email.clone()?;
    Some(Owner {
        team: email.clone(),
        backup: None,
        source: "git-author".into(),
        evidence: format!(
            "introduced in commit {} by {} <{email}>",
            first.commit.as_deref().unwrap_or(""),
            first.author.as_deref().unwrap_or("")
        ),
    })
}
