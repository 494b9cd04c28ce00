//! Shared helpers for the CLI integration tests.
#![allow(dead_code)]

pub mod actionlint;
pub mod apiserver;
pub mod faults;
pub mod fuzz_targets;
pub mod git;
pub mod github;
pub mod keys;
pub mod moto;
pub mod providers;
pub mod pytools;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Fixed scan time so ages, expiry findings and snapshots are reproducible.
pub const NOW: &str = "2026-11-22T12:00:00Z";

pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn planted() -> PathBuf {
    crate_root().join("fixtures/planted")
}

/// A temporary directory holding `files` (name, text).
pub fn tree(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// `nhiscan` with a pinned clock, no colour and the default fingerprint key.
pub fn nhiscan() -> Command {
    let mut cmd = Command::cargo_bin("nhiscan").expect("binary built");
    cmd.env("NHISCAN_NOW", NOW)
        .env("NO_COLOR", "1")
        .env_remove("NHISCAN_FINGERPRINT_KEY");
    cmd
}

/// Run `nhiscan scan --format json` in `dir` with extra args; returns (exit code, inventory).
pub fn scan_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = nhiscan()
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .expect("nhiscan runs");
    let inventory: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), inventory)
}

/// (path, line, detector) of every `leaked-secret` finding about a credential, sorted: a
/// vendor's published example value is reported too, at confidence `example` (see
/// [`examples`]), and is no credential.
pub fn leaks(inventory: &Value) -> Vec<(String, u64, String)> {
    secret_findings(inventory, |f| f["confidence"] != "example")
}

/// (path, line, detector) of every published example value reported, sorted; each must be
/// at warn level, never deny.
pub fn examples(inventory: &Value) -> Vec<(String, u64, String)> {
    let found = secret_findings(inventory, |f| f["confidence"] == "example");
    for f in inventory["findings"].as_array().expect("findings array") {
        if f["confidence"] == "example" {
            assert_eq!(f["level"], "warn", "an example is never deny: {f}");
        }
    }
    found
}

fn secret_findings(inventory: &Value, keep: impl Fn(&Value) -> bool) -> Vec<(String, u64, String)> {
    let mut v: Vec<_> = inventory["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["code"] == "leaked-secret" && keep(f))
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["detector"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// What the fixture generator planted, as (path, line, detector), sorted.
pub fn expected_planted() -> Vec<(String, u64, String)> {
    let text =
        std::fs::read_to_string(crate_root().join("fixtures/planted.expected.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut out: Vec<_> = v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
                e["detector"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Copy a directory tree (files and dirs only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Run `cmd` (an nhiscan scan writing JSON to stdout): (exit code, inventory, stderr).
pub fn run_json(cmd: &mut Command) -> (i32, Value, String) {
    let out = cmd.output().expect("nhiscan runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let inv: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {stderr}"));
    (out.status.code().expect("exit code"), inv, stderr)
}

/// The identity with this id; the panic lists the ids there are.
pub fn identity<'a>(inv: &'a Value, id: &str) -> &'a Value {
    let all = inv["identities"].as_array().expect("identities array");
    all.iter().find(|i| i["id"] == id).unwrap_or_else(|| {
        let ids: Vec<&Value> = all.iter().map(|i| &i["id"]).collect();
        panic!("no identity {id} in {ids:?}")
    })
}

/// Sorted codes of the findings about identity `id`.
pub fn finding_codes<'a>(inv: &'a Value, id: &str) -> Vec<&'a str> {
    let mut codes: Vec<&str> = inv["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["identity"] == id)
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    codes
}

/// The identity that has an exposure at `path`.
pub fn exposed_at<'a>(inv: &'a Value, path: &str) -> Option<&'a Value> {
    inv["identities"].as_array().unwrap().iter().find(|i| {
        i["exposures"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["path"] == path))
    })
}

/// The source status with this id; the panic lists the sources there are.
pub fn source<'a>(inv: &'a Value, id: &str) -> &'a Value {
    inv["sources"]
        .as_array()
        .expect("sources array")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no source {id} in {}", inv["sources"]))
}

/// The errors of the source with this id.
pub fn source_errors<'a>(inv: &'a Value, id: &str) -> Vec<&'a str> {
    source(inv, id)["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| e.as_str().expect("error text"))
        .collect()
}
