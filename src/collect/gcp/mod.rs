//! Google Cloud collector: the service accounts of a project, their user-managed keys, the
//! roles they hold and who may act as them.
//!
//! Per project: the project's labels (owner), its service accounts (IAM), the project IAM
//! policy (roles granted to each account: its privileges), per account (8 at a time) its
//! user-managed keys and its own IAM policy (impersonation, GKE workload identity,
//! federated principals), and the last authentication of every account and key from the
//! Policy Analyzer activity API. Lists page with `pageToken`; a refused call names the IAM
//! permission to grant and makes the source `partial`.
//!
//! Correlation: a key file found in code carries the key's id as `private_key_id`, which
//! the scanner fingerprints; the listed key has the same fingerprint, so the two are one
//! identity. A Kubernetes ServiceAccount annotated `iam.gke.io/gcp-service-account` relates
//! to the account's identity id.

mod auth;
mod flags;
pub mod items;
pub mod key;

use super::{Batch, CollectError, Collector, Context};
use crate::collect::rest::transport::HttpTransport;
use crate::collect::rest::{self, ApiError, Paging, Session};
use crate::model::{Identity, Timestamp};
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

pub use flags::GcpFlags;

/// The provider of every identity this source reports.
pub const PROVIDER: crate::model::Provider = crate::model::Provider::named("gcp");

/// Accounts read at once, each with its two calls together: 16 requests in flight, well
/// inside IAM's default read quota (6,000 a minute per project).
const ACCOUNTS_AT_ONCE: usize = 8;

const IAM: &str = "https://iam.googleapis.com";
const RESOURCE_MANAGER: &str = "https://cloudresourcemanager.googleapis.com";
const POLICY_ANALYZER: &str = "https://policyanalyzer.googleapis.com";

pub struct GcpCollector {
    /// `None`: the project of the credentials.
    project: Option<String>,
    /// `--gcp-url`: one base for every API.
    base: Option<String>,
}

struct Scan<'a> {
    rest: Session<HttpTransport>,
    project: &'a str,
    base: Option<&'a str>,
}

impl Scan<'_> {
    fn url(&self, api: &str, path: &str) -> String {
        format!("{}{path}", self.base.unwrap_or(api))
    }
}

#[async_trait::async_trait]
impl Collector for GcpCollector {
    fn id(&self) -> String {
        format!("gcp:{}", self.project.as_deref().unwrap_or("default"))
    }

    async fn collect(&self, cx: &Context) -> Result<Batch, CollectError> {
        let found = auth::discover().map_err(CollectError::Setup)?;
        let project = self
            .project
            .clone()
            .or_else(|| crate::collect::env_var("GOOGLE_CLOUD_PROJECT"))
            .or_else(|| crate::collect::env_var("CLOUDSDK_CORE_PROJECT"))
            .or(found.project.clone())
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| {
                CollectError::Setup(format!(
                    "no Google Cloud project: name it (--gcp PROJECT) or set GOOGLE_CLOUD_PROJECT; the credentials from {} name none",
                    found.origin
                ))
            })?;
        let token = auth::access_token(&found.credentials, cx.budget)
            .await
            .map_err(|e| CollectError::Setup(format!("Google credentials from {}: {e}", found.origin)))?;
        let transport = HttpTransport::new(
            self.base.as_deref().unwrap_or(IAM),
            vec![("authorization", format!("Bearer {token}"))],
        )
        .map_err(CollectError::Setup)?;
        let scan = Scan {
            rest: Session::new(transport, cx.budget)
                .styled(Paging::PageToken { size: "pageSize=100" }, "/error/message"),
            project: &project,
            base: self.base.as_deref(),
        };
        let identities = scan.project_identities(cx).await?;
        Ok(Batch {
            identities,
            errors: scan.rest.errors(),
            api_calls: scan.rest.api.calls(),
            ..Batch::default()
        })
    }
}

const NEED_ACCOUNTS: &str = "grant iam.serviceAccounts.list (roles/iam.securityReviewer)";
const NEED_KEYS: &str = "grant iam.serviceAccountKeys.list (roles/iam.securityReviewer)";
const NEED_PROJECT_POLICY: &str =
    "grant resourcemanager.projects.getIamPolicy (roles/iam.securityReviewer)";
const NEED_ACCOUNT_POLICY: &str =
    "grant iam.serviceAccounts.getIamPolicy (roles/iam.securityReviewer)";
const NEED_PROJECT: &str = "grant resourcemanager.projects.get (roles/browser) for the project's labels";
const NEED_ACTIVITY: &str = "grant roles/policyanalyzer.activityAnalysisViewer for last authentication times (policyanalyzer.serviceAccount*LastAuthenticationActivities.query)";

impl Scan<'_> {
    async fn project_identities(&self, cx: &Context) -> Result<Vec<Identity>, CollectError> {
        let project = self.project;
        let labels = self.labels().await;
        let accounts_path = self.url(IAM, &format!("/v1/projects/{project}/serviceAccounts"));
        let listed = self.rest.api.list(&accounts_path, Some("accounts")).await;
        match &listed.error {
            // Nothing else is worth asking without the accounts.
            Some(e @ (ApiError::Denied { .. } | ApiError::NotFound { .. })) => {
                return Err(CollectError::Api(format!(
                    "cannot list the service accounts of project {project}: {e}; check the project id and {NEED_ACCOUNTS}"
                )));
            }
            Some(e) => self.rest.note(e, NEED_ACCOUNTS),
            None => {}
        }
        let policy = self
            .rest
            .api
            .post(
                &self.url(RESOURCE_MANAGER, &format!("/v1/projects/{project}:getIamPolicy")),
                ("application/json", br#"{"options": {"requestedPolicyVersion": 3}}"#),
            )
            .await
            .unwrap_or_else(|e| {
                self.rest.note(&e, NEED_PROJECT_POLICY);
                Value::Null
            });
        let roles = items::roles_by_account(&policy);
        // Each account with its resource name (`projects/p/serviceAccounts/e`), which the
        // key and policy calls address.
        let accounts: Vec<Identity> = self.rest.identities_of(&accounts_path, &listed.items, |a| {
            let email = a.get("email")?.as_str()?;
            let name = a.get("name")?.as_str()?;
            let mut i = items::service_account(project, a, roles.get(email), &labels)?;
            i.attributes.insert("resource_name".into(), name.to_string());
            Some(i)
        });
        let (activity, per_account) = futures_util::join!(
            self.last_authentications(),
            futures_util::stream::iter(accounts)
                .map(|account| self.account_and_keys(account, cx))
                .buffered(ACCOUNTS_AT_ONCE)
                .collect::<Vec<_>>()
        );
        let mut out: Vec<Identity> = per_account.into_iter().flatten().collect();
        if let Some(activity) = activity {
            for i in &mut out {
                if let Some(name) = i.attributes.remove("resource_name")
                    && let Some(last) = activity.get(&name)
                {
                    i.last_used_at = *last;
                    i.attributes.insert(
                        "last_authentication".into(),
                        last.map_or("none in the observation period".into(), |t| t.to_string()),
                    );
                }
            }
        }
        for i in &mut out {
            i.attributes.remove("resource_name");
        }
        Ok(out)
    }

    /// The project's labels (the owner resolver reads `owner`, `team`).
    async fn labels(&self) -> BTreeMap<String, String> {
        let path = self.url(RESOURCE_MANAGER, &format!("/v1/projects/{}", self.project));
        match self.rest.api.get(&path).await {
            Ok(p) => p
                .get("labels")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect(),
            Err(e) => {
                self.rest.note(&e, NEED_PROJECT);
                BTreeMap::new()
            }
        }
    }

    /// An account with its own policy applied, and its user-managed keys.
    async fn account_and_keys(&self, mut account: Identity, cx: &Context) -> Vec<Identity> {
        let name = account.attributes.remove("resource_name").unwrap_or_default();
        let keys_path = self.url(IAM, &format!("/v1/{name}/keys?keyTypes=USER_MANAGED"));
        let policy_path = self.url(IAM, &format!("/v1/{name}:getIamPolicy"));
        let (keys, policy) = futures_util::join!(
            self.rest.api.get(&keys_path),
            self.rest.api.post(&policy_path, ("application/json", b"{}"))
        );
        match policy {
            Ok(p) if p.is_object() => items::apply_account_policy(&mut account, &p),
            Ok(_) => self.rest.note(
                &ApiError::Other {
                    path: policy_path.clone(),
                    message: "unexpected answer: not an IAM policy object".into(),
                },
                "",
            ),
            Err(e) => self.rest.note(&e, NEED_ACCOUNT_POLICY),
        }
        // The key list is one answer (no pages); Google leaves out an empty `keys`.
        let keys = keys.and_then(|body| {
            rest::items_of(body, Some("keys"), true).map_err(|message| ApiError::Other {
                path: keys_path.clone(),
                message,
            })
        });
        let keys: Vec<Value> = keys.unwrap_or_else(|e| {
            self.rest.note(&e, NEED_KEYS);
            Vec::new()
        });
        account.attributes.insert("resource_name".into(), items::full_resource_name(&name));
        let mut out: Vec<Identity> = self.rest.identities_of(&keys_path, &keys, |k| {
            let key_name = k.get("name")?.as_str()?;
            let key_id = key_name.rsplit('/').next()?;
            let mut i = items::account_key(&account, k, cx.fingerprinter.fingerprint(key_id.as_bytes()))?;
            i.attributes.insert("resource_name".into(), items::full_resource_name(key_name));
            Some(i)
        });
        if !out.is_empty() {
            account.attributes.insert("user_managed_keys".into(), out.len().to_string());
        }
        out.insert(0, account);
        out
    }

    /// Last authentication of every account and key, or `None` when the activity API
    /// could not be read (the reason recorded).
    async fn last_authentications(&self) -> Option<HashMap<String, Option<Timestamp>>> {
        let mut out = HashMap::new();
        for kind in ["serviceAccountLastAuthentication", "serviceAccountKeyLastAuthentication"] {
            let path = self.url(
                POLICY_ANALYZER,
                &format!(
                    "/v1/projects/{}/locations/global/activityTypes/{kind}/activities:query",
                    self.project
                ),
            );
            let listed = self.rest.api.list(&path, Some("activities")).await;
            if let Some(e) = &listed.error {
                self.rest.note(e, NEED_ACTIVITY);
                return None;
            }
            out.extend(items::last_authentications(&listed.items));
        }
        Some(out)
    }
}
