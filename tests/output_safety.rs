//! What nhiscan writes must be safe to read: a hostile file name, git author or JWT cannot
//! drive the terminal, run a spreadsheet formula or carry a secret out; a closed pipe or a
//! full disk never costs a panic; and hostile volumes (a dump of keys, `--threads 100000`)
//! stay bounded.

mod common;

use base64::Engine;
use common::git::Repo;
use common::*;
use serde_json::Value;
use std::io::Read;
use std::process::{Command as Process, Stdio};

/// A synthetic DigitalOcean token, distinct per `n`.
fn token(n: u32) -> String {
    let body = format!("{n:x}7f3a9c1e5b2d8f4a6c0e2b9d").repeat(3);
    format!("dop_v1_{}", &body[..64])
}

const OSC_TITLE: &str = "\u{1b}]0;pwned\u{7}";
const CLEAR: &str = "\u{1b}[2J";

fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn escapes_in_file_names_and_git_authors_reach_no_terminal_raw() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    let evil_file = format!("cfg{OSC_TITLE}{CLEAR}.env");
    repo.write(&evil_file, &format!("DO_TOKEN={}\n", token(1)));
    let author = format!("Mallory{OSC_TITLE}{CLEAR}");
    repo.commit("config", "2024-01-02T00:00:00Z", &author);
    // A FIFO with an escape in its name is listed on stderr.
    let fifo = repo.dir.join(format!("queue{CLEAR}"));
    assert!(
        Process::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );

    let (code, stdout, stderr) = run(nhiscan().current_dir(&repo.dir).args(["scan", "."]));
    assert_eq!(code, 1);
    for (name, text) in [("table", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains('\u{1b}'), "raw ESC in {name}: {text:?}");
        assert!(!text.contains('\u{7}'), "raw BEL in {name}: {text:?}");
    }
    assert!(
        stdout.contains("cfg\\x1b]0;pwned\\x07\\x1b[2J.env"),
        "{stdout}"
    );
    assert!(stderr.contains("queue\\x1b[2J (FIFO)"), "{stderr}");
    // The JSON keeps the real name (escaped the JSON way), for tools.
    let (_, inv, _) = run_json(
        nhiscan()
            .current_dir(&repo.dir)
            .args(["scan", ".", "--format", "json"]),
    );
    assert!(inv.to_string().contains(r"cfg\u001b]0;pwned\u0007"));
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_written_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let names = [
        "=HYPERLINK(\"http://x.test\",\"go\")",
        "+cmd",
        "-2+3",
        "@SUM(A1)",
    ];
    for (i, name) in names.iter().enumerate() {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".env"), format!("DO_TOKEN={}\n", token(i as u32))).unwrap();
    }
    let out = nhiscan()
        .current_dir(tmp.path())
        .args(["scan", "--no-history", "--format", "csv", "--"])
        .args([
            "=HYPERLINK(\"http://x.test\",\"go\")",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
        ])
        .output()
        .unwrap();
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell a spreadsheet would evaluate: {cell:?}"
            );
        }
    }
    let locations: Vec<&str> = rows.iter().map(|r| r.get(5).unwrap()).collect();
    assert!(
        locations.contains(&"'=HYPERLINK(\"http://x.test\",\"go\")/.env:1"),
        "{locations:?}"
    );
    assert!(locations.contains(&"'@SUM(A1)/.env:1"), "{locations:?}");
}

fn jwt(claims: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.NyfBShQejqvDa54ebLXd7-peSRhaw8YjwosojY82FT8",
        b64(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims)
    )
}

#[test]
fn jwt_claims_are_bounded_cleaned_and_never_carry_a_secret_out() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "a".repeat(5000);
    let inner = token(7);
    let claims = format!(
        r#"{{"iss":"https://auth.internal.test/\u001b]0;pwned\u0007","sub":"{inner}","aud":"{long}","exp":1924992000}}"#
    );
    std::fs::write(
        tmp.path().join("client.js"),
        format!("const auth = 'Bearer {}';\n", jwt(&claims)),
    )
    .unwrap();
    let (_, inv, _) = run_json(nhiscan().current_dir(tmp.path()).args([
        "scan",
        ".",
        "--no-history",
        "--format",
        "json",
    ]));
    let text = inv.to_string();
    assert!(
        !text.contains(&inner),
        "the secret in `sub` must not be reported"
    );
    assert!(!text.contains(&token(7)[8..40]), "not even a piece of it");
    let jwt = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["service"] == "jwt")
        .expect("the JWT is an identity");
    let attrs = &jwt["attributes"];
    assert_eq!(attrs["jwt_iss"], "https://auth.internal.test/]0;pwned");
    assert!(
        attrs["jwt_sub"]
            .as_str()
            .unwrap()
            .starts_with("(withheld: holds a"),
        "{attrs}"
    );
    assert!(attrs["jwt_aud"].as_str().unwrap().chars().count() <= 201);
}

#[test]
fn a_closed_standard_output_ends_quietly() {
    for args in [
        vec!["detectors", "list"],
        vec!["scan", "--no-history", "--format", "json", "."],
    ] {
        let mut child = Process::new(assert_cmd::cargo::cargo_bin("nhiscan"))
            .args(&args)
            .current_dir(planted())
            .env("NHISCAN_NOW", NOW)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, then close the pipe (`| head -1`).
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}");
        assert_ne!(out.status.code(), None, "{args:?}: killed by a signal");
    }
}

#[test]
fn a_full_disk_on_stderr_does_not_panic_and_the_report_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("out.json");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Process::new(assert_cmd::cargo::cargo_bin("nhiscan"))
        .args(["scan", ".", "--no-history", "--format", "json", "-o"])
        .arg(&report)
        .arg("--stats")
        .current_dir(planted())
        .env("NHISCAN_NOW", NOW)
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the verdict, not a panic (101)");
    let inv: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(!inv["findings"].as_array().unwrap().is_empty());
}

#[test]
fn an_unwritable_report_or_evidence_directory_is_a_clear_error_and_the_rest_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(nhiscan().current_dir(planted()).args([
        "scan",
        ".",
        "--no-history",
        "-o",
        "/dev/full",
    ]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot write the report to /dev/full: No space left on device"),
        "{stderr}"
    );
    assert!(stderr.contains("free some space"), "{stderr}");

    // Evidence into a path under a regular file: said, and the report still written.
    let blocker = tmp.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let report = tmp.path().join("report.json");
    let (code, _, stderr) = run(nhiscan()
        .current_dir(planted())
        .args([
            "scan",
            ".",
            "--no-history",
            "--format",
            "json",
            "--evidence",
        ])
        .arg(blocker.join("evidence"))
        .arg("-o")
        .arg(&report));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot write evidence file"), "{stderr}");
    assert!(report.exists(), "the report is not lost");
}

#[test]
fn a_file_dense_with_secrets_is_capped_with_a_count_and_the_scan_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..1500u32 {
        text.push_str(&format!("DO_TOKEN_{i}={}\n", token(i + 100)));
    }
    std::fs::write(tmp.path().join("dump.env"), text).unwrap();
    let (code, inv, stderr) = run_json(nhiscan().current_dir(tmp.path()).args([
        "scan",
        ".",
        "--no-history",
        "--format",
        "json",
    ]));
    assert_eq!(code, 1, "the first 1,000 are deny findings");
    assert_eq!(inv["identities"].as_array().unwrap().len(), 1000);
    assert!(
        stderr.contains("dump.env: holds more than 1000 secrets; the first 1000 are reported and 500 more were found but not kept"),
        "{stderr}"
    );
    assert_eq!(source(&inv, "files")["status"], "partial");
}

#[test]
fn threads_beyond_four_per_cpu_are_capped_with_a_note() {
    let (code, _, stderr) = run(nhiscan().current_dir(planted()).args([
        "scan",
        ".",
        "--no-history",
        "--threads",
        "100000",
    ]));
    assert_eq!(code, 1);
    let cpus = std::thread::available_parallelism().unwrap().get();
    assert!(
        stderr.contains(&format!(
            "note: --threads 100000 is more than 4 per CPU ({cpus} CPUs); using {}",
            cpus * 4
        )),
        "{stderr}"
    );
}
