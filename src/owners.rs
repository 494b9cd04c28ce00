//! Who owns an identity, and why we think so.
//!
//! Resolvers run in order and the first that answers wins; each records its `source` and
//! the `evidence` a reviewer can check:
//! 1. `[[owners]]` rules of nhiscan.toml (`mapping`): explicit decisions beat inference;
//! 2. provider tags, labels and annotations (`tag`): the configured keys (`owner`, `team`,
//!    ...) in priority order, matched case-insensitively;
//! 3. CODEOWNERS (`codeowners`) for identities found in files or history, with GitHub's
//!    lookup order (`.github/`, root, `docs/`) and last-matching-pattern-wins;
//! 4. the author of the commit that introduced a secret (`git-author`, lowest confidence).
//!
//! A collector may set an owner itself when the provider is the owner (an AWS
//! service-linked role); resolvers only fill identities that have none.

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

/// What the resolvers consult besides the identity itself.
pub struct OwnerResolver<'a> {
    pub rules: &'a [OwnerRule],
    pub tag_keys: &'a [String],
    pub codeowners: Option<&'a Codeowners>,
}

impl OwnerResolver<'_> {
    /// Assign an owner to every identity that has none, in resolver order.
    pub fn resolve(&self, identities: &mut [Identity]) {
        for identity in identities.iter_mut().filter(|i| i.owner.is_none()) {
            identity.owner = from_rules(identity, self.rules)
                .or_else(|| from_tags(identity, self.tag_keys))
                .or_else(|| self.codeowners.and_then(|c| from_codeowners(identity, c)))
                .or_else(|| from_git_author(identity));
        }
        inherit_from_parent(identities);
    }
}

/// A credential nobody claimed belongs to the owner of the identity it was issued to (an
/// access key to its user): the first `related` id that has an owner.
fn inherit_from_parent(identities: &mut [Identity]) {
    let owners: std::collections::HashMap<String, Owner> = identities
        .iter()
        .filter_map(|i| Some((i.id.clone(), i.owner.clone()?)))
        .collect();
    for identity in identities.iter_mut().filter(|i| i.owner.is_none()) {
        let Some((parent, owner)) = identity
            .related
            .iter()
            .find_map(|r| owners.get(r).map(|o| (r, o)))
        else {
            continue;
        };
        identity.owner = Some(Owner {
            evidence: format!("owner of {parent}: {}", owner.evidence),
            ..owner.clone()
        });
    }
}

fn from_tags(identity: &Identity, keys: &[String]) -> Option<Owner> {
    keys.iter().find_map(|key| {
        let (tag, value) = identity
            .tags
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.trim().is_empty())?;
        Some(Owner {
            team: value.trim().to_string(),
            backup: None,
            source: "tag".into(),
            evidence: format!(
                "{} tag `{tag}={value}` on {}",
                identity.provider, identity.id
            ),
        })
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Exposure, Provider};

    fn role(tags: &[(&str, &str)]) -> Identity {
        let mut i = Identity::new(
            "arn:aws:iam::1:role/ci",
            Provider::Aws,
            "iam-role",
            "ci",
            "arn",
        );
        i.tags = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        i
    }

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|k| k.to_string()).collect()
    }

    fn resolve_one(
        identity: Identity,
        rules: &[OwnerRule],
        codeowners: Option<&Codeowners>,
    ) -> Option<Owner> {
        let tag_keys = keys(&["owner", "team"]);
        let mut list = [identity];
        OwnerResolver {
            rules,
            tag_keys: &tag_keys,
            codeowners,
        }
        .resolve(&mut list);
        list[0].owner.clone()
    }

    #[test]
    fn a_tag_names_the_owner_with_key_priority_and_any_case() {
        let owner =
            resolve_one(role(&[("Team", "data"), ("Owner", "platform")]), &[], None).unwrap();
        assert_eq!(owner.team, "platform");
        assert_eq!(owner.source, "tag");
        assert_eq!(
            owner.evidence,
            "aws tag `Owner=platform` on arn:aws:iam::1:role/ci"
        );
        let owner = resolve_one(role(&[("team", "data"), ("owner", " ")]), &[], None).unwrap();
        assert_eq!(owner.team, "data", "a blank value is no answer");
        assert!(resolve_one(role(&[("CostCenter", "42")]), &[], None).is_none());
    }

    #[test]
    fn a_mapping_rule_beats_a_tag_and_a_tag_beats_codeowners() {
        let config = crate::config::parse(
            "[[owners]]\nteam = \"iam-admins\"\nkind = \"iam-role\"\n",
            Path::new("nhiscan.toml"),
        )
        .unwrap();
        let owner = resolve_one(role(&[("owner", "platform")]), &config.owners, None).unwrap();
        assert_eq!(
            (owner.team.as_str(), owner.source.as_str()),
            ("iam-admins", "mapping")
        );

        let codeowners = Codeowners::parse("* @acme/everyone\n", Path::new("/r"), "CODEOWNERS");
        let mut found = role(&[("owner", "platform")]);
        found.exposures.push(Exposure {
            path: "app/.env".into(),
            line: 1,
            column: 1,
            commit: None,
            in_head: true,
            detector: "d".into(),
            author: None,
            author_email: None,
            author_date: None,
        });
        let owner = resolve_one(found.clone(), &[], Some(&codeowners)).unwrap();
        assert_eq!(owner.source, "tag");
        found.tags.clear();
        let owner = resolve_one(found, &[], Some(&codeowners)).unwrap();
        assert_eq!(
            (owner.team.as_str(), owner.source.as_str()),
            ("@acme/everyone", "codeowners")
        );
    }

    #[test]
    fn an_owner_set_by_the_collector_is_kept() {
        let mut linked = role(&[("owner", "platform")]);
        linked.owner = Some(Owner {
            team: "AWS".into(),
            backup: None,
            source: "provider".into(),
            evidence: "service-linked role".into(),
        });
        assert_eq!(resolve_one(linked, &[], None).unwrap().team, "AWS");
    }
}
