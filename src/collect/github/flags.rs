//! `--github`, `--github-clone`, `--github-url`: what the command line asks of the GitHub
//! source.

use super::{GithubCollector, token_from_env};
use crate::collect::Collector;
use crate::collect::clone::CloneDepth;
use crate::collect::registry::Source;
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Sources")]
pub struct GithubFlags {
    /// Inventory GitHub organisations (comma-separated); token from GITHUB_TOKEN, GH_TOKEN
    /// or `gh auth token`. Without this flag nhiscan makes no GitHub call
    #[arg(long, value_name = "ORG,...", value_delimiter = ',')]
    pub github: Option<Vec<String>>,

    /// Also clone each repository of the organisations (bare, into a temporary directory
    /// removed afterwards) and scan its history, so leaked secrets join the inventory:
    /// `full` (every branch and commit; the default) or `shallow` (the default branch's tip)
    #[arg(long, value_enum, value_name = "DEPTH", num_args = 0..=1, default_missing_value = "full", requires = "github")]
    pub github_clone: Option<CloneDepth>,

    /// GitHub API base URL, for GitHub Enterprise Server (https://HOST/api/v3)
    #[arg(long, value_name = "URL", default_value = "https://api.github.com", value_parser = api_url)]
    pub github_url: String,
}

fn api_url(text: &str) -> Result<String, String> {
    crate::collect::registry::base_url(text, "https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server")
}

impl GithubFlags {
    fn orgs(&self) -> Vec<String> {
        self.github
            .iter()
            .flatten()
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect()
    }
}

impl Source for GithubFlags {
    fn scope_key(&self) -> &'static str {
        "github"
    }

    fn scope(&self) -> Vec<String> {
        self.orgs()
    }

    fn collectors(&self) -> Vec<Arc<dyn Collector>> {
        let orgs = self.orgs();
        if orgs.is_empty() {
            return Vec::new();
        }
        let token = token_from_env();
        let base = self.github_url.trim_end_matches('/').to_string();
        orgs.into_iter()
            .map(|org| {
                let c = GithubCollector::new(org, base.clone(), token.clone())
                    .with_clone(self.github_clone);
                Arc::new(c) as Arc<dyn Collector>
            })
            .collect()
    }
}
