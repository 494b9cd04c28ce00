//! `--azure`, `--azure-graph-url`: what the command line asks of the Microsoft Entra source.

use super::AzureCollector;
use crate::collect::Collector;
use crate::collect::registry::{Source, named_or_default};
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Sources")]
pub struct AzureFlags {
    /// Inventory Microsoft Entra ID (Azure AD) applications, service principals, managed
    /// identities and their credentials: the named tenants (comma-separated), or with no
    /// value the tenant of the credentials (AZURE_TENANT_ID, `az login`). Without this flag
    /// nhiscan makes no Microsoft call
    #[arg(long, value_name = "TENANT,...", num_args = 0..=1, default_missing_value = "", value_delimiter = ',')]
    pub azure: Option<Vec<String>>,

    /// Microsoft Graph base URL (national clouds: https://graph.microsoft.us; tests); the
    /// login host is AZURE_AUTHORITY_HOST, as for Azure's own tools
    #[arg(long, value_name = "URL", default_value = "https://graph.microsoft.com", value_parser = graph_url, requires = "azure")]
    pub azure_graph_url: String,
}

fn graph_url(text: &str) -> Result<String, String> {
    crate::collect::registry::base_url(text, "https://graph.microsoft.com")
}

impl Source for AzureFlags {
    fn scope_key(&self) -> &'static str {
        "azure"
    }

    fn scope(&self) -> Vec<String> {
        named_or_default(self.azure.as_deref())
            .into_iter()
            .map(|t| t.unwrap_or_else(|| "default tenant".into()))
            .collect()
    }

    fn collectors(&self) -> Vec<Arc<dyn Collector>> {
        named_or_default(self.azure.as_deref())
            .into_iter()
            .map(|tenant| {
                Arc::new(AzureCollector {
                    tenant,
                    graph: self.azure_graph_url.clone(),
                }) as Arc<dyn Collector>
            })
            .collect()
    }
}
