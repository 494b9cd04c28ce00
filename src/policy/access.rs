//! Rules about who is accountable and what an identity can do (`unowned`,
//! `overprivileged`, `third-party-access`, `human-use`).

use super::{
    DEFAULT_ACCOUNT_BOUND, HUMAN_USE, INSECURE_OIDC_TRUST, MULTIPLE_ACTIVE_KEYS, OVERPRIVILEGED,
    THIRD_PARTY_ACCESS, Thresholds, UNOWNED, UNUSED_ACCOUNT, about,
};
use crate::model::{Finding, Identity, attr};

pub(super) fn unowned(identity: &Identity) -> Option<Finding> {
    identity.owner.is_none().then(|| {
        let msg = format!("{} at {} has no owner", identity.name, identity.location);
        about(&UNOWNED, identity, msg)
    })
}

pub(super) fn overprivileged(identity: &Identity, limits: &Thresholds) -> Option<Finding> {
    let broad: Vec<&str> = identity
        .privileges
        .iter()
        .filter(|p| limits.broad_privileges.iter().any(|b| b == *p))
        .map(String::as_str)
        .collect();
    (!broad.is_empty()).then(|| {
        let msg = format!("{} holds {}", identity.name, broad.join(", "));
        about(&OVERPRIVILEGED, identity, msg)
    })
}

pub(super) fn third_party(identity: &Identity) -> Option<Finding> {
    (!identity.third_parties.is_empty()).then(|| {
        let msg = format!(
            "{} can be used by {}",
            identity.name,
            identity.third_parties.join(", ")
        );
        about(&THIRD_PARTY_ACCESS, identity, msg)
    })
}

pub(super) fn human_use(identity: &Identity) -> Option<Finding> {
    identity.console_access.then(|| {
        let msg = format!(
            "{} is a programmatic identity with a console password: people can sign in as it",
            identity.name
        );
        about(&HUMAN_USE, identity, msg)
    })
}

pub(super) fn insecure_oidc_trust(identity: &Identity) -> Option<Finding> {
    let hosts = identity.attributes.get(attr::OIDC_TRUST_WITHOUT_SUBJECT)?;
    let msg = format!(
        "{} trusts {hosts} without a `sub` condition: any repository or workload of that provider can assume it",
        identity.name
    );
    Some(about(&INSECURE_OIDC_TRUST, identity, msg))
}

pub(super) fn multiple_active_keys(identity: &Identity) -> Option<Finding> {
    let n = identity.attributes.get(attr::ACTIVE_ACCESS_KEYS)?;
    let msg = format!("{} has {n} active access keys", identity.name);
    Some(about(&MULTIPLE_ACTIVE_KEYS, identity, msg))
}

pub(super) fn default_account_bound(identity: &Identity) -> Option<Finding> {
    let n = identity.attributes.get(attr::DEFAULT_ACCOUNT_BINDINGS)?;
    let how = identity
        .attributes
        .get("rbac")
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let msg = format!(
        "{} is a namespace's default ServiceAccount with {n} RBAC binding(s){how}; every pod that names no account gets them",
        identity.name
    );
    Some(about(&DEFAULT_ACCOUNT_BOUND, identity, msg))
}

/// A ServiceAccount with grants that no pod runs as. `pods` is recorded only when the
/// collector could list pods, so an unreadable pod list never makes every account unused.
pub(super) fn unused_account(identity: &Identity) -> Option<Finding> {
    let unused = identity.kind == "service-account"
        && identity.attributes.get(attr::PODS).map(String::as_str) == Some("0")
        && !identity.privileges.is_empty();
    unused.then(|| {
        let bindings = identity
            .attributes
            .get("rbac")
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let msg = format!(
            "{} is bound to roles{bindings} but no pod runs as it",
            identity.name
        );
        about(&UNUSED_ACCOUNT, identity, msg)
    })
}
