//! Every API source, registered once.
//!
//! A source is a module under `collect/` with a [`Collector`] and a flags struct that
//! implements [`Source`]: the flags say what the user asked for, the trait turns that into
//! collectors and into the inventory's scope. Adding a source is that module plus one line
//! in the `sources!` list of `collect/mod.rs`, which declares the module and adds its flags
//! to [`SourceFlags`]: the command line, the scope and the scan pick it up from there.

use super::{Collector, SourceFlags};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the command line asked of one kind of source.
pub trait Source {
    /// Key of this source in the inventory's `scope` (`aws`, `github`, `kubernetes`).
    fn scope_key(&self) -> &'static str;
    /// What was asked (profiles, organisations, contexts); empty when the flag is absent.
    fn scope(&self) -> Vec<String>;
    /// One collector per thing asked; none without the flag, so no API call.
    fn collectors(&self) -> Vec<Arc<dyn Collector>>;
}

/// `sources! { name: FlagsType, ... }`: declares each source's module `name` and the
/// [`SourceFlags`] that flattens their flags into `nhiscan scan`.
macro_rules! sources {
    ($($field:ident: $flags:ident),* $(,)?) => {
        $(pub mod $field;)*

        /// The flags of every API source, flattened into `nhiscan scan`.
        #[derive(Debug, Clone, clap::Args)]
        pub struct SourceFlags {
            $(
                #[command(flatten)]
                pub $field: $field::$flags,
            )*
            /// Stop an API source after this many seconds; what it collected by then is kept,
            /// the source is reported as partial and the exit code says the inventory is
            /// incomplete
            #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Sources")]
            pub source_timeout: u64,
            /// Give up on one API call (a page, with its body) after this many seconds: a
            /// hung or dripping server costs that call, not the source
            #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Sources")]
            pub request_timeout: u64,
            /// Scan only this shard's repositories (INDEX from 0, as Kubernetes'
            /// JOB_COMPLETION_INDEX): those of --repos-file, --github-clone and
            /// --gitlab-clone whose normalised URL hashes to INDEX of COUNT. API inventories
            /// are not split: run them in one shard (see README, "Scanning at scale")
            #[arg(long, value_name = "INDEX/COUNT", value_parser = $crate::collect::shard::parse, help_heading = "Sources")]
            pub shard: Option<$crate::collect::shard::Shard>,
        }

        impl SourceFlags {
            /// Every registered source, in registration order.
            pub fn sources(&self) -> Vec<&dyn $crate::collect::Source> {
                vec![$(&self.$field),*]
            }
        }
    };
}

impl SourceFlags {
    /// The collectors of every source the user asked for; empty: no API call at all.
    pub fn collectors(&self) -> Vec<Arc<dyn Collector>> {
        self.sources()
            .into_iter()
            .flat_map(|s| s.collectors())
            .collect()
    }

    /// What was asked of each source, for the inventory's scope; a sharded run names its
    /// shard (`shard: ["2/8"]`), and a merge lists every shard it joined.
    pub fn scope(&self) -> BTreeMap<String, Vec<String>> {
        let mut scope: BTreeMap<String, Vec<String>> = self
            .sources()
            .into_iter()
            .map(|s| (s.scope_key().to_string(), s.scope()))
            .filter(|(_, names)| !names.is_empty())
            .collect();
        if let Some(shard) = self.shard {
            scope.insert("shard".into(), vec![shard.to_string()]);
        }
        scope
    }
}

/// A flag with an optional list: absent, no source; present and empty, the default one
/// (`None`); else one per name.
pub fn named_or_default(flag: Option<&[String]>) -> Vec<Option<String>> {
    match flag {
        None => Vec::new(),
        Some(list) => {
            let named: Vec<Option<String>> = list
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .map(|p| Some(p.to_string()))
                .collect();
            if named.is_empty() { vec![None] } else { named }
        }
    }
}

/// An `http(s)://host[:port][/path]` base URL from the command line, without its trailing
/// `/`, checked when the command line is read so a typo is a usage error (exit 2), not a
/// source that failed; `example` is what the message suggests.
pub fn base_url(text: &str, example: &str) -> Result<String, String> {
    let uri: http::Uri = text
        .parse()
        .map_err(|_| format!("not a URL; expected e.g. {example}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => {
            Ok(text.trim_end_matches('/').to_string())
        }
        (Some(other), _) if other != "http" && other != "https" => Err(format!(
            "scheme `{other}` is not supported; expected e.g. {example}"
        )),
        _ => Err(format!(
            "expected a full URL with scheme and host, e.g. {example}"
        )),
    }
}
