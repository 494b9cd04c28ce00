//! Values written with escapes: `https:\/\/hooks.slack.com\/services\/...` as PHP's
//! `json_encode` and many JSON writers emit URLs, `\u002F` and `\"` in JSON and YAML
//! double-quoted strings, and percent-encoding in query strings, form bodies and
//! connection settings (`client_secret=wJalr%2FK7MDENG%2Bbx`).
//!
//! Such a value does not match its detector as written, or matches with the escapes in it
//! and so fingerprints differently from the same value seen in plain elsewhere. The first
//! prefilter stage also looks for the escapes below; a line holding one is unescaped (the
//! line only, bounded) and searched again, and a value found there is kept only when its
//! bytes on disk held an escape (else the plain search already reported it). It is
//! reported at its place on disk with its layer (`json-escape` or `url`), and fingerprinted
//! as unescaped.

use crate::model::Encoding;

/// What the prefilter looks for, matched ASCII case-insensitively: JSON's escaped slash
/// and `\u00XX` escapes, and the percent-escapes of the characters that change a
/// credential when encoded (`/ + = @ :` and `$ & !`, which random passwords hold).
pub const MARKERS: &[(&str, Encoding)] = &[
    ("\\/", Encoding::JsonEscape),
    ("\\u00", Encoding::JsonEscape),
    ("%2f", Encoding::Url),
    ("%2b", Encoding::Url),
    ("%3d", Encoding::Url),
    ("%40", Encoding::Url),
    ("%3a", Encoding::Url),
    ("%24", Encoding::Url),
    ("%26", Encoding::Url),
    ("%21", Encoding::Url),
];

/// `raw` unescaped into `out`, with `map[i]` the offset in `raw` where `out[i]` came from
/// and one more entry for the end, so a span of `out` maps back to its bytes on disk.
/// An escape that is malformed, or that would give a non-ASCII byte, is kept as written.
pub fn unescape(encoding: Encoding, raw: &[u8], out: &mut Vec<u8>, map: &mut Vec<usize>) {
    out.clear();
    map.clear();
    let mut i = 0;
    while i < raw.len() {
        let (byte, width) = match encoding {
            Encoding::Url => url_escape(&raw[i..]),
            _ => json_escape(&raw[i..]),
        }
        .unwrap_or((raw[i], 1));
        out.push(byte);
        map.push(i);
        i += width;
    }
    map.push(raw.len());
}

/// The byte a JSON/YAML escape at the start of `s` stands for, and the escape's length.
fn json_escape(s: &[u8]) -> Option<(u8, usize)> {
    if s.first() != Some(&b'\\') {
        return None;
    }
    match *s.get(1)? {
        b'/' => Some((b'/', 2)),
        b'\\' => Some((b'\\', 2)),
        b'"' => Some((b'"', 2)),
        b'n' => Some((b'\n', 2)),
        b't' => Some((b'\t', 2)),
        b'r' => Some((b'\r', 2)),
        b'u' => {
            let v = u32::from_str_radix(std::str::from_utf8(s.get(2..6)?).ok()?, 16).ok()?;
            u8::try_from(v)
                .ok()
                .filter(|b| b.is_ascii() && *b != 0)
                .map(|b| (b, 6))
        }
        _ => None,
    }
}

/// The byte a percent-escape at the start of `s` stands for, and its length (3).
fn url_escape(s: &[u8]) -> Option<(u8, usize)> {
    if s.first() != Some(&b'%') {
        return None;
    }
    let v = u8::from_str_radix(std::str::from_utf8(s.get(1..3)?).ok()?, 16).ok()?;
    (v.is_ascii_graphic()).then_some((v, 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(encoding: Encoding, raw: &str) -> (String, Vec<usize>) {
        let (mut out, mut map) = (Vec::new(), Vec::new());
        unescape(encoding, raw.as_bytes(), &mut out, &mut map);
        (String::from_utf8(out).unwrap(), map)
    }

    #[test]
    fn json_escapes_unescape_and_map_back_to_the_bytes_on_disk() {
        let (text, map) = run(Encoding::JsonEscape, r#"a\/b\u002Fc\"d\x"#);
        assert_eq!(text, r#"a/b/c"d\x"#);
        // `/` (the second) came from the 6-byte `\u002F` at offset 4.
        assert_eq!(map[3], 4);
        assert_eq!(map[4], 10);
        assert_eq!(*map.last().unwrap(), 16);
        // Not ASCII, or NUL: kept as written.
        assert_eq!(
            run(Encoding::JsonEscape, r"\u00e9\u0000").0,
            r"\u00e9\u0000"
        );
    }

    #[test]
    fn percent_escapes_unescape_printable_ascii_only() {
        assert_eq!(run(Encoding::Url, "wJalr%2FK7%2bx%3D").0, "wJalr/K7+x=");
        assert_eq!(run(Encoding::Url, "100%25%0A%zz%4").0, "100%%0A%zz%4");
    }
}
