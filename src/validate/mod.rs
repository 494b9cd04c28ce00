//! Opt-in validation (`nhiscan scan --validate`): ask each found secret's provider, once,
//! at its documented identity endpoint, whether the secret is live and whom it acts as.
//!
//! Off by default and never implied. Which call, how the secret is presented and what the
//! answer means are data (`[[validate]]` in the detector files, [`crate::detect::live`]);
//! this module turns a check and a value into a request ([`request`]), sends it
//! ([`client`]: bounded time, no redirects followed, 429/5xx retried), reads the answer
//! ([`answer`]), and remembers definite answers by fingerprint ([`cache`]). The secret goes
//! only to its provider's host (or the base the user redirected it to with
//! `NHISCAN_VALIDATE_ENDPOINTS`); it is never written, and reasons that could hold it are
//! scrubbed.
//!
//! The outcome lands on the identity: `validation`, `status`, the scopes as `privileges`
//! (`github:repo`), and an owner suggestion naming the principal when nobody owns it.

pub mod answer;
mod ask;
mod aws;
mod azure;
pub mod cache;
pub mod client;
pub mod request;
pub mod reread;
pub mod revoke;

use crate::detect::DetectorSet;
use crate::detect::live::{LiveCheck, Scheme};
use crate::model::{
    Identity, LiveStatus, Owner, SourceState, SourceStatus, Status, Timestamp, Validation,
    ValidationSummary, attr,
};
use crate::scan::keep::Keeper;
use request::Endpoints;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// How to validate.
#[derive(Debug, Clone)]
pub struct Options {
    pub endpoints: Endpoints,
    pub timeout: Duration,
    /// The cache file; `None`: no cache (every secret asked).
    pub cache: Option<PathBuf>,
    pub ttl_hours: i64,
}

/// What one run of validation did, and what went wrong beside the answers (a cache that
/// could not be opened).
#[derive(Debug, Default)]
pub struct Report {
    pub summary: ValidationSummary,
    pub warnings: Vec<String>,
}

/// One secret to ask about.
pub(crate) struct Job {
    identity: usize,
    fingerprint: String,
    check: usize,
    value: Vec<u8>,
    /// For a signing scheme: the other half of the credential (the access key id) or the
    /// document holding the key (a GCP key's JSON).
    extra: Option<Vec<u8>>,
}

/// Lines between a secret and the partner value it is paired with at most.
const PARTNER_LINES: u64 = 5;

/// An outcome decided without a call, on the identity.
fn not_checked(status: LiveStatus, reason: &str, now: Timestamp) -> Box<Validation> {
    Box::new(Validation::without_answer(
        status,
        now,
        format!("not checked: {reason}"),
    ))
}

/// Validate every identity whose secret this run holds in `keeper`.
pub fn run(
    identities: &mut [Identity],
    set: &DetectorSet,
    keeper: &Keeper,
    opts: &Options,
    now: Timestamp,
) -> Report {
    let mut report = Report::default();
    let checks = set.live_checks();
    let mut jobs = Vec::new();
    for (i, identity) in identities.iter_mut().enumerate() {
        if identity.is_published_example() {
            continue;
        }
        let Some(fingerprint) = identity.fingerprint.clone() else {
            continue;
        };
        let checkable = identity
            .exposures
            .iter()
            .find_map(|e| set.by_id(&e.detector).and_then(|d| d.live));
        let Some(from_exposure) = checkable else {
            continue;
        };
        let Some(kept) = keeper.take(&fingerprint) else {
            report.summary.not_held += 1;
            identity.validation = Some(not_checked(
                LiveStatus::Error,
                "this run did not read the value (found only in blobs --cache skipped, or over the limit of values kept); rerun without --cache",
                now,
            ));
            continue;
        };
        let check = set
            .by_id(&kept.detector)
            .and_then(|d| d.live)
            .unwrap_or(from_exposure) as usize;
        let extra = match (&checks[check].partner, checks[check].scheme) {
            (None, Scheme::GcpJwt | Scheme::AzureClientCredentials) => {
                if kept.document.is_none() {
                    identity.validation = Some(not_checked(
                        LiveStatus::Unknown,
                        "the document it was found in was not kept (larger than 64 KiB)",
                        now,
                    ));
                    continue;
                }
                kept.document
            }
            (None, _) => None,
            (Some(partner), _) => {
                let found = identity
                    .exposures
                    .iter()
                    .find_map(|e| keeper.near(partner, &e.path, e.line, PARTNER_LINES));
                let problem = match &found {
                    None => Some(format!(
                        "no {partner} within {PARTNER_LINES} lines of the secret to sign with"
                    )),
                    Some(id) if !id.starts_with(b"AKIA") => Some(
                        "the key id beside it is temporary (ASIA...) and needs its session token"
                            .to_string(),
                    ),
                    Some(_) => None,
                };
                if let Some(problem) = problem {
                    identity.validation = Some(not_checked(LiveStatus::Unknown, &problem, now));
                    continue;
                }
                found
            }
        };
        jobs.push(Job {
            identity: i,
            fingerprint,
            check,
            value: kept.value,
            extra,
        });
    }
    if jobs.is_empty() {
        return report;
    }
    let cache = opts
        .cache
        .as_deref()
        .and_then(|p| match cache::Cache::open(p, opts.ttl_hours) {
            Ok(c) => Some(c),
            Err(e) => {
                report
                    .warnings
                    .push(format!("{e}; validating without a cache"));
                None
            }
        });
    let mut to_ask = Vec::new();
    for job in jobs {
        let check = &checks[job.check];
        let endpoint = endpoint_key(check, &opts.endpoints);
        match cache
            .as_ref()
            .and_then(|c| c.get(&job.fingerprint, &endpoint, now))
        {
            Some(v) => {
                report.summary.cached += 1;
                apply(&mut identities[job.identity], check, v);
            }
            None => to_ask.push((job, endpoint)),
        }
    }
    let answers = ask::ask_all(&to_ask, checks, opts, now);
    for ((job, endpoint), (validation, calls, host)) in to_ask.iter().zip(answers) {
        *report.summary.calls.entry(host).or_default() += u64::from(calls);
        if let Some(c) = &cache {
            c.put(&job.fingerprint, endpoint, &validation);
        }
        apply(
            &mut identities[job.identity],
            &checks[job.check],
            validation,
        );
    }
    join_principals(identities);
    for identity in identities.iter() {
        if let Some(v) = &identity.validation {
            let n = match v.status {
                LiveStatus::Active => &mut report.summary.active,
                LiveStatus::Inactive => &mut report.summary.inactive,
                LiveStatus::Unknown => &mut report.summary.unknown,
                LiveStatus::Error => &mut report.summary.error,
            };
            *n += 1;
        }
    }
    report
}

/// A cached answer is valid for the same fingerprint at the same endpoint (a changed
/// check or a redirected base asks again).
fn endpoint_key(check: &LiveCheck, endpoints: &Endpoints) -> String {
    format!(
        "{} {} {}{}",
        check.provider,
        check.method.as_str(),
        endpoints.base(check),
        check.path
    )
}

/// An error and its causes on one line (connection refused, DNS, TLS).
pub(crate) fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

pub(crate) fn validation(
    check: &LiveCheck,
    status: LiveStatus,
    reason: String,
    now: Timestamp,
) -> Validation {
    Validation {
        principal_kind: Some(check.principal_kind.clone()),
        host: Some(check.host().to_string()),
        ..Validation::without_answer(status, now, reason)
    }
}

/// Whatever a provider or a library echoes, the value itself is never shown.
pub(crate) fn scrub(text: String, value: &[u8]) -> String {
    let value = String::from_utf8_lossy(value);
    if value.len() >= 6 && text.contains(value.as_ref()) {
        text.replace(value.as_ref(), "<secret>")
    } else {
        text
    }
}

/// Validation as a source of the inventory: partial (the exit code says incomplete) when a
/// secret could not be checked for want of an answer or of its value; one line each.
pub fn source_status(report: &Report, identities: &[Identity], elapsed_ms: u64) -> SourceStatus {
    let mut errors = Vec::new();
    let mut warnings = report.warnings.clone();
    for identity in identities {
        let Some(v) = &identity.validation else {
            continue;
        };
        let line = format!("{} ({}): {}", identity.name, identity.location, v.reason);
        match v.status {
            LiveStatus::Error => errors.push(line),
            LiveStatus::Unknown => warnings.push(line),
            LiveStatus::Active | LiveStatus::Inactive => {}
        }
    }
    let s = &report.summary;
    SourceStatus {
        id: "validation".into(),
        status: if errors.is_empty() {
            SourceState::Ok
        } else {
            SourceState::Partial
        },
        items: s.active + s.inactive + s.unknown + s.error,
        errors,
        warnings,
        api_calls: s.calls.values().sum(),
        elapsed_ms,
    }
}

/// The outcome on the identity: its status, its scopes as privileges, the principal as a
/// suggested owner when it has none.
fn apply(identity: &mut Identity, check: &LiveCheck, v: Validation) {
    match v.status {
        LiveStatus::Active => identity.status = Status::Active,
        LiveStatus::Inactive => identity.status = Status::Inactive,
        LiveStatus::Unknown | LiveStatus::Error => {}
    }
    if v.is_active() {
        for scope in &v.scopes {
            let privilege = format!("{}:{scope}", check.provider);
            if !identity.privileges.contains(&privilege) {
                identity.privileges.push(privilege);
            }
        }
        if identity.owner.is_none()
            && let Some(acts_as) = v.acts_as()
        {
            identity.owner = Some(Owner {
                team: v
                    .principal
                    .clone()
                    .or_else(|| v.account.clone())
                    .unwrap_or_default(),
                backup: None,
                source: OWNER_SOURCE.into(),
                evidence: format!("the provider says the secret acts as {acts_as}"),
            });
        }
    }
    identity.validation = Some(Box::new(v));
}

/// A live secret whose principal is an identity of this inventory (the IAM user a key
/// acts as, listed by the AWS collector) is that identity's credential: each names the
/// other in `related`, and the secret takes the identity's accountable owner.
fn join_principals(identities: &mut [Identity]) {
    let by_id: HashMap<String, usize> = identities
        .iter()
        .enumerate()
        .map(|(n, i)| (i.id.clone(), n))
        .collect();
    // A key two identities share names neither: no link rather than a wrong one.
    let mut by_account: HashMap<String, Option<usize>> = HashMap::new();
    for (n, i) in identities.iter().enumerate() {
        if let Some(key) = i.attributes.get(attr::PRINCIPAL_KEY) {
            by_account
                .entry(key.clone())
                .and_modify(|seen| *seen = None)
                .or_insert(Some(n));
        }
    }
    for n in 0..identities.len() {
        let Some(validation) = identities[n].validation.as_ref().filter(|v| v.is_active()) else {
            continue;
        };
        // The principal is the listed identity's id (an AWS ARN), or the provider's
        // account number is one a collector recorded (a GitLab token's bot user).
        let account_key = validation
            .account
            .as_ref()
            .zip(identities[n].service.as_ref())
            .map(|(account, service)| format!("{service}:account:{account}"));
        let found = validation
            .principal
            .as_ref()
            .and_then(|p| by_id.get(p))
            .or_else(|| by_account.get(account_key.as_ref()?)?.as_ref());
        let Some(&m) = found.filter(|&&m| m != n) else {
            continue;
        };
        let principal = identities[m].id.clone();
        let secret_id = identities[n].id.clone();
        if !identities[m].related.contains(&secret_id) {
            identities[m].related.push(secret_id);
        }
        if !identities[n].related.contains(&principal) {
            identities[n].related.push(principal.clone());
        }
        let owner = identities[m].accountable_owner().cloned();
        let secret = &mut identities[n];
        if let Some(owner) = owner
            && secret.accountable_owner().is_none()
        {
            secret.owner = Some(Owner {
                evidence: format!(
                    "owner of {principal} ({}), which the provider says this secret acts as",
                    owner.evidence
                ),
                ..owner
            });
        }
    }
}

/// The owner source of a principal named by validation: a lead, not an accountable owner.
pub const OWNER_SOURCE: &str = "validation";
