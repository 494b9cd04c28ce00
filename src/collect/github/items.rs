//! GitHub REST objects (as serde_json values, in the shapes of GitHub's OpenAPI description)
//! turned into identities. Pure functions: the collector fetches, these convert.

use crate::model::{Identity, Status, Timestamp};
use serde_json::Value;

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn ts(v: &Value, key: &str) -> Option<Timestamp> {
    s(v, key).and_then(|t| Timestamp::parse(t).ok())
}

fn github(id: String, kind: &str, name: &str, location: &str) -> Identity {
    let mut i = Identity::new(id, super::PROVIDER, kind, name, location);
    i.service = Some("github".into());
    i.status = Status::Active;
    i
}

/// A repository deploy key: an SSH key with read or write access to one repository.
pub fn deploy_key(repo: &str, key: &Value) -> Option<Identity> {
    let id = key.get("id")?.as_i64()?;
    let title = s(key, "title").unwrap_or("deploy key");
    let mut i = github(
        format!("github:{repo}:deploy-key:{id}"),
        "deploy-key",
        title,
        &format!("{repo} (deploy key {id})"),
    );
    i.created_at = ts(key, "created_at");
    i.last_used_at = ts(key, "last_used");
    let read_only = key
        .get("read_only")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    i.privileges = vec![if read_only { "repo:read" } else { "repo:write" }.into()];
    if key.get("enabled").and_then(Value::as_bool) == Some(false) {
        i.status = Status::Inactive;
    }
    if let Some(by) = s(key, "added_by") {
        i.attributes.insert("added_by".into(), by.into());
    }
    i.attributes
        .insert("read_only".into(), read_only.to_string());
    Some(i)
}

/// A webhook: its shared secret signs deliveries; without one, anyone can forge them.
pub fn webhook(scope: &str, hook: &Value) -> Option<Identity> {
    let id = hook.get("id")?.as_i64()?;
    let config = hook.get("config").cloned().unwrap_or(Value::Null);
    let url = s(&config, "url").unwrap_or("");
    let host = crate::collect::rest::host_of(url);
    let mut i = github(
        format!("github:{scope}:webhook:{id}"),
        "webhook",
        &format!("webhook to {host}"),
        &format!("{scope} (hook {id})"),
    );
    i.created_at = ts(hook, "created_at");
    i.rotated_at = ts(hook, "updated_at");
    if hook.get("active").and_then(Value::as_bool) == Some(false) {
        i.status = Status::Inactive;
    }
    i.third_parties = vec![format!("webhook:{host}")];
    let has_secret = config.get("secret").is_some_and(|v| !v.is_null());
    i.attributes.insert("target_host".into(), host.into());
    i.attributes
        .insert("secret_set".into(), has_secret.to_string());
    let insecure = matches!(config.get("insecure_ssl"), Some(Value::String(v)) if v == "1")
        || config.get("insecure_ssl") == Some(&Value::from(1));
    i.attributes
        .insert("insecure_ssl".into(), insecure.to_string());
    if let Some(code) = hook.pointer("/last_response/code").filter(|c| !c.is_null()) {
        i.attributes
            .insert("last_response".into(), code.to_string());
    }
    Some(i)
}

/// An Actions, Dependabot or Codespaces secret: name and dates only (GitHub never returns
/// values); `updated_at` is when it was last rotated.
pub fn ci_secret(scope: &str, store: &str, secret: &Value) -> Option<Identity> {
    let name = s(secret, "name")?;
    let mut i = github(
        format!("github:{scope}:{store}-secret:{name}"),
        "ci-secret",
        name,
        &format!("{scope} ({store} secret)"),
    );
    i.created_at = ts(secret, "created_at");
    i.rotated_at = ts(secret, "updated_at");
    i.attributes.insert("store".into(), store.into());
    if let Some(v) = s(secret, "visibility") {
        i.attributes.insert("visibility".into(), v.into());
    }
    Some(i)
}

/// A GitHub App installed on the organisation: a third party with the listed permissions.
pub fn app_installation(org: &str, inst: &Value) -> Option<Identity> {
    let id = inst.get("id")?.as_i64()?;
    let app = s(inst, "app_slug").unwrap_or("app");
    let mut i = github(
        format!("github:{org}:installation:{id}"),
        "app-installation",
        app,
        &format!("{org} (installation {id})"),
    );
    i.created_at = ts(inst, "created_at");
    i.rotated_at = ts(inst, "updated_at");
    if inst.get("suspended_at").is_some_and(|v| !v.is_null()) {
        i.status = Status::Inactive;
    }
    i.privileges = permissions(inst.get("permissions"));
    i.third_parties = vec![format!("github-app:{app}")];
    if let Some(sel) = s(inst, "repository_selection") {
        i.attributes
            .insert("repository_selection".into(), sel.into());
    }
    Some(i)
}

/// `{"contents": "write"}` as `github:contents:write`; `administration: write` is also
/// `github:admin`, the broad privilege policy knows.
fn permissions(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(map) = v.and_then(Value::as_object) else {
        return out;
    };
    for (k, level) in map {
        match level {
            Value::String(l) => {
                out.push(format!("github:{k}:{l}"));
                if (k == "administration" || k == "organization_administration") && l == "write" {
                    out.push("github:admin".into());
                }
            }
            // Fine-grained PAT grants nest {"organization": {...}, "repository": {...}}.
            Value::Object(_) => out.extend(permissions(Some(level))),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A fine-grained personal access token granted (or requested) access to the organisation.
pub fn pat_grant(org: &str, grant: &Value, pending: bool) -> Option<Identity> {
    let id = grant.get("id")?.as_i64()?;
    let owner = grant
        .pointer("/owner/login")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let name = s(grant, "token_name").unwrap_or("token");
    let what = if pending { "pat-request" } else { "pat" };
    let mut i = github(
        format!("github:{org}:{what}:{id}"),
        "personal-access-token",
        &format!("{name} ({owner})"),
        &format!("{org} (fine-grained PAT of {owner})"),
    );
    i.created_at = ts(grant, "access_granted_at").or_else(|| ts(grant, "created_at"));
    i.expires_at = ts(grant, "token_expires_at");
    i.last_used_at = ts(grant, "token_last_used_at");
    if grant.get("token_expired").and_then(Value::as_bool) == Some(true) {
        i.status = Status::Expired;
    }
    if pending {
        i.status = Status::Inactive;
        i.attributes.insert("pending_request".into(), "true".into());
    }
    i.privileges = permissions(grant.get("permissions"));
    i.attributes.insert("token_owner".into(), owner.into());
    // A person's token acting on the organisation: the person is accountable for it.
    i.tags.insert("owner".into(), owner.into());
    Some(i)
}

/// A credential (PAT or SSH key) a member authorised for SAML single sign-on to the org:
/// GitHub shows its last eight characters, last access and expiry, never the value.
pub fn saml_authorization(org: &str, auth: &Value) -> Option<Identity> {
    let id = auth.get("credential_id")?.as_i64()?;
    let login = s(auth, "login").unwrap_or("unknown");
    let kind = match s(auth, "credential_type") {
        Some("SSH key") => "ssh-key",
        _ => "personal-access-token",
    };
    let mut i = github(
        format!("github:{org}:sso-credential:{id}"),
        kind,
        &format!(
            "{} of {login} (SSO-authorised)",
            s(auth, "credential_type").unwrap_or("credential")
        ),
        &format!("{org} (SAML credential authorization)"),
    );
    i.created_at = ts(auth, "credential_authorized_at");
    i.last_used_at = ts(auth, "credential_accessed_at");
    i.expires_at = ts(auth, "authorized_credential_expires_at");
    if let Some(last8) = s(auth, "token_last_eight") {
        i.preview = Some(format!("…{last8}"));
    }
    if let Some(scopes) = auth.get("scopes").and_then(Value::as_array) {
        i.privileges = scopes
            .iter()
            .filter_map(Value::as_str)
            .map(|sc| {
                if sc == "admin:org" {
                    "github:admin".to_string()
                } else {
                    format!("github:scope:{sc}")
                }
            })
            .collect();
    }
    i.tags.insert("owner".into(), login.into());
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_write_deploy_key_and_a_webhook_without_secret() {
        let key = json!({"id": 7, "title": "ci", "read_only": false, "created_at": "2024-01-02T03:04:05Z",
                         "last_used": null, "added_by": "release-bot", "enabled": true});
        let i = deploy_key("acme/api", &key).unwrap();
        assert_eq!(i.id, "github:acme/api:deploy-key:7");
        assert_eq!(i.privileges, ["repo:write"]);
        assert!(i.last_used_at.is_none());
        let hook = json!({"id": 9, "active": true, "config": {"url": "https://hooks.example.test/x?y", "insecure_ssl": "1"},
                          "created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-02-02T03:04:05Z",
                          "last_response": {"code": 502}});
        let w = webhook("acme/api", &hook).unwrap();
        assert_eq!(w.attributes["target_host"], "hooks.example.test");
        assert_eq!(w.attributes["secret_set"], "false");
        assert_eq!(w.attributes["insecure_ssl"], "true");
        assert_eq!(w.attributes["last_response"], "502");
    }

    #[test]
    fn app_and_pat_permissions_become_privileges() {
        let inst = json!({"id": 1, "app_slug": "deployer", "permissions": {"administration": "write", "contents": "read"},
                          "created_at": "2024-01-02T03:04:05Z", "suspended_at": null, "repository_selection": "all"});
        let i = app_installation("acme", &inst).unwrap();
        assert_eq!(
            i.privileges,
            [
                "github:admin",
                "github:administration:write",
                "github:contents:read"
            ]
        );
        assert_eq!(i.third_parties, ["github-app:deployer"]);
        let grant = json!({"id": 5, "owner": {"login": "dev-a"}, "token_name": "release", "token_expired": false,
                           "token_expires_at": "2027-01-01T00:00:00Z", "token_last_used_at": null,
                           "access_granted_at": "2026-01-01T00:00:00Z",
                           "permissions": {"organization": {"members": "read"}, "repository": {"metadata": "read"}}});
        let p = pat_grant("acme", &grant, false).unwrap();
        assert_eq!(
            p.privileges,
            ["github:members:read", "github:metadata:read"]
        );
        assert_eq!(p.tags["owner"], "dev-a");
        assert_eq!(p.expires_at.unwrap().to_string(), "2027-01-01T00:00:00Z");
    }

    #[test]
    fn the_published_pat_grant_examples_are_read() {
        let text = |f: &str| {
            std::fs::read_to_string(format!(
                "{}/fixtures/github/{f}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let grants: Value = serde_json::from_str(&text("orgs.list-pat-grants.json")).unwrap();
        let p = pat_grant("octo-org", &grants[0], false).unwrap();
        assert_eq!(p.id, "github:octo-org:pat:25381");
        assert_eq!(p.expires_at.unwrap().to_string(), "2023-11-16T15:47:09Z");
        let requests: Value =
            serde_json::from_str(&text("orgs.list-pat-grant-requests.json")).unwrap();
        let r = pat_grant("octo-org", &requests[0], true).unwrap();
        assert_eq!(r.status, Status::Inactive);
    }

    #[test]
    fn a_saml_authorization_keeps_only_what_github_shows() {
        // Shape of GET /orgs/{org}/credential-authorizations (GitHub REST docs); synthetic values.
        let auth = json!({"login": "dev-b", "credential_id": 161195, "credential_type": "personal access token",
            "token_last_eight": "71c3fc11", "credential_authorized_at": "2025-03-01T10:00:00Z",
            "credential_accessed_at": "2026-11-20T08:00:00Z", "authorized_credential_expires_at": null,
            "scopes": ["repo", "admin:org"]});
        let i = saml_authorization("acme", &auth).unwrap();
        assert_eq!(i.kind, "personal-access-token");
        assert_eq!(i.preview.as_deref(), Some("…71c3fc11"));
        assert_eq!(i.privileges, ["github:scope:repo", "github:admin"]);
        assert!(i.expires_at.is_none());
        assert_eq!(i.last_used_at.unwrap().to_string(), "2026-11-20T08:00:00Z");
    }
}
