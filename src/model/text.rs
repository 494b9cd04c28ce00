//! Text that leaves nhiscan for a human: sizes in words, and strings made safe to print.
//!
//! File names, git author names, JWT claims and API error messages are written by whoever
//! controls the scanned repository or server. Printed raw, an ESC byte in an author name
//! can set a terminal's title, clear its screen or forge a line of nhiscan's own output.
//! [`printable`] escapes every control character (C0, DEL, C1, and the Unicode controls
//! that reorder text) so what reaches a terminal is exactly what was seen, made visible.

use std::borrow::Cow;

/// `50.0 MiB`, `512 B`.
pub fn human_size(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// True for characters that must not reach a terminal as they are.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides and isolates reorder what a reader sees
        // ("Trojan Source"); zero-width joiners hide text.
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `s` with every control character written as a visible escape (`\x1b`, `\u{202e}`); tab
/// and newline too, so one value stays one line. Borrowed when nothing needed escaping.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// Like [`printable`], for a multi-line message: newlines stay, every other control
/// character is escaped.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(printable).collect();
    Cow::Owned(lines.join("\n"))
}

/// At most `max` characters of `s`, with `…` when cut.
pub fn bounded(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((i, _)) => Cow::Owned(format!("{}…", &s[..i])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(printable("plain name"), "plain name");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(
            printable("x\u{1b}]0;owned\u{7}\u{1b}[2J"),
            "x\\x1b]0;owned\\x07\\x1b[2J"
        );
        assert_eq!(printable("a\tb\nc\rd\u{7f}"), "a\\x09b\\x0ac\\x0dd\\x7f");
        assert_eq!(printable("C1 \u{9b}31m"), "C1 \\u{9b}31m");
        assert_eq!(printable("admin\u{202e}txt.exe"), "admin\\u{202e}txt.exe");
        assert_eq!(printable("ünïcödé 名前"), "ünïcödé 名前");
        assert_eq!(printable_lines("one\ntwo\u{1b}[1m"), "one\ntwo\\x1b[1m");
    }

    #[test]
    fn sizes_and_bounds() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(50 * 1024 * 1024), "50.0 MiB");
        assert_eq!(bounded("abcdef", 3), "abc…");
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("ééé", 2), "éé…");
    }
}
