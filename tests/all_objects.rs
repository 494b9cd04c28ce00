//! `--all-objects`: secrets in objects no ref reaches, in a real repository built with `git`.

mod common;

use common::git::{Repo, do_token as token, scan_json as scan};
use common::*;
use serde_json::Value;

#[test]
fn all_objects_finds_a_deleted_branchs_commit_and_a_blob_staged_but_never_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("a.txt", "a\n");
    repo.commit("base", "2024-07-01T00:00:00Z", "Alice Admin");
    // A branch with a secret, deleted and its reflog expired: no ref reaches the commit,
    // but the object stays until `git gc` prunes it.
    repo.git(
        &["checkout", "-q", "-b", "spike"],
        "2024-07-02T00:00:00Z",
        "Sam Spike",
    );
    repo.write("spike.env", &format!("DO_TOKEN={}\n", token(1)));
    let spike = repo.commit("spike", "2024-07-02T00:00:00Z", "Sam Spike");
    repo.git(
        &["checkout", "-q", "main"],
        "2024-07-03T00:00:00Z",
        "Sam Spike",
    );
    repo.git(
        &["branch", "-q", "-D", "spike"],
        "2024-07-03T00:00:00Z",
        "Sam Spike",
    );
    repo.git(
        &[
            "reflog",
            "expire",
            "--expire=now",
            "--expire-unreachable=now",
            "--all",
        ],
        "2024-07-03T00:00:00Z",
        "Sam Spike",
    );
    // A file staged, then unstaged and deleted: its blob is in the object database, in
    // no commit.
    repo.write("staged.env", &format!("DO_TOKEN={}\n", token(2)));
    let blob = repo.git(
        &["hash-object", "-w", "staged.env"],
        "2024-07-04T00:00:00Z",
        "Alice Admin",
    );
    repo.git(
        &["add", "staged.env"],
        "2024-07-04T00:00:00Z",
        "Alice Admin",
    );
    repo.git(
        &["rm", "-q", "--cached", "staged.env"],
        "2024-07-04T00:00:00Z",
        "Alice Admin",
    );
    std::fs::remove_file(repo.dir.join("staged.env")).unwrap();

    let (code, inv, stderr) = scan(&repo.dir, &[]);
    assert_eq!(code, 0, "refs reach neither secret: {stderr}");
    assert_eq!(inv["identities"], serde_json::json!([]));

    let (code, inv, stderr) = scan(&repo.dir, &["--all-objects"]);
    assert_eq!(code, 1, "both secrets are deny findings: {stderr}");
    assert!(
        stderr.contains(
            "--all-objects: 1 commit(s) no ref reaches and 1 blob(s) no commit holds were scanned too"
        ),
        "{stderr}"
    );
    let ids = inv["identities"].as_array().unwrap();
    assert_eq!(ids.len(), 2, "{ids:#?}");
    let with_exposure = |pred: &dyn Fn(&Value) -> bool| {
        ids.iter()
            .find(|i| i["exposures"].as_array().unwrap().iter().any(pred))
            .unwrap_or_else(|| panic!("no such exposure in {ids:#?}"))
    };
    // The deleted branch's commit is history like any other: commit, path and author.
    let from_commit = with_exposure(&|e| e["path"] == "spike.env");
    let e = &from_commit["exposures"][0];
    assert_eq!(e["commit"], spike.as_str());
    assert_eq!(e["author"], "Sam Spike");
    assert_eq!(e["origin"]["kind"], "commit");
    assert_eq!(from_commit["attributes"]["first_commit"], spike.as_str());
    // The staged blob has no commit and no path: it is named by its id.
    let from_blob = with_exposure(&|e| e["origin"]["kind"] == "object");
    let e = &from_blob["exposures"][0];
    assert_eq!(e["path"], format!("blob:{blob}"));
    assert_eq!(e["origin"]["blob"], blob.as_str());
    assert_eq!(e["line"], 1);
    assert!(e.get("commit").is_none(), "{e}");
    assert!(from_blob["attributes"].get("first_commit").is_none());
    let finding_of = |identity: &Value| {
        inv["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["identity"] == identity["id"])
            .unwrap()
            .clone()
    };
    for id in [from_commit, from_blob] {
        let finding = finding_of(id);
        assert_eq!(finding["code"], "secret-in-history", "{finding:#}");
        assert_eq!(finding["level"], "deny");
    }
    let message = finding_of(from_blob)["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&format!("blob:{blob}:1")) && message.contains("no commit holds"),
        "{message}"
    );
    // The value is never printed, in any output.
    for t in [token(1), token(2)] {
        assert!(!inv.to_string().contains(&t) && !stderr.contains(&t));
    }

    let out = nhiscan()
        .current_dir(&repo.dir)
        .args(["scan", ".", "--all-objects", "--no-history"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--no-history"), "{stderr}");
}
