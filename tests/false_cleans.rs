//! A clean result must mean nothing was missed: each way the scanner used to report "clean"
//! while secrets went unscanned (damaged git objects, replace refs, streams named on the
//! command line, blobs over the size limit, files that keep growing) is tried here against
//! real git repositories, FIFOs and shells.

mod common;

use common::git::Repo;
use common::*;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

/// A synthetic DigitalOcean token, distinct per `n`.
fn token(n: u32) -> String {
    let body = format!("{n:x}7f3a9c1e5b2d8f4a6c0e2b9d").repeat(3);
    format!("dop_v1_{}", &body[..64])
}

fn scan(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    run_json(
        nhiscan()
            .current_dir(dir)
            .args(["scan", ".", "--format", "json"])
            .args(extra),
    )
}

/// Fingerprint-free view of what was found: (identity kind, number of exposures).
fn secret_count(inv: &Value) -> usize {
    inv["identities"].as_array().unwrap().len()
}

/// Exit 3 and the repository's history partial, with an error naming `id` and saying `what`:
/// history went unscanned, so the inventory is incomplete, not clean.
fn assert_incomplete_naming(code: i32, inv: &Value, id: &str, what: &str) {
    assert_eq!(code, 3, "history went unscanned: incomplete, not clean");
    assert_eq!(source(inv, "git:.")["status"], "partial");
    let errors = source_errors(inv, "git:.");
    assert!(
        errors.iter().any(|e| e.contains(id) && e.contains(what)),
        "{errors:?}"
    );
}

/// c1: README; c2: adds a secret; c3: removes it; c4: edits README. Returns the shas.
fn secret_in_the_middle(root: &Path) -> (Repo, Vec<String>) {
    let repo = Repo::new(root, "r");
    repo.write("README.md", "# service\n");
    let c1 = repo.commit("readme", "2024-01-02T00:00:00Z", "Alice Admin");
    repo.write("deploy/prod.env", &format!("DO_TOKEN={}\n", token(1)));
    let c2 = repo.commit("add deploy config", "2024-01-03T00:00:00Z", "Alice Admin");
    std::fs::remove_file(repo.dir.join("deploy/prod.env")).unwrap();
    let c3 = repo.commit("remove secret", "2024-01-04T00:00:00Z", "Alice Admin");
    repo.write("README.md", "# service\n\nmore\n");
    let c4 = repo.commit("docs", "2024-01-05T00:00:00Z", "Alice Admin");
    (repo, vec![c1, c2, c3, c4])
}

/// Flip the bytes `region(size in pack)` of `sha`'s entry in the repository's only pack
/// (where `git verify-pack` puts it); returns the entry's `verify-pack` line.
fn damage_packed_entry(
    repo: &Repo,
    sha: &str,
    region: impl FnOnce(u64) -> std::ops::Range<u64>,
) -> String {
    let idx = std::fs::read_dir(repo.dir.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    // `sha type size size-in-pack offset [depth base]`.
    let listing = repo.git(
        &["verify-pack", "-v", idx.to_str().unwrap()],
        "2024-01-06T00:00:00Z",
        "Alice Admin",
    );
    let line = listing
        .lines()
        .find(|l| l.starts_with(sha))
        .unwrap()
        .to_string();
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(3)
        .take(2)
        .map(|f| f.parse().unwrap())
        .collect();
    let (in_pack, offset) = (fields[0], fields[1]);
    let region = region(in_pack);
    let pack = idx.with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    for b in &mut bytes[(offset + region.start) as usize..(offset + region.end) as usize] {
        *b ^= 0x5a;
    }
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, bytes).unwrap();
    line
}

#[test]
fn a_missing_commit_object_is_an_error_naming_it_not_a_shallow_boundary() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, shas) = secret_in_the_middle(tmp.path());
    // Delete the loose object of the commit that added the secret.
    let c2 = &shas[1];
    std::fs::remove_file(
        repo.dir
            .join(format!(".git/objects/{}/{}", &c2[..2], &c2[2..])),
    )
    .unwrap();
    let (code, inv, stderr) = scan(&repo.dir, &[]);
    assert_incomplete_naming(code, &inv, c2, "missing");
    let git = source(&inv, "git:.");
    assert!(!stderr.contains("shallow"), "not a shallow clone: {stderr}");
    assert!(!git["warnings"].to_string().contains("truncated"), "{git}");
}

#[test]
fn a_corrupted_pack_region_makes_the_history_partial_naming_the_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, shas) = secret_in_the_middle(tmp.path());
    repo.git(&["repack", "-adq"], "2024-01-06T00:00:00Z", "Alice Admin");
    let c2 = &shas[1];
    // The middle of c2's compressed data.
    damage_packed_entry(&repo, c2, |size| size / 2..size - 2);

    let (code, inv, _) = scan(&repo.dir, &[]);
    assert_incomplete_naming(code, &inv, c2, "cannot be read");
}

#[test]
fn a_graft_cannot_hide_the_commit_that_added_a_secret_and_replace_refs_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, shas) = secret_in_the_middle(tmp.path());
    // Make c3 (the removal) a root commit for git: c1 and c2 vanish from `git log`.
    repo.git(
        &["replace", "--graft", &shas[2]],
        "2024-01-06T00:00:00Z",
        "Mallory",
    );
    let log = repo.git(
        &["log", "--format=%H"],
        "2024-01-06T00:00:00Z",
        "Alice Admin",
    );
    assert!(!log.contains(&shas[1]), "git itself no longer shows c2");

    let (code, inv, stderr) = scan(&repo.dir, &[]);
    assert_eq!(code, 1, "the secret c2 added is found: {stderr}");
    assert_eq!(secret_count(&inv), 1);
    let id = &inv["identities"][0];
    assert_eq!(id["attributes"]["first_commit"], shas[1].as_str());
    assert!(inv["summary"]["commits_scanned"].as_u64().unwrap() >= 4);
    let git = source(&inv, "git:.");
    assert_eq!(git["status"], "ok");
    assert!(
        git["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("replace ref")),
        "{git}"
    );
    assert!(stderr.contains("GIT_NO_REPLACE_OBJECTS"), "{stderr}");
}

#[test]
fn a_graft_cycle_does_not_empty_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, shas) = secret_in_the_middle(tmp.path());
    // c1's parent becomes c4: for git, history is now a cycle.
    repo.git(
        &["replace", "--graft", &shas[0], &shas[3]],
        "2024-01-06T00:00:00Z",
        "Mallory",
    );
    let (code, inv, _) = scan(&repo.dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(inv["summary"]["commits_scanned"].as_u64().unwrap(), 5);
    assert_eq!(secret_count(&inv), 1);
    assert_eq!(source(&inv, "git:.")["status"], "ok");
}

#[test]
fn a_text_blob_over_the_size_limit_makes_the_history_partial_and_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    let mut big = "log line without anything secret\n".repeat(40_000); // ~1.3 MB
    big.push_str(&format!("DO_TOKEN={}\n", token(2)));
    repo.write("dump/export.sql", &big);
    let mut binary = vec![0u8; 1_500_000];
    binary[100] = 7;
    std::fs::write(repo.dir.join("image.bin"), &binary).unwrap();
    let added = repo.commit("big files", "2024-02-01T00:00:00Z", "Alice Admin");
    std::fs::remove_file(repo.dir.join("dump/export.sql")).unwrap();
    repo.commit("remove dump", "2024-02-02T00:00:00Z", "Alice Admin");

    let (code, inv, stderr) = scan(&repo.dir, &["--max-file-size", "1M"]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(inv["summary"]["blobs_skipped_too_large"], 2);
    let errors = source_errors(&inv, "git:.");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0];
    assert!(
        e.contains("1 text blob(s) over --max-file-size (1.0 MiB)"),
        "{e}"
    );
    assert!(e.contains("dump/export.sql"), "{e}");
    assert!(e.contains(&added), "{e}");
    assert!(e.contains("raise --max-file-size"), "{e}");
    let warnings = source(&inv, "git:.")["warnings"].to_string();
    assert!(
        warnings.contains("1 binary blob(s) over --max-file-size"),
        "{warnings}"
    );

    // Raised, the secret is found and the scan is complete.
    let (code, inv, _) = scan(&repo.dir, &["--max-file-size", "2M"]);
    assert_eq!(code, 1);
    assert_eq!(secret_count(&inv), 1);
    assert_eq!(source(&inv, "git:.")["status"], "ok");
}

#[test]
fn binary_blobs_are_counted_without_making_the_history_incomplete() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    std::fs::write(repo.dir.join("logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    repo.commit("logo", "2024-02-01T00:00:00Z", "Alice Admin");
    let (code, inv, _) = scan(&repo.dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(inv["summary"]["blobs_skipped_binary"], 1);
    assert_eq!(source(&inv, "git:.")["status"], "ok");
}

fn nhiscan_bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("nhiscan")
}

#[test]
fn process_substitution_named_on_the_command_line_is_read() {
    let script = format!(
        "exec \"$NHISCAN\" scan <(printf 'DO_TOKEN=%s\\n' {}) --no-history --format json",
        token(3)
    );
    let out = Process::new("bash")
        .args(["-c", &script])
        .env("NHISCAN", nhiscan_bin())
        .env("NHISCAN_NOW", NOW)
        .output()
        .unwrap();
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a deny finding, not 'No findings'"
    );
    assert_eq!(inv["summary"]["files_scanned"], 1);
    assert_eq!(leaks(&inv).len(), 1, "{inv}");
}

#[test]
fn dev_stdin_named_on_the_command_line_is_read() {
    let mut child = Process::new(nhiscan_bin())
        .args(["scan", "/dev/stdin", "--no-history", "--format", "json"])
        .env("NHISCAN_NOW", NOW)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "token: {}", token(3)).unwrap();
    let out = child.wait_with_output().unwrap();
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(leaks(&inv).len(), 1, "{inv}");
}

fn mkfifo(path: &Path) {
    let status = Process::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_named_on_the_command_line_is_read_and_one_met_while_walking_is_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let named = tmp.path().join("secrets.fifo");
    mkfifo(&named);
    let writer = {
        let named = named.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(named).unwrap();
            writeln!(f, "GITHUB_TOKEN={}", token(3)).unwrap();
        })
    };
    let (code, inv, _) = run_json(nhiscan().args([
        "scan",
        named.to_str().unwrap(),
        "--no-history",
        "--format",
        "json",
    ]));
    // Had nhiscan not opened the FIFO, the writer would wait forever: open it here too.
    {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000;
        let _reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&named);
        writer.join().unwrap();
    }
    assert_eq!(code, 1);
    assert_eq!(leaks(&inv).len(), 1);

    // In a tree, a FIFO is never opened (it would block), but it is counted and listed.
    let tree = tmp.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("app.env"), "REGION=eu\n").unwrap();
    mkfifo(&tree.join("queue"));
    let started = Instant::now();
    let (code, inv, stderr) = scan(&tree, &["--no-history"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(code, 0);
    assert_eq!(inv["summary"]["skipped_special"], 1);
    assert!(
        stderr.contains("skipped queue (FIFO): not a regular file"),
        "{stderr}"
    );
}

#[test]
fn a_stream_longer_than_the_limit_is_scanned_up_to_it_and_the_scan_is_incomplete() {
    let script = "exec \"$NHISCAN\" scan <(yes 'aws_region = eu-west-1') --no-history --max-file-size 1M --format json";
    let out = Process::new("bash")
        .args(["-c", script])
        .env("NHISCAN", nhiscan_bin())
        .env("NHISCAN_NOW", NOW)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["summary"]["bytes_scanned"], 1024 * 1024);
    assert!(
        stderr.contains("the stream is longer than --max-file-size (1.0 MiB)"),
        "{stderr}"
    );
}

/// A committed file is in every clone whatever `.gitignore` says: `*.env` written after
/// `deploy/prod.env` was committed, or `git add -f`, must not hide it from the tree scan.
#[test]
fn committed_files_are_scanned_even_when_gitignore_matches_them() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "svc");
    repo.write("deploy/prod.env", &format!("DO_TOKEN={}\n", token(2)));
    repo.write("build/out/cache.env", &format!("DO_TOKEN={}\n", token(3)));
    repo.write("README.md", "# svc\n");
    repo.commit("config", "2024-01-02T00:00:00Z", "Alice Admin");
    // Now ignored: a rule for the files, and one for a whole directory.
    repo.write(".gitignore", "*.env\nbuild/\n");
    // An untracked ignored file stays skipped, as git itself would.
    repo.write("local.env", &format!("DO_TOKEN={}\n", token(4)));
    // The user's own decision still holds for committed files.
    repo.write(".nhiscanignore", "build/out/\n");
    repo.commit("ignore env files", "2024-01-03T00:00:00Z", "Alice Admin");
    let (_, inv, stderr) = run_json(nhiscan().current_dir(&repo.dir).args([
        "scan",
        ".",
        "--no-history",
        "--format",
        "json",
    ]));
    let paths: Vec<&str> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["exposures"].as_array().unwrap())
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["deploy/prod.env"], "{stderr}");
    // Scanned from outside the repository, the same.
    let (_, inv, _) = run_json(nhiscan().current_dir(tmp.path()).args([
        "scan",
        "svc",
        "--no-history",
        "--format",
        "json",
    ]));
    let found = inv["identities"].to_string();
    assert!(found.contains("svc/deploy/prod.env"), "{found}");
    assert!(
        !found.contains("local.env") && !found.contains("cache.env"),
        "{found}"
    );
}

#[test]
fn every_file_of_a_big_tree_is_scanned_once_by_one_thread_or_several() {
    // The walkers share out directories as they go and each merges its own counts at
    // the end: every one of 3,000 files in 40 directories must be read exactly once,
    // whatever the number of threads.
    let tmp = tempfile::tempdir().unwrap();
    for n in 0..3000u32 {
        let dir = tmp.path().join(format!("svc{:02}", n % 40));
        std::fs::create_dir_all(&dir).unwrap();
        let text = if n % 100 == 7 {
            format!("DO_TOKEN={}\n", token(n))
        } else {
            format!("name = \"service {n}\"\n")
        };
        std::fs::write(dir.join(format!("f{n}.env")), text).unwrap();
    }
    for threads in ["1", "3"] {
        let (code, inv, stderr) = scan(tmp.path(), &["--no-history", "--threads", threads]);
        assert_eq!(code, 1, "a complete scan that found secrets: {stderr}");
        assert_eq!(source(&inv, "files")["status"], "ok", "{stderr}");
        assert_eq!(inv["summary"]["files_scanned"], 3000, "{stderr}");
        assert_eq!(secret_count(&inv), 30, "--threads {threads}: {stderr}");
    }
}

#[test]
fn a_blob_skipped_for_its_size_is_not_cached_as_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    let mut big = "log line without anything secret\n".repeat(40_000); // ~1.3 MB
    big.push_str(&format!("DO_TOKEN={}\n", token(4)));
    repo.write("dump/export.sql", &big);
    repo.commit("dump", "2024-02-01T00:00:00Z", "Alice Admin");
    std::fs::remove_file(repo.dir.join("dump/export.sql")).unwrap();
    repo.commit("remove dump", "2024-02-02T00:00:00Z", "Alice Admin");
    let cache = tmp.path().join("blobs.cache");
    let cache = cache.to_str().unwrap();

    let first = scan(&repo.dir, &["--max-file-size", "1M", "--cache", cache]);
    assert_eq!(first.0, 3, "{}", first.2);
    // The cached run still knows the dump went unscanned.
    let (code, inv, stderr) = scan(&repo.dir, &["--max-file-size", "1M", "--cache", cache]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        inv["summary"]["blobs_scanned"], 0,
        "the small blobs come from the cache"
    );
    let errors = source_errors(&inv, "git:.");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("1 text blob(s) over --max-file-size")),
        "{errors:?}"
    );
    // Raised, the same cache does not hide the secret.
    let (code, inv, _) = scan(&repo.dir, &["--max-file-size", "2M", "--cache", cache]);
    assert_eq!(code, 1);
    assert_eq!(secret_count(&inv), 1);
    assert_eq!(source(&inv, "git:.")["status"], "ok");
}

#[test]
fn damage_past_the_head_of_a_packed_commit_is_an_error_naming_it() {
    // Commits are decoded ahead from their first bytes only: damage at the end of a
    // long commit's packed data must still be caught (the index CRC), not read as clean.
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::new(tmp.path(), "r");
    repo.write("README.md", "# service\n");
    repo.commit("readme", "2024-01-02T00:00:00Z", "Alice Admin");
    repo.write("deploy/prod.env", &format!("DO_TOKEN={}\n", token(2)));
    // A message that does not compress: its packed bytes run far past the head.
    let message: String = (0u64..96)
        .map(|i| format!("{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect();
    let long = repo.commit(&message, "2024-01-03T00:00:00Z", "Alice Admin");
    std::fs::remove_file(repo.dir.join("deploy/prod.env")).unwrap();
    repo.commit("remove secret", "2024-01-04T00:00:00Z", "Alice Admin");
    repo.git(&["repack", "-adq"], "2024-01-05T00:00:00Z", "Alice Admin");
    let line = damage_packed_entry(&repo, &long, |size| {
        assert!(
            size > 900,
            "the message must reach far past the head (512 bytes inflated, about 300 packed): {size}"
        );
        size - 40..size - 30
    });
    assert_eq!(
        line.split_whitespace().count(),
        5,
        "stored whole, not as a delta: {line}"
    );

    let (code, inv, _) = scan(&repo.dir, &[]);
    assert_incomplete_naming(code, &inv, &long, "cannot be read");
}
