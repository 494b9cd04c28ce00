//! History read from packed repositories, as clones and mirrors keep it: commits decoded
//! ahead of the walk from the head of each packed commit, refs peeled while walking, blobs
//! read in pack order. Built here with `git` itself, then repacked.

mod common;

use common::git::{Repo, do_token as token, scan_json as scan};
use common::{source, source_errors};
use serde_json::Value;

/// (first commit, path) of every identity, sorted.
fn first_commits(inv: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            (
                id["attributes"]["first_commit"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                id["exposures"][0]["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn an_octopus_merge_too_long_to_decode_ahead_still_leads_to_every_parent() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    let date = "2024-09-01T00:00:00Z";
    repo.write("README.md", "# service\n");
    repo.commit("base", date, "Alice Admin");
    let mut expected = Vec::new();
    let mut branches = Vec::new();
    for i in 0..12 {
        let branch = format!("feature-{i}");
        repo.git(
            &["checkout", "-q", "-b", &branch, "main"],
            date,
            "Alice Admin",
        );
        let path = format!("feature-{i}.env");
        repo.write(&path, &format!("TOKEN={}\n", token(40 + i)));
        expected.push((repo.commit(&branch, date, "Frank Ops"), path));
        branches.push(branch);
    }
    repo.git(&["checkout", "-q", "main"], date, "Alice Admin");
    let mut merge = vec!["merge", "-q", "--no-edit"];
    merge.extend(branches.iter().map(String::as_str));
    repo.git(&merge, date, "Alice Admin");
    let mut delete = vec!["branch", "-q", "-D"];
    delete.extend(branches.iter().map(String::as_str));
    repo.git(&delete, date, "Alice Admin");
    repo.git(&["repack", "-adq"], date, "Alice Admin");
    let header = repo.git(&["cat-file", "commit", "HEAD"], date, "Alice Admin");
    assert!(
        header.find("\ncommitter ").unwrap() > 512,
        "the merge's parents and author must not fit the head read ahead"
    );

    let (code, inv, stderr) = scan(&repo.dir, &[]);
    assert_eq!(code, 1, "the merge brings the secrets into HEAD: {stderr}");
    // Only the merge leads to the twelve commits: each secret needs its parent link.
    expected.sort();
    assert_eq!(first_commits(&inv), expected);
    assert_eq!(inv["summary"]["commits_scanned"], 14);
}

#[test]
fn a_tag_of_a_tag_is_followed_and_a_tag_of_a_tree_or_blob_is_said_to_carry_no_history() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    let date = "2024-10-01T00:00:00Z";
    repo.write("README.md", "# service\n");
    repo.commit("base", date, "Alice Admin");
    repo.git(
        &["checkout", "-q", "-b", "release-tmp"],
        date,
        "Alice Admin",
    );
    repo.write("release.env", &format!("TOKEN={}\n", token(60)));
    let tagged = repo.commit("release", date, "Frank Ops");
    repo.git(&["tag", "-a", "inner", "-m", "inner"], date, "Frank Ops");
    repo.git(
        &[
            "-c",
            "advice.nestedTag=false",
            "tag",
            "-a",
            "outer",
            "inner",
            "-m",
            "outer",
        ],
        date,
        "Frank Ops",
    );
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"], date, "Frank Ops");
    let blob = repo.git(&["rev-parse", "HEAD:release.env"], date, "Frank Ops");
    repo.git(&["tag", "tree-tag", &tree], date, "Frank Ops");
    repo.git(
        &["tag", "-a", "blob-tag", &blob, "-m", "a blob"],
        date,
        "Frank Ops",
    );
    repo.git(&["checkout", "-q", "main"], date, "Alice Admin");
    repo.git(&["branch", "-q", "-D", "release-tmp"], date, "Alice Admin");
    // Only refs/tags/outer leads to the release: a tag of the tag of the commit.
    repo.git(&["tag", "-d", "inner"], date, "Alice Admin");
    repo.git(&["pack-refs", "--all"], date, "Alice Admin");
    repo.git(&["repack", "-adq"], date, "Alice Admin");

    let (code, inv, stderr) = scan(&repo.dir, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        first_commits(&inv),
        [(tagged, "release.env".to_string())],
        "{stderr}"
    );
    assert_eq!(inv["summary"]["commits_scanned"], 2);
    for (name, kind) in [("tree-tag", "tree"), ("blob-tag", "blob")] {
        let said =
            format!("refs/tags/{name}: points at a {kind}, not a commit; it carries no history");
        assert!(stderr.contains(&said), "{said:?} not in {stderr}");
    }
}

#[test]
fn a_ref_to_a_missing_object_or_an_unreadable_tag_makes_the_history_partial_naming_the_ref() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    let date = "2024-11-01T00:00:00Z";
    repo.write("README.md", "# service\n");
    repo.commit("base", date, "Alice Admin");
    // A ref whose commit is gone, and a tag object without its `object` line.
    let gone = "0123456789abcdef0123456789abcdef01234567";
    std::fs::write(repo.dir.join(".git/refs/heads/lost"), format!("{gone}\n")).unwrap();
    std::fs::write(
        repo.dir.join("tag.txt"),
        "type commit\ntag broken\n\nno object line\n",
    )
    .unwrap();
    let tag = repo.git(
        &["hash-object", "-t", "tag", "-w", "--literally", "tag.txt"],
        date,
        "Alice Admin",
    );
    std::fs::remove_file(repo.dir.join("tag.txt")).unwrap();
    std::fs::write(repo.dir.join(".git/refs/tags/broken"), format!("{tag}\n")).unwrap();

    let (code, inv, stderr) = scan(&repo.dir, &[]);
    assert_eq!(code, 3, "history those refs name went unscanned: {stderr}");
    assert_eq!(source(&inv, "git:.")["status"], "partial");
    let errors = source_errors(&inv, "git:.").join("\n");
    for (id, name) in [
        (gone, "refs/heads/lost"),
        (tag.as_str(), "refs/tags/broken"),
    ] {
        assert!(
            errors.contains(id) && errors.contains(name),
            "{id} / {name} not in {errors}"
        );
    }
    assert_eq!(inv["summary"]["commits_scanned"], 1);
}
