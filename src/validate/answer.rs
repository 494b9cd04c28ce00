//! A provider's answer read the way its `[[validate]]` table says: which statuses mean live
//! or dead, the `ok` field that overrides a 200, and where the principal, account and
//! scopes are. Pure: one function from (status, headers, body) to an outcome.

use crate::detect::live::LiveCheck;
use crate::model::LiveStatus;
use crate::model::text::printable;
use serde_json::Value;

/// Longest principal, account or scope kept (a provider's field, shown in reports).
const MAX_FIELD: usize = 120;
/// Scopes kept at most.
const MAX_SCOPES: usize = 64;

/// What one answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: LiveStatus,
    pub reason: String,
    pub principal: Option<String>,
    pub account: Option<String>,
    pub scopes: Vec<String>,
}

impl Outcome {
    pub fn only(status: LiveStatus, reason: String) -> Outcome {
        Outcome {
            status,
            reason,
            principal: None,
            account: None,
            scopes: Vec::new(),
        }
    }
}

/// Read one final answer (redirects and retries are the client's business).
pub fn read(
    check: &LiveCheck,
    shown: &str,
    status: u16,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Outcome {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let error_text = check
        .error
        .as_deref()
        .and_then(|p| json.as_ref().and_then(|j| field(j, p)))
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    if (300..400).contains(&status) {
        let to = header("location").map_or("elsewhere".to_string(), |l| host_of(&l));
        return Outcome::only(
            LiveStatus::Unknown,
            format!(
                "{shown} answered {status}, a redirect to {to}: not followed (the secret goes only to its provider's host)"
            ),
        );
    }
    if check.inactive_status.contains(&status) {
        return Outcome::only(
            LiveStatus::Inactive,
            format!("{shown} answered {status}{error_text}"),
        );
    }
    if !check.active_status.contains(&status) {
        let status_kind = if status >= 500 {
            LiveStatus::Error
        } else {
            LiveStatus::Unknown
        };
        return Outcome::only(
            status_kind,
            format!("{shown} answered {status}{error_text}"),
        );
    }
    if let Some(ok) = &check.ok {
        let (pointer, want) = match ok.split_once("==") {
            Some((p, w)) => (p.trim(), Some(w.trim())),
            None => (ok.as_str(), None),
        };
        let got = json.as_ref().and_then(|j| j.pointer(pointer));
        let live = match (got, want) {
            (Some(Value::Bool(b)), None) => *b,
            (Some(v), Some(want)) => scalar(v).is_some_and(|s| s == want),
            _ => {
                return Outcome::only(
                    LiveStatus::Unknown,
                    format!("{shown} answered {status} without `{pointer}` in a JSON body"),
                );
            }
        };
        if !live {
            return Outcome::only(
                LiveStatus::Inactive,
                format!("{shown} answered {status} with {pointer} false{error_text}"),
            );
        }
    }
    let mut scopes: Vec<String> = Vec::new();
    if let Some(name) = &check.scopes_header
        && let Some(value) = header(name)
    {
        scopes.extend(split_scopes(&value));
    }
    if let Some(p) = &check.scopes
        && let Some(v) = json.as_ref().and_then(|j| j.pointer(p))
    {
        match v {
            Value::Array(items) => scopes.extend(items.iter().filter_map(scalar)),
            other => scopes.extend(scalar(other).iter().flat_map(|s| split_scopes(s))),
        }
    }
    let mut scopes: Vec<String> = scopes
        .into_iter()
        .map(|s| bounded(&s))
        .filter(|s| !s.is_empty())
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes.truncate(MAX_SCOPES);
    let at = |p: &Option<String>| {
        p.as_deref()
            .and_then(|p| json.as_ref().and_then(|j| field(j, p)))
    };
    Outcome {
        status: LiveStatus::Active,
        reason: format!("{shown} answered {status}"),
        principal: at(&check.principal),
        account: at(&check.account),
        scopes,
    }
}

/// A JSON field as shown text: strings and numbers, control characters escaped, bounded.
fn field(json: &Value, pointer: &str) -> Option<String> {
    json.pointer(pointer)
        .and_then(scalar)
        .map(|s| bounded(&s))
        .filter(|s| !s.is_empty())
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn bounded(text: &str) -> String {
    crate::model::text::bounded(&printable(text.trim()), MAX_FIELD).into_owned()
}

fn split_scopes(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The host of a URL (or the text itself when it has none), for a redirect's reason.
fn host_of(url: &str) -> String {
    bounded(crate::collect::rest::host_of(url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::live::Method;

    fn check() -> LiveCheck {
        LiveCheck {
            provider: "slack".into(),
            scheme: crate::detect::live::Scheme::Http,
            partner: None,
            docs: "https://api.slack.com/methods/auth.test".into(),
            method: Method::Post,
            base: "https://slack.com".into(),
            path: "/api/auth.test".into(),
            headers: Vec::new(),
            basic: None,
            body: None,
            active_status: vec![200],
            inactive_status: vec![401],
            ok: Some("/ok".into()),
            error: Some("/error".into()),
            principal: Some("/user".into()),
            principal_kind: "Slack user or bot".into(),
            account: Some("/team".into()),
            scopes: None,
            scopes_header: Some("x-oauth-scopes".into()),
        }
    }

    fn no_headers(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn an_ok_answer_names_the_principal_account_and_scopes() {
        let headers = |n: &str| (n == "x-oauth-scopes").then(|| "chat:write, admin".to_string());
        let o = read(
            &check(),
            "POST slack.com/api/auth.test",
            200,
            &headers,
            br#"{"ok":true,"user":"deploy-bot","team":"Example\u001b[31m Team"}"#,
        );
        assert_eq!(o.status, LiveStatus::Active);
        assert_eq!(o.principal.as_deref(), Some("deploy-bot"));
        // Control characters from a provider's answer never reach a terminal raw.
        assert!(!o.account.as_deref().unwrap().contains('\u{1b}'));
        assert_eq!(o.scopes, ["admin", "chat:write"]);
    }

    #[test]
    fn ok_false_or_an_inactive_status_is_inactive_with_the_providers_reason() {
        let o = read(
            &check(),
            "POST s",
            200,
            &no_headers,
            br#"{"ok":false,"error":"invalid_auth"}"#,
        );
        assert_eq!(o.status, LiveStatus::Inactive);
        assert!(o.reason.ends_with(": invalid_auth"), "{}", o.reason);
        let o = read(&check(), "POST s", 401, &no_headers, b"");
        assert_eq!(o.status, LiveStatus::Inactive);
    }

    #[test]
    fn redirects_other_statuses_and_missing_fields_are_not_guessed() {
        let loc = |n: &str| (n == "location").then(|| "https://evil.example/x".to_string());
        let o = read(&check(), "POST s", 302, &loc, b"");
        assert_eq!(o.status, LiveStatus::Unknown);
        assert!(o.reason.contains("evil.example") && o.reason.contains("not followed"));
        assert_eq!(
            read(&check(), "POST s", 403, &no_headers, b"").status,
            LiveStatus::Unknown
        );
        assert_eq!(
            read(&check(), "POST s", 503, &no_headers, b"").status,
            LiveStatus::Error
        );
        assert_eq!(
            read(&check(), "POST s", 200, &no_headers, b"<html>").status,
            LiveStatus::Unknown
        );
    }

    #[test]
    fn an_ok_comparison_reads_a_string_field() {
        let mut c = check();
        c.ok = Some("/code == TokenValid".into());
        assert_eq!(
            read(&c, "GET m", 200, &no_headers, br#"{"code":"TokenValid"}"#).status,
            LiveStatus::Active
        );
        assert_eq!(
            read(&c, "GET m", 200, &no_headers, br#"{"code":"TokenRevoked"}"#).status,
            LiveStatus::Inactive
        );
    }
}
