//! The values of a Kubernetes Secret manifest's `data:`, decoded under their keys.
//!
//! A Secret's `data:` holds every value base64-encoded, so a password committed in a
//! manifest (`db-password: VHI0dWJhZG9yLTIwMjQh`) never matches a detector as written, and
//! the token markers of [`super::layers`] only catch values with a known prefix. In a
//! buffer that declares `kind: Secret`, each `key: <base64>` entry under `data:` is decoded
//! and searched again as `key: "<value>"` (a one-line value) or as the decoded text itself
//! (an encoded env or properties file), so the key's name gives the generic detectors the
//! context they need. What is found there is reported at the encoded value's place with
//! the `base64` layer, like any decoded value. The JSON form (`kubectl get secret -o json`,
//! pretty or compact, a `List` of them) is walked the same way.

use std::ops::Range;

/// What marks a buffer worth walking (the prefilter looks for them, ASCII
/// case-insensitively): a YAML manifest's line and a JSON one's member, spaced or not.
pub const MARKERS: [&str; 3] = [
    "kind: secret",
    "\"kind\": \"secret\"",
    "\"kind\":\"secret\"",
];

/// Shortest encoded value looked at: 8 characters decode to 6 bytes, below any secret.
const MIN_VALUE: usize = 8;
/// Longest encoded value looked at (a kubeconfig or a certificate chain fits).
const MAX_VALUE: usize = 64 * 1024;

/// One entry of a `data:` map: the key's bytes and the encoded value's, in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: Range<usize>,
    pub value: Range<usize>,
}

/// The entries of every `data` map of a Secret manifest in `buf`: YAML (several documents
/// separated by `---` are fine) or JSON. A buffer that declares no `kind: Secret` (or
/// `"kind": "Secret"`) has none.
pub fn data_entries(buf: &[u8]) -> Vec<Entry> {
    let mut out = yaml_data_entries(buf);
    out.extend(json_data_entries(buf));
    out
}

fn yaml_data_entries(buf: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    let lines = lines(buf);
    if !lines
        .iter()
        .any(|l| trimmed(&buf[l.clone()]) == b"kind: Secret")
    {
        return out;
    }
    // Indentation of the `data:` line whose map we are in.
    let mut in_data: Option<usize> = None;
    for line in lines {
        let text = &buf[line.clone()];
        let body = trimmed(text);
        if body.is_empty() || body.starts_with(b"#") {
            continue;
        }
        let indent = text.len() - trim_start(text).len();
        if let Some(data_indent) = in_data {
            if indent <= data_indent {
                in_data = None;
            } else if let Some(entry) = entry(buf, line.clone(), indent) {
                out.push(entry);
                continue;
            } else {
                continue;
            }
        }
        if body == b"data:" {
            in_data = Some(indent);
        }
    }
    out
}

/// The members of every JSON object under a `"data"` key, in a buffer holding a member
/// `"kind": "Secret"`. A JSON `data` map is flat (string keys to base64 strings), so a
/// small scanner over the bytes finds it pretty-printed or compact, and a member it cannot
/// read (an escape in a key, a value that is not a string) ends that map, never the scan.
fn json_data_entries(buf: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    let declares_secret = memchr::memmem::find_iter(buf, b"\"kind\"")
        .any(|at| json_string_after_colon(buf, at + 6).is_some_and(|r| &buf[r] == b"Secret"));
    if !declares_secret {
        return out;
    }
    for at in memchr::memmem::find_iter(buf, b"\"data\"") {
        let Some(mut i) = json_after_colon(buf, at + 6) else {
            continue;
        };
        if buf.get(i) != Some(&b'{') {
            continue;
        }
        i += 1;
        loop {
            i = skip_json_space(buf, i);
            let Some(key) = json_string(buf, i) else {
                break;
            };
            let Some(value) = json_string_after_colon(buf, key.end + 1) else {
                break;
            };
            if is_encoded_value(&buf[value.clone()]) && key.start < key.end {
                out.push(Entry {
                    key: key.clone(),
                    value: value.clone(),
                });
            }
            i = skip_json_space(buf, value.end + 1);
            if buf.get(i) != Some(&b',') {
                break;
            }
            i += 1;
        }
    }
    out
}

/// The contents of the JSON string opening at `at` (no escapes: keys and base64 values of
/// a `data` map have none).
fn json_string(buf: &[u8], at: usize) -> Option<Range<usize>> {
    if buf.get(at) != Some(&b'"') {
        return None;
    }
    let len = buf[at + 1..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')?;
    (buf[at + 1 + len] == b'"').then_some(at + 1..at + 1 + len)
}

/// Where the value after a member's `:` starts, from `at` just past its key.
fn json_after_colon(buf: &[u8], at: usize) -> Option<usize> {
    let i = skip_json_space(buf, at);
    (buf.get(i) == Some(&b':')).then(|| skip_json_space(buf, i + 1))
}

fn json_string_after_colon(buf: &[u8], at: usize) -> Option<Range<usize>> {
    json_string(buf, json_after_colon(buf, at)?)
}

fn skip_json_space(buf: &[u8], mut i: usize) -> usize {
    while buf
        .get(i)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        i += 1;
    }
    i
}

/// A value worth decoding: base64 of a plausible length.
fn is_encoded_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        && (MIN_VALUE..=MAX_VALUE).contains(&value.len())
        && value.len().is_multiple_of(4)
}

/// `key: value` on `line`, the value base64 (optionally quoted).
fn entry(buf: &[u8], line: Range<usize>, indent: usize) -> Option<Entry> {
    let text = &buf[line.clone()];
    let colon = text.iter().position(|&b| b == b':')?;
    let key = line.start + indent..line.start + colon;
    let mut value_start = colon + 1;
    while text.get(value_start) == Some(&b' ') {
        value_start += 1;
    }
    let mut value_end = text.len();
    while value_end > value_start && matches!(text[value_end - 1], b' ' | b'\r') {
        value_end -= 1;
    }
    for quote in [b'"', b'\''] {
        if value_end - value_start >= 2
            && text[value_start] == quote
            && text[value_end - 1] == quote
        {
            value_start += 1;
            value_end -= 1;
        }
    }
    (key.start < key.end && is_encoded_value(&text[value_start..value_end])).then(|| Entry {
        key,
        value: line.start + value_start..line.start + value_end,
    })
}

/// The text to search for `entry`: `key: "value"` for a one-line value, the decoded text
/// for a multi-line one; `None` when the value is not text (a keystore, an image).
pub fn searchable(buf: &[u8], entry: &Entry, decoded: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(decoded).ok()?;
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return None;
    }
    let value = text.trim_end_matches(['\n', '\r']);
    if value.contains('\n') {
        return Some(decoded.to_vec());
    }
    if value.contains('"') || value.contains('\\') {
        // Quoting would change it; single quotes keep YAML's meaning for anything else.
        let mut out = buf[entry.key.clone()].to_vec();
        out.extend_from_slice(b": '");
        out.extend_from_slice(value.replace('\'', "''").as_bytes());
        out.extend_from_slice(b"'\n");
        return Some(out);
    }
    let mut out = buf[entry.key.clone()].to_vec();
    out.extend_from_slice(b": \"");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\"\n");
    Some(out)
}

fn lines(buf: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', buf) {
        out.push(start..end);
        start = end + 1;
    }
    if start < buf.len() {
        out.push(start..buf.len());
    }
    out
}

fn trim_start(text: &[u8]) -> &[u8] {
    let n = text.iter().take_while(|&&b| b == b' ').count();
    &text[n..]
}

fn trimmed(text: &[u8]) -> &[u8] {
    text.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_of_data_maps_only_in_secret_manifests() {
        let yaml = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels:\n    app: QUJDREVGR0g=\ndata:\n  # the password\n  db-password: 'VHI0dWJhZG9yLTIwMjQh'\n  short: QUJD\n  not-b64: hello world\nstringData:\n  user: app\n";
        let got: Vec<(&[u8], &[u8])> = data_entries(yaml)
            .iter()
            .map(|e| (&yaml[e.key.clone()], &yaml[e.value.clone()]))
            .collect();
        assert_eq!(
            got,
            [(&b"db-password"[..], &b"VHI0dWJhZG9yLTIwMjQh"[..])],
            "labels, short and non-base64 values and stringData are not data entries"
        );
        let config_map = b"kind: ConfigMap\ndata:\n  password: VHI0dWJhZG9yLTIwMjQh\n";
        assert!(data_entries(config_map).is_empty());
    }

    fn pairs(buf: &[u8]) -> Vec<(&[u8], &[u8])> {
        data_entries(buf)
            .iter()
            .map(|e| (&buf[e.key.clone()], &buf[e.value.clone()]))
            .collect()
    }

    #[test]
    fn entries_of_json_secrets_pretty_or_compact() {
        let pretty = br#"{
    "apiVersion": "v1",
    "data": {
        "db-password": "VHI0dWJhZG9yLTIwMjQh",
        "short": "QUJD",
        "port": 5432
    },
    "kind": "Secret"
}"#;
        assert_eq!(
            pairs(pretty),
            [(&b"db-password"[..], &b"VHI0dWJhZG9yLTIwMjQh"[..])],
            "a short value is skipped, a number ends the map"
        );
        let compact =
            br#"{"kind":"List","items":[{"kind":"Secret","data":{"a":"QUJDREVGR0g=","b":"SUpLTE1OT1A="}}]}"#;
        assert_eq!(
            pairs(compact),
            [
                (&b"a"[..], &b"QUJDREVGR0g="[..]),
                (&b"b"[..], &b"SUpLTE1OT1A="[..])
            ]
        );
        let config_map = br#"{"kind": "ConfigMap", "data": {"password": "VHI0dWJhZG9yLTIwMjQh"}}"#;
        assert!(pairs(config_map).is_empty());
        let cut = br#"{"kind": "Secret", "data": {"password": "VHI0dWJhZG9y"#;
        assert!(pairs(cut).is_empty(), "an unterminated value is not read");
    }

    #[test]
    fn a_value_is_searched_under_its_key_or_as_the_text_it_encodes() {
        let yaml = b"kind: Secret\ndata:\n  db-password: eDEyMzQ1Njc=\n";
        let e = data_entries(yaml).remove(0);
        assert_eq!(&yaml[e.key.clone()], b"db-password");
        assert_eq!(
            searchable(yaml, &e, b"Tr4ubador-2024!\n").unwrap(),
            b"db-password: \"Tr4ubador-2024!\"\n"
        );
        assert_eq!(
            searchable(yaml, &e, b"A=1\nDB_PASSWORD=x\n").unwrap(),
            b"A=1\nDB_PASSWORD=x\n"
        );
        assert!(searchable(yaml, &e, &[0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).is_none());
    }
}
