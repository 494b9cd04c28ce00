//! Microsoft Graph objects (serde_json values in the shapes of Graph's v1.0 reference and
//! OpenAPI description; see `fixtures/azure/INDEX.md`) turned into identities. Pure
//! functions: the collector fetches, these convert.

use crate::model::{Identity, Owner, Status, Timestamp, attr};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn ts(v: &Value, key: &str) -> Option<Timestamp> {
    s(v, key).and_then(|t| Timestamp::parse(t).ok())
}

/// Tenants of Microsoft's own first-party applications, present in every tenant: not the
/// tenant's machine identities.
pub const MICROSOFT_TENANTS: &[&str] = &[
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
];

/// The id of an application's (or managed identity's) identity: its client id. The
/// Kubernetes collector relates a ServiceAccount annotated
/// `azure.workload.identity/client-id` to the same id.
pub fn client_id(app_id: &str) -> String {
    format!("azure:client:{app_id}")
}

/// `Microsoft Graph` -> `graph`; other resources by display name, lower-cased.
fn resource_key(display_name: &str) -> String {
    if display_name == "Microsoft Graph" {
        "graph".into()
    } else {
        display_name.to_ascii_lowercase().replace(' ', "-")
    }
}

/// Privileges granted to service principals (by object id): application permissions
/// (app role assignments, named through the resource's `appRoles`) as
/// `azure:graph:Directory.ReadWrite.All`, delegated ones (consented OAuth2 scopes) as
/// `azure:graph:delegated:User.Read`.
pub fn privileges_by_principal(
    assignments: &[Value],
    grants: &[Value],
    resources: &HashMap<String, Value>,
) -> HashMap<String, BTreeSet<String>> {
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for a in assignments {
        let (Some(principal), Some(resource), Some(role)) =
            (s(a, "principalId"), s(a, "resourceId"), s(a, "appRoleId"))
        else {
            continue;
        };
        let sp = resources.get(resource);
        let name = sp
            .and_then(|sp| s(sp, "displayName"))
            .or(s(a, "resourceDisplayName"))
            .unwrap_or("resource");
        let value = sp
            .and_then(|sp| sp.get("appRoles")?.as_array())
            .into_iter()
            .flatten()
            .find(|r| s(r, "id") == Some(role))
            .and_then(|r| s(r, "value"))
            .unwrap_or(role);
        out.entry(principal.into())
            .or_default()
            .insert(format!("azure:{}:{value}", resource_key(name)));
    }
    for g in grants {
        let (Some(client), Some(resource)) = (s(g, "clientId"), s(g, "resourceId")) else {
            continue;
        };
        let name = resources
            .get(resource)
            .and_then(|sp| s(sp, "displayName"))
            .unwrap_or("resource");
        for scope in s(g, "scope").unwrap_or("").split_whitespace() {
            out.entry(client.into())
                .or_default()
                .insert(format!("azure:{}:delegated:{scope}", resource_key(name)));
        }
    }
    out
}

/// An application registration with its service principal in the tenant (if any):
/// privileges, enabled state and sign-in come from the principal.
pub fn application(tenant: &str, app: &Value, sp: Option<&Value>) -> Option<Identity> {
    let app_id = s(app, "appId")?;
    let name = s(app, "displayName").unwrap_or(app_id);
    let mut i = Identity::new(
        client_id(app_id),
        super::PROVIDER,
        "application",
        name,
        format!("entra tenant {tenant} (app registration)"),
    );
    i.service = Some("entra-id".into());
    i.created_at = ts(app, "createdDateTime");
    i.status = Status::Active;
    if sp.and_then(|sp| sp.get("accountEnabled")?.as_bool()) == Some(false) {
        i.status = Status::Inactive;
    }
    if let Some(id) = s(app, "id") {
        i.attributes.insert("object_id".into(), id.into());
    }
    if let Some(notes) = s(app, "notes").filter(|n| !n.is_empty()) {
        i.attributes.insert("notes".into(), notes.into());
    }
    // Tags `team:payments` are the application's labels for the owner resolver.
    for tag in app.get("tags").and_then(Value::as_array).into_iter().flatten() {
        if let Some((k, v)) = tag.as_str().and_then(|t| t.split_once([':', '='])) {
            i.tags.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    Some(i)
}

/// A service principal with no registration in the tenant: a managed identity, or a
/// third party's multi-tenant application consented into the tenant.
pub fn service_principal(tenant: &str, sp: &Value) -> Option<Identity> {
    let app_id = s(sp, "appId")?;
    let name = s(sp, "displayName").unwrap_or(app_id);
    let managed = s(sp, "servicePrincipalType") == Some("ManagedIdentity");
    let mut i = Identity::new(
        client_id(app_id),
        super::PROVIDER,
        if managed { "managed-identity" } else { "enterprise-application" },
        name,
        format!("entra tenant {tenant}"),
    );
    i.service = Some("entra-id".into());
    i.status = if sp.get("accountEnabled").and_then(Value::as_bool) == Some(false) {
        Status::Inactive
    } else {
        Status::Active
    };
    if managed {
        // The Azure resource the identity belongs to (`/subscriptions/.../vm-name`).
        if let Some(resource) = sp
            .get("alternativeNames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .find(|n| n.starts_with("/subscriptions/"))
        {
            i.attributes.insert("azure_resource".into(), resource.into());
        }
    } else {
        let owner_tenant = s(sp, "appOwnerOrganizationId").unwrap_or("unknown");
        i.third_parties = vec![format!("azure-app:{name}")];
        i.attributes.insert("publisher_tenant".into(), owner_tenant.into());
    }
    Some(i)
}

/// The owners the directory names for an application: people and groups accountable for
/// it (service principals owning it are recorded, not used as owner).
pub fn directory_owner(app_name: &str, owners: &[Value]) -> Option<Owner> {
    let named: Vec<String> = owners
        .iter()
        .filter_map(|o| match s(o, "@odata.type") {
            Some("#microsoft.graph.user") => {
                s(o, "userPrincipalName").or(s(o, "mail")).map(str::to_string)
            }
            Some("#microsoft.graph.group") => s(o, "displayName").map(str::to_string),
            _ => None,
        })
        .collect();
    let first = named.first()?.clone();
    Some(Owner {
        team: first,
        backup: named.get(1).cloned(),
        source: "directory".into(),
        evidence: format!("owners of app registration {app_name} in Entra ID: {}", named.join(", ")),
    })
}

/// A password (client secret) or key (certificate) credential of an application.
/// `hint_key` is the keyed hash of the secret's first characters (what Graph stores as
/// `hint`) when no other credential of the tenant shares them, so a secret found in a
/// file links to this one only when that is unambiguous.
pub fn credential(app: &Identity, cred: &Value, password: bool, hint_key: Option<String>) -> Option<Identity> {
    let key_id = s(cred, "keyId")?;
    let (kind, what) = if password {
        ("client-secret", "secret")
    } else {
        ("client-certificate", "certificate")
    };
    let label = s(cred, "displayName")
        .filter(|d| !d.is_empty())
        .map_or_else(|| format!("{what} {}", &key_id[..key_id.len().min(8)]), str::to_string);
    let mut i = Identity::new(
        format!("{}:{what}:{key_id}", app.id),
        super::PROVIDER,
        kind,
        format!("{label} of {}", app.name),
        app.location.clone(),
    );
    i.service = Some("entra-id".into());
    i.created_at = ts(cred, "startDateTime");
    i.expires_at = ts(cred, "endDateTime");
    i.status = app.status;
    i.privileges = app.privileges.clone();
    i.tags = app.tags.clone();
    i.owner = app.owner.clone();
    i.related = vec![app.id.clone()];
    if let Some(hint) = s(cred, "hint") {
        i.preview = Some(format!("{hint}…"));
    }
    if let Some(key) = hint_key {
        i.attributes.insert(attr::AZURE_SECRET_HINT.into(), key);
    }
    i.attributes.insert("key_id".into(), key_id.into());
    Some(i)
}

/// What a federated identity credential trusts: `issuer subject` lines, and the issuers
/// as third parties (`oidc:token.actions.githubusercontent.com`).
pub fn apply_federated(i: &mut Identity, credentials: &[Value]) {
    let mut subjects = Vec::new();
    for c in credentials {
        let issuer = s(c, "issuer").unwrap_or("");
        let host = crate::collect::rest::host_of(issuer);
        i.third_parties.push(format!("oidc:{host}"));
        match s(c, "subject") {
            Some(subject) => subjects.push(format!("{issuer} {subject}")),
            // A flexible credential matches claims by expression, not one subject.
            None => {
                let hosts = i.attributes.entry(attr::OIDC_TRUST_WITHOUT_SUBJECT.into()).or_default();
                if !hosts.split(", ").any(|h| h == host) {
                    if !hosts.is_empty() {
                        hosts.push_str(", ");
                    }
                    hosts.push_str(host);
                }
            }
        }
    }
    i.third_parties.sort();
    i.third_parties.dedup();
    if !subjects.is_empty() {
        i.attributes.insert("federated_subjects".into(), subjects.join("; "));
    }
}

/// appId -> last sign-in, from the `servicePrincipalSignInActivities` report.
pub fn last_sign_ins(rows: &[Value]) -> HashMap<String, Timestamp> {
    rows.iter()
        .filter_map(|r| {
            let app = s(r, "appId")?.to_string();
            let last = r.get("lastSignInActivity").and_then(|a| ts(a, "lastSignInDateTime"))?;
            Some((app, last))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn permissions_are_named_through_the_resource_and_secrets_keep_only_their_hint() {
        let graph = json!({"id": "g", "displayName": "Microsoft Graph",
            "appRoles": [{"id": "19dbc75e-c2e2-444c-a770-ec69d8559fc7", "value": "Directory.ReadWrite.All"}]});
        let resources = HashMap::from([("g".to_string(), graph)]);
        let assignments = [json!({"principalId": "sp1", "resourceId": "g", "appRoleId": "19dbc75e-c2e2-444c-a770-ec69d8559fc7"})];
        let grants = [json!({"clientId": "sp1", "resourceId": "g", "scope": "User.Read Mail.Send"})];
        let p = privileges_by_principal(&assignments, &grants, &resources);
        assert_eq!(
            p["sp1"].iter().collect::<Vec<_>>(),
            ["azure:graph:Directory.ReadWrite.All", "azure:graph:delegated:Mail.Send", "azure:graph:delegated:User.Read"]
        );
        let app = application("t", &json!({"appId": "a1", "displayName": "deployer", "tags": ["team:payments"]}), None).unwrap();
        assert_eq!(app.id, "azure:client:a1");
        assert_eq!(app.tags["team"], "payments");
        let secret = json!({"keyId": "k1", "hint": "pd7", "secretText": null,
            "startDateTime": "2025-02-01T10:15:00Z", "endDateTime": "2026-08-01T10:15:00Z"});
        let c = credential(&app, &secret, true, None).unwrap();
        assert_eq!(c.kind, "client-secret");
        assert_eq!(c.preview.as_deref(), Some("pd7…"));
        assert_eq!(c.expires_at.unwrap().to_string(), "2026-08-01T10:15:00Z");
    }
}
