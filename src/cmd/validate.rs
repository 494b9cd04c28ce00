//! `nhiscan validate INVENTORY.json`: validate a saved scan's found secrets, and the
//! options `nhiscan scan --validate` shares with it (endpoints, cache, summary line).

use super::{exit, load_detectors};
use crate::cli::{ValidateCommandArgs, ValidationCacheArgs};
use anyhow::{Context, Result};
use nhiscan::detect::DetectorSet;
use nhiscan::model::SourceState;
use nhiscan::scan::keep::Keeper;
use nhiscan::scan::redact::Fingerprinter;
use nhiscan::validate::{self, Options, request::Endpoints};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The providers' endpoints (NHISCAN_VALIDATE_ENDPOINTS applied), the cache, and the
/// keeper a scan leaves values in.
pub fn options(
    cache: &ValidationCacheArgs,
    request_timeout: u64,
    set: &DetectorSet,
) -> Result<(Options, Arc<Keeper>)> {
    let endpoints = Endpoints::from_env(&set.callable_providers())?;
    let cache_path = if cache.no_validate_cache {
        None
    } else {
        cache
            .validate_cache
            .clone()
            .or_else(validate::cache::default_path)
    };
    Ok((
        Options {
            endpoints,
            timeout: Duration::from_secs(request_timeout),
            cache: cache_path,
            ttl_hours: cache.validate_ttl,
        },
        Arc::default(),
    ))
}

/// `validation: 4 calls (api.github.com 2, slack.com 2), 0 from cache; 2 active, ...`
pub fn say_summary(v: &nhiscan::model::ValidationSummary) {
    super::out::say!(
        "validation: {}; {} active, {} inactive, {} unknown, {} error{}",
        v.calls_line(),
        v.active,
        v.inactive,
        v.unknown,
        v.error,
        if v.not_held > 0 {
            format!(", {} not checked (value not read)", v.not_held)
        } else {
            String::new()
        }
    );
}

/// The directory the inventory's scan ran in (its relative paths start there), else the
/// current one.
pub fn scan_directory(inventory: &nhiscan::model::Inventory) -> Result<PathBuf> {
    inventory
        .scope
        .working_directory
        .as_ref()
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .map_or_else(std::env::current_dir, Ok)
        .context("finding the directory the scan ran in")
}

pub fn run(args: ValidateCommandArgs) -> Result<u8> {
    let set = load_detectors(&args.detectors)?;
    let mut inventory = nhiscan::drift::read_inventory(&args.inventory)?;
    let now = nhiscan::pipeline::scan_time()?;
    let base = scan_directory(&inventory)?;
    let root = inventory
        .scope
        .source_root
        .as_ref()
        .map(PathBuf::from)
        .unwrap_or_else(|| base.clone());
    let config = nhiscan::config::load(args.config.as_deref(), &root)?;
    let (opts, keeper) = options(&args.cache, args.request_timeout, &set)?;
    let fingerprinter = Fingerprinter::from_env().keeping(Arc::clone(&keeper));
    let read = validate::reread::reread(&inventory, &set, &fingerprinter, &base);
    for problem in &read.problems {
        super::out::say!("warning: {problem}");
    }
    let started = std::time::Instant::now();
    let report = validate::run(&mut inventory.identities, &set, &keeper, &opts, now);
    let mut status = validate::source_status(
        &report,
        &inventory.identities,
        started.elapsed().as_millis() as u64,
    );
    if !read.problems.is_empty() {
        status.status = SourceState::Partial;
        status.errors.extend(read.problems.iter().cloned());
    }
    inventory.sources.retain(|s| s.id != status.id);
    inventory.sources.push(status);
    let verdict = nhiscan::policy::judge(
        &inventory.identities,
        &inventory.detectors,
        None,
        now,
        &config.policy,
    );
    inventory.findings = verdict.findings;
    inventory.summary.findings_deny = 0;
    inventory.summary.findings_warn = 0;
    for f in &inventory.findings {
        inventory.summary.count(f);
    }
    inventory.summary.validation = Some(report.summary.clone());
    say_summary(&report.summary);
    super::emit_inventory(&inventory, args.format, args.output.as_deref())?;
    Ok(exit::of(&inventory))
}
