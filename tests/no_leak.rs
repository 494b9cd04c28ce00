//! The rule that never bends: no output format, file or message contains a secret in full.

mod common;

use common::*;

fn planted_secrets() -> Vec<String> {
    std::fs::read_to_string(crate_root().join("fixtures/planted.secrets.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in planted_secrets() {
        assert!(
            !text.contains(&secret),
            "{what} contains a planted secret in full (starts {:?})",
            &secret[..4]
        );
    }
}

#[test]
fn no_output_format_contains_a_planted_secret() {
    let secrets = planted_secrets();
    assert!(secrets.len() >= 20, "fixture secrets list is loaded");
    for format in ["table", "json", "jsonl", "csv", "sarif"] {
        let out = nhiscan()
            .current_dir(planted())
            .args(["scan", ".", "--no-ignore", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.len() > 500, "{format} output is not empty");
        assert_no_secret(&format!("--format {format} stdout"), &stdout);
        assert_no_secret(
            &format!("--format {format} stderr"),
            &String::from_utf8_lossy(&out.stderr),
        );
    }
}

#[test]
fn baseline_file_contains_no_planted_secret() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("b.json");
    nhiscan()
        .current_dir(planted())
        .args(["scan", ".", "--write-baseline"])
        .arg(&baseline)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(text.contains("aws.access-key-id"));
    assert_no_secret("baseline", &text);
}

#[test]
fn a_secret_in_a_file_name_free_line_is_still_redacted_in_previews() {
    // Previews reveal at most 4 leading and 2 trailing characters.
    let (_, inv) = scan_json(&planted(), &["."]);
    for f in inv["findings"].as_array().unwrap() {
        if let Some(p) = f["preview"].as_str() {
            let shown = p.replace("****", "");
            assert!(shown.len() <= 6, "preview {p} shows too much");
            assert!(p.contains("****"));
        }
    }
}
