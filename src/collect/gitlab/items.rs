//! GitLab REST objects (serde_json values, in the shapes of GitLab's REST API docs; see
//! `fixtures/gitlab/INDEX.md`) turned into identities. Pure functions: the collector
//! fetches, these convert. No value is ever kept: a trigger token, a variable's value and a
//! deploy key's public half come back in the answers and are read past.

use crate::model::{Identity, Status, Timestamp, attr};
use serde_json::Value;

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A timestamp, or a date (`expires_at: "2027-01-31"` of access tokens: the token stops
/// working at the start of that day, UTC).
fn ts(v: &Value, key: &str) -> Option<Timestamp> {
    let text = s(v, key)?;
    Timestamp::parse(text)
        .or_else(|_| Timestamp::parse(&format!("{text}T00:00:00Z")))
        .ok()
}

fn flag(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

fn gitlab(id: String, kind: &str, name: &str, location: &str) -> Identity {
    let mut i = Identity::new(id, super::PROVIDER, kind, name, location);
    i.service = Some("gitlab".into());
    i.status = Status::Active;
    i
}

/// `gitlab:api`, `gitlab:read_repository`: the scope names GitLab documents, under the
/// provider's prefix so the default broad privileges (`gitlab:api`, `gitlab:sudo`) apply.
fn scopes(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .get("scopes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|scope| format!("gitlab:{scope}"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// GitLab's role names by access level (REST docs, "Roles and permissions").
fn role(level: i64) -> Option<&'static str> {
    Some(match level {
        5 => "minimal_access",
        10 => "guest",
        15 => "planner",
        20 => "reporter",
        30 => "developer",
        40 => "maintainer",
        50 => "owner",
        _ => return None,
    })
}

/// A group or project access token: a bot user's token with scopes and a role.
/// `scope` is the group or project path, `level` `group` or `project`.
pub fn access_token(scope: &str, level: &str, token: &Value) -> Option<Identity> {
    let id = token.get("id")?.as_i64()?;
    let name = s(token, "name").unwrap_or("access token");
    let mut i = gitlab(
        format!("gitlab:{scope}:{level}-access-token:{id}"),
        "token",
        name,
        &format!("{scope} ({level} access token {id})"),
    );
    i.created_at = ts(token, "created_at");
    i.expires_at = ts(token, "expires_at");
    i.last_used_at = ts(token, "last_used_at");
    i.privileges = scopes(token);
    if let Some(r) = token
        .get("access_level")
        .and_then(Value::as_i64)
        .and_then(role)
    {
        i.privileges.push(format!("gitlab:role:{r}"));
        i.attributes.insert("role".into(), r.into());
    }
    if flag(token, "revoked") == Some(true) || flag(token, "active") == Some(false) {
        i.status = Status::Inactive;
    }
    if let Some(revoked) = flag(token, "revoked") {
        i.attributes.insert("revoked".into(), revoked.to_string());
    }
    if let Some(user) = token.get("user_id").and_then(Value::as_i64) {
        // The bot user the token acts as: what validating a leaked token names, so a
        // leaked token is joined to this one (each access token has its own bot user).
        i.attributes.insert("bot_user_id".into(), user.to_string());
        i.attributes
            .insert(attr::PRINCIPAL_KEY.into(), format!("gitlab:account:{user}"));
    }
    if let Some(d) = s(token, "description").filter(|d| !d.is_empty()) {
        i.attributes.insert("description".into(), d.into());
    }
    i.attributes.insert("token_type".into(), format!("{level}-access-token"));
    Some(i)
}

/// A deploy token: a username and password with registry/repository/package scopes.
pub fn deploy_token(scope: &str, level: &str, token: &Value) -> Option<Identity> {
    let id = token.get("id")?.as_i64()?;
    let name = s(token, "name").unwrap_or("deploy token");
    let mut i = gitlab(
        format!("gitlab:{scope}:{level}-deploy-token:{id}"),
        "token",
        name,
        &format!("{scope} ({level} deploy token {id})"),
    );
    i.expires_at = ts(token, "expires_at");
    i.privileges = scopes(token);
    if flag(token, "revoked") == Some(true) {
        i.status = Status::Inactive;
    } else if flag(token, "expired") == Some(true) {
        i.status = Status::Expired;
    }
    if let Some(user) = s(token, "username") {
        i.attributes.insert("username".into(), user.into());
    }
    i.attributes.insert("token_type".into(), "deploy-token".into());
    Some(i)
}

/// A project deploy key: an SSH key with read or write access to one repository.
pub fn deploy_key(project: &str, key: &Value) -> Option<Identity> {
    let id = key.get("id")?.as_i64()?;
    let title = s(key, "title").unwrap_or("deploy key");
    let mut i = gitlab(
        format!("gitlab:{project}:deploy-key:{id}"),
        "deploy-key",
        title,
        &format!("{project} (deploy key {id})"),
    );
    i.created_at = ts(key, "created_at");
    i.expires_at = ts(key, "expires_at");
    let can_push = flag(key, "can_push").unwrap_or(false);
    i.privileges = vec![if can_push { "repo:write" } else { "repo:read" }.into()];
    i.attributes.insert("read_only".into(), (!can_push).to_string());
    if let Some(f) = s(key, "fingerprint_sha256") {
        i.attributes.insert("fingerprint_sha256".into(), f.into());
    }
    Some(i)
}

/// A CI/CD variable: its name, where it applies and how it is protected; never its value.
pub fn variable(scope: &str, level: &str, var: &Value) -> Option<Identity> {
    let key = s(var, "key")?;
    let environment = s(var, "environment_scope").unwrap_or("*");
    // Keys repeat across environment scopes: the scope is part of the id.
    let mut i = gitlab(
        format!("gitlab:{scope}:variable:{key}@{environment}"),
        "ci-secret",
        key,
        &format!("{scope} ({level} CI/CD variable)"),
    );
    i.attributes.insert("store".into(), format!("{level}-variables"));
    i.attributes.insert("environment_scope".into(), environment.into());
    for field in ["masked", "protected", "hidden", "raw"] {
        if let Some(b) = flag(var, field) {
            i.attributes.insert(field.into(), b.to_string());
        }
    }
    if let Some(t) = s(var, "variable_type") {
        i.attributes.insert("variable_type".into(), t.into());
    }
    Some(i)
}

/// A pipeline trigger token: anyone holding it can run the project's pipelines.
pub fn trigger(project: &str, trigger: &Value) -> Option<Identity> {
    let id = trigger.get("id")?.as_i64()?;
    let description = s(trigger, "description")
        .filter(|d| !d.is_empty())
        .unwrap_or("pipeline trigger");
    let mut i = gitlab(
        format!("gitlab:{project}:trigger:{id}"),
        "token",
        description,
        &format!("{project} (pipeline trigger {id})"),
    );
    i.created_at = ts(trigger, "created_at");
    i.last_used_at = ts(trigger, "last_used");
    i.expires_at = ts(trigger, "expires_at");
    i.privileges = vec!["gitlab:pipeline:trigger".into()];
    i.attributes.insert("token_type".into(), "trigger-token".into());
    if let Some(owner) = trigger.pointer("/owner/username").and_then(Value::as_str) {
        // The person whose permissions the triggered pipelines run with.
        i.attributes.insert("token_owner".into(), owner.into());
        i.tags.insert("owner".into(), owner.into());
    }
    Some(i)
}

/// A runner registered to a group: its authentication token lets a machine take jobs
/// (and their secrets).
pub fn runner(scope: &str, runner: &Value) -> Option<Identity> {
    let id = runner.get("id")?.as_i64()?;
    let name = s(runner, "description")
        .or(s(runner, "name"))
        .filter(|d| !d.is_empty())
        .unwrap_or("runner");
    let mut i = gitlab(
        format!("gitlab:runner:{id}"),
        "runner",
        name,
        &format!("{scope} (runner {id})"),
    );
    i.created_at = ts(runner, "created_at");
    i.last_used_at = ts(runner, "contacted_at");
    if flag(runner, "paused") == Some(true) || flag(runner, "active") == Some(false) {
        i.status = Status::Inactive;
    }
    for field in ["runner_type", "status"] {
        if let Some(v) = s(runner, field) {
            i.attributes.insert(field.into(), v.into());
        }
    }
    if let Some(shared) = flag(runner, "is_shared") {
        i.attributes.insert("is_shared".into(), shared.to_string());
    }
    Some(i)
}

/// A group or project webhook: its target, TLS verification and delivery state, and
/// whether a secret token signs deliveries where the server says so.
pub fn webhook(scope: &str, hook: &Value) -> Option<Identity> {
    let id = hook.get("id")?.as_i64()?;
    let url = s(hook, "url").unwrap_or("");
    // Credentials in the URL (`https://user:pass@host`) are not part of the name.
    let host = crate::collect::rest::host_of(url);
    let mut i = gitlab(
        format!("gitlab:{scope}:webhook:{id}"),
        "webhook",
        &format!("webhook to {host}"),
        &format!("{scope} (hook {id})"),
    );
    i.created_at = ts(hook, "created_at");
    i.third_parties = vec![format!("webhook:{host}")];
    i.attributes.insert("target_host".into(), host.into());
    // `token_present` (GitLab 18 and later): whether deliveries carry a secret token.
    if let Some(set) = flag(hook, "token_present") {
        i.attributes.insert("secret_set".into(), set.to_string());
    }
    if let Some(verify) = flag(hook, "enable_ssl_verification") {
        i.attributes.insert("insecure_ssl".into(), (!verify).to_string());
    }
    if let Some(alert) = s(hook, "alert_status") {
        i.attributes.insert("alert_status".into(), alert.into());
        if alert != "executable" {
            i.status = Status::Inactive;
        }
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_access_token_keeps_scopes_role_dates_and_its_bot_user() {
        let token = json!({"user_id": 141, "scopes": ["api", "read_repository"], "name": "deployer",
            "expires_at": "2027-01-31", "id": 42, "active": true, "created_at": "2026-01-20T22:11:48.151Z",
            "last_used_at": null, "revoked": false, "access_level": 40});
        let i = access_token("acme", "group", &token).unwrap();
        assert_eq!(i.id, "gitlab:acme:group-access-token:42");
        assert_eq!(i.kind, "token");
        assert_eq!(
            i.privileges,
            ["gitlab:api", "gitlab:read_repository", "gitlab:role:maintainer"]
        );
        assert_eq!(i.expires_at.unwrap().to_string(), "2027-01-31T00:00:00Z");
        assert!(i.last_used_at.is_none());
        assert_eq!(i.attributes["bot_user_id"], "141");
        let revoked = json!({"id": 1, "revoked": true, "active": false});
        assert_eq!(
            access_token("acme/api", "project", &revoked).unwrap().status,
            Status::Inactive
        );
    }

    #[test]
    fn a_trigger_never_keeps_its_token_and_a_variable_never_its_value() {
        let trigger_json = json!({"id": 10, "description": "nightly", "created_at": "2026-01-01T00:00:00Z",
            "last_used": null, "token": "glptt-0123456789abcdef0123", "owner": {"username": "release-bot"}});
        let t = trigger("acme/api", &trigger_json).unwrap();
        let var = json!({"key": "DEPLOY_TOKEN", "value": "s3cr3t-value-never-kept", "masked": true,
            "protected": false, "environment_scope": "production", "variable_type": "env_var"});
        let v = variable("acme/api", "project", &var).unwrap();
        assert_eq!(v.id, "gitlab:acme/api:variable:DEPLOY_TOKEN@production");
        assert_eq!(v.attributes["masked"], "true");
        for identity in [t, v] {
            let text = serde_json::to_string(&identity).unwrap();
            assert!(!text.contains("glptt-0123"), "{text}");
            assert!(!text.contains("s3cr3t"), "{text}");
        }
    }

    #[test]
    fn a_hook_without_tls_verification_and_a_disabled_one() {
        let hook = json!({"id": 3, "url": "https://user:pw@hooks.example.test/x?y=1",
            "enable_ssl_verification": false, "alert_status": "disabled", "created_at": "2026-01-01T00:00:00Z"});
        let h = webhook("acme", &hook).unwrap();
        assert_eq!(h.attributes["target_host"], "hooks.example.test");
        assert_eq!(h.attributes["insecure_ssl"], "true");
        assert_eq!(h.status, Status::Inactive);
        assert!(!serde_json::to_string(&h).unwrap().contains("pw@"));
    }
}
