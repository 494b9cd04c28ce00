//! Who owns an identity, and why we think so.
//!
//! Resolvers run in order and the first that answers wins; each records its `source` and
//! the `evidence` a reviewer can check:
//! 1. `[[owners]]` rules of nhiscan.toml (`mapping`): explicit decisions beat inference;
//! 2. provider tags, labels and annotations (`tag`): the configured keys (`owner`, `team`,
//!    ...) in priority order, matched case-insensitively;
//! 3. CODEOWNERS (`codeowners`) for identities found in files or history, with GitHub's
//!    lookup order (`.github/`, root, `docs/`) and last-matching-pattern-wins;
//! 4. the author of the commit that introduced a secret (`git-author`): a suggestion only
//!    (see [`Owner::is_suggested`]), and never an automation account (`[bot]` accounts,
//!    GitHub Actions, Dependabot, Renovate, no-reply addresses of automation).
//!
//! A backup owner comes with the owner: an `[[owners]]` rule's `backup`, a
//! `backup-owner` tag or label next to the owner's, CODEOWNERS' second entry.
//!
//! A collector may set an owner itself when the provider is the owner (an AWS
//! service-linked role); resolvers only fill identities that have none.

mod codeowners;
mod settings;

pub use codeowners::Codeowners;
pub use settings::{DEFAULT_TAG_KEYS, OwnerRule, Settings};

use crate::model::{Identity, Owner};

/// The owner of a repository a source listed and the scan cloned, for secrets found in it:
/// the collector read it from the repository's custom property, CODEOWNERS or admin teams.
#[derive(Debug, Clone)]
pub struct RepositoryOwner {
    /// The repository as exposures' [`Place::Clone`](crate::model::Place::Clone) name it.
    pub repository: String,
    pub owner: Owner,
}

/// What the resolvers consult besides the identity itself.
pub struct OwnerResolver<'a> {
    pub settings: &'a Settings,
    pub codeowners: Option<&'a Codeowners>,
    pub repositories: &'a [RepositoryOwner],
}

impl OwnerResolver<'_> {
    /// Assign an owner to every identity that has none, in resolver order.
    pub fn resolve(&self, identities: &mut [Identity]) {
        for identity in identities.iter_mut().filter(|i| i.owner.is_none()) {
            identity.owner = from_rules(identity, &self.settings.rules)
                .or_else(|| from_tags(identity, &self.settings.tag_keys))
                .or_else(|| self.codeowners.and_then(|c| from_codeowners(identity, c)))
                .or_else(|| from_repository(identity, self.repositories))
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

/// Tag (label) keys naming the backup owner, matched case-insensitively next to the
/// owner's key on the same object.
const BACKUP_TAG_KEYS: &[&str] = &[
    "backup-owner",
    "backup_owner",
    "backupowner",
    "owner-backup",
];

/// The identity's own tags (labels) first, in key order; then, for Kubernetes objects,
/// their namespace's labels, which the collector records as `namespace:<label>`.
fn from_tags(identity: &Identity, keys: &[String]) -> Option<Owner> {
    let find = |prefix: &str| tag_value(identity, prefix, keys);
    let backup = |prefix: &str| {
        tag_value(identity, prefix, BACKUP_TAG_KEYS).map(|(_, v)| v.trim().to_string())
    };
    if let Some((tag, value)) = find("") {
        return Some(Owner {
            team: value.trim().to_string(),
            backup: backup(""),
            source: "tag".into(),
            evidence: format!(
                "{} tag `{tag}={value}` on {}",
                identity.provider, identity.id
            ),
        });
    }
    let (tag, value) = find("namespace:")?;
    Some(Owner {
        team: value.trim().to_string(),
        backup: backup("namespace:"),
        source: "label".into(),
        evidence: format!(
            "label `{}={value}` on the namespace of {}",
            &tag["namespace:".len()..],
            identity.id
        ),
    })
}

/// The first of `keys` (in order, any case) that `identity` has a non-blank tag for
/// under `prefix`: the tag's key and value.
fn tag_value<'i>(
    identity: &'i Identity,
    prefix: &str,
    keys: &[impl AsRef<str>],
) -> Option<(&'i String, &'i String)> {
    keys.iter().find_map(|key| {
        identity.tags.iter().find(|(k, v)| {
            k.strip_prefix(prefix)
                .is_some_and(|k| k.eq_ignore_ascii_case(key.as_ref()))
                && !v.trim().is_empty()
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

/// The local tree's CODEOWNERS speaks for its files and its history, not for clones of
/// other repositories or a provider's objects.
fn from_codeowners(identity: &Identity, codeowners: &Codeowners) -> Option<Owner> {
    identity.exposures.iter().find_map(|e| {
        if !e.origin.is_local() {
            return None;
        }
        let (owners, evidence) = codeowners.owners_of(&e.path)?;
        Some(Owner {
            team: owners[0].clone(),
            backup: owners.get(1).cloned(),
            source: "codeowners".into(),
            evidence: format!("{evidence} (for {})", e.path),
        })
    })
}

fn from_repository(identity: &Identity, repositories: &[RepositoryOwner]) -> Option<Owner> {
    identity.exposures.iter().find_map(|e| {
        let (_, cloned) = e.origin.cloned_repository()?;
        let repo = repositories.iter().find(|r| r.repository == cloned)?;
        Some(Owner {
            evidence: format!(
                "owner of repository {}: {} (for {})",
                repo.repository, repo.owner.evidence, e.path
            ),
            ..repo.owner.clone()
        })
    })
}

/// An automation account: GitHub's `[bot]` accounts and Actions, Dependabot, Renovate,
/// and no-reply addresses of automation. Its commits name no accountable person.
pub fn is_bot(name: &str, email: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let email = email.to_ascii_lowercase();
    const AUTOMATION: &[&str] = &["dependabot", "renovate", "github-actions", "[bot]"];
    AUTOMATION
        .iter()
        .any(|a| name.contains(a) || email.contains(a))
        || email.starts_with("noreply@")
        || email.starts_with("no-reply@")
        || email == "action@github.com"
}

/// The earliest human author of a commit that introduced the secret: a suggestion.
fn from_git_author(identity: &Identity) -> Option<Owner> {
    let first = identity
        .exposures
        .iter()
        .filter(|e| e.commit.is_some())
        .filter(|e| match (&e.author, &e.author_email) {
            (_, None) => false,
            (name, Some(email)) => !is_bot(name.as_deref().unwrap_or(""), email),
        })
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
    use crate::model::{Exposure, Origin, Place, Provider};
    use std::path::Path;

    fn role(tags: &[(&str, &str)]) -> Identity {
        let mut i = Identity::new(
            "arn:aws:iam::1:role/ci",
            Provider::named("aws"),
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
        resolve_with_repositories(identity, rules, codeowners, &[])
    }

    fn resolve_with_repositories(
        identity: Identity,
        rules: &[OwnerRule],
        codeowners: Option<&Codeowners>,
        repositories: &[RepositoryOwner],
    ) -> Option<Owner> {
        let settings = Settings {
            rules: rules.to_vec(),
            tag_keys: keys(&["owner", "team"]),
        };
        let mut list = [identity];
        OwnerResolver {
            settings: &settings,
            codeowners,
            repositories,
        }
        .resolve(&mut list);
        list[0].owner.clone()
    }

    /// A secret in the history of a cloned repository, at `repo:path`.
    fn in_history(display: &str) -> Identity {
        let mut i = Identity::found("secret:fp", Provider::GIT, "api-key", "key", display);
        let (repository, path) = display.split_once(':').unwrap();
        let place = Place::Clone {
            source: "github:octo-org".into(),
            repository: repository.into(),
            path: path.into(),
            commit: "abc123".into(),
            in_head: true,
        };
        i.exposures.push(Exposure {
            commit: Some("abc123".into()),
            author: Some("Dev".into()),
            author_email: Some("dev@example.com".into()),
            ..Exposure::new(Origin::new(place), display, "d").at(3, 1)
        });
        i
    }

    #[test]
    fn a_cloned_repository_owner_beats_the_git_author_and_a_mapping_beats_it() {
        let repos = [RepositoryOwner {
            repository: "octo-org/api".into(),
            owner: Owner {
                team: "@octo-org/platform".into(),
                backup: None,
                source: "codeowners".into(),
                evidence: "octo-org/api:.github/CODEOWNERS:2 `*` @octo-org/platform".into(),
            },
        }];
        let owner =
            resolve_with_repositories(in_history("octo-org/api:deploy.env"), &[], None, &repos)
                .unwrap();
        assert_eq!(owner.team, "@octo-org/platform");
        assert_eq!(
            owner.evidence,
            "owner of repository octo-org/api: octo-org/api:.github/CODEOWNERS:2 `*` @octo-org/platform (for octo-org/api:deploy.env)"
        );
        // Another repository's prefix does not match: the commit author is all there is.
        let owner =
            resolve_with_repositories(in_history("octo-org/apiary:x.env"), &[], None, &repos)
                .unwrap();
        assert_eq!(owner.source, "git-author");
        let config = crate::config::parse(
            "[[owners]]\nteam = \"secops\"\nkind = \"api-key\"\n",
            Path::new("nhiscan.toml"),
        )
        .unwrap();
        let owner = resolve_with_repositories(
            in_history("octo-org/api:deploy.env"),
            &config.owners.rules,
            None,
            &repos,
        )
        .unwrap();
        assert_eq!(owner.source, "mapping");
    }

    #[test]
    fn automation_accounts_are_never_owners_and_the_first_human_author_is_suggested() {
        let mut i = Identity::found("secret:fp", Provider::GIT, "private-key", "key", "k.pem");
        for (author, email, day) in [
            (
                "dependabot[bot]",
                "49699333+dependabot[bot]@users.noreply.github.com",
                1,
            ),
            (
                "github-actions",
                "41898282+github-actions[bot]@users.noreply.github.com",
                2,
            ),
            ("Renovate Bot", "bot@renovateapp.com", 3),
            ("Release", "noreply@example.test", 4),
            ("Dev Two", "dev.two@example.test", 6),
            ("Dev One", "dev.one@example.test", 5),
        ] {
            i.exposures.push(Exposure {
                commit: Some(format!("c{day}")),
                author: Some(author.into()),
                author_email: Some(email.into()),
                author_date: crate::model::Timestamp::parse(&format!("2025-01-0{day}T00:00:00Z"))
                    .ok(),
                ..Exposure::new(Origin::file("k.pem"), "k.pem", "d").at(1, 1)
            });
        }
        let owner = from_git_author(&i).unwrap();
        assert_eq!(
            owner.team, "dev.one@example.test",
            "the earliest human commit"
        );
        assert!(owner.is_suggested());
        i.exposures.retain(|e| {
            e.author.as_deref() != Some("Dev One") && e.author.as_deref() != Some("Dev Two")
        });
        assert!(
            from_git_author(&i).is_none(),
            "only automation committed it"
        );
        assert!(!is_bot("Dev One", "dev.one@example.test"));
    }

    #[test]
    fn a_backup_owner_tag_comes_with_the_owner_tag() {
        let owner = resolve_one(
            role(&[("Owner", "platform"), ("Backup-Owner", "sre")]),
            &[],
            None,
        )
        .unwrap();
        assert_eq!(
            (owner.team.as_str(), owner.backup.as_deref()),
            ("platform", Some("sre"))
        );
        let owner = resolve_one(role(&[("Owner", "platform")]), &[], None).unwrap();
        assert_eq!(owner.backup, None);
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
        let owner =
            resolve_one(role(&[("owner", "platform")]), &config.owners.rules, None).unwrap();
        assert_eq!(
            (owner.team.as_str(), owner.source.as_str()),
            ("iam-admins", "mapping")
        );

        let codeowners = Codeowners::parse("* @acme/everyone\n", Path::new("/r"), "CODEOWNERS");
        let mut found = role(&[("owner", "platform")]);
        found
            .exposures
            .push(Exposure::new(Origin::file("app/.env"), "app/.env", "d").at(1, 1));
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
    fn a_namespace_label_owns_what_its_own_labels_do_not() {
        let mut sa = Identity::new(
            "kubernetes:c:serviceaccount:pay/api",
            Provider::named("kubernetes"),
            "service-account",
            "pay/api",
            "c/namespaces/pay/serviceaccounts/api",
        );
        sa.tags.insert("namespace:team".into(), "payments".into());
        let owner = resolve_one(sa.clone(), &[], None).unwrap();
        assert_eq!(owner.team, "payments");
        assert_eq!(owner.source, "label");
        assert_eq!(
            owner.evidence,
            "label `team=payments` on the namespace of kubernetes:c:serviceaccount:pay/api"
        );
        sa.tags.insert("owner".into(), "api-team".into());
        let owner = resolve_one(sa, &[], None).unwrap();
        assert_eq!(
            (owner.team.as_str(), owner.source.as_str()),
            ("api-team", "tag")
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
