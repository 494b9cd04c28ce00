//! `nhiscan diff` and `nhiscan report` over inventories written by real scans.

mod common;

use common::*;
use std::fs;
use std::path::Path;

const DO_TOKEN: &str = "dop_v1_4f9a2c7e1b8d3f6a0e5c9b2d7a4f1e8c3b6d9a2f5e0c7b4a1d8f3e6c9b2a5d7f";
const STRIPE: &str = "sk_live_9Tq2Wm7Rk4Xz8Lp3Vn6Bc1Hd5Qm8Zr8vLw3Xk9Tn2";
const HF: &str = "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";

fn write_inventory(tree: &Path, out: &Path) {
    let o = nhiscan()
        .current_dir(tree)
        .args(["scan", ".", "--format", "json", "-o"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// old: a.env (DigitalOcean), b.env (Stripe). new: the DigitalOcean token also in c.env,
/// the Stripe key gone, a Hugging Face token added.
fn two_inventories(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let tree = dir.join("tree");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("a.env"), format!("DO={DO_TOKEN}\n")).unwrap();
    fs::write(tree.join("b.env"), format!("STRIPE={STRIPE}\n")).unwrap();
    let old = dir.join("old.json");
    write_inventory(&tree, &old);
    fs::remove_file(tree.join("b.env")).unwrap();
    fs::write(tree.join("c.env"), format!("DO_COPY={DO_TOKEN}\n")).unwrap();
    fs::write(tree.join("d.env"), format!("HF_TOKEN={HF}\n")).unwrap();
    let new = dir.join("new.json");
    write_inventory(&tree, &new);
    (old, new)
}

#[test]
fn diff_lists_added_removed_changed_and_fails_on_new_deny_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = two_inventories(dir.path());
    let out = nhiscan()
        .args(["diff", "--format", "json"])
        .arg(&old)
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a new deny finding fails the diff"
    );
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = |key: &str| -> Vec<String> {
        d[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("added"), vec!["Hugging Face access token"]);
    assert_eq!(names("removed"), vec!["Stripe live secret key"]);
    let changed = d["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0]["identity"]["name"],
        "DigitalOcean personal access token"
    );
    assert_eq!(changed[0]["changes"][0]["field"], "new exposures");
    assert_eq!(changed[0]["changes"][0]["new"], "c.env");
    let new_codes: Vec<(&str, &str)> = d["new_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        new_codes,
        vec![
            ("leaked-secret", "c.env"),
            ("leaked-secret", "d.env"),
            ("secret-reused", "a.env"),
            ("unowned", "d.env"),
        ]
    );
    assert_eq!(d["resolved_findings"][0]["path"], "b.env");
    let text = String::from_utf8(
        nhiscan()
            .arg("diff")
            .arg(&old)
            .arg(&new)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains("added (1):"), "{text}");
    assert!(text.contains("new exposures: \"\" -> \"c.env\""), "{text}");
}

#[test]
fn diff_of_an_inventory_with_itself_is_empty_and_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (old, _) = two_inventories(dir.path());
    let out = nhiscan().arg("diff").arg(&old).arg(&old).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for section in [
        "added (0)",
        "removed (0)",
        "changed (0)",
        "new findings (0)",
    ] {
        assert!(text.contains(section), "{text}");
    }
}

#[test]
fn diff_of_a_malformed_inventory_is_a_usage_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    fs::write(&bad, "{\"schema_version\": 1, \"tool\": 7}").unwrap();
    let out = nhiscan().arg("diff").arg(&bad).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json") && err.contains("line 1"), "{err}");
}

#[test]
fn report_re_renders_a_saved_inventory_without_rescanning() {
    let dir = tempfile::tempdir().unwrap();
    let (_, new) = two_inventories(dir.path());
    let csv = dir.path().join("review.csv");
    let out = nhiscan()
        .arg("report")
        .arg(&new)
        .args(["--format", "csv", "-o"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("id,provider,service,kind"));
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("reviewed_by,review_decision,review_date")
    );
    assert_eq!(text.lines().count(), 3, "header + two identities");
    assert!(!text.contains(DO_TOKEN) && !text.contains(HF));
}
