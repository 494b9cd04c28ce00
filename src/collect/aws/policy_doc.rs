//! IAM policy documents, read for what they grant and whom they trust.
//!
//! IAM returns documents URL-encoded (RFC 3986) JSON. Permission policies are summarised
//! into privilege names a reviewer recognises (`*:*`, `iam:*`, `iam:PassRole`, each allowed
//! action); trust policies into the parties outside the account that can assume a role,
//! the services that can, and OIDC trusts that do not pin a subject (any repository or
//! workload of that provider could assume the role).

use serde_json::Value;
use std::collections::BTreeSet;

/// Decode `%XX` escapes (and `+` as space never appears in IAM's encoding).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Parse a document as IAM returns it (URL-encoded) or as written (plain JSON).
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| serde_json::from_str(&percent_decode(text)).ok())
}

/// A JSON value that IAM allows as a string or a list of strings.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn allow_statements(doc: &Value) -> Vec<&Value> {
    let list: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    list.into_iter()
        .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .collect()
}

/// Privileges an Allow statement set grants, summarised: `*:*` for every action, the
/// service wildcard (`iam:*`), `iam:PassRole` for any action pattern that covers it, and
/// each named action. `NotAction` allows everything but a list: reported as `*:*`.
pub fn privileges(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in allow_statements(doc) {
        if s.get("NotAction").is_some() {
            out.insert("*:*".to_string());
        }
        for action in strings(s.get("Action")) {
            if action == "*" {
                out.insert("*:*".into());
                continue;
            }
            let lower = action.to_ascii_lowercase();
            if lower.starts_with("iam:pass") || lower == "iam:*" || lower == "iam:p*" {
                out.insert("iam:PassRole".into());
            }
            out.insert(action);
        }
    }
    out
}

/// What a role's trust policy says about who can assume it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Trust {
    /// Parties outside `own_account`: `aws-account:<id>`, `anyone`, `oidc:<host>`.
    pub third_parties: Vec<String>,
    /// AWS services that can assume the role (`ec2.amazonaws.com`).
    pub services: Vec<String>,
    /// OIDC providers trusted without any condition on the token's `sub`.
    pub oidc_without_subject: Vec<String>,
    /// SAML providers (workforce sign-in, not third parties).
    pub saml: Vec<String>,
}

pub fn trust(doc: &Value, own_account: &str) -> Trust {
    let mut t = Trust::default();
    for s in allow_statements(doc) {
        let principal = s.get("Principal");
        if principal.and_then(Value::as_str) == Some("*") {
            push(&mut t.third_parties, "anyone (*)".into());
            continue;
        }
        let Some(p) = principal.and_then(Value::as_object) else {
            continue;
        };
        for aws in strings(p.get("AWS")) {
            match account_of(&aws) {
                Some(acct) if acct == own_account => {}
                Some(acct) => push(&mut t.third_parties, format!("aws-account:{acct}")),
                None if aws == "*" => push(&mut t.third_parties, "anyone (*)".into()),
                None => {}
            }
        }
        for service in strings(p.get("Service")) {
            push(&mut t.services, service);
        }
        for federated in strings(p.get("Federated")) {
            if let Some(host) = federated.split_once(":oidc-provider/").map(|(_, h)| h) {
                push(&mut t.third_parties, format!("oidc:{host}"));
                if !has_subject_condition(s.get("Condition"), host) {
                    push(&mut t.oidc_without_subject, host.to_string());
                }
            } else if let Some(name) = federated.split_once(":saml-provider/").map(|(_, n)| n) {
                push(&mut t.saml, name.to_string());
            } else {
                push(&mut t.third_parties, format!("federated:{federated}"));
            }
        }
    }
    t
}

fn push(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The account of `arn:aws:iam::123456789012:root`, or of a bare account id.
fn account_of(principal: &str) -> Option<String> {
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        return Some(principal.to_string());
    }
    let acct = principal.strip_prefix("arn:")?.split(':').nth(3)?;
    (acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())).then(|| acct.to_string())
}

/// True when any condition operator constrains `<host>:sub` (GitHub: the repository and
/// ref; EKS: the service account).
fn has_subject_condition(condition: Option<&Value>, host: &str) -> bool {
    let key = format!("{host}:sub").to_ascii_lowercase();
    condition.and_then(Value::as_object).is_some_and(|ops| {
        ops.values()
            .filter_map(Value::as_object)
            .any(|kv| kv.keys().any(|k| k.to_ascii_lowercase() == key))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_encoded_documents_are_decoded() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let doc = parse(encoded).unwrap();
        assert_eq!(privileges(&doc).into_iter().collect::<Vec<_>>(), ["*:*"]);
        assert!(parse("%7Bnot json").is_none());
    }

    #[test]
    fn privileges_summarise_wildcards_and_pass_role() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": ["iam:PassRole", "s3:GetObject"], "Resource": "*"},
            {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"},
        ]});
        let p: Vec<String> = privileges(&doc).into_iter().collect();
        assert_eq!(p, ["ec2:*", "iam:PassRole", "s3:GetObject"]);
        let not_action =
            json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}});
        assert!(privileges(&not_action).contains("*:*"));
    }

    #[test]
    fn trust_names_other_accounts_services_and_open_oidc() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::999988887777:root", "arn:aws:iam::123456789012:role/own"]}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
             "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}},
        ]});
        let t = trust(&doc, "123456789012");
        assert_eq!(
            t.third_parties,
            [
                "aws-account:999988887777",
                "oidc:token.actions.githubusercontent.com"
            ]
        );
        assert_eq!(t.services, ["ec2.amazonaws.com"]);
        assert_eq!(
            t.oidc_without_subject,
            ["token.actions.githubusercontent.com"]
        );
    }

    #[test]
    fn an_oidc_trust_pinned_to_a_subject_is_not_open() {
        let doc = json!({"Statement": [{"Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
            "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:example-org/app:*"}}}]});
        let t = trust(&doc, "123456789012");
        assert!(t.oidc_without_subject.is_empty());
        assert_eq!(
            t.third_parties,
            ["oidc:token.actions.githubusercontent.com"]
        );
        let anyone = json!({"Statement": [{"Effect": "Allow", "Principal": "*"}]});
        assert_eq!(trust(&anyone, "1").third_parties, ["anyone (*)"]);
    }
}
