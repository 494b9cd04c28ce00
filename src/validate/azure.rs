//! Azure / Entra ID client secrets: the OAuth 2.0 client-credentials token request Microsoft
//! documents, which needs the application (client) id and the tenant the secret belongs
//! to. Both are GUIDs a configuration names beside the secret (`AZURE_TENANT_ID`,
//! `ARM_CLIENT_ID`, `"tenantId":`), read from the document the secret was found in, the
//! nearest labelled one of each. A token means the secret is live (it is dropped at once);
//! `invalid_client` (AADSTS7000215 wrong secret, AADSTS7000222 expired) that it is not.
//! <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow>

use regex::bytes::Regex;
use std::sync::OnceLock;

/// The scope asked for: Microsoft Graph's default (what the app was granted, nothing more).
const SCOPE: &str = "https%3A%2F%2Fgraph.microsoft.com%2F.default";

fn labelled(name: &str) -> Regex {
    Regex::new(&format!(
        r#"(?i)(?:azure|arm|aad|entra)?[_.-]?{name}[_-]?id["']?\s*(?::=|=>|=|:)\s*["']?([0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}})"#
    ))
    .expect("valid regex")
}

fn tenant_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| labelled("tenant"))
}

fn client_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| labelled("(?:client|app(?:lication)?)"))
}

/// The tenant and client ids labelled nearest to `secret` in `document`.
pub fn ids_near(document: &[u8], secret: &[u8]) -> Result<(String, String), String> {
    let at = memchr::memmem::find(document, secret).unwrap_or(0);
    let nearest = |re: &Regex| {
        re.captures_iter(document)
            .filter_map(|c| c.get(1))
            .min_by_key(|m| m.start().abs_diff(at))
            .map(|m| String::from_utf8_lossy(m.as_bytes()).to_ascii_lowercase())
    };
    let tenant = nearest(tenant_re()).ok_or("no tenant id labelled beside the secret")?;
    let client =
        nearest(client_re()).ok_or("no client (application) id labelled beside the secret")?;
    Ok((tenant, client))
}

/// The token request's form body.
pub fn token_request(client: &str, secret: &[u8]) -> Vec<u8> {
    let mut secret_escaped = String::new();
    for &b in secret {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            secret_escaped.push(b as char);
        } else {
            secret_escaped.push_str(&format!("%{b:02X}"));
        }
    }
    format!(
        "client_id={client}&client_secret={secret_escaped}&grant_type=client_credentials&scope={SCOPE}"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_labelled_ids_are_taken() {
        let doc = b"AZURE_TENANT_ID=11111111-2222-3333-4444-555555555555\n\
            OTHER_CLIENT_ID=99999999-2222-3333-4444-555555555555\n\
            [prod]\nAZURE_CLIENT_ID=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n\
            AZURE_CLIENT_SECRET=7hk8Q~e0BnMBtagfeFCvyxNkA0QRg042YxZ9mIsR\n";
        let (tenant, client) = ids_near(doc, b"7hk8Q~e0BnMBtagfeFCvyxNkA0QRg042YxZ9mIsR").unwrap();
        assert_eq!(tenant, "11111111-2222-3333-4444-555555555555");
        assert_eq!(client, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
        let err = ids_near(b"AZURE_CLIENT_SECRET=x", b"x").unwrap_err();
        assert!(err.contains("tenant"), "{err}");
    }

    #[test]
    fn the_secret_is_form_escaped() {
        let body = String::from_utf8(token_request("c", b"a~b+c/d=")).unwrap();
        assert!(body.contains("client_secret=a~b%2Bc%2Fd%3D&"), "{body}");
    }
}
