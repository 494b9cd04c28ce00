//! Fuzzing on stable, bounded: every parser of user input and the scanner get thousands of
//! mutated inputs each run, and none may panic or break its invariants.
//!
//! Each target (see `common::fuzz_targets`) starts from a corpus of real inputs (the
//! built-in detector files, the default `nhiscan.toml`, a baseline and an inventory nhiscan
//! wrote, the planted fixture files) and mutates them the way a fuzzer does: bit flips,
//! interesting bytes, tokens of the format, splices between inputs, deletions,
//! duplications, truncation. The generator is seeded, so a run is reproducible; a failing
//! input is written to `target/fuzz-failures/` and named in the failure.
//!
//! `NHISCAN_FUZZ_ITERATIONS` sets the inputs per target (default 5,000 in CI; the note of
//! the reliability issue reports a longer run). The coverage-guided targets of `fuzz/`
//! (cargo-fuzz, nightly) run the same functions.

mod common;

use common::fuzz_targets::{self, TARGETS};
use common::*;
use std::panic::AssertUnwindSafe;

/// xorshift64*: small, seeded, good enough to choose mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const MAX_INPUT: usize = 64 * 1024;

const INTERESTING: &[u8] = &[
    0, 0xff, 0x7f, 0x80, b'"', b'\'', b'[', b']', b'{', b'}', b'=', b'\n', b'\r', b',', b'\\',
    b'.', b'-', b'0', b'9', b'#', b' ', b'\t', 0x1b,
];

/// Tokens of each format, inserted whole (a fuzzer's dictionary).
fn dictionary(target: &str) -> &'static [&'static str] {
    match target {
        "detector-toml" => &[
            "[[detector]]\n",
            "[[known_example]]\n",
            "regex = '''",
            "'''",
            "(?P<secret>",
            "keywords = [\"",
            "examples = [\"",
            "kind = \"token\"\n",
            "entropy = ",
            "checksum = \"",
            "(?:",
            "{1000000}",
            "\\x{10FFFF}",
            "[[[[[[[[[[",
        ],
        "config-toml" => &[
            "[policy]\n",
            "[[owners]]\n",
            "[[suppress]]\n",
            "[policy.levels]\n",
            "team = \"",
            "path = \"",
            "expires = \"",
            "stale_days = ",
            "-9223372036854775808",
            "9999999999999999999",
            "[bad",
            "**/{a,b}/[!x]",
            "\"\"\"",
            "{ a = { b = { c = 1 } } }",
        ],
        _ => &[
            "{\"",
            "\":",
            "null",
            "[]",
            "{}",
            "1e999",
            "-1",
            "18446744073709551616",
            "\"\\u0000\"",
            "\"\\ud800\"",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
            "\"schema_version\":1,",
            "\"generated_at\":\"9999-99-99T99:99:99Z\"",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_",
            "-----BEGIN PRIVATE KEY-----\n",
            "eyJhbGciOiJIUzI1NiJ9.",
        ],
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>], dict: &[&str]) {
    for _ in 0..=rng.below(4) {
        let len = input.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let token = dict[rng.below(dict.len())].as_bytes();
                let at = rng.below(len + 1);
                input.splice(at..at, token.iter().copied());
            }
            3 if len > 0 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(64)).min(len);
                input.drain(start..end);
            }
            4 if len > 0 => {
                // Duplicate a range, sometimes many times (deep nesting, long runs).
                let start = rng.below(len);
                let end = (start + 1 + rng.below(32)).min(len);
                let piece = input[start..end].to_vec();
                let most = if rng.below(8) == 0 { 200 } else { 3 };
                for _ in 0..=rng.below(most) {
                    input.splice(end..end, piece.iter().copied());
                }
            }
            5 => {
                // Splice in a piece of another corpus input.
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let start = rng.below(other.len());
                    let end = (start + 1 + rng.below(256)).min(other.len());
                    let at = rng.below(len + 1);
                    input.splice(at..at, other[start..end].iter().copied());
                }
            }
            6 if len > 0 => input.truncate(rng.below(len)),
            _ => {
                let at = rng.below(len + 1);
                input.insert(at, rng.next() as u8);
            }
        }
    }
    input.truncate(MAX_INPUT);
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    match target {
        "detector-toml" => nhiscan::detect::DetectorSource::embedded()
            .into_iter()
            .map(|s| s.text.into_owned().into_bytes())
            .collect(),
        "config-toml" => vec![
            nhiscan::config::DEFAULT_CONFIG.as_bytes().to_vec(),
            b"[[owners]]\nteam = \"@acme/platform\"\npath = \"deploy/**\"\nkind = \"token\"\n\n[[suppress]]\ncode = \"stale\"\nidentity = \"x\"\nreason = \"tracked in OPS-1\"\nexpires = \"2027-01-31\"\n\n[ownership]\ntag_keys = [\"owner\", \"team\"]\n".to_vec(),
        ],
        "baseline" => vec![
            br#"{"nhiscan_baseline": 1, "entries": [{"detector": "aws.access-key-id", "fingerprint": "0123456789abcdef0123456789abcdef", "preview": "AKIA****MPLE", "first_path": "a.env"}]}"#.to_vec(),
            br#"{"nhiscan_baseline": 2, "entries": [{"code": "secret-in-history", "detector": "aws.access-key-id", "fingerprint": "0123456789abcdef0123456789abcdef", "first_seen": "2026-11-22T12:00:00Z", "preview": "AKIA****MPLE", "first_path": "a.env"}, {"code": "unowned", "fingerprint": "aws:iam:user/ci"}]}"#.to_vec(),
        ],
        "inventory" => {
            let out = nhiscan()
                .args(["scan", "--format", "json", "--no-history"])
                .arg(planted())
                .output()
                .unwrap();
            assert!(!out.stdout.is_empty(), "no inventory to start from");
            vec![out.stdout]
        }
        "scanner" => {
            let mut files = Vec::new();
            collect_files(&planted(), &mut files);
            files
        }
        other => panic!("no corpus for {other}"),
    }
}

fn collect_files(dir: &std::path::Path, out: &mut Vec<Vec<u8>>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push(bytes);
        }
    }
}

fn iterations() -> usize {
    std::env::var("NHISCAN_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}

/// Run one target over its corpus and `iterations()` mutated inputs.
fn fuzz(name: &str) {
    let (_, target) = TARGETS.iter().find(|(n, _)| *n == name).unwrap();
    let corpus = corpus(name);
    assert!(!corpus.is_empty());
    let dict = dictionary(name);
    let seed = name.bytes().fold(0x9e37_79b9_7f4a_7c15_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = Rng(seed);
    // Keep the panic hook's backtraces out of the output; the failure names the input.
    std::panic::set_hook(Box::new(|_| {}));
    let n = iterations();
    for i in 0..corpus.len() + n {
        let input = if i < corpus.len() {
            corpus[i].clone()
        } else {
            let mut input = corpus[rng.below(corpus.len())].clone();
            mutate(&mut rng, &mut input, &corpus, dict);
            input
        };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| target(&input)));
        if let Err(panic) = outcome {
            let _ = std::panic::take_hook();
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let dir = crate_root().join("target/fuzz-failures");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{name}-{i}.bin"));
            std::fs::write(&path, &input).unwrap();
            panic!(
                "fuzz target {name} panicked on input {i} ({} bytes, saved to {}): {message}",
                input.len(),
                path.display()
            );
        }
    }
    let _ = std::panic::take_hook();
    eprintln!(
        "fuzz {name}: {} inputs ({} corpus, {n} mutated), no failure",
        corpus.len() + n,
        corpus.len()
    );
}

#[test]
fn fuzz_detector_toml() {
    fuzz("detector-toml");
}

#[test]
fn fuzz_config_toml() {
    fuzz("config-toml");
}

#[test]
fn fuzz_baseline() {
    fuzz("baseline");
}

#[test]
fn fuzz_inventory() {
    fuzz("inventory");
}

#[test]
fn fuzz_scanner() {
    fuzz("scanner");
}

/// The cargo-fuzz directory builds exactly these targets, through the same functions.
#[test]
fn the_cargo_fuzz_targets_are_the_shared_ones() {
    assert_eq!(
        TARGETS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        [
            "detector-toml",
            "config-toml",
            "baseline",
            "inventory",
            "scanner"
        ]
    );
    for (name, _) in TARGETS {
        let file = crate_root().join(format!("fuzz/fuzz_targets/{name}.rs"));
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let call = format!("fuzz_targets::{}(", name.replace('-', "_"));
        assert!(text.contains(&call), "{} must call {call}", file.display());
    }
    // A malformed inventory is an error, not a panic.
    fuzz_targets::inventory(b"{}");
}
