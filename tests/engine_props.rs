//! Property tests: arbitrary input never panics the engine, and a planted token is found
//! wherever it sits in arbitrary surrounding bytes.

use nhiscan::detect::{DetectorSet, Scratch};
use nhiscan::scan::FileFindings;
use nhiscan::scan::file::FileScanner;
use nhiscan::scan::redact::Fingerprinter;
use proptest::prelude::*;
use std::sync::OnceLock;

fn set() -> &'static DetectorSet {
    static SET: OnceLock<DetectorSet> = OnceLock::new();
    SET.get_or_init(|| DetectorSet::builtin().unwrap())
}

/// Bytes biased towards what detectors look at: keywords, quotes, separators, base64.
fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        Just(b"ghp_".to_vec()),
        Just(b"AKIA".to_vec()),
        Just(b"-----BEGIN RSA PRIVATE KEY-----\n".to_vec()),
        Just(b"-----BEGIN CERTIFICATE-----\n".to_vec()),
        Just(b"password = \"".to_vec()),
        Just(b"eyJ".to_vec()),
        Just(b"postgres://u:".to_vec()),
        Just(b"Basic ".to_vec()),
        "[A-Za-z0-9+/=]{1,80}".prop_map(|s| s.into_bytes()),
        Just(vec![0xff, 0xfe, 0x00, b'\n']),
    ];
    prop::collection::vec(pieces, 0..200).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in interesting_bytes()) {
        let mut scratch = Scratch::default();
        set().find(&bytes, &mut scratch);
        for c in &scratch.candidates {
            prop_assert!(c.secret.start <= c.secret.end && c.secret.end <= bytes.len());
        }
        let fp = Fingerprinter::default();
        let mut scanner = FileScanner::new(set(), &fp);
        let mut out = FileFindings::default();
        scanner.scan_reader(&bytes[..], "input", &mut out).unwrap();
        for s in &out.secrets {
            prop_assert!(s.line >= 1);
            prop_assert!(s.preview.contains("****"));
        }
    }

    #[test]
    fn a_token_is_found_anywhere_in_noise(
        before in "[ -~\n]{0,300}",
        after in "[ -~\n]{0,300}",
    ) {
        let token = "dop_v1_4f9a2c7e1b8d3f6a0e5c9b2d7a4f1e8c3b6d9a2f5e0c7b4a1d8f3e6c9b2a5d7f";
        let text = format!("{before}\nTOKEN={token}\n{after}");
        let mut scratch = Scratch::default();
        set().find(text.as_bytes(), &mut scratch);
        let hit = scratch.candidates.iter().any(|c| {
            &text.as_bytes()[c.secret.clone()] == token.as_bytes()
        });
        prop_assert!(hit);
    }
}
