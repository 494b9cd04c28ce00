//! GCP service-account keys: the OAuth 2.0 JWT-bearer flow Google documents for service
//! accounts. An RS256 assertion (issuer: the key's `client_email`, audience: the token
//! endpoint, ten minutes) is signed with the key's `private_key` and exchanged at the token
//! endpoint for an access token.
//! <https://developers.google.com/identity/protocols/oauth2/service-account#httprest>
//!
//! Two users: the GCP collector signs in with the user's own key file (application default
//! credentials), and validation (`--validate`) asks whether a *found* key is live (an
//! access token: live, dropped at once; `invalid_grant`: deleted or disabled). For a found
//! key the file's own `token_uri` is ignored: the file never chooses where the assertion
//! goes.

use base64::Engine;
use serde_json::Value;

/// What the assertion needs from a key file.
pub struct ServiceAccountKey {
    pub client_email: String,
    pub project_id: Option<String>,
    pub private_key_id: String,
    /// PKCS#8 DER.
    private_key: Vec<u8>,
}

/// The scope validation asks for: the narrowest that every service account may request.
pub const READ_ONLY_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform.read-only";

/// The key file holding `key_id` in `document` (the whole file, or an object inside it).
pub fn key_in(document: &[u8], key_id: &[u8]) -> Result<ServiceAccountKey, String> {
    let key_id = String::from_utf8_lossy(key_id);
    let object = candidates(document)
        .find(|v| v.get("private_key_id").and_then(Value::as_str) == Some(&key_id))
        .ok_or("the key's JSON could not be read whole (escaped inside another file?)")?;
    let text = |k: &str| object.get(k).and_then(Value::as_str).map(str::to_string);
    let client_email = text("client_email").ok_or("the key's JSON has no client_email")?;
    let pem = text("private_key").ok_or("the key's JSON has no private_key")?;
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    let private_key = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| "the key's private_key is not PEM")?;
    Ok(ServiceAccountKey {
        client_email,
        project_id: text("project_id"),
        private_key_id: key_id.into_owned(),
        private_key,
    })
}

/// The document as one JSON value, else every object starting at a `{` that parses.
fn candidates(document: &[u8]) -> impl Iterator<Item = Value> + '_ {
    let whole = serde_json::from_slice::<Value>(document).ok();
    let starts = document
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'{')
        .map(|(i, _)| i)
        .take(64);
    whole.into_iter().chain(starts.filter_map(|i| {
        serde_json::Deserializer::from_slice(&document[i..])
            .into_iter::<Value>()
            .next()
            .and_then(Result::ok)
    }))
}

/// The key of a credential file's JSON object (`"type": "service_account"`).
pub fn key_of(object: &Value) -> Result<ServiceAccountKey, String> {
    let text = |k: &str| object.get(k).and_then(Value::as_str).map(str::to_string);
    let key_id = text("private_key_id").ok_or("the key's JSON has no private_key_id")?;
    key_in(object.to_string().as_bytes(), key_id.as_bytes())
}

/// The signed assertion asking `scope` from `audience`, valid from `now` (Unix seconds)
/// for ten minutes.
pub fn assertion(
    key: &ServiceAccountKey,
    audience: &str,
    scope: &str,
    now: u64,
) -> Result<String, String> {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": key.private_key_id});
    let claims = serde_json::json!({
        "iss": key.client_email, "scope": scope, "aud": audience,
        "iat": now, "exp": now + 600,
    });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&key.private_key)
        .map_err(|e| format!("the key's private_key is no RSA PKCS#8 key ({e})"))?;
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "signing the assertion failed".to_string())?;
    Ok(format!("{signing_input}.{}", b64(&signature)))
}

/// The token request's form body.
pub fn token_request(assertion: &str) -> Vec<u8> {
    format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
    )
    .into_bytes()
}
