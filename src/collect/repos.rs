//! `--repos-file FILE`: a list of repositories to clone and history-scan (one local path or
//! clone URL per line, `#` comments), the unit of work of a sharded scan.
//!
//! No API call: the list becomes [`RemoteRepository`]s that the scan clones, scans and
//! deletes like `--github-clone`'s, exposures named `repo:path`. Tokens come from the
//! environment by host (never from the file, never on a command line): `NHISCAN_GIT_TOKEN`
//! for any host, else `GITHUB_TOKEN`/`GH_TOKEN` for github.com and `GITLAB_TOKEN` for a host
//! named gitlab; without one, public repositories clone anonymously.

use super::clone::CloneDepth;
use super::registry::Source;
use super::{Batch, CollectError, Collector, Context, RemoteRepository};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Sources")]
pub struct ReposFlags {
    /// Clone and history-scan the repositories listed in FILE (one local path or https://
    /// clone URL per line, `#` comments); with --shard, only this shard's
    #[arg(long, value_name = "FILE")]
    pub repos_file: Option<PathBuf>,
}

impl Source for ReposFlags {
    fn scope_key(&self) -> &'static str {
        "repos"
    }

    fn scope(&self) -> Vec<String> {
        self.repos_file
            .iter()
            .map(|p| p.display().to_string())
            .collect()
    }

    fn collectors(&self) -> Vec<Arc<dyn Collector>> {
        self.repos_file
            .iter()
            .map(|file| Arc::new(RepoList { file: file.clone() }) as Arc<dyn Collector>)
            .collect()
    }
}

struct RepoList {
    file: PathBuf,
}

#[async_trait::async_trait]
impl Collector for RepoList {
    fn id(&self) -> String {
        format!("repos:{}", self.file.display())
    }

    async fn collect(&self, _: &Context) -> Result<Batch, CollectError> {
        let text = std::fs::read_to_string(&self.file).map_err(|e| {
            CollectError::Setup(format!(
                "cannot read --repos-file {}: {e}; give a file with one path or https:// URL per line",
                self.file.display()
            ))
        })?;
        let base = self.file.parent().map(PathBuf::from).unwrap_or_default();
        let mut batch = Batch::default();
        let mut labels = std::collections::HashSet::new();
        for (n, line) in text.lines().enumerate() {
            let entry = line.split(" #").next().unwrap_or("").trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            match repository(&self.id(), entry, &base) {
                Ok(repo) if !labels.insert(repo.label.clone()) => batch.warnings.push(format!(
                    "{}:{}: {entry} is listed already (as {}); scanned once",
                    self.file.display(),
                    n + 1,
                    repo.label
                )),
                Ok(repo) => batch.repositories.push(repo),
                Err(why) => batch
                    .errors
                    .push(format!("{}:{}: {entry}: {why}", self.file.display(), n + 1)),
            }
        }
        Ok(batch)
    }
}

/// One line of the list as a repository to clone.
fn repository(source: &str, entry: &str, base: &std::path::Path) -> Result<RemoteRepository, String> {
    let (clone_url, label, (username, token)) = if let Some((scheme, rest)) = entry.split_once("://") {
        if scheme != "https" && scheme != "http" {
            return Err(format!("`{scheme}://` is not supported; use an https:// clone URL or a local path"));
        }
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if host.contains('@') {
            return Err("credentials in the URL are refused; put the token in NHISCAN_GIT_TOKEN (or GITHUB_TOKEN / GITLAB_TOKEN)".into());
        }
        let label = path.trim_end_matches('/').trim_end_matches(".git").to_string();
        (entry.to_string(), label, token_for(host))
    } else if entry.starts_with("git@") {
        return Err("SSH URLs are not supported; use the https:// clone URL".into());
    } else {
        let path = base.join(entry);
        if !path.exists() {
            return Err(format!("no such directory ({}); local entries are paths to git repositories, relative to the list", path.display()));
        }
        let path = path.canonicalize().unwrap_or(path);
        // The entry as written names it (`svc-api`, `/srv/git/api`): unique in the list,
        // where the directory's own name (`repo`, `api.git`) may not be.
        let label = entry.trim_end_matches('/').trim_end_matches(".git").to_string();
        (path.display().to_string(), label, ("", String::new()))
    };
    Ok(RemoteRepository {
        source: source.to_string(),
        label,
        clone_url,
        depth: CloneDepth::Full,
        token,
        username,
        owner: None,
    })
}

/// The user name and token git should send to `host`; an empty token: none.
fn token_for(host: &str) -> (&'static str, String) {
    let env = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let host = host.to_ascii_lowercase();
    if let Some(t) = env("NHISCAN_GIT_TOKEN") {
        let user = if host.contains("gitlab") { "oauth2" } else { "x-access-token" };
        return (user, t);
    }
    if host == "github.com" {
        if let Some(t) = env("GITHUB_TOKEN").or_else(|| env("GH_TOKEN")) {
            return ("x-access-token", t);
        }
    } else if host.contains("gitlab")
        && let Some(t) = env("GITLAB_TOKEN")
    {
        return ("oauth2", t);
    }
    ("", String::new())
}
