//! `nhiscan scan --k8s` against a local API server (tests/common/apiserver.rs) serving
//! objects built here with k8s-openapi types: ServiceAccounts, token, TLS (real
//! certificates made with rcgen), Opaque and dockerconfigjson Secrets, Pods, RBAC; one
//! list over several pages, one list forbidden.

mod common;

use base64::Engine;
use common::apiserver::{KubeServer, Listing};
use common::*;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Pod, PodSpec, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

const CTX: &str = "test-cluster";

fn time(rfc3339: &str) -> Time {
    Time(rfc3339.parse().unwrap())
}

fn meta(ns: Option<&str>, name: &str, created: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: ns.map(str::to_string),
        uid: Some(format!("uid-{}-{name}", ns.unwrap_or("cluster"))),
        creation_timestamp: Some(time(created)),
        ..Default::default()
    }
}

fn map(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// A ServiceAccount token in the shape the token controller writes: a JWT whose claims name
/// the account (synthetic: the signature is random bytes).
fn service_account_token() -> String {
    let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let header = b64(r#"{"alg":"RS256","kid":"Zk3rQ8pLmN2vX7yT"}"#);
    let claims = b64(
        r#"{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"ci","kubernetes.io/serviceaccount/secret.name":"deployer-token","kubernetes.io/serviceaccount/service-account.name":"deployer","sub":"system:serviceaccount:ci:deployer"}"#,
    );
    let signature = b64("synthetic-signature-bytes-for-a-test-only-token-0042");
    format!("{header}.{claims}.{signature}")
}

/// A self-signed certificate for `host`, valid from `from` to `until` (PEM).
fn certificate(host: &str, from: &str, until: &str) -> (String, String) {
    let mut params = rcgen::CertificateParams::new(vec![host.to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, host);
    let parse = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap()
    };
    params.not_before = parse(from);
    params.not_after = parse(until);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn secret(ns: &str, name: &str, kind: &str, data: &[(&str, &[u8])]) -> Secret {
    Secret {
        metadata: meta(Some(ns), name, "2024-01-15T08:00:00Z"),
        type_: Some(kind.into()),
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.to_vec())))
                .collect(),
        ),
        ..Default::default()
    }
}

fn tls(ns: &str, name: &str, host: &str, until: &str) -> Secret {
    let (crt, key) = certificate(host, "2026-01-01T00:00:00Z", until);
    secret(
        ns,
        name,
        "kubernetes.io/tls",
        &[("tls.crt", crt.as_bytes()), ("tls.key", key.as_bytes())],
    )
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    PolicyRule {
        api_groups: Some(strings(groups)),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
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

fn account_subject(ns: &str, name: &str) -> Subject {
    Subject {
        kind: "ServiceAccount".into(),
        name: name.into(),
        namespace: Some(ns.into()),
        ..Default::default()
    }
}

// Synthetic AWS key pair in AWS's documented format (the planted fixture's key id).
const AWS_KEY_ID: &str = "AKIA2IBYYURL7B6KJ6HB";
const AWS_SECRET: &str = "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";

/// The cluster: namespaces `payments` (label team=payments) and `ci`.
fn cluster() -> HashMap<String, Listing> {
    let mut payments_ns = Namespace {
        metadata: meta(None, "payments", "2023-05-01T00:00:00Z"),
        ..Default::default()
    };
    payments_ns.metadata.labels = map(&[("team", "payments")]);
    let ci_ns = Namespace {
        metadata: meta(None, "ci", "2023-05-01T00:00:00Z"),
        ..Default::default()
    };

    let mut api = ServiceAccount {
        metadata: meta(Some("payments"), "api", "2025-03-01T00:00:00Z"),
        automount_service_account_token: Some(false),
        ..Default::default()
    };
    api.metadata.annotations = map(&[(
        "eks.amazonaws.com/role-arn",
        "arn:aws:iam::123456789012:role/payments-api",
    )]);
    let mut deployer = ServiceAccount {
        metadata: meta(Some("ci"), "deployer", "2024-01-15T08:00:00Z"),
        ..Default::default()
    };
    deployer.metadata.labels = map(&[("owner", "platform")]);
    let accounts = [
        api,
        deployer,
        ServiceAccount {
            metadata: meta(Some("payments"), "default", "2023-05-01T00:00:00Z"),
            ..Default::default()
        },
        ServiceAccount {
            metadata: meta(Some("ci"), "default", "2023-05-01T00:00:00Z"),
            ..Default::default()
        },
    ];

    let pod = |name: &str, account: Option<&str>| Pod {
        metadata: meta(Some("payments"), name, "2026-11-20T00:00:00Z"),
        spec: Some(PodSpec {
            service_account_name: account.map(str::to_string),
            containers: Vec::new(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let pods = [
        pod("api-7d9f-abcde", Some("api")),
        pod("api-7d9f-fghij", Some("api")),
        pod("batch-1", None),
    ];

    let mut token = secret(
        "ci",
        "deployer-token",
        "kubernetes.io/service-account-token",
        &[
            ("token", service_account_token().as_bytes()),
            ("namespace", b"ci"),
        ],
    );
    token.metadata.annotations = map(&[("kubernetes.io/service-account.name", "deployer")]);
    token.metadata.labels = map(&[("kubernetes.io/legacy-token-last-used", "2026-06-01")]);
    let mut managed = tls(
        "payments",
        "managed-tls",
        "pay.example.test",
        "2026-12-05T00:00:00Z",
    );
    managed.metadata.annotations = map(&[
        ("cert-manager.io/certificate-name", "pay"),
        ("cert-manager.io/issuer-name", "letsencrypt"),
        ("cert-manager.io/issuer-kind", "ClusterIssuer"),
    ]);
    let docker_auth = base64::engine::general_purpose::STANDARD.encode("ci-bot:Zr8TTvxd1vIHFizM6");
    let docker = format!(r#"{{"auths":{{"registry.example.test":{{"auth":"{docker_auth}"}}}}}}"#);
    let secrets = [
        token,
        tls(
            "payments",
            "api-tls",
            "api.payments.example.test",
            "2026-12-10T00:00:00Z",
        ),
        managed,
        tls(
            "ci",
            "old-tls",
            "old.ci.example.test",
            "2026-10-01T00:00:00Z",
        ),
        secret(
            "payments",
            "cloud-creds",
            "Opaque",
            &[
                ("AWS_ACCESS_KEY_ID", AWS_KEY_ID.as_bytes()),
                ("AWS_SECRET_ACCESS_KEY", AWS_SECRET.as_bytes()),
            ],
        ),
        secret(
            "ci",
            "regcred",
            "kubernetes.io/dockerconfigjson",
            &[(".dockerconfigjson", docker.as_bytes())],
        ),
    ];

    let cluster_role_bindings = [ClusterRoleBinding {
        metadata: meta(None, "ci-admin", "2024-01-15T08:00:00Z"),
        role_ref: role_ref("ClusterRole", "cluster-admin"),
        subjects: Some(vec![account_subject("ci", "deployer")]),
    }];
    let role_bindings = [RoleBinding {
        metadata: meta(
            Some("payments"),
            "default-reads-secrets",
            "2024-02-01T00:00:00Z",
        ),
        role_ref: role_ref("Role", "secret-reader"),
        subjects: Some(vec![account_subject("payments", "default")]),
    }];
    let roles = [Role {
        metadata: meta(Some("payments"), "secret-reader", "2024-02-01T00:00:00Z"),
        rules: Some(vec![rule(&[""], &["secrets"], &["get", "list", "watch"])]),
    }];
    let cluster_roles = [ClusterRole {
        metadata: meta(None, "cluster-admin", "2023-05-01T00:00:00Z"),
        rules: Some(vec![rule(&["*"], &["*"], &["*"])]),
        ..Default::default()
    }];

    let rbac = "rbac.authorization.k8s.io/v1";
    HashMap::from([
        (
            "namespaces".into(),
            Listing::of("v1", "NamespaceList", &[payments_ns, ci_ns]),
        ),
        (
            "serviceaccounts".into(),
            Listing::of("v1", "ServiceAccountList", &accounts).pages_of(3),
        ),
        (
            "secrets".into(),
            Listing::of("v1", "SecretList", &secrets).pages_of(2),
        ),
        ("pods".into(), Listing::of("v1", "PodList", &pods)),
        (
            "clusterrolebindings".into(),
            Listing::of(rbac, "ClusterRoleBindingList", &cluster_role_bindings),
        ),
        (
            "rolebindings".into(),
            Listing::of(rbac, "RoleBindingList", &role_bindings),
        ),
        ("roles".into(), Listing::of(rbac, "RoleList", &roles)),
        (
            "clusterroles".into(),
            Listing::of(rbac, "ClusterRoleList", &cluster_roles),
        ),
    ])
}

/// `nhiscan scan --k8s ARGS --format json` with the kubeconfig pointing at `server`, in
/// `dir` (scanned too when `paths` name it).
fn scan_k8s(server: &KubeServer, dir: &std::path::Path, args: &[&str]) -> (i32, Value, String) {
    let config = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(config.path());
    let mut cmd = nhiscan();
    cmd.current_dir(dir)
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(["scan", "--format", "json"])
        .args(args);
    let (code, inv, stderr) = run_json(&mut cmd);
    for value in [
        service_account_token().as_str(),
        AWS_SECRET,
        "Zr8TTvxd1vIHFizM6",
    ] {
        assert!(
            !inv.to_string().contains(value),
            "a secret value in the report"
        );
        assert!(!stderr.contains(value), "a secret value on stderr");
    }
    (code, inv, stderr)
}

fn id(kind: &str, name: &str) -> String {
    format!("kubernetes:{CTX}:{kind}:{name}")
}

#[test]
fn a_cluster_is_inventoried_with_tokens_certificates_rbac_and_stored_secrets() {
    let server = KubeServer::start(cluster(), &[]);
    let repo = tempfile::tempdir().unwrap();
    // The deployer's token also sits in a repository file: the leak names the live token.
    std::fs::write(
        repo.path().join("deploy.sh"),
        format!("kubectl --token={} apply -f .\n", service_account_token()),
    )
    .unwrap();
    let (code, inv, stderr) = scan_k8s(&server, repo.path(), &[".", "--k8s", "--no-history"]);
    assert_eq!(code, 1, "the leaked token is deny: {stderr}");
    let k8s = source(&inv, "kubernetes:test-cluster");
    assert_eq!(k8s["status"], "ok", "{stderr}");
    assert_eq!(
        inv["scope"]["kubernetes"],
        serde_json::json!([CTX]),
        "the current context's name"
    );
    // Pagination: ServiceAccounts over 2 pages, Secrets over 3, each page one call.
    let requests = server.requests();
    let secret_pages = requests
        .iter()
        .filter(|r| r.starts_with("/api/v1/secrets"))
        .count();
    assert_eq!(secret_pages, 3, "{requests:?}");
    assert!(
        requests.iter().any(|r| r.contains("continue=offset-2")),
        "{requests:?}"
    );
    assert_eq!(k8s["api_calls"], requests.len() as u64);

    // The deployer: cluster-admin through a ClusterRoleBinding, no pod runs as it.
    let deployer = identity(&inv, &id("serviceaccount", "ci/deployer"));
    assert_eq!(deployer["kind"], "service-account");
    assert_eq!(deployer["created_at"], "2024-01-15T08:00:00Z");
    assert_eq!(deployer["owner"]["team"], "platform");
    assert_eq!(deployer["attributes"]["pods"], "0");
    assert_eq!(
        deployer["attributes"]["rbac"],
        "ClusterRoleBinding/ci-admin -> ClusterRole/cluster-admin (cluster-wide)"
    );
    let privileges = deployer["privileges"].to_string();
    assert!(privileges.contains("\"cluster-admin\""), "{privileges}");
    assert!(privileges.contains("\"k8s:*\""), "{privileges}");
    assert_eq!(
        finding_codes(&inv, &id("serviceaccount", "ci/deployer")),
        ["overprivileged", "unused-service-account"]
    );

    // Its long-lived token: last used from the label, its account's privileges, and the
    // copy in deploy.sh attached as an exposure of this token.
    let token_id = id("secret", "ci/deployer-token");
    let token = identity(&inv, &token_id);
    assert_eq!(token["kind"], "service-account-token");
    assert_eq!(token["last_used_at"], "2026-06-01T00:00:00Z");
    assert_eq!(
        token["related"],
        serde_json::json!([id("serviceaccount", "ci/deployer")])
    );
    assert_eq!(
        token["owner"]["team"], "platform",
        "inherited from its account"
    );
    assert!(token["privileges"].to_string().contains("cluster-admin"));
    assert_eq!(token["exposures"][0]["path"], "deploy.sh");
    assert_eq!(token["attributes"]["leaked"], "true");
    assert_eq!(
        finding_codes(&inv, &token_id),
        [
            "leaked-secret",
            "long-lived",
            "overprivileged",
            "rotation-overdue",
            "stale"
        ]
    );
    let leak = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "leaked-secret")
        .unwrap();
    assert_eq!(leak["identity"], token_id.as_str());
    let message = leak["message"].as_str().unwrap();
    assert!(
        message.contains("it is kubernetes service-account-token") && message.contains("ACTIVE"),
        "{message}"
    );

    // payments/api: used by two pods, IRSA role related, owner from the namespace label.
    let api = identity(&inv, &id("serviceaccount", "payments/api"));
    assert_eq!(api["attributes"]["pods"], "2");
    assert_eq!(api["attributes"]["automount_token"], "false");
    assert_eq!(
        api["related"],
        serde_json::json!(["arn:aws:iam::123456789012:role/payments-api"])
    );
    assert_eq!(api["owner"]["team"], "payments");
    assert_eq!(api["owner"]["source"], "label");
    assert!(finding_codes(&inv, &id("serviceaccount", "payments/api")).is_empty());

    // payments/default reads every secret of the namespace, and pods without an account
    // run as it.
    let default_id = id("serviceaccount", "payments/default");
    let default = identity(&inv, &default_id);
    assert_eq!(default["attributes"]["pods"], "1");
    assert_eq!(
        finding_codes(&inv, &default_id),
        ["default-service-account-bound", "overprivileged"]
    );
    // ci/default has no bindings; only nobody owns it (ci has no team label).
    assert_eq!(
        finding_codes(&inv, &id("serviceaccount", "ci/default")),
        ["unowned"]
    );

    // TLS: parsed certificates; expiring soon, expired, and managed by cert-manager.
    let cert = identity(&inv, &id("secret", "payments/api-tls"));
    assert_eq!(cert["kind"], "certificate");
    assert_eq!(cert["expires_at"], "2026-12-10T00:00:00Z");
    assert_eq!(
        cert["attributes"]["subject_alt_names"],
        "api.payments.example.test"
    );
    assert!(
        cert["attributes"]["subject"]
            .as_str()
            .unwrap()
            .contains("CN=api.payments.example.test")
    );
    assert_eq!(
        finding_codes(&inv, &id("secret", "payments/api-tls")),
        ["expiring-soon"]
    );
    assert_eq!(
        finding_codes(&inv, &id("secret", "ci/old-tls")),
        ["expired", "unowned"]
    );
    let managed = identity(&inv, &id("secret", "payments/managed-tls"));
    assert_eq!(managed["attributes"]["managed_by"], "cert-manager");
    assert_eq!(
        managed["attributes"]["cert_manager_issuer"],
        "ClusterIssuer/letsencrypt"
    );
    assert!(
        finding_codes(&inv, &id("secret", "payments/managed-tls")).is_empty(),
        "cert-manager renews it"
    );

    // Opaque: the AWS key stored in the cluster is a found secret with the Secret's place
    // as exposure and the namespace's owner, but stored where secrets belong: no leak.
    let path = format!("kubernetes:{CTX}/payments/secrets/cloud-creds/AWS_ACCESS_KEY_ID");
    let stored = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["exposures"][0]["path"] == path.as_str())
        .unwrap_or_else(|| panic!("no identity exposed at {path}"));
    assert_eq!(stored["provider"], "kubernetes");
    assert_eq!(stored["discovery"], "found");
    assert_eq!(
        stored["exposures"][0]["origin"],
        serde_json::json!({
            "kind": "document", "source": format!("kubernetes:{CTX}"),
            "object": "payments/secrets/cloud-creds", "key": "AWS_ACCESS_KEY_ID",
        })
    );
    assert_eq!(stored["owner"]["team"], "payments");
    let stored_codes = finding_codes(&inv, stored["id"].as_str().unwrap());
    assert!(!stored_codes.contains(&"leaked-secret"), "{stored_codes:?}");
    // The registry credential inside the dockerconfigjson is found too.
    assert!(
        inv["identities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["exposures"][0]["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/ci/secrets/regcred/.dockerconfigjson"))),
        "registry credential found"
    );
}

#[test]
fn a_forbidden_list_is_named_with_the_permission_and_the_rest_lands() {
    // Roles are throttled once (429) and retried; ClusterRoles and Pods are forbidden.
    let server = KubeServer::start_throttling(cluster(), &["clusterroles", "pods"], &["roles"]);
    let dir = tempfile::tempdir().unwrap();
    let (code, inv, stderr) = scan_k8s(&server, dir.path(), &["--k8s", CTX]);
    // cluster-admin is still known by name and makes the token overprivileged (warn);
    // no leak here, so the exit code says the inventory is incomplete.
    assert_eq!(code, 3, "{stderr}");
    let k8s = source(&inv, "kubernetes:test-cluster");
    assert_eq!(k8s["status"], "partial");
    let errors = source_errors(&inv, "kubernetes:test-cluster");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.starts_with("cannot list clusterroles (cluster-scoped): forbidden")
            && e.contains("grant the scanning identity `list` on `clusterroles` (apiGroups: [rbac.authorization.k8s.io])")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("cannot list pods in all namespaces: forbidden")),
        "{errors:?}"
    );
    assert!(
        stderr.contains("warning: kubernetes:test-cluster: cannot list pods"),
        "{stderr}"
    );
    let deployer = identity(&inv, &id("serviceaccount", "ci/deployer"));
    assert!(deployer["privileges"].to_string().contains("cluster-admin"));
    assert!(
        deployer["attributes"]["rbac"]
            .as_str()
            .unwrap()
            .contains("role not found"),
        "{}",
        deployer["attributes"]
    );
    // Pods unreadable: no account is called unused.
    assert!(deployer["attributes"].get("pods").is_none());
    assert!(
        !finding_codes(&inv, &id("serviceaccount", "ci/deployer"))
            .contains(&"unused-service-account")
    );
    identity(&inv, &id("secret", "payments/api-tls"));
    // The throttled Roles list was retried: payments/default still reads every secret.
    let role_lists = server
        .requests()
        .iter()
        .filter(|r| r.starts_with("/apis/rbac.authorization.k8s.io/v1/roles"))
        .count();
    assert_eq!(role_lists, 2, "one 429, one retry by kube's client");
    let default = identity(&inv, &id("serviceaccount", "payments/default"));
    assert!(
        default["privileges"]
            .to_string()
            .contains("k8s:secrets:read")
    );
}

#[test]
fn one_namespace_is_listed_through_namespaced_paths() {
    let server = KubeServer::start(cluster(), &[]);
    let dir = tempfile::tempdir().unwrap();
    let (_, inv, stderr) = scan_k8s(&server, dir.path(), &["--k8s", "--namespace", "payments"]);
    assert_eq!(
        source(&inv, "kubernetes:test-cluster")["status"],
        "ok",
        "{stderr}"
    );
    let ids: Vec<&str> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "service-account")
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            id("serviceaccount", "payments/api"),
            id("serviceaccount", "payments/default")
        ]
    );
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("/api/v1/namespaces/payments/secrets"))
    );
    assert!(
        !requests.iter().any(|r| r.starts_with("/api/v1/secrets")),
        "{requests:?}"
    );
    // The namespace's labels still own its accounts.
    let api = identity(&inv, &id("serviceaccount", "payments/api"));
    assert_eq!(api["owner"]["team"], "payments");
}

#[test]
fn bad_credentials_an_unknown_context_or_no_server_fail_the_source() {
    let server = KubeServer::start(cluster(), &[]);
    let dir = tempfile::tempdir().unwrap();
    let (code, inv, _) = scan_k8s(&server, dir.path(), &["--k8s", "wrong-token"]);
    assert_eq!(code, 3);
    let s = source(&inv, "kubernetes:wrong-token");
    assert_eq!(s["status"], "failed");
    let error = s["errors"][0].as_str().unwrap();
    assert!(
        error.contains("rejected the credentials of context wrong-token (401"),
        "{error}"
    );

    let (code, inv, _) = scan_k8s(&server, dir.path(), &["--k8s", "no-such-context"]);
    assert_eq!(code, 3);
    let error = source(&inv, "kubernetes:no-such-context")["errors"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.starts_with("cannot load kubeconfig context no-such-context"),
        "{error}"
    );
    assert!(error.contains("kubectl config get-contexts"), "{error}");

    // No kubeconfig and not inside a cluster: nothing to talk to, and the user is told.
    let home = tempfile::tempdir().unwrap();
    let (code, inv, _) = run_json(
        nhiscan()
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("KUBECONFIG", home.path().join("missing"))
            .env_remove("KUBERNETES_SERVICE_HOST")
            .args(["scan", "--format", "json", "--k8s"]),
    );
    assert_eq!(code, 3);
    let s = source(&inv, "kubernetes:in-cluster");
    assert_eq!(s["status"], "failed");
    let error = s["errors"][0].as_str().unwrap();
    assert!(
        error.starts_with("no Kubernetes configuration:") && error.contains("set KUBECONFIG"),
        "{error}"
    );

    let (code, inv, _) = scan_k8s(&server, dir.path(), &["--k8s", "unreachable,test-cluster"]);
    assert_eq!(code, 3);
    assert_eq!(source(&inv, "kubernetes:unreachable")["status"], "failed");
    assert_eq!(
        source(&inv, "kubernetes:test-cluster")["status"],
        "ok",
        "the other context lands"
    );
    assert!(
        source(&inv, "kubernetes:unreachable")["errors"][0]
            .as_str()
            .unwrap()
            .contains("kubectl --context unreachable cluster-info")
    );
}

/// What a platform engineer sees in the terminal for this cluster (insta snapshot).
#[test]
fn the_table_shows_accounts_tokens_certificates_and_findings() {
    let server = KubeServer::start(cluster(), &[]);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let out = nhiscan()
        .current_dir(dir.path())
        .env("KUBECONFIG", &kubeconfig)
        .args(["scan", "--k8s", "--format", "table"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "warn-level findings only");
    let text = String::from_utf8(out.stdout).unwrap();
    // Wall times are the only non-deterministic part.
    let elapsed = regex::Regex::new(r"(in |calls, )\d+ ms").unwrap();
    insta::assert_snapshot!(elapsed.replace_all(&text, "${1}[elapsed] ms"));
}
