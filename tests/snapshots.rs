//! Snapshot tests of every output format on the planted tree (insta).
//! Review changes with `cargo insta review` or by reading the .snap diff.

mod common;

use common::*;

fn render(format: &str) -> String {
    let out = nhiscan()
        .current_dir(planted())
        .args(["scan", ".", "--threads", "2", "--format", format])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // The checkout's own directory (the scope's roots, SARIF's `%SRCROOT%`) differs between
    // machines.
    let root = crate_root().display().to_string();
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .replace(&root, "[checkout]");
    // The detector set's hash changes with every detector edit: its presence is what is
    // pinned here.
    let set_hash = regex::Regex::new(r#""detector_set": ?"[0-9a-f]{16}""#).unwrap();
    let text = set_hash
        .replace_all(&text, r#""detector_set": "[hash]""#)
        .into_owned();
    // Wall time is the other field that differs between runs.
    let elapsed = regex::Regex::new(r#"("elapsed_ms": ?)\d+|in \d+ ms"#).unwrap();
    elapsed
        .replace_all(&text, |c: &regex::Captures| match c.get(1) {
            Some(k) => format!("{}0", k.as_str()),
            None => "in [elapsed] ms".to_string(),
        })
        .into_owned()
}

#[test]
fn table_snapshot() {
    insta::assert_snapshot!(render("table"));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(render("json"));
}

#[test]
fn jsonl_snapshot() {
    insta::assert_snapshot!(render("jsonl"));
}

#[test]
fn csv_snapshot() {
    insta::assert_snapshot!(render("csv"));
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(render("sarif"));
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(render("html"));
}
