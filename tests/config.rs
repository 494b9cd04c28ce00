//! nhiscan.toml: `nhiscan init`, levels, thresholds, suppressions, and error reporting.

mod common;

use common::*;
use std::fs;

fn planted_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_tree(&planted(), &repo);
    (dir, repo)
}

#[test]
fn init_writes_a_default_that_scans_like_no_config_and_refuses_to_overwrite() {
    let (_dir, repo) = planted_copy();
    let (code_default, inv_default) = scan_json(&repo, &["."]);
    let out = nhiscan().current_dir(&repo).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(repo.join("nhiscan.toml").is_file());
    let (code, inv) = scan_json(&repo, &["."]);
    assert_eq!(code, code_default);
    assert_eq!(
        inv["findings"], inv_default["findings"],
        "the default config changes nothing"
    );
    let again = nhiscan().current_dir(&repo).arg("init").output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced = nhiscan()
        .current_dir(&repo)
        .args(["init", "--force"])
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0));
}

#[test]
fn every_config_problem_is_reported_with_file_line_and_key() {
    let (_dir, repo) = planted_copy();
    fs::write(
        repo.join("nhiscan.toml"),
        r#"[policy]
expiring_soon_days = -1
stale_days = -5

[policy.levels]
leaked-secret = "block"
made-up-code = "warn"

[[suppress]]
code = "leaked-secret"
path = "docs/**"

[[suppress]]
code = "leaked-secret"
path = "a/[b"
reason = "x"
expires = "next tuesday"
"#,
    )
    .unwrap();
    let out = nhiscan()
        .current_dir(&repo)
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "7 problem(s)",
        "nhiscan.toml:2:22: policy.expiring_soon_days: must be 0 or more",
        "nhiscan.toml:3:14: policy.stale_days: must be 0 or more",
        "nhiscan.toml:6:17: policy.levels.leaked-secret: `block` is not a level",
        "nhiscan.toml:7:16: policy.levels.made-up-code: unknown policy code",
        "nhiscan.toml:10:8: suppress[0].reason: missing",
        "suppress[1].path: bad glob",
        "suppress[1].expires: `next tuesday` is not a date",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn unknown_keys_and_syntax_errors_name_the_place() {
    let (_dir, repo) = planted_copy();
    fs::write(repo.join("nhiscan.toml"), "[policy]\nexpiring_soon = 3\n").unwrap();
    let out = nhiscan()
        .current_dir(&repo)
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nhiscan.toml:2:1") && err.contains("expiring_soon"),
        "{err}"
    );
}

#[test]
fn levels_change_findings_and_the_exit_code() {
    let (_dir, repo) = planted_copy();
    fs::write(
        repo.join("nhiscan.toml"),
        "[policy.levels]\nleaked-secret = \"warn\"\nsecret-reused = \"allow\"\n",
    )
    .unwrap();
    let (code, inv) = scan_json(&repo, &["."]);
    assert_eq!(code, 0, "nothing at deny level any more");
    let findings = inv["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["code"] != "secret-reused"),
        "allow removes"
    );
    assert!(
        findings
            .iter()
            .filter(|f| f["code"] == "leaked-secret")
            .all(|f| f["level"] == "warn")
    );
}

#[test]
fn suppressions_hide_with_a_reason_and_come_back_when_expired() {
    let (_dir, repo) = planted_copy();
    let rules = |expires: &str| {
        format!(
            "[[suppress]]\ncode = \"leaked-secret\"\npath = \"k8s/**\"\nreason = \"cluster fixtures (TEST-1)\"\nexpires = \"{expires}\"\n"
        )
    };
    fs::write(repo.join("nhiscan.toml"), rules("2027-01-31")).unwrap();
    let (_, inv) = scan_json(&repo, &["."]);
    assert_eq!(
        inv["summary"]["suppressed_config"], 2,
        "k8s/secret.yaml and k8s/kubeconfig"
    );
    assert!(leaks(&inv).iter().all(|l| !l.0.starts_with("k8s/")));

    fs::write(repo.join("nhiscan.toml"), rules("2026-01-31")).unwrap();
    let (_, inv) = scan_json(&repo, &["."]);
    assert_eq!(inv["summary"]["suppressed_config"], 0);
    assert_eq!(
        leaks(&inv)
            .iter()
            .filter(|l| l.0.starts_with("k8s/"))
            .count(),
        2
    );
    let expired: Vec<_> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "suppression-expired")
        .collect();
    assert_eq!(expired.len(), 1);
    assert!(
        expired[0]["message"]
            .as_str()
            .unwrap()
            .contains("cluster fixtures (TEST-1)")
    );
}

#[test]
fn expiring_soon_threshold_comes_from_config() {
    let (_dir, repo) = planted_copy();
    let count = |inv: &serde_json::Value| {
        inv["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "expiring-soon")
            .count()
    };
    let (_, inv) = scan_json(&repo, &["."]);
    assert_eq!(count(&inv), 1, "payments-api expires in 18 days");
    fs::write(
        repo.join("nhiscan.toml"),
        "[policy]\nexpiring_soon_days = 7\n",
    )
    .unwrap();
    let (_, inv) = scan_json(&repo, &["."]);
    assert_eq!(count(&inv), 0);
    let explicit = repo.join("strict.toml");
    fs::write(&explicit, "[policy]\nexpiring_soon_days = 60\n").unwrap();
    let (_, inv) = scan_json(&repo, &[".", "--config", explicit.to_str().unwrap()]);
    assert_eq!(count(&inv), 1, "--config wins over the discovered file");
}
