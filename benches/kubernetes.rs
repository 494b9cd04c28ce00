//! The Kubernetes collector on a large cluster.
//!
//! `cargo bench --bench kubernetes`. The shape is a big multi-tenant cluster: 250
//! namespaces, 20 ServiceAccounts each (5,000), a Role and 20 RoleBindings per namespace
//! (5,000, two subjects each), 300 ClusterRoleBindings over 50 ClusterRoles (some to the
//! namespace groups), and two Opaque Secrets per account (10,000).
//!
//! - `rbac`: resolving every account's grants (pure).
//! - `collect`: the whole collector against the test suite's local API server
//!   (tests/common/apiserver.rs, 127.0.0.1): every list paginated at 500, decoded with
//!   k8s-openapi, converted, and the Secrets' values handed out for scanning.

use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use nhiscan::collect::kubernetes::rbac::{AccountKey, RbacObjects, grants_by_account};
use std::hint::black_box;

#[allow(dead_code)]
#[path = "../tests/common/apiserver.rs"]
mod apiserver;

fn meta(ns: Option<&str>, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: ns.map(str::to_string),
        ..Default::default()
    }
}

fn rule(resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(resources.iter().map(|s| s.to_string()).collect()),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn subject(kind: &str, ns: Option<&str>, name: &str) -> Subject {
    Subject {
        kind: kind.into(),
        name: name.into(),
        namespace: ns.map(str::to_string),
        ..Default::default()
    }
}

fn role_ref(kind: &str, name: &str) -> RoleRef {
    RoleRef {
        api_group: "rbac.authorization.k8s.io".into(),
        kind: kind.into(),
        name: name.into(),
    }
}

fn cluster() -> (RbacObjects, Vec<AccountKey>) {
    let mut rbac = RbacObjects::default();
    let mut accounts = Vec::new();
    for n in 0..250 {
        let ns = format!("tenant-{n}");
        for a in 0..20 {
            accounts.push((ns.clone(), format!("svc-{a}")));
        }
        rbac.roles.push(Role {
            metadata: meta(Some(&ns), "app"),
            rules: Some(vec![
                rule(&["configmaps", "secrets"], &["get", "list"]),
                rule(&["pods"], &["get", "list", "watch", "create"]),
            ]),
        });
        for b in 0..20 {
            rbac.role_bindings.push(RoleBinding {
                metadata: meta(Some(&ns), &format!("bind-{b}")),
                role_ref: role_ref("Role", "app"),
                subjects: Some(vec![
                    subject("ServiceAccount", Some(&ns), &format!("svc-{b}")),
                    subject(
                        "User",
                        None,
                        &format!("system:serviceaccount:{ns}:svc-{}", (b + 1) % 20),
                    ),
                ]),
            });
        }
    }
    for c in 0..50 {
        rbac.cluster_roles.push(ClusterRole {
            metadata: meta(None, &format!("cluster-{c}")),
            rules: Some(vec![rule(&["nodes", "namespaces"], &["get", "list"])]),
            ..Default::default()
        });
    }
    for b in 0..300 {
        let subjects = if b % 10 == 0 {
            vec![subject(
                "Group",
                None,
                &format!("system:serviceaccounts:tenant-{b}"),
            )]
        } else {
            vec![subject(
                "ServiceAccount",
                Some(&format!("tenant-{b}")),
                "svc-0",
            )]
        };
        rbac.cluster_role_bindings.push(ClusterRoleBinding {
            metadata: meta(None, &format!("crb-{b}")),
            role_ref: role_ref("ClusterRole", &format!("cluster-{}", b % 50)),
            subjects: Some(subjects),
        });
    }
    (rbac, accounts)
}

fn bench_rbac(c: &mut Criterion) {
    let (rbac, accounts) = cluster();
    c.bench_function("rbac: 5,000 accounts, 5,300 bindings", |b| {
        b.iter(|| black_box(grants_by_account(&rbac, &accounts)).len())
    });
}

/// The same cluster as the API server's lists.
fn served(rbac: RbacObjects, accounts: &[AccountKey]) -> apiserver::KubeServer {
    use apiserver::Listing;
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
    let namespaces: Vec<Namespace> = (0..250)
        .map(|n| Namespace {
            metadata: meta(None, &format!("tenant-{n}")),
            ..Default::default()
        })
        .collect();
    let service_accounts: Vec<ServiceAccount> = accounts
        .iter()
        .map(|(ns, name)| ServiceAccount {
            metadata: meta(Some(ns), name),
            ..Default::default()
        })
        .collect();
    let secrets: Vec<Secret> = accounts
        .iter()
        .flat_map(|(ns, name)| {
            ["config", "db"].map(|kind| Secret {
                metadata: meta(Some(ns), &format!("{name}-{kind}")),
                type_: Some("Opaque".into()),
                data: Some(
                    [
                        ("HOST".to_string(), ByteString(b"db.internal.test".to_vec())),
                        ("PORT".to_string(), ByteString(b"5432".to_vec())),
                    ]
                    .into(),
                ),
                ..Default::default()
            })
        })
        .collect();
    let v1 = "v1";
    let r = "rbac.authorization.k8s.io/v1";
    apiserver::KubeServer::start(
        [
            (
                "namespaces".to_string(),
                Listing::of(v1, "NamespaceList", &namespaces),
            ),
            (
                "serviceaccounts".into(),
                Listing::of(v1, "ServiceAccountList", &service_accounts),
            ),
            ("secrets".into(), Listing::of(v1, "SecretList", &secrets)),
            (
                "pods".into(),
                Listing::of::<k8s_openapi::api::core::v1::Pod>(v1, "PodList", &[]),
            ),
            ("roles".into(), Listing::of(r, "RoleList", &rbac.roles)),
            (
                "rolebindings".into(),
                Listing::of(r, "RoleBindingList", &rbac.role_bindings),
            ),
            (
                "clusterroles".into(),
                Listing::of(r, "ClusterRoleList", &rbac.cluster_roles),
            ),
            (
                "clusterrolebindings".into(),
                Listing::of(r, "ClusterRoleBindingList", &rbac.cluster_role_bindings),
            ),
        ]
        .into(),
        &[],
    )
}

fn bench_collect(c: &mut Criterion) {
    use nhiscan::collect::Collector;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (rbac, accounts) = cluster();
    let server = served(rbac, &accounts);
    let dir = tempfile::tempdir().unwrap();
    // The bench process reads the kubeconfig the way the CLI does.
    unsafe { std::env::set_var("KUBECONFIG", server.kubeconfig(dir.path())) };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let collector = nhiscan::collect::kubernetes::KubernetesCollector::new(None, None);
    // A fresh budget per run: the deadline counts from the collector's start.
    let cx = || nhiscan::collect::Context {
        now: nhiscan::model::Timestamp::now(),
        fingerprinter: nhiscan::scan::redact::Fingerprinter::default(),
        calls_in_flight: 8,
        budget: Default::default(),
    };
    let mut group = c.benchmark_group("collect");
    group.sample_size(10);
    group.bench_function("5,000 accounts, 10,000 secrets, 10,550 RBAC objects", |b| {
        b.iter(|| {
            let batch = runtime.block_on(collector.collect(&cx())).unwrap();
            assert!(batch.errors.is_empty(), "{:?}", batch.errors);
            black_box((batch.identities.len(), batch.documents.len()))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_rbac, bench_collect);
criterion_main!(benches);
