//! Google Cloud IAM objects (serde_json values in the shapes of the IAM, Resource Manager
//! and Policy Analyzer discovery documents; see `fixtures/gcp/INDEX.md`) turned into
//! identities. Pure functions: the collector fetches, these convert.

use crate::model::{Identity, Status, Timestamp};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn ts(v: &Value, key: &str) -> Option<Timestamp> {
    s(v, key).and_then(|t| Timestamp::parse(t).ok())
}

/// The id of a service account's identity; the Kubernetes collector relates a
/// ServiceAccount annotated `iam.gke.io/gcp-service-account` to the same id.
pub fn account_id(email: &str) -> String {
    format!("gcp:serviceaccount:{email}")
}

/// Roles granting impersonation of, or credentials for, the service account they are
/// granted on.
const IMPERSONATION_ROLES: &[&str] = &[
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityUser",
    "roles/iam.serviceAccountKeyAdmin",
    "roles/iam.serviceAccountOpenIdTokenCreator",
    "roles/owner",
    "roles/editor",
];

/// Service account email -> the project-level roles granted to it.
pub fn roles_by_account(policy: &Value) -> HashMap<String, BTreeSet<String>> {
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for binding in policy.get("bindings").and_then(Value::as_array).into_iter().flatten() {
        let Some(role) = s(binding, "role") else { continue };
        // A conditional grant still grants: it is kept, marked.
        let role = if binding.get("condition").is_some() {
            format!("{role} (conditional)")
        } else {
            role.to_string()
        };
        for member in binding.get("members").and_then(Value::as_array).into_iter().flatten() {
            if let Some(email) = member.as_str().and_then(|m| m.strip_prefix("serviceAccount:")) {
                out.entry(email.to_string()).or_default().insert(role.clone());
            }
        }
    }
    out
}

/// A service account. `roles` are its project-level roles; `labels` the project's, which
/// the owner resolver reads (`owner`, `team`).
pub fn service_account(
    project: &str,
    account: &Value,
    roles: Option<&BTreeSet<String>>,
    labels: &BTreeMap<String, String>,
) -> Option<Identity> {
    let email = s(account, "email")?;
    let mut i = Identity::new(
        account_id(email),
        super::PROVIDER,
        "service-account",
        email,
        format!("gcp project {project}"),
    );
    i.service = Some("gcp-iam".into());
    i.status = if account.get("disabled").and_then(Value::as_bool) == Some(true) {
        Status::Inactive
    } else {
        Status::Active
    };
    i.privileges = privileges(roles);
    i.tags = labels.clone();
    i.attributes.insert("project".into(), project.into());
    for (field, attr) in [
        ("displayName", "display_name"),
        ("description", "description"),
        ("uniqueId", "unique_id"),
    ] {
        if let Some(v) = s(account, field).filter(|v| !v.is_empty()) {
            i.attributes.insert(attr.into(), v.into());
        }
    }
    Some(i)
}

fn privileges(roles: Option<&BTreeSet<String>>) -> Vec<String> {
    roles
        .into_iter()
        .flatten()
        .map(|r| format!("gcp:{r}"))
        .collect()
}

/// A user-managed key of `account` (its identity already built). `fingerprint` is the
/// keyed hash of the key id, which a key file found in code carries as its
/// `private_key_id`: the two become one identity.
pub fn account_key(account: &Identity, key: &Value, fingerprint: String) -> Option<Identity> {
    let name = s(key, "name")?;
    let key_id = name.rsplit('/').next()?;
    let email = &account.name;
    let mut i = Identity::new(
        format!("{}:key:{key_id}", account.id),
        super::PROVIDER,
        "service-account-key",
        format!("key {} of {email}", &key_id[..key_id.len().min(8)]),
        &account.location,
    );
    i.service = Some("gcp-iam".into());
    i.fingerprint = Some(fingerprint);
    i.created_at = ts(key, "validAfterTime");
    // Keys without an expiry say 9999-12-31.
    i.expires_at = ts(key, "validBeforeTime").filter(|t| t.to_string().as_str() < "9000");
    i.status = if key.get("disabled").and_then(Value::as_bool) == Some(true) {
        Status::Inactive
    } else {
        account.status
    };
    i.privileges = account.privileges.clone();
    i.tags = account.tags.clone();
    i.related = vec![account.id.clone()];
    i.preview = Some(format!("{}…", &key_id[..key_id.len().min(8)]));
    for (field, attr) in [
        ("keyOrigin", "key_origin"),
        ("keyAlgorithm", "key_algorithm"),
        ("disableReason", "disable_reason"),
        ("contact", "contact"),
        ("description", "description"),
    ] {
        if let Some(v) = s(key, field).filter(|v| !v.is_empty()) {
            i.attributes.insert(attr.into(), v.into());
        }
    }
    i.attributes.insert("service_account".into(), email.clone());
    i.attributes.insert("project".into(), account.attributes.get("project").cloned().unwrap_or_default());
    Some(i)
}

/// Who may act as the account, from its own IAM policy: members holding an impersonation
/// role (`impersonated_by`), GKE workload identity (`ns/ksa`), and federated principals and
/// public members as third parties.
pub fn apply_account_policy(i: &mut Identity, policy: &Value) {
    let mut who: BTreeSet<String> = BTreeSet::new();
    let mut workloads: BTreeSet<String> = BTreeSet::new();
    for binding in policy.get("bindings").and_then(Value::as_array).into_iter().flatten() {
        let Some(role) = s(binding, "role") else { continue };
        if !IMPERSONATION_ROLES.contains(&role) {
            continue;
        }
        for member in binding.get("members").and_then(Value::as_array).into_iter().flatten() {
            let Some(member) = member.as_str() else { continue };
            if let Some(ksa) = member
                .strip_prefix("serviceAccount:")
                .and_then(|m| m.split_once(".svc.id.goog["))
                .map(|(_, rest)| rest.trim_end_matches(']'))
            {
                workloads.insert(ksa.to_string());
            } else if member.starts_with("principal://") || member.starts_with("principalSet://") {
                let pool = member
                    .split("/workloadIdentityPools/")
                    .nth(1)
                    .and_then(|p| p.split('/').next())
                    .unwrap_or("pool");
                i.third_parties.push(format!("gcp-workload-identity-pool:{pool}"));
                who.insert(member.to_string());
            } else if member == "allUsers" || member == "allAuthenticatedUsers" {
                i.third_parties.push(format!("public:{member}"));
                who.insert(member.to_string());
            } else {
                who.insert(format!("{member} ({})", role.trim_start_matches("roles/")));
            }
        }
    }
    i.third_parties.sort();
    i.third_parties.dedup();
    if !who.is_empty() {
        i.attributes
            .insert("impersonated_by".into(), who.into_iter().collect::<Vec<_>>().join(", "));
    }
    if !workloads.is_empty() {
        i.attributes.insert(
            "gke_workload_identity".into(),
            workloads.into_iter().collect::<Vec<_>>().join(", "),
        );
    }
}

/// `fullResourceName` -> last authentication, from Policy Analyzer activities; a resource
/// observed but never authenticated maps to `None`.
pub fn last_authentications(activities: &[Value]) -> HashMap<String, Option<Timestamp>> {
    activities
        .iter()
        .filter_map(|a| {
            let name = s(a, "fullResourceName")?.to_string();
            let last = a.get("activity").and_then(|x| ts(x, "lastAuthenticatedTime"));
            Some((name, last))
        })
        .collect()
}

/// The full resource name Policy Analyzer uses for an IAM object named `name`
/// (`projects/p/serviceAccounts/e` -> `//iam.googleapis.com/projects/p/serviceAccounts/e`).
pub fn full_resource_name(name: &str) -> String {
    format!("//iam.googleapis.com/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_attach_to_accounts_and_impersonators_are_named() {
        let policy = json!({"bindings": [
            {"role": "roles/editor", "members": ["serviceAccount:a@p.iam.gserviceaccount.com", "user:x@example.com"]},
            {"role": "roles/viewer", "members": ["serviceAccount:a@p.iam.gserviceaccount.com"],
             "condition": {"title": "t", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}}]});
        let roles = roles_by_account(&policy);
        let account = json!({"email": "a@p.iam.gserviceaccount.com", "disabled": true, "name": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com"});
        let mut i = service_account("p", &account, roles.get("a@p.iam.gserviceaccount.com"), &BTreeMap::new()).unwrap();
        assert_eq!(i.id, "gcp:serviceaccount:a@p.iam.gserviceaccount.com");
        assert_eq!(i.privileges, ["gcp:roles/editor", "gcp:roles/viewer (conditional)"]);
        assert_eq!(i.status, Status::Inactive);
        let own = json!({"bindings": [
            {"role": "roles/iam.workloadIdentityUser", "members": ["serviceAccount:p.svc.id.goog[payments/api]",
             "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/github/attribute.repository/acme/api"]},
            {"role": "roles/iam.serviceAccountTokenCreator", "members": ["group:sre@example.com"]}]});
        apply_account_policy(&mut i, &own);
        assert_eq!(i.attributes["gke_workload_identity"], "payments/api");
        assert_eq!(i.third_parties, ["gcp-workload-identity-pool:github"]);
        assert!(i.attributes["impersonated_by"].contains("group:sre@example.com (iam.serviceAccountTokenCreator)"));
    }

    #[test]
    fn a_key_without_expiry_has_none_and_takes_the_accounts_roles() {
        let account = json!({"email": "a@p.iam.gserviceaccount.com"});
        let mut roles = BTreeSet::new();
        roles.insert("roles/owner".to_string());
        let sa = service_account("p", &account, Some(&roles), &BTreeMap::new()).unwrap();
        let key = json!({"name": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys/6fcd5133687535048fb0e076c86b1876c960537b",
            "validAfterTime": "2024-01-15T09:12:45Z", "validBeforeTime": "9999-12-31T23:59:59Z", "keyOrigin": "GOOGLE_PROVIDED"});
        let k = account_key(&sa, &key, "fp".into()).unwrap();
        assert_eq!(k.kind, "service-account-key");
        assert!(k.expires_at.is_none());
        assert_eq!(k.created_at.unwrap().to_string(), "2024-01-15T09:12:45Z");
        assert_eq!(k.privileges, ["gcp:roles/owner"]);
        assert_eq!(k.related, std::slice::from_ref(&sa.id));
    }
}
