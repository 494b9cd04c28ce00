//! Messages a user acts on: a typo on the command line is a usage error (exit 2) that says
//! what was expected; a range that selects nothing says why; a config or detector file
//! reports every problem in one run; a broken cache is rewritten as promised; the same
//! file seen by the walk and by the history is one file.

mod common;

use common::git::Repo;
use common::*;
use std::fs;

/// A repository with three commits, a GitHub token added in the second.
fn three_commits(root: &std::path::Path) -> Repo {
    let repo = Repo::new(root, "svc");
    for (n, date) in [
        "2024-02-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
        "2024-04-01T00:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let text = if n == 1 {
            "GITHUB_TOKEN=ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7C\n".to_string()
        } else {
            format!("step {n}\n")
        };
        repo.write(&format!("config/step{n}.env"), &text);
        repo.commit(&format!("step {n}"), date, "Dev");
    }
    repo
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_malformed_rev_range_is_a_usage_error_saying_what_is_expected() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = three_commits(tmp.path());
    for (range, says) in [
        ("nonsense", "expected A..B (two dots"),
        ("main...HEAD", "three dots"),
        ("..", "both ends are empty"),
    ] {
        let out = nhiscan()
            .current_dir(&repo.dir)
            .args(["scan", ".", "--rev-range", range])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{range}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains(says),
            "{range}: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn an_empty_or_reversed_range_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = three_commits(tmp.path());
    let (code, inv, stderr) = run_json(nhiscan().current_dir(&repo.dir).args([
        "scan",
        ".",
        "--format",
        "json",
        "--rev-range",
        "HEAD..HEAD~2",
    ]));
    assert!(
        stderr.contains("the range `HEAD..HEAD~2` selects no commits")
            && stderr.contains("reversed; did you mean `HEAD~2..HEAD`?"),
        "{stderr}"
    );
    // Saying so is not an incomplete scan: nothing the range selects was left out.
    assert_ne!(code, 3, "{stderr}");
    assert!(inv["summary"].is_object());
    let (_, _, stderr) = run_json(nhiscan().current_dir(&repo.dir).args([
        "scan",
        ".",
        "--format",
        "json",
        "--rev-range",
        "HEAD..HEAD",
    ]));
    assert!(
        stderr.contains("`HEAD` and `HEAD` are the same commit"),
        "{stderr}"
    );
    // The right way round, the range finds the token its commit added.
    let (_, inv, stderr) = run_json(nhiscan().current_dir(&repo.dir).args([
        "scan",
        ".",
        "--format",
        "json",
        "--rev-range",
        "HEAD~2..HEAD",
    ]));
    assert!(!stderr.contains("selects no commits"), "{stderr}");
    assert!(inv.to_string().contains("config/step1.env"));
}

#[test]
fn a_github_url_that_is_not_a_url_is_a_usage_error() {
    for url in ["not a url", "ftp://example.test/api", "example.test"] {
        let out = nhiscan()
            .env("GITHUB_TOKEN", "x")
            .args([
                "scan",
                "--no-history",
                "--github",
                "acme",
                "--github-url",
                url,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains("invalid value") && stderr_of(&out).contains("--github-url"),
            "{url}: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn a_config_file_reports_syntax_type_and_meaning_problems_in_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("nhiscan.toml");
    fs::write(
        &config,
        r#"[policy]
stale_days = "ninety"
rotation_days = -5
unknown_key = 3

[[owners]]
path = "src/**"

[[owners]]
team = "@acme/payments"
path = "[unclosed"

[policy.levels]
leaked-secret = "fatal"
"#,
    )
    .unwrap();
    let out = nhiscan()
        .current_dir(tmp.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    for needle in [
        "6 problem(s)",
        "nhiscan.toml:2:14: invalid type: string \"ninety\"",
        "nhiscan.toml:3:17: policy.rotation_days: must be 0 or more",
        "nhiscan.toml:4:1: unknown field `unknown_key`",
        "nhiscan.toml:6:1: missing field `team`",
        "nhiscan.toml:11:8:",
        "bad glob",
        "nhiscan.toml:14:17: policy.levels.leaked-secret: `fatal` is not a level",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    // A syntax error does not hide the rest either.
    fs::write(
        &config,
        "[policy\nstale_days = -1\n[policy.levels]\nbogus-code = \"deny\"\n",
    )
    .unwrap();
    let out = nhiscan()
        .current_dir(tmp.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("nhiscan.toml:1:8:"), "{stderr}");
    assert!(
        stderr.contains("policy.levels.bogus-code: unknown policy code"),
        "{stderr}"
    );
}

#[test]
fn a_cache_that_is_not_json_is_rewritten_as_the_warning_says() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = three_commits(tmp.path());
    let cache = tmp.path().join("cache.json");
    fs::write(&cache, "{not json").unwrap();
    let args = |c: &std::path::Path| {
        vec![
            "scan".to_string(),
            ".".into(),
            "--format".into(),
            "json".into(),
            "--cache".into(),
            c.display().to_string(),
        ]
    };
    let (_, first, stderr) = run_json(nhiscan().current_dir(&repo.dir).args(args(&cache)));
    assert!(stderr.contains("is not a valid nhiscan cache"), "{stderr}");
    assert!(stderr.contains("it will be rewritten"), "{stderr}");
    let text = fs::read_to_string(&cache).unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_ok(),
        "the cache was not rewritten: {text}"
    );
    // The rewritten cache serves the next run.
    let (_, second, stderr) = run_json(nhiscan().current_dir(&repo.dir).args(args(&cache)));
    assert!(!stderr.contains("not a valid nhiscan cache"), "{stderr}");
    assert_eq!(
        second["summary"]["blobs_scanned"], 0,
        "{}",
        second["summary"]
    );
    assert!(second["summary"]["blobs_cached"].as_u64().unwrap() > 0);
    assert_eq!(first["identities"], second["identities"]);
}

#[test]
fn detectors_may_be_one_file_and_a_wrong_path_says_to_check_it() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("acme.toml");
    fs::write(
        &file,
        r#"[[detector]]
id = "acme.deploy-token"
name = "Acme deploy token"
provider = "acme"
kind = "token"
keywords = ["acme_dt_"]
regex = '''(?P<secret>acme_dt_[A-Za-z0-9]{32})'''
examples = ["ACME_TOKEN=acme_dt_Qm8Zr8vLw3Xk9Tn2Bq7Hs5Jd4Pf6Yc1G"]
negative_examples = ["acme_dt_short"]
"#,
    )
    .unwrap();
    fs::write(
        tmp.path().join("app.env"),
        "ACME_TOKEN=acme_dt_Zx4Vb7Nm1Qw9Er3Ty6Ui8Op2As5Df0Gh\n",
    )
    .unwrap();
    let (code, inv) = scan_json(
        tmp.path(),
        &["app.env", "--detectors", file.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{inv}");
    assert!(inv.to_string().contains("acme.deploy-token"), "{inv}");

    let out = nhiscan()
        .current_dir(tmp.path())
        .args(["scan", "app.env", "--detectors", "no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("check the path"), "{stderr}");
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "the cause once: {stderr}"
    );
}

#[test]
fn a_repository_scanned_by_another_path_is_one_file_not_a_reused_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "svc");
    repo.write(
        "base/x.env",
        "GITHUB_TOKEN=ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7C\n",
    );
    repo.commit("add", "2024-02-01T00:00:00Z", "Dev");
    // Walk and history both see svc/base/x.env: one file, one place.
    let (_, inv) = scan_json(tmp.path(), &["svc"]);
    let codes = finding_codes(&inv, inv["identities"][0]["id"].as_str().unwrap());
    assert!(codes.contains(&"leaked-secret"), "{codes:?}");
    assert!(!codes.contains(&"secret-reused"), "{codes:?}");
    // A real second copy still is reuse.
    repo.write(
        "other/y.env",
        "GITHUB_TOKEN=ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7C\n",
    );
    let (_, inv) = scan_json(tmp.path(), &["svc"]);
    assert!(inv.to_string().contains("secret-reused"));
}
