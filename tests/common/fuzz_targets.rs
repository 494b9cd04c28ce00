//! The fuzz targets: every parser of user-supplied input, and the scanner, given arbitrary
//! bytes. Each must return (an error is fine) and never panic, hang or break its own
//! invariants. Shared by the bounded mutation run of `tests/fuzz.rs` (stable, in CI) and
//! the coverage-guided cargo-fuzz targets of `fuzz/` (nightly, run by hand), so both test
//! exactly the same code paths.

use nhiscan::config;
use nhiscan::detect::{DetectorSet, DetectorSource};
use nhiscan::policy::baseline::Baseline;
use nhiscan::scan::file::{FileFindings, FileScanner};
use nhiscan::scan::redact::Fingerprinter;
use std::path::Path;
use std::sync::OnceLock;

/// One target: its name and the function taking the bytes.
pub type Target = (&'static str, fn(&[u8]));

pub const TARGETS: &[Target] = &[
    ("detector-toml", detector_toml),
    ("config-toml", config_toml),
    ("baseline", baseline),
    ("inventory", inventory),
    ("scanner", scanner),
];

/// A user's detector file (`--detectors`): parsed, checked and compiled; when it compiles,
/// its own examples run through the compiled set.
pub fn detector_toml(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let source = DetectorSource {
        origin: "fuzz.toml".into(),
        text: text.into(),
        embedded: false,
        json: None,
    };
    if let Ok(set) = DetectorSet::compile(&[source]) {
        let mut scanner_input = Vec::new();
        for d in set.detectors() {
            for e in d.examples.iter().chain(&d.negative_examples) {
                scanner_input.extend_from_slice(e.as_bytes());
                scanner_input.push(b'\n');
            }
        }
        let fp = Fingerprinter::default();
        let mut scanner = FileScanner::new(&set, &fp);
        let mut out = FileFindings::default();
        let _ = scanner.scan_reader(&scanner_input[..], "examples.txt", &mut out);
    }
}

/// `nhiscan.toml`: parsed and validated; every problem has a place in the file.
pub fn config_toml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(config::ConfigError::Invalid { problems, .. }) =
        config::parse(&text, Path::new("nhiscan.toml"))
    {
        assert!(
            !problems.is_empty(),
            "an invalid config with no problem listed"
        );
    }
}

/// A baseline file (`--baseline`).
pub fn baseline(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(b) = Baseline::parse(&text, Path::new("baseline.json")) {
        let _ = b.contains("aws.access-key-id", "x");
    }
}

/// A saved inventory (`nhiscan report`, `nhiscan diff`): read, rendered in every format,
/// and compared with itself, which must show no drift.
pub fn inventory(data: &[u8]) {
    use clap::ValueEnum;
    let text = String::from_utf8_lossy(data);
    let Ok(inv) = nhiscan::drift::parse_inventory(&text, Path::new("inventory.json")) else {
        return;
    };
    for format in nhiscan::report::Format::value_variants() {
        let _ = nhiscan::report::render(&inv, *format, false);
    }
    let drift = nhiscan::drift::diff(&inv, &inv);
    let _ = nhiscan::drift::render_text(&drift);
    assert!(
        !drift.has_new_deny(),
        "an inventory compared with itself has new findings"
    );
}

/// The built-in detectors, compiled once per process.
fn builtin() -> &'static DetectorSet {
    static SET: OnceLock<DetectorSet> = OnceLock::new();
    SET.get_or_init(|| DetectorSet::builtin().expect("built-in detectors compile"))
}

/// The file scanner on arbitrary bytes: every secret it reports lies inside the input, and
/// a second scan of the same bytes reports the same.
pub fn scanner(data: &[u8]) {
    let set = builtin();
    let fp = Fingerprinter::default();
    let scan = |bytes: &[u8]| {
        let mut scanner = FileScanner::new(set, &fp);
        let mut out = FileFindings::default();
        let _ = scanner.scan_reader(bytes, "fuzz/input.env", &mut out);
        out
    };
    let first = scan(data);
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    for s in &first.secrets {
        assert!(
            s.line >= 1 && s.line <= lines && s.column >= 1,
            "secret at {}:{} outside a {lines}-line input",
            s.line,
            s.column
        );
    }
    let second = scan(data);
    let key = |o: &FileFindings| -> Vec<(u64, u64, u32, String)> {
        o.secrets
            .iter()
            .map(|s| (s.line, s.column, s.detector, s.fingerprint.clone()))
            .collect()
    };
    assert_eq!(
        key(&first),
        key(&second),
        "two scans of the same bytes differ"
    );
}
