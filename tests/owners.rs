//! Ownership: [[owners]] rules, CODEOWNERS (last matching pattern wins), git author, and
//! the `unowned` finding.

mod common;

use common::*;
use std::fs;
use std::process::Command;

fn owner_of<'a>(inv: &'a serde_json::Value, path_prefix: &str) -> &'a serde_json::Value {
    &inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["exposures"][0]["path"]
                .as_str()
                .unwrap()
                .starts_with(path_prefix)
        })
        .unwrap_or_else(|| panic!("no identity under {path_prefix}"))["owner"]
}

#[test]
fn codeowners_decides_with_the_last_matching_line_and_evidence() {
    let (_, inv) = scan_json(&planted(), &["."]);
    let config = owner_of(&inv, "config/");
    assert_eq!(config["team"], "@acme/billing");
    assert_eq!(config["backup"], "@acme/sre");
    assert_eq!(config["source"], "codeowners");
    assert!(
        config["evidence"]
            .as_str()
            .unwrap()
            .starts_with(".github/CODEOWNERS:3 `/config/`")
    );
    assert_eq!(owner_of(&inv, "web/")["team"], "@acme/frontend");
    assert_eq!(owner_of(&inv, ".env")["team"], "@acme/platform");
    // `/certs/` lists no owner: GitHub reads that as "nobody", so certificates are unowned.
    assert!(owner_of(&inv, "certs/").is_null());
    let unowned = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unowned")
        .count();
    assert_eq!(unowned, 3);
}

#[test]
fn owners_rules_in_config_win_over_codeowners() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_tree(&planted(), &repo);
    fs::write(
        repo.join("nhiscan.toml"),
        "[[owners]]\nteam = \"payments\"\nbackup = \"sre-oncall\"\npath = \"config/**\"\n\n[[owners]]\nteam = \"pki\"\nkind = \"certificate\"\n",
    )
    .unwrap();
    let (_, inv) = scan_json(&repo, &["."]);
    let config = owner_of(&inv, "config/");
    assert_eq!(config["team"], "payments");
    assert_eq!(config["source"], "mapping");
    assert!(
        config["evidence"]
            .as_str()
            .unwrap()
            .contains("nhiscan.toml:2")
    );
    assert_eq!(owner_of(&inv, "certs/")["team"], "pki");
    assert!(
        inv["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "unowned")
    );
}

#[test]
fn the_author_of_the_introducing_commit_is_the_last_resort() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(dir.path())
            .args(args)
            .env("GIT_AUTHOR_NAME", "Grace Ops")
            .env("GIT_AUTHOR_EMAIL", "grace.ops@example.test")
            .env("GIT_COMMITTER_NAME", "Grace Ops")
            .env("GIT_COMMITTER_EMAIL", "grace.ops@example.test")
            .env("GIT_AUTHOR_DATE", "2024-05-05T05:05:05Z")
            .env("GIT_COMMITTER_DATE", "2024-05-05T05:05:05Z")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    fs::write(
        dir.path().join("ci.env"),
        "DO=dop_v1_4f9a2c7e1b8d3f6a0e5c9b2d7a4f1e8c3b6d9a2f5e0c7b4a1d8f3e6c9b2a5d7f\n",
    )
    .unwrap();
    git(&["add", "."]);
    git(&["-c", "commit.gpgsign=false", "commit", "-q", "-m", "ci"]);
    let (_, inv) = scan_json(dir.path(), &["."]);
    let owner = &inv["identities"][0]["owner"];
    assert_eq!(owner["team"], "grace.ops@example.test");
    assert_eq!(owner["source"], "git-author");
    assert!(owner["evidence"].as_str().unwrap().contains("Grace Ops"));
}

#[test]
fn a_bot_never_owns_a_secret_and_a_commit_author_is_only_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = common::git::Repo::new(tmp.path(), "svc");
    // Synthetic DigitalOcean tokens (`dop_v1_` and 64 hex characters).
    let by_bot = "dop_v1_4f9a2c7e1b8d3f6a0e5c9b2d7a4f1e8c3b6d9a2f5e0c7b4a1d8f3e6c9b2a5d7f";
    let by_dev = "dop_v1_9e2b7c4a1f8d3e6b0c5a9f2e7d4b1a8c3f6e9d2b5a0c7f4e1b8d3a6c9f2e5b7a";
    repo.write("deps/lock.env", &format!("DO={by_bot}\n"));
    repo.commit("bump", "2025-01-01T00:00:00Z", "dependabot[bot]");
    repo.write("ci/deploy.env", &format!("DO={by_dev}\n"));
    repo.commit("ci", "2025-01-02T00:00:00Z", "Dev One");
    let (_, inv) = scan_json(&repo.dir, &["."]);
    let of = |path: &str| {
        inv["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["location"].as_str().unwrap().starts_with(path))
            .unwrap_or_else(|| panic!("{path} in {inv}"))
            .clone()
    };
    assert!(of("deps/lock.env")["owner"].is_null(), "a bot is no owner");
    let dev = of("ci/deploy.env");
    assert_eq!(dev["owner"]["team"], "dev.one@example.test");
    assert_eq!(dev["owner"]["source"], "git-author");
    let unowned: Vec<String> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unowned")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unowned.len(), 2, "both are unowned for policy: {unowned:?}");
    assert!(
        unowned
            .iter()
            .any(|m| m.contains("no confirmed owner; suggested: dev.one@example.test")),
        "{unowned:?}"
    );
    // The table says it is a suggestion.
    let out = nhiscan()
        .current_dir(&repo.dir)
        .args(["scan", "."])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("dev.one@example.test? (suggested, git-author)")
    );
}
