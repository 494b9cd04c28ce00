//! `nhiscan revoke`: the provider's own self-revocation call for a found secret
//! (`[[revoke_api]]`: GitHub's credential revocation endpoint, Slack's `auth.revoke`,
//! GitLab's self-revoke), with the request and answer machinery of validation. The
//! command asks for confirmation and records every attempt; this module only calls.

use super::request::{self, Endpoints};
use super::{answer, client, scrub};
use crate::detect::DetectorSet;
use crate::model::{Identity, LiveStatus};
use crate::scan::keep::Keeper;
use std::time::Duration;

/// What happened to one identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub identity: String,
    pub outcome: Outcome,
    pub reason: String,
    pub host: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider accepted the revocation.
    Revoked,
    /// The provider answered, and did not revoke (an unknown or already revoked token).
    Refused,
    /// No call was possible or no answer came.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Revoked => "revoked",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// Revoke each of `targets` whose value `keeper` holds, one call each.
pub fn revoke(
    targets: &[&Identity],
    set: &DetectorSet,
    keeper: &Keeper,
    endpoints: &Endpoints,
    timeout: Duration,
) -> Vec<Attempt> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return targets
                .iter()
                .map(|i| failed(i, format!("cannot start the HTTP runtime: {e}"), ""))
                .collect();
        }
    };
    let client = match client::Client::new(timeout) {
        Ok(c) => c,
        Err(e) => {
            return targets
                .iter()
                .map(|i| failed(i, format!("no TLS root certificates: {e}"), ""))
                .collect();
        }
    };
    targets
        .iter()
        .map(|identity| runtime.block_on(one(identity, set, keeper, endpoints, &client)))
        .collect()
}

async fn one(
    identity: &Identity,
    set: &DetectorSet,
    keeper: &Keeper,
    endpoints: &Endpoints,
    client: &client::Client,
) -> Attempt {
    let Some(call) = set.revoke_call_for(identity) else {
        return failed(
            identity,
            "its provider has no self-revocation call".into(),
            "",
        );
    };
    let Some(kept) = identity.fingerprint.as_deref().and_then(|f| keeper.take(f)) else {
        return failed(
            identity,
            "its value could not be read again from the places the inventory names".into(),
            call.host(),
        );
    };
    let request = match request::build(call, &kept.value, endpoints) {
        Ok(r) => r,
        Err(e) => return failed(identity, e.to_string(), call.host()),
    };
    let mut calls = 0;
    let (outcome, reason) = match client.send(&request, &mut calls).await {
        Ok(a) => {
            let read = answer::read(call, &request.shown, a.status, &|n| a.header(n), &a.body);
            let outcome = match read.status {
                LiveStatus::Active => Outcome::Revoked,
                LiveStatus::Inactive | LiveStatus::Unknown => Outcome::Refused,
                LiveStatus::Error => Outcome::Failed,
            };
            (outcome, read.reason)
        }
        Err(e) => (Outcome::Failed, format!("{}: {e}", request.shown)),
    };
    Attempt {
        identity: identity.id.clone(),
        outcome,
        reason: scrub(reason, &kept.value),
        host: request.host,
    }
}

fn failed(identity: &Identity, reason: String, host: &str) -> Attempt {
    Attempt {
        identity: identity.id.clone(),
        outcome: Outcome::Failed,
        reason,
        host: host.to_string(),
    }
}
