//! Values under a decoding layer: a private key or certificate base64-encoded inside a
//! YAML value (`tls.key: LS0tLS1CRUdJTi...`), a MIME part or a JSON string.
//!
//! Decoding every base64 run of every file would double the cost of a scan. Instead the
//! prefilter also looks for the base64 encodings of `-----BEGIN ` and of the prefixes of
//! the commonest token formats (`ghp_`, `glpat-`, `xoxb-`, `AKIA`, ...) at their three
//! alignments; only a run holding one is decoded, and the detectors run once more on the
//! decoded bytes (one layer deep). That covers a Kubernetes Secret manifest's `data:`, a
//! `.dockerconfigjson`, Helm values and base64 blobs in CI configuration. A value found there
//! is reported at the encoded run's place, with `base64` as its decoding layer, and is
//! fingerprinted as decoded, so it is the same identity as the value seen in plain.

use std::ops::Range;

/// Plain texts whose base64 encodings mark a run worth decoding: a PEM header, and the
/// fixed prefixes of token formats whose detectors need no keyword besides the prefix.
const ENCODED_PREFIXES: &[&str] = &[
    "-----BEGIN ",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glrt-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxe.",
    "xapp-",
    "sk_live_",
    "rk_live_",
    "AKIA",
    "ASIA",
    "AIza",
    "sk-proj-",
    "sk-ant-",
    "sk-svcacct-",
    "npm_",
    "hvs.",
    "dop_v1_",
    "shpat_",
    "pypi-AgE",
    "glsa_",
];

/// Shortest marker: four base64 characters matched case-insensitively occur by chance in
/// a large image every few kilobytes; five, every few megabytes.
const MIN_MARKER: usize = 5;

/// The base64 markers: for each prefix, at each of the three byte alignments it can have
/// inside an encoded text, the characters every encoding of it shares (those whose six
/// bits come from the prefix alone), when there are at least [`MIN_MARKER`] of them.
pub fn base64_markers() -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut markers = Vec::new();
    for prefix in ENCODED_PREFIXES {
        let bits: Vec<u8> = prefix
            .bytes()
            .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
            .collect();
        for lead in 0..3usize {
            // Characters start every 6 bits of the encoded stream; the prefix starts at
            // bit 8 * lead. A character is the prefix's alone when its 6 bits lie inside it.
            let offset = 8 * lead;
            let first = offset.div_ceil(6);
            let mut marker = String::new();
            let mut i = first;
            while 6 * i + 6 <= offset + bits.len() {
                let start = 6 * i - offset;
                let v = bits[start..start + 6]
                    .iter()
                    .fold(0usize, |a, &b| a << 1 | b as usize);
                marker.push(ALPHABET[v] as char);
                i += 1;
            }
            if marker.len() >= MIN_MARKER {
                markers.push(marker);
            }
        }
    }
    markers.sort();
    markers.dedup();
    markers
}

/// Longest encoded run decoded (a keystore or certificate chain fits easily).
const MAX_RUN: usize = 256 * 1024;

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// The base64 run around `hit`: on its line, continued over line breaks where the next
/// line carries on the run (MIME and PEM wrap base64 at 64 or 76 characters).
pub fn run_around(buf: &[u8], hit: usize) -> Range<usize> {
    let mut start = hit;
    while start > 0 && is_base64(buf[start - 1]) && hit - start < MAX_RUN {
        start -= 1;
    }
    let mut end = hit;
    loop {
        while end < buf.len() && is_base64(buf[end]) && end - start < MAX_RUN {
            end += 1;
        }
        // A wrapped run: a line break, then more base64 of the same block.
        let mut next = end;
        if buf.get(next) == Some(&b'\r') {
            next += 1;
        }
        if buf.get(next) == Some(&b'\n')
            && buf.get(next + 1).is_some_and(|&b| is_base64(b))
            && end - start < MAX_RUN
            && line_is_base64(buf, next + 1)
        {
            end = next + 1;
            continue;
        }
        return start..end;
    }
}

/// True when the line starting at `at` is base64 only (a wrapped continuation, not a
/// YAML key such as `tls.crt: ...`).
fn line_is_base64(buf: &[u8], at: usize) -> bool {
    let end = memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |i| at + i);
    let line = &buf[at..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    !line.is_empty() && line.iter().all(|&b| is_base64(b))
}

fn sextet(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Decode `encoded` (standard or URL-safe alphabet, line breaks ignored) as far as it is
/// valid; a run with trailing text decodes up to that text.
pub fn decode(encoded: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut acc = 0u32;
    let mut bits = 0;
    for &b in encoded {
        if b == b'\n' || b == b'\r' {
            continue;
        }
        if b == b'=' {
            break;
        }
        let Some(v) = sextet(b) else { break };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn the_markers_are_in_every_encoding_of_a_pem_header_and_of_long_prefixes() {
        let markers = base64_markers();
        for text in [
            "-----BEGIN EC PRIVATE KEY-----\nabc",
            "github_pat_11ABCDEFG",
            "glpat-xyz",
        ] {
            for lead in ["", "x", "xy"] {
                let enc = base64::engine::general_purpose::STANDARD.encode(format!("{lead}{text}"));
                assert!(
                    markers.iter().any(|m| enc.contains(m.as_str())),
                    "{enc} holds a marker"
                );
            }
        }
        // A four-byte prefix has a five-character marker where the value starts the
        // encoded text (a Kubernetes Secret's value), the commonest place.
        let enc = base64::engine::general_purpose::STANDARD.encode("ghp_0123456789");
        assert!(markers.iter().any(|m| enc.starts_with(m.as_str())), "{enc}");
        assert!(markers.iter().all(|m| m.len() >= MIN_MARKER));
    }

    #[test]
    fn a_run_ends_at_its_value_and_follows_wrapped_lines() {
        let yaml = b"data:\n  tls.key: QUJDREVG\n  tls.crt: R0hJSktM\n";
        let at = yaml.windows(4).position(|w| w == b"QUJD").unwrap();
        let run = run_around(yaml, at + 1);
        assert_eq!(&yaml[run.clone()], b"QUJDREVG");
        let mut out = Vec::new();
        decode(&yaml[run], &mut out);
        assert_eq!(out, b"ABCDEF");
        let mime = b"\nQUJDREVG\nR0hJSktM\n\n--boundary";
        let run = run_around(mime, 2);
        decode(&mime[run], &mut out);
        assert_eq!(out, b"ABCDEFGHIJKL");
    }
}
