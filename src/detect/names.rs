//! The name a generic value is assigned to (`next_token = "..."`, `secret_name: ...`):
//! words in it that say the value is metadata about a secret, not the secret.

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
    "authenticity",
    "hash",
    "hashed",
    "digest",
    "checksum",
    "fingerprint",
    "md5",
    "sha1",
    "sha256",
    "public",
    "pub",
    "sealed",
    "encrypted",
    "ciphertext",
    "cache",
    "partition",
    "sort",
    "primary",
    "foreign",
    "lookup",
    "object",
    "row",
    "dedup",
    "routing",
    "shard",
    "index",
    "unique",
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
