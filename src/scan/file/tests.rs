//! The file scanner's own tests: bounded reads, and in-place scanning against streaming.

use super::*;
use crate::detect::{DetectorSet, DetectorSource};

#[test]
fn a_file_larger_than_the_limit_is_read_only_up_to_it() {
    // The walker checks sizes before reading, but a file may grow in between (a log
    // being written): the read itself is bounded.
    let set = DetectorSet::compile(&DetectorSource::embedded()).unwrap();
    let fingerprinter = Fingerprinter::default();
    let mut scanner = FileScanner::new(&set, &fingerprinter);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    std::fs::write(&path, "GET /health 200\n".repeat(200_000)).unwrap(); // 3.2 MB
    let mut out = FileFindings::default();
    let outcome = scanner
        .scan_path(&path, "app.log", 1 << 20, &mut out)
        .unwrap();
    assert!(matches!(outcome, FileOutcome::Truncated { bytes } if bytes == 1 << 20));
    let outcome = scanner
        .scan_path(&path, "app.log", 3_200_000, &mut out)
        .unwrap();
    assert!(matches!(outcome, FileOutcome::Scanned { bytes } if bytes == 3_200_000));
}

/// Bytes already in memory are scanned in place; what is found, and where, is what
/// reading the same bytes as a stream finds: text, a binary keystore, UTF-16, and
/// inputs of one chunk or more (which are streamed after all).
#[test]
fn scanning_in_place_finds_what_streaming_finds() {
    let set = DetectorSet::compile(&DetectorSource::embedded()).unwrap();
    let fingerprinter = Fingerprinter::default();
    let mut text = String::new();
    for i in 0..set.len() as u32 {
        for e in set.get(i).cases().0 {
            text.push_str(&e);
            text.push_str("\n# next\n");
        }
    }
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let mut keystore = vec![0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2];
    keystore.extend_from_slice(&[0u8; 64]);
    let mut large = text.clone().into_bytes();
    while large.len() <= CHUNK {
        large.extend_from_slice(&[b'#'; 4096]);
        large.push(b'\n');
    }
    large.extend_from_slice(text.as_bytes());
    // Exactly one chunk: a Secret manifest whose last `data:` value is a password,
    // after 8 MiB of other entries. Streamed, the reader sees the end only after a
    // second, empty read: two chunks, and the last no longer holds `kind: Secret`.
    // In place must do the same, or a blob and its checked-out file would differ.
    let mut exact = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n".to_vec();
    let tail = "  db-password: UXo3LXZMbTIjcFd4OVJ0\n";
    let mut n = 0;
    while exact.len() + 26 + tail.len() <= CHUNK {
        exact.extend_from_slice(format!("  k{n:07}: YWJjZGVmZ2g=\n").as_bytes());
        n += 1;
    }
    exact.extend_from_slice(tail.as_bytes());
    exact.resize(CHUNK, b'\n');
    assert_eq!(exact.len(), CHUNK);
    for (name, input) in [
        ("text", text.as_bytes().to_vec()),
        ("utf16", utf16),
        ("keystore", keystore),
        ("large", large),
        ("exactly one chunk", exact),
    ] {
        let mut scanner = FileScanner::new(&set, &fingerprinter);
        let mut streamed = FileFindings::default();
        let mut in_place = FileFindings::default();
        let a = scanner.scan_reader(input.as_slice(), name, &mut streamed);
        let b = scanner.scan_bytes(&input, name, &mut in_place);
        assert_eq!(
            format!("{:?}", a.map(|o| outcome_name(&o))),
            format!("{:?}", b.map(|o| outcome_name(&o))),
            "{name}"
        );
        // (The keystore is checked for its outcome: binary either way.)
        assert!(
            name == "keystore" || name.starts_with("exactly") || !streamed.secrets.is_empty(),
            "{name}: nothing found"
        );
        assert_eq!(
            format!("{:?}", streamed.secrets),
            format!("{:?}", in_place.secrets),
            "{name}"
        );
        assert_eq!(streamed.capped, in_place.capped, "{name}");
    }
}

fn outcome_name(o: &FileOutcome) -> String {
    match o {
        FileOutcome::Scanned { bytes } => format!("scanned {bytes}"),
        FileOutcome::Truncated { bytes } => format!("truncated {bytes}"),
        FileOutcome::Binary => "binary".into(),
    }
}
