//! Real git repositories built in tests with the `git` command, fixed dates and authors.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A work tree with `git init -b main` done; commits are made with the dates given.
pub struct Repo {
    pub dir: PathBuf,
}

impl Repo {
    pub fn new(root: &Path, name: &str) -> Repo {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo { dir };
        repo.git(
            &["init", "-q", "-b", "main"],
            "2024-01-01T00:00:00Z",
            "Init",
        );
        repo
    }

    pub fn git(&self, args: &[&str], date: &str, author: &str) -> String {
        self.git_in(&self.dir, args, date, author)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str], date: &str, author: &str) -> String {
        let email = format!("{}@example.test", author.to_lowercase().replace(' ', "."));
        let out = Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
                "-c",
                "protocol.file.allow=always",
            ])
            .args(args)
            .env("GIT_AUTHOR_NAME", author)
            .env("GIT_AUTHOR_EMAIL", &email)
            .env("GIT_COMMITTER_NAME", author)
            .env("GIT_COMMITTER_EMAIL", &email)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn write(&self, path: &str, text: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Stage everything and commit; returns the commit sha.
    pub fn commit(&self, msg: &str, date: &str, author: &str) -> String {
        self.git(&["add", "-A"], date, author);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg], date, author);
        self.git(&["rev-parse", "HEAD"], date, author)
    }
}

/// A synthetic DigitalOcean token (`dop_v1_` and 64 hex digits), distinct per `n`.
pub fn do_token(n: u32) -> String {
    let body = format!("{n:x}7f3a9c1e5b2d8f4a6c0e2b9d").repeat(3);
    format!("dop_v1_{}", &body[..64])
}

/// `nhiscan scan . --format json EXTRA` in `dir`: exit code, inventory, stderr.
pub fn scan_json(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let out = super::nhiscan()
        .current_dir(dir)
        .args(["scan", ".", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let inv = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (
        out.status.code().unwrap(),
        inv,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
