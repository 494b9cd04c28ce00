//! Offline facts a credential's format gives away, decoded where the value is still in hand
//! (the scanning worker), so that only the facts, never the value, travel on.
//!
//! - AWS access key ids (`AKIA`/`ASIA`...) encode the owning account id: base32-decode the
//!   16 characters after the prefix; bits 1..=40 of the first six bytes are the account.
//! - JWTs carry `iss`, `sub`, `aud` and `exp` in their payload; `exp` becomes `expires_at`.
//!   Whoever minted the token chose those claims: each is cut to [`MAX_CLAIM`] characters
//!   with control characters removed, and the file scanner withholds any claim that itself
//!   holds a secret (see `scan::file`).

use super::validate::jwt_claims;

/// A fact about a secret: a name and a value that are safe to report.
pub type Fact = (String, String);

/// Longest claim value reported, in characters.
pub const MAX_CLAIM: usize = 200;

/// Facts for a value found by `detector_id`; empty when the format carries none.
pub fn facts(detector_id: &str, secret: &[u8]) -> Vec<Fact> {
    match detector_id {
        "aws.access-key-id" => aws_account_id(secret)
            .map(|a| vec![("aws_account_id".to_string(), a)])
            .unwrap_or_default(),
        "jwt.token" => jwt_facts(secret),
        "slack.bot-token" | "slack.user-token" => slack_team_and_user(secret)
            .map(|v| vec![(crate::model::attr::SLACK_TEAM_AND_USER.to_string(), v)])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// `xoxb-<team>-<user>-<secret>`: the team and bot (or user) numbers, which name the
/// installation and are no secret.
fn slack_team_and_user(token: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(token).ok()?;
    let mut parts = text.split('-').skip(1);
    let (team, user) = (parts.next()?, parts.next()?);
    let numeric = |p: &str| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit());
    (numeric(team) && numeric(user) && parts.next().is_some()).then(|| format!("{team}-{user}"))
}

/// The 12-digit AWS account id encoded in an access key id.
pub fn aws_account_id(key_id: &[u8]) -> Option<String> {
    let body = key_id.get(4..20)?;
    let mut bits: u128 = 0;
    for &c in body {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | v as u128;
    }
    // 16 base32 characters = 80 bits; the first 48 bits hold the account id in bits 7..47.
    let first48 = (bits >> 32) as u64;
    let account = (first48 & 0x7fff_ffff_ff80) >> 7;
    Some(format!("{account:012}"))
}

fn jwt_facts(secret: &[u8]) -> Vec<Fact> {
    let Some(claims) = jwt_claims(secret) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in ["iss", "sub", "aud"] {
        if let Some(v) = claims.get(key) {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let clean: String = text.chars().filter(|c| !c.is_control()).collect();
            let bounded = crate::model::text::bounded(&clean, MAX_CLAIM).into_owned();
            out.push((format!("jwt_{key}"), bounded));
        }
    }
    if let Some(exp) = claims.get("exp").and_then(|v| v.as_i64()) {
        out.push(("jwt_exp".to_string(), exp.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn a_slack_tokens_installation_numbers_are_a_fact_its_secret_is_not() {
        let found = facts(
            "slack.bot-token",
            b"xoxb-418204733916-3290364758101-Hb6Jd2Kq8Rt3Vx7Lm2Pw9Zc4",
        );
        assert_eq!(
            found,
            [(
                "slack_team_and_user".to_string(),
                "418204733916-3290364758101".to_string()
            )]
        );
        assert!(facts("slack.bot-token", b"xoxb-abc-def").is_empty());
    }

    #[test]
    fn account_id_is_decoded_from_a_key_id() {
        // Published example: this key id belongs to account 609629065308.
        assert_eq!(
            aws_account_id(b"ASIAY34FZKBOKMUTVV7A").as_deref(), // nhiscan:allow published example
            Some("609629065308")
        );
        assert_eq!(aws_account_id(b"AKIA0000"), None);
        assert_eq!(aws_account_id(b"AKIA11111111111111111").as_deref(), None);
    }

    #[test]
    fn jwt_claims_become_facts() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"iss":"https://auth.internal.test","sub":"svc-billing","exp":1924992000}"#)
        );
        let f = facts("jwt.token", token.as_bytes());
        assert!(f.contains(&("jwt_iss".into(), "https://auth.internal.test".into())));
        assert!(f.contains(&("jwt_sub".into(), "svc-billing".into())));
        assert!(f.contains(&("jwt_exp".into(), "1924992000".into())));
    }

    #[test]
    fn jwt_claims_are_bounded_and_stripped_of_control_characters() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let long = "x".repeat(5000);
        let token = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            b64(&format!(
                r#"{{"iss":"evil\u001b]0;owned\u0007\u001b[2J","sub":"{long}"}}"#
            ))
        );
        let f = facts("jwt.token", token.as_bytes());
        assert!(
            f.contains(&("jwt_iss".into(), "evil]0;owned[2J".into())),
            "{f:?}"
        );
        let sub = &f.iter().find(|(k, _)| k == "jwt_sub").unwrap().1;
        assert_eq!(
            sub.chars().count(),
            MAX_CLAIM + 1,
            "200 characters and an ellipsis"
        );
    }
}
