//! `--aws`: what the command line asks of the AWS IAM source.

use super::AwsCollector;
use crate::collect::Collector;
use crate::collect::registry::{Source, named_or_default};
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Sources")]
pub struct AwsFlags {
    /// Inventory AWS IAM: the default credential chain with no value, or the named profiles
    /// (comma-separated, one account each). Without this flag nhiscan makes no AWS call
    #[arg(long, value_name = "PROFILE,...", num_args = 0..=1, default_missing_value = "", value_delimiter = ',')]
    pub aws: Option<Vec<String>>,

    /// Regions whose Secrets Manager secrets and SSM SecureString parameters are listed
    /// (comma-separated); IAM is global. Default: each profile's own region
    #[arg(long, value_name = "REGION,...", value_delimiter = ',', requires = "aws")]
    pub aws_regions: Vec<String>,
}

impl AwsFlags {
    /// `--aws` alone: the default chain (`None`); `--aws a,b`: those profiles.
    fn profiles(&self) -> Vec<Option<String>> {
        named_or_default(self.aws.as_deref())
    }
}

impl Source for AwsFlags {
    fn scope_key(&self) -> &'static str {
        "aws"
    }

    fn scope(&self) -> Vec<String> {
        self.profiles()
            .into_iter()
            .map(|p| p.unwrap_or_else(|| "default".into()))
            .collect()
    }

    fn collectors(&self) -> Vec<Arc<dyn Collector>> {
        // A region named twice is listed once.
        let regions: std::collections::BTreeSet<String> = self
            .aws_regions
            .iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        self.profiles()
            .into_iter()
            .map(|p| {
                let regions = regions.iter().cloned().collect();
                Arc::new(AwsCollector::new(p).with_regions(regions)) as Arc<dyn Collector>
            })
            .collect()
    }
}
