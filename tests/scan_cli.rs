//! `nhiscan scan` end to end: exact findings on the planted tree, ignore rules, suppression,
//! skipped files and exit codes.

mod common;

use common::*;
use std::fs;

#[test]
fn planted_tree_findings_are_exactly_what_was_planted() {
    let (code, inv) = scan_json(&planted(), &["."]);
    assert_eq!(code, 1, "deny-level findings exit 1");
    assert_eq!(leaks(&inv), expected_planted());
    // AWS's documented example key id is reported as an example, at warn, where it lies.
    assert_eq!(
        examples(&inv),
        [
            (".env".to_string(), 7, "aws.access-key-id".to_string()),
            (
                "docs/setup.md".to_string(),
                3,
                "aws.access-key-id".to_string()
            ),
        ]
    );
}

#[test]
fn inventory_json_follows_the_contract() {
    let (_, inv) = scan_json(&planted(), &["."]);
    assert_eq!(inv["schema_version"], 1);
    assert_eq!(inv["tool"]["name"], "nhiscan");
    assert_eq!(inv["generated_at"], NOW);
    assert_eq!(inv["scope"]["paths"], serde_json::json!(["."]));
    assert_eq!(inv["sources"][0]["id"], "files");
    assert_eq!(inv["sources"][0]["status"], "ok");
    let identity = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["service"] == "stripe")
        .expect("stripe identity");
    assert_eq!(identity["provider"], "file");
    assert_eq!(identity["kind"], "api-key");
    let fp = identity["fingerprint"].as_str().unwrap();
    assert_eq!(identity["id"], format!("secret:{fp}"));
    // The same key in .env and the Dockerfile is one identity with two exposures.
    let places: Vec<_> = identity["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e["path"].as_str().unwrap(), e["line"]))
        .collect();
    assert_eq!(places, vec![".env:4", "Dockerfile:3"]);
    let reused: Vec<_> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "secret-reused")
        .collect();
    assert_eq!(reused.len(), 1);
    assert_eq!(reused[0]["identity"], identity["id"]);
    assert_eq!(reused[0]["level"], "warn");
    let leak = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["detector"] == "aws.access-key-id")
        .unwrap();
    assert_eq!(leak["level"], "deny");
    assert_eq!(leak["controls"][0], "OWASP-NHI2");
    assert_eq!(leak["column"], 19);
}

#[test]
fn certificates_are_identities_with_expiry_findings() {
    let (_, inv) = scan_json(&planted(), &["."]);
    let certs: Vec<_> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "certificate")
        .collect();
    let mut names: Vec<&str> = certs.iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "legacy-gateway.internal.test",
            "payments-api.internal.test",
            "reports.internal.test"
        ]
    );
    let payments = certs
        .iter()
        .find(|c| c["name"] == "payments-api.internal.test")
        .unwrap();
    assert_eq!(payments["expires_at"], "2026-12-10T00:00:00Z");
    assert_eq!(payments["status"], "active");
    // Same certificate in two files: one identity, two exposures.
    assert_eq!(payments["exposures"].as_array().unwrap().len(), 2);
    assert_eq!(
        payments["attributes"]["issuer"],
        payments["attributes"]["subject"]
    );
    let legacy = certs
        .iter()
        .find(|c| c["name"] == "legacy-gateway.internal.test")
        .unwrap();
    assert_eq!(legacy["status"], "expired");
    let codes: Vec<(&str, &str)> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "certificate" && f["code"] != "unowned")
        .map(|f| (f["code"].as_str().unwrap(), f["identity"].as_str().unwrap()))
        .collect();
    assert!(codes.contains(&("expired", legacy["id"].as_str().unwrap())));
    assert!(codes.contains(&("expiring-soon", payments["id"].as_str().unwrap())));
    assert_eq!(codes.len(), 2, "the 2028 certificate raises nothing");
}

#[test]
fn summary_counts_binary_inline_and_files() {
    let (_, inv) = scan_json(&planted(), &["."]);
    let s = &inv["summary"];
    assert_eq!(s["skipped_binary"], 1, "data/blob.bin has a NUL byte");
    assert_eq!(s["suppressed_inline"], 1, "the nhiscan:allow line in .env");
    assert_eq!(s["errors"], 0);
    assert_eq!(s["files_scanned"], 22, "every text file but ignored ones");
    assert!(s["detectors"].as_u64().unwrap() >= 150);
}

#[test]
fn gitignore_is_honoured_unless_no_ignore_and_nhiscanignore_always() {
    // A copy outside any git repository, with the build output the tree's .gitignore
    // names (untracked: committed files are scanned whatever .gitignore says, see
    // tests/false_cleans.rs).
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&planted(), tmp.path());
    fs::create_dir_all(tmp.path().join("build")).unwrap();
    fs::write(
        tmp.path().join("build/output.env"),
        "GITHUB_TOKEN=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\n",
    )
    .unwrap();
    let (_, inv) = scan_json(tmp.path(), &["."]);
    let paths: Vec<String> = leaks(&inv).into_iter().map(|l| l.0).collect();
    assert!(!paths.iter().any(|p| p.starts_with("build/")));
    assert!(paths.iter().any(|p| p == "src/client.py"), "{paths:?}");
    let (_, inv) = scan_json(tmp.path(), &[".", "--no-ignore"]);
    let found = leaks(&inv);
    assert!(found.contains(&("build/output.env".into(), 1, "github.pat-classic".into())));
    assert!(
        !found.iter().any(|l| l.0.starts_with("generated/")),
        ".nhiscanignore applies even with --no-ignore"
    );
}

#[test]
fn clean_tree_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("main.py"),
        "import os\npassword = os.environ['DB_PASSWORD']\nprint('hello')\n",
    )
    .unwrap();
    let (code, inv) = scan_json(dir.path(), &["."]);
    assert_eq!(code, 0);
    assert!(inv["findings"].as_array().unwrap().is_empty());
}

#[test]
fn warn_only_findings_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        planted().join("certs/legacy-gateway.crt"),
        dir.path().join("old.crt"),
    )
    .unwrap();
    let (code, inv) = scan_json(dir.path(), &["."]);
    let codes: Vec<&str> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["unowned", "expired"]);
    assert_eq!(
        code, 0,
        "an expired, unowned certificate alone is warn, not deny"
    );
}

#[test]
fn usage_and_input_errors_exit_two_with_a_clear_message() {
    let out = nhiscan().args(["scan", "does/not/exist"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does/not/exist"), "{err}");
    assert!(err.contains("no such file or directory"), "{err}");

    let out = nhiscan()
        .args(["scan", "--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = nhiscan()
        .args(["scan", "--max-file-size", "lots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("K/M/G suffix"));

    let out = nhiscan()
        .env("NHISCAN_NOW", "yesterday")
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NHISCAN_NOW"));
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_reported_and_the_inventory_is_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("app");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("ok.txt"), "nothing here\n").unwrap();
    std::os::unix::fs::symlink(dir.path(), sub.join("loop")).unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", "--follow", "--format", "json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "incomplete, never clean");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("symbolic link loop"), "{err}");
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["sources"][0]["status"], "partial");
    assert_eq!(inv["summary"]["files_scanned"], 1, "the rest was scanned");
}

#[cfg(unix)]
#[test]
fn dangling_symlink_with_follow_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("link")).unwrap();
    fs::write(
        dir.path().join("a.env"),
        format!(
            "DIGITALOCEAN_TOKEN=dop_v1_{}\n",
            "7f3a9c1e5b2d8f4a".repeat(4)
        ),
    )
    .unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", "--follow", "--format", "json", "."])
        .output()
        .unwrap();
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(leaks(&inv).len(), 1, "the readable file is still scanned");
    assert_eq!(inv["summary"]["errors"], 1);
    assert_eq!(
        out.status.code(),
        Some(1),
        "deny findings take precedence over incomplete"
    );
}

#[test]
fn files_over_max_size_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = "x = 1\n".repeat(300_000);
    text.push_str(&format!(
        "DIGITALOCEAN_TOKEN=dop_v1_{}\n",
        "9e8d7c6b5a4f3e2d".repeat(4)
    ));
    fs::write(dir.path().join("big.env"), text).unwrap();
    let (code, inv) = scan_json(dir.path(), &[".", "--max-file-size", "1M"]);
    assert_eq!(inv["summary"]["skipped_too_large"], 1);
    assert!(leaks(&inv).is_empty());
    assert_eq!(code, 0);
    let (_, inv) = scan_json(dir.path(), &["."]);
    assert_eq!(
        leaks(&inv),
        vec![("big.env".into(), 300_001, "digitalocean.pat".into())]
    );
}

#[test]
fn secrets_across_chunk_boundaries_are_found_once_with_true_lines() {
    // 20 MiB of filler crosses two 8 MiB chunk boundaries; plant a token near each.
    let dir = tempfile::tempdir().unwrap();
    let line = "let filler = \"abcdefghijklmnopqrstuvwxyz0123456789\";\n"; // 51 bytes
    let per_chunk = (8 * 1024 * 1024) / line.len();
    let token = |i: u32| {
        format!(
            "GROQ_API_KEY=gsk_{:0>52}\n",
            format!("Qm{i}Zr8vLw3Xk9Tn2Bq7Hs5Jd4Pf6Yc1Ge")
        )
    };
    let mut text = String::new();
    let mut planted_lines = Vec::new();
    let mut n = 0u64;
    for i in 0..(per_chunk * 5 / 2) {
        if i == per_chunk - 2 || i == 2 * per_chunk - 1 || i == per_chunk * 5 / 2 - 10 {
            text.push_str(&token(i as u32));
            n += 1;
            planted_lines.push(n);
        }
        text.push_str(line);
        n += 1;
    }
    fs::write(dir.path().join("huge.rs"), text).unwrap();
    let (_, inv) = scan_json(dir.path(), &["."]);
    let found: Vec<u64> = leaks(&inv).into_iter().map(|l| l.1).collect();
    assert_eq!(found, planted_lines);
}

#[test]
fn baseline_suppresses_known_secrets_by_fingerprint_not_line() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_tree(&planted(), &repo);
    let baseline = dir.path().join("baseline.json");
    let b = baseline.to_str().unwrap();
    let (code, before) = scan_json(&repo, &[".", "--write-baseline", b]);
    assert_eq!(
        code, 1,
        "writing a baseline does not hide the current result"
    );

    // Every finding is accepted (secrets and the warn-level ones alike) except the
    // vendors' published examples, which are never baselined: they never fail a build.
    let (code, inv) = scan_json(&repo, &[".", "--baseline", b]);
    let examples = |inv: &serde_json::Value| {
        inv["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["confidence"] == "example")
            .count()
    };
    let all = before["findings"].as_array().unwrap().len();
    assert!(all > 26 && examples(&before) == 2, "{all}");
    assert_eq!(inv["summary"]["suppressed_baseline"], (all - 2) as u64);
    assert_eq!(inv["findings"].as_array().unwrap().len(), examples(&inv));
    assert!(leaks(&inv).is_empty());
    assert_eq!(code, 0);

    // Moving code does not resurrect baselined findings; a new secret is reported.
    let env = repo.join(".env");
    let old = fs::read_to_string(&env).unwrap();
    let new_key = format!("NEW_TOKEN=dop_v1_{}\n", "3c5e7a9b1d2f4e6a".repeat(4));
    fs::write(&env, format!("\n\n\n{new_key}{old}")).unwrap();
    let (code, inv) = scan_json(&repo, &[".", "--baseline", b]);
    assert_eq!(code, 1);
    assert_eq!(
        leaks(&inv),
        vec![(".env".into(), 4, "digitalocean.pat".into())]
    );
}

#[test]
fn malformed_baseline_is_a_usage_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("baseline.json");
    fs::write(
        &bad,
        "{\"nhiscan_baseline\": 1, \"entries\": [{\"detector\": 3}]}",
    )
    .unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", ".", "--baseline", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("baseline.json"), "{err}");
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("report.sarif");
    let out = nhiscan()
        .current_dir(planted())
        .args(["scan", ".", "--format", "sarif", "-o"])
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout with -o");
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        34,
        "26 leaks, 2 published examples (warn), 1 reuse, 2 expiry, 3 unowned certificates"
    );
    assert!(
        results
            .iter()
            .all(|r| r["partialFingerprints"]["nhiscan/secret/v1"].is_string())
    );
}

#[test]
fn sarif_has_the_properties_code_scanning_requires() {
    let out = nhiscan()
        .current_dir(planted())
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "nhiscan");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for result in run["results"].as_array().unwrap() {
        let rule = result["ruleId"].as_str().unwrap();
        assert!(rules.contains(&rule), "result rule {rule} has a descriptor");
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let loc = &result["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].is_string());
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let aws = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "leaked-secret/aws.access-key-id")
        .unwrap();
    assert_eq!(aws["level"], "error");
    // Relative to the repository holding the fixtures (this checkout), or to the fixtures
    // themselves where they are in none.
    let root = planted()
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map_or_else(planted, |d| d.to_path_buf());
    let expected = planted().join(".env");
    let artifact = &aws["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(
        artifact["uri"],
        expected.strip_prefix(&root).unwrap().to_str().unwrap()
    );
    assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
}

#[test]
fn offline_facts_decode_aws_account_and_jwt_expiry() {
    let (_, inv) = scan_json(&planted(), &["."]);
    let ids = inv["identities"].as_array().unwrap();
    let aws = ids
        .iter()
        .find(|i| i["kind"] == "access-key" && i["service"] == "aws")
        .unwrap();
    let account = aws["attributes"]["aws_account_id"].as_str().unwrap();
    assert_eq!(account.len(), 12);
    assert!(account.bytes().all(|b| b.is_ascii_digit()));
    let jwt = ids.iter().find(|i| i["service"] == "jwt").unwrap();
    assert_eq!(jwt["expires_at"], "2031-01-01T00:00:00Z");
    assert_eq!(jwt["status"], "active");
    assert_eq!(jwt["attributes"]["jwt_sub"], "svc-reporting");
}

/// A scan asks the kernel for no transparent huge pages (see `no_huge_pages` in main.rs):
/// read from the kernel's view of a running scan, against a control process started the
/// same way, so neither the runner's own setting nor the kernel's can make it pass.
#[cfg(target_os = "linux")]
#[test]
fn a_scan_runs_without_transparent_huge_pages() {
    use std::io::{Read, Write};
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};
    assert!(
        std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists(),
        "this kernel has no transparent huge pages; the test needs a kernel that has them"
    );
    // Each child starts with huge pages allowed, whatever this test runner inherited.
    let start = |program: &str, args: &[&str]| -> Child {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_remove("MIMALLOC_ALLOW_THP")
            .env("NHISCAN_NOW", NOW)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: prctl with integer arguments only, allowed between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                let zero: libc::c_ulong = 0;
                libc::prctl(libc::PR_SET_THP_DISABLE, zero, zero, zero, zero);
                Ok(())
            });
        }
        cmd.spawn().expect("the child starts")
    };
    let thp_enabled = |child: &Child| {
        std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("THP_enabled:").map(|v| v.trim().to_string()))
    };
    let mut control = start("cat", &[]);
    let control_seen = thp_enabled(&control);
    drop(control.stdin.take());
    control.wait().unwrap();
    assert_eq!(
        control_seen.as_deref(),
        Some("1"),
        "a process started this way has huge pages allowed"
    );
    // `scan -` waits on standard input, so the scan is alive while it is inspected; the
    // setting is made first thing in `main`, after the loader and the runtime's start.
    let mut scan = start(
        env!("CARGO_BIN_EXE_nhiscan"),
        &["scan", "-", "--no-progress", "--format", "json"],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = thp_enabled(&scan);
    while seen.as_deref() != Some("0") && Instant::now() < deadline {
        if let Ok(Some(exit)) = scan.try_wait() {
            let mut stderr = String::new();
            let _ = scan.stderr.take().unwrap().read_to_string(&mut stderr);
            panic!("the scan ended before it was inspected ({exit}): {stderr}");
        }
        std::thread::sleep(Duration::from_millis(20));
        seen = thp_enabled(&scan);
    }
    let _ = scan.stdin.take().unwrap().write_all(b"nothing to see\n");
    let out = scan.wait_with_output().unwrap();
    assert_eq!(
        seen.as_deref(),
        Some("0"),
        "THP_enabled of the running scan"
    );
    assert!(
        out.status.success(),
        "the scan itself ends cleanly: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// At exit the allocator's cleanup is skipped (see `skip_allocator_cleanup_at_exit` in
/// main.rs): the kernel reclaims the memory anyway. mimalloc's verbose mode names every
/// step; the scan must still print its report, and mimalloc must have spoken (so the
/// missing line is not just a silent allocator) without ever saying its process is done,
/// a message the linked mimalloc does have (so its absence is not a renamed message).
#[test]
fn a_scan_exits_without_the_allocator_cleaning_up() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.env"), "NAME=demo\n").unwrap();
    let out = nhiscan()
        .env("MIMALLOC_VERBOSE", "1")
        .args(["scan", "--no-progress", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("nhiscan runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let inventory: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a report");
    assert_eq!(inventory["summary"]["files_scanned"], 1, "{inventory}");
    assert!(
        stderr.contains("mimalloc: process init"),
        "mimalloc was not verbose: {stderr}"
    );
    assert!(
        !stderr.contains("process done"),
        "the allocator cleaned up at exit: {stderr}"
    );
    let binary = fs::read(assert_cmd::cargo::cargo_bin("nhiscan")).unwrap();
    assert!(
        binary.windows(12).any(|w| w == b"process done"),
        "the linked mimalloc has no `process done` message: this test checks nothing"
    );
}
