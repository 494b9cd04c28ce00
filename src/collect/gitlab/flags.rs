//! `--gitlab`, `--gitlab-url`, `--gitlab-clone`, `--gitlab-variables`: what the command
//! line asks of the GitLab source.

use super::GitlabCollector;
use crate::collect::Collector;
use crate::collect::clone::CloneDepth;
use crate::collect::registry::Source;
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Sources")]
pub struct GitlabFlags {
    /// Inventory GitLab groups (full paths, comma-separated: `acme,acme/platform`) with
    /// their subgroups and projects; token from GITLAB_TOKEN. Without this flag nhiscan
    /// makes no GitLab call
    #[arg(long, value_name = "GROUP,...", value_delimiter = ',')]
    pub gitlab: Option<Vec<String>>,

    /// Also clone each project of the groups (bare, into a temporary directory removed
    /// afterwards) and scan its history: `full` (every branch and commit; the default) or
    /// `shallow` (the default branch's tip)
    #[arg(long, value_enum, value_name = "DEPTH", num_args = 0..=1, default_missing_value = "full", requires = "gitlab")]
    pub gitlab_clone: Option<CloneDepth>,

    /// Also scan the values of the groups' and projects' CI/CD variables for secrets (held
    /// in memory, never written), so a cloud key stored there joins the identity it
    /// belongs to. Without it values are read past and only names and settings are kept
    #[arg(long, requires = "gitlab")]
    pub gitlab_variables: bool,

    /// GitLab instance URL, for self-managed GitLab (https://gitlab.example.com); the REST
    /// API is under /api/v4 of it
    #[arg(long, value_name = "URL", default_value = "https://gitlab.com", value_parser = instance_url)]
    pub gitlab_url: String,
}

/// The instance URL as its REST API's base; a URL ending in `/api/v4` is taken as the API
/// itself.
fn instance_url(text: &str) -> Result<String, String> {
    let base = crate::collect::registry::base_url(text, "https://gitlab.com or https://HOST of a self-managed instance")?;
    let base = base.strip_suffix("/api/v4").unwrap_or(&base);
    Ok(format!("{base}/api/v4"))
}

impl GitlabFlags {
    fn groups(&self) -> Vec<String> {
        self.gitlab
            .iter()
            .flatten()
            .map(|g| g.trim().trim_matches('/').to_string())
            .filter(|g| !g.is_empty())
            .collect()
    }
}

impl Source for GitlabFlags {
    fn scope_key(&self) -> &'static str {
        "gitlab"
    }

    fn scope(&self) -> Vec<String> {
        self.groups()
    }

    fn collectors(&self) -> Vec<Arc<dyn Collector>> {
        let token = super::token_from_env();
        self.groups()
            .into_iter()
            .map(|group| {
                let c = GitlabCollector {
                    group,
                    api_url: self.gitlab_url.clone(),
                    token: token.clone(),
                    clone: self.gitlab_clone,
                    read_variables: self.gitlab_variables,
                };
                Arc::new(c) as Arc<dyn Collector>
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::instance_url;

    #[test]
    fn the_instance_url_becomes_its_api_url() {
        assert_eq!(instance_url("https://gitlab.com").unwrap(), "https://gitlab.com/api/v4");
        assert_eq!(
            instance_url("https://git.example.test/gitlab/api/v4/").unwrap(),
            "https://git.example.test/gitlab/api/v4"
        );
        assert!(instance_url("ftp://git.example.test").unwrap_err().contains("ftp"));
        assert!(instance_url("gitlab.com").is_err());
    }
}
