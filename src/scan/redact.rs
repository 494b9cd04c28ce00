//! Turning a secret value into what may be shown: a keyed fingerprint and a short preview.
//!
//! The raw value never leaves the worker that found it. The fingerprint is a keyed BLAKE3
//! hash, so one secret seen in three files (or three scans) is recognisably the same
//! without being recoverable; the preview shows at most 4 leading and 2 trailing
//! characters, and nothing at all of short values.

/// Context string for deriving the fingerprint key; changing it changes every fingerprint.
const KEY_CONTEXT: &str = "nhiscan 2026-11 secret fingerprint v1";

/// Key material used when the user sets none. Fingerprints made with it are stable across
/// machines (so baselines can be committed) but anyone can compute them: set
/// `NHISCAN_FINGERPRINT_KEY` to keep fingerprints of guessable secrets unconfirmable.
pub const DEFAULT_KEY_MATERIAL: &str = "nhiscan-default-fingerprint-key";

#[derive(Clone)]
pub struct Fingerprinter {
    key: [u8; 32],
    /// With `--validate`: where the workers leave values a provider can be asked about.
    keeper: Option<std::sync::Arc<super::keep::Keeper>>,
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter { key: <hidden> }")
    }
}

impl Default for Fingerprinter {
    fn default() -> Self {
        Fingerprinter::new(DEFAULT_KEY_MATERIAL)
    }
}

impl Fingerprinter {
    pub fn new(key_material: &str) -> Self {
        Fingerprinter {
            key: blake3::derive_key(KEY_CONTEXT, key_material.as_bytes()),
            keeper: None,
        }
    }

    /// Names the key without revealing it: two inventories with the same id were
    /// fingerprinted with the same key, so their fingerprints can be compared (`merge`).
    pub fn key_id(&self) -> String {
        let hash = blake3::keyed_hash(&self.key, b"nhiscan fingerprint key id");
        hash.to_hex()[..16].to_string()
    }

    /// Keep the values of live-checkable detectors in `keeper` (`--validate`).
    pub fn keeping(mut self, keeper: std::sync::Arc<super::keep::Keeper>) -> Self {
        self.keeper = Some(keeper);
        self
    }

    /// Hand a value to the keeper, if this scan keeps values.
    pub fn keep(&self, detector: &str, fingerprint: &str, value: &[u8], path: &str, line: u64) {
        if let Some(k) = &self.keeper {
            k.keep(detector, fingerprint, value, path, line);
        }
    }

    /// Hand the keeper the document a kept value was found in.
    pub fn keep_document(&self, fingerprint: &str, document: &[u8]) {
        if let Some(k) = &self.keeper {
            k.keep_document(fingerprint, document);
        }
    }

    /// `NHISCAN_FINGERPRINT_KEY` if set and non-empty, else the default key.
    pub fn from_env() -> Self {
        match std::env::var("NHISCAN_FINGERPRINT_KEY") {
            Ok(k) if !k.is_empty() => Fingerprinter::new(&k),
            _ => Fingerprinter::default(),
        }
    }

    /// 128-bit keyed hash of the value, as 32 hex digits.
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        blake3::keyed_hash(&self.key, secret).to_hex()[..32].to_string()
    }
}

/// A redacted preview: `ghp_****9z` for long values, `ab****c` for medium, `****` for short.
pub fn preview(secret: &[u8]) -> String {
    let chars: Vec<char> = secret
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect();
    let (head, tail) = match chars.len() {
        n if n >= 16 => (4, 2),
        n if n >= 10 => (2, 1),
        _ => (0, 0),
    };
    let mut out: String = chars[..head].iter().collect();
    out.push_str("****");
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_reveals_at_most_four_and_two() {
        assert_eq!(preview(b"AKIAZ3MPLQ7RT2XWK5JD"), "AKIA****JD"); // nhiscan:allow synthetic test value
        assert_eq!(preview(b"Xk9mQ2vLp8"), "Xk****8");
        assert_eq!(preview(b"hunter22"), "****");
        assert_eq!(preview(b"ab\ncdefghijklmnopq"), "ab?c****pq");
    }

    #[test]
    fn fingerprint_is_keyed_and_stable() {
        let a = Fingerprinter::new("k1");
        let b = Fingerprinter::new("k2");
        assert_eq!(a.fingerprint(b"s"), a.fingerprint(b"s"));
        assert_ne!(a.fingerprint(b"s"), b.fingerprint(b"s"));
        assert_ne!(a.fingerprint(b"s"), a.fingerprint(b"t"));
        assert_eq!(a.fingerprint(b"s").len(), 32);
    }
}
