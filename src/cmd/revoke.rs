//! `nhiscan revoke INVENTORY.json --identity ID | --all-live`: revoke found secrets with
//! their provider's self-revocation call, after saying what will happen and asking; every
//! attempt goes to the history database when one is given.

use super::{exit, load_detectors};
use crate::cli::RevokeArgs;
use anyhow::{Result, bail};
use nhiscan::model::Identity;
use nhiscan::scan::keep::Keeper;
use nhiscan::scan::redact::Fingerprinter;
use nhiscan::validate::request::Endpoints;
use nhiscan::validate::revoke::{self, Outcome};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

pub fn run(args: RevokeArgs) -> Result<u8> {
    let set = load_detectors(&args.detectors)?;
    let inventory = nhiscan::drift::read_inventory(&args.inventory)?;
    let endpoints = Endpoints::from_env(&set.callable_providers())?;
    let mut targets: Vec<&Identity> = Vec::new();
    for id in &args.identities {
        match inventory.identities.iter().find(|i| &i.id == id) {
            Some(i) => targets.push(i),
            None => bail!(
                "{}: no identity `{id}`; copy an `id` from the inventory (or the table's JSON)",
                args.inventory.display()
            ),
        }
    }
    if args.all_live {
        targets.extend(inventory.identities.iter().filter(|i| {
            i.validation.as_ref().is_some_and(|v| v.is_active()) && !args.identities.contains(&i.id)
        }));
    }
    let (callable, manual): (Vec<&Identity>, Vec<&Identity>) = targets
        .into_iter()
        .partition(|i| set.revoke_call_for(i).is_some());
    for i in &manual {
        let how = i
            .exposures
            .iter()
            .find_map(|e| {
                inventory
                    .detector(&e.detector)
                    .and_then(|d| d.revoke.clone())
            })
            .map(|r| format!("{} ({})", r.how, r.url))
            .unwrap_or_else(|| "revoke it where it was issued".into());
        super::out::say!(
            "{} ({}): its provider has no self-revocation API; {how}",
            i.name,
            i.id
        );
    }
    if callable.is_empty() {
        super::out::say!("nothing to revoke through a provider API");
        return Ok(if manual.is_empty() {
            exit::CLEAN
        } else {
            exit::DENY
        });
    }
    super::out::say!("will revoke {} credential(s):", callable.len());
    for i in &callable {
        let Some(call) = set.revoke_call_for(i) else {
            continue;
        };
        let acts_as = i
            .validation
            .as_ref()
            .and_then(|v| v.acts_as())
            .map(|w| format!(", acts as {w}"))
            .unwrap_or_default();
        super::out::say!(
            "  {} {} at {}{acts_as}: {} {}",
            i.name,
            i.preview.as_deref().unwrap_or("-"),
            i.location,
            call.method.as_str(),
            endpoints.base(call).to_string() + call.path.split('?').next().unwrap_or_default()
        );
    }
    if !args.yes && !confirmed(callable.len())? {
        super::out::say!("nothing revoked");
        return Ok(exit::USAGE);
    }
    let keeper = Arc::new(Keeper::default());
    let fingerprinter = Fingerprinter::from_env().keeping(Arc::clone(&keeper));
    let base = super::validate::scan_directory(&inventory)?;
    let read = nhiscan::validate::reread::reread(&inventory, &set, &fingerprinter, &base);
    for problem in &read.problems {
        super::out::say!("warning: {problem}");
    }
    let history = match &args.history {
        Some(path) => Some(nhiscan::scan_history::ScanHistory::open(path)?),
        None => None,
    };
    let attempts = revoke::revoke(
        &callable,
        &set,
        &keeper,
        &endpoints,
        std::time::Duration::from_secs(args.request_timeout),
    );
    let now = nhiscan::pipeline::scan_time()?;
    let operator = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let mut all_revoked = manual.is_empty();
    for (identity, attempt) in callable.iter().zip(&attempts) {
        super::out::say!(
            "{}: {} {}",
            identity.name,
            attempt.outcome.as_str(),
            attempt.reason
        );
        all_revoked &= attempt.outcome == Outcome::Revoked;
        if let Some(h) = &history {
            h.record_revocation(&nhiscan::scan_history::RevocationRecord {
                at: now,
                identity: identity.id.clone(),
                fingerprint: identity.fingerprint.clone(),
                provider: identity
                    .service
                    .clone()
                    .unwrap_or_else(|| identity.provider.to_string()),
                host: attempt.host.clone(),
                outcome: attempt.outcome.as_str().into(),
                reason: attempt.reason.clone(),
                operator: operator.clone(),
            })?;
        }
    }
    if let Some(path) = &args.history {
        super::out::say!(
            "recorded {} attempt(s) in {}",
            attempts.len(),
            path.display()
        );
    }
    Ok(if all_revoked { exit::CLEAN } else { exit::DENY })
}

/// Ask on the terminal; without one, refuse (a pipeline must say --yes).
fn confirmed(n: usize) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to revoke without confirmation: standard input is not a terminal; pass --yes"
        );
    }
    eprint!("Revoke {n} credential(s)? This cannot be undone. [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
