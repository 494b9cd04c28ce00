//! `nhiscan scan --evidence DIR` and the HTML report.

mod common;

use common::*;
use std::fs;
use std::process::Command;

#[test]
fn evidence_dir_has_the_four_files_and_a_manifest_sha256sum_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    let out = nhiscan()
        .current_dir(planted())
        .args(["scan", ".", "--format", "json", "--evidence"])
        .arg(&evidence)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let mut names: Vec<String> = fs::read_dir(&evidence)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "MANIFEST.sha256",
            "inventory.csv",
            "inventory.json",
            "report.html"
        ]
    );
    let check = Command::new("sha256sum")
        .current_dir(&evidence)
        .args(["-c", "MANIFEST.sha256"])
        .output()
        .expect("sha256sum (coreutils) runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&check.stdout)
            .matches(": OK")
            .count(),
        3
    );

    // Tampering is detected.
    fs::write(evidence.join("inventory.csv"), "edited\n").unwrap();
    let check = Command::new("sha256sum")
        .current_dir(&evidence)
        .args(["-c", "MANIFEST.sha256"])
        .output()
        .unwrap();
    assert!(!check.status.success());

    let inv: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(evidence.join("inventory.json")).unwrap())
            .unwrap();
    assert_eq!(inv["generated_at"], NOW);
    assert_eq!(inv["tool"]["name"], "nhiscan");
    assert_eq!(inv["scope"]["paths"][0], ".");
    assert_eq!(inv["sources"][0]["status"], "ok");
    // The evidence JSON is the same inventory stdout received.
    let stdout: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stdout["identities"], inv["identities"]);
}

#[test]
fn html_report_is_self_contained_and_carries_no_secret() {
    let out = nhiscan()
        .current_dir(planted())
        .args(["scan", ".", "--format", "html"])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for section in [
        "Identities by kind",
        "Identities by owner",
        "Identities by age",
        "Findings by control",
        "Controls",
        "Sign-off",
        "Identities (29)",
        "Findings (34)",
    ] {
        assert!(html.contains(section), "missing {section}");
    }
    assert!(html.contains("OWASP-NHI2"));
    assert!(html.contains("class=\"sortable\""));
    for external in ["http://", "https://", "<link", "src="] {
        assert!(
            !html.contains(external),
            "HTML must open offline: found {external}"
        );
    }
    for secret in fs::read_to_string(crate_root().join("fixtures/planted.secrets.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
    {
        assert!(!html.contains(secret), "a planted secret is in the HTML");
    }
}

#[test]
fn html_escapes_what_it_prints() {
    let dir = tempfile::tempdir().unwrap();
    let name = "<img src=x onerror=alert(1)>.env";
    fs::write(
        dir.path().join(name),
        "DO=dop_v1_4f9a2c7e1b8d3f6a0e5c9b2d7a4f1e8c3b6d9a2f5e0c7b4a1d8f3e6c9b2a5d7f\n",
    )
    .unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", ".", "--format", "html"])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;.env"));
}
