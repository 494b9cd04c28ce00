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
pub mod rbac;

use super::{Batch, CollectError, Collector, Context, Document};
use crate::collect::calls::{CallLog, FailedCall, Failure};
use crate::model::{Identity, attr};
use items::{AccountContext, Cluster};
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, ListParams};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};

pub use flags::KubernetesFlags;

/// The provider of every identity this source reports.
pub const PROVIDER: crate::model::Provider = crate::model::Provider::named("kubernetes");

/// Objects per list page: the API server's own default cap for a consistent snapshot.
const PAGE: u32 = 500;
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

struct Lister<'a> {
    client: kube::Client,
    namespace: Option<&'a str>,
    context: &'a str,
    log: CallLog,
}

impl Lister<'_> {
    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        match self.namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        }
    }

    fn cluster_api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::ClusterResourceScope>,
        K::DynamicType: Default,
    {
        Api::all(self.client.clone())
    }

    /// Every object of one list, page by page; on failure the error is recorded and the
    /// list is empty.
    async fn list<K>(&self, api: Api<K>, resource: &Resource) -> Vec<K>
    where
        K: Clone + DeserializeOwned + std::fmt::Debug,
    {
        self.try_list(api, resource).await.unwrap_or_default()
    }

    /// Like [`Lister::list`], `None` when the list could not be read.
    async fn try_list<K>(&self, api: Api<K>, resource: &Resource) -> Option<Vec<K>>
    where
        K: Clone + DeserializeOwned + std::fmt::Debug,
    {
        match self.pages(&api).await {
            Ok(items) => Some(items),
            Err(e) => {
                self.log.fail(self.explain(resource, e), false);
                None
            }
        }
    }

    async fn pages<K>(&self, api: &Api<K>) -> Result<Vec<K>, kube::Error>
    where
        K: Clone + DeserializeOwned + std::fmt::Debug,
    {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(PAGE);
            if let Some(t) = &token {
                params = params.continue_token(t);
            }
            let page = self.page(api, &params).await?;
            items.extend(page.items);
            match page.metadata.continue_ {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(items),
            }
        }
    }

    /// One page. A throttled request (429, and 503/504) is retried by kube's client itself,
    /// with exponential backoff, inside this call; the source deadline bounds it.
    async fn page<K>(
        &self,
        api: &Api<K>,
        params: &ListParams,
    ) -> Result<kube::core::ObjectList<K>, kube::Error>
    where
        K: Clone + DeserializeOwned + std::fmt::Debug,
    {
        self.log.count();
        api.list(params).await
    }

    /// A failed list, in words that say what to do.
    fn explain(&self, r: &Resource, e: kube::Error) -> FailedCall {
        let scope = match (r.namespaced, self.namespace) {
            (true, Some(ns)) => format!("in namespace {ns}"),
            (true, None) => "in all namespaces".to_string(),
            (false, _) => "(cluster-scoped)".to_string(),
        };
        let group = if r.group.is_empty() {
            "\"\"".to_string()
        } else {
            r.group.to_string()
        };
        let what = format!("cannot list {} {scope}", r.plural);
        let cluster_wide = if r.namespaced && self.namespace.is_none() {
            " in a ClusterRole bound cluster-wide"
        } else {
            ""
        };
        let (failure, message) = match e {
            kube::Error::Api(s) if s.code == 403 => (
                Failure::Denied,
                format!(
                    "{what}: forbidden ({}); grant the scanning identity `list` on `{}` (apiGroups: [{group}]){cluster_wide}",
                    s.message, r.plural
                ),
            ),
            kube::Error::Api(s) if s.code == 401 => (
                Failure::Unauthorized,
                format!(
                    "{what}: the API server rejected the credentials of context {} (401 {}); check `kubectl --context {} auth whoami`",
                    self.context, s.message, self.context
                ),
            ),
            kube::Error::Api(s) => (
                Failure::Other,
                format!("{what}: HTTP {} {} {}", s.code, s.reason, s.message),
            ),
            other => (Failure::Other, format!("{what}: {other}")),
        };
        FailedCall {
            operation: what,
            failure,
            message,
            fix: String::new(),
            affected: 1,
            count_affected: false,
        }
    }
}

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
        let mut messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
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
                let api: Api<Namespace> = l.cluster_api();
                let params = ListParams::default().fields(&format!("metadata.name={ns}"));
                l.log.count();
                match api.list(&params).await {
                    Ok(list) => list.items,
                    Err(e) => {
                        l.log.fail(l.explain(&NAMESPACES, e), false);
                        Vec::new()
                    }
                }
            }
            None => l.list(l.cluster_api(), &NAMESPACES).await,
        }
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
        l.list(l.api::<ServiceAccount>(), &SERVICE_ACCOUNTS),
        l.list(l.api::<Secret>(), &SECRETS),
        l.try_list(l.api::<Pod>(), &PODS),
        l.list(l.api::<RoleBinding>(), &ROLE_BINDINGS),
        l.list(l.api::<Role>(), &ROLES),
        l.list(
            l.cluster_api::<ClusterRoleBinding>(),
            &CLUSTER_ROLE_BINDINGS
        ),
        l.list(l.cluster_api::<ClusterRole>(), &CLUSTER_ROLES),
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
