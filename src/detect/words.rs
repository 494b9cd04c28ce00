//! Values made of words: test passwords (`hunter42`, `Forge123`, `AnotherStrongPass!`),
//! passphrases in fixtures, identifiers (`SSECustomerKeyMD5`, `encryptionKey2`), and
//! sequences or keyboard runs (`aabbccddeeff0011`, `ponmlkjihgf`, `qwertyuiop`).
//!
//! A random credential is not a run of dictionary words: when every letter of a value
//! belongs to an English word (after undoing `P@55w0rd`-style substitutions) and the rest
//! is a few digits or symbols, a person made it up. The dictionary (SCOWL's small American
//! English list, plus the technical words people build test passwords from) is embedded
//! and parsed only when a generic candidate first needs it.

use std::collections::HashSet;
use std::sync::OnceLock;

const DICTIONARY: &str = include_str!("words.txt");

/// Words the dictionary lacks that test and default credentials are made of.
const TECHNICAL: &[&str] = &[
    "admin",
    "administrator",
    "sysadmin",
    "superuser",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "redis",
    "mongo",
    "mongodb",
    "rabbit",
    "rabbitmq",
    "kafka",
    "jenkins",
    "docker",
    "kube",
    "kubernetes",
    "localhost",
    "qwerty",
    "qwertz",
    "azerty",
    "asdf",
    "asdfgh",
    "zxcv",
    "qazwsx",
    "sesame",
    "letmein",
    "iloveyou",
    "passw",
    "passwd",
    "pwd",
    "pword",
    "foo",
    "bar",
    "baz",
    "qux",
    "quux",
    "corge",
    "grault",
    "garply",
    "waldo",
    "plugh",
    "xyzzy",
    "thud",
    "foobar",
    "lorem",
    "ipsum",
    "dolor",
    "abc",
    "xyz",
    "def",
    "changeit",
    "changeme",
    "dummy",
    "mock",
    "fake",
    "devel",
    "dev",
    "prod",
    "staging",
    "oauth",
    "apikey",
    "api",
    "auth",
    "sso",
    "saml",
    "oidc",
    "jwt",
    "aws",
    "gcp",
    "azure",
    "github",
    "gitlab",
    "bitbucket",
    "slack",
    "stripe",
    "twilio",
    "firebase",
    "google",
    "microsoft",
    "linux",
    "ubuntu",
    "debian",
    "centos",
    "alpine",
    "nginx",
    "apache",
    "tomcat",
    "spring",
    "rails",
    "django",
    "laravel",
    "symfony",
    "npm",
    "yarn",
    "java",
    "python",
    "ruby",
    "php",
    "golang",
    "vault",
    "consul",
    "nomad",
    "terraform",
    "ansible",
    "sudo",
    "toor",
    "raspberry",
    "trustno",
    "sunshine",
    "princess",
    "superman",
    "batman",
    "mypass",
    "mypassword",
    "mysecret",
    "mytoken",
    "username",
    "userpass",
    "login",
    "passcode",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "tokens",
    "config",
    "keystore",
    "truststore",
    "webhook",
    "webapp",
    "backend",
    "frontend",
    "infra",
    "ldap",
    "smtp",
    "imap",
    "http",
    "https",
    "ftp",
    "sftp",
    "ssh",
    "ssl",
    "tls",
    "dns",
    "cdn",
    "url",
    "uri",
    "json",
    "yaml",
    "xml",
    "html",
    "utf",
    "sha",
    "md5",
    "aes",
    "rsa",
    "hmac",
    "bcrypt",
    "scrypt",
    "argon",
    "pbkdf",
    "crypt",
    "uuid",
    "guid",
    "env",
    "var",
    "vars",
    "app",
    "apps",
    "svc",
    "srv",
    "ops",
    "devops",
    "ci",
    "cd",
    "repo",
    "git",
    "svn",
];

/// Words of one or two letters that may appear in a made-up value (`iWishIWere...`).
const SHORT: &[&str] = &[
    "a", "i", "an", "am", "as", "at", "be", "by", "do", "go", "he", "hi", "if", "in", "is", "it",
    "me", "my", "no", "of", "ok", "on", "or", "so", "to", "up", "us", "we", "db", "id", "pw", "pi",
    "ui", "io", "os", "qa", "ci", "cd", "u", "x", "v",
];

fn dictionary() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        DICTIONARY
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .chain(TECHNICAL.iter().copied())
            .collect()
    })
}

fn is_word(w: &str) -> bool {
    (w.len() >= 3 && dictionary().contains(w)) || SHORT.contains(&w)
}

/// True when `run` (lowercase letters) splits entirely into words.
fn segments(run: &str) -> bool {
    let n = run.len();
    if n > 64 {
        return false;
    }
    // reachable[i]: run[..i] splits into words.
    let mut reachable = vec![false; n + 1];
    reachable[0] = true;
    for end in 1..=n {
        for start in end.saturating_sub(16)..end {
            if reachable[start] && is_word(&run[start..end]) {
                reachable[end] = true;
                break;
            }
        }
    }
    reachable[n]
}

/// Every letter of `lower` in a word, with at least one word of three letters or more,
/// and no more digits and symbols than a person adds to a word (`123`, `!@#`, `2024`).
fn made_of_words(lower: &str) -> bool {
    let letters = lower.bytes().filter(u8::is_ascii_alphabetic).count();
    let others = lower.len() - letters;
    if letters < 3 || others > letters.max(6) {
        return false;
    }
    let mut long_run = false;
    for run in lower.split(|c: char| !c.is_ascii_alphabetic()) {
        if run.is_empty() {
            continue;
        }
        if !segments(run) {
            return false;
        }
        long_run |= run.len() >= 3;
    }
    long_run
}

/// `P@55w0rd!` -> `password!`: the common substitutions undone inside words; a group of
/// digits on its own (`-2024`) stays a number.
fn undo_substitutions(lower: &str) -> String {
    let mut out = String::with_capacity(lower.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().any(|c| c.is_ascii_alphabetic()) {
            out.extend(word.chars().map(|c| match c {
                '0' => 'o',
                '1' => 'i',
                '3' => 'e',
                '4' | '@' => 'a',
                '5' | '$' => 's',
                '7' => 't',
                other => other,
            }));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in lower.chars() {
        if c.is_ascii_alphanumeric() || c == '@' || c == '$' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A value a person made up from words: a test password, a passphrase, a name.
pub fn is_made_of_words(value: &[u8]) -> bool {
    if value.len() > 48 || !value.is_ascii() {
        return false;
    }
    let lower = String::from_utf8_lossy(value).to_ascii_lowercase();
    made_of_words(&lower) || made_of_words(&undo_substitutions(&lower))
}

/// Words of an identifier: camelCase, PascalCase with acronyms, snake_case, kebab-case,
/// dotted, colon- and pipe-separated (`SSECustomerKeyMD5` -> SSE, Customer, Key, MD, 5).
fn identifier_words(value: &str) -> Vec<&str> {
    let bytes = value.as_bytes();
    let mut words = Vec::new();
    let mut start = 0;
    let kind = |b: u8| -> u8 {
        if b.is_ascii_uppercase() {
            1
        } else if b.is_ascii_lowercase() {
            2
        } else if b.is_ascii_digit() {
            3
        } else {
            0
        }
    };
    for i in 1..=bytes.len() {
        let split = if i == bytes.len() {
            true
        } else {
            let (a, b) = (kind(bytes[i - 1]), kind(bytes[i]));
            let next_lower = bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            b == 0
                || a == 0
                || (a == 2 && b == 1)
                || (a != b && (a == 3 || b == 3))
                // `SSECustomer`: the last capital of a run starts the next word.
                || (a == 1 && b == 1 && next_lower)
        };
        if split {
            let w = &value[start..i];
            if !w.is_empty() && kind(w.as_bytes()[0]) != 0 {
                words.push(w);
            }
            start = i;
            if i < bytes.len() && kind(bytes[i]) == 0 {
                start = i + 1;
            }
        }
    }
    words
}

/// A name in code rather than a value: every word of the identifier is an English or
/// technical word, an acronym of up to five capitals, or a short number.
/// How many parts [`is_identifier_of_words`] splits `value` into: a name has a few, a
/// random mixed-case value many short ones.
pub fn identifier_part_count(value: &[u8]) -> usize {
    identifier_words(&String::from_utf8_lossy(value)).len()
}

pub fn is_identifier_of_words(value: &[u8]) -> bool {
    if value.len() > 64 || !value.is_ascii() {
        return false;
    }
    let text = String::from_utf8_lossy(value);
    let words = identifier_words(&text);
    // Short parts are abbreviations (`sse`, `md5`, `kv`); two parts must be words written
    // as words (with lower case: `Customer`, `key`), so `pBU94AGAY85e` is no name.
    let real_words = words
        .iter()
        .filter(|w| {
            w.len() >= 3
                && w.bytes().any(|b| b.is_ascii_lowercase())
                && segments(&w.to_ascii_lowercase())
        })
        .count();
    words.len() >= 2
        && real_words >= 2
        && words.iter().all(|w| {
            let lower = w.to_ascii_lowercase();
            (w.bytes().all(|b| b.is_ascii_digit()) && w.len() <= 3)
                || (w.bytes().all(|b| b.is_ascii_uppercase()) && w.len() <= 5)
                || (w.bytes().all(|b| b.is_ascii_alphabetic()) && w.len() <= 3)
                || segments(&lower)
        })
}

/// A header or property name (`X-Minio-Internal-Sealed-Key`, `Content-Security-Policy`):
/// three or more capitalised segments joined by hyphens.
pub fn is_header_name(value: &[u8]) -> bool {
    let segments: Vec<&[u8]> = value.split(|&b| b == b'-').collect();
    segments.len() >= 3
        && segments.iter().all(|s| {
            !s.is_empty()
                && s[0].is_ascii_uppercase()
                && s.iter().all(u8::is_ascii_alphanumeric)
                && (s.len() <= 5 || s[1..].iter().any(u8::is_ascii_lowercase))
        })
}

/// One word (any word, a product name too) and a few digits or symbols: `minio123`,
/// `Harbor12345`, `postgres1!`. A generated value has more than one run of letters.
pub fn is_word_and_digits(value: &[u8]) -> bool {
    if value.len() > 24 || !value.is_ascii() {
        return false;
    }
    let letters: Vec<u8> = value
        .iter()
        .copied()
        .filter(u8::is_ascii_alphabetic)
        .collect();
    let first = value.iter().position(u8::is_ascii_alphabetic);
    let last = value.iter().rposition(u8::is_ascii_alphabetic);
    let (Some(first), Some(last)) = (first, last) else {
        return false;
    };
    let one_run = value[first..=last].iter().all(u8::is_ascii_alphabetic);
    let word_case = letters[1..].iter().all(u8::is_ascii_lowercase)
        || letters.iter().all(u8::is_ascii_uppercase);
    let rest = value.len() - letters.len();
    one_run && word_case && letters.len() >= 3 && (1..=6).contains(&rest) && first == 0
}

/// Keyboard rows, for runs like `qwertyuiop` and `asdfghjkl`.
const ROWS: &[&str] = &["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

fn row_position(c: u8) -> Option<(usize, usize)> {
    ROWS.iter()
        .enumerate()
        .find_map(|(r, row)| row.bytes().position(|k| k == c).map(|p| (r, p)))
}

/// A sequence or a keyboard run: most neighbouring characters are equal, next to each
/// other in the alphabet (`abcdef`, `ponmlk`, `aabbcc`, `123456`) or on the keyboard.
pub fn is_sequence(value: &[u8]) -> bool {
    if value.len() < 8 {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let steps = lower
        .windows(2)
        .filter(|w| {
            let d = w[0] as i16 - w[1] as i16;
            let keyboard = match (row_position(w[0]), row_position(w[1])) {
                (Some((r1, p1)), Some((r2, p2))) => r1 == r2 && p1.abs_diff(p2) == 1,
                _ => false,
            };
            d.abs() <= 1 || keyboard
        })
        .count();
    steps * 10 >= (lower.len() - 1) * 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_passwords_are_words() {
        for v in [
            "hunter2",
            "hunter42",
            "Forge123",
            "AnotherStrongPass!",
            "iWishIWereCoolEnoughForRoot!",
            "AbcDef123!@#",
            "P@55w0rd!",
            "s3cr3tP4ss-2024",
            "correct-horse-battery-staple",
            "postgres",
            "Something1",
            "debug2",
            "opensesame",
        ] {
            assert!(is_made_of_words(v.as_bytes()), "{v} is made of words");
        }
        for v in [
            "Xk9#mQ2$vLp8",
            "hK3x9Qm2Lp7Vz4Rt",
            "Zq7!vR2m-Kp9w",
            "7ad3773142a6692b25b8",
            "wJ9rXUtnFEMIK7MDENGbPxRfiCYq2LhTk0aZ1v8s",
            "mUc3m00RsqyRe",
            "FmTKs5vX52ufKR1rd8tn4MoSP7zvCJwb",
        ] {
            assert!(!is_made_of_words(v.as_bytes()), "{v} looks random");
        }
    }

    #[test]
    fn identifiers_made_of_words_are_names() {
        for v in [
            "SSECustomerKeyMD5",
            "encryptionKey2",
            "source_sse_c_key_md5",
            "Get-AnsibleParam",
            "scram-sha-256",
            "secret-id:secret-string:json-key",
            "required|confirmed",
            "accessKeyV2",
        ] {
            assert!(is_identifier_of_words(v.as_bytes()), "{v} is a name");
        }
        for v in [
            "hK3x9Qm2Lp7Vz4Rt",
            "Xk3aqdwj74Uk0ccSu",
            "GsP1tHXSsrwRNVI55W",
            "pBU94AGAY85e",
        ] {
            assert!(!is_identifier_of_words(v.as_bytes()), "{v} is no name");
        }
        assert!(is_header_name(
            b"X-Minio-Internal-Server-Side-Encryption-S3-Kms-Sealed-Key"
        ));
        assert!(is_header_name(b"Content-Security-Policy"));
        assert!(!is_header_name(b"Kk9yAV-isZRDC92-Yhl7"));
    }

    #[test]
    fn a_word_with_digits_is_a_made_up_password() {
        for v in ["minio123", "Harbor12345", "postgres1!", "FORGE2024"] {
            assert!(is_word_and_digits(v.as_bytes()), "{v}");
        }
        for v in [
            "pBU94AGAY85e",
            "kx7qw2p9",
            "123minio",
            "Xk9mQ2vLp8",
            "miNio123",
        ] {
            assert!(!is_word_and_digits(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn sequences_and_keyboard_runs() {
        for v in [
            "aabbccddeeff00112233",
            "ponmlkjihgfedcba",
            "qwertyuiop",
            "asdfghjkl",
            "1234567890",
        ] {
            assert!(is_sequence(v.as_bytes()), "{v} is a run");
        }
        for v in ["hK3x9Qm2Lp7Vz4Rt", "7ad3773142a6692b25b8"] {
            assert!(!is_sequence(v.as_bytes()), "{v} is no run");
        }
    }
}
