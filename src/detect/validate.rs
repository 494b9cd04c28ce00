//! Offline validators: checks a token format allows without any network call.
//!
//! Two families, with different consequences:
//! - **checksums** (GitHub's and npm's base62 CRC32) prove a value was minted by the
//!   provider. A pass raises confidence to high; a failure lowers it to low but keeps the
//!   match, because a hand-edited or truncated real token is still worth a look.
//! - **structure** checks (JWT, HTTP Basic credentials, X.509, key blocks) decide whether
//!   the bytes are the thing at all; a failure drops the match. HTTP Basic credentials that
//!   decode to a made-up pair (`user:password`, `aladdin:opensesame`) are dropped too.

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
    /// A private key block whose base64 body decodes to DER (a SEQUENCE of the stated
    /// length) or to an OpenSSH key; written plainly or across string literals.
    KeyBlock,
    /// A Java keystore whose entry list shows a private or secret key (a truststore of
    /// certificates only is public).
    JavaKeystore,
    /// A PKCS#12 file whose bags show a key; certificates only (unencrypted) is public.
    Pkcs12,
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
    /// The right structure around made-up content (`Basic` of `user:password`): drop it.
    MadeUp,
    /// The format's frame is there but its content does not parse (a key block cut short,
    /// edited or made up): keep it at low confidence.
    Malformed,
    /// The check cannot see inside (an encrypted container): the detector's format stands.
    Unknown,
}

impl Validator {
    pub fn from_name(name: &str) -> Option<Validator> {
        match name {
            "base62-crc32" => Some(Validator::Base62Crc32),
            "jwt" => Some(Validator::Jwt),
            "basic-auth" => Some(Validator::BasicAuth),
            "x509" => Some(Validator::X509),
            "key-block" => Some(Validator::KeyBlock),
            "java-keystore" => Some(Validator::JavaKeystore),
            "pkcs12" => Some(Validator::Pkcs12),
            _ => None,
        }
    }

    pub const NAMES: &'static [&'static str] = &[
        "base62-crc32",
        "jwt",
        "basic-auth",
        "x509",
        "key-block",
        "java-keystore",
        "pkcs12",
    ];

    pub fn check(self, secret: &[u8]) -> Verdict {
        match self {
            Validator::Base62Crc32 => base62_crc32(secret),
            Validator::Jwt => jwt(secret),
            Validator::BasicAuth => basic_auth(secret),
            // Certificates are parsed by the certificate stage, which has the whole block.
            Validator::X509 => Verdict::Valid,
            Validator::KeyBlock => key_block(secret),
            Validator::Pkcs12 => match super::magic::pkcs12_has_key(secret) {
                Some(true) => Verdict::Valid,
                Some(false) => Verdict::Reject,
                // Encrypted bags: a key may be inside; the format alone stands.
                None => Verdict::Unknown,
            },
            Validator::JavaKeystore => match super::magic::java_keystore_has_key(secret) {
                Some(true) => Verdict::Valid,
                Some(false) => Verdict::Reject,
                None => Verdict::Malformed,
            },
        }
    }
}

/// The base64 of a key block's body, without what surrounds it in code: `\n` escapes,
/// quotes and `+` between string literals, indentation, line breaks and PEM headers
/// (`Proc-Type:`, `DEK-Info:`).
pub fn key_body(secret: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(secret.len());
    let mut i = 0;
    let mut line_start = 0;
    while i < secret.len() {
        let b = secret[i];
        match b {
            b'\\' if matches!(secret.get(i + 1), Some(b'n' | b'r' | b't')) => {
                i += 2;
                line_start = out.len();
                continue;
            }
            b'"' | b'\'' => {
                // A closing quote, then `+` and the next literal's opening quote.
                let mut j = i + 1;
                while secret.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
                    j += 1;
                }
                if secret.get(j) == Some(&b'+') {
                    j += 1;
                    while secret.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
                        j += 1;
                    }
                    if matches!(secret.get(j), Some(b'"' | b'\'')) {
                        j += 1;
                    }
                    i = j;
                    continue;
                }
                i += 1;
                continue;
            }
            b'\n' | b'\r' => line_start = out.len(),
            b':' => {
                // A header line (`Proc-Type: 4,ENCRYPTED`): drop what it wrote.
                out.truncate(line_start);
                while i < secret.len() && !matches!(secret[i], b'\n' | b'\\') {
                    i += 1;
                }
                continue;
            }
            c if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=' => out.push(c),
            _ => {}
        }
        i += 1;
    }
    out
}

fn key_block(secret: &[u8]) -> Verdict {
    let body = key_body(secret);
    // An OpenSSH key announces itself in its first bytes; a key with a line cut later on
    // still holds most of its private parts.
    if body.starts_with(b"b3BlbnNzaC1rZXktdjEA") {
        return Verdict::Valid;
    }
    let Ok(der) = general_purpose::STANDARD.decode(&body) else {
        return Verdict::Malformed;
    };
    // A PEM-encrypted key (`Proc-Type: 4,ENCRYPTED`): its body is ciphertext in whole
    // cipher blocks, not DER.
    if memchr::memmem::find(secret, b"4,ENCRYPTED").is_some() {
        return if der.len() >= 64 && der.len() % 8 == 0 {
            Verdict::Valid
        } else {
            Verdict::Malformed
        };
    }
    // DER: a SEQUENCE whose length covers exactly the rest of the bytes.
    let (Some(&0x30), Some(&first)) = (der.first(), der.get(1)) else {
        return Verdict::Malformed;
    };
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || der.len() < 2 + n {
            return Verdict::Malformed;
        }
        let len = der[2..2 + n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, 2 + n)
    };
    if header + len == der.len() {
        Verdict::Valid
    } else {
        Verdict::Malformed
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
        Some(i) if printable && i > 0 && i + 1 < decoded.len() => {
            if made_up_password(&decoded[i + 1..]) {
                Verdict::MadeUp
            } else {
                Verdict::Valid
            }
        }
        _ => Verdict::Reject,
    }
}

/// A password a person typed for a test or a document: a placeholder, a word with a few
/// digits, a sequence, or too short to be anything else.
pub fn made_up_password(password: &[u8]) -> bool {
    password.len() < 6
        || super::filter::is_placeholder(password)
        || super::filter::is_generic_non_secret(password)
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
    fn key_blocks_must_decode_to_a_key() {
        // A DER SEQUENCE of the stated length, written plainly and across Java literals.
        let der: Vec<u8> = [0x30, 0x46]
            .into_iter()
            .chain((0..0x46).map(|i| i as u8))
            .collect();
        let b64 = general_purpose::STANDARD.encode(&der);
        let (a, b) = b64.split_at(40);
        assert_eq!(Validator::KeyBlock.check(b64.as_bytes()), Verdict::Valid);
        let java = format!("{a}\\n\"\n\t\t+ \"{b}\\n\"");
        assert_eq!(Validator::KeyBlock.check(java.as_bytes()), Verdict::Valid);
        assert_eq!(key_body(java.as_bytes()), b64.as_bytes());
        // Cut short: the SEQUENCE says more bytes than there are.
        let cut = general_purpose::STANDARD.encode(&der[..60]);
        assert_eq!(
            Validator::KeyBlock.check(cut.as_bytes()),
            Verdict::Malformed
        );
        // Encrypted PKCS#1: ciphertext in whole blocks after its headers.
        let cipher = general_purpose::STANDARD.encode([7u8; 96]);
        let pem = format!("Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00FF\n\n{cipher}");
        assert_eq!(Validator::KeyBlock.check(pem.as_bytes()), Verdict::Valid);
    }

    #[test]
    fn basic_auth_of_made_up_pairs_is_dropped() {
        for made_up in [
            "user:password",
            "aladdin:opensesame",
            "test:test",
            "spring:boot",
        ] {
            let header = general_purpose::STANDARD.encode(made_up);
            assert_eq!(
                Validator::BasicAuth.check(header.as_bytes()),
                Verdict::MadeUp,
                "{made_up}"
            );
        }
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
