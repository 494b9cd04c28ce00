//! History scanning against real repositories built here with `git` and fixed dates.

mod common;

use common::git::{Repo, do_token as token, scan_json as scan};
use common::*;
use serde_json::Value;

fn identities(inv: &Value) -> Vec<Value> {
    inv["identities"].as_array().unwrap().clone()
}

fn history_exposures(identity: &Value) -> Vec<(String, String, bool)> {
    let mut v: Vec<_> = identity["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["commit"].is_string())
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["commit"].as_str().unwrap().to_string(),
                e["in_head"].as_bool().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn secret_added_then_removed_is_in_history_with_author_date_and_removal() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("README.md", "# service\n");
    repo.write(
        "deploy/prod.env",
        &format!("REGION=eu\nDO_TOKEN={}\n", token(1)),
    );
    let added = repo.commit("add deploy config", "2024-03-05T09:30:00Z", "Alice Admin");
    std::fs::remove_file(repo.dir.join("deploy/prod.env")).unwrap();
    let removed = repo.commit("remove secret", "2024-04-01T12:00:00Z", "Bob Builder");

    let (code, inv, _) = scan(&repo.dir, &[]);
    assert_eq!(code, 1);
    let ids = identities(&inv);
    assert_eq!(ids.len(), 1);
    let id = &ids[0];
    assert_eq!(id["provider"], "git");
    assert_eq!(id["created_at"], "2024-03-05T09:30:00Z");
    assert_eq!(id["age_days"], 992, "2024-03-05 to 2026-11-22");
    assert_eq!(id["attributes"]["first_commit"], added.as_str());
    assert_eq!(id["attributes"]["removed_in"], removed.as_str());
    assert_eq!(id["attributes"]["in_head"], "false");
    let e = &id["exposures"][0];
    assert_eq!(e["path"], "deploy/prod.env");
    assert_eq!(e["line"], 2);
    assert_eq!(e["author"], "Alice Admin");
    assert_eq!(e["author_email"], "alice.admin@example.test");
    assert_eq!(e["author_date"], "2024-03-05T09:30:00Z");
    // The committer is only a suggested owner, so the secret is also `unowned`.
    let findings = inv["findings"].as_array().unwrap();
    let codes: Vec<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["secret-in-history", "unowned"]);
    assert_eq!(id["owner"]["source"], "git-author");
    assert_eq!(findings[0]["level"], "deny");
    assert_eq!(findings[0]["commit"], added.as_str());
    assert_eq!(inv["summary"]["commits_scanned"], 2);
    let sources = inv["sources"].as_array().unwrap();
    assert_eq!(sources[1]["id"], "git:.");
    assert_eq!(sources[1]["status"], "ok");
}

#[test]
fn same_secret_on_two_branches_is_one_identity_attributed_to_the_earlier_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("app.py", "print('hi')\n");
    repo.commit("base", "2024-01-10T00:00:00Z", "Alice Admin");
    repo.git(
        &["checkout", "-q", "-b", "feature"],
        "2024-01-11T00:00:00Z",
        "Alice Admin",
    );
    repo.write("feature.env", &format!("TOKEN={}\n", token(2)));
    let early = repo.commit("feature token", "2024-01-12T00:00:00Z", "Carol Coder");
    repo.git(
        &["checkout", "-q", "main"],
        "2024-01-13T00:00:00Z",
        "Alice Admin",
    );
    repo.write(
        "config/main.env",
        &format!("# same token\nTOKEN={}\n", token(2)),
    );
    let late = repo.commit("main token", "2024-02-20T00:00:00Z", "Dave Dev");

    let (_, inv, _) = scan(&repo.dir, &[]);
    let ids = identities(&inv);
    assert_eq!(ids.len(), 1, "one secret, one identity");
    assert_eq!(ids[0]["attributes"]["first_commit"], early.as_str());
    assert_eq!(ids[0]["created_at"], "2024-01-12T00:00:00Z");
    let hist = history_exposures(&ids[0]);
    assert_eq!(
        hist,
        vec![
            ("config/main.env".into(), late.clone(), true),
            ("feature.env".into(), early.clone(), false),
        ]
    );
    // The working tree (main) has it too: a file exposure, and the leak is reported there.
    let leaks = leaks(&inv);
    assert_eq!(
        leaks,
        vec![("config/main.env".into(), 2, "digitalocean.pat".into())]
    );
    assert_eq!(ids[0]["provider"], "file");
}

#[test]
fn moved_secret_keeps_its_first_commit_and_lists_both_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("old/settings.env", &format!("TOKEN={}\n", token(3)));
    let first = repo.commit("add", "2024-05-01T08:00:00Z", "Alice Admin");
    repo.git(
        &["mv", "old/settings.env", "new.env"],
        "2024-05-02T08:00:00Z",
        "Bob Builder",
    );
    let moved = repo.commit("move", "2024-05-02T08:00:00Z", "Bob Builder");

    let (_, inv, _) = scan(&repo.dir, &[]);
    let ids = identities(&inv);
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0]["attributes"]["first_commit"], first.as_str());
    assert_eq!(ids[0]["attributes"]["in_head"], "true");
    assert!(ids[0]["attributes"]["removed_in"].is_null());
    assert_eq!(
        history_exposures(&ids[0]),
        vec![
            ("new.env".into(), moved, true),
            ("old/settings.env".into(), first, false),
        ]
    );
}

#[test]
fn secret_from_a_merged_branch_is_attributed_to_the_branch_commit_not_the_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("a.txt", "a\n");
    repo.commit("base", "2024-06-01T00:00:00Z", "Alice Admin");
    repo.git(
        &["checkout", "-q", "-b", "topic"],
        "2024-06-02T00:00:00Z",
        "Alice Admin",
    );
    repo.write("topic.env", &format!("TOKEN={}\n", token(4)));
    let topic = repo.commit("topic", "2024-06-03T00:00:00Z", "Erin Eng");
    repo.git(
        &["checkout", "-q", "main"],
        "2024-06-04T00:00:00Z",
        "Alice Admin",
    );
    repo.write("b.txt", "b\n");
    repo.commit("main work", "2024-06-04T00:00:00Z", "Alice Admin");
    repo.git(
        &["merge", "-q", "--no-ff", "-m", "merge topic", "topic"],
        "2024-06-05T00:00:00Z",
        "Alice Admin",
    );

    let (_, inv, _) = scan(&repo.dir, &[]);
    let ids = identities(&inv);
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0]["attributes"]["first_commit"], topic.as_str());
    assert_eq!(
        ids[0]["attributes"]["first_author"],
        "Erin Eng <erin.eng@example.test>"
    );
    assert_eq!(inv["summary"]["commits_scanned"], 4);
}

#[test]
fn secret_reachable_only_from_a_tag_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("a.txt", "a\n");
    repo.commit("base", "2024-07-01T00:00:00Z", "Alice Admin");
    repo.git(
        &["checkout", "-q", "-b", "release-tmp"],
        "2024-07-02T00:00:00Z",
        "Alice Admin",
    );
    repo.write("release.env", &format!("TOKEN={}\n", token(5)));
    let tagged = repo.commit("release", "2024-07-02T00:00:00Z", "Frank Ops");
    repo.git(
        &["tag", "-a", "v1.0", "-m", "v1.0"],
        "2024-07-02T00:00:00Z",
        "Frank Ops",
    );
    repo.git(
        &["checkout", "-q", "main"],
        "2024-07-03T00:00:00Z",
        "Alice Admin",
    );
    repo.git(
        &["branch", "-q", "-D", "release-tmp"],
        "2024-07-03T00:00:00Z",
        "Alice Admin",
    );

    let (code, inv, _) = scan(&repo.dir, &[]);
    assert_eq!(code, 1);
    let ids = identities(&inv);
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0]["attributes"]["first_commit"], tagged.as_str());
    assert_eq!(ids[0]["attributes"]["in_head"], "false");
    assert_eq!(inv["findings"][0]["code"], "secret-in-history");
}

#[test]
fn bare_clone_reports_head_secrets_as_leaks_and_removed_ones_as_history() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "src");
    repo.write("gone.env", &format!("TOKEN={}\n", token(6)));
    repo.commit("add gone", "2024-08-01T00:00:00Z", "Alice Admin");
    std::fs::remove_file(repo.dir.join("gone.env")).unwrap();
    repo.write("kept.env", &format!("TOKEN={}\n", token(7)));
    let kept = repo.commit("swap", "2024-08-02T00:00:00Z", "Alice Admin");
    repo.git_in(
        tmp.path(),
        &["clone", "-q", "--bare", "src", "mirror.git"],
        "2024-08-03T00:00:00Z",
        "Alice Admin",
    );
    let (code, inv, _) = scan(&tmp.path().join("mirror.git"), &[]);
    assert_eq!(code, 1);
    let mut codes: Vec<(String, String)> = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().into(),
                f["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![
            ("leaked-secret".into(), "kept.env".into()),
            ("secret-in-history".into(), "gone.env".into()),
            // Their committers are suggested owners only.
            ("unowned".into(), "gone.env".into()),
            ("unowned".into(), "kept.env".into()),
        ]
    );
    let leak = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "leaked-secret")
        .unwrap();
    assert_eq!(leak["commit"], kept.as_str());
    assert!(
        inv["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["commit"].is_string()),
        "a bare repository has no working tree: every finding comes from history"
    );
}

#[test]
fn shallow_clone_says_history_is_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "src");
    repo.write("old.env", &format!("TOKEN={}\n", token(8)));
    repo.commit("old secret", "2024-09-01T00:00:00Z", "Alice Admin");
    std::fs::remove_file(repo.dir.join("old.env")).unwrap();
    repo.write("new.env", &format!("TOKEN={}\n", token(9)));
    repo.commit("new secret", "2024-09-02T00:00:00Z", "Alice Admin");
    let url = format!("file://{}", repo.dir.display());
    repo.git_in(
        tmp.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
        "2024-09-03T00:00:00Z",
        "Alice Admin",
    );
    let (code, inv, stderr) = scan(&tmp.path().join("shallow"), &[]);
    assert_eq!(code, 1);
    let ids = identities(&inv);
    assert_eq!(
        ids.len(),
        1,
        "the secret removed before the boundary is not visible"
    );
    assert_eq!(inv["summary"]["commits_scanned"], 1);
    let warnings = inv["sources"][1]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("history is truncated"))
    );
    assert_eq!(inv["sources"][1]["status"], "ok");
    assert!(stderr.contains("shallow clone"), "{stderr}");
}

#[test]
fn no_history_scans_only_the_working_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("x.env", &format!("TOKEN={}\n", token(10)));
    repo.commit("add", "2024-10-01T00:00:00Z", "Alice Admin");
    std::fs::remove_file(repo.dir.join("x.env")).unwrap();
    repo.commit("rm", "2024-10-02T00:00:00Z", "Alice Admin");
    let (code, inv, _) = scan(&repo.dir, &["--no-history"]);
    assert_eq!(code, 0);
    assert!(identities(&inv).is_empty());
    assert_eq!(inv["sources"].as_array().unwrap().len(), 1);
}

#[test]
fn range_scan_reports_new_secrets_and_old_ones_with_their_true_first_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("app.env", &format!("OLD={}\n", token(11)));
    repo.write("untouched.env", &format!("OTHER={}\n", token(12)));
    let c1 = repo.commit("c1", "2024-01-01T10:00:00Z", "Alice Admin");
    repo.write("docs.md", "docs\n");
    let c2 = repo.commit("c2", "2024-01-02T10:00:00Z", "Alice Admin");
    repo.write(
        "app.env",
        &format!("OLD={}\nNEW={}\n", token(11), token(13)),
    );
    let c3 = repo.commit("c3", "2024-01-03T10:00:00Z", "Bob Builder");

    let range = format!("{c2}..{c3}");
    let (_, inv, _) = scan(&repo.dir, &["--rev-range", &range]);
    // Only what the range introduced is reported: NEW (from c3) and OLD, which sits in the
    // app.env blob c3 wrote but keeps its true first commit c1. untouched.env is not in
    // the range, and the working tree is not walked in a range scan.
    let mut firsts: Vec<(String, String)> = identities(&inv)
        .iter()
        .map(|i| {
            (
                i["attributes"]["first_commit"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                i["exposures"][0]["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    firsts.sort();
    let mut expected = vec![
        (c1.clone(), "app.env".to_string()),
        (c3.clone(), "app.env".to_string()),
    ];
    expected.sort();
    assert_eq!(firsts, expected);
    assert!(
        inv["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["path"] == "app.env")
    );

    let (_, inv, _) = scan(&repo.dir, &["--since-commit", &c2]);
    assert_eq!(identities(&inv).len(), 2, "--since-commit c2 is c2..HEAD");
    let (_, inv, _) = scan(&repo.dir, &["--since-commit", &c1]);
    assert_eq!(identities(&inv).len(), 2);
    let (_, inv, _) = scan(&repo.dir, &[]);
    assert_eq!(
        identities(&inv).len(),
        3,
        "a full scan sees untouched.env too"
    );
    let (code, inv, stderr) = scan(&repo.dir, &["--rev-range", "nope..HEAD"]);
    assert_eq!(
        code, 3,
        "a bad range is a failed source: the inventory is incomplete, never clean"
    );
    assert_eq!(inv["sources"][1]["status"], "failed");
    assert!(stderr.contains("bad revision range"), "{stderr}");
}

#[test]
fn cache_makes_the_second_run_scan_no_blobs_with_identical_results() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("a.env", &format!("TOKEN={}\n", token(14)));
    repo.commit("a", "2024-02-01T00:00:00Z", "Alice Admin");
    repo.write("a.env", "clean\n");
    repo.commit("b", "2024-02-02T00:00:00Z", "Alice Admin");
    let cache = tmp.path().join("blobs.cache");
    let c = cache.to_str().unwrap();
    let (_, first, _) = scan(&repo.dir, &["--cache", c]);
    assert_eq!(first["summary"]["blobs_cached"], 0);
    assert_eq!(first["summary"]["blobs_scanned"], 2);
    let (_, second, _) = scan(&repo.dir, &["--cache", c]);
    assert_eq!(second["summary"]["blobs_cached"], 2);
    assert_eq!(second["summary"]["blobs_scanned"], 0);
    assert_eq!(first["findings"], second["findings"]);
    assert_eq!(first["identities"], second["identities"]);
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(!text.contains(&token(14)), "the cache holds no secret");
}

#[test]
fn submodules_are_reported_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("a.txt", "a\n");
    let base = repo.commit("base", "2024-03-01T00:00:00Z", "Alice Admin");
    repo.git(
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{base},vendor/lib"),
        ],
        "2024-03-02T00:00:00Z",
        "Alice Admin",
    );
    repo.git(
        &["commit", "-q", "-m", "add submodule"],
        "2024-03-02T00:00:00Z",
        "Alice Admin",
    );
    let (code, inv, _) = scan(&repo.dir, &[]);
    assert_eq!(code, 0);
    let warnings = inv["sources"][1]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("submodule vendor/lib")),
        "{warnings:?}"
    );
}

#[test]
fn every_exposure_says_where_it_was_seen_a_working_tree_file_or_a_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("app.env", &format!("DO_TOKEN={}\n", token(7)));
    let added = repo.commit("add", "2024-03-05T09:30:00Z", "Alice Admin");

    let (_, inv, _) = scan(&repo.dir, &[]);
    let ids = identities(&inv);
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0]["discovery"], "found");
    let origins: Vec<&Value> = ids[0]["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["origin"])
        .collect();
    assert_eq!(
        origins,
        [
            &serde_json::json!({"kind": "file", "root": ".", "path": "app.env"}),
            &serde_json::json!({
                "kind": "commit", "repository": ".", "path": "app.env",
                "commit": added, "in_head": true,
            }),
        ]
    );
}

#[test]
fn a_repacked_history_with_delta_chains_and_later_loose_commits_keeps_every_first_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    // A long file whose versions git stores as deltas of one another once repacked.
    let filler: String = (0..120).map(|i| format!("# setting {i}\n")).collect();
    repo.write("app.env", &format!("{filler}DO_TOKEN={}\n", token(1)));
    let first = repo.commit("config", "2024-01-02T00:00:00Z", "Alice Admin");
    repo.write(
        "app.env",
        &format!("{filler}DO_TOKEN={}\nREGION=eu\n", token(1)),
    );
    let edited = repo.commit("region", "2024-01-03T00:00:00Z", "Bob Builder");
    repo.write("app.env", &format!("{filler}REGION=eu\n"));
    let removed = repo.commit("drop the token", "2024-01-04T00:00:00Z", "Bob Builder");
    repo.write("other.env", &format!("DO_TOKEN={}\n", token(2)));
    let second = repo.commit("other", "2024-01-05T00:00:00Z", "Alice Admin");
    repo.git(
        &["repack", "-adfq", "--depth=50", "--window=50"],
        "2024-01-06T00:00:00Z",
        "Alice Admin",
    );
    // Written after the repack: loose objects next to the pack.
    repo.write("late.env", &format!("DO_TOKEN={}\n", token(3)));
    let late = repo.commit("late", "2024-01-07T00:00:00Z", "Carol Ops");

    let (code, inv, stderr) = scan(&repo.dir, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(source(&inv, "git:.")["status"], "ok");
    let by_first: Vec<(String, String, String)> = identities(&inv)
        .iter()
        .map(|id| {
            (
                id["attributes"]["first_commit"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                id["attributes"]["in_head"].as_str().unwrap().to_string(),
                id["attributes"]["removed_in"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    let mut expected = vec![
        (first.clone(), "false".to_string(), removed.clone()),
        (second, "true".to_string(), String::new()),
        (late, "true".to_string(), String::new()),
    ];
    let mut got = by_first;
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    // The token was removed by `removed`, not by `edited`: the edited version, a delta of
    // the first in the pack, was read and still held it.
    let first_token = identities(&inv)
        .into_iter()
        .find(|id| id["attributes"]["first_commit"] == first.as_str())
        .unwrap();
    assert_eq!(
        history_exposures(&first_token),
        [("app.env".to_string(), first.clone(), false)]
    );
    assert_ne!(
        first_token["attributes"]["removed_in"],
        edited.as_str(),
        "the edited version still held the token"
    );
}
