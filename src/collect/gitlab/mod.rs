//! GitLab collector (REST API v4): the machine credentials of a group, its subgroups and
//! their projects.
//!
//! Per group and subgroup: group access tokens, deploy tokens, CI/CD variables (names and
//! settings; values only with `--gitlab-variables`, handed to the secret scanner and never
//! stored), webhooks (a paid-tier feature: a 404 is no list) and group runners. Per project
//! (4 at a time, each project's lists together): project access tokens, deploy tokens, deploy keys, CI/CD variables,
//! pipeline trigger tokens, webhooks, and who owns it (the CODEOWNERS rule covering the
//! whole tree). An endpoint the token cannot read is one error naming the role it needs;
//! the scan goes on and the source is `partial`. With `--gitlab-clone` every project is
//! also handed back for the history scanner, like `--github-clone`.

mod flags;
pub mod items;

use super::clone::CloneDepth;
use super::{Batch, CollectError, Collector, Context, Document, RemoteRepository};
use crate::collect::codeowners::codeowners_owner;
use crate::collect::rest::transport::HttpTransport;
use crate::collect::rest::{ApiError, Session, escaped};
use crate::model::{Identity, Owner};
use futures_util::StreamExt;
use serde_json::Value;

pub use flags::GitlabFlags;

/// The provider of every identity this source reports.
pub const PROVIDER: crate::model::Provider = crate::model::Provider::named("gitlab");

pub struct GitlabCollector {
    /// Full path of the group (`acme/platform`).
    group: String,
    /// `https://gitlab.com/api/v4`.
    api_url: String,
    token: Option<String>,
    clone: Option<CloneDepth>,
    read_variables: bool,
}

/// The token from `GITLAB_TOKEN`.
pub fn token_from_env() -> Option<String> {
    crate::collect::env_var("GITLAB_TOKEN")
}

/// The user name GitLab documents for cloning with a token.
pub const CLONE_USER: &str = "oauth2";

/// What each list needs, as GitLab's docs state it: said when a call is refused.
const NEED_TOKENS: &str = "access tokens need the Owner role (groups) or Maintainer (projects) and a token with the read_api scope";
const NEED_DEPLOY_TOKENS: &str = "deploy tokens need at least the Maintainer role";
const NEED_GROUP_VARIABLES: &str = "group CI/CD variables need the Owner role";
const NEED_PROJECT_VARIABLES: &str = "project CI/CD variables need at least the Maintainer role";
const NEED_HOOKS: &str = "webhooks need the Owner role (groups) or Maintainer (projects)";
const NEED_RUNNERS: &str = "group runners need at least the Maintainer role";
const NEED_KEYS: &str = "deploy keys need at least the Maintainer role";
const NEED_TRIGGERS: &str = "pipeline triggers need at least the Maintainer role";
const NEED_PROJECTS: &str = "listing projects needs a token with the read_api scope";

/// Projects read at once, each with its seven calls in flight together: 28 requests, below
/// what GitLab.com's per-user limit (2,000 a minute) lets through in a burst.
const PROJECTS_AT_ONCE: usize = 4;

struct Scan<'a> {
    rest: Session<HttpTransport>,
    read_variables: bool,
    source: &'a str,
    documents: std::sync::Mutex<Vec<Document>>,
}

#[async_trait::async_trait]
impl Collector for GitlabCollector {
    fn id(&self) -> String {
        format!("gitlab:{}", self.group)
    }

    async fn collect(&self, cx: &Context) -> Result<Batch, CollectError> {
        let Some(token) = &self.token else {
            return Err(CollectError::Setup(
                "no GitLab token: set GITLAB_TOKEN to a personal, group or service-account token with the read_api scope".into(),
            ));
        };
        let transport =
            HttpTransport::new(&self.api_url, vec![("authorization", format!("Bearer {token}"))])
                .map_err(CollectError::Setup)?;
        let source = self.id();
        let scan = Scan {
            rest: Session::new(transport, cx.budget),
            read_variables: self.read_variables,
            source: &source,
            documents: std::sync::Mutex::new(Vec::new()),
        };
        let group_id = escaped(&self.group);
        let group = scan
            .rest
            .api
            .get(&format!("/groups/{group_id}"))
            .await
            .map_err(|e| {
                let advice = match e {
                    ApiError::Denied { .. } | ApiError::NotFound { .. } => {
                        "check the group's full path and that the token's user is a member"
                    }
                    _ => "check --gitlab-url and that the server answers",
                };
                CollectError::Api(format!("cannot read group {}: {e}; {advice}", self.group))
            })?;
        if group.get("full_path").and_then(Value::as_str).is_none() {
            return Err(CollectError::Api(format!(
                "cannot read group {}: unexpected answer from /groups/{group_id} (no full_path); check --gitlab-url points at a GitLab instance",
                self.group
            )));
        }
        let mut groups = vec![group];
        groups.extend(
            scan.rest
                .list_or_note(
                    &format!("/groups/{group_id}/descendant_groups"),
                    None,
                    "listing subgroups needs a token with the read_api scope",
                )
                .await,
        );
        let projects = scan
            .rest
            .list_or_note(
                &format!("/groups/{group_id}/projects?include_subgroups=true&with_shared=false"),
                None,
                NEED_PROJECTS,
            )
            .await;
        let (scan_ref, groups_ref, projects_ref) = (&scan, &groups, &projects);
        let mut identities: Vec<Identity> = futures_util::stream::iter(0..groups.len())
            .map(move |n| scan_ref.group_identities(&groups_ref[n]))
            .buffered(4)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect();
        let per_project: Vec<(Vec<Identity>, Option<Owner>)> =
            futures_util::stream::iter(0..projects.len())
                .map(move |n| scan_ref.project_identities(&projects_ref[n]))
                .buffered(PROJECTS_AT_ONCE)
                .collect()
                .await;
        let owners: Vec<Option<Owner>> = per_project.iter().map(|(_, o)| o.clone()).collect();
        identities.extend(per_project.into_iter().flat_map(|(i, _)| i));
        // A subgroup lists the runners of its ancestors too: each runner once.
        let mut seen = std::collections::HashSet::new();
        identities.retain(|i| seen.insert(i.id.clone()));
        let repositories = match self.clone {
            Some(depth) => self.to_clone(&projects, owners, token, depth),
            None => Vec::new(),
        };
        Ok(Batch {
            identities,
            errors: scan.rest.errors(),
            api_calls: scan.rest.api.calls(),
            repositories,
            documents: scan.documents.into_inner().unwrap_or_default(),
            ..Batch::default()
        })
    }
}

impl GitlabCollector {
    /// Every listed project with a clone URL, for the history scanner.
    fn to_clone(
        &self,
        projects: &[Value],
        owners: Vec<Option<Owner>>,
        token: &str,
        depth: CloneDepth,
    ) -> Vec<RemoteRepository> {
        projects
            .iter()
            .zip(owners)
            .filter_map(|(p, owner)| {
                Some(RemoteRepository {
                    source: self.id(),
                    label: p.get("path_with_namespace")?.as_str()?.to_string(),
                    clone_url: p.get("http_url_to_repo")?.as_str()?.to_string(),
                    depth,
                    local: false,
                    token: token.to_string(),
                    username: CLONE_USER,
                    owner,
                })
            })
            .collect()
    }
}

impl Scan<'_> {
    /// A list turned into identities, failures recorded with what to grant.
    async fn listed(
        &self,
        path: String,
        need: &str,
        absent_ok: bool,
        read: impl Fn(&Value) -> Option<Identity>,
    ) -> Vec<Identity> {
        let items = if absent_ok {
            self.rest.list_or_absent(&path, None, need).await
        } else {
            self.rest.list_or_note(&path, None, need).await
        };
        self.rest.identities_of(&path, &items, read)
    }

    /// A group's own credentials (not its projects').
    async fn group_identities(&self, group: &Value) -> Vec<Identity> {
        let Some(full) = group.get("full_path").and_then(Value::as_str) else {
            return Vec::new();
        };
        let id = escaped(full);
        let base = format!("/groups/{id}");
        let mut out = self
            .listed(format!("{base}/access_tokens"), NEED_TOKENS, false, |t| {
                items::access_token(full, "group", t)
            })
            .await;
        out.extend(
            self.listed(format!("{base}/deploy_tokens"), NEED_DEPLOY_TOKENS, false, |t| {
                items::deploy_token(full, "group", t)
            })
            .await,
        );
        out.extend(self.variables(&base, full, "group", NEED_GROUP_VARIABLES).await);
        // Group webhooks are a Premium feature: a Free group answers 404.
        out.extend(
            self.listed(format!("{base}/hooks"), NEED_HOOKS, true, |h| {
                items::webhook(full, h)
            })
            .await,
        );
        out.extend(
            self.listed(format!("{base}/runners?type=group_type"), NEED_RUNNERS, false, |r| {
                items::runner(full, r)
            })
            .await,
        );
        for i in &mut out {
            i.attributes.insert("group".into(), full.to_string());
        }
        out
    }

    /// The CI/CD variables of a group or project; their values are scanned only when the
    /// user asked (`--gitlab-variables`).
    async fn variables(&self, base: &str, scope: &str, level: &str, need: &str) -> Vec<Identity> {
        let path = format!("{base}/variables");
        let vars = self.rest.list_or_note(&path, None, need).await;
        if self.read_variables {
            let documents = vars.iter().filter_map(|v| {
                let key = v.get("key")?.as_str()?;
                let value = v.get("value")?.as_str()?;
                let environment = v.get("environment_scope").and_then(Value::as_str).unwrap_or("*");
                let mut bytes = format!("{key}=").into_bytes();
                bytes.extend_from_slice(value.as_bytes());
                Some(Document {
                    source: self.source.to_string(),
                    provider: PROVIDER,
                    object: format!("{scope}/variables@{environment}"),
                    key: key.to_string(),
                    bytes,
                    tags: Default::default(),
                })
            });
            self.documents.lock().expect("lock").extend(documents);
        }
        self.rest
            .identities_of(&path, &vars, |v| items::variable(scope, level, v))
    }

    /// A project's credentials, and who owns the project.
    async fn project_identities(&self, project: &Value) -> (Vec<Identity>, Option<Owner>) {
        let (Some(full), Some(id)) = (
            project.get("path_with_namespace").and_then(Value::as_str),
            project.get("id").and_then(Value::as_i64),
        ) else {
            return (Vec::new(), None);
        };
        let base = format!("/projects/{id}");
        // The project's lists at once: with the API's latency, the wait is one call's,
        // not seven.
        let branch = project.get("default_branch").and_then(Value::as_str);
        let (tokens, deploy_tokens, keys, variables, triggers, hooks, owner) = futures_util::join!(
            self.listed(format!("{base}/access_tokens"), NEED_TOKENS, false, |t| {
                items::access_token(full, "project", t)
            }),
            self.listed(format!("{base}/deploy_tokens"), NEED_DEPLOY_TOKENS, false, |t| {
                items::deploy_token(full, "project", t)
            }),
            self.listed(format!("{base}/deploy_keys"), NEED_KEYS, false, |k| {
                items::deploy_key(full, k)
            }),
            self.variables(&base, full, "project", NEED_PROJECT_VARIABLES),
            self.listed(format!("{base}/triggers"), NEED_TRIGGERS, false, |t| {
                items::trigger(full, t)
            }),
            self.listed(format!("{base}/hooks"), NEED_HOOKS, false, |h| {
                items::webhook(full, h)
            }),
            // An empty repository has no default branch, hence no CODEOWNERS.
            async {
                match branch {
                    Some(branch) => self.project_owner(id, full, branch).await,
                    None => None,
                }
            },
        );
        let mut out: Vec<Identity> = [tokens, deploy_tokens, keys, variables, triggers, hooks]
            .into_iter()
            .flatten()
            .collect();
        for i in &mut out {
            i.attributes.insert("repository".into(), full.to_string());
            if let Some(o) = &owner {
                i.owner = Some(o.clone());
            }
        }
        (out, owner)
    }

    /// The owners CODEOWNERS gives the whole tree. GitLab reads the first of these it finds.
    async fn project_owner(&self, id: i64, full: &str, branch: &str) -> Option<Owner> {
        for path in ["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"] {
            let call = format!(
                "/projects/{id}/repository/files/{}?ref={}",
                escaped(path),
                escaped(branch)
            );
            match self.rest.api.get(&call).await {
                Ok(file) => return codeowners_owner(full, path, &file),
                Err(ApiError::NotFound { .. }) => continue,
                Err(e) => {
                    self.rest.note(
                        &e,
                        "CODEOWNERS needs at least the Reporter role and the read_api scope",
                    );
                    return None;
                }
            }
        }
        None
    }
}
