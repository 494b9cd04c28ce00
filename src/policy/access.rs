//! Rules about who is accountable and what an identity can do (`unowned`,
//! `overprivileged`, `third-party-access`, `human-use`, `insecure-oidc-trust`,
//! `multiple-active-keys`, and the Kubernetes account rules).

use super::{Context, Rule, about};
use crate::model::{Finding, Identity, Level, attr};

pub const UNOWNED: Rule = Rule {
    code: "unowned",
    description: "No accountable owner (no [[owners]] rule, tag or label, CODEOWNERS entry or repository owner; a commit's author is only a suggestion until a mapping or an access review confirms it): nobody will rotate or revoke it.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2"],
};

pub const OVERPRIVILEGED: Rule = Rule {
    code: "overprivileged",
    description: "Holds a privilege listed in [policy] broad_privileges (administrator, wildcard actions, IAM or RBAC escalation, reading every secret).",
    default_level: Level::Warn,
    controls: &["OWASP-NHI5", "SOC2-CC6.3", "NIST-PR.AA-05"],
};

pub const THIRD_PARTY_ACCESS: Rule = Rule {
    code: "third-party-access",
    description: "A party outside the account or organisation (another AWS account, a federated identity provider, a GitHub App) can act as this identity.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI3", "SOC2-CC6.1", "SOC2-CC6.3"],
};

pub const HUMAN_USE: Rule = Rule {
    code: "human-use",
    description: "A programmatic identity that can also sign in interactively (a console password): people are using a machine identity, or it is a person's account used by machines.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI10", "SOC2-CC6.1"],
};

pub const INSECURE_OIDC_TRUST: Rule = Rule {
    code: "insecure-oidc-trust",
    description: "A role trusts an OIDC provider (GitHub Actions, EKS, ...) without a condition on the token's `sub`: any repository or workload of that provider can assume it. Pin `<provider>:sub`.",
    default_level: Level::Deny,
    controls: &["OWASP-NHI6", "SOC2-CC6.1", "NIST-PR.AA-05"],
};

pub const MULTIPLE_ACTIVE_KEYS: Rule = Rule {
    code: "multiple-active-keys",
    description: "A user has two active access keys: rotation never finished, or one identity serves two consumers.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "OWASP-NHI9", "SOC2-CC6.1"],
};

pub const DEFAULT_ACCOUNT_BOUND: Rule = Rule {
    code: "default-service-account-bound",
    description: "A namespace's `default` ServiceAccount has RBAC bindings: every pod in the namespace that names no account runs with them. Bind a dedicated ServiceAccount instead.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI5", "SOC2-CC6.3", "NIST-PR.AA-05"],
};

pub const UNUSED_ACCOUNT: Rule = Rule {
    code: "unused-service-account",
    description: "A ServiceAccount holds RBAC grants but no pod runs as it: access nobody runs with, or used from outside the cluster by a token. Remove the bindings or the account.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2", "NIST-PR.AA-05"],
};

pub(super) fn unowned(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
    // A reference names a secret another system holds: that system's owner answers for it.
    // A published example is nobody's credential.
    if identity.is_reference() || identity.is_published_example() {
        return None;
    }
    // A suggested owner (a commit's author) counts once an access review kept the identity.
    let confirmed_by_review = identity
        .review
        .as_ref()
        .and_then(|r| r.last.as_ref())
        .is_some_and(|r| r.decision != crate::model::Decision::Revoke);
    let msg = match &identity.owner {
        None => format!("{} at {} has no owner", identity.name, identity.location),
        Some(o) if o.is_suggested() && !confirmed_by_review => format!(
            "{} at {} has no confirmed owner; suggested: {} ({}); confirm it with an [[owners]] rule or an access review",
            identity.name, identity.location, o.team, o.evidence
        ),
        Some(_) => return None,
    };
    Some(about(&UNOWNED, identity, msg))
}

pub(super) fn overprivileged(identity: &Identity, cx: &Context<'_>) -> Option<Finding> {
    let limits = cx.thresholds;
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

pub(super) fn third_party(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
    (!identity.third_parties.is_empty()).then(|| {
        let msg = format!(
            "{} can be used by {}",
            identity.name,
            identity.third_parties.join(", ")
        );
        about(&THIRD_PARTY_ACCESS, identity, msg)
    })
}

pub(super) fn human_use(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
    identity.console_access.then(|| {
        let msg = format!(
            "{} is a programmatic identity with a console password: people can sign in as it",
            identity.name
        );
        about(&HUMAN_USE, identity, msg)
    })
}

pub(super) fn insecure_oidc_trust(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
    let hosts = identity.attributes.get(attr::OIDC_TRUST_WITHOUT_SUBJECT)?;
    let msg = format!(
        "{} trusts {hosts} without a `sub` condition: any repository or workload of that provider can assume it",
        identity.name
    );
    Some(about(&INSECURE_OIDC_TRUST, identity, msg))
}

pub(super) fn multiple_active_keys(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
    let n = identity.attributes.get(attr::ACTIVE_ACCESS_KEYS)?;
    let msg = format!("{} has {n} active access keys", identity.name);
    Some(about(&MULTIPLE_ACTIVE_KEYS, identity, msg))
}

pub(super) fn default_account_bound(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
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
pub(super) fn unused_account(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
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
