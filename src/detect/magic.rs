//! Binary credential files recognised by their first bytes: PKCS#12 and Java keystores.
//!
//! A keystore is binary, so the text scanner skips it; but a `.p12` or `.jks` committed to
//! a repository usually holds a private key (protected by a password that tends to sit in
//! the same repository). Detectors declare such formats with `magic`: hex bytes at the
//! start of the file, `??` for any byte. Their examples are hex too.

/// One byte of a magic pattern: fixed, or any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Byte {
    Is(u8),
    Any,
}

/// A compiled magic pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Magic(Vec<Byte>);

impl Magic {
    /// `"30 82 ?? ?? 02 01 03"`: hex bytes separated by spaces, `??` for any byte.
    pub fn parse(text: &str) -> Result<Magic, String> {
        let bytes = text
            .split_whitespace()
            .map(|b| match b {
                "??" => Ok(Byte::Any),
                hex if hex.len() == 2 => u8::from_str_radix(hex, 16)
                    .map(Byte::Is)
                    .map_err(|_| format!("`{hex}` in magic `{text}` is not a hex byte")),
                other => Err(format!(
                    "`{other}` in magic `{text}` is neither a hex byte nor `??`"
                )),
            })
            .collect::<Result<Vec<Byte>, String>>()?;
        if bytes.iter().filter(|b| matches!(b, Byte::Is(_))).count() < 4 {
            return Err(format!(
                "magic `{text}` needs at least 4 fixed bytes to be specific"
            ));
        }
        Ok(Magic(bytes))
    }

    /// True when `data` starts with the pattern.
    pub fn matches(&self, data: &[u8]) -> bool {
        data.len() >= self.0.len()
            && self.0.iter().zip(data).all(|(m, b)| match m {
                Byte::Is(v) => v == b,
                Byte::Any => true,
            })
    }
}

/// Whether a Java keystore (JKS or JCEKS) holds a key: `Some(true)` for a private or
/// secret key entry, `Some(false)` for certificates only (a truststore: public), `None`
/// when the entries cannot be read. The entry list is not encrypted; only the keys are.
pub fn java_keystore_has_key(data: &[u8]) -> Option<bool> {
    let mut r = Reader { data, at: 0 };
    let magic = r.u32()?;
    if magic != 0xfeed_feed && magic != 0xcece_cece {
        return None;
    }
    let version = r.u32()?;
    let count = r.u32()?;
    for _ in 0..count.min(10_000) {
        match r.u32()? {
            // A private key entry, or (JCEKS) a secret key entry: the store holds a key.
            1 | 3 => return Some(true),
            2 => {
                r.utf()?; // alias
                r.skip(8)?; // creation date
                if version == 2 {
                    r.utf()?; // certificate type
                }
                let len = r.u32()? as usize;
                r.skip(len)?;
            }
            _ => return None,
        }
    }
    Some(false)
}

/// Whether a PKCS#12 file holds a key: `Some(true)` when a key bag's type (RFC 7292:
/// keyBag, pkcs8ShroudedKeyBag) is visible, `Some(false)` when only certificate bags are
/// and nothing is encrypted, `None` when an encrypted container may hide either.
pub fn pkcs12_has_key(data: &[u8]) -> Option<bool> {
    // OID prefix 1.2.840.113549.1.12.10.1 (bag types), then .1 keyBag or .2 shrouded.
    const BAG: &[u8] = &[
        0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01,
    ];
    // 1.2.840.113549.1.7.6: encryptedData, whose bags cannot be read without the password.
    const ENCRYPTED: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06,
    ];
    let mut key = false;
    for at in memchr::memmem::find_iter(data, BAG) {
        key |= matches!(data.get(at + BAG.len()), Some(1 | 2));
    }
    if key {
        Some(true)
    } else if memchr::memmem::find(data, ENCRYPTED).is_some() {
        None
    } else {
        Some(false)
    }
}

/// Big-endian reads over a byte slice, `None` past its end.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let bytes = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(bytes)
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A Java `writeUTF` string: a u16 length, then that many bytes.
    fn utf(&mut self) -> Option<()> {
        let b = self.take(2)?;
        let len = u16::from_be_bytes([b[0], b[1]]) as usize;
        self.skip(len)
    }
}

/// Bytes of a hex example (`"fe ed fe ed 00 00 00 02"`), for the self-test.
pub fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JKS (version 2) with one entry of `tag`, as keytool writes it.
    fn jks(tag: u32) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend(0xfeed_feedu32.to_be_bytes());
        d.extend(2u32.to_be_bytes());
        d.extend(1u32.to_be_bytes());
        d.extend(tag.to_be_bytes());
        d.extend(5u16.to_be_bytes());
        d.extend(b"alias");
        d.extend(0u64.to_be_bytes());
        d.extend(5u16.to_be_bytes());
        d.extend(b"X.509");
        d.extend(3u32.to_be_bytes());
        d.extend([0x30, 0x01, 0x00]);
        d
    }

    #[test]
    fn a_truststore_holds_no_key_and_a_keystore_does() {
        assert_eq!(java_keystore_has_key(&jks(2)), Some(false));
        assert_eq!(java_keystore_has_key(&jks(1)), Some(true));
        assert_eq!(java_keystore_has_key(&jks(2)[..20]), None);
    }

    #[test]
    fn a_pattern_matches_file_starts_with_wildcards() {
        let p12 = Magic::parse("30 82 ?? ?? 02 01 03 30").unwrap();
        assert!(p12.matches(&[0x30, 0x82, 0x0a, 0x1f, 0x02, 0x01, 0x03, 0x30, 0x82]));
        // A PKCS#8 key: version 0, not a PFX.
        assert!(!p12.matches(&[0x30, 0x82, 0x04, 0xbe, 0x02, 0x01, 0x00, 0x30]));
        assert!(!p12.matches(&[0x30, 0x82]));
        assert!(Magic::parse("?? ?? 01").is_err());
        assert!(Magic::parse("zz 00 00 00 00").is_err());
    }
}
