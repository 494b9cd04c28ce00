//! Kubernetes collector (kube): ServiceAccounts, their long-lived tokens, TLS certificates,
//! bootstrap tokens, the credentials stored in Secrets, and what RBAC lets each account do.
//!
//! One source per kubeconfig context (`--k8s ctx1,ctx2`), or the current context, or the
//! in-cluster configuration when there is no kubeconfig. It lists, across all namespaces or
//! the one `--namespace` names: Namespaces, ServiceAccounts, Secrets, Pods, RoleBindings,
//! Roles, ClusterRoleBindings and ClusterRoles, every page (`limit`/`continue`), all at
//! once (kube's client retries throttled requests). A list the scanner may not read (403) is one error naming the RBAC permission to
//! grant; the rest of the inventory is built from what could be read and the source is
//! `partial`. Conversion to identities is in [`items`] and [`rbac`], pure functions.

mod flags;
pub mod items;
mod lister;
pub mod rbac;

use super::{Batch, CollectError, Collector, Context, Document};
use crate::collect::calls::{CallLog, Failure};
use crate::model::{Identity, attr};
use items::{AccountContext, Cluster};
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::ListParams;
use lister::Lister;
use std::collections::{BTreeMap, HashMap};

pub use flags::KubernetesFlags;

/// The provider of every identity this source reports.
pub const PROVIDER: crate::model::Provider = crate::model::Provider::named("kubernetes");

/// Resource types listed per cluster.
const LISTS: usize = 8;


pub struct KubernetesCollector {
    /// `None`: the current kubeconfig context, or in-cluster configuration.
    context: Option<String>,
    namespace: Option<String>,
}

impl KubernetesCollector {
    pub fn new(context: Option<String>, namespace: Option<String>) -> Self {
        KubernetesCollector { context, namespace }
    }

    /// The context name the source is reported as.
    fn context_name(&self) -> String {
        self.context.clone().unwrap_or_else(current_context)
    }

    async fn client(&self) -> Result<kube::Client, CollectError> {
        let config = match &self.context {
            Some(context) => {
                let options = kube::config::KubeConfigOptions {
                    context: Some(context.clone()),
                    ..Default::default()
                };
                kube::Config::from_kubeconfig(&options).await.map_err(|e| {
                    CollectError::Setup(format!(
                        "cannot load kubeconfig context {context}: {e}; list the contexts with `kubectl config get-contexts`"
                    ))
                })?
            }
            None => kube::Config::infer().await.map_err(|e| {
                CollectError::Setup(format!(
                    "no Kubernetes configuration: {e}; set KUBECONFIG, or run inside a cluster"
                ))
            })?,
        };
        // Throttling is retried by the lister, which knows the source's budget.
        let mut config = config;
        config.default_retry = false;
        kube::Client::try_from(config)
            .map_err(|e| CollectError::Setup(format!("cannot build the Kubernetes client: {e}")))
    }
}

/// The kubeconfig's current context, or `in-cluster` when there is no kubeconfig: what
/// `--k8s` without a name scans, for the source id and the inventory's scope.
pub fn current_context() -> String {
    kube::config::Kubeconfig::read()
        .ok()
        .and_then(|k| k.current_context)
        .unwrap_or_else(|| "in-cluster".into())
}

/// One resource type to list: how messages and RBAC advice name it.
struct Resource {
    plural: &'static str,
    group: &'static str,
    namespaced: bool,
}

impl Resource {
    /// `secret` from `secrets`, for messages about one object.
    fn singular(&self) -> &str {
        self.plural.strip_suffix('s').unwrap_or(self.plural)
    }
}

const NAMESPACES: Resource = Resource {
    plural: "namespaces",
    group: "",
    namespaced: false,
};
const SERVICE_ACCOUNTS: Resource = Resource {
    plural: "serviceaccounts",
    group: "",
    namespaced: true,
};
const SECRETS: Resource = Resource {
    plural: "secrets",
    group: "",
    namespaced: true,
};
const PODS: Resource = Resource {
    plural: "pods",
    group: "",
    namespaced: true,
};
const RBAC: &str = "rbac.authorization.k8s.io";
const ROLE_BINDINGS: Resource = Resource {
    plural: "rolebindings",
    group: RBAC,
    namespaced: true,
};
const ROLES: Resource = Resource {
    plural: "roles",
    group: RBAC,
    namespaced: true,
};
const CLUSTER_ROLE_BINDINGS: Resource = Resource {
    plural: "clusterrolebindings",
    group: RBAC,
    namespaced: false,
};
const CLUSTER_ROLES: Resource = Resource {
    plural: "clusterroles",
    group: RBAC,
    namespaced: false,
};

/// Everything listed from one cluster.
#[derive(Default)]
struct Listed {
    namespaces: Vec<Namespace>,
    accounts: Vec<ServiceAccount>,
    secrets: Vec<Secret>,
    /// `None` when pods could not be listed: then no account is known to be unused.
    pods: Option<Vec<Pod>>,
    rbac: rbac::RbacObjects,
}

#[async_trait::async_trait]
impl Collector for KubernetesCollector {
    fn id(&self) -> String {
        format!("kubernetes:{}", self.context_name())
    }

    async fn collect(&self, cx: &Context) -> Result<Batch, CollectError> {
        let context = self.context_name();
        let lister = Lister {
            client: self.client().await?,
            namespace: self.namespace.as_deref(),
            context: &context,
            log: CallLog::default(),
            budget: cx.budget,
        };
        let listed = list_everything(&lister).await;
        let errors = lister.log.failures();
        let api_calls = lister.log.calls();
        // Nothing could be read at all: the cluster is unreachable or refuses us.
        if errors.len() == LISTS && errors.iter().all(|e| e.failure != Failure::Denied) {
            let first = &errors[0];
            let advice = if first.failure == Failure::Other {
                format!("; check `kubectl --context {context} cluster-info`")
            } else {
                String::new()
            };
            return Err(CollectError::Api(format!("{}{advice}", first.message)));
        }
        let cluster = Cluster { context };
        let (identities, documents, mut problems) = build(&cluster, &listed, cx);
        let mut messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        messages.append(&mut problems);
        Ok(Batch {
            identities,
            errors: messages,
            api_calls,
            documents,
            ..Batch::default()
        })
    }
}

async fn list_everything(l: &Lister<'_>) -> Listed {
    let namespaces = async {
        match l.namespace {
            // With --namespace, only that namespace's labels are needed (and perhaps the
            // only Namespace the scanner may read): list it by field selector.
            Some(ns) => {
                let params = ListParams::default().fields(&format!("metadata.name={ns}"));
                l.try_list(l.cluster_path::<Namespace>(), &NAMESPACES, params)
                    .await
                    .unwrap_or_else(|partial| partial)
            }
            None => l.list(l.cluster_path::<Namespace>(), &NAMESPACES).await,
        }
    };
    let pods = async {
        l.try_list(l.path::<Pod>(), &PODS, ListParams::default())
            .await
            .ok()
    };
    let (
        namespaces,
        accounts,
        secrets,
        pods,
        role_bindings,
        roles,
        cluster_role_bindings,
        cluster_roles,
    ) = tokio::join!(
        namespaces,
        l.list(l.path::<ServiceAccount>(), &SERVICE_ACCOUNTS),
        l.list(l.path::<Secret>(), &SECRETS),
        pods,
        l.list(l.path::<RoleBinding>(), &ROLE_BINDINGS),
        l.list(l.path::<Role>(), &ROLES),
        l.list(
            l.cluster_path::<ClusterRoleBinding>(),
            &CLUSTER_ROLE_BINDINGS
        ),
        l.list(l.cluster_path::<ClusterRole>(), &CLUSTER_ROLES),
    );
    // With --namespace, cluster bindings still matter, but only those reaching this
    // namespace's accounts are used (grants are computed per account).
    Listed {
        namespaces,
        accounts,
        secrets,
        pods,
        rbac: rbac::RbacObjects {
            role_bindings,
            cluster_role_bindings,
            roles,
            cluster_roles,
        },
    }
}

/// Identities, documents to scan, and problems with single objects (a TLS secret whose
/// certificate cannot be parsed).
fn build(
    cluster: &Cluster,
    listed: &Listed,
    cx: &Context,
) -> (Vec<Identity>, Vec<Document>, Vec<String>) {
    let ns_labels: HashMap<&str, &BTreeMap<String, String>> = listed
        .namespaces
        .iter()
        .filter_map(|n| Some((n.metadata.name.as_deref()?, n.metadata.labels.as_ref()?)))
        .collect();
    let labels_of = |ns: Option<&String>| ns.and_then(|n| ns_labels.get(n.as_str()).copied());
    let keys: Vec<rbac::AccountKey> = listed
        .accounts
        .iter()
        .filter_map(|a| Some((a.metadata.namespace.clone()?, a.metadata.name.clone()?)))
        .collect();
    let grants = rbac::grants_by_account(&listed.rbac, &keys);
    let pods = listed.pods.as_deref().map(pods_by_account);
    let mut identities = Vec::new();
    let mut by_account: HashMap<String, usize> = HashMap::new();
    for (sa, key) in listed.accounts.iter().zip(&keys) {
        let account_grants = grants.get(key).map_or(&[][..], Vec::as_slice);
        let context = AccountContext {
            pods: pods
                .as_ref()
                .map(|p| p.get(key).cloned().unwrap_or_default()),
            grants: account_grants,
            namespace_labels: labels_of(sa.metadata.namespace.as_ref()),
        };
        if let Some(mut identity) = items::service_account(cluster, sa, &context) {
            if key.1 == "default" && !account_grants.is_empty() {
                identity.attributes.insert(
                    attr::DEFAULT_ACCOUNT_BINDINGS.into(),
                    account_grants.len().to_string(),
                );
            }
            by_account.insert(identity.id.clone(), identities.len());
            identities.push(identity);
        }
    }
    let mut documents = Vec::new();
    let mut problems = Vec::new();
    for secret in &listed.secrets {
        let labels = labels_of(secret.metadata.namespace.as_ref());
        match secret.type_.as_deref() {
            Some(items::TOKEN_TYPE) => {
                if let Some(mut token) =
                    items::token_secret(cluster, secret, &cx.fingerprinter, labels)
                {
                    // The token can do what its account can.
                    if let Some(&slot) = token.related.first().and_then(|r| by_account.get(r)) {
                        token.privileges = identities[slot].privileges.clone();
                    }
                    identities.push(token);
                }
            }
            Some(items::TLS_TYPE) => match items::tls_secret(cluster, secret, labels) {
                Ok(cert) => identities.push(cert),
                Err(problem) => problems.push(problem.to_string()),
            },
            Some(items::BOOTSTRAP_TYPE) => {
                identities.extend(items::bootstrap_token(cluster, secret, &cx.fingerprinter));
            }
            _ => documents.extend(items::documents(cluster, secret, labels)),
        }
    }
    (identities, documents, problems)
}

/// `namespace/pod` names per ServiceAccount (a pod without one runs as `default`).
fn pods_by_account(pods: &[Pod]) -> HashMap<rbac::AccountKey, Vec<String>> {
    let mut out: HashMap<rbac::AccountKey, Vec<String>> = HashMap::new();
    for pod in pods {
        let (Some(ns), Some(name)) = (&pod.metadata.namespace, &pod.metadata.name) else {
            continue;
        };
        let account = pod
            .spec
            .as_ref()
            .and_then(|s| s.service_account_name.clone().or(s.service_account.clone()))
            .unwrap_or_else(|| "default".into());
        out.entry((ns.clone(), account))
            .or_default()
            .push(format!("{ns}/{name}"));
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}
