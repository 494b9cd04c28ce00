//! Value filters that run after a detector's regex matched: placeholders, low entropy and,
//! for generic detectors, values that are code rather than credentials.
//!
//! Regexes say what a credential looks like; these filters say what a *real* one does not
//! look like. They are shared by every detector so that a placeholder rejected for one
//! provider is rejected for all.

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
    // Values published in providers' own documentation (Stripe's API reference key, the
    // jwt.io sample signature): test values, however real they look.
    "4eC39HqLyjWDarjtT1zdp7dc",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
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

/// True when the value is obviously not a real credential, for any detector.
pub fn is_placeholder(secret: &[u8]) -> bool {
    static MARKERS: OnceLock<AhoCorasick> = OnceLock::new();
    let markers = MARKERS.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PLACEHOLDER_MARKERS)
            .expect("placeholder markers are valid literals")
    });
    markers.is_match(secret) || low_diversity(&secret.to_ascii_lowercase())
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
    let lower = secret.to_ascii_lowercase();
    let text = String::from_utf8_lossy(&lower);
    if GENERIC_VALUE_WORDS.iter().any(|w| text.contains(w))
        || deleet(&lower)
            .iter()
            .any(|v| GENERIC_VALUE_WORDS.iter().any(|w| v.contains(w)))
    {
        return true;
    }
    if text.contains("1234") || looks_like_timestamp(secret) {
        return true;
    }
    if REFERENCE_PREFIXES.iter().any(|p| text.starts_with(p)) {
        return true;
    }
    if secret.iter().any(|b| {
        matches!(
            b,
            b'(' | b')' | b'[' | b']' | b'{' | b'}' | b' ' | b'\\' | b'`'
        )
    }) {
        return true;
    }
    // A single word (`Incomplete`, `ReadableBuffer`, `NextPartNumberMarker`) is a type,
    // an enum member or prose; human-chosen secrets that are only letters are rare.
    if secret.iter().all(|b| b.is_ascii_alphabetic())
        && (secret.len() < 20 || pascal_words(secret) >= 3)
    {
        return true;
    }
    if secret.iter().all(|b| b.is_ascii_digit()) {
        return true;
    }
    // Code, not a value: `crate::Type`, `a->b`, `x => y`.
    if ["::", "->", "=>"].iter().any(|op| text.contains(op)) {
        return true;
    }
    is_identifier_like(secret) || has_file_extension(&text)
}

/// `db_password_name`, `MY_SECRET_VAR`, `userPassword`, `some.dotted.key`,
/// `recognizer._stateNumber`: names, not values.
fn is_identifier_like(secret: &[u8]) -> bool {
    let has_digit = secret.iter().any(|b| b.is_ascii_digit());
    let is_separator = |b: &u8| matches!(b, b'.' | b':' | b'/');
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

/// Words in an assignment's *name* that say the value is not a secret even though the name
/// mentions one: `next_token`, `token_type`, `secret_name`, `passwordPolicy`, ...
const NON_SECRET_NAME_WORDS: &[&str] = &[
    "next",
    "page",
    "continuation",
    "change",
    "lock",
    "request",
    "idempotency",
    "csrf",
    "xsrf",
    "cursor",
    "marker",
    "type",
    "kind",
    "name",
    "id",
    "url",
    "uri",
    "endpoint",
    "path",
    "file",
    "field",
    "policy",
    "length",
    "size",
    "count",
    "max",
    "min",
    "expiry",
    "expires",
    "expire",
    "expiration",
    "ttl",
    "timeout",
    "format",
    "prefix",
    "header",
    "hint",
    "label",
    "placeholder",
    "pattern",
    "regex",
    "version",
    "arn",
    "ref",
    "manager",
    "provider",
    "store",
    "description",
    "enabled",
    "required",
    "input",
    "prompt",
    "reset",
    "forgot",
    "confirm",
    "validation",
    "strength",
    "usage",
    "limit",
    "template",
    "rotation",
    "algorithm",
    "encoding",
    "mode",
    "last",
    "used",
    "date",
    "time",
    "created",
    "updated",
    "at",
    "age",
];

/// True when the assignment's name (everything the regex matched before the value) marks
/// the value as metadata about a secret rather than the secret itself. The name is split
/// into words (`nextPageToken` -> next, page, token) so `admin` never matches `min`.
pub fn is_non_secret_name(name: &[u8]) -> bool {
    name_words(name).any(|w| NON_SECRET_NAME_WORDS.contains(&w.as_str()))
}

fn name_words(name: &[u8]) -> impl Iterator<Item = String> + '_ {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for &b in name {
        if !b.is_ascii_alphanumeric() {
            words.push(std::mem::take(&mut current));
            prev_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && prev_lower {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        current.push(b.to_ascii_lowercase() as char);
    }
    words.push(current);
    words.into_iter().filter(|w| !w.is_empty())
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
    fn assignment_names_about_secrets_are_not_secrets() {
        for n in [
            "nextToken\": \"",
            "token_type=",
            "SECRET_NAME: ",
            "password_policy = ",
        ] {
            assert!(is_non_secret_name(n.as_bytes()), "{n}");
        }
        for n in [
            "api_token = ",
            "DB_PASSWORD=",
            "client_secret: ",
            "<db:adminPassword>",
            "curl --user \"admin:",
        ] {
            assert!(!is_non_secret_name(n.as_bytes()), "{n}");
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
