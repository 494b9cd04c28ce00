//! GitHub collector (octocrab): the machine credentials of an organisation and its
//! repositories.
//!
//! Per organisation: its webhooks, App installations (third parties), Actions, Dependabot
//! and Codespaces secrets, fine-grained PAT grants and pending requests, SAML credential
//! authorizations, the OIDC subject template, and repository custom properties. Per
//! repository (8 at a time): deploy keys, webhooks, the three secret stores, environments
//! and their secrets, the OIDC subject template, and who owns it (custom property `owner`, then CODEOWNERS, then teams with
//! admin). An endpoint the token cannot read is one error naming what is missing; the scan
//! goes on and the source is `partial`. With `--github-clone`, every repository is also
//! handed back as a [`RemoteRepository`], which the scan clones ([`super::clone`]) and
//! history-scans after the collectors finish.

mod client;
mod flags;
pub mod items;
mod ownership;

use super::clone::CloneDepth;
use super::{Batch, CollectError, Collector, Context, RemoteRepository};
use crate::model::{Identity, Owner};
use crate::collect::rest::{ApiError, Session};
use crate::collect::codeowners::codeowners_owner;
use ownership::property_owner;
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

pub use flags::GithubFlags;

/// The provider of every identity this source reports.
pub const PROVIDER: crate::model::Provider = crate::model::Provider::named("github");

pub const DEFAULT_API: &str = "https://api.github.com";

pub struct GithubCollector {
    org: String,
    base_uri: String,
    token: Option<String>,
    clone: Option<CloneDepth>,
}

impl GithubCollector {
    pub fn new(org: String, base_uri: String, token: Option<String>) -> Self {
        GithubCollector {
            org,
            base_uri,
            token,
            clone: None,
        }
    }

    /// Also clone every repository for the history scanner (`--github-clone`).
    pub fn with_clone(mut self, depth: Option<CloneDepth>) -> Self {
        self.clone = depth;
        self
    }
}

/// The token from `GITHUB_TOKEN`, `GH_TOKEN`, or `gh auth token`.
pub fn token_from_env() -> Option<String> {
    if let Some(t) = token_from_variables() {
        return Some(t);
    }
    let out = std::process::Command::new("gh")
        .args(["auth", "token"])
        .output()
        .ok()?;
    let t = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !t.trim().is_empty()).then(|| t.trim().to_string())
}

/// `GITHUB_TOKEN`, else `GH_TOKEN` (without asking the `gh` CLI).
pub fn token_from_variables() -> Option<String> {
    crate::collect::env_var("GITHUB_TOKEN").or_else(|| crate::collect::env_var("GH_TOKEN"))
}

/// The user name GitHub documents for cloning with a token.
pub const CLONE_USER: &str = "x-access-token";

struct Scan<'a> {
    rest: Session<client::Octocrab>,
    org: &'a str,
    /// For correlation keys (the keyed hash of a SAML credential's last eight characters).
    fingerprinter: &'a crate::scan::redact::Fingerprinter,
    warnings: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Collector for GithubCollector {
    fn id(&self) -> String {
        format!("github:{}", self.org)
    }

    async fn collect(&self, cx: &Context) -> Result<Batch, CollectError> {
        let client = self.client()?;
        let scan = Scan {
            rest: Session::new(client, cx.budget),
            org: &self.org,
            fingerprinter: &cx.fingerprinter,
            warnings: Mutex::new(Vec::new()),
        };
        let org = &self.org;
        scan.rest.api.get(&format!("/orgs/{org}")).await.map_err(|e| {
            let advice = match e {
                ApiError::Denied { .. } | ApiError::NotFound { .. } => {
                    "check the name and that the token can see it"
                }
                _ => "check --github-url and that the server answers",
            };
            CollectError::Api(format!("cannot read organisation {org}: {e}; {advice}"))
        })?;
        // The repositories listed before a failure are still scanned.
        let repos = scan
            .rest.list_or_note(
                &format!("/orgs/{org}/repos"),
                None,
                "listing repositories needs organization 'Metadata' read",
            )
            .await;
        let mut identities = scan.org_identities().await;
        let properties = scan.custom_properties().await;
        let (scan_ref, props_ref, repos_ref) = (&scan, &properties, &repos);
        let per_repo: Vec<(Vec<Identity>, Option<Owner>)> =
            futures_util::stream::iter(0..repos.len())
                .map(move |n| scan_ref.repo_identities(&repos_ref[n], props_ref))
                .buffered(8)
                .collect()
                .await;
        let owners: Vec<Option<Owner>> = per_repo.iter().map(|(_, o)| o.clone()).collect();
        identities.extend(per_repo.into_iter().flat_map(|(i, _)| i));
        let repositories = match (self.clone, &self.token) {
            (Some(depth), Some(token)) => self.to_clone(&repos, owners, token, depth),
            _ => Vec::new(),
        };
        Ok(Batch {
            identities,
            errors: scan.rest.errors(),
            warnings: scan.warnings.into_inner().expect("lock"),
            api_calls: scan.rest.api.calls(),
            repositories,
            ..Batch::default()
        })
    }
}

impl GithubCollector {
    /// Every listed repository with a clone URL, for the history scanner.
    fn to_clone(
        &self,
        repos: &[Value],
        owners: Vec<Option<Owner>>,
        token: &str,
        depth: CloneDepth,
    ) -> Vec<RemoteRepository> {
        repos
            .iter()
            .zip(owners)
            .filter_map(|(r, owner)| {
                Some(RemoteRepository {
                    source: self.id(),
                    label: r.get("full_name")?.as_str()?.to_string(),
                    clone_url: r.get("clone_url")?.as_str()?.to_string(),
                    depth,
                    local: false,
                    token: token.to_string(),
                    username: CLONE_USER,
                    owner,
                })
            })
            .collect()
    }

    fn client(&self) -> Result<client::Octocrab, CollectError> {
        let Some(token) = &self.token else {
            return Err(CollectError::Setup(
                "no GitHub token: set GITHUB_TOKEN or GH_TOKEN, or log in with `gh auth login`"
                    .into(),
            ));
        };
        client::client(&self.base_uri, token).map_err(CollectError::Setup)
    }
}

impl Scan<'_> {
    /// The Actions, Dependabot and Codespaces secrets under `base` (`/orgs/o`, `/repos/o/r`).
    async fn secret_stores(
        &self,
        base: &str,
        scope: &str,
        level: &str,
        need: &str,
    ) -> Vec<Identity> {
        let mut out = Vec::new();
        for store in ["actions", "dependabot", "codespaces"] {
            let path = format!("{base}/{store}/secrets");
            let secrets = self
                .rest.list_or_note(
                    &path,
                    Some("secrets"),
                    &format!("{level} {store} secrets need {need}"),
                )
                .await;
            let identities = self.rest.identities_of(&path, &secrets, |s| items::ci_secret(scope, store, s));
            for mut identity in identities {
                if identity.attributes.get("visibility").map(String::as_str) == Some("selected") {
                    let repos = self
                        .selected_repositories(base, store, &identity.name, need)
                        .await;
                    identity
                        .attributes
                        .insert("selected_repositories".into(), repos.join(", "));
                }
                out.push(identity);
            }
        }
        out
    }

    /// The repositories an organisation secret with `selected` visibility is shared with.
    async fn selected_repositories(
        &self,
        base: &str,
        store: &str,
        name: &str,
        need: &str,
    ) -> Vec<String> {
        let repos = self
            .rest.list_or_note(
                &format!("{base}/{store}/secrets/{name}/repositories"),
                Some("repositories"),
                &format!("the repositories of selected {store} secrets need {need}"),
            )
            .await;
        let mut names: Vec<String> = repos
            .iter()
            .filter_map(|r| Some(r.get("full_name")?.as_str()?.to_string()))
            .collect();
        names.sort();
        names
    }

    async fn org_identities(&self) -> Vec<Identity> {
        let org = self.org;
        let mut out = Vec::new();
        let hooks_path = format!("/orgs/{org}/hooks");
        let hooks = self
            .rest.list_or_note(
                &hooks_path,
                None,
                "org webhooks need the admin:org_hook scope or organization 'Webhooks' read",
            )
            .await;
        out.extend(self.rest.identities_of(&hooks_path, &hooks, |h| items::webhook(org, h)));
        let apps_path = format!("/orgs/{org}/installations");
        let apps = self
            .rest.list_or_note(
                &apps_path,
                Some("installations"),
                "App installations need organization 'Administration' read",
            )
            .await;
        out.extend(self.rest.identities_of(&apps_path, &apps, |a| items::app_installation(org, a)));
        out.extend(
            self.secret_stores(
                &format!("/orgs/{org}"),
                org,
                "organization",
                "organization 'Secrets' read (admin:org)",
            )
            .await,
        );
        let need_pat = "fine-grained PAT grants need organization 'Personal access tokens' read; classic tokens and OAuth apps cannot read them";
        for (path, pending) in [
            ("personal-access-tokens", false),
            ("personal-access-token-requests", true),
        ] {
            let path = format!("/orgs/{org}/{path}");
            let grants = self.rest.list_or_note(&path, None, need_pat).await;
            out.extend(self.rest.identities_of(&path, &grants, |g| items::pat_grant(org, g, pending)));
        }
        // Only organisations with SAML SSO have credential authorizations; others answer 404.
        let saml_path = format!("/orgs/{org}/credential-authorizations");
        let authorizations = self
            .rest.list_or_absent(
                &saml_path,
                None,
                "SAML credential authorizations need an org owner's token (admin:org)",
            )
            .await;
        out.extend(self.rest.identities_of(&saml_path, &authorizations, |a| {
            let mut i = items::saml_authorization(org, a)?;
            // A token found in a file whose last eight characters hash the same is this
            // credential (the inventory links them; neither value is stored).
            if let Some(last8) = a.get("token_last_eight").and_then(Value::as_str) {
                i.attributes.insert(
                    crate::model::attr::TOKEN_LAST_EIGHT.into(),
                    self.fingerprinter.fingerprint(last8.as_bytes()),
                );
            }
            Some(i)
        }));
        match self
            .rest
            .api
            .get(&format!("/orgs/{org}/actions/oidc/customization/sub"))
            .await
        {
            Ok(t) => {
                let keys = t.get("include_claim_keys").cloned().unwrap_or(Value::Null);
                self.warnings.lock().expect("lock").push(format!(
                    "OIDC subject template of {org}: {keys} (AWS roles trusting GitHub must match it in their `sub` condition)"
                ));
            }
            Err(ApiError::NotFound { .. }) => {}
            Err(e) => self.rest.note(
                &e,
                "the OIDC subject template needs organization 'Administration' read",
            ),
        }
        out
    }

    /// Repository name -> custom property values, from the organisation-wide listing.
    async fn custom_properties(&self) -> HashMap<String, HashMap<String, String>> {
        let org = self.org;
        let rows = self
            .rest.list_or_note(
                &format!("/orgs/{org}/properties/values"),
                None,
                "custom property values need organization 'Custom properties' read",
            )
            .await;
        rows.iter()
            .filter_map(|r| {
                let name = r.get("repository_name")?.as_str()?.to_string();
                let props = r
                    .get("properties")?
                    .as_array()?
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p.get("property_name")?.as_str()?.to_string(),
                            p.get("value")?.as_str()?.to_string(),
                        ))
                    })
                    .collect();
                Some((name, props))
            })
            .collect()
    }

    /// A repository's credentials, and who owns the repository.
    async fn repo_identities(
        &self,
        repo: &Value,
        properties: &HashMap<String, HashMap<String, String>>,
    ) -> (Vec<Identity>, Option<Owner>) {
        let (Some(full), Some(name)) = (
            repo.get("full_name").and_then(Value::as_str),
            repo.get("name").and_then(Value::as_str),
        ) else {
            return (Vec::new(), None);
        };
        let mut out = Vec::new();
        let keys_path = format!("/repos/{full}/keys");
        let keys = self
            .rest.list_or_note(
                &keys_path,
                None,
                "deploy keys need repository 'Administration' read",
            )
            .await;
        out.extend(self.rest.identities_of(&keys_path, &keys, |k| items::deploy_key(full, k)));
        let hooks_path = format!("/repos/{full}/hooks");
        let hooks = self
            .rest.list_or_note(
                &hooks_path,
                None,
                "repository webhooks need repository 'Webhooks' read",
            )
            .await;
        out.extend(self.rest.identities_of(&hooks_path, &hooks, |h| items::webhook(full, h)));
        out.extend(
            self.secret_stores(
                &format!("/repos/{full}"),
                full,
                "repository",
                "repository 'Secrets' read",
            )
            .await,
        );
        out.extend(self.environment_secrets(full).await);
        let oidc_sub = self.oidc_sub_claim(full).await;
        let props = properties.get(name);
        let owner = self.repo_owner(full, props).await;
        for i in &mut out {
            i.attributes.insert("repository".into(), full.to_string());
            if let Some(keys) = &oidc_sub {
                i.attributes
                    .insert("oidc_sub_claim_keys".into(), keys.clone());
            }
            // Custom properties are the repository's labels: the tag resolver reads the
            // configured keys (owner, team, ...) from them, after any [[owners]] rule.
            for (k, v) in props.into_iter().flatten() {
                i.tags.insert(k.clone(), v.clone());
            }
            if let Some(o) = &owner {
                i.owner = Some(o.clone());
            }
        }
        (out, owner.or_else(|| property_owner(full, props?)))
    }

    /// The repository's custom OIDC `sub` claim keys (`repo,context`), when it does not use
    /// the default: AWS roles trusting this repository must match that shape.
    async fn oidc_sub_claim(&self, full: &str) -> Option<String> {
        match self
            .rest
            .api
            .get(&format!("/repos/{full}/actions/oidc/customization/sub"))
            .await
        {
            Ok(v) if v.get("use_default").and_then(Value::as_bool) == Some(false) => {
                let keys: Vec<&str> = v
                    .get("include_claim_keys")?
                    .as_array()?
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                Some(keys.join(","))
            }
            Ok(_) | Err(ApiError::NotFound { .. }) => None,
            Err(e) => {
                self.rest
                    .note(&e, "the OIDC subject claim needs repository 'Actions' read");
                None
            }
        }
    }

    async fn environment_secrets(&self, full: &str) -> Vec<Identity> {
        // A repository without environments answers 404 on some plans: nothing to list.
        let envs = self
            .rest.list_or_absent(
                &format!("/repos/{full}/environments"),
                Some("environments"),
                "environments need repository 'Environments' read",
            )
            .await;
        let mut out = Vec::new();
        for env in envs {
            let Some(name) = env.get("name").and_then(Value::as_str) else {
                continue;
            };
            let path = format!("/repos/{full}/environments/{name}/secrets");
            let secrets = self
                .rest.list_or_note(
                    &path,
                    Some("secrets"),
                    "environment secrets need repository 'Environments' and 'Secrets' read",
                )
                .await;
            let scope = format!("{full}@{name}");
            out.extend(self.rest.identities_of(&path, &secrets, |s| {
                items::ci_secret(&scope, "environment", s)
            }));
        }
        out
    }

    /// Who owns a repository's credentials when no custom property (`owner`, `team`)
    /// says: its CODEOWNERS (the rule covering the whole tree), else the teams with admin.
    async fn repo_owner(
        &self,
        full: &str,
        props: Option<&HashMap<String, String>>,
    ) -> Option<Owner> {
        if props.is_some_and(|p| p.contains_key("owner") || p.contains_key("team")) {
            return None; // decided by the tag resolver from the property
        }
        for path in [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] {
            match self
                .rest
                .api
                .get(&format!("/repos/{full}/contents/{path}"))
                .await
            {
                Ok(file) => {
                    if let Some(owner) = codeowners_owner(full, path, &file) {
                        return Some(owner);
                    }
                    break; // GitHub uses the first file it finds
                }
                Err(ApiError::NotFound { .. }) => continue,
                Err(e) => {
                    self.rest
                        .note(&e, "CODEOWNERS needs repository 'Contents' read");
                    break;
                }
            }
        }
        let teams = self
            .rest.list_or_note(
                &format!("/repos/{full}/teams"),
                None,
                "repository teams need repository 'Administration' read",
            )
            .await;
        let admins: Vec<&str> = teams
            .iter()
            .filter(|t| t.get("permission").and_then(Value::as_str) == Some("admin"))
            .filter_map(|t| t.get("slug").and_then(Value::as_str))
            .collect();
        admins.first().map(|first| Owner {
            team: format!("@{}/{first}", self.org),
            backup: admins.get(1).map(|t| format!("@{}/{t}", self.org)),
            source: "team".into(),
            evidence: format!("team {first} has admin on {full}"),
        })
    }
}
