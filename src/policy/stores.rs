//! Rules about secrets held in a store (Secrets Manager, SSM SecureString): rotation turned
//! off (`rotation-disabled`), nothing reading the secret any more (`unused-secret`), and code
//! referring to a secret the store does not hold (`missing-secret`). `rotation-overdue`
//! applies to stored secrets like to any collected credential.

use super::{Context, Rule, about, days_phrase};
use crate::model::{Finding, Identity, Level, Status, attr};

pub const ROTATION_DISABLED: Rule = Rule {
    code: "rotation-disabled",
    description: "A stored secret (AWS Secrets Manager) has automatic rotation turned off: it changes only when someone remembers to.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI7", "SOC2-CC6.1", "ISO27001-A.5.17"],
};

pub const UNUSED_SECRET: Rule = Rule {
    code: "unused-secret",
    description: "A stored secret nothing has read for more than [policy] stale_days: delete it, or find out who still depends on it.",
    default_level: Level::Warn,
    controls: &["OWASP-NHI1", "SOC2-CC6.2"],
};

pub const MISSING_SECRET: Rule = Rule {
    code: "missing-secret",
    description: "Code refers to a stored secret by a name the scanned store does not hold: the deployment fails, or reads it from an account or region nobody inventoried.",
    default_level: Level::Warn,
    controls: &["SOC2-CC6.1"],
};

fn is_stored(identity: &Identity) -> bool {
    identity.is_collected() && identity.kind == "stored-secret"
}

pub(super) fn rotation_disabled(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
    (is_stored(identity)
        && identity.status == Status::Active
        && identity
            .attributes
            .get(attr::ROTATION_ENABLED)
            .map(String::as_str)
            == Some("false"))
    .then(|| {
        let msg = format!(
            "{} is stored without automatic rotation{}",
            identity.name,
            identity
                .rotated_at
                .map(|r| format!("; last rotated {r}"))
                .unwrap_or_else(|| "; never rotated".into())
        );
        about(&ROTATION_DISABLED, identity, msg)
    })
}

pub(super) fn unused_secret(identity: &Identity, cx: &Context<'_>) -> Option<Finding> {
    if !is_stored(identity) || identity.status != Status::Active {
        return None;
    }
    let last = identity.last_used_at?;
    let idle = last.days_until(&cx.now);
    (idle > cx.thresholds.stale_days).then(|| {
        let msg = format!(
            "{} was last read {} ({last}), more than {} days ago",
            identity.name,
            days_phrase(idle),
            cx.thresholds.stale_days
        );
        about(&UNUSED_SECRET, identity, msg)
    })
}

pub(super) fn missing_secret(identity: &Identity, _cx: &Context<'_>) -> Option<Finding> {
    if identity
        .attributes
        .get(attr::STORE_MATCH)
        .map(String::as_str)
        != Some("missing")
    {
        return None;
    }
    let r = identity
        .exposures
        .iter()
        .find_map(|e| e.reference.as_ref())?;
    let places: Vec<String> = identity
        .exposures
        .iter()
        .map(|e| format!("{}:{}", e.path, e.line))
        .collect();
    let msg = format!(
        "{} refers to {} secret `{}`, which the scanned store does not hold",
        places.join(", "),
        r.store,
        r.name
    );
    Some(about(&MISSING_SECRET, identity, msg))
}
