//! Text in UTF-16: Windows configuration, PowerShell scripts and `.reg` exports are often
//! saved that way, and every other byte of such a file is NUL, so the binary sniff would
//! skip it. A byte-order mark, or NULs on one side of nearly every ASCII character, marks
//! UTF-16; the text is transcoded to UTF-8 and scanned like any other, with `utf-16`
//! recorded as the decoding layer of what is found in it.

/// Byte order of a UTF-16 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    Little,
    Big,
}

/// Code units examined for the NUL pattern of a text without a byte-order mark.
const SNIFF_UNITS: usize = 512;

/// The byte order of `head` (a file's first bytes) when it is UTF-16 text: a byte-order
/// mark, or (without one) at least 16 code units of which nine in ten are ASCII with the
/// NUL on the same side. Binary formats have NULs in no such regular pattern.
pub fn detect(head: &[u8]) -> Option<ByteOrder> {
    match head {
        [0xFF, 0xFE, ..] => return Some(ByteOrder::Little),
        [0xFE, 0xFF, ..] => return Some(ByteOrder::Big),
        _ => {}
    }
    let units = (head.len() / 2).min(SNIFF_UNITS);
    if units < 16 {
        return None;
    }
    let ascii = |b: u8| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7F).contains(&b);
    let (mut little, mut big) = (0, 0);
    for pair in head[..units * 2].chunks_exact(2) {
        if pair[1] == 0 && ascii(pair[0]) {
            little += 1;
        } else if pair[0] == 0 && ascii(pair[1]) {
            big += 1;
        }
    }
    if little * 10 >= units * 9 {
        Some(ByteOrder::Little)
    } else if big * 10 >= units * 9 {
        Some(ByteOrder::Big)
    } else {
        None
    }
}

/// `bytes` (without a trailing odd byte) as UTF-8, the byte-order mark dropped and
/// unpaired surrogates replaced, into `out`.
pub fn transcode(bytes: &[u8], order: ByteOrder, out: &mut Vec<u8>) {
    let units = bytes.chunks_exact(2).map(|p| match order {
        ByteOrder::Little => u16::from_le_bytes([p[0], p[1]]),
        ByteOrder::Big => u16::from_be_bytes([p[0], p[1]]),
    });
    out.clear();
    out.reserve(bytes.len() / 2);
    let mut utf8 = [0u8; 4];
    for (i, c) in char::decode_utf16(units).enumerate() {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        if i == 0 && c == '\u{FEFF}' {
            continue;
        }
        out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn utf16_text_is_recognised_with_or_without_a_byte_order_mark() {
        let text = "$password = \"Kq8Zr3Wn5Xv1Lt7M\"\r\nWrite-Host 'done'\r\n";
        assert_eq!(detect(&utf16le(text, true)), Some(ByteOrder::Little));
        assert_eq!(detect(&utf16le(text, false)), Some(ByteOrder::Little));
        let big: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(detect(&big), Some(ByteOrder::Big));
        let mut out = Vec::new();
        transcode(&utf16le(text, true), ByteOrder::Little, &mut out);
        assert_eq!(out, text.as_bytes());
    }

    #[test]
    fn binary_files_and_plain_text_are_not_utf16() {
        assert_eq!(
            detect(b"plain ASCII text, long enough to be sniffed at all"),
            None
        );
        // An ELF header and a PNG: NULs, but not one beside every character.
        let mut elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        elf.extend([0x03, 0x00, 0x3e, 0x00, 0x01, 0x00, 0x00, 0x00].repeat(8));
        assert_eq!(detect(&elf), None);
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00"), None);
    }
}
