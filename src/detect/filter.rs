//! Value filters that run after a detector's regex matched: placeholders, low entropy and,
//! for generic detectors, values that are code rather than credentials.
//!
//! Regexes say what a credential looks like; these filters say what a *real* one does not
//! look like. They are shared by every detector so that a placeholder rejected for one
//! provider is rejected for all.

use super::verdict::Rejection;
use super::words;
use aho_corasick::AhoCorasick;
use std::sync::OnceLock;

/// Shannon entropy of `bytes`, in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

/// Substrings that mark documentation values, templates and redactions.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpass",
    "yourapi",
    "redacted",
    "dummy",
    "insert_",
    "insert-",
    "replace_me",
    "replaceme",
    "xxxx",
    "****",
    "...",
    "abcd1234",
    "a1b2c3",
    "1a2b3c",
    "${",
    "{{",
    "}}",
    "%(",
    "$(",
    "<",
    ">",
    "0123456",
    "123456789",
    "abcdefgh",
    "qwerty",
];

/// Why the value is obviously not a real credential, for any detector.
pub fn reject_any(secret: &[u8]) -> Option<Rejection> {
    static MARKERS: OnceLock<AhoCorasick> = OnceLock::new();
    let markers = MARKERS.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PLACEHOLDER_MARKERS)
            .expect("placeholder markers are valid literals")
    });
    if markers.is_match(secret) {
        Some(Rejection::Placeholder)
    } else if low_diversity(&secret.to_ascii_lowercase()) {
        Some(Rejection::LowEntropy)
    } else {
        None
    }
}

pub use super::names::is_non_secret_name;

/// True when the value is obviously not a real credential, for any detector.
pub fn is_placeholder(secret: &[u8]) -> bool {
    reject_any(secret).is_some()
}

/// A long value made of very few distinct characters (`aaaaaaaa`, `abababab`, `00000000`).
fn low_diversity(lower: &[u8]) -> bool {
    if lower.len() < 8 {
        return false;
    }
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in lower {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
        }
    }
    let mut longest_run = 1;
    let mut run = 1;
    for w in lower.windows(2) {
        run = if w[0] == w[1] { run + 1 } else { 1 };
        longest_run = longest_run.max(run);
    }
    distinct < 4 || (lower.len() >= 24 && distinct < 6) || longest_run * 2 >= lower.len()
}

/// Words that make a generic assignment's value a test value, a variable name or a type.
const GENERIC_VALUE_WORDS: &[&str] = &[
    "test",
    "password",
    "passwd",
    "passw0rd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "dummy",
    "fake",
    "mock",
    "sample",
    "todo",
    "foobar",
    "lorem",
    "string",
    "undefined",
    "null",
    "none",
    "true",
    "false",
    "private_key",
    "privatekey",
    "credential",
    "env",
    "config",
    "settings",
    "default",
];

/// Prefixes of values that reference a secret held elsewhere rather than containing it.
const REFERENCE_PREFIXES: &[&str] = &[
    "$",
    "%",
    "@",
    "&",
    "*",
    "/",
    "./",
    "../",
    "~/",
    "file:",
    "env:",
    "vault:",
    "secret:",
    "arn:",
    "ref:",
    "http://",
    "https://",
    "process.",
    "os.",
    "self.",
    "this.",
    "config.",
    "settings.",
    "params.",
    "args.",
    "props.",
    "req.",
    "request.",
    "ctx.",
    "context.",
];

/// Strict filter for generic assignments (`password = "..."`), where the regex alone would
/// also match variable names, environment lookups and test fixtures.
pub fn is_generic_non_secret(secret: &[u8]) -> bool {
    reject_generic(secret).is_some()
}

/// A value next to a provider's name, of the provider's documented shape: the shape already
/// rules out most code, so only what a shape cannot tell apart is refused here: words and
/// identifiers of words (`scraperapi_key = my_scraperapi_key_here`), sequences, and values
/// that mark themselves as made up. Hashes and UUIDs stay: many providers' keys are one.
pub fn reject_contextual(secret: &[u8]) -> Option<Rejection> {
    let lower = secret.to_ascii_lowercase();
    let text = String::from_utf8_lossy(&lower);
    if secret.iter().all(|b| b.is_ascii_alphabetic())
        && (pascal_words(secret) >= 3 || words::is_made_of_words(secret))
    {
        return Some(Rejection::Code);
    }
    // A name has a few parts (`my_scraperapi_key`); a random mixed-case value splits into
    // many short ones, some of which are words by chance.
    let identifier =
        words::identifier_part_count(secret) <= 5 && words::is_identifier_of_words(secret);
    if identifier || has_file_extension(&text) {
        return Some(Rejection::Code);
    }
    if words::is_made_of_words(secret) || words::is_sequence(secret) {
        return Some(Rejection::WeakWord);
    }
    None
}

/// Why a generic assignment's value is not a credential, if it is not: the regex alone
/// also matches code, names, references to stores, hashes, ids and made-up test values.
pub fn reject_generic(secret: &[u8]) -> Option<Rejection> {
    let lower = secret.to_ascii_lowercase();
    let text = String::from_utf8_lossy(&lower);
    if REFERENCE_PREFIXES.iter().any(|p| text.starts_with(p)) || text.starts_with("urn:") {
        return Some(Rejection::Reference);
    }
    if is_hash_or_ciphertext(secret) {
        return Some(Rejection::Hash);
    }
    // Prose (a translated label, `Contraseña`) or a Java properties escape.
    if !secret.is_ascii() || text.contains("\\u") {
        return Some(Rejection::Code);
    }
    if secret.iter().any(|b| {
        matches!(
            b,
            b'(' | b')' | b'[' | b']' | b'{' | b'}' | b' ' | b'\\' | b'`'
        )
    }) {
        return Some(Rejection::Code);
    }
    // Code, not a value: `crate::Type`, `a->b`, `x => y`, `data?.key`, `!!flag`, `a|b`,
    // a printf format (`%s`).
    if ["::", "->", "=>", "?.", "!!", "||", "&&", "%s"]
        .iter()
        .any(|op| text.contains(op))
    {
        return Some(Rejection::Code);
    }
    if is_uuid(secret) || looks_like_timestamp(secret) || secret.iter().all(u8::is_ascii_digit) {
        return Some(Rejection::Identifier);
    }
    // Short words (`env`, `null`, `mock`) turn up by chance in long random values; they
    // mark a made-up value only when the value is short too.
    let words: Vec<&str> = GENERIC_VALUE_WORDS
        .iter()
        .copied()
        .filter(|w| w.len() >= 5 || secret.len() <= 20)
        .collect();
    if words.iter().any(|w| text.contains(w))
        || deleet(&lower)
            .iter()
            .any(|v| words.iter().any(|w| v.contains(w)))
        || text.contains("1234")
    {
        return Some(Rejection::WeakWord);
    }
    // A single word (`Incomplete`, `ReadableBuffer`, `NextPartNumberMarker`) is a type,
    // an enum member or prose; human-chosen secrets that are only letters are rare.
    if secret.iter().all(|b| b.is_ascii_alphabetic())
        && (secret.len() < 20 || pascal_words(secret) >= 3)
    {
        return Some(Rejection::Code);
    }
    if is_identifier_like(secret)
        || has_file_extension(&text)
        || words::is_identifier_of_words(secret)
        || words::is_header_name(secret)
    {
        return Some(Rejection::Code);
    }
    if words::is_made_of_words(secret)
        || words::is_sequence(secret)
        || words::is_word_and_digits(secret)
    {
        return Some(Rejection::WeakWord);
    }
    None
}

/// `123e4567-e89b-12d3-a456-426614174000`: an id, unless a provider's format says a key
/// is one (those providers have their own detectors).
fn is_uuid(secret: &[u8]) -> bool {
    secret.len() == 36
        && secret.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Stored password hashes and ciphertexts: what a password field holds when the secret is
/// *not* there (bcrypt, sha-crypt, pbkdf2 in Django and Werkzeug forms, LDAP schemes,
/// argon2, scrypt, Fernet tokens, encrypted values of Spring, SOPS, Jenkins, Ansible Vault).
pub fn is_hash_or_ciphertext(secret: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"$2a$",
        b"$2b$",
        b"$2y$",
        b"$2x$",
        b"$1$",
        b"$5$",
        b"$6$",
        b"$y$",
        b"$7$",
        b"$apr1$",
        b"$argon2",
        b"$scrypt$",
        b"$pbkdf2",
        b"pbkdf2_sha256$",
        b"pbkdf2_sha1$",
        b"pbkdf2:sha256:",
        b"pbkdf2:sha1:",
        b"scrypt:",
        b"argon2$",
        b"bcrypt$",
        b"sha1$",
        b"md5$",
        b"{sha}",
        b"{ssha}",
        b"{sha256}",
        b"{ssha256}",
        b"{sha512}",
        b"{ssha512}",
        b"{md5}",
        b"{smd5}",
        b"{crypt}",
        b"{bcrypt}",
        b"{noop}",
        b"{pbkdf2}",
        b"{cipher}",
        b"enc[",
        b"enc(",
        b"$ansible_vault",
        b"{aqaaab",
        b"gaaaaab",
    ];
    let lower = secret.to_ascii_lowercase();
    PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// `db_password_name`, `MY_SECRET_VAR`, `userPassword`, `some.dotted.key`,
/// `recognizer._stateNumber`: names, not values.
fn is_identifier_like(secret: &[u8]) -> bool {
    let has_digit = secret.iter().any(|b| b.is_ascii_digit());
    let is_separator = |b: &u8| matches!(b, b'.' | b':' | b'/' | b'|');
    let dotted_path = secret.iter().any(is_separator)
        && secret.split(is_separator).all(|seg| {
            seg.first()
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                && seg.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        });
    if dotted_path {
        return true;
    }
    let all_word = secret
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !all_word {
        return false;
    }
    let upper_snake = secret
        .iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        && secret.contains(&b'_');
    let lower_words = !has_digit
        && secret
            .iter()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'.' | b'-'))
        && secret.iter().any(|b| matches!(b, b'_' | b'.' | b'-'));
    let camel = !has_digit
        && secret.first().is_some_and(|b| b.is_ascii_lowercase())
        && secret.iter().all(|b| b.is_ascii_alphabetic())
        && camel_humps(secret) >= 1
        && camel_humps(secret) * 3 <= secret.len();
    upper_snake || lower_words || camel
}

/// Number of capitalised words in a PascalCase value (`NextPartNumberMarker` -> 4).
fn pascal_words(secret: &[u8]) -> usize {
    let starts_upper = secret.first().is_some_and(|b| b.is_ascii_uppercase());
    let no_runs = !secret
        .windows(2)
        .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase());
    if starts_upper && no_runs {
        secret.iter().filter(|b| b.is_ascii_uppercase()).count()
    } else {
        0
    }
}

/// Undo common character substitutions (`P@55w0rd!` -> `password`): one variant maps
/// symbols to letters, one drops them.
fn deleet(lower: &[u8]) -> [String; 2] {
    let map = |b: u8| match b {
        b'0' => Some('o'),
        b'1' => Some('i'),
        b'3' => Some('e'),
        b'4' | b'@' => Some('a'),
        b'5' | b'$' => Some('s'),
        b'7' => Some('t'),
        b if b.is_ascii_lowercase() => Some(b as char),
        _ => None,
    };
    let mapped = lower.iter().filter_map(|&b| map(b)).collect();
    let dropped = lower
        .iter()
        .filter(|b| !matches!(b, b'@' | b'$' | b'!' | b'#' | b'*' | b'.' | b'-' | b'_'))
        .filter_map(|&b| map(b))
        .collect();
    [mapped, dropped]
}

/// `2016-09-24T16:18:07Z` and friends.
fn looks_like_timestamp(secret: &[u8]) -> bool {
    secret.len() >= 10
        && secret[..4].iter().all(u8::is_ascii_digit)
        && secret[4] == b'-'
        && secret[5..7].iter().all(u8::is_ascii_digit)
        && secret[7] == b'-'
}

fn camel_humps(secret: &[u8]) -> usize {
    secret
        .windows(2)
        .filter(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
        .count()
}

fn has_file_extension(text: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        ".pem", ".key", ".json", ".txt", ".crt", ".p12", ".pfx", ".yaml", ".yml", ".env", ".jks",
    ];
    EXTENSIONS.iter().any(|e| text.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_and_constant_values() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert_eq!(shannon_entropy(b""), 0.0);
    }

    #[test]
    fn placeholders_are_rejected_for_every_detector() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "${GITHUB_TOKEN}",
            "<your-token>",
            "{{ .Values.token }}",
            "sk_live_000000000000000000000000",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p} should be a placeholder");
        }
        for real in [
            "wJ9rXUtnFEMIK7MDENGbPxRfiCYq2LhTk0aZ1v8s",
            "hK3x9Qm2Lp7Vz4Rt",
        ] {
            assert!(
                !is_placeholder(real.as_bytes()),
                "{real} is not a placeholder"
            );
        }
    }

    #[test]
    fn generic_filter_rejects_names_references_and_test_values() {
        for v in [
            "DB_PASSWORD",
            "userPassword",
            "db.password.name",
            "os.environ",
            "process.env.TOKEN",
            "getenv(\"X\")",
            "test1234",
            "12345678",
            "/etc/secret.pem",
            "mysecretvalue",
            "crate::ObjectIdentifier",
            "private::IdentAny",
            "recognizer._stateNumber",
            "DistributionList.NextMarker",
            "Incomplete",
            "{self.region}",
            "NextPartNumberMarker",
            "exports2.HEADER_STATE",
            "serverlessrepo:applicationId",
            "P@55w0rd!",
            "Pass@Word1",
            "2016-09-24T16:18:07Z",
            "abcd1234defg5678",
            "s3cr3tP4ss-2024",
        ] {
            assert!(
                is_generic_non_secret(v.as_bytes()),
                "{v} should be rejected"
            );
        }
        for v in ["Xk9#mQ2$vLp8", "hK3x9Qm2Lp7Vz4Rt", "Zq7!vR2m-Kp9w"] {
            assert!(!is_generic_non_secret(v.as_bytes()), "{v} looks real");
        }
    }
}
