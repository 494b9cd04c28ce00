//! Rules about time: expiry, use and rotation (`expired`, `expiring-soon`, `stale`,
//! `never-used`, `rotation-overdue`, `long-lived`).
//!
//! Use and rotation rules apply to identities a collector reported: a secret found in a
//! file has no provider-side "last used" or "created", and is already `leaked-secret`.

use super::{Context, Rule, about, days_phrase};
use crate::model::{Finding, Identity, Level, Status};

pub const EXPIRED: Rule = Rule {
    code: "expired",
    description: "A certificate or credential is past its expiry date.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.2"],
};

pub const EXPIRING_SOON: Rule = Rule {
    code: "expiring-soon",
    description: "A certificate or credential expires within [policy] expiring_soon_days (30 by default).",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.2"],
};

pub const STALE: Rule = Rule {
    code: "stale",
    description: "Not used for longer than [policy] stale_days (90 by default): likely orphaned; disable it, then delete it.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2", "NIST-PR.AA-05"],
};

pub const NEVER_USED: Rule = Rule {
    code: "never-used",
    description: "Created more than [policy] never_used_days (30 by default) ago and never used: access nobody needs.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2", "NIST-PR.AA-05"],
};

pub const ROTATION_OVERDUE: Rule = Rule {
    code: "rotation-overdue",
    description: "A credential older than [policy] rotation_days (90 by default) since it was created or last rotated.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.1"],
};

pub const LONG_LIVED: Rule = Rule {
    code: "long-lived",
    description: "An active credential with no expiry: it stays valid until someone revokes it. Prefer short-lived credentials (roles, OIDC federation, bound tokens).",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.1"],
};

/// Kinds that are a secret someone holds and can rotate.
const CREDENTIAL_KINDS: &[&str] = &[
    "access-key",
    "api-key",
    "token",
    "service-account-token",
    "personal-access-token",
    "deploy-key",
    "ssh-key",
    "service-credential",
    "ci-secret",
    "webhook-secret",
    "password",
    "stored-secret",
    "service-account-key",
    "client-secret",
    "client-certificate",
];

/// Credential kinds that can be issued with an expiry; without one they are `long-lived`.
const EXPIRABLE_KINDS: &[&str] = &[
    "access-key",
    "token",
    "service-account-token",
    "personal-access-token",
    "deploy-key",
    "ssh-key",
    "service-credential",
];

fn is_live(identity: &Identity) -> bool {
    !matches!(identity.status, Status::Inactive | Status::Expired)
}

pub(super) fn expiry(identity: &Identity, cx: &Context<'_>) -> Option<Finding> {
    let (now, limits) = (cx.now, cx.thresholds);
    let expires = identity.expires_at?;
    let days = now.days_until(&expires);
    if expires < now {
        let msg = format!(
            "{} expired {} ({expires})",
            identity.name,
            days_phrase(-days)
        );
        Some(about(&EXPIRED, identity, msg))
    } else if days <= limits.expiring_soon_days
        && !identity
            .attributes
            .contains_key(crate::model::attr::MANAGED_BY)
    {
        // A managed certificate (cert-manager) is renewed before it expires; only an
        // expiry that passed says renewal failed.
        let msg = format!("{} expires in {days} days ({expires})", identity.name);
        Some(about(&EXPIRING_SOON, identity, msg))
    } else {
        None
    }
}

pub(super) fn stale(identity: &Identity, cx: &Context<'_>) -> Option<Finding> {
    let (now, limits) = (cx.now, cx.thresholds);
    let last = identity.last_used_at?;
    let idle = last.days_until(&now);
    // A stored secret nothing reads is `unused-secret`, said in the store's terms.
    (identity.is_collected() && identity.kind != "stored-secret" && idle > limits.stale_days).then(
        || {
            let msg = format!(
                "{} was last used {} ({last}), more than {} days ago",
                identity.name,
                days_phrase(idle),
                limits.stale_days
            );
            about(&STALE, identity, msg)
        },
    )
}

pub(super) fn never_used(identity: &Identity, cx: &Context<'_>) -> Option<Finding> {
    let (now, limits) = (cx.now, cx.thresholds);
    let created = identity.created_at?;
    let age = created.days_until(&now);
    (identity.is_collected() && identity.never_used && age > limits.never_used_days).then(|| {
        let msg = format!(
            "{} was created {} ({created}) and has never been used",
            identity.name,
            days_phrase(age)
        );
        about(&NEVER_USED, identity, msg)
    })
}

pub(super) fn rotation_overdue(identity: &Identity, cx: &Context<'_>) -> Option<Finding> {
    let (now, limits) = (cx.now, cx.thresholds);
    if !identity.is_collected()
        || !is_live(identity)
        || !CREDENTIAL_KINDS.contains(&identity.kind.as_str())
    {
        return None;
    }
    let (since, what) = match (identity.rotated_at, identity.created_at) {
        (Some(r), _) => (r, "last rotated"),
        (None, Some(c)) => (c, "created"),
        (None, None) => return None,
    };
    let age = since.days_until(&now);
    (age > limits.rotation_days).then(|| {
        let msg = format!(
            "{} was {what} {} ({since}); rotate it at least every {} days",
            identity.name,
            days_phrase(age),
            limits.rotation_days
        );
        about(&ROTATION_OVERDUE, identity, msg)
    })
}

pub(super) fn long_lived(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
    (identity.is_collected()
        && identity.status == Status::Active
        && identity.expires_at.is_none()
        && EXPIRABLE_KINDS.contains(&identity.kind.as_str()))
    .then(|| {
        let msg = format!(
            "{} ({}) never expires; it is valid until someone revokes it",
            identity.name, identity.kind
        );
        about(&LONG_LIVED, identity, msg)
    })
}
