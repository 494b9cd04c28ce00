//! Values under a decoding layer: a private key or certificate base64-encoded inside a
//! YAML value (`tls.key: LS0tLS1CRUdJTi...`), a MIME part or a JSON string.
//!
//! Decoding every base64 run of every file would double the cost of a scan. Instead the
//! prefilter also looks for the base64 encodings of `-----BEGIN ` at its three alignments;
//! only a run holding one is decoded, and the detectors run once more on the decoded bytes
//! (one layer deep). A value found there is reported at the encoded run's place, with
//! `base64` as its decoding layer.

use std::ops::Range;

/// `-----BEGIN ` in base64, at each of the three byte alignments (the characters every
/// encoding of it shares).
pub const BASE64_MARKERS: &[&str] = &["LS0tLS1CRUdJ", "0tLS0tQkVHSU", "tLS0tLUJFR0l"];

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
    fn the_markers_are_in_every_encoding_of_a_pem_header() {
        for prefix in ["", "x", "xy"] {
            let text = format!("{prefix}-----BEGIN EC PRIVATE KEY-----\nabc");
            let enc = base64::engine::general_purpose::STANDARD.encode(text);
            assert!(
                BASE64_MARKERS.iter().any(|m| enc.contains(m)),
                "{enc} holds a marker"
            );
        }
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
