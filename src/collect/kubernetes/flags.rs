//! `--k8s`, `--namespace`: what the command line asks of the Kubernetes source.

use super::{KubernetesCollector, current_context};
use crate::collect::Collector;
use crate::collect::registry::{Source, named_or_default};
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Sources")]
pub struct KubernetesFlags {
    /// Inventory Kubernetes: the current kubeconfig context (or in-cluster configuration)
    /// with no value, or the named contexts (comma-separated). Without this flag nhiscan
    /// makes no Kubernetes call
    #[arg(long = "k8s", value_name = "CONTEXT,...", num_args = 0..=1, default_missing_value = "", value_delimiter = ',')]
    pub k8s: Option<Vec<String>>,

    /// Only this Kubernetes namespace (ClusterRoleBindings still count for its accounts)
    #[arg(long, value_name = "NS", requires = "k8s")]
    pub namespace: Option<String>,
}

impl KubernetesFlags {
    /// `--k8s` alone: the current context (`None`); `--k8s a,b`: those contexts.
    fn contexts(&self) -> Vec<Option<String>> {
        named_or_default(self.k8s.as_deref())
    }
}

impl Source for KubernetesFlags {
    fn scope_key(&self) -> &'static str {
        "kubernetes"
    }

    fn scope(&self) -> Vec<String> {
        self.contexts()
            .into_iter()
            .map(|c| c.unwrap_or_else(current_context))
            .collect()
    }

    fn collectors(&self) -> Vec<Arc<dyn Collector>> {
        self.contexts()
            .into_iter()
            .map(|c| {
                let collector = KubernetesCollector::new(c, self.namespace.clone());
                Arc::new(collector) as Arc<dyn Collector>
            })
            .collect()
    }
}
