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
        Ok(self.list(&text, &Tokens::from_env()))
    }
}

impl RepoList {
    /// The repositories of the list's `text`; bad lines are errors naming the line.
    fn list(&self, text: &str, tokens: &Tokens) -> Batch {
        let base = self.file.parent().map(PathBuf::from).unwrap_or_default();
        let source = self.id();
        let mut batch = Batch::default();
        let mut seen = std::collections::HashSet::new();
        let mut labels = std::collections::HashSet::new();
        for (n, line) in text.lines().enumerate() {
            let entry = line.split(" #").next().unwrap_or("").trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            match repository(&source, entry, &base, tokens) {
                // The same repository however the line spells it (case of the host,
                // `.git`, a trailing slash, `./`).
                Ok(repo) if !seen.insert(crate::collect::shard::normalised(&repo.clone_url)) => {
                    batch.warnings.push(format!(
                        "{}:{}: {entry} is listed already (as {}); scanned once",
                        self.file.display(),
                        n + 1,
                        repo.label
                    ))
                }
                Ok(mut repo) => {
                    // `acme/api` on two hosts: the later one is named with its host.
                    if !labels.insert(repo.label.clone()) {
                        repo.label = crate::collect::shard::normalised(&repo.clone_url)
                            .split_once("://")
                            .map_or(repo.label.clone(), |(_, rest)| rest.to_string());
                        labels.insert(repo.label.clone());
                    }
                    batch.repositories.push(repo)
                }
                Err(why) => batch
                    .errors
                    .push(format!("{}:{}: {entry}: {why}", self.file.display(), n + 1)),
            }
        }
        batch
    }
}

/// One line of the list as a repository to clone.
fn repository(
    source: &str,
    entry: &str,
    base: &std::path::Path,
    tokens: &Tokens,
) -> Result<RemoteRepository, String> {
    let (clone_url, label, (username, token)) = if let Some((scheme, rest)) = entry.split_once("://") {
        if scheme != "https" && scheme != "http" {
            return Err(format!("`{scheme}://` is not supported; use an https:// clone URL or a local path"));
        }
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if host.contains('@') {
            return Err("credentials in the URL are refused; put the token in NHISCAN_GIT_TOKEN (or GITHUB_TOKEN / GITLAB_TOKEN)".into());
        }
        let label = path.trim_end_matches('/').trim_end_matches(".git").to_string();
        (entry.to_string(), label, tokens.for_host(host))
    } else if entry.starts_with("git@") {
        return Err("SSH URLs are not supported; use the https:// clone URL".into());
    } else {
        let path = base.join(entry);
        if !path.is_dir() {
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
        local: !entry.contains("://"),
        label,
        clone_url,
        depth: CloneDepth::Full,
        token,
        username,
        owner: None,
    })
}

/// The tokens the environment offers, read once for the whole list.
struct Tokens {
    /// `NHISCAN_GIT_TOKEN`: for every host.
    any: Option<String>,
    github: Option<String>,
    gitlab: Option<String>,
}

impl Tokens {
    fn from_env() -> Tokens {
        Tokens {
            any: crate::collect::env_var("NHISCAN_GIT_TOKEN"),
            github: crate::collect::github::token_from_variables(),
            gitlab: crate::collect::gitlab::token_from_env(),
        }
    }

    /// The user name and token git should send to `host`; an empty token: none.
    fn for_host(&self, host: &str) -> (&'static str, String) {
        use crate::collect::{github, gitlab};
        let host = host.to_ascii_lowercase();
        let is_gitlab = host.contains("gitlab");
        let user = if is_gitlab { gitlab::CLONE_USER } else { github::CLONE_USER };
        let token = if self.any.is_some() {
            &self.any
        } else if is_gitlab {
            &self.gitlab
        } else if host == "github.com" {
            &self.github
        } else {
            &None
        };
        match token {
            Some(t) => (user, t.clone()),
            None => ("", String::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(text: &str) -> Batch {
        let tokens = Tokens {
            any: None,
            github: None,
            gitlab: None,
        };
        RepoList {
            file: PathBuf::from("/nonexistent/repos.txt"),
        }
        .list(text, &tokens)
    }

    #[test]
    fn one_repository_however_it_is_spelled_and_two_hosts_kept_apart() {
        let batch = listed(
            "https://github.com/acme/api\n\
             https://GitHub.com/acme/api.git/\n\
             https://gitlab.example.com/acme/api\n",
        );
        let labels: Vec<&str> = batch.repositories.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["acme/api", "gitlab.example.com/acme/api"]);
        assert_eq!(batch.warnings.len(), 1, "{:?}", batch.warnings);
        assert!(batch.warnings[0].contains(":2:"), "{:?}", batch.warnings);
        assert!(batch.repositories.iter().all(|r| !r.local && r.token.is_empty()));
    }

    #[test]
    fn a_listed_file_is_not_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let batch = RepoList {
            file: dir.path().join("repos.txt"),
        }
        .list(
            "notes.txt\n",
            &Tokens {
                any: None,
                github: None,
                gitlab: None,
            },
        );
        assert!(batch.repositories.is_empty());
        assert!(batch.errors[0].contains("no such directory"), "{:?}", batch.errors);
    }
}
