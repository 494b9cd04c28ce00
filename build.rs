//! Records the commit nhiscan is built from, for `--version` (`unknown` outside a git
//! checkout, e.g. a crate downloaded from a registry), writes each built-in detector file
//! as JSON (the same data, which reads in a third of TOML's time at every start-up), and
//! hashes the built-in set once, here, instead of at every start-up.

use std::path::{Path, PathBuf};
use std::process::Command;

// The set hash itself, shared with the crate so the two computations are one.
#[path = "src/detect/set_hash.rs"]
mod set_hash;

fn main() {
    detectors_as_json();
    built_in_detector_hash();
    let commit = git(&["rev-parse", "--short=12", "HEAD"])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=NHISCAN_GIT_COMMIT={commit}");
    // A new commit changes HEAD or the branch it points at. Git says where those are: in
    // a worktree `.git` is a file, and the branches live in the main checkout's git dir.
    let watched = git(&[
        "rev-parse",
        "--git-path",
        "HEAD",
        "--git-path",
        "refs/heads",
        "--git-path",
        "packed-refs",
    ])
    .unwrap_or_default();
    for path in watched.lines().map(Path::new).filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// `detectors/<name>.toml` -> `$OUT_DIR/detectors/<name>.toml.json`. A file that is not
/// valid TOML is written empty: nhiscan then reads the TOML itself and reports the problem
/// with its line, as it does for a user's detector file.
fn detectors_as_json() {
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("detectors");
    std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
    let dir = Path::new("detectors");
    println!("cargo:rerun-if-changed=detectors");
    let entries = std::fs::read_dir(dir).expect("detectors/ is part of the crate");
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let json = toml::from_str::<toml::Value>(&text)
            .ok()
            .and_then(|v| serde_json::to_string(&v).ok())
            .unwrap_or_default();
        let name = format!("{}.json", entry.file_name().to_string_lossy());
        std::fs::write(out.join(name), json).expect("OUT_DIR is writable");
    }
}

/// `$OUT_DIR/detectors-hash.txt`: what `DetectorSource::hash_of` computes for the
/// built-in files (16 hex digits of BLAKE3 over each `embedded:<name>` and its TOML, in
/// the order of `EMBEDDED`), which `src/detect/source.rs` lists as `include_detector!`
/// lines. Half a megabyte hashed at each start-up was 0.5 ms of a 20 ms pre-commit scan;
/// a test of `detect::source` checks this value against the hash computed at run time.
fn built_in_detector_hash() {
    let list = Path::new("src/detect/source.rs");
    println!("cargo:rerun-if-changed={}", list.display());
    println!("cargo:rerun-if-changed=src/detect/set_hash.rs");
    let source = std::fs::read_to_string(list).expect("src/detect/source.rs is part of the crate");
    const INVOCATION: &str = "include_detector!(\"";
    // Only lines that are an invocation: not a comment that mentions one.
    let files: Vec<(String, String)> = source
        .lines()
        .map(str::trim_start)
        .filter_map(|line| line.strip_prefix(INVOCATION))
        .map(|rest| {
            let name = &rest[..rest.find('"').expect("a closed file name")];
            let text = std::fs::read_to_string(Path::new("detectors").join(name))
                .expect("every listed detector file exists");
            (format!("{}{name}", set_hash::BUILT_IN_ORIGIN), text)
        })
        .collect();
    let hash =
        set_hash::hash_origins_and_texts(files.iter().map(|(o, t)| (o.as_str(), t.as_str())));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("detectors-hash.txt"), hash).expect("OUT_DIR is writable");
}

/// What `git ARGS` printed, if git ran and succeeded.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
}
