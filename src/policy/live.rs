//! Rules from `--validate`: what the provider said about a found secret. A live one is the
//! most urgent finding there is (`live-secret`); one the provider rejects is still in the
//! files but no longer usable, so its leak findings become `inactive-secret` (warn by
//! default, `[policy.levels]` can raise it).

use super::{Context, Rule, about};
use crate::model::{Finding, Identity, Level, LiveStatus};

pub const LIVE_SECRET: Rule = Rule {
    code: "live-secret",
    description: "The provider confirmed (nhiscan scan --validate) that a found secret is live: whoever read it can act as its principal now. Revoke it first, then remove it.",
    default_level: Level::Deny,
    controls: &["OWASP-NHI2", "SOC2-CC6.1", "SOC2-CC7.3", "NIST-PR.AA-01"],
};

pub const INACTIVE_SECRET: Rule = Rule {
    code: "inactive-secret",
    description: "A found secret its provider rejects (revoked, expired or invalid, by --validate): no longer usable, but still in the files or history; remove it. Replaces leaked-secret and secret-in-history for it.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI2", "SOC2-CC6.1"],
};

/// One `live-secret` per identity whose secret the provider accepted.
pub(super) fn live_secret(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
    let v = identity.validation.as_ref().filter(|v| v.is_active())?;
    let acts_as = v
        .acts_as()
        .map(|who| format!("; it acts as {who}"))
        .unwrap_or_default();
    let scopes = if v.scopes.is_empty() {
        String::new()
    } else {
        format!(" with {}", v.scopes.join(", "))
    };
    let message = format!(
        "{} is LIVE: {}{acts_as}{scopes}. Revoke it now",
        identity.name, v.reason
    );
    Some(about(&LIVE_SECRET, identity, message))
}

/// The rule and level of a leak finding for `identity`: `inactive-secret` (its default
/// level, unless the detector's is already lower) when the provider rejected the secret.
pub(super) fn leak_rule(
    identity: &Identity,
    leak: &'static Rule,
    level: Level,
) -> (&'static Rule, Level) {
    match &identity.validation {
        Some(v) if v.status == LiveStatus::Inactive => (
            &INACTIVE_SECRET,
            if level == Level::Deny {
                INACTIVE_SECRET.default_level
            } else {
                level
            },
        ),
        _ => (leak, level),
    }
}

/// `; LIVE per the provider` / `; rejected by the provider: ...`, for leak messages.
pub(super) fn leak_note(identity: &Identity) -> String {
    match &identity.validation {
        Some(v) if v.status == LiveStatus::Active => "; the provider says it is LIVE".into(),
        Some(v) if v.status == LiveStatus::Inactive => {
            format!("; the provider rejects it ({})", v.reason)
        }
        _ => String::new(),
    }
}
