//! Offline validators: checks a token format allows without any network call.
//!
//! Two families, with different consequences:
//! - **checksums** (GitHub's and npm's base62 CRC32) prove a value was minted by the
//!   provider. A pass raises confidence to high; a failure lowers it to low but keeps the
//!   match, because a hand-edited or truncated real token is still worth a look.
//! - **structure** checks (JWT, HTTP Basic credentials, X.509) decide whether the bytes are
//!   the thing at all; a failure drops the match.

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// `<prefix>_<30 random base62><6 base62 digits of CRC32(random)>` (GitHub, npm).
    Base62Crc32,
    /// Three base64url segments whose first two decode to JSON objects with `alg` in the header.
    Jwt,
    /// Base64 that decodes to printable `user:password`.
    BasicAuth,
    /// A PEM certificate that parses as X.509 (handled by the certificate stage).
    X509,
}

/// What a validator concluded about one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The value carries proof of its format (checksum matched / structure parsed).
    Valid,
    /// A checksum did not match: keep the match at low confidence.
    ChecksumMismatch,
    /// Not this kind of value at all: drop the match.
    Reject,
}

impl Validator {
    pub fn from_name(name: &str) -> Option<Validator> {
        match name {
            "base62-crc32" => Some(Validator::Base62Crc32),
            "jwt" => Some(Validator::Jwt),
            "basic-auth" => Some(Validator::BasicAuth),
            "x509" => Some(Validator::X509),
            _ => None,
        }
    }

    pub const NAMES: &'static [&'static str] = &["base62-crc32", "jwt", "basic-auth", "x509"];

    pub fn check(self, secret: &[u8]) -> Verdict {
        match self {
            Validator::Base62Crc32 => base62_crc32(secret),
            Validator::Jwt => jwt(secret),
            Validator::BasicAuth => basic_auth(secret),
            // Certificates are parsed by the certificate stage, which has the whole block.
            Validator::X509 => Verdict::Valid,
        }
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn to_base62_padded(mut n: u32, width: usize) -> Vec<u8> {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

fn base62_crc32(secret: &[u8]) -> Verdict {
    let body = match memchr::memrchr(b'_', secret) {
        Some(i) => &secret[i + 1..],
        None => secret,
    };
    if body.len() <= 6 {
        return Verdict::Reject;
    }
    let (random, check) = body.split_at(body.len() - 6);
    if to_base62_padded(crc32fast::hash(random), 6) == check {
        Verdict::Valid
    } else {
        Verdict::ChecksumMismatch
    }
}

const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn decode_json_object(segment: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let bytes = URL_SAFE_LENIENT.decode(segment).ok()?;
    match serde_json::from_slice::<serde_json::Value>(&bytes).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

fn jwt(secret: &[u8]) -> Verdict {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return Verdict::Reject;
    };
    match (decode_json_object(header), decode_json_object(payload)) {
        (Some(_), Some(p)) if is_sample_claims(&p) => Verdict::Reject,
        (Some(h), Some(_)) if h.contains_key("alg") => Verdict::Valid,
        _ => Verdict::Reject,
    }
}

/// The claims of tutorial tokens (jwt.io's `John Doe`, `sub: 1234567890`).
fn is_sample_claims(claims: &serde_json::Map<String, serde_json::Value>) -> bool {
    claims.get("sub").and_then(|v| v.as_str()) == Some("1234567890")
        || claims.get("name").and_then(|v| v.as_str()) == Some("John Doe")
}

fn basic_auth(secret: &[u8]) -> Verdict {
    let Ok(decoded) = general_purpose::STANDARD.decode(secret) else {
        return Verdict::Reject;
    };
    let printable = decoded.iter().all(|b| (0x20..0x7f).contains(b));
    match memchr::memchr(b':', &decoded) {
        Some(i) if printable && i > 0 && i + 1 < decoded.len() => Verdict::Valid,
        _ => Verdict::Reject,
    }
}

/// Decode claims of a JWT for reporting (issuer, subject, expiry). Never includes the signature.
pub fn jwt_claims(secret: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = secret.split(|&b| b == b'.').nth(1)?;
    decode_json_object(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github_like(prefix: &str, random: &str) -> String {
        let check = to_base62_padded(crc32fast::hash(random.as_bytes()), 6);
        format!("{prefix}{random}{}", String::from_utf8(check).unwrap())
    }

    #[test]
    fn base62_crc32_accepts_minted_and_flags_edited_tokens() {
        let token = github_like("ghp_", "Zq8mN3vR7tL2wX9kP4sJ6hF1dG5bC0");
        assert_eq!(
            Validator::Base62Crc32.check(token.as_bytes()),
            Verdict::Valid
        );
        let mut edited = token.clone().into_bytes();
        edited[5] = if edited[5] == b'a' { b'b' } else { b'a' };
        assert_eq!(
            Validator::Base62Crc32.check(&edited),
            Verdict::ChecksumMismatch
        );
    }

    #[test]
    fn jwt_requires_json_header_with_alg() {
        let header = URL_SAFE_LENIENT.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_LENIENT.encode(br#"{"sub":"svc-1","exp":1900000000}"#);
        let token = format!("{header}.{payload}.c2lnbmF0dXJl");
        assert_eq!(Validator::Jwt.check(token.as_bytes()), Verdict::Valid);
        assert_eq!(
            jwt_claims(token.as_bytes()).unwrap()["sub"],
            serde_json::json!("svc-1")
        );
        assert_eq!(
            Validator::Jwt.check(b"eyJub3QuanNvbg.eyJ4.abc"),
            Verdict::Reject
        );
    }

    #[test]
    fn basic_auth_needs_user_and_password() {
        let good = general_purpose::STANDARD.encode("deploy:Hq7vN2xK");
        assert_eq!(Validator::BasicAuth.check(good.as_bytes()), Verdict::Valid);
        let no_colon = general_purpose::STANDARD.encode("justatoken");
        assert_eq!(
            Validator::BasicAuth.check(no_colon.as_bytes()),
            Verdict::Reject
        );
    }
}
