//! `--history FILE`: every scan recorded in SQLite, first_seen/last_seen across runs, and
//! `nhiscan diff --history FILE` over the last two scans.

mod common;

use common::*;
use std::fs;
use std::path::Path;

const DO_TOKEN: &str = "dop_v1_4f9a2c7e1b8d3f6a0e5c9b2d7a4f1e8c3b6d9a2f5e0c7b4a1d8f3e6c9b2a5d7f";
const HF: &str = "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";

fn scan_at(tree: &Path, db: &Path, now: &str) -> serde_json::Value {
    let out = nhiscan()
        .env("NHISCAN_NOW", now)
        .current_dir(tree)
        .args(["scan", ".", "--no-history", "--format", "json", "--history"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("recorded scan"));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn identity_with_path<'a>(inv: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["exposures"][0]["path"] == path)
        .unwrap_or_else(|| panic!("no identity at {path}"))
}

#[test]
fn first_seen_survives_across_runs_and_diff_compares_the_last_two_scans() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("a.env"), format!("DO={DO_TOKEN}\n")).unwrap();
    let db = dir.path().join("history.sqlite");

    let first = scan_at(&tree, &db, "2026-11-01T08:00:00Z");
    let a = identity_with_path(&first, "a.env");
    assert_eq!(a["first_seen"], "2026-11-01T08:00:00Z");
    assert_eq!(a["last_seen"], "2026-11-01T08:00:00Z");

    // Only one scan so far: diff says how many it needs.
    let one = nhiscan()
        .args(["diff", "--history"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(one.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&one.stderr).contains("has 1 scan(s); `diff --history` needs two")
    );

    fs::write(tree.join("d.env"), format!("HF_TOKEN={HF}\n")).unwrap();
    let second = scan_at(&tree, &db, "2026-11-22T12:00:00Z");
    let a = identity_with_path(&second, "a.env");
    assert_eq!(
        a["first_seen"], "2026-11-01T08:00:00Z",
        "first_seen is kept"
    );
    assert_eq!(a["last_seen"], "2026-11-22T12:00:00Z");
    let d = identity_with_path(&second, "d.env");
    assert_eq!(d["first_seen"], "2026-11-22T12:00:00Z");

    let out = nhiscan()
        .args(["diff", "--format", "json", "--history"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a new deny-level leak appeared");
    let drift: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(drift["old_generated_at"], "2026-11-01T08:00:00Z");
    assert_eq!(drift["new_generated_at"], "2026-11-22T12:00:00Z");
    let added: Vec<&str> = drift["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["location"].as_str().unwrap())
        .collect();
    assert_eq!(added, ["d.env:1"]);
    assert!(drift["removed"].as_array().unwrap().is_empty());
}

#[test]
fn a_file_that_is_not_a_history_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.txt");
    fs::write(
        &bogus,
        "this is not sqlite, just a text file that is long enough to have a header\n".repeat(20),
    )
    .unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", ".", "--history"])
        .arg(&bogus)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot use history database"), "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    let missing = nhiscan()
        .args(["diff", "--history"])
        .arg(dir.path().join("absent.sqlite"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("record scans first"));
}
