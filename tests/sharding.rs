//! Sharded scans: `scan --repos-file LIST --shard I/N` in N runs, then `nhiscan merge`,
//! against one unsharded run over the same repositories (real git repositories, cloned by
//! git from their paths).

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

// Synthetic tokens in their providers' documented formats (as in the planted fixture).
const GITLAB_PAT: &str = "glpat-qNq_3QDEdOy8Du2QCMRS";

/// Twelve repositories, each with a secret of its own in a config file; `svc-0` and
/// `svc-7` share one (a reused secret), and `svc-3` removed its secret in a later commit.
fn repositories(root: &Path) -> PathBuf {
    let mut list = String::from("# repositories of the estate\n\n");
    for n in 0..12 {
        let repo = common::git::Repo::new(root, &format!("svc-{n}"));
        let secret = match n {
            0 | 7 => GITLAB_PAT.to_string(),
            n => format!("hf_{:0>34}", format!("{n}jEaeBiTUKagOxGJPhVuyKUMOLuZlClP")),
        };
        repo.write("config/app.env", &format!("TOKEN={secret}\n"));
        repo.commit("config", "2025-01-01T10:00:00Z", "Dev One");
        if n == 3 {
            repo.write("config/app.env", "TOKEN=${TOKEN}\n");
            repo.commit("no more secret", "2025-02-01T10:00:00Z", "Dev One");
        }
        list.push_str(&format!("svc-{n}   # service {n}\n"));
    }
    let file = root.join("repos.txt");
    std::fs::write(&file, list).unwrap();
    file
}

fn scan_to(list: &Path, out: &Path, extra: &[&str], key: Option<&str>) -> (i32, String) {
    let mut cmd = nhiscan();
    if let Some(k) = key {
        cmd.env("NHISCAN_FINGERPRINT_KEY", k);
    }
    let o = cmd
        .current_dir(list.parent().unwrap())
        .args([
            "scan",
            "--repos-file",
            list.to_str().unwrap(),
            "--format",
            "json",
            "-o",
        ])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn merge(inputs: &[PathBuf], out: &Path) -> (i32, String) {
    let o = nhiscan()
        .arg("merge")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// What a user compares: identity id -> sorted exposure places, and the findings.
type Essence = (BTreeMap<String, Vec<String>>, BTreeSet<(String, String)>);

fn essence(inv: &Value) -> Essence {
    let identities = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut places: Vec<String> = i["exposures"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| format!("{}@{}", e["path"], e["commit"]))
                .collect();
            places.sort();
            (i["id"].as_str().unwrap().to_string(), places)
        })
        .collect();
    let findings = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["identity"].to_string(),
            )
        })
        .collect();
    (identities, findings)
}

fn git_sources(inv: &Value) -> BTreeSet<String> {
    inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            s["id"]
                .as_str()
                .filter(|id| id.starts_with("git:"))
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn sharded_runs_merged_equal_one_unsharded_run() {
    let root = tempfile::tempdir().unwrap();
    let list = repositories(root.path());
    let out = tempfile::tempdir().unwrap();
    let full = out.path().join("full.json");
    let (code, stderr) = scan_to(&list, &full, &[], None);
    assert_eq!(code, 1, "leaked secrets: {stderr}");
    let full = read(&full);
    assert_eq!(
        git_sources(&full).len(),
        12,
        "every listed repository scanned: {stderr}"
    );
    let reused = |inv: &Value| {
        inv["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "secret-reused")
    };
    assert!(reused(&full), "svc-0 and svc-7 share a secret");
    let found = full["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["discovery"] == "found")
        .count();
    assert_eq!(
        found, 11,
        "eleven distinct secrets (one shared by two repositories)"
    );

    for count in [1u32, 3, 5] {
        let mut shards = Vec::new();
        let mut seen = BTreeSet::new();
        for index in 0..count {
            let path = out.path().join(format!("shard-{index}-of-{count}.json"));
            let (code, stderr) = scan_to(
                &list,
                &path,
                &["--shard", &format!("{index}/{count}")],
                None,
            );
            assert!(code == 0 || code == 1, "shard {index}/{count}: {stderr}");
            let inv = read(&path);
            assert_eq!(
                inv["scope"]["shard"],
                serde_json::json!([format!("{index}/{count}")])
            );
            for s in git_sources(&inv) {
                assert!(
                    seen.insert(s.clone()),
                    "{s} scanned by two shards of {count}"
                );
            }
            shards.push(path);
        }
        assert_eq!(
            seen,
            git_sources(&full),
            "every repository in exactly one of {count} shards"
        );
        let merged_path = out.path().join(format!("merged-{count}.json"));
        let (code, stderr) = merge(&shards, &merged_path);
        assert_eq!(code, 1, "the merge has the deny findings: {stderr}");
        let merged = read(&merged_path);
        assert_eq!(
            essence(&merged),
            essence(&full),
            "{count} shards merged vs one run"
        );
        assert_eq!(
            merged["summary"]["findings_deny"],
            full["summary"]["findings_deny"]
        );
        assert_eq!(
            merged["summary"]["commits_scanned"],
            full["summary"]["commits_scanned"]
        );
        let shard_scope: Vec<String> = (0..count).map(|i| format!("{i}/{count}")).collect();
        assert_eq!(merged["scope"]["shard"], serde_json::json!(shard_scope));
        if count == 5 {
            // Order does not matter: the same inputs reversed give the same inventory.
            shards.reverse();
            let again = out.path().join("merged-reversed.json");
            merge(&shards, &again);
            assert_eq!(read(&again), merged);
            // A recorded merge holds its findings (the history stores them); a plain one
            // judges them as it writes. Both write the same inventory, but for the
            // sightings the history adds.
            let recorded = out.path().join("merged-recorded.json");
            let o = nhiscan()
                .arg("merge")
                .args(&shards)
                .arg("-o")
                .arg(&recorded)
                .arg("--history")
                .arg(out.path().join("history.db"))
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(1), "{o:?}");
            let mut recorded = read(&recorded);
            for i in recorded["identities"].as_array_mut().unwrap() {
                let i = i.as_object_mut().unwrap();
                assert!(i.remove("first_seen").is_some() && i.remove("last_seen").is_some());
            }
            assert_eq!(recorded, merged, "streamed and held merges differ");
        }
    }
}

#[test]
fn merge_refuses_different_fingerprint_keys_and_a_bad_list_line_is_named() {
    let root = tempfile::tempdir().unwrap();
    let list = repositories(root.path());
    std::fs::write(
        &list,
        format!(
            "{}\nmissing-repo\ngit@github.com:acme/api.git\n",
            std::fs::read_to_string(&list).unwrap()
        ),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (a, b) = (out.path().join("a.json"), out.path().join("b.json"));
    let (code, stderr) = scan_to(&list, &a, &["--shard", "0/2"], None);
    assert_eq!(
        code, 1,
        "deny findings outrank the incomplete inventory: {stderr}"
    );
    let inv = read(&a);
    let source = &inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str().unwrap().starts_with("repos:"))
        .unwrap()
        .clone();
    assert_eq!(
        source["status"], "partial",
        "two list lines could not be used"
    );
    let errors: Vec<&str> = source["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?} {stderr}");
    assert!(
        errors[0].contains("repos.txt:16: missing-repo: no such directory"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("SSH URLs are not supported"),
        "{errors:?}"
    );
    scan_to(&list, &b, &["--shard", "1/2"], Some("another-key"));
    let (code, stderr) = merge(&[a.clone(), b.clone()], &out.path().join("m.json"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("a.json") && stderr.contains("b.json") && stderr.contains("different keys"),
        "{stderr}"
    );
    // A bad --shard is a usage error.
    let o = nhiscan()
        .args([
            "scan",
            "--repos-file",
            list.to_str().unwrap(),
            "--shard",
            "2/2",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("INDEX 2 is not below COUNT 2"));
}
