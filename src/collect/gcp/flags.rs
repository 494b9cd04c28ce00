//! `--gcp`, `--gcp-url`: what the command line asks of the Google Cloud source.

use super::GcpCollector;
use crate::collect::Collector;
use crate::collect::registry::{Source, named_or_default};
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Sources")]
pub struct GcpFlags {
    /// Inventory Google Cloud service accounts and their keys: the named projects
    /// (comma-separated), or with no value the project of the credentials
    /// (GOOGLE_CLOUD_PROJECT, CLOUDSDK_CORE_PROJECT, the key file's project). Credentials
    /// from application default credentials. Without this flag nhiscan makes no Google call
    #[arg(long, value_name = "PROJECT,...", num_args = 0..=1, default_missing_value = "", value_delimiter = ',')]
    pub gcp: Option<Vec<String>>,

    /// One base URL for the IAM, Resource Manager and Policy Analyzer APIs (a private
    /// endpoint, or a test server); by default each API's own googleapis.com host
    #[arg(long, value_name = "URL", value_parser = base_url, requires = "gcp")]
    pub gcp_url: Option<String>,
}

fn base_url(text: &str) -> Result<String, String> {
    crate::collect::registry::base_url(text, "https://private.googleapis.com")
}

impl Source for GcpFlags {
    fn scope_key(&self) -> &'static str {
        "gcp"
    }

    fn scope(&self) -> Vec<String> {
        named_or_default(self.gcp.as_deref())
            .into_iter()
            .map(|p| p.unwrap_or_else(|| "default project".into()))
            .collect()
    }

    fn collectors(&self) -> Vec<Arc<dyn Collector>> {
        named_or_default(self.gcp.as_deref())
            .into_iter()
            .map(|project| {
                Arc::new(GcpCollector {
                    project,
                    base: self.gcp_url.clone(),
                }) as Arc<dyn Collector>
            })
            .collect()
    }
}
