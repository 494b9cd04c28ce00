//! Kubernetes objects turned into identities. Pure functions: the collector lists, these
//! convert.
//!
//! - A ServiceAccount is an identity with its RBAC grants as privileges, the pods that run
//!   as it, and the cloud identities it can become (IRSA, GKE and Azure workload identity).
//! - A long-lived token Secret (`kubernetes.io/service-account-token`) is a credential of
//!   its ServiceAccount: fingerprinted like the secret scanner fingerprints a JWT, so the
//!   same token found in a repository correlates with it.
//! - A TLS Secret is a certificate with an expiry.
//! - A bootstrap token (`bootstrap.kubernetes.io/token`) is a credential with an expiry.
//! - Every other Secret's values are handed to the secret scanner as [`Document`]s; the
//!   values never leave memory and are never printed.

use super::rbac::Grant;
use crate::collect::Document;
use crate::model::{Identity, Status, Timestamp};
use crate::scan::redact::{Fingerprinter, preview};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

pub const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
pub const TLS_TYPE: &str = "kubernetes.io/tls";
pub const BOOTSTRAP_TYPE: &str = "bootstrap.kubernetes.io/token";
/// Secret types whose values are no credentials (Helm stores gzip'd release manifests).
const SKIPPED_TYPES: &[&str] = &["helm.sh/release.v1"];

const LAST_USED_LABEL: &str = "kubernetes.io/legacy-token-last-used";
const INVALID_SINCE_LABEL: &str = "kubernetes.io/legacy-token-invalid-since";
const SA_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
const IRSA_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
const GKE_ANNOTATION: &str = "iam.gke.io/gcp-service-account";
const AZURE_ANNOTATION: &str = "azure.workload.identity/client-id";

/// Names one cluster's objects in ids and locations.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The kubeconfig context (or `in-cluster`).
    pub context: String,
}

impl Cluster {
    pub fn id(&self, kind: &str, ns: &str, name: &str) -> String {
        format!("kubernetes:{}:{kind}:{ns}/{name}", self.context)
    }

    fn location(&self, resource: &str, ns: &str, name: &str) -> String {
        format!("{}/namespaces/{ns}/{resource}/{name}", self.context)
    }

    pub fn service_account_id(&self, ns: &str, name: &str) -> String {
        self.id("serviceaccount", ns, name)
    }
}

/// What the cluster says about one ServiceAccount besides the object itself.
#[derive(Debug, Default)]
pub struct AccountContext<'a> {
    /// Pods running as it (`namespace/name`); `None` when pods could not be listed.
    pub pods: Option<Vec<String>>,
    pub grants: &'a [Grant],
    /// Its namespace's labels, for ownership when its own labels say nothing.
    pub namespace_labels: Option<&'a BTreeMap<String, String>>,
}

pub fn timestamp(t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time) -> Option<Timestamp> {
    let nanos = t.0.as_nanosecond();
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .map(Timestamp)
}

fn kubernetes(id: String, kind: &str, name: &str, location: String) -> Identity {
    let mut i = Identity::new(id, super::PROVIDER, kind, name, location);
    i.service = Some("kubernetes".into());
    i
}

/// Labels and annotations as tags (the owner resolver reads `owner`, `team`, ...), the
/// namespace's labels as `namespace:<label>` after them.
fn tags_of(
    meta: &ObjectMeta,
    namespace_labels: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let own = [&meta.labels, &meta.annotations]
        .into_iter()
        .flatten()
        .flatten();
    let mut tags: BTreeMap<String, String> = own.map(|(k, v)| (k.clone(), v.clone())).collect();
    for (k, v) in namespace_labels.into_iter().flatten() {
        tags.insert(format!("namespace:{k}"), v.clone());
    }
    tags
}

/// The object's tags ([`tags_of`]) and uid on its identity.
fn tag(i: &mut Identity, meta: &ObjectMeta, namespace_labels: Option<&BTreeMap<String, String>>) {
    i.tags.extend(tags_of(meta, namespace_labels));
    if let Some(uid) = &meta.uid {
        i.attributes.insert("uid".into(), uid.clone());
    }
}

fn ns_name(meta: &ObjectMeta) -> Option<(&str, &str)> {
    Some((meta.namespace.as_deref()?, meta.name.as_deref()?))
}

pub fn service_account(
    cluster: &Cluster,
    sa: &ServiceAccount,
    cx: &AccountContext,
) -> Option<Identity> {
    let (ns, name) = ns_name(&sa.metadata)?;
    let mut i = kubernetes(
        cluster.service_account_id(ns, name),
        "service-account",
        &format!("{ns}/{name}"),
        cluster.location("serviceaccounts", ns, name),
    );
    i.status = Status::Active;
    i.created_at = sa.metadata.creation_timestamp.as_ref().and_then(timestamp);
    tag(&mut i, &sa.metadata, cx.namespace_labels);
    let automount = match sa.automount_service_account_token {
        Some(true) => "true",
        Some(false) => "false",
        None => "default (true)",
    };
    i.attributes
        .insert("automount_token".into(), automount.into());
    if let Some(pods) = &cx.pods {
        i.attributes
            .insert(crate::model::attr::PODS.into(), pods.len().to_string());
        let shown: Vec<&str> = pods.iter().take(5).map(String::as_str).collect();
        let more = pods.len().saturating_sub(shown.len());
        if !shown.is_empty() {
            let suffix = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            i.attributes
                .insert("used_by".into(), format!("{}{suffix}", shown.join(", ")));
        }
    }
    if !cx.grants.is_empty() {
        let lines: Vec<String> = cx.grants.iter().map(Grant::describe).collect();
        i.attributes.insert("rbac".into(), lines.join("; "));
    }
    let mut privileges: Vec<String> = cx
        .grants
        .iter()
        .flat_map(|g| g.privileges.iter().cloned())
        .collect();
    privileges.sort();
    privileges.dedup();
    i.privileges = privileges;
    cloud_identities(&mut i, &sa.metadata);
    Some(i)
}

/// IRSA, GKE and Azure workload identity: the cloud identities pods of this account become.
fn cloud_identities(i: &mut Identity, meta: &ObjectMeta) {
    let Some(annotations) = &meta.annotations else {
        return;
    };
    if let Some(arn) = annotations.get(IRSA_ANNOTATION) {
        i.attributes.insert("aws_role_arn".into(), arn.clone());
        // The AWS collector's role identity has the ARN as its id.
        i.related.push(arn.clone());
    }
    if let Some(email) = annotations.get(GKE_ANNOTATION) {
        i.attributes
            .insert("gcp_service_account".into(), email.clone());
        i.related.push(crate::collect::gcp::items::account_id(email));
    }
    if let Some(client) = annotations.get(AZURE_ANNOTATION) {
        i.attributes
            .insert("azure_client_id".into(), client.clone());
        i.related.push(crate::collect::azure::items::client_id(client));
    }
}

fn data<'a>(secret: &'a Secret, key: &str) -> Option<&'a [u8]> {
    secret.data.as_ref()?.get(key).map(|b| b.0.as_slice())
}

/// `2024-05-07` (the legacy-token labels' format) as midnight UTC.
fn label_date(value: &str) -> Option<Timestamp> {
    Timestamp::parse(&format!("{value}T00:00:00Z")).ok()
}

/// A Secret that is itself one credential: active, created with the Secret, tagged; with
/// the Secret's namespace.
fn credential_secret<'a>(
    cluster: &Cluster,
    secret: &'a Secret,
    kind: &str,
    namespace_labels: Option<&BTreeMap<String, String>>,
) -> Option<(Identity, &'a str)> {
    let (ns, name) = ns_name(&secret.metadata)?;
    let mut i = kubernetes(
        cluster.id("secret", ns, name),
        kind,
        &format!("{ns}/{name}"),
        cluster.location("secrets", ns, name),
    );
    i.status = Status::Active;
    i.created_at = secret
        .metadata
        .creation_timestamp
        .as_ref()
        .and_then(timestamp);
    tag(&mut i, &secret.metadata, namespace_labels);
    Some((i, ns))
}

/// A long-lived ServiceAccount token. It holds what its account may do.
pub fn token_secret(
    cluster: &Cluster,
    secret: &Secret,
    fingerprinter: &Fingerprinter,
    namespace_labels: Option<&BTreeMap<String, String>>,
) -> Option<Identity> {
    let (mut i, ns) =
        credential_secret(cluster, secret, "service-account-token", namespace_labels)?;
    let labels = secret.metadata.labels.clone().unwrap_or_default();
    if let Some(used) = labels.get(LAST_USED_LABEL) {
        i.last_used_at = label_date(used);
    }
    if let Some(since) = labels.get(INVALID_SINCE_LABEL) {
        i.status = Status::Inactive;
        i.attributes.insert("invalid_since".into(), since.clone());
    }
    if let Some(account) = secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SA_NAME_ANNOTATION))
    {
        i.related.push(cluster.service_account_id(ns, account));
        i.attributes
            .insert("service_account".into(), account.clone());
    }
    if let Some(token) = data(secret, "token").filter(|t| !t.is_empty()) {
        i.fingerprint = Some(fingerprinter.fingerprint(token));
        i.preview = Some(preview(token));
    }
    Some(i)
}

/// Why a `kubernetes.io/tls` Secret gave no certificate identity.
#[derive(Debug, thiserror::Error)]
pub enum TlsSecretError {
    #[error("a TLS secret without name")]
    Unnamed,
    #[error("TLS secret {0} has no tls.crt")]
    NoCertificate(String),
    #[error("TLS secret {0}: tls.crt is not a PEM certificate x509-parser can read")]
    Unreadable(String),
}

/// A `kubernetes.io/tls` Secret's certificate (the first of `tls.crt`, the leaf).
pub fn tls_secret(
    cluster: &Cluster,
    secret: &Secret,
    namespace_labels: Option<&BTreeMap<String, String>>,
) -> Result<Identity, TlsSecretError> {
    let (ns, name) = ns_name(&secret.metadata).ok_or(TlsSecretError::Unnamed)?;
    let pem = data(secret, "tls.crt")
        .ok_or_else(|| TlsSecretError::NoCertificate(format!("{ns}/{name}")))?;
    let info = crate::scan::cert::parse_pem_block(pem)
        .ok_or_else(|| TlsSecretError::Unreadable(format!("{ns}/{name}")))?;
    let mut i = kubernetes(
        cluster.id("secret", ns, name),
        "certificate",
        info.common_name.as_deref().unwrap_or(name),
        cluster.location("secrets", ns, name),
    );
    tag(&mut i, &secret.metadata, namespace_labels);
    i.created_at = Some(info.not_before);
    i.expires_at = Some(info.not_after);
    i.status = Status::Active;
    let chain = String::from_utf8_lossy(pem)
        .matches("-----BEGIN CERTIFICATE-----")
        .count();
    let a = &mut i.attributes;
    a.insert("subject".into(), info.subject.clone());
    a.insert("issuer".into(), info.issuer.clone());
    a.insert("serial".into(), info.serial.clone());
    a.insert("sha256".into(), info.sha256.clone());
    a.insert("chain_length".into(), chain.to_string());
    if !info.subject_alt_names.is_empty() {
        a.insert(
            "subject_alt_names".into(),
            info.subject_alt_names.join(", "),
        );
    }
    if info.self_signed {
        a.insert("self_signed".into(), "true".into());
    }
    let annotations = secret.metadata.annotations.clone().unwrap_or_default();
    if let Some(cert) = annotations.get("cert-manager.io/certificate-name") {
        a.insert(crate::model::attr::MANAGED_BY.into(), "cert-manager".into());
        a.insert("cert_manager_certificate".into(), cert.clone());
        if let Some(issuer) = annotations.get("cert-manager.io/issuer-name") {
            let kind = annotations
                .get("cert-manager.io/issuer-kind")
                .map_or("Issuer", String::as_str);
            a.insert("cert_manager_issuer".into(), format!("{kind}/{issuer}"));
        }
    }
    Ok(i)
}

/// A bootstrap token (`kube-system/bootstrap-token-<id>`): joins nodes to the cluster.
pub fn bootstrap_token(
    cluster: &Cluster,
    secret: &Secret,
    fingerprinter: &Fingerprinter,
) -> Option<Identity> {
    let (mut i, _) = credential_secret(cluster, secret, "token", None)?;
    let text = |k: &str| data(secret, k).map(|v| String::from_utf8_lossy(v).into_owned());
    i.expires_at = text("expiration").and_then(|e| Timestamp::parse(&e).ok());
    if let (Some(id), Some(s)) = (text("token-id"), text("token-secret")) {
        let token = format!("{id}.{s}");
        i.fingerprint = Some(fingerprinter.fingerprint(token.as_bytes()));
        i.preview = Some(preview(token.as_bytes()));
    }
    let usages: Vec<String> = secret
        .data
        .iter()
        .flatten()
        .filter_map(|(k, v)| {
            let usage = k.strip_prefix("usage-bootstrap-")?;
            (v.0 == b"true").then(|| format!("k8s:bootstrap:{usage}"))
        })
        .collect();
    i.privileges = usages;
    Some(i)
}

/// Every value of a Secret the scanner should read, as `key=value` for one-line values (so
/// generic detectors see the key's name) and as-is for multi-line or JSON ones.
pub fn documents(
    cluster: &Cluster,
    secret: &Secret,
    namespace_labels: Option<&BTreeMap<String, String>>,
) -> Vec<Document> {
    let Some((ns, name)) = ns_name(&secret.metadata) else {
        return Vec::new();
    };
    let kind = secret.type_.as_deref().unwrap_or("Opaque");
    if SKIPPED_TYPES.contains(&kind) {
        return Vec::new();
    }
    let tags = tags_of(&secret.metadata, namespace_labels);
    let Some(values) = &secret.data else {
        return Vec::new();
    };
    values
        .iter()
        .map(|(key, value)| {
            let v = &value.0;
            let raw = v.contains(&b'\n') || v.first() == Some(&b'{');
            let bytes = if raw {
                v.clone()
            } else {
                let mut line = format!("{key}=").into_bytes();
                line.extend_from_slice(v);
                line
            };
            Document {
                source: format!("kubernetes:{}", cluster.context),
                provider: super::PROVIDER,
                object: format!("{ns}/secrets/{name}"),
                key: key.clone(),
                bytes,
                tags: tags.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    fn cluster() -> Cluster {
        Cluster {
            context: "kind-test".into(),
        }
    }

    fn secret(ns: &str, name: &str, kind: &str, data: &[(&str, &[u8])]) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                ..Default::default()
            },
            type_: Some(kind.into()),
            data: Some(
                data.iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.to_vec())))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn a_legacy_token_has_its_last_use_its_account_and_a_fingerprint_not_its_value() {
        let mut s = secret(
            "ci",
            "deployer-token",
            TOKEN_TYPE,
            &[("token", b"eyJhbGciOiJSUzI1NiJ9.e30.c2ln")],
        );
        s.metadata.labels = Some(BTreeMap::from([(
            LAST_USED_LABEL.to_string(),
            "2026-10-02".to_string(),
        )]));
        s.metadata.annotations = Some(BTreeMap::from([(
            SA_NAME_ANNOTATION.to_string(),
            "deployer".to_string(),
        )]));
        let fp = Fingerprinter::default();
        let i = token_secret(&cluster(), &s, &fp, None).unwrap();
        assert_eq!(i.id, "kubernetes:kind-test:secret:ci/deployer-token");
        assert_eq!(
            i.last_used_at,
            Timestamp::parse("2026-10-02T00:00:00Z").ok()
        );
        assert_eq!(
            i.related,
            ["kubernetes:kind-test:serviceaccount:ci/deployer"]
        );
        assert_eq!(
            i.fingerprint.as_deref(),
            Some(fp.fingerprint(b"eyJhbGciOiJSUzI1NiJ9.e30.c2ln").as_str())
        );
        assert!(
            !format!("{i:?}").contains("e30.c2ln"),
            "no token value in the identity"
        );
        assert_eq!(i.status, Status::Active);
        s.metadata.labels = Some(BTreeMap::from([(
            INVALID_SINCE_LABEL.to_string(),
            "2026-11-01".to_string(),
        )]));
        let i = token_secret(&cluster(), &s, &fp, None).unwrap();
        assert_eq!(i.status, Status::Inactive);
    }

    #[test]
    fn secret_values_become_documents_named_by_cluster_namespace_and_key() {
        let s = secret(
            "apps",
            "db",
            "Opaque",
            &[
                ("DB_PASSWORD", b"s3cr3t-value"),
                ("config.json", b"{\"a\": 1}"),
            ],
        );
        let docs = documents(&cluster(), &s, None);
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0].path(),
            "kubernetes:kind-test/apps/secrets/db/DB_PASSWORD"
        );
        assert_eq!(docs[0].bytes, b"DB_PASSWORD=s3cr3t-value");
        assert_eq!(docs[1].bytes, b"{\"a\": 1}");
        let helm = secret(
            "apps",
            "sh.helm.release.v1.x.v1",
            "helm.sh/release.v1",
            &[("release", b"H4sI")],
        );
        assert!(documents(&cluster(), &helm, None).is_empty());
    }

    #[test]
    fn a_bootstrap_token_expires_and_says_what_it_is_for() {
        let s = secret(
            "kube-system",
            "bootstrap-token-abcdef",
            BOOTSTRAP_TYPE,
            &[
                ("token-id", b"abcdef"),
                ("token-secret", b"0123456789abcdef"),
                ("expiration", b"2026-12-24T00:00:00Z"),
                ("usage-bootstrap-authentication", b"true"),
                ("usage-bootstrap-signing", b"false"),
            ],
        );
        let i = bootstrap_token(&cluster(), &s, &Fingerprinter::default()).unwrap();
        assert_eq!(i.expires_at, Timestamp::parse("2026-12-24T00:00:00Z").ok());
        assert_eq!(i.privileges, ["k8s:bootstrap:authentication"]);
        assert_eq!(i.preview.as_deref(), Some("abcd****ef"));
    }
}
